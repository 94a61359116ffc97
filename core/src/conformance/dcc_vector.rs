//! One test vector in the dgc-testdata layout (`*/2DCode/raw/*.json`).

use base64::Engine as _;
use serde_json::Value as Json;

use crate::time::UnixTime;

/// The checks a vector's `EXPECTEDRESULTS` may name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Check {
    /// `EXPECTEDPICTUREDECODE`: the `2DCODE` picture holds `PREFIX`.
    PictureDecode,
    /// `EXPECTEDUNPREFIX`: the `HC1:` prefix is there and removed.
    Unprefix,
    /// `EXPECTEDB45DECODE`: base45 decodes.
    Base45Decode,
    /// `EXPECTEDCOMPRESSION`: zlib inflates.
    Compression,
    /// `EXPECTEDDECODE`: the COSE and CWT decode.
    Decode,
    /// `EXPECTEDVALIDJSON`: the JSON field matches the signed payload.
    ValidJson,
    /// `EXPECTEDVERIFY`: the signature verifies with the vector's certificate.
    Verify,
    /// `EXPECTEDEXPIRATIONCHECK`: the pass is in force at the validation clock.
    ExpirationCheck,
    /// `EXPECTEDKEYUSAGE`: the certificate may sign the pass's type.
    KeyUsage,
    /// `EXPECTEDSCHEMAVALIDATION`: the payload conforms to its schema.
    SchemaValidation,
    /// The `JSON` field against the schema named in `TESTCTX.SCHEMA`.
    ValidObject,
    /// The `JSON` field encoded as CBOR equals the `CBOR` field.
    Encode,
    /// Project extension: the complete verification at the vector's clock says valid.
    Verdict,
    /// A key that is not a check name (upstream typos such as `EXPTECTEDEXPIRED`).
    Unrecognised(String),
}

impl Check {
    /// The check an `EXPECTED...` key names.
    pub fn from_key(key: &str) -> Self {
        match key {
            "EXPECTEDPICTUREDECODE" => Self::PictureDecode,
            "EXPECTEDUNPREFIX" => Self::Unprefix,
            "EXPECTEDB45DECODE" => Self::Base45Decode,
            "EXPECTEDCOMPRESSION" => Self::Compression,
            "EXPECTEDDECODE" => Self::Decode,
            "EXPECTEDVALIDJSON" => Self::ValidJson,
            "EXPECTEDVERIFY" => Self::Verify,
            "EXPECTEDEXPIRATIONCHECK" => Self::ExpirationCheck,
            "EXPECTEDKEYUSAGE" => Self::KeyUsage,
            "EXPECTEDSCHEMAVALIDATION" => Self::SchemaValidation,
            "EXPECTEDVALIDOBJECT" => Self::ValidObject,
            "EXPECTEDENCODE" => Self::Encode,
            "EXPECTEDVERDICT" => Self::Verdict,
            other => Self::Unrecognised(other.to_owned()),
        }
    }

    /// The check's name as in the vectors, without `EXPECTED`.
    pub fn name(&self) -> &str {
        match self {
            Self::PictureDecode => "PICTUREDECODE",
            Self::Unprefix => "UNPREFIX",
            Self::Base45Decode => "B45DECODE",
            Self::Compression => "COMPRESSION",
            Self::Decode => "DECODE",
            Self::ValidJson => "VALIDJSON",
            Self::Verify => "VERIFY",
            Self::ExpirationCheck => "EXPIRATIONCHECK",
            Self::KeyUsage => "KEYUSAGE",
            Self::SchemaValidation => "SCHEMAVALIDATION",
            Self::ValidObject => "VALIDOBJECT",
            Self::Encode => "ENCODE",
            Self::Verdict => "VERDICT",
            Self::Unrecognised(key) => key,
        }
    }

    /// The upstream runner's test function for this check (tests/test_ehealth_certs.py),
    /// as named in `known_issues.csv`.
    pub fn upstream_test_names(&self) -> &'static [&'static str] {
        match self {
            Self::PictureDecode => &["test_picture_decode"],
            Self::Unprefix => &["test_un_prefix"],
            Self::Base45Decode => &["test_b45decode"],
            Self::Compression => &["test_compression"],
            Self::Decode => &["test_cose_json", "test_cose_cbor"],
            Self::ValidJson => &["test_cbor_json"],
            Self::Verify => &["test_verification_check"],
            Self::ExpirationCheck => &["test_expiration_check"],
            Self::KeyUsage => &["test_expected_key_usage"],
            Self::SchemaValidation => &["test_cose_schema"],
            _ => &[],
        }
    }
}

