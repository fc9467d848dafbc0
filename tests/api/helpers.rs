//! The test harness: `spawn_app(backend)` starts the real application on port 0 with its own
//! database (a SQLite file under target/tmp, or a fresh database in a throwaway PostgreSQL
//! cluster started once per test run), a recording mailer, and the job runner off
//! (`run_pending_jobs()` runs due jobs).
use reqwest::{Client, Response};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use secrecy::SecretString;
use serde_json::{Value, json};
use std::{net::TcpListener, path::PathBuf, process::Command, sync::OnceLock};
use uuid::Uuid;
use yuimaru::{
    auth::users,
    config::{Environment, MailTransportKind, Settings},
    http::actor::Role,
    mail::SentEmail,
    startup::Application,
    state::AppState,
};

/// Which database a test runs against.
#[derive(Debug, Clone)]
pub enum Backend {
    Sqlite,
    Postgres(String),
}

impl Backend {
    /// PostgreSQL when available: `YUIMARU_TEST_PG_URL`, or a throwaway cluster from the
    /// PostgreSQL binaries on this machine. `None` (test skipped, with a note) only when
    /// neither exists and `YUIMARU_TEST_REQUIRE_PG` is not set.
    pub fn postgres() -> Option<Backend> {
        match pg_admin_url() {
            Some(url) => Some(Backend::Postgres(url.clone())),
            None => {
                if std::env::var("YUIMARU_TEST_REQUIRE_PG").is_ok_and(|v| v == "1") {
                    panic!("YUIMARU_TEST_REQUIRE_PG=1 but no PostgreSQL is available");
                }
                eprintln!("note: PostgreSQL not available; the PostgreSQL variant did not run");
                None
            }
        }
    }
}

/// Generates `sqlite` and `postgres` variants of an async test body `fn(Backend)`.
#[macro_export]
macro_rules! db_test {
    ($name:ident, $body:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$body($crate::helpers::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(b) = $crate::helpers::Backend::postgres() {
                    super::$body(b).await
                }
            }
        }
    };
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

struct PgCluster {
    admin_url: String,
}

fn pg_admin_url() -> Option<&'static String> {
    static CLUSTER: OnceLock<Option<PgCluster>> = OnceLock::new();
    CLUSTER
        .get_or_init(|| {
            if let Ok(url) = std::env::var("YUIMARU_TEST_PG_URL") {
                return Some(PgCluster { admin_url: url });
            }
            start_cluster()
        })
        .as_ref()
        .map(|c| &c.admin_url)
}

fn pg_bin_dir() -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.path().join("bin"))
        .filter(|p| p.join("initdb").exists() && p.join("pg_ctl").exists())
        .collect();
    dirs.sort_by_key(|p| {
        p.parent()
            .and_then(|v| v.file_name())
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    });
    dirs.pop()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Starts one cluster for this test process on a free loopback port. A watchdog process
/// stops it and removes its files when this process exits, however it exits.
fn start_cluster() -> Option<PgCluster> {
    let bin = pg_bin_dir()?;
    let root = std::env::temp_dir().join(format!("yuimaru-pg-{}", Uuid::now_v7().simple()));
    std::fs::create_dir_all(&root).ok()?;
    let data = root.join("data");
    let port = free_port();
    let as_postgres = is_root();
    let run = |args: &[&str]| -> bool {
        let mut cmd = if as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]);
            c
        } else {
            Command::new(args[0])
        };
        if as_postgres {
            cmd.args(args);
        } else {
            cmd.args(&args[1..]);
        }
        cmd.output()
            .map(|o| {
                if !o.status.success() {
                    eprintln!("{} failed: {}", args[0], String::from_utf8_lossy(&o.stderr));
                }
                o.status.success()
            })
            .unwrap_or(false)
    };
    if as_postgres {
        Command::new("chown")
            .args(["-R", "postgres:postgres", root.to_str()?])
            .status()
            .ok()?;
    }
    let initdb = bin.join("initdb");
    let pg_ctl = bin.join("pg_ctl");
    if !run(&[
        initdb.to_str()?,
        "-D",
        data.to_str()?,
        "-U",
        "postgres",
        "--auth=trust",
        "-E",
        "UTF8",
        "--locale=C.UTF-8",
    ]) {
        return None;
    }
    let opts = format!(
        "-c listen_addresses=127.0.0.1 -p {port} -k {} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300",
        root.display()
    );
    let log = root.join("log");
    if !run(&[
        pg_ctl.to_str()?,
        "-D",
        data.to_str()?,
        "-l",
        log.to_str()?,
        "-w",
        "-o",
        &opts,
        "start",
    ]) {
        return None;
    }
    // Watchdog: stop the cluster when this test process is gone.
    let stop = if as_postgres {
        format!(
            "runuser -u postgres -- {} -D {} -m immediate stop",
            pg_ctl.display(),
            data.display()
        )
    } else {
        format!(
            "{} -D {} -m immediate stop",
            pg_ctl.display(),
            data.display()
        )
    };
    let script = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; {stop} >/dev/null 2>&1; rm -rf {root}",
        pid = std::process::id(),
        root = root.display()
    );
    Command::new("setsid")
        .args(["sh", "-c", &script])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()?;
    Some(PgCluster {
        admin_url: format!("postgres://postgres@127.0.0.1:{port}/postgres"),
    })
}

