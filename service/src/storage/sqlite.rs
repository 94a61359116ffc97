//! The embedded store: one SQLite file, one service instance.
//!
//! Durability: WAL with `synchronous=FULL`, so a commit is on disk before it returns. Every
//! write goes through one writer thread that **group-commits**: it takes the first command,
//! then every command already waiting (up to 512), and runs them in one transaction, each
//! under its own savepoint so one failure rolls back only itself. Under load, commands pile up
//! while the previous commit syncs, so one fsync covers many issuances; a caller is answered
//! only after the commit holding its command. Reads use their own connections (WAL readers do
//! not wait for the writer).
//!
//! Claims live in memory: one instance serves a file, so a claim only has to keep two attempts
//! of this process apart, and a crash must forget it anyway (the retry that is surely coming
//! claims the key at once). That leaves one durable commit per issuance, the completion, which
//! inserts the response and the issuance record only if no completion of the key exists; the
//! rare attempt that loses that race gets the first response (or 422 for another body).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::time::Duration;

use healthpass_core::protocol::{DeviceId, DeviceStatus};
use healthpass_core::time::UnixTime;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::{
    Claim, Completion, DeviceRecord, Enrolment, IssuanceRecord, SealedPass, StoreError, StoredResponse, TransferRecord,
    seconds,
};

/// The schema's version (`PRAGMA user_version`).
const SCHEMA_VERSION: i64 = 1;
/// Commands one transaction takes at most.
const MAX_BATCH: usize = 512;
/// Reader connections kept open.
const READERS: usize = 4;
/// How often the WAL is checkpointed.
const CHECKPOINT_INTERVAL: Duration = Duration::from_millis(500);

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS devices (
    id TEXT PRIMARY KEY,
    public_key BLOB NOT NULL UNIQUE,
    pharmacy_id TEXT NOT NULL,
    pharmacy_name TEXT NOT NULL,
    status TEXT NOT NULL,
    enrolled_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS idempotency (
    device_id TEXT NOT NULL,
    key TEXT NOT NULL,
    request_digest BLOB NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('claimed', 'done')),
    claimed_at INTEGER NOT NULL,
    response_status INTEGER,
    response_body BLOB,
    completed_at INTEGER,
    PRIMARY KEY (device_id, key)
);
CREATE INDEX IF NOT EXISTS idempotency_completed ON idempotency (completed_at);
CREATE TABLE IF NOT EXISTS issuances (
    uvci TEXT PRIMARY KEY,
    device_id TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    issued_at INTEGER NOT NULL,
    request_digest BLOB NOT NULL,
    UNIQUE (device_id, idempotency_key)
);
";

fn store_error(error: impl std::fmt::Display) -> StoreError {
    StoreError(error.to_string())
}

type Reply<T> = SyncSender<Result<T, StoreError>>;

/// A write run inside the writer's transaction; its count of rows touched.
type Work = Box<dyn FnOnce(&Connection) -> Result<u64, rusqlite::Error> + Send>;

enum Command {
    Enrol(DeviceRecord, Reply<Enrolment>),
    SetStatus(DeviceId, DeviceStatus, Reply<Option<DeviceRecord>>),
    Complete {
        device: DeviceId,
        key: String,
        response: StoredResponse,
        record: IssuanceRecord,
        reply: Reply<Completion>,
    },
    Purge(UnixTime, Reply<u64>),
    /// A write of the transfer tables: their traffic is a few requests per pass, so one
    /// generic command serves them all.
    Exec(Work, Reply<u64>),
}

/// A claim held by an attempt of this process.
struct HeldClaim {
    digest: [u8; 32],
    claimed_at: UnixTime,
}

/// Devices as last read, and a count of status changes: a record read from the database
/// while a change was under way is not kept.
#[derive(Default)]
struct DeviceCache {
    changes: u64,
    records: HashMap<DeviceId, DeviceRecord>,
}

