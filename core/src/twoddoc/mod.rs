//! The French 2D-DOC (ANTS specification), as SI-DEP test results (type B2) and the first
//! vaccination certificates (type L1) carried it in 2021: a DataMatrix of C40 text, signed
//! with ECDSA.
//!
//! ```text
//!   DC04 FR03 AHP1 1E5C 1E5C B2 01 FR | F0…<GS>F1…<GS>F2… | <US> base32(r‖s) | [<GS> annex]
//!   header (26 chars in v04)          | message           | signature        | unsigned
//! ```
//!
//! Parsing goes stage by stage — [`input`] (the wallet link forms), [`header`], [`message`],
//! [`signature`] — and each stage has its own error; none quotes a field's value, since the
//! values are names and birth dates. Work is linear in the input, which is bounded by
//! [`MAX_TEXT_CHARS`] before anything else is read. Verification (signer, validity, content
//! checks) is the verify layer's (`verify::twoddoc`).

pub mod content;
pub mod header;
pub mod input;
pub mod message;
pub mod signature;

pub use content::{CycleState, Sex, TestOutcome, TestResult, Vaccination};
pub use header::{DocumentType, Header, HeaderError, Version};
pub use input::{InputError, MAX_TEXT_CHARS, two_d_doc_text, wallet_link_payload};
pub use message::{Field, Message, MessageError};
pub use signature::{Curve, SignatureError, SignatureZone};

use sha2::{Digest, Sha256};

/// A 2D-DOC read into its parts; its signature is not checked yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TwoDDoc {
    /// The header.
    pub header: Header,
    /// The message fields, in the order written.
    pub message: Message,
    /// The signature and what follows it.
    pub signature: SignatureZone,
    /// The signed bytes: header and message, everything before the first US.
    pub signed_data: Vec<u8>,
}

/// Why a text is not a readable 2D-DOC, stage by stage.
#[allow(missing_docs, reason = "each variant's #[error] message documents it")]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TwoDDocError {
    #[error("2D-DOC input: {0}")]
    Input(#[from] InputError),
    #[error("2D-DOC header: {0}")]
    Header(#[from] HeaderError),
    #[error("2D-DOC message: {0}")]
    Message(#[from] MessageError),
    #[error("2D-DOC signature: {0}")]
    Signature(#[from] SignatureError),
}

impl TwoDDocError {
    /// A stable machine-readable code: the stage that failed.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Input(_) => "twoddoc_input",
            Self::Header(_) => "twoddoc_header",
            Self::Message(_) => "twoddoc_message",
            Self::Signature(_) => "twoddoc_signature",
        }
    }
}

impl TwoDDoc {
    /// Reads a 2D-DOC from the decoded DataMatrix text (or a wallet link carrying one).
    pub fn parse(text: &str) -> Result<Self, TwoDDocError> {
        let text = two_d_doc_text(text)?;
        let header = Header::parse(&text)?;
        let (signed, signature) = signature::split(&text, header.version)?;
        let body = signed.get(header.version.header_length()..).unwrap_or_default();
        let message = Message::parse(header.document_type.clone(), body)?;
        Ok(Self { header, message, signature, signed_data: signed.as_bytes().to_vec() })
    }

    /// SHA-256 of the signed part: how the French blocklist named a code (FORMAT.md).
    pub fn fingerprint(&self) -> [u8; 32] {
        Sha256::digest(&self.signed_data).into()
    }
}

/// Whether `text` looks like a 2D-DOC (`DC` and two digits, or a TousAntiCovid wallet link)
/// rather than another format: decided on the first characters only, so that a broken or
/// over-long 2D-DOC gets the 2D-DOC reader's error rather than the `HC1:` one.
pub fn looks_like_two_d_doc(text: &str) -> bool {
    let start = text.trim_start_matches([' ', '\t', '\r', '\n']);
    header::starts_like_header(start) || input::is_wallet_link(start)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEST_RESULT: &str = "DC04FR03AHP11E5C1E5CB201FRF0\u{1d}F1SPECIMEN NOM\u{1d}F201012000F3MF43333\u{1d}F5XF6120420210800\u{1f}QEGUIDRKTYXUX7BVG5HQ6U3SOCLJSMRWXFVMLSQHPHT3XJCRKIFALVLWWHUIBHRBERKKY3MAOGM6CPMOQXPY2WIKWVJEHSAUUOKIGJY";

    #[test]
    fn a_test_result_reads_into_its_stages() {
        let document = TwoDDoc::parse(TEST_RESULT).unwrap();
        assert_eq!(document.header.authority, "FR03");
        assert_eq!(document.header.document_type, DocumentType::TestResult);
        assert_eq!(document.message.value("F1"), Some("SPECIMEN NOM"));
        assert_eq!(document.message.value("F0"), Some(""));
        assert_eq!(document.signed_data.len(), 81);
        assert_eq!(document.signature.curve, Curve::P256);
        assert!(document.signature.annex.is_none());
    }

    #[test]
    fn the_fingerprint_is_the_sha256_of_the_signed_part() {
        let document = TwoDDoc::parse(TEST_RESULT).unwrap();
        let hex: String = document.fingerprint().iter().map(|byte| format!("{byte:02x}")).collect();
        // ../shared/2ddoc/samples/MANIFEST.json, sample 09's sha256_of_data_zone.
        assert_eq!(hex, "9f67632216ce1f3dc386a85f7f71e32c5a82b709d3834ab0b08cf08dc35485ab");
    }

    #[test]
    fn an_annex_after_the_signature_is_kept_apart_and_unsigned() {
        let with_annex = format!("{TEST_RESULT}\u{1d}ANNEX TEXT");
        let document = TwoDDoc::parse(&with_annex).unwrap();
        assert_eq!(document.signature.annex.as_deref(), Some("ANNEX TEXT"));
        assert_eq!(document.signed_data.len(), 81);
    }

    #[test]
    fn errors_name_their_stage_and_never_quote_names() {
        let truncated = &TEST_RESULT[..40];
        let error = TwoDDoc::parse(truncated).unwrap_err();
        assert_eq!(error.code(), "twoddoc_signature", "{error}");
        let broken = TEST_RESULT.replace("F201012000", "F2010120");
        let error = TwoDDoc::parse(&broken).unwrap_err();
        assert!(!error.to_string().contains("SPECIMEN"), "{error}");
        assert!(looks_like_two_d_doc(TEST_RESULT));
        assert!(!looks_like_two_d_doc("HC1:6BF"));
    }
}
