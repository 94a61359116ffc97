//! The weekend with the signed paper fallback, small (40 pharmacies, the issuer down for six
//! hours): every test leaves with a pass a controller verifies offline (provisional during the
//! outage), every provisional pass is reconciled under its UVCI, nothing is signed twice, and
//! the return stays within the issuer's capacity. The full drill and its plot:
//! `cargo run --release --manifest-path bench/Cargo.toml --bin weekend`.

use healthpass_tests::fallback_drill::{WeekendConfig, run_weekend};

#[test]
fn every_test_gets_a_pass_and_every_provisional_pass_is_reconciled_once() {
    let result = run_weekend(&WeekendConfig::small());
    eprintln!("{}", result.summary());
    assert!(result.entries > 300, "{}", result.summary());
    assert!(result.provisional > 100, "the outage must be felt: {}", result.summary());
    assert_eq!(result.lost, 0, "{}", result.summary());
    assert_eq!(result.central + result.provisional, result.entries);
    // Every provisional pass ends with one final pass: its own UVCI, or (when the issuer had
    // signed the test just before the outage took the answer) that central pass.
    assert_eq!(result.reconciled + result.reconciled_to_central, result.provisional, "{}", result.summary());
    assert!(result.reconciled_to_central <= result.provisional / 50, "{}", result.summary());
    assert_eq!(result.duplicates, 0, "{}", result.summary());
    assert!(result.peak_recovery_load <= 1.5, "{}", result.summary());
}
