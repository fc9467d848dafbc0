//! Closing a settlement period and the producers' statements (売上計算書 / 委託販売精算書).
//!
//! Closing is one write transaction: it refuses a period that has not ended or that has an
//! earlier one still open; per producer with money in the period it books the consumption tax
//! inside the aggregator's charges once (the statement is the aggregator's invoice for them, at
//! 10 %, under its own number), and writes the statement from the period's frozen sale, return
//! and charge rows — sales and returns per rate with their tax once per rate, the charges and
//! their tax, the fund share the producer bore, the opening balance and the net payable (the
//! producer's payable account at the period's end). Then the period is closed (later events
//! book into the next open one) and the next period exists.
use super::{
    domain::{AccountRef, Legs, account, bearer, fee_type},
    fee_rules::finance,
    ledger::{self, Posting},
    repo,
};
use crate::{
    core::{self, csv::CsvEncoding, locale::Locale, money::included_tax},
    db,
    error::{ApiError, ApiResult},
    http::actor::{Actor, Role},
    state::AppState,
};
use chrono::Duration;
use entity::{fee_charge, sale_line, sale_return, settlement_period, statement};
use sea_orm::{ActiveValue::Set, ColumnTrait, Condition, DatabaseTransaction};
use serde::Serialize;
use std::collections::HashMap;
use utoipa::ToSchema;
use uuid::Uuid;

/// Stable codes of refused closes.
pub mod code {
    pub const PERIOD_NOT_ENDED: &str = "period_not_ended";
    pub const PERIOD_CLOSED: &str = "period_closed";
    pub const EARLIER_PERIOD_OPEN: &str = "earlier_period_open";
}

/// The account that takes the consumption tax out of the aggregator's charge revenue.
pub const CHARGES_TAX: &str = "revenue.consumption_tax";

/// How a statement names sales of the aggregator's own shared shop.
pub const SHOP: &str = "自社ショップ";

/// What a close did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CloseSummary {
    pub period_id: Uuid,
    pub statements: usize,
    /// Σ net payable over the statements.
    pub payable_total: i64,
    /// The period later events now book into.
    pub next_period_id: Uuid,
}

/// The totals of one producer's period, from its frozen rows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Totals {
    pub sales0: i64,
    pub sales8: i64,
    pub sales10: i64,
    pub returns8: i64,
    pub returns10: i64,
    pub charges_total: i64,
    pub fund_share: i64,
}

impl Totals {
    /// Sums `sales`, `returns` and `charges` (charges given back by returns are negative).
    pub fn of(
        sales: &[sale_line::Model],
        returns: &[sale_return::Model],
        charges: &[fee_charge::Model],
    ) -> Self {
        let at = |rate: i16| -> i64 {
            sales
                .iter()
                .filter(|s| s.tax_rate == rate)
                .map(|s| s.amount)
                .sum()
        };
        let back = |rate: i16| -> i64 {
            returns
                .iter()
                .filter(|r| r.tax_rate == rate)
                .map(|r| r.amount)
                .sum()
        };
        Self {
            sales0: at(0),
            sales8: at(8),
            sales10: at(10),
            returns8: back(8),
            returns10: back(10),
            charges_total: charges
                .iter()
                .filter(|c| c.fee_type != fee_type::FUND_SHARE)
                .map(|c| c.amount)
                .sum(),
            fund_share: charges
                .iter()
                .filter(|c| {
                    c.fee_type == fee_type::FUND_SHARE
                        && c.bearer.as_deref() == Some(bearer::PRODUCER)
                })
                .map(|c| c.amount)
                .sum(),
        }
    }
}

fn refuse(code: &'static str, message: String) -> ApiError {
    ApiError::Conflict {
        code,
        message,
        details: serde_json::json!({}),
    }
}

