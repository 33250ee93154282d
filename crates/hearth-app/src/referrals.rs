//! Referrals in, and triage: the queue, possible matches with people already on record, and the
//! decision to accept (into a new case, or an existing one, re-opening it), signpost or decline.

use crate::submission::{self, Once};
use crate::users::By;
use crate::{App, AppError, Result};
use hearth_domain::access::{Action, CaseRole};
use hearth_domain::contact::{Arrangement, Channel, ContactDetails, Safety};
use hearth_domain::ids::parse_id;
use hearth_domain::ids::OrgId;
use hearth_domain::ids::{CaseId, ReferralId};
use hearth_domain::paging::{Page, Paged};
use hearth_domain::person::Identity;
use hearth_domain::referral::{
    match_reasons, names_alike, Candidate, NamedPerson, ReferralDetails, ReferralForm, Source,
};
use hearth_domain::search_terms::{
    date_of_birth_term, name_words, phone_term, postcode_term, query_word_terms, Closeness, Field,
};
use hearth_domain::submission::SubmissionKind;
use hearth_domain::validation::{Invalid, Line, Text};
use hearth_domain::{Actor, Timestamp};
use hearth_store::access::{Guard, ServiceGuard};
use hearth_store::audit::AuditEvent;
use hearth_store::identity::Hit;
use hearth_store::people;
use hearth_store::referrals::{self, Referral};
use hearth_store::{cases, contact, orgs, timeline, FieldCipher, UnitOfWork};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use time::Duration;
use uuid::Uuid;

/// Public referrals allowed from one address in an hour.
pub const PUBLIC_LIMIT_PER_HOUR: i64 = 5;

#[derive(Debug, Clone)]
pub struct Submitted {
    pub reference: String,
    pub id: ReferralId,
}

/// A referral arriving, from whichever door.
struct Incoming<'a> {
    org_id: OrgId,
    source: Source,
    details: &'a ReferralDetails,
    id: ReferralId,
    submission_key: &'a str,
    received_by: Option<Uuid>,
    address_key: Option<&'a str>,
}

async fn store_referral(
    app: &App,
    w: &mut UnitOfWork,
    incoming: Incoming<'_>,
) -> Result<Submitted> {
    let Incoming {
        org_id,
        source,
        details,
        id,
        submission_key,
        received_by,
        address_key,
    } = incoming;
    let now = app.now();
    let n = referrals::next_number(w, org_id, "referral").await?;
    let reference = format!("R{}-{n:05}", hearth_domain::ukdate::to_uk(now).year());
    let cipher = w.cipher(org_id).await?;
    let json = serde_json::to_string(details).map_err(|e| AppError::Internal(e.to_string()))?;
    let agency = if details.referrer_agency.is_empty() {
        "self".to_string()
    } else {
        details.referrer_agency.clone()
    };
    referrals::insert(
        w,
        now,
        referrals::NewReferral {
            id,
            org_id,
            reference: &reference,
            source,
            referrer_agency: &agency,
            received_by,
            details: cipher.encrypt(&referrals::details_place(id), &json)?,
            submission_key,
            address_key,
        },
    )
    .await?;
    let mut ev = AuditEvent::new("referral.receive", "referral")
        .org(org_id)
        .entity(id)
        .detail("source", source.code());
    if let Some(u) = received_by {
        ev = ev.actor(u);
    }
    w.audit(ev);
    Ok(Submitted { reference, id })
}

/// Claim the form's key: a replay answers with the referral first made from it.
async fn claim(
    w: &mut UnitOfWork,
    now: Timestamp,
    org_id: OrgId,
    actor_id: Option<Uuid>,
    key: &str,
    payload: &impl serde::Serialize,
) -> Result<std::result::Result<ReferralId, Submitted>> {
    let scope = submission::Scope {
        org_id,
        actor_id,
        kind: SubmissionKind::Referral,
        target_id: None,
    };
    match submission::claim(w, now, scope, key, payload).await? {
        Once::New(id) => Ok(Ok(ReferralId::from_uuid(id))),
        Once::Replay(id) => {
            let reference = referrals::reference_of(w, org_id, id)
                .await?
                .ok_or(AppError::NotFound)?;
            let id = ReferralId::from_uuid(id);
            Ok(Err(Submitted { reference, id }))
        }
    }
}

