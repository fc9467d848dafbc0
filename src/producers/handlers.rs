//! HTTP handlers for producers, closures and email confirmation.
use super::{
    dto::*,
    service::{self, ClosureInput, Decision, ProducerFilter, ProfilePatch},
};
use crate::{
    core::pagination::{PageQuery, next_cursor},
    error::{ApiResult, ErrorBody},
    http::actor::Actor,
    http::json::Json,
    state::AppState,
};
use actix_web::{HttpResponse, web};
use uuid::Uuid;

async fn detail(
    app: &AppState,
    actor: &Actor,
    p: entity::producer::Model,
) -> ApiResult<ProducerDetail> {
    let closures = service::closures_for(app, actor, p.id).await?;
    let pending = service::pending_bank_change(app, actor, p.id).await?;
    Ok(ProducerDetail {
        closed_now: service::closed_today(&closures),
        closures: closures.into_iter().map(ClosureView::from).collect(),
        pending_bank_change: pending.map(|c| BankChangeView::from(c).bank_account),
        producer: p.into(),
    })
}

/// Self-registration with an aggregator (public): a pending producer and its login.
#[utoipa::path(post, path = "/api/v1/aggregators/{slug}/producer-registrations", tag = "producers",
    params(("slug" = String, Path, description = "aggregator slug")),
    request_body = RegistrationRequest,
    responses((status = 201, body = ProducerView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "every invalid field is named in details.fields")))]
pub async fn register_producer(
    app: web::Data<AppState>,
    slug: web::Path<String>,
    body: Json<RegistrationRequest>,
) -> ApiResult<HttpResponse> {
    let (input, _) = body.0.into_input();
    let p = service::register(&app, &slug, input).await?;
    Ok(HttpResponse::Created().json(ProducerView::from(p)))
}

