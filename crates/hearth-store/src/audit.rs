//! Writing and reading the hash-chained audit trail.

use crate::row;
use crate::{Result, StoreError};
use hearth_domain::audit::{entry_hash, AuditEntry, ChainBreak, ChainVerifier};
use hearth_domain::clock::{to_unix, Timestamp};
use hearth_domain::ids::new_id;
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
    pub fn org(mut self, org: Uuid) -> Self {
        self.org_id = Some(org);
        self
    }
    pub fn actor(mut self, actor: Uuid) -> Self {
        self.actor_id = Some(actor);
        self
    }
    pub fn entity(mut self, id: Uuid) -> Self {
        self.entity_id = Some(id);
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

/// Append an entry inside the caller's transaction, so it commits with the change it records.
/// Updating `audit_head` first takes a row lock (PostgreSQL) or the write lock (SQLite), so
/// concurrent appends queue up and the chain stays a single line.
pub async fn append(
    conn: &mut AnyConnection,
    key: &[u8],
    now: Timestamp,
    ev: AuditEvent,
) -> Result<AuditEntry> {
    let head = sqlx::query(
        "UPDATE audit_head SET last_seq = last_seq + 1 WHERE id = 1 RETURNING last_seq, last_hash",
    )
    .fetch_one(&mut *conn)
    .await?;
    let seq: i64 = head.try_get("last_seq")?;
    let prev_hash: String = head.try_get("last_hash")?;
    let mut entry = AuditEntry {
        seq,
        id: new_id(now),
        org_id: ev.org_id,
        at: to_unix(now),
        actor_id: ev.actor_id,
        action: ev.action.to_string(),
        entity_type: ev.entity_type.to_string(),
        entity_id: ev.entity_id,
        detail: ev.detail,
        prev_hash: prev_hash.clone(),
        hash: String::new(),
    };
    entry.hash = entry_hash(key, &entry, &prev_hash);
    sqlx::query(
        "INSERT INTO audit_log (seq, id, org_id, at, actor_id, action, entity_type, entity_id, detail, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(entry.seq)
    .bind(entry.id.to_string())
    .bind(entry.org_id.map(|u| u.to_string()))
    .bind(entry.at)
    .bind(entry.actor_id.map(|u| u.to_string()))
    .bind(&entry.action)
    .bind(&entry.entity_type)
    .bind(entry.entity_id.map(|u| u.to_string()))
    .bind(&entry.detail)
    .bind(&entry.prev_hash)
    .bind(&entry.hash)
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE audit_head SET last_hash = $1 WHERE id = 1")
        .bind(&entry.hash)
        .execute(&mut *conn)
        .await?;
    Ok(entry)
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

/// Who viewed or changed one record, newest first. Scoped to the organisation.
pub async fn for_entity(
    conn: &mut AnyConnection,
    org_id: Uuid,
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
    org_id: Uuid,
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

/// The outcome of checking the whole chain.
#[derive(Debug)]
pub enum Verification {
    Intact { entries: u64 },
    Broken(ChainBreak),
}

/// Check every entry from the first, a page at a time.
pub async fn verify(conn: &mut AnyConnection, key: &[u8]) -> Result<Verification> {
    const PAGE: i64 = 5_000;
    let mut verifier = ChainVerifier::new(key);
    let mut after = 0i64;
    loop {
        let sql = format!("SELECT {COLUMNS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2");
        let rows = sqlx::query(&sql)
            .bind(after)
            .bind(PAGE)
            .fetch_all(&mut *conn)
            .await?;
        for r in &rows {
            let e = match entry(r) {
                Ok(e) => e,
                Err(_) => {
                    let seq = row::int(r, "seq").unwrap_or(after + 1);
                    let reason =
                        "the entry cannot be read: it was altered outside Hearth".to_string();
                    return Ok(Verification::Broken(ChainBreak { seq, reason }));
                }
            };
            if let Err(b) = verifier.push(&e) {
                return Ok(Verification::Broken(b));
            }
            after = e.seq;
        }
        if (rows.len() as i64) < PAGE {
            break;
        }
    }
    let head = sqlx::query("SELECT last_seq, last_hash FROM audit_head WHERE id = 1")
        .fetch_one(&mut *conn)
        .await?;
    let head_seq: i64 = head.try_get("last_seq")?;
    let head_hash: String = head.try_get("last_hash")?;
    match verifier.finish(head_seq, &head_hash) {
        Ok(n) => Ok(Verification::Intact { entries: n }),
        Err(b) => Ok(Verification::Broken(b)),
    }
}

/// The count of entries, for reports and tests.
pub async fn count(conn: &mut AnyConnection) -> Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM audit_log")
        .fetch_one(&mut *conn)
        .await
        .map_err(StoreError::from)
}
