//! The intake function: the API crate's router behind API Gateway (HTTP API), served by
//! `lambda_http`. The same routes as `drawings serve`, on DynamoDB, SQS and S3.
//!
//! The API key hashes are read once, in init, from the SSM parameter named by
//! `DRAWINGS_API_KEYS_PARAMETER`; without it (or with no key in it) the function does not
//! start, unless `DRAWINGS_AUTH=off` opens the API explicitly.

use anyhow::{Context, bail};
use drawings_api::{ApiKeys, AppState, Auth, router_with_auth};
use drawings_lambdas::config::AccessConfig;
use drawings_lambdas::stack::secure_parameter;
use drawings_lambdas::{Stack, logging};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    logging::init();
    let access = AccessConfig::from_env()?;
    let stack = Stack::from_env().await?;
    let auth = auth(&access).await?;
    stack.warm_up().await;
    let app = router_with_auth(
        AppState {
            intake: stack.intake(),
            backends: stack.backends.clone(),
            link_ttl: stack.config.link_ttl,
            metrics: None,
        },
        auth,
    );
    lambda_http::run(app).await
}

async fn auth(access: &AccessConfig) -> anyhow::Result<Auth> {
    let Some(parameter) = &access.keys_parameter else {
        tracing::warn!("AUTHENTICATION IS OFF (DRAWINGS_AUTH=off): anyone with the URL can submit and read every job.");
        return Ok(Auth::off());
    };
    let document = secure_parameter(parameter, "the API keys").await?;
    let keys = ApiKeys::from_json(document.as_bytes()).with_context(|| format!("SSM parameter {parameter}"))?;
    if keys.is_empty() {
        bail!("SSM parameter {parameter} holds no API keys: the intake does not serve without them");
    }
    tracing::info!(keys = keys.len(), "API keys loaded.");
    Ok(Auth::with_keys(keys, access.rate_limit))
}
