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
