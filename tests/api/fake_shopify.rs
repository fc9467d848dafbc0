//! A local HTTP fake of the Shopify Admin GraphQL API, behaving like the documented API in
//! what the adapter relies on (DOMAIN-JP.md §5, shopify.dev):
//! - `POST /admin/api/{version}/graphql.json`, only supported versions (404 otherwise);
//! - `X-Shopify-Access-Token`, else 401 `{"errors":"[API] Invalid API key or access token …"}`
//!   (`errors` a string);
//! - a cost bucket (1,000 points, 50 restored per second; each answer carries
//!   `extensions.cost.throttleStatus`): a call costing more than is left is answered 200 with
//!   `{"errors":[{"message":"Throttled","extensions":{"code":"THROTTLED"}}]}` and counted;
//! - `inventorySetQuantities` from 2026-04: the `@idempotent(key:)` directive is required, every
//!   quantity must carry `changeFromQuantity` (an int or an explicit null); a mismatch answers
//!   `CHANGE_FROM_QUANTITY_STALE` and **writes nothing**; the same key replays the first answer
//!   without writing again; unknown items answer `INVALID_INVENTORY_ITEM` with their index;
//! - `nodes(ids:)` reads inventory levels; `productSet` (by handle) creates or replaces a
//!   product with its variants and inventory items; `productUpdate` archives;
//! - orders: `orders(query: "updated_at:>='…' AND updated_at:<='…'")` (first ≤ 250, paged),
//!   `nodes(ids:)` on `Order` (line items with the variant's inventory item, tax lines,
//!   fulfillment orders, fulfillments' tracking, and the transactions' fees only when the
//!   query selects them: SALE 3.55 % of the total, an AUTHORIZATION whose fee must not
//!   count), `orderCancel` (`reason` of the enum,
//!   `refundMethod` and `restock` required; an order cancelled before answers
//!   `orderCancelUserErrors`), `fulfillmentCreate` (fulfillment orders must be open);
//!   webhooks are signed by [`webhook_hmac`] as Shopify signs them;
//! - injected failures: 503 before writing, or written and answered after the client's timeout.
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const TOKEN: &str = "shpat_fake_0123456789abcdef";
pub const WEBHOOK_SECRET: &str = "shpss_fake_webhook_secret";
pub const LOCATION: &str = "gid://shopify/Location/1001";
pub const CLIENT_ID: &str = "fake_client_id_0123";
pub const CLIENT_SECRET: &str = "shpss_fake_client_secret_4567";
pub const REFRESH_TOKEN: &str = "shprt_fake_initial_refresh";
const VERSIONS: [&str; 3] = ["2026-04", "2026-07", "2026-10"];

/// A product: (GID, [(sku, inventory item GID)], status).
pub type Product = (String, Vec<(String, String)>, String);

#[derive(Default)]
pub struct State {
    /// inventory item GID → available.
    pub levels: HashMap<String, i64>,
    /// handle → (product GID, [(sku, inventory item GID)], status).
    pub products: HashMap<String, Product>,
    /// idempotency key → (parameters, answer).
    pub idempotent: HashMap<String, (String, Value)>,
    /// Each applied set: (item, quantity).
    pub writes: Vec<(String, i64)>,
    pub stale_answers: usize,
    pub throttled: usize,
    pub replays: usize,
    pub missing_change_from: usize,
    pub calls: Vec<(Instant, String)>,
    pub fail_percent: u32,
    pub late_ms: u64,
    pub revoked: bool,
    /// The long-lived [`TOKEN`] is expired (an expiring offline token past its hour).
    pub initial_expired: bool,
    /// Access tokens issued by refresh → when they expire.
    pub issued: HashMap<String, Instant>,
    /// The refresh token that works now (each use replaces it).
    pub refresh_token: String,
    pub refreshes: usize,
    /// Refreshes refused because the refresh token was already used (or wrong).
    pub refresh_refused: usize,
    /// Order GID → Order node (as the fake answers it), with its update time.
    pub orders: HashMap<String, (Value, chrono::DateTime<chrono::Utc>)>,
    /// Accepted orderCancel calls: (order GID, reason).
    pub cancels: Vec<(String, String)>,
    /// Accepted fulfillmentCreate calls: (order GID, tracking numbers).
    pub fulfilments: Vec<(String, Vec<String>)>,
    bucket: f64,
    bucket_at: Option<Instant>,
    next_id: u64,
    rng: u64,
}

