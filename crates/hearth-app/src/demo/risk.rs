//! The demo's risk work: assessments at every level, safety plans (some overdue for review),
//! MARAC referrals heard at past meetings with actions (some overdue), upcoming meetings, and
//! repeats. Written through the same use cases a worker and a coordinator use, each on the
//! date it represents, so every figure on the MARAC dashboard and every due item is real.

use crate::{marac, risk, safety_plans, App, Result};
use hearth_domain::clock::FixedClock;
use hearth_domain::ids::OrgId;
use hearth_domain::ids::UserId;
use hearth_domain::ids::{MaracReferralId, MeetingId, PersonId};
use hearth_domain::marac::{ActionForm, MeetingForm};
use hearth_domain::risk::{AssessmentForm, IncidentForm};
use hearth_domain::safety_plan::SafetyPlanForm;
use hearth_domain::ukdate::uk_today;
use hearth_domain::{Actor, Timestamp};
use hearth_store::users;
use rand::rngs::StdRng;
use rand::Rng;
use std::sync::Arc;
use time::{Date, Duration};
use uuid::Uuid;

/// A family the main seed made: its victim, their Idva and when the case opened.
pub struct Family {
    pub victim: Uuid,
    pub idva: Uuid,
    pub opened: Timestamp,
}

/// This many families get a full history of visits; the rest only their latest.
const MAX_FAMILIES: usize = 90;

/// Yes answers to the adult checklist, cycling through every level: standard, medium, high.
const YES_COUNTS: [usize; 10] = [3, 5, 8, 11, 12, 15, 6, 9, 17, 4];

async fn actor(app: &App, org_id: OrgId, user: Uuid) -> Result<Actor> {
    let mut conn = app.store.conn().await?;
    Ok(users::get(&mut conn, org_id, UserId::from_uuid(user))
        .await?
        .ok_or_else(|| crate::AppError::Internal("demo account".into()))?
        .actor())
}

fn day(d: Date) -> String {
    format!("{}/{}/{}", d.day(), d.month() as u8, d.year())
}

fn answers(app_questions: &[String], yes: usize) -> std::collections::BTreeMap<String, String> {
    app_questions
        .iter()
        .enumerate()
        .map(|(n, id)| (id.clone(), if n < yes { "yes" } else { "no" }.to_string()))
        .collect()
}

/// Everything done by one person on one date; the clock is set for each step.
struct Step<'a> {
    app: &'a App,
    clock: &'a FixedClock,
}

impl Step<'_> {
    fn at(&self, t: Timestamp) -> &App {
        self.clock.set(t);
        self.app
    }
}

