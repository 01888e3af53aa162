//! Notice signatures per Standard Webhooks (<https://www.standardwebhooks.com>): each notice
//! carries `webhook-id` (the same on every attempt: a receiver's idempotency key),
//! `webhook-timestamp` (unix seconds of the attempt) and `webhook-signature`
//! (`v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>`). Because the id and timestamp
//! are signed with the body, a captured notice cannot be replayed under a fresh timestamp, and
//! a receiver that refuses timestamps outside a few minutes refuses replays of old ones.
//!
//! The key is `DRAWINGS_CALLBACK_SECRET`: a Standard Webhooks secret (`whsec_<base64>`, the
//! form the reference libraries take) is base64-decoded; any other value is used as its
//! UTF-8 bytes, so secrets set before the scheme changed keep working.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use drawings_core::Job;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The notice's id header: the same on every attempt of one notice.
pub const ID_HEADER: &str = "webhook-id";
/// The attempt's unix seconds.
pub const TIMESTAMP_HEADER: &str = "webhook-timestamp";
/// Space-separated `v1,<base64>` signatures (one today; more during a key rotation).
pub const SIGNATURE_HEADER: &str = "webhook-signature";
/// How far a receiver's clock may be from the timestamp before it refuses a notice, as the
/// reference libraries default to.
pub const DEFAULT_TOLERANCE_SECS: i64 = 5 * 60;

/// The prefix of a Standard Webhooks symmetric secret.
const SECRET_PREFIX: &str = "whsec_";

/// Why a signing key cannot be made from a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// Empty, or `whsec_` with nothing after it.
    #[error("the callback secret is empty")]
    Empty,
    /// `whsec_` followed by something that is not base64.
    #[error("the callback secret starts with whsec_ but the rest is not base64")]
    NotBase64,
}

/// Why a receiver refuses a notice.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// A header is missing or malformed.
    #[error("the webhook headers are missing or malformed")]
    Headers,
    /// The timestamp is further from now than the tolerance: a replay, or a wrong clock.
    #[error("the webhook timestamp is outside the tolerance")]
    Stale,
    /// No `v1` signature matches.
    #[error("no webhook signature matches")]
    Signature,
}

/// The HMAC key notices are signed with, held as the keyed HMAC state each signature starts
/// from.
#[derive(Clone)]
pub struct SigningKey(Hmac<Sha256>);

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(..)")
    }
}

impl SigningKey {
    /// The key of `DRAWINGS_CALLBACK_SECRET` (see the module documentation).
    pub fn from_secret(secret: &str) -> Result<SigningKey, KeyError> {
        let key = match secret.strip_prefix(SECRET_PREFIX) {
            // The reference libraries accept unpadded base64 too.
            Some(encoded) => base64::engine::general_purpose::STANDARD_NO_PAD
                .decode(encoded.trim_end_matches('='))
                .map_err(|_| KeyError::NotBase64)?,
            None => secret.as_bytes().to_vec(),
        };
        if key.is_empty() {
            return Err(KeyError::Empty);
        }
        // Never refused (HMAC takes a key of any length); a refusal would leave no key all the same.
        Hmac::<Sha256>::new_from_slice(&key)
            .map(SigningKey)
            .map_err(|_| KeyError::Empty)
    }

    fn mac(&self, id: &str, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
        let mut mac = self.0.clone();
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac
    }

    /// The `webhook-signature` value of one attempt: `v1,<base64>`.
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let tag = self.mac(id, timestamp, body).finalize().into_bytes();
        format!("v1,{}", BASE64.encode(tag))
    }

    /// What a receiver does with a notice: `Ok` when the timestamp is within `tolerance_secs`
    /// of `now` and one of the `v1` signatures matches (compared in constant time).
    pub fn verify(
        &self,
        headers: &NoticeHeaders<'_>,
        body: &[u8],
        now: i64,
        tolerance_secs: i64,
    ) -> Result<(), VerifyError> {
        let timestamp: i64 = headers.timestamp.parse().map_err(|_| VerifyError::Headers)?;
        if headers.id.is_empty() || headers.id.contains('.') {
            return Err(VerifyError::Headers);
        }
        if (now - timestamp).abs() > tolerance_secs {
            return Err(VerifyError::Stale);
        }
        let matches = headers
            .signature
            .split(' ')
            .filter_map(|entry| entry.strip_prefix("v1,"))
            .filter_map(|encoded| BASE64.decode(encoded).ok())
            .any(|tag| self.mac(headers.id, timestamp, body).verify_slice(&tag).is_ok());
        if matches { Ok(()) } else { Err(VerifyError::Signature) }
    }
}

/// The three signature headers of a received notice.
#[derive(Debug, Clone, Copy)]
pub struct NoticeHeaders<'a> {
    /// `webhook-id`.
    pub id: &'a str,
    /// `webhook-timestamp`.
    pub timestamp: &'a str,
    /// `webhook-signature`.
    pub signature: &'a str,
}

