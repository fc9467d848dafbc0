//! Returns after shipment: how many units of each reservation line came back (restocked or
//! disposed), so a line can never be returned twice.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ReservationLine {
    Table,
    ReturnedQty,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(ReservationLine::Table)
                .add_column(big_integer(ReservationLine::ReturnedQty).default(0))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(ReservationLine::Table)
                .drop_column(ReservationLine::ReturnedQty)
                .to_owned(),
        )
        .await
    }
}
