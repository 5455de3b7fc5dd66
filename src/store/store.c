/*
 * store.c — opening a store directory, the segment writer (dedupe, publish,
 * evidence completion) and scans over published segments (store.h).
 *
 * Publishing a segment:
 *   1. write tmp/<name>.kseg, fsync            (invisible)
 *   2. rename to segments/<name>.kseg, fsync dir (still invisible: not in manifest)
 *   3. one catalog transaction: insert the segment and its group counts, mark
 *      completed evidence, append their custody records   (visible, atomic)
 * A crash before 3 leaves an orphan file that the next writer deletes; the
 * evidence stays pending and is re-ingested, dedupe dropping what was stored.
 */
#include "store/store.h"

#include "store/catalog.h"
#include "store/vault.h"
#include "store/segment.h"
#include "core/fault.h"

#include <dirent.h>
#include <pthread.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <strings.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

struct km_store {
    char *dir;
    int lock_fd;
    struct km_catalog *cat;
};

static int mkdir_p(const char *path)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(buf, 0755) != 0 && errno != EEXIST)
        return -1;
    return 0;
}

static int fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

/* Deletes the entries of dir/sub for which keep(name, ctx) is 0 (all when
 * keep is NULL). */
static void sweep(const char *dir, const char *sub, int (*keep)(const char *, void *), void *ctx)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/%s", dir, sub);
    DIR *d = opendir(p);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || (keep && keep(e->d_name, ctx)))
            continue;
        char f[4352];
        snprintf(f, sizeof f, "%s/%s", p, e->d_name);
        km_log(2, "kumo: removing %s\n", f);
        unlink(f);
    }
    closedir(d);
}

int km_store_open(const char *dir, int flags, struct km_store **out, struct km_err *err)
{
    *out = NULL;
    char p[4096];
    struct stat st;
    snprintf(p, sizeof p, "%s/FORMAT", dir);
    int exists = stat(p, &st) == 0;
    if (!exists && !(flags & KM_STORE_CREATE))
        return km_err_set(err, KM_ENOTFOUND, dir, UINT64_MAX,
                          "no kumo store here (run `kumo ingest` first, or pass --store DIR)");
    if (!exists) {
        const char *subs[] = {"", "/vault", "/segments", "/tmp"};
        for (size_t i = 0; i < KM_ARRAY_LEN(subs); i++) {
            snprintf(p, sizeof p, "%s%s", dir, subs[i]);
            if (mkdir_p(p) != 0)
                return km_err_set(err, KM_EIO, p, UINT64_MAX, "cannot create: %s",
                                  strerror(errno));
        }
    } else {
        FILE *f = fopen(p, "r");
        int ver = 0;
        if (!f || fscanf(f, "kumo-store %d", &ver) != 1) {
            if (f)
                fclose(f);
            return km_err_set(err, KM_ECORRUPT, p, UINT64_MAX, "unreadable store FORMAT file");
        }
        fclose(f);
        if (ver > KM_STORE_FORMAT_VERSION)
            return km_err_set(err, KM_EVERSION, dir, UINT64_MAX,
                              "store format %d is newer than this kumo reads (%d): upgrade kumo",
                              ver, KM_STORE_FORMAT_VERSION);
    }
    struct km_store *s = km_xcalloc(1, sizeof *s);
    s->dir = km_xstrdup(dir);
    s->lock_fd = -1;
    if (flags & KM_STORE_WRITE) {
        snprintf(p, sizeof p, "%s/LOCK", dir);
        s->lock_fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        int e = s->lock_fd < 0 ? errno : flock(s->lock_fd, LOCK_EX | LOCK_NB) != 0 ? errno : 0;
        if (e) {
            km_store_close(s);
            if (e == EWOULDBLOCK)
                return km_err_set(err, KM_EIO, p, UINT64_MAX,
                                  "store is being written by another kumo process");
            return km_err_set(err, KM_EIO, NULL, UINT64_MAX, "cannot lock %s: %s%s", p,
                              strerror(e),
                              e == EACCES || e == EROFS || e == EPERM
                                  ? " (read-only store? commands that only read need no lock)"
                                  : "");
        }
        sweep(dir, "tmp", NULL, NULL);
    }
    snprintf(p, sizeof p, "%s/catalog.sqlite", dir);
    int rc = km_cat_open(p, (flags & (KM_STORE_CREATE | KM_STORE_WRITE)) != 0, &s->cat, err);
    if (rc) {
        km_store_close(s);
        return rc;
    }
    if (!exists) {
        /* FORMAT last: its presence means the store is initialised */
        char tmp[4096];
        snprintf(tmp, sizeof tmp, "%s/FORMAT.tmp", dir);
        snprintf(p, sizeof p, "%s/FORMAT", dir);
        FILE *f = fopen(tmp, "w");
        if (!f || fprintf(f, "kumo-store %d\n", KM_STORE_FORMAT_VERSION) < 0 || fflush(f) != 0 ||
            fsync(fileno(f)) != 0 || fclose(f) != 0 || rename(tmp, p) != 0) {
            km_store_close(s);
            return km_err_set(err, KM_EIO, p, UINT64_MAX, "cannot write FORMAT");
        }
        fsync_dir(dir);
    }
    *out = s;
    return KM_OK;
}

