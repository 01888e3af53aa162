//! The pipeline's stages: a leaf both the job record and the error vocabulary point down
//! at. Their names are part of the API (`current_stage`, `stages_completed`, `error.stage`).

use serde::{Deserialize, Serialize};
use std::fmt;

/// The pipeline's stages, in order. Their names are part of the API.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Size, magic bytes, encryption, page limits, can PDFium open it.
    Validation,
    /// Per page: text layer with positions and a rendered image.
    PdfProcessing,
    /// Per page: the analyzer finds components.
    DrawingAnalysis,
    /// Merge pages, dedupe ids, write the schedule.
    ScheduleGeneration,
    /// Deterministic cross-check of the analyzer against the text layer.
    Evaluation,
}

impl Stage {
    /// Every stage in the order the pipeline runs them.
    pub const ALL: [Stage; 5] = [
        Stage::Validation,
        Stage::PdfProcessing,
        Stage::DrawingAnalysis,
        Stage::ScheduleGeneration,
        Stage::Evaluation,
    ];

    /// Whether the stage works page by page and checkpoints after each page.
    pub fn is_per_page(self) -> bool {
        matches!(self, Stage::PdfProcessing | Stage::DrawingAnalysis)
    }

    /// The stage name as it appears on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Validation => "validation",
            Stage::PdfProcessing => "pdf_processing",
            Stage::DrawingAnalysis => "drawing_analysis",
            Stage::ScheduleGeneration => "schedule_generation",
            Stage::Evaluation => "evaluation",
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
