//! A local HTTP fake of a Stripe-style card payment provider, behaving like the documented API
//! in what the adapter relies on: bearer API key (401 otherwise), form-encoded bodies, payment
//! intents in JPY (amounts of at least 50 yen), refunds only of succeeded intents and never more
//! than captured, `Idempotency-Key` replays (same key + same parameters → the same answer; same
//! key + other parameters → 400), and injectable 500s. `POST /test/confirm/{id}` stands in for
//! the buyer confirming the card in the browser.
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub const API_KEY: &str = "sk_test_yuimaru";
pub const WEBHOOK_SECRET: &str = "whsec_test_yuimaru";

/// One request the fake saw.
#[derive(Debug, Clone)]
pub struct Seen {
    pub path: String,
    pub key: String,
    pub form: HashMap<String, String>,
}

#[derive(Default)]
pub struct State {
    pub intents: HashMap<String, Value>,
    pub refunded: HashMap<String, i64>,
    pub idempotency: HashMap<String, (String, u16, Value)>,
    pub seen: Vec<Seen>,
    pub fail_next: u32,
    next: u32,
}

/// The running fake.
pub struct FakeProvider {
    pub url: String,
    pub state: Arc<Mutex<State>>,
}

impl FakeProvider {
    pub fn seen(&self, path: &str) -> Vec<Seen> {
        self.state
            .lock()
            .expect("lock")
            .seen
            .iter()
            .filter(|s| s.path == path)
            .cloned()
            .collect()
    }

    pub fn fail_next(&self, n: u32) {
        self.state.lock().expect("lock").fail_next = n;
    }

    /// The buyer confirms the card: the intent succeeds.
    pub async fn confirm(&self, intent: &str) {
        let r = reqwest::Client::new()
            .post(format!("{}/test/confirm/{intent}", self.url))
            .send()
            .await
            .expect("confirm");
        assert_eq!(r.status(), 200);
    }
}

fn error(status: u16, kind: &str, message: &str) -> (u16, Value) {
    (status, json!({"error": {"type": kind, "message": message}}))
}

fn handle(st: &mut State, path: &str, form: &HashMap<String, String>) -> (u16, Value) {
    match path {
        "/v1/payment_intents" => {
            let Some(amount) = form.get("amount").and_then(|a| a.parse::<i64>().ok()) else {
                return error(
                    400,
                    "invalid_request_error",
                    "Missing required param: amount.",
                );
            };
            if form.get("currency").map(String::as_str) != Some("jpy") {
                return error(400, "invalid_request_error", "Invalid currency.");
            }
            if amount < 50 {
                return error(
                    400,
                    "invalid_request_error",
                    "Amount must be at least ¥50 jpy.",
                );
            }
            st.next += 1;
            let id = format!("pi_{:06}", st.next);
            let intent = json!({"id": id, "object": "payment_intent", "amount": amount, "currency": "jpy",
                "status": "requires_payment_method", "client_secret": format!("{id}_secret_{}", st.next * 7919),
                "metadata": {"order_id": form.get("metadata[order_id]"), "order_number": form.get("metadata[order_number]")}});
            st.intents.insert(id, intent.clone());
            (200, intent)
        }
        "/v1/refunds" => {
            let intent = form.get("payment_intent").cloned().unwrap_or_default();
            let Some(pi) = st.intents.get(&intent).cloned() else {
                return error(404, "invalid_request_error", "No such payment_intent.");
            };
            if pi["status"] != "succeeded" {
                return error(
                    400,
                    "invalid_request_error",
                    "This PaymentIntent has not succeeded.",
                );
            }
            let captured = pi["amount"].as_i64().unwrap_or(0);
            let done = st.refunded.get(&intent).copied().unwrap_or(0);
            let amount = form
                .get("amount")
                .and_then(|a| a.parse::<i64>().ok())
                .unwrap_or(captured - done);
            if amount <= 0 || done + amount > captured {
                return error(
                    400,
                    "invalid_request_error",
                    "Refund amount is greater than unrefunded amount on charge.",
                );
            }
            st.refunded.insert(intent.clone(), done + amount);
            st.next += 1;
            (
                200,
                json!({"id": format!("re_{:06}", st.next), "object": "refund", "amount": amount,
                "payment_intent": intent, "status": "succeeded"}),
            )
        }
        _ => error(404, "invalid_request_error", "Unrecognized request URL."),
    }
}

async fn api(st: web::Data<Arc<Mutex<State>>>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    let mut st = st.lock().expect("lock");
    let path = req.path().to_string();
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let key = req
        .headers()
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    st.seen.push(Seen {
        path: path.clone(),
        key: key.clone(),
        form: form.clone(),
    });
    let auth = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let respond = |(status, v): (u16, Value)| {
        HttpResponse::build(actix_web::http::StatusCode::from_u16(status).expect("status")).json(v)
    };
    if auth != format!("Bearer {API_KEY}") {
        return respond(error(
            401,
            "invalid_request_error",
            "Invalid API Key provided.",
        ));
    }
    if st.fail_next > 0 {
        st.fail_next -= 1;
        return respond(error(500, "api_error", "Something went wrong on our end."));
    }
    let params = String::from_utf8_lossy(&body).to_string();
    if !key.is_empty()
        && let Some((p, status, v)) = st.idempotency.get(&key).cloned()
    {
        if p != params {
            return respond(error(
                400,
                "idempotency_error",
                "Keys for idempotent requests can only be used with the same parameters they were first used with.",
            ));
        }
        return respond((status, v));
    }
    let (status, v) = handle(&mut st, &path, &form);
    if !key.is_empty() && status < 500 {
        st.idempotency.insert(key, (params, status, v.clone()));
    }
    respond((status, v))
}

async fn confirm(st: web::Data<Arc<Mutex<State>>>, id: web::Path<String>) -> HttpResponse {
    let mut st = st.lock().expect("lock");
    match st.intents.get_mut(id.as_str()) {
        Some(pi) => {
            pi["status"] = json!("succeeded");
            HttpResponse::Ok().json(pi.clone())
        }
        None => HttpResponse::NotFound().finish(),
    }
}

/// Starts the fake on a loopback port.
pub fn start() -> FakeProvider {
    let state = Arc::new(Mutex::new(State::default()));
    let data = web::Data::new(state.clone());
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .route("/test/confirm/{id}", web::post().to(confirm))
            .default_service(web::post().to(api))
    })
    .workers(1)
    .bind(("127.0.0.1", 0))
    .expect("bind");
    let port = server.addrs()[0].port();
    tokio::spawn(server.run());
    FakeProvider {
        url: format!("http://127.0.0.1:{port}"),
        state,
    }
}

/// A webhook signature header for `body` at unix time `t`.
pub fn sign(secret: &str, t: i64, body: &str) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(format!("{t}.{body}").as_bytes());
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}
