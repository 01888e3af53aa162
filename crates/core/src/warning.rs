//! Warnings: what a user should know about a result that is not an error. A job that
//! completes with few or no components says why (no text layer, no legend, nothing that
//! looks like a device) and what to try, instead of a silent empty schedule.

use serde::{Deserialize, Serialize};

/// Most warnings a job record keeps (the record stays small; `components.json` has them all).
pub const MAX_JOB_WARNINGS: usize = 20;

/// One warning, with a stable code and a sentence for a person.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Warning {
    /// Stable upper-snake code (`NO_TEXT_LAYER`, `OCR_USED`, `NO_LEGEND_FOUND`, `NO_DEVICES_FOUND`).
    pub code: String,
    /// What happened and what to try.
    pub message: String,
    /// 1-based page it is about; none for the whole job.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<u32>,
}

impl Warning {
    /// A warning about one page (1-based).
    pub fn page(code: &str, page: u32, message: impl Into<String>) -> Warning {
        Warning {
            code: code.to_owned(),
            message: message.into(),
            page: Some(page),
        }
    }

    /// A warning about the whole job.
    pub fn job(code: &str, message: impl Into<String>) -> Warning {
        Warning {
            code: code.to_owned(),
            message: message.into(),
            page: None,
        }
    }
}

/// The page has no text layer (a scan, or text drawn as outlines).
pub const NO_TEXT_LAYER: &str = "NO_TEXT_LAYER";
/// The page's text came from OCR of its image.
pub const OCR_USED: &str = "OCR_USED";
/// The page needed OCR, and it was not available or failed.
pub const OCR_UNAVAILABLE: &str = "OCR_UNAVAILABLE";
/// No legend, key or schedule was found on the page or in the set.
pub const NO_LEGEND_FOUND: &str = "NO_LEGEND_FOUND";
/// Nothing on the drawing was recognised as a device.
pub const NO_DEVICES_FOUND: &str = "NO_DEVICES_FOUND";
/// A legend defines a tag that never appears on the plan.
pub const TAG_NOT_ON_PLAN: &str = "TAG_NOT_ON_PLAN";
/// A legend prints a quantity for a tag that differs from the count on the plans.
pub const QUANTITY_MISMATCH: &str = "QUANTITY_MISMATCH";
