//! Checks of `sam/template.yaml` and `sam/samconfig.toml`, the AWS deployment.
//!
//! The template is linted with the repository's pinned cfn-lint (1.53.3, the last version
//! that still runs the SAM transform; later ones skip errors inside `AWS::Serverless::*`),
//! then read through cfn-lint's own YAML decoder (which understands `!Ref`, `!Sub`,
//! `!GetAtt`...) as JSON, and its settings are checked one behaviour at a time. Both tools
//! come from `.venv`, which `scripts/setup.sh` installs; no Rust YAML or TOML crate needed.

use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

const STAGES: [&str; 3] = ["dev", "staging", "prod"];
const FUNCTIONS: [&str; 3] = ["IntakeFunction", "ProcessorFunction", "DlqFunction"];

/// The environment variables the Lambda binaries read; nothing else belongs in the template.
const KNOWN_ENV: [&str; 14] = [
    "DRAWINGS_TABLE",
    "DRAWINGS_QUEUE_URL",
    "DRAWINGS_DLQ_URL",
    "DRAWINGS_BUCKET",
    "DRAWINGS_ALERT_TOPIC_ARN",
    "DRAWINGS_GEMINI_KEY_PARAMETER",
    "DRAWINGS_API_KEYS_PARAMETER",
    "DRAWINGS_GEMINI_MODEL",
    "DRAWINGS_JOB_TTL_DAYS",
    "DRAWINGS_ANALYSIS_CONCURRENCY",
    "DRAWINGS_ANALYZER",
    "DRAWINGS_LAMBDA_MEMORY_MB",
    "PDFIUM_LIB",
    "RUST_LOG",
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn template_path() -> PathBuf {
    root().join("sam/template.yaml")
}

/// A tool from `.venv`; a missing one fails the test with what to do about it.
fn venv_tool(name: &str) -> PathBuf {
    let path = root().join(".venv/bin").join(name);
    assert!(
        path.exists(),
        "{} is missing: run scripts/setup.sh (it installs cfn-lint 1.53.3 into .venv)",
        path.display()
    );
    path
}

fn run(cmd: &mut Command) -> Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("could not run {cmd:?}: {e} (run scripts/setup.sh)"))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs a Python snippet from `.venv` that prints JSON, and parses what it printed.
fn python_json(script: &str, arg: &Path) -> Value {
    let out = run(Command::new(venv_tool("python")).arg("-c").arg(script).arg(arg));
    assert!(
        out.status.success(),
        "python failed on {}:\n{}",
        arg.display(),
        text(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("python printed JSON")
}

/// The template as JSON, short-form intrinsics turned into their long form.
fn template() -> &'static Value {
    static TEMPLATE: OnceLock<Value> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        python_json(
            "import json, sys\nfrom cfnlint.decode import cfn_yaml\nprint(json.dumps(cfn_yaml.load(sys.argv[1])))",
            &template_path(),
        )
    })
}

fn resource(name: &str) -> &'static Value {
    let r = &template()["Resources"][name];
    assert!(r.is_object(), "resource {name} is missing");
    r
}

fn props(name: &str) -> &'static Value {
    &resource(name)["Properties"]
}

fn resources_of_type(kind: &str) -> Vec<(&'static str, &'static Value)> {
    template()["Resources"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, r)| r["Type"] == kind)
        .map(|(n, r)| (n.as_str(), r))
        .collect()
}

fn mapping(stage: &str, key: &str) -> i64 {
    template()["Mappings"]["StageConfig"][stage][key]
        .as_i64()
        .unwrap_or_else(|| panic!("StageConfig.{stage}.{key} is not a number"))
}

