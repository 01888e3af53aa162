//! Template checks: the three functions: runtime, sizes, events, logs.

use crate::support::*;

#[test]
fn functions_run_provided_al2023_on_the_architecture_parameter_arm64_by_default() {
    let architecture = &template()["Parameters"]["Architecture"];
    assert_eq!(architecture["Type"], "String");
    assert_eq!(architecture["Default"], "arm64");
    assert_eq!(architecture["AllowedValues"], json!(["arm64", "x86_64"]));
    for function in FUNCTIONS {
        assert_eq!(function_setting(function, "Runtime"), "provided.al2023", "{function}");
        assert_eq!(
            function_setting(function, "Architectures"),
            json!([reference("Architecture")]),
            "{function}"
        );
        assert_eq!(function_setting(function, "Handler"), "bootstrap", "{function}");
    }
    assert_eq!(resources_of_type("AWS::Serverless::Function").len(), 3);
}

#[test]
fn xray_tracing_is_off_and_no_role_may_write_traces() {
    // The functions emit no segments of their own; the README says tracing is off.
    for function in FUNCTIONS {
        assert!(
            function_setting(function, "Tracing").is_null(),
            "{function} traces: {}",
            function_setting(function, "Tracing")
        );
        assert!(allowed(role_of(function), &["xray"]).is_empty(), "{function}");
    }
}

#[test]
fn sam_build_makes_each_function_and_the_layer_through_the_makefile() {
    let makefile = std::fs::read_to_string(root().join("sam/Makefile")).expect("sam/Makefile");
    for (name, uri) in [
        ("IntakeFunction", "CodeUri"),
        ("ProcessorFunction", "CodeUri"),
        ("DlqFunction", "CodeUri"),
        ("PdfiumLayer", "ContentUri"),
    ] {
        // The Makefile sits in the template's directory, SAM's source directory for them.
        assert_eq!(props(name)[uri], ".", "{name}");
        assert_eq!(resource(name)["Metadata"]["BuildMethod"], "makefile", "{name}");
        assert!(
            makefile.lines().any(|l| l.starts_with(&format!("build-{name}:"))),
            "sam/Makefile has no build-{name} target"
        );
    }
    // Every target goes through the one build command, which checks the glibc floor.
    assert!(makefile.contains("scripts/build-artifacts.sh"), "{makefile}");
    assert!(makefile.contains("scripts/check-glibc.sh"), "{makefile}");
    for bin in ["intake", "processor", "dlq"] {
        assert!(
            makefile.contains(&format!("/{bin}/bootstrap\" \"$(ARTIFACTS_DIR)/bootstrap\"")),
            "{bin}"
        );
    }
}

#[test]
fn every_function_publishes_a_live_alias_shifted_by_the_stage_and_rolled_back_on_its_alarms() {
    assert_eq!(template()["Globals"]["Function"]["AutoPublishAlias"], "live");
    let types: Vec<&str> = STAGES
        .iter()
        .map(|s| {
            template()["Mappings"]["StageConfig"][s]["DeploymentType"]
                .as_str()
                .unwrap_or_else(|| panic!("StageConfig.{s}.DeploymentType"))
        })
        .collect();
    assert_eq!(types[0], "AllAtOnce", "dev deploys at once");
    for (stage, kind) in STAGES.iter().zip(&types).skip(1) {
        assert!(
            kind.starts_with("Canary10Percent"),
            "{stage} deploys through a canary: {kind}"
        );
    }
    for function in FUNCTIONS {
        let preference = &props(function)["DeploymentPreference"];
        assert_eq!(
            preference["Type"],
            json!({"Fn::FindInMap": ["StageConfig", {"Ref": "Stage"}, "DeploymentType"]}),
            "{function}"
        );
        let alarms = preference["Alarms"]
            .as_array()
            .unwrap_or_else(|| panic!("{function} rolls back on no alarm"));
        assert!(!alarms.is_empty(), "{function}");
        for alarm in alarms {
            let name = alarm["Ref"].as_str().unwrap_or_else(|| panic!("{function}: {alarm}"));
            assert_eq!(resource(name)["Type"], "AWS::CloudWatch::Alarm", "{function}: {name}");
            // The alarm watches this function (or every function).
            let watched = props(name).to_string();
            assert!(
                watched.contains(&format!(r#"{{"Ref":"{function}"}}"#)),
                "{function}: {name} watches {watched}"
            );
        }
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
        // That each variable is read by the function's settings is checked where the settings
        // live: crates/lambdas/tests/template_settings.rs.
        let env = environment(function);
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
fn pdfium_layer_is_built_for_the_architecture_parameter_and_attached_where_pdfium_lib_points() {
    let layer = props("PdfiumLayer");
    assert_eq!(resource("PdfiumLayer")["Type"], "AWS::Serverless::LayerVersion");
    assert_eq!(layer["CompatibleArchitectures"], json!([reference("Architecture")]));
    assert_eq!(layer["CompatibleRuntimes"], json!(["provided.al2023"]));
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
