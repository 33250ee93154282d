//! Each case's next due as the database keeps it (migration 0018): a date, or unknown since a
//! record it is worked out from changed. What falls due is the app's rule; this reads the
//! unknown cases and writes a worked-out date only where the case's version is still the one
//! read, so a change made while it was worked out is never covered by a date from before it.

use crate::access::WholeTeams;
use crate::{row, Result, Store};
use hearth_domain::clock::{to_unix, Timestamp};
use hearth_domain::ids::{OrgId, UserId};
use sqlx::AnyConnection;
use std::collections::{HashMap, HashSet};
use time::Date;
use uuid::Uuid;

/// Kept for a case with nothing due at all: later than any date, so it never falls in a list.
pub const NOTHING_DUE: &str = "9999-12-31";

/// An open case whose next due is not known, at the version it was read at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unknown {
    pub org_id: OrgId,
    pub case_id: Uuid,
    pub version: i64,
}

/// Up to `limit` open cases whose next due is not known, an organisation's together.
pub async fn unknown(conn: &mut AnyConnection, limit: usize) -> Result<Vec<Unknown>> {
    let sql = format!(
        "SELECT org_id, id, due_version FROM cases WHERE next_due_on IS NULL AND status = 'open' \
         ORDER BY org_id LIMIT {limit}"
    );
    sqlx::query(&sql)
        .fetch_all(conn)
        .await?
        .iter()
        .map(|r| {
            Ok(Unknown {
                org_id: row::org_id(r, "org_id")?,
                case_id: row::id(r, "id")?,
                version: row::int(r, "due_version")?,
            })
        })
        .collect()
}

/// One item of a case's due list as kept: enough to count it and place it on any later day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptItem {
    /// The kind's code, as the due list names it.
    pub kind: &'static str,
    pub due_on: Date,
    /// Overdue once it is later than this (a first contact's deadline); else from the day
    /// after `due_on`.
    pub overdue_after: Option<Timestamp>,
    /// A planned session: to be recorded (kind `session_record`) from this moment.
    pub recorded_from: Option<Timestamp>,
    /// Listed whatever its date (a session to record, a safety check, news to pass on); else
    /// only when overdue or due within the look-ahead.
    pub always_listed: bool,
    pub other_agency: bool,
}

/// Keep these worked-out items (and so the case's next due, the earliest of them), each case
/// only if it is unchanged since it was read; how many cases were kept. `together` writes them
/// in one transaction, for a bulk load with nothing else writing; otherwise each case is its
/// own, so the work never holds one case while waiting for another that a writer holds.
pub async fn keep(
    store: &Store,
    worked: &[(Unknown, Vec<KeptItem>)],
    together: bool,
) -> Result<usize> {
    let mut kept = 0;
    let mut tx = store.begin().await?;
    for (i, (u, items)) in worked.iter().enumerate() {
        let on = items
            .iter()
            .map(|i| i.due_on)
            .min()
            .map_or(NOTHING_DUE.to_string(), hearth_domain::ukdate::iso);
        let done = sqlx::query(
            "UPDATE cases SET next_due_on = $1 \
             WHERE id = $2 AND due_version = $3 AND next_due_on IS NULL",
        )
        .bind(on)
        .bind(u.case_id.to_string())
        .bind(u.version)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 1 {
            kept += 1;
            sqlx::query("DELETE FROM case_due_items WHERE case_id = $1")
                .bind(u.case_id.to_string())
                .execute(&mut *tx)
                .await?;
            for item in items {
                sqlx::query(
                    "INSERT INTO case_due_items (case_id, org_id, kind, due_on, overdue_after, \
                     recorded_from, always_listed, other_agency) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(u.case_id.to_string())
                .bind(u.org_id.to_string())
                .bind(item.kind)
                .bind(hearth_domain::ukdate::iso(item.due_on))
                .bind(item.overdue_after.map(to_unix))
                .bind(item.recorded_from.map(to_unix))
                .bind(i64::from(item.always_listed))
                .bind(i64::from(item.other_agency))
                .execute(&mut *tx)
                .await?;
            }
        }
        if !together && i + 1 < worked.len() {
            tx.commit().await?;
            tx = store.begin().await?;
        }
    }
    tx.commit().await?;
    Ok(kept)
}

/// The day a manager's list is read on, and what it keeps.
#[derive(Debug, Clone, Copy)]
pub struct Asked {
    pub now: Timestamp,
    pub today: Date,
    /// The last day of the look-ahead.
    pub until: Date,
    /// Only items of this kind (its code), or of every kind.
    pub kind: Option<&'static str>,
    pub overdue_only: bool,
}

/// The kind of a kept item on the day asked: a planned session whose time has come is one to
/// record.
const KIND: &str = "(CASE WHEN i.recorded_from IS NOT NULL AND i.recorded_from <= $2 \
     THEN 'session_record' ELSE i.kind END)";
/// Whether a kept item is overdue on the day asked.
const OVERDUE: &str = "(CASE WHEN i.overdue_after IS NOT NULL \
     THEN (CASE WHEN i.overdue_after < $2 THEN 1 ELSE 0 END) \
     WHEN i.due_on < $3 THEN 1 ELSE 0 END)";

/// The kept items of the whole teams' known cases that a list made on the day shows, with
/// their parameters from `$1` (the organisation, the moment, today, the look-ahead's end).
fn listed_from(teams: &WholeTeams) -> (String, Vec<String>) {
    let ids: Vec<String> = (0..teams.teams().len())
        .map(|k| format!("${}", k + 5))
        .collect();
    let team_list = if ids.is_empty() {
        "NULL".to_string()
    } else {
        ids.join(", ")
    };
    let sql = format!(
        "case_due_items i JOIN cases c ON c.id = i.case_id \
         WHERE i.org_id = $1 AND c.org_id = $1 AND c.status = 'open' \
         AND c.team_id IN ({team_list}) \
         AND c.next_due_on IS NOT NULL AND c.next_due_on <= $4 \
         AND ({OVERDUE} = 1 OR i.due_on <= $4 OR i.always_listed = 1 \
              OR (i.recorded_from IS NOT NULL AND i.recorded_from <= $2))"
    );
    let mut params = vec![teams.org_id().to_string()];
    params.extend(teams.teams().iter().map(|t| t.to_string()));
    (sql, params)
}

fn bound<'q>(
    sql: &'q str,
    asked: &Asked,
    params: &'q [String],
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    let mut q = sqlx::query(sql)
        .bind(params[0].clone())
        .bind(to_unix(asked.now))
        .bind(hearth_domain::ukdate::iso(asked.today))
        .bind(hearth_domain::ukdate::iso(asked.until));
    for p in &params[1..] {
        q = q.bind(p.clone());
    }
    q
}

