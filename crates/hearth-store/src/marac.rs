//! MARAC meetings, referrals to them, who attended, and the actions agreed.

use crate::access::{self, CasesGuard, Guard, MaracGuard, ServiceGuard};
use crate::audit::AuditEvent;
use crate::sealed::{Sealed, Shows, Subject};
use crate::{many, row};
use crate::{FieldCipher, Result, StoreError, UnitOfWork};
use hearth_domain::access::{Action as Function, Decision, FieldClass};
use hearth_domain::clock::{to_unix, Timestamp};
use hearth_domain::ids::OrgId;
use hearth_domain::ids::UserId;
use hearth_domain::ids::{new_id, MaracActionId, MaracReferralId, MeetingId, PersonId};
use hearth_domain::marac::{ActionStatus, Criterion};
use hearth_domain::ukdate::{from_iso, iso};
use hearth_domain::Actor;
use sqlx::any::AnyRow;
use sqlx::AnyConnection;
use std::collections::HashMap;
use time::Date;
use uuid::Uuid;

// ---- meetings ----------------------------------------------------------------------------------

#[derive(Debug, Clone)]
pub struct Meeting {
    pub id: Uuid,
    pub held_on: Date,
    pub area: String,
    /// Cases on the agenda.
    pub cases: i64,
}

pub async fn insert_meeting(
    conn: &mut AnyConnection,
    now: Timestamp,
    id: MeetingId,
    org_id: OrgId,
    held_on: Date,
    area: &str,
    by: UserId,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO marac_meetings (id, org_id, held_on, area, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id.to_string())
    .bind(org_id.to_string())
    .bind(iso(held_on))
    .bind(area)
    .bind(to_unix(now))
    .bind(by.to_string())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

const MEETING_SELECT: &str = "SELECT m.id, m.held_on, m.area, \
     (SELECT COUNT(*) FROM marac_referrals r WHERE r.meeting_id = m.id) AS cases FROM marac_meetings m";

fn meeting(r: &AnyRow) -> Result<Meeting> {
    Ok(Meeting {
        id: row::id(r, "id")?,
        held_on: row::date(r, "held_on")?,
        area: row::text(r, "area")?,
        cases: row::int(r, "cases")?,
    })
}

/// Every meeting, newest first.
pub async fn meetings(conn: &mut AnyConnection, g: &ServiceGuard) -> Result<Vec<Meeting>> {
    g.require(Function::RunMarac)?;
    let org_id = g.actor().org_id;
    let rows = sqlx::query(&format!(
        "{MEETING_SELECT} WHERE m.org_id = $1 ORDER BY m.held_on DESC, m.id DESC"
    ))
    .bind(org_id.to_string())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(meeting).collect()
}

pub async fn meeting_by_id(
    conn: &mut AnyConnection,
    g: &ServiceGuard,
    id: MeetingId,
) -> Result<Option<Meeting>> {
    g.require(Function::RunMarac)?;
    let org_id = g.actor().org_id;
    let r = sqlx::query(&format!(
        "{MEETING_SELECT} WHERE m.org_id = $1 AND m.id = $2"
    ))
    .bind(org_id.to_string())
    .bind(id.to_string())
    .fetch_optional(&mut *conn)
    .await?;
    let found = r.as_ref().map(meeting).transpose()?;
    if found.is_some() {
        g.shown(AuditEvent::new("marac.meeting_view", "marac_meeting").entity(id));
    }
    Ok(found)
}

pub async fn attendance(
    conn: &mut AnyConnection,
    g: &ServiceGuard,
    meeting_id: MeetingId,
) -> Result<Vec<(String, String)>> {
    g.require(Function::RunMarac)?;
    let rows = sqlx::query(
        "SELECT agency, status FROM marac_attendance WHERE org_id = $1 AND meeting_id = $2 ORDER BY agency",
    )
    .bind(g.actor().org_id.to_string())
    .bind(meeting_id.to_string())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| Ok((row::text(r, "agency")?, row::text(r, "status")?)))
        .collect()
}

