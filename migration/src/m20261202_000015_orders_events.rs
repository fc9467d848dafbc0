//! The order core's own area and domain events.
//!
//! Orders get what channel orders need: the channel account they came from (`channel_id`; the
//! external id is unique per channel account, not per source), the FX rate to yen in parts per
//! million (1,000,000 for yen) and the destination country besides the prefecture. The table
//! keeps its first name, `shop_order`, though it holds orders from every source.
//!
//! `domain_event` is the append-only record of what happened (order placed, paid, shipped,
//! returned, cancelled; stock changed), written in the transaction that made it happen;
//! `event_receipt` is each subscriber's own record of the events it has handled, so a replayed
//! delivery has one effect.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ShopOrder {
    Table,
    AggregatorId,
    Source,
    ExternalId,
    ChannelId,
    FxRatePpm,
    DestinationCountry,
}

#[derive(DeriveIden)]
enum DomainEvent {
    Table,
    Id,
    AggregatorId,
    Kind,
    SubjectId,
    Payload,
    RequestId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum EventReceipt {
    Table,
    EventId,
    Subscriber,
    HandledAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("ux_shop_order_external")
                .table(ShopOrder::Table)
                .to_owned(),
        )
        .await?;
        // SQLite takes one column per ALTER TABLE.
        m.alter_table(
            Table::alter()
                .table(ShopOrder::Table)
                .add_column(uuid_null(ShopOrder::ChannelId))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(ShopOrder::Table)
                .add_column(big_integer(ShopOrder::FxRatePpm).default(1_000_000))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(ShopOrder::Table)
                .add_column(string_len(ShopOrder::DestinationCountry, 2).default("JP"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_shop_order_channel_external")
                .table(ShopOrder::Table)
                .col(ShopOrder::ChannelId)
                .col(ShopOrder::ExternalId)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(DomainEvent::Table)
                .col(uuid(DomainEvent::Id).primary_key())
                .col(uuid_null(DomainEvent::AggregatorId))
                .col(string_len(DomainEvent::Kind, 64))
                .col(uuid_null(DomainEvent::SubjectId))
                .col(text(DomainEvent::Payload))
                .col(string_len_null(DomainEvent::RequestId, 100))
                .col(timestamp_with_time_zone(DomainEvent::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_domain_event_kind")
                .table(DomainEvent::Table)
                .col(DomainEvent::Kind)
                .col(DomainEvent::CreatedAt)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_domain_event_subject")
                .table(DomainEvent::Table)
                .col(DomainEvent::SubjectId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(EventReceipt::Table)
                .col(uuid(EventReceipt::EventId))
                .col(string_len(EventReceipt::Subscriber, 64))
                .col(timestamp_with_time_zone(EventReceipt::HandledAt))
                .primary_key(
                    Index::create()
                        .col(EventReceipt::EventId)
                        .col(EventReceipt::Subscriber),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(EventReceipt::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(DomainEvent::Table).to_owned())
            .await?;
        m.drop_index(
            Index::drop()
                .name("ux_shop_order_channel_external")
                .table(ShopOrder::Table)
                .to_owned(),
        )
        .await?;
        for c in [
            ShopOrder::ChannelId,
            ShopOrder::FxRatePpm,
            ShopOrder::DestinationCountry,
        ] {
            m.alter_table(
                Table::alter()
                    .table(ShopOrder::Table)
                    .drop_column(c)
                    .to_owned(),
            )
            .await?;
        }
        m.create_index(
            Index::create()
                .name("ux_shop_order_external")
                .table(ShopOrder::Table)
                .col(ShopOrder::AggregatorId)
                .col(ShopOrder::Source)
                .col(ShopOrder::ExternalId)
                .unique()
                .to_owned(),
        )
        .await
    }
}
