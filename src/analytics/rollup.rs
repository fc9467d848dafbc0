//! The daily sales rollup, maintained incrementally from the order core's events (subscriber
//! `analytics.rollup`; each delivery claims its receipt in the transaction that adds its facts,
//! so a replayed event changes nothing) on the same JST days as money's periods: a parcel that
//! left adds its lines' sales on the day it left (`orders.parcel_shipped`), a return batch its
//! returns and refunds on the day it was received (`orders.returned`). Shop and channel orders
//! alike. [`rebuild`] recomputes every cell from the orders and compares it with the table.
use super::{
    domain::{self, CellKey, Facts, SoldLine, SoldOrder},
    repo,
};
use crate::{
    error::{ApiError, ApiResult},
    jobs::{Delivery, JobError},
    orders::{
        domain::OrderSource,
        events::{OrderReturned, ParcelShipped},
    },
    state::AppState,
};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{order_return, parcel, shop_order};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction};
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

fn jst(t: DateTime<Utc>) -> NaiveDate {
    (t + chrono::Duration::hours(9)).date_naive()
}

/// Each producer's (municipality, island) as it is now.
async fn places(
    db: &impl ConnectionTrait,
    producers: impl IntoIterator<Item = Uuid>,
) -> ApiResult<HashMap<Uuid, (String, String)>> {
    let ids: Vec<Uuid> = producers.into_iter().collect();
    Ok(crate::producers::repo::all_producers_where(
        db,
        Condition::all().add(entity::producer::Column::Id.is_in(ids)),
    )
    .await?
    .into_iter()
    .map(|p| {
        (
            p.id,
            (p.municipality_code, p.island_code.unwrap_or_default()),
        )
    })
    .collect())
}

/// Order `o` as the rollup reads it.
async fn sold(db: &impl ConnectionTrait, o: &shop_order::Model) -> ApiResult<SoldOrder> {
    let lines = crate::orders::repo::lines_of(db, o.id).await?;
    let categories: HashMap<Uuid, String> =
        crate::catalog::repo::products_among(db, lines.iter().map(|l| l.product_id))
            .await?
            .into_iter()
            .map(|p| (p.id, p.category_code))
            .collect();
    let yen = |minor: i64| match crate::core::money::Currency::parse(&o.currency) {
        Some(c) if c != crate::core::money::Currency::Jpy => {
            crate::core::money::Money { minor, currency: c }.to_yen(o.fx_rate_ppm)
        }
        _ => minor,
    };
    Ok(SoldOrder {
        channel: match (o.source, o.channel_id) {
            (OrderSource::Channel, Some(c)) => c.to_string(),
            _ => domain::SHOP.into(),
        },
        market: if o.destination_prefecture.is_empty() {
            domain::OVERSEAS.into()
        } else {
            domain::DOMESTIC.into()
        },
        destination_prefecture: o.destination_prefecture.clone(),
        tax8: yen(o.tax8),
        total8: yen(o.total8),
        tax10: yen(o.tax10),
        total10: yen(o.total10),
        lines: lines
            .iter()
            .map(|l| SoldLine {
                id: l.id,
                parcel_seq: l.parcel_seq,
                producer_id: l.producer_id,
                category_code: categories.get(&l.product_id).cloned().unwrap_or_default(),
                tax_rate: l.tax_rate,
                qty: l.qty,
                unit_price: yen(l.unit_price),
                amount: yen(l.line_total),
            })
            .collect(),
    })
}

/// The cells parcel `p` of order `s` adds.
async fn of_parcel(
    db: &impl ConnectionTrait,
    s: &SoldOrder,
    p: &parcel::Model,
) -> ApiResult<BTreeMap<CellKey, Facts>> {
    let Some(at) = p.shipped_at else {
        return Ok(BTreeMap::new());
    };
    let places = places(db, s.lines.iter().map(|l| l.producer_id)).await?;
    let place = |id: Uuid| places.get(&id).cloned().unwrap_or_default();
    Ok(domain::parcel_facts(s, p.seq, jst(at), &place))
}

