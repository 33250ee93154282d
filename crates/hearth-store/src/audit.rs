//! Writing and reading the hash-chained audit trail.

use crate::row;
use crate::{Result, StoreError};
use hearth_domain::audit::{entry_hash, AuditEntry, ChainBreak, ChainVerifier, GENESIS};
use hearth_domain::clock::{to_unix, Timestamp};
use hearth_domain::ids::new_id;
use hearth_domain::ids::OrgId;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use uuid::Uuid;

/// What happened, in identifiers and action names only. The `&'static str` fields make it hard
/// to pass anything typed by a user (a name, a note) into the trail by mistake.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    pub org_id: Option<Uuid>,
    pub actor_id: Option<Uuid>,
    pub action: &'static str,
    pub entity_type: &'static str,
    pub entity_id: Option<Uuid>,
    /// `key=value` pairs of identifiers and codes.
    pub detail: String,
}

impl AuditEvent {
    pub fn new(action: &'static str, entity_type: &'static str) -> Self {
        Self {
            org_id: None,
            actor_id: None,
            action,
            entity_type,
            entity_id: None,
            detail: String::new(),
        }
    }
    pub fn org(mut self, org: impl Into<Uuid>) -> Self {
        self.org_id = Some(org.into());
        self
    }
    pub fn actor(mut self, actor: impl Into<Uuid>) -> Self {
        self.actor_id = Some(actor.into());
        self
    }
    pub fn entity(mut self, id: impl Into<Uuid>) -> Self {
        self.entity_id = Some(id.into());
        self
    }
    pub fn detail(mut self, key: &'static str, value: impl std::fmt::Display) -> Self {
        if !self.detail.is_empty() {
            self.detail.push(' ');
        }
        self.detail.push_str(&format!("{key}={value}"));
        self
    }
}

/// The chain an entry belongs to: its organisation's, or the service's for entries that belong
/// to none (such as creating an organisation).
pub fn chain_of(org_id: Option<Uuid>) -> String {
    org_id.map_or_else(|| "service".to_string(), |o| o.to_string())
}

/// Append an entry inside the caller's transaction, so it commits with the change it records.
pub async fn append(
    conn: &mut AnyConnection,
    key: &[u8],
    now: Timestamp,
    ev: AuditEvent,
) -> Result<AuditEntry> {
    let mut written = append_all(conn, key, vec![(now, ev)]).await?;
    written
        .pop()
        .ok_or_else(|| StoreError::Corrupt("an audit entry was not written".into()))
}

/// Rows one INSERT writes: twelve parameters each.
const ROWS_PER_INSERT: usize = crate::many::rows_per_statement(12);