impl State {
    fn roll(&mut self) -> u32 {
        self.rng = self
            .rng
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.rng >> 33) % 100) as u32
    }
    fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }
    fn refill(&mut self) -> f64 {
        let now = Instant::now();
        if let Some(at) = self.bucket_at {
            self.bucket = (self.bucket + now.duration_since(at).as_secs_f64() * 50.0).min(1000.0);
        } else {
            self.bucket = 1000.0;
        }
        self.bucket_at = Some(now);
        self.bucket
    }
}

pub struct FakeShopify {
    pub url: String,
    pub state: Arc<Mutex<State>>,
}

impl FakeShopify {
    pub fn level(&self, item: &str) -> Option<i64> {
        self.state.lock().expect("lock").levels.get(item).copied()
    }
    pub fn with<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        f(&mut self.state.lock().expect("lock"))
    }
}

fn cost_ext(requested: f64, available: f64) -> Value {
    json!({"cost": {"requestedQueryCost": requested, "actualQueryCost": requested,
        "throttleStatus": {"maximumAvailable": 1000.0, "currentlyAvailable": available, "restoreRate": 50.0}}})
}

fn ok(data: Value, ext: Value) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .json(json!({"data": data, "extensions": ext}))
}

fn set_quantities(s: &mut State, query: &str, vars: &Value, late: bool) -> Result<Value, Value> {
    let Some(key) = query
        .split("@idempotent(key: \"")
        .nth(1)
        .and_then(|r| r.split('"').next())
    else {
        return Err(
            json!([{"message": "The @idempotent directive is required for this mutation.",
            "extensions": {"code": "BAD_REQUEST"}}]),
        );
    };
    let input = &vars["input"];
    let qs = input["quantities"].as_array().cloned().unwrap_or_default();
    if qs.iter().any(|q| q.get("changeFromQuantity").is_none()) {
        s.missing_change_from += 1;
        return Err(
            json!([{"message": "Variable $input of type InventorySetQuantitiesInput! was provided invalid value for quantities.changeFromQuantity (Expected value to be provided)",
            "extensions": {"code": "INVALID_VARIABLE"}}]),
        );
    }
    let params = input.to_string();
    if let Some((p, answer)) = s.idempotent.get(key) {
        if *p != params {
            return Ok(
                json!({"inventorySetQuantities": {"inventoryAdjustmentGroup": null,
                "userErrors": [{"code": "IDEMPOTENCY_KEY_PARAMETER_MISMATCH", "field": ["input"],
                    "message": "The same idempotency key was used with other parameters."}]}}),
            );
        }
        s.replays += 1;
        return Ok(answer.clone());
    }
    let mut errors = Vec::new();
    for (i, q) in qs.iter().enumerate() {
        let item = q["inventoryItemId"].as_str().unwrap_or("");
        if q["locationId"].as_str() != Some(LOCATION) {
            errors.push(json!({"code": "INVALID_LOCATION", "field": ["input","quantities", i.to_string(), "locationId"],
                "message": "The specified location could not be found."}));
        } else if !s.levels.contains_key(item) {
            errors.push(json!({"code": "INVALID_INVENTORY_ITEM", "field": ["input","quantities", i.to_string(), "inventoryItemId"],
                "message": "The specified inventory item could not be found."}));
        } else if let Some(from) = q["changeFromQuantity"].as_i64()
            && s.levels.get(item) != Some(&from)
        {
            errors.push(json!({"code": "CHANGE_FROM_QUANTITY_STALE", "field": ["input","quantities", i.to_string(), "changeFromQuantity"],
                "message": "The quantity has changed since you last retrieved it."}));
        }
    }
    let answer = if errors.is_empty() {
        for q in &qs {
            let item = q["inventoryItemId"].as_str().unwrap_or("").to_string();
            let n = q["quantity"].as_i64().unwrap_or(0);
            s.levels.insert(item.clone(), n);
            s.writes.push((item, n));
        }
        json!({"inventorySetQuantities": {"inventoryAdjustmentGroup": {"id": format!("gid://shopify/InventoryAdjustmentGroup/{}", s.id())},
            "userErrors": []}})
    } else {
        if errors
            .iter()
            .any(|e| e["code"] == "CHANGE_FROM_QUANTITY_STALE")
        {
            s.stale_answers += 1;
        }
        json!({"inventorySetQuantities": {"inventoryAdjustmentGroup": null, "userErrors": errors}})
    };
    let _ = late;
    s.idempotent
        .insert(key.to_string(), (params, answer.clone()));
    Ok(answer)
}

