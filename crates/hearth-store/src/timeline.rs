//! Timeline entries and their versions. Text is stored sealed; corrections add versions and
//! withdrawal is recorded on the entry. Nothing here is ever updated in place or deleted.

use crate::access::{CaseGuard, Guard};
use crate::row;
use crate::sealed::{Sealed, Shows, Subject};
use crate::{Result, StoreError};
use hearth_domain::clock::{to_unix, Timestamp};
use hearth_domain::ids::new_id;
use hearth_domain::ids::UserId;
use hearth_domain::ids::{CaseId, EntryId, OrgId, PersonId};
use hearth_domain::timeline::{EntryKind, Sensitivity};
use sqlx::AnyConnection;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct Entry {
    pub id: EntryId,
    pub case_id: Uuid,
    pub person_id: Option<Uuid>,
    pub kind: EntryKind,
    pub sensitivity: Sensitivity,
    pub created_at: Timestamp,
    pub created_by_name: String,
    pub withdrawn_at: Option<Timestamp>,
    pub withdrawn_by_name: Option<String>,
    /// Why it was withdrawn: as sensitive as the entry, opened through the guard.
    pub withdrawn_reason: Option<Sealed>,
    /// Newest first.
    pub versions: Vec<Version>,
}

#[derive(Debug, Clone)]
pub struct Version {
    pub version: i64,
    pub occurred_at: Timestamp,
    pub contact_method: Option<String>,
    pub contact_outcome: Option<String>,
    /// The text: of the entry's sensitivity, about its person or the family; opened through the guard.
    pub body: Sealed,
    pub recorded_at: Timestamp,
    pub recorded_by_name: String,
}

pub fn body_place(entry_id: EntryId, version: i64) -> String {
    format!("timeline_versions.body:{entry_id}:{version}")
}

pub fn reason_place(entry_id: EntryId) -> String {
    format!("timeline_entries.withdrawn_reason:{entry_id}")
}

pub struct NewEntry<'a> {
    pub id: EntryId,
    pub org_id: OrgId,
    pub case_id: Uuid,
    pub person_id: Option<Uuid>,
    pub kind: EntryKind,
    pub sensitivity: Sensitivity,
    pub by: UserId,
    pub submission_key: &'a str,
}

pub async fn insert_entry(conn: &mut AnyConnection, now: Timestamp, e: NewEntry<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO timeline_entries (id, org_id, case_id, person_id, kind, sensitivity, created_at, created_by, submission_key) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(e.id.to_string())
    .bind(e.org_id.to_string())
    .bind(e.case_id.to_string())
    .bind(e.person_id.map(|p| p.to_string()))
    .bind(e.kind.code())
    .bind(e.sensitivity.code())
    .bind(to_unix(now))
    .bind(e.by.to_string())
    .bind(e.submission_key)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A version of a timeline entry, its text already sealed.
pub struct NewVersion<'a> {
    pub org_id: OrgId,
    pub entry_id: EntryId,
    pub version: i64,
    pub occurred_at: Timestamp,
    pub method: Option<&'a str>,
    pub outcome: Option<&'a str>,
    pub body: Vec<u8>,
    pub by: UserId,
}

