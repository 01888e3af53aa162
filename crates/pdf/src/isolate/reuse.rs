//! Workers that serve several pages of one document, so the pages of a job pay for one
//! process start and one document load per worker instead of one per page.
//!
//! A serving worker is started with `--pages N`, reads the document once and keeps it open.
//! Each page is still one request under the same guarantees as a one-shot worker: the
//! parent's wall clock for that page alone (the worker is killed when it passes), the
//! address-space cap, a CPU allowance renewed per page (see `worker.rs`), the same sandbox.
//! A worker goes back to the idle set only after a well-formed answer (a page the engine
//! refused included); any other end (a timeout, a crash, a signal, nonsense) kills it, so a
//! worker is never reused after something went wrong in it. After N pages it is replaced,
//! which bounds what one worker can accumulate.
//!
//! A page that crashes a worker which had served pages before is tried once more in a fresh
//! worker: what a page costs must not depend on the pages that ran before it, so every
//! failure a job sees comes from a worker that saw only its page, and maps to the same code
//! as before reuse. Idle workers are matched to a request by the copy of the document they
//! hold: the one the pipeline holds for a job (`PdfEngine::hold`), or the one whose bytes
//! equal the request's (compared in full, so one job's worker never serves another file).
//! They are closed after [`IDLE_FOR`] or when more than [`MAX_IDLE`] wait: the pages of a job
//! follow each other within milliseconds, and a worker waiting longer only holds memory.
//!
//! The workers of one document share one copy of it ([`IdleWorkers::copy_of`]), in a memory
//! file they read it from where the system has them (see `shared.rs`): a copy per worker, and
//! one more in each worker, made the service hold the document twice more for every worker
//! alive (two or three at a time, 18 MB each for a 120-sheet set).
//!
//! A long document held for a job is served in windows of its pages (`page_window.rs`): a
//! worker reads the shared copy followed by its window's few hundred bytes, is matched to
//! requests by its window as well, and idle workers of earlier windows are closed once a
//! later window is asked for, since a job's pages come in order.

use super::protocol::{OpenWindow, Request, Response, read_body, read_line, write_line};
use super::shared::SharedDocument;
use super::{IsolatedPdfEngine, MAX_RESPONSE_HEADER, WorkerLimits, exit_error, internal};
use crate::child::wait_until;
use crate::page_window::{PageTree, Window};
use drawings_core::ErrorCode;
use drawings_core::ports::PdfError;
use std::io::{BufReader, Read, Write};
use std::process::{Child, ChildStdin, ChildStdout, ExitStatus};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, Weak};
use std::time::{Duration, Instant};

/// How long an idle worker waits for the next page of its document before it is closed:
/// pages follow each other within milliseconds, seconds on a loaded machine.
pub(super) const IDLE_FOR: Duration = Duration::from_secs(10);

/// Most idle workers kept at once (a job's pages in flight come back to about this many).
pub(super) const MAX_IDLE: usize = 8;

/// Most stderr kept from a serving worker: its head (the confinement report) and its tail.
const STDERR_HEAD: usize = 4096;
const STDERR_TAIL: usize = 2048;

/// Idle serving workers, and the documents the living ones hold, shared by the clones of one
/// engine.
#[derive(Debug, Default)]
pub(super) struct IdleWorkers {
    idle: Mutex<Vec<Serving>>,
    /// The documents of the serving workers, idle or busy: one copy each, gone with the last
    /// worker that holds it.
    documents: Mutex<Vec<Weak<Held>>>,
}

