//! A unit of work: one user action is all or nothing (a savepoint in a transaction it shares with
//! other actions; see `group_commit/writes.rs`), and what it did is written to the audit
//! trail in that same transaction when it commits, never by hand.
//!
//! A use case opens one ([`Store::work`]), opens the records it acts on through it (which checks
//! the access policy and records the view, see [`crate::access`]), says what else it did with
//! [`UnitOfWork::audit`], and ends with [`UnitOfWork::commit`]. Dropping it uncommitted rolls
//! everything back, audit entries included: nothing is half-written, and nothing is audited that
//! did not happen.

use crate::audit::AuditEvent;
use crate::group_commit::writes::Unit;
use crate::{Result, Store, Tx};
use hearth_domain::clock::Timestamp;
use hearth_domain::ids::OrgId;
use sqlx::AnyConnection;
use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Mutex};

pub struct UnitOfWork {
    tx: Connection,
    now: Timestamp,
    events: Vec<AuditEvent>,
    /// What the guards this work opened have shown: each a view, written on commit.
    shown: ViewLog,
    store: Store,
    /// The ciphers this work has read its organisations' keys for.
    ciphers: Vec<crate::FieldCipher>,
}

/// The views a unit of work's guards record as they open sealed fields. Shared with the guards
/// because they are held apart from the work (a reader takes both), and locked because a guard
/// crosses await points inside a handler's future.
#[derive(Clone, Default)]
pub(crate) struct ViewLog(Arc<Mutex<Vec<AuditEvent>>>);

impl ViewLog {
    pub(crate) fn record(&self, ev: AuditEvent) {
        self.0.lock().expect("view log").push(ev);
    }

    fn take(&self) -> Vec<AuditEvent> {
        std::mem::take(&mut *self.0.lock().expect("view log"))
    }
}

/// What a unit of work runs on, which also says what kind of work it is: a view reads on a
/// snapshot of its own and writes only its audit entries, group-committed by the views' writer;
/// work that writes runs in a savepoint of a transaction it shares with others.
enum Connection {
    Snapshot(Tx),
    Shared(Unit),
}

impl Store {
    /// Begin one action's unit of work, at this moment.
    pub async fn work(&self, now: Timestamp) -> Result<UnitOfWork> {
        let unit = self.writer().begin().await?;
        Ok(self.unit_of_work(Connection::Shared(unit), now))
    }

    /// Begin a unit of work that shares its transaction with no other: for a bulk load (the
    /// generator), whose units are large. It waits for the shared transaction open now to
    /// commit, and its own commits as soon as it is done. All or nothing and audited like any
    /// other; it only spares a large unit the copy of every page it changes that a savepoint
    /// keeps so that it alone could be undone.
    pub async fn work_alone(&self, now: Timestamp) -> Result<UnitOfWork> {
        let unit = self.writer().begin_alone().await?;
        Ok(self.unit_of_work(Connection::Shared(unit), now))
    }

    /// Begin a view: work that only reads, on one snapshot, without the write lock. It may write
    /// nothing but audit entries (on SQLite its connection refuses to; on PostgreSQL its
    /// transaction is read-only). Those are committed together with other views' entries when
    /// it commits, and it returns only once they are durable: a view is never served unaudited.
    pub async fn view(&self, now: Timestamp) -> Result<UnitOfWork> {
        let snapshot = self.begin_read().await?;
        Ok(self.unit_of_work(Connection::Snapshot(snapshot), now))
    }

    fn unit_of_work(&self, tx: Connection, now: Timestamp) -> UnitOfWork {
        UnitOfWork {
            tx,
            now,
            events: Vec::new(),
            shown: ViewLog::default(),
            store: self.clone(),
            ciphers: Vec::new(),
        }
    }
}

impl UnitOfWork {
    /// The moment this action happens: every row and audit entry it writes carries it.
    pub fn now(&self) -> Timestamp {
        self.now
    }

