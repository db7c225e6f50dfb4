//! [`SqlStore`], the [`Store`] on SQL: SQLite (embedded; in memory or in a file) for one
//! instance, PostgreSQL for several instances sharing one database.
//!
//! The schema is created and upgraded by the migrations below when the store opens (on
//! PostgreSQL under an advisory lock, so replicas starting together migrate once). Tables:
//!
//! | Table | Holds |
//! | --- | --- |
//! | `iav_migrations` | the migrations applied |
//! | `iav_settings` | `key-secret`, the secret from which the keys sent to Dwolla are derived; `users-secret`, the one hashing users' tokens when none is configured |
//! | `iav_owners` | (kind, Dwolla id) -> owning customer |
//! | `iav_idempotency_keys` | SHA-256 of a user's app key -> customer, request fingerprint, created resource, time, the attempt in flight and its lease |
//! | `iav_user_sets` | the generations of users files stored: generation -> digest of the set, users, time |
//! | `iav_file_users` | HMAC-SHA256 of a users file's token -> name, customer, generation, `revoked_at` |
//! | `iav_subjects` | (OIDC issuer, subject) -> customer, time linked, `revoked_at` |
//!
//! App keys are stored as SHA-256 hashes, users' tokens as HMACs with the users secret only. The same SQL runs on both
//! databases (`$N` parameters, `ON CONFLICT`, `BIGINT` seconds).

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};
use sqlx::Connection;
use tokio::sync::{Mutex, OnceCell};

use super::store::{
    now_secs, KeyClaim, KeyUse, ResourceKind, Store, StoreError, IDEMPOTENCY_KEY_LIFETIME_SECS,
};
use super::store::{StoredUser, Subject, UsersImport};

/// The migrations, in order: (version, statements). Never edit one that has shipped; add one.
const MIGRATIONS: &[(i64, &[&str])] = &[
    (
        1,
        &[
            "CREATE TABLE IF NOT EXISTS iav_settings (
            name TEXT PRIMARY KEY,
            value TEXT NOT NULL)",
            "CREATE TABLE IF NOT EXISTS iav_owners (
            kind TEXT NOT NULL,
            id TEXT NOT NULL,
            customer TEXT NOT NULL,
            PRIMARY KEY (kind, id))",
            "CREATE TABLE IF NOT EXISTS iav_idempotency_keys (
            key_hash TEXT PRIMARY KEY,
            customer TEXT NOT NULL,
            fingerprint TEXT NOT NULL,
            location TEXT,
            created_at BIGINT NOT NULL)",
            "CREATE INDEX IF NOT EXISTS iav_idempotency_keys_created_at
            ON iav_idempotency_keys (created_at)",
            "CREATE TABLE IF NOT EXISTS iav_users (
            token_hash TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            customer TEXT NOT NULL)",
        ],
    ),
    (
        2,
        &[
            // Unsalted SHA-256 of tokens: gone; the users file is stored again at start, as HMACs.
            "DROP TABLE IF EXISTS iav_users",
            "CREATE TABLE IF NOT EXISTS iav_user_sets (
            generation BIGINT PRIMARY KEY,
            digest TEXT NOT NULL UNIQUE,
            users BIGINT NOT NULL,
            imported_at BIGINT NOT NULL)",
            "CREATE TABLE IF NOT EXISTS iav_file_users (
            token_hash TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            customer TEXT NOT NULL,
            generation BIGINT NOT NULL,
            revoked_at BIGINT)",
            "CREATE TABLE IF NOT EXISTS iav_subjects (
            issuer TEXT NOT NULL,
            subject TEXT NOT NULL,
            customer TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            revoked_at BIGINT,
            PRIMARY KEY (issuer, subject))",
        ],
    ),
    (
        3,
        &[
            // The attempt in flight with a key, and until when it counts as in flight.
            "ALTER TABLE iav_idempotency_keys ADD COLUMN attempt TEXT",
            "ALTER TABLE iav_idempotency_keys ADD COLUMN attempt_until BIGINT",
        ],
    ),
];

/// The PostgreSQL advisory lock taken while migrating (any fixed number; "iav" in ASCII).
const MIGRATION_LOCK: i64 = 0x0069_6176;

/// The PostgreSQL advisory lock taken while a set of users is stored ("iavu").
const USERS_LOCK: i64 = 0x6961_7675;

