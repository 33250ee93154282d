//! Finding people and cases. Results are only what the policy lets the user open; a match on a
//! phone number or postcode counts only where the user may see that person's location, because
//! finding a victim by her phone number would itself tell someone where she is.

use crate::{App, Result};
use hearth_domain::access::FieldClass;
use hearth_domain::contact::{parse_phone, parse_postcode, ContactDetails};
use hearth_domain::referral::{fold_name, names_alike};
use hearth_domain::Actor;
use hearth_store::access::{CasesGuard, Guard};
use hearth_store::audit::AuditEvent;
use hearth_store::people::{self, OnRecord};
use hearth_store::{cases, UnitOfWork};
use time::macros::format_description;
use time::Date;
use uuid::Uuid;

/// What the words typed look like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    DateOfBirth(String),
    Reference(String),
    Phone(String),
    Postcode(String),
    Name(Vec<String>),
}

impl Query {
    pub fn parse(raw: &str) -> Option<Query> {
        let s = raw.trim();
        // Punctuation alone matches every name: refuse it rather than list everyone.
        let meaningful = s.chars().filter(|c| c.is_alphanumeric()).count();
        if meaningful < 2 || s.chars().count() > 200 {
            return None;
        }
        if let Ok(d) = Date::parse(
            s,
            format_description!("[day padding:none]/[month padding:none]/[year]"),
        ) {
            return Some(Query::DateOfBirth(d.to_string()));
        }
        let digits = s.chars().filter(|c| c.is_ascii_digit()).count();
        if digits >= 10 {
            if let Ok(p) = parse_phone("q", s) {
                return Some(Query::Phone(p));
            }
        }
        if s.chars().any(|c| c.is_ascii_digit()) && s.contains('-') {
            return Some(Query::Reference(s.to_uppercase()));
        }
        if s.chars().any(|c| c.is_ascii_digit()) {
            if let Ok(p) = parse_postcode("q", s) {
                return Some(Query::Postcode(p));
            }
            return Some(Query::Reference(s.to_uppercase()));
        }
        Some(Query::Name(
            s.split_whitespace().map(str::to_string).collect(),
        ))
    }

    fn kind(&self) -> &'static str {
        match self {
            Query::DateOfBirth(_) => "date_of_birth",
            Query::Reference(_) => "reference",
            Query::Phone(_) => "phone",
            Query::Postcode(_) => "postcode",
            Query::Name(_) => "name",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Found {
    pub person_id: Uuid,
    pub name: String,
    pub date_of_birth: Option<String>,
    /// (case id, reference, status) the user may open.
    pub cases: Vec<(Uuid, String, String)>,
    pub matched_on: &'static str,
}

fn digits(s: &str) -> String {
    let d: String = s.chars().filter(|c| c.is_ascii_digit()).collect();
    match d.strip_prefix("44") {
        Some(rest) if d.len() == 12 => format!("0{rest}"),
        _ => d,
    }
}

fn name_matches(words: &[String], given: &str, family: &str) -> bool {
    words.iter().all(|w| {
        let fw = fold_name(w);
        names_alike(w, given)
            || names_alike(w, family)
            || fold_name(family).contains(&fw)
            || fold_name(given) == fw
    })
}

pub async fn search(app: &App, actor: &Actor, raw: &str) -> Result<Vec<Found>> {
    let Some(query) = Query::parse(raw) else {
        return Ok(Vec::new());
    };
    let mut w = app.work().await?;
    let found = match &query {
        Query::Reference(r) => by_reference(&mut w, actor, r).await?,
        _ => by_person(&mut w, actor, &query).await?,
    };
    // The words searched for are personal data: the trail records only what kind of search it was.
    w.audit(
        AuditEvent::new("search", "user")
            .org(actor.org_id)
            .actor(actor.user_id)
            .entity(actor.user_id)
            .detail("kind", query.kind())
            .detail("results", found.len()),
    );
    w.commit().await?;
    Ok(found)
}

/// A match on a name or a date of birth, which needs nothing opened.
fn on_identity(query: &Query, p: &OnRecord) -> Option<&'static str> {
    match query {
        Query::Name(words) if name_matches(words, &p.given_name, &p.family_name) => Some("name"),
        Query::Name(words)
            if p.aliases.iter().any(|a| {
                let (g, f) = a.rsplit_once(' ').unwrap_or((a.as_str(), ""));
                name_matches(words, g, f)
            }) =>
        {
            Some("other name")
        }
        Query::DateOfBirth(d) if p.date_of_birth.as_deref() == Some(d.as_str()) => {
            Some("date of birth")
        }
        _ => None,
    }
}

/// A match on a phone number or postcode, compared only where the guard opens the person's
/// contact details: one the user may not see is never decrypted, so it cannot match.
fn on_contact(guard: &CasesGuard, query: &Query, p: &OnRecord) -> Result<Option<&'static str>> {
    let Some(sealed) = &p.contact else {
        return Ok(None);
    };
    let Some(json) = guard.open(sealed)?.shown() else {
        return Ok(None);
    };
    let Ok(d) = serde_json::from_str::<ContactDetails>(&json) else {
        return Ok(None);
    };
    Ok(match query {
        Query::Phone(q) if !d.phone.is_empty() && digits(&d.phone) == digits(q) => {
            Some("phone number")
        }
        Query::Postcode(q) if d.postcode == *q => Some("postcode"),
        _ => None,
    })
}

