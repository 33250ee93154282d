//! Timeline entries and their versions. Text is stored sealed; corrections add versions and
//! withdrawal is recorded on the entry. Nothing here is ever updated in place or deleted.

use crate::access::{CaseGuard, Guard};
use crate::sealed::{Sealed, Shows, Subject};
use crate::{many, row};
use crate::{Result, StoreError};
use hearth_domain::clock::{to_unix, Timestamp};
use hearth_domain::ids::new_id;
use hearth_domain::ids::UserId;
use hearth_domain::ids::{CaseId, EntryId, OrgId, PersonId};
use hearth_domain::paging::{Page, Paged};
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

/// Which of a case's entries a timeline shows: those about one person, of one kind, or all.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Narrowing {
    pub person: Option<Uuid>,
    pub kind: Option<EntryKind>,
}

/// Every entry of a case with all its versions, newest entry first (by when it happened).
/// Opening them through a guard opened to look is a view of the case's timeline.
pub async fn for_case(conn: &mut AnyConnection, guard: &CaseGuard) -> Result<Vec<Entry>> {
    read(conn, guard, Which::All).await
}

/// One page of the entries the guard may show, newest first (by when they happened), with how
/// many it may show in all. Which entries there are, and which of them the guard would open, is
/// decided from their plain columns by the rule that opens them ([`CaseGuard::would_open`]);
/// only the page's own entries are read whole. So a case with years of notes costs the case
/// page one page of them, and the count of pages says nothing of what is withheld.
pub async fn page(
    conn: &mut AnyConnection,
    guard: &CaseGuard,
    narrowing: Narrowing,
    page: Page,
) -> Result<Paged<Entry>> {
    let (org_id, case_id) = (guard.actor().org_id, guard.case_id().uuid());
    let rows = sqlx::query(
        "SELECT e.id, e.person_id, e.sensitivity, e.current_at, e.created_at FROM timeline_entries e \
         WHERE e.case_id = $1 AND e.org_id = $2 AND ($3 = '' OR e.person_id = $3) AND ($4 = '' OR e.kind = $4) \
         AND e.current_at IS NOT NULL",
    )
    .bind(case_id.to_string())
    .bind(org_id.to_string())
    .bind(narrowing.person.map(|p| p.to_string()).unwrap_or_default())
    .bind(narrowing.kind.map(|k| k.code()).unwrap_or_default())
    .fetch_all(&mut *conn)
    .await?;
    let mut shown = Vec::with_capacity(rows.len());
    for r in &rows {
        let person_id = row::opt_id(r, "person_id")?;
        if guard.would_open(Subject::about(case_id, person_id), sensitivity(r)?.class()) {
            shown.push((
                row::at(r, "current_at")?,
                row::at(r, "created_at")?,
                EntryId::from_uuid(row::id(r, "id")?),
            ));
        }
    }
    shown.sort_by(|a, b| b.cmp(a));
    let total = shown.len();
    let ids: Vec<EntryId> = shown
        .into_iter()
        .skip(page.offset())
        .take(page.size)
        .map(|(_, _, id)| id)
        .collect();
    let items = if ids.is_empty() {
        Vec::new()
    } else {
        read(conn, guard, Which::These(&ids)).await?
    };
    Ok(Paged { items, total, page })
}

/// The newest contact (or attempt) with one person in a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastContact {
    pub person_id: Uuid,
    pub at: Timestamp,
    pub method: Option<String>,
    pub outcome: Option<String>,
}

/// The newest contact with each person in the case, of those the guard would show (current
/// versions, not withdrawn), read from the entries' plain columns: the case page says when
/// each person was last contacted without reading their whole timeline.
pub async fn last_contacts(
    conn: &mut AnyConnection,
    guard: &CaseGuard,
) -> Result<Vec<LastContact>> {
    let case_id = guard.case_id().uuid();
    let rows = sqlx::query(
        "SELECT e.id, e.person_id, e.sensitivity, e.current_at, e.created_at, e.current_outcome, \
         (SELECT v.contact_method FROM timeline_versions v WHERE v.entry_id = e.id \
          ORDER BY v.version DESC LIMIT 1) AS contact_method \
         FROM timeline_entries e WHERE e.case_id = $1 AND e.org_id = $2 AND e.kind = 'contact' \
         AND e.withdrawn_at IS NULL AND e.person_id IS NOT NULL AND e.current_at IS NOT NULL",
    )
    .bind(case_id.to_string())
    .bind(guard.actor().org_id.to_string())
    .fetch_all(&mut *conn)
    .await?;
    // By person: the newest by when it happened, then by when it was written.
    let mut newest: std::collections::HashMap<Uuid, ((Timestamp, Timestamp, Uuid), LastContact)> =
        std::collections::HashMap::new();
    for r in &rows {
        let person_id = row::id(r, "person_id")?;
        if !guard.would_open(Subject::Person(person_id), sensitivity(r)?.class()) {
            continue;
        }
        let at = row::at(r, "current_at")?;
        let key = (at, row::at(r, "created_at")?, row::id(r, "id")?);
        if newest.get(&person_id).is_some_and(|(k, _)| *k >= key) {
            continue;
        }
        let contact = LastContact {
            person_id,
            at,
            method: row::opt_text(r, "contact_method")?,
            outcome: row::opt_text(r, "current_outcome")?,
        };
        newest.insert(person_id, (key, contact));
    }
    Ok(newest.into_values().map(|(_, c)| c).collect())
}

