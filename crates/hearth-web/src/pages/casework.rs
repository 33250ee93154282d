//! Recording work: contact details, and notes, contacts and events on the timeline.

use crate::error::not_found;
use crate::error::page_error;
use crate::path::PathId;
use crate::session::Signed;
use crate::views::{render, Editing, Layout};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use hearth_app::auth::SignedIn;
use hearth_app::casework::{self, ContactView, EntryView};
use hearth_app::{records, secrets, AppError};
use hearth_domain::access::{grant, Action, Scope};
use hearth_domain::contact::{Channel, ContactForm};
use hearth_domain::ids::parse_id;
use hearth_domain::ids::UserId;
use hearth_domain::ids::{CaseId, EntryId, PersonId};
use hearth_domain::timeline::{EntryForm, EntryKind, CONTACT_METHODS, CONTACT_OUTCOMES};
use hearth_domain::validation::Invalid;
use serde::Deserialize;
use uuid::Uuid;

// ---- contact details ---------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "contact_edit.html")]
struct ContactPage {
    layout: Layout,
    errors: Invalid,
    person_id: Uuid,
    person_name: String,
    form: ContactForm,
    based_on: i64,
    conflict: Option<String>,
    channels: [Channel; 5],
    safeties: [(&'static str, &'static str); 3],
}

impl ContactPage {
    fn safety_of(&self, c: &Channel) -> String {
        let f = &self.form;
        let v = match c {
            Channel::Phone => &f.phone_safety,
            Channel::Text => &f.text_safety,
            Channel::Email => &f.email_safety,
            Channel::Letter => &f.letter_safety,
            Channel::Voicemail => &f.voicemail_safety,
        };
        if v.is_empty() {
            "not_known".into()
        } else {
            v.clone()
        }
    }

    fn when_of(&self, c: &Channel) -> String {
        let f = &self.form;
        match c {
            Channel::Phone => f.phone_when.clone(),
            Channel::Text => f.text_when.clone(),
            Channel::Email => f.email_when.clone(),
            Channel::Letter => f.letter_when.clone(),
            Channel::Voicemail => f.voicemail_when.clone(),
        }
    }
}

const SAFETIES: [(&str, &str); 3] = [
    ("not_known", "Not known"),
    ("safe", "Safe"),
    ("not_safe", "Not safe"),
];

async fn person_name(state: &AppState, who: &SignedIn, id: PersonId) -> Result<String, Response> {
    records::view_person(&state.app, &who.actor(), id)
        .await
        .map(|p| format!("{} {}", p.given_name, p.family_name))
        .map_err(page_error)
}

fn contact_page(
    who: &SignedIn,
    id: Uuid,
    name: String,
    editing: Editing<ContactForm>,
    status: StatusCode,
) -> Response {
    let Editing {
        form,
        based_on,
        errors,
        conflict,
    } = editing;
    render(
        status,
        &ContactPage {
            layout: Layout::signed("Contact details", who).with_errors(&errors),
            errors,
            person_id: id,
            person_name: name,
            form,
            based_on,
            conflict,
            channels: Channel::ALL,
            safeties: SAFETIES,
        },
    )
}

pub async fn edit_contact(
    State(state): State<AppState>,
    Signed(who): Signed,
    PathId(id): PathId<PersonId>,
) -> Response {
    let name = match person_name(&state, &who, id).await {
        Ok(n) => n,
        Err(r) => return r,
    };
    match casework::view_contact(&state.app, &who.actor(), id).await {
        Ok(ContactView::Withheld) => page_error(AppError::Forbidden),
        Ok(view) => {
            let form = match &view {
                ContactView::Shown { current, .. } => ContactForm::from_details(current),
                _ => ContactForm::default(),
            };
            contact_page(
                &who,
                id.uuid(),
                name,
                Editing {
                    form,
                    based_on: view.version(),
                    errors: Invalid::default(),
                    conflict: None,
                },
                StatusCode::OK,
            )
        }
        Err(e) => page_error(e),
    }
}

#[derive(Deserialize)]
pub struct ContactSubmission {
    #[serde(default)]
    based_on: i64,
    #[serde(flatten)]
    form: ContactForm,
}

