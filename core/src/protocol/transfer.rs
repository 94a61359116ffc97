//! Transfer codes: how a final pass reaches a traveller's wallet without an account, a phone
//! number or an email address.
//!
//! The wallet makes a P-256 key pair; its **transfer code** is derived from the public key
//! (50 bits of SHA-256, Crockford base32, and a Luhn mod 32 check character: `K7QM-4T2X-9HW`).
//! The wallet registers the public key (`POST /v1/transfers`); the service derives the same
//! code. The pharmacist types or scans the code into the issuance (or the provisional pass's
//! reconciliation); the service seals the pass to the registered key with HPKE (RFC 9180,
//! [`super::hpke`]) and keeps only the sealed bytes. The wallet polls
//! `GET /v1/transfers/{code}` and acknowledges with `DELETE /v1/transfers/{code}`, after which
//! the service deletes what it held.
//!
//! Why derive the code from the key: whoever reads a code off a printed attestation cannot
//! register it with a key of their own (the code would not match), and fetching or deleting
//! needs a signature by the wallet's private key. A guessed code (1 in 2^50) gets nothing
//! either: the service answers unknown codes after its rate limit, and a replayed fetch gets
//! ciphertext only the wallet's key opens.
//!
//! Fetch and delete are signed: `Transfer-Created: <unix seconds>` and
//! `Transfer-Signature: <base64url of r||s>`, ECDSA P-256 SHA-256 over
//! `healthpass-transfer-v1\n<METHOD>\n<path>\n<created>`.

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use sha2::Digest;

/// Registration: `POST` here with [`TransferRegistration`].
pub const TRANSFERS_PATH: &str = "/v1/transfers";
/// The HPKE `info` of a delivery.
pub const DELIVERY_INFO: &[u8] = b"healthpass-transfer-v1 pass";
/// How long a code stays usable after registration (the service's retention of idempotency
/// entries, which a delivery made before registration waits in).
pub const TRANSFER_LIFETIME_SECONDS: i64 = 7 * 24 * 3600;
/// The header with the signature time.
pub const CREATED_HEADER: &str = "transfer-created";
/// The header with the signature.
pub const SIGNATURE_HEADER: &str = "transfer-signature";
/// The most deliveries a code holds (a test's pass, its reconciled final pass, a spare).
pub const MAX_DELIVERIES: usize = 4;

/// Crockford's base32: no I, L, O, U (read as 1, 1, 0; U refused).
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const DATA_CHARS: usize = 10;

/// A transfer code: ten base32 characters derived from the wallet's public key and a check
/// character. Cannot hold a code whose check character is wrong.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TransferCode(String);

/// Why text is not a transfer code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransferCodeError {
    /// Not eleven characters once dashes and spaces are removed.
    #[error("a transfer code is 11 characters (letters and digits, e.g. K7QM-4T2X-9HW); this one has {0}")]
    Length(usize),
    /// A character outside Crockford's base32.
    #[error("a transfer code has letters and digits only (no U); found another character")]
    Character,
    /// The check character does not match: a typing mistake.
    #[error("the transfer code's last character does not match the others: check for a typing mistake")]
    Check,
}

fn value_of(character: char) -> Option<u32> {
    let upper = match character.to_ascii_uppercase() {
        'I' | 'L' => '1',
        'O' => '0',
        other => other,
    };
    ALPHABET.iter().position(|&symbol| char::from(symbol) == upper).and_then(|at| u32::try_from(at).ok())
}

fn symbol(value: u32) -> char {
    char::from(ALPHABET.get(value as usize % 32).copied().unwrap_or(b'0'))
}

/// The Luhn mod N check character over `values` (N = 32): catches every single substitution
/// and every transposition of adjacent characters but one pair.
fn check_value(values: &[u32]) -> u32 {
    let mut sum = 0;
    for (position, value) in values.iter().rev().enumerate() {
        let addend = if position % 2 == 0 { value * 2 } else { *value };
        sum += addend / 32 + addend % 32;
    }
    (32 - sum % 32) % 32
}

impl TransferCode {
    /// The code of a wallet's P-256 public key (SEC1, any encoding of the same point gives the
    /// same code: the uncompressed form is hashed).
    pub fn for_public_key(public_key: &[u8]) -> Option<Self> {
        use p256::elliptic_curve::sec1::ToSec1Point;
        let key = p256::PublicKey::from_sec1_bytes(public_key).ok()?;
        let point = key.to_sec1_point(false);
        let digest =
            sha2::Sha256::new_with_prefix(b"healthpass-transfer-code-v1").chain_update(point.as_bytes()).finalize();
        let mut bits: u64 = 0;
        for byte in digest.iter().take(8) {
            bits = (bits << 8) | u64::from(*byte);
        }
        let values: Vec<u32> = (0..DATA_CHARS).map(|index| ((bits >> (64 - 5 * (index + 1))) & 31) as u32).collect();
        let mut code: String = values.iter().map(|value| symbol(*value)).collect();
        code.push(symbol(check_value(&values)));
        Some(Self(code))
    }

