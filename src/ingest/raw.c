/*
 * raw.c — reading the exact raw bytes of stored events (raw.h): an event's
 * raw reference names a decoded member of an evidence object in the vault,
 * so reading it means opening the object (store/vault.h) and decoding it
 * (ingest/decode.h). It lives outside src/store so that the store does not
 * depend on the decoder.
 */
#include "ingest/raw.h"

#include "ingest/decode.h"
#include "store/catalog.h"
#include "store/vault.h"

#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* The catalog rows of a raw object: the member and the evidence it is in. */
static int object_evidence(struct km_store *s, uint64_t object, struct km_object *o,
                           struct km_evidence *ev, struct km_err *err)
{
    struct km_catalog *cat = km_store_catalog(s);
    int rc = km_cat_object_get(cat, object, o, err);
    return rc ? rc : km_cat_evidence_by_id(cat, o->evidence_id, ev, err);
}

/* Advances d to member number idx. */
static int seek_member(struct km_decode *d, uint64_t idx, const char *label, struct km_err *err)
{
    const struct km_member *m = NULL;
    for (;;) {
        int rc = km_decode_next(d, &m, err);
        if (rc)
            return rc;
        if (!m)
            return km_err_set(err, KM_ENOTFOUND, label, UINT64_MAX, "member %llu not found",
                              (unsigned long long)idx);
        if (m->index == idx)
            return KM_OK;
    }
}

/* Opens the decoder positioned at the start of object's member. */
static int open_member(struct km_store *s, uint64_t object, uint64_t max_output,
                       struct km_decode **dp, int *ofdp, char *p, size_t pn, char *where,
                       size_t wn, struct km_err *err)
{
    struct km_object o;
    struct km_evidence ev;
    *dp = NULL;
    *ofdp = -1;
    int rc = object_evidence(s, object, &o, &ev, err);
    if (rc)
        return rc;
    if (ev.pack[0])
        snprintf(p, pn, "vault/packs/%s@%llu", ev.pack, (unsigned long long)ev.pack_off);
    else
        snprintf(p, pn, "%s", ev.vault_path);
    if (where)
        snprintf(where, wn, "%s%s%s", p, o.member[0] ? "!" : "", o.member);
    /* our own preserved object: the ceilings of the ingest that accepted it
     * need not apply again */
    struct km_decode_limits lim;
    km_decode_limits_default(&lim);
    lim.max_ratio = UINT32_MAX;
    lim.max_output = max_output;
    struct km_decode *d;
    int ofd = -1;
    if (ev.pack[0]) {
        if ((rc = km_vault_object_fd(s, &ev, &ofd, err)))
            return rc;
        rc = km_decode_open(p, ofd, &lim, &d, err);
    } else {
        char abs[4200];
        km_vault_abs(s, ev.vault_path, abs, sizeof abs);
        rc = km_decode_open(abs, -1, &lim, &d, err);
    }
    if (rc) {
        if (ofd >= 0)
            close(ofd);
        return rc;
    }
    rc = seek_member(d, o.idx, p, err);
    if (rc) {
        km_decode_close(d);
        if (ofd >= 0)
            close(ofd);
        return rc;
    }
    *dp = d;
    *ofdp = ofd;
    return KM_OK;
}

int km_raw_read(struct km_store *s, uint64_t object, uint64_t offset, uint32_t length,
                char **out, char *where, size_t wn, struct km_err *err)
{
    *out = NULL;
    char p[4096];
    struct km_decode *d;
    int ofd, rc;
    if ((rc = open_member(s, object, offset + length + (1u << 20), &d, &ofd, p, sizeof p, where,
                          wn, err)))
        return rc;
    char *res = km_xmalloc((size_t)length + 1);
    uint64_t pos = 0;
    size_t got = 0;
    char *buf = km_xmalloc(1 << 16);
    while (got < length) {
        ssize_t r = km_decode_read(d, buf, 1 << 16, err);
        if (r <= 0)
            break;
        uint64_t a = pos, b = pos + (uint64_t)r;
        if (b > offset && a < offset + length) {
            uint64_t from = offset > a ? offset - a : 0;
            uint64_t to = offset + length < b ? offset + length - a : (uint64_t)r;
            memcpy(res + got, buf + from, (size_t)(to - from));
            got += (size_t)(to - from);
        }
        pos = b;
    }
    free(buf);
    km_decode_close(d);
    if (ofd >= 0)
        close(ofd);
    if (got != length) {
        free(res);
        return km_err_set(err, KM_ECORRUPT, p, offset, "raw record truncated (%zu of %u bytes)",
                          got, length);
    }
    res[length] = 0;
    *out = res;
    return KM_OK;
}

