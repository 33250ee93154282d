//! Enrolments on programmes: who is on which programme, in which case, with whom, since when,
//! and every change. An enrolment is about its person, so readers leave out the ones the
//! guard's firewall withholds (an Engage worker never learns the partner is on a programme);
//! the waiting list's priority reason is sealed (sensitive).

use crate::access::{CaseGuard, CasesGuard, Guard};
use crate::audit::AuditEvent;
use crate::sealed::{Sealed, Shows, Subject};
use crate::{many, row, Result, StoreError, UnitOfWork};
use hearth_domain::access::{Action, Decision, FieldClass};
use hearth_domain::clock::{to_unix, Timestamp};
use hearth_domain::enrolment::Change;
use hearth_domain::ids::{new_id, CaseId, EnrolmentId, OrgId, PersonId, UserId};
use hearth_domain::programme::EnrolmentState;
use hearth_domain::ukdate::iso;
use hearth_domain::Actor;
use sqlx::any::AnyRow;
use sqlx::AnyConnection;
use time::Date;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct Enrolment {
    pub id: EnrolmentId,
    pub case_id: CaseId,
    pub person_id: PersonId,
    pub programme_key: String,
    pub programme_version: i64,
    /// Shared by enrolments made together under a linked-support rule.
    pub link_id: Option<Uuid>,
    pub state: EnrolmentState,
    pub worker_id: Option<UserId>,
    pub worker_name: Option<String>,
    pub proposed_on: Date,
    pub waiting_since: Option<Date>,
    pub waiting_rank: Option<i64>,
    /// Why they come where they do on the waiting list: sensitive, opened through the guard.
    pub priority_reason: Option<Sealed>,
    pub started_on: Option<Date>,
    pub ended_on: Option<Date>,
    pub exit_reason: Option<String>,
    pub version: i64,
}

impl Enrolment {
    /// The day from which its work counts: when it started, or (not started) was proposed.
    pub fn since(&self) -> Date {
        self.started_on.unwrap_or(self.proposed_on)
    }
}

/// Where the waiting list's reason is sealed: once per enrolment, since an enrolment joins the
/// waiting list at most once (it only moves forward).
pub fn priority_place(id: EnrolmentId) -> String {
    format!("enrolments.priority_reason:{id}")
}

const SELECT: &str = "SELECT e.id, e.case_id, e.person_id, e.programme_key, e.programme_version, e.link_id, \
     e.state, e.worker_id, u.display_name AS worker_name, e.proposed_on, e.waiting_since, e.waiting_rank, \
     e.priority_reason, e.started_on, e.ended_on, e.exit_reason, e.version \
     FROM enrolments e LEFT JOIN users u ON u.id = e.worker_id";

fn enrolment(r: &AnyRow) -> Result<Enrolment> {
    let id = EnrolmentId::from_uuid(row::id(r, "id")?);
    let person_id = row::id(r, "person_id")?;
    let state = row::text(r, "state")?;
    let version = row::int(r, "version")?;
    Ok(Enrolment {
        id,
        case_id: CaseId::from_uuid(row::id(r, "case_id")?),
        person_id: PersonId::from_uuid(person_id),
        programme_key: row::text(r, "programme_key")?,
        programme_version: row::int(r, "programme_version")?,
        link_id: row::opt_id(r, "link_id")?,
        state: EnrolmentState::parse(&state)
            .ok_or_else(|| StoreError::Corrupt(format!("enrolment state {state}")))?,
        worker_id: row::opt_id(r, "worker_id")?.map(UserId::from_uuid),
        worker_name: row::opt_text(r, "worker_name")?,
        proposed_on: row::date(r, "proposed_on")?,
        waiting_since: row::opt_date(r, "waiting_since")?,
        waiting_rank: row::opt_int(r, "waiting_rank")?,
        priority_reason: row::opt_bytes(r, "priority_reason")?.map(|b| {
            Sealed::new(
                priority_place(id),
                b,
                Subject::Person(person_id),
                FieldClass::Sensitive,
                Shows::Enrolment(id.uuid()),
            )
        }),
        started_on: row::opt_date(r, "started_on")?,
        ended_on: row::opt_date(r, "ended_on")?,
        exit_reason: row::opt_text(r, "exit_reason")?,
        version,
    })
}

