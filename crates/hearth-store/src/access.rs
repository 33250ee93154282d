//! The one door to case records. How an actor stands to a set of cases is worked out here and
//! nowhere else ([`resolve`]); every decision about a case or a person, the firewall, and the SQL
//! that scopes lists come from it. Work on a record starts by opening a guard through a unit of
//! work ([`UnitOfWork::case`], [`UnitOfWork::person`]); only this module can build one, so code
//! that holds a guard has passed the policy, and sealed fields open only through it
//! ([`CaseGuard::open`], [`PersonGuard::open`]), which is where the firewall withholds them.

use crate::audit::AuditEvent;
use crate::cases::{self, Member, Membership};
use crate::sealed::{Opened, Sealed, Shows, Subject};
use crate::work::ViewLog;
use crate::{many, row, FieldCipher, Result, StoreError, UnitOfWork};
use hearth_domain::access::{
    can, grant, may_see_field, Action, CaseLink, CaseRole, Decision, FieldClass, Resource, Scope,
};
use hearth_domain::ids::{CaseId, OrgId, PersonId, TeamId};
use hearth_domain::Actor;
use sqlx::AnyConnection;
use std::collections::HashMap;
use uuid::Uuid;

/// How the actor stands to one case: where it sits, their live allocations in it and who is in
/// it, loaded once for many cases so that lists cost a few statements, not a few per case.
#[derive(Debug, Clone)]
pub struct CaseAccess {
    case_id: Uuid,
    team_id: TeamId,
    /// The actor's live allocations in the case (`None`: to the whole family).
    allocated: Vec<Option<Uuid>>,
    /// The policy's decision on opening the case record.
    pub decision: Decision,
    /// How the actor reaches the case, for the firewall.
    pub link: CaseLink,
    /// Everyone's part in the case, by role and then as added, their names still sealed.
    memberships: Vec<Membership>,
}

impl CaseAccess {
    pub fn case_id(&self) -> Uuid {
        self.case_id
    }

    pub fn team_id(&self) -> TeamId {
        self.team_id
    }

    /// The policy's decision on doing this to the case.
    pub fn decision_for(&self, actor: &Actor, action: Action) -> Decision {
        decide(
            actor,
            action,
            self.case_id,
            self.team_id,
            !self.allocated.is_empty(),
        )
    }

    /// Everyone's part in the case, by role and then as added. Their names open only
    /// through a guard ([`CaseGuard::members`], [`CasesGuard::name_of`]).
    pub fn memberships(&self) -> &[Membership] {
        &self.memberships
    }

