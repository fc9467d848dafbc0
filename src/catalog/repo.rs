//! The catalogue area's queries: categories, products (scoped lookups and lists, status
//! moves, content writes), their pending revisions, SKUs and photos. Producers, municipalities
//! and users are read through their own areas' repos; the services keep the rules, the
//! transactions and the audit.
use entity::{category, product, product_image, product_revision, sku};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, SimpleExpr},
};
use uuid::Uuid;

/// Every category, by code.
///
/// # Errors
/// Database failure.
pub async fn categories(db: &impl ConnectionTrait) -> Result<Vec<category::Model>, DbErr> {
    category::Entity::find()
        .order_by_asc(category::Column::Code)
        .all(db)
        .await
}

/// Category `code`.
///
/// # Errors
/// Database failure.
pub async fn category(
    db: &impl ConnectionTrait,
    code: String,
) -> Result<Option<category::Model>, DbErr> {
    category::Entity::find_by_id(code).one(db).await
}

/// The codes of the categories whose parent is `parent`.
///
/// # Errors
/// Database failure.
pub async fn child_category_codes(
    db: &impl ConnectionTrait,
    parent: &str,
) -> Result<Vec<String>, DbErr> {
    Ok(category::Entity::find()
        .filter(category::Column::ParentCode.eq(parent))
        .all(db)
        .await?
        .into_iter()
        .map(|c| c.code)
        .collect())
}

