//! A synthetic data set at national scale, for benchmarks: many organisations, each with its
//! teams, staff and families, written through the store's own write paths (people sealed and
//! indexed, contact details sealed, timeline entries sealed, every record audited), so what is
//! measured on it is what a real service would meet.
//!
//! The content is deterministic from the seed: the same flags give the same organisations,
//! names, dates and shapes of family (identifiers are fresh UUIDs each run).

use crate::demo::{GIVEN_ADULT_F, GIVEN_ADULT_M, GIVEN_CHILD};
use crate::secrets;
use crate::{App, Result};
use hearth_domain::access::CaseRole;
use hearth_domain::contact::{Arrangement, Channel, ContactDetails, Safety};
use hearth_domain::ids::new_id;
use hearth_domain::ids::MeetingId;
use hearth_domain::ids::{CaseId, OrgId, PersonId};
use hearth_domain::ids::{TeamId, UserId};
use hearth_domain::instrument::Instrument;
use hearth_domain::marac::{ActionStatus, Criterion};
use hearth_domain::person::Identity;
use hearth_domain::risk::{AssessmentForm, RiskLevel};
use hearth_domain::timeline::{EntryKind, Sensitivity};
use hearth_domain::ukdate::uk_today;
use hearth_domain::{Role, Timestamp};
use hearth_store::audit::AuditEvent;
use hearth_store::users::{self, NewUser};
use hearth_store::{cases, contact, marac, orgs, risk, timeline, FieldCipher, UnitOfWork};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use time::Date;
use time::Duration;
use uuid::Uuid;

/// How big a data set to make.
#[derive(Debug, Clone)]
pub struct Scale {
    pub organisations: usize,
    /// Cases across all organisations.
    pub cases: usize,
    /// Timeline entries in each case, on average.
    pub entries_per_case: usize,
    pub seed: u64,
}

impl Scale {
    /// The national set: 50 organisations, 300,000 cases, about 1,000,000 people and
    /// 10,000,000 timeline entries.
    pub fn national() -> Scale {
        Scale {
            organisations: 50,
            cases: 300_000,
            entries_per_case: 33,
            seed: 1,
        }
    }
}

/// What was made.
#[derive(Debug, Clone, Default)]
pub struct Generated {
    pub organisations: usize,
    pub staff: usize,
    pub cases: usize,
    pub people: usize,
    pub entries: usize,
    pub assessments: usize,
    pub incidents: usize,
    pub marac_meetings: usize,
    pub marac_referrals: usize,
    pub marac_actions: usize,
    pub audit_entries: usize,
    /// The first organisation's slug, and the email of one of its Idvas, its team manager and
    /// its service manager, for benchmarks to sign in as.
    pub first_org: String,
    pub idva_email: String,
    pub team_manager_email: String,
    pub service_manager_email: String,
    pub referrer_email: String,
}

/// The checklist generated assessments are given on: the shipped adult one.
const ADULT_CHECKLIST: &str = "adult-risk";

/// The password of every generated account.
pub const PASSWORD: &str = "generated-only-password";

/// Families written in one unit of work: large enough that a commit's fsync is shared widely,
/// small enough that progress shows and memory stays flat.
const FAMILIES_PER_COMMIT: usize = 200;

/// Open cases per Idva, as services plan caseloads.
const CASES_PER_IDVA: usize = 40;

/// Idvas in one team, under one team manager, as services are organised: a team manager
/// oversees a team's few hundred cases, not a service's thousands.
const IDVAS_PER_TEAM: usize = 10;

