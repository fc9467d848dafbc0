//! The shop area's queries: what the public catalogue, the cart and checkout read (listed
//! products, their SKUs, photos and categories, the open producers, unreserved lots, the
//! municipalities), the shop settings document and the quarantine certificate column. The
//! services keep the rules, the caching and the transactions.
use chrono::{DateTime, NaiveDate, Utc};
use entity::{
    category, inventory_rule, municipality, producer, producer_closure, product, shop_settings,
    sku, stock_lot,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, ExprTrait, FromQueryResult,
    JoinType, QueryFilter, QuerySelect, Statement, Value,
    sea_query::{Expr, Query},
};
use uuid::Uuid;

/// One row of a shop listing page: the product, its lowest price and when it was listed.
#[derive(Debug, FromQueryResult)]
pub struct ListingRow {
    pub id: Uuid,
    pub min_price: i64,
    pub listed_at: Option<DateTime<Utc>>,
}

/// The rows of one listing page: `sql` (already in the backend's dialect) with its `values`.
///
/// # Errors
/// Database failure.
pub async fn listing_rows(
    db: &impl ConnectionTrait,
    sql: &str,
    values: Vec<Value>,
) -> Result<Vec<ListingRow>, DbErr> {
    let stmt = Statement::from_sql_and_values(db.get_database_backend(), sql, values);
    ListingRow::find_by_statement(stmt).all(db).await
}

/// Producers of `agg` in state `status` that no closure covers on `today` (neither their own
/// nor their island's), limited to `among` when given.
///
/// # Errors
/// Database failure.
pub async fn producers_open_on(
    db: &impl ConnectionTrait,
    agg: Uuid,
    status: &str,
    today: NaiveDate,
    among: Option<&[Uuid]>,
) -> Result<Vec<producer::Model>, DbErr> {
    use sea_orm::Condition;
    let (p, c) = (producer::Entity, producer_closure::Entity);
    let closed = Query::select()
        .expr(Expr::val(1))
        .from(c)
        .and_where(
            Expr::col((c, producer_closure::Column::AggregatorId))
                .equals((p, producer::Column::AggregatorId)),
        )
        .and_where(Expr::col((c, producer_closure::Column::ClosedFrom)).lte(today))
        .and_where(Expr::col((c, producer_closure::Column::ClosedTo)).gte(today))
        .cond_where(
            Condition::any()
                .add(
                    Expr::col((c, producer_closure::Column::ProducerId))
                        .equals((p, producer::Column::Id)),
                )
                .add(
                    Condition::all()
                        .add(Expr::col((c, producer_closure::Column::ProducerId)).is_null())
                        .add(
                            Expr::col((c, producer_closure::Column::IslandCode))
                                .equals((p, producer::Column::IslandCode)),
                        ),
                ),
        )
        .to_owned();
    let mut found = producer::Entity::find()
        .filter(producer::Column::AggregatorId.eq(agg))
        .filter(producer::Column::Status.eq(status))
        .filter(Expr::exists(closed).not());
    if let Some(ids) = among {
        found = found.filter(producer::Column::Id.is_in(ids.iter().copied()));
    }
    found.all(db).await
}

/// Lots of `agg` holding unreserved units of the SKUs `skus`.
///
/// # Errors
/// Database failure.
pub async fn unreserved_lots(
    db: &impl ConnectionTrait,
    agg: Uuid,
    skus: impl IntoIterator<Item = Uuid>,
) -> Result<Vec<stock_lot::Model>, DbErr> {
    stock_lot::Entity::find()
        .filter(stock_lot::Column::SkuId.is_in(skus))
        .filter(stock_lot::Column::AggregatorId.eq(agg))
        .filter(Expr::col(stock_lot::Column::OnHand).gt(Expr::col(stock_lot::Column::Reserved)))
        .all(db)
        .await
}

/// The products `ids` (any state).
///
/// # Errors
/// Database failure.
pub async fn products(
    db: &impl ConnectionTrait,
    ids: Vec<Uuid>,
) -> Result<Vec<product::Model>, DbErr> {
    product::Entity::find()
        .filter(product::Column::Id.is_in(ids))
        .all(db)
        .await
}

