//! Who is in the family and how they are related, and adding someone with a role.

use crate::{event, App, AppError, Result};
use hearth_domain::access::{Action, FieldClass};
use hearth_domain::ids::{CaseId, PersonId};
use hearth_domain::person::Identity;
use hearth_domain::validation::Invalid;
use hearth_domain::Actor;
use hearth_store::access::{CaseGuard, Guard};
use hearth_store::cases;
use uuid::Uuid;

/// Someone to add to a case, with their role in it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct MemberForm {
    /// Someone already in the case who takes another role in it (in adolescent-to-parent
    /// violence a young person is both a child and the person causing harm). Names are then not needed.
    pub person_id: String,
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: String,
    /// `victim_survivor`, `person_causing_harm`, `child_or_young_person` or `other_adult`.
    pub role: String,
}

pub async fn add_member(
    app: &App,
    actor: &Actor,
    case_id: CaseId,
    form: &MemberForm,
) -> Result<PersonId> {
    use hearth_domain::validation::DisplayName;
    let now = app.now();
    if !form.person_id.trim().is_empty() {
        return add_role(app, actor, case_id, &form.person_id, &form.role).await;
    }
    let mut invalid = Invalid::default();
    let given = invalid.check(DisplayName::parse("given_name", &form.given_name));
    let family = invalid.check(DisplayName::parse("family_name", &form.family_name));
    let today = hearth_domain::ukdate::to_uk(now).date();
    let dob = invalid
        .check(hearth_domain::referral::parse_past_date(
            "date_of_birth",
            &form.date_of_birth,
            today,
            "the date of birth",
        ))
        .flatten();
    let role = hearth_domain::access::CaseRole::parse(&form.role);
    if role.is_none() {
        invalid.push("role", "Choose their role in this case from the list");
    }
    let mut w = app.store.work(now).await?;
    let case = w.case(actor, case_id, Action::RecordWork).await?;
    invalid.into_result()?;
    if let Some(role) = role {
        refuse_role_behind_firewall(&case, &[role])?;
    }
    let (given, family, role) = (
        given.expect("checked"),
        family.expect("checked"),
        role.expect("checked"),
    );
    let dob = dob.map(|d| d.to_string());
    let cipher = w.cipher(actor.org_id).await?;
    let identity = Identity::named(given.as_str(), family.as_str(), dob.as_deref());
    let person = cases::insert_person(&mut w, &cipher, now, actor.org_id, &identity).await?;
    cases::add_member(&mut w, now, actor.org_id, case_id, person, role).await?;
    w.audit(
        event(actor, "case.member_add", "case", case_id)
            .detail("person", person)
            .detail("role", role.code()),
    );
    w.commit().await?;
    Ok(person)
}

/// Link two people in the case. Both must be in it; "lives with" builds the household.
pub async fn add_relationship(
    app: &App,
    actor: &Actor,
    case_id: CaseId,
    from: &str,
    kind: &str,
    to: &str,
) -> Result<()> {
    let now = app.now();
    let mut w = app.store.work(now).await?;
    let case = w.case(actor, case_id, Action::RecordWork).await?;
    let member = |s: &str| hearth_domain::ids::parse_id(s).filter(|p| case.covers(*p));
    let mut invalid = Invalid::default();
    let (from, to) = (member(from), member(to));
    if from.is_none() {
        invalid.push("from_person", "Choose someone who is in this case");
    }
    if to.is_none() {
        invalid.push("to_person", "Choose someone who is in this case");
    }
    if !hearth_domain::family::RELATIONSHIPS
        .iter()
        .any(|(c, _)| *c == kind)
    {
        invalid.push("kind", "Choose how they are related");
    }
    if from.is_some() && from == to {
        invalid.push("to_person", "Choose two different people");
    }
    invalid.into_result()?;
    refuse_behind_firewall(&case, &[from, to])?;
    let r = cases::Relationship {
        from_person: from.expect("checked"),
        kind: kind.to_string(),
        to_person: to.expect("checked"),
    };
    match cases::add_relationship(&mut w, &case, now, &r).await {
        Err(e) if e.is_unique_violation() => {
            return Err(AppError::Conflict {
                field: Some("kind"),
                message: "That relationship is already recorded".into(),
            })
        }
        other => other?,
    }
    w.audit(event(actor, "case.relationship_add", "case", case_id).detail("kind", kind));
    w.commit().await?;
    Ok(())
}

/// Give someone already in the case another role in it.
async fn add_role(
    app: &App,
    actor: &Actor,
    case_id: CaseId,
    person: &str,
    role: &str,
) -> Result<PersonId> {
    let now = app.now();
    let mut w = app.store.work(now).await?;
    let case = w.case(actor, case_id, Action::RecordWork).await?;
    let roles = case.roles();
    let mut invalid = Invalid::default();
    let person =
        hearth_domain::ids::parse_id(person).filter(|p| roles.iter().any(|(id, _)| id == p));
    if person.is_none() {
        invalid.push("person_id", "Choose someone who is in this case");
    }
    let role = hearth_domain::access::CaseRole::parse(role);
    if role.is_none() {
        invalid.push("role", "Choose their role in this case from the list");
    }
    invalid.into_result()?;
    let (person, role) = (person.expect("checked"), role.expect("checked"));
    refuse_behind_firewall(&case, &[Some(person)])?;
    let mut with_new: Vec<_> = roles
        .iter()
        .filter(|(id, _)| *id == person)
        .map(|(_, r)| *r)
        .collect();
    with_new.push(role);
    refuse_role_behind_firewall(&case, &with_new)?;
    if roles.iter().any(|(id, r)| *id == person && *r == role) {
        return Err(AppError::Conflict {
            field: Some("role"),
            message: "They already have that role in this case".into(),
        });
    }
    let person = PersonId::from_uuid(person);
    cases::add_member(&mut w, now, actor.org_id, case_id, person, role).await?;
    w.audit(
        event(actor, "case.member_add", "case", case_id)
            .detail("person", person)
            .detail("role", role.code()),
    );
    w.commit().await?;
    Ok(person)
}

/// Refuse a change about anyone here who is behind the firewall for this user: of a victim or
/// child, a worker with the person causing harm changes nothing, not even their name.
fn refuse_behind_firewall(case: &CaseGuard, people: &[Option<Uuid>]) -> Result<()> {
    if people
        .iter()
        .flatten()
        .any(|p| !case.access().may_see(*p, FieldClass::Ordinary))
    {
        return Err(AppError::Forbidden);
    }
    Ok(())
}

/// Refuse adding someone with these roles if they would be behind the firewall for this user.
fn refuse_role_behind_firewall(
    case: &CaseGuard,
    roles: &[hearth_domain::access::CaseRole],
) -> Result<()> {
    if !case.access().may_see_roles(roles, FieldClass::Ordinary) {
        return Err(AppError::invalid(
            "role",
            "You can add only people you work with. Ask the worker of the victim or the children to add them.",
        ));
    }
    Ok(())
}
