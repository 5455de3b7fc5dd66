/*
 * det_newloc.c — new_location: a person seen from a country, or a network
 * (ASN), never seen for them before in their own history
 * (docs/detections/new_location.md).
 *
 * Uses the located runs of travel.h (the same places impossible_travel
 * judges: the provider's geolocation wins, else the geo database). Walking a
 * person's runs in time order, a run is new when its country (or ASN) was
 * not seen in any earlier run of theirs, and only once the person has at
 * least `new_location.history` of history before it: persons first seen
 * recently get nothing. A new country is medium, a new network in a known
 * country low; high when the run is a side of an impossible journey or its
 * sign-in follows failed credential checks from the same address (within
 * `new_location.failures_before`); low at most for organisation egress
 * placed by the database only; VPN / relay networks never count.
 */
#include "detect/travel.h"

#include "core/conf.h"
#include "detect/finding.h"
#include "json/json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct km_conf_key km_det_conf_new_location[] = {
    {"new_location.history", KM_CONF_DUR, "14d",
     "a place is new only when the person has at least this much history before it"},
    {"new_location.asn", KM_CONF_BOOL, "true",
     "also report a new network (ASN) in a known country, at low"},
    {"new_location.failures_before", KM_CONF_DUR, "24h",
     "failed credential checks from the address this long before a first sign-in make it high"},
    {NULL, 0, NULL, NULL},
};

struct ctx {
    struct km_hunt *h;
    struct km_tv_data *d;
    struct km_tv_run *runs;
    uint8_t *travel;           /* per run: a side of an impossible journey (medium+) */
};

static void mark(void *vctx, const struct km_tv_obs *a, const struct km_tv_obs *b,
                 const struct km_tv_judgement *j)
{
    struct ctx *c = vctx;
    if (j->sev >= KM_SEV_MEDIUM)
        c->travel[a->tag] = c->travel[b->tag] = 1;
}

struct known {
    char cc[32][3];
    uint32_t ncc;
    uint32_t asn[32];
    uint32_t nasn;
    uint64_t more_cc, more_asn;   /* seen beyond the lists' room */
};

static int known_cc(const struct known *k, const char *cc, int *full)
{
    for (uint32_t i = 0; i < k->ncc; i++)
        if (!strcmp(k->cc[i], cc))
            return 1;
    *full = k->ncc == 32;
    return 0;
}

static void emit(struct ctx *c, const struct km_tv_obs *o, const struct known *k, int64_t pfirst,
                 int is_country, const struct km_tv_conf *cf, int64_t fail_window)
{
    const struct km_tv_run *r = &c->runs[o->tag];
    const char *who = km_tv_person_email(c->h, r->person);
    const char *ip = km_tv_ip(c->d, r->ip);
    const struct km_geo_rec *g = km_tv_ip_geo(c->d, r->ip);
    int64_t ff, fl;
    uint32_t nfail = km_tv_failures(c->d, r->person, r->ip, &ff, &fl);
    int fail_then_ok = nfail && r->kind == KM_TV_K_LOGIN && ff <= r->first &&
                       r->first - ff <= fail_window;
    struct km_finding f;
    km_finding_init(&f);
    f.detection = "new_location";
    f.technique = "T1078";
    f.severity = is_country ? KM_SEV_MEDIUM : KM_SEV_LOW;
    const char *raised = "";
    if (c->travel[o->tag]) {
        f.severity = KM_SEV_HIGH;
        raised = "; it is a side of an impossible journey";
    } else if (fail_then_ok) {
        f.severity = KM_SEV_HIGH;
        raised = "; the sign-in followed failed attempts from the same address";
    }
    if ((o->flags & KM_TV_SHARED) && f.severity > KM_SEV_LOW) {
        f.severity = KM_SEV_LOW;
        raised = "; an address many colleagues use, placed by the database only";
    }
    km_finding_window(&f, r->first);
    if (is_country)
        snprintf(f.key, sizeof f.key, "%s|country|%s", who, o->cc);
    else
        snprintf(f.key, sizeof f.key, "%s|asn|%u", who, o->asn);
    km_hunt_add_evidence(c->h, &f, r->ref_first);
    for (size_t i = 0; i < f.nev; i++)
        if (f.ev[i].actor[0])
            km_strset_addc(&f.ent[KM_ENT_IDENTITIES], f.ev[i].actor);
    if (*who)
        km_strset_addc(&f.ent[KM_ENT_PERSONS], who);
    km_strset_addc(&f.ent[KM_ENT_IPS], ip);
    if (o->cc[0])
        km_strset_addc(&f.ent[KM_ENT_COUNTRIES], o->cc);
    const char *acct = km_tv_account(c->d, r->acct);
    if (*acct)
        km_strset_addc(&f.ent[KM_ENT_ACCOUNTS], acct);

    char place[160], t[32], days[32], net[160] = "", knowns[200] = "";
    km_tv_place_name(c->d, r, place, sizeof place);
    km_tv_time(r->first, t);
    double nd = floor((double)(r->first - pfirst) / 86400e6);
    snprintf(days, sizeof days, "%.0f day%s", nd, nd == 1 ? "" : "s");
    if (o->asn)
        snprintf(net, sizeof net, ", AS%u%s%s", o->asn, g->as_org && *g->as_org ? " " : "",
                 g->as_org ? g->as_org : "");
    size_t w = 0;
    if (is_country)
        for (uint32_t i = 0; i < k->ncc && w < sizeof knowns; i++)
            w += (size_t)snprintf(knowns + w, sizeof knowns - w, "%s%s", i ? ", " : "", k->cc[i]);
    else
        for (uint32_t i = 0; i < k->nasn && i < 8 && w < sizeof knowns; i++)
            w += (size_t)snprintf(knowns + w, sizeof knowns - w, "%sAS%u", i ? ", " : "",
                                  k->asn[i]);
    if (!is_country && k->nasn > 8 && w < sizeof knowns)
        snprintf(knowns + w, sizeof knowns - w, " and %u more", k->nasn - 8);
    if (is_country)
        snprintf(f.summary, sizeof f.summary,
                 "%s was seen from %s for the first time at %s (%s%s, %s), after %s of "
                 "history seen only from %s%s.",
                 who, place, t, ip, net, km_tv_what(c->d, r, r->first), days, knowns[0] ? knowns : "nowhere",
                 raised);
    else
        snprintf(f.summary, sizeof f.summary,
                 "%s was seen from network AS%u%s%s for the first time at %s (%s in %s, %s), "
                 "after %s of history on %s%s.",
                 who, o->asn, g->as_org && *g->as_org ? " " : "", g->as_org ? g->as_org : "", t,
                 ip, place, km_tv_what(c->d, r, r->first), days, knowns[0] ? knowns : "no known network",
                 raised);

    struct km_buf b;
    km_buf_init(&b, 1 << 16);
    km_buf_printf(&b, "{\"new\":\"%s\",\"sighting\":", is_country ? "country" : "asn");
    km_tv_obs_json(c->h, c->d, r, r->first, &b);
    km_buf_adds(&b, ",\"known_countries\":[");
    for (uint32_t i = 0; i < k->ncc; i++)
        km_buf_printf(&b, "%s\"%s\"", i ? "," : "", k->cc[i]);
    km_buf_adds(&b, "],\"known_asns\":[");
    for (uint32_t i = 0; i < k->nasn; i++)
        km_buf_printf(&b, "%s%u", i ? "," : "", k->asn[i]);
    km_buf_printf(&b, "],\"history_days\":%.0f,\"history_min_days\":%.0f,\"failures_before\":%u,"
                      "\"side_of_impossible_travel\":%s}",
                  nd, (double)cf->p.history_us / 86400e6, fail_then_ok ? nfail : 0,
                  c->travel[o->tag] ? "true" : "false");
    if (!b.oom) {
        f.details = km_xmalloc(b.n + 1);
        memcpy(f.details, b.p, b.n);
        f.details[b.n] = 0;
    }
    km_buf_free(&b);
    km_hunt_emit(c->h, &f);
}

