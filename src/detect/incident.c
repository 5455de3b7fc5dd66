/*
 * incident.c — grouping findings into incidents (finding.h).
 *
 * Two findings are tied when they name the same IP, person, access key,
 * identity or role and lie at most `gap` apart (the distance between their
 * windows, 0 when they overlap). Incidents are the connected components of
 * that relation (union-find over findings; entity values are hashed into a
 * table of the findings that name them). A finding that names many values of
 * one kind — the forty targets of a password spray — is not "about" each of
 * them: a kind with more than KM_TIE_MAX values in one finding does not tie
 * it (its source IP still does). Private, loopback and link-local addresses
 * are shared infrastructure and tie nothing, and so is a public address that
 * findings about three or more different persons (one each) name (an office's NAT, the
 * VPN's exit: the victims' usual side of an impossible journey).
 */
#include "detect/finding.h"

#include "core/hash.h"
#include "core/ip.h"
#include "core/timeparse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KM_TIE_MAX 8

static const int tie_kinds[] = {KM_ENT_IPS, KM_ENT_PERSONS, KM_ENT_ACCESS_KEYS,
                                KM_ENT_IDENTITIES, KM_ENT_ROLES};
static const char *const tie_words[] = {"ip", "person", "key", "identity", "role"};

static void incident_clear(struct km_incident *x)
{
    free(x->find);
    km_strset_free(&x->providers);
    km_strset_free(&x->ties);
    for (int k = 0; k < KM_ENT__N; k++)
        km_strset_free(&x->ent[k]);
}

static size_t uf_find(size_t *p, size_t x)
{
    while (p[x] != x) {
        p[x] = p[p[x]];
        x = p[x];
    }
    return x;
}

static int infra_ip(const char *s)
{
    uint8_t a[16];
    if (km_ip_parse(s, strlen(s), a, NULL) != KM_OK)
        return 0;
    static const char *const nets[] = {"10.0.0.0/8",  "172.16.0.0/12", "192.168.0.0/16",
                                       "127.0.0.0/8", "169.254.0.0/16", "100.64.0.0/10",
                                       "fc00::/7",    "fe80::/10",      "::1/128"};
    for (size_t i = 0; i < KM_ARRAY_LEN(nets); i++) {
        uint8_t n[16];
        int bits;
        if (km_ip_cidr_parse(nets[i], strlen(nets[i]), n, &bits) == KM_OK &&
            km_ip_in_net(a, n, bits))
            return 1;
    }
    return 0;
}

/* 1 when findings about one person each (not a spray's many targets) that
 * name ip are about three or more distinct persons. */
static int shared_ip(const struct km_finding *f, size_t n, int min_sev, const char *ip)
{
    struct km_strset who;
    memset(&who, 0, sizeof who);
    for (size_t i = 0; i < n && who.n < 3; i++) {
        if (f[i].severity < min_sev || f[i].ent[KM_ENT_PERSONS].n != 1 ||
            !km_strset_has(&f[i].ent[KM_ENT_IPS], ip))
            continue;
        km_strset_addc(&who, f[i].ent[KM_ENT_PERSONS].v[0]);
    }
    int shared = who.n >= 3;
    km_strset_free(&who);
    return shared;
}

static int64_t apart(const struct km_finding *a, const struct km_finding *b)
{
    if (a->last < b->first)
        return b->first - a->last;
    if (b->last < a->first)
        return a->first - b->last;
    return 0;
}

struct tie {
    uint64_t h;
    size_t finding;
    int kind;          /* index into tie_kinds */
    const char *value;
};

static int cmp_tie(const void *a, const void *b)
{
    const struct tie *x = a, *y = b;
    if (x->h != y->h)
        return x->h < y->h ? -1 : 1;
    return x->finding < y->finding ? -1 : x->finding > y->finding;
}

static uint64_t hash_val(int kind, const char *s)
{
    uint8_t md[32];
    struct km_sha256 c;
    km_sha256_init(&c);
    km_sha256_update(&c, &kind, sizeof kind);
    km_sha256_update(&c, s, strlen(s));
    km_sha256_final(&c, md);
    uint64_t h;
    memcpy(&h, md, 8);
    return h;
}

