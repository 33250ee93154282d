//! What the API sends and receives. Instants are RFC 3339 in UTC.

use hearth_app::orgs::Organisation;
use hearth_app::records::HistoryLine;
use hearth_app::records::{CaseRecord, CaseSummary, PersonRecord};
use hearth_app::users::Account;
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use utoipa::ToSchema;
use uuid::Uuid;

pub fn rfc3339(t: hearth_domain::Timestamp) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

/// The id of what was just made.
#[derive(Serialize, ToSchema)]
pub struct CreatedOut {
    pub id: Uuid,
}

#[derive(Serialize, ToSchema)]
pub struct OrganisationOut {
    pub id: Uuid,
    pub name: String,
    pub is_demo: bool,
}

impl From<&Organisation> for OrganisationOut {
    fn from(o: &Organisation) -> Self {
        Self {
            id: o.id.uuid(),
            name: o.name.clone(),
            is_demo: o.is_demo,
        }
    }
}

/// The caller's own account.
#[derive(Serialize, ToSchema)]
pub struct Me {
    pub user: UserOut,
    pub organisation: OrganisationOut,
}

/// A staff account.
#[derive(Serialize, ToSchema)]
pub struct UserOut {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    /// One of the role codes, e.g. `case_worker`, `team_manager`.
    pub role: String,
    pub role_label: String,
    pub team_id: Option<Uuid>,
    pub second_factor_enrolled: bool,
    pub disabled: bool,
    pub created_at: String,
}

impl From<&Account> for UserOut {
    fn from(u: &Account) -> Self {
        Self {
            id: u.id.uuid(),
            email: u.email.clone(),
            display_name: u.display_name.clone(),
            role: u.role.code().into(),
            role_label: u.role.label().into(),
            team_id: u.team_id.map(|t| t.uuid()),
            second_factor_enrolled: u.totp_enrolled_at.is_some(),
            disabled: u.is_disabled(),
            created_at: rfc3339(u.created_at),
        }
    }
}

/// A new staff account. A temporary password is generated and returned once.
#[derive(Deserialize, ToSchema, Default)]
pub struct NewUserIn {
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub display_name: String,
    /// A role code, e.g. `case_worker`.
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub team_id: Option<Uuid>,
}

#[derive(Serialize, ToSchema)]
pub struct AddedUser {
    pub user: UserOut,
    /// Give this to the person by a safe route; they must change it at first sign-in.
    pub temporary_password: String,
}

#[derive(Serialize, ToSchema)]
pub struct TemporaryPassword {
    pub temporary_password: String,
}

/// One audit entry: identifiers and action names only.
#[derive(Serialize, ToSchema)]
pub struct AuditEntryOut {
    pub seq: i64,
    pub at: String,
    pub actor_id: Option<Uuid>,
    pub actor_name: Option<String>,
    pub action: String,
    pub entity_type: String,
    pub entity_id: Option<Uuid>,
    pub detail: String,
}

