//! What staff send: form bodies posted to `/feedback` (with a valid CSRF
//! pair, so they reach validation), JSON bodies posted to
//! `/api/v1/feedback`, and any text through the PHI guard. The server
//! answers every body with a 2xx or a 4xx (never a 5xx, never a hang), and
//! redacted text holds nothing the guard would find again.

use std::sync::OnceLock;
use std::time::Duration;

use hypercare::feedback::phi::PhiGuard;
use proptest::prelude::*;

use super::rt;

const TOKEN: &str = "fuzz-token-0123456789abcdef";

struct App {
    base: String,
    cookie: String,
    csrf: String,
    client: reqwest::Client,
}

fn app() -> &'static App {
    static A: OnceLock<App> = OnceLock::new();
    A.get_or_init(|| rt().block_on(start()))
}

async fn start() -> App {
    let dir = std::env::temp_dir().join(format!("hc-fuzz-forms-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("token"), TOKEN).unwrap();
    let d = dir.display();
    let _ = std::fs::remove_file(dir.join("store.db"));
    let text = format!(
        "[server]\nlisten = \"127.0.0.1:0\"\nadmin_token_file = \"{d}/token\"\n\
         [store]\nurl = \"sqlite://{d}/store.db\"\n\
         [feedback]\nmrn_pattern = '\\bE\\d{{6}}\\b'\nrate_limit_per_minute = 1000000\n\
         [[clinics]]\nid = \"east\"\nname = \"East Family Practice\"\n"
    );
    let config = hypercare::config::parse(&text, std::path::Path::new("fuzz.toml"), &|_| None)
        .unwrap_or_else(|e| panic!("{e}"));
    let app = hypercare::app::Application::build(config).await.unwrap();
    let base = format!("http://{}", app.local_addr());
    let (_tx, rx) = tokio::sync::mpsc::channel(1);
    std::mem::forget(_tx);
    tokio::spawn(app.run(tokio_util::sync::CancellationToken::new(), rx));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let page = client.get(format!("{base}/feedback")).send().await.unwrap();
    let cookie = page.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let html = page.text().await.unwrap();
    let at = html.find("name=\"csrf\" value=\"").unwrap() + 19;
    let csrf = html[at..at + html[at..].find('"').unwrap()].to_string();
    App {
        base,
        cookie,
        csrf,
        client,
    }
}

fn field_value() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,60}",
        Just("east".to_string()),
        Just("nurse".to_string()),
        Just("blocks_work".to_string()),
        Just("x".repeat(20_000)),
        Just("Patient E123456 born 03/04/1950, call 555-867-5309".to_string()),
        Just("\u{0}\u{202e}\u{fffd}".to_string()),
    ]
}

fn form_body() -> impl Strategy<Value = Vec<(String, String)>> {
    let name = prop_oneof![
        Just("clinic"),
        Just("role"),
        Just("category"),
        Just("severity"),
        Just("workaround"),
        Just("text"),
        Just("contact"),
        Just("submission_id"),
        Just("phi_ack"),
        Just("zzz"),
    ];
    proptest::collection::vec((name.prop_map(str::to_string), field_value()), 0..10)
}

fn json_body() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::Bool),
        any::<i64>().prop_map(|n| n.into()),
        field_value().prop_map(serde_json::Value::String),
    ];
    let value = leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
            proptest::collection::btree_map(
                prop_oneof![
                    Just("text".to_string()),
                    Just("role".to_string()),
                    Just("category".to_string()),
                    Just("severity".to_string()),
                    Just("clinic".to_string()),
                    Just("workaround".to_string()),
                    "[a-z]{1,8}"
                ],
                inner,
                0..6,
            )
            .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    });
    prop_oneof![
        value.prop_map(|v| v.to_string()),
        "\\PC{0,80}",
        Just("{".repeat(10_000))
    ]
}

fn acceptable(status: u16) -> bool {
    (200..300).contains(&status) || (400..500).contains(&status)
}

proptest! {
    #[test]
    fn form_bodies_get_a_2xx_or_4xx(mut fields in form_body(), keep_pair in any::<bool>()) {
        let a = app();
        if keep_pair {
            fields.push(("csrf".into(), a.csrf.clone()));
        }
        let status = rt().block_on(async {
            a.client.post(format!("{}/feedback", a.base)).header("cookie", &a.cookie).form(&fields).send().await
        }).map(|r| r.status().as_u16());
        prop_assert!(status.as_ref().is_ok_and(|s| acceptable(*s)), "{status:?}");
    }

    #[test]
    fn api_bodies_get_a_2xx_or_4xx(body in json_body()) {
        let a = app();
        let status = rt().block_on(async {
            a.client.post(format!("{}/api/v1/feedback", a.base))
                .bearer_auth(TOKEN).header("content-type", "application/json").body(body).send().await
        }).map(|r| r.status().as_u16());
        prop_assert!(status.as_ref().is_ok_and(|s| acceptable(*s)), "{status:?}");
    }

    #[test]
    fn redacted_text_holds_nothing_the_guard_finds_again(
        parts in proptest::collection::vec(prop_oneof![
            "\\PC{0,20}",
            "E[0-9]{6}",
            "[0-9]{3}-[0-9]{2}-[0-9]{4}",
            "\\(?[0-9]{3}\\)? ?[0-9]{3}-[0-9]{4}",
            "[0-9]{1,2}/[0-9]{1,2}/[0-9]{2,4}",
            "[a-z]{1,8}@[a-z]{1,8}\\.org",
            Just("born March 3, 1950".to_string()),
        ], 0..8),
    ) {
        let text = parts.concat();
        let guard = PhiGuard::new(None);
        let once = guard.redact(&text);
        let again = guard.scan(&once.text);
        prop_assert!(again.is_empty(), "{text:?} -> {:?} still holds {again:?}", once.text);
    }
}
