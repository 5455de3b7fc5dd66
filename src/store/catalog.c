/*
 * catalog.c — the store's SQLite catalog (catalog.h). WAL mode with
 * synchronous=FULL on commit: the manifest and custody log are the store's
 * source of truth, so a committed transaction must survive a crash.
 */
#include "store/catalog.h"

#include "core/fault.h"
#include "core/hash.h"
#include "core/timeparse.h"
#include "store/store.h"

#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <time.h>
#include <unistd.h>

/* Prepared statements are cached per catalog (keyed by the SQL text's
 * address: every statement is a string literal) and reset after use. */
#define KM_CAT_STMTS 48
struct name_ent {
    char *text;
    int64_t id;
};

struct km_catalog {
    sqlite3 *db;
    char *path;
    struct name_ent *names;       /* interned-name cache, open addressing */
    size_t nnames, capnames;
    int have_head;                /* custody chain head cached? */
    int have_conflicts;           /* conflicts table created by this handle? */
    uint64_t head_seq;
    char head_hash[65];
    int readonly;                 /* opened immutable: the process may not write it */
    int injected;                 /* the last step failed by KUMO_FAULT */
    int reader;                   /* km_cat_open_reader: its own fault family */
    int anchors;                  /* the tables have their `anchor` columns */
    int appended;                 /* custody records appended in the open transaction */
    int have_totals;              /* running totals of the last commit record cached? */
    uint64_t totals[KM_ANCHOR_NTOTALS];
    char last_operator[128];      /* of the last record appended (commit records reuse it) */
    char last_host[128];
    struct {
        const char *sql;
        sqlite3_stmt *st;
    } cache[KM_CAT_STMTS];
};

/* Repeated texts (directories, formats, packs, operators, hosts, chains)
 * are interned in `names`; rows hold their ids. Hashes are 32-byte blobs. */
#define KM_CAT_SCHEMA_VERSION 1 /* bump with every SCHEMA change */
#define KM_STRINGIFY_(x) #x
#define KM_STRINGIFY(x) KM_STRINGIFY_(x)
static const char *SCHEMA =
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);"
    "CREATE TABLE IF NOT EXISTS names(id INTEGER PRIMARY KEY, text TEXT NOT NULL UNIQUE);"
    "CREATE TABLE IF NOT EXISTS evidence("
    "  id INTEGER PRIMARY KEY, sha256 BLOB NOT NULL UNIQUE, size INTEGER NOT NULL,"
    "  format INTEGER NOT NULL DEFAULT 0, dir INTEGER NOT NULL, base TEXT NOT NULL,"
    "  complete INTEGER NOT NULL DEFAULT 0, pack INTEGER NOT NULL DEFAULT 0,"
    "  pack_off INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS objects("
    "  id INTEGER PRIMARY KEY, evidence_id INTEGER NOT NULL, idx INTEGER NOT NULL,"
    "  member TEXT NOT NULL, chain INTEGER NOT NULL, UNIQUE(evidence_id, idx));"
    "CREATE TABLE IF NOT EXISTS custody("
    "  seq INTEGER PRIMARY KEY, time INTEGER NOT NULL, operator INTEGER NOT NULL,"
    "  host INTEGER NOT NULL, action TEXT NOT NULL, evidence_id INTEGER NOT NULL,"
    "  dir INTEGER NOT NULL, base TEXT NOT NULL, format INTEGER NOT NULL,"
    "  events_new INTEGER NOT NULL, events_dup INTEGER NOT NULL,"
    "  events_rejected INTEGER NOT NULL, note TEXT NOT NULL, hash BLOB NOT NULL);"
    "CREATE TABLE IF NOT EXISTS segments("
    "  id INTEGER PRIMARY KEY, file TEXT NOT NULL UNIQUE, rows INTEGER NOT NULL,"
    "  tmin INTEGER NOT NULL, tmax INTEGER NOT NULL, bytes INTEGER NOT NULL,"
    "  sha256 TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS segment_groups("
    "  segment_id INTEGER NOT NULL, provider TEXT NOT NULL, source TEXT NOT NULL,"
    "  account TEXT NOT NULL, rows INTEGER NOT NULL, tmin INTEGER NOT NULL,"
    "  tmax INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS rejects("
    "  id INTEGER PRIMARY KEY, evidence_id INTEGER NOT NULL, member TEXT NOT NULL,"
    "  offset INTEGER NOT NULL, line INTEGER NOT NULL, code INTEGER NOT NULL,"
    "  reason TEXT NOT NULL);"
    "CREATE VIEW IF NOT EXISTS evidence_v AS SELECT e.id, e.sha256, e.size,"
    "  COALESCE(f.text, ''), d.text || e.base, e.complete, COALESCE(p.text, ''), e.pack_off"
    "  FROM evidence e JOIN names d ON d.id = e.dir LEFT JOIN names f ON f.id = e.format"
    "  LEFT JOIN names p ON p.id = e.pack;"
    "CREATE VIEW IF NOT EXISTS custody_v AS SELECT c.seq, c.time, o.text, h.text, c.action,"
    "  d.text || c.base, e.sha256, e.size, COALESCE(f.text, ''), c.events_new, c.events_dup,"
    "  c.events_rejected, c.note, c.hash"
    "  FROM custody c JOIN names o ON o.id = c.operator JOIN names h ON h.id = c.host"
    "  JOIN names d ON d.id = c.dir LEFT JOIN evidence e ON e.id = c.evidence_id"
    "  LEFT JOIN names f ON f.id = c.format;";

static int sqlerr(struct km_catalog *c, struct km_err *err, const char *what)
{
    const char *why = c->injected ? "injected SQLite error (KUMO_FAULT)" : sqlite3_errmsg(c->db);
    c->injected = 0;
    return km_err_set(err, KM_ESQL, c->path, UINT64_MAX, "%s: %s", what, why);
}

/* sqlite3_step, and the "catalog-step" KUMO_FAULT point (core/fault.h):
 * every statement's result must be checked, a loop over rows must end on
 * SQLITE_DONE, and an error must reach the user — the fault point proves
 * it by failing the N-th step of the process as an I/O error would. */
static int step(struct km_catalog *c, sqlite3_stmt *st)
{
    if (km_fault(c->reader ? "catalog-reader-step" : "catalog-step", sqlite3_sql(st))) {
        c->injected = 1;
        return SQLITE_IOERR;
    }
    c->injected = 0;
    return sqlite3_step(st);
}

/*
 * A catalog the process may not write (a store copied read-only, evidence on
 * write-protected media): SQLite cannot even read a WAL database without
 * creating its -shm file, so it is opened immutable. That is exact only when
 * no write-ahead log holds unmerged pages (kumo's last writer merges and
 * removes it on close); a non-empty -wal is refused with a message.
 */
static int open_immutable(struct km_catalog *c, const char *path, struct km_err *err)
{
    char wal[4200];
    struct stat st;
    snprintf(wal, sizeof wal, "%s-wal", path);
    if (stat(wal, &st) == 0 && st.st_size > 0)
        return km_err_set(err, KM_ESQL, path, UINT64_MAX,
                          "the catalog is read-only and its write-ahead log (%s) holds changes "
                          "not merged yet: open the store once with write access", wal);
    if (strpbrk(path, "?#%"))
        return km_err_set(err, KM_ESQL, path, UINT64_MAX,
                          "read-only catalog in a path with '?', '#' or '%%': cannot open it");
    char uri[4200];
    snprintf(uri, sizeof uri, "file:%s?immutable=1", path);
    sqlite3_close(c->db);
    c->db = NULL;
    if (sqlite3_open_v2(uri, &c->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK)
        return sqlerr(c, err, "cannot open the read-only catalog");
    c->readonly = 1;
    return KM_OK;
}

/* ---- anchor columns (catalog.h, docs/verify.md) ---- */

static int has_anchor_columns(struct km_catalog *c)
{
    static const char *const probe[] = {
        "SELECT anchor FROM segments LIMIT 0", "SELECT anchor FROM evidence LIMIT 0",
        "SELECT anchor FROM objects LIMIT 0", "SELECT anchor FROM rejects LIMIT 0"};
    for (size_t i = 0; i < KM_ARRAY_LEN(probe); i++) {
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(c->db, probe[i], -1, &st, NULL) != SQLITE_OK) {
            sqlite3_finalize(st);
            return 0;
        }
        sqlite3_finalize(st);
    }
    return 1;
}

/* Stores made before anchoring get the columns (NULL: not anchored yet; the
 * next commit anchors those rows). A failure leaves the store as it was and
 * only disables anchoring for this process (a reader may lose the race for
 * the write lock to an ingest). */
