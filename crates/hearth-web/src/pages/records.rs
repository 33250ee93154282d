//! Case and person records, and who has viewed or changed them.

use crate::error::PageResult;
use crate::form::Again;
use crate::path::PathId;
use crate::session::Signed;
use crate::views::{render, Layout};
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use hearth_app::auth::SignedIn;
use hearth_app::casework::{self, ContactView, EntryView, TimelineFilter};
use hearth_app::records::HistoryLine;
use hearth_app::records::{self, Record};
use hearth_app::records::{CaseRecord, PersonRecord};
use hearth_domain::contact::Channel;
use hearth_domain::ids::parse_id;
use hearth_domain::ids::{CaseId, PersonId};
use hearth_domain::paging::{Page, Paged};
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
    entries: Paged<EntryView>,
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
    plan: hearth_app::programmes::FamilyPlan,
}

#[derive(Deserialize, Default)]
pub struct TimelineQuery {
    #[serde(default)]
    pub person: String,
    #[serde(default)]
    pub kind: String,
    /// Which page of the timeline; read leniently, as the first if it is not a number.
    #[serde(default)]
    pub page: String,
    /// What was just done, for the success banner.
    #[serde(default)]
    pub done: String,
}

impl CasePage {
    /// The timeline's address up to the page number, its filters kept.
    fn timeline_base(&self) -> String {
        let q = serde_urlencoded::to_string([
            ("person", &self.filter_person),
            ("kind", &self.filter_kind),
        ])
        .unwrap_or_default();
        format!("/cases/{}?{q}&page=", self.case.summary.id)
    }

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
        self.case.name_of(*id)
    }
}

pub async fn case(
    State(state): State<AppState>,
    Signed(who): Signed,
    PathId(id): PathId<CaseId>,
    Query(q): Query<TimelineQuery>,
) -> PageResult {
    case_page(&state, &who, id, q, Again::fresh()).await
}

/// The case page, fresh or again with the errors of one of the forms on it.
pub async fn case_page(
    state: &AppState,
    who: &SignedIn,
    id: CaseId,
    q: TimelineQuery,
    again: Again,
) -> PageResult {
    let filter = TimelineFilter {
        person_id: parse_id(&q.person),
        kind: EntryKind::parse(&q.kind),
    };
    let entries = Page::parse(Some(&q.page), casework::ENTRIES_PER_PAGE);
    let page =
        hearth_app::case_page::view(&state.app, &who.actor(), id, (&filter, entries)).await?;
    let layout = Layout::signed(&format!("Case {}", page.case.summary.reference), who)
        .with_errors(&again.errors)
        .with_done(&q.done);
    Ok(render(
        again.status(),
        &CasePage::new(layout, state, who, page, filter, again.errors),
    ))
}

impl CasePage {
    fn new(
        layout: Layout,
        state: &AppState,
        who: &SignedIn,
        page: hearth_app::case_page::CasePage,
        filter: TimelineFilter,
        errors: hearth_domain::validation::Invalid,
    ) -> Self {
        // The user's own team first: the worker they want is most often one of theirs.
        let mut own_first: Vec<_> = page.workers.iter().collect();
        own_first.sort_by_key(|u| u.team_id != who.user.team_id);
        CasePage {
            layout,
            can_history: page.may.history,
            can_record: page.may.record,
            can_allocate: !page.workers.is_empty(),
            workers: own_first
                .into_iter()
                .map(|u| (u.id, format!("{} ({})", u.display_name, u.role.label())))
                .collect(),
            case: page.case,
            entries: page.entries,
            kinds: EntryKind::ALL,
            filter_person: filter.person_id.map(|p| p.to_string()).unwrap_or_default(),
            filter_kind: filter
                .kind
                .map(|k| k.code().to_string())
                .unwrap_or_default(),
            exit_reasons: state.app.exit_reasons.clone(),
            errors,
            first_contact: page.first_contact,
            roles: hearth_domain::access::CaseRole::ALL,
            relationship_kinds: hearth_domain::family::RELATIONSHIPS,
            agencies: page.agencies,
            agency_kinds: hearth_domain::referral::AGENCIES,
            consent: hearth_domain::family::CONSENT,
            risk: page.risk,
            due: crate::views::DueView::new(page.due, Default::default(), false, None),
            glance: page.glance,
            tasks: page.tasks,
            plan: page.plan,
        }
    }
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
) -> PageResult {
    let page = hearth_app::person_page::view(&state.app, &who.actor(), id).await?;
    Ok(render(
        StatusCode::OK,
        &PersonPage {
            layout: Layout::signed("Person", &who),
            can_history: page.may.history,
            can_record: page.may.record && !matches!(page.contact, ContactView::Withheld),
            can_edit: page.may.record && page.details.shown,
            person: page.person,
            contact: page.contact,
            channels: Channel::ALL,
            details: page.details,
        },
    ))
}

#[derive(Template)]
#[template(path = "history.html")]
struct HistoryPage {
    layout: Layout,
    what: &'static str,
    back: String,
    lines: Vec<HistoryLine>,
}

async fn history(state: AppState, who: SignedIn, record: Record) -> PageResult {
    let (what, back) = match record {
        Record::Case(id) => ("Case", format!("/cases/{id}")),
        Record::Person(id) => ("Person", format!("/people/{id}")),
    };
    let lines = records::history(&state.app, &who.actor(), record).await?;
    Ok(render(
        StatusCode::OK,
        &HistoryPage {
            layout: Layout::signed("Record history", &who),
            what,
            back,
            lines,
        },
    ))
}

pub async fn case_history(
    State(state): State<AppState>,
    Signed(who): Signed,
    PathId(id): PathId<CaseId>,
) -> PageResult {
    history(state, who, Record::Case(id)).await
}

pub async fn person_history(
    State(state): State<AppState>,
    Signed(who): Signed,
    PathId(id): PathId<PersonId>,
) -> PageResult {
    history(state, who, Record::Person(id)).await
}