pub async fn insert_version(
    conn: &mut AnyConnection,
    now: Timestamp,
    new: NewVersion<'_>,
) -> Result<()> {
    let NewVersion {
        org_id,
        entry_id,
        version,
        occurred_at,
        method,
        outcome,
        body,
        by,
    } = new;
    sqlx::query(
        "INSERT INTO timeline_versions (id, org_id, entry_id, version, occurred_at, contact_method, contact_outcome, body, \
         recorded_at, recorded_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(new_id(now).to_string())
    .bind(org_id.to_string())
    .bind(entry_id.to_string())
    .bind(version)
    .bind(to_unix(occurred_at))
    .bind(method)
    .bind(outcome)
    .bind(body)
    .bind(to_unix(now))
    .bind(by.to_string())
    .execute(&mut *conn)
    .await?;
    // The entry carries its current time and outcome, in the same transaction, for the lists
    // that ask every case when contact was last made (see migration 0016). A correction can
    // only add a newer version, so the newest written is the current one.
    sqlx::query("UPDATE timeline_entries SET current_at = $1, current_outcome = $2 WHERE id = $3")
        .bind(to_unix(occurred_at))
        .bind(outcome)
        .bind(entry_id.to_string())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn withdraw(
    conn: &mut AnyConnection,
    now: Timestamp,
    entry_id: EntryId,
    by: UserId,
    reason: Vec<u8>,
) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE timeline_entries SET withdrawn_at = $1, withdrawn_by = $2, withdrawn_reason = $3 \
         WHERE id = $4 AND withdrawn_at IS NULL",
    )
    .bind(to_unix(now))
    .bind(by.to_string())
    .bind(reason)
    .bind(entry_id.to_string())
    .execute(&mut *conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Every entry of a case with all its versions, newest entry first (by when it happened).
/// Opening them through a guard opened to look is a view of the case's timeline.
pub async fn for_case(conn: &mut AnyConnection, guard: &CaseGuard) -> Result<Vec<Entry>> {
    read(conn, guard, None).await
}

/// One entry of the case with all its versions; `None` if the case has no such entry. Opening
/// it through a guard opened to look is a view of that entry.
pub async fn entry(
    conn: &mut AnyConnection,
    guard: &CaseGuard,
    entry_id: EntryId,
) -> Result<Option<Entry>> {
    Ok(read(conn, guard, Some(entry_id)).await?.pop())
}

async fn read(
    conn: &mut AnyConnection,
    guard: &CaseGuard,
    only: Option<EntryId>,
) -> Result<Vec<Entry>> {
    let (org_id, case_id) = (guard.actor().org_id, guard.case_id().uuid());
    let shows = only.map_or(Shows::Timeline, |e| Shows::Entry(e.uuid()));
    // An empty id matches every entry: the whole timeline.
    let only = only.map(|e| e.to_string()).unwrap_or_default();
    let rows = sqlx::query(
        "SELECT e.id, e.case_id, e.person_id, e.kind, e.sensitivity, e.created_at, cu.display_name AS created_by_name, \
         e.withdrawn_at, wu.display_name AS withdrawn_by_name, e.withdrawn_reason \
         FROM timeline_entries e JOIN users cu ON cu.id = e.created_by LEFT JOIN users wu ON wu.id = e.withdrawn_by \
         WHERE e.case_id = $1 AND e.org_id = $2 AND ($3 = '' OR e.id = $3)",
    )
    .bind(case_id.to_string())
    .bind(org_id.to_string())
    .bind(&only)
    .fetch_all(&mut *conn)
    .await?;
    let mut entries = rows
        .iter()
        .map(|r| {
            let kind = row::text(r, "kind")?;
            let sensitivity = row::text(r, "sensitivity")?;
            let sensitivity = Sensitivity::parse(&sensitivity)
                .ok_or_else(|| StoreError::Corrupt(format!("sensitivity {sensitivity}")))?;
            let id = EntryId::from_uuid(row::id(r, "id")?);
            let person_id = row::opt_id(r, "person_id")?;
            Ok(Entry {
                id,
                case_id: row::id(r, "case_id")?,
                person_id,
                kind: EntryKind::parse(&kind)
                    .ok_or_else(|| StoreError::Corrupt(format!("entry kind {kind}")))?,
                sensitivity,
                created_at: row::at(r, "created_at")?,
                created_by_name: row::text(r, "created_by_name")?,
                withdrawn_at: row::opt_at(r, "withdrawn_at")?,
                withdrawn_by_name: row::opt_text(r, "withdrawn_by_name")?,
                withdrawn_reason: row::opt_bytes(r, "withdrawn_reason")?.map(|b| {
                    Sealed::new(
                        reason_place(id),
                        b,
                        Subject::about(case_id, person_id),
                        sensitivity.class(),
                        shows,
                    )
                }),
                versions: Vec::new(),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let rows = sqlx::query(
        "SELECT v.entry_id, v.version, v.occurred_at, v.contact_method, v.contact_outcome, v.body, v.recorded_at, \
         u.display_name FROM timeline_versions v JOIN timeline_entries e ON e.id = v.entry_id \
         JOIN users u ON u.id = v.recorded_by WHERE e.case_id = $1 AND e.org_id = $2 AND ($3 = '' OR e.id = $3) \
         ORDER BY v.version DESC",
    )
    .bind(case_id.to_string())
    .bind(org_id.to_string())
    .bind(&only)
    .fetch_all(&mut *conn)
    .await?;
    // A long case has hundreds of entries and more versions: find each version's entry by
    // its id, not by scanning them all.
    let at: std::collections::HashMap<EntryId, usize> =
        entries.iter().enumerate().map(|(i, e)| (e.id, i)).collect();
    for r in &rows {
        let entry_id = EntryId::from_uuid(row::id(r, "entry_id")?);
        if let Some(e) = at.get(&entry_id).map(|i| &mut entries[*i]) {
            let version = row::int(r, "version")?;
            e.versions.push(Version {
                version,
                occurred_at: row::at(r, "occurred_at")?,
                contact_method: row::opt_text(r, "contact_method")?,
                contact_outcome: row::opt_text(r, "contact_outcome")?,
                body: Sealed::new(
                    body_place(entry_id, version),
                    row::bytes(r, "body")?,
                    Subject::about(case_id, e.person_id),
                    e.sensitivity.class(),
                    shows,
                ),
                recorded_at: row::at(r, "recorded_at")?,
                recorded_by_name: row::text(r, "display_name")?,
            });
        }
    }
    entries.retain(|e| !e.versions.is_empty());
    entries.sort_by(|a, b| {
        b.versions[0]
            .occurred_at
            .cmp(&a.versions[0].occurred_at)
            .then(b.created_at.cmp(&a.created_at))
    });
    Ok(entries)
}

/// A key event for the timeline: what happened, to whom, and the key that makes the same event
/// recorded twice one entry.
pub struct KeyEvent<'a> {
    pub org_id: OrgId,
    pub case_id: Uuid,
    pub person_id: Option<Uuid>,
    pub occurred_at: Timestamp,
    pub body: &'a str,
    pub by: UserId,
    pub key: &'a str,
}

/// A timeline entry written whole, its one version sealed: for loading many at once (the
/// synthetic data set), where a statement per row would cost more than the rows.
pub struct Loaded {
    pub entry: NewEntryOwned,
    pub occurred_at: Timestamp,
    pub method: Option<&'static str>,
    pub outcome: Option<&'static str>,
    pub body: Vec<u8>,
}

/// [`NewEntry`] with its key owned, for [`Loaded`].
pub struct NewEntryOwned {
    pub id: EntryId,
    pub org_id: OrgId,
    pub case_id: Uuid,
    pub person_id: Option<Uuid>,
    pub kind: EntryKind,
    pub sensitivity: Sensitivity,
    pub by: UserId,
    pub submission_key: String,
}

/// Rows a multi-row insert carries (eleven values each for an entry).
const LOADED_PER_INSERT: usize = crate::many::rows_per_statement(11);

/// Write these entries, each with its first version and its current time and outcome, in a
/// few multi-row statements: the same rows [`insert_entry`] and [`insert_version`] write.
pub async fn insert_loaded(conn: &mut AnyConnection, now: Timestamp, all: &[Loaded]) -> Result<()> {
    for chunk in all.chunks(LOADED_PER_INSERT) {
        let sql = format!(
            "INSERT INTO timeline_entries (id, org_id, case_id, person_id, kind, sensitivity, created_at, created_by, \
             submission_key, current_at, current_outcome) VALUES {}",
            crate::many::value_rows(chunk.len(), 11)
        );
        let mut q = sqlx::query(&sql);
        for l in chunk {
            let e = &l.entry;
            q = q
                .bind(e.id.to_string())
                .bind(e.org_id.to_string())
                .bind(e.case_id.to_string())
                .bind(e.person_id.map(|p| p.to_string()))
                .bind(e.kind.code())
                .bind(e.sensitivity.code())
                .bind(to_unix(l.occurred_at.min(now)))
                .bind(e.by.to_string())
                .bind(e.submission_key.clone())
                .bind(to_unix(l.occurred_at))
                .bind(l.outcome);
        }
        q.execute(&mut *conn).await?;
        let sql = format!(
            "INSERT INTO timeline_versions (id, org_id, entry_id, version, occurred_at, contact_method, contact_outcome, \
             body, recorded_at, recorded_by) VALUES {}",
            crate::many::value_rows(chunk.len(), 10)
        );
        let mut q = sqlx::query(&sql);
        for l in chunk {
            let e = &l.entry;
            q = q
                .bind(new_id(l.occurred_at).to_string())
                .bind(e.org_id.to_string())
                .bind(e.id.to_string())
                .bind(1i64)
                .bind(to_unix(l.occurred_at))
                .bind(l.method)
                .bind(l.outcome)
                .bind(l.body.clone())
                .bind(to_unix(l.occurred_at.min(now)))
                .bind(e.by.to_string());
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// An entry written by the guard's actor as part of other work (a session's note): about
/// someone the guard covers, sealed, once for its key.
pub struct Written<'a> {
    pub person_id: Option<PersonId>,
    pub kind: EntryKind,
    pub sensitivity: Sensitivity,
    pub occurred_at: Timestamp,
    pub method: Option<&'a str>,
    pub outcome: Option<&'a str>,
    pub body: &'a str,
    pub key: &'a str,
}

/// Write an entry on the guard's case, now, as its actor.
pub async fn write(w: &mut crate::UnitOfWork, g: &CaseGuard, e: Written<'_>) -> Result<EntryId> {
    if let Some(p) = e.person_id {
        crate::access::require(g, p.uuid())?;
    }
    let (now, actor) = (w.now(), g.actor());
    let id = EntryId::new(now);
    let entry = NewEntry {
        id,
        org_id: actor.org_id,
        case_id: g.case_id().uuid(),
        person_id: e.person_id.map(PersonId::uuid),
        kind: e.kind,
        sensitivity: e.sensitivity,
        by: actor.user_id,
        submission_key: e.key,
    };
    insert_entry(w, now, entry).await?;
    let version = NewVersion {
        org_id: actor.org_id,
        entry_id: id,
        version: 1,
        occurred_at: e.occurred_at,
        method: e.method,
        outcome: e.outcome,
        body: g.cipher().encrypt(&body_place(id, 1), e.body)?,
        by: actor.user_id,
    };
    insert_version(w, now, version).await?;
    Ok(id)
}

/// A key event the guard's actor records as they act: on which case, about whom (`None`: the
/// whole family), in what words, how sensitive, and the key that makes it once.
pub struct Noted<'a> {
    pub case_id: CaseId,
    pub person_id: Option<PersonId>,
    pub body: &'a str,
    pub key: &'a str,
    pub sensitivity: Sensitivity,
}

/// Record a key event now, by the guard's actor, about someone the guard covers.
pub async fn note(w: &mut crate::UnitOfWork, g: &impl Guard, n: Noted<'_>) -> Result<EntryId> {
    if let Some(p) = n.person_id {
        crate::access::require(g, p.uuid())?;
    }
    let (now, actor) = (w.now(), g.actor());
    let ev = KeyEvent {
        org_id: actor.org_id,
        case_id: n.case_id.uuid(),
        person_id: n.person_id.map(PersonId::uuid),
        occurred_at: now,
        body: n.body,
        by: actor.user_id,
        key: n.key,
    };
    record_event_as(w, g.cipher(), now, ev, n.sensitivity).await
}

/// Record a key event (a referral accepted, a case closed) as an ordinary timeline entry, sealed.
pub async fn record_event(
    conn: &mut AnyConnection,
    cipher: &crate::FieldCipher,
    now: Timestamp,
    ev: KeyEvent<'_>,
) -> Result<EntryId> {
    record_event_as(conn, cipher, now, ev, Sensitivity::Ordinary).await
}

/// Record a key event that only those who may see the person's sensitive data can read, such
/// as a change of risk level.
pub async fn record_event_as(
    conn: &mut AnyConnection,
    cipher: &crate::FieldCipher,
    now: Timestamp,
    ev: KeyEvent<'_>,
    sensitivity: Sensitivity,
) -> Result<EntryId> {
    let KeyEvent {
        org_id,
        case_id,
        person_id,
        occurred_at,
        body,
        by,
        key,
    } = ev;
    let id = EntryId::new(now);
    let e = NewEntry {
        id,
        org_id,
        case_id,
        person_id,
        kind: EntryKind::Event,
        sensitivity,
        by,
        submission_key: key,
    };
    insert_entry(conn, now, e).await?;
    insert_version(
        conn,
        now,
        NewVersion {
            org_id,
            entry_id: id,
            version: 1,
            occurred_at,
            method: None,
            outcome: None,
            body: cipher.encrypt(&body_place(id, 1), body)?,
            by,
        },
    )
    .await?;
    Ok(id)
}
