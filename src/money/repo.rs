//! The money area's queries: community funds, fee-rule versions, settlement periods, ledger
//! accounts (with their running balance), transactions and entries, and the frozen sale lines
//! and fee charges. Orders, products and producers are read through their own areas' repos;
//! the services keep the rules and the transactions.
use chrono::{DateTime, NaiveDate, Utc};
use entity::{
    bank_profile, community_fund, fee_charge, fee_rule, ledger_account, ledger_entry,
    ledger_transaction, payout, payout_hold, payout_run, sale_line, settlement_period,
};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, QueryFilter,
    QueryOrder, QuerySelect, TryInsertResult,
    sea_query::{Expr, ExprTrait},
};
use uuid::Uuid;

/// Inserts a community fund (a taken name fails on its unique key).
///
/// # Errors
/// Database failure.
pub async fn insert_fund(
    db: &impl ConnectionTrait,
    row: community_fund::ActiveModel,
) -> Result<community_fund::Model, DbErr> {
    row.insert(db).await
}

/// The funds of `agg`, by name.
///
/// # Errors
/// Database failure.
pub async fn funds(
    db: &impl ConnectionTrait,
    agg: Uuid,
) -> Result<Vec<community_fund::Model>, DbErr> {
    community_fund::Entity::find()
        .filter(community_fund::Column::AggregatorId.eq(agg))
        .order_by_asc(community_fund::Column::NameJa)
        .all(db)
        .await
}

/// Fund `id` of `agg`.
///
/// # Errors
/// Database failure.
pub async fn fund(
    db: &impl ConnectionTrait,
    agg: Uuid,
    id: Uuid,
) -> Result<Option<community_fund::Model>, DbErr> {
    community_fund::Entity::find_by_id(id)
        .filter(community_fund::Column::AggregatorId.eq(agg))
        .one(db)
        .await
}

/// Inserts a fee-rule version.
///
/// # Errors
/// Database failure (a version superseded twice fails on its unique key).
pub async fn insert_rule(
    db: &impl ConnectionTrait,
    row: fee_rule::ActiveModel,
) -> Result<fee_rule::Model, DbErr> {
    row.insert(db).await
}

/// Fee-rule version `id` of `agg`.
///
/// # Errors
/// Database failure.
pub async fn rule(
    db: &impl ConnectionTrait,
    agg: Uuid,
    id: Uuid,
) -> Result<Option<fee_rule::Model>, DbErr> {
    fee_rule::Entity::find_by_id(id)
        .filter(fee_rule::Column::AggregatorId.eq(agg))
        .one(db)
        .await
}

