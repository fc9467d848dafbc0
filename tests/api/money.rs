//! Money over HTTP on both databases: fee rules (checked field by field, versioned,
//! audit-logged), community funds, and the ledger the order core's events book into — a sale
//! per parcel when it ships with the rules frozen onto it, the tax in the order's service fees
//! once, a return giving the charges back in proportion, the trial balance; a replayed event
//! books nothing twice; only finance and admins of the tenant see money.
use crate::{
    db_test,
    fulfilment::{gift_cart, goods},
    helpers::*,
};
use serde_json::{Value, json};
use yuimaru::http::actor::Role;

async fn created(r: reqwest::Response) -> Value {
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    r.json().await.expect("json")
}

fn s(v: &Value) -> String {
    v.as_str().expect("string").to_string()
}

/// A producer's payable in the trial balance (credits minus debits).
fn payable(tb: &Value, producer: &str) -> i64 {
    tb["accounts"]
        .as_array()
        .expect("accounts")
        .iter()
        .find(|a| a["code"] == "producer_payable" && a["subject"] == producer)
        .map_or(0, |a| -a["net"].as_i64().expect("net"))
}

fn account_net(tb: &Value, code: &str) -> i64 {
    tb["accounts"]
        .as_array()
        .expect("accounts")
        .iter()
        .filter(|a| a["code"] == code)
        .map(|a| a["net"].as_i64().expect("net"))
        .sum()
}

db_test!(money_ledger, sales_returns_and_rules_book_balanced_once);
async fn sales_returns_and_rules_book_balanced_once(b: Backend) {
    let app = spawn_app(b).await;
    let g = goods(&app).await;
    let op = g.op.clone();
    let (_, fin) = app.user_with_token(Role::Finance).await;

    // Fee rules: every bad field named at once; a fund share needs its fund and bearer.
    let e = assert_error(
        app.post_as(&fin, "/api/v1/fee-rules",
            &json!({"fee_type": "commission", "position": 0, "basis": "per_parcel", "rate_bp": 20000, "floor_yen": 50, "cap_yen": 10}))
            .await,
        422,
        "validation_failed",
    )
    .await;
    let fields = &e["error"]["details"]["fields"];
    for f in ["basis", "rate_bp", "cap_yen"] {
        assert!(fields[f].is_string(), "{f} named: {fields}");
    }
    let e = assert_error(
        app.post_as(
            &fin,
            "/api/v1/fee-rules",
            &json!({"fee_type": "fund_share", "position": 0, "basis": "percent", "rate_bp": 100}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert!(e["error"]["details"]["fields"]["fund_id"].is_string());
    assert!(e["error"]["details"]["fields"]["bearer"].is_string());
    assert_error(
        app.post_as(&fin, "/api/v1/fee-rules",
            &json!({"fee_type": "commission", "position": 0, "basis": "percent", "rate_bp": 100, "surprise": 1}))
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(app.count("SELECT COUNT(*) FROM fee_rule").await, 0);

    let fund = created(
        app.post_as(
            &fin,
            "/api/v1/community-funds",
            &json!({"name_ja": "久米島町まちづくり基金"}),
        )
        .await,
    )
    .await;
    let from = "2026-01-01";
    let commission = created(app.post_as(&fin, "/api/v1/fee-rules", &json!({
        "fee_type": "commission", "position": 10, "basis": "percent", "rate_bp": 2000, "effective_from": from}))
        .await).await;
    for body in [
        json!({"fee_type": "packing", "position": 0, "basis": "per_parcel", "fixed_yen": 110, "effective_from": from}),
        json!({"fee_type": "cool_chain", "position": 0, "basis": "per_parcel", "fixed_yen": 330, "effective_from": from}),
        json!({"fee_type": "payment_fee", "position": 0, "basis": "percent", "rate_bp": 360,
            "payment_method": "card", "effective_from": from}),
        json!({"fee_type": "fund_share", "position": 0, "basis": "per_item", "fixed_yen": 10,
            "fund_id": fund["id"], "bearer": "producer", "effective_from": from}),
    ] {
        created(app.post_as(&fin, "/api/v1/fee-rules", &body).await).await;
    }

    // A bank-transfer order in two parcels (ambient: 2 × 648 of A and 1 × 1,080 of C;
    // chilled: 3 × 540 of B), paid, packed and shipped.
    let o = crate::shop::order(&app, &gift_cart(&g, "bank_transfer"), "m-1").await;
    let id = s(&o["id"]);
    let producer_of = |sku: &str| {
        o["lines"]
            .as_array()
            .expect("lines")
            .iter()
            .find(|l| l["sku_id"] == sku)
            .map(|l| (s(&l["producer_id"]), s(&l["id"])))
            .expect("line")
    };
    let ((pa, chinsuko_line), (pb, _), (pc, _)) = (
        producer_of(&g.chinsuko),
        producer_of(&g.mozuku),
        producer_of(&g.tart),
    );
    for (path, body) in [
        (format!("/api/v1/orders/{id}/mark-paid"), json!({})),
        (
            "/api/v1/fulfilment/pick-list".to_string(),
            json!({"order_ids": [id]}),
        ),
        (format!("/api/v1/orders/{id}/pack"), json!({})),
    ] {
        let r = app.post_as(&op, &path, &body).await;
        assert_eq!(
            r.status(),
            200,
            "{path}: {}",
            r.text().await.unwrap_or_default()
        );
    }
    for (seq, number) in [(1, "123456789012"), (2, "123456789013")] {
        let r = app
            .put_as(
                &op,
                &format!("/api/v1/orders/{id}/parcels/{seq}/tracking"),
                &json!({"tracking_number": number}),
            )
            .await;
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
    }
    app.run_pending_jobs().await;

    // One sale per parcel, the fees' tax once, the bank transfer: every transaction balances.
    let failed: Vec<String> = {
        use sea_orm::EntityTrait;
        entity::job::Entity::find()
            .all(app.db())
            .await
            .expect("jobs")
            .into_iter()
            .filter(|j| j.kind == "events.deliver" && j.status != "succeeded")
            .map(|j| format!("{} {:?} {}", j.status, j.last_error, j.payload))
            .collect()
    };
    assert!(failed.is_empty(), "every delivery booked: {failed:?}");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM ledger_transaction WHERE kind = 'sale'")
            .await,
        2
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM ledger_transaction WHERE kind = 'fees_tax'")
            .await,
        1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM ledger_transaction WHERE kind = 'payment'")
            .await,
        1
    );
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM (SELECT transaction_id FROM ledger_entry GROUP BY transaction_id \
                   HAVING SUM(debit) <> SUM(credit)) t"
        )
        .await,
        0
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM sale_line").await, 3);
    let r = app.get_as(&fin, "/api/v1/ledger/trial-balance").await;
    assert_eq!(r.status(), 200);
    let tb: Value = r.json().await.expect("json");
    assert_eq!(tb["balanced"], true, "{tb}");
    assert_eq!(tb["total_debit"], tb["total_credit"]);

    // Each producer's payable, worked out by hand: goods (with their own tax) less 20 %
    // commission (rounded down), the parcel fees shared by goods value (ambient parcel 110 yen:
    // 1,296 : 1,080 → 60 / 50; chilled 110 + 330 to B alone) and 10 yen per item to the fund.
    assert_eq!(payable(&tb, &pa), 1296 - 259 - 60 - 20);
    assert_eq!(payable(&tb, &pb), 1620 - 324 - 110 - 330 - 30);
    assert_eq!(payable(&tb, &pc), 1080 - 216 - 50 - 10);
    assert_eq!(account_net(&tb, "fund_payable"), -60);
    // No card payment fee on a bank transfer; the goods' tax is the producers', so the only
    // tax payable is the one in the service fees, once per order at 10 %.
    assert_eq!(account_net(&tb, "revenue.payment_fee"), 0);
    let fees = app
        .count(&format!(
            "SELECT shipping_total + cool_total + surcharge_total + cod_fee FROM shop_order \
             WHERE number = '{}'",
            s(&o["number"])
        ))
        .await;
    assert!(fees > 0);
    assert_eq!(account_net(&tb, "tax_payable.10"), -(fees * 10 / 110));
    assert!(
        tb["accounts"]
            .as_array()
            .expect("a")
            .iter()
            .all(|a| a["code"] != "tax_payable.8")
    );
    assert_eq!(
        account_net(&tb, "bank"),
        o["totals"]["grand_total"].as_i64().expect("total")
    );

    // A replayed booking writes nothing.
    let agg = app.default_aggregator().await;
    let order_id = uuid::Uuid::parse_str(&id).expect("uuid");
    let txn = yuimaru::db::begin_write(app.db()).await.expect("txn");
    let again = yuimaru::money::booking::book_parcel(&app.state, &txn, agg, order_id, 1)
        .await
        .expect("book");
    assert_eq!(again, yuimaru::money::ledger::Posted::Replayed);
    drop(txn);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM ledger_transaction").await,
        4
    );

    // A later rule change never rewrites what a sale froze.
    let r = app
        .put_as(
            &fin,
            &format!("/api/v1/fee-rules/{}", s(&commission["id"])),
            &json!({
            "fee_type": "commission", "position": 10, "basis": "percent", "rate_bp": 3000}),
        )
        .await;
    let v2 = created(r).await;
    assert_eq!(v2["version"], 2);
    assert_eq!(v2["supersedes_id"], commission["id"]);
    assert_error(
        app.put_as(
            &fin,
            &format!("/api/v1/fee-rules/{}", s(&commission["id"])),
            &json!({
            "fee_type": "commission", "position": 10, "basis": "percent", "rate_bp": 1}),
        )
        .await,
        409,
        "rule_superseded",
    )
    .await;
    let h: Value = app
        .get_as(&fin, &format!("/api/v1/fee-rules/{}", s(&v2["id"])))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(h["versions"].as_array().map(Vec::len), Some(2));
    assert_eq!(h["versions"][0]["superseded_by"], v2["id"]);
    let now: Value = app
        .get_as(&fin, "/api/v1/ledger/trial-balance")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(payable(&now, &pa), 1296 - 259 - 60 - 20);
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM fee_charge WHERE fee_type = 'commission' AND rule_version = 1"
        )
        .await,
        3
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_event WHERE action LIKE 'fee_rule_%'")
            .await,
        6
    );

    // One of A's two items comes back: its price leaves A's payable (owed to the buyer) and
    // half of the charges on that line come back to A.
    let r = reqwest::Client::new()
        .post(app.url(&format!("/api/v1/orders/{id}/returns")))
        .bearer_auth(&op)
        .header("idempotency-key", "m-r1")
        .json(&json!({"reason": "割れ", "lines": [{"line_id": chinsuko_line, "qty": 1, "disposition": "restock"}]}))
        .send()
        .await
        .expect("return");
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    app.run_pending_jobs().await;
    let tb: Value = app
        .get_as(&fin, "/api/v1/ledger/trial-balance")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(tb["balanced"], true);
    assert_eq!(payable(&tb, &pa), (1296 - 259 - 60 - 20) - 648 + 129 + 10);
    assert_eq!(account_net(&tb, "refunds_owed"), -648);
    assert_eq!(account_net(&tb, "fund_payable"), -50);

    // Transactions with their entries, filtered by order and by producer.
    let r = app
        .get_as(
            &fin,
            &format!("/api/v1/ledger/transactions?order_id={id}&limit=2"),
        )
        .await;
    assert_eq!(r.status(), 200);
    let page: Value = r.json().await.expect("json");
    assert_eq!(page["items"].as_array().map(Vec::len), Some(2));
    assert!(page["next_cursor"].is_string());
    let mine: Value = app
        .get_as(
            &fin,
            &format!("/api/v1/ledger/transactions?producer_id={pb}"),
        )
        .await
        .json()
        .await
        .expect("json");
    let kinds: Vec<&str> = mine["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|t| t["kind"].as_str().expect("kind"))
        .collect();
    assert_eq!(kinds, ["sale"], "B only has its chilled parcel's sale");
    let t = &mine["items"][0];
    let debit: i64 = t["entries"]
        .as_array()
        .expect("e")
        .iter()
        .map(|e| e["debit"].as_i64().expect("d"))
        .sum();
    let credit: i64 = t["entries"]
        .as_array()
        .expect("e")
        .iter()
        .map(|e| e["credit"].as_i64().expect("c"))
        .sum();
    assert_eq!(debit, credit);
    let one = app
        .get_as(
            &fin,
            &format!("/api/v1/ledger/transactions/{}", s(&t["id"])),
        )
        .await;
    assert_eq!(one.status(), 200);
    let periods: Value = app
        .get_as(&fin, "/api/v1/periods")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(periods["items"][0]["status"], "open");
}

