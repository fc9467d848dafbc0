//! Payout runs over HTTP on both databases (issue 16): the bank profile, prepare by one
//! finance user and approve by another with their password, holds and the minimum payout,
//! a run's payouts never joining another run, the Zengin file equal to a hand-written golden
//! file byte for byte and identical on every re-download, bank results (paid, failed back to
//! the payable once, a re-import changing nothing), the producer's view and email, and
//! tenants kept apart. The crash test kills the server at each step's commit.
use crate::{db_test, helpers::*};
use serde_json::{Value, json};
use yuimaru::{
    http::actor::Role,
    money::{
        domain::{AccountRef, Legs},
        ledger::{Posting, post},
    },
};

fn s(v: &Value) -> String {
    v.as_str().expect("string").to_string()
}

async fn ok(r: reqwest::Response, status: u16) -> Value {
    let got = r.status().as_u16();
    let text = r.text().await.unwrap_or_default();
    assert_eq!(got, status, "{text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// Registers and approves a producer named `name` with bank account `bank`.
async fn producer(app: &TestApp, op: &str, name: &str, bank: Value) -> (String, TestUser, String) {
    let email = format!("p-{}@example.jp", uuid::Uuid::now_v7().simple());
    let mut body = crate::producers::registration(&email);
    body["legal_name"] = json!(name);
    body["bank"] = bank;
    body["invoice_number"] = Value::Null;
    body["tax_exempt"] = json!(true);
    let p = ok(crate::producers::register(app, &body).await, 201).await;
    let id = s(&p["id"]);
    ok(
        app.post_as(op, &format!("/api/v1/producers/{id}/approve"), &json!({}))
            .await,
        200,
    )
    .await;
    let user = TestUser {
        id: uuid::Uuid::nil(),
        email,
        password: "ishigaki-mango-2026".into(),
    };
    let token = app.token_for(&user).await;
    (id, user, token)
}

fn bank(bank: &str, branch: &str, t: &str, number: &str, holder: &str) -> Value {
    json!({"bank_code": bank, "branch_code": branch, "account_type": t,
           "account_number": number, "holder_kana": holder})
}

/// Books `amount` yen owed to `account` on `on` through the ledger engine (as a sale or a
/// fund share would), in the period of that day.
async fn owe(
    app: &TestApp,
    account: AccountRef,
    producer: Option<uuid::Uuid>,
    amount: i64,
    on: &str,
) {
    let agg = app.default_aggregator().await;
    let mut legs = Legs::default();
    legs.debit(AccountRef::new("receivable.channel", ""), amount, producer);
    legs.credit(account, amount, producer);
    post(
        app.db(),
        1,
        Posting {
            aggregator_id: agg,
            kind: "sale",
            source_ref: format!("test-sale:{}", uuid::Uuid::now_v7()),
            occurred_on: on.parse().expect("date"),
            order_id: None,
            producer_id: producer,
            memo: "test sale".into(),
            created_by: None,
            legs,
        },
    )
    .await
    .expect("posted");
}

fn uid(s: &str) -> uuid::Uuid {
    uuid::Uuid::parse_str(s).expect("uuid")
}

async fn trial_balance(app: &TestApp, fin: &str) -> Value {
    ok(app.get_as(fin, "/api/v1/ledger/trial-balance").await, 200).await
}

fn net(tb: &Value, code: &str, subject: &str) -> i64 {
    tb["accounts"]
        .as_array()
        .expect("accounts")
        .iter()
        .filter(|a| a["code"] == code && (subject.is_empty() || a["subject"] == subject))
        .map(|a| a["net"].as_i64().expect("net"))
        .sum()
}

fn balanced(tb: &Value) {
    let sum: i64 = tb["accounts"]
        .as_array()
        .expect("accounts")
        .iter()
        .map(|a| a["net"].as_i64().expect("net"))
        .sum();
    assert_eq!(sum, 0, "debits equal credits: {tb}");
}

async fn post_csv(app: &TestApp, token: &str, path: &str, body: Vec<u8>) -> reqwest::Response {
    reqwest::Client::new()
        .post(app.url(path))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(body)
        .send()
        .await
        .expect("request")
}

fn sjis(s: &str) -> Vec<u8> {
    encoding_rs::SHIFT_JIS.encode(s).0.into_owned()
}

/// Everything a payout test needs: five payees owed in October, October closed.
struct World {
    op: String,
    prep: String,
    appr: String,
    appr_user: TestUser,
    prep_user: TestUser,
    oct: String,
    /// Producers by short name: (id, token).
    p: std::collections::HashMap<&'static str, (String, String)>,
    users: std::collections::HashMap<&'static str, TestUser>,
    op_user: TestUser,
    fund: String,
}

async fn world(app: &TestApp) -> World {
    let (op_user, op) = app.user_with_token(Role::Operator).await;
    let (prep_user, prep) = app.user_with_token(Role::Finance).await;
    let (appr_user, appr) = app.user_with_token(Role::Finance).await;
    let mut p = std::collections::HashMap::new();
    let mut users = std::collections::HashMap::new();
    for (key, name, b) in [
        (
            "shima",
            "島の畑株式会社",
            bank(
                "0187",
                "201",
                "ordinary",
                "12345",
                "カブシキガイシャ　シマノハタケ",
            ),
        ),
        (
            "herb",
            "ハーブ園協同組合",
            bank(
                "0188",
                "305",
                "current",
                "765432",
                "キョウドウクミアイ　ハーブエン",
            ),
        ),
        (
            "yamada",
            "山田株式会社",
            bank("0190", "050", "savings", "77", "ヤマダ　カブシキガイシャ"),
        ),
        (
            "yonaguni",
            "与那国 太郎",
            json!({"kind": "japan_post", "jp_symbol": "17010", "jp_number": "12345671",
                   "holder_kana": "ヨナグニ　タロウ"}),
        ),
        (
            "small",
            "小さな畑",
            bank("0187", "201", "ordinary", "999", "チイサナハタケ"),
        ),
        (
            "dispute",
            "係争中農園",
            bank("0187", "201", "ordinary", "888", "ケイソウノウエン"),
        ),
    ] {
        let (id, user, token) = producer(app, &op, name, b).await;
        p.insert(key, (id, token));
        users.insert(key, user);
    }
    // A dispute holds one producer.
    ok(
        app.post_as(
            &prep,
            "/api/v1/payout-holds",
            &json!({"producer_id": p["dispute"].0, "note": "数量の確認中"}),
        )
        .await,
        201,
    )
    .await;
    let fund = ok(
        app.post_as(
            &prep,
            "/api/v1/community-funds",
            &json!({"name_ja": "竹富町まちづくり基金",
                    "bank": bank("0187", "301", "ordinary", "555", "タケトミチョウ")}),
        )
        .await,
        201,
    )
    .await;
    let fund = s(&fund["id"]);
    for (key, amount) in [
        ("shima", 98_765),
        ("herb", 12_000),
        ("yamada", 1_000_000),
        ("yonaguni", 3_500),
        ("small", 999),
        ("dispute", 5_000),
    ] {
        let id = uid(&p[key].0);
        owe(app, AccountRef::payable(id), Some(id), amount, "2026-10-20").await;
    }
    owe(
        app,
        AccountRef::new("fund_payable", fund.clone()),
        None,
        4_321,
        "2026-10-31",
    )
    .await;
    let periods = ok(app.get_as(&prep, "/api/v1/periods").await, 200).await;
    let oct = periods["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|q| q["starts_on"] == "2026-10-01")
        .map(|q| s(&q["id"]))
        .expect("october");
    ok(
        app.post_as(&prep, &format!("/api/v1/periods/{oct}/close"), &json!({}))
            .await,
        200,
    )
    .await;
    World {
        op,
        prep,
        appr,
        appr_user,
        prep_user,
        oct,
        p,
        users,
        op_user,
        fund,
    }
}

fn profile() -> Value {
    json!({
        "requester_code": "1234567890", "requester_name": "ｶ)ﾕｲﾏﾙ",
        "bank_code": "0188", "bank_name": "ｵｷﾅﾜ", "branch_code": "101", "branch_name": "ﾎﾝﾃﾝ",
        "account_type": "ordinary", "account_number": "1234567", "line_break": "crlf",
        "minimum_payout": 1000,
        "result": {"encoding": "shift_jis", "has_header": true, "code_column": 1,
                   "status_column": 3, "paid_values": ["0"]}
    })
}

db_test!(payout_runs, a_run_pays_each_payee_once_by_a_zengin_file);
async fn a_run_pays_each_payee_once_by_a_zengin_file(b: Backend) {
    let app = spawn_app(b).await;
    let w = world(&app).await;
    let prepare = json!({"period_id": w.oct, "transfer_date": "2027-01-01"});
    // No bank profile yet; then a profile with bad fields names each of them.
    assert_error(
        app.post_as(&w.prep, "/api/v1/payout-runs", &prepare).await,
        409,
        "bank_profile_missing",
    )
    .await;
    let mut bad = profile();
    bad["requester_code"] = json!("12345678901");
    bad["requester_name"] = json!("湯井丸");
    bad["line_break"] = json!("lf");
    let e = assert_error(
        app.put_as(&w.prep, "/api/v1/bank-profile", &bad).await,
        422,
        "validation_failed",
    )
    .await;
    let fields = e["error"]["details"]["fields"].to_string();
    for f in ["requester_code", "requester_name", "line_break"] {
        assert!(fields.contains(f), "{f} in {fields}");
    }
    assert_error(
        app.put_as(&w.op, "/api/v1/bank-profile", &profile()).await,
        403,
        "forbidden",
    )
    .await;
    ok(
        app.put_as(&w.prep, "/api/v1/bank-profile", &profile())
            .await,
        200,
    )
    .await;
    // A transfer day in the past is refused.
    let e = assert_error(
        app.post_as(
            &w.prep,
            "/api/v1/payout-runs",
            &json!({"period_id": w.oct, "transfer_date": "2026-01-05"}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert!(e.to_string().contains("transfer_date"));

    // Run 1: prepared; a second prepare finds nothing left (its payouts never join another run).
    let run1 = ok(
        app.post_as(&w.prep, "/api/v1/payout-runs", &prepare).await,
        201,
    )
    .await;
    assert_eq!(run1["run"]["number"], 1);
    assert_eq!(
        run1["run"]["transfer_date"], "2027-01-04",
        "元日 and the bank new year"
    );
    assert_eq!(run1["transfer_date_requested"], "2027-01-01");
    assert_eq!(run1["run"]["payout_count"], 5);
    assert_eq!(run1["run"]["total"], 1_118_586);
    let skipped = run1["skipped"].as_array().expect("skipped");
    let reason = |key: &str| {
        skipped
            .iter()
            .find(|x| x["producer_id"] == w.p[key].0.as_str())
            .map(|x| s(&x["reason"]))
    };
    assert_eq!(reason("small").as_deref(), Some("below_minimum"));
    assert_eq!(reason("dispute").as_deref(), Some("held"));
    let tb = trial_balance(&app, &w.prep).await;
    assert_eq!(net(&tb, "payouts_in_transit", ""), -1_118_586);
    assert_eq!(net(&tb, "producer_payable", &w.p["shima"].0), 0);
    let e = assert_error(
        app.post_as(&w.prep, "/api/v1/payout-runs", &prepare).await,
        409,
        "nothing_to_pay",
    )
    .await;
    assert_eq!(
        e["error"]["details"]["skipped"].as_array().map(Vec::len),
        Some(2)
    );
    let r1 = s(&run1["run"]["id"]);
    assert_error(
        app.post_as(
            &w.prep,
            &format!("/api/v1/payout-runs/{r1}/zengin"),
            &json!({}),
        )
        .await,
        409,
        "run_not_approved",
    )
    .await;
    // Cancelled before export: the money goes back to the payables.
    let c = ok(
        app.post_as(
            &w.prep,
            &format!("/api/v1/payout-runs/{r1}/cancel"),
            &json!({}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(c["run"]["status"], "cancelled");
    assert!(
        c["payouts"]
            .as_array()
            .expect("payouts")
            .iter()
            .all(|p| p["status"] == "released")
    );
    let tb = trial_balance(&app, &w.prep).await;
    assert_eq!(net(&tb, "payouts_in_transit", ""), 0);
    assert_eq!(net(&tb, "producer_payable", &w.p["shima"].0), -98_765);

    // Run 2: the preparer cannot approve it, nor anyone without their password.
    let run2 = ok(
        app.post_as(&w.prep, "/api/v1/payout-runs", &prepare).await,
        201,
    )
    .await;
    let r2 = s(&run2["run"]["id"]);
    assert_eq!(run2["run"]["number"], 2);
    let approve = format!("/api/v1/payout-runs/{r2}/approve");
    assert_error(
        app.post_as(
            &w.prep,
            &approve,
            &json!({"password": w.prep_user.password}),
        )
        .await,
        409,
        "approver_is_preparer",
    )
    .await;
    let e = assert_error(
        app.post_as(&w.appr, &approve, &json!({"password": "not-my-password"}))
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert!(e.to_string().contains("password"));
    assert_error(
        app.post_as(&w.op, &approve, &json!({"password": "x"}))
            .await,
        403,
        "forbidden",
    )
    .await;
    let a = ok(
        app.post_as(
            &w.appr,
            &approve,
            &json!({"password": w.appr_user.password}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(a["run"]["status"], "approved");
    assert_error(
        app.post_as(
            &w.appr,
            &approve,
            &json!({"password": w.appr_user.password}),
        )
        .await,
        409,
        "run_not_prepared",
    )
    .await;

    // Export: the file equals the hand-written golden file; every re-download is identical.
    let zpath = format!("/api/v1/payout-runs/{r2}/zengin");
    let r = app.post_as(&w.appr, &zpath, &json!({})).await;
    assert_eq!(r.status(), 200);
    let sha = r
        .headers()
        .get("x-content-sha256")
        .and_then(|v| v.to_str().ok())
        .map(ToString::to_string)
        .expect("sha header");
    let file = r.bytes().await.expect("bytes").to_vec();
    let golden: &[u8] = include_bytes!("../golden/zengin/api_run_crlf.txt");
    assert_eq!(
        encoding_rs::SHIFT_JIS.decode(&file).0,
        encoding_rs::SHIFT_JIS.decode(golden).0
    );
    assert_eq!(file, golden);
    for _ in 0..2 {
        let again = app.post_as(&w.prep, &zpath, &json!({})).await;
        assert_eq!(again.status(), 200);
        assert_eq!(again.bytes().await.expect("bytes").to_vec(), file);
    }
    let detail = ok(
        app.get_as(&w.prep, &format!("/api/v1/payout-runs/{r2}"))
            .await,
        200,
    )
    .await;
    assert_eq!(detail["run"]["status"], "exported");
    assert_eq!(detail["run"]["file_sha256"], sha.as_str());
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_event WHERE action = 'zengin_redownloaded'")
            .await,
        2
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_event WHERE action = 'zengin_exported'")
            .await,
        1
    );
    assert_error(
        app.post_as(
            &w.prep,
            &format!("/api/v1/payout-runs/{r2}/cancel"),
            &json!({}),
        )
        .await,
        409,
        "run_exported",
    )
    .await;
    // Exported and unanswered: still nobody to pay again.
    assert_error(
        app.post_as(&w.prep, "/api/v1/payout-runs", &prepare).await,
        409,
        "nothing_to_pay",
    )
    .await;

    // Bank results: an unknown code refuses the whole file; then four paid and ゆうちょ failed.
    let results = format!("/api/v1/payout-runs/{r2}/results");
    assert_error(
        post_csv(
            &app,
            &w.prep,
            &results,
            sjis("顧客コード1,受取人,結果\r\n0000099999,ﾀﾞﾚ,0\r\n"),
        )
        .await,
        422,
        "unknown_customer_codes",
    )
    .await;
    let file_text = "顧客コード1,受取人,結果\r\n0000020001,ﾀｹﾄﾐﾁﾖｳ,0\r\n0000020002,ｶ)ｼﾏﾉﾊﾀｹ,0\r\n\
                     0000020003,ｷﾖｳﾄﾞｳｸﾐｱｲ,0\r\n0000020004,ﾔﾏﾀﾞ(ｶ,0\r\n0000020005,ﾖﾅｸﾞﾆ ﾀﾛｳ,9\r\n";
    let sum = ok(
        post_csv(&app, &w.prep, &results, sjis(file_text)).await,
        200,
    )
    .await;
    assert_eq!(
        (sum["paid"].as_i64(), sum["failed"].as_i64()),
        (Some(4), Some(1))
    );
    assert_eq!(sum["run_status"], "completed");
    let txns = app.count("SELECT COUNT(*) FROM ledger_transaction").await;
    let again = ok(
        post_csv(&app, &w.prep, &results, sjis(file_text)).await,
        200,
    )
    .await;
    assert_eq!(again["unchanged"], 5);
    assert_eq!(again["paid"], 0);
    let flip = ok(
        post_csv(
            &app,
            &w.prep,
            &results,
            sjis("顧客コード1,受取人,結果\r\n0000020005,x,0\r\n"),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(flip["conflicts"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM ledger_transaction").await,
        txns,
        "nothing booked again"
    );
    let tb = trial_balance(&app, &w.prep).await;
    balanced(&tb);
    assert_eq!(net(&tb, "payouts_in_transit", ""), 0);
    assert_eq!(net(&tb, "bank", ""), -(1_118_586 - 3_500));
    assert_eq!(
        net(&tb, "producer_payable", &w.p["yonaguni"].0),
        -3_500,
        "back once"
    );
    assert_eq!(net(&tb, "fund_payable", &w.fund), 0);
    let holds = ok(app.get_as(&w.prep, "/api/v1/payout-holds").await, 200).await;
    let failed_hold = holds["items"]
        .as_array()
        .expect("holds")
        .iter()
        .find(|h| h["producer_id"] == w.p["yonaguni"].0.as_str())
        .expect("a failed transfer holds the producer")
        .clone();
    assert_eq!(failed_hold["reason"], "transfer_failed");

    // The producer sees its payout, the statement it pays, and gets an email.
    let mine = ok(app.get_as(&w.p["shima"].1, "/api/v1/payouts").await, 200).await;
    let items = mine["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{mine}");
    assert_eq!(items[0]["amount"], 98_765);
    assert_eq!(items[0]["status"], "paid");
    assert_eq!(items[0]["transfer_date"], "2027-01-04");
    assert!(items[0]["statement_id"].is_string());
    app.run_pending_jobs().await;
    assert!(
        app.emails()
            .iter()
            .any(|m| m.subject.contains("お支払い") && m.text.contains("98,765")),
        "payout email"
    );
    assert!(
        app.emails()
            .iter()
            .any(|m| m.to == w.users["yonaguni"].email
                && m.subject.contains("戻りました")
                && m.text.contains("3,500")),
        "the producer whose transfer came back is told to check its account"
    );
    let theirs = ok(app.get_as(&w.p["herb"].1, "/api/v1/payouts").await, 200).await;
    assert!(
        !theirs.to_string().contains("98765"),
        "a producer sees only its own"
    );

    // A pending bank-account change holds the payout; once the operator approves the new
    // account, the failed transfer's hold ends by itself and run 3 pays only that payout,
    // to the new account (新規コード 2).
    let yid = w.p["yonaguni"].0.clone();
    ok(
        app.post_as(
            &w.p["yonaguni"].1,
            &format!("/api/v1/producers/{yid}/bank-account-change"),
            &json!({"current_password": w.users["yonaguni"].password,
                    "bank": bank("0187", "202", "ordinary", "7654321", "ヨナグニ　タロウ")}),
        )
        .await,
        201,
    )
    .await;
    let e = assert_error(
        app.post_as(&w.prep, "/api/v1/payout-runs", &prepare).await,
        409,
        "nothing_to_pay",
    )
    .await;
    assert!(e.to_string().contains("held"), "{e}");
    ok(
        app.post_as(
            &w.op,
            &format!("/api/v1/producers/{yid}/bank-account-change/approve"),
            &json!({}),
        )
        .await,
        200,
    )
    .await;
    let run3 = ok(
        app.post_as(&w.prep, "/api/v1/payout-runs", &prepare).await,
        201,
    )
    .await;
    let p3 = run3["payouts"].as_array().expect("payouts");
    assert_eq!(p3.len(), 1, "{run3}");
    assert_eq!(p3[0]["producer_id"], yid.as_str());
    assert_eq!(p3[0]["amount"], 3_500);
    assert_eq!(p3[0]["customer_code"], "0000030001");
    assert_eq!(
        (p3[0]["bank_code"].as_str(), p3[0]["branch_code"].as_str()),
        (Some("0187"), Some("202"))
    );
    let active = ok(app.get_as(&w.prep, "/api/v1/payout-holds").await, 200).await;
    assert!(
        !active.to_string().contains(&yid),
        "the failed transfer's hold ended: {active}"
    );
    let r3 = s(&run3["run"]["id"]);
    ok(
        app.post_as(
            &w.appr,
            &format!("/api/v1/payout-runs/{r3}/approve"),
            &json!({"password": w.appr_user.password}),
        )
        .await,
        200,
    )
    .await;
    let r = app
        .post_as(
            &w.appr,
            &format!("/api/v1/payout-runs/{r3}/zengin"),
            &json!({}),
        )
        .await;
    let f3 = r.bytes().await.expect("bytes").to_vec();
    assert_eq!(f3.len(), 4 * 122);
    assert_eq!(f3[122 + 90], b'2', "新規コード: the account changed");

    // The fund's statement: 4,321 accrued in October, paid out in the current period.
    let st = ok(
        app.get_as(
            &w.prep,
            &format!("/api/v1/community-funds/{}/statement", w.fund),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(st["accrued_total"], 4_321);
    assert_eq!(st["paid_out_total"], 4_321);
    assert_eq!(st["balance"], 0);
    assert_eq!(st["periods"][0]["starts_on"], "2026-10-01");
    assert_eq!(st["periods"][0]["balance"], 4_321);
    let r = app
        .get_as(
            &w.prep,
            &format!(
                "/api/v1/community-funds/{}/statement?format=csv&encoding=shift_jis",
                w.fund
            ),
        )
        .await;
    assert_eq!(r.status(), 200);
    let csv = encoding_rs::SHIFT_JIS
        .decode(&r.bytes().await.expect("bytes"))
        .0
        .into_owned();
    assert!(
        csv.contains("竹富町まちづくり基金,2026-10-01,2026-10-31,closed,4321,0,4321"),
        "{csv}"
    );

    // Another tenant's finance sees none of it.
    let (_, global_admin) = app.user_with_token(Role::Admin).await;
    ok(
        app.post_as(
            &global_admin,
            "/api/v1/aggregators",
            &json!({"slug": "kume", "name": "久米島"}),
        )
        .await,
        201,
    )
    .await;
    let other = app.create_user(Role::Finance, Some("kume")).await;
    let other = app.token_for(&other).await;
    assert_error(
        app.get_as(&other, &format!("/api/v1/payout-runs/{r2}"))
            .await,
        404,
        "not_found",
    )
    .await;
    assert_error(
        app.post_as(&other, &zpath, &json!({})).await,
        404,
        "not_found",
    )
    .await;
    let list = ok(app.get_as(&other, "/api/v1/payout-runs").await, 200).await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(0));
    assert_error(
        app.get_as(&other, "/api/v1/bank-profile").await,
        404,
        "not_found",
    )
    .await;
}

/// The server binary on `app`'s database with failpoint `fp` armed, on a free port; its
/// stderr lines arrive on the returned channel.
fn armed_server(
    app: &TestApp,
    fp: &str,
) -> (std::process::Child, u16, std::sync::mpsc::Receiver<String>) {
    use std::io::BufRead;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_yuimaru"))
        .arg("serve")
        .env("YUIMARU_ENV", "test")
        .env("YUIMARU__DATABASE__URL", &app.db_url)
        .env("YUIMARU__SERVER__HOST", "127.0.0.1")
        .env("YUIMARU__SERVER__PORT", port.to_string())
        .env("YUIMARU__MAIL__TRANSPORT", "memory")
        .env("YUIMARU__JOBS__RUN_IN_SERVE", "false")
        .env("YUIMARU_FAILPOINTS", fp)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("server starts");
    let (tx, rx) = std::sync::mpsc::channel();
    let stderr = child.stderr.take().expect("stderr");
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (child, port, rx)
}

/// Sends step `step` of run `run` to the armed server at `port` and kills it with SIGKILL the
/// moment it reports failpoint `fp`.
async fn crash_at(app: &TestApp, w: &World, fp: &str, step: &str, run: Option<&str>) {
    let (mut child, port, lines) = armed_server(app, fp);
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let mut up = false;
    for _ in 0..300 {
        if client.get(format!("{base}/health")).send().await.is_ok() {
            up = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(up, "the armed server came up");
    let (path, body): (String, Vec<u8>) = match step {
        "prepare" => (
            "/api/v1/payout-runs".into(),
            json!({"period_id": w.oct, "transfer_date": "2027-01-01"})
                .to_string()
                .into_bytes(),
        ),
        "approve" => (
            format!("/api/v1/payout-runs/{}/approve", run.unwrap_or_default()),
            json!({"password": w.appr_user.password})
                .to_string()
                .into_bytes(),
        ),
        "export" => (
            format!("/api/v1/payout-runs/{}/zengin", run.unwrap_or_default()),
            b"{}".to_vec(),
        ),
        _ => (
            format!("/api/v1/payout-runs/{}/results", run.unwrap_or_default()),
            sjis(RESULTS),
        ),
    };
    let token = if step == "prepare" {
        w.prep.clone()
    } else {
        w.appr.clone()
    };
    let ctype = if step == "results" {
        "text/csv"
    } else {
        "application/json"
    };
    let request = tokio::spawn(
        client
            .post(format!("{base}{path}"))
            .bearer_auth(token)
            .header("content-type", ctype)
            .body(body)
            .send(),
    );
    let want = format!("FAILPOINT {fp}");
    let reached = tokio::task::spawn_blocking(move || {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
            match lines.recv_timeout(left) {
                Ok(l) if l.contains(&want) => return true,
                Ok(_) => {}
                Err(_) => return false,
            }
        }
        false
    })
    .await
    .expect("reader");
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    request.abort();
    assert!(reached, "the server reached {fp}");
}

const RESULTS: &str = "顧客コード1,受取人,結果\r\n0000020001,ﾀｹﾄﾐﾁﾖｳ,0\r\n0000020002,ｶ)ｼﾏﾉﾊﾀｹ,0\r\n\
                       0000020003,ｷﾖｳﾄﾞｳｸﾐｱｲ,0\r\n0000020004,ﾔﾏﾀﾞ(ｶ,0\r\n0000020005,ﾖﾅｸﾞﾆ ﾀﾛｳ,9\r\n";

db_test!(payout_crash, a_killed_server_never_pays_anyone_twice);
async fn a_killed_server_never_pays_anyone_twice(b: Backend) {
    let points = [
        "payout.prepare.before_commit",
        "payout.prepare.committed",
        "payout.approve.before_commit",
        "payout.approve.committed",
        "payout.export.before_commit",
        "payout.export.committed",
        "payout.results.before_commit",
        "payout.results.committed",
    ];
    let golden: &[u8] = include_bytes!("../golden/zengin/api_run_crlf.txt");
    // Each point twice: sixteen kills per database.
    for fp in points.iter().chain(points.iter()).copied() {
        let app = spawn_app(b.clone()).await;
        let w = world(&app).await;
        ok(
            app.put_as(&w.prep, "/api/v1/bank-profile", &profile())
                .await,
            200,
        )
        .await;
        let prepare = json!({"period_id": w.oct, "transfer_date": "2027-01-01"});
        // Run 1 is prepared and cancelled, so the crashed run is number 2 (the golden file).
        let r1 = ok(
            app.post_as(&w.prep, "/api/v1/payout-runs", &prepare).await,
            201,
        )
        .await;
        let r1 = s(&r1["run"]["id"]);
        ok(
            app.post_as(
                &w.prep,
                &format!("/api/v1/payout-runs/{r1}/cancel"),
                &json!({}),
            )
            .await,
            200,
        )
        .await;
        let committed = fp.ends_with("committed");
        let step = fp.split('.').nth(1).expect("step");
        let mut run: Option<String> = None;
        for this in ["prepare", "approve", "export", "results"] {
            let path = |tail: &str| {
                format!(
                    "/api/v1/payout-runs/{}{tail}",
                    run.clone().unwrap_or_default()
                )
            };
            if this == step {
                crash_at(&app, &w, fp, this, run.as_deref()).await;
                let runs = ok(app.get_as(&w.prep, "/api/v1/payout-runs").await, 200).await;
                let live: Vec<&Value> = runs["items"]
                    .as_array()
                    .expect("runs")
                    .iter()
                    .filter(|r| r["status"] != "cancelled")
                    .collect();
                match (this, committed) {
                    ("prepare", false) => assert!(live.is_empty(), "{fp}: nothing prepared"),
                    ("prepare", true) => {
                        assert_eq!(live.len(), 1, "{fp}");
                        run = Some(s(&live[0]["id"]));
                        // A retry after the crash prepares nothing twice.
                        assert_error(
                            app.post_as(&w.prep, "/api/v1/payout-runs", &prepare).await,
                            409,
                            "nothing_to_pay",
                        )
                        .await;
                        continue;
                    }
                    ("approve", false) => assert_eq!(live[0]["status"], "prepared", "{fp}"),
                    ("approve", true) => {
                        assert_eq!(live[0]["status"], "approved", "{fp}");
                        continue;
                    }
                    ("export", false) => assert_eq!(live[0]["status"], "approved", "{fp}"),
                    ("export", true) => {
                        assert_eq!(live[0]["status"], "exported", "{fp}");
                        continue;
                    }
                    ("results", false) => {
                        assert_eq!(live[0]["status"], "exported", "{fp}");
                        assert_eq!(
                            app.count("SELECT COUNT(*) FROM payout WHERE status = 'paid'")
                                .await,
                            0,
                            "{fp}"
                        );
                    }
                    _ => {
                        assert_eq!(live[0]["status"], "completed", "{fp}");
                        continue;
                    }
                }
            }
            // The step (again) in this process, as finance would retry it.
            match this {
                "prepare" => {
                    let r = ok(
                        app.post_as(&w.prep, "/api/v1/payout-runs", &prepare).await,
                        201,
                    )
                    .await;
                    run = Some(s(&r["run"]["id"]));
                }
                "approve" => {
                    ok(
                        app.post_as(
                            &w.appr,
                            &path("/approve"),
                            &json!({"password": w.appr_user.password}),
                        )
                        .await,
                        200,
                    )
                    .await;
                }
                "export" => {
                    let r = app.post_as(&w.appr, &path("/zengin"), &json!({})).await;
                    assert_eq!(r.status(), 200);
                }
                _ => {
                    ok(
                        post_csv(&app, &w.appr, &path("/results"), sjis(RESULTS)).await,
                        200,
                    )
                    .await;
                }
            }
        }
        // Whatever was killed where: the file is the golden one on every download, the results
        // apply once, everyone is paid once, and the ledger balances.
        let run = run.expect("run");
        let r = app
            .post_as(
                &w.prep,
                &format!("/api/v1/payout-runs/{run}/zengin"),
                &json!({}),
            )
            .await;
        assert_eq!(r.bytes().await.expect("bytes").to_vec(), golden, "{fp}");
        let again = ok(
            post_csv(
                &app,
                &w.appr,
                &format!("/api/v1/payout-runs/{run}/results"),
                sjis(RESULTS),
            )
            .await,
            200,
        )
        .await;
        assert_eq!(again["unchanged"], 5, "{fp}");
        assert_eq!(
            app.count("SELECT COUNT(*) FROM payout WHERE status = 'paid'")
                .await,
            4,
            "{fp}"
        );
        assert_eq!(
            app.count("SELECT COUNT(*) FROM payout WHERE status IN ('pending', 'paid')")
                .await,
            4,
            "{fp}: the failed one is back in the payable, not pending"
        );
        let tb = trial_balance(&app, &w.prep).await;
        balanced(&tb);
        assert_eq!(net(&tb, "payouts_in_transit", ""), 0, "{fp}");
        assert_eq!(net(&tb, "bank", ""), -(1_118_586 - 3_500), "{fp}");
        assert_eq!(
            net(&tb, "producer_payable", &w.p["yonaguni"].0),
            -3_500,
            "{fp}"
        );
        for key in ["shima", "herb", "yamada"] {
            assert_eq!(net(&tb, "producer_payable", &w.p[key].0), 0, "{fp} {key}");
        }
    }
}

db_test!(payout_pages, finance_pays_and_producers_see_it_on_pages);
async fn finance_pays_and_producers_see_it_on_pages(b: Backend) {
    use crate::manage_pages::{csrf_of, page_login};
    let app = spawn_app(b).await;
    let w = world(&app).await;
    ok(
        app.put_as(&w.prep, "/api/v1/bank-profile", &profile())
            .await,
        200,
    )
    .await;
    let (pc, _) = page_login(&app, &w.prep_user.email, &w.prep_user.password).await;
    let html = pc
        .get(app.url("/finance/payout-runs"))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(html.contains("振込バッチを作成"), "{html}");
    assert!(html.contains("係争中農園"), "the hold is listed: {html}");
    let csrf = csrf_of(&html);
    // A bad date is named beside its field, in Japanese; nothing is prepared.
    let r = pc
        .post(app.url("/finance/payout-runs"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("period_id", w.oct.as_str()),
            ("transfer_date", "昨日"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 422);
    let html = r.text().await.expect("html");
    assert!(html.contains("id=\"transfer_date-error\""), "{html}");
    assert!(html.contains("明日以降の日付"), "{html}");
    assert_eq!(app.count("SELECT COUNT(*) FROM payout_run").await, 0);
    let r = pc
        .post(app.url("/finance/payout-runs"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("period_id", w.oct.as_str()),
            ("transfer_date", "2027-01-01"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 303);
    let run_path = r
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("location")
        .to_string();
    let html = pc
        .get(app.url(&run_path))
        .send()
        .await
        .expect("run")
        .text()
        .await
        .expect("html");
    assert!(
        html.contains("id=\"four-eyes\""),
        "the preparer gets no approve form: {html}"
    );
    assert!(html.contains("2027-01-04"));
    assert!(html.contains("1,118,586"));
    // The second person: a wrong password is named at its field; the right one approves.
    let (ac, _) = page_login(&app, &w.appr_user.email, &w.appr_user.password).await;
    let html = ac
        .get(app.url(&run_path))
        .send()
        .await
        .expect("run")
        .text()
        .await
        .expect("html");
    assert!(html.contains("id=\"approve-form\""), "{html}");
    let csrf = csrf_of(&html);
    let r = ac
        .post(app.url(&format!("{run_path}/approve")))
        .form(&[("csrf_token", csrf.as_str()), ("password", "wrong")])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 422);
    let html = r.text().await.expect("html");
    assert!(
        html.contains("id=\"password-error\"") && html.contains("パスワードが正しくありません"),
        "{html}"
    );
    let r = ac
        .post(app.url(&format!("{run_path}/approve")))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("password", w.appr_user.password.as_str()),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 303);
    // The file from the page is the golden one, again on the second click.
    for _ in 0..2 {
        let r = ac
            .post(app.url(&format!("{run_path}/zengin")))
            .form(&[("csrf_token", csrf.as_str())])
            .send()
            .await
            .expect("post");
        assert_eq!(r.status(), 200);
        let golden: &[u8] = include_bytes!("../golden/zengin/api_run_crlf.txt");
        let mut want = golden.to_vec();
        // This run is number 1: 顧客コード1 0000010001…
        for i in 0..5 {
            let (from, to) = (
                format!("00000200{:02}", i + 1),
                format!("00000100{:02}", i + 1),
            );
            if let Some(at) = want.windows(10).position(|x| x == from.as_bytes()) {
                want[at..at + 10].copy_from_slice(to.as_bytes());
            }
        }
        assert_eq!(r.bytes().await.expect("bytes").to_vec(), want);
    }
    // The bank's result file, uploaded.
    let results = RESULTS.replace("00000200", "00000100");
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", csrf.clone())
        .part(
            "file",
            reqwest::multipart::Part::bytes(sjis(&results)).file_name("kekka.csv"),
        );
    let r = ac
        .post(app.url(&format!("{run_path}/results")))
        .multipart(form)
        .send()
        .await
        .expect("upload");
    assert_eq!(r.status(), 303);
    let back = r
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("location")
        .to_string();
    let html = ac
        .get(app.url(&back))
        .send()
        .await
        .expect("run")
        .text()
        .await
        .expect("html");
    assert!(html.contains("入金済み 4 件、不能 1 件"), "{html}");
    assert!(html.contains("完了"));
    // The producers' portal: the payout with its statement; the returned one is told to check.
    let (sc, _) = page_login(&app, &w.users["shima"].email, &w.users["shima"].password).await;
    let html = sc
        .get(app.url("/portal/payouts"))
        .send()
        .await
        .expect("portal")
        .text()
        .await
        .expect("html");
    assert!(
        html.contains("98,765 円") && html.contains("入金済み"),
        "{html}"
    );
    assert!(
        html.contains("/pdf"),
        "the statement's PDF is linked: {html}"
    );
    let (yc, _) = page_login(
        &app,
        &w.users["yonaguni"].email,
        &w.users["yonaguni"].password,
    )
    .await;
    let html = yc
        .get(app.url("/portal/payouts"))
        .send()
        .await
        .expect("portal")
        .text()
        .await
        .expect("html");
    assert!(html.contains("id=\"returned\""), "{html}");
    // Not for operators.
    let (oc, _) = page_login(&app, &w.op_user.email, &w.op_user.password).await;
    let r = oc
        .get(app.url("/finance/payout-runs"))
        .send()
        .await
        .expect("page");
    assert_eq!(r.status(), 403);
}

db_test!(payout_refunds, refunds_owed_to_buyers_go_out_in_the_runs);
async fn refunds_owed_to_buyers_go_out_in_the_runs(b: Backend) {
    let app = spawn_app(b).await;
    let w = world(&app).await;
    ok(
        app.put_as(&w.prep, "/api/v1/bank-profile", &profile())
            .await,
        200,
    )
    .await;
    // A bank-transfer order paid, then cancelled: the buyer is owed it all back.
    let g = crate::fulfilment::goods(&app).await;
    let o = crate::shop::order(
        &app,
        &crate::fulfilment::gift_cart(&g, "bank_transfer"),
        "r-1",
    )
    .await;
    let oid = s(&o["id"]);
    ok(
        app.post_as(
            &g.op,
            &format!("/api/v1/orders/{oid}/mark-paid"),
            &json!({}),
        )
        .await,
        200,
    )
    .await;
    ok(
        app.post_as(
            &g.op,
            &format!("/api/v1/orders/{oid}/cancel"),
            &json!({"reason": "お客様都合"}),
        )
        .await,
        200,
    )
    .await;
    app.run_pending_jobs().await;
    let order = ok(
        app.get_as(&g.op, &format!("/api/v1/orders/{oid}")).await,
        200,
    )
    .await;
    let owed = order["refund_owed"].as_i64().expect("owed");
    assert!(owed > 0, "{order}");
    let prepare = json!({"period_id": w.oct, "transfer_date": "2027-01-01"});
    // Without the buyer's account the refund is left out (and listed).
    let r1 = ok(
        app.post_as(&w.prep, "/api/v1/payout-runs", &prepare).await,
        201,
    )
    .await;
    assert!(
        r1["skipped"]
            .as_array()
            .expect("skipped")
            .iter()
            .any(|x| x["order_id"] == oid.as_str() && x["reason"] == "no_bank_account"),
        "{r1}"
    );
    ok(
        app.post_as(
            &w.prep,
            &format!("/api/v1/payout-runs/{}/cancel", s(&r1["run"]["id"])),
            &json!({}),
        )
        .await,
        200,
    )
    .await;
    // Staff enter it: bad fields named, a producer refused; then sealed.
    let path = format!("/api/v1/orders/{oid}/refund-account");
    let e = assert_error(
        app.put_as(&g.op, &path, &bank("12", "3", "ordinary", "x", "山田"))
            .await,
        422,
        "validation_failed",
    )
    .await;
    for f in ["bank_code", "branch_code", "account_number"] {
        assert!(e.to_string().contains(f), "{f}: {e}");
    }
    assert_error(
        app.put_as(
            &w.p["shima"].1,
            &path,
            &bank("0187", "201", "ordinary", "7777777", "ヒガ ジロウ"),
        )
        .await,
        403,
        "forbidden",
    )
    .await;
    let v = ok(
        app.put_as(
            &g.op,
            &path,
            &bank("0187", "201", "ordinary", "7777777", "ヒガ ジロウ"),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(v["account_number"], "****777");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM refund_account WHERE sealed LIKE '%7777777%' OR sealed LIKE '%ﾋｶﾞ%'")
            .await,
        0,
        "sealed at rest"
    );
    // The run pays it back.
    let run = ok(
        app.post_as(&w.prep, "/api/v1/payout-runs", &prepare).await,
        201,
    )
    .await;
    let rid = s(&run["run"]["id"]);
    let refund = run["payouts"]
        .as_array()
        .expect("payouts")
        .iter()
        .find(|p| p["kind"] == "refund")
        .expect("a refund payout")
        .clone();
    assert_eq!(refund["amount"].as_i64(), Some(owed));
    assert_eq!(refund["order_id"], oid.as_str());
    assert!(!refund.to_string().contains("7777777"), "{refund}");
    ok(
        app.post_as(
            &w.appr,
            &format!("/api/v1/payout-runs/{rid}/approve"),
            &json!({"password": w.appr_user.password}),
        )
        .await,
        200,
    )
    .await;
    let r = app
        .post_as(
            &w.appr,
            &format!("/api/v1/payout-runs/{rid}/zengin"),
            &json!({}),
        )
        .await;
    let file = encoding_rs::SHIFT_JIS
        .decode(&r.bytes().await.expect("bytes"))
        .0
        .into_owned();
    let line = file
        .split("\r\n")
        .find(|l| l.contains(refund["customer_code"].as_str().unwrap_or("?")))
        .expect("the refund's data record")
        .to_string();
    assert!(line.starts_with("20187"), "{line}");
    assert!(line.contains("7777777ﾋｶﾞ ｼﾞﾛｳ"), "{line}");
    assert!(line.contains(&format!("{owed:010}1")), "{line}");
    let codes: Vec<String> = run["payouts"]
        .as_array()
        .expect("payouts")
        .iter()
        .map(|p| format!("{},x,0", s(&p["customer_code"])))
        .collect();
    let results = format!("顧客コード1,受取人,結果\r\n{}\r\n", codes.join("\r\n"));
    ok(
        post_csv(
            &app,
            &w.appr,
            &format!("/api/v1/payout-runs/{rid}/results"),
            sjis(&results),
        )
        .await,
        200,
    )
    .await;
    app.run_pending_jobs().await;
    let order = ok(
        app.get_as(&g.op, &format!("/api/v1/orders/{oid}")).await,
        200,
    )
    .await;
    assert_eq!(order["refund_owed"], 0, "{order}");
    assert_eq!(order["refunded_total"].as_i64(), Some(owed));
    assert_eq!(order["payment_status"], "refunded");
    let tb = trial_balance(&app, &w.prep).await;
    balanced(&tb);
    assert_eq!(
        net(&tb, "refunds_owed", ""),
        0,
        "owed, then paid by the run once"
    );
    assert_eq!(net(&tb, "payouts_in_transit", ""), 0);
    // The refund's transfer is not booked a second time as a card refund.
    assert_eq!(net(&tb, "settlement.card", ""), 0);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM job WHERE payload LIKE '%7777777%'")
            .await,
        0
    );
}

db_test!(
    finance_period_pages,
    periods_close_on_pages_with_islands_and_emails
);
async fn periods_close_on_pages_with_islands_and_emails(b: Backend) {
    use crate::manage_pages::{csrf_of, page_login};
    let app = spawn_app(b).await;
    let w = world(&app).await;
    // October's close told each producer its statement is ready, in Japanese, once.
    app.run_pending_jobs().await;
    let ready: Vec<_> = app
        .emails()
        .into_iter()
        .filter(|m| m.subject.contains("2026-10 の精算書"))
        .collect();
    assert_eq!(ready.len(), 6, "one per producer");
    let shima = ready
        .iter()
        .find(|m| m.to == w.users["shima"].email)
        .expect("shima's mail");
    assert!(shima.text.contains("98,765 円"), "{}", shima.text);
    assert!(shima.text.contains("/portal/payouts"));
    let (c, _) = page_login(&app, &w.prep_user.email, &w.prep_user.password).await;
    let html = c
        .get(app.url("/finance/periods"))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(
        html.contains("2026-10-01 – 2026-10-31") && html.contains("締め済み"),
        "{html}"
    );
    // November has ended and is open: its button closes it.
    let nov = html
        .split("id=\"period-")
        .find(|part| part.contains("2026-11-01"))
        .and_then(|part| part.split('"').next())
        .expect("november")
        .to_string();
    let csrf = csrf_of(&html);
    let r = c
        .post(app.url(&format!("/finance/periods/{nov}/close")))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .expect("close");
    assert_eq!(r.status(), 303);
    let r = c
        .post(app.url(&format!("/finance/periods/{nov}/close")))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .expect("close again");
    assert_eq!(r.status(), 422);
    assert!(
        r.text()
            .await
            .expect("html")
            .contains("すでに締められています")
    );
    // October's summary: the payables per island as a chart, and its trial balance.
    let html = c
        .get(app.url(&format!("/finance/periods/{}", w.oct)))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(html.contains("id=\"island-chart\""), "{html}");
    assert!(html.contains("石垣島"), "{html}");
    assert!(html.contains("1,120,264"), "{html}");
    assert!(html.contains("借方と貸方は一致しています"), "{html}");
    let html = c
        .get(app.url(&format!("/finance/funds/{}", w.fund)))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(
        html.contains("竹富町まちづくり基金") && html.contains("4,321"),
        "{html}"
    );
    // October's ledger from its page: its sales with their entries; operators never see it.
    let html = c
        .get(app.url(&format!("/finance/periods/{}", w.oct)))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(
        html.contains(&format!("/finance/ledger?period_id={}", w.oct)),
        "{html}"
    );
    let html = c
        .get(app.url(&format!("/finance/ledger?period_id={}", w.oct)))
        .send()
        .await
        .expect("ledger")
        .text()
        .await
        .expect("html");
    assert!(
        html.contains("id=\"ledger\"")
            && html.contains("producer_payable")
            && html.contains("98,765"),
        "{html}"
    );
    let (oc, _) = page_login(&app, &w.op_user.email, &w.op_user.password).await;
    for path in ["/finance/periods", "/finance/ledger"] {
        let r = oc.get(app.url(path)).send().await.expect("page");
        assert_eq!(r.status(), 403, "{path}");
    }
}

db_test!(
    cod_remittances,
    carriers_remit_cash_on_delivery_once_and_never_more
);
async fn carriers_remit_cash_on_delivery_once_and_never_more(b: Backend) {
    let app = spawn_app(b).await;
    let (_, fin) = app.user_with_token(Role::Finance).await;
    let (_, op) = app.user_with_token(Role::Operator).await;
    let agg = app.default_aggregator().await;
    // A COD sale as the ledger books it: the carrier owes the collected money.
    let mut legs = Legs::default();
    legs.debit(AccountRef::new("receivable.cod", "yamato"), 10_000, None);
    legs.credit(AccountRef::new("revenue.shipping", ""), 10_000, None);
    post(
        app.db(),
        1,
        Posting {
            aggregator_id: agg,
            kind: "sale",
            source_ref: "test-cod".into(),
            occurred_on: "2026-11-20".parse().expect("date"),
            order_id: None,
            producer_id: None,
            memo: "test".into(),
            created_by: None,
            legs,
        },
    )
    .await
    .expect("posted");
    let b0 = ok(app.get_as(&fin, "/api/v1/cod-remittances").await, 200).await;
    assert_eq!(b0["items"][0]["carrier"], "yamato");
    assert_eq!(b0["items"][0]["outstanding"], 10_000);
    let e = assert_error(
        app.post_as(
            &fin,
            "/api/v1/cod-remittances",
            &json!({"carrier": "", "reference": "r", "remitted_on": "2099-01-01", "amount": 0}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    for f in ["carrier", "remitted_on", "amount"] {
        assert!(e.to_string().contains(f), "{f}: {e}");
    }
    let body = json!({"carrier": "yamato", "reference": "Y-2026-11", "remitted_on": "2026-12-01",
                      "amount": 9_670, "fee": 330});
    assert_error(
        app.post_as(&op, "/api/v1/cod-remittances", &body).await,
        403,
        "forbidden",
    )
    .await;
    let r = ok(
        app.post_as(&fin, "/api/v1/cod-remittances", &body).await,
        201,
    )
    .await;
    assert_eq!(r["outstanding"], 0);
    let txns = app.count("SELECT COUNT(*) FROM ledger_transaction").await;
    let again = ok(
        app.post_as(&fin, "/api/v1/cod-remittances", &body).await,
        200,
    )
    .await;
    assert_eq!(again["replayed"], true);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM ledger_transaction").await,
        txns
    );
    assert_error(
        app.post_as(
            &fin,
            "/api/v1/cod-remittances",
            &json!({"carrier": "yamato", "reference": "Y-extra", "remitted_on": "2026-12-01", "amount": 1}),
        )
        .await,
        409,
        "remittance_exceeds_receivable",
    )
    .await;
    let tb = trial_balance(&app, &fin).await;
    balanced(&tb);
    assert_eq!(net(&tb, "receivable.cod", "yamato"), 0);
    assert_eq!(net(&tb, "bank", ""), 9_670);
    assert_eq!(net(&tb, "expense.cod_fee", ""), 330);
}

db_test!(
    ledger_corrections,
    corrections_are_entries_and_reversals_never_edits
);
async fn corrections_are_entries_and_reversals_never_edits(b: Backend) {
    let app = spawn_app(b).await;
    let w = world(&app).await;
    let shima = w.p["shima"].0.clone();
    let correction = json!({"producer_id": shima, "amount": 500, "reason": "箱の破損の補償",
                            "occurred_on": "2026-10-15"});
    let e = assert_error(
        app.post_as(
            &w.prep,
            "/api/v1/ledger/adjustments",
            &json!({"producer_id": uuid::Uuid::nil(), "amount": 0, "reason": ""}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    for f in ["producer_id", "amount", "reason"] {
        assert!(e.to_string().contains(f), "{f}: {e}");
    }
    assert_error(
        app.post_as(&w.op, "/api/v1/ledger/adjustments", &correction)
            .await,
        403,
        "forbidden",
    )
    .await;
    // With an Idempotency-Key, a retry books nothing.
    let send = || {
        reqwest::Client::new()
            .post(app.url("/api/v1/ledger/adjustments"))
            .bearer_auth(&w.prep)
            .header("idempotency-key", "fix-2026-11-01")
            .json(&correction)
            .send()
    };
    let first = ok(send().await.expect("send"), 201).await;
    let again = ok(send().await.expect("send"), 201).await;
    assert_eq!(first["id"], again["id"]);
    // October is closed: the correction books into November, the next open period.
    let periods = ok(app.get_as(&w.prep, "/api/v1/periods").await, 200).await;
    let nov = periods["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|q| q["starts_on"] == "2026-11-01")
        .map(|q| s(&q["id"]))
        .expect("november");
    assert_eq!(first["period_id"], nov.as_str());
    // A debit larger than the payable keeps the payable at zero with a clawback.
    let herb = w.p["herb"].0.clone();
    ok(
        app.post_as(
            &w.prep,
            "/api/v1/ledger/adjustments",
            &json!({"producer_id": herb, "amount": -12_500, "reason": "二重計上の戻し",
                    "occurred_on": "2026-11-20"}),
        )
        .await,
        201,
    )
    .await;
    let tb = trial_balance(&app, &w.prep).await;
    balanced(&tb);
    assert_eq!(
        net(&tb, "producer_payable", &w.p["shima"].0),
        -(98_765 + 500)
    );
    assert_eq!(net(&tb, "producer_payable", &herb), 0);
    assert_eq!(net(&tb, "producer_clawback", &herb), 500);
    // A later credit in the period: the close recovers the clawback out of it.
    ok(
        app.post_as(
            &w.prep,
            "/api/v1/ledger/adjustments",
            &json!({"producer_id": herb, "amount": 800, "reason": "追加の売上補正",
                    "occurred_on": "2026-11-25"}),
        )
        .await,
        201,
    )
    .await;
    // November's statement lists the correction with its reason.
    ok(
        app.post_as(&w.prep, &format!("/api/v1/periods/{nov}/close"), &json!({}))
            .await,
        200,
    )
    .await;
    let list = ok(
        app.get_as(&w.prep, &format!("/api/v1/statements?period_id={nov}"))
            .await,
        200,
    )
    .await;
    let st = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|x| x["producer_id"] == shima.as_str())
        .expect("shima's november statement")
        .clone();
    let d = ok(
        app.get_as(&w.prep, &format!("/api/v1/statements/{}", s(&st["id"])))
            .await,
        200,
    )
    .await;
    assert_eq!(d["adjustments"][0]["amount"], 500, "{d}");
    assert_eq!(d["adjustments"][0]["reason"], "箱の破損の補償");
    assert_eq!(st["net_payable"], 98_765 + 500);
    let hs = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|x| x["producer_id"] == herb.as_str())
        .expect("herb's november statement")
        .clone();
    assert_eq!(hs["net_payable"], 300, "800 less the 500 clawed back");
    let hd = ok(
        app.get_as(&w.prep, &format!("/api/v1/statements/{}", s(&hs["id"])))
            .await,
        200,
    )
    .await;
    let amounts: Vec<i64> = hd["adjustments"]
        .as_array()
        .expect("adjustments")
        .iter()
        .map(|a| a["amount"].as_i64().unwrap_or(0))
        .collect();
    assert!(amounts.contains(&-500) && amounts.contains(&800), "{hd}");
    let tb = trial_balance(&app, &w.prep).await;
    assert_eq!(net(&tb, "producer_clawback", &herb), 0);
    // Reversed once, in the open period; never twice; other kinds are not reversed here.
    let id = s(&first["id"]);
    let path = format!("/api/v1/ledger/transactions/{id}/reverse");
    assert_error(
        app.post_as(&w.prep, &path, &json!({"reason": ""})).await,
        422,
        "validation_failed",
    )
    .await;
    let rev = ok(
        app.post_as(&w.prep, &path, &json!({"reason": "補償は運送会社から"}))
            .await,
        201,
    )
    .await;
    assert_eq!(rev["reverses_id"], id.as_str());
    assert_eq!(rev["kind"], "reversal");
    assert_error(
        app.post_as(&w.prep, &path, &json!({"reason": "again"}))
            .await,
        409,
        "already_reversed",
    )
    .await;
    assert_error(
        app.post_as(
            &w.prep,
            &format!("/api/v1/ledger/transactions/{}/reverse", s(&rev["id"])),
            &json!({"reason": "x"}),
        )
        .await,
        409,
        "not_reversible",
    )
    .await;
    let tb = trial_balance(&app, &w.prep).await;
    balanced(&tb);
    assert_eq!(net(&tb, "producer_payable", &w.p["shima"].0), -98_765);
    assert_eq!(
        net(&tb, "expense.adjustment", ""),
        800,
        "only herb's credit is left"
    );
}

/// One history: per op (producer, signed yen, in October or in November), October closed
/// after its ops, then November's ops (some dated in closed October), November closed.
fn any_history() -> impl proptest::strategy::Strategy<Value = Vec<(usize, i64, bool)>> {
    use proptest::prelude::*;
    proptest::collection::vec(
        (
            0usize..3,
            prop_oneof![(-4_000i64..-1), (1i64..4_000)],
            any::<bool>(),
        ),
        1..9,
    )
}

/// Random histories of credits and debits to three producers and two closes, over HTTP on a
/// fresh database each, checked against a model written here: each statement's opening
/// balance and net payable, each clawback (recovered at close out of what the period leaves
/// payable), every transaction balanced.
#[test]
fn histories_with_closes_match_an_independent_model() {
    use proptest::test_runner::{Config, TestRunner};
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let mut runner = TestRunner::new(Config {
        cases: 24,
        ..Config::default()
    });
    runner
        .run(&any_history(), |ops| {
            rt.block_on(history_case(ops));
            Ok(())
        })
        .expect("property holds");
}

async fn history_case(mut ops: Vec<(usize, i64, bool)>) {
    // October exists and is closed before November (the first op is October's).
    ops[0].2 = true;
    let app = spawn_app(Backend::Sqlite).await;
    let (_, op) = app.user_with_token(Role::Operator).await;
    let (_, fin) = app.user_with_token(Role::Finance).await;
    let mut ids = Vec::new();
    for i in 0..3 {
        let (id, _, _) = producer(
            &app,
            &op,
            &format!("農園{i}"),
            bank("0187", "201", "ordinary", "1", "ﾉｳｴﾝ"),
        )
        .await;
        ids.push(id);
    }
    // The model: what each producer is owed, and its clawback, at each period's end.
    let mut owed = [0i64; 3];
    let mut claw = [0i64; 3];
    let apply = |owed: &mut [i64; 3], claw: &mut [i64; 3], p: usize, x: i64| {
        owed[p] += x;
        if owed[p] < 0 {
            claw[p] += -owed[p];
            owed[p] = 0;
        }
    };
    let post_op = |p: usize, x: i64, day: &str| {
        let body =
            json!({"producer_id": ids[p], "amount": x, "reason": "調整", "occurred_on": day});
        let fin = fin.clone();
        let app = &app;
        async move {
            ok(
                app.post_as(&fin, "/api/v1/ledger/adjustments", &body).await,
                201,
            )
            .await
        }
    };
    // October first; November's ops may be dated in October (closed by then).
    let (oct_ops, nov_ops): (Vec<_>, Vec<_>) = ops.iter().partition(|(_, _, in_oct)| *in_oct);
    let mut active_oct = [false; 3];
    for (p, x, _) in &oct_ops {
        post_op(*p, *x, "2026-10-10").await;
        apply(&mut owed, &mut claw, *p, *x);
        active_oct[*p] = true;
    }
    let periods = ok(app.get_as(&fin, "/api/v1/periods").await, 200).await;
    let find = |v: &Value, starts: &str| {
        v["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|q| q["starts_on"] == starts)
            .map(|q| s(&q["id"]))
    };
    let oct = find(&periods, "2026-10-01");
    // Closing recovers a clawback out of what the period leaves payable.
    let recover = |owed: &mut [i64; 3], claw: &mut [i64; 3], active: [bool; 3]| {
        for p in 0..3 {
            if active[p] {
                let r = owed[p].min(claw[p]);
                owed[p] -= r;
                claw[p] -= r;
            }
        }
    };
    recover(&mut owed, &mut claw, active_oct);
    let owed_oct = owed;
    if let Some(oct) = &oct {
        ok(
            app.post_as(&fin, &format!("/api/v1/periods/{oct}/close"), &json!({}))
                .await,
            200,
        )
        .await;
    }
    let mut active_nov = [false; 3];
    for (i, (p, x, _)) in nov_ops.iter().enumerate() {
        let day = if i % 2 == 0 {
            "2026-11-05"
        } else {
            "2026-10-20"
        };
        post_op(*p, *x, day).await;
        apply(&mut owed, &mut claw, *p, *x);
        active_nov[*p] = true;
    }
    recover(&mut owed, &mut claw, active_nov);
    let periods = ok(app.get_as(&fin, "/api/v1/periods").await, 200).await;
    let nov = find(&periods, "2026-11-01");
    if let Some(nov) = &nov {
        ok(
            app.post_as(&fin, &format!("/api/v1/periods/{nov}/close"), &json!({}))
                .await,
            200,
        )
        .await;
    }
    // Statements equal the model.
    for (period, active, opening, end) in [
        (&oct, active_oct, [0i64; 3], owed_oct),
        (&nov, active_nov, owed_oct, owed),
    ] {
        let Some(period) = period else { continue };
        let list = ok(
            app.get_as(&fin, &format!("/api/v1/statements?period_id={period}"))
                .await,
            200,
        )
        .await;
        let items = list["items"].as_array().expect("items").clone();
        for p in 0..3 {
            let st = items.iter().find(|x| x["producer_id"] == ids[p].as_str());
            assert_eq!(
                st.is_some(),
                active[p],
                "statement for producer {p}: {ops:?}"
            );
            if let Some(st) = st {
                assert_eq!(st["opening_balance"], opening[p], "opening {p}: {ops:?}");
                assert_eq!(st["net_payable"], end[p], "net {p}: {ops:?}");
            }
        }
    }
    let tb = trial_balance(&app, &fin).await;
    balanced(&tb);
    for p in 0..3 {
        assert_eq!(
            net(&tb, "producer_payable", &ids[p]),
            -owed[p],
            "payable {p}: {ops:?}"
        );
        assert_eq!(
            net(&tb, "producer_clawback", &ids[p]),
            claw[p],
            "clawback {p}: {ops:?}"
        );
    }
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM (SELECT transaction_id FROM ledger_entry GROUP BY transaction_id \
             HAVING SUM(debit) <> SUM(credit)) x"
        )
        .await,
        0,
        "every transaction balances"
    );
}

db_test!(fee_rule_pages, finance_keeps_fee_rules_on_a_page);
async fn finance_keeps_fee_rules_on_a_page(b: Backend) {
    use crate::manage_pages::{csrf_of, page_login};
    let app = spawn_app(b).await;
    let fin = app.create_user(Role::Finance, Some("default")).await;
    let (c, _) = page_login(&app, &fin.email, &fin.password).await;
    let html = c
        .get(app.url("/finance/fee-rules"))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(
        html.contains("手数料ルール") && html.contains("id=\"rule-form\""),
        "{html}"
    );
    let csrf = csrf_of(&html);
    // A percent rule without its rate is named at the field, in Japanese; nothing is stored.
    let r = c
        .post(app.url("/finance/fee-rules"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("fee_type", "commission"),
            ("basis", "percent"),
            ("position", "0"),
            ("rate_bp", "二割"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 422);
    let html = r.text().await.expect("html");
    assert!(
        html.contains("id=\"rate_bp-error\"") && html.contains("0〜10000"),
        "{html}"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM fee_rule").await, 0);
    let r = c
        .post(app.url("/finance/fee-rules"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("fee_type", "commission"),
            ("basis", "percent"),
            ("position", "0"),
            ("rate_bp", "2000"),
            ("effective_from", "2026-01-01"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 303);
    let html = c
        .get(app.url("/finance/fee-rules"))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(
        html.contains("販売手数料") && html.contains("20.00 %") && html.contains("すべて"),
        "{html}"
    );
    let id = html
        .split("id=\"rule-")
        .nth(1)
        .and_then(|p| p.split('"').next())
        .expect("the rule's row")
        .to_string();
    // Changed in place from its row: a bad rate comes back at that row, nothing stored; a good
    // one is the rule's next version from the day given (the first ends the day before).
    let r = c
        .post(app.url("/finance/fee-rules"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("action", "revise"),
            ("rule_id", id.as_str()),
            ("new_amount", "20000"),
            ("new_from", "2026-11-01"),
        ])
        .send()
        .await
        .expect("revise");
    assert_eq!(r.status(), 422);
    let html = r.text().await.expect("html");
    assert!(
        html.contains(&format!("id=\"revise-error-{id}\""))
            && !html.contains("id=\"rate_bp-error\""),
        "{html}"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM fee_rule").await, 1);
    let r = c
        .post(app.url("/finance/fee-rules"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("action", "revise"),
            ("rule_id", id.as_str()),
            ("new_amount", "1500"),
            ("new_from", "2026-11-01"),
        ])
        .send()
        .await
        .expect("revise");
    assert_eq!(r.status(), 303);
    let html = c
        .get(app.url("/finance/fee-rules"))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(
        html.contains("15.00 %")
            && html.contains("2026-11-01 –")
            && !html.contains(&format!("id=\"rule-{id}\"")),
        "the new version is in force, the old one ended: {html}"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM fee_rule WHERE version = 2 AND rate_bp = 1500 AND supersedes_id IS NOT NULL").await,
        1
    );
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM fee_rule WHERE version = 1 AND effective_to = '2026-10-31'"
        )
        .await,
        1
    );
    let id = html
        .split("id=\"rule-")
        .nth(1)
        .and_then(|p| p.split('"').next())
        .expect("the new version's row")
        .to_string();
    // The ledger page: empty for now, in Japanese; a bad filter is a 4xx.
    let html = c
        .get(app.url("/finance/ledger"))
        .send()
        .await
        .expect("ledger")
        .text()
        .await
        .expect("html");
    assert!(
        html.contains("仕訳帳") && html.contains("id=\"ledger-empty\""),
        "{html}"
    );
    let r = c
        .get(app.url("/finance/ledger?period_id=nope"))
        .send()
        .await
        .expect("ledger");
    assert!(r.status().is_client_error(), "{}", r.status());
    let r = c
        .post(app.url("/finance/fee-rules"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("action", "retire"),
            ("rule_id", id.as_str()),
        ])
        .send()
        .await
        .expect("retire");
    assert_eq!(r.status(), 303);
    let html = c
        .get(app.url("/finance/fee-rules"))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(
        !html.contains(&format!("id=\"rule-{id}\"")),
        "retired: {html}"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_event WHERE action LIKE 'fee_rule_%'")
            .await,
        3
    );
}
