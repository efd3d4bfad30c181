//! Overlays: a migrated record whose identity disagrees with the legacy
//! record it came from (another birth date and another sex, or another
//! name and birth date). The migration wrote one person's demographics
//! over another's chart, so results land in the wrong chart: the most
//! serious finding of the rule.
//!
//! The target's migrated rows are read a page at a time in key order, and
//! each page's legacy records are fetched by key from the legacy source:
//! memory holds one page, whatever the table's size, and the two systems
//! need not share a database.

use crate::config::Engine;
use crate::config::integrity::empi::LegacyTable;
use crate::config::integrity::{EmpiSpec, IntegrityRule, PersonColumns};
use crate::sources::{SourceError, SqlSource};

use super::super::sql;
use super::compare::{Field, Pattern, compare};
use super::person::Person;

/// Migrated rows compared per round trip.
const PAGE: usize = 500;

/// What the comparison found.
#[derive(Debug, Default)]
pub struct Overlays {
    /// Migrated rows whose legacy record was found and compared.
    pub compared: u64,
    pub count: u64,
    /// The first overlaid target keys, in key order.
    pub sample: Vec<String>,
}

/// Whether a target record and its legacy record are two people: at least
/// two of name, birth date and sex disagree outright (a typo, a swapped
/// day and month, a nickname or a married name is not disagreement).
pub fn is_overlay(p: &Pattern) -> bool {
    let name = p[0] == Field::Given.different() || p[1] == Field::Family.different();
    let dob = p[2] == Field::BirthDate.different();
    let sex = p[3] == Field::Sex.different();
    [name, dob, sex].into_iter().filter(|d| *d).count() >= 2
}

/// Compares every migrated row of the rule's table with its legacy record.
pub async fn find(
    target: &SqlSource,
    legacy: &SqlSource,
    rule: &IntegrityRule,
    spec: &EmpiSpec,
    from: &LegacyTable,
    samples: usize,
) -> Result<Overlays, SourceError> {
    let Some(lineage) = &spec.lineage else {
        return Ok(Overlays::default());
    };
    let mut found = Overlays::default();
    let mut after: Option<String> = None;
    loop {
        let e = target.engine();
        let text = page(e, rule, spec, lineage, after.as_deref());
        let rows = target.fetch_text(text).await?;
        let Some(last) = rows.last().and_then(|r| r.first().cloned().flatten()) else {
            break;
        };
        let migrated: Vec<(String, String, Person)> = rows
            .into_iter()
            .filter_map(|mut r| {
                let key = r.first_mut()?.take()?;
                let lin = r.get_mut(5)?.take()?.trim().to_string();
                Some((key.clone(), lin, Person::from_cells(key, r.get(1..5)?)))
            })
            .collect();
        let full = migrated.len() == PAGE;
        compare_page(legacy, from, migrated, samples, &mut found).await?;
        if !full {
            break;
        }
        after = Some(last);
    }
    Ok(found)
}

/// Fetches a page's legacy records and compares each migrated row with its own.
async fn compare_page(
    legacy: &SqlSource,
    from: &LegacyTable,
    migrated: Vec<(String, String, Person)>,
    samples: usize,
    found: &mut Overlays,
) -> Result<(), SourceError> {
    let keys: Vec<&str> = migrated.iter().map(|(_, l, _)| l.as_str()).collect();
    let rows = legacy
        .fetch_text(by_keys(legacy.engine(), from, &keys))
        .await?;
    let mut old = std::collections::HashMap::with_capacity(rows.len());
    for mut r in rows {
        let Some(key) = r.first_mut().and_then(Option::take) else {
            continue;
        };
        let p = Person::from_cells(key.trim().to_string(), r.get(1..).unwrap_or(&[]));
        old.insert(p.key.clone(), p);
    }
    for (key, lin, now) in migrated {
        let Some(was) = old.get(&lin) else { continue };
        found.compared += 1;
        if is_overlay(&compare(&now, was)) {
            found.count += 1;
            if found.sample.len() < samples {
                found.sample.push(key);
            }
        }
    }
    Ok(())
}

/// Compares migrated rows with their legacy records: any overlay fails
/// the rule, whatever the tolerance on clusters.
pub(super) async fn apply(
    ctx: &super::super::Ctx<'_>,
    rule: &IntegrityRule,
    spec: &EmpiSpec,
    from: &LegacyTable,
    out: &mut crate::results::RuleResult,
) -> Result<(), SourceError> {
    let Some(legacy) = ctx.sources.sql(&from.from) else {
        return Err(SourceError::Shape(format!(
            "legacy source `{}` is not a SQL source",
            from.from
        )));
    };
    let found = find(ctx.source, &legacy, rule, spec, from, ctx.samples).await?;
    if found.count > 0 {
        out.status = crate::results::Outcome::Fail;
    }
    if let Some(classes) = &mut out.migration_classes {
        classes.overlays = Some(i64::try_from(found.count).unwrap_or(i64::MAX));
        classes.sample_overlays = found.sample;
    }
    Ok(())
}

