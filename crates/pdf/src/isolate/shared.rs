//! One copy of a document for every worker serving pages of it, outside their heaps.
//!
//! A serving worker used to read the whole document from its input and keep it for PDFium,
//! and the parent kept a copy per worker to match requests to workers: a 120-sheet set of
//! 18 MB was then held once by the service and once more by each worker alive, whatever
//! pages they served. Now, on Linux, the parent writes the document once into an anonymous
//! memory file (`memfd_create`), seals it against any change, and each worker inherits the
//! descriptor (it opens nothing, so Landlock has nothing to allow) and lets PDFium read only
//! the parts it needs, as it does from a file. The workers of a document share that one
//! copy, which lives in shared memory rather than in any process's heap, and goes when the
//! last worker holding it is gone. Where a memory file cannot be made, the document goes
//! through the worker's input as before.

use std::fs::File;
use std::io;

/// A sealed memory file holding a document, shared by the workers that serve it.
#[derive(Debug)]
pub(super) struct SharedDocument {
    file: File,
    len: u64,
}

/// Bytes compared at a time when matching a request's document to a shared one.
const COMPARE_CHUNK: usize = 1 << 20;

impl SharedDocument {
    /// The document's bytes, as a worker reads them.
    pub(super) fn len(&self) -> u64 {
        self.len
    }

    /// Whether this holds exactly `pdf` (compared in full, a chunk at a time).
    pub(super) fn holds(&self, pdf: &[u8]) -> bool {
        use std::os::unix::fs::FileExt;
        if pdf.len() as u64 != self.len {
            return false;
        }
        let mut chunk = vec![0u8; COMPARE_CHUNK.min(pdf.len())];
        pdf.chunks(COMPARE_CHUNK).enumerate().all(|(i, expected)| {
            let read = &mut chunk[..expected.len()];
            self.file.read_exact_at(read, (i * COMPARE_CHUNK) as u64).is_ok() && read == expected
        })
    }
}

/// An inherited document read by position: the workers of a document share the descriptor's
/// file offset, so reading through it with seek and read would race between them. It may be
/// followed by a `tail` the worker holds (a page window, see `page_window.rs`).
#[derive(Debug)]
pub(crate) struct DocumentReader {
    file: File,
    len: u64,
    tail: Vec<u8>,
    position: u64,
}

impl DocumentReader {
    /// Reads `file`, of `len` bytes, from its start.
    pub(crate) fn new(file: File, len: u64) -> DocumentReader {
        DocumentReader::with_tail(file, len, Vec::new())
    }

    /// Reads `file`, of `len` bytes, and then `tail`, as one document.
    pub(crate) fn with_tail(file: File, len: u64, tail: Vec<u8>) -> DocumentReader {
        DocumentReader {
            file,
            len,
            tail,
            position: 0,
        }
    }

    /// The first `n` bytes of the file (fewer in a shorter one).
    pub(crate) fn head(&self, n: usize) -> io::Result<Vec<u8>> {
        use std::os::unix::fs::FileExt;
        let mut head = vec![0u8; n.min(usize::try_from(self.len).unwrap_or(n))];
        self.file.read_exact_at(&mut head, 0)?;
        Ok(head)
    }

    /// The whole file, for the rare request that needs it in memory.
    pub(crate) fn all(&self) -> io::Result<Vec<u8>> {
        self.head(usize::try_from(self.len).unwrap_or(usize::MAX))
    }

    fn total(&self) -> u64 {
        self.len + self.tail.len() as u64
    }
}

impl io::Read for DocumentReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        use std::os::unix::fs::FileExt;
        let left = self.total().saturating_sub(self.position);
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        // PDFium asks for a block and takes a short answer as a failure: fill it, from the
        // file up to its end and from the tail after it.
        let from_file = want.min(usize::try_from(self.len.saturating_sub(self.position)).unwrap_or(usize::MAX));
        self.file.read_exact_at(&mut buf[..from_file], self.position)?;
        if from_file < want {
            let in_tail = usize::try_from(self.position + from_file as u64 - self.len).unwrap_or(usize::MAX);
            buf[from_file..want].copy_from_slice(&self.tail[in_tail..in_tail + (want - from_file)]);
        }
        self.position += want as u64;
        Ok(want)
    }
}

