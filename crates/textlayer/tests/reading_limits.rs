//! A hostile page cannot stall the reader: a page ends within its time limit or fails with
//! `PAGE_ANALYSIS_TIMEOUT`, a page over the word cap fails with `PAGE_TOO_COMPLEX` without
//! being read, and pages wait their turn for the reading threads. Each test runs its own
//! runtime and abandons it on failure, so a reading that does not stop fails the test at once
//! instead of holding it until the reading ends.

use drawings_core::ports::{AnalyzeError, Analyzer, PageAnalysis, PageInput, PageText};
use drawings_core::{ErrorClass, ErrorCode};
use drawings_testkit::text_layer::{label, sheet};
use drawings_textlayer::{ReadingLimits, TagSchemes, TextLayerAnalyzer, read_page, read_page_within};
use std::time::{Duration, Instant};

/// Copies of one equipment code a 2 KB PDF can hold on one page (the security review's).
const HOSTILE_COPIES: usize = 80_000;
/// What a reading may overrun its limit by here: one step of a neighbour search over the
/// page, and a shared two-core machine's hiccups.
const SLACK: Duration = Duration::from_secs(2);

/// The review's page: one equipment code printed `HOSTILE_COPIES` times at one spot, so each
/// copy is every other copy's neighbour.
fn stacked_equipment_codes(page: u32) -> PageText {
    sheet(
        page,
        (0..HOSTILE_COPIES)
            .map(|_| label("SRA", 400.0, 300.0, 6.0, false))
            .collect(),
    )
}

fn input(text: PageText) -> PageInput {
    PageInput {
        page: text.page,
        page_count: 4,
        text,
        image: None,
    }
}

fn limits(page_timeout: Duration, max_words: usize, concurrent_pages: usize) -> ReadingLimits {
    ReadingLimits {
        page_timeout,
        max_words,
        concurrent_pages,
    }
}

/// Analyzes `pages` at once on a fresh runtime; fails if they have not all ended by `within`.
fn analyze_all(
    analyzer: &TextLayerAnalyzer,
    pages: Vec<PageText>,
    within: Duration,
) -> Vec<Result<PageAnalysis, AnalyzeError>> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let all = analyze_side_by_side(analyzer, pages);
    let outcome = runtime.block_on(async { tokio::time::timeout(within, all).await });
    // A reading still running would hold a dropped runtime until it ends.
    runtime.shutdown_background();
    outcome.unwrap_or_else(|_| panic!("the pages were still being read after {within:?}"))
}

async fn analyze_side_by_side(
    analyzer: &TextLayerAnalyzer,
    pages: Vec<PageText>,
) -> Vec<Result<PageAnalysis, AnalyzeError>> {
    let tasks: Vec<_> = pages
        .into_iter()
        .map(|text| {
            let analyzer = analyzer.clone();
            tokio::spawn(async move { analyzer.analyze_page(input(text)).await })
        })
        .collect();
    let mut out = Vec::new();
    for task in tasks {
        out.push(task.await.unwrap());
    }
    out
}

fn assert_timed_out(outcome: &Result<PageAnalysis, AnalyzeError>) {
    let error = outcome.as_ref().expect_err("the page fails rather than answering");
    assert_eq!(
        (error.code, error.class),
        (ErrorCode::PageAnalysisTimeout, ErrorClass::Permanent),
        "{}",
        error.message
    );
    assert!(error.message.contains("too complex"), "{}", error.message);
}

#[test]
fn a_page_of_80k_copies_of_one_equipment_code_ends_within_its_time_limit_or_fails_with_the_code() {
    let timeout = Duration::from_secs(2);
    let analyzer = TextLayerAnalyzer::default().with_limits(limits(timeout, 200_000, 1));
    let started = Instant::now();
    let outcome = analyze_all(&analyzer, vec![stacked_equipment_codes(0)], timeout + SLACK).remove(0);
    let took = started.elapsed();
    assert!(took < timeout + SLACK, "took {took:?}");
    match &outcome {
        // A reader fast enough to finish has nothing to report: no code has a level and number.
        Ok(analysis) => assert!(analysis.components.is_empty()),
        Err(_) => assert_timed_out(&outcome),
    }
}

#[test]
fn a_page_with_more_words_than_the_cap_fails_with_page_too_complex_without_being_read() {
    let max_words = 1_000;
    let spread = |words: usize| {
        let runs = (0..words).map(|n| {
            label(
                "SRA",
                10.0 + 20.0 * (n % 100) as f32,
                10.0 + 10.0 * (n / 100) as f32,
                6.0,
                false,
            )
        });
        sheet(1, runs.collect())
    };
    let within = limits(Duration::from_secs(60), max_words, 1);
    let error = read_page_within(&spread(max_words + 1), &TagSchemes::default(), &within).unwrap_err();
    assert_eq!(
        (error.code(), error.class()),
        (ErrorCode::PageTooComplex, ErrorClass::Permanent)
    );
    assert!(error.to_string().contains("Page 2 holds 1001 words"), "{error}");
    // Words are counted as the reader splits runs, so one run of many words counts them all.
    let one_run = sheet(
        1,
        vec![label(&vec!["SRA"; max_words + 1].join(" "), 10.0, 10.0, 6.0, false)],
    );
    assert!(read_page_within(&one_run, &TagSchemes::default(), &within).is_err());
    // At the cap the page is read, as without limits.
    let at_cap = spread(max_words);
    let reading = read_page_within(&at_cap, &TagSchemes::default(), &within).unwrap();
    assert_eq!(reading, read_page(&at_cap, &TagSchemes::default()));
}

#[test]
fn pages_are_read_a_configured_number_at_a_time_and_each_gets_its_full_time() {
    let (timeout, pages) = (Duration::from_secs(1), 3u32);
    let analyzer = TextLayerAnalyzer::default().with_limits(limits(timeout, 200_000, 1));
    let started = Instant::now();
    let outcomes = analyze_all(
        &analyzer,
        (0..pages).map(stacked_equipment_codes).collect(),
        (timeout + SLACK) * pages,
    );
    let took = started.elapsed();
    // One at a time: the second starts when the first stops, and its time starts then too, so
    // every page runs into its own limit rather than the others' waiting.
    outcomes.iter().for_each(assert_timed_out);
    assert!(took >= timeout * pages, "{pages} pages in {took:?}: read side by side");
}