/// Closes period `id` of the caller's aggregator (see the module).
///
/// # Errors
/// 403; 404; 409 `period_not_ended`, `earlier_period_open`, `period_closed`.
#[tracing::instrument(skip_all, fields(period.id = %id))]
pub async fn close(app: &AppState, actor: &Actor, id: Uuid) -> ApiResult<CloseSummary> {
    let agg = finance(actor)?;
    let txn = db::begin_write(&app.db).await?;
    let p = repo::period(&txn, agg, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if p.status != "open" {
        return Err(refuse(
            code::PERIOD_CLOSED,
            format!(
                "the period {} – {} is closed already",
                p.starts_on, p.ends_on
            ),
        ));
    }
    let today = core::today_jst();
    if p.ends_on >= today {
        return Err(refuse(
            code::PERIOD_NOT_ENDED,
            format!(
                "the period runs until {}: close it from the day after",
                p.ends_on
            ),
        ));
    }
    // Every earlier period (the list endpoint's page of 120 would miss old ones).
    let periods = repo::periods_before(&txn, agg, p.starts_on).await?;
    if let Some(open) = periods.iter().find(|q| q.status == "open") {
        return Err(refuse(
            code::EARLIER_PERIOD_OPEN,
            format!("close the period from {} first", open.starts_on),
        ));
    }
    let before: Vec<Uuid> = periods.iter().map(|q| q.id).collect();
    let seller = crate::orders::seller::seller(app, agg).await?;
    // Storage fees are counted from the stock of the period that just ended.
    super::hub_fees::book_storage(app, &txn, &p).await?;
    let mut producers = repo::producers_in_period(&txn, agg, p.id).await?;
    // A producer whose only news is a loss it bore still gets its statement listing it.
    for l in repo::stock_losses_where(
        &txn,
        agg,
        Condition::all().add(entity::stock_loss::Column::PeriodId.eq(p.id)),
    )
    .await?
    {
        if !producers.contains(&l.producer_id) {
            producers.push(l.producer_id);
        }
    }
    let mut rows = Vec::new();
    let mut payable_total = 0;
    for (i, pid) in producers.iter().enumerate() {
        let (st, net) = statement_of(app, &txn, &p, &before, *pid, &seller, i + 1).await?;
        payable_total += net;
        rows.push(st);
    }
    let n = rows.len();
    // The statements' PDFs are rendered by a job after the close commits; it emails the
    // producers' users with them attached.
    crate::jobs::enqueue(
        &txn,
        crate::jobs::NewJob::of(&super::jobs::StatementPdfs { period_id: p.id })
            .dedupe(format!("statement-pdfs:{}", p.id))
            .tenant(Some(agg)),
    )
    .await?;
    repo::insert_statements(&txn, rows).await?;
    if !repo::close_period(&txn, p.id, actor.user_id, core::now()).await? {
        return Err(refuse(
            code::PERIOD_CLOSED,
            "the period was closed meanwhile".into(),
        ));
    }
    let next = ledger::period_for(
        &txn,
        agg,
        p.ends_on + Duration::days(1),
        app.settings.money.period_months,
    )
    .await?;
    crate::audit::record(
        &txn,
        crate::audit::AuditRecord {
            aggregator_id: Some(agg),
            actor_user_id: Some(actor.user_id),
            action: "period_closed",
            subject_type: "settlement_period",
            subject_id: Some(p.id.to_string()),
            details: serde_json::json!({ "statements": n, "payable_total": payable_total }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(CloseSummary {
        period_id: p.id,
        statements: n,
        payable_total,
        next_period_id: next.id,
    })
}

/// Books the tax in producer `pid`'s charges of period `p` and builds its statement row.
async fn statement_of(
    app: &AppState,
    txn: &DatabaseTransaction,
    p: &settlement_period::Model,
    before: &[Uuid],
    pid: Uuid,
    seller: &crate::orders::seller::SellerProfile,
    seq: usize,
) -> ApiResult<(statement::ActiveModel, i64)> {
    let agg = p.aggregator_id;
    let sales = repo::sale_lines_where(
        txn,
        agg,
        Condition::all()
            .add(sale_line::Column::PeriodId.eq(p.id))
            .add(sale_line::Column::ProducerId.eq(pid)),
    )
    .await?;
    let returns = repo::sale_returns_where(
        txn,
        agg,
        Condition::all()
            .add(sale_return::Column::PeriodId.eq(p.id))
            .add(sale_return::Column::ProducerId.eq(pid)),
    )
    .await?;
    let charges = repo::charges_where(
        txn,
        agg,
        Condition::all()
            .add(fee_charge::Column::PeriodId.eq(p.id))
            .add(fee_charge::Column::ProducerId.eq(pid)),
    )
    .await?;
    let t = Totals::of(&sales, &returns, &charges);
    let r = &seller.tax_rounding;
    let charges_tax10 = included_tax(t.charges_total.max(0), 10, r);
    if charges_tax10 > 0 {
        let mut legs = Legs::default();
        legs.debit(AccountRef::new(CHARGES_TAX, ""), charges_tax10, Some(pid));
        legs.credit(
            AccountRef::new(account::TAX_PAYABLE_10, ""),
            charges_tax10,
            Some(pid),
        );
        ledger::post(
            txn,
            app.settings.money.period_months,
            Posting {
                aggregator_id: agg,
                kind: "charges_tax",
                source_ref: format!("charges-tax:{}:{pid}", p.id),
                occurred_on: p.ends_on,
                order_id: None,
                producer_id: Some(pid),
                memo: format!("tax in {} yen of charges", t.charges_total),
                created_by: None,
                legs,
            },
        )
        .await?;
    }
    let payable = repo::account(
        txn,
        agg,
        account::PRODUCER_PAYABLE,
        &pid.to_string(),
        "liability",
        core::now(),
    )
    .await?;
    let opening = -repo::account_movement(txn, agg, payable.id, before.to_vec()).await?;
    let mut upto = before.to_vec();
    upto.push(p.id);
    // A clawback left from earlier is recovered out of what the period leaves payable.
    let clawback = repo::account(
        txn,
        agg,
        account::PRODUCER_CLAWBACK,
        &pid.to_string(),
        "asset",
        core::now(),
    )
    .await?;
    let owed = -repo::account_movement(txn, agg, payable.id, upto.clone()).await?;
    let clawed = repo::account_movement(txn, agg, clawback.id, upto.clone()).await?;
    let recover = owed.min(clawed);
    if recover > 0 {
        let mut legs = Legs::default();
        legs.debit(AccountRef::payable(pid), recover, Some(pid));
        legs.credit(
            AccountRef::new(account::PRODUCER_CLAWBACK, pid.to_string()),
            recover,
            Some(pid),
        );
        ledger::post(
            txn,
            app.settings.money.period_months,
            Posting {
                aggregator_id: agg,
                kind: "clawback_recovery",
                source_ref: format!("recover:{}:{pid}", p.id),
                occurred_on: p.ends_on,
                order_id: None,
                producer_id: Some(pid),
                memo: "前期までの過払い分の回収 / clawback recovered".into(),
                created_by: None,
                legs,
            },
        )
        .await?;
    }
    let net = -repo::account_movement(txn, agg, payable.id, upto).await?;
    let producer = crate::producers::repo::producer(txn, pid)
        .await?
        .ok_or(ApiError::NotFound)?;
    let lines = crate::orders::repo::lines_where(
        txn,
        Condition::all()
            .add(entity::order_line::Column::Id.is_in(sales.iter().map(|s| s.order_line_id))),
        sea_orm::Order::Asc,
        None,
    )
    .await?;
    let intermediary = lines
        .iter()
        .any(|l| l.invoice_rule.as_deref() == Some("intermediary"));
    let row = statement::ActiveModel {
        id: Set(core::new_id()),
        aggregator_id: Set(agg),
        period_id: Set(p.id),
        producer_id: Set(pid),
        number: Set(format!("{}-{seq:04}", p.starts_on.format("%Y%m"))),
        locale: Set(producer.locale.clone()),
        producer_name: Set(producer.legal_name.clone()),
        producer_address: Set(format!("〒{} {}", producer.postal_code, producer.address)),
        producer_invoice_number: Set(producer
            .invoice_number
            .clone()
            .filter(|_| !producer.tax_exempt)),
        aggregator_name: Set(seller.name.clone()),
        aggregator_invoice_number: Set(seller.invoice_number.clone().filter(|n| !n.is_empty())),
        sales0: Set(t.sales0),
        sales8: Set(t.sales8),
        tax8: Set(included_tax(t.sales8, 8, r)),
        sales10: Set(t.sales10),
        tax10: Set(included_tax(t.sales10, 10, r)),
        returns8: Set(t.returns8),
        returns_tax8: Set(included_tax(t.returns8, 8, r)),
        returns10: Set(t.returns10),
        returns_tax10: Set(included_tax(t.returns10, 10, r)),
        charges_total: Set(t.charges_total),
        charges_tax10: Set(charges_tax10),
        fund_share: Set(t.fund_share),
        opening_balance: Set(opening),
        net_payable: Set(net),
        intermediary: Set(intermediary),
        created_at: Set(core::now()),
        pdf_key: Set(None),
        pdf_sha256: Set(None),
        pdf_locale: Set(None),
    };
    Ok((row, net))
}

/// The caller's view of statements: finance and admins of the tenant see its statements, a
/// producer only its own.
fn scope(actor: &Actor) -> ApiResult<(Uuid, Option<Uuid>)> {
    match actor.role {
        Role::Producer => {
            let (Some(a), Some(p)) = (actor.aggregator_id, actor.producer_id) else {
                return Err(ApiError::forbidden());
            };
            Ok((a, Some(p)))
        }
        _ => Ok((finance(actor)?, None)),
    }
}

/// Statements in the caller's scope (of period `period` when given), newest first.
///
/// # Errors
/// 403 for operators and officers.
#[tracing::instrument(skip_all)]
pub async fn list(
    app: &AppState,
    actor: &Actor,
    period: Option<Uuid>,
) -> ApiResult<Vec<statement::Model>> {
    let (agg, only) = scope(actor)?;
    let mut cond = Condition::all();
    if let Some(p) = only {
        cond = cond.add(statement::Column::ProducerId.eq(p));
    }
    if let Some(p) = period {
        cond = cond.add(statement::Column::PeriodId.eq(p));
    }
    Ok(repo::statements_where(&app.db, agg, cond).await?)
}

/// One statement with its lines.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatementDetail {
    pub statement: StatementView,
    pub starts_on: chrono::NaiveDate,
    pub ends_on: chrono::NaiveDate,
    pub sales: Vec<StatementLine>,
    pub returns: Vec<StatementLine>,
    pub charges: Vec<StatementCharge>,
    /// Units lost from the producer's lots: who bore each loss and what it was credited.
    pub losses: Vec<StatementLoss>,
    /// Correcting entries and their reversals (positive credits the producer).
    pub adjustments: Vec<StatementAdjustment>,
    /// Sales and returns per channel (the shop first, then the channel accounts by name).
    pub by_channel: Vec<ChannelSubtotal>,
}

/// One channel's part of a statement, tax included.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChannelSubtotal {
    pub channel: String,
    pub sales: i64,
    pub returns: i64,
}

/// A sale or a return on a statement.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatementLine {
    pub date: chrono::NaiveDate,
    pub order_number: String,
    /// 自社ショップ (the shared shop) or the channel account's name.
    pub channel: String,
    pub title: String,
    pub qty: i64,
    pub unit_price: i64,
    pub tax_rate: i16,
    pub amount: i64,
}

/// A loss on a statement: the aggregator or a carrier bore it (the producer credited), or the
/// producer did (listed, no money).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatementLoss {
    pub date: chrono::NaiveDate,
    pub sku_code: String,
    pub title: String,
    pub qty: i64,
    pub unit_price: i64,
    /// `producer`, `aggregator` or `carrier`.
    pub bearer: String,
    pub credit: i64,
}

