//! Payout runs (DESIGN.md §5, DOMAIN-JP.md §2): finance pays what each closed period left
//! payable — to producers and community funds — by a Zengin 総合振込 file, and nobody is ever
//! paid twice.
//!
//! - **Prepare** (one finance user, one write transaction): for a closed period, each payee's
//!   due is its payable through that period less the live payouts booked after it, capped by
//!   what it is owed now. Producers on hold, with a bank-account change waiting for approval,
//!   without a usable account, or below the bank profile's minimum (carried over) are left
//!   out and listed. Each payout is one ledger transaction, payable → payouts in transit, so
//!   a second run finds nothing left to pay; each gets a 顧客コード1 unique in the tenant.
//! - **Approve**: a different finance user, with their password again.
//! - **Export**: the file is written once, its bytes and SHA-256 kept; every later download
//!   returns those bytes and is audit-logged as a re-download. An exported run can no longer
//!   be cancelled and its payouts never join another run.
//! - **Cancel** (before export): each payout is reversed back to the payable.
//! - **Bank results**: the bank's CSV (layout per bank profile) is matched on 顧客コード1; a paid
//!   line moves the money from in transit to the bank, a failed one reverses it to the payable
//!   and holds the producer until its account is fixed. A line already recorded changes
//!   nothing, so importing the same file twice is harmless.
//!
//! Every step commits once; failpoints (`core::failpoint`) sit before and after each commit
//! for the crash test.
use super::{
    domain::{AccountRef, Legs, account},
    dto::*,
    fee_rules::finance,
    ledger::{self, Posted, Posting},
    repo, zengin,
};
use crate::{
    audit::{self, AuditRecord},
    core::{self, csv::CsvEncoding, failpoint},
    db,
    error::{ApiError, ApiResult},
    http::actor::{Actor, Role},
    state::AppState,
};
use entity::{bank_profile, payout, payout_hold, payout_run};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, sea_query::Expr,
};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// Stable codes of refused payout requests.
pub mod code {
    pub const BANK_PROFILE_MISSING: &str = "bank_profile_missing";
    pub const PERIOD_OPEN: &str = "period_open";
    pub const NOTHING_TO_PAY: &str = "nothing_to_pay";
    pub const APPROVER_IS_PREPARER: &str = "approver_is_preparer";
    pub const RUN_NOT_PREPARED: &str = "run_not_prepared";
    pub const RUN_NOT_APPROVED: &str = "run_not_approved";
    pub const RUN_EXPORTED: &str = "run_exported";
    pub const RUN_CANCELLED: &str = "run_cancelled";
    pub const RUN_NOT_EXPORTED: &str = "run_not_exported";
    pub const TRANSFER_DATE_PASSED: &str = "transfer_date_passed";
    pub const HOLD_RELEASED: &str = "hold_released";
    pub const UNKNOWN_CUSTOMER_CODES: &str = "unknown_customer_codes";
}

/// Ledger transaction kinds of payouts.
pub mod kind {
    pub const PAYOUT: &str = "payout";
    pub const RELEASED: &str = "payout_released";
    pub const FAILED: &str = "payout_failed";
    pub const PAID: &str = "payout_paid";
}

/// The clearing account between a payout's approval and the bank's result.
pub const IN_TRANSIT: &str = account::PAYOUTS_IN_TRANSIT;

const PENDING: &str = "pending";

/// "No limit" for the queries of one run (far above any tenant's payees).
const ALL: u64 = 10_000_000;

fn conflict(code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::conflict(code, message)
}

// ---- bank profile ----------------------------------------------------------------------

fn view_profile(p: bank_profile::Model) -> BankProfileView {
    BankProfileView {
        account_type: match p.account_type.as_str() {
            "2" => "current",
            "9" => "other",
            _ => "ordinary",
        }
        .into(),
        transfer_kind: if p.transfer_kind == "8" {
            "document"
        } else {
            "telegraphic"
        }
        .into(),
        result: ResultLayout {
            encoding: Some(p.result_encoding),
            has_header: Some(p.result_has_header),
            code_column: Some(p.result_code_column),
            status_column: Some(p.result_status_column),
            paid_values: Some(
                p.result_paid_values
                    .split(',')
                    .map(ToString::to_string)
                    .collect(),
            ),
        },
        requester_code: p.requester_code,
        requester_name: p.requester_name,
        bank_code: p.bank_code,
        bank_name: p.bank_name,
        branch_code: p.branch_code,
        branch_name: p.branch_name,
        account_number: p.account_number,
        line_break: p.line_break,
        minimum_payout: p.minimum_payout,
        updated_at: p.updated_at,
    }
}

/// The caller's bank profile.
///
/// # Errors
/// 403; 404 when none is set.
pub async fn profile(app: &AppState, actor: &Actor) -> ApiResult<BankProfileView> {
    let agg = finance(actor)?;
    let p = repo::bank_profile(&app.db, agg)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(view_profile(p))
}

/// Digits only, at most `n`, zero-padded to `n`.
fn padded_digits(v: &str, n: usize) -> Option<String> {
    let v = core::jp::to_half_width_ascii(v.trim());
    (!v.is_empty() && v.len() <= n && v.bytes().all(|b| b.is_ascii_digit()))
        .then(|| format!("{v:0>n$}"))
}

/// Zengin kana of at most `n` bytes (every character is one byte).
fn kana_field(v: &str, n: usize, required: bool) -> Result<String, String> {
    if v.trim().is_empty() {
        return if required {
            Err("is required".into())
        } else {
            Ok(String::new())
        };
    }
    let k = core::jp::zengin_kana(v)?;
    if k.chars().count() > n {
        return Err(format!("must be at most {n} half-width characters"));
    }
    Ok(k)
}

