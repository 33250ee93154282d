//! A person's risk: assessments, incidents, the safety plan, and referring them to MARAC.

use crate::error::PageResult;
use crate::form::{to, Again, OrAgain, Saved};
use crate::path::PathId;
use crate::session::Signed;
use crate::views::{render, Layout};
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use hearth_app::auth::SignedIn;
use hearth_app::risk::RiskView;
use hearth_app::safety_plans::PlanView;
use hearth_app::{marac, risk, safety_plans, secrets, AppError};
use hearth_domain::ids::PersonId;
use hearth_domain::instrument::{AnswerSet, Instrument};
use hearth_domain::marac::{ChildLine, ReferralForm};
use hearth_domain::risk::{AssessmentForm, IncidentForm, RiskLevel};
use hearth_domain::safety_plan::{SafetyPlanForm, Template as PlanTemplate, ACTION_ROWS};
use hearth_domain::ukdate::uk_today;
use hearth_domain::validation::Invalid;
use serde::Deserialize;
use uuid::Uuid;

/// A form whose fields are not known until run time (a checklist's questions, rows of
/// actions), as the browser sent it.
pub type Pairs = Vec<(String, String)>;

fn get<'a>(pairs: &'a Pairs, key: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

// ---- the risk page -----------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "risk.html")]
struct RiskPage {
    layout: Layout,
    view: RiskView,
    errors: Invalid,
    incident: IncidentForm,
    saved: bool,
}

/// The risk page, with the incident form fresh or again.
async fn risk_page(
    state: &AppState,
    who: &SignedIn,
    id: PersonId,
    mut incident: IncidentForm,
    again: Again,
    saved: bool,
) -> PageResult {
    let view = risk::view(&state.app, &who.actor(), id).await?;
    if incident.submission_key.is_empty() {
        incident.submission_key = secrets::new_token();
    }
    Ok(render(
        again.status(),
        &RiskPage {
            layout: Layout::signed("Risk", who).with_errors(&again.errors),
            incident,
            view,
            errors: again.errors,
            saved,
        },
    ))
}

#[derive(Deserialize, Default)]
pub struct SavedQuery {
    #[serde(default)]
    saved: String,
    #[serde(default)]
    instrument: String,
}

pub async fn risk(
    State(state): State<AppState>,
    Signed(who): Signed,
    PathId(id): PathId<PersonId>,
    Query(q): Query<SavedQuery>,
) -> PageResult {
    let saved = !q.saved.is_empty();
    risk_page(
        &state,
        &who,
        id,
        IncidentForm::default(),
        Again::fresh(),
        saved,
    )
    .await
}

pub async fn add_incident(
    State(state): State<AppState>,
    Signed(who): Signed,
    PathId(id): PathId<PersonId>,
    Form(form): Form<IncidentForm>,
) -> PageResult {
    match risk::record_incident(&state.app, &who.actor(), id, &form)
        .await
        .or_again()?
    {
        Saved::Done(_) => Ok(to(&format!("/people/{id}/risk?saved=incident"))),
        Saved::Again(again) => risk_page(&state, &who, id, form, again, false).await,
    }
}

// ---- the checklist -----------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "risk_new.html")]
struct ChecklistPage {
    layout: Layout,
    person_id: Uuid,
    person_name: String,
    instrument: Instrument,
    form: AssessmentForm,
    errors: Invalid,
    levels: [RiskLevel; 3],
}

impl ChecklistPage {
    fn answer(&self, id: &str) -> &str {
        self.form.answers.get(id).map(String::as_str).unwrap_or("")
    }

    fn options(&self, a: &AnswerSet) -> Vec<(String, String)> {
        a.options()
    }
}

/// The checklist of this instrument for the person, fresh or again.
async fn checklist(
    state: &AppState,
    who: &SignedIn,
    id: PersonId,
    key: &str,
    form: AssessmentForm,
    again: Again,
) -> PageResult {
    let (instrument, person_name) = risk::instrument_for(&state.app, &who.actor(), id, key).await?;
    Ok(render(
        again.status(),
        &ChecklistPage {
            layout: Layout::signed(&instrument.title, who).with_errors(&again.errors),
            person_id: id.uuid(),
            person_name,
            instrument,
            form,
            errors: again.errors,
            levels: RiskLevel::ALL,
        },
    ))
}

