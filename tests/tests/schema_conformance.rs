//! The DCC schema's own examples, and the bundled schema tables against the shared releases.

use healthpass_core::dcc::{Dcc, json, schema};
use healthpass_tests::shared_data::{repository_root, require_conformance_dir};

fn examples(kind: &str) -> Vec<(String, serde_json::Value)> {
    let dir = require_conformance_dir().join("schema/test").join(kind);
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().map(|entry| entry.path()).collect();
    files.sort();
    files
        .into_iter()
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap();
            (path.file_name().unwrap().to_string_lossy().into_owned(), serde_json::from_str(&text).unwrap())
        })
        .collect()
}

#[test]
fn every_valid_example_conforms() {
    let valid = examples("valid");
    assert!(valid.len() >= 13);
    for (name, document) in valid {
        let value = json::json_to_cbor(&document);
        let check = schema::check_dcc(&value).unwrap();
        assert!(check.violations.is_empty(), "{name}: {:?}", check.violations);
        assert!(Dcc::from_value(&value).is_ok(), "{name} does not read as a DCC");
    }
}

#[test]
fn every_invalid_example_is_refused_with_the_reason_it_illustrates() {
    let expected_paths = [
        ("empty.json", "/v"),
        ("invalid_dob.json", "/dob"),
        ("invalid_dob2.json", "/dob"),
        ("invalid_vac.json", "/v/0/dn"),
        ("missing_dob.json", ""),
        ("missing_fnt_gnt.json", "/nam"),
    ];
    let invalid = examples("invalid");
    assert_eq!(invalid.len(), expected_paths.len());
    for (name, document) in invalid {
        let check = schema::check_dcc(&json::json_to_cbor(&document)).unwrap();
        let path = expected_paths.iter().find(|(file, _)| *file == name).map(|(_, path)| *path).unwrap();
        assert!(
            check.violations.iter().any(|violation| violation.path == path),
            "{name}: expected a violation at {path:?}, found {:?}",
            check.violations
        );
    }
}

#[test]
fn generated_tables_match_the_shared_data() {
    let files = healthpass_tests::tables::generate_all(&require_conformance_dir(), &repository_root()).unwrap();
    for file in files {
        let committed = std::fs::read(&file.path).unwrap_or_default();
        assert!(
            committed == file.expected_bytes(),
            "{} is stale; run `cargo run -p healthpass-tests --bin generate-tables`",
            file.path.display()
        );
    }
}
