//! Shared helpers for the cross-cutting tests, and the generators of committed tables,
//! vectors and demo files.

pub mod bindings;
pub mod drill;
pub mod fallback_drill;
pub mod fallback_kit;
pub mod frames;
pub mod hostile_frames;
pub mod python;
pub mod scratch;
pub mod shared_data;
pub mod tables;
pub mod two_d_doc_codes;
pub mod vectors;
