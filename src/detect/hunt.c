/*
 * hunt.c — the hunt (hunt.h, detect.h): the segment scan detections share,
 * evidence, emitting and merging findings, allow-lists, running detections
 * on two threads, and recording the result in the catalog under custody.
 */
#include "detect/hunt.h"

#include "core/conf.h"
#include "core/hash.h"
#include "core/ip.h"
#include "core/timeparse.h"
#include "geo/geo.h"
#include "ident/ident.h"
#include "json/json.h"
#include "store/catalog.h"
#include "store/segment.h"
#include "store/store.h"
#include "store/vault.h"
#include "ingest/raw.h"

#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <unistd.h>

struct net {
    uint8_t a[16];
    int bits;
};

struct km_hunt {
    struct km_store *s;
    const struct km_hunt_opts *o;
    struct km_segment_row *segs;
    size_t nseg;
    /* event-id lookups: segments opened on demand, under a lock; at most
     * KM_HUNT_OPEN_MAX stay open (least recently used closed first: an open
     * segment keeps every column it decoded) */
    pthread_mutex_t seg_mu;
    struct km_seg **open;
    uint64_t *used, tick;
    size_t nopen;
    /* findings of the run, merged by id */
    pthread_mutex_t fmu;
    struct km_finding *f;
    size_t nf, capf;
    /* allow-lists */
    struct net *nets;
    size_t nnets;
    const char *const *idents;
    size_t nidents;
    const char *const *agents;
    size_t nagents;
    uint64_t rows;
    /* raw records: one cache of decoded vault objects, under a lock */
    pthread_mutex_t raw_mu;
    struct km_raw_cache *raw;
    /* the identity graph when built lazily */
    pthread_mutex_t g_mu;
    int g_tried;
    struct km_idgraph *own_graph;
    struct km_err g_err;      /* why it could not be built */
};

const struct km_conf *km_hunt_conf(const struct km_hunt *h) { return h->o->conf; }
struct km_geo *km_hunt_geo(struct km_hunt *h) { return h->o->geo; }
/* The identity graph, built on first use when the options ask for it (a
 * hunt whose detections never need persons does not pay for it). */
const struct km_idgraph *km_hunt_graph(const struct km_hunt *hc)
{
    struct km_hunt *h = (struct km_hunt *)hc;
    if (h->o->graph || !h->o->graph_lazy)
        return h->o->graph;
    pthread_mutex_lock(&h->g_mu);
    if (!h->g_tried) {
        h->g_tried = 1;
        km_err_clear(&h->g_err);
        if (km_idgraph_build_ex(h->s, h->o->conf, KM_IDGRAPH_NO_TIMES, &h->own_graph,
                                &h->g_err) != KM_OK)
            h->own_graph = NULL;
    }
    pthread_mutex_unlock(&h->g_mu);
    return h->own_graph;
}
int64_t km_hunt_since(const struct km_hunt *h) { return h->o->since; }
int64_t km_hunt_until(const struct km_hunt *h) { return h->o->until; }

int km_hunt_span(const struct km_hunt *h, int64_t *first, int64_t *last)
{
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    for (size_t i = 0; i < h->nseg; i++) {
        const struct km_segment_row *sg = &h->segs[i];
        if (sg->tmax < h->o->since || sg->tmin > h->o->until)
            continue;
        int64_t a = sg->tmin > h->o->since ? sg->tmin : h->o->since;
        int64_t b = sg->tmax < h->o->until ? sg->tmax : h->o->until;
        lo = a < lo ? a : lo;
        hi = b > hi ? b : hi;
    }
    *first = lo == INT64_MAX ? 0 : lo;
    *last = hi == INT64_MIN ? 0 : hi;
    return lo != INT64_MAX;
}

static void seg_path(const struct km_hunt *h, size_t i, char *p, size_t n)
{
    km_store_segment_path(h->s, h->segs[i].file, p, n);
}

/* ---- rows -------------------------------------------------------------------- */

struct km_str km_hrow_str(const struct km_hrow *r, int field)
{
    struct km_str v = KM_STR_NONE;
    struct km_err e;
    km_err_clear(&e);
    km_seg_str(r->seg, field, r->ref.row, &v, &e);
    return v;
}

uint32_t km_hrow_code(const struct km_hrow *r, int field)
{
    uint32_t c = 0;
    struct km_err e;
    km_err_clear(&e);
    km_seg_code(r->seg, field, r->ref.row, &c, &e);
    return c;
}

