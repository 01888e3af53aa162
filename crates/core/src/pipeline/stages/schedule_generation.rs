//! `schedule_generation`: every page's answer merged into one schedule (with the offline
//! reading beside a model's), written as JSON, XLSX and CSV, and the job's warnings recorded.

use super::{StageCtx, StageEnd};
use crate::job::Stage;
use crate::layout::ResultFile;
use crate::pipeline::failure::StepError;
use crate::pipeline::offline;
use crate::ports::PageAnalysis;
use crate::schedule::Schedule;

pub(super) async fn run(cx: &mut StageCtx<'_>) -> Result<StageEnd, StepError> {
    let stage = Stage::ScheduleGeneration;
    let job = cx.handle.snapshot().await;
    let files = job.id.files();
    let mut pages = Vec::with_capacity(job.progress.total as usize);
    for page in 0..job.progress.total {
        pages.push(cx.get_json::<PageAnalysis>(stage, &files.page_analysis(page)).await?);
    }
    if offline::beside_a_model(cx.processor)
        && let Some(reading) = offline::reading(cx.processor, stage, &job).await?
    {
        for (model, text) in pages.iter_mut().zip(reading) {
            crate::schedule::merge_answers(model, text);
        }
    }
    let schedule = Schedule::build(&pages);
    let xlsx = schedule
        .to_xlsx()
        .map_err(|e| StepError::internal(stage, format!("writing schedule.xlsx: {e}")))?;
    let csv = schedule
        .to_csv()
        .map_err(|e| StepError::internal(stage, format!("writing schedule.csv: {e}")))?;
    cx.put_json(stage, &files.result(ResultFile::Components), &schedule)
        .await?;
    let xlsx_file = ResultFile::ScheduleXlsx;
    cx.put(stage, &files.result(xlsx_file), xlsx.into(), xlsx_file.content_type())
        .await?;
    let csv_file = ResultFile::ScheduleCsv;
    cx.put(stage, &files.result(csv_file), csv.into(), csv_file.content_type())
        .await?;
    let keys: Vec<String> = ResultFile::ALL.map(|f| files.result(f)).to_vec();
    let warnings: Vec<_> = schedule
        .warnings
        .iter()
        .take(crate::warning::MAX_JOB_WARNINGS)
        .cloned()
        .collect();
    cx.handle
        .update(|j| {
            j.result_keys = keys.clone();
            j.warnings = warnings.clone();
        })
        .await?;
    Ok(StageEnd::Done)
}