/// The version that supersedes `id`, if any.
///
/// # Errors
/// Database failure.
pub async fn successor(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<fee_rule::Model>, DbErr> {
    fee_rule::Entity::find()
        .filter(fee_rule::Column::SupersedesId.eq(id))
        .one(db)
        .await
}

/// Every fee-rule version of `agg` matching `cond`, by fee type, position and version.
///
/// # Errors
/// Database failure.
pub async fn rules_where(
    db: &impl ConnectionTrait,
    agg: Uuid,
    cond: Condition,
) -> Result<Vec<fee_rule::Model>, DbErr> {
    fee_rule::Entity::find()
        .filter(fee_rule::Column::AggregatorId.eq(agg))
        .filter(cond)
        .order_by_asc(fee_rule::Column::FeeType)
        .order_by_asc(fee_rule::Column::Position)
        .order_by_asc(fee_rule::Column::Version)
        .all(db)
        .await
}

/// Ends fee-rule version `id` on `last_day` (and marks it retired at `retired_at` when given):
/// `false` when it already ended on or before that day.
///
/// # Errors
/// Database failure.
pub async fn end_rule(
    db: &impl ConnectionTrait,
    id: Uuid,
    last_day: NaiveDate,
    retired_at: Option<DateTime<Utc>>,
) -> Result<bool, DbErr> {
    let mut up = fee_rule::Entity::update_many()
        .col_expr(fee_rule::Column::EffectiveTo, Expr::value(Some(last_day)))
        .filter(fee_rule::Column::Id.eq(id))
        .filter(
            Condition::any()
                .add(fee_rule::Column::EffectiveTo.is_null())
                .add(fee_rule::Column::EffectiveTo.gt(last_day)),
        );
    if let Some(at) = retired_at {
        up = up.col_expr(fee_rule::Column::RetiredAt, Expr::value(Some(at)));
    }
    Ok(up.exec(db).await?.rows_affected == 1)
}

/// The period of `agg` starting on `starts_on`.
///
/// # Errors
/// Database failure.
pub async fn period_starting(
    db: &impl ConnectionTrait,
    agg: Uuid,
    starts_on: NaiveDate,
) -> Result<Option<settlement_period::Model>, DbErr> {
    settlement_period::Entity::find()
        .filter(settlement_period::Column::AggregatorId.eq(agg))
        .filter(settlement_period::Column::StartsOn.eq(starts_on))
        .one(db)
        .await
}

/// Inserts an open period unless one starts on the same day.
///
/// # Errors
/// Database failure.
pub async fn insert_period(
    db: &impl ConnectionTrait,
    row: settlement_period::ActiveModel,
) -> Result<(), DbErr> {
    settlement_period::Entity::insert(row)
        .on_conflict_do_nothing_on([
            settlement_period::Column::AggregatorId,
            settlement_period::Column::StartsOn,
        ])
        .exec_without_returning(db)
        .await
        .map(|_| ())
}

/// The periods of `agg`, newest first.
///
/// # Errors
/// Database failure.
pub async fn periods(
    db: &impl ConnectionTrait,
    agg: Uuid,
) -> Result<Vec<settlement_period::Model>, DbErr> {
    settlement_period::Entity::find()
        .filter(settlement_period::Column::AggregatorId.eq(agg))
        .order_by_desc(settlement_period::Column::StartsOn)
        .limit(120)
        .all(db)
        .await
}

/// Every period of `agg` that starts before `starts_on` (however many there are).
///
/// # Errors
/// Database failure.
pub async fn periods_before(
    db: &impl ConnectionTrait,
    agg: Uuid,
    starts_on: NaiveDate,
) -> Result<Vec<settlement_period::Model>, DbErr> {
    settlement_period::Entity::find()
        .filter(settlement_period::Column::AggregatorId.eq(agg))
        .filter(settlement_period::Column::StartsOn.lt(starts_on))
        .all(db)
        .await
}

/// Period `id` of `agg`.
///
/// # Errors
/// Database failure.
pub async fn period(
    db: &impl ConnectionTrait,
    agg: Uuid,
    id: Uuid,
) -> Result<Option<settlement_period::Model>, DbErr> {
    settlement_period::Entity::find_by_id(id)
        .filter(settlement_period::Column::AggregatorId.eq(agg))
        .one(db)
        .await
}

/// Inserts a transaction unless one of its tenant has the same source: `false` then (a
/// replay books nothing).
///
/// # Errors
/// Database failure.
pub async fn insert_transaction(
    db: &impl ConnectionTrait,
    row: ledger_transaction::ActiveModel,
) -> Result<bool, DbErr> {
    let res = ledger_transaction::Entity::insert(row)
        .on_conflict_do_nothing_on([
            ledger_transaction::Column::AggregatorId,
            ledger_transaction::Column::SourceRef,
        ])
        .exec_without_returning(db)
        .await?;
    Ok(matches!(res, TryInsertResult::Inserted(n) if n > 0))
}

/// The transaction of `agg` booked for `source_ref`.
///
/// # Errors
/// Database failure.
pub async fn transaction_by_source(
    db: &impl ConnectionTrait,
    agg: Uuid,
    source_ref: &str,
) -> Result<Option<ledger_transaction::Model>, DbErr> {
    ledger_transaction::Entity::find()
        .filter(ledger_transaction::Column::AggregatorId.eq(agg))
        .filter(ledger_transaction::Column::SourceRef.eq(source_ref))
        .one(db)
        .await
}

/// Transaction `id` of `agg`.
///
/// # Errors
/// Database failure.
pub async fn transaction(
    db: &impl ConnectionTrait,
    agg: Uuid,
    id: Uuid,
) -> Result<Option<ledger_transaction::Model>, DbErr> {
    ledger_transaction::Entity::find_by_id(id)
        .filter(ledger_transaction::Column::AggregatorId.eq(agg))
        .one(db)
        .await
}

/// Up to `limit` transactions of `agg` matching `cond`, newest first.
///
/// # Errors
/// Database failure.
pub async fn transactions_where(
    db: &impl ConnectionTrait,
    agg: Uuid,
    cond: Condition,
    limit: u64,
) -> Result<Vec<ledger_transaction::Model>, DbErr> {
    ledger_transaction::Entity::find()
        .filter(ledger_transaction::Column::AggregatorId.eq(agg))
        .filter(cond)
        .order_by_desc(ledger_transaction::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// The entries of the transactions `ids`.
///
/// # Errors
/// Database failure.
pub async fn entries_of(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = Uuid>,
) -> Result<Vec<ledger_entry::Model>, DbErr> {
    ledger_entry::Entity::find()
        .filter(ledger_entry::Column::TransactionId.is_in(ids))
        .order_by_asc(ledger_entry::Column::Id)
        .all(db)
        .await
}

/// Inserts entries.
///
/// # Errors
/// Database failure (an entry with both or neither side fails its CHECK).
pub async fn insert_entries(
    db: &impl ConnectionTrait,
    rows: Vec<ledger_entry::ActiveModel>,
) -> Result<(), DbErr> {
    if rows.is_empty() {
        return Ok(());
    }
    ledger_entry::Entity::insert_many(rows)
        .exec_without_returning(db)
        .await
        .map(|_| ())
}

/// The account `code`/`subject` of `agg`, created (with `kind`) when it does not exist yet.
///
/// # Errors
/// Database failure.
pub async fn account(
    db: &impl ConnectionTrait,
    agg: Uuid,
    code: &str,
    subject: &str,
    kind: &str,
    now: DateTime<Utc>,
) -> Result<ledger_account::Model, DbErr> {
    let find = || {
        ledger_account::Entity::find()
            .filter(ledger_account::Column::AggregatorId.eq(agg))
            .filter(ledger_account::Column::Code.eq(code))
            .filter(ledger_account::Column::SubjectKey.eq(subject))
    };
    if let Some(a) = find().one(db).await? {
        return Ok(a);
    }
    ledger_account::Entity::insert(ledger_account::ActiveModel {
        id: Set(crate::core::new_id()),
        aggregator_id: Set(agg),
        code: Set(code.to_string()),
        subject_key: Set(subject.to_string()),
        kind: Set(kind.to_string()),
        balance: Set(0),
        created_at: Set(now),
    })
    .on_conflict_do_nothing_on([
        ledger_account::Column::AggregatorId,
        ledger_account::Column::Code,
        ledger_account::Column::SubjectKey,
    ])
    .exec_without_returning(db)
    .await?;
    find()
        .one(db)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("ledger account {code}/{subject}")))
}

/// The account `code`/`subject` of `agg`, if it exists (reads never create accounts).
///
/// # Errors
/// Database failure.
pub async fn find_account(
    db: &impl ConnectionTrait,
    agg: Uuid,
    code: &str,
    subject: &str,
) -> Result<Option<ledger_account::Model>, DbErr> {
    ledger_account::Entity::find()
        .filter(ledger_account::Column::AggregatorId.eq(agg))
        .filter(ledger_account::Column::Code.eq(code))
        .filter(ledger_account::Column::SubjectKey.eq(subject))
        .one(db)
        .await
}

/// The accounts `code` of `agg` for the subjects `subjects`, locked for this transaction on
/// PostgreSQL (a posting that reads a balance to decide a clawback holds it until it commits).
///
/// # Errors
/// Database failure.
pub async fn accounts_locked(
    db: &impl ConnectionTrait,
    agg: Uuid,
    code: &str,
    subjects: Vec<String>,
) -> Result<Vec<ledger_account::Model>, DbErr> {
    let mut q = ledger_account::Entity::find()
        .filter(ledger_account::Column::AggregatorId.eq(agg))
        .filter(ledger_account::Column::Code.eq(code))
        .filter(ledger_account::Column::SubjectKey.is_in(subjects))
        .order_by_asc(ledger_account::Column::Id);
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        q = q.lock_exclusive();
    }
    q.all(db).await
}

