//! `GET /openapi.json`: the API described as an OpenAPI 3.1 document, built with utoipa from
//! the code itself.
//!
//! - Paths: each handler carries `#[utoipa::path(...)]`, and the router (`routes.rs`)
//!   registers the handlers through utoipa-axum's `routes!`, which takes the method and path
//!   from that annotation and adds it to the document [`document`] starts: the router serves
//!   exactly the documented routes.
//! - Schemas: derived (`ToSchema`) from the types the handlers serialize: the status view and
//!   its parts in drawings-core (its `openapi` feature), the bodies of this crate.
//! - What every route shares is added once, in [`finish`], from the same constants the
//!   middleware uses: the `x-api-key` security scheme with `401` and `429` on every route
//!   outside [`OPEN_PATHS`], and `500` everywhere.
//!
//! The document is built and serialized once per router, and served like `/health`,
//! without a key: a client needs it to discover the API.

use crate::auth::{API_KEY_HEADER, OPEN_PATHS};
use crate::error::ErrorBody;
use crate::schema::SchemaRef;
use axum::Extension;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use drawings_core::ResultFile;
use utoipa::openapi::path::Operation;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, HeaderBuilder, OpenApi as Document, RefOr, ResponseBuilder, Responses};
use utoipa::{OpenApi, PartialSchema, ToSchema};

/// The name of the security scheme in the document.
const SCHEME: &str = "api_key";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "drawings",
        description = "Asynchronous PDF drawing processing: submit a drawing, poll its job, \
                       download the schedule of the devices it shows. Every error answers \
                       `ErrorBody` with a stable `error.code`."
    ),
    tags(
        (name = "jobs", description = "Submitting, watching and cancelling jobs"),
        (name = "service", description = "Health, metrics and this document")
    )
)]
struct ApiDoc;

/// The document's head (info and tags); the routes add their paths as they are registered.
pub(crate) fn document() -> Document {
    ApiDoc::openapi()
}

/// The serialized document, shared by the requests of one router.
#[derive(Clone)]
pub(crate) struct Served(Bytes);

/// Completes the document the routes collected and serializes it.
pub(crate) fn finish(mut doc: Document) -> Served {
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        SCHEME,
        SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
            API_KEY_HEADER,
            "A key made by `drawings keys create`; every route but /health and /openapi.json \
             needs one when keys are configured.",
        ))),
    );
    let (name, schema) = (ErrorBody::name().into_owned(), ErrorBody::schema());
    components.schemas.entry(name).or_insert(schema);
    for (path, item) in doc.paths.paths.iter_mut() {
        let open = OPEN_PATHS.contains(&path.as_str());
        for operation in operations(item) {
            if open {
                operation.security = Some(Vec::new());
            } else {
                operation.security = Some(vec![SecurityRequirement::new(SCHEME, Vec::<String>::new())]);
                let www_authenticate = (
                    "WWW-Authenticate",
                    String::schema(),
                    "`ApiKey realm=\"drawings\", header=\"x-api-key\"`",
                );
                let retry_after = (
                    "Retry-After",
                    u32::schema(),
                    "Whole seconds until the key may call again.",
                );
                let responses = &mut operation.responses;
                add(
                    responses,
                    401,
                    "`UNAUTHORIZED`: no API key, or one that is not valid.",
                    [www_authenticate],
                );
                add(
                    responses,
                    429,
                    "`RATE_LIMITED`: the key is over its rate limit, or the caller's address failed \
                     to authenticate too often.",
                    [retry_after],
                );
            }
            add(
                &mut operation.responses,
                408,
                "`REQUEST_TIMEOUT`: the request body stalled, or the request took longer than the \
                 server's limit (`drawings serve`).",
                [],
            );
            add(
                &mut operation.responses,
                500,
                "`INTERNAL`: a bug or a backend failure, logged.",
                [],
            );
        }
        if path == "/results/{job_id}/{file}" {
            restrict_file_parameter(item);
        }
    }
    let json = serde_json::to_string(&doc).unwrap_or_else(|e| {
        tracing::error!(error = %e, "The OpenAPI document did not serialize.");
        "{}".to_owned()
    });
    Served(Bytes::from(json))
}

fn operations(item: &mut utoipa::openapi::PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.options,
        &mut item.head,
        &mut item.patch,
        &mut item.trace,
    ]
    .into_iter()
    .filter_map(Option::as_mut)
}

/// Adds an error response answering [`ErrorBody`], unless the route describes that status itself.
fn add<const N: usize>(
    responses: &mut Responses,
    status: u16,
    description: &str,
    headers: [(&str, RefOr<Schema>, &str); N],
) {
    let mut response = ResponseBuilder::new().description(description).content(
        "application/json",
        ContentBuilder::new().schema(Some(ErrorBody::schema_ref())).build(),
    );
    for (name, schema, text) in headers {
        let header = HeaderBuilder::new()
            .schema(Some(schema))
            .description(Some(text))
            .build();
        response = response.header(name, header);
    }
    responses
        .responses
        .entry(status.to_string())
        .or_insert_with(|| RefOr::T(response.build()));
}

/// `{file}` takes one of the [`ResultFile`] names; anything else is a `404`.
fn restrict_file_parameter(item: &mut utoipa::openapi::PathItem) {
    for operation in operations(item) {
        for parameter in operation.parameters.iter_mut().flatten() {
            if let RefOr::T(parameter) = parameter
                && parameter.name == "file"
            {
                parameter.schema = Some(
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .enum_values(Some(ResultFile::ALL.map(ResultFile::name)))
                        .into(),
                );
            }
        }
    }
}

/// This document.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "service",
    operation_id = "openapi",
    responses((status = 200, description = "The OpenAPI 3.1 document of this API.", body = Object))
)]
pub(crate) async fn openapi_json(Extension(Served(json)): Extension<Served>) -> Response {
    let mut response = (
        [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        json,
    )
        .into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=300"));
    response
}
