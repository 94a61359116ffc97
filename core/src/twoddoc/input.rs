//! What a scanner or a user hands over: the decoded DataMatrix text, or a TousAntiCovid wallet
//! link carrying it (`https://bonjour.tousanticovid.gouv.fr/app/wallet?v=<percent-encoded>` and
//! the fragment form `…/app/wallet2d#<code>`, FORMAT.md "Around the code").

/// The longest 2D-DOC accepted, in characters: a 144×144 DataMatrix, the largest square
/// symbol, holds 2,335 alphanumeric characters (ISO/IEC 16022 table 7); C40 packs no more.
pub const MAX_TEXT_CHARS: usize = 2_335;

/// The longest wallet link accepted: every character of the longest code percent-encoded.
const MAX_LINK_CHARS: usize = 3 * MAX_TEXT_CHARS + 256;

/// The wallet paths TousAntiCovid's links used (`walletdcc` carried an `HC1:` pass); the host is
/// not trusted either way, the signature is what counts.
const WALLET_PATHS: [&str; 3] = ["/app/wallet", "/app/wallet2d", "/app/walletdcc"];

/// Why the input is not 2D-DOC text.
#[allow(missing_docs, reason = "each variant's #[error] message documents it and its fields")]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    #[error("{length} characters; a 2D-DOC holds at most {limit}")]
    TooLong { length: usize, limit: usize },
    #[error("empty input")]
    Empty,
    #[error("a wallet link must carry the code as ?v=<code> or #<code> after /app/wallet")]
    LinkWithoutCode,
    #[error("the link's percent-encoding is broken at character {position}")]
    PercentEncoding { position: usize },
    #[error("character {position} is not ASCII text or a GS/RS/US separator; a 2D-DOC is C40 text")]
    NotC40Text { position: usize },
}

/// The code a TousAntiCovid wallet link carries (a 2D-DOC, or an `HC1:` pass for `walletdcc`),
/// percent-decoded; `None` when `input` is not such a link.
pub fn wallet_link_payload(input: &str) -> Result<Option<String>, InputError> {
    if input.len() > MAX_LINK_CHARS {
        return Err(InputError::TooLong { length: input.len(), limit: MAX_TEXT_CHARS });
    }
    wallet_link_code(input.trim_matches([' ', '\t', '\r', '\n']))
}

/// The 2D-DOC text of `input`: a wallet link is unwrapped and percent-decoded, surrounding
/// line breaks and blanks are dropped, and every character is checked to be printable ASCII
/// or one of the separators GS (0x1D), RS (0x1E), US (0x1F).
pub fn two_d_doc_text(input: &str) -> Result<String, InputError> {
    if input.len() > MAX_LINK_CHARS {
        return Err(InputError::TooLong { length: input.len(), limit: MAX_TEXT_CHARS });
    }
    let trimmed = input.trim_matches([' ', '\t', '\r', '\n']);
    let text = match wallet_link_code(trimmed)? {
        Some(code) => code,
        None => trimmed.to_owned(),
    };
    if text.is_empty() {
        return Err(InputError::Empty);
    }
    if text.len() > MAX_TEXT_CHARS {
        return Err(InputError::TooLong { length: text.len(), limit: MAX_TEXT_CHARS });
    }
    if let Some(position) =
        text.chars().position(|c| !(c == '\u{1d}' || c == '\u{1e}' || c == '\u{1f}' || (' '..='~').contains(&c)))
    {
        return Err(InputError::NotC40Text { position });
    }
    Ok(text)
}

/// Whether `text` is an http(s) link to a TousAntiCovid wallet path.
pub fn is_wallet_link(text: &str) -> bool {
    let lower = text.get(..8).unwrap_or(text).to_ascii_lowercase();
    let path_end = text.find(['?', '#']).unwrap_or(text.len());
    (lower.starts_with("https://") || lower.starts_with("http://"))
        && WALLET_PATHS.iter().any(|path| text.get(..path_end).is_some_and(|before| before.ends_with(path)))
}

