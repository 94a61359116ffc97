//! Which certificate types a signer may sign, from its extended key usage (hcert spec §5.1.1).

use crate::dcc::CertificateType;

/// Extended key usage OIDs for DCC signers, in the assigned arc and in the arc with an extra
/// `0` that early signers used; both are honoured.
const USAGE_OIDS: [(&str, CertificateType); 6] = [
    ("1.3.6.1.4.1.1847.2021.1.1", CertificateType::Test),
    ("1.3.6.1.4.1.1847.2021.1.2", CertificateType::Vaccination),
    ("1.3.6.1.4.1.1847.2021.1.3", CertificateType::Recovery),
    ("1.3.6.1.4.1.0.1847.2021.1.1", CertificateType::Test),
    ("1.3.6.1.4.1.0.1847.2021.1.2", CertificateType::Vaccination),
    ("1.3.6.1.4.1.0.1847.2021.1.3", CertificateType::Recovery),
];

/// The extended key usage OID for signing one certificate type (assigned arc).
pub fn usage_oid(kind: CertificateType) -> &'static str {
    match kind {
        CertificateType::Test => "1.3.6.1.4.1.1847.2021.1.1",
        CertificateType::Vaccination => "1.3.6.1.4.1.1847.2021.1.2",
        CertificateType::Recovery => "1.3.6.1.4.1.1847.2021.1.3",
    }
}

/// The certificate types a signer may sign.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyUsage {
    /// No DCC usage OID present: the signer may sign every type (dgc-testdata common/CO15).
    Unrestricted,
    /// Only the types flagged.
    Restricted {
        /// May sign test certificates.
        test: bool,
        /// May sign vaccination certificates.
        vaccination: bool,
        /// May sign recovery certificates.
        recovery: bool,
    },
}

impl KeyUsage {
    /// From the dotted OIDs of an extended key usage extension (absent = empty).
    pub fn from_oids<'a>(oids: impl IntoIterator<Item = &'a str>) -> Self {
        let (mut test, mut vaccination, mut recovery, mut any) = (false, false, false, false);
        for oid in oids {
            for (usage_oid, kind) in USAGE_OIDS {
                if oid == usage_oid {
                    any = true;
                    match kind {
                        CertificateType::Test => test = true,
                        CertificateType::Vaccination => vaccination = true,
                        CertificateType::Recovery => recovery = true,
                    }
                }
            }
        }
        if any { Self::Restricted { test, vaccination, recovery } } else { Self::Unrestricted }
    }

    /// Exactly `kinds`.
    pub fn only(kinds: &[CertificateType]) -> Self {
        Self::Restricted {
            test: kinds.contains(&CertificateType::Test),
            vaccination: kinds.contains(&CertificateType::Vaccination),
            recovery: kinds.contains(&CertificateType::Recovery),
        }
    }

    /// Whether certificates of `kind` may be signed.
    pub fn allows(self, kind: CertificateType) -> bool {
        match self {
            Self::Unrestricted => true,
            Self::Restricted { test, vaccination, recovery } => match kind {
                CertificateType::Test => test,
                CertificateType::Vaccination => vaccination,
                CertificateType::Recovery => recovery,
            },
        }
    }

    /// The types allowed, in the order test, vaccination, recovery.
    pub fn allowed(self) -> Vec<CertificateType> {
        CertificateType::ALL.into_iter().filter(|kind| self.allows(*kind)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_arcs_restrict_and_unrelated_oids_do_not() {
        let test_only = KeyUsage::from_oids(["1.3.6.1.4.1.0.1847.2021.1.1"]);
        assert!(test_only.allows(CertificateType::Test));
        assert!(!test_only.allows(CertificateType::Vaccination));
        let vaccination = KeyUsage::from_oids(["1.3.6.1.4.1.1847.2021.1.2", "1.3.6.1.5.5.7.3.1"]);
        assert_eq!(vaccination.allowed(), [CertificateType::Vaccination]);
        assert_eq!(KeyUsage::from_oids(["1.3.6.1.5.5.7.3.1"]), KeyUsage::Unrestricted);
        assert_eq!(KeyUsage::from_oids([]), KeyUsage::Unrestricted);
    }
}
