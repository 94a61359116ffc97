//! The outbox's durable state: one SQLite file (bundled SQLite, WAL, `synchronous=FULL`, so a
//! commit is on the flash before the call returns).
//!
//! A request is written with its idempotency key in one transaction before any byte is sent
//! (brief §5): once `enqueue` returns, the app may be killed, the phone rebooted, and the
//! request is still there, under the same key, so the service answers its retries with the
//! pass it signed the first time. The file holds the pharmacist's entries (names, birth dates)
//! and the passes: it belongs in the app's private storage; nothing from it reaches an error.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::{Connection, OptionalExtension, params};

use super::retry::{BudgetState, RetryProfile};
use crate::time::UnixMillis;

/// `PRAGMA application_id` of an outbox file ("HPOB"): a file without it is not ours.
const APPLICATION_ID: i64 = 0x4850_4F42;
const SCHEMA_VERSION: i64 = 2;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS outbox_entries (
    ticket TEXT PRIMARY KEY,            -- the idempotency key: every attempt sends it
    kind TEXT NOT NULL DEFAULT 'issuance' CHECK (kind IN ('issuance', 'reconciliation')),
    endpoint TEXT NOT NULL,             -- the issuer's base URL
    body BLOB NOT NULL,                 -- the request, byte for byte what every attempt sends
    state TEXT NOT NULL CHECK (state IN ('pending', 'in_flight', 'issued', 'rejected', 'withdrawn')),
    profile TEXT NOT NULL CHECK (profile IN ('interactive', 'backlog')),
    enqueued_at_ms INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at_ms INTEGER NOT NULL,
    last_error TEXT,                    -- why the last attempt failed (no personal data)
    response BLOB,                      -- the service's answer with the pass, once issued
    uvci TEXT,
    rejection_status INTEGER,
    rejection_code TEXT,
    rejection_message TEXT,
    finished_at_ms INTEGER
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox_entries (state, next_attempt_at_ms);
CREATE TABLE IF NOT EXISTS fallback_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    credential BLOB,                    -- the delegation credential in force (signed paper fallback)
    next_sequence INTEGER NOT NULL      -- the next provisional pass's number; never goes back
);
CREATE TABLE IF NOT EXISTS outbox_budget (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    tokens REAL NOT NULL,
    at_ms INTEGER NOT NULL
);
";

/// Schema 1 (before reconciliations) to 2: a `kind` column and the `withdrawn` state. SQLite
/// cannot change a CHECK constraint in place, so the table is rebuilt in one transaction.
const MIGRATE_1_TO_2: &str = "
BEGIN IMMEDIATE;
ALTER TABLE outbox_entries RENAME TO outbox_entries_v1;
DROP INDEX IF EXISTS outbox_due;
";
const MIGRATE_1_TO_2_COPY: &str = "
INSERT INTO outbox_entries (ticket, endpoint, body, state, profile, enqueued_at_ms, attempts, next_attempt_at_ms,
    last_error, response, uvci, rejection_status, rejection_code, rejection_message, finished_at_ms)
SELECT ticket, endpoint, body, state, profile, enqueued_at_ms, attempts, next_attempt_at_ms,
    last_error, response, uvci, rejection_status, rejection_code, rejection_message, finished_at_ms
FROM outbox_entries_v1;
DROP TABLE outbox_entries_v1;
PRAGMA user_version = 2;
COMMIT;
";

/// Why the outbox file cannot be used. Says which file and what was expected; the app keeps
/// working without it (verification never touches the outbox).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutboxStoreError {
    /// Not an SQLite file, a damaged one, or another program's database; left as it was.
    #[error("{path}: not a healthpass outbox ({detail}); it was left untouched")]
    NotAnOutbox {
        /// The file.
        path: String,
        /// What was found.
        detail: String,
    },
    /// The file could not be opened or written (permissions, a full disk, an I/O error).
    #[error("the outbox database failed: {0}")]
    Database(String),
}

