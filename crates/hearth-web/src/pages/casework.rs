//! Recording work: contact details, and notes, contacts and events on the timeline.

use crate::error::PageResult;
use crate::form::{to, Again, OrAgain, Saved};
use crate::path::{PathId, PathIds};
use crate::session::Signed;
use crate::views::{render, Layout};
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::Form;
use hearth_app::auth::SignedIn;
use hearth_app::casework::{self, ContactView, EntryView};
use hearth_app::{secrets, AppError};
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

/// The contact details form, fresh or again: on a conflict, based on what is there now, with
/// what the user typed kept.
async fn contact_form(
    state: &AppState,
    who: &SignedIn,
    id: PersonId,
    typed: Option<ContactSubmission>,
    again: Again,
) -> PageResult {
    let (person_name, view) = casework::contact_form(&state.app, &who.actor(), id).await?;
    if matches!(view, ContactView::Withheld) {
        return Err(AppError::Forbidden.into());
    }
    let (form, based_on) = match typed {
        Some(t) if again.is_conflict() => (t.form, view.version()),
        Some(t) => (t.form, t.based_on),
        None => match &view {
            ContactView::Shown { current, .. } => {
                (ContactForm::from_details(current), view.version())
            }
            _ => (ContactForm::default(), 0),
        },
    };
    Ok(render(
        again.status(),
        &ContactPage {
            layout: Layout::signed("Contact details", who).with_errors(&again.errors),
            errors: again.errors,
            person_id: id.uuid(),
            person_name,
            form,
            based_on,
            conflict: again.conflict,
            channels: Channel::ALL,
            safeties: SAFETIES,
        },
    ))
}