/// Proxy registration by an operator (records the consent date; the producer claims the
/// account through an emailed link).
#[utoipa::path(post, path = "/api/v1/producers", tag = "producers",
    request_body = RegistrationRequest,
    responses((status = 201, body = ProducerView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn create_producer(
    app: web::Data<AppState>,
    actor: Actor,
    body: Json<RegistrationRequest>,
) -> ApiResult<HttpResponse> {
    let (input, consent_date) = body.0.into_input();
    let p = service::register_by_proxy(&app, &actor, input, consent_date).await?;
    Ok(HttpResponse::Created().json(ProducerView::from(p)))
}

/// Producers in the caller's scope (producers: only themselves).
#[utoipa::path(get, path = "/api/v1/producers", tag = "producers",
    params(ProducerQuery),
    responses((status = 200, body = ProducerPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn list_producers(
    app: web::Data<AppState>,
    actor: Actor,
    q: crate::http::Query<ProducerQuery>,
) -> ApiResult<HttpResponse> {
    let q = q.into_inner();
    let page = PageQuery {
        limit: q.limit,
        cursor: q.cursor,
    }
    .page()?;
    let rows = service::list_producers(
        &app,
        &actor,
        ProducerFilter {
            status: q.status,
            island_code: q.island_code,
            municipality_code: q.municipality_code,
            q: q.q,
        },
        page,
    )
    .await?;
    let ids: Vec<Uuid> = rows.iter().map(|p| p.id).collect();
    Ok(HttpResponse::Ok().json(ProducerPage {
        next_cursor: next_cursor(&page, &ids),
        items: rows.into_iter().map(ProducerView::from).collect(),
    }))
}

/// One producer with closures, `closed_now` and any pending bank-account change.
#[utoipa::path(get, path = "/api/v1/producers/{id}", tag = "producers",
    params(("id" = Uuid, Path, description = "producer id")),
    responses((status = 200, body = ProducerDetail), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn get_producer(
    app: web::Data<AppState>,
    actor: Actor,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let p = service::get_producer(&app, &actor, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(detail(&app, &actor, p).await?))
}

/// Changes profile fields (status, bank account and tenant have their own flows).
#[utoipa::path(patch, path = "/api/v1/producers/{id}", tag = "producers",
    params(("id" = Uuid, Path, description = "producer id")),
    request_body = ProfilePatchRequest,
    responses((status = 200, body = ProducerView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn update_producer(
    app: web::Data<AppState>,
    actor: Actor,
    id: web::Path<Uuid>,
    body: Json<ProfilePatchRequest>,
) -> ApiResult<HttpResponse> {
    let b = body.0;
    let p = service::update_profile(
        &app,
        &actor,
        id.into_inner(),
        ProfilePatch {
            legal_name_kana: b.legal_name_kana,
            representative: b.representative,
            postal_code: b.postal_code,
            address: b.address,
            phone: b.phone,
            island_code: b.island_code,
            invoice_number: b.invoice_number,
            tax_exempt: b.tax_exempt,
            invoice_notified_on: b.invoice_notified_on,
            locale: b.locale,
        },
    )
    .await?;
    Ok(HttpResponse::Ok().json(ProducerView::from(p)))
}

async fn decide(
    app: web::Data<AppState>,
    actor: Actor,
    id: web::Path<Uuid>,
    body: Option<Json<DecisionRequest>>,
    d: Decision,
) -> ApiResult<HttpResponse> {
    let reason = body.and_then(|b| b.0.reason);
    let p = service::decide(&app, &actor, id.into_inner(), d, reason).await?;
    Ok(HttpResponse::Ok().json(ProducerView::from(p)))
}

/// Approves a pending producer (emailed, audit-logged).
#[utoipa::path(post, path = "/api/v1/producers/{id}/approve", tag = "producers",
    params(("id" = Uuid, Path, description = "producer id")),
    responses((status = 200, body = ProducerView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "`invalid_transition`")),
    security(("bearer" = []), ("session" = [])))]
pub async fn approve_producer(
    app: web::Data<AppState>,
    actor: Actor,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    decide(app, actor, id, None, Decision::Approve).await
}

/// Rejects a pending producer with a reason (emailed, audit-logged).
#[utoipa::path(post, path = "/api/v1/producers/{id}/reject", tag = "producers",
    params(("id" = Uuid, Path, description = "producer id")),
    request_body = DecisionRequest,
    responses((status = 200, body = ProducerView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn reject_producer(
    app: web::Data<AppState>,
    actor: Actor,
    id: web::Path<Uuid>,
    body: Json<DecisionRequest>,
) -> ApiResult<HttpResponse> {
    decide(app, actor, id, Some(body), Decision::Reject).await
}

/// Suspends an approved producer with a reason (its products stop being sellable).
#[utoipa::path(post, path = "/api/v1/producers/{id}/suspend", tag = "producers",
    params(("id" = Uuid, Path, description = "producer id")),
    request_body = DecisionRequest,
    responses((status = 200, body = ProducerView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn suspend_producer(
    app: web::Data<AppState>,
    actor: Actor,
    id: web::Path<Uuid>,
    body: Json<DecisionRequest>,
) -> ApiResult<HttpResponse> {
    decide(app, actor, id, Some(body), Decision::Suspend).await
}

/// Reinstates a suspended producer.
#[utoipa::path(post, path = "/api/v1/producers/{id}/reinstate", tag = "producers",
    params(("id" = Uuid, Path, description = "producer id")),
    responses((status = 200, body = ProducerView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn reinstate_producer(
    app: web::Data<AppState>,
    actor: Actor,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    decide(app, actor, id, None, Decision::Reinstate).await
}

/// Requests a new payout account (the producer, with its password); used after an operator
/// approves it.
#[utoipa::path(post, path = "/api/v1/producers/{id}/bank-account-change", tag = "producers",
    params(("id" = Uuid, Path, description = "producer id")),
    request_body = BankChangeRequest,
    responses((status = 201, body = BankChangeView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn request_bank_change(
    app: web::Data<AppState>,
    actor: Actor,
    id: web::Path<Uuid>,
    body: Json<BankChangeRequest>,
) -> ApiResult<HttpResponse> {
    let b = body.0;
    let c = service::request_bank_change(
        &app,
        &actor,
        id.into_inner(),
        &b.current_password,
        b.bank.into(),
    )
    .await?;
    Ok(HttpResponse::Created().json(BankChangeView::from(c)))
}

/// Approves the pending bank-account change (operators).
#[utoipa::path(post, path = "/api/v1/producers/{id}/bank-account-change/approve", tag = "producers",
    params(("id" = Uuid, Path, description = "producer id")),
    responses((status = 200, body = ProducerView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "`no_pending_change`")),
    security(("bearer" = []), ("session" = [])))]
pub async fn approve_bank_change(
    app: web::Data<AppState>,
    actor: Actor,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let p = service::decide_bank_change(&app, &actor, id.into_inner(), true).await?;
    Ok(HttpResponse::Ok().json(ProducerView::from(p)))
}

/// Rejects the pending bank-account change (operators); the old account stays.
#[utoipa::path(post, path = "/api/v1/producers/{id}/bank-account-change/reject", tag = "producers",
    params(("id" = Uuid, Path, description = "producer id")),
    responses((status = 200, body = ProducerView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn reject_bank_change(
    app: web::Data<AppState>,
    actor: Actor,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let p = service::decide_bank_change(&app, &actor, id.into_inner(), false).await?;
    Ok(HttpResponse::Ok().json(ProducerView::from(p)))
}

/// Closures affecting a producer that have not ended (its own and its island's).
#[utoipa::path(get, path = "/api/v1/producers/{id}/closures", tag = "producers",
    params(("id" = Uuid, Path, description = "producer id")),
    responses((status = 200, body = ClosureList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn list_closures(
    app: web::Data<AppState>,
    actor: Actor,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let items = service::closures_for(&app, &actor, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(ClosureList {
        items: items.into_iter().map(ClosureView::from).collect(),
    }))
}

/// Records a closure of a producer (the producer or an operator) or of a whole island
/// (operators), e.g. a ferry suspension.
#[utoipa::path(post, path = "/api/v1/closures", tag = "producers",
    request_body = ClosureRequest,
    responses((status = 201, body = ClosureView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn create_closure(
    app: web::Data<AppState>,
    actor: Actor,
    body: Json<ClosureRequest>,
) -> ApiResult<HttpResponse> {
    let b = body.0;
    let c = service::create_closure(
        &app,
        &actor,
        ClosureInput {
            producer_id: b.producer_id,
            island_code: b.island_code,
            closed_from: b.closed_from,
            closed_to: b.closed_to,
            reason: b.reason,
        },
    )
    .await?;
    Ok(HttpResponse::Created().json(ClosureView::from(c)))
}

/// Deletes a closure.
#[utoipa::path(delete, path = "/api/v1/closures/{id}", tag = "producers",
    params(("id" = Uuid, Path, description = "closure id")),
    responses((status = 204, description = "deleted"), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn delete_closure(
    app: web::Data<AppState>,
    actor: Actor,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    service::delete_closure(&app, &actor, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Confirms a producer's email address with the emailed token.
#[utoipa::path(post, path = "/api/v1/auth/confirm-email", tag = "producers",
    request_body = ConfirmEmailRequest,
    responses((status = 204, description = "confirmed"), (status = 400, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn confirm_email(
    app: web::Data<AppState>,
    body: Json<ConfirmEmailRequest>,
) -> ApiResult<HttpResponse> {
    service::confirm_email(&app, &body.0.token).await?;
    Ok(HttpResponse::NoContent().finish())
}
