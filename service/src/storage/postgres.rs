//! The shared store: PostgreSQL, for several stateless service instances behind a load
//! balancer. Every claim is an `INSERT ... ON CONFLICT DO NOTHING` in its own transaction, so
//! two instances given the same key at the same moment cannot both sign: one inserts, the other
//! finds the claim. Completions commit durably (`synchronous_commit = on`, which PostgreSQL
//! groups across concurrent sessions); claims commit with `synchronous_commit = off`, because a
//! claim lost in a database crash only lets a retry sign again, and the completion, which
//! inserts only over a claim, keeps a single pass for the key. Claims are not dropped at start
//! (other instances may be working on them); they lapse after the lease instead.

use std::collections::HashMap;
use std::sync::{Condvar, Mutex};
use std::time::Duration;

use healthpass_core::protocol::{DeviceId, DeviceStatus};
use healthpass_core::time::UnixTime;
use postgres::{Client, NoTls, Row, Statement};

use super::{
    Claim, Completion, DeviceRecord, Enrolment, IssuanceRecord, SealedPass, StoreError, StoredResponse, TransferRecord,
    seconds,
};

/// Connections per instance: the admission control's workers at most wait for one.
const POOL: usize = 32;
/// How long a worker waits for a free connection before the request is answered 503.
const POOL_WAIT: Duration = Duration::from_secs(5);
/// Serialises schema creation between instances starting together.
const SCHEMA_LOCK: i64 = 0x6865_616c_7468;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS devices (
    id TEXT PRIMARY KEY,
    public_key BYTEA NOT NULL UNIQUE,
    pharmacy_id TEXT NOT NULL,
    pharmacy_name TEXT NOT NULL,
    status TEXT NOT NULL,
    enrolled_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS idempotency (
    device_id TEXT NOT NULL,
    key TEXT NOT NULL,
    request_digest BYTEA NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('claimed', 'done')),
    claimed_at BIGINT NOT NULL,
    response_status INTEGER,
    response_body BYTEA,
    completed_at BIGINT,
    PRIMARY KEY (device_id, key)
);
CREATE INDEX IF NOT EXISTS idempotency_completed ON idempotency (completed_at);
CREATE TABLE IF NOT EXISTS issuances (
    uvci TEXT PRIMARY KEY,
    device_id TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    issued_at BIGINT NOT NULL,
    request_digest BYTEA NOT NULL,
    UNIQUE (device_id, idempotency_key)
);
";

fn store_error(error: impl std::fmt::Display) -> StoreError {
    StoreError(error.to_string())
}

/// A connection and the statements prepared on it.
struct Session {
    client: Client,
    statements: HashMap<&'static str, Statement>,
}

impl Session {
    /// The statement for `sql`, prepared once per connection (a round trip saved per query).
    fn statement(&mut self, sql: &'static str) -> Result<Statement, postgres::Error> {
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.client.prepare(sql)?;
        self.statements.insert(sql, statement.clone());
        Ok(statement)
    }
}

/// The connections: at most [`POOL`], opened on demand, waited for when all are busy.
struct Pool {
    idle: Vec<Session>,
    open: usize,
}

/// The PostgreSQL store.
pub struct PostgresStore {
    url: String,
    pool: Mutex<Pool>,
    returned: Condvar,
}

impl PostgresStore {
    /// Connects to `url` (`postgres://user:password@host/db` or `host=/var/run/postgresql
    /// dbname=...`) and creates the schema if it is missing.
    pub fn open(url: &str) -> Result<Self, StoreError> {
        let mut client = Client::connect(url, NoTls).map_err(|error| StoreError(format!("PostgreSQL: {error}")))?;
        client.execute("SELECT pg_advisory_lock($1)", &[&SCHEMA_LOCK]).map_err(store_error)?;
        let transfer_schema = super::TRANSFER_SCHEMA.replace("BLOB", "BYTEA");
        let created = client.batch_execute(&format!("{SCHEMA}{transfer_schema}")).map_err(store_error);
        client.execute("SELECT pg_advisory_unlock($1)", &[&SCHEMA_LOCK]).map_err(store_error)?;
        created?;
        let session = Session { client, statements: HashMap::new() };
        Ok(Self {
            url: url.to_owned(),
            pool: Mutex::new(Pool { idle: vec![session], open: 1 }),
            returned: Condvar::new(),
        })
    }