fn product_set(s: &mut State, vars: &Value) -> Value {
    let input = &vars["input"];
    let handle = vars["handle"].as_str().unwrap_or("").to_string();
    let variants = input["variants"].as_array().cloned().unwrap_or_default();
    if input["title"].as_str().is_none_or(str::is_empty) || variants.is_empty() {
        return json!({"productSet": {"product": null, "userErrors": [{"code": "INVALID", "field": ["input","title"], "message": "Title can't be blank"}]}});
    }
    let (pid, mut items, _) = s.products.get(&handle).cloned().unwrap_or_else(|| {
        (
            format!("gid://shopify/Product/{}", s.id()),
            Vec::new(),
            String::new(),
        )
    });
    let mut nodes = Vec::new();
    let mut kept = Vec::new();
    for v in &variants {
        let sku = v["sku"].as_str().unwrap_or("").to_string();
        let inv = match items.iter().find(|(k, _)| *k == sku) {
            Some((_, inv)) => inv.clone(),
            None => {
                let inv = format!("gid://shopify/InventoryItem/{}", s.id());
                s.levels.insert(inv.clone(), 0);
                inv
            }
        };
        nodes.push(json!({"id": format!("gid://shopify/ProductVariant/{}", s.id()), "sku": sku, "inventoryItem": {"id": inv}}));
        kept.push((sku, inv));
    }
    items = kept;
    s.products
        .insert(handle, (pid.clone(), items, "ACTIVE".into()));
    json!({"productSet": {"product": {"id": pid, "variants": {"nodes": nodes}}, "userErrors": []}})
}

