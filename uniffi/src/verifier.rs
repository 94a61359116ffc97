//! `PassVerifier`: verdicts offline, from text or straight from a camera frame, against the
//! trust bundle in force.

use std::sync::{Arc, Mutex, MutexGuard};

use healthpass_core::codec::HC1_PREFIX;
use healthpass_core::scan::{LumaFrame, Scanner};
use healthpass_core::time::UnixTime;
use healthpass_core::trust::{BundleStore, DocumentSignerCertificate, TrustAnchor, TrustBundle, TrustStore};
use healthpass_core::verify::Verifier;

use crate::error::{HealthpassError, guard};
use crate::foreign::Transport;
use crate::types::{BundleInfo, FrameVerification, HttpRequest, ScannedCode, Verdict};

/// Trust bundles larger than this are not downloaded or installed on a phone.
const MAX_BUNDLE_BYTES: usize = 64 * 1024 * 1024;

struct State {
    store: BundleStore,
    /// Shared with calls in flight, which verify without holding the lock.
    verifier: Arc<Verifier>,
    arrival_country: Option<String>,
    extra_signers: TrustStore,
}

impl State {
    fn build(&self, bundle: Option<Arc<TrustBundle>>) -> Result<Arc<Verifier>, HealthpassError> {
        let verifier = match bundle {
            Some(bundle) => {
                Verifier::with_bundle(bundle, self.arrival_country.as_deref()).map_err(HealthpassError::trust_data)?
            }
            None => Verifier::new(TrustStore::new()),
        };
        Ok(Arc::new(verifier.with_extra_signers(self.extra_signers.clone())))
    }
}

#[derive(uniffi::Object)]
pub struct PassVerifier {
    state: Mutex<State>,
    scanner: Scanner,
}

impl PassVerifier {
    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the state half-changed: every change is
        // computed first and assigned last.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[uniffi::export]
impl PassVerifier {
    /// A verifier pinning `anchors` (P-256 public keys as PEM or DER, or certificates) for
    /// trust bundles. `minimum_sequence` is the highest bundle sequence the app has installed
    /// before (persist [`PassVerifier::minimum_sequence`]): older bundles are refused.
    #[uniffi::constructor]
    pub fn new(anchors: Vec<Vec<u8>>, minimum_sequence: u64) -> Result<Self, HealthpassError> {
        guard(|| {
            let anchors = anchors
                .iter()
                .map(|bytes| TrustAnchor::from_bytes(bytes).map_err(HealthpassError::trust_data))
                .collect::<Result<Vec<_>, _>>()?;
            let store = BundleStore::new(anchors)
                .with_minimum_sequence(minimum_sequence)
                .with_max_bundle_bytes(MAX_BUNDLE_BYTES);
            Ok(Self {
                state: Mutex::new(State {
                    store,
                    verifier: Arc::new(Verifier::new(TrustStore::new())),
                    arrival_country: None,
                    extra_signers: TrustStore::new(),
                }),
                scanner: Scanner::default(),
            })
        })
    }

    /// Verifies and installs a trust bundle. A bundle with a bad signature, an unknown
    /// anchor, an older sequence or broken content is refused; the bundle in force stays.
    pub fn load_bundle(&self, bundle: Vec<u8>) -> Result<BundleInfo, HealthpassError> {
        guard(|| {
            let mut state = self.state();
            let loaded = TrustBundle::load_with_limit(&bundle, state.store.anchors(), MAX_BUNDLE_BYTES)
                .map_err(HealthpassError::trust_data)?;
            drop(bundle);
            // Build the verifier first (rules must parse), then install: nothing changes on error.
            let loaded = Arc::new(loaded);
            let verifier = state.build(Some(loaded.clone()))?;
            let installed = state.store.install_loaded(loaded).map_err(HealthpassError::trust_data)?;
            state.verifier = verifier;
            Ok(BundleInfo::from(installed.as_ref()))
        })
    }

    /// Downloads a trust bundle through the platform's HTTP client and installs it.
    pub async fn update_bundle(
        &self,
        transport: Arc<dyn Transport>,
        url: String,
    ) -> Result<BundleInfo, HealthpassError> {
        let request = HttpRequest { method: "GET".into(), url, headers: Vec::new(), body: Vec::new() };
        let response = transport.send(request).await?;
        if response.status != 200 {
            return Err(HealthpassError::Platform {
                reason: format!("the trust bundle download answered HTTP {}", response.status),
            });
        }
        self.load_bundle(response.body)
    }

    /// The country of arrival whose acceptance rules apply (none: only invalidation rules).
    pub fn set_arrival_country(&self, country: Option<String>) -> Result<(), HealthpassError> {
        guard(|| {
            let mut state = self.state();
            let previous =
                std::mem::replace(&mut state.arrival_country, country.map(|country| country.to_ascii_uppercase()));
            match state.build(state.store.current()) {
                Ok(verifier) => {
                    state.verifier = verifier;
                    Ok(())
                }
                Err(error) => {
                    state.arrival_country = previous;
                    Err(error)
                }
            }
        })
    }

    /// Trusts a signer certificate (DER, PEM or base64) beside the bundle's.
    pub fn add_signer_certificate(&self, certificate: Vec<u8>) -> Result<(), HealthpassError> {
        guard(|| {
            let certificates =
                DocumentSignerCertificate::from_file_bytes(&certificate).map_err(HealthpassError::trust_data)?;
            let mut state = self.state();
            state.extra_signers.extend(certificates);
            state.verifier = state.build(state.store.current())?;
            Ok(())
        })
    }

    /// The bundle in force, if any.
    pub fn bundle_info(&self) -> Option<BundleInfo> {
        self.state().store.current().map(|bundle| BundleInfo::from(bundle.as_ref()))
    }

    /// The highest bundle sequence installed: persist it and pass it to the constructor.
    pub fn minimum_sequence(&self) -> u64 {
        self.state().store.minimum_sequence()
    }

    /// Verifies `HC1:` text at `at` (seconds since the Unix epoch).
    pub fn verify_text(&self, text: String, at: i64) -> Result<Verdict, HealthpassError> {
        guard(|| {
            let verifier = self.state().verifier.clone();
            verifier
                .verify_text(&text, UnixTime::from_seconds(at))
                .map(Into::into)
                .map_err(|error| HealthpassError::NotAPass { reason: error.to_string() })
        })
    }

    /// Scans a luma frame and verifies the pass in it, in one call.
    pub fn verify_frame(
        &self,
        data: Vec<u8>,
        width: u32,
        height: u32,
        row_stride: u32,
        at: i64,
    ) -> Result<FrameVerification, HealthpassError> {
        guard(|| {
            let frame = LumaFrame::new(&data, width, height, row_stride).map_err(HealthpassError::invalid_input)?;
            let mut codes = self.scanner.scan(&frame);
            let index = codes.iter().position(|code| code.text.starts_with(HC1_PREFIX)).unwrap_or(0);
            if codes.is_empty() {
                return Ok(FrameVerification::NoCode);
            }
            let code = codes.swap_remove(index);
            let verifier = self.state().verifier.clone();
            Ok(match verifier.verify_text(&code.text, UnixTime::from_seconds(at)) {
                Ok(verdict) => FrameVerification::Verified { code: ScannedCode::from(code), verdict: verdict.into() },
                Err(error) => FrameVerification::NotAPass { code: ScannedCode::from(code), reason: error.to_string() },
            })
        })
    }
}
