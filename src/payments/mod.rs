//! Payments: card payment intents and refunds through the provider adapter, the provider's
//! signed webhook (signature over the raw body, replay window, dedupe by event id), and the
//! bank-statement CSV import that marks bank-transfer orders paid.
pub mod handlers;
pub mod jobs;
pub mod provider;

use crate::{area::Area, http::route::RouteSpec, route};

/// The payments API.
pub fn routes() -> Vec<RouteSpec> {
    vec![
        route!(POST, "/api/v1/payments/webhook", handlers::webhook),
        route!(POST, "/api/v1/payments/bank-import", handlers::bank_import),
    ]
}

use crate::{
    core, db,
    error::{ApiError, ApiResult},
    http::actor::{Actor, Role},
    jobs::{
        JobError,
        queue::{NewJob, enqueue},
    },
    shop::{
        checkout::{payment, status},
        notify, orders,
    },
    state::AppState,
};
use entity::{order_return, payment_event, shop_order};
use hmac::{Hmac, Mac};
use provider::{Intent, Provider, ProviderError};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction,
    EntityTrait, QueryFilter, sea_query::Expr,
};
use secrecy::ExposeSecret;
use serde::Serialize;
use sha2::Sha256;
use utoipa::ToSchema;
use uuid::Uuid;

/// The provider name stored with webhook events.
pub const PROVIDER: &str = "card";

/// What the buyer's browser needs to confirm the card.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CardPayment {
    pub intent_id: String,
    pub client_secret: String,
}

/// Creates the payment intent of a card order (or finds it again: the provider call carries
/// the order's key) and remembers its id on the order.
///
/// # Errors
/// 502 `payment_provider_unavailable` (the order stays pending; retry with the same
/// Idempotency-Key).
pub async fn ensure_intent(app: &AppState, o: &shop_order::Model) -> ApiResult<CardPayment> {
    let unavailable = |e: ProviderError| {
        tracing::warn!(order = %o.id, error = %e, "payment intent failed");
        ApiError::BadGateway {
            code: "payment_provider_unavailable",
            message: format!(
                "order {} is held but the card payment could not be started; send the same request again",
                o.number
            ),
            details: serde_json::json!({ "order_id": o.id, "number": o.number }),
        }
    };
    let p = Provider::new(&app.settings.payments).map_err(unavailable)?;
    let Intent {
        id, client_secret, ..
    } = p
        .create_intent(o.grand_total, o.id, &o.number)
        .await
        .map_err(unavailable)?;
    if o.payment_intent_id.as_deref() != Some(id.as_str()) {
        shop_order::Entity::update_many()
            .col_expr(shop_order::Column::PaymentIntentId, Expr::value(id.clone()))
            .filter(shop_order::Column::Id.eq(o.id))
            .filter(shop_order::Column::PaymentIntentId.is_null())
            .exec(&app.db)
            .await?;
    }
    Ok(CardPayment {
        intent_id: id,
        client_secret,
    })
}

/// The card payment to confirm for an order the buyer has just placed (or placed again with
/// the same key): only an open card order still awaiting payment has one.
///
/// # Errors
/// As [`ensure_intent`].
pub async fn card_payment_for(
    app: &AppState,
    o: &shop_order::Model,
) -> ApiResult<Option<CardPayment>> {
    let awaiting = o.payment_method == "card"
        && o.status == status::OPEN
        && o.payment_status == payment::PENDING;
    if awaiting {
        Ok(Some(ensure_intent(app, o).await?))
    } else {
        Ok(None)
    }
}

/// Checks a `Stripe-Signature`-style header (`t=<unix seconds>,v1=<hex HMAC-SHA256 of
/// "{t}.{raw body}">`, several `v1` allowed during secret rotation) against the raw body.
///
/// # Errors
/// 400 `invalid_signature` or `stale_signature` (outside the tolerance window).
pub fn verify_signature(
    secret: &[u8],
    header: Option<&str>,
    body: &[u8],
    now: i64,
    tolerance: i64,
) -> ApiResult<()> {
    let bad = || ApiError::bad_request("invalid_signature", "the webhook signature does not match");
    let header = header.ok_or_else(bad)?;
    let mut t: Option<i64> = None;
    let mut sigs = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => t = v.parse().ok(),
            Some(("v1", v)) => sigs.extend(hex::decode(v).ok()),
            _ => {}
        }
    }
    let t = t.ok_or_else(bad)?;
    let matches = sigs.iter().any(|sig| {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
            return false;
        };
        mac.update(t.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac.verify_slice(sig).is_ok()
    });
    if !matches {
        return Err(bad());
    }
    if (now - t).abs() > tolerance {
        return Err(ApiError::bad_request(
            "stale_signature",
            "the webhook timestamp is outside the accepted window",
        ));
    }
    Ok(())
}

