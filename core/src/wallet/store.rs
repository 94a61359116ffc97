//! The wallet's file: one SQLite database (bundled SQLite, WAL, `synchronous=FULL`), the same
//! conventions as the outbox: an `application_id` so another program's database is refused
//! untouched, a schema version, and one transaction per change.
//!
//! What is in clear: row ids, times, whether a pass is provisional, which row replaced which,
//! a SHA-256 of each UVCI (to find the provisional pass a final pass replaces) and transfer
//! codes with their polling schedule. What is sealed with the platform's key (when the wallet
//! has one): every pass text and every transfer private key.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::{Connection, OptionalExtension, params};

/// `PRAGMA application_id` of a wallet file ("HPWL").
const APPLICATION_ID: i64 = 0x4850_574C;
const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS wallet_meta (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    protection TEXT NOT NULL CHECK (protection IN ('sealed', 'plain')),
    canary BLOB NOT NULL                -- sealed known bytes: a wrong key is caught at open
);
CREATE TABLE IF NOT EXISTS passes (
    id INTEGER PRIMARY KEY,
    uvci_digest BLOB,                   -- SHA-256 of the UVCI (HC1 passes)
    provisional INTEGER NOT NULL,
    source TEXT NOT NULL,
    added_at INTEGER NOT NULL,
    replaced_by INTEGER REFERENCES passes (id),
    replaced_at INTEGER,
    payload BLOB NOT NULL               -- the pass text, sealed under context pass:<id>
);
CREATE INDEX IF NOT EXISTS passes_uvci ON passes (uvci_digest);
CREATE TABLE IF NOT EXISTS transfers (
    code TEXT PRIMARY KEY,
    endpoint TEXT NOT NULL,
    secret_key BLOB NOT NULL,           -- sealed under context transfer:<code>
    created_at INTEGER NOT NULL,
    expires_at INTEGER,                 -- the service's, once registered
    state TEXT NOT NULL CHECK (state IN ('unregistered', 'waiting', 'collected', 'expired')),
    polls INTEGER NOT NULL DEFAULT 0,
    next_poll_at INTEGER NOT NULL,
    received INTEGER NOT NULL DEFAULT 0,
    last_error TEXT
);
";

/// Why the wallet file cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WalletStoreError {
    /// Not a wallet: another program's database or a damaged file; left untouched.
    #[error("{path}: not a healthpass wallet ({detail}); it was left untouched")]
    NotAWallet {
        /// The file.
        path: String,
        /// What was found.
        detail: String,
    },
    /// The database failed (permissions, a full disk, an I/O error).
    #[error("the wallet database failed: {0}")]
    Database(String),
}

fn database_error(error: rusqlite::Error) -> WalletStoreError {
    WalletStoreError::Database(error.to_string())
}

/// A pass row as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PassRow {
    pub id: i64,
    pub uvci_digest: Option<Vec<u8>>,
    pub provisional: bool,
    pub source: String,
    pub added_at: i64,
    pub replaced_by: Option<i64>,
    pub replaced_at: Option<i64>,
    pub payload: Vec<u8>,
}

/// A transfer row as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferRow {
    pub code: String,
    pub endpoint: String,
    pub secret_key: Vec<u8>,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub state: String,
    pub polls: i64,
    pub next_poll_at: i64,
    pub received: i64,
    pub last_error: Option<String>,
}

/// A row as read: the pass, or its id and what is damaged.
pub type RowRead = Result<PassRow, (i64, String)>;

pub struct WalletFile {
    connection: Mutex<Connection>,
    path: PathBuf,
}

