//! The channels area's queries: channel accounts, their sync lease and call clock, listings
//! and their dirty marks, and the cursor over the stock ledger.
use crate::{core, db::sql_for};
use chrono::{DateTime, Duration, Utc};
use entity::{channel, channel_cursor, channel_order, channel_webhook, listing};
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, ExprTrait, FromQueryResult,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Statement,
    sea_query::{Expr, SimpleExpr},
};
use uuid::Uuid;

/// The channel `id` of `agg`.
///
/// # Errors
/// Database failure.
pub async fn channel_of(
    db: &impl ConnectionTrait,
    agg: Uuid,
    id: Uuid,
) -> Result<Option<channel::Model>, DbErr> {
    channel::Entity::find_by_id(id)
        .filter(channel::Column::AggregatorId.eq(agg))
        .one(db)
        .await
}

/// The channel `id` (any tenant; jobs).
///
/// # Errors
/// Database failure.
pub async fn channel(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<channel::Model>, DbErr> {
    channel::Entity::find_by_id(id).one(db).await
}

/// Every channel of `agg` (every channel when `None`), by name.
///
/// # Errors
/// Database failure.
pub async fn channels(
    db: &impl ConnectionTrait,
    agg: Option<Uuid>,
) -> Result<Vec<channel::Model>, DbErr> {
    let mut q = channel::Entity::find().order_by_asc(channel::Column::Name);
    if let Some(a) = agg {
        q = q.filter(channel::Column::AggregatorId.eq(a));
    }
    q.all(db).await
}

/// Takes (or renews) the sync lease of channel `id` for `runner` until `until`: `true` when
/// this runner holds it now. One conditional UPDATE, so two runners never both hold it.
///
/// # Errors
/// Database failure.
pub async fn take_lease(
    db: &impl ConnectionTrait,
    id: Uuid,
    runner: &str,
    until: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let now = core::now();
    let backend = db.get_database_backend();
    let stmt = Statement::from_sql_and_values(
        backend,
        sql_for(
            backend,
            "UPDATE channel SET sync_locked_by = $1, sync_lease_until = $2 WHERE id = $3 \
             AND (sync_locked_by IS NULL OR sync_locked_by = $1 OR sync_lease_until < $4)",
        ),
        [runner.into(), until.into(), id.into(), now.into()],
    );
    Ok(db.execute_raw(stmt).await?.rows_affected() == 1)
}

/// Gives the lease back (when `runner` still holds it).
///
/// # Errors
/// Database failure.
pub async fn release_lease(db: &impl ConnectionTrait, id: Uuid, runner: &str) -> Result<(), DbErr> {
    channel::Entity::update_many()
        .col_expr(
            channel::Column::SyncLockedBy,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            channel::Column::SyncLeaseUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(channel::Column::Id.eq(id))
        .filter(channel::Column::SyncLockedBy.eq(runner))
        .exec(db)
        .await?;
    Ok(())
}

/// Books the next call slot of channel `id` for the lease holder `runner`: returns when the
/// call may go out (the later of now and the stored clock) after moving the clock to that
/// instant plus `interval` and counting the call in its minute. `None` when `runner` lost the
/// lease.
///
/// # Errors
/// Database failure.
pub async fn book_call(
    db: &impl ConnectionTrait,
    id: Uuid,
    runner: &str,
    interval: Duration,
) -> Result<Option<DateTime<Utc>>, DbErr> {
    let Some(c) = channel::Entity::find_by_id(id)
        .filter(channel::Column::SyncLockedBy.eq(runner))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let now = core::now();
    let at = c.next_call_at.map_or(now, |n| Ord::max(n, now));
    let same_minute = c
        .calls_window_start
        .is_some_and(|w| at - w < Duration::minutes(1));
    let res = channel::Entity::update_many()
        .col_expr(
            channel::Column::NextCallAt,
            Expr::value(Some(at + interval)),
        )
        .col_expr(
            channel::Column::CallsWindowStart,
            Expr::value(Some(if same_minute {
                c.calls_window_start.unwrap_or(at)
            } else {
                at
            })),
        )
        .col_expr(
            channel::Column::CallsInWindow,
            Expr::value(if same_minute {
                c.calls_in_window + 1
            } else {
                1
            }),
        )
        .filter(channel::Column::Id.eq(id))
        .filter(channel::Column::SyncLockedBy.eq(runner))
        .exec(db)
        .await?;
    Ok((res.rows_affected == 1).then_some(at))
}

/// Moves the call clock of channel `id` to at least `at` (the channel asked us to wait).
///
/// # Errors
/// Database failure.
pub async fn push_clock(
    db: &impl ConnectionTrait,
    id: Uuid,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    let stmt = Statement::from_sql_and_values(
        backend,
        sql_for(
            backend,
            "UPDATE channel SET next_call_at = $1 WHERE id = $2 \
             AND (next_call_at IS NULL OR next_call_at < $1)",
        ),
        [at.into(), id.into()],
    );
    db.execute_raw(stmt).await?;
    Ok(())
}

/// Listings of channel `id` whose stock waits to be written: marked, and existing at the
/// channel (live or paused, with their variant id there).
fn to_write(id: Uuid) -> sea_orm::Condition {
    sea_orm::Condition::all()
        .add(listing::Column::ChannelId.eq(id))
        .add(Expr::col(listing::Column::DirtySeq).gt(Expr::col(listing::Column::SyncedSeq)))
        .add(listing::Column::State.is_in(["live", "paused"]))
        .add(listing::Column::ExternalVariantId.is_not_null())
}

/// Listings of channel `id` whose stock needs writing and that exist at the channel, oldest
/// mark first, at most `limit`.
///
/// # Errors
/// Database failure.
pub async fn dirty_listings(
    db: &impl ConnectionTrait,
    id: Uuid,
    limit: u64,
) -> Result<Vec<listing::Model>, DbErr> {
    listing::Entity::find()
        .filter(to_write(id))
        .order_by_asc(listing::Column::UpdatedAt)
        .order_by_asc(listing::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// Listings of channel `id` the channel still has to be told of (a push or a delist).
///
/// # Errors
/// Database failure.
pub async fn with_action(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Vec<listing::Model>, DbErr> {
    listing::Entity::find()
        .filter(listing::Column::ChannelId.eq(id))
        .filter(listing::Column::Action.is_not_null())
        .order_by_asc(listing::Column::ProductId)
        .all(db)
        .await
}

/// Whether channel `id` has listings to push or delist.
///
/// # Errors
/// Database failure.
pub async fn has_action(db: &impl ConnectionTrait, id: Uuid) -> Result<bool, DbErr> {
    Ok(listing::Entity::find()
        .filter(listing::Column::ChannelId.eq(id))
        .filter(listing::Column::Action.is_not_null())
        .count(db)
        .await?
        > 0)
}

/// The listing of SKU `sku` on channel `id`.
///
/// # Errors
/// Database failure.
pub async fn listing_of(
    db: &impl ConnectionTrait,
    id: Uuid,
    sku: Uuid,
) -> Result<Option<listing::Model>, DbErr> {
    listing::Entity::find()
        .filter(listing::Column::ChannelId.eq(id))
        .filter(listing::Column::SkuId.eq(sku))
        .one(db)
        .await
}

/// Every listing of channel `id`.
///
/// # Errors
/// Database failure.
pub async fn listings(db: &impl ConnectionTrait, id: Uuid) -> Result<Vec<listing::Model>, DbErr> {
    listing::Entity::find()
        .filter(listing::Column::ChannelId.eq(id))
        .all(db)
        .await
}

/// Records a stock write: the quantity now at the channel and the mark it answers (a newer
/// mark made meanwhile stays dirty).
///
/// # Errors
/// Database failure.
pub async fn mark_written(
    db: &impl ConnectionTrait,
    l: &listing::Model,
    qty: i64,
    error: Option<String>,
) -> Result<(), DbErr> {
    let now = core::now();
    let mut q = listing::Entity::update_many()
        .col_expr(listing::Column::SyncedSeq, Expr::value(l.dirty_seq))
        .col_expr(listing::Column::Resync, Expr::value(false))
        .col_expr(listing::Column::UpdatedAt, Expr::value(now));
    if error.is_none() {
        q = q
            .col_expr(listing::Column::PushedQty, Expr::value(Some(qty)))
            .col_expr(listing::Column::SyncedAt, Expr::value(Some(now)))
            .col_expr(
                listing::Column::LastError,
                Expr::value(Option::<String>::None),
            );
    } else {
        q = q.col_expr(listing::Column::LastError, Expr::value(error));
    }
    q.filter(listing::Column::Id.eq(l.id))
        .filter(listing::Column::SyncedSeq.lt(l.dirty_seq))
        .exec(db)
        .await?;
    Ok(())
}

/// Marks the listings of the SKUs that have stock movements since `since` dirty (those that
/// are clean now), on every channel. Returns the channels that got a mark.
///
/// # Errors
/// Database failure.
pub async fn mark_moved_since(
    db: &impl ConnectionTrait,
    since: DateTime<Utc>,
) -> Result<Vec<Uuid>, DbErr> {
    #[derive(FromQueryResult)]
    struct Row {
        channel_id: Uuid,
    }
    let backend = db.get_database_backend();
    let stmt = Statement::from_sql_and_values(
        backend,
        sql_for(
            backend,
            "UPDATE listing SET dirty_seq = dirty_seq + 1, updated_at = $2 \
             WHERE dirty_seq = synced_seq AND sku_id IN \
             (SELECT DISTINCT sku_id FROM stock_movement WHERE created_at > $1) \
             RETURNING channel_id",
        ),
        [since.into(), core::now().into()],
    );
    let mut ids: Vec<Uuid> = Row::find_by_statement(stmt)
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.channel_id)
        .collect();
    ids.sort();
    ids.dedup();
    Ok(ids)
}

/// Marks every listing of channel `id` in `states` dirty (`resync`: write even an unchanged
/// quantity). Returns how many.
///
/// # Errors
/// Database failure.
pub async fn mark_all(
    db: &impl ConnectionTrait,
    id: Uuid,
    states: &[&str],
    resync: bool,
) -> Result<u64, DbErr> {
    let res = listing::Entity::update_many()
        .col_expr(
            listing::Column::DirtySeq,
            Expr::col(listing::Column::DirtySeq).add(1),
        )
        .col_expr(listing::Column::Resync, Expr::value(resync))
        .col_expr(listing::Column::UpdatedAt, Expr::value(core::now()))
        .filter(listing::Column::ChannelId.eq(id))
        .filter(listing::Column::State.is_in(states.iter().copied()))
        .filter(listing::Column::ExternalVariantId.is_not_null())
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}

/// Listings of channel `id` still to write and still part of a full resync.
///
/// # Errors
/// Database failure.
pub async fn counts(db: &impl ConnectionTrait, id: Uuid) -> Result<(u64, u64), DbErr> {
    let dirty = listing::Entity::find()
        .filter(to_write(id))
        .count(db)
        .await?;
    let resync = listing::Entity::find()
        .filter(listing::Column::ChannelId.eq(id))
        .filter(listing::Column::Resync.eq(true))
        .count(db)
        .await?;
    Ok((dirty, resync))
}

/// Listings of channel `id` per state.
///
/// # Errors
/// Database failure.
pub async fn state_counts(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Vec<(String, i64)>, DbErr> {
    #[derive(FromQueryResult)]
    struct Row {
        state: String,
        n: i64,
    }
    let backend = db.get_database_backend();
    let stmt = Statement::from_sql_and_values(
        backend,
        sql_for(
            backend,
            "SELECT state, COUNT(*) AS n FROM listing WHERE channel_id = $1 GROUP BY state",
        ),
        [id.into()],
    );
    Ok(Row::find_by_statement(stmt)
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.state, r.n))
        .collect())
}

/// The position of cursor `name` (None before its first read).
///
/// # Errors
/// Database failure.
pub async fn cursor(db: &impl ConnectionTrait, name: &str) -> Result<Option<DateTime<Utc>>, DbErr> {
    Ok(channel_cursor::Entity::find_by_id(name.to_string())
        .one(db)
        .await?
        .map(|c| c.position))
}

/// Moves cursor `name` forward to `to` (never back).
///
/// # Errors
/// Database failure.
pub async fn advance_cursor(
    db: &impl ConnectionTrait,
    name: &str,
    to: DateTime<Utc>,
) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    let now = core::now();
    let stmt = Statement::from_sql_and_values(
        backend,
        sql_for(
            backend,
            "UPDATE channel_cursor SET position = $1, updated_at = $2 \
             WHERE name = $3 AND position < $1",
        ),
        [to.into(), now.into(), name.into()],
    );
    db.execute_raw(stmt).await?;
    let insert = channel_cursor::Entity::insert(channel_cursor::ActiveModel {
        name: sea_orm::ActiveValue::Set(name.to_string()),
        position: sea_orm::ActiveValue::Set(to),
        updated_at: sea_orm::ActiveValue::Set(now),
    })
    .on_conflict_do_nothing()
    .exec_without_returning(db)
    .await;
    insert.map(|_| ())
}

/// The order numbered `external_id` of channel `c` (its row, if seen before).
///
/// # Errors
/// Database failure.
pub async fn channel_order(
    db: &impl ConnectionTrait,
    channel_id: Uuid,
    external_id: &str,
) -> Result<Option<channel_order::Model>, DbErr> {
    channel_order::Entity::find()
        .filter(channel_order::Column::ChannelId.eq(channel_id))
        .filter(channel_order::Column::ExternalId.eq(external_id))
        .one(db)
        .await
}

/// The channel row of order `order_id`, if it came from a channel.
///
/// # Errors
/// Database failure.
pub async fn channel_order_of(
    db: &impl ConnectionTrait,
    order_id: Uuid,
) -> Result<Option<channel_order::Model>, DbErr> {
    channel_order::Entity::find()
        .filter(channel_order::Column::OrderId.eq(order_id))
        .one(db)
        .await
}

/// Marks order `external_id` of channel `c` to be read: a new row, or `import_due` on the
/// existing one (the unique index makes two markers agree on one row).
///
/// # Errors
/// Database failure.
pub async fn mark_order_due(
    db: &impl ConnectionTrait,
    c: &channel::Model,
    external_id: &str,
) -> Result<(), DbErr> {
    let now = core::now();
    let row = channel_order::ActiveModel {
        id: Set(core::new_id()),
        aggregator_id: Set(c.aggregator_id),
        channel_id: Set(c.id),
        external_id: Set(external_id.to_string()),
        order_id: Set(None),
        remote_status: Set("open".into()),
        remote_ref: Set("{}".into()),
        import_due: Set(true),
        cancel_due: Set(false),
        cancel_reason: Set(None),
        ship_due: Set(false),
        cancelled_by: Set(None),
        last_error: Set(None),
        imported_at: Set(None),
        cancel_pushed_at: Set(None),
        shipped_pushed_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        reported_fee: Set(None),
    };
    channel_order::Entity::insert(row)
        .on_conflict(
            sea_orm::sea_query::OnConflict::columns([
                channel_order::Column::ChannelId,
                channel_order::Column::ExternalId,
            ])
            .update_columns([
                channel_order::Column::ImportDue,
                channel_order::Column::UpdatedAt,
            ])
            .to_owned(),
        )
        .exec_without_returning(db)
        .await
        .map(|_| ())
}

/// Rows of channel `id` with `flag` set (oldest first, at most `n`).
///
/// # Errors
/// Database failure.
pub async fn orders_due(
    db: &impl ConnectionTrait,
    id: Uuid,
    flag: channel_order::Column,
    n: u64,
) -> Result<Vec<channel_order::Model>, DbErr> {
    channel_order::Entity::find()
        .filter(channel_order::Column::ChannelId.eq(id))
        .filter(flag.eq(true))
        .order_by_asc(channel_order::Column::UpdatedAt)
        .limit(n)
        .all(db)
        .await
}

/// Whether channel `id` owes or is owed order work (a read, a cancellation, tracking).
///
/// # Errors
/// Database failure.
pub async fn has_order_work(db: &impl ConnectionTrait, id: Uuid) -> Result<bool, DbErr> {
    Ok(channel_order::Entity::find()
        .filter(channel_order::Column::ChannelId.eq(id))
        .filter(
            sea_orm::Condition::any()
                .add(channel_order::Column::ImportDue.eq(true))
                .add(channel_order::Column::CancelDue.eq(true))
                .add(channel_order::Column::ShipDue.eq(true)),
        )
        .count(db)
        .await?
        > 0)
}

/// The imported orders of channel `id` the channel may still cancel (open there, not
/// cancelled here), oldest first, at most `n`: re-read where the channel has no push.
///
/// # Errors
/// Database failure.
pub async fn open_channel_orders(
    db: &impl ConnectionTrait,
    id: Uuid,
    n: u64,
) -> Result<Vec<String>, DbErr> {
    channel_order::Entity::find()
        .select_only()
        .column(channel_order::Column::ExternalId)
        .filter(channel_order::Column::ChannelId.eq(id))
        .filter(channel_order::Column::RemoteStatus.eq("open"))
        .filter(channel_order::Column::OrderId.is_not_null())
        .filter(channel_order::Column::CancelledBy.is_null())
        .order_by_asc(channel_order::Column::CreatedAt)
        .limit(n)
        .into_tuple()
        .all(db)
        .await
}

/// The channel's orders, newest first (the operator's view).
///
/// # Errors
/// Database failure.
pub async fn channel_orders(
    db: &impl ConnectionTrait,
    id: Uuid,
    n: u64,
) -> Result<Vec<channel_order::Model>, DbErr> {
    channel_order::Entity::find()
        .filter(channel_order::Column::ChannelId.eq(id))
        .order_by_desc(channel_order::Column::CreatedAt)
        .limit(n)
        .all(db)
        .await
}

/// Sets the channel's order cursor (the end of the last look for orders).
///
/// # Errors
/// Database failure.
pub async fn set_import_cursor(
    db: &impl ConnectionTrait,
    id: Uuid,
    to: DateTime<Utc>,
) -> Result<(), DbErr> {
    channel::Entity::update_many()
        .col_expr(
            channel::Column::ImportCursor,
            Expr::value(Some(
                to.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            )),
        )
        .filter(channel::Column::Id.eq(id))
        .exec(db)
        .await
        .map(|_| ())
}

/// Records a webhook delivery id of channel `id`: `false` when it was received before.
///
/// # Errors
/// Database failure.
pub async fn first_webhook(
    db: &impl ConnectionTrait,
    id: Uuid,
    webhook_id: &str,
    topic: &str,
) -> Result<bool, DbErr> {
    let r = channel_webhook::Entity::insert(channel_webhook::ActiveModel {
        id: Set(core::new_id()),
        channel_id: Set(id),
        webhook_id: Set(webhook_id.to_string()),
        topic: Set(topic.to_string()),
        received_at: Set(core::now()),
    })
    .on_conflict(
        sea_orm::sea_query::OnConflict::columns([
            channel_webhook::Column::ChannelId,
            channel_webhook::Column::WebhookId,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(r == 1)
}

/// Records the start of a look for orders of channel `id`.
///
/// # Errors
/// Database failure.
pub async fn note_order_poll(
    db: &impl ConnectionTrait,
    id: Uuid,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    channel::Entity::update_many()
        .col_expr(channel::Column::OrdersPolledAt, Expr::value(Some(at)))
        .filter(channel::Column::Id.eq(id))
        .exec(db)
        .await
        .map(|_| ())
}

/// Inserts a channel account (a taken name fails on its unique key).
///
/// # Errors
/// Database failure.
pub async fn insert_channel(
    db: &impl ConnectionTrait,
    row: channel::ActiveModel,
) -> Result<channel::Model, DbErr> {
    sea_orm::ActiveModelTrait::insert(row, db).await
}

/// Writes the changed columns of a channel account.
///
/// # Errors
/// Database failure.
pub async fn update_channel(
    db: &impl ConnectionTrait,
    row: channel::ActiveModel,
) -> Result<channel::Model, DbErr> {
    sea_orm::ActiveModelTrait::update(row, db).await
}

/// Sets `sets` on the channels matching `cond`: how many rows changed.
///
/// # Errors
/// Database failure.
pub async fn update_channels(
    db: &impl ConnectionTrait,
    sets: Vec<(channel::Column, SimpleExpr)>,
    cond: Condition,
) -> Result<u64, DbErr> {
    crate::db::update_where::<channel::Entity>(db, sets, cond).await
}

/// The channels `ids`.
///
/// # Errors
/// Database failure.
pub async fn channels_among(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = Uuid>,
) -> Result<Vec<channel::Model>, DbErr> {
    channel::Entity::find()
        .filter(channel::Column::Id.is_in(ids))
        .all(db)
        .await
}

/// Sets `sets` on the listings matching `cond`: how many rows changed.
///
/// # Errors
/// Database failure.
pub async fn update_listings(
    db: &impl ConnectionTrait,
    sets: Vec<(listing::Column, SimpleExpr)>,
    cond: Condition,
) -> Result<u64, DbErr> {
    crate::db::update_where::<listing::Entity>(db, sets, cond).await
}

/// The listings matching `cond`.
///
/// # Errors
/// Database failure.
pub async fn listings_where(
    db: &impl ConnectionTrait,
    cond: Condition,
) -> Result<Vec<listing::Model>, DbErr> {
    listing::Entity::find().filter(cond).all(db).await
}

/// Inserts the listings `rows` (those that exist already are left as they are).
///
/// # Errors
/// Database failure.
pub async fn insert_listings(
    db: &impl ConnectionTrait,
    rows: Vec<listing::ActiveModel>,
) -> Result<(), DbErr> {
    listing::Entity::insert_many(rows)
        .on_conflict_do_nothing()
        .exec_without_returning(db)
        .await
        .map(|_| ())
}

/// The listings of channel `id` for the products `products`.
///
/// # Errors
/// Database failure.
pub async fn listings_of_products(
    db: &impl ConnectionTrait,
    id: Uuid,
    products: &[Uuid],
) -> Result<Vec<listing::Model>, DbErr> {
    listing::Entity::find()
        .filter(listing::Column::ChannelId.eq(id))
        .filter(listing::Column::ProductId.is_in(products.iter().copied()))
        .all(db)
        .await
}

/// Sets `sets` on the channel orders matching `cond`: how many rows changed.
///
/// # Errors
/// Database failure.
pub async fn update_channel_orders(
    db: &impl ConnectionTrait,
    sets: Vec<(channel_order::Column, SimpleExpr)>,
    cond: Condition,
) -> Result<u64, DbErr> {
    crate::db::update_where::<channel_order::Entity>(db, sets, cond).await
}
