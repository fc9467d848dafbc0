//! HTTP handlers of the money API: fee rules, community funds, the ledger and its periods.
use super::{
    dto::*,
    fee_rules, payouts,
    reports::{self, TransactionFilter},
};
use crate::{
    core::pagination::PageQuery,
    error::{ApiResult, ErrorBody},
    http::{actor::Actor, json::Json},
    state::AppState,
};
use actix_web::{HttpResponse, web};
use uuid::Uuid;

/// Fee rules of the caller's aggregator: each rule's newest version (every version with
/// `history=true`), by fee type and position (finance and admins).
#[utoipa::path(get, path = "/api/v1/fee-rules", tag = "money", params(FeeRuleQuery),
    responses((status = 200, body = FeeRuleList), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn list_fee_rules(
    app: web::Data<AppState>,
    actor: Actor,
    q: crate::http::Query<FeeRuleQuery>,
) -> ApiResult<HttpResponse> {
    let q = q.into_inner();
    let rows = fee_rules::list(
        &app,
        &actor,
        q.fee_type.as_deref(),
        q.history.unwrap_or(false),
    )
    .await?;
    Ok(HttpResponse::Ok().json(FeeRuleList {
        items: rows
            .into_iter()
            .map(|(r, by)| FeeRuleView::of(r, by))
            .collect(),
    }))
}

/// Creates a fee rule (audit-logged).
#[utoipa::path(post, path = "/api/v1/fee-rules", tag = "money", request_body = FeeRuleInput,
    responses((status = 201, body = FeeRuleView), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn create_fee_rule(
    app: web::Data<AppState>,
    actor: Actor,
    body: Json<FeeRuleInput>,
) -> ApiResult<HttpResponse> {
    let r = fee_rules::create(&app, &actor, body.0).await?;
    Ok(HttpResponse::Created().json(FeeRuleView::of(r, None)))
}

/// One version of a fee rule with every version of that rule.
#[utoipa::path(get, path = "/api/v1/fee-rules/{id}", tag = "money",
    params(("id" = Uuid, Path, description = "fee-rule version id")),
    responses((status = 200, body = FeeRuleHistory), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn get_fee_rule(
    app: web::Data<AppState>,
    actor: Actor,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let (r, chain) = fee_rules::history(&app, &actor, id.into_inner()).await?;
    let by = chain
        .iter()
        .find(|(v, _)| v.id == r.id)
        .and_then(|(_, b)| *b);
    Ok(HttpResponse::Ok().json(FeeRuleHistory {
        rule: FeeRuleView::of(r, by),
        versions: chain
            .into_iter()
            .map(|(v, b)| FeeRuleView::of(v, b))
            .collect(),
    }))
}

/// Changes a fee rule: the next version applies from `effective_from` (today when absent) and
/// the old one ends the day before; sales already booked keep the version they froze.
#[utoipa::path(put, path = "/api/v1/fee-rules/{id}", tag = "money", request_body = FeeRuleInput,
    params(("id" = Uuid, Path, description = "the newest version's id")),
    responses((status = 201, body = FeeRuleView), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn revise_fee_rule(
    app: web::Data<AppState>,
    actor: Actor,
    id: web::Path<Uuid>,
    body: Json<FeeRuleInput>,
) -> ApiResult<HttpResponse> {
    let r = fee_rules::revise(&app, &actor, id.into_inner(), body.0).await?;
    Ok(HttpResponse::Created().json(FeeRuleView::of(r, None)))
}

/// Retires a fee rule: it applies up to `last_day` (yesterday when absent).
#[utoipa::path(post, path = "/api/v1/fee-rules/{id}/retire", tag = "money", request_body = RetireInput,
    params(("id" = Uuid, Path, description = "the newest version's id")),
    responses((status = 200, body = FeeRuleView), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn retire_fee_rule(
    app: web::Data<AppState>,
    actor: Actor,
    id: web::Path<Uuid>,
    body: Json<RetireInput>,
) -> ApiResult<HttpResponse> {
    let r = fee_rules::retire(&app, &actor, id.into_inner(), body.0.last_day).await?;
    Ok(HttpResponse::Ok().json(FeeRuleView::of(r, None)))
}

/// Community funds of the caller's aggregator.
#[utoipa::path(get, path = "/api/v1/community-funds", tag = "money",
    responses((status = 200, body = FundList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn list_funds(app: web::Data<AppState>, actor: Actor) -> ApiResult<HttpResponse> {
    let items = fee_rules::funds(&app, &actor)
        .await?
        .into_iter()
        .map(FundView::from)
        .collect();
    Ok(HttpResponse::Ok().json(FundList { items }))
}

/// Creates a community fund (e.g. a town's まちづくり基金) that fund-share rules pay into.
#[utoipa::path(post, path = "/api/v1/community-funds", tag = "money", request_body = FundInput,
    responses((status = 201, body = FundView), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn create_fund(
    app: web::Data<AppState>,
    actor: Actor,
    body: Json<FundInput>,
) -> ApiResult<HttpResponse> {
    let f = fee_rules::create_fund(&app, &actor, body.0).await?;
    Ok(HttpResponse::Created().json(FundView::from(f)))
}

/// The trial balance: every account's debits and credits over a period (all time when
/// `period_id` is absent); the totals are equal.
#[utoipa::path(get, path = "/api/v1/ledger/trial-balance", tag = "money", params(PeriodQuery),
    responses((status = 200, body = TrialBalance), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn trial_balance(
    app: web::Data<AppState>,
    actor: Actor,
    q: crate::http::Query<PeriodQuery>,
) -> ApiResult<HttpResponse> {
    let tb = reports::trial_balance(&app, &actor, q.into_inner().period_id).await?;
    Ok(HttpResponse::Ok().json(tb))
}

/// Settlement periods of the caller's aggregator, newest first.
#[utoipa::path(get, path = "/api/v1/periods", tag = "money",
    responses((status = 200, body = PeriodList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn list_periods(app: web::Data<AppState>, actor: Actor) -> ApiResult<HttpResponse> {
    let items = reports::periods(&app, &actor)
        .await?
        .into_iter()
        .map(PeriodView::from)
        .collect();
    Ok(HttpResponse::Ok().json(PeriodList { items }))
}

/// Ledger transactions with their entries, newest first; filter by order, producer or period.
#[utoipa::path(get, path = "/api/v1/ledger/transactions", tag = "money", params(TransactionQuery),
    responses((status = 200, body = TransactionList), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn list_transactions(
    app: web::Data<AppState>,
    actor: Actor,
    q: crate::http::Query<TransactionQuery>,
) -> ApiResult<HttpResponse> {
    let q = q.into_inner();
    let page = PageQuery {
        limit: q.limit,
        cursor: q.cursor,
    }
    .page()?;
    let (items, next_cursor) = reports::transactions(
        &app,
        &actor,
        TransactionFilter {
            order_id: q.order_id,
            producer_id: q.producer_id,
            period_id: q.period_id,
        },
        page,
    )
    .await?;
    Ok(HttpResponse::Ok().json(TransactionList { items, next_cursor }))
}

/// One ledger transaction with its entries.
#[utoipa::path(get, path = "/api/v1/ledger/transactions/{id}", tag = "money",
    params(("id" = Uuid, Path, description = "transaction id")),
    responses((status = 200, body = TransactionView), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn get_transaction(
    app: web::Data<AppState>,
    actor: Actor,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let t = reports::transaction(&app, &actor, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(t))
}

/// Closes a settlement period that has ended (the earlier ones closed first): books the tax in
/// each producer's charges once, writes each producer's statement; later events book into the
/// next period.
#[utoipa::path(post, path = "/api/v1/periods/{id}/close", tag = "money",
    params(("id" = Uuid, Path, description = "period id")),
    responses((status = 200, body = super::statements::CloseSummary), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn close_period(
    app: web::Data<AppState>,
    actor: Actor,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let s = super::statements::close(&app, &actor, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(s))
}

/// Which statements to list.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct StatementQuery {
    pub period_id: Option<Uuid>,
}

/// Statements.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct StatementList {
    pub items: Vec<super::statements::StatementView>,
}

/// Statements: finance and admins see their aggregator's, a producer its own.
#[utoipa::path(get, path = "/api/v1/statements", tag = "money", params(StatementQuery),
    responses((status = 200, body = StatementList), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn list_statements(
    app: web::Data<AppState>,
    actor: Actor,
    q: crate::http::Query<StatementQuery>,
) -> ApiResult<HttpResponse> {
    let items = super::statements::list(&app, &actor, q.into_inner().period_id)
        .await?
        .into_iter()
        .map(super::statements::StatementView::from)
        .collect();
    Ok(HttpResponse::Ok().json(StatementList { items }))
}

/// One statement with every sale, return and charge of its period.
#[utoipa::path(get, path = "/api/v1/statements/{id}", tag = "money",
    params(("id" = Uuid, Path, description = "statement id")),
    responses((status = 200, body = super::statements::StatementDetail), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn get_statement(
    app: web::Data<AppState>,
    actor: Actor,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let d = super::statements::get(&app, &actor, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(d))
}

/// The encoding of a CSV download.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct CsvQuery {
    /// `utf-8` (with a BOM, the default) or `shift_jis`.
    pub encoding: Option<String>,
}

/// A statement as CSV (UTF-8 with BOM or Shift_JIS, so Excel opens it).
#[utoipa::path(get, path = "/api/v1/statements/{id}/csv", tag = "money",
    params(("id" = Uuid, Path, description = "statement id"), CsvQuery),
    responses((status = 200, description = "CSV file", content_type = "text/csv"), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn statement_csv(
    app: web::Data<AppState>,
    actor: Actor,
    id: web::Path<Uuid>,
    q: crate::http::Query<CsvQuery>,
) -> ApiResult<HttpResponse> {
    let (bytes, enc) =
        super::statements::csv(&app, &actor, id.into_inner(), q.encoding.as_deref()).await?;
    Ok(crate::http::csv_response(bytes, enc, "statement.csv"))
}

/// A statement as PDF (A4, the Japanese font embedded).
#[utoipa::path(get, path = "/api/v1/statements/{id}/pdf", tag = "money",
    params(("id" = Uuid, Path, description = "statement id")),
    responses((status = 200, description = "PDF file", content_type = "application/pdf"), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 503, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn statement_pdf(
    app: web::Data<AppState>,
    actor: Actor,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let bytes = super::statements::pdf(&app, &actor, id.into_inner()).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header((
            "content-disposition",
            "attachment; filename=\"statement.pdf\"",
        ))
        .body(bytes))
}

/// The aggregator's bank profile for Zengin files.
#[utoipa::path(get, path = "/api/v1/bank-profile", tag = "money",
    responses((status = 200, body = BankProfileView), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn get_bank_profile(app: web::Data<AppState>, actor: Actor) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(payouts::profile(&app, &actor).await?))
}

/// Sets the bank profile: 依頼人コード and name, the paying account, the line break the bank
/// wants, the minimum payout and the layout of the bank's result file (audit-logged).
#[utoipa::path(put, path = "/api/v1/bank-profile", tag = "money", request_body = BankProfileInput,
    responses((status = 200, body = BankProfileView), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn put_bank_profile(
    app: web::Data<AppState>,
    actor: Actor,
    body: Json<BankProfileInput>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(payouts::set_profile(&app, &actor, body.0).await?))
}

/// Whether to list released holds too.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct HoldQuery {
    /// Also released holds.
    pub all: Option<bool>,
}

/// Holds on producers' payouts (active ones unless `all=true`).
#[utoipa::path(get, path = "/api/v1/payout-holds", tag = "money", params(HoldQuery),
    responses((status = 200, body = HoldList), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn list_holds(
    app: web::Data<AppState>,
    actor: Actor,
    q: crate::http::Query<HoldQuery>,
) -> ApiResult<HttpResponse> {
    let items = payouts::holds(&app, &actor, q.all.unwrap_or(false)).await?;
    Ok(HttpResponse::Ok().json(HoldList { items }))
}

/// Holds a producer's payouts (a dispute) until released.
#[utoipa::path(post, path = "/api/v1/payout-holds", tag = "money", request_body = HoldInput,
    responses((status = 201, body = HoldView), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn create_hold(
    app: web::Data<AppState>,
    actor: Actor,
    body: Json<HoldInput>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Created().json(payouts::hold(&app, &actor, body.0).await?))
}

/// Releases a hold.
#[utoipa::path(post, path = "/api/v1/payout-holds/{id}/release", tag = "money",
    params(("id" = Uuid, Path, description = "hold id")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn release_hold(
    app: web::Data<AppState>,
    actor: Actor,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    payouts::release(&app, &actor, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Payout runs, newest first.
#[utoipa::path(get, path = "/api/v1/payout-runs", tag = "money",
    responses((status = 200, body = RunList), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn list_runs(app: web::Data<AppState>, actor: Actor) -> ApiResult<HttpResponse> {
    let items = payouts::runs(&app, &actor).await?;
    Ok(HttpResponse::Ok().json(RunList { items }))
}

/// Prepares a payout run for a closed period: every payee's net payable becomes a payout
/// (payable → payouts in transit); held, changing, account-less and below-minimum payees are
/// listed in `skipped`.
#[utoipa::path(post, path = "/api/v1/payout-runs", tag = "money", request_body = PrepareInput,
    responses((status = 201, body = RunDetail), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn prepare_run(
    app: web::Data<AppState>,
    actor: Actor,
    body: Json<PrepareInput>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Created().json(payouts::prepare(&app, &actor, body.0).await?))
}

/// A payout run with its payouts.
#[utoipa::path(get, path = "/api/v1/payout-runs/{id}", tag = "money",
    params(("id" = Uuid, Path, description = "run id")),
    responses((status = 200, body = RunDetail), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn get_run(
    app: web::Data<AppState>,
    actor: Actor,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(payouts::run(&app, &actor, id.into_inner()).await?))
}

/// Approves a prepared run: a finance user other than its preparer, with their password.
#[utoipa::path(post, path = "/api/v1/payout-runs/{id}/approve", tag = "money", request_body = ApproveInput,
    params(("id" = Uuid, Path, description = "run id")),
    responses((status = 200, body = RunDetail), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn approve_run(
    app: web::Data<AppState>,
    actor: Actor,
    id: web::Path<Uuid>,
    body: Json<ApproveInput>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(payouts::approve(&app, &actor, id.into_inner(), body.0).await?))
}

/// Cancels a run before its file is exported: its payouts go back to the payables.
#[utoipa::path(post, path = "/api/v1/payout-runs/{id}/cancel", tag = "money",
    params(("id" = Uuid, Path, description = "run id")),
    responses((status = 200, body = RunDetail), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn cancel_run(
    app: web::Data<AppState>,
    actor: Actor,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(payouts::cancel(&app, &actor, id.into_inner()).await?))
}

/// The run's Zengin 総合振込 file (Shift_JIS): written on the first export of an approved
/// run; every later call returns the identical bytes (audit-logged as a re-download).
/// `x-content-sha256` carries the SHA-256 kept with the run.
#[utoipa::path(post, path = "/api/v1/payout-runs/{id}/zengin", tag = "money",
    params(("id" = Uuid, Path, description = "run id")),
    responses((status = 200, description = "Zengin file", content_type = "text/plain"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn export_zengin(
    app: web::Data<AppState>,
    actor: Actor,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let (name, bytes) = payouts::export(&app, &actor, id.into_inner()).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; charset=Shift_JIS")
        .insert_header(("x-content-sha256", super::zengin::sha256_hex(&bytes)))
        .insert_header((
            "content-disposition",
            format!("attachment; filename=\"{name}\""),
        ))
        .body(bytes))
}

/// Imports the bank's result file (CSV in the bank profile's layout, the raw file as the
/// body): paid lines settle their payouts, failed ones return the money to the payable and
/// hold the producer; a line already recorded changes nothing.
#[utoipa::path(post, path = "/api/v1/payout-runs/{id}/results", tag = "money",
    params(("id" = Uuid, Path, description = "run id")),
    request_body(content = String, content_type = "text/csv", description = "the bank's result file"),
    responses((status = 200, body = ResultSummary), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn import_results(
    app: web::Data<AppState>,
    actor: Actor,
    id: web::Path<Uuid>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let bytes = crate::http::read_body(payload, app.settings.uploads.max_bytes).await?;
    Ok(HttpResponse::Ok()
        .json(payouts::import_results(&app, &actor, id.into_inner(), &bytes).await?))
}

/// Imports a channel's fee statement (CSV: `order_number` or 注文番号, `fee` or 手数料; the
/// raw file as the body): each order's real channel fee replaces the fee rule's estimate
/// through a correcting entry (an order not shipped yet waits until it ships). One bad row
/// refuses the file.
#[utoipa::path(post, path = "/api/v1/channel-fees/{channel_id}/import", tag = "money",
    params(("channel_id" = Uuid, Path, description = "channel account id")),
    request_body(content = String, content_type = "text/csv", description = "the channel's fee statement"),
    responses((status = 200, body = super::channel_fees::FeeImportSummary), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn import_channel_fees(
    app: web::Data<AppState>,
    actor: Actor,
    channel_id: web::Path<Uuid>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let bytes = crate::http::read_body(payload, app.settings.uploads.max_bytes).await?;
    Ok(HttpResponse::Ok()
        .json(super::channel_fees::import(&app, &actor, channel_id.into_inner(), &bytes).await?))
}

/// Whose payouts to list.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PayoutQuery {
    /// Finance: one producer's payouts.
    pub producer_id: Option<Uuid>,
}

/// Payouts: a producer its own (once the bank file is out, with the statement each pays);
/// finance every payout of the tenant.
#[utoipa::path(get, path = "/api/v1/payouts", tag = "money", params(PayoutQuery),
    responses((status = 200, body = PayoutList), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn list_payouts(
    app: web::Data<AppState>,
    actor: Actor,
    q: crate::http::Query<PayoutQuery>,
) -> ApiResult<HttpResponse> {
    let items = payouts::payouts(&app, &actor, q.producer_id).await?;
    Ok(HttpResponse::Ok().json(PayoutList { items }))
}

/// A community fund's statement: per period the shares accrued, the payouts to the fund and
/// the balance owed (`format=csv` for a CSV file, with `encoding`).
#[utoipa::path(get, path = "/api/v1/community-funds/{id}/statement", tag = "money",
    params(("id" = Uuid, Path, description = "fund id"), FundStatementQuery),
    responses((status = 200, body = payouts::FundStatement), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn fund_statement(
    app: web::Data<AppState>,
    actor: Actor,
    id: web::Path<Uuid>,
    q: crate::http::Query<FundStatementQuery>,
) -> ApiResult<HttpResponse> {
    let q = q.into_inner();
    match q.format.as_deref() {
        None | Some("json") => {
            Ok(HttpResponse::Ok()
                .json(payouts::fund_statement(&app, &actor, id.into_inner()).await?))
        }
        Some("csv") => {
            let (bytes, enc) =
                payouts::fund_statement_csv(&app, &actor, id.into_inner(), q.encoding.as_deref())
                    .await?;
            Ok(crate::http::csv_response(bytes, enc, "fund-statement.csv"))
        }
        Some(_) => Err(crate::error::ApiError::field(
            "format",
            "must be json or csv",
        )),
    }
}

/// The form of a fund statement.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct FundStatementQuery {
    /// `json` (the default) or `csv`.
    pub format: Option<String>,
    /// For CSV: `utf-8` (with a BOM, the default) or `shift_jis`.
    pub encoding: Option<String>,
}

/// What each carrier owes in collected cash-on-delivery money.
#[utoipa::path(get, path = "/api/v1/cod-remittances", tag = "money",
    responses((status = 200, body = super::remittances::CodBalances), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn cod_balances(app: web::Data<AppState>, actor: Actor) -> ApiResult<HttpResponse> {
    let items = super::remittances::balances(&app, &actor).await?;
    Ok(HttpResponse::Ok().json(super::remittances::CodBalances { items }))
}

/// Records a carrier's remittance of collected cash-on-delivery money: bank and the carrier's
/// fee against its receivable, never more than it owes; the same reference again books
/// nothing (`replayed`).
#[utoipa::path(post, path = "/api/v1/cod-remittances", tag = "money",
    request_body = super::remittances::RemittanceInput,
    responses((status = 201, body = super::remittances::RemittanceView), (status = 200, body = super::remittances::RemittanceView, description = "recorded before"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn record_remittance(
    app: web::Data<AppState>,
    actor: Actor,
    body: Json<super::remittances::RemittanceInput>,
) -> ApiResult<HttpResponse> {
    let v = super::remittances::record(&app, &actor, body.0).await?;
    Ok(if v.replayed {
        HttpResponse::Ok().json(v)
    } else {
        HttpResponse::Created().json(v)
    })
}

/// Books a correcting entry to a producer's payable (positive credits it, negative debits
/// it), shown on its statement with the reason. `Idempotency-Key` makes a retry book nothing.
#[utoipa::path(post, path = "/api/v1/ledger/adjustments", tag = "money",
    request_body = super::corrections::CorrectionInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "a retry with the same key books nothing")),
    responses((status = 201, body = TransactionView), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn correct(
    app: web::Data<AppState>,
    actor: Actor,
    req: actix_web::HttpRequest,
    body: Json<super::corrections::CorrectionInput>,
) -> ApiResult<HttpResponse> {
    let key = crate::http::idempotency_key(&req)?;
    Ok(HttpResponse::Created().json(super::corrections::correct(&app, &actor, body.0, key).await?))
}

/// Reverses a correcting entry or a cash-on-delivery remittance: every entry mirrored in the
/// open period, once (409 `already_reversed`; other kinds 409 `not_reversible`).
#[utoipa::path(post, path = "/api/v1/ledger/transactions/{id}/reverse", tag = "money",
    request_body = super::corrections::ReverseInput,
    params(("id" = Uuid, Path, description = "transaction id")),
    responses((status = 201, body = TransactionView), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn reverse(
    app: web::Data<AppState>,
    actor: Actor,
    id: web::Path<Uuid>,
    body: Json<super::corrections::ReverseInput>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Created()
        .json(super::corrections::reverse(&app, &actor, id.into_inner(), body.0).await?))
}