/// Given, family, birth date and sex as text, in `Person::from_cells` order.
fn identity(e: Engine, p: &PersonColumns) -> Vec<String> {
    let col = |c: Option<&crate::config::integrity::Ident>| match c {
        Some(c) => sql::text(e, &sql::ident(e, c)),
        None => sql::text(e, "NULL"),
    };
    vec![
        col(Some(&p.given)),
        col(Some(&p.family)),
        col(Some(&p.birth_date)),
        col(p.sex.as_ref()),
    ]
}

/// One page of migrated rows after key `after`: key, identity, lineage.
fn page(
    e: Engine,
    rule: &IntegrityRule,
    spec: &EmpiSpec,
    lineage: &crate::config::integrity::Ident,
    after: Option<&str>,
) -> String {
    let key = sql::ident(e, &spec.key);
    let lin = sql::ident(e, lineage);
    let mut cols = vec![sql::text(e, &key)];
    cols.extend(identity(e, &spec.person));
    cols.push(sql::text(e, &lin));
    let after = after.map_or(String::new(), |a| format!(" AND {key} > {}", literal(e, a)));
    // Aliased, so that ORDER BY reads the key column itself: PostgreSQL
    // names `CAST("pid" AS TEXT)` `pid` and would sort by the text.
    let cols: Vec<String> = cols
        .iter()
        .enumerate()
        .map(|(i, c)| format!("{c} AS o{i}"))
        .collect();
    format!(
        "SELECT {} FROM {} WHERE ({}) AND {lin} IS NOT NULL{after} ORDER BY {key} LIMIT {PAGE}",
        cols.join(", "),
        sql::table(e, &rule.table),
        sql::filter(&rule.filter),
    )
}

/// The legacy records of `keys`: key, identity.
fn by_keys(e: Engine, from: &LegacyTable, keys: &[&str]) -> String {
    let key = sql::ident(e, &from.key);
    let mut cols = vec![sql::text(e, &key)];
    cols.extend(identity(e, &from.person));
    let list: Vec<String> = keys.iter().map(|k| literal(e, k)).collect();
    format!(
        "SELECT {} FROM {} WHERE {key} IN ({})",
        cols.join(", "),
        sql::table(e, &from.table),
        list.join(", ")
    )
}

/// A record key as a SQL literal. Keys are written into the text, not
/// bound: an untyped literal takes the column's type (an integer key keeps
/// its index), where a bound text value would not compare with an integer
/// column on PostgreSQL. The statement log shows only the text's shape.
fn literal(e: Engine, v: &str) -> String {
    let mut s = v.replace('\'', "''");
    if e == Engine::MySql {
        // MySQL reads backslash escapes in literals by default.
        s = s.replace('\\', "\\\\");
    }
    format!("'{s}'")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(cells: &[&str]) -> Person {
        let c: Vec<Option<String>> = cells.iter().map(|s| Some(s.to_string())).collect();
        Person::from_cells("k".into(), &c)
    }

    #[test]
    fn two_identity_disagreements_make_an_overlay() {
        let was = person(&["Maria", "Lopez", "1970-03-04", "F"]);
        let other = |c: &[&str]| is_overlay(&compare(&person(c), &was));
        assert!(other(&["Maria", "Lopez", "1988-11-20", "M"]));
        assert!(other(&["Tomas", "Lopez", "1988-11-20", "F"]));
        assert!(other(&["Maria", "Okafor", "1988-11-20", "F"]));
        assert!(other(&["Tomas", "Lopez", "1970-03-04", "M"]));
        // One disagreement, or slips, are not two people.
        assert!(!other(&["Maria", "Lopez", "1988-11-20", "F"]));
        assert!(!other(&["Mary", "Lopez", "1970-04-03", "M"]));
        assert!(!other(&["Maria", "Lopez-Smith", "1970-03-05", "F"]));
        assert!(!other(&["Maria", "Lopez", "1970-03-04", "F"]));
    }

    #[test]
    fn keys_are_quoted_as_literals() {
        assert_eq!(literal(Engine::Postgres, "o'k"), "'o''k'");
        assert_eq!(literal(Engine::MySql, "a\\'"), "'a\\\\'''");
    }
}