/// The status an agency had before, if any.
pub async fn set_attendance(
    conn: &mut AnyConnection,
    now: Timestamp,
    org_id: OrgId,
    meeting_id: MeetingId,
    agency: &str,
    status: &str,
    by: UserId,
) -> Result<Option<String>> {
    let before: Option<String> = sqlx::query_scalar(
        "SELECT status FROM marac_attendance WHERE meeting_id = $1 AND agency = $2",
    )
    .bind(meeting_id.to_string())
    .bind(agency)
    .fetch_optional(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO marac_attendance (id, org_id, meeting_id, agency, status, recorded_at, recorded_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (meeting_id, agency) DO UPDATE SET status = excluded.status, recorded_at = excluded.recorded_at, \
         recorded_by = excluded.recorded_by",
    )
    .bind(new_id(now).to_string())
    .bind(org_id.to_string())
    .bind(meeting_id.to_string())
    .bind(agency)
    .bind(status)
    .bind(to_unix(now))
    .bind(by.to_string())
    .execute(&mut *conn)
    .await?;
    Ok(before)
}

// ---- referrals ---------------------------------------------------------------------------------

#[derive(Debug, Clone)]
pub struct Referral {
    pub id: Uuid,
    pub case_id: Uuid,
    pub case_reference: String,
    pub person_id: Uuid,
    pub person_name: String,
    pub referred_on: Date,
    pub criteria: Vec<Criterion>,
    pub source_agency: String,
    pub victim_knows: bool,
    pub victim_consented: String,
    pub is_repeat: bool,
    pub repeat_dates: Vec<Date>,
    /// What was sent: location-class data about the person, which the coordinator also opens.
    pub sealed: Sealed,
    pub meeting_id: Option<Uuid>,
    pub meeting_on: Option<Date>,
    pub created_by_name: String,
    pub created_at: Timestamp,
}

pub fn details_place(id: Uuid) -> String {
    format!("marac_referrals.sealed:{id}")
}

pub struct NewReferral<'a> {
    pub id: Uuid,
    pub org_id: OrgId,
    pub case_id: Uuid,
    pub person_id: Uuid,
    pub referred_on: Date,
    pub criteria: &'a [Criterion],
    pub source_agency: &'a str,
    pub victim_knows: bool,
    pub victim_consented: &'a str,
    pub repeat_dates: &'a [Date],
    pub sealed: Vec<u8>,
    pub meeting_id: Option<Uuid>,
    pub by: UserId,
    pub submission_key: &'a str,
}