/// Adds `delta` (debits minus credits) to account `id`'s balance.
///
/// # Errors
/// Database failure.
pub async fn add_to_balance(db: &impl ConnectionTrait, id: Uuid, delta: i64) -> Result<(), DbErr> {
    ledger_account::Entity::update_many()
        .col_expr(
            ledger_account::Column::Balance,
            Expr::col(ledger_account::Column::Balance).add(delta),
        )
        .filter(ledger_account::Column::Id.eq(id))
        .exec(db)
        .await
        .map(|_| ())
}

/// The accounts of `agg`, by code and subject.
///
/// # Errors
/// Database failure.
pub async fn accounts(
    db: &impl ConnectionTrait,
    agg: Uuid,
) -> Result<Vec<ledger_account::Model>, DbErr> {
    ledger_account::Entity::find()
        .filter(ledger_account::Column::AggregatorId.eq(agg))
        .order_by_asc(ledger_account::Column::Code)
        .order_by_asc(ledger_account::Column::SubjectKey)
        .all(db)
        .await
}

/// Debits and credits summed per account.
#[derive(Debug, Clone, FromQueryResult)]
pub struct AccountSums {
    pub account_id: Uuid,
    pub debit: i64,
    pub credit: i64,
}

/// The entries of `agg` (of period `period` when given) summed per account.
///
/// # Errors
/// Database failure.
pub async fn sums_per_account(
    db: &impl ConnectionTrait,
    agg: Uuid,
    period: Option<Uuid>,
) -> Result<Vec<AccountSums>, DbErr> {
    let mut q = ledger_entry::Entity::find()
        .select_only()
        .column(ledger_entry::Column::AccountId)
        .column_as(Expr::cust("CAST(SUM(debit) AS BIGINT)"), "debit")
        .column_as(Expr::cust("CAST(SUM(credit) AS BIGINT)"), "credit")
        .filter(ledger_entry::Column::AggregatorId.eq(agg))
        .group_by(ledger_entry::Column::AccountId);
    if let Some(p) = period {
        q = q.filter(ledger_entry::Column::PeriodId.eq(p));
    }
    q.into_model::<AccountSums>().all(db).await
}

