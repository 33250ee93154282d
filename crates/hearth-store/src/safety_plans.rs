//! Versions of each person's safety plan. As with contact details, the unique (person, version)
//! pair turns two saves at once into a conflict rather than a silent overwrite.

use crate::access::{require, Guard};
use crate::sealed::{Sealed, Shows, Subject};
use crate::Result;
use crate::{many, row};
use hearth_domain::access::FieldClass;
use hearth_domain::clock::{to_unix, Timestamp};
use hearth_domain::ids::new_id;
use hearth_domain::ids::OrgId;
use hearth_domain::ids::UserId;
use hearth_domain::ukdate::iso;
use sqlx::AnyConnection;
use time::Date;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct PlanVersion {
    pub version: i64,
    pub case_id: Uuid,
    pub template: String,
    pub review_on: Date,
    /// The plan itself: location data, opened through the guard.
    pub sealed: Sealed,
    pub recorded_at: Timestamp,
    pub recorded_by_name: String,
}

pub fn place(person_id: Uuid, version: i64) -> String {
    format!("safety_plans.sealed:{person_id}:{version}")
}

/// The newest version's number (0 when none): what a save must be based on.
pub async fn latest_version(
    conn: &mut AnyConnection,
    org_id: OrgId,
    person_id: Uuid,
) -> Result<i64> {
    row::latest_version(conn, "safety_plans", org_id, person_id).await
}

/// Every version, newest first, for someone the guard covers.
pub async fn versions(
    conn: &mut AnyConnection,
    guard: &impl Guard,
    person_id: Uuid,
) -> Result<Vec<PlanVersion>> {
    require(guard, person_id)?;
    let org_id = guard.actor().org_id;
    let rows = sqlx::query(
        "SELECT p.version, p.case_id, p.template, p.review_on, p.sealed, p.recorded_at, u.display_name \
         FROM safety_plans p JOIN users u ON u.id = p.recorded_by \
         WHERE p.org_id = $1 AND p.person_id = $2 ORDER BY p.version DESC",
    )
    .bind(org_id.to_string())
    .bind(person_id.to_string())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            let version = row::int(r, "version")?;
            Ok(PlanVersion {
                version,
                case_id: row::id(r, "case_id")?,
                template: row::text(r, "template")?,
                review_on: row::date(r, "review_on")?,
                sealed: Sealed::new(
                    place(person_id, version),
                    row::bytes(r, "sealed")?,
                    Subject::Person(person_id),
                    FieldClass::Location,
                    Shows::SafetyPlan,
                ),
                recorded_at: row::at(r, "recorded_at")?,
                recorded_by_name: row::text(r, "display_name")?,
            })
        })
        .collect()
}

/// A new version of a safety plan, already sealed.
pub struct NewPlan<'a> {
    pub org_id: OrgId,
    pub case_id: Uuid,
    pub person_id: Uuid,
    pub version: i64,
    pub template: &'a str,
    pub review_on: Date,
    pub sealed: Vec<u8>,
    pub by: UserId,
}

pub async fn insert(conn: &mut AnyConnection, now: Timestamp, new: NewPlan<'_>) -> Result<()> {
    let NewPlan {
        org_id,
        case_id,
        person_id,
        version,
        template,
        review_on,
        sealed,
        by,
    } = new;
    sqlx::query(
        "INSERT INTO safety_plans (id, org_id, case_id, person_id, version, template, review_on, sealed, recorded_at, recorded_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(new_id(now).to_string())
    .bind(org_id.to_string())
    .bind(case_id.to_string())
    .bind(person_id.to_string())
    .bind(version)
    .bind(template)
    .bind(iso(review_on))
    .bind(sealed)
    .bind(to_unix(now))
    .bind(by.to_string())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A current plan's review date, for the due list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Review {
    pub case_id: Uuid,
    pub person_id: Uuid,
    pub review_on: Date,
}

/// The review date of each person's current plan in each of the guard's cases. A review date
/// says a plan exists, which is location-class: the caller shows it only where the guard's
/// firewall lets the user see that person's plan.
pub async fn reviews_in_cases(
    conn: &mut AnyConnection,
    guard: &crate::access::CasesGuard,
) -> Result<Vec<Review>> {
    let org_id = guard.actor().org_id;
    many::fetch_in(
        conn,
        "SELECT p.case_id, p.person_id, p.review_on FROM safety_plans p WHERE p.org_id = $1 \
         AND p.case_id IN ({ids}) \
         AND p.version = (SELECT MAX(q.version) FROM safety_plans q WHERE q.person_id = p.person_id)",
        &[org_id.to_string()],
        &guard.case_ids(),
    )
    .await?
    .iter()
    .map(|r| {
        Ok(Review {
            case_id: row::id(r, "case_id")?,
            person_id: row::id(r, "person_id")?,
            review_on: row::date(r, "review_on")?,
        })
    })
    .collect()
}
