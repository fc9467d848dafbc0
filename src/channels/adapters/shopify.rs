//! Shopify Admin GraphQL (DOMAIN-JP.md §5): `POST {shop}/admin/api/{version}/graphql.json`
//! with `X-Shopify-Access-Token`, the version a setting of the account. Stock through
//! `inventorySetQuantities` (2026-04 and later: every quantity carries `changeFromQuantity`,
//! the value we believe is there, and the mutation an `@idempotent(key:)`); a
//! `CHANGE_FROM_QUANTITY_STALE` answer writes nothing, so we re-read the levels and write once
//! more from what is there — never blind. Pace: every answer's `extensions.cost.throttleStatus`
//! (a leaky bucket); `THROTTLED` (HTTP 200 or 429) waits for the bucket to refill. Items
//! through `productSet` (synchronous, identified by handle), retired through `productUpdate`
//! to `ARCHIVED`.
use super::{
    CallError, CancelReason, ItemContent, Pacer, Pushed, RemoteLine, RemoteOrder, RemoteStatus,
    Shipment, StockWrite, WriteOutcome, amount, clip, code_message, retry_after, tax_rate,
    transport_error,
};
use crate::channels::vault::{Credentials, scrub};
use crate::orders::domain::Contact;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use std::time::Duration;

/// Bucket points kept in hand before the next call (a stock write of 250 quantities costs
/// about 10 + 250/10; a read of 250 levels a little more).
const COST_RESERVE: f64 = 60.0;

const SET_QUANTITIES: &str = "mutation SetQty($input: InventorySetQuantitiesInput!) { \
     inventorySetQuantities(input: $input) @idempotent(key: \"{KEY}\") { \
       inventoryAdjustmentGroup { id } userErrors { code field message } } }";

const READ_LEVELS: &str = "query Levels($ids: [ID!]!, $loc: ID!) { nodes(ids: $ids) { \
     ... on InventoryItem { id inventoryLevel(locationId: $loc) { \
       quantities(names: [\"available\"]) { name quantity } } } } }";

const PRODUCT_SET: &str = "mutation Push($input: ProductSetInput!, $handle: String!) { \
     productSet(synchronous: true, input: $input, identifier: { handle: $handle }) { \
       product { id variants(first: 250) { nodes { id sku inventoryItem { id } } } } \
       userErrors { code field message } } }";

const ARCHIVE: &str = "mutation Archive($id: ID!) { \
     productUpdate(product: { id: $id, status: ARCHIVED }) { \
       product { id } userErrors { field message } } }";

const ORDERS_CHANGED: &str = "query Changed($q: String!, $after: String) { \
     orders(first: 100, after: $after, query: $q, sortKey: UPDATED_AT) { \
       nodes { id } pageInfo { hasNextPage endCursor } } }";

const ORDERS_READ: &str = "query Orders($ids: [ID!]!) { nodes(ids: $ids) { ... on Order { \
     id name email phone cancelledAt displayFulfillmentStatus currencyCode \
     totalPriceSet { shopMoney { amount } } totalShippingPriceSet { shopMoney { amount } } \
     taxLines { rate priceSet { shopMoney { amount } } } \
     billingAddress { name phone zip provinceCode city address1 address2 countryCodeV2 } \
     shippingAddress { name phone zip provinceCode city address1 address2 countryCodeV2 } \
     lineItems(first: 250) { nodes { sku name quantity \
       originalUnitPriceSet { shopMoney { amount } } taxLines { rate } \
       variant { inventoryItem { id } } } } \
     fulfillmentOrders(first: 20) { nodes { id status } } \
     fulfillments(first: 20) { trackingInfo { number } } \
     transactions(first: 20) { kind status fees { amount { amount } taxAmount { amount } } } } } }";

const ORDER_CANCEL: &str = "mutation Cancel($id: ID!, $reason: OrderCancelReason!) { \
     orderCancel(orderId: $id, reason: $reason, restock: false, notifyCustomer: true, \
       refundMethod: { originalPaymentMethodsRefund: true }) { \
       job { id } orderCancelUserErrors { code field message } } }";

const FULFIL: &str = "mutation Fulfil($f: FulfillmentInput!) { \
     fulfillmentCreate(fulfillment: $f) { fulfillment { id } userErrors { field message } } }";

/// Shopify's name for Yamato Transport in tracking info.
pub const YAMATO: &str = "Yamato (JA)";

