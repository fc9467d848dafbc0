//! A payout run for a closed period: prepared by one finance user, approved by another,
//! exported once as a Zengin file (bytes and SHA-256 kept: a re-download is identical).
use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payout_run")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub aggregator_id: Uuid,
    pub number: i32,
    pub period_id: Uuid,
    /// `prepared`, `approved`, `exported`, `completed` or `cancelled`.
    pub status: String,
    /// 振込指定日 (a bank business day).
    pub transfer_date: Date,
    pub payout_count: i32,
    pub total: i64,
    pub prepared_by: Uuid,
    pub prepared_at: DateTimeUtc,
    pub approved_by: Option<Uuid>,
    pub approved_at: Option<DateTimeUtc>,
    pub cancelled_by: Option<Uuid>,
    pub cancelled_at: Option<DateTimeUtc>,
    pub exported_by: Option<Uuid>,
    pub exported_at: Option<DateTimeUtc>,
    pub file_name: Option<String>,
    pub file_sha256: Option<String>,
    pub file_bytes: Option<Vec<u8>>,
    pub created_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
