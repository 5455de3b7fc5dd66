/*
 * det_spray.c — password_spray: one source failing credential checks against
 * many identities, a few tries each (docs/detections/password_spray.md).
 *
 * Per source (the caller address, or its ASN with group_by = asn), failed
 * credential checks (det_auth.h: AWS ConsoleLogin, Entra credential-failure
 * codes, Workspace loginFailure; never MFA or other interrupts, never token
 * errors) are cut into episodes at pauses longer than `gap`. An episode is a
 * spray when
 *
 *   targets  >= min_identities        distinct identities that failed
 *   median tries per target <= max_median_tries
 *   targets  >  identities that signed in from the same source between
 *               first - gap and last + follow (failures dominate: an office
 *               NAT where a few people mistype stays quiet, because far more
 *               people sign in from it)
 *
 * Severity: medium; high when an identity then signs in from the source (or
 * gets its password accepted and is stopped by MFA or Conditional Access)
 * within `follow` of the last failure — the compromised identity, named in
 * the summary; critical when that identity then acts (anything not a sign-in)
 * from the same source within `activity_window`.
 *
 * Distributed variant (tenant_min_identities > 0): per tenant/account, the
 * *unresolved* failures — those not followed by a sign-in of the same
 * identity from the same address within `resolve` — of many identities from
 * many addresses within `tenant_window`: a spray spread over rotating
 * proxies, each address trying one or two users. People who mistype a
 * password sign in right after; the targets of a spray do not.
 *
 * Cost: one pruned scan of failed sign-ins, one of successful sign-ins from
 * the few candidate sources (pruned on the src.ip dictionary), one of the
 * compromised sources' other events. Memory: 32 bytes per failed sign-in.
 */
#include "detect/det_auth.h"

#include "core/conf.h"
#include "ident/ident.h"
#include "json/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const struct km_conf_key km_det_conf_password_spray[] = {
    {"password_spray.min_identities", KM_CONF_INT, "10",
     "distinct identities failing from one source in one episode"},
    {"password_spray.max_median_tries", KM_CONF_NUM, "3",
     "median failed tries per identity at most this (a spray tries each user a few times)"},
    {"password_spray.gap", KM_CONF_DUR, "30m",
     "a pause longer than this between failures from a source ends an episode"},
    {"password_spray.follow", KM_CONF_DUR, "1h",
     "a sign-in from the source up to this long after the last failure is a compromise"},
    {"password_spray.activity_window", KM_CONF_DUR, "24h",
     "the compromised identity acting from the source within this after signing in: critical"},
    {"password_spray.group_by", KM_CONF_STR, "ip",
     "ip, or asn (group addresses by AS number where the geo database knows it)"},
    {"password_spray.tenant_min_identities", KM_CONF_INT, "0",
     "distributed spray: identities with unresolved failures in one tenant (0: off; e.g. 15)"},
    {"password_spray.tenant_min_sources", KM_CONF_INT, "5",
     "distributed spray: from at least this many addresses"},
    {"password_spray.tenant_window", KM_CONF_DUR, "1h", "distributed spray: within this"},
    {"password_spray.resolve", KM_CONF_DUR, "30m",
     "a failure followed by a sign-in of the same identity from the same address within "
     "this is a mistyped password, not a spray"},
    KM_AUTH_CONF_KEYS("password_spray"),
    {NULL, 0, NULL, NULL},
};

struct cfg {
    int64_t min_ids;
    double max_median;
    int64_t gap, follow, activity;
    int by_asn, escalate;
    int64_t t_min_ids, t_min_srcs, t_window, resolve;
};

struct sel;

/* One episode of failures from one source: fail[lo, hi). */
struct ep {
    uint32_t src;
    size_t lo, hi;
    int64_t first, last;
    uint32_t targets, tries, lockouts, hidden;
    double median;
    unsigned provs;            /* bit per provider */
    /* after scan 2 */
    uint32_t signed_in;        /* identities that signed in from the source */
    uint32_t ncomp;
    uint32_t comp[8];          /* compromised identities (first 8) */
    int64_t comp_t[8];
    uint8_t comp_kind[8];
    uint32_t ncomp_all;
    size_t ok_lo, ok_hi;       /* ok[] of this source in the window */
    /* after scan 3 */
    uint32_t acted;            /* events of a compromised identity from the source */
    int64_t act_t;             /* the earliest of them */
    struct km_evref act_first;
    char act_what[96];
};

/* A distributed episode: unresolved failures u[lo, hi) of one tenant. */
struct tep {
    uint32_t tenant;
    size_t lo, hi;
    int64_t first, last;
    uint32_t targets, nsrcs, tries;
    double median;
    int comp;                  /* a target then signed in from one of the sources */
    uint32_t comp_ident, comp_src;
    int64_t comp_t;
    uint8_t comp_kind;
    struct km_evref comp_ref;
};

