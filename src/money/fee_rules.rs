//! Fee rules and community funds of the caller's aggregator (finance staff and admins): every
//! field checked at once, versions instead of edits (what a sale froze never changes), and
//! every change audit-logged in its transaction.
use super::{
    domain::{self, basis, bearer, channel_scope, fee_type},
    dto::{FeeRuleInput, FundBank, FundInput},
    error::MoneyError,
    repo,
};
use crate::{
    audit::{self, AuditRecord},
    core, db,
    error::{ApiError, ApiResult},
    http::actor::{Actor, Role},
    orders::domain::PaymentMethod,
    state::AppState,
};
use chrono::{Duration, NaiveDate};
use entity::{community_fund, fee_rule};
use sea_orm::{ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait};
use std::collections::HashMap;
use uuid::Uuid;

/// The caller's aggregator when it may see and change money (finance staff, admins).
///
/// # Errors
/// 403 for every other role and for admins without a tenant.
pub fn finance(actor: &Actor) -> ApiResult<Uuid> {
    actor.require(&[Role::Finance, Role::Admin])?;
    actor.aggregator_id.ok_or_else(ApiError::forbidden)
}

/// Checks `input` against the rules and the tenant's producers, categories, channels and
/// funds; every bad field at once.
async fn check(db: &impl ConnectionTrait, agg: Uuid, input: &FeeRuleInput) -> ApiResult<()> {
    let mut errors: Vec<(String, String)> = Vec::new();
    let mut bad = |f: &str, m: &str| errors.push((f.to_string(), m.to_string()));
    let t = input.fee_type.as_str();
    if !fee_type::ALL.contains(&t) {
        bad(
            "fee_type",
            "must be commission, payment_fee, channel_fee, packing, cool_chain, storage, \
             inbound_handling or fund_share",
        );
    } else if !basis::allowed(t).contains(&input.basis.as_str()) {
        bad(
            "basis",
            &format!("a {t} rule is reckoned {}", basis::allowed(t).join(" or ")),
        );
    }
    if !(0..=10_000).contains(&input.position) {
        bad("position", "must be 0 to 10000");
    }
    let percent = input.basis == basis::PERCENT;
    match (percent, input.rate_bp, input.fixed_yen) {
        (true, Some(bp), None) if (0..=10_000).contains(&bp) => {}
        (true, Some(_), None) => bad("rate_bp", "must be 0 to 10000 basis points"),
        (true, None, _) => bad("rate_bp", "is required for a percent rule"),
        (true, _, Some(_)) => bad("fixed_yen", "is not used by a percent rule"),
        (false, Some(_), _) => bad("rate_bp", "is only used by a percent rule"),
        (false, None, Some(y)) if (0..=10_000_000).contains(&y) => {}
        (false, None, Some(_)) => bad("fixed_yen", "must be 0 to 10,000,000 yen"),
        (false, None, None) => bad("fixed_yen", "is required for a fixed-amount rule"),
    }
    for (f, v) in [
        ("floor_yen", input.floor_yen),
        ("cap_yen", input.cap_yen),
        ("price_min", input.price_min),
        ("price_max", input.price_max),
    ] {
        if v.is_some_and(|v| !(0..=100_000_000).contains(&v)) {
            bad(f, "must be 0 to 100,000,000 yen");
        }
    }
    if let (Some(f), Some(c)) = (input.floor_yen, input.cap_yen)
        && f > c
    {
        bad("cap_yen", "must not be below floor_yen");
    }
    if let (Some(a), Some(b)) = (input.price_min, input.price_max)
        && a > b
    {
        bad("price_max", "must not be below price_min");
    }
    let scope = input.channel_scope.as_deref().unwrap_or(channel_scope::ANY);
    if !channel_scope::ALL.contains(&scope) {
        bad("channel_scope", "must be any, shop or channel");
    }
    if fee_type::hub_stock(t) {
        // Stock in the warehouse has no channel or payment method yet.
        if scope != channel_scope::ANY {
            bad(
                "channel_scope",
                "a hub fee on stock applies to every channel: use any",
            );
        }
        if input.payment_method.is_some() {
            bad("payment_method", "is not used by a hub fee on stock");
        }
    }
    if input.channel_id.is_some() && scope != channel_scope::CHANNEL {
        bad("channel_id", "is only used with channel_scope channel");
    }
    if let Some(m) = &input.payment_method
        && PaymentMethod::parse(m).is_none()
    {
        bad(
            "payment_method",
            "must be card, bank_transfer, cash_on_delivery or marketplace",
        );
    }
    if t == fee_type::FUND_SHARE {
        if input.fund_id.is_none() {
            bad("fund_id", "is required for a fund share");
        }
        if !input
            .bearer
            .as_deref()
            .is_some_and(|b| bearer::ALL.contains(&b))
        {
            bad("bearer", "must be aggregator or producer");
        }
    } else {
        if input.fund_id.is_some() {
            bad("fund_id", "is only used by a fund share");
        }
        if input.bearer.is_some() {
            bad("bearer", "is only used by a fund share");
        }
    }
    if let (Some(from), Some(to)) = (input.effective_from, input.effective_to)
        && to < from
    {
        bad("effective_to", "must not be before effective_from");
    }
    // What the rule names must be the tenant's.
    if let Some(p) = input.producer_id
        && crate::producers::repo::producer(db, p)
            .await?
            .is_none_or(|p| p.aggregator_id != agg)
    {
        bad("producer_id", "is not a producer of your aggregator");
    }
    if let Some(c) = &input.category_code
        && crate::catalog::repo::category(db, c.clone())
            .await?
            .is_none()
    {
        bad("category_code", "is not a category code");
    }
    if let Some(c) = input.channel_id
        && crate::channels::repo::channel_of(db, agg, c)
            .await?
            .is_none()
    {
        bad("channel_id", "is not a channel account of your aggregator");
    }
    if let Some(f) = input.fund_id
        && !repo::fund(db, agg, f).await?.is_some_and(|f| f.active)
    {
        bad("fund_id", "is not an active fund of your aggregator");
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::invalid(errors))
    }
}