pub async fn seed(
    app: &App,
    org_id: OrgId,
    coordinator: Uuid,
    families: &[Family],
    rng: &mut StdRng,
) -> Result<()> {
    let now = app.now();
    let today = uk_today(now);
    let clock = FixedClock::at(now);
    let mut past = app.clone();
    past.clock = Arc::new(clock.clone());
    let step = Step {
        app: &past,
        clock: &clock,
    };
    let coordinator = actor(app, org_id, coordinator).await?;
    let (file, src) = hearth_domain::instrument::SHIPPED[0];
    let questions: Vec<String> = hearth_domain::instrument::parse(file, src)
        .map_err(|e| crate::AppError::Internal(e.to_string()))?
        .questions
        .into_iter()
        .map(|q| q.id)
        .collect();

    // Fortnightly meetings over the last thirteen months (every demo case opened in the last
    // year) and the next month.
    let mut meetings: Vec<(Date, Uuid)> = Vec::new();
    let first = today - Duration::days(14 * 28);
    for k in 0..32 {
        let held_on = first + Duration::days(14 * k);
        if held_on > today + Duration::days(31) {
            break;
        }
        let form = MeetingForm {
            held_on: day(held_on),
            area: "Northshire (fictional)".into(),
        };
        let at = step.at(now - Duration::days(400));
        let id = marac::create_meeting(at, &coordinator, &form).await?;
        meetings.push((held_on, id.uuid()));
    }

    let ctx = Visits {
        step: &step,
        coordinator: &coordinator,
        meetings: &meetings,
        now,
    };
    let mut key = 0u32;
    let mut next_key = || {
        key += 1;
        format!("demo-risk-{key:08}")
    };
    let mut workers: std::collections::HashMap<Uuid, Actor> = Default::default();
    let chosen = families
        .iter()
        .filter(|f| f.opened < now - Duration::days(2));
    for (i, f) in chosen.enumerate() {
        let idva = match workers.get(&f.idva) {
            Some(a) => a.clone(),
            None => {
                let a = actor(app, org_id, f.idva).await?;
                workers.insert(f.idva, a.clone());
                a
            }
        };
        let first_visit = f.opened + Duration::hours(rng.gen_range(20..60));
        // Beyond the families with a full history, only the latest visit is written, which
        // keeps seeding quick; every family is still assessed and has a plan.
        let history = i < MAX_FAMILIES;
        let assessed = if history {
            first_visit
        } else {
            first_visit.max(now - Duration::days(rng.gen_range(3..50)))
        }
        .min(now - Duration::hours(3));
        let escalating = i % 9 == 2;
        if escalating {
            // Police call-outs before the assessment: the case is flagged for MARAC.
            for months in [9, 5, 1] {
                let occurred = uk_today(assessed) - Duration::days(30 * months);
                let form = IncidentForm {
                    occurred_on: day(occurred),
                    police_called: "yes".into(),
                    summary: "Police called by a neighbour after shouting was heard (fictional)."
                        .into(),
                    submission_key: next_key(),
                };
                risk::record_incident(
                    step.at(assessed - Duration::hours(1)),
                    &idva,
                    PersonId::from_uuid(f.victim),
                    &form,
                )
                .await?;
            }
        }
        let yes = YES_COUNTS[i % YES_COUNTS.len()];
        let raise = i % 11 == 3 && yes < 14;
        let form = AssessmentForm {
            answers: answers(&questions, yes),
            safe_to_talk: "yes".into(),
            judgement_level: if raise { "high".into() } else { String::new() },
            judgement_reason: if raise {
                "Threats made through the children at handovers; she believes he will carry them out."
                    .into()
            } else {
                String::new()
            },
            police_callouts: if escalating {
                "3".into()
            } else {
                String::new()
            },
            submission_key: next_key(),
            ..Default::default()
        };
        let done = risk::assess(
            step.at(assessed),
            &idva,
            PersonId::from_uuid(f.victim),
            "adult-risk",
            &form,
        )
        .await?;

        // A safety plan the same day, reviewed in six to eight weeks.
        let review = uk_today(assessed) + Duration::days(rng.gen_range(42..57));
        let app_now = step.at(assessed + Duration::hours(1));
        safety_plans::save(
            app_now,
            &idva,
            PersonId::from_uuid(f.victim),
            &plan_form(i, assessed, review),
            0,
        )
        .await?;
        let proposed = !done.marac_proposed.is_empty();
        ctx.marac_if_proposed(&idva, f.victim, assessed, proposed, i, &mut next_key)
            .await?;

        // Reassessed every eight weeks, with the plan reviewed at the same visit. One family in
        // five has missed its latest visit: its reassessment and plan review are overdue.
        let mut last = assessed;
        let mut yes_now = yes;
        let mut version = 1;
        loop {
            let next = last + Duration::days(56);
            let missed = i % 5 == 1 && next + Duration::days(56) >= now;
            if !history || next >= now - Duration::hours(3) || missed {
                break;
            }
            yes_now = if i % 4 == 0 && version == 1 {
                16
            } else {
                yes_now.saturating_sub(rng.gen_range(0..4))
            };
            let form = AssessmentForm {
                answers: answers(&questions, yes_now),
                safe_to_talk: "yes".into(),
                // Used only if the answers give a lower level than before.
                lowered_reason: "Reassessed after safety planning: she reports no contact from him since the injunction, and the answers agree."
                    .into(),
                submission_key: next_key(),
                ..Default::default()
            };
            let done = risk::assess(
                step.at(next),
                &idva,
                PersonId::from_uuid(f.victim),
                "adult-risk",
                &form,
            )
            .await?;
            let proposed = !done.marac_proposed.is_empty();
            ctx.marac_if_proposed(&idva, f.victim, next, proposed, i, &mut next_key)
                .await?;
            // Reviewed again at the next visit, eight weeks on.
            let review = uk_today(next) + Duration::days(rng.gen_range(49..63));
            let at = step.at(next + Duration::hours(1));
            safety_plans::save(
                at,
                &idva,
                PersonId::from_uuid(f.victim),
                &plan_form(i, next, review),
                version,
            )
            .await?;
            version += 1;
            last = next;
        }
        // A fresh incident on a few cases brings their reassessment forward.
        if i % 13 == 6 {
            let form = IncidentForm {
                occurred_on: day(today - Duration::days(3)),
                police_called: "no".into(),
                summary: "Told her Idva he had turned up at the school gates (fictional).".into(),
                submission_key: next_key(),
            };
            risk::record_incident(
                step.at(now - Duration::days(2)),
                &idva,
                PersonId::from_uuid(f.victim),
                &form,
            )
            .await?;
        }
    }
    Ok(())
}

/// What every visit needs to hand a case to MARAC.
struct Visits<'a> {
    step: &'a Step<'a>,
    coordinator: &'a Actor,
    meetings: &'a [(Date, Uuid)],
    now: Timestamp,
}

impl Visits<'_> {
    /// When an assessment proposes MARAC, the Idva refers and the case is heard with actions.
    async fn marac_if_proposed(
        &self,
        idva: &Actor,
        victim: Uuid,
        on: Timestamp,
        proposed: bool,
        i: usize,
        next_key: &mut impl FnMut() -> String,
    ) -> Result<()> {
        if !proposed {
            return Ok(());
        }
        let listed = refer(
            self.step,
            idva,
            self.coordinator,
            victim,
            on,
            self.meetings,
            next_key,
        )
        .await?;
        if let Some((referral, heard)) = listed {
            actions(
                self.step,
                self.coordinator,
                referral,
                heard,
                self.now,
                i,
                next_key,
            )
            .await?;
        }
        Ok(())
    }
}