/// Append entries in order inside the caller's transaction, a few statements per chain however
/// many entries: taking the chain's next places at once locks that chain's head row, so appends
/// to one chain queue up and it stays a single line, while other organisations' go on.
pub async fn append_all(
    conn: &mut AnyConnection,
    key: &[u8],
    events: Vec<(Timestamp, AuditEvent)>,
) -> Result<Vec<AuditEntry>> {
    let mut chains: Vec<(String, Vec<(Timestamp, AuditEvent)>)> = Vec::new();
    for (at, ev) in events {
        let chain = chain_of(ev.org_id);
        match chains.iter_mut().find(|(c, _)| *c == chain) {
            Some((_, list)) => list.push((at, ev)),
            None => chains.push((chain, vec![(at, ev)])),
        }
    }
    let mut written = Vec::new();
    for (chain, list) in chains {
        let n = list.len() as i64;
        // The first entries of a chain create its head; later ones move it on.
        let head = sqlx::query(
            "INSERT INTO audit_chains (chain, last_seq, last_hash) VALUES ($1, $2, $3) \
             ON CONFLICT (chain) DO UPDATE SET last_seq = audit_chains.last_seq + $2 \
             RETURNING last_seq, last_hash",
        )
        .bind(&chain)
        .bind(n)
        .bind(GENESIS)
        .fetch_one(&mut *conn)
        .await?;
        let last_seq: i64 = head.try_get("last_seq")?;
        let mut prev_hash: String = head.try_get("last_hash")?;
        let mut entries = Vec::with_capacity(list.len());
        for (i, (at, ev)) in list.into_iter().enumerate() {
            let mut entry = AuditEntry {
                seq: last_seq - n + 1 + i as i64,
                id: new_id(at),
                org_id: ev.org_id,
                at: to_unix(at),
                actor_id: ev.actor_id,
                action: ev.action.to_string(),
                entity_type: ev.entity_type.to_string(),
                entity_id: ev.entity_id,
                detail: ev.detail,
                prev_hash: prev_hash.clone(),
                hash: String::new(),
            };
            entry.hash = entry_hash(key, &entry, &prev_hash);
            prev_hash = entry.hash.clone();
            entries.push(entry);
        }
        for chunk in entries.chunks_mut(ROWS_PER_INSERT) {
            let sql = format!(
                "INSERT INTO audit_log (id, org_id, at, actor_id, action, entity_type, entity_id, detail, prev_hash, hash, chain, chain_seq) \
                 VALUES {} RETURNING seq, chain_seq",
                crate::many::value_rows(chunk.len(), 12)
            );
            let mut q = sqlx::query(&sql);
            for e in chunk.iter() {
                q = q
                    .bind(e.id.to_string())
                    .bind(e.org_id.map(|u| u.to_string()))
                    .bind(e.at)
                    .bind(e.actor_id.map(|u| u.to_string()))
                    .bind(e.action.clone())
                    .bind(e.entity_type.clone())
                    .bind(e.entity_id.map(|u| u.to_string()))
                    .bind(e.detail.clone())
                    .bind(e.prev_hash.clone())
                    .bind(e.hash.clone())
                    .bind(chain.clone())
                    .bind(e.seq);
            }
            // Each entry learns its number in the whole trail.
            let numbered: std::collections::HashMap<i64, i64> = q
                .fetch_all(&mut *conn)
                .await?
                .iter()
                .map(|r| Ok((row::int(r, "chain_seq")?, row::int(r, "seq")?)))
                .collect::<Result<_>>()?;
            for e in chunk.iter_mut() {
                e.seq = numbered.get(&e.seq).copied().unwrap_or(e.seq);
            }
        }
        sqlx::query("UPDATE audit_chains SET last_hash = $1 WHERE chain = $2")
            .bind(&prev_hash)
            .bind(&chain)
            .execute(&mut *conn)
            .await?;
        written.extend(entries);
    }
    Ok(written)
}

const COLUMNS: &str =
    "seq, id, org_id, at, actor_id, action, entity_type, entity_id, detail, prev_hash, hash";

fn entry(r: &AnyRow) -> Result<AuditEntry> {
    Ok(AuditEntry {
        seq: row::int(r, "seq")?,
        id: row::id(r, "id")?,
        org_id: row::opt_id(r, "org_id")?,
        at: row::int(r, "at")?,
        actor_id: row::opt_id(r, "actor_id")?,
        action: row::text(r, "action")?,
        entity_type: row::text(r, "entity_type")?,
        entity_id: row::opt_id(r, "entity_id")?,
        detail: row::text(r, "detail")?,
        prev_hash: row::text(r, "prev_hash")?,
        hash: row::text(r, "hash")?,
    })
}

const HISTORY_SELECT: &str =
    "SELECT a.seq, a.id, a.org_id, a.at, a.actor_id, a.action, a.entity_type, \
    a.entity_id, a.detail, a.prev_hash, a.hash, u.display_name AS actor_name \
    FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id";

/// One entry of a record's history, with the name of who did it.
#[derive(Debug, Clone)]
pub struct HistoryLine {
    pub entry: AuditEntry,
    pub actor_name: Option<String>,
}

/// Who viewed or changed the guard's case, newest first: for a guard opened to read history.
pub async fn history_of_case(
    conn: &mut AnyConnection,
    case: &crate::access::CaseGuard,
    limit: i64,
) -> Result<Vec<HistoryLine>> {
    let id = case.case_id().uuid();
    history_through(conn, case, case.action(), ("case", id), limit).await
}

/// Who viewed or changed the guard's person, newest first: for a guard opened to read history.
pub async fn history_of_person(
    conn: &mut AnyConnection,
    person: &crate::access::PersonGuard,
    limit: i64,
) -> Result<Vec<HistoryLine>> {
    let id = person.person_id().uuid();
    history_through(conn, person, person.action(), ("person", id), limit).await
}

