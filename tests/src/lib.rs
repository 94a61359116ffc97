//! Shared helpers for the cross-cutting tests, and the generators of committed tables,
//! vectors and demo files.

pub mod bindings;
pub mod drill;
pub mod frames;
pub mod hostile_frames;
pub mod shared_data;
pub mod tables;
pub mod vectors;