    fn take(&self) -> Result<Session, StoreError> {
        let poisoned = || StoreError("the connection pool is poisoned".into());
        let mut pool = self.pool.lock().map_err(|_| poisoned())?;
        loop {
            if let Some(session) = pool.idle.pop() {
                if !session.client.is_closed() {
                    return Ok(session);
                }
                pool.open = pool.open.saturating_sub(1);
                continue;
            }
            if pool.open < POOL {
                pool.open += 1;
                drop(pool);
                return match Client::connect(&self.url, NoTls) {
                    Ok(client) => Ok(Session { client, statements: HashMap::new() }),
                    Err(error) => {
                        if let Ok(mut pool) = self.pool.lock() {
                            pool.open = pool.open.saturating_sub(1);
                        }
                        Err(StoreError(format!("PostgreSQL: {error}")))
                    }
                };
            }
            let (next, waited) = self.returned.wait_timeout(pool, POOL_WAIT).map_err(|_| poisoned())?;
            pool = next;
            if waited.timed_out() && pool.idle.is_empty() {
                return Err(StoreError("every PostgreSQL connection stayed busy".into()));
            }
        }
    }

    fn with<T>(&self, work: impl FnOnce(&mut Session) -> Result<T, postgres::Error>) -> Result<T, StoreError> {
        let mut session = self.take()?;
        let result = work(&mut session).map_err(store_error);
        if let Ok(mut pool) = self.pool.lock() {
            if session.client.is_closed() {
                pool.open = pool.open.saturating_sub(1);
            } else {
                pool.idle.push(session);
            }
        }
        self.returned.notify_one();
        result
    }
}

fn device_of(row: &Row) -> Result<DeviceRecord, StoreError> {
    let id: String = row.try_get(0).map_err(store_error)?;
    let status: String = row.try_get(4).map_err(store_error)?;
    Ok(DeviceRecord {
        id: DeviceId::parse(&id).ok_or_else(|| StoreError("a stored device id is unreadable".into()))?,
        public_key: row.try_get(1).map_err(store_error)?,
        pharmacy_id: row.try_get(2).map_err(store_error)?,
        pharmacy_name: row.try_get(3).map_err(store_error)?,
        status: DeviceStatus::parse(&status).ok_or_else(|| StoreError("a stored status is unreadable".into()))?,
        enrolled_at: UnixTime::from_seconds(row.try_get(5).map_err(store_error)?),
    })
}

/// The response in columns `first` (status) and `first + 1` (body).
fn response_of(row: &Row, first: usize) -> Result<StoredResponse, postgres::Error> {
    let status: i32 = row.try_get(first)?;
    Ok(StoredResponse { status: u16::try_from(status).unwrap_or(500), body: row.try_get(first + 1)? })
}

const FIND_DEVICE: &str =
    "SELECT id, public_key, pharmacy_id, pharmacy_name, status, enrolled_at FROM devices WHERE id = $1";
const INSERT_CLAIM: &str = "INSERT INTO idempotency (device_id, key, request_digest, state, claimed_at)
     VALUES ($1, $2, $3, 'claimed', $4) ON CONFLICT DO NOTHING";
const LOCK_ENTRY: &str = "SELECT request_digest, state, claimed_at, response_status, response_body
     FROM idempotency WHERE device_id = $1 AND key = $2 FOR UPDATE";
const TAKE_OVER: &str = "UPDATE idempotency SET claimed_at = $3 WHERE device_id = $1 AND key = $2";
const COMPLETE: &str =
    "UPDATE idempotency SET state = 'done', response_status = $3, response_body = $4, completed_at = $5
     WHERE device_id = $1 AND key = $2 AND state = 'claimed' AND request_digest = $6";
const INSERT_DONE: &str = "INSERT INTO idempotency
     (device_id, key, request_digest, state, claimed_at, completed_at, response_status, response_body)
     VALUES ($1, $2, $3, 'done', $4, $4, $5, $6) ON CONFLICT DO NOTHING";
