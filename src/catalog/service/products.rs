//! Products: creation, the scoped list and detail, content edits (a listed product's edit is a revision).
use crate::catalog::content::{FieldChange, ProductContent};
use crate::catalog::repo;
use crate::{
    audit::{self, AuditRecord},
    core::{self, pagination::Page, validate},
    db,
    error::{ApiError, ApiResult},
    http::actor::{Actor, Role},
    producers::service as producers,
    state::AppState,
};
use entity::{category, producer, product, product_revision, sku};
use sea_orm::{ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait};
use uuid::Uuid;

use super::*;

/// All categories.
///
/// # Errors
/// Database failure.
#[tracing::instrument(skip_all)]
pub async fn categories(db: &impl ConnectionTrait) -> ApiResult<Vec<category::Model>> {
    Ok(repo::categories(db).await?)
}

pub(super) fn scope(actor: &Actor) -> ApiResult<Condition> {
    match actor.role {
        Role::Admin if actor.is_global_admin() => Ok(Condition::all()),
        Role::Admin | Role::Operator | Role::Finance => {
            let a = actor.aggregator_id.ok_or_else(ApiError::forbidden)?;
            Ok(Condition::all().add(product::Column::AggregatorId.eq(a)))
        }
        Role::Producer => {
            let (Some(a), Some(p)) = (actor.aggregator_id, actor.producer_id) else {
                return Err(ApiError::forbidden());
            };
            Ok(Condition::all()
                .add(product::Column::AggregatorId.eq(a))
                .add(product::Column::ProducerId.eq(p)))
        }
        Role::Officer => Err(ApiError::forbidden()),
    }
}

