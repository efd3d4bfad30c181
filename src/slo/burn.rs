//! Error-budget burn rates and latency quantiles: pure functions over
//! samples, tested against hand-computed figures.

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

/// Burn rate per window at `now_ms`: (bad runs / runs in the window) /
/// (1 − objective). A window holds the samples with `now − length < t ≤ now`;
/// one with no runs has no rate (`None`), not zero.
pub fn burn_rates(
    samples: &[(i64, bool)],
    now_ms: i64,
    objective: f64,
) -> Vec<(&'static str, Option<f64>)> {
    let budget = 1.0 - objective;
    WINDOWS
        .iter()
        .map(|(label, len)| {
            let (mut all, mut bad) = (0u64, 0u64);
            for (t, good) in samples {
                if *t > now_ms - len && *t <= now_ms {
                    all += 1;
                    bad += u64::from(!good);
                }
            }
            let rate = (all > 0 && budget > 0.0).then(|| (bad as f64 / all as f64) / budget);
            (*label, rate)
        })
        .collect()
}

/// The q-quantile (0..=1) of the values, interpolating linearly between
/// closest ranks (as numpy's default and PromQL's `quantile`); `None` for none.
pub fn quantile(values: &[f64], q: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let rank = q.clamp(0.0, 1.0) * (v.len() - 1) as f64;
    let (lo, hi) = (rank.floor() as usize, rank.ceil() as usize);
    Some(v[lo] + (v[hi] - v[lo]) * (rank - lo as f64))
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
    fn quantiles_interpolate_between_ranks() {
        assert_eq!(quantile(&[], 0.5), None);
        assert_eq!(quantile(&[7.0], 0.95), Some(7.0));
        assert_eq!(quantile(&[4.0, 1.0, 3.0, 2.0], 0.5), Some(2.5));
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert!((quantile(&v, 0.95).unwrap() - 95.05).abs() < 1e-9);
    }
}