/// What the webhook did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WebhookResult {
    pub received: bool,
    /// The event was seen before and changed nothing.
    pub duplicate: bool,
    /// What happened: `paid`, `ignored`, `amount_mismatch`, `unknown_order`,
    /// `refund_owed` (paid after the order was cancelled), `failed`.
    pub outcome: String,
}

/// Handles a verified webhook body: records the event once (by id), and for
/// `payment_intent.succeeded` marks the order paid when the amount matches.
///
/// # Errors
/// 400 `invalid_signature`, `stale_signature`, `malformed_event`.
pub async fn webhook(
    app: &AppState,
    signature: Option<&str>,
    body: &[u8],
) -> ApiResult<WebhookResult> {
    let s = &app.settings.payments;
    verify_signature(
        s.webhook_secret.expose_secret().as_bytes(),
        signature,
        body,
        core::now().timestamp(),
        s.webhook_tolerance_seconds,
    )?;
    let ev: serde_json::Value = serde_json::from_slice(body)
        .map_err(|_| ApiError::bad_request("malformed_event", "the event is not JSON"))?;
    let (Some(event_id), Some(kind)) = (ev["id"].as_str(), ev["type"].as_str()) else {
        return Err(ApiError::bad_request(
            "malformed_event",
            "the event has no id or type",
        ));
    };
    if event_id.is_empty() || event_id.len() > 200 || kind.len() > 100 {
        return Err(ApiError::bad_request(
            "malformed_event",
            "bad event id or type",
        ));
    }
    let object = &ev["data"]["object"];
    let intent = object["id"].as_str().unwrap_or_default();
    let txn = db::begin_write(&app.db).await?;
    let order = if intent.is_empty() {
        None
    } else {
        shop_order::Entity::find()
            .filter(shop_order::Column::PaymentIntentId.eq(intent))
            .one(&txn)
            .await?
    };
    let recorded = payment_event::ActiveModel {
        id: Set(core::new_id()),
        provider: Set(PROVIDER.into()),
        event_id: Set(event_id.into()),
        kind: Set(kind.into()),
        order_id: Set(order.as_ref().map(|o| o.id)),
        received_at: Set(core::now()),
    }
    .insert(&txn)
    .await;
    if let Err(e) = recorded {
        drop(txn);
        return match ApiError::from(e) {
            ApiError::Conflict { .. } => Ok(WebhookResult {
                received: true,
                duplicate: true,
                outcome: "ignored".into(),
            }),
            other => Err(other),
        };
    }
    let outcome = match (kind, order) {
        ("payment_intent.succeeded", Some(o)) => {
            let amount = object["amount_received"]
                .as_i64()
                .or_else(|| object["amount"].as_i64());
            if amount != Some(o.grand_total) {
                orders::audit_order(
                    &txn,
                    &o,
                    None,
                    "payment_amount_mismatch",
                    serde_json::json!({ "event_id": event_id, "amount": amount, "grand_total": o.grand_total }),
                )
                .await?;
                "amount_mismatch"
            } else if o.status == status::CANCELLED {
                // Paid after the order was cancelled (e.g. expired): the money goes back.
                refund_in_full(&txn, &o, &format!("late-{}", o.id)).await?;
                "refund_owed"
            } else {
                orders::mark_paid_in(&txn, &o, None, "card").await?;
                "paid"
            }
        }
        ("payment_intent.payment_failed", Some(o)) => {
            orders::audit_order(
                &txn,
                &o,
                None,
                "payment_failed",
                serde_json::json!({ "event_id": event_id }),
            )
            .await?;
            "failed"
        }
        ("payment_intent.succeeded", None) => {
            tracing::warn!(event = event_id, "payment for an unknown intent");
            "unknown_order"
        }
        _ => "ignored",
    };
    txn.commit().await?;
    Ok(WebhookResult {
        received: true,
        duplicate: false,
        outcome: outcome.into(),
    })
}

/// Everything paid for `o` goes back: owed until repaid, and for a card payment a refund job
/// (`key` makes it happen once).
///
/// # Errors
/// Database failure.
pub async fn refund_in_full(
    txn: &DatabaseTransaction,
    o: &shop_order::Model,
    key: &str,
) -> ApiResult<()> {
    shop_order::Entity::update_many()
        .col_expr(shop_order::Column::RefundOwed, Expr::value(o.grand_total))
        .filter(shop_order::Column::Id.eq(o.id))
        .exec(txn)
        .await?;
    if o.payment_method == "card" && o.payment_intent_id.is_some() {
        enqueue_refund(txn, o, o.grand_total, key, None).await?;
    }
    Ok(())
}

