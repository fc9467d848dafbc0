//! Product and SKU services: drafts, the review workflow (`draft → submitted → listed |
//! rejected`, `listed ⇄ paused`, `→ retired`), revisions of listed products, SKUs. Scoped by
//! tenant and owner; every transition is emailed to the producer and audit-logged.
use super::{
    content::{FieldChange, ProductContent},
    domain::Jan,
};
use crate::{
    audit::{self, AuditRecord},
    auth::service::enqueue_mail,
    core::{self, pagination::Page, validate},
    db,
    error::{ApiError, ApiResult},
    http::actor::{Actor, Role},
    mail::messages::EmailMessage,
    producers::service as producers,
    state::AppState,
};
use entity::{app_user, category, municipality, producer, product, product_revision, sku};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, sea_query::Expr,
};
use std::collections::BTreeMap;
use uuid::Uuid;

/// Product statuses.
pub mod status {
    pub const DRAFT: &str = "draft";
    pub const SUBMITTED: &str = "submitted";
    pub const LISTED: &str = "listed";
    pub const REJECTED: &str = "rejected";
    pub const PAUSED: &str = "paused";
    pub const RETIRED: &str = "retired";
    pub const ALL: [&str; 6] = [DRAFT, SUBMITTED, LISTED, REJECTED, PAUSED, RETIRED];
}

/// All categories.
///
/// # Errors
/// Database failure.
pub async fn categories(db: &impl ConnectionTrait) -> ApiResult<Vec<category::Model>> {
    Ok(category::Entity::find()
        .order_by_asc(category::Column::Code)
        .all(db)
        .await?)
}

fn scope(actor: &Actor) -> ApiResult<Condition> {
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
    product::Entity::find()
        .filter(scope(actor)?.add(product::Column::Id.eq(id)))
        .one(db)
        .await?
        .ok_or(ApiError::NotFound)
}

