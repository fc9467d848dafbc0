//! Request and response bodies of the money API.
use chrono::{DateTime, NaiveDate, Utc};
use entity::{community_fund, fee_rule, ledger_account, ledger_entry, ledger_transaction};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// A fee rule as typed (a new rule, or the next version of one).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeeRuleInput {
    /// `commission`, `payment_fee`, `channel_fee`, `packing`, `cool_chain`, `storage` (per
    /// lot-day, booked at close), `inbound_handling` (per shipment line or unit received) or
    /// `fund_share`.
    pub fee_type: String,
    /// Order among the rules of its fee type: the first that matches a sale applies.
    pub position: i32,
    pub producer_id: Option<Uuid>,
    /// A category code: the rule applies to products of it and of its subcategories.
    pub category_code: Option<String>,
    /// `any` (default), `shop` or `channel` (with `channel_id`: one account).
    pub channel_scope: Option<String>,
    pub channel_id: Option<Uuid>,
    /// `card`, `bank_transfer`, `cash_on_delivery` or `marketplace`.
    pub payment_method: Option<String>,
    /// Unit price band, yen tax included.
    pub price_min: Option<i64>,
    pub price_max: Option<i64>,
    /// `percent` (with `rate_bp`), `per_item`, `per_order`, `per_parcel`, `per_lot_day` or
    /// `per_line` (with `fixed_yen`).
    pub basis: String,
    /// Basis points of the tax-included amount (1,000 = 10 %), rounded down.
    pub rate_bp: Option<i32>,
    /// Yen, tax included.
    pub fixed_yen: Option<i64>,
    pub floor_yen: Option<i64>,
    pub cap_yen: Option<i64>,
    /// Fund shares: the fund it goes to and who bears it (`aggregator` or `producer`).
    pub fund_id: Option<Uuid>,
    pub bearer: Option<String>,
    /// First day it applies (JST; today when absent).
    pub effective_from: Option<NaiveDate>,
    /// Last day it applies (open-ended when absent).
    pub effective_to: Option<NaiveDate>,
}

/// One version of a fee rule.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FeeRuleView {
    pub id: Uuid,
    pub version: i32,
    pub fee_type: String,
    pub position: i32,
    pub producer_id: Option<Uuid>,
    pub category_code: Option<String>,
    pub channel_scope: String,
    pub channel_id: Option<Uuid>,
    pub payment_method: Option<String>,
    pub price_min: Option<i64>,
    pub price_max: Option<i64>,
    pub basis: String,
    pub rate_bp: Option<i32>,
    pub fixed_yen: Option<i64>,
    pub floor_yen: Option<i64>,
    pub cap_yen: Option<i64>,
    pub fund_id: Option<Uuid>,
    pub bearer: Option<String>,
    pub effective_from: NaiveDate,
    pub effective_to: Option<NaiveDate>,
    /// The version this one replaced.
    pub supersedes_id: Option<Uuid>,
    /// The version that replaced this one, if any.
    pub superseded_by: Option<Uuid>,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub retired_at: Option<DateTime<Utc>>,
}

impl FeeRuleView {
    pub fn of(r: fee_rule::Model, superseded_by: Option<Uuid>) -> Self {
        Self {
            id: r.id,
            version: r.version,
            fee_type: r.fee_type,
            position: r.position,
            producer_id: r.producer_id,
            category_code: r.category_code,
            channel_scope: r.channel_scope,
            channel_id: r.channel_id,
            payment_method: r.payment_method,
            price_min: r.price_min,
            price_max: r.price_max,
            basis: r.basis,
            rate_bp: r.rate_bp,
            fixed_yen: r.fixed_yen,
            floor_yen: r.floor_yen,
            cap_yen: r.cap_yen,
            fund_id: r.fund_id,
            bearer: r.bearer,
            effective_from: r.effective_from,
            effective_to: r.effective_to,
            supersedes_id: r.supersedes_id,
            superseded_by,
            created_by: r.created_by,
            created_at: r.created_at,
            retired_at: r.retired_at,
        }
    }
}

