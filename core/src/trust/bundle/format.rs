//! The bundle payload's records and their CBOR form (format 1). Each record decodes itself
//! from a map's fields and encodes itself back.

use ciborium::Value;

use super::BundleError;
use crate::codec::cbor::{FieldError, MapFields};
use crate::dcc::CertificateType;
use crate::time::UnixTime;
use crate::trust::kid::Kid;
use crate::trust::revocation::{HashList, RevocationLists};
use crate::trust::two_d_doc_signers::{TwoDDocSigner, TwoDDocTrust};

/// The format version this library reads and writes.
pub const BUNDLE_FORMAT: u64 = 1;

/// A signer certificate in a bundle, with the certificate types the bundle lets it sign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleSigner {
    /// The certificate, DER.
    pub certificate_der: Vec<u8>,
    /// The kid to file it under; the certificate's own when absent.
    pub kid: Option<Kid>,
    /// Narrows the certificate's own key usage; absent means as the certificate says.
    pub allowed_types: Option<Vec<CertificateType>>,
}

/// A root the authority certifies pharmacy devices with, for provisional passes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FallbackRoot {
    /// The root's kid (first 8 bytes of the SHA-256 of its SPKI DER).
    pub kid: Kid,
    /// SEC1-encoded P-256 public key.
    pub public_key: Vec<u8>,
    /// The country of the authority.
    pub country: String,
    /// The authority's name, as a controller sees it.
    pub name: String,
}

/// A pharmacy device whose delegation is withdrawn from a moment on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRevocation {
    /// The device whose delegation is withdrawn.
    pub device_kid: Kid,
    /// Passes the device signed from this moment on are refused; earlier ones stand.
    pub revoked_since: UnixTime,
}

/// What a bundle holds.
#[derive(Debug, Clone, PartialEq)]
pub struct TrustBundleContents {
    /// Monotonic: a device refuses any bundle below the last it installed.
    pub sequence: u64,
    /// When the bundle was made.
    pub issued_at: UnixTime,
    /// Start of validity.
    pub not_before: UnixTime,
    /// End of validity: verdicts after it say the trust data is stale.
    pub expires_at: UnixTime,
    /// Signer certificates.
    pub signers: Vec<BundleSigner>,
    /// Roots certifying pharmacy devices (provisional passes).
    pub fallback_roots: Vec<FallbackRoot>,
    /// Devices whose delegation is withdrawn.
    pub device_revocations: Vec<DeviceRevocation>,
    /// Business rules as the gateway's rule JSON.
    pub rules: Vec<serde_json::Value>,
    /// Value sets: an object from value-set id to the array of its codes.
    pub value_sets: serde_json::Value,
    /// Revocation hash lists.
    pub revocations: RevocationLists,
    /// French 2D-DOC signers and blocklist; when present they replace the built-in set.
    pub two_d_doc: Option<TwoDDocTrust>,
}

fn text(value: &str) -> Value {
    Value::Text(value.to_owned())
}

fn entry(key: &str, value: Value) -> (Value, Value) {
    (text(key), value)
}

fn kid_field(fields: &mut MapFields, key: &str) -> Result<Kid, FieldError> {
    let bytes = fields.bytes(key)?;
    Kid::from_slice(&bytes).ok_or_else(|| fields.error(key, format!("must be 8 bytes, found {}", bytes.len())))
}

fn time_field(fields: &mut MapFields, key: &str) -> Result<UnixTime, FieldError> {
    fields.integer(key).map(UnixTime::from_seconds)
}

impl BundleSigner {
    fn from_fields(mut fields: MapFields) -> Result<Self, FieldError> {
        let certificate_der = fields.bytes("der")?;
        let kid = match fields.take("kid") {
            None => None,
            Some(Value::Bytes(bytes)) => Some(
                Kid::from_slice(&bytes)
                    .ok_or_else(|| fields.error("kid", format!("must be 8 bytes, found {}", bytes.len())))?,
            ),
            Some(_) => return Err(fields.error("kid", "must be a byte string")),
        };
        let allowed_types = match fields.take("types") {
            None => None,
            Some(Value::Array(items)) => Some(
                items
                    .iter()
                    .map(|item| match item {
                        Value::Text(key) => CertificateType::from_key(key),
                        _ => None,
                    })
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| fields.error("types", "must hold \"t\", \"v\" or \"r\""))?,
            ),
            Some(_) => return Err(fields.error("types", "must be an array")),
        };
        Ok(Self { certificate_der, kid, allowed_types })
    }

    fn to_value(&self) -> Value {
        let mut fields = vec![entry("der", Value::Bytes(self.certificate_der.clone()))];
        if let Some(kid) = self.kid {
            fields.push(entry("kid", Value::Bytes(kid.as_bytes().to_vec())));
        }
        if let Some(types) = &self.allowed_types {
            fields.push(entry("types", Value::Array(types.iter().map(|kind| text(kind.key())).collect())));
        }
        Value::Map(fields)
    }
}

