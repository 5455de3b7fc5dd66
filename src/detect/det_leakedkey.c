/*
 * det_leakedkey.c — leaked_key: a long-term credential (an AWS IAM user's
 * AKIA… access key, a Google Cloud user-managed service-account key) used
 * from a network that is new for it, or by an attack tool
 * (docs/detections/leaked_key.md).
 *
 * Pass 1 reads every call made with a long-term key and keeps, per key, the
 * first use on each UTC day of each *term*: network (/24, /48), client
 * platform (km_ku_platform), country and ASN when the geo database knows
 * them, attack-tool user agent, and the key itself. Memory grows with
 * distinct (key, term, day), not with events:
 *
 *    key ──► term (kind, value) ──► days [ {day, first time, first event, ip,
 *                                             platform, country, asn} ... ]
 *
 * A network is new at its first use on day d when the key did not use it on
 * any of the `history` days before (or, for a key idle through that window,
 * never before). Uses the key makes on the first day it appears, or while
 * the store holds less than `min_history` of the provider's logs, are not
 * judged: there is nothing to compare them with.
 *
 * Pass 2 asks the store about the candidates only: whether the organisation
 * used the network on earlier days (keyuse.c), and which calls the key made
 * from the new network within `follow` after its first use (the evidence;
 * privilege or persistence calls among them raise severity). One finding per
 * key and UTC day of the first new use.
 */
#include "detect/detect.h"
#include "detect/keyuse.h"

#include "core/conf.h"
#include "core/timeparse.h"
#include "geo/geo.h"
#include "ident/ident.h"
#include "json/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct km_conf_key km_det_conf_leaked_key[] = {
    {"leaked_key.history", KM_CONF_DUR, "10d",
     "a key's use is compared with what it did during this long before"},
    {"leaked_key.min_history", KM_CONF_DUR, "1d",
     "uses while the store holds less of the provider's logs than this are not judged"},
    {"leaked_key.v4_prefix", KM_CONF_INT, "24", "an IPv4 address's network is its /N"},
    {"leaked_key.v6_prefix", KM_CONF_INT, "48", "an IPv6 address's network is its /N"},
    {"leaked_key.known_days", KM_CONF_INT, "2",
     "a network used successfully by other callers on this many earlier days is the "
     "organisation's (low severity)"},
    {"leaked_key.follow", KM_CONF_DUR, "2h",
     "calls from the new network within this after the first use are evidence"},
    {"leaked_key.tool_agents", KM_CONF_LIST,
     "kali, parrot, blackarch, pentoo, trufflehog, pacu, cloudfox, stratus-red-team, weirdaal",
     "user-agent substrings of attack or secret-scanning tools (case-insensitive; also used "
     "by recon_burst)"},
    {"leaked_key.escalation", KM_CONF_LIST,
     "CreateUser, CreateLoginProfile, UpdateLoginProfile, CreateAccessKey, AttachUserPolicy, "
     "AttachRolePolicy, AttachGroupPolicy, PutUserPolicy, PutRolePolicy, PutGroupPolicy, "
     "AddUserToGroup, CreateRole, UpdateAssumeRolePolicy, CreatePolicyVersion, "
     "SetDefaultPolicyVersion, CreateOpenIDConnectProvider, CreateSAMLProvider, StopLogging, "
     "DeleteTrail, PutEventSelectors, DeleteDetector, GetFederationToken, "
     "CreateServiceAccountKey, CreateServiceAccount, SetIamPolicy",
     "privilege or persistence calls that raise severity when they follow a new use "
     "(matched on the whole action or its last dot-separated part)"},
    {NULL, 0, NULL, NULL},
};

enum { T_KEY = 1, T_NET, T_PLAT, T_CC, T_ASN, T_TOOL };

#define MAX_TERMS (1u << 20)
#define MAX_KEY_TERMS 4096
#define MAX_GROUPS 20000
#define MAX_GROUP_NETS 16
#define MAX_GROUP_EV 200

/* First use of a term on one day. */
struct dent {
    int32_t day;
    uint32_t ip;             /* index into ips[] */
    uint16_t plat, cc;
    uint32_t asn;
    int64_t t;
    struct km_evref ref;
    uint8_t allowed_ua;
};

struct term {
    uint32_t key;
    uint8_t kind;
    uint64_t val;
    struct dent *d;          /* sorted by day */
    uint32_t nd, capd;
};

struct key {
    int64_t first;
    uint8_t init, gcp;
    uint32_t *terms;
    uint32_t nterms, capterms;
    uint64_t dropped;
};

/* What an address gives (cached per distinct src.ip value). */
struct ipinfo {
    uint64_t net;
    uint32_t str;            /* id in ipstr */
    uint16_t cc;
    uint32_t asn;
};

struct group {
    uint32_t kid;
    int32_t day;
    int64_t t;               /* first new use */
    struct km_evref ref;
    uint32_t ip;             /* first new use's ip index */
    uint64_t nets[MAX_GROUP_NETS];
    uint32_t netip[MAX_GROUP_NETS];
    int nnets;
    int new_plat, new_cc, all_asn_known, has_net;
    int hindsight;           /* judged against the key's later use */
    uint16_t plat, cc;
    uint32_t tool;           /* tool name id, 0 none */
    int thin;
    double hist_days;
    uint32_t org_days;       /* min over nets */
    uint32_t cc_org_days;    /* days the organisation used the new country */
    int32_t person;          /* the key's person (identity graph), -1 none */
    int person_known;        /* the person used every new network on earlier days */
    struct km_strset followed;
    struct km_finding f;
    int nev;
    uint32_t next;           /* next group of the same key + 1 */
};

