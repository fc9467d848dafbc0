//! Card payments through the provider (intents when an order is placed, the signed webhook
//! that marks orders paid) and the bank-statement import that marks bank-transfer orders paid.
//! What they change on an order goes through the order core.
use super::{
    PROVIDER, domain,
    dto::{BankImport, BankRow, WebhookResult},
    provider::{Intent, Provider, ProviderError},
};
use crate::{
    core, db,
    error::{ApiError, ApiResult},
    http::actor::{Actor, Role},
    orders::{
        domain::{OrderStatus, PaymentMethod, PaymentStatus},
        dto::CardPayment,
        service as orders,
    },
    state::AppState,
};
use entity::shop_order;
use secrecy::ExposeSecret;
use uuid::Uuid;

/// Creates the payment intent of a card order (or finds it again: the provider call carries
/// the order's key) and remembers its id on the order.
///
/// # Errors
/// 502 `payment_provider_unavailable` (the order stays pending; retry with the same
/// Idempotency-Key).
#[tracing::instrument(skip_all)]
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
        super::repo::set_intent(&app.db, o.id, &id).await?;
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
#[tracing::instrument(skip_all)]
pub async fn card_payment_for(
    app: &AppState,
    o: &shop_order::Model,
) -> ApiResult<Option<CardPayment>> {
    let awaiting = o.payment_method == PaymentMethod::Card
        && o.status == OrderStatus::Open
        && o.payment_status == PaymentStatus::Pending;
    if awaiting {
        Ok(Some(ensure_intent(app, o).await?))
    } else {
        Ok(None)
    }
}

/// Handles a verified webhook body: records the event once (by id), and for
/// `payment_intent.succeeded` marks the order paid when the amount matches.
///
/// # Errors
/// 400 `invalid_signature`, `stale_signature`, `malformed_event`.
#[tracing::instrument(skip_all)]
pub async fn webhook(
    app: &AppState,
    signature: Option<&str>,
    body: &[u8],
) -> ApiResult<WebhookResult> {
    let s = &app.settings.payments;
    domain::verify_signature(
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
        super::repo::order_by_intent(&txn, intent).await?
    };
    let recorded =
        super::repo::record_event(&txn, PROVIDER, event_id, kind, order.as_ref().map(|o| o.id))
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
            } else if o.status == OrderStatus::Cancelled {
                // Paid after the order was cancelled (e.g. expired): the money goes back.
                orders::paid_after_cancel_in(app, &txn, &o).await?;
                "refund_owed"
            } else {
                orders::mark_paid_in(app, &txn, &o, None, "card").await?;
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

/// Marks bank-transfer orders paid from a bank statement CSV (UTF-8 or Shift_JIS): a header
/// with `金額` (or `amount`) and `振込依頼人名` (or `payer`), optionally `摘要` (or `memo`).
/// A row pays the pending order whose number appears in the payer name or memo when the amount
/// equals the order's total; everything else is reported for a person to look at.
///
/// # Errors
/// 403; 422 `file`.
#[tracing::instrument(skip_all)]
pub async fn import_bank(app: &AppState, actor: &Actor, bytes: &[u8]) -> ApiResult<BankImport> {
    actor.require(&[Role::Finance, Role::Operator, Role::Admin])?;
    let agg = actor.aggregator_id.ok_or_else(ApiError::forbidden)?;
    use crate::core::csv::{column, headed_rows};
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
                    crate::core::jp::to_half_width_ascii(r.get(ac).unwrap_or(""))
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

async fn match_payment(
    app: &AppState,
    agg: Uuid,
    actor: Uuid,
    line: usize,
    amount: i64,
    words: &str,
) -> ApiResult<BankRow> {
    let numbers = domain::candidates(words);
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
    let found = super::repo::bank_transfer_order(&app.db, agg, numbers).await?;
    let Some(o) = found else {
        return Ok(row(
            "no_match",
            None,
            Some("no bank-transfer order with that number".into()),
        ));
    };
    if o.payment_status == PaymentStatus::Paid {
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
    match orders::mark_paid_in(app, &txn, &o, Some(actor), "bank statement import").await {
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