/// Expired idempotency keys are deleted at most this often per instance.
const KEY_SWEEP_INTERVAL_SECS: i64 = 60;

enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs `$body` with `$p` bound to the pool, whichever database it is: the SQL is the same.
macro_rules! on_pool {
    ($store:expr, |$p:ident| $body:expr) => {
        match &$store.pool {
            Pool::Sqlite($p) => $body,
            Pool::Postgres($p) => $body,
        }
    };
}

/// The [`Store`] on SQLite or PostgreSQL. Open it with [`SqlStore::open`] (which migrates at
/// once) or [`SqlStore::memory`] (an in-memory SQLite, migrated on first use).
pub struct SqlStore {
    pool: Pool,
    /// What the store is, for logs: never a password.
    description: String,
    /// For an in-memory SQLite: the database lives while one connection to it is open; this one
    /// is, for as long as the store.
    memory: Option<SqliteConnectOptions>,
    anchor: Mutex<Option<SqliteConnection>>,
    ready: OnceCell<()>,
    secret: OnceCell<Vec<u8>>,
    last_sweep: std::sync::atomic::AtomicI64,
}

impl fmt::Debug for SqlStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqlStore")
            .field("database", &self.description)
            .finish_non_exhaustive()
    }
}

/// A `StoreError` from a database error, saying what was being done. Database errors do not
/// carry connection strings; a configuration error might, so it is not repeated.
fn failed(doing: &str) -> impl Fn(sqlx::Error) -> StoreError + '_ {
    move |e| match e {
        sqlx::Error::Configuration(_) => {
            StoreError(format!("{doing}: the database URL is not usable"))
        }
        e => StoreError(format!("{doing}: {e}")),
    }
}

/// The SHA-256 of `text`, in lower-case hex.
pub(crate) fn sha256_hex(text: &[u8]) -> String {
    hex(ring::digest::digest(&ring::digest::SHA256, text).as_ref())
}

/// Lower-case hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

impl SqlStore {
    /// An empty in-memory SQLite database, migrated on first use and gone with the store: what
    /// a backend in front of the simulated Dwolla, or a test, needs.
    pub fn memory() -> SqlStore {
        let options = SqliteConnectOptions::from_str("sqlite::memory:")
            .expect("sqlite::memory: is a valid SQLite URL");
        // One connection: an in-memory database's writes are serialized anyway.
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_lazy_with(options.clone());
        SqlStore::new(Pool::Sqlite(pool), "SQLite in memory".into(), Some(options))
    }

    fn new(pool: Pool, description: String, memory: Option<SqliteConnectOptions>) -> SqlStore {
        SqlStore {
            pool,
            description,
            memory,
            anchor: Mutex::new(None),
            ready: OnceCell::new(),
            secret: OnceCell::new(),
            last_sweep: std::sync::atomic::AtomicI64::new(0),
        }
    }

