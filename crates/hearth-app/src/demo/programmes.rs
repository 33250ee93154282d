//! The demo's programme work: the combinations a real service has, made by walking the same use
//! cases a worker and a manager use, each on the date it represents. Families with three or
//! four enrolments at once, an Engage client whose partner has an Idva (her offer recorded
//! first), an APVA family, a Grow Together pair, waiting lists with their reasons, missed
//! sessions awaiting a safety check, news for a partner's Idva, and enrolments ended with
//! reasons.

use crate::programmes::{
    self, change_enrolment, plan_session, propose, record_offer, record_session,
};
use crate::{casework, records, App, Result};
use hearth_domain::access::CaseRole;
use hearth_domain::clock::FixedClock;
use hearth_domain::enrolment::{AttendanceForm, ChangeForm, OfferForm, ProposalForm, SessionForm};
use hearth_domain::ids::{CaseId, EnrolmentId, OrgId, PersonId, UserId};
use hearth_domain::ukdate::{from_uk, to_uk};
use hearth_domain::{Actor, Timestamp};
use std::collections::HashMap;
use std::sync::Arc;
use time::Duration;
use uuid::Uuid;

/// Who does what in the demo, as the accounts the seed made.
struct Cast {
    manager: Actor,
    idva: Actor,
    children: Actor,
    engage: Actor,
    groups: Actor,
}

/// A family as the seed left it: the case and who is in it in which role.
struct Found {
    case: CaseId,
    victim: Option<Uuid>,
    harm: Option<Uuid>,
    children: Vec<Uuid>,
    /// A young person who is both a child and causing harm (the seed's APVA families).
    young_harm: Option<Uuid>,
}

/// Everything done on one date: the clock is set for each step.
struct Step {
    app: App,
    clock: FixedClock,
    now: Timestamp,
}

impl Step {
    fn days_ago(&self, days: i64, hour: u8) -> &App {
        self.clock
            .set(uk_day_at(self.now, days, hour).min(self.now));
        &self.app
    }
}

/// That hour, UK time, on the UK day `days` before `now`: the day [`day`] names. Taken in UTC,
/// a step made after 23:00 in winter about a day in summer time fell on the day before the
/// one its session was planned for, and recording the session was refused as too early.
fn uk_day_at(now: Timestamp, days: i64, hour: u8) -> Timestamp {
    from_uk(
        to_uk(now - Duration::days(days)).date(),
        time::Time::from_hms(hour, 0, 0).expect("an hour"),
    )
}

fn key(n: &mut u32) -> String {
    *n += 1;
    format!("demo-programme-{n:010}")
}

fn day(t: Timestamp) -> String {
    let d = to_uk(t).date();
    format!("{:02}/{:02}/{}", d.day(), d.month() as u8, d.year())
}

async fn cast(app: &App, org_id: OrgId, ids: &HashMap<&'static str, Uuid>) -> Result<Cast> {
    let mut conn = app.store.conn().await?;
    let mut actors = Vec::new();
    for k in ["idva.manager", "idva", "children", "engage", "groups"] {
        let u = hearth_store::users::get(&mut conn, org_id, UserId::from_uuid(ids[k]))
            .await?
            .ok_or_else(|| crate::AppError::Internal(format!("demo account {k}")))?;
        actors.push(u.actor());
    }
    let [manager, idva, children, engage, groups]: [Actor; 5] = actors
        .try_into()
        .map_err(|_| crate::AppError::Internal("demo accounts".into()))?;
    Ok(Cast {
        manager,
        idva,
        children,
        engage,
        groups,
    })
}