static void add_anchor_columns(struct km_catalog *c)
{
    static const char *const indexes =
        "CREATE INDEX IF NOT EXISTS segments_anchor ON segments(anchor);"
        "CREATE INDEX IF NOT EXISTS evidence_anchor ON evidence(anchor);"
        "CREATE INDEX IF NOT EXISTS objects_anchor ON objects(anchor);"
        "CREATE INDEX IF NOT EXISTS rejects_anchor ON rejects(anchor);"
        "CREATE INDEX IF NOT EXISTS segment_groups_segment ON segment_groups(segment_id);"
        "CREATE INDEX IF NOT EXISTS rejects_evidence ON rejects(evidence_id);";
    if (has_anchor_columns(c)) {
        c->anchors = 1;
        return;
    }
    static const char *const tables[] = {"segments", "evidence", "objects", "rejects"};
    /* a reader must not wait long for a running ingest's transaction */
    sqlite3_busy_timeout(c->db, 500);
    int began = sqlite3_exec(c->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK;
    sqlite3_busy_timeout(c->db, 10000);
    if (!began)
        return;
    int ok = 1;
    for (size_t i = 0; ok && i < KM_ARRAY_LEN(tables); i++) {
        char sql[128], probe[128];
        snprintf(probe, sizeof probe, "SELECT anchor FROM %s LIMIT 0", tables[i]);
        sqlite3_stmt *st = NULL;
        int have = sqlite3_prepare_v2(c->db, probe, -1, &st, NULL) == SQLITE_OK;
        sqlite3_finalize(st);
        snprintf(sql, sizeof sql, "ALTER TABLE %s ADD COLUMN anchor INTEGER", tables[i]);
        if (!have && sqlite3_exec(c->db, sql, NULL, NULL, NULL) != SQLITE_OK)
            ok = 0;
    }
    if (ok && sqlite3_exec(c->db, indexes, NULL, NULL, NULL) != SQLITE_OK)
        ok = 0;
    if (!ok || sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        km_log(1, "kumo: %s: cannot add anchor columns (%s): this run does not anchor\n",
               c->path, sqlite3_errmsg(c->db));
        sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
        return;
    }
    c->anchors = 1;
}

static void head_write(struct km_catalog *c);
static void head_path(const struct km_catalog *c, char *out, size_t n);
static int load_head(struct km_catalog *c, struct km_err *err);

/* A writer of a catalog that no commit record anchors yet (a new store, or
 * one made before anchoring) writes STORE/HEAD naming the chain's current end
 * ("0 000…" for an empty chain) before its first commit, so a crash between
 * that commit and its HEAD update leaves records past HEAD (a note), never a
 * missing HEAD (which verify reports once commit records exist). */
static void head_adopt(struct km_catalog *c)
{
    if (!c->anchors)
        return;
    char p[4200];
    head_path(c, p, sizeof p);
    if (access(p, F_OK) == 0 || errno != ENOENT)
        return;
    sqlite3_stmt *st = NULL;
    int committed = 1;
    if (sqlite3_prepare_v2(c->db, "SELECT 1 FROM custody WHERE action = 'commit' LIMIT 1", -1,
                           &st, NULL) == SQLITE_OK) {
        int rc = sqlite3_step(st);
        committed = rc != SQLITE_DONE; /* a row, or an error: leave HEAD alone */
    }
    sqlite3_finalize(st);
    struct km_err e;
    km_err_clear(&e);
    if (!committed && load_head(c, &e) == KM_OK)
        head_write(c);
}

int km_cat_open(const char *path, int create, struct km_catalog **out, struct km_err *err)
{
    *out = NULL;
    struct km_catalog *c = km_xcalloc(1, sizeof *c);
    c->path = km_xstrdup(path);
    int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path, &c->db, flags, NULL) != SQLITE_OK) {
        int rc = sqlerr(c, err, "cannot open catalog");
        km_cat_close(c);
        return rc;
    }
    sqlite3_busy_timeout(c->db, 10000);
    char *msg = NULL;
    /* the schema is created once: a catalog that says it has it (user_version)
     * is opened without re-running every CREATE (each open saves ~1 ms) */
    int have = 0;
    sqlite3_stmt *uv;
    if (sqlite3_prepare_v2(c->db, "PRAGMA user_version", -1, &uv, NULL) == SQLITE_OK) {
        if (sqlite3_step(uv) == SQLITE_ROW)
            have = sqlite3_column_int(uv, 0) == KM_CAT_SCHEMA_VERSION;
        sqlite3_finalize(uv);
    }
    if (!have && sqlite3_db_readonly(c->db, "main") == 1) {
        int rc = open_immutable(c, path, err);
        if (rc == KM_OK && sqlite3_prepare_v2(c->db, "PRAGMA user_version", -1, &uv, NULL) ==
                               SQLITE_OK) {
            if (sqlite3_step(uv) == SQLITE_ROW)
                have = sqlite3_column_int(uv, 0) == KM_CAT_SCHEMA_VERSION;
            sqlite3_finalize(uv);
        }
        if (rc == KM_OK && !have)
            rc = km_err_set(err, KM_ESQL, path, UINT64_MAX,
                            "read-only catalog without kumo's schema (version %d)",
                            KM_CAT_SCHEMA_VERSION);
        if (rc) {
            km_cat_close(c);
            return rc;
        }
        c->anchors = has_anchor_columns(c);
        *out = c;
        return KM_OK;
    }
    if (sqlite3_exec(c->db, "PRAGMA synchronous=FULL;", NULL, NULL, &msg) != SQLITE_OK ||
        (!have && (sqlite3_exec(c->db, "PRAGMA journal_mode=WAL;", NULL, NULL, &msg) != SQLITE_OK ||
                   sqlite3_exec(c->db, SCHEMA, NULL, NULL, &msg) != SQLITE_OK ||
                   sqlite3_exec(c->db, "PRAGMA user_version=" KM_STRINGIFY(KM_CAT_SCHEMA_VERSION),
                                NULL, NULL, &msg) != SQLITE_OK))) {
        km_err_set(err, KM_ESQL, path, UINT64_MAX, "catalog schema: %s", msg ? msg : "?");
        sqlite3_free(msg);
        km_cat_close(c);
        return KM_ESQL;
    }
    if (create && sqlite3_db_readonly(c->db, "main") != 1) {
        add_anchor_columns(c);
        head_adopt(c);
    } else /* readers never change a store */
        c->anchors = has_anchor_columns(c);
    *out = c;
    return KM_OK;
}

void km_cat_close(struct km_catalog *c)
{
    if (!c)
        return;
    for (int i = 0; i < KM_CAT_STMTS; i++)
        if (c->cache[i].st)
            sqlite3_finalize(c->cache[i].st);
    for (size_t i = 0; i < c->capnames; i++)
        free(c->names[i].text);
    free(c->names);
    sqlite3_close(c->db);
    free(c->path);
    free(c);
}


static int exec(struct km_catalog *c, const char *sql, struct km_err *err)
{
    if (km_fault("catalog-step", sql)) {
        c->injected = 1;
        return sqlerr(c, err, sql);
    }
    if (sqlite3_exec(c->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return sqlerr(c, err, sql);
    return KM_OK;
}

/* Begins a write transaction; a no-op when one is already open (the ingest
 * pipeline keeps one open between segment publishes). */
int km_cat_begin(struct km_catalog *c, struct km_err *err)
{
    if (!sqlite3_get_autocommit(c->db))
        return KM_OK;
    return exec(c, "BEGIN IMMEDIATE", err);
}
static void head_write(struct km_catalog *c);

/* Commits; the transaction's newly visible rows are anchored first (a
 * "commit" custody record inside it), and STORE/HEAD follows the chain. */
int km_cat_commit(struct km_catalog *c, struct km_err *err)
{
    int rc;
    if (c->anchors && !c->readonly && !sqlite3_get_autocommit(c->db) &&
        (rc = km_cat_anchor(c, err)) != KM_OK)
        return rc;
    if ((rc = exec(c, "COMMIT", err)) != KM_OK)
        return rc;
    if (c->appended) {
        c->appended = 0;
        head_write(c);
    }
    return KM_OK;
}
int km_cat_in_txn(struct km_catalog *c) { return !sqlite3_get_autocommit(c->db); }
/* Rolls back; cached state that may describe rolled-back rows is dropped. */
void km_cat_rollback(struct km_catalog *c)
{
    sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
    c->have_head = 0;
    c->appended = 0;
    c->have_totals = 0;
    for (size_t i = 0; i < c->capnames; i++) {
        free(c->names[i].text);
        c->names[i].text = NULL;
    }
    c->nnames = 0;
}

static sqlite3_stmt *prep(struct km_catalog *c, const char *sql, struct km_err *err)
{
    int i;
    for (i = 0; i < KM_CAT_STMTS && c->cache[i].sql; i++)
        if (c->cache[i].sql == sql)
            return c->cache[i].st;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
        sqlerr(c, err, "prepare");
        return NULL;
    }
    if (i < KM_CAT_STMTS) {
        c->cache[i].sql = sql;
        c->cache[i].st = st;
    }
    return st;
}

/* Ends the use of a statement from prep(): reset for the next use. */
static void done(struct km_catalog *c, sqlite3_stmt *st)
{
    for (int i = 0; i < KM_CAT_STMTS && c->cache[i].sql; i++)
        if (c->cache[i].st == st) {
            sqlite3_reset(st);
            sqlite3_clear_bindings(st);
            return;
        }
    sqlite3_finalize(st); /* not cached (the cache was full) */
}

static uint64_t name_hash(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return h;
}

/* Returns the id of text in `names`, inserting it if new; 0 on error. */
static int64_t name_id(struct km_catalog *c, const char *text, size_t n, struct km_err *err)
{
    if ((c->nnames + 1) * 2 > c->capnames) {
        size_t ncap = c->capnames ? c->capnames * 2 : 256;
        struct name_ent *nt = km_xcalloc(ncap, sizeof *nt);
        for (size_t i = 0; i < c->capnames; i++) {
            if (!c->names[i].text)
                continue;
            size_t k = name_hash(c->names[i].text, strlen(c->names[i].text)) & (ncap - 1);
            while (nt[k].text)
                k = (k + 1) & (ncap - 1);
            nt[k] = c->names[i];
        }
        free(c->names);
        c->names = nt;
        c->capnames = ncap;
    }
    size_t k = name_hash(text, n) & (c->capnames - 1);
    while (c->names[k].text) {
        if (strlen(c->names[k].text) == n && memcmp(c->names[k].text, text, n) == 0)
            return c->names[k].id;
        k = (k + 1) & (c->capnames - 1);
    }
    sqlite3_stmt *st = prep(c, "INSERT INTO names(text) VALUES(?) ON CONFLICT(text) DO UPDATE"
                               " SET text = excluded.text RETURNING id", err);
    if (!st)
        return 0;
    sqlite3_bind_text(st, 1, text, (int)n, SQLITE_STATIC);
    int64_t id = step(c, st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    done(c, st);
    if (!id) {
        sqlerr(c, err, "intern name");
        return 0;
    }
    char *copy = km_xmalloc(n + 1);
    memcpy(copy, text, n);
    copy[n] = 0;
    c->names[k].text = copy;
    c->names[k].id = id;
    c->nnames++;
    return id;
}

/* Splits a path into directory (with the trailing '/') and base name. */
static size_t dir_len(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? (size_t)(slash - path + 1) : 0;
}

static void colcpy(char *dst, size_t n, sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    snprintf(dst, n, "%s", t ? (const char *)t : "");
}

/* Hashes are stored as 32-byte blobs and handled as hex text. */
static void colhex(char out[65], sqlite3_stmt *st, int col)
{
    const void *b = sqlite3_column_blob(st, col);
    if (b && sqlite3_column_bytes(st, col) == 32)
        km_hex(b, 32, out);
    else
        out[0] = 0;
}

static void bindhex(sqlite3_stmt *st, int col, const char *hex, uint8_t buf[32])
{
    if (strlen(hex) == 64 && km_unhex(hex, 32, buf) == 0)
        sqlite3_bind_blob(st, col, buf, 32, SQLITE_STATIC);
    else
        sqlite3_bind_zeroblob(st, col, 32);
}

static void ev_from_row(sqlite3_stmt *st, struct km_evidence *ev)
{
    ev->id = (uint64_t)sqlite3_column_int64(st, 0);
    colhex(ev->sha256, st, 1);
    ev->size = (uint64_t)sqlite3_column_int64(st, 2);
    colcpy(ev->format, sizeof ev->format, st, 3);
    colcpy(ev->source_path, sizeof ev->source_path, st, 4);
    ev->complete = sqlite3_column_int(st, 5);
    colcpy(ev->pack, sizeof ev->pack, st, 6);
    ev->pack_off = (uint64_t)sqlite3_column_int64(st, 7);
    if (ev->pack[0])
        ev->vault_path[0] = 0;
    else
        snprintf(ev->vault_path, sizeof ev->vault_path, "vault/%.2s/%s", ev->sha256, ev->sha256);
}

#define EV_COLS "*"

int km_cat_evidence_by_sha(struct km_catalog *c, const char *sha256, struct km_evidence *ev,
                           struct km_err *err)
{
    sqlite3_stmt *st = prep(c, "SELECT * FROM evidence_v WHERE id = (SELECT id FROM evidence WHERE sha256 = ?)", err);
    if (!st)
        return KM_ESQL;
    uint8_t blob[32];
    bindhex(st, 1, sha256, blob);
    int rc = step(c, st);
    if (rc == SQLITE_ROW)
        ev_from_row(st, ev);
    done(c, st);
    return rc == SQLITE_ROW ? KM_OK : rc == SQLITE_DONE ? KM_ENOTFOUND : sqlerr(c, err, "evidence");
}

int km_cat_evidence_by_id(struct km_catalog *c, uint64_t id, struct km_evidence *ev,
                          struct km_err *err)
{
    sqlite3_stmt *st = prep(c, "SELECT * FROM evidence_v WHERE id = ?", err);
    if (!st)
        return KM_ESQL;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
    int rc = step(c, st);
    if (rc == SQLITE_ROW)
        ev_from_row(st, ev);
    done(c, st);
    return rc == SQLITE_ROW ? KM_OK : rc == SQLITE_DONE ? KM_ENOTFOUND : sqlerr(c, err, "evidence");
}

int km_cat_evidence_add(struct km_catalog *c, const struct km_evidence *ev, uint64_t *id,
                        struct km_err *err)
{
    size_t dl = dir_len(ev->source_path);
    int64_t dir = name_id(c, ev->source_path, dl, err);
    int64_t pack = ev->pack[0] ? name_id(c, ev->pack, strlen(ev->pack), err) : 0;
    int64_t fmt = ev->format[0] ? name_id(c, ev->format, strlen(ev->format), err) : 0;
    if (!dir || (ev->pack[0] && !pack) || (ev->format[0] && !fmt))
        return KM_ESQL;
    sqlite3_stmt *st = prep(c,
                            "INSERT INTO evidence(sha256, size, format, dir, base, pack, pack_off)"
                            " VALUES(?,?,?,?,?,?,?) ON CONFLICT(sha256) DO NOTHING",
                            err);
    if (!st)
        return KM_ESQL;
    uint8_t blob[32];
    bindhex(st, 1, ev->sha256, blob);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)ev->size);
    sqlite3_bind_int64(st, 3, fmt);
    sqlite3_bind_int64(st, 4, dir);
    sqlite3_bind_text(st, 5, ev->source_path + dl, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, pack);
    sqlite3_bind_int64(st, 7, (sqlite3_int64)ev->pack_off);
    int rc = step(c, st);
    int changed = sqlite3_changes(c->db);
    done(c, st);
    if (rc != SQLITE_DONE)
        return sqlerr(c, err, "insert evidence");
    if (changed) {
        *id = (uint64_t)sqlite3_last_insert_rowid(c->db);
        return KM_OK;
    }
    struct km_evidence cur;
    rc = km_cat_evidence_by_sha(c, ev->sha256, &cur, err);
    if (rc == KM_OK)
        *id = cur.id;
    return rc;
}


