//! Core of the drawings job service: the job record, the ports, the pipeline, intake and
//! the status view. It knows no AWS, HTTP or SQLite type: adapters implement its ports.
#![warn(missing_docs)]

pub mod callback_url;
pub mod cancel;
pub mod component;
pub mod cost;
pub mod dead_letter;
pub mod error;
pub mod evaluation;
pub mod intake;
pub mod job;
pub mod pipeline;
pub mod ports;
pub mod schedule;
pub mod status;
pub mod warning;

pub use component::{BBox, Component, ComponentSource, ComponentType};
pub use error::{BoxError, ErrorClass, ErrorCode, JobError, StoreError};
pub use job::{DeadLetterRecord, Failure, Job, JobId, JobInput, JobStatus, Lease, PageProgress, Stage, Usage};
pub use status::{RESULT_FILES, XLSX_CONTENT_TYPE};
pub use warning::Warning;
