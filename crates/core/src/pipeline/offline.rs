//! The offline reading beside a model's: the reference analyzer (the text layer) run again on
//! every page's stored text. It costs no model call and gives the same answer each time, so
//! `schedule_generation` merges it into a model's answer (what the model missed and the text
//! names is still listed) and `evaluation` checks the model against it, without a checkpoint.

use super::stages::{analyze_failure, page_text_key};
use super::{Processor, StepError};
use crate::job::{Job, Stage};
use crate::ports::{PageAnalysis, PageInput, PageText};

impl Processor {
    /// The reference analyzer's answer for every page, when there is a reference.
    pub(crate) async fn offline_reading(
        &self,
        stage: Stage,
        job: &Job,
    ) -> Result<Option<Vec<PageAnalysis>>, StepError> {
        let Some(reference) = &self.reference else {
            return Ok(None);
        };
        let mut pages = Vec::with_capacity(job.progress.total as usize);
        for page in 0..job.progress.total {
            let text: PageText = self.get_json(stage, &page_text_key(&job.id, page)).await?;
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
                    .map_err(|e| analyze_failure(page, e))?,
            );
        }
        Ok(Some(pages))
    }

    /// Whether the analyzer is another than the reference (a model), so their answers merge.
    pub(crate) fn reads_beside_a_model(&self) -> bool {
        self.reference
            .as_ref()
            .is_some_and(|r| r.name() != self.analyzer.name())
    }
}
