//! `drawings process FILE`: one job end to end in-process, through the same intake, queue and
//! pipeline as the server (so continuations and retries behave the same), with a progress bar
//! on a terminal, then a summary table and the three result files in `--out`, with
//! `report.html`: the web UI's job view of the result as one self-contained file.

use super::printable;
use crate::config::Config;
use crate::embedded::EmbeddedStack;
use anyhow::{Context, Result};
use drawings_api::ui::{Report, ReportPage, ReportWriter};
use drawings_core::intake::Upload;
use drawings_core::ports::Inspection;
use drawings_core::schedule::Schedule;
use drawings_core::{Job, JobStatus, ResultFile};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;
use tokio::sync::watch;

/// Rows of the component table printed before it is cut short.
const TABLE_ROWS: usize = 40;

/// How often the job is looked at, and the worker's longest wait for the queue.
const POLL: Duration = Duration::from_millis(25);

/// Processes `file` and writes the results into `out`.
pub async fn run(config: &Config, file: &Path, out: &Path, data_dir: Option<PathBuf>) -> Result<ExitCode> {
    // The PDF workers load PDFium: without it every page would fail, and the job be retried
    // for half a minute, before saying so.
    if let Err(e) = drawings_pdf::check_pdfium_present() {
        eprintln!("error: {}", e.message);
        return Ok(ExitCode::FAILURE);
    }
    let body = tokio::fs::read(file)
        .await
        .with_context(|| format!("reading {}", file.display()))?;
    // A private store by default, so this run processes this file and nothing else.
    let scratch = match data_dir {
        Some(_) => None,
        None => Some(tempfile::tempdir().context("creating a temporary data directory")?),
    };
    let dir = data_dir.unwrap_or_else(|| scratch.as_ref().map(|d| d.path().to_path_buf()).unwrap_or_default());
    let embedded = EmbeddedStack::open(config, &dir)?;
    let file_name = file.file_name().map(|n| n.to_string_lossy().into_owned());
    let upload = Upload {
        body: body.into(),
        file_name,
        ..Default::default()
    };
    let job = match embedded.intake.submit(upload).await {
        Ok(accepted) => accepted.job,
        Err(e) => {
            eprintln!("{}: {e}", e.code());
            return Ok(ExitCode::FAILURE);
        }
    };

    let (stop_tx, stop_rx) = watch::channel(false);
    // A short wait: the run ends when the job does, and stopping the worker waits out its
    // receive (it was half a second of every run).
    let workers = tokio::spawn(embedded.workers(config, 1, POLL).run(stop_rx));
    let bar = progress_bar();
    let finished = loop {
        let current = embedded.ports.jobs.get(&job.id).await.context("reading the job")?;
        show_progress(&bar, &current);
        if current.status.is_terminal() {
            break current;
        }
        tokio::time::sleep(POLL).await;
    };
    bar.finish_and_clear();
    super::stop_workers(stop_tx, workers).await;

    if finished.status != JobStatus::Completed {
        match &finished.error {
            Some(e) => eprintln!(
                "job {} {}: {}: {}",
                finished.id,
                finished.status.as_str(),
                e.code,
                e.message
            ),
            None => eprintln!("job {} {}", finished.id, finished.status.as_str()),
        }
        return Ok(ExitCode::FAILURE);
    }
    let written = write_results(&embedded, &finished, out).await?;
    let schedule: Schedule = serde_json::from_slice(&tokio::fs::read(&written[0]).await?)?;
    print_summary(&finished, &schedule, &written);
    Ok(ExitCode::SUCCESS)
}

