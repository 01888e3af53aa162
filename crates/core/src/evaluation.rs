//! The evaluation stage's report: a deterministic cross-check of the analyzer's components
//! against the tags a reference analyzer reads from the text layer. No model is asked.

use crate::component::Component;
use crate::schedule::normalize_id;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// `evaluation.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// The reference analyzer, or none when evaluation was skipped.
    pub reference: Option<String>,
    /// Distinct tag ids in the text layer.
    pub expected: usize,
    /// Of those, how many the analyzer reported.
    pub matched: usize,
    /// `matched / expected`; absent when the text layer has no tags.
    pub recall: Option<f64>,
    /// Text-layer tags the analyzer missed.
    pub missed: Vec<String>,
    /// Components the analyzer reported that are not text-layer tags.
    pub unmatched: Vec<String>,
}

/// Compares the analyzer's components with the reference tag ids.
pub fn evaluate(reference: Option<String>, expected_ids: &[String], components: &[Component]) -> Evaluation {
    let expected: BTreeSet<String> = expected_ids.iter().map(|id| normalize_id(id)).collect();
    let found: BTreeSet<String> = components.iter().map(|c| normalize_id(&c.id)).collect();
    let matched = expected.intersection(&found).count();
    Evaluation {
        recall: (!expected.is_empty()).then(|| matched as f64 / expected.len() as f64),
        expected: expected.len(),
        matched,
        missed: expected.difference(&found).cloned().collect(),
        unmatched: found.difference(&expected).cloned().collect(),
        reference,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::component::{ComponentSource, ComponentType};

    #[test]
    fn recall_counts_text_layer_tags_the_analyzer_found() {
        let c = |id: &str| Component {
            id: id.into(),
            kind: ComponentType::Door,
            system: "access_control".into(),
            page: 1,
            location: None,
            bbox: None,
            confidence: 1.0,
            source: ComponentSource::Gemini,
            reason: None,
            tag: None,
            evidence: None,
        };
        let expected = vec!["A B2 001 BB".to_string(), "A B2 002 BB".into()];
        let e = evaluate(Some("text-layer".into()), &expected, &[c("A-B2-001-BB"), c("X-1")]);
        assert_eq!(e.recall, Some(0.5));
        assert_eq!(e.missed, vec!["A-B2-002-BB"]);
        assert_eq!(e.unmatched, vec!["X-1"]);
    }

    #[test]
    fn no_text_layer_tags_means_no_recall_figure() {
        assert_eq!(evaluate(None, &[], &[]).recall, None);
    }
}
