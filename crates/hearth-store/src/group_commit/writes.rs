//! Group commit of units of work that write.
//!
//! SQLite has one writer, and with `synchronous = FULL` every commit waits for an fsync. With
//! one transaction a unit of work, a busy service's writes queue up behind one fsync each.
//! PostgreSQL runs writers side by side, but nearly every write moves one of a few rows an
//! organisation has (its audit chain's head, its referral and case numbers), so its writers
//! queue for those rows' locks, each held until its commit's fsync: the same queue.
//! Instead units share a transaction. Each runs alone on the one write connection, inside a
//! savepoint of its own, and when it is done it releases the savepoint and waits. The
//! transaction commits, one fsync for all of them, as soon as no other unit is waiting to begin
//! (so a lone write is not held back) or once it carries [`MOST_PER_COMMIT`] units; only then is
//! each unit's commit answered.
//!
//! A unit that fails, or is dropped uncommitted, rolls back to its own savepoint: its work alone
//! is undone. If the shared transaction fails (an fsync that failed, a full disk), every unit in
//! it is told so, and none of them had been answered. A bulk load's units instead take a
//! transaction each to themselves ([`Writer::begin_alone`]), with no savepoint to copy their
//! pages into.
//!
//! A unit's audit entries are not written in its savepoint. They are handed to the transaction
//! when the unit is released, and written just before it commits, all units' entries at once: a
//! few statements for each organisation's chain a commit, rather than for each unit. They are
//! still all or nothing with the work they record, since they commit in the same transaction or
//! not at all, and a unit undone hands over none.
//!
//! A unit can read what an earlier unit in its transaction wrote before that is durable. That is
//! safe because nothing is answered before the commit: a unit that acknowledges what it read (a
//! replayed submission key answered with the record first saved) commits too, and so waits for
//! the same fsync.

use crate::audit::{self, AuditEvent};
use crate::db::Backend;
use crate::{Result, StoreError};
use hearth_domain::clock::Timestamp;
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, AnyPool, Executor};
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::sync::{oneshot, Mutex, OwnedMutexGuard};

/// The most units one transaction carries: enough to share an fsync among every client of a
/// busy hour, few enough that a long queue is still answered in steps.
const MOST_PER_COMMIT: usize = 64;

/// How a shared transaction ended, as each unit in it is told.
type Outcome = std::result::Result<(), String>;

/// The one way units of work that write reach the database, on either backend.
#[derive(Clone)]
pub(crate) struct Writer {
    batch: Arc<Mutex<Batch>>,
    /// Units that have asked to begin and are not yet let in: while there are any, a unit that
    /// finishes leaves the transaction open for them.
    waiting: Arc<AtomicUsize>,
    pool: AnyPool,
    backend: Backend,
}

struct Batch {
    /// The write connection, inside the shared transaction. `None` between transactions, when
    /// the connection is back in its pool (on SQLite, for maintenance to use).
    conn: Option<PoolConnection<Any>>,
    /// Units whose work is done, each waiting to hear how the transaction ended. Never
    /// non-empty without a connection.
    done: Vec<oneshot::Sender<Outcome>>,
    /// The audit entries of the units done, in the order they were released, to be written
    /// just before the transaction commits.
    audit: Vec<(Timestamp, AuditEvent)>,
    /// The key the audit chains are hashed with.
    key: Arc<[u8; 32]>,
}

/// One unit of work's turn on the write connection, inside its savepoint, or alone in a
/// transaction of its own.
pub(crate) struct Unit {
    batch: Option<OwnedMutexGuard<Batch>>,
    waiting: Arc<AtomicUsize>,
    /// Alone in its transaction, with no savepoint: it commits or rolls back the transaction.
    alone: bool,
}

impl Writer {
    /// Units take a connection from this pool for each shared transaction (on SQLite, the one
    /// write connection).
    pub(crate) fn new(pool: AnyPool, backend: Backend, key: Arc<[u8; 32]>) -> Writer {
        let batch = Batch {
            conn: None,
            done: Vec::new(),
            audit: Vec::new(),
            key,
        };
        Writer {
            batch: Arc::new(Mutex::new(batch)),
            waiting: Arc::new(AtomicUsize::new(0)),
            pool,
            backend,
        }
    }

    /// How many units are waiting to begin.
    pub(crate) fn waiting(&self) -> usize {
        self.waiting.load(Ordering::SeqCst)
    }

    /// Wait for the write connection and begin a unit on it.
    ///
    /// On its own task, so that a caller cancelled while it waits (a client hanging up) cannot
    /// leave the connection half-way into a savepoint: a unit nobody takes is dropped on that
    /// task, and rolls back.
    pub(crate) async fn begin(&self) -> Result<Unit> {
        let writer = self.clone();
        tokio::spawn(writer.enter())
            .await
            .map_err(|e| StoreError::NotSaved(format!("beginning a unit of work failed: {e}")))?
    }

