//! Channel accounts: creating, changing, pausing and resuming them, their sealed credentials
//! (and re-sealing under a new key), full resyncs and what their pages and API show; plus the
//! helpers the sync uses (settings, the adapter of an account, recording its errors).
use super::{
    adapters::{CallError, Client},
    domain::{self, ChannelSettings, Kind, ListingState, State},
    dto::{ChannelInput, ChannelPatch},
    repo,
    vault::Credentials,
};
use crate::{
    audit::{self, AuditRecord},
    config::ChannelConfig,
    core, db,
    error::{ApiError, ApiResult},
    http::actor::{Actor, Role},
    jobs::{NewJob, builtin::enqueue_mail},
    mail::messages::EmailMessage,
    state::AppState,
};
use chrono::NaiveDate;
use entity::{app_user, channel, listing};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr, ExprTrait, sea_query::Expr,
};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use uuid::Uuid;

/// The channels area's runtime part: one HTTP client (its pool shared by every adapter) and
/// this process's runner name for leases.
pub struct Runtime {
    pub http: reqwest::Client,
    pub runner: String,
}

/// Attempts of one sync run before it is dead-lettered.
const SYNC_ATTEMPTS: i32 = 100;

/// The stable codes of this area's refusals.
pub mod code {
    pub const NAME_TAKEN: &str = "channel_name_taken";
    pub const NOT_ACTIVE: &str = "channel_not_active";
}

fn tenant(actor: &Actor) -> ApiResult<Uuid> {
    actor.require(&[Role::Operator, Role::Admin])?;
    actor.aggregator_id.ok_or_else(ApiError::forbidden)
}

/// The settings document of `c` (the kind's defaults when it cannot be read).
pub fn settings_of(c: &channel::Model) -> ChannelSettings {
    serde_json::from_str(&c.settings).unwrap_or_else(|_| {
        ChannelSettings::defaults(Kind::parse(&c.kind).unwrap_or(Kind::Rakuten))
    })
}

/// The adapter of `c` with its credentials opened.
///
/// # Errors
/// The kind is unknown, or the key that sealed the credentials is not configured.
pub fn client_for(
    app: &AppState,
    rt: &Runtime,
    c: &channel::Model,
    settings: &ChannelSettings,
) -> anyhow::Result<Client> {
    let kind =
        Kind::parse(&c.kind).ok_or_else(|| anyhow::anyhow!("unknown channel kind {}", c.kind))?;
    let creds = Credentials::open(
        &app.settings.channels,
        &c.credentials_key_id,
        &c.credentials,
    )?;
    Ok(Client::new(
        rt.http.clone(),
        kind,
        &c.base_url,
        c.api_version.as_deref(),
        settings.location_id.as_deref(),
        creds,
    ))
}

/// Enqueues a sync run of channel `id` unless one is already queued (a queued run drains
/// every mark, and one waiting for its retry keeps its backoff). Two enqueuers racing may both
/// add one: the second run finds the lease taken or nothing to do.
///
/// # Errors
/// Database failure.
pub async fn enqueue_sync(db: &impl ConnectionTrait, id: Uuid) -> Result<(), DbErr> {
    let payload = super::jobs::Sync { channel_id: id };
    let text = serde_json::to_string(&payload).unwrap_or_default();
    let queued = crate::jobs::repo::queued_with_payload(
        db,
        <super::jobs::Sync as crate::jobs::Job>::KIND,
        crate::jobs::queue::status::QUEUED,
        text,
    )
    .await?;
    if queued > 0 {
        return Ok(());
    }
    let mut job = NewJob::of(&payload);
    // Each attempt keeps what it wrote, so a flaky channel is retried for long (with backoff)
    // rather than dead-lettered after the usual few attempts.
    job.max_attempts = Some(SYNC_ATTEMPTS);
    crate::jobs::enqueue(db, job).await?;
    Ok(())
}

/// Records a successful round of channel `id`.
///
/// # Errors
/// Database failure.
pub async fn note_sync(db: &impl ConnectionTrait, id: Uuid) -> Result<(), DbErr> {
    repo::update_channels(
        db,
        vec![(channel::Column::LastSyncAt, Expr::value(Some(core::now())))],
        Condition::all().add(channel::Column::Id.eq(id)),
    )
    .await?;
    Ok(())
}

