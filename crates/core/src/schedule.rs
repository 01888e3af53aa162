//! The schedule: every page's components merged, duplicate ids folded, totals per type, and
//! the three result files (`components.json`, `schedule.csv`, `schedule.xlsx`).

use crate::component::{Component, ComponentType};
use crate::ports::{LegendEntry, PageAnalysis};
use crate::warning::{self, Warning};
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

/// Merges the offline reading of a page into a model's answer for it: a device both name (the
/// same id, or the same type where the model's box holds the label) is the model's, noted as
/// read from the text too; a device only the text names is added as the text layer's. The
/// page's legend rows and undefined tags come from the text, so a set's legend still counts.
pub fn merge_answers(model: &mut PageAnalysis, offline: PageAnalysis) {
    let same = |m: &Component, o: &Component| {
        normalize_id(&m.id) == normalize_id(&o.id)
            || (m.kind == o.kind
                && match (m.bbox, o.bbox) {
                    (Some(mb), Some(ob)) => {
                        let (x, y) = ob.center();
                        let pad = 0.5 * mb.width().max(mb.height());
                        x >= mb.x0 - pad && x <= mb.x1 + pad && y >= mb.y0 - pad && y <= mb.y1 + pad
                    }
                    _ => false,
                })
    };
    let mut added = Vec::new();
    for o in offline.components {
        match model.components.iter_mut().find(|m| same(m, &o)) {
            Some(m) => {
                m.tag = m.tag.take().or(o.tag);
                let also = format!(
                    "also read from the text layer: {}",
                    o.evidence.as_deref().unwrap_or(&o.id)
                );
                m.evidence = Some(match m.evidence.take() {
                    Some(e) => format!("{e}; {also}"),
                    None => also,
                });
            }
            None => added.push(o),
        }
    }
    model.components.extend(added);
    if model.legend.is_empty() {
        model.legend = offline.legend;
    }
    if model.undefined_tags.is_empty() {
        model.undefined_tags = offline.undefined_tags;
    }
    for w in offline.warnings {
        if !model.warnings.contains(&w) {
            model.warnings.push(w);
        }
    }
}

/// Plan labels of one sheet that a legend on another sheet of the set defines: each is an
/// instance of that tag, numbered per page after the page's own (`L4:3:1`).
fn tags_defined_elsewhere(pages: &[PageAnalysis]) -> Vec<Component> {
    let mut legend: HashMap<&str, (&LegendEntry, u32)> = HashMap::new();
    for page in pages {
        for entry in &page.legend {
            legend.entry(entry.tag.as_str()).or_insert((entry, page.page + 1));
        }
    }
    let mut found = Vec::new();
    for page in pages {
        let mut numbers: HashMap<&str, u32> = HashMap::new();
        for label in &page.undefined_tags {
            let Some((entry, defined_on)) = legend.get(label.tag.as_str()) else {
                continue;
            };
            let n = numbers.entry(label.tag.as_str()).or_insert(0);
            *n += 1;
            found.push(Component {
                id: format!("{}:{}:{n}", label.tag, page.page + 1),
                kind: entry.kind,
                system: entry.system.clone(),
                page: page.page + 1,
                location: None,
                bbox: Some(label.bbox),
                confidence: 0.7,
                source: crate::ComponentSource::TextLayer,
                reason: None,
                tag: Some(label.tag.clone()),
                evidence: Some(format!(
                    "legend on page {defined_on}: {} = {}",
                    entry.tag, entry.description
                )),
            });
        }
    }
    found
}

