//! The intake function: the API crate's router behind API Gateway (HTTP API), served by
//! `lambda_http`. The same routes as `drawings serve`, on DynamoDB, SQS and S3.

use drawings_api::{AppState, router};
use drawings_lambdas::{Stack, logging};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    logging::init();
    let stack = Stack::from_env().await?;
    stack.warm_up().await;
    let app = router(AppState {
        intake: stack.intake(),
        backends: stack.backends.clone(),
        link_ttl: stack.config.link_ttl,
    });
    lambda_http::run(app).await
}
