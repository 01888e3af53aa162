//! What a worker's abnormal end means for the call: each way it can end maps to a stable
//! code, as the isolation module's docs list them.

use super::{IsolationLimits, internal};
use drawings_core::ErrorCode;
use drawings_core::ports::PdfError;
use std::process::ExitStatus;

#[cfg(unix)]
pub(super) fn exit_error(status: ExitStatus, what: &str, limits: IsolationLimits) -> PdfError {
    use std::os::unix::process::ExitStatusExt;
    const SIGILL: i32 = 4;
    const SIGABRT: i32 = 6;
    const SIGBUS: i32 = 7;
    const SIGFPE: i32 = 8;
    const SIGKILL: i32 = 9;
    const SIGSEGV: i32 = 11;
    const SIGXCPU: i32 = 24;
    let memory_mib = limits.memory_bytes >> 20;
    match status.signal() {
        Some(SIGXCPU) => PdfError::new(
            ErrorCode::ProcessingTimeout,
            format!(
                "{what} used more CPU time than {} s and was stopped",
                limits.wall.as_secs()
            ),
        ),
        Some(SIGSEGV | SIGBUS | SIGILL | SIGFPE) => PdfError::new(
            ErrorCode::InvalidPdf,
            format!("the PDF engine crashed on this file during {what}; the file is malformed"),
        ),
        Some(SIGABRT) => PdfError::new(
            ErrorCode::ResourceLimit,
            format!("{what} needed more than the {memory_mib} MiB memory limit"),
        ),
        Some(SIGKILL) => PdfError::new(
            ErrorCode::ResourceLimit,
            format!("{what} was killed for exceeding its CPU time or the {memory_mib} MiB memory limit"),
        ),
        Some(signal) => PdfError::new(
            ErrorCode::ResourceLimit,
            format!("{what} was stopped by signal {signal}"),
        ),
        None => internal(format!("the PDF worker failed during {what} ({status})")),
    }
}

#[cfg(not(unix))]
pub(super) fn exit_error(status: ExitStatus, what: &str, _: IsolationLimits) -> PdfError {
    internal(format!("the PDF worker failed during {what} ({status})"))
}
