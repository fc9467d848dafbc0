//! Sales-channel pages: the operators' channel list and one channel's page (state, credential
//! expiry, calls used against the rate limit, marks waiting, the import cursor, the resync's
//! progress, listings by state with the channel's own words and a replay for refused ones, and
//! the channel's orders with what is still to tell it), with pause / resume / resync; and the
//! producer's page of where their products are live. Pages call the same services as the API.
use super::extract::{SignedForm, SignedIn};
use super::pages::{Chrome, ctx, error_page};
use crate::{channels::service as channels, error::ApiError, state::AppState};
use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use askama::Template;
use serde::Deserialize;
use uuid::Uuid;

/// One channel in the list.
struct ChannelRow {
    id: Uuid,
    name: String,
    kind: String,
    state: String,
    pending: u64,
    last_sync: String,
    last_error: String,
    expire_on: String,
}

#[derive(Template)]
#[template(
    config = "src/askama.toml",
    path = "web/templates/operator_channels.html"
)]
struct ListPage {
    c: Chrome,
    rows: Vec<ChannelRow>,
}

fn when(t: Option<chrono::DateTime<chrono::Utc>>) -> String {
    t.map(crate::core::jst_text).unwrap_or_default()
}

/// The caller's aggregator's channel accounts with their sync state.
#[utoipa::path(get, path = "/operator/channels", tag = "pages",
    responses((status = 200, description = "HTML"), (status = 303, description = "to the login"), (status = 403, description = "HTML")))]
pub async fn list_page(
    app: web::Data<AppState>,
    req: HttpRequest,
    SignedIn(actor): SignedIn,
) -> HttpResponse {
    let list = match channels::list(&app, &actor).await {
        Ok(l) => l,
        Err(e) => return error_page(&req, &e),
    };
    let mut rows = Vec::new();
    for c in list {
        let status = match channels::status(&app, &c).await {
            Ok(s) => s,
            Err(e) => return error_page(&req, &e),
        };
        rows.push(ChannelRow {
            id: c.id,
            name: c.name,
            kind: c.kind,
            state: c.state,
            pending: status.pending_marks,
            last_sync: when(status.last_sync_at),
            last_error: status.last_error.unwrap_or_default(),
            expire_on: c
                .credentials_expire_on
                .map(|d| d.to_string())
                .unwrap_or_default(),
        });
    }
    let cx = ctx(&req, Some(&actor.locale));
    let page = ListPage {
        c: cx.chrome(Some(actor.display_name.clone())),
        rows,
    };
    cx.respond(StatusCode::OK, page.render())
}

#[derive(Template)]
#[template(
    config = "src/askama.toml",
    path = "web/templates/operator_channel_form.html"
)]
struct FormPage {
    c: Chrome,
    /// None for a new account.
    id: Option<Uuid>,
    json: String,
    /// (field, problem)
    errors: Vec<(String, String)>,
}

/// The document a new account starts from (every field the API takes).
fn new_template() -> String {
    serde_json::to_string_pretty(&serde_json::json!({
        "kind": "rakuten",
        "name": "楽天市場店",
        "base_url": "https://api.rms.rakuten.co.jp/es/2.0",
        "credentials": {"service_secret": "", "license_key": ""},
        "credentials_expire_on": null,
        "settings": {"category_map": {}, "stock_buffer": 0},
    }))
    .unwrap_or_default()
}

/// A new channel account, written as the JSON document the API takes (credentials included;
/// they are sealed when saved and never shown again).
#[utoipa::path(get, path = "/operator/channels/new", tag = "pages",
    responses((status = 200, description = "HTML"), (status = 303, description = "to the login"), (status = 403, description = "HTML")))]
pub async fn new_page(req: HttpRequest, SignedIn(actor): SignedIn) -> HttpResponse {
    if !matches!(
        actor.role,
        crate::http::actor::Role::Operator | crate::http::actor::Role::Admin
    ) {
        return error_page(&req, &ApiError::forbidden());
    }
    let cx = ctx(&req, Some(&actor.locale));
    let page = FormPage {
        c: cx.chrome(Some(actor.display_name.clone())),
        id: None,
        json: new_template(),
        errors: Vec::new(),
    };
    cx.respond(StatusCode::OK, page.render())
}