/// The cells return rows `rows` of order `s` add.
async fn of_returns(
    db: &impl ConnectionTrait,
    s: &SoldOrder,
    rows: &[order_return::Model],
) -> ApiResult<BTreeMap<CellKey, Facts>> {
    let places = places(db, s.lines.iter().map(|l| l.producer_id)).await?;
    let place = |id: Uuid| places.get(&id).cloned().unwrap_or_default();
    let mut out: BTreeMap<CellKey, Facts> = BTreeMap::new();
    for r in rows {
        let Some(l) = s.lines.iter().find(|l| l.id == r.order_line_id) else {
            continue;
        };
        let (k, f) = domain::return_facts(s, l, r.qty, r.refund_amount, jst(r.created_at), &place);
        out.entry(k).or_default().add(&f);
    }
    Ok(out)
}

async fn write(
    txn: &DatabaseTransaction,
    agg: Uuid,
    cells: &BTreeMap<CellKey, Facts>,
) -> ApiResult<()> {
    for (k, f) in cells {
        if !f.is_zero() {
            repo::add(txn, agg, k, f).await?;
        }
    }
    Ok(())
}

fn retry(e: impl std::fmt::Display) -> JobError {
    JobError::Retry(e.to_string())
}

/// Runs `add` in a write transaction that first claims delivery `d` (nothing when it was
/// handled before).
async fn claimed<E, F>(app: &AppState, d: &Delivery<E>, add: F) -> Result<(), JobError>
where
    F: AsyncFnOnce(&DatabaseTransaction) -> ApiResult<()>,
{
    let txn = crate::db::begin_write(&app.db).await.map_err(retry)?;
    if !d.claim(&txn).await.map_err(retry)? {
        return Ok(());
    }
    match add(&txn).await {
        Ok(()) => txn.commit().await.map_err(retry),
        Err(ApiError::NotFound) => Err(JobError::Reject("the order is gone".into())),
        Err(e) => Err(retry(e.describe())),
    }
}

async fn order_of(txn: &DatabaseTransaction, agg: Uuid, id: Uuid) -> ApiResult<shop_order::Model> {
    crate::orders::repo::order(txn, id)
        .await?
        .filter(|o| o.aggregator_id == agg)
        .ok_or(ApiError::NotFound)
}

/// `orders.parcel_shipped`.
///
/// # Errors
/// Retried on database failures.
pub async fn on_parcel_shipped(app: AppState, d: Delivery<ParcelShipped>) -> Result<(), JobError> {
    let e = &d.event;
    claimed(&app, &d, async |txn| {
        let o = order_of(txn, e.aggregator_id, e.order_id).await?;
        let s = sold(txn, &o).await?;
        let p = crate::orders::repo::parcels_of(txn, o.id)
            .await?
            .into_iter()
            .find(|p| p.seq == e.parcel_seq)
            .ok_or(ApiError::NotFound)?;
        let cells = of_parcel(txn, &s, &p).await?;
        write(txn, e.aggregator_id, &cells).await
    })
    .await
}

/// `orders.returned`.
///
/// # Errors
/// Retried on database failures.
pub async fn on_returned(app: AppState, d: Delivery<OrderReturned>) -> Result<(), JobError> {
    let e = &d.event;
    claimed(&app, &d, async |txn| {
        let o = order_of(txn, e.aggregator_id, e.order_id).await?;
        let s = sold(txn, &o).await?;
        let rows = crate::orders::repo::returns_of_batch(txn, e.batch_id).await?;
        let cells = of_returns(txn, &s, &rows).await?;
        write(txn, e.aggregator_id, &cells).await
    })
    .await
}