impl io::Seek for DocumentReader {
    fn seek(&mut self, to: io::SeekFrom) -> io::Result<u64> {
        let position = match to {
            io::SeekFrom::Start(at) => Some(at),
            io::SeekFrom::End(delta) => self.total().checked_add_signed(delta),
            io::SeekFrom::Current(delta) => self.position.checked_add_signed(delta),
        };
        self.position = position.ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek before the start"))?;
        Ok(self.position)
    }
}

#[cfg(target_os = "linux")]
#[allow(unsafe_code)] // memfd_create, fcntl and pre_exec have no safe wrappers in std.
mod linux {
    use super::SharedDocument;
    use std::fs::File;
    use std::io::{self, Write};
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
    use std::os::unix::process::CommandExt;
    use std::process::Command;

    impl SharedDocument {
        /// `pdf` in a new sealed memory file; an error where the kernel or a sandbox refuses.
        pub(in crate::isolate) fn new(pdf: &[u8]) -> io::Result<SharedDocument> {
            let flags = libc::MFD_CLOEXEC | libc::MFD_ALLOW_SEALING;
            // SAFETY: the name is a NUL-terminated literal; the call returns a new descriptor
            // or -1, and nothing else owns the descriptor.
            let fd = unsafe { libc::memfd_create(c"drawings-document".as_ptr(), flags) };
            if fd < 0 {
                return Err(io::Error::last_os_error());
            }
            // SAFETY: `fd` was just created and is owned by nothing else.
            let mut file = File::from(unsafe { OwnedFd::from_raw_fd(fd) });
            file.write_all(pdf)?;
            // Sealed: no worker can change what the others read, nor the parent by mistake.
            let seals = libc::F_SEAL_SHRINK | libc::F_SEAL_GROW | libc::F_SEAL_WRITE | libc::F_SEAL_SEAL;
            // SAFETY: fcntl on a descriptor this function owns, with integer arguments.
            if unsafe { libc::fcntl(file.as_raw_fd(), libc::F_ADD_SEALS, seals) } != 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(SharedDocument {
                file,
                len: pdf.len() as u64,
            })
        }

        /// Lets the worker `command` starts inherit the document, at the descriptor number
        /// [`SharedDocument::fd`] says. Only that child inherits it: the descriptor is
        /// close-on-exec in the parent, so workers of other documents never see it.
        pub(in crate::isolate) fn pass_to(&self, command: &mut Command) {
            let fd = self.fd();
            // SAFETY: the closure runs in the forked child before exec and only calls fcntl,
            // which is async-signal-safe; it clears close-on-exec on a descriptor the child
            // inherited from this process, which stays open as long as `self`, borrowed
            // while the command is spawned.
            unsafe {
                command.pre_exec(move || {
                    if libc::fcntl(fd, libc::F_SETFD, 0) == -1 {
                        return Err(io::Error::last_os_error());
                    }
                    Ok(())
                });
            }
        }

        /// The descriptor's number, the same in the parent and in the worker.
        pub(in crate::isolate) fn fd(&self) -> RawFd {
            self.file.as_raw_fd()
        }
    }

    /// The document a serving worker inherited at `fd`, made close-on-exec so that what the
    /// worker starts (Tesseract) does not inherit it in turn.
    pub(in crate::isolate) fn inherited_document(fd: RawFd) -> io::Result<File> {
        // SAFETY: fcntl with integer arguments; it fails on a descriptor that is not open.
        if fd < 3 || unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) } == -1 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("the document's descriptor {fd} is not open"),
            ));
        }
        // SAFETY: the parent passed this descriptor for the worker's sole use; it is open (just
        // checked) and nothing else in this process owns it.
        Ok(File::from(unsafe { OwnedFd::from_raw_fd(fd) }))
    }
}

#[cfg(target_os = "linux")]
pub(super) use linux::inherited_document;

