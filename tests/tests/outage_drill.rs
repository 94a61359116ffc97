//! The August 2021 weekend, small: 300 pharmacies, C = 0.42 issuances/s (twice their load),
//! the issuer down for twenty minutes. Our outbox loses nothing, duplicates nothing and offers at most 1.5x C when the
//! issuer returns; the naive client, in the same drill, storms it. The full drill and its plot:
//! `cargo run --release --manifest-path bench/Cargo.toml --bin outage`.

use healthpass_tests::drill::{DrillConfig, run_naive_client, run_outbox_client};

#[test]
fn the_outbox_rides_out_an_outage_without_loss_duplicates_or_a_retry_storm() {
    let config = DrillConfig::small();
    let ours = run_outbox_client(&config, None);
    eprintln!("outbox: {}", ours.summary());
    assert!(ours.entries > 500, "the drill made {} entries", ours.entries);
    assert_eq!((ours.lost, ours.duplicates), (0, 0), "{}", ours.summary());
    assert_eq!(ours.issued, ours.entries);
    assert!(ours.peak_recovery_load <= 1.5, "offered {:.1}x C on recovery", ours.peak_recovery_load);
    assert!(ours.backlog_drained_after.is_some());

    let naive = run_naive_client(&config);
    eprintln!("naive: {}", naive.summary());
    assert_eq!(naive.entries, ours.entries, "both clients get the same entries");
    // The drill can tell a storm from a recovery: the naive client's synchronized retries.
    assert!(naive.peak_recovery_load > 10.0 && naive.lost + naive.duplicates > 0, "{}", naive.summary());
}
