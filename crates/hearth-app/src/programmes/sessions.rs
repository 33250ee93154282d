//! Sessions of 1:1 work on an enrolment: planned with a date, time, place and worker, then
//! recorded once as attended (with its length, topics and note), missed or cancelled. The note
//! goes on the case's timeline, behind the firewall as any entry. A missed session of a victim
//! or child leaves a safety check on the worker's due list; an Engage session leaves news for
//! the partner's Idva.

use super::catalogue;
use super::partners::engage_partners;
use crate::submission::{self, Once};
use crate::{event, App, AppError, Result};
use hearth_domain::access::{Action, CaseRole, FieldClass};
use hearth_domain::enrolment::{
    Attendance, AttendanceForm, PartnerNews, SessionForm, SessionRecord,
};
use hearth_domain::ids::{EnrolmentId, SessionId};
use hearth_domain::programme::{EnrolmentState, Linked, Programme};
use hearth_domain::submission::SubmissionKind;
use hearth_domain::timeline::EntryKind;
use hearth_domain::ukdate::{format_datetime, uk_today};
use hearth_domain::{Actor, Timestamp};
use hearth_store::access::{CaseGuard, Guard};
use hearth_store::enrolments::{self, Enrolment};
use hearth_store::programme_sessions::{self as store, Session};
use hearth_store::{cases, partners, timeline, UnitOfWork};

/// A session as the user may see it.
#[derive(Debug, Clone)]
pub struct SessionView {
    pub id: SessionId,
    pub planned_at: Timestamp,
    /// Where: withheld unless the user may see the person's location data.
    pub place: Option<String>,
    pub worker: String,
    pub attendance: Attendance,
    pub duration_minutes: Option<i64>,
    pub topics: Vec<String>,
    pub version: i64,
}

pub(crate) fn session_view(guard: &CaseGuard, s: Session) -> Result<SessionView> {
    let topics = match &s.topics {
        Some(t) => guard
            .open(t)?
            .shown()
            .map(|t| t.lines().map(str::to_string).collect())
            .unwrap_or_default(),
        None => Vec::new(),
    };
    Ok(SessionView {
        id: s.id,
        planned_at: s.planned_at,
        place: guard.open(&s.place)?.shown(),
        worker: s.worker_name,
        attendance: s.attendance,
        duration_minutes: s.duration_minutes,
        topics,
        version: s.version,
    })
}

/// Plan a session. Only an enrolment that has started has sessions, and none before it
/// started. Sent twice, it is saved once.
pub async fn plan_session(
    app: &App,
    actor: &Actor,
    id: EnrolmentId,
    form: &SessionForm,
) -> Result<SessionId> {
    let now = app.now();
    let mut w = app.work().await?;
    let (e, guard) = enrolments::open(&mut w, actor, id, Action::RecordWork).await?;
    let scope = submission::Scope {
        org_id: actor.org_id,
        actor_id: Some(actor.user_id.uuid()),
        kind: SubmissionKind::Session,
        target_id: Some(id.uuid()),
    };
    let session = match submission::claim(&mut w, now, scope, &form.submission_key, form).await? {
        Once::Replay(existing) => {
            w.commit().await?;
            return Ok(SessionId::from_uuid(existing));
        }
        Once::New(s) => SessionId::from_uuid(s),
    };
    if e.state != EnrolmentState::Active {
        return Err(AppError::invalid(
            "date",
            format!(
                "Sessions are planned once the enrolment has started: it is {}",
                e.state.label().to_lowercase()
            ),
        ));
    }
    if !guard.sees(e.person_id.uuid(), FieldClass::Location) {
        // Where a session is held says where the person will be.
        return Err(AppError::Forbidden);
    }
    let planned = form.parse(e.since(), now)?;
    let new = store::NewSession {
        id: session,
        org_id: actor.org_id,
        enrolment_id: id,
        case_id: e.case_id,
        person_id: e.person_id,
        planned_at: planned.at,
        place: guard
            .cipher()
            .encrypt(&store::place_place(session), &planned.place)?,
        worker_id: e.worker_id.unwrap_or(actor.user_id),
        by: actor.user_id,
        submission_key: form.submission_key.trim(),
    };
    store::insert(&mut w, now, new).await?;
    w.audit(
        event(actor, "enrolment.session_plan", "case", e.case_id)
            .detail("enrolment", id)
            .detail("session", session),
    );
    w.commit().await?;
    Ok(session)
}

/// A session's page, to record what happened.
#[derive(Debug, Clone)]
pub struct SessionPage {
    pub enrolment_id: EnrolmentId,
    pub case_id: hearth_domain::ids::CaseId,
    pub reference: String,
    pub person_name: String,
    pub programme: Programme,
    pub session: SessionView,
    pub may_record: bool,
    /// The person's role makes a missed session a reason to check they are safe.
    pub check_if_missed: bool,
}

pub async fn session_page(
    app: &App,
    actor: &Actor,
    id: EnrolmentId,
    session: SessionId,
) -> Result<SessionPage> {
    let mut w = app.view().await?;
    let (e, guard) = enrolments::open(&mut w, actor, id, Action::ViewCaseRecord).await?;
    let (s, record, programme) = session_of(&mut w, &guard, &e, session).await?;
    let page = SessionPage {
        enrolment_id: id,
        case_id: e.case_id,
        reference: record.summary.reference.clone(),
        person_name: name_in(&record, &e),
        check_if_missed: roles_in(&record, &e)
            .iter()
            .any(|r| matches!(r, CaseRole::VictimSurvivor | CaseRole::ChildOrYoungPerson)),
        programme,
        may_record: guard.allows(Action::RecordWork),
        session: session_view(&guard, s)?,
    };
    w.commit().await?;
    Ok(page)
}

