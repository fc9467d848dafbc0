//! Shipment notices on pages: the producer's own (with the form for a new one), or every
//! shipment for operators with the receiving forms and the photos of each receiving event.
use super::extract::{SignedForm, SignedIn, SignedUpload};
use super::pages::{Chrome, FieldErrors, ctx, error_page, message_page};
use crate::{
    catalog::service as catalog,
    core::secrets::random_token,
    error::ApiError,
    http::actor::Role,
    inventory::{
        receipt_photos,
        receiving::{self, ReceiptLineInput},
        shipments::{self, LineInput, ShipmentInput},
    },
    state::AppState,
};
use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use askama::Template;
use std::collections::BTreeMap;
use uuid::Uuid;

/// A shipment row.
pub struct ShipmentRow {
    pub id: Uuid,
    pub status: String,
    pub temperature: String,
    pub expected: String,
    pub lines: Vec<(String, String, i64, i64, i64)>,
    pub receipts: Vec<ReceiptRow>,
}

/// One receiving event as the shipment page shows it.
pub struct ReceiptRow {
    pub id: String,
    /// When, in JST.
    pub when: String,
    pub notes: String,
    pub photos: Vec<String>,
    /// What the event counted, one text per line.
    pub counts: Vec<String>,
}

#[derive(Template)]
#[template(config = "src/askama.toml", path = "web/templates/shipments.html")]
struct ShipmentsPage {
    c: Chrome,
    staff: bool,
    rows: Vec<ShipmentRow>,
    skus: Vec<(String, String)>,
    line_slots: Vec<usize>,
    errors: FieldErrors,
    locations: Vec<(String, String)>,
    /// Approved producers (staff declare on their behalf).
    producers: Vec<(String, String)>,
    receipt_key: String,
}

async fn shipments_view(
    app: &AppState,
    req: &HttpRequest,
    actor: &crate::http::actor::Actor,
    errors: FieldErrors,
    status: StatusCode,
) -> HttpResponse {
    let cx = ctx(req, Some(&actor.locale));
    let staff = matches!(actor.role, Role::Operator | Role::Admin);
    let built = async {
        let list = shipments::list(app, actor, None, None).await?;
        let skus_all = catalog::skus_in_scope(app, actor).await?;
        let names: BTreeMap<Uuid, String> = skus_all
            .iter()
            .map(|(s, t, _)| (s.id, format!("{} {}", s.code, t)))
            .collect();
        let mut rows = Vec::new();
        for s in list.into_iter().take(50) {
            // Listed in scope already: no second lookup of the shipment row.
            let d = shipments::detail(&app.db, s.clone()).await?;
            rows.push(ShipmentRow {
                id: s.id,
                status: s.status,
                temperature: s.temperature_class,
                expected: s
                    .expected_arrival
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
                lines: d
                    .lines
                    .iter()
                    .map(|l| {
                        (
                            l.id.to_string(),
                            names.get(&l.sku_id).cloned().unwrap_or_default(),
                            l.declared_qty,
                            l.received_qty,
                            l.declared_qty - l.received_qty - l.damaged_qty - l.refused_qty,
                        )
                    })
                    .collect(),
                receipts: d
                    .receipts
                    .iter()
                    .map(|r| {
                        let counts = r
                            .lines
                            .iter()
                            .map(|l| {
                                let sku = d
                                    .lines
                                    .iter()
                                    .find(|x| x.id == l.line_id)
                                    .and_then(|x| names.get(&x.sku_id))
                                    .cloned()
                                    .unwrap_or_default();
                                let bearer = l
                                    .damage_bearer
                                    .as_deref()
                                    .map(|b| format!(" ({})", cx.t.label("bearer", b)))
                                    .unwrap_or_default();
                                format!(
                                    "{sku}: {} {} · {} {}{bearer} · {} {}",
                                    cx.t.get("ship.received"),
                                    l.received,
                                    cx.t.get("ship.damaged"),
                                    l.damaged,
                                    cx.t.get("ship.refused"),
                                    l.refused
                                )
                            })
                            .collect();
                        ReceiptRow {
                            id: r.receipt.id.to_string(),
                            when: crate::core::jst_text(r.receipt.created_at),
                            notes: r.receipt.notes.clone(),
                            photos: r.photos.iter().map(|p| p.id.to_string()).collect(),
                            counts,
                        }
                    })
                    .collect(),
            });
        }
        let (locations, producers) = if staff {
            (
                shipments::locations(app, actor)
                    .await?
                    .into_iter()
                    .map(|l| (l.id.to_string(), format!("{} ({})", l.code, l.zone)))
                    .collect(),
                crate::producers::service::list_producers(
                    app,
                    actor,
                    crate::producers::service::ProducerFilter {
                        status: Some("approved".into()),
                        ..Default::default()
                    },
                    crate::core::pagination::Page {
                        limit: 200,
                        after: None,
                    },
                )
                .await?
                .into_iter()
                .map(|p| (p.id.to_string(), p.legal_name))
                .collect(),
            )
        } else {
            (Vec::new(), Vec::new())
        };
        Ok::<_, ApiError>((
            rows,
            skus_all
                .into_iter()
                .map(|(s, t, temp)| (s.id.to_string(), format!("{} {} [{temp}]", s.code, t)))
                .collect(),
            locations,
            producers,
        ))
    }
    .await;
    let (rows, skus, locations, producers) = match built {
        Ok(x) => x,
        Err(e) => return error_page(req, &e),
    };
    let page = ShipmentsPage {
        c: cx.chrome(Some(actor.display_name.clone())),
        staff,
        rows,
        skus,
        line_slots: (0..5).collect(),
        errors,
        locations,
        producers,
        // A fresh key per rendered form: a double-submitted receiving form is recorded once.
        receipt_key: random_token(),
    };
    cx.respond(status, page.render())
}

