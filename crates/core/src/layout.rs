//! Where a job's files live in the blob store. Every key the pipeline, the status view, the
//! API and the sweeper use is spelled here once, under the job's prefix `jobs/{id}/`, so
//! deleting that prefix deletes the job's files and nothing else.
//!
//! ```text
//! jobs/{id}/input.pdf                      the upload
//! jobs/{id}/inspect.json                   validation's inspection
//! jobs/{id}/pages/{n}.png                  pdf_processing: the page image
//! jobs/{id}/pages/{n}.text.json            pdf_processing: the page's text layer
//! jobs/{id}/pages/{n}/tiles/{t}.png        pdf_processing: tiles, when rendered
//! jobs/{id}/pages/{n}.tiles.json           pdf_processing: the tile manifest
//! jobs/{id}/analysis/{n}.json              drawing_analysis: the page's answer
//! jobs/{id}/analysis/{n}/parts/{name}.json drawing_analysis: partial answers (tiles)
//! jobs/{id}/{result file}                  schedule_generation: see [`ResultFile`]
//! jobs/{id}/evaluation.json                evaluation
//! ```

use crate::job::JobId;

/// Media type of `schedule.xlsx`.
pub const XLSX_CONTENT_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The files a completed job offers its client (`GET /results/{job_id}/{file}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResultFile {
    /// The schedule as JSON: components, totals and warnings.
    Components,
    /// The schedule as a workbook.
    ScheduleXlsx,
    /// The schedule as CSV.
    ScheduleCsv,
}

impl ResultFile {
    /// Every result file, in the order of the status view's links.
    pub const ALL: [ResultFile; 3] = [
        ResultFile::Components,
        ResultFile::ScheduleXlsx,
        ResultFile::ScheduleCsv,
    ];

    /// The file's name, as in the URL and the blob key.
    pub fn name(self) -> &'static str {
        match self {
            ResultFile::Components => "components.json",
            ResultFile::ScheduleXlsx => "schedule.xlsx",
            ResultFile::ScheduleCsv => "schedule.csv",
        }
    }

    /// The file's media type.
    pub fn content_type(self) -> &'static str {
        match self {
            ResultFile::Components => "application/json",
            ResultFile::ScheduleXlsx => XLSX_CONTENT_TYPE,
            ResultFile::ScheduleCsv => "text/csv",
        }
    }

    /// The result file called `name`, if there is one.
    pub fn parse(name: &str) -> Option<ResultFile> {
        ResultFile::ALL.into_iter().find(|f| f.name() == name)
    }
}

impl JobId {
    /// Where this job's files live.
    pub fn files(&self) -> JobFiles<'_> {
        JobFiles::of(self)
    }
}

/// The keys of one job's files.
#[derive(Debug, Clone, Copy)]
pub struct JobFiles<'a> {
    id: &'a JobId,
}

impl<'a> JobFiles<'a> {
    /// The files of job `id`.
    pub fn of(id: &'a JobId) -> Self {
        JobFiles { id }
    }

    /// The prefix every file of the job starts with.
    pub fn prefix(self) -> String {
        self.key("")
    }

    /// The uploaded PDF.
    pub fn input(self) -> String {
        self.key("input.pdf")
    }

    /// Validation's inspection of the PDF.
    pub fn inspection(self) -> String {
        self.key("inspect.json")
    }

    /// A page's image.
    pub fn page_image(self, page: u32) -> String {
        self.key(&format!("pages/{page}.png"))
    }

    /// A page's text layer.
    pub fn page_text(self, page: u32) -> String {
        self.key(&format!("pages/{page}.text.json"))
    }

    /// Tile `tile` of a page, when tiles are rendered.
    pub fn page_tile(self, page: u32, tile: usize) -> String {
        self.key(&format!("pages/{page}/tiles/{tile}.png"))
    }

    /// A page's tile manifest (a JSON list of `TileManifestEntry`).
    pub fn page_tiles_manifest(self, page: u32) -> String {
        self.key(&format!("pages/{page}.tiles.json"))
    }

    /// A page's analysis.
    pub fn page_analysis(self, page: u32) -> String {
        self.key(&format!("analysis/{page}.json"))
    }

    /// A partial answer an analyzer keeps for a page (for example one tile's), beside the
    /// page's analysis, so a retried page pays only for the parts it has not got.
    pub fn page_part(self, page: u32, name: &str) -> String {
        self.key(&format!("analysis/{page}/parts/{name}.json"))
    }

    /// A result file.
    pub fn result(self, file: ResultFile) -> String {
        self.key(file.name())
    }

    /// The evaluation report.
    pub fn evaluation(self) -> String {
        self.key("evaluation.json")
    }

    fn key(self, name: &str) -> String {
        format!("jobs/{}/{}", self.id.as_str(), name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_of_a_job_lives_under_its_prefix() {
        let id = JobId::generate();
        let files = JobFiles::of(&id);
        let keys = [
            files.input(),
            files.inspection(),
            files.page_image(3),
            files.page_text(3),
            files.page_tile(3, 1),
            files.page_tiles_manifest(3),
            files.page_analysis(3),
            files.page_part(3, "tile-1"),
            files.result(ResultFile::ScheduleCsv),
            files.evaluation(),
        ];
        for key in &keys {
            assert!(key.starts_with(&files.prefix()), "{key}");
        }
        let mut unique = keys.to_vec();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), keys.len(), "two files share a key: {keys:?}");
    }

    #[test]
    fn result_files_parse_back_from_their_names_and_nothing_else_does() {
        for file in ResultFile::ALL {
            assert_eq!(ResultFile::parse(file.name()), Some(file));
        }
        assert_eq!(ResultFile::parse("input.pdf"), None);
        assert_eq!(ResultFile::parse("../schedule.csv"), None);
    }
}