/// Fee rules.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FeeRuleList {
    pub items: Vec<FeeRuleView>,
}

/// A rule with every version of it, oldest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FeeRuleHistory {
    pub rule: FeeRuleView,
    pub versions: Vec<FeeRuleView>,
}

/// Filters of the fee-rule list.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct FeeRuleQuery {
    pub fee_type: Option<String>,
    /// Every version, not only each rule's newest.
    pub history: Option<bool>,
}

/// When a rule stops applying.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RetireInput {
    /// Last day it applies (JST; yesterday when absent, so no sale from today on uses it).
    pub last_day: Option<NaiveDate>,
}

/// A community fund as typed.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FundInput {
    pub name_ja: String,
    pub name_en: Option<String>,
    /// The account the fund's payouts go to (needed before a payout run can pay it).
    pub bank: Option<FundBank>,
}

/// A community fund's bank account (holder name in the kana the bank has).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FundBank {
    pub bank_code: String,
    pub branch_code: String,
    /// `ordinary`, `current` or `savings`.
    pub account_type: String,
    pub account_number: String,
    pub holder_kana: String,
}

/// A community fund.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FundView {
    pub id: Uuid,
    pub name_ja: String,
    pub name_en: String,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub bank: Option<FundBank>,
}

impl From<community_fund::Model> for FundView {
    fn from(f: community_fund::Model) -> Self {
        let bank = match (
            f.bank_code,
            f.branch_code,
            f.account_type,
            f.account_number,
            f.account_holder_kana,
        ) {
            (
                Some(bank_code),
                Some(branch_code),
                Some(account_type),
                Some(account_number),
                Some(holder_kana),
            ) => Some(FundBank {
                bank_code,
                branch_code,
                account_type,
                account_number,
                holder_kana,
            }),
            _ => None,
        };
        Self {
            id: f.id,
            name_ja: f.name_ja,
            name_en: f.name_en,
            active: f.active,
            created_at: f.created_at,
            bank,
        }
    }
}

/// Community funds.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FundList {
    pub items: Vec<FundView>,
}

/// One account with what a period (or all time) moved on it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AccountLine {
    pub id: Uuid,
    pub code: String,
    /// The producer, fund, carrier or channel it is kept for (empty for none).
    pub subject: String,
    /// `asset`, `liability`, `revenue` or `expense`.
    pub kind: String,
    pub debit: i64,
    pub credit: i64,
    /// Debits minus credits over the same span.
    pub net: i64,
    /// The account's balance now (debits minus credits, all time).
    pub balance: i64,
}

impl AccountLine {
    pub fn of(a: ledger_account::Model, debit: i64, credit: i64) -> Self {
        Self {
            id: a.id,
            code: a.code,
            subject: a.subject_key,
            kind: a.kind,
            debit,
            credit,
            net: debit - credit,
            balance: a.balance,
        }
    }
}

/// The trial balance: every account with its debits and credits; the totals are equal.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TrialBalance {
    pub period_id: Option<Uuid>,
    pub accounts: Vec<AccountLine>,
    pub total_debit: i64,
    pub total_credit: i64,
    pub balanced: bool,
}

/// Which span a ledger report covers.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PeriodQuery {
    /// A settlement period (all time when absent).
    pub period_id: Option<Uuid>,
}

/// One settlement period.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PeriodView {
    pub id: Uuid,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// `open` or `closed`.
    pub status: String,
    pub closed_at: Option<DateTime<Utc>>,
}

impl From<entity::settlement_period::Model> for PeriodView {
    fn from(p: entity::settlement_period::Model) -> Self {
        Self {
            id: p.id,
            starts_on: p.starts_on,
            ends_on: p.ends_on,
            status: p.status,
            closed_at: p.closed_at,
        }
    }
}

/// Settlement periods, newest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PeriodList {
    pub items: Vec<PeriodView>,
}

