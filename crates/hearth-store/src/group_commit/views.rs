//! Group commit of the audit entries of views.
//!
//! A page view reads on a snapshot and writes nothing but its audit entries, and it is not
//! served until they are durable. Committing each view's entries on its own would cost one
//! write transaction and one fsync per page. Instead every view hands its entries to one writer
//! task and waits: the task takes whatever has queued up while the last commit was flushing and
//! hands it all to the shared writer ([`super::writes`]), which writes it with the next shared
//! commit, so under load one fsync carries many views' entries.
//!
//! Views' entries so share commits with writes too, and every move of an audit chain's head is
//! made on one connection: on PostgreSQL a separate connection would lock the heads of several
//! chains in one order while the writes' shared transaction locked them in another, and each
//! would wait for the other.

use super::writes::Writer;
use crate::audit::AuditEvent;
use crate::{Result, StoreError};
use hearth_domain::clock::Timestamp;
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
    /// Start the writer, writing through the store's shared writer. It runs until every handle
    /// is dropped.
    pub(crate) fn start(writer: Writer) -> AuditWriter {
        let (jobs, rx) = mpsc::channel(QUEUE);
        tokio::spawn(run(rx, writer));
        AuditWriter { jobs }
    }

    /// Write these entries, and return once they are committed.
    pub(crate) async fn append(&self, now: Timestamp, events: Vec<AuditEvent>) -> Result<()> {
        let (done, committed) = oneshot::channel();
        let stopped = || StoreError::NotSaved("the audit writer has stopped".into());
        self.jobs
            .send(Job { now, events, done })
            .await
            .map_err(|_| stopped())?;
        committed
            .await
            .map_err(|_| stopped())?
            .map_err(|e| StoreError::NotSaved(format!("writing the audit trail failed: {e}")))
    }
}

async fn run(mut rx: mpsc::Receiver<Job>, writer: Writer) {
    while let Some(first) = rx.recv().await {
        let mut jobs = vec![first];
        while jobs.len() < MOST_PER_COMMIT {
            match rx.try_recv() {
                Ok(j) => jobs.push(j),
                Err(_) => break,
            }
        }
        let outcome = write(&writer, &mut jobs).await.map_err(|e| e.to_string());
        if let Err(e) = &outcome {
            tracing::error!(error = %e, views = jobs.len(), "audit group commit failed");
        }
        for j in jobs {
            // A view whose request has gone no longer waits; its entries are written all the same.
            let _ = j.done.send(outcome.clone());
        }
    }
}

async fn write(writer: &Writer, jobs: &mut [Job]) -> Result<()> {
    let events: Vec<_> = jobs
        .iter_mut()
        .flat_map(|j| {
            let now = j.now;
            std::mem::take(&mut j.events)
                .into_iter()
                .map(move |ev| (now, ev))
        })
        .collect();
    writer.append(events).await
}
