//! Engage's partners: the current or ex-partners in the case who are victims/survivors, the
//! Idva offers made to them, and what their Idvas are told of the Engage work. The Engage
//! worker learns only what the rule needs ("an Idva offer has been made"); the details are for
//! those who may see her sensitive data.

use crate::{event, App, AppError, Result};
use hearth_domain::access::{Action, CaseRole, FieldClass};
use hearth_domain::enrolment::{Offer, OfferForm};
use hearth_domain::ids::{CaseId, PersonId, UserId};
use hearth_domain::programme::{OfferOutcome, Partner};
use hearth_domain::ukdate::{format_date, uk_today};
use hearth_domain::Actor;
use hearth_store::access::{CaseGuard, Guard};
use hearth_store::cases::{self, CaseRecord};
use hearth_store::enrolments::Enrolment;
use hearth_store::{partners, UnitOfWork};
use uuid::Uuid;

/// One partner of the Engage client, as the rule weighs her.
#[derive(Debug, Clone)]
pub(crate) struct PartnerFacts {
    person_id: PersonId,
    name: String,
    offer: Option<Offer>,
    /// Workers allocated to her in the case.
    workers: Vec<UserId>,
}

/// The partners of an Engage enrolment's client.
#[derive(Debug, Clone)]
pub(crate) struct EngagePartners {
    engage_worker: Option<UserId>,
    partners: Vec<PartnerFacts>,
}

/// The partners of the client: the victims/survivors in the case recorded as his partner or
/// ex-partner. Where the case records no such link, every victim/survivor in it counts, so a
/// missing relationship cannot let Engage start without her being offered an Idva.
pub(crate) async fn engage_partners(
    w: &mut UnitOfWork,
    guard: &CaseGuard,
    record: &CaseRecord,
    e: &Enrolment,
) -> Result<EngagePartners> {
    let client = e.person_id.uuid();
    let victims: Vec<Uuid> = record
        .members
        .iter()
        .filter(|m| m.role == CaseRole::VictimSurvivor && m.person_id != client)
        .map(|m| m.person_id)
        .collect();
    let linked: Vec<Uuid> = victims
        .iter()
        .copied()
        .filter(|v| {
            record.relationships.iter().any(|r| {
                matches!(r.kind.as_str(), "partner" | "ex_partner")
                    && ((r.from_person == client && r.to_person == *v)
                        || (r.to_person == client && r.from_person == *v))
            })
        })
        .collect();
    let mut ids = if linked.is_empty() { victims } else { linked };
    ids.dedup();
    let offers = partners::offers_for_rule(w, guard).await?;
    let partners = ids
        .into_iter()
        .map(|p| PartnerFacts {
            person_id: PersonId::from_uuid(p),
            name: record.name_of(p),
            offer: offers
                .iter()
                .find(|(id, _)| id.uuid() == p)
                .map(|(_, o)| o.clone()),
            workers: record
                .allocations
                .iter()
                .filter(|a| a.person_id == Some(p))
                .map(|a| a.worker_id)
                .collect(),
        })
        .collect();
    Ok(EngagePartners {
        engage_worker: e.worker_id,
        partners,
    })
}

impl EngagePartners {
    /// The partners as the rule takes them, for an Engage worker.
    pub(crate) fn for_rule(&self) -> Vec<Partner> {
        self.partners
            .iter()
            .map(|p| Partner {
                person_id: p.person_id.uuid(),
                name: p.name.clone(),
                idva_offer: p.offer.as_ref().map(|o| (o.outcome, o.offered_on)),
                // Her Idva is the Engage worker if he is allocated to her; otherwise whoever is.
                idva_worker: p
                    .workers
                    .iter()
                    .find(|w| Some(**w) == self.engage_worker)
                    .or(p.workers.first())
                    .map(|w| w.uuid()),
                view_sought_on: p.offer.as_ref().and_then(|o| o.view_sought_on),
            })
            .collect()
    }

    pub(crate) fn ids(&self) -> Vec<PersonId> {
        self.partners.iter().map(|p| p.person_id).collect()
    }

    /// What the enrolment's page says of the rule: for each partner whether an offer has been
    /// made, with its details only where the user may see her sensitive data, and what is
    /// still missing before Engage can start.
    pub(crate) fn panel(&self, guard: &CaseGuard) -> EngagePanel {
        let worker = self.engage_worker.map_or(Uuid::nil(), |w| w.uuid());
        let missing = hearth_domain::programme::engage_may_start(worker, &self.for_rule())
            .err()
            .unwrap_or_default();
        EngagePanel {
            partners: self
                .partners
                .iter()
                .map(|p| {
                    let sees = guard.sees(p.person_id.uuid(), FieldClass::Sensitive);
                    PartnerLine {
                        person_id: p.person_id,
                        name: p.name.clone(),
                        offer_made: p.offer.is_some(),
                        detail: p.offer.as_ref().filter(|_| sees).map(describe),
                        may_record: sees && guard.allows(Action::RecordWork),
                    }
                })
                .collect(),
            missing,
        }
    }
}

