//! Regenerates the workspace's `fixtures/` (or the directory given as the only argument):
//! the synthetic drawings, their expected components and the not-a-PDF file.
//!
//! `cargo run -p drawings-testkit --bin make-fixtures [DIR]`

use drawings_testkit::fixtures::drawings::{fixtures_dir, write_all};
use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let dir = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(fixtures_dir);
    match write_all(&dir) {
        Ok(paths) => {
            for p in paths {
                println!("wrote {}", p.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("make-fixtures: {e}");
            ExitCode::FAILURE
        }
    }
}
