//! HTTP handlers for categories, products, revisions and SKUs.
use super::{
    dto::*,
    service::{self, Action, ProductFilter, SkuInput},
};
use crate::{
    core::pagination::{PageQuery, next_cursor},
    error::{ApiError, ApiResult, ErrorBody},
    http::actor::Actor,
    http::json::Json,
    state::AppState,
};
use actix_web::{HttpRequest, HttpResponse, web};
use std::collections::BTreeMap;
use uuid::Uuid;

/// The category taxonomy with each category's suggested tax rate and its reason.
#[utoipa::path(get, path = "/api/v1/categories", tag = "catalog",
    responses((status = 200, body = CategoryList)))]
pub async fn list_categories(app: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let items = service::categories(&app.db).await?;
    Ok(HttpResponse::Ok().json(CategoryList {
        items: items.into_iter().map(CategoryView::from).collect(),
    }))
}

/// Products in scope (producers: their own; staff: their aggregator's).
#[utoipa::path(get, path = "/api/v1/products", tag = "catalog",
    params(ProductQuery),
    responses((status = 200, body = ProductPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn list_products(
    app: web::Data<AppState>,
    actor: Actor,
    q: crate::http::Query<ProductQuery>,
) -> ApiResult<HttpResponse> {
    let q = q.into_inner();
    let page = PageQuery {
        limit: q.limit,
        cursor: q.cursor,
    }
    .page()?;
    let rows = service::list_products(
        &app,
        &actor,
        ProductFilter {
            status: q.status,
            producer_id: q.producer_id,
            category_code: q.category_code,
            island_code: q.island_code,
            tag: q.tag,
            q: q.q,
        },
        page,
    )
    .await?;
    let ids: Vec<Uuid> = rows.iter().map(|p| p.id).collect();
    Ok(HttpResponse::Ok().json(ProductPage {
        next_cursor: next_cursor(&page, &ids),
        items: rows.into_iter().map(ProductSummary::from).collect(),
    }))
}

/// Creates a draft product.
#[utoipa::path(post, path = "/api/v1/products", tag = "catalog",
    request_body = CreateProductRequest,
    responses((status = 201, body = ProductView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn create_product(
    app: web::Data<AppState>,
    actor: Actor,
    body: Json<CreateProductRequest>,
) -> ApiResult<HttpResponse> {
    let body = body.0;
    let suggested =
        super::content::default_tax_rate(&service::categories(&app.db).await?, &body.category_code);
    let (producer_id, content) = body.into_content(suggested);
    let p = service::create_product(&app, &actor, producer_id, content).await?;
    let detail = service::get_product(&app, &actor, p.id).await?;
    Ok(HttpResponse::Created().json(ProductView::from(detail)))
}

/// One product with SKUs, its pending revision (with the diff) and sellability.
#[utoipa::path(get, path = "/api/v1/products/{id}", tag = "catalog",
    params(("id" = Uuid, Path, description = "product id")),
    responses((status = 200, body = ProductView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn get_product(
    app: web::Data<AppState>,
    actor: Actor,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let d = service::get_product(&app, &actor, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(ProductView::from(d)))
}

/// Edits a product: drafts and rejected products in place; listed or paused ones through a
/// pending revision that an operator approves (the live version stays until then).
#[utoipa::path(patch, path = "/api/v1/products/{id}", tag = "catalog",
    params(("id" = Uuid, Path, description = "product id")),
    request_body = ProductPatchRequest,
    responses((status = 200, body = ProductView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn update_product(
    app: web::Data<AppState>,
    actor: Actor,
    id: web::Path<Uuid>,
    body: Json<ProductPatchRequest>,
) -> ApiResult<HttpResponse> {
    let patch = match serde_json::to_value(body.0) {
        Ok(serde_json::Value::Object(m)) => m,
        _ => {
            return Err(ApiError::bad_request(
                "malformed_json",
                "the body must be an object",
            ));
        }
    };
    let d = service::update_product(&app, &actor, id.into_inner(), patch).await?;
    Ok(HttpResponse::Ok().json(ProductView::from(d)))
}

async fn act(
    app: &AppState,
    actor: &Actor,
    id: Uuid,
    a: Action,
    comments: BTreeMap<String, String>,
) -> ApiResult<HttpResponse> {
    service::transition(app, actor, id, a, comments).await?;
    let d = service::get_product(app, actor, id).await?;
    Ok(HttpResponse::Ok().json(ProductView::from(d)))
}

macro_rules! workflow_handler {
    ($name:ident, $path:literal, $action:expr, $doc:literal) => {
        #[doc = $doc]
        #[utoipa::path(post, path = $path, tag = "catalog",
            params(("id" = Uuid, Path, description = "product id")),
            responses((status = 200, body = ProductView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
                (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "`invalid_transition` or `no_active_sku`")),
            security(("bearer" = []), ("session" = [])))]
        pub async fn $name(app: web::Data<AppState>, actor: Actor, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
            act(&app, &actor, id.into_inner(), $action, BTreeMap::new()).await
        }
    };
}

workflow_handler!(
    submit_product,
    "/api/v1/products/{id}/submit",
    Action::Submit,
    "Submits a draft or rejected product for review (needs an active SKU)."
);
workflow_handler!(
    approve_product,
    "/api/v1/products/{id}/approve",
    Action::Approve,
    "Approves a submitted product: it becomes listed (operators)."
);
workflow_handler!(
    pause_product,
    "/api/v1/products/{id}/pause",
    Action::Pause,
    "Pauses a listed product (producer or operator)."
);
workflow_handler!(
    resume_product,
    "/api/v1/products/{id}/resume",
    Action::Resume,
    "Lists a paused product again."
);
workflow_handler!(
    retire_product,
    "/api/v1/products/{id}/retire",
    Action::Retire,
    "Retires a product for good."
);

/// Sends a submitted product back with per-field comments (operators).
#[utoipa::path(post, path = "/api/v1/products/{id}/reject", tag = "catalog",
    params(("id" = Uuid, Path, description = "product id")),
    request_body = ReviewRequest,
    responses((status = 200, body = ProductView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn reject_product(
    app: web::Data<AppState>,
    actor: Actor,
    id: web::Path<Uuid>,
    body: Json<ReviewRequest>,
) -> ApiResult<HttpResponse> {
    act(
        &app,
        &actor,
        id.into_inner(),
        Action::Reject,
        body.0.comments,
    )
    .await
}

/// The pending revisions of listed products (operators' review queue).
#[utoipa::path(get, path = "/api/v1/product-revisions", tag = "catalog",
    responses((status = 200, body = RevisionList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn list_revisions(app: web::Data<AppState>, actor: Actor) -> ApiResult<HttpResponse> {
    let items = service::pending_revisions(&app, &actor).await?;
    Ok(HttpResponse::Ok().json(RevisionList {
        items: items
            .into_iter()
            .map(|r| RevisionSummary {
                id: r.id,
                product_id: r.product_id,
                created_at: r.created_at,
            })
            .collect(),
    }))
}

/// Approves a revision: its content becomes the live version.
#[utoipa::path(post, path = "/api/v1/product-revisions/{id}/approve", tag = "catalog",
    params(("id" = Uuid, Path, description = "revision id")),
    responses((status = 200, body = ProductView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn approve_revision(
    app: web::Data<AppState>,
    actor: Actor,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let p = service::decide_revision(&app, &actor, id.into_inner(), true, BTreeMap::new()).await?;
    let d = service::get_product(&app, &actor, p.id).await?;
    Ok(HttpResponse::Ok().json(ProductView::from(d)))
}

/// Rejects a revision with per-field comments; the live version stays.
#[utoipa::path(post, path = "/api/v1/product-revisions/{id}/reject", tag = "catalog",
    params(("id" = Uuid, Path, description = "revision id")),
    request_body = ReviewRequest,
    responses((status = 200, body = ProductView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn reject_revision(
    app: web::Data<AppState>,
    actor: Actor,
    id: web::Path<Uuid>,
    body: Json<ReviewRequest>,
) -> ApiResult<HttpResponse> {
    let p = service::decide_revision(&app, &actor, id.into_inner(), false, body.0.comments).await?;
    let d = service::get_product(&app, &actor, p.id).await?;
    Ok(HttpResponse::Ok().json(ProductView::from(d)))
}

/// Adds a SKU (code, tax-included price, weight, optional JAN).
#[utoipa::path(post, path = "/api/v1/products/{id}/skus", tag = "catalog",
    params(("id" = Uuid, Path, description = "product id")),
    request_body = CreateSkuRequest,
    responses((status = 201, body = SkuView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn create_sku(
    app: web::Data<AppState>,
    actor: Actor,
    id: web::Path<Uuid>,
    body: Json<CreateSkuRequest>,
) -> ApiResult<HttpResponse> {
    let b = body.0;
    let s = service::create_sku(
        &app,
        &actor,
        id.into_inner(),
        SkuInput {
            code: Some(b.code),
            name: b.name,
            jan: b.jan,
            price_yen: Some(b.price_yen),
            weight_g: Some(b.weight_g),
            low_stock_threshold: b.low_stock_threshold,
            active: None,
        },
    )
    .await?;
    Ok(HttpResponse::Created().json(SkuView::from(s)))
}

/// Changes a SKU.
#[utoipa::path(patch, path = "/api/v1/skus/{id}", tag = "catalog",
    params(("id" = Uuid, Path, description = "SKU id")),
    request_body = UpdateSkuRequest,
    responses((status = 200, body = SkuView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn update_sku(
    app: web::Data<AppState>,
    actor: Actor,
    id: web::Path<Uuid>,
    body: Json<UpdateSkuRequest>,
) -> ApiResult<HttpResponse> {
    let b = body.0;
    let s = service::update_sku(
        &app,
        &actor,
        id.into_inner(),
        SkuInput {
            code: b.code,
            name: b.name,
            jan: b.jan,
            price_yen: b.price_yen,
            weight_g: b.weight_g,
            low_stock_threshold: b.low_stock_threshold,
            active: b.active,
        },
    )
    .await?;
    Ok(HttpResponse::Ok().json(SkuView::from(s)))
}

/// Adds a photo: `multipart/form-data` with the image in the field `file` (JPEG, PNG or WebP,
/// decided by its content). Metadata is stripped and large images resized.
#[utoipa::path(post, path = "/api/v1/products/{id}/images", tag = "catalog",
    params(("id" = Uuid, Path, description = "product id")),
    request_body(content = String, content_type = "multipart/form-data", description = "field `file`: the image"),
    responses((status = 201, body = ImageView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "`too_many_images`"),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "`file`: not an accepted image, too many pixels, damaged")),
    security(("bearer" = []), ("session" = [])))]
pub async fn upload_image(
    app: web::Data<AppState>,
    actor: Actor,
    id: web::Path<Uuid>,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let bytes =
        crate::http::multipart::read_file_field(&req, payload, app.settings.uploads.max_bytes)
            .await?;
    let img = super::photos::upload(&app, &actor, id.into_inner(), bytes).await?;
    Ok(HttpResponse::Created().json(ImageView::from(img)))
}

/// A photo's bytes with its content type. Public for listed products; otherwise only the
/// product's producer and its aggregator's staff.
#[utoipa::path(get, path = "/api/v1/product-images/{id}", tag = "catalog",
    params(("id" = Uuid, Path, description = "image id")),
    responses((status = 200, description = "the image", content_type = "image/jpeg"),
        (status = 404, body = ErrorBody)))]
pub async fn get_image(
    app: web::Data<AppState>,
    actor: Option<Actor>,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let (bytes, content_type) = super::photos::fetch(&app, actor.as_ref(), id.into_inner()).await?;
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header(("x-content-type-options", "nosniff"))
        .insert_header(("cache-control", "private, max-age=300"))
        .body(bytes))
}

/// Removes a photo.
#[utoipa::path(delete, path = "/api/v1/product-images/{id}", tag = "catalog",
    params(("id" = Uuid, Path, description = "image id")),
    responses((status = 204, description = "deleted"), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn delete_image(
    app: web::Data<AppState>,
    actor: Actor,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    super::photos::delete(&app, &actor, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Import options.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    /// Import the good rows even when some fail (default false: all or nothing).
    #[serde(default)]
    pub partial: bool,
    /// auto (default: UTF-8 with or without BOM, else Shift_JIS), utf-8, shift_jis.
    pub encoding: Option<String>,
}

/// Imports products from CSV (one product with one SKU per row, as drafts). The body is the
/// file (`text/csv`). Row errors name the line and column; unless `partial=true`, one bad row
/// means nothing is imported (422 `import_failed` with `details.rows`).
#[utoipa::path(post, path = "/api/v1/products/import", tag = "catalog",
    params(ImportQuery),
    request_body(content = String, content_type = "text/csv", description = "header: producer_id,title_ja,…,sku_code,price_yen,weight_g,jan"),
    responses((status = 200, body = super::csv_io::ImportReport), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "`import_failed` (details.rows: row, column, message) or a bad file/encoding")),
    security(("bearer" = []), ("session" = [])))]
pub async fn import_products(
    app: web::Data<AppState>,
    actor: Actor,
    q: crate::http::Query<ImportQuery>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let q = q.into_inner();
    let enc = crate::core::csv::CsvEncoding::parse(q.encoding.as_deref())?;
    let body = crate::http::read_body(payload, app.settings.uploads.max_bytes).await?;
    let report = super::csv_io::import(&app, &actor, &body, enc, q.partial).await?;
    if report.rolled_back {
        return Err(ApiError::Unprocessable {
            code: "import_failed",
            message: format!(
                "{} problem(s) found; nothing was imported",
                report.failed.len()
            ),
            details: serde_json::json!({ "rows": report.failed }),
        });
    }
    Ok(HttpResponse::Ok().json(report))
}

/// Export options.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ExportQuery {
    /// utf-8-bom (default; Excel reads it as UTF-8) or shift_jis.
    pub encoding: Option<String>,
}

/// Exports the catalogue in scope as CSV (one row per SKU).
#[utoipa::path(get, path = "/api/v1/products/export", tag = "catalog",
    params(ExportQuery),
    responses((status = 200, description = "CSV file", content_type = "text/csv"), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn export_products(
    app: web::Data<AppState>,
    actor: Actor,
    q: crate::http::Query<ExportQuery>,
) -> ApiResult<HttpResponse> {
    let enc = crate::core::csv::CsvEncoding::parse(q.encoding.as_deref())?;
    let bytes = super::csv_io::export(&app, &actor, enc).await?;
    let charset = if enc == crate::core::csv::CsvEncoding::ShiftJis {
        "Shift_JIS"
    } else {
        "utf-8"
    };
    Ok(HttpResponse::Ok()
        .content_type(format!("text/csv; charset={charset}"))
        .insert_header((
            "content-disposition",
            "attachment; filename=\"catalogue.csv\"",
        ))
        .body(bytes))
}