struct st {
    struct km_hunt *h;
    struct km_geo *geo;
    int64_t history, min_history, follow;
    int v4, v6;
    int known_days;
    const char *const *tools;
    size_t ntools;
    const char *const *esc;
    size_t nesc;
    int64_t start[2];        /* aws, gcp */
    /* pass 1 */
    struct km_ku_intern keys, ipstr, plats, toolnames;
    struct key *k;           /* indexed by key id */
    uint32_t capk;
    struct term *t;
    uint32_t nt, capt;
    uint64_t terms_dropped;
    uint64_t *tab;           /* term hash: (idx + 1) in low 32 bits */
    uint32_t tcap;
    struct ipinfo *ips;
    uint32_t nips, capips;
    struct km_ku_cmap cm_key, cm_ip, cm_ua, cm_cc;
    /* groups */
    struct group *g;
    uint32_t ng, capg;
    uint64_t groups_dropped;
    uint32_t *kgroup;        /* key id -> first group + 1 */
};

/* ---- terms ------------------------------------------------------------------------ */

static uint64_t term_hash(uint32_t key, uint8_t kind, uint64_t val)
{
    uint64_t x = val * 0x9e3779b97f4a7c15ULL ^ ((uint64_t)key << 8 | kind);
    x ^= x >> 31;
    x *= 0xbf58476d1ce4e5b9ULL;
    return x ^ (x >> 29);
}

static uint32_t term_slot(const struct st *c, uint32_t key, uint8_t kind, uint64_t val, uint64_t hh)
{
    uint32_t mask = c->tcap - 1;
    for (uint32_t i = (uint32_t)hh & mask;; i = (i + 1) & mask) {
        uint64_t e = c->tab[i];
        if (!e)
            return i;
        const struct term *t = &c->t[(uint32_t)e - 1];
        if (t->key == key && t->kind == kind && t->val == val)
            return i;
    }
}

static struct term *term_get(struct st *c, uint32_t key, uint8_t kind, uint64_t val, int create)
{
    if (!c->tcap || (create && c->tcap < 2 * (c->nt + 1) + 16)) {
        uint32_t nc = c->tcap ? 2 * c->tcap : 1024;
        free(c->tab);
        c->tab = km_xcalloc(nc, sizeof *c->tab);
        c->tcap = nc;
        for (uint32_t i = 0; i < c->nt; i++) {
            const struct term *t = &c->t[i];
            c->tab[term_slot(c, t->key, t->kind, t->val, term_hash(t->key, t->kind, t->val))] =
                i + 1;
        }
    }
    uint32_t s = term_slot(c, key, kind, val, term_hash(key, kind, val));
    if (c->tab[s])
        return &c->t[(uint32_t)c->tab[s] - 1];
    if (!create)
        return NULL;
    struct key *k = &c->k[key];
    if (c->nt >= MAX_TERMS || k->nterms >= MAX_KEY_TERMS) {
        c->terms_dropped++;
        k->dropped++;
        return NULL;
    }
    if (c->nt == c->capt) {
        c->capt = c->capt ? 2 * c->capt : 1024;
        c->t = km_xrealloc(c->t, c->capt * sizeof *c->t);
    }
    struct term *t = &c->t[c->nt];
    memset(t, 0, sizeof *t);
    t->key = key;
    t->kind = kind;
    t->val = val;
    c->tab[s] = ++c->nt;
    if (k->nterms == k->capterms) {
        k->capterms = k->capterms ? 2 * k->capterms : 8;
        k->terms = km_xrealloc(k->terms, k->capterms * sizeof *k->terms);
    }
    k->terms[k->nterms++] = c->nt - 1;
    return t;
}

static void touch(struct st *c, uint32_t key, uint8_t kind, uint64_t val, const struct dent *e)
{
    struct term *t = term_get(c, key, kind, val, 1);
    if (!t)
        return;
    /* most rows come in time order: the last day first */
    uint32_t lo = 0, hi = t->nd;
    if (t->nd && t->d[t->nd - 1].day <= e->day)
        lo = t->nd - 1;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (t->d[mid].day < e->day)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < t->nd && t->d[lo].day == e->day) {
        if (e->t < t->d[lo].t)
            t->d[lo] = *e;
        return;
    }
    if (t->nd == t->capd) {
        t->capd = t->capd ? 2 * t->capd : 2;
        t->d = km_xrealloc(t->d, t->capd * sizeof *t->d);
    }
    memmove(t->d + lo + 1, t->d + lo, (t->nd - lo) * sizeof *t->d);
    t->d[lo] = *e;
    t->nd++;
}

/* 1 when term t (of key k) was in use before (day, tm): on one of the
 * `wd` days before, earlier the same day, or — for a key idle through the
 * window — at any time before. */
