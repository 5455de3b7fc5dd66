/*
 * travel.c — where each person was and when (travel.h): the pure core that
 * judges journeys, and the collection of located runs that impossible_travel
 * and new_location share.
 *
 * Collection, in one scan of the events that have a source address and a
 * person:
 *   - each row is classified from dictionary codes, once per code and
 *     segment: an API call, an interactive sign-in, a non-interactive one;
 *     failed credential checks are counted per (person, address) and are no
 *     observation (the person was not proven there);
 *   - rows extend the person's open run while the address (and the
 *     provider's geolocation, where recorded) stays the same and the segment
 *     does not change; otherwise a new run starts. Segments are time-sorted,
 *     but may overlap, so runs are sorted per person afterwards and the core
 *     takes the closest proven rows of two runs (km_tv_judge);
 *   - after the scan, each address is looked up once in the geo databases;
 *     a run gets the provider's geolocation recorded for that person and
 *     address (in that run or any other of theirs: the provider and the
 *     database disagreeing about one address is one place, the provider's),
 *     else the database's answer. Private, loopback, documentation and
 *     other placeless addresses stay unplaced unless the provider placed them.
 */
#include "detect/travel.h"

#include "core/conf.h"
#include "core/ip.h"
#include "core/timeparse.h"
#include "ident/ident.h"
#include "json/json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the pure core ------------------------------------------------------------ */

void km_tv_params_default(struct km_tv_params *p)
{
    p->max_kmh = 900;
    p->min_km = 500;
    p->noise_km = 50;
    p->noise_us = 10 * 60 * 1000000LL;
    p->history_us = 14 * 86400 * 1000000LL;
    p->lookback_us = 24 * 3600 * 1000000LL;
    p->maxback = 16;
}

static int64_t absdiff(int64_t a, int64_t b) { return a > b ? a - b : b - a; }

int km_tv_judge(const struct km_tv_params *p, const struct km_tv_obs *a,
                const struct km_tv_obs *b, struct km_tv_judgement *j)
{
    memset(j, 0, sizeof *j);
    j->km = j->min_km = NAN;
    if (a->ip == b->ip || !isfinite(a->lat) || !isfinite(b->lat) || !isfinite(a->lon) ||
        !isfinite(b->lon))
        return 0;
    if ((a->flags & KM_TV_ALLOWED) && (b->flags & KM_TV_ALLOWED))
        return 0;
    j->km = km_geo_distance_km(a->lat, a->lon, b->lat, b->lon);
    double r = (a->radius_km > 0 ? a->radius_km : 0) + (b->radius_km > 0 ? b->radius_km : 0);
    j->min_km = j->km > r ? j->km - r : 0;
    /* the closest rows proven: the runs' ends (a run may hide rows inside it
     * only where another segment's run overlaps it) */
    if (a->last <= b->first) {
        j->ta = a->last;
        j->tb = b->first;
    } else if (b->last <= a->first) {
        j->ta = a->first;
        j->tb = b->last;
    } else {
        int64_t ta[2] = {a->first, a->last}, tb[2] = {b->first, b->last};
        int64_t best = INT64_MAX;
        for (int x = 0; x < 2; x++)
            for (int y = 0; y < 2; y++)
                if (absdiff(ta[x], tb[y]) < best) {
                    best = absdiff(ta[x], tb[y]);
                    j->ta = ta[x];
                    j->tb = tb[y];
                }
    }
    j->gap_us = absdiff(j->tb, j->ta);
    /* an end of one run inside the other: the other has a row within half its
     * longest inner gap of it */
    int64_t bound = INT64_MAX;
    for (int k = 0; k < 2; k++) {
        int64_t t = k ? b->last : b->first;
        if (t > a->first && t < a->last && a->maxgap_us / 2 < bound)
            bound = a->maxgap_us / 2;
        t = k ? a->last : a->first;
        if (t > b->first && t < b->last && b->maxgap_us / 2 < bound)
            bound = b->maxgap_us / 2;
    }
    if (bound < j->gap_us) {
        j->gap_us = bound;
        j->within = 1;
    }
    double hours = (double)(j->gap_us > 1000000 ? j->gap_us : 1000000) / 3.6e9;
    j->kmh = j->min_km / hours;
    j->alert = j->kmh > p->max_kmh && j->min_km >= p->min_km && j->min_km > 0;
    if (!j->alert)
        return 0;
    int sev = KM_SEV_MEDIUM;
    if (b->flags & KM_TV_LOGIN)
        j->why |= KM_TV_R_LOGIN;
    if (a->new_country || b->new_country)
        j->why |= KM_TV_R_NEWCC;
    if (j->why & (KM_TV_R_LOGIN | KM_TV_R_NEWCC))
        sev = KM_SEV_HIGH;
    if (a->cloud_known || b->cloud_known) {
        j->why |= KM_TV_R_CLOUD;
        sev = sev > KM_SEV_LOW ? sev - 1 : KM_SEV_LOW;
    }
    if ((a->flags | b->flags) & KM_TV_SHARED) {
        j->why |= KM_TV_R_SHARED;
        if (sev > KM_SEV_LOW)
            sev = KM_SEV_LOW;
    }
    if (j->km < p->noise_km && j->gap_us < p->noise_us) {
        j->why |= KM_TV_R_NOISE;
        if (sev > KM_SEV_LOW)
            sev = KM_SEV_LOW;
    }
    if ((a->flags | b->flags) & KM_TV_VPN) {
        j->why |= KM_TV_R_VPN;
        sev = KM_SEV_INFO;
    }
    j->sev = sev;
    return 1;
}

