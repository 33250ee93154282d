//! The programme catalogue, an enrolment's states, and the rules that link one family member's
//! support to another's. The catalogue is data (`config/programmes/*.toml`): a service renames,
//! adds or retires a programme without a release. The linked-support rules are code, here, so
//! that no screen or API can start work the rules forbid.

use crate::access::CaseRole;
use crate::instrument::{is_code, read_toml, DefinitionError};
use crate::Role;
use serde::Deserialize;
use std::collections::HashSet;
use time::Date;
use toml::Spanned;
use uuid::Uuid;

/// How a programme's work is delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    OneToOne,
    Group,
    Both,
}

/// A rule that ties an enrolment to other people's support in the same case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Linked {
    None,
    /// Engage: every current or ex-partner who is a victim/survivor has an Idva offer recorded
    /// before the work starts, her Idva is not the Engage worker, and her view was sought.
    PartnerOfferedIdva,
    /// APVA: the young person (in an age range, causing harm) and a parent (the victim) together.
    YoungPersonAndParent,
    /// Grow Together / Side by Side: a parent and at least one of their children together.
    ParentAndChild,
}

/// When an outcome measure is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MeasureAt {
    Intake,
    Exit,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Measure {
    pub instrument: String,
    pub at: Vec<MeasureAt>,
    /// Also every this many weeks while the enrolment is active.
    pub every_weeks: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Programme {
    pub key: String,
    pub version: i64,
    pub name: String,
    /// Who may be enrolled, by their role in the case. Empty for a programme whose participants
    /// are not members of a case (training other agencies' staff).
    pub for_roles: Vec<CaseRole>,
    pub min_age: Option<i64>,
    pub max_age: Option<i64>,
    pub delivery: Delivery,
    pub worker_roles: Vec<Role>,
    pub places: u32,
    pub topics: Vec<String>,
    pub exit_reasons: Vec<String>,
    pub measures: Vec<Measure>,
    pub linked: Linked,
    /// APVA's young person: the ages the rule takes.
    pub young_person_ages: Option<(i64, i64)>,
    pub retired: bool,
}

/// A service's programmes, as one file defines them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalogue {
    pub programmes: Vec<Programme>,
}

impl Catalogue {
    pub fn get(&self, key: &str) -> Option<&Programme> {
        self.programmes.iter().find(|p| p.key == key)
    }

    /// The programmes still offered, in the file's order.
    pub fn offered(&self) -> impl Iterator<Item = &Programme> {
        self.programmes.iter().filter(|p| !p.retired)
    }
}

