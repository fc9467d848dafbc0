//! The job kinds and their dispatch.
use super::JobError;
use crate::{
    core,
    mail::{
        OutgoingEmail,
        messages::{EmailMessage, Locale},
    },
    startup::AppState,
};
use chrono::Duration;
use entity::job;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde::{Deserialize, Serialize};

/// Kind: send one email.
pub const MAIL_SEND: &str = "mail.send";
/// Kind: diagnostic probe (sleeps, optionally fails) for checking runners.
pub const SYSTEM_PROBE: &str = "system.probe";
/// Kind: release reservations whose hold expired.
pub const INVENTORY_RELEASE_EXPIRED: &str = "inventory.release_expired";
/// Kind: the daily lot-date and low-stock alerts.
pub const INVENTORY_ALERTS: &str = "inventory.alerts";
/// Kind: handle a password-reset request (look up the account, write the link, enqueue mail).
pub const AUTH_PASSWORD_RESET: &str = "auth.password_reset";
/// Kind: daily purge of expired sessions, attempts, links and old finished jobs.
pub const SYSTEM_PURGE: &str = "system.purge";
/// Kind: cancel bank-transfer orders left unpaid past their deadline (stock released).
pub const SHOP_EXPIRE_UNPAID: &str = "shop.expire_unpaid";
/// Kind: erase buyer personal data of orders past the retention period.
pub const SHOP_PURGE_PERSONAL: &str = "shop.purge_personal";
/// Kind: email the buyer about an order event (the payload names only the order and event;
/// the address is read from the encrypted order when sending).
pub const SHOP_ORDER_EMAIL: &str = "shop.order_email";
/// Kind: refund a card payment through the provider (same Idempotency-Key on every attempt).
pub const SHOP_CARD_REFUND: &str = "shop.card_refund";
/// Kind: email each producer of a new order who wants a "sold" email per order.
pub const SHOP_SOLD_NOTICE: &str = "shop.sold_notice";
/// Kind: the daily "sold" digest for producers who chose it.
pub const SHOP_SOLD_DIGEST: &str = "shop.sold_digest";

/// Payload of [`MAIL_SEND`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MailPayload {
    pub to: String,
    pub locale: Locale,
    pub message: EmailMessage,
}

/// Payload of [`SYSTEM_PROBE`].
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ProbePayload {
    /// Milliseconds to sleep (simulated work).
    #[serde(default)]
    pub sleep_ms: u64,
    /// Sleep only on the first N attempts (every attempt when absent).
    #[serde(default)]
    pub sleep_attempts: Option<i32>,
    /// Fail with this class: `retry`, `reject` or `pause`.
    #[serde(default)]
    pub fail: Option<String>,
    /// Fail only while this job has had at most N attempts in its history (replays included),
    /// then succeed; fail every time when absent.
    #[serde(default)]
    pub fail_times: Option<i32>,
}

/// Runs `job` according to its kind.
pub async fn dispatch(state: &AppState, job: &job::Model) -> Result<(), JobError> {
    match job.kind.as_str() {
        MAIL_SEND => send_mail(state, job).await,
        SYSTEM_PROBE => probe(state, job).await,
        SYSTEM_PURGE => purge(state).await,
        INVENTORY_ALERTS => crate::inventory::alerts::run(state)
            .await
            .map(|_| ())
            .map_err(|e| JobError::Retry(e.describe())),
        INVENTORY_RELEASE_EXPIRED => crate::inventory::reservations::release_expired(state)
            .await
            .map(|_| ())
            .map_err(|e| JobError::Retry(e.describe())),
        SHOP_EXPIRE_UNPAID => crate::shop::orders::expire_unpaid(state)
            .await
            .map(|_| ())
            .map_err(|e| JobError::Retry(e.describe())),
        SHOP_PURGE_PERSONAL => crate::shop::orders::purge_personal(state)
            .await
            .map(|_| ())
            .map_err(|e| JobError::Retry(e.describe())),
        SHOP_ORDER_EMAIL => crate::shop::notify::send(state, job).await,
        SHOP_CARD_REFUND => crate::payments::refund_job(state, job).await,
        SHOP_SOLD_NOTICE => crate::shop::sales::per_order_job(state, job).await,
        SHOP_SOLD_DIGEST => crate::shop::sales::digest_job(state, job).await,
        AUTH_PASSWORD_RESET => {
            let p: serde_json::Value = serde_json::from_str(&job.payload)
                .map_err(|e| JobError::Reject(format!("bad payload: {e}")))?;
            let email = p["email"]
                .as_str()
                .ok_or_else(|| JobError::Reject("payload has no email".into()))?;
            crate::auth::service::process_password_reset(state, email)
                .await
                .map_err(|e| JobError::Retry(e.to_string()))
        }
        other => Err(JobError::Reject(format!("unknown job kind {other}"))),
    }
}

