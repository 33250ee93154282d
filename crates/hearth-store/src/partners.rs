//! The partners of people on Engage: the Idva offers made to them, and what their Idvas are to
//! tell them of the Engage work. Both are about the partner, a victim/survivor: readers give
//! them only to those the guard lets see her sensitive data; the Engage rule is told only
//! whether each partner has an offer recorded ([`offers_for_rule`]).

use crate::access::{CaseGuard, CasesGuard, Guard};
use crate::{many, row, Result, StoreError};
use hearth_domain::access::FieldClass;
use hearth_domain::clock::{to_unix, Timestamp};
use hearth_domain::enrolment::{Offer, PartnerNews};
use hearth_domain::ids::{new_id, CaseId, EnrolmentId, OrgId, PersonId};
use hearth_domain::programme::OfferOutcome;
use hearth_domain::ukdate::iso;
use sqlx::AnyConnection;
use time::Date;
use uuid::Uuid;

/// The newest offer recorded to a partner.
#[derive(Debug, Clone)]
pub struct StoredOffer {
    pub person_id: PersonId,
    pub offer: Offer,
    pub recorded_at: Timestamp,
    pub recorded_by: String,
}

/// Record an offer to a partner in the guard's case, as its actor.
pub async fn record_offer(
    conn: &mut AnyConnection,
    g: &CaseGuard,
    now: Timestamp,
    partner: PersonId,
    offer: &Offer,
) -> Result<()> {
    crate::access::require(g, partner.uuid())?;
    sqlx::query(
        "INSERT INTO idva_offers (id, org_id, case_id, person_id, outcome, offered_on, view_sought_on, recorded_at, \
         recorded_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(new_id(now).to_string())
    .bind(g.actor().org_id.to_string())
    .bind(g.case_id().to_string())
    .bind(partner.to_string())
    .bind(offer.outcome.code())
    .bind(iso(offer.offered_on))
    .bind(offer.view_sought_on.map(iso))
    .bind(to_unix(now))
    .bind(g.actor().user_id.to_string())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Each partner's newest offer in the case, whoever may see it: for the Engage rule alone,
/// which answers in what it needs ("an Idva offer has been made"), never with the details.
pub(crate) async fn newest_offers(
    conn: &mut AnyConnection,
    org_id: OrgId,
    case_id: CaseId,
) -> Result<Vec<StoredOffer>> {
    let rows = sqlx::query(
        "SELECT o.person_id, o.outcome, o.offered_on, o.view_sought_on, o.recorded_at, u.display_name \
         FROM idva_offers o JOIN users u ON u.id = o.recorded_by \
         WHERE o.org_id = $1 AND o.case_id = $2 ORDER BY o.recorded_at DESC, o.id DESC",
    )
    .bind(org_id.to_string())
    .bind(case_id.to_string())
    .fetch_all(&mut *conn)
    .await?;
    let mut out: Vec<StoredOffer> = Vec::new();
    for r in &rows {
        let person_id = PersonId::from_uuid(row::id(r, "person_id")?);
        if out.iter().any(|o| o.person_id == person_id) {
            continue;
        }
        let outcome = row::text(r, "outcome")?;
        out.push(StoredOffer {
            person_id,
            offer: Offer {
                outcome: OfferOutcome::parse(&outcome)
                    .ok_or_else(|| StoreError::Corrupt(format!("offer outcome {outcome}")))?,
                offered_on: row::date(r, "offered_on")?,
                view_sought_on: row::opt_date(r, "view_sought_on")?,
            },
            recorded_at: row::at(r, "recorded_at")?,
            recorded_by: row::text(r, "display_name")?,
        });
    }
    Ok(out)
}

/// The newest offer to each partner in the guard's case whom the actor may see as a person
/// with sensitive data: the Idva, her managers. Others are not told.
pub async fn offers(conn: &mut AnyConnection, g: &CaseGuard) -> Result<Vec<StoredOffer>> {
    let all = newest_offers(conn, g.actor().org_id, g.case_id()).await?;
    Ok(all
        .into_iter()
        .filter(|o| g.sees(o.person_id.uuid(), FieldClass::Sensitive))
        .collect())
}

/// What the Engage rule needs of each partner: her offer, if any. Read through the case's
/// guard, whoever holds it; the caller turns it into the rule's answer only.
pub async fn offers_for_rule(
    conn: &mut AnyConnection,
    g: &CaseGuard,
) -> Result<Vec<(PersonId, Offer)>> {
    Ok(newest_offers(conn, g.actor().org_id, g.case_id())
        .await?
        .into_iter()
        .filter(|o| g.covers(o.person_id.uuid()))
        .map(|o| (o.person_id, o.offer))
        .collect())
}

/// Something a partner's Idva is to tell her.
#[derive(Debug, Clone)]
pub struct News {
    pub id: Uuid,
    pub case_id: CaseId,
    pub enrolment_id: EnrolmentId,
    pub partner_id: PersonId,
    pub news: PartnerNews,
    pub happened_on: Date,
    /// The person on Engage, for the task's words.
    pub client_id: PersonId,
}

/// Leave news for each partner's Idva, in the guard's case.
pub async fn leave_news(
    conn: &mut AnyConnection,
    g: &CaseGuard,
    now: Timestamp,
    enrolment: EnrolmentId,
    partners: &[PersonId],
    (news, happened_on): (PartnerNews, Date),
) -> Result<()> {
    for p in partners {
        crate::access::require(g, p.uuid())?;
        sqlx::query(
            "INSERT INTO partner_news (id, org_id, case_id, enrolment_id, partner_id, news, happened_on, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(new_id(now).to_string())
        .bind(g.actor().org_id.to_string())
        .bind(g.case_id().to_string())
        .bind(enrolment.to_string())
        .bind(p.to_string())
        .bind(news.code())
        .bind(iso(happened_on))
        .bind(to_unix(now))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// News not yet passed on, in the guard's cases, about partners the actor may see as people
/// with sensitive data (their Idvas and managers; never the Engage worker).
pub async fn untold_in_cases(conn: &mut AnyConnection, g: &CasesGuard) -> Result<Vec<News>> {
    let rows = many::fetch_in(
        conn,
        "SELECT n.id, n.case_id, n.enrolment_id, n.partner_id, n.news, n.happened_on, e.person_id AS client_id \
         FROM partner_news n JOIN enrolments e ON e.id = n.enrolment_id \
         WHERE n.org_id = $1 AND n.told_at IS NULL AND n.case_id IN ({ids})",
        &[g.actor().org_id.to_string()],
        &g.case_ids(),
    )
    .await?;
    let mut out = Vec::new();
    for r in &rows {
        let partner = row::id(r, "partner_id")?;
        if !g.sees(partner, FieldClass::Sensitive) {
            continue;
        }
        let news = row::text(r, "news")?;
        out.push(News {
            id: row::id(r, "id")?,
            case_id: CaseId::from_uuid(row::id(r, "case_id")?),
            enrolment_id: EnrolmentId::from_uuid(row::id(r, "enrolment_id")?),
            partner_id: PersonId::from_uuid(partner),
            news: PartnerNews::parse(&news)
                .ok_or_else(|| StoreError::Corrupt(format!("partner news {news}")))?,
            happened_on: row::date(r, "happened_on")?,
            client_id: PersonId::from_uuid(row::id(r, "client_id")?),
        });
    }
    Ok(out)
}

/// The case a piece of news belongs to, for opening it through the door.
pub async fn case_of_news(
    conn: &mut AnyConnection,
    org_id: OrgId,
    id: Uuid,
) -> Result<Option<(CaseId, PersonId)>> {
    let r =
        sqlx::query("SELECT case_id, partner_id FROM partner_news WHERE org_id = $1 AND id = $2")
            .bind(org_id.to_string())
            .bind(id.to_string())
            .fetch_optional(&mut *conn)
            .await?;
    r.map(|r| {
        Ok((
            CaseId::from_uuid(row::id(&r, "case_id")?),
            PersonId::from_uuid(row::id(&r, "partner_id")?),
        ))
    })
    .transpose()
}

/// Say the news was passed on, as the guard's actor; false if it already was.
pub async fn mark_told(
    conn: &mut AnyConnection,
    g: &CaseGuard,
    now: Timestamp,
    id: Uuid,
) -> Result<bool> {
    let n = sqlx::query(
        "UPDATE partner_news SET told_at = $1, told_by = $2 WHERE id = $3 AND org_id = $4 AND case_id = $5 \
         AND told_at IS NULL",
    )
    .bind(to_unix(now))
    .bind(g.actor().user_id.to_string())
    .bind(id.to_string())
    .bind(g.actor().org_id.to_string())
    .bind(g.case_id().to_string())
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}
