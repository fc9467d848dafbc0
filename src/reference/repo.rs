//! The reference area's queries over the seeded tables: prefectures, municipalities, islands.
use entity::{island, municipality, prefecture};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};

/// All prefectures by code.
///
/// # Errors
/// Database failure.
pub async fn prefectures(db: &impl ConnectionTrait) -> Result<Vec<prefecture::Model>, DbErr> {
    prefecture::Entity::find()
        .order_by_asc(prefecture::Column::Code)
        .all(db)
        .await
}

/// Municipalities, optionally of one prefecture, by code.
///
/// # Errors
/// Database failure.
pub async fn municipalities(
    db: &impl ConnectionTrait,
    prefecture_code: Option<&str>,
) -> Result<Vec<municipality::Model>, DbErr> {
    let mut q = municipality::Entity::find().order_by_asc(municipality::Column::Code);
    if let Some(p) = prefecture_code {
        q = q.filter(municipality::Column::PrefectureCode.eq(p));
    }
    q.all(db).await
}

/// Islands, optionally of one prefecture, by group then code.
///
/// # Errors
/// Database failure.
pub async fn islands(
    db: &impl ConnectionTrait,
    prefecture_code: Option<&str>,
) -> Result<Vec<island::Model>, DbErr> {
    let mut q = island::Entity::find()
        .order_by_asc(island::Column::GroupEn)
        .order_by_asc(island::Column::Code);
    if let Some(p) = prefecture_code {
        q = q.filter(island::Column::PrefectureCode.eq(p));
    }
    q.all(db).await
}