pub async fn edit_contact(
    State(state): State<AppState>,
    Signed(who): Signed,
    PathId(id): PathId<PersonId>,
) -> PageResult {
    contact_form(&state, &who, id, None, Again::fresh()).await
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
) -> PageResult {
    let saved = casework::save_contact(&state.app, &who.actor(), id, &s.form, s.based_on).await;
    match saved.or_again()? {
        Saved::Done(_) => Ok(to(&format!("/people/{id}#contact"))),
        Saved::Again(again) => contact_form(&state, &who, id, Some(s), again).await,
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

/// The person a fresh entry is about: the worker's own client (their allocation, else the
/// person their programme works with), not "the whole family", because a contact is always with
/// someone and a note filed against the family is easily missed.
fn own_client(who: &SignedIn, case: &hearth_app::records::CaseRecord) -> Option<Uuid> {
    let own = case
        .allocations
        .iter()
        .find(|a| a.worker_id == who.user.id)
        .and_then(|a| a.person_id);
    let side = if who.user.role == hearth_domain::Role::EngagePractitioner {
        hearth_domain::access::CaseRole::PersonCausingHarm
    } else {
        hearth_domain::access::CaseRole::VictimSurvivor
    };
    let client = case.members.iter().find(|m| m.role == side);
    own.or(client.map(|m| m.person_id))
}

/// The entry form (`correcting` an entry, or a new one), fresh or again.
async fn entry_form(
    state: &AppState,
    who: &SignedIn,
    case_id: CaseId,
    mut form: EntryForm,
    correcting: Option<EntryId>,
    again: Again,
) -> PageResult {
    let (case, safe_contact) =
        casework::safe_contact_in_case(&state.app, &who.actor(), case_id).await?;
    let fresh = correcting.is_none() && again.errors.0.is_empty();
    if fresh && form.person_id.is_empty() {
        form.person_id = own_client(who, &case)
            .map(|p| p.to_string())
            .unwrap_or_default();
    }
    let title = match correcting {
        Some(_) => "Correct an entry",
        None => "Add to the timeline",
    };
    Ok(render(
        again.status(),
        &EntryFormPage {
            layout: Layout::signed(title, who).with_errors(&again.errors),
            errors: again.errors,
            case_id,
            reference: case.summary.reference.clone(),
            members: case
                .members
                .iter()
                .map(|m| {
                    let name = format!("{} {} ({})", m.given_name, m.family_name, m.role.label());
                    (m.person_id, name)
                })
                .collect(),
            show_contact: correcting.is_none() || form.kind == "contact",
            form,
            kinds: EntryKind::ALL,
            methods: CONTACT_METHODS,
            outcomes: CONTACT_OUTCOMES,
            correcting: correcting.is_some(),
            action: match correcting {
                Some(e) => format!("/cases/{case_id}/entries/{e}/correct"),
                None => format!("/cases/{case_id}/entries"),
            },
            safe_contact,
        },
    ))
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
) -> PageResult {
    let form = EntryForm {
        kind: EntryKind::parse(&q.kind)
            .unwrap_or(EntryKind::Note)
            .code()
            .into(),
        person_id: parse_id(&q.person)
            .map(|p| p.to_string())
            .unwrap_or_default(),
        sensitivity: "ordinary".into(),
        submission_key: secrets::new_token(),
        ..Default::default()
    };
    entry_form(&state, &who, id, form, None, Again::fresh()).await
}

/// The page's form starts on "Choose who it is about" and must not be sent without a choice
/// (the API keeps empty as the whole family).
fn chosen(form: &EntryForm) -> Result<(), AppError> {
    if !form.person_id.trim().is_empty() {
        return Ok(());
    }
    let message = if form.kind == EntryKind::Contact.code() {
        "Choose who the contact was with"
    } else {
        "Choose who it is about, or the whole family"
    };
    Err(AppError::invalid("person_id", message))
}

pub async fn add_entry(
    State(state): State<AppState>,
    Signed(who): Signed,
    PathId(id): PathId<CaseId>,
    Form(form): Form<EntryForm>,
) -> PageResult {
    let saved = match chosen(&form) {
        Ok(()) => casework::add_entry(&state.app, &who.actor(), id, &form).await,
        Err(e) => Err(e),
    };
    match saved.or_again()? {
        Saved::Done(_) => {
            let done = if form.kind == "contact" {
                "contact"
            } else {
                "entry"
            };
            Ok(to(&format!("/cases/{id}?done={done}#timeline")))
        }
        Saved::Again(again) => entry_form(&state, &who, id, form, None, again).await,
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

/// One entry with its history, and the withdrawal form (with its reason kept, when again).
async fn entry_page(
    state: &AppState,
    who: &SignedIn,
    (case_id, entry_id): (CaseId, EntryId),
    reason: String,
    again: Again,
) -> PageResult {
    let page = casework::view_entry(&state.app, &who.actor(), case_id, entry_id).await?;
    Ok(render(
        again.status(),
        &EntryPage {
            layout: Layout::signed("Timeline entry", who).with_errors(&again.errors),
            errors: again.errors,
            case_id,
            reference: page.reference,
            entry: page.entry,
            can_record: page.may_correct,
            can_withdraw: page.may_withdraw,
            reason,
        },
    ))
}

pub async fn entry(
    State(state): State<AppState>,
    Signed(who): Signed,
    PathIds(case_id, entry_id): PathIds<CaseId, EntryId>,
) -> PageResult {
    entry_page(
        &state,
        &who,
        (case_id, entry_id),
        String::new(),
        Again::fresh(),
    )
    .await
}

pub async fn correct_page(
    State(state): State<AppState>,
    Signed(who): Signed,
    PathIds(case_id, entry_id): PathIds<CaseId, EntryId>,
) -> PageResult {
    let page = casework::view_entry(&state.app, &who.actor(), case_id, entry_id).await?;
    let form = page.entry.correction_form();
    entry_form(&state, &who, case_id, form, Some(entry_id), Again::fresh()).await
}

pub async fn correct(
    State(state): State<AppState>,
    Signed(who): Signed,
    PathIds(case_id, entry_id): PathIds<CaseId, EntryId>,
    Form(form): Form<EntryForm>,
) -> PageResult {
    let saved = casework::correct_entry(&state.app, &who.actor(), case_id, entry_id, &form).await;
    match saved.or_again()? {
        Saved::Done(_) => Ok(to(&format!("/cases/{case_id}/entries/{entry_id}"))),
        Saved::Again(again) => entry_form(&state, &who, case_id, form, Some(entry_id), again).await,
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
    PathIds(case_id, entry_id): PathIds<CaseId, EntryId>,
    Form(f): Form<WithdrawForm>,
) -> PageResult {
    let actor = who.actor();
    let saved = casework::withdraw_entry(&state.app, &actor, case_id, entry_id, &f.reason).await;
    match saved.or_again()? {
        Saved::Done(()) => Ok(to(&format!("/cases/{case_id}/entries/{entry_id}"))),
        Saved::Again(again) => entry_page(&state, &who, (case_id, entry_id), f.reason, again).await,
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
) -> PageResult {
    match r.or_again()? {
        Saved::Done(()) => Ok(to(&format!("/cases/{case_id}?done={done}"))),
        Saved::Again(again) => {
            let again = again.on_field("worker_id");
            crate::pages::records::case_page(state, who, case_id, Default::default(), again).await
        }
    }
}

pub async fn allocate(
    State(state): State<AppState>,
    Signed(who): Signed,
    PathId(id): PathId<CaseId>,
    Form(f): Form<AllocationForm>,
) -> PageResult {
    let r = casework::allocate(&state.app, &who.actor(), id, &f.worker_id, &f.person_id).await;
    back_to_case(&state, &who, id, "allocated", r).await
}

pub async fn end_allocation(
    State(state): State<AppState>,
    Signed(who): Signed,
    PathId(id): PathId<CaseId>,
    Form(f): Form<AllocationForm>,
) -> PageResult {
    let worker = UserId::parse(&f.worker_id).ok_or(AppError::NotFound)?;
    let person = PersonId::parse(&f.person_id);
    let r = casework::end_allocation(&state.app, &who.actor(), id, worker, person).await;
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
) -> PageResult {
    let actor = who.actor();
    let r = casework::close_case(&state.app, &actor, id, &f.exit_reason, &f.closing_note).await;
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

/// The person details form, fresh or again: on a conflict, based on the version there now,
/// with what the user typed kept.
async fn person_form(
    state: &AppState,
    who: &SignedIn,
    id: PersonId,
    typed: Option<hearth_domain::person::PersonForm>,
    again: Again,
) -> PageResult {
    let v = casework::person_details(&state.app, &who.actor(), id).await?;
    // Behind the firewall there is nothing to change: only the name is known.
    if !v.shown {
        return Err(AppError::Forbidden.into());
    }
    let form = match typed {
        Some(typed) if again.is_conflict() => hearth_domain::person::PersonForm {
            based_on: v.version,
            ..typed
        },
        Some(typed) => typed,
        None => hearth_domain::person::PersonForm::from_details(&v.details, v.version),
    };
    Ok(render(
        again.status(),
        &PersonEditPage {
            layout: Layout::signed("Change details", who).with_errors(&again.errors),
            errors: again.errors,
            person_id: id.uuid(),
            form,
            equality_shown: v.equality_shown,
            conflict: again.conflict,
            genders: hearth_domain::person::GENDERS,
            disability: hearth_domain::person::DISABILITY,
        },
    ))
}

pub async fn edit_person(
    State(state): State<AppState>,
    Signed(who): Signed,
    PathId(id): PathId<PersonId>,
) -> PageResult {
    person_form(&state, &who, id, None, Again::fresh()).await
}

pub async fn save_person(
    State(state): State<AppState>,
    Signed(who): Signed,
    PathId(id): PathId<PersonId>,
    Form(form): Form<hearth_domain::person::PersonForm>,
) -> PageResult {
    match casework::update_person(&state.app, &who.actor(), id, &form)
        .await
        .or_again()?
    {
        Saved::Done(_) => Ok(to(&format!("/people/{id}"))),
        Saved::Again(again) => person_form(&state, &who, id, Some(form), again).await,
    }
}

// ---- the family --------------------------------------------------------------------------------

pub async fn add_member(
    State(state): State<AppState>,
    Signed(who): Signed,
    PathId(id): PathId<CaseId>,
    Form(f): Form<casework::MemberForm>,
) -> PageResult {
    let r = casework::add_member(&state.app, &who.actor(), id, &f).await;
    back_to_case(&state, &who, id, "member_added", r.map(|_| ())).await
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
) -> PageResult {
    let (actor, app) = (who.actor(), &state.app);
    let r =
        casework::add_relationship(app, &actor, id, &f.from_person, &f.kind, &f.to_person).await;
    back_to_case(&state, &who, id, "relationship_added", r).await
}

pub async fn add_agency(
    State(state): State<AppState>,
    Signed(who): Signed,
    PathId(id): PathId<CaseId>,
    Form(f): Form<hearth_domain::family::AgencyForm>,
) -> PageResult {
    let r = casework::add_agency(&state.app, &who.actor(), id, &f).await;
    back_to_case(&state, &who, id, "agency_added", r.map(|_| ())).await
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
) -> PageResult {
    let actor = who.actor();
    let r = casework::close_involvement(&state.app, &actor, id, &f.person_id, &f.exit_reason).await;
    back_to_case(&state, &who, id, "involvement_closed", r).await
}