/// Every enrolment in the guard's case the actor may know of, oldest first.
pub async fn in_case(conn: &mut AnyConnection, g: &CaseGuard) -> Result<Vec<Enrolment>> {
    let rows = sqlx::query(&format!(
        "{SELECT} WHERE e.org_id = $1 AND e.case_id = $2 ORDER BY e.proposed_on, e.created_at, e.id"
    ))
    .bind(g.actor().org_id.to_string())
    .bind(g.case_id().to_string())
    .fetch_all(&mut *conn)
    .await?;
    visible(g, &rows)
}

/// Every enrolment in the guard's cases the actor may know of.
pub async fn in_cases(conn: &mut AnyConnection, g: &CasesGuard) -> Result<Vec<Enrolment>> {
    let rows = many::fetch_in(
        conn,
        &format!("{SELECT} WHERE e.org_id = $1 AND e.case_id IN ({{ids}})"),
        &[g.actor().org_id.to_string()],
        &g.case_ids(),
    )
    .await?;
    visible(g, &rows)
}

/// Rows about people the guard lets the actor see; the rest are left out as if they were not.
fn visible(g: &impl Guard, rows: &[AnyRow]) -> Result<Vec<Enrolment>> {
    let mut out = Vec::new();
    for r in rows {
        let e = enrolment(r)?;
        if g.sees(e.person_id.uuid(), FieldClass::Ordinary) {
            out.push(e);
        }
    }
    Ok(out)
}

/// Open one enrolment for this action: its case through the door, then the enrolment itself
/// only if the firewall lets the actor know of its person. Refused as if it did not exist
/// otherwise. Opened to look, the guard records the view of it.
pub async fn open(
    w: &mut UnitOfWork,
    actor: &Actor,
    id: EnrolmentId,
    action: Action,
) -> Result<(Enrolment, CaseGuard)> {
    let hidden = || StoreError::Refused(Decision::Hidden);
    let r = sqlx::query(&format!("{SELECT} WHERE e.org_id = $1 AND e.id = $2"))
        .bind(actor.org_id.to_string())
        .bind(id.to_string())
        .fetch_optional(&mut **w)
        .await?
        .ok_or_else(hidden)?;
    let e = enrolment(&r)?;
    let guard = w.case(actor, e.case_id, Action::ViewCaseRecord).await?;
    if !guard.sees(e.person_id.uuid(), FieldClass::Ordinary) {
        return Err(hidden());
    }
    if !guard.allows(action) {
        return Err(StoreError::Refused(Decision::Forbidden));
    }
    guard.shown(
        AuditEvent::new("case.enrolment_view", "case")
            .entity(e.case_id.uuid())
            .detail("enrolment", id),
    );
    Ok((e, guard))
}

/// A new enrolment, proposed.
pub struct NewEnrolment<'a> {
    pub id: EnrolmentId,
    pub org_id: OrgId,
    pub case_id: CaseId,
    pub person_id: PersonId,
    pub programme_key: &'a str,
    pub programme_version: i64,
    pub link_id: Option<Uuid>,
    pub proposed_on: Date,
    pub by: UserId,
}

pub async fn insert(conn: &mut AnyConnection, now: Timestamp, e: NewEnrolment<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO enrolments (id, org_id, case_id, person_id, programme_key, programme_version, link_id, state, \
         proposed_on, version, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, 'proposed', $8, 1, $9, $10)",
    )
    .bind(e.id.to_string())
    .bind(e.org_id.to_string())
    .bind(e.case_id.to_string())
    .bind(e.person_id.to_string())
    .bind(e.programme_key)
    .bind(e.programme_version)
    .bind(e.link_id.map(|l| l.to_string()))
    .bind(iso(e.proposed_on))
    .bind(to_unix(now))
    .bind(e.by.to_string())
    .execute(&mut *conn)
    .await?;
    let change = ChangeRow {
        org_id: e.org_id,
        enrolment_id: e.id,
        version: 1,
        state: EnrolmentState::Proposed,
        worker_id: None,
        on: e.proposed_on,
        exit_reason: None,
        by: e.by,
    };
    record_change(conn, now, &change).await
}