/// Records a failed call of `c`; refused credentials put it in `auth_failed` and email the
/// operators (once per failure).
///
/// # Errors
/// Database failure.
pub async fn note_error(app: &AppState, c: &channel::Model, e: &CallError) -> Result<(), DbErr> {
    let txn = db::begin_write(&app.db).await?;
    let mut sets = vec![
        (
            channel::Column::LastError,
            Expr::value(Some(e.message().to_string())),
        ),
        (channel::Column::UpdatedAt, Expr::value(core::now())),
    ];
    let mut cond = Condition::all().add(channel::Column::Id.eq(c.id));
    let auth = matches!(e, CallError::Auth(_));
    if auth {
        sets.push((
            channel::Column::State,
            Expr::value(State::AuthFailed.as_str()),
        ));
        cond = cond.add(channel::Column::State.eq(State::Active.as_str()));
    }
    let changed = repo::update_channels(&txn, sets, cond).await? == 1;
    if auth && changed {
        audit::record(
            &txn,
            AuditRecord {
                aggregator_id: Some(c.aggregator_id),
                actor_user_id: None,
                action: "channel_auth_failed",
                subject_type: "channel",
                subject_id: Some(c.id.to_string()),
                details: json!({ "error": e.message() }),
            },
        )
        .await?;
        alert_operators(
            app,
            &txn,
            c,
            "auth_failed",
            0,
            e.message(),
            &format!("auth:{}:{}", c.id, core::new_id()),
        )
        .await?;
    }
    txn.commit().await
}

/// Emails every active operator of `c`'s aggregator about `c`.
pub(super) async fn alert_operators(
    app: &AppState,
    db: &impl ConnectionTrait,
    c: &channel::Model,
    alert: &str,
    days: i64,
    detail: &str,
    event: &str,
) -> Result<usize, DbErr> {
    let operators = crate::auth::repo::users_where(
        db,
        Condition::all()
            .add(app_user::Column::AggregatorId.eq(c.aggregator_id))
            .add(app_user::Column::Role.eq(Role::Operator.as_str()))
            .add(app_user::Column::Active.eq(true)),
        1_000,
    )
    .await?;
    let base = app.settings.server.base_url.trim_end_matches('/');
    for op in &operators {
        enqueue_mail(
            db,
            &op.email,
            core::locale::Locale::parse(&op.locale),
            Some(c.aggregator_id),
            &format!("{event}:{}", op.id),
            EmailMessage::ChannelAlert {
                display_name: op.display_name.clone(),
                channel_name: c.name.clone(),
                alert: alert.to_string(),
                days,
                detail: detail.to_string(),
                link: format!("{base}/operator/channels/{}", c.id),
            },
        )
        .await?;
    }
    Ok(operators.len())
}

/// Reads `patch` over `base` as channel settings; problems are named `settings.…`.
fn merged_settings(
    kind: Kind,
    base: &ChannelSettings,
    patch: Option<&Value>,
) -> ApiResult<ChannelSettings> {
    let mut doc = serde_json::to_value(base).map_err(|e| ApiError::Internal(e.into()))?;
    if let Some(p) = patch {
        if !p.is_object() {
            return Err(ApiError::field("settings", "must be an object"));
        }
        merge(&mut doc, p);
    }
    let bytes = serde_json::to_vec(&doc).map_err(|e| ApiError::Internal(e.into()))?;
    let s: ChannelSettings = crate::http::json::parse(&bytes).map_err(|e| match e {
        ApiError::Validation { fields, codes } => ApiError::Validation {
            fields: fields
                .into_iter()
                .map(|(f, m)| (format!("settings.{f}"), m))
                .collect(),
            codes,
        },
        other => other,
    })?;
    let problems = s.problems(kind);
    if problems.is_empty() {
        Ok(s)
    } else {
        Err(ApiError::invalid(problems))
    }
}

