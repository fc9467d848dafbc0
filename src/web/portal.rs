//! The producer portal (`/portal/...`): my products, create / edit / submit, SKUs, photos; and
//! the operators' review page (`/operator/review`). Pages call the same services as the API.
use super::extract::{FormFields, SignedForm, SignedIn, SignedUpload};
use super::pages::{Chrome, Ctx, FieldErrors, ctx, error_page};
use crate::{
    catalog::{
        content::ProductContent,
        domain::{MANDATORY_ALLERGENS, RECOMMENDED_ALLERGENS, TEMPERATURE_CLASSES},
        dto::{ImageView, SkuView},
        photos,
        service::{self as catalog, Action, ProductFilter, SkuInput},
    },
    core::pagination::Page,
    error::ApiError,
    http::actor::Actor,
    state::AppState,
};
use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use askama::Template;
use std::collections::BTreeMap;
use uuid::Uuid;

/// An option of a select or a checkbox.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// A product in the portal list.
pub struct Row {
    pub id: Uuid,
    pub title: String,
    pub status: String,
    pub status_label: &'static str,
}

#[derive(Template)]
#[template(
    config = "src/askama.toml",
    path = "web/templates/portal_products.html"
)]
struct ProductsPage {
    c: Chrome,
    rows: Vec<Row>,
}

#[derive(Template)]
#[template(config = "src/askama.toml", path = "web/templates/product_form.html")]
struct ProductFormPage {
    c: Chrome,
    /// None for a new product.
    id: Option<Uuid>,
    status: String,
    status_label: &'static str,
    sellable: bool,
    values: BTreeMap<&'static str, String>,
    categories: Vec<Choice>,
    temperatures: Vec<Choice>,
    date_kinds: Vec<Choice>,
    allergens: Vec<Choice>,
    quarantine: Vec<Choice>,
    tax_rates: Vec<Choice>,
    municipalities: Vec<Choice>,
    alcohol: bool,
    errors: FieldErrors,
    review_comments: Vec<(String, String)>,
    pending_revision: bool,
    skus: Vec<SkuView>,
    images: Vec<ImageView>,
    can_submit: bool,
}

impl ProductFormPage {
    fn value(&self, name: &str) -> &str {
        self.values.get(name).map(String::as_str).unwrap_or("")
    }
}

const TEXT_FIELDS: [&str; 18] = [
    "title_ja",
    "title_en",
    "description_ja",
    "description_en",
    "tags",
    "nutrition_basis",
    "energy_kcal",
    "protein_g",
    "fat_g",
    "carbohydrate_g",
    "salt_g",
    "shelf_life_days",
    "ingredients",
    "additives",
    "net_content",
    "storage",
    "hs_code",
    "origin_municipality_code",
];

pub(super) fn status_label(cx: &Ctx, s: &str) -> &'static str {
    cx.t.get(&format!("status.{s}"))
}

/// My products.
#[utoipa::path(get, path = "/portal/products", tag = "pages",
    responses((status = 200, description = "the producer's products", content_type = "text/html"),
        (status = 303, description = "not signed in: to /login")))]
pub async fn products_page(
    app: web::Data<AppState>,
    req: HttpRequest,
    SignedIn(actor): SignedIn,
) -> HttpResponse {
    let cx = ctx(&req, Some(&actor.locale));
    let page = Page {
        limit: 100,
        after: None,
    };
    let rows = match catalog::list_products(&app, &actor, ProductFilter::default(), page).await {
        Ok(r) => r,
        Err(e) => return error_page(&req, &e),
    };
    let rows = rows
        .into_iter()
        .map(|p| Row {
            status_label: status_label(&cx, &p.status),
            id: p.id,
            title: p.title_ja,
            status: p.status,
        })
        .collect();
    let page = ProductsPage {
        c: cx.chrome(Some(actor.display_name.clone())),
        rows,
    };
    cx.respond(StatusCode::OK, page.render())
}

