pub mod conformance;
pub mod scan;
pub mod verify;
