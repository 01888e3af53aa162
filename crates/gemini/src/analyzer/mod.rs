//! [`GeminiAnalyzer`]: the `Analyzer` that sends a page (its rendered image, inline or
//! through the Files API, and the text layer's hints) to Gemini with a response schema, and
//! turns the answer into components. Every call's usage is priced and kept, including the
//! calls whose answer could not be used.

mod parse;
mod prompt;
mod schema;

pub use parse::{PageGeometry, ParseError, ParsedPage, parse_components};
pub use prompt::{SYSTEM_INSTRUCTION, page_prompt};
pub use schema::response_schema;

use crate::client::GeminiClient;
use crate::error::GeminiError;
use crate::reply::{ReplyProblem, answer_text};
use crate::wire::{Content, GenerateContentRequest, GenerationConfig, Part};
use async_trait::async_trait;
use base64::Engine;
use drawings_core::ports::{AnalyzeError, Analyzer, PageAnalysis, PageInput};
use drawings_core::{Component, ErrorClass, ErrorCode, Usage};
use tracing::{debug, warn};

/// Extra calls for an empty `STOP` answer (an intermittent server anomaly).
const EMPTY_RETRIES: u32 = 2;
/// Extra calls for an answer that is not the schema's JSON, or ends for another reason.
const INVALID_RETRIES: u32 = 1;

/// Finds components with Gemini.
pub struct GeminiAnalyzer {
    client: GeminiClient,
}

impl GeminiAnalyzer {
    /// An analyzer using `client`'s model and prices.
    pub fn new(client: GeminiClient) -> Self {
        GeminiAnalyzer { client }
    }

    fn request(&self, input: &PageInput, media: Option<Part>, max_output_tokens: u32) -> GenerateContentRequest {
        let config = self.client.config();
        // The page goes before the prompt: Google's guidance for single-image prompts.
        let parts = media.into_iter().chain([Part::text(page_prompt(input))]).collect();
        GenerateContentRequest {
            contents: vec![Content::user(parts)],
            system_instruction: Some(Content::system(SYSTEM_INSTRUCTION)),
            generation_config: Some(GenerationConfig {
                temperature: config.temperature,
                max_output_tokens: Some(max_output_tokens),
                response_mime_type: Some("application/json".into()),
                response_schema: Some(response_schema()),
                thinking_config: config.thinking.for_model(&config.model),
            }),
        }
    }

    /// The page image as a part: inline when the request stays under the configured size,
    /// otherwise uploaded (the file's name comes back so it can be deleted afterwards).
    async fn media(&self, input: &PageInput) -> Result<(Option<Part>, Option<String>), GeminiError> {
        let Some(image) = &input.image else {
            return Ok((None, None));
        };
        let encoded = base64::engine::general_purpose::STANDARD.encode(image);
        // The rest of the request plus the part's own JSON, without serializing megabytes twice.
        let size = GeminiClient::encoded_len(&self.request(input, None, 0)) + encoded.len() + 64;
        if size <= self.client.config().inline_limit_bytes {
            return Ok((Some(Part::inline("image/png", encoded)), None));
        }
        let display = format!("page-{}.png", input.page + 1);
        let file = self.client.upload_file(image.clone(), "image/png", &display).await?;
        debug!(page = input.page, file = %file.name, bytes = image.len(), "Page uploaded through the Files API.");
        Ok((Some(Part::file("image/png", &file.uri)), Some(file.name)))
    }