/// The problems of a refused document, by field; other failures are error pages.
fn problems(e: ApiError) -> Result<Vec<(String, String)>, ApiError> {
    match e {
        ApiError::Validation { fields, .. } => Ok(fields),
        ApiError::BadRequest { message, .. } => Ok(vec![("document".into(), message)]),
        other => Err(other),
    }
}

fn form_answer(
    req: &HttpRequest,
    actor: &crate::http::actor::Actor,
    id: Option<Uuid>,
    json: String,
    result: Result<Uuid, ApiError>,
) -> HttpResponse {
    let cx = ctx(req, Some(&actor.locale));
    match result.map_err(problems) {
        Ok(saved) => cx.redirect(&format!("/operator/channels/{saved}")).finish(),
        Err(Ok(errors)) => {
            let page = FormPage {
                c: cx.chrome(Some(actor.display_name.clone())),
                id,
                json,
                errors,
            };
            cx.respond(StatusCode::UNPROCESSABLE_ENTITY, page.render())
        }
        Err(Err(e)) => error_page(req, &e),
    }
}

fn read_doc<T: serde::de::DeserializeOwned>(json: &str) -> Result<T, ApiError> {
    serde_json::from_str(json).map_err(|e| {
        ApiError::bad_request(
            "malformed_document",
            format!("the document does not read: {e}"),
        )
    })
}

/// Creates the account from the document; its problems are listed by field and nothing is
/// saved.
#[utoipa::path(post, path = "/operator/channels/new", tag = "pages",
    request_body(content = String, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "to the new channel"), (status = 403, description = "HTML"), (status = 422, description = "HTML with the problems")))]
pub async fn create_submit(
    app: web::Data<AppState>,
    req: HttpRequest,
    form: SignedForm,
) -> HttpResponse {
    let SignedForm { actor, fields } = form;
    let json = fields.get("channel");
    let result = match read_doc(&json) {
        Ok(input) => channels::create(&app, &actor, input).await.map(|c| c.id),
        Err(e) => Err(e),
    };
    form_answer(&req, &actor, None, json, result)
}

/// An account's settings (and name, base URL, credentials, expiry) as a JSON merge patch.
#[utoipa::path(get, path = "/operator/channels/{id}/edit", tag = "pages",
    params(("id" = Uuid, Path, description = "channel id")),
    responses((status = 200, description = "HTML"), (status = 303, description = "to the login"), (status = 403, description = "HTML"), (status = 404, description = "HTML")))]
pub async fn edit_page(
    app: web::Data<AppState>,
    req: HttpRequest,
    SignedIn(actor): SignedIn,
    id: web::Path<Uuid>,
) -> HttpResponse {
    let c = match channels::get(&app, &actor, id.into_inner()).await {
        Ok(c) => c,
        Err(ApiError::NotFound) => return super::not_found_page(&req),
        Err(e) => return error_page(&req, &e),
    };
    let doc = serde_json::json!({
        "name": c.name,
        "base_url": c.base_url,
        "credentials_expire_on": c.credentials_expire_on,
        "settings": channels::settings_of(&c),
    });
    let cx = ctx(&req, Some(&actor.locale));
    let page = FormPage {
        c: cx.chrome(Some(actor.display_name.clone())),
        id: Some(c.id),
        json: serde_json::to_string_pretty(&doc).unwrap_or_default(),
        errors: Vec::new(),
    };
    cx.respond(StatusCode::OK, page.render())
}

/// Applies the patch document; its problems are listed by field and nothing is saved.
#[utoipa::path(post, path = "/operator/channels/{id}/edit", tag = "pages",
    params(("id" = Uuid, Path, description = "channel id")),
    request_body(content = String, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "to the channel"), (status = 403, description = "HTML"), (status = 404, description = "HTML"), (status = 422, description = "HTML with the problems")))]
pub async fn edit_submit(
    app: web::Data<AppState>,
    req: HttpRequest,
    form: SignedForm,
    id: web::Path<Uuid>,
) -> HttpResponse {
    let SignedForm { actor, fields } = form;
    let id = id.into_inner();
    let json = fields.get("channel");
    let result = match read_doc(&json) {
        Ok(patch) => channels::update(&app, &actor, id, patch)
            .await
            .map(|c| c.id),
        Err(e) => Err(e),
    };
    if matches!(result, Err(ApiError::NotFound)) {
        return super::not_found_page(&req);
    }
    form_answer(&req, &actor, Some(id), json, result)
}