/// Shipment notices: the producer's own (with the form for a new one), or every shipment for
/// operators (with receiving forms).
#[utoipa::path(get, path = "/shipments", tag = "pages",
    responses((status = 200, description = "shipments", content_type = "text/html"), (status = 303, description = "to /login")))]
pub async fn shipments_page(
    app: web::Data<AppState>,
    req: HttpRequest,
    SignedIn(a): SignedIn,
) -> HttpResponse {
    shipments_view(&app, &req, &a, FieldErrors::default(), StatusCode::OK).await
}

/// Declares a shipment from the form (up to five lines).
#[utoipa::path(post, path = "/shipments", tag = "pages",
    request_body(content = String, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "declared"), (status = 403, description = "CSRF", content_type = "text/html"),
        (status = 422, description = "form with errors", content_type = "text/html")))]
pub async fn create_shipment_submit(
    app: web::Data<AppState>,
    req: HttpRequest,
    form: SignedForm,
) -> HttpResponse {
    let SignedForm { actor, fields: f } = form;
    let cx = ctx(&req, Some(&actor.locale));
    // Text that is not a date or a number is refused at its field, not silently dropped.
    let mut bad = FieldErrors::default();
    let mut date = |key: String| -> Option<chrono::NaiveDate> {
        let v = f.get(&key);
        if v.trim().is_empty() {
            return None;
        }
        let d = v.trim().parse().ok();
        if d.is_none() {
            bad.set(&key, cx.t.get("prod.err"));
        }
        d
    };
    let mut lines = Vec::new();
    for i in 0..5 {
        let sku = f.get(&format!("sku_{i}"));
        if sku.is_empty() {
            continue;
        }
        lines.push(LineInput {
            sku_id: Uuid::parse_str(&sku).unwrap_or_default(),
            qty: f.get(&format!("qty_{i}")).trim().parse().unwrap_or(0),
            lot_code: f.get(&format!("lot_{i}")),
            best_before: date(format!("best_before_{i}")),
            production_date: date(format!("production_date_{i}")),
        });
    }
    let ship_date = date("ship_date".into());
    let expected_arrival = date("expected_arrival".into());
    let producer = f.get("producer_id");
    let input = ShipmentInput {
        producer_id: Uuid::parse_str(&producer).ok(),
        temperature_class: f.get("temperature_class"),
        transport: f.get("transport"),
        ship_date,
        expected_arrival,
        boxes: f.get("boxes").trim().parse().unwrap_or(0),
        notes: f.get("notes"),
        lines,
    };
    if bad.any() {
        return shipments_view(&app, &req, &actor, bad, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    match shipments::create(&app, &actor, input).await {
        Ok(d) => {
            if f.contains("ship_now")
                && let Err(e) =
                    shipments::transition(&app, &actor, d.shipment.id, shipments::status::SHIPPED)
                        .await
            {
                // The notice is saved as a draft; say so instead of pretending it shipped.
                tracing::warn!(error = %e.describe(), "ship-now after creating a notice failed");
                return message_page(&req, StatusCode::CONFLICT, "error.title", "asn.ship_failed");
            }
            cx.redirect("/shipments").finish()
        }
        Err(ApiError::Validation { fields, .. }) => {
            let mut errors = FieldErrors::default();
            for (field, _) in fields {
                // lines[2].qty → qty_2
                let key = match field
                    .strip_prefix("lines[")
                    .and_then(|r| r.split_once("]."))
                {
                    Some((i, name)) => format!(
                        "{}_{i}",
                        if name == "sku_id" {
                            "sku"
                        } else if name == "lot_code" {
                            "lot"
                        } else {
                            name
                        }
                    ),
                    None => field,
                };
                errors.set(&key, cx.t.get("prod.err"));
            }
            shipments_view(&app, &req, &actor, errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => error_page(&req, &e),
    }
}

/// Marks a shipment as shipped, cancels it, or closes it (`action` = ship | cancel | close).
#[utoipa::path(post, path = "/shipments/{id}/{action}", tag = "pages",
    params(("id" = Uuid, Path, description = "shipment id"), ("action" = String, Path, description = "ship, cancel or close")),
    request_body(content = String, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "done"), (status = 403, description = "CSRF", content_type = "text/html"),
        (status = 404, description = "unknown", content_type = "text/html")))]
pub async fn shipment_action_submit(
    app: web::Data<AppState>,
    req: HttpRequest,
    form: SignedForm,
    path: web::Path<(Uuid, String)>,
) -> HttpResponse {
    let SignedForm { actor, .. } = form;
    let (id, action) = path.into_inner();
    let to = match action.as_str() {
        "ship" => shipments::status::SHIPPED,
        "cancel" => shipments::status::CANCELLED,
        "close" => shipments::status::CLOSED,
        _ => {
            return message_page(
                &req,
                StatusCode::NOT_FOUND,
                "notfound.title",
                "notfound.body",
            );
        }
    };
    match shipments::transition(&app, &actor, id, to).await {
        Ok(_) | Err(ApiError::Conflict { .. }) => ctx(&req, Some(&actor.locale))
            .redirect("/shipments")
            .finish(),
        Err(e) => error_page(&req, &e),
    }
}

/// Records a receiving event from the shipments page (operators). The form carries its own
/// idempotency key, so submitting it twice records it once.
#[utoipa::path(post, path = "/shipments/{id}/receive", tag = "pages",
    params(("id" = Uuid, Path, description = "shipment id")),
    request_body(content = String, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "recorded"), (status = 403, description = "CSRF or role", content_type = "text/html"),
        (status = 422, description = "page with errors", content_type = "text/html")))]