fn plan_form(i: usize, on: Timestamp, review: Date) -> SafetyPlanForm {
    SafetyPlanForm {
        template: "adult".into(),
        strengths: "Close to my sister; I know my neighbours on one side.".into(),
        safe_people: "My sister (fictional); the school's family support worker.".into(),
        safe_word: ["Bluebell", "Lighthouse", "Marmalade", "Snowdrop"][i % 4].into(),
        documents: "Copies of passports and birth certificates kept at my sister's.".into(),
        escape_plan: "Bag packed at my sister's; taxi number saved under a friend's name.".into(),
        work_plan: "My manager knows; I use a different entrance and someone walks me to the car."
            .into(),
        school_plan: "School has the collection password and a photo of who must not collect."
            .into(),
        technology:
            "Location sharing turned off; new email account; phone checked for tracking apps."
                .into(),
        action_what: vec!["Ask the council about a sanctuary scheme".into()],
        action_who: vec!["My support worker".into()],
        action_by: vec![day(uk_today(on) + Duration::days(14))],
        review_on: day(review),
    }
}

/// Refer to MARAC from the pre-filled proposal and put the case on the next meeting at least
/// three days later. Returns the referral and its meeting date, if it was listed.
async fn refer(
    step: &Step<'_>,
    idva: &Actor,
    coordinator: &Actor,
    victim: Uuid,
    on: Timestamp,
    meetings: &[(Date, Uuid)],
    next_key: &mut impl FnMut() -> String,
) -> Result<Option<(Uuid, Date)>> {
    let at = on + Duration::hours(2);
    let mut p = marac::proposal(step.at(at), idva, PersonId::from_uuid(victim)).await?;
    p.form.victim_knows = "yes".into();
    p.form.victim_consented = "yes".into();
    p.form.source_agency = "idva".into();
    p.form.submission_key = next_key();
    let referral = marac::refer(step.at(at), idva, PersonId::from_uuid(victim), &p.form).await?;
    let Some((held_on, meeting)) = meetings
        .iter()
        .find(|(d, _)| *d >= uk_today(at) + Duration::days(3))
        .copied()
    else {
        return Ok(None);
    };
    marac::list_case(
        step.at(at + Duration::hours(1)),
        coordinator,
        Some(MeetingId::from_uuid(meeting)),
        Some(MaracReferralId::from_uuid(referral)),
    )
    .await?;
    Ok(Some((referral, held_on)))
}

/// Attendance and actions agreed at the meeting; most done on time, some left overdue.
async fn actions(
    step: &Step<'_>,
    coordinator: &Actor,
    referral: Uuid,
    heard: Date,
    now: Timestamp,
    i: usize,
    next_key: &mut impl FnMut() -> String,
) -> Result<()> {
    let meeting_time = heard.with_hms(14, 0, 0).expect("valid time").assume_utc();
    if meeting_time > now {
        return Ok(());
    }
    let view = marac::view_referral(
        step.at(meeting_time),
        coordinator,
        MaracReferralId::from_uuid(referral),
    )
    .await?;
    if let Some(meeting_id) = view.line.meeting_id {
        for (agency, status) in [
            ("Police", "present"),
            (
                "Health (GP, hospital, midwife or health visitor)",
                "present",
            ),
            (
                "Children's social care",
                if i.is_multiple_of(2) {
                    "present"
                } else {
                    "apologies"
                },
            ),
            ("Housing", "present"),
        ] {
            marac::set_attendance(
                step.at(meeting_time),
                coordinator,
                MeetingId::from_uuid(meeting_id),
                agency,
                status,
            )
            .await?;
        }
    }
    let agreed = [
        (
            "Police",
            "Flag the address for an urgent response and check bail conditions.",
            7,
        ),
        (
            "Housing",
            "Assess for a sanctuary scheme and target hardening.",
            21,
        ),
        (
            "Children's social care",
            "Strategy discussion about the children's safety.",
            10,
        ),
    ];
    for (n, (agency, description, days)) in agreed.iter().enumerate() {
        let form = ActionForm {
            agency: (*agency).into(),
            description: (*description).into(),
            due_on: day(heard + Duration::days(*days)),
        };
        let id = marac::add_action(
            step.at(meeting_time),
            coordinator,
            MaracReferralId::from_uuid(referral),
            &form,
            &next_key(),
        )
        .await?;
        let due = heard + Duration::days(*days);
        // Every eighth case leaves one action undone: it stands out as overdue.
        let left_open =
            (i.is_multiple_of(8) && n == (i / 8) % agreed.len()) || due >= uk_today(now);
        if !left_open {
            let done_at = (due - Duration::days(1))
                .with_hms(11, 0, 0)
                .expect("time")
                .assume_utc();
            marac::set_action_status(step.at(done_at.min(now)), coordinator, id, "open", "done")
                .await?;
        }
    }
    Ok(())
}