/// The families the seed made, as the manager sees them: people whose date of birth is known
/// (programmes have ages), children old enough for 1:1 work.
async fn families(app: &App, manager: &Actor) -> Result<Vec<Found>> {
    let list = records::cases_list(app, manager, hearth_domain::paging::Page::first(500)).await?;
    let today = hearth_domain::ukdate::uk_today(app.now());
    let mut out = Vec::new();
    for c in list.cases.iter().filter(|c| c.status == "open") {
        let case = CaseId::from_uuid(c.id);
        let record = records::view_case(app, manager, case).await?;
        let with = |role: CaseRole| -> Vec<Uuid> {
            record
                .members
                .iter()
                .filter(|m| m.role == role)
                .filter(|m| {
                    let age = m
                        .date_of_birth
                        .as_deref()
                        .and_then(hearth_domain::ukdate::from_iso)
                        .map(|born| crate::risk::age_on(born, today));
                    match (role, age) {
                        (CaseRole::ChildOrYoungPerson, Some(a)) => (5..=17).contains(&a),
                        // A young person causing harm (APVA) is 10 to 17.
                        (CaseRole::PersonCausingHarm, Some(a)) => a >= 10,
                        (_, Some(a)) => a >= 18,
                        (_, None) => false,
                    }
                })
                .map(|m| m.person_id)
                .collect()
        };
        let children = with(CaseRole::ChildOrYoungPerson);
        let harm = with(CaseRole::PersonCausingHarm);
        let young_harm = harm.iter().copied().find(|h| children.contains(h));
        out.push(Found {
            case,
            victim: with(CaseRole::VictimSurvivor).first().copied(),
            harm: harm.iter().copied().find(|h| Some(*h) != young_harm),
            children: children
                .into_iter()
                .filter(|c| Some(*c) != young_harm)
                .collect(),
            young_harm,
        });
    }
    Ok(out)
}

pub async fn seed(app: &App, org_id: OrgId, ids: &HashMap<&'static str, Uuid>) -> Result<()> {
    let now = app.now();
    let clock = FixedClock::at(now);
    let mut past = app.clone();
    past.clock = Arc::new(clock.clone());
    let step = Step {
        app: past,
        clock,
        now,
    };
    let cast = cast(app, org_id, ids).await?;
    let found = families(app, &cast.manager).await?;
    let mut n = 0u32;
    let mut used: Vec<CaseId> = Vec::new();
    let mut pick = |want: &dyn Fn(&Found) -> bool| -> Option<usize> {
        let i = found
            .iter()
            .position(|f| !used.contains(&f.case) && want(f))?;
        used.push(found[i].case);
        Some(i)
    };
    let combined: Vec<usize> = (0..3)
        .filter_map(|_| pick(&|f| f.victim.is_some() && f.harm.is_some() && !f.children.is_empty()))
        .collect();
    let apva = pick(&|f| f.victim.is_some() && f.young_harm.is_some());
    let grow = pick(&|f| f.victim.is_some() && !f.children.is_empty());
    let waiting: Vec<usize> = (0..4)
        .filter_map(|_| pick(&|f| f.victim.is_some()))
        .collect();
    let ended = pick(&|f| f.victim.is_some() && !f.children.is_empty());

    for (k, i) in combined.iter().enumerate() {
        combination(&step, &cast, &found[*i], k, &mut n).await?;
    }
    if let Some(i) = apva {
        let f = &found[i];
        let (young, parent) = (f.young_harm.expect("picked"), f.victim.expect("picked"));
        let e = proposed(
            &step,
            30,
            &cast.manager,
            f,
            "apva",
            &[young, parent],
            &mut n,
        )
        .await?;
        for linked in together(&step, &cast, f, e).await? {
            started(&step, 28, &cast, linked, "children").await?;
        }
        sessions(
            &step,
            &cast.children,
            e,
            &[(21, "attended"), (14, "attended")],
            3,
            &mut n,
        )
        .await?;
    }
    if let Some(i) = grow {
        let f = &found[i];
        let (parent, child) = (f.victim.expect("picked"), f.children[0]);
        let app = step.days_ago(40, 10);
        casework::add_relationship(
            app,
            &cast.manager,
            f.case,
            &parent.to_string(),
            "parent",
            &child.to_string(),
        )
        .await?;
        let e = proposed(
            &step,
            35,
            &cast.manager,
            f,
            "grow_together",
            &[parent, child],
            &mut n,
        )
        .await?;
        for linked in together(&step, &cast, f, e).await? {
            started(&step, 30, &cast, linked, "groups").await?;
        }
        sessions(
            &step,
            &cast.groups,
            e,
            &[
                (20, "attended"),
                (13, "attended"),
                (6, "cancelled_by_person"),
            ],
            4,
            &mut n,
        )
        .await?;
    }
    let reasons = [
        "Court hearing next month: support before then",
        "Moved to a refuge: needs a group near the new address",
        "Referred by her GP: anxiety after leaving",
        "Asked to wait until the school holidays",
    ];
    for (k, i) in waiting.iter().enumerate() {
        let f = &found[*i];
        let e = proposed(
            &step,
            50 - 7 * k as i64,
            &cast.manager,
            f,
            "recovery",
            &[f.victim.expect("picked")],
            &mut n,
        )
        .await?;
        let form = ChangeForm {
            to: "waiting".into(),
            priority_reason: reasons[k % reasons.len()].into(),
            based_on: 1,
            ..Default::default()
        };
        change_enrolment(
            step.days_ago(45 - 7 * k as i64, 11),
            &cast.manager,
            e,
            &form,
        )
        .await?;
    }
    if let Some(i) = ended {
        let f = &found[i];
        let e = proposed(
            &step,
            120,
            &cast.manager,
            f,
            "cyp_one_to_one",
            &[f.children[0]],
            &mut n,
        )
        .await?;
        started(&step, 115, &cast, e, "children").await?;
        sessions(
            &step,
            &cast.children,
            e,
            &[(100, "attended"), (90, "attended"), (80, "attended")],
            0,
            &mut n,
        )
        .await?;
        ended_with(&step, 70, &cast.children, e, "Goals met").await?;
        let idva = proposed(
            &step,
            118,
            &cast.manager,
            f,
            "idva",
            &[f.victim.expect("picked")],
            &mut n,
        )
        .await?;
        started(&step, 117, &cast, idva, "idva").await?;
        ended_with(&step, 60, &cast.idva, idva, "Risk reduced").await?;
    }
    Ok(())
}