/* ---- a cache of decoded objects for reading many raw records ------------ */

/* 2-way set-associative by object id: records of one segment come in time
 * order from a few thousand interleaved files, so the cache must hold them
 * all (within the byte budget) for each to be decoded once. */
#define RC_SETS 8192
#define RC_SLOTS (2 * RC_SETS)

struct rc_slot {
    uint64_t object;     /* 0 = empty */
    char *buf;           /* decoded member bytes */
    size_t len;
    int whole;           /* buf holds the whole member */
    uint64_t used;       /* LRU clock */
    int pfd;             /* an undecoded file in a pack, read in place: pack fd + 1
                            (buf stays NULL); 0 otherwise */
    uint64_t off;        /* its offset in the pack */
};

#define RC_PACKS 16

static int rc_used(const struct rc_slot *sl) { return sl->buf || sl->pfd; }

struct km_raw_cache {
    struct km_store *s;
    size_t max;          /* largest decoded member kept whole */
    size_t budget, held; /* bytes the slots may hold / hold */
    uint64_t clock, misses;
    uint32_t sweep;      /* round-robin cursor for the byte budget */
    struct rc_slot *slot;
    char *one;           /* fallback: the last record read alone */
    size_t one_cap;
    struct {
        char name[64];
        int fd;
    } pack[RC_PACKS];    /* packs opened for records read in place */
    int npack;
};

struct km_raw_cache *km_raw_cache_new(struct km_store *s, size_t max_bytes)
{
    struct km_raw_cache *c = km_xcalloc(1, sizeof *c);
    c->s = s;
    c->max = max_bytes ? max_bytes : (64u << 20);
    c->budget = 4 * c->max;
    c->slot = km_xcalloc(RC_SLOTS, sizeof *c->slot);
    return c;
}

uint64_t km_raw_cache_misses(const struct km_raw_cache *c) { return c ? c->misses : 0; }

void km_raw_cache_free(struct km_raw_cache *c)
{
    if (!c)
        return;
    for (int i = 0; i < RC_SLOTS; i++)
        free(c->slot[i].buf);
    for (int i = 0; i < c->npack; i++)
        close(c->pack[i].fd);
    free(c->slot);
    free(c->one);
    free(c);
}

/* Decodes object's member into sl (up to c->max bytes). Packed objects are
 * read straight from the pack into memory and decoded there. */
static int rc_fill(struct km_raw_cache *c, struct rc_slot *sl, uint64_t object, struct km_err *err)
{
    struct km_object o;
    struct km_evidence ev;
    int rc = object_evidence(c->s, object, &o, &ev, err);
    if (rc)
        return rc;
    struct km_decode_limits lim;
    km_decode_limits_default(&lim);
    lim.max_ratio = UINT32_MAX;
    lim.max_output = c->max + 1;
    struct km_decode *d;
    char *obj = NULL;
    char path[4200];
    if (ev.pack[0] && !o.member[0] && (!o.chain[0] || strcmp(o.chain, "plain") == 0)) {
        /* a plain file in a pack: its records are its bytes, read in place */
        int i;
        for (i = 0; i < c->npack && strcmp(c->pack[i].name, ev.pack) != 0; i++)
            ;
        if (i == c->npack && i < RC_PACKS) {
            snprintf(path, sizeof path, "%s/vault/packs/%s", km_store_dir(c->s), ev.pack);
            int fd = open(path, O_RDONLY | O_CLOEXEC);
            if (fd < 0)
                return km_err_set(err, KM_EIO, path, UINT64_MAX, "vault object missing: %s",
                                  strerror(errno));
            snprintf(c->pack[i].name, sizeof c->pack[i].name, "%s", ev.pack);
            c->pack[i].fd = fd;
            c->npack++;
        }
        if (i < c->npack) {
            sl->object = object;
            sl->buf = NULL;
            sl->len = ev.size;
            sl->whole = 1;
            sl->pfd = c->pack[i].fd + 1;
            sl->off = ev.pack_off;
            return KM_OK;
        }
    }
    if (ev.pack[0]) { /* packs hold small objects only (KM_PACK_MAX) */
        int fd;
        if ((rc = km_vault_open_object(c->s, &ev, &fd, path, sizeof path, err)))
            return rc;
        obj = km_xmalloc(ev.size + 1);
        size_t got = 0;
        while (got < ev.size) {
            ssize_t r = pread(fd, obj + got, ev.size - got, (off_t)(ev.pack_off + got));
            if (r <= 0)
                break;
            got += (size_t)r;
        }
        close(fd);
        if (got != ev.size) {
            free(obj);
            return km_err_set(err, KM_EIO, path, got, "cannot read vault object");
        }
        rc = km_decode_open_mem(path, obj, ev.size, &lim, &d, err);
    } else {
        km_vault_abs(c->s, ev.vault_path, path, sizeof path);
        rc = km_decode_open(path, -1, &lim, &d, err);
    }
    if (rc) {
        free(obj);
        return rc;
    }
    rc = seek_member(d, o.idx, path, err);
    size_t cap = 1 << 16, len = 0;
    char *buf = NULL;
    int whole = 0;
    const char *all;
    size_t alln;
    if (!rc && km_decode_read_all(d, &all, &alln, err) == KM_OK && alln <= c->max) {
        /* decoded in one go (libdeflate): keep a copy */
        buf = km_xmalloc(alln + 1);
        memcpy(buf, all, alln);
        len = alln;
        whole = 1;
    } else if (!rc) {
        buf = km_xmalloc(cap);
        for (;;) {
            if (len == cap) {
                if (cap > c->max)
                    break;
                cap *= 2;
                buf = km_xrealloc(buf, cap);
            }
            struct km_err de;
            km_err_clear(&de);
            ssize_t n = km_decode_read(d, buf + len, cap - len, &de);
            if (n <= 0) {
                whole = n == 0;
                break;
            }
            len += (size_t)n;
        }
    }
    km_decode_close(d);
    free(obj);
    if (rc) {
        free(buf);
        return rc;
    }
    sl->object = object;
    sl->buf = buf;
    sl->len = len;
    sl->whole = whole;
    c->held += len;
    return KM_OK;
}

