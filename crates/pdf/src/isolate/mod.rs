//! Process isolation: every PDFium call runs in a worker process.
//!
//! Why a process: PDFium is C++ and cannot be interrupted from Rust, pdfium-render takes a
//! process-wide lock around every call, and a hostile file can spin for minutes, allocate
//! gigabytes or crash. In-process, one such page would stall every job of the server and
//! could take it down. A worker process is the only boundary that can be enforced from
//! outside: the parent waits with a wall-clock limit and kills the worker when it passes;
//! the worker caps its own address space (RLIMIT_AS) and CPU time (RLIMIT_CPU) before it
//! reads the file, so a bomb dies inside its own process. OCR of a page without a text layer
//! runs Tesseract as a child of the worker, which inherits both caps (see [`crate::ocr`]).
//! Validation and summaries get one worker per call. Pages may share one: a worker started
//! for pages keeps the document open and serves up to N pages of it, one request at a time,
//! each under the same wall clock, caps and sandbox as a worker of its own, so the process
//! start and document load (about 60 ms a page) are paid once per worker, not per page.
//! The workers of a document read it from one sealed memory file they inherit, not each
//! from a copy of their own ([`shared`] says why).
//! It is killed after anything but a well-formed answer and replaced after N pages, so memory
//! still comes back and a failure never carries over ([`reuse`] says how). Separate processes
//! also run pages in parallel, which the in-process lock prevents.
//!
//! Every way a worker can end maps to a stable code: a timeout or SIGXCPU is
//! `PROCESSING_TIMEOUT`; SIGSEGV, SIGBUS, SIGILL or SIGFPE (PDFium crashed on the file) is
//! `INVALID_PDF`; SIGABRT or another kill (allocation failed under the memory cap) is
//! `RESOURCE_LIMIT`. All three are permanent: the same file fails the same way. A worker
//! that cannot start, or answers nonsense, is `INTERNAL` (transient: the service's fault).
//!
//! A worker also gets as little as it can work with: none of the service's environment but
//! a few variables, and, where the kernel has Landlock, read access to the system's libraries
//! and programs and nothing else, and no network ([`sandbox`] says what and why). Each worker
//! reports what confines it; the engine logs the first report.

mod exit;
pub mod protocol;
mod reuse;
mod sandbox;
mod shared;
mod worker;

pub use sandbox::{Confinement, Enforcement, INHERITED_VARIABLES};
pub use worker::{WorkerLimits, worker_main};

use crate::child::wait_until;
use crate::isolate::exit::exit_error;
use crate::isolate::protocol::{ImageHeader, Request, Response, read_body, read_line, write_line};
use crate::isolate::reuse::{Held, Storage};
use crate::isolate::shared::SharedDocument;
use crate::page_window::PageTree;
use bytes::Bytes;
use drawings_core::ErrorCode;
use drawings_core::ports::{
    ExtractedPage, HeldPdf, Inspection, PageImage, PageSummary, PageTile, PdfEngine, PdfError, PdfLimits, RenderOptions,
};
use std::io::{BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// How to start a worker: a program and the arguments before the limits. The worker must
/// not leave children behind: the parent kills the worker itself, and a child still holding
/// its pipes would keep the call waiting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerCommand {
    /// The executable.
    pub program: PathBuf,
    /// Its arguments (e.g. the `pdf-worker` subcommand).
    pub args: Vec<String>,
}

impl WorkerCommand {
    /// This executable, run with `subcommand` (it must call [`worker_main`] for it).
    pub fn current_exe(subcommand: &str) -> std::io::Result<WorkerCommand> {
        Ok(WorkerCommand {
            program: std::env::current_exe()?,
            args: vec![subcommand.to_owned()],
        })
    }
}

/// What one call may use.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IsolationLimits {
    /// Wall-clock time for one call (validation, or one page).
    pub wall: Duration,
    /// Address space of the worker, bytes.
    pub memory_bytes: u64,
}

impl Default for IsolationLimits {
    fn default() -> Self {
        IsolationLimits {
            wall: Duration::from_secs(60),
            memory_bytes: 2 << 30,
        }
    }
}

