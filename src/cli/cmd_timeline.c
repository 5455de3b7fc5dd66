/*
 * cmd_timeline.c — `kumo timeline`: every event of one actor, person, IP,
 * access key, resource or session, from every provider, in time order, one
 * line each (km_describe_event), with bursts of the same call collapsed into
 * one line "×N over SPAN". docs/timeline.md shows examples.
 *
 * Pipeline:
 *
 *   km_store_scan ──► match --resource ──► describe + key ──► sorter ──► bursts ──► stdout
 *   (dictionary-      (parse the small     (one record per    (memory run,   (consecutive
 *    pruned pivots,    resources JSON)      match, bytes)      spilled runs,  same key,
 *    time bounds)                                              k-way merge)   gap <= 60 s)
 *
 * The store hands matches segment by segment; segments may overlap in time.
 * The sorter keeps records in memory up to --mem bytes (default 64 MiB); past
 * that it sorts them and writes them to an unlinked temporary file (a run), and
 * at the end merges the runs with a heap (at most KM_TL_MAX_RUNS files open:
 * more are merged into one first). So the output is always in time order
 * (ties in scan order) and memory stays bounded whatever the store holds.
 */
#include "cli/opts.h"
#include "cli/cli.h"
#include "cli/describe.h"
#include "cli/filter_opts.h"
#include "cli/geo_opts.h"
#include "cli/output.h"
#include "cli/timeline.h"
#include "core/timeparse.h"
#include "store/store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* ---- pure helpers (timeline.h) ------------------------------------------ */

