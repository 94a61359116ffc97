//! CertLogic: any JSON expression with any data must validate and evaluate to a value or an
//! error, never a panic or a stack overflow. Input: expression and data separated by a NUL.
#![no_main]

use healthpass_core::rules::certlogic::{self, Value};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(2, |byte| *byte == 0);
    let (Some(expression), Some(context)) = (parts.next(), parts.next()) else { return };
    let (Ok(expression), Ok(context)) =
        (serde_json::from_slice::<serde_json::Value>(expression), serde_json::from_slice::<serde_json::Value>(context))
    else {
        return;
    };
    let _ = certlogic::validate(&expression);
    let _ = certlogic::evaluate(&expression, &Value::from_json(&context));
});
