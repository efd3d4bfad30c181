//! Duplicates: rows whose normalized match values are all equal form a
//! cluster. One statement groups the table by the match values, folds the
//! singletons into one row and returns the totals with the first clusters
//! (by smallest key), each with its keys.

use crate::config::integrity::{Ident, IntegrityRule, MatchExpr, Normalize};
use crate::config::{Engine, Tolerance};
use crate::results::{Cluster, RuleResult};
use crate::sources::{Cell, SourceError};

use super::clinics::{self, Slices};
use super::sql::{self, KEY_SEPARATOR, Sql};
use super::{Ctx, judge, samples};

pub async fn run(
    ctx: &Ctx<'_>,
    rule: &IntegrityRule,
    key: &Ident,
    matches: &[MatchExpr],
    tolerance: Tolerance,
    out: &mut RuleResult,
) -> Result<Option<Slices>, SourceError> {
    let mut q = Sql::new(ctx.engine);
    statement(&mut q, rule, key, matches, ctx.limit() + 1);
    let rows = q.rows(ctx.source).await?;
    let found = read(rows, ctx.samples)?;
    out.rows_checked = Some(found.checked);
    out.problems = Some(found.cluster_count);
    out.records_involved = Some(found.records);
    out.sample_clusters = found.clusters;
    let slices = match &rule.clinic {
        Some(c) => {
            let mut q = Sql::new(ctx.engine);
            by_clinic(&mut q, rule, c, matches);
            let tally = clinics::read(ctx.codes, q.rows(ctx.source).await?)?;
            Some(tally.into_slices(out))
        }
        None => None,
    };
    out.status = judge(
        tolerance,
        out.rows_checked.unwrap_or(0),
        out.problems.unwrap_or(0),
    );
    Ok(slices)
}

/// Per clinic value: rows with every match value present, and clusters,
/// each counted once, for the smallest clinic value among its rows
/// (blank and NULL ignored).
fn by_clinic(q: &mut Sql, rule: &IntegrityRule, clinic: &Ident, matches: &[MatchExpr]) {
    let e = q.engine;
    let (from, scope, normals) = grouping(e, rule, matches);
    let value = format!("NULLIF(TRIM({}), '')", sql::text(e, &sql::ident(e, clinic)));
    let rows = sql::bigint(e, "SUM(g.c)");
    let clusters = sql::bigint(e, "SUM(CASE WHEN g.c > 1 THEN 1 ELSE 0 END)");
    q.push(&format!(
        "SELECT g.v, {rows}, {clusters} FROM (SELECT MIN({value}) AS v, COUNT(*) AS c \
         FROM {from} WHERE {scope} GROUP BY {normals}) g GROUP BY g.v"
    ));
}

/// The table, the rows taking part and the grouping by match values.
fn grouping(e: Engine, rule: &IntegrityRule, matches: &[MatchExpr]) -> (String, String, String) {
    let normals: Vec<String> = matches.iter().map(|m| normalized(e, m)).collect();
    let mut scope = vec![sql::filter(&rule.filter)];
    scope.extend(normals.iter().zip(matches).map(|(n, m)| present(n, m)));
    (
        sql::table(e, &rule.table),
        scope.join(" AND "),
        normals.join(", "),
    )
}

/// The normalized value of one match expression.
fn normalized(e: Engine, m: &MatchExpr) -> String {
    let col = sql::ident(e, &m.column);
    // PostgreSQL's text functions need text; MySQL and SQLite convert.
    let as_text = match e {
        Engine::Postgres => sql::text(e, &col),
        Engine::MySql | Engine::Sqlite => col.clone(),
    };
    match m.normalize {
        Normalize::Exact => col,
        Normalize::LowerTrim => format!("LOWER(TRIM({as_text}))"),
        Normalize::Initial => format!("LOWER(SUBSTR(TRIM({as_text}), 1, 1))"),
        Normalize::Date => match e {
            Engine::Postgres => format!("CAST({col} AS DATE)"),
            Engine::MySql | Engine::Sqlite => format!("DATE({col})"),
        },
    }
}

