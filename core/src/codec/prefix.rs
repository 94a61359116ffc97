//! The context identifier in front of the base45 text (hcert spec §4.1: `HC1:`).

/// The only context this project reads: version 1 of the health certificate.
pub const HC1_PREFIX: &str = "HC1:";

#[allow(missing_docs, reason = "each variant's #[error] message documents it and its fields")]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrefixError {
    /// dgc-testdata common/H3: bare base45 without a context is not a pass.
    #[error("the text does not start with a context identifier; expected it to start with \"HC1:\"")]
    Missing,
    /// dgc-testdata common/H1, H2: `HL0:`, `HL1:` and other contexts are not supported.
    #[error("unsupported context identifier {found:?}; expected \"HC1:\"")]
    Unsupported { found: String },
}

/// The base45 text after the `HC1:` prefix.
pub fn strip_prefix(text: &str) -> Result<&str, PrefixError> {
    if let Some(rest) = text.strip_prefix(HC1_PREFIX) {
        return Ok(rest);
    }
    // Name what was found only when it looks like a context identifier (short, ends in ':'),
    // so no payload text ends up in an error message.
    match text.find(':') {
        Some(end) if (2..=5).contains(&end) && text.is_char_boundary(end + 1) => {
            Err(PrefixError::Unsupported { found: text[..=end].to_string() })
        }
        _ => Err(PrefixError::Missing),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_only_hc1() {
        assert_eq!(strip_prefix("HC1:6BF"), Ok("6BF"));
        assert_eq!(strip_prefix("HL0:6BF"), Err(PrefixError::Unsupported { found: "HL0:".into() }));
        assert_eq!(strip_prefix("hc1:6BF"), Err(PrefixError::Unsupported { found: "hc1:".into() }));
        assert_eq!(strip_prefix("6BFOXN"), Err(PrefixError::Missing));
        assert_eq!(strip_prefix(""), Err(PrefixError::Missing));
        assert_eq!(strip_prefix("ééé:"), Err(PrefixError::Missing));
    }
}
