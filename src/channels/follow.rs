//! The channels area follows the stock ledger (DESIGN.md §3): every runner, at
//! `channels.follow_interval_ms`, reads the SKUs with movements since its cursor — looking
//! `channels.lookback_seconds` further back each time, because a transaction may commit after
//! a later one and its movement would otherwise be passed over — marks their listings dirty on
//! every channel and queues a sync of each channel that got a mark. Marking is idempotent (only
//! clean listings are marked; an unchanged quantity is not written again), so many runners may
//! follow at once and a re-read costs no channel call.
use super::{repo, service};
use crate::{core, state::AppState};
use chrono::Duration;

/// The cursor's name.
const CURSOR: &str = "stock";

/// One read of the ledger (see the module).
///
/// # Errors
/// Database failure.
#[tracing::instrument(skip_all)]
pub async fn follow(app: AppState) -> anyhow::Result<()> {
    let now = core::now();
    let lookback = Duration::seconds(app.settings.channels.lookback_seconds.max(0));
    let position = repo::cursor(&app.db, CURSOR)
        .await?
        .unwrap_or(now - lookback);
    let channels = repo::mark_moved_since(&app.db, position - lookback).await?;
    for id in channels {
        // A paused or stopped channel keeps its marks; resuming it queues its sync.
        let active = repo::channel(&app.db, id)
            .await?
            .is_some_and(|c| super::domain::State::parse(&c.state) == super::domain::State::Active);
        if active {
            service::enqueue_sync(&app.db, id).await?;
        }
    }
    repo::advance_cursor(&app.db, CURSOR, now).await?;
    Ok(())
}

/// Queues a sync of every active channel whose look for orders is due (the run looks).
///
/// # Errors
/// Database failure.
#[tracing::instrument(skip_all)]
pub async fn orders_due(app: AppState) -> anyhow::Result<()> {
    for c in repo::channels(&app.db, None).await? {
        if super::domain::State::parse(&c.state) == super::domain::State::Active
            && super::orders::poll_due(&c, &service::settings_of(&c))
        {
            service::enqueue_sync(&app.db, c.id).await?;
        }
    }
    Ok(())
}
