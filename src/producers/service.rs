//! Producer services: self-registration and proxy registration, email confirmation, review
//! (approve / reject / suspend / reinstate), profile edits, closures, bank-account changes.
//! Every function takes the acting user (or none for the public registration) and is scoped by
//! tenant and owner: a producer only ever reaches its own row, an operator its aggregator's.
use super::domain::{AccountType, BankAccount};
use crate::core::jp::{InvoiceRegistrationNumber, PostalCode};
use crate::{
    audit::{self, AuditRecord},
    auth::{
        password,
        service::{create_link, enqueue_mail, link_purpose},
    },
    core::{self, pagination::Page, secrets::hash_token, validate},
    db,
    error::{ApiError, ApiResult},
    http::actor::{Actor, Role},
    mail::messages::EmailMessage,
    state::AppState,
};
use chrono::{Duration, NaiveDate};
use entity::{
    aggregator, app_user, island, municipality, one_time_link, producer, producer_bank_change,
    producer_closure,
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, sea_query::Expr,
};
use uuid::Uuid;

/// Producer statuses.
pub mod status {
    pub const PENDING: &str = "pending";
    pub const APPROVED: &str = "approved";
    pub const REJECTED: &str = "rejected";
    pub const SUSPENDED: &str = "suspended";
    pub const ALL: [&str; 4] = [PENDING, APPROVED, REJECTED, SUSPENDED];
}

/// Bank account as typed in a form or API call.
#[derive(Debug, Clone, Default)]
pub struct BankInput {
    /// `bank` (bank/branch/type/number) or `japan_post` (記号・番号).
    pub kind: String,
    pub bank_code: String,
    pub branch_code: String,
    /// `ordinary`, `current` or `savings`.
    pub account_type: String,
    pub account_number: String,
    pub jp_symbol: String,
    pub jp_number: String,
    pub holder_kana: String,
}

/// A registration as typed (self or proxy).
#[derive(Debug, Clone, Default)]
pub struct RegistrationInput {
    pub legal_name: String,
    pub legal_name_kana: String,
    pub representative: String,
    pub municipality_code: String,
    pub island_code: Option<String>,
    pub postal_code: String,
    pub address: String,
    pub phone: String,
    pub email: String,
    /// `T` + 13 digits; required unless `tax_exempt`.
    pub invoice_number: Option<String>,
    pub tax_exempt: bool,
    pub bank: BankInput,
    pub consent: bool,
    pub locale: Option<String>,
    /// Self-registration sets a password; proxy registration does not.
    pub password: Option<String>,
}

/// A registration that passed every check.
struct ValidRegistration {
    legal_name: String,
    legal_name_kana: String,
    representative: String,
    municipality: municipality::Model,
    island_code: Option<String>,
    postal_code: String,
    address: String,
    phone: String,
    email: String,
    invoice_number: Option<String>,
    tax_exempt: bool,
    bank: BankAccount,
    locale: String,
}

fn account_type_name(t: AccountType) -> &'static str {
    match t {
        AccountType::Ordinary => "ordinary",
        AccountType::Current => "current",
        AccountType::Savings => "savings",
    }
}

fn parse_bank(b: &BankInput, errors: &mut Vec<(String, String)>) -> Option<BankAccount> {
    let res = match b.kind.as_str() {
        "japan_post" => BankAccount::japan_post(&b.jp_symbol, &b.jp_number, &b.holder_kana),
        "bank" | "" => {
            let t = match b.account_type.as_str() {
                "ordinary" | "" => AccountType::Ordinary,
                "current" => AccountType::Current,
                "savings" => AccountType::Savings,
                _ => {
                    errors.push((
                        "account_type".into(),
                        "must be ordinary, current or savings".into(),
                    ));
                    return None;
                }
            };
            BankAccount::new(
                &b.bank_code,
                &b.branch_code,
                t,
                &b.account_number,
                &b.holder_kana,
            )
        }
        _ => {
            errors.push(("bank_kind".into(), "must be bank or japan_post".into()));
            return None;
        }
    };
    match res {
        Ok(a) => Some(a),
        Err((field, msg)) => {
            errors.push((field.into(), msg));
            None
        }
    }
}

