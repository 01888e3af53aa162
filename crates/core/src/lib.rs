//! Core of the drawings job service: the job record, the ports, the pipeline, intake and
//! the status view. It knows no AWS, HTTP or SQLite type: adapters implement its ports.
//!
//! # Layout
//!
//! From the leaves up; a module points only down the list.
//!
//! - [`stage`], [`error`], [`warning`], [`component`]: the vocabulary. Stage names, error
//!   classes and codes, warnings and the components a schedule lists are part of the API.
//! - [`job`]: the job record, the single source of truth for a job's state; [`layout`]: where
//!   its files live; [`cost`] and [`capacity`]: what it costs, and what its record costs to
//!   read and write.
//! - [`ports`]: what the core needs from outside (job store, queue, blobs, alerts, callbacks,
//!   PDF engine, analyzer), each trait with the rules every adapter keeps, and [`Ports`], the
//!   set a service works with.
//! - [`memory`]: in-memory adapters of the storage ports, for tests and one-off tools.
//! - [`schedule`] and [`evaluation`]: pure functions from page analyses to the schedule
//!   and to the check against the reference reading.
//! - [`intake`] (accept an upload), [`status`] (what a client polls), [`cancel`],
//!   [`callback_url`]: the services the API calls.
//! - [`pipeline`]: the processor, a room per stage; [`dead_letter`]: what happens to a job
//!   whose message kept failing, and the operators' tools for the dead-letter queue.
#![warn(missing_docs)]

pub mod callback_url;
pub mod cancel;
pub mod capacity;
pub mod component;
pub mod cost;
pub mod dead_letter;
pub mod error;
pub mod evaluation;
pub mod intake;
pub mod job;
pub mod layout;
pub mod memory;
pub mod pipeline;
pub mod ports;
pub mod schedule;
pub mod stage;
pub mod status;
pub mod warning;

pub use component::{BBox, Component, ComponentSource, ComponentType};
pub use error::{BoxError, ErrorClass, ErrorCode, JobError, StoreError};
pub use job::{DeadLetterRecord, Failure, Job, JobId, JobInput, JobStatus, Lease, PageProgress, Stage, Usage};
pub use layout::{JobFiles, ResultFile, XLSX_CONTENT_TYPE};
pub use ports::Ports;
pub use warning::Warning;
