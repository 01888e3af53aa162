//! What the browser tests read off the page and check: the scripts that measure the boxes and
//! the page images, the browser (or a SKIP line), the bbox check, the README's screenshot, and
//! a key for the keyed tests.

use super::webdriver::Browser;
use super::{support, webdriver};
use serde_json::Value;
use std::process::Command;

/// How far (CSS pixels) a drawn box may sit from its bbox at the shown scale.
pub(crate) const TOLERANCE_PX: f64 = 2.0;

/// Every box's and every page image's rectangle on screen.
pub(crate) const RECTS_SCRIPT: &str = r#"
const rect = (e) => { const r = e.getBoundingClientRect(); return { left: r.left, top: r.top, width: r.width, height: r.height }; };
return {
  boxes: [...document.querySelectorAll('.box')].map((b) => ({ index: Number(b.dataset.index), ...rect(b) })),
  pages: [...document.querySelectorAll('.page')].map((p) => ({ page: Number(p.dataset.page), ...rect(p.querySelector('img.page-image')) })),
};"#;

/// Whether the job view has loaded and every page image has decoded.
pub(crate) const VIEW_READY_SCRIPT: &str = r#"
const imgs = [...document.querySelectorAll('.page img.page-image')];
return document.body.dataset.jobLoaded && imgs.length > 0 && imgs.every((i) => i.complete && i.naturalWidth > 0);"#;

pub(crate) async fn browser_or_skip(downloads: &std::path::Path) -> Option<Browser> {
    match webdriver::find_browser() {
        Ok((chromium, driver)) => Some(Browser::start(&chromium, &driver, downloads).await),
        Err(why) => {
            eprintln!("SKIP web_ui: {why}; run scripts/setup.sh (it installs chromium and chromium-driver)");
            None
        }
    }
}

/// Asserts one box per component, each on its component's bbox scaled to its page image as
/// rendered; `pages` gives each page's size in points.
pub(crate) fn assert_boxes_on_their_bboxes(rects: &Value, components: &[Value], pages: &[Value]) {
    let boxes = rects["boxes"].as_array().unwrap();
    assert_eq!(boxes.len(), components.len(), "one box per component");
    let mut seen: Vec<u64> = boxes.iter().map(|b| b["index"].as_u64().unwrap()).collect();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), components.len(), "each component's box once");
    for b in boxes {
        let c = &components[b["index"].as_u64().unwrap() as usize];
        let page = c["page"].as_u64().unwrap();
        let size = pages.iter().find(|p| p["page"] == page).expect("page size");
        let img = rects["pages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["page"] == page)
            .expect("page image");
        let (w_pt, h_pt) = (size["width_pt"].as_f64().unwrap(), size["height_pt"].as_f64().unwrap());
        let (sx, sy) = (
            img["width"].as_f64().unwrap() / w_pt,
            img["height"].as_f64().unwrap() / h_pt,
        );
        assert!((sx - sy).abs() / sx < 0.01, "page {page} keeps its aspect ratio");
        let bbox = &c["bbox"];
        let f = |k: &str| bbox[k].as_f64().unwrap();
        let expected = [
            img["left"].as_f64().unwrap() + f("x0") * sx,
            img["top"].as_f64().unwrap() + f("y0") * sy,
            (f("x1") - f("x0")) * sx,
            (f("y1") - f("y0")) * sy,
        ];
        let actual = ["left", "top", "width", "height"].map(|k| b[k].as_f64().unwrap());
        for (e, a) in expected.iter().zip(actual) {
            assert!(
                (e - a).abs() <= TOLERANCE_PX,
                "{} drawn at {actual:?}, its bbox is at {expected:?}",
                c["id"]
            );
        }
    }
}

/// Saves the job view as the tests see it: under the target directory always, and as the
/// README's picture (`docs/web-ui.png`) when `UPDATE_SCREENSHOT=1`.
pub(crate) async fn save_screenshot(browser: &Browser) {
    let png = browser.screenshot_png().await;
    assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("web-ui.png");
    std::fs::write(&path, &png).unwrap();
    eprintln!("screenshot: {}", path.display());
    if std::env::var("UPDATE_SCREENSHOT").as_deref() == Ok("1") {
        std::fs::create_dir_all(support::root().join("docs")).unwrap();
        std::fs::write(support::root().join("docs/web-ui.png"), &png).unwrap();
    }
}

/// `drawings keys create --client NAME` on the server's key file: the key it prints.
pub(crate) fn create_key(data_dir: &std::path::Path, client: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_drawings"))
        .args(["keys", "create", "--client", client, "--data-dir"])
        .arg(data_dir)
        .env_remove("DRAWINGS_API_KEYS_FILE")
        .output()
        .expect("run drawings keys");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}
