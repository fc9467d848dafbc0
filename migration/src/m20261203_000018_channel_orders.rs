//! Channel orders (issue 14, order import): one `channel_order` row per order of a channel
//! account — its number there (unique per account by this index, so two Rakuten shops may reuse
//! a number), the order it became here, what the channel last said of it and what is still
//! owed to the channel (an import or a re-read, a cancellation, the tracking numbers) — and the
//! Shopify webhook ids already received (a redelivery has no effect); channels get the time of
//! their last look for orders (the import cursor moves only when a look succeeds). Orders get `attention`:
//! why staff must look at one (an oversell, a buyer name the shop would refuse), never a status.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ChannelOrder {
    Table,
    Id,
    AggregatorId,
    ChannelId,
    ExternalId,
    OrderId,
    RemoteStatus,
    RemoteRef,
    ImportDue,
    CancelDue,
    CancelReason,
    ShipDue,
    CancelledBy,
    LastError,
    ImportedAt,
    CancelPushedAt,
    ShippedPushedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ChannelWebhook {
    Table,
    Id,
    ChannelId,
    WebhookId,
    Topic,
    ReceivedAt,
}

#[derive(DeriveIden)]
enum Channel {
    Table,
    OrdersPolledAt,
}

#[derive(DeriveIden)]
enum ShopOrder {
    Table,
    Attention,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Channel::Table)
                .add_column(timestamp_with_time_zone_null(Channel::OrdersPolledAt))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(ShopOrder::Table)
                .add_column(text_null(ShopOrder::Attention))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ChannelOrder::Table)
                .col(uuid(ChannelOrder::Id).primary_key())
                .col(uuid(ChannelOrder::AggregatorId))
                .col(uuid(ChannelOrder::ChannelId))
                .col(string_len(ChannelOrder::ExternalId, 100))
                .col(uuid_null(ChannelOrder::OrderId))
                .col(string_len(ChannelOrder::RemoteStatus, 32))
                .col(text(ChannelOrder::RemoteRef))
                .col(boolean(ChannelOrder::ImportDue).default(false))
                .col(boolean(ChannelOrder::CancelDue).default(false))
                .col(string_len_null(ChannelOrder::CancelReason, 32))
                .col(boolean(ChannelOrder::ShipDue).default(false))
                .col(string_len_null(ChannelOrder::CancelledBy, 16))
                .col(text_null(ChannelOrder::LastError))
                .col(timestamp_with_time_zone_null(ChannelOrder::ImportedAt))
                .col(timestamp_with_time_zone_null(ChannelOrder::CancelPushedAt))
                .col(timestamp_with_time_zone_null(ChannelOrder::ShippedPushedAt))
                .col(timestamp_with_time_zone(ChannelOrder::CreatedAt))
                .col(timestamp_with_time_zone(ChannelOrder::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_channel_order_external")
                .table(ChannelOrder::Table)
                .col(ChannelOrder::ChannelId)
                .col(ChannelOrder::ExternalId)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_channel_order_order")
                .table(ChannelOrder::Table)
                .col(ChannelOrder::OrderId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ChannelWebhook::Table)
                .col(uuid(ChannelWebhook::Id).primary_key())
                .col(uuid(ChannelWebhook::ChannelId))
                .col(string_len(ChannelWebhook::WebhookId, 100))
                .col(string_len(ChannelWebhook::Topic, 64))
                .col(timestamp_with_time_zone(ChannelWebhook::ReceivedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_channel_webhook_id")
                .table(ChannelWebhook::Table)
                .col(ChannelWebhook::ChannelId)
                .col(ChannelWebhook::WebhookId)
                .unique()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            ChannelWebhook::Table.into_iden(),
            ChannelOrder::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        m.alter_table(
            Table::alter()
                .table(Channel::Table)
                .drop_column(Channel::OrdersPolledAt)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(ShopOrder::Table)
                .drop_column(ShopOrder::Attention)
                .to_owned(),
        )
        .await
    }
}
