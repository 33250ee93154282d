//! Families' cases and the people in them. Every read here takes the acting user and applies
//! the access policy before returning anything: a record the user may not see is `None`,
//! exactly as if it did not exist.

use crate::{many, row};
use crate::{Result, StoreError};
use hearth_domain::access::{
    can, grant, may_see_field, Action, CaseLink, CaseRole, Decision, FieldClass, Resource, Scope,
};
use hearth_domain::clock::{to_unix, Timestamp};
use hearth_domain::ids::new_id;
use hearth_domain::Actor;
use sqlx::AnyConnection;
use std::collections::HashMap;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseSummary {
    pub id: Uuid,
    pub reference: String,
    pub team_id: Uuid,
    pub team_name: String,
    pub status: String,
    pub opened_at: Timestamp,
    /// The family's name as shown in lists: the first victim/survivor's, else the first member's.
    pub family_label: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub person_id: Uuid,
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: Option<String>,
    pub role: CaseRole,
    /// When this person's involvement closed, and why, if it has.
    pub closed: Option<(Timestamp, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allocation {
    pub worker_id: Uuid,
    pub worker_name: String,
    pub person_id: Option<Uuid>,
    pub allocated_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseRecord {
    pub summary: CaseSummary,
    pub members: Vec<Member>,
    pub allocations: Vec<Allocation>,
    pub relationships: Vec<Relationship>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonRecord {
    pub id: Uuid,
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: Option<String>,
    /// The cases this person is in that the user may see, with their role in each.
    pub cases: Vec<(CaseSummary, CaseRole)>,
}

// ---- writing -------------------------------------------------------------------------------

pub async fn insert_person(
    conn: &mut AnyConnection,
    now: Timestamp,
    org_id: Uuid,
    given_name: &str,
    family_name: &str,
    date_of_birth: Option<&str>,
) -> Result<Uuid> {
    let id = new_id(now);
    sqlx::query(
        "INSERT INTO people (id, org_id, given_name, family_name, date_of_birth, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6)",
    )
    .bind(id.to_string())
    .bind(org_id.to_string())
    .bind(given_name)
    .bind(family_name)
    .bind(date_of_birth)
    .bind(to_unix(now))
    .execute(&mut *conn)
    .await?;
    Ok(id)
}

pub async fn insert_case(
    conn: &mut AnyConnection,
    now: Timestamp,
    org_id: Uuid,
    team_id: Uuid,
    reference: &str,
) -> Result<Uuid> {
    let id = new_id(now);
    sqlx::query(
        "INSERT INTO cases (id, org_id, team_id, reference, status, opened_at) VALUES ($1, $2, $3, $4, 'open', $5)",
    )
    .bind(id.to_string())
    .bind(org_id.to_string())
    .bind(team_id.to_string())
    .bind(reference)
    .bind(to_unix(now))
    .execute(&mut *conn)
    .await?;
    Ok(id)
}

pub async fn add_member(
    conn: &mut AnyConnection,
    now: Timestamp,
    org_id: Uuid,
    case_id: Uuid,
    person_id: Uuid,
    role: CaseRole,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO case_members (id, org_id, case_id, person_id, role, added_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(new_id(now).to_string())
    .bind(org_id.to_string())
    .bind(case_id.to_string())
    .bind(person_id.to_string())
    .bind(role.code())
    .bind(to_unix(now))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn allocate(
    conn: &mut AnyConnection,
    now: Timestamp,
    org_id: Uuid,
    case_id: Uuid,
    person_id: Option<Uuid>,
    worker_id: Uuid,
    allocated_by: Option<Uuid>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO allocations (id, org_id, case_id, person_id, worker_id, allocated_at, allocated_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(new_id(now).to_string())
    .bind(org_id.to_string())
    .bind(case_id.to_string())
    .bind(person_id.map(|p| p.to_string()))
    .bind(worker_id.to_string())
    .bind(to_unix(now))
    .bind(allocated_by.map(|p| p.to_string()))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

// ---- access --------------------------------------------------------------------------------

/// The policy's decision about one case, from what the database says about it.
pub async fn case_decision(
    conn: &mut AnyConnection,
    actor: &Actor,
    action: Action,
    case_id: Uuid,
) -> Result<Decision> {
    let team: Option<String> =
        sqlx::query_scalar("SELECT team_id FROM cases WHERE id = $1 AND org_id = $2")
            .bind(case_id.to_string())
            .bind(actor.org_id.to_string())
            .fetch_optional(&mut *conn)
            .await?;
    let Some(team) = team else {
        return Ok(Decision::Hidden);
    };
    let team_id =
        Uuid::try_parse(&team).map_err(|_| StoreError::Corrupt("cases.team_id".into()))?;
    let allocated: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM allocations WHERE case_id = $1 AND worker_id = $2 AND ended_at IS NULL",
    )
    .bind(case_id.to_string())
    .bind(actor.user_id.to_string())
    .fetch_one(&mut *conn)
    .await?;
    Ok(decide(actor, action, case_id, team_id, allocated > 0))
}

/// The policy's decision, given where the case sits and whether it is allocated to the actor.
fn decide(
    actor: &Actor,
    action: Action,
    case_id: Uuid,
    team_id: Uuid,
    allocated: bool,
) -> Decision {
    let resource = Resource::Record {
        org_id: actor.org_id,
        team_ids: vec![team_id],
        allocated_to_actor: allocated || broke_glass(actor, case_id),
    };
    can(actor, action, &resource)
}

/// Whether the actor holds live break-glass access to this case (and their role allows it).
fn broke_glass(actor: &Actor, case_id: Uuid) -> bool {
    actor.break_glass.contains(&case_id) && grant(actor.role, Action::BreakGlass) != Scope::None
}

/// The policy's decision about one person, reached through every case they are in.
pub async fn person_decision(
    conn: &mut AnyConnection,
    actor: &Actor,
    action: Action,
    person_id: Uuid,
) -> Result<Decision> {
    let exists: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM people WHERE id = $1 AND org_id = $2")
            .bind(person_id.to_string())
            .bind(actor.org_id.to_string())
            .fetch_one(&mut *conn)
            .await?;
    if exists == 0 {
        return Ok(Decision::Hidden);
    }
    let teams: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT c.team_id FROM cases c JOIN case_members m ON m.case_id = c.id \
         WHERE m.person_id = $1 AND c.org_id = $2",
    )
    .bind(person_id.to_string())
    .bind(actor.org_id.to_string())
    .fetch_all(&mut *conn)
    .await?;
    let team_ids = teams
        .iter()
        .filter_map(|t| Uuid::try_parse(t).ok())
        .collect();
    let allocated: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM allocations a JOIN case_members m ON m.case_id = a.case_id \
         WHERE m.person_id = $1 AND a.worker_id = $2 AND a.ended_at IS NULL",
    )
    .bind(person_id.to_string())
    .bind(actor.user_id.to_string())
    .fetch_one(&mut *conn)
    .await?;
    let via_break_glass =
        if actor.break_glass.is_empty() || grant(actor.role, Action::BreakGlass) == Scope::None {
            false
        } else {
            let cases: Vec<String> =
                sqlx::query_scalar("SELECT case_id FROM case_members WHERE person_id = $1")
                    .bind(person_id.to_string())
                    .fetch_all(&mut *conn)
                    .await?;
            cases
                .iter()
                .any(|c| Uuid::try_parse(c).is_ok_and(|c| actor.break_glass.contains(&c)))
        };
    let resource = Resource::Record {
        org_id: actor.org_id,
        team_ids,
        allocated_to_actor: allocated > 0 || via_break_glass,
    };
    Ok(can(actor, action, &resource))
}

/// The SQL condition (on alias `c`) for cases the actor may open, and its one parameter.
/// This is where list queries are scoped, from the same grant the single-record check uses.
fn visible_cases_condition(actor: &Actor, first_param: usize) -> (String, Vec<String>) {
    let p = first_param;
    let allocated = format!(
        "EXISTS (SELECT 1 FROM allocations va WHERE va.case_id = c.id AND va.worker_id = ${p} AND va.ended_at IS NULL)"
    );
    match grant(actor.role, Action::ViewCaseRecord) {
        Scope::None => ("1 = 0".into(), vec![]),
        Scope::Organisation => ("1 = 1".into(), vec![]),
        Scope::Allocated => (allocated, vec![actor.user_id.to_string()]),
        Scope::Team => (
            format!("(c.team_id = ${} OR {allocated})", p + 1),
            vec![
                actor.user_id.to_string(),
                actor.team_id.map(|t| t.to_string()).unwrap_or_default(),
            ],
        ),
    }
}

const SUMMARY_COLUMNS: &str = "c.id, c.reference, c.team_id, t.name AS team_name, c.status, c.opened_at, \
    COALESCE((SELECT p.given_name || ' ' || p.family_name FROM case_members m JOIN people p ON p.id = m.person_id \
              WHERE m.case_id = c.id ORDER BY CASE WHEN m.role = 'victim_survivor' THEN 0 ELSE 1 END, m.added_at, m.id \
              LIMIT 1), '') AS family_label";

fn summary(r: &sqlx::any::AnyRow) -> Result<CaseSummary> {
    Ok(CaseSummary {
        id: row::id(r, "id")?,
        reference: row::text(r, "reference")?,
        team_id: row::id(r, "team_id")?,
        team_name: row::text(r, "team_name")?,
        status: row::text(r, "status")?,
        opened_at: row::at(r, "opened_at")?,
        family_label: row::text(r, "family_label")?,
    })
}

/// Cases allocated to this user: their caseload.
pub async fn caseload(
    conn: &mut AnyConnection,
    actor: &Actor,
    limit: i64,
) -> Result<Vec<CaseSummary>> {
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS} FROM cases c JOIN teams t ON t.id = c.team_id \
         WHERE c.org_id = $1 AND c.status = 'open' AND EXISTS (SELECT 1 FROM allocations a \
         WHERE a.case_id = c.id AND a.worker_id = $2 AND a.ended_at IS NULL) \
         ORDER BY c.opened_at DESC, c.id LIMIT $3"
    );
    let rows = sqlx::query(&sql)
        .bind(actor.org_id.to_string())
        .bind(actor.user_id.to_string())
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(summary).collect()
}

/// Every case the user may open, newest first.
pub async fn visible(
    conn: &mut AnyConnection,
    actor: &Actor,
    limit: i64,
) -> Result<Vec<CaseSummary>> {
    let (cond, params) = visible_cases_condition(actor, 3);
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS} FROM cases c JOIN teams t ON t.id = c.team_id \
         WHERE c.org_id = $1 AND {cond} ORDER BY c.opened_at DESC, c.id LIMIT $2"
    );
    let mut q = sqlx::query(&sql).bind(actor.org_id.to_string()).bind(limit);
    for p in params {
        q = q.bind(p);
    }
    let rows = q.fetch_all(&mut *conn).await?;
    rows.iter().map(summary).collect()
}

const MEMBER_COLUMNS: &str =
    "p.id, p.given_name, p.family_name, p.date_of_birth, m.role, m.closed_at, m.exit_reason";

/// Victims/survivors first, then people causing harm, children, and other adults; oldest first.
const MEMBER_ORDER: &str =
    "CASE m.role WHEN 'victim_survivor' THEN 0 WHEN 'person_causing_harm' THEN 1 \
     WHEN 'child_or_young_person' THEN 2 ELSE 3 END, p.date_of_birth, m.added_at, m.id";

fn member(r: &sqlx::any::AnyRow) -> Result<Member> {
    let role = row::text(r, "role")?;
    Ok(Member {
        person_id: row::id(r, "id")?,
        given_name: row::text(r, "given_name")?,
        family_name: row::text(r, "family_name")?,
        date_of_birth: row::opt_text(r, "date_of_birth")?,
        role: CaseRole::parse(&role)
            .ok_or_else(|| StoreError::Corrupt(format!("case role {role}")))?,
        closed: match (
            row::opt_at(r, "closed_at")?,
            row::opt_text(r, "exit_reason")?,
        ) {
            (Some(at), Some(reason)) => Some((at, reason)),
            _ => None,
        },
    })
}

/// One case with its members and allocations, if the user may open it.
pub async fn get(
    conn: &mut AnyConnection,
    actor: &Actor,
    case_id: Uuid,
) -> Result<Option<CaseRecord>> {
    let Some(access) = access_to_cases(conn, actor, &[case_id])
        .await?
        .remove(&case_id)
        .filter(|a| a.decision == Decision::Allow)
    else {
        return Ok(None);
    };
    let sql = format!("SELECT {SUMMARY_COLUMNS} FROM cases c JOIN teams t ON t.id = c.team_id WHERE c.id = $1 AND c.org_id = $2");
    let Some(r) = sqlx::query(&sql)
        .bind(case_id.to_string())
        .bind(actor.org_id.to_string())
        .fetch_optional(&mut *conn)
        .await?
    else {
        return Ok(None);
    };
    let summary = summary(&r)?;
    // Behind the firewall a victim or child is a name and a role: no date of birth, and not
    // whether or why their involvement closed ("moved out of the area" says where she went).
    let members = access
        .members
        .iter()
        .map(|m| {
            if access.may_see(m.person_id, FieldClass::Ordinary) {
                m.clone()
            } else {
                Member {
                    date_of_birth: None,
                    closed: None,
                    ..m.clone()
                }
            }
        })
        .collect();
    let rows = sqlx::query(
        "SELECT a.worker_id, u.display_name, a.person_id, a.allocated_at FROM allocations a \
         JOIN users u ON u.id = a.worker_id WHERE a.case_id = $1 AND a.ended_at IS NULL ORDER BY a.allocated_at, a.id",
    )
    .bind(case_id.to_string())
    .fetch_all(&mut *conn)
    .await?;
    let allocations = rows
        .iter()
        .map(|r| {
            Ok(Allocation {
                worker_id: row::id(r, "worker_id")?,
                worker_name: row::text(r, "display_name")?,
                person_id: row::opt_id(r, "person_id")?,
                allocated_at: row::at(r, "allocated_at")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let relationships = relationships(conn, case_id).await?;
    Ok(Some(CaseRecord {
        summary,
        members,
        allocations,
        relationships,
    }))
}

/// One person, if the user may open their record, with the cases of theirs the user may see.
pub async fn person(
    conn: &mut AnyConnection,
    actor: &Actor,
    person_id: Uuid,
) -> Result<Option<PersonRecord>> {
    if person_decision(conn, actor, Action::ViewCaseRecord, person_id).await? != Decision::Allow {
        return Ok(None);
    }
    let Some(r) = sqlx::query("SELECT id, given_name, family_name, date_of_birth FROM people WHERE id = $1 AND org_id = $2")
        .bind(person_id.to_string())
        .bind(actor.org_id.to_string())
        .fetch_optional(&mut *conn)
        .await?
    else {
        return Ok(None);
    };
    let (cond, params) = visible_cases_condition(actor, 3);
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS}, pm.role AS member_role FROM cases c JOIN teams t ON t.id = c.team_id \
         JOIN case_members pm ON pm.case_id = c.id \
         WHERE c.org_id = $1 AND pm.person_id = $2 AND {cond} ORDER BY c.opened_at DESC, c.id"
    );
    let mut q = sqlx::query(&sql)
        .bind(actor.org_id.to_string())
        .bind(person_id.to_string());
    for p in params {
        q = q.bind(p);
    }
    let cases = q
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| {
            let role = row::text(r, "member_role")?;
            Ok((
                summary(r)?,
                CaseRole::parse(&role)
                    .ok_or_else(|| StoreError::Corrupt(format!("case role {role}")))?,
            ))
        })
        .collect::<Result<Vec<_>>>()?;
    let date_of_birth =
        if may_see_person_field(conn, actor, person_id, FieldClass::Ordinary).await? {
            row::opt_text(&r, "date_of_birth")?
        } else {
            None
        };
    Ok(Some(PersonRecord {
        id: row::id(&r, "id")?,
        given_name: row::text(&r, "given_name")?,
        family_name: row::text(&r, "family_name")?,
        date_of_birth,
        cases,
    }))
}

/// Count of open cases, for the demo's summary and tests.
pub async fn count(conn: &mut AnyConnection, org_id: Uuid) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM cases WHERE org_id = $1")
            .bind(org_id.to_string())
            .fetch_one(&mut *conn)
            .await?,
    )
}

