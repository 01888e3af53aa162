//! Least privilege for the PDF worker, which parses hostile files: were PDFium's memory bugs
//! exploited, the code would run with what the worker has, so it has next to nothing.
//!
//! **Environment.** The service starts each worker with a cleared environment and passes on
//! only [`INHERITED_VARIABLES`]: `PATH` (to find `tesseract`), `LD_LIBRARY_PATH` (a Lambda
//! layer's libraries) and `TESSDATA_PREFIX` (Tesseract's language data). The service's secrets
//! (`GEMINI_API_KEY`, `DRAWINGS_CALLBACK_SECRET`, on Lambda the role's `AWS_*` credentials)
//! never reach it. Its settings come as arguments (the PDFium library, the limits, OCR).
//!
//! **Files and network: Landlock**, through the maintained `landlock` crate (its API is safe).
//! Before it binds PDFium or reads a byte of the file, the worker restricts itself, and with it
//! every process it starts (Tesseract), to reading the system's shared libraries, fonts and
//! programs (`/usr`, `/lib`, `/lib64`, `/bin`, `/sbin`), the dynamic loader's cache, the PDFium
//! library, the configured Tesseract and its data, the `LD_LIBRARY_PATH` directories, its own
//! `/proc/self`, and to reading and writing `/dev/null`. Nothing else: not the data directory
//! (the PDF arrives on stdin, answers leave on stdout), not the home directory and its
//! credentials, not other processes' `/proc` (the service's environment); no write anywhere.
//! No TCP (Landlock ABI 4), no signals to or abstract UNIX sockets of processes outside the
//! sandbox (ABI 6), no pathname UNIX sockets (ABI 9), no UDP (ABI 10). The crate sets
//! `PR_SET_NO_NEW_PRIVS`, so no set-uid program regains rights. The worker is a single thread
//! when it restricts itself, so no thread escapes the domain.
//!
//! The ruleset asks for everything Landlock ABI 10 can deny and grants only reads; the crate's
//! best effort keeps what the running kernel supports and drops the rest. The worker then
//! writes a [`Confinement`] line on stderr, which the service logs once: which protections
//! hold. On a kernel without Landlock (built or booted without it) the worker runs with a
//! cleared environment and its resource limits only, and the log says so.
//!
//! **Why Landlock and not seccomp.** The point is which files the worker may open, and seccomp
//! filters system calls by number and register, not by path: it cannot tell the PDFium library
//! from the data directory (`open` takes a pointer a filter cannot follow). A system-call
//! allowlist for PDFium, Tesseract and glibc would also be long and break with their versions.
//! Landlock needs no root and no container. What it does not do: limit the system calls
//! themselves (a kernel exploit), or, below ABI 9, connecting to pathname UNIX sockets; a
//! seccomp filter denying `socket(2)` would close the latter on older kernels.

use crate::OcrSettings;
use serde::{Deserialize, Serialize};
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// The variables a worker gets from the service's environment; all others are cleared.
pub const INHERITED_VARIABLES: &[&str] = &["PATH", "LD_LIBRARY_PATH", "TESSDATA_PREFIX"];

/// The service's values of [`INHERITED_VARIABLES`], for the worker's environment.
pub(crate) fn inherited_environment() -> Vec<(&'static str, OsString)> {
    INHERITED_VARIABLES
        .iter()
        .filter_map(|&name| std::env::var_os(name).map(|value| (name, value)))
        .collect()
}

/// How much of the Landlock ruleset the kernel enforces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Enforcement {
    /// All of it.
    Full,
    /// What the kernel's Landlock version supports ([`Confinement::landlock_abi`]).
    Partial,
    /// None: no Landlock in this kernel (or not Linux).
    None,
}

/// What confines a worker, as it reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confinement {
    /// How much of the Landlock ruleset holds.
    pub landlock: Enforcement,
    /// The Landlock ABI version enforced (0: none); it says which rules hold.
    pub landlock_abi: u8,
    /// Whether `PR_SET_NO_NEW_PRIVS` is set.
    pub no_new_privs: bool,
}

/// How the worker's stderr line with its [`Confinement`] starts.
const REPORT_PREFIX: &str = "pdf-worker: confinement ";

impl Confinement {
    /// Whether file access is confined (any Landlock).
    pub fn files_confined(&self) -> bool {
        self.landlock != Enforcement::None && self.landlock_abi >= 1
    }

    /// Whether TCP is denied (Landlock ABI 4).
    pub fn tcp_denied(&self) -> bool {
        self.landlock != Enforcement::None && self.landlock_abi >= 4
    }

    /// The protections in force, for the log.
    pub fn protections(&self) -> Vec<&'static str> {
        let on = self.landlock != Enforcement::None;
        [
            (
                self.files_confined(),
                "files read-only and only the system's, PDFium's and Tesseract's",
            ),
            (self.tcp_denied(), "no TCP"),
            (on && self.landlock_abi >= 6, "no signals or abstract sockets outside"),
            (on && self.landlock_abi >= 9, "no UNIX sockets"),
            (on && self.landlock_abi >= 10, "no UDP"),
            (self.no_new_privs, "no new privileges"),
        ]
        .into_iter()
        .filter_map(|(holds, what)| holds.then_some(what))
        .collect()
    }

    /// The line the worker writes on stderr.
    pub(crate) fn report_line(&self) -> String {
        // Serializing a struct of plain fields cannot fail; an empty object still reads back.
        format!("{REPORT_PREFIX}{}", serde_json::to_string(self).unwrap_or_default())
    }

    /// The report in a worker's stderr, if it wrote one.
    pub(crate) fn from_stderr(stderr: &[u8]) -> Option<Confinement> {
        String::from_utf8_lossy(stderr)
            .lines()
            .find_map(|line| line.strip_prefix(REPORT_PREFIX))
            .and_then(|json| serde_json::from_str(json).ok())
    }
}

