/*
 * test_store.c — segments, the writer's dedupe, scans with pruning, stats,
 * the custody chain and its tamper detection, store versioning.
 */
#include "core/event.h"
#include "core/hash.h"
#include "store/catalog.h"
#include "store/segment.h"
#include "store/store.h"
#include "store/vault.h"
#include "t.h"

#include <dirent.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[256];

static int count_files(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

static void mk_event(struct km_event *ev, int i, char *idbuf, char *ipbuf, char *actor)
{
    km_event_init(ev);
    ev->time_us = 1700000000000000LL + (int64_t)((i * 7919) % 1000) * 1000000; /* unordered */
    ev->f[KM_F_PROVIDER] = KM_STR("aws");
    ev->f[KM_F_SOURCE] = KM_STR("aws.cloudtrail");
    ev->f[KM_F_ACCOUNT] = i % 2 ? KM_STR("111111111111") : KM_STR("222222222222");
    if (i % 5 == 0) /* not a UUID: stored as a plain string */
        snprintf(idbuf, 64, "evt-%d", i);
    else
        snprintf(idbuf, 64, "%08x-0000-4000-8000-%012d", i, i);
    ev->f[KM_F_EVENT_ID] = km_str_c(idbuf);
    snprintf(ipbuf, 32, "10.0.%d.%d", i / 250, i % 250);
    ev->f[KM_F_SRC_IP] = km_str_c(ipbuf);
    snprintf(actor, 32, "user%d", i % 10);
    ev->f[KM_F_ACTOR_NAME] = km_str_c(actor);
    ev->f[KM_F_ACTION] = i % 3 ? KM_STR("ListBuckets") : KM_STR("CreateUser");
    ev->f[KM_F_REQUEST_ID] = i % 5 ? km_str_c(idbuf) : KM_STR_NONE;
    ev->read_only = i % 3 ? 1 : 0;
    ev->raw.object = 1 + (uint64_t)i / 100;
    ev->raw.offset = (uint64_t)i * 1000;
    ev->raw.length = 900 + (uint32_t)i % 50;
    km_event_key(ev);
}

static void test_segment_roundtrip(void)
{
    struct km_segb *b = km_segb_new(5000);
    char id[64], ip[32], actor[32];
    for (int i = 0; i < 3000; i++) {
        struct km_event ev;
        mk_event(&ev, i, id, ip, actor);
        T_EQ_INT(km_segb_add(b, &ev), KM_OK);
    }
    struct km_event ev;
    mk_event(&ev, 42, id, ip, actor);
    T_CHECK(km_segb_has_key(b, ev.key));
    char path[512];
    snprintf(path, sizeof path, "%s/seg.kseg", tmpdir);
    struct km_seg_summary sum;
    struct km_err err;
    km_err_clear(&err);
    T_EQ_INT(km_segb_write(b, path, &sum, &err), KM_OK);
    T_EQ_INT(sum.rows, 3000);
    T_EQ_INT(sum.ngroups, 2);
    struct km_seg *s;
    T_EQ_INT(km_seg_open(path, &s, &err), KM_OK);
    T_EQ_INT(km_seg_verify(s, &err), KM_OK);
    T_EQ_INT(km_seg_rows(s), 3000);
    /* rows are time-sorted */
    int64_t prev = INT64_MIN, t;
    int sorted = 1;
    for (uint32_t r = 0; r < 3000; r++) {
        km_seg_time(s, r, &t, &err);
        sorted &= t >= prev;
        prev = t;
    }
    T_CHECK(sorted);
    /* key lookup finds the row, and the row materialises the same event */
    uint32_t row;
    T_CHECK(km_seg_may_have_key(s, ev.key));
    T_CHECK(km_seg_find_key(s, ev.key, &row));
    struct km_event back;
    T_EQ_INT(km_seg_event(s, row, &back, &err), KM_OK);
    T_CHECK(km_str_eq(back.f[KM_F_EVENT_ID], ev.f[KM_F_EVENT_ID]));
    T_CHECK(km_str_eq(back.f[KM_F_SRC_IP], ev.f[KM_F_SRC_IP]));
    T_CHECK(km_str_eq(back.f[KM_F_ACTOR_NAME], ev.f[KM_F_ACTOR_NAME]));
    T_CHECK(back.f[KM_F_REQUEST_ID].p == NULL); /* raw-only field: not stored */
    T_EQ_INT(back.time_us, ev.time_us);
    T_EQ_INT(back.raw.object, ev.raw.object);
    T_EQ_INT(back.raw.offset, ev.raw.offset);
    T_EQ_INT(back.raw.length, ev.raw.length);
    T_EQ_INT(back.read_only, 0);
    T_CHECK(back.f[KM_F_ERROR_CODE].p == NULL);
    /* a non-UUID id is stored as text and comes back */
    struct km_event ev5;
    char id5[64], ip5[32], a5[32];
    mk_event(&ev5, 5, id5, ip5, a5);
    T_CHECK(km_seg_find_key(s, ev5.key, &row));
    km_seg_event(s, row, &back, &err);
    T_CHECK(km_str_eqc(back.f[KM_F_EVENT_ID], "evt-5"));
    /* a key that was never added */
    uint8_t nokey[16] = {1, 2, 3};
    T_CHECK(!km_seg_find_key(s, nokey, &row));
    /* dictionary pruning */
    uint32_t code;
    T_EQ_INT(km_seg_dict_find(s, KM_F_SRC_IP, "10.0.1.1", 8, &code), 1);
    T_EQ_INT(km_seg_dict_find(s, KM_F_SRC_IP, "10.9.9.9", 8, &code), 0);
    T_EQ_INT(km_seg_dict_find(s, KM_F_ACTION, "CreateUser", 10, &code), 1);
    km_seg_close(s);
    /* a flipped byte is caught by verify */
    FILE *f = fopen(path, "r+b");
    fseek(f, 200, SEEK_SET);
    int c = fgetc(f);
    fseek(f, 200, SEEK_SET);
    fputc(c ^ 0xff, f);
    fclose(f);
    T_EQ_INT(km_seg_open(path, &s, &err), KM_OK);
    km_err_clear(&err);
    T_EQ_INT(km_seg_verify(s, &err), KM_ECORRUPT);
    km_seg_close(s);
    /* truncation is caught at open */
    T_EQ_INT(truncate(path, 1000), 0);
    km_err_clear(&err);
    T_EQ_INT(km_seg_open(path, &s, &err), KM_ECORRUPT);
    km_segb_free(b);
}

struct counter {
    int n;
    int64_t last;
    int ordered;
};

static int count_cb(void *ctx, const struct km_event *ev)
{
    struct counter *c = ctx;
    c->n++;
    if (ev->time_us < c->last)
        c->ordered = 0;
    c->last = ev->time_us;
    return 0;
}

static void test_writer_scan_stats(void)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/store1", tmpdir);
    struct km_store *s;
    struct km_err err;
    km_err_clear(&err);
    T_EQ_INT(km_store_open(dir, 0, &s, &err), KM_ENOTFOUND);
    km_err_clear(&err);
    T_EQ_INT(km_store_open(dir, KM_STORE_CREATE | KM_STORE_WRITE, &s, &err), KM_OK);
    struct km_writer *w;
    struct km_writer_opts o = {1000}; /* small segments: several flushes */
    T_EQ_INT(km_writer_open(s, &o, &w, &err), KM_OK);
    char id[64], ip[32], actor[32];
    int dups = 0;
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < 2500; i++) {
            struct km_event ev;
            mk_event(&ev, i, id, ip, actor);
            int dup;
            T_EQ_INT(km_writer_add(w, &ev, &dup, &err), KM_OK);
            dups += dup;
        }
    T_EQ_INT(dups, 2500);
    T_EQ_INT(km_writer_close(w, &err), KM_OK);
    /* stats from the manifest */
    struct km_stat_row *rows;
    size_t n;
    T_EQ_INT(km_store_stats(s, &rows, &n, &err), KM_OK);
    T_EQ_INT(n, 2);
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += rows[i].events;
    T_EQ_INT(total, 2500);
    free(rows);
    /* scans: all, by ip, by actor (any of several fields), by time */
    struct km_filter f;
    km_filter_init(&f);
    struct counter c = {0, INT64_MIN, 1};
    T_EQ_INT(km_store_scan(s, &f, count_cb, &c, &err), KM_OK);
    T_EQ_INT(c.n, 2500);
    f.nconds = 1;
    f.conds[0].fields = 1ULL << KM_F_SRC_IP | 1ULL << KM_F_SRC_RAW;
    f.conds[0].value = "10.0.3.7";
    c = (struct counter){0, INT64_MIN, 1};
    km_store_scan(s, &f, count_cb, &c, &err);
    T_EQ_INT(c.n, 1);
    f.conds[0].fields = 1ULL << KM_F_ACTOR_NAME | 1ULL << KM_F_ACTOR_ARN;
    f.conds[0].value = "user3";
    c = (struct counter){0, INT64_MIN, 1};
    km_store_scan(s, &f, count_cb, &c, &err);
    T_EQ_INT(c.n, 250);
    f.nconds = 2;
    f.conds[1].fields = 1ULL << KM_F_ACTION;
    f.conds[1].value = "CreateUser";
    c = (struct counter){0, INT64_MIN, 1};
    km_store_scan(s, &f, count_cb, &c, &err);
    int expect = 0;
    for (int i = 0; i < 2500; i++)
        expect += i % 10 == 3 && i % 3 == 0;
    T_EQ_INT(c.n, expect);
    km_filter_init(&f);
    f.since = 1700000000000000LL + 100 * 1000000LL;
    f.until = 1700000000000000LL + 199 * 1000000LL;
    c = (struct counter){0, INT64_MIN, 1};
    km_store_scan(s, &f, count_cb, &c, &err);
    T_EQ_INT(c.n, 250);
    /* a value in no segment */
    km_filter_init(&f);
    f.nconds = 1;
    f.conds[0].fields = 1ULL << KM_F_SRC_IP;
    f.conds[0].value = "192.0.2.1";
    c = (struct counter){0, INT64_MIN, 1};
    km_store_scan(s, &f, count_cb, &c, &err);
    T_EQ_INT(c.n, 0);
    km_store_close(s);
    /* reopening and re-adding finds duplicates in published segments */
    T_EQ_INT(km_store_open(dir, KM_STORE_WRITE, &s, &err), KM_OK);
    T_EQ_INT(km_writer_open(s, NULL, &w, &err), KM_OK);
    dups = 0;
    for (int i = 0; i < 2600; i++) {
        struct km_event ev;
        mk_event(&ev, i, id, ip, actor);
        int dup;
        km_writer_add(w, &ev, &dup, &err);
        dups += dup;
    }
    T_EQ_INT(dups, 2500);
    T_EQ_INT(km_writer_close(w, &err), KM_OK);
    T_EQ_INT(km_store_stats(s, &rows, &n, &err), KM_OK);
    total = 0;
    for (size_t i = 0; i < n; i++)
        total += rows[i].events;
    T_EQ_INT(total, 2600);
    free(rows);
    km_store_close(s);
}

