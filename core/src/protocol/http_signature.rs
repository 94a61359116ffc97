//! HTTP message signatures (RFC 9421), the profile the issuance protocol uses: one signature
//! labelled `sig1`, algorithm `ecdsa-p256-sha256` (§3.3.4: raw r‖s), covering exactly
//! `"@method" "@path" "content-digest" "idempotency-key"`, with the parameters `created`
//! (seconds since the epoch, for the freshness window), `keyid` (the device id) and `alg`.
//!
//! ```text
//! Signature-Input: sig1=("@method" "@path" "content-digest" "idempotency-key");created=1628930400;keyid="t0Vt9V0nxQY";alg="ecdsa-p256-sha256"
//! Signature: sig1=:<base64 of r||s>:
//! ```
//!
//! The parser accepts this profile and nothing else (other labels, components or parameters
//! are refused with a message saying what is expected), so the signature base is rebuilt from
//! the header exactly as it was signed.

use base64::Engine as _;

use super::device::DeviceId;
use crate::codec::cose::{SignatureAlgorithm, SignatureError, Signer, SignerError, SignerKey, normalize_es256};
use crate::time::UnixTime;

/// The one algorithm of the profile.
pub const SIGNATURE_ALGORITHM: &str = "ecdsa-p256-sha256";
const LABEL: &str = "sig1";
const COMPONENTS: &str = r#"("@method" "@path" "content-digest" "idempotency-key")"#;

/// What the signature covers, as the request carries it.
#[derive(Debug, Clone, Copy)]
pub struct SignedRequestParts<'a> {
    /// `POST`.
    pub method: &'a str,
    /// The request path, without query (`/v1/issuances`).
    pub path: &'a str,
    /// The `Content-Digest` header value.
    pub content_digest: &'a str,
    /// The `Idempotency-Key` header value.
    pub idempotency_key: &'a str,
}

/// The two headers of a signed request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestSignature {
    /// The `Signature-Input` header value.
    pub signature_input: String,
    /// The `Signature` header value.
    pub signature: String,
}

/// Why a request's signature is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HttpSignatureError {
    /// The headers are not the profile.
    #[error(
        "Signature-Input must be sig1=(\"@method\" \"@path\" \"content-digest\" \"idempotency-key\");created=<seconds>;keyid=\"<device id>\";alg=\"ecdsa-p256-sha256\" ({detail})"
    )]
    Malformed {
        /// What did not fit.
        detail: &'static str,
    },
    /// `Signature` is not `sig1=:<base64>:` of a 64-byte r‖s.
    #[error("Signature must be sig1=:<base64 of 64 bytes r||s>:")]
    MalformedSignature,
    /// The signature does not verify with the device's key.
    #[error("the request signature does not verify with the device's key")]
    Invalid,
}

/// The verified-for-form contents of the headers; [`ParsedSignature::verify`] checks the
/// signature itself once the device's key is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedSignature {
    /// The device that claims to have signed.
    pub device_id: DeviceId,
    /// When it says it signed.
    pub created: UnixTime,
    params: String,
    signature: Vec<u8>,
}

fn signature_base(parts: &SignedRequestParts<'_>, params: &str) -> String {
    format!(
        "\"@method\": {}\n\"@path\": {}\n\"content-digest\": {}\n\"idempotency-key\": {}\n\"@signature-params\": {params}",
        parts.method, parts.path, parts.content_digest, parts.idempotency_key
    )
}

fn params_text(created: UnixTime, device_id: DeviceId) -> String {
    format!("{COMPONENTS};created={};keyid=\"{device_id}\";alg=\"{SIGNATURE_ALGORITHM}\"", created.seconds())
}

/// Signs a request with the device key at `created`.
pub fn sign_request(
    parts: &SignedRequestParts<'_>,
    device_id: DeviceId,
    created: UnixTime,
    signer: &dyn Signer,
) -> Result<RequestSignature, SignerError> {
    let params = params_text(created, device_id);
    let signature = normalize_es256(&signer.sign(signature_base(parts, &params).as_bytes())?)?;
    Ok(RequestSignature {
        signature_input: format!("{LABEL}={params}"),
        signature: format!("{LABEL}=:{}:", base64::engine::general_purpose::STANDARD.encode(signature)),
    })
}

