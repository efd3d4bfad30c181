//! The SQL a keyed diff runs on each side, built from validated identifiers
//! and the column classes both sides agree on.

use super::hashing::{Position, encoded_row, term};
use super::normalize::{Class, checksum, classify, pair, quote, render, with_rules};

use crate::config::{ColumnRule, Engine, KeyedConfig, KeyedSide};
use crate::sources::ColumnInfo;

/// How key parts compare: integers by value, anything else by bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    Int,
    Text,
}

/// One side's statements.
#[derive(Debug, Clone)]
pub struct SidePlan {
    pub engine: Engine,
    pub(super) from: String,
    pub(super) filter: String,
    /// The first key column as stored, for range predicates on integer keys.
    pub(super) first_key: String,
    pub(super) select: String,
    /// Key texts and a 64-bit row hash, for streaming hashes instead of rows.
    select_hashed: Option<String>,
    pub(super) order_by: String,
    pub(super) encoded_row: String,
    /// The last-changed column, quoted, for incremental runs.
    updated: Option<String>,
    /// The clinic id's text (the last compared column), when attributed.
    clinic: Option<String>,
}

/// Both sides, and what the columns mean.
#[derive(Debug, Clone)]
pub struct Plan {
    pub source: SidePlan,
    pub target: SidePlan,
    pub key_kinds: Vec<KeyKind>,
    /// Source column names, for naming changed columns.
    pub columns: Vec<String>,
    /// Whether segments can be checksummed in the databases (both have MD5
    /// and the first key part is an integer); otherwise rows are streamed.
    pub checksums: bool,
    /// The class each key part and column is compared in, in order.
    pub classes: Vec<Class>,
}

/// One compared position (key part or column): the class each side holds
/// it in natively, the class both compare it in, and its rules.
struct Common<'a> {
    source: Class,
    target: Class,
    to: Class,
    rules: &'a [ColumnRule],
    /// Whether each side's text is stored as UTF-8 (hashed without a cast).
    utf8: (bool, bool),
}

/// Whether position `i` of a side is a SQL expression (compared as text).
fn is_expression(side: &KeyedSide, k: usize, i: usize) -> bool {
    i >= k && side.expressions.contains_key(&side.columns[i - k])
}

/// Builds the plan from both sides' declared column types (key columns
/// first, then compared columns, in config order).
pub fn plan(
    cfg: &KeyedConfig,
    engines: (Engine, Engine),
    types: (&[ColumnInfo], &[ColumnInfo]),
) -> Plan {
    let (s, t) = (&cfg.source, &cfg.target);
    let k = s.key.len();
    let common = common_classes(cfg, engines, types);
    let key_kinds: Vec<KeyKind> = common[..k]
        .iter()
        .map(|c| {
            if c.source == Class::Int && c.target == Class::Int {
                KeyKind::Int
            } else {
                KeyKind::Text
            }
        })
        .collect();
    let source = side_plan(engines.0, s, true, &common, &key_kinds);
    let target = side_plan(engines.1, t, false, &common, &key_kinds);
    let checksums = key_kinds[0] == KeyKind::Int
        && checksum(engines.0, "x").is_some()
        && checksum(engines.1, "x").is_some();
    Plan {
        source,
        target,
        key_kinds,
        columns: s.columns.clone(),
        checksums,
        classes: common.iter().map(|c| c.to).collect(),
    }
}

/// The classes both sides compare each position in.
fn common_classes<'a>(
    cfg: &'a KeyedConfig,
    engines: (Engine, Engine),
    types: (&[ColumnInfo], &[ColumnInfo]),
) -> Vec<Common<'a>> {
    let (s, t) = (&cfg.source, &cfg.target);
    let k = s.key.len();
    let classes = |engine, types: &[ColumnInfo], side: &KeyedSide| -> Vec<Class> {
        types
            .iter()
            .enumerate()
            .map(|(i, ti)| {
                if is_expression(side, k, i) {
                    Class::Text
                } else {
                    classify(engine, ti)
                }
            })
            .collect()
    };
    let (sc, tc) = (
        classes(engines.0, types.0, s),
        classes(engines.1, types.1, t),
    );
    // A side whose column is a SQL expression takes the other side's class.
    let native = |mine: &[Class], other: &[Class], side: &KeyedSide, i: usize| {
        if is_expression(side, k, i) {
            other[i]
        } else {
            mine[i]
        }
    };
    let utf8 = |engine, info: &ColumnInfo, side: &KeyedSide, i: usize| match engine {
        Engine::Postgres => true,
        Engine::MySql => {
            !is_expression(side, k, i)
                && info
                    .charset
                    .as_deref()
                    .is_some_and(|c| c.starts_with("utf8"))
        }
        Engine::Sqlite => false,
    };
    (0..sc.len())
        .map(|i| {
            let (a, b) = (native(&sc, &tc, s, i), native(&tc, &sc, t, i));
            let rules = if i >= k {
                cfg.rules.get(&(i - k)).map(Vec::as_slice).unwrap_or(&[])
            } else {
                &[]
            };
            Common {
                source: a,
                target: b,
                to: with_rules(pair(a, b), rules),
                rules,
                utf8: (
                    utf8(engines.0, &types.0[i], s, i),
                    utf8(engines.1, &types.1[i], t, i),
                ),
            }
        })
        .collect()
}