async fn form_page(
    app: &AppState,
    cx: &Ctx,
    actor: &Actor,
    id: Option<Uuid>,
    values: BTreeMap<&'static str, String>,
    errors: FieldErrors,
    status: StatusCode,
) -> Result<HttpResponse, ApiError> {
    let ja = cx.t.lang() == "ja";
    let detail = match id {
        Some(id) => Some(catalog::get_product(app, actor, id).await?),
        None => None,
    };
    let selected_allergens: Vec<String> = values
        .get("allergens")
        .map(|v| v.split(',').map(str::to_string).collect())
        .unwrap_or_default();
    let categories = catalog::categories(&app.db)
        .await?
        .into_iter()
        .map(|c| Choice {
            selected: values.get("category_code").is_some_and(|v| *v == c.code),
            label: if ja { c.name_ja } else { c.name_en },
            value: c.code,
        })
        .collect();
    let choice = |field: &str, value: &str, label: String| Choice {
        selected: values.get(field).is_some_and(|v| v == value),
        value: value.to_string(),
        label,
    };
    let temperatures = TEMPERATURE_CLASSES
        .iter()
        .map(|t| {
            choice(
                "temperature_class",
                t,
                cx.t.get(&format!("prod.temperature.{t}")).to_string(),
            )
        })
        .collect();
    let date_kinds = ["best_before", "use_by"]
        .iter()
        .map(|d| {
            choice(
                "date_kind",
                d,
                cx.t.get(&format!("prod.date.{d}")).to_string(),
            )
        })
        .collect();
    let quarantine = crate::catalog::domain::QUARANTINE_CLASSES
        .iter()
        .map(|q| choice("quarantine_class", q, q.to_string()))
        .collect();
    let municipalities = crate::reference::service::municipalities(&app.db, Some("47"))
        .await?
        .into_iter()
        .map(|m| Choice {
            selected: values
                .get("origin_municipality_code")
                .is_some_and(|v| *v == m.code),
            label: if ja { m.name_ja } else { m.name_en },
            value: m.code,
        })
        .collect();
    let tax_rates = ["8", "10"]
        .iter()
        .map(|r| choice("tax_rate", r, format!("{r}%")))
        .collect();
    let allergens = MANDATORY_ALLERGENS
        .iter()
        .chain(RECOMMENDED_ALLERGENS)
        .map(|(code, ja_name, en_name)| Choice {
            selected: selected_allergens.iter().any(|a| a == code),
            value: code.to_string(),
            label: if ja {
                ja_name.to_string()
            } else {
                en_name.to_string()
            },
        })
        .collect();
    let (status_s, sellable, review_comments, pending_revision, skus, images) = match &detail {
        Some(d) => (
            d.product.status.clone(),
            d.sellable,
            serde_json::from_str::<BTreeMap<String, String>>(&d.product.review_comments)
                .unwrap_or_default()
                .into_iter()
                .collect(),
            d.pending_revision.is_some(),
            d.skus.iter().cloned().map(SkuView::from).collect(),
            d.images.iter().cloned().map(ImageView::from).collect(),
        ),
        None => (
            "draft".to_string(),
            false,
            Vec::new(),
            false,
            Vec::new(),
            Vec::new(),
        ),
    };
    let page = ProductFormPage {
        c: cx.chrome(Some(actor.display_name.clone())),
        id,
        status_label: status_label(cx, &status_s),
        can_submit: id.is_some() && (status_s == "draft" || status_s == "rejected"),
        status: status_s,
        sellable,
        alcohol: values
            .get("alcohol")
            .is_some_and(|v| v == "on" || v == "true"),
        values,
        categories,
        temperatures,
        date_kinds,
        allergens,
        quarantine,
        tax_rates,
        municipalities,
        errors,
        review_comments,
        pending_revision,
        skus,
        images,
    };
    Ok(cx.respond(status, page.render()))
}

fn values_from_content(c: &ProductContent) -> BTreeMap<&'static str, String> {
    let mut v = BTreeMap::new();
    v.insert("title_ja", c.title_ja.clone());
    v.insert("title_en", c.title_en.clone().unwrap_or_default());
    v.insert("description_ja", c.description_ja.clone());
    v.insert(
        "description_en",
        c.description_en.clone().unwrap_or_default(),
    );
    v.insert("tags", c.tags.join(", "));
    let n = &c.nutrition;
    let num = |x: Option<f64>| x.map(|x| x.to_string()).unwrap_or_default();
    v.insert("nutrition_basis", n.basis.clone());
    v.insert("energy_kcal", num(n.energy_kcal));
    v.insert("protein_g", num(n.protein_g));
    v.insert("fat_g", num(n.fat_g));
    v.insert("carbohydrate_g", num(n.carbohydrate_g));
    v.insert("salt_g", num(n.salt_g));
    v.insert("category_code", c.category_code.clone());
    v.insert("temperature_class", c.temperature_class.clone());
    v.insert("date_kind", c.date_kind.clone());
    v.insert("shelf_life_days", c.shelf_life_days.to_string());
    v.insert("allergens", c.allergens.join(","));
    v.insert("ingredients", c.ingredients.clone());
    v.insert("additives", c.additives.clone());
    v.insert("net_content", c.net_content.clone());
    v.insert("storage", c.storage.clone());
    v.insert("tax_rate", c.tax_rate.to_string());
    v.insert(
        "alcohol",
        if c.alcohol {
            "on".into()
        } else {
            String::new()
        },
    );
    v.insert("quarantine_class", c.quarantine_class.clone());
    v.insert("hs_code", c.hs_code.clone().unwrap_or_default());
    v.insert(
        "origin_municipality_code",
        c.origin_municipality_code.clone().unwrap_or_default(),
    );
    v
}

