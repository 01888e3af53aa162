//! Prices per million tokens, per model, with the date they were read: Gemini prices change
//! several times a year, so the table is configuration (a JSON file), and the built-in one is
//! a dated snapshot. A model without a price is refused at start-up rather than billed at $0.

use crate::wire::UsageMetadata;
use drawings_core::Usage;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// USD per million tokens for one model (Standard tier).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ModelPrice {
    /// Input (text, image, PDF) tokens.
    pub input: f64,
    /// Output tokens, thinking included.
    pub output: f64,
    /// Cached input tokens.
    pub cached_input: f64,
    /// Prompts above this many tokens are billed at the `long_*` rates (Pro models).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub long_context_above: Option<u64>,
    /// Input rate above the threshold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub long_input: Option<f64>,
    /// Output rate above the threshold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub long_output: Option<f64>,
    /// Cached rate above the threshold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub long_cached_input: Option<f64>,
}

/// The price table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PriceTable {
    /// When these prices were read (`2026-11-10`).
    pub as_of: String,
    /// Prices by exact model id (aliases and prefixes are not guessed).
    pub models: BTreeMap<String, ModelPrice>,
}

impl Default for PriceTable {
    /// The Standard-tier snapshot in `reference/gemini-api.md` §8.2.
    fn default() -> Self {
        let flat = |input, output, cached_input| ModelPrice {
            input,
            output,
            cached_input,
            long_context_above: None,
            long_input: None,
            long_output: None,
            long_cached_input: None,
        };
        let tiered = |input, output, cached_input, long: (f64, f64, f64)| ModelPrice {
            long_context_above: Some(200_000),
            long_input: Some(long.0),
            long_output: Some(long.1),
            long_cached_input: Some(long.2),
            ..flat(input, output, cached_input)
        };
        let models = BTreeMap::from([
            (
                "gemini-2.5-pro".to_owned(),
                tiered(1.25, 10.0, 0.125, (2.5, 15.0, 0.25)),
            ),
            ("gemini-2.5-flash".to_owned(), flat(0.30, 2.50, 0.03)),
            ("gemini-2.5-flash-lite".to_owned(), flat(0.10, 0.40, 0.01)),
            ("gemini-3-flash-preview".to_owned(), flat(0.50, 3.00, 0.05)),
            ("gemini-3.1-flash-lite".to_owned(), flat(0.25, 1.50, 0.025)),
            (
                "gemini-3.1-pro-preview".to_owned(),
                tiered(2.0, 12.0, 0.20, (4.0, 18.0, 0.40)),
            ),
        ]);
        PriceTable {
            as_of: "2026-11-10".into(),
            models,
        }
    }
}

impl PriceTable {
    /// Reads a table from JSON (`{"as_of": "...", "models": {"id": {...}}}`).
    pub fn from_json(body: &[u8]) -> Result<PriceTable, serde_json::Error> {
        serde_json::from_slice(body)
    }

    /// The price of `model`, if listed.
    pub fn price(&self, model: &str) -> Option<&ModelPrice> {
        self.models.get(model)
    }

    /// Tokens and dollars of one call, as Gemini bills them: uncached input at the input rate,
    /// cached input at the cache rate, visible and thought output at the output rate.
    pub fn usage(&self, model: &str, u: &UsageMetadata) -> Usage {
        let input_tokens = u.prompt_token_count + u.tool_use_prompt_token_count;
        let output_tokens = u.candidates_token_count + u.thoughts_token_count;
        let usd = self.price(model).map_or(0.0, |p| {
            let long = p.long_context_above.is_some_and(|t| u.prompt_token_count > t);
            let rate = |short: f64, long_rate: Option<f64>| if long { long_rate.unwrap_or(short) } else { short };
            let cached = u.cached_content_token_count.min(input_tokens);
            ((input_tokens - cached) as f64 * rate(p.input, p.long_input)
                + cached as f64 * rate(p.cached_input, p.long_cached_input)
                + output_tokens as f64 * rate(p.output, p.long_output))
                / 1e6
        });
        Usage {
            input_tokens,
            output_tokens,
            usd,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thoughts_are_billed_as_output_and_cached_input_at_the_cache_rate() {
        let u = UsageMetadata {
            prompt_token_count: 1_000_000,
            cached_content_token_count: 400_000,
            candidates_token_count: 100_000,
            thoughts_token_count: 100_000,
            ..UsageMetadata::default()
        };
        let usage = PriceTable::default().usage("gemini-2.5-flash", &u);
        assert_eq!(usage.input_tokens, 1_000_000);
        assert_eq!(usage.output_tokens, 200_000);
        // 0.6M × $0.30 + 0.4M × $0.03 + 0.2M × $2.50
        assert!((usage.usd - (0.18 + 0.012 + 0.5)).abs() < 1e-9, "{}", usage.usd);
    }

    #[test]
    fn long_prompts_on_pro_use_the_long_context_rates() {
        let u = UsageMetadata {
            prompt_token_count: 300_000,
            candidates_token_count: 1_000,
            ..UsageMetadata::default()
        };
        let usage = PriceTable::default().usage("gemini-2.5-pro", &u);
        assert!((usage.usd - (0.3 * 2.5 + 0.001 * 15.0)).abs() < 1e-9, "{}", usage.usd);
    }

    #[test]
    fn a_table_round_trips_through_json() {
        let table = PriceTable::default();
        let json = serde_json::to_vec(&table).unwrap();
        assert_eq!(PriceTable::from_json(&json).unwrap(), table);
    }
}
