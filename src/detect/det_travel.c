/*
 * det_travel.c — impossible_travel: one person seen in two places, by any
 * provider, further apart than anyone could travel in the time between
 * (docs/detections/impossible_travel.md).
 *
 * The person's located runs (travel.h: sign-ins and API calls, collapsed per
 * address) are walked in time order; each is compared with the earlier ones
 * within `lookback`. A journey is impossible when its conservative distance
 * (great-circle distance minus both places' uncertainty radii) is at least
 * `min_km` and that distance over the proven time between the two closest
 * rows is above `max_kmh`. Severity: medium; high when the later side starts
 * with an interactive sign-in or either side is a country new for the person
 * (after `new_location.history`); one step lower when a side is a cloud
 * network the person used before; low for organisation egress placed by the
 * database only, and for GeoIP noise; info through VPN / relay networks.
 * Journeys between the same two addresses on one day are one finding.
 */
#include "detect/travel.h"

#include "core/conf.h"
#include "detect/finding.h"
#include "json/json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct km_conf_key km_det_conf_impossible_travel[] = {
    {"impossible_travel.max_kmh", KM_CONF_NUM, "900",
     "faster than this (km/h, conservative distance over proven time) is impossible"},
    {"impossible_travel.min_km", KM_CONF_NUM, "500",
     "and the conservative distance must be at least this (km)"},
    {"impossible_travel.noise_km", KM_CONF_NUM, "50",
     "closer than this (km) within noise_window is GeoIP noise: never above low"},
    {"impossible_travel.noise_window", KM_CONF_DUR, "10m", "see noise_km"},
    {"impossible_travel.lookback", KM_CONF_DUR, "24h",
     "each sighting is compared with the person's earlier ones within this"},
    {"impossible_travel.vpn_asns", KM_CONF_LIST, "AS22351, AS14593, AS36183",
     "VPN / relay / satellite networks (e.g. AS22351 Intelsat): journeys through them are info"},
    {"impossible_travel.cloud_asns", KM_CONF_LIST,
     "AS16509, AS14618, AS8075, AS8068, AS8069, AS15169, AS396982, AS19527",
     "cloud provider networks (AWS, Microsoft, Google): one step lower when the person used "
     "the same one before"},
    {"impossible_travel.shared_persons", KM_CONF_INT, "5",
     "an address used by at least this many persons is organisation egress; placed by the "
     "database only, its journeys stay low (0: off)"},
    {"impossible_travel.provider_radius_km", KM_CONF_NUM, "100",
     "uncertainty (km) of a provider's own coordinates (Entra geoCoordinates), which place "
     "its sign-ins at city level"},
    {"impossible_travel.non_interactive", KM_CONF_BOOL, "true",
     "count non-interactive sign-ins (token refreshes) as sightings"},
    {NULL, 0, NULL, NULL},
};

/* Journeys between the same two addresses of one person on one day are one
 * finding: they are gathered per person (the best journey names the finding,
 * up to KEEP of them are its evidence) and emitted once. */
#define KEEP 8

struct pend {
    char key[256];
    struct km_tv_judgement best;
    struct km_tv_obs oa, ob;       /* its two sides, as the walk saw them */
    uint32_t a, b;                 /* runs of the best journey */
    uint32_t pa[KEEP], pb[KEEP];   /* runs of the journeys kept */
    int64_t ta[KEEP], tb[KEEP];
    uint32_t n;
    uint64_t count;                /* journeys in all */
    double fastest;                /* km/h, of all */
    int64_t closest;               /* the shortest gap of all, µs */
};

struct ctx {
    struct km_hunt *h;
    struct km_tv_data *d;
    struct km_tv_run *runs;
    const struct km_tv_conf *c;
    struct pend *p;
    size_t np, capp;
};

static void add_ent(struct km_finding *f, int e, const char *s)
{
    if (s && *s)
        km_strset_addc(&f->ent[e], s);
}

