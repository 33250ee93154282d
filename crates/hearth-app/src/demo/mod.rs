//! A synthetic demo service: teams, staff in every role, and families. The surnames are
//! invented (no real family is called Quillfeather), so nobody can mistake the demo for a
//! live service, and the generator is seeded so every demo is the same.

mod programmes;
mod risk;

use crate::secrets;
use crate::{App, Result};
use hearth_domain::access::{Action, CaseRole};
use hearth_domain::contact::{Arrangement, Channel, ContactDetails, Safety};
use hearth_domain::ids::new_id;
use hearth_domain::ids::OrgId;
use hearth_domain::ids::{TeamId, UserId};
use hearth_domain::paging::Page;
use hearth_domain::person::Identity;
use hearth_domain::timeline::{EntryKind, Sensitivity};
use hearth_domain::{Actor, Role};
use hearth_store::audit::AuditEvent;
use hearth_store::orgs::{self, Organisation};
use hearth_store::users::{self, NewUser};
use hearth_store::{cases, contact, timeline};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use time::Duration;
use uuid::Uuid;

/// The password of every demo account; shown on the demo's sign-in page.
pub const DEMO_PASSWORD: &str = "demo-only-password";
pub const DEMO_DOMAIN: &str = "demo.hearth.example";

/// Shared with the generator.
pub(crate) const GIVEN_ADULT_F: &[&str] = &[
    "Amira",
    "Bethan",
    "Chloe",
    "Danielle",
    "Eilidh",
    "Fatima",
    "Grace",
    "Hannah",
    "Imani",
    "Jade",
    "Kerry",
    "Leanne",
    "Maryam",
    "Niamh",
    "Olivia",
    "Priya",
    "Rebecca",
    "Sadia",
    "Tanya",
    "Zofia",
    "Aisling",
    "Chantelle",
];
/// Shared with the generator.
pub(crate) const GIVEN_ADULT_M: &[&str] = &[
    "Aaron", "Ben", "Callum", "Dean", "Emeka", "Gareth", "Hamza", "Jamie", "Kyle", "Lewis",
    "Marek", "Nathan", "Owen", "Ravi", "Scott", "Tomasz", "Wayne", "Yusuf",
];
/// Shared with the generator.
pub(crate) const GIVEN_CHILD: &[&str] = &[
    "Alfie",
    "Ava",
    "Bella",
    "Charlie",
    "Darcy",
    "Ellie",
    "Freddie",
    "Harper",
    "Isla",
    "Jayden",
    "Leo",
    "Lily",
    "Mason",
    "Mia",
    "Noah",
    "Poppy",
    "Reggie",
    "Sophia",
    "Theo",
    "Zara",
    "Aleksander",
    "Inaya",
    "Musa",
    "Ruby",
];
const FAMILY: &[&str] = &[
    "Quillfeather",
    "Brackenholt",
    "Marrowdene",
    "Fernwhistle",
    "Ashcombe-Tarly",
    "Nettlewick",
    "Oakenshade",
    "Pebblethorn",
    "Rushmoor-Vale",
    "Sallowmere",
    "Thistlebank",
    "Umberleigh",
    "Wrenfield",
    "Yarrowby",
    "Cobblestride",
    "Dimmerstone",
    "Elderwick",
    "Gorsefield",
    "Hollowbrook",
    "Inglebarrow",
    "Juniperlow",
    "Kestrelmoor",
    "Larkspurrow",
    "Mossgrove",
    "Nightingale-Pike",
    "Orchardine",
    "Pimblewood",
    "Quarrendon",
    "Ravensholt",
    "Sorrelby",
    "Tansyford",
    "Varlowe",
    "Willowmere",
    "Applethwaite-Dunn",
    "Bramblecote",
];

const DISCLOSURES: &[&str] = &[
    "Disclosed that the abuse has got worse since the separation; he has started turning up at the school.",
    "Disclosed threats made over the phone last week. Safety planning discussed; she keeps a second phone hidden.",
    "Disclosed financial control: no access to her own wages. Referred to the benefits adviser.",
    "Disclosed she is frightened for the children at contact handovers. Discussed a handover at the family centre.",
];

