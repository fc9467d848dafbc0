//! One order of a channel account: its number there (unique per account), the order it became
//! here, what the channel last said of it and what the channel is still owed (a re-read, a
//! cancellation, the tracking numbers). No personal data: that lives sealed on the order.
use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "channel_order")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub aggregator_id: Uuid,
    pub channel_id: Uuid,
    /// The order's number at the channel (Rakuten orderNumber, Shopify order GID).
    pub external_id: String,
    /// The order here (None until imported, or for an order cancelled before we saw it open).
    pub order_id: Option<Uuid>,
    /// `open`, `shipped` or `cancelled`, as the channel last said.
    pub remote_status: String,
    /// The channel's references the push-backs need (Rakuten basketIds), as JSON.
    pub remote_ref: String,
    /// The order must be read (again) from the channel.
    pub import_due: bool,
    /// The channel must be told of our cancellation (`cancel_reason`).
    pub cancel_due: bool,
    pub cancel_reason: Option<String>,
    /// The channel must be told the parcels' tracking numbers.
    pub ship_due: bool,
    /// `channel` or `us`: who cancelled first.
    pub cancelled_by: Option<String>,
    /// The channel's words for the last refusal.
    pub last_error: Option<String>,
    pub imported_at: Option<DateTimeUtc>,
    pub cancel_pushed_at: Option<DateTimeUtc>,
    pub shipped_pushed_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// The channel's fee for the order as its API last reported it (yen, tax included).
    pub reported_fee: Option<i64>,
}

impl ActiveModelBehavior for ActiveModel {}
