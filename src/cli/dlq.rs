//! `drawings dlq`: list, inspect, redrive and purge dead letters, on the embedded store or on
//! the AWS stack. The work is done by [`DeadLetters`] in the core; this module parses the
//! arguments, opens the backend and prints. Every command but `show` first drains messages
//! still waiting on the dead-letter queue into records (what its consumer would have done).

use super::printable;
use crate::config::Config;
use crate::embedded::EmbeddedStack;
use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use clap::{ArgGroup, Args, Subcommand, ValueEnum};
use drawings_core::dead_letter::{
    DeadLetterEntry, DeadLetters, DrainReport, PurgeOutcome, RedriveAction, RedriveOutcome, Selection, parse_age,
};
use drawings_core::{Job, JobId};
use std::path::PathBuf;
use std::process::ExitCode;

/// Where the dead letters are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Backend {
    /// The embedded store in the data directory (`drawings serve`'s).
    EmbeddedStack,
    /// The AWS stack named by DRAWINGS_TABLE, DRAWINGS_QUEUE_URL, DRAWINGS_DLQ_URL,
    /// DRAWINGS_BUCKET and DRAWINGS_ALERT_TOPIC_ARN (credentials and region as for the AWS CLI).
    Aws,
}

/// `drawings dlq` and its options.
#[derive(Debug, Args)]
pub struct DlqArgs {
    /// Where the dead letters are.
    #[arg(long, value_enum, default_value_t = Backend::EmbeddedStack, global = true)]
    backend: Backend,
    /// Data directory of the embedded store (default: $DRAWINGS_DATA_DIR or ./drawings-data).
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: DlqCommand,
}

#[derive(Debug, Subcommand)]
enum DlqCommand {
    /// One line per dead-lettered job: id, client, stage, cause, receives, failure times, age.
    List {
        /// Print a JSON array of the same fields.
        #[arg(long)]
        json: bool,
    },
    /// A job's record: its error history, its dead message and the whole record as JSON.
    Show {
        /// The job id.
        job_id: String,
        /// Print only the job record, as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Requeue dead letters once their cause is fixed; each resumes from its last checkpoint.
    #[command(group = ArgGroup::new("which").required(true).args(["job", "all"]))]
    Redrive {
        /// Only this job.
        #[arg(long)]
        job: Option<String>,
        /// Every dead letter.
        #[arg(long)]
        all: bool,
        /// Say what would be redriven and change nothing (the drain still runs).
        #[arg(long)]
        dry_run: bool,
    },
    /// Forget dead letters: their jobs stay failed, they leave the list (default: all of them).
    Purge {
        /// Only this job.
        #[arg(long, conflicts_with = "older_than")]
        job: Option<String>,
        /// Only dead letters at least this old: 30m, 12h, 7d, 1d12h ...
        #[arg(long, value_parser = parse_age)]
        older_than: Option<chrono::Duration>,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
}

/// Runs one `drawings dlq` command.
pub async fn run(config: &Config, args: DlqArgs) -> Result<ExitCode> {
    let dead_letters = open(config, &args).await?;
    let now = Utc::now();
    match args.command {
        DlqCommand::List { json } => {
            report_drain(&dead_letters.drain().await.context("draining the dead-letter queue")?);
            let entries = dead_letters.list(now).await.context("listing dead letters")?;
            if json {
                println!("{}", serde_json::to_string_pretty(&entries)?);
            } else {
                print_table(&entries);
            }
            Ok(ExitCode::SUCCESS)
        }
        DlqCommand::Show { job_id, json } => {
            let job = dead_letters.show(&parse_id(&job_id)?).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&job)?);
            } else {
                print_job(&job, now)?;
            }
            Ok(ExitCode::SUCCESS)
        }
        DlqCommand::Redrive { job, all, dry_run } => {
            // clap requires exactly one of the two.
            let selection = match job {
                Some(id) => Selection::Job(parse_id(&id)?),
                None if all => Selection::All,
                None => anyhow::bail!("name the dead letters: --job JOB_ID or --all"),
            };
            redrive(&dead_letters, &selection, dry_run, now).await
        }
        DlqCommand::Purge { job, older_than, yes } => {
            let selection = match (job, older_than) {
                (Some(id), _) => Selection::Job(parse_id(&id)?),
                (None, Some(age)) => Selection::OlderThan(age),
                (None, None) => Selection::All,
            };
            purge(&dead_letters, &selection, yes, now).await
        }
    }
}

