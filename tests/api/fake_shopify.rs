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
//! - injected failures: 503 before writing, or written and answered after the client's timeout.
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const TOKEN: &str = "shpat_fake_0123456789abcdef";
pub const WEBHOOK_SECRET: &str = "shpss_fake_webhook_secret";
pub const LOCATION: &str = "gid://shopify/Location/1001";
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
        if token != TOKEN || s.revoked {
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
        let writes = query.contains("inventorySetQuantities") || query.contains("productSet");
        let mut late = None;
        if s.fail_percent > 0 && s.roll() < s.fail_percent {
            if s.roll() < 50 || !writes {
                return HttpResponse::ServiceUnavailable()
                    .content_type("application/json")
                    .body(r#"{"errors":"Service Unavailable"}"#);
            }
            late = Some(s.late_ms);
        }
        let resp = if query.contains("inventorySetQuantities") {
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

/// Starts the fake on a loopback port.
pub fn start() -> FakeShopify {
    let state = Arc::new(Mutex::new(State {
        late_ms: 1500,
        rng: 7,
        ..State::default()
    }));
    let data = web::Data::new(state.clone());
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .app_data(web::PayloadConfig::new(16 * 1024 * 1024))
            .route("/admin/api/{version}/graphql.json", web::post().to(graphql))
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
