//! The terms a person is found by.
//!
//! Names, dates of birth, phone numbers and postcodes are stored encrypted, so search and triage
//! cannot compare them in the database. Instead the store keeps a keyed hash of each of a
//! person's *stored terms* (a blind index), and a search hashes the *query terms* of what was
//! typed and looks those up. A typed word matches a stored word when they share a term, and the
//! terms are chosen so that this is exactly [`names_alike`](crate::referral::names_alike): the
//! same folded word, one letter added, dropped or changed (words of three letters or more), or
//! one a shortening of the other of at least three letters. A sounds-alike key (Soundex) is
//! stored too, and search counts it as the weakest match.
//!
//! One-letter variants are found without comparing text, in the way SymSpell does: a word is
//! stored with each of its one-letter deletions, tagged with the position deleted, so "sorrelby"
//! and "sorelby" share a term. The tag keeps it to one edit: an untagged deletion would also let
//! "amx" meet "max".

use crate::referral::fold_name;

/// Where a term was taken from. The firewall decides per field whether a match may count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    Name,
    OtherName,
    DateOfBirth,
    Phone,
    Postcode,
}

impl Field {
    pub fn code(self) -> &'static str {
        match self {
            Field::Name => "name",
            Field::OtherName => "other_name",
            Field::DateOfBirth => "date_of_birth",
            Field::Phone => "phone",
            Field::Postcode => "postcode",
        }
    }

    pub fn parse(code: &str) -> Option<Field> {
        [
            Field::Name,
            Field::OtherName,
            Field::DateOfBirth,
            Field::Phone,
            Field::Postcode,
        ]
        .into_iter()
        .find(|f| f.code() == code)
    }
}

/// How closely a typed word met a stored one; smaller is closer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Closeness {
    Exact,
    Shortening,
    OneLetter,
    SoundsAlike,
}

/// The shortest word that may match loosely (by a letter, a shortening or its sound).
const LOOSE_FROM: usize = 3;

fn exact(w: &str) -> String {
    format!("x:{w}")
}

fn without(i: usize, w: &[char]) -> String {
    w.iter()
        .enumerate()
        .filter(|(j, _)| *j != i)
        .map(|(_, c)| c)
        .collect()
}

fn deleted_at(i: usize, w: &[char]) -> String {
    tagged(i, &without(i, w))
}

fn tagged(i: usize, w: &str) -> String {
    format!("d{i}:{w}")
}

fn prefix(w: &str) -> String {
    format!("p:{w}")
}

fn sound(w: &str) -> Option<String> {
    soundex(w).map(|s| format!("s:{s}"))
}

/// The folded words of a name: each part ("Mary-Jane" gives "mary" and "jane"), and the whole
/// when it has several parts, so "Mary-Jane" and "Maryjane" still meet.
pub fn name_words(name: &str) -> Vec<String> {
    let mut words: Vec<String> = name
        .split(|c: char| c.is_whitespace() || c == '-')
        .map(fold_name)
        .filter(|w| !w.is_empty())
        .collect();
    if words.len() > 1 {
        words.push(fold_name(name));
    }
    words.dedup();
    words
}

/// The terms stored for one folded word.
pub fn stored_word_terms(word: &str) -> Vec<String> {
    let chars: Vec<char> = word.chars().collect();
    if chars.is_empty() {
        return Vec::new();
    }
    let mut terms = vec![exact(word)];
    if chars.len() >= LOOSE_FROM {
        terms.extend((0..chars.len()).map(|i| deleted_at(i, &chars)));
        terms.extend(
            (LOOSE_FROM..chars.len()).map(|k| prefix(&chars[..k].iter().collect::<String>())),
        );
        terms.extend(sound(word));
    }
    terms.sort();
    terms.dedup();
    terms
}

