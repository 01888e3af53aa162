//! The SQLite adapters' own errors, and how they map into the port's [`StoreError`] classes.
//! Classification looks at SQLite's result codes, never at message text.

use drawings_core::StoreError;
use rusqlite::ErrorCode;
use std::path::PathBuf;

pub(crate) const BACKEND: &str = "sqlite";

#[derive(Debug, thiserror::Error)]
pub(crate) enum SqliteError {
    #[error("{0} not found")]
    NotFound(String),
    #[error("conflict on {0}")]
    Conflict(String),
    #[error("invalid request: {0}")]
    Invalid(String),
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    #[error("stored record {id} does not decode")]
    Corrupt {
        id: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("stored record {id} has an impossible value in {column}")]
    BadColumn { id: String, column: &'static str },
    #[error("cannot encode a record")]
    Encode(#[source] serde_json::Error),
    #[error("database schema version {found} is newer than this build knows ({known})")]
    SchemaTooNew { found: i64, known: i64 },
    #[error("cannot create the database directory {path}")]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot make the database file {path} owner-only")]
    Permissions {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the database task did not finish")]
    Join(#[from] tokio::task::JoinError),
}

impl From<SqliteError> for StoreError {
    fn from(e: SqliteError) -> Self {
        match e {
            SqliteError::NotFound(what) => StoreError::NotFound { what },
            SqliteError::Conflict(what) => StoreError::Conflict { what },
            SqliteError::Invalid(_) => StoreError::Invalid {
                backend: BACKEND,
                source: e.into(),
            },
            SqliteError::Sqlite(ref inner) => match inner.sqlite_error_code() {
                // Another connection holds the write lock past busy_timeout, or the disk
                // hiccupped: the same call may well succeed in a moment.
                Some(
                    ErrorCode::DatabaseBusy
                    | ErrorCode::DatabaseLocked
                    | ErrorCode::DiskFull
                    | ErrorCode::SystemIoFailure
                    | ErrorCode::OutOfMemory,
                ) => StoreError::transient(BACKEND, e),
                Some(ErrorCode::TooBig) => StoreError::Invalid {
                    backend: BACKEND,
                    source: e.into(),
                },
                Some(ErrorCode::ConstraintViolation) => StoreError::conflict(e.to_string()),
                _ => StoreError::permanent(BACKEND, e),
            },
            // A cancelled task is the runtime shutting down; a panic will happen again.
            SqliteError::Join(ref join) if join.is_cancelled() => StoreError::transient(BACKEND, e),
            SqliteError::Corrupt { .. }
            | SqliteError::BadColumn { .. }
            | SqliteError::Encode(_)
            | SqliteError::SchemaTooNew { .. }
            | SqliteError::CreateDir { .. }
            | SqliteError::Permissions { .. }
            | SqliteError::Join(_) => StoreError::permanent(BACKEND, e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use drawings_core::ErrorClass;

    fn sqlite_failure(code: i32) -> SqliteError {
        SqliteError::Sqlite(rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), None))
    }

    #[test]
    fn busy_and_locked_databases_are_transient() {
        for code in [rusqlite::ffi::SQLITE_BUSY, rusqlite::ffi::SQLITE_LOCKED] {
            assert_eq!(
                StoreError::from(sqlite_failure(code)).class(),
                ErrorClass::Transient,
                "{code}"
            );
        }
    }

    #[test]
    fn corrupt_databases_and_records_are_permanent() {
        let corrupt = StoreError::from(sqlite_failure(rusqlite::ffi::SQLITE_CORRUPT));
        assert_eq!(corrupt.class(), ErrorClass::Permanent);
        let source = serde_json::from_str::<u8>("{").unwrap_err();
        let record = StoreError::from(SqliteError::Corrupt { id: "x".into(), source });
        assert_eq!(record.class(), ErrorClass::Permanent);
    }
}