// ---- the firewall ----------------------------------------------------------------------------

/// The roles each person holds in one case.
pub async fn roles_in_case(
    conn: &mut AnyConnection,
    case_id: Uuid,
) -> Result<Vec<(Uuid, CaseRole)>> {
    let rows = sqlx::query("SELECT person_id, role FROM case_members WHERE case_id = $1")
        .bind(case_id.to_string())
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|r| {
            let role = row::text(r, "role")?;
            Ok((
                row::id(r, "person_id")?,
                CaseRole::parse(&role)
                    .ok_or_else(|| StoreError::Corrupt(format!("case role {role}")))?,
            ))
        })
        .collect()
}

/// How the actor reaches one case, for the firewall: through their team or the service, or only
/// through their allocations (and to whom).
pub async fn link_to_case(
    conn: &mut AnyConnection,
    actor: &Actor,
    case_id: Uuid,
) -> Result<Option<CaseLink>> {
    let team: Option<String> =
        sqlx::query_scalar("SELECT team_id FROM cases WHERE id = $1 AND org_id = $2")
            .bind(case_id.to_string())
            .bind(actor.org_id.to_string())
            .fetch_optional(&mut *conn)
            .await?;
    let Some(team) = team else { return Ok(None) };
    let allocated: Vec<Option<String>> = sqlx::query_scalar(
        "SELECT person_id FROM allocations WHERE case_id = $1 AND worker_id = $2 AND ended_at IS NULL",
    )
    .bind(case_id.to_string())
    .bind(actor.user_id.to_string())
    .fetch_all(&mut *conn)
    .await?;
    let allocated: Vec<Option<Uuid>> = allocated
        .into_iter()
        .map(|p| p.and_then(|p| Uuid::try_parse(&p).ok()))
        .collect();
    let roles = roles_in_case(conn, case_id).await?;
    Ok(Some(link(
        actor,
        case_id,
        Uuid::try_parse(&team).ok(),
        &allocated,
        &roles,
    )))
}

