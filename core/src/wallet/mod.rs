//! The traveller's wallet: passes kept on the phone, shown at the train door without a network.
//!
//! Passes come from text (a pasted `HC1:` or 2D-DOC), a picture (the scanner), a file, or a
//! transfer code ([`transfer`]): after an outage, the final pass reaches the wallet sealed to
//! its key, without an account. A final pass replaces the provisional pass with the same UVCI
//! on arrival; the provisional one stays in the history.
//!
//! The file is SQLite ([`store`]); pass texts and transfer keys are sealed with the platform's
//! key ([`StorageKey`]). A wallet opened without one says so ([`Protection::Plain`]): the
//! choice is made when the file is created and kept, so a sealed wallet never silently gains
//! clear rows. Nothing here puts a name or a birth date into an error.

mod storage_key;
mod store;
pub mod transfer;

use std::path::Path;
use std::sync::Arc;

use sha2::Digest;

pub use storage_key::{SoftwareStorageKey, StorageKey, StorageKeyError};
pub use store::WalletStoreError;
use store::{PassRow, WalletFile};
pub use transfer::{TransferRequest, TransferState, TransferStatus, TransferStep};

use crate::codec::{PassLimits, decode_pass_text};
use crate::dcc::{CertificateType, Dcc, Strictness, hcert};
use crate::render::QrMatrix;
use crate::scan::{LumaFrame, Scanner, choose_pass_code};
use crate::time::UnixTime;
use crate::trust::TrustStore;
use crate::verify::provisional::carries_credential;
use crate::verify::{PassFormat, ReasonCategory, Verdict, VerdictStatus, Verifier};

/// A pass this close to its expiry is listed as expiring.
pub const EXPIRING_WITHIN_SECONDS: i64 = 24 * 3600;
/// The largest file [`Wallet::add_file`] reads (a photo of a QR code is a few MB).
pub const MAX_FILE_BYTES: usize = 20 * 1024 * 1024;
/// The longest pass text kept (the largest QR code holds 4,296 characters).
pub const MAX_PASS_TEXT: usize = 8 * 1024;

const CANARY: &[u8] = b"healthpass wallet";

/// Why a wallet call failed. No variant carries a name or a birth date.
#[allow(missing_docs, reason = "each variant's #[error] message documents it and its fields")]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WalletError {
    #[error(transparent)]
    Store(#[from] WalletStoreError),
    #[error(
        "this wallet was created sealed with a platform key; open it with that key (its passes are not readable without it)"
    )]
    KeyRequired,
    #[error("this wallet was created without a platform key (plain storage); open it without one")]
    KeyNotExpected,
    #[error("the platform key does not open this wallet: it is another key, or the file was altered")]
    WrongKey,
    #[error(transparent)]
    Key(#[from] StorageKeyError),
    #[error("not a pass: {detail}")]
    NotAPass { detail: String },
    #[error("no QR code, Aztec code or DataMatrix found in the picture")]
    NoCodeInPicture,
    #[error("the file is {size} bytes; a pass, a picture of one or its text is at most {max} bytes")]
    FileTooLarge { size: usize, max: usize },
    #[error("no pass {0} in the wallet")]
    UnknownPass(i64),
    #[error("pass {id} cannot be read: {detail}; the other passes are unaffected")]
    Unreadable { id: i64, detail: String },
    #[error("the wallet already holds the final pass of this provisional pass (pass {0})")]
    FinalAlreadyHeld(i64),
    #[error("{0}")]
    Transfer(String),
    #[error("the export failed: {0}")]
    Export(String),
}

/// How the wallet's passes are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protection {
    /// Sealed with the platform's key.
    Sealed,
    /// In clear: the wallet was created without a platform key.
    Plain,
}

/// Where a pass came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PassSource {
    /// Pasted or typed text.
    Text,
    /// A picture (camera frame or image).
    Picture,
    /// A file.
    File,
    /// Delivered through a transfer code.
    Transfer,
}

impl PassSource {
    /// `text`, `picture`, `file`, `transfer`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Picture => "picture",
            Self::File => "file",
            Self::Transfer => "transfer",
        }
    }

    fn parse(text: &str) -> Self {
        match text {
            "picture" => Self::Picture,
            "file" => Self::File,
            "transfer" => Self::Transfer,
            _ => Self::Text,
        }
    }
}

/// What adding a pass did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Added {
    /// The pass's id in the wallet.
    pub id: i64,
    /// Whether the wallet held this very pass already (nothing was added).
    pub duplicate: bool,
    /// Provisional passes this final pass replaced (kept in the history).
    pub replaced: Vec<i64>,
}

