//! The health certificate itself: where it sits in the claims, its typed form, and its schema.

pub mod certificate_type;
pub mod hcert;
pub mod json;
pub mod payload;
pub mod reading;
pub mod schema;
pub mod uvci;
pub mod value_sets;

pub use certificate_type::CertificateType;
pub use hcert::HcertError;
pub use payload::{DateOfBirth, Dcc, DccDate, DccError, Entry, PersonName, RecoveryEntry, TestEntry, VaccinationEntry};
pub use reading::{Deviation, DeviationKind, Reading, Strictness};
