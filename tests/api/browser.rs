//! A real headless Chromium (Debian chromium + chromium-driver) driven over WebDriver.
use crate::helpers::*;
use fantoccini::{Client, ClientBuilder, Locator};
use std::process::{Child, Command, Stdio};
use yuimaru::auth::actor::Role;

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