void km_store_close(struct km_store *s)
{
    if (!s)
        return;
    km_cat_close(s->cat);
    if (s->lock_fd >= 0)
        close(s->lock_fd);
    free(s->dir);
    free(s);
}

const char *km_store_dir(const struct km_store *s) { return s->dir; }

void km_store_segment_path(const struct km_store *s, const char *name, char *out, size_t n)
{
    snprintf(out, n, "%s/segments/%s", s->dir, name);
}
struct km_catalog *km_store_catalog(struct km_store *s) { return s->cat; }

/* ---- writer ------------------------------------------------------------ */

/*
 * Segments are encoded and written in the background: when the builder is
 * full it becomes `pend`, a thread writes it, and the main thread goes on
 * filling a fresh builder. The catalog commit that publishes `pend` happens on
 * the caller's thread (the next hand-off, flush or close), with the evidence
 * that was declared done before the hand-off.
 */
struct pending {
    struct km_store *s;
    struct km_segb *b;
    int threaded;           /* th must be joined */
    char name[64];
    struct km_seg_summary sum;
    struct km_err err;
    int rc;
    pthread_t th;
    uint64_t *done;
    size_t ndone;
};

struct km_writer {
    struct km_store *s;
    struct km_segb *b;
    struct km_segb *spare;  /* a reset builder for the next hand-off */
    struct pending *pend;   /* segment being written, or NULL */
    struct km_seg **segs;   /* published segments, for dedupe */
    size_t nsegs, capsegs;
    uint64_t *done;         /* evidence declared complete, awaiting publish */
    size_t ndone, capdone;
    km_writer_commit_fn on_commit;
    void *commit_ctx;
    uint32_t segment_rows;
    size_t nsegs_open;      /* segments that existed before this writer */
    /* Fingerprints (8 bytes) of every key this writer added, while fewer
     * than FP_MAX: one probe answers "new" for all of this session's rows
     * (builder, pending, and segments it published); a hit is confirmed
     * exactly. Past FP_MAX the set is dropped and every store probed. */
    uint64_t *fp;
    size_t fpcap, fpn;
    struct km_seg *decoded[4]; /* KM_DUP_DECODED_MAX: see is_dup */
    size_t ndecoded;
};

#define FP_MAX (1u << 22)

static uint64_t key_fp(const uint8_t *key)
{
    uint64_t a, b;
    memcpy(&a, key, 8);
    memcpy(&b, key + 8, 8);
    uint64_t h = (a ^ (b * 0x9E3779B97F4A7C15ULL)) * 0xBF58476D1CE4E5B9ULL;
    h ^= h >> 31;
    return h ? h : 1;
}

static int fp_has(const struct km_writer *w, uint64_t h)
{
    for (size_t i = h & (w->fpcap - 1);; i = (i + 1) & (w->fpcap - 1)) {
        if (w->fp[i] == h)
            return 1;
        if (!w->fp[i])
            return 0;
    }
}

static void fp_put_raw(uint64_t *t, size_t cap, uint64_t h)
{
    size_t i = h & (cap - 1);
    while (t[i] && t[i] != h)
        i = (i + 1) & (cap - 1);
    t[i] = h;
}

static void fp_add(struct km_writer *w, const uint8_t *key)
{
    if (!w->fp)
        return;
    if (w->fpn >= FP_MAX) { /* too many: fall back to probing every store */
        free(w->fp);
        w->fp = NULL;
        return;
    }
    if (2 * (w->fpn + 1) > w->fpcap) {
        size_t ncap = w->fpcap * 2;
        uint64_t *t = calloc(ncap, sizeof *t);
        if (!t) {
            free(w->fp);
            w->fp = NULL;
            return;
        }
        for (size_t i = 0; i < w->fpcap; i++)
            if (w->fp[i])
                fp_put_raw(t, ncap, w->fp[i]);
        free(w->fp);
        w->fp = t;
        w->fpcap = ncap;
    }
    fp_put_raw(w->fp, w->fpcap, key_fp(key));
    w->fpn++;
}

