//! Reading for many records at once. Lists such as the due list and caseloads need a few facts
//! about each of a hundred cases; asking once per case costs a round trip each, which on
//! PostgreSQL made a worker's home page take most of a second. These helpers bind the
//! identifiers into `IN (...)` lists instead, in chunks well inside both backends' limits.

use crate::Result;
use sqlx::any::AnyRow;
use sqlx::AnyConnection;
use uuid::Uuid;

/// The most values one statement binds. SQLite finds each numbered parameter's slot by walking
/// a list of the statement's parameter names, once per value bound, so a statement binding `n`
/// values costs in proportion to `n²`: measured on the generator, statements of 4,800 values
/// spent 39% of its time there. A few hundred keeps that below the cost of another statement.
pub const PARAMS_PER_STATEMENT: usize = 240;

/// Rows of `params_per_row` values that one multi-row statement carries.
pub const fn rows_per_statement(params_per_row: usize) -> usize {
    let rows = PARAMS_PER_STATEMENT / params_per_row;
    if rows == 0 {
        1
    } else {
        rows
    }
}

/// How many identifiers one `IN (...)` list binds.
pub const CHUNK: usize = PARAMS_PER_STATEMENT;

/// `$first, $first+1, ...` for an `IN (...)` list of `n` bound values. Both backends read
/// numbered parameters, so the statement stays the same on each.
pub fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `($1, ..., $k), ($k+1, ...)` for a multi-row `VALUES` of `rows` rows of `per_row` values
/// each, numbered from `$1`.
pub fn value_rows(rows: usize, per_row: usize) -> String {
    (0..rows)
        .map(|i| format!("({})", placeholders(per_row * i + 1, per_row)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Every row of `sql` for these identifiers. `sql` binds `leading` as `$1...` and writes `{ids}`
/// where the list goes; it runs once per chunk, so it must not rely on order across chunks.
pub async fn fetch_in(
    conn: &mut AnyConnection,
    sql: &str,
    leading: &[String],
    ids: &[Uuid],
) -> Result<Vec<AnyRow>> {
    let mut rows = Vec::new();
    for chunk in ids.chunks(CHUNK) {
        let sql = sql.replace("{ids}", &placeholders(leading.len() + 1, chunk.len()));
        let mut q = sqlx::query(&sql);
        for v in leading {
            q = q.bind(v.clone());
        }
        for id in chunk {
            q = q.bind(id.to_string());
        }
        rows.extend(q.fetch_all(&mut *conn).await?);
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    #[test]
    fn placeholders_number_on_from_the_first() {
        assert_eq!(super::placeholders(2, 3), "$2, $3, $4");
        assert_eq!(super::placeholders(1, 1), "$1");
    }

    #[test]
    fn value_rows_number_on_across_rows() {
        assert_eq!(super::value_rows(2, 3), "($1, $2, $3), ($4, $5, $6)");
        assert_eq!(super::value_rows(1, 1), "($1)");
    }
}
