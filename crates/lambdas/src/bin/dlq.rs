//! The dlq function: triggered by the dead-letter queue, marks each job failed with the
//! reason and its receive history and publishes one alert per job.

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use drawings_lambdas::handlers::dead_letter_event;
use drawings_lambdas::{AwsStack, logging};
use lambda_runtime::{LambdaEvent, service_fn};
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let config = logging::init_with_config()?;
    let stack = AwsStack::from_config(config).await;
    let handler = Arc::new(stack.dead_letter_handler());
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| {
        let handler = handler.clone();
        async move { Ok::<SqsBatchResponse, lambda_runtime::Error>(dead_letter_event(&handler, event.payload).await) }
    }))
    .await
}
