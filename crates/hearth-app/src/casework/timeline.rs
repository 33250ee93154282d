//! The case timeline: notes, contacts and key events, corrected by new versions and withdrawn with a reason, never edited in place.

use crate::submission::{self, Once};
use crate::{event, App, AppError, Result};
use hearth_domain::access::{Action, FieldClass};
use hearth_domain::ids::{CaseId, EntryId, PersonId};
use hearth_domain::paging::{Page, Paged};
use hearth_domain::submission::SubmissionKind;
use hearth_domain::timeline::{EntryForm, EntryKind, Sensitivity};
use hearth_domain::validation::{Invalid, Text};
use hearth_domain::{Actor, Timestamp};
use hearth_store::access::{CaseGuard, Guard};
use hearth_store::cases::Member;
use hearth_store::sealed::Opened;
use hearth_store::{cases, timeline, UnitOfWork};
use uuid::Uuid;

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
    pub id: EntryId,
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

    /// The form a correction starts from: the current text, when it happened (UK time, as
    /// typed) and how a contact went.
    pub fn correction_form(&self) -> EntryForm {
        let current = self.current();
        let uk = hearth_domain::ukdate::to_uk(current.occurred_at);
        EntryForm {
            kind: self.kind.code().into(),
            sensitivity: self.sensitivity.code().into(),
            body: current.body.clone(),
            occurred_on: format!("{:02}/{:02}/{}", uk.day(), u8::from(uk.month()), uk.year()),
            occurred_time: format!("{:02}:{:02}", uk.hour(), uk.minute()),
            contact_method: current.contact_method.clone().unwrap_or_default(),
            contact_outcome: current.contact_outcome.clone().unwrap_or_default(),
            ..Default::default()
        }
    }
}

/// What to show of a timeline.
#[derive(Debug, Clone, Default)]
pub struct TimelineFilter {
    pub person_id: Option<Uuid>,
    pub kind: Option<EntryKind>,
}

impl TimelineFilter {
    fn narrowing(&self) -> timeline::Narrowing {
        timeline::Narrowing {
            person: self.person_id,
            kind: self.kind,
        }
    }
}

/// Entries to a page of the case page's timeline: a year of weekly contact with a family is a
/// few pages, and the page a worker opens many times a day stays the same size however long
/// the case has run.
pub const ENTRIES_PER_PAGE: usize = 25;

/// One page of the entries of a case this user may read, filtered: a sensitive entry about a
/// protected person (or about the whole family) is left out for someone behind the firewall,
/// and not counted. `members` names the people entries are about: the case's record, where
/// the page has already read it, so no one is named twice.
pub(crate) async fn visible_entries(
    w: &mut UnitOfWork,
    (case, members): (&CaseGuard, &[Member]),
    filter: &TimelineFilter,
    page: Page,
) -> Result<Paged<EntryView>> {
    let paged = timeline::page(w, case, filter.narrowing(), page).await?;
    let mut items = Vec::with_capacity(paged.items.len());
    for e in &paged.items {
        let about = e.person_id.and_then(|p| {
            members
                .iter()
                .find(|m| m.person_id == p)
                .map(Member::full_name)
        });
        // The store read only entries this guard opens, by the rule `opened` asks.
        items.extend(opened(case, about, e)?);
    }
    Ok(Paged {
        items,
        total: paged.total,
        page: paged.page,
    })
}

/// An entry of the case as this user may read it, with its whole history; `None` if the case
/// has no such entry or they may not read it.
async fn one_entry(
    w: &mut UnitOfWork,
    case: &CaseGuard,
    entry_id: EntryId,
) -> Result<Option<EntryView>> {
    let Some(e) = timeline::entry(w, case, entry_id).await? else {
        return Ok(None);
    };
    let about = match e.person_id {
        Some(p) => case.name_of(p)?,
        None => None,
    };
    opened(case, about, &e)
}