/// The firewall's view of how the actor reaches a case, given its team, the actor's live
/// allocations in it (`None` for the whole family) and the roles of the people in it.
fn link(
    actor: &Actor,
    case_id: Uuid,
    team_id: Option<Uuid>,
    allocated: &[Option<Uuid>],
    roles: &[(Uuid, CaseRole)],
) -> CaseLink {
    let reach = match grant(actor.role, Action::ViewCaseRecord) {
        Scope::Organisation => Scope::Organisation,
        Scope::Team if actor.team_id.is_some() && actor.team_id == team_id => Scope::Team,
        _ => Scope::Allocated,
    };
    let mut allocated_to: Vec<Option<Vec<CaseRole>>> = allocated
        .iter()
        .map(|p| {
            p.map(|p| {
                roles
                    .iter()
                    .filter(|(id, _)| *id == p)
                    .map(|(_, r)| *r)
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    if broke_glass(actor, case_id) {
        // Emergency access is to the whole family; the firewall still applies by role.
        allocated_to.push(None);
    }
    CaseLink {
        role: actor.role,
        reach,
        allocated_to,
    }
}

/// How the actor stands to one case, loaded for many cases at once so that lists (the due list,
/// caseloads) cost a few statements rather than a few per case.
#[derive(Debug, Clone)]
pub struct CaseAccess {
    /// The policy's decision on opening the case record.
    pub decision: Decision,
    /// How the actor reaches the case, for the firewall.
    pub link: CaseLink,
    /// Everyone in the case, in the order the case page shows them.
    pub members: Vec<Member>,
}

impl CaseAccess {
    /// This person's roles in the case.
    pub fn roles_of(&self, person_id: Uuid) -> Vec<CaseRole> {
        self.members
            .iter()
            .filter(|m| m.person_id == person_id)
            .map(|m| m.role)
            .collect()
    }

    /// May the actor see this class of field about this person, through this case?
    pub fn may_see(&self, person_id: Uuid, class: FieldClass) -> bool {
        let roles = self.roles_of(person_id);
        !roles.is_empty() && may_see_field(&self.link, &roles, class)
    }

    /// May the actor see this class of field about the family as a whole (a referral, a
    /// first-contact deadline, an entry about nobody in particular)? Only if they may see it
    /// about everyone in the family.
    pub fn may_see_family(&self, class: FieldClass) -> bool {
        let roles: Vec<CaseRole> = self.members.iter().map(|m| m.role).collect();
        may_see_field(&self.link, &roles, class)
    }

    /// May the actor see this class of field about this person (`None`: the whole family)?
    pub fn may_see_about(&self, person_id: Option<Uuid>, class: FieldClass) -> bool {
        match person_id {
            Some(p) => self.may_see(p, class),
            None => self.may_see_family(class),
        }
    }
}

/// The actor's standing to each of these cases that exists in their organisation, by the same
/// rules as [`case_decision`] and [`link_to_case`]. Callers still act only on `Decision::Allow`.
pub async fn access_to_cases(
    conn: &mut AnyConnection,
    actor: &Actor,
    case_ids: &[Uuid],
) -> Result<HashMap<Uuid, CaseAccess>> {
    let teams = many::fetch_in(
        conn,
        "SELECT id, team_id FROM cases WHERE org_id = $1 AND id IN ({ids})",
        &[actor.org_id.to_string()],
        case_ids,
    )
    .await?
    .iter()
    .map(|r| Ok((row::id(r, "id")?, row::id(r, "team_id")?)))
    .collect::<Result<Vec<_>>>()?;
    let mut allocated: HashMap<Uuid, Vec<Option<Uuid>>> = HashMap::new();
    for r in many::fetch_in(
        conn,
        "SELECT case_id, person_id FROM allocations WHERE worker_id = $1 AND ended_at IS NULL \
         AND case_id IN ({ids})",
        &[actor.user_id.to_string()],
        case_ids,
    )
    .await?
    {
        allocated
            .entry(row::id(&r, "case_id")?)
            .or_default()
            .push(row::opt_id(&r, "person_id")?);
    }
    let mut members: HashMap<Uuid, Vec<Member>> = HashMap::new();
    for r in many::fetch_in(
        conn,
        &format!(
            "SELECT m.case_id, {MEMBER_COLUMNS} FROM case_members m JOIN people p ON p.id = m.person_id \
             WHERE m.case_id IN ({{ids}}) ORDER BY m.case_id, {MEMBER_ORDER}"
        ),
        &[],
        case_ids,
    )
    .await?
    {
        members
            .entry(row::id(&r, "case_id")?)
            .or_default()
            .push(member(&r)?);
    }
    let mut out = HashMap::new();
    for (case_id, team_id) in teams {
        let allocated = allocated.remove(&case_id).unwrap_or_default();
        let members = members.remove(&case_id).unwrap_or_default();
        let roles: Vec<(Uuid, CaseRole)> = members.iter().map(|m| (m.person_id, m.role)).collect();
        out.insert(
            case_id,
            CaseAccess {
                decision: decide(
                    actor,
                    Action::ViewCaseRecord,
                    case_id,
                    team_id,
                    !allocated.is_empty(),
                ),
                link: link(actor, case_id, Some(team_id), &allocated, &roles),
                members,
            },
        );
    }
    Ok(out)
}

/// The open cases in which this person's involvement is open, newest case first, with their
/// role in each (a person can hold two roles in one case).
pub async fn open_involvements(
    conn: &mut AnyConnection,
    org_id: Uuid,
    person_id: Uuid,
) -> Result<Vec<(Uuid, CaseRole)>> {
    let rows = sqlx::query(
        "SELECT m.case_id, m.role FROM case_members m JOIN cases c ON c.id = m.case_id \
         WHERE m.person_id = $1 AND m.org_id = $2 AND c.status = 'open' AND m.closed_at IS NULL \
         ORDER BY c.opened_at DESC, c.id",
    )
    .bind(person_id.to_string())
    .bind(org_id.to_string())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            let role = row::text(r, "role")?;
            Ok((
                row::id(r, "case_id")?,
                CaseRole::parse(&role)
                    .ok_or_else(|| StoreError::Corrupt(format!("case role {role}")))?,
            ))
        })
        .collect()
}

/// May the actor see this class of field about this person, through any case the person is in?
pub async fn may_see_person_field(
    conn: &mut AnyConnection,
    actor: &Actor,
    person_id: Uuid,
    class: FieldClass,
) -> Result<bool> {
    let case_ids: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT case_id FROM case_members WHERE person_id = $1 AND org_id = $2",
    )
    .bind(person_id.to_string())
    .bind(actor.org_id.to_string())
    .fetch_all(&mut *conn)
    .await?;
    for case_id in case_ids.iter().filter_map(|c| Uuid::try_parse(c).ok()) {
        // Only cases the actor may open count as a way in.
        if case_decision(conn, actor, Action::ViewCaseRecord, case_id).await? != Decision::Allow {
            continue;
        }
        let Some(link) = link_to_case(conn, actor, case_id).await? else {
            continue;
        };
        let roles: Vec<CaseRole> = roles_in_case(conn, case_id)
            .await?
            .into_iter()
            .filter(|(p, _)| *p == person_id)
            .map(|(_, r)| r)
            .collect();
        if may_see_field(&link, &roles, class) {
            return Ok(true);
        }
    }
    Ok(false)
}

// ---- allocation and closure ----------------------------------------------------------------------

/// End an active allocation of this worker (to this person, or to the whole family).
pub async fn end_allocation(
    conn: &mut AnyConnection,
    now: Timestamp,
    case_id: Uuid,
    worker_id: Uuid,
    person_id: Option<Uuid>,
) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE allocations SET ended_at = $1 WHERE case_id = $2 AND worker_id = $3 AND ended_at IS NULL \
         AND COALESCE(person_id, '') = $4",
    )
    .bind(to_unix(now))
    .bind(case_id.to_string())
    .bind(worker_id.to_string())
    .bind(person_id.map(|p| p.to_string()).unwrap_or_default())
    .execute(&mut *conn)
    .await?;
    Ok(r.rows_affected() > 0)
}

