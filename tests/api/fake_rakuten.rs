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
//! - RakutenPay Order API: `POST /es/2.0/order/searchOrder/` (dates only as
//!   `yyyy-MM-ddTHH:mm:ss+0900` — `+09:00` or `Z` is refused —, at most 63 days, pages of
//!   30–1000), `getOrder/` (1–100 numbers, `version` 7 or later required), `confirmOrder/`,
//!   `cancelOrder/` (only at 100/200/300; `inventoryRestoreType` 0–2; a reason code of the
//!   documented list), `updateOrderShipping/` (a basketId of the order, `deliveryCompany`
//!   code, `shippingDate` `yyyy-MM-dd`); business errors as HTTP 200 or 400 with
//!   `MessageModelList` entries of `messageType` `ERROR`; and the quirk that a list of one
//!   entry comes as an object, not an array;
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
    /// orderNumber → OrderModel (version 7 fields).
    pub orders: HashMap<String, Value>,
    /// Every accepted cancelOrder: (orderNumber, changeReasonDetailApply, inventoryRestoreType).
    pub cancels: Vec<(String, i64, i64)>,
    /// Every accepted updateOrderShipping: (orderNumber, shippingNumber).
    pub shipping_updates: Vec<(String, String)>,
    pub confirms: Vec<String>,
    /// Requests refused for their date format.
    pub bad_dates: usize,
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

/// One line of a fake order: (manageNumber, variantId, merchantDefinedSkuId, units, price, taxRate).
pub type OrderLine<'a> = (&'a str, &'a str, &'a str, i64, i64, f64);

impl FakeRakuten {
    /// Adds an order placed `minutes_ago` in status 100 (注文確認待ち), with one package,
    /// written as the API writes it (a package, an item or a SKU list of one as an object).
    pub fn add_order(
        &self,
        number: &str,
        family: &str,
        first: &str,
        lines: &[OrderLine<'_>],
        minutes_ago: i64,
    ) {
        let at = chrono::Utc::now() - chrono::Duration::minutes(minutes_ago)
            + chrono::Duration::hours(9);
        let items: Vec<Value> = lines
            .iter()
            .map(|(m, v, code, units, price, rate)| {
                json!({"itemName": format!("item {m}"), "manageNumber": m, "itemNumber": m,
                    "price": price, "units": units, "taxRate": rate, "includeTaxFlag": 1,
                    "SkuModelList": [{"variantId": v, "merchantDefinedSkuId": code}]})
            })
            .collect();
        let goods: i64 = lines.iter().map(|l| l.3 * l.4).sum();
        let mut tax: HashMap<String, (i64, i64)> = HashMap::new();
        for l in lines {
            let key = format!("{}", l.5);
            let e = tax.entry(key).or_default();
            e.0 += l.3 * l.4;
        }
        let postage = 800;
        let summary: Vec<Value> = tax
            .iter()
            .map(|(rate, (sum, _))| {
                let r: f64 = rate.parse().unwrap_or(0.1);
                let pct = (r * 100.0).round() as i64;
                let sum = if pct == 10 { sum + postage } else { *sum };
                json!({"taxRate": r, "reqPrice": sum, "reqPriceTax": sum * pct / (100 + pct),
                    "totalPrice": sum, "totalPriceTax": sum * pct / (100 + pct)})
            })
            .collect();
        let person = |fam: &str, fst: &str| {
            json!({"zipCode1": "901", "zipCode2": "3192",
            "prefecture": "沖縄県", "city": "島尻郡久米島町", "subAddress": "字比嘉1-2",
            "familyName": fam, "firstName": fst, "familyNameKana": "クメ", "firstNameKana": "タロウ",
            "phoneNumber1": "098", "phoneNumber2": "985", "phoneNumber3": "0000",
            "emailAddress": "buyer@pc.fw.rakuten.ne.jp"})
        };
        let order = json!({
            "orderNumber": number,
            "orderProgress": 100,
            "orderDatetime": at.format("%Y-%m-%dT%H:%M:%S+0900").to_string(),
            "OrdererModel": person(family, first),
            "goodsPrice": goods, "postagePrice": postage, "deliveryPrice": 0,
            "totalPrice": goods + postage, "requestPrice": goods + postage,
            "PackageModelList": [{"basketId": 1000 + self.with(|s| s.orders.len()) as i64,
                "postagePrice": postage, "SenderModel": person(family, first),
                "ItemModelList": items, "ShippingModelList": []}],
            "TaxSummaryModelList": summary,
        });
        self.with(|s| s.orders.insert(number.to_string(), order));
    }

    /// The status of an order.
    pub fn progress(&self, number: &str) -> Option<i64> {
        self.with(|s| {
            s.orders
                .get(number)
                .and_then(|o| o["orderProgress"].as_i64())
        })
    }

    /// Sets an order's status (the shop or the buyer acted at Rakuten).
    pub fn set_progress(&self, number: &str, progress: i64) {
        self.with(|s| {
            if let Some(o) = s.orders.get_mut(number) {
                o["orderProgress"] = json!(progress);
            }
        });
    }
}

/// A RakutenPay business error (HTTP 200 or 400) in its own body.
fn order_error(status: u16, code: &str, message: &str) -> HttpResponse {
    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).expect("status"))
        .content_type("application/json")
        .body(json!({"MessageModelList": [{"messageType": "ERROR", "messageCode": code, "message": message}]}).to_string())
}

