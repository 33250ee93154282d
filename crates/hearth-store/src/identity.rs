//! Who a person is, sealed, and the blind index that finds them.
//!
//! A person's names, other names and date of birth are one sealed value (`people.identity`),
//! so a stolen database file names nobody. Search and triage find people through
//! `person_index`: one row per term of their identity and current contact details (see
//! [`hearth_domain::search_terms`]), holding the term's keyed hash under the organisation's
//! index key. A lookup hashes the terms of what was typed; nothing is decrypted to find a match,
//! and only the people then shown are opened.
//!
//! Names are identity data: anyone who may see a person's record sees their name, so the store
//! opens them for any reader that reached the row through the access policy.

use crate::crypto::FieldCipher;
use crate::{many, row, Result, StoreError};
use hearth_domain::contact::ContactDetails;
use hearth_domain::ids::OrgId;
use hearth_domain::person::Identity;
use hearth_domain::search_terms::{contact_terms, identity_terms, Field};
use sqlx::AnyConnection;
use std::collections::HashMap;
use uuid::Uuid;

/// Where a person's sealed identity lives, for the cipher's associated data.
pub fn place(person_id: Uuid) -> String {
    format!("people.identity:{person_id}")
}

pub(crate) fn seal(cipher: &FieldCipher, person_id: Uuid, identity: &Identity) -> Result<Vec<u8>> {
    let json = serde_json::to_string(identity).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    cipher.encrypt(&place(person_id), &json)
}

pub(crate) fn open(cipher: &FieldCipher, person_id: Uuid, sealed: &[u8]) -> Result<Identity> {
    let json = cipher.decrypt(&place(person_id), sealed)?;
    serde_json::from_str(&json)
        .map_err(|e| StoreError::Corrupt(format!("a person's identity: {e}")))
}

/// The identity in a row, from its person id and sealed identity columns.
pub(crate) fn from_row(
    cipher: &FieldCipher,
    r: &sqlx::any::AnyRow,
    id_column: &str,
    identity_column: &str,
) -> Result<Identity> {
    let person_id = row::id(r, id_column)?;
    open(cipher, person_id, &row::bytes(r, identity_column)?)
}

/// Seal a person's identity on their row and index it afresh.
pub(crate) async fn write(
    conn: &mut AnyConnection,
    cipher: &FieldCipher,
    person_id: Uuid,
    identity: &Identity,
) -> Result<()> {
    sqlx::query("UPDATE people SET identity = $1 WHERE id = $2")
        .bind(seal(cipher, person_id, identity)?)
        .bind(person_id.to_string())
        .execute(&mut *conn)
        .await?;
    index(conn, cipher, person_id, identity).await
}

/// Index a person's identity in place of what was indexed for it before.
pub(crate) async fn index(
    conn: &mut AnyConnection,
    cipher: &FieldCipher,
    person_id: Uuid,
    identity: &Identity,
) -> Result<()> {
    replace_terms(
        conn,
        cipher,
        person_id,
        &[Field::Name, Field::OtherName, Field::DateOfBirth],
        &terms_of(identity),
    )
    .await
}

/// The search terms of a person's identity: names, other names and date of birth.
fn terms_of(identity: &Identity) -> Vec<(Field, String)> {
    identity_terms(
        &identity.given_name,
        &identity.family_name,
        &identity.aliases,
        identity.date_of_birth.as_deref(),
    )
}

/// Index a person's current contact details in place of the ones before.
pub(crate) async fn index_contact(
    conn: &mut AnyConnection,
    cipher: &FieldCipher,
    person_id: Uuid,
    details: &ContactDetails,
) -> Result<()> {
    let terms = contact_terms(&details.phone, &details.postcode);
    replace_terms(
        conn,
        cipher,
        person_id,
        &[Field::Phone, Field::Postcode],
        &terms,
    )
    .await
}

/// How many index rows one INSERT writes: four parameters each, well inside both backends'
/// limits, and few statements for a person's thirty-odd terms.
const ROWS_PER_INSERT: usize = crate::many::rows_per_statement(4);