uint64_t km_tl_hash(uint64_t h, const void *s, size_t n)
{
    const unsigned char *p = s;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

static int has(const struct km_event *ev, int f) { return ev->f[f].p && ev->f[f].n; }

/* The actor as the description names it. */
static struct km_str who_of(const struct km_event *ev)
{
    static const int order[] = {KM_F_ACTOR_EMAIL, KM_F_ACTOR_NAME, KM_F_ACTOR_ARN, KM_F_ACTOR_ID};
    for (size_t i = 0; i < KM_ARRAY_LEN(order); i++)
        if (has(ev, order[i]))
            return ev->f[order[i]];
    return KM_STR_NONE;
}

static uint64_t hash_str(uint64_t h, struct km_str s)
{
    /* the length first (absent != empty), so "ab"+"c" != "a"+"bc" */
    uint32_t n = s.p ? s.n : UINT32_MAX;
    h = km_tl_hash(h, &n, sizeof n);
    return s.p ? km_tl_hash(h, s.p, s.n) : h;
}

uint64_t km_tl_burst_key(const struct km_event *ev)
{
    struct km_str src = has(ev, KM_F_SRC_IP) ? ev->f[KM_F_SRC_IP] : ev->f[KM_F_SRC_RAW];
    struct km_str parts[] = {ev->f[KM_F_PROVIDER], who_of(ev), ev->f[KM_F_ACTION],
                             ev->f[KM_F_SERVICE], src};
    uint64_t h = KM_TL_HASH_INIT;
    for (size_t i = 0; i < KM_ARRAY_LEN(parts); i++)
        h = hash_str(h, parts[i]);
    /* 1 failure, 2 interrupted (an Entra MFA / "Stay signed in?" step), 0 else */
    unsigned char oc = km_str_eqc(ev->f[KM_F_OUTCOME], "failure")       ? 1
                       : km_str_eqc(ev->f[KM_F_OUTCOME], "interrupted") ? 2
                                                                        : 0;
    return km_tl_hash(h, &oc, 1);
}

int km_tl_burst_continues(const struct km_tl_burst *b, int64_t t, uint64_t key, int64_t window_us)
{
    if (!b->count || window_us <= 0 || key != b->key)
        return 0;
    /* rows arrive in time order; a negative gap (never expected) joins too */
    return t - b->last <= window_us;
}

int km_tl_burst_add(struct km_tl_burst *b, int64_t t, uint64_t key, int64_t window_us)
{
    if (km_tl_burst_continues(b, t, key, window_us)) {
        b->count++;
        if (t > b->last)
            b->last = t;
        return 0;
    }
    b->key = key;
    b->first = b->last = t;
    b->count = 1;
    return 1;
}

void km_tl_span_fmt(int64_t us, char out[32])
{
    long long s = us > 0 ? (long long)(us / 1000000) : 0;
    if (s < 60)
        snprintf(out, 32, "%llds", s);
    else if (s < 3600)
        snprintf(out, 32, "%lldm%02llds", s / 60, s % 60);
    else if (s < 86400)
        snprintf(out, 32, "%lldh%02lldm", s / 3600, s / 60 % 60);
    else
        snprintf(out, 32, "%lldd%02lldh", s / 86400, s / 3600 % 24);
}

void km_tl_fit(struct km_buf *b, const char *s, size_t n, int cols, int pad)
{
    if (cols < 1)
        cols = 1;
    km_out_fit(b, s, n, cols, pad ? cols : 0, "~");
}

int km_tl_term_width(void) { return km_out_term_cols(stdout); }

static int res_str_match(const struct km_json *v, const char *x, size_t xn, int tail)
{
    if (!km_json_is_str(v))
        return 0;
    if (v->len == xn && memcmp(v->str, x, xn) == 0)
        return 1;
    if (!tail || v->len <= xn || memcmp(v->str + v->len - xn, x, xn) != 0)
        return 0;
    char sep = v->str[v->len - xn - 1];
    return sep == '/' || sep == ':';
}

int km_tl_resource_match(struct km_str res, const char *x, struct km_arena *scratch)
{
    size_t xn = strlen(x);
    if (!res.p || res.n < 2 || !xn || res.n > KM_TL_RES_PARSE_MAX)
        return 0;
    /* the stored text is compact JSON written by km_json_write_str: printable
     * ASCII other than '"' and '\\' appears in it verbatim */
    int plain = 1;
    for (size_t i = 0; i < xn && plain; i++) {
        unsigned char c = (unsigned char)x[i];
        plain = c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
    }
    if (plain && !memmem(res.p, res.n, x, xn))
        return 0;
    km_arena_reset(scratch);
    char *copy = km_arena_alloc(scratch, res.n);
    if (!copy)
        return 0;
    memcpy(copy, res.p, res.n);
    struct km_json_limits lim;
    km_json_limits_default(&lim);
    lim.max_depth = 32;
    struct km_json *root = NULL;
    struct km_err err;
    km_err_clear(&err);
    if (km_json_parse(copy, res.n, &lim, scratch, &root, &err) != KM_OK || !km_json_is_arr(root))
        return 0;
    for (const struct km_json *v = root->child; v; v = v->next) {
        if (km_json_is_str(v) && res_str_match(v, x, xn, 1))
            return 1;
        if (!km_json_is_obj(v))
            continue;
        if (res_str_match(km_json_get(v, "name"), x, xn, 0) ||
            res_str_match(km_json_get(v, "id"), x, xn, 1))
            return 1;
    }
    return 0;
}

/* ---- the sorter: memory run, spilled runs, k-way merge ------------------- */

#define KM_TL_MEM_DEFAULT ((size_t)64 << 20)
#define KM_TL_MEM_MIN ((size_t)64 << 10)
#define KM_TL_MAX_RUNS 64

/* One match as the sorter keeps it: this header, then provider, description
 * and (jsonl) the event's JSON; padded to 8 bytes in memory, packed in runs. */
struct rec_hdr {
    int64_t t;
    uint64_t seq;             /* scan order: ties keep it */
    uint64_t key;             /* km_tl_burst_key */
    uint64_t rhash;           /* hash of resources: does a burst touch several? */
    uint32_t plen, dlen, jlen;
    uint32_t failed;          /* outcome is failure: the table says so first */
};

static size_t rec_payload(const struct rec_hdr *h) { return (size_t)h->plen + h->dlen + h->jlen; }

struct rec_idx {
    int64_t t;
    uint64_t seq;
    size_t off;
};

typedef int (*rec_fn)(void *ctx, const struct rec_hdr *h, const char *payload);

struct sorter {
    size_t cap;               /* bytes of records + index held before a spill */
    const char *tmpdir;
    char *data;
    size_t n, dcap;
    struct rec_idx *idx;
    size_t nidx, capidx;
    FILE *runs[KM_TL_MAX_RUNS];
    size_t nruns;
    uint64_t spills;          /* runs written, for --verbose */
};

static int idx_cmp(const void *a, const void *b)
{
    const struct rec_idx *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return x->seq < y->seq ? -1 : (x->seq > y->seq);
}

static int hdr_less(const struct rec_hdr *a, const struct rec_hdr *b)
{
    return a->t != b->t ? a->t < b->t : a->seq < b->seq;
}

static int run_new(struct sorter *so, FILE **out, struct km_err *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/kumo-timeline-XXXXXX", so->tmpdir);
    int fd = mkstemp(path);
    if (fd < 0)
        return km_err_set(err, KM_EIO, path, UINT64_MAX, "cannot create a temporary file: %s",
                          strerror(errno));
    unlink(path); /* gone when closed, even after a crash */
    FILE *f = fdopen(fd, "w+b");
    if (!f) {
        close(fd);
        return km_err_set(err, KM_EIO, path, UINT64_MAX, "fdopen: %s", strerror(errno));
    }
    *out = f;
    so->spills++;
    return KM_OK;
}

static int run_write(FILE *f, const struct rec_hdr *h, const char *payload)
{
    if (fwrite(h, sizeof *h, 1, f) != 1)
        return -1;
    size_t n = rec_payload(h);
    return n && fwrite(payload, 1, n, f) != n ? -1 : 0;
}

static int run_done(FILE *f, struct km_err *err)
{
    if (fflush(f) != 0 || ferror(f))
        return km_err_set(err, KM_EIO, NULL, UINT64_MAX,
                          "writing a temporary file of the timeline sort: %s (set TMPDIR)",
                          strerror(errno));
    rewind(f);
    return KM_OK;
}

struct cursor {
    FILE *f;
    struct rec_hdr h;
    char *p;
    size_t cap;
};

/* Reads a run's next record: KM_OK with *eof set at its end, or KM_EIO. */
static int cur_next(struct cursor *c, int *eof, struct km_err *err)
{
    *eof = 0;
    size_t r = fread(&c->h, 1, sizeof c->h, c->f);
    if (r == 0 && feof(c->f)) {
        *eof = 1;
        return KM_OK;
    }
    size_t n = r == sizeof c->h ? rec_payload(&c->h) : 0;
    if (r == sizeof c->h && n > c->cap) {
        c->cap = n;
        c->p = km_xrealloc(c->p, c->cap);
    }
    if (r != sizeof c->h || (n && fread(c->p, 1, n, c->f) != n))
        return km_err_set(err, KM_EIO, NULL, UINT64_MAX, "reading back a temporary file: %s",
                          ferror(c->f) ? strerror(errno) : "short read");
    return KM_OK;
}

static void heap_down(struct cursor *cs, size_t *heap, size_t nh, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < nh && hdr_less(&cs[heap[l]].h, &cs[heap[m]].h))
            m = l;
        if (r < nh && hdr_less(&cs[heap[r]].h, &cs[heap[m]].h))
            m = r;
        if (m == i)
            return;
        size_t t = heap[i];
        heap[i] = heap[m];
        heap[m] = t;
        i = m;
    }
}