/// The value of a property in `stage`: a literal, or `!FindInMap [StageConfig, !Ref Stage, key]`.
fn in_stage(value: &Value, stage: &str) -> i64 {
    if let Some(n) = value.as_i64() {
        return n;
    }
    let find = value["Fn::FindInMap"]
        .as_array()
        .unwrap_or_else(|| panic!("{value} is neither a number nor a FindInMap"));
    assert_eq!(find[0], "StageConfig", "{value}");
    assert_eq!(find[1], json!({"Ref": "Stage"}), "{value}");
    mapping(stage, find[2].as_str().unwrap())
}

fn get_att(resource: &str, attribute: &str) -> Value {
    json!({"Fn::GetAtt": [resource, attribute]})
}

fn reference(name: &str) -> Value {
    json!({"Ref": name})
}

fn as_list(value: &Value) -> Vec<Value> {
    match value {
        Value::Array(items) => items.clone(),
        other => vec![other.clone()],
    }
}

/// A function's property, falling back to `Globals.Function`.
fn function_setting(function: &str, key: &str) -> Value {
    let own = &props(function)[key];
    if own.is_null() {
        template()["Globals"]["Function"][key].clone()
    } else {
        own.clone()
    }
}

/// A function's environment, `Globals` merged under its own (as SAM merges them).
fn environment(function: &str) -> BTreeMap<String, Value> {
    let mut env = BTreeMap::new();
    for vars in [
        &template()["Globals"]["Function"]["Environment"]["Variables"],
        &props(function)["Environment"]["Variables"],
    ] {
        if let Some(vars) = vars.as_object() {
            env.extend(vars.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
    }
    env
}

fn events_of(function: &str, kind: &str) -> Vec<&'static Value> {
    props(function)["Events"]
        .as_object()
        .unwrap_or_else(|| panic!("{function} has no events"))
        .values()
        .filter(|e| e["Type"] == kind)
        .map(|e| &e["Properties"])
        .collect()
}

/// The one role of a function, by the `!GetAtt Role.Arn` it names.
fn role_of(function: &str) -> &'static str {
    let role = &props(function)["Role"]["Fn::GetAtt"];
    let name = role[0]
        .as_str()
        .unwrap_or_else(|| panic!("{function} has no explicit Role (SAM's generated roles are too broad)"));
    assert_eq!(role[1], "Arn");
    assert_eq!(resource(name)["Type"], "AWS::IAM::Role");
    name
}

fn statements(role: &str) -> Vec<Value> {
    let policies = props(role)["Policies"].as_array().unwrap();
    policies
        .iter()
        .flat_map(|p| as_list(&p["PolicyDocument"]["Statement"]))
        .collect()
}

/// Every `action -> resources` a role allows, for actions of the given services.
fn allowed(role: &str, services: &[&str]) -> BTreeMap<String, Vec<Value>> {
    let mut out: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for s in statements(role) {
        assert_eq!(s["Effect"], "Allow", "{role}: {s}");
        for action in as_list(&s["Action"]) {
            let action = action.as_str().unwrap().to_owned();
            if services.iter().any(|svc| action.starts_with(&format!("{svc}:"))) {
                out.entry(action).or_default().extend(as_list(&s["Resource"]));
            }
        }
    }
    out
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// The three alarms, found by the metric they watch.
fn alarm_on(metric: &str) -> &'static Value {
    let found: Vec<_> = resources_of_type("AWS::CloudWatch::Alarm")
        .into_iter()
        .filter(|(_, a)| {
            a["Properties"]["MetricName"] == metric
                || a["Properties"]["Metrics"]
                    .as_array()
                    .is_some_and(|ms| ms.iter().any(|m| m["MetricStat"]["Metric"]["MetricName"] == metric))
        })
        .collect();
    assert_eq!(found.len(), 1, "expected one alarm on {metric}, found {}", found.len());
    &found[0].1["Properties"]
}

fn assert_alerts_topic(alarm: &Value) {
    assert_eq!(alarm["AlarmActions"], json!([reference("AlertTopic")]), "{alarm}");
}

// ------------------------------------------------------------------------------- lint

