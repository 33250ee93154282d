//! A person's page: who they are, the cases of theirs the user may open, their contact details
//! and their details with earlier versions, read as one unit of work with one access resolution.

use crate::casework::{self, ContactView, PersonDetailsView};
use crate::{App, Result};
use hearth_domain::access::Action;
use hearth_domain::ids::PersonId;
use hearth_domain::Actor;
use hearth_store::cases::{self, PersonRecord};

pub struct PersonPage {
    pub person: PersonRecord,
    pub contact: ContactView,
    pub details: PersonDetailsView,
    pub may: crate::case_page::May,
}

pub async fn view(app: &App, actor: &Actor, person_id: PersonId) -> Result<PersonPage> {
    let mut w = app.view().await?;
    let guard = w.person(actor, person_id, Action::ViewCaseRecord).await?;
    let person = cases::person_record(&mut w, &guard).await?;
    let contact = casework::contact_with(&mut w, &guard).await?;
    let details = casework::details_with(&mut w, &guard).await?;
    w.commit().await?;
    Ok(PersonPage {
        person,
        contact,
        details,
        may: crate::case_page::May::from_person(&guard),
    })
}
