//! Referrals waiting for triage, and the decisions made on them.

use crate::access::{Guard, ServiceGuard};
use crate::row;
use crate::sealed::{Sealed, Shows, Subject};
use crate::{Result, StoreError};
use hearth_domain::access::{Action, FieldClass};
use hearth_domain::clock::{to_unix, Timestamp};
use hearth_domain::ids::UserId;
use hearth_domain::ids::{CaseId, OrgId, ReferralId};
use hearth_domain::paging::{Page, Paged};
use hearth_domain::referral::Source;
use sqlx::any::AnyRow;
use sqlx::AnyConnection;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct Referral {
    pub id: ReferralId,
    pub reference: String,
    pub source: Source,
    pub referrer_agency: String,
    pub received_at: Timestamp,
    /// What the referrer sent: a record of triage until it is accepted.
    pub details: Sealed,
    pub status: String,
    pub decided_at: Option<Timestamp>,
    pub decided_by_name: Option<String>,
    pub decision_code: Option<String>,
    pub decision_note: Option<Sealed>,
    pub case_id: Option<CaseId>,
}

pub fn details_place(id: ReferralId) -> String {
    format!("referrals.details:{id}")
}

pub fn note_place(id: ReferralId) -> String {
    format!("referrals.decision_note:{id}")
}

/// The next number of a per-organisation sequence, taken under a row lock: the first number
/// of a new sequence is 1. One statement, as every write holds the one writer while it runs.
pub async fn next_number(conn: &mut AnyConnection, org_id: OrgId, name: &str) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO counters (org_id, name, value) VALUES ($1, $2, 1) \
         ON CONFLICT (org_id, name) DO UPDATE SET value = counters.value + 1 RETURNING value",
    )
    .bind(org_id.to_string())
    .bind(name)
    .fetch_one(&mut *conn)
    .await?)
}

pub struct NewReferral<'a> {
    pub id: ReferralId,
    pub org_id: OrgId,
    pub reference: &'a str,
    pub source: Source,
    pub referrer_agency: &'a str,
    pub received_by: Option<Uuid>,
    pub details: Vec<u8>,
    pub submission_key: &'a str,
    pub address_key: Option<&'a str>,
}

pub async fn insert(conn: &mut AnyConnection, now: Timestamp, r: NewReferral<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO referrals (id, org_id, reference, source, referrer_agency, received_at, received_by, details, status, \
         submission_key, address_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'new', $9, $10)",
    )
    .bind(r.id.to_string())
    .bind(r.org_id.to_string())
    .bind(r.reference)
    .bind(r.source.code())
    .bind(r.referrer_agency)
    .bind(to_unix(now))
    .bind(r.received_by.map(|u| u.to_string()))
    .bind(r.details)
    .bind(r.submission_key)
    .bind(r.address_key)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Referrals sent from this address since a moment: the public form's rate limit.
pub async fn recent_from(
    conn: &mut AnyConnection,
    address_key: &str,
    since: Timestamp,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM referrals WHERE address_key = $1 AND received_at > $2",
    )
    .bind(address_key)
    .bind(to_unix(since))
    .fetch_one(&mut *conn)
    .await?)
}

/// The reference given to a referral: all a referrer sending the same form again is told.
pub async fn reference_of(
    conn: &mut AnyConnection,
    org_id: OrgId,
    id: Uuid,
) -> Result<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT reference FROM referrals WHERE id = $1 AND org_id = $2")
            .bind(id.to_string())
            .bind(org_id.to_string())
            .fetch_optional(&mut *conn)
            .await?,
    )
}

const COLUMNS: &str = "r.id, r.reference, r.source, r.referrer_agency, r.received_at, r.details, r.status, r.decided_at, \
    u.display_name AS decided_by_name, r.decision_code, r.decision_note, r.case_id";