pub async fn new_assessment(
    State(state): State<AppState>,
    Signed(who): Signed,
    PathId(id): PathId<PersonId>,
    Query(q): Query<SavedQuery>,
) -> PageResult {
    let form = AssessmentForm {
        submission_key: secrets::new_token(),
        ..Default::default()
    };
    checklist(&state, &who, id, &q.instrument, form, Again::fresh()).await
}

/// The checklist as sent: `q_<id>` fields are answers.
fn assessment_form(pairs: &Pairs) -> AssessmentForm {
    AssessmentForm {
        answers: pairs
            .iter()
            .filter_map(|(k, v)| k.strip_prefix("q_").map(|id| (id.to_string(), v.clone())))
            .collect(),
        safe_to_talk: get(pairs, "safe_to_talk").into(),
        judgement_level: get(pairs, "judgement_level").into(),
        judgement_reason: get(pairs, "judgement_reason").into(),
        police_callouts: get(pairs, "police_callouts").into(),
        notes: get(pairs, "notes").into(),
        lowered_reason: get(pairs, "lowered_reason").into(),
        submission_key: get(pairs, "submission_key").into(),
    }
}

pub async fn assess(
    State(state): State<AppState>,
    Signed(who): Signed,
    PathId(id): PathId<PersonId>,
    Form(pairs): Form<Pairs>,
) -> PageResult {
    let key = get(&pairs, "instrument").to_string();
    let form = assessment_form(&pairs);
    match risk::assess(&state.app, &who.actor(), id, &key, &form)
        .await
        .or_again()?
    {
        Saved::Done(_) => Ok(to(&format!("/people/{id}/risk?saved=assessment"))),
        Saved::Again(again) => checklist(&state, &who, id, &key, form, again).await,
    }
}

// ---- safety plans ------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "safety_plan.html")]
struct PlanPage {
    layout: Layout,
    view: PlanView,
}

pub async fn safety_plan(
    State(state): State<AppState>,
    Signed(who): Signed,
    PathId(id): PathId<PersonId>,
    axum::extract::Query(q): axum::extract::Query<super::DoneQuery>,
) -> PageResult {
    let view = safety_plans::view(&state.app, &who.actor(), id).await?;
    Ok(render(
        StatusCode::OK,
        &PlanPage {
            layout: Layout::signed("Safety plan", &who).with_done(&q.done),
            view,
        },
    ))
}

#[derive(Template)]
#[template(path = "safety_plan_print.html")]
struct PlanPrint {
    view: PlanView,
}

/// A plan to print and give to the person: nothing on it names the service or the system.
pub async fn safety_plan_print(
    State(state): State<AppState>,
    Signed(who): Signed,
    PathId(id): PathId<PersonId>,
) -> PageResult {
    let view = safety_plans::view(&state.app, &who.actor(), id).await?;
    if view.current().is_none() {
        return Err(AppError::NotFound.into());
    }
    Ok(render(StatusCode::OK, &PlanPrint { view }))
}

#[derive(Template)]
#[template(path = "safety_plan_edit.html")]
struct PlanEdit {
    layout: Layout,
    person_id: Uuid,
    person_name: String,
    form: SafetyPlanForm,
    template: PlanTemplate,
    based_on: i64,
    errors: Invalid,
    conflict: Option<String>,
    rows: usize,
}

impl PlanEdit {
    fn section(&self, field: &str) -> &str {
        match field {
            "strengths" => &self.form.strengths,
            "safe_people" => &self.form.safe_people,
            "safe_word" => &self.form.safe_word,
            "documents" => &self.form.documents,
            "escape_plan" => &self.form.escape_plan,
            "work_plan" => &self.form.work_plan,
            "school_plan" => &self.form.school_plan,
            "technology" => &self.form.technology,
            _ => "",
        }
    }

    fn row(&self, n: &usize) -> (&str, &str, &str) {
        self.form.action_row(*n)
    }
}