int km_cat_evidence_complete(struct km_catalog *c, uint64_t id, const char *format,
                             struct km_err *err)
{
    int64_t fmt = format && format[0] ? name_id(c, format, strlen(format), err) : 0;
    sqlite3_stmt *st = prep(c,
                            "UPDATE evidence SET complete = 1,"
                            " format = CASE WHEN ?1 > 0 THEN ?1 ELSE format END WHERE id = ?2",
                            err);
    if (!st)
        return KM_ESQL;
    sqlite3_bind_int64(st, 1, fmt);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)id);
    int rc = step(c, st);
    done(c, st);
    return rc == SQLITE_DONE ? KM_OK : sqlerr(c, err, "complete evidence");
}

int km_cat_evidence_each(struct km_catalog *c, int (*cb)(void *, const struct km_evidence *),
                         void *ctx, struct km_err *err)
{
    sqlite3_stmt *st = prep(c, "SELECT * FROM evidence_v ORDER BY id", err);
    if (!st)
        return KM_ESQL;
    int rc = SQLITE_DONE, stop = 0;
    struct km_evidence ev;
    while (!stop && (rc = step(c, st)) == SQLITE_ROW) {
        ev_from_row(st, &ev);
        stop = cb(ctx, &ev);
    }
    done(c, st);
    if (!stop && rc != SQLITE_DONE)
        return sqlerr(c, err, "reading evidence");
    return stop;
}

int km_cat_object_add(struct km_catalog *c, uint64_t evidence_id, uint64_t idx,
                      const char *member, const char *chain, uint64_t *id, struct km_err *err)
{
    int64_t chain_id = name_id(c, chain ? chain : "", chain ? strlen(chain) : 0, err);
    if (!chain_id)
        return KM_ESQL;
    sqlite3_stmt *st = prep(c,
                            "INSERT INTO objects(evidence_id, idx, member, chain) VALUES(?,?,?,?)"
                            " ON CONFLICT(evidence_id, idx) DO UPDATE SET member = excluded.member"
                            " RETURNING id",
                            err);
    if (!st)
        return KM_ESQL;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)evidence_id);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)idx);
    sqlite3_bind_text(st, 3, member ? member : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, chain_id);
    int rc = step(c, st);
    if (rc == SQLITE_ROW)
        *id = (uint64_t)sqlite3_column_int64(st, 0);
    done(c, st);
    return rc == SQLITE_ROW ? KM_OK : sqlerr(c, err, "insert object");
}

int km_cat_object_get(struct km_catalog *c, uint64_t id, struct km_object *o, struct km_err *err)
{
    sqlite3_stmt *st =
        prep(c, "SELECT o.id, o.evidence_id, o.idx, o.member, n.text FROM objects o"
                " JOIN names n ON n.id = o.chain WHERE o.id = ?", err);
    if (!st)
        return KM_ESQL;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
    int rc = step(c, st);
    if (rc == SQLITE_ROW) {
        o->id = (uint64_t)sqlite3_column_int64(st, 0);
        o->evidence_id = (uint64_t)sqlite3_column_int64(st, 1);
        o->idx = (uint64_t)sqlite3_column_int64(st, 2);
        colcpy(o->member, sizeof o->member, st, 3);
        colcpy(o->chain, sizeof o->chain, st, 4);
    }
    done(c, st);
    return rc == SQLITE_ROW ? KM_OK : rc == SQLITE_DONE ? KM_ENOTFOUND : sqlerr(c, err, "object");
}

/* Canonical text of a custody record for hashing: one field per line. */
static void custody_hash(const struct km_custody *r, const char *prev, char out[65])
{
    char buf[4096];
    int n = snprintf(buf, sizeof buf,
                     "%s\nseq=%" PRIu64 "\ntime=%s\noperator=%s\nhost=%s\naction=%s\nsource=%s\n"
                     "sha256=%s\nsize=%" PRIu64 "\nformat=%s\nnew=%" PRIu64 "\ndup=%" PRIu64
                     "\nrejected=%" PRIu64 "\nnote=%s\n",
                     prev, r->seq, r->time, r->operator_, r->host, r->action, r->source_path,
                     r->sha256, r->size, r->format, r->events_new, r->events_dup,
                     r->events_rejected, r->note);
    uint8_t md[32];
    km_sha256(buf, n < (int)sizeof buf ? (size_t)n : sizeof buf - 1, md);
    km_hex(md, 32, out);
}

static void custody_from_row(sqlite3_stmt *st, struct km_custody *r)
{
    r->evidence_id = 0; /* not in the view: the record names its evidence by sha256 */
    r->seq = (uint64_t)sqlite3_column_int64(st, 0);
    km_time_fmt(sqlite3_column_int64(st, 1), r->time);
    colcpy(r->operator_, sizeof r->operator_, st, 2);
    colcpy(r->host, sizeof r->host, st, 3);
    colcpy(r->action, sizeof r->action, st, 4);
    colcpy(r->source_path, sizeof r->source_path, st, 5);
    colhex(r->sha256, st, 6);
    r->size = (uint64_t)sqlite3_column_int64(st, 7);
    colcpy(r->format, sizeof r->format, st, 8);
    r->events_new = (uint64_t)sqlite3_column_int64(st, 9);
    r->events_dup = (uint64_t)sqlite3_column_int64(st, 10);
    r->events_rejected = (uint64_t)sqlite3_column_int64(st, 11);
    colcpy(r->note, sizeof r->note, st, 12);
    colhex(r->hash, st, 13);
}