/// Queues a card refund of `amount` for an order (once per `key`); `batch` names the return
/// rows it settles.
///
/// # Errors
/// The insert fails.
pub async fn enqueue_refund(
    db: &impl ConnectionTrait,
    o: &shop_order::Model,
    amount: i64,
    key: &str,
    batch: Option<Uuid>,
) -> ApiResult<()> {
    enqueue(
        db,
        NewJob::of(&jobs::CardRefund {
            order_id: o.id,
            amount,
            key: key.to_string(),
            batch_id: batch,
        })
        .dedupe(format!("card-refund:{key}"))
        .tenant(Some(o.aggregator_id)),
    )
    .await?;
    Ok(())
}

/// The refund job: asks the provider to refund (same key on every attempt), then records the
/// refund on the order (and its return rows) and emails the buyer.
pub async fn refund_job(app: &AppState, p: jobs::CardRefund) -> Result<(), JobError> {
    let (order_id, amount, key, batch) = (p.order_id, p.amount, p.key.as_str(), p.batch_id);
    let retry = |e: sea_orm::DbErr| JobError::Retry(e.to_string());
    // Already settled (the job ran to its commit before): nothing to ask the provider again.
    if settled(&app.db, key).await.map_err(retry)? {
        return Ok(());
    }
    let o = shop_order::Entity::find_by_id(order_id)
        .one(&app.db)
        .await
        .map_err(retry)?
        .ok_or_else(|| JobError::Reject(format!("order {order_id} is gone")))?;
    let Some(intent) = o.payment_intent_id.clone() else {
        return Err(JobError::Reject(format!(
            "order {} has no card payment",
            o.number
        )));
    };
    let provider =
        Provider::new(&app.settings.payments).map_err(|e| JobError::Pause(e.to_string()))?;
    let refund = provider
        .refund(&intent, amount, key)
        .await
        .map_err(|e| match e {
            ProviderError::Transient(m) => JobError::Retry(m),
            ProviderError::Credentials(m) => JobError::Pause(m),
            ProviderError::NotConfigured => {
                JobError::Pause("card payments are not configured".into())
            }
            ProviderError::Refused(m) => JobError::Reject(m),
        })?;
    let txn = db::begin_write(&app.db)
        .await
        .map_err(|e| JobError::Retry(e.to_string()))?;
    let work = async {
        // The settlement marker: one per refund key, in the same transaction as the totals, so
        // a job run twice books the refund once.
        let marked = payment_event::ActiveModel {
            id: Set(core::new_id()),
            provider: Set("refund".into()),
            event_id: Set(key.to_string()),
            kind: Set("refund_settled".into()),
            order_id: Set(Some(o.id)),
            received_at: Set(core::now()),
        }
        .insert(&txn)
        .await;
        if let Err(e) = marked {
            return match ApiError::from(e) {
                ApiError::Conflict { .. } => Ok(false),
                other => Err(other),
            };
        }
        if let Some(b) = batch {
            order_return::Entity::update_many()
                .col_expr(order_return::Column::RefundStatus, Expr::value("refunded"))
                .col_expr(
                    order_return::Column::ProviderRefundId,
                    Expr::value(refund.id.clone()),
                )
                .filter(order_return::Column::BatchId.eq(b))
                .filter(order_return::Column::RefundStatus.eq("pending"))
                .exec(&txn)
                .await?;
        }
        // Claims the order row, then computes from what is stored now (not from the copy read
        // before the provider call): refunds of one order settle one at a time.
        shop_order::Entity::update_many()
            .col_expr(shop_order::Column::UpdatedAt, Expr::value(core::now()))
            .filter(shop_order::Column::Id.eq(o.id))
            .exec(&txn)
            .await?;
        let now = shop_order::Entity::find_by_id(o.id)
            .one(&txn)
            .await?
            .ok_or(ApiError::NotFound)?;
        let refunded = now.refunded_total + amount;
        shop_order::Entity::update_many()
            .col_expr(shop_order::Column::RefundedTotal, Expr::value(refunded))
            .col_expr(
                shop_order::Column::RefundOwed,
                Expr::value(std::cmp::max(now.refund_owed - amount, 0)),
            )
            .col_expr(
                shop_order::Column::PaymentStatus,
                Expr::value(if refunded >= now.grand_total {
                    payment::REFUNDED
                } else {
                    payment::PARTIALLY_REFUNDED
                }),
            )
            .filter(shop_order::Column::Id.eq(o.id))
            .exec(&txn)
            .await?;
        orders::audit_order(
            &txn,
            &o,
            None,
            "order_refunded",
            serde_json::json!({ "amount": amount, "provider_refund_id": refund.id, "key": key }),
        )
        .await?;
        notify::enqueue_event(&txn, o.aggregator_id, o.id, notify::REFUNDED, key).await?;
        Ok::<bool, ApiError>(true)
    };
    let booked = work.await.map_err(|e| JobError::Retry(e.to_string()))?;
    if booked {
        txn.commit()
            .await
            .map_err(|e| JobError::Retry(e.to_string()))?;
    }
    Ok(())
}