#[test]
fn pinned_cfn_lint_passes_the_template_with_the_sam_transform() {
    let cfn_lint = venv_tool("cfn-lint");
    let version = run(Command::new(&cfn_lint).arg("--version"));
    let version = text(&version.stdout);
    assert!(
        version.contains("1.53.3"),
        "cfn-lint in .venv is {version:?}, not 1.53.3; versions from 1.54 skip the SAM transform \
         and miss errors inside AWS::Serverless::* (run scripts/setup.sh)"
    );
    let out = run(Command::new(&cfn_lint).arg("--").arg(template_path()));
    assert!(
        out.status.success(),
        "cfn-lint exited {:?}:\n{}{}",
        out.status.code(),
        text(&out.stdout),
        text(&out.stderr)
    );
}

// ------------------------------------------------------------------------------- functions

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

// ------------------------------------------------------------------------------- queues, table, bucket

#[test]
fn job_queue_long_polls_and_moves_a_message_to_the_dlq_after_three_receives() {
    let queue = props("JobQueue");
    assert_eq!(queue["ReceiveMessageWaitTimeSeconds"], 20);
    assert_eq!(
        queue["RedrivePolicy"]["deadLetterTargetArn"],
        get_att("DeadLetterQueue", "Arn")
    );
    assert_eq!(queue["RedrivePolicy"]["maxReceiveCount"], 3);
    assert_eq!(props("DeadLetterQueue")["MessageRetentionPeriod"], 1209600);
}

#[test]
fn queue_visibility_is_six_times_the_consumer_timeout_in_every_stage() {
    for s in STAGES {
        let processor = in_stage(&props("ProcessorFunction")["Timeout"], s);
        let visibility = in_stage(&props("JobQueue")["VisibilityTimeout"], s);
        assert!(
            visibility >= processor,
            "{s}: {visibility} s < processor timeout {processor} s"
        );
        assert!(
            visibility >= 6 * processor,
            "{s}: AWS recommends 6x the function timeout"
        );
        let dlq = in_stage(&props("DlqFunction")["Timeout"], s);
        let dlq_visibility = in_stage(&props("DeadLetterQueue")["VisibilityTimeout"], s);
        assert!(
            dlq_visibility >= 6 * dlq,
            "{s}: DLQ {dlq_visibility} s vs dlq timeout {dlq} s"
        );
    }
}

#[test]
fn jobs_table_is_on_demand_keyed_by_job_id_with_ttl_pitr_and_encryption() {
    let table = props("JobsTable");
    assert_eq!(table["BillingMode"], "PAY_PER_REQUEST");
    assert_eq!(
        table["KeySchema"],
        json!([{"AttributeName": "job_id", "KeyType": "HASH"}])
    );
    assert_eq!(
        table["AttributeDefinitions"],
        json!([
            {"AttributeName": "job_id", "AttributeType": "S"},
            {"AttributeName": "client_name", "AttributeType": "S"},
            {"AttributeName": "created_day", "AttributeType": "S"},
            {"AttributeName": "dead_letter", "AttributeType": "S"},
            {"AttributeName": "created_at", "AttributeType": "N"},
        ])
    );
    assert_eq!(
        table["TimeToLiveSpecification"],
        json!({"AttributeName": "expires_at", "Enabled": true})
    );
    assert_eq!(
        table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"],
        true
    );
    assert_eq!(table["SSESpecification"]["SSEEnabled"], true);
}