static int load_head(struct km_catalog *c, struct km_err *err)
{
    if (!c->have_head) {
        sqlite3_stmt *st = prep(c, "SELECT seq, hash FROM custody ORDER BY seq DESC LIMIT 1", err);
        if (!st)
            return KM_ESQL;
        c->head_seq = 0;
        memset(c->head_hash, '0', 64);
        c->head_hash[64] = 0;
        int rc = step(c, st);
        if (rc == SQLITE_ROW) {
            c->head_seq = (uint64_t)sqlite3_column_int64(st, 0);
            colhex(c->head_hash, st, 1);
        }
        done(c, st);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE)
            return sqlerr(c, err, "reading the custody chain's head");
        c->have_head = 1;
    }
    return KM_OK;
}

int km_cat_custody_append(struct km_catalog *c, struct km_custody *r, struct km_err *err)
{
    if (load_head(c, err) != KM_OK)
        return KM_ESQL;
    int64_t t;
    if (km_time_parse(r->time, strlen(r->time), &t) != KM_OK)
        return km_err_set(err, KM_EINTERNAL, c->path, UINT64_MAX, "bad custody time %s", r->time);
    km_time_fmt(t, r->time); /* canonical form: what the chain hashes */
    size_t dl = dir_len(r->source_path);
    int64_t op = name_id(c, r->operator_, strlen(r->operator_), err);
    int64_t host = name_id(c, r->host, strlen(r->host), err);
    int64_t dir = name_id(c, r->source_path, dl, err);
    int64_t fmt = r->format[0] ? name_id(c, r->format, strlen(r->format), err) : 0;
    if (!op || !host || !dir || (r->format[0] && !fmt))
        return KM_ESQL;
    r->seq = c->head_seq + 1;
    memcpy(r->prev_hash, c->head_hash, 65);
    custody_hash(r, r->prev_hash, r->hash);
    sqlite3_stmt *st = prep(c,
                            "INSERT INTO custody(seq, time, operator, host, action, evidence_id,"
                            " dir, base, events_new, events_dup, events_rejected, note, hash,"
                            " format) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                            err);
    if (!st)
        return KM_ESQL;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)r->seq);
    sqlite3_bind_int64(st, 2, t);
    sqlite3_bind_int64(st, 3, op);
    sqlite3_bind_int64(st, 4, host);
    sqlite3_bind_text(st, 5, r->action, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, (sqlite3_int64)r->evidence_id);
    sqlite3_bind_int64(st, 7, dir);
    sqlite3_bind_text(st, 8, r->source_path + dl, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 9, (sqlite3_int64)r->events_new);
    sqlite3_bind_int64(st, 10, (sqlite3_int64)r->events_dup);
    sqlite3_bind_int64(st, 11, (sqlite3_int64)r->events_rejected);
    sqlite3_bind_text(st, 12, r->note, -1, SQLITE_STATIC);
    uint8_t b2[32];
    bindhex(st, 13, r->hash, b2);
    sqlite3_bind_int64(st, 14, fmt);
    int rc = step(c, st);
    done(c, st);
    if (rc != SQLITE_DONE)
        return sqlerr(c, err, "insert custody");
    c->head_seq = r->seq;
    memcpy(c->head_hash, r->hash, 65);
    c->appended = 1;
    snprintf(c->last_operator, sizeof c->last_operator, "%s", r->operator_);
    snprintf(c->last_host, sizeof c->last_host, "%s", r->host);
    return KM_OK;
}

int km_cat_custody_each(struct km_catalog *c, int (*cb)(void *, const struct km_custody *),
                        void *ctx, struct km_err *err)
{
    sqlite3_stmt *st = prep(c, "SELECT * FROM custody_v ORDER BY seq", err);
    if (!st)
        return KM_ESQL;
    struct km_custody r;
    char prev[65];
    memset(prev, '0', 64);
    prev[64] = 0;
    int stop = 0, rc = SQLITE_DONE;
    while (!stop && (rc = step(c, st)) == SQLITE_ROW) {
        custody_from_row(st, &r);
        memcpy(r.prev_hash, prev, 65);
        memcpy(prev, r.hash, 65);
        stop = cb(ctx, &r);
    }
    done(c, st);
    if (!stop && rc != SQLITE_DONE)
        return sqlerr(c, err, "reading the custody chain");
    return stop;
}

int km_cat_custody_verify(struct km_catalog *c, uint64_t *nrecords, struct km_err *err)
{
    sqlite3_stmt *st = prep(c, "SELECT * FROM custody_v ORDER BY seq", err);
    if (!st)
        return KM_ESQL;
    char prev[65];
    memset(prev, '0', 64);
    prev[64] = 0;
    uint64_t n = 0, expect = 1;
    int rc = KM_OK;
    struct km_custody r;
    int src;
    while ((src = step(c, st)) == SQLITE_ROW) {
        custody_from_row(st, &r);
        char h[65];
        custody_hash(&r, prev, h);
        if (r.seq != expect || strcmp(r.hash, h) != 0) {
            rc = km_err_set(err, KM_ECORRUPT, c->path, UINT64_MAX,
                            "custody chain broken at record %" PRIu64, r.seq);
            break;
        }
        memcpy(prev, r.hash, 65);
        n++;
        expect++;
    }
    if (rc == KM_OK && src != SQLITE_DONE)
        rc = sqlerr(c, err, "reading the custody chain");
    done(c, st);
    if (nrecords)
        *nrecords = n;
    return rc;
}

int km_cat_segment_add(struct km_catalog *c, const char *file, const struct km_seg_summary *s,
                       uint64_t *id, struct km_err *err)
{
    sqlite3_stmt *st = prep(c,
                            "INSERT INTO segments(file, rows, tmin, tmax, bytes, sha256)"
                            " VALUES(?,?,?,?,?,?)",
                            err);
    if (!st)
        return KM_ESQL;
    sqlite3_bind_text(st, 1, file, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)s->rows);
    sqlite3_bind_int64(st, 3, s->tmin);
    sqlite3_bind_int64(st, 4, s->tmax);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)s->bytes);
    sqlite3_bind_text(st, 6, s->sha256, -1, SQLITE_STATIC);
    int rc = step(c, st);
    done(c, st);
    if (rc != SQLITE_DONE)
        return sqlerr(c, err, "insert segment");
    *id = (uint64_t)sqlite3_last_insert_rowid(c->db);
    st = prep(c,
              "INSERT INTO segment_groups(segment_id, provider, source, account, rows, tmin, tmax)"
              " VALUES(?,?,?,?,?,?,?)",
              err);
    if (!st)
        return KM_ESQL;
    for (size_t i = 0; i < s->ngroups; i++) {
        const struct km_seg_group *g = &s->groups[i];
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, (sqlite3_int64)*id);
        sqlite3_bind_text(st, 2, g->provider.p ? g->provider.p : "", (int)g->provider.n, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, g->source.p ? g->source.p : "", (int)g->source.n, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, g->account.p ? g->account.p : "", (int)g->account.n, SQLITE_STATIC);
        sqlite3_bind_int64(st, 5, (sqlite3_int64)g->rows);
        sqlite3_bind_int64(st, 6, g->tmin);
        sqlite3_bind_int64(st, 7, g->tmax);
        if (step(c, st) != SQLITE_DONE) {
            done(c, st);
            return sqlerr(c, err, "insert segment group");
        }
    }
    done(c, st);
    return KM_OK;
}

int km_cat_segments(struct km_catalog *c, struct km_segment_row **rows, size_t *n,
                    struct km_err *err)
{
    *rows = NULL;
    *n = 0;
    sqlite3_stmt *st = prep(
        c, "SELECT id, file, rows, tmin, tmax, bytes, sha256 FROM segments ORDER BY tmin, id", err);
    if (!st)
        return KM_ESQL;
    size_t cap = 0;
    int rc;
    while ((rc = step(c, st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            *rows = km_xrealloc(*rows, cap * sizeof **rows);
        }
        struct km_segment_row *r = &(*rows)[(*n)++];
        r->id = (uint64_t)sqlite3_column_int64(st, 0);
        colcpy(r->file, sizeof r->file, st, 1);
        r->rows = (uint64_t)sqlite3_column_int64(st, 2);
        r->tmin = sqlite3_column_int64(st, 3);
        r->tmax = sqlite3_column_int64(st, 4);
        r->bytes = (uint64_t)sqlite3_column_int64(st, 5);
        colcpy(r->sha256, sizeof r->sha256, st, 6);
    }
    done(c, st);
    if (rc != SQLITE_DONE) { /* never a partial manifest: callers delete what it omits */
        int e = sqlerr(c, err, "reading the segment manifest");
        free(*rows);
        *rows = NULL;
        *n = 0;
        return e;
    }
    return KM_OK;
}

int km_cat_reject_add(struct km_catalog *c, uint64_t evidence_id, const char *member,
                      uint64_t offset, long line, int code, const char *reason,
                      struct km_err *err)
{
    sqlite3_stmt *st = prep(c,
                            "INSERT INTO rejects(evidence_id, member, offset, line, code, reason)"
                            " VALUES(?,?,?,?,?,?)",
                            err);
    if (!st)
        return KM_ESQL;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)evidence_id);
    sqlite3_bind_text(st, 2, member ? member : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)offset);
    sqlite3_bind_int64(st, 4, line);
    sqlite3_bind_int(st, 5, code);
    sqlite3_bind_text(st, 6, reason, -1, SQLITE_STATIC);
    int rc = step(c, st);
    done(c, st);
    return rc == SQLITE_DONE ? KM_OK : sqlerr(c, err, "insert reject");
}

/* One integer from a one-row query. */
static int count1(struct km_catalog *c, const char *sql, uint64_t *v, struct km_err *err)
{
    sqlite3_stmt *st = prep(c, sql, err);
    if (!st)
        return KM_ESQL;
    int rc = step(c, st);
    *v = rc == SQLITE_ROW ? (uint64_t)sqlite3_column_int64(st, 0) : 0;
    done(c, st);
    return rc == SQLITE_ROW ? KM_OK : sqlerr(c, err, "counting");
}