/// Surnames are built from invented parts, so no generated family shares a real one by design
/// and there are enough of them (40 × 40) for search to meet realistic clusters of namesakes.
const SURNAME_START: &[&str] = &[
    "Ash", "Brack", "Cinder", "Dun", "Elder", "Fern", "Gorse", "Heath", "Ivy", "Juniper", "Kest",
    "Larch", "Marrow", "Nettle", "Oak", "Pike", "Quill", "Rush", "Sallow", "Thorn", "Umber",
    "Vetch", "Willow", "Yarrow", "Alder", "Bramble", "Clover", "Dock", "Ember", "Flint", "Glen",
    "Holly", "Inch", "Kings", "Lark", "Moss", "North", "Orchard", "Primrose", "Reed",
];
const SURNAME_END: &[&str] = &[
    "by",
    "combe",
    "dale",
    "dene",
    "field",
    "ford",
    "gate",
    "hall",
    "ham",
    "hurst",
    "ley",
    "low",
    "mere",
    "more",
    "ridge",
    "row",
    "shaw",
    "stead",
    "thwaite",
    "ton",
    "wick",
    "wood",
    "worth",
    "feather",
    "brook",
    "croft",
    "fold",
    "garth",
    "holme",
    "land",
    "lock",
    "marsh",
    "moor",
    "port",
    "shire",
    "stow",
    "well",
    "well-Jones",
    "water",
    "yard",
];
const NOTES: &[&str] = &[
    "Spoke by phone at the agreed safe time. She is keeping the safety plan by the door.",
    "Home visit with the children's worker. The children were at school.",
    "Text sent: 'Appointment confirmed'. No reply expected.",
    "Met at the GP surgery. Talked through the court date and special measures.",
    "Called the housing officer about the move. Waiting to hear back.",
    "Missed call; did not leave a message, as agreed.",
];

/// Make the data set, calling `progress` after each commit with a line to print.
pub async fn generate(app: &App, scale: &Scale, progress: impl Fn(&str)) -> Result<Generated> {
    let mut rng = StdRng::seed_from_u64(scale.seed);
    let now = app.now();
    let hash = secrets::hash_password(PASSWORD);
    let mut out = Generated::default();
    let per_org = scale.cases.div_ceil(scale.organisations.max(1));
    let started = app.now();
    let mut orgs = Vec::with_capacity(scale.organisations);
    let mut families: Vec<(usize, Family)> = Vec::with_capacity(scale.cases);
    for o in 0..scale.organisations {
        let cases_here = per_org.min(scale.cases - families.len());
        orgs.push(make_organisation(app, now, o, cases_here, &hash, &mut out).await?);
        families.extend((0..cases_here).map(|n| (o, Family::draw(&mut rng, now, n))));
    }
    progress(&format!(
        "{} organisations made, with {} staff",
        out.organisations, out.staff
    ));
    // Written oldest first across every service at once, not one service after another.
    // Identifiers carry the time they were made and most indexes lead with one (a case's, an
    // entry's, a person's), so this way each commit's rows go at the end of each index. Service
    // by service, each later service's rows went between the earlier services' rows of the same
    // months, so more of them took an index page to themselves with each service: the load
    // slowed from 176 cases a second for the first service to 149 for the seventh.
    families.sort_by_key(|(_, f)| f.opened);
    let total = families.len();
    for batch in families.chunks(FAMILIES_PER_COMMIT) {
        // Each time: the pool replaces its connections now and then, and a new one starts
        // with the server's settings.
        app.store.prepare_bulk_load().await?;
        let mut w = app.store.work_alone(app.now()).await?;
        for (o, family) in batch {
            let org = &orgs[*o];
            write_family(&mut w, org, family, scale, &mut rng, &mut out).await?;
        }
        out.audit_entries += w.events().len();
        w.commit().await?;
        out.cases += batch.len();
        let secs = (app.now() - started).as_seconds_f64().max(1.0);
        progress(&format!(
            "{}/{total} cases, oldest first across {} organisations; in all {} people, {} entries, {} assessments, {} MARAC referrals, {} audit entries ({:.0} cases/s)",
            out.cases,
            scale.organisations,
            out.people,
            out.entries,
            out.assessments,
            out.marac_referrals,
            out.audit_entries,
            out.cases as f64 / secs,
        ));
    }
    // People were written unindexed; each service's index is built now, in token order.
    for (o, org) in orgs.iter().enumerate() {
        let mut w = app.store.work_alone(app.now()).await?;
        let cipher = w.cipher(org.id).await?;
        let people = hearth_store::identity::reindex(&mut w, &cipher).await?;
        w.commit().await?;
        progress(&format!(
            "organisation {}/{}: {people} people indexed for search",
            o + 1,
            orgs.len()
        ));
    }
    progress("working out each case's next due");
    crate::next_due::work_out_all(app).await?;
    // After the work-out, so the planner's statistics know that few cases are left unknown.
    app.store.analyze_after_bulk_load().await?;
    Ok(out)
}

