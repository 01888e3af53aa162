//! Conformance suite for [`Analyzer`]: the rules of the port that every analyzer keeps,
//! whatever reads the page (the text layer, a model).
//!
//! The suite asks `empty` (a page with nothing on it) first, then `sample` twice. A model
//! analyzer behind the fake Gemini server is scripted accordingly by its caller: the first
//! call answers no components, the next two the default answer.

use drawings_core::ports::{Analyzer, PageAnalysis, PageInput};
use std::collections::BTreeSet;

/// Runs every check against `analyzer`.
pub async fn analyzer_conformance(analyzer: &dyn Analyzer, empty: PageInput, sample: PageInput) {
    let name = analyzer.name();
    assert!(!name.trim().is_empty(), "an analyzer must have a name");
    assert_eq!(analyzer.name(), name, "an analyzer's name must be stable");

    let nothing = analyzer
        .analyze_page(empty.clone())
        .await
        .unwrap_or_else(|e| panic!("an empty page must be Ok with no components, not {e}"));
    assert!(
        nothing.components.is_empty(),
        "an empty page must have no components, got {:?}",
        nothing.components
    );
    assert_well_formed(&nothing, &empty, &name);

    let first = analyzer.analyze_page(sample.clone()).await.expect("the sample page");
    assert_well_formed(&first, &sample, &name);
    let again = analyzer
        .analyze_page(sample.clone())
        .await
        .expect("the sample page again");
    assert_eq!(ids(&first), ids(&again), "the same page must give the same components");
}

fn ids(analysis: &PageAnalysis) -> BTreeSet<String> {
    analysis.components.iter().map(|c| c.id.clone()).collect()
}

/// The answer is about the page asked, names its analyzer, and every component sits on the
/// page with a usable id and a confidence in 0..=1.
fn assert_well_formed(analysis: &PageAnalysis, input: &PageInput, name: &str) {
    assert_eq!(analysis.page, input.page, "the answer must be about the page asked");
    assert!(
        analysis.analyzer.starts_with(name.split('/').next().unwrap_or(name)),
        "the answer must name its analyzer: {:?} from {name:?}",
        analysis.analyzer
    );
    let (width, height) = (input.text.width_pt, input.text.height_pt);
    for c in &analysis.components {
        assert!(!c.id.trim().is_empty(), "a component needs an id: {c:?}");
        // A component's page is 1-based, the port's page index 0-based.
        assert_eq!(c.page, input.page + 1, "a component must be on the page asked: {c:?}");
        assert!((0.0..=1.0).contains(&c.confidence), "confidence outside 0..=1: {c:?}");
        if let Some(b) = &c.bbox {
            let on_page = b.x0 <= b.x1
                && b.y0 <= b.y1
                && b.x0 >= -0.5
                && b.y0 >= -0.5
                && b.x1 <= width + 0.5
                && b.y1 <= height + 0.5;
            assert!(on_page, "a box must lie on the {width}x{height} pt page: {c:?}");
        }
    }
}
