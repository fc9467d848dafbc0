//! The composition root: the list of areas, the route table, the job registry, the state
//! every handler and job receives, and the HTTP server. This module (with `lib.rs`, `cli.rs`
//! and `main.rs`) may import every area; no area imports it.
use crate::{
    area::{Area, Init},
    config::Settings,
    error::ApiError,
    http::{self, docs::ApiDocument, json::BodyLimit, route::RouteSpec},
    jobs::{self, Registry},
    mail::Mailer,
    state::{AppState, Parts},
    storage::{BlobStore, LocalStore},
};
use actix_web::{
    App, HttpRequest, HttpResponse, HttpServer,
    dev::Server,
    middleware::{Compress, from_fn},
    web,
};
use sea_orm::DatabaseConnection;
use std::{net::TcpListener, sync::Arc};

/// Every area, in the order their routes are mounted. Adding an area is one line here.
pub fn areas() -> Vec<Area> {
    vec![
        crate::system::area(),
        crate::auth::area(),
        crate::aggregators::area(),
        // The outbox sits below the area descriptor, so the root describes it.
        Area {
            routes: jobs::routes,
            openapi: <jobs::Api as utoipa::OpenApi>::openapi,
            jobs: jobs::builtin::register,
            ..Area::new("jobs")
        },
        crate::reference::area(),
        crate::producers::area(),
        crate::catalog::area(),
        crate::inventory::area(),
        crate::orders::area(),
        crate::payments::area(),
        crate::shop::area(),
        crate::channels::area(),
        crate::money::area(),
        crate::analytics::area(),
        crate::web::area(),
        Area {
            routes: http::docs::routes,
            ..Area::new("docs")
        },
    ]
}

/// Every route the application serves.
pub fn route_table() -> Vec<RouteSpec> {
    areas().iter().flat_map(|a| (a.routes)()).collect()
}

/// Every job kind, schedule and event subscriber of every area.
pub fn registry() -> Registry {
    let mut reg = Registry::default();
    for a in areas() {
        (a.jobs)(&mut reg);
    }
    reg
}

/// The OpenAPI document: the frame merged with every area's part.
pub fn api_document() -> ApiDocument {
    ApiDocument::build(areas().iter().map(|a| (a.openapi)()))
}

/// The state for `db` and `settings` with `mailer`, the local blob store and every area's
/// runtime parts (the job registry and the API document among them).
///
/// # Errors
/// Storage or an area's set-up fails.
pub fn build_state(
    db: DatabaseConnection,
    settings: Settings,
    mailer: Mailer,
) -> anyhow::Result<AppState> {
    let storage: Arc<dyn BlobStore> = Arc::new(LocalStore::new(settings.uploads.dir.clone())?);
    let mut parts = Parts::default();
    for a in areas() {
        (a.init)(&mut Init {
            db: &db,
            settings: &settings,
            parts: &mut parts,
        })?;
    }
    parts.insert(registry());
    parts.insert(api_document());
    Ok(AppState::new(
        db,
        Arc::new(settings),
        mailer,
        storage,
        parts,
    ))
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
        jobs::schedule::ensure_schedules(&db, &settings, &registry()).await?;
        let mailer = mailer(&settings)?;
        let state = build_state(db, settings, mailer)?;
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