static int known_before(const struct term *t, const struct term *keyterm, int32_t day, int64_t tm,
                        int32_t wd)
{
    if (!t)
        return 0;
    int any = 0;
    for (uint32_t i = 0; i < t->nd; i++) {
        const struct dent *x = &t->d[i];
        if (x->day > day || (x->day == day && x->t >= tm))
            break;
        any = 1;
        if (x->day >= day - wd)
            return 1;
    }
    if (!any || !keyterm)
        return 0;
    for (uint32_t i = 0; i < keyterm->nd; i++) {
        const struct dent *x = &keyterm->d[i];
        if (x->day > day || (x->day == day && x->t >= tm))
            break;
        if (x->day >= day - wd)
            return 0;   /* the key was active in the window without this term */
    }
    return 1;           /* dormant key: compared with its whole past */
}

/* 1 when term t was in use on one of the `wd` days after `day` (hindsight:
 * the key's later use is the baseline when the store holds too little of
 * its past). */
static int known_after(const struct term *t, int32_t day, int32_t wd)
{
    if (!t)
        return 0;
    for (uint32_t i = 0; i < t->nd; i++)
        if (t->d[i].day > day && t->d[i].day <= day + wd)
            return 1;
    return 0;
}

/* Whether the term is known for a use at (day, tm): from the past, or with
 * hindsight from the days after. */
static int known_term(const struct term *t, const struct term *keyterm, int32_t day, int64_t tm,
                      int32_t wd, int hind)
{
    return hind ? known_after(t, day, wd) : known_before(t, keyterm, day, tm, wd);
}

/* ---- pass 1 ---------------------------------------------------------------------- */

static int pred_longterm(void *ctx, const char *v, size_t n)
{
    (void)ctx;
    return km_ku_longterm(v, n);
}

static int32_t day_of(int64_t t)
{
    return (int32_t)(t >= 0 ? t / KM_KU_DAY_US : (t + 1) / KM_KU_DAY_US - 1);
}

static uint32_t row_key(struct st *c, const struct km_hrow *r)
{
    uint32_t id = km_ku_field_id(&c->cm_key, &c->keys, r, KM_F_ACTOR_ACCESS_KEY);
    if (!id)
        return 0;
    if (id >= c->capk) {
        uint32_t nc = c->capk ? c->capk : 64;
        while (nc <= id)
            nc *= 2;
        c->k = km_xrealloc(c->k, nc * sizeof *c->k);
        memset(c->k + c->capk, 0, (nc - c->capk) * sizeof *c->k);
        c->capk = nc;
    }
    struct key *k = &c->k[id];
    if (!k->init) {
        k->init = 1;
        k->first = INT64_MAX;
        const char *s = km_ku_str(&c->keys, id);
        k->gcp = memcmp(s, "AKIA", 4) != 0;
    }
    return id;
}

static uint32_t row_ip(struct st *c, const struct km_hrow *r)
{
    uint32_t code = km_hrow_code(r, KM_F_SRC_IP);
    if (!code)
        return 0;
    uint32_t v = km_ku_cmap_get(&c->cm_ip, r, code);
    if (v)
        return v - 1;
    struct km_str ip = km_hrow_str(r, KM_F_SRC_IP);
    uint32_t idx = 0;
    struct ipinfo in;
    memset(&in, 0, sizeof in);
    if (!km_ku_internal(ip) && km_ku_net(ip, c->v4, c->v6, &in.net, NULL)) {
        in.str = km_ku_intern(&c->ipstr, ip.p, ip.n);
        if (c->geo && in.str) {
            struct km_geo_rec g;
            km_geo_lookup(c->geo, ip.p, ip.n, &g);
            if (g.country[0] && g.country[1])
                in.cc = (uint16_t)((uint8_t)g.country[0] << 8 | (uint8_t)g.country[1]);
            in.asn = g.asn;
        }
        if (in.str) {
            if (c->nips + 1 >= c->capips) {
                c->capips = c->capips ? 2 * c->capips : 256;
                c->ips = km_xrealloc(c->ips, c->capips * sizeof *c->ips);
            }
            if (!c->nips)
                memset(&c->ips[c->nips++], 0, sizeof *c->ips);   /* index 0: none */
            c->ips[c->nips] = in;
            idx = c->nips++;
        }
    }
    km_ku_cmap_put(&c->cm_ip, code, idx);
    return idx;
}

/* platform id | tool id << 16 | allowed << 31 of the row's user agent */
static uint32_t row_ua(struct st *c, const struct km_hrow *r)
{
    uint32_t code = km_hrow_code(r, KM_F_USER_AGENT);
    uint32_t v = code ? km_ku_cmap_get(&c->cm_ua, r, code) : 0;
    if (v)
        return v - 1;
    struct km_str ua = km_hrow_str(r, KM_F_USER_AGENT);
    char plat[32], tool[32];
    km_ku_platform(ua, plat);
    /* AWS's own callers (the console's backend, services) name no client */
    uint32_t pid = plat[0] && strcmp(plat, "aws-internal") != 0
                       ? km_ku_intern(&c->plats, plat, strlen(plat))
                       : 0;
    uint32_t tid = km_ku_tool(ua, c->tools, c->ntools, tool)
                       ? km_ku_intern(&c->toolnames, tool, strlen(tool))
                       : 0;
    uint32_t out = (pid & 0xffff) | (tid & 0x7fff) << 16 |
                   (uint32_t)km_hunt_allowed_agent(c->h, ua) << 31;
    if (code)
        km_ku_cmap_put(&c->cm_ua, code, out);
    return out;
}