fn progress_bar() -> ProgressBar {
    let bar = ProgressBar::new(100);
    if !std::io::stderr().is_terminal() {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    if let Ok(style) = ProgressStyle::with_template("{spinner} [{bar:30}] {pos:>3}% {msg}") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

fn show_progress(bar: &ProgressBar, job: &Job) {
    bar.set_position(drawings_core::status::percent(job) as u64);
    let stage = job.current_stage.map(|s| s.as_str()).unwrap_or(job.status.as_str());
    if job.current_stage.is_some_and(|s| s.is_per_page()) {
        bar.set_message(format!(
            "{stage} page {}/{}",
            job.progress.done.len(),
            job.progress.total
        ));
    } else {
        bar.set_message(stage.to_owned());
    }
}

async fn write_results(embedded: &EmbeddedStack, job: &Job, out: &Path) -> Result<Vec<PathBuf>> {
    tokio::fs::create_dir_all(out)
        .await
        .with_context(|| format!("creating {}", out.display()))?;
    let mut written = Vec::new();
    for file in ResultFile::ALL {
        let name = file.name();
        let body = embedded
            .ports
            .blobs
            .get(&job.id.files().result(file))
            .await
            .with_context(|| format!("reading {name}"))?;
        let path = out.join(name);
        tokio::fs::write(&path, &body)
            .await
            .with_context(|| format!("writing {}", path.display()))?;
        written.push(path);
    }
    written.push(write_report(embedded, job, out).await?);
    Ok(written)
}

/// `report.html`: the web UI's job view as one file, with the page images and the result
/// files inside, to open from disk or send to someone without a server. Written a page at a
/// time, so memory does not grow with the page count.
async fn write_report(embedded: &EmbeddedStack, job: &Job, out: &Path) -> Result<PathBuf> {
    let blobs = &embedded.ports.blobs;
    let files = job.id.files();
    let inspection: Inspection =
        serde_json::from_slice(&blobs.get(&files.inspection()).await.context("reading inspect.json")?)
            .context("parsing inspect.json")?;
    let components = blobs.get(&files.result(ResultFile::Components)).await?;
    let csv = blobs.get(&files.result(ResultFile::ScheduleCsv)).await?;
    let xlsx = blobs.get(&files.result(ResultFile::ScheduleXlsx)).await?;
    let path = out.join("report.html");
    let failed = || format!("writing {}", path.display());
    let file = std::io::BufWriter::new(std::fs::File::create(&path).with_context(failed)?);
    let report = Report {
        job_id: job.id.as_str(),
        file_name: job.input.file_name.as_deref().unwrap_or("drawing.pdf"),
        components_json: &components,
        schedule_csv: &csv,
        schedule_xlsx: &xlsx,
    };
    let mut writer = ReportWriter::start(file, &report).with_context(failed)?;
    for page in &inspection.pages {
        let png = blobs
            .get(&files.page_image(page.index))
            .await
            .with_context(|| format!("reading the image of page {}", page.index + 1))?;
        writer
            .page(&ReportPage {
                page: page.index + 1,
                width_pt: page.width_pt,
                height_pt: page.height_pt,
                png: png.to_vec(),
            })
            .with_context(failed)?;
    }
    writer.finish().with_context(failed)?;
    Ok(path)
}

fn print_summary(job: &Job, schedule: &Schedule, written: &[PathBuf]) {
    println!(
        "job {} completed: {} pages, {} components",
        job.id,
        job.progress.total,
        schedule.components.len()
    );
    if !schedule.components.is_empty() {
        println!();
        println!("{:<24} {:<16} {:>4}  LOCATION", "ID", "TYPE", "PAGE");
        for c in schedule.components.iter().take(TABLE_ROWS) {
            println!(
                "{:<24} {:<16} {:>4}  {}",
                printable(&c.id),
                c.kind.as_str(),
                c.page,
                printable(c.location.as_deref().unwrap_or("-"))
            );
        }
        if schedule.components.len() > TABLE_ROWS {
            println!(
                "... and {} more (see components.json)",
                schedule.components.len() - TABLE_ROWS
            );
        }
    }
    println!();
    println!("{:<16} {:>5}", "TYPE", "TOTAL");
    for (kind, n) in &schedule.totals {
        println!("{:<16} {:>5}", kind.as_str(), n);
    }
    if !schedule.tag_totals.is_empty() {
        println!();
        println!("{:<16} {:>5}", "TAG", "TOTAL");
        for (tag, n) in &schedule.tag_totals {
            println!("{:<16} {:>5}", printable(tag), n);
        }
    }
    if !schedule.warnings.is_empty() {
        println!();
        for w in &schedule.warnings {
            println!("warning {}: {}", w.code, printable(&w.message));
        }
    }
    if job.continuations > 0 {
        println!("\ncontinuations: {}", job.continuations);
    }
    println!();
    for path in written {
        println!("wrote {}", path.display());
    }
}