/// Sets the caller's bank profile (audit-logged); every bad field at once.
///
/// # Errors
/// 403; 422 naming the fields.
#[tracing::instrument(skip_all)]
pub async fn set_profile(
    app: &AppState,
    actor: &Actor,
    input: BankProfileInput,
) -> ApiResult<BankProfileView> {
    let agg = finance(actor)?;
    let mut errors: Vec<(String, String)> = Vec::new();
    let mut bad = |f: &str, m: String| errors.push((f.to_string(), m));
    let requester_code = padded_digits(&input.requester_code, 10).unwrap_or_else(|| {
        bad("requester_code", "must be up to 10 digits".into());
        String::new()
    });
    let mut kana = |f: &str, v: &str, n: usize, req: bool| {
        kana_field(v, n, req).unwrap_or_else(|m| {
            bad(f, m);
            String::new()
        })
    };
    let requester_name = kana("requester_name", &input.requester_name, 40, true);
    let bank_name = kana(
        "bank_name",
        input.bank_name.as_deref().unwrap_or(""),
        15,
        false,
    );
    let branch_name = kana(
        "branch_name",
        input.branch_name.as_deref().unwrap_or(""),
        15,
        false,
    );
    let mut bad = |f: &str, m: &str| errors.push((f.to_string(), m.to_string()));
    let bank_code = padded_digits(&input.bank_code, 4)
        .filter(|c| c.len() == 4 && input.bank_code.trim().len() == 4)
        .unwrap_or_else(|| {
            bad("bank_code", "must be 4 digits");
            String::new()
        });
    let branch_code = padded_digits(&input.branch_code, 3)
        .filter(|_| input.branch_code.trim().len() == 3)
        .unwrap_or_else(|| {
            bad("branch_code", "must be 3 digits");
            String::new()
        });
    let account_type = match input.account_type.as_str() {
        "ordinary" => "1",
        "current" => "2",
        "other" => "9",
        _ => {
            bad("account_type", "must be ordinary, current or other");
            "1"
        }
    };
    let account_number = padded_digits(&input.account_number, 7).unwrap_or_else(|| {
        bad("account_number", "must be up to 7 digits");
        String::new()
    });
    let line_break = match input.line_break.as_deref().unwrap_or("crlf") {
        l @ ("crlf" | "none") => l.to_string(),
        _ => {
            bad("line_break", "must be crlf or none");
            String::new()
        }
    };
    let transfer_kind = match input.transfer_kind.as_deref().unwrap_or("telegraphic") {
        "telegraphic" => "7",
        "document" => "8",
        _ => {
            bad("transfer_kind", "must be telegraphic or document");
            "7"
        }
    };
    let minimum_payout = input.minimum_payout.unwrap_or(1);
    if !(1..=99_999_999).contains(&minimum_payout) {
        bad("minimum_payout", "must be 1 to 99,999,999 yen");
    }
    let layout = input.result.unwrap_or(ResultLayout {
        encoding: None,
        has_header: None,
        code_column: None,
        status_column: None,
        paid_values: None,
    });
    let result_encoding = match layout.encoding.as_deref().unwrap_or("shift_jis") {
        e @ ("shift_jis" | "utf-8") => e.to_string(),
        _ => {
            bad("result.encoding", "must be shift_jis or utf-8");
            String::new()
        }
    };
    let code_column = layout.code_column.unwrap_or(1);
    let status_column = layout.status_column.unwrap_or(2);
    if !(1..=100).contains(&code_column) {
        bad("result.code_column", "must be 1 to 100");
    }
    if !(1..=100).contains(&status_column) || status_column == code_column {
        bad(
            "result.status_column",
            "must be 1 to 100 and not the code column",
        );
    }
    let paid_values = layout.paid_values.unwrap_or_else(|| vec!["0".into()]);
    let paid_values: Vec<String> = paid_values.iter().map(|v| v.trim().to_string()).collect();
    if paid_values.is_empty()
        || paid_values
            .iter()
            .any(|v| v.is_empty() || v.contains(',') || v.chars().count() > 32)
    {
        bad(
            "result.paid_values",
            "must list 1 or more values of up to 32 characters without commas",
        );
    }
    if !errors.is_empty() {
        return Err(ApiError::invalid(errors));
    }
    let txn = db::begin_write(&app.db).await?;
    let exists = repo::bank_profile(&txn, agg).await?.is_some();
    let saved = repo::save_bank_profile(
        &txn,
        bank_profile::ActiveModel {
            aggregator_id: Set(agg),
            requester_code: Set(requester_code),
            requester_name: Set(requester_name),
            bank_code: Set(bank_code),
            bank_name: Set(bank_name),
            branch_code: Set(branch_code),
            branch_name: Set(branch_name),
            account_type: Set(account_type.into()),
            account_number: Set(account_number),
            line_break: Set(line_break),
            transfer_kind: Set(transfer_kind.into()),
            minimum_payout: Set(minimum_payout),
            result_encoding: Set(result_encoding),
            result_has_header: Set(layout.has_header.unwrap_or(true)),
            result_code_column: Set(code_column),
            result_status_column: Set(status_column),
            result_paid_values: Set(paid_values.join(",")),
            updated_by: Set(actor.user_id),
            updated_at: Set(core::now()),
        },
        exists,
    )
    .await?;
    audit::record(
        &txn,
        AuditRecord {
            aggregator_id: Some(agg),
            actor_user_id: Some(actor.user_id),
            action: "bank_profile_saved",
            subject_type: "bank_profile",
            subject_id: Some(agg.to_string()),
            details: serde_json::json!({
                "bank_code": saved.bank_code,
                "branch_code": saved.branch_code,
                "line_break": saved.line_break,
            }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(view_profile(saved))
}

// ---- holds -----------------------------------------------------------------------------

fn view_hold(h: payout_hold::Model) -> HoldView {
    HoldView {
        id: h.id,
        producer_id: h.producer_id,
        reason: h.reason,
        note: h.note,
        created_at: h.created_at,
        released_at: h.released_at,
    }
}

/// The caller's holds (active ones unless `all`).
///
/// # Errors
/// 403.
pub async fn holds(app: &AppState, actor: &Actor, all: bool) -> ApiResult<Vec<HoldView>> {
    let agg = finance(actor)?;
    Ok(repo::holds(&app.db, agg, !all)
        .await?
        .into_iter()
        .map(view_hold)
        .collect())
}

/// Holds a producer's payouts (a dispute), audit-logged.
///
/// # Errors
/// 403; 422 `producer_id` / `note`.
#[tracing::instrument(skip_all)]
pub async fn hold(app: &AppState, actor: &Actor, input: HoldInput) -> ApiResult<HoldView> {
    let agg = finance(actor)?;
    let note =
        core::validate::text(input.note.trim(), 500).map_err(|m| ApiError::field("note", m))?;
    if note.is_empty() {
        return Err(ApiError::field("note", "is required"));
    }
    let txn = db::begin_write(&app.db).await?;
    let p = crate::producers::repo::producer(&txn, input.producer_id)
        .await?
        .filter(|p| p.aggregator_id == agg)
        .ok_or_else(|| ApiError::field("producer_id", "no such producer"))?;
    let h = insert_hold(&txn, agg, p.id, "dispute", &note, Some(actor.user_id)).await?;
    txn.commit().await?;
    Ok(view_hold(h))
}

async fn insert_hold(
    txn: &DatabaseTransaction,
    agg: Uuid,
    producer: Uuid,
    reason: &str,
    note: &str,
    by: Option<Uuid>,
) -> ApiResult<payout_hold::Model> {
    let h = repo::insert_hold(
        txn,
        payout_hold::ActiveModel {
            id: Set(core::new_id()),
            aggregator_id: Set(agg),
            producer_id: Set(producer),
            reason: Set(reason.into()),
            note: Set(note.into()),
            created_by: Set(by),
            created_at: Set(core::now()),
            released_by: Set(None),
            released_at: Set(None),
        },
    )
    .await?;
    audit::record(
        txn,
        AuditRecord {
            aggregator_id: Some(agg),
            actor_user_id: by,
            action: "payout_hold_placed",
            subject_type: "producer",
            subject_id: Some(producer.to_string()),
            details: serde_json::json!({ "reason": reason, "note": note }),
        },
    )
    .await?;
    Ok(h)
}

/// Releases a hold (audit-logged).
///
/// # Errors
/// 403; 404; 409 `hold_released`.
#[tracing::instrument(skip_all)]
pub async fn release(app: &AppState, actor: &Actor, id: Uuid) -> ApiResult<()> {
    let agg = finance(actor)?;
    let txn = db::begin_write(&app.db).await?;
    if !repo::holds(&txn, agg, false)
        .await?
        .iter()
        .any(|h| h.id == id)
    {
        return Err(ApiError::NotFound);
    }
    if !repo::release_hold(&txn, agg, id, actor.user_id, core::now()).await? {
        return Err(conflict(
            code::HOLD_RELEASED,
            "the hold was released already",
        ));
    }
    audit::record(
        &txn,
        AuditRecord {
            aggregator_id: Some(agg),
            actor_user_id: Some(actor.user_id),
            action: "payout_hold_released",
            subject_type: "payout_hold",
            subject_id: Some(id.to_string()),
            details: serde_json::json!({}),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

// ---- runs ------------------------------------------------------------------------------

fn view_run(r: &payout_run::Model) -> RunView {
    RunView {
        id: r.id,
        number: r.number,
        period_id: r.period_id,
        status: r.status.clone(),
        transfer_date: r.transfer_date,
        payout_count: r.payout_count,
        total: r.total,
        prepared_by: r.prepared_by,
        prepared_at: r.prepared_at,
        approved_by: r.approved_by,
        approved_at: r.approved_at,
        exported_at: r.exported_at,
        cancelled_at: r.cancelled_at,
        file_name: r.file_name.clone(),
        file_sha256: r.file_sha256.clone(),
    }
}

fn view_payout(
    p: payout::Model,
    run: Option<&payout_run::Model>,
    statement: Option<Uuid>,
) -> PayoutView {
    PayoutView {
        id: p.id,
        run_id: p.run_id,
        kind: p.kind,
        producer_id: p.producer_id,
        fund_id: p.fund_id,
        order_id: p.order_id,
        amount: p.amount,
        bank_code: p.bank_code,
        branch_code: p.branch_code,
        account_type: p.account_type,
        account_number: if p.sealed_account.is_some() {
            "*******".into()
        } else {
            p.account_number
        },
        payee: if p.sealed_account.is_some() {
            "(buyer)".into()
        } else {
            p.holder_kana
        },
        customer_code: p.customer_code,
        status: p.status,
        result_code: p.result_code,
        result_at: p.result_at,
        transfer_date: run.map(|r| r.transfer_date),
        period_id: run.map(|r| r.period_id),
        statement_id: statement,
    }
}

/// A payee the run may pay.
struct Candidate {
    kind: &'static str,
    producer_id: Option<Uuid>,
    fund_id: Option<Uuid>,
    /// A refund: the order, and its account sealed.
    order_id: Option<Uuid>,
    sealed: Option<String>,
    account: AccountRef,
    amount: i64,
    bank_code: String,
    branch_code: String,
    account_type: char,
    account_number: String,
    payee: String,
}

fn type_code(name: &str) -> char {
    match name {
        "current" => '2',
        "savings" => '4',
        _ => '1',
    }
}

/// Each payee account's due for the period ending with `upto` (see the module): its movement
/// through those periods less the live payouts booked after them, capped by what it is owed
/// now; `(account, due)` for the accounts with a positive due.
async fn dues(
    txn: &DatabaseTransaction,
    agg: Uuid,
    code: &str,
    upto: &[Uuid],
    later: &HashMap<String, i64>,
) -> ApiResult<Vec<(entity::ledger_account::Model, i64)>> {
    let accounts = repo::accounts_with_code(txn, agg, code).await?;
    let through = repo::movements(
        txn,
        agg,
        accounts.iter().map(|a| a.id).collect(),
        upto.to_vec(),
    )
    .await?;
    let mut out = Vec::new();
    for a in accounts {
        let owed_through = -through.get(&a.id).copied().unwrap_or(0);
        let due = owed_through - later.get(&a.subject_key).copied().unwrap_or(0);
        let amount = due.min(-a.balance);
        if amount > 0 {
            out.push((a, amount));
        }
    }
    Ok(out)
}

/// Prepares a payout run for closed period `input.period_id` (see the module).
///
/// # Errors
/// 403; 422 `period_id` / `transfer_date`; 409 `bank_profile_missing`, `period_open`,
/// `nothing_to_pay` (with the payees left out).
#[tracing::instrument(skip_all)]
pub async fn prepare(app: &AppState, actor: &Actor, input: PrepareInput) -> ApiResult<RunDetail> {
    let agg = finance(actor)?;
    let profile = repo::bank_profile(&app.db, agg).await?.ok_or_else(|| {
        conflict(
            code::BANK_PROFILE_MISSING,
            "set the bank profile (依頼人コード and the paying account) first",
        )
    })?;
    let today = core::today_jst();
    if input.transfer_date <= today {
        return Err(ApiError::field(
            "transfer_date",
            format!("must be after today ({today}, JST)"),
        ));
    }
    let date = zengin::transfer_day(input.transfer_date).ok_or_else(|| {
        ApiError::field(
            "transfer_date",
            format!(
                "is past the bank holiday calendar, which ends on {}",
                zengin::calendar_ends()
            ),
        )
    })?;
    let txn = db::begin_write(&app.db).await?;
    let p = repo::period(&txn, agg, input.period_id)
        .await?
        .ok_or_else(|| ApiError::field("period_id", "no such period"))?;
    if p.status != "closed" {
        return Err(conflict(
            code::PERIOD_OPEN,
            format!(
                "close the period {} – {} before paying it",
                p.starts_on, p.ends_on
            ),
        ));
    }
    let mut upto: Vec<Uuid> = repo::periods_before(&txn, agg, p.starts_on)
        .await?
        .into_iter()
        .map(|q| q.id)
        .collect();
    upto.push(p.id);
    // Live payouts booked after the period, per payee account subject.
    let mut later: HashMap<String, i64> = HashMap::new();
    let mut last: HashMap<Uuid, payout::Model> = HashMap::new();
    // Refunds to buyers already on their way, per order.
    let mut on_the_way: HashMap<Uuid, i64> = HashMap::new();
    for po in repo::payouts_where(
        &txn,
        agg,
        Condition::all().add(payout::Column::Status.ne("released")),
        ALL,
    )
    .await?
    {
        if let (PENDING, Some(o)) = (po.status.as_str(), po.order_id) {
            *on_the_way.entry(o).or_default() += po.amount;
        }
        let live = po.status == PENDING || po.status == "paid";
        let subject = po.producer_id.or(po.fund_id).map(|u| u.to_string());
        if live
            && !upto.contains(&po.period_id)
            && let Some(s) = subject
        {
            *later.entry(s).or_default() += po.amount;
        }
        if let Some(payee) = po.producer_id.or(po.fund_id) {
            let newer = last.get(&payee).is_none_or(|l| {
                (l.created_at, &l.customer_code) < (po.created_at, &po.customer_code)
            });
            if newer {
                last.insert(payee, po);
            }
        }
    }
    let mut candidates = Vec::new();
    let mut skipped = Vec::new();
    // Producers.
    let producer_dues = dues(&txn, agg, account::PRODUCER_PAYABLE, &upto, &later).await?;
    let ids: Vec<Uuid> = producer_dues
        .iter()
        .filter_map(|(a, _)| Uuid::parse_str(&a.subject_key).ok())
        .collect();
    let producers: HashMap<Uuid, entity::producer::Model> =
        crate::producers::repo::producers_where(
            &txn,
            Condition::all()
                .add(entity::producer::Column::AggregatorId.eq(agg))
                .add(entity::producer::Column::Id.is_in(ids.clone())),
            ALL,
        )
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let changing: HashSet<Uuid> = crate::producers::repo::pending_bank_changes(&txn, ids.clone())
        .await?
        .into_iter()
        .map(|c| c.producer_id)
        .collect();
    // A failed transfer's hold ends once the producer's new account was approved after it.
    let fixed: HashMap<Uuid, chrono::DateTime<chrono::Utc>> =
        crate::producers::repo::approved_bank_changes(&txn, ids.clone())
            .await?
            .into_iter()
            .filter_map(|c| Some((c.producer_id, c.decided_at?)))
            .fold(HashMap::new(), |mut m, (p, at)| {
                let e = m.entry(p).or_insert(at);
                *e = (*e).max(at);
                m
            });
    let mut held: HashSet<Uuid> = HashSet::new();
    for h in repo::holds(&txn, agg, true).await? {
        let cleared = h.reason == "transfer_failed"
            && fixed
                .get(&h.producer_id)
                .is_some_and(|at| *at > h.created_at);
        if cleared {
            repo::release_hold(&txn, agg, h.id, actor.user_id, core::now()).await?;
        } else {
            held.insert(h.producer_id);
        }
    }
    for (a, amount) in producer_dues {
        let Some(pr) = Uuid::parse_str(&a.subject_key)
            .ok()
            .and_then(|id| producers.get(&id))
        else {
            continue;
        };
        let skip = |reason: &str| Skipped {
            producer_id: Some(pr.id),
            fund_id: None,
            order_id: None,
            amount,
            reason: reason.into(),
        };
        let payee = zengin::payee_name(&pr.account_holder_kana);
        if held.contains(&pr.id) {
            skipped.push(skip("held"));
        } else if changing.contains(&pr.id) {
            skipped.push(skip("bank_change_pending"));
        } else if pr.bank_code.is_empty() || pr.account_number.is_empty() {
            skipped.push(skip("no_bank_account"));
        } else if amount < profile.minimum_payout {
            skipped.push(skip("below_minimum"));
        } else if let Ok(payee) = payee {
            candidates.push(Candidate {
                kind: "producer",
                producer_id: Some(pr.id),
                fund_id: None,
                order_id: None,
                sealed: None,
                account: AccountRef::payable(pr.id),
                amount,
                bank_code: pr.bank_code.clone(),
                branch_code: pr.branch_code.clone(),
                account_type: type_code(&pr.account_type),
                account_number: pr.account_number.clone(),
                payee,
            });
        } else {
            skipped.push(skip("bank_account_invalid"));
        }
    }
    // Community funds.
    let funds: HashMap<String, entity::community_fund::Model> = repo::funds(&txn, agg)
        .await?
        .into_iter()
        .map(|f| (f.id.to_string(), f))
        .collect();
    for (a, amount) in dues(&txn, agg, account::FUND_PAYABLE, &upto, &later).await? {
        let Some(f) = funds.get(&a.subject_key) else {
            continue;
        };
        let skip = |reason: &str| Skipped {
            producer_id: None,
            fund_id: Some(f.id),
            order_id: None,
            amount,
            reason: reason.into(),
        };
        match (
            &f.bank_code,
            &f.branch_code,
            &f.account_type,
            &f.account_number,
            f.account_holder_kana.as_deref().map(zengin::payee_name),
        ) {
            _ if amount < profile.minimum_payout => skipped.push(skip("below_minimum")),
            (Some(b), Some(br), Some(t), Some(n), Some(Ok(payee))) => candidates.push(Candidate {
                kind: "fund",
                producer_id: None,
                fund_id: Some(f.id),
                order_id: None,
                sealed: None,
                account: AccountRef::new(account::FUND_PAYABLE, f.id.to_string()),
                amount,
                bank_code: b.clone(),
                branch_code: br.clone(),
                account_type: type_code(t),
                account_number: n.clone(),
                payee,
            }),
            (_, _, _, _, Some(Err(_))) => skipped.push(skip("bank_account_invalid")),
            _ => skipped.push(skip("no_bank_account")),
        }
    }
    // Refunds owed to buyers of bank-transfer and cash-on-delivery orders, to the account
    // staff entered (what the order still owes less refunds already on their way).
    for owed in crate::orders::refunds::owed(app, &txn, agg).await? {
        let o = &owed.order;
        let amount = o.refund_owed - on_the_way.get(&o.id).copied().unwrap_or(0);
        if amount <= 0 {
            continue;
        }
        let skip = |reason: &str| Skipped {
            producer_id: None,
            fund_id: None,
            order_id: Some(o.id),
            amount,
            reason: reason.into(),
        };
        match owed.account {
            None => skipped.push(skip("no_bank_account")),
            Some((ra, b)) => match zengin::payee_name(&b.holder_kana) {
                Ok(payee) => candidates.push(Candidate {
                    kind: "refund",
                    producer_id: None,
                    fund_id: None,
                    order_id: Some(o.id),
                    sealed: Some(ra.sealed.clone()),
                    account: AccountRef::new(account::REFUNDS_OWED, ""),
                    amount,
                    bank_code: b.bank_code.clone(),
                    branch_code: b.branch_code.clone(),
                    account_type: type_code(&b.account_type),
                    account_number: b.account_number.clone(),
                    payee,
                }),
                Err(_) => skipped.push(skip("bank_account_invalid")),
            },
        }
    }
    if candidates.is_empty() {
        return Err(ApiError::Conflict {
            code: code::NOTHING_TO_PAY,
            message: "nobody is due a payout for this period".into(),
            details: serde_json::json!({ "skipped": skipped }),
        });
    }
    candidates.sort_by(|a, b| {
        (a.kind, &a.payee, a.producer_id.or(a.fund_id)).cmp(&(
            b.kind,
            &b.payee,
            b.producer_id.or(b.fund_id),
        ))
    });
    let number = repo::next_run_number(&txn, agg).await?;
    if number > 999_999 || candidates.len() > 9_999 {
        return Err(conflict(
            "run_too_large",
            "a run holds at most 9,999 payouts (顧客コード1 is run number and line)",
        ));
    }
    let now = core::now();
    let run_id = core::new_id();
    let total: i64 = candidates.iter().map(|c| c.amount).sum();
    let run = repo::insert_run(
        &txn,
        payout_run::ActiveModel {
            id: Set(run_id),
            aggregator_id: Set(agg),
            number: Set(number),
            period_id: Set(p.id),
            status: Set("prepared".into()),
            transfer_date: Set(date),
            payout_count: Set(i32::try_from(candidates.len()).unwrap_or(i32::MAX)),
            total: Set(total),
            prepared_by: Set(actor.user_id),
            prepared_at: Set(now),
            approved_by: Set(None),
            approved_at: Set(None),
            cancelled_by: Set(None),
            cancelled_at: Set(None),
            exported_by: Set(None),
            exported_at: Set(None),
            file_name: Set(None),
            file_sha256: Set(None),
            file_bytes: Set(None),
            created_at: Set(now),
        },
    )
    .await?;
    let mut rows = Vec::new();
    for (i, c) in candidates.into_iter().enumerate() {
        let id = core::new_id();
        let payee_id = c.producer_id.or(c.fund_id);
        let new_code = match payee_id.and_then(|u| last.get(&u)) {
            _ if c.kind == "refund" => '1',
            None => '1',
            Some(l)
                if (&l.bank_code, &l.branch_code, &l.account_number)
                    != (&c.bank_code, &c.branch_code, &c.account_number) =>
            {
                '2'
            }
            Some(_) => '0',
        };
        let mut legs = Legs::default();
        legs.debit(c.account.clone(), c.amount, c.producer_id);
        legs.credit(AccountRef::new(IN_TRANSIT, ""), c.amount, c.producer_id);
        let Posted::Booked {
            transaction_id,
            period_id,
        } = ledger::post(
            &txn,
            app.settings.money.period_months,
            Posting {
                aggregator_id: agg,
                kind: kind::PAYOUT,
                source_ref: format!("payout:{id}"),
                occurred_on: today,
                order_id: c.order_id,
                producer_id: c.producer_id,
                memo: format!("payout run {number}"),
                created_by: Some(actor.user_id),
                legs,
            },
        )
        .await?
        else {
            return Err(ApiError::Internal(anyhow::anyhow!(
                "payout {id} booked twice"
            )));
        };
        rows.push(payout::ActiveModel {
            id: Set(id),
            aggregator_id: Set(agg),
            run_id: Set(run_id),
            period_id: Set(period_id),
            kind: Set(c.kind.into()),
            producer_id: Set(c.producer_id),
            fund_id: Set(c.fund_id),
            amount: Set(c.amount),
            bank_code: Set(c.bank_code),
            branch_code: Set(c.branch_code),
            account_type: Set(c.account_type.to_string()),
            // A buyer's account and name stay sealed (below); bank and branch are not personal.
            account_number: Set(if c.sealed.is_some() {
                String::new()
            } else {
                c.account_number
            }),
            holder_kana: Set(if c.sealed.is_some() {
                String::new()
            } else {
                c.payee
            }),
            new_code: Set(new_code.to_string()),
            customer_code: Set(format!("{number:06}{:04}", i + 1)),
            status: Set(PENDING.into()),
            transaction_id: Set(transaction_id),
            reversal_id: Set(None),
            settled_id: Set(None),
            result_code: Set(None),
            result_at: Set(None),
            created_at: Set(now),
            order_id: Set(c.order_id),
            sealed_account: Set(c.sealed),
        });
    }
    repo::insert_payouts(&txn, rows).await?;
    audit::record(
        &txn,
        AuditRecord {
            aggregator_id: Some(agg),
            actor_user_id: Some(actor.user_id),
            action: "payout_run_prepared",
            subject_type: "payout_run",
            subject_id: Some(run_id.to_string()),
            details: serde_json::json!({
                "number": number, "period_id": p.id, "total": total,
                "payouts": run.payout_count, "skipped": skipped.len(),
            }),
        },
    )
    .await?;
    failpoint::hit("payout.prepare.before_commit");
    txn.commit().await?;
    failpoint::hit("payout.prepare.committed");
    let mut d = detail_of(app, agg, run).await?;
    d.skipped = skipped;
    d.transfer_date_requested = (date != input.transfer_date).then_some(input.transfer_date);
    Ok(d)
}

async fn detail_of(app: &AppState, agg: Uuid, run: payout_run::Model) -> ApiResult<RunDetail> {
    let payouts = repo::payouts_where(
        &app.db,
        agg,
        Condition::all().add(payout::Column::RunId.eq(run.id)),
        ALL,
    )
    .await?;
    Ok(RunDetail {
        run: view_run(&run),
        payouts: payouts
            .into_iter()
            .map(|p| view_payout(p, Some(&run), None))
            .collect(),
        skipped: Vec::new(),
        transfer_date_requested: None,
    })
}

/// The caller's payout runs, newest first.
///
/// # Errors
/// 403.
pub async fn runs(app: &AppState, actor: &Actor) -> ApiResult<Vec<RunView>> {
    let agg = finance(actor)?;
    Ok(repo::runs(&app.db, agg, 200)
        .await?
        .iter()
        .map(view_run)
        .collect())
}

/// Run `id` with its payouts.
///
/// # Errors
/// 403; 404.
pub async fn run(app: &AppState, actor: &Actor, id: Uuid) -> ApiResult<RunDetail> {
    let agg = finance(actor)?;
    let r = repo::run(&app.db, agg, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    detail_of(app, agg, r).await
}

/// Approves prepared run `id`: another finance user than its preparer, with their password.
///
/// # Errors
/// 403; 404; 422 `password`; 409 `approver_is_preparer`, `run_not_prepared`.
#[tracing::instrument(skip_all, fields(run.id = %id))]
pub async fn approve(
    app: &AppState,
    actor: &Actor,
    id: Uuid,
    input: ApproveInput,
) -> ApiResult<RunDetail> {
    let agg = finance(actor)?;
    let r = repo::run(&app.db, agg, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if r.prepared_by == actor.user_id {
        return Err(conflict(
            code::APPROVER_IS_PREPARER,
            "a run is approved by someone other than the person who prepared it",
        ));
    }
    let user = crate::auth::repo::user(&app.db, actor.user_id)
        .await?
        .ok_or(ApiError::Unauthenticated)?;
    if !crate::auth::password::verify(input.password, user.password_hash).await {
        return Err(ApiError::field("password", "is not your password"));
    }
    let txn = db::begin_write(&app.db).await?;
    if !repo::move_run(
        &txn,
        id,
        &["prepared"],
        vec![
            (payout_run::Column::Status, Expr::value("approved")),
            (payout_run::Column::ApprovedBy, Expr::value(actor.user_id)),
            (payout_run::Column::ApprovedAt, Expr::value(core::now())),
        ],
    )
    .await?
    {
        return Err(conflict(
            code::RUN_NOT_PREPARED,
            format!("the run is {}, not waiting for approval", r.status),
        ));
    }
    audit::record(
        &txn,
        AuditRecord {
            aggregator_id: Some(agg),
            actor_user_id: Some(actor.user_id),
            action: "payout_run_approved",
            subject_type: "payout_run",
            subject_id: Some(id.to_string()),
            details: serde_json::json!({ "number": r.number, "total": r.total }),
        },
    )
    .await?;
    failpoint::hit("payout.approve.before_commit");
    txn.commit().await?;
    failpoint::hit("payout.approve.committed");
    let r = repo::run(&app.db, agg, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    detail_of(app, agg, r).await
}

/// Cancels run `id` before export: each payout is reversed back to its payable.
///
/// # Errors
/// 403; 404; 409 `run_exported`, `run_cancelled`.
#[tracing::instrument(skip_all, fields(run.id = %id))]
pub async fn cancel(app: &AppState, actor: &Actor, id: Uuid) -> ApiResult<RunDetail> {
    let agg = finance(actor)?;
    let txn = db::begin_write(&app.db).await?;
    let r = repo::run(&txn, agg, id).await?.ok_or(ApiError::NotFound)?;
    let now = core::now();
    if !repo::move_run(
        &txn,
        id,
        &["prepared", "approved"],
        vec![
            (payout_run::Column::Status, Expr::value("cancelled")),
            (payout_run::Column::CancelledBy, Expr::value(actor.user_id)),
            (payout_run::Column::CancelledAt, Expr::value(now)),
        ],
    )
    .await?
    {
        return Err(if r.status == "cancelled" {
            conflict(code::RUN_CANCELLED, "the run was cancelled already")
        } else {
            conflict(
                code::RUN_EXPORTED,
                "the bank file was exported: the bank's result decides each payout",
            )
        });
    }
    let payouts = repo::payouts_where(
        &txn,
        agg,
        Condition::all()
            .add(payout::Column::RunId.eq(id))
            .add(payout::Column::Status.eq(PENDING)),
        ALL,
    )
    .await?;
    for po in payouts {
        reverse(app, &txn, &po, kind::RELEASED, "released", None, actor).await?;
    }
    audit::record(
        &txn,
        AuditRecord {
            aggregator_id: Some(agg),
            actor_user_id: Some(actor.user_id),
            action: "payout_run_cancelled",
            subject_type: "payout_run",
            subject_id: Some(id.to_string()),
            details: serde_json::json!({ "number": r.number }),
        },
    )
    .await?;
    txn.commit().await?;
    let r = repo::run(&app.db, agg, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    detail_of(app, agg, r).await
}

/// Books the way back of pending payout `po` (in transit → its payable) and marks it
/// `status`: `false` when it was no longer pending.
async fn reverse(
    app: &AppState,
    txn: &DatabaseTransaction,
    po: &payout::Model,
    kind: &'static str,
    status: &str,
    result: Option<&str>,
    actor: &Actor,
) -> ApiResult<bool> {
    let back = match (po.producer_id, po.fund_id, po.order_id) {
        (Some(p), _, _) => AccountRef::payable(p),
        (None, Some(f), _) => AccountRef::new(account::FUND_PAYABLE, f.to_string()),
        (None, None, Some(_)) => AccountRef::new(account::REFUNDS_OWED, ""),
        (None, None, None) => return Ok(false),
    };
    let mut legs = Legs::default();
    legs.debit(AccountRef::new(IN_TRANSIT, ""), po.amount, po.producer_id);
    legs.credit(back, po.amount, po.producer_id);
    let posted = ledger::post(
        txn,
        app.settings.money.period_months,
        Posting {
            aggregator_id: po.aggregator_id,
            kind,
            source_ref: format!("{kind}:{}", po.id),
            occurred_on: core::today_jst(),
            order_id: po.order_id,
            producer_id: po.producer_id,
            memo: format!("payout {} {status}", po.customer_code),
            created_by: Some(actor.user_id),
            legs,
        },
    )
    .await?;
    let Posted::Booked { transaction_id, .. } = posted else {
        return Ok(false);
    };
    let mut sets = vec![
        (payout::Column::Status, Expr::value(status)),
        (payout::Column::ReversalId, Expr::value(transaction_id)),
    ];
    if let Some(r) = result {
        sets.push((payout::Column::ResultCode, Expr::value(r)));
        sets.push((payout::Column::ResultAt, Expr::value(core::now())));
    }
    Ok(repo::settle_payout(txn, po.id, sets).await?)
}

/// The Zengin file of run `id`: written on the first export of an approved run (its bytes and
/// SHA-256 kept), the same bytes on every later download (audit-logged as a re-download).
/// Returns the file name and bytes.
///
/// # Errors
/// 403; 404; 409 `run_not_approved`, `run_cancelled`, `transfer_date_passed`,
/// `bank_profile_missing`; 422 `bank_file` when a field cannot be written.
#[tracing::instrument(skip_all, fields(run.id = %id))]
pub async fn export(app: &AppState, actor: &Actor, id: Uuid) -> ApiResult<(String, Vec<u8>)> {
    let agg = finance(actor)?;
    let r = repo::run(&app.db, agg, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if let (Some(name), Some(bytes)) = (&r.file_name, &r.file_bytes) {
        let txn = db::begin_write(&app.db).await?;
        audit::record(
            &txn,
            AuditRecord {
                aggregator_id: Some(agg),
                actor_user_id: Some(actor.user_id),
                action: "zengin_redownloaded",
                subject_type: "payout_run",
                subject_id: Some(id.to_string()),
                details: serde_json::json!({ "sha256": r.file_sha256 }),
            },
        )
        .await?;
        txn.commit().await?;
        return Ok((name.clone(), bytes.clone()));
    }
    match r.status.as_str() {
        "approved" => {}
        "cancelled" => return Err(conflict(code::RUN_CANCELLED, "the run was cancelled")),
        _ => {
            return Err(conflict(
                code::RUN_NOT_APPROVED,
                "a second finance user approves the run before its file is exported",
            ));
        }
    }
    if r.transfer_date <= core::today_jst() {
        return Err(conflict(
            code::TRANSFER_DATE_PASSED,
            format!(
                "the transfer date {} has come: cancel the run and prepare it again",
                r.transfer_date
            ),
        ));
    }
    let profile = repo::bank_profile(&app.db, agg)
        .await?
        .ok_or_else(|| conflict(code::BANK_PROFILE_MISSING, "set the bank profile first"))?;
    let payouts = repo::payouts_where(
        &app.db,
        agg,
        Condition::all().add(payout::Column::RunId.eq(id)),
        ALL,
    )
    .await?;
    let requester = zengin::Requester {
        code: profile.requester_code.clone(),
        name: profile.requester_name.clone(),
        bank_code: profile.bank_code.clone(),
        bank_name: profile.bank_name.clone(),
        branch_code: profile.branch_code.clone(),
        branch_name: profile.branch_name.clone(),
        account_type: profile.account_type.chars().next().unwrap_or('1'),
        account_number: profile.account_number.clone(),
    };
    let transfer_kind = profile.transfer_kind.chars().next().unwrap_or('7');
    let mut transfers = Vec::with_capacity(payouts.len());
    for p in &payouts {
        // A buyer's refund account is opened only here, to write the file.
        let (account_number, payee) = match &p.sealed_account {
            Some(sealed) => {
                let b = crate::orders::refunds::open(app, sealed)?;
                let payee = zengin::payee_name(&b.holder_kana).unwrap_or_default();
                (b.account_number, payee)
            }
            None => (p.account_number.clone(), p.holder_kana.clone()),
        };
        transfers.push(zengin::Transfer {
            bank_code: p.bank_code.clone(),
            bank_name: String::new(),
            branch_code: p.branch_code.clone(),
            branch_name: String::new(),
            account_type: p.account_type.chars().next().unwrap_or('1'),
            account_number,
            payee,
            amount: p.amount,
            new_code: p.new_code.chars().next().unwrap_or('0'),
            customer_code: p.customer_code.clone(),
            transfer_kind,
        });
    }
    let lb = zengin::LineBreak::parse(&profile.line_break).unwrap_or(zengin::LineBreak::Crlf);
    let bytes = zengin::file(&requester, r.transfer_date, &transfers, lb).map_err(|e| {
        ApiError::Unprocessable {
            code: "bank_file",
            message: e.to_string(),
            details: serde_json::json!({}),
        }
    })?;
    let sha = zengin::sha256_hex(&bytes);
    let name = format!(
        "zengin-{:06}-{}.txt",
        r.number,
        r.transfer_date.format("%Y%m%d")
    );
    let txn = db::begin_write(&app.db).await?;
    if !repo::move_run(
        &txn,
        id,
        &["approved"],
        vec![
            (payout_run::Column::Status, Expr::value("exported")),
            (payout_run::Column::ExportedBy, Expr::value(actor.user_id)),
            (payout_run::Column::ExportedAt, Expr::value(core::now())),
            (payout_run::Column::FileName, Expr::value(name.clone())),
            (payout_run::Column::FileSha256, Expr::value(sha.clone())),
            (payout_run::Column::FileBytes, Expr::value(bytes.clone())),
        ],
    )
    .await?
    {
        // A concurrent export won: hand out its bytes.
        drop(txn);
        return Box::pin(export(app, actor, id)).await;
    }
    audit::record(
        &txn,
        AuditRecord {
            aggregator_id: Some(agg),
            actor_user_id: Some(actor.user_id),
            action: "zengin_exported",
            subject_type: "payout_run",
            subject_id: Some(id.to_string()),
            details: serde_json::json!({ "sha256": sha, "bytes": bytes.len(), "total": r.total }),
        },
    )
    .await?;
    failpoint::hit("payout.export.before_commit");
    txn.commit().await?;
    failpoint::hit("payout.export.committed");
    Ok((name, bytes))
}

/// One line of a bank result file.
struct ResultLine {
    row: usize,
    code: String,
    value: String,
}

fn parse_results(profile: &bank_profile::Model, bytes: &[u8]) -> ApiResult<Vec<ResultLine>> {
    let enc = if profile.result_encoding == "utf-8" {
        CsvEncoding::Utf8
    } else {
        CsvEncoding::Auto
    };
    let text = crate::core::csv::decode(bytes, enc)?;
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(profile.result_has_header)
        .flexible(true)
        .from_reader(text.as_bytes());
    let (ci, si) = (
        usize::try_from(profile.result_code_column - 1).unwrap_or(0),
        usize::try_from(profile.result_status_column - 1).unwrap_or(1),
    );
    let first = if profile.result_has_header { 2 } else { 1 };
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let row = first + i;
        let Ok(rec) = rec else {
            errors.push(crate::core::csv::RowError {
                row,
                column: "row".into(),
                message: "cannot be read as CSV".into(),
            });
            continue;
        };
        if rec.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        match (rec.get(ci), rec.get(si)) {
            (Some(c), Some(v)) if !c.trim().is_empty() => out.push(ResultLine {
                row,
                code: c.trim().to_string(),
                value: v.trim().to_string(),
            }),
            _ => errors.push(crate::core::csv::RowError {
                row,
                column: "row".into(),
                message: format!(
                    "needs 顧客コード1 in column {} and the result in column {}",
                    ci + 1,
                    si + 1
                ),
            }),
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Unprocessable {
            code: "invalid_rows",
            message: format!("{} line(s) of the result file cannot be read", errors.len()),
            details: serde_json::json!({ "rows": errors }),
        });
    }
    if out.is_empty() {
        return Err(ApiError::field("file", "has no result lines"));
    }
    Ok(out)
}

/// Imports the bank's result file for exported run `id` (see the module).
///
/// # Errors
/// 403; 404; 409 `run_not_exported`; 422 `invalid_rows`, `unknown_customer_codes`, `file`.
#[tracing::instrument(skip_all, fields(run.id = %id))]
pub async fn import_results(
    app: &AppState,
    actor: &Actor,
    id: Uuid,
    bytes: &[u8],
) -> ApiResult<ResultSummary> {
    let agg = finance(actor)?;
    let r = repo::run(&app.db, agg, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if !matches!(r.status.as_str(), "exported" | "completed") {
        return Err(conflict(
            code::RUN_NOT_EXPORTED,
            "results come back for a run whose file was exported",
        ));
    }
    let profile = repo::bank_profile(&app.db, agg)
        .await?
        .ok_or_else(|| conflict(code::BANK_PROFILE_MISSING, "set the bank profile first"))?;
    let lines = parse_results(&profile, bytes)?;
    let paid_values: HashSet<&str> = profile.result_paid_values.split(',').collect();
    let txn = db::begin_write(&app.db).await?;
    let payouts: HashMap<String, payout::Model> = repo::payouts_where(
        &txn,
        agg,
        Condition::all().add(payout::Column::RunId.eq(id)),
        ALL,
    )
    .await?
    .into_iter()
    .map(|p| (p.customer_code.clone(), p))
    .collect();
    let unknown: Vec<serde_json::Value> = lines
        .iter()
        .filter(|l| !payouts.contains_key(&l.code))
        .map(|l| serde_json::json!({ "row": l.row, "customer_code": l.code }))
        .collect();
    if !unknown.is_empty() {
        return Err(ApiError::Unprocessable {
            code: code::UNKNOWN_CUSTOMER_CODES,
            message: format!(
                "{} line(s) name a 顧客コード1 that is not in run {}: nothing was imported",
                unknown.len(),
                r.number
            ),
            details: serde_json::json!({ "rows": unknown }),
        });
    }
    let mut s = ResultSummary {
        paid: 0,
        failed: 0,
        unchanged: 0,
        conflicts: Vec::new(),
        run_status: r.status.clone(),
    };
    let mut seen: HashMap<&str, &str> = HashMap::new();
    let mut paid_producers = Vec::new();
    for l in &lines {
        let Some(po) = payouts.get(&l.code) else {
            continue;
        };
        let outcome = if paid_values.contains(l.value.as_str()) {
            "paid"
        } else {
            "failed"
        };
        // A line repeated in the file counts once.
        if let Some(prev) = seen.insert(l.code.as_str(), outcome) {
            if prev != outcome {
                s.conflicts.push(ResultConflict {
                    customer_code: l.code.clone(),
                    recorded: prev.into(),
                    in_file: outcome.into(),
                });
            } else {
                s.unchanged += 1;
            }
            continue;
        }
        if po.status != PENDING {
            if po.status == outcome {
                s.unchanged += 1;
            } else {
                s.conflicts.push(ResultConflict {
                    customer_code: l.code.clone(),
                    recorded: po.status.clone(),
                    in_file: outcome.into(),
                });
            }
            continue;
        }
        if outcome == "paid" {
            let mut legs = Legs::default();
            legs.debit(AccountRef::new(IN_TRANSIT, ""), po.amount, po.producer_id);
            legs.credit(
                AccountRef::new(account::BANK, ""),
                po.amount,
                po.producer_id,
            );
            let posted = ledger::post(
                &txn,
                app.settings.money.period_months,
                Posting {
                    aggregator_id: agg,
                    kind: kind::PAID,
                    source_ref: format!("{}:{}", kind::PAID, po.id),
                    occurred_on: core::today_jst(),
                    order_id: None,
                    producer_id: po.producer_id,
                    memo: format!("payout {} paid", po.customer_code),
                    created_by: Some(actor.user_id),
                    legs,
                },
            )
            .await?;
            if let Posted::Booked { transaction_id, .. } = posted
                && repo::settle_payout(
                    &txn,
                    po.id,
                    vec![
                        (payout::Column::Status, Expr::value("paid")),
                        (payout::Column::SettledId, Expr::value(transaction_id)),
                        (payout::Column::ResultCode, Expr::value(l.value.clone())),
                        (payout::Column::ResultAt, Expr::value(core::now())),
                    ],
                )
                .await?
            {
                s.paid += 1;
                if let Some(p) = po.producer_id {
                    paid_producers.push((p, po.amount));
                }
                if let Some(o) = po.order_id {
                    crate::orders::refunds::paid_by_payout(
                        app,
                        &txn,
                        o,
                        po.amount,
                        &format!("payout:{}", po.id),
                    )
                    .await?;
                }
            }
        } else if reverse(app, &txn, po, kind::FAILED, "failed", Some(&l.value), actor).await? {
            s.failed += 1;
            if let Some(o) = po.order_id {
                crate::orders::refunds::account_failed(&txn, o).await?;
            }
            if let Some(p) = po.producer_id {
                notify_producer(
                    app,
                    &txn,
                    p,
                    &format!("payout-returned:{}", po.id),
                    |display_name, base| crate::mail::messages::EmailMessage::PayoutReturned {
                        display_name,
                        amount: po.amount,
                        link: format!("{base}/portal/profile"),
                    },
                )
                .await?;
                insert_hold(
                    &txn,
                    agg,
                    p,
                    "transfer_failed",
                    &format!(
                        "the bank returned payout {} ({})",
                        po.customer_code, l.value
                    ),
                    Some(actor.user_id),
                )
                .await?;
            }
        }
    }
    // Every payout decided: the run is complete.
    let decided = payouts
        .values()
        .filter(|p| p.status != PENDING || seen.contains_key(p.customer_code.as_str()))
        .count();
    if decided == payouts.len()
        && repo::move_run(
            &txn,
            id,
            &["exported"],
            vec![(payout_run::Column::Status, Expr::value("completed"))],
        )
        .await?
    {
        s.run_status = "completed".into();
    }
    for (p, amount) in &paid_producers {
        notify_paid(app, &txn, *p, *amount, &r).await?;
    }
    audit::record(
        &txn,
        AuditRecord {
            aggregator_id: Some(agg),
            actor_user_id: Some(actor.user_id),
            action: "bank_results_imported",
            subject_type: "payout_run",
            subject_id: Some(id.to_string()),
            details: serde_json::json!({
                "paid": s.paid, "failed": s.failed, "unchanged": s.unchanged,
                "conflicts": s.conflicts.len(),
            }),
        },
    )
    .await?;
    failpoint::hit("payout.results.before_commit");
    txn.commit().await?;
    failpoint::hit("payout.results.committed");
    Ok(s)
}

/// Emails the producer's users that payout of `amount` yen was paid (one mail per payout).
async fn notify_paid(
    app: &AppState,
    db: &impl ConnectionTrait,
    producer: Uuid,
    amount: i64,
    run: &payout_run::Model,
) -> ApiResult<()> {
    notify_producer(
        app,
        db,
        producer,
        &format!("payout-paid:{}:{producer}", run.id),
        |display_name, base| crate::mail::messages::EmailMessage::PayoutPaid {
            display_name,
            amount,
            transfer_date: run.transfer_date.to_string(),
            link: format!("{base}/portal/payouts"),
        },
    )
    .await
}

/// Emails each active user of `producer` the message `message` builds (from the user's name
/// and the base URL), once per `event` and user.
///
/// # Errors
/// Database failure.
pub async fn notify_producer(
    app: &AppState,
    db: &impl ConnectionTrait,
    producer: Uuid,
    event: &str,
    message: impl Fn(String, &str) -> crate::mail::messages::EmailMessage,
) -> ApiResult<()> {
    let users = crate::auth::repo::users_where(
        db,
        Condition::all()
            .add(entity::app_user::Column::ProducerId.eq(producer))
            .add(entity::app_user::Column::Active.eq(true)),
        20,
    )
    .await?;
    let base = app.settings.server.base_url.trim_end_matches('/');
    for u in &users {
        crate::auth::service::enqueue_mail(
            db,
            u,
            &format!("{event}:{}", u.id),
            message(u.display_name.clone(), base),
        )
        .await?;
    }
    Ok(())
}

/// Whether the bank returned one of the calling producer's payouts and the producer has not
/// yet been cleared (the portal asks it to check its bank account).
///
/// # Errors
/// 403 for anyone but a producer.
pub async fn transfer_returned(app: &AppState, actor: &Actor) -> ApiResult<bool> {
    let (Role::Producer, Some(agg), Some(me)) =
        (actor.role, actor.aggregator_id, actor.producer_id)
    else {
        return Err(ApiError::forbidden());
    };
    Ok(repo::holds(&app.db, agg, true)
        .await?
        .iter()
        .any(|h| h.producer_id == me && h.reason == "transfer_failed"))
}

/// Payouts in the caller's scope: a producer sees its own (with the statement each pays),
/// finance all of the tenant's (of producer `producer` when given); newest first.
///
/// # Errors
/// 403.
pub async fn payouts(
    app: &AppState,
    actor: &Actor,
    producer: Option<Uuid>,
) -> ApiResult<Vec<PayoutView>> {
    let (agg, only) = match actor.role {
        Role::Producer => {
            let (Some(a), Some(p)) = (actor.aggregator_id, actor.producer_id) else {
                return Err(ApiError::forbidden());
            };
            (a, Some(p))
        }
        _ => (finance(actor)?, producer),
    };
    let mut cond = Condition::all().add(payout::Column::Status.ne("released"));
    if let Some(p) = only {
        cond = cond.add(payout::Column::ProducerId.eq(p));
    }
    let mut rows = repo::payouts_where(&app.db, agg, cond, 500).await?;
    rows.sort_by(|a, b| b.customer_code.cmp(&a.customer_code));
    let runs: HashMap<Uuid, payout_run::Model> = repo::runs_by_id(
        &app.db,
        agg,
        rows.iter()
            .map(|p| p.run_id)
            .collect::<HashSet<_>>()
            .into_iter()
            .collect(),
    )
    .await?
    .into_iter()
    .map(|r| (r.id, r))
    .collect();
    let statements: HashMap<(Uuid, Uuid), Uuid> = match only {
        Some(p) => repo::statements_where(
            &app.db,
            agg,
            Condition::all().add(entity::statement::Column::ProducerId.eq(p)),
        )
        .await?
        .into_iter()
        .map(|s| ((s.period_id, s.producer_id), s.id))
        .collect(),
        None => HashMap::new(),
    };
    // A producer sees a payout once its bank file is out (a prepared run may be cancelled).
    let producer_view = actor.role == Role::Producer;
    Ok(rows
        .into_iter()
        .filter_map(|p| {
            let run = runs.get(&p.run_id).filter(|r| {
                !producer_view || matches!(r.status.as_str(), "exported" | "completed")
            })?;
            let st = p
                .producer_id
                .and_then(|pid| statements.get(&(run.period_id, pid)).copied());
            Some(view_payout(p, Some(run), st))
        })
        .collect())
}

/// One period of a community fund: what sales brought in, what was paid out to the fund,
/// and what the fund is owed at the period's end.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct FundPeriod {
    pub period_id: Uuid,
    pub starts_on: chrono::NaiveDate,
    pub ends_on: chrono::NaiveDate,
    pub status: String,
    pub accrued: i64,
    pub paid_out: i64,
    /// Owed to the fund at the period's end (carried into the next).
    pub balance: i64,
}

/// A community fund's statement: its periods, oldest first.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct FundStatement {
    pub fund_id: Uuid,
    pub name_ja: String,
    pub name_en: String,
    pub periods: Vec<FundPeriod>,
    pub accrued_total: i64,
    pub paid_out_total: i64,
    pub balance: i64,
}

/// Fund `id`'s statement (finance): per period the shares accrued, the payouts and the
/// balance owed.
///
/// # Errors
/// 403; 404.
pub async fn fund_statement(app: &AppState, actor: &Actor, id: Uuid) -> ApiResult<FundStatement> {
    let agg = finance(actor)?;
    let f = repo::fund(&app.db, agg, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let sums =
        match repo::find_account(&app.db, agg, account::FUND_PAYABLE, &id.to_string()).await? {
            Some(a) => repo::account_by_period_and_kind(&app.db, agg, a.id).await?,
            None => Vec::new(),
        };
    let mut periods = repo::periods(&app.db, agg).await?;
    periods.sort_by_key(|p| p.starts_on);
    let mut out = Vec::new();
    let mut balance = 0;
    let (mut accrued_total, mut paid_total) = (0, 0);
    for p in periods {
        let rows: Vec<&repo::KindSums> = sums.iter().filter(|s| s.period_id == p.id).collect();
        if rows.is_empty() && balance == 0 {
            continue;
        }
        let payout_kinds = [kind::PAYOUT, kind::RELEASED, kind::FAILED];
        let paid_out: i64 = rows
            .iter()
            .filter(|s| payout_kinds.contains(&s.kind.as_str()))
            .map(|s| s.debit - s.credit)
            .sum();
        let accrued: i64 = rows
            .iter()
            .filter(|s| !payout_kinds.contains(&s.kind.as_str()))
            .map(|s| s.credit - s.debit)
            .sum();
        balance += accrued - paid_out;
        accrued_total += accrued;
        paid_total += paid_out;
        out.push(FundPeriod {
            period_id: p.id,
            starts_on: p.starts_on,
            ends_on: p.ends_on,
            status: p.status,
            accrued,
            paid_out,
            balance,
        });
    }
    Ok(FundStatement {
        fund_id: f.id,
        name_ja: f.name_ja,
        name_en: f.name_en,
        periods: out,
        accrued_total,
        paid_out_total: paid_total,
        balance,
    })
}

/// Fund `id`'s statement as CSV (UTF-8 with a BOM, or Shift_JIS).
///
/// # Errors
/// As [`fund_statement`]; 422 `encoding`.
pub async fn fund_statement_csv(
    app: &AppState,
    actor: &Actor,
    id: Uuid,
    encoding: Option<&str>,
) -> ApiResult<(Vec<u8>, CsvEncoding)> {
    let enc = match CsvEncoding::parse(encoding)? {
        CsvEncoding::Auto => CsvEncoding::Utf8,
        e => e,
    };
    let st = fund_statement(app, actor, id).await?;
    let mut w = csv::Writer::from_writer(Vec::new());
    let io = |e: csv::Error| ApiError::Internal(e.into());
    w.write_record([
        "基金",
        "期間開始",
        "期間終了",
        "状態",
        "積立額",
        "支払額",
        "残高",
    ])
    .map_err(io)?;
    for p in &st.periods {
        w.write_record([
            st.name_ja.clone(),
            p.starts_on.to_string(),
            p.ends_on.to_string(),
            p.status.clone(),
            p.accrued.to_string(),
            p.paid_out.to_string(),
            p.balance.to_string(),
        ])
        .map_err(io)?;
    }
    let text = String::from_utf8(
        w.into_inner()
            .map_err(|e| ApiError::Internal(anyhow::anyhow!(e.to_string())))?,
    )
    .map_err(|e| ApiError::Internal(e.into()))?;
    Ok((crate::core::csv::encode(&text, enc)?, enc))
}