/// Locks `mutex`; a poisoned lock means a thread panicked while holding it, and the lists
/// it guards are still sound.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl IdleWorkers {
    fn lock(&self) -> MutexGuard<'_, Vec<Serving>> {
        lock(&self.idle)
    }

    /// The copy of `pdf` a living worker already holds (compared in full), or a new one.
    pub(super) fn copy_of(&self, pdf: &[u8]) -> Arc<Held> {
        let mut documents = lock(&self.documents);
        documents.retain(|d| d.strong_count() > 0);
        if let Some(held) = documents.iter().filter_map(Weak::upgrade).find(|d| d.holds(pdf)) {
            return held;
        }
        let copy = match SharedDocument::new(pdf) {
            Ok(shared) => Storage::Shared(shared),
            Err(e) => {
                tracing::debug!(error = %e, "No memory file for the document; it goes through the workers' input.");
                Storage::Piped(Box::from(pdf))
            }
        };
        let copy = Arc::new(Held {
            copy,
            tree: OnceLock::new(),
        });
        documents.push(Arc::downgrade(&copy));
        copy
    }

    /// Distinct documents held for living workers.
    fn documents_held(&self) -> usize {
        lock(&self.documents).iter().filter(|d| d.strong_count() > 0).count()
    }

    /// An idle, living worker that holds `document` through the window starting at `first`;
    /// expired ones are closed on the way, and so are those of the document's earlier
    /// windows: a job asks for its pages in order, so they would only hold memory.
    fn take(&self, document: &Arc<Held>, first: Option<u32>) -> Option<Serving> {
        let mut idle = self.lock();
        idle.retain(|w| {
            let behind = Arc::ptr_eq(&w.document, document) && w.first() < first;
            w.idle_since.elapsed() < IDLE_FOR && !behind
        });
        let found = idle
            .iter_mut()
            .position(|w| Arc::ptr_eq(&w.document, document) && w.first() == first && w.alive())?;
        Some(idle.swap_remove(found))
    }

    fn give_back(&self, mut worker: Serving) {
        worker.idle_since = Instant::now();
        let mut idle = self.lock();
        idle.push(worker);
        if idle.len() > MAX_IDLE {
            // The longest idle goes first: it is the least likely to be asked for again.
            idle.sort_by_key(|w| std::cmp::Reverse(w.idle_since));
            idle.truncate(MAX_IDLE);
        }
    }
}

/// The copy of a document its workers share, and what `hold` hands the pipeline for the pages
/// of a job: matched to idle workers by identity.
#[derive(Debug)]
pub(super) struct Held {
    pub(super) copy: Storage,
    /// The document's page tree, where it was read (by `hold`, for a copy in a memory file)
    /// and the document gets windows (`page_window.rs`).
    pub(super) tree: OnceLock<Option<PageTree>>,
}

/// Where the copy is.
#[derive(Debug)]
pub(super) enum Storage {
    /// In a memory file each worker inherits and reads.
    Shared(SharedDocument),
    /// In the parent, sent through each worker's input.
    Piped(Box<[u8]>),
}

impl Held {
    fn holds(&self, pdf: &[u8]) -> bool {
        match &self.copy {
            Storage::Shared(shared) => shared.holds(pdf),
            Storage::Piped(bytes) => bytes[..] == *pdf,
        }
    }

    /// The page tree, where the document gets windows.
    fn tree(&self) -> Option<&PageTree> {
        self.tree.get().and_then(Option::as_ref)
    }

    /// The first page of the window a serving worker of `request` reads the document
    /// through, if any.
    fn window_start(&self, request: &Request) -> Option<u32> {
        match request {
            Request::Extract { page, .. } => self.tree()?.window_start(*page),
            _ => None,
        }
    }
}

/// A worker serving pages of one document. Dropping it kills it.
#[derive(Debug)]
struct Serving {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    stderr: Arc<Mutex<Vec<u8>>>,
    /// The document it holds, to match requests to it, and the window it reads it through.
    document: Arc<Held>,
    window: Option<Window>,
    /// Whether it has not yet been sent the document.
    fresh: bool,
    served: u32,
    idle_since: Instant,
}

/// A request that got no answer, and whether the wall clock ended it.
struct Failed {
    error: PdfError,
    timed_out: bool,
}

/// How one request to a serving worker ended.
enum Exchange {
    Answered(Response, Vec<u8>),
    /// The worker ended before answering, with this status.
    Ended(ExitStatus),
    TimedOut,
    /// It answered something that is not an answer, or the pipes failed.
    Broken(String),
}

impl Drop for Serving {
    fn drop(&mut self) {
        // Killing an exited child is harmless; waiting reaps it so no zombie is left.
        let _ignored = self.child.kill();
        let _ignored = self.child.wait();
    }
}

