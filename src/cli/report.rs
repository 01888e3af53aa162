//! `drawings report --since 7d [--json] [--backend embedded|aws]`: the jobs created in the
//! window, their pages, how they ended, failures by code, and what they cost (Gemini,
//! compute, requests) in total and by client. Every figure is a sum of the jobs' own
//! `cost` (the one `GET /status` shows), so the report and the status views always agree.

use super::dlq::Backend;
use super::printable;
use crate::config::Config;
use crate::embedded::EmbeddedStack;
use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use clap::Args;
use drawings_core::cost::RequestCounts;
use drawings_core::dead_letter::parse_age;
use drawings_core::ports::{JobQuery, JobStore};
use drawings_core::status::CostView;
use drawings_core::{Job, JobStatus};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

/// `drawings report` and its options.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Jobs created this long ago or later: 7d, 12h, 30m, 1d12h ...
    #[arg(long, value_parser = parse_age)]
    since: chrono::Duration,
    /// Print one JSON object instead of tables.
    #[arg(long)]
    json: bool,
    /// Where the jobs are.
    #[arg(long, value_enum, default_value_t = Backend::EmbeddedStack)]
    backend: Backend,
    /// Data directory of the embedded store (default: $DRAWINGS_DATA_DIR or ./drawings-data).
    #[arg(long)]
    data_dir: Option<PathBuf>,
}

/// Costs summed over jobs.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CostTotals {
    /// Jobs summed.
    pub jobs: u64,
    /// Pages of those jobs.
    pub pages: u64,
    /// Gemini.
    pub gemini_usd: f64,
    /// Processor compute.
    pub compute_usd: f64,
    /// Lambda, S3, DynamoDB and SQS requests.
    pub requests_usd: f64,
    /// All of it.
    pub total_usd: f64,
    /// Processor wall time.
    pub compute_seconds: f64,
    /// Gemini prompt tokens.
    pub input_tokens: u64,
    /// Gemini output tokens.
    pub output_tokens: u64,
    /// Requests by kind.
    pub requests: RequestCounts,
}

impl CostTotals {
    fn add(&mut self, job: &Job) {
        let cost = CostView::of(job);
        self.jobs += 1;
        self.pages += u64::from(job.progress.total);
        self.gemini_usd += cost.gemini_usd;
        self.compute_usd += cost.compute_usd;
        self.requests_usd += cost.requests_usd;
        self.total_usd += cost.total_usd;
        self.compute_seconds += cost.compute_seconds;
        self.input_tokens += job.usage.input_tokens;
        self.output_tokens += job.usage.output_tokens;
        self.requests += cost.requests;
    }
}

/// The report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Start of the window (jobs created at or after it).
    pub since: DateTime<Utc>,
    /// When the report was made.
    pub until: DateTime<Utc>,
    /// Jobs by status (`completed`, `failed`, ...).
    pub statuses: BTreeMap<&'static str, u64>,
    /// Failed jobs by error code.
    pub failures_by_code: BTreeMap<String, u64>,
    /// Every job of the window.
    pub total: CostTotals,
    /// By client label (`-` for jobs without one), most expensive first.
    pub by_client: Vec<(String, CostTotals)>,
    /// Dates of the AWS price tables the jobs were priced with.
    pub prices_as_of: Vec<String>,
    /// Whether compute was measured on Lambda or is priced as if it had run there.
    pub compute_basis: Vec<String>,
}

/// Sums `jobs` (those created since `since`).
pub fn summarize(jobs: &[Job], since: DateTime<Utc>, until: DateTime<Utc>) -> Report {
    let mut statuses = BTreeMap::new();
    let mut failures_by_code = BTreeMap::new();
    let mut total = CostTotals::default();
    let mut clients: BTreeMap<String, CostTotals> = BTreeMap::new();
    let mut as_of = std::collections::BTreeSet::new();
    let mut basis = std::collections::BTreeSet::new();
    for job in jobs.iter().filter(|j| j.created_at >= since) {
        *statuses.entry(job.status.as_str()).or_insert(0) += 1;
        if job.status == JobStatus::Failed {
            let code = job.error.as_ref().map_or("UNKNOWN".to_owned(), |e| e.code.to_string());
            *failures_by_code.entry(code).or_insert(0) += 1;
        }
        total.add(job);
        let client = job.input.client_name.clone().unwrap_or_else(|| "-".into());
        clients.entry(client).or_default().add(job);
        if let Some(date) = &job.cost.as_of {
            as_of.insert(date.clone());
            basis.insert(job.cost.basis.as_str().to_owned());
        }
    }
    let mut by_client: Vec<_> = clients.into_iter().collect();
    by_client.sort_by(|a, b| b.1.total_usd.total_cmp(&a.1.total_usd).then_with(|| a.0.cmp(&b.0)));
    Report {
        since,
        until,
        statuses,
        failures_by_code,
        total,
        by_client,
        prices_as_of: as_of.into_iter().collect(),
        compute_basis: basis.into_iter().collect(),
    }
}

#[cfg(feature = "aws")]
async fn aws_jobs() -> Result<Arc<dyn JobStore>> {
    Ok(super::aws_ports().await?.0.jobs)
}

#[cfg(not(feature = "aws"))]
async fn aws_jobs() -> Result<Arc<dyn JobStore>> {
    Err(super::without_aws())
}

