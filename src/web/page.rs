//! What every feedback, admin and API response shares: the page frame, the
//! style sheet, and headers that keep pages from being framed, sniffed,
//! cached or made to run scripts (no page here has any).

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS,
    X_FRAME_OPTIONS,
};
use axum::middleware::Next;
use axum::response::Response;
use maud::{DOCTYPE, Markup, PreEscaped, html};

/// No scripts at all: a stored `<script>` could not run even if escaping failed.
const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; \
                   form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Adds the security headers to every response of the wrapped routes.
pub async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // Links out carry no referrer; forms posted here still carry their Origin.
    h.insert(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    // Pages carry form tokens and typed text: never cache them.
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// A page in the narrow frame the form uses (or the wide one for admin).
pub fn frame(title: &str, wide: bool, body: Markup) -> Markup {
    document(title, wide, None, body)
}

/// A page that reloads itself every `secs` seconds (a wall screen), without script.
pub fn frame_refreshing(title: &str, secs: u32, body: Markup) -> Markup {
    document(title, false, Some(secs), body)
}

fn document(title: &str, wide: bool, refresh: Option<u32>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="robots" content="noindex";
                @if let Some(s) = refresh { meta http-equiv="refresh" content=(s); }
                title { (title) " · hypercare" }
                style { (PreEscaped(CSS)) }
            }
            body {
                main class=[wide.then_some("wide")] { (body) }
            }
        }
    }
}

/// A page with a heading and one paragraph.
pub fn message_page(title: &str, message: &str) -> Markup {
    frame(title, false, html! { h1 { (title) } p { (message) } })
}

const CSS: &str = r#"
:root{--ink:#1b1f24;--muted:#4d555e;--accent:#0b5cad;--err:#a40e26;--line:#8c959f}
*{box-sizing:border-box}
body{font:1.0625rem/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:var(--ink);background:#eef1f4}
main{max-width:40rem;margin:0 auto;padding:1rem 1rem 3rem;background:#fff;min-height:100vh}
main.wide{max-width:90rem}
h1{font-size:1.55rem;line-height:1.25;margin:.25rem 0 .5rem}
h2{font-size:1.2rem;margin:1.5rem 0 .5rem}
a{color:var(--accent)}
.lead{color:var(--muted);margin:0 0 1.25rem}
fieldset{border:0;padding:0;margin:0 0 1.4rem;min-width:0}
legend,.label{font-weight:650;display:block;margin-bottom:.25rem;padding:0}
.hint{color:var(--muted);font-size:.95rem;margin:0 0 .5rem}
.field{margin:0 0 1.4rem}
.choices{display:grid;gap:.4rem}
.choice{display:flex;align-items:flex-start;gap:.65rem;padding:.6rem .7rem;border:1px solid #c4cbd3;border-radius:.45rem;cursor:pointer;background:#fff}
.choice:hover{border-color:var(--accent)}
.choice input{width:1.35rem;height:1.35rem;margin:.1rem 0 0;flex:none;accent-color:var(--accent)}
select,textarea,input[type=text]{display:block;width:100%;font:inherit;padding:.6rem .7rem;border:2px solid var(--line);border-radius:.45rem;background:#fff;color:inherit}
textarea{min-height:8rem;resize:vertical}
:focus-visible{outline:3px solid #e16f24;outline-offset:2px}
.invalid{border-left:4px solid var(--err);padding-left:.8rem}
.error-message{color:var(--err);font-weight:650;margin:0 0 .4rem}
.summary{border:3px solid var(--err);border-radius:.45rem;padding:.75rem 1rem;margin:0 0 1.25rem}
.summary h2,.warning h2{margin-top:0}
.warning{border:3px solid #9a6700;background:#fff8c5;border-radius:.45rem;padding:.75rem 1rem;margin:0 0 1.25rem}
.notice{border-left:6px solid var(--accent);background:#ddf4ff;padding:.75rem 1rem;margin:0 0 1.25rem}
.preview{white-space:pre-wrap;background:#fff;border:1px dashed #9a6700;padding:.5rem .7rem}
.check{display:flex;gap:.65rem;align-items:flex-start;font-weight:650;cursor:pointer}
.check input{width:1.35rem;height:1.35rem;margin:.15rem 0 0;flex:none;accent-color:var(--accent)}
button,.button{display:inline-block;font:inherit;font-weight:650;padding:.75rem 1.6rem;border:0;border-radius:.45rem;background:var(--accent);color:#fff;cursor:pointer;min-height:2.9rem;text-decoration:none}
button.secondary{background:#fff;color:var(--accent);border:2px solid var(--accent)}
.small{font-size:.9rem;color:var(--muted)}
table{border-collapse:collapse;width:100%;font-size:.95rem}
th,td{text-align:left;vertical-align:top;padding:.45rem .5rem;border-bottom:1px solid #d8dee4}
td.text{white-space:pre-wrap;word-break:break-word;max-width:40rem}
.filters{display:flex;flex-wrap:wrap;gap:.75rem;align-items:flex-end;margin:0 0 1rem}
.filters label{font-weight:650;font-size:.9rem}
.filters select{min-width:10rem}
.status-new{color:#a40e26;font-weight:650}.status-acknowledged{color:#9a6700;font-weight:650}.status-resolved{color:#116329;font-weight:650}
.sev-blocks_work{font-weight:700}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1rem}
dl.facts dt{font-weight:650}dl.facts dd{margin:0}
.text-block{white-space:pre-wrap;word-break:break-word;border:1px solid #d8dee4;border-radius:.45rem;padding:.75rem;background:#f6f8fa}
@media (min-width:48rem){
 main{margin:2rem auto;border-radius:.7rem;box-shadow:0 1px 4px rgba(0,0,0,.12);min-height:auto;padding:2rem 2.5rem}
 .choices.two{grid-template-columns:1fr 1fr}
}
"#;