impl Serving {
    fn first(&self) -> Option<u32> {
        self.window.as_ref().map(|window| window.first)
    }

    fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    fn stderr(&self) -> Vec<u8> {
        self.stderr.lock().map(|e| e.clone()).unwrap_or_default()
    }

    /// Sends `request` (after the document, on a fresh worker) and reads the answer, all
    /// before `deadline`; the writing and reading run beside the wait, as in a one-shot call.
    fn exchange(&mut self, request: &Request, deadline: Instant) -> Exchange {
        let document = self.fresh.then(|| self.document.clone());
        self.fresh = false;
        let window = self.window.as_ref();
        let (child, stdin, stdout) = (&mut self.child, &mut self.stdin, &mut self.stdout);
        std::thread::scope(|scope| {
            let talk = scope.spawn(move || -> std::io::Result<(Response, Vec<u8>)> {
                match document.as_deref().map(|held| &held.copy) {
                    Some(Storage::Shared(shared)) => {
                        let open = Request::OpenShared {
                            len: shared.len(),
                            fd: shared.fd(),
                            window: window.map(|window| OpenWindow {
                                first: window.first,
                                count: window.count,
                                tail_len: window.tail.len() as u64,
                            }),
                        };
                        write_line(stdin, &open)?;
                        stdin.write_all(window.map_or(&[][..], |window| &window.tail))?;
                    }
                    Some(Storage::Piped(pdf)) => {
                        write_line(stdin, &Request::Open { len: pdf.len() as u64 })?;
                        stdin.write_all(pdf)?;
                    }
                    None => {}
                }
                write_line(stdin, request)?;
                stdin.flush()?;
                let response: Response = read_line(stdout, MAX_RESPONSE_HEADER)?;
                let bodies = read_body(stdout, body_len(&response))?;
                Ok((response, bodies))
            });
            let mut pause = Duration::from_millis(1);
            loop {
                let ended = match child.try_wait() {
                    Ok(ended) => ended,
                    Err(e) => {
                        let _ignored = child.kill().and_then(|()| child.wait().map(drop));
                        let _ignored = talk.join();
                        return Exchange::Broken(format!("waiting for the PDF worker: {e}"));
                    }
                };
                if ended.is_none() && Instant::now() >= deadline {
                    let _ignored = child.kill().and_then(|()| child.wait().map(drop));
                    let _ignored = talk.join();
                    return Exchange::TimedOut;
                }
                // A worker that ended closed its pipes, so the exchange ends too; one that
                // answered its last page and exited still left the answer in the pipe.
                if ended.is_some() || talk.is_finished() {
                    return match (talk.join(), ended) {
                        (Ok(Ok((response, bodies))), _) => Exchange::Answered(response, bodies),
                        (_, Some(status)) if !status.success() => Exchange::Ended(status),
                        (Ok(Err(e)), None) => {
                            // The pipes failed first: the worker is ending, and how says why.
                            match wait_until(child, Instant::now() + Duration::from_secs(1)) {
                                Ok(Some(status)) if !status.success() => Exchange::Ended(status),
                                _ => Exchange::Broken(format!("bad worker response: {e}")),
                            }
                        }
                        (Ok(Err(e)), Some(_)) => Exchange::Broken(format!("bad worker response: {e}")),
                        (Err(_), _) => Exchange::Broken("the exchange with the PDF worker panicked".to_owned()),
                    };
                }
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(10));
            }
        })
    }
}

/// Bytes of binary body that follow an answer's line.
fn body_len(response: &Response) -> u64 {
    match response {
        Response::Extracted { image, tiles, .. } => image.len + tiles.iter().map(|t| t.len).sum::<u64>(),
        _ => 0,
    }
}

impl IsolatedPdfEngine {
    /// How many documents this engine keeps a copy of for its serving workers: one for each
    /// document a living worker holds, however many workers hold it.
    pub fn documents_held(&self) -> usize {
        self.idle.documents_held()
    }

