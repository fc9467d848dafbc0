//! Stock views: lots with on hand / reserved / available / days to date, and the movement
//! history. Producers see their own; staff their aggregator's.
use super::repo;
use crate::catalog::repo as catalog_repo;
use crate::{
    catalog::domain::TEMPERATURE_CLASSES,
    core::{self, validate},
    error::{ApiError, ApiResult},
    http::actor::{Actor, Role},
    state::AppState,
};
use entity::{producer, product, sku, stock_lot, stock_movement};
use sea_orm::{
    ColumnTrait, Condition,
    sea_query::{Expr, ExprTrait, Query},
};
use uuid::Uuid;

fn scope(actor: &Actor) -> ApiResult<Condition> {
    match actor.role {
        Role::Admin | Role::Operator | Role::Finance => {
            let a = actor.aggregator_id.ok_or_else(ApiError::forbidden)?;
            Ok(Condition::all().add(stock_lot::Column::AggregatorId.eq(a)))
        }
        Role::Producer => {
            let (Some(a), Some(p)) = (actor.aggregator_id, actor.producer_id) else {
                return Err(ApiError::forbidden());
            };
            Ok(Condition::all()
                .add(stock_lot::Column::AggregatorId.eq(a))
                .add(stock_lot::Column::ProducerId.eq(p)))
        }
        Role::Officer => Err(ApiError::forbidden()),
    }
}

/// Filters for [`lots`].
#[derive(Debug, Clone, Default)]
pub struct LotFilter {
    pub sku_id: Option<Uuid>,
    pub producer_id: Option<Uuid>,
    pub island_code: Option<String>,
    pub temperature_class: Option<String>,
    pub expiring_within_days: Option<i64>,
}

/// Lots in scope, first expiry first.
///
/// # Errors
/// 403 officers; 422 bad filter.
#[tracing::instrument(skip_all)]
pub async fn lots(app: &AppState, actor: &Actor, f: LotFilter) -> ApiResult<Vec<stock_lot::Model>> {
    Ok(repo::lots_where(&app.db, condition(actor, &f)?, Some(1000)).await?)
}

/// The codes of the given lots in scope (others are absent), keyed by lot.
///
/// # Errors
/// 403 officers.
#[tracing::instrument(skip_all)]
pub async fn lot_codes(
    app: &AppState,
    actor: &Actor,
    ids: &[Uuid],
) -> ApiResult<std::collections::HashMap<Uuid, String>> {
    Ok(repo::lots_where(
        &app.db,
        scope(actor)?.add(stock_lot::Column::Id.is_in(ids.iter().copied())),
        None,
    )
    .await?
    .into_iter()
    .map(|l| (l.id, l.lot_code))
    .collect())
}

/// Stock per SKU: the totals of its lots in scope (after the same filters as [`lots`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkuTotal {
    pub sku_id: Uuid,
    pub lots: i64,
    pub on_hand: i64,
    pub reserved: i64,
    pub next_date: Option<chrono::NaiveDate>,
}

/// Totals per SKU over every matching lot with stock (summed by the database, not capped like
/// the lot list), by SKU id.
///
/// # Errors
/// As [`lots`].
#[tracing::instrument(skip_all)]
pub async fn sku_totals(app: &AppState, actor: &Actor, f: LotFilter) -> ApiResult<Vec<SkuTotal>> {
    let rows = repo::sku_totals(&app.db, condition(actor, &f)?).await?;
    Ok(rows
        .into_iter()
        .map(|(sku_id, lots, on_hand, reserved, next_date)| SkuTotal {
            sku_id,
            lots,
            on_hand,
            reserved,
            next_date,
        })
        .collect())
}

fn condition(actor: &Actor, f: &LotFilter) -> ApiResult<Condition> {
    let mut cond = scope(actor)?;
    if let Some(s) = f.sku_id {
        cond = cond.add(stock_lot::Column::SkuId.eq(s));
    }
    if let Some(p) = f.producer_id {
        cond = cond.add(stock_lot::Column::ProducerId.eq(p));
    }
    if let Some(i) = f.island_code.as_deref().filter(|i| !i.is_empty()) {
        let i = validate::code(i, 32).map_err(|m| ApiError::field("island_code", m))?;
        cond = cond.add(
            stock_lot::Column::ProducerId.in_subquery(
                Query::select()
                    .column(producer::Column::Id)
                    .from(producer::Entity)
                    .and_where(producer::Column::IslandCode.eq(i))
                    .to_owned(),
            ),
        );
    }
    if let Some(t) = f.temperature_class.as_deref().filter(|t| !t.is_empty()) {
        if !TEMPERATURE_CLASSES.contains(&t) {
            return Err(ApiError::field(
                "temperature_class",
                "must be ambient, chilled or frozen",
            ));
        }
        cond = cond.add(
            stock_lot::Column::SkuId.in_subquery(
                Query::select()
                    .column((sku::Entity, sku::Column::Id))
                    .from(sku::Entity)
                    .inner_join(
                        product::Entity,
                        Expr::col((product::Entity, product::Column::Id))
                            .equals((sku::Entity, sku::Column::ProductId)),
                    )
                    .and_where(
                        Expr::col((product::Entity, product::Column::TemperatureClass)).eq(t),
                    )
                    .to_owned(),
            ),
        );
    }
    if let Some(d) = f.expiring_within_days {
        if !(0..=3650).contains(&d) {
            return Err(ApiError::field("expiring_within_days", "must be 0 to 3650"));
        }
        cond = cond
            .add(stock_lot::Column::BestBefore.lte(core::today_jst() + chrono::Duration::days(d)));
    }
    Ok(cond)
}