static void add_seg(struct km_writer *w, struct km_seg *seg)
{
    if (w->nsegs == w->capsegs) {
        w->capsegs = w->capsegs ? w->capsegs * 2 : 16;
        w->segs = km_xrealloc(w->segs, w->capsegs * sizeof *w->segs);
    }
    w->segs[w->nsegs++] = seg;
}

struct manifest {
    const struct km_segment_row *rows;
    size_t n;
};

static int in_manifest(const char *name, void *ctx)
{
    const struct manifest *m = ctx;
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->rows[i].file, name) == 0)
            return 1;
    return 0;
}

int km_writer_open(struct km_store *s, const struct km_writer_opts *o, struct km_writer **out,
                   struct km_err *err)
{
    *out = NULL;
    struct km_segment_row *rows;
    size_t n;
    int rc = km_cat_segments(s->cat, &rows, &n, err);
    if (rc)
        return rc;
    /* segment files the manifest does not list are crash leftovers */
    struct manifest mf = {rows, n};
    sweep(s->dir, "segments", in_manifest, &mf);
    struct km_writer *w = km_xcalloc(1, sizeof *w);
    w->s = s;
    for (size_t i = 0; i < n; i++) {
        char p[4096];
        km_store_segment_path(s, rows[i].file, p, sizeof p);
        struct km_seg *seg;
        rc = km_seg_open(p, &seg, err);
        if (rc) {
            free(rows);
            km_writer_close(w, NULL);
            return rc;
        }
        add_seg(w, seg);
    }
    free(rows);
    w->segment_rows = o && o->segment_rows ? o->segment_rows : 131072;
    w->b = km_segb_new(w->segment_rows);
    w->nsegs_open = w->nsegs;
    w->fpcap = 1u << 16;
    w->fp = calloc(w->fpcap, sizeof *w->fp);
    *out = w;
    return KM_OK;
}

void km_writer_on_commit(struct km_writer *w, km_writer_commit_fn fn, void *ctx)
{
    w->on_commit = fn;
    w->commit_ctx = ctx;
}

uint64_t km_writer_rows_pending(const struct km_writer *w) { return km_segb_rows(w->b); }

/*
 * Dedupe. An event is a duplicate when a stored or pending row has its key
 * AND the same content: every stored field (time, strings, flags,
 * read_only, mfa, severity), or the same raw reference (the same bytes of
 * the same object: a re-processed file). A row that shares the key with
 * different content is a *conflicting duplicate*: a record reusing an id
 * (test data, a buggy exporter, a forgery) — kept as its own row and
 * reported. Rows sharing one key are all compared, up to KM_DUP_ROWS_MAX
 * per segment or builder (beyond that an identical copy may be kept as a
 * conflict: never lost, bounded work on hostile input).
 */
#define KM_DUP_ROWS_MAX 64
/* segments whose columns the writer decoded to compare rows, most recent
 * first; older ones are dropped so memory stays bounded */
#define KM_DUP_DECODED_MAX 4

static int str_same(struct km_str a, struct km_str b)
{
    if (!a.p || !b.p)
        return !a.p && !b.p;
    return a.n == b.n && memcmp(a.p, b.p, a.n) == 0;
}

static int same_content(const struct km_event *a, const struct km_event *b)
{
    if (a->time_us != b->time_us || a->read_only != b->read_only || a->mfa != b->mfa ||
        a->severity != b->severity ||
        (a->flags & ~KM_EV_ID_IN_KEY) != (b->flags & ~KM_EV_ID_IN_KEY))
        return 0;
    for (int f = 0; f < KM_F__COUNT; f++) {
        /* the key already equals; the id's text may be kept in the key */
        if (f == KM_F_EVENT_ID || km_fields[f].enc == KM_ENC_RAW)
            continue;
        if (!str_same(a->f[f], b->f[f]))
            return 0;
    }
    return 1;
}

static int same_raw(const struct km_rawref *a, const struct km_rawref *b)
{
    return a->object && a->object == b->object && a->offset == b->offset &&
           a->length == b->length;
}

/* Notes that seg's columns are decoded; drops the least recent beyond the
 * limit. */