pub async fn is_allocated(
    conn: &mut AnyConnection,
    case_id: Uuid,
    worker_id: Uuid,
    person_id: Option<Uuid>,
) -> Result<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM allocations WHERE case_id = $1 AND worker_id = $2 AND ended_at IS NULL \
         AND COALESCE(person_id, '') = $3",
    )
    .bind(case_id.to_string())
    .bind(worker_id.to_string())
    .bind(person_id.map(|p| p.to_string()).unwrap_or_default())
    .fetch_one(&mut *conn)
    .await?;
    Ok(n > 0)
}

/// Close a case: every allocation ends with it. False if it was already closed.
pub async fn close(conn: &mut AnyConnection, now: Timestamp, case_id: Uuid) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE cases SET status = 'closed', closed_at = $1 WHERE id = $2 AND status = 'open'",
    )
    .bind(to_unix(now))
    .bind(case_id.to_string())
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE allocations SET ended_at = $1 WHERE case_id = $2 AND ended_at IS NULL")
        .bind(to_unix(now))
        .bind(case_id.to_string())
        .execute(&mut *conn)
        .await?;
    Ok(r.rows_affected() == 1)
}

// ---- first contact -----------------------------------------------------------------------------

/// Where a case stands against its first-contact target: the newest accepted referral into it
/// (its identifier, time and sealed details), and the first successful contact since then.
#[derive(Debug, Clone)]
pub struct FirstContactFacts {
    pub referral_id: Uuid,
    pub referred_at: Timestamp,
    pub sealed_details: Vec<u8>,
    pub first_contact: Option<Timestamp>,
}