/// The SQLite store.
pub struct SqliteStore {
    writer: Mutex<Sender<Command>>,
    readers: Mutex<Vec<Connection>>,
    claims: Mutex<HashMap<(DeviceId, String), HeldClaim>>,
    /// Devices read once: every change goes through this store (one instance per file), so
    /// the copy here cannot go stale; it saves a query on every issuance.
    devices: Mutex<DeviceCache>,
    path: PathBuf,
    /// Dropped with the store: the checkpointer's channel closes and it ends.
    _stop_checkpoints: Sender<()>,
}

impl SqliteStore {
    /// Opens (or creates) the store at `path`. A file that is not a healthpass issuer database
    /// is refused with a message saying so, and left untouched.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let connection = open_connection(path)?;
        prepare(&connection, path)?;
        // Claims written by earlier versions, of a process that is gone: the retries may claim.
        connection.execute("DELETE FROM idempotency WHERE state = 'claimed'", []).map_err(store_error)?;
        let (sender, receiver) = mpsc::channel();
        std::thread::Builder::new()
            .name("healthpass-sqlite-writer".into())
            .spawn(move || write_loop(connection, receiver))
            .map_err(store_error)?;
        let checkpointer = open_connection(path)?;
        let (stop_checkpoints, stopped) = mpsc::channel::<()>();
        std::thread::Builder::new()
            .name("healthpass-sqlite-checkpointer".into())
            .spawn(move || checkpoint_loop(&checkpointer, &stopped))
            .map_err(store_error)?;
        let readers = (0..READERS).map(|_| open_connection(path)).collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            writer: Mutex::new(sender),
            readers: Mutex::new(readers),
            claims: Mutex::new(HashMap::new()),
            devices: Mutex::new(DeviceCache::default()),
            path: path.to_owned(),
            _stop_checkpoints: stop_checkpoints,
        })
    }

    fn send<T>(&self, command: impl FnOnce(Reply<T>) -> Command) -> Result<T, StoreError> {
        let (reply, answer) = mpsc::sync_channel(1);
        self.writer
            .lock()
            .map_err(|_| StoreError("the writer is gone".into()))?
            .send(command(reply))
            .map_err(|_| StoreError("the writer thread stopped".into()))?;
        answer.recv().map_err(|_| StoreError("the writer thread stopped".into()))?
    }

    fn read<T>(&self, query: impl FnOnce(&Connection) -> Result<T, rusqlite::Error>) -> Result<T, StoreError> {
        let connection = {
            let mut readers = self.readers.lock().map_err(|_| StoreError("a reader panicked".into()))?;
            readers.pop()
        };
        let connection = match connection {
            Some(connection) => connection,
            None => open_connection(&self.path)?,
        };
        let result = query(&connection).map_err(store_error);
        if let Ok(mut readers) = self.readers.lock()
            && readers.len() < READERS
        {
            readers.push(connection);
        }
        result
    }
}

fn open_connection(path: &Path) -> Result<Connection, StoreError> {
    let connection = Connection::open(path).map_err(|error| StoreError(format!("{}: {error}", path.display())))?;
    connection.busy_timeout(Duration::from_secs(10)).map_err(store_error)?;
    // WAL: readers never wait for the writer; FULL: a commit is on disk when it returns.
    // No automatic checkpoints: they would run inside the writer's commits (a third of its
    // time under load); the checkpointer thread runs them beside it instead.
    connection
        .execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA cache_size = -65536; \
             PRAGMA wal_autocheckpoint = 0;",
        )
        .map_err(|error| StoreError(format!("{}: not a usable SQLite database ({error})", path.display())))?;
    Ok(connection)
}

fn prepare(connection: &Connection, path: &Path) -> Result<(), StoreError> {
    let version: i64 = connection.query_row("PRAGMA user_version", [], |row| row.get(0)).map_err(store_error)?;
    let tables: i64 = connection
        .query_row("SELECT count(*) FROM sqlite_master WHERE type = 'table'", [], |row| row.get(0))
        .map_err(|error| StoreError(format!("{}: not a usable SQLite database ({error})", path.display())))?;
    match version {
        0 if tables == 0 => {
            connection.execute_batch(SCHEMA).map_err(store_error)?;
            connection.execute_batch(&format!("PRAGMA user_version = {SCHEMA_VERSION}")).map_err(store_error)
        }
        SCHEMA_VERSION => connection.execute_batch(SCHEMA).map_err(store_error),
        _ => {
            return Err(StoreError(format!(
                "{}: not a healthpass issuer database (schema {version}, {tables} tables); refusing to touch it",
                path.display()
            )));
        }
    }?;
    connection.execute_batch(super::TRANSFER_SCHEMA).map_err(store_error)
}

