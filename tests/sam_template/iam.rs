//! Template checks: secrets and least-privilege IAM.

use crate::support::*;

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
        json!({"Fn::Sub": "${SsmPrefix}/${Stage}/gemini-api-key"})
    );
    assert_eq!(template()["Parameters"]["SsmPrefix"]["Default"], "/drawings");
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
        "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${SsmPrefix}/${Stage}/gemini-api-key"});
    let ssm = allowed(role, &["ssm"]);
    assert_eq!(ssm.keys().cloned().collect::<BTreeSet<_>>(), set(&["ssm:GetParameter"]));
    assert_eq!(ssm["ssm:GetParameter"], vec![parameter_arn.clone()]);
    let decrypt: Vec<Value> = statements(role)
        .into_iter()
        .filter(|s| as_list(&s["Action"]).contains(&json!("kms:Decrypt")))
        .collect();
    assert_eq!(decrypt.len(), 1);
    assert_eq!(
        decrypt[0]["Resource"],
        get_att("SecretsKey", "Arn"),
        "only the stack's key"
    );
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
fn api_keys_are_read_by_the_intake_alone_from_the_stages_ssm_parameter() {
    assert_eq!(
        environment("IntakeFunction")["DRAWINGS_API_KEYS_PARAMETER"],
        json!({"Fn::Sub": "${SsmPrefix}/${Stage}/api-keys"})
    );
    for other in ["ProcessorFunction", "DlqFunction"] {
        assert!(
            !environment(other).contains_key("DRAWINGS_API_KEYS_PARAMETER"),
            "{other}"
        );
    }

    let role = role_of("IntakeFunction");
    let parameter_arn = json!({"Fn::Sub":
        "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${SsmPrefix}/${Stage}/api-keys"});
    let ssm = allowed(role, &["ssm"]);
    assert_eq!(ssm.keys().cloned().collect::<BTreeSet<_>>(), set(&["ssm:GetParameter"]));
    assert_eq!(ssm["ssm:GetParameter"], vec![parameter_arn.clone()]);
    let decrypt: Vec<Value> = statements(role)
        .into_iter()
        .filter(|s| as_list(&s["Action"]).contains(&json!("kms:Decrypt")))
        .collect();
    assert_eq!(decrypt.len(), 1);
    assert_eq!(
        decrypt[0]["Resource"],
        get_att("SecretsKey", "Arn"),
        "only the stack's key"
    );
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
fn every_secret_is_named_for_its_stage_and_kept_under_the_stacks_own_kms_key() {
    // The stage is part of every secret's name by construction, so a dev key is never
    // looked up by staging or prod.
    let prefix = &template()["Parameters"]["SsmPrefix"];
    assert_eq!(prefix["Type"], "String");
    for (function, variable) in [
        ("ProcessorFunction", "DRAWINGS_GEMINI_KEY_PARAMETER"),
        ("IntakeFunction", "DRAWINGS_API_KEYS_PARAMETER"),
    ] {
        let name = environment(function)[variable]["Fn::Sub"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(
            name.starts_with("${SsmPrefix}/${Stage}/"),
            "{function} {variable}={name}"
        );
    }
    for (name, p) in template()["Parameters"].as_object().unwrap() {
        assert!(
            !name.ends_with("ParameterName"),
            "{name}: a secret's name must not drop the stage"
        );
        let default = p["Default"].as_str().unwrap_or_default();
        assert!(
            !default.contains("api-key"),
            "{name} defaults to a stage-less secret {default}"
        );
    }

    let key = resource("SecretsKey");
    assert_eq!(key["Type"], "AWS::KMS::Key");
    assert_eq!(key["Properties"]["EnableKeyRotation"], true);
    assert_eq!(
        key["DeletionPolicy"], "Retain",
        "parameters under a deleted key are lost"
    );
    assert_eq!(props("SecretsKeyAlias")["TargetKeyId"], reference("SecretsKey"));
    assert_eq!(
        template()["Outputs"]["SecretsKeyAlias"]["Value"],
        reference("SecretsKeyAlias")
    );
    // No role may use any other key (no aws/ssm, no key/*), nor the key for anything else.
    for function in FUNCTIONS {
        for (action, resources) in allowed(role_of(function), &["kms"]) {
            assert_eq!(action, "kms:Decrypt", "{function}");
            assert_eq!(resources, vec![get_att("SecretsKey", "Arn")], "{function}");
        }
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
    // PutItem; its only UpdateItem is the processor's lease (`acquire_lease`); ListBucket
    // lets a missing key answer 404 instead of 403.
    let expected: [(&str, Vec<(&str, &Value)>); 3] = [
        (
            "IntakeFunction",
            vec![
                ("dynamodb:GetItem", &table),
                ("dynamodb:PutItem", &table),
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

#[test]
fn dynamodb_update_item_is_only_the_processors_lease() {
    // Why only the processor's role holds dynamodb:UpdateItem: the AWS job store issues it in
    // `acquire_lease` alone, and only the pipeline (the processor) takes a lease. moto does
    // not enforce IAM, so this is the check that a new UpdateItem gets its grant.
    let store = source_files(&root().join("crates/aws/src"));
    let mut found = 0;
    for (path, text) in &store {
        for (at, _) in text.match_indices(".update_item()") {
            let function = text[..at].rsplit("async fn ").next().unwrap_or_default();
            assert!(
                function.starts_with("acquire_lease"),
                "{}: UpdateItem outside acquire_lease; grant it to the roles that call it",
                path.display()
            );
            found += 1;
        }
    }
    assert!(
        found >= 1,
        "no UpdateItem in the AWS store any more; drop the processor's grant"
    );
    for (path, text) in source_files(&root().join("crates")) {
        let callers = text.matches(".acquire_lease(").count();
        let in_pipeline = path.components().any(|c| c.as_os_str() == "pipeline");
        let test_support = path
            .components()
            .any(|c| c.as_os_str() == "testkit" || c.as_os_str() == "tests");
        assert!(
            callers == 0 || in_pipeline || test_support,
            "{} takes a lease: its function's role needs dynamodb:UpdateItem",
            path.display()
        );
    }
}

/// `(path, text)` of every `.rs` file under `dir`.
fn source_files(dir: &std::path::Path) -> Vec<(std::path::PathBuf, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != "target") {
                out.extend(source_files(&path));
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            out.push((path, text));
        }
    }
    out
}
