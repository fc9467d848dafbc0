//! The channels area's job kinds: a sync run per channel (leased), a listing refresh, the
//! five-minute sweep (refresh every active channel; queue a sync where marks wait) and the
//! daily credential-expiry alerts; and the ticker that follows the stock ledger.
use super::{follow, offer, repo, service, sync};
use crate::{
    jobs::{Every, Job, JobError, Registry},
    state::AppState,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One sync run of a channel (`channels.sync`). The payload holds the channel's id only:
/// never a credential.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Sync {
    pub channel_id: Uuid,
}

impl Job for Sync {
    const KIND: &'static str = "channels.sync";
}

/// Brings a channel's listings in line with the catalogue (`channels.refresh`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Refresh {
    pub channel_id: Uuid,
}

impl Job for Refresh {
    const KIND: &'static str = "channels.refresh";
}

/// Every five minutes: refresh each active channel (closures, paused products and catalogue
/// edits reach the channels within that time) and queue a sync where work waits.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Sweep {}

impl Job for Sweep {
    const KIND: &'static str = "channels.sweep";
}

/// Daily: email operators about channel credentials that expire soon.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ExpiryAlerts {}

impl Job for ExpiryAlerts {
    const KIND: &'static str = "channels.expiry_alerts";
}

/// Registers the kinds, schedules and the ledger ticker.
pub fn register(reg: &mut Registry) {
    reg.job(|app: AppState, p: Sync, _| async move { sync::run(&app, p.channel_id).await });
    reg.job(|app: AppState, p: Refresh, _| async move { refresh(&app, p.channel_id).await });
    reg.job(|app: AppState, _: Sweep, _| async move { sweep(&app).await });
    reg.job(|app: AppState, _: ExpiryAlerts, _| async move {
        service::expiry_alerts(&app).await?;
        Ok(())
    });
    reg.schedule::<Sweep>("channels-sweep", Every::FiveMinutes);
    reg.schedule::<ExpiryAlerts>("channels-expiry-alerts", Every::Day);
    reg.ticker(
        "channels.follow",
        |s| s.channels.follow_interval_ms,
        follow::follow,
    );
    reg.ticker(
        "channels.orders",
        |s| s.channels.order_tick_ms,
        follow::orders_due,
    );
    // What the channels are told of orders placed from them: cancellations and tracking.
    reg.subscribe("channels.push_back", super::orders::on_cancelled);
    reg.subscribe("channels.push_back", super::orders::on_shipped);
}

async fn refresh(app: &AppState, id: Uuid) -> Result<(), JobError> {
    let retry = |e: sea_orm::DbErr| JobError::Retry(e.to_string());
    let Some(c) = repo::channel(&app.db, id).await.map_err(retry)? else {
        return Ok(());
    };
    if offer::refresh(app, &c).await?.any() {
        service::enqueue_sync(&app.db, id).await.map_err(retry)?;
    }
    Ok(())
}

async fn sweep(app: &AppState) -> Result<(), JobError> {
    let retry = |e: sea_orm::DbErr| JobError::Retry(e.to_string());
    for c in repo::channels(&app.db, None).await.map_err(retry)? {
        if super::domain::State::parse(&c.state) != super::domain::State::Active {
            continue;
        }
        let changed = offer::refresh(app, &c).await?.any();
        let (dirty, _) = repo::counts(&app.db, c.id).await.map_err(retry)?;
        if changed || dirty > 0 {
            service::enqueue_sync(&app.db, c.id).await.map_err(retry)?;
        }
    }
    Ok(())
}
