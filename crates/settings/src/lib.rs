//! One settings vocabulary for every host of drawings: the `drawings` CLI and its `serve`,
//! and the intake, processor and dlq Lambda functions.
//!
//! - [`keys`]: the catalogue, every key once with its default and meaning (the README's
//!   configuration table is this list).
//! - [`Settings::read`]: every key read from one lookup (`Fn(&str) -> Option<String>`: the
//!   environment, values fetched from SSM, a map in a test), typed, with a [`SettingError`]
//!   naming the key for a value that cannot be used.
//! - The assembly every host runs: [`Settings::pipeline_for`] a [`Host`], the analyzer choice
//!   ([`Settings::choose_analyzer`]: without a Gemini key the text layer runs, and says why),
//!   and with features `pdf` and `analyzers` the PDF engine, the analyzers and the processor
//!   themselves; with feature `api`, the API's rate and HTTP limits.
//!
//! Without features the crate needs only the core, so an AWS library can name its keys here
//! without pulling in PDFium or Gemini.

mod assembly;
mod choice;
pub mod keys;
mod pipeline;
mod pipeline_keys;
mod serving;
mod settings;
mod source;

pub use assembly::AssemblyError;
#[cfg(feature = "analyzers")]
pub use assembly::{Analyzers, Assembled};
pub use choice::{AnalyzerChoice, AnalyzerKind, GeminiKey};
pub use pipeline::Host;
pub use serving::{AuthSetting, HttpSettings, RateSetting};
pub use settings::{
    AnalyzerSetting, AwsNames, GEMINI_KEYS, LogFormat, PageAnalysisSettings, PdfSettings, RenderTiles, Secret, Settings,
};
pub use source::{SettingError, Source, env};