pub async fn insert_referral(
    conn: &mut AnyConnection,
    now: Timestamp,
    r: NewReferral<'_>,
) -> Result<()> {
    let criteria: Vec<&str> = r.criteria.iter().map(|c| c.code()).collect();
    let dates: Vec<String> = r.repeat_dates.iter().map(|d| iso(*d)).collect();
    sqlx::query(
        "INSERT INTO marac_referrals (id, org_id, case_id, person_id, referred_on, criteria, source_agency, victim_knows, \
         victim_consented, is_repeat, repeat_dates, sealed, meeting_id, created_at, created_by, submission_key) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
    )
    .bind(r.id.to_string())
    .bind(r.org_id.to_string())
    .bind(r.case_id.to_string())
    .bind(r.person_id.to_string())
    .bind(iso(r.referred_on))
    .bind(criteria.join(","))
    .bind(r.source_agency)
    .bind(r.victim_knows as i64)
    .bind(r.victim_consented)
    .bind((!r.repeat_dates.is_empty()) as i64)
    .bind(dates.join(","))
    .bind(r.sealed)
    .bind(r.meeting_id.map(|m| m.to_string()))
    .bind(to_unix(now))
    .bind(r.by.to_string())
    .bind(r.submission_key)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

const REFERRAL_SELECT: &str = "SELECT r.id, r.case_id, c.reference, r.person_id, p.identity, r.referred_on, \
     r.criteria, r.source_agency, r.victim_knows, r.victim_consented, r.is_repeat, r.repeat_dates, r.sealed, r.meeting_id, \
     m.held_on, u.display_name, r.created_at FROM marac_referrals r JOIN cases c ON c.id = r.case_id \
     JOIN people p ON p.id = r.person_id JOIN users u ON u.id = r.created_by \
     LEFT JOIN marac_meetings m ON m.id = r.meeting_id";

/// MARAC records say where she is: location-class data about the person referred, which the
/// coordinator opens as well.
fn marac_sealed(place: String, bytes: Vec<u8>, person_id: Uuid, shows: Shows) -> Sealed {
    Sealed::new(
        place,
        bytes,
        Subject::Person(person_id),
        FieldClass::Location,
        shows,
    )
    .also_for(Function::RunMarac)
}

fn referral_row(r: &AnyRow, cipher: &FieldCipher) -> Result<Referral> {
    let id = row::id(r, "id")?;
    let person_id = row::id(r, "person_id")?;
    Ok(Referral {
        id,
        case_id: row::id(r, "case_id")?,
        case_reference: row::text(r, "reference")?,
        person_id: row::id(r, "person_id")?,
        person_name: crate::identity::from_row(cipher, r, "person_id", "identity")?.full_name(),
        referred_on: row::date(r, "referred_on")?,
        criteria: row::text(r, "criteria")?
            .split(',')
            .filter_map(Criterion::parse)
            .collect(),
        source_agency: row::text(r, "source_agency")?,
        victim_knows: row::flag(r, "victim_knows")?,
        victim_consented: row::text(r, "victim_consented")?,
        is_repeat: row::flag(r, "is_repeat")?,
        repeat_dates: row::text(r, "repeat_dates")?
            .split(',')
            .filter_map(from_iso)
            .collect(),
        sealed: marac_sealed(
            details_place(id),
            row::bytes(r, "sealed")?,
            person_id,
            Shows::MaracReferral(id),
        ),
        meeting_id: row::opt_id(r, "meeting_id")?,
        meeting_on: row::opt_date(r, "held_on")?,
        created_by_name: row::text(r, "display_name")?,
        created_at: row::at(r, "created_at")?,
    })
}

/// Open a MARAC referral for reading, with the guard its fields open through; refused as if it
/// did not exist unless the actor may read what was sent about the person.
pub async fn referral(
    w: &mut UnitOfWork,
    actor: &Actor,
    id: MaracReferralId,
) -> Result<(Referral, MaracGuard)> {
    let cipher = w.cipher(actor.org_id).await?;
    let r = referral_by_id(w, &cipher, actor.org_id, id)
        .await?
        .ok_or(StoreError::Refused(Decision::Hidden))?;
    let g = w.marac(actor, PersonId::from_uuid(r.person_id)).await?;
    Ok((r, g))
}

async fn referral_by_id(
    conn: &mut AnyConnection,
    cipher: &FieldCipher,
    org_id: OrgId,
    id: MaracReferralId,
) -> Result<Option<Referral>> {
    let r = sqlx::query(&format!(
        "{REFERRAL_SELECT} WHERE r.org_id = $1 AND r.id = $2"
    ))
    .bind(org_id.to_string())
    .bind(id.to_string())
    .fetch_optional(&mut *conn)
    .await?;
    r.as_ref().map(|r| referral_row(r, cipher)).transpose()
}

/// A person's MARAC referrals, newest first.
pub async fn referrals_for_person(
    conn: &mut AnyConnection,
    g: &impl Guard,
    person_id: PersonId,
) -> Result<Vec<Referral>> {
    access::require(g, person_id.uuid())?;
    let org_id = g.actor().org_id;
    let rows = sqlx::query(&format!(
        "{REFERRAL_SELECT} WHERE r.org_id = $1 AND r.person_id = $2 ORDER BY r.referred_on DESC, r.created_at DESC"
    ))
    .bind(org_id.to_string())
    .bind(person_id.to_string())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(|r| referral_row(r, g.cipher())).collect()
}

/// The agenda of a meeting, or (with `None`) referrals not yet listed for any meeting.
pub async fn referrals_on(
    conn: &mut AnyConnection,
    g: &ServiceGuard,
    meeting_id: Option<MeetingId>,
) -> Result<Vec<Referral>> {
    g.require(Function::RunMarac)?;
    let org_id = g.actor().org_id;
    let q = match meeting_id {
        Some(_) => format!(
            "{REFERRAL_SELECT} WHERE r.org_id = $1 AND r.meeting_id = $2 ORDER BY c.reference"
        ),
        None => format!(
            "{REFERRAL_SELECT} WHERE r.org_id = $1 AND r.meeting_id IS NULL ORDER BY r.referred_on"
        ),
    };
    let mut q = sqlx::query(&q).bind(org_id.to_string());
    if let Some(m) = meeting_id {
        q = q.bind(m.to_string());
    }
    let rows = q.fetch_all(&mut *conn).await?;
    rows.iter().map(|r| referral_row(r, g.cipher())).collect()
}

/// Every referral that has been listed for a meeting held up to today, for the dashboard.
pub async fn heard(
    conn: &mut AnyConnection,
    g: &ServiceGuard,
    today: Date,
) -> Result<Vec<(Date, bool, String)>> {
    g.require(Function::RunMarac)?;
    let org_id = g.actor().org_id;
    let rows = sqlx::query(
        "SELECT m.held_on, r.is_repeat, r.source_agency FROM marac_referrals r JOIN marac_meetings m ON m.id = r.meeting_id \
         WHERE r.org_id = $1 AND m.held_on <= $2",
    )
    .bind(org_id.to_string())
    .bind(iso(today))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                row::date(r, "held_on")?,
                row::flag(r, "is_repeat")?,
                row::text(r, "source_agency")?,
            ))
        })
        .collect()
}