struct st {
    struct km_hunt *h;
    struct cfg c;
    struct km_auth a;
    struct ep *ep;
    size_t nep, alloc_ep;
    uint32_t *stamp, *cnt;     /* per identity */
    uint32_t nstamp;
    uint32_t epno;
    /* the distributed variant */
    struct km_auth_ev *u;      /* failures by tenant, time */
    size_t nu;
    struct km_auth_ev *res;    /* sign-ins by identity, source, time */
    struct tep *tep;
    size_t ntep, alloc_tep;
    uint32_t *icnt, *scnt;     /* per identity, per source */
    /* scan 3 */
    uint8_t *comp_src;         /* per source: a compromise came from it */
    struct sel *sel;
    uint32_t nsel;
    struct km_err *err;
};

static const char *prov_label(int p)
{
    static const char *const l[] = {"AWS console", "Entra ID", "Google Workspace", "Microsoft 365"};
    return p >= 0 && p < 4 ? l[p] : "?";
}

static int cmp_u32(const void *x, const void *y)
{
    uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
    return a < b ? -1 : a > b;
}

/* Makes per-identity scratch arrays cover n identities (zeroed when grown). */
static void scratch(struct st *s, uint32_t n)
{
    if (n <= s->nstamp)
        return;
    s->stamp = km_xrealloc(s->stamp, n * sizeof *s->stamp);
    s->cnt = km_xrealloc(s->cnt, n * sizeof *s->cnt);
    memset(s->stamp + s->nstamp, 0, (n - s->nstamp) * sizeof *s->stamp);
    memset(s->cnt + s->nstamp, 0, (n - s->nstamp) * sizeof *s->cnt);
    s->nstamp = n;
}

/* Statistics of fail[lo, hi): targets, tries, lockouts, median tries. */
static void ep_stats(struct st *s, struct ep *e, uint32_t **tries_buf, size_t *tries_cap)
{
    struct km_auth *a = &s->a;
    size_t n = e->hi - e->lo;
    if (*tries_cap < n) {
        *tries_cap = n;
        *tries_buf = km_xrealloc(*tries_buf, n * sizeof **tries_buf);
    }
    uint32_t *tv = *tries_buf;
    uint32_t ntv = 0;
    ++s->epno;
    for (size_t i = e->lo; i < e->hi; i++) {
        const struct km_auth_ev *v = &a->fail[i];
        if (v->ident < a->nidents)
            e->provs |= 1u << a->idents[v->ident].provider;
        else
            e->provs |= 1u;   /* hidden: AWS */
        if (v->kind == KM_AUTH_LOCKOUT) {
            e->lockouts++;
            continue;
        }
        e->tries++;
        if (v->ident == KM_AUTH_HIDDEN) {
            e->hidden++;
            e->targets++;
            tv[ntv++] = 1;
            continue;
        }
        if (s->stamp[v->ident] != s->epno) {
            s->stamp[v->ident] = s->epno;
            s->cnt[v->ident] = 0;
            e->targets++;
        }
        s->cnt[v->ident]++;
    }
    /* the tries of each target, once each */
    ++s->epno;
    for (size_t i = e->lo; i < e->hi; i++) {
        const struct km_auth_ev *v = &a->fail[i];
        if (v->kind != KM_AUTH_FAIL || v->ident == KM_AUTH_HIDDEN || s->stamp[v->ident] == s->epno)
            continue;
        s->stamp[v->ident] = s->epno;
        tv[ntv++] = s->cnt[v->ident];
    }
    if (ntv) {
        qsort(tv, ntv, sizeof *tv, cmp_u32);
        e->median = (tv[(ntv - 1) / 2] + tv[ntv / 2]) / 2.0;
    }
}

static void push_ep(struct st *s, const struct ep *e)
{
    if (s->nep == s->alloc_ep) {
        s->alloc_ep = s->alloc_ep ? 2 * s->alloc_ep : 16;
        s->ep = km_xrealloc(s->ep, s->alloc_ep * sizeof *s->ep);
    }
    s->ep[s->nep++] = *e;
}

/* Cuts the failures of each source into episodes and keeps the sprays. */
static void episodes(struct st *s)
{
    struct km_auth *a = &s->a;
    uint32_t *tv = NULL;
    size_t tcap = 0;
    size_t i = 0;
    while (i < a->nfail) {
        uint32_t src = a->fail[i].src;
        size_t j = i;
        while (j < a->nfail && a->fail[j].src == src)
            j++;
        if (src != KM_AUTH_NOSRC) {
            size_t lo = i;
            for (size_t k = i + 1; k <= j; k++) {
                if (k < j && a->fail[k].t - a->fail[k - 1].t <= s->c.gap)
                    continue;
                if ((int64_t)(k - lo) >= s->c.min_ids) {
                    struct ep e;
                    memset(&e, 0, sizeof e);
                    e.src = src;
                    e.lo = lo;
                    e.hi = k;
                    e.first = a->fail[lo].t;
                    e.last = a->fail[k - 1].t;
                    ep_stats(s, &e, &tv, &tcap);
                    if ((int64_t)e.targets >= s->c.min_ids && e.median <= s->c.max_median)
                        push_ep(s, &e);
                }
                lo = k;
            }
        }
        i = j;
    }
    free(tv);
}

