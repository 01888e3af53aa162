//! Prices per million tokens, per model, with the date they were read: Gemini prices change
//! several times a year, so the table is configuration (a JSON file), and the built-in one is
//! a dated snapshot. A model without a price is refused at start-up rather than billed at $0.

use crate::wire::UsageMetadata;
use chrono::{NaiveDate, Utc};
use drawings_core::Usage;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// USD per million tokens for one model (Standard tier).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    /// The first day these rates no longer apply (a launch price with an announced end).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<NaiveDate>,
    /// The rates from `until` on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub then: Option<Box<ModelPrice>>,
}

impl ModelPrice {
    /// The rates in force on `day`.
    pub fn on(&self, day: NaiveDate) -> &ModelPrice {
        match (&self.until, &self.then) {
            (Some(until), Some(then)) if day >= *until => then.on(day),
            _ => self,
        }
    }
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
    /// The Standard-tier snapshot, read 2026-12-04: `reference/gemini-api.md` §8.2 for the older
    /// models; `gemini-3.8-flash` from Google's pricing page as LiteLLM's model-cost map quotes
    /// it (github.com/BerriAI/litellm discussion 39357: "$0.75 / MTok input and $3.75 / MTok
    /// output, going to $1.50 / $7.50 on January 1, 2027. Cache reads are $0.075"; the same
    /// input and output prices on vercel.com/ai-gateway/models/gemini-3.8-flash). Retired
    /// models (`config::RETIRED_MODELS`) are left out: they cannot be called.
    fn default() -> Self {
        let flat = |input, output, cached_input| ModelPrice {
            input,
            output,
            cached_input,
            long_context_above: None,
            long_input: None,
            long_output: None,
            long_cached_input: None,
            until: None,
            then: None,
        };
        let tiered = |input, output, cached_input, long: (f64, f64, f64)| ModelPrice {
            long_context_above: Some(200_000),
            long_input: Some(long.0),
            long_output: Some(long.1),
            long_cached_input: Some(long.2),
            ..flat(input, output, cached_input)
        };
        // The launch price holds "through December 31, 2026"; the cache rate after it is not
        // published, so it keeps the launch ratio (a tenth of input).
        let flash_3_8 = ModelPrice {
            until: Some(NaiveDate::from_ymd_opt(2027, 1, 1).unwrap_or_default()),
            then: Some(Box::new(flat(1.50, 7.50, 0.15))),
            ..flat(0.75, 3.75, 0.075)
        };
        let models = BTreeMap::from([
            ("gemini-2.5-flash-lite".to_owned(), flat(0.10, 0.40, 0.01)),
            ("gemini-3-flash-preview".to_owned(), flat(0.50, 3.00, 0.05)),
            ("gemini-3.1-flash-lite".to_owned(), flat(0.25, 1.50, 0.025)),
            (
                "gemini-3.1-pro-preview".to_owned(),
                tiered(2.0, 12.0, 0.20, (4.0, 18.0, 0.40)),
            ),
            ("gemini-3.8-flash".to_owned(), flash_3_8),
        ]);
        PriceTable {
            as_of: "2026-12-04".into(),
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

    /// Tokens and dollars of one call made now, as Gemini bills them: uncached input at the
    /// input rate, cached input at the cache rate, visible and thought output at the output
    /// rate.
    pub fn usage(&self, model: &str, u: &UsageMetadata) -> Usage {
        self.usage_on(model, u, Utc::now().date_naive())
    }

    /// [`PriceTable::usage`] at the rates in force on `day` (UTC).
    pub fn usage_on(&self, model: &str, u: &UsageMetadata, day: NaiveDate) -> Usage {
        let input_tokens = u.prompt_token_count + u.tool_use_prompt_token_count;
        let output_tokens = u.candidates_token_count + u.thoughts_token_count;
        let usd = self.price(model).map(|p| p.on(day)).map_or(0.0, |p| {
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

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn thoughts_are_billed_as_output_and_cached_input_at_the_cache_rate() {
        let u = UsageMetadata {
            prompt_token_count: 1_000_000,
            cached_content_token_count: 400_000,
            candidates_token_count: 100_000,
            thoughts_token_count: 100_000,
            ..UsageMetadata::default()
        };
        let usage = PriceTable::default().usage_on("gemini-3.8-flash", &u, day(2026, 12, 4));
        assert_eq!(usage.input_tokens, 1_000_000);
        assert_eq!(usage.output_tokens, 200_000);
        // 0.6M × $0.75 + 0.4M × $0.075 + 0.2M × $3.75
        assert!((usage.usd - (0.45 + 0.03 + 0.75)).abs() < 1e-9, "{}", usage.usd);
    }

    #[test]
    fn the_launch_price_of_3_8_flash_ends_with_2026() {
        let u = UsageMetadata {
            prompt_token_count: 1_000_000,
            candidates_token_count: 1_000_000,
            ..UsageMetadata::default()
        };
        let table = PriceTable::default();
        let usd = |d| table.usage_on("gemini-3.8-flash", &u, d).usd;
        assert!((usd(day(2026, 12, 31)) - (0.75 + 3.75)).abs() < 1e-9);
        assert!((usd(day(2027, 1, 1)) - (1.50 + 7.50)).abs() < 1e-9);
    }

    #[test]
    fn long_prompts_on_pro_use_the_long_context_rates() {
        let u = UsageMetadata {
            prompt_token_count: 300_000,
            candidates_token_count: 1_000,
            ..UsageMetadata::default()
        };
        let usage = PriceTable::default().usage("gemini-3.1-pro-preview", &u);
        assert!((usage.usd - (0.3 * 4.0 + 0.001 * 18.0)).abs() < 1e-9, "{}", usage.usd);
    }

    #[test]
    fn retired_models_have_no_price() {
        for model in crate::config::RETIRED_MODELS {
            assert!(PriceTable::default().price(model).is_none(), "{model}");
        }
    }

    #[test]
    fn a_table_round_trips_through_json() {
        let table = PriceTable::default();
        let json = serde_json::to_vec(&table).unwrap();
        assert_eq!(PriceTable::from_json(&json).unwrap(), table);
    }
}
