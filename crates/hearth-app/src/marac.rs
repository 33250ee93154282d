//! MARAC: proposing and making referrals, meetings and their agendas, attendance, actions and
//! the coordinator's figures. What goes to MARAC carries the victim's safe contact details, so
//! it is location-class: the firewall applies in full, and only the coordinator (who must send
//! it on) reads it beyond the case's own workers.

use crate::risk_facts::{facts, note_sensitive, work_case, WorkCase};
use crate::submission::{self, Once};
use crate::users::By;
use crate::{event, App, AppError, Result};
use hearth_domain::access::{Action, CaseRole, FieldClass};
use hearth_domain::contact::{Channel, ContactDetails};
use hearth_domain::ids::{CaseId, MaracActionId, MaracReferralId, MeetingId, PersonId};
use hearth_domain::marac::{
    self as rules, ActionForm, ActionStatus, ChildLine, Criterion, MeetingForm, ReferralDetails,
    ReferralForm,
};
use hearth_domain::submission::SubmissionKind;
use hearth_domain::ukdate::{format_date, uk_today};
use hearth_domain::validation::Line;
use hearth_domain::Actor;
use hearth_store::access::{CasesGuard, Guard, MaracGuard};
use hearth_store::marac::{self as store, Referral};
use hearth_store::{cases, contact, StoreError, UnitOfWork};
use serde::Serialize;
use time::Date;
use uuid::Uuid;

/// A referral as lists show it: nothing sealed.
#[derive(Debug, Clone, Serialize)]
pub struct ReferralLine {
    pub id: Uuid,
    pub case_id: Uuid,
    pub case_reference: String,
    pub person_id: Uuid,
    pub person_name: String,
    pub referred_on: Date,
    pub criteria: Vec<Criterion>,
    pub source_agency: String,
    pub is_repeat: bool,
    pub repeat_dates: Vec<Date>,
    pub meeting_id: Option<Uuid>,
    pub meeting_on: Option<Date>,
    pub referred_by: String,
}

impl From<&Referral> for ReferralLine {
    fn from(r: &Referral) -> Self {
        ReferralLine {
            id: r.id,
            case_id: r.case_id,
            case_reference: r.case_reference.clone(),
            person_id: r.person_id,
            person_name: r.person_name.clone(),
            referred_on: r.referred_on,
            criteria: r.criteria.clone(),
            source_agency: r.source_agency.clone(),
            is_repeat: r.is_repeat,
            repeat_dates: r.repeat_dates.clone(),
            meeting_id: r.meeting_id,
            meeting_on: r.meeting_on,
            referred_by: r.created_by_name.clone(),
        }
    }
}

impl ReferralLine {
    pub fn source_label(&self) -> &str {
        rules::source_label(&self.source_agency)
    }
}

/// Is the actor the MARAC coordinator?
pub fn coordinates(actor: &Actor) -> bool {
    By::User(actor).check(Action::RunMarac).is_ok()
}

/// Earlier MARAC dates of this person: the dates of meetings that heard them.
pub(crate) async fn heard_dates(
    w: &mut UnitOfWork,
    g: &impl Guard,
    person_id: Uuid,
) -> Result<Vec<Date>> {
    Ok(
        store::referrals_for_person(w, g, PersonId::from_uuid(person_id))
            .await?
            .iter()
            .filter_map(|r| r.meeting_on)
            .collect(),
    )
}

/// A MARAC referral proposed from the record, pre-filled so nobody types anything twice.
#[derive(Debug, Clone, Serialize)]
pub struct Proposal {
    pub person_id: Uuid,
    pub person_name: String,
    pub case_id: Uuid,
    /// What the record shows (may be empty: a referral on judgement alone is still allowed).
    pub proposed: Vec<Criterion>,
    /// Earlier MARAC dates within 12 months: the referral will be a repeat.
    pub repeat_dates: Vec<Date>,
    pub form: ReferralForm,
}

