//! Connecting to the database and running transactions.

use crate::crypto::{FieldCipher, MasterKey};
use crate::{Result, StoreError};
use hearth_domain::ids::OrgId;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyConnection, AnyPool, Executor};
use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }
}

/// How many SQLite connections read at once: more than the cores, so a reader waiting on the
/// disk does not hold up the others.
const READERS: u32 = 8;

/// A transaction: one user action is one of these, committed or not at all.
pub type Tx = sqlx::Transaction<'static, sqlx::Any>;

/// The database, the key that protects it, and its connections: one pool that writes and one
/// that reads. On SQLite the write pool is a single connection, so writers queue in order for it
/// instead of spinning on "database is locked", and readers read snapshots beside it (WAL) on
/// connections that refuse to write. On PostgreSQL both are one pool.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    reads: AnyPool,
    audit_writer: crate::group_commit::views::AuditWriter,
    /// Units of work that write share transactions through this; see
    /// [`crate::group_commit::writes`].
    writer: crate::group_commit::writes::Writer,
    backend: Backend,
    master: Arc<MasterKey>,
    audit_key: Arc<[u8; 32]>,
    /// Each organisation's cipher, with the wrapped key it was unwrapped from.
    ciphers: Arc<Mutex<CipherCache>>,
    /// Instrument versions as parsed: a version never changes once loaded, so each is read from
    /// its definition once per process.
    instruments: Arc<Mutex<InstrumentCache>>,
    /// Programme catalogues as parsed, by organisation and version: never changed once loaded.
    catalogues: Arc<Mutex<CatalogueCache>>,
}

/// Each organisation's cipher, by the wrapped key it was unwrapped from.
type CipherCache = HashMap<OrgId, (Vec<u8>, FieldCipher)>;

type CatalogueCache = HashMap<(OrgId, i64), Arc<hearth_domain::programme::Catalogue>>;

type InstrumentCache = HashMap<(OrgId, String, i64), Arc<hearth_domain::instrument::Instrument>>;

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

/// Turn what an operator typed (a file path, `sqlite:` URL or `postgres://` URL) into a URL.
pub fn normalise_url(raw: &str) -> (Backend, String) {
    let raw = raw.trim();
    if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
        (Backend::Postgres, raw.to_string())
    } else if let Some(rest) = raw.strip_prefix("sqlite:") {
        let rest = rest.trim_start_matches("//");
        let url = if rest.contains('?') {
            format!("sqlite://{rest}")
        } else {
            format!("sqlite://{rest}?mode=rwc")
        };
        (Backend::Sqlite, url)
    } else {
        (Backend::Sqlite, format!("sqlite://{raw}?mode=rwc"))
    }
}

impl Store {
    /// A catalogue version from the cache, or parsed by `parse` and kept.
    pub(crate) fn parsed_catalogue_cached(
        &self,
        org_id: OrgId,
        version: i64,
        parse: impl FnOnce() -> Result<hearth_domain::programme::Catalogue>,
    ) -> Result<Arc<hearth_domain::programme::Catalogue>> {
        if let Some(c) = self
            .catalogues
            .lock()
            .expect("catalogue cache")
            .get(&(org_id, version))
        {
            return Ok(c.clone());
        }
        let parsed = Arc::new(parse()?);
        self.catalogues
            .lock()
            .expect("catalogue cache")
            .insert((org_id, version), parsed.clone());
        Ok(parsed)
    }

    /// A stored instrument version, parsed: from the cache if this process has parsed it before.
    /// Keyed by organisation, instrument and version, which together never change.
    pub fn parsed_instrument(
        &self,
        org_id: OrgId,
        stored: &crate::risk::StoredInstrument,
    ) -> std::result::Result<
        Arc<hearth_domain::instrument::Instrument>,
        hearth_domain::instrument::DefinitionError,
    > {
        let key = (org_id, stored.key.clone(), stored.version);
        if let Some(i) = self.instruments.lock().expect("instrument cache").get(&key) {
            return Ok(i.clone());
        }
        let parsed = Arc::new(hearth_domain::instrument::parse(
            &stored.source,
            &stored.definition,
        )?);
        self.instruments
            .lock()
            .expect("instrument cache")
            .insert(key, parsed.clone());
        Ok(parsed)
    }
}

