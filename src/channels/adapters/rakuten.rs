//! Rakuten RMS WEB SERVICE (DOMAIN-JP.md §5): `Authorization: ESA base64(serviceSecret:licenseKey)`,
//! JSON bodies (`application/json; charset=utf-8`); Inventory API 2.0 `POST
//! inventories/bulk-upsert` (1–400 entries, ABSOLUTE only, about 1 request/second, 204 on
//! success; an unknown manageNumber/variantId is accepted silently), Item API 2.0 `PUT` / `DELETE
//! items/manage-numbers/{manageNumber}` (variants keyed by variantId, prices as strings,
//! `articleNumber {value | exemptionReason}`). API errors come as `{"errors":[{code, message,
//! metadata.propertyPath}]}`; the gateway's own as `{"Results":{errorCode, message}}`.
use super::{
    CallError, ItemContent, Pacer, Pushed, StockWrite, WriteOutcome, clip, code_message,
    retry_after, transport_error,
};
use crate::channels::vault::{Credentials, scrub};
use base64::Engine;
use serde_json::{Value, json};

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
}

/// The body part of a "refused the request (400): …" message (what `call` put after the
/// status), for reading the entries it names.
fn msg_body(msg: &str) -> String {
    msg.split_once("): ").map_or(msg, |(_, b)| b).to_string()
}
