//! Finding people and cases. Results are only what the policy lets the user open; a match on a
//! phone number or postcode counts only where the user may see that person's location, because
//! finding a victim by her phone number would itself tell someone where she is.

use crate::{App, Result};
use hearth_domain::access::{CaseRole, FieldClass};
use hearth_domain::contact::{parse_phone, parse_postcode};
use hearth_domain::referral::fold_name;
use hearth_domain::risk::RiskLevel;
use hearth_domain::search_terms::{
    date_of_birth_term, phone_term, postcode_term, query_word_terms, Closeness, Field,
};
use hearth_domain::Actor;
use hearth_store::access::CasesGuard;
use hearth_store::audit::AuditEvent;
use hearth_store::identity::Hit;
use hearth_store::people;
use hearth_store::{cases, UnitOfWork};
use std::collections::HashMap;
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
    /// The cases the user may open that the person is in, with their part in each.
    pub cases: Vec<FoundCase>,
    /// Their current risk level, where the firewall lets the user see it.
    pub risk: Option<RiskLevel>,
    pub matched_on: &'static str,
}

/// A case a found person is in: ten people with the same surname are told apart by their part
/// in each family's case.
#[derive(Debug, Clone)]
pub struct FoundCase {
    pub case_id: Uuid,
    pub reference: String,
    pub status: String,
    pub role: Option<CaseRole>,
}

/// One page of what a search found.
#[derive(Debug, Clone, Default)]
pub struct Results {
    pub found: Vec<Found>,
    /// How many were found in all, across every page.
    pub total: usize,
    /// This page, from 1.
    pub page: usize,
}

impl Results {
    pub fn pages(&self) -> usize {
        self.total.div_ceil(PAGE).max(1)
    }
}

/// How many results a page shows.
pub const PAGE: usize = 50;

/// Find people and cases. Only the page shown is opened: the rest are counted, not read.
pub async fn search(app: &App, actor: &Actor, raw: &str, page: usize) -> Result<Results> {
    let Some(query) = Query::parse(raw) else {
        return Ok(Results {
            page: 1,
            ..Results::default()
        });
    };
    let page = page.max(1);
    let mut w = app.view().await?;
    let results = match &query {
        Query::Reference(r) => by_reference(&mut w, actor, r, page).await?,
        _ => by_person(&mut w, actor, &query, page).await?,
    };
    // The words searched for are personal data: the trail records only what kind of search it was.
    w.audit(
        AuditEvent::new("search", "user")
            .org(actor.org_id)
            .actor(actor.user_id)
            .entity(actor.user_id)
            .detail("kind", query.kind())
            .detail("results", results.total)
            .detail("page", page),
    );
    w.commit().await?;
    Ok(results)
}

/// The terms to look up for a query, each with the typed word it stands for (names) and how
/// close a match on it is.
fn terms_of(query: &Query) -> Vec<(String, usize, Closeness)> {
    match query {
        Query::Name(words) => words
            .iter()
            .map(|w| fold_name(w))
            .filter(|w| !w.is_empty())
            .enumerate()
            .flat_map(|(i, w)| {
                query_word_terms(&w)
                    .into_iter()
                    .map(move |(t, c)| (t, i, c))
            })
            .collect(),
        Query::DateOfBirth(d) => vec![(date_of_birth_term(d), 0, Closeness::Exact)],
        Query::Phone(p) => phone_term(p)
            .map(|t| (t, 0, Closeness::Exact))
            .into_iter()
            .collect(),
        Query::Postcode(p) => postcode_term(p)
            .map(|t| (t, 0, Closeness::Exact))
            .into_iter()
            .collect(),
        Query::Reference(_) => Vec::new(),
    }
}

/// How someone met the query: on which field, and how closely (the loosest of the words).
fn how_matched(
    query: &Query,
    terms: &[(String, usize, Closeness)],
    hits: &[Hit],
) -> Option<(Field, Closeness)> {
    let words = match query {
        Query::Name(words) => words.iter().filter(|w| !fold_name(w).is_empty()).count(),
        _ => 1,
    };
    // A name matches when every word typed meets the name, or every word meets one other name.
    [
        Field::Name,
        Field::OtherName,
        Field::DateOfBirth,
        Field::Phone,
        Field::Postcode,
    ]
    .into_iter()
    .filter_map(|field| {
        let mut best: Vec<Option<Closeness>> = vec![None; words];
        for h in hits.iter().filter(|h| h.field == field) {
            let (_, word, closeness) = &terms[h.term];
            let b = &mut best[*word];
            *b = Some(b.map_or(*closeness, |c| c.min(*closeness)));
        }
        let loosest = best
            .iter()
            .copied()
            .collect::<Option<Vec<_>>>()?
            .into_iter()
            .max()?;
        Some((field, loosest))
    })
    .min_by_key(|(field, closeness)| (*closeness, *field))
}