/// A [`PdfEngine`] that runs every call in a worker process.
#[derive(Debug, Clone)]
pub struct IsolatedPdfEngine {
    command: WorkerCommand,
    limits: IsolationLimits,
    /// What the first worker that answered reported confining it (shared by clones).
    confinement: Arc<OnceLock<Confinement>>,
    /// Pages one worker serves before it is replaced (1: a worker per page).
    pages_per_worker: u32,
    /// Serving workers waiting for the next page of their document (shared by clones).
    idle: Arc<reuse::IdleWorkers>,
    /// Workers started so far (shared by clones).
    started: Arc<AtomicU64>,
}

/// Pages a worker serves before it is replaced, where hosts reuse workers: enough that the
/// start and load are a small share of a page, few enough to bound what a worker accumulates
/// (PDFium keeps each page's fonts and images with the document: workers of 8 pages peaked at
/// 34–38 MiB on the 120-sheet set, workers of 4 at 31–36, in the same time).
pub const PAGES_PER_WORKER: u32 = 4;

/// Longest the page tree may take to read before the document is served without windows:
/// lopdf reads the tree of an 18 MB, 120-sheet set in 0.08 s, and a slower file would
/// otherwise hold its job up to the whole wall-clock limit for a saving of memory only.
const PAGE_TREE_WALL: Duration = Duration::from_secs(10);

/// Longest response header accepted (the text layer of a dense sheet is a few MB).
const MAX_RESPONSE_HEADER: u64 = 256 * 1024 * 1024;

impl IsolatedPdfEngine {
    /// An engine starting workers with `command` under `limits`.
    pub fn new(command: WorkerCommand, limits: IsolationLimits) -> Self {
        IsolatedPdfEngine {
            command,
            limits,
            confinement: Arc::new(OnceLock::new()),
            pages_per_worker: 1,
            idle: Arc::default(),
            started: Arc::default(),
        }
    }

    /// This engine, with each worker serving up to `pages` pages of one document before it
    /// is replaced (1, the default: a worker per page).
    pub fn with_pages_per_worker(mut self, pages: u32) -> Self {
        self.pages_per_worker = pages.max(1);
        self
    }

    /// How many worker processes this engine and its clones have started.
    pub fn workers_started(&self) -> u64 {
        self.started.load(Ordering::Relaxed)
    }

    /// The limits a worker applies to itself for one call.
    fn worker_limits(&self) -> WorkerLimits {
        WorkerLimits {
            memory_bytes: self.limits.memory_bytes,
            cpu_secs: self.limits.wall.as_secs().max(1) + 1,
            wall_ms: Some(u64::try_from(self.limits.wall.as_millis()).unwrap_or(u64::MAX)),
            pages: None,
        }
    }

    /// What confines the workers, as the first one to answer reported it; `None` before any
    /// has (or from a worker that does not report).
    pub fn confinement(&self) -> Option<&Confinement> {
        self.confinement.get()
    }

    /// Keeps and logs the first worker's report: every worker of a process runs on the same
    /// kernel with the same rules, so one line says it for all.
    fn note_confinement(&self, stderr: &[u8]) {
        if self.confinement.get().is_some() {
            return;
        }
        let Some(confinement) = Confinement::from_stderr(stderr) else {
            return;
        };
        if self.confinement.set(confinement.clone()).is_err() {
            return;
        }
        let protections = confinement.protections().join(", ");
        if confinement.files_confined() {
            tracing::info!(
                landlock = ?confinement.landlock,
                abi = confinement.landlock_abi,
                %protections,
                "PDF workers run confined by Landlock, with a cleared environment and resource limits."
            );
        } else {
            tracing::warn!(
                %protections,
                "PDF workers run without Landlock (the kernel lacks it): a cleared environment and \
                 resource limits only."
            );
        }
    }

    /// Starts one worker under `limits`, with piped stdio and nothing of the service's
    /// environment: it parses hostile files, so none of the service's secrets go with it.
    /// A worker serving pages also inherits their `document`, where it is shared.
    fn spawn_worker(&self, limits: &WorkerLimits, document: Option<&SharedDocument>) -> Result<Child, PdfError> {
        let mut command = Command::new(&self.command.program);
        command
            .args(&self.command.args)
            .args(limits.to_args())
            .env_clear()
            .envs(sandbox::inherited_environment())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(document) = document {
            document.pass_to(&mut command);
        }
        let child = command.spawn().map_err(|e| {
            internal(format!(
                "cannot start the PDF worker {}: {e}",
                self.command.program.display()
            ))
        })?;
        self.started.fetch_add(1, Ordering::Relaxed);
        Ok(child)
    }