/// Rows take part only when every match value is present (not NULL, and
/// not blank for text).
fn present(normal: &str, m: &MatchExpr) -> String {
    if m.normalize.is_text() {
        format!("{normal} <> ''")
    } else {
        format!("{normal} IS NOT NULL")
    }
}

fn statement(q: &mut Sql, rule: &IntegrityRule, key: &Ident, matches: &[MatchExpr], limit: usize) {
    let e = q.engine;
    let (from, scope, normals) = grouping(e, rule, matches);
    let k = sql::ident(e, key);
    let list = sql::key_list(e, &k);
    let fold = "CASE WHEN g.c > 1 THEN g.k1 END";
    let checked = sql::bigint(e, "SUM(x.n) OVER ()");
    let clusters = sql::bigint(e, "SUM(CASE WHEN x.k IS NULL THEN 0 ELSE 1 END) OVER ()");
    let records = sql::bigint(e, "SUM(CASE WHEN x.k IS NULL THEN 0 ELSE x.n END) OVER ()");
    let n = sql::bigint(e, "SUM(g.c)");
    let key_text = sql::text(e, "x.k");
    q.push(&format!(
        "SELECT {key_text}, x.ks, x.n, {checked}, {clusters}, {records} \
         FROM (SELECT {fold} AS k, MAX(CASE WHEN g.c > 1 THEN g.ks END) AS ks, {n} AS n \
         FROM (SELECT MIN({k}) AS k1, {list} AS ks, COUNT(*) AS c FROM {from} \
         WHERE {scope} GROUP BY {normals}) g GROUP BY {fold}) x \
         ORDER BY CASE WHEN x.k IS NULL THEN 0 ELSE 1 END, x.k LIMIT {limit}"
    ));
}

struct Found {
    checked: i64,
    cluster_count: i64,
    records: i64,
    clusters: Vec<Cluster>,
}

/// Reads `(first key, key list, size, checked, clusters, records)` rows; the
/// row without a key stands for all the singletons.
fn read(rows: Vec<Vec<Cell>>, keep: usize) -> Result<Found, SourceError> {
    let mut found = Found {
        checked: 0,
        cluster_count: 0,
        records: 0,
        clusters: Vec::new(),
    };
    for row in rows {
        let [first, list, size, checked, clusters, records] = <[Cell; 6]>::try_from(row)
            .map_err(|r| SourceError::Shape(format!("expected 6 columns, got {}", r.len())))?;
        found.checked = sql::int(checked)?;
        found.cluster_count = sql::int(clusters)?;
        found.records = sql::int(records)?;
        if matches!(first, Cell::Null) || found.clusters.len() >= keep {
            continue;
        }
        let size = sql::int(size)?;
        let mut keys: Vec<String> = sql::key(list)
            .unwrap_or_default()
            .split(KEY_SEPARATOR)
            .filter(|k| !k.is_empty())
            .map(str::to_string)
            .collect();
        // A list cut short by the engine's length limit may end in half a key.
        if (keys.len() as i64) < size {
            keys.pop();
        }
        samples::sort(&mut keys);
        keys.truncate(keep);
        found.clusters.push(Cluster { size, keys });
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn singletons_fold_into_one_row_and_clusters_list_their_keys() {
        let row = |first: Cell, list: &str, size: i64| {
            vec![
                first,
                Cell::Text(list.into()),
                Cell::Int(size),
                Cell::Int(100),
                Cell::Int(2),
                Cell::Int(5),
            ]
        };
        let sep = KEY_SEPARATOR;
        let rows = vec![
            row(Cell::Null, "", 95),
            row(Cell::Text("4".into()), &format!("40{sep}4"), 2),
            row(Cell::Text("7".into()), &format!("7{sep}70{sep}12"), 3),
        ];
        let found = read(rows, 20).unwrap();
        assert_eq!(
            (found.checked, found.cluster_count, found.records),
            (100, 2, 5)
        );
        assert_eq!(found.clusters[0].keys, ["4", "40"]);
        assert_eq!(found.clusters[1].keys, ["7", "12", "70"]);
        assert_eq!(found.clusters[1].size, 3);
    }
}
