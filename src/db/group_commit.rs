//! Group commit for SQLite: concurrent write transactions of one kind (order placement) are
//! run one after another inside a single database transaction, each in its own savepoint, and
//! committed together, so one `fsync` covers many of them. SQLite runs one writer at a time
//! anyway, so nothing is lost by running them in turn; with `synchronous=FULL` a commit costs a
//! disk flush, and sharing it is what lets order placement exceed the one-transaction-per-order
//! commit rate while every acknowledged order is still on disk before its response is sent.
//!
//! A unit whose work fails is rolled back to its savepoint and gets its own error; the others in
//! the batch are unaffected. If the shared commit fails, every unit of the batch gets the error
//! (nothing of the batch is stored). Results are handed back only after the commit.
//!
//! On PostgreSQL each unit is simply its own transaction: the server already shares WAL flushes
//! between concurrent commits, and running units in turn would only serialise them.
//!
//! A unit must write through the transaction it is given only (never through the pool, which on
//! SQLite would wait for the lock this batch holds) and must not submit another unit.
use super::begin_write;
use futures_util::FutureExt;
use sea_orm::{DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, TransactionTrait};
use std::{
    future::Future,
    pin::Pin,
    sync::{Arc, OnceLock},
};
use tokio::sync::{mpsc, oneshot};
use tracing::Instrument;

/// The future a unit of work returns, borrowing its transaction.
pub type UnitFuture<'a, T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send + 'a>>;

/// Hands a unit's result over once the batch's commit is known (`None` = committed).
type Deliver = Box<dyn FnOnce(Option<&DbErr>) + Send>;
/// A queued unit: runs in the batch's transaction, says whether the transaction is still usable.
type Work = Box<
    dyn for<'a> FnOnce(
            &'a DatabaseTransaction,
        ) -> Pin<Box<dyn Future<Output = (Deliver, bool)> + Send + 'a>>
        + Send,
>;

/// Most units in one batch (bounds how long one batch holds the write lock).
const MAX_BATCH: usize = 64;

/// Runs units of write work with group commit on SQLite (see the module).
///
/// The batches run on a thread of their own (started with the first unit, ended when the last
/// clone of this value is dropped), so the writer is never queued behind request handlers:
/// each of its statements is a hand-off to SQLite's connection thread, and the whole batch holds
/// the write lock meanwhile.
#[derive(Clone)]
pub struct GroupCommit {
    db: DatabaseConnection,
    writer: Arc<OnceLock<mpsc::UnboundedSender<Work>>>,
}

impl GroupCommit {
    /// Group commit over `db`'s pool.
    pub fn new(db: DatabaseConnection) -> Self {
        Self {
            db,
            writer: Arc::new(OnceLock::new()),
        }
    }

    fn start_writer(&self) -> mpsc::UnboundedSender<Work> {
        let (tx, rx) = mpsc::unbounded_channel();
        let db = self.db.clone();
        let started = std::thread::Builder::new()
            .name("yuimaru-writer".into())
            .spawn(move || {
                match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt.block_on(write_batches(db, rx)),
                    Err(e) => tracing::error!(error = %e, "the write batch thread has no runtime"),
                }
            });
        if let Err(e) = started {
            tracing::error!(error = %e, "the write batch thread did not start");
        }
        tx
    }

    /// Runs `unit` in a write transaction (shared with other units on SQLite) and returns its
    /// result once that transaction is committed. An `Err` from the unit rolls back its writes
    /// only.
    ///
    /// # Errors
    /// The unit's error, or the database's when the transaction cannot begin or commit.
    pub async fn run<T, E, F>(&self, unit: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbErr> + Send + 'static,
        F: for<'a> FnOnce(&'a DatabaseTransaction) -> UnitFuture<'a, T, E> + Send + 'static,
    {
        if self.db.get_database_backend() != DbBackend::Sqlite {
            let txn = begin_write(&self.db).await?;
            let v = unit(&txn).await?;
            txn.commit().await?;
            return Ok(v);
        }
        let (tx, rx) = oneshot::channel::<Result<T, E>>();
        // The unit runs in the batch's task: it keeps its caller's request id and log span.
        let request_id = crate::error::current_request_id();
        let span = tracing::Span::current();
        let work: Work = Box::new(move |txn| {
            let run = async move {
                let (out, usable) = match txn.begin().await {
                    Err(e) => (Err(E::from(e)), false),
                    Ok(sp) => match unit(&sp).await {
                        Ok(v) => match sp.commit().await {
                            Ok(()) => (Ok(v), true),
                            Err(e) => (Err(E::from(e)), false),
                        },
                        Err(e) => {
                            let usable = sp.rollback().await.is_ok();
                            (Err(e), usable)
                        }
                    },
                };
                let deliver: Deliver = Box::new(move |commit: Option<&DbErr>| {
                    let out = match (out, commit) {
                        (Ok(_), Some(e)) => Err(E::from(DbErr::Custom(format!(
                            "the batch commit failed: {e}"
                        )))),
                        (out, _) => out,
                    };
                    let _ = tx.send(out);
                });
                (deliver, usable)
            }
            .instrument(span);
            match request_id {
                Some(id) => Box::pin(crate::error::REQUEST_ID.scope(id, run)),
                None => Box::pin(run),
            }
        });
        // A caller that goes away does not stop the unit: the writer thread runs it.
        let _ = self.writer.get_or_init(|| self.start_writer()).send(work);
        rx.await.unwrap_or_else(|_| {
            Err(E::from(DbErr::Custom(
                "the write batch stopped before answering".into(),
            )))
        })
    }
}

/// The writer thread: takes whatever units are waiting (up to [`MAX_BATCH`]) as one batch,
/// until every sender is gone.
async fn write_batches(db: DatabaseConnection, mut rx: mpsc::UnboundedReceiver<Work>) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(w) => batch.push(w),
                Err(_) => break,
            }
        }
        // A panicking unit fails its batch (the callers get an error), not the writer.
        if std::panic::AssertUnwindSafe(run_batch(&db, batch))
            .catch_unwind()
            .await
            .is_err()
        {
            tracing::error!("a write batch panicked; its units were not committed");
        }
    }
}

async fn run_batch(db: &DatabaseConnection, batch: Vec<Work>) {
    let Ok(txn) = begin_write(db).await else {
        // Dropping the units answers their callers with an error.
        tracing::error!(
            units = batch.len(),
            "a write batch could not begin its transaction"
        );
        return;
    };
    let mut delivers = Vec::with_capacity(batch.len());
    let mut rest = batch.into_iter();
    let mut usable = true;
    for work in rest.by_ref() {
        let (deliver, ok) = work(&txn).await;
        delivers.push(deliver);
        if !ok {
            usable = false;
            break;
        }
    }
    // Units not run (the transaction became unusable) are dropped: their callers get an error.
    drop(rest);
    let commit = if usable {
        txn.commit().await.err()
    } else {
        let _ = txn.rollback().await;
        Some(DbErr::Custom(
            "a unit left the batch transaction unusable; the batch was rolled back".into(),
        ))
    };
    for d in delivers {
        d(commit.as_ref());
    }
}
