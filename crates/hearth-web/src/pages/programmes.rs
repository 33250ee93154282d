//! Programmes: proposing support from the family's plan, an enrolment's page (moving it on,
//! planning and recording sessions), Idva offers to Engage partners, waiting lists and places,
//! and the catalogue for those who manage it.

use crate::error::PageResult;
use crate::form::{to, Again, OrAgain, Saved};
use crate::path::{PathId, PathIds};
use crate::session::Signed;
use crate::views::{render, Layout};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Form;
use hearth_app::auth::SignedIn;
use hearth_app::programmes::{
    self as programmes, CataloguePage, Demand, EnrolmentPage, OfferPage, ProposalPage, SessionPage,
    WaitingList,
};
use hearth_app::secrets;
use hearth_app::users::By;
use hearth_domain::enrolment::{AttendanceForm, ChangeForm, OfferForm, ProposalForm, SessionForm};
use hearth_domain::ids::{CaseId, EnrolmentId, PersonId, SessionId};
use hearth_domain::programme::{Delivery, EnrolmentState, Linked, Programme};
use hearth_domain::validation::Invalid;
use serde::Deserialize;
use uuid::Uuid;

/// A form whose names repeat (checkboxes), as the browser sent it.
type Pairs = Vec<(String, String)>;

// ---- proposing support -------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "enrolment_new.html")]
struct ProposalView {
    layout: Layout,
    errors: Invalid,
    page: ProposalPage,
    chosen: Vec<Uuid>,
    submission_key: String,
}

impl ProposalView {
    fn is_chosen(&self, p: &Uuid) -> bool {
        self.chosen.contains(p)
    }

    fn linked(&self) -> bool {
        self.page
            .chosen
            .as_ref()
            .is_some_and(|p| p.linked != Linked::None)
    }

    fn rule_hint(&self) -> &'static str {
        match self.page.chosen.as_ref().map(|p| p.linked) {
            Some(Linked::YoungPersonAndParent) => "Choose the young person causing harm and the parent they harm: they are enrolled together.",
            Some(Linked::ParentAndChild) => "Choose the parent and at least one of their children: they take part together.",
            Some(Linked::PartnerOfferedIdva) => "Engage starts only once each partner who is a victim/survivor has been offered an Idva and her view sought.",
            _ => "",
        }
    }
}

#[derive(Deserialize, Default)]
pub struct ProposalQuery {
    #[serde(default)]
    programme: String,
    #[serde(default)]
    person: String,
}

/// The proposal form, fresh or again with what was chosen.
async fn proposal(
    state: &AppState,
    who: &SignedIn,
    case_id: CaseId,
    (programme, chosen): (&str, Vec<Uuid>),
    again: Again,
) -> PageResult {
    let page = programmes::proposal_page(&state.app, &who.actor(), case_id, programme).await?;
    Ok(render(
        again.status(),
        &ProposalView {
            layout: Layout::signed("Propose support", who).with_errors(&again.errors),
            errors: again.errors,
            page,
            chosen,
            submission_key: secrets::new_token(),
        },
    ))
}

pub async fn new_enrolment(
    State(state): State<AppState>,
    Signed(who): Signed,
    PathId(id): PathId<CaseId>,
    Query(q): Query<ProposalQuery>,
) -> PageResult {
    let chosen = PersonId::parse(&q.person)
        .map(|p| vec![p.uuid()])
        .unwrap_or_default();
    proposal(&state, &who, id, (&q.programme, chosen), Again::fresh()).await
}

