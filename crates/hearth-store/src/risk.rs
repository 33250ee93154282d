//! Instrument definitions, risk assessments and incidents. Assessments are appended and never
//! changed; the current level of a person is simply their newest assessment.

use crate::access::{require, CasesGuard, Guard};
use crate::sealed::{Sealed, Shows, Subject};
use crate::{many, row};
use crate::{Result, StoreError};
use hearth_domain::access::FieldClass;
use hearth_domain::clock::{to_unix, Timestamp};
use hearth_domain::ids::new_id;
use hearth_domain::ids::OrgId;
use hearth_domain::ids::UserId;
use hearth_domain::risk::RiskLevel;
use hearth_domain::ukdate::iso;
use sqlx::any::AnyRow;
use sqlx::AnyConnection;
use time::Date;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct StoredInstrument {
    pub key: String,
    pub version: i64,
    pub kind: String,
    pub title: String,
    pub definition: String,
    pub source: String,
    pub loaded_at: Timestamp,
}

fn instrument(r: &AnyRow) -> Result<StoredInstrument> {
    Ok(StoredInstrument {
        key: row::text(r, "instrument_key")?,
        version: row::int(r, "version")?,
        kind: row::text(r, "kind")?,
        title: row::text(r, "title")?,
        definition: row::text(r, "definition")?,
        source: row::text(r, "source")?,
        loaded_at: row::at(r, "loaded_at")?,
    })
}

const INSTRUMENT_COLUMNS: &str =
    "instrument_key, version, kind, title, definition, source, loaded_at";

/// The newest version of each instrument.
pub async fn current_instruments(
    conn: &mut AnyConnection,
    org_id: OrgId,
) -> Result<Vec<StoredInstrument>> {
    let rows = sqlx::query(&format!(
        "SELECT {INSTRUMENT_COLUMNS} FROM instrument_versions i WHERE org_id = $1 AND version = \
         (SELECT MAX(version) FROM instrument_versions j WHERE j.org_id = i.org_id AND j.instrument_key = i.instrument_key) \
         ORDER BY instrument_key"
    ))
    .bind(org_id.to_string())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(instrument).collect()
}

/// Every version of every instrument, newest first within each.
pub async fn all_instruments(
    conn: &mut AnyConnection,
    org_id: OrgId,
) -> Result<Vec<StoredInstrument>> {
    let rows = sqlx::query(&format!(
        "SELECT {INSTRUMENT_COLUMNS} FROM instrument_versions WHERE org_id = $1 ORDER BY instrument_key, version DESC"
    ))
    .bind(org_id.to_string())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(instrument).collect()
}

/// One version of an instrument; `None` for the newest.
pub async fn instrument_version(
    conn: &mut AnyConnection,
    org_id: OrgId,
    key: &str,
    version: Option<i64>,
) -> Result<Option<StoredInstrument>> {
    let r = sqlx::query(&format!(
        "SELECT {INSTRUMENT_COLUMNS} FROM instrument_versions WHERE org_id = $1 AND instrument_key = $2 \
         AND ($3 = 0 OR version = $4) ORDER BY version DESC LIMIT 1"
    ))
    .bind(org_id.to_string())
    .bind(key)
    .bind(version.map(|_| 1i64).unwrap_or(0))
    .bind(version.unwrap_or(0))
    .fetch_optional(&mut *conn)
    .await?;
    r.as_ref().map(instrument).transpose()
}

/// A version of a checklist or measure to record.
pub struct NewInstrument<'a> {
    pub org_id: OrgId,
    pub key: &'a str,
    pub version: i64,
    pub kind: &'a str,
    pub title: &'a str,
    pub definition: &'a str,
    pub source: &'a str,
    pub by: Option<hearth_domain::ids::UserId>,
}

