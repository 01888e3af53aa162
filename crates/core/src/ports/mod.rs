//! The ports: what the core needs from the outside world. Each trait documents the semantics
//! every adapter must keep; `drawings-testkit` checks them with one conformance suite per port.

mod analyzer;
mod blob;
mod metrics;
mod notice;
mod notifier;
mod page_context;
mod pdf;
mod queue;
mod store;

pub use analyzer::{AnalyzeError, Analyzer, LegendEntry, PageAnalysis, PageInput, TagLabel};
pub use blob::{BlobCopy, BlobMeta, BlobStore};
pub use metrics::{Metric, MetricKind, MetricUnit, Metrics, NoMetrics};
pub use notice::{CompletionNotifier, NoNotices, event_name};
pub use notifier::{Alert, Notifier};
pub use page_context::{PageContext, PageParts};
pub use pdf::{
    ExtractedPage, HeldPdf, Inspection, PageImage, PageInfo, PageSummary, PageText, PageTile, PdfEngine, PdfError,
    PdfLimits, RenderOptions, TextLine, TextRun, TextSource, TileManifestEntry, TileOptions,
};
pub use queue::{Delivery, JobQueue, MessageKind, QueueMessage};
pub use store::{Created, Decision, JobQuery, JobStore, MODIFY_ATTEMPTS};

use std::sync::Arc;

/// The ports a service works with, as one bundle: intake, the processor, cancel and the
/// dead-letter code each take the set and use the ports they need.
#[derive(Clone)]
pub struct Ports {
    /// Job records.
    pub jobs: Arc<dyn JobStore>,
    /// The work queue.
    pub queue: Arc<dyn JobQueue>,
    /// PDFs and outputs.
    pub blobs: Arc<dyn BlobStore>,
    /// Operator alerts.
    pub alerts: Arc<dyn Notifier>,
    /// Completion notices to clients' callback URLs, sent after each terminal write
    /// ([`NoNotices`]: none).
    pub callbacks: Arc<dyn CompletionNotifier>,
}