/// Why the worker could not confine itself (a kernel without Landlock is not this: the
/// worker then runs unconfined and says so).
#[derive(Debug, thiserror::Error)]
#[error("cannot confine the PDF worker: {0}")]
pub(crate) struct SandboxError(String);

/// What the worker may read: directories (and everything beneath) or single files. Paths that
/// do not exist are left out.
fn readable_paths(ocr: &OcrSettings) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = ["/usr", "/lib", "/lib64", "/bin", "/sbin", "/etc/ld.so.cache"]
        .into_iter()
        .map(PathBuf::from)
        .collect();
    // The link resolves now, to this process's directory: Tesseract's and the service's stay shut.
    paths.push(PathBuf::from("/proc/self"));
    paths.extend(crate::library_candidates());
    paths.extend(program_file(&ocr.program));
    for name in ["LD_LIBRARY_PATH", "TESSDATA_PREFIX"] {
        if let Some(value) = std::env::var_os(name) {
            paths.extend(std::env::split_paths(&value).filter(|p| p.is_absolute()));
        }
    }
    paths
}

/// The file `program` runs: itself when it names a path, else the first match on `PATH`.
fn program_file(program: &Path) -> Option<PathBuf> {
    if program.components().count() > 1 {
        return Some(program.to_path_buf());
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

/// Restricts this process and everything it starts to [`readable_paths`] and no network.
/// Call it while the process has one thread, before PDFium is bound.
#[cfg(target_os = "linux")]
pub(crate) fn confine(ocr: &OcrSettings) -> Result<Confinement, SandboxError> {
    use landlock::{
        ABI, Access, AccessFs, AccessNet, LandlockStatus, RulesetAttr, RulesetCreatedAttr, RulesetStatus, Scope,
        path_beneath_rules,
    };
    // The newest ABI the crate knows: newer rights only deny more, and the worker needs none.
    let abi = ABI::V10;
    let error = |e: landlock::RulesetError| SandboxError(e.to_string());
    let status = landlock::Ruleset::default()
        .handle_access(AccessFs::from_all(abi))
        .and_then(|r| r.handle_access(AccessNet::from_all(abi)))
        .and_then(|r| r.scope(Scope::from_all(abi)))
        .and_then(|r| r.create())
        // Read and execute: Tesseract is a program, and so is `sh` for a stand-in.
        .and_then(|r| r.add_rules(path_beneath_rules(readable_paths(ocr), AccessFs::from_read(abi))))
        .and_then(|r| {
            let null = AccessFs::ReadFile | AccessFs::WriteFile | AccessFs::Truncate;
            r.add_rules(path_beneath_rules(["/dev/null"], null))
        })
        // No rule for any port: every handled network access is denied.
        .and_then(|r| r.restrict_self())
        .map_err(error)?;
    let landlock = match status.ruleset {
        RulesetStatus::FullyEnforced => Enforcement::Full,
        RulesetStatus::PartiallyEnforced => Enforcement::Partial,
        RulesetStatus::NotEnforced => Enforcement::None,
    };
    let landlock_abi = match status.landlock {
        // `ABI` prints as its number ("unsupported" for none).
        LandlockStatus::Available { effective_abi, .. } => effective_abi.to_string().parse().unwrap_or(0),
        _ => 0,
    };
    Ok(Confinement {
        landlock,
        landlock_abi: if landlock == Enforcement::None { 0 } else { landlock_abi },
        no_new_privs: status.no_new_privs,
    })
}

/// No Landlock outside Linux: the worker runs with its resource limits and a cleared
/// environment only.
#[cfg(not(target_os = "linux"))]
pub(crate) fn confine(_: &OcrSettings) -> Result<Confinement, SandboxError> {
    Ok(Confinement {
        landlock: Enforcement::None,
        landlock_abi: 0,
        no_new_privs: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_reads_back_from_among_other_stderr_lines() {
        let confinement = Confinement {
            landlock: Enforcement::Partial,
            landlock_abi: 7,
            no_new_privs: true,
        };
        let stderr = format!("warning: something\n{}\nmore\n", confinement.report_line());
        assert_eq!(Confinement::from_stderr(stderr.as_bytes()), Some(confinement.clone()));
        assert_eq!(Confinement::from_stderr(b"no report"), None);
        assert_eq!(
            confinement.protections(),
            [
                "files read-only and only the system's, PDFium's and Tesseract's",
                "no TCP",
                "no signals or abstract sockets outside",
                "no new privileges"
            ]
        );
    }

    #[test]
    fn only_the_named_variables_are_inherited() {
        let names: Vec<&str> = inherited_environment().into_iter().map(|(name, _)| name).collect();
        assert!(names.iter().all(|name| INHERITED_VARIABLES.contains(name)));
        assert!(names.contains(&"PATH"), "the test environment has a PATH");
    }

    #[test]
    fn a_bare_program_name_is_found_on_the_path_and_a_path_is_kept() {
        assert_eq!(
            program_file(Path::new("/opt/x/tesseract")),
            Some(PathBuf::from("/opt/x/tesseract"))
        );
        let sh = program_file(Path::new("sh")).expect("sh is on the PATH");
        assert!(sh.is_absolute() && sh.ends_with("sh"), "{}", sh.display());
        assert_eq!(program_file(Path::new("no-such-program-anywhere")), None);
    }
}