/// JSON merge patch (RFC 7386): objects merge, `null` removes, anything else replaces.
fn merge(doc: &mut Value, patch: &Value) {
    match (doc, patch) {
        (Value::Object(d), Value::Object(p)) => {
            for (k, v) in p {
                if v.is_null() {
                    d.remove(k);
                } else {
                    merge(d.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
        }
        (d, p) => *d = p.clone(),
    }
}

fn check_common(
    name: Option<&str>,
    base_url: Option<&str>,
    currency: Option<&str>,
    api_version: Option<&str>,
    problems: &mut Vec<(String, String)>,
) {
    if let Some(n) = name
        && (n.trim().is_empty() || n.chars().count() > 100)
    {
        problems.push(("name".into(), "must be 1-100 characters".into()));
    }
    if let Some(u) = base_url
        && (u.len() > 500 || !domain::base_url_ok(u))
    {
        problems.push((
            "base_url".into(),
            "must be an http(s) URL of at most 500 characters, without credentials or query".into(),
        ));
    }
    if let Some(c) = currency
        && !(c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase()))
    {
        problems.push((
            "currency".into(),
            "must be an ISO 4217 code such as JPY".into(),
        ));
    }
    if let Some(v) = api_version {
        let ok = v.len() == 7
            && v.as_bytes()[4] == b'-'
            && v[..4].bytes().all(|b| b.is_ascii_digit())
            && matches!(&v[5..], "01" | "04" | "07" | "10");
        if !ok {
            problems.push((
                "api_version".into(),
                "must be a Shopify release such as 2026-10 (January, April, July or October)"
                    .into(),
            ));
        }
    }
}

/// Creates a channel account (operators and tenant admins).
///
/// # Errors
/// 403; 422 naming every bad field; 409 `channel_name_taken`.
#[tracing::instrument(skip_all)]
pub async fn create(
    app: &AppState,
    actor: &Actor,
    input: ChannelInput,
) -> ApiResult<channel::Model> {
    let agg = tenant(actor)?;
    let mut problems = Vec::new();
    let kind = Kind::parse(&input.kind);
    if kind.is_none() {
        problems.push(("kind".into(), "must be one of rakuten, shopify".into()));
    }
    let base_url = input
        .base_url
        .clone()
        .or_else(|| kind.map(|k| k.default_base_url().to_string()))
        .unwrap_or_default();
    let currency = input.currency.clone().unwrap_or_else(|| "JPY".into());
    let api_version = input
        .api_version
        .clone()
        .or_else(|| kind.and_then(Kind::default_api_version).map(str::to_string));
    check_common(
        Some(&input.name),
        Some(&base_url),
        Some(&currency),
        if kind == Some(Kind::Shopify) {
            api_version.as_deref()
        } else {
            None
        },
        &mut problems,
    );
    let creds = kind.map(|k| Credentials::read(k, &input.credentials));
    if let Some(Err(p)) = &creds {
        problems.extend(p.iter().cloned());
    }
    let settings =
        kind.map(|k| merged_settings(k, &ChannelSettings::defaults(k), input.settings.as_ref()));
    if let Some(Err(ApiError::Validation { fields, .. })) = &settings {
        problems.extend(fields.iter().cloned());
    }
    if !problems.is_empty() {
        return Err(ApiError::invalid(problems));
    }
    let (Some(kind), Some(Ok(creds)), Some(Ok(settings))) = (kind, creds, settings) else {
        return Err(ApiError::invalid(vec![(
            "body".into(),
            "is invalid".into(),
        )]));
    };
    let (sealed, key_id) = creds.seal(&app.settings.channels)?;
    let now = core::now();
    let txn = db::begin_write(&app.db).await?;
    let model = channel::ActiveModel {
        id: Set(core::new_id()),
        aggregator_id: Set(agg),
        kind: Set(kind.as_str().into()),
        name: Set(input.name.trim().to_string()),
        base_url: Set(base_url.trim_end_matches('/').to_string()),
        api_version: Set(if kind == Kind::Shopify {
            api_version
        } else {
            None
        }),
        currency: Set(currency),
        state: Set(State::Active.as_str().into()),
        credentials: Set(sealed),
        credentials_key_id: Set(key_id),
        credentials_expire_on: Set(input.credentials_expire_on),
        expiry_alerted_on: Set(None),
        settings: Set(serde_json::to_string(&settings).map_err(|e| ApiError::Internal(e.into()))?),
        sync_locked_by: Set(None),
        sync_lease_until: Set(None),
        next_call_at: Set(None),
        calls_window_start: Set(None),
        calls_in_window: Set(0),
        last_sync_at: Set(None),
        last_error: Set(None),
        resync_total: Set(0),
        resync_done: Set(0),
        resync_errors: Set(0),
        resync_started_at: Set(None),
        resync_finished_at: Set(None),
        import_cursor: Set(None),
        orders_polled_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    };
    let model = repo::insert_channel(&txn, model)
        .await
        .map_err(name_taken)?;
    audit::record(
        &txn,
        AuditRecord {
            aggregator_id: Some(agg),
            actor_user_id: Some(actor.user_id),
            action: "channel_created",
            subject_type: "channel",
            subject_id: Some(model.id.to_string()),
            details: json!({ "kind": model.kind, "name": model.name, "base_url": model.base_url }),
        },
    )
    .await?;
    crate::jobs::enqueue(
        &txn,
        NewJob::of(&super::jobs::Refresh {
            channel_id: model.id,
        })
        .dedupe(format!(
            "channels.refresh:{}:{}",
            model.id,
            now.timestamp_micros()
        )),
    )
    .await?;
    txn.commit().await?;
    Ok(model)
}

fn name_taken(e: DbErr) -> ApiError {
    match ApiError::from(e) {
        ApiError::Conflict { .. } => ApiError::field_coded(
            "name",
            code::NAME_TAKEN,
            "another channel of this aggregator has this name",
        ),
        other => other,
    }
}

/// The channel `id` visible to `actor`.
///
/// # Errors
/// 403; 404.
pub async fn get(app: &AppState, actor: &Actor, id: Uuid) -> ApiResult<channel::Model> {
    let agg = tenant(actor)?;
    repo::channel_of(&app.db, agg, id)
        .await?
        .ok_or(ApiError::NotFound)
}

/// Every channel of the actor's aggregator.
///
/// # Errors
/// 403.
pub async fn list(app: &AppState, actor: &Actor) -> ApiResult<Vec<channel::Model>> {
    let agg = tenant(actor)?;
    Ok(repo::channels(&app.db, Some(agg)).await?)
}

/// Changes a channel account: name, base URL, API version, settings (a merge patch),
/// credentials (replaced whole; an `auth_failed` channel becomes active again) and their
/// expiry. A change of what is offered, prices or categories refreshes the listings.
///
/// # Errors
/// 403; 404; 422 naming every bad field; 409 `channel_name_taken`.
#[tracing::instrument(skip_all, fields(channel.id = %id))]
pub async fn update(
    app: &AppState,
    actor: &Actor,
    id: Uuid,
    patch: ChannelPatch,
) -> ApiResult<channel::Model> {
    let c = get(app, actor, id).await?;
    let kind = Kind::parse(&c.kind).ok_or(ApiError::NotFound)?;
    let mut problems = Vec::new();
    check_common(
        patch.name.as_deref(),
        patch.base_url.as_deref(),
        None,
        patch
            .api_version
            .as_deref()
            .filter(|_| kind == Kind::Shopify),
        &mut problems,
    );
    if patch.api_version.is_some() && kind != Kind::Shopify {
        problems.push((
            "api_version".into(),
            "only Shopify channels have an API version".into(),
        ));
    }
    let creds = patch
        .credentials
        .as_ref()
        .map(|c| Credentials::read(kind, c));
    if let Some(Err(p)) = &creds {
        problems.extend(p.iter().cloned());
    }
    let current = settings_of(&c);
    let settings = match merged_settings(kind, &current, patch.settings.as_ref()) {
        Ok(s) => Some(s),
        Err(ApiError::Validation { fields, .. }) => {
            problems.extend(fields);
            None
        }
        Err(e) => return Err(e),
    };
    if !problems.is_empty() {
        return Err(ApiError::invalid(problems));
    }
    let settings = settings.unwrap_or(current.clone());
    let txn = db::begin_write(&app.db).await?;
    let mut m: channel::ActiveModel = c.clone().into();
    let mut changed: Vec<&str> = Vec::new();
    if let Some(n) = &patch.name {
        m.name = Set(n.trim().to_string());
        changed.push("name");
    }
    if let Some(u) = &patch.base_url {
        m.base_url = Set(u.trim_end_matches('/').to_string());
        changed.push("base_url");
    }
    if let Some(v) = &patch.api_version {
        m.api_version = Set(Some(v.clone()));
        changed.push("api_version");
    }
    if let Some(Ok(creds)) = creds {
        let (sealed, key_id) = creds.seal(&app.settings.channels)?;
        m.credentials = Set(sealed);
        m.credentials_key_id = Set(key_id);
        m.expiry_alerted_on = Set(None);
        if State::parse(&c.state) == State::AuthFailed {
            m.state = Set(State::Active.as_str().into());
            m.last_error = Set(None);
        }
        changed.push("credentials");
    }
    if let Some(exp) = patch.credentials_expire_on {
        m.credentials_expire_on = Set(exp);
        m.expiry_alerted_on = Set(None);
        changed.push("credentials_expire_on");
    }
    let refresh = settings.offer != current.offer
        || settings.price != current.price
        || settings.category_map != current.category_map;
    if settings != current {
        m.settings =
            Set(serde_json::to_string(&settings).map_err(|e| ApiError::Internal(e.into()))?);
        changed.push("settings");
    }
    m.updated_at = Set(core::now());
    let saved = repo::update_channel(&txn, m).await.map_err(name_taken)?;
    audit::record(
        &txn,
        AuditRecord {
            aggregator_id: Some(c.aggregator_id),
            actor_user_id: Some(actor.user_id),
            action: "channel_updated",
            subject_type: "channel",
            subject_id: Some(c.id.to_string()),
            details: json!({ "changed": changed }),
        },
    )
    .await?;
    if refresh {
        enqueue_refresh(&txn, c.id).await?;
    }
    if State::parse(&saved.state) == State::Active {
        enqueue_sync(&txn, c.id).await?;
    }
    txn.commit().await?;
    Ok(saved)
}

async fn enqueue_refresh(db: &impl ConnectionTrait, id: Uuid) -> Result<(), DbErr> {
    crate::jobs::enqueue(
        db,
        NewJob::of(&super::jobs::Refresh { channel_id: id }).dedupe(format!(
            "channels.refresh:{id}:{}",
            core::now().timestamp_micros()
        )),
    )
    .await?;
    Ok(())
}

/// Pauses (nothing is sent; marks are kept) or resumes a channel. Resuming an `auth_failed`
/// channel needs new credentials.
///
/// # Errors
/// 403; 404; 409 `channel_not_active` when resuming a channel whose credentials failed.
pub async fn set_paused(
    app: &AppState,
    actor: &Actor,
    id: Uuid,
    paused: bool,
) -> ApiResult<channel::Model> {
    let c = get(app, actor, id).await?;
    let state = State::parse(&c.state);
    if !paused && state == State::AuthFailed {
        return Err(ApiError::conflict(
            code::NOT_ACTIVE,
            "the channel refused its credentials: save new credentials to resume it",
        ));
    }
    let target = if paused { State::Paused } else { State::Active };
    let txn = db::begin_write(&app.db).await?;
    if state != target {
        repo::update_channels(
            &txn,
            vec![
                (channel::Column::State, Expr::value(target.as_str())),
                (channel::Column::UpdatedAt, Expr::value(core::now())),
            ],
            Condition::all().add(channel::Column::Id.eq(id)),
        )
        .await?;
        audit::record(
            &txn,
            AuditRecord {
                aggregator_id: Some(c.aggregator_id),
                actor_user_id: Some(actor.user_id),
                action: if paused {
                    "channel_paused"
                } else {
                    "channel_resumed"
                },
                subject_type: "channel",
                subject_id: Some(id.to_string()),
                details: json!({}),
            },
        )
        .await?;
        if !paused {
            enqueue_refresh(&txn, id).await?;
            enqueue_sync(&txn, id).await?;
        }
    }
    txn.commit().await?;
    get(app, actor, id).await
}

/// Starts a full resync: every listing at the channel gets its quantity written again (even
/// unchanged ones), with progress on the channel. The listings are refreshed first.
///
/// # Errors
/// 403; 404; 409 `channel_not_active`.
#[tracing::instrument(skip_all, fields(channel.id = %id))]
pub async fn resync(app: &AppState, actor: &Actor, id: Uuid) -> ApiResult<channel::Model> {
    let c = get(app, actor, id).await?;
    if State::parse(&c.state) != State::Active {
        return Err(ApiError::conflict(
            code::NOT_ACTIVE,
            "the channel is not active: resume it first",
        ));
    }
    super::offer::refresh(app, &c).await?;
    let txn = db::begin_write(&app.db).await?;
    let n = repo::mark_all(&txn, id, &["live", "paused"], true).await?;
    repo::update_channels(
        &txn,
        vec![
            (
                channel::Column::ResyncTotal,
                Expr::value(i32::try_from(n).unwrap_or(i32::MAX)),
            ),
            (channel::Column::ResyncDone, Expr::value(0)),
            (channel::Column::ResyncErrors, Expr::value(0)),
            (
                channel::Column::ResyncStartedAt,
                Expr::value(Some(core::now())),
            ),
            (
                channel::Column::ResyncFinishedAt,
                Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None),
            ),
        ],
        Condition::all().add(channel::Column::Id.eq(id)),
    )
    .await?;
    audit::record(
        &txn,
        AuditRecord {
            aggregator_id: Some(c.aggregator_id),
            actor_user_id: Some(actor.user_id),
            action: "channel_resync",
            subject_type: "channel",
            subject_id: Some(id.to_string()),
            details: json!({ "listings": n }),
        },
    )
    .await?;
    enqueue_sync(&txn, id).await?;
    txn.commit().await?;
    get(app, actor, id).await
}

/// Sets (or clears, with `None`) a listing's own stock buffer.
///
/// # Errors
/// 403; 404; 422 `buffer`.
pub async fn set_buffer(
    app: &AppState,
    actor: &Actor,
    id: Uuid,
    sku_id: Uuid,
    buffer: Option<i64>,
) -> ApiResult<listing::Model> {
    let c = get(app, actor, id).await?;
    if buffer.is_some_and(|b| !(0..=100_000).contains(&b)) {
        return Err(ApiError::field("buffer", "must be 0-100000 or null"));
    }
    let l = repo::listing_of(&app.db, c.id, sku_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let txn = db::begin_write(&app.db).await?;
    repo::update_listings(
        &txn,
        vec![
            (
                listing::Column::BufferOverride,
                Expr::value(buffer.map(|b| i32::try_from(b).unwrap_or(i32::MAX))),
            ),
            (
                listing::Column::DirtySeq,
                Expr::col(listing::Column::DirtySeq).add(1),
            ),
            (listing::Column::UpdatedAt, Expr::value(core::now())),
        ],
        Condition::all().add(listing::Column::Id.eq(l.id)),
    )
    .await?;
    enqueue_sync(&txn, c.id).await?;
    txn.commit().await?;
    repo::listing_of(&app.db, c.id, sku_id)
        .await?
        .ok_or(ApiError::NotFound)
}

/// Writes a listing again (after the channel refused it): its stock is marked and, when its
/// content was refused, the content is pushed again.
///
/// # Errors
/// 403; 404.
pub async fn replay_listing(
    app: &AppState,
    actor: &Actor,
    id: Uuid,
    sku_id: Uuid,
) -> ApiResult<listing::Model> {
    let c = get(app, actor, id).await?;
    let l = repo::listing_of(&app.db, c.id, sku_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let txn = db::begin_write(&app.db).await?;
    let mut sets = vec![
        (
            listing::Column::DirtySeq,
            Expr::col(listing::Column::DirtySeq).add(1),
        ),
        (listing::Column::Resync, Expr::value(true)),
        (listing::Column::UpdatedAt, Expr::value(core::now())),
    ];
    if l.state == ListingState::Rejected.as_str() {
        sets.extend([
            (
                listing::Column::State,
                Expr::value(ListingState::Pending.as_str()),
            ),
            (listing::Column::Action, Expr::value(Some("push"))),
        ]);
    }
    repo::update_listings(
        &txn,
        sets,
        Condition::all().add(listing::Column::Id.eq(l.id)),
    )
    .await?;
    enqueue_sync(&txn, c.id).await?;
    txn.commit().await?;
    repo::listing_of(&app.db, c.id, sku_id)
        .await?
        .ok_or(ApiError::NotFound)
}

/// Re-seals every channel's credentials with the current key (`yuimaru channels rekey`):
/// (re-sealed, already current).
///
/// # Errors
/// A stored secret cannot be opened with the key it names (nothing is changed then).
pub async fn rekey(
    db: &impl ConnectionTrait,
    cfg: &ChannelConfig,
) -> anyhow::Result<(usize, usize)> {
    let (current, _) = cfg.current_key()?;
    let all = repo::channels(db, None).await?;
    let mut resealed = Vec::new();
    for c in &all {
        if c.credentials_key_id == current {
            continue;
        }
        let creds = Credentials::open(cfg, &c.credentials_key_id, &c.credentials)
            .map_err(|e| anyhow::anyhow!("channel {} ({}): {e}", c.id, c.name))?;
        resealed.push((c.id, creds.seal(cfg)?));
    }
    for (id, (sealed, key)) in &resealed {
        repo::update_channels(
            db,
            vec![
                (channel::Column::Credentials, Expr::value(sealed.clone())),
                (channel::Column::CredentialsKeyId, Expr::value(key.clone())),
            ],
            Condition::all().add(channel::Column::Id.eq(*id)),
        )
        .await?;
    }
    Ok((resealed.len(), all.len() - resealed.len()))
}

/// Emails operators about credentials that expire within one of the configured thresholds
/// (once per threshold) and on the day. Returns the emails queued.
///
/// # Errors
/// Database failure.
pub async fn expiry_alerts(app: &AppState) -> ApiResult<usize> {
    let today = core::today_jst();
    let mut thresholds = app.settings.channels.expiry_alert_days.clone();
    thresholds.push(0);
    let mut sent = 0;
    for c in repo::channels(&app.db, None).await? {
        let Some(exp) = c.credentials_expire_on else {
            continue;
        };
        let days = (exp - today).num_days();
        // The smallest threshold reached today that was not alerted yet.
        let Some(due) = thresholds.iter().copied().filter(|t| days <= *t).min() else {
            continue;
        };
        let already = c
            .expiry_alerted_on
            .is_some_and(|d: NaiveDate| (exp - d).num_days() <= due);
        if already || days < 0 {
            continue;
        }
        let txn = db::begin_write(&app.db).await?;
        let claimed = repo::update_channels(
            &txn,
            vec![(channel::Column::ExpiryAlertedOn, Expr::value(Some(today)))],
            Condition::all().add(channel::Column::Id.eq(c.id)).add(
                if let Some(d) = c.expiry_alerted_on {
                    channel::Column::ExpiryAlertedOn.eq(d)
                } else {
                    channel::Column::ExpiryAlertedOn.is_null()
                },
            ),
        )
        .await?;
        if claimed == 1 {
            sent += alert_operators(
                app,
                &txn,
                &c,
                "expires",
                days,
                "",
                &format!("expiry:{}:{exp}:{due}", c.id),
            )
            .await?;
        }
        txn.commit().await?;
    }
    Ok(sent)
}

/// The sync's state of `c` as the pages and the API show it.
///
/// # Errors
/// Database failure.
pub async fn status(app: &AppState, c: &channel::Model) -> ApiResult<super::dto::SyncStatus> {
    let (dirty, resync_left) = repo::counts(&app.db, c.id).await?;
    let states = repo::state_counts(&app.db, c.id).await?;
    let settings = settings_of(c);
    let now = core::now();
    let calls_last_minute = match c.calls_window_start {
        Some(w) if now - w < chrono::Duration::minutes(1) => c.calls_in_window,
        _ => 0,
    };
    Ok(super::dto::SyncStatus {
        pending_marks: dirty,
        last_sync_at: c.last_sync_at,
        last_error: c.last_error.clone(),
        running: c.sync_lease_until.is_some_and(|u| u > now),
        calls_last_minute,
        calls_per_minute_limit: 60_000 / Ord::max(settings.call_interval_ms, 1),
        listings: ListingState::ALL
            .iter()
            .map(|s| {
                (
                    s.as_str().to_string(),
                    states
                        .iter()
                        .find(|(n, _)| n == s.as_str())
                        .map_or(0, |(_, n)| *n),
                )
            })
            .collect::<BTreeMap<_, _>>(),
        resync: super::dto::ResyncProgress {
            total: c.resync_total,
            done: c.resync_done,
            errors: c.resync_errors,
            left: resync_left,
            started_at: c.resync_started_at,
            finished_at: c.resync_finished_at,
        },
        credentials_expire_on: c.credentials_expire_on,
        import_cursor: c.import_cursor.clone(),
    })
}

/// Listings visible to `actor`: an operator's of one channel (optionally in one state); a
/// producer's own on every channel.
///
/// # Errors
/// 403; 404; 422 `state`.
pub async fn listings(
    app: &AppState,
    actor: &Actor,
    channel_id: Option<Uuid>,
    state: Option<&str>,
) -> ApiResult<Vec<(listing::Model, String, String)>> {
    let state = match state {
        Some(s) => Some(ListingState::parse(s).ok_or_else(|| {
            ApiError::field(
                "state",
                "must be pending, live, rejected, paused or delisted",
            )
        })?),
        None => None,
    };
    let mut q = Condition::all();
    match actor.role {
        Role::Producer => {
            let producer = actor.producer_id.ok_or_else(ApiError::forbidden)?;
            let skus: Vec<Uuid> = crate::catalog::repo::skus_where(
                &app.db,
                Condition::all().add(entity::sku::Column::ProducerId.eq(producer)),
            )
            .await?
            .into_iter()
            .map(|s| s.id)
            .collect();
            q = q.add(listing::Column::SkuId.is_in(skus));
            if let Some(cid) = channel_id {
                q = q.add(listing::Column::ChannelId.eq(cid));
            }
        }
        _ => {
            let agg = tenant(actor)?;
            let cid = channel_id.ok_or_else(|| ApiError::field("channel_id", "is required"))?;
            repo::channel_of(&app.db, agg, cid)
                .await?
                .ok_or(ApiError::NotFound)?;
            q = q.add(listing::Column::ChannelId.eq(cid));
        }
    }
    if let Some(s) = state {
        q = q.add(listing::Column::State.eq(s.as_str()));
    }
    let rows = repo::listings_where(&app.db, q).await?;
    let channels: BTreeMap<Uuid, (String, String)> = repo::channels_among(
        &app.db,
        rows.iter().map(|l| l.channel_id).collect::<Vec<_>>(),
    )
    .await?
    .into_iter()
    .map(|c| (c.id, (c.name, c.kind)))
    .collect();
    let skus: BTreeMap<Uuid, String> = crate::catalog::repo::skus_among(
        &app.db,
        rows.iter().map(|l| l.sku_id).collect::<Vec<_>>(),
    )
    .await?
    .into_iter()
    .map(|s| (s.id, s.code))
    .collect();
    let mut out: Vec<_> = rows
        .into_iter()
        .map(|l| {
            let ch = channels
                .get(&l.channel_id)
                .map(|(n, _)| n.clone())
                .unwrap_or_default();
            let code = skus.get(&l.sku_id).cloned().unwrap_or_default();
            (l, ch, code)
        })
        .collect();
    out.sort_by(|a, b| (&a.1, &a.2).cmp(&(&b.1, &b.2)));
    Ok(out)
}

/// The newest orders of channel `id` (at most 200).
///
/// # Errors
/// 403; 404.
pub async fn channel_orders(
    app: &AppState,
    actor: &Actor,
    id: Uuid,
) -> ApiResult<Vec<entity::channel_order::Model>> {
    let c = get(app, actor, id).await?;
    Ok(repo::channel_orders(&app.db, c.id, 200).await?)
}

/// The Shopify topics that mark an order to be read.
const ORDER_TOPICS: [&str; 4] = [
    "orders/create",
    "orders/updated",
    "orders/cancelled",
    "orders/paid",
];

/// What a Shopify webhook delivery carries besides its body.
pub struct WebhookHeaders<'a> {
    pub hmac: Option<&'a str>,
    pub topic: Option<&'a str>,
    pub webhook_id: Option<&'a str>,
}

/// A Shopify webhook for channel `id`: the HMAC of the raw body checked (constant time)
/// against the account's webhook secret, a delivery id seen before changing nothing, and the
/// order only marked to be read — the channel's sync run reads it from the Admin API (the
/// webhook's own copy is not trusted for content, and no buyer data goes into a job).
///
/// # Errors
/// 404 no such Shopify channel; 400 `invalid_signature`, `missing_webhook_id`,
/// `malformed_event`.
pub async fn shopify_webhook(
    app: &AppState,
    id: Uuid,
    h: WebhookHeaders<'_>,
    body: &[u8],
) -> ApiResult<super::dto::WebhookAck> {
    let c = repo::channel(&app.db, id)
        .await?
        .filter(|c| Kind::parse(&c.kind) == Some(Kind::Shopify))
        .ok_or(ApiError::NotFound)?;
    let creds = Credentials::open(
        &app.settings.channels,
        &c.credentials_key_id,
        &c.credentials,
    )
    .map_err(|e| ApiError::Internal(anyhow::anyhow!("channel credentials: {e}")))?;
    let secret = creds.get("webhook_secret");
    if secret.is_empty()
        || !super::adapters::shopify::webhook_valid(secret, body, h.hmac.unwrap_or(""))
    {
        return Err(ApiError::bad_request(
            "invalid_signature",
            "X-Shopify-Hmac-Sha256 does not match the body",
        ));
    }
    let webhook_id = h
        .webhook_id
        .map(str::trim)
        .filter(|w| !w.is_empty() && w.len() <= 100)
        .ok_or_else(|| {
            ApiError::bad_request("missing_webhook_id", "X-Shopify-Webhook-Id is required")
        })?;
    let topic = h.topic.unwrap_or("").trim();
    let v: Value = serde_json::from_slice(body)
        .map_err(|_| ApiError::bad_request("malformed_event", "the body is not JSON"))?;
    let order = if ORDER_TOPICS.contains(&topic) {
        let gid = match (v.get("admin_graphql_api_id"), v.get("id")) {
            (Some(Value::String(g)), _) if g.starts_with("gid://shopify/Order/") => g.clone(),
            (_, Some(Value::Number(n))) => format!("gid://shopify/Order/{n}"),
            _ => {
                return Err(ApiError::bad_request(
                    "malformed_event",
                    "the order has no id",
                ));
            }
        };
        Some(gid)
    } else {
        None
    };
    let txn = db::begin_write(&app.db).await?;
    if !repo::first_webhook(
        &txn,
        c.id,
        webhook_id,
        &topic.chars().take(64).collect::<String>(),
    )
    .await?
    {
        txn.commit().await?;
        return Ok(super::dto::WebhookAck { duplicate: true });
    }
    if let Some(gid) = order {
        repo::mark_order_due(&txn, &c, &gid).await?;
        if State::parse(&c.state) == State::Active {
            enqueue_sync(&txn, c.id).await?;
        }
    }
    txn.commit().await?;
    Ok(super::dto::WebhookAck { duplicate: false })
}

/// Minutes before its expiry an access token is refreshed.
const REFRESH_AHEAD_MINUTES: i64 = 5;

/// Refreshes `c`'s expiring access token when it expires within a few minutes (Shopify
/// expiring offline tokens), by the holder of the channel's sync lease only — so one refresh
/// for every worker and instance, and the rotated refresh token is never used twice. The new
/// credentials are sealed and stored only while `runner` still holds the lease. `true` when it
/// refreshed.
///
/// # Errors
/// The refresh's failure (refused: [`CallError::Auth`]); the lease lost or the database
/// failing: transient.
pub async fn refresh_if_due(
    app: &AppState,
    rt: &Runtime,
    c: &channel::Model,
    runner: &str,
) -> Result<bool, CallError> {
    if Kind::parse(&c.kind) != Some(Kind::Shopify) {
        return Ok(false);
    }
    let creds = Credentials::open(
        &app.settings.channels,
        &c.credentials_key_id,
        &c.credentials,
    )
    .map_err(|e| CallError::Auth(format!("credentials cannot be opened: {e}")))?;
    let due = creds
        .expires_at()
        .is_none_or(|at| at - core::now() < chrono::Duration::minutes(REFRESH_AHEAD_MINUTES));
    if !creds.refreshable() || !due {
        return Ok(false);
    }
    let fresh = super::adapters::shopify::refresh(&rt.http, &c.base_url, creds).await?;
    let (sealed, key_id) = fresh
        .seal(&app.settings.channels)
        .map_err(|e| CallError::transient(format!("sealing the new token failed: {e}")))?;
    let stored = repo::update_channels(
        &app.db,
        vec![
            (channel::Column::Credentials, Expr::value(sealed)),
            (channel::Column::CredentialsKeyId, Expr::value(key_id)),
            (channel::Column::UpdatedAt, Expr::value(core::now())),
        ],
        Condition::all()
            .add(channel::Column::Id.eq(c.id))
            .add(channel::Column::SyncLockedBy.eq(runner)),
    )
    .await
    .map_err(|e| CallError::transient(format!("storing the new token failed: {e}")))?;
    if stored == 0 {
        return Err(CallError::transient(
            "the sync lease was lost before the new token was stored",
        ));
    }
    tracing::info!(channel.id = %c.id, "access token refreshed");
    Ok(true)
}
