//! The installed trust bundle, replaced only by a valid, newer one: a bundle with a bad
//! signature, an unknown anchor, an older sequence number, or broken content is refused and
//! the bundle in force stays in force.

use std::sync::Arc;

use super::anchor::TrustAnchor;
use super::bundle::{BundleError, TrustBundle};

#[derive(Debug, Clone)]
pub struct BundleStore {
    anchors: Vec<TrustAnchor>,
    current: Option<Arc<TrustBundle>>,
    /// The highest sequence ever installed, which the app keeps across restarts.
    minimum_sequence: u64,
    max_bundle_bytes: usize,
}

impl BundleStore {
    pub fn new(anchors: Vec<TrustAnchor>) -> Self {
        Self { anchors, current: None, minimum_sequence: 0, max_bundle_bytes: super::bundle::MAX_BUNDLE_BYTES }
    }

    /// Refuses bundle files larger than this (default 256 MiB).
    pub fn with_max_bundle_bytes(mut self, limit: usize) -> Self {
        self.max_bundle_bytes = limit;
        self
    }

    /// Refuses bundles older than `sequence` even before any is installed (the app persists
    /// the highest sequence it has seen, so deleting the stored bundle does not open a
    /// rollback).
    pub fn with_minimum_sequence(mut self, sequence: u64) -> Self {
        self.minimum_sequence = sequence;
        self
    }

    pub fn anchors(&self) -> &[TrustAnchor] {
        &self.anchors
    }

    pub fn current(&self) -> Option<Arc<TrustBundle>> {
        self.current.clone()
    }

    pub fn minimum_sequence(&self) -> u64 {
        self.minimum_sequence
    }

    /// Verifies and installs a bundle; on any error nothing changes.
    pub fn install(&mut self, bytes: &[u8]) -> Result<Arc<TrustBundle>, BundleError> {
        let bundle = TrustBundle::load_with_limit(bytes, &self.anchors, self.max_bundle_bytes)?;
        self.install_loaded(Arc::new(bundle))
    }

    /// Installs an already verified bundle (see [`TrustBundle::load`]); on error nothing changes.
    /// Shared, so a caller that prepared something from the bundle first (a verifier with its
    /// rules) installs the same bundle without copying it.
    pub fn install_loaded(&mut self, bundle: Arc<TrustBundle>) -> Result<Arc<TrustBundle>, BundleError> {
        let installed = self
            .current
            .as_ref()
            .map_or(self.minimum_sequence, |current| current.sequence().max(self.minimum_sequence));
        if bundle.sequence() < installed {
            return Err(BundleError::Rollback { offered: bundle.sequence(), installed });
        }
        if let Some(current) = &self.current
            && bundle.sequence() == current.sequence()
        {
            if bundle.digest() == current.digest() {
                return Ok(current.clone());
            }
            return Err(BundleError::ConflictingSequence { sequence: bundle.sequence() });
        }
        self.minimum_sequence = bundle.sequence();
        self.current = Some(bundle.clone());
        Ok(bundle)
    }
}
