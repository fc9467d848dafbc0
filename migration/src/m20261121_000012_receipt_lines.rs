//! What each receiving event counted per shipment line (received, damaged, refused, where it
//! went and who bears damaged units), so every event can be shown and audited on its own.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ReceiptLine {
    Table,
    Id,
    AggregatorId,
    ReceiptId,
    LineId,
    Received,
    Damaged,
    Refused,
    LocationId,
    LotId,
    DamageBearer,
}

#[derive(DeriveIden)]
enum Receipt {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(ReceiptLine::Table)
                .col(uuid(ReceiptLine::Id).primary_key())
                .col(uuid(ReceiptLine::AggregatorId))
                .col(uuid(ReceiptLine::ReceiptId))
                .col(uuid(ReceiptLine::LineId))
                .col(big_integer(ReceiptLine::Received))
                .col(big_integer(ReceiptLine::Damaged))
                .col(big_integer(ReceiptLine::Refused))
                .col(uuid_null(ReceiptLine::LocationId))
                .col(uuid_null(ReceiptLine::LotId))
                .col(string_len_null(ReceiptLine::DamageBearer, 16))
                .check(Expr::col(ReceiptLine::Received).gte(0))
                .check(Expr::col(ReceiptLine::Damaged).gte(0))
                .check(Expr::col(ReceiptLine::Refused).gte(0))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_receipt_line_receipt")
                        .from(ReceiptLine::Table, ReceiptLine::ReceiptId)
                        .to(Receipt::Table, Receipt::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_receipt_line_receipt")
                .table(ReceiptLine::Table)
                .col(ReceiptLine::ReceiptId)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(ReceiptLine::Table).to_owned())
            .await
    }
}