/// One listing row of a channel page.
struct ListingRow {
    sku_id: Uuid,
    sku_code: String,
    state: String,
    pushed_qty: String,
    synced_at: String,
    pending: bool,
    last_error: String,
}

/// One order row of a channel page.
struct OrderRow {
    external_id: String,
    order_id: Option<Uuid>,
    remote_status: String,
    owed: String,
    last_error: String,
    created: String,
}

#[derive(Template)]
#[template(
    config = "src/askama.toml",
    path = "web/templates/operator_channel.html"
)]
struct DetailPage {
    c: Chrome,
    id: Uuid,
    name: String,
    kind: String,
    state: String,
    expire_on: String,
    import_cursor: String,
    calls: i32,
    calls_limit: u32,
    pending: u64,
    running: bool,
    last_sync: String,
    last_error: String,
    resync: String,
    /// (state, count)
    states: Vec<(String, i64)>,
    filter: String,
    listings: Vec<ListingRow>,
    orders: Vec<OrderRow>,
    error: Option<String>,
}

/// Filters of a channel page.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChannelPageQuery {
    /// Listings in this state only.
    pub state: Option<String>,
    pub error: Option<String>,
    pub lang: Option<String>,
}

/// One channel: its sync state, listings by state and orders.
#[utoipa::path(get, path = "/operator/channels/{id}", tag = "pages",
    params(("id" = Uuid, Path, description = "channel id"), ChannelPageQuery),
    responses((status = 200, description = "HTML"), (status = 303, description = "to the login"), (status = 403, description = "HTML"),
        (status = 404, description = "HTML"), (status = 422, description = "HTML")))]
pub async fn detail_page(
    app: web::Data<AppState>,
    req: HttpRequest,
    SignedIn(actor): SignedIn,
    id: web::Path<Uuid>,
    q: web::Query<ChannelPageQuery>,
) -> HttpResponse {
    let id = id.into_inner();
    let q = q.into_inner();
    let c = match channels::get(&app, &actor, id).await {
        Ok(c) => c,
        Err(ApiError::NotFound) => return super::not_found_page(&req),
        Err(e) => return error_page(&req, &e),
    };
    let filter = q.state.filter(|s| !s.is_empty());
    let status = match channels::status(&app, &c).await {
        Ok(s) => s,
        Err(e) => return error_page(&req, &e),
    };
    let listings = match channels::listings(&app, &actor, Some(id), filter.as_deref()).await {
        Ok(l) => l,
        Err(ApiError::Validation { .. }) => {
            return super::pages::message_page(
                &req,
                StatusCode::UNPROCESSABLE_ENTITY,
                "channels.title",
                "shop.bad_filter",
            );
        }
        Err(e) => return error_page(&req, &e),
    };
    let orders = match channels::channel_orders(&app, &actor, id).await {
        Ok(o) => o,
        Err(e) => return error_page(&req, &e),
    };
    let cx = ctx(&req, Some(&actor.locale));
    let r = &status.resync;
    let page = DetailPage {
        c: cx.chrome(Some(actor.display_name.clone())),
        id,
        name: c.name.clone(),
        kind: c.kind.clone(),
        state: c.state.clone(),
        expire_on: c
            .credentials_expire_on
            .map(|d| d.to_string())
            .unwrap_or_default(),
        import_cursor: status.import_cursor.clone().unwrap_or_default(),
        calls: status.calls_last_minute,
        calls_limit: status.calls_per_minute_limit,
        pending: status.pending_marks,
        running: status.running,
        last_sync: when(status.last_sync_at),
        last_error: status.last_error.clone().unwrap_or_default(),
        resync: if r.total > 0 {
            format!("{} / {} ({})", r.done, r.total, r.errors)
        } else {
            String::new()
        },
        states: status.listings.clone().into_iter().collect(),
        filter: filter.unwrap_or_default(),
        listings: listings
            .into_iter()
            .take(500)
            .map(|(l, _, code)| ListingRow {
                sku_id: l.sku_id,
                sku_code: code,
                pending: l.dirty_seq > l.synced_seq,
                state: l.state,
                pushed_qty: l.pushed_qty.map(|q| q.to_string()).unwrap_or_default(),
                synced_at: when(l.synced_at),
                last_error: l.last_error.unwrap_or_default(),
            })
            .collect(),
        orders: orders
            .into_iter()
            .map(|o| OrderRow {
                owed: [
                    (o.import_due, "import"),
                    (o.cancel_due, "cancel"),
                    (o.ship_due, "ship"),
                ]
                .iter()
                .filter(|(due, _)| *due)
                .map(|(_, w)| *w)
                .collect::<Vec<_>>()
                .join(" "),
                external_id: o.external_id,
                order_id: o.order_id,
                remote_status: o.remote_status,
                last_error: o.last_error.unwrap_or_default(),
                created: crate::core::jst_text(o.created_at),
            })
            .collect(),
        error: q.error.filter(|e| !e.is_empty()),
    };
    cx.respond(StatusCode::OK, page.render())
}

