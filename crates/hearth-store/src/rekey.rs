//! Rotating an organisation's data key: when a key may have been exposed, or as a routine.
//!
//! Every value sealed under the old key is opened and sealed again under a new one, the blind
//! index is rebuilt (its key is derived from the data key), and the new key is stored wrapped by
//! the master key. All in the caller's one transaction: a crash part-way leaves the old key with
//! every value under it, never some values under a key the database no longer holds.

use crate::identity;
use crate::{row, FieldCipher, Result, UnitOfWork};
use hearth_domain::ids::OrgId;
use sqlx::AnyConnection;

/// A column whose values are sealed under the organisation's data key, and how each value's
/// place (the associated data it was sealed with) is made from its row:
/// `table.column:part:part`, as the `place` functions beside each table's reader and writer
/// make it.
#[derive(Debug, Clone, Copy)]
pub struct SealedColumn {
    pub table: &'static str,
    pub column: &'static str,
    /// The column that names the row, to write its value back.
    pub key: &'static str,
    /// The row's columns that make the value's place, in order.
    pub place: &'static [&'static str],
}

impl SealedColumn {
    /// The place of a value in this column, from the row's `place` columns as text.
    pub fn place_of(&self, parts: &[String]) -> String {
        format!("{}.{}:{}", self.table, self.column, parts.join(":"))
    }
}

const fn sealed(
    table: &'static str,
    column: &'static str,
    key: &'static str,
    place: &'static [&'static str],
) -> SealedColumn {
    SealedColumn {
        table,
        column,
        key,
        place,
    }
}

/// Every column sealed under an organisation's key. A test holds this against the schema: a new
/// sealed column that is not listed here would be left under the old key, and lost with it.
pub const SEALED: &[SealedColumn] = &[
    sealed("users", "totp_secret", "id", &["id"]),
    sealed(
        "sessions",
        "pending_totp_secret",
        "token_hash",
        &["token_hash"],
    ),
    sealed("people", "identity", "id", &["id"]),
    sealed("people", "equality", "id", &["id", "version"]),
    sealed(
        "person_versions",
        "snapshot",
        "id",
        &["person_id", "version"],
    ),
    sealed(
        "contact_versions",
        "sealed",
        "id",
        &["person_id", "version"],
    ),
    sealed("timeline_versions", "body", "id", &["entry_id", "version"]),
    sealed("timeline_entries", "withdrawn_reason", "id", &["id"]),
    sealed("referrals", "details", "id", &["id"]),
    sealed("referrals", "decision_note", "id", &["id"]),
    sealed("break_glass", "reason", "id", &["id"]),
    sealed("case_agencies", "details", "id", &["id"]),
    sealed("risk_assessments", "sealed", "id", &["id"]),
    sealed("incidents", "sealed", "id", &["id"]),
    sealed("safety_plans", "sealed", "id", &["person_id", "version"]),
    sealed("marac_referrals", "sealed", "id", &["id"]),
    sealed("marac_actions", "description", "id", &["id"]),
    sealed("enrolments", "priority_reason", "id", &["id"]),
    sealed("programme_sessions", "place", "id", &["id"]),
    sealed("programme_sessions", "topics", "id", &["id"]),
];

/// Binary columns that are not sealed under an organisation's key, and why, so the test that
/// holds [`SEALED`] against the schema knows them.
pub const NOT_SEALED: &[(&str, &str)] = &[
    // Wrapped by the master key, which rotating a data key does not change.
    ("organisations", "wrapped_key"),
    // Keyed hashes, rebuilt from the sealed values under the new key.
    ("person_index", "token"),
];

/// What a rotation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rotated {
    /// Values opened and sealed again.
    pub values: u64,
    /// People whose names and contact details were indexed again.
    pub people_indexed: u64,
}

/// How the organisation's sealed values fare under a cipher: how many open, and for each column
/// where some do not, how many. After a rotation every value opens under the new key and none
/// under the old.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyCheck {
    pub opened: u64,
    pub failed: Vec<(&'static str, &'static str, u64)>,
}

/// Try every sealed value of the cipher's organisation under it.
pub async fn check(conn: &mut AnyConnection, cipher: &FieldCipher) -> Result<KeyCheck> {
    let mut out = KeyCheck::default();
    for c in SEALED {
        let mut failed = 0;
        for (_, place, sealed) in keyed_values(conn, c, cipher.org_id()).await? {
            if cipher.decrypt(&place, &sealed).is_ok() {
                out.opened += 1;
            } else {
                failed += 1;
            }
        }
        if failed > 0 {
            out.failed.push((c.table, c.column, failed));
        }
    }
    Ok(out)
}

/// Each of the organisation's values in a sealed column: its row's key, its place, the value.
async fn keyed_values(
    conn: &mut AnyConnection,
    c: &SealedColumn,
    org_id: OrgId,
) -> Result<Vec<(String, String, Vec<u8>)>> {
    let parts: Vec<String> = c
        .place
        .iter()
        .enumerate()
        .map(|(i, col)| format!("CAST({col} AS TEXT) AS part{i}"))
        .collect();
    let rows = sqlx::query(&format!(
        "SELECT {key} AS row_key, {parts}, {column} AS sealed FROM {table} \
         WHERE org_id = $1 AND {column} IS NOT NULL",
        key = c.key,
        parts = parts.join(", "),
        column = c.column,
        table = c.table,
    ))
    .bind(org_id.to_string())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            let parts = (0..c.place.len())
                .map(|i| row::text(r, &format!("part{i}")))
                .collect::<Result<Vec<_>>>()?;
            Ok((
                row::text(r, "row_key")?,
                c.place_of(&parts),
                row::bytes(r, "sealed")?,
            ))
        })
        .collect()
}

