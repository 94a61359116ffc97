//! healthpass-ffi: the UniFFI layer over healthpass-core for the Android and iOS apps.
//!
//! Only conversions, objects that wrap core types, one public error enum and the foreign
//! traits the platforms implement live here; all logic is in the core. Every exported call
//! runs under a panic guard, so no panic crosses into Kotlin or Swift.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]

uniffi::setup_scaffolding!();

mod error;
mod foreign;
mod issuer;
mod outbox;
mod render;
mod scanner;
mod session;
mod types;
mod verifier;
mod wallet;

pub use error::HealthpassError;
pub use foreign::{Signer, Transport};
pub use issuer::{PassIssuer, device_enrolment, rapid_test_devices};
pub use outbox::{OutboxDrain, OutboxEntry, OutboxState, OutboxSummary, PassOutbox, ProvisionalPass, ReceivedPass};
pub use render::{attestation_page_svg, provisional_attestation_page_svg, qr_png, qr_svg};
pub use scanner::PassScanner;
pub use session::{CheckpointEvent, CheckpointSession, CheckpointStats};
pub use types::*;
pub use verifier::PassVerifier;
pub use wallet::{
    AddedPass, PassWallet, TransferCodeState, TransferInfo, WalletEntry, WalletExport, WalletFetch, WalletKey,
    WalletPassState, WalletProtection,
};

/// The pinned anchor of the demo trust bundle (P-256 public key, PEM). Its private key is
/// published: pin it in demos and tests only, never in an app that checks real passes.
#[uniffi::export]
pub fn demo_trust_anchor() -> Result<Vec<u8>, HealthpassError> {
    error::guard(|| Ok(include_bytes!("../../cli/demo/anchor.pem").to_vec()))
}

/// The demo trust bundle: the demo signer (test certificates), value sets, French demo
/// rules; in force 2026–2036. For demos and tests, never for real checks.
#[uniffi::export]
pub fn demo_trust_bundle() -> Result<Vec<u8>, HealthpassError> {
    error::guard(|| Ok(include_bytes!("../../cli/demo/bundle.cbor").to_vec()))
}

/// Every reason code a verdict can give, with its category and its French and English texts
/// for a screen.
#[uniffi::export]
pub fn reason_catalogue() -> Vec<ReasonText> {
    healthpass_core::verify::REASON_TEXTS.iter().map(ReasonText::from).collect()
}

/// The library version.
#[uniffi::export]
pub fn library_version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}