/* The first ok[] index of source src at or after time t (ok sorted by src, t). */
static size_t ok_lower(const struct km_auth *a, uint32_t src, int64_t t)
{
    size_t lo = 0, hi = a->nok;
    while (lo < hi) {
        size_t m = lo + (hi - lo) / 2;
        const struct km_auth_ev *v = &a->ok[m];
        if (v->src < src || (v->src == src && v->t < t))
            lo = m + 1;
        else
            hi = m;
    }
    return lo;
}

/* Sign-ins from the episode's source around it: the guard and the compromise. */
static void judge(struct st *s, struct ep *e)
{
    struct km_auth *a = &s->a;
    scratch(s, a->nidents);
    e->ok_lo = ok_lower(a, e->src, e->first - s->c.gap);
    e->ok_hi = ok_lower(a, e->src, e->last + s->c.follow + 1);
    ++s->epno;
    for (size_t i = e->ok_lo; i < e->ok_hi; i++) {
        const struct km_auth_ev *v = &a->ok[i];
        if (s->stamp[v->ident] == s->epno)
            continue;
        s->stamp[v->ident] = s->epno;
        e->signed_in++;
    }
    ++s->epno;
    for (size_t i = e->ok_lo; i < e->ok_hi; i++) {
        const struct km_auth_ev *v = &a->ok[i];
        if (v->t < e->first || s->stamp[v->ident] == s->epno)
            continue;
        s->stamp[v->ident] = s->epno;
        if (e->ncomp < 8) {
            e->comp[e->ncomp] = v->ident;
            e->comp_t[e->ncomp] = v->t;
            e->comp_kind[e->ncomp] = v->kind;
            e->ncomp++;
        }
        e->ncomp_all++;
    }
}

/* ---- scan 3: what the compromised identities did next -------------------------- */

static int not_auth(void *ctx, const char *v, size_t n)
{
    (void)ctx;
    return !(n == 14 && memcmp(v, "authentication", 14) == 0);
}

static int src_pred(void *ctx, const char *v, size_t n)
{
    struct st *s = ctx;
    uint32_t id = km_auth_src_lookup(&s->a, v, n);
    return id != UINT32_MAX && s->comp_src[id];
}

/* What identifies a compromised identity in other logs: its own name, and
 * the identity graph's selectors of its person (her IAM user's ARN, ...). */
struct sel {
    uint32_t ep, k;
    int field;
    char value[192];
};
#define MAX_SEL 256

static void add_sel(struct st *s, uint32_t ep, uint32_t k, int field, const char *v)
{
    if (s->nsel >= MAX_SEL || strlen(v) >= sizeof s->sel[0].value)
        return;
    struct sel *x = &s->sel[s->nsel++];
    x->ep = ep;
    x->k = k;
    x->field = field;
    snprintf(x->value, sizeof x->value, "%s", v);
}

struct selctx {
    struct st *s;
    uint32_t ep, k;
};

static void sel_cb(void *ctx, int field, const char *value)
{
    struct selctx *c = ctx;
    if (field >= 0 && field < KM_F__COUNT)
        add_sel(c->s, c->ep, c->k, field, value);
}

static void selectors(struct st *s)
{
    const struct km_idgraph *g = km_hunt_graph(s->h);
    for (size_t i = 0; i < s->nep; i++)
        for (uint32_t k = 0; k < s->ep[i].ncomp; k++) {
            uint32_t id = s->ep[i].comp[k];
            const char *name = km_auth_ident_name(&s->a, id);
            add_sel(s, (uint32_t)i, k, KM_F_ACTOR_EMAIL, name);
            add_sel(s, (uint32_t)i, k, KM_F_ACTOR_NAME, name);
            int p = km_auth_ident_person_index(&s->a, id);
            if (p >= 0 && g) {
                struct selctx c = {s, (uint32_t)i, k};
                km_idgraph_person_selectors(g, p, sel_cb, &c);
            }
        }
}

static int act_row(void *ctx, const struct km_hrow *r)
{
    struct st *s = ctx;
    struct km_str ip = km_hrow_str(r, KM_F_SRC_IP);
    uint32_t src = ip.p ? km_auth_src_lookup(&s->a, ip.p, ip.n) : UINT32_MAX;
    struct km_str fv[KM_F__COUNT];
    uint8_t have[KM_F__COUNT] = {0};
    for (uint32_t i = 0; i < s->nsel; i++) {
        const struct sel *x = &s->sel[i];
        struct ep *e = &s->ep[x->ep];
        if (r->time <= e->comp_t[x->k] || r->time > e->comp_t[x->k] + s->c.activity)
            continue;
        if (src != e->src)
            continue;
        if (!have[x->field]) {
            fv[x->field] = km_hrow_str(r, x->field);
            have[x->field] = 1;
        }
        struct km_str v = fv[x->field];
        size_t vl = strlen(x->value);
        if (!v.p || v.n != vl || strncasecmp(v.p, x->value, vl) != 0)
            continue;
        if (!e->acted || r->time < e->act_t) {
            e->act_t = r->time;
            e->act_first = r->ref;
            struct km_str act = km_hrow_str(r, KM_F_ACTION);
            size_t n = act.p ? (act.n < sizeof e->act_what - 1 ? act.n : sizeof e->act_what - 1) : 0;
            if (n)
                memcpy(e->act_what, act.p, n);
            e->act_what[n] = 0;
        }
        e->acted++;
        break;
    }
    return 0;
}

