//! Rakuten RMS WEB SERVICE (DOMAIN-JP.md §5): `Authorization: ESA base64(serviceSecret:licenseKey)`,
//! JSON bodies (`application/json; charset=utf-8`); Inventory API 2.0 `POST
//! inventories/bulk-upsert` (1–400 entries, ABSOLUTE only, about 1 request/second, 204 on
//! success; an unknown manageNumber/variantId is accepted silently), Item API 2.0 `PUT` / `DELETE
//! items/manage-numbers/{manageNumber}` (variants keyed by variantId, prices as strings,
//! `articleNumber {value | exemptionReason}`). API errors come as `{"errors":[{code, message,
//! metadata.propertyPath}]}`; the gateway's own as `{"Results":{errorCode, message}}`.
use super::{
    CallError, CancelReason, ItemContent, Pacer, Pushed, RemoteLine, RemoteOrder, RemoteStatus,
    Shipment, StockWrite, WriteOutcome, amount, clip, code_message, retry_after, tax_rate,
    transport_error,
};
use crate::channels::vault::{Credentials, scrub};
use crate::orders::domain::Contact;
use base64::Engine;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

/// Yamato Transport's `deliveryCompany` code in the RakutenPay Order API.
pub const YAMATO: &str = "1001";

/// The RakutenPay Order API version of `getOrder` this adapter reads.
pub const ORDER_VERSION: i64 = 7;

/// searchOrder's longest date range (63 days) and its page size (at most 1000).
const SEARCH_DAYS: i64 = 63;
const SEARCH_PAGE: i64 = 1000;

/// `articleNumber.exemptionReason` for an item without a product code (Item API 2.0: 5, 商品
/// コードなし).
pub const EXEMPT_NO_CODE: i64 = 5;

/// A Rakuten shop's adapter.
pub struct Rakuten {
    http: reqwest::Client,
    base: String,
    creds: Credentials,
}

impl Rakuten {
    /// The adapter for the shop at `base_url` (`https://api.rms.rakuten.co.jp/es/2.0` for a
    /// real shop).
    pub fn new(http: reqwest::Client, base_url: &str, creds: Credentials) -> Self {
        Self {
            http,
            base: base_url.trim_end_matches('/').to_string(),
            creds,
        }
    }

    fn auth(&self) -> String {
        let pair = format!(
            "{}:{}",
            self.creds.get("service_secret"),
            self.creds.get("license_key")
        );
        format!(
            "ESA {}",
            base64::engine::general_purpose::STANDARD.encode(pair)
        )
    }

    /// Sends one call (after waiting for its slot) and reads the answer: `Ok(body)` on 2xx.
    async fn call<P: Pacer>(
        &self,
        pacer: &P,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(u16, String), CallError> {
        pacer.slot().await?;
        let mut req = self
            .http
            .request(method, format!("{}/{path}", self.base))
            .header(reqwest::header::AUTHORIZATION, self.auth());
        if let Some(b) = body {
            req = req
                .header(
                    reqwest::header::CONTENT_TYPE,
                    "application/json; charset=utf-8",
                )
                .body(b.to_string());
        }
        let resp = req.send().await.map_err(|e| transport_error(&e))?;
        let status = resp.status().as_u16();
        let wait = retry_after(resp.headers());
        let text = resp.text().await.map_err(|e| transport_error(&e))?;
        let text = scrub(&text, &self.creds);
        match status {
            200..=299 => Ok((status, text)),
            401 | 403 => Err(CallError::Auth(format!(
                "Rakuten refused the credentials ({status}): {}",
                message_of(&text)
            ))),
            429 => {
                if let Some(w) = wait {
                    pacer.hold_off(w).await;
                }
                Err(CallError::Transient {
                    message: format!("Rakuten rate limit (429): {}", message_of(&text)),
                    retry_after: wait,
                })
            }
            500..=599 => Err(CallError::Transient {
                message: format!("Rakuten answered {status}: {}", message_of(&text)),
                retry_after: wait,
            }),
            _ => Err(CallError::Rejected(format!(
                "Rakuten refused the request ({status}): {}",
                message_of(&text)
            ))),
        }
    }
}

/// The errors of a Rakuten answer as one text, in Rakuten's own words.
pub fn message_of(body: &str) -> String {
    let v: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    if let Some(errs) = v.get("errors").and_then(Value::as_array) {
        let parts: Vec<String> = errs.iter().map(code_message).collect();
        return clip(&parts.join("; "), 1000);
    }
    if let Some(r) = v.get("Results") {
        return clip(
            &format!(
                "{} {}",
                r.get("errorCode").and_then(Value::as_str).unwrap_or(""),
                r.get("message").and_then(Value::as_str).unwrap_or("")
            ),
            1000,
        );
    }
    clip(body.trim(), 300)
}

/// The entry index of `inventories[N]…` property paths, per error.
fn entry_errors(body: &str) -> Vec<(usize, String)> {
    let v: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    v.get("errors")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|e| {
            let path = e.pointer("/metadata/propertyPath")?.as_str()?;
            let idx = path
                .strip_prefix("inventories[")?
                .split(']')
                .next()?
                .parse()
                .ok()?;
            Some((idx, code_message(e)))
        })
        .collect()
}