async fn replace_terms(
    conn: &mut AnyConnection,
    cipher: &FieldCipher,
    person_id: Uuid,
    fields: &[Field],
    terms: &[(Field, String)],
) -> Result<()> {
    let codes: Vec<String> = fields.iter().map(|f| f.code().to_string()).collect();
    let sql = format!(
        "DELETE FROM person_index WHERE person_id = $1 AND field IN ({})",
        many::placeholders(2, codes.len())
    );
    let mut q = sqlx::query(&sql).bind(person_id.to_string());
    for c in &codes {
        q = q.bind(c.clone());
    }
    q.execute(&mut *conn).await?;
    let mut rows: Vec<(Vec<u8>, Uuid, &'static str)> = terms
        .iter()
        .map(|(field, term)| (cipher.token(term), person_id, field.code()))
        .collect();
    rows.sort();
    rows.dedup();
    insert_rows(conn, cipher.org_id(), &rows).await
}

/// Index rows (token, person, field) of one organisation, in the order given.
async fn insert_rows(
    conn: &mut AnyConnection,
    org_id: OrgId,
    rows: &[(Vec<u8>, Uuid, &'static str)],
) -> Result<()> {
    let org_id = org_id.to_string();
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let sql = format!(
            "INSERT INTO person_index (org_id, token, person_id, field) VALUES {}",
            many::value_rows(chunk.len(), 4)
        );
        let mut q = sqlx::query(&sql);
        for (token, person_id, field) in chunk {
            q = q
                .bind(org_id.clone())
                .bind(token.clone())
                .bind(person_id.to_string())
                .bind(*field);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// A term of a search found on someone: which person, which of the terms asked about (by its
/// place in the list), and the field it was taken from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    pub person_id: Uuid,
    pub term: usize,
    pub field: Field,
}

/// How many of the organisation's index rows hold any of these terms: to look up the rarest
/// word of a search first.
pub async fn count(
    conn: &mut AnyConnection,
    cipher: &FieldCipher,
    terms: &[String],
) -> Result<i64> {
    let mut tokens: Vec<Vec<u8>> = terms.iter().map(|t| cipher.token(t)).collect();
    tokens.sort();
    tokens.dedup();
    let mut n = 0;
    for chunk in tokens.chunks(many::CHUNK) {
        let sql = format!(
            "SELECT COUNT(*) FROM person_index WHERE org_id = $1 AND token IN ({})",
            many::placeholders(2, chunk.len())
        );
        let mut q = sqlx::query_scalar::<_, i64>(&sql).bind(cipher.org_id().to_string());
        for t in chunk {
            q = q.bind(t.clone());
        }
        n += q.fetch_one(&mut *conn).await?;
    }
    Ok(n)
}

/// Everyone in the organisation holding any of these terms. Looked up by token among the
/// organisation's own index rows: nothing is decrypted. The tokens are keyed by the
/// organisation too, and nothing here is shown: the people found are opened by [`identities`]
/// and their cases resolved by readers that check the organisation on every row. Joining each
/// index row to its person to check it here as well cost PostgreSQL a hash of the whole
/// organisation's people on every search (4–5 ms at 20,000 people).
pub async fn lookup(
    conn: &mut AnyConnection,
    cipher: &FieldCipher,
    terms: &[String],
) -> Result<Vec<Hit>> {
    lookup_where(conn, cipher, terms, None).await
}

/// The same, among these people only.
pub async fn lookup_among(
    conn: &mut AnyConnection,
    cipher: &FieldCipher,
    terms: &[String],
    people: &[Uuid],
) -> Result<Vec<Hit>> {
    let mut hits = Vec::new();
    for chunk in people.chunks(many::CHUNK) {
        hits.extend(lookup_where(conn, cipher, terms, Some(chunk)).await?);
    }
    Ok(hits)
}

async fn lookup_where(
    conn: &mut AnyConnection,
    cipher: &FieldCipher,
    terms: &[String],
    people: Option<&[Uuid]>,
) -> Result<Vec<Hit>> {
    let mut by_token: HashMap<Vec<u8>, Vec<usize>> = HashMap::new();
    for (i, t) in terms.iter().enumerate() {
        by_token.entry(cipher.token(t)).or_default().push(i);
    }
    let tokens: Vec<Vec<u8>> = by_token.keys().cloned().collect();
    let mut hits = Vec::new();
    let among = people.unwrap_or_default();
    for chunk in tokens.chunks(many::CHUNK) {
        let only = match people {
            Some(_) => format!(
                " AND person_id IN ({})",
                many::placeholders(2 + chunk.len(), among.len())
            ),
            None => String::new(),
        };
        let sql = format!(
            "SELECT token, person_id, field FROM person_index \
             WHERE org_id = $1 AND token IN ({}){only}",
            many::placeholders(2, chunk.len())
        );
        let mut q = sqlx::query(&sql).bind(cipher.org_id().to_string());
        for t in chunk {
            q = q.bind(t.clone());
        }
        for p in among {
            q = q.bind(p.to_string());
        }
        for r in q.fetch_all(&mut *conn).await? {
            let token = row::bytes(&r, "token")?;
            let person_id = row::id(&r, "person_id")?;
            let field = Field::parse(&row::text(&r, "field")?)
                .ok_or_else(|| StoreError::Corrupt("an index row's field".into()))?;
            for &term in by_token.get(&token).into_iter().flatten() {
                hits.push(Hit {
                    person_id,
                    term,
                    field,
                });
            }
        }
    }
    Ok(hits)
}

/// The identities of these people in the organisation, opened: for the rows about to be shown.
pub(crate) async fn identities(
    conn: &mut AnyConnection,
    cipher: &FieldCipher,
    org_id: OrgId,
    person_ids: &[Uuid],
) -> Result<HashMap<Uuid, Identity>> {
    let mut out = HashMap::new();
    for r in many::fetch_in(
        conn,
        "SELECT id, identity FROM people WHERE org_id = $1 AND id IN ({ids})",
        &[org_id.to_string()],
        person_ids,
    )
    .await?
    {
        out.insert(row::id(&r, "id")?, from_row(cipher, &r, "id", "identity")?);
    }
    Ok(out)
}

/// Seal and index everyone written before names were sealed, then blank the plain text, one
/// organisation at a time. Returns how many people it sealed; nothing to do is the usual case.
pub(crate) async fn seal_legacy(store: &crate::Store) -> Result<u64> {
    // The partial index people_unsealed (migration 0015) holds only unsealed rows, so at a normal
    // start this reads an empty index, not the whole people table.
    let mut sealed = 0;
    let orgs: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT org_id FROM people WHERE identity IS NULL ORDER BY org_id",
    )
    .fetch_all(store.pool())
    .await?;
    for org in orgs {
        let org_id =
            OrgId::parse(&org).ok_or_else(|| StoreError::Corrupt(format!("org_id {org}")))?;
        let mut tx = store.begin().await?;
        let cipher = store.cipher(&mut tx, org_id).await?;
        let rows = sqlx::query(
            "SELECT id, given_name, family_name, date_of_birth FROM people WHERE org_id = $1 AND identity IS NULL",
        )
        .bind(&org)
        .fetch_all(&mut *tx)
        .await?;
        for r in &rows {
            let person_id = row::id(r, "id")?;
            let aliases: Vec<String> = sqlx::query_scalar(
                "SELECT name FROM person_aliases WHERE person_id = $1 ORDER BY name",
            )
            .bind(person_id.to_string())
            .fetch_all(&mut *tx)
            .await?;
            let identity = Identity {
                given_name: row::text(r, "given_name")?,
                family_name: row::text(r, "family_name")?,
                date_of_birth: row::opt_text(r, "date_of_birth")?,
                aliases,
            };
            write(&mut tx, &cipher, person_id, &identity).await?;
            if let Some(details) = crate::contact::current(&mut tx, &cipher, person_id).await? {
                index_contact(&mut tx, &cipher, person_id, &details).await?;
            }
            sqlx::query(
                "UPDATE people SET given_name = '', family_name = '', date_of_birth = NULL WHERE id = $1",
            )
            .bind(person_id.to_string())
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM person_aliases WHERE person_id = $1")
                .bind(person_id.to_string())
                .execute(&mut *tx)
                .await?;
            sealed += 1;
        }
        tx.commit().await?;
    }
    Ok(sealed)
}

/// Rebuild an organisation's whole index from its sealed values, in place of what it held:
/// after its key changes, or after a bulk load that wrote people unindexed. In the caller's
/// transaction, so searches see the old index or the new, never half of each. Returns how many
/// people it indexed.
///
/// Written in token order. Tokens are keyed hashes, so written person by person each one lands
/// on a page of the index far from the last; in order, each page is written once.
pub async fn reindex(conn: &mut AnyConnection, cipher: &FieldCipher) -> Result<u64> {
    let org_id = cipher.org_id();
    sqlx::query("DELETE FROM person_index WHERE org_id = $1")
        .bind(org_id.to_string())
        .execute(&mut *conn)
        .await?;
    let people =
        sqlx::query("SELECT id, identity FROM people WHERE org_id = $1 AND identity IS NOT NULL")
            .bind(org_id.to_string())
            .fetch_all(&mut *conn)
            .await?;
    let contacts = crate::contact::current_of_organisation(conn, cipher).await?;
    let mut rows = Vec::new();
    for r in &people {
        let person_id = row::id(r, "id")?;
        let identity = from_row(cipher, r, "id", "identity")?;
        let mut terms = terms_of(&identity);
        if let Some(details) = contacts.get(&person_id) {
            terms.extend(contact_terms(&details.phone, &details.postcode));
        }
        rows.extend(
            terms
                .iter()
                .map(|(field, term)| (cipher.token(term), person_id, field.code())),
        );
    }
    rows.sort();
    rows.dedup();
    insert_rows(conn, org_id, &rows).await?;
    Ok(people.len() as u64)
}