int km_hrow_event(const struct km_hrow *r, struct km_event *ev)
{
    struct km_err e;
    km_err_clear(&e);
    return km_seg_event(r->seg, r->ref.row, ev, &e);
}

static inline uint32_t code_at(const void *codes, int w, uint32_t r)
{
    return w == 1 ? ((const uint8_t *)codes)[r]
         : w == 2 ? ((const uint16_t *)codes)[r]
                  : ((const uint32_t *)codes)[r];
}

int km_hunt_scan(struct km_hunt *h, const struct km_hscan *sc, struct km_err *err)
{
    int64_t since = h->o->since, until = h->o->until;
    uint8_t *bm[6] = {0};
    uint32_t bmcap[6] = {0};
    int32_t *persons = NULL;
    size_t pcap = 0;
    int rc = KM_OK, stop = 0;
    uint64_t rows = 0;
    for (size_t i = 0; i < h->nseg && !stop && rc == KM_OK; i++) {
        if (h->segs[i].tmax < since || h->segs[i].tmin > until)
            continue;
        char p[4096];
        seg_path(h, i, p, sizeof p);
        struct km_seg *seg;
        rc = km_seg_open(p, &seg, err);
        if (rc != KM_OK)
            break;
        uint32_t nrows = (uint32_t)km_seg_rows(seg);
        const void *codes[6] = {0};
        int width[6] = {0};
        int plain[6] = {0};
        int skip = 0;
        for (int c = 0; c < sc->ncond && !skip; c++) {
            const struct km_hscan_cond *cd = &sc->cond[c];
            int kind = km_seg_field_kind(seg, cd->field);
            if (kind == KM_SEG_ABSENT) {
                skip = 1;
                break;
            }
            if (kind == KM_SEG_PLAIN) {
                plain[c] = 1;
                continue;
            }
            uint32_t n = km_seg_dict_size(seg, cd->field);
            if (bmcap[c] < n + 1) {
                free(bm[c]);
                bmcap[c] = n + 1;
                bm[c] = km_xmalloc(bmcap[c]);
            }
            int any = 0;
            if (cd->pred) {
                memset(bm[c], 0, n + 1);
                for (uint32_t code = 1; code <= n; code++) {
                    struct km_str v;
                    if (km_seg_dict_get(seg, cd->field, code, &v, err) != KM_OK)
                        break;
                    if (v.p && cd->pred(cd->pctx, v.p, v.n))
                        bm[c][code] = 1, any = 1;
                }
            } else if (cd->present) {
                memset(bm[c], 1, n + 1);
                bm[c][0] = 0;
                any = n > 0;
            } else {
                memset(bm[c], 0, n + 1);
                for (int v = 0; v < cd->nvals; v++) {
                    uint32_t code;
                    if (km_seg_dict_find(seg, cd->field, cd->vals[v], strlen(cd->vals[v]),
                                         &code) == 1 && code <= n) {
                        bm[c][code] = 1;
                        any = 1;
                    }
                }
            }
            if (!any) {
                skip = 1;
                break;
            }
            rc = km_seg_codes(seg, cd->field, &codes[c], &width[c], err);
            if (rc != KM_OK)
                break;
        }
        const int64_t *ts = NULL;
        if (!skip && rc == KM_OK)
            rc = km_seg_times(seg, &ts, err);
        const struct km_idgraph *graph = sc->persons ? km_hunt_graph(h) : NULL;
        if (!skip && rc == KM_OK && graph) {
            if (pcap < nrows) {
                free(persons);
                pcap = nrows;
                persons = km_xmalloc(pcap * sizeof *persons);
            }
            rc = km_idgraph_seg_persons(graph, seg, persons, err);
        }
        if (!skip && rc == KM_OK) {
            struct km_hrow r = {h, seg, {(uint32_t)i, 0}, 0, -1};
            for (uint32_t row = 0; row < nrows; row++) {
                int64_t t = ts[row];
                if (t < since || t > until)
                    continue;
                int ok = 1;
                for (int c = 0; c < sc->ncond && ok; c++) {
                    if (plain[c]) {
                        struct km_str v = KM_STR_NONE;
                        struct km_err e;
                        km_err_clear(&e);
                        km_seg_str(seg, sc->cond[c].field, row, &v, &e);
                        if (sc->cond[c].pred) {
                            ok = v.p && sc->cond[c].pred(sc->cond[c].pctx, v.p, v.n);
                        } else if (sc->cond[c].present) {
                            ok = v.p && v.n;
                        } else {
                            ok = 0;
                            for (int k = 0; k < sc->cond[c].nvals && !ok; k++)
                                ok = v.p && km_str_eqc(v, sc->cond[c].vals[k]);
                        }
                    } else {
                        ok = bm[c][code_at(codes[c], width[c], row)];
                    }
                }
                if (!ok)
                    continue;
                rows++;
                r.ref.row = row;
                r.time = t;
                r.person = persons && graph ? persons[row] : -1;
                if (sc->row(sc->ctx, &r)) {
                    stop = 1;
                    break;
                }
            }
        }
        km_seg_close(seg);
    }
    for (int c = 0; c < 6; c++)
        free(bm[c]);
    free(persons);
    __atomic_add_fetch(&h->rows, rows, __ATOMIC_RELAXED);
    return rc;
}

