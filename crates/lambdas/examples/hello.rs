//! The smallest `lambda_runtime` function: answers every event with a greeting that echoes
//! it. `benches/lambda_init.rs` measures the real functions' init time against this one,
//! built in the same run with the same profile, so the ratio shows what the functions add
//! on top of the runtime itself.

use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::{Value, json};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| async move {
        Ok::<Value, lambda_runtime::Error>(json!({ "hello": "world", "event": event.payload }))
    }))
    .await
}
