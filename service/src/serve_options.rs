//! The options of `healthpass issuer serve` and of the `healthpass-issuer` program: one
//! reading of them, so both start the same service from the same flags.

use std::net::SocketAddr;
use std::path::PathBuf;

use crate::{Database, ServiceConfig};

/// What starts a service: where its state, keys and operator token are, and where it listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServeOptions {
    /// A SQLite file path, or a PostgreSQL URL (`postgres://...`).
    pub database: String,
    /// The document signer's private key (PKCS#8, PEM or DER).
    pub signer_key: PathBuf,
    /// The document signer certificate (PEM or DER).
    pub signer_certificate: PathBuf,
    /// Where to listen.
    pub listen: SocketAddr,
    /// A file holding the operator token (at least 16 characters), read once at start.
    pub operator_token_file: PathBuf,
    /// Serve without admission control (the naive configuration, for comparisons only).
    pub without_admission_control: bool,
    /// The authority's fallback key (PKCS#8 P-256): delegation credentials and reconciliation.
    pub fallback_key: Option<PathBuf>,
}

/// Why the options cannot start a service; says which flag and what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct OptionsError(pub String);

/// The usage line of the `healthpass-issuer` program.
pub const USAGE: &str = "usage: healthpass-issuer --db <sqlite path | postgres URL> --dsc-key KEY --dsc-cert CERT \
                         --listen 127.0.0.1:PORT --operator-token-file FILE [--fallback-key KEY] [--no-admission-control]";

impl ServeOptions {
    /// Reads `--db`, `--dsc-key`, `--dsc-cert`, `--listen`, `--operator-token-file` and
    /// `--no-admission-control`; refuses anything else.
    pub fn from_args(args: &[String]) -> Result<Self, OptionsError> {
        let (mut database, mut key, mut certificate, mut listen, mut token) = (None, None, None, None, None);
        let mut fallback_key = None;
        let mut without_admission_control = false;
        let mut rest = args.iter();
        while let Some(flag) = rest.next() {
            let mut value =
                || rest.next().cloned().ok_or_else(|| OptionsError(format!("{flag} needs a value; {USAGE}")));
            match flag.as_str() {
                "--db" => database = Some(value()?),
                "--dsc-key" => key = Some(value()?),
                "--dsc-cert" => certificate = Some(value()?),
                "--listen" => listen = Some(value()?),
                "--operator-token-file" => token = Some(value()?),
                "--fallback-key" => fallback_key = Some(PathBuf::from(value()?)),
                "--no-admission-control" => without_admission_control = true,
                other => {
                    return Err(OptionsError(format!(
                        "unknown argument {:?}; {USAGE}",
                        other.chars().take(40).collect::<String>()
                    )));
                }
            }
        }
        let required = |value: Option<String>, flag: &str| {
            value.ok_or_else(|| OptionsError(format!("{flag} is required; {USAGE}")))
        };
        let listen = required(listen, "--listen")?;
        Ok(Self {
            database: required(database, "--db")?,
            signer_key: required(key, "--dsc-key")?.into(),
            signer_certificate: required(certificate, "--dsc-cert")?.into(),
            listen: parse_listen(&listen)?,
            operator_token_file: required(token, "--operator-token-file")?.into(),
            without_admission_control,
            fallback_key,
        })
    }

    /// The service's configuration: reads the key, certificate and token files.
    pub fn config(&self) -> Result<ServiceConfig, OptionsError> {
        let read = |path: &PathBuf, what: &str| {
            std::fs::read(path).map_err(|error| OptionsError(format!("{what} {}: {error}", path.display())))
        };
        let token = String::from_utf8(read(&self.operator_token_file, "the operator token file")?)
            .map_err(|_| OptionsError("the operator token file must hold UTF-8 text".into()))?;
        let mut config = ServiceConfig::new(
            self.listen,
            Database::parse(&self.database),
            read(&self.signer_key, "the document signer key")?,
            read(&self.signer_certificate, "the document signer certificate")?,
            token.trim().to_owned(),
        );
        if self.without_admission_control {
            config.admission = None;
        }
        if let Some(path) = &self.fallback_key {
            config.fallback_key = Some(read(path, "the fallback key")?);
        }
        Ok(config)
    }
}

/// `127.0.0.1:8443` or `[::1]:8443`.
pub fn parse_listen(text: &str) -> Result<SocketAddr, OptionsError> {
    text.parse().map_err(|_| OptionsError("--listen must be an address and port like 127.0.0.1:8443".into()))
}
