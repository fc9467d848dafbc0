//! What the channels API reads and writes. Credentials go in; they never come out (a view
//! names the fields that are set and the key that sealed them, never a value).
use super::domain::{ChannelSettings, Kind};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{channel, listing};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;
use uuid::Uuid;

/// A new channel account.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelInput {
    /// `rakuten` or `shopify`.
    #[schema(example = "rakuten")]
    pub kind: String,
    #[schema(example = "楽天市場店")]
    pub name: String,
    /// The API's base URL (Rakuten: `https://api.rms.rakuten.co.jp/es/2.0`; Shopify:
    /// `https://{shop}.myshopify.com`). A sandbox or a local fake can stand behind it.
    pub base_url: Option<String>,
    /// ISO 4217 (JPY when absent).
    pub currency: Option<String>,
    /// Shopify only: the Admin API version (newest stable when absent).
    pub api_version: Option<String>,
    /// Rakuten: `service_secret`, `license_key`. Shopify: `access_token`, `webhook_secret`.
    #[schema(value_type = Object)]
    pub credentials: BTreeMap<String, String>,
    /// When the credentials expire (Rakuten's licenseKey: about every 90 days).
    pub credentials_expire_on: Option<NaiveDate>,
    /// Settings over the kind's defaults (a JSON merge patch of [`ChannelSettings`]).
    #[schema(value_type = Object)]
    pub settings: Option<serde_json::Value>,
}

/// Changes to a channel account (absent fields stay).
#[derive(Debug, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct ChannelPatch {
    pub name: Option<String>,
    pub base_url: Option<String>,
    pub api_version: Option<String>,
    /// Replaces the credentials whole (an `auth_failed` channel becomes active again).
    #[schema(value_type = Object)]
    pub credentials: Option<BTreeMap<String, String>>,
    /// `null` clears the expiry date.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<NaiveDate>)]
    pub credentials_expire_on: Option<Option<NaiveDate>>,
    /// A JSON merge patch of the settings.
    #[schema(value_type = Object)]
    pub settings: Option<serde_json::Value>,
}

fn double_option<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// Which credential fields are stored, and under which key (never their values).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CredentialsView {
    pub fields: Vec<String>,
    pub key_id: String,
    pub expire_on: Option<NaiveDate>,
}

/// A full resync's progress.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ResyncProgress {
    pub total: i32,
    pub done: i32,
    pub errors: i32,
    /// Listings of the resync still to write.
    pub left: u64,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// How the channel's sync stands.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SyncStatus {
    /// Listings whose stock waits to be written.
    pub pending_marks: u64,
    pub last_sync_at: Option<DateTime<Utc>>,
    /// The channel's own words for the last failure.
    pub last_error: Option<String>,
    /// A sync run holds the channel now.
    pub running: bool,
    /// Calls made in the current minute, against the limit.
    pub calls_last_minute: i32,
    pub calls_per_minute_limit: u32,
    /// Listings per state.
    pub listings: BTreeMap<String, i64>,
    pub resync: ResyncProgress,
    pub credentials_expire_on: Option<NaiveDate>,
    pub import_cursor: Option<String>,
}

