//! `drawings keys create|list|revoke`: the API keys `drawings serve` accepts, kept as hashes
//! in a JSON file (`DRAWINGS_API_KEYS_FILE`, default `<data dir>/api-keys.json`, mode 0600).
//! A key's text is printed once, on creation, and never stored. `drawings serve` reads the
//! file at start: restart it after a change.

use crate::config::Config;
use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use drawings_api::{ApiKeys, valid_client_name};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// `drawings keys`.
#[derive(Args)]
pub struct KeysArgs {
    /// Data directory whose `api-keys.json` to use (default: $DRAWINGS_DATA_DIR or
    /// ./drawings-data); `DRAWINGS_API_KEYS_FILE` names another file.
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: KeysCommand,
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Make a key for a client and print it (once: only its hash is kept).
    Create {
        /// The client the key belongs to: its jobs are recorded under this name.
        #[arg(long)]
        client: String,
        /// Also allow the process-wide routes (`GET /metrics`, every client's counts).
        #[arg(long)]
        operator: bool,
    },
    /// List clients, when their keys were made and which are operator keys (never the keys).
    List,
    /// Remove every key of a client.
    Revoke {
        /// The client.
        #[arg(long)]
        client: String,
    },
}

/// The key file `serve` and `keys` use for a data directory.
pub fn keys_file(config: &Config, data_dir: &Path) -> PathBuf {
    config
        .api_keys_file
        .clone()
        .unwrap_or_else(|| data_dir.join("api-keys.json"))
}

/// Reads a key file; an absent file is no keys.
pub fn load(path: &Path) -> Result<ApiKeys> {
    match std::fs::read(path) {
        Ok(bytes) => ApiKeys::from_json(&bytes).with_context(|| format!("reading API keys from {}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(ApiKeys::new()),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

/// Runs a `keys` subcommand.
pub fn run(config: &Config, args: KeysArgs) -> Result<ExitCode> {
    let data_dir = args.data_dir.unwrap_or_else(|| config.data_dir.clone());
    let path = keys_file(config, &data_dir);
    // Held from the read to the write: a command that read the file before another's write
    // would otherwise save over it, losing a create or bringing back a revoked key.
    let _lock = super::keys_file::lock(&path)?;
    let mut keys = load(&path)?;
    match args.command {
        KeysCommand::Create { client, operator } => {
            if !valid_client_name(&client) {
                bail!(
                    "invalid client name {client:?}: 1 to 128 characters, no control characters or surrounding spaces"
                );
            }
            let key = keys.create_scoped(&client, operator, chrono::Utc::now())?;
            super::keys_file::save(&path, &keys.to_json())?;
            println!("{key}");
            eprintln!(
                "API key for client {client:?} added to {}. Keep it now: it cannot be shown again. \
                 Send it in the x-api-key header (drawings submit/status read DRAWINGS_API_KEY); \
                 restart `drawings serve` for it to take effect.",
                path.display()
            );
        }
        KeysCommand::List => {
            if keys.is_empty() {
                eprintln!("No API keys in {}.", path.display());
            }
            let mut records = keys.records().to_vec();
            records.sort_by(|a, b| (&a.client, a.created_at).cmp(&(&b.client, b.created_at)));
            let mut out = std::io::stdout().lock();
            for record in records {
                writeln!(
                    out,
                    "{}\t{}{}",
                    record.client,
                    record.created_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    if record.operator { "\toperator" } else { "" }
                )?;
            }
        }
        KeysCommand::Revoke { client } => {
            let removed = keys.revoke(&client);
            if removed == 0 {
                eprintln!("No keys for client {client:?} in {}.", path.display());
                return Ok(ExitCode::FAILURE);
            }
            super::keys_file::save(&path, &keys.to_json())?;
            eprintln!("Revoked {removed} key(s) of client {client:?}; restart `drawings serve` for it to take effect.");
            if keys.is_empty() {
                eprintln!(
                    "That was the last key: `drawings serve` will now run without authentication, \
                     and only on a loopback address."
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
