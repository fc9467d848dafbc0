//! One sync run of one channel (`channels.sync`): under the channel's lease — so one run per
//! channel across every instance and worker, and the channel's rate limit holds — it pushes
//! the items waiting for a push or a delist, then drains the listings whose stock is marked,
//! in the channel's batch size and at its pace, writing **absolute** quantities (available
//! less the buffer, never below 0; 0 while the listing is paused). An unchanged quantity is not
//! written again unless a full resync asked for it.
//!
//! Failures: transient ones (5xx, timeouts, 429 / THROTTLED) end the run for the runner to
//! retry with backoff and full jitter (the marks stay, so nothing is lost; writes are absolute,
//! so a write that landed before its answer was lost is harmless to repeat); a refused entry
//! keeps the channel's words on its listing; refused credentials put the channel in
//! `auth_failed`, pause the job and email the operators.
use super::{
    adapters::{Adapter, CallError, Client, Pacer, StockWrite, WriteOutcome},
    domain::{self, ListingState, State},
    offer, repo,
    service::{self, Runtime},
};
use crate::{core, jobs::JobError, state::AppState};
use chrono::Duration as ChronoDuration;
use entity::{channel, listing};
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, ExprTrait, sea_query::Expr};
use std::{collections::HashMap, time::Duration};
use uuid::Uuid;

/// Products pushed per run before the stock is looked at again.
const ITEMS_PER_ROUND: u64 = 20;

/// The channel's call clock in the database (see [`repo::book_call`]).
pub struct DbPacer {
    db: DatabaseConnection,
    channel_id: Uuid,
    runner: String,
    interval: ChronoDuration,
}

impl Pacer for DbPacer {
    async fn slot(&self) -> Result<(), CallError> {
        let at = repo::book_call(&self.db, self.channel_id, &self.runner, self.interval)
            .await
            .map_err(|e| CallError::transient(format!("booking a call failed: {e}")))?
            .ok_or_else(|| CallError::transient("the sync lease was lost"))?;
        let wait = at - core::now();
        if wait > ChronoDuration::zero() {
            tokio::time::sleep(wait.to_std().unwrap_or_default()).await;
        }
        Ok(())
    }

    async fn hold_off(&self, wait: Duration) {
        let until = core::now() + ChronoDuration::from_std(wait).unwrap_or_default();
        if let Err(e) = repo::push_clock(&self.db, self.channel_id, until).await {
            tracing::warn!(error = %e, "moving the call clock failed");
        }
    }
}

/// Runs one sync of channel `channel_id` (see the module).
///
/// # Errors
/// The error class of the failure that ended the run.
#[tracing::instrument(skip_all, fields(channel.id = %channel_id))]
pub async fn run(app: &AppState, channel_id: Uuid) -> Result<(), JobError> {
    let retry = |e: sea_orm::DbErr| JobError::Retry(e.to_string());
    let rt = app
        .part::<Runtime>()
        .map_err(|e| JobError::Retry(e.to_string()))?;
    let runner = format!("{}-{}", rt.runner, core::new_id().simple());
    let lease = ChronoDuration::seconds(Ord::max(app.settings.channels.lease_seconds, 5));
    if !repo::take_lease(&app.db, channel_id, &runner, core::now() + lease)
        .await
        .map_err(retry)?
    {
        // Another run holds the channel; it looks for new marks before it lets go.
        return Ok(());
    }
    let result = drain(app, rt, channel_id, &runner, lease).await;
    repo::release_lease(&app.db, channel_id, &runner)
        .await
        .map_err(retry)?;
    let active = repo::channel(&app.db, channel_id)
        .await
        .map_err(retry)?
        .is_some_and(|c| State::parse(&c.state) == State::Active);
    if result.is_ok() && active {
        // Marks made after the last look (their own run found the lease taken).
        let (dirty, _) = repo::counts(&app.db, channel_id).await.map_err(retry)?;
        let waiting = repo::has_action(&app.db, channel_id).await.map_err(retry)?
            || repo::has_order_work(&app.db, channel_id)
                .await
                .map_err(retry)?;
        if dirty > 0 || waiting {
            service::enqueue_sync(&app.db, channel_id)
                .await
                .map_err(retry)?;
        }
    }
    result
}

