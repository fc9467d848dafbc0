//! HTTP handlers for the reference data. Public: the registration form needs them.
use super::service;
use crate::{
    error::{ApiError, ApiResult, ErrorBody},
    state::AppState,
};
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A prefecture.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PrefectureView {
    /// JIS X 0401 code, "01"–"47".
    pub code: String,
    pub name_ja: String,
    pub name_en: String,
}

/// A municipality.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MunicipalityView {
    /// JIS X 0402 code (5 digits, no check digit), e.g. "47207".
    pub code: String,
    pub prefecture_code: String,
    pub name_ja: String,
    pub name_kana: String,
    pub name_en: String,
}

/// An island.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct IslandView {
    /// Stable code, e.g. "ishigaki".
    pub code: String,
    pub name_ja: String,
    pub name_en: String,
    pub municipality_code: Option<String>,
    pub prefecture_code: String,
    /// Island group, e.g. 八重山諸島.
    pub group_ja: String,
    pub group_en: String,
}

/// Lists wrapper.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PrefectureList {
    pub items: Vec<PrefectureView>,
}

/// Lists wrapper.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MunicipalityList {
    pub items: Vec<MunicipalityView>,
}

/// Lists wrapper.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct IslandList {
    pub items: Vec<IslandView>,
}

/// Filter by prefecture.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ByPrefecture {
    /// JIS X 0401 code, e.g. "47".
    pub prefecture_code: Option<String>,
}

fn check(code: &Option<String>) -> ApiResult<()> {
    match code {
        Some(c) if !(c.len() == 2 && c.bytes().all(|b| b.is_ascii_digit())) => Err(
            ApiError::field("prefecture_code", "must be two digits, 01-47"),
        ),
        _ => Ok(()),
    }
}

/// All 47 prefectures.
#[utoipa::path(get, path = "/api/v1/prefectures", tag = "reference",
    responses((status = 200, body = PrefectureList)))]
pub async fn list_prefectures(app: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let rows = service::prefectures(&app.db).await?;
    Ok(HttpResponse::Ok().json(PrefectureList {
        items: rows
            .into_iter()
            .map(|p| PrefectureView {
                code: p.code,
                name_ja: p.name_ja,
                name_en: p.name_en,
            })
            .collect(),
    }))
}

/// Municipalities (shipped for Okinawa), optionally of one prefecture.
#[utoipa::path(get, path = "/api/v1/municipalities", tag = "reference",
    params(ByPrefecture),
    responses((status = 200, body = MunicipalityList), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_municipalities(
    app: web::Data<AppState>,
    q: crate::http::Query<ByPrefecture>,
) -> ApiResult<HttpResponse> {
    check(&q.prefecture_code)?;
    let rows = service::municipalities(&app.db, q.prefecture_code.as_deref()).await?;
    Ok(HttpResponse::Ok().json(MunicipalityList {
        items: rows
            .into_iter()
            .map(|m| MunicipalityView {
                code: m.code,
                prefecture_code: m.prefecture_code,
                name_ja: m.name_ja,
                name_kana: m.name_kana,
                name_en: m.name_en,
            })
            .collect(),
    }))
}

/// Islands, optionally of one prefecture.
#[utoipa::path(get, path = "/api/v1/islands", tag = "reference",
    params(ByPrefecture),
    responses((status = 200, body = IslandList), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_islands(
    app: web::Data<AppState>,
    q: crate::http::Query<ByPrefecture>,
) -> ApiResult<HttpResponse> {
    check(&q.prefecture_code)?;
    let rows = service::islands(&app.db, q.prefecture_code.as_deref()).await?;
    Ok(HttpResponse::Ok().json(IslandList {
        items: rows
            .into_iter()
            .map(|i| IslandView {
                code: i.code,
                name_ja: i.name_ja,
                name_en: i.name_en,
                municipality_code: i.municipality_code,
                prefecture_code: i.prefecture_code,
                group_ja: i.group_ja,
                group_en: i.group_en,
            })
            .collect(),
    }))
}