/// A Shopify store's adapter.
pub struct Shopify {
    http: reqwest::Client,
    endpoint: String,
    location_id: String,
    creds: Credentials,
}

impl Shopify {
    /// The adapter for the store at `base_url` (`https://{shop}.myshopify.com`) on API
    /// `version`, writing stock at `location_id`.
    pub fn new(
        http: reqwest::Client,
        base_url: &str,
        version: &str,
        location_id: &str,
        creds: Credentials,
    ) -> Self {
        Self {
            http,
            endpoint: format!(
                "{}/admin/api/{version}/graphql.json",
                base_url.trim_end_matches('/')
            ),
            location_id: location_id.to_string(),
            creds,
        }
    }

    /// One GraphQL call: the `data` of a successful answer.
    async fn graphql<P: Pacer>(
        &self,
        pacer: &P,
        query: &str,
        variables: Value,
    ) -> Result<Value, CallError> {
        pacer.slot().await?;
        let resp = self
            .http
            .post(&self.endpoint)
            .header("X-Shopify-Access-Token", self.creds.get("access_token"))
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(json!({ "query": query, "variables": variables }).to_string())
            .send()
            .await
            .map_err(|e| transport_error(&e))?;
        let status = resp.status().as_u16();
        let wait = retry_after(resp.headers());
        let text = scrub(
            &resp.text().await.map_err(|e| transport_error(&e))?,
            &self.creds,
        );
        let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        let bucket_wait = refill_wait(&body);
        if let Some(w) = bucket_wait {
            pacer.hold_off(w).await;
        }
        match status {
            200..=299 => {}
            401 | 403 => {
                return Err(CallError::Auth(format!(
                    "Shopify refused the access token ({status}): {}",
                    errors_text(&body, &text)
                )));
            }
            429 => {
                let w = wait.or(bucket_wait);
                if let Some(w) = wait {
                    pacer.hold_off(w).await;
                }
                return Err(CallError::Transient {
                    message: format!(
                        "Shopify throttled the call (429): {}",
                        errors_text(&body, &text)
                    ),
                    retry_after: w,
                });
            }
            500..=599 => {
                return Err(CallError::Transient {
                    message: format!("Shopify answered {status}: {}", errors_text(&body, &text)),
                    retry_after: wait,
                });
            }
            _ => {
                return Err(CallError::Rejected(format!(
                    "Shopify refused the request ({status}): {}",
                    errors_text(&body, &text)
                )));
            }
        }
        if let Some(errs) = body.get("errors").and_then(Value::as_array) {
            let throttled = errs.iter().any(|e| {
                e.pointer("/extensions/code").and_then(Value::as_str) == Some("THROTTLED")
            });
            let message = errors_text(&body, &text);
            return Err(if throttled {
                CallError::Transient {
                    message: format!("Shopify throttled the call: {message}"),
                    retry_after: bucket_wait,
                }
            } else if errs.iter().any(|e| {
                e.pointer("/extensions/code").and_then(Value::as_str)
                    == Some("INTERNAL_SERVER_ERROR")
            }) {
                CallError::transient(format!("Shopify failed: {message}"))
            } else {
                CallError::Rejected(format!("Shopify refused the query: {message}"))
            });
        }
        body.get("data")
            .cloned()
            .filter(|d| !d.is_null())
            .ok_or_else(|| CallError::transient("Shopify answered without data"))
    }

    /// The available quantity of each inventory item at our location (0 when not stocked).
    async fn read_levels<P: Pacer>(
        &self,
        pacer: &P,
        items: &[&str],
    ) -> Result<Vec<i64>, CallError> {
        let data = self
            .graphql(
                pacer,
                READ_LEVELS,
                json!({ "ids": items, "loc": self.location_id }),
            )
            .await?;
        let nodes = data.get("nodes").and_then(Value::as_array);
        Ok(items
            .iter()
            .map(|id| {
                nodes
                    .into_iter()
                    .flatten()
                    .find(|n| n.get("id").and_then(Value::as_str) == Some(id))
                    .and_then(|n| n.pointer("/inventoryLevel/quantities"))
                    .and_then(Value::as_array)
                    .and_then(|qs| {
                        qs.iter()
                            .find(|q| q.get("name").and_then(Value::as_str) == Some("available"))
                    })
                    .and_then(|q| q.get("quantity").and_then(Value::as_i64))
                    .unwrap_or(0)
            })
            .collect())
    }

