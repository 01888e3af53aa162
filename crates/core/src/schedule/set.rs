//! What the pages of a set say about each other: a legend sheet names the tags of its plan
//! sheets, a legend's quantities and unused tags become warnings, and a model's answer for a
//! page takes in what only the offline reading of that page names.

use super::normalize_id;
use crate::component::Component;
use crate::ports::{LegendEntry, PageAnalysis};
use crate::warning::{self, Warning};
use std::collections::{BTreeMap, HashMap};

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
pub(super) fn tags_defined_elsewhere(pages: &[PageAnalysis]) -> Vec<Component> {
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
pub(super) fn legend_warnings(pages: &[PageAnalysis], tag_totals: &BTreeMap<String, u32>) -> Vec<Warning> {
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
