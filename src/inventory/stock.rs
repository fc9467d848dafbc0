//! Stock views: lots with on hand / reserved / available / days to date, and the movement
//! history. Producers see their own; staff their aggregator's.
use crate::{
    auth::actor::{Actor, Role},
    core,
    error::{ApiError, ApiResult},
    startup::AppState,
};
use entity::{stock_lot, stock_movement};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
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
    pub expiring_within_days: Option<i64>,
}

/// Lots in scope, first expiry first.
///
/// # Errors
/// 403 officers; 422 bad filter.
pub async fn lots(app: &AppState, actor: &Actor, f: LotFilter) -> ApiResult<Vec<stock_lot::Model>> {
    let mut cond = scope(actor)?;
    if let Some(s) = f.sku_id {
        cond = cond.add(stock_lot::Column::SkuId.eq(s));
    }
    if let Some(p) = f.producer_id {
        cond = cond.add(stock_lot::Column::ProducerId.eq(p));
    }
    if let Some(d) = f.expiring_within_days {
        if !(0..=3650).contains(&d) {
            return Err(ApiError::field("expiring_within_days", "must be 0 to 3650"));
        }
        cond = cond
            .add(stock_lot::Column::BestBefore.lte(core::today_jst() + chrono::Duration::days(d)));
    }
    Ok(stock_lot::Entity::find()
        .filter(cond)
        .order_by_asc(stock_lot::Column::BestBefore)
        .order_by_asc(stock_lot::Column::Id)
        .limit(1000)
        .all(&app.db)
        .await?)
}

/// Movements of a lot or a SKU in scope, oldest first.
///
/// # Errors
/// 404 when the lot is out of scope; 422 without a lot or SKU.
pub async fn movements(
    app: &AppState,
    actor: &Actor,
    lot_id: Option<Uuid>,
    sku_id: Option<Uuid>,
) -> ApiResult<Vec<stock_movement::Model>> {
    let lots: Vec<Uuid> = match (lot_id, sku_id) {
        (Some(l), _) => stock_lot::Entity::find()
            .filter(scope(actor)?.add(stock_lot::Column::Id.eq(l)))
            .all(&app.db)
            .await?
            .into_iter()
            .map(|l| l.id)
            .collect(),
        (None, Some(s)) => stock_lot::Entity::find()
            .filter(scope(actor)?.add(stock_lot::Column::SkuId.eq(s)))
            .all(&app.db)
            .await?
            .into_iter()
            .map(|l| l.id)
            .collect(),
        (None, None) => return Err(ApiError::field("lot_id", "give lot_id or sku_id")),
    };
    if lots.is_empty() && lot_id.is_some() {
        return Err(ApiError::NotFound);
    }
    Ok(stock_movement::Entity::find()
        .filter(stock_movement::Column::LotId.is_in(lots))
        .order_by_asc(stock_movement::Column::Id)
        .limit(5000)
        .all(&app.db)
        .await?)
}

/// The stock view as CSV (UTF-8 with BOM or Shift_JIS), one row per lot.
///
/// # Errors
/// As [`lots`]; 422 for text that Shift_JIS cannot hold.
pub async fn export(
    app: &AppState,
    actor: &Actor,
    f: LotFilter,
    enc: crate::catalog::csv_io::CsvEncoding,
) -> ApiResult<Vec<u8>> {
    let rows = lots(app, actor, f).await?;
    let skus: std::collections::HashMap<Uuid, String> = entity::sku::Entity::find()
        .filter(entity::sku::Column::Id.is_in(rows.iter().map(|l| l.sku_id).collect::<Vec<_>>()))
        .all(&app.db)
        .await?
        .into_iter()
        .map(|s| (s.id, s.code))
        .collect();
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let err = |e: csv::Error| ApiError::Internal(e.into());
    w.write_record([
        "sku_code",
        "lot_code",
        "best_before",
        "days_to_date",
        "on_hand",
        "reserved",
        "available",
        "producer_id",
        "lot_id",
    ])
    .map_err(err)?;
    let today = core::today_jst();
    for l in rows {
        w.write_record([
            skus.get(&l.sku_id).cloned().unwrap_or_default(),
            l.lot_code.clone(),
            l.best_before.to_string(),
            (l.best_before - today).num_days().to_string(),
            l.on_hand.to_string(),
            l.reserved.to_string(),
            (l.on_hand - l.reserved).to_string(),
            l.producer_id.to_string(),
            l.id.to_string(),
        ])
        .map_err(err)?;
    }
    let text = String::from_utf8(
        w.into_inner()
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("{e}")))?,
    )
    .map_err(|e| ApiError::Internal(e.into()))?;
    crate::catalog::csv_io::encode(&text, enc)
}