static int activity(struct st *s, struct km_err *err)
{
    int any = 0;
    for (size_t i = 0; i < s->nep && !any; i++)
        any = s->ep[i].ncomp > 0 && !s->c.by_asn;
    if (!any)
        return KM_OK;
    s->sel = km_xcalloc(MAX_SEL, sizeof *s->sel);
    s->comp_src = km_xcalloc(s->a.nsrcs + 1, 1);
    for (size_t i = 0; i < s->nep; i++)
        if (s->ep[i].ncomp)
            s->comp_src[s->ep[i].src] = 1;
    selectors(s);
    struct km_hscan sc;
    memset(&sc, 0, sizeof sc);
    sc.cond[0] = (struct km_hscan_cond){.field = KM_F_SRC_IP, .pred = src_pred, .pctx = s};
    sc.cond[1] = (struct km_hscan_cond){.field = KM_F_CATEGORY, .pred = not_auth};
    sc.ncond = 2;
    sc.row = act_row;
    sc.ctx = s;
    return km_hunt_scan(s->h, &sc, err);
}

/* ---- findings ------------------------------------------------------------------- */

/* Adds an event as evidence with what it says (identities, person, account,
 * address, country); one whose user name AWS hid adds only itself. */
static void add_ev(struct st *s, struct km_finding *f, struct km_evref ref, int hidden,
                   uint32_t *budget)
{
    if (!*budget)
        return;
    if (hidden)
        km_hunt_add_evidence(s->h, f, ref);
    else
        km_hunt_add_event_ref(s->h, f, ref);
    (*budget)--;
}

/* "Entra ID identities", "identities (AWS console, Entra ID; 4 of them user
 * names AWS hid)" */
static void provs_text(unsigned provs, uint32_t hidden, char *out, size_t cap)
{
    int n = 0;
    for (int p = 0; p < 4; p++)
        n += (provs >> p) & 1;
    char hid[64] = "";
    if (hidden)
        snprintf(hid, sizeof hid, "%u of them user names AWS hid", hidden);
    if (n == 1) {
        for (int p = 0; p < 4; p++)
            if (provs & (1u << p))
                snprintf(out, cap, "%s identities%s%s%s", prov_label(p), hid[0] ? " (" : "", hid,
                         hid[0] ? ")" : "");
        return;
    }
    snprintf(out, cap, "identities (");
    int k = 0;
    for (int p = 0; p < 4; p++)
        if (provs & (1u << p)) {
            size_t l = strlen(out);
            snprintf(out + l, cap - l, "%s%s", k++ ? ", " : "", prov_label(p));
        }
    size_t l = strlen(out);
    snprintf(out + l, cap - l, "%s%s)", hid[0] ? "; " : "", hid);
}

