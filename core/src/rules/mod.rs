//! Business rules: CertLogic, the EU rule model, selection and evaluation.

pub mod business_rule;
pub mod certlogic;
pub mod rule_set;

pub use business_rule::{BusinessRule, RuleError, RuleTarget, RuleType};
pub use rule_set::{ExternalParameters, RuleOutcome, RuleResult, RuleSelection, RuleSet, evaluate_rules};