struct ChangeRow<'a> {
    org_id: OrgId,
    enrolment_id: EnrolmentId,
    version: i64,
    state: EnrolmentState,
    worker_id: Option<UserId>,
    on: Date,
    exit_reason: Option<&'a str>,
    by: UserId,
}

async fn record_change(conn: &mut AnyConnection, now: Timestamp, c: &ChangeRow<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO enrolment_changes (id, org_id, enrolment_id, version, state, worker_id, took_effect_on, exit_reason, \
         changed_at, changed_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(new_id(now).to_string())
    .bind(c.org_id.to_string())
    .bind(c.enrolment_id.to_string())
    .bind(c.version)
    .bind(c.state.code())
    .bind(c.worker_id.map(|w| w.to_string()))
    .bind(iso(c.on))
    .bind(c.exit_reason)
    .bind(to_unix(now))
    .bind(c.by.to_string())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A change made to an enrolment, as its guard's actor: `based_on` is the version they saw.
pub struct Changed<'a> {
    pub enrolment: &'a Enrolment,
    pub based_on: i64,
    pub change: &'a Change,
    pub worker_id: Option<UserId>,
    /// The waiting list's priority reason, sealed under [`priority_place`].
    pub priority_reason: Option<Vec<u8>>,
    /// Its place at the end of the programme's waiting list, when it joins it.
    pub waiting_rank: Option<i64>,
}

/// Make the change if the enrolment is still at `based_on`; false if someone changed it first
/// (nothing is written then).
pub async fn change(
    conn: &mut AnyConnection,
    g: &CaseGuard,
    now: Timestamp,
    c: Changed<'_>,
) -> Result<bool> {
    let e = c.enrolment;
    let version = c.based_on + 1;
    let to = c.change.to;
    let on = iso(c.change.on);
    let worker = c.worker_id.or(e.worker_id);
    let n = sqlx::query(
        "UPDATE enrolments SET state = $1, version = $2, worker_id = $3, \
         waiting_since = CASE WHEN $1 = 'waiting' THEN $4 ELSE waiting_since END, \
         waiting_rank = CASE WHEN $1 = 'waiting' THEN $5 ELSE NULL END, \
         priority_reason = CASE WHEN $1 = 'waiting' THEN $6 ELSE priority_reason END, \
         started_on = CASE WHEN $1 = 'active' THEN $4 ELSE started_on END, \
         ended_on = CASE WHEN $1 = 'ended' THEN $4 ELSE ended_on END, \
         exit_reason = CASE WHEN $1 = 'ended' THEN $7 ELSE exit_reason END \
         WHERE id = $8 AND org_id = $9 AND case_id = $10 AND version = $11",
    )
    .bind(to.code())
    .bind(version)
    .bind(worker.map(|w| w.to_string()))
    .bind(&on)
    .bind(c.waiting_rank)
    .bind(c.priority_reason)
    .bind(c.change.exit_reason.as_deref())
    .bind(e.id.to_string())
    .bind(g.actor().org_id.to_string())
    .bind(g.case_id().to_string())
    .bind(c.based_on)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if n != 1 {
        return Ok(false);
    }
    let row = ChangeRow {
        org_id: g.actor().org_id,
        enrolment_id: e.id,
        version,
        state: to,
        worker_id: worker,
        on: c.change.on,
        exit_reason: c.change.exit_reason.as_deref(),
        by: g.actor().user_id,
    };
    record_change(conn, now, &row).await?;
    Ok(true)
}

/// One change in an enrolment's history.
#[derive(Debug, Clone)]
pub struct HistoryLine {
    pub version: i64,
    pub state: EnrolmentState,
    pub worker_name: Option<String>,
    pub took_effect_on: Date,
    pub exit_reason: Option<String>,
    pub changed_at: Timestamp,
    pub changed_by: String,
}

/// Every change of an enrolment opened through the guard, oldest first.
pub async fn history(
    conn: &mut AnyConnection,
    g: &CaseGuard,
    e: &Enrolment,
) -> Result<Vec<HistoryLine>> {
    crate::access::require(g, e.person_id.uuid())?;
    let rows = sqlx::query(
        "SELECT c.version, c.state, w.display_name AS worker_name, c.took_effect_on, c.exit_reason, c.changed_at, \
         b.display_name AS changed_by FROM enrolment_changes c LEFT JOIN users w ON w.id = c.worker_id \
         JOIN users b ON b.id = c.changed_by WHERE c.org_id = $1 AND c.enrolment_id = $2 ORDER BY c.version",
    )
    .bind(g.actor().org_id.to_string())
    .bind(e.id.to_string())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            let state = row::text(r, "state")?;
            Ok(HistoryLine {
                version: row::int(r, "version")?,
                state: EnrolmentState::parse(&state)
                    .ok_or_else(|| StoreError::Corrupt(format!("enrolment state {state}")))?,
                worker_name: row::opt_text(r, "worker_name")?,
                took_effect_on: row::date(r, "took_effect_on")?,
                exit_reason: row::opt_text(r, "exit_reason")?,
                changed_at: row::at(r, "changed_at")?,
                changed_by: row::text(r, "changed_by")?,
            })
        })
        .collect()
}