/// The catalogue every new service starts with: the seven programmes in DOMAIN.md.
pub const DEFAULT: (&str, &str) = (
    "default.toml",
    include_str!("../../../config/programmes/default.toml"),
);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCatalogue {
    programme: Vec<Spanned<RawProgramme>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProgramme {
    key: String,
    version: i64,
    name: String,
    #[serde(default)]
    for_roles: Vec<String>,
    min_age: Option<i64>,
    max_age: Option<i64>,
    delivery: String,
    worker_roles: Vec<String>,
    places: i64,
    #[serde(default)]
    topics: Vec<String>,
    exit_reasons: Vec<String>,
    #[serde(default)]
    measure: Vec<RawMeasure>,
    rule: Option<String>,
    young_person_min_age: Option<i64>,
    young_person_max_age: Option<i64>,
    #[serde(default)]
    retired: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMeasure {
    instrument: String,
    #[serde(default)]
    at: Vec<String>,
    every_weeks: Option<i64>,
}

/// Parse and check a catalogue. `file` names it in any error; nothing of a refused file is used.
pub fn parse(file: &str, src: &str) -> Result<Catalogue, DefinitionError> {
    let fail = |offset: usize, problem: String| DefinitionError::at(file, src, offset, problem);
    let raw: RawCatalogue = read_toml(file, src)?;
    let mut programmes = Vec::new();
    let mut keys = HashSet::new();
    for p in &raw.programme {
        let at = p.span().start;
        let p = p.get_ref();
        let name = p.name.trim().to_string();
        let fail = |problem: String| {
            fail(
                at,
                format!("programme \u{201c}{}\u{201d}: {problem}", p.key),
            )
        };
        if !is_code(&p.key) {
            return Err(fail(
                "key must be lower-case letters, digits, hyphens or underscores".into(),
            ));
        }
        if !keys.insert(p.key.clone()) {
            return Err(fail("the key is used twice".into()));
        }
        if p.version < 1 {
            return Err(fail("version must be 1 or more".into()));
        }
        if name.is_empty() {
            return Err(fail("name must not be empty".into()));
        }
        let mut for_roles = Vec::new();
        for r in &p.for_roles {
            for_roles.push(CaseRole::parse(r).ok_or_else(|| {
                fail(format!(
                    "for_roles has \u{201c}{r}\u{201d}; use victim_survivor, person_causing_harm, child_or_young_person or other_adult"
                ))
            })?);
        }
        let age = |a: Option<i64>, what: &str| match a {
            Some(n) if !(0..=120).contains(&n) => {
                Err(fail(format!("{what} must be from 0 to 120")))
            }
            a => Ok(a),
        };
        let (min_age, max_age) = (age(p.min_age, "min_age")?, age(p.max_age, "max_age")?);
        if let (Some(lo), Some(hi)) = (min_age, max_age) {
            if hi < lo {
                return Err(fail("max_age must not be below min_age".into()));
            }
        }
        let delivery = match p.delivery.trim() {
            "one_to_one" => Delivery::OneToOne,
            "group" => Delivery::Group,
            "both" => Delivery::Both,
            other => {
                return Err(fail(format!(
                    "delivery must be one_to_one, group or both, not \u{201c}{other}\u{201d}"
                )))
            }
        };
        let mut worker_roles = Vec::new();
        for r in &p.worker_roles {
            let role = Role::parse(r)
                .filter(|r| r.holds_caseload() || *r == Role::TrainingCoordinator)
                .ok_or_else(|| {
                    fail(format!(
                        "worker_roles has \u{201c}{r}\u{201d}, which is not a role that works with people"
                    ))
                })?;
            worker_roles.push(role);
        }
        if worker_roles.is_empty() {
            return Err(fail("worker_roles must name at least one role".into()));
        }
        let places = u32::try_from(p.places)
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| fail("places must be a whole number above 0".into()))?;
        if p.exit_reasons.iter().all(|r| r.trim().is_empty()) {
            return Err(fail(
                "exit_reasons must give at least one reason an enrolment ends".into(),
            ));
        }
        let mut measures = Vec::new();
        for m in &p.measure {
            let mut at = Vec::new();
            for a in &m.at {
                at.push(match a.trim() {
                    "intake" => MeasureAt::Intake,
                    "exit" => MeasureAt::Exit,
                    other => {
                        return Err(fail(format!(
                            "a measure is taken at intake or exit, not \u{201c}{other}\u{201d}"
                        )))
                    }
                });
            }
            let every_weeks = match m.every_weeks {
                None => None,
                Some(n) if (1..=52).contains(&n) => Some(n as u32),
                Some(_) => return Err(fail("every_weeks must be from 1 to 52".into())),
            };
            if at.is_empty() && every_weeks.is_none() {
                return Err(fail(format!(
                    "the measure {} is never taken: give at or every_weeks",
                    m.instrument
                )));
            }
            measures.push(Measure {
                instrument: m.instrument.trim().to_string(),
                at,
                every_weeks,
            });
        }
        let linked = match p.rule.as_deref().map(str::trim) {
            None | Some("none") => Linked::None,
            Some("partner_offered_idva") => Linked::PartnerOfferedIdva,
            Some("young_person_and_parent") => Linked::YoungPersonAndParent,
            Some("parent_and_child") => Linked::ParentAndChild,
            Some(other) => {
                return Err(fail(format!(
                    "rule must be none, partner_offered_idva, young_person_and_parent or parent_and_child, not \u{201c}{other}\u{201d}"
                )))
            }
        };
        let young_person_ages = match (linked, p.young_person_min_age, p.young_person_max_age) {
            (Linked::YoungPersonAndParent, Some(lo), Some(hi)) if (0..=25).contains(&lo) && lo <= hi && hi <= 25 => {
                Some((lo, hi))
            }
            (Linked::YoungPersonAndParent, _, _) => {
                return Err(fail(
                    "the young_person_and_parent rule needs young_person_min_age and young_person_max_age (0 to 25)".into(),
                ))
            }
            (_, None, None) => None,
            _ => {
                return Err(fail(
                    "young_person ages belong only to the young_person_and_parent rule".into(),
                ))
            }
        };
        programmes.push(Programme {
            key: p.key.clone(),
            version: p.version,
            name,
            for_roles,
            min_age,
            max_age,
            delivery,
            worker_roles,
            places,
            topics: p.topics.iter().map(|t| t.trim().to_string()).collect(),
            exit_reasons: p
                .exit_reasons
                .iter()
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty())
                .collect(),
            measures,
            linked,
            young_person_ages,
            retired: p.retired,
        });
    }
    if programmes.is_empty() {
        return Err(fail(
            0,
            "a catalogue needs at least one [[programme]]".into(),
        ));
    }
    Ok(Catalogue { programmes })
}

