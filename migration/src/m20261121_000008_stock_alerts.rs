//! Low-stock crossings: a flag per SKU so the producer is told once per crossing.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Sku {
    Table,
    LowStockFlagged,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Sku::Table)
                .add_column(boolean(Sku::LowStockFlagged).default(false))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Sku::Table)
                .drop_column(Sku::LowStockFlagged)
                .to_owned(),
        )
        .await
    }
}