static void journey_key(struct ctx *c, const struct km_tv_run *ra, const struct km_tv_run *rb,
                        int64_t tb, char *key, size_t cap)
{
    const char *ipa = km_tv_ip(c->d, ra->ip), *ipb = km_tv_ip(c->d, rb->ip);
    char day[32];
    km_tv_time(tb, day);
    int lo = strcmp(ipa, ipb) < 0;
    snprintf(key, cap, "%s|%s|%s|%.10s", km_tv_person_email(c->h, rb->person), lo ? ipa : ipb,
             lo ? ipb : ipa, day);
}

/* One side of a journey for the summary. prev: the other side's time text,
 * to leave out a repeated date. */
static void side_text(struct ctx *c, const struct km_tv_run *r, const struct km_tv_obs *o,
                      const char *place, const char *ip, int outer, int64_t t,
                      const char *prev, char *out, size_t cap)
{
    char t1[32], t2[32], g[32];
    if (outer) {
        km_tv_time(r->first, t1);
        km_tv_time(r->last, t2);
        km_tv_dur(o->maxgap_us, g, sizeof g);
        snprintf(out, cap, "in %s (%s, %s) from %s to %s, seen at least every %s,", place, ip,
                 km_tv_what(c->d, r, r->first), prev && !memcmp(prev, t1, 10) ? t1 + 11 : t1,
                 !memcmp(t1, t2, 10) ? t2 + 11 : t2, g);
    } else {
        km_tv_time(t, t1);
        snprintf(out, cap, "in %s (%s, %s) at %s", place, ip, km_tv_what(c->d, r, t),
                 prev && !memcmp(prev, t1, 10) ? t1 + 11 : t1);
    }
}

static void note(void *vctx, const struct km_tv_obs *a, const struct km_tv_obs *b,
                 const struct km_tv_judgement *j)
{
    struct ctx *c = vctx;
    char key[256];
    journey_key(c, &c->runs[a->tag], &c->runs[b->tag], j->tb, key, sizeof key);
    struct pend *p = NULL;
    for (size_t i = 0; i < c->np && !p; i++)
        if (!strcmp(c->p[i].key, key))
            p = &c->p[i];
    if (!p) {
        if (c->np == c->capp) {
            c->capp = c->capp ? 2 * c->capp : 16;
            c->p = km_xrealloc(c->p, c->capp * sizeof *c->p);
        }
        p = &c->p[c->np++];
        memset(p, 0, sizeof *p);
        snprintf(p->key, sizeof p->key, "%s", key);
    }
    /* the finding is named after its first journey of the highest severity:
     * the onset, as an investigator reads it */
    if (j->kmh > p->fastest)
        p->fastest = j->kmh;
    if (!p->count || j->gap_us < p->closest)
        p->closest = j->gap_us;
    if (!p->count || j->sev > p->best.sev) {
        p->best = *j;
        p->oa = *a;
        p->ob = *b;
        p->a = a->tag;
        p->b = b->tag;
    }
    if (p->n < KEEP) {
        p->pa[p->n] = a->tag;
        p->pb[p->n] = b->tag;
        p->ta[p->n] = j->ta;
        p->tb[p->n] = j->tb;
        p->n++;
    }
    p->count++;
}

