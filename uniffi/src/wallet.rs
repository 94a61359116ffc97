//! `PassWallet`: the traveller's wallet, sealed with the platform's key (`WalletKey`: an AES
//! key in the Android Keystore, a Keychain / Secure Enclave key on iOS), receiving final
//! passes through transfer codes over the app's async `Transport`. Times are seconds since the
//! epoch, passed in by the app.

use std::path::PathBuf;
use std::sync::Arc;

use healthpass_core::protocol::TransferCode;
use healthpass_core::scan::LumaFrame;
use healthpass_core::time::UnixTime;
use healthpass_core::wallet::{
    self, Added, ExportFormat, PassSource, PassState, Protection, StorageKeyError, TransferState, Wallet, WalletError,
};

use crate::error::{HealthpassError, guard};
use crate::foreign::Transport;
use crate::types::{CertificateType, HttpHeader, HttpRequest, PassFormat};

/// The platform's key for the wallet file. Each value is sealed with `context` bound in (an
/// AES-GCM associated data), so rows swapped in the file do not open as each other.
#[uniffi::export(with_foreign)]
pub trait WalletKey: Send + Sync {
    /// Seals `plaintext` (AES-GCM in the key store: the nonce is part of the result).
    fn seal(&self, plaintext: Vec<u8>, context: Vec<u8>) -> Result<Vec<u8>, HealthpassError>;
    /// Opens what `seal` returned for the same `context`; an error for anything else. (Not
    /// `open`: a Swift keyword, which the generated C header cannot carry.)
    fn unseal(&self, sealed: Vec<u8>, context: Vec<u8>) -> Result<Vec<u8>, HealthpassError>;
}

struct PlatformWalletKey {
    key: Arc<dyn WalletKey>,
}

impl wallet::StorageKey for PlatformWalletKey {
    fn seal(&self, plaintext: &[u8], context: &[u8]) -> Result<Vec<u8>, StorageKeyError> {
        self.key.seal(plaintext.to_vec(), context.to_vec()).map_err(|error| StorageKeyError(error.to_string()))
    }

    fn open(&self, sealed: &[u8], context: &[u8]) -> Result<Vec<u8>, StorageKeyError> {
        self.key.unseal(sealed.to_vec(), context.to_vec()).map_err(|error| StorageKeyError(error.to_string()))
    }
}

impl From<WalletError> for HealthpassError {
    fn from(error: WalletError) -> Self {
        let reason = error.to_string();
        match error {
            WalletError::NotAPass { .. } | WalletError::NoCodeInPicture => Self::NotAPass { reason },
            WalletError::Key(_) | WalletError::Store(wallet::WalletStoreError::Database(_)) => {
                Self::Platform { reason }
            }
            _ => Self::InvalidInput { reason },
        }
    }
}

/// How the wallet stores its passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum WalletProtection {
    /// Sealed with the platform's key.
    Sealed,
    /// In clear: opened without a key (say so to the user).
    Plain,
}

/// A pass's state at the listing's time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum WalletPassState {
    /// In force (verified when listed with a verifier).
    Valid,
    /// In force, expires within a day.
    ExpiringSoon,
    /// Expired.
    Expired,
    /// Signed on a pharmacy phone during an outage; its final pass has not arrived.
    Provisional,
    /// Revoked by the trust bundle.
    Revoked,
    /// Refused by the trust bundle for another reason (`reasons`).
    Invalid,
    /// Replaced by its final pass (history).
    Replaced,
    /// Its stored row cannot be read (`problem`); the others are unaffected.
    Unreadable,
}

impl From<PassState> for WalletPassState {
    fn from(state: PassState) -> Self {
        match state {
            PassState::Valid => Self::Valid,
            PassState::ExpiringSoon => Self::ExpiringSoon,
            PassState::Expired => Self::Expired,
            PassState::Provisional => Self::Provisional,
            PassState::Revoked => Self::Revoked,
            PassState::Invalid => Self::Invalid,
            PassState::Replaced => Self::Replaced,
            PassState::Unreadable => Self::Unreadable,
        }
    }
}

/// A pass in the wallet.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct WalletEntry {
    /// Its id in the wallet.
    pub id: i64,
    /// Its state.
    pub state: WalletPassState,
    /// Whether a verifier checked it (else: from its dates only).
    pub checked: bool,
    /// Why a checked pass is not valid (reason codes).
    pub reasons: Vec<String>,
    /// HC1 or 2D-DOC.
    pub format: PassFormat,
    /// Vaccination, test or recovery.
    pub certificate_type: Option<CertificateType>,
    /// The holder's name, for the traveller's own screen.
    pub holder: String,
    /// The UVCI (HC1).
    pub uvci: Option<String>,
    /// Signed on a pharmacy device.
    pub provisional: bool,
    /// The pharmacy of a provisional pass, when verified.
    pub pharmacy: Option<String>,
    /// Seconds since the epoch.
    pub expires_at: Option<i64>,
    /// Seconds since the epoch.
    pub added_at: i64,
    /// `text`, `picture`, `file` or `transfer`.
    pub source: String,
    /// The pass that replaced it.
    pub replaced_by: Option<i64>,
    /// What is wrong with an unreadable row.
    pub problem: Option<String>,
}

