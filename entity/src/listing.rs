//! One SKU offered on one channel: its ids there, its state, what was last pushed, and whether
//! its stock needs writing (`dirty_seq > synced_seq`).
use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "listing")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub aggregator_id: Uuid,
    pub channel_id: Uuid,
    pub sku_id: Uuid,
    pub product_id: Uuid,
    /// The item at the channel (Rakuten manageNumber, Shopify product GID).
    pub external_id: Option<String>,
    /// The variant at the channel (Rakuten variantId, Shopify inventory item GID).
    pub external_variant_id: Option<String>,
    pub state: String,
    /// What the channel still has to be told: `push` (new or changed content) or `delist`.
    pub action: Option<String>,
    /// SHA-256 of the content last pushed (a push happens only when it changes).
    pub content_hash: Option<String>,
    /// The channel's own words for the last refusal.
    pub last_error: Option<String>,
    pub buffer_override: Option<i32>,
    pub dirty_seq: i64,
    pub synced_seq: i64,
    /// The absolute quantity last written to the channel.
    pub pushed_qty: Option<i64>,
    pub synced_at: Option<DateTimeUtc>,
    /// Part of a full resync still to write.
    pub resync: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
