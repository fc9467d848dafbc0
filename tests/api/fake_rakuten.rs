//! A local HTTP fake of Rakuten RMS WEB SERVICE, behaving like the documented API in what the
//! adapter relies on (DOMAIN-JP.md §5, the Inventory API 2.0 and Item API 2.0 specifications):
//! - `Authorization: ESA base64(serviceSecret:licenseKey)` exactly, else 401 with the gateway's
//!   own body `{"Results":{"errorCode":"ES01-01","message":"Un-Authorised"}}` (also once the
//!   license key is marked expired);
//! - JSON bodies only (415 otherwise);
//! - about one request per second to bulk-upsert and the item endpoints: a call less than
//!   950 ms after the previous one is answered 429 (and counted as a violation);
//! - `POST /es/2.0/inventories/bulk-upsert`: `inventories` with 1–400 entries of
//!   `{manageNumber, variantId, mode: ABSOLUTE|RELATIVE, quantity 0–99999}`, 204 on success,
//!   400 `{"errors":[{code, message, metadata.propertyPath}]}` otherwise; an unknown
//!   manageNumber/variantId is **accepted silently** (stored as an orphan);
//! - `PUT /es/2.0/items/manage-numbers/{m}` (title, 6-digit genreId, variants keyed by
//!   variantId with string prices, articleNumber value or exemptionReason) and `DELETE`;
//! - injected failures: a share of calls answered 500 before writing, or written and then
//!   answered only after the client's timeout (the write landed, the answer was lost).
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const SERVICE_SECRET: &str = "SP338531_fakeServiceSecret";
pub const LICENSE_KEY: &str = "SL338531_fakeLicenseKey";

#[derive(Default)]
pub struct State {
    /// (manageNumber, variantId) → quantity.
    pub stock: HashMap<(String, String), i64>,
    pub items: HashMap<String, Value>,
    /// Every request: (arrival, method, path, status).
    pub calls: Vec<(Instant, String, String, u16)>,
    pub relative_writes: usize,
    pub rate_violations: usize,
    pub orphans: usize,
    pub expired: bool,
    /// Share of calls (0-100 %) that fail: half 500 before writing, half written then late.
    pub fail_percent: u32,
    /// How long a "late" answer waits (longer than the client's timeout).
    pub late_ms: u64,
    last_call: Option<Instant>,
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
}

pub struct FakeRakuten {
    pub url: String,
    pub state: Arc<Mutex<State>>,
}

impl FakeRakuten {
    /// The base URL a channel account is given.
    pub fn base_url(&self) -> String {
        format!("{}/es/2.0", self.url)
    }
    pub fn qty(&self, manage: &str, variant: &str) -> Option<i64> {
        self.state
            .lock()
            .expect("lock")
            .stock
            .get(&(manage.to_string(), variant.to_string()))
            .copied()
    }
    /// Calls to `path_part` (any method) with their status.
    pub fn calls(&self, path_part: &str) -> Vec<u16> {
        self.state
            .lock()
            .expect("lock")
            .calls
            .iter()
            .filter(|c| c.2.contains(path_part))
            .map(|c| c.3)
            .collect()
    }
    pub fn with<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        f(&mut self.state.lock().expect("lock"))
    }
}

fn err(status: u16, code: &str, message: &str, path: Option<&str>) -> HttpResponse {
    let mut e = json!({"code": code, "message": message});
    if let Some(p) = path {
        e["metadata"] = json!({"propertyPath": p});
    }
    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).expect("status"))
        .content_type("application/json")
        .body(json!({"errors": [e]}).to_string())
}

fn expected_auth() -> String {
    use base64::Engine;
    format!(
        "ESA {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{SERVICE_SECRET}:{LICENSE_KEY}"))
    )
}

enum Fate {
    Normal,
    FailBefore,
    Late(u64),
}

