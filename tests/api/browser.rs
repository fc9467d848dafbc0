//! A real headless Chromium (Debian chromium + chromium-driver) driven over WebDriver.
use crate::helpers::*;
use fantoccini::{Client, ClientBuilder, Locator};
use std::process::{Child, Command, Stdio};
use yuimaru::http::actor::Role;

/// A running chromedriver and a browser session; both end when dropped / closed.
pub struct Browser {
    pub client: Client,
    driver: Child,
    profile: std::path::PathBuf,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

fn find(bin: &[&str]) -> Option<String> {
    bin.iter()
        .find(|b| std::path::Path::new(b).exists())
        .map(|b| b.to_string())
}

/// Starts chromedriver and a headless Chromium, or `None` (with a note) when they are not
/// installed and `YUIMARU_TEST_REQUIRE_BROWSER` is not set.
pub async fn browser() -> Option<Browser> {
    let driver_bin = find(&["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]);
    let chrome_bin = find(&["/usr/bin/chromium", "/usr/lib/chromium/chromium"]);
    let (Some(driver_bin), Some(chrome_bin)) = (driver_bin, chrome_bin) else {
        if std::env::var("YUIMARU_TEST_REQUIRE_BROWSER").is_ok_and(|v| v == "1") {
            panic!("YUIMARU_TEST_REQUIRE_BROWSER=1 but chromium/chromedriver are not installed");
        }
        eprintln!("note: chromium/chromedriver not installed; browser test did not run");
        return None;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port");
    let driver = Command::new(driver_bin)
        .arg(format!("--port={port}"))
        .arg("--allowed-ips=127.0.0.1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let profile =
        std::env::temp_dir().join(format!("yuimaru-chrome-{}", uuid::Uuid::now_v7().simple()));
    let caps = serde_json::json!({
        "goog:chromeOptions": {
            "binary": chrome_bin,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=390,844",
                format!("--user-data-dir={}", profile.display())
            ]
        }
    });
    let caps = caps.as_object().cloned().unwrap_or_default();
    let mut last_err = None;
    for _ in 0..50 {
        // WebDriver on loopback is plain HTTP: no TLS stack needed.
        match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(client) => {
                return Some(Browser {
                    client,
                    driver,
                    profile,
                });
            }
            Err(e) => {
                last_err = Some(e);
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
        }
    }
    panic!("could not start a browser session: {last_err:?}");
}

/// Logs `user` in through the real login page.
pub async fn log_in(b: &Browser, app: &TestApp, user: &TestUser) {
    b.client.goto(&app.url("/login")).await.expect("goto");
    b.client
        .find(Locator::Id("email"))
        .await
        .expect("email")
        .send_keys(&user.email)
        .await
        .expect("type");
    b.client
        .find(Locator::Id("password"))
        .await
        .expect("pw")
        .send_keys(&user.password)
        .await
        .expect("type");
    b.client
        .find(Locator::Id("login-submit"))
        .await
        .expect("submit")
        .click()
        .await
        .expect("click");
    b.client
        .wait()
        .for_element(Locator::Id("who"))
        .await
        .expect("home page");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_logs_in_through_the_login_page_in_a_real_browser() {
    let Some(b) = browser().await else { return };
    let app = spawn_app(Backend::Sqlite).await;
    let user = app.create_user(Role::Operator, Some("default")).await;

    // A wrong password first: the message appears and the email stays filled in.
    b.client.goto(&app.url("/login")).await.expect("goto");
    b.client
        .find(Locator::Id("email"))
        .await
        .expect("email")
        .send_keys(&user.email)
        .await
        .expect("type");
    b.client
        .find(Locator::Id("password"))
        .await
        .expect("pw")
        .send_keys("not-the-password")
        .await
        .expect("type");
    b.client
        .find(Locator::Id("login-submit"))
        .await
        .expect("submit")
        .click()
        .await
        .expect("click");
    let err = b
        .client
        .wait()
        .for_element(Locator::Id("form-error"))
        .await
        .expect("error shown");
    assert!(
        err.text()
            .await
            .expect("text")
            .contains("パスワードが違います")
    );
    let kept = b
        .client
        .find(Locator::Id("email"))
        .await
        .expect("email")
        .prop("value")
        .await
        .expect("value");
    assert_eq!(kept.as_deref(), Some(user.email.as_str()));
    let shot = b.client.screenshot().await.expect("screenshot");
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(dir.join("login-error.png"), shot).expect("write screenshot");

    // Then the right one, through the shared helper.
    log_in(&b, &app, &user).await;
    let who = b
        .client
        .find(Locator::Id("who"))
        .await
        .expect("who")
        .text()
        .await
        .expect("text");
    assert_eq!(who, user.email);

    // Switch to English and log out with the header's form.
    b.client
        .find(Locator::Id("lang-switch"))
        .await
        .expect("switch")
        .click()
        .await
        .expect("click");
    b.client
        .wait()
        .for_element(Locator::XPath("//html[@lang='en']"))
        .await
        .expect("english");
    b.client
        .find(Locator::Id("logout"))
        .await
        .expect("logout")
        .click()
        .await
        .expect("click");
    b.client
        .wait()
        .for_element(Locator::Id("login-submit"))
        .await
        .expect("back at login");
    assert_eq!(app.count("SELECT COUNT(*) FROM session").await, 0);
    b.client.clone().close().await.expect("close");
}

async fn fill(b: &Browser, id: &str, text: &str) {
    let e = b
        .client
        .find(Locator::Id(id))
        .await
        .unwrap_or_else(|_| panic!("#{id}"));
    e.clear().await.expect("clear");
    e.send_keys(text).await.expect("type");
}

async fn value(b: &Browser, id: &str) -> String {
    b.client
        .find(Locator::Id(id))
        .await
        .unwrap_or_else(|_| panic!("#{id}"))
        .prop("value")
        .await
        .expect("value")
        .unwrap_or_default()
}

async fn screenshot(b: &Browser, name: &str) {
    let shot = b.client.screenshot().await.expect("screenshot");
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(dir.join(name), shot).expect("write screenshot");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_producer_registers_fixes_a_bad_postal_code_confirms_logs_in_adds_a_product_with_a_photo_and_an_operator_approves_it()
 {
    let Some(b) = browser().await else { return };
    let app = spawn_app(Backend::Sqlite).await;
    b.client.goto(&app.url("/register")).await.expect("goto");
    let title = b
        .client
        .find(Locator::Css("h1"))
        .await
        .expect("h1")
        .text()
        .await
        .expect("text");
    assert_eq!(title, "生産者登録");

    fill(&b, "legal_name", "比嘉農園").await;
    fill(&b, "legal_name_kana", "ヒガノウエン").await;
    fill(&b, "representative", "比嘉 ゆい").await;
    b.client
        .find(Locator::Css("#municipality_code option[value='47207']"))
        .await
        .expect("石垣市")
        .click()
        .await
        .expect("select");
    b.client
        .find(Locator::Css("#island_code option[value='ishigaki']"))
        .await
        .expect("石垣島")
        .click()
        .await
        .expect("select");
    fill(&b, "postal_code", "907-00").await; // too short
    fill(&b, "address", "石垣市登野城1-1").await;
    fill(&b, "phone", "0980-12-3456").await;
    fill(&b, "email", "yui@example.jp").await;
    fill(&b, "invoice_number", "T7120001168421").await;
    fill(&b, "bank_code", "0187").await;
    fill(&b, "branch_code", "101").await;
    fill(&b, "account_number", "1234567").await;
    fill(&b, "holder_kana", "ヒガ ユイ").await;
    fill(&b, "password", "ishigaki-mango-2026").await;
    b.client
        .find(Locator::Id("consent"))
        .await
        .expect("consent")
        .click()
        .await
        .expect("tick");
    screenshot(&b, "register-filled.png").await;
    b.client
        .find(Locator::Id("register-submit"))
        .await
        .expect("submit")
        .click()
        .await
        .expect("click");

    // The error is beside the postal code; everything else is still filled in.
    let err = b
        .client
        .wait()
        .for_element(Locator::Id("postal_code-error"))
        .await
        .expect("error beside the field");
    assert!(err.text().await.expect("text").contains("郵便番号"));
    b.client
        .execute(
            "document.getElementById('postal_code-error').scrollIntoView({block: 'center'})",
            vec![],
        )
        .await
        .expect("scroll");
    screenshot(&b, "register-error.png").await;
    assert_eq!(value(&b, "legal_name").await, "比嘉農園");
    assert_eq!(value(&b, "holder_kana").await, "ヒガ ユイ");
    assert_eq!(value(&b, "email").await, "yui@example.jp");
    assert_eq!(value(&b, "municipality_code").await, "47207");
    assert_eq!(value(&b, "island_code").await, "ishigaki");
    assert_eq!(
        value(&b, "password").await,
        "",
        "passwords are never sent back"
    );
    assert!(
        b.client
            .find(Locator::Id("legal_name-error"))
            .await
            .is_err(),
        "no error on good fields"
    );
    let consent = b
        .client
        .find(Locator::Id("consent"))
        .await
        .expect("consent")
        .prop("checked")
        .await
        .expect("prop");
    assert_eq!(consent.as_deref(), Some("true"));
    assert_eq!(app.count("SELECT COUNT(*) FROM producer").await, 0);

    fill(&b, "postal_code", "９０７－０００４").await;
    fill(&b, "password", "ishigaki-mango-2026").await;
    b.client
        .find(Locator::Id("register-submit"))
        .await
        .expect("submit")
        .click()
        .await
        .expect("click");
    b.client
        .wait()
        .for_element(Locator::XPath("//h1[contains(., '登録を受け付けました')]"))
        .await
        .expect("done page");
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM producer WHERE status = 'pending' AND postal_code = '907-0004'"
        )
        .await,
        1
    );

    // The confirmation email's link, opened in the browser.
    app.run_pending_jobs().await;
    let mail = app
        .emails()
        .into_iter()
        .find(|m| m.to == "yui@example.jp")
        .expect("email");
    assert!(
        mail.subject.contains("生産者登録"),
        "Japanese, as the form was"
    );
    let link = mail
        .text
        .lines()
        .find(|l| l.contains("/confirm-email/"))
        .expect("link")
        .trim()
        .to_string();
    let path = link
        .trim_start_matches(&app.state.settings.server.base_url)
        .to_string();
    b.client.goto(&app.url(&path)).await.expect("goto link");
    b.client
        .wait()
        .for_element(Locator::XPath(
            "//h1[contains(., 'メールアドレスを確認しました')]",
        ))
        .await
        .expect("confirmed");

    // And logs in through the login page.
    let user = TestUser {
        id: uuid::Uuid::nil(),
        email: "yui@example.jp".into(),
        password: "ishigaki-mango-2026".into(),
    };
    log_in(&b, &app, &user).await;
    let role = b
        .client
        .find(Locator::Id("role"))
        .await
        .expect("role")
        .text()
        .await
        .expect("text");
    assert_eq!(role, "producer");

    // The producer creates a product with a photo and submits it.
    b.client
        .find(Locator::Id("to-portal"))
        .await
        .expect("portal link")
        .click()
        .await
        .expect("click");
    b.client
        .wait()
        .for_element(Locator::Id("new-product"))
        .await
        .expect("portal")
        .click()
        .await
        .expect("click");
    b.client
        .wait()
        .for_element(Locator::Id("product-form"))
        .await
        .expect("form");
    fill(&b, "title_ja", "紅いもタルト 6個入").await;
    fill(&b, "description_ja", "読谷村の紅いもで作りました。").await;
    b.client
        .find(Locator::Css("#category_code option[value='sweets']"))
        .await
        .expect("sweets")
        .click()
        .await
        .expect("select");
    fill(&b, "shelf_life_days", "30").await;
    b.client
        .find(Locator::Id("allergen-wheat"))
        .await
        .expect("wheat")
        .click()
        .await
        .expect("tick");
    b.client
        .find(Locator::Id("allergen-egg"))
        .await
        .expect("egg")
        .click()
        .await
        .expect("tick");
    fill(&b, "ingredients", "紅いも、小麦粉、砂糖、卵").await;
    fill(&b, "net_content", "6個").await;
    fill(&b, "storage", "直射日光を避けて保存").await;
    b.client
        .find(Locator::Id("product-save"))
        .await
        .expect("save")
        .click()
        .await
        .expect("click");
    b.client
        .wait()
        .for_element(Locator::Id("sku-form"))
        .await
        .expect("product page");
    fill(&b, "sku_code", "TART-6").await;
    fill(&b, "sku_price_yen", "1296").await;
    fill(&b, "sku_weight_g", "300").await;
    b.client
        .find(Locator::Id("sku-add"))
        .await
        .expect("add")
        .click()
        .await
        .expect("click");
    b.client
        .wait()
        .for_element(Locator::XPath(
            "//ul[@id='sku-list']/li[contains(., 'TART-6')]",
        ))
        .await
        .expect("sku listed");
    let photo = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("tart-{}.jpg", uuid::Uuid::now_v7().simple()));
    {
        let img = image::DynamicImage::ImageRgb8(image::ImageBuffer::from_fn(800, 600, |x, y| {
            image::Rgb([(120 + x % 100) as u8, 40, (160 + y % 80) as u8])
        }));
        img.save_with_format(&photo, image::ImageFormat::Jpeg)
            .expect("photo");
    }
    b.client
        .find(Locator::Id("file"))
        .await
        .expect("file input")
        .send_keys(photo.to_str().expect("path"))
        .await
        .expect("choose file");
    b.client
        .find(Locator::Id("photo-upload"))
        .await
        .expect("upload")
        .click()
        .await
        .expect("click");
    b.client
        .wait()
        .for_element(Locator::Css("#photos img"))
        .await
        .expect("photo shown");
    screenshot(&b, "product-page.png").await;
    b.client
        .find(Locator::Id("product-submit"))
        .await
        .expect("submit")
        .click()
        .await
        .expect("click");
    b.client
        .wait()
        .for_element(Locator::XPath(
            "//span[@id='product-status' and contains(., '審査中')]",
        ))
        .await
        .expect("in review");
    b.client
        .find(Locator::Id("logout"))
        .await
        .expect("logout")
        .click()
        .await
        .expect("click");
    b.client
        .wait()
        .for_element(Locator::Id("login-submit"))
        .await
        .expect("logged out");

    // An operator approves the producer and then the product on the review page.
    let operator = app.create_user(Role::Operator, Some("default")).await;
    log_in(&b, &app, &operator).await;
    b.client
        .find(Locator::Id("to-review"))
        .await
        .expect("review link")
        .click()
        .await
        .expect("click");
    b.client
        .wait()
        .for_element(Locator::Css("div[id^='producer-'] button.approve"))
        .await
        .expect("producer queue")
        .click()
        .await
        .expect("click");
    // Wait for the reloaded page (the producer queue is empty) before the next click, so the
    // click never lands on a button of the page being replaced.
    b.client
        .wait()
        .for_element(Locator::XPath(
            "//h2[contains(., '生産者の登録')]/following-sibling::p[1][contains(., '審査待ちはありません')]",
        ))
        .await
        .expect("producer approved");
    click(&b, "div[id^='product-'] button.approve").await;
    b.client
        .wait()
        .for_element(Locator::XPath("//h2[contains(., '商品の審査')]/following-sibling::p[1][contains(., '審査待ちはありません')]"))
        .await
        .expect("queue emptied");
    screenshot(&b, "review-page.png").await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM producer WHERE status = 'approved'")
            .await,
        1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM product WHERE status = 'listed'")
            .await,
        1
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM product_image").await, 1);
    let _ = std::fs::remove_file(photo);
    b.client.clone().close().await.expect("close");
}

/// Clicks `css` once it exists; when the page navigates between finding and clicking (a
/// stale element), the element is looked up again on the new page.
async fn click(b: &Browser, css: &str) {
    let mut last = String::new();
    for _ in 0..50 {
        match b.client.wait().for_element(Locator::Css(css)).await {
            Ok(e) => match e.click().await {
                Ok(()) => return,
                Err(err) => last = err.to_string(),
            },
            Err(err) => last = err.to_string(),
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("could not click {css}: {last}");
}

/// Waits until the element `css` shows text containing `expected` (the page may still be
/// navigating after a click, so a stale element is simply looked up again).
async fn text_of(b: &Browser, css: &str, expected: &str) -> String {
    let mut last = String::new();
    for _ in 0..100 {
        if let Ok(e) = b.client.find(Locator::Css(css)).await
            && let Ok(t) = e.text().await
        {
            if t.contains(expected) {
                return t;
            }
            last = t;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("{css} never showed {expected:?}; last text {last:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_holds_stock_for_a_phone_order_ships_it_and_sees_the_lot_history_in_a_real_browser()
 {
    use crate::inventory::{day, location, producer_with_sku, stock};
    let Some(b) = browser().await else { return };
    let app = spawn_app(Backend::Sqlite).await;
    let (_, op) = app.user_with_token(Role::Operator).await;
    let (pt, sku) = producer_with_sku(&app, &op, "ambient").await;
    let loc = location(&app, &op, "ambient").await;
    stock(&app, &op, &pt, &sku, 5, &day(90), &loc).await;
    let user = app.create_user(Role::Operator, Some("default")).await;
    log_in(&b, &app, &user).await;

    b.client.goto(&app.url("/holds")).await.expect("goto");
    // Too many first: the page says so and nothing is held.
    click(&b, "#sku_0 option:nth-child(2)").await;
    fill(&b, "qty_0", "50").await;
    fill(&b, "reference", "電話注文 7").await;
    click(&b, "#hold-submit").await;
    text_of(&b, "#form-error", "在庫が足りません").await;
    assert_eq!(app.count("SELECT COUNT(*) FROM reservation").await, 0);
    click(&b, "#sku_0 option:nth-child(2)").await;
    fill(&b, "qty_0", "2").await;
    fill(&b, "reference", "電話注文 7").await;
    click(&b, "#hold-submit").await;
    text_of(&b, ".hold-status", "取り置き中").await;
    screenshot(&b, "holds.png").await;
    click(&b, "button.consume").await;
    text_of(&b, ".hold-status", "出荷済み").await;

    b.client.goto(&app.url("/stock")).await.expect("goto");
    click(&b, "a.lot-link").await;
    assert_eq!(text_of(&b, "#lot-on-hand", "3").await, "3");
    let history = text_of(&b, "#movements", "出荷").await;
    assert!(history.contains("入荷"), "{history}");
    screenshot(&b, "lot.png").await;
    b.client.clone().close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_buyer_shops_on_a_phone_sized_browser_from_search_to_the_order_page() {
    let Some(b) = browser().await else { return };
    let app = spawn_app(Backend::Sqlite).await;
    let g = crate::fulfilment::goods(&app).await;
    let _ = &g.op;
    b.client
        .goto(&app.url("/default/shop?q=タルト"))
        .await
        .expect("goto");
    click(&b, "#products a").await;
    text_of(&b, "#product-title", "紅いもタルト").await;
    click(&b, "button.add-to-cart").await;
    text_of(&b, "#cart-lines", "紅いもタルト").await;
    // A bad postal code is shown beside its field, in Japanese, keeping what was typed.
    for (id, v) in [
        ("name", "山田 花子"),
        ("kana", "ヤマダ ハナコ"),
        ("email", "hanako@example.jp"),
        ("phone", "090-1234-5678"),
        ("postal_code", "100-00"),
        ("city", "千代田区千代田"),
        ("address1", "1-2-3"),
    ] {
        fill(&b, id, v).await;
    }
    click(&b, "#prefecture option[value='13']").await;
    click(&b, "input[name='payment_method'][value='bank_transfer']").await;
    click(&b, "#to-confirm").await;
    text_of(&b, "#postal_code-error", "入力内容を確認してください").await;
    assert_eq!(value(&b, "name").await, "山田 花子");
    fill(&b, "postal_code", "100-0001").await;
    click(&b, "#prefecture option[value='13']").await;
    click(&b, "input[name='payment_method'][value='bank_transfer']").await;
    click(&b, "#to-confirm").await;
    text_of(&b, "#final-confirmation", "お支払いの時期と方法").await;
    screenshot(&b, "shop-confirm.png").await;
    click(&b, "#place-order").await;
    text_of(&b, "#order-status", "お支払い待ち").await;
    assert_eq!(app.count("SELECT COUNT(*) FROM shop_order").await, 1);
    screenshot(&b, "shop-order.png").await;
    click(&b, "#receipt-link").await;
    text_of(&b, "#receipt-reg-no", "T7120001168421").await;
    b.client.clone().close().await.expect("close");
}