impl From<&HistoryLine> for AuditEntryOut {
    fn from(l: &HistoryLine) -> Self {
        Self {
            seq: l.entry.seq,
            at: rfc3339(hearth_domain::clock::from_unix(l.entry.at)),
            actor_id: l.entry.actor_id,
            actor_name: l.actor_name.clone(),
            action: l.entry.action.clone(),
            entity_type: l.entry.entity_type.clone(),
            entity_id: l.entry.entity_id,
            detail: l.entry.detail.clone(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct CaseSummaryOut {
    pub id: Uuid,
    pub reference: String,
    pub team_id: Uuid,
    pub team_name: String,
    pub status: String,
    pub opened_at: String,
    pub family_label: String,
    /// Against the first-contact target: `made`, `made_late`, `due` or `overdue`; absent for
    /// cases that did not come through a referral.
    pub first_contact: Option<String>,
    /// When it is or was due (for `due` and `overdue`) or made (for `made` and `made_late`).
    pub first_contact_at: Option<String>,
}

impl CaseSummaryOut {
    pub fn with_first_contact(mut self, fc: Option<&hearth_domain::targets::FirstContact>) -> Self {
        use hearth_domain::targets::FirstContact;
        let (s, at) = match fc {
            None => return self,
            Some(FirstContact::Made { at, on_time: true }) => ("made", at),
            Some(FirstContact::Made { at, on_time: false }) => ("made_late", at),
            Some(FirstContact::Due { by }) => ("due", by),
            Some(FirstContact::Overdue { since }) => ("overdue", since),
        };
        self.first_contact = Some(s.into());
        self.first_contact_at = Some(rfc3339(*at));
        self
    }
}

impl From<&CaseSummary> for CaseSummaryOut {
    fn from(c: &CaseSummary) -> Self {
        Self {
            id: c.id,
            reference: c.reference.clone(),
            team_id: c.team_id.uuid(),
            team_name: c.team_name.clone(),
            status: c.status.clone(),
            opened_at: rfc3339(c.opened_at),
            family_label: c.family_label.clone(),
            first_contact: None,
            first_contact_at: None,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct MemberOut {
    pub person_id: Uuid,
    pub given_name: String,
    pub family_name: String,
    /// ISO 8601 date.
    pub date_of_birth: Option<String>,
    /// `victim_survivor`, `person_causing_harm`, `child_or_young_person` or `other_adult`.
    pub role: String,
    /// The exit reason code, if this person's involvement has closed.
    pub involvement_closed: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct AllocationOut {
    pub worker_id: Uuid,
    pub worker_name: String,
    /// The person the worker works with; absent for the whole family.
    pub person_id: Option<Uuid>,
    pub allocated_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct CaseOut {
    pub case: CaseSummaryOut,
    pub members: Vec<MemberOut>,
    pub allocations: Vec<AllocationOut>,
    pub relationships: Vec<RelationshipOut>,
}

/// "from_person is <kind> of to_person"; `lives_with` builds the household.
#[derive(Serialize, ToSchema)]
pub struct RelationshipOut {
    pub from_person: Uuid,
    pub kind: String,
    pub to_person: Uuid,
}

impl From<&CaseRecord> for CaseOut {
    fn from(c: &CaseRecord) -> Self {
        Self {
            case: (&c.summary).into(),
            members: c
                .members
                .iter()
                .map(|m| MemberOut {
                    person_id: m.person_id,
                    given_name: m.given_name.clone(),
                    family_name: m.family_name.clone(),
                    date_of_birth: m.date_of_birth.clone(),
                    role: m.role.code().into(),
                    involvement_closed: m.closed.as_ref().map(|c| c.1.clone()),
                })
                .collect(),
            allocations: c
                .allocations
                .iter()
                .map(|a| AllocationOut {
                    worker_id: a.worker_id.uuid(),
                    worker_name: a.worker_name.clone(),
                    person_id: a.person_id,
                    allocated_at: rfc3339(a.allocated_at),
                })
                .collect(),
            relationships: c
                .relationships
                .iter()
                .map(|r| RelationshipOut {
                    from_person: r.from_person,
                    kind: r.kind.clone(),
                    to_person: r.to_person,
                })
                .collect(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct PersonCaseOut {
    pub case: CaseSummaryOut,
    pub role: String,
}

#[derive(Serialize, ToSchema)]
pub struct PersonOut {
    pub id: Uuid,
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: Option<String>,
    pub cases: Vec<PersonCaseOut>,
}

impl From<&PersonRecord> for PersonOut {
    fn from(p: &PersonRecord) -> Self {
        Self {
            id: p.id,
            given_name: p.given_name.clone(),
            family_name: p.family_name.clone(),
            date_of_birth: p.date_of_birth.clone(),
            cases: p
                .cases
                .iter()
                .map(|(c, r)| PersonCaseOut {
                    case: c.into(),
                    role: r.code().into(),
                })
                .collect(),
        }
    }
}

/// Which page of a long list, from 1. The `X-Total-Count` header says how many there are in
/// all, so nothing is cut off unseen.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    #[param(value_type = Option<u32>, minimum = 1, maximum = 1_000_000)]
    pub page: Option<PageNumber>,
}

/// A page number as the API takes it: 1 to a million, and anything else refused with a 400 that
/// names `page`, rather than quietly read as the first page or a page past the end of any list.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(try_from = "u64")]
pub struct PageNumber(u32);

impl TryFrom<u64> for PageNumber {
    type Error = String;
    fn try_from(n: u64) -> Result<Self, Self::Error> {
        match u32::try_from(n) {
            Ok(n @ 1..=1_000_000) => Ok(PageNumber(n)),
            _ => Err(format!(
                "{n} is not a page: pages are numbered from 1 to 1000000"
            )),
        }
    }
}

impl PageQuery {
    pub fn page(&self, size: usize) -> hearth_domain::paging::Page {
        hearth_domain::paging::Page::at(self.page.map(|p| p.0 as usize), size)
    }
}

/// The header that says how many a paged list holds in all.
pub fn total_count(total: usize) -> [(&'static str, String); 1] {
    [("x-total-count", total.to_string())]
}