/* ---- raw records ------------------------------------------------------------ */

static int raw_parse(struct km_arena *a, const char *p, size_t n, struct km_json **root,
                     struct km_err *err)
{
    char *copy = km_arena_strndup(a, p, n);
    if (!copy)
        return km_err_set(err, KM_ENOMEM, NULL, UINT64_MAX, "raw record of %zu bytes", n);
    return km_json_parse(copy, n, NULL, a, root, err);
}

static int raw_of(struct km_hunt *h, struct km_seg *seg, uint32_t row, struct km_arena *a,
                  struct km_json **root, struct km_err *err)
{
    struct km_rawref rr;
    int rc = km_seg_rawref(seg, row, &rr, err);
    if (rc != KM_OK)
        return rc;
    pthread_mutex_lock(&h->raw_mu);
    if (!h->raw)
        h->raw = km_raw_cache_new(h->s, 16u << 20);
    const char *p = NULL;
    rc = km_raw_cache_get(h->raw, &rr, &p, err);
    char *copy = NULL;
    if (rc == KM_OK && p) {
        copy = km_arena_alloc(a, rr.length + 1);
        if (copy) {
            memcpy(copy, p, rr.length);
            copy[rr.length] = 0;
        }
    }
    pthread_mutex_unlock(&h->raw_mu);
    if (rc != KM_OK)
        return rc;
    if (!copy)
        return km_err_set(err, KM_ENOMEM, NULL, UINT64_MAX, "raw record of %u bytes",
                          rr.length);
    if (rr.length == 0 || (copy[0] != '{' && copy[0] != '['))
        return km_err_set(err, KM_EFORMAT, NULL, UINT64_MAX, "the original is not JSON");
    rc = km_json_parse(copy, rr.length, NULL, a, root, err);
    if (rc != KM_OK)
        return rc;
    static const char *const inner[] = {"CloudTrailEvent", "message", "Message"};
    for (size_t i = 0; i < KM_ARRAY_LEN(inner); i++) {
        const struct km_json *s = km_json_get(*root, inner[i]);
        if (s && s->type == KM_JSON_STRING && s->len && s->str[0] == '{') {
            struct km_json *in;
            struct km_err e2;
            km_err_clear(&e2);
            if (raw_parse(a, s->str, s->len, &in, &e2) == KM_OK && in->type == KM_JSON_OBJECT)
                *root = in;
            break;
        }
    }
    return KM_OK;
}

int km_hrow_raw(const struct km_hrow *r, struct km_arena *a, struct km_json **root,
                struct km_err *err)
{
    return raw_of(r->h, r->seg, r->ref.row, a, root, err);
}

/* ---- evidence ------------------------------------------------------------------ */

#define KM_HUNT_OPEN_MAX 3

/* The open segment of ref.seg (caller holds seg_mu). */
static int seg_get(struct km_hunt *h, uint32_t seg, struct km_err *err)
{
    h->used[seg] = ++h->tick;
    if (h->open[seg])
        return KM_OK;
    if (h->nopen >= KM_HUNT_OPEN_MAX) {
        size_t lru = SIZE_MAX;
        for (size_t i = 0; i < h->nseg; i++)
            if (h->open[i] && (lru == SIZE_MAX || h->used[i] < h->used[lru]))
                lru = i;
        if (lru != SIZE_MAX) {
            km_seg_close(h->open[lru]);
            h->open[lru] = NULL;
            h->nopen--;
        }
    }
    char p[4096];
    seg_path(h, seg, p, sizeof p);
    int rc = km_seg_open(p, &h->open[seg], err);
    if (rc == KM_OK)
        h->nopen++;
    return rc;
}

