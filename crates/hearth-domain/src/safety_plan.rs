//! Safety plans: what a person will do to stay safe, built on their strengths. Adults and
//! children each have a template; every save is a new version and the plan is location-class
//! data, behind the firewall in full.

use crate::validation::Invalid;
use serde::{Deserialize, Serialize};
use time::{Date, Duration};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Template {
    Adult,
    Child,
}

impl Template {
    pub fn code(self) -> &'static str {
        match self {
            Template::Adult => "adult",
            Template::Child => "child",
        }
    }

    pub fn parse(s: &str) -> Option<Template> {
        match s.trim() {
            "adult" => Some(Template::Adult),
            "child" => Some(Template::Child),
            _ => None,
        }
    }

    /// The sections of the plan, as (field, heading, hint), in the words of the template.
    pub fn sections(self) -> &'static [(&'static str, &'static str, &'static str)] {
        match self {
            Template::Adult => &[
                (
                    "strengths",
                    "What helps me stay strong",
                    "Things that have kept you and others safe before.",
                ),
                (
                    "safe_people",
                    "People I can go to",
                    "Who they are and how to reach them safely.",
                ),
                (
                    "safe_word",
                    "Our safe word",
                    "A word or sign that tells a safe person to call for help.",
                ),
                (
                    "documents",
                    "Where my documents and essentials are",
                    "Passports, birth certificates, money, medicines, keys, phone charger.",
                ),
                (
                    "escape_plan",
                    "If I need to leave in a hurry",
                    "The safest way out, where to go, and how to get there.",
                ),
                (
                    "work_plan",
                    "At work",
                    "Who knows, how calls and visitors are screened, getting to and from work.",
                ),
                (
                    "school_plan",
                    "The children's school or nursery",
                    "Who may collect them, who the school knows not to release them to.",
                ),
                (
                    "technology",
                    "Staying safe with phones and the internet",
                    "Passwords, location sharing, social media, tracking devices.",
                ),
            ],
            Template::Child => &[
                (
                    "strengths",
                    "Things I am good at and that help me feel better",
                    "",
                ),
                (
                    "safe_people",
                    "Grown-ups I can talk to",
                    "Who they are and how to reach them.",
                ),
                (
                    "safe_word",
                    "My safe word",
                    "A word that means I need help.",
                ),
                (
                    "documents",
                    "Where my important things are",
                    "Phone, charger, medicine, a favourite thing.",
                ),
                (
                    "escape_plan",
                    "If there is shouting or fighting at home",
                    "A safe place to go in the house or nearby, and how to call 999.",
                ),
                (
                    "school_plan",
                    "At school",
                    "Who at school I can go to, and who is allowed to collect me.",
                ),
                ("work_plan", "Clubs, friends' houses and getting about", ""),
                ("technology", "Staying safe online and on my phone", ""),
            ],
        }
    }
}

/// One thing someone agreed to do, and by when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanAction {
    pub what: String,
    pub who: String,
    pub by: Option<Date>,
}

/// A saved version of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SafetyPlan {
    pub template: Template,
    pub strengths: String,
    pub safe_people: String,
    pub safe_word: String,
    pub documents: String,
    pub escape_plan: String,
    pub work_plan: String,
    pub school_plan: String,
    pub technology: String,
    pub actions: Vec<PlanAction>,
    pub review_on: Date,
}

/// Service words a person may not know, and what the printed plan says instead. The plan is
/// handed to her: it speaks to her in plain words, and a job title on it can tell someone who
/// finds it what kind of service she is seeing.
const PLAIN_WORDS: &[(&str, &str)] = &[
    ("idva", "support worker"),
    ("isva", "support worker"),
    ("marac", "safety meeting"),
    ("dash", "safety questions"),
];