    /// Begin a unit alone in a transaction of its own, once the shared one open now has
    /// committed. For a bulk load: inside a savepoint, every page a unit first changes is copied
    /// to a statement journal so that the unit alone can be undone, and a unit of two hundred
    /// families changes tens of thousands of pages. Alone, undoing it is rolling back.
    pub(crate) async fn begin_alone(&self) -> Result<Unit> {
        let writer = self.clone();
        tokio::spawn(writer.enter_alone())
            .await
            .map_err(|e| StoreError::NotSaved(format!("beginning a unit of work failed: {e}")))?
    }

    async fn enter_alone(self) -> Result<Unit> {
        let mut batch = self.take_turn().await;
        if batch.conn.is_some() {
            end(&mut batch).await;
        }
        self.begin_transaction(&mut batch).await?;
        Ok(Unit {
            batch: Some(batch),
            waiting: self.waiting,
            alone: true,
        })
    }

    async fn enter(self) -> Result<Unit> {
        let mut batch = self.open().await?;
        if let Err(e) = run(&mut batch, "SAVEPOINT unit").await {
            finish(&mut batch, Err(e.clone())).await;
            return Err(StoreError::NotSaved(format!(
                "beginning a unit of work failed: {e}"
            )));
        }
        Ok(Unit {
            batch: Some(batch),
            waiting: self.waiting,
            alone: false,
        })
    }

    /// Wait for the write connection, and begin the shared transaction on it if none is open.
    async fn open(&self) -> Result<OwnedMutexGuard<Batch>> {
        let mut batch = self.take_turn().await;
        self.begin_transaction(&mut batch).await?;
        Ok(batch)
    }

    /// Wait for the write connection, counted among the waiting meanwhile.
    async fn take_turn(&self) -> OwnedMutexGuard<Batch> {
        self.waiting.fetch_add(1, Ordering::SeqCst);
        let batch = self.batch.clone().lock_owned().await;
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        batch
    }

    /// Begin the shared transaction if none is open.
    async fn begin_transaction(&self, batch: &mut Batch) -> Result<()> {
        if batch.conn.is_none() {
            let mut conn = self.pool.acquire().await?;
            // If this fails no transaction was begun, and the connection goes back as it came.
            // SQLite takes the write lock at once, so no unit fails half-way for want of it.
            conn.execute(match self.backend {
                Backend::Sqlite => "BEGIN IMMEDIATE",
                Backend::Postgres => "BEGIN",
            })
            .await?;
            batch.conn = Some(conn);
        }
        Ok(())
    }

    /// Write audit entries that record no other change (views'), in the next shared commit,
    /// and return once it has committed. Like a unit's commit, on its own task.
    pub(crate) async fn append(&self, events: Vec<(Timestamp, AuditEvent)>) -> Result<()> {
        let writer = self.clone();
        let (told, outcome) = oneshot::channel();
        tokio::spawn(async move {
            match writer.open().await {
                Ok(mut batch) => {
                    batch.audit.extend(events);
                    batch.done.push(told);
                    settle(&mut batch, &writer.waiting).await;
                }
                Err(e) => {
                    let _ = told.send(Err(e.to_string()));
                }
            }
        });
        answer(outcome.await)
    }
}

/// What a unit is told of the transaction that carried it.
fn answer(told: std::result::Result<Outcome, oneshot::error::RecvError>) -> Result<()> {
    match told {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(StoreError::NotSaved(format!(
            "the shared transaction was lost: {e}"
        ))),
        Err(_) => Err(StoreError::NotSaved(
            "the writer stopped before saving".into(),
        )),
    }
}

impl Unit {
    /// Keep this unit's work and the audit entries that record it, and return once the
    /// transaction that carries them has committed.
    pub(crate) async fn commit(mut self, audit: Vec<(Timestamp, AuditEvent)>) -> Result<()> {
        let batch = self.batch.take().expect("a unit ends once");
        let (told, outcome) = oneshot::channel();
        // On its own task: the release and the commit must finish even if the caller is
        // cancelled, or the units that share the transaction would never hear.
        tokio::spawn(release(
            batch,
            self.waiting.clone(),
            self.alone,
            (audit, told),
        ));
        answer(outcome.await)
    }

    /// Undo this unit's work, now rather than on drop.
    pub(crate) async fn rollback(mut self) -> Result<()> {
        let batch = self.batch.take().expect("a unit ends once");
        tokio::spawn(undo(batch, self.waiting.clone(), self.alone))
            .await
            .map_err(|e| StoreError::NotSaved(format!("undoing a unit of work failed: {e}")))
    }
}