static int row1(void *vctx, const struct km_hrow *r)
{
    struct st *c = vctx;
    uint32_t kid = row_key(c, r);
    if (!kid)
        return 0;
    struct key *k = &c->k[kid];
    if (r->time < k->first)
        k->first = r->time;
    struct dent e;
    memset(&e, 0, sizeof e);
    e.day = day_of(r->time);
    e.t = r->time;
    e.ref = r->ref;
    e.ip = row_ip(c, r);
    uint32_t ua = row_ua(c, r);
    e.plat = (uint16_t)(ua & 0xffff);
    e.allowed_ua = (uint8_t)(ua >> 31);
    uint32_t tool = (ua >> 16) & 0x7fff;
    if (e.ip) {
        e.cc = c->ips[e.ip].cc;
        e.asn = c->ips[e.ip].asn;
    }
    /* the provider's own geolocation wins */
    uint32_t ccode = km_hrow_code(r, KM_F_SRC_COUNTRY);
    if (ccode) {
        uint32_t v = km_ku_cmap_get(&c->cm_cc, r, ccode);
        if (!v) {
            struct km_str s = km_hrow_str(r, KM_F_SRC_COUNTRY);
            uint32_t cc = s.p && s.n == 2 ? (uint32_t)((uint8_t)s.p[0] << 8 | (uint8_t)s.p[1]) : 0;
            km_ku_cmap_put(&c->cm_cc, ccode, cc);
            v = cc + 1;
        }
        if (v - 1)
            e.cc = (uint16_t)(v - 1);
    }
    touch(c, kid, T_KEY, 0, &e);
    if (e.ip)
        touch(c, kid, T_NET, c->ips[e.ip].net, &e);
    if (e.plat)
        touch(c, kid, T_PLAT, e.plat, &e);
    if (e.cc)
        touch(c, kid, T_CC, e.cc, &e);
    if (e.asn)
        touch(c, kid, T_ASN, e.asn, &e);
    if (tool)
        touch(c, kid, T_TOOL, tool, &e);
    return 0;
}

/* ---- candidates ------------------------------------------------------------------ */

static struct group *group_new(struct st *c, uint32_t kid)
{
    if (c->ng >= MAX_GROUPS) {
        c->groups_dropped++;
        return NULL;
    }
    if (c->ng == c->capg) {
        c->capg = c->capg ? 2 * c->capg : 64;
        c->g = km_xrealloc(c->g, c->capg * sizeof *c->g);
    }
    struct group *g = &c->g[c->ng];
    memset(g, 0, sizeof *g);
    g->kid = kid;
    g->t = INT64_MAX;
    g->all_asn_known = 1;
    g->org_days = UINT32_MAX;
    g->person = -1;
    g->followed.cap = 32;
    km_finding_init(&g->f);
    g->next = c->kgroup[kid];
    c->kgroup[kid] = ++c->ng;
    return g;
}

/* A use worth judging: a network's first use that is new for the key, or
 * an attack tool's user agent (tool != 0). */
struct cand {
    uint32_t kid;
    const struct term *t;
    const struct dent *e;
    uint32_t tool;
    int hind;                /* judged against the key's later use */
};

static int cmp_cand(const void *a, const void *b)
{
    const struct cand *x = a, *y = b;
    if (x->kid != y->kid)
        return x->kid < y->kid ? -1 : 1;
    if (x->e->t != y->e->t)
        return x->e->t < y->e->t ? -1 : 1;
    return x->tool < y->tool ? -1 : x->tool > y->tool;
}

/* What a new network's first use says, added to its group. */
static void judge_net(struct st *c, struct group *g, const struct cand *x, int32_t wd)
{
    const struct key *k = &c->k[x->kid];
    const struct term *kt = term_get(c, x->kid, T_KEY, 0, 0);
    const struct dent *e = x->e;
    int64_t cover = e->t - c->start[k->gcp];
    double hd = (double)(cover < c->history ? cover : c->history) / KM_KU_DAY_US;
    if (!g->has_net || hd < g->hist_days)
        g->hist_days = hd;
    g->has_net = 1;
    g->thin |= cover < c->history || x->hind;
    int dup = 0;
    for (int i = 0; i < g->nnets && !dup; i++)
        dup = g->nets[i] == x->t->val;
    if (!dup && g->nnets < MAX_GROUP_NETS) {
        g->nets[g->nnets] = x->t->val;
        g->netip[g->nnets++] = e->ip;
    }
    /* the platform, country and ASN of this use, against the key's past (or,
     * with hindsight, its later use) */
    int hind = x->hind;
    g->hindsight |= hind;
    if (e->plat) {
        int had = 0;
        for (uint32_t tj = 0; tj < k->nterms && !had; tj++) {
            const struct term *p = &c->t[k->terms[tj]];
            had = p->kind == T_PLAT && known_term(p, kt, e->day, e->t, wd, hind);
        }
        if (had &&
            !known_term(term_get(c, x->kid, T_PLAT, e->plat, 0), kt, e->day, e->t, wd, hind)) {
            g->new_plat = 1;
            g->plat = e->plat;
        }
    }
    if (e->cc) {
        int had = 0;
        for (uint32_t tj = 0; tj < k->nterms && !had; tj++) {
            const struct term *p = &c->t[k->terms[tj]];
            had = p->kind == T_CC && p->val != e->cc && known_term(p, kt, e->day, e->t, wd, hind);
        }
        if (had && !known_term(term_get(c, x->kid, T_CC, e->cc, 0), kt, e->day, e->t, wd, hind)) {
            g->new_cc = 1;
            g->cc = e->cc;
        }
    }
    if (!(e->asn &&
          known_term(term_get(c, x->kid, T_ASN, e->asn, 0), kt, e->day, e->t, wd, hind)))
        g->all_asn_known = 0;
}