int km_cat_counts(struct km_catalog *c, struct km_cat_counts *o, struct km_err *err)
{
    memset(o, 0, sizeof *o);
    int rc;
    if ((rc = count1(c, "SELECT COUNT(*) FROM evidence WHERE complete = 1",
                     &o->evidence_complete, err)) ||
        (rc = count1(c, "SELECT COALESCE(SUM(size),0) FROM evidence", &o->vault_bytes, err)) ||
        (rc = count1(c, "SELECT COUNT(*) FROM segments", &o->segments, err)) ||
        (rc = count1(c, "SELECT COALESCE(SUM(bytes),0) FROM segments", &o->segment_bytes, err)) ||
        (rc = count1(c, "SELECT COUNT(*) FROM rejects", &o->rejects, err)) ||
        (rc = count1(c, "SELECT COUNT(*) FROM custody", &o->custody, err)))
        return rc;
    return KM_OK;
}

int km_cat_group_totals(struct km_catalog *c, struct km_stat_row **rows, size_t *n,
                        struct km_err *err)
{
    *rows = NULL;
    *n = 0;
    sqlite3_stmt *st = prep(c,
                            "SELECT g.provider, g.source, g.account, SUM(g.rows), MIN(g.tmin),"
                            " MAX(g.tmax) FROM segment_groups g JOIN segments s"
                            " ON s.id = g.segment_id GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
                            err);
    if (!st)
        return KM_ESQL;
    size_t cap = 0;
    int rc;
    while ((rc = step(c, st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            *rows = km_xrealloc(*rows, cap * sizeof **rows);
        }
        struct km_stat_row *r = &(*rows)[(*n)++];
        colcpy(r->provider, sizeof r->provider, st, 0);
        colcpy(r->source, sizeof r->source, st, 1);
        colcpy(r->account, sizeof r->account, st, 2);
        r->events = (uint64_t)sqlite3_column_int64(st, 3);
        r->tmin = sqlite3_column_int64(st, 4);
        r->tmax = sqlite3_column_int64(st, 5);
    }
    done(c, st);
    if (rc != SQLITE_DONE) {
        int e = sqlerr(c, err, "stats");
        free(*rows);
        *rows = NULL;
        *n = 0;
        return e;
    }
    return KM_OK;
}

int km_cat_evidence_is_complete(struct km_catalog *c, const char *sha256, int *complete,
                                struct km_err *err)
{
    *complete = 0;
    sqlite3_stmt *st = prep(c, "SELECT complete FROM evidence WHERE sha256 = ?", err);
    if (!st)
        return KM_ESQL;
    uint8_t blob[32];
    bindhex(st, 1, sha256, blob);
    int rc = step(c, st);
    if (rc == SQLITE_ROW)
        *complete = sqlite3_column_int(st, 0) == 1;
    done(c, st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? KM_OK : sqlerr(c, err, "evidence");
}

int km_cat_open_reader(const char *path, struct km_catalog **out, struct km_err *err)
{
    *out = NULL;
    struct km_catalog *c = km_xcalloc(1, sizeof *c);
    c->path = km_xstrdup(path);
    c->readonly = 1;
    c->reader = 1;
    if (sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
        int rc = sqlerr(c, err, "cannot open catalog");
        km_cat_close(c);
        return rc;
    }
    sqlite3_busy_timeout(c->db, 5000);
    *out = c;
    return KM_OK;
}

/* ---- findings and hunts (detect/findings_db.c, hunt.c) ------------------ */

int km_cat_findings_schema(struct km_catalog *c, struct km_err *err)
{
    return exec(c,
                "CREATE TABLE IF NOT EXISTS findings("
                "  id TEXT PRIMARY KEY, detection TEXT NOT NULL, severity INTEGER NOT NULL,"
                "  first INTEGER NOT NULL, last INTEGER NOT NULL, summary TEXT NOT NULL,"
                "  json TEXT NOT NULL, created INTEGER NOT NULL, updated INTEGER NOT NULL);"
                "CREATE INDEX IF NOT EXISTS findings_first ON findings(first);"
                "CREATE TABLE IF NOT EXISTS hunts("
                "  seq INTEGER PRIMARY KEY, time INTEGER NOT NULL, since INTEGER, until INTEGER,"
                "  only TEXT NOT NULL, new INTEGER NOT NULL, updated INTEGER NOT NULL,"
                "  unchanged INTEGER NOT NULL, total INTEGER NOT NULL, digest TEXT NOT NULL);",
                err);
}

int km_cat_findings_present(struct km_catalog *c)
{
    struct km_err e;
    km_err_clear(&e);
    sqlite3_stmt *st = prep(c, "SELECT 1 FROM sqlite_master WHERE type='table' AND name='findings'",
                            &e);
    if (!st)
        return -1;
    int rc = step(c, st);
    done(c, st);
    return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int km_cat_finding_same(struct km_catalog *c, const char *id, const char *json, size_t n,
                        int *state, struct km_err *err)
{
    *state = 1;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(c->db, "SELECT json FROM findings WHERE id = ?", -1, &st, NULL) !=
        SQLITE_OK)
        return sqlerr(c, err, "findings");
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    int rc = step(c, st);
    if (rc == SQLITE_ROW) {
        const char *old = (const char *)sqlite3_column_text(st, 0);
        size_t on = (size_t)sqlite3_column_bytes(st, 0);
        *state = old && on == n && memcmp(old, json, on) == 0 ? 0 : 2;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? KM_OK : sqlerr(c, err, "findings");
}

int km_cat_finding_put(struct km_catalog *c, int update, const char *id, const char *detection,
                       int severity, int64_t first, int64_t last, const char *summary,
                       const char *json, size_t n, int64_t now, struct km_err *err)
{
    const char *sql = !update
        ? "INSERT INTO findings(id, detection, severity, first, last, summary, json, created,"
          " updated) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?8)"
        : "UPDATE findings SET detection=?2, severity=?3, first=?4, last=?5, summary=?6,"
          " json=?7, updated=?8 WHERE id=?1";
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK)
        return sqlerr(c, err, "findings");
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, detection, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, severity);
    sqlite3_bind_int64(st, 4, first);
    sqlite3_bind_int64(st, 5, last);
    sqlite3_bind_text(st, 6, summary, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, json, (int)n, SQLITE_STATIC);
    sqlite3_bind_int64(st, 8, now);
    int rc = step(c, st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? KM_OK : sqlerr(c, err, "store finding");
}

int km_cat_findings_each(struct km_catalog *c, const char *id, int min_sev, int by_id,
                         int (*cb)(void *, const char *id, size_t idn, const char *json,
                                   size_t n),
                         void *ctx, struct km_err *err)
{
    const char *sql = id ? "SELECT id, json FROM findings WHERE id = ?1"
                    : by_id ? "SELECT id, json FROM findings ORDER BY id"
                            : "SELECT id, json FROM findings WHERE severity >= ?2 ORDER BY first, id";
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK)
        return sqlerr(c, err, "findings");
    if (id)
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    else if (!by_id)
        sqlite3_bind_int(st, 2, min_sev);
    int rc, stop = 0;
    while (!stop && (rc = step(c, st)) == SQLITE_ROW) {
        const char *i = (const char *)sqlite3_column_text(st, 0);
        size_t in = i ? (size_t)sqlite3_column_bytes(st, 0) : 0;
        const char *j = (const char *)sqlite3_column_text(st, 1);
        size_t jn = j ? (size_t)sqlite3_column_bytes(st, 1) : 0;
        stop = cb(ctx, i ? i : "", in, j ? j : "", jn);
    }
    if (!stop && rc != SQLITE_DONE)
        stop = sqlerr(c, err, "reading findings");
    sqlite3_finalize(st);
    return stop;
}

int km_cat_findings_count(struct km_catalog *c, uint64_t *n, struct km_err *err)
{
    return count1(c, "SELECT COUNT(*) FROM findings", n, err);
}

int km_cat_hunt_add(struct km_catalog *c, int64_t now, int64_t since, int64_t until,
                    const char *only, uint64_t added, uint64_t updated, uint64_t unchanged,
                    uint64_t total, const char *digest, struct km_err *err)
{
    sqlite3_stmt *st = prep(c,
                            "INSERT INTO hunts(time, since, until, only, new, updated,"
                            " unchanged, total, digest) VALUES(?,?,?,?,?,?,?,?,?)",
                            err);
    if (!st)
        return KM_ESQL;
    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_int64(st, 2, since);
    sqlite3_bind_int64(st, 3, until);
    sqlite3_bind_text(st, 4, only, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)added);
    sqlite3_bind_int64(st, 6, (sqlite3_int64)updated);
    sqlite3_bind_int64(st, 7, (sqlite3_int64)unchanged);
    sqlite3_bind_int64(st, 8, (sqlite3_int64)total);
    sqlite3_bind_text(st, 9, digest, -1, SQLITE_STATIC);
    int rc = step(c, st);
    done(c, st);
    return rc == SQLITE_DONE ? KM_OK : sqlerr(c, err, "hunts");
}

/* ---- anchors: the catalog's state in the custody chain (catalog.h) ------ */

/* The rows one "commit" record anchors, part by part. Each row is hashed
 * column by column as "type:length:bytes" (no separator can be forged by a
 * value), a segment followed by its group counts. */
enum { PART_SEGMENTS, PART_EVIDENCE, PART_OBJECTS, PART_REJECTS, NPARTS };
static const char *const part_name[NPARTS] = {"segments", "evidence", "objects", "rejects"};
static const char *const part_sql[NPARTS] = {
    "SELECT id, file, rows, tmin, tmax, bytes, sha256 FROM segments WHERE anchor = ?1 ORDER BY id",
    "SELECT e.id, e.sha256, e.size, f.text, d.text, e.base, e.complete, p.text, e.pack_off"
    " FROM evidence e LEFT JOIN names d ON d.id = e.dir LEFT JOIN names f ON f.id = e.format"
    " LEFT JOIN names p ON p.id = e.pack WHERE e.anchor = ?1 ORDER BY e.id",
    "SELECT o.id, o.evidence_id, o.idx, o.member, n.text FROM objects o"
    " LEFT JOIN names n ON n.id = o.chain WHERE o.anchor = ?1 ORDER BY o.id",
    "SELECT id, evidence_id, member, offset, line, code, reason FROM rejects"
    " WHERE anchor = ?1 ORDER BY id"};