    fn call(&self, request: &Request, pdf: &[u8], what: &str) -> Result<(Response, Vec<u8>), PdfError> {
        self.call_with(request, pdf, None, self.limits.wall, what)
    }

    /// [`Self::call`] for a worker that also inherits a shared `document`, stopped after `wall`.
    fn call_with(
        &self,
        request: &Request,
        pdf: &[u8],
        document: Option<&SharedDocument>,
        wall: Duration,
        what: &str,
    ) -> Result<(Response, Vec<u8>), PdfError> {
        let mut child = self.spawn_worker(&self.worker_limits(), document)?;
        let (mut stdin, mut stdout, mut stderr) = (child.stdin.take(), child.stdout.take(), child.stderr.take());
        let deadline = Instant::now() + wall;
        let (status, output, errors) = std::thread::scope(|scope| {
            // Writing and reading run beside the wait so a full pipe never blocks either side.
            scope.spawn(move || {
                if let Some(stdin) = stdin.as_mut() {
                    // A worker that dies early closes the pipe; its exit status says why.
                    let _ignored = write_line(stdin, request).and_then(|()| stdin.write_all(pdf));
                }
            });
            let reader = scope.spawn(move || read_all(stdout.as_mut()));
            let error_reader = scope.spawn(move || read_all(stderr.as_mut()));
            let status = wait_until(&mut child, deadline);
            (
                status,
                reader.join().unwrap_or_default(),
                error_reader.join().unwrap_or_default(),
            )
        });
        let status = status.map_err(|e| internal(format!("waiting for the PDF worker: {e}")))?;
        let Some(status) = status else {
            return Err(PdfError::new(
                ErrorCode::ProcessingTimeout,
                format!("{what} took longer than {} s and was stopped", wall.as_secs()),
            ));
        };
        if !status.success() {
            let tail = String::from_utf8_lossy(&errors[errors.len().saturating_sub(2048)..]).into_owned();
            tracing::warn!(%status, stderr = %tail, what, "PDF worker ended abnormally.");
            return Err(exit_error(status, what, self.limits));
        }
        self.note_confinement(&errors);
        let mut input = BufReader::new(&output[..]);
        let response =
            read_line(&mut input, MAX_RESPONSE_HEADER).map_err(|e| internal(format!("bad worker response: {e}")))?;
        let mut rest = Vec::new();
        input.read_to_end(&mut rest).map_err(|e| internal(e.to_string()))?;
        Ok((response, rest))
    }

    /// The page tree of the `shared` document, read in a worker of its own within
    /// [`PAGE_TREE_WALL`]; `None` (and why, in the debug log) when the document gets no
    /// windows.
    fn read_page_tree(&self, shared: &SharedDocument) -> Option<PageTree> {
        let request = Request::PageTree {
            len: shared.len(),
            fd: shared.fd(),
        };
        let wall = self.limits.wall.min(PAGE_TREE_WALL);
        let why_not = match self.call_with(&request, &[], Some(shared), wall, "reading the page tree") {
            Ok((Response::PageTree(Ok(tree)), _)) => return Some(tree),
            Ok((Response::PageTree(Err(why_not)), _)) => why_not,
            Ok((other, _)) => unexpected(other).message,
            Err(e) => e.message,
        };
        tracing::debug!(%why_not, "The document's pages are served without windows.");
        None
    }
}

fn internal(message: String) -> PdfError {
    PdfError::new(ErrorCode::Internal, message)
}

fn read_all(pipe: Option<&mut impl Read>) -> Vec<u8> {
    let mut out = Vec::new();
    if let Some(pipe) = pipe {
        // A read error leaves what was read; the exit status decides the outcome.
        let _ignored = pipe.read_to_end(&mut out);
    }
    out
}

fn unexpected(response: Response) -> PdfError {
    match response {
        Response::Failed(e) => e,
        other => internal(format!("the PDF worker answered the wrong request: {other:?}")),
    }
}