/// One entry of the case with all its versions; `None` if the case has no such entry. Opening
/// it through a guard opened to look is a view of that entry.
pub async fn entry(
    conn: &mut AnyConnection,
    guard: &CaseGuard,
    entry_id: EntryId,
) -> Result<Option<Entry>> {
    Ok(read(conn, guard, Which::One(entry_id)).await?.pop())
}

/// A case's entries to read whole.
#[derive(Clone, Copy)]
enum Which<'a> {
    All,
    /// A page of the timeline: opening them is a view of the timeline.
    These(&'a [EntryId]),
    /// One entry's page: opening it is a view of that entry.
    One(EntryId),
}

fn sensitivity(r: &sqlx::any::AnyRow) -> Result<Sensitivity> {
    let sensitivity = row::text(r, "sensitivity")?;
    Sensitivity::parse(&sensitivity)
        .ok_or_else(|| StoreError::Corrupt(format!("sensitivity {sensitivity}")))
}

async fn read(conn: &mut AnyConnection, guard: &CaseGuard, which: Which<'_>) -> Result<Vec<Entry>> {
    let (org_id, case_id) = (guard.actor().org_id, guard.case_id().uuid());
    let (shows, ids): (Shows, Vec<Uuid>) = match which {
        Which::All => (Shows::Timeline, Vec::new()),
        Which::These(ids) => (Shows::Timeline, ids.iter().map(|e| e.uuid()).collect()),
        Which::One(e) => (Shows::Entry(e.uuid()), vec![e.uuid()]),
    };
    let ids = match which {
        Which::All => None,
        _ => Some(ids.as_slice()),
    };
    let rows = chosen(
        conn,
        "SELECT e.id, e.case_id, e.person_id, e.kind, e.sensitivity, e.created_at, cu.display_name AS created_by_name, \
         e.withdrawn_at, wu.display_name AS withdrawn_by_name, e.withdrawn_reason \
         FROM timeline_entries e JOIN users cu ON cu.id = e.created_by LEFT JOIN users wu ON wu.id = e.withdrawn_by \
         WHERE e.case_id = $1 AND e.org_id = $2 AND e.id IN ({ids})",
        (case_id, org_id),
        ids,
    )
    .await?;
    let mut entries = rows
        .iter()
        .map(|r| {
            let kind = row::text(r, "kind")?;
            let sensitivity = sensitivity(r)?;
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
    // Every version of an entry is in the same chunk as the entry, so newest first within
    // each chunk is newest first for each entry.
    let rows = chosen(
        conn,
        "SELECT v.entry_id, v.version, v.occurred_at, v.contact_method, v.contact_outcome, v.body, v.recorded_at, \
         u.display_name FROM timeline_versions v JOIN timeline_entries e ON e.id = v.entry_id \
         JOIN users u ON u.id = v.recorded_by WHERE e.case_id = $1 AND e.org_id = $2 AND e.id IN ({ids}) \
         ORDER BY v.version DESC",
        (case_id, org_id),
        ids,
    )
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
            .then(b.id.cmp(&a.id))
    });
    Ok(entries)
}

/// The rows of `sql` in the case: of the entries `ids` names, as an `IN` list in chunks (every
/// version of an entry comes in the same chunk as the entry), or with `None` of every entry,
/// in one statement.
async fn chosen(
    conn: &mut AnyConnection,
    sql: &str,
    (case_id, org_id): (Uuid, OrgId),
    ids: Option<&[Uuid]>,
) -> Result<Vec<sqlx::any::AnyRow>> {
    let leading = [case_id.to_string(), org_id.to_string()];
    match ids {
        Some(ids) => many::fetch_in(conn, sql, &leading, ids).await,
        None => Ok(sqlx::query(&sql.replace(" AND e.id IN ({ids})", ""))
            .bind(&leading[0])
            .bind(&leading[1])
            .fetch_all(&mut *conn)
            .await?),
    }
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
/// few multi-row statements: the same rows [`insert_entry`] and [`insert_version`] write. Each
/// is recorded at `now`, or when it happened if that was earlier, and its version's id carries
/// that time, as a version written then would.
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
                .bind(new_id(l.occurred_at.min(now)).to_string())
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