#[test]
fn jobs_table_lists_through_three_indexes_sorted_by_creation_projecting_everything() {
    // The names and keys DynamoJobStore::list queries (crates/aws/src/dynamo/item.rs).
    let indexes = props("JobsTable")["GlobalSecondaryIndexes"]
        .as_array()
        .expect("the table declares its listing indexes");
    let found: BTreeMap<&str, &Value> = indexes.iter().map(|i| (i["IndexName"].as_str().unwrap(), i)).collect();
    assert_eq!(found.len(), 3, "{indexes:?}");
    for (name, hash) in [
        ("by_client", "client_name"),
        ("by_day", "created_day"),
        ("dead_letters", "dead_letter"),
    ] {
        let index = found.get(name).unwrap_or_else(|| panic!("no index {name}"));
        assert_eq!(
            index["KeySchema"],
            json!([
                {"AttributeName": hash, "KeyType": "HASH"},
                {"AttributeName": "created_at", "KeyType": "RANGE"},
            ]),
            "{name}"
        );
        assert_eq!(index["Projection"], json!({"ProjectionType": "ALL"}), "{name}");
        // On demand, like the table: no throughput of its own.
        assert!(index["ProvisionedThroughput"].is_null(), "{name}");
    }
}

#[test]
fn bucket_is_private_encrypted_tls_only_and_expires_job_files_after_the_ttl() {
    let bucket = props("BlobBucket");
    let block = &bucket["PublicAccessBlockConfiguration"];
    for key in [
        "BlockPublicAcls",
        "BlockPublicPolicy",
        "IgnorePublicAcls",
        "RestrictPublicBuckets",
    ] {
        assert_eq!(block[key], true, "{key}");
    }
    let sse = &bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"];
    assert!(
        ["AES256", "aws:kms"].contains(&sse["SSEAlgorithm"].as_str().unwrap()),
        "{sse}"
    );
    let rules = bucket["LifecycleConfiguration"]["Rules"].as_array().unwrap();
    assert!(
        rules.iter().any(|r| r["Status"] == "Enabled"
            && r["Prefix"] == "jobs/"
            && r["ExpirationInDays"] == reference("JobTtlDays")),
        "no rule expires jobs/ after JobTtlDays: {rules:?}"
    );
    assert!(
        rules.iter().any(|r| r["Status"] == "Enabled"
            && r["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"].is_number()),
        "no rule aborts incomplete multipart uploads"
    );
    assert_eq!(template()["Parameters"]["JobTtlDays"]["Default"], 30);

    let policy = props("BlobBucketPolicy");
    assert_eq!(policy["Bucket"], reference("BlobBucket"));
    let denies_plain_http = as_list(&policy["PolicyDocument"]["Statement"])
        .iter()
        .any(|s| s["Effect"] == "Deny" && s["Condition"]["Bool"]["aws:SecureTransport"] == json!("false"));
    assert!(denies_plain_http, "the bucket policy must deny requests without TLS");
}

// ------------------------------------------------------------------------------- alerts

#[test]
fn alerts_go_to_an_sns_topic_with_an_optional_email_subscription() {
    assert_eq!(resource("AlertTopic")["Type"], "AWS::SNS::Topic");
    let subscriptions = resources_of_type("AWS::SNS::Subscription");
    assert_eq!(subscriptions.len(), 1);
    let (_, sub) = subscriptions[0];
    assert_eq!(sub["Condition"], "HasAlertEmail");
    assert_eq!(sub["Properties"]["Protocol"], "email");
    assert_eq!(template()["Parameters"]["AlertEmail"]["Default"], "");
}

#[test]
fn dlq_depth_above_five_alarms() {
    let alarm = alarm_on("ApproximateNumberOfMessagesVisible");
    assert_eq!(alarm["Namespace"], "AWS/SQS");
    assert_eq!(alarm["Dimensions"][0]["Value"], get_att("DeadLetterQueue", "QueueName"));
    assert_eq!(alarm["Threshold"], 5);
    assert_eq!(alarm["ComparisonOperator"], "GreaterThanThreshold");
    assert_alerts_topic(alarm);
}