/* Candidates of every key, then groups: a key's candidates within `follow`
 * of the first one are one group (one finding). */
static void candidates(struct st *c)
{
    int32_t wd = (int32_t)((c->history + KM_KU_DAY_US - 1) / KM_KU_DAY_US);
    c->kgroup = km_xcalloc(c->capk + 1, sizeof *c->kgroup);
    struct cand *v = NULL;
    size_t nv = 0, capv = 0;
    for (uint32_t kid = 1; kid <= c->keys.n && kid < c->capk; kid++) {
        struct key *k = &c->k[kid];
        const struct term *kt = term_get(c, kid, T_KEY, 0, 0);
        int64_t start = c->start[k->gcp];
        for (uint32_t ti = 0; ti < k->nterms; ti++) {
            const struct term *t = &c->t[k->terms[ti]];
            if (t->kind != T_TOOL && t->kind != T_NET)
                continue;
            for (uint32_t i = 0; i < t->nd; i++) {
                const struct dent *e = &t->d[i];
                if (e->allowed_ua)
                    continue;
                if (e->ip && km_hunt_allowed_ip(c->h, km_str_c(km_ku_str(&c->ipstr,
                                                                        c->ips[e->ip].str))))
                    continue;
                int hind = 0;
                if (t->kind == T_NET) {
                    int past = k->first < e->t && start != INT64_MAX &&
                               e->t - start >= c->min_history;
                    if (past && known_before(t, kt, e->day, e->t, wd))
                        continue;
                    if (!past) {
                        /* too little before it: the key's later days are the
                         * baseline — if it has later days, and the network is
                         * not among them */
                        if (!known_after(kt, e->day, wd) || known_after(t, e->day, wd))
                            continue;
                        hind = 1;
                    }
                }
                if (nv == capv) {
                    capv = capv ? 2 * capv : 256;
                    v = km_xrealloc(v, capv * sizeof *v);
                }
                v[nv++] = (struct cand){kid, t, e, t->kind == T_TOOL ? (uint32_t)t->val : 0, hind};
            }
        }
    }
    if (nv > 1)
        qsort(v, nv, sizeof *v, cmp_cand);
    struct group *g = NULL;
    for (size_t i = 0; i < nv; i++) {
        const struct cand *x = &v[i];
        if (!g || g->kid != x->kid || x->e->t > g->t + c->follow) {
            g = group_new(c, x->kid);
            if (!g)
                break;
            g->t = x->e->t;
            g->ref = x->e->ref;
            g->ip = x->e->ip;
            g->plat = x->e->plat;
            g->day = x->e->day;
        }
        if (x->tool) {
            if (!g->tool)
                g->tool = x->tool;
        } else {
            judge_net(c, g, x, wd);
        }
    }
    free(v);
}

/* ---- pass 2: evidence and what followed ------------------------------------------------- */

static int escalation(const struct st *c, struct km_str a)
{
    if (!a.p)
        return 0;
    const char *last = a.p;
    for (uint32_t i = 0; i < a.n; i++)
        if (a.p[i] == '.')
            last = a.p + i + 1;
    size_t ln = a.n - (size_t)(last - a.p);
    for (size_t i = 0; i < c->nesc; i++) {
        size_t n = strlen(c->esc[i]);
        if ((n == a.n && memcmp(a.p, c->esc[i], n) == 0) ||
            (n == ln && memcmp(last, c->esc[i], n) == 0))
            return 1;
    }
    return 0;
}

static int row2(void *vctx, const struct km_hrow *r)
{
    struct st *c = vctx;
    uint32_t kid = km_ku_field_id(&c->cm_key, &c->keys, r, KM_F_ACTOR_ACCESS_KEY);
    if (!kid || kid >= c->capk || !c->kgroup[kid])
        return 0;
    uint32_t ipi = row_ip(c, r);
    uint64_t net = ipi ? c->ips[ipi].net : 0;
    uint32_t tool = (row_ua(c, r) >> 16) & 0x7fff;
    for (uint32_t gi = c->kgroup[kid]; gi; gi = c->g[gi - 1].next) {
        struct group *g = &c->g[gi - 1];
        if (r->time < g->t || r->time > g->t + c->follow)
            continue;
        int hit = tool && g->tool;
        for (int i = 0; i < g->nnets && !hit; i++)
            hit = net && net == g->nets[i];
        if (!hit)
            continue;
        struct km_event ev;
        km_event_init(&ev);
        if (km_hrow_event(r, &ev) != KM_OK)
            continue;
        if (g->person < 0 && km_hunt_graph(c->h))
            g->person = km_idgraph_person_of(km_hunt_graph(c->h), &ev);
        if (escalation(c, ev.f[KM_F_ACTION]) && km_str_eqc(ev.f[KM_F_OUTCOME], "success"))
            km_strset_add(&g->followed, ev.f[KM_F_ACTION].p, ev.f[KM_F_ACTION].n);
        if (g->nev < MAX_GROUP_EV || (r->ref.seg == g->ref.seg && r->ref.row == g->ref.row)) {
            km_hunt_add_event(c->h, &g->f, &ev);
            g->nev++;
        }
    }
    return 0;
}

