//! Progress bars for `hypercare check` on a terminal (stderr): segments
//! done, rows compared and rate, one bar per long-running check.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::checks::progress::Progress;

pub struct Bars {
    multi: MultiProgress,
    bars: Mutex<HashMap<String, (ProgressBar, u64)>>,
}

impl Bars {
    pub fn new() -> Bars {
        Bars {
            multi: MultiProgress::with_draw_target(ProgressDrawTarget::stderr()),
            bars: Mutex::new(HashMap::new()),
        }
    }
}

fn style(known_total: bool) -> ProgressStyle {
    let template = if known_total {
        "{prefix:.bold} [{elapsed_precise}] {wide_bar} {human_pos}/{human_len} rows ({per_sec}, {eta} left) {msg}"
    } else {
        "{prefix:.bold} [{elapsed_precise}] {spinner} {human_pos} rows ({per_sec}) {msg}"
    };
    ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar())
}

impl Progress for Bars {
    fn start(&self, check: &str, total_rows: Option<u64>) {
        let Ok(mut bars) = self.bars.lock() else {
            return;
        };
        let entry = bars.entry(check.to_string()).or_insert_with(|| {
            let bar = self.multi.add(ProgressBar::no_length());
            bar.set_prefix(check.to_string());
            bar.enable_steady_tick(Duration::from_millis(200));
            (bar, 0)
        });
        if let Some(total) = total_rows {
            entry.0.set_length(total);
        }
        entry.0.set_style(style(entry.0.length().is_some()));
        entry.0.set_position(0);
    }

    fn advance(&self, check: &str, rows: u64, segments: u64) {
        let Ok(mut bars) = self.bars.lock() else {
            return;
        };
        if let Some((bar, done)) = bars.get_mut(check) {
            bar.inc(rows);
            if segments > 0 {
                *done += segments;
                bar.set_message(format!("{done} segments"));
            }
        }
    }

    fn finish(&self, check: &str) {
        if let Ok(mut bars) = self.bars.lock()
            && let Some((bar, _)) = bars.remove(check)
        {
            bar.finish_and_clear();
        }
    }
}