/// A vector's fields, as far as present.
#[derive(Debug, Clone)]
pub struct DccVector {
    /// `JSON`: the payload as JSON.
    pub json: Option<Json>,
    /// `CBOR`: the payload as CBOR.
    pub cbor: Option<Vec<u8>>,
    /// `COSE`: the signed COSE_Sign1.
    pub cose: Option<Vec<u8>>,
    /// `COMPRESSED`: the zlib stream.
    pub compressed: Option<Vec<u8>>,
    /// `BASE45`: the base45 text.
    pub base45: Option<String>,
    /// `PREFIX`: the `HC1:` text.
    pub prefix: Option<String>,
    /// `2DCODE`: a PNG of the code.
    pub picture_png: Option<Vec<u8>>,
    /// `TESTCTX.CERTIFICATE`: the signer certificate.
    pub certificate_der: Option<Vec<u8>>,
    /// `TESTCTX.VALIDATIONCLOCK`: the time to verify at.
    pub validation_clock: Option<UnixTime>,
    /// `TESTCTX.SCHEMA`: the schema release the vector names.
    pub schema_version: Option<String>,
    /// `TESTCTX.DESCRIPTION`.
    pub description: Option<String>,
    /// The `EXPECTEDRESULTS`, in file order.
    pub expected: Vec<(Check, bool)>,
}

#[allow(missing_docs, reason = "each variant's #[error] message documents it and its fields")]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VectorError {
    #[error("not JSON: {0}")]
    NotJson(String),
    #[error("field {field} is not {expected}")]
    BadField { field: &'static str, expected: &'static str },
}

impl DccVector {
    /// Reads a vector file.
    pub fn parse(text: &[u8]) -> Result<Self, VectorError> {
        let document: Json = serde_json::from_slice(text).map_err(|error| VectorError::NotJson(error.to_string()))?;
        let context = document.get("TESTCTX");
        let text_field = |field: &'static str| document.get(field).and_then(Json::as_str).map(str::to_owned);
        let hex_field = |field: &'static str| -> Result<Option<Vec<u8>>, VectorError> {
            match document.get(field).and_then(Json::as_str) {
                None => Ok(None),
                Some(text) => crate::codec::hex::decode_hex(text)
                    .map(Some)
                    .ok_or(VectorError::BadField { field, expected: "hex" }),
            }
        };
        let base64_of = |value: Option<&Json>, field: &'static str| -> Result<Option<Vec<u8>>, VectorError> {
            match value.and_then(Json::as_str) {
                None => Ok(None),
                Some(text) => {
                    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
                    base64::engine::general_purpose::STANDARD
                        .decode(compact)
                        .map(Some)
                        .map_err(|_| VectorError::BadField { field, expected: "base64" })
                }
            }
        };
        let clock = context.and_then(|context| context.get("VALIDATIONCLOCK")).and_then(Json::as_str);
        let validation_clock = match clock {
            None => None,
            Some(text) => Some(UnixTime::parse_rfc3339(text).map_err(|_| VectorError::BadField {
                field: "TESTCTX.VALIDATIONCLOCK",
                expected: "an RFC 3339 time",
            })?),
        };
        let expected = document
            .get("EXPECTEDRESULTS")
            .and_then(Json::as_object)
            .map(|results| {
                results
                    .iter()
                    .filter_map(|(key, value)| value.as_bool().map(|flag| (Check::from_key(key), flag)))
                    .collect()
            })
            .unwrap_or_default();
        Ok(Self {
            json: document.get("JSON").cloned(),
            cbor: hex_field("CBOR")?,
            cose: hex_field("COSE")?,
            compressed: hex_field("COMPRESSED")?,
            base45: text_field("BASE45"),
            prefix: text_field("PREFIX"),
            picture_png: base64_of(document.get("2DCODE"), "2DCODE")?,
            certificate_der: base64_of(context.and_then(|context| context.get("CERTIFICATE")), "TESTCTX.CERTIFICATE")?,
            validation_clock,
            schema_version: context.and_then(|context| context.get("SCHEMA")).and_then(Json::as_str).map(str::to_owned),
            description: context
                .and_then(|context| context.get("DESCRIPTION"))
                .and_then(Json::as_str)
                .map(str::to_owned),
            expected,
        })
    }
}
