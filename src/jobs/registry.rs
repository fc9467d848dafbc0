//! The job kinds the runner knows, built by the composition root from each area's `jobs.rs`:
//! kind → handler with a typed serde payload, the recurring schedules, and the subscribers
//! of domain events (see [`super::events`]). This module imports no domain area.
use super::JobError;
use crate::state::AppState;
use entity::job;
use futures_util::future::BoxFuture;
use serde::{Serialize, de::DeserializeOwned};
use std::{collections::BTreeMap, future::Future, sync::Arc};

/// A job payload type and its kind name (`area.what`). The payload is stored as JSON.
pub trait Job: Serialize + DeserializeOwned + Send + 'static {
    /// The stored kind, unique across the application.
    const KIND: &'static str;
}

/// How often a schedule fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Every {
    /// Every five minutes.
    FiveMinutes,
    /// Once a day at `jobs.daily_hour_jst`.
    Day,
}

/// A recurring job: its schedule row's name, how often, and the kind it enqueues (with the
/// payload `{}`).
#[derive(Debug, Clone)]
pub struct Schedule {
    pub name: &'static str,
    pub every: Every,
    pub kind: &'static str,
}

type Handler =
    Arc<dyn Fn(AppState, job::Model) -> BoxFuture<'static, Result<(), JobError>> + Send + Sync>;

type SubscriberFn = Arc<
    dyn Fn(AppState, super::events::Stored) -> BoxFuture<'static, Result<(), JobError>>
        + Send
        + Sync,
>;

/// A registered subscriber of one event kind (called through [`super::events`]).
pub(super) struct Subscriber {
    pub name: &'static str,
    /// `fn(&E) -> bool`: whether an event concerns this subscriber; checked when it is
    /// recorded, so no job is written for events it ignores (`None`: every event).
    pub wants: Option<Box<dyn std::any::Any + Send + Sync>>,
    pub handle: SubscriberFn,
}

type TickFn = Arc<dyn Fn(AppState) -> BoxFuture<'static, anyhow::Result<()>> + Send + Sync>;

/// Work every runner does in its own loop at a short interval without a job row (e.g. the
/// channels area reading the stock ledger): it must be safe to run on many runners at once.
#[derive(Clone)]
pub struct Ticker {
    pub name: &'static str,
    /// The interval in milliseconds, from the settings.
    pub interval_ms: fn(&crate::config::Settings) -> u64,
    pub run: TickFn,
}

/// Every job kind, schedule and event subscriber.
#[derive(Default)]
pub struct Registry {
    kinds: BTreeMap<&'static str, Handler>,
    schedules: Vec<Schedule>,
    tickers: Vec<Ticker>,
    pub(super) subscribers: BTreeMap<&'static str, Vec<Subscriber>>,
}

impl Registry {
    /// Registers the handler of job kind `J::KIND`. A payload that does not parse as `J`
    /// dead-letters the job at once.
    ///
    /// # Panics
    /// When the kind is registered twice (a wiring mistake found at start-up).
    pub fn job<J, F, Fut>(&mut self, handler: F)
    where
        J: Job,
        F: Fn(AppState, J, job::Model) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), JobError>> + Send + 'static,
    {
        let handler = Arc::new(handler);
        let erased: Handler = Arc::new(move |app, job: job::Model| {
            let handler = handler.clone();
            Box::pin(async move {
                let payload: J = serde_json::from_str(&job.payload)
                    .map_err(|e| JobError::Reject(format!("bad payload for {}: {e}", J::KIND)))?;
                handler(app, payload, job).await
            })
        });
        let previous = self.kinds.insert(J::KIND, erased);
        assert!(previous.is_none(), "job kind {} registered twice", J::KIND);
    }

    /// Adds a recurring job of kind `J::KIND` (registered with [`Registry::job`]; its payload
    /// must read from `{}`).
    pub fn schedule<J: Job>(&mut self, name: &'static str, every: Every) {
        self.schedules.push(Schedule {
            name,
            every,
            kind: J::KIND,
        });
    }

    /// Adds a ticker (see [`Ticker`]).
    pub fn ticker<F, Fut>(
        &mut self,
        name: &'static str,
        interval_ms: fn(&crate::config::Settings) -> u64,
        f: F,
    ) where
        F: Fn(AppState) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        let f = Arc::new(f);
        self.tickers.push(Ticker {
            name,
            interval_ms,
            run: Arc::new(move |app| {
                let f = f.clone();
                Box::pin(async move { f(app).await })
            }),
        });
    }

    /// The tickers.
    pub fn tickers(&self) -> &[Ticker] {
        &self.tickers
    }

    /// The schedules.
    pub fn schedules(&self) -> &[Schedule] {
        &self.schedules
    }

    /// Every registered kind, sorted.
    pub fn kinds(&self) -> Vec<&'static str> {
        self.kinds.keys().copied().collect()
    }

    /// `(event kind, subscriber)` pairs, sorted by kind.
    pub fn subscriptions(&self) -> Vec<(&'static str, &'static str)> {
        self.subscribers
            .iter()
            .flat_map(|(k, subs)| subs.iter().map(move |s| (*k, s.name)))
            .collect()
    }

    /// Runs `job` with the handler of its kind.
    pub(super) async fn dispatch(&self, app: &AppState, job: job::Model) -> Result<(), JobError> {
        match self.kinds.get(job.kind.as_str()) {
            Some(h) => h(app.clone(), job).await,
            None => Err(JobError::Reject(format!("unknown job kind {}", job.kind))),
        }
    }
}
