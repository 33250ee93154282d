//! Work recorded on a case: contact details with safe contact arrangements, and the timeline of
//! notes, contacts and key events. The firewall is applied here, on every read and write:
//! someone whose only link to a family is work with the person causing harm never receives a
//! victim's or child's location or sensitive data, not even as an error message.

use crate::submission::{self, Once};
use crate::{event, App, AppError, Result};
use hearth_domain::access::{Action, FieldClass};
use hearth_domain::contact::{ContactDetails, ContactForm};
use hearth_domain::submission::SubmissionKind;
use hearth_domain::timeline::{EntryForm, EntryKind, Sensitivity};
use hearth_domain::validation::{Invalid, Text};
use hearth_domain::{Actor, Timestamp};
use hearth_store::access;
use hearth_store::access::{CaseGuard, CasesGuard, Guard};
use hearth_store::sealed::Opened;
use hearth_store::{cases, contact, people, timeline, UnitOfWork};
use uuid::Uuid;

// ---- contact details ---------------------------------------------------------------------------

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

/// Every version of the contact details the guard lets this user see; `None` if withheld.
pub(crate) async fn read_contact(
    w: &mut UnitOfWork,
    guard: &impl Guard,
    person_id: Uuid,
) -> Result<ContactView> {
    let versions = contact::versions(w, guard, person_id).await?;
    let open = |v: &contact::ContactVersion| -> Result<Option<ContactDetails>> {
        match guard.open(&v.sealed)? {
            Opened::Shown(json) => serde_json::from_str(&json)
                .map(Some)
                .map_err(|e| AppError::Internal(format!("contact details: {e}"))),
            Opened::Withheld => Ok(None),
        }
    };
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

/// A person's contact details as this user may see them. Audited as a view of location data.
pub async fn view_contact(app: &App, actor: &Actor, person_id: Uuid) -> Result<ContactView> {
    let mut w = app.work().await?;
    let person = w.person(actor, person_id, Action::ViewCaseRecord).await?;
    let view = if person.may_see(FieldClass::Location) {
        let v = read_contact(&mut w, &person, person_id).await?;
        w.audit(event(actor, "person.contact_view", "person", person_id));
        v
    } else {
        ContactView::Withheld
    };
    w.commit().await?;
    Ok(view)
}

/// Save new contact details. `based_on` is the version the user was editing: if someone else
/// saved in between, nothing is overwritten and the user is told.
pub async fn save_contact(
    app: &App,
    actor: &Actor,
    person_id: Uuid,
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
    let current = contact::latest_version(&mut w, actor.org_id, person_id).await?;
    if current != based_on {
        return Err(AppError::Conflict {
            field: None,
            message: "Someone else changed these contact details while you were editing. Nothing was saved. \
                      Check the current details and make your change again."
                .into(),
        });
    }
    let version = current + 1;
    let cipher = app.store.cipher(&mut w, actor.org_id).await?;
    let json = serde_json::to_string(&details).map_err(|e| AppError::Internal(e.to_string()))?;
    let sealed = cipher.encrypt(&contact::place(person_id, version), &json)?;
    match contact::insert(&mut w, now, actor.org_id, person_id, version, sealed, actor.user_id).await {
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

// ---- the timeline ------------------------------------------------------------------------------

/// One version of an entry, opened.
#[derive(Debug, Clone)]
pub struct VersionView {
    pub version: i64,
    pub occurred_at: Timestamp,
    pub contact_method: Option<String>,
    pub contact_outcome: Option<String>,
    pub body: String,
    pub recorded_at: Timestamp,
    pub recorded_by: String,
}

#[derive(Debug, Clone)]
pub struct EntryView {
    pub id: Uuid,
    pub person_id: Option<Uuid>,
    pub person_name: Option<String>,
    pub kind: EntryKind,
    pub sensitivity: Sensitivity,
    pub created_at: Timestamp,
    pub created_by: String,
    pub withdrawn: Option<(Timestamp, String, String)>,
    /// Newest first; the first is the current text.
    pub versions: Vec<VersionView>,
}

impl EntryView {
    pub fn current(&self) -> &VersionView {
        &self.versions[0]
    }
    pub fn corrected(&self) -> bool {
        self.versions.len() > 1
    }
}

/// What to show of a timeline.
#[derive(Debug, Clone, Default)]
pub struct TimelineFilter {
    pub person_id: Option<Uuid>,
    pub kind: Option<EntryKind>,
}

/// Which entries of a case this user may read: a sensitive entry about a protected person (or
/// about the whole family) is dropped for someone behind the firewall.
pub(crate) async fn visible_entries(
    w: &mut UnitOfWork,
    case: &CaseGuard,
) -> Result<Vec<EntryView>> {
    let name_of = |p: Uuid| {
        case.members()
            .iter()
            .find(|m| m.person_id == p)
            .map(|m| format!("{} {}", m.given_name, m.family_name))
    };
    let mut out = Vec::new();
    for e in timeline::for_case(w, case).await? {
        // Every version of an entry, and its withdrawal reason, share its subject and class:
        // if the newest is withheld the entry is not shown at all, not even that it exists.
        let mut versions = Vec::with_capacity(e.versions.len());
        for v in &e.versions {
            let Opened::Shown(body) = case.open(&v.body)? else {
                break;
            };
            versions.push(VersionView {
                version: v.version,
                occurred_at: v.occurred_at,
                contact_method: v.contact_method.clone(),
                contact_outcome: v.contact_outcome.clone(),
                body,
                recorded_at: v.recorded_at,
                recorded_by: v.recorded_by_name.clone(),
            });
        }
        if versions.len() != e.versions.len() {
            continue;
        }
        let withdrawn = match (e.withdrawn_at, &e.withdrawn_reason) {
            (Some(at), Some(reason)) => Some((
                at,
                e.withdrawn_by_name.clone().unwrap_or_default(),
                case.open(reason)?.shown().ok_or(AppError::NotFound)?,
            )),
            _ => None,
        };
        out.push(EntryView {
            id: e.id,
            person_id: e.person_id,
            person_name: e.person_id.and_then(name_of),
            kind: e.kind,
            sensitivity: e.sensitivity,
            created_at: e.created_at,
            created_by: e.created_by_name.clone(),
            withdrawn,
            versions,
        });
    }
    Ok(out)
}

/// The case's timeline as this user may see it, filtered. Audited as a view of the case's notes.
pub async fn view_timeline(
    app: &App,
    actor: &Actor,
    case_id: Uuid,
    filter: &TimelineFilter,
) -> Result<Vec<EntryView>> {
    let mut w = app.work().await?;
    let case = w.case(actor, case_id, Action::ViewCaseRecord).await?;
    let mut entries = visible_entries(&mut w, &case).await?;
    entries.retain(|e| {
        filter.person_id.is_none_or(|p| e.person_id == Some(p))
            && filter.kind.is_none_or(|k| e.kind == k)
    });
    w.audit(event(actor, "case.timeline_view", "case", case_id));
    w.commit().await?;
    Ok(entries)
}

/// One entry with its whole history, if the user may read it.
pub async fn view_entry(
    app: &App,
    actor: &Actor,
    case_id: Uuid,
    entry_id: Uuid,
) -> Result<EntryView> {
    let mut w = app.work().await?;
    let case = w.case(actor, case_id, Action::ViewCaseRecord).await?;
    let entry = visible_entries(&mut w, &case)
        .await?
        .into_iter()
        .find(|e| e.id == entry_id)
        .ok_or(AppError::NotFound)?;
    w.audit(event(actor, "case.entry_view", "case", case_id).detail("entry", entry_id));
    w.commit().await?;
    Ok(entry)
}

/// Check the person an entry is about belongs to the case, and that the writer may see entries
/// of this sensitivity about them (nobody writes what they could not read back).
fn check_subject(
    case: &CaseGuard,
    form: &EntryForm,
    sensitivity: Sensitivity,
) -> Result<Option<Uuid>> {
    let roles = case.roles();
    let person = if form.person_id.trim().is_empty() {
        None
    } else {
        match hearth_domain::ids::parse_id(&form.person_id)
            .filter(|p| roles.iter().any(|(id, _)| id == p))
        {
            Some(p) => Some(p),
            None => {
                return Err(AppError::invalid(
                    "person_id",
                    "Choose someone who is in this case",
                ))
            }
        }
    };
    let access = case.access();
    if !access.may_see_about(person, sensitivity.class()) {
        // Behind the firewall nothing about a victim or child is written, of any class: the
        // worker could not read it back, and an entry about her is a fact about her.
        return Err(AppError::invalid(
            if sensitivity == Sensitivity::Sensitive && access.may_see_about(person, FieldClass::Ordinary) {
                "sensitivity"
            } else {
                "person_id"
            },
            "You can record entries only about the people you work with. Choose your client, or ask the worker of the person this is about.",
        ));
    }
    Ok(person)
}

/// Add a note, contact or key event. Sending the same form twice saves it once.
pub async fn add_entry(app: &App, actor: &Actor, case_id: Uuid, form: &EntryForm) -> Result<Uuid> {
    let now = app.now();
    let mut w = app.store.work(now).await?;
    let case = w.case(actor, case_id, Action::RecordWork).await?;
    let scope = submission::Scope {
        org_id: actor.org_id,
        actor_id: Some(actor.user_id),
        kind: SubmissionKind::TimelineEntry,
        target_id: Some(case_id),
    };
    let id = match submission::claim(&mut w, now, scope, &form.submission_key, form).await? {
        Once::Replay(existing) => return Ok(existing),
        Once::New(id) => id,
    };
    let opened = cases::work_starts(&mut w, &case).await?;
    let mut invalid = Invalid::default();
    let parsed = form.parse(now, opened);
    let subject = match Sensitivity::parse(&form.sensitivity) {
        Some(s) => match check_subject(&case, form, s) {
            Ok(p) => Some(p),
            Err(AppError::Invalid(i)) => {
                invalid.0.extend(i.0);
                None
            }
            Err(e) => return Err(e),
        },
        None => None,
    };
    let input = match parsed {
        Ok(i) => i,
        Err(i) => {
            let mut all = i;
            all.0.extend(invalid.0);
            return Err(AppError::Invalid(all));
        }
    };
    invalid.into_result()?;
    let person_id = subject.flatten();
    let cipher = app.store.cipher(&mut w, actor.org_id).await?;
    timeline::insert_entry(
        &mut w,
        now,
        timeline::NewEntry {
            id,
            org_id: actor.org_id,
            case_id,
            person_id,
            kind: input.kind,
            sensitivity: input.sensitivity,
            by: actor.user_id,
            submission_key: form.submission_key.trim(),
        },
    )
    .await?;
    timeline::insert_version(
        &mut w,
        now,
        timeline::NewVersion {
            org_id: actor.org_id,
            entry_id: id,
            version: 1,
            occurred_at: input.occurred_at,
            method: input.contact_method.as_deref(),
            outcome: input.contact_outcome.as_deref(),
            body: cipher.encrypt(&timeline::body_place(id, 1), &input.body)?,
            by: actor.user_id,
        },
    )
    .await?;
    w.audit(
        event(actor, "case.entry_add", "case", case_id)
            .detail("entry", id)
            .detail("kind", input.kind.code()),
    );
    w.commit().await?;
    Ok(id)
}

/// Correct an entry: a new version; the earlier text stays in its history.
pub async fn correct_entry(
    app: &App,
    actor: &Actor,
    case_id: Uuid,
    entry_id: Uuid,
    form: &EntryForm,
) -> Result<i64> {
    let now = app.now();
    let mut w = app.store.work(now).await?;
    let case = w.case(actor, case_id, Action::RecordWork).await?;
    let entry = visible_entries(&mut w, &case)
        .await?
        .into_iter()
        .find(|e| e.id == entry_id)
        .ok_or(AppError::NotFound)?;
    if entry.withdrawn.is_some() {
        return Err(AppError::Conflict {
            field: None,
            message: "This entry has been withdrawn and cannot be corrected".into(),
        });
    }
    // Kind, sensitivity and subject stay as they were; only what happened and when can change.
    let form = EntryForm {
        kind: entry.kind.code().into(),
        sensitivity: entry.sensitivity.code().into(),
        ..form.clone()
    };
    let opened = cases::work_starts(&mut w, &case).await?;
    let input = form.parse(now, opened)?;
    let version = entry.current().version + 1;
    let cipher = app.store.cipher(&mut w, actor.org_id).await?;
    let inserted = timeline::insert_version(
        &mut w,
        now,
        timeline::NewVersion {
            org_id: actor.org_id,
            entry_id,
            version,
            occurred_at: input.occurred_at,
            method: input.contact_method.as_deref(),
            outcome: input.contact_outcome.as_deref(),
            body: cipher.encrypt(&timeline::body_place(entry_id, version), &input.body)?,
            by: actor.user_id,
        },
    )
    .await;
    match inserted {
        Err(e) if e.is_unique_violation() => {
            return Err(AppError::Conflict {
                field: None,
                message: "Someone else corrected this entry at the same moment. Nothing was saved. Check it and try again.".into(),
            })
        }
        other => other?,
    }
    w.audit(
        event(actor, "case.entry_correct", "case", case_id)
            .detail("entry", entry_id)
            .detail("version", version),
    );
    w.commit().await?;
    Ok(version)
}

/// Withdraw an entry made in error. Managers only; the reason and the entry stay in the history.
pub async fn withdraw_entry(
    app: &App,
    actor: &Actor,
    case_id: Uuid,
    entry_id: Uuid,
    reason: &str,
) -> Result<()> {
    let now = app.now();
    let mut w = app.store.work(now).await?;
    // Someone who may open the case but not withdraw is told so; others learn nothing.
    let case = w.case(actor, case_id, Action::ViewCaseRecord).await?;
    if !case.allows(Action::WithdrawEntry) {
        return Err(AppError::Forbidden);
    }
    let reason =
        Text::<2_000>::parse_required("reason", reason, "Say why this entry is being withdrawn")?;
    let reason = reason.as_str();
    visible_entries(&mut w, &case)
        .await?
        .into_iter()
        .find(|e| e.id == entry_id)
        .ok_or(AppError::NotFound)?;
    let cipher = app.store.cipher(&mut w, actor.org_id).await?;
    if !timeline::withdraw(
        &mut w,
        now,
        entry_id,
        actor.user_id,
        cipher.encrypt(&timeline::reason_place(entry_id), reason)?,
    )
    .await?
    {
        return Err(AppError::Conflict {
            field: None,
            message: "This entry has already been withdrawn".into(),
        });
    }
    w.audit(event(actor, "case.entry_withdraw", "case", case_id).detail("entry", entry_id));
    w.commit().await?;
    Ok(())
}

// ---- allocation and closure ----------------------------------------------------------------------

/// A member of staff as someone allocating work sees them: no password hash, no second factor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffMember {
    pub id: Uuid,
    pub display_name: String,
    pub role: hearth_domain::Role,
    pub team_id: Option<Uuid>,
}

/// Staff who can be allocated to families in this organisation, for those who allocate.
pub async fn allocatable_workers(app: &App, actor: &Actor) -> Result<Vec<StaffMember>> {
    if hearth_domain::access::grant(actor.role, Action::Allocate) == hearth_domain::Scope::None {
        return Err(AppError::Forbidden);
    }
    let mut conn = app.store.conn().await?;
    workers_in(&mut conn, actor).await
}

/// Staff who hold a caseload and can be allocated, for someone already allowed to allocate.
pub(crate) async fn workers_in(
    conn: &mut sqlx::AnyConnection,
    actor: &Actor,
) -> Result<Vec<StaffMember>> {
    Ok(hearth_store::users::list(conn, actor.org_id)
        .await?
        .into_iter()
        .filter(|u| u.role.holds_caseload() && !u.is_disabled())
        .map(|u| StaffMember {
            id: u.id,
            display_name: u.display_name,
            role: u.role,
            team_id: u.team_id,
        })
        .collect())
}

/// Allocate a worker to the whole family or to one person in it.
pub async fn allocate(
    app: &App,
    actor: &Actor,
    case_id: Uuid,
    worker: &str,
    person: &str,
) -> Result<()> {
    let now = app.now();
    let mut w = app.store.work(now).await?;
    let case = w.case(actor, case_id, Action::Allocate).await?;
    let mut invalid = Invalid::default();
    let worker = match hearth_domain::ids::parse_id(worker) {
        Some(id) => match hearth_store::users::get(&mut w, actor.org_id, id).await? {
            Some(u) if u.role.holds_caseload() && !u.is_disabled() => Some(u),
            _ => None,
        },
        None => None,
    };
    if worker.is_none() {
        invalid.push("worker_id", "Choose a worker from the list");
    }
    let person = if person.trim().is_empty() {
        None
    } else {
        let p = hearth_domain::ids::parse_id(person);
        match p.filter(|p| case.covers(*p)) {
            Some(p) => Some(p),
            None => {
                invalid.push("person_id", "Choose someone who is in this case");
                None
            }
        }
    };
    invalid.into_result()?;
    let worker = worker.expect("checked");
    if cases::is_allocated(&mut w, case_id, worker.id, person).await? {
        return Err(AppError::Conflict {
            field: Some("worker_id"),
            message: format!("{} is already allocated to that", worker.display_name),
        });
    }
    cases::allocate(
        &mut w,
        now,
        cases::NewAllocation {
            org_id: actor.org_id,
            case_id,
            person_id: person,
            worker_id: worker.id,
            by: Some(actor.user_id),
        },
    )
    .await?;
    let mut ev = event(actor, "case.allocate", "case", case_id).detail("worker", worker.id);
    if let Some(p) = person {
        ev = ev.detail("person", p);
    }
    w.audit(ev);
    w.commit().await?;
    Ok(())
}

/// End a worker's allocation (to one person, or the whole family).
pub async fn end_allocation(
    app: &App,
    actor: &Actor,
    case_id: Uuid,
    worker: Uuid,
    person: Option<Uuid>,
) -> Result<()> {
    let now = app.now();
    let mut w = app.store.work(now).await?;
    let case = w.case(actor, case_id, Action::Allocate).await?;
    if !cases::end_allocation(&mut w, &case, now, worker, person).await? {
        return Err(AppError::NotFound);
    }
    w.audit(event(actor, "case.deallocate", "case", case_id).detail("worker", worker));
    w.commit().await?;
    Ok(())
}

/// Close a case with an exit reason. Allocations end; the case stays on record for re-referral.
pub async fn close_case(
    app: &App,
    actor: &Actor,
    case_id: Uuid,
    reason: &str,
    note: &str,
) -> Result<()> {
    let now = app.now();
    let mut w = app.store.work(now).await?;
    let case = w.case(actor, case_id, Action::Allocate).await?;
    let Some((_, label)) = app.exit_reasons.iter().find(|(c, _)| c == reason.trim()) else {
        return Err(AppError::invalid(
            "exit_reason",
            "Choose why the case is closing",
        ));
    };
    let note = Text::<5_000>::parse("closing_note", note)?;
    let note = note.as_str();
    if !cases::close(&mut w, &case, now).await? {
        return Err(AppError::Conflict {
            field: None,
            message: "This case is already closed".into(),
        });
    }
    let key = format!("case-closed-{case_id}-{}", now.unix_timestamp());
    let body = if note.trim().is_empty() {
        format!("Case closed: {label}.")
    } else {
        format!("Case closed: {label}. {}", note.trim())
    };
    let cipher = app.store.cipher(&mut w, actor.org_id).await?;
    timeline::record_event(
        &mut w,
        &cipher,
        now,
        timeline::KeyEvent {
            org_id: actor.org_id,
            case_id,
            person_id: None,
            occurred_at: now,
            body: &body,
            by: actor.user_id,
            key: &key,
        },
    )
    .await?;
    w.audit(event(actor, "case.close", "case", case_id).detail("exit_reason", reason.trim()));
    w.commit().await?;
    Ok(())
}

// ---- first contact -----------------------------------------------------------------------------

/// What a caseload shows about each case.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Standing {
    pub first_contact: Option<hearth_domain::targets::FirstContact>,
    /// The current risk level: the highest of the newest assessments of the people in the case
    /// the user may see, else the referrer's checklist score ("High" or "Standard").
    pub risk: Option<&'static str>,
    /// Who set the current level and when; `None` while it comes from the referral.
    pub risk_set: Option<(Timestamp, String)>,
    pub last_contact: Option<Timestamp>,
}

impl Standing {
    /// The next thing that falls due, if any: for now, a first contact not yet made.
    pub fn next_due(&self) -> Option<(&'static str, Timestamp)> {
        match self.first_contact {
            Some(hearth_domain::targets::FirstContact::Due { by }) => Some(("First contact", by)),
            Some(hearth_domain::targets::FirstContact::Overdue { since }) => {
                Some(("First contact", since))
            }
            _ => None,
        }
    }
}

/// Where each of these cases stands: first-contact target, risk, last contact. Cases the user
/// may not open are left out.
pub async fn standings(
    app: &App,
    actor: &Actor,
    case_ids: &[Uuid],
) -> Result<std::collections::HashMap<Uuid, Standing>> {
    let mut conn = app.store.conn().await?;
    let guard = access::open_cases(&mut conn, &app.store, actor, case_ids).await?;
    standings_in(&mut conn, app, &guard).await
}

/// Where each of the guard's cases stands, within work already under way.
pub(crate) async fn standings_in(
    conn: &mut sqlx::AnyConnection,
    app: &App,
    guard: &CasesGuard,
) -> Result<std::collections::HashMap<Uuid, Standing>> {
    let now = app.now();
    let open = guard.case_ids();
    let mut last_contacts = cases::last_contacts(conn, &open).await?;
    let mut first_contacts = cases::first_contact_facts(conn, guard).await?;
    let mut latest: std::collections::HashMap<Uuid, Vec<hearth_store::risk::StoredAssessment>> =
        std::collections::HashMap::new();
    for a in hearth_store::risk::latest_in_cases(conn, guard.actor().org_id, &open).await? {
        latest.entry(a.case_id).or_default().push(a);
    }
    let mut out = std::collections::HashMap::new();
    for access in guard.cases() {
        let case_id = access.case_id();
        // Behind the firewall, when the victim was last contacted, her referrer's risk score
        // and her first-contact deadline (1 or 3 working days gives her risk band away) are
        // withheld: each is a fact about her.
        let mut standing = Standing {
            last_contact: last_contacts
                .remove(&case_id)
                .unwrap_or_default()
                .into_iter()
                .filter(|(p, _)| access.may_see_about(*p, FieldClass::Ordinary))
                .map(|(_, at)| at)
                .max(),
            ..Default::default()
        };
        let referral = first_contacts.remove(&case_id);
        if let Some(f) = referral {
            let Some(details) = guard.open(&f.details)?.shown() else {
                out.insert(case_id, standing);
                continue;
            };
            let dash = Some(details)
                .and_then(|j| {
                    serde_json::from_str::<hearth_domain::referral::ReferralDetails>(&j).ok()
                })
                .and_then(|d| d.dash_score);
            standing.risk = dash.map(|d| {
                if d >= hearth_domain::targets::HIGH_RISK_SCORE {
                    "High"
                } else {
                    "Standard"
                }
            });
            standing.first_contact = Some(hearth_domain::targets::first_contact_status(
                f.referred_at,
                dash,
                f.first_contact,
                &app.first_contact,
                now,
            ));
        }
        // A risk level is sensitive data about the person: it counts only if the firewall lets
        // the user see it through this case.
        let highest = latest
            .get(&case_id)
            .into_iter()
            .flatten()
            .filter(|a| access.may_see(a.person_id, FieldClass::Sensitive))
            .max_by_key(|a| a.level);
        if let Some(h) = highest {
            standing.risk = Some(h.level.label());
            standing.risk_set = Some((h.assessed_at, h.assessed_by_name.clone()));
        }
        out.insert(case_id, standing);
    }
    Ok(out)
}

/// Where each of these cases stands against its first-contact target.
pub async fn first_contacts(
    app: &App,
    actor: &Actor,
    case_ids: &[Uuid],
) -> Result<std::collections::HashMap<Uuid, hearth_domain::targets::FirstContact>> {
    Ok(standings(app, actor, case_ids)
        .await?
        .into_iter()
        .filter_map(|(id, s)| s.first_contact.map(|f| (id, f)))
        .collect())
}

/// One worker's caseload size against the service's capacity per worker.
#[derive(Debug, Clone)]
pub struct WorkerLoad {
    pub user_id: Uuid,
    pub name: String,
    pub role: hearth_domain::Role,
    pub open_cases: i64,
    pub capacity: i64,
}

/// Caseload sizes: a team manager sees their team, the service manager everyone.
pub async fn team_loads(app: &App, actor: &Actor) -> Result<Vec<WorkerLoad>> {
    let scope = hearth_domain::access::grant(actor.role, Action::Allocate);
    if scope == hearth_domain::Scope::None {
        return Err(AppError::Forbidden);
    }
    let mut conn = app.store.conn().await?;
    Ok(cases::caseload_sizes(&mut conn, actor.org_id)
        .await?
        .into_iter()
        .filter_map(|(id, name, role, team, n)| {
            let role = hearth_domain::Role::parse(&role)?;
            let mine = scope == hearth_domain::Scope::Organisation
                || (team.is_some() && team == actor.team_id);
            (role.holds_caseload() && role != hearth_domain::Role::TeamManager && mine).then_some(
                WorkerLoad {
                    user_id: id,
                    name,
                    role,
                    open_cases: n,
                    capacity: app.caseload_capacity,
                },
            )
        })
        .collect())
}

// ---- person details ----------------------------------------------------------------------------

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

pub async fn person_details(app: &App, actor: &Actor, id: Uuid) -> Result<PersonDetailsView> {
    let mut w = app.work().await?;
    let person = w.person(actor, id, Action::ViewCaseRecord).await?;
    let stored = people::get(&mut w, &person, id)
        .await?
        .ok_or(AppError::NotFound)?;
    // Other names, date of birth, gender and language are facts about the person: behind the
    // firewall a victim or child is a name and a role, nothing more, and nothing is decrypted.
    if !person.may_see(FieldClass::Ordinary) {
        w.commit().await?;
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
    let details = stored.open(&person)?;
    let mut earlier = Vec::new();
    for v in people::versions(&mut w, &person).await? {
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
    if equality_shown {
        w.audit(event(actor, "person.equality_view", "person", id));
    }
    w.commit().await?;
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
    id: Uuid,
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

// ---- the family --------------------------------------------------------------------------------

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
    case_id: Uuid,
    form: &MemberForm,
) -> Result<Uuid> {
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
    let person = cases::insert_person(
        &mut w,
        now,
        actor.org_id,
        given.as_str(),
        family.as_str(),
        dob.as_deref(),
    )
    .await?;
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
    case_id: Uuid,
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
    match cases::add_relationship(&mut w, now, actor.org_id, case_id, &r, actor.user_id).await {
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

// ---- agencies ----------------------------------------------------------------------------------

#[derive(Debug, Clone)]
pub struct AgencyView {
    pub id: Uuid,
    pub person_id: Option<Uuid>,
    pub agency: hearth_domain::family::Agency,
}

/// Agencies on a case the user may see: a victim's or child's (their school, their GP) are
/// location data, behind the firewall.
pub async fn agencies(app: &App, actor: &Actor, case_id: Uuid) -> Result<Vec<AgencyView>> {
    let mut w = app.work().await?;
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
    case_id: Uuid,
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
        match hearth_domain::ids::parse_id(&form.person_id)
            .filter(|p| roles.iter().any(|(id, _)| id == p))
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
    if !case.access().may_see_about(person, FieldClass::Location) {
        return Err(AppError::invalid(
            "person_id",
            "You can record agencies only for the people you work with",
        ));
    }
    let cipher = app.store.cipher(&mut w, actor.org_id).await?;
    let json = serde_json::to_string(&agency).map_err(|e| AppError::Internal(e.to_string()))?;
    let id = cases::add_agency(
        &mut w,
        now,
        actor.org_id,
        case_id,
        person,
        |id| cipher.encrypt(&cases::agency_place(id), &json),
        actor.user_id,
    )
    .await?;
    w.audit(event(actor, "case.agency_add", "case", case_id).detail("agency", id));
    w.commit().await?;
    Ok(id)
}

/// Close one person's involvement with an exit reason; their allocations end. The case stays open
/// for the rest of the family.
pub async fn close_involvement(
    app: &App,
    actor: &Actor,
    case_id: Uuid,
    person: &str,
    reason: &str,
) -> Result<()> {
    let now = app.now();
    let mut w = app.store.work(now).await?;
    let case = w.case(actor, case_id, Action::Allocate).await?;
    let roles = case.roles();
    let mut invalid = Invalid::default();
    let person =
        hearth_domain::ids::parse_id(person).filter(|p| roles.iter().any(|(id, _)| id == p));
    if person.is_none() {
        invalid.push("involvement_person", "Choose someone who is in this case");
    }
    let label = app
        .exit_reasons
        .iter()
        .find(|(c, _)| c == reason.trim())
        .map(|(_, l)| l.clone());
    if label.is_none() {
        invalid.push(
            "involvement_reason",
            "Choose why their involvement is ending",
        );
    }
    invalid.into_result()?;
    let (person, label) = (person.expect("checked"), label.expect("checked"));
    if !cases::close_involvement(&mut w, now, case_id, person, reason.trim()).await? {
        return Err(AppError::Conflict {
            field: None,
            message: "Their involvement is already closed".into(),
        });
    }
    let key = format!(
        "involvement-closed-{case_id}-{person}-{}",
        now.unix_timestamp()
    );
    let cipher = app.store.cipher(&mut w, actor.org_id).await?;
    let body = format!("Involvement closed: {label}.");
    timeline::record_event(
        &mut w,
        &cipher,
        now,
        timeline::KeyEvent {
            org_id: actor.org_id,
            case_id,
            person_id: Some(person),
            occurred_at: now,
            body: &body,
            by: actor.user_id,
            key: &key,
        },
    )
    .await?;
    w.audit(
        event(actor, "case.involvement_close", "case", case_id)
            .detail("person", person)
            .detail("exit_reason", reason.trim()),
    );
    w.commit().await?;
    Ok(())
}

/// Give someone already in the case another role in it.
async fn add_role(
    app: &App,
    actor: &Actor,
    case_id: Uuid,
    person: &str,
    role: &str,
) -> Result<Uuid> {
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