static void emit(struct st *s, struct ep *e)
{
    struct km_auth *a = &s->a;
    struct km_finding f;
    km_finding_init(&f);
    f.detection = "password_spray";
    f.technique = "T1110.003";
    f.severity = e->ncomp ? (e->acted ? KM_SEV_CRITICAL : KM_SEV_HIGH) : KM_SEV_MEDIUM;
    f.first = e->first;
    f.last = e->last;
    const char *src = km_auth_src_name(a, e->src);
    char t0[32], t1[32];
    km_auth_time(e->first, t0);
    km_auth_time(e->last, t1);
    snprintf(f.key, sizeof f.key, "%s|%s", src, t0);

    /* evidence: the compromise first, then what it did, lockouts, one failure
       per target, then the other failures */
    uint32_t budget = KM_FINDING_MAX_EV;
    for (uint32_t k = 0; k < e->ncomp; k++) {
        for (size_t i = e->ok_lo; i < e->ok_hi; i++)
            if (a->ok[i].ident == e->comp[k] && a->ok[i].t >= e->first)
                add_ev(s, &f, a->ok[i].ref, 0, &budget);
        km_auth_add_ident(a, &f, e->comp[k], 0);
    }
    if (e->acted)
        add_ev(s, &f, e->act_first, 0, &budget);
    for (size_t i = e->lo; i < e->hi; i++)
        if (a->fail[i].kind == KM_AUTH_LOCKOUT && budget > 100)
            add_ev(s, &f, a->fail[i].ref, a->fail[i].ident == KM_AUTH_HIDDEN, &budget);
    scratch(s, a->nidents);
    ++s->epno;
    for (size_t i = e->lo; i < e->hi; i++) {
        const struct km_auth_ev *v = &a->fail[i];
        if (v->kind != KM_AUTH_FAIL)
            continue;
        if (v->ident != KM_AUTH_HIDDEN) {
            if (s->stamp[v->ident] == s->epno)
                continue;
            s->stamp[v->ident] = s->epno;
            km_auth_add_ident(a, &f, v->ident, budget == 0);
        }
        add_ev(s, &f, v->ref, v->ident == KM_AUTH_HIDDEN, &budget);
    }
    for (size_t i = e->lo; i < e->hi && budget; i++)
        if (a->fail[i].kind == KM_AUTH_FAIL)
            add_ev(s, &f, a->fail[i].ref, a->fail[i].ident == KM_AUTH_HIDDEN, &budget);
    km_auth_add_src(a, &f, e->src);
    for (uint32_t i = 0; i < f.nev; i++)
        if (f.ev[i].ip[0])
            km_strset_addc(&f.ent[KM_ENT_IPS], f.ev[i].ip);

    /* summary */
    char where[160], lock[48] = "", comp[320] = "";
    provs_text(e->provs, e->hidden, where, sizeof where);
    const char *cc = e->src < a->nsrcs ? a->srcs[e->src].country : "";
    if (e->lockouts)
        snprintf(lock, sizeof lock, " (%u lockout%s)", e->lockouts, e->lockouts > 1 ? "s" : "");
    if (e->ncomp) {
        char tc[32];
        km_auth_time(e->comp_t[0], tc);
        const char *who = km_auth_ident_name(a, e->comp[0]);
        char more[32] = "";
        if (e->ncomp_all > 1)
            snprintf(more, sizeof more, " and %u more", e->ncomp_all - 1);
        snprintf(comp, sizeof comp, "; then %s as %s%s at %s%s%s%s",
                 e->comp_kind[0] == KM_AUTH_SUCCESS ? "signed in" : "had the password accepted",
                 who, more, tc, e->acted ? ", and that identity acted from the same address (" : "",
                 e->acted ? e->act_what : "", e->acted ? ")" : "");
    }
    snprintf(f.summary, sizeof f.summary,
             "Password spray from %s%s%s%s: %u failed sign-ins against %u %s "
             "between %s and %s%s%s.",
             src, cc[0] ? " (" : "", cc, cc[0] ? ")" : "", e->tries, e->targets, where, t0, t1,
             lock, e->ncomp ? comp : "; no sign-in from it succeeded afterwards");

    /* details */
    struct km_buf b;
    km_buf_init(&b, 1u << 20);
    km_buf_adds(&b, "{\"variant\":\"source\",\"source\":");
    km_json_write_str(&b, src, strlen(src));
    km_buf_printf(&b, ",\"grouped_by\":\"%s\",\"targets\":%u,\"tries\":%u,\"median_tries\":%g,"
                      "\"lockouts\":%u,\"hidden_user_names\":%u,\"signed_in_from_source\":%u,"
                      "\"compromised\":[",
                  s->c.by_asn ? "asn" : "ip", e->targets, e->tries, e->median, e->lockouts,
                  e->hidden, e->signed_in);
    for (uint32_t k = 0; k < e->ncomp; k++) {
        char tc[32];
        km_auth_time(e->comp_t[k], tc);
        const char *who = km_auth_ident_name(a, e->comp[k]);
        km_buf_adds(&b, k ? ",{\"identity\":" : "{\"identity\":");
        km_json_write_str(&b, who, strlen(who));
        km_buf_printf(&b, ",\"time\":\"%s\",\"how\":\"%s\"}", tc,
                      e->comp_kind[k] == KM_AUTH_SUCCESS ? "signed_in" : "password_accepted");
    }
    km_buf_printf(&b, "],\"acted_after\":%u,\"thresholds\":{\"min_identities\":%lld,"
                      "\"max_median_tries\":%g,\"gap_s\":%lld,\"follow_s\":%lld}}",
                  e->acted, (long long)s->c.min_ids, s->c.max_median,
                  (long long)(s->c.gap / 1000000), (long long)(s->c.follow / 1000000));
    if (!b.oom) {
        f.details = km_xmalloc(b.n + 1);
        memcpy(f.details, b.p, b.n);
        f.details[b.n] = 0;
    }
    km_buf_free(&b);
    km_hunt_emit(s->h, &f);
}

/* ---- the distributed variant ---------------------------------------------- */

static int cmp_tenant(const void *x, const void *y, void *ctx)
{
    const struct km_auth *au = ctx;
    const struct km_auth_ev *a = x, *b = y;
    uint32_t ta = au->idents[a->ident].tenant, tb = au->idents[b->ident].tenant;
    if (ta != tb)
        return ta < tb ? -1 : 1;
    if (a->t != b->t)
        return a->t < b->t ? -1 : 1;
    return (a->ident > b->ident) - (a->ident < b->ident);
}

static int cmp_res(const void *x, const void *y)
{
    const struct km_auth_ev *a = x, *b = y;
    if (a->ident != b->ident)
        return a->ident < b->ident ? -1 : 1;
    if (a->src != b->src)
        return a->src < b->src ? -1 : 1;
    return (a->t > b->t) - (a->t < b->t);
}