fn values_from_form(f: &FormFields) -> BTreeMap<&'static str, String> {
    let mut v = BTreeMap::new();
    for k in TEXT_FIELDS {
        v.insert(k, f.get(k));
    }
    for k in [
        "category_code",
        "temperature_class",
        "date_kind",
        "tax_rate",
        "quarantine_class",
        "alcohol",
    ] {
        v.insert(k, f.get(k));
    }
    v.insert("allergens", f.all("allergens").join(","));
    v
}

/// The form as the JSON the API takes (so the same validation runs).
fn json_from_values(v: &BTreeMap<&'static str, String>) -> serde_json::Value {
    let s = |k: &str| v.get(k).cloned().unwrap_or_default();
    let opt = |k: &str| Some(s(k)).filter(|x| !x.trim().is_empty());
    // Numbers that do not parse are sent as text, so the API's own check names the field.
    let num = |k: &str| match s(k).trim() {
        "" => serde_json::Value::Null,
        t => t
            .parse::<f64>()
            .map(serde_json::Value::from)
            .unwrap_or_else(|_| serde_json::Value::from(t)),
    };
    serde_json::json!({
        "title_ja": s("title_ja"),
        "title_en": opt("title_en"),
        "description_ja": s("description_ja"),
        "description_en": opt("description_en"),
        "tags": s("tags").split([',', '、']).map(str::trim).filter(|t| !t.is_empty()).collect::<Vec<_>>(),
        "nutrition": {
            "basis": s("nutrition_basis"),
            "energy_kcal": num("energy_kcal"),
            "protein_g": num("protein_g"),
            "fat_g": num("fat_g"),
            "carbohydrate_g": num("carbohydrate_g"),
            "salt_g": num("salt_g"),
        },
        "category_code": s("category_code"),
        "temperature_class": s("temperature_class"),
        "date_kind": if s("date_kind").is_empty() { "best_before".into() } else { s("date_kind") },
        "shelf_life_days": s("shelf_life_days").trim().parse::<i32>().unwrap_or(0),
        "allergens": s("allergens").split(',').filter(|a| !a.is_empty()).collect::<Vec<_>>(),
        "ingredients": s("ingredients"),
        "additives": s("additives"),
        "net_content": s("net_content"),
        "storage": s("storage"),
        "tax_rate": s("tax_rate").parse::<i16>().ok(),
        "alcohol": s("alcohol") == "on",
        "quarantine_class": if s("quarantine_class").is_empty() { "none".into() } else { s("quarantine_class") },
        "hs_code": opt("hs_code"),
        "origin_municipality_code": opt("origin_municipality_code"),
    })
}

fn field_errors(cx: &Ctx, e: &ApiError) -> Option<FieldErrors> {
    let ApiError::Validation { fields, .. } = e else {
        return None;
    };
    let mut errors = FieldErrors::default();
    for (f, _) in fields {
        // `nutrition.energy_kcal` is shown at the nutrition block.
        errors.set(f.split('.').next().unwrap_or(f), cx.t.get("prod.err"));
    }
    Some(errors)
}

/// The new-product form.
#[utoipa::path(get, path = "/portal/products/new", tag = "pages",
    responses((status = 200, description = "form", content_type = "text/html"), (status = 303, description = "to /login")))]
pub async fn new_product_page(
    app: web::Data<AppState>,
    req: HttpRequest,
    SignedIn(actor): SignedIn,
) -> HttpResponse {
    let cx = ctx(&req, Some(&actor.locale));
    let mut values = BTreeMap::new();
    values.insert("temperature_class", "ambient".to_string());
    values.insert("date_kind", "best_before".to_string());
    values.insert("quarantine_class", "none".to_string());
    form_page(
        &app,
        &cx,
        &actor,
        None,
        values,
        FieldErrors::default(),
        StatusCode::OK,
    )
    .await
    .unwrap_or_else(|e| error_page(&req, &e))
}