/// Give the organisation a new data key, in this unit of work: every sealed value moves to it,
/// the index is rebuilt under it, and the old key is gone once the unit commits. Every unit of
/// work reads its organisation's key in its own transaction, so none seals under the old key
/// once this has committed.
pub async fn rotate(w: &mut UnitOfWork, org_id: OrgId) -> Result<Rotated> {
    let old = w.cipher(org_id).await?;
    let (new, wrapped) = w.store().new_org_key(org_id)?;
    let mut values = 0;
    for c in SEALED {
        let update = format!(
            "UPDATE {} SET {} = $1 WHERE {} = $2 AND org_id = $3",
            c.table, c.column, c.key
        );
        for (key, place, sealed) in keyed_values(w, c, org_id).await? {
            // Said where, so an operator can find the one value that stops a rotation.
            let plain = old.decrypt(&place, &sealed).map_err(|_| {
                crate::StoreError::Crypto(format!(
                    "{place} does not open under the organisation's key; nothing was changed"
                ))
            })?;
            sqlx::query(&update)
                .bind(new.encrypt(&place, &plain)?)
                .bind(key)
                .bind(org_id.to_string())
                .execute(&mut **w)
                .await?;
            values += 1;
        }
    }
    sqlx::query("UPDATE organisations SET wrapped_key = $1 WHERE id = $2")
        .bind(wrapped)
        .bind(org_id.to_string())
        .execute(&mut **w)
        .await?;
    let people_indexed = identity::reindex(w, &new).await?;
    w.replace_cipher(new);
    Ok(Rotated {
        values,
        people_indexed,
    })
}

#[cfg(test)]
mod tests {
    use super::SEALED;
    use hearth_domain::ids::{EnrolmentId, EntryId, ReferralId, SessionId, UserId};
    use uuid::Uuid;

    /// Each listed column makes its places as the code that seals it does; a place made any
    /// other way would not open, and the rotation would stop at the first value.
    #[test]
    fn each_sealed_column_makes_its_places_as_its_writer_does() {
        let id = Uuid::from_u128(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef);
        let s = id.to_string();
        let place = |table: &str, column: &str, parts: &[&str]| {
            let c = SEALED
                .iter()
                .find(|c| c.table == table && c.column == column)
                .unwrap_or_else(|| panic!("{table}.{column} is listed"));
            assert_eq!(c.place.len(), parts.len(), "{table}.{column}");
            c.place_of(&parts.iter().map(|p| p.to_string()).collect::<Vec<_>>())
        };
        let written = [
            (
                place("users", "totp_secret", &[&s]),
                crate::users::totp_place(UserId::from_uuid(id)),
            ),
            (
                place("sessions", "pending_totp_secret", &["abc"]),
                crate::sessions::pending_totp_place("abc"),
            ),
            (
                place("people", "identity", &[&s]),
                crate::identity::place(id),
            ),
            (
                place("people", "equality", &[&s, "4"]),
                crate::people::equality_place(id, 4),
            ),
            (
                place("person_versions", "snapshot", &[&s, "3"]),
                crate::people::snapshot_place(id, 3),
            ),
            (
                place("contact_versions", "sealed", &[&s, "2"]),
                crate::contact::place(id, 2),
            ),
            (
                place("timeline_versions", "body", &[&s, "5"]),
                crate::timeline::body_place(EntryId::from_uuid(id), 5),
            ),
            (
                place("timeline_entries", "withdrawn_reason", &[&s]),
                crate::timeline::reason_place(EntryId::from_uuid(id)),
            ),
            (
                place("referrals", "details", &[&s]),
                crate::referrals::details_place(ReferralId::from_uuid(id)),
            ),
            (
                place("referrals", "decision_note", &[&s]),
                crate::referrals::note_place(ReferralId::from_uuid(id)),
            ),
            (
                place("break_glass", "reason", &[&s]),
                crate::break_glass::reason_place(id),
            ),
            (
                place("case_agencies", "details", &[&s]),
                crate::cases::agency_place(id),
            ),
            (
                place("risk_assessments", "sealed", &[&s]),
                crate::risk::assessment_place(id),
            ),
            (
                place("incidents", "sealed", &[&s]),
                crate::risk::incident_place(id),
            ),
            (
                place("safety_plans", "sealed", &[&s, "6"]),
                crate::safety_plans::place(id, 6),
            ),
            (
                place("marac_referrals", "sealed", &[&s]),
                crate::marac::details_place(id),
            ),
            (
                place("marac_actions", "description", &[&s]),
                crate::marac::action_place(id),
            ),
            (
                place("enrolments", "priority_reason", &[&s]),
                crate::enrolments::priority_place(EnrolmentId::from_uuid(id)),
            ),
            (
                place("programme_sessions", "place", &[&s]),
                crate::programme_sessions::place_place(SessionId::from_uuid(id)),
            ),
            (
                place("programme_sessions", "topics", &[&s]),
                crate::programme_sessions::topics_place(SessionId::from_uuid(id)),
            ),
        ];
        assert_eq!(
            written.len(),
            SEALED.len(),
            "every listed column is checked"
        );
        for (listed, writer) in written {
            assert_eq!(listed, writer);
        }
    }
}
