//! The public catalogue of one aggregator's shared shop: sellable products only (listed, of an
//! approved producer that is not closed today), sold-out ones marked as such; Japanese substring
//! and English case-insensitive search, filters, deterministic sorts and keyset cursors.
use super::{cache::ShopCache, repo};
use crate::{
    catalog::domain::TEMPERATURE_CLASSES,
    core::{self, validate},
    db::sql_for,
    error::{ApiError, ApiResult},
    inventory::rules::Rules,
    state::AppState,
};
use chrono::{DateTime, Utc};
use entity::{aggregator, category, producer, product, sku};
use sea_orm::{ConnectionTrait, Value};
use serde::{Deserialize, Serialize};
use std::{
    collections::{HashMap, HashSet},
    sync::Arc,
};
use uuid::Uuid;

/// Sort orders of the shop listing; every one ends with the product id, so pages never skip
/// or repeat a product.
pub const SORTS: [&str; 3] = ["new", "price_asc", "price_desc"];

/// Filters of the shop listing.
#[derive(Debug, Clone, Default)]
pub struct ShopFilter {
    pub q: Option<String>,
    pub island: Option<String>,
    pub municipality: Option<String>,
    pub category: Option<String>,
    pub tag: Option<String>,
    pub temperature: Option<String>,
    pub producer_id: Option<Uuid>,
    pub price_min: Option<i64>,
    pub price_max: Option<i64>,
    pub in_stock: Option<bool>,
    pub sort: Option<String>,
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

/// One SKU as the shop shows it.
#[derive(Debug, Clone)]
pub struct ShopSku {
    pub sku: sku::Model,
    /// Units that can be sold now (0 = sold out).
    pub available: i64,
}

/// A product as the shop shows it.
#[derive(Debug, Clone)]
pub struct ShopProduct {
    pub product: product::Model,
    pub producer: producer::Model,
    pub category: Option<category::Model>,
    pub skus: Vec<ShopSku>,
    pub image_ids: Vec<Uuid>,
}

impl ShopProduct {
    /// The lowest active price.
    pub fn price_from(&self) -> i64 {
        self.skus.iter().map(|s| s.sku.price_yen).min().unwrap_or(0)
    }

