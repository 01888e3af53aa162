//! The schedule: every page's components merged, duplicate ids folded, totals per type, and
//! the three result files (`components.json`, `schedule.csv`, `schedule.xlsx`).

use crate::component::{Component, ComponentType};
use crate::ports::PageAnalysis;
use crate::warning::{self, Warning};
use rust_xlsxwriter::{Format, Workbook, XlsxError};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

mod set;

pub use set::merge_answers;
use set::{legend_warnings, tags_defined_elsewhere};

/// The merged result of a job (`components.json`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Schedule {
    /// One entry per distinct component id, in page then reading order.
    pub components: Vec<Component>,
    /// Count per component type.
    pub totals: BTreeMap<ComponentType, u32>,
    /// Count per legend tag (`L4` × 20), for devices marked by a type tag.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tag_totals: BTreeMap<String, u32>,
    /// What the user should know about this result (pages without text, no legend, nothing found).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<Warning>,
    /// Pages analyzed.
    pub pages: u32,
    /// Occurrences folded into an earlier entry with the same id.
    pub duplicates_merged: u32,
}

/// Canonical form of a tag for comparison: `A.101.DR.B2`, `a_101_dr_b2` and `A-101-DR-B2`
/// are one id, as are `A B2 005 BB` and `A-B2-005-BB`.
pub fn normalize_id(id: &str) -> String {
    id.split(|c: char| c == '-' || c == '.' || c == '_' || c.is_whitespace())
        .filter(|p| !p.is_empty())
        .map(|p| p.to_ascii_uppercase())
        .collect::<Vec<_>>()
        .join("-")
}

impl Schedule {
    /// Merges page analyses. A component id seen on several pages is one device listed once:
    /// the most confident occurrence is kept, at the position of the first.
    pub fn build(pages: &[PageAnalysis]) -> Schedule {
        let mut components: Vec<Component> = Vec::new();
        let mut by_id: HashMap<String, usize> = HashMap::new();
        let mut duplicates_merged = 0;
        let across = tags_defined_elsewhere(pages);
        for component in pages.iter().flat_map(|p| p.components.iter()).chain(across.iter()) {
            // A device with two addresses (`L1M006/L1M007`) is the same device as either alone.
            let mut keys = vec![normalize_id(&component.id)];
            if component.id.contains('/') {
                keys.extend(component.id.split('/').map(normalize_id));
            }
            match keys.iter().find_map(|k| by_id.get(k).copied()) {
                Some(at) => {
                    duplicates_merged += 1;
                    let kept = &mut components[at];
                    if component.confidence > kept.confidence {
                        let combined = kept.id.contains('/').then(|| kept.id.clone());
                        *kept = component.clone();
                        if let Some(id) = combined {
                            kept.id = id;
                        }
                    } else if kept.location.is_none() {
                        kept.location = component.location.clone();
                    }
                    for k in keys {
                        by_id.entry(k).or_insert(at);
                    }
                }
                None => {
                    for k in keys {
                        by_id.insert(k, components.len());
                    }
                    components.push(component.clone());
                }
            }
        }
        let mut totals = BTreeMap::new();
        let mut tag_totals = BTreeMap::new();
        for c in &components {
            *totals.entry(c.kind).or_insert(0) += 1;
            if let Some(tag) = &c.tag {
                *tag_totals.entry(tag.clone()).or_insert(0) += 1;
            }
        }
        let mut warnings: Vec<Warning> = Vec::new();
        for w in pages.iter().flat_map(|p| p.warnings.iter()) {
            if !warnings.contains(w) {
                warnings.push(w.clone());
            }
        }
        warnings.extend(legend_warnings(pages, &tag_totals));
        if components.is_empty() {
            warnings.push(Warning::job(
                warning::NO_DEVICES_FOUND,
                no_devices_message(pages.len(), &warnings),
            ));
        }
        Schedule {
            components,
            totals,
            tag_totals,
            warnings,
            pages: pages.len() as u32,
            duplicates_merged,
        }
    }

    const HEADER: [&'static str; 10] = [
        "id",
        "type",
        "system",
        "page",
        "location",
        "confidence",
        "source",
        "bbox",
        "tag",
        "evidence",
    ];