/// List a referral for a meeting. Returns false if it was not waiting for one.
pub async fn list_for_meeting(
    conn: &mut AnyConnection,
    g: &ServiceGuard,
    referral_id: MaracReferralId,
    meeting_id: MeetingId,
) -> Result<bool> {
    g.require(Function::RunMarac)?;
    let org_id = g.actor().org_id;
    let n = sqlx::query(
        "UPDATE marac_referrals SET meeting_id = $1 WHERE org_id = $2 AND id = $3 AND meeting_id IS NULL",
    )
    .bind(meeting_id.to_string())
    .bind(org_id.to_string())
    .bind(referral_id.to_string())
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

// ---- actions -----------------------------------------------------------------------------------

#[derive(Debug, Clone)]
pub struct Action {
    pub id: Uuid,
    pub referral_id: Uuid,
    pub meeting_id: Uuid,
    pub case_id: Uuid,
    pub case_reference: String,
    pub person_id: Uuid,
    pub agency: String,
    pub description: Sealed,
    pub due_on: Date,
    pub status: ActionStatus,
}

pub fn action_place(id: Uuid) -> String {
    format!("marac_actions.description:{id}")
}

/// A MARAC action to record, its description already sealed.
pub struct NewAction<'a> {
    pub id: Uuid,
    pub org_id: OrgId,
    pub referral_id: Uuid,
    pub meeting_id: Uuid,
    pub agency: &'a str,
    pub description: Vec<u8>,
    pub due_on: Date,
    pub by: UserId,
    pub submission_key: &'a str,
}