/// A pass's state at a given time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PassState {
    /// In force (and verified, when the listing had a trust bundle).
    Valid,
    /// In force, but expires within a day.
    ExpiringSoon,
    /// Past its expiry.
    Expired,
    /// Signed on a pharmacy device during an outage; its final pass has not arrived yet.
    Provisional,
    /// The trust bundle lists it as revoked.
    Revoked,
    /// The trust bundle refuses it for another reason (its reasons say which).
    Invalid,
    /// Replaced by its final pass (history).
    Replaced,
    /// Its stored row cannot be read (damaged, or sealed with another key).
    Unreadable,
}

impl PassState {
    /// `valid`, `expiring_soon`, `expired`, `provisional`, `revoked`, `invalid`, `replaced`,
    /// `unreadable`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Valid => "valid",
            Self::ExpiringSoon => "expiring_soon",
            Self::Expired => "expired",
            Self::Provisional => "provisional",
            Self::Revoked => "revoked",
            Self::Invalid => "invalid",
            Self::Replaced => "replaced",
            Self::Unreadable => "unreadable",
        }
    }
}

/// A pass as the wallet lists it. The holder's name is here for the traveller's own screen; it
/// never reaches an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalletPass {
    /// Its id in the wallet.
    pub id: i64,
    /// Its state at the listing's time.
    pub state: PassState,
    /// Whether a trust bundle checked it (signature, revocation, rules); without one, the state
    /// comes from its dates alone.
    pub checked: bool,
    /// Why a checked pass is not valid (reason codes).
    pub reasons: Vec<String>,
    /// HC1 or 2D-DOC.
    pub format: PassFormat,
    /// Vaccination, test or recovery.
    pub certificate_type: Option<CertificateType>,
    /// The holder's name as printed (given names, then family name).
    pub holder: String,
    /// The UVCI (HC1).
    pub uvci: Option<String>,
    /// Signed on a pharmacy device (signed paper fallback).
    pub provisional: bool,
    /// The pharmacy that signed a provisional pass, when the bundle says.
    pub pharmacy: Option<String>,
    /// When it was signed.
    pub issued_at: Option<UnixTime>,
    /// When it expires.
    pub expires_at: Option<UnixTime>,
    /// When it was added to the wallet.
    pub added_at: UnixTime,
    /// Where it came from.
    pub source: PassSource,
    /// The pass that replaced it, for history rows.
    pub replaced_by: Option<i64>,
    /// When it was replaced.
    pub replaced_at: Option<UnixTime>,
    /// What is wrong with an unreadable row.
    pub problem: Option<String>,
}

/// What the wallet reads from a pass text before storing it.
struct PassSummary {
    format: PassFormat,
    uvci: Option<String>,
    provisional: bool,
    /// SHA-256 of `hc1:<UVCI>` (a final pass finds its provisional pass by it) or, for a
    /// 2D-DOC, of its text (duplicates only).
    identity: [u8; 32],
    verdict: Verdict,
}

/// The verifier that reads a pass without trusting anything: dates, type, holder.
fn reader() -> &'static Verifier {
    static READER: std::sync::OnceLock<Verifier> = std::sync::OnceLock::new();
    READER.get_or_init(|| Verifier::new(TrustStore::default()))
}

/// Reads `text` once with `verifier` (the trust-less [`reader`] when the caller has none).
fn summarize(text: &str, now: UnixTime, verifier: &Verifier) -> Result<PassSummary, WalletError> {
    let not_a_pass = |detail: String| WalletError::NotAPass { detail };
    if text.len() > MAX_PASS_TEXT {
        return Err(not_a_pass(format!("{} characters; a pass is at most {MAX_PASS_TEXT}", text.len())));
    }
    let verdict = verifier.verify_text(text, now).map_err(|error| not_a_pass(error.to_string()))?;
    match verdict.format {
        PassFormat::Hc1 => {
            let pass = decode_pass_text(text, &PassLimits::default()).map_err(|error| not_a_pass(error.to_string()))?;
            let value = hcert::dcc_value(&pass.claims).map_err(|error| not_a_pass(error.to_string()))?;
            let dcc = Dcc::read(value, Strictness::Tolerant).map_err(|error| not_a_pass(error.to_string()))?.dcc;
            let uvci = dcc.certificate_id().to_owned();
            let identity = sha2::Sha256::digest(format!("hc1:{uvci}").as_bytes()).into();
            Ok(PassSummary {
                format: verdict.format,
                uvci: Some(uvci),
                provisional: carries_credential(&pass),
                identity,
                verdict,
            })
        }
        PassFormat::TwoDDoc => Ok(PassSummary {
            format: verdict.format,
            uvci: None,
            provisional: false,
            identity: sha2::Sha256::digest(format!("2d-doc:{text}").as_bytes()).into(),
            verdict,
        }),
    }
}