fn matched_on(field: Field) -> &'static str {
    match field {
        Field::Name => "name",
        Field::OtherName => "other name",
        Field::DateOfBirth => "date of birth",
        Field::Phone => "phone number",
        Field::Postcode => "postcode",
    }
}

/// The index's hits for these terms. A search of several words must meet every word, so the
/// rarest word is looked up first and the others only among the people it found: a common first
/// name costs no more than a rare surname, however large the organisation.
async fn find(
    w: &mut UnitOfWork,
    actor: &Actor,
    terms: &[(String, usize, Closeness)],
) -> Result<Vec<Hit>> {
    let words = terms.iter().map(|(_, word, _)| word + 1).max().unwrap_or(0);
    let of_word = |word: usize| -> (Vec<usize>, Vec<String>) {
        terms
            .iter()
            .enumerate()
            .filter(|(_, (_, w, _))| *w == word)
            .map(|(i, (t, ..))| (i, t.clone()))
            .unzip()
    };
    if words < 2 {
        let all: Vec<String> = terms.iter().map(|(t, ..)| t.clone()).collect();
        return Ok(people::find(w, actor, &all).await?);
    }
    let mut sizes = Vec::new();
    for word in 0..words {
        sizes.push((people::count_terms(w, actor, &of_word(word).1).await?, word));
    }
    sizes.sort();
    let renumber = |places: &[usize], found: Vec<Hit>| -> Vec<Hit> {
        found
            .into_iter()
            .map(|h| Hit {
                term: places[h.term],
                ..h
            })
            .collect()
    };
    let (places, rarest) = of_word(sizes[0].1);
    let mut hits = renumber(&places, people::find(w, actor, &rarest).await?);
    let mut among: Vec<Uuid> = hits.iter().map(|h| h.person_id).collect();
    among.sort();
    among.dedup();
    for &(_, word) in &sizes[1..] {
        if among.is_empty() {
            break;
        }
        let (places, these) = of_word(word);
        hits.extend(renumber(
            &places,
            people::find_among(w, actor, &these, &among).await?,
        ));
    }
    Ok(hits)
}

fn page_of<T>(all: Vec<T>, page: usize) -> Vec<T> {
    all.into_iter().skip((page - 1) * PAGE).take(PAGE).collect()
}

async fn by_person(
    w: &mut UnitOfWork,
    actor: &Actor,
    query: &Query,
    page: usize,
) -> Result<Results> {
    let terms = terms_of(query);
    let mut hits: HashMap<Uuid, Vec<Hit>> = HashMap::new();
    for h in find(w, actor, &terms).await? {
        hits.entry(h.person_id).or_default().push(h);
    }
    let mut candidates: Vec<(Uuid, Field, Closeness)> = hits
        .iter()
        .filter_map(|(person, hits)| how_matched(query, &terms, hits).map(|(f, c)| (*person, f, c)))
        .collect();
    let ids: Vec<Uuid> = candidates.iter().map(|(p, ..)| *p).collect();
    let mut their_cases = people::cases_of(w, actor, &ids).await?;
    let mut case_ids: Vec<Uuid> = their_cases.values().flatten().map(|c| c.case_id).collect();
    case_ids.sort();
    case_ids.dedup();
    let guard = w.cases(actor, &case_ids).await?;
    // Behind the firewall a victim or child is a name: finding her by her date of birth or
    // another name she uses would tell the searcher something about her, and finding her by
    // her phone number or postcode would tell them where she is. Those matches do not count.
    candidates.retain(|(person, field, _)| match field {
        Field::Name => true,
        Field::OtherName | Field::DateOfBirth => guard.may_see(*person, FieldClass::Ordinary),
        Field::Phone | Field::Postcode => guard.may_see(*person, FieldClass::Location),
    });
    candidates.retain(|(person, ..)| {
        their_cases
            .get(person)
            .is_some_and(|cases| cases.iter().any(|c| guard.get(c.case_id).is_some()))
    });
    // Closest first; the order within a closeness needs nothing opened, so only the page shown
    // is decrypted.
    candidates.sort_by_key(|(person, field, closeness)| (*closeness, *field, *person));
    let total = candidates.len();
    let candidates = page_of(candidates, page);
    let shown: Vec<Uuid> = candidates.iter().map(|(p, ..)| *p).collect();
    let names = people::named(w, &guard, &shown).await?;
    let risk = current_risk(w, &guard, &shown).await?;
    let mut found = Vec::new();
    for (person_id, field, _) in candidates {
        let Some(who) = names.get(&person_id) else {
            continue;
        };
        let visible: Vec<FoundCase> = their_cases
            .remove(&person_id)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|c| {
                let access = guard.get(c.case_id)?;
                Some(FoundCase {
                    role: access.roles_of(person_id).first().copied(),
                    case_id: c.case_id,
                    reference: c.reference,
                    status: c.status,
                })
            })
            .collect();
        found.push(Found {
            person_id,
            name: who.full_name(),
            date_of_birth: who.date_of_birth.clone(),
            cases: visible,
            risk: risk.get(&person_id).copied(),
            matched_on: matched_on(field),
        });
    }
    Ok(Results { found, total, page })
}

