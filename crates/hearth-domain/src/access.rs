//! The one access policy. Every decision about who may do what passes through [`can`];
//! handlers and queries never decide access themselves.
//!
//! The grants are a table of roles × actions ([`GRANTS`]) that a service manager can read,
//! published as `docs/access-policy.md` (kept in step by a test).

use crate::ids::{OrgId, TeamId, UserId};
use crate::role::Role;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// How far a grant reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Scope {
    /// Not at all.
    None,
    /// Only cases (or people) allocated to the user.
    Allocated,
    /// Cases of the user's own team, and any allocated to them.
    Team,
    /// Everything in the user's organisation.
    Organisation,
}

impl Scope {
    pub fn label(self) -> &'static str {
        match self {
            Scope::None => "no",
            Scope::Allocated => "own cases",
            Scope::Team => "own team",
            Scope::Organisation => "whole service",
        }
    }
}

/// Everything the policy decides about. Record actions concern one case or person;
/// a refusal of a record action hides the record entirely (404), so nobody learns it exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Action {
    /// Open a case or person record and its ordinary fields.
    ViewCaseRecord,
    /// See who viewed or changed a case or person record.
    ViewRecordHistory,
    /// List staff accounts.
    ViewUsers,
    /// Add, disable, reset and change staff accounts.
    ManageUsers,
    /// Create and revoke API tokens for partner systems.
    ManageApiTokens,
    /// Read the whole service's audit trail.
    ViewServiceAudit,
    /// Record work on a case: notes, contacts, contact details, corrections.
    RecordWork,
    /// Withdraw a timeline entry made in error (it stays in the history).
    WithdrawEntry,
    /// Send a referral in (staff taking one by phone, or a partner system).
    SubmitReferral,
    /// Work the triage queue: read new referrals, find matches, accept, signpost or decline.
    Triage,
    /// Allocate a case, or one person in it, to a worker; end allocations; close cases.
    Allocate,
    /// Open a case one is not allocated to, in an emergency, giving a reason (audited, shown to
    /// the service manager).
    BreakGlass,
    /// Coordinate MARAC: meetings, agendas, attendance, actions, every referral sent, and the
    /// MARAC figures.
    RunMarac,
    /// Load new versions of instruments (risk checklists, outcome measures, evaluation forms).
    ManageInstruments,
    /// Load a new version of the service's programme catalogue (rename, add or retire a
    /// programme).
    ManageProgrammes,
}

impl Action {
    pub const ALL: [Action; 15] = [
        Action::ViewCaseRecord,
        Action::ViewRecordHistory,
        Action::ViewUsers,
        Action::ManageUsers,
        Action::ManageApiTokens,
        Action::ViewServiceAudit,
        Action::RecordWork,
        Action::WithdrawEntry,
        Action::SubmitReferral,
        Action::Triage,
        Action::Allocate,
        Action::BreakGlass,
        Action::RunMarac,
        Action::ManageInstruments,
        Action::ManageProgrammes,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Action::ViewCaseRecord => "Open case and person records",
            Action::ViewRecordHistory => "See who viewed or changed a record",
            Action::ViewUsers => "List staff accounts",
            Action::ManageUsers => "Add, disable and reset staff accounts",
            Action::ManageApiTokens => "Create and revoke API tokens",
            Action::ViewServiceAudit => "Read the whole audit trail",
            Action::RecordWork => "Record notes, contacts and contact details",
            Action::WithdrawEntry => "Withdraw a timeline entry",
            Action::SubmitReferral => "Send in a referral",
            Action::Triage => "Triage referrals",
            Action::Allocate => "Allocate and close cases",
            Action::BreakGlass => "Open another case in an emergency (break-glass)",
            Action::RunMarac => "Coordinate MARAC meetings and actions",
            Action::ManageInstruments => "Load checklists and measures",
            Action::ManageProgrammes => "Load the programme catalogue",
        }
    }

    /// Record actions concern one record; refusing them must not reveal that it exists.
    pub fn is_record_action(self) -> bool {
        matches!(
            self,
            Action::ViewCaseRecord
                | Action::ViewRecordHistory
                | Action::RecordWork
                | Action::WithdrawEntry
        )
    }

    fn column(self) -> usize {
        Action::ALL
            .iter()
            .position(|a| *a == self)
            .expect("every action is in ALL")
    }
}

