//! Families' cases and the people in them: writing cases, people and allocations, listing
//! cases, and reading one case or person through its guard. The features of a case live in the
//! submodules; readers of one case take its guard, so what the policy hides never comes out.

mod agencies;
mod allocations;
mod members;
pub mod next_due;
mod relationships;
mod standing;

pub use agencies::*;
pub use allocations::*;
pub use members::*;
pub use relationships::*;
pub use standing::*;

use crate::access::{CaseGuard, CasesGuard, Guard, PersonGuard};
use crate::{many, row};
use crate::{FieldCipher, Result, StoreError, UnitOfWork};
use hearth_domain::access::{CaseRole, Decision, FieldClass};
use hearth_domain::clock::{to_unix, Timestamp};
use hearth_domain::ids::OrgId;
use hearth_domain::ids::UserId;
use hearth_domain::ids::{new_id, CaseId, PersonId, TeamId};
use hearth_domain::paging::Page;
use hearth_domain::person::Identity;
use hearth_domain::Actor;
use sqlx::any::AnyRow;
use sqlx::AnyConnection;
use std::collections::HashMap;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseSummary {
    pub id: Uuid,
    pub reference: String,
    pub team_id: TeamId,
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

impl Member {
    /// Their name as staff see it: given name then family name.
    pub fn full_name(&self) -> String {
        format!("{} {}", self.given_name, self.family_name)
    }
}

/// Someone's part in a case as the access policy reads it: who, in what role, and whether
/// and why it has closed. Their identity comes along sealed and is opened only when a guard
/// names the case's people for a reader that shows them ([`CaseGuard::members`],
/// [`CasesGuard::name_of`]), so deciding who may see which cases opens nobody's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub person_id: Uuid,
    pub role: CaseRole,
    pub closed: Option<(Timestamp, String)>,
    identity: Vec<u8>,
}

