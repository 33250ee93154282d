//! A person's details, other names and earlier versions.

use crate::access::{self, Guard, PersonGuard};
use crate::sealed::{Sealed, Subject};
use crate::{many, row};
use crate::{Result, StoreError};
use hearth_domain::access::{Action, FieldClass};
use hearth_domain::clock::{to_unix, Timestamp};
use hearth_domain::ids::new_id;
use hearth_domain::person::{Equality, PersonDetails};
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
        "SELECT given_name, family_name, date_of_birth, gender, language, interpreter_needed, equality, version \
         FROM people WHERE id = $1 AND org_id = $2",
    )
    .bind(id.to_string())
    .bind(g.actor().org_id.to_string())
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    let aliases: Vec<String> =
        sqlx::query_scalar("SELECT name FROM person_aliases WHERE person_id = $1 ORDER BY name")
            .bind(id.to_string())
            .fetch_all(&mut *conn)
            .await?;
    let version = row::int(&r, "version")?;
    Ok(Some(Stored {
        given_name: row::text(&r, "given_name")?,
        family_name: row::text(&r, "family_name")?,
        date_of_birth: row::opt_text(&r, "date_of_birth")?,
        gender: row::text(&r, "gender")?,
        language: row::text(&r, "language")?,
        interpreter_needed: row::flag(&r, "interpreter_needed")?,
        equality: row::opt_bytes(&r, "equality")?.map(|b| {
            Sealed::new(
                equality_place(id, version),
                b,
                Subject::Person(id),
                FieldClass::Sensitive,
            )
        }),
        version,
        aliases,
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

/// Someone on record in the actor's organisation, as search and triage match against them:
/// their name, date of birth and other names, and their current contact details sealed
/// (location-class; triage also opens them, to match a referral's postcode and phone).
#[derive(Debug, Clone)]
pub struct OnRecord {
    pub person_id: Uuid,
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: Option<String>,
    pub aliases: Vec<String>,
    pub contact: Option<Sealed>,
}

/// Everyone on record in the actor's organisation, for matching.
pub async fn on_record(conn: &mut AnyConnection, actor: &Actor) -> Result<Vec<OnRecord>> {
    let rows = sqlx::query(
        "SELECT p.id, p.given_name, p.family_name, p.date_of_birth, c.version, c.sealed FROM people p \
         LEFT JOIN contact_versions c ON c.person_id = p.id \
           AND c.version = (SELECT MAX(version) FROM contact_versions m WHERE m.person_id = p.id) \
         WHERE p.org_id = $1",
    )
    .bind(actor.org_id.to_string())
    .fetch_all(&mut *conn)
    .await?;
    let mut aliases: HashMap<Uuid, Vec<String>> = HashMap::new();
    for (person, name) in aliases_for_org(conn, actor.org_id).await? {
        aliases.entry(person).or_default().push(name);
    }
    rows.iter()
        .map(|r| {
            let person_id = row::id(r, "id")?;
            let contact = match (
                row::opt_bytes(r, "sealed")?,
                sqlx::Row::try_get::<Option<i64>, _>(r, "version")?,
            ) {
                (Some(bytes), Some(v)) => Some(
                    Sealed::new(
                        crate::contact::place(person_id, v),
                        bytes,
                        Subject::Person(person_id),
                        FieldClass::Location,
                    )
                    .also_for(Action::Triage),
                ),
                _ => None,
            };
            Ok(OnRecord {
                person_id,
                given_name: row::text(r, "given_name")?,
                family_name: row::text(r, "family_name")?,
                date_of_birth: row::opt_text(r, "date_of_birth")?,
                aliases: aliases.remove(&person_id).unwrap_or_default(),
                contact,
            })
        })
        .collect()
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

/// Every other name in the organisation.
async fn aliases_for_org(conn: &mut AnyConnection, org_id: Uuid) -> Result<Vec<(Uuid, String)>> {
    let rows = sqlx::query("SELECT person_id, name FROM person_aliases WHERE org_id = $1")
        .bind(org_id.to_string())
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|r| Ok((row::id(r, "person_id")?, row::text(r, "name")?)))
        .collect()
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
    pub by: Uuid,
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
    let id = g.person_id();
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
        "UPDATE people SET given_name = $1, family_name = $2, date_of_birth = $3, gender = $4, language = $5, \
         interpreter_needed = $6, equality = $7, version = version + 1, updated_at = $8 \
         WHERE id = $9 AND org_id = $10 AND version = $11",
    )
    .bind(&d.given_name)
    .bind(&d.family_name)
    .bind(d.date_of_birth.as_deref())
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
    sqlx::query("DELETE FROM person_aliases WHERE person_id = $1")
        .bind(id.to_string())
        .execute(&mut *conn)
        .await?;
    for a in &d.aliases {
        sqlx::query(
            "INSERT INTO person_aliases (id, org_id, person_id, name) VALUES ($1, $2, $3, $4)",
        )
        .bind(new_id(now).to_string())
        .bind(org_id.to_string())
        .bind(id.to_string())
        .bind(a)
        .execute(&mut *conn)
        .await?;
    }
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
    let id = g.person_id();
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
                ),
            })
        })
        .collect()
}
