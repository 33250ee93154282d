//! Instruments: risk checklists, outcome measures and evaluation forms, defined as data.
//!
//! A definition is a TOML file (`config/instruments/*.toml`): its questions, the answers each
//! allows, who it is for, how it is scored and its bands. Answers are kept with the key and
//! version of the definition they were given on, so loading a new version never changes a past
//! result. A definition that cannot be trusted is refused whole, with the file, line and problem.

use crate::access::CaseRole;
use crate::validation::Invalid;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::fmt;
use toml::Spanned;

/// What an instrument is used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Identifies risk; its bands are risk levels (standard, medium, high).
    Risk,
    /// Asked at intake, reviews and exit to show change.
    Outcome,
    /// Feedback about the service.
    Evaluation,
}

impl Kind {
    pub fn code(self) -> &'static str {
        match self {
            Kind::Risk => "risk",
            Kind::Outcome => "outcome",
            Kind::Evaluation => "evaluation",
        }
    }

    fn parse(s: &str) -> Option<Kind> {
        [Kind::Risk, Kind::Outcome, Kind::Evaluation]
            .into_iter()
            .find(|k| k.code() == s)
    }
}

/// The answers a question allows, and what each scores.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AnswerSet {
    /// Yes, no or not known; a yes scores `points`, anything else nothing.
    YesNoNotKnown { points: i64 },
    /// A whole number from `min` to `max`, scoring the number times `weight`.
    Scale {
        min: i64,
        max: i64,
        low_label: String,
        high_label: String,
        weight: i64,
    },
    /// One of a list of choices, each with its own points.
    Choice { choices: Vec<Choice> },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Choice {
    pub code: String,
    pub label: String,
    pub points: i64,
}

/// The three answers of a yes / no / not known question, as stored and as sent in the API.
pub const YES_NO_NOT_KNOWN: &[(&str, &str)] =
    &[("yes", "Yes"), ("no", "No"), ("not_known", "Not known")];

impl AnswerSet {
    /// The allowed answers as (code, label), for forms and documentation.
    pub fn options(&self) -> Vec<(String, String)> {
        match self {
            AnswerSet::YesNoNotKnown { .. } => YES_NO_NOT_KNOWN
                .iter()
                .map(|(c, l)| (c.to_string(), l.to_string()))
                .collect(),
            AnswerSet::Scale { min, max, .. } => (*min..=*max)
                .map(|n| (n.to_string(), n.to_string()))
                .collect(),
            AnswerSet::Choice { choices } => choices
                .iter()
                .map(|c| (c.code.clone(), c.label.clone()))
                .collect(),
        }
    }

    /// The points an answer scores, or `None` if the answer is not allowed.
    pub fn points(&self, answer: &str) -> Option<i64> {
        match self {
            AnswerSet::YesNoNotKnown { points } => match answer {
                "yes" => Some(*points),
                "no" | "not_known" => Some(0),
                _ => None,
            },
            AnswerSet::Scale {
                min, max, weight, ..
            } => answer
                .parse::<i64>()
                .ok()
                .filter(|n| n >= min && n <= max)
                .map(|n| n * weight),
            AnswerSet::Choice { choices } => {
                choices.iter().find(|c| c.code == answer).map(|c| c.points)
            }
        }
    }

    fn lowest(&self) -> i64 {
        match self {
            AnswerSet::YesNoNotKnown { points } => (*points).min(0),
            AnswerSet::Scale {
                min, max, weight, ..
            } => (min * weight).min(max * weight),
            AnswerSet::Choice { choices } => choices.iter().map(|c| c.points).min().unwrap_or(0),
        }
    }

    fn describe(&self) -> String {
        match self {
            AnswerSet::YesNoNotKnown { .. } => "yes, no or not known".into(),
            AnswerSet::Scale { min, max, .. } => format!("a number from {min} to {max}"),
            AnswerSet::Choice { choices } => {
                let labels: Vec<&str> = choices.iter().map(|c| c.label.as_str()).collect();
                format!("one of: {}", labels.join(", "))
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Question {
    pub id: String,
    pub text: String,
    pub hint: String,
    pub answers: AnswerSet,
}

impl Question {
    /// The form field that carries this question's answer.
    pub fn field(&self) -> String {
        format!("q_{}", self.id)
    }
}

/// A band of scores: from `from` up to the next band's `from`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Band {
    pub level: String,
    pub label: String,
    pub from: i64,
}

/// A loaded, checked definition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Instrument {
    pub key: String,
    pub version: i64,
    pub title: String,
    pub kind: Kind,
    pub applies_to: Vec<CaseRole>,
    pub min_age: Option<i64>,
    pub max_age: Option<i64>,
    /// Shown above the questions: when and how to ask them.
    pub guidance: String,
    pub questions: Vec<Question>,
    pub bands: Vec<Band>,
}

/// A scored set of answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Scored {
    pub score: i64,
    /// How many questions were answered yes.
    pub yes_count: i64,
    /// The band the score falls in (`None` only for an instrument without bands).
    pub band: Option<Band>,
}

impl Instrument {
    /// Is this instrument for someone in this role, of this age (if known)?
    pub fn is_for(&self, role: CaseRole, age: Option<i64>) -> bool {
        if !self.applies_to.contains(&role) {
            return false;
        }
        match age {
            None => self.min_age.is_none() || self.max_age.is_none(),
            Some(a) => self.min_age.is_none_or(|m| a >= m) && self.max_age.is_none_or(|m| a <= m),
        }
    }

