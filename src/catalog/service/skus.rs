//! SKUs: codes, JAN checks, prices and weights.
use crate::catalog::domain::Jan;
use crate::catalog::repo;
use crate::{
    core::{self, validate},
    error::{ApiError, ApiResult},
    http::actor::{Actor, Role},
    state::AppState,
};
use entity::{product, sku};
use sea_orm::{ActiveValue::Set, ColumnTrait};
use uuid::Uuid;

use super::*;

/// A SKU as typed.
#[derive(Debug, Clone, Default)]
pub struct SkuInput {
    pub code: Option<String>,
    pub name: Option<String>,
    pub jan: Option<String>,
    pub price_yen: Option<i64>,
    pub weight_g: Option<i32>,
    pub low_stock_threshold: Option<i32>,
    pub active: Option<bool>,
}

pub(crate) fn check_sku(input: &SkuInput, creating: bool) -> ApiResult<()> {
    let mut errors: Vec<(String, String)> = Vec::new();
    match &input.code {
        Some(c) => {
            let ok = !c.is_empty()
                && c.len() <= 64
                && c.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if !ok {
                errors.push(("code".into(), "1-64 of A-Z, a-z, 0-9, - and _".into()));
            }
        }
        None if creating => errors.push(("code".into(), "is required".into())),
        None => {}
    }
    if let Some(n) = &input.name
        && validate::text(n, 200).is_err()
    {
        errors.push(("name".into(), "1-200 characters".into()));
    }
    match input.price_yen {
        Some(p) if !(1..=10_000_000).contains(&p) => errors.push((
            "price_yen".into(),
            "must be 1 to 10,000,000 yen (tax included)".into(),
        )),
        None if creating => errors.push(("price_yen".into(), "is required (tax included)".into())),
        _ => {}
    }
    match input.weight_g {
        Some(w) if !(1..=100_000).contains(&w) => {
            errors.push(("weight_g".into(), "must be 1 to 100,000 g".into()))
        }
        None if creating => errors.push(("weight_g".into(), "is required".into())),
        _ => {}
    }
    if let Some(t) = input.low_stock_threshold
        && !(0..=100_000).contains(&t)
    {
        errors.push(("low_stock_threshold".into(), "must be 0 to 100,000".into()));
    }
    if let Some(j) = input.jan.as_deref().filter(|j| !j.is_empty())
        && let Err(m) = Jan::parse(j)
    {
        errors.push(("jan".into(), m.into()));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::invalid(errors))
    }
}

fn code_taken(e: ApiError) -> ApiError {
    match e {
        ApiError::Conflict { .. } => ApiError::field("code", "another SKU already uses this code"),
        other => other,
    }
}

/// Adds a SKU to a product (not to retired ones).
///
/// # Errors
/// 404 scope; 409 `product_retired`; 422 fields (also a taken code).
#[tracing::instrument(skip_all)]
pub async fn create_sku(
    app: &AppState,
    actor: &Actor,
    product_id: Uuid,
    input: SkuInput,
) -> ApiResult<sku::Model> {
    actor.require(&[Role::Producer, Role::Operator, Role::Admin])?;
    check_sku(&input, true)?;
    let p = find_in_scope(&app.db, actor, product_id).await?;
    if p.status == status::RETIRED {
        return Err(ApiError::conflict(
            "product_retired",
            "a retired product cannot get SKUs",
        ));
    }
    let jan = input
        .jan
        .as_deref()
        .filter(|j| !j.is_empty())
        .map(Jan::parse)
        .transpose()
        .map_err(|m| ApiError::field("jan", m))?;
    let now = core::now();
    let code = input.code.unwrap_or_default();
    if repo::sku_by_code(&app.db, p.aggregator_id, &code)
        .await?
        .is_some()
    {
        return Err(code_taken(ApiError::conflict("x", "x")));
    }
    let row = sku::ActiveModel {
        id: Set(core::new_id()),
        aggregator_id: Set(p.aggregator_id),
        producer_id: Set(p.producer_id),
        product_id: Set(p.id),
        code: Set(code),
        name: Set(input
            .name
            .map(|n| n.trim().to_string())
            .unwrap_or_else(|| p.title_ja.clone())),
        jan_local_only: Set(jan.as_ref().is_some_and(Jan::is_local_only)),
        jan: Set(jan.map(|j| j.as_str().to_string())),
        price_yen: Set(input.price_yen.unwrap_or_default()),
        weight_g: Set(input.weight_g.unwrap_or_default()),
        low_stock_threshold: Set(input.low_stock_threshold.unwrap_or(0)),
        active: Set(true),
        low_stock_flagged: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
    };
    repo::insert_sku(&app.db, row)
        .await
        .map_err(|e| code_taken(ApiError::from(e)))
}

/// Changes a SKU (price, weight, JAN, threshold, active).
///
/// # Errors
/// 404 scope; 422 fields.
#[tracing::instrument(skip_all)]
pub async fn update_sku(
    app: &AppState,
    actor: &Actor,
    id: Uuid,
    input: SkuInput,
) -> ApiResult<sku::Model> {
    actor.require(&[Role::Producer, Role::Operator, Role::Admin])?;
    check_sku(&input, false)?;
    let s = repo::sku(&app.db, id).await?.ok_or(ApiError::NotFound)?;
    find_in_scope(&app.db, actor, s.product_id).await?;
    let mut am: sku::ActiveModel = s.into();
    if let Some(c) = input.code {
        am.code = Set(c);
    }
    if let Some(n) = input.name {
        am.name = Set(n.trim().to_string());
    }
    if let Some(j) = input.jan {
        if j.is_empty() {
            am.jan = Set(None);
            am.jan_local_only = Set(false);
        } else {
            let jan = Jan::parse(&j).map_err(|m| ApiError::field("jan", m))?;
            am.jan_local_only = Set(jan.is_local_only());
            am.jan = Set(Some(jan.as_str().to_string()));
        }
    }
    if let Some(p) = input.price_yen {
        am.price_yen = Set(p);
    }
    if let Some(w) = input.weight_g {
        am.weight_g = Set(w);
    }
    if let Some(t) = input.low_stock_threshold {
        am.low_stock_threshold = Set(t);
    }
    if let Some(a) = input.active {
        am.active = Set(a);
    }
    am.updated_at = Set(core::now());
    repo::update_sku(&app.db, am)
        .await
        .map_err(|e| code_taken(ApiError::from(e)))
}

/// The active SKUs in the actor's scope with their product title and temperature class (for
/// forms such as the shipment notice).
///
/// # Errors
/// 403 officers.
#[tracing::instrument(skip_all)]
pub async fn skus_in_scope(
    app: &AppState,
    actor: &Actor,
) -> ApiResult<Vec<(sku::Model, String, String)>> {
    let products = repo::all_products_where(
        &app.db,
        scope(actor)?.add(product::Column::Status.ne(status::RETIRED)),
    )
    .await?;
    let by_id: std::collections::HashMap<Uuid, &product::Model> =
        products.iter().map(|p| (p.id, p)).collect();
    let ids: Vec<Uuid> = products.iter().map(|p| p.id).collect();
    let skus = repo::skus_of_products(&app.db, &ids, true).await?;
    Ok(skus
        .into_iter()
        .filter_map(|s| {
            let p = by_id.get(&s.product_id)?;
            Some((s.clone(), p.title_ja.clone(), p.temperature_class.clone()))
        })
        .collect())
}