impl FallbackRoot {
    fn from_fields(mut fields: MapFields) -> Result<Self, FieldError> {
        let kid = kid_field(&mut fields, "kid")?;
        let public_key = fields.bytes("key")?;
        if p256::ecdsa::VerifyingKey::from_sec1_bytes(&public_key).is_err() {
            return Err(fields.error("key", "is not a P-256 public key"));
        }
        Ok(Self { kid, public_key, country: fields.text("country")?, name: fields.text("name")? })
    }

    fn to_value(&self) -> Value {
        Value::Map(vec![
            entry("kid", Value::Bytes(self.kid.as_bytes().to_vec())),
            entry("key", Value::Bytes(self.public_key.clone())),
            entry("country", text(&self.country)),
            entry("name", text(&self.name)),
        ])
    }
}

impl DeviceRevocation {
    fn from_fields(mut fields: MapFields) -> Result<Self, FieldError> {
        Ok(Self { device_kid: kid_field(&mut fields, "kid")?, revoked_since: time_field(&mut fields, "since")? })
    }

    fn to_value(&self) -> Value {
        Value::Map(vec![
            entry("kid", Value::Bytes(self.device_kid.as_bytes().to_vec())),
            entry("since", Value::Integer(self.revoked_since.seconds().into())),
        ])
    }
}

/// The revocation lists under their keys, with the names errors use.
const REVOCATION_LISTS: [(&str, &str); 3] =
    [("uci", "UCI"), ("country_code_uci", "country code + UCI"), ("signature", "signature")];

fn revocation_lists(value: Value) -> Result<RevocationLists, BundleError> {
    let mut fields = MapFields::of(value, "revocations")?;
    let mut lists = RevocationLists::default();
    for ((key, name), slot) in
        REVOCATION_LISTS.into_iter().zip([&mut lists.uci, &mut lists.country_code_uci, &mut lists.signature])
    {
        let Some(value) = fields.take(key) else { continue };
        let Value::Bytes(bytes) = value else { return Err(fields.error(key, "must be a byte string").into()) };
        *slot = HashList::from_sorted_bytes(bytes).map_err(|error| BundleError::Revocations { list: name, error })?;
    }
    Ok(lists)
}

impl TwoDDocSigner {
    fn from_fields(mut fields: MapFields) -> Result<Self, FieldError> {
        let optional_time = |fields: &mut MapFields, key: &str| match fields.take(key) {
            None => Ok(None),
            Some(value) => crate::codec::cbor::as_i64(&value)
                .map(|seconds| Some(UnixTime::from_seconds(seconds)))
                .ok_or_else(|| fields.error(key, "must be an integer (seconds since the epoch)")),
        };
        let not_before = optional_time(&mut fields, "not_before")?;
        let not_after = optional_time(&mut fields, "not_after")?;
        let document_types = match fields.take("types") {
            None => None,
            Some(Value::Array(items)) => Some(
                items
                    .into_iter()
                    .map(|item| match item {
                        Value::Text(code) if code.len() == 2 => Some(code),
                        _ => None,
                    })
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| fields.error("types", "must hold two-character document type codes"))?,
            ),
            Some(_) => return Err(fields.error("types", "must be an array")),
        };
        Ok(Self {
            authority: fields.text("authority")?,
            certificate: fields.text("certificate")?,
            name: fields.text("name")?,
            public_key: fields.bytes("key")?,
            not_before,
            not_after,
            document_types,
        })
    }

    fn to_value(&self) -> Value {
        let mut fields = vec![
            entry("authority", text(&self.authority)),
            entry("certificate", text(&self.certificate)),
            entry("name", text(&self.name)),
            entry("key", Value::Bytes(self.public_key.clone())),
        ];
        for (key, time) in [("not_before", self.not_before), ("not_after", self.not_after)] {
            if let Some(time) = time {
                fields.push(entry(key, Value::Integer(time.seconds().into())));
            }
        }
        if let Some(types) = &self.document_types {
            fields.push(entry("types", Value::Array(types.iter().map(|code| text(code)).collect())));
        }
        Value::Map(fields)
    }
}