pub async fn receive_submit(
    app: web::Data<AppState>,
    req: HttpRequest,
    form: SignedForm,
    id: web::Path<Uuid>,
) -> HttpResponse {
    let SignedForm { actor, fields: f } = form;
    let cx = ctx(&req, Some(&actor.locale));
    // An empty count is 0; anything else that is not a number is refused at its line.
    let mut unreadable = FieldErrors::default();
    let mut num = |line: &str, k: &str| {
        let v = f.get(&format!("{k}_{line}"));
        match v.trim() {
            "" => 0,
            t => t.parse::<i64>().unwrap_or_else(|_| {
                unreadable.set(&format!("line_{line}"), cx.t.get("ship.err.counts"));
                0
            }),
        }
    };
    let mut lines = Vec::new();
    for k in f.keys() {
        if let Some(line) = k.strip_prefix("received_") {
            let line_id = Uuid::parse_str(line).unwrap_or_default();
            let (received, damaged, refused) = (
                num(line, "received"),
                num(line, "damaged"),
                num(line, "refused"),
            );
            if received + damaged + refused == 0 {
                continue;
            }
            let bearer = f.get(&format!("damage_bearer_{line}"));
            lines.push(ReceiptLineInput {
                line_id,
                received,
                damaged,
                refused,
                location_id: Uuid::parse_str(&f.get(&format!("location_{line}"))).ok(),
                damage_bearer: (!bearer.is_empty()).then_some(bearer),
            });
        }
    }
    if unreadable.any() {
        unreadable.set("receive", cx.t.get("form.has_errors"));
        return shipments_view(
            &app,
            &req,
            &actor,
            unreadable,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let line_ids: Vec<Uuid> = lines.iter().map(|l| l.line_id).collect();
    match receiving::receive(
        &app,
        &actor,
        id.into_inner(),
        &f.get("receipt_key"),
        &f.get("notes"),
        lines,
    )
    .await
    {
        Ok(_) => cx.redirect("/shipments").finish(),
        Err(e @ (ApiError::Validation { .. } | ApiError::Conflict { .. })) => {
            let mut errors = FieldErrors::default();
            errors.set("receive", cx.t.get("form.has_errors"));
            // `lines[i].field` is shown at the form row of the i-th submitted line.
            if let ApiError::Validation { fields, .. } = &e {
                for (field, _) in fields {
                    let Some((i, name)) = field
                        .strip_prefix("lines[")
                        .and_then(|r| r.split_once("]."))
                        .and_then(|(i, n)| Some((i.parse::<usize>().ok()?, n)))
                    else {
                        continue;
                    };
                    let Some(line) = line_ids.get(i) else {
                        continue;
                    };
                    let key = match name {
                        "location_id" => "ship.err.location",
                        "damage_bearer" => "ship.err.damage_bearer",
                        "received" if e.field_code(field) == Some("below_min_shelf_life") => {
                            "ship.err.shelf_life"
                        }
                        _ => "ship.err.counts",
                    };
                    errors.set(&format!("line_{line}"), cx.t.get(key));
                }
            }
            shipments_view(&app, &req, &actor, errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => error_page(&req, &e),
    }
}

/// Adds a photo to a receiving event from the shipments page (operators; multipart with
/// `csrf_token` and `file`).
#[utoipa::path(post, path = "/shipments/{id}/receipts/{receipt_id}/photos", tag = "pages",
    params(("id" = Uuid, Path, description = "shipment id"), ("receipt_id" = Uuid, Path, description = "receiving event id")),
    request_body(content = String, content_type = "multipart/form-data"),
    responses((status = 303, description = "uploaded"), (status = 403, description = "CSRF or role", content_type = "text/html"),
        (status = 422, description = "page with the error", content_type = "text/html")))]
pub async fn receipt_photo_submit(
    app: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(Uuid, Uuid)>,
    upload: SignedUpload,
) -> HttpResponse {
    let SignedUpload {
        actor,
        file,
        too_large,
        ..
    } = upload;
    let cx = ctx(&req, Some(&actor.locale));
    let (shipment, receipt) = path.into_inner();
    let result = if too_large {
        Err(ApiError::PayloadTooLarge {
            limit: app.settings.uploads.max_bytes,
        })
    } else {
        receipt_photos::upload(&app, &actor, shipment, receipt, file).await
    };
    match result {
        Ok(_) => cx.redirect("/shipments").finish(),
        Err(
            ApiError::Validation { .. }
            | ApiError::PayloadTooLarge { .. }
            | ApiError::Conflict { .. },
        ) => {
            let mut errors = FieldErrors::default();
            errors.set(&format!("photo_{receipt}"), cx.t.get("ship.err.photo"));
            shipments_view(&app, &req, &actor, errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => error_page(&req, &e),
    }
}
