//! A sales channel account of an aggregator (a Rakuten shop, a Shopify store, …): where its API
//! lives, its state, its sealed credentials, its settings document, and the sync lease and
//! rate-limit clock shared by every instance.
use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "channel")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub aggregator_id: Uuid,
    pub kind: String,
    pub name: String,
    pub base_url: String,
    pub api_version: Option<String>,
    pub currency: String,
    pub state: String,
    /// Sealed credentials (never returned, logged or put in a job payload).
    pub credentials: String,
    /// Which configured key sealed `credentials`.
    pub credentials_key_id: String,
    pub credentials_expire_on: Option<Date>,
    /// The day the last expiry alert went out (one alert per threshold day).
    pub expiry_alerted_on: Option<Date>,
    /// The settings document (JSON).
    pub settings: String,
    pub sync_locked_by: Option<String>,
    pub sync_lease_until: Option<DateTimeUtc>,
    /// The earliest instant the next call to the channel may go out.
    pub next_call_at: Option<DateTimeUtc>,
    pub calls_window_start: Option<DateTimeUtc>,
    pub calls_in_window: i32,
    pub last_sync_at: Option<DateTimeUtc>,
    pub last_error: Option<String>,
    pub resync_total: i32,
    pub resync_done: i32,
    pub resync_errors: i32,
    pub resync_started_at: Option<DateTimeUtc>,
    pub resync_finished_at: Option<DateTimeUtc>,
    pub import_cursor: Option<String>,
    /// When the last look for orders began (successful or not).
    pub orders_polled_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
