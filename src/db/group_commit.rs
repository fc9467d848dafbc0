//! Group commit for SQLite: concurrent writes of one kind (order placement) are collected into
//! batches, and each batch is written by one call of the kind's batch function inside one
//! transaction, so one `fsync` — and one read and one write round trip to SQLite's connection
//! thread — covers many of them. SQLite runs one writer at a time anyway, so nothing is lost by
//! writing them together; with `synchronous=FULL` a commit costs a disk flush, and sharing it is
//! what lets order placement exceed the one-transaction-per-order commit rate while every
//! acknowledged write is still on disk before its answer is sent.
//!
//! The batch function answers each input on its own (an input it refuses writes nothing) or
//! fails as a whole (its writes could not be made). A batch that fails as a whole is rolled back
//! and its inputs are written again one at a time, each in a savepoint of one transaction, so
//! one bad input gets its own error and the others are unaffected. If the commit fails, every
//! input of the batch gets the error (nothing of the batch is stored). Answers are handed back
//! only after the commit.
//!
//! On PostgreSQL each input is simply written in a transaction of its own (a batch of one): the
//! server already shares WAL flushes between concurrent commits, and batching would only
//! serialise them.
use super::begin_write;
use crate::config::DatabaseSettings;
use futures_util::FutureExt;
use sea_orm::{DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, TransactionTrait};
use std::{
    future::Future,
    pin::Pin,
    sync::{Arc, OnceLock},
};
use tokio::sync::{mpsc, oneshot};
use tracing::Instrument;

/// What a batch function returns: one answer per input (in order), or the error that failed
/// the whole batch.
pub type BatchFuture<'a, T, E> =
    Pin<Box<dyn Future<Output = Result<Vec<Result<T, E>>, E>> + Send + 'a>>;

/// Writes a batch of inputs in the given transaction. An input answered with `Err` must have
/// written nothing; returning `Err` for the whole batch means its writes must be rolled back.
pub type BatchFn<I, T, E> = for<'a> fn(&'a DatabaseTransaction, &'a [I]) -> BatchFuture<'a, T, E>;

/// Most inputs in one batch (bounds how long one batch holds the write lock).
const MAX_BATCH: usize = 64;

/// An input waiting for the writer, with where its answer goes.
struct Queued<I, T, E> {
    input: I,
    reply: oneshot::Sender<Result<T, E>>,
}

/// Writes inputs of one kind with group commit on SQLite (see the module).
///
/// The batches run on a thread of their own (started with the first input, ended when the last
/// clone of this value is dropped) with a connection of their own, so the writer never queues
/// behind request handlers for a pooled connection, and its page cache is never invalidated by
/// another writer.
pub struct GroupCommit<I, T, E> {
    db: DatabaseConnection,
    settings: Arc<DatabaseSettings>,
    write: BatchFn<I, T, E>,
    writer: Arc<OnceLock<mpsc::UnboundedSender<Queued<I, T, E>>>>,
}

impl<I, T, E> Clone for GroupCommit<I, T, E> {
    fn clone(&self) -> Self {
        Self {
            db: self.db.clone(),
            settings: self.settings.clone(),
            write: self.write,
            writer: self.writer.clone(),
        }
    }
}

impl<I, T, E> GroupCommit<I, T, E>
where
    I: Send + Sync + 'static,
    T: Send + 'static,
    E: From<DbErr> + Send + 'static,
{
    /// Group commit of `write` over `db`. On SQLite the writer opens a connection of its own
    /// from `settings` (see [`super::connect_writer`]) and falls back to `db`'s pool if it
    /// cannot.
    pub fn new(
        db: DatabaseConnection,
        settings: &DatabaseSettings,
        write: BatchFn<I, T, E>,
    ) -> Self {
        Self {
            db,
            settings: Arc::new(settings.clone()),
            write,
            writer: Arc::new(OnceLock::new()),
        }
    }

    fn start_writer(&self) -> mpsc::UnboundedSender<Queued<I, T, E>> {
        let (tx, rx) = mpsc::unbounded_channel();
        let shared = self.db.clone();
        let settings = self.settings.clone();
        let write = self.write;
        let started = std::thread::Builder::new()
            .name("yuimaru-writer".into())
            .spawn(move || {
                match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt.block_on(async move {
                        let db = match super::connect_writer(&settings).await {
                            Ok(Some(own)) => own,
                            Ok(None) => shared,
                            Err(e) => {
                                tracing::warn!(error = %e, "the write batch thread uses the shared pool");
                                shared
                            }
                        };
                        write_batches(db, write, rx).await;
                    }),
                    Err(e) => tracing::error!(error = %e, "the write batch thread has no runtime"),
                }
            });
        if let Err(e) = started {
            tracing::error!(error = %e, "the write batch thread did not start");
        }
        tx
    }

    /// Writes `input` (in a batch with others on SQLite) and returns its answer once the
    /// transaction holding it is committed.
    ///
    /// # Errors
    /// The batch function's answer for `input`, or the database's error when the transaction
    /// cannot begin or commit.
    pub async fn run(&self, input: I) -> Result<T, E> {
        if self.db.get_database_backend() != DbBackend::Sqlite {
            let txn = begin_write(&self.db).await?;
            let answer = single((self.write)(&txn, std::slice::from_ref(&input)).await)?;
            txn.commit().await?;
            return answer;
        }
        let (reply, answer) = oneshot::channel();
        // A caller that goes away does not stop the write: the writer thread does it.
        let _ = self
            .writer
            .get_or_init(|| self.start_writer())
            .send(Queued { input, reply });
        answer.await.unwrap_or_else(|_| {
            Err(E::from(DbErr::Custom(
                "the write batch stopped before answering".into(),
            )))
        })
    }
}

