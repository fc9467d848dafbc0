//! The command line: `serve` (default), `worker`, `migrate`, `aggregator create`, `user create`.
use crate::{
    auth::users,
    config::{Environment, Settings},
    db,
    http::actor::Role,
    jobs,
    mail::Mailer,
    startup::Application,
    telemetry,
};
use clap::{Parser, Subcommand};
use migration::{Migrator, MigratorTrait};
use std::io::Read;

/// yuimaru: consolidated storefront back end.
#[derive(Debug, Parser)]
#[command(name = "yuimaru", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Sub-commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve HTTP (and run jobs unless jobs.run_in_serve = false). The default.
    Serve,
    /// Run background jobs only.
    Worker {
        /// Run the jobs that are due now, then exit.
        #[arg(long)]
        once: bool,
    },
    /// Database migrations.
    Migrate {
        #[command(subcommand)]
        action: MigrateAction,
    },
    /// Tenants.
    Aggregator {
        #[command(subcommand)]
        action: AggregatorAction,
    },
    /// Accounts.
    User {
        #[command(subcommand)]
        action: UserAction,
    },
    /// Sales channels.
    Channels {
        #[command(subcommand)]
        action: ChannelsAction,
    },
    /// Officer analytics.
    Analytics {
        #[command(subcommand)]
        action: AnalyticsAction,
    },
}

/// `analytics` actions.
#[derive(Debug, Subcommand)]
pub enum AnalyticsAction {
    /// Rebuild the daily sales rollup from the orders and check it equals the table (exit
    /// status 1 when a cell differs); with --apply, replace the table by the rebuilt cells.
    Rebuild {
        /// One aggregator's slug (every aggregator by default).
        #[arg(long)]
        aggregator: Option<String>,
        #[arg(long)]
        apply: bool,
    },
}

/// `channels` actions.
#[derive(Debug, Subcommand)]
pub enum ChannelsAction {
    /// Re-seal every channel's credentials with `channels.credential_key` (after adding a new
    /// key to `channels.credential_keys`); the old key can be removed afterwards.
    Rekey,
}

/// `migrate` actions.
#[derive(Debug, Subcommand)]
pub enum MigrateAction {
    /// Apply all pending migrations.
    Up,
    /// Roll back the last migration (or --steps N).
    Down {
        #[arg(long, default_value_t = 1)]
        steps: u32,
    },
    /// List applied and pending migrations.
    Status,
}

/// `aggregator` actions.
#[derive(Debug, Subcommand)]
pub enum AggregatorAction {
    /// Create an aggregator.
    Create {
        /// URL name, e.g. yaeyama.
        #[arg(long)]
        slug: String,
        /// Display name, e.g. 八重山物産センター.
        #[arg(long)]
        name: String,
    },
}

/// `user` actions.
#[derive(Debug, Subcommand)]
pub enum UserAction {
    /// Create a user (e.g. the first admin). Without --password-stdin a one-time link to set
    /// the password is printed.
    Create {
        /// admin, operator, finance, producer or officer.
        #[arg(long)]
        role: String,
        #[arg(long)]
        email: String,
        /// Display name (defaults to the email's local part).
        #[arg(long)]
        name: Option<String>,
        /// Aggregator slug (required for operator, finance, producer).
        #[arg(long)]
        aggregator: Option<String>,
        /// Prefecture code for officers, e.g. 47.
        #[arg(long)]
        prefecture: Option<String>,
        /// Read the password from standard input.
        #[arg(long)]
        password_stdin: bool,
    },
}