/// A fresh, empty database URL for one test.
pub async fn fresh_database(backend: &Backend) -> String {
    match backend {
        Backend::Sqlite => {
            let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("db");
            std::fs::create_dir_all(&dir).expect("tmp dir");
            format!(
                "sqlite://{}?mode=rwc",
                dir.join(format!("{}.db", Uuid::now_v7().simple()))
                    .display()
            )
        }
        Backend::Postgres(admin) => {
            let name = format!("t_{}", Uuid::now_v7().simple());
            let db = Database::connect(admin.as_str()).await.expect("pg admin");
            db.execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .expect("create database");
            db.close().await.ok();
            let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(admin);
            format!("{base}/{name}")
        }
    }
}

/// Test settings for `db_url`.
pub fn test_settings(db_url: &str) -> Settings {
    // SAFETY of env: settings are read from files plus env; tests don't set YUIMARU__ vars.
    let mut s = Settings::load(Environment::Test).expect("test settings");
    s.database.url = SecretString::from(db_url.to_string());
    s.server.port = 0;
    s.mail.transport = MailTransportKind::Memory;
    s.uploads.dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("uploads")
        .join(Uuid::now_v7().simple().to_string());
    s
}

/// A running application under test.
pub struct TestApp {
    pub address: String,
    pub state: AppState,
    pub db_url: String,
    pub backend: Backend,
}

/// Starts the app on `backend` with a fresh database.
pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |_| {}).await
}

/// Starts the app with settings changed by `tweak`.
pub async fn spawn_app_with(backend: Backend, tweak: impl FnOnce(&mut Settings)) -> TestApp {
    let url = fresh_database(&backend).await;
    spawn_on(backend, url, tweak).await
}

/// Starts another instance (its own pool) on `other`'s database, for concurrency tests.
pub async fn spawn_second_instance(other: &TestApp) -> TestApp {
    spawn_on(other.backend.clone(), other.db_url.clone(), |_| {}).await
}

async fn spawn_on(backend: Backend, url: String, tweak: impl FnOnce(&mut Settings)) -> TestApp {
    let mut settings = test_settings(&url);
    tweak(&mut settings);
    let app = Application::build(settings).await.expect("app builds");
    let port = app.port();
    let state = app.state().clone();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        state,
        db_url: url,
        backend,
    }
}

/// A client with cookies and no redirects followed.
pub fn client() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// A user created for a test.
pub struct TestUser {
    pub id: Uuid,
    pub email: String,
    pub password: String,
}

/// The default password of test users.
pub const PASSWORD: &str = "umikaji-tida-2026";

impl TestApp {
    /// The database pool.
    pub fn db(&self) -> &DatabaseConnection {
        &self.state.db
    }

    /// `address` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// Runs every due job now; returns how many ran.
    pub async fn run_pending_jobs(&self) -> usize {
        yuimaru::jobs::runner::run_pending(&self.state)
            .await
            .expect("jobs run")
    }

    /// Emails recorded by the in-memory mailer.
    pub fn emails(&self) -> Vec<SentEmail> {
        self.state.mailer.recorded()
    }

    /// The default aggregator's id.
    pub async fn default_aggregator(&self) -> Uuid {
        use sea_orm::EntityTrait;
        entity::aggregator::Entity::find()
            .one(self.db())
            .await
            .expect("query")
            .expect("default aggregator")
            .id
    }

    /// Creates a user with a password in `aggregator` (see [`UserBuilder`]).
    pub async fn create_user(&self, role: Role, aggregator: Option<&str>) -> TestUser {
        let mut b = UserBuilder::new(role);
        if let Some(a) = aggregator {
            b = b.aggregator(a);
        }
        b.insert(self).await
    }

