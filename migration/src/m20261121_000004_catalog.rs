//! The catalogue: seeded categories, products (with food data), pending revisions of listed
//! products, and SKUs.
use sea_orm_migration::{prelude::*, schema::*};

const CATEGORIES: &str = include_str!("../data/categories.csv");

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Category {
    Table,
    Code,
    ParentCode,
    NameJa,
    NameEn,
    Food,
    Alcohol,
    DefaultTaxRate,
}

#[derive(DeriveIden)]
enum Product {
    Table,
    Id,
    AggregatorId,
    ProducerId,
    Status,
    TitleJa,
    TitleEn,
    DescriptionJa,
    DescriptionEn,
    CategoryCode,
    Tags,
    TemperatureClass,
    DateKind,
    ShelfLifeDays,
    Allergens,
    Ingredients,
    Additives,
    NetContent,
    Storage,
    OriginMunicipalityCode,
    Nutrition,
    TaxRate,
    Alcohol,
    QuarantineClass,
    HsCode,
    ReviewComments,
    CreatedAt,
    UpdatedAt,
    SubmittedAt,
    ListedAt,
}

#[derive(DeriveIden)]
enum ProductRevision {
    Table,
    Id,
    AggregatorId,
    ProductId,
    Data,
    Status,
    Comments,
    CreatedBy,
    CreatedAt,
    DecidedBy,
    DecidedAt,
}

#[derive(DeriveIden)]
enum Sku {
    Table,
    Id,
    AggregatorId,
    ProducerId,
    ProductId,
    Code,
    Name,
    Jan,
    JanLocalOnly,
    PriceYen,
    WeightG,
    LowStockThreshold,
    Active,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Producer {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Aggregator {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Category::Table)
                .col(string_len(Category::Code, 32).primary_key())
                .col(string_len_null(Category::ParentCode, 32))
                .col(string(Category::NameJa))
                .col(string(Category::NameEn))
                .col(boolean(Category::Food))
                .col(boolean(Category::Alcohol))
                .col(small_integer(Category::DefaultTaxRate))
                .to_owned(),
        )
        .await?;
        let mut q = Query::insert()
            .into_table(Category::Table)
            .columns([
                Category::Code,
                Category::ParentCode,
                Category::NameJa,
                Category::NameEn,
                Category::Food,
                Category::Alcohol,
                Category::DefaultTaxRate,
            ])
            .to_owned();
        for line in CATEGORIES.lines().skip(1).filter(|l| !l.trim().is_empty()) {
            let r: Vec<&str> = line.split(',').map(str::trim).collect();
            let parent: Option<&str> = (!r[1].is_empty()).then_some(r[1]);
            q.values_panic([
                r[0].into(),
                parent.into(),
                r[2].into(),
                r[3].into(),
                (r[4] == "1").into(),
                (r[5] == "1").into(),
                r[6].parse::<i16>().unwrap_or(10).into(),
            ]);
        }
        m.exec_stmt(q).await?;

        m.create_table(
            Table::create()
                .table(Product::Table)
                .col(uuid(Product::Id).primary_key())
                .col(uuid(Product::AggregatorId))
                .col(uuid(Product::ProducerId))
                .col(string_len(Product::Status, 16))
                .col(string_len(Product::TitleJa, 200))
                .col(string_len_null(Product::TitleEn, 200))
                .col(text(Product::DescriptionJa))
                .col(text_null(Product::DescriptionEn))
                .col(string_len(Product::CategoryCode, 32))
                .col(text(Product::Tags))
                .col(string_len(Product::TemperatureClass, 16))
                .col(string_len(Product::DateKind, 16))
                .col(integer(Product::ShelfLifeDays))
                .col(text(Product::Allergens))
                .col(text(Product::Ingredients))
                .col(text(Product::Additives))
                .col(string_len(Product::NetContent, 100))
                .col(text(Product::Storage))
                .col(string_len_null(Product::OriginMunicipalityCode, 5))
                .col(text(Product::Nutrition))
                .col(small_integer(Product::TaxRate))
                .col(boolean(Product::Alcohol))
                .col(string_len(Product::QuarantineClass, 32))
                .col(string_len_null(Product::HsCode, 12))
                .col(text(Product::ReviewComments))
                .col(timestamp_with_time_zone(Product::CreatedAt))
                .col(timestamp_with_time_zone(Product::UpdatedAt))
                .col(timestamp_with_time_zone_null(Product::SubmittedAt))
                .col(timestamp_with_time_zone_null(Product::ListedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_product_producer")
                        .from(Product::Table, Product::ProducerId)
                        .to(Producer::Table, Producer::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_product_aggregator")
                        .from(Product::Table, Product::AggregatorId)
                        .to(Aggregator::Table, Aggregator::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_product_category")
                        .from(Product::Table, Product::CategoryCode)
                        .to(Category::Table, Category::Code),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_product_aggregator_status")
                .table(Product::Table)
                .col(Product::AggregatorId)
                .col(Product::Status)
                .col(Product::Id)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_product_producer")
                .table(Product::Table)
                .col(Product::ProducerId)
                .col(Product::Id)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ProductRevision::Table)
                .col(uuid(ProductRevision::Id).primary_key())
                .col(uuid(ProductRevision::AggregatorId))
                .col(uuid(ProductRevision::ProductId))
                .col(text(ProductRevision::Data))
                .col(string_len(ProductRevision::Status, 16))
                .col(text(ProductRevision::Comments))
                .col(uuid(ProductRevision::CreatedBy))
                .col(timestamp_with_time_zone(ProductRevision::CreatedAt))
                .col(uuid_null(ProductRevision::DecidedBy))
                .col(timestamp_with_time_zone_null(ProductRevision::DecidedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_revision_product")
                        .from(ProductRevision::Table, ProductRevision::ProductId)
                        .to(Product::Table, Product::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_revision_product")
                .table(ProductRevision::Table)
                .col(ProductRevision::ProductId)
                .col(ProductRevision::Status)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Sku::Table)
                .col(uuid(Sku::Id).primary_key())
                .col(uuid(Sku::AggregatorId))
                .col(uuid(Sku::ProducerId))
                .col(uuid(Sku::ProductId))
                .col(string_len(Sku::Code, 64))
                .col(string_len(Sku::Name, 200))
                .col(string_len_null(Sku::Jan, 13))
                .col(boolean(Sku::JanLocalOnly))
                .col(big_integer(Sku::PriceYen))
                .col(integer(Sku::WeightG))
                .col(integer(Sku::LowStockThreshold))
                .col(boolean(Sku::Active))
                .col(timestamp_with_time_zone(Sku::CreatedAt))
                .col(timestamp_with_time_zone(Sku::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_sku_product")
                        .from(Sku::Table, Sku::ProductId)
                        .to(Product::Table, Product::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_sku_aggregator_code")
                .table(Sku::Table)
                .col(Sku::AggregatorId)
                .col(Sku::Code)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_sku_product")
                .table(Sku::Table)
                .col(Sku::ProductId)
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Sku::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(ProductRevision::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(Product::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(Category::Table).to_owned())
            .await?;
        Ok(())
    }
}