impl WalletFile {
    pub fn open(path: &Path) -> Result<Self, WalletStoreError> {
        let shown = path.display().to_string();
        let not_a_wallet = |detail: String| WalletStoreError::NotAWallet { path: shown.clone(), detail };
        let connection = Connection::open(path).map_err(|error| not_a_wallet(error.to_string()))?;
        let _ = connection.busy_timeout(std::time::Duration::from_secs(5));
        let application: i64 = connection
            .query_row("PRAGMA application_id", [], |row| row.get(0))
            .map_err(|error| not_a_wallet(format!("unreadable: {error}")))?;
        let tables: i64 = connection
            .query_row("SELECT count(*) FROM sqlite_master", [], |row| row.get(0))
            .map_err(|error| not_a_wallet(format!("unreadable: {error}")))?;
        let version: i64 = connection.query_row("PRAGMA user_version", [], |row| row.get(0)).map_err(database_error)?;
        match (application, tables, version) {
            (0, 0, 0) => {
                connection
                    .execute_batch(&format!(
                        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA application_id = {APPLICATION_ID};
                         BEGIN; {SCHEMA} PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;"
                    ))
                    .map_err(database_error)?;
            }
            (APPLICATION_ID, _, SCHEMA_VERSION) => {
                connection
                    .execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")
                    .map_err(database_error)?;
            }
            (APPLICATION_ID, _, other) => {
                return Err(not_a_wallet(format!("schema {other}, this version reads {SCHEMA_VERSION}")));
            }
            _ => return Err(not_a_wallet(format!("application id {application:#x}, {tables} objects"))),
        }
        Ok(Self { connection: Mutex::new(connection), path: path.to_owned() })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn with<T>(&self, work: impl FnOnce(&mut Connection) -> Result<T, rusqlite::Error>) -> Result<T, WalletStoreError> {
        let mut connection =
            self.connection.lock().map_err(|_| WalletStoreError::Database("a wallet call panicked".into()))?;
        work(&mut connection).map_err(database_error)
    }

    /// The protection and canary, once set.
    pub fn meta(&self) -> Result<Option<(String, Vec<u8>)>, WalletStoreError> {
        self.with(|db| {
            db.query_row("SELECT protection, canary FROM wallet_meta WHERE id = 1", [], |row| {
                Ok((row.get(0)?, row.get(1)?))
            })
            .optional()
        })
    }

    pub fn set_meta(&self, protection: &str, canary: &[u8]) -> Result<(), WalletStoreError> {
        self.with(|db| {
            db.execute(
                "INSERT INTO wallet_meta (id, protection, canary) VALUES (1, ?1, ?2) ON CONFLICT (id) DO NOTHING",
                params![protection, canary],
            )
            .map(|_| ())
        })
    }

    /// Inserts a pass whose payload is sealed for its row id by `seal`, and marks the current
    /// passes with the same UVCI digest that `replaces` selects as replaced by it, in one
    /// transaction. Returns the new id and the ids replaced.
    pub fn insert_pass(
        &self,
        uvci_digest: Option<&[u8]>,
        provisional: bool,
        source: &str,
        now: i64,
        seal: impl FnOnce(i64) -> Result<Vec<u8>, String>,
        replaces: impl Fn(&PassRow) -> bool,
    ) -> Result<Result<(i64, Vec<i64>), String>, WalletStoreError> {
        self.with(|db| {
            let transaction = db.transaction()?;
            transaction.execute(
                "INSERT INTO passes (uvci_digest, provisional, source, added_at, payload) VALUES (?1, ?2, ?3, ?4, x'')",
                params![uvci_digest, provisional, source, now],
            )?;
            let id = transaction.last_insert_rowid();
            let payload = match seal(id) {
                Ok(payload) => payload,
                Err(error) => return Ok(Err(error)),
            };
            transaction.execute("UPDATE passes SET payload = ?2 WHERE id = ?1", params![id, payload])?;
            let mut replaced = Vec::new();
            if let Some(digest) = uvci_digest {
                let candidates = {
                    let mut statement = transaction.prepare(&format!(
                        "SELECT {PASS_COLUMNS} FROM passes WHERE uvci_digest = ?1 AND replaced_by IS NULL AND id != ?2"
                    ))?;
                    statement.query_map(params![digest, id], pass_row)?.collect::<Result<Vec<_>, _>>()?
                };
                for candidate in candidates.iter().filter(|row| replaces(row)) {
                    transaction.execute(
                        "UPDATE passes SET replaced_by = ?2, replaced_at = ?3 WHERE id = ?1",
                        params![candidate.id, id, now],
                    )?;
                    replaced.push(candidate.id);
                }
            }
            transaction.commit()?;
            Ok(Ok((id, replaced)))
        })
    }

    /// Every pass row; a row whose columns are damaged is its id and what is wrong, and the
    /// others are read all the same.
    pub fn passes(&self) -> Result<Vec<RowRead>, WalletStoreError> {
        self.with(|db| {
            let mut statement = db.prepare(&format!("SELECT {PASS_COLUMNS} FROM passes ORDER BY id"))?;
            let rows = statement.query_map([], |row| {
                let id: i64 = row.get(0)?;
                Ok(pass_row(row).map_err(|error| (id, format!("damaged row: {error}"))))
            })?;
            rows.collect()
        })
    }

    /// The pass row `id`, damaged or not (as [`WalletFile::passes`] reads rows).
    pub fn pass(&self, id: i64) -> Result<Option<RowRead>, WalletStoreError> {
        self.with(|db| {
            db.query_row(&format!("SELECT {PASS_COLUMNS} FROM passes WHERE id = ?1"), params![id], |row| {
                Ok(pass_row(row).map_err(|error| (id, format!("damaged row: {error}"))))
            })
            .optional()
        })
    }

    /// Deletes a pass and the history rows it replaced; whether it existed.
    pub fn remove_pass(&self, id: i64) -> Result<bool, WalletStoreError> {
        self.with(|db| {
            let transaction = db.transaction()?;
            // The passes it replaced go with it: their history has no one left to explain.
            transaction.execute(
                "WITH RECURSIVE history(id) AS (SELECT ?1 UNION SELECT passes.id FROM passes JOIN history ON passes.replaced_by = history.id)
                 DELETE FROM passes WHERE id IN (SELECT id FROM history WHERE id != ?1)",
                params![id],
            )?;
            let deleted = transaction.execute("DELETE FROM passes WHERE id = ?1", params![id])?;
            transaction.commit()?;
            Ok(deleted > 0)
        })
    }

    pub fn insert_transfer(&self, row: &TransferRow) -> Result<bool, WalletStoreError> {
        self.with(|db| {
            db.execute(
                "INSERT INTO transfers (code, endpoint, secret_key, created_at, expires_at, state, polls, next_poll_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, ?7) ON CONFLICT (code) DO NOTHING",
                params![
                    row.code,
                    row.endpoint,
                    row.secret_key,
                    row.created_at,
                    row.expires_at,
                    row.state,
                    row.next_poll_at
                ],
            )
            .map(|inserted| inserted > 0)
        })
    }

    pub fn transfers(&self) -> Result<Vec<TransferRow>, WalletStoreError> {
        self.with(|db| {
            let mut statement =
                db.prepare(&format!("SELECT {TRANSFER_COLUMNS} FROM transfers ORDER BY created_at, code"))?;
            statement.query_map([], transfer_row)?.collect()
        })
    }

    pub fn transfer(&self, code: &str) -> Result<Option<TransferRow>, WalletStoreError> {
        self.with(|db| {
            db.query_row(
                &format!("SELECT {TRANSFER_COLUMNS} FROM transfers WHERE code = ?1"),
                params![code],
                transfer_row,
            )
            .optional()
        })
    }

    /// Records a poll's outcome.
    pub fn update_transfer(
        &self,
        code: &str,
        state: &str,
        expires_at: Option<i64>,
        next_poll_at: i64,
        received: i64,
        last_error: Option<&str>,
    ) -> Result<(), WalletStoreError> {
        self.with(|db| {
            db.execute(
                "UPDATE transfers SET state = ?2, expires_at = COALESCE(?3, expires_at), next_poll_at = ?4,
                 polls = polls + 1, received = received + ?5, last_error = ?6 WHERE code = ?1",
                params![code, state, expires_at, next_poll_at, received, last_error],
            )
            .map(|_| ())
        })
    }

    pub fn remove_transfer(&self, code: &str) -> Result<bool, WalletStoreError> {
        self.with(|db| db.execute("DELETE FROM transfers WHERE code = ?1", params![code]).map(|deleted| deleted > 0))
    }
}

const PASS_COLUMNS: &str = "id, uvci_digest, provisional, source, added_at, replaced_by, replaced_at, payload";

fn pass_row(row: &rusqlite::Row<'_>) -> Result<PassRow, rusqlite::Error> {
    Ok(PassRow {
        id: row.get(0)?,
        uvci_digest: row.get(1)?,
        provisional: row.get(2)?,
        source: row.get(3)?,
        added_at: row.get(4)?,
        replaced_by: row.get(5)?,
        replaced_at: row.get(6)?,
        payload: row.get(7)?,
    })
}

const TRANSFER_COLUMNS: &str =
    "code, endpoint, secret_key, created_at, expires_at, state, polls, next_poll_at, received, last_error";

fn transfer_row(row: &rusqlite::Row<'_>) -> Result<TransferRow, rusqlite::Error> {
    Ok(TransferRow {
        code: row.get(0)?,
        endpoint: row.get(1)?,
        secret_key: row.get(2)?,
        created_at: row.get(3)?,
        expires_at: row.get(4)?,
        state: row.get(5)?,
        polls: row.get(6)?,
        next_poll_at: row.get(7)?,
        received: row.get(8)?,
        last_error: row.get(9)?,
    })
}
