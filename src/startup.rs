//! Building and running the application: state, the route table, the HTTP server.
use crate::{
    config::Settings,
    error::ApiError,
    http::{self, json::BodyLimit},
    jobs,
    mail::Mailer,
    storage::{BlobStore, LocalStore},
};
use actix_web::{
    App, HttpRequest, HttpResponse, HttpServer, Route,
    dev::Server,
    http::Method,
    middleware::{Compress, from_fn},
    web,
};
use sea_orm::DatabaseConnection;
use std::{net::TcpListener, sync::Arc};

/// Shared state given to every handler and job.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub settings: Arc<Settings>,
    pub mailer: Mailer,
    pub storage: Arc<dyn BlobStore>,
    /// Group commit of order placements (SQLite; plain transactions on PostgreSQL).
    pub orders_writer: crate::shop::checkout::OrdersWriter,
    /// The shop's public reads kept for `shop.cache_ttl_ms`.
    pub shop_cache: Arc<crate::shop::cache::ShopCache>,
}

impl AppState {
    /// State for `db` and `settings` with the configured mailer and the local blob store.
    ///
    /// # Errors
    /// Mailer or storage set-up failures.
    pub fn new(db: DatabaseConnection, settings: Settings, mailer: Mailer) -> anyhow::Result<Self> {
        let storage: Arc<dyn BlobStore> = Arc::new(LocalStore::new(settings.uploads.dir.clone())?);
        Ok(Self {
            orders_writer: crate::db::group_commit::GroupCommit::new(
                db.clone(),
                &settings.database,
                crate::shop::checkout::write_orders,
            ),
            db,
            shop_cache: Arc::new(crate::shop::cache::ShopCache::new(&settings.shop)),
            settings: Arc::new(settings),
            mailer,
            storage,
        })
    }
}

/// One entry of the route table: the single source of what the app serves (checked against
/// the OpenAPI document by a test).
pub struct RouteSpec {
    pub method: Method,
    pub path: &'static str,
    pub route: fn() -> Route,
}

/// Builds a [`RouteSpec`].
#[macro_export]
macro_rules! route {
    ($method:ident, $path:literal, $handler:path) => {
        $crate::startup::RouteSpec {
            method: actix_web::http::Method::$method,
            path: $path,
            route: || actix_web::web::method(actix_web::http::Method::$method).to($handler),
        }
    };
}

/// Every route the application serves.
pub fn route_table() -> Vec<RouteSpec> {
    let mut routes = Vec::new();
    routes.extend(crate::system::routes());
    routes.extend(crate::auth::routes());
    routes.extend(crate::aggregators::routes());
    routes.extend(crate::jobs::routes());
    routes.extend(crate::reference::routes());
    routes.extend(crate::producers::routes());
    routes.extend(crate::catalog::routes());
    routes.extend(crate::inventory::routes());
    routes.extend(crate::shop::routes());
    routes.extend(crate::payments::routes());
    routes.extend(crate::web::routes());
    routes.extend(crate::openapi::routes());
    routes
}

fn configure_routes(cfg: &mut web::ServiceConfig) {
    let mut by_path: Vec<(&'static str, Vec<RouteSpec>)> = Vec::new();
    for spec in route_table() {
        match by_path.iter_mut().find(|(p, _)| *p == spec.path) {
            Some((_, v)) => v.push(spec),
            None => by_path.push((spec.path, vec![spec])),
        }
    }
    for (path, specs) in by_path {
        let mut res = web::resource(path).default_service(web::to(method_not_allowed));
        for spec in specs {
            res = res.route((spec.route)());
        }
        cfg.service(res);
    }
}

async fn method_not_allowed() -> Result<HttpResponse, ApiError> {
    Err(ApiError::MethodNotAllowed)
}

async fn not_found(req: HttpRequest) -> HttpResponse {
    if req.path().starts_with("/api/") {
        actix_web::ResponseError::error_response(&ApiError::RouteNotFound)
    } else {
        crate::web::not_found_page(&req)
    }
}

/// A running application (server + optional job runner).
pub struct Application {
    port: u16,
    server: Server,
    state: AppState,
}

impl Application {
    /// Connects, migrates (when configured), seeds the default aggregator and binds.
    ///
    /// # Errors
    /// Database or bind failures.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let db = crate::db::connect(&settings.database).await?;
        Self::build_with_db(settings, db, Mailer::from_settings).await
    }

    /// Like [`build`](Self::build) with an existing pool and a mailer factory (tests).
    ///
    /// # Errors
    /// Database or bind failures.
    pub async fn build_with_db(
        settings: Settings,
        db: DatabaseConnection,
        mailer: impl FnOnce(&Settings) -> anyhow::Result<Mailer>,
    ) -> anyhow::Result<Self> {
        if settings.database.migrate_on_start {
            crate::db::migrate(&db).await?;
        }
        crate::aggregators::service::ensure_default(&db, &settings).await?;
        jobs::schedule::ensure_schedules(&db, &settings).await?;
        let mailer = mailer(&settings)?;
        let state = AppState::new(db, settings, mailer)?;
        let listener = TcpListener::bind((
            state.settings.server.host.as_str(),
            state.settings.server.port,
        ))?;
        let port = listener.local_addr()?.port();
        let server = run_server(listener, state.clone())?;
        Ok(Self {
            port,
            server,
            state,
        })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The shared state (tests use it to reach the database and mailer).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until stopped; runs the job runner alongside when `jobs.run_in_serve`.
    /// On SIGTERM/Ctrl-C actix stops accepting, finishes in-flight requests, and the runner
    /// finishes its in-flight jobs.
    ///
    /// # Errors
    /// Server failure.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let runner = if self.state.settings.jobs.run_in_serve {
            let (tx, rx) = tokio::sync::watch::channel(false);
            let state = self.state.clone();
            let handle = tokio::spawn(async move { jobs::runner::run(state, rx).await });
            Some((tx, handle))
        } else {
            None
        };
        let result = self.server.await;
        if let Some((tx, handle)) = runner {
            let _ = tx.send(true);
            let _ = handle.await;
        }
        result.map_err(Into::into)
    }
}

fn run_server(listener: TcpListener, state: AppState) -> anyhow::Result<Server> {
    let workers = match state.settings.server.workers {
        0 => std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2),
        n => n,
    };
    let shutdown = state.settings.server.shutdown_timeout_seconds;
    let limit = state.settings.server.body_limit_bytes;
    let data = web::Data::new(state);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .app_data(web::Data::new(BodyLimit(limit)))
            .app_data(web::QueryConfig::default().error_handler(http::query_error))
            .app_data(web::PathConfig::default().error_handler(http::path_error))
            .app_data(web::FormConfig::default().limit(limit))
            .app_data(web::PayloadConfig::default().limit(limit))
            .wrap(Compress::default())
            .wrap(from_fn(http::request_id::middleware))
            .configure(configure_routes)
            .default_service(web::to(not_found))
    })
    .workers(workers)
    .shutdown_timeout(shutdown)
    .listen(listener)?
    .run();
    Ok(server)
}