async fn session_of(
    w: &mut UnitOfWork,
    guard: &CaseGuard,
    e: &Enrolment,
    session: SessionId,
) -> Result<(Session, cases::CaseRecord, Programme)> {
    let s = store::of_enrolment(w, guard, e.id)
        .await?
        .into_iter()
        .find(|s| s.id == session)
        .ok_or(AppError::NotFound)?;
    let record = cases::record(w, guard).await?;
    let programme = catalogue::made_on(
        w,
        guard.actor().org_id,
        &e.programme_key,
        e.programme_version,
    )
    .await?;
    Ok((s, record, programme))
}

fn name_in(record: &cases::CaseRecord, e: &Enrolment) -> String {
    record.name_of(e.person_id.uuid())
}

fn roles_in(record: &cases::CaseRecord, e: &Enrolment) -> Vec<CaseRole> {
    record
        .members
        .iter()
        .filter(|m| m.person_id == e.person_id.uuid())
        .map(|m| m.role)
        .collect()
}

/// Record what happened at a planned session, once: recording it again is refused, and so is
/// recording a session whose time has not yet come.
pub async fn record_session(
    app: &App,
    actor: &Actor,
    id: EnrolmentId,
    session: SessionId,
    form: &AttendanceForm,
) -> Result<()> {
    let now = app.now();
    let mut w = app.work().await?;
    let (e, guard) = enrolments::open(&mut w, actor, id, Action::RecordWork).await?;
    let (s, record, programme) = session_of(&mut w, &guard, &e, session).await?;
    if s.attendance != Attendance::Planned {
        return Err(AppError::Conflict {
            field: Some("outcome"),
            message: format!(
                "This session was already recorded as {}. Nothing was changed.",
                s.attendance.label().to_lowercase()
            ),
        });
    }
    if s.planned_at > now {
        return Err(AppError::invalid(
            "outcome",
            format!(
                "The session is planned for {}: record it once it has happened",
                format_datetime(s.planned_at)
            ),
        ));
    }
    let r = form.parse(&programme)?;
    if r.sensitivity.class() == FieldClass::Sensitive
        && !guard.sees(e.person_id.uuid(), FieldClass::Sensitive)
    {
        return Err(AppError::invalid(
            "sensitivity",
            "You can record only ordinary notes about this person",
        ));
    }
    let entry = note_on_timeline(&mut w, &guard, &e, &s, &programme, &r).await?;
    let topics = (!r.topics.is_empty())
        .then(|| {
            guard
                .cipher()
                .encrypt(&store::topics_place(session), &r.topics.join("\n"))
        })
        .transpose()?;
    let recorded = store::Recorded {
        id: session,
        based_on: form.based_on,
        attendance: r.outcome,
        duration_minutes: r.duration_minutes,
        topics,
        entry_id: Some(entry),
    };
    if !store::record(&mut w, &guard, now, recorded).await? {
        return Err(AppError::Conflict {
            field: Some("outcome"),
            message: "Someone else recorded this session while you were looking at it. Nothing was saved.".into(),
        });
    }
    if let (Linked::PartnerOfferedIdva, Some(news)) =
        (programme.linked, PartnerNews::of_session(r.outcome))
    {
        let partners = engage_partners(&mut w, &guard, &record, &e).await?;
        partners::leave_news(
            &mut w,
            &guard,
            now,
            e.id,
            &partners.ids(),
            (news, uk_today(s.planned_at)),
        )
        .await?;
    }
    w.audit(
        event(actor, "enrolment.session_record", "case", e.case_id)
            .detail("enrolment", id)
            .detail("session", session)
            .detail("attendance", r.outcome.code()),
    );
    w.commit().await?;
    Ok(())
}

/// The session on the case's timeline: an attended session is a contact in person (it counts
/// as contact made); one missed or cancelled is an event.
async fn note_on_timeline(
    w: &mut UnitOfWork,
    guard: &CaseGuard,
    e: &Enrolment,
    s: &Session,
    p: &Programme,
    r: &SessionRecord,
) -> Result<hearth_domain::ids::EntryId> {
    let mut body = format!("{} session: {}", p.name, r.outcome.label().to_lowercase());
    if let Some(m) = r.duration_minutes {
        body.push_str(&format!(", {m} minutes"));
    }
    body.push('.');
    if !r.topics.is_empty() {
        body.push_str(&format!(" Topics: {}.", r.topics.join(", ")));
    }
    if !r.note.is_empty() {
        body.push_str(&format!("\n\n{}", r.note));
    }
    let attended = r.outcome == Attendance::Attended;
    let key = format!("session-{}", s.id);
    let written = timeline::Written {
        person_id: Some(e.person_id),
        kind: if attended {
            EntryKind::Contact
        } else {
            EntryKind::Event
        },
        sensitivity: r.sensitivity,
        occurred_at: s.planned_at,
        method: attended.then_some("in_person"),
        outcome: attended.then_some("spoke"),
        body: &body,
        key: &key,
    };
    Ok(timeline::write(w, guard, written).await?)
}
