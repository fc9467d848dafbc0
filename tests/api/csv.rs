//! Catalogue CSV import and export over HTTP.
use crate::{db_test, helpers::*, producers::approved_producer};
use serde_json::Value;
use yuimaru::http::actor::Role;

const HEADER: &str = "producer_id,title_ja,description_ja,category_code,temperature_class,shelf_life_days,allergens,ingredients,net_content,storage,sku_code,price_yen,weight_g,jan";

fn row(producer: &str, title: &str, sku: &str, price: &str, jan: &str) -> String {
    format!(
        "{producer},{title},島の味,sweets,ambient,30,wheat;egg,紅いも・小麦粉,6個,常温,{sku},{price},300,{jan}"
    )
}

async fn import(app: &TestApp, token: &str, body: Vec<u8>, query: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(app.url(&format!("/api/v1/products/import{query}")))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(body)
        .send()
        .await
        .expect("import")
}

async fn csv_import_is_all_or_nothing_and_reports_rows(b: Backend) {
    let app = spawn_app(b).await;
    let (_, op) = app.user_with_token(Role::Operator).await;
    let (pid, _, pt) = approved_producer(&app, &op).await;
    // UTF-8 with BOM, a bad JAN on line 3 and an unknown category on line 4.
    let mut csv = b"\xEF\xBB\xBF".to_vec();
    csv.extend_from_slice(
        format!(
            "{HEADER}\r\n{}\r\n{}\r\n{}\r\n",
            row(&pid, "紅いもタルト", "T-1", "1296", "4901234567894"),
            row(&pid, "黒糖", "T-2", "540", "4901234567890"),
            row(&pid, "ちんすこう", "T-3", "648", "").replace("sweets", "nothing"),
        )
        .as_bytes(),
    );
    let r = import(&app, &op, csv.clone(), "").await;
    let e = assert_error(r, 422, "import_failed").await;
    let rows = e["error"]["details"]["rows"]
        .as_array()
        .expect("rows")
        .clone();
    assert!(
        rows.iter().any(|r| r["row"] == 3 && r["column"] == "jan"),
        "{rows:?}"
    );
    assert!(
        rows.iter()
            .any(|r| r["row"] == 4 && r["column"] == "category_code"),
        "{rows:?}"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM product").await,
        0,
        "nothing imported"
    );
    // Partial import keeps the good row.
    let r = import(&app, &op, csv, "?partial=true").await;
    assert_eq!(r.status(), 200);
    let report: Value = r.json().await.expect("json");
    assert_eq!(report["imported"], 1);
    assert_eq!(report["failed"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM product WHERE status = 'draft'")
            .await,
        1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM sku WHERE code = 'T-1' AND jan = '4901234567894'")
            .await,
        1
    );
    // Shift_JIS, as Excel writes it on Japanese Windows.
    let sjis = encoding_rs::SHIFT_JIS
        .encode(&format!(
            "{HEADER}\r\n{}\r\n",
            row(&pid, "紅いも羊羹", "T-9", "980", "")
        ))
        .0
        .into_owned();
    assert!(std::str::from_utf8(&sjis).is_err());
    let r = import(&app, &op, sjis, "").await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM product WHERE title_ja = '紅いも羊羹'")
            .await,
        1
    );
    // The same SKU code again is a row error.
    let r = import(
        &app,
        &op,
        format!("{HEADER}\n{}\n", row(&pid, "x", "T-9", "1", "")).into_bytes(),
        "",
    )
    .await;
    let e = assert_error(r, 422, "import_failed").await;
    assert_eq!(e["error"]["details"]["rows"][0]["column"], "sku_code");
    // Unknown columns, producers and officers.
    let r = import(
        &app,
        &op,
        b"producer_id,title_ja,category_code,sku_code,price_yen,weight_g,colour\n".to_vec(),
        "",
    )
    .await;
    assert_error(r, 422, "validation_failed").await;
    let _ = &pt;
    let r = import(&app, &op, b"a".to_vec(), "?encoding=latin1").await;
    let e = assert_error(r, 422, "validation_failed").await;
    assert!(e["error"]["details"]["fields"]["encoding"].is_string());
}
db_test!(
    csv_import_is_all_or_nothing_unless_partial_and_names_row_and_column,
    csv_import_is_all_or_nothing_and_reports_rows
);