async fn drain(
    app: &AppState,
    rt: &Runtime,
    channel_id: Uuid,
    runner: &str,
    lease: ChronoDuration,
) -> Result<(), JobError> {
    let retry = |e: sea_orm::DbErr| JobError::Retry(e.to_string());
    let mut idle_batches = 0;
    let mut orders_looked = false;
    loop {
        if !repo::take_lease(&app.db, channel_id, runner, core::now() + lease)
            .await
            .map_err(retry)?
        {
            return Err(JobError::Retry("the sync lease was lost".into()));
        }
        let Some(mut c) = repo::channel(&app.db, channel_id).await.map_err(retry)? else {
            return Ok(());
        };
        if State::parse(&c.state) != State::Active {
            return Ok(());
        }
        // An expiring access token is refreshed here, under the lease: once for all workers.
        match service::refresh_if_due(app, rt, &c, runner).await {
            Ok(true) => {
                let Some(again) = repo::channel(&app.db, channel_id).await.map_err(retry)? else {
                    return Ok(());
                };
                c = again;
            }
            Ok(false) => {}
            Err(e) => return Err(failed(app, &c, e).await),
        }
        let settings = service::settings_of(&c);
        let client = service::client_for(app, rt, &c, &settings)
            .map_err(|e| JobError::Pause(format!("credentials cannot be opened: {e}")))?;
        let pacer = DbPacer {
            db: app.db.clone(),
            channel_id,
            runner: runner.to_string(),
            interval: ChronoDuration::milliseconds(i64::from(settings.call_interval_ms)),
        };
        let outcome = async {
            // Orders first, once per run (what is left waits for the next run): what they
            // reserve changes the stock written below.
            let ordered = if orders_looked {
                0
            } else {
                orders_looked = true;
                super::orders::work(app, &c, &settings, &client, &pacer).await?
            };
            let pushed = ordered + push_items(app, &c, &settings, &client, &pacer).await?;
            let written = write_stock(app, &c, &settings, &client, &pacer).await?;
            Ok::<_, CallError>((pushed, written))
        }
        .await;
        match outcome {
            Ok((0, Batch::Empty)) => {
                finish_resync(&app.db, &c).await.map_err(retry)?;
                return Ok(());
            }
            Ok((_, Batch::Stuck)) => {
                idle_batches += 1;
                if idle_batches > 2 {
                    return Err(JobError::Retry(
                        "the channel refused whole batches; trying again later".into(),
                    ));
                }
            }
            Ok(_) => idle_batches = 0,
            Err(e) => return Err(failed(app, &c, e).await),
        }
        service::note_sync(&app.db, channel_id)
            .await
            .map_err(retry)?;
    }
}

/// What a stock round did.
enum Batch {
    /// Nothing was marked.
    Empty,
    /// Written (or unchanged and skipped).
    Progress,
    /// The channel wrote nothing of the batch (every entry waits for another try).
    Stuck,
}

