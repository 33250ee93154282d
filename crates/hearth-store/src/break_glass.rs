//! Break-glass grants: time-limited access to a case, given with a reason.

use crate::access::{Guard, ServiceGuard};
use crate::row;
use crate::sealed::{Sealed, Shows, Subject};
use crate::Result;
use hearth_domain::access::{Action, FieldClass};
use hearth_domain::clock::{to_unix, Timestamp};
use hearth_domain::ids::new_id;
use hearth_domain::ids::OrgId;
use hearth_domain::ids::UserId;
use sqlx::AnyConnection;
use uuid::Uuid;

pub fn reason_place(id: Uuid) -> String {
    format!("break_glass.reason:{id}")
}

pub async fn insert(
    conn: &mut AnyConnection,
    now: Timestamp,
    expires: Timestamp,
    org_id: OrgId,
    user_id: UserId,
    case_id: Uuid,
    seal: impl FnOnce(Uuid) -> Result<Vec<u8>>,
) -> Result<Uuid> {
    let id = new_id(now);
    sqlx::query(
        "INSERT INTO break_glass (id, org_id, user_id, case_id, reason, granted_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id.to_string())
    .bind(org_id.to_string())
    .bind(user_id.to_string())
    .bind(case_id.to_string())
    .bind(seal(id)?)
    .bind(to_unix(now))
    .bind(to_unix(expires))
    .execute(&mut *conn)
    .await?;
    Ok(id)
}

/// The cases this user holds unexpired break-glass access to.
pub async fn active_cases(
    conn: &mut AnyConnection,
    user_id: UserId,
    now: Timestamp,
) -> Result<Vec<Uuid>> {
    let ids: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT case_id FROM break_glass WHERE user_id = $1 AND expires_at > $2",
    )
    .bind(user_id.to_string())
    .bind(to_unix(now))
    .fetch_all(&mut *conn)
    .await?;
    Ok(ids.iter().filter_map(|i| Uuid::try_parse(i).ok()).collect())
}

#[derive(Debug, Clone)]
pub struct Grant {
    pub id: Uuid,
    pub user_name: String,
    pub case_id: Uuid,
    pub reference: String,
    /// Why they needed it: a record of the review of emergency access.
    pub reason: Sealed,
    pub granted_at: Timestamp,
    pub expires_at: Timestamp,
}

/// Every break-glass grant of the organisation, newest first: for the service manager.
/// Every grant, newest first, for those who review emergency access.
pub async fn for_org(conn: &mut AnyConnection, g: &ServiceGuard, limit: i64) -> Result<Vec<Grant>> {
    g.require(Action::ViewRecordHistory)?;
    let org_id = g.actor().org_id;
    let rows = sqlx::query(
        "SELECT b.id, u.display_name, b.case_id, c.reference, b.reason, b.granted_at, b.expires_at FROM break_glass b \
         JOIN users u ON u.id = b.user_id JOIN cases c ON c.id = b.case_id WHERE b.org_id = $1 \
         ORDER BY b.granted_at DESC, b.id LIMIT $2",
    )
    .bind(org_id.to_string())
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            let id = row::id(r, "id")?;
            Ok(Grant {
                id,
                user_name: row::text(r, "display_name")?,
                case_id: row::id(r, "case_id")?,
                reference: row::text(r, "reference")?,
                reason: Sealed::new(
                    reason_place(id),
                    row::bytes(r, "reason")?,
                    Subject::Service(Action::ViewRecordHistory),
                    FieldClass::Sensitive,
                    Shows::Page,
                ),
                granted_at: row::at(r, "granted_at")?,
                expires_at: row::at(r, "expires_at")?,
            })
        })
        .collect()
}
