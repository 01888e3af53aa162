//! `GET /results/{job_id}/pages`, `GET /results/{job_id}/pages/{page}` and
//! `GET /results/{job_id}/pages/{page}/tiles/{tile}`: the rendered page images of a completed
//! job, its full-resolution tiles where the pages were cut into some (`DRAWINGS_RENDER_TILES`),
//! and the geometry the web UI needs to draw component boxes over them and to zoom into the
//! tiles (a bbox is in PDF points; the image's resolution may have been lowered to fit the
//! pixel cap, so only the page's size in points says how to scale, and each tile says where
//! it sits in points).
//!
//! Scoped like the other result routes: another client's job, a malformed id or an unknown
//! page is a 404, a job that has not completed a 409. The images are the ones
//! `pdf_processing` stored; nothing is rendered per request. An image too big for the intake
//! Lambda's response is a `307` to a presigned GET, by the same rule as a result file
//! ([`crate::results::stored_file`]).

use crate::auth::Caller;
use crate::error::ApiError;
use crate::error::ErrorBody;
use crate::extract::{load_own_job, path_params};
use crate::results::{Stored, stored_file};
use crate::state::AppState;
use axum::Extension;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use drawings_core::ports::{Inspection, TileManifestEntry};
use drawings_core::{ErrorClass, ErrorCode, Job, JobStatus};
use futures::future::try_join_all;
use serde::Serialize;
use utoipa::ToSchema;

/// The body of `GET /results/{job_id}/pages`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct PageList {
    /// Every page of the drawing, in order.
    pub pages: Vec<PageEntry>,
}

/// One page: its size and where its image is.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct PageEntry {
    /// 1-based page number, as a component's `page`.
    pub page: u32,
    /// Width of the upright page in points (the image spans it).
    pub width_pt: f32,
    /// Height of the upright page in points.
    pub height_pt: f32,
    /// The image's path on this API.
    pub image: String,
    /// The page's full-resolution tiles, covering it with some overlap; empty when the page
    /// was not cut into tiles. A viewer zoomed past the image's resolution shows these.
    pub tiles: Vec<TileEntry>,
}

/// One tile of a page: where it sits on the page, and where its image is.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct TileEntry {
    /// 1-based tile number within its page.
    pub tile: u32,
    /// Left edge in points from the page's left.
    pub x_pt: f32,
    /// Top edge in points from the page's top.
    pub y_pt: f32,
    /// Width in points.
    pub width_pt: f32,
    /// Height in points.
    pub height_pt: f32,
    /// The tile image's path on this API.
    pub image: String,
}

/// The job, once it has completed; a 409 before.
async fn completed_job(state: &AppState, caller: &Caller, raw_id: &str) -> Result<Job, ApiError> {
    let job = load_own_job(state, caller, raw_id).await?;
    if job.status != JobStatus::Completed {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            ErrorCode::ResultNotReady,
            format!(
                "job {} is {}; page images are served once it has completed",
                job.id,
                job.status.as_str()
            ),
        ));
    }
    Ok(job)
}

#[utoipa::path(
    get,
    path = "/results/{job_id}/pages",
    tag = "jobs",
    operation_id = "result_pages",
    summary = "The pages of a completed job: size in points and image link",
    params(("job_id" = String, Path, description = "The job's id.")),
    responses(
        (status = 200, description = "The pages.", body = PageList),
        (status = 404, description = "`NOT_FOUND`: no such job, or another client's job.", body = ErrorBody),
        (status = 409, description = "`RESULT_NOT_READY`: the job has not completed.", body = ErrorBody),
        (status = 503, description = "`SERVICE_UNAVAILABLE`: a backend is down; retry.", body = ErrorBody,
            headers(("Retry-After" = u32, description = "Seconds to wait."))),
    )
)]
pub(crate) async fn page_list(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    job_id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let job_id = path_params(job_id)?;
    let job = completed_job(&state, &caller, &job_id).await?;
    let body = state.ports.blobs.get(&job.id.files().inspection()).await?;
    let inspection: Inspection = serde_json::from_slice(&body).map_err(|e| {
        tracing::error!(job_id = %job.id, error = %e, "inspect.json does not parse.");
        ApiError::internal()
    })?;
    let tiles = try_join_all(inspection.pages.iter().map(|p| page_tiles(&state, &job, p.index))).await?;
    let pages = inspection
        .pages
        .iter()
        .zip(tiles)
        .map(|(p, tiles)| PageEntry {
            page: p.index + 1,
            width_pt: p.width_pt,
            height_pt: p.height_pt,
            image: format!("/results/{}/pages/{}", job.id, p.index + 1),
            tiles,
        })
        .collect();
    Ok(axum::Json(PageList { pages }).into_response())
}