/// Check a new catalogue file against those loaded before it, so that a new version applies
/// from now on and never rewrites history: every programme in use stays (retired, not
/// removed), a version already loaded keeps its content (change it by raising the version),
/// no version goes backwards, and the file changes something. Refused naming the file, the
/// line of the programme and the problem.
pub fn check_successor(
    file: &str,
    src: &str,
    new: &Catalogue,
    earlier: &[Catalogue],
) -> Result<(), DefinitionError> {
    let line_of = |key: &str| src.find(&format!("key = \"{key}\"")).unwrap_or(0);
    let fail = |key: &str, problem: String| {
        DefinitionError::at(
            file,
            src,
            line_of(key),
            format!("programme \u{201c}{key}\u{201d}: {problem}"),
        )
    };
    let Some(current) = earlier.first() else {
        return Ok(());
    };
    for p in &current.programmes {
        if new.get(&p.key).is_none() {
            return Err(fail(
                &p.key,
                "is missing: keep it in the file with retired = true to stop offering it (its enrolments and history stay)".into(),
            ));
        }
    }
    for p in &new.programmes {
        for old in earlier
            .iter()
            .flat_map(|c| c.programmes.iter())
            .filter(|o| o.key == p.key)
        {
            if old.version == p.version && old != p {
                return Err(fail(
                    &p.key,
                    format!("version {} is already loaded with other content: raise its version to change it", p.version),
                ));
            }
        }
        if let Some(now) = current.get(&p.key) {
            if p.version < now.version {
                return Err(fail(
                    &p.key,
                    format!(
                        "version {} is older than version {} in use",
                        p.version, now.version
                    ),
                ));
            }
        }
    }
    if new.programmes == current.programmes {
        return Err(DefinitionError::at(
            file,
            src,
            0,
            "nothing has changed from the catalogue in use".into(),
        ));
    }
    Ok(())
}

/// Where an enrolment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnrolmentState {
    Proposed,
    /// On the programme's waiting list.
    Waiting,
    Active,
    Ended,
}

