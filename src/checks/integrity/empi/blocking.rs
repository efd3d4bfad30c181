//! Blocking pushed into SQL: candidate pairs are the pairs of rows that
//! share a blocking key, written per engine as a self-join the database
//! plans (hash or index join), streamed back pair by pair. A pair found by
//! an earlier key is not returned again by a later one, and a key shared by
//! more than [`MAX_BLOCK`] rows (a placeholder phone, a default birth date)
//! pairs nothing: such a block is not one person and would be quadratic.

use crate::config::Engine;
use crate::config::integrity::{EmpiSpec, IntegrityRule};

use super::super::sql::{self, Sql};
use super::compare::Field;
use super::person::FIELDS;

/// Rows sharing one blocking key beyond which the key pairs nothing.
pub const MAX_BLOCK: usize = 200;

/// One blocking key: its SQL expression and the fields it makes agree.
pub struct BlockingKey {
    pub expr: String,
    pub fields: Vec<Field>,
}

/// Lower-cased, trimmed text, NULL when blank.
fn clean(e: Engine, col: &str) -> String {
    format!("NULLIF(LOWER(TRIM({})), '')", sql::text(e, col))
}

/// Values joined with `|`, NULL when any is NULL.
fn concat(e: Engine, parts: &[String]) -> String {
    match e {
        Engine::MySql => format!("CONCAT({})", parts.join(", '|', ")),
        Engine::Postgres | Engine::Sqlite => parts.join(" || '|' || "),
    }
}

/// Phone digits without the usual separators, NULL when under 7 digits.
fn phone_digits(e: Engine, col: &str) -> String {
    let mut d = format!("TRIM({})", sql::text(e, col));
    for sep in [" ", "-", "(", ")", ".", "+", "/"] {
        d = format!("REPLACE({d}, '{sep}', '')");
    }
    format!("CASE WHEN LENGTH({d}) >= 7 THEN {d} END")
}

/// The eight digits `YYYYMMDD` of a date written `YYYY-MM-DD`,
/// `YYYYMMDD` or with a time after it.
fn date_digits(dob: &str) -> String {
    format!("REPLACE(SUBSTR({dob}, 1, 10), '-', '')")
}

/// Birth year with day and month in either order: a date and its
/// day/month swap share it (the exact date is an earlier key).
fn dob_unordered(e: Engine, dob: &str) -> String {
    let d = date_digits(dob);
    let (m, day) = (format!("SUBSTR({d}, 5, 2)"), format!("SUBSTR({d}, 7, 2)"));
    let (md, dm) = (
        concat(e, &[m.clone(), day.clone()]),
        concat(e, &[day.clone(), m.clone()]),
    );
    let pair = format!("CASE WHEN {m} <= {day} THEN {md} ELSE {dm} END");
    concat(e, &[format!("SUBSTR({d}, 1, 4)"), pair])
}

/// The blocking keys the mapped columns allow, in the order they run.
/// Each is selective on its own; together they leave a duplicate unpaired
/// only when it differs in every one (FEBRL-style records corrupt two or
/// three fields, so one exact field rarely survives: hence several).
pub fn keys(e: Engine, s: &EmpiSpec) -> Vec<BlockingKey> {
    let col = |i: &crate::config::integrity::Ident| sql::ident(e, i);
    let p = &s.person;
    let dob = format!("NULLIF({}, '0000-00-00')", clean(e, &col(&p.birth_date)));
    let given = clean(e, &col(&p.given));
    let family = clean(e, &col(&p.family));
    let initial = |name: &str| format!("SUBSTR({name}, 1, 1)");
    let key = |expr: String, fields: &[Field]| BlockingKey {
        expr,
        fields: fields.to_vec(),
    };
    let mut keys = vec![key(dob.clone(), &[Field::BirthDate])];
    if let Some(phone) = &p.phone {
        keys.push(key(phone_digits(e, &col(phone)), &[Field::Phone]));
    }
    if let Some(postal) = &p.postal_code {
        let postal = clean(e, &col(postal));
        keys.push(key(
            concat(e, &[postal.clone(), initial(&given)]),
            &[Field::Postal],
        ));
        keys.push(key(
            concat(e, &[postal, initial(&family)]),
            &[Field::Postal],
        ));
    }
    keys.push(key(
        concat(e, &[given.clone(), family.clone()]),
        &[Field::Given, Field::Family],
    ));
    if let Some(address) = &p.address {
        // A household shares it, so it is one small block; a nursing
        // home's is over the cap and pairs nothing.
        keys.push(key(clean(e, &col(address)), &[Field::Address]));
    }
    keys.extend(date_keys(e, &dob, &given, &family));
    keys
}

/// Keys around the birth date when it is not exact: a day/month swap, and
/// each name with the birth day and month (a mistyped year).
fn date_keys(e: Engine, dob: &str, given: &str, family: &str) -> [BlockingKey; 3] {
    let day_month = format!("SUBSTR({}, 5, 4)", date_digits(dob));
    [
        BlockingKey {
            expr: dob_unordered(e, dob),
            fields: vec![Field::BirthDate],
        },
        BlockingKey {
            expr: concat(e, &[family.to_string(), day_month.clone()]),
            fields: vec![Field::Family],
        },
        BlockingKey {
            expr: concat(e, &[given.to_string(), day_month]),
            fields: vec![Field::Given],
        },
    ]
}