#[derive(Deserialize, Default)]
pub struct TemplateQuery {
    #[serde(default)]
    template: String,
}

/// The plan as the editor starts it: the current plan with its review moved on, or an empty
/// plan from its template (or the one asked for).
fn plan_to_edit(view: &PlanView, today: time::Date, template: &str) -> SafetyPlanForm {
    let mut form = match view.current() {
        Some(c) => SafetyPlanForm::from_plan(&c.plan, today),
        None => SafetyPlanForm {
            template: view.template.code().into(),
            ..Default::default()
        },
    };
    if PlanTemplate::parse(template).is_some() {
        form.template = template.to_string();
    }
    form
}

/// The safety plan editor, fresh (`typed` is `None`) or again with what was typed: on a
/// conflict, based on the version there now.
async fn plan_edit(
    state: &AppState,
    who: &SignedIn,
    id: PersonId,
    typed: Option<(SafetyPlanForm, i64)>,
    again: Again,
) -> PageResult {
    let view = safety_plans::view(&state.app, &who.actor(), id).await?;
    if !view.can_record {
        return Err(AppError::Forbidden.into());
    }
    let (form, based_on) = match typed {
        Some((form, _)) if again.is_conflict() => (form, view.version()),
        Some(typed) => typed,
        None => (
            plan_to_edit(&view, uk_today(state.app.now()), ""),
            view.version(),
        ),
    };
    Ok(render(
        again.status(),
        &PlanEdit::new(who, &view, form, based_on, again),
    ))
}

impl PlanEdit {
    fn new(
        who: &SignedIn,
        view: &PlanView,
        form: SafetyPlanForm,
        based_on: i64,
        again: Again,
    ) -> Self {
        PlanEdit {
            layout: Layout::signed("Change the safety plan", who).with_errors(&again.errors),
            person_id: view.person_id,
            person_name: view.person_name.clone(),
            template: PlanTemplate::parse(&form.template).unwrap_or(view.template),
            rows: ACTION_ROWS.max(form.action_what.len() + 2),
            form,
            based_on,
            errors: again.errors,
            conflict: again.conflict,
        }
    }
}

pub async fn edit_safety_plan(
    State(state): State<AppState>,
    Signed(who): Signed,
    PathId(id): PathId<PersonId>,
    Query(q): Query<TemplateQuery>,
) -> PageResult {
    let view = safety_plans::view(&state.app, &who.actor(), id).await?;
    if !view.can_record {
        return Err(AppError::Forbidden.into());
    }
    let form = plan_to_edit(&view, uk_today(state.app.now()), &q.template);
    Ok(render(
        StatusCode::OK,
        &PlanEdit::new(&who, &view, form, view.version(), Again::fresh()),
    ))
}

fn plan_form(pairs: &Pairs) -> SafetyPlanForm {
    let rows = |prefix: &str| -> Vec<String> {
        let mut v: Vec<(usize, String)> = pairs
            .iter()
            .filter_map(|(k, val)| {
                k.strip_prefix(prefix)
                    .and_then(|n| n.parse::<usize>().ok())
                    .filter(|n| *n < 100)
                    .map(|n| (n, val.clone()))
            })
            .collect();
        v.sort_by_key(|(n, _)| *n);
        let len = v.last().map(|(n, _)| n + 1).unwrap_or(0);
        let mut out = vec![String::new(); len];
        for (n, val) in v {
            out[n] = val;
        }
        out
    };
    SafetyPlanForm {
        template: get(pairs, "template").into(),
        strengths: get(pairs, "strengths").into(),
        safe_people: get(pairs, "safe_people").into(),
        safe_word: get(pairs, "safe_word").into(),
        documents: get(pairs, "documents").into(),
        escape_plan: get(pairs, "escape_plan").into(),
        work_plan: get(pairs, "work_plan").into(),
        school_plan: get(pairs, "school_plan").into(),
        technology: get(pairs, "technology").into(),
        action_what: rows("action_what_"),
        action_who: rows("action_who_"),
        action_by: rows("action_by_"),
        review_on: get(pairs, "review_on").into(),
    }
}