/// What a manager's list holds of one known case, from its kept items.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseCount {
    pub case_id: Uuid,
    pub reference: String,
    /// The service's own items, and how many of them are overdue.
    pub own: usize,
    pub own_overdue: usize,
    /// Own items the list keeps (its kind, or overdue only).
    pub kept: usize,
    /// Where the case comes in the list: whether a kept item is overdue, and the earliest date
    /// among the overdue kept items if so, else among all kept.
    pub first: Option<(bool, Date)>,
    /// Other agencies' MARAC actions, and where the case comes in their list, as `first` for
    /// the kept items.
    pub others: usize,
    pub others_first: Option<(bool, Date)>,
}

/// Each known case of the whole teams with anything on the list on the day asked.
pub async fn counts(
    conn: &mut AnyConnection,
    teams: &WholeTeams,
    asked: &Asked,
) -> Result<Vec<CaseCount>> {
    let (from, mut params) = listed_from(teams);
    // The kind asked for is bound after the teams; "" keeps every kind.
    let kind = format!("${}", params.len() + 4);
    params.push(asked.kind.unwrap_or_default().to_string());
    let keeps = format!(
        "(i.other_agency = 0 AND ({kind} = '' OR {KIND} = {kind}) AND ({} OR {OVERDUE} = 1))",
        if asked.overdue_only { "1 = 0" } else { "1 = 1" },
    );
    let sql = format!(
        "SELECT c.id, c.reference, \
         CAST(SUM(CASE WHEN i.other_agency = 0 THEN 1 ELSE 0 END) AS BIGINT) AS own, \
         CAST(SUM(CASE WHEN i.other_agency = 0 AND {OVERDUE} = 1 THEN 1 ELSE 0 END) AS BIGINT) \
           AS own_overdue, \
         CAST(SUM(CASE WHEN {keeps} THEN 1 ELSE 0 END) AS BIGINT) AS kept, \
         MIN(CASE WHEN {keeps} AND {OVERDUE} = 1 THEN i.due_on END) AS first_overdue, \
         MIN(CASE WHEN {keeps} THEN i.due_on END) AS first_due, \
         CAST(SUM(i.other_agency) AS BIGINT) AS others, \
         MIN(CASE WHEN i.other_agency = 1 AND {OVERDUE} = 1 THEN i.due_on END) AS others_overdue, \
         MIN(CASE WHEN i.other_agency = 1 THEN i.due_on END) AS others_due \
         FROM {from} GROUP BY c.id, c.reference"
    );
    let count = |r: &sqlx::any::AnyRow, col: &str| -> Result<usize> {
        Ok(usize::try_from(row::int(r, col)?).unwrap_or_default())
    };
    bound(&sql, asked, &params)
        .fetch_all(conn)
        .await?
        .iter()
        .map(|r| {
            let date = |col: &str| -> Result<Option<Date>> {
                Ok(row::opt_text(r, col)?.and_then(|d| hearth_domain::ukdate::from_iso(&d)))
            };
            let first = |overdue: &str, due: &str| -> Result<Option<(bool, Date)>> {
                Ok(match (date(overdue)?, date(due)?) {
                    (Some(d), _) => Some((true, d)),
                    (None, Some(d)) => Some((false, d)),
                    (None, None) => None,
                })
            };
            Ok(CaseCount {
                case_id: row::id(r, "id")?,
                reference: row::text(r, "reference")?,
                own: count(r, "own")?,
                own_overdue: count(r, "own_overdue")?,
                kept: count(r, "kept")?,
                first: first("first_overdue", "first_due")?,
                others: count(r, "others")?,
                others_first: first("others_overdue", "others_due")?,
            })
        })
        .collect()
}

