pub mod bundle;
pub mod conformance;
pub mod demo;
pub mod issue;
pub mod keys;
pub mod scan;
pub mod verify;