#[test]
fn oldest_job_message_above_twenty_minutes_alarms() {
    let alarm = alarm_on("ApproximateAgeOfOldestMessage");
    assert_eq!(alarm["Namespace"], "AWS/SQS");
    assert_eq!(alarm["Dimensions"][0]["Value"], get_att("JobQueue", "QueueName"));
    assert_eq!(alarm["Threshold"], 1200);
    assert_eq!(alarm["ComparisonOperator"], "GreaterThanThreshold");
    assert_alerts_topic(alarm);
}

#[test]
fn processor_error_rate_above_ten_percent_alarms_through_metric_math() {
    let alarm = alarm_on("Errors");
    let metrics = alarm["Metrics"].as_array().unwrap();
    let id_of = |name: &str| -> String {
        let m = metrics
            .iter()
            .find(|m| m["MetricStat"]["Metric"]["MetricName"] == name)
            .unwrap_or_else(|| panic!("no {name} metric"));
        assert_eq!(m["MetricStat"]["Metric"]["Namespace"], "AWS/Lambda");
        assert_eq!(
            m["MetricStat"]["Metric"]["Dimensions"],
            json!([{"Name": "FunctionName", "Value": reference("ProcessorFunction")}])
        );
        assert_eq!(m["MetricStat"]["Stat"], "Sum");
        assert_eq!(m["ReturnData"], false);
        m["Id"].as_str().unwrap().to_owned()
    };
    let (errors, invocations) = (id_of("Errors"), id_of("Invocations"));
    let returned: Vec<&Value> = metrics.iter().filter(|m| m["ReturnData"] == true).collect();
    assert_eq!(returned.len(), 1);
    let expression = returned[0]["Expression"]
        .as_str()
        .expect("the returned series is an expression");
    assert!(
        expression.contains(&format!("100 * {errors} / {invocations}")),
        "{expression}"
    );
    assert_eq!(alarm["Threshold"], 10);
    assert_eq!(alarm["ComparisonOperator"], "GreaterThanThreshold");
    assert_alerts_topic(alarm);
    // AWS/Lambda has no ErrorRate metric: an alarm on it would never leave INSUFFICIENT_DATA.
    assert!(!template().to_string().contains("\"ErrorRate\""));
}

#[test]
fn dashboard_is_json_covering_queues_functions_table_and_service_metrics() {
    let body = props("Dashboard")["DashboardBody"]["Fn::Sub"]
        .as_str()
        .expect("DashboardBody is a !Sub string");
    for reference in [
        "${JobQueue.QueueName}",
        "${DeadLetterQueue.QueueName}",
        "${IntakeFunction}",
        "${ProcessorFunction}",
        "${DlqFunction}",
        "${JobsTable}",
    ] {
        assert!(body.contains(reference), "the dashboard does not show {reference}");
    }
    for metric in [
        "ApproximateNumberOfMessagesVisible",
        "ApproximateAgeOfOldestMessage",
        "Invocations",
        "Errors",
        "Duration",
        "ReadThrottleEvents",
        "WriteThrottleEvents",
        r#"Namespace=\"Drawings\""#,
    ] {
        assert!(body.contains(metric), "the dashboard does not show {metric}");
    }
    // What CloudWatch receives after substitution must be JSON.
    let substituted = substitute_placeholders(body);
    let parsed: Value = serde_json::from_str(&substituted)
        .unwrap_or_else(|e| panic!("DashboardBody is not JSON after substitution: {e}\n{substituted}"));
    assert!(parsed["widgets"].as_array().is_some_and(|w| w.len() >= 6));
}

/// Replaces every `${...}` with a placeholder, as `Fn::Sub` would with a value.
fn substitute_placeholders(body: &str) -> String {
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}').expect("unterminated ${") + start;
        out.push_str("placeholder");
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

// ------------------------------------------------------------------------------- secrets and IAM