static void decoded_touch(struct km_writer *w, struct km_seg *seg)
{
    size_t i = 0;
    while (i < w->ndecoded && w->decoded[i] != seg)
        i++;
    if (i == w->ndecoded) {
        if (w->ndecoded == KM_DUP_DECODED_MAX) {
            km_seg_drop_decoded(w->decoded[KM_DUP_DECODED_MAX - 1]);
            i = KM_DUP_DECODED_MAX - 1;
        } else {
            i = w->ndecoded++;
        }
    }
    memmove(w->decoded + 1, w->decoded, i * sizeof *w->decoded);
    w->decoded[0] = seg;
}

/* KM_ADD_DUP when seg holds a row identical to ev; KM_ADD_CONFLICT when it
 * holds the key only; KM_ADD_NEW when not the key. */
static int seg_match(struct km_writer *w, struct km_seg *seg, const struct km_event *ev,
                     struct km_err *err)
{
    if (!km_seg_may_have_key(seg, ev->key))
        return KM_ADD_NEW;
    uint32_t rows[KM_DUP_ROWS_MAX];
    uint32_t n = km_seg_key_rows(seg, ev->key, rows, KM_DUP_ROWS_MAX);
    if (!n)
        return KM_ADD_NEW;
    /* an identical record has the same time: outside the bounds, only the key */
    if (ev->time_us < km_seg_tmin(seg) || ev->time_us > km_seg_tmax(seg))
        return KM_ADD_CONFLICT;
    for (uint32_t i = 0; i < n; i++) {
        struct km_rawref r;
        if (km_seg_rawref(seg, rows[i], &r, err) == KM_OK && same_raw(&r, &ev->raw))
            return KM_ADD_DUP;
    }
    decoded_touch(w, seg);
    for (uint32_t i = 0; i < n; i++) {
        struct km_event old;
        struct km_err e;
        km_err_clear(&e);
        if (km_seg_event(seg, rows[i], &old, &e) != KM_OK) {
            /* unreadable: keep the event rather than lose it (verify names
             * the damaged segment) */
            char m[600];
            km_log(1, "kumo: cannot compare with a stored row: %s\n", km_err_fmt(&e, m, sizeof m));
            continue;
        }
        if (same_content(&old, ev))
            return KM_ADD_DUP;
    }
    return KM_ADD_CONFLICT;
}

static int segb_match(const struct km_segb *b, const struct km_event *ev)
{
    uint32_t rows[KM_DUP_ROWS_MAX];
    uint32_t n = km_segb_key_rows(b, ev->key, rows, KM_DUP_ROWS_MAX);
    for (uint32_t i = 0; i < n; i++) {
        struct km_event old;
        km_segb_event(b, rows[i], &old);
        if (same_raw(&old.raw, &ev->raw) || same_content(&old, ev))
            return KM_ADD_DUP;
    }
    return n ? KM_ADD_CONFLICT : KM_ADD_NEW;
}

/* Combines per-location answers: a duplicate anywhere wins, then a conflict. */
#define MATCH(expr)                                                                               \
    do {                                                                                          \
        int m_ = (expr);                                                                          \
        if (m_ == KM_ADD_DUP)                                                                     \
            return KM_ADD_DUP;                                                                    \
        if (m_ == KM_ADD_CONFLICT)                                                                \
            hit = KM_ADD_CONFLICT;                                                                \
    } while (0)

static int is_dup(struct km_writer *w, const struct km_event *ev, struct km_err *err)
{
    int hit = KM_ADD_NEW;
    /* segments that existed before this writer: the bloom filter answers
     * "not here" for almost every new key */
    for (size_t i = 0; i < w->nsegs_open; i++)
        MATCH(seg_match(w, w->segs[i], ev, err));
    if (w->fp && !fp_has(w, key_fp(ev->key)))
        return hit; /* nothing this session added has this key */
    MATCH(segb_match(w->b, ev));
    if (w->pend)
        MATCH(segb_match(w->pend->b, ev));
    for (size_t i = w->nsegs_open; i < w->nsegs; i++)
        MATCH(seg_match(w, w->segs[i], ev, err));
    return hit;
}
#undef MATCH

static void seg_name(char name[64])
{
    static _Atomic unsigned seq;
    struct timeval tv;
    gettimeofday(&tv, NULL);
    snprintf(name, 64, "%016" PRIx64 "-%d-%u.kseg",
             (uint64_t)tv.tv_sec * 1000000 + (uint64_t)tv.tv_usec, (int)getpid(), seq++);
}

/* A KUMO_FAULT point of the "publish" family (core/fault.h): fails the step
 * with an error, or kills the process, when the environment asks for it. */
