pub mod conformance;
pub mod verify;
