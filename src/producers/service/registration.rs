//! Registration: self-registration and proxy registration by an operator, email confirmation.
use super::*;
use crate::core::jp::{InvoiceRegistrationNumber, PostalCode};
use crate::producers::domain::BankAccount;
use crate::{
    audit::{self, AuditRecord},
    auth::{
        password,
        service::{create_link, enqueue_mail, link_purpose},
    },
    core::{self, secrets::hash_token, validate},
    db,
    error::{ApiError, ApiResult},
    http::actor::{Actor, Role},
    mail::messages::EmailMessage,
    state::AppState,
};
use crate::{auth::repo as auth_repo, producers::repo};
use chrono::{Duration, NaiveDate};
use entity::{aggregator, app_user, island, municipality, producer};
use sea_orm::{ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait};
use uuid::Uuid;

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
/// A municipality by code; malformed codes never reach the database.
pub(super) async fn find_municipality(
    db: &impl ConnectionTrait,
    code: &str,
) -> ApiResult<Option<municipality::Model>> {
    match validate::code(code, 5) {
        Ok(c) => Ok(repo::municipality(db, c).await?),
        Err(_) => Ok(None),
    }
}

/// An island by code; malformed codes never reach the database.
pub(super) async fn find_island(
    db: &impl ConnectionTrait,
    code: &str,
) -> ApiResult<Option<island::Model>> {
    match validate::code(code, 32) {
        Ok(c) => Ok(repo::island(db, c).await?),
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
    let legal_name_kana = match crate::core::jp::Kana::parse(&input.legal_name_kana, 200) {
        Ok(k) => Some(k.as_str().to_string()),
        Err(m) => {
            errors.push(("legal_name_kana".into(), m));
            None
        }
    };
    let mut text = |field: &str, v: &str, max: usize| match validate::text(v, max) {
        Ok(t) => Some(t),
        Err(m) => {
            errors.push((field.into(), m));
            None
        }
    };
    let legal_name = text("legal_name", &input.legal_name, 200);
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
    crate::aggregators::repo::by_slug(db, slug)
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
    if auth_repo::user_where(
        txn,
        Condition::all().add(app_user::Column::Email.eq(v.email.clone())),
    )
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
    // Registering with a registration number tells the aggregator of it (the notice
    // 媒介者交付特例 needs).
    let notified_on = v.invoice_number.as_ref().map(|_| core::today_jst());
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
        invoice_notified_on: Set(notified_on),
    };
    let producer = repo::insert_producer(txn, producer).await?;
    let user = app_user::Model {
        id: core::new_id(),
        aggregator_id: Some(agg.id),
        email: v.email,
        display_name: producer.representative.clone(),
        role: Role::Producer.as_str().into(),
        producer_id: Some(producer.id),
        prefecture_code: None,
        locale: v.locale,
        password_hash,
        active: true,
        created_at: now,
        updated_at: now,
    };
    let user = auth_repo::insert_user(txn, user)
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
    let operators = auth_repo::users_where(
        txn,
        Condition::all()
            .add(app_user::Column::AggregatorId.eq(agg.id))
            .add(app_user::Column::Role.eq(Role::Operator.as_str()))
            .add(app_user::Column::Active.eq(true)),
        1_000,
    )
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
                review_link: format!("{base}/operator/review"),
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
#[tracing::instrument(skip_all)]
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
#[tracing::instrument(skip_all)]
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
    let agg = crate::aggregators::repo::by_id(&txn, agg_id)
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
#[tracing::instrument(skip_all)]
pub async fn confirm_email(app: &AppState, token: &str) -> ApiResult<()> {
    let now = core::now();
    let invalid = || ApiError::field("token", "this link is invalid, already used or expired");
    let txn = db::begin_write(&app.db).await?;
    let link = auth_repo::link_by_hash(&txn, hash_token(token), &[link_purpose::CONFIRM_EMAIL])
        .await?
        .ok_or_else(invalid)?;
    if !auth_repo::use_link(&txn, link.id, now).await? {
        return Err(invalid());
    }
    let user = auth_repo::user(&txn, link.user_id)
        .await?
        .ok_or_else(invalid)?;
    if let Some(pid) = user.producer_id {
        repo::confirm_email(&txn, pid, now).await?;
    }
    txn.commit().await?;
    Ok(())
}