impl ParsedSignature {
    /// Reads the two headers (the profile only).
    pub fn parse(signature_input: &str, signature: &str) -> Result<Self, HttpSignatureError> {
        let malformed = |detail| HttpSignatureError::Malformed { detail };
        let params = signature_input.trim().strip_prefix("sig1=").ok_or(malformed("no sig1 label"))?;
        let rest = params.strip_prefix(COMPONENTS).ok_or(malformed("other covered components"))?;
        let (mut created, mut keyid, mut alg) = (None, None, None);
        for parameter in rest.split(';').skip(1) {
            let (name, value) = parameter.split_once('=').ok_or(malformed("a parameter without a value"))?;
            let slot = match name {
                "created" => &mut created,
                "keyid" => &mut keyid,
                "alg" => &mut alg,
                _ => return Err(malformed("an unknown parameter")),
            };
            if slot.replace(value).is_some() {
                return Err(malformed("a parameter twice"));
            }
        }
        if !rest.starts_with(';') {
            return Err(malformed("no parameters"));
        }
        if alg.and_then(unquote) != Some(SIGNATURE_ALGORITHM) {
            return Err(malformed("alg must be ecdsa-p256-sha256"));
        }
        let device_id =
            keyid.and_then(unquote).and_then(DeviceId::parse).ok_or(malformed("keyid is not a device id"))?;
        let created = created
            .filter(|text| !text.is_empty() && text.len() <= 12 && text.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|text| text.parse::<i64>().ok())
            .map(UnixTime::from_seconds)
            .ok_or(malformed("created must be seconds since the epoch"))?;
        let encoded = signature
            .trim()
            .strip_prefix("sig1=:")
            .and_then(|rest| rest.strip_suffix(':'))
            .ok_or(HttpSignatureError::MalformedSignature)?;
        let signature = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .ok()
            .filter(|bytes| bytes.len() == 64)
            .ok_or(HttpSignatureError::MalformedSignature)?;
        Ok(Self { device_id, created, params: params.to_owned(), signature })
    }

    /// The RFC 9421 signature base of `parts` under this signature's parameters: the bytes the
    /// device signed (a server verifying with another ECDSA implementation needs them).
    pub fn signature_base(&self, parts: &SignedRequestParts<'_>) -> String {
        signature_base(parts, &self.params)
    }

    /// The signature, 64 bytes r‖s.
    pub fn signature_bytes(&self) -> &[u8] {
        &self.signature
    }

    /// Checks the signature over `parts` with the device's key.
    pub fn verify(
        &self,
        parts: &SignedRequestParts<'_>,
        key: &p256::ecdsa::VerifyingKey,
    ) -> Result<(), HttpSignatureError> {
        SignerKey::P256(*key)
            .verify(SignatureAlgorithm::Es256, signature_base(parts, &self.params).as_bytes(), &self.signature)
            .map_err(|error| match error {
                SignatureError::Malformed { .. } => HttpSignatureError::MalformedSignature,
                _ => HttpSignatureError::Invalid,
            })
    }
}

/// The device a `Signature-Input` names, read without checking anything else: a claim, for
/// decisions that cost nothing if it is false (the issuer's return schedule books a refused
/// device once). Authentication is [`ParsedSignature::parse`] and the signature's check.
pub fn claimed_device(signature_input: &str) -> Option<DeviceId> {
    let (_, after) = signature_input.split_once(";keyid=")?;
    let value = after.split(';').next()?;
    unquote(value).and_then(DeviceId::parse)
}

/// The content of an sf-string (no escapes: device ids and the algorithm name have none).
fn unquote(value: &str) -> Option<&str> {
    value.strip_prefix('"').and_then(|inner| inner.strip_suffix('"')).filter(|inner| !inner.contains(['"', '\\']))
}

