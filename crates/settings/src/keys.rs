//! The catalogue: every setting any host reads, defined once with its name, its default and
//! what it means. The README's configuration table is this catalogue, row for row (a test in
//! `tests/readme_table.rs` holds them together), and the SAM template sets nothing outside
//! it (`crates/lambdas/tests/template_settings.rs`).
//!
//! Each key is also a constant (`keys::RENDER_DPI` is `"DRAWINGS_RENDER_DPI"`), which is how
//! code names a key: [`crate::Settings::read`] asks for every one of them, and nothing else
//! in a host asks the environment for a `DRAWINGS_*` value.

/// One setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    /// The variable's name, e.g. `DRAWINGS_RENDER_DPI`.
    pub name: &'static str,
    /// The default, as the README shows it (Markdown).
    pub default: &'static str,
    /// What it means, as the README shows it (Markdown).
    pub meaning: &'static str,
}

/// The key called `name`, if the catalogue has it.
pub fn find(name: &str) -> Option<&'static Key> {
    ALL.iter().find(|key| key.name == name)
}

macro_rules! catalogue {
    ($($ident:ident = $name:literal, $default:literal, $meaning:literal;)*) => {
        $(
            #[doc = concat!("`", $name, "` (default ", $default, "): ", $meaning)]
            pub const $ident: &str = $name;
        )*
        /// Every key, in the README's order.
        pub const ALL: &[Key] = &[$(Key { name: $name, default: $default, meaning: $meaning }),*];
    };
}