/// The place at the end of a programme's waiting list.
pub async fn next_waiting_rank(conn: &mut AnyConnection, org_id: OrgId, key: &str) -> Result<i64> {
    let top: Option<i64> = sqlx::query_scalar(
        "SELECT MAX(waiting_rank) FROM enrolments WHERE org_id = $1 AND programme_key = $2 AND state = 'waiting'",
    )
    .bind(org_id.to_string())
    .bind(key)
    .fetch_one(&mut *conn)
    .await?;
    Ok(top.unwrap_or(0) + 1)
}

/// The cases with someone waiting for this programme: candidates for the waiting list, which
/// is read through the guard those cases open (see [`in_cases`]).
pub async fn cases_waiting_for(
    conn: &mut AnyConnection,
    org_id: OrgId,
    key: &str,
) -> Result<Vec<Uuid>> {
    let ids: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT case_id FROM enrolments WHERE org_id = $1 AND programme_key = $2 AND state = 'waiting'",
    )
    .bind(org_id.to_string())
    .bind(key)
    .fetch_all(&mut *conn)
    .await?;
    Ok(ids.iter().filter_map(|s| Uuid::try_parse(s).ok()).collect())
}

/// Swap two waiting enrolments' places on their list, each still at the version seen.
pub async fn swap_ranks(
    conn: &mut AnyConnection,
    g: &CasesGuard,
    (a, a_version): (&Enrolment, i64),
    (b, b_version): (&Enrolment, i64),
) -> Result<bool> {
    for (e, v, rank) in [
        (a, a_version, b.waiting_rank),
        (b, b_version, a.waiting_rank),
    ] {
        if g.get(e.case_id.uuid()).is_none() {
            return Err(StoreError::Refused(Decision::Hidden));
        }
        let n = sqlx::query(
            "UPDATE enrolments SET waiting_rank = $1, version = version + 1 \
             WHERE id = $2 AND org_id = $3 AND version = $4 AND state = 'waiting'",
        )
        .bind(rank)
        .bind(e.id.to_string())
        .bind(g.actor().org_id.to_string())
        .bind(v)
        .execute(&mut *conn)
        .await?
        .rows_affected();
        if n != 1 {
            return Ok(false);
        }
    }
    Ok(true)
}

/// How many are on each programme and waiting for it across the service: numbers only, for
/// the managers who match demand to places.
pub async fn demand(conn: &mut AnyConnection, org_id: OrgId) -> Result<Vec<(String, i64, i64)>> {
    let rows = sqlx::query(
        "SELECT programme_key, \
         SUM(CASE WHEN state = 'active' THEN 1 ELSE 0 END) AS active, \
         SUM(CASE WHEN state = 'waiting' THEN 1 ELSE 0 END) AS waiting \
         FROM enrolments WHERE org_id = $1 AND state IN ('active', 'waiting') GROUP BY programme_key",
    )
    .bind(org_id.to_string())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                row::text(r, "programme_key")?,
                row::int(r, "active")?,
                row::int(r, "waiting")?,
            ))
        })
        .collect()
}
