//! A person's details (names, other names, date of birth, language, equality answers), kept in versions.

use crate::{event, App, AppError, Result};
use hearth_domain::access::{Action, FieldClass};
use hearth_domain::ids::PersonId;
use hearth_domain::{Actor, Timestamp};
use hearth_store::access::{Guard, PersonGuard};
use hearth_store::{people, UnitOfWork};

#[derive(Debug, Clone)]
pub struct PersonDetailsView {
    pub details: hearth_domain::person::PersonDetails,
    pub version: i64,
    /// False behind the firewall: then only the names are filled in.
    pub shown: bool,
    /// Equality monitoring is sensitive: withheld behind the firewall like notes.
    pub equality_shown: bool,
    /// Earlier versions, newest first: (version, replaced at, by whom, details then).
    pub earlier: Vec<(i64, Timestamp, String, hearth_domain::person::PersonDetails)>,
}

pub async fn person_details(app: &App, actor: &Actor, id: PersonId) -> Result<PersonDetailsView> {
    let mut w = app.view().await?;
    let person = w.person(actor, id, Action::ViewCaseRecord).await?;
    let view = details_with(&mut w, &person).await?;
    w.commit().await?;
    Ok(view)
}

/// The guard's person's details, within work already under way. Opening the equality answers
/// through a guard opened to look records the view of them by itself.
pub(crate) async fn details_with(
    w: &mut UnitOfWork,
    person: &PersonGuard,
) -> Result<PersonDetailsView> {
    let id = person.person_id();
    let stored = people::get(w, person, id.uuid())
        .await?
        .ok_or(AppError::NotFound)?;
    // Other names, date of birth, gender and language are facts about the person: behind the
    // firewall a victim or child is a name and a role, nothing more, and nothing is decrypted.
    if !person.may_see(FieldClass::Ordinary) {
        return Ok(PersonDetailsView {
            details: hearth_domain::person::PersonDetails {
                given_name: stored.given_name.clone(),
                family_name: stored.family_name.clone(),
                ..Default::default()
            },
            version: stored.version,
            shown: false,
            equality_shown: false,
            earlier: Vec::new(),
        });
    }
    let equality_shown = person.may_see(FieldClass::Sensitive);
    let details = stored.open(person)?;
    let mut earlier = Vec::new();
    for v in people::versions(w, person).await? {
        let Some(json) = person.open(&v.snapshot)?.shown() else {
            continue;
        };
        let mut then: hearth_domain::person::PersonDetails =
            serde_json::from_str(&json).map_err(|e| AppError::Internal(e.to_string()))?;
        if !equality_shown {
            then.equality = Default::default();
        }
        earlier.push((v.version, v.replaced_at, v.replaced_by, then));
    }
    Ok(PersonDetailsView {
        details,
        version: stored.version,
        shown: true,
        equality_shown,
        earlier,
    })
}

/// Change a person's details. The earlier state is kept; someone else's save in between is a
/// conflict, never overwritten. Equality answers the user may not see are kept as they were.
pub async fn update_person(
    app: &App,
    actor: &Actor,
    id: PersonId,
    form: &hearth_domain::person::PersonForm,
) -> Result<i64> {
    let now = app.now();
    let mut w = app.store.work(now).await?;
    let person = w.person(actor, id, Action::RecordWork).await?;
    if !person.may_see(FieldClass::Ordinary) {
        return Err(AppError::Forbidden);
    }
    // Validated after the access check, so a refusal never depends on what was sent.
    let new = form.parse(now)?;
    let equality = if person.may_see(FieldClass::Sensitive) {
        people::EqualityChange::Set(&new.equality)
    } else {
        people::EqualityChange::Keep
    };
    let change = people::PersonUpdate {
        based_on: form.based_on,
        by: actor.user_id,
        details: &new,
        equality,
    };
    let Some(next) = people::update(&mut w, &person, now, change).await? else {
        return Err(AppError::Conflict {
            field: None,
            message: "Someone else changed these details while you were editing. Nothing was saved. Check them and make your change again.".into(),
        });
    };
    w.audit(event(actor, "person.update", "person", id).detail("version", next));
    w.commit().await?;
    Ok(next)
}
