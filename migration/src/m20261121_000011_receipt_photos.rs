//! Photos of receiving events (damaged boxes, labels, temperatures): stored like product photos,
//! metadata stripped, under generated keys.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ReceiptPhoto {
    Table,
    Id,
    AggregatorId,
    ShipmentId,
    ReceiptId,
    StorageKey,
    ContentType,
    Width,
    Height,
    Bytes,
    CreatedBy,
    CreatedAt,
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
                .table(ReceiptPhoto::Table)
                .col(uuid(ReceiptPhoto::Id).primary_key())
                .col(uuid(ReceiptPhoto::AggregatorId))
                .col(uuid(ReceiptPhoto::ShipmentId))
                .col(uuid(ReceiptPhoto::ReceiptId))
                .col(string_len(ReceiptPhoto::StorageKey, 200))
                .col(string_len(ReceiptPhoto::ContentType, 32))
                .col(integer(ReceiptPhoto::Width))
                .col(integer(ReceiptPhoto::Height))
                .col(big_integer(ReceiptPhoto::Bytes))
                .col(uuid(ReceiptPhoto::CreatedBy))
                .col(timestamp_with_time_zone(ReceiptPhoto::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_receipt_photo_receipt")
                        .from(ReceiptPhoto::Table, ReceiptPhoto::ReceiptId)
                        .to(Receipt::Table, Receipt::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_receipt_photo_shipment")
                .table(ReceiptPhoto::Table)
                .col(ReceiptPhoto::ShipmentId)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(ReceiptPhoto::Table).to_owned())
            .await
    }
}