/* An on-commit callback that fails rolls the whole publish back: the
 * segment row is not committed, the evidence stays pending, and the error
 * reaches the caller; a later writer deletes the orphan segment file. */
static int fail_commit(void *ctx, uint64_t evidence_id, struct km_err *err)
{
    int *calls = ctx;
    (*calls)++;
    return km_err_set(err, KM_EIO, NULL, UINT64_MAX, "custody append failed for %llu",
                      (unsigned long long)evidence_id);
}

static void test_on_commit_error_rolls_back(void)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/store-oncommit", tmpdir);
    struct km_store *s;
    struct km_err err;
    km_err_clear(&err);
    T_EQ_INT(km_store_open(dir, KM_STORE_CREATE | KM_STORE_WRITE, &s, &err), KM_OK);
    struct km_catalog *c = km_store_catalog(s);
    struct km_evidence ev;
    memset(&ev, 0, sizeof ev);
    memset(ev.sha256, 'c', 64);
    ev.size = 10;
    snprintf(ev.source_path, sizeof ev.source_path, "/evidence/x.json");
    uint64_t eid;
    T_EQ_INT(km_cat_begin(c, &err), KM_OK);
    T_EQ_INT(km_cat_evidence_add(c, &ev, &eid, &err), KM_OK);
    T_EQ_INT(km_cat_commit(c, &err), KM_OK);
    struct km_writer *w;
    T_EQ_INT(km_writer_open(s, NULL, &w, &err), KM_OK);
    int calls = 0;
    km_writer_on_commit(w, fail_commit, &calls);
    char id[64], ip[32], actor[32];
    for (int i = 0; i < 100; i++) {
        struct km_event e;
        mk_event(&e, i, id, ip, actor);
        int dup;
        T_EQ_INT(km_writer_add(w, &e, &dup, &err), KM_OK);
    }
    T_EQ_INT(km_writer_evidence_done(w, eid, &err), KM_OK);
    T_EQ_INT(km_writer_flush(w, &err), KM_EIO);
    T_CHECK(strstr(err.msg, "custody append failed") != NULL);
    T_EQ_INT(calls, 1);
    km_writer_close(w, NULL);
    struct km_segment_row *rows;
    size_t n;
    km_err_clear(&err);
    T_EQ_INT(km_cat_segments(c, &rows, &n, &err), KM_OK);
    T_EQ_INT(n, 0); /* the segment row was rolled back */
    free(rows);
    struct km_evidence got;
    T_EQ_INT(km_cat_evidence_by_id(c, eid, &got, &err), KM_OK);
    T_EQ_INT(got.complete, 0);
    /* the orphan file is swept by the next writer, after a complete read */
    char segs[600];
    snprintf(segs, sizeof segs, "%s/segments", dir);
    T_EQ_INT(count_files(segs), 1);
    T_EQ_INT(km_writer_open(s, NULL, &w, &err), KM_OK);
    T_EQ_INT(count_files(segs), 0);
    T_EQ_INT(km_writer_close(w, &err), KM_OK);
    km_store_close(s);
}

