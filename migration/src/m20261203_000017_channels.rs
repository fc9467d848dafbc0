//! Sales channels (DESIGN.md §4 `channel`, `listing`): one row per channel account of an
//! aggregator — its kind, base URL, state, sealed credentials with the id of the key that
//! sealed them, and its settings document (rate limit, batch size, stock buffer, price rule,
//! category map, what is offered) — plus the sync lease and the rate-limit clock that make one
//! sync per channel across every instance; one `listing` row per SKU × channel; and the
//! channels area's cursor over the stock ledger. `stock_movement` gets an index on its time,
//! which the cursor reads.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Channel {
    Table,
    Id,
    AggregatorId,
    Kind,
    Name,
    BaseUrl,
    ApiVersion,
    Currency,
    State,
    Credentials,
    CredentialsKeyId,
    CredentialsExpireOn,
    ExpiryAlertedOn,
    Settings,
    SyncLockedBy,
    SyncLeaseUntil,
    NextCallAt,
    CallsWindowStart,
    CallsInWindow,
    LastSyncAt,
    LastError,
    ResyncTotal,
    ResyncDone,
    ResyncErrors,
    ResyncStartedAt,
    ResyncFinishedAt,
    ImportCursor,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Listing {
    Table,
    Id,
    AggregatorId,
    ChannelId,
    SkuId,
    ProductId,
    ExternalId,
    ExternalVariantId,
    State,
    Action,
    ContentHash,
    LastError,
    BufferOverride,
    DirtySeq,
    SyncedSeq,
    PushedQty,
    SyncedAt,
    Resync,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ChannelCursor {
    Table,
    Name,
    Position,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum StockMovement {
    Table,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Channel::Table)
                .col(uuid(Channel::Id).primary_key())
                .col(uuid(Channel::AggregatorId))
                .col(string_len(Channel::Kind, 32))
                .col(string_len(Channel::Name, 200))
                .col(string_len(Channel::BaseUrl, 500))
                .col(string_len_null(Channel::ApiVersion, 20))
                .col(string_len(Channel::Currency, 3))
                .col(string_len(Channel::State, 16))
                .col(text(Channel::Credentials))
                .col(string_len(Channel::CredentialsKeyId, 32))
                .col(date_null(Channel::CredentialsExpireOn))
                .col(date_null(Channel::ExpiryAlertedOn))
                .col(text(Channel::Settings))
                .col(string_len_null(Channel::SyncLockedBy, 100))
                .col(timestamp_with_time_zone_null(Channel::SyncLeaseUntil))
                .col(timestamp_with_time_zone_null(Channel::NextCallAt))
                .col(timestamp_with_time_zone_null(Channel::CallsWindowStart))
                .col(integer(Channel::CallsInWindow).default(0))
                .col(timestamp_with_time_zone_null(Channel::LastSyncAt))
                .col(text_null(Channel::LastError))
                .col(integer(Channel::ResyncTotal).default(0))
                .col(integer(Channel::ResyncDone).default(0))
                .col(integer(Channel::ResyncErrors).default(0))
                .col(timestamp_with_time_zone_null(Channel::ResyncStartedAt))
                .col(timestamp_with_time_zone_null(Channel::ResyncFinishedAt))
                .col(text_null(Channel::ImportCursor))
                .col(timestamp_with_time_zone(Channel::CreatedAt))
                .col(timestamp_with_time_zone(Channel::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_channel_name")
                .table(Channel::Table)
                .col(Channel::AggregatorId)
                .col(Channel::Name)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Listing::Table)
                .col(uuid(Listing::Id).primary_key())
                .col(uuid(Listing::AggregatorId))
                .col(uuid(Listing::ChannelId))
                .col(uuid(Listing::SkuId))
                .col(uuid(Listing::ProductId))
                .col(string_len_null(Listing::ExternalId, 200))
                .col(string_len_null(Listing::ExternalVariantId, 200))
                .col(string_len(Listing::State, 16))
                .col(string_len_null(Listing::Action, 16))
                .col(string_len_null(Listing::ContentHash, 64))
                .col(text_null(Listing::LastError))
                .col(integer_null(Listing::BufferOverride))
                .col(big_integer(Listing::DirtySeq).default(0))
                .col(big_integer(Listing::SyncedSeq).default(0))
                .col(big_integer_null(Listing::PushedQty))
                .col(timestamp_with_time_zone_null(Listing::SyncedAt))
                .col(boolean(Listing::Resync).default(false))
                .col(timestamp_with_time_zone(Listing::CreatedAt))
                .col(timestamp_with_time_zone(Listing::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Listing::Table, Listing::ChannelId)
                        .to(Channel::Table, Channel::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_listing_channel_sku")
                .table(Listing::Table)
                .col(Listing::ChannelId)
                .col(Listing::SkuId)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_listing_product")
                .table(Listing::Table)
                .col(Listing::ChannelId)
                .col(Listing::ProductId)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_listing_sku")
                .table(Listing::Table)
                .col(Listing::SkuId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ChannelCursor::Table)
                .col(string_len(ChannelCursor::Name, 64).primary_key())
                .col(timestamp_with_time_zone(ChannelCursor::Position))
                .col(timestamp_with_time_zone(ChannelCursor::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_movement_time")
                .table(StockMovement::Table)
                .col(StockMovement::CreatedAt)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("ix_movement_time")
                .table(StockMovement::Table)
                .to_owned(),
        )
        .await?;
        for t in [
            ChannelCursor::Table.into_iden(),
            Listing::Table.into_iden(),
            Channel::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
