//! Sessions of 1:1 work on an enrolment: planned, then recorded once as attended, missed or
//! cancelled. Where a session is held is sealed as location data (it says where she will be);
//! the topics covered are sealed with the person's ordinary data. The session note is a
//! timeline entry, behind the firewall as any other.

use crate::access::{CaseGuard, CasesGuard, Guard};
use crate::sealed::{Sealed, Shows, Subject};
use crate::{many, row, Result, StoreError};
use hearth_domain::access::FieldClass;
use hearth_domain::clock::{to_unix, Timestamp};
use hearth_domain::enrolment::Attendance;
use hearth_domain::ids::{CaseId, EnrolmentId, EntryId, OrgId, PersonId, SessionId, UserId};
use sqlx::any::AnyRow;
use sqlx::AnyConnection;

#[derive(Debug, Clone)]
pub struct Session {
    pub id: SessionId,
    pub enrolment_id: EnrolmentId,
    pub case_id: CaseId,
    pub person_id: PersonId,
    pub planned_at: Timestamp,
    /// Where: location class, opened through the guard.
    pub place: Sealed,
    pub worker_id: UserId,
    pub worker_name: String,
    pub attendance: Attendance,
    pub duration_minutes: Option<i64>,
    /// The topics covered, one a line: opened through the guard.
    pub topics: Option<Sealed>,
    pub entry_id: Option<EntryId>,
    pub recorded_at: Option<Timestamp>,
    pub version: i64,
}

pub fn place_place(id: SessionId) -> String {
    format!("programme_sessions.place:{id}")
}

pub fn topics_place(id: SessionId) -> String {
    format!("programme_sessions.topics:{id}")
}

const SELECT: &str = "SELECT s.id, s.enrolment_id, s.case_id, s.person_id, s.planned_at, s.place, s.worker_id, \
     u.display_name AS worker_name, s.attendance, s.duration_minutes, s.topics, s.entry_id, s.recorded_at, s.version \
     FROM programme_sessions s JOIN users u ON u.id = s.worker_id";

fn session(r: &AnyRow) -> Result<Session> {
    let id = SessionId::from_uuid(row::id(r, "id")?);
    let enrolment_id = row::id(r, "enrolment_id")?;
    let person_id = row::id(r, "person_id")?;
    let attendance = row::text(r, "attendance")?;
    let about = |place: String, bytes: Vec<u8>, class| {
        Sealed::new(
            place,
            bytes,
            Subject::Person(person_id),
            class,
            Shows::Enrolment(enrolment_id),
        )
    };
    Ok(Session {
        id,
        enrolment_id: EnrolmentId::from_uuid(enrolment_id),
        case_id: CaseId::from_uuid(row::id(r, "case_id")?),
        person_id: PersonId::from_uuid(person_id),
        planned_at: row::at(r, "planned_at")?,
        place: about(
            place_place(id),
            row::bytes(r, "place")?,
            FieldClass::Location,
        ),
        worker_id: row::user_id(r, "worker_id")?,
        worker_name: row::text(r, "worker_name")?,
        attendance: Attendance::parse(&attendance)
            .ok_or_else(|| StoreError::Corrupt(format!("attendance {attendance}")))?,
        duration_minutes: row::opt_int(r, "duration_minutes")?,
        topics: row::opt_bytes(r, "topics")?
            .map(|b| about(topics_place(id), b, FieldClass::Ordinary)),
        entry_id: row::opt_id(r, "entry_id")?.map(EntryId::from_uuid),
        recorded_at: row::opt_at(r, "recorded_at")?,
        version: row::int(r, "version")?,
    })
}

