//! A person's details, other names and earlier versions.

use crate::access::{self, CasesGuard, Guard, PersonGuard, ServiceGuard};
use crate::identity::{self, Hit};
use crate::sealed::{Sealed, Shows, Subject};
use crate::{many, row};
use crate::{Result, StoreError, UnitOfWork};
use hearth_domain::access::{Action, FieldClass};
use hearth_domain::clock::{to_unix, Timestamp};
use hearth_domain::ids::new_id;
use hearth_domain::ids::UserId;
use hearth_domain::person::{Equality, Identity, PersonDetails};
use hearth_domain::Actor;
use sqlx::AnyConnection;
use std::collections::HashMap;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct Stored {
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: Option<String>,
    pub gender: String,
    pub language: String,
    pub interpreter_needed: bool,
    pub equality: Option<Sealed>,
    pub version: i64,
    pub aliases: Vec<String>,
}

pub fn equality_place(person_id: Uuid, version: i64) -> String {
    format!("people.equality:{person_id}:{version}")
}

pub fn snapshot_place(person_id: Uuid, version: i64) -> String {
    format!("person_versions.snapshot:{person_id}:{version}")
}

/// A person's current details. Names are identity data and always come out; the equality
/// answers come out sealed, sensitive-class.
pub async fn get(conn: &mut AnyConnection, g: &impl Guard, id: Uuid) -> Result<Option<Stored>> {
    access::require(g, id)?;
    let Some(r) = sqlx::query(
        "SELECT id, identity, gender, language, interpreter_needed, equality, version \
         FROM people WHERE id = $1 AND org_id = $2",
    )
    .bind(id.to_string())
    .bind(g.actor().org_id.to_string())
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    let identity = identity::from_row(g.cipher(), &r, "id", "identity")?;
    let version = row::int(&r, "version")?;
    Ok(Some(Stored {
        given_name: identity.given_name,
        family_name: identity.family_name,
        date_of_birth: identity.date_of_birth,
        gender: row::text(&r, "gender")?,
        language: row::text(&r, "language")?,
        interpreter_needed: row::flag(&r, "interpreter_needed")?,
        equality: row::opt_bytes(&r, "equality")?.map(|b| {
            Sealed::new(
                equality_place(id, version),
                b,
                Subject::Person(id),
                FieldClass::Sensitive,
                Shows::Equality,
            )
        }),
        version,
        aliases: identity.aliases,
    }))
}

impl Stored {
    /// The details as this guard may see them: equality answers it withholds are left empty.
    pub fn open(&self, g: &impl Guard) -> Result<PersonDetails> {
        let equality = match &self.equality {
            Some(sealed) => match g.open(sealed)?.shown() {
                Some(json) => serde_json::from_str(&json)
                    .map_err(|e| StoreError::Corrupt(format!("equality answers: {e}")))?,
                None => Equality::default(),
            },
            None => Equality::default(),
        };
        Ok(self.with_equality(equality))
    }

    fn with_equality(&self, equality: Equality) -> PersonDetails {
        PersonDetails {
            given_name: self.given_name.clone(),
            family_name: self.family_name.clone(),
            aliases: self.aliases.clone(),
            date_of_birth: self.date_of_birth.clone(),
            gender: self.gender.clone(),
            language: self.language.clone(),
            interpreter_needed: self.interpreter_needed,
            equality,
        }
    }
}

/// People in the actor's organisation holding any of these search terms, by the blind index:
/// nothing is opened to find them. See [`identity::lookup`].
pub async fn find(w: &mut UnitOfWork, actor: &Actor, terms: &[String]) -> Result<Vec<Hit>> {
    let cipher = w.cipher(actor.org_id).await?;
    identity::lookup(w, &cipher, terms).await
}

/// How many index rows hold any of these terms, in the actor's organisation.
pub async fn count_terms(w: &mut UnitOfWork, actor: &Actor, terms: &[String]) -> Result<i64> {
    let cipher = w.cipher(actor.org_id).await?;
    identity::count(w, &cipher, terms).await
}