/// Pushes (or delists) up to [`ITEMS_PER_ROUND`] products waiting for it; how many.
async fn push_items(
    app: &AppState,
    c: &channel::Model,
    settings: &domain::ChannelSettings,
    client: &Client,
    pacer: &DbPacer,
) -> Result<usize, CallError> {
    let db_err = |e: sea_orm::DbErr| CallError::transient(e.to_string());
    let waiting = repo::with_action(&app.db, c.id).await.map_err(db_err)?;
    let mut products: Vec<Uuid> = waiting.iter().map(|l| l.product_id).collect();
    products.sort();
    products.dedup();
    products.truncate(usize::try_from(ITEMS_PER_ROUND).unwrap_or(20));
    let mut done = 0;
    for pid in products {
        let rows: Vec<&listing::Model> = waiting.iter().filter(|l| l.product_id == pid).collect();
        let delist_only = rows.iter().all(|l| l.action.as_deref() == Some("delist"));
        let external = rows.iter().find_map(|l| l.external_id.clone());
        if delist_only {
            if let Some(ext) = &external {
                client.delist_item(pacer, ext).await?;
            }
            let ids: Vec<Uuid> = rows.iter().map(|l| l.id).collect();
            repo::update_listings(
                &app.db,
                vec![
                    (
                        listing::Column::State,
                        Expr::value(ListingState::Delisted.as_str()),
                    ),
                    (listing::Column::Action, Expr::value(Option::<String>::None)),
                    (listing::Column::UpdatedAt, Expr::value(core::now())),
                ],
                Condition::all().add(listing::Column::Id.is_in(ids)),
            )
            .await
            .map_err(db_err)?;
            done += 1;
            continue;
        }
        let items = offer::contents(&app.db, c, settings, &[pid])
            .await
            .map_err(|e| CallError::transient(e.describe()))?;
        let Some(item) = items.get(&pid) else {
            // The product is gone from the catalogue: nothing to push.
            repo::update_listings(
                &app.db,
                vec![
                    (
                        listing::Column::State,
                        Expr::value(ListingState::Delisted.as_str()),
                    ),
                    (listing::Column::Action, Expr::value(Option::<String>::None)),
                ],
                Condition::all()
                    .add(listing::Column::ProductId.eq(pid))
                    .add(listing::Column::ChannelId.eq(c.id)),
            )
            .await
            .map_err(db_err)?;
            continue;
        };
        let hash = item.hash();
        // Only the variants still offered go out; the rest of the product's listings whose
        // action is delist go with the push (the item is replaced without them).
        let now = core::now();
        match client.upsert_item(pacer, item).await {
            Ok(pushed) => {
                for (lid, variant) in &pushed.variants {
                    let l = rows.iter().find(|l| l.id == *lid);
                    let state = match l.map(|l| l.state.as_str()) {
                        Some("paused") => ListingState::Paused,
                        _ => ListingState::Live,
                    };
                    repo::update_listings(
                        &app.db,
                        vec![
                            (listing::Column::State, Expr::value(state.as_str())),
                            (listing::Column::Action, Expr::value(Option::<String>::None)),
                            (
                                listing::Column::ContentHash,
                                Expr::value(Some(hash.clone())),
                            ),
                            (
                                listing::Column::ExternalId,
                                Expr::value(Some(pushed.external_id.clone())),
                            ),
                            (
                                listing::Column::ExternalVariantId,
                                Expr::value(Some(variant.clone())),
                            ),
                            (
                                listing::Column::LastError,
                                Expr::value(Option::<String>::None),
                            ),
                            (
                                listing::Column::DirtySeq,
                                Expr::col(listing::Column::DirtySeq).add(1),
                            ),
                            (listing::Column::UpdatedAt, Expr::value(now)),
                        ],
                        Condition::all().add(listing::Column::Id.eq(*lid)),
                    )
                    .await
                    .map_err(db_err)?;
                }
                let pushed_ids: Vec<Uuid> = pushed.variants.iter().map(|(l, _)| *l).collect();
                let gone: Vec<Uuid> = rows
                    .iter()
                    .filter(|l| !pushed_ids.contains(&l.id))
                    .map(|l| l.id)
                    .collect();
                if !gone.is_empty() {
                    repo::update_listings(
                        &app.db,
                        vec![
                            (
                                listing::Column::State,
                                Expr::value(ListingState::Delisted.as_str()),
                            ),
                            (listing::Column::Action, Expr::value(Option::<String>::None)),
                            (listing::Column::UpdatedAt, Expr::value(now)),
                        ],
                        Condition::all().add(listing::Column::Id.is_in(gone)),
                    )
                    .await
                    .map_err(db_err)?;
                }
            }
            Err(CallError::Rejected(msg)) => {
                let ids: Vec<Uuid> = rows.iter().map(|l| l.id).collect();
                let was_live = rows.iter().any(|l| l.external_id.is_some());
                let mut sets = vec![
                    (listing::Column::Action, Expr::value(Option::<String>::None)),
                    (
                        listing::Column::ContentHash,
                        Expr::value(Some(hash.clone())),
                    ),
                    (listing::Column::LastError, Expr::value(Some(msg.clone()))),
                    (listing::Column::UpdatedAt, Expr::value(now)),
                ];
                if !was_live {
                    sets.push((
                        listing::Column::State,
                        Expr::value(ListingState::Rejected.as_str()),
                    ));
                }
                let of = Condition::all().add(listing::Column::Id.is_in(ids));
                repo::update_listings(&app.db, sets, of)
                    .await
                    .map_err(db_err)?;
            }
            Err(e) => return Err(e),
        }
        done += 1;
    }
    Ok(done)
}

