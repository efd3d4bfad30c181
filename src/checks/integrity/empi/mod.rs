//! `probable_duplicates`: records that probably stand for one person, as an
//! enterprise master patient index finds them.
//!
//! Candidate pairs come from blocking keys pushed into SQL ([`blocking`])
//! and from phonetic keys computed over one birth year at a time
//! ([`phonetic`]); each pair is compared field by field ([`compare`]),
//! weighed with Fellegi–Sunter `m`/`u` probabilities trained on the table
//! itself ([`weights`]), vetoed where it looks like twins or father and son
//! ([`score`]), and the probable pairs are joined into clusters. Nothing
//! about a record is logged: details carry record keys and level names.

mod blocking;
mod cluster;
mod compare;
mod lineage;
mod nicknames;
mod overlay;
mod person;
mod phonetic;
mod score;
mod weights;

use futures_util::StreamExt;

use crate::config::integrity::{EmpiSpec, IntegrityRule};
use crate::results::{Cluster, RuleResult, ScoredPair};
use crate::sources::{SourceError, SqlSource};

use super::{Ctx, judge, sql};
use person::{FIELDS, Person};
use score::Candidates;
use weights::Model;

pub use score::Veto;

/// Records whose every pair trains `u`.
const U_SAMPLE: usize = 1500;
/// Pairs compared between two yields to the runtime.
const YIELD_EVERY: u64 = 4096;

/// A kept candidate pair after training.
pub struct Scored {
    pub keys: [String; 2],
    pub weight: f64,
    pub probability: f64,
    pub veto: Option<Veto>,
    origin: lineage::Origin,
    pattern: compare::Pattern,
}

/// Everything one run found, before it is cut down to a rule result.
pub struct Scoring {
    pub rows: u64,
    pub candidates: u64,
    /// The plausible candidates, scored (the rest are below any threshold).
    pub pairs: Vec<Scored>,
    model: Model,
}

/// Finds and scores the candidate pairs of a `probable_duplicates` rule.
pub async fn score(
    source: &SqlSource,
    rule: &IntegrityRule,
    spec: &EmpiSpec,
) -> Result<Scoring, SourceError> {
    let e = source.engine();
    let rows = sql::int(first_cell(blocking::count(e, rule).rows(source).await?))?;
    let rows = u64::try_from(rows).unwrap_or(0);
    let mut model = Model::default();
    model.estimate_u(&sample(source, rule, spec).await?);
    let keys = blocking::keys(e, spec);
    let scope = blocking::scope(e, rule, spec, &keys);
    let mut found = Candidates::new(model.clone(), &spec.vetoes);
    for i in 0..keys.len() {
        let q = blocking::pairs(e, &scope, i);
        sql_pairs(source, q.text, i as u8, &mut found).await?;
    }
    phonetic_pairs(
        source,
        blocking::by_year(e, &scope, keys.len()).text,
        keys.len(),
        &mut found,
    )
    .await?;
    let mut blocked: Vec<Vec<usize>> = keys
        .iter()
        .map(|k| k.fields.iter().map(|f| *f as usize).collect())
        .collect();
    blocked.extend([vec![], vec![]]);
    let share = model.set_prior(found.exact, found.pairs, rows);
    model.estimate_m(&found.counts, &blocked, share);
    let pairs = found
        .kept
        .into_iter()
        .map(|k| {
            let (weight, probability) = score::weigh(&model, &k);
            Scored {
                keys: k.keys,
                weight,
                probability,
                veto: k.veto,
                origin: k.origin,
                pattern: k.pattern,
            }
        })
        .collect();
    Ok(Scoring {
        rows,
        candidates: found.pairs,
        pairs,
        model,
    })
}

fn first_cell(rows: Vec<Vec<crate::sources::Cell>>) -> crate::sources::Cell {
    rows.into_iter()
        .next()
        .and_then(|r| r.into_iter().next())
        .unwrap_or(crate::sources::Cell::Null)
}

async fn sample(
    source: &SqlSource,
    rule: &IntegrityRule,
    spec: &EmpiSpec,
) -> Result<Vec<Person>, SourceError> {
    let q = blocking::sample(source.engine(), rule, spec, U_SAMPLE);
    let rows = source.fetch_text(q.text).await?;
    Ok(rows
        .into_iter()
        .filter_map(|mut r| {
            let key = r.first_mut()?.take()?;
            Some(Person::from_cells(key, r.get(1..)?))
        })
        .collect())
}

/// Streams one blocking key's pairs into `found`.
async fn sql_pairs(
    source: &SqlSource,
    text: String,
    rule: u8,
    found: &mut Candidates,
) -> Result<(), SourceError> {
    let mut stream = source.stream_text(text);
    while let Some(row) = stream.next().await {
        let mut row = row?;
        if row.len() != 2 * (1 + FIELDS) {
            return Err(SourceError::Shape(format!(
                "expected {} columns, got {}",
                2 * (1 + FIELDS),
                row.len()
            )));
        }
        let b = row.split_off(1 + FIELDS);
        let (Some(a), Some(b)) = (person(row), person(b)) else {
            continue;
        };
        found.add(rule, &a, &b);
        if found.pairs.is_multiple_of(YIELD_EVERY) {
            tokio::task::yield_now().await;
        }
    }
    Ok(())
}