fn two_d_doc_trust(value: Value) -> Result<TwoDDocTrust, BundleError> {
    let mut fields = MapFields::of(value, "two_d_doc")?;
    let signers = records(&mut fields, "signers", TwoDDocSigner::from_fields)?;
    let revoked_bytes = fields.bytes("revoked")?;
    if revoked_bytes.len() % 32 != 0 {
        return Err(fields.error("revoked", "must be whole SHA-256 digests (32 bytes each)").into());
    }
    let revoked = revoked_bytes.chunks_exact(32).filter_map(|chunk| <[u8; 32]>::try_from(chunk).ok()).collect();
    Ok(TwoDDocTrust::new(signers, revoked)?)
}

fn two_d_doc_value(trust: &TwoDDocTrust) -> Value {
    Value::Map(vec![
        entry("signers", Value::Array(trust.signers().iter().map(TwoDDocSigner::to_value).collect())),
        entry("revoked", Value::Bytes(trust.revoked().concat())),
    ])
}

/// Decodes each item of an array field with `decode`.
fn records<T>(
    fields: &mut MapFields,
    key: &str,
    decode: impl Fn(MapFields) -> Result<T, FieldError>,
) -> Result<Vec<T>, FieldError> {
    fields.array(key)?.into_iter().map(|item| MapFields::of(item, key).and_then(&decode)).collect()
}

impl TrustBundleContents {
    /// Decodes the payload map.
    pub fn from_value(value: Value) -> Result<Self, BundleError> {
        let mut fields = MapFields::of(value, "")?;
        let format = fields.unsigned("format")?;
        if format != BUNDLE_FORMAT {
            return Err(BundleError::UnsupportedFormat { found: format });
        }
        let sequence = fields.unsigned("sequence")?;
        let issued_at = time_field(&mut fields, "issued_at")?;
        let not_before = time_field(&mut fields, "not_before")?;
        let expires_at = time_field(&mut fields, "expires_at")?;
        if expires_at <= not_before {
            return Err(fields.error("expires_at", "is not after not_before").into());
        }
        let signers = records(&mut fields, "signers", BundleSigner::from_fields)?;
        let fallback_roots = records(&mut fields, "fallback_roots", FallbackRoot::from_fields)?;
        let device_revocations = records(&mut fields, "device_revocations", DeviceRevocation::from_fields)?;
        let rules = match fields.json("rules")? {
            None => Vec::new(),
            Some(serde_json::Value::Array(rules)) => rules,
            Some(_) => return Err(fields.error("rules", "must be a JSON array").into()),
        };
        let value_sets = match fields.json("value_sets")? {
            None => serde_json::Value::Object(serde_json::Map::new()),
            Some(value_sets @ serde_json::Value::Object(_)) => value_sets,
            Some(_) => return Err(fields.error("value_sets", "must be a JSON object").into()),
        };
        let revocations = match fields.take("revocations") {
            Some(value) => revocation_lists(value)?,
            None => RevocationLists::default(),
        };
        let two_d_doc = fields.take("two_d_doc").map(two_d_doc_trust).transpose()?;
        Ok(Self {
            sequence,
            issued_at,
            not_before,
            expires_at,
            signers,
            fallback_roots,
            device_revocations,
            rules,
            value_sets,
            revocations,
            two_d_doc,
        })
    }

    /// The payload map.
    pub fn to_value(&self) -> Result<Value, BundleError> {
        let json = |value: &serde_json::Value| {
            serde_json::to_vec(value)
                .map(Value::Bytes)
                .map_err(|error| BundleError::Encode { detail: format!("rules or value sets: {error}") })
        };
        let lists = [&self.revocations.uci, &self.revocations.country_code_uci, &self.revocations.signature];
        let revocations = REVOCATION_LISTS
            .iter()
            .zip(lists)
            .map(|((key, _), list)| entry(key, Value::Bytes(list.as_bytes().to_vec())))
            .collect();
        let mut map = vec![
            entry("format", Value::Integer(BUNDLE_FORMAT.into())),
            entry("sequence", Value::Integer(self.sequence.into())),
            entry("issued_at", Value::Integer(self.issued_at.seconds().into())),
            entry("not_before", Value::Integer(self.not_before.seconds().into())),
            entry("expires_at", Value::Integer(self.expires_at.seconds().into())),
            entry("signers", Value::Array(self.signers.iter().map(BundleSigner::to_value).collect())),
            entry("fallback_roots", Value::Array(self.fallback_roots.iter().map(FallbackRoot::to_value).collect())),
            entry(
                "device_revocations",
                Value::Array(self.device_revocations.iter().map(DeviceRevocation::to_value).collect()),
            ),
            entry("rules", json(&serde_json::Value::Array(self.rules.clone()))?),
            entry("value_sets", json(&self.value_sets)?),
            entry("revocations", Value::Map(revocations)),
        ];
        if let Some(trust) = &self.two_d_doc {
            map.push(entry("two_d_doc", two_d_doc_value(trust)));
        }
        Ok(Value::Map(map))
    }
}
