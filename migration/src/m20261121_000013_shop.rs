//! The shared shop and the order core: per-aggregator shop settings, orders (source-agnostic:
//! `shop` now, channels later) with three independent statuses, order lines split per producer,
//! parcels per temperature class, returns, and payment-provider events (webhook dedupe).
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ShopSettings {
    Table,
    AggregatorId,
    Body,
    UpdatedBy,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ShopOrder {
    Table,
    Id,
    AggregatorId,
    Number,
    Source,
    ExternalId,
    Status,
    PaymentStatus,
    FulfilmentStatus,
    PaymentMethod,
    BuyerData,
    PersonalPurgedAt,
    DestinationPrefecture,
    DestinationMunicipality,
    TimeSlot,
    DeliveryDate,
    GoodsTotal,
    ShippingTotal,
    CoolTotal,
    SurchargeTotal,
    CodFee,
    Total8,
    Total10,
    Tax8,
    Tax10,
    GrandTotal,
    Currency,
    RefundedTotal,
    RefundOwed,
    ReservationId,
    ClientKey,
    IdempotencyKey,
    RequestHash,
    PayBy,
    PaidAt,
    PaymentIntentId,
    CancelledAt,
    ShippedAt,
    DeliveredAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum OrderLine {
    Table,
    Id,
    AggregatorId,
    OrderId,
    ProducerId,
    ProductId,
    SkuId,
    Title,
    SkuCode,
    Qty,
    UnitPrice,
    TaxRate,
    LineTotal,
    TemperatureClass,
    ParcelSeq,
    Allocations,
    ReturnedQty,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Parcel {
    Table,
    Id,
    AggregatorId,
    OrderId,
    Seq,
    TemperatureClass,
    Carrier,
    TimeSlot,
    DeliveryDate,
    ShippingFee,
    CoolFee,
    Surcharge,
    TrackingNumber,
    Status,
    PackedAt,
    ShippedAt,
    DeliveredAt,
}

#[derive(DeriveIden)]
enum OrderReturn {
    Table,
    Id,
    AggregatorId,
    OrderId,
    OrderLineId,
    Qty,
    Disposition,
    LossBearer,
    RefundAmount,
    RefundStatus,
    ProviderRefundId,
    Reason,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Product {
    Table,
    QuarantineCertificate,
}

#[derive(DeriveIden)]
enum PaymentEvent {
    Table,
    Id,
    Provider,
    EventId,
    Kind,
    OrderId,
    ReceivedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // A plant-quarantine treatment / inspection certificate lets a restricted product ship.
        m.alter_table(
            Table::alter()
                .table(Product::Table)
                .add_column(string_len_null(Product::QuarantineCertificate, 64))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ShopSettings::Table)
                .col(uuid(ShopSettings::AggregatorId).primary_key())
                .col(text(ShopSettings::Body))
                .col(uuid_null(ShopSettings::UpdatedBy))
                .col(timestamp_with_time_zone(ShopSettings::UpdatedAt))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ShopOrder::Table)
                .col(uuid(ShopOrder::Id).primary_key())
                .col(uuid(ShopOrder::AggregatorId))
                .col(string_len(ShopOrder::Number, 16))
                .col(string_len(ShopOrder::Source, 32))
                .col(string_len_null(ShopOrder::ExternalId, 100))
                .col(string_len(ShopOrder::Status, 16))
                .col(string_len(ShopOrder::PaymentStatus, 24))
                .col(string_len(ShopOrder::FulfilmentStatus, 16))
                .col(string_len(ShopOrder::PaymentMethod, 24))
                .col(text_null(ShopOrder::BuyerData))
                .col(timestamp_with_time_zone_null(ShopOrder::PersonalPurgedAt))
                .col(string_len(ShopOrder::DestinationPrefecture, 2))
                .col(string_len_null(ShopOrder::DestinationMunicipality, 5))
                .col(string_len_null(ShopOrder::TimeSlot, 4))
                .col(date_null(ShopOrder::DeliveryDate))
                .col(big_integer(ShopOrder::GoodsTotal))
                .col(big_integer(ShopOrder::ShippingTotal))
                .col(big_integer(ShopOrder::CoolTotal))
                .col(big_integer(ShopOrder::SurchargeTotal))
                .col(big_integer(ShopOrder::CodFee))
                .col(big_integer(ShopOrder::Total8))
                .col(big_integer(ShopOrder::Total10))
                .col(big_integer(ShopOrder::Tax8))
                .col(big_integer(ShopOrder::Tax10))
                .col(big_integer(ShopOrder::GrandTotal))
                .col(string_len(ShopOrder::Currency, 3))
                .col(big_integer(ShopOrder::RefundedTotal).default(0))
                .col(big_integer(ShopOrder::RefundOwed).default(0))
                .col(uuid_null(ShopOrder::ReservationId))
                .col(string_len(ShopOrder::ClientKey, 64))
                .col(string_len_null(ShopOrder::IdempotencyKey, 200))
                .col(string_len(ShopOrder::RequestHash, 64))
                .col(timestamp_with_time_zone_null(ShopOrder::PayBy))
                .col(timestamp_with_time_zone_null(ShopOrder::PaidAt))
                .col(string_len_null(ShopOrder::PaymentIntentId, 100))
                .col(timestamp_with_time_zone_null(ShopOrder::CancelledAt))
                .col(timestamp_with_time_zone_null(ShopOrder::ShippedAt))
                .col(timestamp_with_time_zone_null(ShopOrder::DeliveredAt))
                .col(timestamp_with_time_zone(ShopOrder::CreatedAt))
                .col(timestamp_with_time_zone(ShopOrder::UpdatedAt))
                .check(Expr::col(ShopOrder::GrandTotal).gte(0))
                .check(Expr::col(ShopOrder::RefundedTotal).gte(0))
                .to_owned(),
        )
        .await?;
        for (name, cols) in [
            (
                "ux_shop_order_number",
                vec![ShopOrder::AggregatorId, ShopOrder::Number],
            ),
            (
                "ux_shop_order_external",
                vec![
                    ShopOrder::AggregatorId,
                    ShopOrder::Source,
                    ShopOrder::ExternalId,
                ],
            ),
            (
                "ux_shop_order_idempotency",
                vec![
                    ShopOrder::AggregatorId,
                    ShopOrder::ClientKey,
                    ShopOrder::IdempotencyKey,
                ],
            ),
        ] {
            let mut idx = Index::create();
            idx.name(name).table(ShopOrder::Table).unique();
            for c in cols {
                idx.col(c);
            }
            m.create_index(idx.to_owned()).await?;
        }
        m.create_index(
            Index::create()
                .name("ix_shop_order_created")
                .table(ShopOrder::Table)
                .col(ShopOrder::AggregatorId)
                .col(ShopOrder::CreatedAt)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(OrderLine::Table)
                .col(uuid(OrderLine::Id).primary_key())
                .col(uuid(OrderLine::AggregatorId))
                .col(uuid(OrderLine::OrderId))
                .col(uuid(OrderLine::ProducerId))
                .col(uuid(OrderLine::ProductId))
                .col(uuid(OrderLine::SkuId))
                .col(string_len(OrderLine::Title, 300))
                .col(string_len(OrderLine::SkuCode, 64))
                .col(big_integer(OrderLine::Qty))
                .col(big_integer(OrderLine::UnitPrice))
                .col(small_integer(OrderLine::TaxRate))
                .col(big_integer(OrderLine::LineTotal))
                .col(string_len(OrderLine::TemperatureClass, 16))
                .col(integer(OrderLine::ParcelSeq))
                .col(text(OrderLine::Allocations))
                .col(big_integer(OrderLine::ReturnedQty).default(0))
                .col(timestamp_with_time_zone(OrderLine::CreatedAt))
                .check(Expr::col(OrderLine::Qty).gt(0))
                .check(Expr::col(OrderLine::ReturnedQty).gte(0))
                .check(Expr::col(OrderLine::ReturnedQty).lte(Expr::col(OrderLine::Qty)))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_order_line_order")
                        .from(OrderLine::Table, OrderLine::OrderId)
                        .to(ShopOrder::Table, ShopOrder::Id),
                )
                .to_owned(),
        )
        .await?;
        for (name, col) in [
            ("ix_order_line_order", OrderLine::OrderId),
            ("ix_order_line_producer", OrderLine::ProducerId),
        ] {
            m.create_index(
                Index::create()
                    .name(name)
                    .table(OrderLine::Table)
                    .col(col)
                    .to_owned(),
            )
            .await?;
        }

        m.create_table(
            Table::create()
                .table(Parcel::Table)
                .col(uuid(Parcel::Id).primary_key())
                .col(uuid(Parcel::AggregatorId))
                .col(uuid(Parcel::OrderId))
                .col(integer(Parcel::Seq))
                .col(string_len(Parcel::TemperatureClass, 16))
                .col(string_len(Parcel::Carrier, 16))
                .col(string_len_null(Parcel::TimeSlot, 4))
                .col(date_null(Parcel::DeliveryDate))
                .col(big_integer(Parcel::ShippingFee))
                .col(big_integer(Parcel::CoolFee))
                .col(big_integer(Parcel::Surcharge))
                .col(string_len_null(Parcel::TrackingNumber, 32))
                .col(string_len(Parcel::Status, 16))
                .col(timestamp_with_time_zone_null(Parcel::PackedAt))
                .col(timestamp_with_time_zone_null(Parcel::ShippedAt))
                .col(timestamp_with_time_zone_null(Parcel::DeliveredAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_parcel_order")
                        .from(Parcel::Table, Parcel::OrderId)
                        .to(ShopOrder::Table, ShopOrder::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_parcel_order_seq")
                .table(Parcel::Table)
                .col(Parcel::OrderId)
                .col(Parcel::Seq)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(OrderReturn::Table)
                .col(uuid(OrderReturn::Id).primary_key())
                .col(uuid(OrderReturn::AggregatorId))
                .col(uuid(OrderReturn::OrderId))
                .col(uuid(OrderReturn::OrderLineId))
                .col(big_integer(OrderReturn::Qty))
                .col(string_len(OrderReturn::Disposition, 16))
                .col(string_len_null(OrderReturn::LossBearer, 16))
                .col(big_integer(OrderReturn::RefundAmount))
                .col(string_len(OrderReturn::RefundStatus, 16))
                .col(string_len_null(OrderReturn::ProviderRefundId, 100))
                .col(string_len(OrderReturn::Reason, 500))
                .col(uuid(OrderReturn::CreatedBy))
                .col(timestamp_with_time_zone(OrderReturn::CreatedAt))
                .check(Expr::col(OrderReturn::Qty).gt(0))
                .check(Expr::col(OrderReturn::RefundAmount).gte(0))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_order_return_line")
                        .from(OrderReturn::Table, OrderReturn::OrderLineId)
                        .to(OrderLine::Table, OrderLine::Id),
                )
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(PaymentEvent::Table)
                .col(uuid(PaymentEvent::Id).primary_key())
                .col(string_len(PaymentEvent::Provider, 32))
                .col(string_len(PaymentEvent::EventId, 100))
                .col(string_len(PaymentEvent::Kind, 64))
                .col(uuid_null(PaymentEvent::OrderId))
                .col(timestamp_with_time_zone(PaymentEvent::ReceivedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_payment_event")
                .table(PaymentEvent::Table)
                .col(PaymentEvent::Provider)
                .col(PaymentEvent::EventId)
                .unique()
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            PaymentEvent::Table.into_iden(),
            OrderReturn::Table.into_iden(),
            Parcel::Table.into_iden(),
            OrderLine::Table.into_iden(),
            ShopOrder::Table.into_iden(),
            ShopSettings::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        m.alter_table(
            Table::alter()
                .table(Product::Table)
                .drop_column(Product::QuarantineCertificate)
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