/// Whether the refund with this key was already booked.
async fn settled(db: &impl ConnectionTrait, key: &str) -> Result<bool, sea_orm::DbErr> {
    Ok(payment_event::Entity::find()
        .filter(payment_event::Column::Provider.eq("refund"))
        .filter(payment_event::Column::EventId.eq(key))
        .one(db)
        .await?
        .is_some())
}

/// One row of a bank-statement import.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BankRow {
    /// 1-based line of the file.
    pub line: usize,
    pub amount: Option<i64>,
    /// `paid`, `already_paid` (look for a double payment), `amount_mismatch`, `no_match` or
    /// `error`.
    pub result: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// The result of a bank-statement import.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BankImport {
    pub paid: usize,
    pub unmatched: usize,
    pub rows: Vec<BankRow>,
}

/// Marks bank-transfer orders paid from a bank statement CSV (UTF-8 or Shift_JIS): a header
/// with `金額` (or `amount`) and `振込依頼人名` (or `payer`), optionally `摘要` (or `memo`).
/// A row pays the pending order whose number appears in the payer name or memo when the amount
/// equals the order's total; everything else is reported for a person to look at.
///
/// # Errors
/// 403; 422 `file`.
pub async fn import_bank(app: &AppState, actor: &Actor, bytes: &[u8]) -> ApiResult<BankImport> {
    actor.require(&[Role::Finance, Role::Operator, Role::Admin])?;
    let agg = actor.aggregator_id.ok_or_else(ApiError::forbidden)?;
    use crate::catalog::csv_io::{column, headed_rows};
    let (header, records) = headed_rows(bytes, 5_000)?;
    let col = |names: &[&str]| column(&header, names);
    let (Some(ac), Some(pc)) = (
        col(&["金額", "入金額", "amount"]),
        col(&["振込依頼人名", "依頼人名", "payer"]),
    ) else {
        return Err(ApiError::field(
            "file",
            "needs the columns 金額 (or amount) and 振込依頼人名 (or payer)",
        ));
    };
    let mc = col(&["摘要", "memo"]);
    let mut out = BankImport {
        paid: 0,
        unmatched: 0,
        rows: Vec::new(),
    };
    for (line, rec) in records {
        let row = match rec {
            Err(e) => BankRow {
                line,
                amount: None,
                result: "error".into(),
                order_number: None,
                message: Some(e),
            },
            Ok(r) => {
                let amount_text: String =
                    crate::producers::domain::to_half_width_ascii(r.get(ac).unwrap_or(""))
                        .chars()
                        .filter(|c| !matches!(c, ',' | '¥' | '円' | ' '))
                        .collect();
                let words = format!(
                    "{} {}",
                    r.get(pc).unwrap_or(""),
                    mc.and_then(|m| r.get(m)).unwrap_or("")
                );
                match amount_text.parse::<i64>() {
                    Ok(a) if a > 0 => {
                        match_payment(app, agg, actor.user_id, line, a, &words).await?
                    }
                    _ => BankRow {
                        line,
                        amount: None,
                        result: "error".into(),
                        order_number: None,
                        message: Some("金額 is not a positive whole number of yen".into()),
                    },
                }
            }
        };
        // Everything but a fresh payment needs a person (already_paid may be money paid twice).
        match row.result.as_str() {
            "paid" => out.paid += 1,
            _ => out.unmatched += 1,
        }
        out.rows.push(row);
    }
    Ok(out)
}

