//! Google Gemini for the `drawing_analysis` stage: a REST client on reqwest
//! (`generateContent`, `countTokens`, the Files API's resumable upload) with the retry policy
//! and the process-wide rate limiter, and [`GeminiAnalyzer`], the `Analyzer` adapter.

pub mod analyzer;
pub mod client;
pub mod config;
pub mod error;
pub mod files;
pub mod limiter;
pub mod pricing;
pub mod reply;
pub mod wire;

pub use analyzer::GeminiAnalyzer;
pub use client::GeminiClient;
pub use config::{GeminiConfig, SettingError, Thinking};
pub use error::{GeminiError, GeminiErrorKind};
pub use pricing::{ModelPrice, PriceTable};