/* ---- emitting ------------------------------------------------------------------------ */

static void ccstr(uint16_t cc, char out[3])
{
    out[0] = (char)(cc >> 8);
    out[1] = (char)(cc & 0xff);
    out[2] = 0;
}

static void emit(struct st *c, struct group *g)
{
    struct key *k = &c->k[g->kid];
    const char *key = km_ku_str(&c->keys, g->kid);
    struct km_finding *f = &g->f;
    f->detection = "leaked_key";
    f->technique = "T1078.004";
    km_strset_addc(&f->ent[KM_ENT_ACCESS_KEYS], key);
    if (f->ent[KM_ENT_IDENTITIES].n &&
        km_hunt_allowed_identity(c->h, km_str_c(f->ent[KM_ENT_IDENTITIES].v[0]))) {
        km_finding_free(f);
        return;
    }
    int org = g->has_net && ((g->org_days != UINT32_MAX && g->org_days >= (uint32_t)c->known_days) ||
                             g->person_known);
    int asn_known = g->has_net && g->all_asn_known;
    int score;
    if (g->has_net) {
        score = org || asn_known ? KM_SEV_LOW : KM_SEV_MEDIUM;
        score += g->new_plat;   /* each independent novelty adds */
        score += g->new_cc;
        if (g->tool)
            score++;
        if (g->thin)
            score--;
    } else {
        score = KM_SEV_MEDIUM;   /* an attack tool's agent, from a known network */
    }
    if (g->followed.n)
        score++;
    f->severity = score < KM_SEV_LOW ? KM_SEV_LOW : score > KM_SEV_CRITICAL ? KM_SEV_CRITICAL : score;

    char day[32], first[32];
    km_time_fmt(g->t, first);
    snprintf(day, sizeof day, "%.10s", first);
    int earlier = 0;   /* another group of this key earlier the same day */
    for (uint32_t i = c->kgroup[g->kid]; i && !earlier; i = c->g[i - 1].next)
        earlier = &c->g[i - 1] != g && c->g[i - 1].day == g->day && c->g[i - 1].t < g->t;
    if (earlier)
        snprintf(f->key, sizeof f->key, "%s|%s|%s", key, day, first);
    else
        snprintf(f->key, sizeof f->key, "%s|%s", key, day);

    const char *who = f->ent[KM_ENT_IDENTITIES].n ? f->ent[KM_ENT_IDENTITIES].v[0] : "?";
    const char *acct = f->ent[KM_ENT_ACCOUNTS].n ? f->ent[KM_ENT_ACCOUNTS].v[0] : "?";
    const char *ip0 = km_ku_str(&c->ipstr, c->ips ? c->ips[g->ip].str : 0);
    char what[640] = "";
    size_t w = 0;
#define ADD(...) (w += (size_t)snprintf(what + w, w < sizeof what ? sizeof what - w : 0, __VA_ARGS__))
    /* the platforms the key used before (for the summary and details) */
    char known[160] = "";
    size_t kn = 0;
    uint32_t kp[6];
    int nknown = 0;
    int32_t wd = (int32_t)((c->history + KM_KU_DAY_US - 1) / KM_KU_DAY_US);
    const struct term *kt = term_get(c, g->kid, T_KEY, 0, 0);
    for (uint32_t ti = 0; ti < k->nterms && nknown < 6; ti++) {
        const struct term *p = &c->t[k->terms[ti]];
        if (p->kind == T_PLAT && p->val != g->plat && known_before(p, kt, g->day, g->t, wd)) {
            kn += (size_t)snprintf(known + kn, kn < sizeof known ? sizeof known - kn : 0, "%s%s",
                                   nknown ? ", " : "", km_ku_str(&c->plats, (uint32_t)p->val));
            kp[nknown++] = (uint32_t)p->val;
        }
    }
    if (g->has_net) {
        ADD("%s (%s, %s %s) was used from %s%s, a network new for this key", key, who,
            k->gcp ? "gcp" : "aws", acct, ip0[0] ? ip0 : "?",
            g->nnets > 1 ? " and other new networks" : "");
        if (g->person_known)
            ADD(" but one that its owner's other accounts used on earlier days");
        else if (org)
            ADD(" but used by the organisation on %u earlier days", g->org_days);
        else if (asn_known)
            ADD(" but in an ASN the key used before");
        if (g->new_plat)
            ADD(", from a new client platform (%s; before: %s)",
                km_ku_str(&c->plats, g->plat), known[0] ? known : "?");
        if (g->new_cc) {
            char cc[3];
            ccstr(g->cc, cc);
            ADD(", from a new country (%s)", cc);
        }
        if (g->tool)
            ADD(", with an attack tool's user agent (%s)", km_ku_str(&c->toolnames, g->tool));
    } else {
        ADD("%s (%s, %s %s) was used by an attack or secret-scanning tool (%s)%s%s", key, who,
            k->gcp ? "gcp" : "aws", acct, km_ku_str(&c->toolnames, g->tool),
            ip0[0] ? " from " : "", ip0);
    }
    if (g->followed.n) {
        ADD(", then");
        for (uint32_t i = 0; i < g->followed.n && i < 6; i++)
            ADD("%s %s", i ? "," : "", g->followed.v[i]);
    }
    if (g->has_net && g->hindsight)
        ADD("; the logs hold too little before it, so it was compared with the key's use on "
            "the days after");
    else if (g->has_net && g->thin)
        ADD("; only %.1f of %.0f days of history to compare with",
            g->hist_days, (double)c->history / KM_KU_DAY_US);
#undef ADD
    snprintf(f->summary, sizeof f->summary, "%s (first %s).", what, first);

    struct km_buf b;
    km_buf_init(&b, 1u << 16);
    km_buf_adds(&b, "{\"new_networks\":[");
    for (int i = 0; i < g->nnets; i++) {
        char nt[64];
        const char *ip = km_ku_str(&c->ipstr, c->ips[g->netip[i]].str);
        uint64_t id;
        km_ku_net(km_str_c(ip), c->v4, c->v6, &id, nt);
        km_buf_printf(&b, "%s{\"network\":", i ? "," : "");
        km_json_write_str(&b, nt, strlen(nt));
        km_buf_adds(&b, ",\"ip\":");
        km_json_write_str(&b, ip, strlen(ip));
        km_buf_addc(&b, '}');
    }
    km_buf_adds(&b, "],\"platform\":");
    const char *pl = km_ku_str(&c->plats, g->plat);
    km_json_write_str(&b, pl, strlen(pl));
    km_buf_printf(&b, ",\"new_platform\":%s,\"known_platforms\":[", g->new_plat ? "true" : "false");
    for (int i = 0; i < nknown; i++) {
        const char *ps = km_ku_str(&c->plats, kp[i]);
        if (i)
            km_buf_addc(&b, ',');
        km_json_write_str(&b, ps, strlen(ps));
    }
    km_buf_printf(&b, "],\"new_country\":%s", g->new_cc ? "true" : "false");
    if (g->cc) {
        char cc[3];
        ccstr(g->cc, cc);
        km_buf_adds(&b, ",\"country\":");
        km_json_write_str(&b, cc, 2);
    }
    if (g->tool) {
        const char *tn = km_ku_str(&c->toolnames, g->tool);
        km_buf_adds(&b, ",\"tool\":");
        km_json_write_str(&b, tn, strlen(tn));
    }
    km_buf_adds(&b, ",\"followed_by\":[");
    for (uint32_t i = 0; i < g->followed.n; i++) {
        if (i)
            km_buf_addc(&b, ',');
        km_json_write_str(&b, g->followed.v[i], strlen(g->followed.v[i]));
    }
    km_buf_printf(&b, "],\"person_known\":%s", g->person_known ? "true" : "false");
    km_buf_printf(&b, ",\"org_known_days\":%u,\"history_days\":%.2f,"
                      "\"history_window_days\":%.0f,\"thin_history\":%s,\"hindsight\":%s}",
                  g->org_days == UINT32_MAX ? 0 : g->org_days, g->hist_days,
                  (double)c->history / KM_KU_DAY_US, g->thin ? "true" : "false",
                  g->hindsight ? "true" : "false");
    km_finding_take_details(f, &b);
    km_hunt_emit(c->h, f);
}

