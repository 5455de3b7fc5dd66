/*
 * ingest.c — the acquisition pipeline (ingest.h): a walker thread, N workers
 * that preserve, decode and normalize files into batches, and the main thread
 * that owns the catalog and the segment writer.
 */
#include "ingest/ingest.h"

#include "core/hash.h"
#include "core/timeparse.h"
#include "json/json.h"
#include "sources/source.h"
#include "store/catalog.h"
#include "store/vault.h"

#include <errno.h>
#include <malloc.h>
#include <fcntl.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define BATCH_EVENTS 4096
#define KM_PACK_MAX (64u << 20) /* files up to this size go into packs */
#define KM_INFLIGHT_MAX ((size_t)12 << 20) /* batch bytes queued for the main thread */
#define BATCH_BYTES (6u << 20)

/* ---- bounded queue -------------------------------------------------- */

struct queue {
    void **items;
    size_t cap, head, n;
    pthread_mutex_t mu;
    pthread_cond_t not_empty, not_full;
};

static void q_init(struct queue *q, size_t cap)
{
    q->items = km_xcalloc(cap, sizeof *q->items);
    q->cap = cap;
    q->head = q->n = 0;
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->not_empty, NULL);
    pthread_cond_init(&q->not_full, NULL);
}

static void q_free(struct queue *q)
{
    free(q->items);
    pthread_mutex_destroy(&q->mu);
    pthread_cond_destroy(&q->not_empty);
    pthread_cond_destroy(&q->not_full);
}

static void q_push(struct queue *q, void *item)
{
    pthread_mutex_lock(&q->mu);
    while (q->n == q->cap)
        pthread_cond_wait(&q->not_full, &q->mu);
    q->items[(q->head + q->n) % q->cap] = item;
    q->n++;
    pthread_cond_signal(&q->not_empty);
    pthread_mutex_unlock(&q->mu);
}

/* Pops an item; waits at most ms milliseconds (ms < 0: forever). Returns 1
 * and *item, or 0 on timeout. */
static int q_pop(struct queue *q, void **item, int ms)
{
    pthread_mutex_lock(&q->mu);
    if (ms >= 0 && q->n == 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += (long)ms * 1000000L;
        ts.tv_sec += ts.tv_nsec / 1000000000L;
        ts.tv_nsec %= 1000000000L;
        while (q->n == 0)
            if (pthread_cond_timedwait(&q->not_empty, &q->mu, &ts) == ETIMEDOUT)
                break;
    } else {
        while (q->n == 0)
            pthread_cond_wait(&q->not_empty, &q->mu);
    }
    if (q->n == 0) {
        pthread_mutex_unlock(&q->mu);
        return 0;
    }
    *item = q->items[q->head];
    q->head = (q->head + 1) % q->cap;
    q->n--;
    pthread_cond_signal(&q->not_full);
    pthread_mutex_unlock(&q->mu);
    return 1;
}

/* ---- messages from workers to the main thread ----------------------- */

enum { MSG_START, MSG_BATCH, MSG_END, MSG_WALK_ERROR, MSG_WORKER_DONE };

struct reject {
    uint64_t offset;
    long line;
    int code;
    char reason[240];
};

struct msg {
    struct msg *link;            /* next message of the same hand-off */
    size_t bytes;                /* head of a chain: bytes it holds (in flight) */
    int type;
    uint64_t file;               /* walker sequence number */
    /* START */
    char *path;                  /* acquisition path (malloc'd) */
    char sha256[65];
    uint64_t size;
    char rel[160];               /* loose vault object, or "" */
    char pack[64];               /* pack holding the object, or "" */
    uint64_t pack_off;
    int already;                 /* evidence already complete in the store */
    int reprocess;               /* held evidence read back from the vault */
    int failed;                  /* could not be preserved: see rejects */
    /* BATCH */
    uint64_t member_idx;
    char *member;                /* malloc'd or NULL */
    char chain[64];
    struct km_event *events;
    size_t nevents;
    struct km_arena arena;
    struct reject *rejects;
    size_t nrejects, caprejects;
    uint64_t evidence_records, time_fallbacks, time_missing, type_problems;
    /* END */
    char format[128];
    uint64_t decoded;
    int limited;                 /* decoding stopped at a configured ceiling */
};

static struct msg *msg_new(int type, uint64_t file)
{
    struct msg *m = km_xcalloc(1, sizeof *m);
    m->type = type;
    m->file = file;
    return m;
}

static void msg_free(struct msg *m)
{
    if (!m)
        return;
    free(m->path);
    free(m->member);
    free(m->events);
    free(m->rejects);
    km_arena_free(&m->arena);
    free(m);
}

static void msg_reject(struct msg *m, uint64_t off, long line, int code, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void msg_reject(struct msg *m, uint64_t off, long line, int code, const char *fmt, ...)
{
    if (m->nrejects == m->caprejects) {
        m->caprejects = m->caprejects ? m->caprejects * 2 : 8;
        m->rejects = km_xrealloc(m->rejects, m->caprejects * sizeof *m->rejects);
    }
    struct reject *r = &m->rejects[m->nrejects++];
    r->offset = off;
    r->line = line;
    r->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->reason, sizeof r->reason, fmt, ap);
    va_end(ap);
}

/* ---- shared pipeline state ------------------------------------------ */

struct job {
    uint64_t file;
    char *path;
    const struct km_evidence *ev; /* reprocess: held evidence read from the vault */
};

struct pipeline {
    struct km_store *store;
    const struct km_ingest_opts *o;
    struct queue jobs, out;
    char *const *paths;
    int npaths;
    int nworkers;
    uint64_t nfiles;             /* assigned by the walker */
    pthread_mutex_t inflight_mu; /* bytes handed to the main thread, not yet freed */
    pthread_cond_t inflight_cv;
    size_t inflight;
    char catalog_path[4096];
};