use Scope::{Allocated as Own, None as No, Organisation as Org, Team};

/// Who may do what. Columns are in the order of [`Action::ALL`]:
/// open records · record history · list staff · manage staff · API tokens · whole audit trail ·
/// record work · withdraw entries · send referrals · triage · allocate and close · break-glass ·
/// coordinate MARAC · load instruments · load the programme catalogue.
///
/// Administrators run the system but see no case records: need to know, not rank. Team and
/// service managers act as MARAC coordinator; Engage practitioners never do, because MARAC
/// papers carry the victim's safe contact details.
#[rustfmt::skip]
pub const GRANTS: [(Role, [Scope; 15]); 11] = [
    (Role::Administrator,         [No,   No,   Org, Org, Org, Org, No,   No,   No,  No,  No, No,  No,  Org, Org]),
    (Role::ServiceManager,        [Org,  Org,  Org, No,  No,  Org, Org,  Org,  Org, Org, Org, No,  Org, Org, Org]),
    (Role::TeamManager,           [Team, Team, Org, No,  No,  No,  Team, Team, Org, Org, Team, Org, Org, No,  No ]),
    (Role::CaseWorker,            [Own,  No,   No,  No,  No,  No,  Own,  No,   Org, No,  No, Org, No,  No,  No ]),
    (Role::ChildrensWorker,       [Own,  No,   No,  No,  No,  No,  Own,  No,   Org, No,  No, Org, No,  No,  No ]),
    (Role::EngagePractitioner,    [Own,  No,   No,  No,  No,  No,  Own,  No,   Org, No,  No, Org, No,  No,  No ]),
    (Role::GroupFacilitator,      [Own,  No,   No,  No,  No,  No,  Own,  No,   Org, No,  No, Org, No,  No,  No ]),
    (Role::PeerMentorCoordinator, [Own,  No,   No,  No,  No,  No,  Own,  No,   Org, No,  No, Org, No,  No,  No ]),
    (Role::TrainingCoordinator,   [No,   No,   No,  No,  No,  No,  No,   No,   No,  No,  No, No,  No,  No,  No ]),
    (Role::Evaluator,             [No,   No,   No,  No,  No,  No,  No,   No,   No,  No,  No, No,  No,  No,  No ]),
    (Role::ExternalReferrer,      [No,   No,   No,  No,  No,  No,  No,   No,   Org, No,  No, No,  No,  No,  No ]),
];

/// The scope a role is granted for an action.
pub fn grant(role: Role, action: Action) -> Scope {
    GRANTS
        .iter()
        .find(|(r, _)| *r == role)
        .map(|(_, row)| row[action.column()])
        .unwrap_or(Scope::None)
}

/// The signed-in user, as the policy sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub user_id: UserId,
    pub org_id: OrgId,
    pub team_id: Option<TeamId>,
    pub role: Role,
    /// Cases opened by break-glass that have not yet expired, loaded with the session.
    pub break_glass: Vec<Uuid>,
}

impl Actor {
    /// A member of staff acting on their own account, before any break-glass is loaded.
    pub fn staff(user_id: UserId, org_id: OrgId, team_id: Option<TeamId>, role: Role) -> Actor {
        Actor {
            user_id,
            org_id,
            team_id,
            role,
            break_glass: Vec::new(),
        }
    }
}

/// What the policy needs to know about the thing being acted on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resource {
    /// A function of the service as a whole (user management, tokens, the audit trail).
    Service { org_id: OrgId },
    /// One case, or a person reached through the cases they are in.
    Record {
        org_id: OrgId,
        /// Teams whose cases the record belongs to.
        team_ids: Vec<TeamId>,
        /// Whether the record is allocated to the acting user.
        allocated_to_actor: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// The user may not do this; they may know the thing exists (403).
    Forbidden,
    /// The user may not know this exists: answer exactly as if it did not (404).
    Hidden,
}