/// The checks every call goes through; `Err` is the answer.
fn gate(req: &HttpRequest, st: &mut State, has_body: bool) -> Result<Fate, Box<HttpResponse>> {
    let auth = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if auth != expected_auth() || st.expired {
        return Err(Box::new(
            HttpResponse::Unauthorized()
                .content_type("application/json")
                .body(r#"{"Results":{"errorCode":"ES01-01","message":"Un-Authorised"}}"#),
        ));
    }
    let now = Instant::now();
    if let Some(last) = st.last_call
        && now.duration_since(last) < Duration::from_millis(950)
    {
        st.rate_violations += 1;
        return Err(Box::new(
            HttpResponse::TooManyRequests()
                .content_type("application/json")
                .body(r#"{"errors":[{"code":"GE0015","message":"Too Many Requests"}]}"#),
        ));
    }
    st.last_call = Some(now);
    if has_body {
        let ct = req
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !ct.starts_with("application/json") {
            return Err(Box::new(err(
                415,
                "ES04-03",
                "Unsupported Media Type",
                None,
            )));
        }
    }
    if st.fail_percent > 0 && st.roll() < st.fail_percent {
        return Ok(if st.roll() < 50 {
            Fate::FailBefore
        } else {
            Fate::Late(st.late_ms)
        });
    }
    Ok(Fate::Normal)
}

async fn answer(fate: Fate, ok: HttpResponse) -> HttpResponse {
    match fate {
        Fate::Normal => ok,
        Fate::FailBefore => err(500, "GE0001", "Internal Server Error", None),
        Fate::Late(ms) => {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            ok
        }
    }
}

fn record(st: &mut State, req: &HttpRequest, status: u16) {
    st.calls.push((
        Instant::now(),
        req.method().to_string(),
        req.path().to_string(),
        status,
    ));
}

async fn bulk_upsert(
    req: HttpRequest,
    body: web::Bytes,
    st: web::Data<Arc<Mutex<State>>>,
) -> HttpResponse {
    let (fate, resp) = {
        let mut s = st.lock().expect("lock");
        let fate = match gate(&req, &mut s, true) {
            Ok(f) => f,
            Err(r) => {
                record(&mut s, &req, r.status().as_u16());
                return *r;
            }
        };
        let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let Some(list) = v.get("inventories").and_then(Value::as_array) else {
            record(&mut s, &req, 400);
            return err(
                400,
                "IE0105",
                "inventories is required.",
                Some("inventories"),
            );
        };
        if list.is_empty() || list.len() > 400 {
            record(&mut s, &req, 400);
            return err(
                400,
                "IE0121",
                "The number of inventories must be between 1 and 400.",
                Some("inventories"),
            );
        }
        for (i, e) in list.iter().enumerate() {
            let mode = e.get("mode").and_then(Value::as_str).unwrap_or("");
            if mode != "ABSOLUTE" && mode != "RELATIVE" {
                record(&mut s, &req, 400);
                return err(
                    400,
                    "IE0002",
                    &format!("mode has an invalid value : {mode}."),
                    Some(&format!("inventories[{i}].mode")),
                );
            }
            let q = e.get("quantity").and_then(Value::as_i64);
            if !q.is_some_and(|q| (0..=99_999).contains(&q) || mode == "RELATIVE") {
                record(&mut s, &req, 400);
                return err(
                    400,
                    "IE0003",
                    "quantity is out of range.",
                    Some(&format!("inventories[{i}].quantity")),
                );
            }
            if e.get("manageNumber")
                .and_then(Value::as_str)
                .is_none_or(|m| m.is_empty() || m.len() > 32)
            {
                record(&mut s, &req, 400);
                return err(
                    400,
                    "IE0004",
                    "Max length of manageNumber must be within 32 bytes.",
                    Some(&format!("inventories[{i}].manageNumber")),
                );
            }
        }
        if matches!(fate, Fate::FailBefore) {
            record(&mut s, &req, 500);
            (fate, HttpResponse::NoContent().finish())
        } else {
            for e in list {
                // manageNumber is lower-cased by Rakuten; variantId is case-sensitive.
                let m = e["manageNumber"].as_str().unwrap_or("").to_lowercase();
                let var = e["variantId"].as_str().unwrap_or("").to_string();
                let q = e["quantity"].as_i64().unwrap_or(0);
                let known = s
                    .items
                    .get(&m)
                    .is_some_and(|it| it["variants"].get(&var).is_some());
                if !known {
                    s.orphans += 1;
                }
                let key = (m, var);
                if e["mode"] == "RELATIVE" {
                    s.relative_writes += 1;
                    *s.stock.entry(key).or_default() += q;
                } else {
                    s.stock.insert(key, q);
                }
            }
            record(&mut s, &req, 204);
            (fate, HttpResponse::NoContent().finish())
        }
    };
    answer(fate, resp).await
}

async fn item(
    req: HttpRequest,
    body: web::Bytes,
    path: web::Path<String>,
    st: web::Data<Arc<Mutex<State>>>,
) -> HttpResponse {
    let manage = path.into_inner().to_lowercase();
    let (fate, resp) = {
        let mut s = st.lock().expect("lock");
        let delete = req.method() == actix_web::http::Method::DELETE;
        let fate = match gate(&req, &mut s, !delete) {
            Ok(f) => f,
            Err(r) => {
                record(&mut s, &req, r.status().as_u16());
                return *r;
            }
        };
        if delete {
            let found = s.items.remove(&manage).is_some();
            record(&mut s, &req, if found { 204 } else { 404 });
            if !found {
                return err(404, "GE0014", "The item is not found.", None);
            }
            (fate, HttpResponse::NoContent().finish())
        } else {
            let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            let title = v.get("title").and_then(Value::as_str).unwrap_or("");
            let genre = v.get("genreId").and_then(Value::as_str).unwrap_or("");
            let variants = v.get("variants").and_then(Value::as_object);
            let problem = if title.is_empty() || title.chars().count() > 255 {
                Some((
                    "IE0004",
                    "title is required and at most 255 characters.",
                    "title",
                ))
            } else if genre.len() != 6 || !genre.bytes().all(|b| b.is_ascii_digit()) {
                Some(("IE0002", "genreId has an invalid value.", "genreId"))
            } else if variants.is_none_or(|m| m.is_empty() || m.len() > 400) {
                Some(("IE0105", "variants must have 1-400 entries.", "variants"))
            } else if variants.into_iter().flatten().any(|(_, var)| {
                var.get("standardPrice")
                    .and_then(Value::as_str)
                    .is_none_or(|p| p.parse::<u64>().is_err())
                    || var
                        .pointer("/articleNumber/value")
                        .and_then(Value::as_str)
                        .is_some_and(|g| g.len() > 30)
                    || (var.pointer("/articleNumber/value").is_none()
                        && var
                            .pointer("/articleNumber/exemptionReason")
                            .and_then(Value::as_i64)
                            .is_none())
            }) {
                Some((
                    "IE0002",
                    "a variant has an invalid standardPrice or articleNumber.",
                    "variants",
                ))
            } else {
                None
            };
            if let Some((code, msg, field)) = problem {
                record(&mut s, &req, 400);
                return err(400, code, msg, Some(field));
            }
            if !matches!(fate, Fate::FailBefore) {
                s.items.insert(manage, v);
            }
            record(
                &mut s,
                &req,
                if matches!(fate, Fate::FailBefore) {
                    500
                } else {
                    204
                },
            );
            (fate, HttpResponse::NoContent().finish())
        }
    };
    answer(fate, resp).await
}

/// Starts the fake on a loopback port.
pub fn start() -> FakeRakuten {
    let state = Arc::new(Mutex::new(State {
        late_ms: 1500,
        rng: 42,
        ..State::default()
    }));
    let data = web::Data::new(state.clone());
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .app_data(web::PayloadConfig::new(16 * 1024 * 1024))
            .route(
                "/es/2.0/inventories/bulk-upsert",
                web::post().to(bulk_upsert),
            )
            .route("/es/2.0/items/manage-numbers/{m}", web::put().to(item))
            .route("/es/2.0/items/manage-numbers/{m}", web::delete().to(item))
    })
    .workers(2)
    .bind(("127.0.0.1", 0))
    .expect("bind");
    let port = server.addrs()[0].port();
    tokio::spawn(server.run());
    FakeRakuten {
        url: format!("http://127.0.0.1:{port}"),
        state,
    }
}
