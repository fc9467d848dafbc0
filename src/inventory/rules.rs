//! Per-aggregator overrides of the shelf-life minimum (per category) and transit days (per
//! destination prefecture); the `[inventory]` settings are the defaults.
use super::repo;
use crate::catalog::repo as catalog_repo;
use crate::{
    core::{self, cache::TtlCache, validate},
    error::{ApiError, ApiResult},
    http::actor::{Actor, Role},
    state::AppState,
};
use entity::{inventory_rule, sku, stock_lot};
use sea_orm::{ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// The rules of each aggregator kept for `shop.cache_ttl_ms` (a change through this instance
/// replaces them at once); the public shop reads them on every page.
pub struct RulesCache(TtlCache<Uuid, Rules>);

impl RulesCache {
    /// An empty cache with the shop's time limit (0 = no caching).
    pub fn new(cfg: &crate::config::ShopConfig) -> Self {
        Self(TtlCache::new(
            std::time::Duration::from_millis(cfg.cache_ttl_ms),
            1_000,
        ))
    }
}

/// The rules of `agg` through the cache.
///
/// # Errors
/// Database failure.
#[tracing::instrument(skip_all)]
pub async fn cached(app: &AppState, agg: Uuid) -> ApiResult<std::sync::Arc<Rules>> {
    app.part::<RulesCache>()?
        .0
        .get_or_load(agg, || Rules::load(app, &app.db, agg))
        .await
}

/// Rule kinds.
pub const MIN_DAYS_CATEGORY: &str = "min_days_category";
pub const TRANSIT_DAYS_PREFECTURE: &str = "transit_days_prefecture";

async fn category_of(db: &impl ConnectionTrait, s: &sku::Model) -> ApiResult<Option<String>> {
    Ok(catalog_repo::product(db, s.product_id)
        .await?
        .map(|p| p.category_code))
}

/// Days a lot of `s` must still have left to be sold in aggregator `agg`: its category's
/// minimum (override or default).
///
/// # Errors
/// Database failure.
#[tracing::instrument(skip_all)]
pub async fn min_days(
    app: &AppState,
    db: &impl ConnectionTrait,
    agg: Uuid,
    s: &sku::Model,
) -> ApiResult<i64> {
    let category = category_of(db, s).await?;
    Ok(Rules::load(app, db, agg)
        .await?
        .required_days(category.as_deref(), None))
}

/// Days a lot of `sku` must still have left to be reserved for `destination` in aggregator
/// `agg`: the category's minimum (override or default) plus the transit days.
///
/// # Errors
/// Database failure.
#[tracing::instrument(skip_all)]
pub async fn required_days(
    app: &AppState,
    db: &impl ConnectionTrait,
    agg: Uuid,
    s: &sku::Model,
    destination: Option<&str>,
) -> ApiResult<i64> {
    let category = category_of(db, s).await?;
    Ok(Rules::load(app, db, agg)
        .await?
        .required_days(category.as_deref(), destination))
}

/// Every rule of one aggregator, read in one query (checkout resolves all its lines from it;
/// [`min_days`] and [`required_days`] use it for one SKU).
#[derive(Debug)]
pub struct Rules {
    agg: Uuid,
    min_default: i64,
    transit_okinawa: i64,
    transit_other: i64,
    min_by_category: HashMap<String, i64>,
    transit_by_prefecture: HashMap<String, i64>,
}

impl Rules {
    /// Loads the rules of `agg`.
    ///
    /// # Errors
    /// Database failure.
    pub async fn load(app: &AppState, db: &impl ConnectionTrait, agg: Uuid) -> ApiResult<Self> {
        let cfg = &app.settings.inventory;
        let mut out = Self {
            agg,
            min_default: cfg.min_remaining_days,
            transit_okinawa: cfg.transit_days_okinawa,
            transit_other: cfg.transit_days_other,
            min_by_category: HashMap::new(),
            transit_by_prefecture: HashMap::new(),
        };
        let of_agg = Condition::all().add(inventory_rule::Column::AggregatorId.eq(agg));
        for r in repo::rules_where(db, of_agg).await? {
            let days = i64::from(r.days);
            match r.kind.as_str() {
                MIN_DAYS_CATEGORY => out.min_by_category.insert(r.key, days),
                TRANSIT_DAYS_PREFECTURE => out.transit_by_prefecture.insert(r.key, days),
                _ => None,
            };
        }
        Ok(out)
    }

    /// Days a lot must still have left for a product of `category` (none: the default
    /// minimum) going to `destination` (none: no transit days).
    pub fn required_days(&self, category: Option<&str>, destination: Option<&str>) -> i64 {
        let min = category
            .and_then(|c| self.min_by_category.get(c))
            .copied()
            .unwrap_or(self.min_default);
        let transit = match destination {
            None => 0,
            Some(p) => match self.transit_by_prefecture.get(p) {
                Some(d) => *d,
                None if p == "47" => self.transit_okinawa,
                None => self.transit_other,
            },
        };
        min + transit
    }

    /// The [`MinDays`] of lots of SKUs whose categories are known.
    pub fn min_days_of(&self, category_of_sku: HashMap<Uuid, String>) -> MinDays {
        MinDays {
            default: self.min_default,
            by_rule: self
                .min_by_category
                .iter()
                .map(|(k, v)| ((self.agg, k.clone()), *v))
                .collect(),
            category_of_sku,
        }
    }
}

/// The minimum remaining days for sale of a set of lots, resolved once for the whole set (the
/// stock views and the daily alerts flag each lot against its own category's minimum).
#[derive(Debug, Default)]
pub struct MinDays {
    default: i64,
    by_rule: HashMap<(Uuid, String), i64>,
    category_of_sku: HashMap<Uuid, String>,
}

impl MinDays {
    /// Loads the rules and categories that `lots` need.
    ///
    /// # Errors
    /// Database failure.
    pub async fn load(
        app: &AppState,
        db: &impl ConnectionTrait,
        lots: &[stock_lot::Model],
    ) -> ApiResult<Self> {
        let sku_ids: HashSet<Uuid> = lots.iter().map(|l| l.sku_id).collect();
        let aggs: HashSet<Uuid> = lots.iter().map(|l| l.aggregator_id).collect();
        let mut category_of_sku = HashMap::new();
        let ids: Vec<Uuid> = sku_ids.into_iter().collect();
        for chunk in ids.chunks(500) {
            let skus = catalog_repo::skus_among(db, chunk.iter().copied()).await?;
            let categories: HashMap<Uuid, String> =
                catalog_repo::products_among(db, skus.iter().map(|s| s.product_id))
                    .await?
                    .into_iter()
                    .map(|p| (p.id, p.category_code))
                    .collect();
            for s in skus {
                if let Some(c) = categories.get(&s.product_id) {
                    category_of_sku.insert(s.id, c.clone());
                }
            }
        }
        let by_rule = repo::rules_where(
            db,
            Condition::all()
                .add(inventory_rule::Column::Kind.eq(MIN_DAYS_CATEGORY))
                .add(inventory_rule::Column::AggregatorId.is_in(aggs)),
        )
        .await?
        .into_iter()
        .map(|r| ((r.aggregator_id, r.key), i64::from(r.days)))
        .collect();
        Ok(Self {
            default: app.settings.inventory.min_remaining_days,
            by_rule,
            category_of_sku,
        })
    }

    /// The minimum for one lot.
    pub fn for_lot(&self, lot: &stock_lot::Model) -> i64 {
        self.category_of_sku
            .get(&lot.sku_id)
            .and_then(|c| self.by_rule.get(&(lot.aggregator_id, c.clone())))
            .copied()
            .unwrap_or(self.default)
    }

    /// The largest minimum any aggregator uses (how far ahead the alerts must look).
    ///
    /// # Errors
    /// Database failure.
    pub async fn horizon(app: &AppState, db: &impl ConnectionTrait) -> ApiResult<i64> {
        let rules = repo::rules_where(
            db,
            Condition::all().add(inventory_rule::Column::Kind.eq(MIN_DAYS_CATEGORY)),
        )
        .await?;
        Ok(rules
            .iter()
            .map(|r| i64::from(r.days))
            .chain([app.settings.inventory.min_remaining_days])
            .max()
            .unwrap_or_default())
    }
}

/// The tenant's rules.
///
/// # Errors
/// 403 non-staff.
#[tracing::instrument(skip_all)]
pub async fn list(app: &AppState, actor: &Actor) -> ApiResult<Vec<inventory_rule::Model>> {
    actor.require(&[Role::Operator, Role::Admin])?;
    let agg = actor.aggregator_id.ok_or_else(ApiError::forbidden)?;
    Ok(repo::rules_where(
        &app.db,
        Condition::all().add(inventory_rule::Column::AggregatorId.eq(agg)),
    )
    .await?)
}

/// Sets a rule (insert or replace).
///
/// # Errors
/// 403; 422 unknown kind, key or days out of range.
#[tracing::instrument(skip_all)]
pub async fn set(
    app: &AppState,
    actor: &Actor,
    kind: &str,
    key: &str,
    days: i32,
) -> ApiResult<inventory_rule::Model> {
    actor.require(&[Role::Operator, Role::Admin])?;
    let agg = actor.aggregator_id.ok_or_else(ApiError::forbidden)?;
    let key = validate::code(key, 32).map_err(|m| ApiError::field("key", m))?;
    match kind {
        MIN_DAYS_CATEGORY => {
            if catalog_repo::category(&app.db, key.clone())
                .await?
                .is_none()
            {
                return Err(ApiError::field("key", "not a category code"));
            }
        }
        TRANSIT_DAYS_PREFECTURE => {
            if !(key.len() == 2 && key.parse::<u8>().is_ok_and(|n| (1..=47).contains(&n))) {
                return Err(ApiError::field("key", "must be a JIS X 0401 code 01-47"));
            }
        }
        _ => {
            return Err(ApiError::field(
                "kind",
                "must be min_days_category or transit_days_prefecture",
            ));
        }
    }
    if !(0..=3650).contains(&days) {
        return Err(ApiError::field("days", "must be 0 to 3650"));
    }
    let row = inventory_rule::ActiveModel {
        id: Set(core::new_id()),
        aggregator_id: Set(agg),
        kind: Set(kind.to_string()),
        key: Set(key.clone()),
        days: Set(days),
        updated_at: Set(core::now()),
    };
    repo::upsert_rule(&app.db, row).await?;
    app.part::<RulesCache>()?.0.remove(&agg);
    repo::rules_where(
        &app.db,
        Condition::all()
            .add(inventory_rule::Column::AggregatorId.eq(agg))
            .add(inventory_rule::Column::Kind.eq(kind))
            .add(inventory_rule::Column::Key.eq(key)),
    )
    .await?
    .into_iter()
    .next()
    .ok_or(ApiError::NotFound)
}
