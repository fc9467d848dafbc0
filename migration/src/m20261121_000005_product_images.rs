//! Product photos: metadata stripped, resized, stored in the blob store under generated keys.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ProductImage {
    Table,
    Id,
    AggregatorId,
    ProductId,
    StorageKey,
    ContentType,
    Width,
    Height,
    Bytes,
    Position,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Product {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(ProductImage::Table)
                .col(uuid(ProductImage::Id).primary_key())
                .col(uuid(ProductImage::AggregatorId))
                .col(uuid(ProductImage::ProductId))
                .col(string_len(ProductImage::StorageKey, 200))
                .col(string_len(ProductImage::ContentType, 32))
                .col(integer(ProductImage::Width))
                .col(integer(ProductImage::Height))
                .col(big_integer(ProductImage::Bytes))
                .col(integer(ProductImage::Position))
                .col(timestamp_with_time_zone(ProductImage::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_product_image_product")
                        .from(ProductImage::Table, ProductImage::ProductId)
                        .to(Product::Table, Product::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_product_image_product")
                .table(ProductImage::Table)
                .col(ProductImage::ProductId)
                .col(ProductImage::Position)
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(ProductImage::Table).to_owned())
            .await
    }
}
