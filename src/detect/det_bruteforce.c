/*
 * det_bruteforce.c — brute_force: many failed credential checks against one
 * identity (docs/detections/brute_force.md).
 *
 * The failed credential checks of each identity (det_auth.h: AWS console,
 * Entra credential-failure codes, Workspace; never MFA or other interrupts,
 * never token errors; lockouts are reported, not counted) are searched with
 * two sliding windows, from any number of sources:
 *
 *   fast         >= min_failures within `window` (10 in 20 min)
 *   distributed  >= slow_min_failures within `slow_window` from at least
 *                slow_min_sources addresses (30 in 24 h from 3: a slow,
 *                spread-out guessing that stays under per-address limits)
 *
 * Overlapping qualifying windows are one episode: one finding (medium). It
 * is high when the identity then signs in (or gets its password accepted and
 * is stopped by MFA or Conditional Access) from one of the failing addresses
 * within `follow` — unless that address had already signed that identity in
 * before the failures began (the user's own office or home, where a device
 * with a stale password keeps failing).
 */
#include "detect/det_auth.h"

#include "core/conf.h"
#include "json/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct km_conf_key km_det_conf_brute_force[] = {
    {"brute_force.min_failures", KM_CONF_INT, "10",
     "failed credential checks against one identity within `window`"},
    {"brute_force.window", KM_CONF_DUR, "20m", "the fast window"},
    {"brute_force.slow_min_failures", KM_CONF_INT, "30",
     "distributed guessing: failures within `slow_window` (0: off)"},
    {"brute_force.slow_window", KM_CONF_DUR, "24h", "the distributed window"},
    {"brute_force.slow_min_sources", KM_CONF_INT, "3",
     "distributed guessing: from at least this many addresses"},
    {"brute_force.follow", KM_CONF_DUR, "1h",
     "a sign-in from a failing address up to this long after the last failure is a compromise"},
    KM_AUTH_CONF_KEYS("brute_force"),
    {NULL, 0, NULL, NULL},
};

struct cfg {
    int64_t min_fail, window, slow_min, slow_window, slow_srcs, follow;
};

/* An episode: the FAIL events v[lo, hi) of one identity. */
struct ep {
    uint32_t ident;
    size_t lo, hi;
    int fast, slow;
    int64_t first, last;
    uint32_t lockouts, nsrcs;
    uint32_t comp_src;         /* a new address signed it in (KM_AUTH_NOSRC: none) */
    uint32_t owner_src;        /* or one that had signed it in before */
    int64_t comp_t;
    uint8_t comp_kind;
    struct km_evref comp_ref;
};

/* A min-heap of (time an active failure stops counting, its index). */
struct heap {
    int64_t *t;
    uint32_t *j;
    size_t n, cap;
};

struct st {
    struct km_hunt *h;
    struct cfg c;
    struct km_auth a;
    struct km_auth_ev *v;      /* FAIL events, by identity then time */
    size_t nv;
    struct ep *ep;
    size_t nep, alloc_ep;
    uint32_t *cnt;             /* per source: failures in the slow window */
    uint32_t *stamp;           /* per source */
    uint32_t epno;
    uint8_t *gone;             /* per failure: stopped counting */
    struct heap heap;
    int resolved;              /* the sign-ins are read: failures can be reset */
};

static void push_ep(struct st *s, const struct ep *e)
{
    if (s->nep && s->ep[s->nep - 1].ident == e->ident && e->lo < s->ep[s->nep - 1].hi) {
        struct ep *p = &s->ep[s->nep - 1];   /* overlapping: one episode */
        if (e->hi > p->hi)
            p->hi = e->hi;
        if (e->lo < p->lo)
            p->lo = e->lo;
        p->fast |= e->fast;
        p->slow |= e->slow;
        return;
    }
    if (s->nep == s->alloc_ep) {
        s->alloc_ep = s->alloc_ep ? 2 * s->alloc_ep : 16;
        s->ep = km_xrealloc(s->ep, s->alloc_ep * sizeof *s->ep);
    }
    s->ep[s->nep++] = *e;
}