fn row(
    agg: Uuid,
    actor: &Actor,
    input: FeeRuleInput,
    version: i32,
    supersedes: Option<Uuid>,
) -> fee_rule::ActiveModel {
    fee_rule::ActiveModel {
        id: Set(core::new_id()),
        aggregator_id: Set(agg),
        fee_type: Set(input.fee_type),
        position: Set(input.position),
        producer_id: Set(input.producer_id),
        category_code: Set(input.category_code),
        channel_scope: Set(input
            .channel_scope
            .unwrap_or_else(|| channel_scope::ANY.into())),
        channel_id: Set(input.channel_id),
        payment_method: Set(input.payment_method),
        price_min: Set(input.price_min),
        price_max: Set(input.price_max),
        basis: Set(input.basis),
        rate_bp: Set(input.rate_bp),
        fixed_yen: Set(input.fixed_yen),
        floor_yen: Set(input.floor_yen),
        cap_yen: Set(input.cap_yen),
        fund_id: Set(input.fund_id),
        bearer: Set(input.bearer),
        effective_from: Set(input.effective_from.unwrap_or_else(core::today_jst)),
        effective_to: Set(input.effective_to),
        version: Set(version),
        supersedes_id: Set(supersedes),
        created_by: Set(actor.user_id),
        created_at: Set(core::now()),
        retired_at: Set(None),
    }
}

async fn audit_rule(
    db: &impl ConnectionTrait,
    actor: &Actor,
    action: &str,
    r: &fee_rule::Model,
) -> ApiResult<()> {
    audit::record(
        db,
        AuditRecord {
            aggregator_id: Some(r.aggregator_id),
            actor_user_id: Some(actor.user_id),
            action,
            subject_type: "fee_rule",
            subject_id: Some(r.id.to_string()),
            details: serde_json::json!({
                "rule": domain_rule(r),
                "supersedes_id": r.supersedes_id,
            }),
        },
    )
    .await?;
    Ok(())
}

/// The rule as the money rules read it (and as a sale freezes it).
pub fn domain_rule(r: &fee_rule::Model) -> domain::Rule {
    domain::Rule {
        id: r.id,
        version: r.version,
        fee_type: r.fee_type.clone(),
        position: r.position,
        producer_id: r.producer_id,
        category_code: r.category_code.clone(),
        channel_scope: r.channel_scope.clone(),
        channel_id: r.channel_id,
        payment_method: r.payment_method.clone(),
        price_min: r.price_min,
        price_max: r.price_max,
        basis: r.basis.clone(),
        rate_bp: r.rate_bp,
        fixed_yen: r.fixed_yen,
        floor_yen: r.floor_yen,
        cap_yen: r.cap_yen,
        fund_id: r.fund_id,
        bearer: r.bearer.clone(),
        effective_from: r.effective_from,
        effective_to: r.effective_to,
    }
}

/// Creates a rule (version 1).
///
/// # Errors
/// 403; 422 naming each bad field.
#[tracing::instrument(skip_all)]
pub async fn create(
    app: &AppState,
    actor: &Actor,
    input: FeeRuleInput,
) -> ApiResult<fee_rule::Model> {
    let agg = finance(actor)?;
    check(&app.db, agg, &input).await?;
    let txn = db::begin_write(&app.db).await?;
    let r = repo::insert_rule(&txn, row(agg, actor, input, 1, None)).await?;
    audit_rule(&txn, actor, "fee_rule_created", &r).await?;
    txn.commit().await?;
    Ok(r)
}