/// The listed products of `agg` among `ids`.
///
/// # Errors
/// Database failure.
pub async fn listed_products(
    db: &impl ConnectionTrait,
    agg: Uuid,
    ids: &[Uuid],
) -> Result<Vec<product::Model>, DbErr> {
    product::Entity::find()
        .filter(product::Column::AggregatorId.eq(agg))
        .filter(product::Column::Status.eq("listed"))
        .filter(product::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await
}

/// The categories `codes`.
///
/// # Errors
/// Database failure.
pub async fn categories_among(
    db: &impl ConnectionTrait,
    codes: impl IntoIterator<Item = String>,
) -> Result<Vec<category::Model>, DbErr> {
    category::Entity::find()
        .filter(category::Column::Code.is_in(codes))
        .all(db)
        .await
}

/// Every category.
///
/// # Errors
/// Database failure.
pub async fn all_categories(db: &impl ConnectionTrait) -> Result<Vec<category::Model>, DbErr> {
    category::Entity::find().all(db).await
}

/// The inventory rules of `agg` of kind `kind`.
///
/// # Errors
/// Database failure.
pub async fn inventory_rules_of_kind(
    db: &impl ConnectionTrait,
    agg: Uuid,
    kind: &str,
) -> Result<Vec<inventory_rule::Model>, DbErr> {
    inventory_rule::Entity::find()
        .filter(inventory_rule::Column::AggregatorId.eq(agg))
        .filter(inventory_rule::Column::Kind.eq(kind))
        .all(db)
        .await
}

/// The SKUs `ids` of `agg`.
///
/// # Errors
/// Database failure.
pub async fn skus_of(
    db: &impl ConnectionTrait,
    agg: Uuid,
    ids: impl IntoIterator<Item = Uuid>,
) -> Result<Vec<sku::Model>, DbErr> {
    sku::Entity::find()
        .filter(sku::Column::AggregatorId.eq(agg))
        .filter(sku::Column::Id.is_in(ids))
        .all(db)
        .await
}

/// The SKUs `ids` of `agg` with their products (one query).
///
/// # Errors
/// Database failure.
pub async fn skus_with_products(
    db: &impl ConnectionTrait,
    agg: Uuid,
    ids: Vec<Uuid>,
) -> Result<Vec<(sku::Model, Option<product::Model>)>, DbErr> {
    let of_product = sku::Entity::belongs_to(product::Entity)
        .from(sku::Column::ProductId)
        .to(product::Column::Id)
        .into();
    sku::Entity::find()
        .select_also(product::Entity)
        .join(JoinType::InnerJoin, of_product)
        .filter(sku::Column::Id.is_in(ids))
        .filter(sku::Column::AggregatorId.eq(agg))
        .all(db)
        .await
}

/// The municipalities of prefecture `prefecture`.
///
/// # Errors
/// Database failure.
pub async fn municipalities_of(
    db: &impl ConnectionTrait,
    prefecture: &str,
) -> Result<Vec<municipality::Model>, DbErr> {
    municipality::Entity::find()
        .filter(municipality::Column::PrefectureCode.eq(prefecture))
        .all(db)
        .await
}

/// Sets the quarantine certificate of product `id` of `agg`; the rows changed (0 outside the
/// tenant).
///
/// # Errors
/// Database failure.
pub async fn set_certificate(
    db: &impl ConnectionTrait,
    agg: Uuid,
    id: Uuid,
    cert: Option<String>,
) -> Result<u64, DbErr> {
    Ok(product::Entity::update_many()
        .col_expr(product::Column::QuarantineCertificate, Expr::value(cert))
        .filter(product::Column::Id.eq(id))
        .filter(product::Column::AggregatorId.eq(agg))
        .exec(db)
        .await?
        .rows_affected)
}

/// The stored settings document of `agg`.
///
/// # Errors
/// Database failure.
pub async fn settings(
    db: &impl ConnectionTrait,
    agg: Uuid,
) -> Result<Option<shop_settings::Model>, DbErr> {
    shop_settings::Entity::find_by_id(agg).one(db).await
}

/// Stores `row` as the settings document of `agg` (inserted or replaced).
///
/// # Errors
/// Database failure.
pub async fn save_settings(
    db: &impl ConnectionTrait,
    agg: Uuid,
    row: shop_settings::ActiveModel,
) -> Result<(), DbErr> {
    if settings(db, agg).await?.is_some() {
        row.update(db).await?;
    } else {
        row.insert(db).await?;
    }
    Ok(())
}