impl Membership {
    /// Only a guard opens a membership, for a reader that shows the person.
    pub(crate) fn open(&self, cipher: &FieldCipher) -> Result<Member> {
        let identity = crate::identity::open(cipher, self.person_id, &self.identity)?;
        Ok(Member {
            person_id: self.person_id,
            given_name: identity.given_name,
            family_name: identity.family_name,
            date_of_birth: identity.date_of_birth,
            role: self.role,
            closed: self.closed.clone(),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allocation {
    pub worker_id: UserId,
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

impl CaseRecord {
    /// The name of someone in the case, or nothing if they are not in it.
    pub fn name_of(&self, person: Uuid) -> String {
        self.members
            .iter()
            .find(|m| m.person_id == person)
            .map(Member::full_name)
            .unwrap_or_default()
    }
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

/// A new person in the organisation, their identity sealed and indexed for search.
pub async fn insert_person(
    conn: &mut AnyConnection,
    cipher: &FieldCipher,
    now: Timestamp,
    org_id: OrgId,
    identity: &Identity,
) -> Result<PersonId> {
    let id = load_person(conn, cipher, now, org_id, identity).await?;
    crate::identity::index(conn, cipher, id.uuid(), identity).await?;
    Ok(id)
}

/// A new person, sealed but not yet indexed: for a bulk load, which then indexes the whole
/// organisation at once with [`crate::identity::reindex`]. Until then, search does not find them.
pub async fn load_person(
    conn: &mut AnyConnection,
    cipher: &FieldCipher,
    now: Timestamp,
    org_id: OrgId,
    identity: &Identity,
) -> Result<PersonId> {
    let id = PersonId::new(now);
    // The plain-text name columns are left over from before names were sealed; they stay empty.
    sqlx::query(
        "INSERT INTO people (id, org_id, given_name, family_name, identity, created_at, updated_at) \
         VALUES ($1, $2, '', '', $3, $4, $4)",
    )
    .bind(id.to_string())
    .bind(org_id.to_string())
    .bind(crate::identity::seal(cipher, id.uuid(), identity)?)
    .bind(to_unix(now))
    .execute(&mut *conn)
    .await?;
    Ok(id)
}

pub async fn insert_case(
    conn: &mut AnyConnection,
    now: Timestamp,
    org_id: OrgId,
    team_id: TeamId,
    reference: &str,
) -> Result<CaseId> {
    let id = CaseId::new(now);
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
    org_id: OrgId,
    case_id: CaseId,
    person_id: PersonId,
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

/// A worker allocated to a case: to the whole family, or to one person in it.
pub struct NewAllocation {
    pub org_id: OrgId,
    pub case_id: CaseId,
    /// `None`: the whole family.
    pub person_id: Option<PersonId>,
    pub worker_id: UserId,
    /// Who allocated them (`None`: set up from the command line or the demo).
    pub by: Option<UserId>,
}

pub async fn allocate(conn: &mut AnyConnection, now: Timestamp, a: NewAllocation) -> Result<()> {
    let NewAllocation {
        org_id,
        case_id,
        person_id,
        worker_id,
        by: allocated_by,
    } = a;
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

const SUMMARY_COLUMNS: &str =
    "c.id, c.reference, c.team_id, t.name AS team_name, c.status, c.opened_at, \
    lp.id AS lead_id, lp.identity AS lead_identity";

/// The family's name in lists is its lead person's: the first victim/survivor, else the first
/// member.
const SUMMARY_FROM: &str = "cases c JOIN teams t ON t.id = c.team_id \
    LEFT JOIN people lp ON lp.id = (SELECT m.person_id FROM case_members m WHERE m.case_id = c.id \
      ORDER BY CASE WHEN m.role = 'victim_survivor' THEN 0 ELSE 1 END, m.added_at, m.id LIMIT 1)";

fn summary(r: &sqlx::any::AnyRow, cipher: &FieldCipher) -> Result<CaseSummary> {
    let family_label = match row::opt_id(r, "lead_id")? {
        Some(_) => crate::identity::from_row(cipher, r, "lead_id", "lead_identity")?.full_name(),
        None => String::new(),
    };
    Ok(CaseSummary {
        id: row::id(r, "id")?,
        reference: row::text(r, "reference")?,
        team_id: row::team_id(r, "team_id")?,
        team_name: row::text(r, "team_name")?,
        status: row::text(r, "status")?,
        opened_at: row::at(r, "opened_at")?,
        family_label,
    })
}

/// A list of cases and the guard that opened them. Every case in it is one the one rule
/// ([`crate::access::resolve`]) lets the actor open: the SQL that picks the candidates only
/// narrows what the rule is asked about, so a mistake there can hide a case from a list but
/// never show one. The caller works on the listed cases through the guard, without resolving
/// them again.
pub struct Listed {
    pub cases: Vec<CaseSummary>,
    pub guard: CasesGuard,
    /// How many the list holds across every page (this page's length if it is not paged).
    pub total: usize,
}

/// Put the candidate rows to the rule, and make summaries (which name the family) only of
/// those it allows. A list names families, so reading one is audited as a view, by the list.
/// A list of cases looked at, by the actor; by default about the actor's own lists.
fn list_event(action: &'static str, actor: &Actor) -> crate::audit::AuditEvent {
    crate::audit::AuditEvent::new(action, "user")
        .org(actor.org_id)
        .actor(actor.user_id)
        .entity(actor.user_id)
}

async fn listed_from(
    w: &mut UnitOfWork,
    actor: &Actor,
    rows: Vec<AnyRow>,
    viewed: Option<crate::audit::AuditEvent>,
) -> Result<Listed> {
    let ids = rows
        .iter()
        .map(|r| row::id(r, "id"))
        .collect::<Result<Vec<Uuid>>>()?;
    let guard = w.cases(actor, &ids).await?;
    let cases = rows
        .iter()
        .zip(&ids)
        .filter(|(_, id)| guard.get(**id).is_some())
        .map(|(r, _)| summary(r, guard.cipher()))
        .collect::<Result<_>>()?;
    if let Some(viewed) = viewed {
        w.viewed(viewed);
    }
    let total = ids.len();
    Ok(Listed {
        cases,
        guard,
        total,
    })
}

/// Cases allocated to this user: their whole caseload, which their home page and due list
/// are about, so none is left off.
pub async fn caseload(w: &mut UnitOfWork, actor: &Actor) -> Result<Listed> {
    allocated_to(w, actor, actor.user_id, None).await
}

/// Open cases allocated to a worker, of those the actor may open, newest first: a page of them,
/// with how many in all, or every one. A manager looking at one of her team's caseloads sees no
/// case her own access does not reach.
pub async fn allocated_to(
    w: &mut UnitOfWork,
    actor: &Actor,
    worker: UserId,
    page: Option<Page>,
) -> Result<Listed> {
    // Driven from the worker's allocations (an index), not by testing each of the service's
    // open cases: at 6,000 cases a service, that was most of an Idva's home page.
    let allocated = "c.org_id = $1 AND c.status = 'open' AND c.id IN (SELECT a.case_id \
         FROM allocations a WHERE a.worker_id = $2 AND a.ended_at IS NULL)";
    let params = [actor.org_id.to_string(), worker.to_string()];
    // Whose caseload was looked at is the point of the entry: the worker's, not the manager's.
    let viewed = list_event("caseload.view", actor).entity(worker.uuid());
    paged_list(w, actor, allocated, &params, page, viewed).await
}

/// Every case the actor may open, newest first, a page at a time with how many in all.
pub async fn visible(w: &mut UnitOfWork, actor: &Actor, page: Page) -> Result<Listed> {
    let (cond, params) = crate::access::candidate_cases(actor, 2);
    let cond = format!("c.org_id = $1 AND {cond}");
    let params: Vec<String> = std::iter::once(actor.org_id.to_string())
        .chain(params)
        .collect();
    let viewed = list_event("case.list", actor);
    paged_list(w, actor, &cond, &params, Some(page), viewed).await
}

/// The cases meeting `cond` (its parameters numbered from $1), newest first: one page of them
/// put to the rule and counted in all, or all of them.
async fn paged_list(
    w: &mut UnitOfWork,
    actor: &Actor,
    cond: &str,
    params: &[String],
    page: Option<Page>,
    viewed: crate::audit::AuditEvent,
) -> Result<Listed> {
    let window = match page {
        Some(p) => format!(" LIMIT {} OFFSET {}", p.size, p.offset()),
        None => String::new(),
    };
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS} FROM {SUMMARY_FROM} WHERE {cond} \
         ORDER BY c.opened_at DESC, c.id{window}"
    );
    let mut q = sqlx::query(&sql);
    for p in params {
        q = q.bind(p);
    }
    let rows = q.fetch_all(&mut **w).await?;
    let mut listed = listed_from(w, actor, rows, Some(viewed)).await?;
    if let Some(p) = page {
        // A first page with room to spare holds them all; otherwise count.
        listed.total = if p.number == 1 && listed.total < p.size {
            listed.total
        } else {
            let sql = format!("SELECT COUNT(*) AS n FROM cases c WHERE {cond}");
            let mut q = sqlx::query(&sql);
            for p in params {
                q = q.bind(p);
            }
            let r = q.fetch_one(&mut **w).await?;
            usize::try_from(row::int(&r, "n")?).unwrap_or_default()
        };
    }
    Ok(listed)
}

/// The open cases the actor may open that could have something on the due list by `until`:
/// those whose next due falls by then, or is not known (see [`next_due`]). The others have
/// nothing to show, so a team's due list need not work them out; of the rest, every one, never
/// the first thousand. Known cases of `counted` teams are left out: their kept items are
/// counted instead.
pub async fn open_visible_due_by(
    w: &mut UnitOfWork,
    actor: &Actor,
    until: time::Date,
    counted: Option<&crate::access::WholeTeams>,
) -> Result<Listed> {
    // The access rule's parameters come first; the day and the teams are numbered after them.
    let (access, params) = crate::access::candidate_cases(actor, 2);
    let n = params.len() + 2;
    let mut cond = format!(" AND (c.next_due_on IS NULL OR c.next_due_on <= ${n})");
    let mut last = vec![hearth_domain::ukdate::iso(until)];
    if let Some(teams) = counted.filter(|t| !t.teams().is_empty()) {
        let ids: Vec<String> = (0..teams.teams().len())
            .map(|k| format!("${}", n + 1 + k))
            .collect();
        cond.push_str(&format!(
            " AND NOT (c.next_due_on IS NOT NULL AND c.team_id IN ({}))",
            ids.join(", ")
        ));
        last.extend(teams.teams().iter().map(|t| t.to_string()));
    }
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS} FROM {SUMMARY_FROM} \
         WHERE c.org_id = $1 AND c.status = 'open' AND {access}{cond} ORDER BY c.opened_at DESC, c.id"
    );
    let mut q = sqlx::query(&sql).bind(actor.org_id.to_string());
    for p in params.into_iter().chain(last) {
        q = q.bind(p);
    }
    let rows = q.fetch_all(&mut **w).await?;
    listed_from(w, actor, rows, Some(list_event("case.list", actor))).await
}

/// These cases, of those the actor may open: for a list made from something else than cases
/// (a programme's waiting list names the cases of the people on it).
pub async fn listed_by_ids(w: &mut UnitOfWork, actor: &Actor, ids: &[Uuid]) -> Result<Listed> {
    by_ids(w, actor, ids, Some(list_event("case.list", actor))).await
}

/// These cases, of those the actor may open, read by the server's own work in the background
/// (working out each case's next due, [`next_due`]). Nobody is shown them, so no view is
/// recorded; a request never reads through this.
pub async fn read_in_background(w: &mut UnitOfWork, actor: &Actor, ids: &[Uuid]) -> Result<Listed> {
    by_ids(w, actor, ids, None).await
}

async fn by_ids(
    w: &mut UnitOfWork,
    actor: &Actor,
    ids: &[Uuid],
    viewed: Option<crate::audit::AuditEvent>,
) -> Result<Listed> {
    let rows = many::fetch_in(
        w,
        &format!(
            "SELECT {SUMMARY_COLUMNS} FROM {SUMMARY_FROM} WHERE c.org_id = $1 AND c.id IN ({{ids}}) \
             ORDER BY c.opened_at DESC, c.id"
        ),
        &[actor.org_id.to_string()],
        ids,
    )
    .await?;
    listed_from(w, actor, rows, viewed).await
}

const MEMBER_COLUMNS: &str = "p.id, p.identity, m.role, m.closed_at, m.exit_reason";

/// Victims/survivors first, then people causing harm, children, and other adults.
fn role_rank(role: CaseRole) -> u8 {
    match role {
        CaseRole::VictimSurvivor => 0,
        CaseRole::PersonCausingHarm => 1,
        CaseRole::ChildOrYoungPerson => 2,
        _ => 3,
    }
}

/// Each person's part in each of these cases, by role and then as added, with their
/// identities still sealed: what the access policy decides on. Nobody's name is opened here.
pub(crate) async fn memberships_of(
    conn: &mut AnyConnection,
    case_ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<Membership>>> {
    let mut out: HashMap<Uuid, Vec<Membership>> = HashMap::new();
    for r in many::fetch_in(
        conn,
        &format!(
            "SELECT m.case_id, {MEMBER_COLUMNS} FROM case_members m JOIN people p ON p.id = m.person_id \
             WHERE m.case_id IN ({{ids}}) ORDER BY m.case_id, m.added_at, m.id"
        ),
        &[],
        case_ids,
    )
    .await?
    {
        out.entry(row::id(&r, "case_id")?)
            .or_default()
            .push(Membership {
                person_id: row::id(&r, "id")?,
                role: row::role(&r, "role")?,
                closed: match (
                    row::opt_at(&r, "closed_at")?,
                    row::opt_text(&r, "exit_reason")?,
                ) {
                    (Some(at), Some(reason)) => Some((at, reason)),
                    _ => None,
                },
                identity: row::bytes(&r, "identity")?,
            });
    }
    for list in out.values_mut() {
        // Stable, and in the case page's order as far as it goes without opening dates of
        // birth: someone's first role in a case is the one the page puts first.
        list.sort_by_key(|m| role_rank(m.role));
    }
    Ok(out)
}

/// The people of a case named, in the order the case page shows them: by role, then oldest
/// first (dates of birth are sealed, so this order is worked out once they are opened), then
/// as added. Only a guard calls this, for a reader that shows them.
pub(crate) fn named(cipher: &FieldCipher, memberships: &[Membership]) -> Result<Vec<Member>> {
    let mut members = memberships
        .iter()
        .map(|m| m.open(cipher))
        .collect::<Result<Vec<_>>>()?;
    // Stable: people of one role and birth date stay in the order they were added. An unknown
    // date of birth sorts first, as it always did on SQLite.
    members.sort_by(|a, b| {
        (role_rank(a.role), &a.date_of_birth).cmp(&(role_rank(b.role), &b.date_of_birth))
    });
    Ok(members)
}

/// When work on the guard's case can start: when its first referral arrived, which may be
/// before triage opened it.
pub async fn work_starts(conn: &mut AnyConnection, g: &CaseGuard) -> Result<Timestamp> {
    let r = sqlx::query(
        "SELECT c.opened_at, (SELECT MIN(r.received_at) FROM referrals r WHERE r.case_id = c.id) AS referred \
         FROM cases c WHERE c.id = $1",
    )
    .bind(g.case_id().to_string())
    .fetch_one(&mut *conn)
    .await?;
    let opened = row::at(&r, "opened_at")?;
    Ok(row::opt_at(&r, "referred")?.map_or(opened, |referred| referred.min(opened)))
}

/// The cases in the actor's organisation whose reference starts with this (in capitals), for
/// search, in order of reference: the guard then decides which the actor may open.
pub async fn with_reference_prefix(
    conn: &mut AnyConnection,
    actor: &Actor,
    prefix: &str,
) -> Result<Vec<crate::people::CaseLine>> {
    let rows = sqlx::query(
        "SELECT id, reference, status FROM cases WHERE org_id = $1 AND UPPER(reference) LIKE $2 \
         ORDER BY reference",
    )
    .bind(actor.org_id.to_string())
    .bind(format!(
        "{}%",
        prefix.to_uppercase().replace(['%', '_'], "")
    ))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(crate::people::CaseLine {
                case_id: row::id(r, "id")?,
                reference: row::text(r, "reference")?,
                status: row::text(r, "status")?,
            })
        })
        .collect()
}

/// The case in the actor's organisation with exactly this reference, whoever may open it: the
/// way into break-glass, which is the only way to learn that a case one cannot see exists.
pub async fn id_by_reference(
    conn: &mut AnyConnection,
    actor: &Actor,
    reference: &str,
) -> Result<Option<CaseId>> {
    let id: Option<String> =
        sqlx::query_scalar("SELECT id FROM cases WHERE org_id = $1 AND UPPER(reference) = $2")
            .bind(actor.org_id.to_string())
            .bind(reference.to_uppercase())
            .fetch_optional(&mut *conn)
            .await?;
    Ok(id.as_deref().and_then(CaseId::parse))
}

/// The guard's case with its members and allocations.
pub async fn record(conn: &mut AnyConnection, g: &CaseGuard) -> Result<CaseRecord> {
    record_of(conn, g.cipher(), g.actor(), g.access())
        .await?
        .ok_or(StoreError::Refused(Decision::Hidden))
}

/// The guard's case's reference, for a page about one of its records.
pub async fn reference(conn: &mut AnyConnection, g: &CaseGuard) -> Result<String> {
    Ok(
        sqlx::query_scalar("SELECT reference FROM cases WHERE id = $1 AND org_id = $2")
            .bind(g.case_id().to_string())
            .bind(g.actor().org_id.to_string())
            .fetch_one(&mut *conn)
            .await?,
    )
}

async fn record_of(
    conn: &mut AnyConnection,
    cipher: &FieldCipher,
    actor: &Actor,
    access: &crate::access::CaseAccess,
) -> Result<Option<CaseRecord>> {
    let case_id = access.case_id();
    let sql =
        format!("SELECT {SUMMARY_COLUMNS} FROM {SUMMARY_FROM} WHERE c.id = $1 AND c.org_id = $2");
    let Some(r) = sqlx::query(&sql)
        .bind(case_id.to_string())
        .bind(actor.org_id.to_string())
        .fetch_optional(&mut *conn)
        .await?
    else {
        return Ok(None);
    };
    let summary = summary(&r, cipher)?;
    // Behind the firewall a victim or child is a name and a role: no date of birth, and not
    // whether or why their involvement closed ("moved out of the area" says where she went).
    let members = named(cipher, access.memberships())?
        .into_iter()
        .map(|m| {
            if access.may_see(m.person_id, FieldClass::Ordinary) {
                m
            } else {
                Member {
                    date_of_birth: None,
                    closed: None,
                    ..m
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
                worker_id: row::user_id(r, "worker_id")?,
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

/// The guard's person with the cases of theirs the actor may open, newest first; no second
/// resolution.
pub async fn person_record(conn: &mut AnyConnection, g: &PersonGuard) -> Result<PersonRecord> {
    let (org_id, person_id) = (g.actor().org_id, g.person_id().uuid());
    let r = sqlx::query("SELECT id, identity FROM people WHERE id = $1 AND org_id = $2")
        .bind(person_id.to_string())
        .bind(org_id.to_string())
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::Refused(Decision::Hidden))?;
    let ids: Vec<Uuid> = g.cases().map(|a| a.case_id()).collect();
    let mut cases = Vec::new();
    for r in many::fetch_in(
        conn,
        &format!(
            "SELECT {SUMMARY_COLUMNS}, pm.role AS member_role FROM {SUMMARY_FROM} \
             JOIN case_members pm ON pm.case_id = c.id \
             WHERE c.org_id = $1 AND pm.person_id = $2 AND c.id IN ({{ids}})"
        ),
        &[org_id.to_string(), person_id.to_string()],
        &ids,
    )
    .await?
    {
        cases.push((summary(&r, g.cipher())?, row::role(&r, "member_role")?));
    }
    cases.sort_by(|a, b| b.0.opened_at.cmp(&a.0.opened_at).then(a.0.id.cmp(&b.0.id)));
    let identity = crate::identity::from_row(g.cipher(), &r, "id", "identity")?;
    Ok(PersonRecord {
        id: person_id,
        given_name: identity.given_name,
        family_name: identity.family_name,
        date_of_birth: identity
            .date_of_birth
            .filter(|_| g.may_see(FieldClass::Ordinary)),
        cases,
    })
}

/// Count of open cases, for the demo's summary and tests.
pub async fn count(conn: &mut AnyConnection, org_id: OrgId) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM cases WHERE org_id = $1")
            .bind(org_id.to_string())
            .fetch_one(&mut *conn)
            .await?,
    )
}