/// Rule versions, each with the version that replaced it.
pub type Versions = Vec<(fee_rule::Model, Option<Uuid>)>;

/// The versions that replaced each version, keyed by the replaced one.
fn successors(all: &[fee_rule::Model]) -> HashMap<Uuid, Uuid> {
    all.iter()
        .filter_map(|r| r.supersedes_id.map(|s| (s, r.id)))
        .collect()
}

/// The tenant's rules: each rule's newest version (every version with `history`), by fee type
/// and position; with what replaced each.
///
/// # Errors
/// 403; 422 `fee_type`.
#[tracing::instrument(skip_all)]
pub async fn list(
    app: &AppState,
    actor: &Actor,
    only_type: Option<&str>,
    history: bool,
) -> ApiResult<Versions> {
    let agg = finance(actor)?;
    let mut cond = Condition::all();
    if let Some(t) = only_type {
        if !fee_type::ALL.contains(&t) {
            return Err(ApiError::field(
                "fee_type",
                "must be commission, payment_fee, channel_fee, packing, cool_chain, storage, \
                 inbound_handling or fund_share",
            ));
        }
        cond = cond.add(fee_rule::Column::FeeType.eq(t));
    }
    let all = repo::rules_where(&app.db, agg, cond).await?;
    let next = successors(&all);
    Ok(all
        .into_iter()
        .map(|r| {
            let by = next.get(&r.id).copied();
            (r, by)
        })
        .filter(|(_, by)| history || by.is_none())
        .collect())
}