/// The terms looked up for one folded word typed, each with how close a match on it is.
pub fn query_word_terms(word: &str) -> Vec<(String, Closeness)> {
    let chars: Vec<char> = word.chars().collect();
    let n = chars.len();
    if n == 0 {
        return Vec::new();
    }
    let mut terms = vec![(exact(word), Closeness::Exact)];
    if n >= LOOSE_FROM {
        // The stored word starts with what was typed, or what was typed starts with it.
        terms.push((prefix(word), Closeness::Shortening));
        terms.extend((LOOSE_FROM..n).map(|k| {
            (
                exact(&chars[..k].iter().collect::<String>()),
                Closeness::Shortening,
            )
        }));
        // One letter changed: the same deletion at the same place on both sides.
        terms.extend((0..n).map(|i| (deleted_at(i, &chars), Closeness::OneLetter)));
        // One letter missing from what was typed: it is the stored word less one letter.
        terms.extend((0..=n).map(|i| (tagged(i, word), Closeness::OneLetter)));
        terms.extend(sound(word).map(|s| (s, Closeness::SoundsAlike)));
    }
    if n > LOOSE_FROM {
        // One letter too many in what was typed.
        terms.extend((0..n).map(|i| (exact(&without(i, &chars)), Closeness::OneLetter)));
    }
    // Keep each term once, at its closest.
    terms.sort();
    terms.dedup_by(|later, earlier| later.0 == earlier.0);
    terms
}

/// A date of birth's term (ISO, as stored).
pub fn date_of_birth_term(iso: &str) -> String {
    format!("dob:{}", iso.trim())
}

/// A UK phone number's term: its digits, with +44 written as 0.
pub fn phone_term(phone: &str) -> Option<String> {
    let d: String = phone.chars().filter(|c| c.is_ascii_digit()).collect();
    let d = match d.strip_prefix("44") {
        Some(rest) if d.len() == 12 => format!("0{rest}"),
        _ => d,
    };
    (!d.is_empty()).then(|| format!("tel:{d}"))
}

/// A postcode's term: capitals, no spaces.
pub fn postcode_term(postcode: &str) -> Option<String> {
    let p: String = postcode
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_uppercase();
    (!p.is_empty()).then(|| format!("pc:{p}"))
}

/// Every term stored for a person's name and other names, each with the field it came from.
pub fn identity_terms(
    given_name: &str,
    family_name: &str,
    aliases: &[String],
    date_of_birth: Option<&str>,
) -> Vec<(Field, String)> {
    let mut out = Vec::new();
    let mut add_name = |field: Field, name: &str| {
        for w in name_words(name) {
            out.extend(stored_word_terms(&w).into_iter().map(|t| (field, t)));
        }
    };
    add_name(Field::Name, given_name);
    add_name(Field::Name, family_name);
    for a in aliases {
        add_name(Field::OtherName, a);
    }
    if let Some(d) = date_of_birth.filter(|d| !d.trim().is_empty()) {
        out.push((Field::DateOfBirth, date_of_birth_term(d)));
    }
    out.sort();
    out.dedup();
    out
}

/// The terms stored for a person's current contact details.
pub fn contact_terms(phone: &str, postcode: &str) -> Vec<(Field, String)> {
    let mut out = Vec::new();
    out.extend(phone_term(phone).map(|t| (Field::Phone, t)));
    out.extend(postcode_term(postcode).map(|t| (Field::Postcode, t)));
    out
}

