//! The signature zone (FORMAT.md "Signature"): from version 02, US (0x1F) and then the raw
//! ECDSA r‖s in RFC 4648 base32 without padding, over the ASCII bytes before the first US. Its
//! length names the curve: 103 characters P-256 (SHA-256), 154 P-384 (SHA-384), 212 P-521
//! (SHA-512), as TousAntiCovid's verifier knew them. An unsigned annex may follow after GS.

use super::header::Version;

const US: char = '\u{1f}';
const GS: char = '\u{1d}';

/// The curve a signature's length names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Curve {
    /// P-256 with SHA-256: every signer TousAntiCovid trusted.
    P256,
    /// P-384 with SHA-384: read, but no signer of the trust set has such a key.
    P384,
    /// P-521 with SHA-512: read, but no signer of the trust set has such a key.
    P521,
}

impl Curve {
    fn from_base32_length(length: usize) -> Option<Self> {
        match length {
            103 => Some(Self::P256),
            154 => Some(Self::P384),
            212 => Some(Self::P521),
            _ => None,
        }
    }

    /// Bytes of r‖s.
    pub fn signature_bytes(self) -> usize {
        match self {
            Self::P256 => 64,
            Self::P384 => 96,
            Self::P521 => 132,
        }
    }

    /// For messages: `ECDSA P-256 / SHA-256`.
    pub fn name(self) -> &'static str {
        match self {
            Self::P256 => "ECDSA P-256 / SHA-256",
            Self::P384 => "ECDSA P-384 / SHA-384",
            Self::P521 => "ECDSA P-521 / SHA-512",
        }
    }
}

/// The signature and the unsigned annex after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureZone {
    /// The curve the length names.
    pub curve: Curve,
    /// r‖s.
    pub bytes: Vec<u8>,
    /// Text after the signature, introduced by GS: not signed, never trusted.
    pub annex: Option<String>,
}

/// Why the signature zone cannot be read.
#[allow(missing_docs, reason = "each variant's #[error] message documents it and its fields")]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("version 01 carries a binary signature, which this verifier does not read; versions 02 to 04 are read")]
    BinarySignature,
    #[error("no signature: expected US (0x1F) and then the base32 signature")]
    Missing,
    #[error("character {position} of the signature is not base32 (A-Z, 2-7, no padding)")]
    NotBase32 { position: usize },
    #[error("the signature has {found} base32 characters; expected 103 (P-256), 154 (P-384) or 212 (P-521)")]
    Length { found: usize },
    #[error("the signature's last base32 character has bits set beyond the signature (not canonical base32)")]
    NonCanonical,
}

/// Splits `text` into the signed part and the signature zone.
pub fn split(text: &str, version: Version) -> Result<(&str, SignatureZone), SignatureError> {
    if version == Version::V01 {
        return Err(SignatureError::BinarySignature);
    }
    let (signed, rest) = text.split_once(US).ok_or(SignatureError::Missing)?;
    let (encoded, annex) = match rest.split_once(GS) {
        Some((encoded, annex)) => (encoded, Some(annex.to_owned())),
        None => (rest, None),
    };
    if let Some(position) = encoded.bytes().position(|byte| base32_value(byte).is_none()) {
        return Err(SignatureError::NotBase32 { position });
    }
    let curve = Curve::from_base32_length(encoded.len()).ok_or(SignatureError::Length { found: encoded.len() })?;
    let bytes = base32_decode(encoded.as_bytes(), curve.signature_bytes())?;
    Ok((signed, SignatureZone { curve, bytes, annex }))
}

fn base32_value(byte: u8) -> Option<u8> {
    match byte {
        b'A'..=b'Z' => Some(byte - b'A'),
        b'2'..=b'7' => Some(byte - b'2' + 26),
        _ => None,
    }
}

/// RFC 4648 §6 without padding, into exactly `length` bytes; the unused low bits of the last
/// character must be zero, so one signature has one text.
fn base32_decode(encoded: &[u8], length: usize) -> Result<Vec<u8>, SignatureError> {
    let mut bytes = Vec::with_capacity(length);
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for &character in encoded {
        let value = base32_value(character).ok_or(SignatureError::NonCanonical)?;
        buffer = (buffer << 5) | u32::from(value);
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            bytes.push(((buffer >> bits) & 0xff) as u8);
        }
        buffer &= (1 << bits) - 1;
    }
    if buffer != 0 || bytes.len() != length {
        return Err(SignatureError::NonCanonical);
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIGNATURE: &str =
        "QEGUIDRKTYXUX7BVG5HQ6U3SOCLJSMRWXFVMLSQHPHT3XJCRKIFALVLWWHUIBHRBERKKY3MAOGM6CPMOQXPY2WIKWVJEHSAUUOKIGJY";

    #[test]
    fn a_p256_signature_is_64_bytes() {
        let text = format!("DC04HEADER\u{1f}{SIGNATURE}");
        let (signed, zone) = split(&text, Version::V04).unwrap();
        assert_eq!(signed, "DC04HEADER");
        assert_eq!(zone.curve, Curve::P256);
        assert_eq!(zone.bytes.len(), 64);
        assert_eq!(zone.bytes.first(), Some(&0x81), "Q=16, E=4: 10000 00100 -> 0x81");
    }

    #[test]
    fn p384_and_p521_lengths_are_named() {
        for (length, curve) in [(154, Curve::P384), (212, Curve::P521)] {
            // All-A decodes to zero bytes with zero unused bits.
            let text = format!("X\u{1f}{}", "A".repeat(length));
            let (_, zone) = split(&text, Version::V04).unwrap();
            assert_eq!(zone.curve, curve);
            assert_eq!(zone.bytes.len(), curve.signature_bytes());
        }
    }

    #[test]
    fn malformed_signatures_are_refused_by_name() {
        assert_eq!(split("DC04NOSIGNATURE", Version::V04), Err(SignatureError::Missing));
        assert_eq!(split("DC01X", Version::V01), Err(SignatureError::BinarySignature));
        let short = format!("X\u{1f}{}", &SIGNATURE[..100]);
        assert_eq!(split(&short, Version::V04), Err(SignatureError::Length { found: 100 }));
        let padded = format!("X\u{1f}{}=", &SIGNATURE[..102]);
        assert_eq!(split(&padded, Version::V04), Err(SignatureError::NotBase32 { position: 102 }));
        let lower = format!("X\u{1f}{}", SIGNATURE.to_ascii_lowercase());
        assert_eq!(split(&lower, Version::V04), Err(SignatureError::NotBase32 { position: 0 }));
        // 103 × 5 = 515 bits: the last character's 3 low bits are beyond the 512.
        let non_canonical = format!("X\u{1f}{}B", &SIGNATURE[..102]);
        assert_eq!(split(&non_canonical, Version::V04), Err(SignatureError::NonCanonical));
    }
}