/// One lot in scope.
///
/// # Errors
/// 403 officers; 404 outside the scope.
#[tracing::instrument(skip_all)]
pub async fn lot(app: &AppState, actor: &Actor, id: Uuid) -> ApiResult<stock_lot::Model> {
    repo::lot_where(&app.db, scope(actor)?.add(stock_lot::Column::Id.eq(id)))
        .await?
        .ok_or(ApiError::NotFound)
}

/// Movements of a lot or a SKU in scope, oldest first.
///
/// # Errors
/// 404 when the lot is out of scope; 422 without a lot or SKU.
#[tracing::instrument(skip_all)]
pub async fn movements(
    app: &AppState,
    actor: &Actor,
    lot_id: Option<Uuid>,
    sku_id: Option<Uuid>,
    producer_id: Option<Uuid>,
) -> ApiResult<Vec<stock_movement::Model>> {
    // Within the caller's scope; a producer naming itself (or anyone) sees only its own lots.
    let mut scope = scope(actor)?;
    if let Some(p) = producer_id {
        scope = scope.add(stock_lot::Column::ProducerId.eq(p));
    }
    let cond = match (lot_id, sku_id) {
        (Some(l), _) => scope.add(stock_lot::Column::Id.eq(l)),
        (None, Some(s)) => scope.add(stock_lot::Column::SkuId.eq(s)),
        (None, None) if producer_id.is_some() || actor.role == Role::Producer => scope,
        (None, None) => {
            return Err(ApiError::field(
                "lot_id",
                "give lot_id, sku_id or producer_id",
            ));
        }
    };
    let lots: Vec<Uuid> = repo::lots_where(&app.db, cond, None)
        .await?
        .into_iter()
        .map(|l| l.id)
        .collect();
    if lots.is_empty() && lot_id.is_some() {
        return Err(ApiError::NotFound);
    }
    Ok(repo::movements_of_lots(&app.db, lots).await?)
}

/// The stock view as CSV (UTF-8 with BOM or Shift_JIS), one row per lot.
///
/// # Errors
/// As [`lots`]; 422 for text that Shift_JIS cannot hold.
#[tracing::instrument(skip_all)]
pub async fn export(
    app: &AppState,
    actor: &Actor,
    f: LotFilter,
    enc: crate::core::csv::CsvEncoding,
) -> ApiResult<Vec<u8>> {
    let rows = lots(app, actor, f).await?;
    let skus: std::collections::HashMap<Uuid, String> =
        catalog_repo::skus_among(&app.db, rows.iter().map(|l| l.sku_id).collect::<Vec<_>>())
            .await?
            .into_iter()
            .map(|s| (s.id, s.code))
            .collect();
    let today = core::today_jst();
    let records = rows.into_iter().map(|l| {
        vec![
            skus.get(&l.sku_id).cloned().unwrap_or_default(),
            l.lot_code.clone(),
            l.best_before.to_string(),
            (l.best_before - today).num_days().to_string(),
            l.on_hand.to_string(),
            l.reserved.to_string(),
            (l.on_hand - l.reserved).to_string(),
            l.producer_id.to_string(),
            l.id.to_string(),
        ]
    });
    csv_bytes(
        &[
            "sku_code",
            "lot_code",
            "best_before",
            "days_to_date",
            "on_hand",
            "reserved",
            "available",
            "producer_id",
            "lot_id",
        ],
        records,
        enc,
    )
}

/// A CSV document (CRLF lines, as Excel writes them) in the chosen encoding.
fn csv_bytes(
    header: &[&str],
    records: impl Iterator<Item = Vec<String>>,
    enc: crate::core::csv::CsvEncoding,
) -> ApiResult<Vec<u8>> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let err = |e: csv::Error| ApiError::Internal(e.into());
    w.write_record(header).map_err(err)?;
    for r in records {
        // Text a spreadsheet would run as a formula is escaped; numbers (also negative
        // deltas) stay as they are.
        let cells = r.iter().map(|c| {
            if c.parse::<f64>().is_ok() {
                c.clone()
            } else {
                crate::core::csv::escape_cell(c)
            }
        });
        w.write_record(cells).map_err(err)?;
    }
    let text = String::from_utf8(
        w.into_inner()
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("{e}")))?,
    )
    .map_err(|e| ApiError::Internal(e.into()))?;
    crate::core::csv::encode(&text, enc)
}