static int fault(const struct km_store *s, const char *step, struct km_err *err)
{
    if (!km_fault("publish", step))
        return KM_OK;
    return km_err_set(err, KM_EIO, s->dir, UINT64_MAX,
                      "KUMO_FAULT: injected failure at publish step %s", step);
}

/* Encodes b into tmp/, fsyncs, renames into segments/ and fsyncs the dir. */
static int write_segment(struct km_store *s, struct km_segb *b, const char *name,
                         struct km_seg_summary *sum, struct km_err *err)
{
    char tmp[4096], fin[4096], segdir[4096];
    snprintf(tmp, sizeof tmp, "%s/tmp/%s", s->dir, name);
    km_store_segment_path(s, "", segdir, sizeof segdir);
    km_store_segment_path(s, name, fin, sizeof fin);
    int rc = km_segb_write(b, tmp, sum, err);
    if (rc || (rc = fault(s, "segment-written", err)))
        return rc;
    if (rename(tmp, fin) != 0)
        return km_err_set(err, KM_EIO, fin, UINT64_MAX, "publishing segment: %s",
                          strerror(errno));
    if ((rc = fault(s, "segment-renamed", err)))
        return rc;
    if (fsync_dir(segdir) != 0)
        return km_err_set(err, KM_EIO, segdir, UINT64_MAX, "publishing segment: fsync: %s",
                          strerror(errno));
    return fault(s, "segment-dir-synced", err);
}

/* The catalog transaction that makes a written segment (name may be "") and
 * the evidence it completes visible. Every step below is a KUMO_FAULT point
 * ("publish" family): tests/e2e/fault.sh fails or kills the process at each
 * in turn and checks that a re-run ends exact. */
static int publish(struct km_writer *w, const char *name, const struct km_seg_summary *sum,
                   const uint64_t *done, size_t ndone, struct km_err *err)
{
    struct km_store *s = w->s;
    int rc;
    /* vault objects and the segment reach the disk before the catalog says
     * they exist */
    if ((rc = fault(s, "before-packs-flush", err)) || (rc = km_vault_packs_flush(s, err)) ||
        (rc = fault(s, "packs-flushed", err)))
        return rc;
    int dfd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0 || syncfs(dfd) != 0) {
        if (dfd >= 0)
            close(dfd);
        return km_err_set(err, KM_EIO, s->dir, UINT64_MAX, "syncfs: %s", strerror(errno));
    }
    close(dfd);
    if ((rc = fault(s, "synced", err)))
        return rc;
    if ((rc = km_cat_begin(s->cat, err)))
        return rc;
    if ((rc = fault(s, "begun", err)))
        goto fail;
    uint64_t segid;
    if (name[0] && ((rc = km_cat_segment_add(s->cat, name, sum, &segid, err)) ||
                    (rc = fault(s, "segment-row-added", err))))
        goto fail;
    for (size_t i = 0; i < ndone; i++) {
        if (w->on_commit) /* marks it complete and writes its custody record */
            rc = w->on_commit(w->commit_ctx, done[i], err);
        else
            rc = km_cat_evidence_complete(s->cat, done[i], NULL, err);
        if (rc)
            goto fail;
    }
    if ((rc = fault(s, "evidence-completed", err)))
        goto fail;
    if ((rc = fault(s, "before-commit", err)) || (rc = km_cat_commit(s->cat, err)))
        goto fail;
    if ((rc = fault(s, "committed", err)))
        return rc;
    if (name[0]) {
        char fin[4096];
        km_store_segment_path(s, name, fin, sizeof fin);
        struct km_seg *seg;
        if ((rc = km_seg_open(fin, &seg, err)))
            return rc;
        add_seg(w, seg);
    }
    return KM_OK;
fail:
    km_cat_rollback(s->cat);
    return rc;
}

static void *bg_write(void *arg)
{
    struct pending *p = arg;
    p->rc = write_segment(p->s, p->b, p->name, &p->sum, &p->err);
    return NULL;
}

/* Waits for the background segment, then publishes it. */
static int finish_pending(struct km_writer *w, struct km_err *err)
{
    struct pending *p = w->pend;
    if (!p)
        return KM_OK;
    if (p->threaded)
        pthread_join(p->th, NULL);
    w->pend = NULL;
    int rc = p->rc;
    if (rc)
        *err = p->err;
    else
        rc = publish(w, p->name, &p->sum, p->done, p->ndone, err);
    km_segb_reset(p->b);
    if (w->spare)
        km_segb_free(w->spare);
    w->spare = p->b;
    free(p->done);
    free(p);
    return rc;
}