/// Inserts sale lines.
///
/// # Errors
/// Database failure (a line booked twice fails on its unique key).
pub async fn insert_sale_lines(
    db: &impl ConnectionTrait,
    rows: Vec<sale_line::ActiveModel>,
) -> Result<(), DbErr> {
    if rows.is_empty() {
        return Ok(());
    }
    sale_line::Entity::insert_many(rows)
        .exec_without_returning(db)
        .await
        .map(|_| ())
}

/// The sale lines booked for the order lines `ids`.
///
/// # Errors
/// Database failure.
pub async fn sale_lines_of(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = Uuid>,
) -> Result<Vec<sale_line::Model>, DbErr> {
    sale_line::Entity::find()
        .filter(sale_line::Column::OrderLineId.is_in(ids))
        .all(db)
        .await
}

/// The sale lines of `agg` matching `cond`, oldest first.
///
/// # Errors
/// Database failure.
pub async fn sale_lines_where(
    db: &impl ConnectionTrait,
    agg: Uuid,
    cond: Condition,
) -> Result<Vec<sale_line::Model>, DbErr> {
    sale_line::Entity::find()
        .filter(sale_line::Column::AggregatorId.eq(agg))
        .filter(cond)
        .order_by_asc(sale_line::Column::Id)
        .all(db)
        .await
}

/// Inserts fee charges.
///
/// # Errors
/// Database failure.
pub async fn insert_charges(
    db: &impl ConnectionTrait,
    rows: Vec<fee_charge::ActiveModel>,
) -> Result<(), DbErr> {
    if rows.is_empty() {
        return Ok(());
    }
    fee_charge::Entity::insert_many(rows)
        .exec_without_returning(db)
        .await
        .map(|_| ())
}

/// The fee charges of `agg` matching `cond`, oldest first.
///
/// # Errors
/// Database failure.
pub async fn charges_where(
    db: &impl ConnectionTrait,
    agg: Uuid,
    cond: Condition,
) -> Result<Vec<fee_charge::Model>, DbErr> {
    fee_charge::Entity::find()
        .filter(fee_charge::Column::AggregatorId.eq(agg))
        .filter(cond)
        .order_by_asc(fee_charge::Column::Id)
        .all(db)
        .await
}

/// Inserts return rows.
///
/// # Errors
/// Database failure (a return booked twice fails on its unique key).
pub async fn insert_sale_returns(
    db: &impl ConnectionTrait,
    rows: Vec<entity::sale_return::ActiveModel>,
) -> Result<(), DbErr> {
    if rows.is_empty() {
        return Ok(());
    }
    entity::sale_return::Entity::insert_many(rows)
        .exec_without_returning(db)
        .await
        .map(|_| ())
}

/// The return rows of `agg` matching `cond`, oldest first.
///
/// # Errors
/// Database failure.
pub async fn sale_returns_where(
    db: &impl ConnectionTrait,
    agg: Uuid,
    cond: Condition,
) -> Result<Vec<entity::sale_return::Model>, DbErr> {
    entity::sale_return::Entity::find()
        .filter(entity::sale_return::Column::AggregatorId.eq(agg))
        .filter(cond)
        .order_by_asc(entity::sale_return::Column::Id)
        .all(db)
        .await
}