/* ---- walker --------------------------------------------------------- */

static int walk_cb(void *ctx, const char *path)
{
    struct pipeline *p = ctx;
    struct job *j = km_xmalloc(sizeof *j);
    j->file = p->nfiles++;
    j->path = km_xstrdup(path);
    j->ev = NULL;
    q_push(&p->jobs, j);
    return 0;
}

static void walk_err(void *ctx, const char *path, const char *why)
{
    struct pipeline *p = ctx;
    struct msg *m = msg_new(MSG_WALK_ERROR, UINT64_MAX);
    m->path = km_xstrdup(path);
    msg_reject(m, UINT64_MAX, 0, KM_EIO, "%s", why);
    q_push(&p->out, m);
}

static void *walker_main(void *arg)
{
    struct pipeline *p = arg;
    if (p->o->nreprocess) {
        for (size_t i = 0; i < p->o->nreprocess; i++) {
            struct job *j = km_xmalloc(sizeof *j);
            j->file = p->nfiles++;
            j->path = km_xstrdup(p->o->reprocess[i].source_path);
            j->ev = &p->o->reprocess[i];
            q_push(&p->jobs, j);
        }
    } else {
        km_walk(p->paths, p->npaths, walk_cb, walk_err, p);
    }
    for (int i = 0; i < p->nworkers; i++)
        q_push(&p->jobs, NULL);
    return NULL;
}

/* ---- worker --------------------------------------------------------- */

struct worker {
    struct pipeline *p;
    struct km_catalog *ro;       /* read-only catalog connection ("is this evidence complete?") */
    struct msg *batch;           /* current batch */
    uint64_t file;
    const char *label;           /* acquisition path for messages */
    uint64_t member_idx;
    const char *member;
    const char *chain;
    const struct km_source *hint;
    struct km_json_limits jlim;
    char sources_seen[128];      /* formats detected in this file */
    const char *shape;
    int evidence_only;
    struct km_arena scratch;
    int index;                   /* worker number, names its pack */
    struct msg *chain_head, *chain_tail;
    int chain_n;
    struct km_vault_pack *pack;  /* this worker's pack, opened on first use */
    char *obj;                   /* whole small file being processed */
    size_t objcap;
};

/* Messages of one file travel to the main thread as one chain, handed over
 * once per small file (one wake-up instead of three or more), or every few
 * batches for large files so memory stays bounded. */
static void chain_flush(struct worker *w)
{
    if (!w->chain_head)
        return;
    /* bound the memory handed over but not yet consumed */
    struct pipeline *p = w->p;
    size_t bytes = 0;
    for (struct msg *m = w->chain_head; m; m = m->link)
        bytes += m->arena.total + m->nevents * sizeof(struct km_event) + sizeof *m;
    w->chain_head->bytes = bytes;
    pthread_mutex_lock(&p->inflight_mu);
    while (p->inflight > 0 && p->inflight + bytes > KM_INFLIGHT_MAX)
        pthread_cond_wait(&p->inflight_cv, &p->inflight_mu);
    p->inflight += bytes;
    pthread_mutex_unlock(&p->inflight_mu);
    q_push(&w->p->out, w->chain_head);
    w->chain_head = w->chain_tail = NULL;
    w->chain_n = 0;
}

static void emit(struct worker *w, struct msg *m)
{
    m->link = NULL;
    if (w->chain_tail)
        w->chain_tail->link = m;
    else
        w->chain_head = m;
    w->chain_tail = m;
    if (++w->chain_n >= 4)
        chain_flush(w);
}

static void batch_send(struct worker *w)
{
    if (!w->batch)
        return;
    emit(w, w->batch);
    w->batch = NULL;
}

static struct msg *batch_get(struct worker *w)
{
    if (w->batch && (w->batch->nevents >= BATCH_EVENTS || w->batch->arena.total >= BATCH_BYTES))
        batch_send(w);
    if (!w->batch) {
        struct msg *m = msg_new(MSG_BATCH, w->file);
        m->member_idx = w->member_idx;
        m->member = w->member ? km_xstrdup(w->member) : NULL;
        snprintf(m->chain, sizeof m->chain, "%s", w->chain ? w->chain : "");
        m->events = km_xmalloc(BATCH_EVENTS * sizeof *m->events);
        km_arena_init(&m->arena, 1 << 20, (size_t)1 << 30);
        w->batch = m;
    }
    return w->batch;
}

static void note_source(struct worker *w, const char *name)
{
    if (strstr(w->sources_seen, name))
        return;
    size_t n = strlen(w->sources_seen);
    snprintf(w->sources_seen + n, sizeof w->sources_seen - n, "%s%s", n ? "," : "", name);
}