#[cfg(not(target_os = "linux"))]
impl SharedDocument {
    /// No memory files here: documents go through the workers' input.
    pub(super) fn new(_: &[u8]) -> io::Result<SharedDocument> {
        Err(io::Error::new(io::ErrorKind::Unsupported, "no memory files"))
    }

    pub(super) fn pass_to(&self, _: &mut std::process::Command) {}

    pub(super) fn fd(&self) -> i32 {
        -1
    }
}

#[cfg(not(target_os = "linux"))]
pub(super) fn inherited_document(_: i32) -> io::Result<File> {
    Err(io::Error::new(io::ErrorKind::Unsupported, "no inherited documents"))
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use std::io::{Read, Seek};
    use std::os::fd::AsRawFd;

    #[test]
    fn a_shared_document_holds_exactly_its_bytes_and_cannot_be_changed() {
        let pdf: Vec<u8> = (0..3 * COMPARE_CHUNK + 17).map(|i| (i % 251) as u8).collect();
        let shared = SharedDocument::new(&pdf).unwrap();
        assert_eq!(shared.len(), pdf.len() as u64);
        assert!(shared.holds(&pdf));
        let mut other = pdf.clone();
        *other.last_mut().unwrap() ^= 1;
        assert!(!shared.holds(&other), "a difference in the last chunk counts");
        assert!(!shared.holds(&pdf[1..]), "so does the length");

        use std::os::unix::fs::FileExt;
        assert!(shared.file.write_at(b"x", 0).is_err(), "sealed against writes");
        assert!(shared.file.set_len(1).is_err(), "and against shrinking");
        assert!(shared.file.as_raw_fd() > 2);
    }

    #[test]
    fn a_document_reader_reads_by_position_whatever_the_shared_offset() {
        let pdf: Vec<u8> = (0..10_000u32).map(|i| (i % 253) as u8).collect();
        let shared = SharedDocument::new(&pdf).unwrap();
        let (a, b) = (shared.file.try_clone().unwrap(), shared.file.try_clone().unwrap());
        let (mut a, mut b) = (
            DocumentReader::new(a, shared.len()),
            DocumentReader::new(b, shared.len()),
        );
        assert_eq!(a.seek(io::SeekFrom::End(-10)).unwrap(), 9_990);
        b.seek(io::SeekFrom::Start(100)).unwrap();
        let (mut from_a, mut from_b) = (Vec::new(), [0u8; 50]);
        b.read_exact(&mut from_b).unwrap();
        a.read_to_end(&mut from_a).unwrap();
        assert_eq!((&from_a[..], &from_b[..]), (&pdf[9_990..], &pdf[100..150]));
        assert_eq!(a.head(5).unwrap(), &pdf[..5]);
        assert_eq!(b.all().unwrap(), pdf);
        assert!(a.seek(io::SeekFrom::Current(-20_000)).is_err());
    }

    #[test]
    fn a_document_reader_with_a_tail_reads_across_the_join_as_one_document() {
        let pdf: Vec<u8> = (0..5_000u32).map(|i| (i % 251) as u8).collect();
        let tail = b"\n1 0 obj << >> endobj\n".to_vec();
        let shared = SharedDocument::new(&pdf).unwrap();
        let mut reader = DocumentReader::with_tail(shared.file.try_clone().unwrap(), shared.len(), tail.clone());
        let whole = [&pdf[..], &tail[..]].concat();
        assert_eq!(reader.seek(io::SeekFrom::End(0)).unwrap(), whole.len() as u64);
        // A block that starts in the file and ends in the tail, then one wholly in the tail.
        let (mut across, mut after) = ([0u8; 30], Vec::new());
        reader.seek(io::SeekFrom::Start(4_990)).unwrap();
        reader.read_exact(&mut across).unwrap();
        reader.read_to_end(&mut after).unwrap();
        assert_eq!((&across[..], &after[..]), (&whole[4_990..5_020], &whole[5_020..]));
        assert_eq!(reader.all().unwrap(), pdf);
    }
}