#[test]
fn gemini_key_is_read_from_ssm_by_name_and_never_passed_as_a_parameter() {
    let params = template()["Parameters"].as_object().unwrap();
    for (name, p) in params {
        assert_ne!(
            p["NoEcho"], true,
            "{name}: a NoEcho parameter means a secret passes through CloudFormation"
        );
        let lower = name.to_lowercase();
        if ["key", "secret", "token", "password", "credential"]
            .iter()
            .any(|w| lower.contains(w))
        {
            assert!(
                name.ends_with("ParameterName"),
                "{name} looks like it holds a secret; pass the SSM parameter's name instead"
            );
            let default = p["Default"].as_str().unwrap_or("");
            assert!(
                default.starts_with('/'),
                "{name} default {default:?} is not an SSM name"
            );
        }
        assert!(
            !p["Type"].as_str().unwrap().starts_with("AWS::SSM::Parameter::Value"),
            "{name}: an SSM-typed parameter resolves the value into the template"
        );
    }
    let processor = environment("ProcessorFunction");
    assert_eq!(
        processor["DRAWINGS_GEMINI_KEY_PARAMETER"],
        reference("GeminiKeyParameterName")
    );
    assert!(template()["Parameters"]["GeminiKeyParameterName"]["Default"] == "/drawings/gemini-api-key");
    for function in FUNCTIONS {
        for name in environment(function).keys() {
            // A parameter's name is fine; a key's value is not.
            assert!(
                !name.contains("API_KEY") || name.ends_with("_PARAMETER"),
                "{function} gets {name}"
            );
        }
    }

    let role = role_of("ProcessorFunction");
    let parameter_arn = json!({"Fn::Sub":
        "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${GeminiKeyParameterName}"});
    let ssm = allowed(role, &["ssm"]);
    assert_eq!(ssm.keys().cloned().collect::<BTreeSet<_>>(), set(&["ssm:GetParameter"]));
    assert_eq!(ssm["ssm:GetParameter"], vec![parameter_arn.clone()]);
    let decrypt: Vec<Value> = statements(role)
        .into_iter()
        .filter(|s| as_list(&s["Action"]).contains(&json!("kms:Decrypt")))
        .collect();
    assert_eq!(decrypt.len(), 1);
    let condition = &decrypt[0]["Condition"]["StringEquals"];
    assert_eq!(
        condition["kms:ViaService"],
        json!({"Fn::Sub": "ssm.${AWS::Region}.amazonaws.com"})
    );
    assert_eq!(condition["kms:EncryptionContext:PARAMETER_ARN"], parameter_arn);
    let intake_ssm = allowed(role_of("IntakeFunction"), &["ssm"]);
    assert!(
        !intake_ssm.values().flatten().any(|arn| arn == &parameter_arn),
        "the intake can read the Gemini key"
    );
    assert!(
        allowed(role_of("DlqFunction"), &["ssm", "kms"]).is_empty(),
        "the dlq function can read the key"
    );
}

#[test]
fn api_keys_are_read_by_the_intake_alone_from_an_ssm_parameter_named_in_the_template() {
    let param = &template()["Parameters"]["ApiKeysParameterName"];
    assert_eq!(param["Type"], "String");
    assert_eq!(param["Default"], "/drawings/api-keys");
    assert_eq!(
        environment("IntakeFunction")["DRAWINGS_API_KEYS_PARAMETER"],
        reference("ApiKeysParameterName")
    );
    for other in ["ProcessorFunction", "DlqFunction"] {
        assert!(
            !environment(other).contains_key("DRAWINGS_API_KEYS_PARAMETER"),
            "{other}"
        );
    }

    let role = role_of("IntakeFunction");
    let parameter_arn = json!({"Fn::Sub":
        "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${ApiKeysParameterName}"});
    let ssm = allowed(role, &["ssm"]);
    assert_eq!(ssm.keys().cloned().collect::<BTreeSet<_>>(), set(&["ssm:GetParameter"]));
    assert_eq!(ssm["ssm:GetParameter"], vec![parameter_arn.clone()]);
    let decrypt: Vec<Value> = statements(role)
        .into_iter()
        .filter(|s| as_list(&s["Action"]).contains(&json!("kms:Decrypt")))
        .collect();
    assert_eq!(decrypt.len(), 1);
    let condition = &decrypt[0]["Condition"]["StringEquals"];
    assert_eq!(
        condition["kms:ViaService"],
        json!({"Fn::Sub": "ssm.${AWS::Region}.amazonaws.com"})
    );
    assert_eq!(condition["kms:EncryptionContext:PARAMETER_ARN"], parameter_arn);
    for other in ["ProcessorFunction", "DlqFunction"] {
        let readable: Vec<Value> = allowed(role_of(other), &["ssm"]).into_values().flatten().collect();
        assert!(!readable.contains(&parameter_arn), "{other} can read the API keys");
    }
}