    /// Opens the database of `url` and runs the migrations:
    /// - `sqlite:PATH` (`sqlite:/var/lib/backend/iav.db`): a SQLite file, created if missing,
    ///   in WAL mode; `sqlite::memory:` an in-memory database;
    /// - `postgres://USER:PASSWORD@HOST:PORT/DATABASE` (or `postgresql://`, with libpq's
    ///   parameters such as `?sslmode=require` or `?host=/run/postgresql`).
    pub async fn open(url: &str) -> Result<SqlStore, StoreError> {
        let store = if url == "sqlite::memory:" || url == "sqlite://:memory:" {
            SqlStore::memory()
        } else if let Some(path) = url.strip_prefix("sqlite:") {
            let path = path.strip_prefix("//").unwrap_or(path);
            if path.is_empty() {
                return Err(StoreError(
                    "a SQLite database URL is sqlite:PATH (or sqlite::memory:)".into(),
                ));
            }
            let options = SqliteConnectOptions::new()
                .filename(path)
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                // WAL with NORMAL: a commit survives a crash of the process (kill -9); only a
                // power loss may take the last commits. FULL halves the write rate here.
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(5));
            let pool = SqlitePoolOptions::new()
                .max_connections(4)
                .connect_with(options)
                .await
                .map_err(failed("opening the SQLite database"))?;
            SqlStore::new(Pool::Sqlite(pool), format!("SQLite file {path}"), None)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options = PgConnectOptions::from_str(url)
                .map_err(|_| StoreError("the PostgreSQL URL is not usable".into()))?;
            let description = format!(
                "PostgreSQL database {} on {}:{}",
                options.get_database().unwrap_or("(default)"),
                options.get_host(),
                options.get_port()
            );
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(5))
                .connect_with(options)
                .await
                .map_err(failed("connecting to PostgreSQL"))?;
            SqlStore::new(Pool::Postgres(pool), description, None)
        } else {
            return Err(StoreError(
                "the database must be sqlite:PATH, sqlite::memory: or postgres://...".into(),
            ));
        };
        store.ready().await?;
        Ok(store)
    }

    /// What the database is (`SQLite file ./iav.db`, `PostgreSQL database iav on
    /// 127.0.0.1:5432`): never a password.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// Migrates once (and, in memory, opens the connection that keeps the database alive).
    async fn ready(&self) -> Result<(), StoreError> {
        self.ready
            .get_or_try_init(|| async {
                if let Some(options) = &self.memory {
                    let conn = SqliteConnection::connect_with(options)
                        .await
                        .map_err(failed("opening the in-memory database"))?;
                    *self.anchor.lock().await = Some(conn);
                }
                self.migrate().await
            })
            .await?;
        Ok(())
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        const CREATE: &str = "CREATE TABLE IF NOT EXISTS iav_migrations (
            version BIGINT PRIMARY KEY,
            applied_at BIGINT NOT NULL)";
        let fail = failed("migrating the database");
        on_pool!(self, |p| {
            let mut tx = p.begin().await.map_err(&fail)?;
            if matches!(self.pool, Pool::Postgres(_)) {
                sqlx::query("SELECT pg_advisory_xact_lock($1)")
                    .bind(MIGRATION_LOCK)
                    .execute(&mut *tx)
                    .await
                    .map_err(&fail)?;
            }
            sqlx::query(CREATE).execute(&mut *tx).await.map_err(&fail)?;
            let applied: Vec<i64> = sqlx::query_scalar("SELECT version FROM iav_migrations")
                .fetch_all(&mut *tx)
                .await
                .map_err(&fail)?;
            for (version, statements) in MIGRATIONS {
                if applied.contains(version) {
                    continue;
                }
                for statement in *statements {
                    sqlx::query(statement)
                        .execute(&mut *tx)
                        .await
                        .map_err(&fail)?;
                }
                sqlx::query("INSERT INTO iav_migrations (version, applied_at) VALUES ($1, $2)")
                    .bind(version)
                    .bind(now_secs())
                    .execute(&mut *tx)
                    .await
                    .map_err(&fail)?;
                log::info!("database migrated to version {version}");
            }
            tx.commit().await.map_err(&fail)
        })
    }

    /// The secret stored as setting `name`, drawn at random (32 bytes, in hex) by the first
    /// instance that asks for it.
    async fn drawn_secret(&self, name: &str) -> Result<Vec<u8>, StoreError> {
        let fail = failed("reading a secret");
        let mut drawn = [0u8; 32];
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut drawn)
            .map_err(|_| StoreError("no random numbers for a secret".into()))?;
        let value: String = on_pool!(self, |p| {
            sqlx::query(
                "INSERT INTO iav_settings (name, value) VALUES ($1, $2)
                 ON CONFLICT (name) DO NOTHING",
            )
            .bind(name)
            .bind(hex(&drawn))
            .execute(p)
            .await
            .map_err(&fail)?;
            sqlx::query_scalar("SELECT value FROM iav_settings WHERE name = $1")
                .bind(name)
                .fetch_one(p)
                .await
                .map_err(&fail)?
        });
        Ok(value.into_bytes())
    }

    /// Deletes the idempotency keys past their lifetime, at most once a minute.
    async fn sweep_keys(&self, now: i64) -> Result<(), StoreError> {
        use std::sync::atomic::Ordering;
        let last = self.last_sweep.load(Ordering::Relaxed);
        if now - last < KEY_SWEEP_INTERVAL_SECS
            || self
                .last_sweep
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            return Ok(());
        }
        let fail = failed("deleting expired idempotency keys");
        on_pool!(self, |p| sqlx::query(
            "DELETE FROM iav_idempotency_keys WHERE created_at <= $1"
        )
        .bind(now - IDEMPOTENCY_KEY_LIFETIME_SECS)
        .execute(p)
        .await
        .map(|_| ())
        .map_err(&fail))?;
        Ok(())
    }
}