async fn producers_import_their_own_products_only(b: Backend) {
    let app = spawn_app(b).await;
    let (_, op) = app.user_with_token(Role::Operator).await;
    let (pid, _, pt) = approved_producer(&app, &op).await;
    let (other, _, _) = approved_producer(&app, &op).await;
    // Without a producer_id column the rows are the producer's own.
    let own_header = HEADER.trim_start_matches("producer_id,");
    let own_row = |title: &str, sku: &str| {
        row("", title, sku, "540", "")
            .trim_start_matches(',')
            .to_string()
    };
    let csv = format!("{own_header}\r\n{}\r\n", own_row("黒糖", "P-1"));
    let r = import(&app, &pt, csv.into_bytes(), "").await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
    assert_eq!(app.count("SELECT COUNT(*) FROM product").await, 1);
    let r = app.get_as(&pt, "/api/v1/products").await;
    let v: Value = r.json().await.expect("json");
    assert_eq!(v["items"][0]["producer_id"], pid.as_str(), "{v}");
    // Naming itself is fine; naming another producer is refused on that row, nothing stored.
    let csv = format!(
        "{HEADER}\r\n{}\r\n{}\r\n",
        row(&pid, "紅いもタルト", "P-2", "1296", ""),
        row(&other, "ちんすこう", "P-3", "648", ""),
    );
    let e = assert_error(
        import(&app, &pt, csv.into_bytes(), "").await,
        422,
        "import_failed",
    )
    .await;
    let rows = e["error"]["details"]["rows"]
        .as_array()
        .expect("rows")
        .clone();
    assert!(
        rows.iter()
            .any(|r| r["row"] == 3 && r["column"] == "producer_id"),
        "{rows:?}"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM product").await, 1);
    // Staff still must say whose products a file holds.
    let csv = format!("{own_header}\r\n{}\r\n", own_row("黒糖", "P-4"));
    let e = assert_error(
        import(&app, &op, csv.into_bytes(), "").await,
        422,
        "validation_failed",
    )
    .await;
    assert!(e["error"]["details"]["fields"]["file"].is_string(), "{e}");
    // ?producer_id on a producer's own lists: its own id is accepted, another's shows nothing.
    for path in ["/api/v1/inbound-shipments", "/api/v1/stock/movements"] {
        let r = app.get_as(&pt, &format!("{path}?producer_id={pid}")).await;
        assert_eq!(r.status(), 200, "{path}");
        let r = app
            .get_as(&pt, &format!("{path}?producer_id={other}"))
            .await;
        assert_eq!(r.status(), 200, "{path}");
        let v: Value = r.json().await.expect("json");
        assert_eq!(v["items"].as_array().map(Vec::len), Some(0), "{path}: {v}");
    }
}
db_test!(
    producer_csv_import_is_scoped_to_its_own_products,
    producers_import_their_own_products_only
);

async fn csv_export_opens_in_excel(b: Backend) {
    let app = spawn_app(b).await;
    let (_, op) = app.user_with_token(Role::Operator).await;
    let (pid, _, pt) = approved_producer(&app, &op).await;
    let r = import(
        &app,
        &op,
        format!(
            "{HEADER}\n{}\n",
            row(&pid, "紅いもタルト", "T-1", "1296", "")
        )
        .into_bytes(),
        "",
    )
    .await;
    assert_eq!(r.status(), 200);
    let r = app.get_as(&op, "/api/v1/products/export").await;
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap_or("")
            .starts_with("text/csv")
    );
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap_or("")
            .contains("attachment")
    );
    let bytes = r.bytes().await.expect("bytes");
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "UTF-8 with BOM");
    let text = std::str::from_utf8(&bytes[3..]).expect("utf-8");
    assert!(text.starts_with("producer_id,status,title_ja"));
    assert!(text.contains("紅いもタルト"));
    assert!(text.contains("\r\n"), "CRLF line ends");
    let r = app
        .get_as(&op, "/api/v1/products/export?encoding=shift_jis")
        .await;
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap_or("")
            .contains("Shift_JIS")
    );
    let bytes = r.bytes().await.expect("bytes");
    assert!(std::str::from_utf8(&bytes).is_err(), "not UTF-8");
    let (decoded, _, errors) = encoding_rs::SHIFT_JIS.decode(&bytes);
    assert!(!errors);
    assert!(decoded.contains("紅いもタルト"));
    // Producers export only their own catalogue.
    let (_, _, other) = approved_producer(&app, &op).await;
    let mine = app
        .get_as(&pt, "/api/v1/products/export")
        .await
        .bytes()
        .await
        .expect("bytes");
    let theirs = app
        .get_as(&other, "/api/v1/products/export")
        .await
        .bytes()
        .await
        .expect("bytes");
    assert!(
        std::str::from_utf8(&mine[3..])
            .unwrap_or("")
            .contains("紅いもタルト")
    );
    assert!(
        !std::str::from_utf8(&theirs[3..])
            .unwrap_or("")
            .contains("紅いもタルト")
    );
    let (_, officer) = app.user_with_token(Role::Officer).await;
    assert_error(
        app.get_as(&officer, "/api/v1/products/export").await,
        403,
        "forbidden",
    )
    .await;
}
db_test!(
    csv_export_is_utf8_with_bom_or_shift_jis_and_scoped,
    csv_export_opens_in_excel
);

async fn exports_escape_formulas_and_re_import(b: Backend) {
    let app = spawn_app(b).await;
    let (_, op) = app.user_with_token(Role::Operator).await;
    let (pid, _, _) = approved_producer(&app, &op).await;
    let r = import(
        &app,
        &op,
        format!(
            "{HEADER}\n{}\n",
            row(&pid, "=HYPERLINK(\"http://x\")", "F-1", "500", "")
        )
        .into_bytes(),
        "",
    )
    .await;
    assert_eq!(r.status(), 200);
    let bytes = app
        .get_as(&op, "/api/v1/products/export")
        .await
        .bytes()
        .await
        .expect("bytes");
    let text = String::from_utf8(bytes[3..].to_vec()).expect("utf-8");
    assert!(text.contains("'=HYPERLINK"), "formula escaped: {text}");
    // The export (with its status column) imports again; the escape is undone.
    let reimport = text.replace("F-1", "F-2");
    let r = import(&app, &op, reimport.into_bytes(), "").await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM product WHERE title_ja LIKE '=HYPERLINK%'")
            .await,
        2
    );
    // Out-of-range numbers are row errors, not wrapped values.
    let r = import(
        &app,
        &op,
        format!(
            "{HEADER},tax_rate\n{},65544\n",
            row(&pid, "x", "F-3", "500", "")
        )
        .into_bytes(),
        "",
    )
    .await;
    let e = assert_error(r, 422, "import_failed").await;
    assert_eq!(e["error"]["details"]["rows"][0]["column"], "tax_rate");
}
db_test!(
    exports_escape_spreadsheet_formulas_and_import_again,
    exports_escape_formulas_and_re_import
);
