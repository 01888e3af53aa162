//! A large sheet with small text, read tile by tile against the fake Gemini server over the
//! real wire format: one call per tile with the tile's own image, boxes mapped back to page
//! points, devices seen twice in the overlaps merged, the legend and the offline candidates in
//! every prompt, and a retry that pays only for the tiles not yet answered.

use async_trait::async_trait;
use bytes::Bytes;
use drawings_core::ports::TileManifestEntry;
use drawings_core::ports::{AnalyzeError, Analyzer, PageContext, PageInput, PageParts, PageText, TextRun};
use drawings_core::{BBox, Component, ComponentSource, ComponentType, ErrorCode};
use drawings_gemini::{GeminiAnalyzer, GeminiClient, GeminiConfig};
use drawings_testkit::fake_gemini::{FakeGemini, FakeOptions, RecordedRequest, Scripted};
use serde_json::json;
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A 42 × 30 in sheet.
const PAGE_W: f32 = 3024.0;
const PAGE_H: f32 = 2160.0;
/// The tiles' resolution: the full render is 6300 × 4500 px.
const DPI: f32 = 150.0;

/// The 3 × 2 grid of 3072 px tiles over the full render, row by row, the last row and column
/// flush with the edge.
fn grid() -> Vec<TileManifestEntry> {
    let mut tiles = Vec::new();
    for y_px in [0, 1428] {
        for x_px in [0, 1614, 3228] {
            tiles.push(TileManifestEntry {
                key: format!("tile-{}", tiles.len()),
                x_px,
                y_px,
                width_px: 3072,
                height_px: 3072,
                dpi: DPI,
            });
        }
    }
    tiles
}

fn region(t: &TileManifestEntry) -> BBox {
    let pt = |px: u32| px as f32 * 72.0 / DPI;
    BBox {
        x0: pt(t.x_px),
        y0: pt(t.y_px),
        x1: pt(t.x_px + t.width_px),
        y1: pt(t.y_px + t.height_px),
    }
}

fn bbox(x0: f32, y0: f32, x1: f32, y1: f32) -> BBox {
    BBox { x0, y0, x1, y1 }
}

/// What each tile's model answer reports: (id, type, box in page points). A tag cut by tile 0's
/// right edge is read as `EB-1` there and whole, as `EB-12`, in tile 1.
fn devices_in(tile: usize) -> Vec<(String, &'static str, BBox)> {
    let r = region(&grid()[tile]);
    let mut found = Vec::new();
    let shows = |b: BBox| {
        let (x, y) = b.center();
        x > r.x0 && x < r.x1 && y > r.y0 && y < r.y1
    };
    let reader = bbox(1000.0, 500.0, 1020.0, 504.0);
    let camera = bbox(1200.0, 1000.0, 1215.0, 1010.0);
    if shows(reader) {
        found.push(("CR-1".to_owned(), "card_reader", reader));
    }
    if shows(camera) {
        found.push(("camera-p1-1".to_owned(), "camera", camera));
    }
    match tile {
        0 => found.push(("EB-1".to_owned(), "exit_button", bbox(1462.0, 300.0, 1474.5, 304.0))),
        1 => found.push(("EB-12".to_owned(), "exit_button", bbox(1460.0, 300.0, 1474.0, 304.0))),
        _ => {}
    }
    let (cx, cy) = r.center();
    found.push((format!("D-{}", tile + 1), "door", bbox(cx, cy, cx + 10.0, cy + 4.0)));
    found
}

/// The model's answer for a tile: boxes as fractions of the tile, as the schema asks.
fn answer(tile: usize) -> String {
    let r = region(&grid()[tile]);
    let components: Vec<_> = devices_in(tile)
        .into_iter()
        .map(|(id, kind, b)| {
            let fx = |x: f32| (x - r.x0) / r.width();
            let fy = |y: f32| (y - r.y0) / r.height();
            json!({"id": id, "type": kind, "confidence": 0.8, "reason": "tag beside the symbol",
                   "bbox": {"x0": fx(b.x0), "y0": fy(b.y0), "x1": fx(b.x1), "y1": fy(b.y1)}})
        })
        .collect();
    json!({ "components": components, "legend_found": true }).to_string()
}

fn responder() -> Arc<dyn Fn(&RecordedRequest) -> String + Send + Sync> {
    Arc::new(|r: &RecordedRequest| {
        let (k, _) = r.tile.expect("every call names its tile");
        answer(k as usize - 1)
    })
}

fn png(width: u32, height: u32, marker: &str) -> Bytes {
    let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
    b.extend(width.to_be_bytes());
    b.extend(height.to_be_bytes());
    b.extend(marker.as_bytes());
    Bytes::from(b)
}