impl EnrolmentState {
    pub fn label(self) -> &'static str {
        match self {
            EnrolmentState::Proposed => "Proposed",
            EnrolmentState::Waiting => "Waiting",
            EnrolmentState::Active => "Active",
            EnrolmentState::Ended => "Ended",
        }
    }

    /// The moves an enrolment may make: forward only, and an ended one stays ended (the person
    /// is enrolled again as a new enrolment, so its history is never rewritten).
    pub fn may_become(self, next: EnrolmentState) -> bool {
        use EnrolmentState::*;
        matches!(
            (self, next),
            (Proposed, Waiting)
                | (Proposed, Active)
                | (Proposed, Ended)
                | (Waiting, Active)
                | (Waiting, Ended)
                | (Active, Ended)
        )
    }
}

/// Someone the family's plan is about: who they are and what the record says of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub person_id: Uuid,
    pub name: String,
    pub roles: Vec<CaseRole>,
    pub age: Option<i64>,
}

/// Why someone may not be enrolled: said plainly, naming the person.
pub fn may_enrol(p: &Programme, who: &Candidate) -> Result<(), String> {
    if p.retired {
        return Err(format!("{} is no longer offered", p.name));
    }
    if p.for_roles.is_empty() {
        return Err(format!(
            "{} is for other agencies' staff, not for people in a case",
            p.name
        ));
    }
    if !who.roles.iter().any(|r| p.for_roles.contains(r)) {
        let roles: Vec<&str> = p.for_roles.iter().map(|r| r.label()).collect();
        return Err(format!(
            "{} is for {}; {} is not in this case in that role",
            p.name,
            roles.join(" or ").to_lowercase(),
            who.name
        ));
    }
    // APVA's person causing harm is the young person, in the programme's young ages.
    if p.linked == Linked::YoungPersonAndParent
        && who.roles.contains(&CaseRole::PersonCausingHarm)
        && !who.roles.contains(&CaseRole::VictimSurvivor)
    {
        let (lo, hi) = p.young_person_ages.unwrap_or((10, 17));
        match who.age {
            Some(a) if (lo..=hi).contains(&a) => {}
            Some(a) => {
                return Err(format!(
                    "{} is for young people aged {lo} to {hi} who cause harm; {} is {a}",
                    p.name, who.name
                ))
            }
            None => {
                return Err(format!(
                    "Record {}'s date of birth: {} is for young people aged {lo} to {hi}",
                    who.name, p.name
                ))
            }
        }
    }
    let (lo, hi) = (p.min_age, p.max_age);
    if lo.is_some() || hi.is_some() {
        let Some(age) = who.age else {
            return Err(format!(
                "Record {}'s date of birth: {} is for ages {}",
                who.name,
                p.name,
                ages(lo, hi)
            ));
        };
        if lo.is_some_and(|lo| age < lo) || hi.is_some_and(|hi| age > hi) {
            return Err(format!(
                "{} is for ages {}; {} is {age}",
                p.name,
                ages(lo, hi),
                who.name
            ));
        }
    }
    Ok(())
}

fn ages(lo: Option<i64>, hi: Option<i64>) -> String {
    match (lo, hi) {
        (Some(lo), Some(hi)) => format!("{lo} to {hi}"),
        (Some(lo), None) => format!("{lo} and over"),
        (None, Some(hi)) => format!("up to {hi}"),
        (None, None) => "any".into(),
    }
}

/// An Idva offer to a partner of someone on Engage, as recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OfferOutcome {
    Offered,
    Accepted,
    Declined,
    NotReachable,
}

/// A current or ex-partner of the Engage client who is a victim/survivor in the case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Partner {
    pub person_id: Uuid,
    pub name: String,
    pub idva_offer: Option<(OfferOutcome, Date)>,
    /// Her Idva, if she accepted and one is allocated.
    pub idva_worker: Option<Uuid>,
    /// When her view on Engage was sought: it is offered only where she wishes to stay in the
    /// relationship and it is safe.
    pub view_sought_on: Option<Date>,
}