    /// Logs `user` in through the API with a fresh client; returns (client, csrf token).
    pub async fn login(&self, user: &TestUser) -> (Client, String) {
        let c = client();
        let r = c
            .post(self.url("/api/v1/auth/login"))
            .json(&json!({ "email": user.email, "password": user.password }))
            .send()
            .await
            .expect("login");
        assert_eq!(r.status(), 200, "login should succeed");
        let body: Value = r.json().await.expect("json");
        (
            c,
            body["csrf_token"].as_str().unwrap_or_default().to_string(),
        )
    }

    /// Logs in and creates an API token for `user`.
    pub async fn token_for(&self, user: &TestUser) -> String {
        let (c, csrf) = self.login(user).await;
        let r = c
            .post(self.url("/api/v1/me/tokens"))
            .header("x-csrf-token", csrf)
            .json(&json!({ "name": "test" }))
            .send()
            .await
            .expect("token");
        assert_eq!(r.status(), 201);
        let body: Value = r.json().await.expect("json");
        body["token"].as_str().expect("token").to_string()
    }

    /// A user of `role` in the default aggregator (global for admins) with a token.
    pub async fn user_with_token(&self, role: Role) -> (TestUser, String) {
        let agg = match role {
            Role::Admin | Role::Officer => None,
            _ => Some("default"),
        };
        let u = self.create_user(role, agg).await;
        let t = self.token_for(&u).await;
        (u, t)
    }

    /// GET with a bearer token.
    pub async fn get_as(&self, token: &str, path: &str) -> Response {
        reqwest::Client::new()
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request")
    }

    /// POST JSON with a bearer token.
    pub async fn post_as(&self, token: &str, path: &str, body: &Value) -> Response {
        reqwest::Client::new()
            .post(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .expect("request")
    }

    /// PATCH JSON with a bearer token.
    pub async fn patch_as(&self, token: &str, path: &str, body: &Value) -> Response {
        reqwest::Client::new()
            .patch(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .expect("request")
    }

    /// PUT JSON with a bearer token.
    pub async fn put_as(&self, token: &str, path: &str, body: &Value) -> Response {
        reqwest::Client::new()
            .put(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .expect("request")
    }

    /// A single number from SQL (counts).
    pub async fn count(&self, sql: &str) -> i64 {
        let backend = self.db().get_database_backend();
        let row = self
            .db()
            .query_one_raw(Statement::from_string(backend, sql.to_string()))
            .await
            .expect("count query")
            .expect("a row");
        row.try_get_by_index::<i64>(0).expect("integer")
    }
}

/// Asserts an error body with `status` and `code`; returns the body.
pub async fn assert_error(resp: Response, status: u16, code: &str) -> Value {
    let got = resp.status().as_u16();
    let rid = resp
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body: Value = resp.json().await.expect("error body is JSON");
    assert_eq!(got, status, "status for {body}");
    assert_eq!(body["error"]["code"], code, "code in {body}");
    assert!(body["error"]["message"].is_string());
    assert!(body["error"]["details"].is_object());
    assert_eq!(
        body["error"]["request_id"].as_str().map(str::to_string),
        rid,
        "request id in body equals the header"
    );
    body
}

/// Fixture builder for users: `UserBuilder::new(Role::Operator).aggregator("default").insert(&app)`.
/// Users are created through the same service the CLI uses, with a known password.
pub struct UserBuilder {
    role: Role,
    aggregator: Option<String>,
    email: Option<String>,
    password: String,
    prefecture: Option<String>,
}

impl UserBuilder {
    /// A user of `role` (officers get prefecture 47) with the default test password.
    pub fn new(role: Role) -> Self {
        Self {
            role,
            aggregator: None,
            email: None,
            password: PASSWORD.into(),
            prefecture: (role == Role::Officer).then(|| "47".to_string()),
        }
    }

    /// In the aggregator with this slug.
    pub fn aggregator(mut self, slug: &str) -> Self {
        self.aggregator = Some(slug.to_string());
        self
    }

    /// With this email (a unique one otherwise).
    pub fn email(mut self, email: &str) -> Self {
        self.email = Some(email.to_string());
        self
    }

    /// With this password.
    pub fn password(mut self, pw: &str) -> Self {
        self.password = pw.to_string();
        self
    }

    /// Inserts the user.
    pub async fn insert(self, app: &TestApp) -> TestUser {
        let email = self.email.unwrap_or_else(|| {
            format!(
                "{}-{}@example.jp",
                self.role.as_str(),
                Uuid::now_v7().simple()
            )
        });
        let (u, _) = users::create_user_cli(
            app.db(),
            &app.state.settings.server.base_url,
            self.role,
            &email,
            "テスト ユーザー",
            self.aggregator.as_deref(),
            self.prefecture,
            Some(self.password.clone()),
            10,
        )
        .await
        .expect("user created");
        TestUser {
            id: u.id,
            email,
            password: self.password,
        }
    }
}
