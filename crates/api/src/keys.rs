//! API keys: who may call the API, and as which client.
//!
//! A key is `drw_` followed by 64 hex digits (32 random bytes from the operating system). Only
//! its sha256 is ever stored: with 256 bits of entropy a plain hash cannot be reversed or
//! brute-forced, so no salt or slow hash is needed. Each key belongs to one client name, which
//! becomes the `input.client_name` of every job it submits. The stored form, the same for the
//! embedded key file and the SSM parameter used on AWS:
//!
//! ```json
//! {"keys": [{"client": "acme", "sha256": "<64 hex>", "created_at": "2026-01-01T00:00:00Z"}]}
//! ```
//!
//! An entry with `"operator": true` is an operator key: also allowed the process-wide routes.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The prefix of every key, so a leaked one is recognisable (secret scanners, logs).
pub const KEY_PREFIX: &str = "drw_";

/// The longest client name accepted.
pub const MAX_CLIENT_NAME: usize = 128;

/// Why a key set could not be read or changed.
#[derive(Debug, thiserror::Error)]
pub enum KeysError {
    /// The document is not the JSON described in the module docs.
    #[error("malformed API key file: {0}")]
    Malformed(#[from] serde_json::Error),
    /// An entry's hash is not 64 hex digits.
    #[error("key entry {index} (client {client:?}): sha256 must be 64 hex digits")]
    BadHash {
        /// Position in `keys`.
        index: usize,
        /// Its client.
        client: String,
    },
    /// The same hash appears twice.
    #[error("key entry {index} (client {client:?}) repeats an earlier key")]
    DuplicateKey {
        /// Position in `keys`.
        index: usize,
        /// Its client.
        client: String,
    },
    /// A client name that cannot be one (see [`valid_client_name`]).
    #[error("invalid client name {0:?}: 1 to 128 characters, no control characters or surrounding spaces")]
    BadClient(String),
    /// The operating system's random source failed.
    #[error("no randomness for a new key: {0}")]
    Random(String),
}

/// One stored key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyRecord {
    /// The client the key belongs to.
    pub client: String,
    /// sha256 of the key, lowercase hex.
    pub sha256: String,
    /// When the key was made.
    pub created_at: DateTime<Utc>,
    /// Whether the key also opens the process-wide routes (`GET /metrics`), which show every
    /// client's counts. Absent in files written before it existed: those keys are client keys.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub operator: bool,
}

#[derive(Serialize, Deserialize)]
struct KeysDocument {
    keys: Vec<KeyRecord>,
}

/// A set of API keys, held as their hashes.
#[derive(Debug, Clone, Default)]
pub struct ApiKeys {
    records: Vec<KeyRecord>,
    digests: Vec<[u8; 32]>,
}

/// Whether `name` can be a client name: 1 to [`MAX_CLIENT_NAME`] characters, no control
/// characters, no leading or trailing whitespace.
pub fn valid_client_name(name: &str) -> bool {
    (1..=MAX_CLIENT_NAME).contains(&name.chars().count()) && !name.chars().any(char::is_control) && name.trim() == name
}

/// The stored hash of a key: sha256 of its text, lowercase hex.
pub fn hash_key(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// A fresh key: [`KEY_PREFIX`] and 32 random bytes in hex.
pub fn generate_key() -> Result<String, KeysError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| KeysError::Random(e.to_string()))?;
    Ok(format!("{KEY_PREFIX}{}", hex::encode(bytes)))
}

impl ApiKeys {
    /// No keys.
    pub fn new() -> Self {
        ApiKeys::default()
    }

    /// Parses the JSON document; an empty (or all-whitespace) document is an empty set.
    pub fn from_json(bytes: &[u8]) -> Result<Self, KeysError> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(ApiKeys::new());
        }
        let document: KeysDocument = serde_json::from_slice(bytes)?;
        let mut keys = ApiKeys::new();
        for (index, record) in document.keys.into_iter().enumerate() {
            keys.push(index, record)?;
        }
        Ok(keys)
    }

    /// The JSON document, pretty-printed.
    pub fn to_json(&self) -> String {
        let document = KeysDocument {
            keys: self.records.clone(),
        };
        serde_json::to_string_pretty(&document).unwrap_or_else(|_| r#"{"keys":[]}"#.to_owned()) + "\n"
    }

    fn push(&mut self, index: usize, record: KeyRecord) -> Result<(), KeysError> {
        if !valid_client_name(&record.client) {
            return Err(KeysError::BadClient(record.client));
        }
        let digest = decode_hash(&record.sha256).ok_or_else(|| KeysError::BadHash {
            index,
            client: record.client.clone(),
        })?;
        if self.digests.contains(&digest) {
            return Err(KeysError::DuplicateKey {
                index,
                client: record.client,
            });
        }
        self.records.push(KeyRecord {
            sha256: hex::encode(digest),
            ..record
        });
        self.digests.push(digest);
        Ok(())
    }

    /// Makes a key for `client`, adds its hash and returns the key: the only time its text
    /// exists outside the caller.
    pub fn create(&mut self, client: &str, now: DateTime<Utc>) -> Result<String, KeysError> {
        self.create_scoped(client, false, now)
    }

    /// [`ApiKeys::create`], for an operator key when `operator` (see [`KeyRecord::operator`]).
    pub fn create_scoped(&mut self, client: &str, operator: bool, now: DateTime<Utc>) -> Result<String, KeysError> {
        let key = generate_key()?;
        let record = KeyRecord {
            client: client.to_owned(),
            sha256: hash_key(&key),
            created_at: now,
            operator,
        };
        self.push(self.records.len(), record)?;
        Ok(key)
    }

    /// Removes every key of `client`; returns how many there were.
    pub fn revoke(&mut self, client: &str) -> usize {
        let before = self.records.len();
        let (records, digests): (Vec<_>, Vec<_>) = self
            .records
            .drain(..)
            .zip(self.digests.drain(..))
            .filter(|(record, _)| record.client != client)
            .unzip();
        self.records = records;
        self.digests = digests;
        before - self.records.len()
    }

    /// The client a presented key belongs to, if it is one of these. Every stored hash is
    /// compared, each in constant time, so the answer's timing says nothing about which
    /// hashes are close to the presented key's.
    pub fn authenticate(&self, presented: &str) -> Option<&KeyRecord> {
        let digest: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        let mut found = None;
        for (index, stored) in self.digests.iter().enumerate() {
            if bool::from(stored.ct_eq(&digest)) {
                found = Some(index);
            }
        }
        found.map(|index| &self.records[index])
    }

    /// The stored keys.
    pub fn records(&self) -> &[KeyRecord] {
        &self.records
    }

    /// Whether there are no keys.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// How many keys there are.
    pub fn len(&self) -> usize {
        self.records.len()
    }
}

