//! Connecting to SQLite (embedded default) or PostgreSQL, migrations, write transactions.
pub mod group_commit;

use crate::config::{DatabaseSettings, SqliteSynchronous};
use anyhow::Context;
use migration::{Migrator, MigratorTrait};
use sea_orm::{
    AccessMode, ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction,
    DbBackend, DbErr, IsolationLevel, QueryTrait, SqliteTransactionMode, Statement,
    TransactionOptions, TransactionTrait,
};
use secrecy::ExposeSecret;
use std::time::Duration;

/// Opens the pool described by `settings`; for SQLite creates the file's directory and sets
/// WAL, foreign keys, the busy timeout and the configured `synchronous` mode on every connection.
///
/// # Errors
/// The database cannot be reached or opened.
pub async fn connect(settings: &DatabaseSettings) -> anyhow::Result<DatabaseConnection> {
    open(settings, settings.max_connections, None).await
}

/// Prepared statements the SQLite writer's own connection keeps: its batches' statements
/// differ with every batch's size, so keeping many (sqlx keeps 100 by default) only holds
/// memory.
const WRITER_STATEMENTS: usize = 16;

/// A pool of one SQLite connection for the group-commit writer (see [`group_commit`]), with a
/// small statement cache; `None` for PostgreSQL and in-memory SQLite (where another connection
/// would be another database).
///
/// # Errors
/// The database cannot be opened.
pub async fn connect_writer(
    settings: &DatabaseSettings,
) -> anyhow::Result<Option<DatabaseConnection>> {
    let url = settings.url.expose_secret();
    if !url.starts_with("sqlite:") || url.contains(":memory:") || url.contains("mode=memory") {
        return Ok(None);
    }
    open(settings, 1, Some(WRITER_STATEMENTS)).await.map(Some)
}

async fn open(
    settings: &DatabaseSettings,
    max_connections: u32,
    sqlite_statements: Option<usize>,
) -> anyhow::Result<DatabaseConnection> {
    let url = settings.url.expose_secret().to_string();
    let mut opts = ConnectOptions::new(url.clone());
    opts.max_connections(max_connections)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(30))
        .sqlx_logging(false);
    if url.starts_with("sqlite:") {
        // An embedded connection cannot go stale the way a server's can: no ping (a round trip
        // to the connection's thread) before each use.
        opts.test_before_acquire(false);
        if let Some(dir) = sqlite_file_dir(&url) {
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("creating database directory {}", dir.display()))?;
        }
        let sync = settings.sqlite_synchronous;
        let busy = Duration::from_millis(settings.sqlite_busy_timeout_ms);
        opts.map_sqlx_sqlite_opts(move |o| {
            use sqlx_sqlite_reexport::*;
            let o = o
                .journal_mode(SqliteJournalMode::Wal)
                .foreign_keys(true)
                .busy_timeout(busy)
                .synchronous(match sync {
                    SqliteSynchronous::Off => SqliteSynchronous_::Off,
                    SqliteSynchronous::Normal => SqliteSynchronous_::Normal,
                    SqliteSynchronous::Full => SqliteSynchronous_::Full,
                    SqliteSynchronous::Extra => SqliteSynchronous_::Extra,
                })
                .create_if_missing(true);
            match sqlite_statements {
                Some(n) => o.statement_cache_capacity(n),
                None => o,
            }
        });
    }
    let db = Database::connect(opts)
        .await
        .context("connecting to the database")?;
    Ok(db)
}

mod sqlx_sqlite_reexport {
    pub use sea_orm::sqlx::sqlite::SqliteJournalMode;
    pub use sea_orm::sqlx::sqlite::SqliteSynchronous as SqliteSynchronous_;
}

fn sqlite_file_dir(url: &str) -> Option<std::path::PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next()?;
    if path.is_empty() || path.starts_with(":memory:") {
        return None;
    }
    std::path::Path::new(path)
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map(|p| p.to_path_buf())
}

/// Applies pending migrations.
///
/// # Errors
/// A migration fails.
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    Migrator::up(db, None).await.context("running migrations")?;
    Ok(())
}

