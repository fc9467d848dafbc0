//! A recurring (daily) job and when it is next due.
use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "job_schedule")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub name: String,
    pub kind: String,
    pub next_run_at: DateTimeUtc,
    pub last_run_at: Option<DateTimeUtc>,
}

impl ActiveModelBehavior for ActiveModel {}