db_test!(
    money_access,
    only_finance_and_admins_of_the_tenant_see_money
);
async fn only_finance_and_admins_of_the_tenant_see_money(b: Backend) {
    let app = spawn_app(b).await;
    let (_, fin) = app.user_with_token(Role::Finance).await;
    let tenant_admin = app.create_user(Role::Admin, Some("default")).await;
    let tenant_admin = app.token_for(&tenant_admin).await;
    let (_, op) = app.user_with_token(Role::Operator).await;
    let (_, officer) = app.user_with_token(Role::Officer).await;
    let (_, global_admin) = app.user_with_token(Role::Admin).await;
    let r = app
        .post_as(
            &global_admin,
            "/api/v1/aggregators",
            &json!({"slug": "kume", "name": "久米島"}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    let other = app.create_user(Role::Finance, Some("kume")).await;
    let other = app.token_for(&other).await;

    let rule = created(
        app.post_as(
            &fin,
            "/api/v1/fee-rules",
            &json!({
        "fee_type": "commission", "position": 0, "basis": "percent", "rate_bp": 1500}),
        )
        .await,
    )
    .await;
    let rule_path = format!("/api/v1/fee-rules/{}", s(&rule["id"]));
    let reads = [
        "/api/v1/fee-rules",
        rule_path.as_str(),
        "/api/v1/community-funds",
        "/api/v1/ledger/trial-balance",
        "/api/v1/ledger/transactions",
        "/api/v1/periods",
        "/api/v1/statements",
    ];
    for path in reads {
        for t in [&fin, &tenant_admin] {
            let r = app.get_as(t, path).await;
            assert_eq!(r.status(), 200, "{path}");
        }
        for t in [&op, &officer, &global_admin] {
            assert_error(app.get_as(t, path).await, 403, "forbidden").await;
        }
        let r = reqwest::Client::new()
            .get(app.url(path))
            .send()
            .await
            .expect("get");
        assert_eq!(r.status(), 401, "{path} anonymous");
    }
    // Another tenant's finance sees none of it: the rule is not found, its lists are empty.
    assert_error(app.get_as(&other, &rule_path).await, 404, "not_found").await;
    let theirs: Value = app
        .get_as(&other, "/api/v1/fee-rules")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(theirs["items"].as_array().map(Vec::len), Some(0));
    assert_error(
        app.put_as(
            &other,
            &rule_path,
            &json!({"fee_type": "commission", "position": 0, "basis": "percent", "rate_bp": 1}),
        )
        .await,
        404,
        "not_found",
    )
    .await;
    assert_error(
        app.post_as(
            &op,
            "/api/v1/fee-rules",
            &json!({"fee_type": "commission", "position": 0, "basis": "percent", "rate_bp": 1}),
        )
        .await,
        403,
        "forbidden",
    )
    .await;
    // Retiring: once, by the tenant.
    let r = app
        .post_as(
            &tenant_admin,
            &format!("{rule_path}/retire"),
            &json!({"last_day": "2026-12-31"}),
        )
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
    assert_error(
        app.post_as(
            &fin,
            &format!("{rule_path}/retire"),
            &json!({"last_day": "2026-12-31"}),
        )
        .await,
        409,
        "rule_ended",
    )
    .await;
    assert_error(
        app.get_as(
            &fin,
            "/api/v1/ledger/trial-balance?period_id=00000000-0000-0000-0000-000000000000",
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
}

/// A random parcel for the property test: lines (producer index, qty, unit price), and the
/// rules' numbers.
#[derive(Debug, Clone)]
struct Case {
    lines: Vec<(usize, i64, i64)>,
    bp: i32,
    floor: Option<i64>,
    cap: Option<i64>,
    packing: i64,
    per_item_fund: i64,
    producer_bears_fund: bool,
    returns: Vec<(usize, i64)>,
}

fn any_case() -> impl proptest::strategy::Strategy<Value = Case> {
    use proptest::prelude::*;
    (
        proptest::collection::vec((0usize..3, 1i64..6, 1i64..5_000), 1..6),
        0i32..3_000,
        proptest::option::of(0i64..300),
        proptest::option::of(0i64..3_000),
        0i64..700,
        0i64..60,
        any::<bool>(),
        proptest::collection::vec((0usize..6, 1i64..4), 0..6),
    )
        .prop_map(
            |(lines, bp, floor, cap, packing, per_item_fund, producer_bears_fund, returns)| Case {
                lines,
                bp,
                floor,
                cap: cap.map(|c| c.max(floor.unwrap_or(0))),
                packing,
                per_item_fund,
                producer_bears_fund,
                returns,
            },
        )
}

/// The independent model: what each producer is owed after the sale, reckoned with plain
/// arithmetic from the rules' wording (not with the code under test).
fn model_payables(c: &Case) -> [i64; 3] {
    let mut owed = [0i64; 3];
    let mut goods = [0i64; 3];
    for (p, qty, price) in &c.lines {
        let amount = qty * price;
        goods[*p] += amount;
        let mut commission = amount * i64::from(c.bp) / 10_000;
        if let Some(f) = c.floor {
            commission = commission.max(f);
        }
        if let Some(cap) = c.cap {
            commission = commission.min(cap);
        }
        owed[*p] += amount - commission;
        if c.producer_bears_fund {
            owed[*p] -= c.per_item_fund * qty;
        }
    }
    // The packing fee, shared by goods value: each share rounded down, the yen left over go
    // one each to the producers with the most goods (ties: first seen).
    let mut seen: Vec<usize> = Vec::new();
    for (p, _, _) in &c.lines {
        if !seen.contains(p) {
            seen.push(*p);
        }
    }
    let total: i64 = goods.iter().sum();
    let mut shares: Vec<i64> = seen.iter().map(|p| c.packing * goods[*p] / total).collect();
    let mut left = c.packing - shares.iter().sum::<i64>();
    let mut order: Vec<usize> = (0..seen.len()).collect();
    order.sort_by(|a, b| goods[seen[*b]].cmp(&goods[seen[*a]]).then(a.cmp(b)));
    let mut k = 0;
    while left > 0 {
        shares[order[k % order.len()]] += 1;
        left -= 1;
        k += 1;
    }
    for (i, p) in seen.iter().enumerate() {
        owed[*p] -= shares[i];
    }
    owed
}

#[test]
fn sales_balance_and_match_an_independent_model() {
    use proptest::test_runner::{Config, TestRunner};
    use yuimaru::money::domain::{self, AccountRef, Rule, ShippedParcel, SoldGoods};
    let producers = [
        uuid::Uuid::from_u128(1),
        uuid::Uuid::from_u128(2),
        uuid::Uuid::from_u128(3),
    ];
    let day = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).expect("day");
    let rule = |fee_type: &str, basis: &str| Rule {
        id: uuid::Uuid::now_v7(),
        version: 1,
        fee_type: fee_type.into(),
        position: 0,
        producer_id: None,
        category_code: None,
        channel_scope: "any".into(),
        channel_id: None,
        payment_method: None,
        price_min: None,
        price_max: None,
        basis: basis.into(),
        rate_bp: None,
        fixed_yen: None,
        floor_yen: None,
        cap_yen: None,
        fund_id: None,
        bearer: None,
        effective_from: day,
        effective_to: None,
    };
    let mut runner = TestRunner::new(Config {
        cases: 512,
        ..Config::default()
    });
    runner
        .run(&any_case(), |c| {
            let mut commission = rule("commission", "percent");
            commission.rate_bp = Some(c.bp);
            commission.floor_yen = c.floor;
            commission.cap_yen = c.cap;
            let mut packing = rule("packing", "per_parcel");
            packing.fixed_yen = Some(c.packing);
            let mut fund = rule("fund_share", "per_item");
            fund.fixed_yen = Some(c.per_item_fund);
            fund.fund_id = Some(uuid::Uuid::from_u128(99));
            fund.bearer = Some(
                if c.producer_bears_fund {
                    "producer"
                } else {
                    "aggregator"
                }
                .into(),
            );
            let goods: Vec<SoldGoods> = c
                .lines
                .iter()
                .enumerate()
                .map(|(i, (p, qty, price))| SoldGoods {
                    order_line_id: uuid::Uuid::from_u128(100 + i as u128),
                    producer_id: producers[*p],
                    categories: vec![],
                    qty: *qty,
                    unit_price: *price,
                    amount: qty * price,
                })
                .collect();
            let parcel = ShippedParcel {
                order_id: uuid::Uuid::from_u128(7),
                seq: 1,
                chilled: false,
                service_fees: 1_100,
                goods: goods.clone(),
                channel_id: None,
                payment_method: "card".into(),
                on: day,
                settlement: AccountRef::new("settlement.card", ""),
            };
            let charges = domain::charges(&parcel, &[commission, packing, fund], &|_, _| false);
            let legs = domain::sale_legs(&parcel, &charges);
            assert_eq!(legs.imbalance(), 0, "every sale balances");
            let change = legs.payable_change();
            let want = model_payables(&c);
            for (i, p) in producers.iter().enumerate() {
                assert_eq!(
                    change.get(p).copied().unwrap_or(0),
                    want[i],
                    "producer {i}: {c:?}"
                );
            }
            // The goods' tax never reaches the aggregator's tax payable.
            assert!(
                legs.0
                    .iter()
                    .all(|l| !l.account.code.starts_with("tax_payable"))
            );
            // Returns in any steps give back each line's charges exactly once in the end.
            for ch in charges.iter().filter(|ch| ch.fee_type == "commission") {
                let g = goods
                    .iter()
                    .find(|g| g.order_line_id.to_string() == ch.subject_key)
                    .expect("line");
                let mut before = 0;
                let mut back = 0;
                for (_, n) in &c.returns {
                    let n = (*n).min(g.qty - before);
                    back += domain::returned_part(ch.amount, g.qty, before, n);
                    before += n;
                }
                back += domain::returned_part(ch.amount, g.qty, before, g.qty - before);
                assert_eq!(back, ch.amount);
            }
            // A clawback keeps every payable at or above zero and balances.
            let balances = std::collections::BTreeMap::new();
            let claw = domain::clawback_legs(&legs, &balances);
            assert_eq!(claw.imbalance(), 0);
            let mut all = legs.clone();
            all.0.extend(claw.0);
            assert!(all.payable_change().values().all(|v| *v >= 0));
            Ok(())
        })
        .expect("property holds");
}

/// Registers and approves a producer from `body` (see `producers::registration`).
async fn producer_from(app: &TestApp, op: &str, mut body: Value, name: &str) -> (String, String) {
    let email = format!("p-{}@example.jp", uuid::Uuid::now_v7().simple());
    body["email"] = json!(email);
    body["legal_name"] = json!(name);
    let r = crate::producers::register(app, &body).await;
    let p = created(r).await;
    let id = s(&p["id"]);
    let r = app
        .post_as(op, &format!("/api/v1/producers/{id}/approve"), &json!({}))
        .await;
    assert_eq!(r.status(), 200);
    let user = TestUser {
        id: uuid::Uuid::nil(),
        email,
        password: "ishigaki-mango-2026".into(),
    };
    let token = app.token_for(&user).await;
    (id, token)
}

db_test!(
    money_invoices,
    receipts_separate_issuers_by_the_invoice_rules
);
async fn receipts_separate_issuers_by_the_invoice_rules(b: Backend) {
    use crate::shop::{cart, open_shop, order, stocked_sku};
    let app = spawn_app(b).await;
    let op = open_shop(&app).await;
    let reg = crate::producers::registration("x@example.jp");
    // A: registered, and registering told us (媒介者交付特例 applies).
    let (a, at) = producer_from(&app, &op, reg.clone(), "安里農園").await;
    // B: exempt, no registration number.
    let mut exempt = reg.clone();
    exempt["invoice_number"] = Value::Null;
    exempt["tax_exempt"] = json!(true);
    let (b_id, bt) = producer_from(&app, &op, exempt, "具志堅商店").await;
    // C: registered, but no notice on record (as for producers from before the notice was kept).
    let mut other = reg.clone();
    other["invoice_number"] = json!("T6120001168422");
    let (c, ct) = producer_from(&app, &op, other, "宮城製菓").await;
    let r = app
        .patch_as(
            &ct,
            &format!("/api/v1/producers/{c}"),
            &json!({"invoice_notified_on": "2026-11-01"}),
        )
        .await;
    let e = assert_error(r, 422, "validation_failed").await;
    assert!(e["error"]["details"]["fields"]["invoice_notified_on"].is_string());
    assert_eq!(
        app.count("SELECT COUNT(*) FROM producer WHERE legal_name = '宮城製菓' AND invoice_notified_on IS NOT NULL")
            .await,
        1,
        "registering with a number recorded the notice"
    );
    let txn_sql = "UPDATE producer SET invoice_notified_on = NULL WHERE legal_name = '宮城製菓'";
    {
        use sea_orm::ConnectionTrait;
        app.db()
            .execute_unprepared(txn_sql)
            .await
            .expect("clear the notice");
    }
    let (_, sa) = stocked_sku(&app, &op, &at, json!({"title_ja": "島らっきょう"}), 540, 5).await;
    let (_, sb) = stocked_sku(&app, &op, &bt, json!({"title_ja": "黒糖"}), 324, 5).await;
    let (_, sc) = stocked_sku(&app, &op, &ct, json!({"title_ja": "ちんすこう"}), 648, 5).await;
    let lines =
        json!([{"sku_id": sa, "qty": 1}, {"sku_id": sb, "qty": 2}, {"sku_id": sc, "qty": 1}]);
    let o = order(&app, &cart(lines.clone(), "bank_transfer"), "inv-1").await;

    let receipt = |o: &Value| {
        let link = s(&o["link"]);
        let url = link.replace("?t=", "/receipt?t=");
        let path = url[url.find("/default/").expect("slug")..].to_string();
        let app = &app;
        async move {
            let r = client()
                .get(app.url(&format!("/api/v1/aggregators{path}")))
                .send()
                .await
                .expect("receipt");
            assert_eq!(r.status(), 200);
            let json: Value = r.json().await.expect("json");
            let html = client()
                .get(app.url(&path))
                .send()
                .await
                .expect("page")
                .text()
                .await
                .expect("html");
            (json, html)
        }
    };
    let (r, html) = receipt(&o).await;
    let issuers = r["issuers"].as_array().expect("issuers");
    let kinds: Vec<&str> = issuers
        .iter()
        .map(|i| i["kind"].as_str().expect("kind"))
        .collect();
    assert_eq!(kinds, ["aggregator", "producer", "unregistered"], "{r}");
    let titles = |i: usize| -> Vec<String> {
        issuers[i]["lines"]
            .as_array()
            .expect("lines")
            .iter()
            .map(|l| s(&l["title"]))
            .collect()
    };
    // The aggregator's block: A's goods under its number, and its own fees.
    assert_eq!(issuers[0]["registration_number"], "T7120001168421");
    assert_eq!(titles(0), ["島らっきょう"]);
    assert!(issuers[0]["fees"].as_i64().expect("fees") > 0);
    // C's goods under C's own name and number (代理交付).
    assert_eq!(issuers[1]["name"], "宮城製菓");
    assert_eq!(issuers[1]["registration_number"], "T6120001168422");
    assert_eq!(titles(1), ["ちんすこう"]);
    // B's goods apart, never under a registration number.
    assert!(issuers[2]["registration_number"].is_null());
    assert_eq!(titles(2), ["黒糖"]);
    // Each block's tax once per rate: B's 2 × 324 at 8 % → floor(648 × 8 / 108) = 48.
    assert_eq!(issuers[2]["rates"][0]["total"], 648);
    assert_eq!(issuers[2]["rates"][0]["tax"], 48);
    for i in issuers {
        for t in i["rates"].as_array().expect("rates") {
            let (total, rate) = (
                t["total"].as_i64().expect("t"),
                t["rate"].as_i64().expect("r"),
            );
            assert_eq!(t["tax"].as_i64().expect("tax"), total * rate / (100 + rate));
        }
    }
    let total: i64 = issuers
        .iter()
        .map(|i| i["total"].as_i64().expect("total"))
        .sum();
    assert_eq!(total, r["grand_total"].as_i64().expect("grand"));
    assert!(
        html.contains("代理交付") && html.contains("適格請求書発行事業者以外の者による販売分"),
        "{html}"
    );
    assert!(html.contains("宮城製菓") && html.contains("T6120001168422"));
    // The rules are frozen on the lines.
    assert_eq!(
        app.count("SELECT COUNT(*) FROM order_line WHERE invoice_rule = 'intermediary'")
            .await,
        1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM order_line WHERE invoice_rule = 'agent'")
            .await,
        1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM order_line WHERE invoice_rule = 'none' AND seller_invoice_number IS NULL").await,
        1
    );

    // Staff record C's notice: C's later sales fall under the special rule; the first
    // order's receipt keeps what it froze.
    let e = assert_error(
        app.patch_as(
            &op,
            &format!("/api/v1/producers/{c}"),
            &json!({"invoice_notified_on": "2099-01-01"}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert!(e["error"]["details"]["fields"]["invoice_notified_on"].is_string());
    let r = app
        .patch_as(
            &op,
            &format!("/api/v1/producers/{c}"),
            &json!({"invoice_notified_on": "2026-11-01"}),
        )
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
    let v: Value = r.json().await.expect("json");
    assert_eq!(v["invoice_notified_on"], "2026-11-01");
    let o2 = order(&app, &cart(lines, "bank_transfer"), "inv-2").await;
    let (r2, _) = receipt(&o2).await;
    let kinds: Vec<&str> = r2["issuers"]
        .as_array()
        .expect("issuers")
        .iter()
        .map(|i| i["kind"].as_str().expect("kind"))
        .collect();
    assert_eq!(kinds, ["aggregator", "unregistered"]);
    assert_eq!(r2["issuers"][0]["lines"].as_array().map(Vec::len), Some(2));
    let (again, _) = receipt(&o).await;
    assert_eq!(again["issuers"].as_array().map(Vec::len), Some(3));

    // A qualified invoice (適格請求書) for a business buyer: addressed to it, the same issuer
    // blocks as the receipt (the exempt seller's goods apart, under no number), each block's
    // tax once per rate. A missing or overlong recipient is refused, naming the field; the
    // buyer-facing signed link is not needed: staff issue it.
    let oid = s(&o["id"]);
    for bad in ["", &"あ".repeat(101)] {
        let r = app
            .get_as(
                &op,
                &format!("/api/v1/orders/{oid}/qualified-invoice?recipient={bad}"),
            )
            .await;
        let e = assert_error(r, 422, "validation_failed").await;
        assert!(
            e["error"]["details"]["fields"]["recipient"].is_string(),
            "{e}"
        );
    }
    let r = app
        .get_as(
            &op,
            &format!("/api/v1/orders/{oid}/qualified-invoice?recipient=竹富町役場"),
        )
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
    let inv: Value = r.json().await.expect("json");
    assert_eq!(inv["title"], "適格請求書");
    assert_eq!(inv["recipient"], "竹富町役場");
    assert_eq!(inv["receipt"]["issuers"], again["issuers"]);
    assert!(inv["receipt"]["issuers"][2]["registration_number"].is_null());
    assert!(
        inv["receipt"]["lines"]
            .as_array()
            .expect("lines")
            .iter()
            .all(|l| l["tax_rate"] == 8 || l["tax_rate"] == 10)
    );
    let (_, producer_token) = app.user_with_token(Role::Officer).await;
    assert_error(
        app.get_as(
            &producer_token,
            &format!("/api/v1/orders/{oid}/qualified-invoice?recipient=x"),
        )
        .await,
        403,
        "forbidden",
    )
    .await;
    let _ = (a, b_id);
}

db_test!(
    money_close,
    closing_a_period_writes_each_producers_statement
);
async fn closing_a_period_writes_each_producers_statement(b: Backend) {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
    let app = spawn_app(b).await;
    let g = goods(&app).await;
    let op = g.op.clone();
    let (_, fin) = app.user_with_token(Role::Finance).await;
    let fund = created(
        app.post_as(
            &fin,
            "/api/v1/community-funds",
            &json!({"name_ja": "竹富町まちづくり基金"}),
        )
        .await,
    )
    .await;
    for body in [
        json!({"fee_type": "commission", "position": 0, "basis": "percent", "rate_bp": 2000, "effective_from": "2026-01-01"}),
        json!({"fee_type": "packing", "position": 0, "basis": "per_parcel", "fixed_yen": 110, "effective_from": "2026-01-01"}),
        json!({"fee_type": "cool_chain", "position": 0, "basis": "per_parcel", "fixed_yen": 330, "effective_from": "2026-01-01"}),
        json!({"fee_type": "fund_share", "position": 0, "basis": "per_item", "fixed_yen": 10,
            "fund_id": fund["id"], "bearer": "producer", "effective_from": "2026-01-01"}),
    ] {
        created(app.post_as(&fin, "/api/v1/fee-rules", &body).await).await;
    }
    let o = crate::shop::order(&app, &gift_cart(&g, "bank_transfer"), "c-1").await;
    let id = s(&o["id"]);
    for (path, body) in [
        (format!("/api/v1/orders/{id}/mark-paid"), json!({})),
        (
            "/api/v1/fulfilment/pick-list".to_string(),
            json!({"order_ids": [id]}),
        ),
        (format!("/api/v1/orders/{id}/pack"), json!({})),
    ] {
        assert_eq!(app.post_as(&op, &path, &body).await.status(), 200, "{path}");
    }
    for (seq, number) in [(1, "223456789012"), (2, "223456789013")] {
        let r = app
            .put_as(
                &op,
                &format!("/api/v1/orders/{id}/parcels/{seq}/tracking"),
                &json!({"tracking_number": number}),
            )
            .await;
        assert_eq!(r.status(), 200);
    }
    // The parcels left in October (the sale books on the JST day each parcel left).
    let october = chrono::DateTime::parse_from_rfc3339("2026-10-15T03:00:00Z")
        .expect("time")
        .with_timezone(&chrono::Utc);
    let oid = uuid::Uuid::parse_str(&id).expect("uuid");
    entity::parcel::Entity::update_many()
        .col_expr(entity::parcel::Column::ShippedAt, Expr::value(october))
        .filter(entity::parcel::Column::OrderId.eq(oid))
        .exec(app.db())
        .await
        .expect("backdate parcels");
    entity::shop_order::Entity::update_many()
        .col_expr(entity::shop_order::Column::ShippedAt, Expr::value(october))
        .filter(entity::shop_order::Column::Id.eq(oid))
        .exec(app.db())
        .await
        .expect("backdate order");
    app.run_pending_jobs().await;

    let periods: Value = app
        .get_as(&fin, "/api/v1/periods")
        .await
        .json()
        .await
        .expect("json");
    let find = |starts: &str| -> String {
        periods["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|p| p["starts_on"] == starts)
            .map(|p| s(&p["id"]))
            .unwrap_or_else(|| panic!("period {starts} in {periods}"))
    };
    let (oct, dec) = (find("2026-10-01"), find("2026-12-01"));
    // Not before its end; not with an earlier period open; only by finance.
    assert_error(
        app.post_as(&fin, &format!("/api/v1/periods/{dec}/close"), &json!({}))
            .await,
        409,
        "period_not_ended",
    )
    .await;
    assert_error(
        app.post_as(&op, &format!("/api/v1/periods/{oct}/close"), &json!({}))
            .await,
        403,
        "forbidden",
    )
    .await;
    let r = app
        .post_as(&fin, &format!("/api/v1/periods/{oct}/close"), &json!({}))
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
    let closed: Value = r.json().await.expect("json");
    assert_eq!(closed["statements"], 3);
    assert_eq!(
        closed["payable_total"],
        (1296 - 259 - 60 - 20) + (1620 - 324 - 110 - 330 - 30) + (1080 - 216 - 50 - 10)
    );
    assert_error(
        app.post_as(&fin, &format!("/api/v1/periods/{oct}/close"), &json!({}))
            .await,
        409,
        "period_closed",
    )
    .await;
    // November now exists, ended and empty: it closes with no statement; December has not ended.
    let nov = s(&closed["next_period_id"]);
    let r: Value = app
        .post_as(&fin, &format!("/api/v1/periods/{nov}/close"), &json!({}))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(r["statements"], 0);

    // A's statement, worked out by hand: 2 × 648 at 8 % (tax once: ⌊1,296 × 8 / 108⌋ = 96),
    // charges 259 + 60 = 319 with their tax once (⌊319 × 10 / 110⌋ = 29), 20 yen to the fund.
    let list: Value = app
        .get_as(&fin, &format!("/api/v1/statements?period_id={oct}"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(list["items"].as_array().map(Vec::len), Some(3));
    let pa_id = o["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .find(|l| l["sku_id"] == g.chinsuko.as_str())
        .map(|l| s(&l["producer_id"]))
        .expect("A");
    let st = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|s| s["producer_id"] == pa_id.as_str())
        .expect("A's statement")
        .clone();
    assert_eq!(st["sales8"], 1296);
    assert_eq!(st["tax8"], 96);
    assert_eq!(st["sales10"], 0);
    assert_eq!(st["charges_total"], 319);
    assert_eq!(st["charges_tax10"], 29);
    assert_eq!(st["fund_share"], 20);
    assert_eq!(st["opening_balance"], 0);
    assert_eq!(st["net_payable"], 1296 - 319 - 20);
    assert_eq!(st["producer_name"], "比嘉農園");
    assert_eq!(st["aggregator_invoice_number"], "T7120001168421");
    assert_eq!(
        st["intermediary"], true,
        "registered and notified: the statement is the copy"
    );
    // The charges' tax is now tax payable; the ledger still balances.
    let tb: Value = app
        .get_as(
            &fin,
            &format!("/api/v1/ledger/trial-balance?period_id={oct}"),
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(tb["balanced"], true);
    let charges_tax: i64 = list["items"]
        .as_array()
        .expect("i")
        .iter()
        .map(|s| s["charges_tax10"].as_i64().expect("t"))
        .sum();
    assert_eq!(account_net(&tb, "revenue.consumption_tax"), charges_tax);

    // The statement's lines: every sale and charge of A in October.
    let sid = s(&st["id"]);
    let d: Value = app
        .get_as(&fin, &format!("/api/v1/statements/{sid}"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(d["sales"].as_array().map(Vec::len), Some(1));
    assert_eq!(d["sales"][0]["date"], "2026-10-15");
    assert_eq!(d["sales"][0]["order_number"], o["number"]);
    assert_eq!(d["charges"].as_array().map(Vec::len), Some(3));
    assert_eq!(d["sales"][0]["channel"], "自社ショップ");
    assert_eq!(
        d["by_channel"],
        json!([{"channel": "自社ショップ", "sales": 1296, "returns": 0}])
    );
    // Producers see their own statements only; operators none.
    let mine: Value = app
        .get_as(&g.producers[0], "/api/v1/statements")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(mine["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(mine["items"][0]["id"], st["id"]);
    assert_error(
        app.get_as(&g.producers[1], &format!("/api/v1/statements/{sid}"))
            .await,
        404,
        "not_found",
    )
    .await;
    assert_error(
        app.get_as(&op, "/api/v1/statements").await,
        403,
        "forbidden",
    )
    .await;
    // CSV in Shift_JIS: the producer's name in kanji, each line, the totals.
    let r = app
        .get_as(
            &g.producers[0],
            &format!("/api/v1/statements/{sid}/csv?encoding=shift_jis"),
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/csv; charset=Shift_JIS");
    let bytes = r.bytes().await.expect("bytes");
    let (text, _, bad) = encoding_rs::SHIFT_JIS.decode(&bytes);
    assert!(!bad);
    for want in [
        "委託販売精算書",
        "比嘉農園",
        "黒糖ちんすこう",
        "差引支払額",
        "957",
    ] {
        assert!(text.contains(want), "{want} in {text}");
    }
    assert_error(
        app.get_as(
            &fin,
            &format!("/api/v1/statements/{sid}/csv?encoding=latin1"),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;

    // The PDF: every line, the tax per rate and the producer's name in kanji, read back; the
    // Japanese font embedded (subset) so it prints anywhere.
    let r = app
        .get_as(&g.producers[0], &format!("/api/v1/statements/{sid}/pdf"))
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
    assert_eq!(r.headers()["content-type"], "application/pdf");
    let bytes = r.bytes().await.expect("bytes");
    let pdf = lopdf::Document::load_mem(&bytes).expect("a PDF");
    let pages: Vec<u32> = pdf.get_pages().keys().copied().collect();
    let text: String = pdf_text(&pdf, &pages)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    for want in [
        "委託販売精算書",
        "比嘉農園",
        "T7120001168421",
        "黒糖ちんすこう※",
        "2点×648円",
        "8%対象※売上1,296円（うち消費税96円）",
        "自社ショップ売上1,296円返品0円",
        "手数料合計319円（10%対象、うち消費税29円）",
        "地域基金への拠出20円",
        "差引お支払額957円",
        "媒介者交付特例",
    ] {
        assert!(text.contains(want), "{want} in {text}");
    }
    let descriptors: Vec<&lopdf::Dictionary> = pdf
        .objects
        .values()
        .filter_map(|o| o.as_dict().ok())
        .filter(|d| {
            d.get(b"Type")
                .and_then(|t| t.as_name())
                .is_ok_and(|n| n == b"FontDescriptor")
        })
        .collect();
    assert!(!descriptors.is_empty(), "a font is described");
    for d in descriptors {
        assert!(
            d.has(b"FontFile2") || d.has(b"FontFile3"),
            "every font is embedded: {d:?}"
        );
    }
    assert_error(
        app.get_as(&g.producers[1], &format!("/api/v1/statements/{sid}/pdf"))
            .await,
        404,
        "not_found",
    )
    .await;

    // A return after the close books into the open period, not the closed one.
    let line = o["lines"]
        .as_array()
        .expect("l")
        .iter()
        .find(|l| l["sku_id"] == g.chinsuko.as_str())
        .map(|l| s(&l["id"]))
        .expect("line");
    let r = reqwest::Client::new()
        .post(app.url(&format!("/api/v1/orders/{id}/returns")))
        .bearer_auth(&op)
        .header("idempotency-key", "c-r1")
        .json(&json!({"reason": "割れ", "lines": [{"line_id": line, "qty": 1, "disposition": "restock"}]}))
        .send()
        .await
        .expect("return");
    assert_eq!(r.status(), 201);
    app.run_pending_jobs().await;
    let oct_after: Value = app
        .get_as(
            &fin,
            &format!("/api/v1/ledger/trial-balance?period_id={oct}"),
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        oct_after["total_debit"], tb["total_debit"],
        "nothing more in October"
    );
    let dec_tb: Value = app
        .get_as(
            &fin,
            &format!("/api/v1/ledger/trial-balance?period_id={dec}"),
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(account_net(&dec_tb, "refunds_owed"), -648);
}

/// The text of `pages` of `pdf`, read through its fonts' ToUnicode maps (two-byte glyph codes
/// of the shown strings mapped back to characters), one line per text run.
fn pdf_text(pdf: &lopdf::Document, pages: &[u32]) -> String {
    use lopdf::Object;
    // Every font's ToUnicode map (the statement uses one font).
    let mut map: std::collections::HashMap<u16, String> = std::collections::HashMap::new();
    for o in pdf.objects.values() {
        let Ok(d) = o.as_dict() else { continue };
        let Ok(Object::Reference(id)) = d.get(b"ToUnicode") else {
            continue;
        };
        let stream = pdf
            .get_object(*id)
            .and_then(Object::as_stream)
            .expect("ToUnicode stream");
        // Not every stream is compressed.
        let bytes = stream
            .decompressed_content()
            .unwrap_or_else(|_| stream.content.clone());
        let cmap = String::from_utf8_lossy(&bytes).to_string();
        let hex = |h: &str| -> Vec<u16> {
            (0..h.len() / 4)
                .filter_map(|i| u16::from_str_radix(&h[i * 4..i * 4 + 4], 16).ok())
                .collect()
        };
        let mut inside = false;
        for line in cmap.lines() {
            if line.ends_with("beginbfchar") {
                inside = true;
            } else if line == "endbfchar" {
                inside = false;
            } else if inside {
                let parts: Vec<&str> = line
                    .split(['<', '>', ' '])
                    .filter(|p| !p.is_empty())
                    .collect();
                if let [glyph, unicode] = parts[..]
                    && let Some(g) = hex(glyph).first()
                {
                    map.insert(*g, String::from_utf16_lossy(&hex(unicode)));
                }
            }
        }
    }
    assert!(!map.is_empty(), "the font has a ToUnicode map");
    let all = pdf.get_pages();
    let mut out = String::new();
    for n in pages {
        let content = pdf.get_page_content(all[n]).expect("content");
        let ops = lopdf::content::Content::decode(&content).expect("operations");
        let show = |bytes: &[u8], out: &mut String| {
            for pair in bytes.chunks(2) {
                if let [a, b] = pair {
                    out.push_str(
                        map.get(&u16::from_be_bytes([*a, *b]))
                            .map_or("\u{fffd}", String::as_str),
                    );
                }
            }
        };
        for op in ops.operations {
            match op.operator.as_str() {
                "Tj" => {
                    if let Some(Object::String(b, _)) = op.operands.first() {
                        show(b, &mut out);
                    }
                    out.push('\n');
                }
                "TJ" => {
                    if let Some(Object::Array(items)) = op.operands.first() {
                        for i in items {
                            if let Object::String(b, _) = i {
                                show(b, &mut out);
                            }
                        }
                    }
                    out.push('\n');
                }
                _ => {}
            }
        }
    }
    out
}

db_test!(
    money_losses,
    losses_credit_producers_and_are_listed_on_statements
);
async fn losses_credit_producers_and_are_listed_on_statements(b: Backend) {
    use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
    let app = spawn_app(b).await;
    let g = goods(&app).await;
    let (_, fin) = app.user_with_token(Role::Finance).await;
    created(
        app.post_as(
            &fin,
            "/api/v1/fee-rules",
            &json!({"fee_type": "commission", "position": 0, "basis": "percent", "rate_bp": 2000,
                    "effective_from": "2026-01-01"}),
        )
        .await,
    )
    .await;
    let sku = uuid::Uuid::parse_str(&g.chinsuko).expect("sku");
    let lot = entity::stock_lot::Entity::find()
        .filter(entity::stock_lot::Column::SkuId.eq(sku))
        .one(app.db())
        .await
        .expect("q")
        .expect("lot");
    // 648 yen each: two lost in the warehouse (the aggregator bears it), one broken by the
    // carrier, one the producer bears.
    for (qty, bearer) in [(-2, "aggregator"), (-1, "carrier"), (-1, "producer")] {
        let r = app
            .post_as(
                &g.op,
                "/api/v1/stock/adjustments",
                &json!({"lot_id": lot.id, "kind": "damage", "qty_delta": qty,
                        "reason": "棚から落下", "loss_bearer": bearer}),
            )
            .await;
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    }
    // Recorded on the day; moved into October so that period can be closed and read.
    for table in ["job", "domain_event"] {
        app.db()
            .execute_unprepared(&format!(
                "UPDATE {table} SET payload = REPLACE(payload, '\"lost_on\":\"{}\"', '\"lost_on\":\"2026-10-20\"')",
                yuimaru::core::today_jst()
            ))
            .await
            .expect("backdate");
    }
    app.run_pending_jobs().await;
    app.run_pending_jobs().await;
    let tb: Value = app
        .get_as(&fin, "/api/v1/ledger/trial-balance")
        .await
        .json()
        .await
        .expect("json");
    let pa = lot.producer_id.to_string();
    // 2 × 648 = 1,296 less 20 % (259) = 1,037; 648 less 129 = 519; the producer's own loss 0.
    assert_eq!(payable(&tb, &pa), 1_037 + 519, "{tb}");
    assert_eq!(account_net(&tb, "expense.loss"), 1_037);
    assert_eq!(account_net(&tb, "receivable.carrier_claim"), 519);
    assert_eq!(tb["balanced"], true);
    // A replayed event credits nothing twice.
    assert_eq!(app.count("SELECT COUNT(*) FROM stock_loss").await, 3);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM ledger_transaction WHERE kind = 'loss_credit'")
            .await,
        2
    );
    let periods: Value = app
        .get_as(&fin, "/api/v1/periods")
        .await
        .json()
        .await
        .expect("json");
    let oct = periods["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|p| p["starts_on"] == "2026-10-01")
        .map(|p| s(&p["id"]))
        .expect("october");
    let r = app
        .post_as(&fin, &format!("/api/v1/periods/{oct}/close"), &json!({}))
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
    let list: Value = app
        .get_as(&fin, &format!("/api/v1/statements?period_id={oct}"))
        .await
        .json()
        .await
        .expect("json");
    let st = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|x| x["producer_id"] == pa.as_str())
        .expect("the producer's statement")
        .clone();
    assert_eq!(st["net_payable"], 1_556);
    let d: Value = app
        .get_as(&fin, &format!("/api/v1/statements/{}", s(&st["id"])))
        .await
        .json()
        .await
        .expect("json");
    let losses = d["losses"].as_array().expect("losses");
    assert_eq!(losses.len(), 3, "{d}");
    let credit = |bearer: &str| {
        losses
            .iter()
            .find(|l| l["bearer"] == bearer)
            .map(|l| l["credit"].as_i64().unwrap_or(-1))
    };
    assert_eq!(credit("aggregator"), Some(1_037));
    assert_eq!(credit("carrier"), Some(519));
    assert_eq!(credit("producer"), Some(0), "listed, no money");
    let csv = app
        .get_as(&fin, &format!("/api/v1/statements/{}/csv", s(&st["id"])))
        .await
        .text()
        .await
        .expect("csv");
    assert!(csv.contains("損失,2026-10-20,受託者負担（補償）"), "{csv}");
    assert!(csv.contains("生産者負担"), "{csv}");
    let pdf = app
        .get_as(&fin, &format!("/api/v1/statements/{}/pdf", s(&st["id"])))
        .await;
    assert_eq!(pdf.status(), 200);
    let doc = lopdf::Document::load_mem(&pdf.bytes().await.expect("pdf")).expect("pdf parses");
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    let text = pdf_text(&doc, &pages);
    assert!(
        text.contains("在庫の損失") && text.contains("運送会社負担"),
        "{text}"
    );
}

/// Hub fees on stock: inbound handling per shipment line when it is received, storage per
/// lot-day at close (each day at the rule in force that day); the close's job renders each
/// statement's PDF once, in the producer's language, keeps it and mails it attached.
async fn hub_fees_and_statement_pdfs_by_job(b: Backend) {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
    let app = spawn_app(b).await;
    let op = crate::shop::open_shop(&app).await;
    let (_, fin) = app.user_with_token(Role::Finance).await;
    // Hub stock fees refuse what stock has no part in, naming the field.
    let r = app
        .post_as(
            &fin,
            "/api/v1/fee-rules",
            &json!({"fee_type": "storage", "position": 0, "basis": "per_lot_day", "fixed_yen": 3,
                    "channel_scope": "shop", "payment_method": "card"}),
        )
        .await;
    let v = assert_error(r, 422, "validation_failed").await;
    for f in ["channel_scope", "payment_method"] {
        assert!(v["error"]["details"]["fields"][f].is_string(), "{f}: {v}");
    }
    let r = app
        .post_as(
            &fin,
            "/api/v1/fee-rules",
            &json!({"fee_type": "storage", "position": 0, "basis": "per_item", "fixed_yen": 3}),
        )
        .await;
    let v = assert_error(r, 422, "validation_failed").await;
    assert!(v["error"]["details"]["fields"]["basis"].is_string(), "{v}");
    let storage = created(
        app.post_as(
            &fin,
            "/api/v1/fee-rules",
            &json!({"fee_type": "storage", "position": 0, "basis": "per_lot_day", "fixed_yen": 3,
                    "effective_from": "2026-01-01"}),
        )
        .await,
    )
    .await;
    created(
        app.post_as(
            &fin,
            "/api/v1/fee-rules",
            &json!({"fee_type": "inbound_handling", "position": 0, "basis": "per_line",
                    "fixed_yen": 55, "effective_from": "2026-01-01"}),
        )
        .await,
    )
    .await;
    let (pid, _, pt) = crate::producers::approved_producer(&app, &op).await;
    let (_, sku) = crate::shop::stocked_sku(&app, &op, &pt, json!({}), 1080, 10).await;
    app.run_pending_jobs().await;
    // Received: one line, 55 yen out of the payable into the hub's revenue.
    let txs: Value = app
        .get_as(
            &fin,
            &format!("/api/v1/ledger/transactions?producer_id={pid}"),
        )
        .await
        .json()
        .await
        .expect("json");
    let hub: Vec<&Value> = txs["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|t| t["kind"] == "hub_fee")
        .collect();
    assert_eq!(hub.len(), 1, "{txs}");
    let entries = hub[0]["entries"].as_array().expect("entries");
    let sum = |code: &str, side: &str| -> i64 {
        entries
            .iter()
            .filter(|e| e["code"] == code)
            .map(|e| e[side].as_i64().unwrap_or(0))
            .sum()
    };
    assert_eq!(sum("revenue.inbound_handling", "credit"), 55);
    // A payable of zero is not taken below zero: the fee is owed back (a clawback).
    assert_eq!(
        sum("producer_payable", "debit") - sum("producer_payable", "credit"),
        0
    );
    assert_eq!(sum("producer_clawback", "debit"), 55);

    // The lot came in on 20 October (JST) and is still there: October closes with 12
    // lot-days × 3 yen; November with 15 days at 3 and, after the rule changed on the 16th,
    // 15 days at 5.
    let oct20 = chrono::DateTime::parse_from_rfc3339("2026-10-20T01:00:00Z")
        .expect("time")
        .with_timezone(&chrono::Utc);
    let sku_id = uuid::Uuid::parse_str(&sku).expect("uuid");
    entity::stock_movement::Entity::update_many()
        .col_expr(
            entity::stock_movement::Column::CreatedAt,
            Expr::value(oct20),
        )
        .filter(entity::stock_movement::Column::SkuId.eq(sku_id))
        .exec(app.db())
        .await
        .expect("backdate stock");
    let agg = app.default_aggregator().await;
    let oct = uuid::Uuid::now_v7();
    entity::settlement_period::Entity::insert(entity::settlement_period::ActiveModel {
        id: sea_orm::ActiveValue::Set(oct),
        aggregator_id: sea_orm::ActiveValue::Set(agg),
        starts_on: sea_orm::ActiveValue::Set(
            chrono::NaiveDate::from_ymd_opt(2026, 10, 1).expect("d"),
        ),
        ends_on: sea_orm::ActiveValue::Set(
            chrono::NaiveDate::from_ymd_opt(2026, 10, 31).expect("d"),
        ),
        status: sea_orm::ActiveValue::Set("open".into()),
        closed_at: sea_orm::ActiveValue::Set(None),
        closed_by: sea_orm::ActiveValue::Set(None),
        created_at: sea_orm::ActiveValue::Set(chrono::Utc::now()),
    })
    .exec_without_returning(app.db())
    .await
    .expect("october");
    let body = json!({"fee_type": "storage", "position": 0, "basis": "per_lot_day",
                      "fixed_yen": 5, "effective_from": "2026-11-16"});
    let r = app
        .put_as(
            &fin,
            &format!("/api/v1/fee-rules/{}", s(&storage["id"])),
            &body,
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    // The producer reads English: its statement PDF is rendered in English.
    entity::producer::Entity::update_many()
        .col_expr(entity::producer::Column::Locale, Expr::value("en"))
        .filter(entity::producer::Column::Id.eq(uuid::Uuid::parse_str(&pid).expect("uuid")))
        .exec(app.db())
        .await
        .expect("locale");
    let closed: Value = app
        .post_as(&fin, &format!("/api/v1/periods/{oct}/close"), &json!({}))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(closed["statements"], 1, "{closed}");
    let nov = s(&closed["next_period_id"]);
    let closed_nov: Value = app
        .post_as(&fin, &format!("/api/v1/periods/{nov}/close"), &json!({}))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(closed_nov["statements"], 1, "{closed_nov}");
    let charges_of = async |period: &str| -> (String, Vec<(String, String, i64)>) {
        let list: Value = app
            .get_as(&fin, &format!("/api/v1/statements?period_id={period}"))
            .await
            .json()
            .await
            .expect("json");
        let id = s(&list["items"][0]["id"]);
        let d: Value = app
            .get_as(&fin, &format!("/api/v1/statements/{id}"))
            .await
            .json()
            .await
            .expect("json");
        let mut c: Vec<(String, String, i64)> = d["charges"]
            .as_array()
            .expect("charges")
            .iter()
            .map(|c| {
                (
                    s(&c["fee_type"]),
                    s(&c["subject"]),
                    c["amount"].as_i64().unwrap_or(0),
                )
            })
            .collect();
        c.sort();
        (id, c)
    };
    let (oct_statement, c) = charges_of(&oct.to_string()).await;
    assert_eq!(c.len(), 1, "{c:?}");
    assert_eq!((c[0].0.as_str(), c[0].2), ("storage", 36));
    assert!(c[0].1.ends_with(": 12 d"), "{c:?}");
    let (_, c) = charges_of(&nov).await;
    let amounts: Vec<i64> = c.iter().map(|c| c.2).collect();
    assert_eq!(amounts.iter().sum::<i64>(), 45 + 75, "{c:?}");
    assert!(c.iter().all(|c| c.0 == "storage"));

    // Nothing rendered yet: the jobs render each PDF once and mail it attached.
    assert_eq!(
        app.count("SELECT COUNT(*) FROM statement WHERE pdf_key IS NOT NULL")
            .await,
        0
    );
    app.run_pending_jobs().await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM statement WHERE pdf_key IS NOT NULL AND pdf_locale = 'en'")
            .await,
        2
    );
    let mails: Vec<_> = app
        .emails()
        .into_iter()
        .filter(|m| !m.attachments.is_empty())
        .collect();
    assert_eq!(mails.len(), 2, "one per statement, in the user's language");
    let attached = &mails
        .iter()
        .find(|m| m.text.contains("2026-10"))
        .expect("October's mail")
        .attachments;
    assert_eq!(attached.len(), 1);
    assert_eq!(attached[0].content_type, "application/pdf");
    assert!(attached[0].filename.ends_with(".pdf"));
    let r = app
        .get_as(&pt, &format!("/api/v1/statements/{oct_statement}/pdf"))
        .await;
    assert_eq!(r.status(), 200);
    let downloaded = r.bytes().await.expect("bytes").to_vec();
    assert_eq!(downloaded, attached[0].bytes, "the kept PDF, byte for byte");
    let pdf = lopdf::Document::load_mem(&downloaded).expect("a PDF");
    let pages: Vec<u32> = pdf.get_pages().keys().copied().collect();
    let text: String = pdf_text(&pdf, &pages)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    for want in [
        "Consignmentsalesstatement",
        "委託販売精算書",
        "storage",
        "Netpayable",
    ] {
        assert!(text.contains(want), "{want} in {text}");
    }
    // A rerun of the jobs renders and sends nothing again.
    let before = app.emails().len();
    entity::job::Entity::update_many()
        .col_expr(entity::job::Column::Status, Expr::value("queued"))
        .filter(entity::job::Column::Kind.eq("money.statement_pdfs"))
        .exec(app.db())
        .await
        .expect("requeue");
    app.run_pending_jobs().await;
    assert_eq!(app.emails().len(), before);
}
db_test!(
    hub_fees_and_statement_pdfs_by_job,
    hub_fees_and_statement_pdfs_by_job
);

/// One op of a money history: a sale of `qty` of producer `p`'s goods, a return of `qty` of
/// an earlier sale, a unit lost in the warehouse (the aggregator bears it), or the commission
/// rule revised to `bp`.
#[derive(Debug, Clone)]
enum MoneyOp {
    Sale { p: usize, qty: i64 },
    Return { sale: usize, qty: i64 },
    Loss { p: usize },
    Commission { bp: i32 },
}

fn any_money_history() -> impl proptest::strategy::Strategy<Value = (i32, Vec<MoneyOp>)> {
    use proptest::prelude::*;
    let op = prop_oneof![
        4 => (0usize..2, 1i64..4).prop_map(|(p, qty)| MoneyOp::Sale { p, qty }),
        2 => (0usize..6, 1i64..3).prop_map(|(sale, qty)| MoneyOp::Return { sale, qty }),
        1 => (0usize..2).prop_map(|p| MoneyOp::Loss { p }),
        1 => (0i32..3_000).prop_map(|bp| MoneyOp::Commission { bp }),
    ];
    (0i32..3_000, proptest::collection::vec(op, 1..8))
}

/// Random histories of sales, returns, losses and commission-rule changes through the real
/// flows (orders placed, paid, packed and shipped over HTTP; returns received; stock
/// adjusted; the rule revised), each op on its own October day, then October closed, checked
/// against a model written here with plain arithmetic: each statement's sale and return
/// lines, its totals and tax once per rate, its charges and their tax, its net payable; every
/// payable in the trial balance, none below zero and no clawback; every transaction balanced.
#[test]
fn histories_of_sales_returns_losses_and_rule_changes_match_a_model() {
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
        .run(&any_money_history(), |(bp, ops)| {
            rt.block_on(money_history_case(bp, ops));
            Ok(())
        })
        .expect("property holds");
}

/// A sale in the model.
struct ModelSale {
    p: usize,
    order: String,
    line: String,
    qty: i64,
    returned: i64,
    commission: i64,
}

async fn money_history_case(first_bp: i32, ops: Vec<MoneyOp>) {
    use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, sea_query::Expr};
    let app = spawn_app(Backend::Sqlite).await;
    let op = crate::shop::open_shop(&app).await;
    let (_, fin) = app.user_with_token(Role::Finance).await;
    let mut rule = created(
        app.post_as(
            &fin,
            "/api/v1/fee-rules",
            &json!({"fee_type": "commission", "position": 0, "basis": "percent",
                    "rate_bp": first_bp, "effective_from": "2026-01-01"}),
        )
        .await,
    )
    .await;
    // Producer 0 sells food at 8 %, producer 1 crafts at 10 %.
    let price = [1_080i64, 1_100];
    let rate = [8i64, 10];
    let mut pids = Vec::new();
    let mut skus = Vec::new();
    for (i, extra) in [
        json!({}),
        json!({"title_ja": "琉球ガラスのグラス", "category_code": "crafts", "tax_rate": 10}),
    ]
    .into_iter()
    .enumerate()
    {
        let (pid, _, pt) = crate::producers::approved_producer(&app, &op).await;
        let (_, sku) = crate::shop::stocked_sku(&app, &op, &pt, extra, price[i], 40).await;
        pids.push(pid);
        skus.push(sku);
    }
    app.run_pending_jobs().await;
    let at = |day: usize| {
        chrono::DateTime::parse_from_rfc3339(&format!("2026-10-{:02}T03:00:00Z", day + 1))
            .expect("time")
            .with_timezone(&chrono::Utc)
    };
    let commission = |amount: i64, bp: i32| amount * i64::from(bp) / 10_000;
    let part = |charge: i64, qty: i64, q: i64| charge * q / qty;
    let mut bp = first_bp;
    let mut owed = [0i64; 2];
    let mut sales: Vec<ModelSale> = Vec::new();
    // Per producer: sales and returns by rate, charges.
    let mut sold = [0i64; 2];
    let mut back = [0i64; 2];
    let mut charged = [0i64; 2];
    let mut lines_sold = [0usize; 2];
    let mut lines_back = [0usize; 2];
    for (day, o) in ops.iter().enumerate() {
        match o {
            MoneyOp::Sale { p, qty } => {
                let body =
                    crate::shop::cart(json!([{"sku_id": skus[*p], "qty": qty}]), "bank_transfer");
                let placed = crate::shop::order(&app, &body, &format!("h-{day}")).await;
                let id = s(&placed["id"]);
                for (path, body) in [
                    (format!("/api/v1/orders/{id}/mark-paid"), json!({})),
                    (
                        "/api/v1/fulfilment/pick-list".to_string(),
                        json!({"order_ids": [id]}),
                    ),
                    (format!("/api/v1/orders/{id}/pack"), json!({})),
                ] {
                    assert_eq!(app.post_as(&op, &path, &body).await.status(), 200, "{path}");
                }
                let r = app
                    .put_as(
                        &op,
                        &format!("/api/v1/orders/{id}/parcels/1/tracking"),
                        &json!({"tracking_number": format!("2234567{day:05}")}),
                    )
                    .await;
                assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
                let oid = uuid::Uuid::parse_str(&id).expect("uuid");
                entity::parcel::Entity::update_many()
                    .col_expr(entity::parcel::Column::ShippedAt, Expr::value(at(day)))
                    .filter(entity::parcel::Column::OrderId.eq(oid))
                    .exec(app.db())
                    .await
                    .expect("backdate parcel");
                entity::shop_order::Entity::update_many()
                    .col_expr(entity::shop_order::Column::ShippedAt, Expr::value(at(day)))
                    .filter(entity::shop_order::Column::Id.eq(oid))
                    .exec(app.db())
                    .await
                    .expect("backdate order");
                let amount = qty * price[*p];
                let c = commission(amount, bp);
                owed[*p] += amount - c;
                sold[*p] += amount;
                charged[*p] += c;
                lines_sold[*p] += 1;
                sales.push(ModelSale {
                    p: *p,
                    order: id,
                    line: s(&placed["lines"][0]["id"]),
                    qty: *qty,
                    returned: 0,
                    commission: c,
                });
            }
            MoneyOp::Return { sale, qty } => {
                if sales.is_empty() {
                    continue;
                }
                let k = sale % sales.len();
                let m = &mut sales[k];
                let n = (*qty).min(m.qty - m.returned);
                if n == 0 {
                    continue;
                }
                let r = client()
                    .post(app.url(&format!("/api/v1/orders/{}/returns", m.order)))
                    .bearer_auth(&op)
                    .header("idempotency-key", format!("h-ret-{day}"))
                    .json(&json!({"reason": "破損", "lines": [{"line_id": m.line, "qty": n, "disposition": "restock"}]}))
                    .send()
                    .await
                    .expect("return");
                assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
                entity::order_return::Entity::update_many()
                    .col_expr(
                        entity::order_return::Column::CreatedAt,
                        Expr::value(at(day)),
                    )
                    .filter(
                        entity::order_return::Column::OrderId
                            .eq(uuid::Uuid::parse_str(&m.order).expect("uuid")),
                    )
                    .filter(entity::order_return::Column::CreatedAt.gt(at(30)))
                    .exec(app.db())
                    .await
                    .expect("backdate return");
                let given = part(m.commission, m.qty, m.returned + n)
                    - part(m.commission, m.qty, m.returned);
                m.returned += n;
                let amount = n * price[m.p];
                owed[m.p] -= amount - given;
                back[m.p] += amount;
                charged[m.p] -= given;
                lines_back[m.p] += 1;
            }
            MoneyOp::Loss { p } => {
                let sku = uuid::Uuid::parse_str(&skus[*p]).expect("sku");
                let lot = entity::stock_lot::Entity::find()
                    .filter(entity::stock_lot::Column::SkuId.eq(sku))
                    .one(app.db())
                    .await
                    .expect("q")
                    .expect("lot");
                let r = app
                    .post_as(
                        &op,
                        "/api/v1/stock/adjustments",
                        &json!({"lot_id": lot.id, "kind": "damage", "qty_delta": -1,
                                "reason": "棚から落下", "loss_bearer": "aggregator"}),
                    )
                    .await;
                assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
                for table in ["job", "domain_event"] {
                    app.db()
                        .execute_unprepared(&format!(
                            "UPDATE {table} SET payload = REPLACE(payload, '\"lost_on\":\"{}\"', '\"lost_on\":\"2026-10-{:02}\"')",
                            yuimaru::core::today_jst(),
                            day + 1
                        ))
                        .await
                        .expect("backdate loss");
                }
                owed[*p] += price[*p] - commission(price[*p], bp);
            }
            MoneyOp::Commission { bp: next } => {
                let r = app
                    .put_as(
                        &fin,
                        &format!("/api/v1/fee-rules/{}", s(&rule["id"])),
                        &json!({"fee_type": "commission", "position": 0, "basis": "percent",
                                "rate_bp": next, "effective_from": format!("2026-10-{:02}", day + 1)}),
                    )
                    .await;
                rule = created(r).await;
                bp = *next;
            }
        }
        app.run_pending_jobs().await;
    }
    // October closes; each producer with sales or losses has a statement equal to the model.
    let periods: Value = app
        .get_as(&fin, "/api/v1/periods")
        .await
        .json()
        .await
        .expect("json");
    let Some(oct) = periods["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|q| q["starts_on"] == "2026-10-01")
        .map(|q| s(&q["id"]))
    else {
        assert!(
            !ops.iter()
                .any(|o| matches!(o, MoneyOp::Sale { .. } | MoneyOp::Loss { .. })),
            "October exists once anything is booked in it: {ops:?}"
        );
        return;
    };
    let r = app
        .post_as(&fin, &format!("/api/v1/periods/{oct}/close"), &json!({}))
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
    let list: Value = app
        .get_as(&fin, &format!("/api/v1/statements?period_id={oct}"))
        .await
        .json()
        .await
        .expect("json");
    let items = list["items"].as_array().expect("items");
    let tax = |sum: i64, r: i64| sum * r / (100 + r);
    for p in 0..2 {
        let active = lines_sold[p] > 0
            || ops
                .iter()
                .any(|o| matches!(o, MoneyOp::Loss { p: q } if *q == p));
        let st = items.iter().find(|x| x["producer_id"] == pids[p].as_str());
        assert_eq!(st.is_some(), active, "statement of {p}: {ops:?}");
        let Some(st) = st else { continue };
        let (sales_key, tax_key, ret_key) = if rate[p] == 8 {
            ("sales8", "tax8", "returns8")
        } else {
            ("sales10", "tax10", "returns10")
        };
        assert_eq!(st[sales_key], sold[p], "sales of {p}: {ops:?}");
        assert_eq!(
            st[tax_key],
            tax(sold[p], rate[p]),
            "tax once per rate, {p}: {ops:?}"
        );
        assert_eq!(st[ret_key], back[p], "returns of {p}: {ops:?}");
        assert_eq!(st["charges_total"], charged[p], "charges of {p}: {ops:?}");
        assert_eq!(
            st["charges_tax10"],
            tax(charged[p].max(0), 10),
            "charges' tax, {p}: {ops:?}"
        );
        assert_eq!(st["net_payable"], owed[p], "net of {p}: {ops:?}");
        let d: Value = app
            .get_as(&fin, &format!("/api/v1/statements/{}", s(&st["id"])))
            .await
            .json()
            .await
            .expect("json");
        assert_eq!(
            d["sales"].as_array().map(Vec::len),
            Some(lines_sold[p]),
            "{ops:?}"
        );
        assert_eq!(
            d["returns"].as_array().map(Vec::len),
            Some(lines_back[p]),
            "{ops:?}"
        );
        let line_sum: i64 = d["sales"]
            .as_array()
            .expect("sales")
            .iter()
            .map(|l| l["amount"].as_i64().unwrap_or(0))
            .sum();
        assert_eq!(line_sum, sold[p], "the lines add up to the total: {ops:?}");
    }
    let tb: Value = app
        .get_as(&fin, "/api/v1/ledger/trial-balance")
        .await
        .json()
        .await
        .expect("json");
    for p in 0..2 {
        assert_eq!(payable(&tb, &pids[p]), owed[p], "payable of {p}: {ops:?}");
        assert!(owed[p] >= 0);
    }
    assert_eq!(account_net(&tb, "producer_clawback"), 0, "{ops:?}");
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
