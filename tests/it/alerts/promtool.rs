//! The Prometheus-side rules in `deploy/prometheus/` are valid and pass
//! their unit tests under Debian's promtool.

use std::path::Path;
use std::process::Command;

use super::tool;

fn promtool(args: &[&str]) -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/prometheus");
    let out = Command::new("promtool")
        .args(args)
        .current_dir(&dir)
        .output()
        .expect("run promtool");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "promtool {args:?} failed:\n{text}");
    text
}

#[test]
fn the_prometheus_rules_are_valid_and_pass_their_promtool_tests() {
    if !tool(
        "promtool rules",
        "promtool",
        Command::new("promtool").arg("--version"),
        "apt-get install prometheus",
    ) {
        return;
    }
    let checked = promtool(&["check", "rules", "hypercare-rules.yml"]);
    assert!(checked.contains("SUCCESS: 7 rules found"), "{checked}");
    let tested = promtool(&["test", "rules", "hypercare-rules.test.yml"]);
    assert!(tested.contains("SUCCESS"), "{tested}");
}