static int cmp_obs(const void *x, const void *y)
{
    const struct km_tv_obs *a = x, *b = y;
    if (a->first != b->first)
        return a->first < b->first ? -1 : 1;
    if (a->last != b->last)
        return a->last < b->last ? -1 : 1;
    if (a->ip != b->ip)
        return a->ip < b->ip ? -1 : 1;
    return a->tag < b->tag ? -1 : a->tag > b->tag;
}

void km_tv_sort(struct km_tv_obs *v, size_t n)
{
    if (n > 1)
        qsort(v, n, sizeof *v, cmp_obs);
}

/* Small sets of what a person was seen from, in the walk. */
struct seen {
    uint32_t *v;
    size_t n, cap;
};

static int seen_has(const struct seen *s, uint32_t x)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i] == x)
            return 1;
    return 0;
}

static void seen_add(struct seen *s, uint32_t x)
{
    if (seen_has(s, x))
        return;
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 16;
        s->v = km_xrealloc(s->v, s->cap * sizeof *s->v);
    }
    s->v[s->n++] = x;
}

static uint32_t cc_key(const char cc[3]) { return (uint32_t)(uint8_t)cc[0] << 8 | (uint8_t)cc[1]; }

size_t km_tv_walk(const struct km_tv_params *p, struct km_tv_obs *v, size_t n,
                  int64_t person_first,
                  void (*cb)(void *ctx, const struct km_tv_obs *a, const struct km_tv_obs *b,
                             const struct km_tv_judgement *j),
                  void *ctx)
{
    struct seen ccs = {0}, asns = {0};
    size_t calls = 0;
    for (size_t k = 0; k < n; k++) {
        struct km_tv_obs *b = &v[k];
        int placed = isfinite(b->lat) && !(b->flags & KM_TV_VPN);
        int hist = b->first - person_first >= p->history_us;
        b->new_country = placed && b->cc[0] && hist && !seen_has(&ccs, cc_key(b->cc));
        b->new_asn = placed && b->asn && hist && !seen_has(&asns, b->asn);
        b->cloud_known = (b->flags & KM_TV_CLOUD) && b->asn && seen_has(&asns, b->asn);
        struct km_tv_judgement best, j;
        const struct km_tv_obs *ba = NULL;
        int back = 0;
        /* a run entirely between a candidate and b makes the candidate stale:
         * the journeys through it are judged on their own (and a journey
         * past it is possible when both legs are); overlapping runs of other
         * segments are not between, and VPN sightings place no one */
        int64_t between = INT64_MIN;
        for (size_t i = k; i-- > 0 && back < p->maxback;) {
            const struct km_tv_obs *a = &v[i];
            int stale = between > a->last;
            if (a->last < b->first && !(a->flags & KM_TV_VPN) && isfinite(a->lat) &&
                a->first > between)
                between = a->first;
            if (stale || a->last < b->first - p->lookback_us)
                continue;
            back++;
            if (!km_tv_judge(p, a, b, &j))
                continue;
            if (!ba || j.sev > best.sev || (j.sev == best.sev && j.kmh > best.kmh)) {
                best = j;
                ba = a;
            }
        }
        if (ba) {
            cb(ctx, ba, b, &best);
            calls++;
        }
        if (placed) {
            if (b->cc[0])
                seen_add(&ccs, cc_key(b->cc));
            if (b->asn)
                seen_add(&asns, b->asn);
        }
    }
    free(ccs.v);
    free(asns.v);
    return calls;
}

/* ---- small tables ----------------------------------------------------------------- */

static uint64_t hash64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static uint64_t hash_str(const char *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)p[i]) * 0x100000001b3ULL;
    return hash64(h);
}

/* Interned strings: id 0 is "none". */
struct strtab {
    char **s;
    uint32_t *len;
    uint32_t n, cap;
    uint32_t *tab;       /* open addressing over ids, 0 = empty */
    uint32_t tcap;
    struct km_arena a;
};

static void st_init(struct strtab *t)
{
    memset(t, 0, sizeof *t);
    km_arena_init(&t->a, 1 << 16, (size_t)512 << 20);
    t->n = 1;
}

static void st_free(struct strtab *t)
{
    free(t->s);
    free(t->len);
    free(t->tab);
    km_arena_free(&t->a);
}

static const char *st_get(const struct strtab *t, uint32_t id)
{
    return id && id < t->n ? t->s[id] : "";
}

static void st_rehash(struct strtab *t)
{
    uint32_t cap = t->tcap ? 2 * t->tcap : 1024;
    uint32_t *tab = km_xcalloc(cap, sizeof *tab);
    for (uint32_t id = 1; id < t->n; id++) {
        uint32_t k = (uint32_t)hash_str(t->s[id], t->len[id]) & (cap - 1);
        while (tab[k])
            k = (k + 1) & (cap - 1);
        tab[k] = id;
    }
    free(t->tab);
    t->tab = tab;
    t->tcap = cap;
}

static uint32_t st_find(const struct strtab *t, const char *p, size_t n)
{
    if (!p || !t->tcap)
        return 0;
    uint32_t k = (uint32_t)hash_str(p, n) & (t->tcap - 1);
    for (; t->tab[k]; k = (k + 1) & (t->tcap - 1)) {
        uint32_t id = t->tab[k];
        if (t->len[id] == n && memcmp(t->s[id], p, n) == 0)
            return id;
    }
    return 0;
}