/// The producers with an entry in period `period` of `agg`.
///
/// # Errors
/// Database failure.
pub async fn producers_in_period(
    db: &impl ConnectionTrait,
    agg: Uuid,
    period: Uuid,
) -> Result<Vec<Uuid>, DbErr> {
    ledger_entry::Entity::find()
        .select_only()
        .column(ledger_entry::Column::ProducerId)
        .filter(ledger_entry::Column::AggregatorId.eq(agg))
        .filter(ledger_entry::Column::PeriodId.eq(period))
        .filter(ledger_entry::Column::ProducerId.is_not_null())
        .distinct()
        .into_tuple::<Option<Uuid>>()
        .all(db)
        .await
        .map(|v| v.into_iter().flatten().collect())
}

/// Debits minus credits of account `account` of `agg` over the periods `periods`.
///
/// # Errors
/// Database failure.
pub async fn account_movement(
    db: &impl ConnectionTrait,
    agg: Uuid,
    account: Uuid,
    periods: Vec<Uuid>,
) -> Result<i64, DbErr> {
    if periods.is_empty() {
        return Ok(0);
    }
    let row: Option<(Option<i64>, Option<i64>)> = ledger_entry::Entity::find()
        .select_only()
        .column_as(Expr::cust("CAST(SUM(debit) AS BIGINT)"), "debit")
        .column_as(Expr::cust("CAST(SUM(credit) AS BIGINT)"), "credit")
        .filter(ledger_entry::Column::AggregatorId.eq(agg))
        .filter(ledger_entry::Column::AccountId.eq(account))
        .filter(ledger_entry::Column::PeriodId.is_in(periods))
        .into_tuple()
        .one(db)
        .await?;
    Ok(row.map_or(0, |(d, c)| d.unwrap_or(0) - c.unwrap_or(0)))
}

/// Closes open period `id`: `false` when it was not open.
///
/// # Errors
/// Database failure.
pub async fn close_period(
    db: &impl ConnectionTrait,
    id: Uuid,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    Ok(settlement_period::Entity::update_many()
        .col_expr(settlement_period::Column::Status, Expr::value("closed"))
        .col_expr(settlement_period::Column::ClosedAt, Expr::value(Some(now)))
        .col_expr(settlement_period::Column::ClosedBy, Expr::value(Some(by)))
        .filter(settlement_period::Column::Id.eq(id))
        .filter(settlement_period::Column::Status.eq("open"))
        .exec(db)
        .await?
        .rows_affected
        == 1)
}

/// Inserts statements.
///
/// # Errors
/// Database failure.
pub async fn insert_statements(
    db: &impl ConnectionTrait,
    rows: Vec<entity::statement::ActiveModel>,
) -> Result<(), DbErr> {
    if rows.is_empty() {
        return Ok(());
    }
    entity::statement::Entity::insert_many(rows)
        .exec_without_returning(db)
        .await
        .map(|_| ())
}