pub async fn insert_action(
    conn: &mut AnyConnection,
    now: Timestamp,
    new: NewAction<'_>,
) -> Result<()> {
    let NewAction {
        id,
        org_id,
        referral_id,
        meeting_id,
        agency,
        description,
        due_on,
        by,
        submission_key,
    } = new;
    sqlx::query(
        "INSERT INTO marac_actions (id, org_id, referral_id, meeting_id, agency, description, due_on, status, created_at, \
         created_by, submission_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(id.to_string())
    .bind(org_id.to_string())
    .bind(referral_id.to_string())
    .bind(meeting_id.to_string())
    .bind(agency)
    .bind(description)
    .bind(iso(due_on))
    .bind(ActionStatus::Open.code())
    .bind(to_unix(now))
    .bind(by.to_string())
    .bind(submission_key)
    .execute(&mut *conn)
    .await?;
    record_change(conn, now, org_id, id, ActionStatus::Open, by).await
}

async fn record_change(
    conn: &mut AnyConnection,
    now: Timestamp,
    org_id: OrgId,
    action_id: Uuid,
    status: ActionStatus,
    by: UserId,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO marac_action_changes (id, org_id, action_id, status, changed_at, changed_by) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(new_id(now).to_string())
    .bind(org_id.to_string())
    .bind(action_id.to_string())
    .bind(status.code())
    .bind(to_unix(now))
    .bind(by.to_string())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A MARAC action moving from one status to another.
pub struct StatusChange {
    pub org_id: OrgId,
    pub action_id: Uuid,
    pub from: ActionStatus,
    pub to: ActionStatus,
    pub by: UserId,
}

/// Change an action's status, if it is still `from`: two people closing it at once do not
/// both win. Returns false if the status had already changed.
pub async fn set_action_status(
    conn: &mut AnyConnection,
    now: Timestamp,
    new: StatusChange,
) -> Result<bool> {
    let StatusChange {
        org_id,
        action_id,
        from,
        to,
        by,
    } = new;
    let n = sqlx::query(
        "UPDATE marac_actions SET status = $1 WHERE org_id = $2 AND id = $3 AND status = $4",
    )
    .bind(to.code())
    .bind(org_id.to_string())
    .bind(action_id.to_string())
    .bind(from.code())
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if n == 1 {
        record_change(conn, now, org_id, action_id, to, by).await?;
    }
    Ok(n == 1)
}

const ACTION_SELECT: &str = "SELECT a.id, a.referral_id, a.meeting_id, r.case_id, c.reference, r.person_id, a.agency, \
     a.description, a.due_on, a.status FROM marac_actions a JOIN marac_referrals r ON r.id = a.referral_id \
     JOIN cases c ON c.id = r.case_id";

fn action_row(r: &AnyRow) -> Result<Action> {
    let status = row::text(r, "status")?;
    let id = row::id(r, "id")?;
    let person_id = row::id(r, "person_id")?;
    Ok(Action {
        id,
        referral_id: row::id(r, "referral_id")?,
        meeting_id: row::id(r, "meeting_id")?,
        case_id: row::id(r, "case_id")?,
        case_reference: row::text(r, "reference")?,
        person_id,
        agency: row::text(r, "agency")?,
        // Actions show on the pages that list them (a meeting, a referral, the due list).
        description: marac_sealed(
            action_place(id),
            row::bytes(r, "description")?,
            person_id,
            Shows::Page,
        ),
        due_on: row::date(r, "due_on")?,
        status: ActionStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("action status {status}")))?,
    })
}

/// Open a MARAC action, with the guard its description opens through; refused as if it did
/// not exist unless the actor may read what was sent about the person.
pub async fn action(
    w: &mut UnitOfWork,
    actor: &Actor,
    id: MaracActionId,
) -> Result<(Action, MaracGuard)> {
    let a = action_by_id(w, actor.org_id, id)
        .await?
        .ok_or(StoreError::Refused(Decision::Hidden))?;
    let g = w.marac(actor, PersonId::from_uuid(a.person_id)).await?;
    Ok((a, g))
}