static uint32_t st_intern(struct strtab *t, const char *p, size_t n)
{
    if (!p)
        return 0;
    if (2 * (t->n + 1) > t->tcap)
        st_rehash(t);
    uint32_t k = (uint32_t)hash_str(p, n) & (t->tcap - 1);
    for (; t->tab[k]; k = (k + 1) & (t->tcap - 1)) {
        uint32_t id = t->tab[k];
        if (t->len[id] == n && memcmp(t->s[id], p, n) == 0)
            return id;
    }
    char *copy = km_arena_strndup(&t->a, p, n);
    if (!copy)
        return 0; /* over the ceiling: treated as absent */
    if (t->n >= t->cap) {
        t->cap = t->cap ? 2 * t->cap : 256;
        t->s = km_xrealloc(t->s, t->cap * sizeof *t->s);
        t->len = km_xrealloc(t->len, t->cap * sizeof *t->len);
    }
    t->s[t->n] = copy;
    t->len[t->n] = (uint32_t)n;
    t->tab[k] = t->n;
    return t->n++;
}

/* (person, address) → what is known about that pair. */
struct pair {
    uint64_t key;        /* person << 32 | ip; UINT64_MAX empty */
    uint32_t place;      /* the provider's geolocation for it, 0 none */
    uint32_t nfail;      /* failed credential checks */
    int64_t ffirst, flast;
    uint8_t obs;         /* the person has observations from the address */
};

struct pairtab {
    struct pair *e;
    size_t n, cap;
};

static struct pair *pair_get(struct pairtab *t, int32_t person, uint32_t ip)
{
    if (2 * (t->n + 1) > t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 1024;
        struct pair *e = km_xmalloc(cap * sizeof *e);
        for (size_t i = 0; i < cap; i++)
            e[i].key = UINT64_MAX;
        for (size_t i = 0; i < t->cap; i++)
            if (t->e[i].key != UINT64_MAX) {
                size_t k = hash64(t->e[i].key) & (cap - 1);
                while (e[k].key != UINT64_MAX)
                    k = (k + 1) & (cap - 1);
                e[k] = t->e[i];
            }
        free(t->e);
        t->e = e;
        t->cap = cap;
    }
    uint64_t key = (uint64_t)(uint32_t)person << 32 | ip;
    size_t k = hash64(key) & (t->cap - 1);
    while (t->e[k].key != UINT64_MAX && t->e[k].key != key)
        k = (k + 1) & (t->cap - 1);
    if (t->e[k].key == UINT64_MAX) {
        memset(&t->e[k], 0, sizeof t->e[k]);
        t->e[k].key = key;
        t->n++;
    }
    return &t->e[k];
}

static const struct pair *pair_find(const struct pairtab *t, int32_t person, uint32_t ip)
{
    if (!t->cap)
        return NULL;
    uint64_t key = (uint64_t)(uint32_t)person << 32 | ip;
    size_t k = hash64(key) & (t->cap - 1);
    for (; t->e[k].key != UINT64_MAX; k = (k + 1) & (t->cap - 1))
        if (t->e[k].key == key)
            return &t->e[k];
    return NULL;
}

/* ---- the collection ---------------------------------------------------------------- */

/* Per-segment caches of dictionary codes, one per field read. */
enum { C_IP, C_SOURCE, C_CAT, C_OUT, C_ACTION, C_CC, C_CITY, C_ACCT, C__N };
static const int cfield[C__N] = {KM_F_SRC_IP,  KM_F_SOURCE,      KM_F_CATEGORY, KM_F_OUTCOME,
                                 KM_F_ACTION,  KM_F_SRC_COUNTRY, KM_F_SRC_CITY, KM_F_ACCOUNT};
#define UNSET UINT32_MAX

enum { CAT_NONE = 0, CAT_AUTH, CAT_OTHER };
enum { OUT_NONE = 0, OUT_OK, OUT_FAIL, OUT_OTHER };
enum { ACT_INTERACTIVE = 1, ACT_NONINTERACTIVE };

struct pstate {
    uint32_t run;        /* open run, UNSET none */
    uint32_t seg;        /* the segment it was opened in */
};

struct placeent {
    uint32_t cc, city;   /* ids in strs */
    double lat, lon;     /* the provider's own coordinates for it (Entra
                            geoCoordinates), NAN until read */
    uint8_t tries;       /* original records read for them */
};

struct km_tv_data {
    const struct km_tv_conf *conf;
    struct km_hunt *h;
    struct km_geo *geo;
    struct km_tv_run *runs;
    size_t nruns, capruns;
    int overflow;
    uint64_t rows;
    /* interned strings: addresses apart (one per address), the rest together */
    struct strtab ips, strs;
    struct km_geo_rec *ipgeo;    /* per address id */
    uint32_t *ippersons;
    struct placeent *places;     /* provider geolocations, id 0 unused */
    uint32_t nplaces, capplaces;
    uint64_t *placekeys;         /* cc << 32 | city → place, open addressing */
    uint32_t *placeids;
    uint32_t placecap;
    struct pairtab pairs;
    struct pstate *ps;
    int64_t *pfirst;             /* per person */
    uint32_t npersons;
    /* the segment being read */
    uint32_t seg;
    uint32_t *cmap[C__N];
    uint32_t cmapn[C__N];
};

static void seg_switch(struct km_tv_data *d, uint32_t seg)
{
    d->seg = seg;
    for (int i = 0; i < C__N; i++)
        if (d->cmap[i] && d->cmapn[i])
            memset(d->cmap[i], 0xff, d->cmapn[i] * sizeof *d->cmap[i]);
}

static int has_ci(struct km_str v, const char *w)
{
    size_t n = strlen(w);
    for (size_t i = 0; i + n <= v.n; i++) {
        size_t k = 0;
        while (k < n && (v.p[i + k] | 0x20) == (w[k] | 0x20))
            k++;
        if (k == n)
            return 1;
    }
    return 0;
}