/* Pack writer (O_DIRECT through a staging buffer): objects of odd sizes that
 * straddle the 1 MiB buffer and 4 KiB blocks, flushes in between (as every
 * publish does), a reopened pack with a partial last block: the file must
 * hold exactly the concatenation, and each object's offset must point at it. */
static void test_pack_writer(void)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/store-pack", tmpdir);
    struct km_store *s;
    struct km_err err;
    km_err_clear(&err);
    T_EQ_INT(km_store_open(dir, KM_STORE_CREATE | KM_STORE_WRITE, &s, &err), KM_OK);
    size_t total = 0, cap = 5u << 20;
    unsigned char *want = malloc(cap);
    static const size_t sizes[] = {1, 4095, 4096, 4097, 100000, 1048575, 1048577, 7, 2500000, 3};
    uint64_t offs[24];
    int nobj = 0;
    for (int round = 0; round < 2; round++) {
        struct km_vault_pack *vp;
        T_EQ_INT(km_vault_pack_open(s, "t1", &vp, &err), KM_OK);
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
            size_t n = sizes[i] / (round + 1) + 1;
            if (total + n > cap)
                break;
            for (size_t k = 0; k < n; k++)
                want[total + k] = (unsigned char)(k * 31 + i * 7 + (size_t)round);
            char name[64];
            T_EQ_INT(km_vault_pack_put(vp, want + total, n, name, &offs[nobj], &err), KM_OK);
            T_EQ_STR(name, "t1.pack");
            T_EQ_INT(offs[nobj], total);
            nobj++;
            total += n;
            if (i % 3 == 1)
                T_EQ_INT(km_vault_packs_flush(s, &err), KM_OK);
        }
        T_EQ_INT(km_vault_pack_close(vp, &err), KM_OK);
    }
    char p[700];
    snprintf(p, sizeof p, "%s/vault/packs/t1.pack", dir);
    FILE *f = fopen(p, "rb");
    T_CHECK(f != NULL);
    unsigned char *got = malloc(cap + 1);
    size_t n = f ? fread(got, 1, cap + 1, f) : 0;
    if (f)
        fclose(f);
    T_EQ_INT(n, total);
    T_CHECK(n == total && memcmp(got, want, total) == 0);
    free(got);
    free(want);
    km_store_close(s);
}