/// Product `id`.
///
/// # Errors
/// Database failure.
pub async fn product(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<product::Model>, DbErr> {
    product::Entity::find_by_id(id).one(db).await
}

/// The first product matching `cond`.
///
/// # Errors
/// Database failure.
pub async fn product_where(
    db: &impl ConnectionTrait,
    cond: Condition,
) -> Result<Option<product::Model>, DbErr> {
    product::Entity::find().filter(cond).one(db).await
}

/// Up to `limit` products matching `cond`, newest id first.
///
/// # Errors
/// Database failure.
pub async fn products_where(
    db: &impl ConnectionTrait,
    cond: Condition,
    limit: u64,
) -> Result<Vec<product::Model>, DbErr> {
    product::Entity::find()
        .filter(cond)
        .order_by_desc(product::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// Every product matching `cond`, by id.
///
/// # Errors
/// Database failure.
pub async fn all_products_where(
    db: &impl ConnectionTrait,
    cond: Condition,
) -> Result<Vec<product::Model>, DbErr> {
    product::Entity::find()
        .filter(cond)
        .order_by_asc(product::Column::Id)
        .all(db)
        .await
}

/// Inserts a product.
///
/// # Errors
/// Database failure.
pub async fn insert_product(
    db: &impl ConnectionTrait,
    row: product::ActiveModel,
) -> Result<product::Model, DbErr> {
    row.insert(db).await
}

/// Writes the changed columns of a product.
///
/// # Errors
/// Database failure.
pub async fn update_product(
    db: &impl ConnectionTrait,
    row: product::ActiveModel,
) -> Result<product::Model, DbErr> {
    row.update(db).await
}

/// Writes `row`'s set columns onto product `id` if it is still in status `status`: `true`
/// when it was.
///
/// # Errors
/// Database failure.
pub async fn update_product_in_status(
    db: &impl ConnectionTrait,
    id: Uuid,
    status: &str,
    row: product::ActiveModel,
) -> Result<bool, DbErr> {
    Ok(product::Entity::update_many()
        .set(row)
        .filter(product::Column::Id.eq(id))
        .filter(product::Column::Status.eq(status))
        .exec(db)
        .await?
        .rows_affected
        == 1)
}

/// Sets `sets` on product `id` if its status is one of `from`: `true` when it was.
///
/// # Errors
/// Database failure.
pub async fn move_product(
    db: &impl ConnectionTrait,
    id: Uuid,
    from: &[&str],
    sets: Vec<(product::Column, SimpleExpr)>,
) -> Result<bool, DbErr> {
    let mut update = product::Entity::update_many();
    for (col, value) in sets {
        update = update.col_expr(col, value);
    }
    Ok(update
        .filter(product::Column::Id.eq(id))
        .filter(product::Column::Status.is_in(from.iter().copied()))
        .exec(db)
        .await?
        .rows_affected
        == 1)
}

/// The pending revision of product `id`.
///
/// # Errors
/// Database failure.
pub async fn pending_revision(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<product_revision::Model>, DbErr> {
    product_revision::Entity::find()
        .filter(product_revision::Column::ProductId.eq(id))
        .filter(product_revision::Column::Status.eq("pending"))
        .one(db)
        .await
}

/// Marks the pending revision of product `id` superseded.
///
/// # Errors
/// Database failure.
pub async fn supersede_revisions(db: &impl ConnectionTrait, id: Uuid) -> Result<(), DbErr> {
    product_revision::Entity::update_many()
        .col_expr(product_revision::Column::Status, Expr::value("superseded"))
        .filter(product_revision::Column::ProductId.eq(id))
        .filter(product_revision::Column::Status.eq("pending"))
        .exec(db)
        .await
        .map(|_| ())
}

/// Inserts a revision.
///
/// # Errors
/// Database failure.
pub async fn insert_revision(
    db: &impl ConnectionTrait,
    row: product_revision::ActiveModel,
) -> Result<product_revision::Model, DbErr> {
    row.insert(db).await
}

/// Revision `id`.
///
/// # Errors
/// Database failure.
pub async fn revision(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<product_revision::Model>, DbErr> {
    product_revision::Entity::find_by_id(id).one(db).await
}

/// Decides pending revision `id` (`approved` / `rejected`) with `comments`: `true` when it was
/// still pending.
///
/// # Errors
/// Database failure.
pub async fn decide_revision(
    db: &impl ConnectionTrait,
    id: Uuid,
    status: &str,
    comments: String,
    by: Uuid,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<bool, DbErr> {
    Ok(product_revision::Entity::update_many()
        .col_expr(product_revision::Column::Status, Expr::value(status))
        .col_expr(product_revision::Column::Comments, Expr::value(comments))
        .col_expr(product_revision::Column::DecidedBy, Expr::value(Some(by)))
        .col_expr(product_revision::Column::DecidedAt, Expr::value(Some(now)))
        .filter(product_revision::Column::Id.eq(id))
        .filter(product_revision::Column::Status.eq("pending"))
        .exec(db)
        .await?
        .rows_affected
        == 1)
}

/// The oldest 200 pending revisions (of `agg`, or of all aggregators).
///
/// # Errors
/// Database failure.
pub async fn pending_revisions(
    db: &impl ConnectionTrait,
    agg: Option<Uuid>,
) -> Result<Vec<product_revision::Model>, DbErr> {
    let mut q =
        product_revision::Entity::find().filter(product_revision::Column::Status.eq("pending"));
    if let Some(a) = agg {
        q = q.filter(product_revision::Column::AggregatorId.eq(a));
    }
    q.order_by_asc(product_revision::Column::CreatedAt)
        .limit(200)
        .all(db)
        .await
}

/// SKU `id`.
///
/// # Errors
/// Database failure.
pub async fn sku(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<sku::Model>, DbErr> {
    sku::Entity::find_by_id(id).one(db).await
}

/// The SKU of `agg` coded `code`.
///
/// # Errors
/// Database failure.
pub async fn sku_by_code(
    db: &impl ConnectionTrait,
    agg: Uuid,
    code: &str,
) -> Result<Option<sku::Model>, DbErr> {
    sku::Entity::find()
        .filter(sku::Column::AggregatorId.eq(agg))
        .filter(sku::Column::Code.eq(code))
        .one(db)
        .await
}

/// The SKUs of the products `ids` (only the active ones when `active_only`), by code.
///
/// # Errors
/// Database failure.
pub async fn skus_of_products(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
    active_only: bool,
) -> Result<Vec<sku::Model>, DbErr> {
    let mut q = sku::Entity::find().filter(sku::Column::ProductId.is_in(ids.iter().copied()));
    if active_only {
        q = q.filter(sku::Column::Active.eq(true));
    }
    q.order_by_asc(sku::Column::Code).all(db).await
}

/// Whether product `id` has an active SKU.
///
/// # Errors
/// Database failure.
pub async fn has_active_sku(db: &impl ConnectionTrait, id: Uuid) -> Result<bool, DbErr> {
    Ok(sku::Entity::find()
        .filter(sku::Column::ProductId.eq(id))
        .filter(sku::Column::Active.eq(true))
        .one(db)
        .await?
        .is_some())
}

/// Inserts a SKU (a taken code fails on its unique key).
///
/// # Errors
/// Database failure.
pub async fn insert_sku(
    db: &impl ConnectionTrait,
    row: sku::ActiveModel,
) -> Result<sku::Model, DbErr> {
    row.insert(db).await
}

/// Writes the changed columns of a SKU.
///
/// # Errors
/// Database failure.
pub async fn update_sku(
    db: &impl ConnectionTrait,
    row: sku::ActiveModel,
) -> Result<sku::Model, DbErr> {
    row.update(db).await
}

/// The photos of product `id`, in order.
///
/// # Errors
/// Database failure.
pub async fn images(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Vec<product_image::Model>, DbErr> {
    images_of(db, &[id]).await
}

/// The photos of the products `ids`, in order.
///
/// # Errors
/// Database failure.
pub async fn images_of(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<Vec<product_image::Model>, DbErr> {
    product_image::Entity::find()
        .filter(product_image::Column::ProductId.is_in(ids.iter().copied()))
        .order_by_asc(product_image::Column::Position)
        .order_by_asc(product_image::Column::Id)
        .all(db)
        .await
}

/// How many photos product `id` has.
///
/// # Errors
/// Database failure.
pub async fn image_count(db: &impl ConnectionTrait, id: Uuid) -> Result<u64, DbErr> {
    product_image::Entity::find()
        .filter(product_image::Column::ProductId.eq(id))
        .count(db)
        .await
}

/// Photo `id`.
///
/// # Errors
/// Database failure.
pub async fn image(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<product_image::Model>, DbErr> {
    product_image::Entity::find_by_id(id).one(db).await
}

/// Inserts a photo (a taken position fails on its unique key).
///
/// # Errors
/// Database failure.
pub async fn insert_image(
    db: &impl ConnectionTrait,
    row: product_image::ActiveModel,
) -> Result<product_image::Model, DbErr> {
    row.insert(db).await
}

/// Deletes photo `id`.
///
/// # Errors
/// Database failure.
pub async fn delete_image(db: &impl ConnectionTrait, id: Uuid) -> Result<(), DbErr> {
    product_image::Entity::delete_by_id(id)
        .exec(db)
        .await
        .map(|_| ())
}

/// The SKUs `ids`.
///
/// # Errors
/// Database failure.
pub async fn skus_among(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = Uuid>,
) -> Result<Vec<sku::Model>, DbErr> {
    sku::Entity::find()
        .filter(sku::Column::Id.is_in(ids))
        .all(db)
        .await
}

/// The SKUs matching `cond`.
///
/// # Errors
/// Database failure.
pub async fn skus_where(
    db: &impl ConnectionTrait,
    cond: Condition,
) -> Result<Vec<sku::Model>, DbErr> {
    sku::Entity::find().filter(cond).all(db).await
}

/// Sets SKU `id`'s low-stock flag.
///
/// # Errors
/// Database failure.
pub async fn flag_low_stock(
    db: &impl ConnectionTrait,
    id: Uuid,
    flagged: bool,
) -> Result<(), DbErr> {
    sku::Entity::update_many()
        .col_expr(sku::Column::LowStockFlagged, Expr::value(flagged))
        .filter(sku::Column::Id.eq(id))
        .exec(db)
        .await
        .map(|_| ())
}

/// The products `ids` (any state).
///
/// # Errors
/// Database failure.
pub async fn products_among(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = Uuid>,
) -> Result<Vec<product::Model>, DbErr> {
    product::Entity::find()
        .filter(product::Column::Id.is_in(ids))
        .all(db)
        .await
}
