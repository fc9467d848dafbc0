//! Inventory pages: the producer's shipment notices and stock, the operators' receiving and
//! warehouse views. Same services as the API; CSRF on every form.
use super::extract::{SignedForm, SignedIn};
use super::pages::{Chrome, Ctx, FieldErrors, ctx, error_page, get, message_page, pairs};
use crate::{
    catalog::service as catalog,
    error::ApiError,
    http::actor::{Actor, Role},
    inventory::{
        alerts,
        rules::MinDays,
        shipments::{self},
        stock::{self, LotFilter, SkuTotal},
    },
    state::AppState,
};
use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use askama::Template;
use entity::{sku, stock_lot};
use std::collections::BTreeMap;
use uuid::Uuid;

/// One lot row.
pub struct LotRow {
    pub id: Uuid,
    pub sku: String,
    pub lot_code: String,
    pub best_before: String,
    pub days: i64,
    pub on_hand: i64,
    pub reserved: i64,
    pub available: i64,
    pub flag: String,
}

/// One SKU's totals on the stock page.
pub struct SkuRow {
    pub sku: String,
    pub lots: i64,
    pub on_hand: i64,
    pub reserved: i64,
    pub available: i64,
    pub sellable: i64,
    pub next_date: String,
    /// Available is below the SKU's low-stock threshold.
    pub low: bool,
}

/// The stock page's filters, as given (redisplayed in the form and kept in the export links).
#[derive(Default)]
pub struct StockFilters {
    pub producer_id: String,
    pub island_code: String,
    pub temperature_class: String,
    pub expiring: String,
}

#[derive(Template)]
#[template(config = "src/askama.toml", path = "web/templates/stock.html")]
struct StockPage {
    c: Chrome,
    staff: bool,
    rows: Vec<LotRow>,
    sku_rows: Vec<SkuRow>,
    f: StockFilters,
    producers: Vec<(String, String)>,
    islands: Vec<(String, String)>,
    temperatures: Vec<&'static str>,
    locations: Vec<(String, String)>,
    export_query: String,
    errors: FieldErrors,
}

/// The stock view: the producer's own lots, or the whole warehouse for operators, filtered by
/// producer, island, temperature class and days to date; each lot links to its history.
#[utoipa::path(get, path = "/stock", tag = "pages",
    params(("producer_id" = Option<Uuid>, Query, description = "one producer (staff)"),
        ("island_code" = Option<String>, Query, description = "producers of one island"),
        ("temperature_class" = Option<String>, Query, description = "ambient, chilled or frozen"),
        ("expiring_within_days" = Option<i64>, Query, description = "only lots dated within N days")),
    responses((status = 200, description = "stock", content_type = "text/html"), (status = 303, description = "to /login"),
        (status = 403, description = "not allowed", content_type = "text/html"),
        (status = 422, description = "page with the filter errors", content_type = "text/html")))]
pub async fn stock_page(
    app: web::Data<AppState>,
    req: HttpRequest,
    SignedIn(actor): SignedIn,
) -> HttpResponse {
    let cx = ctx(&req, Some(&actor.locale));
    let q = pairs(req.query_string().as_bytes());
    let f = StockFilters {
        producer_id: get(&q, "producer_id"),
        island_code: get(&q, "island_code"),
        temperature_class: get(&q, "temperature_class"),
        expiring: get(&q, "expiring_within_days").trim().to_string(),
    };
    let staff = matches!(actor.role, Role::Operator | Role::Admin);
    let mut errors = FieldErrors::default();
    let filter = lot_filter(&cx, &f, &mut errors);
    let data = match load_stock(&app, &actor, &cx, staff, filter, &mut errors).await {
        Ok(x) => x,
        Err(e) => return error_page(&req, &e),
    };
    let status = if errors.any() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = stock_view(&cx, &actor, staff, f, data, errors);
    cx.respond(status, page.render())
}