/// One side of a transaction on one account.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EntryView {
    pub account_id: Uuid,
    pub code: String,
    pub subject: String,
    pub producer_id: Option<Uuid>,
    pub debit: i64,
    pub credit: i64,
}

/// A ledger transaction with its entries.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TransactionView {
    pub id: Uuid,
    pub kind: String,
    pub source_ref: String,
    pub occurred_on: NaiveDate,
    pub period_id: Uuid,
    pub order_id: Option<Uuid>,
    pub producer_id: Option<Uuid>,
    pub reverses_id: Option<Uuid>,
    pub memo: String,
    pub created_at: DateTime<Utc>,
    pub entries: Vec<EntryView>,
}

impl TransactionView {
    pub fn of(
        t: ledger_transaction::Model,
        entries: &[ledger_entry::Model],
        accounts: &std::collections::HashMap<Uuid, ledger_account::Model>,
    ) -> Self {
        Self {
            entries: entries
                .iter()
                .filter(|e| e.transaction_id == t.id)
                .map(|e| {
                    let a = accounts.get(&e.account_id);
                    EntryView {
                        account_id: e.account_id,
                        code: a.map(|a| a.code.clone()).unwrap_or_default(),
                        subject: a.map(|a| a.subject_key.clone()).unwrap_or_default(),
                        producer_id: e.producer_id,
                        debit: e.debit,
                        credit: e.credit,
                    }
                })
                .collect(),
            id: t.id,
            kind: t.kind,
            source_ref: t.source_ref,
            occurred_on: t.occurred_on,
            period_id: t.period_id,
            order_id: t.order_id,
            producer_id: t.producer_id,
            reverses_id: t.reverses_id,
            memo: t.memo,
            created_at: t.created_at,
        }
    }
}

/// Ledger transactions, newest first, with the cursor of the next page.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TransactionList {
    pub items: Vec<TransactionView>,
    pub next_cursor: Option<String>,
}

/// Filters of the transaction list.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct TransactionQuery {
    pub order_id: Option<Uuid>,
    pub producer_id: Option<Uuid>,
    pub period_id: Option<Uuid>,
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

/// The aggregator's bank profile for Zengin files (finance and admins).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BankProfileInput {
    /// 依頼人コード from the bank (up to 10 digits).
    pub requester_code: String,
    /// 依頼人名 in kana as the bank has it (40 bytes of Zengin kana at most).
    pub requester_name: String,
    pub bank_code: String,
    pub bank_name: Option<String>,
    pub branch_code: String,
    pub branch_name: Option<String>,
    /// `ordinary`, `current` or `other`.
    pub account_type: String,
    pub account_number: String,
    /// `crlf` (the default) or `none`.
    pub line_break: Option<String>,
    /// `telegraphic` (電信, the default) or `document` (文書).
    pub transfer_kind: Option<String>,
    /// Payables below this carry over (yen, default 1).
    pub minimum_payout: Option<i64>,
    /// The layout of the bank's result CSV.
    pub result: Option<ResultLayout>,
}

/// How a bank's result file is read.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResultLayout {
    /// `shift_jis` (the default) or `utf-8`.
    pub encoding: Option<String>,
    /// The first line is a header (default true).
    pub has_header: Option<bool>,
    /// 1-based column of 顧客コード1 (default 1).
    pub code_column: Option<i16>,
    /// 1-based column of the result (default 2).
    pub status_column: Option<i16>,
    /// Result values that mean paid (default `["0"]`); any other value is a failure.
    pub paid_values: Option<Vec<String>>,
}

/// A bank profile.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BankProfileView {
    pub requester_code: String,
    pub requester_name: String,
    pub bank_code: String,
    pub bank_name: String,
    pub branch_code: String,
    pub branch_name: String,
    pub account_type: String,
    pub account_number: String,
    pub line_break: String,
    pub transfer_kind: String,
    pub minimum_payout: i64,
    pub result: ResultLayout,
    pub updated_at: DateTime<Utc>,
}

