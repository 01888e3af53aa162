//! One image (the page, or one tile of it) and its prompt, asked until the answer is usable or
//! a remedy runs out: the image goes inline or through the Files API, a cut-off answer is asked
//! again with a larger budget, an empty or invalid one once or twice more. Every call's usage is
//! priced and kept, including the calls whose answer could not be used.

use super::GeminiAnalyzer;
use super::parse::{PageGeometry, parse_components};
use super::prompt::SYSTEM_INSTRUCTION;
use super::schema::response_schema;
use crate::client::GeminiClient;
use crate::error::GeminiError;
use crate::reply::{ReplyProblem, answer_text};
use crate::wire::{Content, GenerateContentRequest, GenerationConfig, Part};
use base64::Engine;
use bytes::Bytes;
use drawings_core::ports::AnalyzeError;
use drawings_core::{Component, ErrorClass, ErrorCode, Usage};
use tracing::{debug, warn};

/// Extra calls for an empty `STOP` answer (an intermittent server anomaly).
const EMPTY_RETRIES: u32 = 2;
/// Extra calls for an answer that is not the schema's JSON, or ends for another reason.
const INVALID_RETRIES: u32 = 1;

impl GeminiAnalyzer {
    /// Reads `image` with `prompt`; boxes come back in points of `geometry` (the page, or the
    /// tile). `label` names the image in logs and uploads (`page-3`, `page-3-tile-2`). Every
    /// call's usage is added to `spent`, which a failure carries too.
    pub(super) async fn read_image(
        &self,
        image: Option<&Bytes>,
        prompt: &str,
        geometry: &PageGeometry,
        label: &str,
        spent: &mut Usage,
    ) -> Result<Vec<Component>, AnalyzeError> {
        let (media, uploaded) = self
            .media(image, prompt, label)
            .await
            .map_err(|e| failure(e.code(), e.class(), e.to_string(), *spent))?;
        let result = self.ask(prompt, media, geometry, label, spent).await;
        if let Some(name) = uploaded
            && let Err(e) = self.client.delete_file(&name).await
        {
            // It expires by itself within 48 hours; the answer matters more.
            warn!(file = %name, error = %e, "Uploaded image not deleted.");
        }
        result
    }

    fn request(&self, prompt: &str, media: Option<Part>, max_output_tokens: u32) -> GenerateContentRequest {
        let config = self.client.config();
        // The image goes before the prompt: Google's guidance for single-image prompts.
        let parts = media.into_iter().chain([Part::text(prompt)]).collect();
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

    /// The image as a part: inline when the request stays under the configured size, otherwise
    /// uploaded (the file's name comes back so it can be deleted afterwards).
    async fn media(
        &self,
        image: Option<&Bytes>,
        prompt: &str,
        label: &str,
    ) -> Result<(Option<Part>, Option<String>), GeminiError> {
        let Some(image) = image else {
            return Ok((None, None));
        };
        let encoded = base64::engine::general_purpose::STANDARD.encode(image);
        // The rest of the request plus the part's own JSON, without serializing megabytes twice.
        let size = GeminiClient::encoded_len(&self.request(prompt, None, 0)) + encoded.len() + 64;
        if size <= self.client.config().inline_limit_bytes {
            return Ok((Some(Part::inline("image/png", encoded)), None));
        }
        let display = format!("{label}.png");
        let file = self.client.upload_file(image.clone(), "image/png", &display).await?;
        debug!(image = label, file = %file.name, bytes = image.len(), "Image uploaded through the Files API.");
        Ok((Some(Part::file("image/png", &file.uri)), Some(file.name)))
    }

    /// Asks until the answer is usable or a remedy runs out.
    async fn ask(
        &self,
        prompt: &str,
        media: Option<Part>,
        geometry: &PageGeometry,
        label: &str,
        spent: &mut Usage,
    ) -> Result<Vec<Component>, AnalyzeError> {
        let config = self.client.config();
        let mut max_output = config.max_output_tokens;
        let (mut empty, mut invalid) = (0, 0);
        loop {
            let request = self.request(prompt, media.clone(), max_output);
            let response = self
                .client
                .generate_content(&request)
                .await
                .map_err(|e| failure(e.code(), e.class(), e.to_string(), *spent))?;
            if let Some(u) = &response.usage_metadata {
                *spent += config.prices.usage(&config.model, u);
            }
            let problem = match answer_text(&response) {
                Ok(text) => match parse_components(&text, geometry) {
                    Ok(parsed) => {
                        for warning in &parsed.warnings {
                            debug!(image = label, warning, "Answer repaired.");
                        }
                        return Ok(parsed.components);
                    }
                    Err(e) if invalid < INVALID_RETRIES => {
                        invalid += 1;
                        warn!(image = label, error = %e, "The answer does not match the schema; asking again.");
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
                        image = label,
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
                    warn!(image = label, "Empty answer; asking again.");
                }
                ReplyProblem::Other { .. } if invalid < INVALID_RETRIES => {
                    invalid += 1;
                    warn!(image = label, %problem, "Unusable answer; asking again.");
                }
                ReplyProblem::Empty => {
                    // The model may behave tomorrow: the job is retried later, not failed.
                    let message = format!("{problem}, {} times", empty + 1);
                    return Err(failure(
                        ErrorCode::ModelEmptyReply,
                        ErrorClass::Transient,
                        message,
                        *spent,
                    ));
                }
                ReplyProblem::Other { .. } => {
                    let message = format!("{problem}, {} times", invalid + 1);
                    return Err(failure(
                        ErrorCode::ModelServerError,
                        ErrorClass::Transient,
                        message,
                        *spent,
                    ));
                }
            }
        }
    }
}

pub(super) fn failure(code: ErrorCode, class: ErrorClass, message: String, usage: Usage) -> AnalyzeError {
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