static const char *const groups_sql =
    "SELECT provider, source, account, rows, tmin, tmax FROM segment_groups"
    " WHERE segment_id = ?1 ORDER BY rowid";
/* Visible rows: every segment; complete evidence; objects and rejects of
 * complete evidence. Anchoring gives the unanchored ones the new seq. */
static const char *const anchor_sql[NPARTS] = {
    "UPDATE segments SET anchor = ?1 WHERE anchor IS NULL",
    "UPDATE evidence SET anchor = ?1 WHERE anchor IS NULL AND complete = 1",
    "UPDATE objects SET anchor = ?1 WHERE anchor IS NULL AND EXISTS (SELECT 1 FROM evidence e"
    " WHERE e.id = objects.evidence_id AND e.complete = 1)",
    "UPDATE rejects SET anchor = ?1 WHERE anchor IS NULL AND EXISTS (SELECT 1 FROM evidence e"
    " WHERE e.id = rejects.evidence_id AND e.complete = 1)"};
static const char *const count_sql[KM_ANCHOR_NTOTALS] = {
    "SELECT COUNT(*) FROM segments",
    "SELECT COALESCE(SUM(rows), 0) FROM segments",
    "SELECT COUNT(*) FROM evidence WHERE complete = 1",
    "SELECT COUNT(*) FROM objects o WHERE EXISTS (SELECT 1 FROM evidence e"
    " WHERE e.id = o.evidence_id AND e.complete = 1)",
    "SELECT COUNT(*) FROM rejects r WHERE EXISTS (SELECT 1 FROM evidence e"
    " WHERE e.id = r.evidence_id AND e.complete = 1)"};
static const char *const total_name[KM_ANCHOR_NTOTALS] = {"segments", "events", "evidence",
                                                          "objects", "rejects"};
static const char *const unanchored_sql[NPARTS] = {
    "SELECT COUNT(*) FROM segments WHERE anchor IS NULL",
    "SELECT COUNT(*) FROM evidence WHERE anchor IS NULL AND complete = 1",
    "SELECT COUNT(*) FROM objects o WHERE anchor IS NULL AND EXISTS (SELECT 1 FROM evidence e"
    " WHERE e.id = o.evidence_id AND e.complete = 1)",
    "SELECT COUNT(*) FROM rejects r WHERE anchor IS NULL AND EXISTS (SELECT 1 FROM evidence e"
    " WHERE e.id = r.evidence_id AND e.complete = 1)"};
static const char *const stray_sql[NPARTS] = {
    "SELECT COUNT(*) FROM segments WHERE anchor IS NOT NULL AND anchor NOT IN"
    " (SELECT seq FROM custody WHERE action = 'commit')",
    "SELECT COUNT(*) FROM evidence WHERE anchor IS NOT NULL AND anchor NOT IN"
    " (SELECT seq FROM custody WHERE action = 'commit')",
    "SELECT COUNT(*) FROM objects WHERE anchor IS NOT NULL AND anchor NOT IN"
    " (SELECT seq FROM custody WHERE action = 'commit')",
    "SELECT COUNT(*) FROM rejects WHERE anchor IS NOT NULL AND anchor NOT IN"
    " (SELECT seq FROM custody WHERE action = 'commit')"};

struct anchor_state {
    char digest[65];
    char part[NPARTS][65];
    uint64_t n[NPARTS];       /* rows per part */
    uint64_t events;          /* sum of the anchored segments' rows */
};

static void hash_row(struct km_sha256 *h, sqlite3_stmt *st)
{
    int ncol = sqlite3_column_count(st);
    for (int i = 0; i < ncol; i++) {
        int type = sqlite3_column_type(st, i);
        const void *b = sqlite3_column_blob(st, i);
        int n = sqlite3_column_bytes(st, i);
        char tag[32];
        int k = snprintf(tag, sizeof tag, "%d:%d:", type, n);
        km_sha256_update(h, tag, (size_t)k);
        if (b && n > 0)
            km_sha256_update(h, b, (size_t)n);
    }
    km_sha256_update(h, "\n", 1);
}

/* Digests the rows anchored at seq. */
static int anchor_digest(struct km_catalog *c, uint64_t seq, struct anchor_state *a,
                         struct km_err *err)
{
    memset(a, 0, sizeof *a);
    uint8_t junk[32];
    struct km_sha256 all;
    km_sha256_init(&all);
    for (int p = 0; p < NPARTS; p++) {
        sqlite3_stmt *st = prep(c, part_sql[p], err);
        if (!st) {
            km_sha256_final(&all, junk); /* frees the hash state */
            return KM_ESQL;
        }
        struct km_sha256 h;
        km_sha256_init(&h);
        km_sha256_update(&h, part_name[p], strlen(part_name[p]));
        km_sha256_update(&h, "\n", 1);
        sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
        int rc;
        while ((rc = step(c, st)) == SQLITE_ROW) {
            hash_row(&h, st);
            a->n[p]++;
            if (p != PART_SEGMENTS)
                continue;
            a->events += (uint64_t)sqlite3_column_int64(st, 2);
            sqlite3_stmt *g = prep(c, groups_sql, err);
            if (!g) {
                done(c, st);
                km_sha256_final(&h, junk);
                km_sha256_final(&all, junk);
                return KM_ESQL;
            }
            sqlite3_bind_int64(g, 1, sqlite3_column_int64(st, 0));
            int grc;
            while ((grc = step(c, g)) == SQLITE_ROW) {
                km_sha256_update(&h, "group ", 6);
                hash_row(&h, g);
            }
            done(c, g);
            if (grc != SQLITE_DONE) {
                done(c, st);
                km_sha256_final(&h, junk);
                km_sha256_final(&all, junk);
                return sqlerr(c, err, "anchor digest: segment groups");
            }
        }
        done(c, st);
        if (rc != SQLITE_DONE) {
            km_sha256_final(&h, junk);
            km_sha256_final(&all, junk);
            return sqlerr(c, err, "anchor digest");
        }
        uint8_t md[32];
        km_sha256_final(&h, md);
        km_hex(md, 32, a->part[p]);
        km_sha256_update(&all, part_name[p], strlen(part_name[p]));
        km_sha256_update(&all, ":", 1);
        km_sha256_update(&all, a->part[p], 64);
        km_sha256_update(&all, "\n", 1);
    }
    uint8_t md[32];
    km_sha256_final(&all, md);
    km_hex(md, 32, a->digest);
    return KM_OK;
}

/* The note of a "commit" record: its digest, the first 8 hex digits of each
 * part's (they name which part differs) and the running totals after it. */
static void anchor_note(const struct anchor_state *a, const uint64_t *t, char *out, size_t n)
{
    snprintf(out, n,
             "anchor sha256:%s (segments %.8s evidence %.8s objects %.8s rejects %.8s);"
             " totals: segments %" PRIu64 ", events %" PRIu64 ", evidence %" PRIu64
             ", objects %" PRIu64 ", rejects %" PRIu64,
             a->digest, a->part[0], a->part[1], a->part[2], a->part[3], t[0], t[1], t[2], t[3],
             t[4]);
}

struct anchor_rec {
    char digest[65];
    char part[NPARTS][9];
    uint64_t totals[KM_ANCHOR_NTOTALS];
};

static int anchor_parse(const char *note, struct anchor_rec *r)
{
    unsigned long long t[KM_ANCHOR_NTOTALS];
    int n = sscanf(note,
                   "anchor sha256:%64[0-9a-f] (segments %8[0-9a-f] evidence %8[0-9a-f] objects"
                   " %8[0-9a-f] rejects %8[0-9a-f]); totals: segments %llu, events %llu,"
                   " evidence %llu, objects %llu, rejects %llu",
                   r->digest, r->part[0], r->part[1], r->part[2], r->part[3], &t[0], &t[1], &t[2],
                   &t[3], &t[4]);
    if (n != 10 || strlen(r->digest) != 64)
        return -1;
    for (int i = 0; i < KM_ANCHOR_NTOTALS; i++)
        r->totals[i] = t[i];
    return 0;
}

