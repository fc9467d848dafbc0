//! Fulfilment and after-sales: a return request groups its per-line rows (`batch_id`, with the
//! request's hash for Idempotency-Key replays); producers choose how they hear of sales
//! (`sold_notice`: per order, a daily digest, or not at all) and each order line remembers when
//! its producer was told.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum OrderReturn {
    Table,
    BatchId,
    RequestHash,
}

#[derive(DeriveIden)]
enum Producer {
    Table,
    SoldNotice,
}

#[derive(DeriveIden)]
enum OrderLine {
    Table,
    ProducerNotifiedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite takes one column per ALTER TABLE.
        m.alter_table(
            Table::alter()
                .table(OrderReturn::Table)
                .add_column(uuid_null(OrderReturn::BatchId))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(OrderReturn::Table)
                .add_column(string_len_null(OrderReturn::RequestHash, 64))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_order_return_batch")
                .table(OrderReturn::Table)
                .col(OrderReturn::BatchId)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Producer::Table)
                .add_column(string_len(Producer::SoldNotice, 16).default("per_order"))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(OrderLine::Table)
                .add_column(timestamp_with_time_zone_null(OrderLine::ProducerNotifiedAt))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("ix_order_return_batch")
                .table(OrderReturn::Table)
                .to_owned(),
        )
        .await?;
        for (t, c) in [
            (
                OrderReturn::Table.into_iden(),
                OrderReturn::BatchId.into_iden(),
            ),
            (
                OrderReturn::Table.into_iden(),
                OrderReturn::RequestHash.into_iden(),
            ),
            (
                Producer::Table.into_iden(),
                Producer::SoldNotice.into_iden(),
            ),
            (
                OrderLine::Table.into_iden(),
                OrderLine::ProducerNotifiedAt.into_iden(),
            ),
        ] {
            m.alter_table(Table::alter().table(t).drop_column(c).to_owned())
                .await?;
        }
        Ok(())
    }
}
