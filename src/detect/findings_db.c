/*
 * findings_db.c — findings in the store's catalog (finding.h): the tables,
 * insert-or-update by id, loading, and the digest custody anchors.
 */
#include "detect/finding.h"

#include "core/hash.h"
#include "store/catalog.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int sqlerr(struct km_catalog *c, struct km_err *err, const char *what)
{
    return km_err_set(err, KM_ESQL, NULL, UINT64_MAX, "%s: %s", what,
                      sqlite3_errmsg(km_cat_db(c)));
}

int km_findings_schema(struct km_catalog *c, struct km_err *err)
{
    char *msg = NULL;
    const char *sql =
        "CREATE TABLE IF NOT EXISTS findings("
        "  id TEXT PRIMARY KEY, detection TEXT NOT NULL, severity INTEGER NOT NULL,"
        "  first INTEGER NOT NULL, last INTEGER NOT NULL, summary TEXT NOT NULL,"
        "  json TEXT NOT NULL, created INTEGER NOT NULL, updated INTEGER NOT NULL);"
        "CREATE INDEX IF NOT EXISTS findings_first ON findings(first);"
        "CREATE TABLE IF NOT EXISTS hunts("
        "  seq INTEGER PRIMARY KEY, time INTEGER NOT NULL, since INTEGER, until INTEGER,"
        "  only TEXT NOT NULL, new INTEGER NOT NULL, updated INTEGER NOT NULL,"
        "  unchanged INTEGER NOT NULL, total INTEGER NOT NULL, digest TEXT NOT NULL);";
    if (sqlite3_exec(km_cat_db(c), sql, NULL, NULL, &msg) != SQLITE_OK) {
        km_err_set(err, KM_ESQL, NULL, UINT64_MAX, "findings schema: %s", msg ? msg : "?");
        sqlite3_free(msg);
        return KM_ESQL;
    }
    return KM_OK;
}

int km_findings_present(struct km_catalog *c)
{
    sqlite3_stmt *st;
    int have = -1;
    if (sqlite3_prepare_v2(km_cat_db(c),
                           "SELECT 1 FROM sqlite_master WHERE type='table' AND name='findings'",
                           -1, &st, NULL) == SQLITE_OK) {
        int rc = sqlite3_step(st);
        have = rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
        sqlite3_finalize(st);
    }
    return have;
}

int km_findings_put(struct km_catalog *c, const struct km_finding *f, int64_t now, int *state,
                    struct km_err *err)
{
    sqlite3 *db = km_cat_db(c);
    struct km_buf b;
    km_buf_init(&b, 0);
    km_finding_json(f, 1, &b);
    if (b.oom) {
        km_buf_free(&b);
        return km_err_set(err, KM_ENOMEM, NULL, UINT64_MAX, "finding %s too large", f->id);
    }
    sqlite3_stmt *st;
    *state = 1;
    if (sqlite3_prepare_v2(db, "SELECT json FROM findings WHERE id = ?", -1, &st, NULL) !=
        SQLITE_OK) {
        km_buf_free(&b);
        return sqlerr(c, err, "findings");
    }
    sqlite3_bind_text(st, 1, f->id, -1, SQLITE_STATIC);
    int src = sqlite3_step(st);
    if (src == SQLITE_ROW) {
        const char *old = (const char *)sqlite3_column_text(st, 0);
        size_t on = (size_t)sqlite3_column_bytes(st, 0);
        *state = old && on == b.n && memcmp(old, b.p, on) == 0 ? 0 : 2;
    } else if (src != SQLITE_DONE) {
        int rc = sqlerr(c, err, "findings");
        sqlite3_finalize(st);
        km_buf_free(&b);
        return rc;
    }
    sqlite3_finalize(st);
    if (*state == 0) {
        km_buf_free(&b);
        return KM_OK;
    }
    const char *sql = *state == 1
        ? "INSERT INTO findings(id, detection, severity, first, last, summary, json, created,"
          " updated) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?8)"
        : "UPDATE findings SET detection=?2, severity=?3, first=?4, last=?5, summary=?6,"
          " json=?7, updated=?8 WHERE id=?1";
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        km_buf_free(&b);
        return sqlerr(c, err, "findings");
    }
    sqlite3_bind_text(st, 1, f->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, f->detection, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, f->severity);
    sqlite3_bind_int64(st, 4, f->first);
    sqlite3_bind_int64(st, 5, f->last);
    sqlite3_bind_text(st, 6, f->summary, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, b.p, (int)b.n, SQLITE_STATIC);
    sqlite3_bind_int64(st, 8, now);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    km_buf_free(&b);
    if (rc != SQLITE_DONE)
        return sqlerr(c, err, "store finding");
    return KM_OK;
}

int km_findings_load(struct km_catalog *c, int min_sev, const char *id,
                     struct km_finding **out, size_t *n, struct km_err *err)
{
    *out = NULL;
    *n = 0;
    if (!km_findings_present(c))
        return KM_OK;
    sqlite3_stmt *st;
    const char *sql = id ? "SELECT json FROM findings WHERE id = ?1"
                         : "SELECT json FROM findings WHERE severity >= ?2 ORDER BY first, id";
    if (sqlite3_prepare_v2(km_cat_db(c), sql, -1, &st, NULL) != SQLITE_OK)
        return sqlerr(c, err, "findings");
    if (id)
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    else
        sqlite3_bind_int(st, 2, min_sev);
    size_t cap = 0;
    int rc = KM_OK, src;
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 64;
            *out = km_xrealloc(*out, cap * sizeof **out);
        }
        const char *j = (const char *)sqlite3_column_text(st, 0);
        size_t jn = (size_t)sqlite3_column_bytes(st, 0);
        rc = km_finding_from_json(j ? j : "", j ? jn : 0, &(*out)[*n], err);
        if (rc != KM_OK)
            break;
        (*n)++;
    }
    if (rc == KM_OK && src != SQLITE_DONE)
        rc = sqlerr(c, err, "reading findings");
    sqlite3_finalize(st);
    return rc;
}

void km_findings_free(struct km_finding *f, size_t n)
{
    for (size_t i = 0; i < n; i++)
        km_finding_free(&f[i]);
    free(f);
}

int km_findings_digest(struct km_catalog *c, char out[65], struct km_err *err)
{
    struct km_sha256 h;
    km_sha256_init(&h);
    if (km_findings_present(c)) {
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(km_cat_db(c), "SELECT id, json FROM findings ORDER BY id", -1,
                               &st, NULL) != SQLITE_OK)
            return sqlerr(c, err, "findings");
        int src;
        while ((src = sqlite3_step(st)) == SQLITE_ROW) {
            const char *id = (const char *)sqlite3_column_text(st, 0);
            const char *j = (const char *)sqlite3_column_text(st, 1);
            km_sha256_update(&h, id ? id : "", id ? (size_t)sqlite3_column_bytes(st, 0) : 0);
            km_sha256_update(&h, "\n", 1);
            km_sha256_update(&h, j ? j : "", j ? (size_t)sqlite3_column_bytes(st, 1) : 0);
            km_sha256_update(&h, "\n", 1);
        }
        if (src != SQLITE_DONE) {
            int rc = sqlerr(c, err, "reading findings");
            sqlite3_finalize(st);
            return rc;
        }
        sqlite3_finalize(st);
    }
    uint8_t md[32];
    km_sha256_final(&h, md);
    km_hex(md, 32, out);
    out[64] = 0;
    return KM_OK;
}