int km_incidents_build(const struct km_finding *f, size_t n, int min_sev, int64_t gap,
                       struct km_incident **out, size_t *nout)
{
    *out = NULL;
    *nout = 0;
    size_t *par = km_xmalloc((n + 1) * sizeof *par);
    for (size_t i = 0; i < n; i++)
        par[i] = i;
    /* every (value, finding) pair that may tie */
    size_t nt = 0, capt = 0;
    struct tie *t = NULL;
    for (size_t i = 0; i < n; i++) {
        if (f[i].severity < min_sev)
            continue;
        for (size_t k = 0; k < KM_ARRAY_LEN(tie_kinds); k++) {
            const struct km_strset *s = &f[i].ent[tie_kinds[k]];
            if (s->n > KM_TIE_MAX)
                continue;
            for (uint32_t j = 0; j < s->n; j++) {
                if (tie_kinds[k] == KM_ENT_IPS &&
                    (infra_ip(s->v[j]) || shared_ip(f, n, min_sev, s->v[j])))
                    continue;
                if (nt == capt) {
                    capt = capt ? 2 * capt : 64;
                    t = km_xrealloc(t, capt * sizeof *t);
                }
                t[nt++] = (struct tie){hash_val((int)k, s->v[j]), i, (int)k, s->v[j]};
            }
        }
    }
    if (nt > 1)
        qsort(t, nt, sizeof *t, cmp_tie);
    /* join findings that share a value and are close enough */
    for (size_t a = 0; a < nt;) {
        size_t b = a;
        while (b < nt && t[b].h == t[a].h)
            b++;
        for (size_t x = a; x < b; x++)
            for (size_t y = x + 1; y < b; y++) {
                if (strcmp(t[x].value, t[y].value) != 0 || t[x].kind != t[y].kind)
                    continue;
                if (apart(&f[t[x].finding], &f[t[y].finding]) > gap)
                    continue;
                size_t rx = uf_find(par, t[x].finding), ry = uf_find(par, t[y].finding);
                if (rx != ry)
                    par[rx > ry ? rx : ry] = rx < ry ? rx : ry;
            }
        a = b;
    }
    /* components, in order of their first finding (f is ordered by first) */
    size_t *comp = km_xmalloc((n + 1) * sizeof *comp);
    size_t ncomp = 0;
    struct km_incident *in = NULL;
    for (size_t i = 0; i < n; i++)
        comp[i] = SIZE_MAX;
    for (size_t i = 0; i < n; i++) {
        if (f[i].severity < min_sev)
            continue;
        size_t r = uf_find(par, i);
        if (comp[r] == SIZE_MAX) {
            comp[r] = ncomp++;
            in = km_xrealloc(in, ncomp * sizeof *in);
            memset(&in[ncomp - 1], 0, sizeof *in);
            in[ncomp - 1].first = INT64_MAX;
            in[ncomp - 1].last = INT64_MIN;
        }
        struct km_incident *x = &in[comp[r]];
        x->find = km_xrealloc(x->find, (x->nfind + 1) * sizeof *x->find);
        x->find[x->nfind++] = (uint32_t)i;
        if (f[i].first < x->first)
            x->first = f[i].first;
        if (f[i].last > x->last)
            x->last = f[i].last;
        if (f[i].severity > x->severity)
            x->severity = f[i].severity;
        for (int k = 0; k < KM_ENT__N; k++)
            for (uint32_t j = 0; j < f[i].ent[k].n; j++)
                km_strset_addc(&x->ent[k], f[i].ent[k].v[j]);
        for (uint32_t j = 0; j < f[i].nev; j++)
            km_strset_addc(&x->providers, f[i].ev[j].provider);
    }
    /* what tied each incident's findings */
    for (size_t a = 0; a < nt;) {
        size_t b = a;
        while (b < nt && t[b].h == t[a].h)
            b++;
        for (size_t x = a; x < b; x++)
            for (size_t y = x + 1; y < b; y++) {
                if (strcmp(t[x].value, t[y].value) != 0 || t[x].kind != t[y].kind ||
                    t[x].finding == t[y].finding ||
                    apart(&f[t[x].finding], &f[t[y].finding]) > gap)
                    continue;
                struct km_incident *inc = &in[comp[uf_find(par, t[x].finding)]];
                char w[600];
                snprintf(w, sizeof w, "%s %s", tie_words[t[x].kind], t[x].value);
                km_strset_addc(&inc->ties, w);
            }
        a = b;
    }
    /* keep groups of two or more, and high findings alone */
    size_t keep = 0;
    for (size_t i = 0; i < ncomp; i++) {
        struct km_incident *x = &in[i];
        if (x->nfind < 2 && x->severity < KM_SEV_HIGH) {
            incident_clear(x);
            continue;
        }
        if (x->providers.n >= 2 && x->severity < KM_SEV_CRITICAL)
            x->severity++;
        const struct km_finding *f0 = &f[x->find[0]];
        uint8_t md[32];
        km_sha256(f0->id, strlen(f0->id), md);
        x->id[0] = 'I';
        x->id[1] = '-';
        km_hex(md, 6, x->id + 2);
        x->id[14] = 0;
        km_strset_sort(&x->providers);
        km_strset_sort(&x->ties);
        for (int k = 0; k < KM_ENT__N; k++)
            km_strset_sort(&x->ent[k]);
        /* summary */
        char dets[256] = "", prov[64] = "", ties[200] = "";
        for (uint32_t j = 0; j < x->nfind; j++) {
            const char *d = f[x->find[j]].detection;
            if (!strstr(dets, d) && strlen(dets) + strlen(d) + 3 < sizeof dets)
                snprintf(dets + strlen(dets), sizeof dets - strlen(dets), "%s%s",
                         dets[0] ? ", " : "", d);
        }
        for (uint32_t j = 0; j < x->providers.n; j++)
            snprintf(prov + strlen(prov), sizeof prov - strlen(prov), "%s%s", j ? ", " : "",
                     x->providers.v[j]);
        for (uint32_t j = 0; j < x->ties.n && j < 3; j++)
            snprintf(ties + strlen(ties), sizeof ties - strlen(ties), "%s%s", j ? ", " : "",
                     x->ties.v[j]);
        char t1[32];
        km_time_fmt(x->first, t1);
        if (x->nfind == 1)
            snprintf(x->summary, sizeof x->summary, "%s", f0->summary);
        else
            snprintf(x->summary, sizeof x->summary,
                     "%u findings in %s from %s (%s), tied by %s", x->nfind,
                     prov[0] ? prov : "one provider", t1, dets, ties[0] ? ties : "shared entities");
        in[keep++] = *x;
    }
    free(t);
    free(par);
    free(comp);
    if (!keep) {
        free(in);
        in = NULL;
    }
    *out = in;
    *nout = keep;
    return KM_OK;
}

void km_incidents_free(struct km_incident *in, size_t n)
{
    for (size_t i = 0; i < n; i++)
        incident_clear(&in[i]);
    free(in);
}
