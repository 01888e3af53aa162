//! The pipeline's settings, and what each host adds to them ([`Host`]): the same keys give
//! the same [`PipelineConfig`] to `drawings process`, `drawings serve` and the processor
//! function, save for what only the host knows (its deadline, its memory size).

use crate::pipeline_keys::MAX_RENDER_CONCURRENCY;
use crate::settings::{RenderTiles, Settings};
use drawings_core::cost::ComputeBasis;
use drawings_core::pipeline::PipelineConfig;
use drawings_core::ports::TileOptions;
use std::time::Duration;

/// Where a pipeline runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Host {
    /// `drawings process` and `drawings serve`: workers in this process, each invocation
    /// bounded by `DRAWINGS_INVOCATION_BUDGET`, compute priced as if on Lambda at
    /// `DRAWINGS_COMPUTE_MEMORY_MB`.
    Embedded,
    /// A Lambda function: the invocation's own deadline bounds it, and its compute is priced
    /// at the function's memory size.
    Lambda {
        /// `AWS_LAMBDA_FUNCTION_MEMORY_SIZE`.
        memory_mb: Option<u32>,
        /// The execution environment's name (`AWS_LAMBDA_LOG_STREAM_NAME`), as lease owner.
        worker_id: Option<String>,
    },
}

impl Settings {
    /// The pipeline for `host`, whose analyzer does (`true`) or does not read page images:
    /// [`RenderTiles::Auto`] turns tiles on only for the former.
    pub fn pipeline_for(&self, host: &Host, analyzer_needs_image: bool) -> PipelineConfig {
        let mut pipeline = self.pipeline.clone();
        let tiles = match self.render_tiles {
            RenderTiles::Auto => analyzer_needs_image,
            RenderTiles::On => true,
            RenderTiles::Off => false,
        };
        pipeline.render.tiles = tiles.then(TileOptions::default);
        pipeline.render_concurrency = self.render_concurrency_for(host);
        match host {
            // Keep a tenth of the budget for the last checkpoint and the hand-over.
            Host::Embedded => pipeline.reserve = (self.invocation_budget / 10).min(Duration::from_secs(10)),
            Host::Lambda { memory_mb, worker_id } => {
                // The function's deadline bounds each invocation; keep the last 20 s for the
                // checkpoint and the continuation message.
                pipeline.reserve = Duration::from_secs(20);
                if let Some(mb) = memory_mb {
                    pipeline.cost.memory_mb = *mb;
                    pipeline.cost.basis = ComputeBasis::Lambda;
                }
                if let Some(id) = worker_id {
                    pipeline.worker_id = id.clone();
                }
            }
        }
        pipeline
    }
}

impl Settings {
    /// Pages a job renders at once on `host`: `DRAWINGS_RENDER_CONCURRENCY` when it is a
    /// number; for `auto` the available cores, but no more isolated workers than fit in the
    /// host's memory at `DRAWINGS_PAGE_MEMORY_MB` each (a worker may grow to its cap, and a
    /// pool that outgrows the function gets the whole function killed, not one page).
    pub fn render_concurrency_for(&self, host: &Host) -> usize {
        if let Some(n) = self.render_concurrency {
            return n;
        }
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let memory_mb = match host {
            Host::Lambda {
                memory_mb: Some(mb), ..
            } => Some(u64::from(*mb)),
            _ => machine_memory_mb(),
        };
        let worker_cap_mb = self.pdf.isolation.then_some(self.pdf.page_memory_mb);
        workers_that_fit(cores, memory_mb, worker_cap_mb)
    }
}

/// `cores`, but no more workers of `worker_cap_mb` than fit in `memory_mb` (either unknown:
/// no bound from it), and never fewer than one: a job always moves.
fn workers_that_fit(cores: usize, memory_mb: Option<u64>, worker_cap_mb: Option<u64>) -> usize {
    let by_memory = match (memory_mb, worker_cap_mb) {
        (Some(memory), Some(cap)) if cap > 0 => usize::try_from(memory / cap).unwrap_or(usize::MAX),
        _ => usize::MAX,
    };
    cores.min(by_memory).clamp(1, MAX_RENDER_CONCURRENCY)
}