/// Every value sent under a name (checkboxes send one pair each).
fn all(pairs: &Pairs, key: &str) -> Vec<String> {
    pairs
        .iter()
        .filter(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
        .collect()
}

fn one(pairs: &Pairs, key: &str) -> String {
    all(pairs, key).into_iter().next().unwrap_or_default()
}

pub async fn propose(
    State(state): State<AppState>,
    Signed(who): Signed,
    PathId(id): PathId<CaseId>,
    Form(pairs): Form<Pairs>,
) -> PageResult {
    let form = ProposalForm {
        programme: one(&pairs, "programme"),
        people: all(&pairs, "people"),
        submission_key: one(&pairs, "submission_key"),
    };
    match programmes::propose(&state.app, &who.actor(), id, &form)
        .await
        .or_again()?
    {
        Saved::Done(_) => Ok(to(&format!("/cases/{id}?done=proposed#plan"))),
        Saved::Again(again) => {
            let chosen = programmes::chosen_people(&form);
            proposal(&state, &who, id, (&form.programme, chosen), again).await
        }
    }
}

// ---- an enrolment ------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "enrolment.html")]
struct EnrolmentView {
    layout: Layout,
    errors: Invalid,
    conflict: Option<String>,
    page: EnrolmentPage,
    form: ChangeForm,
    session: SessionForm,
}

impl EnrolmentView {
    fn next_states(&self) -> Vec<EnrolmentState> {
        self.page.next_states()
    }

    /// May the user move it to this state (by its code)? Only that state's fields are shown.
    fn may_go(&self, code: &str) -> bool {
        self.page.next_states().iter().any(|s| s.code() == code)
    }

    fn move_label(&self, s: &EnrolmentState) -> &'static str {
        match s {
            EnrolmentState::Waiting => "Put on the waiting list",
            EnrolmentState::Active => "Start, with a worker",
            EnrolmentState::Ended => "End, with a reason",
            EnrolmentState::Proposed => "Proposed",
        }
    }
}

/// What was typed on the enrolment page, kept when it comes back.
#[derive(Default)]
struct Typed {
    change: ChangeForm,
    session: SessionForm,
}

async fn enrolment_page(
    state: &AppState,
    who: &SignedIn,
    (id, done): (EnrolmentId, &str),
    typed: Typed,
    again: Again,
) -> PageResult {
    let page = programmes::enrolment_page(&state.app, &who.actor(), id).await?;
    let title = format!("{}: {}", page.programme.name, page.person_name);
    let session = SessionForm {
        submission_key: secrets::new_token(),
        ..typed.session
    };
    Ok(render(
        again.status(),
        &EnrolmentView {
            layout: Layout::signed(&title, who)
                .with_errors(&again.errors)
                .with_done(done),
            errors: again.errors,
            conflict: again.conflict,
            page,
            form: typed.change,
            session,
        },
    ))
}

pub async fn enrolment(
    State(state): State<AppState>,
    Signed(who): Signed,
    PathId(id): PathId<EnrolmentId>,
    Query(q): Query<super::DoneQuery>,
) -> PageResult {
    enrolment_page(
        &state,
        &who,
        (id, &q.done),
        Typed::default(),
        Again::fresh(),
    )
    .await
}

pub async fn change(
    State(state): State<AppState>,
    Signed(who): Signed,
    PathId(id): PathId<EnrolmentId>,
    Form(form): Form<ChangeForm>,
) -> PageResult {
    match programmes::change_enrolment(&state.app, &who.actor(), id, &form)
        .await
        .or_again()?
    {
        Saved::Done(()) => Ok(to(&format!("/enrolments/{id}?done=enrolment_changed"))),
        Saved::Again(again) => {
            let typed = Typed {
                change: form,
                ..Typed::default()
            };
            enrolment_page(&state, &who, (id, ""), typed, again).await
        }
    }
}

pub async fn plan_session(
    State(state): State<AppState>,
    Signed(who): Signed,
    PathId(id): PathId<EnrolmentId>,
    Form(form): Form<SessionForm>,
) -> PageResult {
    match programmes::plan_session(&state.app, &who.actor(), id, &form)
        .await
        .or_again()?
    {
        Saved::Done(_) => Ok(to(&format!(
            "/enrolments/{id}?done=session_planned#sessions"
        ))),
        Saved::Again(again) => {
            let typed = Typed {
                session: form,
                ..Typed::default()
            };
            enrolment_page(&state, &who, (id, ""), typed, again).await
        }
    }
}

// ---- a session ---------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "session.html")]
struct SessionView {
    layout: Layout,
    errors: Invalid,
    page: SessionPage,
    form: AttendanceForm,
    outcomes: Vec<(&'static str, &'static str)>,
    sensitivities: [(&'static str, &'static str); 2],
}