/// A referral row; what opening its sealed fields is a view of: the queue, or this referral.
fn referral(r: &AnyRow, queue: bool) -> Result<Referral> {
    let source = row::text(r, "source")?;
    let id = ReferralId::from_uuid(row::id(r, "id")?);
    let shows = if queue {
        Shows::ReferralQueue
    } else {
        Shows::Referral(id.uuid())
    };
    let triage = |place: String, bytes: Vec<u8>| {
        Sealed::new(
            place,
            bytes,
            Subject::Service(Action::Triage),
            FieldClass::Sensitive,
            shows,
        )
    };
    Ok(Referral {
        id,
        reference: row::text(r, "reference")?,
        source: Source::parse(&source)
            .ok_or_else(|| StoreError::Corrupt(format!("referral source {source}")))?,
        referrer_agency: row::text(r, "referrer_agency")?,
        received_at: row::at(r, "received_at")?,
        details: triage(details_place(id), row::bytes(r, "details")?),
        status: row::text(r, "status")?,
        decided_at: row::opt_at(r, "decided_at")?,
        decided_by_name: row::opt_text(r, "decided_by_name")?,
        decision_code: row::opt_text(r, "decision_code")?,
        decision_note: row::opt_bytes(r, "decision_note")?.map(|b| triage(note_place(id), b)),
        case_id: row::opt_id(r, "case_id")?.map(CaseId::from_uuid),
    })
}

/// New referrals, oldest first: the triage queue, a page at a time, with how many wait in all.
pub async fn queue(
    conn: &mut AnyConnection,
    g: &ServiceGuard,
    page: Page,
) -> Result<Paged<Referral>> {
    let (total, _) = waiting(conn, g).await?;
    let sql = format!(
        "SELECT {COLUMNS} FROM referrals r LEFT JOIN users u ON u.id = r.decided_by \
         WHERE r.org_id = $1 AND r.status = 'new' ORDER BY r.received_at, r.id LIMIT $2 OFFSET $3"
    );
    let rows = sqlx::query(&sql)
        .bind(g.actor().org_id.to_string())
        .bind(page.size as i64)
        .bind(page.offset() as i64)
        .fetch_all(&mut *conn)
        .await?;
    Ok(Paged {
        items: rows
            .iter()
            .map(|r| referral(r, true))
            .collect::<Result<_>>()?,
        total: usize::try_from(total).unwrap_or_default(),
        page,
    })
}

/// How many referrals wait for triage, and when the oldest arrived: counted, none opened.
pub async fn waiting(
    conn: &mut AnyConnection,
    g: &ServiceGuard,
) -> Result<(i64, Option<Timestamp>)> {
    g.require(Action::Triage)?;
    let r = sqlx::query(
        "SELECT COUNT(*) AS n, MIN(received_at) AS oldest FROM referrals \
         WHERE org_id = $1 AND status = 'new'",
    )
    .bind(g.actor().org_id.to_string())
    .fetch_one(&mut *conn)
    .await?;
    Ok((row::int(&r, "n")?, row::opt_at(&r, "oldest")?))
}

pub async fn get(
    conn: &mut AnyConnection,
    g: &ServiceGuard,
    id: ReferralId,
) -> Result<Option<Referral>> {
    g.require(Action::Triage)?;
    let org_id = g.actor().org_id;
    let sql = format!("SELECT {COLUMNS} FROM referrals r LEFT JOIN users u ON u.id = r.decided_by WHERE r.id = $1 AND r.org_id = $2");
    let r = sqlx::query(&sql)
        .bind(id.to_string())
        .bind(org_id.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    r.as_ref().map(|r| referral(r, false)).transpose()
}

/// Triage's decision on a referral.
pub struct Decided<'a> {
    pub id: ReferralId,
    pub status: &'a str,
    pub by: UserId,
    pub code: Option<&'a str>,
    pub note: Option<Vec<u8>>,
    pub case_id: Option<CaseId>,
}

/// Record a decision on a referral still waiting; false if someone decided it first.
pub async fn decide(conn: &mut AnyConnection, now: Timestamp, new: Decided<'_>) -> Result<bool> {
    let Decided {
        id,
        status,
        by,
        code,
        note,
        case_id,
    } = new;
    let r = sqlx::query(
        "UPDATE referrals SET status = $1, decided_at = $2, decided_by = $3, decision_code = $4, decision_note = $5, case_id = $6 \
         WHERE id = $7 AND status = 'new'",
    )
    .bind(status)
    .bind(to_unix(now))
    .bind(by.to_string())
    .bind(code)
    .bind(note)
    .bind(case_id.map(|c| c.to_string()))
    .bind(id.to_string())
    .execute(&mut *conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Re-open a closed case for a re-referral.
pub async fn reopen_case(conn: &mut AnyConnection, case_id: Uuid) -> Result<()> {
    sqlx::query("UPDATE cases SET status = 'open', closed_at = NULL WHERE id = $1")
        .bind(case_id.to_string())
        .execute(&mut *conn)
        .await?;
    Ok(())
}
