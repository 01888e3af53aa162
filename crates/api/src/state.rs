//! What every route shares: the intake, the ports the routes read from, and the few settings
//! the handlers need. A leaf: the handlers, the router and the hosts all name it.

use crate::prometheus::PrometheusRegistry;
use crate::status_cache::StatusCache;
use drawings_core::Ports;
use drawings_core::intake::Intake;
use std::sync::Arc;
use std::time::Duration;

/// What the routes share.
#[derive(Clone)]
pub struct AppState {
    /// Accepts uploads.
    pub intake: Arc<Intake>,
    /// Stores the routes read from.
    pub ports: Ports,
    /// How long presigned links stay valid: result downloads and upload PUTs alike.
    pub link_ttl: Duration,
    /// The registry `GET /metrics` renders (the embedded server's; none on Lambda: 404).
    pub metrics: Option<Arc<PrometheusRegistry>>,
    /// The answers of `GET /status` kept per job version (`StatusCache::default()`).
    pub status_cache: Arc<StatusCache>,
}