pub(crate) async fn check_content(
    db: &impl ConnectionTrait,
    content: &mut ProductContent,
) -> ApiResult<category::Model> {
    let cat = match validate::code(&content.category_code, 32) {
        Ok(c) => category::Entity::find_by_id(c).one(db).await?,
        Err(_) => None,
    };
    let origin_known = match &content.origin_municipality_code {
        Some(code) => match validate::code(code, 5) {
            Ok(c) => municipality::Entity::find_by_id(c).one(db).await?.is_some(),
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
    let model = am.insert(&txn).await?;
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
        let children: Vec<String> = category::Entity::find()
            .filter(category::Column::ParentCode.eq(c.clone()))
            .all(&app.db)
            .await?
            .into_iter()
            .map(|c| c.code)
            .collect();
        cond = cond.add(
            Condition::any()
                .add(product::Column::CategoryCode.eq(c.clone()))
                .add(product::Column::CategoryCode.is_in(children)),
        );
    }
    if let Some(i) = &f.island_code {
        let i = &validate::code(i, 32).map_err(|m| ApiError::field("island_code", m))?;
        let ids: Vec<Uuid> = producer::Entity::find()
            .filter(producer::Column::IslandCode.eq(i.clone()))
            .all(&app.db)
            .await?
            .into_iter()
            .map(|p| p.id)
            .collect();
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
    Ok(product::Entity::find()
        .filter(cond)
        .order_by_desc(product::Column::Id)
        .limit(page.limit)
        .all(&app.db)
        .await?)
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
pub async fn get_product(app: &AppState, actor: &Actor, id: Uuid) -> ApiResult<ProductDetail> {
    let p = find_in_scope(&app.db, actor, id).await?;
    let category = category::Entity::find_by_id(p.category_code.clone())
        .one(&app.db)
        .await?;
    let skus = sku::Entity::find()
        .filter(sku::Column::ProductId.eq(p.id))
        .order_by_asc(sku::Column::Code)
        .all(&app.db)
        .await?;
    let rev = product_revision::Entity::find()
        .filter(product_revision::Column::ProductId.eq(p.id))
        .filter(product_revision::Column::Status.eq("pending"))
        .one(&app.db)
        .await?;
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
    let owner = producer::Entity::find_by_id(p.producer_id)
        .one(&app.db)
        .await?
        .ok_or(ApiError::NotFound)?;
    let open = producers::is_open_for_sale(&app.db, &owner).await?;
    let producer_closed = owner.status == producers::status::APPROVED && !open;
    let images = super::photos::list(&app.db, p.id).await?;
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
    let base = match product_revision::Entity::find()
        .filter(product_revision::Column::ProductId.eq(p.id))
        .filter(product_revision::Column::Status.eq("pending"))
        .one(&app.db)
        .await?
    {
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
        product_revision::Entity::update_many()
            .col_expr(product_revision::Column::Status, Expr::value("superseded"))
            .filter(product_revision::Column::ProductId.eq(p.id))
            .filter(product_revision::Column::Status.eq("pending"))
            .exec(&txn)
            .await?;
        product_revision::ActiveModel {
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
        }
        .insert(&txn)
        .await?;
    } else {
        let mut am: product::ActiveModel = p.clone().into();
        write_content(&mut am, &content);
        am.updated_at = Set(now);
        let res = product::Entity::update_many()
            .set(am)
            .filter(product::Column::Id.eq(p.id))
            .filter(product::Column::Status.eq(p.status.clone()))
            .exec(&txn)
            .await?;
        if res.rows_affected != 1 {
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

/// Workflow actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Submit,
    Approve,
    Reject,
    Pause,
    Resume,
    Retire,
}

impl Action {
    fn rule(self) -> (&'static [&'static str], &'static str, &'static [Role]) {
        const STAFF: &[Role] = &[Role::Operator, Role::Admin];
        const OWNER_OR_STAFF: &[Role] = &[Role::Producer, Role::Operator, Role::Admin];
        match self {
            Self::Submit => (
                &[status::DRAFT, status::REJECTED],
                status::SUBMITTED,
                OWNER_OR_STAFF,
            ),
            Self::Approve => (&[status::SUBMITTED], status::LISTED, STAFF),
            Self::Reject => (&[status::SUBMITTED], status::REJECTED, STAFF),
            Self::Pause => (&[status::LISTED], status::PAUSED, OWNER_OR_STAFF),
            Self::Resume => (&[status::PAUSED], status::LISTED, OWNER_OR_STAFF),
            Self::Retire => (
                &[
                    status::DRAFT,
                    status::SUBMITTED,
                    status::LISTED,
                    status::REJECTED,
                    status::PAUSED,
                ],
                status::RETIRED,
                OWNER_OR_STAFF,
            ),
        }
    }
}

async fn notify_producer(
    txn: &impl ConnectionTrait,
    p: &product::Model,
    event: &str,
    status_word: &str,
    comments: &BTreeMap<String, String>,
) -> ApiResult<()> {
    if let Some(user) = app_user::Entity::find()
        .filter(app_user::Column::ProducerId.eq(p.producer_id))
        .one(txn)
        .await?
    {
        enqueue_mail(
            txn,
            &user,
            event,
            EmailMessage::ProductStatusChanged {
                display_name: user.display_name.clone(),
                product_title: p.title_ja.clone(),
                status: status_word.into(),
                comments: comments
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            },
        )
        .await?;
    }
    Ok(())
}

fn check_comments(comments: &BTreeMap<String, String>) -> ApiResult<()> {
    if comments.len() > 50 {
        return Err(ApiError::field("comments", "at most 50 comments"));
    }
    for (k, v) in comments {
        if validate::text(k, 64).is_err() || validate::text(v, 1000).is_err() {
            return Err(ApiError::field(
                "comments",
                "each comment names a field and has 1-1000 characters",
            ));
        }
    }
    Ok(())
}

/// Moves a product through the workflow. Submitting needs at least one active SKU; rejecting
/// needs per-field comments (shown to the producer); approval lists the product. Emailed and
/// audit-logged in the same transaction.
///
/// # Errors
/// 403 role; 404 scope; 409 `invalid_transition` / `no_active_sku`; 422 `comments`.
pub async fn transition(
    app: &AppState,
    actor: &Actor,
    id: Uuid,
    action: Action,
    comments: BTreeMap<String, String>,
) -> ApiResult<product::Model> {
    let (from, to, roles) = action.rule();
    actor.require(roles)?;
    if action == Action::Reject && comments.is_empty() {
        return Err(ApiError::field("comments", "say what to change, per field"));
    }
    check_comments(&comments)?;
    let txn = db::begin_write(&app.db).await?;
    let p = find_in_scope(&txn, actor, id).await?;
    if action == Action::Submit {
        let active = sku::Entity::find()
            .filter(sku::Column::ProductId.eq(p.id))
            .filter(sku::Column::Active.eq(true))
            .one(&txn)
            .await?;
        if active.is_none() {
            return Err(ApiError::conflict(
                "no_active_sku",
                "add at least one SKU (price, weight) before submitting",
            ));
        }
    }
    let now = core::now();
    let mut update = product::Entity::update_many()
        .col_expr(product::Column::Status, Expr::value(to))
        .col_expr(product::Column::UpdatedAt, Expr::value(now));
    update = match action {
        Action::Submit => update
            .col_expr(product::Column::SubmittedAt, Expr::value(Some(now)))
            .col_expr(product::Column::ReviewComments, Expr::value("{}")),
        Action::Approve => update.col_expr(product::Column::ListedAt, Expr::value(Some(now))),
        Action::Reject => update.col_expr(
            product::Column::ReviewComments,
            Expr::value(serde_json::to_string(&comments).unwrap_or_else(|_| "{}".into())),
        ),
        _ => update,
    };
    let res = update
        .filter(product::Column::Id.eq(id))
        .filter(product::Column::Status.is_in(from.iter().copied()))
        .exec(&txn)
        .await?;
    if res.rows_affected != 1 {
        return Err(ApiError::Conflict {
            code: "invalid_transition",
            message: format!("a {} product cannot become {to}", p.status),
            details: serde_json::json!({ "from": p.status, "to": to }),
        });
    }
    notify_producer(
        &txn,
        &p,
        &format!("{}-{to}-{}", p.id, now.timestamp_micros()),
        to,
        &comments,
    )
    .await?;
    audit::record(
        &txn,
        AuditRecord {
            aggregator_id: Some(p.aggregator_id),
            actor_user_id: Some(actor.user_id),
            action: "product_status_changed",
            subject_type: "product",
            subject_id: Some(p.id.to_string()),
            details: serde_json::json!({ "from": p.status, "to": to, "comments": comments }),
        },
    )
    .await?;
    let updated = product::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(ApiError::NotFound)?;
    txn.commit().await?;
    Ok(updated)
}

/// Approves or rejects a pending revision of a listed product (operators). Approval replaces
/// the live content; rejection keeps it and records per-field comments.
///
/// # Errors
/// 403 role; 404 scope; 409 `revision_not_pending`; 422 `comments` when rejecting without any.
pub async fn decide_revision(
    app: &AppState,
    actor: &Actor,
    revision_id: Uuid,
    approve: bool,
    comments: BTreeMap<String, String>,
) -> ApiResult<product::Model> {
    actor.require(&[Role::Operator, Role::Admin])?;
    if !approve && comments.is_empty() {
        return Err(ApiError::field("comments", "say what to change, per field"));
    }
    check_comments(&comments)?;
    let txn = db::begin_write(&app.db).await?;
    let rev = product_revision::Entity::find_by_id(revision_id)
        .one(&txn)
        .await?
        .ok_or(ApiError::NotFound)?;
    let p = find_in_scope(&txn, actor, rev.product_id).await?;
    if ![status::LISTED, status::PAUSED].contains(&p.status.as_str()) {
        return Err(ApiError::conflict(
            "revision_not_pending",
            "the product is no longer listed or paused",
        ));
    }
    let now = core::now();
    let res = product_revision::Entity::update_many()
        .col_expr(
            product_revision::Column::Status,
            Expr::value(if approve { "approved" } else { "rejected" }),
        )
        .col_expr(
            product_revision::Column::Comments,
            Expr::value(serde_json::to_string(&comments).unwrap_or_default()),
        )
        .col_expr(
            product_revision::Column::DecidedBy,
            Expr::value(Some(actor.user_id)),
        )
        .col_expr(product_revision::Column::DecidedAt, Expr::value(Some(now)))
        .filter(product_revision::Column::Id.eq(rev.id))
        .filter(product_revision::Column::Status.eq("pending"))
        .exec(&txn)
        .await?;
    if res.rows_affected != 1 {
        return Err(ApiError::conflict(
            "revision_not_pending",
            "this revision was already decided or replaced",
        ));
    }
    if approve {
        let content: ProductContent = serde_json::from_str(&rev.data)
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("revision data: {e}")))?;
        let mut am: product::ActiveModel = p.clone().into();
        write_content(&mut am, &content);
        am.updated_at = Set(now);
        am.update(&txn).await?;
    }
    let word = if approve {
        "revision_approved"
    } else {
        "revision_rejected"
    };
    notify_producer(&txn, &p, &format!("{}-{word}", rev.id), word, &comments).await?;
    audit::record(
        &txn,
        AuditRecord {
            aggregator_id: Some(p.aggregator_id),
            actor_user_id: Some(actor.user_id),
            action: if approve {
                "product_revision_approved"
            } else {
                "product_revision_rejected"
            },
            subject_type: "product",
            subject_id: Some(p.id.to_string()),
            details: serde_json::json!({ "revision_id": rev.id, "comments": comments }),
        },
    )
    .await?;
    let updated = product::Entity::find_by_id(p.id)
        .one(&txn)
        .await?
        .ok_or(ApiError::NotFound)?;
    txn.commit().await?;
    Ok(updated)
}

/// Pending revisions in scope (the operators' review queue), oldest first.
///
/// # Errors
/// 403 non-staff.
pub async fn pending_revisions(
    app: &AppState,
    actor: &Actor,
) -> ApiResult<Vec<product_revision::Model>> {
    actor.require(&[Role::Operator, Role::Admin])?;
    let mut q =
        product_revision::Entity::find().filter(product_revision::Column::Status.eq("pending"));
    if !actor.is_global_admin() {
        let a = actor.aggregator_id.ok_or_else(ApiError::forbidden)?;
        q = q.filter(product_revision::Column::AggregatorId.eq(a));
    }
    Ok(q.order_by_asc(product_revision::Column::CreatedAt)
        .limit(200)
        .all(&app.db)
        .await?)
}

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
    if sku::Entity::find()
        .filter(sku::Column::AggregatorId.eq(p.aggregator_id))
        .filter(sku::Column::Code.eq(code.clone()))
        .one(&app.db)
        .await?
        .is_some()
    {
        return Err(code_taken(ApiError::conflict("x", "x")));
    }
    let model = sku::ActiveModel {
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
    }
    .insert(&app.db)
    .await
    .map_err(|e| code_taken(ApiError::from(e)))?;
    Ok(model)
}

/// Changes a SKU (price, weight, JAN, threshold, active).
///
/// # Errors
/// 404 scope; 422 fields.
pub async fn update_sku(
    app: &AppState,
    actor: &Actor,
    id: Uuid,
    input: SkuInput,
) -> ApiResult<sku::Model> {
    actor.require(&[Role::Producer, Role::Operator, Role::Admin])?;
    check_sku(&input, false)?;
    let s = sku::Entity::find_by_id(id)
        .one(&app.db)
        .await?
        .ok_or(ApiError::NotFound)?;
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
    am.update(&app.db)
        .await
        .map_err(|e| code_taken(ApiError::from(e)))
}

/// The active SKUs in the actor's scope with their product title and temperature class (for
/// forms such as the shipment notice).
///
/// # Errors
/// 403 officers.
pub async fn skus_in_scope(
    app: &AppState,
    actor: &Actor,
) -> ApiResult<Vec<(sku::Model, String, String)>> {
    let products = product::Entity::find()
        .filter(scope(actor)?)
        .filter(product::Column::Status.ne(status::RETIRED))
        .all(&app.db)
        .await?;
    let by_id: std::collections::HashMap<Uuid, &product::Model> =
        products.iter().map(|p| (p.id, p)).collect();
    let skus = sku::Entity::find()
        .filter(sku::Column::ProductId.is_in(products.iter().map(|p| p.id).collect::<Vec<_>>()))
        .filter(sku::Column::Active.eq(true))
        .order_by_asc(sku::Column::Code)
        .all(&app.db)
        .await?;
    Ok(skus
        .into_iter()
        .filter_map(|s| {
            let p = by_id.get(&s.product_id)?;
            Some((s.clone(), p.title_ja.clone(), p.temperature_class.clone()))
        })
        .collect())
}
