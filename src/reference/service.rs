//! Reference data for the API and for forms (read through [`super::repo`]).
use super::repo;
use crate::error::ApiResult;
use entity::{island, municipality, prefecture};
use sea_orm::ConnectionTrait;

/// All prefectures by code.
///
/// # Errors
/// Database failure.
#[tracing::instrument(skip_all)]
pub async fn prefectures(db: &impl ConnectionTrait) -> ApiResult<Vec<prefecture::Model>> {
    Ok(repo::prefectures(db).await?)
}

/// Municipalities, optionally of one prefecture, by code.
///
/// # Errors
/// Database failure.
#[tracing::instrument(skip_all)]
pub async fn municipalities(
    db: &impl ConnectionTrait,
    prefecture_code: Option<&str>,
) -> ApiResult<Vec<municipality::Model>> {
    Ok(repo::municipalities(db, prefecture_code).await?)
}

/// Islands, optionally of one prefecture, by group then code.
///
/// # Errors
/// Database failure.
#[tracing::instrument(skip_all)]
pub async fn islands(
    db: &impl ConnectionTrait,
    prefecture_code: Option<&str>,
) -> ApiResult<Vec<island::Model>> {
    Ok(repo::islands(db, prefecture_code).await?)
}
