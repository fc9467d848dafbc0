//! HTTP handlers of the officer reports.
use super::service::{self, SalesQuery, SalesReport};
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