/// The export formats of a pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// The QR code (DataMatrix for a 2D-DOC is not drawn: its QR carries the same text), PNG.
    Png,
    /// The QR code, SVG.
    Svg,
    /// The bilingual A4 attestation page, SVG.
    Attestation,
}

/// The traveller's wallet.
pub struct Wallet {
    file: WalletFile,
    key: Option<Arc<dyn StorageKey>>,
}

impl Wallet {
    /// Opens (or creates) the wallet at `path`, sealed with `key`, or in plain storage without
    /// one. The choice is the file's from its creation on.
    pub fn open(path: &Path, key: Option<Arc<dyn StorageKey>>) -> Result<Self, WalletError> {
        let file = WalletFile::open(path)?;
        match (file.meta()?, &key) {
            (None, Some(key)) => file.set_meta("sealed", &key.seal(CANARY, b"canary")?)?,
            (None, None) => file.set_meta("plain", CANARY)?,
            (Some((protection, _)), None) if protection == "sealed" => return Err(WalletError::KeyRequired),
            (Some((protection, _)), Some(_)) if protection == "plain" => return Err(WalletError::KeyNotExpected),
            (Some((_, canary)), Some(key)) => {
                if key.open(&canary, b"canary").ok().as_deref() != Some(CANARY) {
                    return Err(WalletError::WrongKey);
                }
            }
            (Some(_), None) => {}
        }
        Ok(Self { file, key })
    }

    /// How the passes are stored.
    pub fn protection(&self) -> Protection {
        if self.key.is_some() { Protection::Sealed } else { Protection::Plain }
    }

    /// The wallet file.
    pub fn path(&self) -> &Path {
        self.file.path()
    }

    fn seal(&self, plaintext: &[u8], context: &str) -> Result<Vec<u8>, StorageKeyError> {
        match &self.key {
            Some(key) => key.seal(plaintext, context.as_bytes()),
            None => Ok(plaintext.to_vec()),
        }
    }

    fn unseal(&self, stored: &[u8], context: &str) -> Result<Vec<u8>, StorageKeyError> {
        match &self.key {
            Some(key) => key.open(stored, context.as_bytes()),
            None => Ok(stored.to_vec()),
        }
    }

    fn text_of(&self, row: &PassRow) -> Result<String, WalletError> {
        let unreadable = |detail: String| WalletError::Unreadable { id: row.id, detail };
        let bytes =
            self.unseal(&row.payload, &format!("pass:{}", row.id)).map_err(|error| unreadable(error.to_string()))?;
        String::from_utf8(bytes).map_err(|_| unreadable("the stored text is not UTF-8".into()))
    }

    /// Adds a pass from its text (`HC1:...` or a 2D-DOC) at `now`. A final pass replaces the
    /// provisional pass with the same UVCI; the same pass twice is kept once.
    pub fn add_text(&self, text: &str, source: PassSource, now: UnixTime) -> Result<Added, WalletError> {
        let text = text.trim();
        let summary = summarize(text, now, reader())?;
        // The same pass again, or the provisional pass of a final pass already held.
        for row in self.file.passes()?.into_iter().flatten() {
            if row.uvci_digest.as_deref() != Some(summary.identity.as_slice()) {
                continue;
            }
            let Ok(existing) = self.text_of(&row) else { continue };
            if existing == text {
                return Ok(Added { id: row.id, duplicate: true, replaced: Vec::new() });
            }
            if summary.provisional && !row.provisional && row.replaced_by.is_none() {
                return Err(WalletError::FinalAlreadyHeld(row.id));
            }
        }
        let provisional = summary.provisional;
        let (id, replaced) = self
            .file
            .insert_pass(
                Some(&summary.identity),
                provisional,
                source.name(),
                now.seconds(),
                |id| self.seal(text.as_bytes(), &format!("pass:{id}")).map_err(|error| error.to_string()),
                |candidate| !provisional && candidate.provisional,
            )?
            .map_err(|detail| WalletError::Key(StorageKeyError(detail)))?;
        Ok(Added { id, duplicate: false, replaced })
    }

