//! Fellegi–Sunter weights. `u` (how often two different people agree at a
//! level) comes from random pairs of the table itself; `m` (how often one
//! person's two records do) starts from defaults and is estimated by
//! expectation–maximisation on the candidate pairs, as Splink trains it:
//! a pair's blocking fields agree by construction, so they are left out of
//! that pair's likelihoods while training. The share of matches is not
//! free in training: it is fixed, as Splink estimates it, from the pairs
//! that agree exactly on given name, family name and birth date (assumed
//! to be 90 % of the matches). Left free, EM may settle on another
//! structure than "one person" (households, a common name in one postal
//! code). The defaults act as prior pairs, so a field seen on few matches
//! keeps sensible probabilities.

use std::collections::HashMap;

use super::compare::{ALL, FIELD_COUNT, MISSING, Pattern, compare};
use super::person::Person;

/// Probabilities per field and level.
pub type Table = [Vec<f64>; FIELD_COUNT];

/// Candidate patterns seen, by blocking rule: `(rule, pattern) -> pairs`.
pub type PatternCounts = HashMap<(u8, Pattern), u64>;

const EM_ROUNDS: usize = 40;
/// Share of matches that agree exactly on given, family and birth date.
pub const EXACT_RECALL: f64 = 0.9;
/// Prior pairs the default `m` stands for in training.
const PRIOR_PAIRS: f64 = 20.0;

#[derive(Debug, Clone)]
pub struct Model {
    pub m: Table,
    pub u: Table,
    /// log2 of the prior odds that two random records are one person.
    pub prior_bits: f64,
}

impl Default for Model {
    fn default() -> Model {
        Model {
            m: [
                vec![0.75, 0.05, 0.1, 0.05, 0.05],
                vec![0.8, 0.1, 0.04, 0.06],
                vec![0.85, 0.03, 0.07, 0.02, 0.03],
                vec![0.98, 0.02],
                vec![0.8, 0.05, 0.15],
                vec![0.85, 0.03, 0.12],
                vec![0.7, 0.15, 0.15],
                vec![0.85, 0.07, 0.08],
                vec![0.9, 0.05, 0.05],
            ],
            u: ALL.map(|f| {
                let n = f.levels().len();
                let mut v = vec![0.01; n];
                v[n - 1] = 1.0 - 0.01 * (n - 1) as f64;
                v
            }),
            prior_bits: -20.0,
        }
    }
}

impl Model {
    /// The Bayes factor of one field's level, in bits; 0 when missing.
    pub fn bits(&self, field: usize, level: u8) -> f64 {
        if level == MISSING {
            return 0.0;
        }
        let l = usize::from(level);
        (self.m[field][l] / self.u[field][l]).log2()
    }

    /// Evidence of a pattern without the prior, in bits.
    pub fn evidence(&self, p: &Pattern) -> f64 {
        (0..FIELD_COUNT).map(|f| self.bits(f, p[f])).sum()
    }

    pub fn probability(weight: f64) -> f64 {
        1.0 / (1.0 + (-weight).exp2())
    }

    /// `u` from every pair of a sample of records, with add-half smoothing
    /// so a level never seen among different people is rare, not impossible.
    pub fn estimate_u(&mut self, sample: &[Person]) {
        let mut counts: Vec<Vec<u64>> = ALL.iter().map(|f| vec![0; f.levels().len()]).collect();
        for (i, a) in sample.iter().enumerate() {
            for b in &sample[i + 1..] {
                let p = compare(a, b);
                for (f, level) in p.iter().enumerate() {
                    if *level != MISSING {
                        counts[f][usize::from(*level)] += 1;
                    }
                }
            }
        }
        for (f, c) in counts.iter().enumerate() {
            let total: u64 = c.iter().sum();
            if total == 0 {
                continue;
            }
            let n = c.len() as f64;
            self.u[f] = c
                .iter()
                .map(|k| (*k as f64 + 0.5) / (total as f64 + 0.5 * n))
                .collect();
        }
    }

