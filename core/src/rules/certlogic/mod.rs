//! CertLogic (specification 1.3.3): the restricted JsonLogic dialect of the EU business rules,
//! with strict truthiness, integer-only arithmetic and comparison, and date-time operations.
//! No Rust crate implements these semantics; JsonLogic crates differ in truthiness and numbers.

pub mod date_time;
pub mod evaluate;
pub mod validate;
pub mod value;

pub use date_time::{DateTime, TimeUnit};
pub use evaluate::{Budget, CertLogicError, DEFAULT_STEP_BUDGET, evaluate, evaluate_with_budget, extract_from_uvci};
pub use validate::{ValidationIssue, validate};
pub use value::Value;