/// Copies committed pages from the WAL into the database twice a second, without blocking the
/// writer or the readers (PASSIVE), so the WAL stays small; ends when the store is dropped.
fn checkpoint_loop(connection: &Connection, stopped: &Receiver<()>) {
    while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(CHECKPOINT_INTERVAL) {
        let _ = connection.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
    }
    let _ = connection.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
}

fn write_loop(mut connection: Connection, commands: Receiver<Command>) {
    while let Ok(first) = commands.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match commands.try_recv() {
                Ok(command) => batch.push(command),
                Err(_) => break,
            }
        }
        run_batch(&mut connection, batch);
    }
}

/// What each command answers, held until the batch's commit.
enum Answer {
    Enrol(Reply<Enrolment>, Result<Enrolment, StoreError>),
    SetStatus(Reply<Option<DeviceRecord>>, Result<Option<DeviceRecord>, StoreError>),
    Complete(Reply<Completion>, Result<Completion, StoreError>),
    Purge(Reply<u64>, Result<u64, StoreError>),
    Exec(Reply<u64>, Result<u64, StoreError>),
}

fn run_batch(connection: &mut Connection, batch: Vec<Command>) {
    let transaction = match connection.transaction_with_behavior(TransactionBehavior::Immediate) {
        Ok(transaction) => transaction,
        Err(error) => {
            let error = store_error(error);
            for command in batch {
                fail(command, error.clone());
            }
            return;
        }
    };
    let mut answers = Vec::with_capacity(batch.len());
    for command in batch {
        answers.push(run_one(&transaction, command));
    }
    let committed = transaction.commit().map_err(store_error);
    for answer in answers {
        answer.send(committed.clone());
    }
}

impl Answer {
    fn send(self, committed: Result<(), StoreError>) {
        fn pick<T>(result: Result<T, StoreError>, committed: &Result<(), StoreError>) -> Result<T, StoreError> {
            match committed {
                Ok(()) => result,
                Err(error) => Err(error.clone()),
            }
        }
        // A caller that gave up waiting is no reason to fail the others.
        match self {
            Self::Enrol(reply, result) => drop(reply.send(pick(result, &committed))),
            Self::SetStatus(reply, result) => drop(reply.send(pick(result, &committed))),
            Self::Complete(reply, result) => drop(reply.send(pick(result, &committed))),
            Self::Purge(reply, result) => drop(reply.send(pick(result, &committed))),
            Self::Exec(reply, result) => drop(reply.send(pick(result, &committed))),
        }
    }
}

fn fail(command: Command, error: StoreError) {
    match command {
        Command::Enrol(_, reply) => drop(reply.send(Err(error))),
        Command::SetStatus(_, _, reply) => drop(reply.send(Err(error))),
        Command::Complete { reply, .. } => drop(reply.send(Err(error))),
        Command::Purge(_, reply) => drop(reply.send(Err(error))),
        Command::Exec(_, reply) => drop(reply.send(Err(error))),
    }
}