fn decode_hash(text: &str) -> Option<[u8; 32]> {
    let mut digest = [0u8; 32];
    hex::decode_to_slice(text.trim(), &mut digest).ok()?;
    Some(digest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_created_key_authenticates_as_its_client_and_its_text_is_never_stored() {
        let mut keys = ApiKeys::new();
        let key = keys.create("acme", Utc::now()).unwrap();
        assert!(
            key.starts_with(KEY_PREFIX) && key.len() == KEY_PREFIX.len() + 64,
            "{key}"
        );
        assert_eq!(keys.authenticate(&key).unwrap().client, "acme");
        assert!(keys.authenticate("drw_0000").is_none());
        assert!(keys.authenticate("").is_none());
        assert!(!keys.to_json().contains(&key[KEY_PREFIX.len()..]));
    }

    #[test]
    fn the_document_round_trips_and_an_empty_one_is_no_keys() {
        let mut keys = ApiKeys::new();
        let a = keys.create("acme", Utc::now()).unwrap();
        keys.create("beta", Utc::now()).unwrap();
        let again = ApiKeys::from_json(keys.to_json().as_bytes()).unwrap();
        assert_eq!(again.records(), keys.records());
        assert_eq!(again.authenticate(&a).unwrap().client, "acme");
        assert!(ApiKeys::from_json(b"").unwrap().is_empty());
        assert!(ApiKeys::from_json(b"  \n").unwrap().is_empty());
        assert!(ApiKeys::from_json(br#"{"keys":[]}"#).unwrap().is_empty());
    }

    #[test]
    fn malformed_documents_are_rejected_with_the_entry_at_fault() {
        let hash = hash_key("drw_x");
        let entry = |client: &str, sha: &str| {
            format!(r#"{{"client":"{client}","sha256":"{sha}","created_at":"2026-01-01T00:00:00Z"}}"#)
        };
        for (doc, what) in [
            ("not json".to_owned(), "malformed"),
            (format!(r#"{{"keys":[{}]}}"#, entry("acme", "abc")), "sha256"),
            (
                format!(r#"{{"keys":[{},{}]}}"#, entry("acme", &hash), entry("beta", &hash)),
                "repeats",
            ),
            (format!(r#"{{"keys":[{}]}}"#, entry(" acme", &hash)), "client name"),
        ] {
            let error = ApiKeys::from_json(doc.as_bytes()).unwrap_err().to_string();
            assert!(error.contains(what), "{doc}: {error}");
        }
    }

    #[test]
    fn revoking_a_client_removes_all_its_keys_and_only_those() {
        let mut keys = ApiKeys::new();
        let a1 = keys.create("acme", Utc::now()).unwrap();
        let a2 = keys.create("acme", Utc::now()).unwrap();
        let b = keys.create("beta", Utc::now()).unwrap();
        assert_eq!(keys.revoke("acme"), 2);
        assert_eq!(keys.revoke("acme"), 0);
        assert!(keys.authenticate(&a1).is_none() && keys.authenticate(&a2).is_none());
        assert_eq!(keys.authenticate(&b).unwrap().client, "beta");
        assert_eq!(keys.len(), 1);
    }

    #[test]
    fn the_operator_scope_round_trips_and_files_without_it_load_as_client_keys() {
        let mut keys = ApiKeys::new();
        let ops = keys.create_scoped("ops", true, Utc::now()).unwrap();
        let acme = keys.create("acme", Utc::now()).unwrap();
        let json = keys.to_json();
        assert_eq!(json.matches("\"operator\": true").count(), 1, "{json}");
        let again = ApiKeys::from_json(json.as_bytes()).unwrap();
        assert!(again.authenticate(&ops).unwrap().operator);
        assert!(!again.authenticate(&acme).unwrap().operator);
        let old = format!(
            r#"{{"keys":[{{"client":"acme","sha256":"{}","created_at":"2026-01-01T00:00:00Z"}}]}}"#,
            hash_key(&acme)
        );
        assert!(!ApiKeys::from_json(old.as_bytes()).unwrap().records()[0].operator);
    }

    #[test]
    fn client_names_are_short_printable_and_trimmed() {
        assert!(valid_client_name("Acme Ltd."));
        for bad in ["", " acme", "acme ", "ac\nme", &"x".repeat(129)] {
            assert!(!valid_client_name(bad), "{bad:?}");
        }
        assert!(ApiKeys::new().create("", Utc::now()).is_err());
    }
}
