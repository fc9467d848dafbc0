//! HTTP handlers of the officer reports.
use super::service::{self, SalesCsvQuery, SalesQuery, SalesReport};
use crate::{
    error::{ApiResult, ErrorBody},
    http::actor::Actor,
    state::AppState,
};
use actix_web::{HttpResponse, web};

/// Monthly sales of the officer's prefecture by island, municipality, category, channel or
/// market, with growth month on month and year on year; cells with fewer than `k` producers
/// or one dominant producer are suppressed, and so are complementary cells (officers only;
/// every query audit-logged).
#[utoipa::path(get, path = "/api/v1/analytics/sales", tag = "analytics",
    params(SalesQuery),
    responses((status = 200, body = SalesReport), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn sales(
    app: web::Data<AppState>,
    actor: Actor,
    q: crate::http::Query<SalesQuery>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::sales(&app, &actor, q.into_inner()).await?))
}

/// The same report as CSV (UTF-8 with a BOM, or Shift_JIS): every group's months, then the
/// totals, with the same suppression (officers only; audit-logged).
#[utoipa::path(get, path = "/api/v1/analytics/sales.csv", tag = "analytics",
    params(SalesCsvQuery),
    responses((status = 200, description = "CSV file", content_type = "text/csv"), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn sales_csv(
    app: web::Data<AppState>,
    actor: Actor,
    q: crate::http::Query<SalesCsvQuery>,
) -> ApiResult<HttpResponse> {
    use crate::core::csv::{CsvEncoding, encode};
    let q = q.into_inner();
    let enc = match CsvEncoding::parse(q.encoding.as_deref())? {
        CsvEncoding::Auto => CsvEncoding::Utf8,
        e => e,
    };
    let r = service::sales(
        &app,
        &actor,
        SalesQuery {
            from: q.from,
            to: q.to,
            by: q.by,
        },
    )
    .await?;
    let bytes = encode(&service::csv_text(&r)?, enc)?;
    Ok(crate::http::csv_response(
        bytes,
        enc,
        &format!("sales-{}-{}.csv", r.prefecture_code, r.by),
    ))
}