    fn row(c: &Component) -> [String; 10] {
        let bbox = c
            .bbox
            .map(|b| format!("{:.1} {:.1} {:.1} {:.1}", b.x0, b.y0, b.x1, b.y1))
            .unwrap_or_default();
        let source = serde_json::to_value(c.source)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        [
            c.id.clone(),
            c.kind.as_str().to_owned(),
            c.system.clone(),
            c.page.to_string(),
            c.location.clone().unwrap_or_default(),
            format!("{:.2}", c.confidence),
            source,
            bbox,
            c.tag.clone().unwrap_or_default(),
            c.evidence.clone().unwrap_or_default(),
        ]
    }

    /// `schedule.csv`: a header, one row per component, then a blank line and the totals per
    /// type and per tag. Every cell is a plain value: see [`csv_safe`].
    pub fn to_csv(&self) -> Result<Vec<u8>, csv::Error> {
        let mut w = csv::WriterBuilder::new().flexible(true).from_writer(Vec::new());
        w.write_record(Self::HEADER)?;
        for c in &self.components {
            w.write_record(Self::row(c).iter().map(|cell| csv_safe(cell).into_owned()))?;
        }
        w.write_record([""])?;
        w.write_record(["type", "total"])?;
        for (kind, n) in &self.totals {
            w.write_record([kind.as_str(), &n.to_string()])?;
        }
        if !self.tag_totals.is_empty() {
            w.write_record([""])?;
            w.write_record(["tag", "total"])?;
            for (tag, n) in &self.tag_totals {
                w.write_record([csv_safe(tag).as_ref(), &n.to_string()])?;
            }
        }
        w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
    }

    /// `schedule.xlsx`: a `Schedule` sheet with one row per component and a `Totals` sheet.
    pub fn to_xlsx(&self) -> Result<Vec<u8>, XlsxError> {
        let mut book = Workbook::new();
        let bold = Format::new().set_bold();
        let sheet = book.add_worksheet().set_name("Schedule")?;
        for (col, title) in Self::HEADER.iter().enumerate() {
            sheet.write_string_with_format(0, col as u16, *title, &bold)?;
        }
        for (i, c) in self.components.iter().enumerate() {
            let r = i as u32 + 1;
            let row = Self::row(c);
            for (col, value) in row.iter().enumerate() {
                match col {
                    3 => sheet.write_number(r, 3, c.page as f64)?,
                    5 => sheet.write_number(r, 5, f64::from(c.confidence))?,
                    _ => sheet.write_string(r, col as u16, value)?,
                };
            }
        }
        sheet.autofilter(0, 0, self.components.len() as u32, Self::HEADER.len() as u16 - 1)?;
        sheet.set_freeze_panes(1, 0)?;
        let totals = book.add_worksheet().set_name("Totals")?;
        totals.write_string_with_format(0, 0, "type", &bold)?;
        totals.write_string_with_format(0, 1, "total", &bold)?;
        for (i, (kind, n)) in self.totals.iter().enumerate() {
            totals.write_string(i as u32 + 1, 0, kind.as_str())?;
            totals.write_number(i as u32 + 1, 1, f64::from(*n))?;
        }
        if !self.tag_totals.is_empty() {
            totals.write_string_with_format(0, 3, "tag", &bold)?;
            totals.write_string_with_format(0, 4, "total", &bold)?;
            for (i, (tag, n)) in self.tag_totals.iter().enumerate() {
                totals.write_string(i as u32 + 1, 3, tag)?;
                totals.write_number(i as u32 + 1, 4, f64::from(*n))?;
            }
        }
        book.save_to_buffer()
    }
}

/// Why a schedule is empty, in words a user can act on.
fn no_devices_message(pages: usize, warnings: &[Warning]) -> String {
    let textless = warnings
        .iter()
        .any(|w| w.code == warning::NO_TEXT_LAYER || w.code == warning::OCR_UNAVAILABLE);
    let mut m = format!("No devices were recognised on the {pages} page(s) of this drawing.");
    if textless {
        m.push_str(" Some pages have no readable text layer (scans or text drawn as outlines): send a vector PDF exported from CAD, or use the Gemini analyzer.");
    } else {
        m.push_str(" The analyzer counts devices named by a legend or schedule tag, a device address or a device id; a sheet with none of these (architectural or structural) has no devices to list. If this sheet does show devices, try the Gemini analyzer (set GEMINI_API_KEY).");
    }
    m
}

/// A cell a spreadsheet shows as text: one starting with `=`, `+`, `-`, `@`, a tab or a
/// carriage return would be read as a formula (OWASP's CSV injection rule), so it gets a
/// leading `'`. Ids and locations come from drawings and models, which are untrusted.
pub fn csv_safe(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

#[cfg(test)]
mod tests;