static int on_record(void *ctx, const struct km_record *r)
{
    struct worker *w = ctx;
    static const char *const shapes[] = {"", "array", "wrapped", "object", "prefixed", "csv"};
    if (!w->shape && r->shape >= 0 && r->shape <= KM_SHAPE_CSV)
        w->shape = r->wrapper ? r->wrapper : shapes[r->shape];
    /* A record may hold several events (an EventBridge event with several
     * Security Hub findings): index 0 tells how many (nc.count, known even
     * when index 0 fails), and each further one is normalized from the same
     * raw bytes into its own batch slot. Every index re-parses the record:
     * acceptable while such records are rare (the module bounds the split). */
    int count = 1;
    for (int i = 0; i < count; i++) {
        struct msg *b = batch_get(w);   /* a fresh batch when this one is full */
        struct km_event *ev = &b->events[b->nevents];
        struct km_norm_ctx nc = {0};
        nc.arena = &b->arena;
        nc.file = w->label;
        nc.offset = r->off;
        nc.raw_n = r->raw_n;   /* a CSV row: its bytes, not the JSON built from it */
        nc.wrapper = r->wrapper;
        nc.index = i;
        struct km_err e;
        km_err_clear(&e);
        int rc = km_normalize_record(r->p, r->n, &nc, &w->jlim, &w->hint, ev, &e);
        if (i == 0)
            count = nc.count;
        if (rc != KM_OK) {
            /* the reject points at the record (its first bytes can be read
             * back); where in it the error was goes in the reason */
            const char *why = e.msg[0] ? e.msg : km_strerror(e.code);
            if (e.offset != UINT64_MAX && e.offset > r->off && e.offset - r->off < r->n)
                msg_reject(b, r->off, r->line, e.code, "%s (at byte %llu of the record)", why,
                           (unsigned long long)(e.offset - r->off));
            else
                msg_reject(b, r->off, r->line, e.code, "%s", why);
            continue;
        }
        note_source(w, nc.source->name);
        if (!nc.emit) {
            b->evidence_records++;
            continue;
        }
        if (nc.problems)
            b->type_problems++;
        if (ev->flags & KM_EV_TIME_MISSING)
            b->time_missing++; /* stored with time 0 and flag time_missing */
        else if (ev->flags & KM_EV_TIME_FALLBACK)
            b->time_fallbacks++;
        ev->raw.object = 0; /* resolved by the main thread */
        b->nevents++;
    }
    return 0;
}

static void on_split_error(void *ctx, const struct km_err *e)
{
    struct worker *w = ctx;
    struct msg *b = batch_get(w);
    msg_reject(b, e->offset, e->line, e->code, "%s", e->msg[0] ? e->msg : km_strerror(e->code));
}

/* Returns 1 when the catalog already holds this evidence as complete. A read
 * error answers 0 (the file is processed, and the main thread, which asks
 * again before storing anything, reports the error), with a warning. */
static int already_complete(struct worker *w, const char *sha)
{
    if (!w->ro)
        return 0;
    int complete;
    struct km_err e;
    km_err_clear(&e);
    if (km_cat_evidence_is_complete(w->ro, sha, &complete, &e) != KM_OK) {
        char m[1200];
        km_log(0, "kumo: warning: %s\n", km_err_fmt(&e, m, sizeof m));
        return 0;
    }
    return complete;
}

/* Reads a regular file of at most KM_PACK_MAX bytes whole into w->obj.
 * Returns 1 when it did, 0 when the file is larger (fd rewound), -1 on error. */
static int read_small(struct worker *w, int fd, size_t *n)
{
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > KM_PACK_MAX)
        return 0;
    size_t want = (size_t)st.st_size + 1, got = 0;
    if (w->objcap < want) {
        free(w->obj);
        w->objcap = want;
        w->obj = km_xmalloc(w->objcap);
    }
    for (;;) {
        if (got == w->objcap) { /* grew while we read: treat as large */
            lseek(fd, 0, SEEK_SET);
            return 0;
        }
        ssize_t r = read(fd, w->obj + got, w->objcap - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0)
            break;
        got += (size_t)r;
    }
    *n = got;
    return 1;
}

