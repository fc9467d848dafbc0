//! Money I (issue 15), first part: community funds, fee rules (versioned: an edit is a new row
//! that supersedes the old one, so what a sale froze never changes), settlement periods, the
//! double-entry ledger (accounts with their running balance, immutable transactions with a
//! unique source reference per tenant, entries that are either a debit or a credit), and the
//! frozen money facts of each sale: its lines as sold and each fee charged with the rule that
//! applied.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CommunityFund {
    Table,
    Id,
    AggregatorId,
    NameJa,
    NameEn,
    Active,
    CreatedAt,
}

#[derive(DeriveIden)]
enum FeeRule {
    Table,
    Id,
    AggregatorId,
    FeeType,
    Position,
    ProducerId,
    CategoryCode,
    ChannelScope,
    ChannelId,
    PaymentMethod,
    PriceMin,
    PriceMax,
    Basis,
    RateBp,
    FixedYen,
    FloorYen,
    CapYen,
    FundId,
    Bearer,
    EffectiveFrom,
    EffectiveTo,
    Version,
    SupersedesId,
    CreatedBy,
    CreatedAt,
    RetiredAt,
}

#[derive(DeriveIden)]
enum SettlementPeriod {
    Table,
    Id,
    AggregatorId,
    StartsOn,
    EndsOn,
    Status,
    ClosedAt,
    ClosedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum LedgerAccount {
    Table,
    Id,
    AggregatorId,
    Code,
    SubjectKey,
    Kind,
    Balance,
    CreatedAt,
}

#[derive(DeriveIden)]
enum LedgerTransaction {
    Table,
    Id,
    AggregatorId,
    PeriodId,
    Kind,
    SourceRef,
    OccurredOn,
    OrderId,
    ProducerId,
    ReversesId,
    Memo,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum LedgerEntry {
    Table,
    Id,
    AggregatorId,
    TransactionId,
    AccountId,
    PeriodId,
    ProducerId,
    Debit,
    Credit,
}

#[derive(DeriveIden)]
enum SaleLine {
    Table,
    Id,
    AggregatorId,
    OrderId,
    OrderLineId,
    ParcelSeq,
    ProducerId,
    Source,
    ChannelId,
    PaymentMethod,
    CategoryCode,
    SoldOn,
    PeriodId,
    TransactionId,
    Title,
    SkuCode,
    Qty,
    UnitPrice,
    TaxRate,
    Amount,
    CreatedAt,
}

#[derive(DeriveIden)]
enum FeeCharge {
    Table,
    Id,
    AggregatorId,
    ProducerId,
    PeriodId,
    TransactionId,
    FeeType,
    SubjectKey,
    Amount,
    TaxRate,
    RuleId,
    RuleVersion,
    RuleSnapshot,
    FundId,
    Bearer,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(CommunityFund::Table)
                .col(uuid(CommunityFund::Id).primary_key())
                .col(uuid(CommunityFund::AggregatorId))
                .col(string_len(CommunityFund::NameJa, 200))
                .col(string_len(CommunityFund::NameEn, 200))
                .col(boolean(CommunityFund::Active).default(true))
                .col(timestamp_with_time_zone(CommunityFund::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_community_fund_name")
                .table(CommunityFund::Table)
                .col(CommunityFund::AggregatorId)
                .col(CommunityFund::NameJa)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(FeeRule::Table)
                .col(uuid(FeeRule::Id).primary_key())
                .col(uuid(FeeRule::AggregatorId))
                .col(string_len(FeeRule::FeeType, 32))
                .col(integer(FeeRule::Position))
                .col(uuid_null(FeeRule::ProducerId))
                .col(string_len_null(FeeRule::CategoryCode, 32))
                .col(string_len(FeeRule::ChannelScope, 16))
                .col(uuid_null(FeeRule::ChannelId))
                .col(string_len_null(FeeRule::PaymentMethod, 32))
                .col(big_integer_null(FeeRule::PriceMin))
                .col(big_integer_null(FeeRule::PriceMax))
                .col(string_len(FeeRule::Basis, 16))
                .col(integer_null(FeeRule::RateBp))
                .col(big_integer_null(FeeRule::FixedYen))
                .col(big_integer_null(FeeRule::FloorYen))
                .col(big_integer_null(FeeRule::CapYen))
                .col(uuid_null(FeeRule::FundId))
                .col(string_len_null(FeeRule::Bearer, 16))
                .col(date(FeeRule::EffectiveFrom))
                .col(date_null(FeeRule::EffectiveTo))
                .col(integer(FeeRule::Version))
                .col(uuid_null(FeeRule::SupersedesId))
                .col(uuid(FeeRule::CreatedBy))
                .col(timestamp_with_time_zone(FeeRule::CreatedAt))
                .col(timestamp_with_time_zone_null(FeeRule::RetiredAt))
                .check(Expr::col(FeeRule::Position).gte(0))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_fee_rule_order")
                .table(FeeRule::Table)
                .col(FeeRule::AggregatorId)
                .col(FeeRule::FeeType)
                .col(FeeRule::Position)
                .to_owned(),
        )
        .await?;
        // A rule is superseded once: two concurrent edits of one version cannot both win.
        m.create_index(
            Index::create()
                .name("ux_fee_rule_supersedes")
                .table(FeeRule::Table)
                .col(FeeRule::SupersedesId)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(SettlementPeriod::Table)
                .col(uuid(SettlementPeriod::Id).primary_key())
                .col(uuid(SettlementPeriod::AggregatorId))
                .col(date(SettlementPeriod::StartsOn))
                .col(date(SettlementPeriod::EndsOn))
                .col(string_len(SettlementPeriod::Status, 16))
                .col(timestamp_with_time_zone_null(SettlementPeriod::ClosedAt))
                .col(uuid_null(SettlementPeriod::ClosedBy))
                .col(timestamp_with_time_zone(SettlementPeriod::CreatedAt))
                .check(
                    Expr::col(SettlementPeriod::EndsOn).gte(Expr::col(SettlementPeriod::StartsOn)),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_settlement_period_start")
                .table(SettlementPeriod::Table)
                .col(SettlementPeriod::AggregatorId)
                .col(SettlementPeriod::StartsOn)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(LedgerAccount::Table)
                .col(uuid(LedgerAccount::Id).primary_key())
                .col(uuid(LedgerAccount::AggregatorId))
                .col(string_len(LedgerAccount::Code, 64))
                .col(string_len(LedgerAccount::SubjectKey, 64).default(""))
                .col(string_len(LedgerAccount::Kind, 16))
                .col(big_integer(LedgerAccount::Balance).default(0))
                .col(timestamp_with_time_zone(LedgerAccount::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_ledger_account_code")
                .table(LedgerAccount::Table)
                .col(LedgerAccount::AggregatorId)
                .col(LedgerAccount::Code)
                .col(LedgerAccount::SubjectKey)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(LedgerTransaction::Table)
                .col(uuid(LedgerTransaction::Id).primary_key())
                .col(uuid(LedgerTransaction::AggregatorId))
                .col(uuid(LedgerTransaction::PeriodId))
                .col(string_len(LedgerTransaction::Kind, 32))
                .col(string_len(LedgerTransaction::SourceRef, 200))
                .col(date(LedgerTransaction::OccurredOn))
                .col(uuid_null(LedgerTransaction::OrderId))
                .col(uuid_null(LedgerTransaction::ProducerId))
                .col(uuid_null(LedgerTransaction::ReversesId))
                .col(text(LedgerTransaction::Memo))
                .col(uuid_null(LedgerTransaction::CreatedBy))
                .col(timestamp_with_time_zone(LedgerTransaction::CreatedAt))
                .to_owned(),
        )
        .await?;
        // A replayed event names the same source: it books nothing twice.
        m.create_index(
            Index::create()
                .name("ux_ledger_transaction_source")
                .table(LedgerTransaction::Table)
                .col(LedgerTransaction::AggregatorId)
                .col(LedgerTransaction::SourceRef)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_ledger_transaction_reverses")
                .table(LedgerTransaction::Table)
                .col(LedgerTransaction::ReversesId)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_ledger_transaction_order")
                .table(LedgerTransaction::Table)
                .col(LedgerTransaction::OrderId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(LedgerEntry::Table)
                .col(uuid(LedgerEntry::Id).primary_key())
                .col(uuid(LedgerEntry::AggregatorId))
                .col(uuid(LedgerEntry::TransactionId))
                .col(uuid(LedgerEntry::AccountId))
                .col(uuid(LedgerEntry::PeriodId))
                .col(uuid_null(LedgerEntry::ProducerId))
                .col(big_integer(LedgerEntry::Debit))
                .col(big_integer(LedgerEntry::Credit))
                .check(Expr::col(LedgerEntry::Debit).gte(0))
                .check(Expr::col(LedgerEntry::Credit).gte(0))
                // Exactly one side of an entry carries the amount.
                .check(
                    Expr::col(LedgerEntry::Debit)
                        .eq(0)
                        .and(Expr::col(LedgerEntry::Credit).gt(0))
                        .or(Expr::col(LedgerEntry::Credit)
                            .eq(0)
                            .and(Expr::col(LedgerEntry::Debit).gt(0))),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_ledger_entry_transaction")
                .table(LedgerEntry::Table)
                .col(LedgerEntry::TransactionId)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_ledger_entry_period_account")
                .table(LedgerEntry::Table)
                .col(LedgerEntry::AggregatorId)
                .col(LedgerEntry::PeriodId)
                .col(LedgerEntry::AccountId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(SaleLine::Table)
                .col(uuid(SaleLine::Id).primary_key())
                .col(uuid(SaleLine::AggregatorId))
                .col(uuid(SaleLine::OrderId))
                .col(uuid(SaleLine::OrderLineId))
                .col(integer(SaleLine::ParcelSeq))
                .col(uuid(SaleLine::ProducerId))
                .col(string_len(SaleLine::Source, 32))
                .col(uuid_null(SaleLine::ChannelId))
                .col(string_len(SaleLine::PaymentMethod, 32))
                .col(string_len(SaleLine::CategoryCode, 32))
                .col(date(SaleLine::SoldOn))
                .col(uuid(SaleLine::PeriodId))
                .col(uuid(SaleLine::TransactionId))
                .col(string_len(SaleLine::Title, 200))
                .col(string_len(SaleLine::SkuCode, 64))
                .col(big_integer(SaleLine::Qty))
                .col(big_integer(SaleLine::UnitPrice))
                .col(small_integer(SaleLine::TaxRate))
                .col(big_integer(SaleLine::Amount))
                .col(timestamp_with_time_zone(SaleLine::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_sale_line_order_line")
                .table(SaleLine::Table)
                .col(SaleLine::OrderLineId)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_sale_line_period_producer")
                .table(SaleLine::Table)
                .col(SaleLine::AggregatorId)
                .col(SaleLine::PeriodId)
                .col(SaleLine::ProducerId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(FeeCharge::Table)
                .col(uuid(FeeCharge::Id).primary_key())
                .col(uuid(FeeCharge::AggregatorId))
                .col(uuid(FeeCharge::ProducerId))
                .col(uuid(FeeCharge::PeriodId))
                .col(uuid(FeeCharge::TransactionId))
                .col(string_len(FeeCharge::FeeType, 32))
                .col(string_len(FeeCharge::SubjectKey, 100))
                .col(big_integer(FeeCharge::Amount))
                .col(small_integer(FeeCharge::TaxRate))
                .col(uuid(FeeCharge::RuleId))
                .col(integer(FeeCharge::RuleVersion))
                .col(text(FeeCharge::RuleSnapshot))
                .col(uuid_null(FeeCharge::FundId))
                .col(string_len_null(FeeCharge::Bearer, 16))
                .col(timestamp_with_time_zone(FeeCharge::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_fee_charge_subject")
                .table(FeeCharge::Table)
                .col(FeeCharge::TransactionId)
                .col(FeeCharge::FeeType)
                .col(FeeCharge::SubjectKey)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_fee_charge_period_producer")
                .table(FeeCharge::Table)
                .col(FeeCharge::AggregatorId)
                .col(FeeCharge::PeriodId)
                .col(FeeCharge::ProducerId)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            FeeCharge::Table.into_iden(),
            SaleLine::Table.into_iden(),
            LedgerEntry::Table.into_iden(),
            LedgerTransaction::Table.into_iden(),
            LedgerAccount::Table.into_iden(),
            SettlementPeriod::Table.into_iden(),
            FeeRule::Table.into_iden(),
            CommunityFund::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