/// What a failure while extracting says was being done (the pipeline names the page).
const EXTRACTING: &str = "rendering the page";

fn extract_request(index: u32, options: &RenderOptions) -> Request {
    Request::Extract {
        page: index,
        options: options.clone(),
    }
}

/// The page a worker's answer to an extract request carries, its images read from the bodies.
fn extracted(answer: (Response, Vec<u8>)) -> Result<ExtractedPage, PdfError> {
    match answer {
        (Response::Extracted { text, image, tiles }, bodies) => {
            let mut bodies = &bodies[..];
            let png = take_png(&mut bodies, &image)?;
            let image = PageImage {
                png,
                width_px: image.width_px,
                height_px: image.height_px,
                dpi: image.dpi,
            };
            let tiles = tiles
                .iter()
                .map(|t| {
                    Ok(PageTile {
                        png: take_png(&mut bodies, t)?,
                        x_px: t.x_px,
                        y_px: t.y_px,
                        width_px: t.width_px,
                        height_px: t.height_px,
                        dpi: t.dpi,
                    })
                })
                .collect::<Result<Vec<_>, PdfError>>()?;
            Ok(ExtractedPage { text, image, tiles })
        }
        (other, _) => Err(unexpected(other)),
    }
}

fn take_png(bodies: &mut &[u8], header: &ImageHeader) -> Result<Vec<u8>, PdfError> {
    read_body(bodies, header.len).map_err(|e| internal(format!("bad worker response: {e}")))
}

impl PdfEngine for IsolatedPdfEngine {
    fn inspect(&self, pdf: &[u8], limits: &PdfLimits) -> Result<Inspection, PdfError> {
        // The size check needs no worker, and spares piping a huge file to one.
        if pdf.len() as u64 > limits.max_bytes {
            let message = format!(
                "the file is {} bytes; the limit is {} bytes",
                pdf.len(),
                limits.max_bytes
            );
            return Err(PdfError::new(ErrorCode::PayloadTooLarge, message));
        }
        match self.call(&Request::Inspect { limits: limits.clone() }, pdf, "validation")? {
            (Response::Inspected(inspection), _) => Ok(inspection),
            (other, _) => Err(unexpected(other)),
        }
    }

    fn extract_page(&self, pdf: &[u8], index: u32, options: &RenderOptions) -> Result<ExtractedPage, PdfError> {
        let request = extract_request(index, options);
        let answer = if self.pages_per_worker > 1 {
            self.call_serving(&request, &self.idle.copy_of(pdf), EXTRACTING)?
        } else {
            self.call(&request, pdf, EXTRACTING)?
        };
        extracted(answer)
    }

    /// Serving workers read a held document from the copy they share, and the caller's bytes
    /// can go; one-shot workers (`pages_per_worker` 1) are sent the bytes each time.
    /// A long document's page tree is read here, once per copy, so its workers can be given
    /// windows of it (`page_window.rs`).
    fn hold(&self, pdf: Bytes) -> Result<HeldPdf, PdfError> {
        if self.pages_per_worker > 1 {
            let held = self.idle.copy_of(&pdf);
            // The workers read the copy from here on, the page tree's reader too.
            drop(pdf);
            if let Storage::Shared(shared) = &held.copy {
                held.tree.get_or_init(|| self.read_page_tree(shared));
            }
            Ok(HeldPdf::Engine(held))
        } else {
            Ok(HeldPdf::Bytes(pdf))
        }
    }

    fn extract_held(&self, pdf: &HeldPdf, index: u32, options: &RenderOptions) -> Result<ExtractedPage, PdfError> {
        let document = match pdf {
            HeldPdf::Bytes(bytes) => return self.extract_page(bytes, index, options),
            HeldPdf::Engine(held) => Arc::clone(held)
                .downcast::<Held>()
                .map_err(|_| internal("the document is held by another PDF engine".to_owned()))?,
        };
        extracted(self.call_serving(&extract_request(index, options), &document, EXTRACTING)?)
    }

    fn summarize_page(&self, pdf: &[u8], index: u32) -> Result<PageSummary, PdfError> {
        match self.call(&Request::Summarize { page: index }, pdf, "reading the page")? {
            (Response::Summarized(summary), _) => Ok(summary),
            (other, _) => Err(unexpected(other)),
        }
    }
}