static void push_tep(struct st *s, const struct tep *e)
{
    if (s->ntep == s->alloc_tep) {
        s->alloc_tep = s->alloc_tep ? 2 * s->alloc_tep : 8;
        s->tep = km_xrealloc(s->tep, s->alloc_tep * sizeof *s->tep);
    }
    s->tep[s->ntep++] = *e;
}

/*
 * Windows of `tenant_window` over v[0, n) (sorted by tenant, time) with at
 * least tenant_min_identities identities from tenant_min_sources addresses.
 * want != NULL: marks the addresses of their failures; else records the
 * windows (overlapping ones merged) as episodes.
 */
static void tenant_windows(struct st *s, const struct km_auth_ev *v, size_t n, uint8_t *want)
{
    const struct km_auth *a = &s->a;
    size_t i = 0;
    while (i < n) {
        uint32_t ten = a->idents[v[i].ident].tenant;
        size_t end = i;
        while (end < n && a->idents[v[end].ident].tenant == ten)
            end++;
        uint32_t nid = 0, nsrc = 0;
        size_t j = i;
        struct tep cur;
        int open = 0;
        size_t marked = i;
        for (size_t k = i; k < end; k++) {
            if (s->icnt[v[k].ident]++ == 0)
                nid++;
            if (s->scnt[v[k].src]++ == 0)
                nsrc++;
            while (v[k].t - v[j].t > s->c.t_window) {
                if (--s->icnt[v[j].ident] == 0)
                    nid--;
                if (--s->scnt[v[j].src] == 0)
                    nsrc--;
                j++;
            }
            if ((int64_t)nid < s->c.t_min_ids || (int64_t)nsrc < s->c.t_min_srcs)
                continue;
            if (want) {
                for (size_t m = j > marked ? j : marked; m <= k; m++)
                    want[v[m].src] = 1;
                marked = k + 1;
            } else if (open && j < cur.hi) {
                cur.hi = k + 1;
            } else {
                if (open)
                    push_tep(s, &cur);
                memset(&cur, 0, sizeof cur);
                cur.tenant = ten, cur.lo = j, cur.hi = k + 1;
                open = 1;
            }
        }
        for (size_t k = j; k < end; k++)
            s->icnt[v[k].ident] = s->scnt[v[k].src] = 0;
        if (open)
            push_tep(s, &cur);
        i = end;
    }
}

/* The failures the distributed variant reads, and the addresses of those in
 * candidate windows (before knowing which failures were mistypes). */
static void tenant_candidates(struct st *s, uint8_t *want)
{
    struct km_auth *a = &s->a;
    s->u = km_xmalloc((a->nfail + 1) * sizeof *s->u);
    for (size_t i = 0; i < a->nfail; i++)
        if (a->fail[i].kind == KM_AUTH_FAIL && a->fail[i].ident != KM_AUTH_HIDDEN &&
            a->fail[i].src != KM_AUTH_NOSRC)
            s->u[s->nu++] = a->fail[i];
    if (s->nu > 1)
        qsort_r(s->u, s->nu, sizeof *s->u, cmp_tenant, a);
    s->icnt = km_xcalloc(a->nidents + 1, sizeof *s->icnt);
    s->scnt = km_xcalloc(a->nsrcs + 1, sizeof *s->scnt);
    tenant_windows(s, s->u, s->nu, want);
}

/* res[] index of the first sign-in of (ident, src) at or after t. */
static size_t res_lower(const struct st *s, uint32_t ident, uint32_t src, int64_t t)
{
    size_t lo = 0, hi = s->a.nok;
    while (lo < hi) {
        size_t m = lo + (hi - lo) / 2;
        const struct km_auth_ev *v = &s->res[m];
        if (v->ident < ident || (v->ident == ident && (v->src < src || (v->src == src && v->t < t))))
            lo = m + 1;
        else
            hi = m;
    }
    return lo;
}

/* Drops the failures a sign-in of the same identity from the same address
 * followed within `resolve` (mistyped passwords), finds the windows of what
 * is left, and judges them. */
