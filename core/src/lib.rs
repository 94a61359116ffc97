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
#![forbid(unsafe_code)]
// Input comes from strangers: no panicking shortcuts outside tests.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]

pub mod checkpoint;
pub mod codec;
pub mod dcc;
pub mod issue;
pub mod render;
pub mod rules;
pub mod scan;
pub mod time;
pub mod trust;
pub mod verify;

#[cfg(feature = "conformance")]
pub mod conformance;