fn person(mut cells: Vec<Option<String>>) -> Option<Person> {
    let key = cells.first_mut()?.take()?;
    Some(Person::from_cells(key, &cells[1..]))
}

/// Streams rows by birth year and pairs each year's rows by phonetic code.
async fn phonetic_pairs(
    source: &SqlSource,
    text: String,
    keys: usize,
    found: &mut Candidates,
) -> Result<(), SourceError> {
    let mut stream = source.stream_text(text);
    let mut year = String::new();
    let mut rows = Vec::new();
    let first_rule = keys as u8;
    while let Some(row) = stream.next().await {
        let Some((row, y)) = phonetic::Row::read(row?, keys) else {
            return Err(SourceError::Shape("unexpected row by birth year".into()));
        };
        if y != year {
            phonetic::pairs_of_year(&rows, first_rule, &mut |r, a, b| found.add(r, a, b));
            rows.clear();
            year = y;
            tokio::task::yield_now().await;
        }
        rows.push(row);
    }
    phonetic::pairs_of_year(&rows, first_rule, &mut |r, a, b| found.add(r, a, b));
    Ok(())
}

/// Runs the rule: clusters of probable pairs fail it, review pairs are counted.
pub(crate) async fn run(
    ctx: &Ctx<'_>,
    rule: &IntegrityRule,
    spec: &EmpiSpec,
    out: &mut RuleResult,
) -> Result<Option<super::clinics::Slices>, SourceError> {
    let scoring = score(ctx.source, rule, spec).await?;
    let mut clusters = cluster::Clusters::default();
    let mut review = Vec::new();
    let mut probable = Vec::new();
    let marked = marked(ctx, rule);
    for p in &scoring.pairs {
        if marked.contains(&sorted(&p.keys)) {
            continue;
        }
        if p.probability >= spec.probable {
            clusters.link(&p.keys[0], &p.keys[1]);
            probable.push(p);
        } else if p.probability >= spec.review {
            review.push(p);
        }
    }
    let groups = clusters.into_groups();
    counts(out, spec, scoring.rows, &groups, &probable, review.len());
    out.sample_clusters = groups
        .iter()
        .take(ctx.samples)
        .map(|g| Cluster {
            size: g.len() as i64,
            keys: g.iter().take(ctx.samples).cloned().collect(),
        })
        .collect();
    out.sample_pairs = samples(
        &scoring.model,
        &out.sample_clusters,
        &probable,
        &review,
        ctx.samples,
    );
    out.status = judge(
        spec.tolerance,
        out.rows_checked.unwrap_or(0),
        groups.len() as i64,
    );
    if let Some(from) = &spec.legacy {
        overlay::apply(ctx, rule, spec, from, out).await?;
    }
    super::clinics::of_rule_clusters(ctx, rule, &spec.key, &groups).await
}

/// This rule's pairs a reviewer marked "not a duplicate".
fn marked<'a>(ctx: &'a Ctx<'_>, rule: &IntegrityRule) -> std::collections::HashSet<[&'a str; 2]> {
    ctx.not_duplicates
        .iter()
        .filter(|(r, ..)| r == rule.name.as_str())
        .map(|(_, a, b)| [a.as_str(), b.as_str()])
        .collect()
}

/// A pair's keys in text order, as marks are stored.
fn sorted(keys: &[String; 2]) -> [&str; 2] {
    let [a, b] = keys;
    if a <= b { [a, b] } else { [b, a] }
}

/// The rule's counts: rows, clusters and their records, review pairs,
/// oversized clusters and, with a lineage column, pairs by origin.
fn counts(
    out: &mut RuleResult,
    spec: &EmpiSpec,
    rows: u64,
    groups: &[Vec<String>],
    probable: &[&Scored],
    review: usize,
) {
    let records: usize = groups.iter().map(Vec::len).sum();
    out.rows_checked = Some(i64::try_from(rows).unwrap_or(i64::MAX));
    out.problems = Some(groups.len() as i64);
    out.records_involved = Some(records as i64);
    out.review_pairs = Some(review as i64);
    let oversized = groups.iter().filter(|g| g.len() > spec.max_cluster_size);
    out.oversized_clusters = Some(oversized.count() as i64);
    out.migration_classes = spec
        .lineage
        .is_some()
        .then(|| lineage::count(probable.iter().map(|p| p.origin)));
}

/// The probable pairs of the sampled clusters, then review pairs, each
/// with its evidence.
fn samples(
    model: &Model,
    shown: &[Cluster],
    probable: &[&Scored],
    review: &[&Scored],
    keep: usize,
) -> Vec<ScoredPair> {
    let in_shown = |p: &&&Scored| shown.iter().any(|c| c.keys.contains(&p.keys[0]));
    let tagged = probable
        .iter()
        .filter(in_shown)
        .map(|p| (*p, "probable"))
        .chain(review.iter().map(|p| (*p, "review")));
    tagged
        .take(keep)
        .map(|(p, class)| ScoredPair {
            keys: p.keys.clone(),
            probability: (p.probability * 1e4).round() / 1e4,
            weight: (p.weight * 100.0).round() / 100.0,
            class: class.to_string(),
            fields: score::explain(model, &p.pattern),
        })
        .collect()
}
