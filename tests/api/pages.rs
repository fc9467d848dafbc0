//! Pages over HTTP: CSRF, field errors in the page's language, kept input, login/logout/reset.
use crate::{db_test, helpers::*};
use yuimaru::http::actor::Role;

pub fn csrf_of(html: &str) -> String {
    html.split("name=\"csrf_token\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("csrf field")
        .to_string()
}

async fn login_logout_through_the_pages(b: Backend) {
    let app = spawn_app(b).await;
    let user = app.create_user(Role::Operator, Some("default")).await;
    let c = client();
    // Not signed in: home sends to the login page.
    let r = c.get(app.url("/")).send().await.expect("home");
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/login");
    let r = c.get(app.url("/login")).send().await.expect("login page");
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-frame-options"], "DENY");
    let html = r.text().await.expect("html");
    assert!(html.contains("<html lang=\"ja\">"));
    assert!(html.contains("ログイン"));
    let csrf = csrf_of(&html);

    // Without the token: refused, nothing happens.
    let r = client()
        .post(app.url("/login"))
        .form(&[
            ("email", user.email.as_str()),
            ("password", user.password.as_str()),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 403);
    assert_eq!(app.count("SELECT COUNT(*) FROM session").await, 0);

    // Wrong password: error shown, email kept.
    let r = c
        .post(app.url("/login"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("email", user.email.as_str()),
            ("password", "wrong-wrong-wrong"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 401);
    let html = r.text().await.expect("html");
    assert!(html.contains("メールアドレスまたはパスワードが違います"));
    assert!(
        html.contains(&format!("value=\"{}\"", user.email)),
        "email kept"
    );

    // A malformed email: the error sits next to the email field.
    let r = c
        .post(app.url("/login"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("email", "not-an-email"),
            ("password", "x"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 422);
    let html = r.text().await.expect("html");
    assert!(html.contains("id=\"email-error\""));
    assert!(html.contains("aria-invalid=\"true\""));
    assert!(html.contains("value=\"not-an-email\""));

    // Correct: redirected home with a session.
    let r = c
        .post(app.url("/login"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("email", user.email.as_str()),
            ("password", user.password.as_str()),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/");
    let html = c
        .get(app.url("/"))
        .send()
        .await
        .expect("home")
        .text()
        .await
        .expect("html");
    assert!(html.contains(&user.email));
    // The CSRF token was rotated at login.
    let csrf2 = csrf_of(&html);
    assert_ne!(csrf, csrf2);
    // Logout needs the token too.
    let r = c
        .post(app.url("/logout"))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .expect("logout");
    assert_eq!(r.status(), 403);
    let r = c
        .post(app.url("/logout"))
        .form(&[("csrf_token", csrf2.as_str())])
        .send()
        .await
        .expect("logout");
    assert_eq!(r.status(), 303);
    assert_eq!(app.count("SELECT COUNT(*) FROM session").await, 0);
    assert_eq!(
        c.get(app.url("/")).send().await.expect("home").status(),
        303
    );
}
db_test!(
    a_user_logs_in_and_out_through_the_pages_with_csrf,
    login_logout_through_the_pages
);

async fn pages_switch_to_english(b: Backend) {
    let app = spawn_app(b).await;
    let c = client();
    let html = c
        .get(app.url("/login?lang=en"))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(html.contains("<html lang=\"en\">"));
    assert!(html.contains("Forgot your password?"));
    // The choice sticks (cookie).
    let html = c
        .get(app.url("/password-reset"))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(html.contains("Reset your password"));
    let r = c.get(app.url("/no-such-page")).send().await.expect("404");
    assert_eq!(r.status(), 404);
    assert!(r.text().await.expect("html").contains("Page not found"));
}
db_test!(
    pages_switch_between_japanese_and_english,
    pages_switch_to_english
);

async fn password_reset_through_the_pages(b: Backend) {
    let app = spawn_app(b).await;
    let user = app.create_user(Role::Producer, Some("default")).await;
    let c = client();
    let html = c
        .get(app.url("/password-reset"))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    let csrf = csrf_of(&html);
    let r = c
        .post(app.url("/password-reset"))
        .form(&[("csrf_token", csrf.as_str()), ("email", "bad")])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 422);
    assert!(
        r.text()
            .await
            .expect("html")
            .contains("メールアドレスの形式が正しくありません")
    );
    let r = c
        .post(app.url("/password-reset"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("email", user.email.as_str()),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 200);
    assert!(r.text().await.expect("html").contains("id=\"reset-sent\""));
    app.run_pending_jobs().await;
    let link = app.emails()[0]
        .text
        .lines()
        .find(|l| l.contains("/password-reset/"))
        .expect("link")
        .trim()
        .to_string();
    let path = link
        .trim_start_matches(&app.state.settings.server.base_url)
        .to_string();
    let html = c
        .get(app.url(&path))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(html.contains("new_password"));
    let r = c
        .post(app.url(&path))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("new_password", "kokutou-2026-xx"),
            ("confirm_password", "different-2026"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 422);
    assert!(
        r.text()
            .await
            .expect("html")
            .contains("id=\"confirm_password-error\"")
    );
    let r = c
        .post(app.url(&path))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("new_password", "kokutou-2026-xx"),
            ("confirm_password", "kokutou-2026-xx"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/login?reset=done");
    // The link is used up.
    let r = c.get(app.url(&path)).send().await.expect("page");
    assert_eq!(r.status(), 404);
    assert!(
        r.text()
            .await
            .expect("html")
            .contains("id=\"invalid-link\"")
    );
    let u = TestUser {
        id: user.id,
        email: user.email.clone(),
        password: "kokutou-2026-xx".into(),
    };
    app.login(&u).await;
}
db_test!(
    a_password_is_reset_through_the_pages,
    password_reset_through_the_pages
);

async fn the_registration_page_keeps_input_and_names_errors(b: Backend) {
    let app = spawn_app(b).await;
    let c = client();
    let html = c
        .get(app.url("/register"))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(html.contains("生産者登録"));
    assert!(
        html.contains("石垣市"),
        "municipalities from the seeded table"
    );
    assert!(html.contains("与那国島"), "islands from the seeded table");
    let csrf = csrf_of(&html);
    let form = [
        ("csrf_token", csrf.as_str()),
        ("legal_name", "比嘉農園"),
        ("legal_name_kana", "比嘉のうえん"),
        ("representative", "比嘉 ゆい"),
        ("municipality_code", "47207"),
        ("postal_code", "907-0004"),
        ("address", "石垣市"),
        ("phone", "0980-12-3456"),
        ("email", "yui@example.jp"),
        ("password", "ishigaki-mango-2026"),
        ("tax_status", "registered"),
        ("invoice_number", "T8120001168421"),
        ("bank_kind", "bank"),
        ("bank_code", "0187"),
        ("branch_code", "101"),
        ("account_type", "ordinary"),
        ("account_number", "1234567"),
        ("holder_kana", "比嘉"),
    ];
    let r = c
        .post(app.url("/register"))
        .form(&form)
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 422);
    let html = r.text().await.expect("html");
    for id in [
        "invoice_number-error",
        "holder_kana-error",
        "consent-error",
        "legal_name_kana-error",
    ] {
        assert!(html.contains(&format!("id=\"{id}\"")), "{id}");
    }
    assert!(
        html.contains("チェック数字"),
        "Japanese message for the check digit"
    );
    assert!(
        html.contains("フリガナはカタカナで"),
        "Japanese message for the reading"
    );
    assert!(html.contains("value=\"比嘉農園\""));
    assert!(
        !html.contains("ishigaki-mango-2026"),
        "the password is not echoed"
    );
    assert!(html.contains("<option value=\"47207\" selected>"));
    // Without the CSRF token nothing happens.
    let r = client()
        .post(app.url("/register"))
        .form(&form[1..])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 403);
    // Unknown aggregator.
    assert_eq!(
        c.get(app.url("/nowhere/register"))
            .send()
            .await
            .expect("page")
            .status(),
        404
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM producer").await, 0);
    // English labels on request.
    let html = c
        .get(app.url("/default/register?lang=en"))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(html.contains("Producer registration"));
    assert!(html.contains("Ishigaki"));
}
db_test!(
    the_registration_page_names_errors_and_keeps_input,
    the_registration_page_keeps_input_and_names_errors
);

async fn a_newcomer_finds_registration_and_the_shop_from_the_login_page(b: Backend) {
    let app = spawn_app(b).await;
    let c = client();
    let html = c
        .get(app.url("/login"))
        .send()
        .await
        .expect("login")
        .text()
        .await
        .expect("html");
    assert!(html.contains("href=\"/register\"") && html.contains("生産者登録"));
    assert!(html.contains("href=\"/shop\"") && html.contains("ショップへ"));
    let html = c
        .get(app.url("/login?lang=en"))
        .send()
        .await
        .expect("login")
        .text()
        .await
        .expect("html");
    assert!(html.contains("Register as a producer") && html.contains("Go to the shop"));
    // The bare shop path goes to the default aggregator's shop, which answers.
    let r = c.get(app.url("/shop")).send().await.expect("shop");
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/default/shop");
    let r = c.get(app.url("/default/shop")).send().await.expect("shop");
    assert_eq!(r.status(), 200);
}
db_test!(
    a_newcomer_finds_registration_and_the_shop,
    a_newcomer_finds_registration_and_the_shop_from_the_login_page
);
