//! Other agencies involved with a family or one person in it: location-class data.

use crate::access::{CaseGuard, Guard};
use crate::row;
use crate::sealed::{Sealed, Shows, Subject};
use crate::Result;
use hearth_domain::access::FieldClass;
use hearth_domain::clock::{to_unix, Timestamp};
use hearth_domain::ids::new_id;
use hearth_domain::ids::PersonId;
use sqlx::AnyConnection;
use uuid::Uuid;

pub fn agency_place(id: Uuid) -> String {
    format!("case_agencies.details:{id}")
}

/// Record an agency involved with the guard's family (or one person in it), its details sealed
/// by `seal` under the place its new id gives.
pub async fn add_agency(
    conn: &mut AnyConnection,
    g: &CaseGuard,
    now: Timestamp,
    person_id: Option<PersonId>,
    seal: impl FnOnce(Uuid) -> Result<Vec<u8>>,
) -> Result<Uuid> {
    let (org_id, case_id, by) = (g.actor().org_id, g.case_id(), g.actor().user_id);
    let id = new_id(now);
    sqlx::query(
        "INSERT INTO case_agencies (id, org_id, case_id, person_id, details, added_at, added_by) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id.to_string())
    .bind(org_id.to_string())
    .bind(case_id.to_string())
    .bind(person_id.map(|p| p.to_string()))
    .bind(seal(id)?)
    .bind(to_unix(now))
    .bind(by.to_string())
    .execute(&mut *conn)
    .await?;
    Ok(id)
}

/// (id, person it concerns, sealed details) for every agency on a case.
/// An agency involved with the family or one person in it (their school, their GP): where
/// they can be found, so location-class.
pub struct Agency {
    pub id: Uuid,
    pub person_id: Option<Uuid>,
    pub details: Sealed,
}

/// The agencies on the guard's case, oldest first.
pub async fn agencies(conn: &mut AnyConnection, g: &CaseGuard) -> Result<Vec<Agency>> {
    let case_id = g.case_id().uuid();
    let rows = sqlx::query(
        "SELECT id, person_id, details FROM case_agencies WHERE case_id = $1 ORDER BY added_at, id",
    )
    .bind(case_id.to_string())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            let id = row::id(r, "id")?;
            let person_id = row::opt_id(r, "person_id")?;
            Ok(Agency {
                id,
                person_id,
                details: Sealed::new(
                    agency_place(id),
                    row::bytes(r, "details")?,
                    Subject::about(case_id, person_id),
                    FieldClass::Location,
                    Shows::Page,
                ),
            })
        })
        .collect()
}