impl super::Adapter for Rakuten {
    async fn set_stock<P: Pacer>(
        &self,
        pacer: &P,
        writes: &[StockWrite],
    ) -> Result<Vec<WriteOutcome>, CallError> {
        let body = json!({
            "inventories": writes.iter().map(|w| json!({
                "manageNumber": w.external_id,
                "variantId": w.variant_id,
                "mode": "ABSOLUTE",
                "quantity": w.quantity.clamp(0, 99_999),
            })).collect::<Vec<_>>()
        });
        match self
            .call(
                pacer,
                reqwest::Method::POST,
                "inventories/bulk-upsert",
                Some(&body),
            )
            .await
        {
            Ok(_) => Ok(vec![WriteOutcome::Written; writes.len()]),
            Err(CallError::Rejected(msg)) => {
                // A 400 names the entries it refuses; the others were not written either
                // (the call is one validation), so they are tried again without them.
                let per = entry_errors(&msg_body(&msg));
                if per.is_empty() {
                    return Err(CallError::Rejected(msg));
                }
                Ok((0..writes.len())
                    .map(|i| match per.iter().find(|(j, _)| *j == i) {
                        Some((_, m)) => WriteOutcome::Rejected(m.clone()),
                        None => WriteOutcome::NotWritten,
                    })
                    .collect())
            }
            Err(e) => Err(e),
        }
    }

    async fn upsert_item<P: Pacer>(
        &self,
        pacer: &P,
        item: &ItemContent,
    ) -> Result<Pushed, CallError> {
        let variants: serde_json::Map<String, Value> = item
            .variants
            .iter()
            .map(|v| {
                let article = match &v.gtin {
                    Some(g) => json!({ "value": g }),
                    None => json!({ "exemptionReason": EXEMPT_NO_CODE }),
                };
                (
                    v.variant_id.clone(),
                    json!({
                        "merchantDefinedSkuId": v.sku_code,
                        "selectorValues": { "variant": v.name },
                        "standardPrice": v.price.to_string(),
                        "articleNumber": article,
                        "shipping": { "postageIncluded": false },
                    }),
                )
            })
            .collect();
        let body = json!({
            "itemNumber": item.manage_number,
            "title": clip(&item.title, 127),
            "itemType": "NORMAL",
            "genreId": item.category.clone().unwrap_or_default(),
            "hideItem": false,
            "productDescription": { "pc": item.description, "sp": item.description },
            "payment": { "taxIncluded": true, "taxRate": if item.tax_rate == 8 { "0.08" } else { "0.1" } },
            "variantSelectors": [{
                "key": "variant",
                "displayName": "種類",
                "values": item.variants.iter().map(|v| json!({ "displayValue": v.name })).collect::<Vec<_>>(),
            }],
            "variants": variants,
        });
        if item.category.is_none() {
            return Err(CallError::Rejected(
                "no Rakuten genreId is mapped for the product's category".into(),
            ));
        }
        self.call(
            pacer,
            reqwest::Method::PUT,
            &format!("items/manage-numbers/{}", item.manage_number),
            Some(&body),
        )
        .await
        .map_err(|e| match e {
            CallError::Rejected(m) => CallError::Rejected(message_of(&msg_body(&m))),
            other => other,
        })?;
        Ok(Pushed {
            external_id: item.manage_number.clone(),
            variants: item
                .variants
                .iter()
                .map(|v| (v.listing_id, v.variant_id.clone()))
                .collect(),
        })
    }

