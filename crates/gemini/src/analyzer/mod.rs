//! [`GeminiAnalyzer`]: the `Analyzer` that shows Gemini a page and turns its answer into
//! components. A page whose small text would be illegible in its single image (a large sheet
//! shrunk to 3072² pixels) is read tile by tile from the full-resolution tiles `pdf_processing`
//! stored, each tile's answer saved as it arrives and mapped back to page points, then merged
//! across the overlaps. Either way the prompt carries the text layer's tags and legend and the
//! offline analyzer's candidates, and every call's usage is priced and kept.

mod ask;
mod legibility;
mod merge;
mod parse;
mod prompt;
mod schema;
mod tiles;

pub use legibility::{
    LEGIBLE_TEXT_PX, LOOSE_BOX_EM, Plan, Reading, TextHeights, is_tag_like, pixels, plan, png_size, run_text_pt,
    text_heights,
};
pub use parse::{PageGeometry, ParseError, ParsedPage, parse_components};
pub use prompt::{SYSTEM_INSTRUCTION, TileView, page_prompt, prompt};
pub use schema::response_schema;

use crate::client::GeminiClient;
use async_trait::async_trait;
use drawings_core::ports::{AnalyzeError, Analyzer, PageAnalysis, PageContext, PageInput};
use drawings_core::{Usage, Warning};
use tracing::{info, warn};

/// Warning code: the page's small text stays below [`LEGIBLE_TEXT_PX`] in what the model saw.
pub const SMALL_TEXT: &str = "SMALL_TEXT";

/// Finds components with Gemini.
pub struct GeminiAnalyzer {
    client: GeminiClient,
}

impl GeminiAnalyzer {
    /// An analyzer using `client`'s model and prices. The client refuses a retired model, so
    /// an analyzer never exists for one.
    pub fn new(client: GeminiClient) -> Self {
        GeminiAnalyzer { client }
    }

    fn analyzer_name(&self) -> String {
        format!("gemini/{}", self.client.config().model)
    }

    /// What the user should know when the model saw the page's small text too small to read.
    fn small_text_warning(input: &PageInput, reading: &Reading) -> Option<Warning> {
        let px = reading.received_px().filter(|px| *px < LEGIBLE_TEXT_PX)?;
        let page = input.page + 1;
        let message = match reading.plan {
            Plan::Tiles => format!(
                "The smallest text on page {page} is about {px:.0} px tall even in the tiles the model read \
                 ({:.0} dpi), and may be misread. Raise DRAWINGS_RENDER_DPI for sharper tiles \
                 (they are capped at 64 Mpx per page).",
                reading.tile_dpi.unwrap_or_default()
            ),
            Plan::WholePage => format!(
                "The smallest text on page {page} is about {px:.0} px tall in the image the model read, and may be \
                 misread. With DRAWINGS_RENDER_TILES=auto (the default) or on, a large sheet is read in sharper tiles."
            ),
        };
        Some(Warning::page(SMALL_TEXT, page, message))
    }
}

#[async_trait]
impl Analyzer for GeminiAnalyzer {
    fn name(&self) -> String {
        self.analyzer_name()
    }

    fn needs_image(&self) -> bool {
        true
    }

    fn wants_context(&self) -> bool {
        true
    }

    async fn analyze_page(&self, input: PageInput) -> Result<PageAnalysis, AnalyzeError> {
        self.analyze_page_in(input, PageContext::default()).await
    }

    async fn analyze_page_in(&self, input: PageInput, context: PageContext) -> Result<PageAnalysis, AnalyzeError> {
        let mut spent = Usage::default();
        let tiles = match &context.parts {
            Some(parts) => parts.tiles().await?,
            None => Vec::new(),
        };
        let reading = plan(&input.text, input.image.as_deref(), &tiles);
        let components = match (reading.plan, &context.parts) {
            (Plan::Tiles, Some(parts)) => {
                info!(
                    page = input.page,
                    tiles = tiles.len(),
                    small_text_px = reading
                        .small_text_pt
                        .map(|pt| pixels(pt, reading.image_dpi.unwrap_or_default())),
                    "Small text on a large sheet: reading it tile by tile."
                );
                self.read_tiles(&input, &context.hints, parts.as_ref(), &tiles, &mut spent)
                    .await?
            }
            _ => {
                let prompt = prompt(&input, &context.hints, None);
                let geometry = PageGeometry::of(&input);
                let label = format!("page-{}", input.page + 1);
                let mut found = self
                    .read_image(input.image.as_ref(), &prompt, &geometry, &label, &mut spent)
                    .await?;
                merge::renumber(&mut found, input.page + 1);
                found
            }
        };
        let warnings: Vec<Warning> = Self::small_text_warning(&input, &reading).into_iter().collect();
        for w in &warnings {
            warn!(page = input.page, "{}", w.message);
        }
        Ok(PageAnalysis {
            page: input.page,
            components,
            usage: spent,
            analyzer: self.name(),
            warnings,
            // Legend rows and undefined tags are the text-layer analyzer's findings.
            ..PageAnalysis::default()
        })
    }
}