/// The sheet: 3 pt text (3 px in a 3072 px image of 42 in), a legend in the bottom-right
/// corner, and the reader's tag.
fn sheet(size_pt: f32) -> PageInput {
    let h = size_pt * 1.15;
    let run = |text: &str, x: f32, y: f32| TextRun {
        text: text.into(),
        bbox: bbox(x, y, x + h * 0.6 * text.len() as f32, y + h),
    };
    let runs = vec![
        run("CR-1", 1000.0, 500.0),
        run("EB-12", 1460.0, 300.0),
        run("LEGEND", 2700.0, 1900.0),
        run("CR CARD READER", 2700.0, 1900.0 + 2.0 * h),
        run("EB EXIT BUTTON", 2700.0, 1900.0 + 4.0 * h),
    ];
    PageInput {
        page: 0,
        page_count: 1,
        text: PageText {
            width_pt: PAGE_W,
            height_pt: PAGE_H,
            runs,
            ..PageText::default()
        },
        image: Some(png(3072, 2194, "whole page")),
    }
}

/// The offline analyzer's finding for the reader.
fn hint() -> Component {
    Component {
        id: "CR-1".into(),
        kind: ComponentType::CardReader,
        system: "access_control".into(),
        page: 1,
        location: None,
        bbox: Some(bbox(1000.0, 500.0, 1020.0, 504.0)),
        confidence: 0.85,
        source: ComponentSource::TextLayer,
        reason: None,
        tag: None,
        evidence: Some("legend: CR = CARD READER".into()),
    }
}

/// A page's tiles and saved answers in memory, like the pipeline's blob store.
#[derive(Default)]
struct MemoryParts {
    tiles: Vec<(TileManifestEntry, Bytes)>,
    saved: Mutex<HashMap<String, Bytes>>,
}

impl MemoryParts {
    fn new() -> Arc<MemoryParts> {
        let tiles = grid()
            .into_iter()
            .enumerate()
            .map(|(k, t)| (t, png(3072, 3072, &format!("tile {k}"))))
            .collect();
        Arc::new(MemoryParts {
            tiles,
            saved: Mutex::default(),
        })
    }
}

#[async_trait]
impl PageParts for MemoryParts {
    async fn tiles(&self) -> Result<Vec<TileManifestEntry>, AnalyzeError> {
        Ok(self.tiles.iter().map(|(t, _)| t.clone()).collect())
    }

    async fn tile(&self, entry: &TileManifestEntry) -> Result<Bytes, AnalyzeError> {
        Ok(self.tiles.iter().find(|(t, _)| t.key == entry.key).unwrap().1.clone())
    }

    async fn load(&self, name: &str) -> Result<Option<Bytes>, AnalyzeError> {
        Ok(self.saved.lock().unwrap().get(name).cloned())
    }

    async fn save(&self, name: &str, body: Bytes) -> Result<(), AnalyzeError> {
        self.saved.lock().unwrap().insert(name.to_owned(), body);
        Ok(())
    }
}

async fn fake() -> FakeGemini {
    FakeGemini::start(FakeOptions {
        responder: Some(responder()),
        ..FakeOptions::default()
    })
    .await
}

fn analyzer(fake: &FakeGemini) -> GeminiAnalyzer {
    let mut config = GeminiConfig::new("test-key");
    config.base_url = fake.base_url();
    config.request_timeout = Duration::from_secs(5);
    GeminiAnalyzer::new(
        GeminiClient::new(config)
            .unwrap()
            .with_min_backoff(Duration::from_millis(10)),
    )
}

fn context(parts: &Arc<MemoryParts>) -> PageContext {
    PageContext {
        hints: vec![hint()],
        parts: Some(parts.clone() as Arc<dyn PageParts>),
    }
}

fn ids(components: &[Component]) -> BTreeSet<String> {
    components.iter().map(|c| c.id.clone()).collect()
}

fn close(a: BBox, b: BBox) -> bool {
    [(a.x0, b.x0), (a.y0, b.y0), (a.x1, b.x1), (a.y1, b.y1)]
        .iter()
        .all(|(p, q)| (p - q).abs() < 0.5)
}

