//! Error-budget burn rates and latency quantiles: pure functions over
//! samples, tested against hand-computed figures. The only burn rate and
//! the only quantile in the crate.

/// The SRE workbook's windows (pairs 1h/5m, 6h/30m, 1d/2h, 3d/6h), as
/// label value and length in milliseconds.
pub const WINDOWS: [(&str, i64); 7] = [
    ("5m", 5 * 60_000),
    ("30m", 30 * 60_000),
    ("1h", 3_600_000),
    ("2h", 2 * 3_600_000),
    ("6h", 6 * 3_600_000),
    ("1d", 86_400_000),
    ("3d", 3 * 86_400_000),
];

/// The longest window: history older than this is not read.
pub const LONGEST_MS: i64 = 3 * 86_400_000;

/// The burn rate of one window at `now_ms`: (bad runs / runs) / (1 −
/// objective), over the samples `(finished_ms, good)` with `now − length <
/// t ≤ now`. A window with no runs (or an objective of 1, no budget) has no
/// rate (`None`), not zero. Alerts and the SLO gauges both use this.
pub fn burn_rate(
    samples: &[(i64, bool)],
    now_ms: i64,
    length_ms: i64,
    objective: f64,
) -> Option<f64> {
    let budget = 1.0 - objective;
    let from = now_ms.saturating_sub(length_ms);
    let (mut all, mut bad) = (0u64, 0u64);
    for (t, good) in samples {
        if *t > from && *t <= now_ms {
            all += 1;
            bad += u64::from(!good);
        }
    }
    (all > 0 && budget > 0.0).then(|| (bad as f64 / all as f64) / budget)
}

/// Burn rate per window of [`WINDOWS`] at `now_ms` (see [`burn_rate`]).
pub fn burn_rates(
    samples: &[(i64, bool)],
    now_ms: i64,
    objective: f64,
) -> Vec<(&'static str, Option<f64>)> {
    WINDOWS
        .iter()
        .map(|(label, len)| (*label, burn_rate(samples, now_ms, *len, objective)))
        .collect()
}

/// The q-quantile (0..=1) of the values by nearest rank: the smallest value
/// with at least q of the values at or below it; `None` for none.
///
/// Nearest rank, not interpolation, because every figure it gives is the
/// latency of a run that happened: a clinic lead can find that run, and
/// with the few runs of a day's window (a probe every few minutes) an
/// interpolated figure would be a latency no run had. The SLO gauges, the
/// baseline ratios and the stabilization criteria all use this one.
pub fn quantile(values: &[f64], q: f64) -> Option<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let rank = (q.clamp(0.0, 1.0) * v.len() as f64).ceil() as usize;
    v.get(rank.clamp(1, v.len()) - 1).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;

    /// Hand-computed: objective 99 % (budget 1 %), now = 3 days in.
    /// - 4 runs in the last 5 minutes, 1 bad: (1/4)/0.01 = 25.
    /// - 20 runs in the last 30 minutes (those 4 + 16 good): (1/20)/0.01 = 5.
    /// - 1 more bad run 45 minutes ago: 1 h has 21 runs, 2 bad: (2/21)/0.01 ≈ 9.5238.
    /// - 2 h adds 79 good runs (100 in all, 2 bad): 2.
    /// - 6 h, 1 d: nothing more: 2.
    /// - 3 d adds 100 runs 2 days ago, all bad: (102/200)/0.01 = 51.
    /// - A run exactly 3 days old is outside (the window is half-open).
    #[test]
    fn burn_rates_match_a_hand_computed_example() {
        let now = 3 * 1440 * MIN;
        let mut s = Vec::new();
        s.push((now - 3 * 1440 * MIN, false));
        for i in 0..100 {
            s.push((now - 2 * 1440 * MIN + i, false));
        }
        for i in 0..79 {
            s.push((now - 90 * MIN + i * 1000, true));
        }
        s.push((now - 45 * MIN, false));
        for i in 0..16 {
            s.push((now - 20 * MIN + i * 1000, true));
        }
        s.extend([
            (now - 4 * MIN, true),
            (now - 3 * MIN, false),
            (now - 2 * MIN, true),
            (now, true),
        ]);
        let rates: std::collections::BTreeMap<_, _> =
            burn_rates(&s, now, 0.99).into_iter().collect();
        let close = |w: &str, want: f64| {
            let got = rates[w].unwrap();
            assert!((got - want).abs() < 1e-9, "{w}: {got} vs {want}");
        };
        close("5m", 25.0);
        close("30m", 5.0);
        close("1h", 2.0 / 21.0 / 0.01);
        close("2h", 2.0);
        close("6h", 2.0);
        close("1d", 2.0);
        close("3d", 51.0);
        // A future sample does not count; no runs at all gives no rate.
        assert_eq!(burn_rates(&[(now + 1, false)], now, 0.99)[0].1, None);
        assert!(burn_rates(&[], now, 0.999).iter().all(|(_, r)| r.is_none()));
    }

    #[test]
    fn quantiles_are_the_nearest_rank() {
        assert_eq!(quantile(&[], 0.5), None);
        assert_eq!(quantile(&[7.0], 0.95), Some(7.0));
        assert_eq!(quantile(&[4.0, 1.0, 3.0, 2.0], 0.5), Some(2.0));
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(quantile(&v, 0.95), Some(95.0));
        assert_eq!(quantile(&v, 1.0), Some(100.0));
        assert_eq!(quantile(&v, 0.0), Some(1.0));
        let twenty: Vec<f64> = (0..20).map(|i| 100.0 + f64::from(i)).collect();
        assert_eq!(quantile(&twenty, 0.95), Some(118.0));
    }
}
