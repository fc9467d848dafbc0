//! One version of a fee rule of an aggregator: what it charges (`fee_type`, `basis`, rate or
//! fixed yen, floor and cap), to which sales (producer, category, channel, unit-price band),
//! in which order (`position`, first match wins per fee type) and when (effective dates). An
//! edit inserts the next version and ends this one; rows are never rewritten otherwise.
use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "fee_rule")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub aggregator_id: Uuid,
    pub fee_type: String,
    pub position: i32,
    pub producer_id: Option<Uuid>,
    pub category_code: Option<String>,
    /// `any`, `shop` or `channel` (with `channel_id`, one account; without, any channel).
    pub channel_scope: String,
    pub channel_id: Option<Uuid>,
    /// Payment fees: the buyer's payment method it applies to (any when empty).
    pub payment_method: Option<String>,
    pub price_min: Option<i64>,
    pub price_max: Option<i64>,
    /// `percent`, `per_item`, `per_order` or `per_parcel`.
    pub basis: String,
    pub rate_bp: Option<i32>,
    pub fixed_yen: Option<i64>,
    pub floor_yen: Option<i64>,
    pub cap_yen: Option<i64>,
    pub fund_id: Option<Uuid>,
    /// Fund shares: `aggregator` (out of its commission) or `producer` (on the statement).
    pub bearer: Option<String>,
    pub effective_from: Date,
    pub effective_to: Option<Date>,
    pub version: i32,
    pub supersedes_id: Option<Uuid>,
    pub created_by: Uuid,
    pub created_at: DateTimeUtc,
    pub retired_at: Option<DateTimeUtc>,
}

impl ActiveModelBehavior for ActiveModel {}