async fn session_page(
    state: &AppState,
    who: &SignedIn,
    (id, session): (EnrolmentId, SessionId),
    form: AttendanceForm,
    again: Again,
) -> PageResult {
    let page = programmes::session_page(&state.app, &who.actor(), id, session).await?;
    let form = AttendanceForm {
        sensitivity: if form.sensitivity.is_empty() {
            "ordinary".into()
        } else {
            form.sensitivity
        },
        ..form
    };
    Ok(render(
        again.status(),
        &SessionView {
            layout: Layout::signed("Session", who).with_errors(&again.errors),
            errors: again.errors,
            page,
            form,
            outcomes: hearth_domain::enrolment::Attendance::RECORDED
                .iter()
                .map(|a| (a.code(), a.label()))
                .collect(),
            sensitivities: [
                ("ordinary", "No, ordinary"),
                ("sensitive", "Yes, sensitive"),
            ],
        },
    ))
}

pub async fn session(
    State(state): State<AppState>,
    Signed(who): Signed,
    PathIds(id, session): PathIds<EnrolmentId, SessionId>,
) -> PageResult {
    session_page(
        &state,
        &who,
        (id, session),
        AttendanceForm::default(),
        Again::fresh(),
    )
    .await
}

pub async fn record_session(
    State(state): State<AppState>,
    Signed(who): Signed,
    PathIds(id, session): PathIds<EnrolmentId, SessionId>,
    Form(pairs): Form<Pairs>,
) -> PageResult {
    let form = AttendanceForm {
        outcome: one(&pairs, "outcome"),
        duration_minutes: one(&pairs, "duration_minutes"),
        topics: all(&pairs, "topics"),
        note: one(&pairs, "note"),
        sensitivity: one(&pairs, "sensitivity"),
        based_on: one(&pairs, "based_on").parse().unwrap_or(-1),
    };
    let recorded = programmes::record_session(&state.app, &who.actor(), id, session, &form).await;
    match recorded.or_again()? {
        Saved::Done(()) => Ok(to(&format!(
            "/enrolments/{id}?done=session_recorded#sessions"
        ))),
        Saved::Again(again) => {
            session_page(&state, &who, (id, session), form, again.on_field("outcome")).await
        }
    }
}

// ---- Idva offers and news for the partner ------------------------------------------------------

#[derive(Template)]
#[template(path = "idva_offer.html")]
struct OfferView {
    layout: Layout,
    errors: Invalid,
    page: OfferPage,
    form: OfferForm,
    outcomes: Vec<(&'static str, &'static str)>,
}

async fn offer_page(
    state: &AppState,
    who: &SignedIn,
    (case_id, person): (CaseId, PersonId),
    form: OfferForm,
    again: Again,
) -> PageResult {
    let page = programmes::offer_page(&state.app, &who.actor(), case_id, person).await?;
    let outcomes = page
        .outcomes
        .iter()
        .map(|o| (o.code(), o.label()))
        .collect();
    Ok(render(
        again.status(),
        &OfferView {
            layout: Layout::signed("Idva offer", who).with_errors(&again.errors),
            errors: again.errors,
            page,
            form,
            outcomes,
        },
    ))
}

pub async fn idva_offer(
    State(state): State<AppState>,
    Signed(who): Signed,
    PathIds(case_id, person): PathIds<CaseId, PersonId>,
) -> PageResult {
    offer_page(
        &state,
        &who,
        (case_id, person),
        OfferForm::default(),
        Again::fresh(),
    )
    .await
}

pub async fn record_idva_offer(
    State(state): State<AppState>,
    Signed(who): Signed,
    PathIds(case_id, person): PathIds<CaseId, PersonId>,
    Form(form): Form<OfferForm>,
) -> PageResult {
    let recorded = programmes::record_offer(&state.app, &who.actor(), case_id, person, &form).await;
    match recorded.or_again()? {
        Saved::Done(()) => Ok(to(&format!("/cases/{case_id}?done=idva_offer#plan"))),
        Saved::Again(again) => offer_page(&state, &who, (case_id, person), form, again).await,
    }
}

pub async fn news_told(
    State(state): State<AppState>,
    Signed(who): Signed,
    PathId(id): PathId,
) -> PageResult {
    let case_id = programmes::mark_told(&state.app, &who.actor(), id).await?;
    Ok(to(&format!("/cases/{case_id}?done=told#plan")))
}

// ---- places and waiting lists ------------------------------------------------------------------

#[derive(Template)]
#[template(path = "programmes.html")]
struct DemandView {
    layout: Layout,
    demand: Vec<Demand>,
}