/// A step on a channel from its page: `pause`, `resume`, `resync`, or `replay` (with
/// `sku_id`: write a refused listing again).
#[utoipa::path(post, path = "/operator/channels/{id}/{action}", tag = "pages",
    params(("id" = Uuid, Path, description = "channel id"), ("action" = String, Path, description = "pause, resume, resync or replay")),
    request_body(content = String, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "back to the channel (with the problem when refused)"), (status = 403, description = "HTML"), (status = 404, description = "HTML")))]
pub async fn action_submit(
    app: web::Data<AppState>,
    req: HttpRequest,
    form: SignedForm,
    path: web::Path<(Uuid, String)>,
) -> HttpResponse {
    let SignedForm { actor, fields } = form;
    let (id, action) = path.into_inner();
    let result = match action.as_str() {
        "pause" => channels::set_paused(&app, &actor, id, true)
            .await
            .map(|_| ()),
        "resume" => channels::set_paused(&app, &actor, id, false)
            .await
            .map(|_| ()),
        "resync" => channels::resync(&app, &actor, id).await.map(|_| ()),
        "replay" => match Uuid::parse_str(fields.get("sku_id").trim()) {
            Ok(sku) => channels::replay_listing(&app, &actor, id, sku)
                .await
                .map(|_| ()),
            Err(_) => Err(ApiError::field("sku_id", "must be a SKU id")),
        },
        _ => Err(ApiError::NotFound),
    };
    let cx = ctx(&req, Some(&actor.locale));
    super::pages::back_to(&cx, &req, &format!("/operator/channels/{id}"), result)
}

/// One of the producer's listings.
struct ProducerRow {
    channel: String,
    sku_code: String,
    state: String,
    pushed_qty: String,
}

#[derive(Template)]
#[template(
    config = "src/askama.toml",
    path = "web/templates/portal_channels.html"
)]
struct ProducerPage {
    c: Chrome,
    rows: Vec<ProducerRow>,
}

/// Where the producer's products are offered, and in which state, per channel.
#[utoipa::path(get, path = "/portal/channels", tag = "pages",
    responses((status = 200, description = "HTML"), (status = 303, description = "to the login"), (status = 403, description = "HTML")))]
pub async fn producer_page(
    app: web::Data<AppState>,
    req: HttpRequest,
    SignedIn(actor): SignedIn,
) -> HttpResponse {
    if actor.role != crate::http::actor::Role::Producer {
        return error_page(&req, &ApiError::forbidden());
    }
    let rows = match channels::listings(&app, &actor, None, None).await {
        Ok(l) => l,
        Err(e) => return error_page(&req, &e),
    };
    let cx = ctx(&req, Some(&actor.locale));
    let page = ProducerPage {
        c: cx.chrome(Some(actor.display_name.clone())),
        rows: rows
            .into_iter()
            .map(|(l, channel, code)| ProducerRow {
                channel,
                sku_code: code,
                state: l.state,
                pushed_qty: l.pushed_qty.map(|q| q.to_string()).unwrap_or_default(),
            })
            .collect(),
    };
    cx.respond(StatusCode::OK, page.render())
}