async fn send_mail(state: &AppState, job: &job::Model) -> Result<(), JobError> {
    let p: MailPayload = serde_json::from_str(&job.payload)
        .map_err(|e| JobError::Reject(format!("bad payload: {e}")))?;
    let rendered = p
        .message
        .render(p.locale)
        .map_err(|e| JobError::Reject(format!("rendering failed: {e}")))?;
    deliver(state, job, p.to, rendered).await
}

/// Sends a rendered email for `job` with a Message-ID stable across its retries (from the
/// job's dedupe key), mapping mail failures to retry / reject / pause.
pub async fn deliver(
    state: &AppState,
    job: &job::Model,
    to: String,
    rendered: crate::mail::messages::Rendered,
) -> Result<(), JobError> {
    let key = job.dedupe_key.clone().unwrap_or_else(|| job.id.to_string());
    state
        .mailer
        .send(OutgoingEmail {
            to,
            subject: rendered.subject,
            text: rendered.text,
            html: rendered.html,
            message_id: state.mailer.message_id_for(&key),
        })
        .await
        .map_err(|e| match e {
            crate::mail::MailError::Transient(m) => JobError::Retry(m),
            crate::mail::MailError::Permanent(m) => JobError::Reject(m),
            crate::mail::MailError::Auth(m) => JobError::Pause(m),
        })
}

async fn probe(state: &AppState, job: &job::Model) -> Result<(), JobError> {
    if !state.settings.jobs.enable_probe {
        return Err(JobError::Reject("the probe job kind is disabled".into()));
    }
    let p: ProbePayload = serde_json::from_str(&job.payload)
        .map_err(|e| JobError::Reject(format!("bad payload: {e}")))?;
    if p.sleep_ms > 0 && p.sleep_attempts.is_none_or(|n| job.attempts <= n) {
        tokio::time::sleep(std::time::Duration::from_millis(p.sleep_ms)).await;
    }
    let failing = match p.fail_times {
        None => true,
        Some(n) => {
            let history = entity::job_attempt::Entity::find()
                .filter(entity::job_attempt::Column::JobId.eq(job.id))
                .count(&state.db)
                .await
                .map_err(|e| JobError::Retry(e.to_string()))?;
            history <= n as u64
        }
    };
    match (p.fail.as_deref(), failing) {
        (Some("retry"), true) => Err(JobError::Retry("probe: transient failure".into())),
        (Some("reject"), true) => Err(JobError::Reject("probe: rejected".into())),
        (Some("pause"), true) => Err(JobError::Pause("probe: credentials refused".into())),
        _ => Ok(()),
    }
}

async fn purge(state: &AppState) -> Result<(), JobError> {
    let now = core::now();
    let db = &state.db;
    let r = async {
        entity::session::Entity::delete_many()
            .filter(entity::session::Column::ExpiresAt.lt(now))
            .exec(db)
            .await?;
        entity::login_attempt::Entity::delete_many()
            .filter(entity::login_attempt::Column::CreatedAt.lt(now - Duration::days(1)))
            .exec(db)
            .await?;
        entity::one_time_link::Entity::delete_many()
            .filter(entity::one_time_link::Column::ExpiresAt.lt(now - Duration::days(7)))
            .exec(db)
            .await?;
        entity::job::Entity::delete_many()
            .filter(entity::job::Column::Status.eq(super::queue::status::SUCCEEDED))
            .filter(entity::job::Column::FinishedAt.lt(now - Duration::days(30)))
            .exec(db)
            .await?;
        Ok::<(), sea_orm::DbErr>(())
    }
    .await;
    r.map_err(|e| JobError::Retry(e.to_string()))
}