/// An organisation being filled: its teams and the staff families are allocated to.
struct Org {
    id: OrgId,
    /// Each Idva with their team.
    idvas: Vec<(Uuid, TeamId)>,
    engage: Vec<Uuid>,
    manager: Uuid,
    /// The adult risk checklist as the organisation has it.
    checklist: Instrument,
    /// Its MARAC meetings, oldest first: one a fortnight over the years the cases span.
    meetings: Vec<(Date, MeetingId)>,
}

async fn make_organisation(
    app: &App,
    now: Timestamp,
    o: usize,
    cases: usize,
    hash: &str,
    out: &mut Generated,
) -> Result<Org> {
    let mut w = app.work().await?;
    let slug = format!("gen-{:02}", o + 1);
    let org = orgs::create(
        &app.store,
        &mut w,
        now,
        &format!("Generated Service {:02} (synthetic)", o + 1),
        &slug,
        // Synthetic, with a published password: signs in without a second factor, as the demo.
        true,
    )
    .await?;
    let idvas = cases.div_ceil(CASES_PER_IDVA).max(1);
    let mut idva_teams = Vec::new();
    for t in 0..idvas.div_ceil(IDVAS_PER_TEAM) {
        let name = format!("Idva and Recovery {}", t + 1);
        idva_teams.push(orgs::create_team(&mut w, now, org.id, &name).await?.id);
    }
    let engage_team = orgs::create_team(&mut w, now, org.id, "Engage").await?;
    let domain = format!("{slug}.hearth.example");
    let add =
        |local: String, name: String, role: Role, team: Option<TeamId>| (local, name, role, team);
    let mut staff = vec![
        add(
            "service.manager".into(),
            "Service Manager".into(),
            Role::ServiceManager,
            None,
        ),
        add(
            "idva.manager".into(),
            "Idva Team Manager".into(),
            Role::TeamManager,
            Some(idva_teams[0]),
        ),
        add(
            "referrer".into(),
            "Police Referrer".into(),
            Role::ExternalReferrer,
            None,
        ),
    ];
    for (t, team) in idva_teams.iter().enumerate().skip(1) {
        staff.push(add(
            format!("idva.manager{}", t + 1),
            format!("Idva Team Manager {}", t + 1),
            Role::TeamManager,
            Some(*team),
        ));
    }
    for i in 1..=idvas {
        staff.push(add(
            format!("idva{i}"),
            format!("Idva {i}"),
            Role::CaseWorker,
            Some(idva_teams[(i - 1) / IDVAS_PER_TEAM]),
        ));
    }
    for i in 1..=(idvas / 4).max(1) {
        staff.push(add(
            format!("engage{i}"),
            format!("Engage Practitioner {i}"),
            Role::EngagePractitioner,
            Some(engage_team.id),
        ));
    }
    let checklist = crate::instruments::current(&mut w, org.id, ADULT_CHECKLIST).await?;
    let mut made = Org {
        id: org.id,
        idvas: Vec::new(),
        engage: Vec::new(),
        manager: Uuid::nil(),
        checklist,
        meetings: Vec::new(),
    };
    for (local, name, role, team) in &staff {
        let id = new_id(now);
        users::insert(
            &mut w,
            now,
            NewUser {
                id: UserId::from_uuid(id),
                org_id: org.id,
                team_id: *team,
                email: &format!("{local}@{domain}"),
                display_name: name,
                role: *role,
                password_hash: hash,
                must_change_password: false,
            },
        )
        .await?;
        w.audit(
            AuditEvent::new("user.create", "user")
                .org(org.id)
                .entity(id)
                .detail("role", role.code()),
        );
        match role {
            Role::CaseWorker => made.idvas.push((id, team.expect("an Idva's team"))),
            Role::EngagePractitioner => made.engage.push(id),
            Role::TeamManager if made.manager.is_nil() => made.manager = id,
            _ => {}
        }
    }
    // A meeting a fortnight, from the oldest case's opening to a month ahead.
    let today = uk_today(now);
    let mut held_on = today - Duration::days(3 * 365 + 14);
    while held_on <= today + Duration::days(28) {
        let id = MeetingId::new(now);
        let by = UserId::from_uuid(made.manager);
        marac::insert_meeting(&mut w, now, id, org.id, held_on, "Generated area", by).await?;
        w.audit(
            AuditEvent::new("marac.meeting_create", "marac_meeting")
                .org(org.id)
                .actor(made.manager)
                .entity(id),
        );
        made.meetings.push((held_on, id));
        held_on += Duration::days(14);
    }
    out.marac_meetings += made.meetings.len();
    out.audit_entries += w.events().len();
    w.commit().await?;
    out.organisations += 1;
    out.staff += staff.len();
    if o == 0 {
        out.first_org = slug.clone();
        out.idva_email = format!("idva1@{domain}");
        out.team_manager_email = format!("idva.manager@{domain}");
        out.service_manager_email = format!("service.manager@{domain}");
        out.referrer_email = format!("referrer@{domain}");
    }
    Ok(made)
}