/// People among these holding any of these terms, by the blind index.
pub async fn find_among(
    w: &mut UnitOfWork,
    actor: &Actor,
    terms: &[String],
    people: &[Uuid],
) -> Result<Vec<Hit>> {
    let cipher = w.cipher(actor.org_id).await?;
    identity::lookup_among(w, &cipher, terms, people).await
}

/// Who these people are, for the ones about to be shown in a list across cases: names always
/// (a victim behind the firewall is still a name), date of birth and other names only where
/// the firewall lets the actor see ordinary data about them. People the guard does not cover
/// are left out.
pub async fn named(
    conn: &mut AnyConnection,
    g: &CasesGuard,
    person_ids: &[Uuid],
) -> Result<HashMap<Uuid, Identity>> {
    let covered: Vec<Uuid> = person_ids
        .iter()
        .copied()
        .filter(|p| g.covers(*p))
        .collect();
    let mut out = identity::identities(conn, g.cipher(), g.actor().org_id, &covered).await?;
    for (person_id, who) in out.iter_mut() {
        if !g.may_see(*person_id, FieldClass::Ordinary) {
            who.date_of_birth = None;
            who.aliases.clear();
        }
    }
    Ok(out)
}

/// Who these people on record are, opened for triage to compare a referral with: the few the
/// blind index put forward, never everyone.
pub async fn named_for_triage(
    conn: &mut AnyConnection,
    g: &ServiceGuard,
    person_ids: &[Uuid],
) -> Result<HashMap<Uuid, Identity>> {
    g.require(Action::Triage)?;
    identity::identities(conn, g.cipher(), g.actor().org_id, person_ids).await
}

/// Is this person on record in the actor's organisation?
pub async fn exists(conn: &mut AnyConnection, actor: &Actor, id: Uuid) -> Result<bool> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM people WHERE id = $1 AND org_id = $2")
        .bind(id.to_string())
        .bind(actor.org_id.to_string())
        .fetch_one(&mut *conn)
        .await?;
    Ok(n > 0)
}

/// A case someone is in, as a match or search result names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseLine {
    pub case_id: Uuid,
    pub reference: String,
    pub status: String,
}

/// The cases each of these people is in, in the actor's organisation.
pub async fn cases_of(
    conn: &mut AnyConnection,
    actor: &Actor,
    person_ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<CaseLine>>> {
    let mut out: HashMap<Uuid, Vec<CaseLine>> = HashMap::new();
    for r in many::fetch_in(
        conn,
        "SELECT DISTINCT m.person_id, c.id, c.reference, c.status FROM cases c \
         JOIN case_members m ON m.case_id = c.id WHERE c.org_id = $1 AND m.person_id IN ({ids}) \
         ORDER BY c.reference",
        &[actor.org_id.to_string()],
        person_ids,
    )
    .await?
    {
        out.entry(row::id(&r, "person_id")?)
            .or_default()
            .push(CaseLine {
                case_id: row::id(&r, "id")?,
                reference: row::text(&r, "reference")?,
                status: row::text(&r, "status")?,
            });
    }
    Ok(out)
}

/// The equality answers of a new version: those given, or (when the person saving may not
/// see them) the ones already held, carried across without being shown to anyone.
pub enum EqualityChange<'a> {
    Set(&'a Equality),
    Keep,
}

/// A new version of a person's details.
pub struct PersonUpdate<'a> {
    pub based_on: i64,
    pub by: UserId,
    pub details: &'a PersonDetails,
    pub equality: EqualityChange<'a>,
}

