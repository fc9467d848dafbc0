//! What producers see of their sales: their own order lines (product, quantity, price, date,
//! status) and never anything about the buyer; and how they hear of sales — an email per order,
//! a daily digest, or nothing (`producer.sold_notice`).
use super::repo;
use crate::producers::repo as producers_repo;
use crate::{
    core::locale::Locale,
    core::{self, pagination::Page},
    error::{ApiError, ApiResult},
    http::actor::{Actor, Role},
    jobs::JobError,
    mail::messages::EmailMessage,
    state::AppState,
};
use chrono::{DateTime, Utc};
use entity::{order_line, producer, shop_order};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, Order, sea_query::Expr};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::ToSchema;
use uuid::Uuid;

/// How a producer hears of sales.
pub const SOLD_NOTICES: [&str; 3] = ["per_order", "daily_digest", "off"];

/// One sold line as its producer sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SoldLine {
    pub id: Uuid,
    pub order_number: String,
    pub product_id: Uuid,
    pub title: String,
    pub sku_code: String,
    pub qty: i64,
    pub returned_qty: i64,
    /// Tax-included unit price (yen).
    pub unit_price: i64,
    pub line_total: i64,
    pub tax_rate: i16,
    pub sold_at: DateTime<Utc>,
    /// The order's statuses (`open`/`cancelled`/`closed`, and its fulfilment).
    pub order_status: String,
    pub fulfilment_status: String,
}

fn own(actor: &Actor) -> ApiResult<Uuid> {
    actor.require(&[Role::Producer])?;
    actor.producer_id.ok_or_else(ApiError::forbidden)
}

/// The caller's (a producer's) sold lines, newest first.
///
/// # Errors
/// 403 for anyone but a producer.
#[tracing::instrument(skip_all)]
pub async fn sold_lines(app: &AppState, actor: &Actor, page: Page) -> ApiResult<Vec<SoldLine>> {
    let pid = own(actor)?;
    let mut cond = Condition::all().add(order_line::Column::ProducerId.eq(pid));
    if let Some(after) = page.after {
        cond = cond.add(order_line::Column::Id.lt(after));
    }
    let lines = repo::lines_where(&app.db, cond, Order::Desc, Some(page.limit)).await?;
    with_orders(&app.db, lines).await
}

async fn with_orders(
    db: &impl ConnectionTrait,
    lines: Vec<order_line::Model>,
) -> ApiResult<Vec<SoldLine>> {
    let orders: HashMap<Uuid, shop_order::Model> = repo::all_orders_where(
        db,
        Condition::all().add(shop_order::Column::Id.is_in(lines.iter().map(|l| l.order_id))),
    )
    .await?
    .into_iter()
    .map(|o| (o.id, o))
    .collect();
    Ok(lines
        .into_iter()
        .filter_map(|l| {
            let o = orders.get(&l.order_id)?;
            Some(SoldLine {
                id: l.id,
                order_number: o.number.clone(),
                product_id: l.product_id,
                title: l.title,
                sku_code: l.sku_code,
                qty: l.qty,
                returned_qty: l.returned_qty,
                unit_price: l.unit_price,
                line_total: l.line_total,
                tax_rate: l.tax_rate,
                sold_at: l.created_at,
                order_status: o.status.as_str().to_string(),
                fulfilment_status: o.fulfilment_status.as_str().to_string(),
            })
        })
        .collect())
}

/// Sets how the caller (a producer) hears of sales.
///
/// # Errors
/// 403; 422 `sold_notice`.
#[tracing::instrument(skip_all)]
pub async fn set_notice(app: &AppState, actor: &Actor, choice: &str) -> ApiResult<()> {
    let pid = own(actor)?;
    if !SOLD_NOTICES.contains(&choice) {
        return Err(ApiError::field(
            "sold_notice",
            "must be per_order, daily_digest or off",
        ));
    }
    producers_repo::set_sold_notice(&app.db, pid, choice, core::now()).await?;
    Ok(())
}

/// The caller's choice.
///
/// # Errors
/// 403; 404.
#[tracing::instrument(skip_all)]
pub async fn notice(app: &AppState, actor: &Actor) -> ApiResult<String> {
    let pid = own(actor)?;
    Ok(producers_repo::producer(&app.db, pid)
        .await?
        .ok_or(ApiError::NotFound)?
        .sold_notice)
}

