//! Large buffers go back to the kernel when freed, in every process that passes whole
//! documents and page images around: the service (which pipes each document to its PDF
//! workers and reads each page's PNG and text layer back) and the workers themselves.
//!
//! glibc serves an allocation above its mmap threshold (128 KiB at start) with a mapping of
//! its own, unmapped at free. But each such free raises the threshold to the freed size, up
//! to 32 MiB: after the first document copy of a job was freed, every later buffer smaller
//! than it (page PNGs, text layers, the next copies) came from the heap arenas, one per
//! thread, which keep what is freed in them. The service's RSS then grew with the pages of
//! a job although it held nothing of the finished pages (a 120-page job: 64 MiB after
//! validation, 217 MiB at the end; 76 MiB with the threshold fixed). Setting the threshold
//! once, at start, also turns that adjustment off.

/// Threshold above which an allocation gets its own mapping: glibc's starting value, kept.
pub const LARGE_BUFFER_BYTES: usize = 128 * 1024;

/// Keeps allocations of [`LARGE_BUFFER_BYTES`] or more in their own mappings for the life of
/// the process. Call it first thing in `main`, before threads start. `false` where the
/// allocator is not glibc's (nothing to do there) or refused the setting.
pub fn return_large_buffers() -> bool {
    set_mmap_threshold(LARGE_BUFFER_BYTES)
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)] // mallopt has no safe wrapper; it only sets a number in the allocator.
fn set_mmap_threshold(bytes: usize) -> bool {
    let Ok(bytes) = libc::c_int::try_from(bytes) else {
        return false;
    };
    // SAFETY: mallopt takes plain integers and is sound to call at any time; it returns 0
    // when it rejects the value.
    unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, bytes) == 1 }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn set_mmap_threshold(_: usize) -> bool {
    false
}

/// Gives the kernel back the free memory inside the heap arenas.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)] // malloc_trim has no safe wrapper; it only releases free pages.
pub(crate) fn trim() {
    // SAFETY: malloc_trim takes a plain integer (the padding to keep) and is sound at any
    // time; its result only says whether anything was released.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub(crate) fn trim() {}

#[cfg(all(test, target_os = "linux", target_env = "gnu"))]
mod tests {
    use super::*;
    use std::process::Command;

    /// Resident set of this process, KiB.
    fn rss_kib() -> u64 {
        let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
            .expect("VmRSS")
    }

    /// A big buffer freed, as a document copy is, then a smaller one held and freed: how much
    /// of the second stayed resident, KiB.
    fn kept_after_free() -> u64 {
        drop(std::hint::black_box(vec![1u8; 24 << 20]));
        let before = rss_kib();
        let buffer = std::hint::black_box(vec![1u8; 16 << 20]);
        assert!(rss_kib() >= before + 12 * 1024, "the buffer is resident while held");
        drop(buffer);
        rss_kib().saturating_sub(before)
    }

    /// Runs `test` alone in a fresh process (the other tests' threads would move the RSS, and
    /// the setting lasts for the process), with `mode` in its environment.
    fn in_own_process(test: &str, mode: &str) {
        let exe = std::env::current_exe().expect("test binary");
        let status = Command::new(exe)
            .args([test, "--exact", "--ignored", "--test-threads=1", "--nocapture"])
            .env("DRAWINGS_HEAP_TEST", mode)
            .status()
            .expect("run the test binary");
        assert!(status.success(), "{test} ({mode}) failed");
    }

    #[test]
    fn a_freed_large_buffer_leaves_the_resident_set_once_the_threshold_is_fixed() {
        in_own_process("heap::tests::measured_alone", "fixed");
    }

    #[test]
    #[ignore = "run by the test above, in a process of its own"]
    fn measured_alone() {
        if std::env::var("DRAWINGS_HEAP_TEST").as_deref() != Ok("fixed") {
            return;
        }
        assert!(return_large_buffers(), "glibc accepts its own default threshold");
        let kept = kept_after_free();
        assert!(kept < 4 * 1024, "{kept} KiB of a freed 16 MiB buffer stayed resident");
    }
}