/// [`FirstContactFacts`] for each of these cases that came in by referral. Contacts count from
/// the current version of each entry, and not if withdrawn.
pub async fn first_contact_facts(
    conn: &mut AnyConnection,
    org_id: Uuid,
    case_ids: &[Uuid],
) -> Result<HashMap<Uuid, FirstContactFacts>> {
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
        out.entry(row::id(&r, "case_id")?)
            .or_insert(FirstContactFacts {
                referral_id: row::id(&r, "id")?,
                referred_at: row::at(&r, "received_at")?,
                sealed_details: row::bytes(&r, "details")?,
                first_contact: None,
            });
    }
    for r in many::fetch_in(
        conn,
        "SELECT e.case_id, MIN(v.occurred_at) AS first_at FROM timeline_versions v \
         JOIN timeline_entries e ON e.id = v.entry_id \
         WHERE e.case_id IN ({ids}) AND e.kind = 'contact' AND e.withdrawn_at IS NULL \
         AND v.contact_outcome = 'spoke' \
         AND v.version = (SELECT MAX(w.version) FROM timeline_versions w WHERE w.entry_id = v.entry_id) \
         AND v.occurred_at >= (SELECT MAX(r.received_at) FROM referrals r \
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

// ---- relationships -----------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relationship {
    pub from_person: Uuid,
    pub kind: String,
    pub to_person: Uuid,
}

