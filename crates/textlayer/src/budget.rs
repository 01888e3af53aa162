//! What reading one page may cost, so that a hostile page cannot stall the server.
//!
//! A page's text comes from an untrusted file, and reading it runs in the server process (on
//! the blocking pool, see [`crate::TextLayerAnalyzer`]), outside the PDF worker's limits. Most
//! of the reading is near-linear in the words, but neighbour searches are not when thousands
//! of labels sit at one spot: a 2 KB PDF can hold 80,000 copies of one equipment code, and
//! every copy is then every other copy's neighbour. Three limits bound it:
//!
//! - **words** ([`ReadingLimits::max_words`]): counted before anything is allocated for the
//!   reading, so its memory is bounded by the cap, not by the file;
//! - **time** ([`ReadingLimits::page_timeout`]): a thread cannot be stopped from outside, so the
//!   reading checks its [`Deadline`] itself, between phases and once per line or word of the
//!   loops that search neighbours. One step of such a loop is at most a scan of the page's
//!   words, so a reading overruns its deadline by milliseconds, not minutes;
//! - **threads** ([`ReadingLimits::concurrent_pages`]): at most this many pages are read at
//!   once in the process; the others wait, without a thread, for a turn. Their time starts
//!   when their reading does.
//!
//! Past either per-page limit the page's analysis fails with a permanent code
//! (`PAGE_TOO_COMPLEX`, `PAGE_ANALYSIS_TIMEOUT`): the same page fails the same way, and a
//! partial reading is never passed off as the page's devices.

use drawings_core::{ErrorClass, ErrorCode};
use std::time::{Duration, Instant};

/// The limits on reading pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadingLimits {
    /// Wall-clock time one page's reading may take (`DRAWINGS_PAGE_ANALYSIS_TIMEOUT_SECS`).
    pub page_timeout: Duration,
    /// Most words a page may hold to be read (`DRAWINGS_PAGE_ANALYSIS_MAX_WORDS`).
    pub max_words: usize,
    /// Pages read at once in the process (`DRAWINGS_PAGE_ANALYSIS_THREADS`).
    pub concurrent_pages: usize,
}

/// The densest page of the shared corpus (5,600 words) is read in 0.09 s by a debug build;
/// ten seconds is room for a slow machine, not for a hostile page, which costs a core this
/// long twice (analysis and evaluation).
const DEFAULT_PAGE_TIMEOUT: Duration = Duration::from_secs(10);
/// Over thirty times the corpus's densest page. The reading keeps a few hundred bytes a
/// word (the word, its line, grid entries), so a page at the cap needs some 60 MB while it
/// is read.
const DEFAULT_MAX_WORDS: usize = 200_000;

impl Default for ReadingLimits {
    fn default() -> Self {
        ReadingLimits {
            page_timeout: DEFAULT_PAGE_TIMEOUT,
            max_words: DEFAULT_MAX_WORDS,
            // One reading per core: more would only share the same cores more thinly.
            concurrent_pages: std::thread::available_parallelism().map_or(1, |n| n.get()),
        }
    }
}

/// Why a page could not be read within its limits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadingError {
    /// The reading ran past [`ReadingLimits::page_timeout`] and was stopped.
    #[error(
        "Page {page}'s text could not be analyzed within {} s: the page is too complex for the \
         text-layer analyzer (often thousands of labels printed over one another). Send a simpler \
         export of the sheet (one copy of each label), split it, or use the Gemini analyzer.",
        limit.as_secs_f32()
    )]
    TimedOut {
        /// The page, 1-based.
        page: u32,
        /// The limit it ran past.
        limit: Duration,
    },
    /// The page holds more words than [`ReadingLimits::max_words`].
    #[error(
        "Page {page} holds {words} words of text; the text-layer analyzer reads at most {max} a \
         page. Send a simpler export of the sheet (without repeated or hidden text), split it, or \
         use the Gemini analyzer."
    )]
    TooManyWords {
        /// The page, 1-based.
        page: u32,
        /// Words on the page.
        words: usize,
        /// The cap.
        max: usize,
    },
}

impl ReadingError {
    /// The stable code a client sees.
    pub fn code(&self) -> ErrorCode {
        match self {
            ReadingError::TimedOut { .. } => ErrorCode::PageAnalysisTimeout,
            ReadingError::TooManyWords { .. } => ErrorCode::PageTooComplex,
        }
    }

    /// Permanent: the same page costs the same again.
    pub fn class(&self) -> ErrorClass {
        ErrorClass::Permanent
    }
}

/// When a reading must stop. `Copy`, so each phase takes it by value.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Deadline(Option<Instant>);

/// A phase saw its deadline pass and stopped; what it found so far is not an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PastDeadline;

impl Deadline {
    /// No deadline: for trusted input (tests, benchmarks).
    pub(crate) fn none() -> Self {
        Deadline(None)
    }

    /// `timeout` from now (no deadline if that is beyond what the clock can say).
    pub(crate) fn after(timeout: Duration) -> Self {
        Deadline(Instant::now().checked_add(timeout))
    }

    /// `Err` once the deadline has passed. A clock read: cheap enough for every word of a loop.
    pub(crate) fn check(self) -> Result<(), PastDeadline> {
        match self.0 {
            Some(at) if Instant::now() >= at => Err(PastDeadline),
            _ => Ok(()),
        }
    }
}

/// The words [`crate::words::split`] would cut `runs` into, counted without allocating.
pub(crate) fn word_count(runs: &[drawings_core::ports::TextRun]) -> usize {
    runs.iter().map(|run| run.text.split_whitespace().count()).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deadline_passes_once_and_stays_passed() {
        assert_eq!(Deadline::none().check(), Ok(()));
        assert_eq!(Deadline::after(Duration::from_secs(3600)).check(), Ok(()));
        let passed = Deadline::after(Duration::ZERO);
        assert_eq!(passed.check(), Err(PastDeadline));
        assert_eq!(passed.check(), Err(PastDeadline));
        assert_eq!(Deadline::after(Duration::MAX).check(), Ok(()));
    }

    #[test]
    fn the_limits_map_to_permanent_codes_with_advice() {
        let timeout = ReadingError::TimedOut {
            page: 3,
            limit: Duration::from_secs(30),
        };
        assert_eq!(
            (timeout.code(), timeout.class()),
            (ErrorCode::PageAnalysisTimeout, ErrorClass::Permanent)
        );
        assert!(
            timeout
                .to_string()
                .starts_with("Page 3's text could not be analyzed within 30 s")
        );
        let words = ReadingError::TooManyWords {
            page: 1,
            words: 300_000,
            max: 200_000,
        };
        assert_eq!(words.code(), ErrorCode::PageTooComplex);
        assert!(words.to_string().contains("Gemini"));
    }

    #[test]
    fn words_are_counted_as_the_layout_splits_them() {
        let run = |text: &str| drawings_core::ports::TextRun {
            text: text.into(),
            bbox: drawings_core::BBox {
                x0: 0.0,
                y0: 0.0,
                x1: 1.0,
                y1: 1.0,
            },
        };
        assert_eq!(word_count(&[run("A B2 005 BB"), run("  "), run("SRA")]), 5);
    }
}