static void test_second_writer_refused(void)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/store2", tmpdir);
    struct km_store *a, *b;
    struct km_err err;
    km_err_clear(&err);
    T_EQ_INT(km_store_open(dir, KM_STORE_CREATE | KM_STORE_WRITE, &a, &err), KM_OK);
    km_err_clear(&err);
    T_EQ_INT(km_store_open(dir, KM_STORE_WRITE, &b, &err), KM_EIO);
    T_CHECK(strstr(err.msg, "another kumo") != NULL);
    km_store_close(a);
}

static void test_newer_store_refused(void)
{
    char dir[512], p[600];
    snprintf(dir, sizeof dir, "%s/store3", tmpdir);
    struct km_store *a;
    struct km_err err;
    km_err_clear(&err);
    T_EQ_INT(km_store_open(dir, KM_STORE_CREATE, &a, &err), KM_OK);
    km_store_close(a);
    snprintf(p, sizeof p, "%s/FORMAT", dir);
    FILE *f = fopen(p, "w");
    fprintf(f, "kumo-store 99\n");
    fclose(f);
    km_err_clear(&err);
    T_EQ_INT(km_store_open(dir, 0, &a, &err), KM_EVERSION);
    T_CHECK(strstr(err.msg, "newer") != NULL);
}

/* Changes the catalog behind kumo's back (its own SQLite connection, as the
 * sqlite3 CLI would). */
