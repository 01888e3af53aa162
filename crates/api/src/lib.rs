//! The drawings HTTP API: an axum `Router` over the core's intake and status services. The
//! same router runs under `drawings serve` and under the intake Lambda (`lambda_http`).
//!
//! Every route but `GET /health` and `GET /openapi.json` sits behind [`Auth`]: with keys, a
//! request needs one in `x-api-key` and sees only its client's jobs (see the `auth` module).
//! `GET /openapi.json` describes the API; the router is built from the same annotated
//! handlers as the document (see the `openapi` module). `drawings serve` serves the router
//! through [`edge::serve`], which bounds connections and the time a client may take.
#![warn(missing_docs)]

mod auth;
mod cancel;
pub mod edge;
mod error;
mod extract;
mod jobs;
mod keys;
mod labels;
mod log_fields;
mod metrics;
mod openapi;
mod pages;
mod payload;
mod prometheus;
mod rate_limit;
mod request_id;
mod results;
mod routes;
mod schema;
mod state;
mod status_cache;
mod submit;
pub mod ui;
mod uploads;

pub use auth::{API_KEY_HEADER, Auth, Caller};
pub use error::ApiError;
pub use jobs::{DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT};
pub use keys::{ApiKeys, KEY_PREFIX, KeyRecord, KeysError, generate_key, hash_key, valid_client_name};
pub use labels::MAX_LABEL_BYTES;
pub use log_fields::JsonSpanFields;
pub use payload::{LAMBDA_DIRECT_UPLOAD_BYTES, LAMBDA_EVENT_ENVELOPE_BYTES, LAMBDA_PAYLOAD_BYTES};
pub use prometheus::PrometheusRegistry;
pub use rate_limit::RateLimit;
pub use request_id::{REQUEST_ID_HEADER, current_request_id};
pub use results::{INLINE_RESULT_MAX_BYTES, REDIRECT_TTL};
pub use routes::{router, router_with_auth};
pub use state::AppState;
pub use status_cache::StatusCache;