static void process_file(struct worker *w, struct job *j)
{
    struct pipeline *p = w->p;
    struct msg *start = msg_new(MSG_START, j->file);
    start->path = km_xstrdup(j->path);
    int is_stdin = !j->ev && strcmp(j->path, "-") == 0;
    struct km_err e;
    km_err_clear(&e);
    int rfd = -1; /* reprocess: the held object, read back from the vault */
    if (j->ev) {
        start->reprocess = 1;
        memcpy(start->sha256, j->ev->sha256, sizeof start->sha256);
        start->size = j->ev->size;
        if (km_vault_object_fd(p->store, j->ev, &rfd, &e) != KM_OK) {
            start->failed = 1;
            msg_reject(start, UINT64_MAX, 0, e.code, "cannot read the held copy: %s", e.msg);
        }
    }
    /* the walker saw a regular file; whatever is there now must still be one
     * (a path swapped for a FIFO must not hang us, a symlink is not followed) */
    int fd = j->ev ? -1
             : is_stdin ? 0 : open(j->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (!j->ev && !is_stdin && fd >= 0) {
        struct stat st;
        if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
            close(fd);
            fd = -1;
            errno = EINVAL;
        }
        /* O_NONBLOCK stays: it has no effect on reads of a regular file */
    }
    int fresh = 0, small = 0;
    size_t objn = 0;
    if (j->ev) {
        /* held already: nothing to open or preserve */
    } else if (fd < 0) {
        start->failed = 1;
        msg_reject(start, UINT64_MAX, 0, KM_EIO, "cannot open: %s",
                   errno == EINVAL ? "no longer a regular file" : strerror(errno));
    } else if (!is_stdin && (small = read_small(w, fd, &objn)) < 0) {
        start->failed = 1;
        msg_reject(start, UINT64_MAX, 0, KM_EIO, "read failed: %s", strerror(errno));
    } else if (small) {
        /* small file: hash, and append to this worker's pack unless held */
        uint8_t md[32];
        km_sha256(w->obj, objn, md);
        km_hex(md, 32, start->sha256);
        start->size = objn;
        start->already = already_complete(w, start->sha256);
        if (!start->already) {
            if (!w->pack) {
                char tag[64];
                struct timespec ts;
                clock_gettime(CLOCK_REALTIME, &ts);
                snprintf(tag, sizeof tag, "%lld%06ld-%d-%d", (long long)ts.tv_sec,
                         ts.tv_nsec / 1000, (int)getpid(), w->index);
                if (km_vault_pack_open(p->store, tag, &w->pack, &e) != KM_OK)
                    w->pack = NULL;
            }
            if (!w->pack || km_vault_pack_put(w->pack, w->obj, objn, start->pack, &start->pack_off,
                                              &e) != KM_OK) {
                start->failed = 1;
                msg_reject(start, UINT64_MAX, 0, e.code, "cannot preserve: %s", e.msg);
            }
        }
    } else if (km_vault_put_fd(p->store, fd, j->path, start->sha256, &start->size, start->rel,
                               &fresh, &e) != KM_OK) {
        start->failed = 1;
        msg_reject(start, UINT64_MAX, 0, e.code, "cannot preserve: %s", e.msg);
    }
    if (fd >= 0 && !is_stdin)
        close(fd);
    if (!start->failed && !small && !j->ev)
        start->already = already_complete(w, start->sha256);
    int skip = start->failed || start->already;
    char rel[160];
    memcpy(rel, start->rel, sizeof rel);
    emit(w, start); /* owned by the main thread from here on */
    start = NULL;
    struct msg *end = msg_new(MSG_END, j->file);
    if (skip) {
        if (rfd >= 0)
            close(rfd);
        emit(w, end);
        chain_flush(w);
        return;
    }
    w->file = j->file;
    w->label = j->path;
    w->hint = NULL;
    w->sources_seen[0] = 0;
    w->shape = NULL;
    struct km_decode *d;
    km_err_clear(&e);
    /* decode the preserved bytes (the in-memory copy that went into the
     * pack, or the loose vault file), naming the acquisition path */
    int vfd = rfd;
    if (!small && !j->ev) {
        char vpath[4096];
        km_vault_abs(p->store, rel, vpath, sizeof vpath);
        vfd = open(vpath, O_RDONLY | O_CLOEXEC);
    }
    if (!small && vfd < 0) {
        msg_reject(end, UINT64_MAX, 0, KM_EIO, "vault copy unreadable: %s", strerror(errno));
        snprintf(end->format, sizeof end->format, "unreadable");
        emit(w, end);
        chain_flush(w);
        return;
    }
    int orc = small ? km_decode_open_mem(j->path, w->obj, objn, &p->o->dlim, &d, &e)
                    : km_decode_open(j->path, vfd, &p->o->dlim, &d, &e);
    if (orc != KM_OK) {
        if (vfd >= 0)
            close(vfd);
        msg_reject(end, UINT64_MAX, 0, e.code, "%s", e.msg);
        snprintf(end->format, sizeof end->format, "unreadable");
        emit(w, end);
        chain_flush(w);
        return;
    }
    const struct km_member *m;
    char *buf = NULL;
    const char *chain = NULL;
    for (;;) {
        km_err_clear(&e);
        if (km_decode_next(d, &m, &e) != KM_OK) {
            w->member = NULL;
            msg_reject(batch_get(w), e.offset, 0, e.code, "%s", e.msg);
            break;
        }
        if (!m)
            break;
        w->member_idx = m->index;
        w->member = m->name;
        w->chain = m->chain;
        chain = m->chain;
        char label[2048];
        snprintf(label, sizeof label, "%s%s%s", j->path, m->name ? "!" : "", m->name ? m->name : "");
        struct km_records *rs;
        struct km_records_cb cb = {on_record, on_split_error, w};
        if (km_records_new(&p->o->rlim, &cb, label, &rs) != KM_OK) {
            msg_reject(batch_get(w), 0, 0, KM_ENOMEM, "cannot allocate record splitter");
            break;
        }
        const char *all;
        size_t alln;
        km_err_clear(&e);
        if (km_decode_read_all(d, &all, &alln, &e) == KM_OK) {
            km_records_feed(rs, all, alln);
        } else {
            if (!buf)
                buf = km_xmalloc(1 << 20);
            ssize_t n;
            km_err_clear(&e);
            while ((n = km_decode_read(d, buf, 1 << 20, &e)) > 0)
                km_records_feed(rs, buf, (size_t)n);
            if (n < 0)
                msg_reject(batch_get(w), e.offset, 0, e.code, "%s", e.msg);
        }
        km_records_finish(rs);
        km_records_free(rs);
        batch_send(w);
        if (e.code == KM_EBOMB || e.code == KM_ELIMIT)
            end->limited = 1;
        if (e.code == KM_EBOMB)
            break;
    }
    free(buf);
    end->decoded = km_decode_total(d);
    km_decode_close(d);
    if (vfd >= 0)
        close(vfd);
    batch_send(w);
    snprintf(end->format, sizeof end->format, "%s%s%s%s%s",
             w->sources_seen[0] ? w->sources_seen : "unrecognised", w->shape ? " " : "",
             w->shape ? w->shape : "", chain && strcmp(chain, "plain") ? " " : "",
             chain && strcmp(chain, "plain") ? chain : "");
    emit(w, end);
    chain_flush(w);
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct km_err e;
    km_err_clear(&e);
    if (km_cat_open_reader(w->p->catalog_path, &w->ro, &e) != KM_OK)
        w->ro = NULL; /* every file is then processed; the main thread dedupes */
    void *item;
    while (q_pop(&w->p->jobs, &item, -1) && item) {
        struct job *j = item;
        process_file(w, j);
        free(j->path);
        free(j);
    }
    km_cat_close(w->ro);
    /* the pack stays open: the main thread closes it after the last publish
     * has flushed it (km_vault_packs_flush), so a write error there fails
     * the commit instead of being lost here */
    free(w->obj);
    q_push(&w->p->out, msg_new(MSG_WORKER_DONE, UINT64_MAX));
    return NULL;
}