/// Runs one command under its own savepoint: its failure undoes only itself.
fn run_one(transaction: &rusqlite::Transaction<'_>, command: Command) -> Answer {
    fn guarded<T>(
        transaction: &rusqlite::Transaction<'_>,
        work: impl FnOnce(&Connection) -> Result<T, rusqlite::Error>,
    ) -> Result<T, StoreError> {
        // Cached statements: parsing the savepoint statements again for every command cost
        // 15% of the service's CPU under load (perf, bench/ issuer).
        let run = |sql: &str| transaction.prepare_cached(sql).and_then(|mut statement| statement.execute([]));
        run("SAVEPOINT command").map_err(store_error)?;
        match work(transaction) {
            Ok(value) => {
                run("RELEASE command").map_err(store_error)?;
                Ok(value)
            }
            Err(error) => {
                let _ = run("ROLLBACK TO command");
                let _ = run("RELEASE command");
                Err(store_error(error))
            }
        }
    }
    match command {
        Command::Enrol(device, reply) => Answer::Enrol(reply, guarded(transaction, |db| enrol(db, &device))),
        Command::SetStatus(id, status, reply) => {
            Answer::SetStatus(reply, guarded(transaction, |db| set_status(db, id, status)))
        }
        Command::Complete { device, key, response, record, reply } => {
            Answer::Complete(reply, guarded(transaction, |db| complete(db, device, &key, &response, &record)))
        }
        Command::Purge(before, reply) => Answer::Purge(
            reply,
            guarded(transaction, |db| {
                db.execute(
                    "DELETE FROM idempotency WHERE state = 'done' AND completed_at < ?1",
                    params![before.seconds()],
                )
                .map(|count| count as u64)
            }),
        ),
        Command::Exec(work, reply) => Answer::Exec(reply, guarded(transaction, work)),
    }
}

fn device_row(row: &rusqlite::Row<'_>) -> Result<DeviceRecord, rusqlite::Error> {
    let id: String = row.get(0)?;
    let status: String = row.get(4)?;
    let unreadable = |what: &str| rusqlite::Error::InvalidColumnName(format!("stored {what} is unreadable"));
    Ok(DeviceRecord {
        id: DeviceId::parse(&id).ok_or_else(|| unreadable("device id"))?,
        public_key: row.get(1)?,
        pharmacy_id: row.get(2)?,
        pharmacy_name: row.get(3)?,
        status: DeviceStatus::parse(&status).ok_or_else(|| unreadable("device status"))?,
        enrolled_at: UnixTime::from_seconds(row.get(5)?),
    })
}

const DEVICE_COLUMNS: &str = "id, public_key, pharmacy_id, pharmacy_name, status, enrolled_at";

fn find_device(db: &Connection, id: DeviceId) -> Result<Option<DeviceRecord>, rusqlite::Error> {
    db.prepare_cached(&format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE id = ?1"))?
        .query_row(params![id.to_string()], device_row)
        .optional()
}

fn enrol(db: &Connection, device: &DeviceRecord) -> Result<Enrolment, rusqlite::Error> {
    if let Some(existing) = find_device(db, device.id)? {
        return Ok(Enrolment::Existing(existing));
    }
    db.execute(
        "INSERT INTO devices (id, public_key, pharmacy_id, pharmacy_name, status, enrolled_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            device.id.to_string(),
            device.public_key,
            device.pharmacy_id,
            device.pharmacy_name,
            device.status.name(),
            device.enrolled_at.seconds()
        ],
    )?;
    Ok(Enrolment::Created(device.clone()))
}

fn set_status(db: &Connection, id: DeviceId, status: DeviceStatus) -> Result<Option<DeviceRecord>, rusqlite::Error> {
    // Revocation is final.
    db.execute(
        "UPDATE devices SET status = ?2 WHERE id = ?1 AND status != 'revoked'",
        params![id.to_string(), status.name()],
    )?;
    find_device(db, id)
}

/// The completed entry of a key: its request digest and response.
fn done_entry(
    db: &Connection,
    device: DeviceId,
    key: &str,
) -> Result<Option<([u8; 32], StoredResponse)>, rusqlite::Error> {
    db.prepare_cached(
        "SELECT request_digest, response_status, response_body FROM idempotency
         WHERE device_id = ?1 AND key = ?2 AND state = 'done'",
    )?
    .query_row(params![device.to_string(), key], |row| {
        let digest: Vec<u8> = row.get(0)?;
        let status: i64 = row.get(1)?;
        Ok((
            digest.try_into().unwrap_or([0; 32]),
            StoredResponse { status: u16::try_from(status).unwrap_or(500), body: row.get(2)? },
        ))
    })
    .optional()
}