#[test]
fn each_function_has_its_own_role_with_one_inline_policy() {
    let roles: BTreeSet<&str> = FUNCTIONS.iter().map(|f| role_of(f)).collect();
    assert_eq!(roles.len(), 3, "functions share a role");
    assert_eq!(resources_of_type("AWS::IAM::Role").len(), 3);
    assert!(resources_of_type("AWS::IAM::Policy").is_empty());
    assert!(resources_of_type("AWS::IAM::ManagedPolicy").is_empty());
    for function in FUNCTIONS {
        assert!(
            props(function)["Policies"].is_null(),
            "{function}: SAM policy templates are broader than needed"
        );
        let role = props(role_of(function));
        assert!(role["ManagedPolicyArns"].is_null(), "{function}");
        assert_eq!(role["Policies"].as_array().unwrap().len(), 1, "{function}");
        assert_eq!(
            role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["Service"],
            "lambda.amazonaws.com"
        );
    }
}

#[test]
fn data_permissions_name_their_resources_and_no_more_actions_than_each_function_uses() {
    const DATA: [&str; 4] = ["dynamodb", "s3", "sqs", "sns"];
    for function in FUNCTIONS {
        for s in statements(role_of(function)) {
            let actions = as_list(&s["Action"]);
            let data = actions.iter().any(|a| {
                DATA.iter()
                    .any(|svc| a.as_str().unwrap().starts_with(&format!("{svc}:")))
            });
            for a in &actions {
                assert!(!a.as_str().unwrap().ends_with('*'), "{function}: wildcard action {a}");
            }
            if data {
                assert!(!as_list(&s["Resource"]).contains(&json!("*")), "{function}: {s}");
            }
        }
    }
    let table = get_att("JobsTable", "Arn");
    let job_files = json!({"Fn::Sub": "${BlobBucket.Arn}/jobs/*"});
    let uploads = json!({"Fn::Sub": "${BlobBucket.Arn}/uploads/*"});
    let both = json!([job_files, uploads]);
    let bucket = get_att("BlobBucket", "Arn");
    let queue = get_att("JobQueue", "Arn");
    let dlq = get_att("DeadLetterQueue", "Arn");
    let topic = reference("AlertTopic");
    // GET /jobs queries a client's jobs (and, with authentication off, the days' jobs).
    let list_indexes = json!([
        {"Fn::Sub": "${JobsTable.Arn}/index/by_client"},
        {"Fn::Sub": "${JobsTable.Arn}/index/by_day"},
    ]);
    // The store's `update` is a versioned PutItem, so every function that changes a job needs
    // PutItem; ListBucket lets a missing key answer 404 instead of 403.
    let expected: [(&str, Vec<(&str, &Value)>); 3] = [
        (
            "IntakeFunction",
            vec![
                ("dynamodb:GetItem", &table),
                ("dynamodb:PutItem", &table),
                ("dynamodb:UpdateItem", &table),
                ("dynamodb:Query", &list_indexes),
                ("s3:GetObject", &both),
                ("s3:PutObject", &both),
                ("s3:DeleteObject", &both),
                ("s3:ListBucket", &bucket),
                ("sqs:SendMessage", &queue),
            ],
        ),
        (
            "ProcessorFunction",
            vec![
                ("dynamodb:GetItem", &table),
                ("dynamodb:PutItem", &table),
                ("dynamodb:UpdateItem", &table),
                ("s3:GetObject", &job_files),
                ("s3:PutObject", &job_files),
                ("s3:DeleteObject", &job_files),
                ("s3:ListBucket", &bucket),
                ("sqs:SendMessage", &queue),
                ("sqs:ReceiveMessage", &queue),
                ("sqs:DeleteMessage", &queue),
                ("sqs:ChangeMessageVisibility", &queue),
                ("sqs:GetQueueAttributes", &queue),
                ("sns:Publish", &topic),
            ],
        ),
        (
            "DlqFunction",
            vec![
                ("dynamodb:GetItem", &table),
                ("dynamodb:PutItem", &table),
                ("dynamodb:UpdateItem", &table),
                ("sqs:ReceiveMessage", &dlq),
                ("sqs:DeleteMessage", &dlq),
                ("sqs:ChangeMessageVisibility", &dlq),
                ("sqs:GetQueueAttributes", &dlq),
                ("sns:Publish", &topic),
            ],
        ),
    ];
    for (function, grants) in expected {
        let actual = allowed(role_of(function), &DATA);
        let want: BTreeMap<String, Vec<Value>> = grants
            .into_iter()
            .map(|(action, resource)| (action.to_owned(), as_list(resource)))
            .collect();
        assert_eq!(actual, want, "{function}");
    }
}