    /// This person's roles in the case.
    pub fn roles_of(&self, person_id: Uuid) -> Vec<CaseRole> {
        self.memberships
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

    /// Would the actor see this class of field about someone holding these roles in the case
    /// (someone about to be added to it)?
    pub fn may_see_roles(&self, roles: &[CaseRole], class: FieldClass) -> bool {
        may_see_field(&self.link, roles, class)
    }

    /// May the actor see this class of field about the family as a whole (a referral, a
    /// first-contact deadline, an entry about nobody in particular)? Only if they may see it
    /// about everyone in the family.
    pub fn may_see_family(&self, class: FieldClass) -> bool {
        let roles: Vec<CaseRole> = self.memberships.iter().map(|m| m.role).collect();
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

/// How the actor stands to each of these cases that exists in their organisation. This is the
/// rule: the single-record checks, the person checks, lists and the firewall all read from it.
pub async fn resolve(
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
    .map(|r| Ok((row::id(r, "id")?, row::team_id(r, "team_id")?)))
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
    // Only the organisation's own cases. The policy decides on roles: nobody's name is
    // opened here, only by a guard for a reader that shows it.
    let ours: Vec<Uuid> = teams.iter().map(|(case_id, _)| *case_id).collect();
    let mut memberships = cases::memberships_of(conn, &ours).await?;
    let mut out = HashMap::new();
    for (case_id, team_id) in teams {
        let allocated = allocated.remove(&case_id).unwrap_or_default();
        let memberships = memberships.remove(&case_id).unwrap_or_default();
        let roles: Vec<(Uuid, CaseRole)> =
            memberships.iter().map(|m| (m.person_id, m.role)).collect();
        out.insert(
            case_id,
            CaseAccess {
                case_id,
                team_id,
                decision: decide(
                    actor,
                    Action::ViewCaseRecord,
                    case_id,
                    team_id,
                    !allocated.is_empty(),
                ),
                link: link(actor, case_id, team_id, &allocated, &roles),
                allocated,
                memberships,
            },
        );
    }
    Ok(out)
}

/// How the actor stands to every case this person is in, in their organisation.
async fn resolve_person(
    conn: &mut AnyConnection,
    actor: &Actor,
    person_id: Uuid,
) -> Result<Option<Vec<CaseAccess>>> {
    let exists: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM people WHERE id = $1 AND org_id = $2")
            .bind(person_id.to_string())
            .bind(actor.org_id.to_string())
            .fetch_one(&mut *conn)
            .await?;
    if exists == 0 {
        return Ok(None);
    }
    let case_ids: Vec<Uuid> = sqlx::query_scalar::<_, String>(
        "SELECT DISTINCT case_id FROM case_members WHERE person_id = $1 AND org_id = $2",
    )
    .bind(person_id.to_string())
    .bind(actor.org_id.to_string())
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .filter_map(|c| Uuid::try_parse(c).ok())
    .collect();
    let mut all: Vec<CaseAccess> = resolve(conn, actor, &case_ids)
        .await?
        .into_values()
        .collect();
    all.sort_by_key(|a| a.case_id);
    Ok(Some(all))
}

/// The policy's decision about a person, reached through every case they are in: as the
/// record of someone in all of those teams, allocated to the actor if any case is.
fn person_decision_from(actor: &Actor, action: Action, through: &[CaseAccess]) -> Decision {
    let resource = Resource::Record {
        org_id: actor.org_id,
        team_ids: through.iter().map(|a| a.team_id).collect(),
        allocated_to_actor: through
            .iter()
            .any(|a| !a.allocated.is_empty() || broke_glass(actor, a.case_id)),
    };
    can(actor, action, &resource)
}

/// The policy's decision, given where the case sits and whether it is allocated to the actor.
fn decide(
    actor: &Actor,
    action: Action,
    case_id: Uuid,
    team_id: TeamId,
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

/// The firewall's view of how the actor reaches a case, given its team, the actor's live
/// allocations in it (`None` for the whole family) and the roles of the people in it.
fn link(
    actor: &Actor,
    case_id: Uuid,
    team_id: TeamId,
    allocated: &[Option<Uuid>],
    roles: &[(Uuid, CaseRole)],
) -> CaseLink {
    let reach = match grant(actor.role, Action::ViewCaseRecord) {
        Scope::Organisation => Scope::Organisation,
        Scope::Team if actor.team_id == Some(team_id) => Scope::Team,
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

/// The SQL condition (on alias `c`) that narrows a list to the cases worth putting to
/// [`resolve`], and its parameters. It is an index, not the gate: every listed case is decided
/// by `resolve` (see [`crate::cases::Listed`]), so this may let through more than the rule
/// allows but must not leave out a case it allows (a test checks that, for every role).
pub(crate) fn candidate_cases(actor: &Actor, first_param: usize) -> (String, Vec<String>) {
    let p = first_param;
    let allocated = format!(
        "c.id IN (SELECT va.case_id FROM allocations va WHERE va.worker_id = ${p} AND va.ended_at IS NULL)"
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

// ---- guards ------------------------------------------------------------------------------------

/// What every guard offers the readers of case data: who is acting, whom the opened record
/// covers, and the one way to a sealed field's plain text.
pub trait Guard {
    fn actor(&self) -> &Actor;
    /// Is this person within what the guard opened (the case's members, or the person)?
    fn covers(&self, person_id: Uuid) -> bool;
    /// A sealed field, opened only if the firewall lets this actor see it.
    fn open(&self, sealed: &Sealed) -> Result<Opened>;
    /// The organisation's cipher: the store seals what the guard's work writes with it, and
    /// opens names, which anyone who may see a person's record sees.
    fn cipher(&self) -> &FieldCipher;
    /// May the actor see this class of field about this person, through what the guard opened?
    /// Readers of records that are not sealed but still about someone (an enrolment, a
    /// session) leave out those the firewall withholds.
    fn sees(&self, person_id: Uuid, class: FieldClass) -> bool;
}

/// The name of someone in a case the guard has opened, opening no one else's.
fn name_in(access: &CaseAccess, cipher: &FieldCipher, person_id: Uuid) -> Result<Option<String>> {
    access
        .memberships
        .iter()
        .find(|m| m.person_id == person_id)
        .map(|m| m.open(cipher).map(|m| m.full_name()))
        .transpose()
}

/// Readers refuse a person the guard does not cover, exactly as if they did not exist.
pub(crate) fn require(guard: &impl Guard, person_id: Uuid) -> Result<()> {
    if guard.covers(person_id) {
        Ok(())
    } else {
        Err(refused(Decision::Hidden))
    }
}

/// Work on one case that the policy has allowed. Only [`UnitOfWork::case`] makes one.
pub struct CaseGuard {
    access: CaseAccess,
    action: Action,
    actor: Actor,
    cipher: FieldCipher,
    /// Set when the guard was opened to look: then every field it shows is audited as a view.
    shows_to: Option<ViewLog>,
}

impl CaseGuard {
    pub fn case_id(&self) -> CaseId {
        CaseId::from_uuid(self.access.case_id)
    }

    pub fn action(&self) -> Action {
        self.action
    }

    /// How the actor stands to the case, for the firewall's answers.
    pub fn access(&self) -> &CaseAccess {
        &self.access
    }

    /// Everyone in the case, named, in the order the case page shows them. Names are shown
    /// to anyone who may open the case; what else the firewall withholds is up to the reader.
    pub fn members(&self) -> Result<Vec<Member>> {
        cases::named(&self.cipher, &self.access.memberships)
    }

    /// The name of someone in the case (nothing if they are not in it): a page about one
    /// entry names only the person it is about.
    pub fn name_of(&self, person_id: Uuid) -> Result<Option<String>> {
        name_in(&self.access, &self.cipher, person_id)
    }

    /// Each person's roles in the case, one pair per role.
    pub fn roles(&self) -> Vec<(Uuid, CaseRole)> {
        self.access
            .memberships
            .iter()
            .map(|m| (m.person_id, m.role))
            .collect()
    }

    /// The same case as work across cases, for the readers that serve lists (standings, the
    /// due list): no second resolution.
    pub fn as_cases(&self) -> CasesGuard {
        CasesGuard::new(
            vec![self.access.clone()],
            self.actor.clone(),
            self.cipher.clone(),
        )
    }

    /// May the actor also do this to the case (for example record work, on a page they view)?
    pub fn allows(&self, action: Action) -> bool {
        self.access.decision_for(&self.actor, action) == Decision::Allow
    }

    /// Would [`Guard::open`] show a field of this class about this subject? A reader that
    /// pages through records decides from their plain columns which it may show, and reads
    /// whole only those, by the same rule that opens them.
    pub fn would_open(&self, subject: Subject, class: FieldClass) -> bool {
        match subject {
            Subject::Person(p) => self.access.may_see(p, class),
            Subject::Family(c) => c == self.access.case_id && self.access.may_see_family(class),
            Subject::Service(_) => false,
        }
    }

    /// A reader handing out a record of the case with nothing sealed in it (an enrolment)
    /// records that it was shown, when the guard was opened to look.
    pub(crate) fn shown(&self, ev: AuditEvent) {
        if let Some(log) = &self.shows_to {
            log.record(ev.org(self.actor.org_id).actor(self.actor.user_id));
        }
    }
}

impl Guard for CaseGuard {
    fn cipher(&self) -> &FieldCipher {
        &self.cipher
    }

    fn actor(&self) -> &Actor {
        &self.actor
    }

    fn covers(&self, person_id: Uuid) -> bool {
        self.access
            .memberships
            .iter()
            .any(|m| m.person_id == person_id)
    }

    fn sees(&self, person_id: Uuid, class: FieldClass) -> bool {
        self.access.may_see(person_id, class)
    }

    /// A withheld field is never decrypted.
    fn open(&self, sealed: &Sealed) -> Result<Opened> {
        let visible = self.would_open(sealed.subject(), sealed.class());
        let opened = sealed.open_if(visible, &self.cipher)?;
        if visible {
            shown(
                &self.shows_to,
                &self.actor,
                sealed,
                Some(self.access.case_id),
            );
        }
        Ok(opened)
    }
}

/// Work on one person's record that the policy has allowed, through the cases of theirs the
/// actor may open. Only [`UnitOfWork::person`] makes one.
pub struct PersonGuard {
    person_id: Uuid,
    through: Vec<CaseAccess>,
    action: Action,
    actor: Actor,
    cipher: FieldCipher,
    shows_to: Option<ViewLog>,
}

impl PersonGuard {
    pub fn person_id(&self) -> PersonId {
        PersonId::from_uuid(self.person_id)
    }

    pub fn action(&self) -> Action {
        self.action
    }

    /// The person's cases the actor may open, each with how the actor reaches it.
    pub fn cases(&self) -> impl Iterator<Item = &CaseAccess> {
        self.through
            .iter()
            .filter(|a| a.decision == Decision::Allow)
    }

    /// May the actor also do this to the person's record (as the policy decides for a person,
    /// through every case of theirs)?
    pub fn allows(&self, action: Action) -> bool {
        person_decision_from(&self.actor, action, &self.through) == Decision::Allow
    }

    /// May the actor do this to one of the person's cases?
    pub fn allows_in(&self, case_id: Uuid, action: Action) -> bool {
        self.through
            .iter()
            .any(|a| a.case_id == case_id && a.decision_for(&self.actor, action) == Decision::Allow)
    }

    /// May the actor see this class of field about the person, through a case they may open?
    pub fn may_see(&self, class: FieldClass) -> bool {
        self.through
            .iter()
            .any(|a| a.decision == Decision::Allow && a.may_see(self.person_id, class))
    }
}

impl Guard for PersonGuard {
    fn cipher(&self) -> &FieldCipher {
        &self.cipher
    }

    fn actor(&self) -> &Actor {
        &self.actor
    }

    fn covers(&self, person_id: Uuid) -> bool {
        person_id == self.person_id
    }

    fn sees(&self, person_id: Uuid, class: FieldClass) -> bool {
        person_id == self.person_id && self.may_see(class)
    }

    fn open(&self, sealed: &Sealed) -> Result<Opened> {
        let visible = match sealed.subject() {
            Subject::Person(p) => p == self.person_id && self.may_see(sealed.class()),
            Subject::Family(_) | Subject::Service(_) => false,
        };
        let opened = sealed.open_if(visible, &self.cipher)?;
        if visible {
            shown(&self.shows_to, &self.actor, sealed, None);
        }
        Ok(opened)
    }
}

/// A guard opened to look records each kind of record it shows as a view of it, so a reader
/// that shows a safety plan cannot leave the view out of the audit trail. Fields read during a
/// change (a guard opened to record work) are not views: the change itself is audited.
fn shown(log: &Option<ViewLog>, actor: &Actor, sealed: &Sealed, case_id: Option<Uuid>) {
    let Some(log) = log else { return };
    let person = match sealed.subject() {
        Subject::Person(p) => Some(p),
        Subject::Family(_) | Subject::Service(_) => None,
    };
    let (action, entity_type, entity, detail) = match sealed.shows() {
        Shows::ContactDetails => ("person.contact_view", "person", person, None),
        Shows::SafetyPlan => ("person.safety_plan_view", "person", person, None),
        Shows::Risk => ("person.risk_view", "person", person, None),
        Shows::Equality => ("person.equality_view", "person", person, None),
        Shows::Timeline => ("case.timeline_view", "case", case_id, None),
        Shows::Entry(entry) => ("case.entry_view", "case", case_id, Some(("entry", entry))),
        Shows::Referral(id) => ("referral.view", "referral", Some(id), None),
        Shows::ReferralQueue => (
            "referral.queue_view",
            "user",
            Some(actor.user_id.uuid()),
            None,
        ),
        Shows::Enrolment(id) => (
            "case.enrolment_view",
            "case",
            case_id,
            Some(("enrolment", id)),
        ),
        Shows::MaracReferral(id) => (
            "marac.referral_view",
            "person",
            person,
            Some(("referral", id)),
        ),
        Shows::Page => return,
    };
    if let Some(id) = entity {
        let mut ev = AuditEvent::new(action, entity_type)
            .org(actor.org_id)
            .actor(actor.user_id)
            .entity(id);
        if let Some((key, value)) = detail {
            ev = ev.detail(key, value);
        }
        log.record(ev);
    }
}

/// Work across many cases at once (a caseload, the due list): only the cases the policy lets
/// the actor open, each with how the actor reaches it. Only [`UnitOfWork::cases`] makes one.
pub struct CasesGuard {
    /// In the order asked for.
    open: Vec<CaseAccess>,
    /// Where each case is in `open`, and which cases each person is in: lists ask per case and
    /// per person, and a service's due list or search can hold thousands of cases.
    by_case: HashMap<Uuid, usize>,
    by_person: HashMap<Uuid, Vec<usize>>,
    actor: Actor,
    cipher: FieldCipher,
}

impl CasesGuard {
    fn new(open: Vec<CaseAccess>, actor: Actor, cipher: FieldCipher) -> Self {
        let by_case = open
            .iter()
            .enumerate()
            .map(|(i, a)| (a.case_id, i))
            .collect();
        let mut by_person: HashMap<Uuid, Vec<usize>> = HashMap::new();
        for (i, a) in open.iter().enumerate() {
            for m in &a.memberships {
                let cases = by_person.entry(m.person_id).or_default();
                if cases.last() != Some(&i) {
                    cases.push(i);
                }
            }
        }
        CasesGuard {
            open,
            by_case,
            by_person,
            actor,
            cipher,
        }
    }

    /// The cases the actor may open, in the order asked for.
    pub fn cases(&self) -> &[CaseAccess] {
        &self.open
    }

    pub fn case_ids(&self) -> Vec<Uuid> {
        self.open.iter().map(|a| a.case_id).collect()
    }

    /// How the actor stands to one of them; `None` if it was not asked for or may not be opened.
    pub fn get(&self, case_id: Uuid) -> Option<&CaseAccess> {
        self.by_case.get(&case_id).map(|i| &self.open[*i])
    }

    /// The name of someone in one of these cases (nothing if they are not in it, or the actor
    /// may not open it): a list that shows one person of a case opens only that one.
    pub fn name_of(&self, case_id: Uuid, person_id: Uuid) -> Result<Option<String>> {
        match self.get(case_id) {
            Some(a) => name_in(a, &self.cipher, person_id),
            None => Ok(None),
        }
    }

    /// May the actor see this class of field about this person, through any of these cases?
    pub fn may_see(&self, person_id: Uuid, class: FieldClass) -> bool {
        self.by_person.get(&person_id).is_some_and(|cases| {
            cases
                .iter()
                .any(|i| self.open[*i].may_see(person_id, class))
        })
    }
}

impl Guard for CasesGuard {
    fn cipher(&self) -> &FieldCipher {
        &self.cipher
    }

    fn actor(&self) -> &Actor {
        &self.actor
    }

    fn covers(&self, person_id: Uuid) -> bool {
        self.by_person.contains_key(&person_id)
    }

    fn sees(&self, person_id: Uuid, class: FieldClass) -> bool {
        self.may_see(person_id, class)
    }

    /// A field about a person opens if any of the cases lets the actor see it; a field about a
    /// family, if its case does.
    fn open(&self, sealed: &Sealed) -> Result<Opened> {
        let visible = match sealed.subject() {
            Subject::Person(p) => self.may_see(p, sealed.class()),
            Subject::Family(c) => self
                .get(c)
                .is_some_and(|a| a.may_see_family(sealed.class())),
            Subject::Service(_) => false,
        };
        sealed.open_if(visible, &self.cipher)
    }
}

/// The teams whose every case the actor may open and sees whole: nothing in them is behind
/// the firewall from the actor, because they reach them through the team or the service, not
/// an allocation (a manager's own team, or every team for the service manager). A manager's
/// due list counts these teams' cases from what is kept of them (`cases::next_due`) without
/// opening each; any other case they may open is worked out through [`CasesGuard`].
#[derive(Debug, Clone)]
pub struct WholeTeams {
    org_id: OrgId,
    teams: Vec<TeamId>,
}

impl WholeTeams {
    pub fn org_id(&self) -> OrgId {
        self.org_id
    }

    pub fn teams(&self) -> &[TeamId] {
        &self.teams
    }
}

impl UnitOfWork {
    /// The [`WholeTeams`] of the actor, decided team by team by the one policy, as for any
    /// case of that team not allocated to them.
    pub async fn whole_teams(&mut self, actor: &Actor) -> Result<WholeTeams> {
        let teams: Vec<String> = sqlx::query_scalar("SELECT id FROM teams WHERE org_id = $1")
            .bind(actor.org_id.to_string())
            .fetch_all(&mut **self)
            .await?;
        let protected = [CaseRole::VictimSurvivor, CaseRole::ChildOrYoungPerson];
        let teams = teams
            .iter()
            .filter_map(|t| t.parse::<Uuid>().ok().map(TeamId::from_uuid))
            .filter(|team| {
                let link = link(actor, Uuid::nil(), *team, &[], &[]);
                decide(actor, Action::ViewCaseRecord, Uuid::nil(), *team, false) == Decision::Allow
                    && matches!(link.reach, Scope::Team | Scope::Organisation)
                    && !hearth_domain::access::behind_firewall(&link, &protected)
            })
            .collect();
        Ok(WholeTeams {
            org_id: actor.org_id,
            teams,
        })
    }
}

/// Open work across these cases outside a unit of work, for lists that read and write nothing
/// else (see [`UnitOfWork::cases`]).
pub async fn open_cases(
    conn: &mut AnyConnection,
    store: &crate::Store,
    actor: &Actor,
    case_ids: &[Uuid],
) -> Result<CasesGuard> {
    let mut resolved = resolve(conn, actor, case_ids).await?;
    let open = case_ids
        .iter()
        .filter_map(|id| resolved.remove(id))
        .filter(|a| a.decision == Decision::Allow)
        .collect();
    let cipher = store.cipher(conn, actor.org_id).await?;
    Ok(CasesGuard::new(open, actor.clone(), cipher))
}

/// A service function the policy has allowed the actor (triage, running MARAC, reviewing
/// emergency access). It covers no case by itself: it opens only the records of that function.
/// Only [`UnitOfWork::service`] makes one.
pub struct ServiceGuard {
    action: Action,
    actor: Actor,
    cipher: FieldCipher,
    /// Set when opened in a view: then what it shows is audited as a view.
    shows_to: Option<ViewLog>,
}

impl ServiceGuard {
    pub fn action(&self) -> Action {
        self.action
    }

    /// A reader that hands out a function's record with nothing sealed in it (a MARAC
    /// meeting) records that it was shown, when the guard was opened to look.
    pub(crate) fn shown(&self, ev: AuditEvent) {
        if let Some(log) = &self.shows_to {
            log.record(ev.org(self.actor.org_id).actor(self.actor.user_id));
        }
    }

    /// Readers of a function's records refuse a guard for another function.
    pub(crate) fn require(&self, function: Action) -> Result<()> {
        if self.action == function {
            Ok(())
        } else {
            Err(refused(Decision::Forbidden))
        }
    }
}

impl Guard for ServiceGuard {
    fn cipher(&self) -> &FieldCipher {
        &self.cipher
    }

    fn actor(&self) -> &Actor {
        &self.actor
    }

    fn covers(&self, _person_id: Uuid) -> bool {
        false
    }

    fn sees(&self, _person_id: Uuid, _class: FieldClass) -> bool {
        false
    }

    fn open(&self, sealed: &Sealed) -> Result<Opened> {
        let visible = sealed.opens_for_function(self.action);
        let opened = sealed.open_if(visible, &self.cipher)?;
        if visible {
            shown(&self.shows_to, &self.actor, sealed, None);
        }
        Ok(opened)
    }
}

/// Reading a MARAC record about one person: as the coordinator, who reads every MARAC record,
/// or as someone who may see that person's location-class data, because what goes to MARAC
/// says where she is. Only [`UnitOfWork::marac`] makes one.
pub enum MaracGuard {
    Coordinator(ServiceGuard),
    Worker(PersonGuard),
}

impl MaracGuard {
    pub fn is_coordinator(&self) -> bool {
        matches!(self, MaracGuard::Coordinator(_))
    }

    /// May the actor record work on this case (update its MARAC actions)?
    pub fn allows_in(&self, case_id: Uuid, action: Action) -> bool {
        match self {
            MaracGuard::Coordinator(_) => true,
            MaracGuard::Worker(g) => g.allows_in(case_id, action),
        }
    }
}

impl Guard for MaracGuard {
    fn cipher(&self) -> &FieldCipher {
        match self {
            MaracGuard::Coordinator(g) => g.cipher(),
            MaracGuard::Worker(g) => g.cipher(),
        }
    }

    fn actor(&self) -> &Actor {
        match self {
            MaracGuard::Coordinator(g) => g.actor(),
            MaracGuard::Worker(g) => g.actor(),
        }
    }

    fn covers(&self, person_id: Uuid) -> bool {
        match self {
            MaracGuard::Coordinator(_) => true,
            MaracGuard::Worker(g) => g.covers(person_id),
        }
    }

    fn sees(&self, person_id: Uuid, class: FieldClass) -> bool {
        match self {
            MaracGuard::Coordinator(_) => false,
            MaracGuard::Worker(g) => g.sees(person_id, class),
        }
    }

    fn open(&self, sealed: &Sealed) -> Result<Opened> {
        match self {
            MaracGuard::Coordinator(g) => g.open(sealed),
            MaracGuard::Worker(g) => g.open(sealed),
        }
    }
}

/// Opening a record to look at it is a view of it, and is audited as one by the guard itself,
/// so no reader can forget to. Opening it to change it is audited by what the change records.
fn view_event(action: Action, entity_type: &'static str) -> Option<AuditEvent> {
    let name = match (action, entity_type) {
        (Action::ViewCaseRecord, "case") => "case.view",
        (Action::ViewCaseRecord, _) => "person.view",
        (Action::ViewRecordHistory, "case") => "case.history_view",
        (Action::ViewRecordHistory, _) => "person.history_view",
        _ => return None,
    };
    Some(AuditEvent::new(name, entity_type))
}

/// Is the record opened to look at it (so what it shows is a view)?
fn looks(action: Action) -> bool {
    action == Action::ViewCaseRecord
}

/// The policy's refusal as an error: the use case answers 403 or 404 from it.
pub(crate) fn refused(d: Decision) -> StoreError {
    StoreError::Refused(d)
}

impl UnitOfWork {
    /// Open work on a case for this action, or refuse as the policy says.
    pub async fn case(
        &mut self,
        actor: &Actor,
        case_id: CaseId,
        action: Action,
    ) -> Result<CaseGuard> {
        let case_id = case_id.uuid();
        let cipher = self.cipher(actor.org_id).await?;
        let access = resolve(self, actor, &[case_id])
            .await?
            .remove(&case_id)
            .ok_or(refused(Decision::Hidden))?;
        // Someone who may not open the case is not told it exists, whatever they tried to do.
        if access.decision != Decision::Allow {
            return Err(refused(access.decision));
        }
        match access.decision_for(actor, action) {
            Decision::Allow => {}
            d => return Err(refused(d)),
        }
        if let Some(viewed) = view_event(action, "case") {
            self.viewed(
                viewed
                    .org(actor.org_id)
                    .actor(actor.user_id)
                    .entity(case_id),
            );
        }
        Ok(CaseGuard {
            access,
            action,
            actor: actor.clone(),
            cipher,
            shows_to: looks(action).then(|| self.view_log()),
        })
    }

    /// Open work on a person's record for this action, or refuse as the policy says.
    pub async fn person(
        &mut self,
        actor: &Actor,
        person_id: PersonId,
        action: Action,
    ) -> Result<PersonGuard> {
        let person_id = person_id.uuid();
        let cipher = self.cipher(actor.org_id).await?;
        let through = resolve_person(self, actor, person_id)
            .await?
            .ok_or(refused(Decision::Hidden))?;
        match person_decision_from(actor, action, &through) {
            Decision::Allow => {}
            d => return Err(refused(d)),
        }
        if let Some(viewed) = view_event(action, "person") {
            self.viewed(
                viewed
                    .org(actor.org_id)
                    .actor(actor.user_id)
                    .entity(person_id),
            );
        }
        Ok(PersonGuard {
            person_id,
            through,
            action,
            actor: actor.clone(),
            cipher,
            shows_to: looks(action).then(|| self.view_log()),
        })
    }

    /// Open work across these cases: those the actor may not open are left out, as if they did
    /// not exist.
    pub async fn cases(&mut self, actor: &Actor, case_ids: &[Uuid]) -> Result<CasesGuard> {
        let store = self.store().clone();
        open_cases(self, &store, actor, case_ids).await
    }

    /// Open a service function for this actor, or refuse as the policy says.
    pub async fn service(&mut self, actor: &Actor, action: Action) -> Result<ServiceGuard> {
        // A service function is no secret: refusing it says only that it is not theirs.
        let service = Resource::Service {
            org_id: actor.org_id,
        };
        if can(actor, action, &service) != Decision::Allow {
            return Err(refused(Decision::Forbidden));
        }
        let cipher = self.cipher(actor.org_id).await?;
        Ok(ServiceGuard {
            action,
            actor: actor.clone(),
            cipher,
            shows_to: self.is_view().then(|| self.view_log()),
        })
    }

    /// Open what was sent to MARAC about this person, or refuse: the coordinator may; otherwise
    /// only someone who may open the person's record and see where she is.
    pub async fn marac(&mut self, actor: &Actor, person_id: PersonId) -> Result<MaracGuard> {
        if can(
            actor,
            Action::RunMarac,
            &Resource::Service {
                org_id: actor.org_id,
            },
        ) == Decision::Allow
        {
            return Ok(MaracGuard::Coordinator(
                self.service(actor, Action::RunMarac).await?,
            ));
        }
        let g = self
            .person(actor, person_id, Action::ViewCaseRecord)
            .await?;
        if !g.may_see(FieldClass::Location) {
            return Err(refused(Decision::Forbidden));
        }
        Ok(MaracGuard::Worker(g))
    }
}