pub async fn save_safety_plan(
    State(state): State<AppState>,
    Signed(who): Signed,
    PathId(id): PathId<PersonId>,
    Form(pairs): Form<Pairs>,
) -> PageResult {
    let form = plan_form(&pairs);
    let based_on: i64 = get(&pairs, "based_on").parse().unwrap_or(-1);
    let saved = safety_plans::save(&state.app, &who.actor(), id, &form, based_on).await;
    match saved.or_again()? {
        Saved::Done(_) => Ok(to(&format!("/people/{id}/safety-plan?done=safety_plan"))),
        Saved::Again(again) => plan_edit(&state, &who, id, Some((form, based_on)), again).await,
    }
}

// ---- MARAC referral ----------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "marac_refer.html")]
struct ReferPage {
    layout: Layout,
    proposal: marac::Proposal,
    errors: Invalid,
    criteria: [hearth_domain::marac::Criterion; 4],
    knows: &'static [(&'static str, &'static str)],
    consent: &'static [(&'static str, &'static str)],
    sources: &'static [(&'static str, &'static str)],
    child_rows: usize,
}

impl ReferPage {
    fn ticked(&self, code: &str) -> bool {
        self.proposal.form.criteria.iter().any(|c| c == code)
    }

    fn child(&self, n: &usize) -> ChildLine {
        self.proposal
            .form
            .details
            .children
            .get(*n)
            .cloned()
            .unwrap_or_default()
    }
}

fn refer_page(who: &SignedIn, proposal: marac::Proposal, again: Again) -> Response {
    let child_rows = proposal.form.details.children.len() + 2;
    render(
        again.status(),
        &ReferPage {
            layout: Layout::signed("Refer to MARAC", who).with_errors(&again.errors),
            proposal,
            errors: again.errors,
            criteria: hearth_domain::marac::Criterion::ALL,
            knows: hearth_domain::marac::KNOWS,
            consent: hearth_domain::marac::CONSENT,
            sources: hearth_domain::marac::SOURCES,
            child_rows,
        },
    )
}

pub async fn new_marac_referral(
    State(state): State<AppState>,
    Signed(who): Signed,
    PathId(id): PathId<PersonId>,
) -> PageResult {
    let mut p = marac::proposal(&state.app, &who.actor(), id).await?;
    p.form.submission_key = secrets::new_token();
    Ok(refer_page(&who, p, Again::fresh()))
}

fn referral_form(pairs: &Pairs) -> ReferralForm {
    let mut children = Vec::new();
    for n in 0..50 {
        let f = |what: &str| get(pairs, &format!("child_{what}_{n}")).to_string();
        if !pairs
            .iter()
            .any(|(k, _)| k.ends_with(&format!("_{n}")) && k.starts_with("child_"))
        {
            break;
        }
        children.push(ChildLine {
            name: f("name"),
            date_of_birth: f("dob"),
            school: f("school"),
            relationship: f("relationship"),
        });
    }
    ReferralForm {
        criteria: pairs
            .iter()
            .filter(|(k, _)| k == "criteria")
            .map(|(_, v)| v.clone())
            .collect(),
        victim_knows: get(pairs, "victim_knows").into(),
        victim_consented: get(pairs, "victim_consented").into(),
        source_agency: get(pairs, "source_agency").into(),
        details: hearth_domain::marac::ReferralDetails {
            safe_contact: get(pairs, "safe_contact").into(),
            perpetrators: get(pairs, "perpetrators").into(),
            children,
            summary: get(pairs, "summary").into(),
        },
        submission_key: get(pairs, "submission_key").into(),
    }
}

pub async fn make_marac_referral(
    State(state): State<AppState>,
    Signed(who): Signed,
    PathId(id): PathId<PersonId>,
    Form(pairs): Form<Pairs>,
) -> PageResult {
    let form = referral_form(&pairs);
    let actor = who.actor();
    match marac::refer(&state.app, &actor, id, &form)
        .await
        .or_again()?
    {
        Saved::Done(r) => Ok(to(&format!("/marac/referrals/{r}"))),
        Saved::Again(again) => {
            let mut p = marac::proposal(&state.app, &actor, id).await?;
            p.form = form;
            Ok(refer_page(&who, p, again))
        }
    }
}
