//! `PassVerifier`: verdicts offline, from text or straight from a camera frame, against the
//! trust bundle in force.
//!
//! Threading: verification never waits for a bundle update. A new bundle's signature check
//! and rule parsing happen without the lock; the lock is taken only to swap the prepared
//! verifier in (microseconds). Verifications in flight keep the verifier they started with.

use std::sync::{Arc, Mutex, MutexGuard};

use healthpass_core::scan::{LumaFrame, Scanner, choose_pass_code};
use healthpass_core::time::UnixTime;
use healthpass_core::trust::{
    BundleFile, BundleStore, DocumentSignerCertificate, InstalledBundleMark, TrustAnchor, TrustBundle, TrustStore,
};
use healthpass_core::verify::Verifier;

use crate::error::{HealthpassError, guard};
use crate::foreign::Transport;
use crate::types::{
    BundleInfo, BundleMark, BundleUpdate, FrameVerification, HttpHeader, HttpRequest, ScannedCode, Verdict,
};

/// Trust bundles larger than this are not downloaded or installed on a phone.
const MAX_BUNDLE_BYTES: usize = 64 * 1024 * 1024;

/// What a verifier is built from; replaced as a whole, never edited in place.
#[derive(Clone)]
struct Settings {
    arrival_country: Option<String>,
    extra_signers: TrustStore,
}

impl Settings {
    fn verifier(&self, bundle: Option<Arc<TrustBundle>>) -> Result<Arc<Verifier>, HealthpassError> {
        let verifier = match bundle {
            Some(bundle) => Verifier::with_bundle(bundle, self.arrival_country.as_deref())?,
            None => Verifier::new(TrustStore::new()),
        };
        Ok(Arc::new(verifier.with_extra_signers(self.extra_signers.clone())))
    }
}

struct State {
    store: BundleStore,
    /// Where the verified bundle is kept across restarts, if the app gave a place.
    bundle_file: Option<BundleFile>,
    /// The entity tag of the bundle in force, for conditional downloads.
    etag: Option<String>,
    settings: Settings,
    /// Counts settings changes, so a bundle prepared without the lock notices one.
    generation: u64,
    /// Shared with calls in flight, which verify without holding the lock.
    verifier: Arc<Verifier>,
}

/// Verifies passes offline against the pinned anchors' trust bundle.
#[derive(uniffi::Object)]
pub struct PassVerifier {
    anchors: Vec<TrustAnchor>,
    state: Mutex<State>,
    scanner: Scanner,
}

impl PassVerifier {
    /// Verifies `bundle`, installs it and, when `persist` and a place is set, stores it.
    fn install(
        &self,
        bundle: Vec<u8>,
        etag: Option<String>,
        at: i64,
        persist: bool,
    ) -> Result<BundleInfo, HealthpassError> {
        // The expensive part, without the lock: signature, decoding, rule parsing.
        let loaded = Arc::new(TrustBundle::load_with_limit(&bundle, &self.anchors, MAX_BUNDLE_BYTES)?);
        let (settings, generation) = {
            let state = self.state();
            (state.settings.clone(), state.generation)
        };
        let mut verifier = settings.verifier(Some(loaded.clone()))?;
        let mut state = self.state();
        // Settings changed meanwhile (rare): rebuild with the current ones, under the lock.
        if state.generation != generation {
            verifier = state.settings.verifier(Some(loaded.clone()))?;
        }
        let installed = state.store.install_loaded(loaded, UnixTime::from_seconds(at))?;
        state.verifier = verifier;
        state.etag = etag.clone();
        let info = BundleInfo::from(installed.as_ref());
        if let (true, Some(file)) = (persist, state.bundle_file.clone()) {
            drop(state);
            file.write(&bundle, etag.as_deref()).map_err(|error| HealthpassError::Platform {
                reason: format!("the trust bundle is in force but could not be kept for the next start: {error}"),
            })?;
        }
        Ok(info)
    }

    /// The verifier in force (shared, never waited on while a bundle is being checked).
    pub(crate) fn current(&self) -> Arc<Verifier> {
        self.state().verifier.clone()
    }

