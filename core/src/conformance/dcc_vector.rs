//! One test vector in the dgc-testdata layout (`*/2DCode/raw/*.json`).

use base64::Engine as _;
use serde_json::Value as Json;

use crate::time::UnixTime;

/// The checks a vector's `EXPECTEDRESULTS` may name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Check {
    PictureDecode,
    Unprefix,
    Base45Decode,
    Compression,
    Decode,
    ValidJson,
    Verify,
    ExpirationCheck,
    KeyUsage,
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
    pub json: Option<Json>,
    pub cbor: Option<Vec<u8>>,
    pub cose: Option<Vec<u8>>,
    pub compressed: Option<Vec<u8>>,
    pub base45: Option<String>,
    pub prefix: Option<String>,
    pub picture_png: Option<Vec<u8>>,
    pub certificate_der: Option<Vec<u8>>,
    pub validation_clock: Option<UnixTime>,
    pub schema_version: Option<String>,
    pub description: Option<String>,
    pub expected: Vec<(Check, bool)>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VectorError {
    #[error("not JSON: {0}")]
    NotJson(String),
    #[error("field {field} is not {expected}")]
    BadField { field: &'static str, expected: &'static str },
}

impl DccVector {
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