/// Runs the parsed command.
///
/// # Errors
/// Whatever the command fails with.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = Settings::load(Environment::from_env()?)?;
    telemetry::init(&settings.log);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        match cli.command.unwrap_or(Command::Serve) {
            Command::Serve => serve(settings).await,
            Command::Worker { once } => worker(settings, once).await,
            Command::Migrate { action } => migrate(settings, action).await,
            Command::Analytics {
                action: AnalyticsAction::Rebuild { aggregator, apply },
            } => {
                let db = db::connect(&settings.database).await?;
                db::migrate(&db).await?;
                let only = match aggregator {
                    Some(slug) => Some(
                        crate::aggregators::repo::by_slug(&db, &slug)
                            .await?
                            .ok_or_else(|| anyhow::anyhow!("no aggregator {slug}"))?
                            .id,
                    ),
                    None => None,
                };
                let mut differ = 0;
                for a in crate::aggregators::repo::list(&db, only).await? {
                    let r = crate::analytics::rollup::rebuild(&db, a.id, apply)
                        .await
                        .map_err(|e| anyhow::anyhow!(e.describe()))?;
                    println!(
                        "{}: {} cell(s) from the orders, {} differ{}",
                        a.slug,
                        r.cells,
                        r.differing,
                        if r.applied { " (replaced)" } else { "" }
                    );
                    if !r.applied {
                        differ += r.differing;
                    }
                }
                if differ > 0 {
                    anyhow::bail!("{differ} cell(s) differ from the orders: run with --apply");
                }
                Ok(())
            }
            Command::Channels {
                action: ChannelsAction::Rekey,
            } => {
                let db = db::connect(&settings.database).await?;
                db::migrate(&db).await?;
                let (moved, current) =
                    crate::channels::service::rekey(&db, &settings.channels).await?;
                println!(
                    "re-sealed {moved} channel credential(s) with key {}; {current} already used it",
                    settings.channels.credential_key
                );
                Ok(())
            }
            Command::Aggregator {
                action: AggregatorAction::Create { slug, name },
            } => {
                let db = db::connect(&settings.database).await?;
                db::migrate(&db).await?;
                let a = crate::aggregators::service::insert(&db, &slug, &name)
                    .await
                    .map_err(|e| anyhow::anyhow!("{}", e.describe()))?;
                println!("created aggregator {} ({})", a.slug, a.id);
                Ok(())
            }
            Command::User {
                action:
                    UserAction::Create {
                        role,
                        email,
                        name,
                        aggregator,
                        prefecture,
                        password_stdin,
                    },
            } => {
                let role = Role::parse(&role).ok_or_else(|| {
                    anyhow::anyhow!(
                        "--role must be one of admin, operator, finance, producer, officer"
                    )
                })?;
                let password = if password_stdin {
                    let mut s = String::new();
                    std::io::stdin().read_to_string(&mut s)?;
                    let s = s.trim_end_matches(['\r', '\n']).to_string();
                    Some(s)
                } else {
                    None
                };
                let name =
                    name.unwrap_or_else(|| email.split('@').next().unwrap_or("").to_string());
                let db = db::connect(&settings.database).await?;
                db::migrate(&db).await?;
                crate::aggregators::service::ensure_default(&db, &settings).await?;
                let (user, link) = users::create_user_cli(
                    &db,
                    &settings.server.base_url,
                    role,
                    &email,
                    &name,
                    aggregator.as_deref(),
                    prefecture,
                    password,
                    settings.auth.min_password_length,
                )
                .await?;
                println!("created {} user {} ({})", user.role, user.email, user.id);
                if let Some(link) = link {
                    println!("set the password within 72 hours at: {link}");
                }
                Ok(())
            }
        }
    })
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let app = Application::build(settings).await?;
    tracing::info!(port = app.port(), "yuimaru serving");
    if !crate::auth::users::any_admin(&app.state().db).await? {
        eprintln!(
            "yuimaru: no admin account yet. Create the first one with:\n  \
             echo 'a-long-password' | yuimaru user create --role admin --email you@example.jp --password-stdin\n\
             (with cargo: cargo run --release -- user create …). Producers register at {0}/register; the shop is at {0}/shop.",
            app.state().settings.server.base_url.trim_end_matches('/')
        );
    }
    app.run_until_stopped().await
}

async fn worker(settings: Settings, once: bool) -> anyhow::Result<()> {
    let db = db::connect(&settings.database).await?;
    if settings.database.migrate_on_start {
        db::migrate(&db).await?;
    }
    jobs::schedule::ensure_schedules(&db, &settings, &crate::startup::registry()).await?;
    let mailer = Mailer::from_settings(&settings)?;
    let state = crate::startup::build_state(db, settings, mailer)?;
    if once {
        let n = jobs::runner::run_pending(&state).await?;
        println!("ran {n} job(s)");
        return Ok(());
    }
    let (tx, rx) = tokio::sync::watch::channel(false);
    let handle = tokio::spawn(jobs::runner::run(state, rx));
    shutdown_signal().await;
    tracing::info!("stopping: finishing in-flight jobs");
    let _ = tx.send(true);
    let _ = handle.await;
    Ok(())
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

async fn migrate(settings: Settings, action: MigrateAction) -> anyhow::Result<()> {
    let db = db::connect(&settings.database).await?;
    match action {
        MigrateAction::Up => {
            db::migrate(&db).await?;
            println!("migrations applied");
        }
        MigrateAction::Down { steps } => {
            Migrator::down(&db, Some(steps)).await?;
            println!("rolled back {steps} migration(s)");
        }
        MigrateAction::Status => {
            for m in Migrator::get_applied_migrations(&db).await? {
                println!("applied  {}", m.name());
            }
            for m in Migrator::get_pending_migrations(&db).await? {
                println!("pending  {}", m.name());
            }
        }
    }
    Ok(())
}