const DONE_ENTRY: &str = "SELECT request_digest, response_status, response_body FROM idempotency WHERE device_id = $1 AND key = $2 AND state = 'done'";
const INSERT_ISSUANCE: &str =
    "INSERT INTO issuances (uvci, device_id, idempotency_key, issued_at, request_digest) VALUES ($1, $2, $3, $4, $5)";

impl super::Store for PostgresStore {
    fn enrol(&self, device: &DeviceRecord) -> Result<Enrolment, StoreError> {
        let inserted = self.with(|session| {
            session.client.execute(
                "INSERT INTO devices (id, public_key, pharmacy_id, pharmacy_name, status, enrolled_at)
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                &[
                    &device.id.to_string(),
                    &device.public_key,
                    &device.pharmacy_id,
                    &device.pharmacy_name,
                    &device.status.name(),
                    &device.enrolled_at.seconds(),
                ],
            )
        })?;
        if inserted == 1 {
            return Ok(Enrolment::Created(device.clone()));
        }
        self.device(device.id)?
            .map(Enrolment::Existing)
            .ok_or_else(|| StoreError("the key is registered under another device id".into()))
    }

    fn device(&self, id: DeviceId) -> Result<Option<DeviceRecord>, StoreError> {
        let row = self.with(|session| {
            let statement = session.statement(FIND_DEVICE)?;
            session.client.query_opt(&statement, &[&id.to_string()])
        })?;
        row.as_ref().map(device_of).transpose()
    }

    fn set_status(&self, id: DeviceId, status: DeviceStatus) -> Result<Option<DeviceRecord>, StoreError> {
        self.with(|session| {
            session.client.execute(
                "UPDATE devices SET status = $2 WHERE id = $1 AND status <> 'revoked'",
                &[&id.to_string(), &status.name()],
            )
        })?;
        self.device(id)
    }

    fn claim(
        &self,
        device: DeviceId,
        key: &str,
        request_digest: [u8; 32],
        now: UnixTime,
        lease: Duration,
    ) -> Result<Claim, StoreError> {
        let device = device.to_string();
        let digest = request_digest.to_vec();
        self.with(|session| {
            let (insert, lock, take_over) =
                (session.statement(INSERT_CLAIM)?, session.statement(LOCK_ENTRY)?, session.statement(TAKE_OVER)?);
            let mut transaction = session.client.transaction()?;
            // A claim lost in a crash only lets a retry sign again; the completion keeps one pass.
            transaction.batch_execute("SET LOCAL synchronous_commit = off")?;
            if transaction.execute(&insert, &[&device, &key, &digest, &now.seconds()])? == 1 {
                transaction.commit()?;
                return Ok(Claim::Fresh);
            }
            let row = transaction.query_one(&lock, &[&device, &key])?;
            let stored_digest: Vec<u8> = row.try_get(0)?;
            let state: String = row.try_get(1)?;
            let claimed_at: i64 = row.try_get(2)?;
            let claim = if stored_digest != digest {
                Claim::Mismatch
            } else if state == "done" {
                let status: Option<i32> = row.try_get(3)?;
                let body: Option<Vec<u8>> = row.try_get(4)?;
                Claim::Replay(StoredResponse {
                    status: status.and_then(|status| u16::try_from(status).ok()).unwrap_or(500),
                    body: body.unwrap_or_default(),
                })
            } else if now.seconds().saturating_sub(claimed_at) >= seconds(lease) {
                transaction.execute(&take_over, &[&device, &key, &now.seconds()])?;
                Claim::Fresh
            } else {
                Claim::InFlight
            };
            transaction.commit()?;
            Ok(claim)
        })
    }