#[async_trait]
impl Store for SqlStore {
    async fn owner(&self, kind: ResourceKind, id: &str) -> Result<Option<String>, StoreError> {
        self.ready().await?;
        let fail = failed("reading an owner");
        on_pool!(self, |p| sqlx::query_scalar(
            "SELECT customer FROM iav_owners WHERE kind = $1 AND id = $2"
        )
        .bind(kind.collection())
        .bind(id)
        .fetch_optional(p)
        .await
        .map_err(&fail))
    }

    async fn claim(
        &self,
        kind: ResourceKind,
        id: &str,
        customer: &str,
    ) -> Result<bool, StoreError> {
        self.ready().await?;
        let fail = failed("recording an owner");
        // One statement: a no-op update on conflict makes RETURNING give the recorded owner.
        let owner: String = on_pool!(self, |p| sqlx::query_scalar(
            "INSERT INTO iav_owners (kind, id, customer) VALUES ($1, $2, $3)
             ON CONFLICT (kind, id) DO UPDATE SET customer = iav_owners.customer
             RETURNING customer"
        )
        .bind(kind.collection())
        .bind(id)
        .bind(customer)
        .fetch_one(p)
        .await
        .map_err(&fail))?;
        Ok(owner == customer)
    }

    async fn remember(
        &self,
        kind: ResourceKind,
        id: &str,
        customer: &str,
    ) -> Result<(), StoreError> {
        self.ready().await?;
        let fail = failed("recording an owner");
        on_pool!(self, |p| sqlx::query(
            "INSERT INTO iav_owners (kind, id, customer) VALUES ($1, $2, $3)
             ON CONFLICT (kind, id) DO UPDATE SET customer = excluded.customer"
        )
        .bind(kind.collection())
        .bind(id)
        .bind(customer)
        .execute(p)
        .await
        .map(|_| ())
        .map_err(&fail))?;
        Ok(())
    }

    async fn begin_request(&self, key: &KeyUse<'_>) -> Result<KeyClaim, StoreError> {
        self.ready().await?;
        self.sweep_keys(key.now).await?;
        let fail = failed("claiming an idempotency key");
        let expired = key.now - IDEMPOTENCY_KEY_LIFETIME_SECS;
        // One statement: a new key is inserted; an expired record is replaced by this request;
        // a record of this user and request with no result and no attempt in flight (none, or
        // one past its lease) is taken over by this attempt; any other record is left as it is.
        // RETURNING gives the record as it now stands (SET sees the old row).
        let (customer, fingerprint, location, attempt) = on_pool!(self, |p| {
            sqlx::query_as::<_, (String, String, Option<String>, Option<String>)>(
                "INSERT INTO iav_idempotency_keys
                     (key_hash, customer, fingerprint, location, created_at, attempt, attempt_until)
                 VALUES ($1, $2, $3, NULL, $4, $6, $7)
                 ON CONFLICT (key_hash) DO UPDATE SET
                     customer = CASE WHEN iav_idempotency_keys.created_at <= $5
                         THEN excluded.customer ELSE iav_idempotency_keys.customer END,
                     fingerprint = CASE WHEN iav_idempotency_keys.created_at <= $5
                         THEN excluded.fingerprint ELSE iav_idempotency_keys.fingerprint END,
                     location = CASE WHEN iav_idempotency_keys.created_at <= $5
                         THEN NULL ELSE iav_idempotency_keys.location END,
                     attempt = CASE WHEN iav_idempotency_keys.created_at <= $5
                         OR (iav_idempotency_keys.location IS NULL
                             AND iav_idempotency_keys.customer = excluded.customer
                             AND iav_idempotency_keys.fingerprint = excluded.fingerprint
                             AND (iav_idempotency_keys.attempt IS NULL
                                  OR iav_idempotency_keys.attempt_until IS NULL
                                  OR iav_idempotency_keys.attempt_until <= $4))
                         THEN excluded.attempt ELSE iav_idempotency_keys.attempt END,
                     attempt_until = CASE WHEN iav_idempotency_keys.created_at <= $5
                         OR (iav_idempotency_keys.location IS NULL
                             AND iav_idempotency_keys.customer = excluded.customer
                             AND iav_idempotency_keys.fingerprint = excluded.fingerprint
                             AND (iav_idempotency_keys.attempt IS NULL
                                  OR iav_idempotency_keys.attempt_until IS NULL
                                  OR iav_idempotency_keys.attempt_until <= $4))
                         THEN excluded.attempt_until ELSE iav_idempotency_keys.attempt_until END,
                     created_at = CASE WHEN iav_idempotency_keys.created_at <= $5
                         THEN excluded.created_at ELSE iav_idempotency_keys.created_at END
                 RETURNING customer, fingerprint, location, attempt",
            )
            .bind(key.key_hash)
            .bind(key.customer)
            .bind(key.fingerprint)
            .bind(key.now)
            .bind(expired)
            .bind(key.attempt)
            .bind(key.attempt_until)
            .fetch_one(p)
            .await
            .map_err(&fail)?
        });
        if customer != key.customer || fingerprint != key.fingerprint {
            return Ok(KeyClaim::Conflict);
        }
        Ok(match (location, attempt) {
            (Some(location), _) => KeyClaim::Replay(location),
            (None, Some(attempt)) if attempt == key.attempt => KeyClaim::Send,
            (None, _) => KeyClaim::InProgress,
        })
    }

