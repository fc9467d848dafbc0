//! Qualified-invoice rules (issue 15): the day a producer notified the aggregator of its
//! invoice registration (媒介者交付特例 needs it before the sale), and on each order line the
//! rule its sale falls under and the producer's registration number, frozen when the order is
//! placed (empty for lines placed before: read from the producer's current state).
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Producer {
    Table,
    InvoiceNotifiedOn,
}

#[derive(DeriveIden)]
enum OrderLine {
    Table,
    InvoiceRule,
    SellerInvoiceNumber,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Producer::Table)
                .add_column(date_null(Producer::InvoiceNotifiedOn))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(OrderLine::Table)
                .add_column(string_len_null(OrderLine::InvoiceRule, 16))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(OrderLine::Table)
                .add_column(string_len_null(OrderLine::SellerInvoiceNumber, 14))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for c in [OrderLine::SellerInvoiceNumber, OrderLine::InvoiceRule] {
            m.alter_table(
                Table::alter()
                    .table(OrderLine::Table)
                    .drop_column(c)
                    .to_owned(),
            )
            .await?;
        }
        m.alter_table(
            Table::alter()
                .table(Producer::Table)
                .drop_column(Producer::InvoiceNotifiedOn)
                .to_owned(),
        )
        .await
    }
}