/// The tiles of page `index` (0-based) from its manifest; none without one.
async fn page_tiles(state: &AppState, job: &Job, index: u32) -> Result<Vec<TileEntry>, ApiError> {
    let body = match state.ports.blobs.get(&job.id.files().page_tiles_manifest(index)).await {
        Ok(body) => body,
        Err(e) if e.class() == ErrorClass::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e.into()),
    };
    let manifest: Vec<TileManifestEntry> = serde_json::from_slice(&body).map_err(|e| {
        tracing::error!(job_id = %job.id, page = index + 1, error = %e, "A tile manifest does not parse.");
        ApiError::internal()
    })?;
    let tiles = manifest.iter().enumerate().map(|(k, t)| {
        let points = |px: u32| px as f32 * 72.0 / t.dpi;
        TileEntry {
            tile: k as u32 + 1,
            x_pt: points(t.x_px),
            y_pt: points(t.y_px),
            width_pt: points(t.width_px),
            height_pt: points(t.height_px),
            image: format!("/results/{}/pages/{}/tiles/{}", job.id, index + 1, k + 1),
        }
    });
    Ok(tiles.collect())
}

/// A 1-based number from a path; anything else is the same 404 as a missing `what`, with
/// the envelope (axum's own rejection would not carry it).
fn ordinal(raw: &str, what: &str) -> Result<u32, ApiError> {
    match raw.parse() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(ApiError::not_found(what)),
    }
}

/// The PNG at `key` as the answer: inline with the headers of an image that never changes,
/// or, when too big for the intake Lambda's response, a `307` to a presigned GET (the rule of
/// [`crate::results::stored_file`]).
async fn png_answer(state: &AppState, key: &str, what: &str) -> Result<Response, ApiError> {
    let png = match stored_file(state, key, what).await? {
        Stored::Inline(png) => png,
        Stored::Redirect(response) => return Ok(response),
    };
    let mut response = (StatusCode::OK, png).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/png"));
    // A completed job's images never change; private: they are one client's.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=3600"));
    Ok(response)
}

#[utoipa::path(
    get,
    path = "/results/{job_id}/pages/{page}",
    tag = "jobs",
    operation_id = "result_page_image",
    summary = "A page image of a completed job",
    params(
        ("job_id" = String, Path, description = "The job's id."),
        ("page" = u32, Path, description = "1-based page number, as a component's `page`."),
    ),
    responses(
        (status = 200, description = "The rendered page.", content((crate::schema::Binary = "image/png"))),
        (status = 307, description = "On AWS, an image over 4,669,440 bytes: fetch it from `Location`, a \
            presigned S3 GET valid for 5 minutes (follow the redirect; send no API key there).", headers(
            ("Location" = String, description = "The presigned GET of the image."),
            ("Cache-Control" = String, description = "`no-store`: the URL is a credential."),
        )),
        (status = 404, description = "`NOT_FOUND`: no such job or page, or another client's job.", body = ErrorBody),
        (status = 409, description = "`RESULT_NOT_READY`: the job has not completed.", body = ErrorBody),
        (status = 503, description = "`SERVICE_UNAVAILABLE`: a backend is down; retry.", body = ErrorBody,
            headers(("Retry-After" = u32, description = "Seconds to wait."))),
    )
)]
pub(crate) async fn page_image(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    params: Result<Path<(String, String)>, PathRejection>,
) -> Result<Response, ApiError> {
    let (job_id, page) = path_params(params)?;
    let page = ordinal(&page, "page")?;
    let job = completed_job(&state, &caller, &job_id).await?;
    png_answer(&state, &job.id.files().page_image(page - 1), "page").await
}

#[utoipa::path(
    get,
    path = "/results/{job_id}/pages/{page}/tiles/{tile}",
    tag = "jobs",
    operation_id = "result_page_tile",
    summary = "A full-resolution tile of a page of a completed job",
    description = "Listed, with where it sits on the page, in `GET /results/{job_id}/pages`; pages are \
        cut into tiles when `DRAWINGS_RENDER_TILES` asks for them (with Gemini, by default).",
    params(
        ("job_id" = String, Path, description = "The job's id."),
        ("page" = u32, Path, description = "1-based page number, as a component's `page`."),
        ("tile" = u32, Path, description = "1-based tile number, as listed for the page."),
    ),
    responses(
        (status = 200, description = "The tile.", content((crate::schema::Binary = "image/png"))),
        (status = 307, description = "On AWS, a tile over 4,669,440 bytes: fetch it from `Location`, a \
            presigned S3 GET valid for 5 minutes (follow the redirect; send no API key there).", headers(
            ("Location" = String, description = "The presigned GET of the tile."),
            ("Cache-Control" = String, description = "`no-store`: the URL is a credential."),
        )),
        (status = 404, description = "`NOT_FOUND`: no such job, page or tile, or another client's job.", body = ErrorBody),
        (status = 409, description = "`RESULT_NOT_READY`: the job has not completed.", body = ErrorBody),
        (status = 503, description = "`SERVICE_UNAVAILABLE`: a backend is down; retry.", body = ErrorBody,
            headers(("Retry-After" = u32, description = "Seconds to wait."))),
    )
)]
pub(crate) async fn page_tile(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    params: Result<Path<(String, String, String)>, PathRejection>,
) -> Result<Response, ApiError> {
    let (job_id, page, tile) = path_params(params)?;
    let (page, tile) = (ordinal(&page, "page")?, ordinal(&tile, "tile")?);
    let job = completed_job(&state, &caller, &job_id).await?;
    let key = job.id.files().page_tile(page - 1, tile as usize - 1);
    png_answer(&state, &key, "tile").await
}
