//! Group commit of the audit entries of views.
//!
//! A page view reads on a snapshot and writes nothing but its audit entries, and it is not
//! served until they are durable. Committing each view's entries on its own would cost one
//! write transaction and one fsync per page. Instead every view hands its entries to one writer
//! task and waits: the task takes whatever has queued up while the last commit was flushing and
//! writes it all in one transaction, so under load one fsync carries many views' entries.

use crate::audit::{self, AuditEvent};
use crate::db::Backend;
use crate::{Result, StoreError};
use hearth_domain::clock::Timestamp;
use sqlx::AnyPool;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// The most views one commit carries: enough to share an fsync widely, few enough that one
/// transaction stays short.
const MOST_PER_COMMIT: usize = 512;

/// How many views may wait for the writer before a new one waits to hand its entries over.
const QUEUE: usize = 4_096;

struct Job {
    now: Timestamp,
    events: Vec<AuditEvent>,
    done: oneshot::Sender<std::result::Result<(), String>>,
}

/// The handle views send their entries through.
#[derive(Clone)]
pub(crate) struct AuditWriter {
    jobs: mpsc::Sender<Job>,
}

impl AuditWriter {
    /// Start the writer on the store's write pool. It runs until every handle is dropped.
    pub(crate) fn start(pool: AnyPool, backend: Backend, key: Arc<[u8; 32]>) -> AuditWriter {
        let (jobs, rx) = mpsc::channel(QUEUE);
        tokio::spawn(run(rx, pool, backend, key));
        AuditWriter { jobs }
    }

    /// Write these entries, and return once they are committed.
    pub(crate) async fn append(&self, now: Timestamp, events: Vec<AuditEvent>) -> Result<()> {
        let (done, committed) = oneshot::channel();
        let stopped = || StoreError::Config("the audit writer has stopped".into());
        self.jobs
            .send(Job { now, events, done })
            .await
            .map_err(|_| stopped())?;
        committed
            .await
            .map_err(|_| stopped())?
            .map_err(|e| StoreError::Config(format!("writing the audit trail failed: {e}")))
    }
}

async fn run(mut rx: mpsc::Receiver<Job>, pool: AnyPool, backend: Backend, key: Arc<[u8; 32]>) {
    while let Some(first) = rx.recv().await {
        let mut jobs = vec![first];
        while jobs.len() < MOST_PER_COMMIT {
            match rx.try_recv() {
                Ok(j) => jobs.push(j),
                Err(_) => break,
            }
        }
        let outcome = write(&pool, backend, &key[..], &mut jobs)
            .await
            .map_err(|e| e.to_string());
        if let Err(e) = &outcome {
            tracing::error!(error = %e, views = jobs.len(), "audit group commit failed");
        }
        for j in jobs {
            // A view whose request has gone no longer waits; its entries are written all the same.
            let _ = j.done.send(outcome.clone());
        }
    }
}

async fn write(pool: &AnyPool, backend: Backend, key: &[u8], jobs: &mut [Job]) -> Result<()> {
    let mut tx = match backend {
        Backend::Sqlite => pool.begin_with("BEGIN IMMEDIATE").await?,
        Backend::Postgres => pool.begin().await?,
    };
    let events: Vec<_> = jobs
        .iter_mut()
        .flat_map(|j| {
            let now = j.now;
            std::mem::take(&mut j.events)
                .into_iter()
                .map(move |ev| (now, ev))
        })
        .collect();
    audit::append_all(&mut tx, key, events).await?;
    tx.commit().await?;
    Ok(())
}
