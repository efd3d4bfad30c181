//! `/admin/duplicates`: the probable duplicate pairs of the latest
//! `probable_duplicates` runs, each with what every field weighed, for a
//! reviewer to confirm or mark "not a duplicate" (CSRF-protected). A
//! marked pair is left out of that rule's next runs, and of this list at
//! once. Record keys and level names only: the compared values never leave
//! the source.

use std::sync::Arc;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::{LOCATION, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};

use crate::results::{Details, RuleKind, ScoredPair};
use crate::web::auth::Actor;
use crate::web::csrf;
use crate::web::error::Error;
use crate::web::page::frame;
use crate::web::state::AppState;

/// One pair shown: its check and rule, and the pair as scored.
pub struct Shown {
    pub check: String,
    pub rule: String,
    pub pair: ScoredPair,
}

/// The latest runs' probable and review pairs not marked yet.
async fn pairs(state: &AppState) -> Result<Vec<Shown>, crate::store::StoreError> {
    let mut out = Vec::new();
    for run in state.store.latest_results().await? {
        let Details::Integrity(d) = run.details else {
            continue;
        };
        let marked = state.store.not_duplicates(&run.check_name).await?;
        for r in d.rules {
            if r.kind != RuleKind::ProbableDuplicates {
                continue;
            }
            for pair in r.sample_pairs {
                let [a, b] = ordered(&pair.keys);
                if marked
                    .iter()
                    .any(|(m, x, y)| *m == r.name && x == a && y == b)
                {
                    continue;
                }
                out.push(Shown {
                    check: run.check_name.clone(),
                    rule: r.name.clone(),
                    pair,
                });
            }
        }
    }
    Ok(out)
}

fn ordered(keys: &[String]) -> [&str; 2] {
    let a = keys.first().map_or("", String::as_str);
    let b = keys.get(1).map_or("", String::as_str);
    if a <= b { [a, b] } else { [b, a] }
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

pub async fn list(
    State(state): State<Arc<AppState>>,
    Extension(actor): Extension<Actor>,
    headers: HeaderMap,
) -> Response {
    page(&state, &headers, &actor.0, None, StatusCode::OK).await
}

async fn page(
    state: &AppState,
    headers: &HeaderMap,
    actor: &str,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let shown = match pairs(state).await {
        Ok(p) => p,
        Err(e) => return Error::Store(e).page("Store unavailable"),
    };
    let (token, cookie) = state.site.csrf.token_for_actor(headers, actor, now_ms());
    let mut r = (status, view(&shown, &token, error.as_deref())).into_response();
    if let Some(v) = cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        r.headers_mut().insert(SET_COOKIE, v);
    }
    r
}

/// `POST /admin/duplicates/not`: marks one listed pair as two people.
pub async fn not_duplicate(
    State(state): State<Arc<AppState>>,
    Extension(actor): Extension<Actor>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let f: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
    let one = |name: &str| {
        f.iter()
            .find(|(k, _)| k == name)
            .map_or(String::new(), |(_, v)| v.clone())
    };
    if let Err(e) =
        state
            .site
            .csrf
            .verify_actor(&headers, Some(&one(csrf::FIELD)), &actor.0, now_ms())
    {
        let m = format!("Not marked: {e}. Try again from this page.");
        return page(&state, &headers, &actor.0, Some(m), StatusCode::FORBIDDEN).await;
    }
    let (check, rule, a, b) = (one("check"), one("rule"), one("a"), one("b"));
    // Only a pair the list shows can be marked: no keys from elsewhere.
    let listed = match pairs(&state).await {
        Ok(p) => p.iter().any(|s| {
            s.check == check
                && s.rule == rule
                && ordered(&s.pair.keys) == ordered(&[a.clone(), b.clone()])
        }),
        Err(e) => return Error::Store(e).page("Store unavailable"),
    };
    if !listed {
        let m = "Not marked: that pair is not on the list (already marked, or gone since the latest run).";
        return page(
            &state,
            &headers,
            &actor.0,
            Some(m.into()),
            StatusCode::NOT_FOUND,
        )
        .await;
    }
    let marked = state
        .store
        .mark_not_duplicate(&check, &rule, [&a, &b], now_ms(), &actor.0)
        .await;
    match marked {
        Ok(()) => {
            let mut r = StatusCode::SEE_OTHER.into_response();
            r.headers_mut().insert(
                LOCATION,
                HeaderValue::from_static("/admin/duplicates?marked=1"),
            );
            r
        }
        Err(e) => Error::Store(e).page("Store unavailable"),
    }
}

fn evidence(p: &ScoredPair) -> Markup {
    html! {
        ul.evidence {
            @for f in &p.fields {
                li { (f.field) ": " (f.level) " " strong { (format!("{:+.1}", f.weight)) } }
            }
        }
    }
}

fn view(shown: &[Shown], token: &str, error: Option<&str>) -> Markup {
    frame(
        "Probable duplicate patients",
        true,
        html! {
            h1 { "Probable duplicate patients" }
            p { "Pairs the latest runs scored as one person (probable) or close to it (review), with what each field weighed in bits. "
                "Open both records in the EHR to decide; a pair marked “not a duplicate” is not reported again." }
            @if let Some(e) = error { div.summary role="alert" { p { (e) } } }
            @if shown.is_empty() { p { "No pairs to review." } } @else {
                table {
                    thead { tr { th { "check" } th { "rule" } th { "records" } th { "class" } th { "probability" } th { "weight" } th { "fields" } th { "" } } }
                    tbody {
                        @for s in shown {
                            tr {
                                td { (s.check) } td { (s.rule) }
                                td { (s.pair.keys.join(" · ")) }
                                td { (s.pair.class) }
                                td { (format!("{:.4}", s.pair.probability)) }
                                td { (format!("{:.1}", s.pair.weight)) }
                                td { (evidence(&s.pair)) }
                                td {
                                    form method="post" action="/admin/duplicates/not" {
                                        input type="hidden" name=(csrf::FIELD) value=(token);
                                        input type="hidden" name="check" value=(s.check);
                                        input type="hidden" name="rule" value=(s.rule);
                                        input type="hidden" name="a" value=(s.pair.keys.first().map_or("", String::as_str));
                                        input type="hidden" name="b" value=(s.pair.keys.get(1).map_or("", String::as_str));
                                        button type="submit" { "Not a duplicate" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        },
    )
}
