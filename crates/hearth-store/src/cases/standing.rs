//! What lists show of where each case stands: first contact against its target, the last contact, caseload sizes.

use crate::access::{CasesGuard, Guard};
use crate::sealed::{Sealed, Shows, Subject};
use crate::Result;
use crate::{many, row};
use hearth_domain::access::FieldClass;
use hearth_domain::clock::Timestamp;
use hearth_domain::ids::{OrgId, TeamId};
use sqlx::AnyConnection;
use std::collections::HashMap;
use uuid::Uuid;

/// Where a case stands against its first-contact target: the newest accepted referral into it
/// (its identifier, time and sealed details), and the first successful contact since then.
#[derive(Debug, Clone)]
pub struct FirstContactFacts {
    pub referral_id: hearth_domain::ids::ReferralId,
    pub referred_at: Timestamp,
    /// The referral's details: ordinary data about the family.
    pub details: Sealed,
    pub first_contact: Option<Timestamp>,
}

/// [`FirstContactFacts`] for each of these cases that came in by referral. Contacts count from
/// the current version of each entry, and not if withdrawn.
pub async fn first_contact_facts(
    conn: &mut AnyConnection,
    g: &CasesGuard,
) -> Result<HashMap<Uuid, FirstContactFacts>> {
    let case_ids = &g.case_ids();
    let org_id = g.actor().org_id;
    let mut out: HashMap<Uuid, FirstContactFacts> = HashMap::new();
    for r in many::fetch_in(
        conn,
        "SELECT case_id, id, received_at, details FROM referrals WHERE org_id = $1 \
         AND status = 'accepted' AND case_id IN ({ids}) ORDER BY received_at DESC, id",
        &[org_id.to_string()],
        case_ids,
    )
    .await?
    {
        let case_id = row::id(&r, "case_id")?;
        let referral_id = hearth_domain::ids::ReferralId::from_uuid(row::id(&r, "id")?);
        if out.contains_key(&case_id) {
            continue;
        }
        out.insert(
            case_id,
            FirstContactFacts {
                referral_id,
                referred_at: row::at(&r, "received_at")?,
                details: Sealed::new(
                    crate::referrals::details_place(referral_id),
                    row::bytes(&r, "details")?,
                    Subject::Family(case_id),
                    FieldClass::Ordinary,
                    Shows::Page,
                ),
                first_contact: None,
            },
        );
    }
    for r in many::fetch_in(
        conn,
        "SELECT e.case_id, MIN(e.current_at) AS first_at FROM timeline_entries e \
         WHERE e.case_id IN ({ids}) AND e.kind = 'contact' AND e.withdrawn_at IS NULL \
         AND e.current_outcome = 'spoke' \
         AND e.current_at >= (SELECT MAX(r.received_at) FROM referrals r \
                              WHERE r.case_id = e.case_id AND r.status = 'accepted') \
         GROUP BY e.case_id",
        &[],
        case_ids,
    )
    .await?
    {
        if let Some(f) = out.get_mut(&row::id(&r, "case_id")?) {
            f.first_contact = row::opt_at(&r, "first_at")?;
        }
    }
    Ok(out)
}

/// When each person in each case was last contacted: by case, each person (or the family as a
/// whole, `None`) with the time.
pub type LastContacts = HashMap<Uuid, Vec<(Option<Uuid>, Timestamp)>>;

/// When someone last made or tried contact on each of the guard's cases (current versions, not
/// withdrawn), by the person the contact was about (`None`: the whole family), so that a user
/// is told only of contacts they may see.
pub async fn last_contacts(conn: &mut AnyConnection, guard: &CasesGuard) -> Result<LastContacts> {
    let case_ids = &guard.case_ids();
    let mut out: LastContacts = HashMap::new();
    for r in many::fetch_in(
        conn,
        "SELECT e.case_id, e.person_id, MAX(e.current_at) AS last_at FROM timeline_entries e \
         WHERE e.case_id IN ({ids}) AND e.kind = 'contact' AND e.withdrawn_at IS NULL \
         GROUP BY e.case_id, e.person_id",
        &[],
        case_ids,
    )
    .await?
    {
        out.entry(row::id(&r, "case_id")?)
            .or_default()
            .push((row::opt_id(&r, "person_id")?, row::at(&r, "last_at")?));
    }
    Ok(out)
}

/// Each member of staff, with their team and the number of open cases allocated to them: in
/// one team, or (`None`) the whole service. Counted only for those asked about, since each
/// count reads every allocation the person holds.
pub async fn caseload_sizes(
    conn: &mut AnyConnection,
    org_id: OrgId,
    team: Option<TeamId>,
) -> Result<Vec<(Uuid, String, String, Option<TeamId>, i64)>> {
    let rows = sqlx::query(
        "SELECT u.id, u.display_name, u.role, u.team_id, \
         (SELECT COUNT(DISTINCT a.case_id) FROM allocations a JOIN cases c ON c.id = a.case_id \
          WHERE a.worker_id = u.id AND a.ended_at IS NULL AND c.status = 'open') AS open_cases \
         FROM users u WHERE u.org_id = $1 AND u.disabled_at IS NULL AND ($2 = '' OR u.team_id = $2) \
         ORDER BY u.display_name",
    )
    .bind(org_id.to_string())
    .bind(team.map(|t| t.to_string()).unwrap_or_default())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                row::id(r, "id")?,
                row::text(r, "display_name")?,
                row::text(r, "role")?,
                row::opt_team_id(r, "team_id")?,
                row::int(r, "open_cases")?,
            ))
        })
        .collect()
}
