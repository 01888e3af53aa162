//! Reading one page the way an estimator does: the sheet's own tag styles first (tag boxes,
//! id-style and equipment tags, [`crate::find_tags`]), then the legend's vocabulary counted on
//! the plan, then device addresses and ids, lighting-plot instrument ids and door-schedule
//! rows. The page's legend rows and the tag-shaped labels it does not define go out with the
//! answer, so that a set's legend sheet can name the tags of its plan sheets
//! ([`drawings_core::schedule::Schedule::build`]); a page with no text says so in a warning.

use crate::addressed::addressed;
use crate::budget::{Deadline, PastDeadline, ReadingError, ReadingLimits, word_count};
use crate::count::{Instance, grid_marks, inside, tag_instances};
use crate::grid::Grid;
use crate::instruments::instruments;
use crate::words::{Word, layout};
use crate::{TagSchemes, find_tags_until};
use crate::{door_schedule, legend};
use drawings_core::ports::{LegendEntry, PageText, TagLabel, TextSource};
use drawings_core::warning::{self, Warning};
use drawings_core::{BBox, Component, ComponentSource, ComponentType};
use std::collections::HashSet;

/// Grid cells over the boxes of devices already found, and how far from a word such a box's
/// centre may be for the word to lie inside it (a tag box is a few words wide).
const TAKEN_CELL: f32 = 16.0;
const TAKEN_REACH: f32 = 60.0;
/// Fewer readable words than this on a page is no text layer to read.
const MIN_WORDS: usize = 3;

/// What one page yields.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PageReading {
    /// The devices, in the order found.
    pub components: Vec<Component>,
    /// What the user should know about the page.
    pub warnings: Vec<Warning>,
    /// The legend rows read on the page.
    pub legend: Vec<LegendEntry>,
    /// Tag-shaped plan labels that no legend row of the page defines.
    pub undefined_tags: Vec<TagLabel>,
}

/// Reads a page's devices. `page` of each component is `text.page + 1`. No limits: for
/// trusted input (tests, benchmarks); the analyzer uses [`read_page_within`].
pub fn read_page(text: &PageText, schemes: &TagSchemes) -> PageReading {
    // Without a deadline there is nothing to run past.
    read_page_until(text, schemes, Deadline::none()).unwrap_or_default()
}

/// [`read_page`] within `limits`: a page with more words than [`ReadingLimits::max_words`] is
/// not read at all, and a reading that runs past [`ReadingLimits::page_timeout`] stops and
/// fails; see [`crate::budget`].
pub fn read_page_within(
    text: &PageText,
    schemes: &TagSchemes,
    limits: &ReadingLimits,
) -> Result<PageReading, ReadingError> {
    let page = text.page + 1;
    // Counted before anything is built from them: the cap bounds the reading's memory.
    let words = word_count(&text.runs);
    if words > limits.max_words {
        return Err(ReadingError::TooManyWords {
            page,
            words,
            max: limits.max_words,
        });
    }
    read_page_until(text, schemes, Deadline::after(limits.page_timeout)).map_err(|PastDeadline| {
        ReadingError::TimedOut {
            page,
            limit: limits.page_timeout,
        }
    })
}

