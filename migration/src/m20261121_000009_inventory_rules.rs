//! Per-aggregator inventory rules overriding the config defaults: the minimum remaining shelf
//! life per category, and transit days per destination prefecture.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum InventoryRule {
    Table,
    Id,
    AggregatorId,
    Kind,
    Key,
    Days,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(InventoryRule::Table)
                .col(uuid(InventoryRule::Id).primary_key())
                .col(uuid(InventoryRule::AggregatorId))
                .col(string_len(InventoryRule::Kind, 32))
                .col(string_len(InventoryRule::Key, 32))
                .col(integer(InventoryRule::Days))
                .col(timestamp_with_time_zone(InventoryRule::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_inventory_rule")
                .table(InventoryRule::Table)
                .col(InventoryRule::AggregatorId)
                .col(InventoryRule::Kind)
                .col(InventoryRule::Key)
                .unique()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(InventoryRule::Table).to_owned())
            .await
    }
}