/// Creates a draft from the form.
#[utoipa::path(post, path = "/portal/products/new", tag = "pages",
    request_body(content = String, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "created: to the product"), (status = 403, description = "CSRF", content_type = "text/html"),
        (status = 422, description = "form with errors", content_type = "text/html")))]
pub async fn create_product_submit(
    app: web::Data<AppState>,
    req: HttpRequest,
    form: SignedForm,
) -> HttpResponse {
    let SignedForm { actor, fields: f } = form;
    let cx = ctx(&req, Some(&actor.locale));
    let values = values_from_form(&f);
    let mut json = json_from_values(&values);
    if json["tax_rate"].is_null() {
        // The same default as the API: the category's suggested rate.
        let categories = match catalog::categories(&app.db).await {
            Ok(c) => c,
            Err(e) => return error_page(&req, &e),
        };
        let code = json["category_code"].as_str().unwrap_or_default();
        json["tax_rate"] =
            serde_json::json!(crate::catalog::content::default_tax_rate(&categories, code));
    }
    let result = match crate::http::json::parse::<ProductContent>(json.to_string().as_bytes()) {
        Ok(content) => catalog::create_product(&app, &actor, None, content).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(p) => cx.redirect(&format!("/portal/products/{}", p.id)).finish(),
        Err(e) => match field_errors(&cx, &e) {
            Some(errors) => form_page(
                &app,
                &cx,
                &actor,
                None,
                values,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
            .unwrap_or_else(|e| error_page(&req, &e)),
            None => error_page(&req, &e),
        },
    }
}

/// A product: edit form, SKUs, photos, submit.
#[utoipa::path(get, path = "/portal/products/{id}", tag = "pages",
    params(("id" = Uuid, Path, description = "product id")),
    responses((status = 200, description = "product page", content_type = "text/html"), (status = 404, description = "not yours", content_type = "text/html")))]
pub async fn product_page(
    app: web::Data<AppState>,
    req: HttpRequest,
    SignedIn(actor): SignedIn,
    id: web::Path<Uuid>,
) -> HttpResponse {
    let cx = ctx(&req, Some(&actor.locale));
    let id = id.into_inner();
    let values = match catalog::get_product(&app, &actor, id).await {
        Ok(d) => values_from_content(&ProductContent::from_model(&d.product)),
        Err(e) => return error_page(&req, &e),
    };
    form_page(
        &app,
        &cx,
        &actor,
        Some(id),
        values,
        FieldErrors::default(),
        StatusCode::OK,
    )
    .await
    .unwrap_or_else(|e| error_page(&req, &e))
}

/// Saves the edit form (listed products get a pending revision).
#[utoipa::path(post, path = "/portal/products/{id}", tag = "pages",
    params(("id" = Uuid, Path, description = "product id")),
    request_body(content = String, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "saved"), (status = 403, description = "CSRF", content_type = "text/html"),
        (status = 422, description = "form with errors", content_type = "text/html")))]
pub async fn update_product_submit(
    app: web::Data<AppState>,
    req: HttpRequest,
    form: SignedForm,
    id: web::Path<Uuid>,
) -> HttpResponse {
    let SignedForm { actor, fields: f } = form;
    let cx = ctx(&req, Some(&actor.locale));
    let id = id.into_inner();
    let values = values_from_form(&f);
    let json = json_from_values(&values);
    let patch = json.as_object().cloned().unwrap_or_default();
    match catalog::update_product(&app, &actor, id, patch).await {
        Ok(_) => cx.redirect(&format!("/portal/products/{id}")).finish(),
        Err(e) => match field_errors(&cx, &e) {
            Some(errors) => form_page(
                &app,
                &cx,
                &actor,
                Some(id),
                values,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
            .unwrap_or_else(|e| error_page(&req, &e)),
            None => error_page(&req, &e),
        },
    }
}

/// Adds a SKU from the product page.
#[utoipa::path(post, path = "/portal/products/{id}/skus", tag = "pages",
    params(("id" = Uuid, Path, description = "product id")),
    request_body(content = String, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "added"), (status = 403, description = "CSRF", content_type = "text/html"),
        (status = 422, description = "product page with the error", content_type = "text/html")))]