/* ---- run ------------------------------------------------------------------------------ */

static int run(struct km_hunt *h, struct km_err *err)
{
    const struct km_conf *cf = km_hunt_conf(h);
    struct st c;
    memset(&c, 0, sizeof c);
    c.h = h;
    c.geo = km_hunt_geo(h);
    c.history = km_conf_dur_us(cf, "leaked_key.history");
    c.min_history = km_conf_dur_us(cf, "leaked_key.min_history");
    c.follow = km_conf_dur_us(cf, "leaked_key.follow");
    c.v4 = (int)km_conf_int(cf, "leaked_key.v4_prefix");
    c.v6 = (int)km_conf_int(cf, "leaked_key.v6_prefix");
    c.known_days = (int)km_conf_int(cf, "leaked_key.known_days");
    /* (not km_conf_list: detections run at the same time) */
    static const size_t maxi = 128;
    char toolbuf[4096], escbuf[8192];
    const char *tools[128], *esc[128];
    c.ntools = km_ku_conf_list(cf, "leaked_key.tool_agents", toolbuf, sizeof toolbuf, tools, maxi);
    c.nesc = km_ku_conf_list(cf, "leaked_key.escalation", escbuf, sizeof escbuf, esc, maxi);
    c.tools = tools;
    c.esc = esc;
    if (c.history < KM_KU_DAY_US)
        c.history = KM_KU_DAY_US;
    c.start[0] = km_ku_store_start(h, "aws");
    c.start[1] = km_ku_store_start(h, "gcp");
    km_ku_intern_init(&c.keys, 1u << 20, 64u << 20);
    km_ku_intern_init(&c.ipstr, 1u << 22, 128u << 20);
    km_ku_intern_init(&c.plats, 0xfff0, 1u << 20);
    km_ku_intern_init(&c.toolnames, 0x7ff0, 1u << 20);

    struct km_hscan sc;
    memset(&sc, 0, sizeof sc);
    sc.cond[0].field = KM_F_ACTOR_ACCESS_KEY;
    sc.cond[0].pred = pred_longterm;
    sc.ncond = 1;
    sc.row = row1;
    sc.ctx = &c;
    int rc = km_hunt_scan(h, &sc, err);
    if (rc == KM_OK && c.nt) {
        candidates(&c);
        if (c.ng) {
            /* evidence: the keys' calls in the windows (and the key's person) */
            const char **vals = km_xcalloc(c.ng + 1, sizeof *vals);
            int nv = 0;
            for (uint32_t kid = 1; kid < c.capk && kid <= c.keys.n; kid++)
                if (c.kgroup[kid])
                    vals[nv++] = km_ku_str(&c.keys, kid);
            memset(&sc, 0, sizeof sc);
            sc.cond[0].field = KM_F_ACTOR_ACCESS_KEY;
            sc.cond[0].vals = vals;
            sc.cond[0].nvals = nv;
            sc.ncond = 1;
            sc.row = row2;
            sc.ctx = &c;
            rc = km_hunt_scan(h, &sc, err);
            free(vals);
            /* the organisation's and the person's use of the new networks, and
             * of the new countries */
            size_t nq = 0;
            struct km_ku_orgq *q =
                km_xcalloc((size_t)c.ng * (MAX_GROUP_NETS + 1) + 1, sizeof *q);
            for (uint32_t i = 0; i < c.ng; i++) {
                struct group *g = &c.g[i];
                const char *key = km_ku_str(&c.keys, g->kid);
                for (int j = 0; j < g->nnets; j++)
                    q[nq++] = (struct km_ku_orgq){g->nets[j],
                                                  km_ku_str(&c.ipstr, c.ips[g->netip[j]].str),
                                                  g->day, key, 0, "", g->person, 0, g->hindsight};
                if (g->new_cc) {
                    q[nq] = (struct km_ku_orgq){0, NULL, g->day, key, 0, "", g->person, 0,
                                               g->hindsight};
                    ccstr(g->cc, q[nq].cc);
                    nq++;
                }
            }
            if (rc == KM_OK)
                rc = km_ku_org_days(h, q, nq, c.v4, c.v6, err);
            nq = 0;
            for (uint32_t i = 0; i < c.ng; i++) {
                struct group *g = &c.g[i];
                int person_knows = g->nnets > 0;
                for (int j = 0; j < g->nnets; j++, nq++) {
                    if (q[nq].days < g->org_days)
                        g->org_days = q[nq].days;
                    person_knows &= q[nq].pdays > 0;
                }
                g->person_known = person_knows;
                if (g->new_cc) {
                    /* a country the organisation or the person works from is no news:
                     * one earlier day of the organisation's own use is enough (a
                     * country is broad; its networks are judged by known_days) */
                    g->cc_org_days = q[nq].days;
                    if (q[nq].days >= 1 || q[nq].pdays > 0)
                        g->new_cc = 0;
                    nq++;
                }
            }
            free(q);
            for (uint32_t i = 0; i < c.ng; i++) {
                if (rc == KM_OK && c.g[i].nev)
                    emit(&c, &c.g[i]);
                else
                    km_finding_free(&c.g[i].f);
                km_strset_free(&c.g[i].followed);
            }
        }
    }
    if (c.terms_dropped || c.groups_dropped || c.keys.overflow || c.ipstr.overflow)
        km_log(1, "kumo hunt: leaked_key reached a memory cap (%llu terms, %llu findings, %llu "
                  "names not kept): some new uses may be missing\n",
               (unsigned long long)c.terms_dropped, (unsigned long long)c.groups_dropped,
               (unsigned long long)(c.keys.overflow + c.ipstr.overflow));
    for (uint32_t i = 0; i < c.nt; i++)
        free(c.t[i].d);
    for (uint32_t i = 0; i < c.capk; i++)
        free(c.k[i].terms);
    free(c.t);
    free(c.tab);
    free(c.k);
    free(c.ips);
    free(c.g);
    free(c.kgroup);
    km_ku_intern_free(&c.keys);
    km_ku_intern_free(&c.ipstr);
    km_ku_intern_free(&c.plats);
    km_ku_intern_free(&c.toolnames);
    km_ku_cmap_free(&c.cm_key);
    km_ku_cmap_free(&c.cm_ip);
    km_ku_cmap_free(&c.cm_ua);
    km_ku_cmap_free(&c.cm_cc);
    return rc;
}

const struct km_detection km_det_leaked_key = {
    .id = "leaked_key",
    .title = "Leaked long-term key",
    .technique = "T1078.004",
    .summary = "an AWS AKIA key or a GCP service-account key used from a network new for it "
               "(with a new client platform, country, attack tool; then privilege calls)",
    .providers = "aws,gcp",
    .conf = km_det_conf_leaked_key,
    .run = run,
};