/// Version `id` with every version of its rule, oldest first.
///
/// # Errors
/// 403; 404 outside the tenant.
#[tracing::instrument(skip_all)]
pub async fn history(
    app: &AppState,
    actor: &Actor,
    id: Uuid,
) -> ApiResult<(fee_rule::Model, Versions)> {
    let agg = finance(actor)?;
    let r = repo::rule(&app.db, agg, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let all = repo::rules_where(
        &app.db,
        agg,
        Condition::all().add(fee_rule::Column::FeeType.eq(r.fee_type.clone())),
    )
    .await?;
    let next = successors(&all);
    let by_id: HashMap<Uuid, &fee_rule::Model> = all.iter().map(|r| (r.id, r)).collect();
    // Back to the first version, then forward along the successors.
    let mut first = &r;
    while let Some(prev) = first.supersedes_id.and_then(|p| by_id.get(&p)) {
        first = prev;
    }
    let mut chain = vec![(first.clone(), next.get(&first.id).copied())];
    let mut at = first.id;
    while let Some(n) = next.get(&at).and_then(|n| by_id.get(n)) {
        chain.push(((*n).clone(), next.get(&n.id).copied()));
        at = n.id;
    }
    Ok((r, chain))
}

/// Replaces version `id` by the next version from `input.effective_from` (today when absent):
/// the old one ends the day before (sales already booked keep what they froze).
///
/// # Errors
/// 403; 404; 409 `rule_superseded`; 422 fields (also a changed `fee_type`).
#[tracing::instrument(skip_all)]
pub async fn revise(
    app: &AppState,
    actor: &Actor,
    id: Uuid,
    mut input: FeeRuleInput,
) -> ApiResult<fee_rule::Model> {
    let agg = finance(actor)?;
    let old = repo::rule(&app.db, agg, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if input.fee_type != old.fee_type {
        return Err(ApiError::field(
            "fee_type",
            "cannot change: retire the rule and create one of the other type",
        ));
    }
    let from = input.effective_from.unwrap_or_else(core::today_jst);
    input.effective_from = Some(from);
    check(&app.db, agg, &input).await?;
    let txn = db::begin_write(&app.db).await?;
    if let Some(n) = repo::successor(&txn, old.id).await? {
        return Err(MoneyError::RuleSuperseded { newer: n.version }.into());
    }
    // The old version applies up to the day before (not at all when the new one starts first).
    let last = (from - Duration::days(1)).max(old.effective_from - Duration::days(1));
    repo::end_rule(&txn, old.id, last, None).await?;
    let new = repo::insert_rule(&txn, row(agg, actor, input, old.version + 1, Some(old.id)))
        .await
        .map_err(|e| match ApiError::from(e) {
            ApiError::Conflict { .. } => ApiError::from(MoneyError::RuleSuperseded {
                newer: old.version + 1,
            }),
            other => other,
        })?;
    audit_rule(&txn, actor, "fee_rule_changed", &new).await?;
    txn.commit().await?;
    Ok(new)
}

/// Ends the newest version `id` on `last_day` (yesterday when absent) and marks it retired.
///
/// # Errors
/// 403; 404; 409 `rule_superseded` / `rule_ended`.
#[tracing::instrument(skip_all)]
pub async fn retire(
    app: &AppState,
    actor: &Actor,
    id: Uuid,
    last_day: Option<NaiveDate>,
) -> ApiResult<fee_rule::Model> {
    let agg = finance(actor)?;
    let last = last_day.unwrap_or_else(|| core::today_jst() - Duration::days(1));
    let txn = db::begin_write(&app.db).await?;
    let r = repo::rule(&txn, agg, id).await?.ok_or(ApiError::NotFound)?;
    if let Some(n) = repo::successor(&txn, r.id).await? {
        return Err(MoneyError::RuleSuperseded { newer: n.version }.into());
    }
    if !repo::end_rule(&txn, r.id, last, Some(core::now())).await? {
        return Err(MoneyError::RuleEnded {
            ended: r.effective_to.unwrap_or(last),
        }
        .into());
    }
    let r = repo::rule(&txn, agg, id).await?.ok_or(ApiError::NotFound)?;
    audit_rule(&txn, actor, "fee_rule_retired", &r).await?;
    txn.commit().await?;
    Ok(r)
}

/// Creates a community fund.
///
/// # Errors
/// 403; 422 `name_ja` / `name_en`; 409 `already_exists` for a name in use.
#[tracing::instrument(skip_all)]
pub async fn create_fund(
    app: &AppState,
    actor: &Actor,
    input: FundInput,
) -> ApiResult<community_fund::Model> {
    let agg = finance(actor)?;
    let name_ja = core::validate::text(input.name_ja.trim(), 200)
        .map_err(|m| ApiError::field("name_ja", m))?;
    if name_ja.is_empty() {
        return Err(ApiError::field("name_ja", "is required"));
    }
    let name_en = match input.name_en.as_deref().map(str::trim) {
        None | Some("") => name_ja.clone(),
        Some(n) => core::validate::text(n, 200).map_err(|m| ApiError::field("name_en", m))?,
    };
    let bank = input.bank.as_ref().map(fund_bank).transpose()?;
    let txn = db::begin_write(&app.db).await?;
    let f = repo::insert_fund(
        &txn,
        community_fund::ActiveModel {
            id: Set(core::new_id()),
            aggregator_id: Set(agg),
            name_ja: Set(name_ja),
            name_en: Set(name_en),
            active: Set(true),
            created_at: Set(core::now()),
            bank_code: Set(bank.as_ref().map(|b| b.bank_code.clone())),
            branch_code: Set(bank.as_ref().map(|b| b.branch_code.clone())),
            account_type: Set(bank.as_ref().map(|b| b.account_type.clone())),
            account_number: Set(bank.as_ref().map(|b| b.account_number.clone())),
            account_holder_kana: Set(bank.as_ref().map(|b| b.holder_kana.clone())),
        },
    )
    .await?;
    audit::record(
        &txn,
        AuditRecord {
            aggregator_id: Some(agg),
            actor_user_id: Some(actor.user_id),
            action: "community_fund_created",
            subject_type: "community_fund",
            subject_id: Some(f.id.to_string()),
            details: serde_json::json!({ "name_ja": f.name_ja }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(f)
}

/// A fund's bank account checked like a producer's (`bank.` fields).
fn fund_bank(b: &FundBank) -> ApiResult<FundBank> {
    use crate::producers::domain::{AccountType, BankAccount};
    let t = match b.account_type.as_str() {
        "ordinary" => AccountType::Ordinary,
        "current" => AccountType::Current,
        "savings" => AccountType::Savings,
        _ => {
            return Err(ApiError::field(
                "bank.account_type",
                "must be ordinary, current or savings",
            ));
        }
    };
    let a = BankAccount::new(
        &b.bank_code,
        &b.branch_code,
        t,
        &b.account_number,
        &b.holder_kana,
    )
    .map_err(|errs| {
        ApiError::invalid(
            errs.into_iter()
                .map(|(f, m)| (format!("bank.{f}"), m))
                .collect(),
        )
    })?;
    Ok(FundBank {
        bank_code: a.bank_code,
        branch_code: a.branch_code,
        account_type: b.account_type.clone(),
        account_number: a.number,
        holder_kana: a.holder_kana,
    })
}

/// The tenant's funds.
///
/// # Errors
/// 403.
#[tracing::instrument(skip_all)]
pub async fn funds(app: &AppState, actor: &Actor) -> ApiResult<Vec<community_fund::Model>> {
    let agg = finance(actor)?;
    Ok(repo::funds(&app.db, agg).await?)
}