fn describe(o: &Offer) -> String {
    let sought = match o.view_sought_on {
        Some(d) => format!("; her view on Engage sought on {}", format_date(d)),
        None => "; her view on Engage not yet sought".into(),
    };
    format!(
        "{} on {}{sought}",
        o.outcome.label(),
        format_date(o.offered_on)
    )
}

/// What an Engage enrolment's page shows of its partner rule.
#[derive(Debug, Clone)]
pub struct EngagePanel {
    pub partners: Vec<PartnerLine>,
    /// What is missing before Engage can start, each naming the partner.
    pub missing: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct PartnerLine {
    pub person_id: PersonId,
    pub name: String,
    /// The fact the rule needs, which anyone on the case may know.
    pub offer_made: bool,
    /// The offer as recorded: only for those who may see her sensitive data.
    pub detail: Option<String>,
    /// May the user record an offer to her (her Idva, a manager)?
    pub may_record: bool,
}

/// The page to record an Idva offer to a partner.
#[derive(Debug, Clone)]
pub struct OfferPage {
    pub case_id: CaseId,
    pub reference: String,
    pub person_id: PersonId,
    pub name: String,
    pub current: Option<String>,
    pub outcomes: [OfferOutcome; 4],
}

/// Open the case to record work about a victim/survivor in it whose sensitive data the user
/// may see: her Idva and managers, never the Engage worker.
async fn open_partner(
    w: &mut UnitOfWork,
    actor: &Actor,
    case_id: CaseId,
    person: PersonId,
) -> Result<(CaseGuard, CaseRecord)> {
    let guard = w.case(actor, case_id, Action::RecordWork).await?;
    if !guard.sees(person.uuid(), FieldClass::Ordinary) {
        return Err(AppError::NotFound);
    }
    if !guard.sees(person.uuid(), FieldClass::Sensitive) {
        return Err(AppError::Forbidden);
    }
    let record = cases::record(w, &guard).await?;
    if !record
        .members
        .iter()
        .any(|m| m.person_id == person.uuid() && m.role == CaseRole::VictimSurvivor)
    {
        return Err(AppError::NotFound);
    }
    Ok((guard, record))
}

pub async fn offer_page(
    app: &App,
    actor: &Actor,
    case_id: CaseId,
    person: PersonId,
) -> Result<OfferPage> {
    let mut w = app.view().await?;
    let (guard, record) = open_partner(&mut w, actor, case_id, person).await?;
    let current = partners::offers(&mut w, &guard)
        .await?
        .into_iter()
        .find(|o| o.person_id == person)
        .map(|o| describe(&o.offer));
    w.commit().await?;
    Ok(OfferPage {
        case_id,
        reference: record.summary.reference.clone(),
        person_id: person,
        name: record.name_of(person.uuid()),
        current,
        outcomes: OfferOutcome::ALL,
    })
}

/// Record an Idva offer to a partner (each record is kept; the newest stands).
pub async fn record_offer(
    app: &App,
    actor: &Actor,
    case_id: CaseId,
    person: PersonId,
    form: &OfferForm,
) -> Result<()> {
    let now = app.now();
    let mut w = app.work().await?;
    let (guard, _) = open_partner(&mut w, actor, case_id, person).await?;
    let offer = form.parse(uk_today(now))?;
    partners::record_offer(&mut w, &guard, now, person, &offer).await?;
    w.audit(
        event(actor, "person.idva_offer", "person", person)
            .detail("case", case_id)
            .detail("outcome", offer.outcome.code()),
    );
    w.commit().await?;
    Ok(())
}

/// Say the news of the Engage work was passed on to the partner.
pub async fn mark_told(app: &App, actor: &Actor, news: Uuid) -> Result<CaseId> {
    let now = app.now();
    let mut w = app.work().await?;
    let (case_id, partner) = partners::case_of_news(&mut w, actor.org_id, news)
        .await?
        .ok_or(AppError::NotFound)?;
    let (guard, _) = open_partner(&mut w, actor, case_id, partner).await?;
    if !partners::mark_told(&mut w, &guard, now, news).await? {
        return Err(AppError::Conflict {
            field: None,
            message: "That was already marked as told".into(),
        });
    }
    w.audit(event(actor, "person.partner_news_told", "person", partner).detail("news", news));
    w.commit().await?;
    Ok(case_id)
}
