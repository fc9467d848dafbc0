//! Review (approve / reject / suspend / reinstate), the scoped producer list and profile edits.
use super::*;
use crate::core::jp::{InvoiceRegistrationNumber, PostalCode};
use crate::producers::repo;
use crate::{
    audit::{self, AuditRecord},
    auth::service::enqueue_mail,
    core::{self, pagination::Page, validate},
    db,
    error::{ApiError, ApiResult},
    http::actor::{Actor, Role},
    mail::messages::EmailMessage,
    state::AppState,
};
use entity::{app_user, producer};
use sea_orm::{ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait};
use uuid::Uuid;

/// Rows of producers the actor may see: operators and tenant admins their aggregator's,
/// deployment admins all, finance staff read their aggregator's (payouts need the accounts),
/// producers only their own; officers none (403).
pub(super) fn scope(actor: &Actor) -> ApiResult<Condition> {
    match actor.role {
        Role::Admin if actor.is_global_admin() => Ok(Condition::all()),
        Role::Admin | Role::Operator | Role::Finance => {
            let a = actor.aggregator_id.ok_or_else(ApiError::forbidden)?;
            Ok(Condition::all().add(producer::Column::AggregatorId.eq(a)))
        }
        Role::Producer => {
            let (Some(a), Some(p)) = (actor.aggregator_id, actor.producer_id) else {
                return Err(ApiError::forbidden());
            };
            Ok(Condition::all()
                .add(producer::Column::AggregatorId.eq(a))
                .add(producer::Column::Id.eq(p)))
        }
        Role::Officer => Err(ApiError::forbidden()),
    }
}

/// Filters for [`list_producers`].
#[derive(Debug, Clone, Default)]
pub struct ProducerFilter {
    pub status: Option<String>,
    pub island_code: Option<String>,
    pub municipality_code: Option<String>,
    /// Substring of the name or kana (Japanese substrings match).
    pub q: Option<String>,
}

/// Lists producers in scope, newest first.
///
/// # Errors
/// 403 (officers), 422 bad filter.
#[tracing::instrument(skip_all)]
pub async fn list_producers(
    app: &AppState,
    actor: &Actor,
    f: ProducerFilter,
    page: Page,
) -> ApiResult<Vec<producer::Model>> {
    let mut cond = scope(actor)?;
    if let Some(s) = &f.status {
        if !status::ALL.contains(&s.as_str()) {
            return Err(ApiError::field(
                "status",
                format!("must be one of {}", status::ALL.join(", ")),
            ));
        }
        cond = cond.add(producer::Column::Status.eq(s.clone()));
    }
    if let Some(i) = &f.island_code {
        let i = validate::code(i, 32).map_err(|m| ApiError::field("island_code", m))?;
        cond = cond.add(producer::Column::IslandCode.eq(i));
    }
    if let Some(m) = &f.municipality_code {
        let m = validate::code(m, 5).map_err(|e| ApiError::field("municipality_code", e))?;
        cond = cond.add(producer::Column::MunicipalityCode.eq(m));
    }
    if let Some(q) = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        if q.chars().any(char::is_control) || q.chars().count() > 100 {
            return Err(ApiError::field(
                "q",
                "must be at most 100 printable characters",
            ));
        }
        cond = cond.add(
            Condition::any()
                .add(producer::Column::LegalName.contains(q))
                .add(producer::Column::LegalNameKana.contains(q))
                .add(producer::Column::Representative.contains(q)),
        );
    }
    if let Some(after) = page.after {
        cond = cond.add(producer::Column::Id.lt(after));
    }
    Ok(repo::producers_where(&app.db, cond, page.limit).await?)
}

/// One producer in scope.
///
/// # Errors
/// 404 when out of scope or missing; 403 for officers.
#[tracing::instrument(skip_all)]
pub async fn get_producer(app: &AppState, actor: &Actor, id: Uuid) -> ApiResult<producer::Model> {
    find_in_scope(&app.db, actor, id).await
}