/// Move the person from `based_on` to the next version, keeping the earlier state in full as a
/// sealed snapshot. `None` if someone else saved first (nothing is changed then).
pub async fn update(
    conn: &mut AnyConnection,
    g: &PersonGuard,
    now: Timestamp,
    new: PersonUpdate<'_>,
) -> Result<Option<i64>> {
    let id = g.person_id().uuid();
    let org_id = g.actor().org_id;
    let Some(stored) = get(conn, g, id).await? else {
        return Err(StoreError::Refused(hearth_domain::access::Decision::Hidden));
    };
    if stored.version != new.based_on {
        return Ok(None);
    }
    // The history keeps everything, including answers the person saving may not see: they are
    // opened here to be sealed again, and never leave the store.
    let cipher = g.cipher();
    let held: Equality = match &stored.equality {
        Some(sealed) => {
            serde_json::from_str(&sealed.open_if(true, cipher)?.shown().unwrap_or_default())
                .map_err(|e| StoreError::Corrupt(format!("equality answers: {e}")))?
        }
        None => Equality::default(),
    };
    let previous = serde_json::to_string(&stored.with_equality(held.clone()))
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let previous_snapshot = cipher.encrypt(&snapshot_place(id, stored.version), &previous)?;
    let next = stored.version + 1;
    let equality = match new.equality {
        EqualityChange::Set(e) => e.clone(),
        EqualityChange::Keep => held,
    };
    let sealed_equality = if equality == Equality::default() {
        None
    } else {
        let json =
            serde_json::to_string(&equality).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        Some(cipher.encrypt(&equality_place(id, next), &json)?)
    };
    let d = new.details;
    let r = sqlx::query(
        "UPDATE people SET gender = $1, language = $2, \
         interpreter_needed = $3, equality = $4, version = version + 1, updated_at = $5 \
         WHERE id = $6 AND org_id = $7 AND version = $8",
    )
    .bind(&d.gender)
    .bind(&d.language)
    .bind(i64::from(d.interpreter_needed))
    .bind(sealed_equality)
    .bind(to_unix(now))
    .bind(id.to_string())
    .bind(org_id.to_string())
    .bind(stored.version)
    .execute(&mut *conn)
    .await?;
    if r.rows_affected() != 1 {
        return Ok(None);
    }
    sqlx::query(
        "INSERT INTO person_versions (id, org_id, person_id, version, snapshot, recorded_at, recorded_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(new_id(now).to_string())
    .bind(org_id.to_string())
    .bind(id.to_string())
    .bind(stored.version)
    .bind(previous_snapshot)
    .bind(to_unix(now))
    .bind(new.by.to_string())
    .execute(&mut *conn)
    .await?;
    let mut aliases = d.aliases.clone();
    aliases.sort();
    let who = Identity {
        given_name: d.given_name.clone(),
        family_name: d.family_name.clone(),
        date_of_birth: d.date_of_birth.clone(),
        aliases,
    };
    identity::write(conn, cipher, id, &who).await?;
    Ok(Some(next))
}

/// An earlier version of a person's details: when it was replaced, by whom, and the details
/// then, sealed as ordinary data (equality answers inside are opened with them; callers that
/// may not see those blank them, see [`PersonGuard::may_see`]).
pub struct EarlierVersion {
    pub version: i64,
    pub replaced_at: Timestamp,
    pub replaced_by: String,
    pub snapshot: Sealed,
}

/// Earlier versions, newest first.
pub async fn versions(conn: &mut AnyConnection, g: &PersonGuard) -> Result<Vec<EarlierVersion>> {
    let id = g.person_id().uuid();
    let rows = sqlx::query(
        "SELECT v.version, v.recorded_at, u.display_name, v.snapshot FROM person_versions v JOIN users u ON u.id = v.recorded_by \
         WHERE v.person_id = $1 AND v.org_id = $2 ORDER BY v.version DESC",
    )
    .bind(id.to_string())
    .bind(g.actor().org_id.to_string())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            let version = row::int(r, "version")?;
            Ok(EarlierVersion {
                version,
                replaced_at: row::at(r, "recorded_at")?,
                replaced_by: row::text(r, "display_name")?,
                snapshot: Sealed::new(
                    snapshot_place(id, version),
                    row::bytes(r, "snapshot")?,
                    Subject::Person(id),
                    FieldClass::Ordinary,
                    Shows::Page,
                ),
            })
        })
        .collect()
}