    /// Trains `m` on candidate patterns, of which a share `lambda` match;
    /// `blocked[rule]` lists the fields rule `rule` blocked on.
    pub fn estimate_m(&mut self, counts: &PatternCounts, blocked: &[Vec<usize>], lambda: f64) {
        let defaults = Model::default().m;
        for _ in 0..EM_ROUNDS {
            let m = self.em_round(counts, blocked, lambda, &defaults);
            let moved = m
                .iter()
                .zip(&self.m)
                .flat_map(|(a, b)| a.iter().zip(b).map(|(x, y)| (x - y).abs()))
                .fold(0.0, f64::max);
            self.m = m;
            if moved < 1e-6 {
                break;
            }
        }
    }

    /// One expectation–maximisation round: the new `m`.
    fn em_round(
        &self,
        counts: &PatternCounts,
        blocked: &[Vec<usize>],
        lambda: f64,
        defaults: &Table,
    ) -> Table {
        let mut num: Vec<Vec<f64>> = defaults
            .iter()
            .map(|l| l.iter().map(|d| d * PRIOR_PAIRS).collect())
            .collect();
        for ((rule, p), n) in counts {
            let skip = blocked
                .get(usize::from(*rule))
                .map_or(&[][..], Vec::as_slice);
            let used = |f: &usize| p[*f] != MISSING && !skip.contains(f);
            let (mut lm, mut lu) = (lambda, 1.0 - lambda);
            for f in (0..FIELD_COUNT).filter(used) {
                lm *= self.m[f][usize::from(p[f])];
                lu *= self.u[f][usize::from(p[f])];
            }
            let g = if lm + lu > 0.0 { lm / (lm + lu) } else { 0.0 };
            for f in (0..FIELD_COUNT).filter(used) {
                num[f][usize::from(p[f])] += g * *n as f64;
            }
        }
        std::array::from_fn(|f| {
            let seen: f64 = num[f].iter().sum();
            num[f].iter().map(|x| x / seen).collect()
        })
    }

    /// The share of candidates that match, from the `exact` candidates
    /// agreeing on given, family and birth date; and sets the prior: those
    /// matches among all `rows * (rows - 1) / 2` pairs of the table.
    pub fn set_prior(&mut self, exact: u64, candidates: u64, rows: u64) -> f64 {
        let expected = (exact.max(1) as f64) / EXACT_RECALL;
        let all = (rows as f64) * (rows.saturating_sub(1) as f64) / 2.0;
        let lambda = (expected / all.max(1.0)).clamp(1e-12, 0.5);
        self.prior_bits = (lambda / (1.0 - lambda)).log2();
        (expected / candidates.max(1) as f64).clamp(1e-9, 0.5)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn em_separates_agreeing_from_disagreeing_pairs() {
        let mut model = Model::default();
        let mut counts = PatternCounts::new();
        // Blocked on birth date (rule 0): 30 pairs agree on names, 970 do not.
        let agree = [0, 0, 0, MISSING, 0, 0, 0, MISSING, MISSING];
        let differ = [4, 3, 0, MISSING, 2, 2, 2, MISSING, MISSING];
        counts.insert((0, agree), 30);
        counts.insert((0, differ), 970);
        model.u[0] = vec![0.002, 0.001, 0.002, 0.02, 0.975];
        let share = model.set_prior(27, 1000, 10_000);
        assert!((share - 0.03).abs() < 0.005, "{share}");
        model.estimate_m(&counts, &[vec![2]], share);
        assert!(model.m[0][0] > 0.85, "{:?}", model.m[0]);
        let w = model.prior_bits + model.evidence(&agree);
        assert!(Model::probability(w) > 0.99);
        let w = model.prior_bits + model.evidence(&differ);
        assert!(Model::probability(w) < 0.01);
    }
}