    /// Whether any SKU can be bought now.
    pub fn in_stock(&self) -> bool {
        self.skus.iter().any(|s| s.available > 0)
    }
}

#[derive(Serialize, Deserialize)]
struct Cursor {
    /// The sort key of the last row (price, or listing time in microseconds).
    k: i64,
    id: Uuid,
}

/// One page of the shop listing.
#[derive(Debug, Clone)]
pub struct Page {
    pub items: Vec<ShopProduct>,
    /// The cursor of the next page, if there is one.
    pub next: Option<String>,
}

/// The aggregator a public shop path names, through the shop cache (404 for unknown slugs).
///
/// # Errors
/// 404.
#[tracing::instrument(skip_all)]
pub async fn shop_aggregator(app: &AppState, slug: &str) -> ApiResult<Arc<aggregator::Model>> {
    app.part::<ShopCache>()?
        .aggregators
        .get_or_load(slug.to_string(), || aggregator_by_slug(&app.db, slug))
        .await
}

/// The aggregator a public shop path names (404 for unknown slugs).
///
/// # Errors
/// 404.
#[tracing::instrument(skip_all)]
pub async fn aggregator_by_slug(
    db: &impl ConnectionTrait,
    slug: &str,
) -> ApiResult<aggregator::Model> {
    crate::aggregators::repo::by_slug(db, slug)
        .await?
        .ok_or(ApiError::NotFound)
}

/// Approved producers of `agg` that are not closed today (by their own or their island's
/// closure).
///
/// # Errors
/// Database failure.
#[tracing::instrument(skip_all)]
pub async fn open_producers(
    db: &impl ConnectionTrait,
    agg: Uuid,
) -> ApiResult<HashMap<Uuid, producer::Model>> {
    open_producers_among(db, agg, None).await
}

/// [`open_producers`] limited to `among` (when given).
///
/// # Errors
/// Database failure.
#[tracing::instrument(skip_all)]
pub async fn open_producers_among(
    db: &impl ConnectionTrait,
    agg: Uuid,
    among: Option<&[Uuid]>,
) -> ApiResult<HashMap<Uuid, producer::Model>> {
    Ok(repo::producers_open_on(
        db,
        agg,
        crate::producers::service::status::APPROVED,
        core::today_jst(),
        among,
    )
    .await?
    .into_iter()
    .map(|p| (p.id, p))
    .collect())
}

/// Units of each SKU that can be sold now: unreserved units in lots of `agg` that still have
/// their category's minimum days left. `category_of_sku` names the SKUs and their products'
/// categories.
///
/// # Errors
/// Database failure.
#[tracing::instrument(skip_all)]
pub async fn available(
    app: &AppState,
    agg: Uuid,
    category_of_sku: HashMap<Uuid, String>,
) -> ApiResult<HashMap<Uuid, i64>> {
    if category_of_sku.is_empty() {
        return Ok(HashMap::new());
    }
    let lots = repo::unreserved_lots(&app.db, agg, category_of_sku.keys().copied()).await?;
    let rules = shop_rules(app, agg).await?;
    Ok(crate::inventory::stock::sellable_per_sku(
        &lots,
        &rules.min_days_of(category_of_sku),
    ))
}

/// The inventory rules of `agg` through the shop cache.
///
/// # Errors
/// Database failure.
#[tracing::instrument(skip_all)]
pub async fn shop_rules(app: &AppState, agg: Uuid) -> ApiResult<Arc<Rules>> {
    crate::inventory::rules::cached(app, agg).await
}

fn bad(field: &str, msg: &str) -> ApiError {
    ApiError::field(field, msg)
}

fn like_pattern(q: &str) -> String {
    let escaped = q
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// One page of the shop listing and the next cursor, through the shop cache.
///
/// # Errors
/// 422 naming the bad filter; 404 unknown shop.
#[tracing::instrument(skip_all)]
pub async fn list(app: &AppState, agg: Uuid, f: ShopFilter) -> ApiResult<Arc<Page>> {
    let key = format!("{agg}|{f:?}");
    app.part::<ShopCache>()?
        .lists
        .get_or_load(key, || list_fresh(app, agg, f))
        .await
}

/// One page of the shop listing, read from the database.
async fn list_fresh(app: &AppState, agg: Uuid, f: ShopFilter) -> ApiResult<Page> {
    let (sort, limit, after) = validated(&f)?;
    let producers = open_producers(&app.db, agg).await?;
    let producer_ids = matching_producers(&producers, &f);
    if producer_ids.is_empty() {
        return Ok(Page {
            items: Vec::new(),
            next: None,
        });
    }
    let backend = app.db.get_database_backend();
    let mut args = Args::default();
    let wh = conditions(app, agg, &f, &producer_ids, &mut args).await?;
    let sql = page_sql(&wh, sort, after.as_ref(), limit, &mut args);
    let mut rows = repo::listing_rows(&app.db, &sql_for(backend, &sql), args.0).await?;
    let next = next_cursor(&mut rows, sort, limit);
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let rows = repo::products(&app.db, ids.clone()).await?;
    let mut products = load(app, agg, &producers, rows).await?;
    // Keep the SQL order.
    products.sort_by_key(|p| ids.iter().position(|i| *i == p.product.id));
    Ok(Page {
        items: products,
        next,
    })
}

/// Checks the filter, the first bad field refusing it; gives the sort, the page size and the
/// decoded cursor.
fn validated(f: &ShopFilter) -> ApiResult<(&str, u64, Option<Cursor>)> {
    let sort = f.sort.as_deref().unwrap_or("new");
    if !SORTS.contains(&sort) {
        return Err(bad("sort", "must be new, price_asc or price_desc"));
    }
    let limit = f.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        return Err(bad("limit", "must be between 1 and 100"));
    }
    let after = decode_cursor(f.cursor.as_deref())?;
    for (name, v) in [("price_min", f.price_min), ("price_max", f.price_max)] {
        if v.is_some_and(|v| !(0..=100_000_000).contains(&v)) {
            return Err(bad(name, "must be 0 to 100,000,000 yen"));
        }
    }
    if let (Some(a), Some(b)) = (f.price_min, f.price_max)
        && a > b
    {
        return Err(bad("price_max", "must not be below price_min"));
    }
    if let Some(t) = &f.temperature
        && !TEMPERATURE_CLASSES.contains(&t.as_str())
    {
        return Err(bad("temperature", "must be ambient, chilled or frozen"));
    }
    let printable = |s: &str| !s.chars().any(char::is_control) && s.chars().count() <= 100;
    for (name, v) in [("q", &f.q), ("tag", &f.tag)] {
        if v.as_deref().is_some_and(|v| !printable(v)) {
            return Err(bad(name, "must be at most 100 printable characters"));
        }
    }
    for (name, v) in [
        ("island", &f.island),
        ("municipality", &f.municipality),
        ("category", &f.category),
    ] {
        if let Some(v) = v {
            validate::code(v, 32).map_err(|m| bad(name, m))?;
        }
    }
    Ok((sort, limit, after))
}

/// The keyset cursor a page link carries (hex of its JSON), if one is given.
fn decode_cursor(cursor: Option<&str>) -> ApiResult<Option<Cursor>> {
    match cursor {
        None => Ok(None),
        Some(c) => Ok(Some(
            hex::decode(c)
                .ok()
                .and_then(|b| serde_json::from_slice(&b).ok())
                .ok_or_else(|| bad("cursor", "is not a valid cursor"))?,
        )),
    }
}

/// The open producers the filter's producer, island and municipality leave.
fn matching_producers(producers: &HashMap<Uuid, producer::Model>, f: &ShopFilter) -> Vec<Uuid> {
    producers
        .values()
        .filter(|p| f.producer_id.is_none_or(|id| id == p.id))
        .filter(|p| {
            f.island
                .as_ref()
                .is_none_or(|i| p.island_code.as_ref() == Some(i))
        })
        .filter(|p| {
            f.municipality
                .as_ref()
                .is_none_or(|m| &p.municipality_code == m)
        })
        .map(|p| p.id)
        .collect()
}

/// The values of a statement, each named by its `$n` placeholder in the order added.
#[derive(Default)]
struct Args(Vec<Value>);

impl Args {
    /// Adds a value and gives its placeholder.
    fn arg(&mut self, v: Value) -> String {
        self.0.push(v);
        format!("${}", self.0.len())
    }
}

/// The WHERE conditions of the listing over `product p JOIN sku s` (listed products of the
/// matching producers with an active SKU, and the filter's category, temperature, tag, text,
/// prices and stock).
async fn conditions(
    app: &AppState,
    agg: Uuid,
    f: &ShopFilter,
    producer_ids: &[Uuid],
    args: &mut Args,
) -> ApiResult<Vec<String>> {
    let mut wh = vec![
        format!("p.aggregator_id = {}", args.arg(agg.into())),
        format!("p.status = {}", args.arg("listed".into())),
        "s.active = TRUE".to_string(),
    ];
    let list = producer_ids
        .iter()
        .map(|id| args.arg((*id).into()))
        .collect::<Vec<_>>()
        .join(", ");
    wh.push(format!("p.producer_id IN ({list})"));
    if let Some(c) = &f.category {
        let children: Vec<String> = crate::catalog::repo::child_category_codes(&app.db, c)
            .await?
            .into_iter()
            .chain([c.clone()])
            .collect();
        let list = children
            .into_iter()
            .map(|c| args.arg(c.into()))
            .collect::<Vec<_>>()
            .join(", ");
        wh.push(format!("p.category_code IN ({list})"));
    }
    if let Some(t) = &f.temperature {
        wh.push(format!(
            "p.temperature_class = {}",
            args.arg(t.clone().into())
        ));
    }
    if let Some(t) = f.tag.as_deref().filter(|t| !t.is_empty()) {
        let quoted = serde_json::to_string(t).unwrap_or_default();
        let p = args.arg(like_pattern(&quoted).into());
        wh.push(format!("LOWER(p.tags) LIKE {p} ESCAPE '\\'"));
    }
    if let Some(q) = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let p = args.arg(like_pattern(q).into());
        wh.push(format!(
            "(LOWER(p.title_ja) LIKE {p} ESCAPE '\\' OR LOWER(COALESCE(p.title_en, '')) LIKE {p} ESCAPE '\\' \
             OR LOWER(p.description_ja) LIKE {p} ESCAPE '\\' OR LOWER(COALESCE(p.description_en, '')) LIKE {p} ESCAPE '\\')"
        ));
    }
    if let Some(v) = f.price_min {
        wh.push(format!("s.price_yen >= {}", args.arg(v.into())));
    }
    if let Some(v) = f.price_max {
        wh.push(format!("s.price_yen <= {}", args.arg(v.into())));
    }
    if f.in_stock == Some(true) {
        wh.push(in_stock_condition(app, agg, args).await?);
    }
    Ok(wh)
}