/// A product the actor may see (404 otherwise; 403 for officers).
pub(crate) async fn find_in_scope(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> ApiResult<product::Model> {
    repo::product_where(db, scope(actor)?.add(product::Column::Id.eq(id)))
        .await?
        .ok_or(ApiError::NotFound)
}

pub(crate) async fn check_content(
    db: &impl ConnectionTrait,
    content: &mut ProductContent,
) -> ApiResult<category::Model> {
    let cat = match validate::code(&content.category_code, 32) {
        Ok(c) => repo::category(db, c).await?,
        Err(_) => None,
    };
    let origin_known = match &content.origin_municipality_code {
        Some(code) => match validate::code(code, 5) {
            Ok(c) => crate::producers::repo::municipality(db, c).await?.is_some(),
            Err(_) => false,
        },
        None => true,
    };
    content.check(cat.as_ref(), origin_known)?;
    cat.ok_or_else(|| ApiError::field("category_code", "pick a category from the list"))
}

pub(crate) fn write_content(am: &mut product::ActiveModel, c: &ProductContent) {
    am.title_ja = Set(c.title_ja.clone());
    am.title_en = Set(c.title_en.clone());
    am.description_ja = Set(c.description_ja.clone());
    am.description_en = Set(c.description_en.clone());
    am.category_code = Set(c.category_code.clone());
    am.tags = Set(serde_json::to_string(&c.tags).unwrap_or_else(|_| "[]".into()));
    am.temperature_class = Set(c.temperature_class.clone());
    am.date_kind = Set(c.date_kind.clone());
    am.shelf_life_days = Set(c.shelf_life_days);
    am.allergens = Set(serde_json::to_string(&c.allergens).unwrap_or_else(|_| "[]".into()));
    am.ingredients = Set(c.ingredients.clone());
    am.additives = Set(c.additives.clone());
    am.net_content = Set(c.net_content.clone());
    am.storage = Set(c.storage.clone());
    am.origin_municipality_code = Set(c.origin_municipality_code.clone());
    am.nutrition = Set(serde_json::to_string(&c.nutrition).unwrap_or_else(|_| "{}".into()));
    am.tax_rate = Set(c.tax_rate);
    am.alcohol = Set(c.alcohol);
    am.quarantine_class = Set(c.quarantine_class.clone());
    am.hs_code = Set(c.hs_code.clone());
}

/// Creates a draft: producers for themselves; operators on behalf of one of their producers.
///
/// # Errors
/// 403 other roles; 404 unknown producer; 422 naming every bad field.
#[tracing::instrument(skip_all)]
pub async fn create_product(
    app: &AppState,
    actor: &Actor,
    producer_id: Option<Uuid>,
    mut content: ProductContent,
) -> ApiResult<product::Model> {
    actor.require(&[Role::Producer, Role::Operator, Role::Admin])?;
    let pid = match actor.role {
        Role::Producer => actor.producer_id.ok_or_else(ApiError::forbidden)?,
        _ => producer_id.ok_or_else(|| ApiError::field("producer_id", "is required for staff"))?,
    };
    let p = producers::get_producer(app, actor, pid).await?;
    check_content(&app.db, &mut content).await?;
    let now = core::now();
    let txn = db::begin_write(&app.db).await?;
    let mut am = product::ActiveModel {
        id: Set(core::new_id()),
        aggregator_id: Set(p.aggregator_id),
        producer_id: Set(p.id),
        status: Set(status::DRAFT.into()),
        review_comments: Set("{}".into()),
        created_at: Set(now),
        updated_at: Set(now),
        submitted_at: Set(None),
        listed_at: Set(None),
        ..Default::default()
    };
    write_content(&mut am, &content);
    let model = repo::insert_product(&txn, am).await?;
    audit::record(
        &txn,
        AuditRecord {
            aggregator_id: Some(p.aggregator_id),
            actor_user_id: Some(actor.user_id),
            action: "product_created",
            subject_type: "product",
            subject_id: Some(model.id.to_string()),
            details: serde_json::json!({}),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(model)
}

/// Filters for [`list_products`].
#[derive(Debug, Clone, Default)]
pub struct ProductFilter {
    pub status: Option<String>,
    pub producer_id: Option<Uuid>,
    pub category_code: Option<String>,
    pub island_code: Option<String>,
    pub tag: Option<String>,
    /// Substring of the titles or the Japanese description (紅いも matches 紅いもタルト).
    pub q: Option<String>,
}

/// Lists products in scope, newest first.
///
/// # Errors
/// 403 officers; 422 bad filters.
#[tracing::instrument(skip_all)]
pub async fn list_products(
    app: &AppState,
    actor: &Actor,
    f: ProductFilter,
    page: Page,
) -> ApiResult<Vec<product::Model>> {
    let mut cond = scope(actor)?;
    if let Some(s) = &f.status {
        if !status::ALL.contains(&s.as_str()) {
            return Err(ApiError::field(
                "status",
                format!("must be one of {}", status::ALL.join(", ")),
            ));
        }
        cond = cond.add(product::Column::Status.eq(s.clone()));
    }
    if let Some(p) = f.producer_id {
        cond = cond.add(product::Column::ProducerId.eq(p));
    }
    if let Some(c) = &f.category_code {
        let c = &validate::code(c, 32).map_err(|m| ApiError::field("category_code", m))?;
        // A parent category includes its children.
        let children = repo::child_category_codes(&app.db, c).await?;
        cond = cond.add(
            Condition::any()
                .add(product::Column::CategoryCode.eq(c.clone()))
                .add(product::Column::CategoryCode.is_in(children)),
        );
    }
    if let Some(i) = &f.island_code {
        let i = &validate::code(i, 32).map_err(|m| ApiError::field("island_code", m))?;
        let ids = crate::producers::repo::producer_ids_where(
            &app.db,
            Condition::all().add(producer::Column::IslandCode.eq(i.clone())),
        )
        .await?;
        cond = cond.add(product::Column::ProducerId.is_in(ids));
    }
    let printable = |s: &str| !s.chars().any(char::is_control) && s.chars().count() <= 100;
    if let Some(t) = f.tag.as_deref().filter(|t| !t.is_empty()) {
        if !printable(t) {
            return Err(ApiError::field(
                "tag",
                "must be at most 100 printable characters",
            ));
        }
        let quoted = serde_json::to_string(t).unwrap_or_default();
        cond = cond.add(product::Column::Tags.contains(&quoted));
    }
    if let Some(q) = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        if !printable(q) {
            return Err(ApiError::field(
                "q",
                "must be at most 100 printable characters",
            ));
        }
        cond = cond.add(
            Condition::any()
                .add(product::Column::TitleJa.contains(q))
                .add(product::Column::TitleEn.contains(q))
                .add(product::Column::DescriptionJa.contains(q)),
        );
    }
    if let Some(after) = page.after {
        cond = cond.add(product::Column::Id.lt(after));
    }
    Ok(repo::products_where(&app.db, cond, page.limit).await?)
}

/// A product with what its pages need.
pub struct ProductDetail {
    pub product: product::Model,
    pub category: Option<category::Model>,
    pub skus: Vec<sku::Model>,
    pub pending_revision: Option<(product_revision::Model, ProductContent, Vec<FieldChange>)>,
    pub sellable: bool,
    pub producer_closed: bool,
    pub images: Vec<entity::product_image::Model>,
}

/// One product in scope, with SKUs, any pending revision (and its diff) and sellability.
///
/// # Errors
/// 404 out of scope; 403 officers.
#[tracing::instrument(skip_all)]
pub async fn get_product(app: &AppState, actor: &Actor, id: Uuid) -> ApiResult<ProductDetail> {
    let p = find_in_scope(&app.db, actor, id).await?;
    let category = repo::category(&app.db, p.category_code.clone()).await?;
    let skus = repo::skus_of_products(&app.db, &[p.id], false).await?;
    let rev = repo::pending_revision(&app.db, p.id).await?;
    let live = ProductContent::from_model(&p);
    let pending_revision = match rev {
        Some(r) => {
            let proposed: ProductContent = serde_json::from_str(&r.data)
                .map_err(|e| ApiError::Internal(anyhow::anyhow!("revision data: {e}")))?;
            let diff = live.diff(&proposed);
            Some((r, proposed, diff))
        }
        None => None,
    };
    let owner = crate::producers::repo::producer(&app.db, p.producer_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let open = producers::is_open_for_sale(&app.db, &owner).await?;
    let producer_closed = owner.status == producers::status::APPROVED && !open;
    let images = crate::catalog::photos::list(&app.db, p.id).await?;
    Ok(ProductDetail {
        images,
        sellable: p.status == status::LISTED && open,
        product: p,
        category,
        skus,
        pending_revision,
        producer_closed,
    })
}

/// Partial changes to a product's content.
pub type ContentPatch = serde_json::Map<String, serde_json::Value>;

/// Edits a product. Drafts and rejected products change in place; listed or paused ones get a
/// pending revision (the live version stays until an operator approves it); submitted and
/// retired ones cannot be edited.
///
/// # Errors
/// 404 out of scope; 409 `product_under_review` / `product_retired`; 422 fields.
#[tracing::instrument(skip_all)]
pub async fn update_product(
    app: &AppState,
    actor: &Actor,
    id: Uuid,
    patch: ContentPatch,
) -> ApiResult<ProductDetail> {
    actor.require(&[Role::Producer, Role::Operator, Role::Admin])?;
    let p = find_in_scope(&app.db, actor, id).await?;
    match p.status.as_str() {
        status::SUBMITTED => {
            return Err(ApiError::conflict(
                "product_under_review",
                "the product is being reviewed; wait for the decision",
            ));
        }
        status::RETIRED => {
            return Err(ApiError::conflict(
                "product_retired",
                "a retired product cannot be edited",
            ));
        }
        _ => {}
    }
    // Start from the newest content (a pending revision, if any) and apply the patch.
    let base = match repo::pending_revision(&app.db, p.id).await? {
        Some(r) => serde_json::from_str(&r.data).unwrap_or_else(|_| ProductContent::from_model(&p)),
        None => ProductContent::from_model(&p),
    };
    let mut merged = serde_json::to_value(&base).map_err(|e| ApiError::Internal(e.into()))?;
    if let Some(obj) = merged.as_object_mut() {
        for (k, v) in patch {
            obj.insert(k, v);
        }
    }
    let mut content: ProductContent = crate::http::json::parse(merged.to_string().as_bytes())?;
    check_content(&app.db, &mut content).await?;
    let now = core::now();
    let txn = db::begin_write(&app.db).await?;
    // Re-read inside the transaction: the status may have moved since the checks above.
    let current = find_in_scope(&txn, actor, id).await?;
    if current.status != p.status {
        return Err(ApiError::conflict(
            "product_changed",
            "the product changed meanwhile; reload and try again",
        ));
    }
    let live = [status::LISTED, status::PAUSED].contains(&p.status.as_str());
    if live {
        repo::supersede_revisions(&txn, p.id).await?;
        let revision = product_revision::ActiveModel {
            id: Set(core::new_id()),
            aggregator_id: Set(p.aggregator_id),
            product_id: Set(p.id),
            data: Set(serde_json::to_string(&content).map_err(|e| ApiError::Internal(e.into()))?),
            status: Set("pending".into()),
            comments: Set("{}".into()),
            created_by: Set(actor.user_id),
            created_at: Set(now),
            decided_by: Set(None),
            decided_at: Set(None),
        };
        repo::insert_revision(&txn, revision).await?;
    } else {
        let mut am: product::ActiveModel = p.clone().into();
        write_content(&mut am, &content);
        am.updated_at = Set(now);
        if !repo::update_product_in_status(&txn, p.id, &p.status, am).await? {
            return Err(ApiError::conflict(
                "product_changed",
                "the product changed meanwhile; reload and try again",
            ));
        }
    }
    audit::record(
        &txn,
        AuditRecord {
            aggregator_id: Some(p.aggregator_id),
            actor_user_id: Some(actor.user_id),
            action: if live {
                "product_revision_proposed"
            } else {
                "product_edited"
            },
            subject_type: "product",
            subject_id: Some(p.id.to_string()),
            details: serde_json::json!({}),
        },
    )
    .await?;
    txn.commit().await?;
    get_product(app, actor, id).await
}