static int load_totals(struct km_catalog *c, struct km_err *err)
{
    if (c->have_totals)
        return KM_OK;
    memset(c->totals, 0, sizeof c->totals);
    sqlite3_stmt *st =
        prep(c, "SELECT note FROM custody WHERE action = 'commit' ORDER BY seq DESC LIMIT 1", err);
    if (!st)
        return KM_ESQL;
    int rc = step(c, st);
    if (rc == SQLITE_ROW) {
        struct anchor_rec r;
        const unsigned char *t = sqlite3_column_text(st, 0);
        if (t && anchor_parse((const char *)t, &r) == 0)
            memcpy(c->totals, r.totals, sizeof c->totals);
    }
    done(c, st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return sqlerr(c, err, "last anchor");
    c->have_totals = 1;
    return KM_OK;
}

int km_cat_anchor(struct km_catalog *c, struct km_err *err)
{
    if (!c->anchors)
        return KM_OK;
    int rc = load_head(c, err);
    if (rc == KM_OK)
        rc = load_totals(c, err);
    if (rc != KM_OK)
        return rc;
    uint64_t seq = c->head_seq + 1, changed = 0;
    for (int p = 0; p < NPARTS; p++) {
        sqlite3_stmt *st = prep(c, anchor_sql[p], err);
        if (!st)
            return KM_ESQL;
        sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
        int src = step(c, st);
        changed += (uint64_t)sqlite3_changes(c->db);
        done(c, st);
        if (src != SQLITE_DONE)
            return sqlerr(c, err, "anchoring catalog rows");
    }
    if (!changed)
        return KM_OK;
    struct anchor_state a;
    if ((rc = anchor_digest(c, seq, &a, err)) != KM_OK)
        return rc;
    uint64_t t[KM_ANCHOR_NTOTALS];
    t[KM_ANCHOR_SEGMENTS] = c->totals[KM_ANCHOR_SEGMENTS] + a.n[PART_SEGMENTS];
    t[KM_ANCHOR_EVENTS] = c->totals[KM_ANCHOR_EVENTS] + a.events;
    t[KM_ANCHOR_EVIDENCE] = c->totals[KM_ANCHOR_EVIDENCE] + a.n[PART_EVIDENCE];
    t[KM_ANCHOR_OBJECTS] = c->totals[KM_ANCHOR_OBJECTS] + a.n[PART_OBJECTS];
    t[KM_ANCHOR_REJECTS] = c->totals[KM_ANCHOR_REJECTS] + a.n[PART_REJECTS];
    struct km_custody r;
    memset(&r, 0, sizeof r);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    km_time_fmt((int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000, r.time);
    /* the operator and host of the records this transaction appended, else
     * the process's (as kumo hunt names them) */
    if (c->appended && c->last_operator[0]) {
        snprintf(r.operator_, sizeof r.operator_, "%s", c->last_operator);
        snprintf(r.host, sizeof r.host, "%s", c->last_host);
    } else {
        const char *user = getenv("KUMO_OPERATOR");
        struct passwd *pw = user && user[0] ? NULL : getpwuid(getuid());
        snprintf(r.operator_, sizeof r.operator_, "%s",
                 user && user[0] ? user : pw ? pw->pw_name : "unknown");
        gethostname(r.host, sizeof r.host - 1);
    }
    snprintf(r.action, sizeof r.action, "commit");
    snprintf(r.source_path, sizeof r.source_path, "catalog");
    anchor_note(&a, t, r.note, sizeof r.note);
    if ((rc = km_cat_custody_append(c, &r, err)) != KM_OK)
        return rc;
    if (r.seq != seq) /* cannot happen: the head was loaded above */
        return km_err_set(err, KM_EINTERNAL, c->path, UINT64_MAX,
                          "anchor record got seq %" PRIu64 ", rows name %" PRIu64, r.seq, seq);
    memcpy(c->totals, t, sizeof t);
    return KM_OK;
}

/* STORE/HEAD: "<seq> <hash>\n" of the chain's last record, next to the
 * catalog. Written after the COMMIT (a crash in between leaves records past
 * HEAD, which verify accepts and reports). A failure is reported, not fatal:
 * the commit has happened. */
static void head_path(const struct km_catalog *c, char *out, size_t n)
{
    size_t dl = dir_len(c->path);
    snprintf(out, n, "%.*sHEAD", (int)dl, c->path);
}

static void head_write(struct km_catalog *c)
{
    char p[4200], tmp[4300], line[128];
    head_path(c, p, sizeof p);
    snprintf(tmp, sizeof tmp, "%s.tmp", p);
    int n = snprintf(line, sizeof line, "%" PRIu64 " %s\n", c->head_seq, c->head_hash);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int ok = fd >= 0 && write(fd, line, (size_t)n) == n && fsync(fd) == 0;
    if (fd >= 0 && close(fd) != 0)
        ok = 0;
    if (!ok || rename(tmp, p) != 0) {
        km_log(0, "kumo: warning: cannot update %s: %s (verify will report the records past it)\n",
               p, strerror(errno));
        unlink(tmp);
    }
}


#define SAY(fn, ...)                                                                               \
    do {                                                                                           \
        char m_[600];                                                                              \
        snprintf(m_, sizeof m_, __VA_ARGS__);                                                      \
        fn(ctx, m_);                                                                               \
    } while (0)

static int check_head(struct km_catalog *c, void (*problem)(void *, const char *),
                      void (*note)(void *, const char *), void *ctx, struct km_state_report *r,
                      struct km_err *err)
{
    char p[4200];
    head_path(c, p, sizeof p);
    FILE *f = fopen(p, "r");
    if (!f) {
        if (errno != ENOENT)
            SAY(problem, "cannot read %s: %s", p, strerror(errno));
        else if (r->commits)
            SAY(problem, "%s is missing: the chain's end cannot be checked (deleted?)", p);
        else
            SAY(note, "no HEAD file: a truncated custody chain cannot be detected (store "
                      "made before anchoring; the next ingest or hunt writes it)");
        return KM_OK;
    }
    unsigned long long seq;
    char hash[65];
    int n = fscanf(f, "%llu %64[0-9a-f]", &seq, hash);
    fclose(f);
    if (n != 2 || strlen(hash) != 64) {
        SAY(problem, "%s is unreadable (want \"<seq> <sha256>\")", p);
        return KM_OK;
    }
    r->have_head = 1;
    r->head_seq = seq;
    memcpy(r->head_hash, hash, 65);
    if (seq == 0 && strspn(hash, "0") == 64) { /* written before the chain's first record */
        r->past_head = r->last_seq;
        if (r->last_seq)
            SAY(note,
                "%" PRIu64 " custody record(s) after HEAD (#0): a writer stopped between its "
                "first commit and the HEAD update; they are checked by the chain only",
                r->last_seq);
        return KM_OK;
    }
    if (seq > r->last_seq) {
        SAY(problem,
            "custody chain truncated: HEAD names record #%llu, the chain ends at #%" PRIu64
            " (%llu record(s) deleted)",
            seq, r->last_seq, seq - (unsigned long long)r->last_seq);
        return KM_OK;
    }
    sqlite3_stmt *st = prep(c, "SELECT hash FROM custody WHERE seq = ?", err);
    if (!st)
        return KM_ESQL;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
    char have[65] = "";
    int rc = step(c, st);
    if (rc == SQLITE_ROW)
        colhex(have, st, 0);
    done(c, st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return sqlerr(c, err, "custody head");
    if (strcmp(have, hash) != 0)
        SAY(problem, "HEAD names record #%llu with hash %.16s…, the chain's record #%llu has %.16s… "
                     "(chain rewritten or HEAD replaced)",
            seq, hash, seq, have[0] ? have : "(none)");
    else if (seq < r->last_seq) {
        r->past_head = r->last_seq - seq;
        SAY(note,
            "%" PRIu64 " custody record(s) after HEAD (#%llu): a writer stopped between its "
            "commit and the HEAD update; they are checked by the chain only",
            r->past_head, seq);
    }
    return KM_OK;
}

int km_cat_verify_state(struct km_catalog *c, void (*problem)(void *, const char *),
                        void (*note)(void *, const char *), void *ctx,
                        struct km_state_report *r, struct km_err *err)
{
    memset(r, 0, sizeof *r);
    r->anchored = c->anchors;
    sqlite3_stmt *st = prep(c, "SELECT seq, hash FROM custody ORDER BY seq DESC LIMIT 1", err);
    if (!st)
        return KM_ESQL;
    int rc = step(c, st);
    if (rc == SQLITE_ROW) {
        r->last_seq = (uint64_t)sqlite3_column_int64(st, 0);
        colhex(r->last_hash, st, 1);
    }
    done(c, st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return sqlerr(c, err, "custody");
    if (!c->anchors) {
        SAY(note, "catalog not anchored: made before anchoring (its tables have no anchor "
                  "columns; the next ingest or hunt anchors it)");
        return check_head(c, problem, note, ctx, r, err);
    }
    /* every "commit" record against the rows that name it */
    struct anchor_rec last;
    memset(&last, 0, sizeof last);
    uint64_t last_seq = 0;
    /* anchor_digest uses other statements: collect the records first, in
     * bounded batches of seqs */
    uint64_t after = 0;
    for (;;) {
        struct {
            uint64_t seq;
            struct anchor_rec rec;
            int ok;
        } batch[64];
        int nb = 0;
        sqlite3_stmt *q = prep(c, "SELECT seq, note FROM custody WHERE action = 'commit'"
                                  " AND seq > ?1 ORDER BY seq LIMIT 64", err);
        if (!q)
            return KM_ESQL;
        sqlite3_bind_int64(q, 1, (sqlite3_int64)after);
        while ((rc = step(c, q)) == SQLITE_ROW && nb < 64) {
            batch[nb].seq = (uint64_t)sqlite3_column_int64(q, 0);
            const unsigned char *t = sqlite3_column_text(q, 1);
            batch[nb].ok = t && anchor_parse((const char *)t, &batch[nb].rec) == 0;
            nb++;
        }
        done(c, q);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE)
            return sqlerr(c, err, "custody anchors");
        for (int i = 0; i < nb; i++) {
            uint64_t seq = batch[i].seq;
            const struct anchor_rec *rec = &batch[i].rec;
            r->commits++;
            if (!batch[i].ok) {
                SAY(problem, "custody record #%" PRIu64 " (commit) has no readable anchor", seq);
                continue;
            }
            struct anchor_state a;
            if ((rc = anchor_digest(c, seq, &a, err)) != KM_OK)
                return rc;
            if (strcmp(a.digest, rec->digest) != 0) {
                uint64_t was[NPARTS] = {
                    rec->totals[KM_ANCHOR_SEGMENTS] - last.totals[KM_ANCHOR_SEGMENTS],
                    rec->totals[KM_ANCHOR_EVIDENCE] - last.totals[KM_ANCHOR_EVIDENCE],
                    rec->totals[KM_ANCHOR_OBJECTS] - last.totals[KM_ANCHOR_OBJECTS],
                    rec->totals[KM_ANCHOR_REJECTS] - last.totals[KM_ANCHOR_REJECTS]};
                int named = 0;
                for (int p = 0; p < NPARTS; p++) {
                    if (strncmp(a.part[p], rec->part[p], 8) == 0)
                        continue;
                    named = 1;
                    SAY(problem,
                        "%s anchored by custody record #%" PRIu64 " changed: it anchored %" PRIu64
                        " row(s), the catalog now has %" PRIu64 " with that anchor%s",
                        part_name[p], seq, was[p], a.n[p],
                        a.n[p] < was[p]   ? " (rows deleted or re-anchored)"
                        : a.n[p] > was[p] ? " (rows added or re-anchored)"
                        : p == PART_SEGMENTS ? " (a segment's file, rows, time bounds, bytes, "
                                               "sha256 or group counts edited)"
                                             : " (a row's content edited)");
                }
                if (!named)
                    SAY(problem, "rows anchored by custody record #%" PRIu64 " changed", seq);
            }
            last = *rec;
            last_seq = seq;
        }
        if (nb < 64)
            break;
        after = batch[nb - 1].seq;
    }
    uint64_t n;
    for (int p = 0; p < NPARTS; p++) {
        if ((rc = count1(c, unanchored_sql[p], &n, err)) != KM_OK)
            return rc;
        r->unanchored += n;
        if (n && r->commits)
            SAY(problem, "%" PRIu64 " %s row(s) anchored by no custody record (added or "
                         "un-anchored outside kumo)", n, part_name[p]);
        if ((rc = count1(c, stray_sql[p], &n, err)) != KM_OK)
            return rc;
        if (n)
            SAY(problem, "%" PRIu64 " %s row(s) name an anchor that is not a commit record", n,
                part_name[p]);
    }
    if (!r->commits && r->unanchored)
        SAY(note, "catalog not anchored: %" PRIu64 " row(s) made before anchoring (the next "
                  "ingest anchors them)", r->unanchored);
    if (r->commits) {
        for (int t = 0; t < KM_ANCHOR_NTOTALS; t++) {
            if ((rc = count1(c, count_sql[t], &n, err)) != KM_OK)
                return rc;
            if (n != last.totals[t])
                SAY(problem, "the catalog holds %" PRIu64 " %s, the last anchor (custody record #%"
                             PRIu64 ") says %" PRIu64, n, total_name[t], last_seq, last.totals[t]);
        }
    }
    return check_head(c, problem, note, ctx, r, err);
}

/* ---- conflicting duplicates and reject history ------------------------- */

/* Tables added after schema version 1: created on first write, so a store
 * made by an older kumo gets them without a migration, and a reader (maybe
 * on read-only media) treats a missing table as empty. */
static const char *CONFLICTS_SQL =
    "CREATE TABLE IF NOT EXISTS conflicts("
    "  id INTEGER PRIMARY KEY, evidence_id INTEGER NOT NULL, member TEXT NOT NULL,"
    "  offset INTEGER NOT NULL, source TEXT NOT NULL, event_id TEXT NOT NULL);";
static const char *SUPERSEDED_SQL =
    "CREATE TABLE IF NOT EXISTS rejects_superseded("
    "  reject_id INTEGER PRIMARY KEY, custody_seq INTEGER NOT NULL);";

static int have_table(struct km_catalog *c, const char *name)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(c->db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                           -1, &st, NULL) != SQLITE_OK)
        return 0;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int have = step(c, st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return have;
}

static int ensure_table(struct km_catalog *c, const char *sql, struct km_err *err)
{
    char *msg = NULL;
    if (sqlite3_exec(c->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        int rc = km_err_set(err, KM_ESQL, c->path, UINT64_MAX, "creating table: %s",
                            msg ? msg : sqlite3_errmsg(c->db));
        sqlite3_free(msg);
        return rc;
    }
    return KM_OK;
}

int km_cat_conflict_add(struct km_catalog *c, uint64_t evidence_id, const char *member,
                        uint64_t offset, struct km_str source, struct km_str event_id,
                        struct km_err *err)
{
    if (!c->have_conflicts) {
        int rc = ensure_table(c, CONFLICTS_SQL, err);
        if (rc)
            return rc;
        c->have_conflicts = 1;
    }
    sqlite3_stmt *st = prep(c,
                            "INSERT INTO conflicts(evidence_id, member, offset, source, event_id)"
                            " VALUES(?,?,?,?,?)",
                            err);
    if (!st)
        return KM_ESQL;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)evidence_id);
    sqlite3_bind_text(st, 2, member ? member : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)offset);
    sqlite3_bind_text(st, 4, source.p ? source.p : "", source.p ? (int)source.n : 0,
                      SQLITE_STATIC);
    sqlite3_bind_text(st, 5, event_id.p ? event_id.p : "", event_id.p ? (int)event_id.n : 0,
                      SQLITE_STATIC);
    int rc = step(c, st);
    done(c, st);
    return rc == SQLITE_DONE ? KM_OK : sqlerr(c, err, "insert conflict");
}