static uint32_t conv(struct km_tv_data *d, int c, struct km_str v)
{
    if (!v.p || !v.n)
        return 0;
    switch (c) {
    case C_IP:
        if (d->ips.n >= KM_TV_MAX_ADDRS) {
            uint32_t id = st_find(&d->ips, v.p, v.n);
            if (!id)
                d->overflow = 2;
            return id;
        }
        return st_intern(&d->ips, v.p, v.n);
    case C_SOURCE:
    case C_CC:
    case C_CITY:
    case C_ACCT: return st_intern(&d->strs, v.p, v.n);
    case C_CAT: return km_str_eqc(v, "authentication") ? CAT_AUTH : CAT_OTHER;
    case C_OUT:
        return km_str_eqc(v, "success") ? OUT_OK : km_str_eqc(v, "failure") ? OUT_FAIL : OUT_OTHER;
    case C_ACTION:
        /* sign-ins that are no person at a keyboard: token refreshes, workloads */
        return has_ci(v, "NonInteractive") || has_ci(v, "ServicePrincipal") ||
                       has_ci(v, "ManagedIdentity") || has_ci(v, "WebIdentity") ||
                       has_ci(v, "GetFederationToken")
                   ? ACT_NONINTERACTIVE
                   : ACT_INTERACTIVE;
    }
    return 0;
}

/* A field's value of the row, converted, through the segment's code cache. */
static uint32_t cval(struct km_tv_data *d, const struct km_hrow *r, int c)
{
    uint32_t code = km_hrow_code(r, cfield[c]);
    if (code) {
        if (code >= d->cmapn[c]) {
            uint32_t n = d->cmapn[c] ? d->cmapn[c] : 64;
            while (n <= code)
                n *= 2;
            d->cmap[c] = km_xrealloc(d->cmap[c], n * sizeof *d->cmap[c]);
            memset(d->cmap[c] + d->cmapn[c], 0xff, (n - d->cmapn[c]) * sizeof *d->cmap[c]);
            d->cmapn[c] = n;
        }
        uint32_t v = d->cmap[c][code];
        if (v == UNSET)
            v = d->cmap[c][code] = conv(d, c, km_hrow_str(r, cfield[c]));
        return v;
    }
    return conv(d, c, km_hrow_str(r, cfield[c]));
}

static uint32_t place_id(struct km_tv_data *d, uint32_t cc, uint32_t city)
{
    uint64_t key = (uint64_t)cc << 32 | city;
    if (2 * (d->nplaces + 1) > d->placecap) {
        uint32_t cap = d->placecap ? 2 * d->placecap : 256;
        uint64_t *k = km_xmalloc(cap * sizeof *k);
        uint32_t *v = km_xmalloc(cap * sizeof *v);
        for (uint32_t i = 0; i < cap; i++)
            k[i] = UINT64_MAX;
        for (uint32_t i = 0; i < d->placecap; i++)
            if (d->placekeys[i] != UINT64_MAX) {
                uint32_t s = (uint32_t)hash64(d->placekeys[i]) & (cap - 1);
                while (k[s] != UINT64_MAX)
                    s = (s + 1) & (cap - 1);
                k[s] = d->placekeys[i];
                v[s] = d->placeids[i];
            }
        free(d->placekeys);
        free(d->placeids);
        d->placekeys = k;
        d->placeids = v;
        d->placecap = cap;
    }
    uint32_t s = (uint32_t)hash64(key) & (d->placecap - 1);
    while (d->placekeys[s] != UINT64_MAX) {
        if (d->placekeys[s] == key)
            return d->placeids[s];
        s = (s + 1) & (d->placecap - 1);
    }
    if (d->nplaces + 1 >= d->capplaces) {
        d->capplaces = d->capplaces ? 2 * d->capplaces : 64;
        d->places = km_xrealloc(d->places, d->capplaces * sizeof *d->places);
    }
    if (!d->nplaces)
        d->nplaces = 1;
    d->places[d->nplaces] = (struct placeent){cc, city, NAN, NAN, 0};
    d->placekeys[s] = key;
    d->placeids[s] = d->nplaces;
    return d->nplaces++;
}

/* A coordinate pair object {"latitude": .., "longitude": ..} in range. */
static int coords_of(const struct km_json *g, double *lat, double *lon)
{
    double la, lo;
    if (!km_json_is_obj(g) || km_json_f64(km_json_get(g, "latitude"), &la) != KM_OK ||
        km_json_f64(km_json_get(g, "longitude"), &lo) != KM_OK)
        return 0;
    if (!isfinite(la) || !isfinite(lo) || la < -90 || la > 90 || lo < -180 || lo > 180 ||
        (la == 0 && lo == 0))
        return 0;
    *lat = la;
    *lon = lo;
    return 1;
}

/* The provider's own coordinates of a place, from the original record of a
 * row that carries it (once per place; a few tries when records lack them):
 * Entra's location.geoCoordinates (diagnostic `properties.location`, Graph
 * `location`, Log Analytics `LocationDetails` as a JSON string). */
static void place_coords(struct km_tv_data *d, const struct km_hrow *r, uint32_t place)
{
    struct placeent *pl = &d->places[place];
    if (isfinite(pl->lat) || pl->tries >= 3)
        return;
    pl->tries++;
    struct km_arena a;
    km_arena_init(&a, 1 << 14, 4u << 20);
    struct km_json *root;
    struct km_err e;
    km_err_clear(&e);
    if (km_hrow_raw(r, &a, &root, &e) == KM_OK) {
        const struct km_json *pr = km_json_get(root, "properties");
        const struct km_json *loc = km_json_get(km_json_is_obj(pr) ? pr : root, "location");
        double la, lo;
        if (coords_of(km_json_get(loc, "geoCoordinates"), &la, &lo)) {
            pl->lat = la;
            pl->lon = lo;
        } else {
            const struct km_json *ld = km_json_get(root, "LocationDetails");
            struct km_json *in;
            char *copy = km_json_is_str(ld) ? km_arena_strndup(&a, ld->str, ld->len) : NULL;
            if (copy && km_json_parse(copy, ld->len, NULL, &a, &in, &e) == KM_OK &&
                coords_of(km_json_get(in, "geoCoordinates"), &la, &lo)) {
                pl->lat = la;
                pl->lon = lo;
            }
        }
    }
    km_arena_free(&a);
}