/// A referral from the public form. Robots (the honeypot) and floods (the rate limit) are refused.
pub async fn submit_public(
    app: &App,
    org_slug: &str,
    form: &ReferralForm,
    address: &str,
) -> Result<Submitted> {
    if form.is_robot() {
        return Err(AppError::invalid(
            "website",
            "This form could not be accepted. If you are a person, please phone us instead.",
        ));
    }
    let now = app.now();
    let address_key = hex::encode(
        Sha256::new()
            .chain_update(app.store.master_key().derive(b"referral address"))
            .chain_update(address)
            .finalize(),
    );
    let mut w = app.store.work(now).await?;
    let org = orgs::by_slug(&mut w, org_slug)
        .await?
        .ok_or(AppError::NotFound)?;
    let id = match claim(&mut w, now, org.id, None, &form.submission_key, form).await? {
        Ok(id) => id,
        Err(first) => {
            w.commit().await?;
            return Ok(first);
        }
    };
    if referrals::recent_from(&mut w, &address_key, now - Duration::hours(1)).await?
        >= PUBLIC_LIMIT_PER_HOUR
    {
        return Err(AppError::Throttled);
    }
    let source = if form.referrer_kind == "professional" {
        Source::Professional
    } else {
        Source::SelfReferral
    };
    let details = form.parse(source, now)?;
    let incoming = Incoming {
        org_id: org.id,
        source,
        details: &details,
        id,
        submission_key: form.submission_key.trim(),
        received_by: None,
        address_key: Some(&address_key),
    };
    let submitted = store_referral(app, &mut w, incoming).await?;
    w.commit().await?;
    Ok(submitted)
}

/// A referral taken by staff (by phone) or sent by a partner system with an API token.
pub async fn submit(
    app: &App,
    actor: &Actor,
    source: Source,
    form: &ReferralForm,
) -> Result<Submitted> {
    By::User(actor).check(Action::SubmitReferral)?;
    let now = app.now();
    let mut w = app.store.work(now).await?;
    // The source is part of the request: the same form sent by phone and by API is not a replay.
    let payload = (source.code(), form);
    let key = &form.submission_key;
    let id = match claim(
        &mut w,
        now,
        actor.org_id,
        Some(actor.user_id.uuid()),
        key,
        &payload,
    )
    .await?
    {
        Ok(id) => id,
        Err(first) => {
            w.commit().await?;
            return Ok(first);
        }
    };
    let details = form.parse(source, now)?;
    let incoming = Incoming {
        org_id: actor.org_id,
        source,
        details: &details,
        id,
        submission_key: form.submission_key.trim(),
        received_by: Some(actor.user_id.uuid()),
        address_key: None,
    };
    let s = store_referral(app, &mut w, incoming).await?;
    w.commit().await?;
    Ok(s)
}

/// One line of the triage queue.
#[derive(Debug, Clone)]
pub struct QueueItem {
    pub id: ReferralId,
    pub reference: String,
    pub source: Source,
    pub agency: String,
    pub received_at: Timestamp,
    pub waiting: Duration,
    pub name: String,
    pub dash_score: Option<u8>,
    /// The referrer's score says high risk: flagged in the queue.
    pub high_risk: bool,
}

fn open_details(triage: &ServiceGuard, r: &Referral) -> Result<ReferralDetails> {
    let json = triage
        .open(&r.details)?
        .shown()
        .ok_or(AppError::Forbidden)?;
    serde_json::from_str(&json).map_err(|e| AppError::Internal(format!("referral details: {e}")))
}

/// How many referrals the triage queue shows to a page.
pub const QUEUE_PAGE: usize = 50;