    /// Runs `request` on a page of `document` in a serving worker: an idle one holding it, or
    /// a new one. A reused worker that fails in any way but the wall clock (a crash, the
    /// memory cap, a death while idle) hands the page to a new worker, whose verdict is the
    /// page's.
    pub(super) fn call_serving(
        &self,
        request: &Request,
        document: &Arc<Held>,
        what: &str,
    ) -> Result<(Response, Vec<u8>), PdfError> {
        let first = document.window_start(request);
        if let Some(worker) = self.idle.take(document, first) {
            match self.serve_one(worker, request, what) {
                // The wall clock is the page's own; trying again would only double it.
                Err(Failed { error, timed_out: true }) => return Err(error),
                // Memory the earlier pages left behind may be what ran out.
                Ok((Response::Failed(error), _)) if error.code == ErrorCode::ResourceLimit => {
                    tracing::debug!(%error, what, "A reused PDF worker ran out of memory; trying a new one.");
                }
                Err(Failed { error, .. }) => {
                    tracing::debug!(%error, what, "A reused PDF worker failed; trying a new one.");
                }
                Ok(answered) => return Ok(answered),
            }
        }
        // The window's bytes are written only for a worker that starts with it.
        let window = first.and_then(|first| document.tree()?.window_of(first));
        self.serve_one(self.start_serving(document.clone(), window)?, request, what)
            .map_err(|f| f.error)
    }

    fn serve_one(&self, mut worker: Serving, request: &Request, what: &str) -> Result<(Response, Vec<u8>), Failed> {
        let was_fresh = worker.fresh;
        let outcome = worker.exchange(request, Instant::now() + self.limits.wall);
        if was_fresh {
            self.note_confinement(&worker.stderr());
        }
        let failed = |error, timed_out| Err(Failed { error, timed_out });
        match outcome {
            Exchange::Answered(response, bodies) => {
                worker.served += 1;
                if worker.served < self.pages_per_worker {
                    self.idle.give_back(worker);
                }
                Ok((response, bodies))
            }
            Exchange::TimedOut => failed(
                PdfError::new(
                    ErrorCode::ProcessingTimeout,
                    format!(
                        "{what} took longer than {} s and was stopped",
                        self.limits.wall.as_secs()
                    ),
                ),
                true,
            ),
            Exchange::Ended(status) => {
                let errors = worker.stderr();
                let tail = String::from_utf8_lossy(&errors[errors.len().saturating_sub(STDERR_TAIL)..]).into_owned();
                tracing::warn!(%status, stderr = %tail, what, "PDF worker ended abnormally.");
                failed(exit_error(status, what, self.limits), false)
            }
            Exchange::Broken(message) => failed(internal(message), false),
        }
    }

    fn start_serving(&self, document: Arc<Held>, window: Option<Window>) -> Result<Serving, PdfError> {
        let limits = WorkerLimits {
            pages: Some(self.pages_per_worker),
            ..self.worker_limits()
        };
        let shared = match &document.copy {
            Storage::Shared(shared) => Some(shared),
            Storage::Piped(_) => None,
        };
        let mut child = self.spawn_worker(&limits, shared)?;
        let (Some(stdin), Some(stdout), Some(stderr)) = (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            let _ignored = child.kill().and_then(|()| child.wait().map(drop));
            return Err(internal("the PDF worker has no pipes".to_owned()));
        };
        let kept = Arc::new(Mutex::new(Vec::new()));
        let into = kept.clone();
        // Drained all along, so a chatty worker never blocks on a full pipe; it ends when the
        // worker does.
        std::thread::spawn(move || drain(stderr, &into));
        Ok(Serving {
            child,
            stdin,
            stdout: BufReader::new(stdout),
            stderr: kept,
            document,
            window,
            fresh: true,
            served: 0,
            idle_since: Instant::now(),
        })
    }
}

/// Keeps the head and the tail of a worker's stderr.
fn drain(mut pipe: impl Read, into: &Mutex<Vec<u8>>) {
    let mut chunk = [0u8; 4096];
    while let Ok(n) = pipe.read(&mut chunk) {
        if n == 0 {
            return;
        }
        let Ok(mut kept) = into.lock() else { return };
        kept.extend_from_slice(&chunk[..n]);
        if kept.len() > STDERR_HEAD + 2 * STDERR_TAIL {
            let end = kept.len() - STDERR_TAIL;
            kept.drain(STDERR_HEAD..end);
        }
    }
}
