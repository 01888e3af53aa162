//! The SAM template and the settings agree: every variable the template sets in a function's
//! environment (its own and `Globals`) is read by that function's configuration, and the
//! template's values, with its parameters at their defaults, are valid settings.
//!
//! The template is read with a small indentation scan, enough for the sections used here
//! (`Parameters`, `Globals.Function.Environment`, each function's `Environment`); the
//! short-form intrinsics (`!Ref`, `!Sub`, `!GetAtt`) are resolved to what a deployment with
//! default parameters would set: a parameter's default, a resource's logical id, the text of
//! a `!Sub`.

use drawings_lambdas::LambdaConfig;
use drawings_lambdas::config::AccessConfig;
use drawings_settings::keys;
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

const FUNCTIONS: [&str; 3] = ["IntakeFunction", "ProcessorFunction", "DlqFunction"];

/// One `key: value` line of the template and the lines nested under it.
#[derive(Debug, Default)]
struct Node {
    value: String,
    children: Vec<(String, Node)>,
}

impl Node {
    fn get(&self, path: &[&str]) -> Option<&Node> {
        let Some((first, rest)) = path.split_first() else {
            return Some(self);
        };
        self.children.iter().find(|(k, _)| k == first)?.1.get(rest)
    }

    fn entries(&self, path: &[&str]) -> Vec<(String, String)> {
        self.get(path)
            .map(|node| {
                node.children
                    .iter()
                    .map(|(k, v)| (k.clone(), v.value.clone()))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// The template's mappings as a tree. List items, comments and lines without a `key:` are
/// skipped; a folded scalar's lines land under its key, where nothing here looks.
fn template() -> Node {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../sam/template.yaml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut root = Node::default();
    // The path of keys from the root to the last line read, with each one's indentation.
    let mut open: Vec<(usize, String)> = Vec::new();
    for line in text.lines() {
        let body = line.trim_start();
        if body.is_empty() || body.starts_with('#') || body.starts_with('-') {
            continue;
        }
        let Some((key, value)) = body.split_once(':') else {
            continue;
        };
        if key.contains(' ') || key.is_empty() {
            continue;
        }
        let indent = line.len() - body.len();
        while open.last().is_some_and(|(i, _)| *i >= indent) {
            open.pop();
        }
        let mut node = &mut root;
        for (_, k) in &open {
            node = &mut node
                .children
                .iter_mut()
                .rev()
                .find(|(name, _)| name == k)
                .expect("an open key")
                .1;
        }
        let value = value
            .split(" #")
            .next()
            .unwrap_or_default()
            .trim()
            .trim_matches('"')
            .to_owned();
        node.children.push((
            key.to_owned(),
            Node {
                value,
                children: Vec::new(),
            },
        ));
        open.push((indent, key.to_owned()));
    }
    root
}

/// A value as a deployment with default parameters sets it.
fn resolve(template: &Node, value: &str) -> String {
    if let Some(name) = value.strip_prefix("!Ref ") {
        return match template.get(&["Parameters", name, "Default"]) {
            Some(default) => default.value.clone(),
            None => name.to_owned(),
        };
    }
    if let Some(text) = value.strip_prefix("!Sub ") {
        return text.to_owned();
    }
    if let Some(attribute) = value.strip_prefix("!GetAtt ") {
        return format!("arn:aws:test:{attribute}");
    }
    value.to_owned()
}

/// A function's variables, `Globals` under its own (as SAM merges them), resolved.
fn environment(template: &Node, function: &str) -> BTreeMap<String, String> {
    let globals = template.entries(&["Globals", "Function", "Environment", "Variables"]);
    let own = template.entries(&["Resources", function, "Properties", "Environment", "Variables"]);
    globals
        .into_iter()
        .chain(own)
        .map(|(k, v)| {
            let resolved = resolve(template, &v);
            (k, resolved)
        })
        .collect()
}

#[test]
fn every_variable_the_template_sets_is_read_by_that_functions_settings() {
    let template = template();
    for function in FUNCTIONS {
        let env = environment(&template, function);
        assert!(
            env.contains_key(keys::TABLE),
            "{function}: the scan found no environment: {env:?}"
        );
        let asked = RefCell::new(BTreeSet::new());
        let lookup = |key: &str| {
            asked.borrow_mut().insert(key.to_owned());
            env.get(key).cloned()
        };
        let config = LambdaConfig::from_lookup(&lookup)
            .unwrap_or_else(|e| panic!("{function}: the template's defaults are not valid settings: {e}"));
        if function == "IntakeFunction" {
            AccessConfig::from_settings(&config.settings).unwrap_or_else(|e| panic!("{function}: {e}"));
        }
        let asked = asked.into_inner();
        for name in env.keys() {
            assert!(
                asked.contains(name),
                "{function} sets {name}, which its configuration never reads"
            );
            assert!(
                keys::find(name).is_some(),
                "{function} sets {name}, which is not in the settings catalogue"
            );
        }
    }
}

#[test]
fn the_processor_gets_the_analyzer_and_the_gemini_key_parameter_from_the_template() {
    let template = template();
    let env = environment(&template, "ProcessorFunction");
    let config = LambdaConfig::from_lookup(&|key| env.get(key).cloned()).expect("valid settings");
    let analyzer = template
        .get(&["Parameters", "Analyzer", "Default"])
        .expect("an Analyzer parameter");
    assert_eq!(env.get(keys::ANALYZER), Some(&analyzer.value));
    assert!(config.settings.gemini_key_parameter.is_some());
    assert!(config.settings.analyzer.may_use_gemini());
}