// ------------------------------------------------------------------------------- outputs and samconfig

#[test]
fn outputs_name_the_api_url_queues_table_bucket_and_topic() {
    let outputs = &template()["Outputs"];
    for (name, value) in [
        ("JobQueueUrl", reference("JobQueue")),
        ("DeadLetterQueueUrl", reference("DeadLetterQueue")),
        ("JobsTableName", reference("JobsTable")),
        ("BucketName", reference("BlobBucket")),
        ("AlertTopicArn", reference("AlertTopic")),
        ("JobQueueArn", get_att("JobQueue", "Arn")),
        ("DeadLetterQueueArn", get_att("DeadLetterQueue", "Arn")),
    ] {
        assert_eq!(outputs[name]["Value"], value, "output {name}");
    }
    let api = outputs["ApiUrl"]["Value"]["Fn::Sub"].as_str().unwrap();
    assert!(api.starts_with("https://${HttpApi}.execute-api."), "{api}");
}

#[test]
fn samconfig_parses_and_deploys_each_stage_as_its_own_stack() {
    let config = python_json(
        "import json, sys, tomllib\nprint(json.dumps(tomllib.load(open(sys.argv[1], 'rb'))))",
        &root().join("sam/samconfig.toml"),
    );
    assert_eq!(config["version"], 0.1);
    let mut stacks = BTreeSet::new();
    for env in STAGES {
        let deploy = &config[env]["deploy"]["parameters"];
        assert!(deploy.is_object(), "no [{env}.deploy.parameters]");
        let overrides = deploy["parameter_overrides"].as_str().unwrap();
        assert!(
            overrides.split_whitespace().any(|o| o == format!("Stage={env}")),
            "{env}: {overrides}"
        );
        assert_eq!(deploy["capabilities"], "CAPABILITY_IAM", "{env}");
        let stack = config[env]["global"]["parameters"]["stack_name"].as_str().unwrap();
        stacks.insert(stack.to_owned());
    }
    assert_eq!(stacks.len(), 3, "stages share a stack: {stacks:?}");
    // A bare `sam deploy` must land on dev, never on prod.
    let default = config["default"]["deploy"]["parameters"]["parameter_overrides"]
        .as_str()
        .unwrap();
    assert_eq!(default, "Stage=dev");
}