static int row_cb(void *vctx, const struct km_hrow *r)
{
    struct km_tv_data *d = vctx;
    d->rows++;
    if (r->person < 0 || (uint32_t)r->person >= d->npersons)
        return 0;
    if (r->ref.seg != d->seg)
        seg_switch(d, r->ref.seg);
    uint32_t ip = cval(d, r, C_IP);
    if (!ip)
        return d->overflow != 0; /* past KM_TV_MAX_ADDRS: stop */
    uint8_t kind = KM_TV_K_CALL;
    if (cval(d, r, C_CAT) == CAT_AUTH) {
        uint32_t out = cval(d, r, C_OUT);
        if (out == OUT_FAIL) {
            if (d->pairs.n >= KM_TV_MAX_PAIRS &&
                !pair_find(&d->pairs, r->person, ip))
                return 0; /* counted for the pairs known so far only */
            struct pair *p = pair_get(&d->pairs, r->person, ip);
            if (!p->nfail++ || r->time < p->ffirst)
                p->ffirst = r->time;
            if (r->time > p->flast)
                p->flast = r->time;
            return 0;
        }
        if (out != OUT_OK)
            return 0; /* interrupted, unknown: not proven there */
        kind = cval(d, r, C_ACTION) == ACT_NONINTERACTIVE ? KM_TV_K_TOKEN : KM_TV_K_LOGIN;
        if (kind == KM_TV_K_TOKEN && !d->conf->non_interactive)
            return 0;
    }
    uint32_t place = 0, cc = cval(d, r, C_CC);
    if (cc)
        place = place_id(d, cc, cval(d, r, C_CITY));
    struct pstate *ps = &d->ps[r->person];
    if (ps->run != UNSET && ps->seg == r->ref.seg) {
        struct km_tv_run *u = &d->runs[ps->run];
        if (u->ip == ip && (!place || !u->place || u->place == place) &&
            r->time - u->last <= KM_TV_RUN_GAP) {
            uint32_t gap = (uint32_t)((r->time - u->last) / 1000000);
            if (gap > u->maxgap_s)
                u->maxgap_s = gap;
            u->last = r->time;
            u->ref_last = r->ref;
            u->last_kind = kind;
            u->last_source = cval(d, r, C_SOURCE);
            u->rows++;
            if (!u->place)
                u->place = place;
            return 0;
        }
    }
    if (d->nruns >= KM_TV_MAX_RUNS) {
        d->overflow = 1;
        return 1;
    }
    if (d->nruns == d->capruns) {
        d->capruns = d->capruns ? 2 * d->capruns : 4096;
        d->runs = km_xrealloc(d->runs, d->capruns * sizeof *d->runs);
    }
    struct km_tv_run *u = &d->runs[d->nruns];
    memset(u, 0, sizeof *u);
    u->first = u->last = r->time;
    u->ref_first = u->ref_last = r->ref;
    u->ip = ip;
    u->place = place;
    u->person = r->person;
    u->acct = cval(d, r, C_ACCT);
    u->rows = 1;
    u->source = u->last_source = cval(d, r, C_SOURCE);
    u->kind = u->last_kind = kind;
    if (place)
        place_coords(d, r, place);
    ps->run = (uint32_t)d->nruns++;
    ps->seg = r->ref.seg;
    pair_get(&d->pairs, r->person, ip)->obs = 1;
    return 0;
}

static int cmp_run(const void *x, const void *y)
{
    const struct km_tv_run *a = x, *b = y;
    if (a->person != b->person)
        return a->person < b->person ? -1 : 1;
    if (a->first != b->first)
        return a->first < b->first ? -1 : 1;
    if (a->last != b->last)
        return a->last < b->last ? -1 : 1;
    if (a->ref_first.seg != b->ref_first.seg)
        return a->ref_first.seg < b->ref_first.seg ? -1 : 1;
    return a->ref_first.row < b->ref_first.row ? -1 : a->ref_first.row > b->ref_first.row;
}

static int asn_in(const char *const *list, size_t n, uint32_t asn)
{
    if (!asn)
        return 0;
    for (size_t i = 0; i < n; i++) {
        const char *s = list[i];
        if ((s[0] == 'A' || s[0] == 'a') && (s[1] == 'S' || s[1] == 's'))
            s += 2;
        char *end;
        unsigned long v = strtoul(s, &end, 10);
        if (end != s && v == asn)
            return 1;
    }
    return 0;
}

struct net {
    uint8_t a[16];
    int bits;
};

void km_tv_conf_read(struct km_hunt *h, struct km_tv_conf *c)
{
    const struct km_conf *cf = km_hunt_conf(h);
    memset(c, 0, sizeof *c);
    km_tv_params_default(&c->p);
    c->p.max_kmh = km_conf_num(cf, "impossible_travel.max_kmh");
    c->p.min_km = km_conf_num(cf, "impossible_travel.min_km");
    c->p.noise_km = km_conf_num(cf, "impossible_travel.noise_km");
    c->p.noise_us = km_conf_dur_us(cf, "impossible_travel.noise_window");
    c->p.lookback_us = km_conf_dur_us(cf, "impossible_travel.lookback");
    c->p.history_us = km_conf_dur_us(cf, "new_location.history");
    c->non_interactive = km_conf_bool(cf, "impossible_travel.non_interactive");
    c->provider_radius_km = km_conf_num(cf, "impossible_travel.provider_radius_km");
    if (!(c->provider_radius_km >= 0))
        c->provider_radius_km = 0;
    int64_t sp = km_conf_int(cf, "impossible_travel.shared_persons");
    c->shared_persons = sp > 0 ? (uint32_t)(sp < UINT32_MAX ? sp : UINT32_MAX) : 0;
    c->nvpn_asns = km_conf_list(cf, "impossible_travel.vpn_asns", &c->vpn_asns);
    c->ncloud_asns = km_conf_list(cf, "impossible_travel.cloud_asns", &c->cloud_asns);
}