pub(crate) fn describe_contact(c: &ContactDetails) -> String {
    let mut lines = Vec::new();
    for ch in Channel::ALL {
        let a = c.arrangement(&ch);
        // Times say when a channel may be used, so they belong only to channels that are safe:
        // "Text message: Not safe (Weekdays 10-12)" would read as an invitation.
        let when = if a.when.trim().is_empty() || a.safety != hearth_domain::contact::Safety::Safe {
            String::new()
        } else {
            format!(" ({})", a.when.trim())
        };
        lines.push(format!("{}: {}{}", ch.label(), a.safety.label(), when));
    }
    if !c.phone.is_empty() {
        lines.push(format!("Phone: {}", c.phone));
    }
    if !c.email.is_empty() {
        lines.push(format!("Email: {}", c.email));
    }
    if !c.address.is_empty() {
        let flag = if c.confidential_address {
            " (CONFIDENTIAL ADDRESS: never share with the person causing harm)"
        } else {
            ""
        };
        lines.push(format!(
            "Address: {} {}{}",
            c.address.replace('\n', ", "),
            c.postcode,
            flag
        ));
    }
    lines.join("\n")
}

/// The proposal for a person, pre-filled from the case: safe contact details, the people
/// causing harm, the children, and a summary of the latest assessment.
pub async fn proposal(app: &App, actor: &Actor, person_id: PersonId) -> Result<Proposal> {
    let now = app.now();
    let today = uk_today(now);
    let mut w = app.store.view(now).await?;
    let WorkCase {
        case_id, person, ..
    } = work_case(&mut w, actor, person_id, FieldClass::Location).await?;
    let case = w
        .case(actor, CaseId::from_uuid(case_id), Action::ViewCaseRecord)
        .await?;
    let record = cases::record(&mut w, &case).await?;
    let person_name = record.name_of(person_id.uuid());
    let safe_contact = match contact::versions(&mut w, &person, person_id.uuid())
        .await?
        .first()
    {
        Some(v) => {
            let json = person.open(&v.sealed)?.shown().ok_or(AppError::Forbidden)?;
            let c: ContactDetails = serde_json::from_str(&json)
                .map_err(|e| AppError::Internal(format!("contact details: {e}")))?;
            describe_contact(&c)
        }
        None => String::new(),
    };
    let born = |m: &cases::Member| {
        m.date_of_birth
            .as_deref()
            .and_then(hearth_domain::ukdate::from_iso)
            .map(hearth_domain::ukdate::typed)
            .unwrap_or_default()
    };
    let perpetrators = record
        .members
        .iter()
        .filter(|m| m.role == CaseRole::PersonCausingHarm && m.closed.is_none())
        .map(|m| {
            let b = born(m);
            if b.is_empty() {
                m.full_name()
            } else {
                format!("{} {}, born {b}", m.given_name, m.family_name)
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let relationship_to = |child: Uuid| -> String {
        record
            .relationships
            .iter()
            .find(|r| {
                (r.from_person == child && r.to_person == person_id)
                    || (r.to_person == child && r.from_person == person_id)
            })
            .map(|r| {
                hearth_domain::family::RELATIONSHIPS
                    .iter()
                    .find(|(c, _)| *c == r.kind)
                    .map(|(_, l)| format!("{l} ({person_name})"))
                    .unwrap_or_else(|| r.kind.clone())
            })
            .unwrap_or_else(|| format!("Child in {person_name}'s family"))
    };
    // A child's school is recorded on the case as an agency about them, shown only as far as
    // the firewall lets this user see it; the newest one is where they are now.
    let mut schools: std::collections::HashMap<Uuid, String> = std::collections::HashMap::new();
    for a in crate::casework::agencies_in(&mut w, &case).await? {
        if let Some(child) = a.person_id {
            if a.agency.agency == "school" && !a.agency.name.trim().is_empty() {
                schools.insert(child, a.agency.name);
            }
        }
    }
    let children: Vec<ChildLine> = record
        .members
        .iter()
        .filter(|m| m.role == CaseRole::ChildOrYoungPerson && m.closed.is_none())
        .map(|m| ChildLine {
            name: m.full_name(),
            date_of_birth: born(m),
            school: schools.remove(&m.person_id).unwrap_or_default(),
            relationship: relationship_to(m.person_id),
        })
        .collect();
    let f = facts(&mut w, &person, person_id).await?;
    let proposed = f.marac_proposed(today);
    let mut summary = String::new();
    if let Some(a) = &f.latest {
        summary.push_str(&format!(
            "Risk checklist on {}: {} yes, {} risk.",
            format_date(uk_today(a.assessed_at)),
            a.yes_count,
            a.level.label().to_lowercase()
        ));
        if a.judgement {
            summary.push_str(" Raised to high on professional judgement.");
        }
    }
    let callouts = f
        .callout_dates
        .iter()
        .filter(|d| **d > hearth_domain::ukdate::add_months(today, -12))
        .count();
    if callouts > 0 {
        summary.push_str(&format!(
            " Police call-outs in the last 12 months: {callouts}."
        ));
    }
    let repeat_dates = rules::repeat_of(
        &heard_dates(&mut w, &person, person_id.uuid()).await?,
        today,
    );
    w.audit(event(actor, "person.marac_prefill", "person", person_id));
    w.commit().await?;
    let mut criteria: Vec<String> = proposed.iter().map(|c| c.code().to_string()).collect();
    if !repeat_dates.is_empty() {
        criteria.push(Criterion::Repeat.code().into());
    }
    Ok(Proposal {
        person_id: person_id.uuid(),
        person_name,
        case_id,
        proposed,
        repeat_dates,
        form: ReferralForm {
            criteria,
            victim_knows: String::new(),
            victim_consented: String::new(),
            source_agency: "idva".into(),
            details: ReferralDetails {
                safe_contact,
                perpetrators,
                children,
                summary: summary.trim().to_string(),
            },
            submission_key: String::new(),
        },
    })
}

/// Refer a person to MARAC. A referral within 12 months of their last MARAC is flagged as a
/// repeat with the earlier dates, whatever was ticked. Sending the form twice refers once.
pub async fn refer(
    app: &App,
    actor: &Actor,
    person_id: PersonId,
    form: &ReferralForm,
) -> Result<Uuid> {
    let now = app.now();
    let today = uk_today(now);
    let mut w = app.store.work(now).await?;
    let WorkCase {
        case_id,
        role,
        person,
        ..
    } = work_case(&mut w, actor, person_id, FieldClass::Location).await?;
    if role != CaseRole::VictimSurvivor {
        return Err(AppError::invalid(
            "person_id",
            "MARAC referrals are made for the adult victim/survivor",
        ));
    }
    let scope = submission::Scope {
        org_id: actor.org_id,
        actor_id: Some(actor.user_id.uuid()),
        kind: SubmissionKind::MaracReferral,
        target_id: Some(person_id.uuid()),
    };
    let id = match submission::claim(&mut w, now, scope, &form.submission_key, form).await? {
        Once::Replay(existing) => {
            w.commit().await?;
            return Ok(existing);
        }
        Once::New(id) => id,
    };
    let repeat_dates = rules::repeat_of(
        &heard_dates(&mut w, &person, person_id.uuid()).await?,
        today,
    );
    let checked = form.parse(!repeat_dates.is_empty())?;
    let cipher = w.cipher(actor.org_id).await?;
    let sealed =
        serde_json::to_string(&checked.details).map_err(|e| AppError::Internal(e.to_string()))?;
    store::insert_referral(
        &mut w,
        now,
        store::NewReferral {
            id,
            org_id: actor.org_id,
            case_id,
            person_id: person_id.uuid(),
            referred_on: today,
            criteria: &checked.criteria,
            source_agency: &checked.source_agency,
            victim_knows: checked.victim_knows,
            victim_consented: &checked.victim_consented,
            repeat_dates: &repeat_dates,
            sealed: cipher.encrypt(&store::details_place(id), &sealed)?,
            meeting_id: None,
            by: actor.user_id,
            submission_key: form.submission_key.trim(),
        },
    )
    .await?;
    let mut body = String::from("Referred to MARAC");
    if !repeat_dates.is_empty() {
        let dates: Vec<String> = repeat_dates.iter().map(|d| format_date(*d)).collect();
        body.push_str(&format!(": a repeat (earlier MARAC {})", dates.join(", ")));
    }
    body.push('.');
    note_sensitive(
        &mut w,
        &person,
        case_id,
        &body,
        &format!("marac-referral:{id}"),
    )
    .await?;
    let criteria: Vec<&str> = checked.criteria.iter().map(|c| c.code()).collect();
    w.audit(
        event(actor, "marac.refer", "person", person_id)
            .detail("referral", id)
            .detail("criteria", criteria.join(","))
            .detail("repeat", !repeat_dates.is_empty()),
    );
    w.commit().await?;
    Ok(id)
}

/// One action, opened.
#[derive(Debug, Clone, Serialize)]
pub struct ActionView {
    pub id: Uuid,
    pub referral_id: Uuid,
    pub meeting_id: Uuid,
    pub case_id: Uuid,
    pub case_reference: String,
    pub person_id: Uuid,
    pub agency: String,
    pub description: String,
    pub due_on: Date,
    pub status: ActionStatus,
    pub overdue: bool,
}

/// An action as its reader may see it: a description the guard withholds is never shown, and
/// the action is left out.
fn open_action(g: &impl Guard, a: &store::Action, today: Date) -> Result<Option<ActionView>> {
    let Some(description) = g.open(&a.description)?.shown() else {
        return Ok(None);
    };
    Ok(Some(ActionView {
        id: a.id,
        referral_id: a.referral_id,
        meeting_id: a.meeting_id,
        case_id: a.case_id,
        case_reference: a.case_reference.clone(),
        person_id: a.person_id,
        agency: a.agency.clone(),
        description,
        due_on: a.due_on,
        status: a.status,
        overdue: rules::is_overdue(a.status, a.due_on, today),
    }))
}

/// Open many actions through one guard, leaving out any it withholds.
fn open_actions<'a>(
    g: &impl Guard,
    actions: impl IntoIterator<Item = &'a store::Action>,
    today: Date,
) -> Result<Vec<ActionView>> {
    let mut out = Vec::new();
    for a in actions {
        out.extend(open_action(g, a, today)?);
    }
    Ok(out)
}

/// A referral, opened.
#[derive(Debug, Clone, Serialize)]
pub struct ReferralView {
    pub line: ReferralLine,
    pub victim_knows: bool,
    pub victim_consented: String,
    pub details: ReferralDetails,
    pub actions: Vec<ActionView>,
    /// Meetings it could be listed for (coordinator only, while it waits).
    pub meetings: Vec<MeetingLine>,
    pub can_coordinate: bool,
    pub can_update_actions: bool,
}

pub async fn view_referral(app: &App, actor: &Actor, id: MaracReferralId) -> Result<ReferralView> {
    let now = app.now();
    let today = uk_today(now);
    let mut w = app.store.view(now).await?;
    let (r, g) = store::referral(&mut w, actor, id).await?;
    let sealed = g.open(&r.sealed)?.shown().ok_or(AppError::Forbidden)?;
    let details: ReferralDetails = serde_json::from_str(&sealed)
        .map_err(|e| AppError::Internal(format!("MARAC referral: {e}")))?;
    let actions = open_actions(
        &g,
        &store::actions_for_referral(&mut w, &g, &r).await?,
        today,
    )?;
    let can_coordinate = g.is_coordinator();
    let meetings = match &g {
        MaracGuard::Coordinator(c) if r.meeting_id.is_none() => store::meetings(&mut w, c)
            .await?
            .into_iter()
            .filter(|m| m.held_on >= today)
            .map(MeetingLine::from)
            .collect(),
        _ => Vec::new(),
    };
    let can_update_actions = g.allows_in(r.case_id, Action::RecordWork);
    w.commit().await?;
    Ok(ReferralView {
        line: ReferralLine::from(&r),
        victim_knows: r.victim_knows,
        victim_consented: r.victim_consented.clone(),
        details,
        actions,
        meetings,
        can_coordinate,
        can_update_actions,
    })
}

// ---- meetings ----------------------------------------------------------------------------------

/// A meeting as lists show it.
#[derive(Debug, Clone, Serialize)]
pub struct MeetingLine {
    pub id: Uuid,
    pub held_on: Date,
    pub area: String,
    /// Cases on its agenda.
    pub cases: i64,
}

impl From<store::Meeting> for MeetingLine {
    fn from(m: store::Meeting) -> Self {
        MeetingLine {
            id: m.id,
            held_on: m.held_on,
            area: m.area,
            cases: m.cases,
        }
    }
}

/// The coordinator's list: meetings, referrals waiting for one, and overdue actions.
#[derive(Debug, Clone, Serialize)]
pub struct Overview {
    pub upcoming: Vec<MeetingLine>,
    pub past: Vec<MeetingLine>,
    pub waiting: Vec<ReferralLine>,
    pub overdue_actions: Vec<ActionView>,
    pub dashboard: rules::Dashboard,
    /// Cases heard at each past meeting in the last 12 months: (date, area, cases).
    pub heard_per_meeting: Vec<(Date, String, i64)>,
}

pub async fn overview(app: &App, actor: &Actor) -> Result<Overview> {
    let now = app.now();
    let today = uk_today(now);
    let mut w = app.store.view(now).await?;
    let g = w.service(actor, Action::RunMarac).await?;
    let meetings = store::meetings(&mut w, &g).await?;
    let (upcoming, past): (Vec<MeetingLine>, Vec<MeetingLine>) = meetings
        .into_iter()
        .map(MeetingLine::from)
        .partition(|m| !rules::is_held(m.held_on, today));
    let mut upcoming = upcoming;
    upcoming.sort_by_key(|m| m.held_on);
    let waiting = store::referrals_on(&mut w, &g, None)
        .await?
        .iter()
        .map(ReferralLine::from)
        .collect();
    let overdue = store::open_actions_due_by(&mut w, &g, today - time::Duration::days(1)).await?;
    let overdue_actions = open_actions(&g, &overdue, today)?;
    let heard: Vec<rules::Heard> = store::heard(&mut w, &g, today)
        .await?
        .into_iter()
        .map(|(meeting_on, repeat, source_agency)| rules::Heard {
            meeting_on,
            repeat,
            source_agency,
        })
        .collect();
    let dashboard = rules::dashboard(&heard, today, app.marac.adult_female_population);
    let since = hearth_domain::ukdate::add_months(today, -12);
    let heard_per_meeting = past
        .iter()
        .filter(|m| m.held_on > since)
        .map(|m| (m.held_on, m.area.clone(), m.cases))
        .collect();
    w.audit(event(
        actor,
        "marac.overview_view",
        "organisation",
        actor.org_id,
    ));
    w.commit().await?;
    Ok(Overview {
        upcoming,
        past,
        waiting,
        overdue_actions,
        dashboard,
        heard_per_meeting,
    })
}

pub async fn create_meeting(app: &App, actor: &Actor, form: &MeetingForm) -> Result<MeetingId> {
    let now = app.now();
    let mut w = app.store.work(now).await?;
    w.service(actor, Action::RunMarac).await?;
    let (held_on, area) = form.parse(uk_today(now))?;
    let id = MeetingId::new(now);
    store::insert_meeting(&mut w, now, id, actor.org_id, held_on, &area, actor.user_id).await?;
    w.audit(event(actor, "marac.meeting_create", "marac_meeting", id));
    w.commit().await?;
    Ok(id)
}

/// One case on a meeting's agenda, with its actions.
#[derive(Debug, Clone, Serialize)]
pub struct AgendaItem {
    pub referral: ReferralLine,
    pub actions: Vec<ActionView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MeetingView {
    pub id: Uuid,
    pub held_on: Date,
    pub area: String,
    pub agenda: Vec<AgendaItem>,
    pub attendance: Vec<(String, String)>,
    /// Referrals waiting for a meeting, to add to this one.
    pub waiting: Vec<ReferralLine>,
}

pub async fn meeting(app: &App, actor: &Actor, id: MeetingId) -> Result<MeetingView> {
    let now = app.now();
    let today = uk_today(now);
    let mut w = app.store.view(now).await?;
    let g = w.service(actor, Action::RunMarac).await?;
    let m = store::meeting_by_id(&mut w, &g, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let actions = store::actions_for_meeting(&mut w, &g, id).await?;
    let agenda = store::referrals_on(&mut w, &g, Some(id))
        .await?
        .iter()
        .map(|r| {
            Ok(AgendaItem {
                referral: ReferralLine::from(r),
                actions: open_actions(&g, actions.iter().filter(|a| a.referral_id == r.id), today)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let attendance = store::attendance(&mut w, &g, id).await?;
    let waiting = store::referrals_on(&mut w, &g, None)
        .await?
        .iter()
        .map(ReferralLine::from)
        .collect();
    w.commit().await?;
    Ok(MeetingView {
        id: id.uuid(),
        held_on: m.held_on,
        area: m.area,
        agenda,
        attendance,
        waiting,
    })
}

/// Put a waiting referral on a meeting's agenda.
pub async fn list_case(
    app: &App,
    actor: &Actor,
    meeting_id: Option<MeetingId>,
    referral_id: Option<MaracReferralId>,
) -> Result<()> {
    let now = app.now();
    let mut w = app.store.work(now).await?;
    let g = w.service(actor, Action::RunMarac).await?;
    // What was chosen is read only once the policy has let the coordinator in.
    let Some(meeting_id) = meeting_id else {
        return Err(AppError::invalid("meeting_id", "Choose a meeting"));
    };
    let Some(referral_id) = referral_id else {
        return Err(AppError::invalid(
            "referral_id",
            "Choose a referral to add to the agenda",
        ));
    };
    let meeting = store::meeting_by_id(&mut w, &g, meeting_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let (r, _) = store::referral(&mut w, actor, referral_id)
        .await
        .map_err(|e| match e {
            StoreError::Refused(_) => {
                AppError::invalid("referral_id", "Choose a referral waiting for a meeting")
            }
            e => e.into(),
        })?;
    if meeting.held_on < r.referred_on {
        return Err(AppError::invalid(
            "referral_id",
            format!(
                "That meeting was held on {}, before this referral was made on {}. Choose a later meeting.",
                format_date(meeting.held_on),
                format_date(r.referred_on)
            ),
        ));
    }
    if r.meeting_id == Some(meeting_id.uuid()) {
        // Already listed: still commit, so the answer waits for whatever it read to be durable.
        return Ok(w.commit().await?);
    }
    if !store::list_for_meeting(&mut w, &g, referral_id, meeting_id).await? {
        return Err(AppError::Conflict {
            field: Some("referral_id"),
            message: "That referral is already on another meeting's agenda. Nothing was changed."
                .into(),
        });
    }
    w.audit(
        event(actor, "marac.case_list", "marac_meeting", meeting_id)
            .detail("referral", referral_id),
    );
    w.commit().await?;
    Ok(())
}

/// Record that an agency was present or sent apologies.
pub async fn set_attendance(
    app: &App,
    actor: &Actor,
    meeting_id: MeetingId,
    agency: &str,
    status: &str,
) -> Result<()> {
    let now = app.now();
    let mut w = app.store.work(now).await?;
    let g = w.service(actor, Action::RunMarac).await?;
    let mut invalid = hearth_domain::Invalid::default();
    let agency = invalid
        .check(Line::<200>::parse_required(
            "agency",
            agency,
            "Enter the agency's name",
        ))
        .map(Line::into_string)
        .unwrap_or_default();
    let agency = agency.as_str();
    if !rules::ATTENDANCE.iter().any(|(c, _)| *c == status.trim()) {
        invalid.push("status", "Choose present or sent apologies");
    }
    invalid.into_result()?;
    store::meeting_by_id(&mut w, &g, meeting_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let before = store::set_attendance(
        &mut w,
        now,
        actor.org_id,
        meeting_id,
        agency,
        status.trim(),
        actor.user_id,
    )
    .await?;
    w.audit(
        event(actor, "marac.attendance", "marac_meeting", meeting_id)
            .detail("status", status.trim())
            .detail("before", before.unwrap_or_else(|| "none".into())),
    );
    w.commit().await?;
    Ok(())
}

/// Add an action agreed at the meeting for a case on its agenda. It cannot fall due before
/// the meeting. Sending the form twice adds it once.
pub async fn add_action(
    app: &App,
    actor: &Actor,
    referral_id: MaracReferralId,
    form: &ActionForm,
    submission_key: &str,
) -> Result<MaracActionId> {
    let now = app.now();
    let mut w = app.store.work(now).await?;
    w.service(actor, Action::RunMarac).await?;
    let (r, _) = store::referral(&mut w, actor, referral_id).await?;
    let scope = submission::Scope {
        org_id: actor.org_id,
        actor_id: Some(actor.user_id.uuid()),
        kind: SubmissionKind::MaracAction,
        target_id: Some(referral_id.uuid()),
    };
    let id = match submission::claim(&mut w, now, scope, submission_key, form).await? {
        Once::Replay(existing) => {
            w.commit().await?;
            return Ok(MaracActionId::from_uuid(existing));
        }
        Once::New(id) => id,
    };
    let (Some(meeting_id), Some(meeting_on)) = (r.meeting_id, r.meeting_on) else {
        return Err(AppError::invalid(
            "agency",
            "Put the case on a meeting's agenda before adding actions",
        ));
    };
    let checked = form.parse(meeting_on)?;
    let cipher = w.cipher(actor.org_id).await?;
    store::insert_action(
        &mut w,
        now,
        store::NewAction {
            id,
            org_id: actor.org_id,
            referral_id: referral_id.uuid(),
            meeting_id,
            agency: &checked.agency,
            description: cipher.encrypt(&store::action_place(id), &checked.description)?,
            due_on: checked.due_on,
            by: actor.user_id,
            submission_key: submission_key.trim(),
        },
    )
    .await?;
    w.audit(
        event(actor, "marac.action_add", "person", r.person_id)
            .detail("referral", referral_id)
            .detail("action", id),
    );
    w.commit().await?;
    Ok(MaracActionId::from_uuid(id))
}

/// Mark an action done or no longer needed (or open again). The coordinator and the case's
/// own workers may; each change is kept.
pub async fn set_action_status(
    app: &App,
    actor: &Actor,
    action_id: MaracActionId,
    from: &str,
    to: &str,
) -> Result<()> {
    let now = app.now();
    let mut w = app.store.work(now).await?;
    // Someone who may not update it is told it does not exist, whatever the reason.
    let (a, g) = store::action(&mut w, actor, action_id)
        .await
        .map_err(|e| match e {
            StoreError::Refused(_) => AppError::NotFound,
            e => e.into(),
        })?;
    if !g.allows_in(a.case_id, Action::RecordWork) {
        return Err(AppError::NotFound);
    }
    // Read only once the policy has let the actor at the action.
    let (Some(from), Some(to)) = (ActionStatus::parse(from), ActionStatus::parse(to)) else {
        return Err(AppError::invalid(
            "status",
            "Choose open, done or no longer needed",
        ));
    };
    if from == to {
        return Ok(w.commit().await?);
    }
    if !store::set_action_status(
        &mut w,
        now,
        store::StatusChange {
            org_id: actor.org_id,
            action_id: action_id.uuid(),
            from,
            to,
            by: actor.user_id,
        },
    )
    .await?
    {
        return Err(AppError::Conflict {
            field: Some("status"),
            message: "Someone else changed this action while you were looking at it. Nothing was changed: check it and try again.".into(),
        });
    }
    w.audit(
        event(actor, "marac.action_status", "person", a.person_id)
            .detail("action", action_id)
            .detail("status", to.code()),
    );
    w.commit().await?;
    Ok(())
}

/// Open MARAC actions on these cases, for the due list, which applies the firewall to each.
pub(crate) async fn open_actions_in_cases(
    w: &mut UnitOfWork,
    g: &CasesGuard,
    today: Date,
) -> Result<Vec<ActionView>> {
    let actions = store::actions_for_cases(w, g).await?;
    open_actions(
        g,
        actions.iter().filter(|a| a.status == ActionStatus::Open),
        today,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use hearth_domain::contact::{Arrangement, Safety};

    #[test]
    fn safe_times_show_only_on_channels_that_are_safe() {
        let c = ContactDetails {
            arrangements: vec![
                Arrangement {
                    channel: Channel::Phone,
                    safety: Safety::Safe,
                    when: "Weekdays 10-12".into(),
                },
                Arrangement {
                    channel: Channel::Text,
                    safety: Safety::NotSafe,
                    when: "Weekdays 10-12".into(),
                },
            ],
            ..Default::default()
        };
        let text = describe_contact(&c);
        assert!(text.contains("Weekdays 10-12"), "{text}");
        assert!(!text.contains("Not safe (Weekdays"), "{text}");
    }
}