/// A hold on a producer's payouts.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HoldInput {
    pub producer_id: Uuid,
    /// Why (shown to finance).
    pub note: String,
}

/// A payout hold.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HoldView {
    pub id: Uuid,
    pub producer_id: Uuid,
    /// `dispute` or `transfer_failed`.
    pub reason: String,
    pub note: String,
    pub created_at: DateTime<Utc>,
    pub released_at: Option<DateTime<Utc>>,
}

/// Holds.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HoldList {
    pub items: Vec<HoldView>,
}

/// What to prepare a payout run for.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PrepareInput {
    /// A closed period: what its statements left payable is paid.
    pub period_id: Uuid,
    /// The day the bank is to transfer (振込指定日); a bank holiday moves to the next business day.
    pub transfer_date: NaiveDate,
}

/// The second person's approval.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApproveInput {
    /// The approver's own password, entered again.
    pub password: String,
}

/// One payout.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PayoutView {
    pub id: Uuid,
    pub run_id: Uuid,
    /// `producer`, `fund` or `refund` (to a buyer).
    pub kind: String,
    pub producer_id: Option<Uuid>,
    pub fund_id: Option<Uuid>,
    /// A refund: the order it pays back.
    pub order_id: Option<Uuid>,
    pub amount: i64,
    pub bank_code: String,
    pub branch_code: String,
    pub account_type: String,
    pub account_number: String,
    pub payee: String,
    pub customer_code: String,
    /// `pending`, `paid`, `failed` or `released`.
    pub status: String,
    pub result_code: Option<String>,
    pub result_at: Option<DateTime<Utc>>,
    /// The run's 振込指定日.
    pub transfer_date: Option<NaiveDate>,
    /// The period whose statement this pays.
    pub period_id: Option<Uuid>,
    /// The statement it pays (producers).
    pub statement_id: Option<Uuid>,
}

/// A payee the run left out, and why.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Skipped {
    pub producer_id: Option<Uuid>,
    pub fund_id: Option<Uuid>,
    /// A refund owed on this order.
    pub order_id: Option<Uuid>,
    pub amount: i64,
    /// `held`, `bank_change_pending`, `below_minimum` (carried over), `no_bank_account` or
    /// `bank_account_invalid`.
    pub reason: String,
}

/// A payout run.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RunView {
    pub id: Uuid,
    pub number: i32,
    pub period_id: Uuid,
    /// `prepared`, `approved`, `exported`, `completed` or `cancelled`.
    pub status: String,
    pub transfer_date: NaiveDate,
    pub payout_count: i32,
    pub total: i64,
    pub prepared_by: Uuid,
    pub prepared_at: DateTime<Utc>,
    pub approved_by: Option<Uuid>,
    pub approved_at: Option<DateTime<Utc>>,
    pub exported_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub file_name: Option<String>,
    pub file_sha256: Option<String>,
}

/// A run with its payouts (and, right after preparing it, who was left out).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RunDetail {
    pub run: RunView,
    pub payouts: Vec<PayoutView>,
    /// When prepared: the payees left out.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<Skipped>,
    /// When prepared: the requested 振込指定日 if a bank holiday moved it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transfer_date_requested: Option<NaiveDate>,
}

/// Payout runs.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RunList {
    pub items: Vec<RunView>,
}

/// Payouts.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PayoutList {
    pub items: Vec<PayoutView>,
}

/// A result line that disagreed with what was already recorded (not applied).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ResultConflict {
    pub customer_code: String,
    pub recorded: String,
    pub in_file: String,
}

/// What importing a bank result file did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ResultSummary {
    pub paid: usize,
    pub failed: usize,
    /// Lines already recorded with the same outcome (a re-import changes nothing).
    pub unchanged: usize,
    pub conflicts: Vec<ResultConflict>,
    /// The run's status afterwards.
    pub run_status: String,
}