fn complete(
    db: &Connection,
    device: DeviceId,
    key: &str,
    response: &StoredResponse,
    record: &IssuanceRecord,
) -> Result<Completion, rusqlite::Error> {
    let inserted = db
        .prepare_cached(
            "INSERT INTO idempotency (device_id, key, request_digest, state, claimed_at, response_status, response_body, completed_at)
             VALUES (?1, ?2, ?3, 'done', ?4, ?5, ?6, ?4) ON CONFLICT (device_id, key) DO NOTHING",
        )?
        .execute(params![
            device.to_string(),
            key,
            record.request_digest.as_slice(),
            record.issued_at.seconds(),
            i64::from(response.status),
            response.body
        ])?;
    if inserted == 0 {
        return Ok(match done_entry(db, device, key)? {
            Some((digest, first)) if digest == record.request_digest => Completion::AlreadyDone(first),
            _ => Completion::Mismatch,
        });
    }
    insert_issuance(db, record)?;
    Ok(Completion::Stored)
}

fn insert_issuance(db: &Connection, record: &IssuanceRecord) -> Result<(), rusqlite::Error> {
    db.prepare_cached(
        "INSERT INTO issuances (uvci, device_id, idempotency_key, issued_at, request_digest) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
            record.uvci,
            record.device_id.to_string(),
            record.idempotency_key,
            record.issued_at.seconds(),
            record.request_digest.as_slice()
    ])
    .map(|_| ())
}

fn issuance_row(row: &rusqlite::Row<'_>) -> Result<IssuanceRecord, rusqlite::Error> {
    let device: String = row.get(1)?;
    let digest: Vec<u8> = row.get(4)?;
    Ok(IssuanceRecord {
        uvci: row.get(0)?,
        device_id: DeviceId::parse(&device)
            .ok_or_else(|| rusqlite::Error::InvalidColumnName("stored device id is unreadable".into()))?,
        idempotency_key: row.get(2)?,
        issued_at: UnixTime::from_seconds(row.get(3)?),
        request_digest: digest
            .try_into()
            .map_err(|_| rusqlite::Error::InvalidColumnName("stored digest is unreadable".into()))?,
    })
}

impl super::Store for SqliteStore {
    fn enrol(&self, device: &DeviceRecord) -> Result<Enrolment, StoreError> {
        self.send(|reply| Command::Enrol(device.clone(), reply))
    }

    fn device(&self, id: DeviceId) -> Result<Option<DeviceRecord>, StoreError> {
        let poisoned = || StoreError("the device cache is poisoned".into());
        let changes = {
            let cache = self.devices.lock().map_err(|_| poisoned())?;
            if let Some(device) = cache.records.get(&id) {
                return Ok(Some(device.clone()));
            }
            cache.changes
        };
        let found = self.read(|db| find_device(db, id))?;
        let mut cache = self.devices.lock().map_err(|_| poisoned())?;
        if let Some(device) = &found
            && cache.changes == changes
        {
            cache.records.insert(id, device.clone());
        }
        Ok(found)
    }

    fn set_status(&self, id: DeviceId, status: DeviceStatus) -> Result<Option<DeviceRecord>, StoreError> {
        // Forgotten before and after the change, and counted: no issuance reads the old status
        // once the operator has been answered.
        let forget = || {
            self.devices
                .lock()
                .map(|mut cache| {
                    cache.changes += 1;
                    cache.records.remove(&id);
                })
                .map_err(|_| StoreError("the device cache is poisoned".into()))
        };
        forget()?;
        let changed = self.send(|reply| Command::SetStatus(id, status, reply));
        forget()?;
        changed
    }

    fn claim(
        &self,
        device: DeviceId,
        key: &str,
        request_digest: [u8; 32],
        now: UnixTime,
        lease: Duration,
    ) -> Result<Claim, StoreError> {
        if let Some((digest, response)) = self.read(|db| done_entry(db, device, key))? {
            return Ok(if digest == request_digest { Claim::Replay(response) } else { Claim::Mismatch });
        }
        let mut claims = self.claims.lock().map_err(|_| StoreError("the claims are poisoned".into()))?;
        let held = claims.entry((device, key.to_owned()));
        Ok(match held {
            std::collections::hash_map::Entry::Vacant(vacant) => {
                vacant.insert(HeldClaim { digest: request_digest, claimed_at: now });
                Claim::Fresh
            }
            std::collections::hash_map::Entry::Occupied(mut held) => {
                let held = held.get_mut();
                if held.digest != request_digest {
                    Claim::Mismatch
                } else if now.seconds().saturating_sub(held.claimed_at.seconds()) >= seconds(lease) {
                    // The attempt holding it is stuck past the lease: this one takes over.
                    held.claimed_at = now;
                    Claim::Fresh
                } else {
                    Claim::InFlight
                }
            }
        })
    }