int km_writer_add(struct km_writer *w, const struct km_event *ev, int *dup, struct km_err *err)
{
    *dup = is_dup(w, ev, err);
    if (*dup == KM_ADD_DUP)
        return KM_OK;
    int rc = km_segb_add(w->b, ev);
    if (rc == KM_ELIMIT) {
        /* hand the full builder to a background writer and go on */
        if ((rc = finish_pending(w, err)))
            return rc;
        struct pending *p = km_xcalloc(1, sizeof *p);
        p->s = w->s;
        p->b = w->b;
        p->done = w->done;
        p->ndone = w->ndone;
        w->done = NULL;
        w->ndone = w->capdone = 0;
        seg_name(p->name);
        km_err_clear(&p->err);
        w->b = w->spare ? w->spare : km_segb_new(w->segment_rows);
        w->spare = NULL;
        w->pend = p;
        p->threaded = pthread_create(&p->th, NULL, bg_write, p) == 0;
        if (!p->threaded) /* no thread to be had: write it here */
            bg_write(p);
        rc = km_segb_add(w->b, ev);
    }
    if (rc)
        return km_err_set(err, rc, NULL, UINT64_MAX, "adding event to segment");
    fp_add(w, ev->key);
    return KM_OK;
}

int km_writer_evidence_done(struct km_writer *w, uint64_t evidence_id, struct km_err *err)
{
    if (w->ndone == w->capdone) {
        w->capdone = w->capdone ? w->capdone * 2 : 64;
        w->done = km_xrealloc(w->done, w->capdone * sizeof *w->done);
    }
    w->done[w->ndone++] = evidence_id;
    /* with nothing buffered, completion need not wait for a segment */
    if (km_segb_rows(w->b) == 0 && w->ndone >= 256)
        return km_writer_flush(w, err);
    return KM_OK;
}

int km_writer_flush(struct km_writer *w, struct km_err *err)
{
    int rc = finish_pending(w, err);
    if (rc)
        return rc;
    char name[64] = "";
    struct km_seg_summary sum;
    memset(&sum, 0, sizeof sum);
    if (km_segb_rows(w->b) > 0) {
        seg_name(name);
        if ((rc = write_segment(w->s, w->b, name, &sum, err)))
            return rc;
    } else if (w->ndone == 0) {
        return KM_OK;
    }
    rc = publish(w, name, &sum, w->done, w->ndone, err);
    if (rc == KM_OK) {
        w->ndone = 0;
        km_segb_reset(w->b);
    }
    return rc;
}

int km_writer_close(struct km_writer *w, struct km_err *err)
{
    if (!w)
        return KM_OK;
    int rc = KM_OK;
    if (err) {
        rc = km_writer_flush(w, err);
    } else if (w->pend) { /* abandoning: wait for the thread, publish nothing */
        if (w->pend->threaded)
            pthread_join(w->pend->th, NULL);
        km_segb_free(w->pend->b);
        free(w->pend->done);
        free(w->pend);
        w->pend = NULL;
    }
    if (w->pend) { /* flush failed before finishing it */
        if (w->pend->threaded)
            pthread_join(w->pend->th, NULL);
        km_segb_free(w->pend->b);
        free(w->pend->done);
        free(w->pend);
    }
    for (size_t i = 0; i < w->nsegs; i++)
        km_seg_close(w->segs[i]);
    free(w->segs);
    free(w->done);
    free(w->fp);
    km_segb_free(w->b);
    km_segb_free(w->spare);
    free(w);
    return rc;
}

/* ---- scans ------------------------------------------------------------- */

void km_filter_init(struct km_filter *f)
{
    memset(f, 0, sizeof *f);
    f->since = INT64_MIN;
    f->until = INT64_MAX;
}

/* Per-segment resolved condition: the code each field must have (0 = value
 * absent from that field's dictionary; UINT32_MAX = plain field, compare).
 * A selector set: per field, a bitmap over its codes (NULL: no pair on it),
 * or plain = 1 (compare the values). */
struct rcond {
    uint32_t code[KM_F__COUNT];
    uint8_t *bm[KM_F__COUNT];
    uint8_t plain[KM_F__COUNT];
};

static int eq_nocase(struct km_str v, const char *c)
{
    size_t n = strlen(c);
    return v.p && v.n == n && strncasecmp(v.p, c, n) == 0;
}

/* Marks in r->bm[fld] every dictionary code equal to value ignoring case.
 * Returns how many codes match, or -1 when a dictionary value could not be
 * read. */
