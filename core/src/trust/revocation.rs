//! Revocation lists as the EU DCC revocation scheme defines them: SHA-256 hashes truncated to
//! their first 16 bytes, of the UCI, of the issuing country (CWT `iss`) followed by the UCI,
//! and of the signature (for ES256 only its first half, `r`). Sorted, so a lookup is a binary
//! search over fixed-size entries.

use sha2::{Digest, Sha256};

use crate::codec::SignatureAlgorithm;

/// Bytes kept of a SHA-256 hash.
pub const HASH_LENGTH: usize = 16;

/// A truncated revocation hash.
pub type RevocationHash = [u8; HASH_LENGTH];

/// Which revocation list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RevocationKind {
    /// SHA-256 of the UCI (`ci`).
    Uci,
    /// SHA-256 of the issuing country code followed by the UCI.
    CountryCodeUci,
    /// SHA-256 of the signature (ES256: its first 32 bytes).
    Signature,
}

impl RevocationKind {
    /// The three lists.
    pub const ALL: [RevocationKind; 3] = [Self::Uci, Self::CountryCodeUci, Self::Signature];

    /// `uci`, `countrycodeuci` or `signature`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Uci => "uci",
            Self::CountryCodeUci => "countrycodeuci",
            Self::Signature => "signature",
        }
    }

    /// Reads a list's name (as `name` gives it, or `country-uci`).
    pub fn parse(text: &str) -> Option<Self> {
        match text.to_ascii_lowercase().as_str() {
            "uci" => Some(Self::Uci),
            "countrycodeuci" | "country-uci" => Some(Self::CountryCodeUci),
            "signature" => Some(Self::Signature),
            _ => None,
        }
    }
}

fn truncated(data: &[&[u8]]) -> RevocationHash {
    let mut hasher = Sha256::new();
    for part in data {
        hasher.update(part);
    }
    let digest = hasher.finalize();
    let mut hash = [0u8; HASH_LENGTH];
    hash.iter_mut().zip(digest.iter()).for_each(|(slot, byte)| *slot = *byte);
    hash
}

/// The hash of a UCI.
pub fn uci_hash(uci: &str) -> RevocationHash {
    truncated(&[uci.as_bytes()])
}

/// The hash of a country code followed by a UCI.
pub fn country_code_uci_hash(issuer_country: &str, uci: &str) -> RevocationHash {
    truncated(&[issuer_country.as_bytes(), uci.as_bytes()])
}

/// The hash of a signature (ES256: its first half, r).
pub fn signature_hash(algorithm: SignatureAlgorithm, signature: &[u8]) -> RevocationHash {
    let hashed = match algorithm {
        SignatureAlgorithm::Es256 => signature.get(..signature.len() / 2).unwrap_or(signature),
        SignatureAlgorithm::Ps256 => signature,
    };
    truncated(&[hashed])
}

/// The three revocation hashes of one pass, as a revocation list publisher computes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PassRevocationHashes {
    /// Of the UCI.
    pub uci: RevocationHash,
    /// Of the upper-cased issuing country and the UCI.
    pub country_code_uci: RevocationHash,
    /// Of the signature.
    pub signature: RevocationHash,
}

impl PassRevocationHashes {
    /// `issuer_country` is the CWT `iss` (or else the entry's country); it is upper-cased here,
    /// as the verifier does, so a pass written with "fr" is found under "FR".
    pub fn compute(uci: &str, issuer_country: &str, algorithm: SignatureAlgorithm, signature: &[u8]) -> Self {
        let country = issuer_country.trim().to_ascii_uppercase();
        Self {
            uci: uci_hash(uci),
            country_code_uci: country_code_uci_hash(&country, uci),
            signature: signature_hash(algorithm, signature),
        }
    }

    /// The hashes of a decoded pass, when it holds a readable certificate and a supported
    /// algorithm.
    pub fn of_pass(pass: &crate::codec::DecodedPass) -> Option<Self> {
        let crate::codec::AlgorithmHeader::Supported(algorithm) = pass.message.algorithm() else { return None };
        let dcc = crate::dcc::hcert::dcc_value(&pass.claims)
            .ok()
            .and_then(|value| crate::dcc::Dcc::from_value(value).ok())?;
        let country = pass.claims.issuer.clone().unwrap_or_else(|| dcc.entry_country().to_owned());
        Some(Self::compute(dcc.certificate_id(), &country, algorithm, pass.message.signature()))
    }
}

#[allow(missing_docs, reason = "each variant's #[error] message documents it and its fields")]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RevocationListError {
    #[error("a revocation list of {length} bytes is not a whole number of {HASH_LENGTH}-byte hashes")]
    Ragged { length: usize },
    #[error("a revocation list is not sorted in ascending order without duplicates")]
    Unsorted,
}