/// American Soundex of a folded word (letters a–z only; others are skipped).
pub fn soundex(word: &str) -> Option<String> {
    fn code(c: char) -> Option<char> {
        Some(match c {
            'b' | 'f' | 'p' | 'v' => '1',
            'c' | 'g' | 'j' | 'k' | 'q' | 's' | 'x' | 'z' => '2',
            'd' | 't' => '3',
            'l' => '4',
            'm' | 'n' => '5',
            'r' => '6',
            _ => return None,
        })
    }
    let letters: Vec<char> = word.chars().filter(|c| c.is_ascii_lowercase()).collect();
    let first = *letters.first()?;
    let mut out = String::from(first.to_ascii_uppercase());
    let mut last = code(first);
    for &c in &letters[1..] {
        let this = code(c);
        if this.is_some() && this != last {
            out.push(this.unwrap_or('0'));
            if out.len() == 4 {
                break;
            }
        }
        // 'h' and 'w' do not separate letters with the same code; vowels do.
        if c != 'h' && c != 'w' {
            last = this;
        }
    }
    while out.len() < 4 {
        out.push('0');
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::referral::names_alike;

    fn closeness(typed: &str, stored: &str) -> Option<Closeness> {
        let stored: Vec<String> = name_words(stored)
            .iter()
            .flat_map(|w| stored_word_terms(w))
            .collect();
        name_words(typed)
            .iter()
            .flat_map(|w| query_word_terms(w))
            .filter(|(t, _)| stored.contains(t))
            .map(|(_, c)| c)
            .min()
    }

    #[test]
    fn one_letter_variants_meet_by_a_shared_term() {
        assert_eq!(closeness("Sorelby", "Sorrelby"), Some(Closeness::OneLetter));
        assert_eq!(closeness("Sorrelby", "Sorelby"), Some(Closeness::OneLetter));
        assert_eq!(
            closeness("Sorrelbi", "Sorrelby"),
            Some(Closeness::OneLetter)
        );
        assert_eq!(closeness("Zoe", "Zoë"), Some(Closeness::Exact));
        assert_eq!(
            closeness("quill", "Quillfeather"),
            Some(Closeness::Shortening)
        );
        assert_eq!(closeness("Alexandra", "Alex"), Some(Closeness::Shortening));
        assert_eq!(closeness("Jane", "Mary-Jane"), Some(Closeness::Exact));
        assert_eq!(closeness("Maryjane", "Mary-Jane"), Some(Closeness::Exact));
        assert_eq!(closeness("Stephen", "Steven"), Some(Closeness::SoundsAlike));
        assert_eq!(closeness("Amy", "Zoë"), None);
        // Two edits apart is not a one-letter variant, though a deletion each gives "ax".
        assert_ne!(closeness("amx", "max"), Some(Closeness::OneLetter));
    }

    #[test]
    fn without_sound_the_terms_agree_with_names_alike() {
        let names = [
            "jon",
            "john",
            "joan",
            "jo",
            "sara",
            "sarah",
            "zoe",
            "zoë",
            "alex",
            "alexandra",
            "amy",
            "ami",
            "amx",
            "max",
            "sorrelby",
            "sorelby",
            "sorrelbi",
            "smith",
            "smyth",
            "smithe",
            "ab",
            "abc",
            "abd",
            "bcd",
            "quill",
            "quillfeather",
            "ann",
            "anne",
            "anna",
            "hannah",
        ];
        for a in names {
            for b in names {
                let stored = stored_word_terms(&fold_name(b));
                let shared = query_word_terms(&fold_name(a))
                    .into_iter()
                    .any(|(t, c)| c != Closeness::SoundsAlike && stored.contains(&t));
                assert_eq!(shared, names_alike(a, b), "{a} / {b}");
            }
        }
    }

    proptest::proptest! {
        /// Over a small alphabet, so that near misses are common.
        #[test]
        fn terms_agree_with_names_alike_everywhere(a in "[abc]{0,6}", b in "[abc]{0,6}") {
            let stored = stored_word_terms(&b);
            let shared = query_word_terms(&a)
                .into_iter()
                .any(|(t, c)| c != Closeness::SoundsAlike && stored.contains(&t));
            proptest::prop_assert_eq!(shared, names_alike(&a, &b));
        }
    }

    #[test]
    fn soundex_codes_as_published() {
        assert_eq!(soundex("robert").as_deref(), Some("R163"));
        assert_eq!(soundex("rupert").as_deref(), Some("R163"));
        assert_eq!(soundex("ashcraft").as_deref(), Some("A261"));
        assert_eq!(soundex("tymczak").as_deref(), Some("T522"));
        assert_eq!(soundex("pfister").as_deref(), Some("P236"));
        assert_eq!(soundex("lee").as_deref(), Some("L000"));
        assert_eq!(soundex(""), None);
    }

    #[test]
    fn contact_terms_normalise() {
        assert_eq!(phone_term("+44 7700 900982"), phone_term("07700 900 982"));
        assert_eq!(postcode_term("ns1 2ab"), postcode_term("NS1 2AB"));
        assert_eq!(phone_term(""), None);
        let t = identity_terms("Zoë", "Quill", &["Zoe Smith".into()], Some("1990-04-01"));
        assert!(t.contains(&(Field::Name, "x:zoe".into())));
        assert!(t.contains(&(Field::OtherName, "x:smith".into())));
        assert!(t.contains(&(Field::DateOfBirth, "dob:1990-04-01".into())));
    }
}
