//! The one assembly every host runs: from [`Settings`] to the PDF engine (feature `pdf`),
//! the analyzers (feature `analyzers`) and a [`Processor`] over the host's ports. `drawings
//! process`, `drawings serve` and the processor function call the same functions, so a key
//! means the same on all of them.

use crate::source::SettingError;
use drawings_core::ErrorClass;

/// Why the parts could not be built.
#[derive(Debug, thiserror::Error)]
pub enum AssemblyError {
    /// A key with a value that cannot be used.
    #[error(transparent)]
    Setting(#[from] SettingError),
    /// A `DRAWINGS_GEMINI_*` value Gemini refuses (a retired model, a model without a price).
    #[cfg(feature = "analyzers")]
    #[error("Gemini configuration: {0}")]
    Gemini(#[from] drawings_gemini::SettingError),
    /// The Gemini client could not be built.
    #[cfg(feature = "analyzers")]
    #[error("building the Gemini client: {0}")]
    GeminiClient(#[from] drawings_gemini::GeminiError),
    /// `DRAWINGS_TAG_SCHEMES` names a file that cannot be used.
    #[cfg(feature = "analyzers")]
    #[error("{key}={path}: {source}")]
    TagSchemes {
        /// The key.
        key: &'static str,
        /// The file.
        path: String,
        /// What is wrong with it.
        source: drawings_textlayer::SchemeError,
    },
    /// The PDF workers are this executable re-run, and it cannot be found.
    #[cfg(feature = "pdf")]
    #[error("locating this executable for the PDF workers: {0}")]
    Worker(std::io::Error),
}

impl AssemblyError {
    /// What a caller may do about it: a setting is fixed by changing it; a client that cannot
    /// be built, or an executable that cannot be found, will not change on a retry either.
    pub fn class(&self) -> ErrorClass {
        match self {
            AssemblyError::Setting(e) => e.class(),
            #[cfg(feature = "analyzers")]
            AssemblyError::Gemini(_) | AssemblyError::TagSchemes { .. } => ErrorClass::Invalid,
            #[cfg(feature = "analyzers")]
            AssemblyError::GeminiClient(e) => e.class(),
            #[cfg(feature = "pdf")]
            AssemblyError::Worker(_) => ErrorClass::Permanent,
        }
    }
}

#[cfg(feature = "pdf")]
mod pdf {
    use super::AssemblyError;
    use crate::Settings;
    use drawings_core::ports::PdfEngine;
    use drawings_pdf::{
        IsolatedPdfEngine, IsolationLimits, OcrSettings, PAGES_PER_WORKER, PdfiumEngine, WorkerCommand,
    };
    use std::sync::Arc;

    impl Settings {
        /// `DRAWINGS_PDF_ISOLATION`, `_PAGE_TIMEOUT_SECS`, `_PAGE_MEMORY_MB`: each PDFium call
        /// in a worker process with these limits; `None` when isolation is off.
        pub fn isolation_limits(&self) -> Option<IsolationLimits> {
            self.pdf.isolation.then_some(IsolationLimits {
                wall: self.pdf.page_timeout,
                memory_bytes: self.pdf.page_memory_mb << 20,
            })
        }

        /// `DRAWINGS_OCR` and `DRAWINGS_TESSERACT`.
        pub fn ocr_settings(&self) -> OcrSettings {
            let defaults = OcrSettings::default();
            OcrSettings {
                enabled: self.pdf.ocr,
                program: self.pdf.tesseract.clone().unwrap_or(defaults.program.clone()),
                ..defaults
            }
        }

        /// The PDF engine: PDFium (from `PDFIUM_LIB` first) in worker processes, which are
        /// this executable re-run with `worker_subcommand` (it must call
        /// `drawings_pdf::worker_main`), or in-process when isolation is off.
        pub fn pdf_engine(&self, worker_subcommand: &str) -> Result<Arc<dyn PdfEngine>, AssemblyError> {
            if let Some(path) = &self.pdf.pdfium_lib {
                drawings_pdf::use_library(path.clone());
            }
            let Some(limits) = self.isolation_limits() else {
                return Ok(Arc::new(PdfiumEngine::with_ocr(self.ocr_settings())));
            };
            let mut command = WorkerCommand::current_exe(worker_subcommand).map_err(AssemblyError::Worker)?;
            if let Some(path) = &self.pdf.pdfium_lib {
                command
                    .args
                    .extend(["--pdfium-lib".to_owned(), path.display().to_string()]);
            }
            command.args.extend(self.ocr_settings().to_args());
            // Pages of a job share workers, up to PAGES_PER_WORKER each: a worker per page
            // would start a process and load the document again for every page.
            Ok(Arc::new(
                IsolatedPdfEngine::new(command, limits).with_pages_per_worker(PAGES_PER_WORKER),
            ))
        }
    }
}

#[cfg(feature = "analyzers")]
mod analyzers {
    use super::AssemblyError;
    use crate::choice::{AnalyzerChoice, AnalyzerKind, GeminiKey};
    use crate::pipeline::Host;
    use crate::{Settings, keys};
    use drawings_core::Ports;
    use drawings_core::pipeline::Processor;
    use drawings_core::ports::{Analyzer, PdfEngine};
    use drawings_gemini::{GeminiAnalyzer, GeminiClient, GeminiConfig};
    use drawings_textlayer::{ReadingLimits, TagSchemes, TextLayerAnalyzer};
    use std::sync::Arc;

    /// The analyzers of one host.
    pub struct Analyzers {
        /// The `drawing_analysis` stage's analyzer.
        pub analyzer: Arc<dyn Analyzer>,
        /// The offline text layer, the evaluation's reference.
        pub text_layer: Arc<dyn Analyzer>,
        /// What was chosen, and why.
        pub choice: AnalyzerChoice,
    }

    /// A processor and the analyzer choice it was built with.
    pub struct Assembled {
        /// The pipeline over the host's ports.
        pub processor: Processor,
        /// The analyzer it runs, and why.
        pub choice: AnalyzerChoice,
    }

    impl Settings {
        /// `DRAWINGS_PAGE_ANALYSIS_*` over the text-layer analyzer's defaults.
        pub fn reading_limits(&self) -> ReadingLimits {
            let defaults = ReadingLimits::default();
            ReadingLimits {
                page_timeout: self.page_analysis.timeout.unwrap_or(defaults.page_timeout),
                max_words: self.page_analysis.max_words.unwrap_or(defaults.max_words),
                concurrent_pages: self.page_analysis.threads.unwrap_or(defaults.concurrent_pages),
            }
        }

        /// The analyzers for `key` ([`Settings::choose_analyzer`]); the choice is logged, as a
        /// warning when `gemini` was asked for and the text layer runs instead.
        pub fn analyzers(&self, key: GeminiKey) -> Result<Analyzers, AssemblyError> {
            let schemes = match &self.tag_schemes {
                Some(path) => TagSchemes::from_json_file(path).map_err(|source| AssemblyError::TagSchemes {
                    key: keys::TAG_SCHEMES,
                    path: path.display().to_string(),
                    source,
                })?,
                None => TagSchemes::default(),
            };
            let text_layer: Arc<dyn Analyzer> =
                Arc::new(TextLayerAnalyzer::new(schemes).with_limits(self.reading_limits()));
            let choice = self.choose_analyzer(&key);
            let analyzer = match (choice.kind, key) {
                (AnalyzerKind::Gemini, GeminiKey::Found(secret)) => {
                    let config = GeminiConfig::from_settings(secret.expose().to_owned(), |k| self.gemini_value(k))?;
                    tracing::info!(analyzer = "gemini", model = %config.model, reason = %choice.reason, "Analyzer: Gemini.");
                    Arc::new(GeminiAnalyzer::new(GeminiClient::new(config)?)) as Arc<dyn Analyzer>
                }
                _ if choice.fallback => {
                    tracing::warn!(analyzer = "text-layer", reason = %choice.reason, "Analyzer: the text layer instead of Gemini.");
                    text_layer.clone()
                }
                _ => {
                    tracing::info!(analyzer = "text-layer", reason = %choice.reason, "Analyzer: the text layer.");
                    text_layer.clone()
                }
            };
            Ok(Analyzers {
                analyzer,
                text_layer,
                choice,
            })
        }

        /// The processor of `host` over `ports` with `pdf`, the analyzers for `key` and the
        /// pipeline for both ([`Settings::pipeline_for`]).
        pub fn processor(
            &self,
            ports: Ports,
            host: &Host,
            pdf: Arc<dyn PdfEngine>,
            key: GeminiKey,
        ) -> Result<Assembled, AssemblyError> {
            let analyzers = self.analyzers(key)?;
            let pipeline = self.pipeline_for(host, analyzers.analyzer.needs_image());
            let processor = Processor::new(ports, pdf, analyzers.analyzer, Some(analyzers.text_layer), pipeline);
            Ok(Assembled {
                processor,
                choice: analyzers.choice,
            })
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use crate::settings::Secret;
        use std::cell::RefCell;
        use std::collections::BTreeSet;

        #[test]
        fn without_a_key_the_analyzer_is_the_text_layer_even_when_gemini_is_named() {
            let settings = Settings::read(&|k| (k == keys::ANALYZER).then(|| "gemini".into())).unwrap();
            let analyzers = settings.analyzers(GeminiKey::Missing("unset".into())).unwrap();
            assert_eq!(analyzers.analyzer.name(), "text-layer");
            assert!(analyzers.choice.fallback);
        }

        #[test]
        fn with_a_key_gemini_gets_the_gemini_settings() {
            let settings = Settings::read(&|k| (k == keys::GEMINI_MODEL).then(|| "gemini-9-ultra".into())).unwrap();
            // An unpriced model is Gemini's own refusal, and it names the key.
            let err = settings.analyzers(GeminiKey::Found(Secret::new("k"))).err().unwrap();
            assert!(err.to_string().contains(keys::GEMINI_MODEL), "{err}");
            let fine = Settings::read(&|_| None).unwrap();
            let analyzers = fine.analyzers(GeminiKey::Found(Secret::new("k"))).unwrap();
            assert!(
                analyzers.analyzer.name().starts_with("gemini"),
                "{}",
                analyzers.analyzer.name()
            );
        }

        #[test]
        fn gemini_reads_only_keys_of_the_catalogue() {
            let asked = RefCell::new(BTreeSet::new());
            let record = |key: &str| {
                asked.borrow_mut().insert(key.to_owned());
                None
            };
            GeminiConfig::from_settings("k".into(), record).unwrap();
            for key in asked.into_inner() {
                assert!(
                    crate::settings::GEMINI_KEYS.contains(&key.as_str()),
                    "{key} is not in GEMINI_KEYS"
                );
            }
        }
    }
}

#[cfg(feature = "analyzers")]
pub use analyzers::{Analyzers, Assembled};