fn compose(p: &producer::Model, lines: &[SoldLine], digest: bool) -> (Locale, EmailMessage) {
    let locale = Locale::parse(&p.locale);
    let yen = crate::core::money::grouped;
    let pick = |one: &'static str, many: &'static str| if digest { many } else { one };
    let mut paragraphs = vec![
        locale
            .text(pick("mail.sold.intro", "mail.sold.intro_digest"))
            .to_string(),
    ];
    for l in lines {
        paragraphs.push(locale.fill(
            "mail.sold.line",
            &[
                ("number", &l.order_number),
                ("title", &l.title),
                ("qty", &l.qty.to_string()),
                ("unit", &yen(l.unit_price)),
                ("amount", &yen(l.line_total)),
            ],
        ));
    }
    let total: i64 = lines.iter().map(|l| l.line_total).sum();
    paragraphs.push(locale.fill("mail.sold.total", &[("total", &yen(total))]));
    (
        locale,
        EmailMessage::OrderNotice {
            subject: locale
                .text(pick("mail.sold.subject", "mail.sold.subject_digest"))
                .to_string(),
            greeting: locale.fill("mail.sold.greeting", &[("name", &p.legal_name)]),
            paragraphs,
            link: None,
        },
    )
}

async fn send_to(
    app: &AppState,
    key: &str,
    p: &producer::Model,
    lines: Vec<order_line::Model>,
    digest: bool,
) -> Result<(), JobError> {
    let retry = |e: ApiError| JobError::Retry(e.to_string());
    let ids: Vec<Uuid> = lines.iter().map(|l| l.id).collect();
    let sold = with_orders(&app.db, lines).await.map_err(retry)?;
    if sold.is_empty() {
        return Ok(());
    }
    let (locale, msg) = compose(p, &sold, digest);
    let rendered = msg
        .render(locale)
        .map_err(|e| JobError::Reject(e.to_string()))?;
    crate::jobs::builtin::deliver(app, &format!("{key}:{}", p.id), p.email.clone(), rendered)
        .await?;
    repo::update_lines(
        &app.db,
        vec![(
            order_line::Column::ProducerNotifiedAt,
            Expr::value(core::now()),
        )],
        Condition::all().add(order_line::Column::Id.is_in(ids)),
    )
    .await
    .map_err(|e| JobError::Retry(e.to_string()))?;
    Ok(())
}

/// One email to each producer of order `order_id` who wants one per order (`key` names the
/// delivery: each producer's Message-ID is stable across retries).
///
/// # Errors
/// Retry on database or mail failures.
#[tracing::instrument(skip_all, fields(order.id = %order_id))]
pub async fn per_order(app: &AppState, order_id: Uuid, key: &str) -> Result<(), JobError> {
    let db = |e: sea_orm::DbErr| JobError::Retry(e.to_string());
    let lines = repo::lines_where(
        &app.db,
        Condition::all()
            .add(order_line::Column::OrderId.eq(order_id))
            .add(order_line::Column::ProducerNotifiedAt.is_null()),
        Order::Asc,
        None,
    )
    .await
    .map_err(db)?;
    let mut per: HashMap<Uuid, Vec<order_line::Model>> = HashMap::new();
    for l in lines {
        per.entry(l.producer_id).or_default().push(l);
    }
    for (pid, lines) in per {
        let Some(p) = producers_repo::producer(&app.db, pid).await.map_err(db)? else {
            continue;
        };
        if p.sold_notice == "per_order" {
            send_to(app, key, &p, lines, false).await?;
        }
    }
    Ok(())
}

/// The daily job: one digest to each producer who chose it, of the lines not yet told.
///
/// # Errors
/// Retry on database or mail failures.
#[tracing::instrument(skip_all)]
pub async fn digest(app: &AppState, key: &str) -> Result<(), JobError> {
    let db = |e: sea_orm::DbErr| JobError::Retry(e.to_string());
    let producers = producers_repo::all_producers_where(
        &app.db,
        Condition::all().add(producer::Column::SoldNotice.eq("daily_digest")),
    )
    .await
    .map_err(db)?;
    for p in producers {
        let lines = repo::lines_where(
            &app.db,
            Condition::all()
                .add(order_line::Column::ProducerId.eq(p.id))
                .add(order_line::Column::ProducerNotifiedAt.is_null()),
            Order::Asc,
            Some(500),
        )
        .await
        .map_err(db)?;
        if !lines.is_empty() {
            send_to(app, key, &p, lines, true).await?;
        }
    }
    Ok(())
}

/// The sold-notice choice.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SoldNoticeBody {
    /// `per_order`, `daily_digest` or `off`.
    pub sold_notice: String,
}