/* The database's answer for a run's address, with the provider's place of
 * the run applied (geo.h: the provider's country wins). */
static void run_geo(const struct km_tv_data *d, const struct km_tv_run *u, struct km_geo_rec *g)
{
    *g = d->ipgeo[u->ip];
    if (u->place) {
        const struct placeent *pl = &d->places[u->place];
        const char *cc = st_get(&d->strs, pl->cc), *city = st_get(&d->strs, pl->city);
        km_geo_apply_provider(d->geo, km_str_c(cc), km_str_c(city), g);
        if (isfinite(pl->lat) && (g->country[0] || !cc[0])) {
            /* the provider's own coordinates: city-level, its uncertainty */
            g->lat = pl->lat;
            g->lon = pl->lon;
            g->radius_km = d->conf->provider_radius_km;
            g->loc_db = "provider";
        }
    }
}

int km_tv_obs_of(const struct km_tv_data *d, const struct km_tv_run *r, struct km_tv_obs *o)
{
    struct km_geo_rec g;
    run_geo(d, r, &g);
    memset(o, 0, sizeof *o);
    o->first = r->first;
    o->last = r->last;
    o->maxgap_us = (int64_t)r->maxgap_s * 1000000;
    o->ip = r->ip;
    o->asn = g.asn;
    o->lat = r->located ? g.lat : NAN;
    o->lon = r->located ? g.lon : NAN;
    o->radius_km = g.radius_km;
    memcpy(o->cc, r->cc, 3);
    o->flags = r->flags;
    return r->located;
}

/* Places every run (see the top of the file). */
static int locate(struct km_tv_data *d, struct km_err *err)
{
    uint32_t nip = d->ips.n;
    d->ipgeo = km_xcalloc(nip + 1, sizeof *d->ipgeo);
    d->ippersons = km_xcalloc(nip + 1, sizeof *d->ippersons);
    for (uint32_t i = 1; i < nip; i++) {
        if (d->geo) {
            km_geo_lookup(d->geo, d->ips.s[i], d->ips.len[i], &d->ipgeo[i]);
        } else {
            struct km_geo_rec *g = &d->ipgeo[i];
            g->city = g->as_org = g->db = g->asn_db = g->loc_db = "";
            g->lat = g->lon = NAN;
            uint8_t a[16];
            g->cls = km_ip_parse(d->ips.s[i], d->ips.len[i], a, NULL) == KM_OK
                         ? (uint8_t)km_geo_classify(a)
                         : KM_GEO_CLOUD_INTERNAL;
        }
    }
    for (size_t i = 0; i < d->pairs.cap; i++) {
        const struct pair *p = &d->pairs.e[i];
        if (p->key != UINT64_MAX && p->obs)
            d->ippersons[(uint32_t)p->key]++;
    }
    /* the provider's geolocation of a (person, address), from any run */
    for (size_t i = 0; i < d->nruns; i++)
        if (d->runs[i].place) {
            struct pair *p = pair_get(&d->pairs, d->runs[i].person, d->runs[i].ip);
            if (!p->place)
                p->place = d->runs[i].place;
        }
    /* allow.vpn_networks */
    const char *const *vn;
    size_t nvn = km_conf_list(km_hunt_conf(d->h), "allow.vpn_networks", &vn);
    struct net *nets = km_xcalloc(nvn + 1, sizeof *nets);
    for (size_t i = 0; i < nvn; i++)
        if (km_ip_cidr_parse(vn[i], strlen(vn[i]), nets[i].a, &nets[i].bits) != KM_OK) {
            free(nets);
            return km_err_set(err, KM_EUSAGE, km_conf_path(km_hunt_conf(d->h)), UINT64_MAX,
                              "allow.vpn_networks: '%s' is not an address or CIDR", vn[i]);
        }
    const struct km_tv_conf *c = d->conf;
    /* what each address is: VPN / relay, cloud, allow-listed */
    uint8_t *ipflags = km_xcalloc(nip + 1, 1);
    for (uint32_t i = 1; i < nip; i++) {
        uint8_t a[16];
        int parsed = km_ip_parse(d->ips.s[i], d->ips.len[i], a, NULL) == KM_OK;
        for (size_t k = 0; parsed && k < nvn; k++)
            if (km_ip_in_net(a, nets[k].a, nets[k].bits))
                ipflags[i] |= KM_TV_VPN;
        uint32_t asn = d->ipgeo[i].asn;
        if (asn_in(c->vpn_asns, c->nvpn_asns, asn))
            ipflags[i] |= KM_TV_VPN;
        if (asn_in(c->cloud_asns, c->ncloud_asns, asn))
            ipflags[i] |= KM_TV_CLOUD;
        if (km_hunt_allowed_ip(d->h, (struct km_str){d->ips.s[i], d->ips.len[i]}))
            ipflags[i] |= KM_TV_ALLOWED;
    }
    for (size_t i = 0; i < d->nruns; i++) {
        struct km_tv_run *u = &d->runs[i];
        if (!u->place) {
            const struct pair *p = pair_find(&d->pairs, u->person, u->ip);
            if (p)
                u->place = p->place;
        }
        struct km_geo_rec g;
        run_geo(d, u, &g);
        u->located = isfinite(g.lat) && isfinite(g.lon) && (g.cls == KM_GEO_PUBLIC || u->place);
        memcpy(u->cc, g.country, 3);
        u->flags = ipflags[u->ip];
        if (u->kind == KM_TV_K_LOGIN)
            u->flags |= KM_TV_LOGIN;
        if (c->shared_persons && d->ippersons[u->ip] >= c->shared_persons && !u->place)
            u->flags |= KM_TV_SHARED;
    }
    free(ipflags);
    free(nets);
    return KM_OK;
}