pub async fn insert_instrument(
    conn: &mut AnyConnection,
    now: Timestamp,
    new: NewInstrument<'_>,
) -> Result<()> {
    let NewInstrument {
        org_id,
        key,
        version,
        kind,
        title,
        definition,
        source,
        by,
    } = new;
    sqlx::query(
        "INSERT INTO instrument_versions (id, org_id, instrument_key, version, kind, title, definition, source, loaded_at, loaded_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(new_id(now).to_string())
    .bind(org_id.to_string())
    .bind(key)
    .bind(version)
    .bind(kind)
    .bind(title)
    .bind(definition)
    .bind(source)
    .bind(to_unix(now))
    .bind(by.map(|b| b.to_string()))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

#[derive(Debug, Clone)]
pub struct StoredAssessment {
    pub id: Uuid,
    pub case_id: Uuid,
    pub person_id: Uuid,
    pub instrument_key: String,
    pub instrument_version: i64,
    pub score: i64,
    pub yes_count: i64,
    pub score_level: RiskLevel,
    pub level: RiskLevel,
    pub judgement: bool,
    pub police_callouts: Option<i64>,
    pub escalated: bool,
    /// The answers and the worker's view: sensitive, opened through the guard.
    pub sealed: Sealed,
    pub assessed_at: Timestamp,
    pub assessed_by: Uuid,
    pub assessed_by_name: String,
}

pub fn assessment_place(id: Uuid) -> String {
    format!("risk_assessments.sealed:{id}")
}

pub struct NewAssessment<'a> {
    pub id: Uuid,
    pub org_id: OrgId,
    pub case_id: Uuid,
    pub person_id: Uuid,
    pub instrument_key: &'a str,
    pub instrument_version: i64,
    pub score: i64,
    pub yes_count: i64,
    pub score_level: RiskLevel,
    pub level: RiskLevel,
    pub judgement: bool,
    pub police_callouts: Option<i64>,
    pub escalated: bool,
    pub sealed: Vec<u8>,
    pub by: UserId,
    pub submission_key: &'a str,
}

pub async fn insert_assessment(
    conn: &mut AnyConnection,
    now: Timestamp,
    a: NewAssessment<'_>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO risk_assessments (id, org_id, case_id, person_id, instrument_key, instrument_version, score, yes_count, \
         score_level, level, judgement, police_callouts, escalated, sealed, assessed_at, assessed_by, submission_key) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
    )
    .bind(a.id.to_string())
    .bind(a.org_id.to_string())
    .bind(a.case_id.to_string())
    .bind(a.person_id.to_string())
    .bind(a.instrument_key)
    .bind(a.instrument_version)
    .bind(a.score)
    .bind(a.yes_count)
    .bind(a.score_level.code())
    .bind(a.level.code())
    .bind(a.judgement as i64)
    .bind(a.police_callouts)
    .bind(a.escalated as i64)
    .bind(a.sealed)
    .bind(to_unix(now))
    .bind(a.by.to_string())
    .bind(a.submission_key)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

fn level(r: &AnyRow, col: &str) -> Result<RiskLevel> {
    let s = row::text(r, col)?;
    RiskLevel::parse(&s).ok_or_else(|| StoreError::Corrupt(format!("risk level {s}")))
}

fn assessment(r: &AnyRow) -> Result<StoredAssessment> {
    Ok(StoredAssessment {
        id: row::id(r, "id")?,
        case_id: row::id(r, "case_id")?,
        person_id: row::id(r, "person_id")?,
        instrument_key: row::text(r, "instrument_key")?,
        instrument_version: row::int(r, "instrument_version")?,
        score: row::int(r, "score")?,
        yes_count: row::int(r, "yes_count")?,
        score_level: level(r, "score_level")?,
        level: level(r, "level")?,
        judgement: row::flag(r, "judgement")?,
        police_callouts: r
            .try_get::<Option<i64>, _>("police_callouts")
            .map_err(StoreError::from)?,
        escalated: row::flag(r, "escalated")?,
        sealed: {
            let id = row::id(r, "id")?;
            Sealed::new(
                assessment_place(id),
                row::bytes(r, "sealed")?,
                Subject::Person(row::id(r, "person_id")?),
                FieldClass::Sensitive,
                Shows::Risk,
            )
        },
        assessed_at: row::at(r, "assessed_at")?,
        assessed_by: row::id(r, "assessed_by")?,
        assessed_by_name: row::text(r, "display_name")?,
    })
}

use sqlx::Row;

const ASSESSMENT_SELECT: &str = "SELECT a.id, a.case_id, a.person_id, a.instrument_key, a.instrument_version, a.score, \
     a.yes_count, a.score_level, a.level, a.judgement, a.police_callouts, a.escalated, a.sealed, a.assessed_at, \
     a.assessed_by, u.display_name FROM risk_assessments a JOIN users u ON u.id = a.assessed_by";

/// Every assessment of a person, newest first.
pub async fn assessments_for_person(
    conn: &mut AnyConnection,
    guard: &impl Guard,
    person_id: Uuid,
) -> Result<Vec<StoredAssessment>> {
    require(guard, person_id)?;
    let org_id = guard.actor().org_id;
    let rows = sqlx::query(&format!(
        "{ASSESSMENT_SELECT} WHERE a.org_id = $1 AND a.person_id = $2 ORDER BY a.assessed_at DESC, a.id DESC"
    ))
    .bind(org_id.to_string())
    .bind(person_id.to_string())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(assessment).collect()
}

/// The newest assessment of each person in one of the guard's cases.
pub async fn latest_in_case(
    conn: &mut AnyConnection,
    guard: &CasesGuard,
    case_id: Uuid,
) -> Result<Vec<StoredAssessment>> {
    if guard.get(case_id).is_none() {
        return Err(crate::access::refused(
            hearth_domain::access::Decision::Hidden,
        ));
    }
    newest_in_cases(conn, guard.actor().org_id, &[case_id]).await
}

/// The newest assessment of each person in each of the guard's cases.
pub async fn latest_in_cases(
    conn: &mut AnyConnection,
    guard: &CasesGuard,
) -> Result<Vec<StoredAssessment>> {
    newest_in_cases(conn, guard.actor().org_id, &guard.case_ids()).await
}

async fn newest_in_cases(
    conn: &mut AnyConnection,
    org_id: OrgId,
    case_ids: &[Uuid],
) -> Result<Vec<StoredAssessment>> {
    many::fetch_in(
        conn,
        &format!(
            "{ASSESSMENT_SELECT} WHERE a.org_id = $1 AND a.case_id IN ({{ids}}) AND a.id = \
             (SELECT b.id FROM risk_assessments b WHERE b.person_id = a.person_id AND b.case_id = a.case_id \
              ORDER BY b.assessed_at DESC, b.id DESC LIMIT 1)"
        ),
        &[org_id.to_string()],
        case_ids,
    )
    .await?
    .iter()
    .map(assessment)
    .collect()
}

/// The newest assessment of each of these people, in whichever case it was made. Each must be
/// someone the guard covers.
pub async fn latest_for_people(
    conn: &mut AnyConnection,
    guard: &impl Guard,
    person_ids: &[Uuid],
) -> Result<Vec<StoredAssessment>> {
    for p in person_ids {
        require(guard, *p)?;
    }
    let org_id = guard.actor().org_id;
    many::fetch_in(
        conn,
        &format!(
            "{ASSESSMENT_SELECT} WHERE a.org_id = $1 AND a.person_id IN ({{ids}}) AND a.id = \
             (SELECT b.id FROM risk_assessments b WHERE b.person_id = a.person_id \
              ORDER BY b.assessed_at DESC, b.id DESC LIMIT 1)"
        ),
        &[org_id.to_string()],
        person_ids,
    )
    .await?
    .iter()
    .map(assessment)
    .collect()
}

#[derive(Debug, Clone)]
pub struct StoredIncident {
    pub id: Uuid,
    pub case_id: Uuid,
    pub person_id: Uuid,
    pub occurred_on: Date,
    pub police_called: bool,
    /// What happened: sensitive, opened through the guard.
    pub sealed: Sealed,
    pub recorded_at: Timestamp,
    pub recorded_by_name: String,
}

pub fn incident_place(id: Uuid) -> String {
    format!("incidents.sealed:{id}")
}

/// An incident to record, its summary already sealed.
pub struct NewIncident<'a> {
    pub id: Uuid,
    pub org_id: OrgId,
    pub case_id: Uuid,
    pub person_id: Uuid,
    pub occurred_on: Date,
    pub police_called: bool,
    pub sealed: Vec<u8>,
    pub by: UserId,
    pub submission_key: &'a str,
}

