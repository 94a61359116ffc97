//! Every refusal the service answers with: an HTTP status, a stable code, a message for people
//! (never a name or a birth date), and `Retry-After` where retrying later helps.

use healthpass_core::protocol::ErrorBody;

/// A refusal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status.
    pub status: u16,
    /// A stable machine code (also the `reason` label of the rejection metric).
    pub code: &'static str,
    /// What was expected.
    pub message: String,
    /// Seconds after which a retry may succeed (429, 503, 409).
    pub retry_after: Option<u64>,
}

impl ApiError {
    /// A refusal without `Retry-After`.
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), retry_after: None }
    }

    /// A refusal worth retrying after `seconds`.
    pub fn retry(status: u16, code: &'static str, message: impl Into<String>, seconds: u64) -> Self {
        Self { status, code, message: message.into(), retry_after: Some(seconds.max(1)) }
    }

    /// The JSON body.
    pub fn body(&self) -> Vec<u8> {
        serde_json::to_vec(&ErrorBody { error: self.code.to_owned(), message: self.message.clone() })
            .unwrap_or_default()
    }

    /// A storage failure: the database, not the request (the client retries with its key).
    pub fn storage(error: impl std::fmt::Display) -> Self {
        Self::retry(503, "storage_unavailable", format!("the issuance store failed; retry later ({error})"), 2)
    }
}

/// 401 `request_stale` when a request signed at `created` (seconds) lies more than `window`
/// away from the service's clock `now`, either way: the device and wallet routes share it.
pub fn check_freshness(now: i64, created: impl TryInto<i64>, window: std::time::Duration) -> Result<(), ApiError> {
    let skew = created.try_into().map_or(u64::MAX, |created| now.abs_diff(created));
    if skew > window.as_secs() {
        return Err(ApiError::new(
            401,
            "request_stale",
            format!(
                "the request was signed {skew} s away from the service's clock; at most {} s are accepted",
                window.as_secs()
            ),
        ));
    }
    Ok(())
}