/// The movement history of a lot or a SKU as CSV, oldest first (times in JST).
///
/// # Errors
/// As [`movements`]; 422 for text that Shift_JIS cannot hold.
#[tracing::instrument(skip_all)]
pub async fn export_movements(
    app: &AppState,
    actor: &Actor,
    lot_id: Option<Uuid>,
    sku_id: Option<Uuid>,
    producer_id: Option<Uuid>,
    enc: crate::core::csv::CsvEncoding,
) -> ApiResult<Vec<u8>> {
    let rows = movements(app, actor, lot_id, sku_id, producer_id).await?;
    let lots: std::collections::HashMap<Uuid, stock_lot::Model> =
        repo::lots(&app.db, rows.iter().map(|m| m.lot_id).collect::<Vec<_>>())
            .await?
            .into_iter()
            .map(|l| (l.id, l))
            .collect();
    let skus: std::collections::HashMap<Uuid, String> =
        catalog_repo::skus_among(&app.db, rows.iter().map(|m| m.sku_id).collect::<Vec<_>>())
            .await?
            .into_iter()
            .map(|s| (s.id, s.code))
            .collect();
    let records = rows.into_iter().map(|m| {
        vec![
            core::jst_text(m.created_at),
            m.kind,
            skus.get(&m.sku_id).cloned().unwrap_or_default(),
            lots.get(&m.lot_id)
                .map(|l| l.lot_code.clone())
                .unwrap_or_default(),
            m.on_hand_delta.to_string(),
            m.reserved_delta.to_string(),
            m.cause_type,
            m.cause_id.map(|c| c.to_string()).unwrap_or_default(),
            m.loss_bearer.unwrap_or_default(),
            m.reason,
            m.lot_id.to_string(),
            m.id.to_string(),
        ]
    });
    csv_bytes(
        &[
            "time_jst",
            "kind",
            "sku_code",
            "lot_code",
            "on_hand_delta",
            "reserved_delta",
            "cause_type",
            "cause_id",
            "loss_bearer",
            "reason",
            "lot_id",
            "movement_id",
        ],
        records,
        enc,
    )
}

/// Unreserved units per SKU in `lots` that still have their category's minimum days left
/// (lots inside the window are kept for clearance or disposal, never sold).
pub fn sellable_per_sku(
    lots: &[stock_lot::Model],
    min_days: &super::rules::MinDays,
) -> std::collections::HashMap<Uuid, i64> {
    let today = core::today_jst();
    let mut out = std::collections::HashMap::new();
    for l in lots {
        if (l.best_before - today).num_days() >= min_days.for_lot(l) {
            *out.entry(l.sku_id).or_default() += l.on_hand - l.reserved;
        }
    }
    out
}

/// [`sku_totals`] with each SKU's code, product title and low-stock threshold.
///
/// # Errors
/// As [`lots`].
#[tracing::instrument(skip_all)]
pub async fn sku_summary(
    app: &AppState,
    actor: &Actor,
    f: LotFilter,
) -> ApiResult<Vec<(SkuTotal, sku::Model, String, i64)>> {
    let cond = condition(actor, &f)?;
    let totals = sku_totals(app, actor, f).await?;
    // Sellable: unreserved units in lots that still have their category's minimum days left
    // (lots inside the window are kept for clearance or disposal, never reserved).
    let open = repo::open_lots_where(&app.db, cond).await?;
    let min_days = super::rules::MinDays::load(app, &app.db, &open).await?;
    let sellable = sellable_per_sku(&open, &min_days);
    let skus: std::collections::HashMap<Uuid, sku::Model> =
        catalog_repo::skus_among(&app.db, totals.iter().map(|t| t.sku_id).collect::<Vec<_>>())
            .await?
            .into_iter()
            .map(|s| (s.id, s))
            .collect();
    let titles: std::collections::HashMap<Uuid, String> = catalog_repo::products_among(
        &app.db,
        skus.values().map(|s| s.product_id).collect::<Vec<_>>(),
    )
    .await?
    .into_iter()
    .map(|p| (p.id, p.title_ja))
    .collect();
    let mut rows: Vec<_> = totals
        .into_iter()
        .filter_map(|t| {
            let s = skus.get(&t.sku_id)?.clone();
            let title = titles.get(&s.product_id).cloned().unwrap_or_default();
            let sell = sellable.get(&t.sku_id).copied().unwrap_or(0);
            Some((t, s, title, sell))
        })
        .collect();
    rows.sort_by(|a, b| a.1.code.cmp(&b.1.code));
    Ok(rows)
}