/// A correcting entry on a statement.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatementAdjustment {
    pub date: chrono::NaiveDate,
    pub reason: String,
    /// Yen: positive credits the producer.
    pub amount: i64,
}

/// A charge on a statement (negative when a return gave it back).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatementCharge {
    pub fee_type: String,
    pub subject: String,
    pub amount: i64,
    pub tax_rate: i16,
    pub bearer: Option<String>,
}

/// Statement `id` in the caller's scope, with its lines.
///
/// # Errors
/// 403; 404 outside the scope.
#[tracing::instrument(skip_all, fields(statement.id = %id))]
pub async fn get(app: &AppState, actor: &Actor, id: Uuid) -> ApiResult<StatementDetail> {
    detail(app, find(app, actor, id).await?).await
}

/// Statement `id` in the caller's scope.
async fn find(app: &AppState, actor: &Actor, id: Uuid) -> ApiResult<statement::Model> {
    let (agg, only) = scope(actor)?;
    let mut cond = Condition::all().add(statement::Column::Id.eq(id));
    if let Some(p) = only {
        cond = cond.add(statement::Column::ProducerId.eq(p));
    }
    repo::statements_where(&app.db, agg, cond)
        .await?
        .pop()
        .ok_or(ApiError::NotFound)
}

/// Statement `s` with its lines.
async fn detail(app: &AppState, s: statement::Model) -> ApiResult<StatementDetail> {
    let agg = s.aggregator_id;
    let p = repo::period(&app.db, agg, s.period_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let mine = |period: sea_orm::sea_query::SimpleExpr,
                producer: sea_orm::sea_query::SimpleExpr| {
        Condition::all().add(period).add(producer)
    };
    let sales = repo::sale_lines_where(
        &app.db,
        agg,
        mine(
            sale_line::Column::PeriodId.eq(s.period_id),
            sale_line::Column::ProducerId.eq(s.producer_id),
        ),
    )
    .await?;
    let returns = repo::sale_returns_where(
        &app.db,
        agg,
        mine(
            sale_return::Column::PeriodId.eq(s.period_id),
            sale_return::Column::ProducerId.eq(s.producer_id),
        ),
    )
    .await?;
    let charges = repo::charges_where(
        &app.db,
        agg,
        mine(
            fee_charge::Column::PeriodId.eq(s.period_id),
            fee_charge::Column::ProducerId.eq(s.producer_id),
        ),
    )
    .await?;
    let losses = repo::stock_losses_where(
        &app.db,
        agg,
        mine(
            entity::stock_loss::Column::PeriodId.eq(s.period_id),
            entity::stock_loss::Column::ProducerId.eq(s.producer_id),
        ),
    )
    .await?;
    let adjustments = adjustments_of(&app.db, agg, s.period_id, s.producer_id).await?;
    let numbers: HashMap<Uuid, String> = crate::orders::repo::all_orders_where(
        &app.db,
        Condition::all()
            .add(entity::shop_order::Column::Id.is_in(sales.iter().map(|l| l.order_id))),
    )
    .await?
    .into_iter()
    .map(|o| (o.id, o.number))
    .collect();
    let by_line: HashMap<Uuid, &sale_line::Model> =
        sales.iter().map(|l| (l.order_line_id, l)).collect();
    let names: HashMap<Uuid, String> = crate::channels::repo::channels_among(
        &app.db,
        sales
            .iter()
            .filter_map(|l| l.channel_id)
            .collect::<Vec<_>>(),
    )
    .await?
    .into_iter()
    .map(|c| (c.id, c.name))
    .collect();
    let channel_name = |c: Option<Uuid>| match c {
        None => SHOP.to_string(),
        Some(id) => names.get(&id).cloned().unwrap_or_else(|| id.to_string()),
    };
    let mut by_channel: Vec<ChannelSubtotal> = Vec::new();
    let mut add = |name: String, sale: i64, back: i64| match by_channel
        .iter_mut()
        .find(|c| c.channel == name)
    {
        Some(c) => {
            c.sales += sale;
            c.returns += back;
        }
        None => by_channel.push(ChannelSubtotal {
            channel: name,
            sales: sale,
            returns: back,
        }),
    };
    for l in &sales {
        add(channel_name(l.channel_id), l.amount, 0);
    }
    for r in &returns {
        let c = by_line.get(&r.order_line_id).and_then(|l| l.channel_id);
        add(channel_name(c), 0, r.amount);
    }
    by_channel.sort_by_key(|c| (c.channel != SHOP, c.channel.clone()));
    Ok(StatementDetail {
        by_channel,
        starts_on: p.starts_on,
        ends_on: p.ends_on,
        sales: sales
            .iter()
            .map(|l| StatementLine {
                date: l.sold_on,
                order_number: numbers.get(&l.order_id).cloned().unwrap_or_default(),
                channel: channel_name(l.channel_id),
                title: l.title.clone(),
                qty: l.qty,
                unit_price: l.unit_price,
                tax_rate: l.tax_rate,
                amount: l.amount,
            })
            .collect(),
        returns: returns
            .iter()
            .map(|r| {
                let sold = by_line.get(&r.order_line_id);
                StatementLine {
                    date: r.returned_on,
                    order_number: sold
                        .and_then(|l| numbers.get(&l.order_id).cloned())
                        .unwrap_or_default(),
                    channel: channel_name(sold.and_then(|l| l.channel_id)),
                    title: r.title.clone(),
                    qty: r.qty,
                    unit_price: r.unit_price,
                    tax_rate: r.tax_rate,
                    amount: r.amount,
                }
            })
            .collect(),
        charges: charges
            .iter()
            .map(|c| StatementCharge {
                fee_type: c.fee_type.clone(),
                subject: c.subject_key.clone(),
                amount: c.amount,
                tax_rate: c.tax_rate,
                bearer: c.bearer.clone(),
            })
            .collect(),
        losses: losses
            .iter()
            .map(|l| StatementLoss {
                date: l.lost_on,
                sku_code: l.sku_code.clone(),
                title: l.title.clone(),
                qty: l.qty,
                unit_price: l.unit_price,
                bearer: l.bearer.clone(),
                credit: l.credit,
            })
            .collect(),
        adjustments,
        statement: StatementView::from(s),
    })
}

/// A statement's totals.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatementView {
    pub id: Uuid,
    pub period_id: Uuid,
    pub producer_id: Uuid,
    pub number: String,
    pub producer_name: String,
    pub producer_address: String,
    pub producer_invoice_number: Option<String>,
    pub aggregator_name: String,
    pub aggregator_invoice_number: Option<String>,
    pub sales0: i64,
    pub sales8: i64,
    pub tax8: i64,
    pub sales10: i64,
    pub tax10: i64,
    pub returns8: i64,
    pub returns_tax8: i64,
    pub returns10: i64,
    pub returns_tax10: i64,
    pub charges_total: i64,
    pub charges_tax10: i64,
    pub fund_share: i64,
    pub opening_balance: i64,
    pub net_payable: i64,
    /// Some sales were invoiced under the aggregator's number: this statement is also the
    /// copy 媒介者交付特例 requires.
    pub intermediary: bool,
}