pub async fn add_sku_submit(
    app: web::Data<AppState>,
    req: HttpRequest,
    form: SignedForm,
    id: web::Path<Uuid>,
) -> HttpResponse {
    let SignedForm { actor, fields: f } = form;
    let cx = ctx(&req, Some(&actor.locale));
    let id = id.into_inner();
    let input = SkuInput {
        code: f.opt("sku_code"),
        name: None,
        jan: f.opt("sku_jan"),
        price_yen: f.get("sku_price_yen").trim().parse().ok().or(Some(0)),
        weight_g: f.get("sku_weight_g").trim().parse().ok().or(Some(0)),
        low_stock_threshold: None,
        active: None,
    };
    match catalog::create_sku(&app, &actor, id, input).await {
        Ok(_) => cx.redirect(&format!("/portal/products/{id}")).finish(),
        Err(e) => match field_errors(&cx, &e) {
            Some(errs) => {
                let mut errors = FieldErrors::default();
                for k in errs.0.keys() {
                    errors.set(&format!("sku_{k}"), cx.t.get("prod.err"));
                }
                let values = match catalog::get_product(&app, &actor, id).await {
                    Ok(d) => values_from_content(&ProductContent::from_model(&d.product)),
                    Err(e) => return error_page(&req, &e),
                };
                form_page(
                    &app,
                    &cx,
                    &actor,
                    Some(id),
                    values,
                    errors,
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await
                .unwrap_or_else(|e| error_page(&req, &e))
            }
            None => error_page(&req, &e),
        },
    }
}

/// Uploads a photo from the product page (multipart: `csrf_token` and `file`).
#[utoipa::path(post, path = "/portal/products/{id}/images", tag = "pages",
    params(("id" = Uuid, Path, description = "product id")),
    request_body(content = String, content_type = "multipart/form-data"),
    responses((status = 303, description = "uploaded"), (status = 403, description = "CSRF", content_type = "text/html"),
        (status = 422, description = "product page with the error", content_type = "text/html")))]
pub async fn upload_photo_submit(
    app: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<Uuid>,
    upload: SignedUpload,
) -> HttpResponse {
    let SignedUpload {
        actor,
        file,
        too_large,
        ..
    } = upload;
    let cx = ctx(&req, Some(&actor.locale));
    let id = id.into_inner();
    let result = if too_large {
        Err(ApiError::field("file", "too large"))
    } else {
        photos::upload(&app, &actor, id, file).await.map(|_| ())
    };
    match result {
        Ok(()) => cx.redirect(&format!("/portal/products/{id}")).finish(),
        Err(
            e @ (ApiError::Validation { .. }
            | ApiError::PayloadTooLarge { .. }
            | ApiError::Conflict { .. }),
        ) => {
            let mut errors = FieldErrors::default();
            errors.set("file", cx.t.get("prod.err"));
            let _ = e;
            let values = match catalog::get_product(&app, &actor, id).await {
                Ok(d) => values_from_content(&ProductContent::from_model(&d.product)),
                Err(e) => return error_page(&req, &e),
            };
            form_page(
                &app,
                &cx,
                &actor,
                Some(id),
                values,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
            .unwrap_or_else(|e| error_page(&req, &e))
        }
        Err(e) => error_page(&req, &e),
    }
}

/// Submits the product for review.
#[utoipa::path(post, path = "/portal/products/{id}/submit", tag = "pages",
    params(("id" = Uuid, Path, description = "product id")),
    request_body(content = String, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "submitted"), (status = 403, description = "CSRF", content_type = "text/html"),
        (status = 409, description = "not submittable (e.g. no SKU)", content_type = "text/html")))]
pub async fn submit_product_submit(
    app: web::Data<AppState>,
    req: HttpRequest,
    form: SignedForm,
    id: web::Path<Uuid>,
) -> HttpResponse {
    let SignedForm { actor, .. } = form;
    let cx = ctx(&req, Some(&actor.locale));
    let id = id.into_inner();
    match catalog::transition(&app, &actor, id, Action::Submit, BTreeMap::new()).await {
        Ok(_) => cx.redirect(&format!("/portal/products/{id}")).finish(),
        Err(ApiError::Conflict { .. }) => {
            let mut errors = FieldErrors::default();
            errors.set("submit", cx.t.get("prod.err"));
            let values = match catalog::get_product(&app, &actor, id).await {
                Ok(d) => values_from_content(&ProductContent::from_model(&d.product)),
                Err(e) => return error_page(&req, &e),
            };
            form_page(
                &app,
                &cx,
                &actor,
                Some(id),
                values,
                errors,
                StatusCode::CONFLICT,
            )
            .await
            .unwrap_or_else(|e| error_page(&req, &e))
        }
        Err(e) => error_page(&req, &e),
    }
}
