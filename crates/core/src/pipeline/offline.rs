//! The offline reading beside a model's: the reference analyzer (the text layer) run again on
//! every page's stored text. It costs no model call and gives the same answer each time, so
//! `schedule_generation` merges it into a model's answer (what the model missed and the text
//! names is still listed) and `evaluation` checks the model against it, without a checkpoint.

use super::Processor;
use super::failure::StepError;
use super::stages::get_json;
use crate::job::{Job, Stage};
use crate::ports::{PageAnalysis, PageInput, PageText};

/// The reference analyzer's answer for every page, when there is a reference.
pub(crate) async fn reading(
    processor: &Processor,
    stage: Stage,
    job: &Job,
) -> Result<Option<Vec<PageAnalysis>>, StepError> {
    let Some(reference) = &processor.reference else {
        return Ok(None);
    };
    let mut pages = Vec::with_capacity(job.progress.total as usize);
    for page in 0..job.progress.total {
        let text: PageText = get_json(&processor.ports, stage, &job.id.files().page_text(page)).await?;
        let input = PageInput {
            page,
            page_count: job.progress.total,
            text,
            image: None,
        };
        pages.push(
            reference
                .analyze_page(input)
                .await
                .map_err(|e| StepError::analysis(page, e))?,
        );
    }
    Ok(Some(pages))
}

/// Whether the analyzer is another than the reference (a model), so their answers merge.
pub(crate) fn beside_a_model(processor: &Processor) -> bool {
    processor
        .reference
        .as_ref()
        .is_some_and(|r| r.name() != processor.analyzer.name())
}
