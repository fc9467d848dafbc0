//! Money II (issue 16), refunds to buyers: the bank account a buyer gave for a refund of a bank
//! transfer or cash-on-delivery order (entered by staff, sealed like other buyer data, marked
//! when the bank returned a transfer to it), and on a payout the order it refunds and that
//! account, sealed.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RefundAccount {
    Table,
    OrderId,
    AggregatorId,
    Sealed,
    BankCode,
    EnteredBy,
    EnteredAt,
    FailedAt,
}

#[derive(DeriveIden)]
enum Payout {
    Table,
    OrderId,
    SealedAccount,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(RefundAccount::Table)
                .col(uuid(RefundAccount::OrderId).primary_key())
                .col(uuid(RefundAccount::AggregatorId))
                .col(text(RefundAccount::Sealed))
                .col(string_len(RefundAccount::BankCode, 4))
                .col(uuid(RefundAccount::EnteredBy))
                .col(timestamp_with_time_zone(RefundAccount::EnteredAt))
                .col(timestamp_with_time_zone_null(RefundAccount::FailedAt))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Payout::Table)
                .add_column(uuid_null(Payout::OrderId))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Payout::Table)
                .add_column(text_null(Payout::SealedAccount))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for c in [Payout::SealedAccount, Payout::OrderId] {
            m.alter_table(
                Table::alter()
                    .table(Payout::Table)
                    .drop_column(c)
                    .to_owned(),
            )
            .await?;
        }
        m.drop_table(Table::drop().table(RefundAccount::Table).to_owned())
            .await
    }
}