int km_cat_conflict_groups(struct km_catalog *c, uint64_t max,
                           int (*cb)(void *, const struct km_conflict *), void *ctx,
                           uint64_t *total, struct km_err *err)
{
    *total = 0;
    if (!have_table(c, "conflicts"))
        return KM_OK;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(c->db, "SELECT COUNT(*) FROM conflicts", -1, &st, NULL) != SQLITE_OK)
        return sqlerr(c, err, "conflicts");
    int rc = step(c, st);
    if (rc == SQLITE_ROW)
        *total = (uint64_t)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW)
        return sqlerr(c, err, "counting conflicts");
    /* one row per (source, id), the first conflict of each for its file */
    if (sqlite3_prepare_v2(c->db,
                           "SELECT x.evidence_id, COALESCE(e.sha256, ''),"
                           " COALESCE(d.text || e.base, ''), x.member, x.offset, x.source,"
                           " x.event_id, g.n FROM (SELECT MIN(id) AS first, COUNT(*) AS n"
                           " FROM conflicts GROUP BY source, event_id"
                           " ORDER BY n DESC, first LIMIT ?) g"
                           " JOIN conflicts x ON x.id = g.first LEFT JOIN evidence e"
                           " ON e.id = x.evidence_id LEFT JOIN names d ON d.id = e.dir"
                           " ORDER BY g.n DESC, g.first",
                           -1, &st, NULL) != SQLITE_OK)
        return sqlerr(c, err, "conflicts");
    sqlite3_bind_int64(st, 1, max ? (sqlite3_int64)max : -1);
    int stop = 0;
    struct km_conflict x;
    while (!stop && (rc = step(c, st)) == SQLITE_ROW) {
        memset(&x, 0, sizeof x);
        x.evidence_id = (uint64_t)sqlite3_column_int64(st, 0);
        colhex(x.sha256, st, 1);
        colcpy(x.file, sizeof x.file, st, 2);
        colcpy(x.member, sizeof x.member, st, 3);
        x.offset = (uint64_t)sqlite3_column_int64(st, 4);
        colcpy(x.source, sizeof x.source, st, 5);
        colcpy(x.event_id, sizeof x.event_id, st, 6);
        x.count = (uint64_t)sqlite3_column_int64(st, 7);
        stop = cb(ctx, &x);
    }
    int ok = stop || rc == SQLITE_DONE;
    sqlite3_finalize(st);
    return ok ? KM_OK : sqlerr(c, err, "reading conflicts");
}

int km_cat_reject_each(struct km_catalog *c, int all,
                       int (*cb)(void *, const struct km_reject *), void *ctx,
                       struct km_err *err)
{
    int sup = have_table(c, "rejects_superseded");
    char sql[1024];
    snprintf(sql, sizeof sql,
             "SELECT r.id, r.evidence_id, COALESCE(e.sha256, ''), COALESCE(d.text || e.base, ''),"
             " COALESCE(f.text, ''), r.member, r.offset, r.line, r.code, r.reason, %s"
             " FROM rejects r LEFT JOIN evidence e ON e.id = r.evidence_id"
             " LEFT JOIN names d ON d.id = e.dir LEFT JOIN names f ON f.id = e.format"
             "%s%s ORDER BY r.id",
             sup ? "COALESCE(s.custody_seq, 0)" : "0",
             sup ? " LEFT JOIN rejects_superseded s ON s.reject_id = r.id" : "",
             sup && !all ? " WHERE s.reject_id IS NULL" : "");
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK)
        return sqlerr(c, err, "rejects");
    int rc, stop = 0;
    struct km_reject r;
    while (!stop && (rc = step(c, st)) == SQLITE_ROW) {
        memset(&r, 0, sizeof r);
        r.id = (uint64_t)sqlite3_column_int64(st, 0);
        r.evidence_id = (uint64_t)sqlite3_column_int64(st, 1);
        colhex(r.sha256, st, 2);
        colcpy(r.file, sizeof r.file, st, 3);
        colcpy(r.format, sizeof r.format, st, 4);
        colcpy(r.member, sizeof r.member, st, 5);
        r.offset = (uint64_t)sqlite3_column_int64(st, 6);
        r.line = (long)sqlite3_column_int64(st, 7);
        r.code = sqlite3_column_int(st, 8);
        colcpy(r.reason, sizeof r.reason, st, 9);
        r.superseded_by = (uint64_t)sqlite3_column_int64(st, 10);
        stop = cb(ctx, &r);
    }
    int ok = stop || rc == SQLITE_DONE;
    sqlite3_finalize(st);
    return ok ? KM_OK : sqlerr(c, err, "reading rejects");
}

int km_cat_rejects_supersede(struct km_catalog *c, uint64_t evidence_id, uint64_t before_id,
                             uint64_t custody_seq, struct km_err *err)
{
    int rc = ensure_table(c, SUPERSEDED_SQL, err);
    if (rc)
        return rc;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(c->db,
                           "INSERT OR IGNORE INTO rejects_superseded(reject_id, custody_seq)"
                           " SELECT id, ? FROM rejects WHERE evidence_id = ? AND id <= ?",
                           -1, &st, NULL) != SQLITE_OK)
        return sqlerr(c, err, "supersede rejects");
    sqlite3_bind_int64(st, 1, (sqlite3_int64)custody_seq);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)evidence_id);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)before_id);
    rc = step(c, st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? KM_OK : sqlerr(c, err, "supersede rejects");
}

int km_cat_reject_max_id(struct km_catalog *c, uint64_t *id, struct km_err *err)
{
    sqlite3_stmt *st;
    *id = 0;
    if (sqlite3_prepare_v2(c->db, "SELECT COALESCE(MAX(id), 0) FROM rejects", -1, &st, NULL) !=
        SQLITE_OK)
        return sqlerr(c, err, "rejects");
    int rc = step(c, st);
    if (rc == SQLITE_ROW)
        *id = (uint64_t)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? KM_OK : sqlerr(c, err, "rejects");
}
