//! Reading the template and samconfig through the pinned tools in `.venv`, and small
//! accessors the checks share.
#![allow(dead_code)]

pub use serde_json::{Value, json};
pub use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
pub use std::process::{Command, Output};
use std::sync::OnceLock;

pub const STAGES: [&str; 3] = ["dev", "staging", "prod"];
pub const FUNCTIONS: [&str; 3] = ["IntakeFunction", "ProcessorFunction", "DlqFunction"];

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn template_path() -> PathBuf {
    root().join("sam/template.yaml")
}

/// A tool from `.venv`; a missing one fails the test with what to do about it.
pub fn venv_tool(name: &str) -> PathBuf {
    let path = root().join(".venv/bin").join(name);
    assert!(
        path.exists(),
        "{} is missing: run scripts/setup.sh (it installs cfn-lint 1.53.3 into .venv)",
        path.display()
    );
    path
}

pub fn run(cmd: &mut Command) -> Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("could not run {cmd:?}: {e} (run scripts/setup.sh)"))
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs a Python snippet from `.venv` that prints JSON, and parses what it printed.
pub fn python_json(script: &str, arg: &Path) -> Value {
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
pub fn template() -> &'static Value {
    static TEMPLATE: OnceLock<Value> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        python_json(
            "import json, sys\nfrom cfnlint.decode import cfn_yaml\nprint(json.dumps(cfn_yaml.load(sys.argv[1])))",
            &template_path(),
        )
    })
}

pub fn resource(name: &str) -> &'static Value {
    let r = &template()["Resources"][name];
    assert!(r.is_object(), "resource {name} is missing");
    r
}

pub fn props(name: &str) -> &'static Value {
    &resource(name)["Properties"]
}

pub fn resources_of_type(kind: &str) -> Vec<(&'static str, &'static Value)> {
    template()["Resources"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, r)| r["Type"] == kind)
        .map(|(n, r)| (n.as_str(), r))
        .collect()
}

pub fn mapping(stage: &str, key: &str) -> i64 {
    template()["Mappings"]["StageConfig"][stage][key]
        .as_i64()
        .unwrap_or_else(|| panic!("StageConfig.{stage}.{key} is not a number"))
}

/// The value of a property in `stage`: a literal, or `!FindInMap [StageConfig, !Ref Stage, key]`.
pub fn in_stage(value: &Value, stage: &str) -> i64 {
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

pub fn get_att(resource: &str, attribute: &str) -> Value {
    json!({"Fn::GetAtt": [resource, attribute]})
}

pub fn reference(name: &str) -> Value {
    json!({"Ref": name})
}

pub fn as_list(value: &Value) -> Vec<Value> {
    match value {
        Value::Array(items) => items.clone(),
        other => vec![other.clone()],
    }
}

/// A function's property, falling back to `Globals.Function`.
pub fn function_setting(function: &str, key: &str) -> Value {
    let own = &props(function)[key];
    if own.is_null() {
        template()["Globals"]["Function"][key].clone()
    } else {
        own.clone()
    }
}

/// A function's environment, `Globals` merged under its own (as SAM merges them).
pub fn environment(function: &str) -> BTreeMap<String, Value> {
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

pub fn events_of(function: &str, kind: &str) -> Vec<&'static Value> {
    props(function)["Events"]
        .as_object()
        .unwrap_or_else(|| panic!("{function} has no events"))
        .values()
        .filter(|e| e["Type"] == kind)
        .map(|e| &e["Properties"])
        .collect()
}

/// The one role of a function, by the `!GetAtt Role.Arn` it names.
pub fn role_of(function: &str) -> &'static str {
    let role = &props(function)["Role"]["Fn::GetAtt"];
    let name = role[0]
        .as_str()
        .unwrap_or_else(|| panic!("{function} has no explicit Role (SAM's generated roles are too broad)"));
    assert_eq!(role[1], "Arn");
    assert_eq!(resource(name)["Type"], "AWS::IAM::Role");
    name
}

pub fn statements(role: &str) -> Vec<Value> {
    let policies = props(role)["Policies"].as_array().unwrap();
    policies
        .iter()
        .flat_map(|p| as_list(&p["PolicyDocument"]["Statement"]))
        .collect()
}

/// Every `action -> resources` a role allows, for actions of the given services.
pub fn allowed(role: &str, services: &[&str]) -> BTreeMap<String, Vec<Value>> {
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

pub fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// The alarms on `metric` (in any namespace), by logical id.
pub fn alarms_on(metric: &str) -> Vec<(&'static str, &'static Value)> {
    resources_of_type("AWS::CloudWatch::Alarm")
        .into_iter()
        .filter(|(_, a)| {
            a["Properties"]["MetricName"] == metric
                || a["Properties"]["Metrics"]
                    .as_array()
                    .is_some_and(|ms| ms.iter().any(|m| m["MetricStat"]["Metric"]["MetricName"] == metric))
        })
        .map(|(name, a)| (name, &a["Properties"]))
        .collect()
}

/// The one alarm on `metric`.
pub fn alarm_on(metric: &str) -> &'static Value {
    let found = alarms_on(metric);
    assert_eq!(found.len(), 1, "expected one alarm on {metric}, found {}", found.len());
    found[0].1
}

/// The metrics an alarm reads, `(namespace, name, dimensions)`, whether it watches one metric
/// or several through metric math.
pub fn alarm_metrics(alarm: &Value) -> Vec<(Value, Value, Value)> {
    match alarm["Metrics"].as_array() {
        Some(metrics) => metrics
            .iter()
            .filter(|m| m["MetricStat"].is_object())
            .map(|m| {
                let metric = &m["MetricStat"]["Metric"];
                (
                    metric["Namespace"].clone(),
                    metric["MetricName"].clone(),
                    metric["Dimensions"].clone(),
                )
            })
            .collect(),
        None => vec![(
            alarm["Namespace"].clone(),
            alarm["MetricName"].clone(),
            alarm["Dimensions"].clone(),
        )],
    }
}

pub fn assert_alerts_topic(alarm: &Value) {
    assert_eq!(alarm["AlarmActions"], json!([reference("AlertTopic")]), "{alarm}");
}
