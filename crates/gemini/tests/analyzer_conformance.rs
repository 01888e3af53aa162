//! The Gemini analyzer against the `Analyzer` port's conformance suite, behind the fake
//! Gemini server speaking the real wire format: a blank page the model answers with no
//! components, then a page it answers with its default components.

use bytes::Bytes;
use drawings_core::ports::{PageInput, PageText};
use drawings_gemini::{GeminiAnalyzer, GeminiClient, GeminiConfig};
use drawings_testkit::analyzer_conformance;
use drawings_testkit::fake_gemini::{FakeGemini, FakeOptions, Scripted};

fn page(page: u32) -> PageInput {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend([0u8; 64]);
    PageInput {
        page,
        page_count: 2,
        text: PageText {
            page,
            width_pt: 1190.0,
            height_pt: 842.0,
            ..PageText::default()
        },
        image: Some(Bytes::from(png)),
    }
}

#[tokio::test]
async fn the_gemini_analyzer_passes_conformance() {
    let fake = FakeGemini::start(FakeOptions::default()).await;
    // The suite asks the blank page first.
    fake.script(Scripted::Reply {
        text: r#"{"components": []}"#.into(),
        usage: None,
    });
    let mut config = GeminiConfig::new("test-key");
    config.base_url = fake.base_url();
    let analyzer = GeminiAnalyzer::new(GeminiClient::new(config).expect("client"));
    analyzer_conformance(&analyzer, page(0), page(1)).await;
}
