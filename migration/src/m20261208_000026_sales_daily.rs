//! Officer analytics (issue 17): the daily sales rollup. One row per JST day × aggregator ×
//! producer (with its municipality and island as they were) × category × channel × domestic or
//! overseas × destination prefecture, with additive facts; maintained incrementally from the
//! order core's events and rebuildable from the orders.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SalesDaily {
    Table,
    Id,
    AggregatorId,
    Day,
    ProducerId,
    MunicipalityCode,
    IslandCode,
    CategoryCode,
    Channel,
    Market,
    DestinationPrefecture,
    SalesIncl,
    SalesExcl,
    Units,
    Lines,
    ReturnsIncl,
    ReturnsUnits,
    Refunds,
    Orders,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(SalesDaily::Table)
                .col(uuid(SalesDaily::Id).primary_key())
                .col(uuid(SalesDaily::AggregatorId))
                .col(date(SalesDaily::Day))
                .col(uuid(SalesDaily::ProducerId))
                .col(string_len(SalesDaily::MunicipalityCode, 8))
                .col(string_len(SalesDaily::IslandCode, 16))
                .col(string_len(SalesDaily::CategoryCode, 64))
                .col(string_len(SalesDaily::Channel, 40))
                .col(string_len(SalesDaily::Market, 16))
                .col(string_len(SalesDaily::DestinationPrefecture, 4))
                .col(big_integer(SalesDaily::SalesIncl))
                .col(big_integer(SalesDaily::SalesExcl))
                .col(big_integer(SalesDaily::Units))
                .col(big_integer(SalesDaily::Lines))
                .col(big_integer(SalesDaily::ReturnsIncl))
                .col(big_integer(SalesDaily::ReturnsUnits))
                .col(big_integer(SalesDaily::Refunds))
                .col(big_integer(SalesDaily::Orders))
                .col(timestamp_with_time_zone(SalesDaily::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_sales_daily_cell")
                .table(SalesDaily::Table)
                .col(SalesDaily::AggregatorId)
                .col(SalesDaily::Day)
                .col(SalesDaily::ProducerId)
                .col(SalesDaily::MunicipalityCode)
                .col(SalesDaily::IslandCode)
                .col(SalesDaily::CategoryCode)
                .col(SalesDaily::Channel)
                .col(SalesDaily::Market)
                .col(SalesDaily::DestinationPrefecture)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_sales_daily_municipality_day")
                .table(SalesDaily::Table)
                .col(SalesDaily::MunicipalityCode)
                .col(SalesDaily::Day)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(SalesDaily::Table).to_owned())
            .await
    }
}