/// Each person's newest risk level, only where the user may see sensitive data about them: a
/// level is a judgement about her, and behind the firewall it is withheld like her disclosures.
async fn current_risk(
    w: &mut UnitOfWork,
    guard: &CasesGuard,
    people: &[Uuid],
) -> Result<HashMap<Uuid, RiskLevel>> {
    let seen: Vec<Uuid> = people
        .iter()
        .copied()
        .filter(|p| guard.may_see(*p, FieldClass::Sensitive))
        .collect();
    Ok(crate::risk_facts::facts_for(w, guard, &seen)
        .await?
        .into_iter()
        .filter_map(|(p, f)| Some((p, f.latest?.level)))
        .collect())
}

/// Cases whose reference starts with what was typed, each under the adult victim/survivor.
/// The access policy is worked out once for every case with the reference, and only the
/// victims/survivors on the page shown are opened.
async fn by_reference(
    w: &mut UnitOfWork,
    actor: &Actor,
    prefix: &str,
    page: usize,
) -> Result<Results> {
    let lines = cases::with_reference_prefix(w, actor, prefix).await?;
    let ids: Vec<Uuid> = lines.iter().map(|c| c.case_id).collect();
    let guard = w.cases(actor, &ids).await?;
    // Each case the user may open with an adult victim/survivor in it, under the first.
    let open: Vec<(people::CaseLine, Uuid)> = lines
        .into_iter()
        .filter_map(|c| {
            let victim = guard
                .get(c.case_id)?
                .memberships()
                .iter()
                .find(|m| m.role == CaseRole::VictimSurvivor)?
                .person_id;
            Some((c, victim))
        })
        .collect();
    let total = open.len();
    let open = page_of(open, page);
    let victims: Vec<Uuid> = open.iter().map(|(_, v)| *v).collect();
    let names = people::named(w, &guard, &victims).await?;
    let risk = current_risk(w, &guard, &victims).await?;
    let mut found = Vec::new();
    for (c, victim) in open {
        let Some(who) = names.get(&victim) else {
            continue;
        };
        found.push(Found {
            person_id: victim,
            name: who.full_name(),
            date_of_birth: who.date_of_birth.clone(),
            cases: vec![FoundCase {
                case_id: c.case_id,
                reference: c.reference,
                status: c.status,
                role: Some(CaseRole::VictimSurvivor),
            }],
            risk: risk.get(&victim).copied(),
            matched_on: "case reference",
        });
    }
    Ok(Results { found, total, page })
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

    fn hits_for(query: &Query, stored: &[(Field, &str)]) -> Option<(Field, Closeness)> {
        let terms = terms_of(query);
        let stored: Vec<(Field, String)> = stored
            .iter()
            .flat_map(|(f, name)| {
                hearth_domain::search_terms::identity_terms(name, "", &[], None)
                    .into_iter()
                    .map(move |(_, t)| (*f, t))
            })
            .collect();
        let hits: Vec<Hit> = terms
            .iter()
            .enumerate()
            .flat_map(|(i, (t, ..))| {
                stored
                    .iter()
                    .filter(move |(_, s)| s == t)
                    .map(move |(field, _)| Hit {
                        person_id: Uuid::nil(),
                        term: i,
                        field: *field,
                    })
            })
            .collect();
        how_matched(query, &terms, &hits)
    }

    #[test]
    fn every_word_must_meet_the_name_or_one_other_name() {
        let q = Query::parse("Zoe quill").unwrap();
        let name = [(Field::Name, "Zoë"), (Field::Name, "Quillfeather")];
        assert_eq!(
            hits_for(&q, &name),
            Some((Field::Name, Closeness::Shortening))
        );
        let q = Query::parse("Zoe Sorelby").unwrap();
        let split = [(Field::Name, "Zoë"), (Field::OtherName, "Sorrelby")];
        assert_eq!(hits_for(&q, &split), None, "one word on each is no match");
        let other = [(Field::OtherName, "Zoe"), (Field::OtherName, "Sorrelby")];
        assert_eq!(
            hits_for(&q, &other),
            Some((Field::OtherName, Closeness::OneLetter))
        );
        assert_eq!(hits_for(&Query::parse("Amy").unwrap(), &name), None);
    }
}