static void tenant_episodes(struct st *s)
{
    struct km_auth *a = &s->a;
    s->res = km_xmalloc((a->nok + 1) * sizeof *s->res);
    if (a->nok)
        memcpy(s->res, a->ok, a->nok * sizeof *s->res);
    if (a->nok > 1)
        qsort(s->res, a->nok, sizeof *s->res, cmp_res);
    size_t n = 0;
    for (size_t i = 0; i < s->nu; i++) {
        const struct km_auth_ev *v = &s->u[i];
        size_t r = res_lower(s, v->ident, v->src, v->t);
        int resolved = r < a->nok && s->res[r].ident == v->ident && s->res[r].src == v->src &&
                       s->res[r].t <= v->t + s->c.resolve;
        if (!resolved)
            s->u[n++] = *v;
    }
    s->nu = n;
    s->icnt = km_xrealloc(s->icnt, (a->nidents + 1) * sizeof *s->icnt);
    memset(s->icnt, 0, (a->nidents + 1) * sizeof *s->icnt);
    tenant_windows(s, s->u, s->nu, NULL);

    scratch(s, a->nidents);
    uint32_t *tv = km_xmalloc((s->nu + 1) * sizeof *tv);
    size_t keep = 0;
    for (size_t k = 0; k < s->ntep; k++) {
        struct tep *e = &s->tep[k];
        e->first = s->u[e->lo].t;
        e->last = s->u[e->hi - 1].t;
        e->tries = (uint32_t)(e->hi - e->lo);
        ++s->epno;
        for (size_t i = e->lo; i < e->hi; i++) {
            uint32_t id = s->u[i].ident;
            if (s->stamp[id] != s->epno) {
                s->stamp[id] = s->epno;
                s->cnt[id] = 0;
                e->targets++;
            }
            s->cnt[id]++;
            if (s->scnt[s->u[i].src]++ == 0)
                e->nsrcs++;
        }
        uint32_t ntv = 0;
        ++s->epno;
        for (size_t i = e->lo; i < e->hi; i++) {
            uint32_t id = s->u[i].ident;
            if (s->stamp[id] != s->epno) {
                s->stamp[id] = s->epno;
                tv[ntv++] = s->cnt[id];
            }
        }
        qsort(tv, ntv, sizeof *tv, cmp_u32);
        e->median = ntv ? (tv[(ntv - 1) / 2] + tv[ntv / 2]) / 2.0 : 0;
        /* a target signing in afterwards from one of the addresses */
        int64_t best = INT64_MAX;
        for (size_t i = e->lo; i < e->hi; i++) {
            uint32_t id = s->u[i].ident;
            if (s->stamp[id] != s->epno)
                continue;
            s->stamp[id] = 0;   /* each target once */
            size_t r = res_lower(s, id, 0, INT64_MIN);
            for (; r < a->nok && s->res[r].ident == id; r++) {
                const struct km_auth_ev *o = &s->res[r];
                if (!s->scnt[o->src] || o->t < e->first || o->t > e->last + s->c.follow ||
                    o->t >= best)
                    continue;
                best = o->t;
                e->comp = 1;
                e->comp_ident = id;
                e->comp_src = o->src;
                e->comp_t = o->t;
                e->comp_kind = o->kind;
                e->comp_ref = o->ref;
            }
        }
        for (size_t i = e->lo; i < e->hi; i++)
            s->scnt[s->u[i].src] = 0;
        if (e->median <= s->c.max_median)
            s->tep[keep++] = *e;
    }
    s->ntep = keep;
    free(tv);
}

static void emit_tenant(struct st *s, const struct tep *e)
{
    struct km_auth *a = &s->a;
    struct km_finding f;
    km_finding_init(&f);
    f.detection = "password_spray";
    f.technique = "T1110.003";
    f.severity = e->comp ? KM_SEV_HIGH : KM_SEV_MEDIUM;
    f.first = e->first;
    f.last = e->last;
    const struct km_auth_ident *d0 = &a->idents[s->u[e->lo].ident];
    const char *acct = km_auth_str(a, d0->account);
    const char *prov = km_auth_provider_names[d0->provider];
    char t0[32], t1[32];
    km_auth_time(e->first, t0);
    km_auth_time(e->last, t1);
    snprintf(f.key, sizeof f.key, "tenant|%s|%s|%s", prov, acct, t0);
    uint32_t budget = KM_FINDING_MAX_EV;
    if (e->comp) {
        km_hunt_add_event_ref(s->h, &f, e->comp_ref);
        budget--;
    }
    ++s->epno;
    for (size_t i = e->lo; i < e->hi; i++) {
        const struct km_auth_ev *v = &s->u[i];
        km_auth_add_src(a, &f, v->src);
        if (s->stamp[v->ident] == s->epno)
            continue;
        s->stamp[v->ident] = s->epno;
        km_auth_add_ident(a, &f, v->ident, budget == 0);
        add_ev(s, &f, v->ref, 0, &budget);
    }
    char comp[300] = "";
    if (e->comp) {
        char tc[32];
        km_auth_time(e->comp_t, tc);
        snprintf(comp, sizeof comp, "; then %s as %s from %s at %s",
                 e->comp_kind == KM_AUTH_SUCCESS ? "signed in" : "had the password accepted",
                 km_auth_ident_name(a, e->comp_ident), km_auth_src_name(a, e->comp_src), tc);
    }
    snprintf(f.summary, sizeof f.summary,
             "Distributed password spray against %s %s: %u failed sign-ins of %u identities from "
             "%u addresses between %s and %s, none followed by that identity signing in from the "
             "same address%s.",
             prov_label(d0->provider), acct[0] ? acct : "(no tenant)", e->tries, e->targets,
             e->nsrcs, t0, t1, comp);
    struct km_buf b;
    km_buf_init(&b, 1u << 20);
    km_buf_adds(&b, "{\"variant\":\"distributed\",\"tenant\":");
    km_json_write_str(&b, acct, strlen(acct));
    km_buf_printf(&b, ",\"provider\":\"%s\",\"targets\":%u,\"sources\":%u,\"tries\":%u,"
                      "\"median_tries\":%g",
                  prov, e->targets, e->nsrcs, e->tries, e->median);
    if (e->comp) {
        char tc[32];
        km_auth_time(e->comp_t, tc);
        const char *who = km_auth_ident_name(a, e->comp_ident);
        const char *cs = km_auth_src_name(a, e->comp_src);
        km_buf_adds(&b, ",\"compromised\":[{\"identity\":");
        km_json_write_str(&b, who, strlen(who));
        km_buf_adds(&b, ",\"source\":");
        km_json_write_str(&b, cs, strlen(cs));
        km_buf_printf(&b, ",\"time\":\"%s\",\"how\":\"%s\"}]", tc,
                      e->comp_kind == KM_AUTH_SUCCESS ? "signed_in" : "password_accepted");
    }
    km_buf_printf(&b, ",\"thresholds\":{\"tenant_min_identities\":%lld,\"tenant_min_sources\":%lld,"
                      "\"tenant_window_s\":%lld,\"resolve_s\":%lld}}",
                  (long long)s->c.t_min_ids, (long long)s->c.t_min_srcs,
                  (long long)(s->c.t_window / 1000000), (long long)(s->c.resolve / 1000000));
    if (!b.oom) {
        f.details = km_xmalloc(b.n + 1);
        memcpy(f.details, b.p, b.n);
        f.details[b.n] = 0;
    }
    km_buf_free(&b);
    km_hunt_emit(s->h, &f);
}