/* Merges runs[0..n) (each sorted) into fn in (time, seq) order. Returns
 * KM_OK, an I/O error, or fn's non-zero result. */
static int merge(FILE **runs, size_t n, rec_fn fn, void *ctx, struct km_err *err)
{
    struct cursor *cs = km_xcalloc(n ? n : 1, sizeof *cs);
    size_t *heap = km_xcalloc(n ? n : 1, sizeof *heap), nh = 0;
    int rc = KM_OK, eof;
    for (size_t i = 0; i < n && !rc; i++) {
        cs[i].f = runs[i];
        if (!(rc = cur_next(&cs[i], &eof, err)) && !eof)
            heap[nh++] = i;
    }
    for (size_t i = nh; i-- > 0;)
        heap_down(cs, heap, nh, i);
    while (!rc && nh) {
        struct cursor *c = &cs[heap[0]];
        if ((rc = fn(ctx, &c->h, c->p)))
            break;
        if ((rc = cur_next(c, &eof, err)))
            break;
        if (eof)
            heap[0] = heap[--nh];
        heap_down(cs, heap, nh, 0);
    }
    for (size_t i = 0; i < n; i++)
        free(cs[i].p);
    free(cs);
    free(heap);
    return rc;
}

static int write_fn(void *ctx, const struct rec_hdr *h, const char *payload)
{
    return run_write(ctx, h, payload) ? KM_EIO : 0;
}

