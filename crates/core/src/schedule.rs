//! The schedule: every page's components merged, duplicate ids folded, totals per type, and
//! the three result files (`components.json`, `schedule.csv`, `schedule.xlsx`).

use crate::component::{Component, ComponentType};
use crate::ports::PageAnalysis;
use rust_xlsxwriter::{Format, Workbook, XlsxError};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// The merged result of a job (`components.json`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Schedule {
    /// One entry per distinct component id, in page then reading order.
    pub components: Vec<Component>,
    /// Count per component type.
    pub totals: BTreeMap<ComponentType, u32>,
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
        for component in pages.iter().flat_map(|p| p.components.iter()) {
            match by_id.get(&normalize_id(&component.id)) {
                Some(&at) => {
                    duplicates_merged += 1;
                    let kept = &mut components[at];
                    if component.confidence > kept.confidence {
                        *kept = component.clone();
                    } else if kept.location.is_none() {
                        kept.location = component.location.clone();
                    }
                }
                None => {
                    by_id.insert(normalize_id(&component.id), components.len());
                    components.push(component.clone());
                }
            }
        }
        let mut totals = BTreeMap::new();
        for c in &components {
            *totals.entry(c.kind).or_insert(0) += 1;
        }
        Schedule {
            components,
            totals,
            pages: pages.len() as u32,
            duplicates_merged,
        }
    }

    const HEADER: [&'static str; 8] = [
        "id",
        "type",
        "system",
        "page",
        "location",
        "confidence",
        "source",
        "bbox",
    ];

    fn row(c: &Component) -> [String; 8] {
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
        ]
    }

    /// `schedule.csv`: a header, one row per component, then a blank line and the totals.
    pub fn to_csv(&self) -> Result<Vec<u8>, csv::Error> {
        let mut w = csv::WriterBuilder::new().flexible(true).from_writer(Vec::new());
        w.write_record(Self::HEADER)?;
        for c in &self.components {
            w.write_record(Self::row(c))?;
        }
        w.write_record([""])?;
        w.write_record(["type", "total"])?;
        for (kind, n) in &self.totals {
            w.write_record([kind.as_str(), &n.to_string()])?;
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
        book.save_to_buffer()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::component::ComponentSource;

    fn component(id: &str, page: u32, confidence: f32) -> Component {
        Component {
            id: id.into(),
            kind: ComponentType::Door,
            system: "access_control".into(),
            page,
            location: None,
            bbox: None,
            confidence,
            source: ComponentSource::TextLayer,
            reason: None,
        }
    }

    #[test]
    fn ids_written_with_different_separators_are_one_id() {
        assert_eq!(normalize_id("A.101.DR.B2"), "A-101-DR-B2");
        assert_eq!(normalize_id("a_101_dr_b2"), "A-101-DR-B2");
        assert_eq!(normalize_id("A B2  005 BB"), "A-B2-005-BB");
    }

    #[test]
    fn a_component_on_two_pages_is_listed_once_with_the_best_confidence() {
        let pages = vec![
            PageAnalysis {
                page: 0,
                components: vec![component("A-101-DR-B2", 1, 0.6)],
                ..Default::default()
            },
            PageAnalysis {
                page: 1,
                components: vec![component("A.101.DR.B2", 2, 0.9), component("A-102-DR-B2", 2, 0.9)],
                ..Default::default()
            },
        ];
        let s = Schedule::build(&pages);
        assert_eq!(s.components.len(), 2);
        assert_eq!(s.components[0].page, 2);
        assert_eq!(s.duplicates_merged, 1);
        assert_eq!(s.totals[&ComponentType::Door], 2);
    }

    #[test]
    fn csv_has_a_row_per_component_and_the_totals() {
        let pages = vec![PageAnalysis {
            page: 0,
            components: vec![component("A-101-DR-B2", 1, 0.9)],
            ..Default::default()
        }];
        let csv = String::from_utf8(Schedule::build(&pages).to_csv().unwrap()).unwrap();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines[0], "id,type,system,page,location,confidence,source,bbox");
        assert!(lines[1].starts_with("A-101-DR-B2,door,access_control,1,,0.90,text_layer,"));
        assert!(lines.contains(&"door,1"));
    }

    #[test]
    fn xlsx_is_a_zip_workbook() {
        let bytes = Schedule::default().to_xlsx().unwrap();
        assert_eq!(&bytes[..2], b"PK");
    }
}
