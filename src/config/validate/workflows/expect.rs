//! Validating `[workflows.steps.expect]`: the expectations that fit the
//! kind of step (HTTP, SQL or MLLP).

use std::time::Duration;

use super::super::super::errors::Collector;
use super::super::super::raw::{RawExpect, RawStatus, S};
use super::super::super::workflows::{Expect, Extract};
use super::super::duration;
use super::mllp::{self, Kind};

pub(super) fn expect(c: &mut Collector, raw: &S<RawExpect>, kind: Kind) -> Option<Expect> {
    let e = raw.get_ref();
    let (http, sql, mllp) = (kind == Kind::Http, kind == Kind::Sql, kind == Kind::Mllp);
    for (key, allowed, given) in [
        ("status", http, e.status.is_some()),
        ("body_contains", !sql, e.body_contains.is_some()),
        ("json", http, e.json.is_some()),
        ("count", !mllp, e.count.is_some()),
        ("min_count", !mllp, e.min_count.is_some()),
        ("ack", mllp, e.ack.is_some()),
    ] {
        if given && !allowed {
            let message = format!(
                "`expect.{key}` does not apply to this step; it can expect {}",
                kind.expect_keys()
            );
            c.at(raw.span(), message, None);
            return None;
        }
    }
    let ack = match &e.ack {
        None => Some(None),
        Some(a) => mllp::acks(c, a).map(Some),
    };
    let status = e.status.as_ref().map(|s| match s.get_ref() {
        RawStatus::One(n) => vec![*n],
        RawStatus::Many(v) => v.clone(),
    });
    if let (Some(st), Some(raw_st)) = (&status, &e.status)
        && (st.is_empty() || st.iter().any(|n| !(100..=599).contains(n)))
    {
        c.at(
            raw_st.span(),
            "status must be an HTTP status (100 to 599) or a list of them",
            None,
        );
        return None;
    }
    let mut json = Vec::new();
    if let Some(j) = &e.json {
        for (path, value) in j.get_ref() {
            let p = Extract::parse_json(path)
                .map_err(|m| c.at(j.span(), m, None))
                .ok()?;
            let v = serde_json::to_value(value)
                .map_err(|m| c.at(j.span(), m.to_string(), None))
                .ok()?;
            json.push((p, v));
        }
    }
    let max_duration = match &e.max_duration {
        None => Some(None),
        Some(_) => duration(c, &e.max_duration, Duration::ZERO).map(Some),
    };
    Some(Expect {
        status,
        body_contains: e.body_contains.as_ref().map(|s| s.get_ref().clone()),
        json,
        count: e.count.as_ref().map(|n| u64::from(*n.get_ref())),
        min_count: e.min_count.as_ref().map(|n| u64::from(*n.get_ref())),
        max_duration: max_duration?,
        ack: ack?,
    })
}
