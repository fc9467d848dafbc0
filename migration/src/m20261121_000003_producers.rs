//! Producers, their pending bank-account changes, and closures (holidays, ferry or typhoon
//! suspensions) of a producer or of a whole island.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Producer {
    Table,
    Id,
    AggregatorId,
    Status,
    StatusReason,
    LegalName,
    LegalNameKana,
    Representative,
    MunicipalityCode,
    IslandCode,
    PostalCode,
    Address,
    Phone,
    Email,
    InvoiceNumber,
    TaxExempt,
    BankCode,
    BranchCode,
    AccountType,
    AccountNumber,
    AccountHolderKana,
    Locale,
    ConsentAt,
    RegisteredBy,
    EmailConfirmedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ProducerBankChange {
    Table,
    Id,
    AggregatorId,
    ProducerId,
    BankCode,
    BranchCode,
    AccountType,
    AccountNumber,
    AccountHolderKana,
    Status,
    RequestedBy,
    RequestedAt,
    DecidedBy,
    DecidedAt,
}

#[derive(DeriveIden)]
enum ProducerClosure {
    Table,
    Id,
    AggregatorId,
    ProducerId,
    IslandCode,
    ClosedFrom,
    ClosedTo,
    Reason,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Aggregator {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Municipality {
    Table,
    Code,
}

#[derive(DeriveIden)]
enum Island {
    Table,
    Code,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Producer::Table)
                .col(uuid(Producer::Id).primary_key())
                .col(uuid(Producer::AggregatorId))
                .col(string_len(Producer::Status, 16))
                .col(text_null(Producer::StatusReason))
                .col(string_len(Producer::LegalName, 200))
                .col(string_len(Producer::LegalNameKana, 200))
                .col(string_len(Producer::Representative, 100))
                .col(string_len(Producer::MunicipalityCode, 5))
                .col(string_len_null(Producer::IslandCode, 32))
                .col(string_len(Producer::PostalCode, 8))
                .col(text(Producer::Address))
                .col(string_len(Producer::Phone, 20))
                .col(string(Producer::Email))
                .col(string_len_null(Producer::InvoiceNumber, 14))
                .col(boolean(Producer::TaxExempt))
                .col(string_len(Producer::BankCode, 4))
                .col(string_len(Producer::BranchCode, 3))
                .col(string_len(Producer::AccountType, 16))
                .col(string_len(Producer::AccountNumber, 7))
                .col(string_len(Producer::AccountHolderKana, 60))
                .col(string_len(Producer::Locale, 8))
                .col(timestamp_with_time_zone(Producer::ConsentAt))
                .col(uuid_null(Producer::RegisteredBy))
                .col(timestamp_with_time_zone_null(Producer::EmailConfirmedAt))
                .col(timestamp_with_time_zone(Producer::CreatedAt))
                .col(timestamp_with_time_zone(Producer::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_producer_aggregator")
                        .from(Producer::Table, Producer::AggregatorId)
                        .to(Aggregator::Table, Aggregator::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_producer_municipality")
                        .from(Producer::Table, Producer::MunicipalityCode)
                        .to(Municipality::Table, Municipality::Code),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_producer_island")
                        .from(Producer::Table, Producer::IslandCode)
                        .to(Island::Table, Island::Code),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_producer_aggregator_status")
                .table(Producer::Table)
                .col(Producer::AggregatorId)
                .col(Producer::Status)
                .col(Producer::Id)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ProducerBankChange::Table)
                .col(uuid(ProducerBankChange::Id).primary_key())
                .col(uuid(ProducerBankChange::AggregatorId))
                .col(uuid(ProducerBankChange::ProducerId))
                .col(string_len(ProducerBankChange::BankCode, 4))
                .col(string_len(ProducerBankChange::BranchCode, 3))
                .col(string_len(ProducerBankChange::AccountType, 16))
                .col(string_len(ProducerBankChange::AccountNumber, 7))
                .col(string_len(ProducerBankChange::AccountHolderKana, 60))
                .col(string_len(ProducerBankChange::Status, 16))
                .col(uuid(ProducerBankChange::RequestedBy))
                .col(timestamp_with_time_zone(ProducerBankChange::RequestedAt))
                .col(uuid_null(ProducerBankChange::DecidedBy))
                .col(timestamp_with_time_zone_null(ProducerBankChange::DecidedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_bank_change_producer")
                        .from(ProducerBankChange::Table, ProducerBankChange::ProducerId)
                        .to(Producer::Table, Producer::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_bank_change_producer")
                .table(ProducerBankChange::Table)
                .col(ProducerBankChange::ProducerId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ProducerClosure::Table)
                .col(uuid(ProducerClosure::Id).primary_key())
                .col(uuid(ProducerClosure::AggregatorId))
                .col(uuid_null(ProducerClosure::ProducerId))
                .col(string_len_null(ProducerClosure::IslandCode, 32))
                .col(date(ProducerClosure::ClosedFrom))
                .col(date(ProducerClosure::ClosedTo))
                .col(string_len(ProducerClosure::Reason, 200))
                .col(uuid(ProducerClosure::CreatedBy))
                .col(timestamp_with_time_zone(ProducerClosure::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_closure_producer")
                        .from(ProducerClosure::Table, ProducerClosure::ProducerId)
                        .to(Producer::Table, Producer::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_closure_island")
                        .from(ProducerClosure::Table, ProducerClosure::IslandCode)
                        .to(Island::Table, Island::Code),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_closure_aggregator_dates")
                .table(ProducerClosure::Table)
                .col(ProducerClosure::AggregatorId)
                .col(ProducerClosure::ClosedTo)
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(ProducerClosure::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(ProducerBankChange::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(Producer::Table).to_owned())
            .await?;
        Ok(())
    }
}