    /// Reads a typed or scanned code: case, dashes and spaces do not matter, and I, L, O are
    /// read as 1, 1, 0.
    pub fn parse(text: &str) -> Result<Self, TransferCodeError> {
        let kept: Vec<char> = text.chars().filter(|character| !matches!(character, '-' | ' ')).take(64).collect();
        if kept.len() != DATA_CHARS + 1 {
            return Err(TransferCodeError::Length(kept.len()));
        }
        let values = kept.iter().map(|character| value_of(*character)).collect::<Option<Vec<u32>>>();
        let values = values.ok_or(TransferCodeError::Character)?;
        let (data, check) = values.split_at(DATA_CHARS);
        if check.first().copied() != Some(check_value(data)) {
            return Err(TransferCodeError::Check);
        }
        Ok(Self(values.iter().map(|value| symbol(*value)).collect()))
    }

    /// The canonical form, eleven characters without dashes (URLs, storage).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is the code of `public_key`.
    pub fn belongs_to(&self, public_key: &[u8]) -> bool {
        Self::for_public_key(public_key).is_some_and(|code| code == *self)
    }

    /// The path of this code's deliveries.
    pub fn path(&self) -> String {
        format!("{TRANSFERS_PATH}/{}", self.0)
    }
}

impl std::fmt::Display for TransferCode {
    /// `K7QM-4T2X-9HW`: groups of four for reading aloud and typing.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let characters: Vec<char> = self.0.chars().collect();
        let groups: Vec<String> = characters.chunks(4).map(|group| group.iter().collect()).collect();
        f.write_str(&groups.join("-"))
    }
}

impl std::fmt::Debug for TransferCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TransferCode({self})")
    }
}

/// The body of `POST /v1/transfers`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransferRegistration {
    /// The wallet's P-256 public key, SEC1 uncompressed, base64url without padding.
    pub public_key: String,
}

/// The service's answer to a registration (201 new, 200 known).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransferRegistered {
    /// The code, canonical form.
    pub code: String,
    /// Until when the service keeps it, RFC 3339.
    pub expires_at: String,
}

/// One pass sealed for the wallet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SealedDelivery {
    /// HPKE `enc`, base64url without padding.
    pub encapsulated_key: String,
    /// HPKE ciphertext of the pass text, base64url without padding.
    pub ciphertext: String,
}

/// The answer to `GET /v1/transfers/{code}`: what waits (possibly nothing yet).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransferDeliveries {
    /// The code.
    pub code: String,
    /// Sealed passes, oldest first.
    pub deliveries: Vec<SealedDelivery>,
    /// Until when the code is kept, RFC 3339.
    pub expires_at: String,
}

/// The text a wallet signs to fetch or delete its deliveries.
pub fn transfer_signature_base(method: &str, path: &str, created: i64) -> String {
    format!("healthpass-transfer-v1\n{method}\n{path}\n{created}")
}

/// base64url without padding, as the transfer bodies use it.
pub fn encode_base64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Reads base64url without padding; `None` for anything else.
pub fn decode_base64url(text: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(text.as_bytes()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(seed: u8) -> Vec<u8> {
        use p256::elliptic_curve::sec1::ToSec1Point;
        let secret = p256::SecretKey::from_slice(&[seed; 32]).unwrap();
        secret.public_key().to_sec1_point(false).as_bytes().to_vec()
    }

    #[test]
    fn a_code_is_derived_from_the_key_and_reads_back_however_it_is_typed() {
        let code = TransferCode::for_public_key(&key(7)).unwrap();
        let shown = code.to_string();
        assert_eq!(shown.len(), 13);
        assert_eq!(TransferCode::parse(&shown).unwrap(), code);
        assert_eq!(TransferCode::parse(&shown.to_lowercase().replace('-', " ")).unwrap(), code);
        assert!(code.belongs_to(&key(7)));
        assert!(!code.belongs_to(&key(8)));
        assert_ne!(TransferCode::for_public_key(&key(8)).unwrap(), code);
        assert_eq!(TransferCode::for_public_key(b"not a key"), None);
    }

    #[test]
    fn every_single_typing_mistake_is_caught_by_the_check_character() {
        let code = TransferCode::for_public_key(&key(3)).unwrap();
        let characters: Vec<char> = code.as_str().chars().collect();
        for position in 0..characters.len() {
            for &replacement in ALPHABET {
                let replacement = char::from(replacement);
                if replacement == characters[position] {
                    continue;
                }
                let mut typed = characters.clone();
                typed[position] = replacement;
                let typed: String = typed.into_iter().collect();
                assert_eq!(TransferCode::parse(&typed), Err(TransferCodeError::Check), "{typed}");
            }
        }
        assert_eq!(TransferCode::parse("ABC"), Err(TransferCodeError::Length(3)));
        assert_eq!(TransferCode::parse("UUUU-UUUU-UUU"), Err(TransferCodeError::Character));
        assert_eq!(TransferCode::parse("\u{1b}[2J4567890"), Err(TransferCodeError::Character));
    }
}