    /// One `inventorySetQuantities` call from the quantities believed to be there.
    async fn write<P: Pacer>(
        &self,
        pacer: &P,
        writes: &[StockWrite],
        from: &[i64],
    ) -> Result<Vec<Value>, CallError> {
        let quantities: Vec<Value> = writes
            .iter()
            .zip(from)
            .map(|(w, f)| {
                json!({
                    "inventoryItemId": w.variant_id,
                    "locationId": self.location_id,
                    "quantity": w.quantity.max(0),
                    "changeFromQuantity": f,
                })
            })
            .collect();
        // The same write gets the same key, so a retry after a lost answer is one write.
        let key = {
            use sha2::{Digest, Sha256};
            let h = hex::encode(Sha256::digest(
                serde_json::to_vec(&quantities).unwrap_or_default(),
            ));
            format!(
                "{}-{}-{}-{}-{}",
                &h[0..8],
                &h[8..12],
                &h[12..16],
                &h[16..20],
                &h[20..32]
            )
        };
        let data = self
            .graphql(
                pacer,
                &SET_QUANTITIES.replace("{KEY}", &key),
                json!({ "input": {
                    "name": "available",
                    "reason": "correction",
                    "referenceDocumentUri": format!("gid://yuimaru/StockSync/{key}"),
                    "quantities": quantities,
                }}),
            )
            .await?;
        Ok(data
            .pointer("/inventorySetQuantities/userErrors")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default())
    }
}

/// How long the cost bucket needs to refill to `COST_RESERVE` points, from an answer's
/// `extensions.cost.throttleStatus` (None when it has enough).
fn refill_wait(body: &Value) -> Option<Duration> {
    let throttle = body.pointer("/extensions/cost/throttleStatus")?;
    let available = throttle.get("currentlyAvailable")?.as_f64()?;
    let rate = throttle.get("restoreRate")?.as_f64()?.max(1.0);
    let requested = body
        .pointer("/extensions/cost/requestedQueryCost")
        .and_then(Value::as_f64)
        .unwrap_or(0.0);
    let need = COST_RESERVE.max(requested);
    (available < need).then(|| Duration::from_secs_f64(((need - available) / rate).min(60.0)))
}

/// A Shopify error answer as text: `errors` is a string (401) or a list of `{message}`.
fn errors_text(body: &Value, raw: &str) -> String {
    match body.get("errors") {
        Some(Value::String(s)) => clip(s, 500),
        Some(Value::Array(a)) => clip(
            &a.iter()
                .filter_map(|e| e.get("message").and_then(Value::as_str))
                .collect::<Vec<_>>()
                .join("; "),
            500,
        ),
        _ => clip(raw.trim(), 300),
    }
}

/// The quantity index a user error's `field` (`["input","quantities","3",…]`) points at.
fn quantity_index(e: &Value) -> Option<usize> {
    let f = e.get("field")?.as_array()?;
    let pos = f.iter().position(|p| p.as_str() == Some("quantities"))?;
    f.get(pos + 1)?.as_str()?.parse().ok()
}

fn is_stale(e: &Value) -> bool {
    matches!(
        e.get("code").and_then(Value::as_str),
        Some("CHANGE_FROM_QUANTITY_STALE" | "COMPARE_QUANTITY_STALE")
    )
}

impl super::Adapter for Shopify {
    async fn set_stock<P: Pacer>(
        &self,
        pacer: &P,
        writes: &[StockWrite],
    ) -> Result<Vec<WriteOutcome>, CallError> {
        let ids: Vec<&str> = writes.iter().map(|w| w.variant_id.as_str()).collect();
        let mut from: Vec<i64> = if writes.iter().all(|w| w.believed.is_some()) {
            writes.iter().map(|w| w.believed.unwrap_or(0)).collect()
        } else {
            self.read_levels(pacer, &ids).await?
        };
        // At most: the write from what we believe, then once more from what is there.
        for attempt in 0..2 {
            let errors = self.write(pacer, writes, &from).await?;
            if errors.is_empty() {
                return Ok(vec![WriteOutcome::Written; writes.len()]);
            }
            if errors.iter().any(is_stale) {
                if attempt == 0 {
                    from = self.read_levels(pacer, &ids).await?;
                    continue;
                }
                return Ok(vec![WriteOutcome::NotWritten; writes.len()]);
            }
            let mut out = vec![WriteOutcome::NotWritten; writes.len()];
            let mut named = false;
            for e in &errors {
                if let Some(i) = quantity_index(e).filter(|i| *i < writes.len()) {
                    out[i] = WriteOutcome::Rejected(code_message(e));
                    named = true;
                }
            }
            if !named {
                let text = errors
                    .iter()
                    .map(code_message)
                    .collect::<Vec<_>>()
                    .join("; ");
                if errors.iter().any(|e| {
                    e.get("code").and_then(Value::as_str) == Some("IDEMPOTENCY_CONCURRENT_REQUEST")
                }) {
                    return Err(CallError::transient(text));
                }
                return Err(CallError::Rejected(text));
            }
            return Ok(out);
        }
        Ok(vec![WriteOutcome::NotWritten; writes.len()])
    }