/// Writes one batch of marked stock.
async fn write_stock(
    app: &AppState,
    c: &channel::Model,
    settings: &domain::ChannelSettings,
    client: &Client,
    pacer: &DbPacer,
) -> Result<Batch, CallError> {
    let db_err = |e: sea_orm::DbErr| CallError::transient(e.to_string());
    let marked = repo::dirty_listings(&app.db, c.id, u64::from(Ord::max(settings.stock_batch, 1)))
        .await
        .map_err(db_err)?;
    if marked.is_empty() {
        return Ok(Batch::Empty);
    }
    let available = available_of(app, c.aggregator_id, &marked)
        .await
        .map_err(|e| CallError::transient(e.describe()))?;
    let mut writes = Vec::new();
    let mut rows = Vec::new();
    let mut skipped = 0;
    let skip_txn = crate::db::begin_write(&app.db).await.map_err(db_err)?;
    for l in &marked {
        let qty = domain::channel_quantity(
            available.get(&l.sku_id).copied().unwrap_or(0),
            l.buffer_override.map_or(settings.stock_buffer, i64::from),
            l.state == ListingState::Live.as_str(),
        );
        if !l.resync && l.pushed_qty == Some(qty) {
            repo::mark_written(&skip_txn, l, qty, None)
                .await
                .map_err(db_err)?;
            skipped += 1;
            continue;
        }
        writes.push(StockWrite {
            listing_id: l.id,
            external_id: l.external_id.clone().unwrap_or_default(),
            variant_id: l.external_variant_id.clone().unwrap_or_default(),
            quantity: qty,
            believed: l.pushed_qty,
        });
        rows.push(l);
    }
    if writes.is_empty() {
        count_resync(&skip_txn, c.id, skipped, 0)
            .await
            .map_err(db_err)?;
        skip_txn.commit().await.map_err(db_err)?;
        return Ok(Batch::Progress);
    }
    skip_txn.commit().await.map_err(db_err)?;
    let outcomes = match client.set_stock(pacer, &writes).await {
        Ok(o) => o,
        // The whole call was refused without naming an entry: every entry keeps the
        // channel's words (shown with the listing, replayable) and the channel's last error.
        Err(CallError::Rejected(msg)) => {
            service::note_error(app, c, &CallError::Rejected(msg.clone()))
                .await
                .map_err(db_err)?;
            vec![WriteOutcome::Rejected(msg); writes.len()]
        }
        Err(e) => return Err(e),
    };
    let (mut ok, mut refused, mut waiting) = (skipped, 0, 0);
    // One transaction for the batch's records (one commit, not one per listing).
    let txn = crate::db::begin_write(&app.db).await.map_err(db_err)?;
    for ((l, w), o) in rows.iter().zip(&writes).zip(outcomes) {
        match o {
            WriteOutcome::Written => {
                repo::mark_written(&txn, l, w.quantity, None)
                    .await
                    .map_err(db_err)?;
                ok += 1;
            }
            WriteOutcome::Rejected(msg) => {
                tracing::warn!(listing.id = %l.id, error = %msg, "the channel refused a stock write");
                repo::mark_written(&txn, l, w.quantity, Some(msg))
                    .await
                    .map_err(db_err)?;
                refused += 1;
            }
            WriteOutcome::NotWritten => waiting += 1,
        }
    }
    count_resync(&txn, c.id, ok, refused)
        .await
        .map_err(db_err)?;
    txn.commit().await.map_err(db_err)?;
    Ok(if ok + refused == 0 && waiting > 0 {
        Batch::Stuck
    } else {
        Batch::Progress
    })
}

/// Units of each listed SKU that can be sold now (see `shop::catalogue::available`).
async fn available_of(
    app: &AppState,
    agg: Uuid,
    listings: &[listing::Model],
) -> crate::error::ApiResult<HashMap<Uuid, i64>> {
    let skus = crate::catalog::repo::skus_among(&app.db, listings.iter().map(|l| l.sku_id)).await?;
    let categories: HashMap<Uuid, String> =
        crate::catalog::repo::products_among(&app.db, skus.iter().map(|s| s.product_id))
            .await?
            .into_iter()
            .map(|p| (p.id, p.category_code))
            .collect();
    let category_of_sku = skus
        .iter()
        .filter_map(|s| Some((s.id, categories.get(&s.product_id)?.clone())))
        .collect();
    crate::shop::catalogue::available(app, agg, category_of_sku).await
}

async fn count_resync(
    db: &impl sea_orm::ConnectionTrait,
    id: Uuid,
    done: usize,
    errors: usize,
) -> Result<(), sea_orm::DbErr> {
    if done + errors == 0 {
        return Ok(());
    }
    repo::update_channels(
        db,
        vec![
            (
                channel::Column::ResyncDone,
                Expr::col(channel::Column::ResyncDone)
                    .add(i32::try_from(done + errors).unwrap_or(0)),
            ),
            (
                channel::Column::ResyncErrors,
                Expr::col(channel::Column::ResyncErrors).add(i32::try_from(errors).unwrap_or(0)),
            ),
        ],
        Condition::all()
            .add(channel::Column::Id.eq(id))
            .add(channel::Column::ResyncStartedAt.is_not_null())
            .add(channel::Column::ResyncFinishedAt.is_null()),
    )
    .await?;
    Ok(())
}

async fn finish_resync(db: &DatabaseConnection, c: &channel::Model) -> Result<(), sea_orm::DbErr> {
    if c.resync_started_at.is_some() && c.resync_finished_at.is_none() {
        repo::update_channels(
            db,
            vec![(
                channel::Column::ResyncFinishedAt,
                Expr::value(Some(core::now())),
            )],
            Condition::all()
                .add(channel::Column::Id.eq(c.id))
                .add(channel::Column::ResyncFinishedAt.is_null()),
        )
        .await?;
    }
    Ok(())
}

/// Records a failed call on the channel and classifies it for the runner.
async fn failed(app: &AppState, c: &channel::Model, e: CallError) -> JobError {
    let message = e.message().to_string();
    if let Err(db) = service::note_error(app, c, &e).await {
        tracing::warn!(error = %db, "recording the channel error failed");
    }
    match e {
        CallError::Transient { .. } => JobError::Retry(message),
        CallError::Rejected(_) => JobError::Reject(message),
        CallError::Auth(_) => JobError::Pause(message),
    }
}