/* Materialises a referenced event under the segment lock; fn runs with it. */
static int with_event(struct km_hunt *h, struct km_evref ref,
                      void (*fn)(void *ctx, const struct km_event *ev), void *ctx)
{
    if (ref.seg >= h->nseg)
        return KM_ENOTFOUND;
    pthread_mutex_lock(&h->seg_mu);
    int rc = KM_OK;
    struct km_err e;
    km_err_clear(&e);
    rc = seg_get(h, ref.seg, &e);
    if (rc == KM_OK) {
        /* only what evidence shows: the segment's other columns stay undecoded */
        static const int fields[] = {KM_F_PROVIDER,   KM_F_SOURCE,     KM_F_ACTION,
                                     KM_F_ACTOR_EMAIL, KM_F_ACTOR_NAME, KM_F_ACTOR_ARN,
                                     KM_F_SRC_IP,     KM_F_SRC_RAW,    KM_F_OUTCOME,
                                     KM_F_EVENT_ID};
        struct km_event ev;
        rc = km_seg_event_fields(h->open[ref.seg], ref.row, fields, (int)KM_ARRAY_LEN(fields),
                                 &ev, &e);
        if (rc == KM_OK)
            fn(ctx, &ev);
    }
    pthread_mutex_unlock(&h->seg_mu);
    return rc;
}

struct idctx {
    char *out;
    size_t cap, n;
};

static void copy_id(void *vctx, const struct km_event *ev)
{
    struct idctx *c = vctx;
    struct km_str id = ev->f[KM_F_EVENT_ID];
    c->n = id.p ? (id.n < c->cap - 1 ? id.n : c->cap - 1) : 0;
    if (c->n)
        memcpy(c->out, id.p, c->n);
    c->out[c->n] = 0;
}

int km_hunt_raw(struct km_hunt *h, struct km_evref ref, struct km_arena *a,
                struct km_json **root, struct km_err *err)
{
    if (ref.seg >= h->nseg)
        return KM_ENOTFOUND;
    /* the shared segment objects decode columns lazily: one user at a time */
    pthread_mutex_lock(&h->seg_mu);
    int rc = seg_get(h, ref.seg, err);
    if (rc == KM_OK)
        rc = raw_of(h, h->open[ref.seg], ref.row, a, root, err);
    pthread_mutex_unlock(&h->seg_mu);
    return rc;
}

size_t km_hunt_event_id(struct km_hunt *h, struct km_evref ref, char *out, size_t cap)
{
    struct idctx c = {out, cap, 0};
    if (cap)
        out[0] = 0;
    if (cap < 2 || with_event(h, ref, copy_id, &c) != KM_OK)
        return 0;
    return c.n;
}

static void scpy(char *dst, size_t cap, struct km_str s)
{
    size_t n = s.p ? (s.n < cap - 1 ? s.n : cap - 1) : 0;
    if (n)
        memcpy(dst, s.p, n);
    dst[n] = 0;
}

struct evctx {
    struct km_finding *f;
};

static void add_ev(void *vctx, const struct km_event *ev)
{
    struct evctx *c = vctx;
    struct km_fev e;
    memset(&e, 0, sizeof e);
    e.time = ev->time_us;
    scpy(e.provider, sizeof e.provider, ev->f[KM_F_PROVIDER]);
    scpy(e.source, sizeof e.source, ev->f[KM_F_SOURCE]);
    scpy(e.action, sizeof e.action, ev->f[KM_F_ACTION]);
    struct km_str who = ev->f[KM_F_ACTOR_EMAIL].p ? ev->f[KM_F_ACTOR_EMAIL]
                      : ev->f[KM_F_ACTOR_NAME].p  ? ev->f[KM_F_ACTOR_NAME]
                                                  : ev->f[KM_F_ACTOR_ARN];
    scpy(e.actor, sizeof e.actor, who);
    scpy(e.ip, sizeof e.ip, ev->f[KM_F_SRC_IP].p ? ev->f[KM_F_SRC_IP] : ev->f[KM_F_SRC_RAW]);
    scpy(e.outcome, sizeof e.outcome, ev->f[KM_F_OUTCOME]);
    scpy(e.event_id, sizeof e.event_id, ev->f[KM_F_EVENT_ID]);
    memcpy(e.key, ev->key, 16);
    if (e.event_id[0])
        km_strset_addc(&c->f->event_ids, e.event_id);
    km_finding_add_fev(c->f, &e);
}