static int run(struct km_hunt *h, struct km_err *err)
{
    struct km_tv_conf cf;
    km_tv_conf_read(h, &cf);
    int want_asn = km_conf_bool(km_hunt_conf(h), "new_location.asn");
    int64_t fail_window = km_conf_dur_us(km_hunt_conf(h), "new_location.failures_before");
    struct km_tv_data *d;
    int rc = km_tv_collect(h, &cf, &d, err);
    if (rc == KM_OK) {
        size_t n;
        struct km_tv_run *runs = km_tv_runs(d, &n);
        size_t most = 0; /* the most runs of one person: the walk's array */
        for (size_t i = 0, k; i < n; i = k) {
            for (k = i; k < n && runs[k].person == runs[i].person; k++)
                ;
            if (k - i > most)
                most = k - i;
        }
        struct km_tv_obs *obs = km_xmalloc((most + 1) * sizeof *obs);
        struct ctx c = {h, d, runs, km_xcalloc(n + 1, 1)};
        for (size_t i = 0; i < n;) {
            size_t e = i, m = 0;
            for (; e < n && runs[e].person == runs[i].person; e++)
                if (km_tv_obs_of(d, &runs[e], &obs[m]))
                    obs[m++].tag = (uint32_t)e;
            km_tv_sort(obs, m);
            int64_t pfirst = km_tv_person_first(d, runs[i].person);
            km_tv_walk(&cf.p, obs, m, pfirst, mark, &c);
            struct known k;
            memset(&k, 0, sizeof k);
            for (size_t x = 0; x < m; x++) {
                const struct km_tv_obs *o = &obs[x];
                if (o->flags & KM_TV_VPN)
                    continue;
                if (o->new_country)
                    emit(&c, o, &k, pfirst, 1, &cf, fail_window);
                else if (o->new_asn && want_asn)
                    emit(&c, o, &k, pfirst, 0, &cf, fail_window);
                int full = 0;
                if (o->cc[0] && !known_cc(&k, o->cc, &full)) {
                    if (!full)
                        memcpy(k.cc[k.ncc++], o->cc, 3);
                    else
                        k.more_cc++;
                }
                if (o->asn) {
                    uint32_t q = 0;
                    while (q < k.nasn && k.asn[q] != o->asn)
                        q++;
                    if (q == k.nasn) {
                        if (k.nasn < 32)
                            k.asn[k.nasn++] = o->asn;
                        else
                            k.more_asn++;
                    }
                }
            }
            i = e;
        }
        free(c.travel);
        free(obs);
    }
    km_tv_free(d);
    return rc;
}

const struct km_detection km_det_new_location = {
    .id = "new_location",
    .title = "New location",
    .technique = "T1078",
    .summary = "a person seen from a country or network never seen for them in at least "
               "new_location.history of their own history",
    .providers = "aws,azure,gcp,m365,workspace",
    .conf = km_det_conf_new_location,
    .run = run,
};
