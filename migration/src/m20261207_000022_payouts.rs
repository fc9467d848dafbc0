//! Money II (issue 16): the aggregator's bank profile (依頼人コード, its own account, the line
//! break its bank wants, the layout of the bank's result file, the minimum payout), payout
//! holds (a producer in dispute, or whose transfer failed), payout runs (prepared by one
//! finance user, approved by another, exported once as a Zengin 総合振込 file whose bytes and
//! SHA-256 are kept so a re-download is identical) and their payouts (each one ledger
//! transaction, matched to the bank's result on 顧客コード1, unique per tenant). Community
//! funds get the account their payouts go to.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum BankProfile {
    Table,
    AggregatorId,
    RequesterCode,
    RequesterName,
    BankCode,
    BankName,
    BranchCode,
    BranchName,
    AccountType,
    AccountNumber,
    LineBreak,
    TransferKind,
    MinimumPayout,
    ResultEncoding,
    ResultHasHeader,
    ResultCodeColumn,
    ResultStatusColumn,
    ResultPaidValues,
    UpdatedBy,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PayoutHold {
    Table,
    Id,
    AggregatorId,
    ProducerId,
    Reason,
    Note,
    CreatedBy,
    CreatedAt,
    ReleasedBy,
    ReleasedAt,
}

#[derive(DeriveIden)]
enum PayoutRun {
    Table,
    Id,
    AggregatorId,
    Number,
    PeriodId,
    Status,
    TransferDate,
    PayoutCount,
    Total,
    PreparedBy,
    PreparedAt,
    ApprovedBy,
    ApprovedAt,
    CancelledBy,
    CancelledAt,
    ExportedBy,
    ExportedAt,
    FileName,
    FileSha256,
    FileBytes,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Payout {
    Table,
    Id,
    AggregatorId,
    RunId,
    PeriodId,
    Kind,
    ProducerId,
    FundId,
    Amount,
    BankCode,
    BranchCode,
    AccountType,
    AccountNumber,
    HolderKana,
    NewCode,
    CustomerCode,
    Status,
    TransactionId,
    ReversalId,
    SettledId,
    ResultCode,
    ResultAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum CommunityFund {
    Table,
    BankCode,
    BranchCode,
    AccountType,
    AccountNumber,
    AccountHolderKana,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(BankProfile::Table)
                .col(uuid(BankProfile::AggregatorId).primary_key())
                .col(string_len(BankProfile::RequesterCode, 10))
                .col(string_len(BankProfile::RequesterName, 40))
                .col(string_len(BankProfile::BankCode, 4))
                .col(string_len(BankProfile::BankName, 15))
                .col(string_len(BankProfile::BranchCode, 3))
                .col(string_len(BankProfile::BranchName, 15))
                .col(string_len(BankProfile::AccountType, 1))
                .col(string_len(BankProfile::AccountNumber, 7))
                .col(string_len(BankProfile::LineBreak, 8))
                .col(string_len(BankProfile::TransferKind, 1))
                .col(big_integer(BankProfile::MinimumPayout))
                .col(string_len(BankProfile::ResultEncoding, 16))
                .col(boolean(BankProfile::ResultHasHeader))
                .col(small_integer(BankProfile::ResultCodeColumn))
                .col(small_integer(BankProfile::ResultStatusColumn))
                .col(string_len(BankProfile::ResultPaidValues, 200))
                .col(uuid(BankProfile::UpdatedBy))
                .col(timestamp_with_time_zone(BankProfile::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(PayoutHold::Table)
                .col(uuid(PayoutHold::Id).primary_key())
                .col(uuid(PayoutHold::AggregatorId))
                .col(uuid(PayoutHold::ProducerId))
                .col(string_len(PayoutHold::Reason, 32))
                .col(string_len(PayoutHold::Note, 500))
                .col(uuid_null(PayoutHold::CreatedBy))
                .col(timestamp_with_time_zone(PayoutHold::CreatedAt))
                .col(uuid_null(PayoutHold::ReleasedBy))
                .col(timestamp_with_time_zone_null(PayoutHold::ReleasedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_payout_hold_producer")
                .table(PayoutHold::Table)
                .col(PayoutHold::AggregatorId)
                .col(PayoutHold::ProducerId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(PayoutRun::Table)
                .col(uuid(PayoutRun::Id).primary_key())
                .col(uuid(PayoutRun::AggregatorId))
                .col(integer(PayoutRun::Number))
                .col(uuid(PayoutRun::PeriodId))
                .col(string_len(PayoutRun::Status, 16))
                .col(date(PayoutRun::TransferDate))
                .col(integer(PayoutRun::PayoutCount))
                .col(big_integer(PayoutRun::Total))
                .col(uuid(PayoutRun::PreparedBy))
                .col(timestamp_with_time_zone(PayoutRun::PreparedAt))
                .col(uuid_null(PayoutRun::ApprovedBy))
                .col(timestamp_with_time_zone_null(PayoutRun::ApprovedAt))
                .col(uuid_null(PayoutRun::CancelledBy))
                .col(timestamp_with_time_zone_null(PayoutRun::CancelledAt))
                .col(uuid_null(PayoutRun::ExportedBy))
                .col(timestamp_with_time_zone_null(PayoutRun::ExportedAt))
                .col(string_len_null(PayoutRun::FileName, 64))
                .col(string_len_null(PayoutRun::FileSha256, 64))
                .col(blob_null(PayoutRun::FileBytes))
                .col(timestamp_with_time_zone(PayoutRun::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_payout_run_number")
                .table(PayoutRun::Table)
                .col(PayoutRun::AggregatorId)
                .col(PayoutRun::Number)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Payout::Table)
                .col(uuid(Payout::Id).primary_key())
                .col(uuid(Payout::AggregatorId))
                .col(uuid(Payout::RunId))
                .col(uuid(Payout::PeriodId))
                .col(string_len(Payout::Kind, 16))
                .col(uuid_null(Payout::ProducerId))
                .col(uuid_null(Payout::FundId))
                .col(big_integer(Payout::Amount))
                .col(string_len(Payout::BankCode, 4))
                .col(string_len(Payout::BranchCode, 3))
                .col(string_len(Payout::AccountType, 1))
                .col(string_len(Payout::AccountNumber, 7))
                .col(string_len(Payout::HolderKana, 30))
                .col(string_len(Payout::NewCode, 1))
                .col(string_len(Payout::CustomerCode, 10))
                .col(string_len(Payout::Status, 16))
                .col(uuid(Payout::TransactionId))
                .col(uuid_null(Payout::ReversalId))
                .col(uuid_null(Payout::SettledId))
                .col(string_len_null(Payout::ResultCode, 32))
                .col(timestamp_with_time_zone_null(Payout::ResultAt))
                .col(timestamp_with_time_zone(Payout::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_payout_customer_code")
                .table(Payout::Table)
                .col(Payout::AggregatorId)
                .col(Payout::CustomerCode)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_payout_run")
                .table(Payout::Table)
                .col(Payout::RunId)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_payout_producer")
                .table(Payout::Table)
                .col(Payout::AggregatorId)
                .col(Payout::ProducerId)
                .to_owned(),
        )
        .await?;
        for c in [
            CommunityFund::BankCode,
            CommunityFund::BranchCode,
            CommunityFund::AccountType,
            CommunityFund::AccountNumber,
            CommunityFund::AccountHolderKana,
        ] {
            m.alter_table(
                Table::alter()
                    .table(CommunityFund::Table)
                    .add_column(string_len_null(c, 30))
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            Payout::Table.into_iden(),
            PayoutRun::Table.into_iden(),
            PayoutHold::Table.into_iden(),
            BankProfile::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        for c in [
            CommunityFund::BankCode,
            CommunityFund::BranchCode,
            CommunityFund::AccountType,
            CommunityFund::AccountNumber,
            CommunityFund::AccountHolderKana,
        ] {
            m.alter_table(
                Table::alter()
                    .table(CommunityFund::Table)
                    .drop_column(c)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