/// The text with service jargon put in plain words, whole words only, any case: "Idva to call
/// the council" prints as "support worker to call the council".
pub fn plain_words(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        let lower = word.to_lowercase();
        let (stem, tail) = match lower.strip_suffix("'s") {
            Some(stem) => (stem.to_string(), "'s"),
            None => (lower.clone(), ""),
        };
        match PLAIN_WORDS.iter().find(|(w, _)| *w == stem) {
            Some((_, plain)) => {
                out.push_str(plain);
                out.push_str(tail);
            }
            None => out.push_str(word),
        }
        word.clear();
    };
    for c in text.chars() {
        if c.is_alphanumeric() || c == '\'' {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

impl SafetyPlan {
    pub fn section(&self, field: &str) -> &str {
        match field {
            "strengths" => &self.strengths,
            "safe_people" => &self.safe_people,
            "safe_word" => &self.safe_word,
            "documents" => &self.documents,
            "escape_plan" => &self.escape_plan,
            "work_plan" => &self.work_plan,
            "school_plan" => &self.school_plan,
            "technology" => &self.technology,
            _ => "",
        }
    }
}

/// How many agreed actions the form offers at once; blank rows are ignored.
pub const ACTION_ROWS: usize = 6;

/// The plan as typed. Actions arrive as parallel lists (one row each).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SafetyPlanForm {
    pub template: String,
    pub strengths: String,
    pub safe_people: String,
    pub safe_word: String,
    pub documents: String,
    pub escape_plan: String,
    pub work_plan: String,
    pub school_plan: String,
    pub technology: String,
    pub action_what: Vec<String>,
    pub action_who: Vec<String>,
    pub action_by: Vec<String>,
    pub review_on: String,
}

const MAX_SECTION: usize = 4000;

/// How far ahead a review is proposed when the last review date has passed.
pub const REVIEW_MONTHS: i32 = 3;

impl SafetyPlanForm {
    /// The form showing an existing plan, to change it, with dates as staff type them. A review
    /// date already passed is not offered again (it would be refused): the form proposes the
    /// usual three months from today instead, for the worker to confirm or change.
    pub fn from_plan(p: &SafetyPlan, today: Date) -> Self {
        let review_on = if p.review_on > today {
            p.review_on
        } else {
            crate::ukdate::add_months(today, REVIEW_MONTHS)
        };
        SafetyPlanForm {
            template: p.template.code().into(),
            strengths: p.strengths.clone(),
            safe_people: p.safe_people.clone(),
            safe_word: p.safe_word.clone(),
            documents: p.documents.clone(),
            escape_plan: p.escape_plan.clone(),
            work_plan: p.work_plan.clone(),
            school_plan: p.school_plan.clone(),
            technology: p.technology.clone(),
            action_what: p.actions.iter().map(|a| a.what.clone()).collect(),
            action_who: p.actions.iter().map(|a| a.who.clone()).collect(),
            action_by: p
                .actions
                .iter()
                .map(|a| a.by.map(crate::ukdate::typed).unwrap_or_default())
                .collect(),
            review_on: crate::ukdate::typed(review_on),
        }
    }

    pub fn action_row(&self, n: usize) -> (&str, &str, &str) {
        fn at(v: &[String], n: usize) -> &str {
            v.get(n).map(String::as_str).unwrap_or("")
        }
        (
            at(&self.action_what, n),
            at(&self.action_who, n),
            at(&self.action_by, n),
        )
    }

    /// Check the plan. The review date must be after today and within a year: a plan nobody
    /// reviews goes stale while the danger changes.
    pub fn parse(&self, today: Date) -> Result<SafetyPlan, Invalid> {
        let mut invalid = Invalid::default();
        let template = Template::parse(&self.template).unwrap_or_else(|| {
            invalid.push("template", "Choose the adult or the child template");
            Template::Adult
        });
        let mut section = |field: &str, raw: &str| -> String {
            let s = raw.trim().replace("\r\n", "\n");
            if s.chars().count() > MAX_SECTION {
                invalid.push(field, "Must be 4,000 characters or fewer");
            }
            s
        };
        let strengths = section("strengths", &self.strengths);
        let safe_people = section("safe_people", &self.safe_people);
        let safe_word = section("safe_word", &self.safe_word);
        let documents = section("documents", &self.documents);
        let escape_plan = section("escape_plan", &self.escape_plan);
        let work_plan = section("work_plan", &self.work_plan);
        let school_plan = section("school_plan", &self.school_plan);
        let technology = section("technology", &self.technology);
        if [
            &strengths,
            &safe_people,
            &safe_word,
            &documents,
            &escape_plan,
            &work_plan,
            &school_plan,
            &technology,
        ]
        .iter()
        .all(|s| s.is_empty())
        {
            invalid.push("strengths", "Fill in at least one part of the plan");
        }
        let rows = self
            .action_what
            .len()
            .max(self.action_who.len())
            .max(self.action_by.len());
        let mut actions = Vec::new();
        for n in 0..rows {
            let (what, who, by) = self.action_row(n);
            let (what, who, by) = (what.trim(), who.trim(), by.trim());
            if what.is_empty() && who.is_empty() && by.is_empty() {
                continue;
            }
            let field = format!("action_what_{n}");
            if what.is_empty() {
                invalid.push(&field, format!("Say what action {} is", n + 1));
            } else if what.chars().count() > 500 {
                invalid.push(&field, "Each action must be 500 characters or fewer");
            }
            if who.chars().count() > 200 {
                invalid.push(
                    &format!("action_who_{n}"),
                    "Who must be 200 characters or fewer",
                );
            }
            let by = match crate::ukdate::parse_date(
                &format!("action_by_{n}"),
                by,
                "the date for this action",
            ) {
                Ok(d) => d,
                Err(e) => {
                    invalid.0.push(e);
                    None
                }
            };
            actions.push(PlanAction {
                what: what.into(),
                who: if who.is_empty() {
                    "Me".into()
                } else {
                    who.into()
                },
                by,
            });
        }
        let review_on =
            match crate::ukdate::parse_date("review_on", &self.review_on, "the review date") {
                Ok(Some(d)) if d <= today => {
                    invalid.push("review_on", "The review date must be after today");
                    None
                }
                Ok(Some(d)) if d > today + Duration::days(366) => {
                    invalid.push(
                        "review_on",
                        "Review the plan within a year: choose an earlier date",
                    );
                    None
                }
                Ok(Some(d)) => Some(d),
                Ok(None) => {
                    invalid.push(
                        "review_on",
                        "Enter the date the plan will be reviewed, like 23/02/2027",
                    );
                    None
                }
                Err(e) => {
                    invalid.0.push(e);
                    None
                }
            };
        invalid.into_result()?;
        Ok(SafetyPlan {
            template,
            strengths,
            safe_people,
            safe_word,
            documents,
            escape_plan,
            work_plan,
            school_plan,
            technology,
            actions,
            review_on: review_on.expect("checked above"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 11 - 23);

    fn form() -> SafetyPlanForm {
        SafetyPlanForm {
            template: "adult".into(),
            strengths: "Good friends at the allotment".into(),
            action_what: vec!["Spare key with Sam".into(), String::new()],
            action_who: vec!["".into(), String::new()],
            action_by: vec!["30/11/2026".into(), String::new()],
            review_on: "23/02/2027".into(),
            ..Default::default()
        }
    }

    #[test]
    fn the_printed_plan_puts_service_words_plainly() {
        assert_eq!(
            plain_words("Idva to call the council; IDVA's number in my phone"),
            "support worker to call the council; support worker's number in my phone"
        );
        assert_eq!(
            plain_words("Case goes to MARAC."),
            "Case goes to safety meeting."
        );
        assert_eq!(
            plain_words("Davidvale Road"),
            "Davidvale Road",
            "whole words only"
        );
        assert_eq!(plain_words(""), "");
    }

    #[test]
    fn a_plan_parses_and_blank_action_rows_are_ignored() {
        let p = form().parse(TODAY).unwrap();
        assert_eq!(p.actions.len(), 1);
        assert_eq!(p.actions[0].who, "Me");
        assert_eq!(p.actions[0].by, Some(date!(2026 - 11 - 30)));
        assert_eq!(p.review_on, date!(2027 - 02 - 23));
        let again = SafetyPlanForm::from_plan(&p, TODAY);
        assert_eq!(again.review_on, "23/02/2027", "as staff type it, never ISO");
        assert_eq!(again.parse(TODAY).unwrap(), p);
    }

    #[test]
    fn a_plan_past_its_review_opens_with_a_review_date_that_will_be_accepted() {
        let p = form().parse(TODAY).unwrap();
        let later = date!(2027 - 03 - 01);
        let again = SafetyPlanForm::from_plan(&p, later);
        assert_eq!(again.review_on, "01/06/2027");
        assert!(again.parse(later).is_ok(), "saved the first time");
    }

    #[test]
    fn the_review_date_is_required_in_the_coming_year() {
        for (raw, needle) in [
            ("", "Enter the date"),
            ("23/11/2026", "after today"),
            ("1/1/2028", "within a year"),
            ("31/02/2027", "real date"),
        ] {
            let mut f = form();
            f.review_on = raw.into();
            let e = f.parse(TODAY).unwrap_err();
            assert!(
                e.message_for("review_on").unwrap().contains(needle),
                "{raw}"
            );
        }
    }

    #[test]
    fn an_action_needs_saying_what_it_is() {
        let mut f = form();
        f.action_what[0] = String::new();
        let e = f.parse(TODAY).unwrap_err();
        assert!(e.message_for("action_what_0").is_some());
        let mut f = form();
        f.strengths = String::new();
        assert!(f
            .parse(TODAY)
            .unwrap_err()
            .message_for("strengths")
            .is_some());
    }
}
