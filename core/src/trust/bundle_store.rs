//! The installed trust bundle, replaced only by a valid, newer one: a bundle with a bad
//! signature, an unknown anchor, an older sequence number, a digest that contradicts what was
//! installed under the same sequence, an expired validity, or broken content is refused, and
//! the bundle in force stays in force.
//!
//! Across restarts the app keeps an [`InstalledBundleMark`] (sequence and digest of the last
//! bundle installed): with it, deleting the stored bundle opens neither a rollback nor the
//! installation of a different bundle under the same sequence number.

use std::sync::Arc;

use super::anchor::TrustAnchor;
use super::bundle::{BundleError, MAX_BUNDLE_BYTES, TrustBundle};
use crate::time::UnixTime;

/// What identifies the last installed bundle; persist it beside (or instead of) the bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InstalledBundleMark {
    /// The bundle's sequence number.
    pub sequence: u64,
    /// SHA-256 of the bundle's signed data ([`TrustBundle::digest`]).
    pub digest: [u8; 32],
}

/// The bundle in force on a device, and what it will accept next.
#[derive(Debug, Clone)]
pub struct BundleStore {
    anchors: Vec<TrustAnchor>,
    current: Option<Arc<TrustBundle>>,
    /// The last bundle installed, in this run or (given at start) an earlier one.
    mark: Option<InstalledBundleMark>,
    max_bundle_bytes: usize,
}

impl BundleStore {
    /// A store pinning `anchors`, with no bundle yet.
    pub fn new(anchors: Vec<TrustAnchor>) -> Self {
        Self { anchors, current: None, mark: None, max_bundle_bytes: MAX_BUNDLE_BYTES }
    }

    /// Refuses bundle files larger than this (default 256 MiB).
    pub fn with_max_bundle_bytes(mut self, limit: usize) -> Self {
        self.max_bundle_bytes = limit;
        self
    }

    /// Continues from the bundle an earlier run installed: older sequences are refused, and
    /// the same sequence only with the same digest.
    pub fn with_installed_mark(mut self, mark: Option<InstalledBundleMark>) -> Self {
        self.mark = mark;
        self
    }

    /// The pinned anchors.
    pub fn anchors(&self) -> &[TrustAnchor] {
        &self.anchors
    }

    /// The bundle in force, if any.
    pub fn current(&self) -> Option<Arc<TrustBundle>> {
        self.current.clone()
    }

    /// The last bundle installed (to persist).
    pub fn installed_mark(&self) -> Option<InstalledBundleMark> {
        self.mark
    }

    /// Verifies and installs a bundle at time `now`; on any error nothing changes.
    pub fn install(&mut self, bytes: &[u8], now: UnixTime) -> Result<Arc<TrustBundle>, BundleError> {
        let bundle = TrustBundle::load_with_limit(bytes, &self.anchors, self.max_bundle_bytes)?;
        self.install_loaded(Arc::new(bundle), now)
    }

    /// Installs an already verified bundle (see [`TrustBundle::load`]); on error nothing changes.
    /// Shared, so a caller that prepared something from the bundle first (a verifier with its
    /// rules) installs the same bundle without copying it.
    ///
    /// An expired bundle is refused: it could only make every verdict say the trust data is
    /// stale, and installing it would raise the sequence floor above a bundle still in force.
    /// A bundle whose validity has not begun is installed (a bundle published ahead of time);
    /// verdicts say so until it begins.
    pub fn install_loaded(&mut self, bundle: Arc<TrustBundle>, now: UnixTime) -> Result<Arc<TrustBundle>, BundleError> {
        if let Some(mark) = self.mark {
            if bundle.sequence() < mark.sequence {
                return Err(BundleError::Rollback { offered: bundle.sequence(), installed: mark.sequence });
            }
            if bundle.sequence() == mark.sequence && bundle.digest() != mark.digest {
                return Err(BundleError::ConflictingSequence { sequence: bundle.sequence() });
            }
        }
        let expires_at = bundle.contents().expires_at;
        if now > expires_at {
            return Err(BundleError::Expired { sequence: bundle.sequence(), expired_at: expires_at });
        }
        if let Some(current) = &self.current
            && current.digest() == bundle.digest()
        {
            return Ok(current.clone());
        }
        self.mark = Some(InstalledBundleMark { sequence: bundle.sequence(), digest: bundle.digest() });
        self.current = Some(bundle.clone());
        Ok(bundle)
    }
}