pub(super) async fn find_in_scope(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> ApiResult<producer::Model> {
    repo::producer_where(db, scope(actor)?.add(producer::Column::Id.eq(id)))
        .await?
        .ok_or(ApiError::NotFound)
}

/// A review decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Reject,
    Suspend,
    Reinstate,
}

impl Decision {
    fn target(self) -> &'static str {
        match self {
            Self::Approve | Self::Reinstate => status::APPROVED,
            Self::Reject => status::REJECTED,
            Self::Suspend => status::SUSPENDED,
        }
    }

    fn allowed_from(self) -> &'static str {
        match self {
            Self::Approve | Self::Reject => status::PENDING,
            Self::Suspend => status::APPROVED,
            Self::Reinstate => status::SUSPENDED,
        }
    }
}

/// Applies a review decision (operators of the producer's aggregator): `pending → approved |
/// rejected`, `approved → suspended`, `suspended → approved`. Emails the producer in their
/// language and writes the audit log, in the same transaction.
///
/// # Errors
/// 403 other roles; 404 out of scope; 409 `invalid_transition`; 422 `reason` missing for
/// reject/suspend.
#[tracing::instrument(skip_all)]
pub async fn decide(
    app: &AppState,
    actor: &Actor,
    id: Uuid,
    decision: Decision,
    reason: Option<String>,
) -> ApiResult<producer::Model> {
    actor.require(&[Role::Operator, Role::Admin])?;
    let reason = match reason.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
        Some(r) => Some(validate::text(r, 1000).map_err(|m| ApiError::field("reason", m))?),
        None => None,
    };
    if matches!(decision, Decision::Reject | Decision::Suspend) && reason.is_none() {
        return Err(ApiError::field("reason", "is required"));
    }
    let txn = db::begin_write(&app.db).await?;
    let p = find_in_scope(&txn, actor, id).await?;
    let now = core::now();
    let moved = repo::move_status(
        &txn,
        id,
        decision.allowed_from(),
        decision.target(),
        reason.clone(),
        now,
    )
    .await?;
    if !moved {
        return Err(ApiError::Conflict {
            code: "invalid_transition",
            message: format!(
                "a {} producer cannot be moved to {}",
                p.status,
                decision.target()
            ),
            details: serde_json::json!({ "from": p.status, "to": decision.target() }),
        });
    }
    let agg = crate::aggregators::repo::by_id(&txn, p.aggregator_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if let Some(user) = crate::auth::repo::user_where(
        &txn,
        Condition::all().add(app_user::Column::ProducerId.eq(p.id)),
    )
    .await?
    {
        enqueue_mail(
            &txn,
            &user,
            &format!("{}-{}-{}", p.id, decision.target(), now.timestamp_micros()),
            EmailMessage::ProducerStatusChanged {
                display_name: p.representative.clone(),
                organisation: agg.name.clone(),
                status: decision.target().into(),
                reason: reason.clone(),
            },
        )
        .await?;
    }
    audit::record(
        &txn,
        AuditRecord {
            aggregator_id: Some(p.aggregator_id),
            actor_user_id: Some(actor.user_id),
            action: "producer_status_changed",
            subject_type: "producer",
            subject_id: Some(p.id.to_string()),
            details: serde_json::json!({ "from": p.status, "to": decision.target(), "reason": reason }),
        },
    )
    .await?;
    let updated = repo::producer(&txn, id).await?.ok_or(ApiError::NotFound)?;
    txn.commit().await?;
    Ok(updated)
}

/// Profile fields a producer (or an operator) may change. Status, tenant, bank account and
/// consent are not here: they have their own flows.
#[derive(Debug, Clone, Default)]
pub struct ProfilePatch {
    pub legal_name_kana: Option<String>,
    pub representative: Option<String>,
    pub postal_code: Option<String>,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub island_code: Option<String>,
    pub invoice_number: Option<String>,
    pub tax_exempt: Option<bool>,
    pub invoice_notified_on: Option<chrono::NaiveDate>,
    pub locale: Option<String>,
}

