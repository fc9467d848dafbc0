//! Creating and listing aggregators.
use crate::{
    audit::{self, AuditRecord},
    config::Settings,
    core, db,
    error::{ApiError, ApiResult},
    http::actor::{Actor, Role},
    state::AppState,
};
use entity::aggregator;
use sea_orm::{ConnectionTrait, DatabaseConnection};

/// Path words that cannot be slugs (they are routes of their own).
const RESERVED: [&str; 14] = [
    "api",
    "docs",
    "assets",
    "login",
    "logout",
    "health",
    "ready",
    "password-reset",
    "shop",
    "register",
    "admin",
    "static",
    "media",
    "portal",
];

/// Checks a slug: 2–64 of a–z, 0–9 and '-', starting with a letter or digit, not reserved.
///
/// # Errors
/// The reason, for the `slug` field.
pub fn check_slug(slug: &str) -> Result<(), &'static str> {
    let ok_chars = slug
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if slug.len() < 2 || slug.len() > 64 || !ok_chars || slug.starts_with('-') {
        return Err("must be 2-64 characters of a-z, 0-9 and '-', not starting with '-'");
    }
    if RESERVED.contains(&slug) {
        return Err("is a reserved word");
    }
    Ok(())
}

/// Inserts an aggregator.
///
/// # Errors
/// 422 bad slug/name; 409 `slug_taken`.
#[tracing::instrument(skip_all)]
pub async fn insert(
    db: &impl ConnectionTrait,
    slug: &str,
    name: &str,
) -> ApiResult<aggregator::Model> {
    check_slug(slug).map_err(|m| ApiError::field("slug", m))?;
    let name = core::validate::text(name, 200).map_err(|m| ApiError::field("name", m))?;
    if super::repo::by_slug(db, slug).await?.is_some() {
        return Err(ApiError::conflict(
            "slug_taken",
            "an aggregator with this slug exists",
        ));
    }
    super::repo::insert(db, slug, name)
        .await
        .map_err(|e| match ApiError::from(e) {
            ApiError::Conflict { .. } => {
                ApiError::conflict("slug_taken", "an aggregator with this slug exists")
            }
            other => other,
        })
}

/// Whether an aggregator with this slug exists.
///
/// # Errors
/// Database failure.
#[tracing::instrument(skip_all)]
pub async fn exists(db: &impl ConnectionTrait, slug: &str) -> ApiResult<bool> {
    Ok(super::repo::by_slug(db, slug).await?.is_some())
}

/// On a database without aggregators, creates the default one from config so the bare
/// public paths work.
///
/// # Errors
/// Database failure or a bad default slug in config.
#[tracing::instrument(skip_all)]
pub async fn ensure_default(db: &DatabaseConnection, settings: &Settings) -> anyhow::Result<()> {
    if super::repo::count(db).await? > 0 {
        return Ok(());
    }
    let txn = db::begin_write(db).await?;
    if super::repo::count(&txn).await? == 0 {
        insert(
            &txn,
            &settings.server.default_aggregator,
            &settings.server.default_aggregator_name,
        )
        .await
        .map_err(|e| anyhow::anyhow!("creating the default aggregator: {e}"))?;
        tracing::info!(slug = %settings.server.default_aggregator, "created the default aggregator");
    }
    txn.commit().await?;
    Ok(())
}

/// Aggregators visible to the actor (admins: all; others: their own).
///
/// # Errors
/// Database failure.
#[tracing::instrument(skip_all)]
pub async fn list(app: &AppState, actor: &Actor) -> ApiResult<Vec<aggregator::Model>> {
    let only = if actor.is_global_admin() {
        None
    } else {
        let Some(a) = actor.aggregator_id else {
            return Ok(Vec::new());
        };
        Some(a)
    };
    Ok(super::repo::list(&app.db, only).await?)
}

/// Creates an aggregator (deployment-wide admins only), audit-logged.
///
/// # Errors
/// 403, 409 `slug_taken`, 422.
#[tracing::instrument(skip_all)]
pub async fn create(
    app: &AppState,
    actor: &Actor,
    slug: &str,
    name: &str,
) -> ApiResult<aggregator::Model> {
    actor.require(&[Role::Admin])?;
    if !actor.is_global_admin() {
        return Err(ApiError::forbidden());
    }
    let txn = db::begin_write(&app.db).await?;
    let a = insert(&txn, slug, name).await?;
    audit::record(
        &txn,
        AuditRecord {
            aggregator_id: Some(a.id),
            actor_user_id: Some(actor.user_id),
            action: "aggregator_created",
            subject_type: "aggregator",
            subject_id: Some(a.id.to_string()),
            details: serde_json::json!({ "slug": a.slug }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(a)
}

#[cfg(test)]
mod tests {
    #[test]
    fn slugs_are_checked() {
        assert!(super::check_slug("yaeyama").is_ok());
        assert!(super::check_slug("miyako-2").is_ok());
        for bad in ["", "a", "-x", "Yaeyama", "石垣", "api", "a b"] {
            assert!(super::check_slug(bad).is_err(), "{bad}");
        }
    }
}