    /// Adds the pass in a picture (a camera frame, or a decoded image).
    pub fn add_frame(&self, frame: &LumaFrame<'_>, now: UnixTime) -> Result<Added, WalletError> {
        let codes = Scanner::default().scan(frame);
        let code = choose_pass_code(&codes).ok_or(WalletError::NoCodeInPicture)?;
        self.add_text(&code.text, PassSource::Picture, now)
    }

    /// Adds the pass in a file: a PNG or JPEG picture of its code, or its text.
    pub fn add_file(&self, bytes: &[u8], now: UnixTime) -> Result<Added, WalletError> {
        if bytes.len() > MAX_FILE_BYTES {
            return Err(WalletError::FileTooLarge { size: bytes.len(), max: MAX_FILE_BYTES });
        }
        let picture = bytes.starts_with(b"\x89PNG") || bytes.starts_with(&[0xFF, 0xD8, 0xFF]);
        if picture {
            let frame = crate::scan::image_input::decode_image(bytes)
                .map_err(|error| WalletError::NotAPass { detail: format!("the picture: {error}") })?;
            let codes = Scanner::default().scan(&frame.view());
            let code = choose_pass_code(&codes).ok_or(WalletError::NoCodeInPicture)?;
            return self.add_text(&code.text, PassSource::File, now);
        }
        if bytes.len() > MAX_PASS_TEXT {
            return Err(WalletError::NotAPass {
                detail: format!("a text file of {} bytes; a pass's text is at most {MAX_PASS_TEXT}", bytes.len()),
            });
        }
        let text = std::str::from_utf8(bytes).map_err(|_| WalletError::NotAPass {
            detail: "the file is neither a PNG or JPEG picture nor UTF-8 text".into(),
        })?;
        self.add_text(text, PassSource::File, now)
    }

    /// The passes in force in the wallet (not replaced), with their state at `now`, checked
    /// against `verifier`'s trust when given. A damaged row is listed as unreadable; the others
    /// are read all the same.
    pub fn list(&self, now: UnixTime, verifier: Option<&Verifier>) -> Result<Vec<WalletPass>, WalletError> {
        Ok(self.history(now, verifier)?.into_iter().filter(|pass| pass.replaced_by.is_none()).collect())
    }

    /// Every pass, replaced ones included (history).
    pub fn history(&self, now: UnixTime, verifier: Option<&Verifier>) -> Result<Vec<WalletPass>, WalletError> {
        let mut passes = Vec::new();
        for row in self.file.passes()? {
            passes.push(match row {
                Ok(row) => self.describe(&row, now, verifier),
                Err((id, problem)) => unreadable(id, problem),
            });
        }
        Ok(passes)
    }

    /// One pass, described at `now`.
    pub fn pass(&self, id: i64, now: UnixTime, verifier: Option<&Verifier>) -> Result<WalletPass, WalletError> {
        Ok(match self.file.pass(id)?.ok_or(WalletError::UnknownPass(id))? {
            Ok(row) => self.describe(&row, now, verifier),
            Err((id, problem)) => unreadable(id, problem),
        })
    }

    fn describe(&self, row: &PassRow, now: UnixTime, verifier: Option<&Verifier>) -> WalletPass {
        let text = match self.text_of(row) {
            Ok(text) => text,
            Err(error) => return unreadable(row.id, error.to_string()),
        };
        // One verification per pass: with the caller's trust when given, else the reader's.
        let summary = match summarize(&text, now, verifier.unwrap_or_else(|| reader())) {
            Ok(summary) => summary,
            Err(error) => return unreadable(row.id, error.to_string()),
        };
        let checked = verifier.is_some().then_some(&summary.verdict);
        let verdict = &summary.verdict;
        let expires_at = verdict.expires_at;
        let expired = expires_at.is_some_and(|expiry| expiry.seconds() <= now.seconds());
        let expiring = expires_at.is_some_and(|expiry| expiry.seconds() - now.seconds() <= EXPIRING_WITHIN_SECONDS);
        let mut reasons = Vec::new();
        let state = if row.replaced_by.is_some() {
            PassState::Replaced
        } else if expired {
            PassState::Expired
        } else if let Some(checked) = checked {
            reasons = checked.reasons.iter().map(|reason| reason.code().to_owned()).collect();
            if checked.has_reason_in(ReasonCategory::Revocation)
                || checked.reasons.iter().any(|reason| reason.code() == "twoddoc_revoked")
            {
                PassState::Revoked
            } else {
                match checked.status {
                    VerdictStatus::Invalid => PassState::Invalid,
                    VerdictStatus::Provisional => PassState::Provisional,
                    VerdictStatus::Valid if expiring => PassState::ExpiringSoon,
                    VerdictStatus::Valid => PassState::Valid,
                }
            }
        } else if summary.provisional {
            PassState::Provisional
        } else if expiring {
            PassState::ExpiringSoon
        } else {
            PassState::Valid
        };
        let holder = verdict
            .holder
            .as_ref()
            .map(|holder| {
                let name = &holder.name;
                format!("{} {}", name.given_name.as_deref().unwrap_or(""), name.family_name.as_deref().unwrap_or(""))
                    .trim()
                    .to_owned()
            })
            .unwrap_or_default();
        WalletPass {
            id: row.id,
            state,
            checked: checked.is_some(),
            reasons,
            format: summary.format,
            certificate_type: verdict.certificate_type,
            holder,
            uvci: summary.uvci,
            provisional: row.provisional,
            pharmacy: verdict.provisional.as_ref().map(|signer| signer.pharmacy_name.clone()),
            issued_at: verdict.issued_at,
            expires_at,
            added_at: UnixTime::from_seconds(row.added_at),
            source: PassSource::parse(&row.source),
            replaced_by: row.replaced_by,
            replaced_at: row.replaced_at.map(UnixTime::from_seconds),
            problem: None,
        }
    }