pub async fn overview(State(state): State<AppState>, Signed(who): Signed) -> PageResult {
    let demand = programmes::demand(&state.app, &who.actor()).await?;
    let layout = Layout::signed("Programmes", &who);
    Ok(render(StatusCode::OK, &DemandView { layout, demand }))
}

#[derive(Template)]
#[template(path = "waiting.html")]
struct WaitingView {
    layout: Layout,
    errors: Invalid,
    conflict: Option<String>,
    list: WaitingList,
}

async fn waiting_page(
    state: &AppState,
    who: &SignedIn,
    key: &str,
    done: &str,
    again: Again,
) -> PageResult {
    let list = programmes::waiting_list(&state.app, &who.actor(), key).await?;
    let title = format!("Waiting list: {}", list.demand.name);
    Ok(render(
        again.status(),
        &WaitingView {
            layout: Layout::signed(&title, who)
                .with_errors(&again.errors)
                .with_done(done),
            errors: again.errors,
            conflict: again.conflict,
            list,
        },
    ))
}

pub async fn waiting(
    State(state): State<AppState>,
    Signed(who): Signed,
    Path(key): Path<String>,
    Query(q): Query<super::DoneQuery>,
) -> PageResult {
    waiting_page(&state, &who, &key, &q.done, Again::fresh()).await
}

#[derive(Deserialize)]
pub struct MoveForm {
    #[serde(default)]
    direction: String,
    #[serde(default)]
    based_on: i64,
}

pub async fn move_waiting(
    State(state): State<AppState>,
    Signed(who): Signed,
    PathId(id): PathId<EnrolmentId>,
    Form(f): Form<MoveForm>,
) -> PageResult {
    let moved =
        programmes::move_on_list(&state.app, &who.actor(), id, &f.direction, f.based_on).await;
    match moved.or_again()? {
        Saved::Done(key) => Ok(to(&format!("/programmes/{key}/waiting?done=waiting_moved"))),
        Saved::Again(again) => {
            // Back to the list the enrolment is on: its page says which.
            let page = programmes::enrolment_page(&state.app, &who.actor(), id).await?;
            waiting_page(&state, &who, &page.programme.key, "", again).await
        }
    }
}

// ---- the catalogue -----------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "programmes_admin.html")]
struct CatalogueView {
    layout: Layout,
    errors: Invalid,
    page: CataloguePage,
    file: String,
    definition: String,
    loaded: Option<String>,
}

impl CatalogueView {
    fn delivery(&self, p: &Programme) -> &'static str {
        match p.delivery {
            Delivery::OneToOne => "1:1",
            Delivery::Group => "In groups",
            Delivery::Both => "1:1 and in groups",
        }
    }
}

#[derive(Deserialize, Default)]
pub struct LoadForm {
    #[serde(default)]
    file: String,
    #[serde(default)]
    definition: String,
}

async fn catalogue_page(
    state: &AppState,
    who: &SignedIn,
    typed: Option<LoadForm>,
    loaded: Option<String>,
    again: Again,
) -> PageResult {
    let page = programmes::catalogue_page(&state.app, By::User(&who.actor())).await?;
    let typed = typed.unwrap_or_else(|| LoadForm {
        file: String::new(),
        definition: page.definition.clone(),
    });
    Ok(render(
        again.status(),
        &CatalogueView {
            layout: Layout::signed("Programme catalogue", who).with_errors(&again.errors),
            errors: again.errors,
            page,
            file: typed.file,
            definition: typed.definition,
            loaded,
        },
    ))
}

pub async fn catalogue(State(state): State<AppState>, Signed(who): Signed) -> PageResult {
    catalogue_page(&state, &who, None, None, Again::fresh()).await
}

pub async fn load_catalogue(
    State(state): State<AppState>,
    Signed(who): Signed,
    Form(form): Form<LoadForm>,
) -> PageResult {
    let by = By::User(&who.actor());
    match programmes::load(&state.app, by, &form.file, &form.definition)
        .await
        .or_again()?
    {
        Saved::Done(v) => {
            let note = format!("Loaded version {v} of the catalogue. It applies from now on; every enrolment keeps the version it was made on.");
            catalogue_page(&state, &who, None, Some(note), Again::fresh()).await
        }
        Saved::Again(again) => catalogue_page(&state, &who, Some(form), None, again).await,
    }
}