/* ---- main thread ---------------------------------------------------- */

struct fstate {
    uint64_t file, evidence_id;
    char *path;
    char sha256[65];
    uint64_t size;
    int skip;                    /* already held or duplicate copy in this run */
    uint64_t events_new, events_dup, rejected, evidence_only, conflicts;
    char format[128];
    uint64_t cached_member, cached_object;
    int have_cached;
    int reprocess;               /* custody "reprocess"; rejects up to reject_floor superseded */
    uint64_t reject_floor;
    int was_complete;            /* reprocess of complete evidence: its row (anchored in
                                    custody) is left as it is */
    struct fstate *next;
};

struct mainctx {
    struct pipeline *p;
    struct km_ingest_summary *sum;
    struct km_writer *w;
    struct km_catalog *cat;
    struct fstate *active;       /* files in flight */
    struct fstate *waiting;      /* ended, awaiting publish: FIFO in the order */
    struct fstate *waiting_tail; /* km_writer_evidence_done was called */
    uint64_t *seen;              /* evidence ids started in this run (open addressing) */
    size_t nseen, capseen;
    const char *operator_;
    char host[128];
    int rc;
    struct km_err *err;
};

static struct fstate *find_state(struct fstate *l, uint64_t file)
{
    for (; l; l = l->next)
        if (l->file == file)
            return l;
    return NULL;
}

static void unlink_state(struct fstate **l, struct fstate *s)
{
    for (; *l; l = &(*l)->next)
        if (*l == s) {
            *l = s->next;
            return;
        }
}

static void now_iso(char out[32])
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    km_time_fmt((int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000, out);
}

static int custody_for(struct mainctx *mc, struct fstate *f, const char *action,
                       const char *note, uint64_t *seq, struct km_err *err)
{
    struct km_custody r;
    memset(&r, 0, sizeof r);
    now_iso(r.time);
    snprintf(r.operator_, sizeof r.operator_, "%s", mc->operator_);
    snprintf(r.host, sizeof r.host, "%s", mc->host);
    snprintf(r.action, sizeof r.action, "%s", action);
    snprintf(r.source_path, sizeof r.source_path, "%s", f->path);
    snprintf(r.sha256, sizeof r.sha256, "%s", f->sha256);
    r.evidence_id = f->evidence_id;
    r.size = f->size;
    snprintf(r.format, sizeof r.format, "%s", f->format);
    r.events_new = f->events_new;
    r.events_dup = f->events_dup;
    r.events_rejected = f->rejected;
    snprintf(r.note, sizeof r.note, "%s", note ? note : "");
    int rc = km_cat_custody_append(mc->cat, &r, err);
    if (seq)
        *seq = rc == KM_OK ? r.seq : 0;
    return rc;
}

/* custody_for outside the publishing transaction: a failure ends the run. */
static void custody_now(struct mainctx *mc, struct fstate *f, const char *action,
                        const char *note)
{
    struct km_err e;
    km_err_clear(&e);
    if (custody_for(mc, f, action, note, NULL, &e) != KM_OK && !mc->rc) {
        mc->rc = e.code;
        *mc->err = e;
    }
}

/* Appends "N conflicting duplicates ..." to a custody note (nothing when 0,
 * so records without conflicts hash as before). */
static void conflict_note(char *note, size_t cap, uint64_t n)
{
    if (!n)
        return;
    size_t l = strlen(note);
    snprintf(note + l, cap - l, "%s%llu conflicting duplicate%s (id already stored with other "
             "content; kept)", l ? "; " : "", (unsigned long long)n, n == 1 ? "" : "s");
}

/* Called by the writer, inside the publishing transaction, for each evidence
 * whose events are now all stored, in the order they were declared done:
 * normally the head of the waiting FIFO. An error here rolls the whole
 * publish back (the writer returns it), so evidence is never marked complete
 * without its custody record, nor the reverse. */
static int on_commit(void *ctx, uint64_t evidence_id, struct km_err *err)
{
    struct mainctx *mc = ctx;
    struct fstate **l = &mc->waiting, *prev = NULL;
    while (*l && (*l)->evidence_id != evidence_id) {
        prev = *l;
        l = &(*l)->next;
    }
    struct fstate *f = *l;
    if (!f)
        return km_err_set(err, KM_EINTERNAL, NULL, UINT64_MAX,
                          "publishing: evidence %llu is not awaiting completion",
                          (unsigned long long)evidence_id);
    /* A reprocess of complete evidence changes nothing in its row: the row
     * is anchored in custody (an edit would read as tampering), and what the
     * run found is in its own custody record. */
    int rc = f->was_complete ? KM_OK
                             : km_cat_evidence_complete(mc->cat, f->evidence_id, f->format, err);
    if (rc)
        return rc;
    char note[256] = "";
    if (f->evidence_only) /* records kept as evidence that are not events (digests, ...) */
        snprintf(note, sizeof note, "%llu evidence-only records",
                 (unsigned long long)f->evidence_only);
    if (f->reprocess && mc->p->o->reprocess_note) {
        size_t nl = strlen(note);
        snprintf(note + nl, sizeof note - nl, "%s%s", nl ? "; " : "", mc->p->o->reprocess_note);
    }
    conflict_note(note, sizeof note, f->conflicts);
    uint64_t seq = 0;
    if ((rc = custody_for(mc, f, f->reprocess ? "reprocess" : "acquire", note, &seq, err)))
        return rc;
    if (f->reprocess &&
        (rc = km_cat_rejects_supersede(mc->cat, f->evidence_id, f->reject_floor, seq, err)))
        return rc;
    *l = f->next;
    if (mc->waiting_tail == f)
        mc->waiting_tail = prev;
    free(f->path);
    free(f);
    return KM_OK;
}

