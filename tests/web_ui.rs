//! The web UI in a real browser: headless Chromium driven over WebDriver against a running
//! `drawings serve`, and the `report.html` of a `drawings process` run opened from disk.
//! Without Chromium or chromedriver the tests print one SKIP line naming the set-up step and
//! pass, like the other tests of external tools; `scripts/setup.sh` installs both (in CI too).

#[path = "web_ui/deep_zoom.rs"]
mod deep_zoom;
mod support;
#[path = "web_ui/view.rs"]
mod view;
#[path = "web_ui/webdriver.rs"]
mod webdriver;

use serde_json::{Value, json};
use std::process::Command;
use std::time::{Duration, Instant};
use support::{Server, fixture};
use view::{
    RECTS_SCRIPT, VIEW_READY_SCRIPT, assert_boxes_on_their_bboxes, browser_or_skip, create_key, save_screenshot,
};

#[tokio::test]
async fn the_served_job_view_draws_each_component_on_its_bbox_and_links_rows_and_boxes() {
    let downloads = tempfile::tempdir().unwrap();
    let Some(browser) = browser_or_skip(downloads.path()).await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    browser.goto(&server.url("/")).await;
    browser
        .wait_for(
            "the jobs list",
            "return !document.getElementById('home-panel').hidden",
            Duration::from_secs(10),
        )
        .await;

    // Upload through the page's file input, as a user choosing a file does.
    let input = browser.find("#file-input").await;
    let pdf = fixture("security-plan.pdf");
    browser.send_keys(&input, pdf.to_str().unwrap()).await;
    let listed = browser
        .wait_for(
            "the job listed",
            "const li = document.querySelector('#job-list li'); return li && li.textContent",
            Duration::from_secs(10),
        )
        .await;
    assert!(listed.as_str().unwrap().contains("security-plan.pdf"), "{listed}");
    let job_id = browser
        .wait_for(
            "the job to complete",
            "const done = document.querySelector('li[data-status=completed]');
             const failed = document.querySelector('li[data-status=failed]');
             if (failed) return 'FAILED ' + failed.textContent;
             return done && done.dataset.jobId",
            Duration::from_secs(180),
        )
        .await;
    let job_id = job_id.as_str().unwrap().to_owned();
    assert!(!job_id.starts_with("FAILED"), "{job_id}");

    let opened = Instant::now();
    let open = browser.find(&format!("li[data-job-id='{job_id}'] .open-job")).await;
    browser.click(&open).await;
    browser
        .wait_for("the job view", VIEW_READY_SCRIPT, Duration::from_secs(20))
        .await;
    eprintln!("job view interactive {} ms after Open", opened.elapsed().as_millis());

    let http = reqwest::Client::new();
    let get = |path: String| {
        let http = http.clone();
        async move {
            http.get(path)
                .send()
                .await
                .unwrap()
                .error_for_status()
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let schedule = get(server.url(&format!("/results/{job_id}/components.json"))).await;
    let pages = get(server.url(&format!("/results/{job_id}/pages"))).await;
    let components = schedule["components"].as_array().unwrap();
    let pages = pages["pages"].as_array().unwrap();
    assert!(!components.is_empty(), "the fixture has components");
    let rects = browser.run(RECTS_SCRIPT, json!([])).await;
    assert_boxes_on_their_bboxes(&rects, components, pages);

    // A row selects and centres its box.
    let last = components.len() - 1;
    let row = browser.find(&format!("#schedule-body tr[data-index='{last}']")).await;
    browser.click(&row).await;
    let selected = browser
        .run(
            "const b = [...document.querySelectorAll('.box.selected')];
             const v = document.getElementById('viewport').getBoundingClientRect();
             const r = b[0] && b[0].getBoundingClientRect();
             return { count: b.length, index: b[0] && Number(b[0].dataset.index),
                      dx: r && (r.left + r.width / 2) - (v.left + v.width / 2),
                      dy: r && (r.top + r.height / 2) - (v.top + v.height / 2),
                      row: document.querySelector('#schedule-body tr.selected').dataset.index }",
            json!([]),
        )
        .await;
    assert_eq!(selected["count"], 1, "{selected}");
    assert_eq!(selected["index"], last, "{selected}");
    assert_eq!(selected["row"], last.to_string(), "{selected}");
    let off_centre = selected["dx"].as_f64().unwrap().hypot(selected["dy"].as_f64().unwrap());
    assert!(off_centre < 3.0, "the selected box is centred: {selected}");
    // Zoomed in, the boxes still sit on their bboxes.
    let rects = browser.run(RECTS_SCRIPT, json!([])).await;
    assert_boxes_on_their_bboxes(&rects, components, pages);

    // A box selects its row: fit the page, then click a box fully in view.
    browser.click(&browser.find("#zoom-fit").await).await;
    let target = browser
        .run(
            "const v = document.getElementById('viewport').getBoundingClientRect();
             const inside = [...document.querySelectorAll('.box')].find((b) => {
               const r = b.getBoundingClientRect();
               return Number(b.dataset.index) !== arguments[0] && r.top > v.top && r.bottom < v.bottom
                 && r.left > v.left && r.right < v.right && r.width > 4 && r.height > 4; });
             return inside ? Number(inside.dataset.index) : null",
            json!([last]),
        )
        .await;
    let target = target.as_u64().expect("a box in view after Fit");
    let rect = browser.find(&format!(".box[data-index='{target}']")).await;
    browser.click(&rect).await;
    let row = browser
        .run(
            "const r = document.querySelector('#schedule-body tr.selected');
             const b = document.querySelectorAll('.box.selected');
             return { row: r && r.dataset.index, boxes: b.length, box: b[0] && b[0].dataset.index,
                      details: document.getElementById('details').textContent }",
            json!([]),
        )
        .await;
    assert_eq!(row["row"], target.to_string(), "{row}");
    assert_eq!(
        (row["boxes"].as_u64(), row["box"].as_str()),
        (Some(1), Some(target.to_string().as_str()))
    );
    let id = components[target as usize]["id"].as_str().unwrap();
    assert!(
        row["details"].as_str().unwrap().contains(id),
        "details show {id}: {row}"
    );
    save_screenshot(&browser).await;

    // The type filter keeps that type's rows and boxes only.
    let kind = components[0]["type"].as_str().unwrap();
    let of_kind = components.iter().filter(|c| c["type"] == kind).count();
    let shown = browser
        .run(
            "const s = document.getElementById('type-filter'); s.value = arguments[0];
             s.dispatchEvent(new Event('change'));
             return { rows: document.querySelectorAll('#schedule-body tr').length,
                      boxes: [...document.querySelectorAll('.box')].filter((b) => getComputedStyle(b).display !== 'none').length }",
            json!([kind]),
        )
        .await;
    assert_eq!(shown, json!({ "rows": of_kind, "boxes": of_kind }), "filter {kind}");

    // Each download button saves the server's file, byte for byte.
    for name in ["components.json", "schedule.csv", "schedule.xlsx"] {
        browser
            .click(&browser.find(&format!("#downloads button[data-file='{name}']")).await)
            .await;
        let saved = downloads.path().join(name);
        let deadline = Instant::now() + Duration::from_secs(10);
        while !saved.exists() {
            assert!(Instant::now() < deadline, "{name} was not downloaded");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let served = http
            .get(server.url(&format!("/results/{job_id}/{name}")))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        assert_eq!(std::fs::read(&saved).unwrap(), served.to_vec(), "{name}");
    }
}

#[tokio::test]
async fn report_html_from_process_shows_every_box_from_disk() {
    let downloads = tempfile::tempdir().unwrap();
    let Some(browser) = browser_or_skip(downloads.path()).await else {
        return;
    };
    let out = tempfile::tempdir().unwrap();
    let run = Command::new(env!("CARGO_BIN_EXE_drawings"))
        .arg("process")
        .arg(fixture("security-plan.pdf"))
        .arg("--out")
        .arg(out.path())
        .env("RUST_LOG", "warn")
        .env_remove("GEMINI_API_KEY")
        .env_remove("DRAWINGS_ANALYZER")
        .output()
        .expect("run drawings process");
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let report = out.path().join("report.html");
    let html = std::fs::read_to_string(&report).expect("report.html written");
    assert!(
        !html.contains("src=\"http") && !html.contains("href=\"http"),
        "no network"
    );
    let schedule: Value = serde_json::from_slice(&std::fs::read(out.path().join("components.json")).unwrap()).unwrap();
    let components = schedule["components"].as_array().unwrap();

    browser.goto(&format!("file://{}", report.display())).await;
    browser
        .wait_for("the report's job view", VIEW_READY_SCRIPT, Duration::from_secs(20))
        .await;
    let sizes = browser
        .run(
            "return JSON.parse(document.getElementById('report-data').textContent).pages
               .map((p) => ({ page: p.page, width_pt: p.width_pt, height_pt: p.height_pt }))",
            json!([]),
        )
        .await;
    let rects = browser.run(RECTS_SCRIPT, json!([])).await;
    assert_boxes_on_their_bboxes(&rects, components, sizes.as_array().unwrap());
    let downloads = browser
        .run(
            "return [...document.querySelectorAll('#downloads button')].map((b) => b.dataset.file)",
            json!([]),
        )
        .await;
    assert_eq!(downloads, json!(["components.json", "schedule.csv", "schedule.xlsx"]));
}

#[tokio::test]
async fn with_keys_the_page_asks_for_one_shows_only_its_clients_jobs_and_explains_failures() {
    let downloads = tempfile::tempdir().unwrap();
    let Some(browser) = browser_or_skip(downloads.path()).await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let key_a = create_key(dir.path(), "client-a");
    let key_b = create_key(dir.path(), "client-b");
    let keys_file = dir.path().join("api-keys.json");
    let server = Server::start(dir.path(), &[("DRAWINGS_API_KEYS_FILE", keys_file.to_str().unwrap())]);
    // Another client's job, which client A's page must never list.
    let other: Value = reqwest::Client::new()
        .post(server.url("/process-drawing"))
        .header("x-api-key", &key_b)
        .header("content-type", "application/pdf")
        .body(std::fs::read(fixture("security-plan.pdf")).unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let other_id = other["job_id"].as_str().expect("client B's job").to_owned();

    browser.goto(&server.url("/")).await;
    browser
        .wait_for(
            "the key prompt",
            "return !document.getElementById('key-panel').hidden && document.getElementById('home-panel').hidden",
            Duration::from_secs(10),
        )
        .await;
    let input = browser.find("#key-input").await;
    browser.send_keys(&input, "drw_not-a-key").await;
    browser.click(&browser.find("#key-form button").await).await;
    browser
        .wait_for(
            "the refusal",
            "return document.getElementById('key-error').textContent.includes('refused')",
            Duration::from_secs(10),
        )
        .await;
    browser
        .run("document.getElementById('key-input').value = ''", json!([]))
        .await;
    browser.send_keys(&input, &key_a).await;
    browser.click(&browser.find("#key-form button").await).await;
    browser
        .wait_for(
            "the jobs list",
            "return !document.getElementById('home-panel').hidden",
            Duration::from_secs(10),
        )
        .await;
    let kept = browser
        .run(
            "return [sessionStorage.getItem('drawings.apiKey'), location.href]",
            json!([]),
        )
        .await;
    assert_eq!(kept[0], key_a.as_str(), "the key is kept in sessionStorage");
    assert!(!kept[1].as_str().unwrap().contains(&key_a), "the key is not in the URL");

    // A drawing that fails: its row says the code and what to do.
    let input = browser.find("#file-input").await;
    browser
        .send_keys(&input, fixture("encrypted.pdf").to_str().unwrap())
        .await;
    let failure = browser
        .wait_for(
            "the failure",
            "const f = document.querySelector('#job-list li[data-status=failed] .failure');
             return f && f.textContent",
            Duration::from_secs(60),
        )
        .await;
    let failure = failure.as_str().unwrap();
    assert!(failure.contains("ENCRYPTED_PDF"), "{failure}");
    assert!(failure.contains("password"), "says what to do: {failure}");
    // Two more polls of the list: client B's job never shows.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let listed = browser
        .run(
            "return [...document.querySelectorAll('#job-list li')].map((li) => li.dataset.jobId || '')",
            json!([]),
        )
        .await;
    assert!(!listed.to_string().contains(&other_id), "{listed}");
}

#[tokio::test]
async fn the_twelve_page_example_opens_with_every_page_and_box_and_reports_when_it_is_interactive() {
    let Some(pdf) = support::corpus("wan-andrea__recover_pdfCAD/sample_inputs/example1.pdf") else {
        return;
    };
    let downloads = tempfile::tempdir().unwrap();
    let Some(browser) = browser_or_skip(downloads.path()).await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let (status, accepted, _) = support::upload(&server, std::fs::read(pdf).unwrap(), None).await;
    assert_eq!(status, 202, "{accepted}");
    let job_id = accepted["job_id"].as_str().unwrap().to_owned();
    let done = support::wait_terminal(&server, &job_id, Duration::from_secs(600)).await;
    assert_eq!(done["status"], "completed", "{done}");
    let components: Value = reqwest::get(server.url(&format!("/results/{job_id}/components.json")))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    browser.goto(&server.url(&format!("/#job/{job_id}"))).await;
    let loaded_ms = browser
        .wait_for(
            "the job view",
            "return document.body.dataset.jobLoadedMs",
            Duration::from_secs(20),
        )
        .await;
    let loaded_ms: f64 = loaded_ms.as_str().unwrap().parse().unwrap();
    let images_ms = browser
        .wait_for(
            "every page image",
            "const imgs = [...document.querySelectorAll('.page img.page-image')];
             return imgs.length > 0 && imgs.every((i) => i.complete && i.naturalWidth > 0) && performance.now()",
            Duration::from_secs(30),
        )
        .await;
    let pages = browser
        .run("return document.querySelectorAll('.page').length", json!([]))
        .await;
    let boxes = browser
        .run("return document.querySelectorAll('.box').length", json!([]))
        .await;
    eprintln!(
        "example1.pdf: {pages} pages, {boxes} boxes; interactive {loaded_ms:.0} ms after opening, \
         every page image decoded by {:.0} ms",
        images_ms.as_f64().unwrap_or_default()
    );
    assert_eq!(pages, 12);
    assert_eq!(boxes, json!(components["components"].as_array().unwrap().len()));
    // The time is reported, not asserted: a timed assertion fails on a busy machine, not on
    // a slow page. The goal (under 1 s) is checked by reading this line.
    assert!(loaded_ms > 0.0, "the page records when it became interactive");
}
