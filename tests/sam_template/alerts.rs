//! Template checks: alerts: topic, alarms, dashboard.

use crate::support::*;

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
    let alarm = props("ProcessorErrorRateAlarm");
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
        "Throttles",
        "Duration",
        "ReadThrottleEvents",
        "WriteThrottleEvents",
        "5xx",
        "jobs_completed",
        "jobs_failed",
        "stage_duration_seconds",
        "gemini_usd",
    ] {
        assert!(body.contains(metric), "the dashboard does not show {metric}");
    }
    // What CloudWatch receives after substitution must be JSON.
    let substituted = substitute_placeholders(body);
    let parsed: Value = serde_json::from_str(&substituted)
        .unwrap_or_else(|e| panic!("DashboardBody is not JSON after substitution: {e}\n{substituted}"));
    assert!(parsed["widgets"].as_array().is_some_and(|w| w.len() >= 6));
}

#[test]
fn dashboard_shows_the_service_metrics_of_this_stage_only() {
    // Every stage's processor writes namespace Drawings; its dimension `Function` is the
    // function's name, which carries the stack's (the stage's) name.
    let body = props("Dashboard")["DashboardBody"]["Fn::Sub"].as_str().unwrap();
    let searches: Vec<&str> = body.split("SEARCH(").skip(1).collect();
    assert!(searches.len() >= 4, "{body}");
    for search in searches {
        let expression = &search[..search.find(')').unwrap_or(search.len())];
        assert!(
            expression.contains(r#"{Drawings,Function"#) && expression.contains(r#"Function=\"${ProcessorFunction}\""#),
            "a dashboard search is not filtered to this stage's processor: {expression}"
        );
    }
}

#[test]
fn every_function_alarms_on_its_errors_and_any_throttle() {
    let error_alarms = alarms_on("Errors");
    for function in FUNCTIONS {
        let watching: Vec<&str> = error_alarms
            .iter()
            .filter(|(_, a)| {
                alarm_metrics(a).iter().any(|(namespace, name, dims)| {
                    namespace == "AWS/Lambda"
                        && name == "Errors"
                        && dims == &json!([{"Name": "FunctionName", "Value": reference(function)}])
                })
            })
            .map(|(name, _)| *name)
            .collect();
        assert_eq!(watching.len(), 1, "{function}: errors alarms {watching:?}");
        let alarm = props(watching[0]);
        assert_eq!(alarm["ComparisonOperator"], "GreaterThanThreshold", "{function}");
        assert_alerts_topic(alarm);
    }
    let throttles = alarm_on("Throttles");
    let watched: BTreeSet<String> = alarm_metrics(throttles)
        .into_iter()
        .map(|(namespace, name, dims)| {
            assert_eq!((namespace, name), (json!("AWS/Lambda"), json!("Throttles")));
            dims[0]["Value"]["Ref"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(watched, set(&FUNCTIONS), "throttles of every function");
    assert_eq!(throttles["Threshold"], 0, "any throttle alarms");
    assert_alerts_topic(throttles);
}

#[test]
fn intake_5xx_above_five_percent_of_api_requests_alarms() {
    let alarm = props("ApiServerErrorRateAlarm");
    let metrics = alarm_metrics(alarm);
    let api = json!([{"Name": "ApiId", "Value": reference("HttpApi")}]);
    for name in ["5xx", "Count"] {
        assert!(
            metrics.contains(&(json!("AWS/ApiGateway"), json!(name), api.clone())),
            "{name}: {metrics:?}"
        );
    }
    let expression = alarm["Metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["ReturnData"] == true)
        .and_then(|m| m["Expression"].as_str())
        .expect("a returned expression");
    assert!(expression.contains("100 * server_errors / requests"), "{expression}");
    assert_eq!(alarm["Threshold"], 5);
    assert_alerts_topic(alarm);
}

#[test]
fn gemini_spend_above_the_daily_budget_alarms_from_the_processors_cost_metric() {
    let alarm = props("GeminiSpendAlarm");
    // The metric the processor writes as EMF: namespace Drawings, dimension Function (its
    // function name), the cost in dollars.
    assert_eq!(alarm["Namespace"], "Drawings");
    assert_eq!(alarm["MetricName"], drawings_core::ports::Metric::GeminiUsd.name());
    assert_eq!(
        alarm["Dimensions"],
        json!([{"Name": "Function", "Value": reference("ProcessorFunction")}])
    );
    assert_eq!(alarm["Statistic"], "Sum");
    assert_eq!(alarm["Period"], 86400);
    assert_eq!(alarm["Threshold"], reference("GeminiDailyBudgetUsd"));
    assert_eq!(template()["Parameters"]["GeminiDailyBudgetUsd"]["Type"], "Number");
    assert_alerts_topic(alarm);
}

#[test]
fn a_monthly_cost_budget_for_the_stage_tells_the_alert_topic_which_lets_budgets_publish() {
    let budgets = resources_of_type("AWS::Budgets::Budget");
    assert_eq!(budgets.len(), 1);
    let budget = &budgets[0].1["Properties"];
    assert_eq!(budget["Budget"]["BudgetType"], "COST");
    assert_eq!(budget["Budget"]["TimeUnit"], "MONTHLY");
    assert_eq!(
        budget["Budget"]["BudgetLimit"],
        json!({"Amount": reference("MonthlyBudgetUsd"), "Unit": "USD"})
    );
    let filter = budget["Budget"]["CostFilters"]["TagKeyValue"].to_string();
    assert!(
        filter.contains("user:stage$") && filter.contains(r#"{"Ref":"Stage"}"#),
        "{filter}"
    );
    let notifications = budget["NotificationsWithSubscribers"].as_array().unwrap();
    assert!(!notifications.is_empty());
    for n in notifications {
        assert_eq!(
            n["Subscribers"],
            json!([{"SubscriptionType": "SNS", "Address": reference("AlertTopic")}])
        );
    }
    // Budgets and CloudWatch publish as services: the topic's policy must let them.
    let policy = props("AlertTopicPolicy");
    assert_eq!(policy["Topics"], json!([reference("AlertTopic")]));
    let services: BTreeSet<String> = as_list(&policy["PolicyDocument"]["Statement"])
        .iter()
        .filter_map(|s| s["Principal"]["Service"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(services, set(&["budgets.amazonaws.com", "cloudwatch.amazonaws.com"]));
}

#[test]
fn saved_queries_tell_one_jobs_story_failures_by_code_and_the_slowest_stages() {
    let queries: BTreeMap<String, &Value> = resources_of_type("AWS::Logs::QueryDefinition")
        .into_iter()
        .map(|(name, q)| (name.to_owned(), &q["Properties"]))
        .collect();
    assert_eq!(
        queries.keys().cloned().collect::<BTreeSet<_>>(),
        set(&["JobStoryQuery", "FailuresByCodeQuery", "SlowestStagesQuery"])
    );
    for (name, q) in &queries {
        let title = q["Name"]["Fn::Sub"].as_str().unwrap_or_else(|| panic!("{name}: {q}"));
        assert!(
            title.starts_with("${AWS::StackName}/"),
            "{name}: one folder per stack: {title}"
        );
    }
    let logs = |q: &Value| -> BTreeSet<String> {
        q["LogGroupNames"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["Ref"].as_str().unwrap().to_owned())
            .collect()
    };
    let all = set(&["IntakeLogGroup", "ProcessorLogGroup", "DlqLogGroup"]);
    let story = queries["JobStoryQuery"];
    assert_eq!(logs(story), all);
    let text = story["QueryString"].as_str().unwrap();
    assert!(text.contains("filter @message like \"REPLACE_WITH_JOB_ID\""), "{text}");
    assert!(text.contains("sort @timestamp asc"), "{text}");
    let failures = queries["FailuresByCodeQuery"];
    assert_eq!(logs(failures), all);
    assert!(failures["QueryString"].as_str().unwrap().contains("by fields.code"));
    // The slowest-stages query reads the line the pipeline writes when a stage completes.
    let slowest = queries["SlowestStagesQuery"]["QueryString"].as_str().unwrap();
    assert!(slowest.contains(r#"fields.message = "Stage completed.""#), "{slowest}");
    assert!(
        slowest.contains("pct(fields.took_ms, 95)") && slowest.contains("by fields.stage"),
        "{slowest}"
    );
    let core = source_text(&root().join("crates/core/src"));
    assert!(
        core.contains(r#""Stage completed.""#) && core.contains("took_ms"),
        "the pipeline no longer logs \"Stage completed.\" with took_ms; update SlowestStagesQuery"
    );
}

/// Every `.rs` file under `dir`, concatenated.
fn source_text(dir: &std::path::Path) -> String {
    let mut out = String::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.push_str(&source_text(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push_str(&std::fs::read_to_string(&path).unwrap_or_default());
        }
    }
    out
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