/// The whole teams' own overdue items on the day asked, as a manager's home shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overdue {
    /// In all, and how many cases they are in.
    pub items: usize,
    pub cases: usize,
    /// For each worker allocated to their case (`None`: cases with nobody allocated).
    pub by_worker: Vec<(Option<(UserId, String)>, usize)>,
}

/// [`Overdue`] in the whole teams' known cases on the day asked.
pub async fn overdue_by_worker(
    conn: &mut AnyConnection,
    teams: &WholeTeams,
    asked: &Asked,
) -> Result<Overdue> {
    let (from, params) = listed_from(teams);
    // One pass over the kept items: each overdue case with its count and each worker allocated
    // to it. Working the items out once for the totals and again for the workers was most of a
    // service manager's home page.
    let sql = format!(
        "SELECT od.case_id, od.n, a.worker_id, u.display_name FROM \
         (SELECT c.id AS case_id, COUNT(*) AS n FROM {from} \
          AND i.other_agency = 0 AND {OVERDUE} = 1 GROUP BY c.id) od \
         LEFT JOIN allocations a ON a.case_id = od.case_id AND a.ended_at IS NULL \
         LEFT JOIN users u ON u.id = a.worker_id"
    );
    let mut per_case: HashMap<Uuid, usize> = HashMap::new();
    // Each case counts once for each worker allocated to it, however many people in it they
    // work with; and once, unallocated, if nobody is.
    let mut counted: HashSet<(Uuid, Option<UserId>)> = HashSet::new();
    let mut by_worker: HashMap<Option<(UserId, String)>, usize> = HashMap::new();
    for r in bound(&sql, asked, &params).fetch_all(conn).await? {
        let case_id = row::id(&r, "case_id")?;
        let n = usize::try_from(row::int(&r, "n")?).unwrap_or_default();
        per_case.insert(case_id, n);
        let who = match row::opt_text(&r, "worker_id")? {
            Some(_) => Some((
                row::user_id(&r, "worker_id")?,
                row::text(&r, "display_name")?,
            )),
            None => None,
        };
        if counted.insert((case_id, who.as_ref().map(|(id, _)| *id))) {
            *by_worker.entry(who).or_default() += n;
        }
    }
    Ok(Overdue {
        items: per_case.values().sum(),
        cases: per_case.len(),
        by_worker: by_worker.into_iter().collect(),
    })
}

/// Forget every case's next due (the rules it was worked out by have changed), and record
/// which rules the next ones are worked out by.
pub async fn forget_all(conn: &mut AnyConnection, rules: &str) -> Result<()> {
    sqlx::query(
        "UPDATE cases SET next_due_on = NULL, due_version = due_version + 1 \
         WHERE next_due_on IS NOT NULL",
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO meta (key, value) VALUES ('next_due_rules', $1) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )
    .bind(rules)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The rules the kept dates were worked out by, as [`forget_all`] last recorded them.
pub async fn rules(conn: &mut AnyConnection) -> Result<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT value FROM meta WHERE key = 'next_due_rules'")
            .fetch_optional(conn)
            .await?,
    )
}

/// A case's kept next due: `None` while unknown, else the date or [`NOTHING_DUE`].
pub async fn of_case(conn: &mut AnyConnection, case_id: Uuid) -> Result<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT next_due_on FROM cases WHERE id = $1")
            .bind(case_id.to_string())
            .fetch_optional(conn)
            .await?
            .flatten(),
    )
}
