//! The job kinds that belong to the outbox itself: sending one email, the diagnostic probe,
//! the daily purge, and domain-event deliveries.
use super::{
    JobError,
    registry::{Every, Job, Registry},
};
use crate::{
    core::{self, locale::Locale},
    mail::{OutgoingEmail, messages::EmailMessage},
    state::AppState,
};
use entity::job;
use serde::{Deserialize, Serialize};

/// Registers the outbox's own kinds and the daily purge.
pub fn register(reg: &mut Registry) {
    reg.job(send_mail);
    reg.job(probe);
    reg.job(|app, _: Purge, _| async move { purge(&app).await });
    reg.job(super::events::deliver);
    reg.schedule::<Purge>("daily-purge", Every::Day);
}

/// Send one email (`mail.send`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MailPayload {
    pub to: String,
    pub locale: Locale,
    pub message: EmailMessage,
    /// Files kept in the blob store to send with it (read when it is sent, so the payload
    /// stays small).
    #[serde(default)]
    pub attachments: Vec<StoredAttachment>,
}

/// A file in the blob store that an email carries.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct StoredAttachment {
    pub blob_key: String,
    pub filename: String,
    pub content_type: String,
}

impl Job for MailPayload {
    const KIND: &'static str = "mail.send";
}

/// The daily purge of expired sessions, attempts, links and old finished jobs (`system.purge`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Purge {}

impl Job for Purge {
    const KIND: &'static str = "system.purge";
}

/// Diagnostic probe (`system.probe`): sleeps, optionally fails, for checking runners.
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

impl Job for ProbePayload {
    const KIND: &'static str = "system.probe";
}

/// Enqueues one email to `to` for event `event_id` (one job per event and template, so its
/// Message-ID is stable across retries).
///
/// # Errors
/// Database failure.
pub async fn enqueue_mail(
    db: &impl sea_orm::ConnectionTrait,
    to: &str,
    locale: Locale,
    aggregator_id: Option<uuid::Uuid>,
    event_id: &str,
    message: EmailMessage,
) -> Result<(), sea_orm::DbErr> {
    enqueue_mail_with(db, to, locale, aggregator_id, event_id, message, Vec::new()).await
}

/// [`enqueue_mail`] with files from the blob store attached.
///
/// # Errors
/// Database failure.
pub async fn enqueue_mail_with(
    db: &impl sea_orm::ConnectionTrait,
    to: &str,
    locale: Locale,
    aggregator_id: Option<uuid::Uuid>,
    event_id: &str,
    message: EmailMessage,
    attachments: Vec<StoredAttachment>,
) -> Result<(), sea_orm::DbErr> {
    let key = format!("mail:{event_id}:{}", message.template());
    let payload = MailPayload {
        to: to.to_string(),
        locale,
        message,
        attachments,
    };
    super::enqueue(
        db,
        super::NewJob::of(&payload)
            .dedupe(key)
            .tenant(aggregator_id),
    )
    .await?;
    Ok(())
}

async fn send_mail(state: AppState, p: MailPayload, job: job::Model) -> Result<(), JobError> {
    let rendered = p
        .message
        .render(p.locale)
        .map_err(|e| JobError::Reject(format!("rendering failed: {e}")))?;
    let key = job.dedupe_key.clone().unwrap_or_else(|| job.id.to_string());
    let mut files = Vec::new();
    for a in p.attachments {
        let bytes = state
            .storage
            .get(&a.blob_key)
            .await
            .map_err(|e| JobError::Retry(format!("reading an attachment: {e}")))?
            .ok_or_else(|| JobError::Reject(format!("the attachment {} is gone", a.filename)))?;
        files.push(crate::mail::FileAttachment {
            filename: a.filename,
            content_type: a.content_type,
            bytes,
        });
    }
    deliver_with(&state, &key, p.to, rendered, files).await
}

/// Sends a rendered email with a Message-ID stable across retries (derived from `key`, e.g.
/// the job's dedupe key or the event delivery's name), mapping mail failures to retry /
/// reject / pause.
///
/// # Errors
/// The mail failure's class.
pub async fn deliver(
    state: &AppState,
    key: &str,
    to: String,
    rendered: crate::mail::messages::Rendered,
) -> Result<(), JobError> {
    deliver_with(state, key, to, rendered, Vec::new()).await
}

async fn deliver_with(
    state: &AppState,
    key: &str,
    to: String,
    rendered: crate::mail::messages::Rendered,
    attachments: Vec<crate::mail::FileAttachment>,
) -> Result<(), JobError> {
    state
        .mailer
        .send(OutgoingEmail {
            to,
            subject: rendered.subject,
            text: rendered.text,
            html: rendered.html,
            message_id: state.mailer.message_id_for(key),
            attachments,
        })
        .await
        .map_err(|e| match e {
            crate::mail::MailError::Transient(m) => JobError::Retry(m),
            crate::mail::MailError::Permanent(m) => JobError::Reject(m),
            crate::mail::MailError::Auth(m) => JobError::Pause(m),
        })
}

async fn probe(state: AppState, p: ProbePayload, job: job::Model) -> Result<(), JobError> {
    if !state.settings.jobs.enable_probe {
        return Err(JobError::Reject("the probe job kind is disabled".into()));
    }
    if p.sleep_ms > 0 && p.sleep_attempts.is_none_or(|n| job.attempts <= n) {
        tokio::time::sleep(std::time::Duration::from_millis(p.sleep_ms)).await;
    }
    let failing = match p.fail_times {
        None => true,
        Some(n) => {
            let history = super::repo::attempt_count(&state.db, job.id)
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
    let r = super::repo::purge_expired(db, now, super::queue::status::SUCCEEDED).await;
    r.map_err(|e| JobError::Retry(e.to_string()))
}