    /// The store this work runs against (for its ciphers).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The organisation's cipher, for what this work seals and the names it reads: for the key
    /// as this work's own transaction sees it, read once a unit. So work seals under the key the
    /// database holds as it commits, and a view opens what its snapshot holds, even just after
    /// another process rotated the key.
    pub async fn cipher(&mut self, org_id: OrgId) -> Result<crate::FieldCipher> {
        if let Some(c) = self.ciphers.iter().find(|c| c.org_id() == org_id) {
            return Ok(c.clone());
        }
        let store = self.store.clone();
        let c = store.cipher(&mut self.tx, org_id).await?;
        self.ciphers.push(c.clone());
        Ok(c)
    }

    /// Use this cipher for its organisation from now on in this work: the key it read is
    /// replaced (a rotation).
    pub(crate) fn replace_cipher(&mut self, cipher: crate::FieldCipher) {
        self.ciphers.retain(|c| c.org_id() != cipher.org_id());
        self.ciphers.push(cipher);
    }

    /// Record that this action did something; written to the audit trail on commit.
    pub fn audit(&mut self, ev: AuditEvent) {
        self.events.push(ev);
    }

    /// Record that this action showed something, once however often it is opened: a page that
    /// opens a case twice viewed it once.
    pub(crate) fn viewed(&mut self, ev: AuditEvent) {
        let seen = self.events.iter().any(|e| {
            (e.action, e.entity_type, e.entity_id, &e.detail)
                == (ev.action, ev.entity_type, ev.entity_id, &ev.detail)
        });
        if !seen {
            self.events.push(ev);
        }
    }

    /// Is this work a view (reading only)? Then every guard it opens was opened to look.
    pub(crate) fn is_view(&self) -> bool {
        matches!(self.tx, Connection::Snapshot(_))
    }

    /// The log the guards opened by this work record their views in.
    pub(crate) fn view_log(&self) -> ViewLog {
        self.shown.clone()
    }

    /// Move the guards' views into the events, once each.
    fn gather_views(&mut self) {
        for ev in self.shown.take() {
            self.viewed(ev);
        }
    }

    /// The events recorded so far, oldest first.
    pub fn events(&self) -> &[AuditEvent] {
        &self.events
    }

    /// Write the audit entries and commit, all or nothing. A view ends its snapshot, then waits
    /// for its entries to be committed with other views'.
    pub async fn commit(mut self) -> Result<()> {
        self.gather_views();
        if self.is_view() {
            let events = std::mem::take(&mut self.events);
            self.tx.commit(Vec::new()).await?;
            if !events.is_empty() {
                self.store.audit_writer().append(self.now, events).await?;
            }
            return Ok(());
        }
        let events: Vec<_> = std::mem::take(&mut self.events)
            .into_iter()
            .map(|ev| (self.now, ev))
            .collect();
        self.tx.commit(events).await
    }
}

impl UnitOfWork {
    /// Undo everything, audit entries included, now rather than on drop.
    pub async fn rollback(self) -> Result<()> {
        self.tx.rollback().await
    }
}

impl Connection {
    /// End the work, keeping it and these audit entries: on a snapshot there are none, since
    /// a view's go to the views' writer.
    async fn commit(self, audit: Vec<(Timestamp, AuditEvent)>) -> Result<()> {
        match self {
            Connection::Snapshot(tx) => Ok(tx.commit().await?),
            Connection::Shared(unit) => unit.commit(audit).await,
        }
    }

    async fn rollback(self) -> Result<()> {
        match self {
            Connection::Snapshot(tx) => Ok(tx.rollback().await?),
            Connection::Shared(unit) => unit.rollback().await,
        }
    }
}

impl Deref for Connection {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        match self {
            Connection::Snapshot(tx) => tx,
            Connection::Shared(unit) => unit,
        }
    }
}

impl DerefMut for Connection {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        match self {
            Connection::Snapshot(tx) => tx,
            Connection::Shared(unit) => unit,
        }
    }
}

impl Deref for UnitOfWork {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        &self.tx
    }
}

impl DerefMut for UnitOfWork {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }
}