/// A channel account.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ChannelView {
    pub id: Uuid,
    pub kind: Kind,
    pub name: String,
    pub base_url: String,
    pub api_version: Option<String>,
    pub currency: String,
    /// `active`, `paused` or `auth_failed`.
    pub state: String,
    pub credentials: CredentialsView,
    pub settings: ChannelSettings,
    pub sync: Option<SyncStatus>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ChannelView {
    /// The view of `c` (with its sync status when given).
    pub fn of(c: channel::Model, sync: Option<SyncStatus>) -> Self {
        let kind = Kind::parse(&c.kind).unwrap_or(Kind::Rakuten);
        let settings = super::service::settings_of(&c);
        Self {
            id: c.id,
            kind,
            name: c.name,
            base_url: c.base_url,
            api_version: c.api_version,
            currency: c.currency,
            state: c.state,
            credentials: CredentialsView {
                fields: kind
                    .credential_fields()
                    .iter()
                    .map(|f| (*f).to_string())
                    .collect(),
                key_id: c.credentials_key_id,
                expire_on: c.credentials_expire_on,
            },
            settings,
            sync,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

/// Channel accounts.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ChannelList {
    pub items: Vec<ChannelView>,
}

/// One SKU on one channel.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ListingView {
    pub id: Uuid,
    pub channel_id: Uuid,
    pub channel_name: String,
    pub sku_id: Uuid,
    pub sku_code: String,
    pub product_id: Uuid,
    /// `pending`, `live`, `rejected`, `paused` or `delisted`.
    pub state: String,
    /// What the channel still has to be told: `push` or `delist`.
    pub action: Option<String>,
    pub external_id: Option<String>,
    pub external_variant_id: Option<String>,
    /// The channel's own words for its last refusal.
    pub last_error: Option<String>,
    pub buffer_override: Option<i32>,
    /// The quantity last written to the channel.
    pub pushed_qty: Option<i64>,
    /// When the quantity was last written successfully.
    pub synced_at: Option<DateTime<Utc>>,
    /// Its stock waits to be written.
    pub pending: bool,
}

impl ListingView {
    /// The view of `l` on channel `channel_name`, SKU `sku_code`.
    pub fn of(l: listing::Model, channel_name: String, sku_code: String) -> Self {
        Self {
            id: l.id,
            channel_id: l.channel_id,
            channel_name,
            sku_id: l.sku_id,
            sku_code,
            product_id: l.product_id,
            pending: l.dirty_seq > l.synced_seq,
            state: l.state,
            action: l.action,
            external_id: l.external_id,
            external_variant_id: l.external_variant_id,
            last_error: l.last_error,
            buffer_override: l.buffer_override,
            pushed_qty: l.pushed_qty,
            synced_at: l.synced_at,
        }
    }
}

/// Listings.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ListingList {
    pub items: Vec<ListingView>,
}

/// A listing's own stock buffer (`null`: the channel's).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BufferInput {
    pub buffer: Option<i64>,
}

/// Filters of the listing list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListingQuery {
    /// Required for staff; producers see their own on every channel.
    pub channel_id: Option<Uuid>,
    /// `pending`, `live`, `rejected`, `paused` or `delisted`.
    pub state: Option<String>,
}

/// One order of a channel account as the operator follows it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ChannelOrderView {
    /// The order's number at the channel.
    pub external_id: String,
    /// The order here (absent until imported, or for one cancelled before it was seen open).
    pub order_id: Option<Uuid>,
    /// `open`, `shipped` or `cancelled`, as the channel last said.
    pub remote_status: String,
    /// Still to be read from the channel.
    pub import_due: bool,
    /// Our cancellation still to be told to the channel.
    pub cancel_due: bool,
    /// `out_of_stock` or `other`: the reason the channel is told.
    pub cancel_reason: Option<String>,
    /// Tracking numbers still to be told to the channel.
    pub ship_due: bool,
    /// `channel` or `us`: who cancelled first.
    pub cancelled_by: Option<String>,
    /// The channel's words for the last refusal.
    pub last_error: Option<String>,
    pub imported_at: Option<DateTime<Utc>>,
    pub cancel_pushed_at: Option<DateTime<Utc>>,
    pub shipped_pushed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<entity::channel_order::Model> for ChannelOrderView {
    fn from(r: entity::channel_order::Model) -> Self {
        Self {
            external_id: r.external_id,
            order_id: r.order_id,
            remote_status: r.remote_status,
            import_due: r.import_due,
            cancel_due: r.cancel_due,
            cancel_reason: r.cancel_reason,
            ship_due: r.ship_due,
            cancelled_by: r.cancelled_by,
            last_error: r.last_error,
            imported_at: r.imported_at,
            cancel_pushed_at: r.cancel_pushed_at,
            shipped_pushed_at: r.shipped_pushed_at,
            created_at: r.created_at,
        }
    }
}

/// The orders of a channel account, newest first.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ChannelOrderList {
    pub items: Vec<ChannelOrderView>,
}

/// A webhook's receipt.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct WebhookAck {
    /// The delivery was received before (it changed nothing).
    pub duplicate: bool,
}