pub async fn add_relationship(
    conn: &mut AnyConnection,
    now: Timestamp,
    org_id: Uuid,
    case_id: Uuid,
    r: &Relationship,
    by: Uuid,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO relationships (id, org_id, case_id, from_person, kind, to_person, added_at, added_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(new_id(now).to_string())
    .bind(org_id.to_string())
    .bind(case_id.to_string())
    .bind(r.from_person.to_string())
    .bind(&r.kind)
    .bind(r.to_person.to_string())
    .bind(to_unix(now))
    .bind(by.to_string())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn relationships(conn: &mut AnyConnection, case_id: Uuid) -> Result<Vec<Relationship>> {
    let rows = sqlx::query("SELECT from_person, kind, to_person FROM relationships WHERE case_id = $1 ORDER BY added_at, id")
        .bind(case_id.to_string())
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Relationship {
                from_person: row::id(r, "from_person")?,
                kind: row::text(r, "kind")?,
                to_person: row::id(r, "to_person")?,
            })
        })
        .collect()
}

/// When someone last made or tried contact on each of these cases (current versions, not
/// withdrawn), by the person the contact was about (`None`: the whole family), so that a user
/// is told only of contacts they may see.
pub async fn last_contacts(
    conn: &mut AnyConnection,
    case_ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<(Option<Uuid>, Timestamp)>>> {
    let mut out: HashMap<Uuid, Vec<(Option<Uuid>, Timestamp)>> = HashMap::new();
    for r in many::fetch_in(
        conn,
        "SELECT e.case_id, e.person_id, MAX(v.occurred_at) AS last_at FROM timeline_versions v \
         JOIN timeline_entries e ON e.id = v.entry_id \
         WHERE e.case_id IN ({ids}) AND e.kind = 'contact' AND e.withdrawn_at IS NULL \
         AND v.version = (SELECT MAX(w.version) FROM timeline_versions w WHERE w.entry_id = v.entry_id) \
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

/// Each worker who holds a caseload, with their team and the number of open cases allocated to them.
pub async fn caseload_sizes(
    conn: &mut AnyConnection,
    org_id: Uuid,
) -> Result<Vec<(Uuid, String, String, Option<Uuid>, i64)>> {
    let rows = sqlx::query(
        "SELECT u.id, u.display_name, u.role, u.team_id, \
         (SELECT COUNT(DISTINCT a.case_id) FROM allocations a JOIN cases c ON c.id = a.case_id \
          WHERE a.worker_id = u.id AND a.ended_at IS NULL AND c.status = 'open') AS open_cases \
         FROM users u WHERE u.org_id = $1 AND u.disabled_at IS NULL ORDER BY u.display_name",
    )
    .bind(org_id.to_string())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                row::id(r, "id")?,
                row::text(r, "display_name")?,
                row::text(r, "role")?,
                row::opt_id(r, "team_id")?,
                row::int(r, "open_cases")?,
            ))
        })
        .collect()
}