    fn complete(
        &self,
        device: DeviceId,
        key: &str,
        response: &StoredResponse,
        record: &IssuanceRecord,
    ) -> Result<Completion, StoreError> {
        let completion = self.send(|reply| Command::Complete {
            device,
            key: key.to_owned(),
            response: response.clone(),
            record: record.clone(),
            reply,
        });
        // Stored or not, this attempt is over: the durable entry (if any) now answers.
        self.release(device, key)?;
        completion
    }

    fn release(&self, device: DeviceId, key: &str) -> Result<(), StoreError> {
        self.claims.lock().map_err(|_| StoreError("the claims are poisoned".into()))?.remove(&(device, key.to_owned()));
        Ok(())
    }

    fn purge(&self, before: UnixTime) -> Result<u64, StoreError> {
        self.send(|reply| Command::Purge(before, reply))
    }

    fn issuances(&self) -> Result<Vec<IssuanceRecord>, StoreError> {
        self.read(|db| {
            let mut statement = db.prepare(
                "SELECT uvci, device_id, idempotency_key, issued_at, request_digest FROM issuances ORDER BY issued_at, rowid",
            )?;
            let rows = statement.query_map([], issuance_row)?;
            rows.collect()
        })
    }

    fn stored_response(&self, device: DeviceId, key: &str) -> Result<Option<StoredResponse>, StoreError> {
        self.read(|db| {
            db.query_row(
                "SELECT response_status, response_body FROM idempotency WHERE device_id = ?1 AND key = ?2 AND state = 'done'",
                params![device.to_string(), key],
                |row| Ok(StoredResponse { status: u16::try_from(row.get::<_, i64>(0)?).unwrap_or(500), body: row.get(1)? }),
            )
            .optional()
        })
    }

    fn register_transfer(&self, record: &TransferRecord) -> Result<(TransferRecord, bool), StoreError> {
        let inserted = record.clone();
        let inserted_count = self.send(|reply| {
            Command::Exec(
                Box::new(move |db| {
                    db.execute(
                        "INSERT INTO transfers (code, public_key, registered_at, expires_at) VALUES (?1, ?2, ?3, ?4)
                         ON CONFLICT (code) DO NOTHING",
                        params![
                            inserted.code,
                            inserted.public_key,
                            inserted.registered_at.seconds(),
                            inserted.expires_at.seconds()
                        ],
                    )
                    .map(|count| count as u64)
                }),
                reply,
            )
        })?;
        let stored = self.transfer(&record.code)?.ok_or_else(|| StoreError("the transfer code vanished".into()))?;
        Ok((stored, inserted_count > 0))
    }

    fn transfer(&self, code: &str) -> Result<Option<TransferRecord>, StoreError> {
        self.read(|db| {
            db.query_row(
                "SELECT code, public_key, registered_at, expires_at, collected_at FROM transfers WHERE code = ?1",
                params![code],
                |row| {
                    Ok(TransferRecord {
                        code: row.get(0)?,
                        public_key: row.get(1)?,
                        registered_at: UnixTime::from_seconds(row.get(2)?),
                        expires_at: UnixTime::from_seconds(row.get(3)?),
                        collected_at: row.get::<_, Option<i64>>(4)?.map(UnixTime::from_seconds),
                    })
                },
            )
            .optional()
        })
    }