fn database_error(error: rusqlite::Error) -> OutboxStoreError {
    OutboxStoreError::Database(error.to_string())
}

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntryState {
    /// Waiting for its next attempt.
    Pending,
    /// An attempt is under way (back to pending if the app stops before its answer).
    InFlight,
    /// The pass arrived and is stored.
    Issued,
    /// The service refused the request itself; the reason is kept.
    Rejected,
    /// Taken back before it was answered: the pharmacist handed over a provisional pass
    /// instead (its reconciliation carries the entry on).
    Withdrawn,
}

/// What a request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntryKind {
    /// A pass for a pharmacist's entry (`POST /v1/issuances`).
    Issuance,
    /// The final pass of a provisional pass (`POST /v1/reconciliations`).
    Reconciliation,
}

impl EntryKind {
    /// `issuance` or `reconciliation`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Issuance => "issuance",
            Self::Reconciliation => "reconciliation",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "issuance" => Some(Self::Issuance),
            "reconciliation" => Some(Self::Reconciliation),
            _ => None,
        }
    }
}

impl EntryState {
    /// `pending`, `in_flight`, `issued` or `rejected`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::InFlight => "in_flight",
            Self::Issued => "issued",
            Self::Rejected => "rejected",
            Self::Withdrawn => "withdrawn",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "pending" => Some(Self::Pending),
            "in_flight" => Some(Self::InFlight),
            "issued" => Some(Self::Issued),
            "rejected" => Some(Self::Rejected),
            "withdrawn" => Some(Self::Withdrawn),
            _ => None,
        }
    }
}

/// The service's refusal of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// The HTTP status.
    pub status: u16,
    /// The service's machine code (`device_revoked`, `invalid_entry`, ...).
    pub code: String,
    /// The service's message.
    pub message: String,
}

/// One request as the outbox keeps it (without its body: the pharmacist's entry stays inside).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    /// The ticket: the request's idempotency key.
    pub ticket: String,
    /// What it asks for.
    pub kind: EntryKind,
    /// The issuer's base URL.
    pub endpoint: String,
    /// Where it stands.
    pub state: EntryState,
    /// Its retry profile now.
    pub profile: RetryProfile,
    /// When it was enqueued.
    pub enqueued_at: UnixMillis,
    /// Attempts made so far.
    pub attempts: u32,
    /// When the next attempt may run (pending entries).
    pub next_attempt_at: UnixMillis,
    /// Why the last attempt failed, if it did.
    pub last_error: Option<String>,
    /// The pass's UVCI, once issued.
    pub uvci: Option<String>,
    /// The refusal, if rejected.
    pub rejection: Option<Rejection>,
    /// When it was issued or rejected.
    pub finished_at: Option<UnixMillis>,
}

/// The SQLite file behind an outbox.
pub(super) struct OutboxFile {
    connection: Mutex<Connection>,
    path: PathBuf,
}