    /// Check every answer against the definition and score them. Every question must be
    /// answered with one of its allowed answers; answers to questions it does not have are
    /// refused rather than dropped, so nothing the worker entered is silently lost.
    pub fn score(&self, answers: &BTreeMap<String, String>) -> Result<Scored, Invalid> {
        let mut invalid = Invalid::default();
        let mut score = 0;
        let mut yes_count = 0;
        for (n, q) in self.questions.iter().enumerate() {
            let field = q.field();
            match answers.get(&q.id).map(|a| a.trim()) {
                None | Some("") => invalid.push(
                    &field,
                    format!("Answer question {}: choose {}", n + 1, q.answers.describe()),
                ),
                Some(a) => match q.answers.points(a) {
                    Some(p) => {
                        score += p;
                        if a == "yes" {
                            yes_count += 1;
                        }
                    }
                    None => invalid.push(
                        &field,
                        format!(
                            "Question {} does not allow \u{201c}{}\u{201d}: choose {}",
                            n + 1,
                            a.chars().take(40).collect::<String>(),
                            q.answers.describe()
                        ),
                    ),
                },
            }
        }
        for id in answers.keys() {
            if !self.questions.iter().any(|q| &q.id == id) {
                invalid.push(
                    &format!("q_{id}"),
                    format!(
                        "\u{201c}{}\u{201d} is not a question on {} version {}",
                        id.chars().take(40).collect::<String>(),
                        self.title,
                        self.version
                    ),
                );
            }
        }
        invalid.into_result()?;
        Ok(Scored {
            score,
            yes_count,
            band: self.band_for(score).cloned(),
        })
    }

    /// The band a score falls in: the highest band it reaches.
    pub fn band_for(&self, score: i64) -> Option<&Band> {
        self.bands.iter().rev().find(|b| score >= b.from)
    }

    /// The lowest score that reaches a band, e.g. the high-risk threshold.
    pub fn threshold(&self, level: &str) -> Option<i64> {
        self.bands.iter().find(|b| b.level == level).map(|b| b.from)
    }
}

/// The definitions shipped with Hearth, installed for every organisation. A service loads its
/// own versions on top; these are never changed in place (a change is a new version number).
pub const SHIPPED: &[(&str, &str)] = &[
    (
        "adult-risk.toml",
        include_str!("../../../config/instruments/adult-risk.toml"),
    ),
    (
        "young-people-risk.toml",
        include_str!("../../../config/instruments/young-people-risk.toml"),
    ),
];

/// Why a definition was refused: the file, the line and the problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefinitionError {
    pub file: String,
    pub line: usize,
    pub problem: String,
}

impl fmt::Display for DefinitionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}, line {}: {}", self.file, self.line, self.problem)
    }
}

impl std::error::Error for DefinitionError {}

impl DefinitionError {
    /// A problem at a byte offset of a definition file, named by its line.
    pub(crate) fn at(file: &str, src: &str, offset: usize, problem: String) -> Self {
        DefinitionError {
            file: file.to_string(),
            line: src[..offset.min(src.len())].matches('\n').count() + 1,
            problem,
        }
    }
}