    async fn upsert_item<P: Pacer>(
        &self,
        pacer: &P,
        item: &ItemContent,
    ) -> Result<Pushed, CallError> {
        let mut names: Vec<String> = Vec::new();
        for v in &item.variants {
            let n = if names.contains(&v.name) || v.name.trim().is_empty() {
                format!("{} ({})", v.name, v.sku_code)
            } else {
                v.name.clone()
            };
            names.push(n);
        }
        let variants: Vec<Value> = item
            .variants
            .iter()
            .zip(&names)
            .map(|(v, n)| {
                let mut var = json!({
                    "optionValues": [{ "optionName": "種類", "name": n }],
                    "sku": v.sku_code,
                    "price": format!("{}", v.price),
                    "taxable": true,
                    "inventoryItem": { "sku": v.sku_code, "tracked": true,
                        "measurement": { "weight": { "unit": "GRAMS", "value": v.weight_g } } },
                });
                if let Some(g) = &v.gtin {
                    var["barcode"] = json!(g);
                }
                var
            })
            .collect();
        let input = json!({
            "title": item.title,
            "handle": item.manage_number,
            "descriptionHtml": html_escape(&item.description),
            "productType": item.category.clone().unwrap_or_default(),
            "status": "ACTIVE",
            "productOptions": [{ "name": "種類", "values": names.iter().map(|n| json!({ "name": n })).collect::<Vec<_>>() }],
            "variants": variants,
        });
        let data = self
            .graphql(
                pacer,
                PRODUCT_SET,
                json!({ "input": input, "handle": item.manage_number }),
            )
            .await?;
        let errors = data
            .pointer("/productSet/userErrors")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if !errors.is_empty() {
            return Err(CallError::Rejected(
                errors
                    .iter()
                    .map(code_message)
                    .collect::<Vec<_>>()
                    .join("; "),
            ));
        }
        let product = data
            .pointer("/productSet/product")
            .ok_or_else(|| CallError::transient("productSet answered without a product"))?;
        let id = product
            .get("id")
            .and_then(Value::as_str)
            .ok_or_else(|| CallError::transient("productSet answered without a product id"))?;
        let nodes = product
            .pointer("/variants/nodes")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let mut out = Vec::new();
        for v in &item.variants {
            let inv = nodes
                .iter()
                .find(|n| n.get("sku").and_then(Value::as_str) == Some(v.sku_code.as_str()))
                .and_then(|n| n.pointer("/inventoryItem/id"))
                .and_then(Value::as_str)
                .ok_or_else(|| {
                    CallError::Rejected(format!("Shopify did not return variant {}", v.sku_code))
                })?;
            out.push((v.listing_id, inv.to_string()));
        }
        Ok(Pushed {
            external_id: id.to_string(),
            variants: out,
        })
    }