/// May an Engage enrolment become active? Every reason it may not, each naming the partner.
pub fn engage_may_start(engage_worker: Uuid, partners: &[Partner]) -> Result<(), Vec<String>> {
    let mut missing = Vec::new();
    for p in partners {
        if p.idva_offer.is_none() {
            missing.push(format!(
                "Record an Idva offer to {} before Engage can start",
                p.name
            ));
        }
        if matches!(p.idva_offer, Some((OfferOutcome::Accepted, _)))
            && p.idva_worker == Some(engage_worker)
        {
            missing.push(format!(
                "{}'s Idva must be someone other than the Engage worker",
                p.name
            ));
        }
        if p.view_sought_on.is_none() {
            missing.push(format!(
                "Record when {}'s view on Engage was sought before Engage can start",
                p.name
            ));
        }
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(missing)
    }
}

/// APVA enrols a young person who causes harm, in the programme's age range, together with a
/// parent who is the victim/survivor in the same case.
pub fn apva_pair(p: &Programme, young: &Candidate, parent: &Candidate) -> Result<(), String> {
    let (lo, hi) = p.young_person_ages.unwrap_or((10, 17));
    if !young.roles.contains(&CaseRole::PersonCausingHarm) {
        return Err(format!(
            "{} is enrolled on {} as the young person causing harm; record that role in this case first",
            young.name, p.name
        ));
    }
    match young.age {
        Some(a) if (lo..=hi).contains(&a) => {}
        Some(a) => {
            return Err(format!(
                "{} is for young people aged {lo} to {hi}; {} is {a}",
                p.name, young.name
            ))
        }
        None => {
            return Err(format!(
                "Record {}'s date of birth: {} is for young people aged {lo} to {hi}",
                young.name, p.name
            ))
        }
    }
    if !parent.roles.contains(&CaseRole::VictimSurvivor) {
        return Err(format!(
            "{} enrols the young person with the parent they harm; {} is not the victim/survivor in this case",
            p.name, parent.name
        ));
    }
    Ok(())
}