static void heap_push(struct heap *h, int64_t t, uint32_t j)
{
    if (h->n == h->cap) {
        h->cap = h->cap ? 2 * h->cap : 64;
        h->t = km_xrealloc(h->t, h->cap * sizeof *h->t);
        h->j = km_xrealloc(h->j, h->cap * sizeof *h->j);
    }
    size_t i = h->n++;
    while (i && h->t[(i - 1) / 2] > t) {
        h->t[i] = h->t[(i - 1) / 2];
        h->j[i] = h->j[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h->t[i] = t;
    h->j[i] = j;
}

static uint32_t heap_pop(struct heap *h)
{
    uint32_t top = h->j[0];
    int64_t t = h->t[--h->n];
    uint32_t j = h->j[h->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->n)
            break;
        if (c + 1 < h->n && h->t[c + 1] < h->t[c])
            c++;
        if (h->t[c] >= t)
            break;
        h->t[i] = h->t[c];
        h->j[i] = h->j[c];
        i = c;
    }
    h->t[i] = t;
    h->j[i] = j;
    return top;
}

/* The first sign-in of `ident` from `src` after t (ok sorted by identity,
 * source, time), or INT64_MAX; with resolved = 0 (before the sign-ins are
 * read) always INT64_MAX. */
static int64_t next_ok(const struct st *s, uint32_t ident, uint32_t src, int64_t t)
{
    const struct km_auth *a = &s->a;
    if (!s->resolved)
        return INT64_MAX;
    size_t lo = 0, hi = a->nok;
    while (lo < hi) {
        size_t m = lo + (hi - lo) / 2;
        const struct km_auth_ev *v = &a->ok[m];
        if (v->ident < ident || (v->ident == ident && (v->src < src || (v->src == src && v->t <= t))))
            lo = m + 1;
        else
            hi = m;
    }
    return lo < a->nok && a->ok[lo].ident == ident && a->ok[lo].src == src ? a->ok[lo].t
                                                                           : INT64_MAX;
}

/*
 * Qualifying windows of one identity's failures v[lo, hi) (time order). A
 * failure counts from its time until `window` later, or until the identity
 * signs in from the same address, whichever is first: a person who mistypes
 * and then gets in resets the count, as account lockout counters do, and a
 * guesser never does. At each failure, the failures counting then are a
 * window; `slow` also needs slow_min_sources distinct addresses among them.
 */
static void sweep(struct st *s, uint32_t ident, size_t lo, size_t hi, int slow)
{
    const struct km_auth_ev *v = s->v;
    int64_t w = slow ? s->c.slow_window : s->c.window;
    int64_t need = slow ? s->c.slow_min : s->c.min_fail;
    struct heap *h = &s->heap;
    h->n = 0;
    uint32_t nsrc = 0;
    size_t first = lo;   /* the earliest failure still counting */
    struct ep cur;
    int open = 0;
    for (size_t i = lo; i < hi; i++) {
        while (h->n && h->t[0] <= v[i].t) {
            uint32_t j = heap_pop(h);
            if (slow && --s->cnt[v[j].src] == 0)
                nsrc--;
            s->gone[j] = 1;
        }
        while (first < i && s->gone[first])
            first++;
        int64_t end = v[i].t + w;
        int64_t r = next_ok(s, ident, v[i].src, v[i].t);
        heap_push(h, r < end ? r : end, (uint32_t)i);
        if (slow && s->cnt[v[i].src]++ == 0)
            nsrc++;
        if ((int64_t)h->n < need || (slow && (int64_t)nsrc < s->c.slow_srcs))
            continue;
        if (open && first < cur.hi) {
            cur.hi = i + 1;
        } else {
            if (open)
                push_ep(s, &cur);
            memset(&cur, 0, sizeof cur);
            cur.ident = ident, cur.lo = first, cur.hi = i + 1;
            cur.fast = !slow, cur.slow = slow;
            open = 1;
        }
    }
    while (h->n) {
        uint32_t j = heap_pop(h);
        if (slow)
            s->cnt[v[j].src] = 0;
    }
    for (size_t i = lo; i < hi; i++)
        s->gone[i] = 0;
    if (open)
        push_ep(s, &cur);
}

static int cmp_ep(const void *x, const void *y)
{
    const struct ep *a = x, *b = y;
    if (a->lo != b->lo)
        return a->lo < b->lo ? -1 : 1;
    return (a->hi > b->hi) - (a->hi < b->hi);
}

/* Episodes of every identity (the fast and the distributed windows merged). */
static void episodes(struct st *s)
{
    s->nep = 0;
    size_t i = 0;
    while (i < s->nv) {
        uint32_t id = s->v[i].ident;
        size_t j = i;
        while (j < s->nv && s->v[j].ident == id)
            j++;
        size_t before = s->nep;
        if ((int64_t)(j - i) >= s->c.min_fail) {
            sweep(s, id, i, j, 0);
            if (s->c.slow_min > 0 && (int64_t)(j - i) >= s->c.slow_min)
                sweep(s, id, i, j, 1);
        }
        if (s->nep - before > 1) {
            qsort(s->ep + before, s->nep - before, sizeof *s->ep, cmp_ep);
            size_t k = before;
            for (size_t m = before + 1; m < s->nep; m++) {
                if (s->ep[m].lo < s->ep[k].hi) {
                    if (s->ep[m].hi > s->ep[k].hi)
                        s->ep[k].hi = s->ep[m].hi;
                    s->ep[k].fast |= s->ep[m].fast;
                    s->ep[k].slow |= s->ep[m].slow;
                } else {
                    s->ep[++k] = s->ep[m];
                }
            }
            s->nep = k + 1;
        }
        i = j;
    }
}

/* Sources, lockouts and what followed an episode: the first sign-in of the
 * identity from a failing address within `follow`. An address that had
 * signed the identity in before the failures began is its owner's (office,
 * home): that sign-in is recorded, but it is no compromise. */
static void judge(struct st *s, struct ep *e, const struct km_auth_ev *lock, size_t nlock)
{
    const struct km_auth *a = &s->a;
    e->first = s->v[e->lo].t;
    e->last = s->v[e->hi - 1].t;
    ++s->epno;
    for (size_t i = e->lo; i < e->hi; i++)
        if (s->stamp[s->v[i].src] != s->epno) {
            s->stamp[s->v[i].src] = s->epno;
            e->nsrcs++;
        }
    for (size_t i = 0; i < nlock; i++)
        if (lock[i].ident == e->ident && lock[i].t >= e->first &&
            lock[i].t <= e->last + s->c.window)
            e->lockouts++;
    e->comp_src = e->owner_src = KM_AUTH_NOSRC;
    size_t lo = 0, hi = a->nok;
    while (lo < hi) {
        size_t m = lo + (hi - lo) / 2;
        if (a->ok[m].ident < e->ident)
            lo = m + 1;
        else
            hi = m;
    }
    int64_t best = INT64_MAX;
    for (size_t i = lo; i < a->nok && a->ok[i].ident == e->ident; i++) {
        const struct km_auth_ev *o = &a->ok[i];
        if (s->stamp[o->src] != s->epno || o->t < e->first || o->t > e->last + s->c.follow ||
            o->t >= best)
            continue;
        /* known address: a sign-in of this identity from it before the episode */
        int known = i > lo && a->ok[i - 1].src == o->src && a->ok[i - 1].t < e->first;
        for (size_t k = i; !known && k > lo && a->ok[k - 1].src == o->src; k--)
            known = a->ok[k - 1].t < e->first;
        best = o->t;
        e->comp_t = o->t;
        e->comp_kind = o->kind;
        e->comp_ref = o->ref;
        if (known) {
            e->owner_src = o->src;
            e->comp_src = KM_AUTH_NOSRC;
        } else {
            e->comp_src = o->src;
            e->owner_src = KM_AUTH_NOSRC;
        }
    }
}

static void emit(struct st *s, struct ep *e)
{
    struct km_auth *a = &s->a;
    struct km_finding f;
    km_finding_init(&f);
    f.detection = "brute_force";
    f.technique = "T1110.001";
    f.severity = e->comp_src != KM_AUTH_NOSRC ? KM_SEV_HIGH : KM_SEV_MEDIUM;
    f.first = e->first;
    f.last = e->last;
    const struct km_auth_ident *d = &a->idents[e->ident];
    const char *who = km_auth_ident_name(a, e->ident);
    const char *acct = km_auth_str(a, d->account);
    char t0[32], t1[32];
    km_auth_time(e->first, t0);
    km_auth_time(e->last, t1);
    snprintf(f.key, sizeof f.key, "%s|%s|%s|%s", km_auth_provider_names[d->provider], acct, who,
             t0);

    /* evidence: the compromise, then the failures (from each address first) */
    uint32_t budget = KM_FINDING_MAX_EV;
    if (e->comp_src != KM_AUTH_NOSRC || e->owner_src != KM_AUTH_NOSRC) {
        km_hunt_add_event_ref(s->h, &f, e->comp_ref);
        budget--;
    }
    km_auth_add_ident(a, &f, e->ident, 0);   /* its failures give the person */
    ++s->epno;
    for (size_t i = e->lo; i < e->hi; i++) {
        uint32_t src = s->v[i].src;
        km_auth_add_src(a, &f, src);
        if (s->stamp[src] == s->epno || !budget)
            continue;
        s->stamp[src] = s->epno;
        km_hunt_add_event_ref(s->h, &f, s->v[i].ref);
        budget--;
    }
    for (size_t i = e->lo; i < e->hi && budget; i++, budget--)
        km_hunt_add_event_ref(s->h, &f, s->v[i].ref);

    char lock[48] = "", comp[256] = "", from[96];
    if (e->lockouts)
        snprintf(lock, sizeof lock, " (%u lockout%s)", e->lockouts, e->lockouts > 1 ? "s" : "");
    if (e->nsrcs == 1)
        snprintf(from, sizeof from, "from %s", km_auth_src_name(a, s->v[e->lo].src)[0]
                                                    ? km_auth_src_name(a, s->v[e->lo].src)
                                                    : "an unknown address");
    else
        snprintf(from, sizeof from, "from %u addresses", e->nsrcs);
    if (e->comp_src != KM_AUTH_NOSRC || e->owner_src != KM_AUTH_NOSRC) {
        char tc[32];
        km_auth_time(e->comp_t, tc);
        int own = e->comp_src == KM_AUTH_NOSRC;
        snprintf(comp, sizeof comp, "; then %s from %s at %s%s",
                 e->comp_kind == KM_AUTH_SUCCESS ? "signed in" : "had the password accepted",
                 km_auth_src_name(a, own ? e->owner_src : e->comp_src), tc,
                 own ? ", an address that had signed it in before (likely its owner)" : "");
    }
    static const char *const plabel[] = {"AWS console", "Entra ID", "Google Workspace",
                                         "Microsoft 365"};
    snprintf(f.summary, sizeof f.summary,
             "Brute force against %s (%s%s%s): %zu failed sign-ins %s between %s and %s%s%s%s.",
             who, plabel[d->provider], acct[0] ? " " : "", acct, e->hi - e->lo, from, t0, t1,
             lock, e->slow && !e->fast ? ", spread over addresses" : "",
             comp[0] ? comp : "; no sign-in from those addresses succeeded afterwards");

    struct km_buf b;
    km_buf_init(&b, 1u << 20);
    km_buf_adds(&b, "{\"identity\":");
    km_json_write_str(&b, who, strlen(who));
    km_buf_printf(&b, ",\"failures\":%zu,\"sources\":%u,\"lockouts\":%u,\"windows\":[%s%s%s]",
                  e->hi - e->lo, e->nsrcs, e->lockouts, e->fast ? "\"fast\"" : "",
                  e->fast && e->slow ? "," : "", e->slow ? "\"distributed\"" : "");
    if (e->comp_src != KM_AUTH_NOSRC || e->owner_src != KM_AUTH_NOSRC) {
        char tc[32];
        km_auth_time(e->comp_t, tc);
        int own = e->comp_src == KM_AUTH_NOSRC;
        const char *cs = km_auth_src_name(a, own ? e->owner_src : e->comp_src);
        km_buf_adds(&b, own ? ",\"signed_in_after\":{\"known_source\":true,\"source\":"
                            : ",\"compromise\":{\"source\":");
        km_json_write_str(&b, cs, strlen(cs));
        km_buf_printf(&b, ",\"time\":\"%s\",\"how\":\"%s\"}", tc,
                      e->comp_kind == KM_AUTH_SUCCESS ? "signed_in" : "password_accepted");
    }
    km_buf_printf(&b, ",\"thresholds\":{\"min_failures\":%lld,\"window_s\":%lld,"
                      "\"slow_min_failures\":%lld,\"slow_window_s\":%lld,\"slow_min_sources\":%lld}}",
                  (long long)s->c.min_fail, (long long)(s->c.window / 1000000),
                  (long long)s->c.slow_min, (long long)(s->c.slow_window / 1000000),
                  (long long)s->c.slow_srcs);
    if (!b.oom) {
        f.details = km_xmalloc(b.n + 1);
        memcpy(f.details, b.p, b.n);
        f.details[b.n] = 0;
    }
    km_buf_free(&b);
    km_hunt_emit(s->h, &f);
}

static int cmp_ok(const void *x, const void *y)
{
    const struct km_auth_ev *a = x, *b = y;
    if (a->ident != b->ident)
        return a->ident < b->ident ? -1 : 1;
    if (a->src != b->src)
        return a->src < b->src ? -1 : 1;
    return (a->t > b->t) - (a->t < b->t);
}

static int run(struct km_hunt *h, struct km_err *err)
{
    const struct km_conf *c = km_hunt_conf(h);
    struct st s;
    memset(&s, 0, sizeof s);
    s.h = h;
    s.c.min_fail = km_conf_int(c, "brute_force.min_failures");
    if (s.c.min_fail < 1)
        s.c.min_fail = 1;
    s.c.window = km_conf_dur_us(c, "brute_force.window");
    s.c.slow_min = km_conf_int(c, "brute_force.slow_min_failures");
    s.c.slow_window = km_conf_dur_us(c, "brute_force.slow_window");
    s.c.slow_srcs = km_conf_int(c, "brute_force.slow_min_sources");
    s.c.follow = km_conf_dur_us(c, "brute_force.follow");

    km_auth_init(&s.a, h, "brute_force", 0);
    int rc = km_auth_failures(&s.a, err);
    struct km_auth_ev *lock = NULL;
    size_t nlock = 0;
    if (rc == KM_OK) {
        /* FAIL events of named identities, by identity; lockouts apart */
        km_auth_sort_by_ident(s.a.fail, s.a.nfail);
        s.v = km_xmalloc((s.a.nfail + 1) * sizeof *s.v);
        lock = km_xmalloc((s.a.nfail + 1) * sizeof *lock);
        for (size_t i = 0; i < s.a.nfail; i++) {
            const struct km_auth_ev *e = &s.a.fail[i];
            if (e->ident == KM_AUTH_HIDDEN)
                continue;
            if (e->kind == KM_AUTH_FAIL)
                s.v[s.nv++] = *e;
            else
                lock[nlock++] = *e;
        }
        s.cnt = km_xcalloc(s.a.nsrcs + 1, sizeof *s.cnt);
        s.gone = km_xcalloc(s.nv + 1, 1);
        /* candidates, counting every failure; then the sign-ins from their
           addresses, which reset the counts */
        episodes(&s);
        uint8_t *want = km_xcalloc(s.a.nsrcs + 1, 1);
        uint8_t *want_id = km_xcalloc(s.a.nidents + 1, 1);
        for (size_t i = 0; i < s.nep; i++) {
            want_id[s.ep[i].ident] = 1;
            for (size_t k = s.ep[i].lo; k < s.ep[i].hi; k++)
                want[s.v[k].src] = 1;
        }
        want[KM_AUTH_NOSRC] = 0;
        rc = s.nep ? km_auth_successes(&s.a, want, want_id, err) : KM_OK;
        free(want);
        free(want_id);
    }
    if (rc == KM_OK && s.nep) {
        if (s.a.nok > 1)
            qsort(s.a.ok, s.a.nok, sizeof *s.a.ok, cmp_ok);
        s.resolved = 1;
        episodes(&s);
        s.stamp = km_xcalloc(s.a.nsrcs + 1, sizeof *s.stamp);
        for (size_t i = 0; i < s.nep; i++) {
            judge(&s, &s.ep[i], lock, nlock);
            emit(&s, &s.ep[i]);
        }
    }
    free(lock);
    free(s.v);
    free(s.ep);
    free(s.cnt);
    free(s.gone);
    free(s.stamp);
    free(s.heap.t);
    free(s.heap.j);
    km_auth_free(&s.a);
    return rc;
}

const struct km_detection km_det_brute_force = {
    .id = "brute_force",
    .title = "Brute force",
    .technique = "T1110.001",
    .summary = "many failed sign-ins against one identity, from any number of addresses (AWS "
               "console, Entra ID, Workspace); a sign-in from a failing address afterwards "
               "raises it",
    .providers = "aws,azure,workspace",
    .conf = km_det_conf_brute_force,
    .run = run,
};