void km_hunt_add_evidence(struct km_hunt *h, struct km_finding *f, struct km_evref ref)
{
    struct evctx c = {f};
    with_event(h, ref, add_ev, &c);
}

/* ---- entities ---------------------------------------------------------------- */

const char *km_hunt_person_of(struct km_hunt *h, const struct km_event *ev)
{
    const struct km_idgraph *g = km_hunt_graph(h);
    if (!g)
        return NULL;
    int p = km_idgraph_person_of(g, ev);
    return p >= 0 ? km_idgraph_person(g, (size_t)p)->email : NULL;
}

void km_hunt_country(struct km_hunt *h, const struct km_event *ev, char cc[3])
{
    cc[0] = 0;
    struct km_str c = ev->f[KM_F_SRC_COUNTRY];
    if (c.p && c.n == 2) {
        cc[0] = c.p[0];
        cc[1] = c.p[1];
        cc[2] = 0;
        return;
    }
    struct km_str ip = ev->f[KM_F_SRC_IP];
    if (!ip.p || !h->o->geo)
        return;
    struct km_geo_rec g;
    km_geo_lookup(h->o->geo, ip.p, ip.n, &g);
    memcpy(cc, g.country, 3);
}

void km_hunt_add_resources(struct km_finding *f, struct km_str rj)
{
    if (!rj.p || !rj.n || rj.n > (1u << 20))
        return;
    struct km_arena a;
    km_arena_init(&a, 0, 8u << 20);
    char *copy = km_arena_strndup(&a, rj.p, rj.n);
    struct km_json *root;
    struct km_err e;
    km_err_clear(&e);
    if (copy && km_json_parse(copy, rj.n, NULL, &a, &root, &e) == KM_OK &&
        root->type == KM_JSON_ARRAY)
        for (const struct km_json *x = root->child; x; x = x->next) {
            const struct km_json *v = km_json_get(x, "id");
            if (!v || v->type != KM_JSON_STRING)
                v = km_json_get(x, "name");
            if (v && v->type == KM_JSON_STRING)
                km_strset_add(&f->ent[KM_ENT_RESOURCES], v->str, v->len);
        }
    km_arena_free(&a);
}

void km_hunt_add_event(struct km_hunt *h, struct km_finding *f, const struct km_event *ev)
{
    const struct km_str *v = ev->f;
    struct km_str who = v[KM_F_ACTOR_EMAIL].p ? v[KM_F_ACTOR_EMAIL]
                      : v[KM_F_ACTOR_NAME].p  ? v[KM_F_ACTOR_NAME]
                                              : v[KM_F_ACTOR_ARN];
    if (who.p)
        km_strset_add(&f->ent[KM_ENT_IDENTITIES], who.p, who.n);
    const char *p = km_hunt_person_of(h, ev);
    if (p)
        km_strset_addc(&f->ent[KM_ENT_PERSONS], p);
    else if (v[KM_F_ACTOR_EMAIL].p)
        km_strset_add(&f->ent[KM_ENT_PERSONS], v[KM_F_ACTOR_EMAIL].p, v[KM_F_ACTOR_EMAIL].n);
    if (v[KM_F_ACTOR_ACCESS_KEY].p)
        km_strset_add(&f->ent[KM_ENT_ACCESS_KEYS], v[KM_F_ACTOR_ACCESS_KEY].p,
                      v[KM_F_ACTOR_ACCESS_KEY].n);
    if (v[KM_F_ACCOUNT].p)
        km_strset_add(&f->ent[KM_ENT_ACCOUNTS], v[KM_F_ACCOUNT].p, v[KM_F_ACCOUNT].n);
    if (v[KM_F_SRC_IP].p)
        km_strset_add(&f->ent[KM_ENT_IPS], v[KM_F_SRC_IP].p, v[KM_F_SRC_IP].n);
    char cc[3];
    km_hunt_country(h, ev, cc);
    if (cc[0])
        km_strset_addc(&f->ent[KM_ENT_COUNTRIES], cc);
    km_finding_window(f, ev->time_us);
    add_ev(&(struct evctx){f}, ev);
}

struct refctx {
    struct km_hunt *h;
    struct km_finding *f;
};

static void add_whole(void *vctx, const struct km_event *ev)
{
    struct refctx *c = vctx;
    km_hunt_add_event(c->h, c->f, ev);
}