/// A record's history, only through a guard opened to read it.
async fn history_through(
    conn: &mut AnyConnection,
    guard: &impl crate::access::Guard,
    opened_for: hearth_domain::access::Action,
    (entity_type, entity_id): (&str, Uuid),
    limit: i64,
) -> Result<Vec<HistoryLine>> {
    if opened_for != hearth_domain::access::Action::ViewRecordHistory {
        return Err(crate::access::refused(
            hearth_domain::access::Decision::Forbidden,
        ));
    }
    for_entity(conn, guard.actor().org_id, entity_type, entity_id, limit).await
}

/// Who viewed or changed one record, newest first. Scoped to the organisation.
async fn for_entity(
    conn: &mut AnyConnection,
    org_id: OrgId,
    entity_type: &str,
    entity_id: Uuid,
    limit: i64,
) -> Result<Vec<HistoryLine>> {
    let sql = format!(
        "{HISTORY_SELECT} WHERE a.org_id = $1 AND a.entity_type = $2 AND a.entity_id = $3 ORDER BY a.seq DESC LIMIT $4"
    );
    let rows = sqlx::query(&sql)
        .bind(org_id.to_string())
        .bind(entity_type)
        .bind(entity_id.to_string())
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(HistoryLine {
                entry: entry(r)?,
                actor_name: row::opt_text(r, "actor_name")?,
            })
        })
        .collect()
}

/// The organisation's trail, newest first, optionally only one user's actions.
pub async fn for_org(
    conn: &mut AnyConnection,
    org_id: OrgId,
    actor: Option<Uuid>,
    before_seq: Option<i64>,
    limit: i64,
) -> Result<Vec<HistoryLine>> {
    let sql = format!(
        "{HISTORY_SELECT} WHERE a.org_id = $1 AND ($2 = '' OR a.actor_id = $2) AND a.seq < $3 ORDER BY a.seq DESC LIMIT $4"
    );
    let rows = sqlx::query(&sql)
        .bind(org_id.to_string())
        .bind(actor.map(|a| a.to_string()).unwrap_or_default())
        .bind(before_seq.unwrap_or(i64::MAX))
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(HistoryLine {
                entry: entry(r)?,
                actor_name: row::opt_text(r, "actor_name")?,
            })
        })
        .collect()
}

/// The outcome of checking every chain.
#[derive(Debug)]
pub enum Verification {
    Intact { entries: u64 },
    Broken(ChainBreak),
}

/// Entries are read this many at a time, so a trail of millions is checked in little memory.
const PAGE: i64 = 5_000;

/// Check every chain from its first entry: the one from before chains were per organisation,
/// each organisation's, and that no entry sits on a chain that has no head. A break is reported
/// at the entry's number in the whole trail (`seq`), which is what an operator can look up.
pub async fn verify(conn: &mut AnyConnection, key: &[u8]) -> Result<Verification> {
    let mut entries = match verify_legacy(conn, key).await? {
        Ok(n) => n,
        Err(b) => return Ok(Verification::Broken(b)),
    };
    let orphan: Option<i64> = sqlx::query_scalar(
        "SELECT MIN(seq) FROM audit_log WHERE chain IS NOT NULL \
         AND chain NOT IN (SELECT chain FROM audit_chains)",
    )
    .fetch_one(&mut *conn)
    .await?;
    if let Some(seq) = orphan {
        return Ok(Verification::Broken(ChainBreak {
            seq,
            reason: "it belongs to no organisation's trail: it was inserted".into(),
        }));
    }
    let heads = sqlx::query("SELECT chain, last_seq, last_hash FROM audit_chains ORDER BY chain")
        .fetch_all(&mut *conn)
        .await?;
    for h in &heads {
        let chain = row::text(h, "chain")?;
        let head = (row::int(h, "last_seq")?, row::text(h, "last_hash")?);
        match verify_chain(conn, key, &chain, head).await? {
            Ok(n) => entries += n,
            Err(b) => {
                return Ok(Verification::Broken(ChainBreak {
                    seq: b.seq,
                    reason: format!("{} (in the trail of {chain})", b.reason),
                }))
            }
        }
    }
    Ok(Verification::Intact { entries })
}