async fn open(config: &Config, args: &DlqArgs) -> Result<DeadLetters> {
    match args.backend {
        Backend::EmbeddedStack => {
            let dir = args.data_dir.clone().unwrap_or_else(|| config.data_dir.clone());
            let (ports, dead_letter_queue) = EmbeddedStack::open_stores(&dir)?;
            Ok(DeadLetters::new(ports, dead_letter_queue))
        }
        Backend::Aws => open_aws().await,
    }
}

#[cfg(feature = "aws")]
async fn open_aws() -> Result<DeadLetters> {
    let (ports, dead_letters) = super::aws_ports().await?;
    // SQS's short receives sample a few servers; a second of long polling sees them all.
    Ok(DeadLetters::new(ports, dead_letters).with_drain_wait(std::time::Duration::from_secs(1)))
}

#[cfg(not(feature = "aws"))]
async fn open_aws() -> Result<DeadLetters> {
    Err(super::without_aws())
}

fn parse_id(text: &str) -> Result<JobId> {
    JobId::parse(text.trim()).with_context(|| format!("{text:?} is not a job id (32 lowercase hex digits)"))
}

fn report_drain(report: &DrainReport) {
    if report.recorded > 0 {
        eprintln!(
            "{} message(s) waiting on the dead-letter queue became dead-letter records",
            report.recorded
        );
    }
    for failure in &report.failed {
        eprintln!(
            "left on the dead-letter queue (it comes back; run the command again): {}",
            printable(&failure.to_string())
        );
    }
}