const STREETS: &[&str] = &[
    "Orchard Close",
    "Mill Lane",
    "Station Road",
    "Beacon Rise",
    "Willow Court",
    "Church View",
];

/// Invented schools, by stage.
const SCHOOLS: [&[&str]; 3] = [
    &[
        "Orchard Primary School",
        "Mill Lane Infant and Junior School",
        "St Bede's Primary",
    ],
    &["Beacon Rise Academy", "Northshire High School"],
    &["Northshire College"],
];

/// A school for a child of school age born on `dob` (ISO), chosen by `n` so that adding schools
/// does not change the rest of the generated demo.
fn school_for(dob: &str, today: time::Date, n: usize) -> Option<&'static str> {
    let age = (today - hearth_domain::ukdate::from_iso(dob)?).whole_days() / 365;
    let stage = match age {
        4..=10 => SCHOOLS[0],
        11..=15 => SCHOOLS[1],
        16.. => SCHOOLS[2],
        _ => return None,
    };
    Some(stage[n % stage.len()])
}

/// Invented contact details using Ofcom's drama numbers (07700 900000 to 900999) and a made-up
/// postcode area (NS), so none of them reaches a real person.
fn demo_contact(rng: &mut StdRng, n: usize) -> ContactDetails {
    let text_is_safe = rng.gen_bool(0.6);
    let arrangement = |channel, safety, when: &str| Arrangement {
        channel,
        safety,
        when: when.into(),
    };
    ContactDetails {
        arrangements: vec![
            if text_is_safe {
                arrangement(Channel::Phone, Safety::NotSafe, "")
            } else {
                arrangement(Channel::Phone, Safety::Safe, "Weekdays 9:30 to 2:30")
            },
            if text_is_safe {
                arrangement(
                    Channel::Text,
                    Safety::Safe,
                    "Any time; never mention the service",
                )
            } else {
                arrangement(Channel::Text, Safety::NotKnown, "")
            },
            arrangement(Channel::Email, Safety::NotKnown, ""),
            arrangement(Channel::Letter, Safety::NotSafe, "He opens her post"),
            arrangement(Channel::Voicemail, Safety::NotSafe, ""),
        ],
        phone: format!("07700 900{:03}", n % 1000),
        email: String::new(),
        address: format!(
            "{} {}\nNorthshire",
            rng.gen_range(1..120),
            STREETS[rng.gen_range(0..STREETS.len())]
        ),
        postcode: format!(
            "NS{} {}{}{}",
            rng.gen_range(1..9),
            rng.gen_range(1..9),
            char::from(b'A' + rng.gen_range(0..26u8)),
            char::from(b'A' + rng.gen_range(0..26u8))
        ),
        confidential_address: rng.gen_bool(0.2),
    }
}

/// The victim's contact details, a first contact and often a disclosure, written as the Idva.
async fn seed_casework(
    w: &mut hearth_store::UnitOfWork,
    cipher: &hearth_store::FieldCipher,
    rng: &mut StdRng,
    (org_id, case_id, victim, idva): (Uuid, Uuid, Uuid, Uuid),
    n: usize,
    opened: hearth_domain::Timestamp,
    entry_no: &mut u32,
) -> Result<()> {
    let details = demo_contact(rng, n);
    contact::insert(
        w,
        cipher,
        opened,
        contact::NewContact {
            org_id: OrgId::from_uuid(org_id),
            person_id: victim,
            version: 1,
            details: &details,
            by: UserId::from_uuid(idva),
        },
    )
    .await?;
    let first = opened + Duration::hours(rng.gen_range(2..72));
    let mut entries = vec![(
        EntryKind::Contact,
        Sensitivity::Ordinary,
        first,
        Some(("phone", "spoke")),
        "First contact. Agreed to talk again on Thursday at the agreed safe time.".to_string(),
    )];
    if rng.gen_bool(0.7) {
        let body = DISCLOSURES[rng.gen_range(0..DISCLOSURES.len())].to_string();
        entries.push((
            EntryKind::Note,
            Sensitivity::Sensitive,
            first + Duration::days(3),
            None,
            body,
        ));
    }
    for (kind, sensitivity, at, contact_made, body) in entries {
        if at > w.now() {
            continue;
        }
        *entry_no += 1;
        let id = hearth_domain::ids::EntryId::new(at);
        let key = format!("demo-{entry_no:08}");
        let e = timeline::NewEntry {
            id,
            org_id: OrgId::from_uuid(org_id),
            case_id,
            person_id: Some(victim),
            kind,
            sensitivity,
            by: UserId::from_uuid(idva),
            submission_key: &key,
        };
        timeline::insert_entry(w, at, e).await?;
        let sealed = cipher.encrypt(&timeline::body_place(id, 1), &body)?;
        timeline::insert_version(
            w,
            at,
            timeline::NewVersion {
                org_id: OrgId::from_uuid(org_id),
                entry_id: id,
                version: 1,
                occurred_at: at,
                method: contact_made.map(|c| c.0),
                outcome: contact_made.map(|c| c.1),
                body: sealed,
                by: UserId::from_uuid(idva),
            },
        )
        .await?;
    }
    Ok(())
}