/// One side's statements.
fn side_plan(
    engine: Engine,
    side: &KeyedSide,
    source_side: bool,
    common: &[Common],
    key_kinds: &[KeyKind],
) -> SidePlan {
    let k = key_kinds.len();
    let refs: Vec<String> = side
        .key
        .iter()
        .map(|c| quote(engine, c))
        .chain(side.columns.iter().map(|c| match side.expressions.get(c) {
            Some(expr) => format!("({expr})"),
            None => quote(engine, c),
        }))
        .collect();
    let texts: Vec<String> = refs
        .iter()
        .zip(common)
        .map(|(r, c)| {
            let native = if source_side { c.source } else { c.target };
            render(engine, r, native, c.to, c.rules)
        })
        .collect();
    let order: Vec<String> = refs[..k]
        .iter()
        .zip(&texts[..k])
        .zip(key_kinds)
        .map(|((raw, text), kind)| match (kind, engine) {
            (KeyKind::Int, _) => raw.clone(),
            (KeyKind::Text, Engine::Postgres) => format!("{text} COLLATE \"C\""),
            (KeyKind::Text, Engine::MySql) => format!("CAST({text} AS BINARY)"),
            (KeyKind::Text, Engine::Sqlite) => format!("{text} COLLATE BINARY"),
        })
        .collect();
    let terms: Vec<_> = refs
        .iter()
        .zip(common)
        .map(|(r, c)| {
            let p = Position {
                value: r,
                native: if source_side { c.source } else { c.target },
                to: c.to,
                rules: c.rules,
                utf8: if source_side { c.utf8.0 } else { c.utf8.1 },
            };
            term(engine, &p)
        })
        .collect();
    let classes: Vec<Class> = common.iter().map(|c| c.to).collect();
    let encoded_row = encoded_row(engine, &terms, &classes);
    // The clinic rides with the key in hash streams, so a missing or extra
    // row is attributed without reading its other columns.
    let clinic = side.clinic.as_ref().and_then(|_| texts.last().cloned());
    let hashed_keys: Vec<String> = texts[..k].iter().chain(&clinic).cloned().collect();
    SidePlan {
        select_hashed: select_hashed(engine, &hashed_keys, &encoded_row),
        clinic,
        engine,
        from: quote(engine, &side.table),
        filter: side
            .filter
            .as_ref()
            .map_or("1 = 1".to_string(), |f| format!("({f})")),
        first_key: refs[0].clone(),
        // Aliases keep ORDER BY on the stored columns: PostgreSQL resolves
        // `ORDER BY id` to an output column named `id` (the text) first.
        select: aliased(&texts),
        order_by: order.join(", "),
        encoded_row,
        updated: side.updated.as_ref().map(|u| quote(engine, u)),
    }
}