    async fn finish_request(&self, key_hash: &str, location: &str) -> Result<(), StoreError> {
        self.ready().await?;
        let fail = failed("recording an idempotency key's answer");
        on_pool!(self, |p| sqlx::query(
            "UPDATE iav_idempotency_keys SET location = $2, attempt = NULL, attempt_until = NULL
             WHERE key_hash = $1"
        )
        .bind(key_hash)
        .bind(location)
        .execute(p)
        .await
        .map(|_| ())
        .map_err(&fail))?;
        Ok(())
    }

    async fn abandon_request(&self, key_hash: &str, attempt: &str) -> Result<(), StoreError> {
        self.ready().await?;
        let fail = failed("ending an idempotency key's attempt");
        on_pool!(self, |p| sqlx::query(
            "UPDATE iav_idempotency_keys SET attempt = NULL, attempt_until = NULL
             WHERE key_hash = $1 AND attempt = $2"
        )
        .bind(key_hash)
        .bind(attempt)
        .execute(p)
        .await
        .map(|_| ())
        .map_err(&fail))?;
        Ok(())
    }

    async fn release_request(&self, key_hash: &str, attempt: &str) -> Result<(), StoreError> {
        self.ready().await?;
        let fail = failed("releasing an idempotency key");
        on_pool!(self, |p| sqlx::query(
            "DELETE FROM iav_idempotency_keys
             WHERE key_hash = $1 AND location IS NULL AND attempt = $2"
        )
        .bind(key_hash)
        .bind(attempt)
        .execute(p)
        .await
        .map(|_| ())
        .map_err(&fail))?;
        Ok(())
    }

