//! What the fake remembers about each request, for tests to assert on: the `generateContent`
//! calls ([`RecordedRequest`]) and the uploaded files ([`UploadedFile`]).
//!
//! The records serialize without raw bytes (lengths only) for the binary's `/_fake/requests`,
//! where megabytes of page images would only get in the way.

use serde::{Serialize, Serializer};

/// One `generateContent` call as received.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RecordedRequest {
    /// 0-based arrival index among `generateContent` calls.
    pub seq: usize,
    /// The model id from the path (`gemini-3.8-flash`).
    pub model: String,
    /// The key sent in `x-goog-api-key`, else in `?key=`.
    pub api_key: Option<String>,
    /// The text parts of `systemInstruction`, joined by newlines.
    pub system_instruction: Option<String>,
    /// The text parts of `contents`, in order.
    pub texts: Vec<String>,
    /// The inline and file parts of `contents`, in order, with their bytes.
    pub media: Vec<RecordedMedia>,
    /// `generationConfig` as sent (`Null` when absent).
    pub generation_config: serde_json::Value,
    /// Size of the request body.
    pub body_bytes: usize,
    /// 1-based page from "page N of M" in the prompt texts.
    pub page: Option<u32>,
    /// M from "page N of M".
    pub page_count: Option<u32>,
    /// K and N from "tile K of N" (1-based), when the image is one tile of a page.
    pub tile: Option<(u32, u32)>,
    /// HTTP status of the reply, once produced; stays `None` when the client hung up first
    /// (the server then drops the reply unfinished).
    pub status: Option<u16>,
    /// Why the fake itself rejected the request (auth, size, malformed body), if it did.
    pub rejected: Option<String>,
    /// A 200 STOP reply with answer text was produced (after any latency or delay), so the
    /// page counts as answered. Not set for a reply the client gave up waiting for.
    pub answered_ok: bool,
}

impl RecordedRequest {
    /// The page the default reply describes: the prompt's page, else `seq + 1`.
    pub fn effective_page(&self) -> u32 {
        self.page
            .unwrap_or_else(|| u32::try_from(self.seq + 1).unwrap_or(u32::MAX))
    }

    /// All prompt texts joined by newlines.
    pub fn prompt(&self) -> String {
        self.texts.join("\n")
    }
}

/// How a media part reached the model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MediaVia {
    /// `inlineData`, base64 in the request body.
    Inline,
    /// `fileData` naming a file uploaded through the Files API.
    File {
        /// The `fileUri` as sent.
        uri: String,
    },
}

/// One inline or file part of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedMedia {
    /// The part's `mimeType` (for a file part without one, the uploaded file's).
    pub mime_type: String,
    /// The decoded base64, or the uploaded file's bytes.
    pub bytes: Vec<u8>,
    /// Inline or through the Files API.
    pub via: MediaVia,
}

impl Serialize for RecordedMedia {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Summary<'a> {
            mime_type: &'a str,
            len: usize,
            via: &'a MediaVia,
        }
        Summary {
            mime_type: &self.mime_type,
            len: self.bytes.len(),
            via: &self.via,
        }
        .serialize(serializer)
    }
}

/// A file whose resumable upload was finalized.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadedFile {
    /// Resource name, `files/{id}`.
    pub name: String,
    /// `{base_url}/v1beta/files/{id}`, what `generateContent` refers to.
    pub uri: String,
    /// From `X-Goog-Upload-Header-Content-Type`.
    pub mime_type: String,
    /// `file.displayName` of the start request.
    pub display_name: Option<String>,
    /// The bytes received, all chunks concatenated.
    pub bytes: Vec<u8>,
    /// Deleted through `DELETE /v1beta/files/{id}` since.
    pub deleted: bool,
}

impl Serialize for UploadedFile {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Summary<'a> {
            name: &'a str,
            uri: &'a str,
            mime_type: &'a str,
            display_name: &'a Option<String>,
            len: usize,
            deleted: bool,
        }
        Summary {
            name: &self.name,
            uri: &self.uri,
            mime_type: &self.mime_type,
            display_name: &self.display_name,
            len: self.bytes.len(),
            deleted: self.deleted,
        }
        .serialize(serializer)
    }
}
