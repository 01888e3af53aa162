//! `evaluation`: the analyzer's own answer (before the schedule merged anything into it)
//! checked against the reference analyzer's reading, stored as `evaluation.json`.

use super::{StageCtx, StageEnd};
use crate::evaluation::evaluate;
use crate::job::Stage;
use crate::pipeline::failure::StepError;
use crate::pipeline::offline;
use crate::ports::PageAnalysis;

pub(super) async fn run(cx: &mut StageCtx<'_>) -> Result<StageEnd, StepError> {
    let stage = Stage::Evaluation;
    let job = cx.handle.snapshot().await;
    let files = job.id.files();
    let mut answered = Vec::new();
    for page in 0..job.progress.total {
        let analysis: PageAnalysis = cx.get_json(stage, &files.page_analysis(page)).await?;
        answered.extend(analysis.components);
    }
    let reference = cx.processor.reference.as_ref();
    // When the analyzer is the reference itself, its stored answer is the reference's:
    // reading every page again would give the same ids.
    let expected: Vec<String> = if reference.is_some() && !offline::beside_a_model(cx.processor) {
        answered.iter().map(|c| c.id.clone()).collect()
    } else {
        offline::reading(cx.processor, stage, &job)
            .await?
            .into_iter()
            .flatten()
            .flat_map(|p| p.components.into_iter().map(|c| c.id))
            .collect()
    };
    let report = evaluate(reference.map(|r| r.name()), &expected, &answered);
    cx.put_json(stage, &files.evaluation(), &report).await?;
    Ok(StageEnd::Done)
}