    async fn import_users(
        &self,
        digest: &str,
        generation: Option<i64>,
        users: &[StoredUser],
    ) -> Result<UsersImport, StoreError> {
        self.ready().await?;
        let fail = failed("storing the users");
        on_pool!(self, |p| {
            let mut tx = p.begin().await.map_err(&fail)?;
            if matches!(self.pool, Pool::Postgres(_)) {
                sqlx::query("SELECT pg_advisory_xact_lock($1)")
                    .bind(USERS_LOCK)
                    .execute(&mut *tx)
                    .await
                    .map_err(&fail)?;
            } else {
                // SQLite: take the write lock now, so that two imports run one after the other.
                sqlx::query("DELETE FROM iav_user_sets WHERE 0 = 1")
                    .execute(&mut *tx)
                    .await
                    .map_err(&fail)?;
            }
            let current: i64 =
                sqlx::query_scalar("SELECT COALESCE(MAX(generation), 0) FROM iav_user_sets")
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(&fail)?;
            let seen: Option<i64> =
                sqlx::query_scalar("SELECT generation FROM iav_user_sets WHERE digest = $1")
                    .bind(digest)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(&fail)?;
            let next = match (generation, seen) {
                (None, Some(g)) if g == current => {
                    return Ok(UsersImport::Current { generation: g })
                }
                (None, Some(g)) => {
                    return Ok(UsersImport::Superseded {
                        generation: g,
                        current,
                    })
                }
                (None, None) => current + 1,
                (Some(n), _) if n > current => n,
                (Some(n), Some(g)) if n == current && g == current => {
                    return Ok(UsersImport::Current { generation: g })
                }
                (Some(n), _) => {
                    return Ok(UsersImport::Superseded {
                        generation: n,
                        current,
                    })
                }
            };
            sqlx::query("DELETE FROM iav_user_sets WHERE digest = $1")
                .bind(digest)
                .execute(&mut *tx)
                .await
                .map_err(&fail)?;
            sqlx::query(
                "INSERT INTO iav_user_sets (generation, digest, users, imported_at)
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(next)
            .bind(digest)
            .bind(i64::try_from(users.len()).unwrap_or(i64::MAX))
            .bind(now_secs())
            .execute(&mut *tx)
            .await
            .map_err(&fail)?;
            for user in users {
                // A user revoked in the database stays revoked (`revoked_at` is kept).
                sqlx::query(
                    "INSERT INTO iav_file_users (token_hash, name, customer, generation)
                     VALUES ($1, $2, $3, $4)
                     ON CONFLICT (token_hash) DO UPDATE SET name = excluded.name,
                         customer = excluded.customer, generation = excluded.generation",
                )
                .bind(&user.token_hash)
                .bind(&user.name)
                .bind(&user.customer_id)
                .bind(next)
                .execute(&mut *tx)
                .await
                .map_err(&fail)?;
            }
            let removed = sqlx::query("DELETE FROM iav_file_users WHERE generation <> $1")
                .bind(next)
                .execute(&mut *tx)
                .await
                .map_err(&fail)?
                .rows_affected();
            tx.commit().await.map_err(&fail)?;
            Ok(UsersImport::Imported {
                generation: next,
                removed,
            })
        })
    }

    async fn file_user(&self, token_hash: &str) -> Result<Option<StoredUser>, StoreError> {
        self.ready().await?;
        let fail = failed("reading a user");
        let found: Option<(String, String)> = on_pool!(self, |p| sqlx::query_as(
            "SELECT name, customer FROM iav_file_users
             WHERE token_hash = $1 AND revoked_at IS NULL"
        )
        .bind(token_hash)
        .fetch_optional(p)
        .await
        .map_err(&fail))?;
        Ok(found.map(|(name, customer_id)| StoredUser {
            token_hash: token_hash.to_string(),
            name,
            customer_id,
        }))
    }

    async fn subject(&self, issuer: &str, subject: &str) -> Result<Option<Subject>, StoreError> {
        self.ready().await?;
        let fail = failed("reading a user");
        let found: Option<(String, Option<i64>)> = on_pool!(self, |p| sqlx::query_as(
            "SELECT customer, revoked_at FROM iav_subjects WHERE issuer = $1 AND subject = $2"
        )
        .bind(issuer)
        .bind(subject)
        .fetch_optional(p)
        .await
        .map_err(&fail))?;
        Ok(found.map(|(customer_id, revoked_at)| Subject {
            customer_id,
            revoked: revoked_at.is_some(),
        }))
    }

    async fn link_subject(
        &self,
        issuer: &str,
        subject: &str,
        customer: &str,
    ) -> Result<Subject, StoreError> {
        self.ready().await?;
        let fail = failed("linking a user to a customer");
        // One statement: a no-op update on conflict makes RETURNING give the link as stored.
        let (customer_id, revoked_at): (String, Option<i64>) = on_pool!(self, |p| sqlx::query_as(
            "INSERT INTO iav_subjects (issuer, subject, customer, created_at)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (issuer, subject) DO UPDATE SET customer = iav_subjects.customer
             RETURNING customer, revoked_at"
        )
        .bind(issuer)
        .bind(subject)
        .bind(customer)
        .bind(now_secs())
        .fetch_one(p)
        .await
        .map_err(&fail))?;
        Ok(Subject {
            customer_id,
            revoked: revoked_at.is_some(),
        })
    }

    async fn users_secret(&self) -> Result<Vec<u8>, StoreError> {
        self.ready().await?;
        self.drawn_secret("users-secret").await
    }

    async fn key_secret(&self) -> Result<Vec<u8>, StoreError> {
        self.ready().await?;
        self.secret
            .get_or_try_init(|| self.drawn_secret("key-secret"))
            .await
            .cloned()
    }
}

#[cfg(test)]
mod migration_tests {
    use super::MIGRATIONS;

    #[test]
    fn migration_versions_are_unique_and_increasing() {
        // A repeated version would be skipped where the first one ran.
        for pair in MIGRATIONS.windows(2) {
            assert!(
                pair[0].0 < pair[1].0,
                "migration {} after {}",
                pair[1].0,
                pair[0].0
            );
        }
    }
}
