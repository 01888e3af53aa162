//! Template checks: the three functions: runtime, sizes, events, logs.

use crate::support::*;

#[test]
fn functions_run_provided_al2023_on_arm64_with_active_tracing() {
    for function in FUNCTIONS {
        assert_eq!(function_setting(function, "Runtime"), "provided.al2023", "{function}");
        assert_eq!(
            function_setting(function, "Architectures"),
            json!(["arm64"]),
            "{function}"
        );
        assert_eq!(function_setting(function, "Handler"), "bootstrap", "{function}");
        assert_eq!(function_setting(function, "Tracing"), "Active", "{function}");
    }
    assert_eq!(template()["Globals"]["Function"]["Tracing"], "Active");
    assert_eq!(resources_of_type("AWS::Serverless::Function").len(), 3);
}

#[test]
fn function_code_is_cargo_lambdas_output_for_each_binary() {
    for (function, bin) in [
        ("IntakeFunction", "intake"),
        ("ProcessorFunction", "processor"),
        ("DlqFunction", "dlq"),
    ] {
        assert_eq!(
            props(function)["CodeUri"],
            format!("../target/lambda/{bin}/"),
            "{function}"
        );
    }
}

#[test]
fn memory_and_timeouts_come_from_the_stage_mapping() {
    let stage = &template()["Parameters"]["Stage"];
    assert_eq!(stage["AllowedValues"], json!(STAGES));
    let mapped: BTreeSet<&str> = template()["Mappings"]["StageConfig"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(mapped, STAGES.into_iter().collect());
    for s in STAGES {
        let memory = |f| in_stage(&props(f)["MemorySize"], s);
        let timeout = |f| in_stage(&props(f)["Timeout"], s);
        assert_eq!((memory("IntakeFunction"), timeout("IntakeFunction")), (512, 30), "{s}");
        assert_eq!(
            (memory("ProcessorFunction"), timeout("ProcessorFunction")),
            (3008, 900),
            "{s}"
        );
        assert!(timeout("DlqFunction") <= 900, "{s}");
        // Each one reads the mapping, so a stage is changed in one place.
        for f in FUNCTIONS {
            assert!(props(f)["MemorySize"]["Fn::FindInMap"].is_array(), "{f} MemorySize");
            assert!(props(f)["Timeout"]["Fn::FindInMap"].is_array(), "{f} Timeout");
        }
    }
    let retention: Vec<i64> = STAGES.iter().map(|s| mapping(s, "LogRetentionDays")).collect();
    assert_eq!(retention, [7, 30, 90]);
}

#[test]
fn processor_reserved_concurrency_is_a_parameter_with_stage_defaults() {
    let param = &template()["Parameters"]["ProcessorConcurrency"];
    assert_eq!(param["Type"], "Number");
    for s in STAGES {
        assert!(
            mapping(s, "ProcessorConcurrency") >= 2,
            "{s}: SQS MaximumConcurrency is at least 2"
        );
    }
    let reserved = props("ProcessorFunction")["ReservedConcurrentExecutions"].to_string();
    assert!(reserved.contains(r#"{"Ref":"ProcessorConcurrency"}"#), "{reserved}");
    assert!(
        reserved.contains("\"ProcessorConcurrency\"]"),
        "stage default from the mapping: {reserved}"
    );
    // The poller never invokes more processors than are reserved, so no delivery is throttled
    // (a throttled delivery counts as a receive and pushes the job towards the DLQ).
    let poller = events_of("ProcessorFunction", "SQS")[0]["ScalingConfig"]["MaximumConcurrency"].to_string();
    assert!(poller.contains(r#"{"Ref":"ProcessorConcurrency"}"#), "{poller}");
}

#[test]
fn intake_serves_every_route_through_an_http_api() {
    assert_eq!(resource("HttpApi")["Type"], "AWS::Serverless::HttpApi");
    let routes: BTreeSet<(String, String)> = events_of("IntakeFunction", "HttpApi")
        .into_iter()
        .map(|e| {
            assert_eq!(e["ApiId"], reference("HttpApi"), "{e}");
            (
                e["Method"].as_str().unwrap().to_owned(),
                e["Path"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected: BTreeSet<(String, String)> = [
        ("POST", "/process-drawing"),
        ("GET", "/status/{job_id}"),
        ("GET", "/results/{job_id}/{file}"),
        ("POST", "/uploads"),
        ("GET", "/health"),
        ("GET", "/openapi.json"),
        ("GET", "/jobs"),
        ("DELETE", "/jobs/{job_id}"),
    ]
    .into_iter()
    .map(|(m, p)| (m.to_owned(), p.to_owned()))
    .collect();
    assert_eq!(routes, expected);
    assert!(events_of("ProcessorFunction", "HttpApi").is_empty());
    assert!(events_of("DlqFunction", "HttpApi").is_empty());
}

#[test]
fn processor_takes_one_message_at_a_time_and_reports_batch_item_failures() {
    let events = events_of("ProcessorFunction", "SQS");
    assert_eq!(events.len(), 1);
    let sqs = events[0];
    assert_eq!(sqs["Queue"], get_att("JobQueue", "Arn"));
    assert_eq!(sqs["BatchSize"], 1);
    assert_eq!(sqs["FunctionResponseTypes"], json!(["ReportBatchItemFailures"]));
}

#[test]
fn dlq_function_drains_the_dead_letter_queue_and_reports_batch_item_failures() {
    let events = events_of("DlqFunction", "SQS");
    assert_eq!(events.len(), 1);
    let sqs = events[0];
    assert_eq!(sqs["Queue"], get_att("DeadLetterQueue", "Arn"));
    assert!(sqs["BatchSize"].as_i64().unwrap() <= 10, "{sqs}");
    assert_eq!(sqs["FunctionResponseTypes"], json!(["ReportBatchItemFailures"]));
}

#[test]
fn functions_get_the_documented_environment() {
    for function in FUNCTIONS {
        let env = environment(function);
        for name in env.keys() {
            assert!(
                KNOWN_ENV.contains(&name.as_str()),
                "{function} sets {name}, which no binary reads"
            );
        }
        for (name, value) in [
            ("DRAWINGS_TABLE", reference("JobsTable")),
            ("DRAWINGS_BUCKET", reference("BlobBucket")),
            ("DRAWINGS_QUEUE_URL", reference("JobQueue")),
            ("DRAWINGS_DLQ_URL", reference("DeadLetterQueue")),
            ("DRAWINGS_ALERT_TOPIC_ARN", reference("AlertTopic")),
            ("DRAWINGS_JOB_TTL_DAYS", reference("JobTtlDays")),
        ] {
            assert_eq!(env.get(name), Some(&value), "{function} {name}");
        }
        assert!(env.contains_key("RUST_LOG"), "{function}");
    }
    let processor = environment("ProcessorFunction");
    for name in [
        "DRAWINGS_GEMINI_MODEL",
        "DRAWINGS_ANALYSIS_CONCURRENCY",
        "DRAWINGS_GEMINI_KEY_PARAMETER",
    ] {
        assert!(processor.contains_key(name), "processor lacks {name}");
    }
    for function in ["IntakeFunction", "ProcessorFunction"] {
        assert_eq!(
            environment(function).get("PDFIUM_LIB"),
            Some(&json!("/opt/lib/libpdfium.so")),
            "{function}"
        );
    }
}

#[test]
fn pdfium_layer_is_built_for_arm64_al2023_and_attached_where_pdfium_lib_points() {
    let layer = props("PdfiumLayer");
    assert_eq!(resource("PdfiumLayer")["Type"], "AWS::Serverless::LayerVersion");
    assert_eq!(layer["CompatibleArchitectures"], json!(["arm64"]));
    assert_eq!(layer["CompatibleRuntimes"], json!(["provided.al2023"]));
    assert!(layer["ContentUri"].as_str().unwrap().starts_with("../"), "{layer}");
    for function in FUNCTIONS {
        let layers = as_list(&props(function)["Layers"]);
        let has_layer = layers.contains(&reference("PdfiumLayer"));
        assert_eq!(
            has_layer,
            environment(function).contains_key("PDFIUM_LIB"),
            "{function}"
        );
    }
}

#[test]
fn each_function_logs_to_its_own_group_with_the_stage_retention() {
    for (function, bin) in [
        ("IntakeFunction", "intake"),
        ("ProcessorFunction", "processor"),
        ("DlqFunction", "dlq"),
    ] {
        let function_name = props(function)["FunctionName"]["Fn::Sub"].as_str().unwrap();
        assert_eq!(function_name, format!("${{AWS::StackName}}-{bin}"));
        let group = props(function)["LoggingConfig"]["LogGroup"]["Ref"]
            .as_str()
            .unwrap_or_else(|| panic!("{function} names no log group"));
        assert_eq!(resource(group)["Type"], "AWS::Logs::LogGroup");
        assert_eq!(
            props(group)["LogGroupName"]["Fn::Sub"],
            format!("/aws/lambda/{function_name}")
        );
        for s in STAGES {
            assert_eq!(
                in_stage(&props(group)["RetentionInDays"], s),
                mapping(s, "LogRetentionDays")
            );
        }
    }
}