/// Two self-referrals accepted and allocated, but nobody has reached the person yet: first
/// contacts that are overdue. Done through the same use cases as a team manager would use.
async fn accept_some_referrals(
    app: &App,
    org_id: OrgId,
    team: TeamId,
    ids: &std::collections::HashMap<&str, Uuid>,
) -> Result<()> {
    use crate::referrals::{self, DecisionForm};
    use hearth_domain::referral::Source;
    let manager = {
        let mut conn = app.store.conn().await?;
        users::get(&mut conn, org_id, UserId::from_uuid(ids["idva.manager"]))
            .await?
            .ok_or_else(|| crate::AppError::Internal("demo manager".into()))?
            .actor()
    };
    let waiting = referrals::queue(app, &manager, Page::first(referrals::QUEUE_PAGE)).await?;
    for item in waiting
        .items
        .iter()
        .filter(|i| i.source == Source::SelfReferral)
        .take(2)
    {
        let form = DecisionForm {
            decision: "accept".into(),
            team_id: team.to_string(),
            ..Default::default()
        };
        if let Some(case_id) = referrals::decide(app, &manager, item.id, &form)
            .await?
            .case()
        {
            crate::casework::allocate(app, &manager, case_id, &ids["idva"].to_string(), "").await?;
        }
    }
    Ok(())
}

/// Referrals waiting in triage: new families, and re-referrals of families already known
/// (alike name, same birth date) for triage to find.
async fn seed_referrals(
    w: &mut hearth_store::UnitOfWork,
    app: &App,
    org_id: OrgId,
    earlier: &[(String, String, String)],
    rng: &mut StdRng,
) -> Result<()> {
    use hearth_domain::referral::{NamedPerson, ReferralDetails, Source};
    use hearth_store::referrals;
    let cipher = w.cipher(org_id).await?;
    let mut people: Vec<(NamedPerson, Source, &str)> = earlier
        .iter()
        .map(|(g, f, d)| {
            // Typed differently from the record, as people do: no accents, a lower-case surname.
            let given = g.replace('ë', "e");
            (
                NamedPerson {
                    given_name: given,
                    family_name: f.to_lowercase(),
                    date_of_birth: Some(d.clone()),
                },
                Source::Professional,
                "police",
            )
        })
        .collect();
    for i in 0..8 {
        let given = GIVEN_ADULT_F[rng.gen_range(0..GIVEN_ADULT_F.len())].to_string();
        let family = FAMILY[rng.gen_range(0..FAMILY.len())].to_string();
        let (source, agency) = match i % 3 {
            0 => (Source::SelfReferral, "self"),
            1 => (Source::Professional, "health_visitor"),
            _ => (Source::Professional, "school"),
        };
        people.push((
            NamedPerson {
                given_name: given,
                family_name: family,
                date_of_birth: None,
            },
            source,
            agency,
        ));
    }
    // Numbered in the order they arrived, as real ones are.
    // Self-referrals arrive at least 75 hours ago: whatever the day of the week, a high-risk one
    // is then past its first-contact target, which the demo needs to show.
    let mut arrivals: Vec<_> = people
        .into_iter()
        .map(|p| {
            let hours = if p.1 == Source::SelfReferral {
                rng.gen_range(75..110)
            } else {
                rng.gen_range(1..120)
            };
            (app.now() - Duration::hours(hours), p)
        })
        .collect();
    arrivals.sort_by_key(|(at, _)| *at);
    for (i, (received, (person, source, agency))) in arrivals.into_iter().enumerate() {
        let details = ReferralDetails {
            referrer_name: if source == Source::SelfReferral {
                String::new()
            } else {
                "PC Jo Example".into()
            },
            referrer_agency: if source == Source::SelfReferral {
                String::new()
            } else {
                agency.into()
            },
            referrer_phone: "01632 960000".into(),
            person,
            phone: format!("07700 900{:03}", 900 + i),
            safe_to_phone: "not_known".into(),
            safe_to_text: "safe".into(),
            // Written the way Hearth can check a contact against: "weekdays 9am to 12".
            safe_times: "Weekdays 9am to 12".into(),
            dash_score: Some(if source == Source::SelfReferral {
                16
            } else {
                rng.gen_range(4..20)
            }),
            consent: true,
            ..Default::default()
        };
        let n = referrals::next_number(w, org_id, "referral").await?;
        let id = hearth_domain::ids::ReferralId::new(received);
        let json = serde_json::to_string(&details)
            .map_err(|e| crate::AppError::Internal(e.to_string()))?;
        let key = format!("demo-referral-{i}");
        let r = referrals::NewReferral {
            id,
            org_id,
            reference: &format!("R{}-{n:05}", received.year()),
            source,
            referrer_agency: agency,
            received_by: None,
            details: cipher.encrypt(&referrals::details_place(id), &json)?,
            submission_key: &key,
            address_key: None,
        };
        referrals::insert(w, received, r).await?;
    }
    Ok(())
}

