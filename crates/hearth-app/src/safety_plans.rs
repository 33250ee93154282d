//! Safety plans: versioned, sealed, and location-class, so the firewall applies in full.

use crate::risk_facts::{work_case, WorkCase};
use crate::{event, App, AppError, Result};
use hearth_domain::access::{Action, CaseRole, FieldClass};
use hearth_domain::ids::PersonId;
use hearth_domain::safety_plan::{SafetyPlan, SafetyPlanForm, Template};
use hearth_domain::ukdate::uk_today;
use hearth_domain::{Actor, Timestamp};
use hearth_store::access::Guard;
use hearth_store::{cases, safety_plans as store, UnitOfWork};
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize)]
pub struct PlanVersionView {
    pub version: i64,
    pub plan: SafetyPlan,
    pub recorded_at: Timestamp,
    pub recorded_by: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct PlanView {
    pub person_id: Uuid,
    pub person_name: String,
    /// The template a new plan starts from: the child one for children and young people.
    pub template: Template,
    /// Newest first; empty if no plan yet.
    pub versions: Vec<PlanVersionView>,
    pub can_record: bool,
    pub review_overdue: bool,
}

impl PlanView {
    pub fn current(&self) -> Option<&PlanVersionView> {
        self.versions.first()
    }

    pub fn version(&self) -> i64 {
        self.current().map(|v| v.version).unwrap_or(0)
    }
}

async fn open_versions(
    w: &mut UnitOfWork,
    guard: &impl Guard,
    person_id: PersonId,
) -> Result<Vec<PlanVersionView>> {
    store::versions(w, guard, person_id.uuid())
        .await?
        .into_iter()
        .map(|v| {
            let json = guard.open(&v.sealed)?.shown().ok_or(AppError::Forbidden)?;
            let plan: SafetyPlan = serde_json::from_str(&json)
                .map_err(|e| AppError::Internal(format!("safety plan: {e}")))?;
            Ok(PlanVersionView {
                version: v.version,
                plan,
                recorded_at: v.recorded_at,
                recorded_by: v.recorded_by_name,
            })
        })
        .collect()
}

/// A person's safety plan and its history. Audited as a view of location data.
pub async fn view(app: &App, actor: &Actor, person_id: PersonId) -> Result<PlanView> {
    let now = app.now();
    let mut w = app.store.view(now).await?;
    let guard = w.person(actor, person_id, Action::ViewCaseRecord).await?;
    if !guard.may_see(FieldClass::Location) {
        return Err(AppError::Forbidden);
    }
    let person = cases::person_record(&mut w, &guard).await?;
    let work = crate::risk_facts::work_case_of(&mut w, &guard)
        .await
        .ok()
        .map(|(_, role)| role);
    let template = match work {
        Some(CaseRole::ChildOrYoungPerson) => Template::Child,
        Some(_) => Template::Adult,
        None if person
            .cases
            .iter()
            .any(|(_, r)| *r == CaseRole::ChildOrYoungPerson) =>
        {
            Template::Child
        }
        None => Template::Adult,
    };
    let versions = open_versions(&mut w, &guard, person_id).await?;
    w.commit().await?;
    let review_overdue = versions
        .first()
        .is_some_and(|v| v.plan.review_on < uk_today(now));
    Ok(PlanView {
        person_id: person_id.uuid(),
        person_name: format!("{} {}", person.given_name, person.family_name),
        template,
        versions,
        can_record: work.is_some(),
        review_overdue,
    })
}

/// Save a new version. `based_on` is the version the user was editing: if someone else saved
/// in between, nothing is overwritten and the user is told.
pub async fn save(
    app: &App,
    actor: &Actor,
    person_id: PersonId,
    form: &SafetyPlanForm,
    based_on: i64,
) -> Result<i64> {
    let now = app.now();
    let mut w = app.store.work(now).await?;
    // The firewall first: someone who may not see the plan learns nothing from its errors.
    let WorkCase { case_id, .. } =
        work_case(&mut w, actor, person_id, FieldClass::Location).await?;
    let plan = form.parse(uk_today(now))?;
    let current = store::latest_version(&mut w, actor.org_id, person_id.uuid()).await?;
    let conflict = || AppError::Conflict {
        field: None,
        message:
            "Someone else changed this safety plan while you were editing. Nothing was saved. \
                  Check the current plan and make your change again."
                .into(),
    };
    if current != based_on {
        return Err(conflict());
    }
    let version = current + 1;
    let cipher = w.cipher(actor.org_id).await?;
    let json = serde_json::to_string(&plan).map_err(|e| AppError::Internal(e.to_string()))?;
    match store::insert(
        &mut w,
        now,
        store::NewPlan {
            org_id: actor.org_id,
            case_id,
            person_id: person_id.uuid(),
            version,
            template: plan.template.code(),
            review_on: plan.review_on,
            sealed: cipher.encrypt(&store::place(person_id.uuid(), version), &json)?,
            by: actor.user_id,
        },
    )
    .await
    {
        Err(e) if e.is_unique_violation() => return Err(conflict()),
        other => other?,
    }
    w.audit(
        event(actor, "person.safety_plan_update", "person", person_id).detail("version", version),
    );
    w.commit().await?;
    Ok(version)
}