/// Runs `drawings report`.
pub async fn run(config: &Config, args: ReportArgs) -> Result<ExitCode> {
    let jobs: Arc<dyn JobStore> = match args.backend {
        Backend::EmbeddedStack => {
            let dir = args.data_dir.clone().unwrap_or_else(|| config.data_dir.clone());
            EmbeddedStack::open_stores(&dir)?.0.jobs
        }
        Backend::Aws => aws_jobs().await?,
    };
    let until = Utc::now();
    let since = until - args.since;
    let query = JobQuery {
        created_since: Some(since),
        ..JobQuery::default()
    };
    let found = jobs.list(&query).await.context("listing jobs")?;
    let report = summarize(&found, since, until);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", render_text(&report));
    }
    Ok(ExitCode::SUCCESS)
}

fn render_text(r: &Report) -> String {
    let mut out = String::new();
    let t = &r.total;
    out.push_str(&format!(
        "Jobs created {} to {}\n",
        r.since.format("%F %T"),
        r.until.format("%F %T UTC")
    ));
    let statuses: Vec<String> = r.statuses.iter().map(|(s, n)| format!(", {n} {s}")).collect();
    out.push_str(&format!("  {} jobs, {} pages{}\n", t.jobs, t.pages, statuses.concat()));
    for (code, n) in &r.failures_by_code {
        out.push_str(&format!("  failed with {code}: {n}\n"));
    }
    out.push_str(&format!(
        "  cost ${:.6}: Gemini ${:.6} ({} in / {} out tokens), compute ${:.6} ({:.1} s), requests ${:.6}\n",
        t.total_usd, t.gemini_usd, t.input_tokens, t.output_tokens, t.compute_usd, t.compute_seconds, t.requests_usd
    ));
    if !r.prices_as_of.is_empty() {
        out.push_str(&format!(
            "  AWS prices as of {}; compute {}\n",
            r.prices_as_of.join(", "),
            r.compute_basis.join(", ")
        ));
    }
    out.push_str(&format!(
        "\n{:<24} {:>6} {:>6} {:>12} {:>12}\n",
        "client", "jobs", "pages", "total_usd", "gemini_usd"
    ));
    for (client, c) in &r.by_client {
        out.push_str(&format!(
            "{:<24} {:>6} {:>6} {:>12.6} {:>12.6}\n",
            printable(client),
            c.jobs,
            c.pages,
            c.total_usd,
            c.gemini_usd
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use drawings_core::cost::{CostSettings, Measured};
    use drawings_core::{ErrorCode, JobError, JobId, JobInput};

    fn job(client: Option<&str>, status: JobStatus, pages: u32, gemini: f64, seconds: f64) -> Job {
        let input = JobInput {
            blob_key: "k".into(),
            sha256: "s".into(),
            bytes: 1,
            file_name: None,
            client_name: client.map(str::to_owned),
            project_name: None,
            callback_url: None,
        };
        let mut job = Job::new(JobId::generate(), input, None, Utc::now(), chrono::Duration::days(1));
        job.status = status;
        job.progress.total = pages;
        job.usage.usd = gemini;
        job.usage.input_tokens = 1000;
        let requests = RequestCounts::at_intake(&job);
        job.cost.add(
            &Measured {
                compute_seconds: seconds,
                requests,
            },
            &CostSettings::default(),
        );
        if status == JobStatus::Failed {
            job.error = Some(JobError {
                code: ErrorCode::InvalidPdf,
                message: "bad".into(),
                stage: None,
                retryable: false,
            });
        }
        job
    }

    #[test]
    fn totals_and_client_sums_add_up_to_the_per_job_costs() {
        let jobs = vec![
            job(Some("acme"), JobStatus::Completed, 3, 0.012, 4.5),
            job(Some("acme"), JobStatus::Completed, 1, 0.003, 1.25),
            job(None, JobStatus::Failed, 0, 0.0, 0.3),
            job(Some("zeta"), JobStatus::Completed, 12, 0.2, 30.0),
        ];
        let since = Utc::now() - chrono::Duration::hours(1);
        let report = summarize(&jobs, since, Utc::now());
        let per_job: f64 = jobs.iter().map(|j| CostView::of(j).total_usd).sum();
        assert_eq!(report.total.total_usd, per_job);
        assert_eq!(report.total.jobs, 4);
        assert_eq!(report.total.pages, 16);
        assert_eq!(report.total.input_tokens, 4000);
        let parts = report.total.gemini_usd + report.total.compute_usd + report.total.requests_usd;
        assert!((report.total.total_usd - parts).abs() < 1e-12);
        let clients: f64 = report.by_client.iter().map(|(_, c)| c.total_usd).sum();
        assert!((clients - per_job).abs() < 1e-12);
        let names: Vec<&str> = report.by_client.iter().map(|(c, _)| c.as_str()).collect();
        assert_eq!(names, ["zeta", "acme", "-"], "most expensive first");
        assert_eq!(report.by_client[1].1.jobs, 2);
        assert_eq!(report.statuses.get("completed"), Some(&3));
        assert_eq!(report.failures_by_code.get("INVALID_PDF"), Some(&1));
        assert_eq!(report.prices_as_of, ["2026-11-29"]);
        assert_eq!(report.compute_basis, ["as_if_lambda"]);
    }

    #[test]
    fn jobs_before_the_window_are_left_out() {
        let mut old = job(None, JobStatus::Completed, 2, 0.5, 1.0);
        old.created_at = Utc::now() - chrono::Duration::days(2);
        let report = summarize(&[old], Utc::now() - chrono::Duration::days(1), Utc::now());
        assert_eq!(report.total, CostTotals::default());
        assert!(render_text(&report).contains("0 jobs, 0 pages"));
    }
}