/// The condition that a SKU has a lot with unreserved units that keeps its category's minimum
/// days (rule or default).
async fn in_stock_condition(app: &AppState, agg: Uuid, args: &mut Args) -> ApiResult<String> {
    let today = core::today_jst();
    let rules =
        repo::inventory_rules_of_kind(&app.db, agg, crate::inventory::rules::MIN_DAYS_CATEGORY)
            .await?;
    let mut case = String::from("CASE p.category_code");
    for r in rules {
        let k = args.arg(r.key.clone().into());
        let d = args.arg((today + chrono::Duration::days(i64::from(r.days))).into());
        case.push_str(&format!(" WHEN {k} THEN {d}"));
    }
    let d = args
        .arg((today + chrono::Duration::days(app.settings.inventory.min_remaining_days)).into());
    // Without per-category rules the default date applies to every lot.
    let case = if case.contains("WHEN") {
        format!("{case} ELSE {d} END")
    } else {
        d
    };
    Ok(format!(
        "EXISTS (SELECT 1 FROM stock_lot l WHERE l.sku_id = s.id AND l.on_hand > l.reserved \
         AND l.best_before >= {case})"
    ))
}

/// The page query: products matching `wh` with their lowest price, in the sort's order, after
/// the cursor's row, one more than `limit` (to know whether a next page exists).
fn page_sql(
    wh: &[String],
    sort: &str,
    after: Option<&Cursor>,
    limit: u64,
    args: &mut Args,
) -> String {
    let inner = format!(
        "SELECT p.id AS id, MIN(s.price_yen) AS min_price, p.listed_at AS listed_at \
         FROM product p JOIN sku s ON s.product_id = p.id WHERE {} GROUP BY p.id, p.listed_at",
        wh.join(" AND ")
    );
    let (keyset, order) = match sort {
        "price_asc" => (
            "(t.min_price > $K OR (t.min_price = $K AND t.id > $I))",
            "t.min_price ASC, t.id ASC",
        ),
        "price_desc" => (
            "(t.min_price < $K OR (t.min_price = $K AND t.id > $I))",
            "t.min_price DESC, t.id ASC",
        ),
        _ => (
            "(t.listed_at < $K OR (t.listed_at = $K AND t.id < $I))",
            "t.listed_at DESC, t.id DESC",
        ),
    };
    let mut outer = format!("SELECT t.id, t.min_price, t.listed_at FROM ({inner}) t");
    if let Some(c) = after {
        let k = if sort == "new" {
            args.arg(
                DateTime::<Utc>::from_timestamp_micros(c.k)
                    .unwrap_or_default()
                    .into(),
            )
        } else {
            args.arg(c.k.into())
        };
        let i = args.arg(c.id.into());
        outer.push_str(&format!(
            " WHERE {}",
            keyset.replace("$K", &k).replace("$I", &i)
        ));
    }
    outer.push_str(&format!(" ORDER BY {order} LIMIT {}", limit + 1));
    outer
}

