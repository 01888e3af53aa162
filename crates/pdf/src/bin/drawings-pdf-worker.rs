//! A stand-alone PDF worker (`drawings pdf-worker` does the same inside the main binary):
//! answers one request from stdin under the limits given as arguments. Used by this
//! crate's isolation tests and available to deployments that ship it separately.

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    drawings_pdf::worker_main(&args)
}