    fn put_delivery(
        &self,
        code: &str,
        pass: &SealedPass,
        resolves: Option<(DeviceId, &str)>,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        let (code, pass) = (code.to_owned(), pass.clone());
        let resolves = resolves.map(|(device, key)| (device.to_string(), key.to_owned()));
        self.send(|reply| {
            Command::Exec(
                Box::new(move |db| {
                    db.execute(
                        "INSERT INTO transfer_deliveries (code, uvci, encapsulated_key, ciphertext, sealed_at)
                         VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (code, uvci) DO UPDATE SET
                         encapsulated_key = excluded.encapsulated_key, ciphertext = excluded.ciphertext, sealed_at = excluded.sealed_at",
                        params![code, pass.uvci, pass.encapsulated_key, pass.ciphertext, now.seconds()],
                    )?;
                    if let Some((device, key)) = resolves {
                        db.execute(
                            "DELETE FROM transfer_pending WHERE code = ?1 AND device_id = ?2 AND idempotency_key = ?3",
                            params![code, device, key],
                        )?;
                    }
                    Ok(1)
                }),
                reply,
            )
        })
        .map(|_| ())
    }

    fn deliveries(&self, code: &str) -> Result<Vec<SealedPass>, StoreError> {
        self.read(|db| {
            let mut statement = db.prepare(
                "SELECT uvci, encapsulated_key, ciphertext FROM transfer_deliveries WHERE code = ?1 ORDER BY sealed_at, uvci",
            )?;
            let rows = statement.query_map(params![code], |row| {
                Ok(SealedPass { uvci: row.get(0)?, encapsulated_key: row.get(1)?, ciphertext: row.get(2)? })
            })?;
            rows.collect()
        })
    }

    fn add_pending_delivery(&self, code: &str, device: DeviceId, key: &str, now: UnixTime) -> Result<(), StoreError> {
        let (code, device, key) = (code.to_owned(), device.to_string(), key.to_owned());
        self.send(|reply| {
            Command::Exec(
                Box::new(move |db| {
                    db.execute(
                        "INSERT INTO transfer_pending (code, device_id, idempotency_key, created_at) VALUES (?1, ?2, ?3, ?4)
                         ON CONFLICT DO NOTHING",
                        params![code, device, key, now.seconds()],
                    )
                    .map(|count| count as u64)
                }),
                reply,
            )
        })
        .map(|_| ())
    }

    fn pending_deliveries(&self, code: &str) -> Result<Vec<(DeviceId, String)>, StoreError> {
        let rows: Vec<(String, String)> = self.read(|db| {
            let mut statement = db.prepare(
                "SELECT device_id, idempotency_key FROM transfer_pending WHERE code = ?1 ORDER BY created_at",
            )?;
            let rows = statement.query_map(params![code], |row| Ok((row.get(0)?, row.get(1)?)))?;
            rows.collect()
        })?;
        Ok(rows.into_iter().filter_map(|(device, key)| Some((DeviceId::parse(&device)?, key))).collect())
    }

    fn collect_transfer(&self, code: &str, now: UnixTime) -> Result<bool, StoreError> {
        let code = code.to_owned();
        self.send(|reply| {
            Command::Exec(
                Box::new(move |db| {
                    db.execute("DELETE FROM transfer_deliveries WHERE code = ?1", params![code])?;
                    db.execute("DELETE FROM transfer_pending WHERE code = ?1", params![code])?;
                    db.execute(
                        "UPDATE transfers SET collected_at = COALESCE(collected_at, ?2) WHERE code = ?1",
                        params![code, now.seconds()],
                    )
                    .map(|count| count as u64)
                }),
                reply,
            )
        })
        .map(|count| count > 0)
    }

    fn purge_transfers(&self, now: UnixTime) -> Result<u64, StoreError> {
        self.send(|reply| {
            Command::Exec(
                Box::new(move |db| {
                    let lifetime = healthpass_core::protocol::transfer::TRANSFER_LIFETIME_SECONDS;
                    let mut count =
                        db.execute("DELETE FROM transfers WHERE expires_at < ?1", params![now.seconds()])?;
                    count += db.execute(
                        "DELETE FROM transfer_deliveries WHERE code NOT IN (SELECT code FROM transfers)",
                        [],
                    )?;
                    count += db.execute(
                        "DELETE FROM transfer_pending WHERE created_at < ?1",
                        params![now.seconds() - lifetime],
                    )?;
                    Ok(count as u64)
                }),
                reply,
            )
        })
    }
}