    async fn delist_item<P: Pacer>(&self, pacer: &P, external_id: &str) -> Result<(), CallError> {
        match self
            .call(
                pacer,
                reqwest::Method::DELETE,
                &format!("items/manage-numbers/{external_id}"),
                None,
            )
            .await
        {
            // Already gone is delisted.
            Err(CallError::Rejected(m)) if m.contains("(404)") => Ok(()),
            other => other.map(|_| ()),
        }
    }

    async fn changed_orders<P: Pacer>(
        &self,
        pacer: &P,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<String>, CallError> {
        Rakuten::changed_orders(self, pacer, since, until).await
    }

    async fn get_orders<P: Pacer>(
        &self,
        pacer: &P,
        ids: &[String],
    ) -> Result<Vec<RemoteOrder>, CallError> {
        Rakuten::get_orders(self, pacer, ids).await
    }

    async fn confirm_orders<P: Pacer>(&self, pacer: &P, ids: &[String]) -> Result<(), CallError> {
        Rakuten::confirm_orders(self, pacer, ids).await
    }

    async fn cancel_order<P: Pacer>(
        &self,
        pacer: &P,
        order: &RemoteOrder,
        reason: CancelReason,
    ) -> Result<(), CallError> {
        Rakuten::cancel_order(self, pacer, order, reason).await
    }

    async fn ship_order<P: Pacer>(
        &self,
        pacer: &P,
        order: &RemoteOrder,
        shipment: &Shipment,
    ) -> Result<(), CallError> {
        Rakuten::ship_order(self, pacer, order, shipment).await
    }
}

/// A RakutenPay date: `yyyy-MM-ddTHH:mm:ss+0900` (JST; the API refuses `+09:00`).
pub fn order_date(t: DateTime<Utc>) -> String {
    (t + chrono::Duration::hours(9))
        .format("%Y-%m-%dT%H:%M:%S+0900")
        .to_string()
}

/// The entries of a RakutenPay list, which comes as an array, or as one object when it holds
/// one entry (or is absent).
pub fn entries(v: Option<&Value>) -> Vec<Value> {
    match v {
        Some(Value::Array(a)) => a.clone(),
        Some(Value::Object(_)) => vec![v.cloned().unwrap_or(Value::Null)],
        _ => Vec::new(),
    }
}

/// The `ERROR` messages of a RakutenPay answer (business errors come with HTTP 200).
fn order_errors(body: &Value) -> Vec<String> {
    entries(body.get("MessageModelList"))
        .iter()
        .filter(|m| m.get("messageType").and_then(Value::as_str) == Some("ERROR"))
        .map(|m| {
            format!(
                "{} {}",
                m.get("messageCode").and_then(Value::as_str).unwrap_or(""),
                m.get("message").and_then(Value::as_str).unwrap_or("")
            )
            .trim()
            .to_string()
        })
        .collect()
}

fn text_of(v: &Value, k: &str) -> String {
    match v.get(k) {
        Some(Value::String(s)) => s.trim().to_string(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

/// A RakutenPay person (OrdererModel, SenderModel) as a contact; the prefecture is its name.
fn person(v: &Value) -> Contact {
    let join = |a: &str, b: &str| {
        [text_of(v, a), text_of(v, b)]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let phone = ["phoneNumber1", "phoneNumber2", "phoneNumber3"]
        .iter()
        .map(|k| text_of(v, k))
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    Contact {
        name: join("familyName", "firstName"),
        kana: format!(
            "{}{}",
            text_of(v, "familyNameKana"),
            text_of(v, "firstNameKana")
        ),
        email: text_of(v, "emailAddress"),
        phone,
        postal_code: format!("{}-{}", text_of(v, "zipCode1"), text_of(v, "zipCode2")),
        prefecture: text_of(v, "prefecture"),
        city: text_of(v, "city"),
        address1: text_of(v, "subAddress"),
        address2: String::new(),
    }
}

/// One OrderModel of getOrder (version 7) as a channel order.
fn order_of(o: &Value) -> Option<RemoteOrder> {
    let number = o.get("orderNumber")?.as_str()?.to_string();
    let progress = o.get("orderProgress").and_then(Value::as_i64).unwrap_or(0);
    let status = match progress {
        800 | 900 => RemoteStatus::Cancelled,
        500..=700 => RemoteStatus::Shipped,
        _ => RemoteStatus::Open,
    };
    let buyer = person(o.get("OrdererModel").unwrap_or(&Value::Null));
    let packages = entries(o.get("PackageModelList"));
    let mut lines = Vec::new();
    let mut baskets = Vec::new();
    let mut tracking = Vec::new();
    let mut ship_to = None;
    for p in &packages {
        baskets.push(p.get("basketId").cloned().unwrap_or(Value::Null));
        if ship_to.is_none()
            && let Some(sender) = p.get("SenderModel")
        {
            ship_to = Some(person(sender));
        }
        for s in entries(p.get("ShippingModelList")) {
            let n = text_of(&s, "shippingNumber");
            if !n.is_empty() {
                tracking.push(n);
            }
        }
        for item in entries(p.get("ItemModelList")) {
            let sku = entries(item.get("SkuModelList")).into_iter().next();
            let sku = sku.unwrap_or(Value::Null);
            lines.push(RemoteLine {
                variant_id: text_of(&sku, "variantId"),
                sku_code: text_of(&sku, "merchantDefinedSkuId"),
                title: text_of(&item, "itemName"),
                qty: item.get("units").and_then(Value::as_i64).unwrap_or(0),
                unit_price: amount(item.get("price")),
                tax_rate: tax_rate(item.get("taxRate")),
            });
        }
    }
    let tax = entries(o.get("TaxSummaryModelList"))
        .iter()
        .map(|summary| {
            let tax = summary
                .get("totalPriceTax")
                .or_else(|| summary.get("reqPriceTax"))
                .map_or(0, |v| amount(Some(v)));
            (tax_rate(summary.get("taxRate")), tax)
        })
        .filter(|(_, t)| *t > 0)
        .collect();
    Some(RemoteOrder {
        external_id: number,
        status,
        needs_confirm: progress == 100,
        buyer,
        ship_to: ship_to.filter(|s| !s.name.is_empty()),
        lines,
        shipping: amount(o.get("postagePrice")) + amount(o.get("deliveryPrice")),
        total: amount(o.get("totalPrice")),
        tax,
        currency: "JPY".into(),
        remote_ref: json!({ "basket_ids": baskets }),
        tracking,
        // RMS reports no fee per order: Rakuten bills monthly (its fee statement is imported).
        fee: None,
    })
}

impl Rakuten {
    /// One RakutenPay Order API call: the answer when it holds no `ERROR` message.
    async fn order_call<P: Pacer>(
        &self,
        pacer: &P,
        path: &str,
        body: &Value,
    ) -> Result<Value, CallError> {
        let (_, text) = self
            .call(pacer, reqwest::Method::POST, path, Some(body))
            .await?;
        let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        let errors = order_errors(&v);
        if errors.is_empty() {
            Ok(v)
        } else {
            Err(CallError::Rejected(clip(&errors.join("; "), 1000)))
        }
    }

    pub async fn changed_orders<P: Pacer>(
        &self,
        pacer: &P,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<String>, CallError> {
        let mut out = Vec::new();
        let mut from = since;
        while from < until {
            let to = (from + chrono::Duration::days(SEARCH_DAYS)).min(until);
            let mut page = 1;
            loop {
                let v = self
                    .order_call(
                        pacer,
                        "order/searchOrder/",
                        &json!({
                            "dateType": 1,
                            "startDatetime": order_date(from),
                            "endDatetime": order_date(to),
                            "PaginationRequestModel": {
                                "requestRecordsAmount": SEARCH_PAGE,
                                "requestPage": page,
                            },
                        }),
                    )
                    .await?;
                for n in entries(v.get("orderNumberList")) {
                    if let Some(n) = n.as_str() {
                        out.push(n.to_string());
                    }
                }
                let pages = v
                    .pointer("/PaginationResponseModel/totalPages")
                    .and_then(Value::as_i64)
                    .unwrap_or(1);
                if page >= pages {
                    break;
                }
                page += 1;
            }
            from = to;
        }
        out.sort();
        out.dedup();
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
        let v = self
            .order_call(
                pacer,
                "order/getOrder/",
                &json!({ "orderNumberList": ids, "version": ORDER_VERSION }),
            )
            .await?;
        Ok(entries(v.get("OrderModelList"))
            .iter()
            .filter_map(order_of)
            .collect())
    }

    pub async fn confirm_orders<P: Pacer>(
        &self,
        pacer: &P,
        ids: &[String],
    ) -> Result<(), CallError> {
        if ids.is_empty() {
            return Ok(());
        }
        self.order_call(
            pacer,
            "order/confirmOrder/",
            &json!({ "orderNumberList": ids }),
        )
        .await
        .map(|_| ())
    }

    pub async fn cancel_order<P: Pacer>(
        &self,
        pacer: &P,
        order: &RemoteOrder,
        reason: CancelReason,
    ) -> Result<(), CallError> {
        // 2: 在庫連動しない (our sync writes the stock); 8: 欠品, 10: その他 (shop's side).
        let code = match reason {
            CancelReason::OutOfStock => 8,
            CancelReason::Other => 10,
        };
        self.order_call(
            pacer,
            "order/cancelOrder/",
            &json!({
                "orderNumber": order.external_id,
                "inventoryRestoreType": 2,
                "changeReasonDetailApply": code,
            }),
        )
        .await
        .map(|_| ())
    }

    pub async fn ship_order<P: Pacer>(
        &self,
        pacer: &P,
        order: &RemoteOrder,
        shipment: &Shipment,
    ) -> Result<(), CallError> {
        let basket = entries(order.remote_ref.get("basket_ids"))
            .into_iter()
            .next()
            .ok_or_else(|| CallError::Rejected("the Rakuten order has no basket".into()))?;
        let shipping: Vec<Value> = shipment
            .tracking
            .iter()
            .filter(|n| !order.tracking.contains(n))
            .map(|n| {
                json!({
                    "deliveryCompany": YAMATO,
                    "shippingNumber": n,
                    "shippingDate": shipment.shipped_on.format("%Y-%m-%d").to_string(),
                })
            })
            .collect();
        if shipping.is_empty() {
            return Ok(());
        }
        self.order_call(
            pacer,
            "order/updateOrderShipping/",
            &json!({
                "orderNumber": order.external_id,
                "BasketidModelList": [{ "basketId": basket, "ShippingModelList": shipping }],
            }),
        )
        .await
        .map(|_| ())
    }
}

/// The body part of a "refused the request (400): …" message (what `call` put after the
/// status), for reading the entries it names.
fn msg_body(msg: &str) -> String {
    msg.split_once("): ").map_or(msg, |(_, b)| b).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_jst_with_a_colonless_offset() {
        let t = chrono::DateTime::from_timestamp(1_796_311_800, 0).unwrap_or_default();
        assert_eq!(t.to_rfc3339(), "2026-12-03T15:30:00+00:00");
        assert_eq!(order_date(t), "2026-12-04T00:30:00+0900");
    }

    #[test]
    fn a_list_of_one_may_be_an_object() {
        assert_eq!(entries(Some(&json!({"a": 1}))).len(), 1);
        assert_eq!(entries(Some(&json!([{"a": 1}, {"a": 2}]))).len(), 2);
        assert!(entries(None).is_empty());
        let o = json!({"orderNumber": "1-2-3", "orderProgress": 100,
            "PackageModelList": {"basketId": 9, "ItemModelList": {"itemName": "x", "units": 2, "price": 500, "taxRate": 0.08,
                "SkuModelList": {"variantId": "v1", "merchantDefinedSkuId": "S-1"}}}});
        let Some(r) = order_of(&o) else {
            panic!("the order does not read");
        };
        assert_eq!(r.lines.len(), 1);
        assert_eq!(r.lines[0].tax_rate, 8);
        assert_eq!(r.lines[0].variant_id, "v1");
        assert!(r.needs_confirm);
    }
}