    /// The fallback roots of the bundle in force (none without a bundle).
    pub(crate) fn fallback_roots(&self) -> Vec<healthpass_core::trust::FallbackRoot> {
        self.state().verifier.bundle().map(|bundle| bundle.contents().fallback_roots.clone()).unwrap_or_default()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the state half-changed: every change is
        // computed first and assigned last.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Replaces the settings and the verifier together, or changes nothing.
    fn change_settings(&self, change: impl FnOnce(&mut Settings)) -> Result<(), HealthpassError> {
        let mut state = self.state();
        let mut settings = state.settings.clone();
        change(&mut settings);
        let verifier = settings.verifier(state.store.current())?;
        state.settings = settings;
        state.generation += 1;
        state.verifier = verifier;
        Ok(())
    }
}

#[uniffi::export]
impl PassVerifier {
    /// A verifier pinning `anchors` (P-256 public keys as PEM or DER, or certificates) for
    /// trust bundles. `installed` is the mark of the bundle installed before the restart
    /// ([`PassVerifier::installed_mark`]): older bundles, and a different bundle under the same
    /// sequence, are refused.
    #[uniffi::constructor]
    pub fn new(anchors: Vec<Vec<u8>>, installed: Option<BundleMark>) -> Result<Self, HealthpassError> {
        guard(|| {
            let anchors = anchors
                .iter()
                .map(|bytes| TrustAnchor::from_bytes(bytes).map_err(HealthpassError::from))
                .collect::<Result<Vec<_>, _>>()?;
            let mark = installed.as_ref().map(InstalledBundleMark::try_from).transpose()?;
            let store =
                BundleStore::new(anchors.clone()).with_installed_mark(mark).with_max_bundle_bytes(MAX_BUNDLE_BYTES);
            Ok(Self {
                anchors,
                state: Mutex::new(State {
                    store,
                    bundle_file: None,
                    etag: None,
                    settings: Settings { arrival_country: None, extra_signers: TrustStore::new() },
                    generation: 0,
                    verifier: Arc::new(Verifier::new(TrustStore::new())),
                }),
                scanner: Scanner::default(),
            })
        })
    }

    /// Verifies and installs a trust bundle at `at` (seconds since the Unix epoch). A bundle
    /// with a bad signature, an unknown anchor, an older sequence, an expired validity or
    /// broken content is refused; the bundle in force stays. With a place to keep it
    /// ([`PassVerifier::keep_bundle_at`]) the installed bundle is written there atomically.
    pub fn load_bundle(&self, bundle: Vec<u8>, at: i64) -> Result<BundleInfo, HealthpassError> {
        guard(|| self.install(bundle, None, at, true))
    }

    /// Keeps the verified trust bundle at `path` (app-private storage) from now on, and
    /// installs the one stored there, if any, verifying it as a download (storage is not
    /// trusted): call it at start, before verifying, so a controller that restarts offline
    /// keeps its last update. Returns the stored bundle's description, `None` when there is
    /// none yet. A stored bundle that is refused (corrupted, expired, older than the persisted
    /// mark) is an error; the place is kept and the next update overwrites it.
    pub fn keep_bundle_at(&self, path: String, at: i64) -> Result<Option<BundleInfo>, HealthpassError> {
        guard(|| {
            let file = BundleFile::new(path);
            let stored =
                file.read(MAX_BUNDLE_BYTES).map_err(|error| HealthpassError::Platform { reason: error.to_string() });
            self.state().bundle_file = Some(file);
            let Some(stored) = stored? else { return Ok(None) };
            // Already on storage: installed without writing it back.
            self.install(stored.bytes, stored.etag, at, false).map(Some)
        })
    }

    /// Downloads a trust bundle through the platform's HTTP client and installs it at `at`.
    /// The download is conditional (`If-None-Match` with the entity tag of the bundle in
    /// force): a `304 Not Modified` installs nothing and says `changed: false`.
    pub async fn update_bundle(
        &self,
        transport: Arc<dyn Transport>,
        url: String,
        at: i64,
    ) -> Result<BundleUpdate, HealthpassError> {
        let etag = {
            let state = self.state();
            state.store.current().and(state.etag.clone())
        };
        let headers =
            etag.iter().map(|etag| HttpHeader { name: "If-None-Match".into(), value: etag.clone() }).collect();
        let request = HttpRequest { method: "GET".into(), url, headers, body: Vec::new() };
        let response = transport.send(request).await?;
        match response.status {
            304 => {
                let current = self.state().store.current();
                let bundle = current.ok_or_else(|| HealthpassError::Platform {
                    reason: "the trust bundle server answered 304 Not Modified, but no bundle is installed".into(),
                })?;
                Ok(BundleUpdate { bundle: BundleInfo::from(bundle.as_ref()), changed: false })
            }
            200 => {
                let etag = response
                    .headers
                    .iter()
                    .find(|header| header.name.eq_ignore_ascii_case("etag"))
                    .map(|header| header.value.trim().to_owned());
                let bundle = guard(|| self.install(response.body, etag, at, true))?;
                Ok(BundleUpdate { bundle, changed: true })
            }
            status => {
                Err(HealthpassError::Platform { reason: format!("the trust bundle download answered HTTP {status}") })
            }
        }
    }

