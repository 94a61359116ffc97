pub mod bundle;
pub mod conformance;
pub mod demo;
pub mod issue;
pub mod issuer;
pub mod keys;
pub mod scan;
pub mod verify;