int km_raw_cache_get(struct km_raw_cache *c, const struct km_rawref *r, const char **p,
                     struct km_err *err)
{
    *p = NULL;
    uint64_t set = (r->object * 0x9E3779B97F4A7C15ULL) >> 40 & (RC_SETS - 1);
    struct rc_slot *way = &c->slot[2 * set], *sl = NULL;
    if (rc_used(&way[0]) && way[0].object == r->object)
        sl = &way[0];
    else if (rc_used(&way[1]) && way[1].object == r->object)
        sl = &way[1];
    if (!sl) {
        struct rc_slot *victim = !rc_used(&way[0]) ? &way[0] : !rc_used(&way[1]) ? &way[1]
                                : way[0].used <= way[1].used ? &way[0] : &way[1];
        for (int k = 0; k < 2; k++) {
            struct rc_slot *v = k == 0 ? victim : (victim == &way[0] ? &way[1] : &way[0]);
            if (k == 1 && c->held <= c->budget)
                break; /* over budget: the other way goes too */
            if (v->buf) {
                c->held -= c->held >= v->len ? v->len : c->held;
                free(v->buf);
                v->buf = NULL;
            }
            v->pfd = 0;
            v->object = 0;
        }
        /* the byte budget holds across sets: free other slots round-robin */
        for (int guard = 0; c->held > c->budget && guard < RC_SLOTS; guard++) {
            struct rc_slot *v = &c->slot[c->sweep];
            c->sweep = (c->sweep + 1) % RC_SLOTS;
            if (v->buf && v != victim) {
                c->held -= c->held >= v->len ? v->len : c->held;
                free(v->buf);
                v->buf = NULL;
                v->object = 0;
            }
        }
        c->misses++;
        int rc = rc_fill(c, victim, r->object, err);
        if (rc)
            return rc;
        sl = victim;
    }
    sl->used = ++c->clock;
    if (sl->pfd) {
        if (r->offset + r->length > sl->len)
            return km_err_set(err, KM_ECORRUPT, NULL, r->offset, "raw record beyond its object");
        if (c->one_cap < (size_t)r->length + 1) {
            free(c->one);
            c->one_cap = (size_t)r->length + 1;
            c->one = km_xmalloc(c->one_cap);
        }
        size_t got = 0;
        while (got < r->length) {
            ssize_t n = pread(sl->pfd - 1, c->one + got, r->length - got,
                              (off_t)(sl->off + r->offset + got));
            if (n <= 0)
                break;
            got += (size_t)n;
        }
        if (got != r->length)
            return km_err_set(err, KM_EIO, NULL, r->offset, "cannot read raw record");
        c->one[got] = 0;
        *p = c->one;
        return KM_OK;
    }
    if (r->offset + r->length <= sl->len) {
        *p = sl->buf + r->offset;
        return KM_OK;
    }
    if (sl->whole)
        return km_err_set(err, KM_ECORRUPT, NULL, r->offset, "raw record beyond its object");
    /* a member too large to keep whole: read this record alone */
    free(c->one);
    c->one = NULL;
    c->one_cap = 0;
    int rc = km_raw_read(c->s, r->object, r->offset, r->length, &c->one, NULL, 0, err);
    *p = c->one;
    return rc;
}
