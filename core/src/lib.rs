//! healthpass-core: signed health passes (EU Digital COVID Certificate, `HC1:` QR codes).
//!
//! Layers, dependencies pointing down only:
//!
//! ```text
//!   checkpoint             <- product features: a controller's continuous scan loop
//!   verify  scan  issue    <- use cases: verdicts, reading codes from frames, signing passes
//!   trust                  <- document signer certificates, trust lists
//!   dcc                    <- the typed health certificate, schema checks
//!   codec                  <- HC1: / base45 / zlib / COSE_Sign1 / CWT
//! ```
//!
//! Time is always a parameter ([`time::UnixTime`]); nothing in the core reads a clock.
//!
//! # Text to verdict
//!
//! ```
//! use healthpass_core::time::UnixTime;
//! use healthpass_core::trust::{DocumentSignerCertificate, TrustStore};
//! use healthpass_core::verify::Verifier;
//!
//! let signers = DocumentSignerCertificate::from_file_bytes(include_bytes!("../../cli/demo/signer.pem"))?;
//! let verifier = Verifier::new(TrustStore::from_iter(signers));
//! let pass = include_str!("../../cli/demo/pass.txt").trim();
//! let verdict = verifier.verify_text(pass, UnixTime::parse_rfc3339("2027-01-01T00:00:00Z")?)?;
//! assert!(verdict.is_valid(), "{:?}", verdict.reasons);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]
// Input comes from strangers: no panicking shortcuts outside tests.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]

pub mod checkpoint;
pub mod codec;
pub mod dcc;
#[cfg(feature = "outbox")]
pub mod fallback;
pub mod issue;
#[cfg(feature = "outbox")]
pub mod outbox;
pub mod protocol;
pub mod render;
pub mod rules;
pub mod scan;
pub mod time;
pub mod trust;
pub mod twoddoc;
pub mod verify;
#[cfg(feature = "wallet")]
pub mod wallet;

#[cfg(feature = "conformance")]
pub mod conformance;
