//! The README's walk-through, run as written: its shell blocks in order in one bash, against a
//! fresh server started as the quick start does, each answer held to the JSON the README shows.

mod common;

use std::process::{Command, Stdio};

use common::binary::{serving, terminate, wait_until_serving};
use serde_json::Value;

const README: &str = include_str!("../README.md");
/// Where the walk-through points its shell; the test's server listens elsewhere.
const README_SERVER: &str = "CAUSEWAY=http://127.0.0.1:2016";
/// Fields whose values the README promises; the rest (ids, dates, nonces) vary.
const EXACT: [&str; 7] = [
    "result", "status", "code", "error", "message", "key", "value",
];

#[derive(Debug)]
enum Block {
    Shell(String),
    Answer(String),
}

/// The fenced `sh` and `json` blocks between the walk-through's markers, unindented.
fn walkthrough_blocks() -> Vec<Block> {
    let start = README
        .find("<!-- walk-through:start -->")
        .expect("README marks the walk-through's start");
    let end = README
        .find("<!-- walk-through:end -->")
        .expect("README marks the walk-through's end");
    let mut blocks = Vec::new();
    let mut open: Option<(String, usize, Vec<String>)> = None;
    for line in README[start..end].lines() {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        match &mut open {
            None => {
                if let Some(lang) = trimmed.strip_prefix("```") {
                    open = Some((lang.to_owned(), indent, Vec::new()));
                }
            }
            Some((lang, fence, lines)) => {
                if trimmed == "```" {
                    let text = lines.join("\n");
                    match lang.as_str() {
                        "sh" => blocks.push(Block::Shell(text)),
                        "json" => blocks.push(Block::Answer(text)),
                        other => panic!("walk-through block of unknown language {other:?}"),
                    }
                    open = None;
                } else {
                    let cut = line.len().min(*fence);
                    lines.push(line[cut..].to_owned());
                }
            }
        }
    }
    assert!(open.is_none(), "an unclosed block in the walk-through");
    blocks
}

/// An answer as the README shows it matches the server's when both have the same fields
/// (and the same fields in a first list entry), the promised fields are equal, and a nonce
/// is empty exactly when the README's is.
fn assert_matches(shown: &Value, got: &Value, step: &str) {
    let (Some(shown), Some(got)) = (shown.as_object(), got.as_object()) else {
        panic!("{step}: not a JSON object: {got}");
    };
    let keys = |o: &serde_json::Map<String, Value>| o.keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(shown), keys(got), "{step}: fields differ: {got:?}");
    for (field, value) in shown {
        if EXACT.contains(&field.as_str()) {
            assert_eq!(&got[field], value, "{step}: {field}");
        }
        if field == "nonce" {
            let empty = value.as_str() == Some("");
            assert_eq!(
                got[field].as_str() == Some(""),
                empty,
                "{step}: nonce {got:?}"
            );
        }
        if let (Some(first), Some(got_first)) = (
            value.as_array().and_then(|a| a.first()),
            got[field].as_array().and_then(|a| a.first()),
        ) {
            assert_matches(first, got_first, step);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_walkthrough_works_as_written() {
    let blocks = walkthrough_blocks();
    let shells = blocks
        .iter()
        .filter(|b| matches!(b, Block::Shell(_)))
        .count();
    assert!(shells >= 8, "{blocks:#?}");
    let Some(Block::Shell(first)) = blocks.first() else {
        panic!("the walk-through starts with a shell block");
    };
    assert!(first.contains(README_SERVER), "{first}");

    let (port, admin) = (common::binary::free_port(), common::binary::free_port());
    let mut server = serving(port, admin).stderr(Stdio::null()).spawn().unwrap();
    let base = format!("http://127.0.0.1:{port}");
    wait_until_serving(&reqwest::Client::new(), &base).await;

    // One bash runs every block in order, so variables and functions carry over; a marker
    // before each block splits the output back into steps.
    let mut script = String::from("set -euo pipefail\n");
    for (index, block) in blocks.iter().enumerate() {
        if let Block::Shell(text) = block {
            script.push_str(&format!("echo '@@@ {index}'\n{text}\n"));
            if index == 0 {
                // The one change: the server this test started, not one on port 2016.
                script.push_str(&format!("CAUSEWAY={base}\n"));
            }
        }
    }
    let dir = std::env::temp_dir().join(format!("causeway-walkthrough-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let output = tokio::task::spawn_blocking({
        let dir = dir.clone();
        move || {
            Command::new("bash")
                .arg("-c")
                .arg(&script)
                .current_dir(&dir)
                .stdin(Stdio::null())
                .output()
                .unwrap()
        }
    })
    .await
    .unwrap();
    terminate(&server);
    let _ = server.wait();
    let _ = std::fs::remove_dir_all(&dir);
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "the walk-through failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );

    let mut outputs = std::collections::HashMap::new();
    for part in stdout.split("@@@ ").skip(1) {
        let (index, text) = part.split_once('\n').unwrap_or((part, ""));
        outputs.insert(
            index.trim().parse::<usize>().unwrap(),
            text.trim().to_owned(),
        );
    }
    let mut checked = 0;
    for (index, pair) in blocks.windows(2).enumerate() {
        if let [Block::Shell(_), Block::Answer(shown)] = pair {
            let got = outputs
                .get(&index)
                .unwrap_or_else(|| panic!("block {index} printed nothing"));
            let shown: Value = serde_json::from_str(shown).unwrap_or_else(|err| {
                panic!("README's answer after block {index} is not JSON: {err}")
            });
            let got: Value = serde_json::from_str(got)
                .unwrap_or_else(|err| panic!("block {index} printed {got:?}, not JSON: {err}"));
            assert_matches(&shown, &got, &format!("step {index}"));
            checked += 1;
        }
    }
    assert!(checked >= 7, "{checked} answers checked");
}
