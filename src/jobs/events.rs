//! Domain events (DESIGN.md §3 "How areas hear of each other").
//!
//! An area records what happened — an order placed, paid, shipped, returned or cancelled,
//! stock changed — with [`record`] **in the transaction that made it happen**: one
//! `domain_event` row, plus one `events.deliver` job for each subscriber that wants the event.
//! Subscribers are registered by the composition root ([`Registry::subscribe`]), so the area
//! that records never imports the areas that react. A delivery runs in a job (retries, dead
//! letters and replay as for every job) and each subscriber keeps its own record of what it has
//! handled (`event_receipt`): a delivery that finds its receipt does nothing, and a subscriber
//! whose effect is in the database claims the receipt in that same transaction
//! ([`Delivery::claim`]), so a replayed event has one effect.
//!
//! Why receipts rather than one sequence cursor per subscriber: on PostgreSQL transactions
//! commit in another order than their sequence numbers were taken, so a cursor that has passed
//! number N can miss an event numbered below N that commits later. Events carry no personal
//! data (ids, amounts, codes).
use super::{
    JobError,
    queue::{self, NewJob},
    registry::{Job, Registry, Subscriber},
};
use crate::{core, error::current_request_id, state::AppState};
use chrono::{DateTime, Utc};
use entity::{domain_event, job};
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use std::{any::Any, future::Future, sync::Arc};
use uuid::Uuid;

/// A kind of domain event. Its JSON is stored; it must hold no personal data.
pub trait Event: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// The stored kind (`area.what_happened`).
    const KIND: &'static str;
    /// The tenant it belongs to.
    fn aggregator_id(&self) -> Option<Uuid>;
    /// The row it is about (an order, a SKU), for lookups.
    fn subject_id(&self) -> Option<Uuid>;
}

/// A recorded event as a subscriber receives it.
#[derive(Debug, Clone)]
pub struct Delivery<E> {
    pub event_id: Uuid,
    pub subscriber: &'static str,
    pub recorded_at: DateTime<Utc>,
    pub event: E,
}

impl<E> Delivery<E> {
    /// Claims this delivery in the subscriber's own transaction: `true` the first time,
    /// `false` when it was handled before (then the subscriber changes nothing).
    ///
    /// # Errors
    /// Database failure.
    pub async fn claim(&self, txn: &impl ConnectionTrait) -> Result<bool, DbErr> {
        claim_receipt(txn, self.event_id, self.subscriber).await
    }
}

/// An event row as the runner loads it (before it is read as its type).
pub struct Stored {
    pub id: Uuid,
    pub subscriber: &'static str,
    pub payload: String,
    pub recorded_at: DateTime<Utc>,
}

/// Payload of the delivery job.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Deliver {
    pub event_id: Uuid,
    pub kind: String,
    pub subscriber: String,
}

impl Job for Deliver {
    const KIND: &'static str = "events.deliver";
}

type Filter<E> = fn(&E) -> bool;