/// Changes profile fields (all checked first; nothing is written when one is invalid).
///
/// # Errors
/// 403 officers/finance; 404 out of scope; 422 naming every bad field.
#[tracing::instrument(skip_all)]
pub async fn update_profile(
    app: &AppState,
    actor: &Actor,
    id: Uuid,
    patch: ProfilePatch,
) -> ApiResult<producer::Model> {
    actor.require(&[Role::Producer, Role::Operator, Role::Admin])?;
    let txn = db::begin_write(&app.db).await?;
    let p = find_in_scope(&txn, actor, id).await?;
    let mut am: producer::ActiveModel = p.clone().into();
    let mut errors: Vec<(String, String)> = Vec::new();
    if let Some(v) = &patch.legal_name_kana {
        match crate::core::jp::Kana::parse(v, 200) {
            Ok(k) => am.legal_name_kana = Set(k.as_str().to_string()),
            Err(m) => errors.push(("legal_name_kana".into(), m)),
        }
    }
    if let Some(v) = &patch.representative {
        match validate::text(v, 100) {
            Ok(t) => am.representative = Set(t),
            Err(m) => errors.push(("representative".into(), m)),
        }
    }
    if let Some(v) = &patch.address {
        match validate::text(v, 300) {
            Ok(t) => am.address = Set(t),
            Err(m) => errors.push(("address".into(), m)),
        }
    }
    if let Some(v) = &patch.postal_code {
        match PostalCode::parse(v) {
            Ok(pc) => am.postal_code = Set(pc.as_str().to_string()),
            Err(m) => errors.push(("postal_code".into(), m.into())),
        }
    }
    if let Some(v) = &patch.phone {
        match crate::core::jp::Phone::parse(v) {
            Ok(ph) => am.phone = Set(ph.as_str().to_string()),
            Err(m) => errors.push(("phone".into(), m.into())),
        }
    }
    if let Some(v) = &patch.island_code {
        if v.is_empty() {
            am.island_code = Set(None);
        } else if find_island(&txn, v).await?.is_some() {
            am.island_code = Set(Some(v.clone()));
        } else {
            errors.push(("island_code".into(), "pick an island from the list".into()));
        }
    }
    let tax_exempt = patch.tax_exempt.unwrap_or(p.tax_exempt);
    am.tax_exempt = Set(tax_exempt);
    let today = core::today_jst();
    match (&patch.invoice_number, tax_exempt) {
        (Some(n), false) => match InvoiceRegistrationNumber::parse(n) {
            Ok(n) => {
                // A new number is a new notice (from today unless staff record the day).
                if p.invoice_number.as_deref() != Some(n.as_str()) {
                    am.invoice_notified_on = Set(Some(today));
                }
                am.invoice_number = Set(Some(n.as_str().to_string()));
            }
            Err(m) => errors.push(("invoice_number".into(), m.into())),
        },
        (_, true) => {
            am.invoice_number = Set(None);
            am.invoice_notified_on = Set(None);
        }
        (None, false) if p.invoice_number.is_none() => errors.push((
            "invoice_number".into(),
            "is required unless you are tax-exempt".into(),
        )),
        _ => {}
    }
    if let Some(d) = patch.invoice_notified_on {
        if actor.role == Role::Producer {
            errors.push((
                "invoice_notified_on".into(),
                "is recorded by the aggregator's staff".into(),
            ));
        } else if d > today || d < chrono::NaiveDate::from_ymd_opt(2023, 10, 1).unwrap_or(today) {
            errors.push((
                "invoice_notified_on".into(),
                "must be a day from 2023-10-01 (the start of the invoice system) to today".into(),
            ));
        } else if tax_exempt {
            errors.push((
                "invoice_notified_on".into(),
                "an exempt producer has no registration to notify".into(),
            ));
        } else {
            am.invoice_notified_on = Set(Some(d));
        }
    }
    if let Some(l) = &patch.locale {
        if l == "ja" || l == "en" {
            am.locale = Set(l.clone());
        } else {
            errors.push(("locale".into(), "must be ja or en".into()));
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::invalid(errors));
    }
    am.updated_at = Set(core::now());
    let updated = repo::update_producer(&txn, am).await?;
    txn.commit().await?;
    Ok(updated)
}
