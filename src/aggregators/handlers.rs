//! HTTP handlers for `/api/v1/aggregators`.
use super::service;
use crate::{
    error::{ApiResult, ErrorBody},
    http::actor::Actor,
    http::json::Json,
    state::AppState,
};
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use entity::aggregator;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// An aggregator.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AggregatorView {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

impl From<aggregator::Model> for AggregatorView {
    fn from(a: aggregator::Model) -> Self {
        Self {
            id: a.id,
            slug: a.slug,
            name: a.name,
            created_at: a.created_at,
        }
    }
}

/// Aggregators.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AggregatorList {
    pub items: Vec<AggregatorView>,
}

/// Creates an aggregator.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAggregatorRequest {
    #[schema(example = "yaeyama")]
    pub slug: String,
    #[schema(example = "八重山物産センター")]
    pub name: String,
}

/// Aggregators visible to the caller.
#[utoipa::path(get, path = "/api/v1/aggregators", tag = "aggregators",
    responses((status = 200, body = AggregatorList), (status = 401, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn list_aggregators(app: web::Data<AppState>, actor: Actor) -> ApiResult<HttpResponse> {
    let items = service::list(&app, &actor).await?;
    Ok(HttpResponse::Ok().json(AggregatorList {
        items: items.into_iter().map(AggregatorView::from).collect(),
    }))
}

/// Creates an aggregator (deployment-wide admins).
#[utoipa::path(post, path = "/api/v1/aggregators", tag = "aggregators",
    request_body = CreateAggregatorRequest,
    responses((status = 201, body = AggregatorView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn create_aggregator(
    app: web::Data<AppState>,
    actor: Actor,
    body: Json<CreateAggregatorRequest>,
) -> ApiResult<HttpResponse> {
    let b = body.0;
    let a = service::create(&app, &actor, &b.slug, &b.name).await?;
    Ok(HttpResponse::Created().json(AggregatorView::from(a)))
}
