//! Queries over the seeded reference tables (used by the API and by forms).
use crate::error::ApiResult;
use entity::{island, municipality, prefecture};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

/// All prefectures by code.
///
/// # Errors
/// Database failure.
#[tracing::instrument(skip_all)]
pub async fn prefectures(db: &impl ConnectionTrait) -> ApiResult<Vec<prefecture::Model>> {
    Ok(prefecture::Entity::find()
        .order_by_asc(prefecture::Column::Code)
        .all(db)
        .await?)
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
    let mut q = municipality::Entity::find().order_by_asc(municipality::Column::Code);
    if let Some(p) = prefecture_code {
        q = q.filter(municipality::Column::PrefectureCode.eq(p));
    }
    Ok(q.all(db).await?)
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
    let mut q = island::Entity::find()
        .order_by_asc(island::Column::GroupEn)
        .order_by_asc(island::Column::Code);
    if let Some(p) = prefecture_code {
        q = q.filter(island::Column::PrefectureCode.eq(p));
    }
    Ok(q.all(db).await?)
}
