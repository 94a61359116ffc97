//! The set of signer certificates a verifier trusts, indexed by kid.

use std::collections::HashMap;

use super::dsc::DocumentSignerCertificate;
use super::kid::Kid;

/// Trusted document signer certificates. Several may share a kid; all of them are tried.
#[derive(Debug, Clone, Default)]
pub struct TrustStore {
    by_kid: HashMap<Kid, Vec<DocumentSignerCertificate>>,
}

impl TrustStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a certificate; the same certificate under the same kid is kept once.
    pub fn add(&mut self, certificate: DocumentSignerCertificate) {
        let entries = self.by_kid.entry(certificate.kid()).or_default();
        if !entries.iter().any(|existing| existing.der() == certificate.der()) {
            entries.push(certificate);
        }
    }

    /// Adds every certificate.
    pub fn extend(&mut self, certificates: impl IntoIterator<Item = DocumentSignerCertificate>) {
        for certificate in certificates {
            self.add(certificate);
        }
    }

    /// Every certificate filed under `kid`.
    pub fn candidates(&self, kid: &Kid) -> &[DocumentSignerCertificate] {
        self.by_kid.get(kid).map_or(&[], Vec::as_slice)
    }

    /// Certificates held.
    pub fn len(&self) -> usize {
        self.by_kid.values().map(Vec::len).sum()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.by_kid.is_empty()
    }

    /// Every certificate.
    pub fn iter(&self) -> impl Iterator<Item = &DocumentSignerCertificate> {
        self.by_kid.values().flatten()
    }
}

impl FromIterator<DocumentSignerCertificate> for TrustStore {
    fn from_iter<T: IntoIterator<Item = DocumentSignerCertificate>>(iter: T) -> Self {
        let mut store = Self::new();
        store.extend(iter);
        store
    }
}