impl From<wallet::WalletPass> for WalletEntry {
    fn from(pass: wallet::WalletPass) -> Self {
        Self {
            id: pass.id,
            state: pass.state.into(),
            checked: pass.checked,
            reasons: pass.reasons,
            format: match pass.format {
                healthpass_core::verify::PassFormat::Hc1 => PassFormat::Hc1,
                healthpass_core::verify::PassFormat::TwoDDoc => PassFormat::TwoDDoc,
            },
            certificate_type: pass.certificate_type.map(Into::into),
            holder: pass.holder,
            uvci: pass.uvci,
            provisional: pass.provisional,
            pharmacy: pass.pharmacy,
            expires_at: pass.expires_at.map(UnixTime::seconds),
            added_at: pass.added_at.seconds(),
            source: pass.source.name().to_owned(),
            replaced_by: pass.replaced_by,
            problem: pass.problem,
        }
    }
}

/// What adding a pass did.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct AddedPass {
    /// Its id.
    pub id: i64,
    /// The wallet held it already.
    pub duplicate: bool,
    /// The provisional passes it replaced.
    pub replaced: Vec<i64>,
}

impl From<Added> for AddedPass {
    fn from(added: Added) -> Self {
        Self { id: added.id, duplicate: added.duplicate, replaced: added.replaced }
    }
}

/// Where a transfer code stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum TransferCodeState {
    /// Not yet known to the service.
    Unregistered,
    /// Registered; waiting for the pass.
    Waiting,
    /// The pass arrived; the service forgot it.
    Collected,
    /// Past its lifetime.
    Expired,
}

/// A transfer code of this wallet.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct TransferInfo {
    /// `K7QM-4T2X-9HW`, to show the pharmacist.
    pub code: String,
    /// Where it stands.
    pub state: TransferCodeState,
    /// Seconds since the epoch of the next poll.
    pub next_poll_at: i64,
    /// Passes received through it.
    pub received: u32,
    /// Why the last request failed.
    pub last_error: Option<String>,
}

/// What a fetch did.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct WalletFetch {
    /// Passes stored.
    pub received: Vec<AddedPass>,
    /// Requests sent.
    pub requests: u32,
    /// Requests without an answer.
    pub unanswered: u32,
}

/// What to export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum WalletExport {
    /// The QR code, PNG.
    QrPng,
    /// The QR code, SVG.
    QrSvg,
    /// The bilingual attestation page, SVG.
    AttestationPage,
}

/// The traveller's wallet.
#[derive(uniffi::Object)]
pub struct PassWallet {
    wallet: Wallet,
}

impl PassWallet {
    fn entries(
        &self,
        now: i64,
        verifier: Option<Arc<crate::verifier::PassVerifier>>,
        with_history: bool,
    ) -> Result<Vec<WalletEntry>, HealthpassError> {
        guard(|| {
            let verifier = verifier.map(|verifier| verifier.current());
            let now = UnixTime::from_seconds(now);
            let passes = if with_history {
                self.wallet.history(now, verifier.as_deref())?
            } else {
                self.wallet.list(now, verifier.as_deref())?
            };
            Ok(passes.into_iter().map(Into::into).collect())
        })
    }
}

#[uniffi::export]
impl PassWallet {
    /// Opens (or creates) the wallet at `path` (app-private storage), sealed with `key`, or
    /// in plain storage without one (the choice is the file's, from its creation on). A
    /// damaged or foreign file is an `InvalidInput` error and stays untouched.
    #[uniffi::constructor]
    pub fn open(path: String, key: Option<Arc<dyn WalletKey>>) -> Result<Self, HealthpassError> {
        guard(|| {
            let key = key.map(|key| Arc::new(PlatformWalletKey { key }) as Arc<dyn wallet::StorageKey>);
            Ok(Self { wallet: Wallet::open(&PathBuf::from(path), key)? })
        })
    }

    /// How the passes are stored.
    pub fn protection(&self) -> WalletProtection {
        match self.wallet.protection() {
            Protection::Sealed => WalletProtection::Sealed,
            Protection::Plain => WalletProtection::Plain,
        }
    }

    /// Adds a pass from its text (pasted, or from a link). A final pass replaces the
    /// provisional pass with its UVCI.
    pub fn add_text(&self, text: String, now: i64) -> Result<AddedPass, HealthpassError> {
        guard(|| Ok(self.wallet.add_text(&text, PassSource::Text, UnixTime::from_seconds(now))?.into()))
    }

    /// Adds the pass in a camera frame (8-bit luma, `width` x `height`, rows packed).
    pub fn add_frame(&self, luma: Vec<u8>, width: u32, height: u32, now: i64) -> Result<AddedPass, HealthpassError> {
        guard(|| {
            let frame = LumaFrame::packed(&luma, width, height)?;
            Ok(self.wallet.add_frame(&frame, UnixTime::from_seconds(now))?.into())
        })
    }