/* Too many runs open: merge them all into one. */
static int compact_runs(struct sorter *so, struct km_err *err)
{
    FILE *f;
    int rc = run_new(so, &f, err);
    if (rc)
        return rc;
    rc = merge(so->runs, so->nruns, write_fn, f, err);
    if (rc == KM_EIO && !err->code)
        km_err_set(err, KM_EIO, NULL, UINT64_MAX, "writing a temporary file: %s",
                   strerror(errno));
    if (!rc)
        rc = run_done(f, err);
    for (size_t i = 0; i < so->nruns; i++)
        fclose(so->runs[i]);
    so->nruns = 0;
    if (rc) {
        fclose(f);
        return rc;
    }
    so->runs[so->nruns++] = f;
    return KM_OK;
}

static int spill(struct sorter *so, struct km_err *err)
{
    if (!so->nidx)
        return KM_OK;
    int rc;
    if (so->nruns == KM_TL_MAX_RUNS && (rc = compact_runs(so, err)))
        return rc;
    qsort(so->idx, so->nidx, sizeof *so->idx, idx_cmp);
    FILE *f;
    if ((rc = run_new(so, &f, err)))
        return rc;
    for (size_t i = 0; i < so->nidx; i++) {
        struct rec_hdr h;
        memcpy(&h, so->data + so->idx[i].off, sizeof h);
        if (run_write(f, &h, so->data + so->idx[i].off + sizeof h))
            break; /* run_done reports it */
    }
    if ((rc = run_done(f, err))) {
        fclose(f);
        return rc;
    }
    so->runs[so->nruns++] = f;
    so->n = 0;
    so->nidx = 0;
    return KM_OK;
}

static int sorter_add(struct sorter *so, const struct rec_hdr *h, const struct km_str parts[3],
                      struct km_err *err)
{
    size_t need = (sizeof *h + rec_payload(h) + 7) & ~(size_t)7;
    if (so->nidx && so->n + need + (so->nidx + 1) * sizeof *so->idx > so->cap) {
        int rc = spill(so, err);
        if (rc)
            return rc;
    }
    if (so->n + need > so->dcap) {
        size_t c = so->dcap ? so->dcap * 2 : 1 << 16;
        if (c > so->cap)
            c = so->cap;
        if (c < so->n + need)
            c = so->n + need; /* one record larger than the cap: held alone */
        so->data = km_xrealloc(so->data, c);
        so->dcap = c;
    }
    char *p = so->data + so->n;
    memcpy(p, h, sizeof *h);
    p += sizeof *h;
    for (int i = 0; i < 3; i++) {
        if (parts[i].n)
            memcpy(p, parts[i].p, parts[i].n);
        p += parts[i].n;
    }
    if (so->nidx == so->capidx) {
        so->capidx = so->capidx ? so->capidx * 2 : 1024;
        so->idx = km_xrealloc(so->idx, so->capidx * sizeof *so->idx);
    }
    so->idx[so->nidx++] = (struct rec_idx){h->t, h->seq, so->n};
    so->n += need;
    return KM_OK;
}

/* Hands every record to fn in (time, seq) order. */
static int sorter_finish(struct sorter *so, rec_fn fn, void *ctx, struct km_err *err)
{
    if (!so->nruns) {
        qsort(so->idx, so->nidx, sizeof *so->idx, idx_cmp);
        for (size_t i = 0; i < so->nidx; i++) {
            struct rec_hdr h;
            memcpy(&h, so->data + so->idx[i].off, sizeof h);
            int rc = fn(ctx, &h, so->data + so->idx[i].off + sizeof h);
            if (rc)
                return rc;
        }
        return KM_OK;
    }
    int rc = spill(so, err);
    if (rc)
        return rc;
    free(so->data); /* the merge needs no memory run */
    so->data = NULL;
    so->n = so->dcap = 0;
    return merge(so->runs, so->nruns, fn, ctx, err);
}