/// Order numbers (8 Crockford base-32 characters) found in a statement's words.
fn candidates(words: &str) -> Vec<String> {
    let up = crate::producers::domain::to_half_width_ascii(words).to_ascii_uppercase();
    let chars: Vec<char> = up.chars().collect();
    let ok = |c: &char| c.is_ascii_digit() || (c.is_ascii_uppercase() && !"ILOU".contains(*c));
    let mut out = Vec::new();
    for w in chars.windows(8) {
        if w.iter().all(ok) {
            out.push(w.iter().collect());
        }
    }
    out
}

async fn match_payment(
    app: &AppState,
    agg: Uuid,
    actor: Uuid,
    line: usize,
    amount: i64,
    words: &str,
) -> ApiResult<BankRow> {
    let numbers = candidates(words);
    let row = |result: &str, number: Option<String>, message: Option<String>| BankRow {
        line,
        amount: Some(amount),
        result: result.into(),
        order_number: number,
        message,
    };
    if numbers.is_empty() {
        return Ok(row(
            "no_match",
            None,
            Some("no order number in the payer name or memo".into()),
        ));
    }
    let found = shop_order::Entity::find()
        .filter(shop_order::Column::AggregatorId.eq(agg))
        .filter(shop_order::Column::Number.is_in(numbers))
        .filter(shop_order::Column::PaymentMethod.eq("bank_transfer"))
        .one(&app.db)
        .await?;
    let Some(o) = found else {
        return Ok(row(
            "no_match",
            None,
            Some("no bank-transfer order with that number".into()),
        ));
    };
    if o.payment_status == payment::PAID {
        return Ok(row(
            "already_paid",
            Some(o.number),
            Some("the order was already paid: check for a double payment".into()),
        ));
    }
    if o.grand_total != amount {
        return Ok(row(
            "amount_mismatch",
            Some(o.number.clone()),
            Some(format!("the order's total is {} yen", o.grand_total)),
        ));
    }
    let txn = db::begin_write(&app.db).await?;
    match orders::mark_paid_in(&txn, &o, Some(actor), "bank statement import").await {
        Ok(true) => {
            txn.commit().await?;
            Ok(row("paid", Some(o.number), None))
        }
        // Paid meanwhile (another import, an operator): this money may be a second payment.
        Ok(false) => Ok(row(
            "already_paid",
            Some(o.number),
            Some("the order was already paid: check for a double payment".into()),
        )),
        Err(ApiError::Conflict { message, .. }) => Ok(row("error", Some(o.number), Some(message))),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign(secret: &[u8], t: i64, body: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret).unwrap_or_else(|_| unreachable!());
        mac.update(format!("{t}.").as_bytes());
        mac.update(body);
        format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
    }

    #[test]
    fn signatures_are_checked_on_the_raw_body_and_window() {
        let body = br#"{"id":"evt_1"}"#;
        let good = sign(b"whsec", 1_000, body);
        assert!(verify_signature(b"whsec", Some(&good), body, 1_100, 300).is_ok());
        let code = |r: ApiResult<()>| match r {
            Err(ApiError::BadRequest { code, .. }) => code,
            _ => "ok",
        };
        assert_eq!(
            code(verify_signature(b"other", Some(&good), body, 1_100, 300)),
            "invalid_signature"
        );
        assert_eq!(
            code(verify_signature(
                b"whsec",
                Some(&good),
                br#"{"id":"evt_2"}"#,
                1_100,
                300
            )),
            "invalid_signature"
        );
        assert_eq!(
            code(verify_signature(b"whsec", Some(&good), body, 1_400, 300)),
            "stale_signature"
        );
        assert_eq!(
            code(verify_signature(b"whsec", None, body, 1_000, 300)),
            "invalid_signature"
        );
        // A rotated secret: either v1 may match.
        let two = format!("{good},v1={}", "00".repeat(32));
        assert!(verify_signature(b"whsec", Some(&two), body, 1_000, 300).is_ok());
    }

    #[test]
    fn order_numbers_are_found_in_payer_names() {
        assert_eq!(candidates("ﾔﾏﾀﾞ ﾊﾅｺ AB12CD34"), vec!["AB12CD34".to_string()]);
        assert_eq!(
            candidates("ｎ４ｒｃｍ１３ｇ ﾔﾏﾀﾞ"),
            vec!["N4RCM13G".to_string()]
        );
        assert!(candidates("ﾔﾏﾀﾞ ﾊﾅｺ").is_empty());
    }
}

/// This area's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(handlers::webhook, handlers::bank_import,))]
pub struct Api;

/// The area as the composition root plugs it in.
pub fn area() -> Area {
    Area {
        routes,
        openapi: <Api as utoipa::OpenApi>::openapi,
        jobs: jobs::register,
        ..Area::new("payments")
    }
}
