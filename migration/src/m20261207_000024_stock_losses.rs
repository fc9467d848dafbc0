//! Money I (issue 15), losses: each unit count lost from a lot (damage, loss, disposal) with who
//! bore it, as the statement lists it — a loss the aggregator or a carrier bore credits the
//! producer (the credit and its ledger transaction kept here); one the producer bore moves no
//! money but is listed.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum StockLoss {
    Table,
    Id,
    AggregatorId,
    ProducerId,
    PeriodId,
    AdjustmentId,
    LotId,
    SkuCode,
    Title,
    Qty,
    UnitPrice,
    Bearer,
    Credit,
    TransactionId,
    LostOn,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(StockLoss::Table)
                .col(uuid(StockLoss::Id).primary_key())
                .col(uuid(StockLoss::AggregatorId))
                .col(uuid(StockLoss::ProducerId))
                .col(uuid(StockLoss::PeriodId))
                .col(uuid(StockLoss::AdjustmentId))
                .col(uuid(StockLoss::LotId))
                .col(string_len(StockLoss::SkuCode, 64))
                .col(string_len(StockLoss::Title, 200))
                .col(big_integer(StockLoss::Qty))
                .col(big_integer(StockLoss::UnitPrice))
                .col(string_len(StockLoss::Bearer, 16))
                .col(big_integer(StockLoss::Credit))
                .col(uuid_null(StockLoss::TransactionId))
                .col(date(StockLoss::LostOn))
                .col(timestamp_with_time_zone(StockLoss::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_stock_loss_adjustment")
                .table(StockLoss::Table)
                .col(StockLoss::AdjustmentId)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_stock_loss_period_producer")
                .table(StockLoss::Table)
                .col(StockLoss::AggregatorId)
                .col(StockLoss::PeriodId)
                .col(StockLoss::ProducerId)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(StockLoss::Table).to_owned())
            .await
    }
}