/* Remembers an evidence id started in this run; returns 1 if it was already. */
static int seen_add(struct mainctx *mc, uint64_t id)
{
    if ((mc->nseen + 1) * 2 > mc->capseen) {
        size_t ncap = mc->capseen ? mc->capseen * 2 : 1024;
        uint64_t *n = km_xcalloc(ncap, sizeof *n);
        for (size_t i = 0; i < mc->capseen; i++) {
            uint64_t v = mc->seen[i];
            if (!v)
                continue;
            size_t k = (v * 0x9e3779b97f4a7c15ULL) & (ncap - 1);
            while (n[k])
                k = (k + 1) & (ncap - 1);
            n[k] = v;
        }
        free(mc->seen);
        mc->seen = n;
        mc->capseen = ncap;
    }
    size_t k = (id * 0x9e3779b97f4a7c15ULL) & (mc->capseen - 1);
    while (mc->seen[k]) {
        if (mc->seen[k] == id)
            return 1;
        k = (k + 1) & (mc->capseen - 1);
    }
    mc->seen[k] = id;
    mc->nseen++;
    return 0;
}

static void add_reject(struct mainctx *mc, const char *file, const char *member,
                       const struct reject *r, uint64_t evidence_id)
{
    struct km_ingest_summary *s = mc->sum;
    s->records_rejected++;
    if (evidence_id) {
        struct km_err e;
        km_err_clear(&e);
        if (km_cat_reject_add(mc->cat, evidence_id, member, r->offset, r->line, r->code,
                              r->reason, &e) != KM_OK && !mc->rc) {
            mc->rc = e.code;
            *mc->err = e;
        }
    }
    if (s->nrejects >= s->max_rejects)
        return;
    struct km_ingest_reject *x = &s->rejects[s->nrejects++];
    snprintf(x->file, sizeof x->file, "%s%s%s", file, member ? "!" : "", member ? member : "");
    x->offset = r->offset;
    x->line = r->line;
    x->code = r->code;
    snprintf(x->reason, sizeof x->reason, "%s", r->reason);
}

static struct km_ingest_source_count *source_count(struct km_ingest_summary *s, struct km_str src)
{
    for (int i = 0; i < s->nsources; i++)
        if (km_str_eqc(src, s->sources[i].source))
            return &s->sources[i];
    if (s->nsources == (int)KM_ARRAY_LEN(s->sources))
        return &s->sources[s->nsources - 1];
    struct km_ingest_source_count *c = &s->sources[s->nsources++];
    snprintf(c->source, sizeof c->source, "%.*s", (int)src.n, src.p ? src.p : "");
    return c;
}

/* Opens the run's catalog transaction unless one is open; a failure ends
 * the run. */
static void ensure_txn(struct mainctx *mc)
{
    struct km_err e;
    km_err_clear(&e);
    if (km_cat_begin(mc->cat, &e) != KM_OK && !mc->rc) {
        mc->rc = e.code;
        *mc->err = e;
    }
}