    async fn delist_item<P: Pacer>(&self, pacer: &P, external_id: &str) -> Result<(), CallError> {
        let data = self
            .graphql(pacer, ARCHIVE, json!({ "id": external_id }))
            .await?;
        let errors = data
            .pointer("/productUpdate/userErrors")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(CallError::Rejected(
                errors
                    .iter()
                    .map(code_message)
                    .collect::<Vec<_>>()
                    .join("; "),
            ))
        }
    }

    async fn changed_orders<P: Pacer>(
        &self,
        pacer: &P,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<String>, CallError> {
        Shopify::changed_orders(self, pacer, since, until).await
    }

    async fn get_orders<P: Pacer>(
        &self,
        pacer: &P,
        ids: &[String],
    ) -> Result<Vec<RemoteOrder>, CallError> {
        Shopify::get_orders(self, pacer, ids).await
    }

    async fn confirm_orders<P: Pacer>(&self, _: &P, _: &[String]) -> Result<(), CallError> {
        // Shopify orders need no confirmation.
        Ok(())
    }

    async fn cancel_order<P: Pacer>(
        &self,
        pacer: &P,
        order: &RemoteOrder,
        reason: CancelReason,
    ) -> Result<(), CallError> {
        Shopify::cancel_order(self, pacer, order, reason).await
    }

    async fn ship_order<P: Pacer>(
        &self,
        pacer: &P,
        order: &RemoteOrder,
        shipment: &Shipment,
    ) -> Result<(), CallError> {
        Shopify::ship_order(self, pacer, order, shipment).await
    }
}

/// A Shopify MailingAddress as a contact; the prefecture is its `provinceCode` (`JP-47`).
fn address(a: &Value, email: &str) -> Contact {
    let t = |k: &str| {
        a.get(k)
            .and_then(Value::as_str)
            .unwrap_or("")
            .trim()
            .to_string()
    };
    Contact {
        name: t("name"),
        kana: String::new(),
        email: email.to_string(),
        phone: t("phone"),
        postal_code: t("zip"),
        prefecture: t("provinceCode"),
        city: t("city"),
        address1: t("address1"),
        address2: t("address2"),
    }
}

fn money(v: &Value, path: &str) -> i64 {
    amount(v.pointer(path))
}

/// One Order node as a channel order.
fn order_of(o: &Value) -> Option<RemoteOrder> {
    let id = o.get("id")?.as_str()?.to_string();
    let status = if o.get("cancelledAt").is_some_and(|c| !c.is_null()) {
        RemoteStatus::Cancelled
    } else if matches!(
        o.get("displayFulfillmentStatus").and_then(Value::as_str),
        Some("FULFILLED")
    ) {
        RemoteStatus::Shipped
    } else {
        RemoteStatus::Open
    };
    let email = o.get("email").and_then(Value::as_str).unwrap_or("");
    let billing = o.get("billingAddress").filter(|b| !b.is_null());
    let shipping = o.get("shippingAddress").filter(|b| !b.is_null());
    let mut buyer = address(billing.or(shipping).unwrap_or(&Value::Null), email);
    if buyer.phone.is_empty() {
        buyer.phone = o.get("phone").and_then(Value::as_str).unwrap_or("").into();
    }
    let lines = o
        .pointer("/lineItems/nodes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|l| RemoteLine {
            variant_id: l
                .pointer("/variant/inventoryItem/id")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            sku_code: l.get("sku").and_then(Value::as_str).unwrap_or("").into(),
            title: l.get("name").and_then(Value::as_str).unwrap_or("").into(),
            qty: l.get("quantity").and_then(Value::as_i64).unwrap_or(0),
            unit_price: money(l, "/originalUnitPriceSet/shopMoney/amount"),
            tax_rate: tax_rate(
                l.pointer("/taxLines/0/rate")
                    .or(Some(&Value::from(0.1)))
                    .filter(|v| !v.is_null()),
            ),
        })
        .collect();
    let mut tax: Vec<(i16, i64)> = Vec::new();
    for line in o
        .get("taxLines")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let rate = tax_rate(line.get("rate"));
        let value = money(line, "/priceSet/shopMoney/amount");
        match tax.iter_mut().find(|(r, _)| *r == rate) {
            Some((_, v)) => *v += value,
            None => tax.push((rate, value)),
        }
    }
    let open_fulfilment: Vec<Value> = o
        .pointer("/fulfillmentOrders/nodes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|f| {
            matches!(
                f.get("status").and_then(Value::as_str),
                Some("OPEN" | "IN_PROGRESS" | "SCHEDULED")
            )
        })
        .filter_map(|f| f.get("id").cloned())
        .collect();
    let tracking = o
        .get("fulfillments")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .flat_map(|f| {
            f.get("trackingInfo")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        })
        .filter_map(|info| {
            info.get("number")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .collect();
    Some(RemoteOrder {
        external_id: id,
        status,
        needs_confirm: false,
        ship_to: shipping.map(|s| address(s, "")),
        buyer,
        lines,
        shipping: money(o, "/totalShippingPriceSet/shopMoney/amount"),
        total: money(o, "/totalPriceSet/shopMoney/amount"),
        tax,
        currency: o
            .get("currencyCode")
            .and_then(Value::as_str)
            .unwrap_or("JPY")
            .to_string(),
        remote_ref: json!({
            "name": o.get("name").cloned().unwrap_or(Value::Null),
            "fulfillment_order_ids": open_fulfilment,
        }),
        tracking,
        fee: fees(o),
    })
}

/// The fees Shopify kept on the order's successful sale and capture transactions (each fee's
/// amount and its tax); `None` when the order carries no transaction with fees (not paid
/// through Shopify Payments, or not yet).
fn fees(o: &Value) -> Option<i64> {
    let mut total = None;
    for tx in o
        .get("transactions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let counted = matches!(
            tx.get("kind").and_then(Value::as_str),
            Some("SALE" | "CAPTURE")
        ) && tx.get("status").and_then(Value::as_str) == Some("SUCCESS");
        if !counted {
            continue;
        }
        for f in tx
            .get("fees")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            *total.get_or_insert(0) += money(f, "/amount/amount") + money(f, "/taxAmount/amount");
        }
    }
    total
}