/// A set's legend warnings: tags it defines that no plan uses, or no legend at all where the
/// offline reader looked for one.
fn legend_warnings(pages: &[PageAnalysis], tag_totals: &BTreeMap<String, u32>) -> Vec<Warning> {
    let defined: std::collections::BTreeSet<&str> = pages
        .iter()
        .flat_map(|p| p.legend.iter().map(|e| e.tag.as_str()))
        .collect();
    let offline = !pages.is_empty() && pages.iter().all(|p| p.analyzer == "text-layer");
    if defined.is_empty() {
        return if offline {
            vec![Warning::job(
                warning::NO_LEGEND_FOUND,
                "No legend, key or schedule rows defining device tags were found on the drawing; devices were looked for by their addresses and ids only.",
            )]
        } else {
            Vec::new()
        };
    }
    // Bare letters in a legend often name symbols or systems rather than plan labels; only
    // tags with a digit (`L4`, `P5`) are expected to stand on a plan.
    let mut warnings = Vec::new();
    let mut checked = std::collections::BTreeSet::new();
    for entry in pages.iter().flat_map(|p| p.legend.iter()) {
        let Some(printed) = entry.quantity else { continue };
        let counted = tag_totals.get(&entry.tag).copied().unwrap_or(0);
        if checked.insert(entry.tag.as_str()) && counted != printed {
            warnings.push(Warning::job(
                warning::QUANTITY_MISMATCH,
                format!(
                    "The legend lists {printed} × {} ({}); {counted} were counted on the plans. Check the plans for labels drawn as symbols only, or the legend's count.",
                    entry.tag, entry.description
                ),
            ));
        }
    }
    let unused: Vec<&str> = defined
        .into_iter()
        .filter(|t| t.chars().any(|c| c.is_ascii_digit()) && !tag_totals.contains_key(*t))
        .collect();
    if !unused.is_empty() {
        warnings.push(Warning::job(
            warning::TAG_NOT_ON_PLAN,
            format!(
                "The legend defines tags that no plan label uses: {}. They may be drawn as symbols only, or not used on these sheets.",
                unused.join(", ")
            ),
        ));
    }
    warnings
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
            tag: None,
            evidence: None,
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
        assert_eq!(
            lines[0],
            "id,type,system,page,location,confidence,source,bbox,tag,evidence"
        );
        assert!(lines[1].starts_with("A-101-DR-B2,door,access_control,1,,0.90,text_layer,"));
        assert!(lines.contains(&"door,1"));
    }

    #[test]
    fn tagged_devices_are_totalled_per_tag_beside_the_totals_per_type() {
        let tagged = |id: &str, tag: &str| Component {
            tag: Some(tag.into()),
            kind: ComponentType::Luminaire,
            ..component(id, 1, 0.8)
        };
        let pages = vec![PageAnalysis {
            components: vec![tagged("L4:1:1", "L4"), tagged("L4:1:2", "L4"), tagged("L2:1:1", "L2")],
            ..Default::default()
        }];
        let s = Schedule::build(&pages);
        assert_eq!(s.tag_totals["L4"], 2);
        assert_eq!(s.tag_totals["L2"], 1);
        assert_eq!(s.totals[&ComponentType::Luminaire], 3);
        let csv = String::from_utf8(s.to_csv().unwrap()).unwrap();
        assert!(csv.contains("tag,total\nL2,1\nL4,2\n"), "{csv}");
    }

    #[test]
    fn an_empty_schedule_says_why_instead_of_being_silently_empty() {
        let s = Schedule::build(&[PageAnalysis::default()]);
        assert!(s.components.is_empty());
        assert_eq!(s.warnings.len(), 1);
        assert_eq!(s.warnings[0].code, warning::NO_DEVICES_FOUND);
        let offline = PageAnalysis {
            analyzer: "text-layer".into(),
            ..Default::default()
        };
        let codes: Vec<String> = Schedule::build(&[offline])
            .warnings
            .into_iter()
            .map(|w| w.code)
            .collect();
        assert_eq!(codes, [warning::NO_LEGEND_FOUND, warning::NO_DEVICES_FOUND]);
        let scanned = PageAnalysis {
            warnings: vec![Warning::page(warning::NO_TEXT_LAYER, 1, "scan")],
            ..Default::default()
        };
        let s = Schedule::build(&[scanned]);
        assert_eq!(s.warnings[0].code, warning::NO_TEXT_LAYER);
        assert!(s.warnings[1].message.contains("no readable text layer"));
    }

    #[test]
    fn a_tag_defined_on_the_legend_sheet_is_counted_on_the_plan_sheets() {
        let legend_sheet = PageAnalysis {
            page: 0,
            legend: vec![LegendEntry {
                tag: "F1".into(),
                description: "SUSPENDED LED LINEAR".into(),
                kind: ComponentType::Luminaire,
                system: "lighting".into(),
                quantity: None,
            }],
            analyzer: "text-layer".into(),
            ..Default::default()
        };
        let label = |x: f32| crate::ports::TagLabel {
            tag: "F1".into(),
            bbox: crate::BBox {
                x0: x,
                y0: 0.0,
                x1: x + 10.0,
                y1: 6.0,
            },
        };
        let plan = PageAnalysis {
            page: 2,
            undefined_tags: vec![
                label(0.0),
                label(100.0),
                crate::ports::TagLabel {
                    tag: "Q9".into(),
                    ..label(200.0)
                },
            ],
            analyzer: "text-layer".into(),
            ..Default::default()
        };
        let s = Schedule::build(&[legend_sheet, plan]);
        let ids: Vec<&str> = s.components.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["F1:3:1", "F1:3:2"]);
        assert_eq!(s.tag_totals["F1"], 2);
        assert!(
            s.components[0]
                .evidence
                .as_deref()
                .unwrap()
                .starts_with("legend on page 1")
        );
        assert!(s.warnings.iter().all(|w| w.code != warning::NO_LEGEND_FOUND));
    }

    #[test]
    fn a_model_answer_keeps_its_devices_and_gains_what_only_the_text_names() {
        let at = |x: f32| crate::BBox {
            x0: x,
            y0: 0.0,
            x1: x + 20.0,
            y1: 20.0,
        };
        let mut model = PageAnalysis {
            components: vec![
                Component {
                    bbox: Some(at(0.0)),
                    source: crate::ComponentSource::Gemini,
                    ..component("D-1", 1, 0.9)
                },
                Component {
                    bbox: Some(at(100.0)),
                    source: crate::ComponentSource::Gemini,
                    ..component("seen-only-by-model", 1, 0.9)
                },
            ],
            ..Default::default()
        };
        let offline = PageAnalysis {
            components: vec![
                Component {
                    bbox: Some(at(5.0)),
                    evidence: Some("legend: D".into()),
                    ..component("DOOR-7", 1, 0.8)
                },
                component("A-101-DR-B2", 1, 0.8),
            ],
            legend: vec![LegendEntry {
                tag: "D".into(),
                description: "DOOR".into(),
                kind: ComponentType::Door,
                system: "doors".into(),
                quantity: None,
            }],
            ..Default::default()
        };
        merge_answers(&mut model, offline);
        let ids: Vec<&str> = model.components.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["D-1", "seen-only-by-model", "A-101-DR-B2"]);
        assert!(
            model.components[0]
                .evidence
                .as_deref()
                .unwrap()
                .contains("also read from the text layer: legend: D")
        );
        assert_eq!(model.components[2].source, crate::ComponentSource::TextLayer);
        assert_eq!(model.legend.len(), 1);
    }

    #[test]
    fn a_legend_quantity_the_plans_do_not_match_is_a_warning() {
        let legend = |quantity| PageAnalysis {
            legend: vec![LegendEntry {
                tag: "L4".into(),
                description: "LED TROFFER".into(),
                kind: ComponentType::Luminaire,
                system: "lighting".into(),
                quantity: Some(quantity),
            }],
            components: vec![Component {
                tag: Some("L4".into()),
                ..component("L4:1:1", 1, 0.8)
            }],
            analyzer: "text-layer".into(),
            ..Default::default()
        };
        let codes = |s: Schedule| s.warnings.into_iter().map(|w| w.code).collect::<Vec<_>>();
        assert!(codes(Schedule::build(&[legend(1)])).is_empty());
        let warned = Schedule::build(&[legend(3)]);
        assert_eq!(codes(warned.clone()), [warning::QUANTITY_MISMATCH]);
        assert!(warned.warnings[0].message.starts_with("The legend lists 3 × L4"));
    }

    #[test]
    fn csv_cells_a_spreadsheet_would_run_as_formulas_are_neutralised() {
        for evil in ["=HYPERLINK(\"http://x\")", "+cmd|' /C calc'!A0", "@SUM(A1)", "-2+3"] {
            let c = Component {
                location: Some(evil.into()),
                ..component(evil, 1, 0.9)
            };
            let pages = vec![PageAnalysis {
                components: vec![c],
                ..Default::default()
            }];
            let csv = String::from_utf8(Schedule::build(&pages).to_csv().unwrap()).unwrap();
            let row = csv.lines().nth(1).unwrap();
            let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(row.as_bytes());
            let record = reader.records().next().unwrap().unwrap();
            assert_eq!(&record[0], format!("'{evil}"));
            assert_eq!(&record[4], format!("'{evil}"));
        }
        assert_eq!(csv_safe("A-101-DR-B2"), "A-101-DR-B2");
    }

    #[test]
    fn xlsx_is_a_zip_workbook() {
        let bytes = Schedule::default().to_xlsx().unwrap();
        assert_eq!(&bytes[..2], b"PK");
    }
}