/// The `webhook-id` of the notice announcing `job` as stored by its terminal write:
/// `{job_id}:{status}:{version}`. The notifier is told once per terminal write, so the id is
/// the same on every attempt without being stored anywhere, and a job redriven after
/// `failed` that fails again announces that under a new id. It holds no `.`, which the
/// signed content uses as its separator.
pub fn notice_id(job: &Job) -> String {
    format!("{}:{}:{}", job.id, job.status.as_str(), job.version)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex_hmac(key: &[u8], data: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
        mac.update(data);
        hex::encode(mac.finalize().into_bytes())
    }

    #[test]
    fn hmac_sha256_matches_the_rfc_4231_test_vectors() {
        // Test case 1: a 20-byte key.
        assert_eq!(
            hex_hmac(&[0x0b; 20], b"Hi There"),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
        // Test case 2: a key shorter than the output.
        assert_eq!(
            hex_hmac(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // Test case 6: a key longer than the block, hashed first.
        assert_eq!(
            hex_hmac(&[0xaa; 131], b"Test Using Larger Than Block-Size Key - Hash Key First"),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    /// The vector of the Standard Webhooks reference libraries' `sign` tests.
    const REFERENCE_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const REFERENCE_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const REFERENCE_TIMESTAMP: i64 = 1614265330;
    const REFERENCE_BODY: &[u8] = br#"{"test": 2432232314}"#;
    const REFERENCE_SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    #[test]
    fn signatures_match_the_standard_webhooks_reference_vector() {
        let key = SigningKey::from_secret(REFERENCE_SECRET).unwrap();
        assert_eq!(
            key.sign(REFERENCE_ID, REFERENCE_TIMESTAMP, REFERENCE_BODY),
            REFERENCE_SIGNATURE
        );
    }

    fn reference_headers(timestamp: &str) -> NoticeHeaders<'_> {
        NoticeHeaders {
            id: REFERENCE_ID,
            timestamp,
            signature: REFERENCE_SIGNATURE,
        }
    }

    #[test]
    fn a_receiver_accepts_a_fresh_notice_and_any_matching_signature_in_the_list() {
        let key = SigningKey::from_secret(REFERENCE_SECRET).unwrap();
        let now = REFERENCE_TIMESTAMP + 10;
        assert_eq!(
            key.verify(&reference_headers("1614265330"), REFERENCE_BODY, now, 300),
            Ok(())
        );
        let rotated = format!("v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= {REFERENCE_SIGNATURE}");
        let headers = NoticeHeaders {
            signature: &rotated,
            ..reference_headers("1614265330")
        };
        assert_eq!(key.verify(&headers, REFERENCE_BODY, now, 300), Ok(()));
    }

    #[test]
    fn a_receiver_rejects_a_stale_replay_and_a_replay_under_a_fresh_timestamp() {
        let key = SigningKey::from_secret(REFERENCE_SECRET).unwrap();
        let later = REFERENCE_TIMESTAMP + DEFAULT_TOLERANCE_SECS + 1;
        assert_eq!(
            key.verify(
                &reference_headers("1614265330"),
                REFERENCE_BODY,
                later,
                DEFAULT_TOLERANCE_SECS
            ),
            Err(VerifyError::Stale)
        );
        // The attacker's move against a body-only signature: same body and signature, new time.
        let fresh = later.to_string();
        assert_eq!(
            key.verify(
                &reference_headers(&fresh),
                REFERENCE_BODY,
                later,
                DEFAULT_TOLERANCE_SECS
            ),
            Err(VerifyError::Signature)
        );
    }

    #[test]
    fn a_receiver_rejects_a_changed_body_id_or_key() {
        let key = SigningKey::from_secret(REFERENCE_SECRET).unwrap();
        let now = REFERENCE_TIMESTAMP;
        let headers = reference_headers("1614265330");
        assert_eq!(
            key.verify(&headers, br#"{"test": 2432232315}"#, now, 300),
            Err(VerifyError::Signature)
        );
        let other_id = NoticeHeaders {
            id: "msg_other",
            ..headers
        };
        assert_eq!(
            key.verify(&other_id, REFERENCE_BODY, now, 300),
            Err(VerifyError::Signature)
        );
        let other_key = SigningKey::from_secret("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        assert_eq!(
            other_key.verify(&headers, REFERENCE_BODY, now, 300),
            Err(VerifyError::Signature),
            "without the prefix the secret is its own bytes, not base64"
        );
    }

    #[test]
    fn secrets_are_whsec_base64_or_plain_bytes_and_never_empty() {
        assert!(SigningKey::from_secret("plain text secret").is_ok());
        assert!(SigningKey::from_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw==").is_ok());
        assert_eq!(SigningKey::from_secret("").unwrap_err(), KeyError::Empty);
        assert_eq!(SigningKey::from_secret("whsec_").unwrap_err(), KeyError::Empty);
        assert_eq!(
            SigningKey::from_secret("whsec_not base64!").unwrap_err(),
            KeyError::NotBase64
        );
    }

    #[test]
    fn the_notice_id_names_the_job_and_its_terminal_write_without_a_dot() {
        let mut job = drawings_testkit::full_job();
        job.status = drawings_core::JobStatus::Failed;
        job.version = 7;
        let id = notice_id(&job);
        assert_eq!(id, format!("{}:failed:7", job.id));
        assert!(!id.contains('.'));
        job.version = 12;
        assert_ne!(notice_id(&job), id, "a second failure after a redrive is a new notice");
    }
}