/// The single access decision.
pub fn can(actor: &Actor, action: Action, resource: &Resource) -> Decision {
    let org_id = match resource {
        Resource::Service { org_id } | Resource::Record { org_id, .. } => *org_id,
    };
    // Nothing crosses organisations, and nothing of another organisation is acknowledged.
    if org_id != actor.org_id {
        return Decision::Hidden;
    }
    let scope = grant(actor.role, action);
    let allowed = match (scope, resource) {
        (Scope::None, _) => false,
        (_, Resource::Service { .. }) => scope == Scope::Organisation,
        (Scope::Organisation, Resource::Record { .. }) => true,
        (
            Scope::Team,
            Resource::Record {
                team_ids,
                allocated_to_actor,
                ..
            },
        ) => *allocated_to_actor || actor.team_id.is_some_and(|t| team_ids.contains(&t)),
        (
            Scope::Allocated,
            Resource::Record {
                allocated_to_actor, ..
            },
        ) => *allocated_to_actor,
    };
    match (allowed, action.is_record_action()) {
        (true, _) => Decision::Allow,
        (false, true) => Decision::Hidden,
        (false, false) => Decision::Forbidden,
    }
}

/// A person's role in one case. The same person can hold different roles in different cases,
/// and in adolescent-to-parent violence a young person is both a child and the person causing harm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseRole {
    VictimSurvivor,
    PersonCausingHarm,
    ChildOrYoungPerson,
    OtherAdult,
}

impl CaseRole {
    pub const ALL: [CaseRole; 4] = [
        CaseRole::VictimSurvivor,
        CaseRole::PersonCausingHarm,
        CaseRole::ChildOrYoungPerson,
        CaseRole::OtherAdult,
    ];

    pub fn code(self) -> &'static str {
        match self {
            CaseRole::VictimSurvivor => "victim_survivor",
            CaseRole::PersonCausingHarm => "person_causing_harm",
            CaseRole::ChildOrYoungPerson => "child_or_young_person",
            CaseRole::OtherAdult => "other_adult",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            CaseRole::VictimSurvivor => "Victim/survivor",
            CaseRole::PersonCausingHarm => "Person causing harm",
            CaseRole::ChildOrYoungPerson => "Child or young person",
            CaseRole::OtherAdult => "Other adult",
        }
    }

    pub fn parse(s: &str) -> Option<CaseRole> {
        CaseRole::ALL.into_iter().find(|r| r.code() == s.trim())
    }

    /// Victims/survivors and children are the people the firewall protects.
    pub fn is_protected(self) -> bool {
        matches!(
            self,
            CaseRole::VictimSurvivor | CaseRole::ChildOrYoungPerson
        )
    }
}

/// How sensitive a field is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FieldClass {
    /// A person's name and their role in the case: all that someone behind the firewall learns
    /// about a victim or child.
    Identity,
    /// Everything else that is not sensitive or location data: dates of birth, risk levels,
    /// deadlines, exit reasons, contacts, ordinary notes, agencies, MARAC status, due items.
    Ordinary,
    /// Case notes and disclosures.
    Sensitive,
    /// Addresses, contact details, safe contact arrangements and safety plans.
    Location,
}

/// How the user reaches a case, as far as the firewall is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseLink {
    /// The actor's role.
    pub role: Role,
    /// The scope by which the actor reaches the case: managers reach it through their team or
    /// the service; workers only through their allocations.
    pub reach: Scope,
    /// The roles, in this case, of each person the actor is allocated to work with.
    /// `None` in the list means an allocation to the whole family.
    pub allocated_to: Vec<Option<Vec<CaseRole>>>,
}

/// Is this person behind the firewall for this user? True when the person is a victim/survivor
/// or a child in the case and the user's only link to the family is work with the person
/// causing harm. Engage practitioners are always on that side, whatever their allocation says,
/// because an allocation can be made by mistake.
pub fn behind_firewall(link: &CaseLink, subject_roles: &[CaseRole]) -> bool {
    if !subject_roles.iter().any(|r| r.is_protected()) {
        return false;
    }
    if link.role == Role::EngagePractitioner {
        return true;
    }
    if matches!(link.reach, Scope::Team | Scope::Organisation) {
        return false;
    }
    let only_through_harm = link.allocated_to.iter().all(|a| match a {
        None => false,
        Some(roles) => {
            roles.contains(&CaseRole::PersonCausingHarm) && !roles.iter().any(|r| r.is_protected())
        }
    });
    // No allocation at all is no link: nothing beyond the name.
    link.allocated_to.is_empty() || only_through_harm
}