impl Registry {
    /// Subscribes `name` (unique per event kind, e.g. `orders.sold_notice`) to every event of
    /// kind `E::KIND`.
    pub fn subscribe<E, F, Fut>(&mut self, name: &'static str, handler: F)
    where
        E: Event,
        F: Fn(AppState, Delivery<E>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), JobError>> + Send + 'static,
    {
        self.add_subscriber::<E, F, Fut>(name, None, handler);
    }

    /// Like [`Registry::subscribe`] for the events `wants` accepts (checked when an event is
    /// recorded: no job is written for the others).
    pub fn subscribe_when<E, F, Fut>(&mut self, name: &'static str, wants: Filter<E>, handler: F)
    where
        E: Event,
        F: Fn(AppState, Delivery<E>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), JobError>> + Send + 'static,
    {
        self.add_subscriber::<E, F, Fut>(name, Some(wants), handler);
    }

    fn add_subscriber<E, F, Fut>(&mut self, name: &'static str, wants: Option<Filter<E>>, f: F)
    where
        E: Event,
        F: Fn(AppState, Delivery<E>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), JobError>> + Send + 'static,
    {
        let f = Arc::new(f);
        let subs = self.subscribers.entry(E::KIND).or_default();
        assert!(
            subs.iter().all(|s| s.name != name),
            "subscriber {name} of {} registered twice",
            E::KIND
        );
        subs.push(Subscriber {
            name,
            wants: wants.map(|w| Box::new(w) as Box<dyn Any + Send + Sync>),
            handle: Arc::new(move |app, stored: Stored| {
                let f = f.clone();
                Box::pin(async move {
                    let event: E = serde_json::from_str(&stored.payload).map_err(|e| {
                        JobError::Reject(format!(
                            "event {} does not read as {}: {e}",
                            stored.id,
                            E::KIND
                        ))
                    })?;
                    f(
                        app,
                        Delivery {
                            event_id: stored.id,
                            subscriber: stored.subscriber,
                            recorded_at: stored.recorded_at,
                            event,
                        },
                    )
                    .await
                })
            }),
        });
    }
}

/// The rows recording `event`: the event and one delivery job per subscriber that wants it
/// (for callers that write many rows in one statement).
///
/// # Errors
/// 500 when the registry is missing; an event that does not serialise.
pub fn rows<E: Event>(
    app: &AppState,
    event: &E,
) -> Result<(domain_event::ActiveModel, Vec<job::ActiveModel>), crate::error::ApiError> {
    let registry = app.part::<Registry>()?;
    let id = core::new_id();
    let payload =
        serde_json::to_string(event).map_err(|e| crate::error::ApiError::Internal(e.into()))?;
    let row = domain_event::ActiveModel {
        id: Set(id),
        aggregator_id: Set(event.aggregator_id()),
        kind: Set(E::KIND.to_string()),
        subject_id: Set(event.subject_id()),
        payload: Set(payload),
        request_id: Set(current_request_id()),
        created_at: Set(core::now()),
    };
    let jobs = registry
        .subscribers
        .get(E::KIND)
        .into_iter()
        .flatten()
        .filter(|s| {
            s.wants
                .as_ref()
                .and_then(|w| w.downcast_ref::<Filter<E>>())
                .is_none_or(|w| w(event))
        })
        .map(|s| {
            queue::new_row(
                NewJob::of(&Deliver {
                    event_id: id,
                    kind: E::KIND.to_string(),
                    subscriber: s.name.to_string(),
                })
                .dedupe(format!("event:{id}:{}", s.name))
                .tenant(event.aggregator_id()),
            )
        })
        .collect();
    Ok((row, jobs))
}

/// Records `event` with `conn` (pass the business transaction): the event row and its
/// deliveries exist only if the change commits. Returns the event's id.
///
/// # Errors
/// Database failure; 500 when the registry is missing.
pub async fn record<E: Event>(
    conn: &impl ConnectionTrait,
    app: &AppState,
    event: &E,
) -> Result<Uuid, crate::error::ApiError> {
    let (row, jobs) = rows(app, event)?;
    let id = match &row.id {
        sea_orm::ActiveValue::Set(id) | sea_orm::ActiveValue::Unchanged(id) => *id,
        sea_orm::ActiveValue::NotSet => Uuid::nil(),
    };
    super::repo::insert_event(conn, row, jobs).await?;
    Ok(id)
}

/// Inserts the receipt of (`event_id`, `subscriber`); `false` when it exists.
async fn claim_receipt(
    conn: &impl ConnectionTrait,
    event_id: Uuid,
    subscriber: &str,
) -> Result<bool, DbErr> {
    super::repo::insert_receipt(conn, event_id, subscriber, core::now()).await
}

/// Runs one delivery (the handler of [`Deliver`]): nothing when the subscriber's receipt
/// exists; else the subscriber, then its receipt (if it did not claim it itself).
///
/// # Errors
/// The subscriber's error class; a delivery naming an unknown subscriber or a missing event
/// is dead-lettered.
#[tracing::instrument(skip_all, fields(event.id = %d.event_id, event.kind = %d.kind, subscriber = %d.subscriber))]
pub async fn deliver(app: AppState, d: Deliver, _job: job::Model) -> Result<(), JobError> {
    let retry = |e: DbErr| JobError::Retry(e.to_string());
    let registry = app
        .part::<Registry>()
        .map_err(|e| JobError::Retry(e.to_string()))?;
    let Some(sub) = registry
        .subscribers
        .get(d.kind.as_str())
        .and_then(|subs| subs.iter().find(|s| s.name == d.subscriber))
    else {
        return Err(JobError::Reject(format!(
            "no subscriber {} of {}",
            d.subscriber, d.kind
        )));
    };
    let handled = super::repo::has_receipt(&app.db, d.event_id, &d.subscriber)
        .await
        .map_err(retry)?;
    if handled {
        return Ok(());
    }
    let Some(ev) = super::repo::event(&app.db, d.event_id)
        .await
        .map_err(retry)?
    else {
        return Err(JobError::Reject(format!("event {} is gone", d.event_id)));
    };
    let handle = sub.handle.clone();
    let name = sub.name;
    handle(
        app.clone(),
        Stored {
            id: ev.id,
            subscriber: name,
            payload: ev.payload,
            recorded_at: ev.created_at,
        },
    )
    .await?;
    claim_receipt(&app.db, d.event_id, name)
        .await
        .map_err(retry)?;
    Ok(())
}