pub async fn insert_incident(
    conn: &mut AnyConnection,
    now: Timestamp,
    new: NewIncident<'_>,
) -> Result<()> {
    let NewIncident {
        id,
        org_id,
        case_id,
        person_id,
        occurred_on,
        police_called,
        sealed,
        by,
        submission_key,
    } = new;
    sqlx::query(
        "INSERT INTO incidents (id, org_id, case_id, person_id, occurred_on, police_called, sealed, recorded_at, recorded_by, submission_key) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(id.to_string())
    .bind(org_id.to_string())
    .bind(case_id.to_string())
    .bind(person_id.to_string())
    .bind(iso(occurred_on))
    .bind(police_called as i64)
    .bind(sealed)
    .bind(to_unix(now))
    .bind(by.to_string())
    .bind(submission_key)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A person's incidents, newest first.
pub async fn incidents_for_person(
    conn: &mut AnyConnection,
    guard: &impl Guard,
    person_id: Uuid,
) -> Result<Vec<StoredIncident>> {
    require(guard, person_id)?;
    let org_id = guard.actor().org_id;
    let rows = sqlx::query(
        "SELECT i.id, i.case_id, i.person_id, i.occurred_on, i.police_called, i.sealed, i.recorded_at, u.display_name \
         FROM incidents i JOIN users u ON u.id = i.recorded_by WHERE i.org_id = $1 AND i.person_id = $2 \
         ORDER BY i.occurred_on DESC, i.recorded_at DESC",
    )
    .bind(org_id.to_string())
    .bind(person_id.to_string())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            let id = row::id(r, "id")?;
            Ok(StoredIncident {
                id,
                case_id: row::id(r, "case_id")?,
                person_id: row::id(r, "person_id")?,
                occurred_on: row::date(r, "occurred_on")?,
                police_called: row::flag(r, "police_called")?,
                sealed: Sealed::new(
                    incident_place(id),
                    row::bytes(r, "sealed")?,
                    Subject::Person(person_id),
                    FieldClass::Sensitive,
                    Shows::Risk,
                ),
                recorded_at: row::at(r, "recorded_at")?,
                recorded_by_name: row::text(r, "display_name")?,
            })
        })
        .collect()
}