/// The chain every entry was on before chains were per organisation. Nothing joins it now, so
/// an entry on it past its head was put there by someone else.
async fn verify_legacy(
    conn: &mut AnyConnection,
    key: &[u8],
) -> Result<std::result::Result<u64, ChainBreak>> {
    let head = sqlx::query("SELECT last_seq, last_hash FROM audit_head WHERE id = 1")
        .fetch_one(&mut *conn)
        .await?;
    let head_seq: i64 = head.try_get("last_seq")?;
    let head_hash: String = head.try_get("last_hash")?;
    let mut verifier = ChainVerifier::new(key);
    let mut after = 0i64;
    loop {
        let sql = format!(
            "SELECT {COLUMNS} FROM audit_log WHERE chain IS NULL AND seq > $1 ORDER BY seq LIMIT $2"
        );
        let rows = sqlx::query(&sql)
            .bind(after)
            .bind(PAGE)
            .fetch_all(&mut *conn)
            .await?;
        for r in &rows {
            let Ok(e) = entry(r) else {
                return Ok(Err(unreadable(r, after + 1)));
            };
            if e.seq > head_seq {
                return Ok(Err(ChainBreak {
                    seq: e.seq,
                    reason: "it belongs to no organisation's trail: it was inserted".into(),
                }));
            }
            if let Err(b) = verifier.push(&e) {
                return Ok(Err(b));
            }
            after = e.seq;
        }
        if (rows.len() as i64) < PAGE {
            break;
        }
    }
    Ok(verifier.finish(head_seq, &head_hash))
}

fn unreadable(r: &AnyRow, fallback: i64) -> ChainBreak {
    ChainBreak {
        seq: row::int(r, "seq").unwrap_or(fallback),
        reason: "the entry cannot be read: it was altered outside Hearth".to_string(),
    }
}

/// One organisation's chain, in the order its entries were written. Their numbers in the whole
/// trail must rise along the chain too, so renumbering entries to reorder them is found.
async fn verify_chain(
    conn: &mut AnyConnection,
    key: &[u8],
    chain: &str,
    (head_seq, head_hash): (i64, String),
) -> Result<std::result::Result<u64, ChainBreak>> {
    let mut verifier = ChainVerifier::new(key);
    let (mut after, mut last_global) = (0i64, 0i64);
    loop {
        let sql = format!(
            "SELECT {COLUMNS}, chain_seq FROM audit_log WHERE chain = $1 AND chain_seq > $2 \
             ORDER BY chain_seq LIMIT $3"
        );
        let rows = sqlx::query(&sql)
            .bind(chain)
            .bind(after)
            .bind(PAGE)
            .fetch_all(&mut *conn)
            .await?;
        for r in &rows {
            let Ok(mut e) = entry(r) else {
                return Ok(Err(unreadable(r, last_global + 1)));
            };
            let global = e.seq;
            let at = |seq: i64, reason: &str| ChainBreak {
                seq,
                reason: reason.to_string(),
            };
            if global <= last_global {
                return Ok(Err(at(
                    global,
                    "it is out of order in its organisation's trail: entries were reordered",
                )));
            }
            if chain_of(e.org_id) != chain {
                return Ok(Err(at(
                    global,
                    "it was moved from another organisation's trail",
                )));
            }
            e.seq = row::int(r, "chain_seq")?;
            if let Err(b) = verifier.push(&e) {
                // A gap is a deletion just after the last good entry; anything else is here.
                let seq = if b.seq == e.seq {
                    global
                } else {
                    last_global + 1
                };
                return Ok(Err(at(seq, &b.reason)));
            }
            after = e.seq;
            last_global = global;
        }
        if (rows.len() as i64) < PAGE {
            break;
        }
    }
    Ok(verifier
        .finish(head_seq, &head_hash)
        .map_err(|b| ChainBreak {
            seq: last_global + 1,
            reason: b.reason,
        }))
}

/// The count of entries, for reports and tests.
pub async fn count(conn: &mut AnyConnection) -> Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM audit_log")
        .fetch_one(&mut *conn)
        .await
        .map_err(StoreError::from)
}