static void emit(struct ctx *c, const struct pend *p)
{
    const struct km_tv_judgement *j = &p->best;
    const struct km_tv_run *ra = &c->runs[p->a], *rb = &c->runs[p->b];
    const struct km_tv_obs *a = &p->oa, *b = &p->ob;
    const char *who = km_tv_person_email(c->h, rb->person);
    const char *ipa = km_tv_ip(c->d, ra->ip), *ipb = km_tv_ip(c->d, rb->ip);
    struct km_finding f;
    km_finding_init(&f);
    f.detection = "impossible_travel";
    f.technique = "T1078";
    f.severity = j->sev;
    snprintf(f.key, sizeof f.key, "%s", p->key);
    for (uint32_t k = 0; k < p->n; k++) {
        const struct km_tv_run *xa = &c->runs[p->pa[k]], *xb = &c->runs[p->pb[k]];
        km_finding_window(&f, p->ta[k]);
        km_finding_window(&f, p->tb[k]);
        km_hunt_add_evidence(c->h, &f, km_tv_ref_at(xa, p->ta[k]));
        km_hunt_add_evidence(c->h, &f, km_tv_ref_at(xb, p->tb[k]));
        add_ent(&f, KM_ENT_ACCOUNTS, km_tv_account(c->d, xa->acct));
        add_ent(&f, KM_ENT_ACCOUNTS, km_tv_account(c->d, xb->acct));
    }
    for (size_t k = 0; k < f.nev; k++)
        add_ent(&f, KM_ENT_IDENTITIES, f.ev[k].actor);
    add_ent(&f, KM_ENT_PERSONS, who);
    add_ent(&f, KM_ENT_IPS, ipa);
    add_ent(&f, KM_ENT_IPS, ipb);
    add_ent(&f, KM_ENT_COUNTRIES, a->cc);
    add_ent(&f, KM_ENT_COUNTRIES, b->cc);

    char pa[160], pb[160], ta[32], tb[32], km[32], mkm[32], kmh[32], dur[48];
    km_tv_place_name(c->d, ra, pa, sizeof pa);
    km_tv_place_name(c->d, rb, pb, sizeof pb);
    km_tv_time(j->ta, ta);
    km_tv_time(j->tb, tb);
    km_tv_num(j->km, km, sizeof km);
    km_tv_num(j->min_km, mkm, sizeof mkm);
    km_tv_num(j->kmh, kmh, sizeof kmh);
    km_tv_dur(j->gap_us, dur + (j->within ? 8 : 0), sizeof dur - 8);
    if (j->within)
        memcpy(dur, "at most ", 8);
    char dist[96];
    if (j->km - j->min_km >= 1)
        snprintf(dist, sizeof dist, "%s km apart (at least %s km)", km, mkm);
    else
        snprintf(dist, sizeof dist, "%s km apart", km);
    char why[300] = "";
    size_t w = 0;
    if (j->why & KM_TV_R_VPN)
        w += (size_t)snprintf(why + w, sizeof why - w, "; through a VPN or relay network");
    if ((j->why & KM_TV_R_NEWCC) && w < sizeof why)
        w += (size_t)snprintf(why + w, sizeof why - w, "; a country new for them");
    if ((j->why & KM_TV_R_LOGIN) && w < sizeof why)
        w += (size_t)snprintf(why + w, sizeof why - w, "; the second starts with a sign-in");
    if ((j->why & KM_TV_R_CLOUD) && w < sizeof why)
        w += (size_t)snprintf(why + w, sizeof why - w,
                              "; a cloud network (AS%u) they used before",
                              (a->flags & KM_TV_CLOUD) && a->cloud_known ? a->asn : b->asn);
    if ((j->why & KM_TV_R_SHARED) && w < sizeof why)
        w += (size_t)snprintf(why + w, sizeof why - w,
                              "; an address many colleagues use, placed by the database only");
    if ((j->why & KM_TV_R_NOISE) && w < sizeof why)
        w += (size_t)snprintf(why + w, sizeof why - w, "; close enough to be GeoIP noise");
    char close[32];
    km_tv_dur(p->closest, close, sizeof close);
    if (p->count > 1 && w < sizeof why)
        snprintf(why + w, sizeof why - w,
                 "; %llu journeys between the two that day, the closest %s apart",
                 (unsigned long long)p->count, close);
    /* each side: "in PLACE (IP, what) at T", or, for the run whose rows
     * bound the time (the runs interleave), "from T1 to T2, seen at least
     * every G" */
    int a_outer = 0, b_outer = 0;
    if (j->within) {
        int b_in_a = (b->first > a->first && b->first < a->last) ||
                     (b->last > a->first && b->last < a->last);
        a_outer = b_in_a && a->maxgap_us / 2 == j->gap_us;
        b_outer = !a_outer;
    }
    char sa[400], sb[400];
    side_text(c, ra, a, pa, ipa, a_outer, j->ta, NULL, sa, sizeof sa);
    side_text(c, rb, b, pb, ipb, b_outer, j->tb, ta, sb, sizeof sb);
    if (j->within)
        snprintf(f.summary, sizeof f.summary, "%s was %s and %s: %s, a sighting within %s of "
                 "the other (%s km/h)%s.", who, sa, sb, dist, dur + 8, kmh, why);
    else
        snprintf(f.summary, sizeof f.summary, "%s was %s and %s: %s in %s (%s km/h)%s.", who,
                 sa, sb, dist, dur, kmh, why);

    struct km_buf bd;
    km_buf_init(&bd, 1 << 16);
    km_buf_adds(&bd, "{\"from\":");
    km_tv_obs_json(c->h, c->d, ra, j->ta, &bd);
    km_buf_adds(&bd, ",\"to\":");
    km_tv_obs_json(c->h, c->d, rb, j->tb, &bd);
    km_buf_printf(&bd,
                  ",\"distance_km\":%.0f,\"min_distance_km\":%.0f,\"seconds\":%lld,"
                  "\"seconds_at_most\":%s,\"speed_kmh\":%.0f,\"fastest_kmh\":%.0f,"
                  "\"journeys\":%llu,"
                  "\"max_kmh\":%g,\"min_km\":%g,\"reasons\":[",
                  j->km, j->min_km, (long long)(j->gap_us / 1000000),
                  j->within ? "true" : "false", j->kmh, p->fastest,
                  (unsigned long long)p->count, c->c->p.max_kmh, c->c->p.min_km);
    static const struct {
        unsigned bit;
        const char *name;
    } rs[] = {{KM_TV_R_LOGIN, "sign-in"},       {KM_TV_R_NEWCC, "new-country"},
              {KM_TV_R_CLOUD, "known-cloud"},   {KM_TV_R_SHARED, "organisation-egress"},
              {KM_TV_R_NOISE, "geoip-noise"},   {KM_TV_R_VPN, "vpn-relay"}};
    int first = 1;
    for (size_t k = 0; k < KM_ARRAY_LEN(rs); k++)
        if (j->why & rs[k].bit) {
            km_buf_printf(&bd, "%s\"%s\"", first ? "" : ",", rs[k].name);
            first = 0;
        }
    km_buf_adds(&bd, "]}");
    if (!bd.oom) {
        f.details = km_xmalloc(bd.n + 1);
        memcpy(f.details, bd.p, bd.n);
        f.details[bd.n] = 0;
    }
    km_buf_free(&bd);
    km_hunt_emit(c->h, &f);
}