async fn redrive(dl: &DeadLetters, selection: &Selection, dry_run: bool, now: DateTime<Utc>) -> Result<ExitCode> {
    report_drain(&dl.drain().await.context("draining the dead-letter queue")?);
    let jobs = dl.select(selection, now).await?;
    if jobs.is_empty() {
        println!("no dead letters to redrive");
        return Ok(ExitCode::SUCCESS);
    }
    let (mut done, mut failed) = (0, 0);
    for job in &jobs {
        match dl.redrive(&job.id, dry_run).await {
            Ok(outcome) => {
                done += 1;
                println!("{}", describe_redrive(&outcome, job, now));
            }
            Err(e) => {
                failed += 1;
                eprintln!(
                    "drawings: {}: not redriven ({}); it stays listed, run the redrive again",
                    job.id,
                    printable(&e.to_string())
                );
            }
        }
    }
    let verb = if dry_run { "would redrive" } else { "redrove" };
    println!("{verb} {done} of {} dead letter(s)", jobs.len());
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn describe_redrive(outcome: &RedriveOutcome, job: &Job, now: DateTime<Utc>) -> String {
    let id = &outcome.job_id;
    let applied = outcome.applied;
    match outcome.action {
        RedriveAction::Redrive => {
            let what = DeadLetterEntry::from_job(job, now).map_or_else(String::new, |e| {
                format!(
                    " (client {}, cause {}, stage {})",
                    printable(e.client.as_deref().unwrap_or("-")),
                    e.cause.map_or("-", |c| c.as_str()),
                    e.stage.map_or("-", |s| s.as_str())
                )
            });
            let verb = if applied { "redriven" } else { "would redrive" };
            format!("{verb} {id}{what}")
        }
        RedriveAction::Resume => {
            let verb = if applied { "resumed" } else { "would resume" };
            format!("{verb} {id}: an earlier redrive requeued it and stopped before its message")
        }
        RedriveAction::ClearRecord => {
            let verb = if applied { "cleared" } else { "would clear" };
            format!("{verb} {id}: already redriven, now {}", outcome.status.as_str())
        }
    }
}

async fn purge(dl: &DeadLetters, selection: &Selection, yes: bool, now: DateTime<Utc>) -> Result<ExitCode> {
    report_drain(&dl.drain().await.context("draining the dead-letter queue")?);
    let jobs = dl.select(selection, now).await?;
    if jobs.is_empty() {
        println!("no dead letters to purge");
        return Ok(ExitCode::SUCCESS);
    }
    if !yes && !confirm(&format!("purge {} dead letters? [y/N] ", jobs.len())).await? {
        println!("nothing purged");
        return Ok(ExitCode::SUCCESS);
    }
    let mut failed = 0;
    for job in &jobs {
        match dl.purge(&job.id).await {
            Ok(PurgeOutcome::Purged) => println!("purged {} (the job stays failed)", job.id),
            Ok(PurgeOutcome::RedriveUnfinished) => println!(
                "kept {id}: a redrive of it stopped halfway; finish it with `drawings dlq redrive --job {id}`",
                id = job.id
            ),
            Err(e) => {
                failed += 1;
                eprintln!("drawings: {}: not purged ({})", job.id, printable(&e.to_string()));
            }
        }
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Asks on stderr, reads the answer from stdin; only `y` or `yes` confirms.
async fn confirm(question: &str) -> Result<bool> {
    eprint!("{question}");
    let answer = tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).map(|_| line)
    })
    .await?
    .context("reading the answer from stdin")?;
    Ok(matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes"))
}

fn time(t: Option<DateTime<Utc>>) -> String {
    t.map_or_else(|| "-".into(), |t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
}

/// `45s`, `12m`, `3h05m`, `2d04h`.
fn age(secs: i64) -> String {
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86_400 => format!("{}h{:02}m", s / 3600, s % 3600 / 60),
        s => format!("{}d{:02}h", s / 86_400, s % 86_400 / 3600),
    }
}

fn print_table(entries: &[DeadLetterEntry]) {
    if entries.is_empty() {
        println!("no dead letters");
        return;
    }
    let header = [
        "JOB",
        "CLIENT",
        "STATUS",
        "STAGE",
        "CAUSE",
        "CODE",
        "RECEIVES",
        "FIRST FAILURE",
        "LAST FAILURE",
        "AGE",
    ];
    let rows: Vec<[String; 10]> = entries
        .iter()
        .map(|e| {
            [
                e.job_id.to_string(),
                printable(e.client.as_deref().unwrap_or("-")),
                e.status.as_str().to_owned(),
                e.stage.map_or("-", |s| s.as_str()).to_owned(),
                e.cause.map_or("-", |c| c.as_str()).to_owned(),
                e.code.map_or("-", |c| c.as_str()).to_owned(),
                e.receive_count.to_string(),
                time(e.first_failure_at),
                time(e.last_failure_at),
                age(e.age_secs),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells.iter().zip(widths).map(|(c, w)| format!("{c:<w$}")).collect();
        println!("{}", padded.join("  ").trim_end());
    };
    line(header.to_vec());
    for row in &rows {
        line(row.iter().map(String::as_str).collect());
    }
}

fn print_job(job: &Job, now: DateTime<Utc>) -> Result<()> {
    let client = printable(job.input.client_name.as_deref().unwrap_or("-"));
    let file = printable(job.input.file_name.as_deref().unwrap_or("-"));
    println!("job {} ({}), client {client}, file {file}", job.id, job.status.as_str());
    match (&job.dead_letter, DeadLetterEntry::from_job(job, now)) {
        (Some(record), Some(entry)) => {
            println!(
                "dead letter since {} ({} ago), after {} receive(s); message {} first sent {}",
                time(Some(record.dead_at)),
                age(entry.age_secs),
                record.receive_count,
                printable(&record.message_id),
                time(Some(record.first_sent_at))
            );
            if let (Some(code), Some(message)) = (entry.cause, &entry.cause_message) {
                println!("cause: {code}: {}", printable(message));
            }
        }
        _ => println!("not in the dead-letter list"),
    }
    println!("error history (oldest first):");
    if job.failures.is_empty() {
        println!("  (none)");
    }
    for f in &job.failures {
        let stage = f.error.stage.map_or("-", |s| s.as_str());
        println!(
            "  {}  attempt {}  {stage}  {}: {}",
            time(Some(f.at)),
            f.attempt,
            f.error.code,
            printable(&f.error.message)
        );
    }
    if let Some(record) = &job.dead_letter {
        println!("dead message body:\n  {}", printable(&record.message_body));
    }
    println!("job record:\n{}", serde_json::to_string_pretty(job)?);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::age;

    #[test]
    fn ages_print_in_their_two_largest_units() {
        assert_eq!(age(45), "45s");
        assert_eq!(age(12 * 60 + 5), "12m");
        assert_eq!(age(3 * 3600 + 5 * 60), "3h05m");
        assert_eq!(age(2 * 86_400 + 4 * 3600), "2d04h");
    }
}
