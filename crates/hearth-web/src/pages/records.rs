//! Case and person records, and who has viewed or changed them.

use crate::error::page_error;
use crate::path::PathId;
use crate::session::Signed;
use crate::views::{render, Layout};
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use hearth_app::casework::{self, ContactView, EntryView, TimelineFilter};
use hearth_app::records::HistoryLine;
use hearth_app::records::{self, Record};
use hearth_app::records::{CaseRecord, PersonRecord};
use hearth_domain::access::{grant, Action, Scope};
use hearth_domain::contact::Channel;
use hearth_domain::ids::parse_id;
use hearth_domain::ids::{CaseId, PersonId};
use hearth_domain::timeline::EntryKind;
use serde::Deserialize;
use uuid::Uuid;

#[derive(Template)]
#[template(path = "case.html")]
struct CasePage {
    layout: Layout,
    case: CaseRecord,
    can_history: bool,
    can_record: bool,
    entries: Vec<EntryView>,
    kinds: [EntryKind; 3],
    filter_person: String,
    filter_kind: String,
    can_allocate: bool,
    workers: Vec<(Uuid, String)>,
    exit_reasons: Vec<(String, String)>,
    errors: hearth_domain::validation::Invalid,
    first_contact: Option<hearth_domain::targets::FirstContact>,
    roles: [hearth_domain::access::CaseRole; 4],
    relationship_kinds: &'static [(&'static str, &'static str)],
    agencies: Vec<casework::AgencyView>,
    agency_kinds: &'static [(&'static str, &'static str)],
    consent: &'static [(&'static str, &'static str)],
    risk: Vec<hearth_app::risk::PersonRiskLine>,
    due: crate::views::DueView,
    glance: Vec<hearth_app::case_page::PersonGlance>,
    tasks: Vec<hearth_domain::first_weeks::Task>,
}

#[derive(Deserialize, Default)]
pub struct TimelineQuery {
    #[serde(default)]
    pub person: String,
    #[serde(default)]
    pub kind: String,
    /// What was just done, for the success banner.
    #[serde(default)]
    pub done: String,
}

impl CasePage {
    /// This person's risk line, if the user may see their risk.
    fn risk_of(&self, person_id: &Uuid) -> Option<&hearth_app::risk::PersonRiskLine> {
        self.risk.iter().find(|r| &r.person_id == person_id)
    }

