//! The intake function: the API crate's router behind API Gateway (HTTP API), served by
//! `lambda_http`. The same routes as `drawings serve`, on DynamoDB, SQS and S3.
//!
//! The API key hashes are read once per process from the SSM parameter named by
//! `DRAWINGS_API_KEYS_PARAMETER`; without it (or with no key in it) the function serves no
//! route: each request answers `503 SERVICE_UNAVAILABLE` (the cause is logged, and the next
//! request reads again), unless `DRAWINGS_AUTH=off` opens the API explicitly.
//!
//! Init awaits nothing but the configuration, as in the processor function: the SDK clients,
//! the keys' SSM read and the router (whose OpenAPI document is built from every handler's
//! annotation) are assembled by a task spawned before the runtime starts, beside its first
//! poll for an event; the first request awaits the same assembly ([`OnceCell`]).
//!
//! API Gateway's `sourceIp` goes on each request as its `ConnectInfo`, the peer address the
//! router counts failed authentications against (as `drawings serve` does with the socket's).

use anyhow::{Context, bail};
use axum::Router;
use axum::extract::{ConnectInfo, Request};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use drawings_api::{ApiError, ApiKeys, AppState, Auth, router_with_auth};
use drawings_core::ErrorCode;
use drawings_lambdas::config::AccessConfig;
use drawings_lambdas::{AwsStack, LambdaConfig, logging};
use lambda_http::RequestExt;
use lambda_http::request::RequestContext;
use lambda_http::tower::ServiceExt;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use tokio::sync::OnceCell;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let config = logging::init_with_config()?;
    let access = AccessConfig::from_settings(&config.settings)?;
    let app = Arc::new(OnceCell::<Router>::new());
    // Beside the runtime's start and first poll, not before it; see the module's docs.
    tokio::spawn({
        let (app, config, access) = (app.clone(), config.clone(), access.clone());
        async move {
            if let Err(e) = app.get_or_try_init(|| assemble(config, access)).await {
                tracing::error!(error = %e, "Cannot assemble the API; the first request tries again.");
            }
        }
    });
    lambda_http::run(lambda_http::service_fn(move |request: lambda_http::Request| {
        let (app, config, access) = (app.clone(), config.clone(), access.clone());
        async move {
            let response = match app.get_or_try_init(|| assemble(config, access)).await {
                Ok(router) => router
                    .clone()
                    .oneshot(request)
                    .await
                    .unwrap_or_else(|never| match never {}),
                Err(e) => {
                    tracing::error!(error = %e, "Cannot assemble the API; answering 503.");
                    let message = "the API cannot serve yet; try again later";
                    ApiError::new(StatusCode::SERVICE_UNAVAILABLE, ErrorCode::ServiceUnavailable, message)
                        .into_response()
                }
            };
            Ok::<_, lambda_http::Error>(response)
        }
    }))
    .await
}

/// The router over the AWS stack, behind the keys `access` names.
async fn assemble(config: LambdaConfig, access: AccessConfig) -> anyhow::Result<Router> {
    let stack = AwsStack::from_config(config).await;
    let auth = auth(&stack, &access).await?;
    let state = AppState {
        intake: stack.intake(),
        ports: stack.ports.clone(),
        link_ttl: stack.config.link_ttl,
        metrics: None,
        status_cache: Default::default(),
    };
    Ok(router_with_auth(state, auth).layer(axum::middleware::map_request(with_source_address)))
}

/// Puts API Gateway's `sourceIp` on the request as its peer address; a request without one
/// (or with one that does not parse) goes without, and is not counted.
async fn with_source_address(mut request: Request) -> Request {
    let source = match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => context.http.source_ip.as_deref(),
        _ => None,
    };
    if let Some(ip) = source.and_then(|ip| ip.parse::<IpAddr>().ok()) {
        request.extensions_mut().insert(ConnectInfo(SocketAddr::new(ip, 0)));
    }
    request
}

async fn auth(stack: &AwsStack, access: &AccessConfig) -> anyhow::Result<Auth> {
    let Some(parameter) = &access.keys_parameter else {
        tracing::warn!("AUTHENTICATION IS OFF (DRAWINGS_AUTH=off): anyone with the URL can submit and read every job.");
        return Ok(Auth::off());
    };
    let document = stack.secure_parameter(parameter, "the API keys").await?;
    let keys = ApiKeys::from_json(document.as_bytes()).with_context(|| format!("SSM parameter {parameter}"))?;
    if keys.is_empty() {
        bail!("SSM parameter {parameter} holds no API keys: the intake serves no request without them");
    }
    tracing::info!(keys = keys.len(), "API keys loaded.");
    Ok(Auth::with_limits(keys, access.rate_limit, access.auth_failure_limit))
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequestContext;

    #[tokio::test]
    async fn api_gateways_source_ip_becomes_the_requests_peer_address() {
        let mut context = ApiGatewayV2httpRequestContext::default();
        context.http.source_ip = Some("203.0.113.9".into());
        let request =
            Request::new(axum::body::Body::empty()).with_request_context(RequestContext::ApiGatewayV2(context));
        let request = with_source_address(request).await;
        let ConnectInfo(peer) = request.extensions().get::<ConnectInfo<SocketAddr>>().unwrap();
        assert_eq!(peer.ip(), "203.0.113.9".parse::<IpAddr>().unwrap());

        let bare = with_source_address(Request::new(axum::body::Body::empty())).await;
        assert!(bare.extensions().get::<ConnectInfo<SocketAddr>>().is_none());
    }
}
