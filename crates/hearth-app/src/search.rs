//! Finding people and cases. Results are only what the policy lets the user open; a match on a
//! phone number or postcode counts only where the user may see that person's location, because
//! finding a victim by her phone number would itself tell someone where she is.

use crate::{App, Result};
use hearth_domain::access::{Action, Decision, FieldClass};
use hearth_domain::contact::{parse_phone, parse_postcode, ContactDetails};
use hearth_domain::referral::{fold_name, names_alike};
use hearth_domain::Actor;
use hearth_store::access;
use hearth_store::audit::AuditEvent;
use hearth_store::{cases, contact, referrals};
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
    let people = referrals::people_for_matching(&mut w, actor.org_id).await?;
    let aliases = hearth_store::people::aliases_for_org(&mut w, actor.org_id).await?;
    let cipher = app.store.cipher(&mut w, actor.org_id).await?;
    let mut found = Vec::new();
    for (id, given, family, dob, sealed) in &people {
        let matched_on = match &query {
            Query::Name(words) => {
                if name_matches(words, given, family) {
                    Some("name")
                } else if aliases.iter().filter(|(p, _)| p == id).any(|(_, a)| {
                    let (g, f) = a.rsplit_once(' ').unwrap_or((a.as_str(), ""));
                    name_matches(words, g, f)
                }) {
                    Some("other name")
                } else {
                    None
                }
            }
            Query::DateOfBirth(d) => {
                (dob.as_deref() == Some(d.as_str())).then_some("date of birth")
            }
            Query::Reference(_) => None,
            Query::Phone(_) | Query::Postcode(_) => {
                let details: Option<ContactDetails> = sealed.as_ref().and_then(|(v, s)| {
                    cipher
                        .decrypt(&contact::place(*id, *v), s)
                        .ok()
                        .and_then(|j| serde_json::from_str(&j).ok())
                });
                match (&query, details) {
                    (Query::Phone(p), Some(d))
                        if !d.phone.is_empty() && digits(&d.phone) == digits(p) =>
                    {
                        Some("phone number")
                    }
                    (Query::Postcode(p), Some(d)) if d.postcode == *p => Some("postcode"),
                    _ => None,
                }
            }
        };
        let Some(matched_on) = matched_on else {
            continue;
        };
        if matches!(query, Query::Phone(_) | Query::Postcode(_))
            && !access::may_see_person_field(&mut w, actor, *id, FieldClass::Location).await?
        {
            continue;
        }
        // Behind the firewall a victim or child is a name: finding her by her date of birth or
        // another name she uses would tell the searcher something about her, so those matches
        // do not count, and her date of birth is not shown.
        let ordinary =
            access::may_see_person_field(&mut w, actor, *id, FieldClass::Ordinary).await?;
        if matches!(matched_on, "date of birth" | "other name") && !ordinary {
            continue;
        }
        let mut visible = Vec::new();
        for (case_id, reference, status) in referrals::cases_of(&mut w, *id).await? {
            if access::case_decision(&mut w, actor, Action::ViewCaseRecord, case_id).await?
                == Decision::Allow
            {
                visible.push((case_id, reference, status));
            }
        }
        if visible.is_empty() {
            continue;
        }
        found.push(Found {
            person_id: *id,
            name: format!("{given} {family}"),
            date_of_birth: dob.clone().filter(|_| ordinary),
            cases: visible,
            matched_on,
        });
        if found.len() >= 100 {
            break;
        }
    }
    if let Query::Reference(r) = &query {
        let hits: Vec<(String, String)> = sqlx::query_as(
            "SELECT id, reference FROM cases WHERE org_id = $1 AND UPPER(reference) LIKE $2",
        )
        .bind(actor.org_id.to_string())
        .bind(format!("{}%", r.replace(['%', '_'], "")))
        .fetch_all(&mut *w)
        .await?;
        for (case_id, _) in hits {
            let Some(case_id) = hearth_domain::ids::parse_id(&case_id) else {
                continue;
            };
            if let Some(c) = cases::get(&mut w, actor, case_id).await? {
                for m in c
                    .members
                    .iter()
                    .filter(|m| m.role == hearth_domain::access::CaseRole::VictimSurvivor)
                    .take(1)
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
        }
    }
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