/// The person columns as text, in [`Person::from_cells`] order.
fn projection(e: Engine, s: &EmpiSpec) -> Vec<String> {
    let p = &s.person;
    let cols = [
        Some(&p.given),
        Some(&p.family),
        Some(&p.birth_date),
        p.sex.as_ref(),
        p.phone.as_ref(),
        p.postal_code.as_ref(),
        p.address.as_ref(),
        p.city.as_ref(),
        p.identifier.as_ref(),
        s.lineage.as_ref(),
    ];
    debug_assert_eq!(cols.len(), FIELDS);
    cols.iter()
        .map(|c| match c {
            Some(c) => sql::text(e, &sql::ident(e, c)),
            None => sql::text(e, "NULL"),
        })
        .collect()
}

/// `WITH hc_scope AS (…)`: every row in scope (the CTE names carry a
/// prefix so that a watched table called `p` or `q` is not taken for one) with its key, person columns
/// `c0…c9` and blocking keys `b0…`, each NULL in a block over [`MAX_BLOCK`].
pub fn scope(e: Engine, rule: &IntegrityRule, s: &EmpiSpec, keys: &[BlockingKey]) -> String {
    let mut cols = vec![format!("{} AS k", sql::text(e, &sql::ident(e, &s.key)))];
    cols.extend(
        projection(e, s)
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c} AS c{i}")),
    );
    cols.extend(
        keys.iter()
            .enumerate()
            .map(|(i, k)| format!("{} AS r{i}", k.expr)),
    );
    let capped: Vec<String> = (0..keys.len())
        .map(|i| {
            format!(
                "CASE WHEN COUNT(*) OVER (PARTITION BY r{i}) <= {MAX_BLOCK} THEN r{i} END AS b{i}"
            )
        })
        .collect();
    let person: Vec<String> = (0..FIELDS).map(|i| format!("c{i}")).collect();
    format!(
        "WITH hc_rows AS (SELECT {} FROM {} WHERE {}), \
         hc_scope AS (SELECT k, {}, {} FROM hc_rows)",
        cols.join(", "),
        sql::table(e, &rule.table),
        sql::filter(&rule.filter),
        person.join(", "),
        capped.join(", ")
    )
}

/// The columns of one side of a pair: key, then person columns.
fn side(alias: &str) -> String {
    let mut c = vec![format!("{alias}.k")];
    c.extend((0..FIELDS).map(|i| format!("{alias}.c{i}")));
    c.join(", ")
}

/// Pairs sharing key `i` and no earlier key: `(a.k, a.c0…, b.k, b.c0…)`.
pub fn pairs(e: Engine, scope: &str, i: usize) -> Sql {
    let mut q = Sql::new(e);
    let earlier: Vec<String> = (0..i)
        .map(|j| format!(" AND (a.b{j} IS NULL OR b.b{j} IS NULL OR a.b{j} <> b.b{j})"))
        .collect();
    q.push(&format!(
        "{scope} SELECT {}, {} FROM hc_scope a JOIN hc_scope b ON a.b{i} = b.b{i} AND a.k < b.k{}",
        side("a"),
        side("b"),
        earlier.concat()
    ));
    q
}

/// Every row in scope ordered by birth year, with its SQL blocking keys,
/// for the phonetic keys computed in Rust: `(k, c0…c9, b0…, year)`.
pub fn by_year(e: Engine, scope: &str, keys: usize) -> Sql {
    let mut q = Sql::new(e);
    let b: Vec<String> = (0..keys).map(|i| format!("b{i}")).collect();
    q.push(&format!(
        "{scope}, hc_years AS (SELECT {}, {}, SUBSTR(c2, 1, 4) AS yr FROM hc_scope) \
         SELECT * FROM hc_years WHERE yr IS NOT NULL AND yr <> '' AND yr <> '0000' ORDER BY yr",
        side("hc_scope").replace("hc_scope.", ""),
        b.join(", ")
    ));
    q
}

/// The rows in scope, counted.
pub fn count(e: Engine, rule: &IntegrityRule) -> Sql {
    let mut q = Sql::new(e);
    q.push(&format!(
        "SELECT {} FROM {} WHERE {}",
        sql::bigint(e, "COUNT(*)"),
        sql::table(e, &rule.table),
        sql::filter(&rule.filter)
    ));
    q
}

/// A random sample of rows in scope (all of them when there are few), for `u`.
pub fn sample(e: Engine, rule: &IntegrityRule, s: &EmpiSpec, n: usize) -> Sql {
    let random = match e {
        Engine::MySql => "RAND()",
        Engine::Postgres | Engine::Sqlite => "RANDOM()",
    };
    let mut cols = vec![sql::text(e, &sql::ident(e, &s.key))];
    cols.extend(projection(e, s));
    let mut q = Sql::new(e);
    q.push(&format!(
        "SELECT {} FROM {} WHERE {} ORDER BY {random} LIMIT {n}",
        cols.join(", "),
        sql::table(e, &rule.table),
        sql::filter(&rule.filter)
    ));
    q
}