static int run(struct km_hunt *h, struct km_err *err)
{
    const struct km_conf *c = km_hunt_conf(h);
    struct st s;
    memset(&s, 0, sizeof s);
    s.h = h;
    s.err = err;
    s.c.min_ids = km_conf_int(c, "password_spray.min_identities");
    if (s.c.min_ids < 2)
        s.c.min_ids = 2;
    s.c.max_median = km_conf_num(c, "password_spray.max_median_tries");
    s.c.gap = km_conf_dur_us(c, "password_spray.gap");
    s.c.follow = km_conf_dur_us(c, "password_spray.follow");
    s.c.activity = km_conf_dur_us(c, "password_spray.activity_window");
    const char *g = km_conf_str(c, "password_spray.group_by");
    if (strcasecmp(g, "asn") == 0)
        s.c.by_asn = 1;
    else if (strcasecmp(g, "ip") != 0)
        return km_err_set(err, KM_EUSAGE, km_conf_path(c), UINT64_MAX,
                          "password_spray.group_by: '%s' is neither ip nor asn", g);
    s.c.t_min_ids = km_conf_int(c, "password_spray.tenant_min_identities");
    s.c.t_min_srcs = km_conf_int(c, "password_spray.tenant_min_sources");
    s.c.t_window = km_conf_dur_us(c, "password_spray.tenant_window");
    s.c.resolve = km_conf_dur_us(c, "password_spray.resolve");

    km_auth_init(&s.a, h, "password_spray", s.c.by_asn);
    int rc = km_auth_failures(&s.a, err);
    if (rc == KM_OK) {
        km_auth_sort_by_src(s.a.fail, s.a.nfail);
        scratch(&s, s.a.nidents);
        episodes(&s);
        uint8_t *want = km_xcalloc(s.a.nsrcs + 1, 1);
        for (size_t i = 0; i < s.nep; i++)
            want[s.ep[i].src] = 1;
        if (s.c.t_min_ids > 0)
            tenant_candidates(&s, want);
        rc = km_auth_successes(&s.a, want, NULL, err);
        free(want);
    }
    if (rc == KM_OK && s.c.t_min_ids > 0)
        tenant_episodes(&s);
    if (rc == KM_OK) {
        km_auth_sort_by_src(s.a.ok, s.a.nok);
        size_t keep = 0;
        for (size_t i = 0; i < s.nep; i++) {
            judge(&s, &s.ep[i]);
            if (s.ep[i].targets > s.ep[i].signed_in)
                s.ep[keep++] = s.ep[i];
        }
        s.nep = keep;
        rc = activity(&s, err);
    }
    if (rc == KM_OK) {
        for (size_t i = 0; i < s.nep; i++)
            emit(&s, &s.ep[i]);
        for (size_t i = 0; i < s.ntep; i++)
            emit_tenant(&s, &s.tep[i]);
    }
    free(s.ep);
    free(s.tep);
    free(s.u);
    free(s.res);
    free(s.icnt);
    free(s.scnt);
    free(s.sel);
    free(s.comp_src);
    free(s.stamp);
    free(s.cnt);
    km_auth_free(&s.a);
    return rc;
}

const struct km_detection km_det_password_spray = {
    .id = "password_spray",
    .title = "Password spray",
    .technique = "T1110.003",
    .summary = "one source failing sign-ins against many identities, a few tries each (AWS "
               "console, Entra ID, Workspace); a sign-in from it afterwards names the "
               "compromised identity",
    .providers = "aws,azure,workspace",
    .conf = km_det_conf_password_spray,
    .run = run,
};