/// The lot filter the page's filters ask for; text that is not an id or a number is set as an
/// error at its field (and left out of the filter).
fn lot_filter(cx: &Ctx, f: &StockFilters, errors: &mut FieldErrors) -> LotFilter {
    let producer_id = match f.producer_id.as_str() {
        "" => None,
        p => match Uuid::parse_str(p) {
            Ok(id) => Some(id),
            Err(_) => {
                errors.set("producer_id", cx.t.get("stock.err.filter"));
                None
            }
        },
    };
    let expiring_within_days = match f.expiring.as_str() {
        "" => None,
        d => match d.parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => {
                errors.set("expiring_within_days", cx.t.get("stock.err.filter"));
                None
            }
        },
    };
    LotFilter {
        producer_id,
        island_code: Some(f.island_code.clone()),
        temperature_class: Some(f.temperature_class.clone()),
        expiring_within_days,
        ..Default::default()
    }
}

/// What the stock page shows, as loaded.
struct StockData {
    lots: Vec<stock_lot::Model>,
    totals: Vec<(SkuTotal, sku::Model, String, i64)>,
    /// SKU code and title per SKU in scope.
    skus: BTreeMap<Uuid, String>,
    min_days: MinDays,
    choices: StaffChoices,
}

/// The staff's choices on the stock page (empty for producers).
#[derive(Default)]
struct StaffChoices {
    locations: Vec<(String, String)>,
    producers: Vec<(String, String)>,
    islands: Vec<(String, String)>,
}

/// Loads the lots and SKU totals (none when the filters already have errors; a filter the
/// service refuses is set as an error at its field), the lots' minimum days, the SKU names and,
/// for staff, the choices.
async fn load_stock(
    app: &AppState,
    actor: &Actor,
    cx: &Ctx,
    staff: bool,
    filter: LotFilter,
    errors: &mut FieldErrors,
) -> Result<StockData, ApiError> {
    let (lots, totals) = if errors.any() {
        (Vec::new(), Vec::new())
    } else {
        match stock::lots(app, actor, filter.clone()).await {
            Ok(l) => (l, stock::sku_summary(app, actor, filter).await?),
            Err(ApiError::Validation { fields, .. }) => {
                for (field, _) in fields {
                    errors.set(&field, cx.t.get("stock.err.filter"));
                }
                (Vec::new(), Vec::new())
            }
            Err(e) => return Err(e),
        }
    };
    let min_days = MinDays::load(app, &app.db, &lots).await?;
    let skus: BTreeMap<Uuid, String> = catalog::skus_in_scope(app, actor)
        .await?
        .into_iter()
        .map(|(s, t, _)| (s.id, format!("{} {}", s.code, t)))
        .collect();
    let choices = if staff {
        staff_choices(app, actor, cx.t.lang() == "ja").await?
    } else {
        StaffChoices::default()
    };
    Ok(StockData {
        lots,
        totals,
        skus,
        min_days,
        choices,
    })
}

/// The locations, producers (up to 200) and islands (named in Japanese when `ja`) staff choose
/// from.
async fn staff_choices(app: &AppState, actor: &Actor, ja: bool) -> Result<StaffChoices, ApiError> {
    Ok(StaffChoices {
        locations: shipments::locations(app, actor)
            .await?
            .into_iter()
            .map(|l| (l.code, l.zone))
            .collect(),
        producers: crate::producers::service::list_producers(
            app,
            actor,
            crate::producers::service::ProducerFilter::default(),
            crate::core::pagination::Page {
                limit: 200,
                after: None,
            },
        )
        .await?
        .into_iter()
        .map(|p| (p.id.to_string(), p.legal_name))
        .collect(),
        islands: crate::reference::service::islands(&app.db, None)
            .await?
            .into_iter()
            .map(|i| (i.code, if ja { i.name_ja } else { i.name_en }))
            .collect(),
    })
}