static int nocase_codes(struct km_seg *seg, int fld, const char *value, struct rcond *r)
{
    int found = 0;
    uint32_t n = km_seg_dict_size(seg, fld);
    if (!r->bm[fld])
        r->bm[fld] = km_xcalloc((size_t)n + 1, 1);
    for (uint32_t code = 1; code <= n; code++) {
        struct km_str v;
        struct km_err e;
        km_err_clear(&e);
        if (km_seg_dict_get(seg, fld, code, &v, &e) != KM_OK)
            return -1;
        if (eq_nocase(v, value)) {
            r->bm[fld][code] = 1;
            found++;
        }
    }
    return found;
}

/* Resolves a selector set for seg; returns 1 when some pair can hold. */
static int resolve_sel(struct km_seg *seg, const struct km_cond *c, struct rcond *r)
{
    int any = 0;
    for (uint32_t i = 0; i < c->nsel; i++) {
        int fld = c->sel[i].field;
        if (fld < 0 || fld >= KM_F__COUNT || !c->sel[i].value)
            continue;
        uint32_t code;
        int k = km_seg_dict_find(seg, fld, c->sel[i].value, strlen(c->sel[i].value), &code);
        if (k >= 0 && c->nocase && r->plain[fld])
            continue; /* this field is compared row by row already */
        int nc = k >= 0 && c->nocase ? nocase_codes(seg, fld, c->sel[i].value, r) : 0;
        if (nc > 0)
            any = 1;
        if (nc >= 0 && k >= 0 && c->nocase)
            continue;
        if (k >= 0 && c->nocase) {
            /* a dictionary value could not be read: compare the rows
             * (every pair on this field; the bitmap would shadow that) */
            free(r->bm[fld]);
            r->bm[fld] = NULL;
            r->plain[fld] = 1;
            any = 1;
            continue;
        }
        if (k < 0) {
            r->plain[fld] = 1;
            any = 1;
        } else if (k == 1) {
            if (!r->bm[fld])
                r->bm[fld] = km_xcalloc((size_t)km_seg_dict_size(seg, fld) + 1, 1);
            if (code <= km_seg_dict_size(seg, fld))
                r->bm[fld][code] = 1;
            any = 1;
        }
    }
    return any;
}

static void free_sel(struct rcond *r)
{
    for (int f = 0; f < KM_F__COUNT; f++) {
        free(r->bm[f]);
        r->bm[f] = NULL;
        r->plain[f] = 0;
    }
}

static int sel_matches(struct km_seg *seg, uint32_t row, const struct km_cond *c,
                       const struct rcond *r, struct km_err *err)
{
    for (int fld = 0; fld < KM_F__COUNT; fld++) {
        if (r->bm[fld]) {
            uint32_t code;
            if (km_seg_code(seg, fld, row, &code, err))
                return -1;
            if (r->bm[fld][code])
                return 1;
        } else if (r->plain[fld]) {
            struct km_str v;
            if (km_seg_str(seg, fld, row, &v, err))
                return -1;
            for (uint32_t i = 0; v.p && i < c->nsel; i++)
                if (c->sel[i].field == fld &&
                    (c->nocase ? eq_nocase(v, c->sel[i].value) : km_str_eqc(v, c->sel[i].value)))
                    return 1;
        }
    }
    return 0;
}

static int row_matches(struct km_seg *seg, uint32_t row, const struct km_filter *f,
                       const struct rcond *rc, struct km_err *err)
{
    for (int c = 0; c < f->nconds; c++) {
        if (f->conds[c].nsel) {
            int m = sel_matches(seg, row, &f->conds[c], &rc[c], err);
            if (m <= 0)
                return m;
            continue;
        }
        int ok = 0;
        for (int fld = 0; fld < KM_F__COUNT && !ok; fld++) {
            if (!(f->conds[c].fields & (1ULL << fld)))
                continue;
            uint32_t want = rc[c].code[fld];
            if (want == 0)
                continue;
            if (want == UINT32_MAX) {
                struct km_event ev;
                if (km_seg_event(seg, row, &ev, err))
                    return -1;
                ok = km_str_eqc(ev.f[fld], f->conds[c].value);
                continue;
            }
            uint32_t code;
            if (km_seg_code(seg, fld, row, &code, err))
                return -1;
            ok = code == want;
        }
        if (!ok)
            return 0;
    }
    return 1;
}

static int scan_rows(struct km_seg *seg, const struct km_filter *f, struct rcond *rc,
                     km_scan_fn cb, void *ctx, struct km_err *err);