/// Every enrolment made together with this one under its rule, this one first.
async fn together(step: &Step, cast: &Cast, f: &Found, e: EnrolmentId) -> Result<Vec<EnrolmentId>> {
    let plan = programmes::family_plan(&step.app, &cast.manager, f.case).await?;
    let page = programmes::enrolment_page(&step.app, &cast.manager, e).await?;
    let mut out = vec![e];
    for row in &plan.rows {
        for cell in &row.cells {
            for other in cell {
                let theirs = programmes::enrolment_page(&step.app, &cast.manager, other.id).await?;
                if other.id != e
                    && theirs.enrolment.link_id.is_some()
                    && theirs.enrolment.link_id == page.enrolment.link_id
                {
                    out.push(other.id);
                }
            }
        }
    }
    Ok(out)
}

/// A family with three or four enrolments at once: the mother's Idva support, 1:1 work for a
/// child, the father on Engage once her Idva offer is recorded, and for the first family a
/// missed session awaiting its safety check and news of Engage for her Idva.
async fn combination(step: &Step, cast: &Cast, f: &Found, k: usize, n: &mut u32) -> Result<()> {
    let (mother, father, child) = (
        f.victim.expect("picked"),
        f.harm.expect("picked"),
        f.children[0],
    );
    let idva = proposed(step, 60, &cast.manager, f, "idva", &[mother], n).await?;
    started(step, 58, cast, idva, "idva").await?;
    sessions(
        step,
        &cast.idva,
        idva,
        &[(50, "attended"), (36, "attended"), (22, "attended")],
        2,
        n,
    )
    .await?;
    let cyp = proposed(step, 45, &cast.manager, f, "cyp_one_to_one", &[child], n).await?;
    started(step, 40, cast, cyp, "children").await?;
    let missed = if k == 0 { "did_not_attend" } else { "attended" };
    sessions(
        step,
        &cast.children,
        cyp,
        &[(30, "attended"), (16, "attended"), (2, missed)],
        5,
        n,
    )
    .await?;
    let engage = proposed(step, 35, &cast.manager, f, "engage", &[father], n).await?;
    let offer = OfferForm {
        outcome: "accepted".into(),
        offered_on: day(step.now - Duration::days(33)),
        view_sought_on: day(step.now - Duration::days(33)),
    };
    record_offer(
        step.days_ago(33, 15),
        &cast.idva,
        f.case,
        PersonId::from_uuid(mother),
        &offer,
    )
    .await?;
    started(step, 30, cast, engage, "engage").await?;
    sessions(
        step,
        &cast.engage,
        engage,
        &[(23, "attended"), (9, "did_not_attend"), (1, "attended")],
        6,
        n,
    )
    .await?;
    // Her Idva has passed on the older news; the newest waits for her.
    let plan = programmes::family_plan(step.days_ago(0, 8), &cast.idva, f.case).await?;
    let mut news = plan.news;
    news.sort_by_key(|x| x.happened_on);
    for old in news.iter().rev().skip(1) {
        programmes::mark_told(step.days_ago(0, 8), &cast.idva, old.id).await?;
    }
    if k == 0 {
        // The fourth: the mother waits for a Recovery group alongside her Idva support.
        let recovery = proposed(step, 20, &cast.idva, f, "recovery", &[mother], n).await?;
        let form = ChangeForm {
            to: "waiting".into(),
            priority_reason: "Ready for the Freedom Programme once the court case is over".into(),
            based_on: 1,
            ..Default::default()
        };
        change_enrolment(step.days_ago(19, 10), &cast.manager, recovery, &form).await?;
    }
    Ok(())
}

