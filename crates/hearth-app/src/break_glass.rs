//! Break-glass: a worker opens a case they are not allocated to, in an emergency, by giving a
//! reason. Access lasts a working day, is audited, and is shown to the service manager. There is
//! no other way to learn that a case one cannot see exists.

use crate::users::By;
use crate::{App, AppError, Result};
use hearth_domain::access::Action;
use hearth_domain::ids::CaseId;
use hearth_domain::validation::Invalid;
use hearth_domain::{Actor, Timestamp};
use hearth_store::access::Guard;
use hearth_store::audit::AuditEvent;
use hearth_store::{break_glass, cases};
use time::Duration;
use uuid::Uuid;

/// How long break-glass access lasts.
pub const LASTS: Duration = Duration::hours(8);

/// Open a case by its reference. Returns the case to go to.
pub async fn open(app: &App, actor: &Actor, reference: &str, reason: &str) -> Result<CaseId> {
    By::User(actor).check(Action::BreakGlass)?;
    let mut invalid = Invalid::default();
    let reference = reference.trim();
    if reference.is_empty() {
        invalid.push("reference", "Enter the case reference");
    }
    let reason = invalid.text::<2_000>("reason", reason);
    if reason.chars().count() < 10 {
        invalid.push(
            "reason",
            "Explain why you need this case now: your reason is shown to the service manager",
        );
    }
    let reason = reason.as_str();
    invalid.into_result()?;
    let now = app.now();
    let mut w = app.store.work(now).await?;
    let Some(case_id) = cases::id_by_reference(&mut w, actor, reference).await? else {
        return Err(AppError::invalid(
            "reference",
            "No case has that reference. Check it with whoever gave it to you",
        ));
    };
    if w.case(actor, case_id, Action::ViewCaseRecord).await.is_ok() {
        // Already open to them: nothing to break.
        return Ok(case_id);
    }
    let cipher = w.cipher(actor.org_id).await?;
    let grant = break_glass::insert(
        &mut w,
        now,
        now + LASTS,
        actor.org_id,
        actor.user_id,
        case_id.uuid(),
        |id| cipher.encrypt(&break_glass::reason_place(id), reason),
    )
    .await?;
    w.audit(
        AuditEvent::new("case.break_glass", "case")
            .org(actor.org_id)
            .actor(actor.user_id)
            .entity(case_id)
            .detail("grant", grant),
    );
    w.commit().await?;
    Ok(case_id)
}

#[derive(Debug, Clone)]
pub struct LogLine {
    pub user_name: String,
    pub case_id: Uuid,
    pub reference: String,
    pub reason: String,
    pub granted_at: Timestamp,
    pub expires_at: Timestamp,
}

/// Every break-glass opening, newest first: for those who review them (service managers).
pub async fn log(app: &App, actor: &Actor) -> Result<Vec<LogLine>> {
    let mut w = app.view().await?;
    // Reviewing emergency access is reading every record's history across the service.
    let review = w.service(actor, Action::ViewRecordHistory).await?;
    let grants = break_glass::for_org(&mut w, &review, 500).await?;
    let lines = grants
        .into_iter()
        .map(|g| {
            Ok(LogLine {
                reason: review.open(&g.reason)?.shown().ok_or(AppError::Forbidden)?,
                user_name: g.user_name,
                case_id: g.case_id,
                reference: g.reference,
                granted_at: g.granted_at,
                expires_at: g.expires_at,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    w.audit(
        AuditEvent::new("break_glass.log_view", "user")
            .org(actor.org_id)
            .actor(actor.user_id)
            .entity(actor.user_id),
    );
    w.commit().await?;
    Ok(lines)
}