void km_hunt_add_event_ref(struct km_hunt *h, struct km_finding *f, struct km_evref ref)
{
    struct refctx c = {h, f};
    with_event(h, ref, add_whole, &c);
}

/* ---- emit ------------------------------------------------------------------------ */

void km_hunt_emit(struct km_hunt *h, struct km_finding *f)
{
    km_finding_set_id(f);
    if (f->first == INT64_MAX)
        f->first = f->last = 0;
    pthread_mutex_lock(&h->fmu);
    for (size_t i = 0; i < h->nf; i++)
        if (strcmp(h->f[i].id, f->id) == 0) {
            km_finding_merge(&h->f[i], f);
            pthread_mutex_unlock(&h->fmu);
            km_finding_free(f);
            return;
        }
    if (h->nf == h->capf) {
        h->capf = h->capf ? 2 * h->capf : 32;
        h->f = km_xrealloc(h->f, h->capf * sizeof *h->f);
    }
    h->f[h->nf++] = *f;
    pthread_mutex_unlock(&h->fmu);
    km_finding_init(f);
}

/* ---- allow-lists -------------------------------------------------------------------- */

int km_hunt_allowed_ip(const struct km_hunt *h, struct km_str ip)
{
    if (!ip.p || !h->nnets)
        return 0;
    uint8_t a[16];
    if (km_ip_parse(ip.p, ip.n, a, NULL) != KM_OK)
        return 0;
    for (size_t i = 0; i < h->nnets; i++)
        if (km_ip_in_net(a, h->nets[i].a, h->nets[i].bits))
            return 1;
    return 0;
}

int km_hunt_allowed_identity(const struct km_hunt *h, struct km_str name)
{
    if (!name.p)
        return 0;
    for (size_t i = 0; i < h->nidents; i++)
        if (strlen(h->idents[i]) == name.n && strncasecmp(h->idents[i], name.p, name.n) == 0)
            return 1;
    return 0;
}

int km_hunt_allowed_agent(const struct km_hunt *h, struct km_str ua)
{
    if (!ua.p)
        return 0;
    for (size_t i = 0; i < h->nagents; i++)
        if (memmem(ua.p, ua.n, h->agents[i], strlen(h->agents[i])))
            return 1;
    return 0;
}

/* ---- running ------------------------------------------------------------------------ */