    /// Asks until the answer is usable or a remedy runs out. `spent` collects every call's
    /// usage.
    async fn ask(
        &self,
        input: &PageInput,
        media: Option<Part>,
        spent: &mut Usage,
    ) -> Result<Vec<Component>, AnalyzeError> {
        let config = self.client.config();
        let mut max_output = config.max_output_tokens;
        let (mut empty, mut invalid) = (0, 0);
        loop {
            let request = self.request(input, media.clone(), max_output);
            let response = self
                .client
                .generate_content(&request)
                .await
                .map_err(|e| failure(e.code(), e.class(), e.to_string(), *spent))?;
            if let Some(u) = &response.usage_metadata {
                *spent += config.prices.usage(&config.model, u);
            }
            let problem = match answer_text(&response) {
                Ok(text) => match parse_components(&text, &PageGeometry::of(input)) {
                    Ok(parsed) => {
                        for warning in &parsed.warnings {
                            debug!(page = input.page, warning, "Answer repaired.");
                        }
                        return Ok(parsed.components);
                    }
                    Err(e) if invalid < INVALID_RETRIES => {
                        invalid += 1;
                        warn!(page = input.page, error = %e, "The answer does not match the schema; asking again.");
                        continue;
                    }
                    Err(e) => return Err(permanent(ErrorCode::ModelOutputInvalid, e.to_string(), *spent)),
                },
                Err(problem) => problem,
            };
            match problem {
                ReplyProblem::Truncated { .. } if max_output < config.max_output_tokens_ceiling => {
                    max_output = max_output.saturating_mul(2).min(config.max_output_tokens_ceiling);
                    warn!(
                        page = input.page,
                        max_output, "The answer was cut off; asking with a larger budget."
                    );
                }
                ReplyProblem::Truncated { .. } => {
                    let message = format!("{problem} even with {max_output} output tokens");
                    return Err(permanent(ErrorCode::ModelOutputTruncated, message, *spent));
                }
                ReplyProblem::OutputBlocked { .. } => {
                    return Err(permanent(ErrorCode::ModelOutputBlocked, problem.to_string(), *spent));
                }
                ReplyProblem::InputBlocked { .. } => {
                    return Err(permanent(ErrorCode::ModelInputBlocked, problem.to_string(), *spent));
                }
                ReplyProblem::Empty if empty < EMPTY_RETRIES => {
                    empty += 1;
                    warn!(page = input.page, "Empty answer; asking again.");
                }
                ReplyProblem::Other { .. } if invalid < INVALID_RETRIES => {
                    invalid += 1;
                    warn!(page = input.page, %problem, "Unusable answer; asking again.");
                }
                ReplyProblem::Empty | ReplyProblem::Other { .. } => {
                    // The model may behave tomorrow: the job is retried later, not failed.
                    let message = format!("{problem}, {} times", empty.max(invalid) + 1);
                    return Err(failure(
                        ErrorCode::ModelUnavailable,
                        ErrorClass::Transient,
                        message,
                        *spent,
                    ));
                }
            }
        }
    }
}

fn failure(code: ErrorCode, class: ErrorClass, message: String, usage: Usage) -> AnalyzeError {
    AnalyzeError {
        code,
        message,
        class,
        usage,
    }
}

fn permanent(code: ErrorCode, message: String, usage: Usage) -> AnalyzeError {
    failure(code, ErrorClass::Permanent, message, usage)
}

#[async_trait]
impl Analyzer for GeminiAnalyzer {
    fn name(&self) -> String {
        format!("gemini/{}", self.client.config().model)
    }

    fn needs_image(&self) -> bool {
        true
    }

    async fn analyze_page(&self, input: PageInput) -> Result<PageAnalysis, AnalyzeError> {
        let mut spent = Usage::default();
        let (media, uploaded) = self
            .media(&input)
            .await
            .map_err(|e| failure(e.code(), e.class(), e.to_string(), spent))?;
        let result = self.ask(&input, media, &mut spent).await;
        if let Some(name) = uploaded
            && let Err(e) = self.client.delete_file(&name).await
        {
            // It expires by itself within 48 hours; the answer matters more.
            warn!(file = %name, error = %e, "Uploaded page not deleted.");
        }
        Ok(PageAnalysis {
            page: input.page,
            components: result?,
            usage: spent,
            analyzer: self.name(),
        })
    }
}