async fn proposed(
    step: &Step,
    days_ago: i64,
    by: &Actor,
    f: &Found,
    programme: &str,
    people: &[Uuid],
    n: &mut u32,
) -> Result<EnrolmentId> {
    let form = ProposalForm {
        programme: programme.into(),
        people: people.iter().map(|p| p.to_string()).collect(),
        submission_key: key(n),
    };
    propose(step.days_ago(days_ago, 9), by, f.case, &form).await
}

async fn started(
    step: &Step,
    days_ago: i64,
    cast: &Cast,
    e: EnrolmentId,
    worker: &str,
) -> Result<()> {
    let app = step.days_ago(days_ago, 10);
    let page = programmes::enrolment_page(app, &cast.manager, e).await?;
    let worker = match worker {
        "idva" => cast.idva.user_id,
        "children" => cast.children.user_id,
        "engage" => cast.engage.user_id,
        _ => cast.groups.user_id,
    };
    let form = ChangeForm {
        to: "active".into(),
        worker_id: worker.to_string(),
        based_on: page.enrolment.version,
        ..Default::default()
    };
    change_enrolment(app, &cast.manager, e, &form).await
}

async fn ended_with(
    step: &Step,
    days_ago: i64,
    by: &Actor,
    e: EnrolmentId,
    reason: &str,
) -> Result<()> {
    let app = step.days_ago(days_ago, 16);
    let page = programmes::enrolment_page(app, by, e).await?;
    let form = ChangeForm {
        to: "ended".into(),
        exit_reason: reason.into(),
        based_on: page.enrolment.version,
        ..Default::default()
    };
    change_enrolment(app, by, e, &form).await
}

/// Sessions held (days ago, what happened), each planned the day before and recorded after,
/// and the next one planned `ahead` days on (none if 0).
async fn sessions(
    step: &Step,
    by: &Actor,
    e: EnrolmentId,
    held: &[(i64, &str)],
    ahead: i64,
    n: &mut u32,
) -> Result<()> {
    let place = |k: usize| {
        [
            "The family centre, Northgate (fictional)",
            "Her home",
            "School, the quiet room",
        ][k % 3]
    };
    for (k, (days_ago, outcome)) in held.iter().enumerate() {
        let at = step.now - Duration::days(*days_ago);
        let form = SessionForm {
            date: day(at),
            time: "10:30".into(),
            place: place(k).into(),
            submission_key: key(n),
        };
        let s = plan_session(step.days_ago(days_ago + 1, 9), by, e, &form).await?;
        let app = step.days_ago(*days_ago, 15);
        let page = programmes::enrolment_page(app, by, e).await?;
        let topics = page.programme.topics.iter().take(2).cloned().collect();
        let attended = *outcome == "attended";
        let record = AttendanceForm {
            outcome: outcome.to_string(),
            duration_minutes: if attended { "50".into() } else { String::new() },
            topics: if attended { topics } else { Vec::new() },
            note: if attended {
                "Went through the plan for the week; agreed what to work on next time.".into()
            } else {
                String::new()
            },
            sensitivity: "ordinary".into(),
            based_on: 1,
        };
        record_session(app, by, e, s, &record).await?;
    }
    if ahead > 0 {
        let at = step.now + Duration::days(ahead);
        let form = SessionForm {
            date: day(at),
            time: "14:00".into(),
            place: place(held.len()).into(),
            submission_key: key(n),
        };
        plan_session(step.days_ago(0, 9), by, e, &form).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn a_step_falls_on_the_uk_day_its_session_is_planned_for() {
        // 23:20 on a December evening (GMT), looking back to a day in summer time.
        let now = datetime!(2026-12-06 23:20 UTC);
        for days in 0..400 {
            let at = uk_day_at(now, days, 15);
            assert_eq!(
                to_uk(at).date(),
                to_uk(now - Duration::days(days)).date(),
                "{days} days ago"
            );
            assert_eq!(to_uk(at).hour(), 15, "{days} days ago");
        }
    }
}