// ---- agencies ----------------------------------------------------------------------------------

pub fn agency_place(id: Uuid) -> String {
    format!("case_agencies.details:{id}")
}

pub async fn add_agency(
    conn: &mut AnyConnection,
    now: Timestamp,
    org_id: Uuid,
    case_id: Uuid,
    person_id: Option<Uuid>,
    seal: impl FnOnce(Uuid) -> Result<Vec<u8>>,
    by: Uuid,
) -> Result<Uuid> {
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
pub async fn agencies(
    conn: &mut AnyConnection,
    case_id: Uuid,
) -> Result<Vec<(Uuid, Option<Uuid>, Vec<u8>)>> {
    let rows = sqlx::query(
        "SELECT id, person_id, details FROM case_agencies WHERE case_id = $1 ORDER BY added_at, id",
    )
    .bind(case_id.to_string())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                row::id(r, "id")?,
                row::opt_id(r, "person_id")?,
                row::bytes(r, "details")?,
            ))
        })
        .collect()
}

/// Close one person's involvement: their roles in the case are marked closed and every
/// allocation to them ends. False if it was already closed.
pub async fn close_involvement(
    conn: &mut AnyConnection,
    now: Timestamp,
    case_id: Uuid,
    person_id: Uuid,
    reason: &str,
) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE case_members SET closed_at = $1, exit_reason = $2 WHERE case_id = $3 AND person_id = $4 AND closed_at IS NULL",
    )
    .bind(to_unix(now))
    .bind(reason)
    .bind(case_id.to_string())
    .bind(person_id.to_string())
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE allocations SET ended_at = $1 WHERE case_id = $2 AND person_id = $3 AND ended_at IS NULL")
        .bind(to_unix(now))
        .bind(case_id.to_string())
        .bind(person_id.to_string())
        .execute(&mut *conn)
        .await?;
    Ok(r.rows_affected() > 0)
}