/// The memory this process may use, MiB: the machine's, or its cgroup's limit when that is
/// lower (a container); `None` where neither can be read.
fn machine_memory_mb() -> Option<u64> {
    let total = std::fs::read_to_string("/proc/meminfo").ok().and_then(|info| {
        let line = info.lines().find_map(|l| l.strip_prefix("MemTotal:"))?;
        let kib: u64 = line.trim().trim_end_matches("kB").trim().parse().ok()?;
        Some(kib >> 10)
    });
    // cgroup v2 writes `max` when there is no limit, which parses as nothing.
    let cgroup = std::fs::read_to_string("/sys/fs/cgroup/memory.max")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(|bytes| bytes >> 20);
    match (total, cgroup) {
        (Some(total), Some(limit)) => Some(total.min(limit)),
        (total, limit) => total.or(limit),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys;
    use crate::pipeline_keys::MIN_LEASE;

    fn settings(pairs: &[(&str, &str)]) -> Settings {
        Settings::read(&|key| pairs.iter().find(|(k, _)| *k == key).map(|(_, v)| (*v).to_owned()))
            .expect("valid settings")
    }

    #[test]
    fn tiles_follow_the_analyzers_need_for_images_unless_set_on_or_off() {
        for (setting, needs_image, tiles) in [
            ("auto", true, true),
            ("auto", false, false),
            ("on", false, true),
            ("off", true, false),
        ] {
            let render = settings(&[(keys::RENDER_TILES, setting)])
                .pipeline_for(&Host::Embedded, needs_image)
                .render;
            assert_eq!(
                render.tiles.is_some(),
                tiles,
                "{setting} with needs_image {needs_image}"
            );
        }
    }

    #[test]
    fn the_pipeline_keys_mean_the_same_on_every_host() {
        let set = settings(&[
            (keys::RENDER_DPI, "300"),
            (keys::MAX_PAGES, "7"),
            (keys::LEASE_SECS, "12.5"),
            (keys::RETRY_DELAY_SECS, "2"),
            (keys::ANALYSIS_CONCURRENCY, "9"),
            (keys::MAX_UPLOAD_BYTES, "1000"),
        ]);
        let lambda = Host::Lambda {
            memory_mb: Some(3008),
            worker_id: Some("stream-1".into()),
        };
        for host in [Host::Embedded, lambda] {
            let p = set.pipeline_for(&host, false);
            assert_eq!(p.render.dpi, 300.0, "{host:?}");
            assert_eq!(p.limits.max_pages, 7, "{host:?}");
            assert_eq!(p.limits.max_bytes, 1000, "{host:?}");
            assert_eq!(p.lease, Duration::from_millis(12_500), "{host:?}");
            assert_eq!(p.retry_delay, Duration::from_secs(2), "{host:?}");
            assert_eq!(p.analysis_concurrency, 9, "{host:?}");
        }
    }

    #[test]
    fn the_lease_defaults_to_30_seconds_and_is_never_under_3() {
        assert_eq!(settings(&[]).pipeline.lease, Duration::from_secs(30));
        assert_eq!(settings(&[(keys::LEASE_SECS, "1")]).pipeline.lease, MIN_LEASE);
        let err = Settings::read(&|k| (k == keys::LEASE_SECS).then(|| "soon".into())).unwrap_err();
        assert_eq!(err.key, keys::LEASE_SECS);
    }

    #[test]
    fn a_lambda_prices_its_compute_at_its_memory_size_and_keeps_20_seconds_in_reserve() {
        let host = Host::Lambda {
            memory_mb: Some(1024),
            worker_id: Some("2026/01/01/[$LATEST]abc".into()),
        };
        let p = settings(&[]).pipeline_for(&host, false);
        assert_eq!((p.cost.memory_mb, p.cost.basis), (1024, ComputeBasis::Lambda));
        assert_eq!(p.reserve, Duration::from_secs(20));
        assert_eq!(p.worker_id, "2026/01/01/[$LATEST]abc");
        let embedded = settings(&[(keys::INVOCATION_BUDGET, "60")]).pipeline_for(&Host::Embedded, false);
        assert_eq!(embedded.reserve, Duration::from_secs(6));
        assert_eq!(embedded.cost.basis, ComputeBasis::AsIfLambda);
    }

    #[test]
    fn auto_render_concurrency_is_the_cores_bounded_by_the_workers_that_fit_in_memory() {
        // Two cores, a 3008 MB Lambda and 2048 MB workers: one worker fits.
        assert_eq!(workers_that_fit(2, Some(3008), Some(2048)), 1);
        assert_eq!(workers_that_fit(2, Some(3008), Some(1400)), 2);
        assert_eq!(workers_that_fit(2, Some(24_000), Some(2048)), 2, "cores bound it");
        assert_eq!(workers_that_fit(8, Some(512), Some(2048)), 1, "never fewer than one");
        assert_eq!(workers_that_fit(4, None, Some(2048)), 4, "unknown memory: the cores");
        assert_eq!(workers_that_fit(4, Some(512), None), 4, "in-process: no worker cap");
    }

    #[test]
    fn a_lambda_renders_as_many_pages_at_once_as_its_memory_holds_workers() {
        let lambda = |mb| Host::Lambda {
            memory_mb: Some(mb),
            worker_id: None,
        };
        let set = settings(&[(keys::PAGE_MEMORY_MB, "1000")]);
        assert_eq!(set.pipeline_for(&lambda(1024), false).render_concurrency, 1);
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        assert_eq!(
            set.pipeline_for(&lambda(10_240), false).render_concurrency,
            cores.min(10)
        );
    }

    #[test]
    fn a_set_render_concurrency_is_kept_on_every_host_and_zero_is_refused() {
        let set = settings(&[(keys::RENDER_CONCURRENCY, "3")]);
        let lambda = Host::Lambda {
            memory_mb: Some(128),
            worker_id: None,
        };
        for host in [Host::Embedded, lambda] {
            assert_eq!(set.pipeline_for(&host, false).render_concurrency, 3, "{host:?}");
        }
        assert_eq!(settings(&[(keys::RENDER_CONCURRENCY, "auto")]).render_concurrency, None);
        let err = Settings::read(&|k| (k == keys::RENDER_CONCURRENCY).then(|| "0".into())).unwrap_err();
        assert_eq!(err.key, keys::RENDER_CONCURRENCY);
    }

    #[test]
    fn a_dpi_out_of_range_is_refused_with_its_key() {
        let err = Settings::read(&|k| (k == keys::RENDER_DPI).then(|| "5000".into())).unwrap_err();
        assert_eq!(err.key, keys::RENDER_DPI);
    }
}