#[tokio::test]
async fn a_large_sheet_with_small_text_is_read_tile_by_tile_and_merged_in_page_points() {
    let fake = fake().await;
    let parts = MemoryParts::new();
    let analysis = analyzer(&fake)
        .analyze_page_in(sheet(3.0), context(&parts))
        .await
        .expect("analysis");

    let requests = fake.requests();
    assert_eq!(requests.len(), 6, "one call per tile");
    for (k, r) in requests.iter().enumerate() {
        assert_eq!(r.tile, Some((k as u32 + 1, 6)));
        assert_eq!(r.media.len(), 1);
        assert_eq!(
            r.media[0].bytes,
            parts.tiles[k].1.to_vec(),
            "tile {k} sends its own image"
        );
        assert_eq!(r.generation_config["thinkingConfig"]["thinkingLevel"], "LOW");
        let prompt = r.prompt();
        assert!(
            prompt.contains("CR CARD READER"),
            "tile {k}: the legend is in every prompt:\n{prompt}"
        );
        assert!(prompt.contains("fraction of this tile image"), "{prompt}");
    }
    let hinted: Vec<bool> = requests
        .iter()
        .map(|r| r.prompt().contains("CR-1 (card_reader)"))
        .collect();
    assert_eq!(
        hinted,
        [true, true, false, false, false, false],
        "a candidate goes to the tiles that show it"
    );

    let found = ids(&analysis.components);
    let expected: BTreeSet<String> = ["CR-1", "EB-12", "camera-p1-1", "D-1", "D-2", "D-3", "D-4", "D-5", "D-6"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(
        found, expected,
        "the reader (2 tiles), the camera (4 tiles) and the cut tag are merged"
    );
    let by_id = |id: &str| analysis.components.iter().find(|c| c.id == id).unwrap();
    assert!(
        close(by_id("CR-1").bbox.unwrap(), bbox(1000.0, 500.0, 1020.0, 504.0)),
        "{:?}",
        by_id("CR-1").bbox
    );
    assert!(close(
        by_id("camera-p1-1").bbox.unwrap(),
        bbox(1200.0, 1000.0, 1215.0, 1010.0)
    ));
    assert!(
        close(by_id("EB-12").bbox.unwrap(), bbox(1460.0, 300.0, 1474.0, 304.0)),
        "the whole tag wins"
    );
    let (cx, cy) = region(&grid()[4]).center();
    assert!(close(by_id("D-5").bbox.unwrap(), bbox(cx, cy, cx + 10.0, cy + 4.0)));
    assert!(analysis.components.iter().all(|c| c.page == 1));
    assert!(analysis.usage.input_tokens > 0 && analysis.usage.usd > 0.0);
    assert!(
        analysis.warnings.iter().any(|w| w.code == "SMALL_TEXT"),
        "3 pt text is 6 px even at 150 dpi: the user is told"
    );
    assert_eq!(parts.saved.lock().unwrap().len(), 6, "every tile's answer was saved");
}

#[tokio::test]
async fn a_retry_after_a_failed_tile_pays_only_for_the_tiles_not_yet_answered() {
    let fake = fake().await;
    fake.script_all((0..3).map(|k| Scripted::Reply {
        text: answer(k),
        usage: None,
    }));
    fake.script(Scripted::RateLimited {
        retry_delay: None,
        per_day: true,
    });
    let parts = MemoryParts::new();
    let err = analyzer(&fake)
        .analyze_page_in(sheet(3.0), context(&parts))
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::ModelQuotaExhausted);
    assert_eq!(fake.generate_calls(), 4);
    assert!(
        err.usage.input_tokens > 0,
        "the three answered tiles' cost travels with the error"
    );
    assert_eq!(parts.saved.lock().unwrap().len(), 3);

    let analysis = analyzer(&fake)
        .analyze_page_in(sheet(3.0), context(&parts))
        .await
        .expect("the retry answers");
    let asked: Vec<u32> = fake.requests()[4..]
        .iter()
        .filter_map(|r| r.tile.map(|t| t.0))
        .collect();
    assert_eq!(asked, [4, 5, 6], "tiles 1 to 3 were paid for and are not asked again");
    assert_eq!(ids(&analysis.components).len(), 9);
    let one_call = analysis.usage.input_tokens / 3;
    assert!(
        err.usage.input_tokens >= 3 * one_call - 3 && analysis.usage.input_tokens < 4 * one_call,
        "the retry is billed for its own three calls only: {:?} then {:?}",
        err.usage,
        analysis.usage
    );
}

#[tokio::test]
async fn a_large_sheet_with_legible_text_goes_out_as_one_image() {
    let fake = FakeGemini::start(FakeOptions::default()).await;
    let parts = MemoryParts::new();
    let input = sheet(14.0);
    let analysis = analyzer(&fake)
        .analyze_page_in(input.clone(), context(&parts))
        .await
        .expect("analysis");
    let requests = fake.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].tile, None);
    assert_eq!(requests[0].media[0].bytes, input.image.unwrap().to_vec());
    assert!(
        requests[0].prompt().contains("CR-1 (card_reader) at (0.334, 0.232)"),
        "the hint is in page fractions"
    );
    assert!(analysis.warnings.is_empty());
}