/// Opens a transaction that will write: `BEGIN IMMEDIATE` on SQLite (so a read-then-write
/// never fails with SQLITE_BUSY mid-transaction), READ COMMITTED on PostgreSQL.
///
/// # Errors
/// The database refuses to start a transaction.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    match db.get_database_backend() {
        DbBackend::Sqlite => {
            db.begin_with_options(TransactionOptions {
                isolation_level: None,
                access_mode: None,
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            })
            .await
        }
        _ => {
            db.begin_with_options(TransactionOptions {
                isolation_level: Some(IsolationLevel::ReadCommitted),
                access_mode: Some(AccessMode::ReadWrite),
                sqlite_transaction_mode: None,
            })
            .await
        }
    }
}

/// Runs `stmts` in order (in the caller's transaction) and returns how many rows they changed
/// in all. On SQLite they go to the database in one call, so a unit of work of many statements
/// costs one hand-off to SQLite's connection thread; PostgreSQL runs them one by one (a
/// prepared statement there holds one command). The statements must use sea-query's plain
/// `?` placeholders on SQLite (their values are passed in order across the statements).
///
/// # Errors
/// The first statement that fails (the statements before it have run: roll back).
pub async fn execute_all(db: &impl ConnectionTrait, stmts: Vec<Statement>) -> Result<u64, DbErr> {
    match db.get_database_backend() {
        DbBackend::Sqlite if stmts.len() > 1 => {
            let mut sql = String::new();
            let mut values = Vec::new();
            for s in stmts {
                debug_assert!(
                    !s.sql.contains("?1"),
                    "numbered placeholders cannot be joined: {}",
                    s.sql
                );
                sql.push_str(&s.sql);
                sql.push_str(";\n");
                values.extend(s.values.map(|v| v.0).unwrap_or_default());
            }
            let joined = Statement::from_sql_and_values(DbBackend::Sqlite, sql, values);
            Ok(db.execute_raw(joined).await?.rows_affected())
        }
        _ => {
            let mut changed = 0;
            for s in stmts {
                changed += db.execute_raw(s).await?.rows_affected();
            }
            Ok(changed)
        }
    }
}

/// Rows per INSERT of [`insert_rows`]: keeps the bound parameters of one statement well under
/// SQLite's limit (32,766) and PostgreSQL's (65,535) for tables of up to ~60 columns.
const ROWS_PER_INSERT: usize = 500;

/// INSERT statements for `rows` (none for no rows), at most [`ROWS_PER_INSERT`] rows each.
pub fn insert_rows<A>(backend: DbBackend, rows: Vec<A>) -> Vec<Statement>
where
    A: sea_orm::ActiveModelTrait,
{
    let mut out = Vec::new();
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<A> = rows.by_ref().take(ROWS_PER_INSERT).collect();
        out.push(<A::Entity as sea_orm::EntityTrait>::insert_many(chunk).build(backend));
    }
    out
}

/// Writes raw SQL with `$1, $2…` placeholders for the connection's backend
/// (SQLite gets `?1, ?2…`).
pub fn sql_for(backend: DbBackend, sql: &str) -> String {
    match backend {
        DbBackend::Sqlite => sql.replace('$', "?"),
        _ => sql.to_string(),
    }
}

/// Whether the database answers a trivial query.
pub async fn ping(db: &impl ConnectionTrait) -> bool {
    db.execute_unprepared("SELECT 1").await.is_ok()
}

/// Sets `sets` on the rows of `E` matching `cond` (the repos' guarded updates: `cond` names
/// the state a row must still be in): how many rows changed.
///
/// # Errors
/// Database failure.
pub async fn update_where<E: sea_orm::EntityTrait>(
    db: &impl ConnectionTrait,
    sets: Vec<(E::Column, sea_orm::sea_query::SimpleExpr)>,
    cond: sea_orm::Condition,
) -> Result<u64, DbErr> {
    use sea_orm::QueryFilter;
    let mut up = E::update_many();
    for (col, value) in sets {
        up = up.col_expr(col, value);
    }
    Ok(up.filter(cond).exec(db).await?.rows_affected)
}
