/*
 * writer.c — the segment writer (store.h): dedupe on event keys and content,
 * segments built and written in the background, and publish.
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
#include "store/store_dir.h"

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
    int rc = km_cat_segments(km_store_catalog(s), &rows, &n, err);
    if (rc)
        return rc;
    /* segment files the manifest does not list are crash leftovers */
    struct manifest mf = {rows, n};
    km_store_sweep(km_store_dir(s), "segments", in_manifest, &mf);
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
    return km_err_set(err, KM_EIO, km_store_dir(s), UINT64_MAX,
                      "KUMO_FAULT: injected failure at publish step %s", step);
}

/* Encodes b into tmp/, fsyncs, renames into segments/ and fsyncs the dir. */
static int write_segment(struct km_store *s, struct km_segb *b, const char *name,
                         struct km_seg_summary *sum, struct km_err *err)
{
    char tmp[4096], fin[4096], segdir[4096];
    snprintf(tmp, sizeof tmp, "%s/tmp/%s", km_store_dir(s), name);
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
    if (km_store_fsync_dir(segdir) != 0)
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
    int dfd = open(km_store_dir(s), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0 || syncfs(dfd) != 0) {
        if (dfd >= 0)
            close(dfd);
        return km_err_set(err, KM_EIO, km_store_dir(s), UINT64_MAX, "syncfs: %s", strerror(errno));
    }
    close(dfd);
    if ((rc = fault(s, "synced", err)))
        return rc;
    if ((rc = km_cat_begin(km_store_catalog(s), err)))
        return rc;
    if ((rc = fault(s, "begun", err)))
        goto fail;
    uint64_t segid;
    if (name[0] && ((rc = km_cat_segment_add(km_store_catalog(s), name, sum, &segid, err)) ||
                    (rc = fault(s, "segment-row-added", err))))
        goto fail;
    for (size_t i = 0; i < ndone; i++) {
        if (w->on_commit) /* marks it complete and writes its custody record */
            rc = w->on_commit(w->commit_ctx, done[i], err);
        else
            rc = km_cat_evidence_complete(km_store_catalog(s), done[i], NULL, err);
        if (rc)
            goto fail;
    }
    if ((rc = fault(s, "evidence-completed", err)))
        goto fail;
    if ((rc = fault(s, "before-commit", err)) || (rc = km_cat_commit(km_store_catalog(s), err)))
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
    km_cat_rollback(km_store_catalog(s));
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