/// A definition file read as TOML into its raw shape, or refused naming the line.
pub(crate) fn read_toml<T: serde::de::DeserializeOwned>(
    file: &str,
    src: &str,
) -> Result<T, DefinitionError> {
    toml::from_str(src).map_err(|e| {
        DefinitionError::at(
            file,
            src,
            e.span().map(|s| s.start).unwrap_or(0),
            e.message().trim().to_string(),
        )
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInstrument {
    key: Spanned<String>,
    version: Spanned<i64>,
    title: Spanned<String>,
    kind: Spanned<String>,
    applies_to: Spanned<Vec<String>>,
    min_age: Option<Spanned<i64>>,
    max_age: Option<Spanned<i64>>,
    #[serde(default)]
    guidance: String,
    #[serde(default)]
    band: Vec<Spanned<RawBand>>,
    #[serde(default)]
    question: Vec<Spanned<RawQuestion>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBand {
    level: String,
    label: Option<String>,
    from: i64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuestion {
    id: String,
    text: String,
    #[serde(default)]
    hint: String,
    answers: String,
    points: Option<i64>,
    min: Option<i64>,
    max: Option<i64>,
    low_label: Option<String>,
    high_label: Option<String>,
    #[serde(default)]
    choice: Vec<RawChoice>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChoice {
    code: String,
    label: String,
    #[serde(default)]
    points: i64,
}

/// The risk levels a risk instrument's bands must use.
pub const RISK_LEVELS: [&str; 3] = ["standard", "medium", "high"];

/// A key a definition may use: lower-case letters, digits, hyphens or underscores.
pub(crate) fn is_code(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 60
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

fn default_label(level: &str) -> String {
    let mut c = level.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
        .replace(['_', '-'], " ")
}

/// Parse and check a definition. `file` names it in any error.
pub fn parse(file: &str, src: &str) -> Result<Instrument, DefinitionError> {
    let fail = |offset: usize, problem: String| DefinitionError::at(file, src, offset, problem);
    let raw: RawInstrument = read_toml(file, src)?;

    let key = raw.key.get_ref().trim().to_string();
    if !is_code(&key) {
        return Err(fail(
            raw.key.span().start,
            "key must be lower-case letters, digits, hyphens or underscores".into(),
        ));
    }
    let version = *raw.version.get_ref();
    if version < 1 {
        return Err(fail(
            raw.version.span().start,
            "version must be 1 or more".into(),
        ));
    }
    let title = raw.title.get_ref().trim().to_string();
    if title.is_empty() {
        return Err(fail(
            raw.title.span().start,
            "title must not be empty".into(),
        ));
    }
    let kind = Kind::parse(raw.kind.get_ref()).ok_or_else(|| {
        fail(
            raw.kind.span().start,
            format!(
                "kind must be risk, outcome or evaluation, not \u{201c}{}\u{201d}",
                raw.kind.get_ref()
            ),
        )
    })?;
    let mut applies_to = Vec::new();
    for r in raw.applies_to.get_ref() {
        let role = CaseRole::parse(r).ok_or_else(|| {
            fail(
                raw.applies_to.span().start,
                format!(
                    "applies_to has \u{201c}{r}\u{201d}; use victim_survivor, person_causing_harm, child_or_young_person or other_adult"
                ),
            )
        })?;
        applies_to.push(role);
    }
    if applies_to.is_empty() {
        return Err(fail(
            raw.applies_to.span().start,
            "applies_to must name at least one role".into(),
        ));
    }
    let age = |a: &Option<Spanned<i64>>| -> Result<Option<i64>, DefinitionError> {
        match a {
            None => Ok(None),
            Some(s) if (0..=120).contains(s.get_ref()) => Ok(Some(*s.get_ref())),
            Some(s) => Err(fail(s.span().start, "ages must be from 0 to 120".into())),
        }
    };
    let (min_age, max_age) = (age(&raw.min_age)?, age(&raw.max_age)?);
    if let (Some(lo), Some(hi), Some(s)) = (min_age, max_age, &raw.max_age) {
        if hi < lo {
            return Err(fail(
                s.span().start,
                "max_age must not be below min_age".into(),
            ));
        }
    }

    if raw.question.is_empty() {
        return Err(fail(
            0,
            "an instrument needs at least one [[question]]".into(),
        ));
    }
    let mut questions = Vec::new();
    let mut ids = HashSet::new();
    for q in &raw.question {
        let at = q.span().start;
        let q = q.get_ref();
        let id = q.id.trim().to_string();
        if !is_code(&id) {
            return Err(fail(
                at,
                format!("question id \u{201c}{id}\u{201d} must be lower-case letters, digits, hyphens or underscores"),
            ));
        }
        if !ids.insert(id.clone()) {
            return Err(fail(
                at,
                format!("question id \u{201c}{id}\u{201d} is used twice"),
            ));
        }
        if q.text.trim().is_empty() {
            return Err(fail(at, format!("question {id} has no text")));
        }
        let unused = |what: &str, present: bool| -> Result<(), DefinitionError> {
            if present {
                Err(fail(
                    at,
                    format!(
                        "question {id}: {what} does not apply to {} answers",
                        q.answers
                    ),
                ))
            } else {
                Ok(())
            }
        };
        let answers = match q.answers.as_str() {
            "yes_no_not_known" => {
                unused("min and max", q.min.is_some() || q.max.is_some())?;
                unused("choice", !q.choice.is_empty())?;
                AnswerSet::YesNoNotKnown {
                    points: q.points.unwrap_or(1),
                }
            }
            "scale" => {
                unused("choice", !q.choice.is_empty())?;
                let (Some(min), Some(max)) = (q.min, q.max) else {
                    return Err(fail(at, format!("question {id}: a scale needs min and max")));
                };
                if max <= min || max - min > 100 {
                    return Err(fail(
                        at,
                        format!("question {id}: max must be above min, by at most 100"),
                    ));
                }
                AnswerSet::Scale {
                    min,
                    max,
                    low_label: q.low_label.clone().unwrap_or_default(),
                    high_label: q.high_label.clone().unwrap_or_default(),
                    weight: q.points.unwrap_or(1),
                }
            }
            "choice" => {
                unused("min and max", q.min.is_some() || q.max.is_some())?;
                if q.choice.len() < 2 {
                    return Err(fail(
                        at,
                        format!("question {id}: a choice question needs at least two [[question.choice]]"),
                    ));
                }
                let mut codes = HashSet::new();
                let mut choices = Vec::new();
                for c in &q.choice {
                    if !is_code(&c.code) || !codes.insert(c.code.clone()) {
                        return Err(fail(
                            at,
                            format!("question {id}: choice code \u{201c}{}\u{201d} is not a unique lower-case code", c.code),
                        ));
                    }
                    choices.push(Choice {
                        code: c.code.clone(),
                        label: c.label.trim().to_string(),
                        points: c.points,
                    });
                }
                AnswerSet::Choice { choices }
            }
            other => {
                return Err(fail(
                    at,
                    format!("question {id}: answers must be yes_no_not_known, scale or choice, not \u{201c}{other}\u{201d}"),
                ))
            }
        };
        questions.push(Question {
            id,
            text: q.text.trim().to_string(),
            hint: q.hint.trim().to_string(),
            answers,
        });
    }

    let lowest: i64 = questions.iter().map(|q| q.answers.lowest()).sum();
    let mut bands: Vec<Band> = Vec::new();
    for b in &raw.band {
        let at = b.span().start;
        let b = b.get_ref();
        if !is_code(&b.level) {
            return Err(fail(
                at,
                format!(
                    "band level \u{201c}{}\u{201d} must be a lower-case code",
                    b.level
                ),
            ));
        }
        if let Some(prev) = bands.last() {
            if b.from <= prev.from {
                return Err(fail(
                    at,
                    format!(
                        "band {} starts at {}, which is not above the band before it ({} from {})",
                        b.level, b.from, prev.level, prev.from
                    ),
                ));
            }
        } else if b.from > lowest {
            return Err(fail(
                at,
                format!(
                    "the first band starts at {}, so a score of {lowest} would fall in no band",
                    b.from
                ),
            ));
        }
        if bands.iter().any(|x| x.level == b.level) {
            return Err(fail(at, format!("band {} is listed twice", b.level)));
        }
        bands.push(Band {
            level: b.level.clone(),
            label: b.label.clone().unwrap_or_else(|| default_label(&b.level)),
            from: b.from,
        });
    }
    if kind == Kind::Risk {
        let levels: Vec<&str> = bands.iter().map(|b| b.level.as_str()).collect();
        let ordered: Vec<&str> = RISK_LEVELS
            .into_iter()
            .filter(|l| levels.contains(l))
            .collect();
        if levels.iter().any(|l| !RISK_LEVELS.contains(l))
            || levels != ordered
            || !levels.contains(&"high")
        {
            return Err(fail(
                raw.band.first().map(|b| b.span().start).unwrap_or(0),
                "a risk instrument's bands must be standard, medium and high, in that order (medium may be left out)".into(),
            ));
        }
    }
    Ok(Instrument {
        key,
        version,
        title,
        kind,
        applies_to,
        min_age,
        max_age,
        guidance: raw.guidance.trim().to_string(),
        questions,
        bands,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = r#"
key = "small"
version = 2
title = "Small checklist"
kind = "risk"
applies_to = ["victim_survivor"]

[[band]]
level = "standard"
from = 0
[[band]]
level = "medium"
from = 2
[[band]]
level = "high"
from = 3

[[question]]
id = "a"
text = "A?"
answers = "yes_no_not_known"
[[question]]
id = "b"
text = "B?"
answers = "yes_no_not_known"
[[question]]
id = "c"
text = "C?"
answers = "yes_no_not_known"
"#;

    fn answers(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_shipped_definitions_are_valid() {
        for (file, src) in SHIPPED {
            parse(file, src).unwrap_or_else(|e| panic!("{e}"));
        }
    }

    #[test]
    fn the_documented_example_is_a_valid_definition() {
        let readme = include_str!("../../../config/instruments/README.md");
        let example = readme
            .split("```toml")
            .nth(1)
            .and_then(|s| s.split("```").next())
            .expect("a TOML example in the README");
        let i = parse("README.md", example).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(i.questions.len(), 3);
        assert_eq!(i.bands.len(), 3);
    }

    #[test]
    fn a_definition_is_parsed_and_scored() {
        let i = parse("small.toml", SMALL).unwrap();
        assert_eq!((i.key.as_str(), i.version), ("small", 2));
        let s = i
            .score(&answers(&[("a", "yes"), ("b", "not_known"), ("c", "yes")]))
            .unwrap();
        assert_eq!((s.score, s.yes_count), (2, 2));
        assert_eq!(s.band.unwrap().level, "medium");
        assert_eq!(i.threshold("high"), Some(3));
    }

    #[test]
    fn answers_outside_the_definition_are_refused() {
        let i = parse("small.toml", SMALL).unwrap();
        let e = i
            .score(&answers(&[("a", "maybe"), ("b", "no"), ("zz", "yes")]))
            .unwrap_err();
        assert_eq!(
            e.message_for("q_a"),
            Some("Question 1 does not allow \u{201c}maybe\u{201d}: choose yes, no or not known")
        );
        assert_eq!(
            e.message_for("q_c"),
            Some("Answer question 3: choose yes, no or not known")
        );
        assert!(e.message_for("q_zz").is_some());
    }

    #[test]
    fn errors_name_the_file_and_line() {
        let bad = SMALL.replace("kind = \"risk\"", "kind = \"risky\"");
        let e = parse("adult.toml", &bad).unwrap_err();
        assert_eq!((e.file.as_str(), e.line), ("adult.toml", 5));
        assert!(e.problem.contains("risky"), "{e}");

        let syntax = SMALL.replace("from = 2", "from = = 2");
        let e = parse("adult.toml", &syntax).unwrap_err();
        assert_eq!(e.line, 13, "{e}");

        let unknown = SMALL.replace("title = ", "colour = \"red\"\ntitle = ");
        let e = parse("x.toml", &unknown).unwrap_err();
        assert!(e.problem.contains("colour"), "{e}");
        assert_eq!(e.line, 4);

        let twice = SMALL.replace("id = \"c\"", "id = \"a\"");
        let e = parse("x.toml", &twice).unwrap_err();
        assert!(e.problem.contains("used twice"), "{e}");
        assert_eq!(e.line, 26, "the [[question]] that repeats the id");

        let order = SMALL.replace("from = 3", "from = 1");
        let e = parse("x.toml", &order).unwrap_err();
        assert!(e.problem.contains("not above"), "{e}");

        let levels = SMALL.replace("level = \"high\"", "level = \"severe\"");
        assert!(parse("x.toml", &levels).is_err());
    }

    #[test]
    fn scales_and_choices_are_checked() {
        let src = r#"
key = "wellbeing"
version = 1
title = "Wellbeing"
kind = "outcome"
applies_to = ["victim_survivor", "child_or_young_person"]
min_age = 13

[[question]]
id = "safe"
text = "How safe do you feel?"
answers = "scale"
min = 0
max = 10

[[question]]
id = "abuse"
text = "Is abuse still happening?"
answers = "choice"
[[question.choice]]
code = "yes"
label = "Yes"
points = 1
[[question.choice]]
code = "no"
label = "No"
"#;
        let i = parse("w.toml", src).unwrap();
        assert!(i.is_for(CaseRole::ChildOrYoungPerson, Some(14)));
        assert!(!i.is_for(CaseRole::ChildOrYoungPerson, Some(9)));
        assert!(!i.is_for(CaseRole::PersonCausingHarm, Some(30)));
        let s = i
            .score(&answers(&[("safe", "7"), ("abuse", "yes")]))
            .unwrap();
        assert_eq!(s.score, 8);
        assert!(i
            .score(&answers(&[("safe", "11"), ("abuse", "no")]))
            .is_err());
        assert!(i
            .score(&answers(&[("safe", "x"), ("abuse", "no")]))
            .is_err());
    }
}
