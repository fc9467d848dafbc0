//! Money I (issue 15), statements: each return as the ledger booked it (`sale_return`, one per
//! returned order line and batch, in the period of the day it came back), and one statement
//! per producer and closed period (売上計算書 / 委託販売精算書): who and what, the totals and the
//! tax per rate once, the aggregator's charges with their tax once, the fund share, the
//! opening balance and the net payable. Its lines are the period's frozen sale, return and
//! charge rows (a closed period never receives another).
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SaleReturn {
    Table,
    Id,
    AggregatorId,
    OrderReturnId,
    OrderLineId,
    ProducerId,
    PeriodId,
    TransactionId,
    Title,
    Qty,
    UnitPrice,
    TaxRate,
    Amount,
    ReturnedOn,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Statement {
    Table,
    Id,
    AggregatorId,
    PeriodId,
    ProducerId,
    Number,
    Locale,
    ProducerName,
    ProducerAddress,
    ProducerInvoiceNumber,
    AggregatorName,
    AggregatorInvoiceNumber,
    Sales0,
    Sales8,
    Tax8,
    Sales10,
    Tax10,
    Returns8,
    ReturnsTax8,
    Returns10,
    ReturnsTax10,
    ChargesTotal,
    ChargesTax10,
    FundShare,
    OpeningBalance,
    NetPayable,
    Intermediary,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(SaleReturn::Table)
                .col(uuid(SaleReturn::Id).primary_key())
                .col(uuid(SaleReturn::AggregatorId))
                .col(uuid(SaleReturn::OrderReturnId))
                .col(uuid(SaleReturn::OrderLineId))
                .col(uuid(SaleReturn::ProducerId))
                .col(uuid(SaleReturn::PeriodId))
                .col(uuid(SaleReturn::TransactionId))
                .col(string_len(SaleReturn::Title, 200))
                .col(big_integer(SaleReturn::Qty))
                .col(big_integer(SaleReturn::UnitPrice))
                .col(small_integer(SaleReturn::TaxRate))
                .col(big_integer(SaleReturn::Amount))
                .col(date(SaleReturn::ReturnedOn))
                .col(timestamp_with_time_zone(SaleReturn::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_sale_return_order_return")
                .table(SaleReturn::Table)
                .col(SaleReturn::OrderReturnId)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_sale_return_period_producer")
                .table(SaleReturn::Table)
                .col(SaleReturn::AggregatorId)
                .col(SaleReturn::PeriodId)
                .col(SaleReturn::ProducerId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Statement::Table)
                .col(uuid(Statement::Id).primary_key())
                .col(uuid(Statement::AggregatorId))
                .col(uuid(Statement::PeriodId))
                .col(uuid(Statement::ProducerId))
                .col(string_len(Statement::Number, 32))
                .col(string_len(Statement::Locale, 8))
                .col(string_len(Statement::ProducerName, 200))
                .col(string_len(Statement::ProducerAddress, 300))
                .col(string_len_null(Statement::ProducerInvoiceNumber, 14))
                .col(string_len(Statement::AggregatorName, 200))
                .col(string_len_null(Statement::AggregatorInvoiceNumber, 14))
                .col(big_integer(Statement::Sales0))
                .col(big_integer(Statement::Sales8))
                .col(big_integer(Statement::Tax8))
                .col(big_integer(Statement::Sales10))
                .col(big_integer(Statement::Tax10))
                .col(big_integer(Statement::Returns8))
                .col(big_integer(Statement::ReturnsTax8))
                .col(big_integer(Statement::Returns10))
                .col(big_integer(Statement::ReturnsTax10))
                .col(big_integer(Statement::ChargesTotal))
                .col(big_integer(Statement::ChargesTax10))
                .col(big_integer(Statement::FundShare))
                .col(big_integer(Statement::OpeningBalance))
                .col(big_integer(Statement::NetPayable))
                .col(boolean(Statement::Intermediary))
                .col(timestamp_with_time_zone(Statement::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_statement_period_producer")
                .table(Statement::Table)
                .col(Statement::PeriodId)
                .col(Statement::ProducerId)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_statement_number")
                .table(Statement::Table)
                .col(Statement::AggregatorId)
                .col(Statement::Number)
                .unique()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [Statement::Table.into_iden(), SaleReturn::Table.into_iden()] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