    /// Households of more than one person, as lists of names.
    fn households(&self) -> Vec<String> {
        let people: Vec<Uuid> = self.case.members.iter().map(|m| m.person_id).collect();
        let mut unique = people.clone();
        unique.dedup();
        let links: Vec<(Uuid, Uuid)> = self
            .case
            .relationships
            .iter()
            .filter(|r| r.kind == "lives_with")
            .map(|r| (r.from_person, r.to_person))
            .collect();
        hearth_domain::family::households(&unique, &links)
            .into_iter()
            .map(|g| {
                g.iter()
                    .map(|p| self.member_name(p))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .collect()
    }

    fn exit_label(&self, code: &str) -> String {
        self.exit_reasons
            .iter()
            .find(|(c, _)| c == code)
            .map(|(_, l)| l.clone())
            .unwrap_or_else(|| code.to_string())
    }

    fn family_errors(&self) -> bool {
        [
            "given_name",
            "family_name",
            "date_of_birth",
            "role",
            "from_person",
            "to_person",
            "kind",
        ]
        .iter()
        .any(|f| self.errors.message_for(f).is_some())
    }

    fn member_name(&self, id: &Uuid) -> String {
        self.case
            .members
            .iter()
            .find(|m| m.person_id == *id)
            .map(|m| format!("{} {}", m.given_name, m.family_name))
            .unwrap_or_default()
    }
}

fn may_see_history(role: hearth_domain::Role) -> bool {
    grant(role, Action::ViewRecordHistory) != Scope::None
}

pub async fn case(
    State(state): State<AppState>,
    Signed(who): Signed,
    PathId(id): PathId<CaseId>,
    Query(q): Query<TimelineQuery>,
) -> Response {
    case_page(
        &state,
        &who,
        id,
        q,
        hearth_domain::validation::Invalid::default(),
        StatusCode::OK,
    )
    .await
}

/// The case page, with any errors from the allocation or closing forms.
pub async fn case_page(
    state: &AppState,
    who: &hearth_app::auth::SignedIn,
    id: CaseId,
    q: TimelineQuery,
    errors: hearth_domain::validation::Invalid,
    status: StatusCode,
) -> Response {
    let filter = TimelineFilter {
        person_id: parse_id(&q.person),
        kind: EntryKind::parse(&q.kind),
    };
    let page = match hearth_app::case_page::view(&state.app, &who.actor(), id, &filter).await {
        Ok(p) => p,
        Err(e) => return page_error(e),
    };
    let can_allocate = !page.workers.is_empty();
    // The user's own team first: the worker they want is most often one of theirs.
    let mut own_first: Vec<_> = page.workers.iter().collect();
    own_first.sort_by_key(|u| u.team_id != who.user.team_id);
    let workers = own_first
        .into_iter()
        .map(|u| (u.id, format!("{} ({})", u.display_name, u.role.label())))
        .collect();
    let case = page.case;
    let (entries, first_contact, agencies, risk, due, glance, tasks) = (
        page.entries,
        page.first_contact,
        page.agencies,
        page.risk,
        page.due,
        page.glance,
        page.tasks,
    );
    render(
        status,
        &CasePage {
            layout: Layout::signed(&format!("Case {}", case.summary.reference), who)
                .with_errors(&errors)
                .with_done(&q.done),
            can_history: may_see_history(who.user.role),
            can_record: grant(who.user.role, Action::RecordWork) != Scope::None,
            case,
            entries,
            kinds: EntryKind::ALL,
            filter_person: filter.person_id.map(|p| p.to_string()).unwrap_or_default(),
            filter_kind: filter
                .kind
                .map(|k| k.code().to_string())
                .unwrap_or_default(),
            can_allocate,
            workers,
            exit_reasons: state.app.exit_reasons.clone(),
            errors,
            first_contact,
            roles: hearth_domain::access::CaseRole::ALL,
            relationship_kinds: hearth_domain::family::RELATIONSHIPS,
            agencies,
            agency_kinds: hearth_domain::referral::AGENCIES,
            consent: hearth_domain::family::CONSENT,
            risk,
            due: crate::views::DueView::new(due, Default::default(), false, None),
            glance,
            tasks,
        },
    )
}

#[derive(Template)]
#[template(path = "person.html")]
struct PersonPage {
    layout: Layout,
    person: PersonRecord,
    can_history: bool,
    can_record: bool,
    contact: ContactView,
    channels: [Channel; 5],
    details: casework::PersonDetailsView,
    can_edit: bool,
}

pub async fn person(
    State(state): State<AppState>,
    Signed(who): Signed,
    PathId(id): PathId<PersonId>,
) -> Response {
    let page = match hearth_app::person_page::view(&state.app, &who.actor(), id).await {
        Ok(p) => p,
        Err(e) => return page_error(e),
    };
    let (person, contact, details) = (page.person, page.contact, page.details);
    render(
        StatusCode::OK,
        &PersonPage {
            layout: Layout::signed("Person", &who),
            can_history: may_see_history(who.user.role),
            can_record: grant(who.user.role, Action::RecordWork) != Scope::None
                && !matches!(contact, ContactView::Withheld),
            person,
            contact,
            channels: Channel::ALL,
            can_edit: grant(who.user.role, Action::RecordWork) != Scope::None && details.shown,
            details,
        },
    )
}

#[derive(Template)]
#[template(path = "history.html")]
struct HistoryPage {
    layout: Layout,
    what: &'static str,
    back: String,
    lines: Vec<HistoryLine>,
}

async fn history(state: AppState, who: hearth_app::auth::SignedIn, record: Record) -> Response {
    let (what, back) = match record {
        Record::Case(id) => ("Case", format!("/cases/{id}")),
        Record::Person(id) => ("Person", format!("/people/{id}")),
    };
    match records::history(&state.app, &who.actor(), record).await {
        Ok(lines) => render(
            StatusCode::OK,
            &HistoryPage {
                layout: Layout::signed("Record history", &who),
                what,
                back,
                lines,
            },
        ),
        Err(e) => page_error(e),
    }
}

pub async fn case_history(
    State(state): State<AppState>,
    Signed(who): Signed,
    PathId(id): PathId<CaseId>,
) -> Response {
    history(state, who, Record::Case(id)).await
}

pub async fn person_history(
    State(state): State<AppState>,
    Signed(who): Signed,
    PathId(id): PathId<PersonId>,
) -> Response {
    history(state, who, Record::Person(id)).await
}