/// One page of the triage queue, oldest first, with how many wait in all.
pub async fn queue(app: &App, actor: &Actor, page: Page) -> Result<Paged<QueueItem>> {
    let now = app.now();
    let mut w = app.store.view(now).await?;
    let triage = w.service(actor, Action::Triage).await?;
    let list = referrals::queue(&mut w, &triage, page).await?;
    let items = list
        .items
        .iter()
        .map(|r| {
            let d = open_details(&triage, r)?;
            Ok(QueueItem {
                id: r.id,
                reference: r.reference.clone(),
                source: r.source,
                agency: r.referrer_agency.clone(),
                received_at: r.received_at,
                waiting: now - r.received_at,
                name: d.person.full_name(),
                dash_score: d.dash_score,
                high_risk: hearth_domain::referral::referrer_says_high_risk(d.dash_score),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    w.commit().await?;
    Ok(Paged {
        items,
        total: list.total,
        page,
    })
}

/// A person on record who may be someone on the referral.
#[derive(Debug, Clone)]
pub struct PossibleMatch {
    /// Who on the referral: "Person referred", "Person causing harm", "Child 1"…
    pub on_referral: String,
    pub reasons: Vec<&'static str>,
    /// Present only if the user may open at least one of the person's cases.
    pub seen: Option<SeenMatch>,
}

#[derive(Debug, Clone)]
pub struct SeenMatch {
    pub person_id: Uuid,
    pub name: String,
    pub date_of_birth: Option<String>,
    /// (case id, reference, status) of the cases the user may open.
    pub cases: Vec<(Uuid, String, String)>,
}

#[derive(Debug, Clone)]
pub struct ReferralView {
    pub referral: Referral,
    pub details: ReferralDetails,
    pub matches: Vec<PossibleMatch>,
    pub decision_note: Option<String>,
}

/// One person on a referral, as the blind index is asked about them.
struct Probe {
    given: Vec<String>,
    family: Vec<String>,
    date_of_birth: Option<String>,
    postcode: Option<String>,
    phone: Option<String>,
    /// Every term, in order: given names, family names, then the rest.
    all: Vec<String>,
}

/// What the index says one person on record has in common with a probe.
#[derive(Default)]
struct Met {
    given: bool,
    family: bool,
    date_of_birth: bool,
    postcode: bool,
    phone: bool,
    wanted_date_of_birth: bool,
}

impl Met {
    /// Could the names and the rest make a match ([`match_reasons`])? Only then is the person
    /// opened to compare their names.
    fn likely(&self) -> bool {
        self.phone
            || (self.given
                && (self.date_of_birth
                    || (self.family && (self.postcode || !self.wanted_date_of_birth))))
    }
}

impl Probe {
    fn of(who: &NamedPerson, postcode: &str, phone: &str) -> Probe {
        let word_terms = |name: &str| -> Vec<String> {
            name_words(name)
                .iter()
                .flat_map(|w| query_word_terms(w))
                .filter(|(_, c)| *c != Closeness::SoundsAlike)
                .map(|(t, _)| t)
                .collect()
        };
        let mut p = Probe {
            given: word_terms(&who.given_name),
            family: word_terms(&who.family_name),
            date_of_birth: who.date_of_birth.as_deref().map(date_of_birth_term),
            postcode: postcode_term(postcode),
            phone: phone_term(phone),
            all: Vec::new(),
        };
        let mut all = p.given.clone();
        all.extend(p.family.iter().cloned());
        all.extend(p.date_of_birth.iter().cloned());
        all.extend(p.postcode.iter().cloned());
        all.extend(p.phone.iter().cloned());
        p.all = all;
        p
    }

    fn terms(&self) -> &[String] {
        &self.all
    }

    /// What these hits (on terms numbered from `offset`) say this person shares with the probe.
    fn met(&self, offset: usize, hits: &[Hit]) -> Met {
        let terms = self.terms();
        let mut met = Met {
            wanted_date_of_birth: self.date_of_birth.is_some(),
            ..Met::default()
        };
        for h in hits {
            let Some(i) = h.term.checked_sub(offset).filter(|i| *i < terms.len()) else {
                continue;
            };
            let term = &terms[i];
            let name = matches!(h.field, Field::Name | Field::OtherName);
            if i < self.given.len() {
                met.given |= name;
            } else if i < self.given.len() + self.family.len() {
                met.family |= name;
            } else if Some(term) == self.date_of_birth.as_ref() {
                met.date_of_birth |= h.field == Field::DateOfBirth;
            } else if Some(term) == self.postcode.as_ref() {
                met.postcode |= h.field == Field::Postcode;
            } else if Some(term) == self.phone.as_ref() {
                met.phone |= h.field == Field::Phone;
            }
        }
        met
    }
}

async fn find_matches(
    w: &mut UnitOfWork,
    triage: &ServiceGuard,
    d: &ReferralDetails,
) -> Result<Vec<PossibleMatch>> {
    let actor = triage.actor().clone();
    let mut wanted: Vec<(String, &NamedPerson, &str, &str)> = vec![(
        "Person referred".into(),
        &d.person,
        d.postcode.as_str(),
        d.phone.as_str(),
    )];
    if let Some(h) = &d.harm {
        wanted.push(("Person causing harm".into(), h, "", ""));
    }
    for (i, c) in d.children.iter().enumerate() {
        wanted.push((format!("Child {}", i + 1), c, "", ""));
    }
    for (i, a) in d.other_adults.iter().enumerate() {
        wanted.push((format!("Other adult {}", i + 1), a, "", ""));
    }
    // Who on record shares a term with anyone on the referral, from the blind index alone:
    // nobody's name or contact details are opened to find them.
    let probes: Vec<Probe> = wanted
        .iter()
        .map(|(_, who, postcode, phone)| Probe::of(who, postcode, phone))
        .collect();
    let terms: Vec<String> = probes
        .iter()
        .flat_map(|p| p.terms().iter().cloned())
        .collect();
    let mut hits: HashMap<Uuid, Vec<Hit>> = HashMap::new();
    for h in people::find(w, &actor, &terms).await? {
        hits.entry(h.person_id).or_default().push(h);
    }
    // Only those who could be a match on what the index says are opened, to compare names.
    let mut offsets = Vec::new();
    let mut at = 0;
    for p in &probes {
        offsets.push(at);
        at += p.terms().len();
    }
    let likely: Vec<(usize, Uuid, bool, bool)> = probes
        .iter()
        .zip(&offsets)
        .enumerate()
        .flat_map(|(i, (probe, offset))| {
            hits.iter().filter_map(move |(person, hits)| {
                let met = probe.met(*offset, hits);
                met.likely()
                    .then_some((i, *person, met.postcode, met.phone))
            })
        })
        .collect();
    let mut ids: Vec<Uuid> = likely.iter().map(|(_, p, ..)| *p).collect();
    ids.sort();
    ids.dedup();
    let named = people::named_for_triage(w, triage, &ids).await?;
    let mut matched: Vec<(String, Vec<&'static str>, Uuid)> = Vec::new();
    for (i, person, same_postcode, same_phone) in likely {
        let Some(identity) = named.get(&person) else {
            continue;
        };
        let (label, who, ..) = &wanted[i];
        // Other names a person is known by are matched as if they were their name.
        let names = std::iter::once((identity.given_name.clone(), identity.family_name.clone()))
            .chain(identity.aliases.iter().map(|alias| {
                alias
                    .rsplit_once(' ')
                    .map(|(g, f)| (g.to_string(), f.to_string()))
                    .unwrap_or((alias.clone(), String::new()))
            }));
        for (given_name, family_name) in names {
            let c = Candidate {
                given_name,
                family_name,
                date_of_birth: identity.date_of_birth.clone(),
                same_postcode,
                same_phone,
            };
            let reasons = match_reasons(who, &c);
            if !reasons.is_empty() {
                matched.push((label.clone(), reasons, person));
                break;
            }
        }
    }
    matched
        .sort_by_key(|(label, _, person)| (wanted.iter().position(|(l, ..)| l == label), *person));
    // Who the match is, and their cases, only where the user may open one of them.
    let ids: Vec<Uuid> = matched.iter().map(|(_, _, p)| *p).collect();
    let their_cases = people::cases_of(w, &actor, &ids).await?;
    let case_ids: Vec<Uuid> = their_cases.values().flatten().map(|c| c.case_id).collect();
    let open = w.cases(&actor, &case_ids).await?;
    Ok(matched
        .into_iter()
        .map(|(on_referral, reasons, person_id)| {
            let p = &named[&person_id];
            let visible: Vec<(Uuid, String, String)> = their_cases
                .get(&person_id)
                .into_iter()
                .flatten()
                .filter(|c| open.get(c.case_id).is_some())
                .map(|c| (c.case_id, c.reference.clone(), c.status.clone()))
                .collect();
            let seen = (!visible.is_empty()).then(|| SeenMatch {
                person_id,
                name: p.full_name(),
                date_of_birth: p.date_of_birth.clone(),
                cases: visible,
            });
            PossibleMatch {
                on_referral,
                reasons,
                seen,
            }
        })
        .collect())
}

pub async fn view(app: &App, actor: &Actor, id: ReferralId) -> Result<ReferralView> {
    let mut w = app.view().await?;
    let triage = w.service(actor, Action::Triage).await?;
    let referral = referrals::get(&mut w, &triage, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let details = open_details(&triage, &referral)?;
    let matches = if referral.status == "new" {
        find_matches(&mut w, &triage, &details).await?
    } else {
        Vec::new()
    };
    let decision_note = match &referral.decision_note {
        Some(n) => triage.open(n)?.shown(),
        None => None,
    };
    w.commit().await?;
    Ok(ReferralView {
        referral,
        details,
        matches,
        decision_note,
    })
}

/// What the person triaging decided.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct DecisionForm {
    /// `accept`, `signpost` or `decline`.
    pub decision: String,
    /// Accept: the team for a new case.
    pub team_id: String,
    /// Accept: an existing (perhaps closed) case to add this referral to instead.
    pub case_id: String,
    /// Accept: the person on record who is the person referred, if found.
    pub person_id: String,
    /// Signpost: the service they were signposted to.
    pub signposted_to: String,
    /// Decline: a reason code from the list.
    pub reason: String,
    /// Why, in words (required for declining).
    pub note: String,
}

fn safety(s: &str) -> Safety {
    Safety::parse(s).unwrap_or(Safety::NotKnown)
}

async fn add_person(
    w: &mut UnitOfWork,
    now: Timestamp,
    org: OrgId,
    case_id: CaseId,
    p: &NamedPerson,
    role: CaseRole,
    existing: &[(Uuid, String, String, Option<String>, CaseRole)],
) -> Result<Uuid> {
    // Someone already in the case under an alike name (and the same birth date, if both known) is the same person.
    if let Some((id, ..)) = existing.iter().find(|(_, g, f, dob, r)| {
        *r == role
            && names_alike(g, &p.given_name)
            && names_alike(f, &p.family_name)
            && (dob.is_none() || p.date_of_birth.is_none() || *dob == p.date_of_birth)
    }) {
        return Ok(*id);
    }
    let cipher = w.cipher(org).await?;
    let identity = Identity::named(&p.given_name, &p.family_name, p.date_of_birth.as_deref());
    let id = cases::insert_person(w, &cipher, now, org, &identity).await?;
    cases::add_member(w, now, org, case_id, id, role).await?;
    Ok(id.uuid())
}

/// Where the user lands after deciding a referral.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Landing {
    /// Signposted or declined: back to the queue.
    Triage,
    /// Accepted into a case the user may open.
    Case(CaseId),
    /// Accepted into a case of another team, which the user may not open.
    AnotherTeam(CaseId),
}

impl Landing {
    /// The case the referral was accepted into, if it was.
    pub fn case(self) -> Option<CaseId> {
        match self {
            Landing::Triage => None,
            Landing::Case(c) | Landing::AnotherTeam(c) => Some(c),
        }
    }
}

/// Record the decision. Accepting creates or re-opens the case and places the people in it with
/// their roles, carrying the referral's contact details and safe contact arrangements across.
pub async fn decide(
    app: &App,
    actor: &Actor,
    id: ReferralId,
    form: &DecisionForm,
) -> Result<Landing> {
    let now = app.now();
    let mut w = app.store.work(now).await?;
    let triage = w.service(actor, Action::Triage).await?;
    let referral = referrals::get(&mut w, &triage, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if referral.status != "new" {
        return Err(AppError::Conflict {
            field: None,
            message: format!(
                "This referral was already {} by someone else",
                referral.status
            ),
        });
    }
    let cipher = w.cipher(actor.org_id).await?;
    let details = open_details(&triage, &referral)?;
    let note = Text::<5_000>::parse("note", &form.note)?;
    let note = note.as_str();
    let sealed_note = (!note.is_empty())
        .then(|| cipher.encrypt(&referrals::note_place(id), note))
        .transpose()?;
    let (status, code, case_id, action) = match form.decision.as_str() {
        "signpost" => {
            let to = Line::<200>::parse_required(
                "signposted_to",
                &form.signposted_to,
                "Say which service they were signposted to",
            )?;
            let to = to.as_str();
            (
                "signposted",
                Some(to.to_string()),
                None,
                "referral.signpost",
            )
        }
        "decline" => {
            let mut invalid = Invalid::default();
            if !hearth_domain::referral::DECLINE_REASONS
                .iter()
                .any(|(c, _)| *c == form.reason)
            {
                invalid.push("reason", "Choose a reason for declining");
            }
            if note.is_empty() {
                invalid.push("note", "Explain the decision: it is kept with the referral");
            }
            invalid.into_result()?;
            (
                "declined",
                Some(form.reason.clone()),
                None,
                "referral.decline",
            )
        }
        "accept" => {
            let case_id = accept(&mut w, &triage, &cipher, &referral, &details, form).await?;
            ("accepted", None, Some(case_id), "referral.accept")
        }
        _ => {
            return Err(AppError::invalid(
                "decision",
                "Choose accept, signpost or decline",
            ))
        }
    };
    if !referrals::decide(
        &mut w,
        now,
        referrals::Decided {
            id,
            status,
            by: actor.user_id,
            code: code.as_deref(),
            note: sealed_note,
            case_id,
        },
    )
    .await?
    {
        return Err(AppError::Conflict {
            field: None,
            message: "Someone else decided this referral at the same moment".into(),
        });
    }
    let mut ev = AuditEvent::new(action, "referral")
        .org(actor.org_id)
        .actor(actor.user_id)
        .entity(id);
    if let Some(c) = case_id {
        ev = ev.detail("case", c);
    }
    w.audit(ev);
    let landing = match case_id {
        None => Landing::Triage,
        // Where the user goes next: the case if they may open it (accepted into their own team,
        // as usual), else back to triage, told it went to another team.
        Some(c) if w.cases(actor, &[c.uuid()]).await?.case_ids() == [c.uuid()] => Landing::Case(c),
        Some(c) => Landing::AnotherTeam(c),
    };
    w.commit().await?;
    Ok(landing)
}

async fn accept(
    w: &mut UnitOfWork,
    triage: &ServiceGuard,
    cipher: &FieldCipher,
    referral: &Referral,
    d: &ReferralDetails,
    form: &DecisionForm,
) -> Result<CaseId> {
    let now = w.now();
    let actor = triage.actor();
    let org = actor.org_id;
    type Existing = Vec<(Uuid, String, String, Option<String>, CaseRole)>;
    let (case_id, rereferral, existing): (CaseId, bool, Existing) =
        if form.case_id.trim().is_empty() {
            let team = hearth_domain::ids::TeamId::parse(&form.team_id).ok_or_else(|| {
                AppError::invalid("team_id", "Choose the team that will take the case")
            })?;
            if orgs::team(w, org, team).await?.is_none() {
                return Err(AppError::invalid(
                    "team_id",
                    "Choose the team that will take the case",
                ));
            }
            let n = referrals::next_number(w, org, "case").await?;
            let reference = format!("C{}-{n:05}", hearth_domain::ukdate::to_uk(now).year());
            (
                cases::insert_case(w, now, org, team, &reference).await?,
                false,
                Vec::new(),
            )
        } else {
            let choose = || AppError::invalid("case_id", "Choose a case from the matches");
            let case_id = CaseId::parse(&form.case_id).ok_or_else(choose)?;
            let Ok(case) = w.case(actor, case_id, Action::ViewCaseRecord).await else {
                return Err(choose());
            };
            let existing = cases::record(w, &case)
                .await?
                .members
                .into_iter()
                .map(|m| {
                    (
                        m.person_id,
                        m.given_name,
                        m.family_name,
                        m.date_of_birth,
                        m.role,
                    )
                })
                .collect();
            referrals::reopen_case(w, case_id.uuid()).await?;
            (case_id, true, existing)
        };
    // The person referred: someone already on record, if the triager says so.
    let victim = match parse_id(&form.person_id) {
        Some(p) => {
            if !people::exists(w, actor, p).await? {
                return Err(AppError::invalid(
                    "person_id",
                    "Choose a person from the matches",
                ));
            }
            if !existing
                .iter()
                .any(|(id, .., r)| *id == p && *r == CaseRole::VictimSurvivor)
            {
                let person = hearth_domain::ids::PersonId::from_uuid(p);
                cases::add_member(w, now, org, case_id, person, CaseRole::VictimSurvivor).await?;
            }
            p
        }
        None => {
            add_person(
                w,
                now,
                org,
                case_id,
                &d.person,
                CaseRole::VictimSurvivor,
                &existing,
            )
            .await?
        }
    };
    if let Some(h) = &d.harm {
        add_person(
            w,
            now,
            org,
            case_id,
            h,
            CaseRole::PersonCausingHarm,
            &existing,
        )
        .await?;
    }
    for c in &d.children {
        add_person(
            w,
            now,
            org,
            case_id,
            c,
            CaseRole::ChildOrYoungPerson,
            &existing,
        )
        .await?;
    }
    for a in &d.other_adults {
        add_person(w, now, org, case_id, a, CaseRole::OtherAdult, &existing).await?;
    }
    // Carry the contact details and safe contact arrangements across as a new version.
    if !(d.phone.is_empty() && d.email.is_empty() && d.address.is_empty()) {
        let details = ContactDetails {
            arrangements: vec![
                Arrangement {
                    channel: Channel::Phone,
                    safety: safety(&d.safe_to_phone),
                    when: d.safe_times.clone(),
                },
                Arrangement {
                    channel: Channel::Text,
                    safety: safety(&d.safe_to_text),
                    when: d.safe_times.clone(),
                },
            ],
            phone: d.phone.clone(),
            email: d.email.clone(),
            address: d.address.clone(),
            postcode: d.postcode.clone(),
            confidential_address: false,
        };
        let version = contact::latest_version_at_triage(w, triage, victim).await? + 1;
        contact::insert(
            w,
            cipher,
            now,
            contact::NewContact {
                org_id: org,
                person_id: victim,
                version,
                details: &details,
                by: actor.user_id,
            },
        )
        .await?;
    }
    let key = format!("referral-accepted-{}", referral.id);
    let body = format!(
        "{} {} accepted ({}){}.",
        if rereferral {
            "Re-referral"
        } else {
            "Referral"
        },
        referral.reference,
        referral.source.label().to_lowercase(),
        d.dash_score
            .map(|s| format!("; risk checklist score given by the referrer: {s}"))
            .unwrap_or_default()
    );
    let at = referral.received_at.max(now - Duration::days(1)).min(now);
    timeline::record_event(
        w,
        cipher,
        now,
        timeline::KeyEvent {
            org_id: org,
            case_id: case_id.uuid(),
            person_id: Some(victim),
            occurred_at: at,
            body: &body,
            by: actor.user_id,
            key: &key,
        },
    )
    .await?;
    Ok(case_id)
}