async fn action_by_id(
    conn: &mut AnyConnection,
    org_id: OrgId,
    id: MaracActionId,
) -> Result<Option<Action>> {
    let r = sqlx::query(&format!(
        "{ACTION_SELECT} WHERE a.org_id = $1 AND a.id = $2"
    ))
    .bind(org_id.to_string())
    .bind(id.to_string())
    .fetch_optional(&mut *conn)
    .await?;
    r.as_ref().map(action_row).transpose()
}

/// Actions for a meeting's agenda, or for one case.
pub async fn actions_for_meeting(
    conn: &mut AnyConnection,
    g: &ServiceGuard,
    meeting_id: MeetingId,
) -> Result<Vec<Action>> {
    g.require(Function::RunMarac)?;
    let org_id = g.actor().org_id;
    let rows = sqlx::query(&format!(
        "{ACTION_SELECT} WHERE a.org_id = $1 AND a.meeting_id = $2 ORDER BY a.due_on, a.id"
    ))
    .bind(org_id.to_string())
    .bind(meeting_id.to_string())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(action_row).collect()
}

/// The actions agreed on one referral, soonest due first.
pub async fn actions_for_referral(
    conn: &mut AnyConnection,
    g: &MaracGuard,
    referral: &Referral,
) -> Result<Vec<Action>> {
    access::require(g, referral.person_id)?;
    let rows = sqlx::query(&format!(
        "{ACTION_SELECT} WHERE a.org_id = $1 AND a.referral_id = $2 ORDER BY a.due_on, a.id"
    ))
    .bind(g.actor().org_id.to_string())
    .bind(referral.id.to_string())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(action_row).collect()
}

/// Every action on referrals from the cases the guard opened, in no particular order.
pub async fn actions_for_cases(conn: &mut AnyConnection, g: &CasesGuard) -> Result<Vec<Action>> {
    many::fetch_in(
        conn,
        &format!("{ACTION_SELECT} WHERE a.org_id = $1 AND r.case_id IN ({{ids}})"),
        &[g.actor().org_id.to_string()],
        &g.case_ids(),
    )
    .await?
    .iter()
    .map(action_row)
    .collect()
}

/// Each person's newest referral: when it was made and, once a meeting heard it, that meeting's
/// date. One statement however many people; people never referred are absent.
pub async fn newest_referrals(
    conn: &mut AnyConnection,
    g: &impl Guard,
    person_ids: &[Uuid],
) -> Result<HashMap<Uuid, (Date, Option<Date>)>> {
    for p in person_ids {
        access::require(g, *p)?;
    }
    let org_id = g.actor().org_id;
    let mut out = HashMap::new();
    for r in many::fetch_in(
        conn,
        "SELECT r.person_id, r.referred_on, m.held_on FROM marac_referrals r \
         LEFT JOIN marac_meetings m ON m.id = r.meeting_id \
         WHERE r.org_id = $1 AND r.person_id IN ({ids}) ORDER BY r.referred_on DESC, r.created_at DESC",
        &[org_id.to_string()],
        person_ids,
    )
    .await?
    {
        let person = row::id(&r, "person_id")?;
        // Newest first: the first row for each person is the one wanted.
        if let std::collections::hash_map::Entry::Vacant(e) = out.entry(person) {
            e.insert((row::date(&r, "referred_on")?, row::opt_date(&r, "held_on")?));
        }
    }
    Ok(out)
}

/// Open actions across the service due on or before a date: the coordinator's list.
pub async fn open_actions_due_by(
    conn: &mut AnyConnection,
    g: &ServiceGuard,
    by: Date,
) -> Result<Vec<Action>> {
    g.require(Function::RunMarac)?;
    let org_id = g.actor().org_id;
    let rows = sqlx::query(&format!(
        "{ACTION_SELECT} WHERE a.org_id = $1 AND a.status = 'open' AND a.due_on <= $2 ORDER BY a.due_on, c.reference"
    ))
    .bind(org_id.to_string())
    .bind(iso(by))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(action_row).collect()
}