impl Store {
    /// Connect and check that the key is the one this database was created with.
    pub async fn connect(url: &str, master: MasterKey) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let (backend, url) = normalise_url(url);
        let options = AnyConnectOptions::from_str(&url)?;
        let (pool, reads, writes) = match backend {
            Backend::Sqlite => {
                let open = |connections: u32, read_only: bool| {
                    AnyPoolOptions::new()
                        .max_connections(connections)
                        .acquire_timeout(Duration::from_secs(10))
                        .after_connect(move |conn, _meta| {
                            Box::pin(async move {
                                // WAL for readers beside the writer; FULL so a save that said
                                // "saved" survives power loss; foreign keys enforced; wait, not
                                // fail, on locks (a checkpoint can briefly hold readers).
                                conn.execute(
                                    "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; \
                                     PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;",
                                )
                                .await?;
                                if read_only {
                                    // Each reader keeps 8 MiB of pages (64 MiB for all eight),
                                    // so a busy caseload is read from memory, not the disk.
                                    conn.execute(
                                        "PRAGMA query_only = ON; PRAGMA cache_size = -8192;",
                                    )
                                    .await?;
                                } else {
                                    // The one writer keeps more of the file in memory (64 MiB):
                                    // a bulk load or a busy hour touches index pages all over.
                                    conn.execute("PRAGMA cache_size = -65536;").await?;
                                }
                                Ok(())
                            })
                        })
                        .connect_with(options.clone())
                };
                // The writer first: it creates the file and turns WAL on.
                let pool = open(1, false).await?;
                let reads = open(READERS, true).await?;
                // The one connection that writes serves the shared writer and maintenance alike.
                (pool.clone(), reads, pool)
            }
            Backend::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(options.clone())
                    .await?;
                // The shared writer has a connection of its own, so the views waiting on it
                // (for their audit entries) can never be waiting for a connection that views
                // hold.
                let writes = AnyPoolOptions::new()
                    .max_connections(1)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(options)
                    .await?;
                (pool.clone(), pool, writes)
            }
        };
        let audit_key = Arc::new(master.derive(b"hearth audit chain v1"));
        let writer = crate::group_commit::writes::Writer::new(writes, backend, audit_key.clone());
        let audit_writer = crate::group_commit::views::AuditWriter::start(writer.clone());
        Ok(Store {
            pool,
            reads,
            audit_writer,
            writer,
            backend,
            master: Arc::new(master),
            audit_key,
            ciphers: Arc::new(Mutex::new(HashMap::new())),
            instruments: Arc::new(Mutex::new(HashMap::new())),
            catalogues: Arc::new(Mutex::new(HashMap::new())),
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The pool that writes.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub(crate) fn audit_writer(&self) -> &crate::group_commit::views::AuditWriter {
        &self.audit_writer
    }

    /// How many units of work are waiting to begin writing. For tests and for watching a busy
    /// server.
    pub fn writers_waiting(&self) -> usize {
        self.writer.waiting()
    }

    /// Where units of work that write begin: they share transactions.
    pub(crate) fn writer(&self) -> &crate::group_commit::writes::Writer {
        &self.writer
    }

    pub fn master_key(&self) -> &MasterKey {
        &self.master
    }

    pub fn audit_key(&self) -> &[u8] {
        &self.audit_key[..]
    }

    /// Apply any migrations this database has not had, then check the key. Two processes
    /// migrating one new database at once must not both apply the same migration: on
    /// PostgreSQL sqlx's migrator holds an advisory lock; on SQLite the whole run happens in one
    /// `BEGIN IMMEDIATE` transaction, so the second waits for the write lock and then finds
    /// every migration applied (sqlx nests its per-migration transactions as savepoints).
    pub async fn migrate(&self) -> Result<()> {
        self.migrate_schema(crate::migrate::latest_version())
            .await?;
        self.check_key().await?;
        if crate::identity::seal_legacy(self).await? > 0 && self.backend == Backend::Sqlite {
            // The plain text just blanked is still in the file's free pages: rewrite the file
            // so a copy of it names nobody.
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(&self.pool)
                .await?;
            sqlx::query("VACUUM").execute(&self.pool).await?;
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(&self.pool)
                .await?;
        }
        self.optimize().await
    }

    /// Apply the migrations up to `version` and no further: the schema step of [`Store::migrate`],
    /// and how a test builds a database as an older release left it.
    pub(crate) async fn migrate_schema(&self, version: i64) -> Result<()> {
        let migrator = crate::migrate::migrator(self.backend, version).await?;
        match self.backend {
            Backend::Sqlite => {
                let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
                migrator.run(&mut *tx).await?;
                tx.commit().await?;
            }
            Backend::Postgres => migrator.run(&self.pool).await?,
        }
        Ok(())
    }

    /// Bring the planner's statistics up to date, at start and after a bulk load. SQLite never
    /// gathers them by itself, and without them it picks the wrong index for MARAC actions and
    /// allocation counts. PostgreSQL's autovacuum would, but it may be off or not yet have
    /// woken after a bulk load: on a freshly generated service without statistics a search by
    /// name took 370 ms instead of 7 and an Idva's home page 420 ms instead of 8.
    pub async fn optimize(&self) -> Result<()> {
        match self.backend {
            Backend::Sqlite => {
                // 0x10000: look at every table; 0x2: analyse those that need it, in full. The
                // default's row limit (0x10) is left out on purpose: a sample of an index's
                // first rows misjudges a skewed column, and the planner then picks the wrong
                // index (the test below fails with it). The cost is time where a table has
                // grown: on the national set, three and a half minutes after generating it.
                sqlx::query("PRAGMA optimize=0x10002")
                    .execute(&self.pool)
                    .await?;
                self.drop_value_samples().await?;
                self.reopen_readers().await?;
            }
            Backend::Postgres => {
                // The tables autovacuum would analyse (its default threshold: 50 rows and a
                // tenth of the table changed since last time), so a start on a database whose
                // statistics are current costs one small query. ANALYZE samples, so even the
                // national set's largest tables take seconds.
                let stale: Vec<String> = sqlx::query_scalar(
                    "SELECT relname::text FROM pg_stat_user_tables \
                     WHERE n_mod_since_analyze > 50 + n_live_tup / 10",
                )
                .fetch_all(&self.pool)
                .await?;
                for table in stale {
                    let quoted = format!("\"{}\"", table.replace('"', "\"\""));
                    sqlx::query(&format!("ANALYZE {quoted}"))
                        .execute(&self.pool)
                        .await?;
                }
            }
        }
        Ok(())
    }

    /// The bundled SQLite is built to keep samples of indexed values too (`sqlite_stat4`). With
    /// them, a statement whose plan could depend on a bound value is parsed and planned again
    /// whenever it runs with new values, so the statements each connection keeps prepared were
    /// prepared afresh on every page: 18% of the server's CPU on a case page, which served 35%
    /// more a second without them. The averages in `sqlite_stat1` stay, and choose the indexes;
    /// the samples are dropped, and the writer reads the statistics again without them.
    async fn drop_value_samples(&self) -> Result<()> {
        let sampled: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'sqlite_stat4'",
        )
        .fetch_optional(&self.pool)
        .await?;
        if sampled.is_some() {
            let mut writer = self.pool.acquire().await?;
            writer
                .execute("DELETE FROM sqlite_stat4; ANALYZE sqlite_schema;")
                .await?;
        }
        Ok(())
    }

    /// A SQLite connection reads the planner's statistics with the schema and keeps them: one
    /// opened before `ANALYZE` goes on planning without them, since statistics alone do not
    /// make it read the schema again. After a bulk load that left a team's due counts taking 2 s
    /// on one reader and 5 ms on the next. So every reader open now is taken and closed, and the
    /// pool opens new ones, with the statistics, as they are needed. This runs when nothing else
    /// reads (at start, after a bulk load), so each one taken is idle, and none is opened only
    /// to be closed.
    async fn reopen_readers(&self) -> Result<()> {
        let open = self.reads.size();
        let mut readers = Vec::with_capacity(open as usize);
        for _ in 0..open {
            readers.push(self.reads.acquire().await?);
        }
        for reader in readers {
            reader.close().await?;
        }
        Ok(())
    }

    /// Before a bulk load (the generator) with nothing else running: the one SQLite writer
    /// keeps up to 1 GiB of the file's pages instead of 64 MiB, because a load touches index
    /// pages all over a file larger than the default holds, and each one missed is a read from
    /// the kernel. PostgreSQL keeps its own buffers: nothing changes there.
    pub async fn prepare_bulk_load(&self) -> Result<()> {
        if self.backend == Backend::Sqlite {
            sqlx::query("PRAGMA cache_size = -1048576")
                .execute(&self.pool)
                .await?;
        }
        Ok(())
    }

    /// After a bulk load (the generator, the demo): every table's statistics, now, rather than
    /// waiting for the counts of changed rows that [`Store::optimize`] goes by to reach the
    /// statistics collector.
    pub async fn analyze_after_bulk_load(&self) -> Result<()> {
        match self.backend {
            Backend::Sqlite => self.optimize().await,
            Backend::Postgres => {
                // VACUUM too: it marks the loaded pages all-visible, without which an
                // index-only scan (a caseload's size, a case's open allocations) still reads
                // every row from the table. Autovacuum would, in time, where it is on.
                sqlx::query("VACUUM ANALYZE").execute(&self.pool).await?;
                Ok(())
            }
        }
    }

    /// A database is tied to the key it was created with: opening it with another key would
    /// make every encrypted field unreadable, so refuse at once and say why.
    async fn check_key(&self) -> Result<()> {
        let fingerprint = self.master.fingerprint();
        let mut conn = self.pool.acquire().await?;
        // The first process to open a new database records its key; a second opening it at the
        // same moment finds that record rather than failing on it.
        sqlx::query(
            "INSERT INTO meta (key, value) VALUES ('key_fingerprint', $1) ON CONFLICT (key) DO NOTHING",
        )
        .bind(&fingerprint)
        .execute(&mut *conn)
        .await?;
        let stored: String =
            sqlx::query_scalar("SELECT value FROM meta WHERE key = 'key_fingerprint'")
                .fetch_one(&mut *conn)
                .await?;
        if stored == fingerprint {
            Ok(())
        } else {
            Err(StoreError::Config(
                "the key file does not match this database: use the key file it was created with"
                    .into(),
            ))
        }
    }

    /// Begin a transaction that will write. On SQLite it takes the write lock at once
    /// (BEGIN IMMEDIATE), so a transaction that reads then writes cannot fail half-way with
    /// "database is locked"; it waits for the lock instead.
    ///
    /// The BEGIN runs on its own task. If the caller is cancelled while it runs (a client
    /// hanging up), sqlx has sent BEGIN but not yet built the guard that rolls back on drop, and
    /// the connection would go back to the pool inside an open transaction: every later use
    /// of it failed, and on SQLite it held the write lock for good. On its own task the BEGIN
    /// always finishes, and a transaction nobody awaits is dropped there and rolled back.
    pub async fn begin(&self) -> Result<Tx> {
        let (pool, backend) = (self.pool.clone(), self.backend);
        let begun = tokio::spawn(async move {
            match backend {
                Backend::Sqlite => pool.begin_with("BEGIN IMMEDIATE").await,
                Backend::Postgres => pool.begin().await,
            }
        })
        .await
        .map_err(|e| StoreError::Config(format!("beginning a transaction failed: {e}")))?;
        Ok(begun?)
    }

    /// Begin a read-only transaction: one snapshot for everything it reads, taken without the
    /// write lock (SQLite's WAL readers; PostgreSQL's repeatable read). Begun on its own task for
    /// the same reason as [`Store::begin`].
    pub async fn begin_read(&self) -> Result<Tx> {
        let (pool, backend) = (self.reads.clone(), self.backend);
        let begun = tokio::spawn(async move {
            match backend {
                Backend::Sqlite => pool.begin().await,
                Backend::Postgres => {
                    pool.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                        .await
                }
            }
        })
        .await
        .map_err(|e| StoreError::Config(format!("beginning a transaction failed: {e}")))?;
        Ok(begun?)
    }

    /// A connection for reads that change nothing (and so are not audited). On SQLite it
    /// refuses to write.
    pub async fn conn(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Any>> {
        Ok(self.reads.acquire().await?)
    }

    /// A connection for a single write outside a unit of work (a session touched, a login
    /// attempt counted), from the write pool.
    pub async fn write_conn(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Any>> {
        Ok(self.pool.acquire().await?)
    }

    /// The cipher for one organisation's encrypted fields, for the key the database holds now as
    /// the caller's transaction sees it: so nothing is sealed under a key that a rotation has
    /// replaced, and nothing fails to open, whichever process rotated it. One read of the
    /// wrapped key; it is unwrapped again only when it has changed.
    pub async fn cipher(&self, conn: &mut AnyConnection, org_id: OrgId) -> Result<FieldCipher> {
        let wrapped: Vec<u8> =
            sqlx::query_scalar("SELECT wrapped_key FROM organisations WHERE id = $1")
                .bind(org_id.to_string())
                .fetch_one(&mut *conn)
                .await?;
        let mut ciphers = self.ciphers.lock().expect("cipher cache");
        if let Some((held, c)) = ciphers.get(&org_id) {
            if *held == wrapped {
                return Ok(c.clone());
            }
        }
        let cipher = self.master.unwrap_org_key(org_id, &wrapped)?;
        ciphers.insert(org_id, (wrapped, cipher.clone()));
        Ok(cipher)
    }

    /// A new data key for the organisation: the cipher, and the key wrapped for storing.
    pub(crate) fn new_org_key(&self, org_id: OrgId) -> Result<(FieldCipher, Vec<u8>)> {
        self.master.new_org_key(org_id)
    }

    /// Whether the database answers: for `/healthz`.
    pub async fn ping(&self) -> bool {
        sqlx::query_scalar::<_, i64>("SELECT 1")
            .fetch_one(&self.reads)
            .await
            .is_ok()
    }

    pub async fn close(&self) {
        self.reads.close().await;
        self.pool.close().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plan a reader makes for a lookup that the statistics decide: without them an
    /// equality on `a` looks best; with them SQLite knows every row has the same `a`.
    async fn plan(store: &Store) -> String {
        let mut reader = store.conn().await.unwrap();
        let rows = sqlx::query("EXPLAIN QUERY PLAN SELECT id FROM t WHERE a = 1 AND b > 19990")
            .fetch_all(&mut *reader)
            .await
            .unwrap();
        rows.iter()
            .map(|r| sqlx::Row::get::<String, _>(r, "detail"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    #[tokio::test]
    async fn readers_opened_before_a_bulk_load_plan_with_its_averages_and_no_samples() {
        let dir = crate::testing::scratch_dir();
        let path = dir.join("readers_replan.db");
        for stale in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{stale}", path.display()));
        }
        let key = MasterKey::generate();
        let store = Store::connect(&path.to_string_lossy(), key).await.unwrap();
        store.migrate().await.unwrap();
        // A bulk load, as the generator makes one: many rows, all with the same `a`.
        let mut w = store.pool().acquire().await.unwrap();
        w.execute(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER NOT NULL, b INTEGER NOT NULL); \
             CREATE INDEX t_a ON t (a); CREATE INDEX t_b ON t (b); \
             WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 19999) \
             INSERT INTO t (a, b) SELECT 1, i FROM n;",
        )
        .await
        .unwrap();
        drop(w);
        // A reader that has read the schema before the statistics were gathered.
        assert!(plan(&store).await.contains("t_a"), "no statistics yet");
        store.analyze_after_bulk_load().await.unwrap();
        let after = plan(&store).await;
        assert!(
            after.contains("t_b"),
            "planned without the statistics: {after}"
        );
        // The averages are kept; the value samples, which would make every statement that
        // consults them be planned again on each run, are not.
        let mut reader = store.conn().await.unwrap();
        let averages: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sqlite_stat1 WHERE tbl = 't'")
            .fetch_one(&mut *reader)
            .await
            .unwrap();
        assert!(averages > 0);
        let samples: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sqlite_stat4")
            .fetch_one(&mut *reader)
            .await
            .unwrap();
        assert_eq!(samples, 0);
        drop(reader);
        store.close().await;
    }
}