/// The code a wallet link carries, decoded; `None` when `text` is not a link.
fn wallet_link_code(text: &str) -> Result<Option<String>, InputError> {
    let lower = text.get(..8).unwrap_or(text).to_ascii_lowercase();
    if !(lower.starts_with("https://") || lower.starts_with("http://")) {
        return Ok(None);
    }
    let (before_fragment, fragment) = match text.split_once('#') {
        Some((before, fragment)) => (before, Some(fragment)),
        None => (text, None),
    };
    let (path_part, query) = match before_fragment.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (before_fragment, None),
    };
    if !WALLET_PATHS.iter().any(|path| path_part.ends_with(path)) {
        return Err(InputError::LinkWithoutCode);
    }
    if let Some(code) = query.and_then(|query| query.split('&').find_map(|pair| pair.strip_prefix("v="))) {
        return percent_decode(code, true, offset_in(text, code)).map(Some);
    }
    match fragment {
        Some(code) if !code.is_empty() => percent_decode(code, false, offset_in(text, code)).map(Some),
        _ => Err(InputError::LinkWithoutCode),
    }
}

/// Where `part`, a slice of `whole`, starts in it: error positions count from the input.
fn offset_in(whole: &str, part: &str) -> usize {
    (part.as_ptr() as usize).saturating_sub(whole.as_ptr() as usize)
}

/// RFC 3986 §2.1 percent-decoding; in a query, `+` is a space (HTML form encoding).
fn percent_decode(encoded: &str, plus_is_space: bool, offset: usize) -> Result<String, InputError> {
    let bytes = encoded.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while let Some(&byte) = bytes.get(index) {
        match byte {
            b'%' => {
                let value = bytes
                    .get(index + 1..index + 3)
                    .and_then(|hex| std::str::from_utf8(hex).ok())
                    .and_then(|hex| u8::from_str_radix(hex, 16).ok())
                    .ok_or(InputError::PercentEncoding { position: offset + index })?;
                decoded.push(value);
                index += 3;
            }
            b'+' if plus_is_space => {
                decoded.push(b' ');
                index += 1;
            }
            other => {
                decoded.push(other);
                index += 1;
            }
        }
    }
    String::from_utf8(decoded).map_err(|error| InputError::NotC40Text { position: error.utf8_error().valid_up_to() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wallet_query_form_is_percent_decoded() {
        let link = "https://bonjour.tousanticovid.gouv.fr/app/wallet?v=DC04FR03AHP1%1DF1A%20B%1FABC";
        assert_eq!(two_d_doc_text(link).unwrap(), "DC04FR03AHP1\u{1d}F1A B\u{1f}ABC");
    }

    #[test]
    fn the_fragment_form_is_read_too() {
        let link = "https://bonjour.tousanticovid.gouv.fr/app/wallet2d#DC04FR03%1DX";
        assert_eq!(two_d_doc_text(link).unwrap(), "DC04FR03\u{1d}X");
    }

    #[test]
    fn a_dcc_wallet_link_gives_its_hc1_text() {
        let link = "https://bonjour.tousanticovid.gouv.fr/app/walletdcc#HC1:6BF%2B70";
        assert_eq!(wallet_link_payload(link).unwrap().as_deref(), Some("HC1:6BF+70"));
        assert_eq!(wallet_link_payload("HC1:6BF").unwrap(), None);
    }

    #[test]
    fn links_without_a_code_or_with_broken_escapes_are_refused() {
        assert_eq!(two_d_doc_text("https://example.org/app/wallet"), Err(InputError::LinkWithoutCode));
        assert_eq!(two_d_doc_text("https://example.org/other?v=DC04"), Err(InputError::LinkWithoutCode));
        assert!(matches!(two_d_doc_text("https://x/app/wallet?v=DC%4"), Err(InputError::PercentEncoding { .. })));
        assert!(matches!(two_d_doc_text("https://x/app/wallet?v=DC%C3%28"), Err(InputError::NotC40Text { .. })));
    }

    #[test]
    fn control_characters_other_than_the_separators_are_refused() {
        assert_eq!(two_d_doc_text("DC04\u{1b}[2J"), Err(InputError::NotC40Text { position: 4 }));
        assert_eq!(two_d_doc_text("DC04é"), Err(InputError::NotC40Text { position: 4 }));
        assert_eq!(two_d_doc_text(" \n"), Err(InputError::Empty));
    }

    #[test]
    fn over_long_input_is_refused_before_it_is_read() {
        let long = "A".repeat(MAX_TEXT_CHARS + 1);
        assert!(matches!(two_d_doc_text(&long), Err(InputError::TooLong { .. })));
        let huge = "A".repeat(10 * MAX_TEXT_CHARS);
        assert!(matches!(two_d_doc_text(&huge), Err(InputError::TooLong { .. })));
    }
}