catalogue! {
    DATA_DIR = "DRAWINGS_DATA_DIR",
        "`drawings-data`",
        "embedded store (database and blobs)";
    ANALYZER = "DRAWINGS_ANALYZER",
        "`gemini` when a Gemini key is configured, else `text-layer`",
        "`text-layer` (offline; never needs a key) or `gemini`; without a key every host runs `text-layer` and logs why";
    ANALYSIS_CONCURRENCY = "DRAWINGS_ANALYSIS_CONCURRENCY",
        "4",
        "pages analyzed at once (model calls in flight per job)";
    GEMINI_API_KEY = "GEMINI_API_KEY",
        "none",
        "Gemini API key, sent as `x-goog-api-key` (on AWS the processor reads it from `DRAWINGS_GEMINI_KEY_PARAMETER`)";
    GEMINI_KEY_PARAMETER = "DRAWINGS_GEMINI_KEY_PARAMETER",
        "none (the template sets it)",
        "processor Lambda: the SSM SecureString holding the Gemini key, read at start unless `DRAWINGS_ANALYZER=text-layer`; missing or unreadable: the text-layer analyzer, with a warning";
    GEMINI_MODEL = "DRAWINGS_GEMINI_MODEL",
        "`gemini-3.8-flash`",
        "pinned model id (must have a price, see below; a retired id is refused with `MODEL_UNAVAILABLE`)";
    GEMINI_BASE_URL = "DRAWINGS_GEMINI_BASE_URL",
        "`https://generativelanguage.googleapis.com`",
        "API endpoint (a fake's address in tests)";
    GEMINI_TIMEOUT_SECS = "DRAWINGS_GEMINI_TIMEOUT_SECS",
        "300",
        "per request";
    GEMINI_INLINE_LIMIT_BYTES = "DRAWINGS_GEMINI_INLINE_LIMIT_BYTES",
        "20971520",
        "larger requests send the page through the Files API";
    GEMINI_MAX_OUTPUT_TOKENS = "DRAWINGS_GEMINI_MAX_OUTPUT_TOKENS",
        "16384",
        "first output budget; a truncated answer is asked again with twice as much, up to 65536";
    GEMINI_THINKING = "DRAWINGS_GEMINI_THINKING",
        "`auto`",
        "`auto` (level `LOW` on Gemini 3, a 512-token budget on 2.5 Flash-Lite), `default`, `budget:N` (2.5 models only), `level:NAME` (Gemini 3 only; `gemini-3.8-flash` takes `low`, `medium`, `high`)";
    GEMINI_RPM = "DRAWINGS_GEMINI_RPM",
        "unlimited",
        "requests per minute for the whole process (quotas are per project)";
    GEMINI_MAX_ATTEMPTS = "DRAWINGS_GEMINI_MAX_ATTEMPTS",
        "5",
        "attempts per call for 408/429/5xx and connection errors";
    GEMINI_PRICES = "DRAWINGS_GEMINI_PRICES",
        "built in, as of 2026-12-04",
        r#"JSON price table `{"as_of", "models": {"id": {"input", "output", "cached_input", "until"?, "then"?}}}` in USD per million tokens"#;
    TAG_SCHEMES = "DRAWINGS_TAG_SCHEMES",
        "built in",
        "JSON file of tag schemes for the text-layer analyzer";
    MAX_UPLOAD_BYTES = "DRAWINGS_MAX_UPLOAD_BYTES",
        "104857600",
        "largest upload";
    MAX_PAGES = "DRAWINGS_MAX_PAGES",
        "500",
        "most pages";
    MAX_PAGE_SIDE_PT = "DRAWINGS_MAX_PAGE_SIDE_PT",
        "14400",
        "longest page side, points";
    RENDER_DPI = "DRAWINGS_RENDER_DPI",
        "150",
        "page render resolution";
    MAX_PIXELS = "DRAWINGS_MAX_PIXELS",
        "9437184",
        "cap on rendered pixels (3072²); the DPI drops to fit";
    RENDER_TILES = "DRAWINGS_RENDER_TILES",
        "`auto`",
        r#"also cut each page, rendered at the full DPI (≤ 64 Mpx), into 3072 px tiles overlapping by 256 px (`pages/{n}/tiles/{k}.png`, offsets in `pages/{n}.tiles.json`), which Gemini reads instead of the page image when the sheet's small text would be under 12 px in it (see "Gemini") and the web UI shows when zoomed in (see "Web UI"); `auto`: only when the analyzer reads images, `on`, `off`"#;
    INVOCATION_BUDGET = "DRAWINGS_INVOCATION_BUDGET",
        "900",
        "seconds one embedded worker invocation may run (on Lambda: the function's timeout)";
    PDF_ISOLATION = "DRAWINGS_PDF_ISOLATION",
        "`on`",
        "run each PDFium call in a worker process (`off`: in-process, no limits)";
    PAGE_TIMEOUT_SECS = "DRAWINGS_PAGE_TIMEOUT_SECS",
        "60",
        "wall-clock limit of one PDFium call (validation, or one page)";
    PAGE_MEMORY_MB = "DRAWINGS_PAGE_MEMORY_MB",
        "2048",
        "address-space limit of a PDF worker process";
    RENDER_CONCURRENCY = "DRAWINGS_RENDER_CONCURRENCY",
        "`auto`",
        "pages of one job rendered at once, each in its own PDF worker; `auto`: the available cores, but no more workers than fit at `DRAWINGS_PAGE_MEMORY_MB` each in the memory (the Lambda function's size, else the machine's or its cgroup's), and at least 1";
    OCR = "DRAWINGS_OCR",
        "`on`",
        "OCR pages without a text layer with Tesseract; `off`: such pages have no text";
    TESSERACT = "DRAWINGS_TESSERACT",
        "`tesseract` (on `PATH`)",
        "the Tesseract executable";
    PAGE_ANALYSIS_TIMEOUT_SECS = "DRAWINGS_PAGE_ANALYSIS_TIMEOUT_SECS",
        "10",
        "wall-clock limit of the text-layer analyzer on one page; past it the page fails with `PAGE_ANALYSIS_TIMEOUT`";
    PAGE_ANALYSIS_MAX_WORDS = "DRAWINGS_PAGE_ANALYSIS_MAX_WORDS",
        "200000",
        "most words of text a page may hold for the text-layer analyzer; more fails the page with `PAGE_TOO_COMPLEX`, unread";
    PAGE_ANALYSIS_THREADS = "DRAWINGS_PAGE_ANALYSIS_THREADS",
        "available cores",
        "pages the text-layer analyzer reads at once in the process; the others wait their turn";
    LEASE_SECS = "DRAWINGS_LEASE_SECS",
        "30",
        "lease and visibility timeout between heartbeats";
    MAX_CONTINUATIONS = "DRAWINGS_MAX_CONTINUATIONS",
        "50",
        "hand-overs before `PROCESSING_TIMEOUT`";
    JOB_SECONDS_PER_PAGE = "DRAWINGS_JOB_SECONDS_PER_PAGE",
        "60",
        "a job's compute budget: 300 s plus this per page, over all its deliveries; a job past it, or whose pages at their pace so far would take it past, fails with `PROCESSING_TIMEOUT`";
    JOB_MAX_SECONDS = "DRAWINGS_JOB_MAX_SECONDS",
        "3600",
        "the most compute any job may use, whatever its page count";
    COMPUTE_MEMORY_MB = "DRAWINGS_COMPUTE_MEMORY_MB",
        "3008",
        "memory the embedded server's compute is priced at, as if on Lambda (0: unpriced); on Lambda the function's `AWS_LAMBDA_FUNCTION_MEMORY_SIZE`";
    AWS_PRICES = "DRAWINGS_AWS_PRICES",
        "built in, as of 2026-11-29",
        "JSON file of AWS prices for job costs (see [Metrics and cost](#metrics-and-cost))";
    RETRY_DELAY_SECS = "DRAWINGS_RETRY_DELAY_SECS",
        "5",
        "first delay before a transiently failed message comes back (doubled per receive)";
    JOB_TTL_DAYS = "DRAWINGS_JOB_TTL_DAYS",
        "30",
        "job and file retention; `drawings serve` sweeps expired jobs every 10 minutes, AWS deletes them by TTL and lifecycle rule";
    LOG_FORMAT = "DRAWINGS_LOG_FORMAT",
        "json for `serve`",
        "`json` or `text`";
    API_KEYS_FILE = "DRAWINGS_API_KEYS_FILE",
        "`<data dir>/api-keys.json`",
        "API key hashes `drawings serve` accepts and `drawings keys` manages; absent or empty: authentication off, loopback only";
    RATE_LIMIT_PER_MINUTE = "DRAWINGS_RATE_LIMIT_PER_MINUTE",
        "120",
        "requests a minute per API key, per process (0: no limit)";
    RATE_LIMIT_BURST = "DRAWINGS_RATE_LIMIT_BURST",
        "30",
        "requests per API key at once after a quiet spell";
    AUTH_FAILURES_PER_MINUTE = "DRAWINGS_AUTH_FAILURES_PER_MINUTE",
        "10",
        "failed authentications (no key, unknown key) a minute per source address, per process, before `429` (0: no limit); also read by the intake Lambda";
    AUTH_FAILURE_BURST = "DRAWINGS_AUTH_FAILURE_BURST",
        "20",
        "failed authentications per source address at once after a quiet spell";
    HTTP_HEADER_TIMEOUT_SECS = "DRAWINGS_HTTP_HEADER_TIMEOUT_SECS",
        "10",
        "`serve`: time to send a request's line and headers, from the connection's start or the next request's first byte; then the connection is closed";
    HTTP_IDLE_TIMEOUT_SECS = "DRAWINGS_HTTP_IDLE_TIMEOUT_SECS",
        "60",
        "`serve`: a keep-alive connection idle between requests, or a response its client stopped reading, this long is closed";
    HTTP_BODY_TIMEOUT_SECS = "DRAWINGS_HTTP_BODY_TIMEOUT_SECS",
        "30",
        "`serve`: longest pause within a request body before `408 REQUEST_TIMEOUT`";
    HTTP_REQUEST_TIMEOUT_SECS = "DRAWINGS_HTTP_REQUEST_TIMEOUT_SECS",
        "300",
        "`serve`: time from a request's headers to its answer, upload included, before `408 REQUEST_TIMEOUT`";
    HTTP_MAX_CONNECTIONS = "DRAWINGS_HTTP_MAX_CONNECTIONS",
        "512",
        "`serve`: connections served at once; more wait in the listen backlog";
    HTTP_MAX_HEADER_BYTES = "DRAWINGS_HTTP_MAX_HEADER_BYTES",
        "32768",
        "`serve`: largest request line and headers (`431` past it)";
    API_KEY = "DRAWINGS_API_KEY",
        "none",
        "the key `drawings submit` and `drawings status` send in `x-api-key`";
    API_KEYS_PARAMETER = "DRAWINGS_API_KEYS_PARAMETER",
        "none (the template sets it)",
        "intake Lambda only: the SSM SecureString with the key hashes; required unless `DRAWINGS_AUTH=off`";
    AUTH = "DRAWINGS_AUTH",
        "`keys`",
        "intake Lambda only: `off` serves without keys (explicit opt-out)";
    TABLE = "DRAWINGS_TABLE",
        "none (the template sets it)",
        "AWS hosts (the functions, `--backend aws`): the DynamoDB job table";
    QUEUE_URL = "DRAWINGS_QUEUE_URL",
        "none (the template sets it)",
        "AWS hosts (the functions, `--backend aws`): the SQS work queue";
    DLQ_URL = "DRAWINGS_DLQ_URL",
        "none (the template sets it)",
        "AWS hosts (the functions, `--backend aws`): the SQS dead-letter queue";
    BUCKET = "DRAWINGS_BUCKET",
        "none (the template sets it)",
        "AWS hosts (the functions, `--backend aws`): the S3 bucket of PDFs and outputs";
    ALERT_TOPIC_ARN = "DRAWINGS_ALERT_TOPIC_ARN",
        "none (the template sets it)",
        "AWS hosts (the functions, `--backend aws`): the SNS topic of operator alerts";
    CALLBACK_SECRET = "DRAWINGS_CALLBACK_SECRET",
        "none",
        "key signing completion notices per Standard Webhooks (`webhook-signature`; `whsec_<base64>` or any text, see [Cancelling and completion notices](#cancelling-and-completion-notices)); unset: no notices are sent";
    CALLBACK_ALLOW_PRIVATE = "DRAWINGS_CALLBACK_ALLOW_PRIVATE",
        "`false`",
        "local development only: `true` lets callback URLs be plain `http` and reach loopback or private hosts, at submit and at send time; otherwise a notice goes to a public `https` address or nowhere";
    PDFIUM_LIB = "PDFIUM_LIB",
        "`.pdfium/libpdfium.so`",
        "PDFium library to use first (also looked for beside the binary, in `../lib`, `/opt/lib`, `/var/task/lib`)";
    RUST_LOG = "RUST_LOG",
        "`info` / `warn`",
        "log filter";
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn every_key_is_named_once_and_looks_like_an_environment_variable() {
        let names: BTreeSet<&str> = ALL.iter().map(|k| k.name).collect();
        assert_eq!(names.len(), ALL.len(), "a key is listed twice");
        for key in ALL {
            assert!(
                key.name
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_'),
                "{}",
                key.name
            );
            assert!(!key.default.is_empty() && !key.meaning.is_empty(), "{}", key.name);
        }
        assert_eq!(find(RENDER_DPI).map(|k| k.default), Some("150"));
    }
}