int km_tv_collect(struct km_hunt *h, const struct km_tv_conf *c, struct km_tv_data **out,
                  struct km_err *err)
{
    struct km_tv_data *d = km_xcalloc(1, sizeof *d);
    *out = d;
    d->conf = c;
    d->h = h;
    d->geo = km_hunt_geo(h);
    st_init(&d->ips);
    st_init(&d->strs);
    d->seg = UNSET;
    const struct km_idgraph *g = km_hunt_graph(h);
    if (!g)
        return KM_OK;
    size_t np = km_idgraph_npersons(g);
    d->npersons = np < INT32_MAX ? (uint32_t)np : INT32_MAX;
    d->ps = km_xmalloc((d->npersons + 1) * sizeof *d->ps);
    for (uint32_t i = 0; i <= d->npersons; i++)
        d->ps[i].run = d->ps[i].seg = UNSET;
    d->pfirst = km_xcalloc(d->npersons + 1, sizeof *d->pfirst);
    if (!d->npersons)
        return KM_OK;
    struct km_hscan sc;
    memset(&sc, 0, sizeof sc);
    sc.cond[0].field = KM_F_SRC_IP;
    sc.cond[0].present = 1;
    sc.ncond = 1;
    sc.persons = 1;
    sc.row = row_cb;
    sc.ctx = d;
    int rc = km_hunt_scan(h, &sc, err);
    if (rc != KM_OK)
        return rc;
    if (d->overflow)
        return km_err_set(err, KM_ELIMIT, NULL, UINT64_MAX,
                          d->overflow == 2
                              ? "persons used more than %u distinct addresses: narrow the hunt "
                                "with --since/--until"
                              : "more than %u sittings of persons at an address: narrow the "
                                "hunt with --since/--until",
                          d->overflow == 2 ? KM_TV_MAX_ADDRS : KM_TV_MAX_RUNS);
    for (int i = 0; i < C__N; i++) {
        free(d->cmap[i]);
        d->cmap[i] = NULL;
        d->cmapn[i] = 0;
    }
    rc = locate(d, err);
    if (rc != KM_OK)
        return rc;
    if (d->nruns > 1)
        qsort(d->runs, d->nruns, sizeof *d->runs, cmp_run);
    for (size_t i = 0; i < d->nruns; i++) {
        int32_t p = d->runs[i].person;
        if (!d->pfirst[p] || d->runs[i].first < d->pfirst[p])
            d->pfirst[p] = d->runs[i].first;
    }
    return KM_OK;
}

void km_tv_free(struct km_tv_data *d)
{
    if (!d)
        return;
    free(d->runs);
    st_free(&d->ips);
    st_free(&d->strs);
    free(d->ipgeo);
    free(d->ippersons);
    free(d->places);
    free(d->placekeys);
    free(d->placeids);
    free(d->pairs.e);
    free(d->ps);
    free(d->pfirst);
    for (int i = 0; i < C__N; i++)
        free(d->cmap[i]);
    free(d);
}

struct km_tv_run *km_tv_runs(struct km_tv_data *d, size_t *n)
{
    *n = d->nruns;
    return d->runs;
}

int64_t km_tv_person_first(const struct km_tv_data *d, int32_t person)
{
    return person >= 0 && (uint32_t)person < d->npersons ? d->pfirst[person] : 0;
}

const char *km_tv_ip(const struct km_tv_data *d, uint32_t ip) { return st_get(&d->ips, ip); }

const struct km_geo_rec *km_tv_ip_geo(const struct km_tv_data *d, uint32_t ip)
{
    return &d->ipgeo[ip < d->ips.n ? ip : 0];
}

uint32_t km_tv_ip_persons(const struct km_tv_data *d, uint32_t ip)
{
    return ip < d->ips.n ? d->ippersons[ip] : 0;
}

const char *km_tv_source(const struct km_tv_data *d, uint32_t source)
{
    return st_get(&d->strs, source);
}

const char *km_tv_account(const struct km_tv_data *d, uint32_t acct)
{
    return st_get(&d->strs, acct);
}

const char *km_tv_city(const struct km_tv_data *d, const struct km_tv_run *r)
{
    if (r->place) {
        const char *c = st_get(&d->strs, d->places[r->place].city);
        if (*c)
            return c;
        /* the provider's country differs from the database's: its city is not ours */
        if (strcmp(r->cc, d->ipgeo[r->ip].country) != 0)
            return "";
    }
    const char *c = d->ipgeo[r->ip].city;
    return c ? c : "";
}

void km_tv_place_name(const struct km_tv_data *d, const struct km_tv_run *r, char *out,
                      size_t cap)
{
    const char *city = km_tv_city(d, r);
    const char *cc = r->cc;
    if (!cc[0] && r->place)
        cc = st_get(&d->strs, d->places[r->place].cc); /* a country name as recorded */
    if (*city && *cc)
        snprintf(out, cap, "%s, %s", city, cc);
    else if (*cc) {
        const char *nm = r->cc[0] ? km_geo_country_name(d->geo, r->cc) : "";
        if (nm && *nm)
            snprintf(out, cap, "%s (%s)", nm, cc);
        else
            snprintf(out, cap, "%s", cc);
    } else
        snprintf(out, cap, "%s", city);
}