/// Sorted, de-duplicated 16-byte hashes in one contiguous buffer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HashList {
    bytes: Vec<u8>,
}

impl HashList {
    /// From hashes in any order.
    pub fn from_hashes(mut hashes: Vec<RevocationHash>) -> Self {
        hashes.sort_unstable();
        hashes.dedup();
        Self { bytes: hashes.concat() }
    }

    /// From the packed form, which must already be sorted without duplicates.
    pub fn from_sorted_bytes(bytes: Vec<u8>) -> Result<Self, RevocationListError> {
        if !bytes.len().is_multiple_of(HASH_LENGTH) {
            return Err(RevocationListError::Ragged { length: bytes.len() });
        }
        let sorted = bytes.chunks_exact(HASH_LENGTH).zip(bytes.chunks_exact(HASH_LENGTH).skip(1)).all(|(a, b)| a < b);
        if !sorted {
            return Err(RevocationListError::Unsorted);
        }
        Ok(Self { bytes })
    }

    /// The packed hashes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// How many hashes.
    pub fn len(&self) -> usize {
        self.bytes.len() / HASH_LENGTH
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    fn entry(&self, index: usize) -> &[u8] {
        self.bytes.get(index * HASH_LENGTH..(index + 1) * HASH_LENGTH).unwrap_or_default()
    }

    /// Whether `hash` is listed (binary search).
    pub fn contains(&self, hash: &RevocationHash) -> bool {
        let (mut low, mut high) = (0, self.len());
        while low < high {
            let middle = low + (high - low) / 2;
            match self.entry(middle).cmp(hash.as_slice()) {
                std::cmp::Ordering::Less => low = middle + 1,
                std::cmp::Ordering::Greater => high = middle,
                std::cmp::Ordering::Equal => return true,
            }
        }
        false
    }
}

/// The three revocation lists of a trust bundle.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RevocationLists {
    /// Revoked UCIs.
    pub uci: HashList,
    /// Revoked country + UCI pairs.
    pub country_code_uci: HashList,
    /// Revoked signatures.
    pub signature: HashList,
}

impl RevocationLists {
    /// The list of `kind`.
    pub fn list(&self, kind: RevocationKind) -> &HashList {
        match kind {
            RevocationKind::Uci => &self.uci,
            RevocationKind::CountryCodeUci => &self.country_code_uci,
            RevocationKind::Signature => &self.signature,
        }
    }

    /// Hashes in all three lists.
    pub fn total(&self) -> usize {
        self.uci.len() + self.country_code_uci.len() + self.signature.len()
    }

    /// The first list that revokes a pass, if any.
    pub fn revoked_by(
        &self,
        uci: &str,
        issuer_country: &str,
        algorithm: SignatureAlgorithm,
        signature: &[u8],
    ) -> Option<RevocationKind> {
        if self.uci.contains(&uci_hash(uci)) {
            return Some(RevocationKind::Uci);
        }
        if self.country_code_uci.contains(&country_code_uci_hash(issuer_country, uci)) {
            return Some(RevocationKind::CountryCodeUci);
        }
        if self.signature.contains(&signature_hash(algorithm, signature)) {
            return Some(RevocationKind::Signature);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_exactly_the_listed_hashes() {
        let hashes: Vec<RevocationHash> = (0..1000u32).map(|i| uci_hash(&format!("URN:UVCI:01:FR:{i}"))).collect();
        let list = HashList::from_hashes(hashes.clone());
        assert_eq!(list.len(), 1000);
        assert!(hashes.iter().all(|hash| list.contains(hash)));
        assert!(!list.contains(&uci_hash("URN:UVCI:01:FR:1000")));
        assert!(HashList::from_sorted_bytes(list.as_bytes().to_vec()).is_ok());
        let mut unsorted = list.as_bytes().to_vec();
        let (first, rest) = unsorted.split_at_mut(16);
        first.swap_with_slice(&mut rest[..16]);
        assert_eq!(HashList::from_sorted_bytes(unsorted), Err(RevocationListError::Unsorted));
        assert_eq!(HashList::from_sorted_bytes(vec![0; 17]), Err(RevocationListError::Ragged { length: 17 }));
        assert!(!HashList::default().contains(&[0; 16]));
    }

    #[test]
    fn es256_signatures_hash_their_first_half() {
        let signature: Vec<u8> = (0..64).collect();
        assert_eq!(signature_hash(SignatureAlgorithm::Es256, &signature), truncated(&[&signature[..32]]));
        assert_eq!(signature_hash(SignatureAlgorithm::Ps256, &signature), truncated(&[&signature]));
        assert_eq!(country_code_uci_hash("FR", "X"), uci_hash("FRX"));
    }
}