/// The sessions of an enrolment whose person the guard lets the actor see, in order.
pub async fn of_enrolment(
    conn: &mut AnyConnection,
    g: &CaseGuard,
    enrolment: EnrolmentId,
) -> Result<Vec<Session>> {
    let rows = sqlx::query(&format!(
        "{SELECT} WHERE s.org_id = $1 AND s.case_id = $2 AND s.enrolment_id = $3 ORDER BY s.planned_at, s.id"
    ))
    .bind(g.actor().org_id.to_string())
    .bind(g.case_id().to_string())
    .bind(enrolment.to_string())
    .fetch_all(&mut *conn)
    .await?;
    visible(g, &rows)
}

/// The sessions in the guard's cases that the due list asks about: those still planned, and
/// those missed (a missed session of a victim or child leaves a safety check to make).
pub async fn open_in_cases(conn: &mut AnyConnection, g: &CasesGuard) -> Result<Vec<Session>> {
    let rows = many::fetch_in(
        conn,
        &format!(
            "{SELECT} WHERE s.org_id = $1 AND s.attendance IN ('planned', 'did_not_attend') AND s.case_id IN ({{ids}})"
        ),
        &[g.actor().org_id.to_string()],
        &g.case_ids(),
    )
    .await?;
    visible(g, &rows)
}

/// Sessions of people the guard lets the actor see; the rest are left out as if they were not.
fn visible(g: &impl Guard, rows: &[AnyRow]) -> Result<Vec<Session>> {
    let mut out = Vec::new();
    for r in rows {
        let s = session(r)?;
        if g.sees(s.person_id.uuid(), FieldClass::Ordinary) {
            out.push(s);
        }
    }
    Ok(out)
}

/// A session planned, its place already sealed.
pub struct NewSession<'a> {
    pub id: SessionId,
    pub org_id: OrgId,
    pub enrolment_id: EnrolmentId,
    pub case_id: CaseId,
    pub person_id: PersonId,
    pub planned_at: Timestamp,
    pub place: Vec<u8>,
    pub worker_id: UserId,
    pub by: UserId,
    pub submission_key: &'a str,
}

pub async fn insert(conn: &mut AnyConnection, now: Timestamp, s: NewSession<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO programme_sessions (id, org_id, enrolment_id, case_id, person_id, planned_at, place, worker_id, \
         attendance, version, created_at, created_by, submission_key) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'planned', 1, $9, $10, $11)",
    )
    .bind(s.id.to_string())
    .bind(s.org_id.to_string())
    .bind(s.enrolment_id.to_string())
    .bind(s.case_id.to_string())
    .bind(s.person_id.to_string())
    .bind(to_unix(s.planned_at))
    .bind(s.place)
    .bind(s.worker_id.to_string())
    .bind(to_unix(now))
    .bind(s.by.to_string())
    .bind(s.submission_key)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// What happened at a session, its topics sealed.
pub struct Recorded {
    pub id: SessionId,
    pub based_on: i64,
    pub attendance: Attendance,
    pub duration_minutes: Option<i64>,
    pub topics: Option<Vec<u8>>,
    pub entry_id: Option<EntryId>,
}

/// Record a planned session once, in the guard's case: false if it was recorded already or
/// changed since the version seen (nothing is overwritten).
pub async fn record(
    conn: &mut AnyConnection,
    g: &CaseGuard,
    now: Timestamp,
    r: Recorded,
) -> Result<bool> {
    let n = sqlx::query(
        "UPDATE programme_sessions SET attendance = $1, duration_minutes = $2, topics = $3, entry_id = $4, \
         recorded_at = $5, recorded_by = $6, version = version + 1 \
         WHERE id = $7 AND org_id = $8 AND case_id = $9 AND attendance = 'planned' AND version = $10",
    )
    .bind(r.attendance.code())
    .bind(r.duration_minutes)
    .bind(r.topics)
    .bind(r.entry_id.map(|e| e.to_string()))
    .bind(to_unix(now))
    .bind(g.actor().user_id.to_string())
    .bind(r.id.to_string())
    .bind(g.actor().org_id.to_string())
    .bind(g.case_id().to_string())
    .bind(r.based_on)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}