/// A municipality by code; malformed codes never reach the database.
async fn find_municipality(
    db: &impl ConnectionTrait,
    code: &str,
) -> ApiResult<Option<municipality::Model>> {
    match validate::code(code, 5) {
        Ok(c) => Ok(municipality::Entity::find_by_id(c).one(db).await?),
        Err(_) => Ok(None),
    }
}

/// An island by code; malformed codes never reach the database.
async fn find_island(db: &impl ConnectionTrait, code: &str) -> ApiResult<Option<island::Model>> {
    match validate::code(code, 32) {
        Ok(c) => Ok(island::Entity::find_by_id(c).one(db).await?),
        Err(_) => Ok(None),
    }
}

/// Checks every field at once (so a form can show all errors next to their fields).
async fn validate_registration(
    db: &impl ConnectionTrait,
    input: &RegistrationInput,
    min_password: usize,
) -> ApiResult<ValidRegistration> {
    let mut errors: Vec<(String, String)> = Vec::new();
    let mut text = |field: &str, v: &str, max: usize| match validate::text(v, max) {
        Ok(t) => Some(t),
        Err(m) => {
            errors.push((field.into(), m));
            None
        }
    };
    let legal_name = text("legal_name", &input.legal_name, 200);
    let legal_name_kana = text("legal_name_kana", &input.legal_name_kana, 200);
    let representative = text("representative", &input.representative, 100);
    let address = text("address", &input.address, 300);
    let postal_code = match PostalCode::parse(&input.postal_code) {
        Ok(p) => Some(p.as_str().to_string()),
        Err(m) => {
            errors.push(("postal_code".into(), m.into()));
            None
        }
    };
    let phone = match crate::core::jp::Phone::parse(&input.phone).map(|p| p.as_str().to_string()) {
        Ok(p) => Some(p),
        Err(m) => {
            errors.push(("phone".into(), m.into()));
            None
        }
    };
    let email = match validate::email(&input.email) {
        Ok(e) => Some(e),
        Err(m) => {
            errors.push(("email".into(), m.into()));
            None
        }
    };
    let invoice_number = match (&input.invoice_number, input.tax_exempt) {
        (Some(n), _) if !n.trim().is_empty() => match InvoiceRegistrationNumber::parse(n) {
            Ok(n) if !input.tax_exempt => Some(n.as_str().to_string()),
            Ok(_) => {
                errors.push((
                    "invoice_number".into(),
                    "leave empty when tax-exempt".into(),
                ));
                None
            }
            Err(m) => {
                errors.push(("invoice_number".into(), m.into()));
                None
            }
        },
        (_, true) => None,
        (_, false) => {
            errors.push((
                "invoice_number".into(),
                "is required unless you are tax-exempt (免税事業者)".into(),
            ));
            None
        }
    };
    let bank = parse_bank(&input.bank, &mut errors);
    if !input.consent {
        errors.push(("consent".into(), "you must agree to the terms".into()));
    }
    let locale = match input.locale.as_deref() {
        None | Some("") | Some("ja") => "ja".to_string(),
        Some("en") => "en".to_string(),
        Some(_) => {
            errors.push(("locale".into(), "must be ja or en".into()));
            "ja".into()
        }
    };
    if let Some(pw) = &input.password
        && pw.chars().count() < min_password
    {
        errors.push((
            "password".into(),
            format!("must be at least {min_password} characters"),
        ));
    }
    let municipality = find_municipality(db, &input.municipality_code).await?;
    if municipality.is_none() {
        errors.push((
            "municipality_code".into(),
            "pick a municipality from the list".into(),
        ));
    }
    let island_code = match input
        .island_code
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(code) => match find_island(db, code).await? {
            Some(i) => Some(i.code),
            None => {
                errors.push(("island_code".into(), "pick an island from the list".into()));
                None
            }
        },
    };
    if !errors.is_empty() {
        return Err(ApiError::invalid(errors));
    }
    match (
        legal_name,
        legal_name_kana,
        representative,
        address,
        postal_code,
        phone,
        email,
        bank,
        municipality,
    ) {
        (
            Some(legal_name),
            Some(legal_name_kana),
            Some(representative),
            Some(address),
            Some(postal_code),
            Some(phone),
            Some(email),
            Some(bank),
            Some(municipality),
        ) => Ok(ValidRegistration {
            legal_name,
            legal_name_kana,
            representative,
            municipality,
            island_code,
            postal_code,
            address,
            phone,
            email,
            invoice_number,
            tax_exempt: input.tax_exempt,
            bank,
            locale,
        }),
        _ => Err(ApiError::field("body", "invalid registration")),
    }
}