static void sorter_free(struct sorter *so)
{
    free(so->data);
    free(so->idx);
    for (size_t i = 0; i < so->nruns; i++)
        fclose(so->runs[i]);
}

/* ---- output: bursts and lines -------------------------------------------- */

enum { FMT_TABLE, FMT_JSONL };

#define TIME_COLS 20
#define PROV_COLS 9

struct tl_out {
    int fmt;
    int64_t window;           /* 0: no grouping */
    int width;
    struct km_tl_burst b;     /* the burst being built */
    struct rec_hdr first;     /* its first record */
    struct km_buf pend;       /* and that record's payload */
    int vary;                 /* its events touch different resources */
    struct km_buf text, line;
    uint64_t events, lines;
};

static int out_flush(struct tl_out *o)
{
    if (!o->b.count)
        return 0;
    const char *prov = o->pend.p, *desc = prov + o->first.plen, *json = desc + o->first.dlen;
    char t0[32], t1[32];
    km_time_fmt(o->b.first, t0);
    km_time_fmt(o->b.last, t1);
    /* table: "FAILED ×N over SPAN: " goes first, so a narrow terminal's cut
     * never hides it; jsonl has count/last/several_targets fields instead */
    struct km_buf *x = &o->text;
    x->n = 0;
    if (o->fmt == FMT_TABLE) {
        if (o->first.failed)
            km_buf_adds(x, "FAILED ");
        if (o->b.count > 1) {
            char span[32];
            km_tl_span_fmt(o->b.last - o->b.first, span);
            km_buf_printf(x, "\xc3\x97%llu over %s%s: ", (unsigned long long)o->b.count, span,
                          o->vary ? ", several targets" : "");
        }
    }
    km_buf_add(x, desc, o->first.dlen);
    struct km_buf *l = &o->line;
    l->n = 0;
    if (o->fmt == FMT_TABLE) {
        km_buf_printf(l, "%.19sZ  ", t0);
        /* cut to the terminal only (o->width 0: a file or a pipe gets it all) */
        km_out_fit(l, prov, o->first.plen, o->width ? PROV_COLS : 0, PROV_COLS, "~");
        km_buf_adds(l, "  ");
        km_out_fit(l, x->p, x->n, o->width ? o->width - TIME_COLS - PROV_COLS - 4 : 0, 0, "~");
    } else {
        km_buf_adds(l, "{\"time\":");
        km_json_write_str(l, t0, strlen(t0));
        km_buf_adds(l, ",\"last\":");
        km_json_write_str(l, t1, strlen(t1));
        km_buf_printf(l, ",\"count\":%llu,\"several_targets\":%s,\"provider\":",
                      (unsigned long long)o->b.count, o->vary ? "true" : "false");
        km_json_write_str(l, prov, o->first.plen);
        km_buf_adds(l, ",\"description\":");
        km_json_write_str(l, x->p, x->n);
        km_buf_adds(l, ",\"event\":");
        km_buf_add(l, json, o->first.jlen);
        km_buf_addc(l, '}');
    }
    km_buf_addc(l, '\n');
    o->b.count = 0;
    if (l->oom || fwrite(l->p, 1, l->n, stdout) != l->n)
        return KM_EIO;
    o->lines++;
    return 0;
}

static int out_rec(void *ctx, const struct rec_hdr *h, const char *payload)
{
    struct tl_out *o = ctx;
    o->events++;
    if (km_tl_burst_continues(&o->b, h->t, h->key, o->window)) {
        km_tl_burst_add(&o->b, h->t, h->key, o->window);
        if (h->rhash != o->first.rhash)
            o->vary = 1;
        return 0;
    }
    int rc = out_flush(o);
    if (rc)
        return rc;
    km_tl_burst_add(&o->b, h->t, h->key, o->window);
    o->first = *h;
    o->pend.n = 0;
    km_buf_add(&o->pend, payload, rec_payload(h));
    o->vary = 0;
    return o->pend.oom ? KM_ENOMEM : 0;
}