/// Cuts `rows` to `limit` and gives the cursor of the next page when there were more.
fn next_cursor(rows: &mut Vec<repo::ListingRow>, sort: &str, limit: u64) -> Option<String> {
    let more = rows.len() > usize::try_from(limit).unwrap_or(usize::MAX);
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    if more {
        rows.last().map(|r| {
            let k = if sort == "new" {
                r.listed_at.map_or(0, |t| t.timestamp_micros())
            } else {
                r.min_price
            };
            hex::encode(serde_json::to_vec(&Cursor { k, id: r.id }).unwrap_or_default())
        })
    } else {
        None
    }
}

/// Loads products with their producer, category, active SKUs, availability and photo ids.
async fn load(
    app: &AppState,
    agg: Uuid,
    producers: &HashMap<Uuid, producer::Model>,
    products: Vec<product::Model>,
) -> ApiResult<Vec<ShopProduct>> {
    if products.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Uuid> = products.iter().map(|p| p.id).collect();
    let skus = crate::catalog::repo::skus_of_products(&app.db, &ids, true).await?;
    let category_of_sku = skus
        .iter()
        .filter_map(|s| {
            let p = products.iter().find(|p| p.id == s.product_id)?;
            Some((s.id, p.category_code.clone()))
        })
        .collect();
    let avail = available(app, agg, category_of_sku).await?;
    let images = crate::catalog::repo::images_of(&app.db, &ids).await?;
    let codes: HashSet<String> = products.iter().map(|p| p.category_code.clone()).collect();
    let categories: HashMap<String, category::Model> = repo::categories_among(&app.db, codes)
        .await?
        .into_iter()
        .map(|c| (c.code.clone(), c))
        .collect();
    Ok(products
        .into_iter()
        .filter_map(|p| {
            let producer = producers.get(&p.producer_id)?.clone();
            let skus: Vec<ShopSku> = skus
                .iter()
                .filter(|s| s.product_id == p.id)
                .map(|s| ShopSku {
                    available: avail.get(&s.id).copied().unwrap_or(0),
                    sku: s.clone(),
                })
                .collect();
            if skus.is_empty() {
                return None;
            }
            Some(ShopProduct {
                category: categories.get(&p.category_code).cloned(),
                image_ids: images
                    .iter()
                    .filter(|i| i.product_id == p.id)
                    .map(|i| i.id)
                    .collect(),
                producer,
                skus,
                product: p,
            })
        })
        .collect())
}

/// One sellable product of the shop, through the shop cache (404 when it is not sellable now).
///
/// # Errors
/// 404.
#[tracing::instrument(skip_all)]
pub async fn get(app: &AppState, agg: Uuid, id: Uuid) -> ApiResult<Arc<ShopProduct>> {
    app.part::<ShopCache>()?
        .products
        .get_or_load((agg, id), || async {
            get_many(app, agg, &[id])
                .await?
                .pop()
                .ok_or(ApiError::NotFound)
        })
        .await
}

/// The sellable products among `ids` (others are left out), in no particular order.
///
/// # Errors
/// Database failure.
#[tracing::instrument(skip_all)]
pub async fn get_many(app: &AppState, agg: Uuid, ids: &[Uuid]) -> ApiResult<Vec<ShopProduct>> {
    let listed = repo::listed_products(&app.db, agg, ids).await?;
    if listed.is_empty() {
        return Ok(Vec::new());
    }
    let makers: Vec<Uuid> = listed.iter().map(|p| p.producer_id).collect();
    let producers = open_producers_among(&app.db, agg, Some(&makers)).await?;
    load(app, agg, &producers, listed).await
}
