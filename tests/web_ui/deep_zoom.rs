//! Deep zoom in a real browser: pages cut into full-resolution tiles show them, each on its
//! part of the page, once the zoom passes what the page image holds, and only those in view.

use super::support::{self, Server, fixture};
use super::view::{TOLERANCE_PX, VIEW_READY_SCRIPT, browser_or_skip};
use serde_json::{Value, json};
use std::time::Duration;

/// A script expression: each tile's rectangle on screen beside its page image's, and whether
/// it was fetched and has loaded.
const TILES: &str = r#"(() => {
const rect = (e) => { const r = e.getBoundingClientRect(); return { left: r.left, top: r.top, width: r.width, height: r.height }; };
return [...document.querySelectorAll('.page')].flatMap((p) => [...p.querySelectorAll('img.tile')].map((t) => ({
  page: Number(p.dataset.page), tile: Number(t.dataset.tile), fetched: t.hasAttribute('src'),
  loaded: t.complete && t.naturalWidth > 0, natural_width: t.naturalWidth,
  base_natural_width: p.querySelector('img.page-image').naturalWidth,
  rect: rect(t), base: rect(p.querySelector('img.page-image')) })));
})()"#;

#[tokio::test]
async fn zooming_past_the_page_image_shows_the_sharper_tiles_in_view_on_their_part_of_the_page() {
    let downloads = tempfile::tempdir().unwrap();
    let Some(browser) = browser_or_skip(downloads.path()).await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    // At 300 dpi an A3 sheet (4961 × 3508 px) is over the page image's 3072² pixel cap, so the
    // image is lowered (to about 220 dpi) and the tiles keep the full resolution.
    let server = Server::start(
        dir.path(),
        &[("DRAWINGS_RENDER_TILES", "on"), ("DRAWINGS_RENDER_DPI", "300")],
    );
    let pdf = std::fs::read(fixture("security-plan.pdf")).unwrap();
    let (status, accepted, _) = support::upload(&server, pdf, None).await;
    assert_eq!(status, 202, "{accepted}");
    let job_id = accepted["job_id"].as_str().unwrap().to_owned();
    let done = support::wait_terminal(&server, &job_id, Duration::from_secs(600)).await;
    assert_eq!(done["status"], "completed", "{done}");
    let pages: Value = reqwest::get(server.url(&format!("/results/{job_id}/pages")))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let pages = pages["pages"].as_array().unwrap().clone();
    assert!(
        pages.iter().all(|p| p["tiles"].as_array().unwrap().len() > 1),
        "{pages:?}"
    );

    browser.goto(&server.url(&format!("/#job/{job_id}"))).await;
    browser
        .wait_for("the job view", VIEW_READY_SCRIPT, Duration::from_secs(30))
        .await;
    // Give the settled view its chance to fetch: at the fit nothing is sharper than the image.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let tiles = browser.run(&format!("return {TILES};"), json!([])).await;
    let tiles = tiles.as_array().unwrap();
    assert!(!tiles.is_empty(), "tiles are placed");
    assert!(
        tiles.iter().all(|t| t["fetched"] == false),
        "none fetched at the fit: {tiles:?}"
    );

    for _ in 0..14 {
        browser.click(&browser.find("#zoom-in").await).await;
    }
    let tiles = browser
        .wait_for(
            "a tile in view to load",
            &format!("const t = {TILES}; return t.some((x) => x.loaded) && t;"),
            Duration::from_secs(30),
        )
        .await;
    let tiles = tiles.as_array().unwrap();
    let fetched: Vec<&Value> = tiles.iter().filter(|t| t["fetched"] == true).collect();
    assert!(
        fetched.len() < tiles.len(),
        "only the tiles in view are fetched: {} of {}",
        fetched.len(),
        tiles.len()
    );
    for t in tiles.iter().filter(|t| t["loaded"] == true) {
        let page = pages.iter().find(|p| p["page"] == t["page"]).unwrap();
        let listed = page["tiles"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["tile"] == t["tile"])
            .unwrap();
        let f = |v: &Value, k: &str| v[k].as_f64().unwrap();
        let scale = f(&t["base"], "width") / f(page, "width_pt");
        let expected = [
            f(&t["base"], "left") + f(listed, "x_pt") * scale,
            f(&t["base"], "top") + f(listed, "y_pt") * scale,
            f(listed, "width_pt") * scale,
            f(listed, "height_pt") * scale,
        ];
        let actual = ["left", "top", "width", "height"].map(|k| f(&t["rect"], k));
        for (e, a) in expected.iter().zip(actual) {
            assert!(
                (e - a).abs() <= TOLERANCE_PX,
                "tile {} of page {} drawn at {actual:?}, listed at {expected:?}",
                t["tile"],
                t["page"]
            );
        }
        // Sharper than the image beneath: more pixels per point.
        let tile_px_per_pt = f(t, "natural_width") / f(listed, "width_pt");
        let base_px_per_pt = f(t, "base_natural_width") / f(page, "width_pt");
        assert!(
            tile_px_per_pt > base_px_per_pt * 1.2,
            "tile {tile_px_per_pt:.2} px/pt, page image {base_px_per_pt:.2}"
        );
    }
}