/// What a rebuild found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rebuilt {
    /// Cells the orders give.
    pub cells: usize,
    /// Cells whose facts differ between the table and the orders (absent on one side counts).
    pub differing: usize,
    /// Whether the table was replaced by the rebuilt cells.
    pub applied: bool,
}

/// Every cell of aggregator `agg` computed from its orders, parcels and returns.
///
/// # Errors
/// Database failure.
pub async fn from_orders(
    db: &impl ConnectionTrait,
    agg: Uuid,
) -> ApiResult<BTreeMap<CellKey, Facts>> {
    let orders = crate::orders::repo::all_orders_where(
        db,
        Condition::all()
            .add(shop_order::Column::AggregatorId.eq(agg))
            .add(shop_order::Column::ShippedAt.is_not_null()),
    )
    .await?;
    // Orders shipped in part have no shipped_at yet: their parcels are read too.
    let partly = crate::orders::repo::all_orders_where(
        db,
        Condition::all()
            .add(shop_order::Column::AggregatorId.eq(agg))
            .add(shop_order::Column::ShippedAt.is_null()),
    )
    .await?;
    let mut out: BTreeMap<CellKey, Facts> = BTreeMap::new();
    for o in orders.iter().chain(partly.iter()) {
        let parcels = crate::orders::repo::parcels_of(db, o.id).await?;
        if parcels.iter().all(|p| p.shipped_at.is_none()) {
            continue;
        }
        let s = sold(db, o).await?;
        for p in &parcels {
            for (k, f) in of_parcel(db, &s, p).await? {
                out.entry(k).or_default().add(&f);
            }
        }
        let rows = crate::orders::repo::returns_of(db, o.id).await?;
        for (k, f) in of_returns(db, &s, &rows).await? {
            out.entry(k).or_default().add(&f);
        }
    }
    out.retain(|_, f| !f.is_zero());
    Ok(out)
}

/// The table's cells of aggregator `agg`.
///
/// # Errors
/// Database failure.
pub async fn table(db: &impl ConnectionTrait, agg: Uuid) -> ApiResult<BTreeMap<CellKey, Facts>> {
    let mut out: BTreeMap<CellKey, Facts> = BTreeMap::new();
    for c in repo::cells(db, agg).await? {
        let f = Facts {
            sales_incl: c.sales_incl,
            sales_excl: c.sales_excl,
            units: c.units,
            lines: c.lines,
            returns_incl: c.returns_incl,
            returns_units: c.returns_units,
            refunds: c.refunds,
            orders: c.orders,
        };
        if f.is_zero() {
            continue;
        }
        out.insert(
            CellKey {
                day: c.day,
                producer_id: c.producer_id,
                municipality_code: c.municipality_code,
                island_code: c.island_code,
                category_code: c.category_code,
                channel: c.channel,
                market: c.market,
                destination_prefecture: c.destination_prefecture,
            },
            f,
        );
    }
    Ok(out)
}

/// Rebuilds aggregator `agg`'s rollup from scratch and compares it with the table; with
/// `apply`, replaces the table by the rebuilt cells (in one transaction).
///
/// # Errors
/// Database failure.
pub async fn rebuild(
    db: &sea_orm::DatabaseConnection,
    agg: Uuid,
    apply: bool,
) -> ApiResult<Rebuilt> {
    let txn = crate::db::begin_write(db).await?;
    let fresh = from_orders(&txn, agg).await?;
    let now = table(&txn, agg).await?;
    let mut keys: Vec<&CellKey> = fresh.keys().chain(now.keys()).collect();
    keys.sort();
    keys.dedup();
    let differing = keys
        .iter()
        .filter(|k| fresh.get(**k) != now.get(**k))
        .count();
    if apply && differing > 0 {
        repo::clear(&txn, agg).await?;
        write(&txn, agg, &fresh).await?;
        txn.commit().await?;
    }
    Ok(Rebuilt {
        cells: fresh.len(),
        differing,
        applied: apply && differing > 0,
    })
}