/// The firewall: may this user see a field of this class about a person with these roles?
///
/// Of a victim or child behind the firewall ([`behind_firewall`]) a user learns their name and
/// role in the case and nothing else: not their risk level (which says she talked), not a
/// deadline that gives the risk band away, not an exit reason such as "moved away", not when
/// she was last contacted, no note of any class, no agency, no MARAC status, no due item. The
/// same rule refuses every write about them: nobody records what they could not read back.
pub fn may_see_field(link: &CaseLink, subject_roles: &[CaseRole], class: FieldClass) -> bool {
    class == FieldClass::Identity || !behind_firewall(link, subject_roles)
}

/// The grants as a Markdown table, for people who are not programmers.
pub fn policy_markdown() -> String {
    let mut out = String::from("| Role |");
    for a in Action::ALL {
        out.push_str(&format!(" {} |", a.label()));
    }
    out.push_str("\n|---|");
    for _ in Action::ALL {
        out.push_str("---|");
    }
    out.push('\n');
    for (role, row) in GRANTS {
        out.push_str(&format!("| {} |", role.label()));
        for s in row {
            out.push_str(&format!(" {} |", s.label()));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role, org: OrgId, team: Option<TeamId>) -> Actor {
        Actor {
            user_id: UserId::from_uuid(Uuid::from_u128(1)),
            org_id: org,
            team_id: team,
            role,
            break_glass: vec![],
        }
    }

    const ORG: OrgId = OrgId::from_uuid(Uuid::from_u128(100));
    const OTHER_ORG: OrgId = OrgId::from_uuid(Uuid::from_u128(200));
    const TEAM: TeamId = TeamId::from_uuid(Uuid::from_u128(10));
    const OTHER_TEAM: TeamId = TeamId::from_uuid(Uuid::from_u128(20));

    fn record(org: OrgId, team: TeamId, allocated: bool) -> Resource {
        Resource::Record {
            org_id: org,
            team_ids: vec![team],
            allocated_to_actor: allocated,
        }
    }

    #[test]
    fn every_role_has_exactly_one_row() {
        for r in Role::ALL {
            assert_eq!(GRANTS.iter().filter(|(g, _)| *g == r).count(), 1, "{r:?}");
        }
    }

    #[test]
    fn another_organisation_is_hidden_from_every_role_for_every_action() {
        for r in Role::ALL {
            let a = actor(r, ORG, Some(TEAM));
            for act in Action::ALL {
                assert_eq!(
                    can(&a, act, &record(OTHER_ORG, TEAM, true)),
                    Decision::Hidden
                );
                assert_eq!(
                    can(&a, act, &Resource::Service { org_id: OTHER_ORG }),
                    Decision::Hidden
                );
            }
        }
    }

    #[test]
    fn workers_see_only_allocated_records() {
        for r in [
            Role::CaseWorker,
            Role::ChildrensWorker,
            Role::EngagePractitioner,
        ] {
            let a = actor(r, ORG, Some(TEAM));
            assert_eq!(
                can(&a, Action::ViewCaseRecord, &record(ORG, TEAM, true)),
                Decision::Allow
            );
            // Same team is not enough for a worker.
            assert_eq!(
                can(&a, Action::ViewCaseRecord, &record(ORG, TEAM, false)),
                Decision::Hidden
            );
            assert_eq!(
                can(&a, Action::ViewRecordHistory, &record(ORG, TEAM, true)),
                Decision::Hidden
            );
        }
    }

    #[test]
    fn team_managers_see_their_team_and_not_another() {
        let a = actor(Role::TeamManager, ORG, Some(TEAM));
        assert_eq!(
            can(&a, Action::ViewCaseRecord, &record(ORG, TEAM, false)),
            Decision::Allow
        );
        assert_eq!(
            can(&a, Action::ViewRecordHistory, &record(ORG, TEAM, false)),
            Decision::Allow
        );
        assert_eq!(
            can(&a, Action::ViewCaseRecord, &record(ORG, OTHER_TEAM, false)),
            Decision::Hidden
        );
        let teamless = actor(Role::TeamManager, ORG, None);
        assert_eq!(
            can(&teamless, Action::ViewCaseRecord, &record(ORG, TEAM, false)),
            Decision::Hidden
        );
    }

    #[test]
    fn administrators_manage_accounts_but_never_open_case_records() {
        let a = actor(Role::Administrator, ORG, None);
        assert_eq!(
            can(&a, Action::ManageUsers, &Resource::Service { org_id: ORG }),
            Decision::Allow
        );
        assert_eq!(
            can(&a, Action::ViewCaseRecord, &record(ORG, TEAM, true)),
            Decision::Hidden
        );
    }

    #[test]
    fn refused_functions_are_forbidden_not_hidden() {
        let a = actor(Role::CaseWorker, ORG, Some(TEAM));
        assert_eq!(
            can(&a, Action::ManageUsers, &Resource::Service { org_id: ORG }),
            Decision::Forbidden
        );
    }

    #[test]
    fn no_role_manages_users_except_administrators() {
        for r in Role::ALL {
            let expected = r == Role::Administrator;
            assert_eq!(
                grant(r, Action::ManageUsers) != Scope::None,
                expected,
                "{r:?}"
            );
        }
    }

    fn link(role: Role, reach: Scope, allocated_to: Vec<Option<Vec<CaseRole>>>) -> CaseLink {
        CaseLink {
            role,
            reach,
            allocated_to,
        }
    }

    #[test]
    fn firewall_hides_victim_and_child_location_from_work_with_the_person_causing_harm() {
        let via_harm = link(
            Role::CaseWorker,
            Scope::Allocated,
            vec![Some(vec![CaseRole::PersonCausingHarm])],
        );
        for subject in [CaseRole::VictimSurvivor, CaseRole::ChildOrYoungPerson] {
            for class in [FieldClass::Sensitive, FieldClass::Location] {
                assert!(
                    !may_see_field(&via_harm, &[subject], class),
                    "{subject:?} {class:?}"
                );
            }
            // Only the name and role in the case: not even ordinary facts (risk, deadlines,
            // exit reasons, contacts) about her or the children.
            assert!(!may_see_field(&via_harm, &[subject], FieldClass::Ordinary));
            assert!(may_see_field(&via_harm, &[subject], FieldClass::Identity));
        }
        // Their own client's fields remain visible to them.
        assert!(may_see_field(
            &via_harm,
            &[CaseRole::PersonCausingHarm],
            FieldClass::Location
        ));
    }

    #[test]
    fn engage_practitioners_never_see_protected_fields_whatever_the_allocation() {
        let whole_family = link(Role::EngagePractitioner, Scope::Allocated, vec![None]);
        assert!(!may_see_field(
            &whole_family,
            &[CaseRole::VictimSurvivor],
            FieldClass::Location
        ));
        let to_victim = link(
            Role::EngagePractitioner,
            Scope::Allocated,
            vec![Some(vec![CaseRole::VictimSurvivor])],
        );
        assert!(!may_see_field(
            &to_victim,
            &[CaseRole::ChildOrYoungPerson],
            FieldClass::Sensitive
        ));
    }

    #[test]
    fn a_young_person_who_is_also_a_child_stays_protected() {
        let via_harm = link(
            Role::CaseWorker,
            Scope::Allocated,
            vec![Some(vec![CaseRole::PersonCausingHarm])],
        );
        let apva_subject = [CaseRole::ChildOrYoungPerson, CaseRole::PersonCausingHarm];
        assert!(!may_see_field(
            &via_harm,
            &apva_subject,
            FieldClass::Location
        ));
        // But a worker allocated to that young person sees the young person's own record.
        let to_young_person = link(
            Role::ChildrensWorker,
            Scope::Allocated,
            vec![Some(apva_subject.to_vec())],
        );
        assert!(may_see_field(
            &to_young_person,
            &apva_subject,
            FieldClass::Location
        ));
    }

    #[test]
    fn idvas_and_managers_see_protected_fields() {
        let idva = link(
            Role::CaseWorker,
            Scope::Allocated,
            vec![Some(vec![CaseRole::VictimSurvivor])],
        );
        assert!(may_see_field(
            &idva,
            &[CaseRole::VictimSurvivor],
            FieldClass::Location
        ));
        let manager = link(Role::TeamManager, Scope::Team, vec![]);
        assert!(may_see_field(
            &manager,
            &[CaseRole::ChildOrYoungPerson],
            FieldClass::Sensitive
        ));
    }

    #[test]
    fn no_link_at_all_sees_nothing_protected() {
        let none = link(Role::CaseWorker, Scope::Allocated, vec![]);
        assert!(!may_see_field(
            &none,
            &[CaseRole::VictimSurvivor],
            FieldClass::Location
        ));
    }

    #[test]
    fn behind_the_firewall_only_name_and_role_show_and_every_class_agrees() {
        let allocations: Vec<Vec<Option<Vec<CaseRole>>>> = vec![
            vec![],
            vec![None],
            vec![Some(vec![CaseRole::PersonCausingHarm])],
            vec![Some(vec![CaseRole::VictimSurvivor])],
            vec![Some(vec![
                CaseRole::ChildOrYoungPerson,
                CaseRole::PersonCausingHarm,
            ])],
            vec![
                Some(vec![CaseRole::PersonCausingHarm]),
                Some(vec![CaseRole::OtherAdult]),
            ],
        ];
        let subjects: Vec<Vec<CaseRole>> = vec![
            vec![CaseRole::VictimSurvivor],
            vec![CaseRole::ChildOrYoungPerson],
            vec![CaseRole::ChildOrYoungPerson, CaseRole::PersonCausingHarm],
            vec![CaseRole::PersonCausingHarm],
            vec![CaseRole::OtherAdult],
        ];
        for role in Role::ALL {
            for reach in [Scope::Allocated, Scope::Team, Scope::Organisation] {
                for a in &allocations {
                    let l = link(role, reach, a.clone());
                    for subject in &subjects {
                        assert!(may_see_field(&l, subject, FieldClass::Identity));
                        let hidden = behind_firewall(&l, subject);
                        for class in [
                            FieldClass::Ordinary,
                            FieldClass::Sensitive,
                            FieldClass::Location,
                        ] {
                            assert_eq!(
                                may_see_field(&l, subject, class),
                                !hidden,
                                "{role:?} {reach:?} {a:?} {subject:?} {class:?}"
                            );
                        }
                        if !subject.iter().any(|r| r.is_protected()) {
                            assert!(!hidden, "only victims and children are protected");
                        }
                        if role == Role::EngagePractitioner
                            && subject.iter().any(|r| r.is_protected())
                        {
                            assert!(
                                hidden,
                                "Engage never sees past the firewall: {reach:?} {a:?}"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn work_with_the_person_causing_harm_learns_nothing_ordinary_about_the_victim() {
        for l in [
            link(
                Role::EngagePractitioner,
                Scope::Allocated,
                vec![Some(vec![CaseRole::PersonCausingHarm])],
            ),
            link(
                Role::CaseWorker,
                Scope::Allocated,
                vec![Some(vec![CaseRole::PersonCausingHarm])],
            ),
            link(Role::EngagePractitioner, Scope::Allocated, vec![None]),
        ] {
            assert!(behind_firewall(&l, &[CaseRole::VictimSurvivor]));
            assert!(!may_see_field(
                &l,
                &[CaseRole::VictimSurvivor],
                FieldClass::Ordinary
            ));
            // The whole family includes her, so family-wide facts are withheld too.
            assert!(!may_see_field(
                &l,
                &[CaseRole::VictimSurvivor, CaseRole::PersonCausingHarm],
                FieldClass::Ordinary
            ));
            // Their own client stays fully visible.
            assert!(may_see_field(
                &l,
                &[CaseRole::PersonCausingHarm],
                FieldClass::Sensitive
            ));
        }
    }

    #[test]
    fn published_policy_matches_the_table() {
        let doc = include_str!("../../../docs/access-policy.md");
        assert!(
            doc.contains(&policy_markdown()),
            "docs/access-policy.md is out of date: run `hearth policy` and paste its table"
        );
    }
}
