//! Other agencies involved with the family or one person in it (a child's school, a GP).

use crate::{event, App, AppError, Result};
use hearth_domain::access::{Action, FieldClass};
use hearth_domain::ids::{CaseId, PersonId};
use hearth_domain::validation::Invalid;
use hearth_domain::Actor;
use hearth_store::access::{CaseGuard, Guard};
use hearth_store::{cases, UnitOfWork};
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct AgencyView {
    pub id: Uuid,
    pub person_id: Option<Uuid>,
    pub agency: hearth_domain::family::Agency,
}

/// Agencies on a case the user may see: a victim's or child's (their school, their GP) are
/// location data, behind the firewall.
pub async fn agencies(app: &App, actor: &Actor, case_id: CaseId) -> Result<Vec<AgencyView>> {
    let mut w = app.view().await?;
    let case = w.case(actor, case_id, Action::ViewCaseRecord).await?;
    let out = agencies_in(&mut w, &case).await?;
    w.commit().await?;
    Ok(out)
}

/// The agencies on the guard's case that the actor may see.
pub(crate) async fn agencies_in(w: &mut UnitOfWork, case: &CaseGuard) -> Result<Vec<AgencyView>> {
    let mut out = Vec::new();
    for a in cases::agencies(w, case).await? {
        let Some(json) = case.open(&a.details)?.shown() else {
            continue;
        };
        let agency = serde_json::from_str(&json).map_err(|e| AppError::Internal(e.to_string()))?;
        out.push(AgencyView {
            id: a.id,
            person_id: a.person_id,
            agency,
        });
    }
    Ok(out)
}

pub async fn add_agency(
    app: &App,
    actor: &Actor,
    case_id: CaseId,
    form: &hearth_domain::family::AgencyForm,
) -> Result<Uuid> {
    let now = app.now();
    let mut w = app.store.work(now).await?;
    let case = w.case(actor, case_id, Action::RecordWork).await?;
    let roles = case.roles();
    let mut invalid = match form.parse() {
        Ok(_) => Invalid::default(),
        Err(i) => i,
    };
    let person = if form.person_id.trim().is_empty() {
        None
    } else {
        match PersonId::parse(&form.person_id)
            .filter(|p| roles.iter().any(|(id, _)| *id == p.uuid()))
        {
            Some(p) => Some(p),
            None => {
                invalid.push("person_id", "Choose someone who is in this case");
                None
            }
        }
    };
    invalid.into_result()?;
    let agency = form.parse()?;
    if !case
        .access()
        .may_see_about(person.map(PersonId::uuid), FieldClass::Location)
    {
        return Err(AppError::invalid(
            "person_id",
            "You can record agencies only for the people you work with",
        ));
    }
    let cipher = w.cipher(actor.org_id).await?;
    let json = serde_json::to_string(&agency).map_err(|e| AppError::Internal(e.to_string()))?;
    let seal = |id| cipher.encrypt(&cases::agency_place(id), &json);
    let id = cases::add_agency(&mut w, &case, now, person, seal).await?;
    w.audit(event(actor, "case.agency_add", "case", case_id).detail("agency", id));
    w.commit().await?;
    Ok(id)
}