/// What a finished attempt changes.
pub(super) enum Settlement<'a> {
    Issued { response: &'a [u8], uvci: &'a str },
    Rejected(&'a Rejection),
    Retry { next_attempt_at: UnixMillis, profile: RetryProfile, error: &'a str },
}

impl OutboxFile {
    /// Opens or creates the outbox at `path`; an attempt in flight when the app stopped goes
    /// back to pending (its answer never arrived, the key makes its retry safe).
    pub fn open(path: &Path) -> Result<Self, OutboxStoreError> {
        let not_an_outbox = |detail: String| OutboxStoreError::NotAnOutbox { path: path.display().to_string(), detail };
        let connection = Connection::open(path).map_err(database_error)?;
        connection.busy_timeout(std::time::Duration::from_secs(5)).map_err(database_error)?;
        // Identify the file before changing anything in it (the journal mode is written into
        // the header): a foreign or damaged file stays byte for byte as it was.
        let (application_id, version, tables) =
            identify(&connection).map_err(|error| not_an_outbox(error.to_string()))?;
        let migrate = version == 1 && application_id == APPLICATION_ID;
        match (application_id, version, tables) {
            (APPLICATION_ID, SCHEMA_VERSION | 1, _) | (0, 0, 0) => {}
            (APPLICATION_ID, other, _) => {
                return Err(not_an_outbox(format!("schema version {other}, expected {SCHEMA_VERSION}")));
            }
            (_, _, tables) => {
                return Err(not_an_outbox(format!("another application's database with {tables} tables")));
            }
        }
        connection
            .execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;")
            .map_err(|error| not_an_outbox(error.to_string()))?;
        if migrate {
            connection.execute_batch(MIGRATE_1_TO_2).map_err(database_error)?;
            connection.execute_batch(SCHEMA).and_then(|()| connection.execute_batch(MIGRATE_1_TO_2_COPY)).map_err(
                |error| {
                    let _ = connection.execute_batch("ROLLBACK;");
                    database_error(error)
                },
            )?;
        }
        connection.execute_batch(SCHEMA).map_err(database_error)?;
        connection
            .execute_batch(&format!(
                "PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = {SCHEMA_VERSION};"
            ))
            .map_err(database_error)?;
        connection
            .execute("UPDATE outbox_entries SET state = 'pending' WHERE state = 'in_flight'", [])
            .map_err(database_error)?;
        Ok(Self { connection: Mutex::new(connection), path: path.to_owned() })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn with<T>(&self, work: impl FnOnce(&mut Connection) -> Result<T, rusqlite::Error>) -> Result<T, OutboxStoreError> {
        // A panic elsewhere while holding the lock leaves SQLite consistent (every change is a
        // transaction): carry on with the connection.
        let mut connection = self.connection.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        work(&mut connection).map_err(database_error)
    }

    /// Adds a request; a ticket already present is left as it is (a reconciliation's ticket is
    /// derived from its UVCI, so queueing it twice is one request). Whether it was new.
    pub fn insert(
        &self,
        ticket: &str,
        kind: EntryKind,
        endpoint: &str,
        body: &[u8],
        profile: RetryProfile,
        now: UnixMillis,
    ) -> Result<bool, OutboxStoreError> {
        self.with(|connection| {
            let added = connection.execute(
                "INSERT OR IGNORE INTO outbox_entries (ticket, kind, endpoint, body, state, profile, enqueued_at_ms, \
                 next_attempt_at_ms) VALUES (?1, ?2, ?3, ?4, 'pending', ?5, ?6, ?6)",
                params![ticket, kind.name(), endpoint, body, profile.name(), now.millis()],
            )?;
            Ok(added == 1)
        })
    }

    /// In one transaction: withdraws the pending request `original` and queues `ticket` (a
    /// reconciliation). Nothing changes if `original` is no longer pending (its pass counts).
    pub fn replace(
        &self,
        original: &str,
        ticket: &str,
        endpoint: &str,
        body: &[u8],
        now: UnixMillis,
    ) -> Result<bool, OutboxStoreError> {
        self.with(|connection| {
            let transaction = connection.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let withdrawn = transaction.execute(
                "UPDATE outbox_entries SET state = 'withdrawn', finished_at_ms = ?2 WHERE ticket = ?1 AND state = 'pending'",
                params![original, now.millis()],
            )?;
            if withdrawn == 0 {
                return Ok(false);
            }
            transaction.execute(
                "INSERT OR IGNORE INTO outbox_entries (ticket, kind, endpoint, body, state, profile, enqueued_at_ms, \
                 next_attempt_at_ms) VALUES (?1, 'reconciliation', ?2, ?3, 'pending', 'backlog', ?4, ?4)",
                params![ticket, endpoint, body, now.millis()],
            )?;
            transaction.commit()?;
            Ok(true)
        })
    }

    /// Withdraws a pending request (not one in flight or answered); whether it was withdrawn.
    pub fn withdraw(&self, ticket: &str, now: UnixMillis) -> Result<bool, OutboxStoreError> {
        self.with(|connection| {
            let changed = connection.execute(
                "UPDATE outbox_entries SET state = 'withdrawn', finished_at_ms = ?2 WHERE ticket = ?1 AND state = 'pending'",
                params![ticket, now.millis()],
            )?;
            Ok(changed == 1)
        })
    }

    /// Pending tickets whose next attempt is due at `now`, oldest first, at most `limit`.
    pub fn due(&self, now: UnixMillis, limit: usize) -> Result<Vec<String>, OutboxStoreError> {
        self.with(|connection| {
            let mut statement = connection.prepare_cached(
                "SELECT ticket FROM outbox_entries WHERE state = 'pending' AND next_attempt_at_ms <= ?1 \
                 ORDER BY next_attempt_at_ms, enqueued_at_ms LIMIT ?2",
            )?;
            let rows = statement
                .query_map(params![now.millis(), i64::try_from(limit).unwrap_or(i64::MAX)], |row| row.get(0))?;
            rows.collect()
        })
    }

    /// The earliest next attempt of a pending entry.
    pub fn next_due(&self) -> Result<Option<UnixMillis>, OutboxStoreError> {
        self.with(|connection| {
            let next: Option<i64> = connection.query_row(
                "SELECT min(next_attempt_at_ms) FROM outbox_entries WHERE state = 'pending'",
                [],
                |row| row.get(0),
            )?;
            Ok(next.map(UnixMillis::from_millis))
        })
    }

    /// Marks a pending entry in flight, counting the attempt; its endpoint and body, or `None`
    /// if it is not pending (another drain took it, or it is settled).
    pub fn start_attempt(&self, ticket: &str) -> Result<Option<(String, Vec<u8>, OutboxEntry)>, OutboxStoreError> {
        self.with(|connection| {
            let transaction = connection.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let changed = transaction.execute(
                "UPDATE outbox_entries SET state = 'in_flight', attempts = attempts + 1 WHERE ticket = ?1 AND state = 'pending'",
                params![ticket],
            )?;
            if changed == 0 {
                return Ok(None);
            }
            let (endpoint, body): (String, Vec<u8>) = transaction.query_row(
                "SELECT endpoint, body FROM outbox_entries WHERE ticket = ?1",
                params![ticket],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )?;
            let entry = read_entry(&transaction, ticket)?;
            transaction.commit()?;
            Ok(entry.map(|entry| (endpoint, body, entry)))
        })
    }

    /// Moves every pending backlog retry due before `until` to `until` (the device's retry
    /// budget is spent until then): one statement, however long the backlog.
    pub fn defer_retries(&self, until: UnixMillis) -> Result<(), OutboxStoreError> {
        self.with(|connection| {
            connection.execute(
                "UPDATE outbox_entries SET next_attempt_at_ms = ?1 \
                 WHERE state = 'pending' AND attempts > 0 AND profile = 'backlog' AND next_attempt_at_ms < ?1",
                params![until.millis()],
            )?;
            Ok(())
        })
    }

    /// Moves a pending entry's next attempt to `until` (the retry budget is spent).
    pub fn reschedule(&self, ticket: &str, until: UnixMillis) -> Result<(), OutboxStoreError> {
        self.with(|connection| {
            connection.execute(
                "UPDATE outbox_entries SET next_attempt_at_ms = max(next_attempt_at_ms, ?2) WHERE ticket = ?1 AND state = 'pending'",
                params![ticket, until.millis()],
            )?;
            Ok(())
        })
    }

    /// Makes every pending entry due at `now`; how many.
    pub fn make_due(&self, now: UnixMillis) -> Result<usize, OutboxStoreError> {
        self.with(|connection| {
            connection.execute(
                "UPDATE outbox_entries SET next_attempt_at_ms = ?1 WHERE state = 'pending' AND next_attempt_at_ms > ?1",
                params![now.millis()],
            )
        })
    }

    /// Records what an attempt ended in.
    pub fn settle(&self, ticket: &str, settlement: &Settlement<'_>, now: UnixMillis) -> Result<(), OutboxStoreError> {
        self.with(|connection| {
            match settlement {
                Settlement::Issued { response, uvci } => connection.execute(
                    "UPDATE outbox_entries SET state = 'issued', response = ?2, uvci = ?3, finished_at_ms = ?4, last_error = NULL \
                     WHERE ticket = ?1 AND state IN ('pending', 'in_flight')",
                    params![ticket, response, uvci, now.millis()],
                )?,
                Settlement::Rejected(rejection) => connection.execute(
                    "UPDATE outbox_entries SET state = 'rejected', rejection_status = ?2, rejection_code = ?3, \
                     rejection_message = ?4, finished_at_ms = ?5 WHERE ticket = ?1 AND state IN ('pending', 'in_flight')",
                    params![ticket, rejection.status, rejection.code, rejection.message, now.millis()],
                )?,
                Settlement::Retry { next_attempt_at, profile, error } => connection.execute(
                    "UPDATE outbox_entries SET state = 'pending', next_attempt_at_ms = ?2, profile = ?3, last_error = ?4 \
                     WHERE ticket = ?1 AND state = 'in_flight'",
                    params![ticket, next_attempt_at.millis(), profile.name(), error],
                )?,
            };
            Ok(())
        })
    }

    pub fn entry(&self, ticket: &str) -> Result<Option<OutboxEntry>, OutboxStoreError> {
        self.with(|connection| read_entry(connection, ticket))
    }

    pub fn entries(&self) -> Result<Vec<OutboxEntry>, OutboxStoreError> {
        self.with(|connection| {
            let mut statement = connection.prepare_cached(&format!(
                "SELECT {ENTRY_COLUMNS} FROM outbox_entries ORDER BY enqueued_at_ms, ticket"
            ))?;
            let rows = statement.query_map([], entry_from_row)?;
            rows.collect()
        })
    }

    /// The service's answer with the pass, once issued.
    pub fn response(&self, ticket: &str) -> Result<Option<Vec<u8>>, OutboxStoreError> {
        self.with(|connection| {
            connection
                .query_row(
                    "SELECT response FROM outbox_entries WHERE ticket = ?1 AND state = 'issued'",
                    params![ticket],
                    |row| row.get(0),
                )
                .optional()
        })
    }

    /// The delegation credential kept for provisional passes.
    pub fn credential(&self) -> Result<Option<Vec<u8>>, OutboxStoreError> {
        self.with(|connection| {
            Ok(connection
                .query_row("SELECT credential FROM fallback_state WHERE id = 1", [], |row| {
                    row.get::<_, Option<Vec<u8>>>(0)
                })
                .optional()?
                .flatten())
        })
    }

    /// Keeps `credential` (replacing the one before); the sequence carries on.
    pub fn set_credential(&self, credential: &[u8]) -> Result<(), OutboxStoreError> {
        self.with(|connection| {
            connection.execute(
                "INSERT INTO fallback_state (id, credential, next_sequence) VALUES (1, ?1, 1) \
                 ON CONFLICT (id) DO UPDATE SET credential = excluded.credential",
                params![credential],
            )?;
            Ok(())
        })
    }

    /// Takes the next sequence number, durably, before anything is signed with it: a crash
    /// after this burns the number, and it is never used again.
    pub fn reserve_sequence(&self) -> Result<u64, OutboxStoreError> {
        self.with(|connection| {
            let transaction = connection.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            transaction.execute(
                "INSERT OR IGNORE INTO fallback_state (id, credential, next_sequence) VALUES (1, NULL, 1)",
                [],
            )?;
            let next: i64 =
                transaction.query_row("SELECT next_sequence FROM fallback_state WHERE id = 1", [], |row| row.get(0))?;
            transaction.execute("UPDATE fallback_state SET next_sequence = next_sequence + 1 WHERE id = 1", [])?;
            transaction.commit()?;
            Ok(u64::try_from(next).unwrap_or(0))
        })
    }

    pub fn budget(&self) -> Result<Option<BudgetState>, OutboxStoreError> {
        self.with(|connection| {
            connection
                .query_row("SELECT tokens, at_ms FROM outbox_budget WHERE id = 1", [], |row| {
                    Ok(BudgetState { tokens: row.get(0)?, at: UnixMillis::from_millis(row.get(1)?) })
                })
                .optional()
        })
    }

    pub fn set_budget(&self, state: BudgetState) -> Result<(), OutboxStoreError> {
        self.with(|connection| {
            connection.execute(
                "INSERT INTO outbox_budget (id, tokens, at_ms) VALUES (1, ?1, ?2) \
                 ON CONFLICT (id) DO UPDATE SET tokens = excluded.tokens, at_ms = excluded.at_ms",
                params![state.tokens, state.at.millis()],
            )?;
            Ok(())
        })
    }
}

fn identify(connection: &Connection) -> Result<(i64, i64, i64), rusqlite::Error> {
    let application_id = connection.query_row("PRAGMA application_id", [], |row| row.get(0))?;
    let version = connection.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    let tables = connection.query_row("SELECT count(*) FROM sqlite_master", [], |row| row.get(0))?;
    Ok((application_id, version, tables))
}

const ENTRY_COLUMNS: &str = "ticket, kind, endpoint, state, profile, enqueued_at_ms, attempts, next_attempt_at_ms, last_error, uvci, \
                             rejection_status, rejection_code, rejection_message, finished_at_ms";

fn read_entry(connection: &Connection, ticket: &str) -> Result<Option<OutboxEntry>, rusqlite::Error> {
    connection
        .query_row(
            &format!("SELECT {ENTRY_COLUMNS} FROM outbox_entries WHERE ticket = ?1"),
            params![ticket],
            entry_from_row,
        )
        .optional()
}

fn entry_from_row(row: &rusqlite::Row<'_>) -> Result<OutboxEntry, rusqlite::Error> {
    let text_column = |index: usize, value: String| {
        rusqlite::Error::FromSqlConversionFailure(
            index,
            rusqlite::types::Type::Text,
            format!("unexpected value {value:?}").into(),
        )
    };
    let kind: String = row.get(1)?;
    let state: String = row.get(3)?;
    let profile: String = row.get(4)?;
    let rejection_status: Option<u16> = row.get(10)?;
    Ok(OutboxEntry {
        ticket: row.get(0)?,
        kind: EntryKind::parse(&kind).ok_or_else(|| text_column(1, kind.clone()))?,
        endpoint: row.get(2)?,
        state: EntryState::parse(&state).ok_or_else(|| text_column(3, state.clone()))?,
        profile: RetryProfile::parse(&profile).ok_or_else(|| text_column(4, profile.clone()))?,
        enqueued_at: UnixMillis::from_millis(row.get(5)?),
        attempts: row.get(6)?,
        next_attempt_at: UnixMillis::from_millis(row.get(7)?),
        last_error: row.get(8)?,
        uvci: row.get(9)?,
        rejection: match rejection_status {
            Some(status) => Some(Rejection {
                status,
                code: row.get::<_, Option<String>>(11)?.unwrap_or_default(),
                message: row.get::<_, Option<String>>(12)?.unwrap_or_default(),
            }),
            None => None,
        },
        finished_at: row.get::<_, Option<i64>>(13)?.map(UnixMillis::from_millis),
    })
}