    fn complete(
        &self,
        device: DeviceId,
        key: &str,
        response: &StoredResponse,
        record: &IssuanceRecord,
    ) -> Result<Completion, StoreError> {
        let device = device.to_string();
        let digest = record.request_digest.to_vec();
        self.with(|session| {
            let (complete, insert_done, done, insert) = (
                session.statement(COMPLETE)?,
                session.statement(INSERT_DONE)?,
                session.statement(DONE_ENTRY)?,
                session.statement(INSERT_ISSUANCE)?,
            );
            let mut transaction = session.client.transaction()?;
            let updated = transaction.execute(
                &complete,
                &[&device, &key, &i32::from(response.status), &response.body, &record.issued_at.seconds(), &digest],
            )?;
            if updated == 0 {
                // No claim of this attempt's: lost in a database crash (store the completion
                // anyway, if nobody did), or completed by another attempt (its answer stands).
                let inserted = transaction.execute(
                    &insert_done,
                    &[&device, &key, &digest, &record.issued_at.seconds(), &i32::from(response.status), &response.body],
                )?;
                if inserted == 0 {
                    let first = transaction.query_opt(&done, &[&device, &key])?;
                    transaction.commit()?;
                    return Ok(match first {
                        Some(row) if row.try_get::<_, Vec<u8>>(0)? == digest => {
                            Completion::AlreadyDone(response_of(&row, 1)?)
                        }
                        _ => Completion::Mismatch,
                    });
                }
            }
            transaction.execute(
                &insert,
                &[&record.uvci, &device, &record.idempotency_key, &record.issued_at.seconds(), &digest],
            )?;
            transaction.commit()?;
            Ok(Completion::Stored)
        })
    }

    fn release(&self, device: DeviceId, key: &str) -> Result<(), StoreError> {
        self.with(|session| {
            session.client.execute(
                "DELETE FROM idempotency WHERE device_id = $1 AND key = $2 AND state = 'claimed'",
                &[&device.to_string(), &key],
            )
        })
        .map(|_| ())
    }

    fn purge(&self, before: UnixTime) -> Result<u64, StoreError> {
        self.with(|session| {
            session
                .client
                .execute("DELETE FROM idempotency WHERE state = 'done' AND completed_at < $1", &[&before.seconds()])
        })
    }

    fn issuances(&self) -> Result<Vec<IssuanceRecord>, StoreError> {
        let rows = self.with(|session| {
            session.client.query(
                "SELECT uvci, device_id, idempotency_key, issued_at, request_digest FROM issuances ORDER BY issued_at, uvci",
                &[],
            )
        })?;
        rows.iter()
            .map(|row| {
                let device: String = row.try_get(1).map_err(store_error)?;
                let digest: Vec<u8> = row.try_get(4).map_err(store_error)?;
                Ok(IssuanceRecord {
                    uvci: row.try_get(0).map_err(store_error)?,
                    device_id: DeviceId::parse(&device)
                        .ok_or_else(|| StoreError("a stored device id is unreadable".into()))?,
                    idempotency_key: row.try_get(2).map_err(store_error)?,
                    issued_at: UnixTime::from_seconds(row.try_get(3).map_err(store_error)?),
                    request_digest: digest
                        .try_into()
                        .map_err(|_| StoreError("a stored digest is unreadable".into()))?,
                })
            })
            .collect()
    }

    fn stored_response(&self, device: DeviceId, key: &str) -> Result<Option<StoredResponse>, StoreError> {
        let row = self.with(|session| {
            let statement = session.statement(DONE_ENTRY)?;
            session.client.query_opt(&statement, &[&device.to_string(), &key])
        })?;
        row.as_ref().map(|row| response_of(row, 1)).transpose().map_err(store_error)
    }

    fn register_transfer(&self, record: &TransferRecord) -> Result<(TransferRecord, bool), StoreError> {
        let inserted_count = self.with(|session| {
            session.client.execute(
                "INSERT INTO transfers (code, public_key, registered_at, expires_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (code) DO NOTHING",
                &[&record.code, &record.public_key, &record.registered_at.seconds(), &record.expires_at.seconds()],
            )
        })?;
        let stored = self.transfer(&record.code)?.ok_or_else(|| StoreError("the transfer code vanished".into()))?;
        Ok((stored, inserted_count > 0))
    }

    fn transfer(&self, code: &str) -> Result<Option<TransferRecord>, StoreError> {
        let row = self.with(|session| {
            session.client.query_opt(
                "SELECT code, public_key, registered_at, expires_at, collected_at FROM transfers WHERE code = $1",
                &[&code],
            )
        })?;
        row.map(|row| {
            Ok(TransferRecord {
                code: row.try_get(0).map_err(store_error)?,
                public_key: row.try_get(1).map_err(store_error)?,
                registered_at: UnixTime::from_seconds(row.try_get(2).map_err(store_error)?),
                expires_at: UnixTime::from_seconds(row.try_get(3).map_err(store_error)?),
                collected_at: row.try_get::<_, Option<i64>>(4).map_err(store_error)?.map(UnixTime::from_seconds),
            })
        })
        .transpose()
    }

