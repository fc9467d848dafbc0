//! The inventory area's job kinds and schedules.
use crate::jobs::{Every, Job, JobError, Registry};
use serde::{Deserialize, Serialize};

/// Release reservations whose hold expired (`inventory.release_expired`, every 5 minutes).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ReleaseExpired {}

impl Job for ReleaseExpired {
    const KIND: &'static str = "inventory.release_expired";
}

/// The daily lot-date and low-stock alerts (`inventory.alerts`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Alerts {}

impl Job for Alerts {
    const KIND: &'static str = "inventory.alerts";
}

/// Registers the inventory kinds and schedules.
pub fn register(reg: &mut Registry) {
    reg.job(|app, _: ReleaseExpired, _| async move {
        super::reservations::release_expired(&app)
            .await
            .map(|_| ())
            .map_err(JobError::from)
    });
    reg.job(|app, _: Alerts, _| async move {
        super::alerts::run(&app)
            .await
            .map(|_| ())
            .map_err(JobError::from)
    });
    reg.schedule::<Alerts>("daily-stock-alerts", Every::Day);
    reg.schedule::<ReleaseExpired>("release-expired-holds-5min", Every::FiveMinutes);
}