impl From<statement::Model> for StatementView {
    fn from(s: statement::Model) -> Self {
        Self {
            id: s.id,
            period_id: s.period_id,
            producer_id: s.producer_id,
            number: s.number,
            producer_name: s.producer_name,
            producer_address: s.producer_address,
            producer_invoice_number: s.producer_invoice_number,
            aggregator_name: s.aggregator_name,
            aggregator_invoice_number: s.aggregator_invoice_number,
            sales0: s.sales0,
            sales8: s.sales8,
            tax8: s.tax8,
            sales10: s.sales10,
            tax10: s.tax10,
            returns8: s.returns8,
            returns_tax8: s.returns_tax8,
            returns10: s.returns10,
            returns_tax10: s.returns_tax10,
            charges_total: s.charges_total,
            charges_tax10: s.charges_tax10,
            fund_share: s.fund_share,
            opening_balance: s.opening_balance,
            net_payable: s.net_payable,
            intermediary: s.intermediary,
        }
    }
}

/// Statement `id` as PDF (see [`super::pdf`]), rendered off the async threads.
///
/// # Errors
/// As [`get`]; 503 when no Japanese font is installed.
#[tracing::instrument(skip_all, fields(statement.id = %id))]
pub async fn pdf(app: &AppState, actor: &Actor, id: Uuid) -> ApiResult<Vec<u8>> {
    let s = find(app, actor, id).await?;
    if let Some(key) = &s.pdf_key
        && let Some(bytes) = app.storage.get(key).await.map_err(ApiError::Internal)?
    {
        return Ok(bytes);
    }
    let locale = Locale::parse(&s.locale);
    render(app, detail(app, s).await?, locale).await
}