/// One family's shape, drawn from the seed.
struct Family {
    n: usize,
    surname: String,
    victim: Identity,
    harm: Option<Identity>,
    children: Vec<Identity>,
    opened: Timestamp,
}

impl Family {
    fn draw(rng: &mut StdRng, now: Timestamp, n: usize) -> Family {
        let surname = invented_surname(rng);
        let today = now.date();
        let born = |rng: &mut StdRng, min: i64, max: i64| {
            let days = rng.gen_range(min * 365..max * 365);
            (today - Duration::days(days)).to_string()
        };
        fn pick(rng: &mut StdRng, names: &[&'static str]) -> &'static str {
            names[rng.gen_range(0..names.len())]
        }
        let given = pick(rng, GIVEN_ADULT_F);
        let mut victim = Identity::named(given, &surname, Some(&born(rng, 18, 65)));
        // One victim in four is also known by her name before marriage, as triage and search
        // meet it: by a name the family does not share.
        if n.is_multiple_of(4) {
            victim.aliases = vec![format!("{given} {}", invented_surname(rng))];
        }
        let harm = rng
            .gen_bool(0.8)
            .then(|| Identity::named(pick(rng, GIVEN_ADULT_M), &surname, Some(&born(rng, 18, 65))));
        let children = (0..rng.gen_range(0..=3))
            .map(|_| Identity::named(pick(rng, GIVEN_CHILD), &surname, Some(&born(rng, 1, 17))))
            .collect();
        // Cases opened over the last three years.
        let opened = now - Duration::minutes(rng.gen_range(60..3 * 365 * 24 * 60));
        Family {
            n,
            surname,
            victim,
            harm,
            children,
            opened,
        }
    }
}

/// A surname made of invented parts (see [`SURNAME_START`]).
fn invented_surname(rng: &mut StdRng) -> String {
    format!(
        "{}{}",
        SURNAME_START[rng.gen_range(0..SURNAME_START.len())],
        SURNAME_END[rng.gen_range(0..SURNAME_END.len())]
    )
}

async fn write_family(
    w: &mut UnitOfWork,
    org: &Org,
    f: &Family,
    scale: &Scale,
    rng: &mut StdRng,
    out: &mut Generated,
) -> Result<()> {
    // Read once a unit for each organisation, as all work reads its key.
    let cipher = &w.cipher(org.id).await?;
    let at = f.opened;
    let reference = format!("G{}-{:07}", &f.surname[..1], f.n + 1);
    // The family's Idva, and so the team the case sits in.
    let (idva, team) = org.idvas[f.n % org.idvas.len()];
    let case_id = cases::insert_case(w, at, org.id, team, &reference).await?;
    let audit = |action: &'static str, kind: &'static str, id: Uuid| {
        AuditEvent::new(action, kind)
            .org(org.id)
            .actor(org.manager)
            .entity(id)
    };
    w.audit(audit("case.create", "case", case_id.uuid()));
    let mut members = vec![(&f.victim, CaseRole::VictimSurvivor)];
    members.extend(f.harm.iter().map(|h| (h, CaseRole::PersonCausingHarm)));
    members.extend(f.children.iter().map(|c| (c, CaseRole::ChildOrYoungPerson)));
    let mut victim = PersonId::from_uuid(Uuid::nil());
    for (who, role) in members {
        let person = cases::load_person(w, cipher, at, org.id, who).await?;
        cases::add_member(w, at, org.id, case_id, person, role).await?;
        w.audit(audit("case.member_add", "case", case_id.uuid()).detail("person", person));
        if role == CaseRole::VictimSurvivor {
            victim = person;
        }
        if role == CaseRole::PersonCausingHarm && rng.gen_bool(0.3) {
            let worker = org.engage[f.n % org.engage.len()];
            allocate(w, at, org, case_id, Some(person), worker).await?;
        }
        out.people += 1;
    }
    allocate(w, at, org, case_id, None, idva).await?;
    let details = ContactDetails {
        arrangements: vec![
            Arrangement {
                channel: Channel::Phone,
                safety: Safety::Safe,
                when: "Weekdays 10 to 2".into(),
            },
            Arrangement {
                channel: Channel::Letter,
                safety: Safety::NotSafe,
                when: String::new(),
            },
        ],
        phone: format!(
            "07700 9{:05}",
            (f.n * 7919 + rng.gen_range(0..1000)) % 100_000
        ),
        email: String::new(),
        address: format!("{} Example Road", rng.gen_range(1..200)),
        postcode: format!(
            "GN{} {}{}{}",
            rng.gen_range(1..30),
            rng.gen_range(1..10),
            char::from(b'A' + rng.gen_range(0..26u8)),
            char::from(b'A' + rng.gen_range(0..26u8))
        ),
        confidential_address: false,
    };
    let new = contact::NewContact {
        org_id: org.id,
        person_id: victim.uuid(),
        version: 1,
        details: &details,
        by: UserId::from_uuid(idva),
    };
    contact::load(w, cipher, at, new).await?;
    w.audit(audit("person.contact_update", "person", victim.uuid()));
    let entries = rng.gen_range(scale.entries_per_case / 2..=scale.entries_per_case * 3 / 2);
    let mut loaded = Vec::with_capacity(entries);
    for e in 0..entries {
        let when = at + Duration::hours(6 + 60 * e as i64);
        // Made, as written, when the case was opened: its id carries that time, as its
        // `created_at` does. An id carrying when the entry happened, up to three months on,
        // put each commit's entries among every earlier service's rows of those months in
        // the index; by the 25th service, each entry took a page to itself.
        let id = hearth_domain::ids::EntryId::new(at);
        let contact = e % 3 == 0;
        let body = NOTES[rng.gen_range(0..NOTES.len())];
        loaded.push(timeline::Loaded {
            entry: timeline::NewEntryOwned {
                id,
                org_id: org.id,
                case_id: case_id.uuid(),
                person_id: Some(victim.uuid()),
                kind: if contact {
                    EntryKind::Contact
                } else {
                    EntryKind::Note
                },
                sensitivity: Sensitivity::Ordinary,
                by: UserId::from_uuid(idva),
                submission_key: format!("gen-{id}"),
            },
            occurred_at: when,
            method: contact.then_some("phone"),
            outcome: contact.then_some("spoke"),
            body: cipher.encrypt(&timeline::body_place(id, 1), body)?,
        });
        w.audit(audit("timeline.add", "case", case_id.uuid()).detail("entry", id));
    }
    timeline::insert_loaded(w, at, &loaded).await?;
    out.entries += entries;
    let history = History {
        case_id,
        victim,
        idva: UserId::from_uuid(idva),
        opened: at,
    };
    write_risk_history(w, cipher, org, &history, rng, out).await?;
    Ok(())
}

/// Who a family's risk history is about, and who recorded it.
struct History {
    case_id: CaseId,
    victim: PersonId,
    idva: UserId,
    opened: Timestamp,
}

/// How many of 24 questions a victim answers yes, drawn so that about one in five reaches the
/// high-risk threshold, as services report.
fn yes_count(rng: &mut StdRng) -> usize {
    match rng.gen_range(0..10) {
        0..=1 => rng.gen_range(14..=20),
        2..=5 => rng.gen_range(10..=13),
        _ => rng.gen_range(2..=9),
    }
}

/// A victim's risk assessments (one at intake, then reviews eight weeks apart while the case
/// runs), incidents, and for those assessed high a MARAC referral heard at the next meeting,
/// with actions owned by agencies: the history the risk page, the due list and the MARAC
/// figures read.
async fn write_risk_history(
    w: &mut UnitOfWork,
    cipher: &FieldCipher,
    org: &Org,
    h: &History,
    rng: &mut StdRng,
    out: &mut Generated,
) -> Result<()> {
    let now = w.now();
    let audit = |action: &'static str, record: &'static str, id: Uuid| {
        AuditEvent::new(action, "person")
            .org(org.id)
            .actor(h.idva)
            .entity(h.victim.uuid())
            .detail(record, id)
    };
    let questions: Vec<&str> = org
        .checklist
        .questions
        .iter()
        .map(|q| q.id.as_str())
        .collect();
    let mut last = None;
    for k in 0..rng.gen_range(1..=3i64) {
        let at = h.opened + Duration::days(1 + 56 * k);
        if at > now {
            break;
        }
        let yes = yes_count(rng);
        let form = AssessmentForm {
            answers: questions
                .iter()
                .enumerate()
                .map(|(i, q)| {
                    (
                        q.to_string(),
                        if i < yes { "yes" } else { "no" }.to_string(),
                    )
                })
                .collect(),
            safe_to_talk: "yes".into(),
            police_callouts: rng.gen_range(0..=4).to_string(),
            ..Default::default()
        };
        let a = form
            .parse(&org.checklist)
            .map_err(|e| crate::AppError::Internal(format!("generated answers: {e}")))?;
        let id = new_id(at);
        let sealed = crate::risk::sealed_assessment(&a, None, None)?;
        let key = format!("gen-assessment-{id}");
        risk::insert_assessment(
            w,
            at,
            risk::NewAssessment {
                id,
                org_id: org.id,
                case_id: h.case_id.uuid(),
                person_id: h.victim.uuid(),
                instrument_key: &org.checklist.key,
                instrument_version: org.checklist.version,
                score: a.score,
                yes_count: a.yes_count,
                score_level: a.score_level,
                level: a.level,
                judgement: false,
                police_callouts: a.police_callouts,
                escalated: a.escalated,
                sealed: cipher.encrypt(&risk::assessment_place(id), &sealed)?,
                by: h.idva,
                submission_key: &key,
            },
        )
        .await?;
        w.audit(audit("person.risk_assess", "assessment", id));
        out.assessments += 1;
        last = Some((at, a.level));
    }
    for _ in 0..rng.gen_range(0..=2) {
        let on = uk_today(h.opened) + Duration::days(rng.gen_range(2..200));
        if on > uk_today(now) {
            continue;
        }
        let id = new_id(now);
        let key = format!("gen-incident-{id}");
        let summary = "Reported by the police: an argument at the address.";
        risk::insert_incident(
            w,
            now,
            risk::NewIncident {
                id,
                org_id: org.id,
                case_id: h.case_id.uuid(),
                person_id: h.victim.uuid(),
                occurred_on: on,
                police_called: rng.gen_bool(0.5),
                sealed: cipher.encrypt(&risk::incident_place(id), summary)?,
                by: h.idva,
                submission_key: &key,
            },
        )
        .await?;
        w.audit(audit("person.incident_add", "incident", id));
        out.incidents += 1;
    }
    if let Some((at, RiskLevel::High)) = last {
        write_marac(
            w,
            cipher,
            org,
            h,
            uk_today(at) + Duration::days(3),
            rng,
            out,
        )
        .await?;
    }
    Ok(())
}

/// A MARAC referral made on `referred_on`, heard at the next meeting if it has been held, with
/// the actions agreed there: those long past their date done, the rest still open.
async fn write_marac(
    w: &mut UnitOfWork,
    cipher: &FieldCipher,
    org: &Org,
    h: &History,
    referred_on: Date,
    rng: &mut StdRng,
    out: &mut Generated,
) -> Result<()> {
    let now = w.now();
    let today = uk_today(now);
    if referred_on > today {
        return Ok(());
    }
    let meeting = org
        .meetings
        .iter()
        .find(|(held_on, _)| *held_on >= referred_on)
        .copied();
    let id = new_id(now);
    let details = hearth_domain::marac::ReferralDetails {
        safe_contact: "Phone on weekdays between 10 and 2; no letters.".into(),
        perpetrators: "Her ex-partner, who knows the area.".into(),
        children: Vec::new(),
        summary: "High risk on the checklist after separation; threats and stalking.".into(),
    };
    let sealed =
        serde_json::to_string(&details).map_err(|e| crate::AppError::Internal(e.to_string()))?;
    let key = format!("gen-marac-{id}");
    marac::insert_referral(
        w,
        now,
        marac::NewReferral {
            id,
            org_id: org.id,
            case_id: h.case_id.uuid(),
            person_id: h.victim.uuid(),
            referred_on,
            criteria: &[Criterion::VisibleHighRisk],
            source_agency: "idva",
            victim_knows: true,
            victim_consented: "yes",
            repeat_dates: &[],
            sealed: cipher.encrypt(&marac::details_place(id), &sealed)?,
            meeting_id: meeting
                .filter(|(held_on, _)| *held_on <= today)
                .map(|(_, m)| m.uuid()),
            by: h.idva,
            submission_key: &key,
        },
    )
    .await?;
    w.audit(
        AuditEvent::new("marac.refer", "person")
            .org(org.id)
            .actor(h.idva)
            .entity(h.victim.uuid())
            .detail("referral", id),
    );
    out.marac_referrals += 1;
    let Some((held_on, meeting_id)) = meeting.filter(|(held_on, _)| *held_on <= today) else {
        return Ok(());
    };
    const AGENCIES: [&str; 4] = ["police", "childrens_social_care", "housing", "idva"];
    for n in 0..rng.gen_range(1..=3usize) {
        let action = new_id(now);
        let due_on = held_on + Duration::days(14 + 7 * n as i64);
        let key = format!("gen-action-{action}");
        let by = UserId::from_uuid(org.manager);
        marac::insert_action(
            w,
            now,
            marac::NewAction {
                id: action,
                org_id: org.id,
                referral_id: id,
                meeting_id: meeting_id.uuid(),
                agency: AGENCIES[rng.gen_range(0..AGENCIES.len())],
                description: cipher.encrypt(
                    &marac::action_place(action),
                    "Check the address flag is on the police system.",
                )?,
                due_on,
                by,
                submission_key: &key,
            },
        )
        .await?;
        if due_on + Duration::days(14) < today {
            let change = marac::StatusChange {
                org_id: org.id,
                action_id: action,
                from: ActionStatus::Open,
                to: ActionStatus::Done,
                by,
            };
            marac::set_action_status(w, now, change).await?;
        }
        w.audit(
            AuditEvent::new("marac.action_add", "marac_meeting")
                .org(org.id)
                .actor(org.manager)
                .entity(meeting_id)
                .detail("action", action),
        );
        out.marac_actions += 1;
    }
    Ok(())
}

async fn allocate(
    w: &mut UnitOfWork,
    at: Timestamp,
    org: &Org,
    case_id: CaseId,
    person_id: Option<PersonId>,
    worker_id: Uuid,
) -> Result<()> {
    cases::allocate(
        w,
        at,
        cases::NewAllocation {
            org_id: org.id,
            case_id,
            person_id,
            worker_id: UserId::from_uuid(worker_id),
            by: Some(UserId::from_uuid(org.manager)),
        },
    )
    .await?;
    w.audit(
        AuditEvent::new("case.allocate", "case")
            .org(org.id)
            .actor(org.manager)
            .entity(case_id)
            .detail("worker", worker_id),
    );
    Ok(())
}
