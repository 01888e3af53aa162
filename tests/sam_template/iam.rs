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
