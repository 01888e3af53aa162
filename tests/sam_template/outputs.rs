//! Template checks: outputs and samconfig.

use crate::support::*;

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

#[test]
fn each_stage_is_tagged_with_its_name_which_the_cost_budget_filters_on() {
    let config = python_json(
        "import json, sys, tomllib\nprint(json.dumps(tomllib.load(open(sys.argv[1], 'rb'))))",
        &root().join("sam/samconfig.toml"),
    );
    for env in STAGES {
        let tags = config[env]["deploy"]["parameters"]["tags"].as_str().unwrap_or_default();
        assert!(
            tags.split_whitespace().any(|t| t == format!("stage={env}")),
            "{env}: the budget counts resources tagged stage={env}: {tags:?}"
        );
    }
    for output in [
        "SecretsKeyAlias",
        "GeminiKeyParameter",
        "ApiKeysParameter",
        "Architecture",
    ] {
        assert!(template()["Outputs"][output]["Value"].is_object(), "output {output}");
    }
}