    /// Adds the pass in a file's bytes: a PNG or JPEG of its code, or its text.
    pub fn add_file(&self, bytes: Vec<u8>, now: i64) -> Result<AddedPass, HealthpassError> {
        guard(|| Ok(self.wallet.add_file(&bytes, UnixTime::from_seconds(now))?.into()))
    }

    /// The passes in force, with their state at `now`; checked against `verifier`'s trust
    /// when given.
    pub fn list(
        &self,
        now: i64,
        verifier: Option<Arc<crate::verifier::PassVerifier>>,
    ) -> Result<Vec<WalletEntry>, HealthpassError> {
        self.entries(now, verifier, false)
    }

    /// Every pass, replaced ones included.
    pub fn history(
        &self,
        now: i64,
        verifier: Option<Arc<crate::verifier::PassVerifier>>,
    ) -> Result<Vec<WalletEntry>, HealthpassError> {
        self.entries(now, verifier, true)
    }

    /// The text of pass `id` (what its QR code carries, for the full-screen code).
    pub fn pass_text(&self, id: i64) -> Result<String, HealthpassError> {
        guard(|| Ok(self.wallet.pass_text(id)?))
    }

    /// Removes pass `id`; whether it was there.
    pub fn remove(&self, id: i64) -> Result<bool, HealthpassError> {
        guard(|| Ok(self.wallet.remove(id)?))
    }

    /// Pass `id` as a PNG or SVG of its QR code, or its attestation page (SVG).
    pub fn export(&self, id: i64, format: WalletExport) -> Result<Vec<u8>, HealthpassError> {
        guard(|| {
            let format = match format {
                WalletExport::QrPng => ExportFormat::Png,
                WalletExport::QrSvg => ExportFormat::Svg,
                WalletExport::AttestationPage => ExportFormat::Attestation,
            };
            Ok(self.wallet.export(id, format)?)
        })
    }

    /// Makes a transfer code for the issuer at `endpoint`, to give the pharmacist (typed, or
    /// shown as a QR code). `fetch` registers it.
    pub fn create_transfer(&self, endpoint: String, now: i64) -> Result<String, HealthpassError> {
        guard(|| Ok(self.wallet.create_transfer(&endpoint, UnixTime::from_seconds(now))?.to_string()))
    }

    /// Every transfer code of the wallet.
    pub fn transfers(&self) -> Result<Vec<TransferInfo>, HealthpassError> {
        guard(|| {
            Ok(self
                .wallet
                .transfers()?
                .into_iter()
                .map(|status| TransferInfo {
                    code: status.code.to_string(),
                    state: match status.state {
                        TransferState::Unregistered => TransferCodeState::Unregistered,
                        TransferState::Waiting => TransferCodeState::Waiting,
                        TransferState::Collected => TransferCodeState::Collected,
                        TransferState::Expired => TransferCodeState::Expired,
                    },
                    next_poll_at: status.next_poll_at.seconds(),
                    received: status.received,
                    last_error: status.last_error,
                })
                .collect())
        })
    }

    /// Forgets a transfer code; whether it was there.
    pub fn remove_transfer(&self, code: String) -> Result<bool, HealthpassError> {
        guard(|| {
            let code = TransferCode::parse(&code)
                .map_err(|error| HealthpassError::InvalidInput { reason: error.to_string() })?;
            Ok(self.wallet.remove_transfer(&code)?)
        })
    }

    /// Registers, polls and acknowledges through `transport` what is due at `now` (all open
    /// codes with `force`, when the traveller asks); call again at the earliest `next_poll_at`
    /// (a WorkManager / BGTaskScheduler job).
    pub async fn fetch(
        &self,
        transport: Arc<dyn Transport>,
        force: bool,
        now: i64,
    ) -> Result<WalletFetch, HealthpassError> {
        let now = UnixTime::from_seconds(now);
        let requests = guard(|| Ok(self.wallet.due_transfer_requests(now, force)?))?;
        let mut fetch = WalletFetch { received: Vec::new(), requests: 0, unanswered: 0 };
        for first in requests {
            let mut next = Some(first);
            for _ in 0..3 {
                let Some(request) = next.take() else { break };
                fetch.requests += 1;
                let sent = HttpRequest {
                    method: request.request.method.clone(),
                    url: request.request.url.clone(),
                    headers: request
                        .request
                        .headers
                        .iter()
                        .map(|(name, value)| HttpHeader { name: name.clone(), value: value.clone() })
                        .collect(),
                    body: request.request.body.clone(),
                };
                let answer = match transport.send(sent).await {
                    Ok(answer) => Ok(healthpass_core::protocol::HttpResponse {
                        status: answer.status,
                        headers: answer.headers.into_iter().map(|header| (header.name, header.value)).collect(),
                        body: answer.body,
                    }),
                    Err(error) => {
                        fetch.unanswered += 1;
                        Err(healthpass_core::protocol::TransportError(error.to_string()))
                    }
                };
                let progress = guard(|| Ok(self.wallet.record_transfer_answer(&request, answer.as_ref(), now)?))?;
                fetch.received.extend(progress.added.into_iter().map(AddedPass::from));
                next = progress.follow_up;
            }
        }
        Ok(fetch)
    }
}