impl Drop for Unit {
    /// Dropped uncommitted (an error, or a request cancelled): undo its work alone. A drop
    /// cannot wait, so the undoing runs on a task, which holds the connection until it is done.
    fn drop(&mut self) {
        if let Some(batch) = self.batch.take() {
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                runtime.spawn(undo(batch, self.waiting.clone(), self.alone));
            }
        }
    }
}

impl Deref for Unit {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        self.batch
            .as_ref()
            .and_then(|b| b.conn.as_deref())
            .expect("a unit holds the write connection until it ends")
    }
}

impl DerefMut for Unit {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        self.batch
            .as_mut()
            .and_then(|b| b.conn.as_deref_mut())
            .expect("a unit holds the write connection until it ends")
    }
}

async fn release(
    mut batch: OwnedMutexGuard<Batch>,
    waiting: Arc<AtomicUsize>,
    alone: bool,
    (audit, told): (Vec<(Timestamp, AuditEvent)>, oneshot::Sender<Outcome>),
) {
    if alone {
        batch.audit.extend(audit);
        batch.done.push(told);
        end(&mut batch).await;
        return;
    }
    match run(&mut batch, "RELEASE SAVEPOINT unit").await {
        Ok(()) => {
            batch.audit.extend(audit);
            batch.done.push(told);
        }
        Err(e) => {
            let _ = told.send(Err(e));
            if let Err(e) = roll_back_unit(&mut batch).await {
                finish(&mut batch, Err(e)).await;
                return;
            }
        }
    }
    settle(&mut batch, &waiting).await;
}

async fn undo(mut batch: OwnedMutexGuard<Batch>, waiting: Arc<AtomicUsize>, alone: bool) {
    if alone {
        // Nothing else is in its transaction: ending it with nothing done rolls it back.
        end(&mut batch).await;
        return;
    }
    if let Err(e) = roll_back_unit(&mut batch).await {
        finish(&mut batch, Err(e)).await;
        return;
    }
    settle(&mut batch, &waiting).await;
}

/// Undo the unit's work and end its savepoint. On PostgreSQL this also clears a failed
/// statement's abort, so the shared transaction goes on.
async fn roll_back_unit(batch: &mut Batch) -> Outcome {
    run(batch, "ROLLBACK TO SAVEPOINT unit").await?;
    run(batch, "RELEASE SAVEPOINT unit").await
}

/// End the transaction now, unless another unit is waiting to add to it and it has room.
async fn settle(batch: &mut Batch, waiting: &AtomicUsize) {
    if batch.conn.is_none()
        || (waiting.load(Ordering::SeqCst) > 0 && batch.done.len() < MOST_PER_COMMIT)
    {
        return;
    }
    end(batch).await;
}

/// End the transaction now: commit what its units did, or, if none kept anything, roll it back
/// without an fsync.
async fn end(batch: &mut Batch) {
    if batch.conn.is_none() {
        return;
    }
    if batch.done.is_empty() {
        // Nothing in it to keep: end it without an fsync.
        let ended = run(batch, "ROLLBACK").await;
        finish(batch, ended).await;
        return;
    }
    let committed = match write_audit(batch).await {
        Ok(()) => run(batch, "COMMIT").await,
        Err(e) => Err(e),
    };
    finish(batch, committed).await;
}

/// Write the audit entries of every unit in the transaction, chain by chain.
async fn write_audit(batch: &mut Batch) -> Outcome {
    if batch.audit.is_empty() {
        return Ok(());
    }
    let events = std::mem::take(&mut batch.audit);
    let key = batch.key.clone();
    let conn = batch
        .conn
        .as_deref_mut()
        .ok_or_else(|| "no transaction is open".to_string())?;
    audit::append_all(conn, &key[..], events)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// The transaction has ended, or must: tell every unit in it how, and give the connection back
/// to the pool outside any transaction. One that cannot be brought out of it is closed, never
/// pooled, so no one else inherits a half-finished transaction.
async fn finish(batch: &mut Batch, outcome: Outcome) {
    if outcome.is_err() && run(batch, "ROLLBACK").await.is_err() {
        if let Some(conn) = batch.conn.as_mut() {
            conn.close_on_drop();
        }
    }
    batch.conn = None;
    batch.audit.clear();
    for told in batch.done.drain(..) {
        let _ = told.send(outcome.clone());
    }
}

async fn run(batch: &mut Batch, sql: &str) -> Outcome {
    let conn = batch
        .conn
        .as_mut()
        .ok_or_else(|| "no transaction is open".to_string())?;
    conn.execute(sql)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}