static double now_s(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

struct pool {
    struct km_hunt *h;
    const struct km_detection **list;
    int n;
    int next, done;
    pthread_mutex_t mu;
    struct km_hunt_result *r;
};

static void *worker(void *arg)
{
    struct pool *p = arg;
    for (;;) {
        pthread_mutex_lock(&p->mu);
        int i = p->next < p->n ? p->next++ : -1;
        pthread_mutex_unlock(&p->mu);
        if (i < 0)
            break;
        const struct km_detection *d = p->list[i];
        struct km_err e;
        km_err_clear(&e);
        double t0 = now_s();
        size_t before = 0;
        int rc = d->run(p->h, &e);
        malloc_trim(0);
        double dt = now_s() - t0;
        pthread_mutex_lock(&p->mu);
        p->done++;
        if (rc != KM_OK) {
            if (p->r->failed < 8) {
                char m[1200];
                snprintf(p->r->errors[p->r->failed], sizeof p->r->errors[0], "%s: %s", d->id,
                         km_err_fmt(&e, m, sizeof m));
            }
            p->r->failed++;
        }
        pthread_mutex_lock(&p->h->fmu);
        for (size_t k = 0; k < p->h->nf; k++)
            before += strcmp(p->h->f[k].detection, d->id) == 0;
        pthread_mutex_unlock(&p->h->fmu);
        if (p->h->o->progress)
            p->h->o->progress(p->h->o->pctx, d, p->done, p->n, before, dt, rc);
        pthread_mutex_unlock(&p->mu);
    }
    return NULL;
}

static int cmp_find(const void *a, const void *b)
{
    const struct km_finding *x = a, *y = b;
    if (x->first != y->first)
        return x->first < y->first ? -1 : 1;
    return strcmp(x->id, y->id);
}

int km_hunt_run(struct km_store *s, const struct km_hunt_opts *o, struct km_hunt_result *r,
                struct km_err *err)
{
    memset(r, 0, sizeof *r);
    double t0 = now_s();
    /* Detections decode many vault objects (a gzipped CloudTrail file is
     * ~650 KB of JSON) and free them at once. glibc's dynamic mmap threshold
     * grows with every large free until multi-megabyte buffers live in the
     * heaps of several arenas, where they stay resident (848 MiB for all
     * detections on 10M events). A fixed 4 MiB threshold keeps the few large
     * buffers mapped (returned on free) while the many object-sized ones are
     * reused from the heap (mapping each one costs seconds of page faults),
     * two arenas bound the heaps, and each detection's garbage is trimmed. */
    mallopt(M_MMAP_THRESHOLD, 4 * 1024 * 1024);
    mallopt(M_TRIM_THRESHOLD, 4 * 1024 * 1024);
    mallopt(M_ARENA_MAX, 2);
    struct km_hunt h;
    memset(&h, 0, sizeof h);
    h.s = s;
    h.o = o;
    pthread_mutex_init(&h.seg_mu, NULL);
    pthread_mutex_init(&h.fmu, NULL);
    pthread_mutex_init(&h.raw_mu, NULL);
    pthread_mutex_init(&h.g_mu, NULL);
    int rc = km_cat_segments(km_store_catalog(s), &h.segs, &h.nseg, err);
    if (rc != KM_OK)
        return rc;
    h.open = km_xcalloc(h.nseg + 1, sizeof *h.open);
    h.used = km_xcalloc(h.nseg + 1, sizeof *h.used);
    const char *const *nets;
    size_t nn = km_conf_list(o->conf, "allow.networks", &nets);
    h.nets = km_xcalloc(nn + 1, sizeof *h.nets);
    for (size_t i = 0; i < nn; i++) {
        if (km_ip_cidr_parse(nets[i], strlen(nets[i]), h.nets[h.nnets].a,
                             &h.nets[h.nnets].bits) != KM_OK) {
            rc = km_err_set(err, KM_EUSAGE, km_conf_path(o->conf), UINT64_MAX,
                            "allow.networks: '%s' is not an address or CIDR", nets[i]);
            goto out;
        }
        h.nnets++;
    }
    h.nidents = km_conf_list(o->conf, "allow.identities", &h.idents);
    h.nagents = km_conf_list(o->conf, "allow.user_agents", &h.agents);

    /* which detections */
    const struct km_detection **list = km_xcalloc((size_t)km_ndetections + 1, sizeof *list);
    int n = 0;
    for (int i = 0; i < km_ndetections; i++) {
        int want = !o->only;
        for (int k = 0; o->only && k < o->nonly; k++)
            want |= strcmp(o->only[k], km_detections[i]->id) == 0;
        if (want)
            list[n++] = km_detections[i];
    }
    for (int k = 0; o->only && k < o->nonly; k++)
        if (!km_detection_find(o->only[k])) {
            free(list);
            rc = km_err_set(err, KM_EUSAGE, NULL, UINT64_MAX,
                            "no detection '%s' (kumo hunt --list names them)", o->only[k]);
            goto out;
        }
    struct pool p = {&h, list, n, 0, 0, PTHREAD_MUTEX_INITIALIZER, r};
    int nt = o->threads > 0 ? o->threads : 2;
    if (nt > n)
        nt = n > 0 ? n : 1;
    pthread_t th[8];
    if (nt > 8)
        nt = 8;
    for (int i = 1; i < nt; i++)
        pthread_create(&th[i], NULL, worker, &p);
    worker(&p);
    for (int i = 1; i < nt; i++)
        pthread_join(th[i], NULL);
    free(list);
    r->ndet = n;
    for (size_t i = 0; i < h.nf; i++)
        km_finding_normalize(&h.f[i]);
    if (h.nf > 1)
        qsort(h.f, h.nf, sizeof *h.f, cmp_find);
    r->f = h.f;
    r->n = h.nf;
    h.f = NULL;
    r->rows = h.rows;
    if (h.g_err.code) { /* e.g. a bad identity-map file: the hunt is not trustworthy */
        if (err && !err->code)
            *err = h.g_err;
        rc = h.g_err.code;
    }
out:
    for (size_t i = 0; i < h.nseg; i++)
        if (h.open[i])
            km_seg_close(h.open[i]);
    free(h.open);
    free(h.used);
    free(h.segs);
    free(h.nets);
    if (h.f)
        km_findings_free(h.f, h.nf);
    pthread_mutex_destroy(&h.seg_mu);
    pthread_mutex_destroy(&h.fmu);
    pthread_mutex_destroy(&h.raw_mu);
    pthread_mutex_destroy(&h.g_mu);
    km_idgraph_free(h.own_graph);
    if (h.raw)
        km_raw_cache_free(h.raw);
    r->seconds = now_s() - t0;
    return rc;
}

void km_hunt_result_free(struct km_hunt_result *r)
{
    km_findings_free(r->f, r->n);
    memset(r, 0, sizeof *r);
}

/* ---- recording ------------------------------------------------------------------------ */

int km_hunt_save(struct km_store *s, const struct km_hunt_opts *o,
                 const struct km_hunt_result *r, const char *operator_,
                 struct km_hunt_saved *out, struct km_err *err)
{
    memset(out, 0, sizeof *out);
    struct km_catalog *c = km_store_catalog(s);
    int rc = km_findings_schema(c, err);
    if (rc != KM_OK)
        return rc;
    rc = km_cat_begin(c, err);
    if (rc != KM_OK)
        return rc;
    struct timeval tv;
    gettimeofday(&tv, NULL);
    int64_t now = (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
    for (size_t i = 0; i < r->n && rc == KM_OK; i++) {
        int st;
        rc = km_findings_put(c, &r->f[i], now, &st, err);
        if (st == 1)
            out->added++;
        else if (st == 2)
            out->updated++;
        else
            out->unchanged++;
    }
    if (rc == KM_OK)
        rc = km_findings_digest(c, out->digest, err);
    if (rc == KM_OK) {
        char only[512] = "";
        for (int k = 0; o->only && k < o->nonly; k++)
            snprintf(only + strlen(only), sizeof only - strlen(only), "%s%s", k ? "," : "",
                     o->only[k]);
        rc = km_cat_findings_count(c, &out->total, err);
        if (rc == KM_OK)
            rc = km_cat_hunt_add(c, now, o->since, o->until, only, out->added, out->updated,
                                 out->unchanged, out->total, out->digest, err);
    }
    if (rc == KM_OK) {
        struct km_custody cr;
        memset(&cr, 0, sizeof cr);
        km_time_fmt(now, cr.time);
        snprintf(cr.operator_, sizeof cr.operator_, "%s", operator_ ? operator_ : "");
        gethostname(cr.host, sizeof cr.host - 1);
        snprintf(cr.action, sizeof cr.action, "hunt");
        snprintf(cr.source_path, sizeof cr.source_path, "kumo hunt");
        snprintf(cr.note, sizeof cr.note,
                 "findings %llu (new %llu, updated %llu); detections %d; digest sha256:%s",
                 (unsigned long long)out->total, (unsigned long long)out->added,
                 (unsigned long long)out->updated, r->ndet, out->digest);
        rc = km_cat_custody_append(c, &cr, err);
    }
    if (rc == KM_OK)
        rc = km_cat_commit(c, err);
    else
        km_cat_rollback(c);
    return rc;
}

struct lastctx {
    char digest[65];
    int found;
};

static int last_hunt(void *vctx, const struct km_custody *r)
{
    struct lastctx *c = vctx;
    if (strcmp(r->action, "hunt") != 0)
        return 0;
    const char *d = strstr(r->note, "digest sha256:");
    if (d && strlen(d + 14) >= 64) {
        memcpy(c->digest, d + 14, 64);
        c->digest[64] = 0;
        c->found = 1;
    }
    return 0;
}

int km_hunt_verify(struct km_store *s, int *checked, struct km_err *err)
{
    struct km_catalog *c = km_store_catalog(s);
    *checked = 0;
    struct lastctx lc;
    memset(&lc, 0, sizeof lc);
    int rc = km_cat_custody_each(c, last_hunt, &lc, err);
    if (rc != KM_OK)
        return rc;
    int present = km_findings_present(c);
    if (!lc.found && !present)
        return KM_OK;
    *checked = 1;
    char d[65];
    rc = km_findings_digest(c, d, err);
    if (rc != KM_OK)
        return rc;
    if (!lc.found)
        return km_err_set(err, KM_ECORRUPT, NULL, UINT64_MAX,
                          "findings exist but no hunt is recorded in custody");
    if (strcmp(d, lc.digest) != 0)
        return km_err_set(err, KM_ECORRUPT, NULL, UINT64_MAX,
                          "findings differ from what the last hunt recorded (digest %.16s…, "
                          "custody says %.16s…)",
                          d, lc.digest);
    return KM_OK;
}