/* ---- the scan ------------------------------------------------------------ */

struct tl_scan {
    const char *resource;
    struct km_arena scratch;
    int fmt;
    struct sorter so;
    struct km_buf desc, json;
    uint64_t seq;
    int rc;
    struct km_err *err;
    struct km_cli_geo *geo;   /* the country of addresses the provider did not locate */
};

static int on_event(void *vctx, const struct km_event *ev)
{
    struct tl_scan *c = vctx;
    if (c->resource && !km_tl_resource_match(ev->f[KM_F_RESOURCES], c->resource, &c->scratch))
        return 0;
    c->desc.n = 0;
    c->desc.oom = 0;
    const struct km_event *dev = ev;
    struct km_event located;
    struct km_geo_rec gr;
    if (c->geo && ev->f[KM_F_SRC_IP].n && !ev->f[KM_F_SRC_COUNTRY].n && !c->geo->failed) {
        /* "from 203.0.113.9 (FR)": the description shows the looked-up country;
         * the JSON event stays as stored */
        km_geo_lookup(km_cli_geo_get(c->geo), ev->f[KM_F_SRC_IP].p, ev->f[KM_F_SRC_IP].n, &gr);
        if (gr.country[0]) {
            located = *ev;
            located.f[KM_F_SRC_COUNTRY] = km_str_c(gr.country);
            dev = &located;
        }
    }
    km_describe_event(dev, &c->desc); /* a cut description is still a description */
    c->json.n = 0;
    c->json.oom = 0;
    if (c->fmt == FMT_JSONL) {
        km_out_event_json(&c->json, ev);
        if (c->json.oom) {
            c->rc = km_err_set(c->err, KM_ENOMEM, NULL, UINT64_MAX, "an event too large to print");
            return 1;
        }
    }
    struct km_str prov = ev->f[KM_F_PROVIDER];
    if (!prov.p)
        prov = KM_STR("-");
    if (prov.n > 64)
        prov.n = 64;
    struct rec_hdr h = {
        .t = ev->time_us,
        .seq = c->seq++,
        .key = km_tl_burst_key(ev),
        .rhash = hash_str(KM_TL_HASH_INIT, ev->f[KM_F_RESOURCES]),
        .plen = prov.n,
        .dlen = (uint32_t)c->desc.n,
        .jlen = (uint32_t)c->json.n,
        .failed = km_str_eqc(ev->f[KM_F_OUTCOME], "failure"),
    };
    struct km_str parts[3] = {prov, {c->desc.p, (uint32_t)c->desc.n},
                              {c->json.p, (uint32_t)c->json.n}};
    int rc = sorter_add(&c->so, &h, parts, c->err);
    if (rc) {
        c->rc = rc;
        return 1;
    }
    return 0;
}

static int bad_value(const char *a, const char *v, const char *why)
{
    fprintf(stderr, "kumo timeline: %s: %s, got '%s'\n", a, why, v);
    return 2;
}

/* --session X: a condition on the session id */
static int session_opt(void *ctx, const char *cmd, const char *name, const char *v)
{
    struct km_cli_filter *cf = ctx;
    if (cf->f.nconds == KM_CLI_FILTER_MAX) {
        fprintf(stderr, "kumo %s: too many filters\n", cmd);
        return 2;
    }
    cf->f.conds[cf->f.nconds].fields = 1ULL << KM_F_SESSION_ID;
    cf->f.conds[cf->f.nconds++].value = v;
    return 0;
}