fn user_errors(data: &Value, path: &str) -> Result<(), CallError> {
    let errors = data
        .pointer(path)
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(CallError::Rejected(clip(
            &errors
                .iter()
                .map(code_message)
                .collect::<Vec<_>>()
                .join("; "),
            1000,
        )))
    }
}

impl Shopify {
    pub async fn changed_orders<P: Pacer>(
        &self,
        pacer: &P,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<String>, CallError> {
        let q = format!(
            "updated_at:>='{}' AND updated_at:<='{}'",
            since.format("%Y-%m-%dT%H:%M:%SZ"),
            until.format("%Y-%m-%dT%H:%M:%SZ")
        );
        let mut out = Vec::new();
        let mut after = Value::Null;
        loop {
            let data = self
                .graphql(pacer, ORDERS_CHANGED, json!({ "q": q, "after": after }))
                .await?;
            for n in data
                .pointer("/orders/nodes")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(id) = n.get("id").and_then(Value::as_str) {
                    out.push(id.to_string());
                }
            }
            let more = data
                .pointer("/orders/pageInfo/hasNextPage")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            match data.pointer("/orders/pageInfo/endCursor") {
                Some(c) if more && !c.is_null() => after = c.clone(),
                _ => break,
            }
        }
        Ok(out)
    }

    pub async fn get_orders<P: Pacer>(
        &self,
        pacer: &P,
        ids: &[String],
    ) -> Result<Vec<RemoteOrder>, CallError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let data = self
            .graphql(pacer, ORDERS_READ, json!({ "ids": ids }))
            .await?;
        Ok(data
            .get("nodes")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|n| !n.is_null())
            .filter_map(order_of)
            .collect())
    }

    pub async fn cancel_order<P: Pacer>(
        &self,
        pacer: &P,
        order: &RemoteOrder,
        reason: CancelReason,
    ) -> Result<(), CallError> {
        let reason = match reason {
            CancelReason::OutOfStock => "INVENTORY",
            CancelReason::Other => "OTHER",
        };
        let data = self
            .graphql(
                pacer,
                ORDER_CANCEL,
                json!({ "id": order.external_id, "reason": reason }),
            )
            .await?;
        user_errors(&data, "/orderCancel/orderCancelUserErrors")
    }

    pub async fn ship_order<P: Pacer>(
        &self,
        pacer: &P,
        order: &RemoteOrder,
        shipment: &Shipment,
    ) -> Result<(), CallError> {
        let numbers: Vec<&String> = shipment
            .tracking
            .iter()
            .filter(|n| !order.tracking.contains(n))
            .collect();
        let open: Vec<Value> = order
            .remote_ref
            .get("fulfillment_order_ids")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if numbers.is_empty() || open.is_empty() {
            // Told before (the answer was lost), or nothing left to fulfil.
            return Ok(());
        }
        let data = self
            .graphql(
                pacer,
                FULFIL,
                json!({ "f": {
                    "lineItemsByFulfillmentOrder": open.iter().map(|id| json!({ "fulfillmentOrderId": id })).collect::<Vec<_>>(),
                    "trackingInfo": { "company": YAMATO, "numbers": numbers },
                    "notifyCustomer": true,
                }}),
            )
            .await?;
        user_errors(&data, "/fulfillmentCreate/userErrors")
    }
}