    fn put_delivery(
        &self,
        code: &str,
        pass: &SealedPass,
        resolves: Option<(DeviceId, &str)>,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        self.with(|session| {
            let mut transaction = session.client.transaction()?;
            transaction.execute(
                "INSERT INTO transfer_deliveries (code, uvci, encapsulated_key, ciphertext, sealed_at)
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (code, uvci) DO UPDATE SET
                 encapsulated_key = excluded.encapsulated_key, ciphertext = excluded.ciphertext, sealed_at = excluded.sealed_at",
                &[&code, &pass.uvci, &pass.encapsulated_key, &pass.ciphertext, &now.seconds()],
            )?;
            if let Some((device, key)) = resolves {
                transaction.execute(
                    "DELETE FROM transfer_pending WHERE code = $1 AND device_id = $2 AND idempotency_key = $3",
                    &[&code, &device.to_string(), &key],
                )?;
            }
            transaction.commit()
        })
    }

    fn deliveries(&self, code: &str) -> Result<Vec<SealedPass>, StoreError> {
        let rows = self.with(|session| {
            session.client.query(
                "SELECT uvci, encapsulated_key, ciphertext FROM transfer_deliveries WHERE code = $1 ORDER BY sealed_at, uvci",
                &[&code],
            )
        })?;
        rows.iter()
            .map(|row| {
                Ok(SealedPass {
                    uvci: row.try_get(0).map_err(store_error)?,
                    encapsulated_key: row.try_get(1).map_err(store_error)?,
                    ciphertext: row.try_get(2).map_err(store_error)?,
                })
            })
            .collect()
    }

    fn add_pending_delivery(&self, code: &str, device: DeviceId, key: &str, now: UnixTime) -> Result<(), StoreError> {
        self.with(|session| {
            session.client.execute(
                "INSERT INTO transfer_pending (code, device_id, idempotency_key, created_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT DO NOTHING",
                &[&code, &device.to_string(), &key, &now.seconds()],
            )
        })
        .map(|_| ())
    }

    fn pending_deliveries(&self, code: &str) -> Result<Vec<(DeviceId, String)>, StoreError> {
        let rows = self.with(|session| {
            session.client.query(
                "SELECT device_id, idempotency_key FROM transfer_pending WHERE code = $1 ORDER BY created_at",
                &[&code],
            )
        })?;
        Ok(rows
            .iter()
            .filter_map(|row| {
                let device: String = row.try_get(0).ok()?;
                Some((DeviceId::parse(&device)?, row.try_get(1).ok()?))
            })
            .collect())
    }

    fn collect_transfer(&self, code: &str, now: UnixTime) -> Result<bool, StoreError> {
        self.with(|session| {
            let mut transaction = session.client.transaction()?;
            transaction.execute("DELETE FROM transfer_deliveries WHERE code = $1", &[&code])?;
            transaction.execute("DELETE FROM transfer_pending WHERE code = $1", &[&code])?;
            let updated = transaction.execute(
                "UPDATE transfers SET collected_at = COALESCE(collected_at, $2) WHERE code = $1",
                &[&code, &now.seconds()],
            )?;
            transaction.commit()?;
            Ok(updated > 0)
        })
    }

    fn purge_transfers(&self, now: UnixTime) -> Result<u64, StoreError> {
        let lifetime = healthpass_core::protocol::transfer::TRANSFER_LIFETIME_SECONDS;
        self.with(|session| {
            let mut transaction = session.client.transaction()?;
            let mut count = transaction.execute("DELETE FROM transfers WHERE expires_at < $1", &[&now.seconds()])?;
            count += transaction
                .execute("DELETE FROM transfer_deliveries WHERE code NOT IN (SELECT code FROM transfers)", &[])?;
            count += transaction
                .execute("DELETE FROM transfer_pending WHERE created_at < $1", &[&(now.seconds() - lifetime)])?;
            transaction.commit()?;
            Ok(count)
        })
    }
}
