//! How the fake reads a call's credentials and its query string, as the service does: the
//! key in `x-goog-api-key` or in `?key=`. Every route module uses it; it uses none of them.

use super::Shared;
use super::envelope::ApiError;
use axum::extract::Query;
use axum::http::{HeaderMap, Uri};
use std::collections::HashMap;

/// The query string as a map; a malformed one reads as empty rather than failing the call.
pub(crate) fn query(uri: &Uri) -> HashMap<String, String> {
    Query::<HashMap<String, String>>::try_from_uri(uri)
        .map(|q| q.0)
        .unwrap_or_default()
}

pub(crate) fn sent_key(headers: &HeaderMap, query: &HashMap<String, String>) -> Option<String> {
    headers
        .get("x-goog-api-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or_else(|| query.get("key").cloned())
}

/// Accepts the configured key in the header or in `?key=`; anything else is the service's
/// 400 API_KEY_INVALID (not a 401).
pub(crate) fn authorize(shared: &Shared, headers: &HeaderMap, query: &HashMap<String, String>) -> Result<(), ApiError> {
    let expected = shared.options.api_key.as_str();
    let header_ok = headers.get("x-goog-api-key").and_then(|v| v.to_str().ok()) == Some(expected);
    let query_ok = query.get("key").map(String::as_str) == Some(expected);
    if header_ok || query_ok {
        Ok(())
    } else {
        Err(ApiError::api_key_invalid())
    }
}