async fn by_person(w: &mut UnitOfWork, actor: &Actor, query: &Query) -> Result<Vec<Found>> {
    let people = people::on_record(w, actor).await?;
    let by_contact = matches!(query, Query::Phone(_) | Query::Postcode(_));
    let candidates: Vec<(&OnRecord, Option<&'static str>)> = people
        .iter()
        .filter_map(|p| match by_contact {
            true => Some((p, None)),
            false => on_identity(query, p).map(|m| (p, Some(m))),
        })
        .collect();
    let ids: Vec<Uuid> = candidates.iter().map(|(p, _)| p.person_id).collect();
    let mut their_cases = people::cases_of(w, actor, &ids).await?;
    let mut case_ids: Vec<Uuid> = their_cases.values().flatten().map(|c| c.case_id).collect();
    case_ids.sort();
    case_ids.dedup();
    let guard = w.cases(actor, &case_ids).await?;
    let mut found = Vec::new();
    for (p, matched) in candidates {
        let visible: Vec<(Uuid, String, String)> = their_cases
            .remove(&p.person_id)
            .unwrap_or_default()
            .into_iter()
            .filter(|c| guard.get(c.case_id).is_some())
            .map(|c| (c.case_id, c.reference, c.status))
            .collect();
        if visible.is_empty() {
            continue;
        }
        let matched_on = match matched {
            Some(m) => m,
            None => match on_contact(&guard, query, p)? {
                Some(m) => m,
                None => continue,
            },
        };
        // Behind the firewall a victim or child is a name: finding her by her date of birth or
        // another name she uses would tell the searcher something about her, so those matches
        // do not count, and her date of birth is not shown.
        let ordinary = guard.may_see(p.person_id, FieldClass::Ordinary);
        if matches!(matched_on, "date of birth" | "other name") && !ordinary {
            continue;
        }
        found.push(Found {
            person_id: p.person_id,
            name: format!("{} {}", p.given_name, p.family_name),
            date_of_birth: p.date_of_birth.clone().filter(|_| ordinary),
            cases: visible,
            matched_on,
        });
        if found.len() >= 100 {
            break;
        }
    }
    Ok(found)
}

/// Cases whose reference starts with what was typed, each under the adult victim/survivor.
async fn by_reference(w: &mut UnitOfWork, actor: &Actor, prefix: &str) -> Result<Vec<Found>> {
    let mut found = Vec::new();
    for case_id in cases::with_reference_prefix(w, actor, prefix).await? {
        let Some(c) = cases::get(w, actor, case_id).await? else {
            continue;
        };
        if let Some(m) = c
            .members
            .iter()
            .find(|m| m.role == hearth_domain::access::CaseRole::VictimSurvivor)
        {
            found.push(Found {
                person_id: m.person_id,
                name: format!("{} {}", m.given_name, m.family_name),
                date_of_birth: m.date_of_birth.clone(),
                cases: vec![(
                    c.summary.id,
                    c.summary.reference.clone(),
                    c.summary.status.clone(),
                )],
                matched_on: "case reference",
            });
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_recognised() {
        assert_eq!(
            Query::parse("01/04/1990"),
            Some(Query::DateOfBirth("1990-04-01".into()))
        );
        assert_eq!(
            Query::parse("07700 900982"),
            Some(Query::Phone("07700 900982".into()))
        );
        assert_eq!(
            Query::parse("ns1 2ab"),
            Some(Query::Postcode("NS1 2AB".into()))
        );
        assert_eq!(
            Query::parse("hd-2026-0055"),
            Some(Query::Reference("HD-2026-0055".into()))
        );
        assert_eq!(
            Query::parse("Zoe Quill"),
            Some(Query::Name(vec!["Zoe".into(), "Quill".into()]))
        );
        assert_eq!(Query::parse("x"), None);
        assert_eq!(Query::parse("..."), None, "punctuation alone is no search");
        assert_eq!(Query::parse("'-'"), None);
    }

    #[test]
    fn names_match_with_variants_and_parts() {
        assert!(name_matches(&["zoe".into()], "Zoë", "Quillfeather"));
        assert!(name_matches(
            &["Zoe".into(), "quill".into()],
            "Zoë",
            "Quillfeather"
        ));
        assert!(!name_matches(&["Amy".into()], "Zoë", "Quillfeather"));
    }
}