pub async fn save_contact(
    State(state): State<AppState>,
    Signed(who): Signed,
    PathId(id): PathId<PersonId>,
    Form(s): Form<ContactSubmission>,
) -> Response {
    match casework::save_contact(&state.app, &who.actor(), id, &s.form, s.based_on).await {
        Ok(_) => Redirect::to(&format!("/people/{id}#contact")).into_response(),
        Err(AppError::Invalid(errors)) => match person_name(&state, &who, id).await {
            Ok(name) => contact_page(
                &who,
                id.uuid(),
                name,
                Editing {
                    form: s.form,
                    based_on: s.based_on,
                    errors,
                    conflict: None,
                },
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            Err(r) => r,
        },
        Err(AppError::Conflict { message, .. }) => {
            // Keep what they typed, and base the next attempt on what is there now.
            let current = casework::view_contact(&state.app, &who.actor(), id)
                .await
                .map(|v| v.version())
                .unwrap_or(s.based_on);
            match person_name(&state, &who, id).await {
                Ok(name) => contact_page(
                    &who,
                    id.uuid(),
                    name,
                    Editing {
                        form: s.form,
                        based_on: current,
                        errors: Invalid::default(),
                        conflict: Some(message),
                    },
                    StatusCode::CONFLICT,
                ),
                Err(r) => r,
            }
        }
        Err(e) => page_error(e),
    }
}

// ---- the timeline ------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "entry_new.html")]
struct EntryFormPage {
    layout: Layout,
    errors: Invalid,
    case_id: CaseId,
    reference: String,
    members: Vec<(Uuid, String)>,
    form: EntryForm,
    kinds: [EntryKind; 3],
    methods: &'static [(&'static str, &'static str)],
    outcomes: &'static [(&'static str, &'static str)],
    correcting: bool,
    show_contact: bool,
    action: String,
    safe_contact: Vec<casework::SafeContact>,
}

async fn entry_form_page(
    state: &AppState,
    who: &SignedIn,
    case_id: CaseId,
    form: EntryForm,
    errors: Invalid,
    correcting: Option<EntryId>,
    status: StatusCode,
) -> Response {
    let (case, safe_contact) =
        match casework::safe_contact_in_case(&state.app, &who.actor(), case_id).await {
            Ok(c) => c,
            Err(e) => return page_error(e),
        };
    let show_contact = correcting.is_none() || form.kind == "contact";
    // A fresh form is about the worker's own client, not "the whole family": a contact is
    // always with someone, and a note filed against the family is easily missed.
    let mut form = form;
    if correcting.is_none() && errors.0.is_empty() && form.person_id.is_empty() {
        let own = case
            .allocations
            .iter()
            .find(|a| a.worker_id == who.user.id)
            .and_then(|a| a.person_id);
        // Failing that, the person their programme works with.
        let side = if who.user.role == hearth_domain::Role::EngagePractitioner {
            hearth_domain::access::CaseRole::PersonCausingHarm
        } else {
            hearth_domain::access::CaseRole::VictimSurvivor
        };
        let client = case
            .members
            .iter()
            .find(|m| m.role == side)
            .map(|m| m.person_id);
        if let Some(p) = own.or(client) {
            form.person_id = p.to_string();
        }
    }
    render(
        status,
        &EntryFormPage {
            layout: Layout::signed(
                if correcting.is_some() {
                    "Correct an entry"
                } else {
                    "Add to the timeline"
                },
                who,
            )
            .with_errors(&errors),
            errors,
            case_id,
            reference: case.summary.reference.clone(),
            members: case
                .members
                .iter()
                .map(|m| {
                    (
                        m.person_id,
                        format!("{} {} ({})", m.given_name, m.family_name, m.role.label()),
                    )
                })
                .collect(),
            form,
            kinds: EntryKind::ALL,
            methods: CONTACT_METHODS,
            outcomes: CONTACT_OUTCOMES,
            correcting: correcting.is_some(),
            show_contact,
            action: match correcting {
                Some(e) => format!("/cases/{case_id}/entries/{e}/correct"),
                None => format!("/cases/{case_id}/entries"),
            },
            safe_contact,
        },
    )
}

/// The case page's links open the form already set: `?kind=contact`, `&person=ID`.
#[derive(Deserialize, Default)]
pub struct NewEntryQuery {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    person: String,
}

pub async fn new_entry(
    State(state): State<AppState>,
    Signed(who): Signed,
    PathId(id): PathId<CaseId>,
    Query(q): Query<NewEntryQuery>,
) -> Response {
    let kind = EntryKind::parse(&q.kind).unwrap_or(EntryKind::Note);
    let form = EntryForm {
        kind: kind.code().into(),
        person_id: parse_id(&q.person)
            .map(|p| p.to_string())
            .unwrap_or_default(),
        sensitivity: "ordinary".into(),
        submission_key: secrets::new_token(),
        ..Default::default()
    };
    entry_form_page(
        &state,
        &who,
        id,
        form,
        Invalid::default(),
        None,
        StatusCode::OK,
    )
    .await
}

pub async fn add_entry(
    State(state): State<AppState>,
    Signed(who): Signed,
    PathId(id): PathId<CaseId>,
    Form(form): Form<EntryForm>,
) -> Response {
    // The form starts on "Choose who it is about": a contact is always with someone, and a note
    // filed against the family by default is easily missed.
    let result = if form.person_id.trim().is_empty() {
        Err(AppError::invalid(
            "person_id",
            if form.kind == EntryKind::Contact.code() {
                "Choose who the contact was with"
            } else {
                "Choose who it is about, or the whole family"
            },
        ))
    } else {
        casework::add_entry(&state.app, &who.actor(), id, &form).await
    };
    match result {
        Ok(_) => {
            let done = if form.kind == "contact" {
                "contact"
            } else {
                "entry"
            };
            Redirect::to(&format!("/cases/{id}?done={done}#timeline")).into_response()
        }
        Err(AppError::Invalid(errors)) => {
            entry_form_page(
                &state,
                &who,
                id,
                form,
                errors,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => page_error(e),
    }
}

#[derive(Template)]
#[template(path = "entry.html")]
struct EntryPage {
    layout: Layout,
    errors: Invalid,
    case_id: CaseId,
    reference: String,
    entry: EntryView,
    can_record: bool,
    can_withdraw: bool,
    reason: String,
}

async fn entry_page(
    state: &AppState,
    who: &SignedIn,
    case_id: CaseId,
    entry_id: EntryId,
    errors: Invalid,
    reason: String,
    status: StatusCode,
) -> Response {
    let actor = who.actor();
    let (case, entry) = match (
        records::view_case(&state.app, &actor, case_id).await,
        casework::view_entry(&state.app, &actor, case_id, entry_id).await,
    ) {
        (Ok(c), Ok(e)) => (c, e),
        (Err(e), _) | (_, Err(e)) => return page_error(e),
    };
    render(
        status,
        &EntryPage {
            layout: Layout::signed("Timeline entry", who).with_errors(&errors),
            errors,
            case_id,
            reference: case.summary.reference,
            entry,
            can_record: grant(who.user.role, Action::RecordWork) != Scope::None,
            can_withdraw: grant(who.user.role, Action::WithdrawEntry) != Scope::None,
            reason,
        },
    )
}

pub async fn entry(
    State(state): State<AppState>,
    Signed(who): Signed,
    Path((case_id, entry_id)): Path<(String, String)>,
) -> Response {
    let (Some(case_id), Some(entry_id)) = (CaseId::parse(&case_id), EntryId::parse(&entry_id))
    else {
        return not_found();
    };
    entry_page(
        &state,
        &who,
        case_id,
        entry_id,
        Invalid::default(),
        String::new(),
        StatusCode::OK,
    )
    .await
}

pub async fn correct_page(
    State(state): State<AppState>,
    Signed(who): Signed,
    Path((case_id, entry_id)): Path<(String, String)>,
) -> Response {
    let (Some(case_id), Some(entry_id)) = (CaseId::parse(&case_id), EntryId::parse(&entry_id))
    else {
        return not_found();
    };
    let e = match casework::view_entry(&state.app, &who.actor(), case_id, entry_id).await {
        Ok(e) => e,
        Err(e) => return page_error(e),
    };
    let uk = hearth_domain::ukdate::to_uk(e.current().occurred_at);
    let form = EntryForm {
        kind: e.kind.code().into(),
        sensitivity: e.sensitivity.code().into(),
        body: e.current().body.clone(),
        occurred_on: format!("{:02}/{:02}/{}", uk.day(), u8::from(uk.month()), uk.year()),
        occurred_time: format!("{:02}:{:02}", uk.hour(), uk.minute()),
        contact_method: e.current().contact_method.clone().unwrap_or_default(),
        contact_outcome: e.current().contact_outcome.clone().unwrap_or_default(),
        ..Default::default()
    };
    entry_form_page(
        &state,
        &who,
        case_id,
        form,
        Invalid::default(),
        Some(entry_id),
        StatusCode::OK,
    )
    .await
}

pub async fn correct(
    State(state): State<AppState>,
    Signed(who): Signed,
    Path((case_id, entry_id)): Path<(String, String)>,
    Form(form): Form<EntryForm>,
) -> Response {
    let (Some(case_id), Some(entry_id)) = (CaseId::parse(&case_id), EntryId::parse(&entry_id))
    else {
        return not_found();
    };
    match casework::correct_entry(&state.app, &who.actor(), case_id, entry_id, &form).await {
        Ok(_) => Redirect::to(&format!("/cases/{case_id}/entries/{entry_id}")).into_response(),
        Err(AppError::Invalid(errors)) => {
            entry_form_page(
                &state,
                &who,
                case_id,
                form,
                errors,
                Some(entry_id),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => page_error(e),
    }
}

#[derive(Deserialize)]
pub struct WithdrawForm {
    #[serde(default)]
    reason: String,
}

pub async fn withdraw(
    State(state): State<AppState>,
    Signed(who): Signed,
    Path((case_id, entry_id)): Path<(String, String)>,
    Form(f): Form<WithdrawForm>,
) -> Response {
    let (Some(case_id), Some(entry_id)) = (CaseId::parse(&case_id), EntryId::parse(&entry_id))
    else {
        return not_found();
    };
    match casework::withdraw_entry(&state.app, &who.actor(), case_id, entry_id, &f.reason).await {
        Ok(()) => Redirect::to(&format!("/cases/{case_id}/entries/{entry_id}")).into_response(),
        Err(AppError::Invalid(errors)) => {
            entry_page(
                &state,
                &who,
                case_id,
                entry_id,
                errors,
                f.reason,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => page_error(e),
    }
}

// ---- allocation and closure ----------------------------------------------------------------------

#[derive(Deserialize)]
pub struct AllocationForm {
    #[serde(default)]
    worker_id: String,
    #[serde(default)]
    person_id: String,
}

/// After a change made from the case page: back to it, saying what was done, or the page again
/// with the errors. `done` is one of the banner codes in `views::notice`.
async fn back_to_case(
    state: &AppState,
    who: &SignedIn,
    case_id: CaseId,
    done: &str,
    r: Result<(), AppError>,
) -> Response {
    match r {
        Ok(()) => Redirect::to(&format!("/cases/{case_id}?done={done}")).into_response(),
        Err(AppError::Invalid(errors)) => {
            crate::pages::records::case_page(
                state,
                who,
                case_id,
                Default::default(),
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(AppError::Conflict { message, .. }) => {
            let errors = Invalid::one("worker_id", message);
            crate::pages::records::case_page(
                state,
                who,
                case_id,
                Default::default(),
                errors,
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(e) => page_error(e),
    }
}

pub async fn allocate(
    State(state): State<AppState>,
    Signed(who): Signed,
    PathId(id): PathId<CaseId>,
    Form(f): Form<AllocationForm>,
) -> Response {
    let r = casework::allocate(&state.app, &who.actor(), id, &f.worker_id, &f.person_id).await;
    back_to_case(&state, &who, id, "allocated", r).await
}

pub async fn end_allocation(
    State(state): State<AppState>,
    Signed(who): Signed,
    Path(id): Path<String>,
    Form(f): Form<AllocationForm>,
) -> Response {
    let (Some(id), Some(worker)) = (CaseId::parse(&id), UserId::parse(&f.worker_id)) else {
        return not_found();
    };
    let r = casework::end_allocation(&state.app, &who.actor(), id, worker, parse_id(&f.person_id))
        .await;
    back_to_case(&state, &who, id, "allocation_ended", r).await
}

#[derive(Deserialize)]
pub struct CloseForm {
    #[serde(default)]
    exit_reason: String,
    #[serde(default)]
    closing_note: String,
}

pub async fn close(
    State(state): State<AppState>,
    Signed(who): Signed,
    PathId(id): PathId<CaseId>,
    Form(f): Form<CloseForm>,
) -> Response {
    let r = casework::close_case(
        &state.app,
        &who.actor(),
        id,
        &f.exit_reason,
        &f.closing_note,
    )
    .await;
    back_to_case(&state, &who, id, "case_closed", r).await
}

// ---- person details ----------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "person_edit.html")]
struct PersonEditPage {
    layout: Layout,
    errors: Invalid,
    person_id: Uuid,
    form: hearth_domain::person::PersonForm,
    equality_shown: bool,
    conflict: Option<String>,
    genders: &'static [(&'static str, &'static str)],
    disability: &'static [(&'static str, &'static str)],
}

fn person_edit_page(
    who: &SignedIn,
    id: Uuid,
    form: hearth_domain::person::PersonForm,
    equality_shown: bool,
    errors: Invalid,
    conflict: Option<String>,
    status: StatusCode,
) -> Response {
    render(
        status,
        &PersonEditPage {
            layout: Layout::signed("Change details", who).with_errors(&errors),
            errors,
            person_id: id,
            form,
            equality_shown,
            conflict,
            genders: hearth_domain::person::GENDERS,
            disability: hearth_domain::person::DISABILITY,
        },
    )
}

pub async fn edit_person(
    State(state): State<AppState>,
    Signed(who): Signed,
    PathId(id): PathId<PersonId>,
) -> Response {
    match casework::person_details(&state.app, &who.actor(), id).await {
        // Behind the firewall there is nothing to change: only the name is known.
        Ok(v) if !v.shown => page_error(AppError::Forbidden),
        Ok(v) => {
            let form = hearth_domain::person::PersonForm::from_details(&v.details, v.version);
            person_edit_page(
                &who,
                id.uuid(),
                form,
                v.equality_shown,
                Invalid::default(),
                None,
                StatusCode::OK,
            )
        }
        Err(e) => page_error(e),
    }
}

pub async fn save_person(
    State(state): State<AppState>,
    Signed(who): Signed,
    PathId(id): PathId<PersonId>,
    Form(form): Form<hearth_domain::person::PersonForm>,
) -> Response {
    let shown = casework::person_details(&state.app, &who.actor(), id)
        .await
        .map(|v| (v.equality_shown, v.version));
    match casework::update_person(&state.app, &who.actor(), id, &form).await {
        Ok(_) => Redirect::to(&format!("/people/{id}")).into_response(),
        Err(AppError::Invalid(errors)) => {
            let equality_shown = shown.map(|s| s.0).unwrap_or(false);
            person_edit_page(
                &who,
                id.uuid(),
                form,
                equality_shown,
                errors,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
        Err(AppError::Conflict { message, .. }) => {
            let (equality_shown, current) = shown.unwrap_or((false, form.based_on));
            let form = hearth_domain::person::PersonForm {
                based_on: current,
                ..form
            };
            person_edit_page(
                &who,
                id.uuid(),
                form,
                equality_shown,
                Invalid::default(),
                Some(message),
                StatusCode::CONFLICT,
            )
        }
        Err(e) => page_error(e),
    }
}

// ---- the family --------------------------------------------------------------------------------

pub async fn add_member(
    State(state): State<AppState>,
    Signed(who): Signed,
    PathId(id): PathId<CaseId>,
    Form(f): Form<casework::MemberForm>,
) -> Response {
    let r = casework::add_member(&state.app, &who.actor(), id, &f)
        .await
        .map(|_| ());
    back_to_case(&state, &who, id, "member_added", r).await
}

#[derive(Deserialize)]
pub struct RelationshipForm {
    #[serde(default)]
    from_person: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    to_person: String,
}

pub async fn add_relationship(
    State(state): State<AppState>,
    Signed(who): Signed,
    PathId(id): PathId<CaseId>,
    Form(f): Form<RelationshipForm>,
) -> Response {
    let r = casework::add_relationship(
        &state.app,
        &who.actor(),
        id,
        &f.from_person,
        &f.kind,
        &f.to_person,
    )
    .await;
    back_to_case(&state, &who, id, "relationship_added", r).await
}

pub async fn add_agency(
    State(state): State<AppState>,
    Signed(who): Signed,
    PathId(id): PathId<CaseId>,
    Form(f): Form<hearth_domain::family::AgencyForm>,
) -> Response {
    let r = casework::add_agency(&state.app, &who.actor(), id, &f)
        .await
        .map(|_| ());
    back_to_case(&state, &who, id, "agency_added", r).await
}

#[derive(Deserialize)]
pub struct InvolvementForm {
    #[serde(default)]
    person_id: String,
    #[serde(default)]
    exit_reason: String,
}

pub async fn close_involvement(
    State(state): State<AppState>,
    Signed(who): Signed,
    PathId(id): PathId<CaseId>,
    Form(f): Form<InvolvementForm>,
) -> Response {
    let r = casework::close_involvement(&state.app, &who.actor(), id, &f.person_id, &f.exit_reason)
        .await;
    back_to_case(&state, &who, id, "involvement_closed", r).await
}
