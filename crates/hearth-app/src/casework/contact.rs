//! Contact details and safe contact arrangements, with their history.

use crate::{event, App, AppError, Result};
use hearth_domain::access::{Action, FieldClass};
use hearth_domain::contact::{ContactDetails, ContactForm};
use hearth_domain::ids::PersonId;
use hearth_domain::{Actor, Timestamp};
use hearth_store::access::{Guard, PersonGuard};
use hearth_store::sealed::Opened;
use hearth_store::{contact, UnitOfWork};

/// What the user may see of a person's contact details.
#[derive(Debug, Clone)]
pub enum ContactView {
    /// Nothing recorded yet (and the user could see it if there were).
    NoneRecorded,
    /// The current details, with every earlier version.
    Shown {
        current: ContactDetails,
        version: i64,
        recorded_at: Timestamp,
        recorded_by: String,
        earlier: Vec<(i64, Timestamp, String, ContactDetails)>,
    },
    /// The user may not see them. Nothing is said about whether any exist.
    Withheld,
}

impl ContactView {
    pub fn version(&self) -> i64 {
        match self {
            ContactView::Shown { version, .. } => *version,
            _ => 0,
        }
    }
}

/// One version of someone's contact details, opened through the guard (which audits the view);
/// `None` if withheld.
pub(crate) fn open_contact(
    guard: &impl Guard,
    v: &contact::ContactVersion,
) -> Result<Option<ContactDetails>> {
    match guard.open(&v.sealed)? {
        Opened::Shown(json) => serde_json::from_str(&json)
            .map(Some)
            .map_err(|e| AppError::Internal(format!("contact details: {e}"))),
        Opened::Withheld => Ok(None),
    }
}

/// Every version of the contact details the guard lets this user see; `None` if withheld.
pub(crate) async fn read_contact(
    w: &mut UnitOfWork,
    guard: &impl Guard,
    person_id: PersonId,
) -> Result<ContactView> {
    let versions = contact::versions(w, guard, person_id.uuid()).await?;
    let open = |v: &contact::ContactVersion| open_contact(guard, v);
    let Some(newest) = versions.first() else {
        return Ok(ContactView::NoneRecorded);
    };
    let Some(current) = open(newest)? else {
        return Ok(ContactView::Withheld);
    };
    let mut earlier = Vec::new();
    for v in &versions[1..] {
        if let Some(d) = open(v)? {
            earlier.push((v.version, v.recorded_at, v.recorded_by_name.clone(), d));
        }
    }
    Ok(ContactView::Shown {
        current,
        version: newest.version,
        recorded_at: newest.recorded_at,
        recorded_by: newest.recorded_by_name.clone(),
        earlier,
    })
}

/// How each person in a case may safely be contacted, for those whose contact details this user
/// may see: shown where a contact is recorded, so a call is not made a way she said is not safe.
#[derive(Debug, Clone)]
pub struct SafeContact {
    pub person_id: uuid::Uuid,
    pub name: String,
    pub arrangements: Vec<hearth_domain::contact::Arrangement>,
}

/// The case and its people's safe contact arrangements, read as one view (each shown
/// arrangement is audited as a view of that person's contact details).
pub async fn safe_contact_in_case(
    app: &App,
    actor: &Actor,
    case_id: hearth_domain::ids::CaseId,
) -> Result<(hearth_store::cases::CaseRecord, Vec<SafeContact>)> {
    let mut w = app.view().await?;
    let case = w.case(actor, case_id, Action::ViewCaseRecord).await?;
    let record = hearth_store::cases::record(&mut w, &case).await?;
    let mut out = Vec::new();
    for m in &record.members {
        if out.iter().any(|s: &SafeContact| s.person_id == m.person_id)
            || !case.access().may_see(m.person_id, FieldClass::Location)
        {
            continue;
        }
        if let ContactView::Shown { current, .. } =
            read_contact(&mut w, &case, PersonId::from_uuid(m.person_id)).await?
        {
            if !current.arrangements.is_empty() {
                out.push(SafeContact {
                    person_id: m.person_id,
                    name: m.full_name(),
                    arrangements: current.arrangements,
                });
            }
        }
    }
    w.commit().await?;
    Ok((record, out))
}

/// A person's contact details as this user may see them. Audited as a view of location data.
pub async fn view_contact(app: &App, actor: &Actor, person_id: PersonId) -> Result<ContactView> {
    let mut w = app.view().await?;
    let person = w.person(actor, person_id, Action::ViewCaseRecord).await?;
    let view = contact_with(&mut w, &person).await?;
    w.commit().await?;
    Ok(view)
}

/// The contact details form: whose details they are, and what the user may see of them, read
/// as one view.
pub async fn contact_form(
    app: &App,
    actor: &Actor,
    person_id: PersonId,
) -> Result<(String, ContactView)> {
    let mut w = app.view().await?;
    let person = w.person(actor, person_id, Action::ViewCaseRecord).await?;
    let record = hearth_store::cases::person_record(&mut w, &person).await?;
    let view = contact_with(&mut w, &person).await?;
    w.commit().await?;
    Ok((
        format!("{} {}", record.given_name, record.family_name),
        view,
    ))
}

/// The guard's person's contact details, within work already under way (which audits the view).
pub(crate) async fn contact_with(w: &mut UnitOfWork, person: &PersonGuard) -> Result<ContactView> {
    if !person.may_see(FieldClass::Location) {
        return Ok(ContactView::Withheld);
    }
    let person_id = person.person_id();
    read_contact(w, person, person_id).await
}

/// Save new contact details. `based_on` is the version the user was editing: if someone else
/// saved in between, nothing is overwritten and the user is told.
pub async fn save_contact(
    app: &App,
    actor: &Actor,
    person_id: PersonId,
    form: &ContactForm,
    based_on: i64,
) -> Result<i64> {
    let details = form.parse()?;
    let now = app.now();
    let mut w = app.store.work(now).await?;
    let person = w.person(actor, person_id, Action::RecordWork).await?;
    if !person.may_see(FieldClass::Location) {
        return Err(AppError::Forbidden);
    }
    let current = contact::latest_version(&mut w, &person, person_id.uuid()).await?;
    if current != based_on {
        return Err(AppError::Conflict {
            field: None,
            message: "Someone else changed these contact details while you were editing. Nothing was saved. \
                      Check the current details and make your change again."
                .into(),
        });
    }
    let version = current + 1;
    let new = contact::NewContact {
        org_id: actor.org_id,
        person_id: person_id.uuid(),
        version,
        details: &details,
        by: actor.user_id,
    };
    match contact::insert(&mut w, person.cipher(), now, new).await {
        Err(e) if e.is_unique_violation() => {
            return Err(AppError::Conflict {
                field: None,
                message: "Someone else saved these contact details at the same moment. Nothing was saved. Check and try again."
                    .into(),
            })
        }
        other => other?,
    }
    w.audit(event(actor, "person.contact_update", "person", person_id).detail("version", version));
    w.commit().await?;
    Ok(version)
}