/// An entry as this user may read it; `None` if they may not. Every version of an entry, and
/// its withdrawal reason, share its subject and class: if the newest is withheld the entry is
/// not shown at all, not even that it exists.
fn opened(
    case: &CaseGuard,
    about: Option<String>,
    e: &timeline::Entry,
) -> Result<Option<EntryView>> {
    let mut versions = Vec::with_capacity(e.versions.len());
    for v in &e.versions {
        let Opened::Shown(body) = case.open(&v.body)? else {
            return Ok(None);
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
    let withdrawn = match (e.withdrawn_at, &e.withdrawn_reason) {
        (Some(at), Some(reason)) => Some((
            at,
            e.withdrawn_by_name.clone().unwrap_or_default(),
            case.open(reason)?.shown().ok_or(AppError::NotFound)?,
        )),
        _ => None,
    };
    Ok(Some(EntryView {
        id: e.id,
        person_id: e.person_id,
        person_name: about,
        kind: e.kind,
        sensitivity: e.sensitivity,
        created_at: e.created_at,
        created_by: e.created_by_name.clone(),
        withdrawn,
        versions,
    }))
}

/// One page of the case's timeline as this user may see it, filtered. Audited as a view of
/// the case's notes.
pub async fn view_timeline(
    app: &App,
    actor: &Actor,
    case_id: CaseId,
    filter: &TimelineFilter,
    page: Page,
) -> Result<Paged<EntryView>> {
    let mut w = app.view().await?;
    let case = w.case(actor, case_id, Action::ViewCaseRecord).await?;
    let members = case.members()?;
    let entries = visible_entries(&mut w, (&case, &members), filter, page).await?;
    w.commit().await?;
    Ok(entries)
}

/// One entry's page: the entry with its whole history, if the user may read it, and what they
/// may do with it.
#[derive(Debug, Clone)]
pub struct EntryPage {
    pub reference: String,
    pub entry: EntryView,
    pub may_correct: bool,
    pub may_withdraw: bool,
}

/// One entry with its whole history, if the user may read it; the guard records the view of it.
pub async fn view_entry(
    app: &App,
    actor: &Actor,
    case_id: CaseId,
    entry_id: EntryId,
) -> Result<EntryPage> {
    let mut w = app.view().await?;
    let case = w.case(actor, case_id, Action::ViewCaseRecord).await?;
    let entry = one_entry(&mut w, &case, entry_id).await?;
    let reference = cases::reference(&mut w, &case).await?;
    w.commit().await?;
    Ok(EntryPage {
        reference,
        entry: entry.ok_or(AppError::NotFound)?,
        may_correct: case.allows(Action::RecordWork),
        may_withdraw: case.allows(Action::WithdrawEntry),
    })
}

/// Check the person an entry is about belongs to the case, and that the writer may see entries
/// of this sensitivity about them (nobody writes what they could not read back).
fn check_subject(
    case: &CaseGuard,
    form: &EntryForm,
    sensitivity: Sensitivity,
) -> Result<Option<Uuid>> {
    let roles = case.roles();
    let chosen = form.person_id.trim();
    // Empty is the whole family too, as API clients have always sent it; the page's form
    // insists on a choice before it gets here.
    let person = if chosen == hearth_domain::timeline::WHOLE_FAMILY || chosen.is_empty() {
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

/// A contact made a way the person's own arrangements mark not safe (a call when calls are not
/// safe, a voicemail left when voicemail is not) is saved only with the worker's reason, which
/// is kept in the entry itself so it is read wherever the contact is. A writer who may not see
/// the person's contact details is not asked: they cannot know, and are not told.
async fn with_safe_contact_reason(
    w: &mut UnitOfWork,
    case: &CaseGuard,
    input: &hearth_domain::timeline::EntryInput,
    person: Option<Uuid>,
    form: &EntryForm,
) -> Result<String> {
    let (Some(person), Some(method)) = (person, input.contact_method.as_deref()) else {
        return Ok(input.body.clone());
    };
    if input.kind != EntryKind::Contact || !case.access().may_see(person, FieldClass::Location) {
        return Ok(input.body.clone());
    }
    let super::ContactView::Shown { current, .. } =
        super::contact::read_contact(w, case, PersonId::from_uuid(person)).await?
    else {
        return Ok(input.body.clone());
    };
    let outcome = input.contact_outcome.as_deref().unwrap_or_default();
    let local = hearth_domain::ukdate::to_uk(input.occurred_at);
    let local = time::PrimitiveDateTime::new(local.date(), local.time());
    let not_safe: Vec<&str> = hearth_domain::contact::unsafe_ways(&current, method, outcome)
        .iter()
        .map(|c| c.label())
        .collect();
    let out_of_hours = hearth_domain::contact::outside_safe_hours(&current, method, outcome, local);
    if not_safe.is_empty() && out_of_hours.is_empty() {
        return Ok(input.body.clone());
    }
    // What the override was, in the words kept on the entry and in the question asked.
    let mut kept = Vec::new();
    let mut asked = Vec::new();
    if !not_safe.is_empty() {
        let names = not_safe.join(" and ");
        kept.push(format!("{names} marked not safe"));
        asked.push(format!("{names}: marked not safe for this person"));
    }
    for (c, words) in &out_of_hours {
        kept.push(format!("{} outside the safe times ({words})", c.label()));
        asked.push(format!(
            "{}: safe only {words}, and this was {}",
            c.label(),
            hearth_domain::ukdate::format_datetime(input.occurred_at)
        ));
    }
    let reason = Text::<2_000>::parse("safe_contact_reason", &form.safe_contact_reason)
        .map_err(|e| AppError::Invalid(Invalid(vec![e])))?;
    if reason.as_str().is_empty() {
        return Err(AppError::invalid(
            "safe_contact_reason",
            format!(
                "{}. Say why it was safe this time, or choose another way or time",
                asked.join(". ")
            ),
        ));
    }
    let note = format!(
        "Safe contact override – {}. Why it was safe: {}",
        kept.join("; "),
        reason.as_str()
    );
    Ok(if input.body.trim().is_empty() {
        note
    } else {
        format!("{}\n\n{note}", input.body)
    })
}

/// Add a note, contact or key event. Sending the same form twice saves it once.
pub async fn add_entry(
    app: &App,
    actor: &Actor,
    case_id: CaseId,
    form: &EntryForm,
) -> Result<EntryId> {
    let now = app.now();
    let mut w = app.store.work(now).await?;
    let case = w.case(actor, case_id, Action::RecordWork).await?;
    let scope = submission::Scope {
        org_id: actor.org_id,
        actor_id: Some(actor.user_id.uuid()),
        kind: SubmissionKind::TimelineEntry,
        target_id: Some(case_id.uuid()),
    };
    let id = match submission::claim(&mut w, now, scope, &form.submission_key, form).await? {
        Once::Replay(existing) => {
            w.commit().await?;
            return Ok(EntryId::from_uuid(existing));
        }
        Once::New(id) => EntryId::from_uuid(id),
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
    let body = with_safe_contact_reason(&mut w, &case, &input, person_id, form).await?;
    let cipher = w.cipher(actor.org_id).await?;
    timeline::insert_entry(
        &mut w,
        now,
        timeline::NewEntry {
            id,
            org_id: actor.org_id,
            case_id: case_id.uuid(),
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
            body: cipher.encrypt(&timeline::body_place(id, 1), &body)?,
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
    case_id: CaseId,
    entry_id: EntryId,
    form: &EntryForm,
) -> Result<i64> {
    let now = app.now();
    let mut w = app.store.work(now).await?;
    let case = w.case(actor, case_id, Action::RecordWork).await?;
    let entry = one_entry(&mut w, &case, entry_id)
        .await?
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
    let cipher = w.cipher(actor.org_id).await?;
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
    case_id: CaseId,
    entry_id: EntryId,
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
    one_entry(&mut w, &case, entry_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let cipher = w.cipher(actor.org_id).await?;
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