static void tamper(const char *path, const char *sql)
{
    sqlite3 *db;
    T_EQ_INT(sqlite3_open(path, &db), SQLITE_OK);
    T_EQ_INT(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

static void test_custody_chain(void)
{
    char p[512];
    snprintf(p, sizeof p, "%s/cat.sqlite", tmpdir);
    struct km_catalog *c;
    struct km_err err;
    km_err_clear(&err);
    T_EQ_INT(km_cat_open(p, 1, &c, &err), KM_OK);
    for (int i = 0; i < 5; i++) {
        struct km_evidence ev;
        memset(&ev, 0, sizeof ev);
        memset(ev.sha256, 'a' + i, 64);
        ev.size = 100 + (uint64_t)i;
        snprintf(ev.source_path, sizeof ev.source_path, "/evidence/f%d.json", i);
        uint64_t eid;
        T_EQ_INT(km_cat_evidence_add(c, &ev, &eid, &err), KM_OK);
        struct km_custody r;
        memset(&r, 0, sizeof r);
        r.evidence_id = eid;
        r.size = ev.size;
        snprintf(r.time, sizeof r.time, "2026-11-27T00:00:0%dZ", i);
        snprintf(r.operator_, sizeof r.operator_, "tester");
        snprintf(r.host, sizeof r.host, "lab");
        snprintf(r.action, sizeof r.action, "acquire");
        snprintf(r.format, sizeof r.format, "aws.cloudtrail Records");
        snprintf(r.source_path, sizeof r.source_path, "/evidence/f%d.json", i);
        memcpy(r.sha256, ev.sha256, 65);
        r.events_new = (uint64_t)i * 10;
        T_EQ_INT(km_cat_custody_append(c, &r, &err), KM_OK);
        T_EQ_INT(r.seq, i + 1);
    }
    uint64_t n;
    T_EQ_INT(km_cat_custody_verify(c, &n, &err), KM_OK);
    T_EQ_INT(n, 5);
    /* tamper: change one count behind kumo's back */
    tamper(p, "UPDATE custody SET events_new = 999 WHERE seq = 3");
    km_err_clear(&err);
    T_EQ_INT(km_cat_custody_verify(c, &n, &err), KM_ECORRUPT);
    T_CHECK(strstr(err.msg, "record 3") != NULL);
    tamper(p, "UPDATE custody SET events_new = 20 WHERE seq = 3");
    km_err_clear(&err);
    T_EQ_INT(km_cat_custody_verify(c, &n, &err), KM_OK);
    /* tamper with the evidence a record points at: its hash is in the chain */
    tamper(p, "UPDATE evidence SET size = 1 WHERE id = 2");
    km_err_clear(&err);
    T_EQ_INT(km_cat_custody_verify(c, &n, &err), KM_ECORRUPT);
    T_CHECK(strstr(err.msg, "record 2") != NULL);
    tamper(p, "UPDATE evidence SET size = 101 WHERE id = 2");
    /* removing a record breaks the chain too */
    tamper(p, "DELETE FROM custody WHERE seq = 4");
    km_err_clear(&err);
    T_EQ_INT(km_cat_custody_verify(c, &n, &err), KM_ECORRUPT);
    km_cat_close(c);
}

/* Anchors: a commit makes rows visible and appends one "commit" record
 * covering them; verify_state names an edit, a deletion and a truncation. */
struct probs {
    int n;
    char last[600];
};
static void prob_cb(void *ctx, const char *m)
{
    struct probs *p = ctx;
    p->n++;
    snprintf(p->last, sizeof p->last, "%s", m);
}
static void note_cb(void *ctx, const char *m) { (void)ctx; (void)m; }

static void test_anchors(void)
{
    char d[512], p[600];
    snprintf(d, sizeof d, "%s/anch", tmpdir);
    T_CHECK(mkdir(d, 0755) == 0);
    snprintf(p, sizeof p, "%s/catalog.sqlite", d);
    struct km_catalog *c;
    struct km_err err;
    km_err_clear(&err);
    T_EQ_INT(km_cat_open(p, 1, &c, &err), KM_OK);
    for (int round = 0; round < 2; round++) {
        T_EQ_INT(km_cat_begin(c, &err), KM_OK);
        struct km_evidence ev;
        memset(&ev, 0, sizeof ev);
        memset(ev.sha256, 'a' + round, 64);
        ev.size = 10;
        snprintf(ev.source_path, sizeof ev.source_path, "/e/f%d.json", round);
        uint64_t eid, oid, sid;
        T_EQ_INT(km_cat_evidence_add(c, &ev, &eid, &err), KM_OK);
        T_EQ_INT(km_cat_object_add(c, eid, 0, "", "plain", &oid, &err), KM_OK);
        T_EQ_INT(km_cat_reject_add(c, eid, "", 5, 1, 4, "bad record", &err), KM_OK);
        struct km_seg_summary sum;
        memset(&sum, 0, sizeof sum);
        sum.rows = 7;
        sum.tmin = 100;
        sum.tmax = 200;
        sum.bytes = 999;
        memset(sum.sha256, 'c', 64);
        char name[32];
        snprintf(name, sizeof name, "s%d.kseg", round);
        T_EQ_INT(km_cat_segment_add(c, name, &sum, &sid, &err), KM_OK);
        T_EQ_INT(km_cat_evidence_complete(c, eid, "aws.cloudtrail", &err), KM_OK);
        T_EQ_INT(km_cat_commit(c, &err), KM_OK);
    }
    uint64_t n;
    T_EQ_INT(km_cat_custody_verify(c, &n, &err), KM_OK);
    T_EQ_INT(n, 2); /* one commit record per transaction */
    struct km_state_report r;
    struct probs pr = {0, ""};
    T_EQ_INT(km_cat_verify_state(c, prob_cb, note_cb, &pr, &r, &err), KM_OK);
    T_EQ_INT(pr.n, 0);
    T_EQ_INT(r.commits, 2);
    T_EQ_INT(r.have_head, 1);
    T_EQ_INT(r.head_seq, 2);
    /* edit one anchored row: named, with the record that anchored it */
    tamper(p, "UPDATE segments SET tmax = tmin WHERE id = 1");
    pr.n = 0;
    T_EQ_INT(km_cat_verify_state(c, prob_cb, note_cb, &pr, &r, &err), KM_OK);
    T_EQ_INT(pr.n, 1);
    T_CHECK(strstr(pr.last, "segments anchored by custody record #1") != NULL);
    tamper(p, "UPDATE segments SET tmax = 200 WHERE id = 1");
    /* delete a reject: its record's digest and the totals differ */
    tamper(p, "DELETE FROM rejects WHERE id = 2");
    pr.n = 0;
    T_EQ_INT(km_cat_verify_state(c, prob_cb, note_cb, &pr, &r, &err), KM_OK);
    T_EQ_INT(pr.n, 2);
    T_CHECK(strstr(pr.last, "rejects") != NULL);
    km_cat_close(c);
    /* truncation: the last record deleted, HEAD still names it */
    T_EQ_INT(km_cat_open(p, 0, &c, &err), KM_OK);
    tamper(p, "DELETE FROM custody WHERE seq = 2");
    pr.n = 0;
    T_EQ_INT(km_cat_verify_state(c, prob_cb, note_cb, &pr, &r, &err), KM_OK);
    T_CHECK(pr.n >= 1);
    T_CHECK(strstr(pr.last, "truncated") != NULL);
    km_cat_close(c);
}

static void test_event_key(void)
{
    struct km_event a, b;
    km_event_init(&a);
    a.f[KM_F_EVENT_ID] = KM_STR("865d9377-9c6b-4fd7-8aad-725e95f6a140");
    km_event_key(&a);
    T_EQ_INT(a.key[0], 0x86);
    T_EQ_INT(a.key[15], 0x40);
    km_event_init(&b);
    b.f[KM_F_PROVIDER] = KM_STR("aws");
    b.f[KM_F_SOURCE] = KM_STR("aws.cloudtrail");
    b.f[KM_F_EVENT_ID] = KM_STR("1");
    km_event_key(&b);
    struct km_event c2 = b;
    c2.f[KM_F_SOURCE] = KM_STR("azure.signin");
    km_event_key(&c2);
    T_CHECK(memcmp(b.key, c2.key, 16) != 0);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/kumo-test-store-XXXXXX");
    if (!mkdtemp(tmpdir))
        return 2;
    T_RUN(test_segment_roundtrip);
    T_RUN(test_writer_scan_stats);
    T_RUN(test_on_commit_error_rolls_back);
    T_RUN(test_pack_writer);
    T_RUN(test_second_writer_refused);
    T_RUN(test_newer_store_refused);
    T_RUN(test_custody_chain);
    T_RUN(test_anchors);
    T_RUN(test_event_key);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd) != 0)
        return 2;
    return t_done();
}