/// Reads a page, phase by phase, until `deadline`. Each phase that can outgrow the words
/// checks the deadline as it goes and stops with [`PastDeadline`], which ends the reading:
/// what was found before is dropped, never answered as the page's devices.
fn read_page_until(text: &PageText, schemes: &TagSchemes, deadline: Deadline) -> Result<PageReading, PastDeadline> {
    let page = text.page + 1;
    let mut warnings = Vec::new();
    match text.source {
        TextSource::Ocr => warnings.push(Warning::page(
            warning::OCR_USED,
            page,
            format!("Page {page} has no text layer; its text was read by OCR, which misreads small or rotated labels. A vector PDF exported from CAD reads better."),
        )),
        TextSource::OcrUnavailable => warnings.push(Warning::page(
            warning::OCR_UNAVAILABLE,
            page,
            format!("Page {page} has no text layer and OCR was not available, so nothing on it could be read. Install Tesseract (scripts/setup.sh does), send a vector PDF, or use the Gemini analyzer."),
        )),
        TextSource::Pdf => {}
    }
    let (mut words, lines) = layout(&text.runs);
    if text.source == TextSource::Ocr {
        for w in &mut words {
            if let Some(fixed) = ocr_tag(&w.text) {
                w.text = fixed;
            }
        }
    }
    if words.len() < MIN_WORDS {
        if text.source == TextSource::Pdf {
            warnings.push(Warning::page(
                warning::NO_TEXT_LAYER,
                page,
                format!("Page {page} has no readable text layer (a scan, or text drawn as outlines), so no labels could be read. Send a vector PDF exported from CAD, or use the Gemini analyzer."),
            ));
        }
        return Ok(PageReading {
            warnings,
            ..PageReading::default()
        });
    }
    deadline.check()?;
    let mut components = find_tags_until(text, schemes, deadline)?;
    let rows = legend::rows(&words, &lines, &schemes.vocabulary, deadline)?;
    // Words that are already a device's, a legend row's or a grid mark are no other device.
    let mut taken = Taken::new(
        rows.iter()
            .flat_map(|r| r.words.iter().copied())
            .chain(grid_marks(&words, &lines)),
    );
    taken.add(components.iter().filter_map(|c| c.bbox));
    let (instances, undefined_tags) =
        tag_instances(&words, &lines, &rows, page, &|k| taken.covers(&words, k), deadline)?;
    taken.add(instances.iter().map(|i| i.bbox));
    let addresses = addressed(
        &words,
        &lines,
        &|k| taken.covers(&words, k),
        &schemes.vocabulary,
        deadline,
    )?;
    taken.add(addresses.iter().map(|a| a.bbox));
    let lights = instruments(&words, &lines, &|k| taken.covers(&words, k), page, deadline)?;
    let doors = door_schedule::rows(&words, &lines, deadline)?
        .into_iter()
        .map(|row| Instance {
            id: row.number.clone(),
            tag: None,
            kind: ComponentType::Door,
            system: "doors".to_owned(),
            bbox: row.bbox,
            confidence: 0.8,
            evidence: format!("door schedule row {}", row.number),
        });
    components.extend(
        instances
            .into_iter()
            .chain(addresses)
            .chain(lights)
            .chain(doors)
            .map(|i| component(i, page)),
    );
    let legend = rows
        .into_iter()
        .map(|r| LegendEntry {
            tag: r.tag,
            description: r.description,
            kind: r.meaning.kind,
            system: r.meaning.system,
            quantity: r.quantity,
        })
        .collect();
    Ok(PageReading {
        components,
        warnings,
        legend,
        undefined_tags,
    })
}

/// The words already spoken for: by index (legend rows, grid marks), or lying inside the box
/// of a device found before.
struct Taken {
    words: HashSet<usize>,
    boxes: Grid<()>,
}

impl Taken {
    fn new(words: impl IntoIterator<Item = usize>) -> Self {
        Taken {
            words: words.into_iter().collect(),
            boxes: Grid::new(TAKEN_CELL),
        }
    }

    fn add(&mut self, boxes: impl IntoIterator<Item = BBox>) {
        for bbox in boxes {
            self.boxes.insert(bbox, ());
        }
    }

    fn covers(&self, words: &[Word], k: usize) -> bool {
        let w = &words[k];
        self.words.contains(&k)
            || self
                .boxes
                .near(w.bbox, TAKEN_REACH)
                .any(|(b, _)| inside(w.bbox, *b, 0.0))
    }
}

/// A tag as OCR misreads its number: `Ll`, `LI`, `L|` for `L1`, `PO` for `P0`. Only short
/// tag-shaped words change, so words of text stay as read.
fn ocr_tag(text: &str) -> Option<String> {
    let split = text.find(|c: char| !c.is_ascii_uppercase())?;
    let (letters, rest) = text.split_at(split);
    if letters.is_empty() || letters.len() > 3 || rest.is_empty() || rest.chars().count() > 2 {
        return None;
    }
    let digits: String = rest
        .chars()
        .map(|c| match c {
            'l' | 'I' | '|' | 'i' => '1',
            'O' | 'o' => '0',
            c => c,
        })
        .collect();
    (digits != rest && digits.chars().all(|c| c.is_ascii_digit())).then(|| format!("{letters}{digits}"))
}

fn component(i: Instance, page: u32) -> Component {
    Component {
        id: i.id,
        kind: i.kind,
        system: i.system,
        page,
        location: None,
        bbox: Some(i.bbox),
        confidence: i.confidence,
        source: ComponentSource::TextLayer,
        reason: None,
        tag: i.tag,
        evidence: Some(i.evidence),
    }
}

#[cfg(test)]
mod tests {
    use super::ocr_tag;

    #[test]
    fn ocr_misreadings_of_a_tag_number_are_read_as_digits() {
        assert_eq!(ocr_tag("Ll").as_deref(), Some("L1"));
        assert_eq!(ocr_tag("L|").as_deref(), Some("L1"));
        assert_eq!(ocr_tag("EMl").as_deref(), Some("EM1"));
        assert_eq!(ocr_tag("P5"), None);
        assert_eq!(ocr_tag("LIGHT"), None);
        assert_eq!(ocr_tag("Lx"), None);
    }
}