/// The one answer of a batch of one: `Ok(answer)` to commit (an `Err` answer wrote nothing),
/// `Err` when the write failed and must be rolled back.
fn single<T, E: From<DbErr>>(batch: Result<Vec<Result<T, E>>, E>) -> Result<Result<T, E>, E> {
    let mut answers = batch?;
    match (answers.pop(), answers.is_empty()) {
        (Some(a), true) => Ok(a),
        _ => Err(E::from(DbErr::Custom(
            "a batch of one did not give one answer".into(),
        ))),
    }
}

/// The writer thread: takes whatever inputs are waiting (up to [`MAX_BATCH`]) as one batch,
/// until every sender is gone.
async fn write_batches<I, T, E>(
    db: DatabaseConnection,
    write: BatchFn<I, T, E>,
    mut rx: mpsc::UnboundedReceiver<Queued<I, T, E>>,
) where
    E: From<DbErr>,
{
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(q) => batch.push(q),
                Err(_) => break,
            }
        }
        let (inputs, replies): (Vec<I>, Vec<_>) =
            batch.into_iter().map(|q| (q.input, q.reply)).unzip();
        let span = tracing::info_span!("write_batch", inputs = inputs.len());
        // A panicking batch fails its inputs (dropped replies answer with an error), not the
        // writer.
        let answers = std::panic::AssertUnwindSafe(run_batch(&db, write, &inputs))
            .catch_unwind()
            .instrument(span)
            .await;
        match answers {
            Ok(answers) => {
                for (reply, answer) in replies.into_iter().zip(answers) {
                    let _ = reply.send(answer);
                }
            }
            Err(_) => tracing::error!("a write batch panicked; its inputs were not committed"),
        }
    }
}

/// The answers of a batch of `n` inputs that failed with `e` (nothing of it is stored).
fn all_failed<T, E: From<DbErr>>(n: usize, e: &DbErr) -> Vec<Result<T, E>> {
    (0..n)
        .map(|_| {
            Err(E::from(DbErr::Custom(format!(
                "the write batch failed: {e}"
            ))))
        })
        .collect()
}

/// Writes one batch: all together, or (when that fails) one at a time in savepoints.
async fn run_batch<I, T, E>(
    db: &DatabaseConnection,
    write: BatchFn<I, T, E>,
    inputs: &[I],
) -> Vec<Result<T, E>>
where
    E: From<DbErr>,
{
    let failed = |e: &DbErr| all_failed(inputs.len(), e);
    let txn = match begin_write(db).await {
        Ok(t) => t,
        Err(e) => return failed(&e),
    };
    let together = write(&txn, inputs).await;
    let answers = match together {
        Ok(answers) if answers.len() == inputs.len() => answers,
        // A batch of one has its answer: the error.
        Err(e) if inputs.len() == 1 => {
            let _ = txn.rollback().await;
            return vec![Err(e)];
        }
        _ => {
            if txn.rollback().await.is_err() {
                return failed(&DbErr::Custom("the batch could not be rolled back".into()));
            }
            tracing::debug!(
                inputs = inputs.len(),
                "a write batch failed as a whole; writing its inputs one at a time"
            );
            return one_by_one(db, write, inputs).await;
        }
    };
    match txn.commit().await {
        Ok(()) => answers,
        Err(e) => failed(&e),
    }
}

/// Writes each input alone in a savepoint of one transaction.
async fn one_by_one<I, T, E>(
    db: &DatabaseConnection,
    write: BatchFn<I, T, E>,
    inputs: &[I],
) -> Vec<Result<T, E>>
where
    E: From<DbErr>,
{
    let failed = |e: &DbErr| all_failed(inputs.len(), e);
    let txn = match begin_write(db).await {
        Ok(t) => t,
        Err(e) => return failed(&e),
    };
    let mut answers = Vec::with_capacity(inputs.len());
    for input in inputs {
        let sp = match txn.begin().await {
            Ok(sp) => sp,
            Err(e) => return failed(&e),
        };
        match single(write(&sp, std::slice::from_ref(input)).await) {
            Ok(answer) => {
                if let Err(e) = sp.commit().await {
                    return failed(&e);
                }
                answers.push(answer);
            }
            Err(e) => {
                if let Err(e) = sp.rollback().await {
                    return failed(&e);
                }
                answers.push(Err(e));
            }
        }
    }
    match txn.commit().await {
        Ok(()) => answers,
        Err(e) => failed(&e),
    }
}