static void handle(struct mainctx *mc, struct msg *m)
{
    struct km_ingest_summary *sum = mc->sum;
    struct km_err e;
    km_err_clear(&e);
    if (m->type == MSG_WALK_ERROR) {
        sum->files_failed++;
        for (size_t i = 0; i < m->nrejects; i++)
            add_reject(mc, m->path, NULL, &m->rejects[i], 0);
        return;
    }
    if (m->type == MSG_START) {
        struct fstate *f = km_xcalloc(1, sizeof *f);
        f->file = m->file;
        f->path = km_xstrdup(m->path);
        memcpy(f->sha256, m->sha256, sizeof f->sha256);
        f->size = m->size;
        f->next = mc->active;
        mc->active = f;
        sum->files++;
        sum->bytes_in += m->size;
        if (m->failed) {
            f->skip = 1;
            sum->files_failed++;
            for (size_t i = 0; i < m->nrejects; i++)
                add_reject(mc, m->path, NULL, &m->rejects[i], 0);
            return;
        }
        ensure_txn(mc);
        struct km_evidence ev;
        int rc = km_cat_evidence_by_sha(mc->cat, m->sha256, &ev, &e);
        if (rc != KM_OK && rc != KM_ENOTFOUND) {
            f->skip = 1;
            if (!mc->rc) {
                mc->rc = rc;
                *mc->err = e;
            }
            return;
        }
        if (rc == KM_OK && m->reprocess) {
            /* held evidence run again: its earlier rejects are superseded
             * once this run is committed */
            f->evidence_id = ev.id;
            f->reprocess = 1;
            f->was_complete = ev.complete;
            f->skip = seen_add(mc, ev.id);
            if (!f->skip && km_cat_reject_max_id(mc->cat, &f->reject_floor, &e) != KM_OK) {
                mc->rc = e.code;
                *mc->err = e;
            }
            return;
        }
        if (rc == KM_OK && (ev.complete || m->already)) {
            f->skip = 1;
            f->evidence_id = ev.id;
            snprintf(f->format, sizeof f->format, "%s", ev.format);
            sum->files_already_held++;
            custody_now(mc, f, "reacquire", "already held: no new events");
            return;
        }
        if (rc == KM_OK) {
            /* pending: either a crashed earlier run (re-process) or another
             * copy of a file seen earlier in this run (skip) */
            f->skip = seen_add(mc, ev.id);
            f->evidence_id = ev.id;
            if (f->skip) {
                /* the same bytes under another name in this run: recorded
                 * in custody too, so every acquired path is accounted for */
                sum->files_already_held++;
                snprintf(f->format, sizeof f->format, "%s", ev.format);
                custody_now(mc, f, "reacquire", "same content as a file acquired in this run");
                return;
            }
            return;
        }
        memset(&ev, 0, sizeof ev);
        snprintf(ev.sha256, sizeof ev.sha256, "%s", m->sha256);
        ev.size = m->size;
        snprintf(ev.vault_path, sizeof ev.vault_path, "%s", m->rel);
        snprintf(ev.pack, sizeof ev.pack, "%s", m->pack);
        ev.pack_off = m->pack_off;
        snprintf(ev.source_path, sizeof ev.source_path, "%s", m->path);
        km_err_clear(&e);
        if ((rc = km_cat_evidence_add(mc->cat, &ev, &f->evidence_id, &e)) != KM_OK) {
            mc->rc = rc;
            *mc->err = e;
        }
        seen_add(mc, f->evidence_id);
        return;
    }
    struct fstate *f = find_state(mc->active, m->file);
    if (!f)
        return;
    if (m->type == MSG_BATCH) {
        if (f->skip)
            return;
        sum->evidence_records += m->evidence_records;
        f->evidence_only += m->evidence_records;
        sum->time_fallbacks += m->time_fallbacks;
        sum->time_missing += m->time_missing;
        sum->type_problems += m->type_problems;
        for (size_t i = 0; i < m->nrejects; i++) {
            add_reject(mc, f->path, m->member, &m->rejects[i], f->evidence_id);
            f->rejected++;
        }
        if (!m->nevents)
            return;
        if (!f->have_cached || f->cached_member != m->member_idx) {
            ensure_txn(mc);
            uint64_t oid;
            if (km_cat_object_add(mc->cat, f->evidence_id, m->member_idx, m->member, m->chain,
                                  &oid, &e) != KM_OK) {
                mc->rc = e.code;
                *mc->err = e;
                return;
            }
            f->cached_member = m->member_idx;
            f->cached_object = oid;
            f->have_cached = 1;
        }
        for (size_t i = 0; i < m->nevents; i++) {
            struct km_event *ev = &m->events[i];
            ev->raw.object = f->cached_object;
            int dup;
            if (km_writer_add(mc->w, ev, &dup, &e) != KM_OK) {
                mc->rc = e.code;
                *mc->err = e;
                return;
            }
            struct km_ingest_source_count *c = source_count(sum, ev->f[KM_F_SOURCE]);
            if (dup == KM_ADD_DUP) {
                f->events_dup++;
                sum->events_dup++;
                c->events_dup++;
                continue;
            }
            f->events_new++;
            sum->events_new++;
            c->events_new++;
            if (dup == KM_ADD_CONFLICT) {
                /* the id was seen with other content: kept, and said so */
                f->conflicts++;
                sum->events_conflict++;
                c->events_conflict++;
                ensure_txn(mc);
                if (km_cat_conflict_add(mc->cat, f->evidence_id, m->member, ev->raw.offset,
                                        ev->f[KM_F_SOURCE], ev->f[KM_F_EVENT_ID],
                                        &e) != KM_OK) {
                    mc->rc = e.code;
                    *mc->err = e;
                    return;
                }
            }
        }
        return;
    }
    if (m->type == MSG_END) {
        sum->bytes_decoded += m->decoded;
        for (size_t i = 0; i < m->nrejects; i++) {
            add_reject(mc, f->path, NULL, &m->rejects[i], f->skip ? 0 : f->evidence_id);
            f->rejected++;
        }
        unlink_state(&mc->active, f);
        if (f->skip) {
            free(f->path);
            free(f);
            return;
        }
        snprintf(f->format, sizeof f->format, "%s", m->format);
        ensure_txn(mc);
        if (m->limited) {
            /* not complete: a later ingest with other limits processes it
             * again (dedupe keeps what was stored now) */
            custody_now(mc, f, f->reprocess ? "reprocess" : "acquire",
                        "stopped at a decompression ceiling; evidence kept, "
                        "will be re-read by the next ingest");
            free(f->path);
            free(f);
            return;
        }
        f->next = NULL;
        if (mc->waiting_tail)
            mc->waiting_tail->next = f;
        else
            mc->waiting = f;
        mc->waiting_tail = f;
        if (km_writer_evidence_done(mc->w, f->evidence_id, &e) != KM_OK) {
            mc->rc = e.code;
            *mc->err = e;
        }
    }
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void progress(const struct km_ingest_summary *s, double elapsed, int final)
{
    double rate = elapsed > 0 ? (double)(s->events_new + s->events_dup) / elapsed : 0;
    fprintf(stderr, "\r\033[K  %llu files  %llu events (%llu new)  %.0f events/s  %.1f MB in  "
                    "%llu rejected%s",
            (unsigned long long)s->files, (unsigned long long)(s->events_new + s->events_dup),
            (unsigned long long)s->events_new, rate, (double)s->bytes_in / 1e6,
            (unsigned long long)s->records_rejected, final ? "\n" : "");
}

void km_ingest_opts_default(struct km_ingest_opts *o)
{
    memset(o, 0, sizeof *o);
    km_decode_limits_default(&o->dlim);
    km_records_limits_default(&o->rlim);
    const char *u = getenv("USER");
    if (!u || !*u) {
        struct passwd *pw = getpwuid(getuid());
        u = pw ? pw->pw_name : NULL;
    }
    o->operator_ = u && *u ? u : "unknown";
}

int km_ingest_run(struct km_store *s, char *const *paths, int npaths,
                  const struct km_ingest_opts *o, struct km_ingest_summary *sum,
                  struct km_err *err)
{
    double t0 = now_s();
    /* batches allocate and free megabytes continuously: keep that memory in
     * the heap instead of mapping and unmapping it (page faults, TLB
     * shootdowns); the total stays bounded by the queue depths */
    mallopt(M_MMAP_THRESHOLD, 64 << 20);
    mallopt(M_TRIM_THRESHOLD, 32 << 20);
    memset(sum, 0, sizeof *sum);
    sum->max_rejects = 1000;
    sum->rejects = km_xcalloc(sum->max_rejects, sizeof *sum->rejects);

    struct pipeline p = {0};
    p.store = s;
    p.o = o;
    p.paths = paths;
    p.npaths = npaths;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    p.nworkers = o->threads > 0 ? o->threads : (int)(ncpu > 0 ? ncpu : 2);
    if (p.nworkers > 64)
        p.nworkers = 64;
    snprintf(p.catalog_path, sizeof p.catalog_path, "%s/catalog.sqlite", km_store_dir(s));
    q_init(&p.jobs, 64);
    pthread_mutex_init(&p.inflight_mu, NULL);
    pthread_cond_init(&p.inflight_cv, NULL);
    /* deep enough that workers keep going while the main thread publishes a
     * segment; bounded in bytes by KM_INFLIGHT_MAX (see chain_flush) */
    q_init(&p.out, 1024);

    struct mainctx mc = {0};
    mc.p = &p;
    mc.sum = sum;
    mc.cat = km_store_catalog(s);
    mc.operator_ = o->operator_;
    mc.err = err;
    gethostname(mc.host, sizeof mc.host - 1);
    struct km_writer_opts wo = {o->segment_rows};
    int rc = km_writer_open(s, &wo, &mc.w, err);
    if (rc) {
        q_free(&p.jobs);
        q_free(&p.out);
        return rc;
    }
    km_writer_on_commit(mc.w, on_commit, &mc);

    struct worker *ws = km_xcalloc((size_t)p.nworkers, sizeof *ws);
    pthread_t *tids = km_xcalloc((size_t)p.nworkers, sizeof *tids);
    pthread_t walker;
    for (int i = 0; i < p.nworkers; i++) {
        ws[i].p = &p;
        ws[i].index = i;
        km_json_limits_default(&ws[i].jlim);
        pthread_create(&tids[i], NULL, worker_main, &ws[i]);
    }
    pthread_create(&walker, NULL, walker_main, &p);

    int done = 0;
    double last = 0, busy = 0, idle = 0;
    while (done < p.nworkers) {
        void *item;
        double tw = now_s();
        int got = q_pop(&p.out, &item, 200);
        double th = now_s();
        idle += th - tw;
        if (got) {
            size_t bytes = ((struct msg *)item)->bytes;
            for (struct msg *m = item, *next; m; m = next) {
                next = m->link;
                if (m->type == MSG_WORKER_DONE)
                    done++;
                else if (!mc.rc)
                    handle(&mc, m);
                msg_free(m);
            }
            if (bytes) {
                pthread_mutex_lock(&p.inflight_mu);
                p.inflight -= bytes;
                pthread_cond_broadcast(&p.inflight_cv);
                pthread_mutex_unlock(&p.inflight_mu);
            }
            busy += now_s() - th;
        }
        if (o->progress) {
            double t = now_s();
            if (t - last > 0.25) {
                progress(sum, t - t0, 0);
                last = t;
            }
        }
    }
    pthread_join(walker, NULL);
    for (int i = 0; i < p.nworkers; i++)
        pthread_join(tids[i], NULL);
    km_log(2, "kumo: workers done after %.3f s (main thread busy %.3f s, waiting %.3f s)\n",
           now_s() - t0, busy, idle);
    /* drain anything left (walk errors pushed after the last worker ended) */
    void *item;
    while (q_pop(&p.out, &item, 0)) {
        for (struct msg *m = item, *next; m; m = next) {
            next = m->link;
            if (!mc.rc)
                handle(&mc, m);
            msg_free(m);
        }
    }
    struct km_err e2;
    km_err_clear(&e2);
    int crc = km_writer_close(mc.w, mc.rc ? NULL : &e2);
    km_log(2, "kumo: last segment published after %.3f s\n", now_s() - t0);
    if (!mc.rc && crc) {
        mc.rc = crc;
        *err = e2;
    }
    if (km_cat_in_txn(mc.cat)) {
        if (mc.rc)
            km_cat_rollback(mc.cat);
        else if ((rc = km_cat_commit(mc.cat, err)) != KM_OK)
            mc.rc = rc;
    }
    while (mc.active) {
        struct fstate *f = mc.active;
        mc.active = f->next;
        free(f->path);
        free(f);
    }
    while (mc.waiting) {
        struct fstate *f = mc.waiting;
        mc.waiting = f->next;
        free(f->path);
        free(f);
    }
    for (int i = 0; i < p.nworkers; i++) {
        struct km_err e3;
        km_err_clear(&e3);
        if (km_vault_pack_close(ws[i].pack, &e3) != KM_OK && !mc.rc) {
            mc.rc = e3.code;  /* only when nothing was published after the last put */
            *err = e3;
        }
    }
    free(mc.seen);
    free(ws);
    free(tids);
    q_free(&p.jobs);
    q_free(&p.out);
    sum->seconds = now_s() - t0;
    if (o->progress)
        progress(sum, sum->seconds, 1);
    return mc.rc;
}

void km_ingest_summary_free(struct km_ingest_summary *sum)
{
    free(sum->rejects);
    sum->rejects = NULL;
}