/// Lists of one entry as an object (the documented quirk), deeper lists too.
fn quirky(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, x)| {
                    let x = quirky(x);
                    let x = match x {
                        Value::Array(a) if a.len() == 1 && k.ends_with("ModelList") => a[0].clone(),
                        other => other,
                    };
                    (k.clone(), x)
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(quirky).collect()),
        other => other.clone(),
    }
}

fn jst(s: &str) -> Option<chrono::NaiveDateTime> {
    let t = s.strip_suffix("+0900")?;
    chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S").ok()
}

async fn order_api(
    req: HttpRequest,
    body: web::Bytes,
    path: web::Path<String>,
    st: web::Data<Arc<Mutex<State>>>,
) -> HttpResponse {
    let op = path.into_inner();
    let (fate, resp) = {
        let mut s = st.lock().expect("lock");
        let fate = match gate(&req, &mut s, true) {
            Ok(f) => f,
            Err(r) => {
                record(&mut s, &req, r.status().as_u16());
                return *r;
            }
        };
        if matches!(fate, Fate::FailBefore) {
            record(&mut s, &req, 500);
            return err(500, "GE0001", "Internal Server Error", None);
        }
        let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let resp = match op.as_str() {
            "searchOrder" => {
                let from = v["startDatetime"].as_str().and_then(jst);
                let to = v["endDatetime"].as_str().and_then(jst);
                match (from, to) {
                    (Some(f), Some(t)) if t >= f && t - f <= chrono::Duration::days(63) => {
                        let per = v
                            .pointer("/PaginationRequestModel/requestRecordsAmount")
                            .and_then(Value::as_i64)
                            .unwrap_or(30);
                        let page = v
                            .pointer("/PaginationRequestModel/requestPage")
                            .and_then(Value::as_i64)
                            .unwrap_or(1);
                        if !(30..=1000).contains(&per) || page < 1 {
                            order_error(
                                400,
                                "ORDER_EXT_API_SEARCH_ORDER_ERROR_019",
                                "requestRecordsAmountが不正です。",
                            )
                        } else {
                            let mut numbers: Vec<String> = s
                                .orders
                                .values()
                                .filter(|o| {
                                    o["orderDatetime"]
                                        .as_str()
                                        .and_then(jst)
                                        .is_some_and(|d| d >= f && d <= t)
                                })
                                .filter_map(|o| o["orderNumber"].as_str().map(str::to_string))
                                .collect();
                            numbers.sort();
                            let total = numbers.len() as i64;
                            let pages = ((total + per - 1) / per).max(1);
                            let slice: Vec<String> = numbers
                                .into_iter()
                                .skip(((page - 1) * per) as usize)
                                .take(per as usize)
                                .collect();
                            HttpResponse::Ok().content_type("application/json").body(
                                quirky(&json!({"orderNumberList": slice,
                                    "MessageModelList": [{"messageType": "INFO", "messageCode": "ORDER_EXT_API_SEARCH_ORDER_INFO_101", "message": "注文検索に成功しました。"}],
                                    "PaginationResponseModel": {"totalRecordsAmount": total, "totalPages": pages, "requestPage": page}}))
                                .to_string(),
                            )
                        }
                    }
                    (Some(_), Some(_)) => order_error(
                        400,
                        "ORDER_EXT_API_SEARCH_ORDER_ERROR_008",
                        "期間指定が不正です。",
                    ),
                    _ => {
                        s.bad_dates += 1;
                        order_error(
                            400,
                            "ORDER_EXT_API_SEARCH_ORDER_ERROR_007",
                            "日付の形式が不正です。",
                        )
                    }
                }
            }
            "getOrder" => {
                let numbers: Vec<String> = v["orderNumberList"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|n| n.as_str().map(str::to_string))
                    .collect();
                let version = v["version"].as_i64().unwrap_or(0);
                if numbers.is_empty() || numbers.len() > 100 {
                    order_error(
                        400,
                        "ORDER_EXT_API_GET_ORDER_ERROR_002",
                        "orderNumberListは1件以上100件以下で指定してください。",
                    )
                } else if version < 7 {
                    order_error(
                        400,
                        "ORDER_EXT_API_GET_ORDER_ERROR_011",
                        "versionが不正です。",
                    )
                } else {
                    let found: Vec<Value> = numbers
                        .iter()
                        .filter_map(|n| s.orders.get(n).cloned())
                        .collect();
                    HttpResponse::Ok().content_type("application/json").body(
                        quirky(&json!({"OrderModelList": found,
                            "MessageModelList": [{"messageType": "INFO", "messageCode": "ORDER_EXT_API_GET_ORDER_INFO_101", "message": "受注情報取得に成功しました。"}]}))
                        .to_string(),
                    )
                }
            }
            "confirmOrder" => {
                let numbers: Vec<String> = v["orderNumberList"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|n| n.as_str().map(str::to_string))
                    .collect();
                for n in &numbers {
                    if let Some(o) = s.orders.get_mut(n)
                        && o["orderProgress"] == 100
                    {
                        o["orderProgress"] = json!(300);
                    }
                }
                s.confirms.extend(numbers);
                HttpResponse::Ok().content_type("application/json").body(r#"{"MessageModelList":[{"messageType":"INFO","messageCode":"ORDER_EXT_API_CONFIRM_ORDER_INFO_101","message":"注文確認に成功しました。"}]}"#)
            }
            "cancelOrder" => {
                let n = v["orderNumber"].as_str().unwrap_or("").to_string();
                let restore = v["inventoryRestoreType"].as_i64().unwrap_or(-1);
                let reason = v["changeReasonDetailApply"].as_i64().unwrap_or(-1);
                let progress = s.orders.get(&n).and_then(|o| o["orderProgress"].as_i64());
                if !(0..=2).contains(&restore) {
                    order_error(
                        400,
                        "ORDER_EXT_API_CANCEL_ORDER_ERROR_004",
                        "inventoryRestoreTypeが不正です。",
                    )
                } else if ![1, 2, 3, 4, 5, 6, 8, 10, 13, 14, 15].contains(&reason) {
                    order_error(
                        400,
                        "ORDER_EXT_API_CANCEL_ORDER_ERROR_005",
                        "changeReasonDetailApplyが不正です。",
                    )
                } else {
                    match progress {
                        None => order_error(
                            200,
                            "ORDER_EXT_API_CANCEL_ORDER_ERROR_001",
                            "注文が存在しません。",
                        ),
                        Some(100 | 200 | 300) => {
                            if let Some(o) = s.orders.get_mut(&n) {
                                o["orderProgress"] = json!(900);
                            }
                            s.cancels.push((n, reason, restore));
                            HttpResponse::Ok().content_type("application/json").body(r#"{"MessageModelList":[{"messageType":"INFO","messageCode":"ORDER_EXT_API_CANCEL_ORDER_INFO_101","message":"キャンセル申請に成功しました。"}]}"#)
                        }
                        Some(_) => order_error(
                            200,
                            "ORDER_EXT_API_CANCEL_ORDER_ERROR_009",
                            "このステータスの注文はキャンセルできません。",
                        ),
                    }
                }
            }
            "updateOrderShipping" => {
                let n = v["orderNumber"].as_str().unwrap_or("").to_string();
                let baskets = v["BasketidModelList"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                match s.orders.get(&n).cloned() {
                    None => order_error(
                        200,
                        "ORDER_EXT_API_UPDATE_ORDERSHIPPING_ERROR_001",
                        "注文が存在しません。",
                    ),
                    Some(o) => {
                        let known = o["PackageModelList"][0]["basketId"].clone();
                        let mut problem = None;
                        let mut numbers = Vec::new();
                        for b in &baskets {
                            if b["basketId"] != known {
                                problem = Some("basketIdが不正です。");
                            }
                            for sh in b["ShippingModelList"].as_array().into_iter().flatten() {
                                let company = sh["deliveryCompany"].as_str().unwrap_or("");
                                let date = sh["shippingDate"].as_str().unwrap_or("");
                                if company.len() != 4
                                    || !company.bytes().all(|c| c.is_ascii_digit())
                                {
                                    problem = Some("deliveryCompanyが不正です。");
                                }
                                if chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").is_err() {
                                    problem = Some("shippingDateの形式が不正です。");
                                    s.bad_dates += 1;
                                }
                                numbers
                                    .push(sh["shippingNumber"].as_str().unwrap_or("").to_string());
                            }
                        }
                        if baskets.is_empty() {
                            problem = Some("BasketidModelListは必須です。");
                        }
                        match problem {
                            Some(p) => {
                                order_error(400, "ORDER_EXT_API_UPDATE_ORDERSHIPPING_ERROR_010", p)
                            }
                            None => {
                                if let Some(o) = s.orders.get_mut(&n) {
                                    for num in &numbers {
                                        let entry = json!({"shippingDetailId": 1, "shippingNumber": num, "deliveryCompany": "1001"});
                                        if let Some(list) =
                                            o["PackageModelList"][0]["ShippingModelList"]
                                                .as_array_mut()
                                        {
                                            list.push(entry);
                                        }
                                    }
                                }
                                for num in numbers {
                                    s.shipping_updates.push((n.clone(), num));
                                }
                                HttpResponse::Ok().content_type("application/json").body(r#"{"MessageModelList":[{"messageType":"INFO","messageCode":"ORDER_EXT_API_UPDATE_ORDERSHIPPING_INFO_101","message":"発送情報の更新に成功しました。"}]}"#)
                            }
                        }
                    }
                }
            }
            _ => err(404, "GE0014", "Not Found", None),
        };
        record(&mut s, &req, resp.status().as_u16());
        (fate, resp)
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
            .route("/es/2.0/order/{op}/", web::post().to(order_api))
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