/// The PDF of `d` in `locale`, rendered off the async threads.
async fn render(app: &AppState, d: StatementDetail, locale: Locale) -> ApiResult<Vec<u8>> {
    let font = super::pdf::font_bytes(&app.settings.money.statement_font)?;
    tokio::task::spawn_blocking(move || super::pdf::render(&d, locale, font))
        .await
        .map_err(|e| ApiError::Internal(e.into()))?
}

/// The close's job (`money.statement_pdfs`): [`render_and_send`] for each statement of period
/// `period_id`, in number order.
///
/// # Errors
/// As [`render_and_send`]; 404 for a period that is gone.
#[tracing::instrument(skip_all, fields(period.id = %period_id))]
pub async fn render_period(app: &AppState, period_id: Uuid) -> ApiResult<()> {
    let mut ids = repo::statement_ids_of_period(&app.db, period_id).await?;
    ids.sort_by(|a, b| a.1.cmp(&b.1));
    for (id, _) in ids {
        render_and_send(app, id).await?;
    }
    Ok(())
}

/// One statement's part of the close's job: renders its PDF in the producer's language once, keeps it (blob and SHA-256 on the statement), then emails each
/// of the producer's active users that the statement is ready, with the PDF attached. A
/// retried job renders nothing twice: the kept PDF is used and the mails are deduplicated.
///
/// # Errors
/// Database or storage failure; 503 without a Japanese font (the job is retried).
#[tracing::instrument(skip_all, fields(statement.id = %id))]
pub async fn render_and_send(app: &AppState, id: Uuid) -> ApiResult<()> {
    let s = repo::statement_by_id(&app.db, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let key = format!("statements/{}/{}.pdf", s.aggregator_id, s.id);
    if s.pdf_key.is_none() {
        let locale = Locale::parse(&s.locale);
        let bytes = render(app, detail(app, s.clone()).await?, locale).await?;
        let sha = super::zengin::sha256_hex(&bytes);
        app.storage
            .put(&key, bytes)
            .await
            .map_err(ApiError::Internal)?;
        repo::set_statement_pdf(&app.db, s.id, &key, &sha, locale.as_str()).await?;
    }
    let p = repo::period(&app.db, s.aggregator_id, s.period_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let users = crate::auth::repo::users_where(
        &app.db,
        Condition::all()
            .add(entity::app_user::Column::ProducerId.eq(s.producer_id))
            .add(entity::app_user::Column::Active.eq(true)),
        1_000,
    )
    .await?;
    let base = app.settings.server.base_url.trim_end_matches('/');
    let txn = db::begin_write(&app.db).await?;
    for u in &users {
        crate::jobs::builtin::enqueue_mail_with(
            &txn,
            &u.email,
            Locale::parse(&u.locale),
            u.aggregator_id,
            &format!("statement-ready:{}:{}", p.id, u.id),
            crate::mail::messages::EmailMessage::StatementReady {
                display_name: u.display_name.clone(),
                number: s.number.clone(),
                period: p.starts_on.format("%Y-%m").to_string(),
                net_payable: s.net_payable,
                link: format!("{base}/portal/payouts"),
            },
            vec![crate::jobs::builtin::StoredAttachment {
                blob_key: key.clone(),
                filename: format!("statement-{}.pdf", s.number),
                content_type: "application/pdf".into(),
            }],
        )
        .await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Statement `id` as CSV in the `encoding` asked for (`utf-8`, with a BOM, by default, or
/// `shift_jis`): every line, then the totals; with the encoding used.
///
/// # Errors
/// As [`get`]; 422 `encoding`, or for text Shift_JIS cannot hold.
#[tracing::instrument(skip_all, fields(statement.id = %id))]
pub async fn csv(
    app: &AppState,
    actor: &Actor,
    id: Uuid,
    encoding: Option<&str>,
) -> ApiResult<(Vec<u8>, CsvEncoding)> {
    let enc = match CsvEncoding::parse(encoding)? {
        CsvEncoding::Auto => CsvEncoding::Utf8,
        e => e,
    };
    let d = get(app, actor, id).await?;
    let s = d.statement.clone();
    // The header rows are shorter than the line rows.
    let mut w = ::csv::WriterBuilder::new()
        .flexible(true)
        .terminator(::csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let err = |e: ::csv::Error| ApiError::Internal(e.into());
    let cell = |v: &str| core::csv::escape_cell(v);
    w.write_record([
        "委託販売精算書",
        &s.number,
        &d.starts_on.to_string(),
        &d.ends_on.to_string(),
    ])
    .map_err(err)?;
    w.write_record([
        "販売者",
        &cell(&s.producer_name),
        s.producer_invoice_number.as_deref().unwrap_or("免税事業者"),
        "",
    ])
    .map_err(err)?;
    w.write_record([
        "受託者",
        &cell(&s.aggregator_name),
        s.aggregator_invoice_number.as_deref().unwrap_or(""),
        "",
    ])
    .map_err(err)?;
    w.write_record([
        "区分",
        "日付",
        "注文番号",
        "販売経路",
        "品名",
        "数量",
        "単価",
        "税率",
        "金額",
    ])
    .map_err(err)?;
    let row = |w: &mut ::csv::Writer<Vec<u8>>, kind: &str, l: &StatementLine| {
        w.write_record([
            kind.to_string(),
            l.date.to_string(),
            l.order_number.clone(),
            l.channel.clone(),
            cell(&l.title),
            l.qty.to_string(),
            l.unit_price.to_string(),
            format!("{}%", l.tax_rate),
            l.amount.to_string(),
        ])
    };
    for l in &d.sales {
        row(&mut w, "売上", l).map_err(err)?;
    }
    for l in &d.returns {
        row(&mut w, "返品", l).map_err(err)?;
    }
    for c in &d.charges {
        w.write_record([
            "手数料".to_string(),
            String::new(),
            String::new(),
            String::new(),
            c.fee_type.clone(),
            String::new(),
            String::new(),
            format!("{}%", c.tax_rate),
            c.amount.to_string(),
        ])
        .map_err(err)?;
    }
    for l in &d.losses {
        w.write_record([
            "損失".to_string(),
            l.date.to_string(),
            bearer_name(&l.bearer).to_string(),
            String::new(),
            cell(&l.title),
            l.qty.to_string(),
            l.unit_price.to_string(),
            String::new(),
            l.credit.to_string(),
        ])
        .map_err(err)?;
    }
    for a in &d.adjustments {
        w.write_record([
            "調整".to_string(),
            a.date.to_string(),
            String::new(),
            String::new(),
            cell(&a.reason),
            String::new(),
            String::new(),
            String::new(),
            a.amount.to_string(),
        ])
        .map_err(err)?;
    }
    for (label, value) in [
        ("8%対象売上（税込）", s.sales8),
        ("うち消費税（8%）", s.tax8),
        ("10%対象売上（税込）", s.sales10),
        ("うち消費税（10%）", s.tax10),
        ("返品 8%対象（税込）", s.returns8),
        ("返品 10%対象（税込）", s.returns10),
        ("手数料合計（税込・10%）", s.charges_total),
        ("うち消費税（10%）", s.charges_tax10),
        ("地域基金への拠出", s.fund_share),
        ("前期繰越", s.opening_balance),
        ("差引支払額", s.net_payable),
    ] {
        w.write_record(["合計", label, "", "", "", "", "", "", &value.to_string()])
            .map_err(err)?;
    }
    let text = String::from_utf8(
        w.into_inner()
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("{e}")))?,
    )
    .map_err(|e| ApiError::Internal(e.into()))?;
    Ok((core::csv::encode(&text, enc)?, enc))
}

/// Who bore a loss, as a statement says it.
pub fn bearer_name(b: &str) -> &'static str {
    bearer_label(b, Locale::Ja)
}

/// Who bore a loss, in `locale`.
pub fn bearer_label(b: &str, locale: Locale) -> &'static str {
    let (ja, en) = match b {
        "aggregator" => ("受託者負担（補償）", "the agent (credited)"),
        "carrier" => ("運送会社負担（補償）", "the carrier (credited)"),
        _ => ("生産者負担", "the producer"),
    };
    if locale == Locale::En { en } else { ja }
}

/// Producer `pid`'s correcting entries (and their reversals) in period `period`: what each did
/// to its payable.
async fn adjustments_of(
    db: &impl sea_orm::ConnectionTrait,
    agg: Uuid,
    period: Uuid,
    pid: Uuid,
) -> ApiResult<Vec<StatementAdjustment>> {
    let ts = repo::transactions_where(
        db,
        agg,
        Condition::all()
            .add(entity::ledger_transaction::Column::PeriodId.eq(period))
            .add(entity::ledger_transaction::Column::ProducerId.eq(pid))
            .add(entity::ledger_transaction::Column::Kind.is_in([
                "adjustment",
                "reversal",
                "clawback_recovery",
            ])),
        10_000,
    )
    .await?;
    if ts.is_empty() {
        return Ok(Vec::new());
    }
    let Some(payable) =
        repo::find_account(db, agg, account::PRODUCER_PAYABLE, &pid.to_string()).await?
    else {
        return Ok(Vec::new());
    };
    let entries = repo::entries_of(db, ts.iter().map(|t| t.id)).await?;
    let mut out: Vec<StatementAdjustment> = ts
        .iter()
        .map(|t| StatementAdjustment {
            date: t.occurred_on,
            reason: t.memo.clone(),
            amount: entries
                .iter()
                .filter(|e| e.transaction_id == t.id && e.account_id == payable.id)
                .map(|e| e.credit - e.debit)
                .sum(),
        })
        .filter(|a| a.amount != 0)
        .collect();
    out.sort_by_key(|a| a.date);
    Ok(out)
}