/// `t0 AS c0, t1 AS c1, …`.
fn aliased(texts: &[String]) -> String {
    texts
        .iter()
        .enumerate()
        .map(|(i, t)| format!("{t} AS c{i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Key texts and a 64-bit row hash, where the engine can hash in SQL.
fn select_hashed(engine: Engine, keys: &[String], encoded_row: &str) -> Option<String> {
    let hash = match engine {
        Engine::Postgres => format!("substr(md5({encoded_row}), 1, 16)"),
        Engine::MySql => format!("SUBSTRING(MD5({encoded_row}), 1, 16)"),
        Engine::Sqlite => return None,
    };
    Some(format!("{}, {hash} AS h", aliased(keys)))
}

/// An integer key range `[lo, hi)`.
pub type Range = (i128, i128);

impl SidePlan {
    pub(super) fn range(&self, r: Option<Range>) -> String {
        match r {
            Some((lo, hi)) => format!(" AND {k} >= {lo} AND {k} < {hi}", k = self.first_key),
            None => String::new(),
        }
    }

    /// Key texts then value texts, ordered by key.
    pub fn rows_sql(&self, r: Option<Range>) -> String {
        format!(
            "SELECT {} FROM {} WHERE {}{} ORDER BY {}",
            self.select,
            self.from,
            self.filter,
            self.range(r),
            self.order_by
        )
    }

    /// Key texts and row hashes ordered by key (engines with MD5 only).
    pub fn hashes_sql(&self, r: Option<Range>) -> Option<String> {
        Some(format!(
            "SELECT {} FROM {} WHERE {}{} ORDER BY {}",
            self.select_hashed.as_ref()?,
            self.from,
            self.filter,
            self.range(r),
            self.order_by
        ))
    }

    /// Full rows of the given integer first keys, ordered by key.
    pub fn rows_for_keys_sql(&self, keys: &[i128]) -> String {
        self.rows_in(keys.iter().map(i128::to_string).collect())
    }

    /// Full rows of the given text first keys. The keys come from the
    /// other side (a FHIR server): each is written as hex bytes, so no key
    /// can change the statement.
    pub fn rows_for_text_keys_sql(&self, keys: &[String]) -> String {
        self.rows_in(keys.iter().map(|k| text_literal(self.engine, k)).collect())
    }

    /// Full rows whose first key is one of `list` (SQL literals), by key.
    fn rows_in(&self, list: Vec<String>) -> String {
        format!(
            "SELECT {} FROM {} WHERE {} AND {} IN ({}) ORDER BY {}",
            self.select,
            self.from,
            self.filter,
            self.first_key,
            list.join(", "),
            self.order_by
        )
    }

    /// First keys (as text) of the rows changed at or after `since`, a UTC
    /// time `YYYY-MM-DD HH:MM:SS.ffffff` (sessions run in UTC). `None`
    /// without an `updated` column. The filter is not applied: a row that
    /// left the compared set (a soft delete) changed too.
    pub fn changed_keys_sql(&self, since: &str) -> Option<String> {
        let updated = self.updated.as_ref()?;
        let key = render(self.engine, &self.first_key, Class::Text, Class::Text, &[]);
        let cond = match self.engine {
            // SQLite stores times as text in several shapes: compare them as times.
            Engine::Sqlite => format!("julianday({updated}) >= julianday('{since}')"),
            _ => format!("{updated} >= '{since}'"),
        };
        Some(format!(
            "SELECT {key} FROM {} WHERE {cond} AND {} IS NOT NULL",
            self.from, self.first_key
        ))
    }

    /// Smallest and largest integer first key. No row count: on an indexed
    /// key MIN and MAX are two index probes, while COUNT(*) would read the
    /// whole table once more before the checksums read it again.
    pub fn bounds_sql(&self) -> String {
        let t = |x: String| render(self.engine, &x, Class::Text, Class::Text, &[]);
        format!(
            "SELECT {}, {} FROM {} WHERE {}",
            t(format!("MIN({})", self.first_key)),
            t(format!("MAX({})", self.first_key)),
            self.from,
            self.filter
        )
    }

    /// Row count and checksum of a key range (engines with MD5 only).
    pub fn checksum_sql(&self, r: Range) -> Option<String> {
        let sum = checksum(self.engine, &self.encoded_row)?;
        let count = render(self.engine, "COUNT(*)", Class::Text, Class::Text, &[]);
        Some(format!(
            "SELECT {count}, {sum} FROM {} WHERE {}{}",
            self.from,
            self.filter,
            self.range(Some(r))
        ))
    }

    /// Rows per clinic id, when attributed.
    pub fn clinic_counts_sql(&self) -> Option<String> {
        let count = render(self.engine, "COUNT(*)", Class::Text, Class::Text, &[]);
        Some(format!(
            "SELECT {}, {count} FROM {} WHERE {} GROUP BY 1",
            self.clinic.as_ref()?,
            self.from,
            self.filter
        ))
    }

    /// Rows whose first key is NULL: outside every key range.
    pub fn null_keys_sql(&self) -> String {
        let count = render(self.engine, "COUNT(*)", Class::Text, Class::Text, &[]);
        format!(
            "SELECT {count} FROM {} WHERE {} AND {} IS NULL",
            self.from, self.filter, self.first_key
        )
    }
}

/// A UTF-8 text as a literal built from its hex bytes.
fn text_literal(engine: Engine, text: &str) -> String {
    let hex: String = text.bytes().map(|b| format!("{b:02x}")).collect();
    match engine {
        Engine::Postgres => format!("convert_from('\\x{hex}'::bytea, 'UTF8')"),
        // An introduced literal is coercible: the column's collation applies.
        Engine::MySql => format!("_utf8mb4 X'{hex}'"),
        Engine::Sqlite => format!("CAST(X'{hex}' AS TEXT)"),
    }
}
