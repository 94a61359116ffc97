//! COSE header labels and CBOR tags by name (RFC 9052 §3.1, RFC 9528 §3, RFC 8392 §6), and
//! the signature algorithms a pass may use (hcert spec §3.3.2).

/// `alg`: the signature algorithm (RFC 9052 §3.1).
pub const ALGORITHM: i64 = 1;
/// `kid`: the key identifier (RFC 9052 §3.1).
pub const KEY_ID: i64 = 4;
/// `kcwt`: a CWT carrying the signer's key in its `cnf` claim (RFC 9528 §3); where a
/// provisional pass carries its delegation credential, in the unprotected header.
pub const KEY_CWT: i64 = 13;

/// CBOR tag of a COSE_Sign1 message (RFC 9052 §2).
pub const TAG_COSE_SIGN1: u64 = 18;
/// CBOR tag of a CWT (RFC 8392 §6), which some issuers wrapped around tag 18.
pub const TAG_CWT: u64 = 61;

/// The signature algorithms a pass may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignatureAlgorithm {
    /// ECDSA with P-256 and SHA-256 (COSE -7).
    Es256,
    /// RSASSA-PSS with SHA-256 (COSE -37).
    Ps256,
}

impl SignatureAlgorithm {
    /// The COSE algorithm identifier.
    pub fn cose_id(self) -> i64 {
        match self {
            Self::Es256 => -7,
            Self::Ps256 => -37,
        }
    }

    /// The JOSE/COSE name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Es256 => "ES256",
            Self::Ps256 => "PS256",
        }
    }

    /// The algorithm of a COSE identifier, if supported.
    pub fn from_cose_id(id: i64) -> Option<Self> {
        match id {
            -7 => Some(Self::Es256),
            -37 => Some(Self::Ps256),
            _ => None,
        }
    }
}

/// What the headers say about the algorithm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlgorithmHeader {
    /// ES256 or PS256.
    Supported(SignatureAlgorithm),
    /// dgc-testdata BasicDgcTestsList CO4: anything but ES256/PS256 is refused.
    Unsupported(String),
    /// Neither header names an algorithm.
    Missing,
}
