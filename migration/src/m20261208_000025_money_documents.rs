//! Money I (issue 15), the rest: each statement's PDF rendered once by a job at close and kept
//! (its blob key, SHA-256 and language, so every download and the email's attachment are the
//! same bytes); the channel fees a channel reported (on its order row, what the adapter
//! saw last) for an order (what it said last, and how
//! much of it the ledger holds), so a correcting entry replaces the rule's estimate.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Statement {
    Table,
    PdfKey,
    PdfSha256,
    PdfLocale,
}

#[derive(DeriveIden)]
enum ChannelOrder {
    Table,
    ReportedFee,
}

#[derive(DeriveIden)]
enum ChannelFeeActual {
    Table,
    Id,
    AggregatorId,
    OrderId,
    ChannelId,
    Reported,
    Booked,
    Revision,
    Source,
    ReportedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds one column per ALTER TABLE.
        m.alter_table(
            Table::alter()
                .table(Statement::Table)
                .add_column(string_len_null(Statement::PdfKey, 200))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Statement::Table)
                .add_column(string_len_null(Statement::PdfSha256, 64))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Statement::Table)
                .add_column(string_len_null(Statement::PdfLocale, 8))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(ChannelOrder::Table)
                .add_column(big_integer_null(ChannelOrder::ReportedFee))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ChannelFeeActual::Table)
                .col(uuid(ChannelFeeActual::Id).primary_key())
                .col(uuid(ChannelFeeActual::AggregatorId))
                .col(uuid(ChannelFeeActual::OrderId))
                .col(uuid(ChannelFeeActual::ChannelId))
                .col(big_integer(ChannelFeeActual::Reported))
                .col(big_integer(ChannelFeeActual::Booked))
                .col(integer(ChannelFeeActual::Revision))
                .col(string_len(ChannelFeeActual::Source, 16))
                .col(timestamp_with_time_zone(ChannelFeeActual::ReportedAt))
                .col(timestamp_with_time_zone(ChannelFeeActual::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_channel_fee_actual_order")
                .table(ChannelFeeActual::Table)
                .col(ChannelFeeActual::AggregatorId)
                .col(ChannelFeeActual::OrderId)
                .unique()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(ChannelFeeActual::Table).to_owned())
            .await?;
        m.alter_table(
            Table::alter()
                .table(ChannelOrder::Table)
                .drop_column(ChannelOrder::ReportedFee)
                .to_owned(),
        )
        .await?;
        for c in [
            Statement::PdfKey,
            Statement::PdfSha256,
            Statement::PdfLocale,
        ] {
            m.alter_table(
                Table::alter()
                    .table(Statement::Table)
                    .drop_column(c)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