const char *km_tv_located_by(const struct km_tv_data *d, const struct km_tv_run *r)
{
    if (r->place)
        return "provider";
    const char *s = d->ipgeo[r->ip].loc_db;
    return s && *s ? s : "";
}

const char *km_tv_what(const struct km_tv_data *d, const struct km_tv_run *r, int64_t t)
{
    int first = t == r->first;
    const char *s = km_tv_source(d, first ? r->source : r->last_source);
    int kind = first ? r->kind : r->last_kind;
    int login = kind == KM_TV_K_LOGIN, token = kind == KM_TV_K_TOKEN;
    if (!strncmp(s, "aws.", 4))
        return login ? "AWS console sign-in" : token ? "AWS federation" : "AWS API call";
    if (!strcmp(s, "azure.signin"))
        return token ? "Entra non-interactive sign-in" : "Entra sign-in";
    if (!strncmp(s, "azure.", 6))
        return "Azure API call";
    if (!strncmp(s, "gcp.", 4))
        return login ? "Google sign-in" : "Google Cloud API call";
    if (!strncmp(s, "workspace", 9))
        return login ? "Google Workspace sign-in" : "Google Workspace activity";
    if (!strncmp(s, "m365", 4))
        return login ? "Microsoft 365 sign-in" : "Microsoft 365 activity";
    return login ? "sign-in" : "call";
}

uint32_t km_tv_failures(const struct km_tv_data *d, int32_t person, uint32_t ip,
                        int64_t *first, int64_t *last)
{
    const struct pair *p = pair_find(&d->pairs, person, ip);
    *first = p && p->nfail ? p->ffirst : 0;
    *last = p && p->nfail ? p->flast : 0;
    return p ? p->nfail : 0;
}

void km_tv_stats(const struct km_tv_data *d, uint64_t *rows, size_t *runs)
{
    *rows = d->rows;
    *runs = d->nruns;
}

/* ---- output helpers ------------------------------------------------------------------ */

const char *km_tv_person_email(struct km_hunt *h, int32_t person)
{
    const struct km_idgraph *g = km_hunt_graph(h);
    if (!g || person < 0 || (size_t)person >= km_idgraph_npersons(g))
        return "";
    return km_idgraph_person(g, (size_t)person)->email;
}

void km_tv_time(int64_t us, char out[32])
{
    char t[32];
    km_time_fmt(us, t); /* 2026-10-03T08:02:11.123456Z */
    snprintf(out, 32, "%.10s %.5s UTC", t, t + 11);
}

void km_tv_dur(int64_t us, char *out, size_t cap)
{
    int64_t s = us / 1000000;
    if (s < 60)
        snprintf(out, cap, "%lld s", (long long)s);
    else if (s < 3600)
        snprintf(out, cap, "%lld min", (long long)(s / 60));
    else
        snprintf(out, cap, "%lld h %02lld min", (long long)(s / 3600),
                 (long long)(s % 3600 / 60));
}

void km_tv_num(double v, char *out, size_t cap)
{
    if (!isfinite(v) || v < 0)
        v = 0;
    char raw[64];
    snprintf(raw, sizeof raw, "%.0f", v);
    size_t n = strlen(raw), o = 0;
    for (size_t i = 0; i < n && o + 2 < cap; i++) {
        if (i && (n - i) % 3 == 0)
            out[o++] = ',';
        out[o++] = raw[i];
    }
    out[o] = 0;
}

struct km_evref km_tv_ref_at(const struct km_tv_run *r, int64_t t)
{
    return t == r->first ? r->ref_first : r->ref_last;
}

static void jstr(struct km_buf *b, const char *k, const char *v)
{
    km_buf_printf(b, ",\"%s\":", k);
    if (v && *v)
        km_json_write_str(b, v, strlen(v));
    else
        km_buf_adds(b, "null");
}

void km_tv_obs_json(struct km_hunt *h, const struct km_tv_data *d, const struct km_tv_run *r,
                    int64_t t, struct km_buf *b)
{
    char ts[32], place[160], eid[96];
    km_time_fmt(t, ts);
    km_buf_printf(b, "{\"time\":\"%s\"", ts);
    jstr(b, "ip", km_tv_ip(d, r->ip));
    km_tv_place_name(d, r, place, sizeof place);
    jstr(b, "place", place);
    jstr(b, "country", r->cc);
    jstr(b, "city", km_tv_city(d, r));
    struct km_tv_obs o;
    if (km_tv_obs_of(d, r, &o))
        km_buf_printf(b, ",\"lat\":%.4f,\"lon\":%.4f,\"radius_km\":%.0f", o.lat, o.lon,
                      o.radius_km);
    jstr(b, "located_by", km_tv_located_by(d, r));
    if (o.asn)
        km_buf_printf(b, ",\"asn\":%u", o.asn);
    jstr(b, "as_org", d->ipgeo[r->ip].as_org);
    jstr(b, "source", km_tv_source(d, t == r->first ? r->source : r->last_source));
    jstr(b, "what", km_tv_what(d, r, t));
    km_hunt_event_id(h, km_tv_ref_at(r, t), eid, sizeof eid);
    jstr(b, "event_id", eid);
    km_buf_printf(b, ",\"run\":{\"first\":");
    km_time_fmt(r->first, ts);
    km_buf_printf(b, "\"%s\",\"last\":", ts);
    km_time_fmt(r->last, ts);
    km_buf_printf(b, "\"%s\",\"events\":%u}}", ts, r->rows);
}