static int run(struct km_hunt *h, struct km_err *err)
{
    struct km_tv_conf cf;
    km_tv_conf_read(h, &cf);
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
        struct ctx c = {h, d, runs, &cf, NULL, 0, 0};
        for (size_t i = 0; i < n;) {
            size_t k = i, m = 0;
            for (; k < n && runs[k].person == runs[i].person; k++)
                if (km_tv_obs_of(d, &runs[k], &obs[m]))
                    obs[m++].tag = (uint32_t)k;
            km_tv_sort(obs, m);
            c.np = 0;
            km_tv_walk(&cf.p, obs, m, km_tv_person_first(d, runs[i].person), note, &c);
            for (size_t q = 0; q < c.np; q++)
                emit(&c, &c.p[q]);
            i = k;
        }
        free(obs);
        free(c.p);
        uint64_t rows;
        size_t nr;
        km_tv_stats(d, &rows, &nr);
        km_log(2, "impossible_travel: %llu rows with an address, %zu runs of persons", (unsigned long long)rows, nr);
    }
    km_tv_free(d);
    return rc;
}

const struct km_detection km_det_impossible_travel = {
    .id = "impossible_travel",
    .title = "Impossible travel",
    .technique = "T1078",
    .summary = "one person seen in two places (sign-ins and API calls, any provider) too far "
               "apart for the time between",
    .providers = "aws,azure,gcp,m365,workspace",
    .conf = km_det_conf_impossible_travel,
    .run = run,
};