static int scan_segment(struct km_seg *seg, const struct km_filter *f, km_scan_fn cb, void *ctx,
                        struct km_err *err)
{
    struct rcond rc[8];
    memset(rc, 0, sizeof rc);
    int r = scan_rows(seg, f, rc, cb, ctx, err);
    for (int c = 0; c < f->nconds; c++)
        free_sel(&rc[c]);
    return r;
}

static int scan_rows(struct km_seg *seg, const struct km_filter *f, struct rcond *rc,
                     km_scan_fn cb, void *ctx, struct km_err *err)
{
    for (int c = 0; c < f->nconds; c++) {
        if (f->conds[c].nsel) {
            if (!resolve_sel(seg, &f->conds[c], &rc[c]))
                return 0; /* pruned: no pair's value occurs in this segment */
            continue;
        }
        int any = 0;
        size_t n = strlen(f->conds[c].value);
        for (int fld = 0; fld < KM_F__COUNT; fld++) {
            rc[c].code[fld] = 0;
            if (!(f->conds[c].fields & (1ULL << fld)))
                continue;
            uint32_t code;
            int r = km_seg_dict_find(seg, fld, f->conds[c].value, n, &code);
            if (r == 1) {
                rc[c].code[fld] = code;
                any = 1;
            } else if (r < 0) {
                rc[c].code[fld] = UINT32_MAX;
                any = 1;
            }
        }
        if (!any)
            return 0; /* pruned: the value occurs nowhere in this segment */
    }
    uint64_t nrows = km_seg_rows(seg);
    uint32_t lo = 0, hi = (uint32_t)nrows;
    /* rows are time-sorted: binary search the time window */
    if (f->since != INT64_MIN) {
        uint32_t a = 0, b = hi;
        while (a < b) {
            uint32_t m = a + (b - a) / 2;
            int64_t t;
            if (km_seg_time(seg, m, &t, err))
                return -1;
            if (t < f->since)
                a = m + 1;
            else
                b = m;
        }
        lo = a;
    }
    if (f->until != INT64_MAX) {
        uint32_t a = lo, b = hi;
        while (a < b) {
            uint32_t m = a + (b - a) / 2;
            int64_t t;
            if (km_seg_time(seg, m, &t, err))
                return -1;
            if (t <= f->until)
                a = m + 1;
            else
                b = m;
        }
        hi = a;
    }
    uint32_t keyrow = 0;
    if (f->key) {
        if (!km_seg_may_have_key(seg, f->key) || !km_seg_find_key(seg, f->key, &keyrow))
            return 0;
        if (keyrow < lo || keyrow >= hi)
            return 0;
        lo = keyrow;
        hi = keyrow + 1;
    }
    for (uint32_t row = lo; row < hi; row++) {
        int m = row_matches(seg, row, f, rc, err);
        if (m < 0)
            return -1;
        if (!m)
            continue;
        struct km_event ev;
        if (km_seg_event(seg, row, &ev, err))
            return -1;
        int refused = 0;
        for (int c = 0; c < f->nconds && !refused; c++)
            if (f->conds[c].accept && !f->conds[c].accept(f->conds[c].actx, &ev))
                refused = 1;
        if (refused)
            continue;
        int stop = cb(ctx, &ev);
        if (stop)
            return stop;
    }
    return 0;
}

int km_store_scan(struct km_store *s, const struct km_filter *f, km_scan_fn cb, void *ctx,
                  struct km_err *err)
{
    struct km_segment_row *rows;
    size_t n;
    int rc = km_cat_segments(s->cat, &rows, &n, err);
    if (rc)
        return rc;
    int out = 0;
    for (size_t i = 0; i < n && !out; i++) {
        if (rows[i].tmax < f->since || rows[i].tmin > f->until)
            continue;
        char p[4096];
        km_store_segment_path(s, rows[i].file, p, sizeof p);
        struct km_seg *seg;
        if ((rc = km_seg_open(p, &seg, err))) {
            free(rows);
            return rc;
        }
        int r = scan_segment(seg, f, cb, ctx, err);
        km_seg_close(seg);
        if (r < 0) {
            free(rows);
            return err && err->code ? err->code : KM_ECORRUPT;
        }
        out = r; /* > 0: the callback asked to stop */
    }
    free(rows);
    return KM_OK;
}

/* ---- stats ------------------------------------------------------------- */

int km_store_stats(struct km_store *s, struct km_stat_row **rows, size_t *n, struct km_err *err)
{
    return km_cat_group_totals(s->cat, rows, n, err);
}