#[derive(Debug, Clone)]
pub struct DemoSummary {
    pub org: Organisation,
    pub accounts: Vec<(String, Role)>,
    pub families: usize,
}

/// Create the demo organisation. Runs in one transaction: a half-made demo never exists.
pub async fn seed(app: &App, families: usize) -> Result<DemoSummary> {
    let now = app.now();
    let mut rng = StdRng::seed_from_u64(0x4ea7);
    let mut w = app.store.work(now).await?;
    let org = orgs::create(
        &app.store,
        &mut w,
        now,
        "Hearth Demo Service (fictional)",
        "demo",
        true,
    )
    .await?;
    let idva_team = orgs::create_team(&mut w, now, org.id, "Idva and Recovery").await?;
    let cyp_team = orgs::create_team(&mut w, now, org.id, "Children and Families").await?;
    let engage_team = orgs::create_team(&mut w, now, org.id, "Engage").await?;

    // One hash for all: every demo account shares the published demo password.
    let hash = secrets::hash_password(DEMO_PASSWORD);
    let staff: &[(&str, &str, Role, Option<TeamId>)] = &[
        ("admin", "Alex Administrator", Role::Administrator, None),
        (
            "service.manager",
            "Sam Service-Manager",
            Role::ServiceManager,
            None,
        ),
        (
            "idva.manager",
            "Tara Team-Manager (Idva)",
            Role::TeamManager,
            Some(idva_team.id),
        ),
        (
            "cyp.manager",
            "Chris Team-Manager (Children)",
            Role::TeamManager,
            Some(cyp_team.id),
        ),
        (
            "engage.manager",
            "Jordan Team-Manager (Engage)",
            Role::TeamManager,
            Some(engage_team.id),
        ),
        ("idva", "Ifeoma Idva", Role::CaseWorker, Some(idva_team.id)),
        ("idva2", "Rhian Idva", Role::CaseWorker, Some(idva_team.id)),
        ("idva3", "Kasia Idva", Role::CaseWorker, Some(idva_team.id)),
        (
            "children",
            "Cerys Children's-Worker",
            Role::ChildrensWorker,
            Some(cyp_team.id),
        ),
        (
            "children2",
            "Dev Children's-Worker",
            Role::ChildrensWorker,
            Some(cyp_team.id),
        ),
        (
            "engage",
            "Euan Engage-Practitioner",
            Role::EngagePractitioner,
            Some(engage_team.id),
        ),
        (
            "engage2",
            "Mo Engage-Practitioner",
            Role::EngagePractitioner,
            Some(engage_team.id),
        ),
        (
            "groups",
            "Gill Group-Facilitator",
            Role::GroupFacilitator,
            Some(idva_team.id),
        ),
        (
            "mentors",
            "Pat Peer-Mentor-Coordinator",
            Role::PeerMentorCoordinator,
            Some(idva_team.id),
        ),
        (
            "training",
            "Toni Training-Coordinator",
            Role::TrainingCoordinator,
            None,
        ),
        ("evaluator", "Eve Evaluator", Role::Evaluator, None),
        (
            "referrer",
            "Ray Referrer (police)",
            Role::ExternalReferrer,
            None,
        ),
    ];
    let mut accounts = Vec::new();
    let mut ids = std::collections::HashMap::new();
    for (local, name, role, team) in staff {
        let id = new_id(now);
        let email = format!("{local}@{DEMO_DOMAIN}");
        users::insert(
            &mut w,
            now,
            NewUser {
                id: UserId::from_uuid(id),
                org_id: org.id,
                team_id: *team,
                email: &email,
                display_name: name,
                role: *role,
                password_hash: &hash,
                must_change_password: false,
            },
        )
        .await?;
        ids.insert(*local, id);
        accounts.push((email, *role));
    }
    let idvas = [ids["idva"], ids["idva2"], ids["idva3"]];
    let cipher = w.cipher(org.id).await?;
    let mut entry_no = 0u32;
    let childrens = [ids["children"], ids["children2"]];
    let engagers = [ids["engage"], ids["engage2"]];

    let mut earlier_victims: Vec<(String, String, String)> = Vec::new();
    let mut risk_families = Vec::new();
    for n in 0..families {
        let opened =
            now - Duration::days(rng.gen_range(0..365)) - Duration::minutes(rng.gen_range(0..600));
        let family = FAMILY[rng.gen_range(0..FAMILY.len())];
        let reference = format!("HD-{}-{:04}", opened.year(), n + 1);
        let case_id = cases::insert_case(&mut w, opened, org.id, idva_team.id, &reference).await?;
        let dob = |rng: &mut StdRng, min: i64, max: i64| {
            let d = now.date() - Duration::days(rng.gen_range(min * 365..max * 365));
            d.to_string()
        };
        let victim_name = GIVEN_ADULT_F[rng.gen_range(0..GIVEN_ADULT_F.len())];
        let victim_dob = dob(&mut rng, 19, 60);
        if n % 40 == 7 {
            earlier_victims.push((
                victim_name.to_string(),
                family.to_string(),
                victim_dob.clone(),
            ));
        }
        let victim = cases::insert_person(
            &mut w,
            &cipher,
            opened,
            org.id,
            &Identity::named(victim_name, family, Some(&victim_dob)),
        )
        .await?;
        cases::add_member(
            &mut w,
            opened,
            org.id,
            case_id,
            victim,
            CaseRole::VictimSurvivor,
        )
        .await?;
        let idva = idvas[n % idvas.len()];
        risk_families.push(risk::Family {
            victim: victim.uuid(),
            idva,
            opened,
        });
        cases::allocate(
            &mut w,
            opened,
            cases::NewAllocation {
                org_id: org.id,
                case_id,
                person_id: Some(victim),
                worker_id: UserId::from_uuid(idva),
                by: Some(UserId::from_uuid(ids["idva.manager"])),
            },
        )
        .await?;
        seed_casework(
            &mut w,
            &cipher,
            &mut rng,
            (org.id.uuid(), case_id.uuid(), victim.uuid(), idva),
            n,
            opened,
            &mut entry_no,
        )
        .await?;

        // Most families include the person causing harm; every fourth is adolescent-to-parent.
        let apva = n % 4 == 3;
        if !apva && rng.gen_bool(0.8) {
            let harm_name = GIVEN_ADULT_M[rng.gen_range(0..GIVEN_ADULT_M.len())];
            let harm_dob = dob(&mut rng, 20, 62);
            let harm = cases::insert_person(
                &mut w,
                &cipher,
                opened,
                org.id,
                &Identity::named(harm_name, family, Some(&harm_dob)),
            )
            .await?;
            cases::add_member(
                &mut w,
                opened,
                org.id,
                case_id,
                harm,
                CaseRole::PersonCausingHarm,
            )
            .await?;
            if rng.gen_bool(0.35) {
                cases::allocate(
                    &mut w,
                    opened,
                    cases::NewAllocation {
                        org_id: org.id,
                        case_id,
                        person_id: Some(harm),
                        worker_id: UserId::from_uuid(engagers[n % engagers.len()]),
                        by: Some(UserId::from_uuid(ids["engage.manager"])),
                    },
                )
                .await?;
            }
        }
        // Some families include another adult: a grandparent who helps with the children.
        if n % 10 == 5 {
            let gran_dob = dob(&mut rng, 55, 80);
            let gran = cases::insert_person(
                &mut w,
                &cipher,
                opened,
                org.id,
                &Identity::named("Margaret", family, Some(&gran_dob)),
            )
            .await?;
            cases::add_member(&mut w, opened, org.id, case_id, gran, CaseRole::OtherAdult).await?;
        }
        let children = if apva {
            rng.gen_range(1..=3)
        } else {
            rng.gen_range(0..=3)
        };
        for c in 0..children {
            let child_name = GIVEN_CHILD[rng.gen_range(0..GIVEN_CHILD.len())];
            let (min, max) = if apva && c == 0 { (12, 17) } else { (1, 17) };
            let child_dob = dob(&mut rng, min, max);
            let child = cases::insert_person(
                &mut w,
                &cipher,
                opened,
                org.id,
                &Identity::named(child_name, family, Some(&child_dob)),
            )
            .await?;
            cases::add_member(
                &mut w,
                opened,
                org.id,
                case_id,
                child,
                CaseRole::ChildOrYoungPerson,
            )
            .await?;
            if let Some(school) = school_for(&child_dob, now.date(), n + c) {
                let json = serde_json::to_string(&hearth_domain::family::Agency {
                    agency: "school".into(),
                    name: school.into(),
                    contact: "Designated safeguarding lead".into(),
                    phone: String::new(),
                    consent_to_share: "yes".into(),
                })
                .map_err(|e| crate::AppError::Internal(e.to_string()))?;
                // Recorded by the family's Idva, through the door as any worker's would be.
                let by = Actor::staff(
                    UserId::from_uuid(idva),
                    org.id,
                    Some(idva_team.id),
                    Role::CaseWorker,
                );
                let case = w.case(&by, case_id, Action::RecordWork).await?;
                let seal = |id| cipher.encrypt(&cases::agency_place(id), &json);
                cases::add_agency(&mut w, &case, opened, Some(child), seal).await?;
            }
            if apva && c == 0 {
                cases::add_member(
                    &mut w,
                    opened,
                    org.id,
                    case_id,
                    child,
                    CaseRole::PersonCausingHarm,
                )
                .await?;
            }
            if rng.gen_bool(0.5) {
                cases::allocate(
                    &mut w,
                    opened,
                    cases::NewAllocation {
                        org_id: org.id,
                        case_id,
                        person_id: Some(child),
                        worker_id: UserId::from_uuid(childrens[n % childrens.len()]),
                        by: Some(UserId::from_uuid(ids["cyp.manager"])),
                    },
                )
                .await?;
            }
        }
    }
    seed_referrals(&mut w, app, org.id, &earlier_victims, &mut rng).await?;
    w.audit(
        AuditEvent::new("demo.seed", "organisation")
            .org(org.id)
            .entity(org.id)
            .detail("families", families),
    );
    w.commit().await?;
    accept_some_referrals(app, org.id, idva_team.id, &ids).await?;
    risk::seed(app, org.id, ids["idva.manager"], &risk_families, &mut rng).await?;
    programmes::seed(app, org.id, &ids).await?;
    crate::next_due::work_out_all(app).await?;
    // A bulk load: the planner's statistics are out of date now.
    app.store.analyze_after_bulk_load().await?;
    Ok(DemoSummary {
        org,
        accounts,
        families,
    })
}
