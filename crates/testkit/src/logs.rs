//! What a component logs, captured for a test to read: a JSON `tracing` subscriber writing
//! into memory, installed for the current thread only, so tests running side by side do not
//! see each other's lines. Use it from a current-thread runtime (`#[tokio::test]`'s
//! default): a task on another thread logs to that thread's subscriber, not this one.

use std::io::Write;
use std::sync::{Arc, Mutex};
use tracing::Level;
use tracing::subscriber::DefaultGuard;

/// The log lines written on this thread since [`capture`], until it is dropped.
pub struct CapturedLogs {
    buffer: Buffer,
    _guard: DefaultGuard,
}

/// Captures this thread's events at `level` and above, as the service's JSON log lines.
pub fn capture(level: Level) -> CapturedLogs {
    let buffer = Buffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_max_level(level)
        .with_writer(move || writer.clone())
        .finish();
    CapturedLogs {
        buffer,
        _guard: tracing::subscriber::set_default(subscriber),
    }
}

impl CapturedLogs {
    /// Everything written so far.
    pub fn text(&self) -> String {
        let bytes = self.buffer.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        String::from_utf8(bytes.clone()).expect("log lines are UTF-8")
    }
}

/// The shared bytes the subscriber writes to (it takes a fresh writer per event).
#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