/// The stock page of the loaded data, with the filters as given and their errors.
fn stock_view(
    cx: &Ctx,
    actor: &Actor,
    staff: bool,
    f: StockFilters,
    data: StockData,
    errors: FieldErrors,
) -> StockPage {
    let StockData {
        lots,
        totals,
        skus,
        min_days,
        choices,
    } = data;
    let export_query = export_query(&f);
    StockPage {
        c: cx.chrome(Some(actor.display_name.clone())),
        staff,
        rows: lot_rows(cx, lots, &skus, &min_days),
        sku_rows: sku_rows(totals),
        export_query: if export_query.is_empty() {
            String::new()
        } else {
            format!("{export_query}&")
        },
        f,
        producers: choices.producers,
        islands: choices.islands,
        temperatures: crate::catalog::domain::TEMPERATURE_CLASSES.to_vec(),
        locations: choices.locations,
        errors,
    }
}

/// The given filters as a query string (for the export links).
fn export_query(f: &StockFilters) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(
            [
                ("producer_id", &f.producer_id),
                ("island_code", &f.island_code),
                ("temperature_class", &f.temperature_class),
                ("expiring_within_days", &f.expiring),
            ]
            .into_iter()
            .filter(|(_, v)| !v.is_empty()),
        )
        .finish()
}

/// One row per lot: its SKU's name, days to its date, units and expiry flag.
fn lot_rows(
    cx: &Ctx,
    lots: Vec<stock_lot::Model>,
    skus: &BTreeMap<Uuid, String>,
    min_days: &MinDays,
) -> Vec<LotRow> {
    let today = crate::core::today_jst();
    lots.into_iter()
        .map(|l| LotRow {
            id: l.id,
            sku: skus
                .get(&l.sku_id)
                .cloned()
                .unwrap_or_else(|| l.sku_id.to_string()),
            lot_code: l.lot_code.clone(),
            best_before: l.best_before.to_string(),
            days: (l.best_before - today).num_days(),
            on_hand: l.on_hand,
            reserved: l.reserved,
            available: l.on_hand - l.reserved,
            flag: alerts::flag(l.best_before, min_days.for_lot(&l))
                .map(|f| cx.t.label("flag", f))
                .unwrap_or("")
                .to_string(),
        })
        .collect()
}

/// One row per SKU total, marked low below the SKU's low-stock threshold.
fn sku_rows(totals: Vec<(SkuTotal, sku::Model, String, i64)>) -> Vec<SkuRow> {
    totals
        .into_iter()
        .map(|(t, s, title, sellable)| SkuRow {
            sku: format!("{} {title}", s.code),
            lots: t.lots,
            on_hand: t.on_hand,
            reserved: t.reserved,
            available: t.on_hand - t.reserved,
            sellable,
            next_date: t.next_date.map(|d| d.to_string()).unwrap_or_default(),
            low: s.low_stock_threshold > 0
                && t.on_hand - t.reserved < i64::from(s.low_stock_threshold),
        })
        .collect()
}

/// Adds a location from the stock page (operators).
#[utoipa::path(post, path = "/stock/locations", tag = "pages",
    request_body(content = String, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "added"), (status = 403, description = "CSRF or role", content_type = "text/html"),
        (status = 422, description = "invalid", content_type = "text/html")))]
pub async fn add_location_submit(
    app: web::Data<AppState>,
    req: HttpRequest,
    form: SignedForm,
) -> HttpResponse {
    let SignedForm { actor, fields: f } = form;
    match shipments::create_location(&app, &actor, &f.get("code"), &f.get("zone")).await {
        Ok(_) => ctx(&req, Some(&actor.locale)).redirect("/stock").finish(),
        Err(ApiError::Validation { .. } | ApiError::Conflict { .. }) => message_page(
            &req,
            StatusCode::UNPROCESSABLE_ENTITY,
            "error.title",
            "form.has_errors",
        ),
        Err(e) => error_page(&req, &e),
    }
}
