//! Conformance suite for [`Notifier`]. Sends two alerts about random job ids: point it at a
//! topic or log nobody pages on.

use crate::fixtures::sample_alert;
use drawings_core::ports::{Alert, Notifier};

/// Runs every check against `notifier`.
pub async fn notifier_conformance(notifier: &dyn Notifier) {
    notifier
        .notify(&sample_alert())
        .await
        .expect("notify of a typical alert must succeed");
    let sparse = Alert {
        client_name: None,
        file_name: None,
        stage: None,
        ..sample_alert()
    };
    notifier
        .notify(&sparse)
        .await
        .expect("notify of an alert without optional fields must succeed");
}