/// The statements of `agg` matching `cond`, by number.
///
/// # Errors
/// Database failure.
/// Statement `id` (any tenant: for the jobs that carry its id).
///
/// # Errors
/// Database failure.
pub async fn statement_by_id(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<entity::statement::Model>, DbErr> {
    entity::statement::Entity::find_by_id(id).one(db).await
}

/// The ids and numbers of period `period`'s statements (any tenant: for the close's job).
///
/// # Errors
/// Database failure.
pub async fn statement_ids_of_period(
    db: &impl ConnectionTrait,
    period: Uuid,
) -> Result<Vec<(Uuid, String)>, DbErr> {
    entity::statement::Entity::find()
        .select_only()
        .column(entity::statement::Column::Id)
        .column(entity::statement::Column::Number)
        .filter(entity::statement::Column::PeriodId.eq(period))
        .into_tuple()
        .all(db)
        .await
}

/// Records the PDF kept for statement `id`.
///
/// # Errors
/// Database failure.
pub async fn set_statement_pdf(
    db: &impl ConnectionTrait,
    id: Uuid,
    key: &str,
    sha256: &str,
    locale: &str,
) -> Result<(), DbErr> {
    entity::statement::Entity::update_many()
        .col_expr(entity::statement::Column::PdfKey, Expr::value(key))
        .col_expr(entity::statement::Column::PdfSha256, Expr::value(sha256))
        .col_expr(entity::statement::Column::PdfLocale, Expr::value(locale))
        .filter(entity::statement::Column::Id.eq(id))
        .exec(db)
        .await
        .map(|_| ())
}

pub async fn statements_where(
    db: &impl ConnectionTrait,
    agg: Uuid,
    cond: Condition,
) -> Result<Vec<entity::statement::Model>, DbErr> {
    entity::statement::Entity::find()
        .filter(entity::statement::Column::AggregatorId.eq(agg))
        .filter(cond)
        .order_by_desc(entity::statement::Column::Number)
        .limit(500)
        .all(db)
        .await
}

/// The bank profile of `agg`.
///
/// # Errors
/// Database failure.
pub async fn bank_profile(
    db: &impl ConnectionTrait,
    agg: Uuid,
) -> Result<Option<bank_profile::Model>, DbErr> {
    bank_profile::Entity::find_by_id(agg).one(db).await
}

/// Writes the bank profile of its aggregator (inserting or replacing it).
///
/// # Errors
/// Database failure.
pub async fn save_bank_profile(
    db: &impl ConnectionTrait,
    row: bank_profile::ActiveModel,
    exists: bool,
) -> Result<bank_profile::Model, DbErr> {
    if exists {
        row.update(db).await
    } else {
        row.insert(db).await
    }
}

/// The holds of `agg` (only those not released when `active`), newest first.
///
/// # Errors
/// Database failure.
pub async fn holds(
    db: &impl ConnectionTrait,
    agg: Uuid,
    active: bool,
) -> Result<Vec<payout_hold::Model>, DbErr> {
    let mut q = payout_hold::Entity::find().filter(payout_hold::Column::AggregatorId.eq(agg));
    if active {
        q = q.filter(payout_hold::Column::ReleasedAt.is_null());
    }
    q.order_by_desc(payout_hold::Column::CreatedAt)
        .order_by_desc(payout_hold::Column::Id)
        .limit(1_000)
        .all(db)
        .await
}

/// Inserts a hold.
///
/// # Errors
/// Database failure.
pub async fn insert_hold(
    db: &impl ConnectionTrait,
    row: payout_hold::ActiveModel,
) -> Result<payout_hold::Model, DbErr> {
    row.insert(db).await
}

/// Releases active hold `id` of `agg`: `false` when there is none.
///
/// # Errors
/// Database failure.
pub async fn release_hold(
    db: &impl ConnectionTrait,
    agg: Uuid,
    id: Uuid,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let n = crate::db::update_where::<payout_hold::Entity>(
        db,
        vec![
            (payout_hold::Column::ReleasedBy, Expr::value(by)),
            (payout_hold::Column::ReleasedAt, Expr::value(now)),
        ],
        Condition::all()
            .add(payout_hold::Column::AggregatorId.eq(agg))
            .add(payout_hold::Column::Id.eq(id))
            .add(payout_hold::Column::ReleasedAt.is_null()),
    )
    .await?;
    Ok(n == 1)
}

/// The next payout-run number of `agg`.
///
/// # Errors
/// Database failure.
pub async fn next_run_number(db: &impl ConnectionTrait, agg: Uuid) -> Result<i32, DbErr> {
    let max: Option<Option<i32>> = payout_run::Entity::find()
        .select_only()
        .column_as(payout_run::Column::Number.max(), "max")
        .filter(payout_run::Column::AggregatorId.eq(agg))
        .into_tuple()
        .one(db)
        .await?;
    Ok(max.flatten().unwrap_or(0) + 1)
}

/// Inserts a payout run.
///
/// # Errors
/// Database failure (a taken number fails on its unique key).
pub async fn insert_run(
    db: &impl ConnectionTrait,
    row: payout_run::ActiveModel,
) -> Result<payout_run::Model, DbErr> {
    row.insert(db).await
}

/// Payout run `id` of `agg`.
///
/// # Errors
/// Database failure.
pub async fn run(
    db: &impl ConnectionTrait,
    agg: Uuid,
    id: Uuid,
) -> Result<Option<payout_run::Model>, DbErr> {
    payout_run::Entity::find_by_id(id)
        .filter(payout_run::Column::AggregatorId.eq(agg))
        .one(db)
        .await
}

/// The payout runs of `agg`, newest first.
///
/// # Errors
/// Database failure.
pub async fn runs(
    db: &impl ConnectionTrait,
    agg: Uuid,
    limit: u64,
) -> Result<Vec<payout_run::Model>, DbErr> {
    payout_run::Entity::find()
        .filter(payout_run::Column::AggregatorId.eq(agg))
        .order_by_desc(payout_run::Column::Number)
        .limit(limit)
        .all(db)
        .await
}

/// Runs of `agg` with the ids `ids`.
///
/// # Errors
/// Database failure.
pub async fn runs_by_id(
    db: &impl ConnectionTrait,
    agg: Uuid,
    ids: Vec<Uuid>,
) -> Result<Vec<payout_run::Model>, DbErr> {
    payout_run::Entity::find()
        .filter(payout_run::Column::AggregatorId.eq(agg))
        .filter(payout_run::Column::Id.is_in(ids))
        .all(db)
        .await
}

/// Moves run `id` from one of `from` to `sets` (a status and its stamps): `false` when it was
/// in none of them (a concurrent move won).
///
/// # Errors
/// Database failure.
pub async fn move_run(
    db: &impl ConnectionTrait,
    id: Uuid,
    from: &[&str],
    sets: Vec<(payout_run::Column, sea_orm::sea_query::SimpleExpr)>,
) -> Result<bool, DbErr> {
    let n = crate::db::update_where::<payout_run::Entity>(
        db,
        sets,
        Condition::all()
            .add(payout_run::Column::Id.eq(id))
            .add(payout_run::Column::Status.is_in(from.iter().copied())),
    )
    .await?;
    Ok(n == 1)
}

/// Inserts payouts.
///
/// # Errors
/// Database failure.
pub async fn insert_payouts(
    db: &impl ConnectionTrait,
    rows: Vec<payout::ActiveModel>,
) -> Result<(), DbErr> {
    for chunk in rows.chunks(200) {
        payout::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// The payouts of `agg` matching `cond`, by customer code.
///
/// # Errors
/// Database failure.
pub async fn payouts_where(
    db: &impl ConnectionTrait,
    agg: Uuid,
    cond: Condition,
    limit: u64,
) -> Result<Vec<payout::Model>, DbErr> {
    payout::Entity::find()
        .filter(payout::Column::AggregatorId.eq(agg))
        .filter(cond)
        .order_by_asc(payout::Column::CustomerCode)
        .limit(limit)
        .all(db)
        .await
}

/// Settles pending payout `id` (`paid`, `failed` or `released`) with its transaction and the
/// bank's result: `false` when it was no longer pending.
///
/// # Errors
/// Database failure.
pub async fn settle_payout(
    db: &impl ConnectionTrait,
    id: Uuid,
    sets: Vec<(payout::Column, sea_orm::sea_query::SimpleExpr)>,
) -> Result<bool, DbErr> {
    let n = crate::db::update_where::<payout::Entity>(
        db,
        sets,
        Condition::all()
            .add(payout::Column::Id.eq(id))
            .add(payout::Column::Status.eq("pending")),
    )
    .await?;
    Ok(n == 1)
}

/// The accounts `code` of `agg`.
///
/// # Errors
/// Database failure.
pub async fn accounts_with_code(
    db: &impl ConnectionTrait,
    agg: Uuid,
    code: &str,
) -> Result<Vec<ledger_account::Model>, DbErr> {
    ledger_account::Entity::find()
        .filter(ledger_account::Column::AggregatorId.eq(agg))
        .filter(ledger_account::Column::Code.eq(code))
        .all(db)
        .await
}

/// Debits minus credits per account of `accounts` over the periods `periods`.
///
/// # Errors
/// Database failure.
pub async fn movements(
    db: &impl ConnectionTrait,
    agg: Uuid,
    accounts: Vec<Uuid>,
    periods: Vec<Uuid>,
) -> Result<std::collections::HashMap<Uuid, i64>, DbErr> {
    let mut out = std::collections::HashMap::new();
    if accounts.is_empty() || periods.is_empty() {
        return Ok(out);
    }
    for chunk in accounts.chunks(500) {
        let rows: Vec<AccountSums> = ledger_entry::Entity::find()
            .select_only()
            .column(ledger_entry::Column::AccountId)
            .column_as(Expr::cust("CAST(SUM(debit) AS BIGINT)"), "debit")
            .column_as(Expr::cust("CAST(SUM(credit) AS BIGINT)"), "credit")
            .filter(ledger_entry::Column::AggregatorId.eq(agg))
            .filter(ledger_entry::Column::AccountId.is_in(chunk.to_vec()))
            .filter(ledger_entry::Column::PeriodId.is_in(periods.clone()))
            .group_by(ledger_entry::Column::AccountId)
            .into_model::<AccountSums>()
            .all(db)
            .await?;
        for r in rows {
            out.insert(r.account_id, r.debit - r.credit);
        }
    }
    Ok(out)
}

/// One period's movement of an account, split by the kind of transaction.
#[derive(Debug, Clone, FromQueryResult)]
pub struct KindSums {
    pub period_id: Uuid,
    pub kind: String,
    pub debit: i64,
    pub credit: i64,
}

/// The entries of account `account` of `agg` summed per period and transaction kind.
///
/// # Errors
/// Database failure.
pub async fn account_by_period_and_kind(
    db: &impl ConnectionTrait,
    agg: Uuid,
    account: Uuid,
) -> Result<Vec<KindSums>, DbErr> {
    let backend = db.get_database_backend();
    let sql = "SELECT e.period_id AS period_id, t.kind AS kind, \
               CAST(SUM(e.debit) AS BIGINT) AS debit, CAST(SUM(e.credit) AS BIGINT) AS credit \
               FROM ledger_entry e JOIN ledger_transaction t ON t.id = e.transaction_id \
               WHERE e.aggregator_id = $1 AND e.account_id = $2 \
               GROUP BY e.period_id, t.kind";
    KindSums::find_by_statement(sea_orm::Statement::from_sql_and_values(
        backend,
        crate::db::sql_for(backend, sql),
        [agg.into(), account.into()],
    ))
    .all(db)
    .await
}

/// Keeps a loss for the statement (one per adjustment: a replay writes nothing).
///
/// # Errors
/// Database failure.
pub async fn insert_stock_loss(
    db: &impl ConnectionTrait,
    row: entity::stock_loss::ActiveModel,
) -> Result<(), DbErr> {
    entity::stock_loss::Entity::insert(row)
        .on_conflict_do_nothing_on([entity::stock_loss::Column::AdjustmentId])
        .exec_without_returning(db)
        .await
        .map(|_| ())
}

/// The losses of `agg` matching `cond`, oldest first.
///
/// # Errors
/// Database failure.
pub async fn stock_losses_where(
    db: &impl ConnectionTrait,
    agg: Uuid,
    cond: Condition,
) -> Result<Vec<entity::stock_loss::Model>, DbErr> {
    entity::stock_loss::Entity::find()
        .filter(entity::stock_loss::Column::AggregatorId.eq(agg))
        .filter(cond)
        .order_by_asc(entity::stock_loss::Column::LostOn)
        .order_by_asc(entity::stock_loss::Column::Id)
        .all(db)
        .await
}

/// Marks transaction `id` as the reversal of `reverses`.
///
/// # Errors
/// Database failure.
pub async fn set_reverses(
    db: &impl ConnectionTrait,
    id: Uuid,
    reverses: Uuid,
) -> Result<(), DbErr> {
    crate::db::update_where::<ledger_transaction::Entity>(
        db,
        vec![(
            ledger_transaction::Column::ReversesId,
            Expr::value(reverses),
        )],
        Condition::all().add(ledger_transaction::Column::Id.eq(id)),
    )
    .await
    .map(|_| ())
}

/// What channel order `order_id`'s channel reported it kept.
///
/// # Errors
/// Database failure.
pub async fn fee_actual(
    db: &impl ConnectionTrait,
    agg: Uuid,
    order_id: Uuid,
) -> Result<Option<entity::channel_fee_actual::Model>, DbErr> {
    entity::channel_fee_actual::Entity::find()
        .filter(entity::channel_fee_actual::Column::AggregatorId.eq(agg))
        .filter(entity::channel_fee_actual::Column::OrderId.eq(order_id))
        .one(db)
        .await
}

/// Keeps a first report of an order's channel fee.
///
/// # Errors
/// Database failure.
pub async fn insert_fee_actual(
    db: &impl ConnectionTrait,
    row: entity::channel_fee_actual::ActiveModel,
) -> Result<(), DbErr> {
    entity::channel_fee_actual::Entity::insert(row)
        .exec_without_returning(db)
        .await
        .map(|_| ())
}

/// Records a newer report of the fee.
///
/// # Errors
/// Database failure.
pub async fn set_fee_actual(
    db: &impl ConnectionTrait,
    id: Uuid,
    reported: i64,
    source: &str,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    use entity::channel_fee_actual::{Column, Entity};
    Entity::update_many()
        .col_expr(Column::Reported, Expr::value(reported))
        .col_expr(Column::Source, Expr::value(source))
        .col_expr(Column::ReportedAt, Expr::value(at))
        .col_expr(Column::UpdatedAt, Expr::value(at))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await
        .map(|_| ())
}

/// Records that the ledger now holds `booked` of the fee (correction `revision`).
///
/// # Errors
/// Database failure.
pub async fn book_fee_actual(
    db: &impl ConnectionTrait,
    id: Uuid,
    booked: i64,
    revision: i32,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    use entity::channel_fee_actual::{Column, Entity};
    Entity::update_many()
        .col_expr(Column::Booked, Expr::value(booked))
        .col_expr(Column::Revision, Expr::value(revision))
        .col_expr(Column::UpdatedAt, Expr::value(at))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await
        .map(|_| ())
}
