//! The README stays true to the code: every setting of `src/config.rs` is in its table.

use std::collections::BTreeSet;

fn read(relative: &str) -> String {
    let path = format!("{}/{relative}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("read {path}: {err}"))
}

/// Every `env = "NAME"` of the configuration, in any spacing, skipping names such as
/// `hide_env_values` that merely end in `env`.
fn config_env_names() -> BTreeSet<String> {
    let source = read("src/config.rs");
    let mut names = BTreeSet::new();
    for (at, _) in source.match_indices("env") {
        let before = source[..at].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let rest = source[at + "env".len()..].trim_start();
        let Some(rest) = rest.strip_prefix('=') else {
            continue;
        };
        let Some(rest) = rest.trim_start().strip_prefix('"') else {
            continue;
        };
        if let Some(end) = rest.find('"') {
            names.insert(rest[..end].to_owned());
        }
    }
    names
}

fn readme_table_rows() -> Vec<String> {
    read("README.md")
        .lines()
        .filter(|line| line.trim_start().starts_with('|'))
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_setting_is_documented_in_the_readme() {
    let names = config_env_names();
    assert!(
        names.len() > 10,
        "found only {} env names in src/config.rs; extraction is broken: {names:?}",
        names.len()
    );
    let rows = readme_table_rows();
    let missing: Vec<&String> = names
        .iter()
        .filter(|name| {
            let quoted = format!("`{name}`");
            !rows.iter().any(|row| row.contains(&quoted))
        })
        .collect();
    assert!(
        missing.is_empty(),
        "settings missing from the README configuration table: {missing:?}"
    );
}

#[test]
fn readme_documents_no_setting_that_does_not_exist() {
    let names = config_env_names();
    let stale: Vec<String> = readme_table_rows()
        .iter()
        .flat_map(|row| row.split('`').skip(1).step_by(2).map(str::to_owned))
        .filter(|word| word.starts_with("CAUSEWAY_") && !names.contains(word))
        .collect();
    assert!(
        stale.is_empty(),
        "README table names settings src/config.rs does not have: {stale:?}"
    );
}

#[test]
fn readme_shows_the_quick_start_commands() {
    let readme = read("README.md");
    for command in ["cargo run --release", "scripts/test.sh"] {
        assert!(
            readme.contains(command),
            "README lacks the command `{command}`"
        );
    }
}