    /// The country of arrival whose acceptance rules apply (none: only invalidation rules).
    pub fn set_arrival_country(&self, country: Option<String>) -> Result<(), HealthpassError> {
        guard(|| {
            let country = country.map(|country| country.trim().to_ascii_uppercase());
            self.change_settings(|settings| settings.arrival_country = country)
        })
    }

    /// Trusts a signer certificate (DER, PEM or base64) beside the bundle's. Atomic: on any
    /// error the verifier is unchanged.
    pub fn add_signer_certificate(&self, certificate: Vec<u8>) -> Result<(), HealthpassError> {
        guard(|| {
            let certificates = DocumentSignerCertificate::from_file_bytes(&certificate)?;
            if certificates.is_empty() {
                return Err(HealthpassError::TrustData { reason: "no certificate in the given bytes".into() });
            }
            self.change_settings(|settings| settings.extra_signers.extend(certificates))
        })
    }

    /// The bundle in force, if any.
    pub fn bundle_info(&self) -> Result<Option<BundleInfo>, HealthpassError> {
        guard(|| Ok(self.state().store.current().map(|bundle| BundleInfo::from(bundle.as_ref()))))
    }

    /// The mark of the last bundle installed: persist it and pass it to the constructor.
    pub fn installed_mark(&self) -> Result<Option<BundleMark>, HealthpassError> {
        guard(|| Ok(self.state().store.installed_mark().map(BundleMark::from)))
    }

    /// Verifies the text of a code at `at` (seconds since the Unix epoch): an `HC1:` pass or a
    /// French 2D-DOC (raw, or in a TousAntiCovid wallet link); the verdict's `format` says which.
    pub fn verify_text(&self, text: String, at: i64) -> Result<Verdict, HealthpassError> {
        guard(|| {
            let verifier = self.state().verifier.clone();
            Ok(verifier.verify_text(&text, UnixTime::from_seconds(at))?.into())
        })
    }

    /// Scans a luma frame (QR, Aztec or DataMatrix) and verifies the pass in it, in one call.
    pub fn verify_frame(
        &self,
        data: Vec<u8>,
        width: u32,
        height: u32,
        row_stride: u32,
        at: i64,
    ) -> Result<FrameVerification, HealthpassError> {
        guard(|| {
            let frame = LumaFrame::new(&data, width, height, row_stride)?;
            let codes = self.scanner.scan(&frame);
            let Some(code) = choose_pass_code(&codes).cloned() else { return Ok(FrameVerification::NoCode) };
            let verifier = self.state().verifier.clone();
            Ok(match verifier.verify_text(&code.text, UnixTime::from_seconds(at)) {
                Ok(verdict) => FrameVerification::Verified { code: ScannedCode::from(code), verdict: verdict.into() },
                Err(error) => FrameVerification::NotAPass { code: ScannedCode::from(code), reason: error.to_string() },
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEMO_PASS: &str = include_str!("../../cli/demo/pass.txt");
    const DEMO_SIGNER: &[u8] = include_bytes!("../../cli/demo/signer.pem");
    /// 2027-01-01T00:00:00Z: the demo pass and bundle are in force.
    const AT: i64 = 1_798_761_600;

    fn codes(verifier: &PassVerifier) -> Vec<String> {
        verifier
            .verify_text(DEMO_PASS.trim().into(), AT)
            .unwrap()
            .reasons
            .into_iter()
            .map(|reason| reason.code)
            .collect()
    }

    #[test]
    fn a_refused_signer_certificate_changes_nothing() {
        let verifier = PassVerifier::new(Vec::new(), None).unwrap();
        assert_eq!(codes(&verifier), ["kid_unknown"]);
        assert!(matches!(
            verifier.add_signer_certificate(b"not a certificate".to_vec()),
            Err(HealthpassError::TrustData { .. })
        ));
        assert!(verifier.add_signer_certificate(Vec::new()).is_err());
        assert_eq!(codes(&verifier), ["kid_unknown"], "the verifier is unchanged after a refused certificate");
        verifier.add_signer_certificate(DEMO_SIGNER.to_vec()).unwrap();
        assert!(codes(&verifier).is_empty());
    }

    #[test]
    fn a_malformed_bundle_mark_is_an_input_error() {
        let mark = BundleMark { sequence: 3, digest: vec![0; 31] };
        assert!(matches!(PassVerifier::new(Vec::new(), Some(mark)), Err(HealthpassError::InvalidInput { .. })));
        let verifier = PassVerifier::new(Vec::new(), Some(BundleMark { sequence: 3, digest: vec![7; 32] })).unwrap();
        assert_eq!(verifier.installed_mark().unwrap(), Some(BundleMark { sequence: 3, digest: vec![7; 32] }));
        assert_eq!(verifier.bundle_info().unwrap(), None);
    }
}