/// Parses and verifies in one step, given a way to find the device's key by its id.
pub fn verify_request(
    parts: &SignedRequestParts<'_>,
    signature_input: &str,
    signature: &str,
    key: &p256::ecdsa::VerifyingKey,
) -> Result<ParsedSignature, HttpSignatureError> {
    let parsed = ParsedSignature::parse(signature_input, signature)?;
    parsed.verify(parts, key)?;
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts<'a>(digest: &'a str, key: &'a str) -> SignedRequestParts<'a> {
        SignedRequestParts { method: "POST", path: "/v1/issuances", content_digest: digest, idempotency_key: key }
    }

    #[test]
    fn the_claimed_device_is_read_from_the_keyid_alone() {
        let input = "sig1=(\"@method\" \"@path\" \"content-digest\" \"idempotency-key\");created=1;keyid=\"t0Vt9V0nxQY\";alg=\"ecdsa-p256-sha256\"";
        assert_eq!(claimed_device(input), DeviceId::parse("t0Vt9V0nxQY"));
        for hostile in [
            "",
            "sig1=",
            ";keyid=",
            ";keyid=\"\"",
            ";keyid=t0Vt9V0nxQY",
            ";keyid=\"not base64!\"",
            ";keyid=\"t0Vt9V0nxQY",
        ] {
            assert_eq!(claimed_device(hostile), None, "{hostile}");
        }
    }

    #[test]
    fn a_signed_request_verifies_and_any_change_breaks_it() {
        let key = p256::ecdsa::SigningKey::from_slice(&[3u8; 32]).unwrap();
        let device = DeviceId::of_key(key.verifying_key());
        let created = UnixTime::from_seconds(1_628_930_400);
        let signed = sign_request(&parts("sha-256=:AAA=:", "key-0000000000000001"), device, created, &key).unwrap();
        assert!(signed.signature_input.starts_with("sig1=(\"@method\" \"@path\""));
        let parsed = verify_request(
            &parts("sha-256=:AAA=:", "key-0000000000000001"),
            &signed.signature_input,
            &signed.signature,
            key.verifying_key(),
        )
        .unwrap();
        assert_eq!((parsed.device_id, parsed.created), (device, created));
        for changed in
            [parts("sha-256=:AAB=:", "key-0000000000000001"), parts("sha-256=:AAA=:", "key-0000000000000002")]
        {
            let result = verify_request(&changed, &signed.signature_input, &signed.signature, key.verifying_key());
            assert_eq!(result, Err(HttpSignatureError::Invalid));
        }
        let other = p256::ecdsa::SigningKey::from_slice(&[4u8; 32]).unwrap();
        let result = verify_request(
            &parts("sha-256=:AAA=:", "key-0000000000000001"),
            &signed.signature_input,
            &signed.signature,
            other.verifying_key(),
        );
        assert_eq!(result, Err(HttpSignatureError::Invalid));
        // A changed creation time breaks it too (it is in the signed parameters).
        let moved = signed.signature_input.replace("created=1628930400", "created=1628930401");
        let result = verify_request(
            &parts("sha-256=:AAA=:", "key-0000000000000001"),
            &moved,
            &signed.signature,
            key.verifying_key(),
        );
        assert_eq!(result, Err(HttpSignatureError::Invalid));
    }

    #[test]
    fn only_the_profile_is_accepted() {
        let key = p256::ecdsa::SigningKey::from_slice(&[3u8; 32]).unwrap();
        let device = DeviceId::of_key(key.verifying_key());
        let good = format!(
            "sig1=(\"@method\" \"@path\" \"content-digest\" \"idempotency-key\");created=1;keyid=\"{device}\";alg=\"ecdsa-p256-sha256\""
        );
        let signature = format!("sig1=:{}:", base64::engine::general_purpose::STANDARD.encode([1u8; 64]));
        assert!(ParsedSignature::parse(&good, &signature).is_ok());
        for bad in [
            good.replace("sig1=", "sig2="),
            good.replace(" \"idempotency-key\"", ""),
            good.replace("ecdsa-p256-sha256", "rsa-pss-sha512"),
            good.replace("created=1", "created=-1"),
            good.replace("created=1", "created=1;created=2"),
            format!("{good};nonce=\"x\""),
            good.replace(&device.to_string(), "nobody"),
        ] {
            assert!(
                matches!(ParsedSignature::parse(&bad, &signature), Err(HttpSignatureError::Malformed { .. })),
                "{bad}"
            );
        }
        assert_eq!(ParsedSignature::parse(&good, "sig1=:AAAA:"), Err(HttpSignatureError::MalformedSignature));
        assert_eq!(ParsedSignature::parse(&good, "garbage"), Err(HttpSignatureError::MalformedSignature));
    }
}