int km_cmd_timeline(int argc, char **argv)
{
    const char *dir = km_cli_store_dir(&argc, argv);
    struct km_cli_geo geo;
    km_cli_geo_begin(&geo, "timeline", dir);
    struct km_cli_filter cf;
    km_cli_filter_init(&cf);
    struct tl_scan c = {0};
    c.geo = &geo;
    struct tl_out o = {0};
    c.fmt = FMT_TABLE;
    o.window = KM_TL_BURST_WINDOW_US;
    unsigned long long mem = KM_TL_MEM_DEFAULT;
    long long burst = -1;
    int no_group = 0;
    const char *fmt = "table";
    const struct km_opt opt[] = {
        KM_CLI_FILTER_OPTS(&cf),
        KM_OPT_FN("--session", 0, session_opt, &cf, "X", "events of this session id"),
        KM_OPT_STR("--resource", 0, &c.resource, "X",
                   "events that touch this resource (id, ARN or name)"),
        KM_OPT_FLAG("--no-group", 0, &no_group, "one line per event: no bursts"),
        KM_OPT_INT("--burst", 0, &burst, 0, 366LL * 86400, "S",
                   "group repeated calls within S seconds into one line (default 60; 0 is "
                   "--no-group)"),
        KM_OPT_ENUM("--format", 0, &fmt, "table|jsonl|json", "output (json is jsonl)"),
        KM_OPT_SIZE("--mem", 0, &mem, KM_TL_MEM_MIN, (long long)64 << 30,
                    "memory for sorting before spilling to $TMPDIR (64K to 64G)"),
        KM_CLI_GEO_OPT(&geo),
        KM_OPT_END,
    };
    struct km_opts op = {.cmd = "timeline", .opt = opt};
    int ex;
    if (km_opts_parse(&op, argc, argv, &ex))
        return ex;
    if (c.resource && !*c.resource)
        return bad_value("--resource", c.resource, "expected a resource id, ARN or name");
    c.fmt = strcmp(fmt, "table") == 0 ? FMT_TABLE : FMT_JSONL;
    if (burst >= 0)
        o.window = burst * 1000000LL;
    if (no_group)
        o.window = 0;
    o.fmt = c.fmt;
    o.width = km_tl_term_width();
    struct km_store *s;
    if (km_cli_open_store("timeline", dir, 0, &s) != KM_OK)
        return 1;
    if (km_cli_filter_persons(&cf, "timeline", s)) {
        km_store_close(s);
        return 2;
    }
    struct km_err err;
    km_err_clear(&err);
    c.err = &err;
    c.so.cap = (size_t)mem;
    c.so.tmpdir = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    km_arena_init(&c.scratch, 1 << 16, (size_t)64 << 20);
    km_buf_init(&c.desc, 1 << 16);
    km_buf_init(&c.json, 0);
    km_buf_init(&o.pend, 0);
    km_buf_init(&o.text, 1 << 17);
    km_buf_init(&o.line, 0);
    if (o.fmt == FMT_TABLE)
        printf("%-*s  %-*s  %s\n", TIME_COLS, "TIME", PROV_COLS, "PROVIDER", "DESCRIPTION");
    int rc = km_store_scan(s, &cf.f, on_event, &c, &err);
    if (!rc)
        rc = c.rc;
    if (!rc) {
        rc = sorter_finish(&c.so, out_rec, &o, &err);
        if (!rc)
            rc = out_flush(&o);
        if (rc && !err.code)
            km_err_set(&err, rc, NULL, UINT64_MAX, "writing the timeline: %s",
                       rc == KM_EIO ? strerror(errno) : km_strerror(rc));
    }
    km_log(2, "kumo timeline: %llu events, %llu temporary runs\n",
           (unsigned long long)c.seq, (unsigned long long)c.so.spills);
    km_store_close(s);
    km_cli_filter_free(&cf);
    sorter_free(&c.so);
    km_arena_free(&c.scratch);
    km_buf_free(&c.desc);
    km_buf_free(&c.json);
    km_buf_free(&o.pend);
    km_buf_free(&o.text);
    km_buf_free(&o.line);
    km_cli_geo_free(&geo);
    if (fflush(stdout) != 0 && !rc)
        rc = km_err_set(&err, KM_EIO, NULL, UINT64_MAX, "writing the timeline: %s",
                        strerror(errno));
    if (rc) {
        char m[1200];
        fprintf(stderr, "kumo timeline: %s\n", km_err_fmt(&err, m, sizeof m));
        return 1;
    }
    if (o.fmt == FMT_TABLE)
        km_out_cut_note(stdout);
    if (o.fmt == FMT_TABLE)
        fprintf(stderr, "%llu events in %llu lines\n", (unsigned long long)o.events,
                (unsigned long long)o.lines);
    return 0;
}
