//! The README's configuration table is the settings catalogue: the same keys, in the same
//! order, with the same defaults and meanings. A key added in code and not documented, or
//! documented and not read, fails here with the row to paste.

use drawings_settings::keys::{self, Key};
use std::path::PathBuf;

/// The rows of the table under `## Configuration`: `(name, default, meaning)`.
fn readme_rows() -> Vec<(String, String, String)> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../README.md");
    let readme = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let section = readme
        .split("\n## Configuration\n")
        .nth(1)
        .expect("the README has a `## Configuration` section");
    let section = section.split("\n## ").next().unwrap_or(section);
    section
        .lines()
        .filter(|line| line.starts_with("| `"))
        .map(|line| {
            let cells: Vec<&str> = line.trim().trim_matches('|').split('|').map(str::trim).collect();
            assert_eq!(cells.len(), 3, "a row of three cells: {line}");
            (
                cells[0].trim_matches('`').to_owned(),
                cells[1].to_owned(),
                cells[2].to_owned(),
            )
        })
        .collect()
}

fn row(key: &Key) -> String {
    format!("| `{}` | {} | {} |", key.name, key.default, key.meaning)
}

#[test]
fn every_documented_key_is_in_the_catalogue_and_every_catalogue_key_is_documented() {
    let documented = readme_rows();
    let undocumented: Vec<String> = keys::ALL
        .iter()
        .filter(|key| !documented.iter().any(|(name, _, _)| name == key.name))
        .map(row)
        .collect();
    assert!(
        undocumented.is_empty(),
        "keys missing from the README's configuration table:\n{}",
        undocumented.join("\n")
    );
    let unknown: Vec<&str> = documented
        .iter()
        .map(|(name, _, _)| name.as_str())
        .filter(|name| keys::find(name).is_none())
        .collect();
    assert!(
        unknown.is_empty(),
        "the README documents keys no host reads: {unknown:?}"
    );
}

#[test]
fn the_readme_table_shows_each_keys_default_and_meaning_in_catalogue_order() {
    let documented = readme_rows();
    let names: Vec<&str> = documented.iter().map(|(name, _, _)| name.as_str()).collect();
    let catalogue: Vec<&str> = keys::ALL.iter().map(|key| key.name).collect();
    assert_eq!(names, catalogue, "the README's rows are not in the catalogue's order");
    for (name, default, meaning) in &documented {
        let key = keys::find(name).expect("checked above");
        assert_eq!(
            (default.as_str(), meaning.as_str()),
            (key.default, key.meaning),
            "the README's row for {name} differs from the catalogue's:\n{}",
            row(key)
        );
    }
}