/// The base64 HMAC-SHA256 of `body` with the app's webhook secret (X-Shopify-Hmac-Sha256).
pub fn webhook_hmac(body: &[u8]) -> String {
    use base64::Engine;
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(WEBHOOK_SECRET.as_bytes()).expect("key");
    mac.update(body);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

impl FakeShopify {
    /// Adds an order of `lines` (inventory item GID, sku, quantity, unit price) shipped to
    /// `name` in Okinawa; its id.
    pub fn add_order(&self, name: &str, lines: &[(&str, &str, i64, i64)]) -> String {
        self.with(|s| {
            let n = s.id();
            let id = format!("gid://shopify/Order/{}", 5_000_000 + n);
            let total: i64 = lines.iter().map(|l| l.2 * l.3).sum::<i64>() + 1000;
            let address = json!({"name": name, "phone": "+81989850000", "zip": "901-3192",
                "provinceCode": "JP-47", "city": "久米島町", "address1": "字比嘉1-2", "address2": "",
                "countryCodeV2": "JP"});
            let items: Vec<Value> = lines.iter().map(|(inv, sku, q, p)| json!({
                "sku": sku, "name": format!("item {sku}"), "quantity": q,
                "originalUnitPriceSet": {"shopMoney": {"amount": format!("{p}.0"), "currencyCode": "JPY"}},
                "taxLines": [{"rate": 0.08}],
                "variant": {"inventoryItem": {"id": inv}}})).collect();
            let goods: i64 = lines.iter().map(|l| l.2 * l.3).sum();
            let order = json!({"id": id, "name": format!("#{}", 1000 + n), "email": "buyer@example.com",
                "phone": null, "cancelledAt": null, "displayFulfillmentStatus": "UNFULFILLED",
                "currencyCode": "JPY",
                "totalPriceSet": {"shopMoney": {"amount": format!("{total}.0")}},
                "totalShippingPriceSet": {"shopMoney": {"amount": "1000.0"}},
                "taxLines": [{"rate": 0.08, "priceSet": {"shopMoney": {"amount": format!("{}.0", goods * 8 / 108)}}},
                             {"rate": 0.1, "priceSet": {"shopMoney": {"amount": "90.0"}}}],
                "billingAddress": address, "shippingAddress": address,
                "lineItems": {"nodes": items},
                "fulfillmentOrders": {"nodes": [{"id": format!("gid://shopify/FulfillmentOrder/{}", 7_000_000 + n), "status": "OPEN"}]},
                "fulfillments": [],
                // Shopify Payments keeps 3.55 % of the sale (no consumption tax on it in Japan).
                "transactions": [{"kind": "SALE", "status": "SUCCESS", "fees": [
                    {"amount": {"amount": format!("{}.0", total * 355 / 10_000)},
                     "taxAmount": {"amount": "0.0"}, "type": "payment_fee"}]},
                    {"kind": "AUTHORIZATION", "status": "SUCCESS", "fees": [
                    {"amount": {"amount": "999.0"}, "taxAmount": {"amount": "0.0"}, "type": "never_counted"}]}]});
            s.orders.insert(id.clone(), (order, chrono::Utc::now()));
            id
        })
    }

    /// Changes the fee Shopify kept on an order's sale (a later adjustment there).
    pub fn set_fee(&self, id: &str, fee: i64, tax: i64) {
        self.with(|s| {
            if let Some((o, at)) = s.orders.get_mut(id) {
                o["transactions"][0]["fees"] = json!([
                    {"amount": {"amount": format!("{fee}.0")}, "taxAmount": {"amount": format!("{tax}.0")}, "type": "payment_fee"}]);
                *at = chrono::Utc::now();
            }
        });
    }

    /// Cancels an order at Shopify (staff or the buyer there).
    pub fn cancel_there(&self, id: &str) {
        self.with(|s| {
            if let Some((o, at)) = s.orders.get_mut(id) {
                o["cancelledAt"] = json!(chrono::Utc::now().to_rfc3339());
                *at = chrono::Utc::now();
            }
        });
    }

    /// The order node as the fake holds it.
    pub fn order(&self, id: &str) -> Option<Value> {
        self.with(|s| s.orders.get(id).map(|o| o.0.clone()))
    }
}

/// Reads `updated_at:>='A' AND updated_at:<='B'`.
fn updated_range(
    q: &str,
) -> Option<(chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>)> {
    let grab = |op: &str| {
        let rest = q.split(&format!("updated_at:{op}'")).nth(1)?;
        let t = rest.split('\'').next()?;
        chrono::DateTime::parse_from_rfc3339(t)
            .ok()
            .map(|d| d.with_timezone(&chrono::Utc))
    };
    Some((grab(">=")?, grab("<=")?))
}

fn orders_op(s: &mut State, query: &str, vars: &Value) -> Value {
    if query.contains("orderCancel") {
        let id = vars["id"].as_str().unwrap_or("");
        let reason = vars["reason"].as_str().unwrap_or("");
        if ![
            "CUSTOMER",
            "DECLINED",
            "FRAUD",
            "INVENTORY",
            "OTHER",
            "STAFF",
        ]
        .contains(&reason)
        {
            return json!({"errors": [{"message": format!("Variable $reason of type OrderCancelReason! was provided invalid value ({reason})"),
                "extensions": {"code": "INVALID_VARIABLE"}}]});
        }
        if !query.contains("refundMethod") || !query.contains("restock") {
            return json!({"errors": [{"message": "Field 'orderCancel' is missing required arguments: refundMethod, restock",
                "extensions": {"code": "missingRequiredArguments"}}]});
        }
        let Some((o, at)) = s.orders.get_mut(id) else {
            return json!({"data": {"orderCancel": {"job": null, "orderCancelUserErrors": [{"code": "NOT_FOUND", "field": ["orderId"], "message": "Order does not exist"}]}}});
        };
        if !o["cancelledAt"].is_null() {
            return json!({"data": {"orderCancel": {"job": null, "orderCancelUserErrors": [{"code": "INVALID", "field": ["orderId"], "message": "Order has already been cancelled"}]}}});
        }
        o["cancelledAt"] = json!(chrono::Utc::now().to_rfc3339());
        *at = chrono::Utc::now();
        s.cancels.push((id.to_string(), reason.to_string()));
        return json!({"data": {"orderCancel": {"job": {"id": "gid://shopify/Job/1"}, "orderCancelUserErrors": []}}});
    }
    if query.contains("fulfillmentCreate") {
        let f = &vars["f"];
        let fos: Vec<String> = f["lineItemsByFulfillmentOrder"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|x| x["fulfillmentOrderId"].as_str().map(str::to_string))
            .collect();
        let numbers: Vec<String> = f["trackingInfo"]["numbers"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect();
        let found = s.orders.iter_mut().find(|(_, (o, _))| {
            o["fulfillmentOrders"]["nodes"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|n| fos.iter().any(|f| n["id"] == f.as_str()))
        });
        let Some((id, (o, at))) = found else {
            return json!({"data": {"fulfillmentCreate": {"fulfillment": null, "userErrors": [{"field": ["fulfillment"], "message": "Fulfillment order does not exist."}]}}});
        };
        let open = o["fulfillmentOrders"]["nodes"]
            .as_array()
            .into_iter()
            .flatten()
            .all(|n| !fos.iter().any(|f| n["id"] == f.as_str()) || n["status"] == "OPEN");
        if !open || fos.is_empty() {
            return json!({"data": {"fulfillmentCreate": {"fulfillment": null, "userErrors": [{"field": ["fulfillment"], "message": "Fulfillment order is not in an open state."}]}}});
        }
        if let Some(nodes) = o["fulfillmentOrders"]["nodes"].as_array_mut() {
            for n in nodes {
                n["status"] = json!("CLOSED");
            }
        }
        o["displayFulfillmentStatus"] = json!("FULFILLED");
        if let Some(list) = o["fulfillments"].as_array_mut() {
            list.push(json!({"trackingInfo": numbers.iter().map(|n| json!({"number": n, "company": f["trackingInfo"]["company"]})).collect::<Vec<_>>()}));
        }
        *at = chrono::Utc::now();
        let id = id.clone();
        s.fulfilments.push((id, numbers));
        return json!({"data": {"fulfillmentCreate": {"fulfillment": {"id": "gid://shopify/Fulfillment/1"}, "userErrors": []}}});
    }
    if query.contains("orders(first") {
        let q = vars["q"].as_str().unwrap_or("");
        let Some((from, to)) = updated_range(q) else {
            return json!({"errors": [{"message": format!("Invalid search query: {q}"), "extensions": {"code": "BAD_REQUEST"}}]});
        };
        let mut ids: Vec<(chrono::DateTime<chrono::Utc>, String)> = s
            .orders
            .iter()
            .filter(|(_, (_, at))| *at >= from && *at <= to)
            .map(|(id, (_, at))| (*at, id.clone()))
            .collect();
        ids.sort();
        let after: usize = vars["after"]
            .as_str()
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        let page: Vec<Value> = ids
            .iter()
            .skip(after)
            .take(100)
            .map(|(_, id)| json!({"id": id}))
            .collect();
        let more = ids.len() > after + 100;
        return json!({"data": {"orders": {"nodes": page, "pageInfo": {"hasNextPage": more, "endCursor": if more { json!((after + 100).to_string()) } else { Value::Null }}}}});
    }
    // nodes(ids:) on Order.
    let nodes: Vec<Value> = vars["ids"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|id| {
            s.orders
                .get(id.as_str().unwrap_or(""))
                .map_or(Value::Null, |o| {
                    let mut node = o.0.clone();
                    // Like GraphQL, only what the query selects: fees only when asked for.
                    if !query.contains("fees { amount { amount } taxAmount { amount } }")
                        && let Some(m) = node.as_object_mut()
                    {
                        m.remove("transactions");
                    }
                    node
                })
        })
        .collect();
    json!({"data": {"nodes": nodes}})
}

async fn graphql(
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
    st: web::Data<Arc<Mutex<State>>>,
) -> HttpResponse {
    let version = path.into_inner();
    let (late, resp) = {
        let mut s = st.lock().expect("lock");
        s.calls.push((Instant::now(), version.clone()));
        if !VERSIONS.contains(&version.as_str()) {
            return HttpResponse::NotFound()
                .content_type("application/json")
                .body(r#"{"errors":"Not Found"}"#);
        }
        let token = req
            .headers()
            .get("x-shopify-access-token")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let valid = (token == TOKEN && !s.initial_expired)
            || s.issued.get(token).is_some_and(|at| *at > Instant::now());
        if !valid || s.revoked {
            return HttpResponse::Unauthorized()
                .content_type("application/json")
                .insert_header(("www-authenticate", "Basic Realm=\"Shopify API Authentication\""))
                .body(r#"{"errors":"[API] Invalid API key or access token (unrecognized login or wrong password)"}"#);
        }
        let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let query = v["query"].as_str().unwrap_or("").to_string();
        let vars = v["variables"].clone();
        let n = vars
            .pointer("/input/quantities")
            .and_then(Value::as_array)
            .map_or(0, Vec::len)
            + vars["ids"].as_array().map_or(0, Vec::len);
        let cost = 10.0 + n as f64 / 10.0;
        let available = s.refill();
        if available < cost {
            s.throttled += 1;
            return HttpResponse::Ok().content_type("application/json").json(json!({
                "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED",
                    "documentation": "https://shopify.dev/api/usage/rate-limits"}}],
                "extensions": {"cost": {"requestedQueryCost": cost, "actualQueryCost": null,
                    "throttleStatus": {"maximumAvailable": 1000.0, "currentlyAvailable": available, "restoreRate": 50.0}}}}));
        }
        s.bucket -= cost;
        let left = s.bucket;
        let writes = query.contains("inventorySetQuantities")
            || query.contains("productSet")
            || query.contains("orderCancel")
            || query.contains("fulfillmentCreate");
        let mut late = None;
        if s.fail_percent > 0 && s.roll() < s.fail_percent {
            if s.roll() < 50 || !writes {
                return HttpResponse::ServiceUnavailable()
                    .content_type("application/json")
                    .body(r#"{"errors":"Service Unavailable"}"#);
            }
            late = Some(s.late_ms);
        }
        let order_query = query.contains("on Order")
            || query.contains("orders(first")
            || query.contains("orderCancel")
            || query.contains("fulfillmentCreate");
        let resp = if order_query {
            let mut body = orders_op(&mut s, &query, &vars);
            body["extensions"] = cost_ext(cost, left);
            HttpResponse::Ok()
                .content_type("application/json")
                .json(body)
        } else if query.contains("inventorySetQuantities") {
            match set_quantities(&mut s, &query, &vars, late.is_some()) {
                Ok(d) => ok(d, cost_ext(cost, left)),
                Err(errors) => HttpResponse::Ok()
                    .content_type("application/json")
                    .json(json!({"errors": errors, "extensions": cost_ext(cost, left)})),
            }
        } else if query.contains("nodes(ids") {
            let nodes: Vec<Value> = vars["ids"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|id| {
                    let id = id.as_str().unwrap_or("");
                    match s.levels.get(id) {
                        Some(q) => json!({"id": id, "inventoryLevel": {"quantities": [{"name": "available", "quantity": q}]}}),
                        None => Value::Null,
                    }
                })
                .collect();
            ok(json!({"nodes": nodes}), cost_ext(cost, left))
        } else if query.contains("productSet") {
            let d = product_set(&mut s, &vars);
            ok(d, cost_ext(cost, left))
        } else if query.contains("productUpdate") {
            let id = vars["id"].as_str().unwrap_or("");
            let found = s.products.values_mut().find(|p| p.0 == id);
            let d = match found {
                Some(p) => {
                    p.2 = "ARCHIVED".into();
                    json!({"productUpdate": {"product": {"id": id}, "userErrors": []}})
                }
                None => {
                    json!({"productUpdate": {"product": null, "userErrors": [{"field": ["id"], "message": "Product does not exist"}]}})
                }
            };
            ok(d, cost_ext(cost, left))
        } else {
            HttpResponse::Ok()
                .json(json!({"errors": [{"message": "unsupported query in the fake"}]}))
        };
        (late, resp)
    };
    if let Some(ms) = late {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    resp
}

/// `POST /admin/oauth/access_token` with `grant_type=refresh_token`: the app's client id and
/// secret and the current refresh token give a new access token for an hour and a new refresh
/// token (the used one stops working); anything else is 400 `invalid_grant`.
async fn oauth(body: web::Bytes, st: web::Data<Arc<Mutex<State>>>) -> HttpResponse {
    let mut s = st.lock().expect("lock");
    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let ok = v["client_id"] == CLIENT_ID
        && v["client_secret"] == CLIENT_SECRET
        && v["grant_type"] == "refresh_token"
        && v["refresh_token"].as_str() == Some(s.refresh_token.as_str());
    if !ok {
        s.refresh_refused += 1;
        return HttpResponse::BadRequest().content_type("application/json").body(
            r#"{"error":"invalid_grant","error_description":"The refresh token is invalid or was already used."}"#,
        );
    }
    let n = s.id();
    let access = format!("shpat_rotated_{n:06}");
    s.issued
        .insert(access.clone(), Instant::now() + Duration::from_secs(3600));
    s.refresh_token = format!("shprt_rotated_{n:06}");
    s.refreshes += 1;
    HttpResponse::Ok().json(json!({"access_token": access, "expires_in": 3600,
        "refresh_token": s.refresh_token, "refresh_token_expires_in": 7_776_000,
        "scope": "write_products,write_inventory,read_orders,write_fulfillments"}))
}

/// Starts the fake on a loopback port.
pub fn start() -> FakeShopify {
    let state = Arc::new(Mutex::new(State {
        late_ms: 1500,
        rng: 7,
        refresh_token: REFRESH_TOKEN.to_string(),
        ..State::default()
    }));
    let data = web::Data::new(state.clone());
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .app_data(web::PayloadConfig::new(16 * 1024 * 1024))
            .route("/admin/api/{version}/graphql.json", web::post().to(graphql))
            .route("/admin/oauth/access_token", web::post().to(oauth))
    })
    .workers(2)
    .bind(("127.0.0.1", 0))
    .expect("bind");
    let port = server.addrs()[0].port();
    tokio::spawn(server.run());
    FakeShopify {
        url: format!("http://127.0.0.1:{port}"),
        state,
    }
}
