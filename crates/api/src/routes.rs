//! The router: every documented route registered from its handler's `#[utoipa::path]`
//! (utoipa-axum's `routes!` takes the method and path from that annotation, so the router
//! serves exactly the documented routes), then the layers every route shares (request id,
//! authentication, the document), the fallbacks, and the web UI. `GET /health` lives here too:
//! it is the router's own answer, not a job route.

use crate::auth::{self, Auth};
use crate::error::ApiError;
use crate::state::AppState;
use crate::{cancel, jobs, metrics, openapi, pages, request_id, results, submit, ui, uploads};
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::{Extension, Router};
use drawings_core::ErrorCode;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

/// The API's routes with authentication off ([`Auth::off`]): for tests and hosts that
/// authenticate in front. `drawings serve` and the intake Lambda use [`router_with_auth`].
pub fn router(state: AppState) -> Router {
    router_with_auth(state, Auth::off())
}

/// The API's routes behind `auth`.
pub fn router_with_auth(state: AppState, auth: Auth) -> Router {
    let auth_mode = if auth.is_on() { AuthMode::On } else { AuthMode::Off };
    // Multipart bodies carry a little framing around the file.
    let body_limit = state.intake.config().max_upload_bytes as usize + 64 * 1024;
    let (routes, document) = routes(body_limit).split_for_parts();
    let blobs = state.ports.blobs.clone();
    routes
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, "no such route") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                ErrorCode::InvalidRequest,
                "method not allowed on this route",
            )
        })
        .layer(Extension(openapi::finish(document)))
        .layer(Extension(auth_mode))
        .layer(axum::middleware::from_fn_with_state(auth, auth::authenticate))
        .layer(axum::middleware::from_fn(request_id::with_request_id))
        .with_state(state)
        .merge(ui::router(blobs))
}

/// Whether the server asks for API keys.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
enum AuthMode {
    /// Every route but `/health` and `/openapi.json` needs `x-api-key`.
    On,
    /// No keys: every caller sees every job (only on a loopback address).
    Off,
}

/// The body of `GET /health`.
#[derive(Serialize, ToSchema)]
struct Health {
    /// Always `ok`.
    #[schema(value_type = String, example = "ok")]
    status: &'static str,
    /// The server's version.
    #[schema(value_type = String)]
    version: &'static str,
    /// Whether API keys are required.
    auth: AuthMode,
}

/// Liveness, open without a key.
#[utoipa::path(
    get,
    path = "/health",
    tag = "service",
    operation_id = "health",
    responses((status = 200, description = "The server is up.", body = Health))
)]
async fn health(Extension(auth): Extension<AuthMode>) -> axum::Json<Health> {
    axum::Json(Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
        auth,
    })
}

/// The API's routes, each registered from its handler's `#[utoipa::path]`. A multipart
/// upload carries a little framing around the file, so its body limit is `max_upload_bytes`
/// plus some.
fn routes(body_limit: usize) -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::document())
        .routes(routes!(submit::process_drawing).layer(DefaultBodyLimit::max(body_limit)))
        .routes(routes!(uploads::create_upload))
        .routes(routes!(results::status))
        .routes(routes!(results::result_file))
        .routes(routes!(pages::page_list))
        .routes(routes!(pages::page_image))
        .routes(routes!(pages::page_tile))
        .routes(routes!(jobs::list_jobs))
        .routes(routes!(cancel::cancel_job))
        .routes(routes!(metrics::metrics))
        .routes(routes!(health))
        .routes(routes!(openapi::openapi_json))
}
