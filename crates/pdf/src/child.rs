//! Waiting for a child process (a PDF worker, Tesseract) with a deadline, and killing it at
//! the deadline: what every caller that starts one needs, so that no child outlives its
//! budget.

use std::process::{Child, ExitStatus};
use std::time::{Duration, Instant};

/// Waits for the child until `deadline`; kills it then. `None`: it was killed.
pub(crate) fn wait_until(child: &mut Child, deadline: Instant) -> std::io::Result<Option<ExitStatus>> {
    let mut pause = Duration::from_millis(1);
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status));
        }
        if Instant::now() >= deadline {
            child.kill()?;
            child.wait()?;
            return Ok(None);
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(10));
    }
}
