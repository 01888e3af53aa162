//! Running the `tesseract` command line on one page image, with a timeout.
//!
//! The image goes in on stdin as a binary PGM (8-bit gray: a header and the raw pixels, so
//! no encoding pass and no temporary file to clean up); the TSV comes back on stdout. The
//! child gets pipes of its own for all three streams, never the worker's: a child holding
//! the worker's stdout would keep the service waiting on the pipe after the worker ended.
//! On expiry it is killed (SIGKILL) and reaped, so nothing outlives the call.

use super::OcrSettings;
use std::io::{self, Read, Write};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// Longest TSV accepted: a dense sheet gives a few MB; past this the pipe is closed and
/// Tesseract stops on the broken pipe rather than filling memory.
const MAX_TSV_BYTES: u64 = 64 << 20;
/// Stderr kept for the log when Tesseract fails.
const MAX_STDERR_BYTES: u64 = 16 << 10;
/// Page segmentation 11, "sparse text": find as much text as possible in no particular
/// order. Drawings are labels scattered over line work, not paragraphs; on the corpus scans
/// it found the most words with usable boxes of 3, 11 and 12, and was the fastest.
const PAGE_SEGMENTATION: &str = "11";

/// An 8-bit gray image, rows top first, tightly packed.
pub(crate) struct GrayImage<'a> {
    pub(crate) pixels: &'a [u8],
    pub(crate) width: u32,
    pub(crate) height: u32,
    pub(crate) dpi: f32,
}

/// Why Tesseract gave no answer.
#[derive(Debug, thiserror::Error)]
pub(crate) enum TesseractError {
    /// Not installed (or not where the settings say), or not executable.
    #[error("cannot start {program}: {source}")]
    Start { program: String, source: io::Error },
    /// Ran past its time and was killed.
    #[error("{program} took longer than {timeout:?} and was stopped")]
    TimedOut { program: String, timeout: Duration },
    /// Exited with an error (a missing language file, an image it cannot read, a crash).
    #[error("{program} failed ({status}): {stderr}")]
    Failed {
        program: String,
        status: ExitStatus,
        stderr: String,
    },
    /// The wait itself failed.
    #[error("waiting for {program}: {source}")]
    Wait { program: String, source: io::Error },
}

/// Runs Tesseract on `image` and returns its TSV, or why not within `timeout`.
pub(crate) fn recognize(
    settings: &OcrSettings,
    image: &GrayImage<'_>,
    timeout: Duration,
) -> Result<String, TesseractError> {
    let program = settings.program.display().to_string();
    let mut child = Command::new(&settings.program)
        .args(["stdin", "stdout", "--dpi"])
        .arg(format!("{:.0}", image.dpi.max(1.0)))
        .args(["--psm", PAGE_SEGMENTATION, "-l"])
        .arg(&settings.language)
        .arg("tsv")
        // One thread: pages already run in parallel, one worker process each, and OpenMP
        // threads on top only contend for the same cores (a 36 x 24 in sheet on two busy
        // cores: 14 s with one thread, 42 s with two).
        .env("OMP_THREAD_LIMIT", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|source| TesseractError::Start {
            program: program.clone(),
            source,
        })?;
    let (mut stdin, stdout, stderr) = (child.stdin.take(), child.stdout.take(), child.stderr.take());
    let deadline = Instant::now() + timeout;
    let (status, tsv, errors) = std::thread::scope(|scope| {
        // Feeding and draining run beside the wait, so a full pipe blocks neither side.
        scope.spawn(move || {
            if let Some(stdin) = stdin.as_mut() {
                // A Tesseract that dies early closes the pipe; its exit status says why.
                let header = format!("P5\n{} {}\n255\n", image.width, image.height);
                let _ignored = stdin
                    .write_all(header.as_bytes())
                    .and_then(|()| stdin.write_all(image.pixels));
            }
            // Dropping stdin here is the end of the image.
        });
        let reader = scope.spawn(move || read_at_most(stdout, MAX_TSV_BYTES));
        let error_reader = scope.spawn(move || read_at_most(stderr, MAX_STDERR_BYTES));
        let status = crate::child::wait_until(&mut child, deadline);
        (
            status,
            reader.join().unwrap_or_default(),
            error_reader.join().unwrap_or_default(),
        )
    });
    let status = status.map_err(|source| TesseractError::Wait {
        program: program.clone(),
        source,
    })?;
    let Some(status) = status else {
        return Err(TesseractError::TimedOut { program, timeout });
    };
    if !status.success() {
        return Err(TesseractError::Failed {
            program,
            status,
            stderr: String::from_utf8_lossy(&errors).trim().to_owned(),
        });
    }
    Ok(String::from_utf8_lossy(&tsv).into_owned())
}

/// Reads a pipe to its end or `limit` bytes, then closes it.
fn read_at_most(pipe: Option<impl Read>, limit: u64) -> Vec<u8> {
    let mut out = Vec::new();
    if let Some(pipe) = pipe {
        // A read error leaves what was read; the exit status decides the outcome.
        let _ignored = pipe.take(limit).read_to_end(&mut out);
    }
    out
}