/// Exchanges the refresh token of expiring offline credentials for a new access token (and the
/// refresh token that replaces the used one): `POST {shop}/admin/oauth/access_token` with
/// `grant_type=refresh_token`, the app's `client_id` and `client_secret`. The new credentials,
/// with `access_token_expires_at` from `expires_in`.
///
/// # Errors
/// Refused (`invalid_grant`, 400/401/403): [`CallError::Auth`]; 429, 5xx, timeouts: transient.
pub async fn refresh(
    http: &reqwest::Client,
    base_url: &str,
    creds: Credentials,
) -> Result<Credentials, CallError> {
    let url = format!(
        "{}/admin/oauth/access_token",
        base_url.trim_end_matches('/')
    );
    let resp = http
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(
            json!({
                "client_id": creds.get("client_id"),
                "client_secret": creds.get("client_secret"),
                "grant_type": "refresh_token",
                "refresh_token": creds.get("refresh_token"),
            })
            .to_string(),
        )
        .send()
        .await
        .map_err(|e| transport_error(&e))?;
    let status = resp.status().as_u16();
    let wait = retry_after(resp.headers());
    let text = scrub(&resp.text().await.map_err(|e| transport_error(&e))?, &creds);
    let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    let said = || {
        let e = body.get("error").and_then(Value::as_str).unwrap_or("");
        let d = body
            .get("error_description")
            .and_then(Value::as_str)
            .unwrap_or("");
        clip(format!("{e} {d}").trim(), 300)
    };
    match status {
        200..=299 => {}
        400 | 401 | 403 => {
            return Err(CallError::Auth(format!(
                "Shopify refused the token refresh ({status}): {}",
                said()
            )));
        }
        429 | 500..=599 => {
            return Err(CallError::Transient {
                message: format!("Shopify token refresh answered {status}: {}", said()),
                retry_after: wait,
            });
        }
        _ => {
            return Err(CallError::Rejected(format!(
                "Shopify refused the token refresh ({status}): {}",
                said()
            )));
        }
    }
    let access = body
        .get("access_token")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| CallError::transient("the token refresh answered without a token"))?
        .to_string();
    let ttl = body
        .get("expires_in")
        .and_then(Value::as_i64)
        .unwrap_or(3600);
    let next = body
        .get("refresh_token")
        .and_then(Value::as_str)
        .map(str::to_string);
    let mut out = creds.with("access_token", access).with(
        "access_token_expires_at",
        (Utc::now() + chrono::Duration::seconds(ttl)).to_rfc3339(),
    );
    if let Some(r) = next.filter(|r| !r.is_empty()) {
        out = out.with("refresh_token", r);
    }
    Ok(out)
}

/// Whether `hmac_b64` is the base64 HMAC-SHA256 of `body` under `secret` (Shopify webhooks:
/// the raw body as received, compared in constant time).
pub fn webhook_valid(secret: &str, body: &[u8], hmac_b64: &str) -> bool {
    use base64::Engine;
    use hmac::{Hmac, Mac};
    let Ok(given) = base64::engine::general_purpose::STANDARD.decode(hmac_b64.trim()) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&given).is_ok()
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\n', "<br>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_bucket_waits_for_the_refill() {
        let b = json!({"extensions":{"cost":{"requestedQueryCost":100,
            "throttleStatus":{"maximumAvailable":1000.0,"currentlyAvailable":50,"restoreRate":50.0}}}});
        assert_eq!(refill_wait(&b), Some(Duration::from_secs(1)));
        let full = json!({"extensions":{"cost":{"requestedQueryCost":10,
            "throttleStatus":{"maximumAvailable":1000.0,"currentlyAvailable":990,"restoreRate":50.0}}}});
        assert_eq!(refill_wait(&full), None);
    }

    #[test]
    fn user_errors_point_at_their_quantity() {
        let e = json!({"code":"INVALID_INVENTORY_ITEM","field":["input","quantities","3","inventoryItemId"],"message":"x"});
        assert_eq!(quantity_index(&e), Some(3));
        assert!(!is_stale(&e));
        assert!(is_stale(&json!({"code":"CHANGE_FROM_QUANTITY_STALE"})));
    }
}