    /// The text of pass `id` (what its QR code carries).
    pub fn pass_text(&self, id: i64) -> Result<String, WalletError> {
        let row = self
            .file
            .pass(id)?
            .ok_or(WalletError::UnknownPass(id))?
            .map_err(|(id, detail)| WalletError::Unreadable { id, detail })?;
        self.text_of(&row)
    }

    /// The QR code of pass `id`.
    pub fn qr(&self, id: i64) -> Result<QrMatrix, WalletError> {
        let text = self.pass_text(id)?;
        QrMatrix::for_text(&text).map_err(|error| WalletError::Export(error.to_string()))
    }

    /// Removes pass `id` and the passes it replaced; whether it was there.
    pub fn remove(&self, id: i64) -> Result<bool, WalletError> {
        Ok(self.file.remove_pass(id)?)
    }

    /// Pass `id` as a PNG or SVG of its QR code, or its attestation page.
    pub fn export(&self, id: i64, format: ExportFormat) -> Result<Vec<u8>, WalletError> {
        let text = self.pass_text(id)?;
        let qr = QrMatrix::for_text(&text).map_err(|error| WalletError::Export(error.to_string()))?;
        Ok(match format {
            ExportFormat::Png => qr.to_png(8),
            ExportFormat::Svg => qr.to_svg(60.0).into_bytes(),
            ExportFormat::Attestation => {
                let pass = decode_pass_text(&text, &PassLimits::default()).map_err(|_| {
                    WalletError::Export(
                        "an attestation page is drawn for HC1 passes; export the QR code instead".into(),
                    )
                })?;
                let value = hcert::dcc_value(&pass.claims).map_err(|error| WalletError::Export(error.to_string()))?;
                let dcc =
                    Dcc::read(value, Strictness::Tolerant).map_err(|error| WalletError::Export(error.to_string()))?.dcc;
                let expires_at = pass.claims.expires_at.unwrap_or(UnixTime::from_seconds(0));
                let page = if carries_credential(&pass) {
                    let pharmacy = pass
                        .message
                        .unprotected_parameter(crate::trust::delegation::CREDENTIAL_LABEL)
                        .and_then(|value| value.as_bytes().cloned())
                        .and_then(|bytes| crate::trust::delegation::unverified_pharmacy_name(&bytes))
                        .unwrap_or_default();
                    crate::render::provisional_attestation_svg(&dcc, expires_at, &qr, &pharmacy, None)
                } else {
                    crate::render::attestation_svg(&dcc, expires_at, &qr)
                };
                page.into_bytes()
            }
        })
    }
}

fn unreadable(id: i64, problem: String) -> WalletPass {
    WalletPass {
        id,
        state: PassState::Unreadable,
        checked: false,
        reasons: Vec::new(),
        format: PassFormat::Hc1,
        certificate_type: None,
        holder: String::new(),
        uvci: None,
        provisional: false,
        pharmacy: None,
        issued_at: None,
        expires_at: None,
        added_at: UnixTime::from_seconds(0),
        source: PassSource::Text,
        replaced_by: None,
        replaced_at: None,
        problem: Some(problem),
    }
}