/// Grow Together / Side by Side enrols a parent with at least one of their own children.
/// `children_of_parent` are the people the case records as the parent's children.
pub fn parent_and_children(
    p: &Programme,
    parent: &Candidate,
    children: &[Candidate],
    children_of_parent: &[Uuid],
) -> Result<(), String> {
    if !parent.roles.contains(&CaseRole::VictimSurvivor) {
        return Err(format!(
            "{} is for a parent who is a victim/survivor in this case; {} is not",
            p.name, parent.name
        ));
    }
    if children.is_empty() {
        return Err(format!(
            "Choose at least one of {}'s children to take part in {} with them",
            parent.name, p.name
        ));
    }
    for c in children {
        if !children_of_parent.contains(&c.person_id) {
            return Err(format!(
                "{} is not recorded as {}'s child: add the relationship to the case first",
                c.name, parent.name
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn catalogue() -> Catalogue {
        parse(DEFAULT.0, DEFAULT.1).expect("the default catalogue parses")
    }

    fn person(n: u128, name: &str, roles: &[CaseRole], age: Option<i64>) -> Candidate {
        Candidate {
            person_id: Uuid::from_u128(n),
            name: name.into(),
            roles: roles.to_vec(),
            age,
        }
    }

    #[test]
    fn a_new_catalogue_keeps_what_is_in_use_and_never_rewrites_a_version() {
        let current = catalogue();
        let renamed = DEFAULT.1.replacen(
            "key = \"engage\"\nversion = 1\nname = \"Engage\"",
            "key = \"engage\"\nversion = 2\nname = \"Engage (behaviour change)\"",
            1,
        );
        let next = parse("p.toml", &renamed).unwrap();
        assert!(check_successor("p.toml", &renamed, &next, std::slice::from_ref(&current)).is_ok());

        let same_version = DEFAULT
            .1
            .replacen("name = \"Engage\"", "name = \"Engage (new)\"", 1);
        let e = check_successor(
            "p.toml",
            &same_version,
            &parse("p.toml", &same_version).unwrap(),
            std::slice::from_ref(&current),
        )
        .unwrap_err();
        assert!(e.problem.contains("raise its version"), "{e}");
        assert!(e.line > 1);

        let without_training =
            DEFAULT.1[..DEFAULT.1.find("[[programme]]\nkey = \"training\"").unwrap()].to_string();
        let e = check_successor(
            "p.toml",
            &without_training,
            &parse("p.toml", &without_training).unwrap(),
            std::slice::from_ref(&current),
        )
        .unwrap_err();
        assert!(e.problem.contains("retired = true"), "{e}");

        let e = check_successor(
            "p.toml",
            DEFAULT.1,
            &current,
            std::slice::from_ref(&current),
        )
        .unwrap_err();
        assert!(e.problem.contains("nothing has changed"), "{e}");
    }

    #[test]
    fn the_default_catalogue_has_the_seven_programmes() {
        let c = catalogue();
        let keys: Vec<&str> = c.programmes.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "idva",
                "cyp_one_to_one",
                "grow_together",
                "apva",
                "engage",
                "recovery",
                "training"
            ]
        );
        assert_eq!(c.get("engage").unwrap().linked, Linked::PartnerOfferedIdva);
        assert_eq!(c.get("apva").unwrap().young_person_ages, Some((10, 17)));
        assert_eq!(
            c.get("grow_together").unwrap().linked,
            Linked::ParentAndChild
        );
        assert_eq!(c.get("idva").unwrap().measures[0].every_weeks, Some(8));
        assert!(c.offered().count() == 7);
    }

    #[test]
    fn a_bad_catalogue_is_refused_naming_the_line_and_the_problem() {
        let src = DEFAULT
            .1
            .replacen("delivery = \"group\"", "delivery = \"online\"", 1);
        let e = parse("programmes.toml", &src).unwrap_err();
        assert_eq!(e.file, "programmes.toml");
        assert!(
            e.problem
                .contains("delivery must be one_to_one, group or both"),
            "{e}"
        );
        assert!(e.problem.contains("training"), "names the programme: {e}");
        let line = src
            .lines()
            .position(|l| l.contains("key = \"training\""))
            .unwrap();
        assert!(
            e.line <= line + 1 && e.line >= line - 2,
            "line {} near {}",
            e.line,
            line + 1
        );

        let unknown = DEFAULT
            .1
            .replacen("places = 120", "places = 120\ncolour = \"red\"", 1);
        let e = parse("programmes.toml", &unknown).unwrap_err();
        assert!(e.problem.contains("colour"), "{e}");
        let twice = format!("{}\n[[programme]]\nkey = \"idva\"\nversion = 2\nname = \"x\"\ndelivery = \"group\"\nworker_roles = [\"case_worker\"]\nplaces = 1\nexit_reasons = [\"Done\"]\n", DEFAULT.1);
        assert!(parse("p.toml", &twice)
            .unwrap_err()
            .problem
            .contains("used twice"));
        let no_reasons = DEFAULT.1.replacen(
            "exit_reasons = [\"Completed\", \"Did not complete\"]",
            "exit_reasons = []",
            1,
        );
        assert!(parse("p.toml", &no_reasons)
            .unwrap_err()
            .problem
            .contains("exit_reasons"));
    }

    #[test]
    fn enrolment_moves_forward_only_and_an_ended_one_stays_ended() {
        use EnrolmentState::*;
        let all = [Proposed, Waiting, Active, Ended];
        for from in all {
            for to in all {
                let allowed = from.may_become(to);
                let forward =
                    all.iter().position(|s| *s == to) > all.iter().position(|s| *s == from);
                assert!(!allowed || forward, "{from:?} -> {to:?} goes back");
                if from == Ended {
                    assert!(!allowed);
                }
            }
        }
        assert!(Proposed.may_become(Active) && Waiting.may_become(Active));
        assert!(!Active.may_become(Waiting));
    }

    #[test]
    fn who_may_be_enrolled_follows_role_and_age_and_says_why_not() {
        let c = catalogue();
        let cyp = c.get("cyp_one_to_one").unwrap();
        let child = person(1, "Sam Brown", &[CaseRole::ChildOrYoungPerson], Some(9));
        assert!(may_enrol(cyp, &child).is_ok());
        let mum = person(2, "Jane Smith", &[CaseRole::VictimSurvivor], Some(34));
        let e = may_enrol(cyp, &mum).unwrap_err();
        assert!(
            e.contains("Jane Smith") && e.contains("child or young person"),
            "{e}"
        );
        let toddler = person(3, "Ada Brown", &[CaseRole::ChildOrYoungPerson], Some(2));
        assert!(may_enrol(cyp, &toddler)
            .unwrap_err()
            .contains("Ada Brown is 2"));
        let unknown = person(4, "Kit Brown", &[CaseRole::ChildOrYoungPerson], None);
        assert!(may_enrol(cyp, &unknown)
            .unwrap_err()
            .starts_with("Record Kit Brown's date of birth"));
        let training = c.get("training").unwrap();
        assert!(may_enrol(training, &mum).is_err());
    }

    #[test]
    fn engage_waits_for_every_partners_idva_offer_and_a_different_idva() {
        let engage_worker = Uuid::from_u128(10);
        let idva = Uuid::from_u128(11);
        let jane = Partner {
            person_id: Uuid::from_u128(2),
            name: "Jane Smith".into(),
            idva_offer: None,
            idva_worker: None,
            view_sought_on: None,
        };
        let e = engage_may_start(engage_worker, std::slice::from_ref(&jane)).unwrap_err();
        assert!(
            e.contains(&"Record an Idva offer to Jane Smith before Engage can start".to_string())
        );
        assert!(e.iter().any(|m| m.contains("Jane Smith's view")));
        let offered = Partner {
            idva_offer: Some((OfferOutcome::Accepted, date!(2026 - 11 - 20))),
            idva_worker: Some(idva),
            view_sought_on: Some(date!(2026 - 11 - 20)),
            ..jane.clone()
        };
        assert!(engage_may_start(engage_worker, std::slice::from_ref(&offered)).is_ok());
        let same = Partner {
            idva_worker: Some(engage_worker),
            ..offered.clone()
        };
        assert_eq!(
            engage_may_start(engage_worker, &[same]).unwrap_err(),
            ["Jane Smith's Idva must be someone other than the Engage worker"]
        );
        // A declined or unanswered offer is still an offer recorded: she chose.
        for outcome in [
            OfferOutcome::Declined,
            OfferOutcome::NotReachable,
            OfferOutcome::Offered,
        ] {
            let p = Partner {
                idva_offer: Some((outcome, date!(2026 - 11 - 20))),
                idva_worker: None,
                ..offered.clone()
            };
            assert!(engage_may_start(engage_worker, &[p]).is_ok(), "{outcome:?}");
        }
        // Two partners: each is asked about by name.
        let ex = Partner {
            person_id: Uuid::from_u128(3),
            name: "Mia Jones".into(),
            ..jane
        };
        let e = engage_may_start(engage_worker, &[offered, ex]).unwrap_err();
        assert!(e.iter().all(|m| m.contains("Mia Jones")), "{e:?}");
    }

    proptest::proptest! {
        /// Engage starts exactly when every partner has an offer recorded and her view sought,
        /// and none who accepted has the Engage worker as her Idva; otherwise each gap is named.
        #[test]
        fn engage_starts_exactly_when_every_partner_is_covered(
            partners in proptest::collection::vec((0u8..5, proptest::bool::ANY, 0u8..3), 0..4)
        ) {
            let engage_worker = Uuid::from_u128(100);
            let list: Vec<Partner> = partners
                .iter()
                .enumerate()
                .map(|(i, (offer, sought, idva))| Partner {
                    person_id: Uuid::from_u128(i as u128),
                    name: format!("Partner {i}"),
                    idva_offer: match offer {
                        0 => None,
                        1 => Some((OfferOutcome::Offered, date!(2026 - 11 - 01))),
                        2 => Some((OfferOutcome::Accepted, date!(2026 - 11 - 01))),
                        3 => Some((OfferOutcome::Declined, date!(2026 - 11 - 01))),
                        _ => Some((OfferOutcome::NotReachable, date!(2026 - 11 - 01))),
                    },
                    idva_worker: match idva {
                        0 => None,
                        1 => Some(engage_worker),
                        _ => Some(Uuid::from_u128(200)),
                    },
                    view_sought_on: sought.then_some(date!(2026 - 11 - 01)),
                })
                .collect();
            let covered = list.iter().all(|p| {
                p.idva_offer.is_some()
                    && p.view_sought_on.is_some()
                    && !(matches!(p.idva_offer, Some((OfferOutcome::Accepted, _)))
                        && p.idva_worker == Some(engage_worker))
            });
            match engage_may_start(engage_worker, &list) {
                Ok(()) => proptest::prop_assert!(covered),
                Err(gaps) => {
                    proptest::prop_assert!(!covered);
                    for g in &gaps {
                        proptest::prop_assert!(list.iter().any(|p| g.contains(&p.name)), "{}", g);
                    }
                }
            }
        }
    }

    #[test]
    fn apva_pairs_a_young_person_causing_harm_with_the_parent_they_harm() {
        let c = catalogue();
        let apva = c.get("apva").unwrap();
        let young = person(
            1,
            "Leo Green",
            &[CaseRole::PersonCausingHarm, CaseRole::ChildOrYoungPerson],
            Some(14),
        );
        let mum = person(2, "Ruth Green", &[CaseRole::VictimSurvivor], Some(44));
        assert!(apva_pair(apva, &young, &mum).is_ok());
        let older = Candidate {
            age: Some(19),
            ..young.clone()
        };
        assert!(apva_pair(apva, &older, &mum)
            .unwrap_err()
            .contains("Leo Green is 19"));
        let not_harm = Candidate {
            roles: vec![CaseRole::ChildOrYoungPerson],
            ..young.clone()
        };
        assert!(apva_pair(apva, &not_harm, &mum).is_err());
        let dad = person(3, "Tom Green", &[CaseRole::OtherAdult], Some(45));
        assert!(apva_pair(apva, &young, &dad)
            .unwrap_err()
            .contains("Tom Green"));
        // An adult causing harm is not APVA's young person, even proposed on his own.
        let adult = person(4, "Kai Green", &[CaseRole::PersonCausingHarm], Some(40));
        assert!(may_enrol(apva, &adult)
            .unwrap_err()
            .contains("aged 10 to 17"));
        assert!(may_enrol(apva, &young).is_ok());
        assert!(may_enrol(apva, &mum).is_ok());
    }

    #[test]
    fn grow_together_takes_a_parent_with_their_own_children() {
        let c = catalogue();
        let gt = c.get("grow_together").unwrap();
        let mum = person(2, "Jane Smith", &[CaseRole::VictimSurvivor], Some(34));
        let sam = person(1, "Sam Smith", &[CaseRole::ChildOrYoungPerson], Some(6));
        let cousin = person(5, "Ava Hill", &[CaseRole::ChildOrYoungPerson], Some(7));
        assert!(
            parent_and_children(gt, &mum, std::slice::from_ref(&sam), &[sam.person_id]).is_ok()
        );
        assert!(parent_and_children(gt, &mum, &[], &[sam.person_id])
            .unwrap_err()
            .contains("at least one of Jane Smith's children"));
        assert!(parent_and_children(gt, &mum, &[cousin], &[sam.person_id])
            .unwrap_err()
            .contains("Ava Hill is not recorded as Jane Smith's child"));
    }
}