async fn aggregator_by_slug(db: &impl ConnectionTrait, slug: &str) -> ApiResult<aggregator::Model> {
    aggregator::Entity::find()
        .filter(aggregator::Column::Slug.eq(slug))
        .one(db)
        .await?
        .ok_or(ApiError::NotFound)
}

/// Inserts producer + producer user and enqueues the operator notifications.
async fn insert_producer(
    app: &AppState,
    txn: &impl ConnectionTrait,
    agg: &aggregator::Model,
    v: ValidRegistration,
    password_hash: Option<String>,
    registered_by: Option<Uuid>,
    consent_at: chrono::DateTime<chrono::Utc>,
) -> ApiResult<(producer::Model, app_user::Model)> {
    if app_user::Entity::find()
        .filter(app_user::Column::Email.eq(v.email.clone()))
        .one(txn)
        .await?
        .is_some()
    {
        return Err(ApiError::field_coded(
            "email",
            "email_taken",
            "an account with this email already exists",
        ));
    }
    let now = core::now();
    let producer = producer::ActiveModel {
        id: Set(core::new_id()),
        aggregator_id: Set(agg.id),
        status: Set(status::PENDING.into()),
        status_reason: Set(None),
        legal_name: Set(v.legal_name),
        legal_name_kana: Set(v.legal_name_kana),
        representative: Set(v.representative),
        municipality_code: Set(v.municipality.code.clone()),
        island_code: Set(v.island_code),
        postal_code: Set(v.postal_code),
        address: Set(v.address),
        phone: Set(v.phone),
        email: Set(v.email.clone()),
        invoice_number: Set(v.invoice_number),
        tax_exempt: Set(v.tax_exempt),
        bank_code: Set(v.bank.bank_code),
        branch_code: Set(v.bank.branch_code),
        account_type: Set(account_type_name(v.bank.account_type).into()),
        account_number: Set(v.bank.number),
        account_holder_kana: Set(v.bank.holder_kana),
        locale: Set(v.locale.clone()),
        consent_at: Set(consent_at),
        registered_by: Set(registered_by),
        email_confirmed_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        sold_notice: Set("per_order".into()),
    }
    .insert(txn)
    .await?;
    let user = app_user::ActiveModel {
        id: Set(core::new_id()),
        aggregator_id: Set(Some(agg.id)),
        email: Set(v.email),
        display_name: Set(producer.representative.clone()),
        role: Set(Role::Producer.as_str().into()),
        producer_id: Set(Some(producer.id)),
        prefecture_code: Set(None),
        locale: Set(v.locale),
        password_hash: Set(password_hash),
        active: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(txn)
    .await
    .map_err(|e| match ApiError::from(e) {
        ApiError::Conflict { .. } => ApiError::field_coded(
            "email",
            "email_taken",
            "an account with this email already exists",
        ),
        other => other,
    })?;
    // Tell the aggregator's operators (one mail job per operator).
    let operators = app_user::Entity::find()
        .filter(app_user::Column::AggregatorId.eq(agg.id))
        .filter(app_user::Column::Role.eq(Role::Operator.as_str()))
        .filter(app_user::Column::Active.eq(true))
        .all(txn)
        .await?;
    let base = app.settings.server.base_url.trim_end_matches('/');
    for op in operators {
        enqueue_mail(
            txn,
            &op,
            &format!("{}-{}", producer.id, op.id),
            EmailMessage::OperatorNewProducer {
                producer_name: producer.legal_name.clone(),
                municipality: v.municipality.name_ja.clone(),
                review_link: format!("{base}/operator/producers?status=pending"),
            },
        )
        .await?;
    }
    Ok((producer, user))
}

/// Public self-registration with the aggregator `slug`: a `pending` producer and its producer
/// user, an email to confirm the address, and a notice to the aggregator's operators.
///
/// # Errors
/// 404 unknown aggregator; 422 naming every invalid field (also a taken email).
pub async fn register(
    app: &AppState,
    slug: &str,
    input: RegistrationInput,
) -> ApiResult<producer::Model> {
    let min = app.settings.auth.min_password_length;
    let password_plain = input
        .password
        .clone()
        .ok_or_else(|| ApiError::field("password", "is required"))?;
    let v = validate_registration(&app.db, &input, min).await?;
    let hash = password::hash(password_plain).await?;
    let txn = db::begin_write(&app.db).await?;
    let agg = aggregator_by_slug(&txn, slug).await?;
    let now = core::now();
    let (producer, user) = insert_producer(app, &txn, &agg, v, Some(hash), None, now).await?;
    let (link_id, url) = create_link(
        app,
        &txn,
        &user,
        link_purpose::CONFIRM_EMAIL,
        Duration::days(7),
    )
    .await?;
    enqueue_mail(
        &txn,
        &user,
        &link_id.to_string(),
        EmailMessage::ProducerRegistered {
            display_name: producer.representative.clone(),
            organisation: agg.name.clone(),
            confirm_link: url,
        },
    )
    .await?;
    audit::record(
        &txn,
        AuditRecord {
            aggregator_id: Some(agg.id),
            actor_user_id: Some(user.id),
            action: "producer_registered",
            subject_type: "producer",
            subject_id: Some(producer.id.to_string()),
            details: serde_json::json!({ "via": "self" }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(producer)
}

/// Proxy registration by an operator for a producer who cannot use the form: records the date
/// the producer consented and who entered it; the producer claims the account through an
/// emailed link (sets a password).
///
/// # Errors
/// 403 for other roles; 422 fields (`consent_date` required, not in the future).
pub async fn register_by_proxy(
    app: &AppState,
    actor: &Actor,
    mut input: RegistrationInput,
    consent_date: Option<NaiveDate>,
) -> ApiResult<producer::Model> {
    actor.require(&[Role::Operator, Role::Admin])?;
    let agg_id = actor.aggregator_id.ok_or_else(ApiError::forbidden)?;
    let consent_date = consent_date.ok_or_else(|| {
        ApiError::field("consent_date", "is required: the date the producer agreed")
    })?;
    let today = core::today_jst();
    if consent_date > today {
        return Err(ApiError::field("consent_date", "cannot be in the future"));
    }
    if consent_date < NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or(today) {
        return Err(ApiError::field("consent_date", "is too far in the past"));
    }
    input.consent = true;
    input.password = None;
    let v = validate_registration(&app.db, &input, 0).await?;
    let txn = db::begin_write(&app.db).await?;
    let agg = aggregator::Entity::find_by_id(agg_id)
        .one(&txn)
        .await?
        .ok_or_else(ApiError::forbidden)?;
    let consent_at = consent_date
        .and_hms_opt(0, 0, 0)
        .map(|d| d.and_utc())
        .unwrap_or_else(core::now);
    let (producer, user) =
        insert_producer(app, &txn, &agg, v, None, Some(actor.user_id), consent_at).await?;
    let hours = app.settings.auth.invite_link_ttl_hours;
    let (link_id, url) = create_link(
        app,
        &txn,
        &user,
        link_purpose::INVITE,
        Duration::hours(hours),
    )
    .await?;
    enqueue_mail(
        &txn,
        &user,
        &link_id.to_string(),
        EmailMessage::ProducerClaim {
            display_name: producer.representative.clone(),
            organisation: agg.name.clone(),
            link: url,
            expires_hours: hours,
        },
    )
    .await?;
    audit::record(
        &txn,
        AuditRecord {
            aggregator_id: Some(agg.id),
            actor_user_id: Some(actor.user_id),
            action: "producer_registered",
            subject_type: "producer",
            subject_id: Some(producer.id.to_string()),
            details: serde_json::json!({ "via": "proxy", "consent_date": consent_date.to_string() }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(producer)
}

/// Confirms a producer's email address through the emailed link (single use).
///
/// # Errors
/// 422 `token` when the link is invalid, used or expired.
pub async fn confirm_email(app: &AppState, token: &str) -> ApiResult<()> {
    let now = core::now();
    let invalid = || ApiError::field("token", "this link is invalid, already used or expired");
    let txn = db::begin_write(&app.db).await?;
    let link = one_time_link::Entity::find()
        .filter(one_time_link::Column::TokenHash.eq(hash_token(token)))
        .filter(one_time_link::Column::Purpose.eq(link_purpose::CONFIRM_EMAIL))
        .one(&txn)
        .await?
        .ok_or_else(invalid)?;
    let used = one_time_link::Entity::update_many()
        .col_expr(one_time_link::Column::UsedAt, Expr::value(Some(now)))
        .filter(one_time_link::Column::Id.eq(link.id))
        .filter(one_time_link::Column::UsedAt.is_null())
        .filter(one_time_link::Column::ExpiresAt.gt(now))
        .exec(&txn)
        .await?;
    if used.rows_affected != 1 {
        return Err(invalid());
    }
    let user = app_user::Entity::find_by_id(link.user_id)
        .one(&txn)
        .await?
        .ok_or_else(invalid)?;
    if let Some(pid) = user.producer_id {
        producer::Entity::update_many()
            .col_expr(producer::Column::EmailConfirmedAt, Expr::value(Some(now)))
            .filter(producer::Column::Id.eq(pid))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Rows of producers the actor may see: operators and tenant admins their aggregator's,
/// deployment admins all, finance staff read their aggregator's (payouts need the accounts),
/// producers only their own; officers none (403).
fn scope(actor: &Actor) -> ApiResult<Condition> {
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
    Ok(producer::Entity::find()
        .filter(cond)
        .order_by_desc(producer::Column::Id)
        .limit(page.limit)
        .all(&app.db)
        .await?)
}

/// One producer in scope.
///
/// # Errors
/// 404 when out of scope or missing; 403 for officers.
pub async fn get_producer(app: &AppState, actor: &Actor, id: Uuid) -> ApiResult<producer::Model> {
    find_in_scope(&app.db, actor, id).await
}

async fn find_in_scope(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> ApiResult<producer::Model> {
    producer::Entity::find()
        .filter(scope(actor)?.add(producer::Column::Id.eq(id)))
        .one(db)
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
    let res = producer::Entity::update_many()
        .col_expr(producer::Column::Status, Expr::value(decision.target()))
        .col_expr(producer::Column::StatusReason, Expr::value(reason.clone()))
        .col_expr(producer::Column::UpdatedAt, Expr::value(now))
        .filter(producer::Column::Id.eq(id))
        .filter(producer::Column::Status.eq(decision.allowed_from()))
        .exec(&txn)
        .await?;
    if res.rows_affected != 1 {
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
    let agg = aggregator::Entity::find_by_id(p.aggregator_id)
        .one(&txn)
        .await?
        .ok_or(ApiError::NotFound)?;
    if let Some(user) = app_user::Entity::find()
        .filter(app_user::Column::ProducerId.eq(p.id))
        .one(&txn)
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
    let updated = producer::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(ApiError::NotFound)?;
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
    pub locale: Option<String>,
}

/// Changes profile fields (all checked first; nothing is written when one is invalid).
///
/// # Errors
/// 403 officers/finance; 404 out of scope; 422 naming every bad field.
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
        match validate::text(v, 200) {
            Ok(t) => am.legal_name_kana = Set(t),
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
    match (&patch.invoice_number, tax_exempt) {
        (Some(n), false) => match InvoiceRegistrationNumber::parse(n) {
            Ok(n) => am.invoice_number = Set(Some(n.as_str().to_string())),
            Err(m) => errors.push(("invoice_number".into(), m.into())),
        },
        (_, true) => am.invoice_number = Set(None),
        (None, false) if p.invoice_number.is_none() => errors.push((
            "invoice_number".into(),
            "is required unless you are tax-exempt".into(),
        )),
        _ => {}
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
    let updated = am.update(&txn).await?;
    txn.commit().await?;
    Ok(updated)
}

/// Requests a bank-account change: needs the producer's password again; the new account is
/// used for payouts only after an operator approves it (the old one stays until then).
///
/// # Errors
/// 403 not the producer itself; 401-like 422 `current_password` wrong; 422 bank fields.
pub async fn request_bank_change(
    app: &AppState,
    actor: &Actor,
    id: Uuid,
    current_password: &str,
    bank: BankInput,
) -> ApiResult<producer_bank_change::Model> {
    actor.require(&[Role::Producer])?;
    let p = find_in_scope(&app.db, actor, id).await?;
    let user = app_user::Entity::find_by_id(actor.user_id)
        .one(&app.db)
        .await?
        .ok_or(ApiError::Unauthenticated)?;
    if !password::verify(current_password.to_string(), user.password_hash).await {
        return Err(ApiError::field(
            "current_password",
            "is not your current password",
        ));
    }
    let mut errors = Vec::new();
    let account = parse_bank(&bank, &mut errors).ok_or(ApiError::invalid(errors))?;
    let now = core::now();
    let txn = db::begin_write(&app.db).await?;
    // A newer request replaces a pending one.
    producer_bank_change::Entity::update_many()
        .col_expr(
            producer_bank_change::Column::Status,
            Expr::value("superseded"),
        )
        .filter(producer_bank_change::Column::ProducerId.eq(p.id))
        .filter(producer_bank_change::Column::Status.eq("pending"))
        .exec(&txn)
        .await?;
    let change = producer_bank_change::ActiveModel {
        id: Set(core::new_id()),
        aggregator_id: Set(p.aggregator_id),
        producer_id: Set(p.id),
        bank_code: Set(account.bank_code),
        branch_code: Set(account.branch_code),
        account_type: Set(account_type_name(account.account_type).into()),
        account_number: Set(account.number),
        account_holder_kana: Set(account.holder_kana),
        status: Set("pending".into()),
        requested_by: Set(actor.user_id),
        requested_at: Set(now),
        decided_by: Set(None),
        decided_at: Set(None),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        AuditRecord {
            aggregator_id: Some(p.aggregator_id),
            actor_user_id: Some(actor.user_id),
            action: "bank_change_requested",
            subject_type: "producer",
            subject_id: Some(p.id.to_string()),
            details: serde_json::json!({ "change_id": change.id }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(change)
}

/// The pending bank-account change of a producer, if any.
///
/// # Errors
/// 404 out of scope.
pub async fn pending_bank_change(
    app: &AppState,
    actor: &Actor,
    id: Uuid,
) -> ApiResult<Option<producer_bank_change::Model>> {
    let p = find_in_scope(&app.db, actor, id).await?;
    Ok(producer_bank_change::Entity::find()
        .filter(producer_bank_change::Column::ProducerId.eq(p.id))
        .filter(producer_bank_change::Column::Status.eq("pending"))
        .one(&app.db)
        .await?)
}

/// The pending bank-account changes of the given producers (one query; producers outside the
/// actor's scope are simply absent), keyed by producer.
///
/// # Errors
/// 403 for roles that see no producers.
pub async fn pending_bank_changes(
    app: &AppState,
    actor: &Actor,
    producers: &[producer::Model],
) -> ApiResult<std::collections::HashMap<Uuid, producer_bank_change::Model>> {
    let visible: Vec<Uuid> = producer::Entity::find()
        .select_only()
        .column(producer::Column::Id)
        .filter(scope(actor)?.add(producer::Column::Id.is_in(producers.iter().map(|p| p.id))))
        .into_tuple()
        .all(&app.db)
        .await?;
    Ok(producer_bank_change::Entity::find()
        .filter(producer_bank_change::Column::ProducerId.is_in(visible))
        .filter(producer_bank_change::Column::Status.eq("pending"))
        .all(&app.db)
        .await?
        .into_iter()
        .map(|b| (b.producer_id, b))
        .collect())
}

/// An operator approves or rejects the pending bank-account change; approval replaces the
/// producer's payout account. Audit-logged; the producer is emailed.
///
/// # Errors
/// 403 other roles; 404 out of scope; 409 `no_pending_change`.
pub async fn decide_bank_change(
    app: &AppState,
    actor: &Actor,
    id: Uuid,
    approve: bool,
) -> ApiResult<producer::Model> {
    actor.require(&[Role::Operator, Role::Admin])?;
    let txn = db::begin_write(&app.db).await?;
    let p = find_in_scope(&txn, actor, id).await?;
    let change = producer_bank_change::Entity::find()
        .filter(producer_bank_change::Column::ProducerId.eq(p.id))
        .filter(producer_bank_change::Column::Status.eq("pending"))
        .one(&txn)
        .await?
        .ok_or_else(|| {
            ApiError::conflict(
                "no_pending_change",
                "there is no pending bank-account change",
            )
        })?;
    let now = core::now();
    // Conditional: two concurrent decisions cannot both apply.
    let decided = producer_bank_change::Entity::update_many()
        .col_expr(
            producer_bank_change::Column::Status,
            Expr::value(if approve { "approved" } else { "rejected" }),
        )
        .col_expr(
            producer_bank_change::Column::DecidedBy,
            Expr::value(Some(actor.user_id)),
        )
        .col_expr(
            producer_bank_change::Column::DecidedAt,
            Expr::value(Some(now)),
        )
        .filter(producer_bank_change::Column::Id.eq(change.id))
        .filter(producer_bank_change::Column::Status.eq("pending"))
        .exec(&txn)
        .await?;
    if decided.rows_affected != 1 {
        return Err(ApiError::conflict(
            "no_pending_change",
            "the change was already decided",
        ));
    }
    if approve {
        let mut am: producer::ActiveModel = p.clone().into();
        am.bank_code = Set(change.bank_code);
        am.branch_code = Set(change.branch_code);
        am.account_type = Set(change.account_type);
        am.account_number = Set(change.account_number);
        am.account_holder_kana = Set(change.account_holder_kana);
        am.updated_at = Set(now);
        am.update(&txn).await?;
    }
    if let Some(user) = app_user::Entity::find()
        .filter(app_user::Column::ProducerId.eq(p.id))
        .one(&txn)
        .await?
    {
        enqueue_mail(
            &txn,
            &user,
            &change.id.to_string(),
            EmailMessage::BankAccountDecision {
                display_name: p.representative.clone(),
                approved: approve,
            },
        )
        .await?;
    }
    audit::record(
        &txn,
        AuditRecord {
            aggregator_id: Some(p.aggregator_id),
            actor_user_id: Some(actor.user_id),
            action: if approve {
                "bank_change_approved"
            } else {
                "bank_change_rejected"
            },
            subject_type: "producer",
            subject_id: Some(p.id.to_string()),
            details: serde_json::json!({ "change_id": change.id }),
        },
    )
    .await?;
    let updated = producer::Entity::find_by_id(p.id)
        .one(&txn)
        .await?
        .ok_or(ApiError::NotFound)?;
    txn.commit().await?;
    Ok(updated)
}

/// Input of [`create_closure`]: exactly one of producer or island.
#[derive(Debug, Clone)]
pub struct ClosureInput {
    pub producer_id: Option<Uuid>,
    pub island_code: Option<String>,
    pub closed_from: NaiveDate,
    pub closed_to: NaiveDate,
    pub reason: String,
}

/// Records a closure: producers for themselves, operators for any producer of theirs or a
/// whole island.
///
/// # Errors
/// 403 island-wide by a producer; 404 producer out of scope; 422 dates/reason/target.
pub async fn create_closure(
    app: &AppState,
    actor: &Actor,
    input: ClosureInput,
) -> ApiResult<producer_closure::Model> {
    actor.require(&[Role::Producer, Role::Operator, Role::Admin])?;
    let reason = validate::text(&input.reason, 200).map_err(|m| ApiError::field("reason", m))?;
    let today = core::today_jst();
    if input.closed_from < today - chrono::Duration::days(366) {
        return Err(ApiError::field(
            "closed_from",
            "must be within the last year",
        ));
    }
    if input.closed_to > today + chrono::Duration::days(731) {
        return Err(ApiError::field(
            "closed_to",
            "must be within the next two years",
        ));
    }
    if input.closed_to < input.closed_from {
        return Err(ApiError::field(
            "closed_to",
            "must not be before closed_from",
        ));
    }
    if (input.closed_to - input.closed_from).num_days() > 366 {
        return Err(ApiError::field(
            "closed_to",
            "a closure lasts at most a year",
        ));
    }
    let (producer_id, island_code, aggregator_id) = match (input.producer_id, input.island_code) {
        (Some(pid), None) => {
            let p = find_in_scope(&app.db, actor, pid).await?;
            (Some(p.id), None, p.aggregator_id)
        }
        (None, Some(code)) => {
            actor.require(&[Role::Operator, Role::Admin])?;
            let a = actor.aggregator_id.ok_or_else(ApiError::forbidden)?;
            if find_island(&app.db, &code).await?.is_none() {
                return Err(ApiError::field(
                    "island_code",
                    "pick an island from the list",
                ));
            }
            (None, Some(code), a)
        }
        _ => {
            return Err(ApiError::field(
                "producer_id",
                "give exactly one of producer_id or island_code",
            ));
        }
    };
    let txn = db::begin_write(&app.db).await?;
    let c = producer_closure::ActiveModel {
        id: Set(core::new_id()),
        aggregator_id: Set(aggregator_id),
        producer_id: Set(producer_id),
        island_code: Set(island_code),
        closed_from: Set(input.closed_from),
        closed_to: Set(input.closed_to),
        reason: Set(reason),
        created_by: Set(actor.user_id),
        created_at: Set(core::now()),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        AuditRecord {
            aggregator_id: Some(aggregator_id),
            actor_user_id: Some(actor.user_id),
            action: "closure_created",
            subject_type: "producer_closure",
            subject_id: Some(c.id.to_string()),
            details: serde_json::json!({ "producer_id": c.producer_id, "island_code": c.island_code,
                "from": c.closed_from.to_string(), "to": c.closed_to.to_string() }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(c)
}

/// Closures affecting a producer (its own and its island's) that have not ended.
///
/// # Errors
/// 404 out of scope.
pub async fn closures_for(
    app: &AppState,
    actor: &Actor,
    producer_id: Uuid,
) -> ApiResult<Vec<producer_closure::Model>> {
    let p = find_in_scope(&app.db, actor, producer_id).await?;
    current_and_future_closures(&app.db, &p).await
}

async fn current_and_future_closures(
    db: &impl ConnectionTrait,
    p: &producer::Model,
) -> ApiResult<Vec<producer_closure::Model>> {
    let today = core::today_jst();
    let mut target = Condition::any().add(producer_closure::Column::ProducerId.eq(p.id));
    if let Some(i) = &p.island_code {
        target = target.add(producer_closure::Column::IslandCode.eq(i.clone()));
    }
    Ok(producer_closure::Entity::find()
        .filter(producer_closure::Column::AggregatorId.eq(p.aggregator_id))
        .filter(target)
        .filter(producer_closure::Column::ClosedTo.gte(today))
        .order_by_asc(producer_closure::Column::ClosedFrom)
        .all(db)
        .await?)
}

/// Whether one of `closures` covers today (Asia/Tokyo).
pub fn closed_today(closures: &[producer_closure::Model]) -> bool {
    let today = core::today_jst();
    closures
        .iter()
        .any(|c| c.closed_from <= today && today <= c.closed_to)
}

/// Deletes a closure (its creator's side: producers their own, operators any in the tenant).
///
/// # Errors
/// 404 out of scope.
pub async fn delete_closure(app: &AppState, actor: &Actor, id: Uuid) -> ApiResult<()> {
    actor.require(&[Role::Producer, Role::Operator, Role::Admin])?;
    let c = producer_closure::Entity::find_by_id(id)
        .one(&app.db)
        .await?
        .ok_or(ApiError::NotFound)?;
    match c.producer_id {
        Some(pid) => {
            find_in_scope(&app.db, actor, pid).await?;
            // A producer may lift its own closures, not one staff put on it.
            if actor.role == Role::Producer && c.created_by != actor.user_id {
                return Err(ApiError::forbidden());
            }
        }
        None => {
            actor.require(&[Role::Operator, Role::Admin])?;
            if !actor.in_tenant(Some(c.aggregator_id)) {
                return Err(ApiError::NotFound);
            }
        }
    }
    producer_closure::Entity::delete_by_id(id)
        .exec(&app.db)
        .await?;
    Ok(())
}

/// Whether the producer is sellable-eligible now: approved and not closed (stock comes later).
///
/// # Errors
/// Database failure.
pub async fn is_open_for_sale(db: &impl ConnectionTrait, p: &producer::Model) -> ApiResult<bool> {
    if p.status != status::APPROVED {
        return Ok(false);
    }
    Ok(!closed_today(&current_and_future_closures(db, p).await?))
}