/// Install the shipped definitions for an organisation, leaving any version it already has
/// alone. Returns how many were added.
pub async fn install_shipped(
    conn: &mut AnyConnection,
    now: Timestamp,
    org_id: OrgId,
) -> Result<usize> {
    let mut added = 0;
    for (file, src) in hearth_domain::instrument::SHIPPED {
        let def = hearth_domain::instrument::parse(file, src)
            .map_err(|e| StoreError::Config(e.to_string()))?;
        if instrument_version(conn, org_id, &def.key, Some(def.version))
            .await?
            .is_none()
        {
            insert_instrument(
                conn,
                now,
                NewInstrument {
                    org_id,
                    key: &def.key,
                    version: def.version,
                    kind: def.kind.code(),
                    title: &def.title,
                    definition: src,
                    source: &format!("shipped with Hearth: {file}"),
                    by: None,
                },
            )
            .await?;
            added += 1;
        }
    }
    Ok(added)
}

/// When an incident happened and was recorded, and whether the police were called: what
/// escalation and reassessment are judged on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentDates {
    pub person_id: Uuid,
    pub occurred_on: Date,
    pub police_called: bool,
    pub recorded_at: Timestamp,
}

/// The incidents recorded for each of these people, each someone the guard covers.
pub async fn incident_dates(
    conn: &mut AnyConnection,
    guard: &impl Guard,
    person_ids: &[Uuid],
) -> Result<Vec<IncidentDates>> {
    for p in person_ids {
        require(guard, *p)?;
    }
    let org_id = guard.actor().org_id;
    many::fetch_in(
        conn,
        "SELECT person_id, occurred_on, police_called, recorded_at FROM incidents \
         WHERE org_id = $1 AND person_id IN ({ids})",
        &[org_id.to_string()],
        person_ids,
    )
    .await?
    .iter()
    .map(|r| {
        Ok(IncidentDates {
            person_id: row::id(r, "person_id")?,
            occurred_on: row::date(r, "occurred_on")?,
            police_called: row::flag(r, "police_called")?,
            recorded_at: row::at(r, "recorded_at")?,
        })
    })
    .collect()
}
