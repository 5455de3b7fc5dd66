/*
 * geo.c — IP enrichment without a network (geo.h): address classes, the
 * database list (MMDB files, then the built-in kgeo), field-by-field merging
 * of their answers, a bounded thread-safe answer cache, distances.
 *
 * Merging: the place (country, city, point, radius) comes from the first
 * database that knows the address's country; a later one may add a city or
 * point only for that same country. The AS (number, organisation) comes
 * from the first database that knows the number. A country-level answer
 * without a point gets the country's reference point and radius from the
 * built-in data.
 *
 * Cache: 16 shards, each an open-addressed table of up to 4096 answers
 * under its own mutex; a shard that fills is emptied (answers are cheap to
 * recompute, and memory stays bounded: KM_GEO_CACHE_MAX answers).
 * Strings of MMDB answers are interned into a pool owned by the handle
 * (bounded at 32 MiB; past that they read "").
 */
#include "geo/geo.h"

#include "core/conf.h"
#include "core/ip.h"
#include "geo/kgeo.h"
#include "geo/mmdb.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- classes ------------------------------------------------------------- */

static const char *const class_names[KM_GEO__NCLASS] = {
    [KM_GEO_PUBLIC] = "public",         [KM_GEO_PRIVATE] = "private",
    [KM_GEO_LOOPBACK] = "loopback",     [KM_GEO_LINK_LOCAL] = "link-local",
    [KM_GEO_CGNAT] = "cgnat",           [KM_GEO_DOCUMENTATION] = "documentation",
    [KM_GEO_MULTICAST] = "multicast",   [KM_GEO_RESERVED] = "reserved",
    [KM_GEO_CLOUD_INTERNAL] = "cloud-internal",
};

const char *km_geo_class_name(int cls)
{
    return cls >= 0 && cls < KM_GEO__NCLASS ? class_names[cls] : "?";
}

struct range4 {
    uint32_t net;
    uint8_t bits;
    uint8_t cls;
};

/* Most specific first where ranges nest. */
static const struct range4 special4[] = {
    {0x00010000, 24, KM_GEO_CLOUD_INTERNAL}, /* 0.1.0.0/24: GCP audit logs' Google-internal callers */
    {0x00000000, 8, KM_GEO_RESERVED},        /* "this network" */
    {0x0A000000, 8, KM_GEO_PRIVATE},
    {0x64400000, 10, KM_GEO_CGNAT},
    {0x7F000000, 8, KM_GEO_LOOPBACK},
    {0xA83F8110, 32, KM_GEO_CLOUD_INTERNAL}, /* 168.63.129.16: Azure platform (WireServer) */
    {0xA9FE0000, 16, KM_GEO_LINK_LOCAL},     /* incl. 169.254.169.254, the metadata services */
    {0xAC100000, 12, KM_GEO_PRIVATE},
    {0xC0000200, 24, KM_GEO_DOCUMENTATION},  /* TEST-NET-1 */
    {0xC0000000, 24, KM_GEO_RESERVED},       /* IETF protocol assignments */
    {0xC0586300, 24, KM_GEO_RESERVED},       /* 6to4 relay anycast (deprecated) */
    {0xC0A80000, 16, KM_GEO_PRIVATE},
    {0xC6120000, 15, KM_GEO_RESERVED},       /* benchmarking */
    {0xC6336400, 24, KM_GEO_DOCUMENTATION},  /* TEST-NET-2 */
    {0xCB007100, 24, KM_GEO_DOCUMENTATION},  /* TEST-NET-3 */
    {0xE0000000, 4, KM_GEO_MULTICAST},
    {0xF0000000, 4, KM_GEO_RESERVED},        /* incl. 255.255.255.255 */
};

static int class4(uint32_t x)
{
    for (size_t i = 0; i < KM_ARRAY_LEN(special4); i++) {
        uint32_t mask = special4[i].bits ? ~0u << (32 - special4[i].bits) : 0;
        if ((x & mask) == special4[i].net)
            return special4[i].cls;
    }
    return KM_GEO_PUBLIC;
}

int km_geo_classify(const uint8_t a[16])
{
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    static const uint8_t nat64[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
    if (memcmp(a, mapped, 12) == 0 || memcmp(a, nat64, 12) == 0)
        return class4((uint32_t)a[12] << 24 | (uint32_t)a[13] << 16 | (uint32_t)a[14] << 8 | a[15]);
    int zero = 1;
    for (int i = 0; i < 15; i++)
        zero &= a[i] == 0;
    if (zero)
        return a[15] == 1 ? KM_GEO_LOOPBACK : KM_GEO_RESERVED; /* ::1, :: and ::/120 */
    if (a[0] == 0xff)
        return KM_GEO_MULTICAST;
    if ((a[0] & 0xfe) == 0xfc)
        return KM_GEO_PRIVATE;                              /* fc00::/7 unique local */
    if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)
        return KM_GEO_LINK_LOCAL;                           /* fe80::/10 */
    if (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x0d && a[3] == 0xb8)
        return KM_GEO_DOCUMENTATION;                        /* 2001:db8::/32 */
    if (a[0] == 0x3f && a[1] == 0xff && (a[2] & 0xf0) == 0)
        return KM_GEO_DOCUMENTATION;                        /* 3fff::/20 (RFC 9637) */
    if (a[0] == 0x20 && a[1] == 0x01 && a[2] < 0x02)
        return KM_GEO_RESERVED;                             /* 2001::/23 IETF protocols */
    if ((a[0] & 0xe0) != 0x20)
        return KM_GEO_RESERVED;                             /* outside 2000::/3 */
    return KM_GEO_PUBLIC;
}

static int ends_with_ci(const char *s, size_t n, const char *suf)
{
    size_t k = strlen(suf);
    return n >= k && strncasecmp(s + n - k, suf, k) == 0;
}

static int eq_ci(const char *s, size_t n, const char *w)
{
    return strlen(w) == n && strncasecmp(s, w, n) == 0;
}

int km_geo_label_raw(const char *raw, size_t n)
{
    if (!raw)
        return KM_GEO_PUBLIC;
    while (n && isspace((unsigned char)raw[n - 1]))
        n--;
    while (n && isspace((unsigned char)*raw)) {
        raw++;
        n--;
    }
    static const char *const exact[] = {
        "AWS Internal",    /* CloudTrail: calls made by AWS on a customer's behalf */
        "private",         /* GCP: a caller on a private (VPC) address */
        "gce-internal-ip", /* GCP: a Compute Engine internal caller */
        "AzureInternal",
    };
    for (size_t i = 0; i < KM_ARRAY_LEN(exact); i++)
        if (eq_ci(raw, n, exact[i]))
            return KM_GEO_CLOUD_INTERNAL;
    /* service names in place of an address */
    static const char *const suffix[] = {
        ".amazonaws.com", ".amazonaws.com.cn", ".amazon.com", /* CloudTrail: "ec2.amazonaws.com" */
        ".googleapis.com", ".google.com",                     /* GCP */
        ".azure.com", ".windows.net", ".microsoft.com",       /* Azure */
        ".microsoftonline.com",
    };
    if (memchr(raw, '.', n) && !memchr(raw, ' ', n))
        for (size_t i = 0; i < KM_ARRAY_LEN(suffix); i++)
            if (ends_with_ci(raw, n, suffix[i]) || eq_ci(raw, n, suffix[i] + 1))
                return KM_GEO_CLOUD_INTERNAL;
    return KM_GEO_PUBLIC;
}

/* ---- distances --------------------------------------------------------------- */

double km_geo_distance_km(double lat1, double lon1, double lat2, double lon2)
{
    const double r = 6371.0088, d2r = M_PI / 180.0;
    double p1 = lat1 * d2r, p2 = lat2 * d2r;
    double dp = (lat2 - lat1) * d2r, dl = (lon2 - lon1) * d2r;
    double h = sin(dp / 2) * sin(dp / 2) + cos(p1) * cos(p2) * sin(dl / 2) * sin(dl / 2);
    if (h > 1)
        h = 1;
    return 2 * r * asin(sqrt(h));
}

double km_geo_min_distance_km(const struct km_geo_rec *a, const struct km_geo_rec *b)
{
    if (!isfinite(a->lat) || !isfinite(a->lon) || !isfinite(b->lat) || !isfinite(b->lon))
        return NAN;
    double d = km_geo_distance_km(a->lat, a->lon, b->lat, b->lon);
    double r = (a->radius_km > 0 ? a->radius_km : 0) + (b->radius_km > 0 ? b->radius_km : 0);
    return d > r ? d - r : 0;
}

/* ---- the handle --------------------------------------------------------------- */

struct gdb {
    char *path;
    const char *name;          /* base name of path */
    struct km_mmdb *mm;
};

#define NSHARD 16
#define SHARD_CAP (KM_GEO_CACHE_MAX / NSHARD)

struct cent {
    uint8_t key[16];
    uint8_t used;
    struct km_geo_rec rec;
};

struct shard {
    pthread_mutex_t mu;
    struct cent *t;            /* SHARD_CAP entries, allocated on first use */
    uint32_t n;
};

struct istr { /* interned string */
    uint64_t h;
    const char *s;
};

struct km_geo {
    struct gdb db[KM_GEO_MAX_DB];
    int ndb;
    struct km_kgeo *builtin;
    char builtin_path[4096];
    int builtin_state;         /* 1 open, 0 not found, -1 switched off */
    struct shard sh[NSHARD];
    uint64_t hits, misses;     /* atomic counters */
    pthread_mutex_t imu;       /* intern pool */
    struct istr *itab;
    size_t icap, in;
    struct km_arena ia;
};

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

static int exe_dir(char *out, size_t n)
{
    ssize_t k = readlink("/proc/self/exe", out, n - 1);
    if (k <= 0)
        return 0;
    out[k] = 0;
    char *s = strrchr(out, '/');
    if (!s)
        return 0;
    *s = 0;
    return 1;
}

static int file_exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

int km_geo_builtin_find(const struct km_conf *conf, char *path, size_t n)
{
    const char *v = km_conf_str(conf, "geo.builtin");
    if (!*v)
        v = getenv("KUMO_GEO_BUILTIN");
    if (v && *v) {
        snprintf(path, n, "%s", v);
        if (!strcmp(v, "none") || !strcmp(v, "off"))
            return -1;
        return file_exists(v) ? 1 : -1;
    }
    char dir[PATH_MAX];
    char first[PATH_MAX] = "";
    if (exe_dir(dir, sizeof dir)) {
        char c[PATH_MAX + 64];
        snprintf(c, sizeof c, "%s/share/kumo/kumo-geo.kgeo", dir);
        if (file_exists(c)) {
            snprintf(path, n, "%s", c);
            return 1;
        }
        snprintf(c, sizeof c, "%s/../share/kumo/kumo-geo.kgeo", dir);
        if (file_exists(c)) {
            char r[PATH_MAX];
            snprintf(path, n, "%s", realpath(c, r) ? r : c);
            return 1;
        }
        snprintf(first, sizeof first, "%s/share/kumo/kumo-geo.kgeo", dir);
    }
    static const char *const sys[] = {"/usr/local/share/kumo/kumo-geo.kgeo",
                                      "/usr/share/kumo/kumo-geo.kgeo"};
    for (size_t i = 0; i < KM_ARRAY_LEN(sys); i++)
        if (file_exists(sys[i])) {
            snprintf(path, n, "%s", sys[i]);
            return 1;
        }
    snprintf(path, n, "%s", first[0] ? first : sys[0]);
    return 0;
}

static int add_mmdb(struct km_geo *g, const char *path, struct km_err *err)
{
    for (int i = 0; i < g->ndb; i++)
        if (strcmp(g->db[i].path, path) == 0)
            return KM_OK; /* named twice (flag and config): asked once */
    if (g->ndb >= KM_GEO_MAX_DB)
        return km_err_set(err, KM_ELIMIT, path, UINT64_MAX, "more than %d GeoIP databases",
                          KM_GEO_MAX_DB);
    struct km_mmdb *m;
    int rc = km_mmdb_open(path, &m, err);
    if (rc)
        return rc;
    struct gdb *d = &g->db[g->ndb++];
    d->path = km_xstrdup(path);
    d->name = base_name(d->path);
    d->mm = m;
    return KM_OK;
}

int km_geo_open(const char *const *mmdb, size_t n, const struct km_conf *conf,
                struct km_geo **out, struct km_err *err)
{
    *out = NULL;
    struct km_geo *g = km_xcalloc(1, sizeof *g);
    for (int i = 0; i < NSHARD; i++)
        pthread_mutex_init(&g->sh[i].mu, NULL);
    pthread_mutex_init(&g->imu, NULL);
    km_arena_init(&g->ia, 1 << 16, (size_t)32 << 20);
    int rc = KM_OK;
    for (size_t i = 0; i < n && !rc; i++)
        if (mmdb[i] && *mmdb[i])
            rc = add_mmdb(g, mmdb[i], err);
    const char *const *items;
    size_t ni = km_conf_list(conf, "geo.mmdb", &items);
    for (size_t i = 0; i < ni && !rc; i++)
        rc = add_mmdb(g, items[i], err);
    const char *env = getenv("KUMO_GEOIP");
    if (env && *env && !rc) {
        char *copy = km_xstrdup(env), *save = NULL;
        for (char *t = strtok_r(copy, ":", &save); t && !rc; t = strtok_r(NULL, ":", &save))
            if (*t)
                rc = add_mmdb(g, t, err);
        free(copy);
    }
    if (!rc) {
        int st = km_geo_builtin_find(conf, g->builtin_path, sizeof g->builtin_path);
        g->builtin_state = st;
        if (st == 1) {
            rc = km_kgeo_open(g->builtin_path, &g->builtin, err);
        } else if (st == -1 && strcmp(g->builtin_path, "none") && strcmp(g->builtin_path, "off")) {
            rc = km_err_set(err, KM_ENOTFOUND, g->builtin_path, UINT64_MAX,
                            "built-in geo database not found (named by geo.builtin or "
                            "KUMO_GEO_BUILTIN; `kumo geo build --out FILE` makes one)");
        }
    }
    if (rc) {
        km_geo_close(g);
        return rc;
    }
    *out = g;
    return KM_OK;
}

void km_geo_close(struct km_geo *g)
{
    if (!g)
        return;
    for (int i = 0; i < g->ndb; i++) {
        km_mmdb_close(g->db[i].mm);
        free(g->db[i].path);
    }
    km_kgeo_close(g->builtin);
    for (int i = 0; i < NSHARD; i++) {
        free(g->sh[i].t);
        pthread_mutex_destroy(&g->sh[i].mu);
    }
    free(g->itab);
    km_arena_free(&g->ia);
    pthread_mutex_destroy(&g->imu);
    free(g);
}

/* ---- interning ------------------------------------------------------------------ */

static uint64_t hash_bytes(const void *p, size_t n, uint64_t h)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ s[i]) * 0x100000001b3ULL;
    return h ^ (h >> 31);
}

static const char *intern(struct km_geo *g, const char *s, size_t n)
{
    if (!s || !n)
        return "";
    uint64_t h = hash_bytes(s, n, 0xcbf29ce484222325ULL);
    const char *r = "";
    pthread_mutex_lock(&g->imu);
    if (2 * (g->in + 1) > g->icap) {
        size_t nc = g->icap ? g->icap * 2 : 1024;
        struct istr *t = calloc(nc, sizeof *t);
        if (!t)
            goto out;
        for (size_t i = 0; i < g->icap; i++)
            if (g->itab[i].s) {
                size_t j = g->itab[i].h & (nc - 1);
                while (t[j].s)
                    j = (j + 1) & (nc - 1);
                t[j] = g->itab[i];
            }
        free(g->itab);
        g->itab = t;
        g->icap = nc;
    }
    size_t j = h & (g->icap - 1);
    while (g->itab[j].s) {
        if (g->itab[j].h == h && strncmp(g->itab[j].s, s, n) == 0 && g->itab[j].s[n] == 0) {
            r = g->itab[j].s;
            goto out;
        }
        j = (j + 1) & (g->icap - 1);
    }
    char *c = km_arena_strndup(&g->ia, s, n);
    if (c) {
        g->itab[j] = (struct istr){h, c};
        g->in++;
        r = c;
    }
out:
    pthread_mutex_unlock(&g->imu);
    return r;
}

/* ---- lookups -------------------------------------------------------------------- */

static void rec_empty(struct km_geo_rec *r)
{
    memset(r, 0, sizeof *r);
    r->city = r->as_org = r->db = r->asn_db = r->loc_db = "";
    r->lat = r->lon = NAN;
}

static void resolve(struct km_geo *g, const uint8_t a[16], struct km_geo_rec *o)
{
    for (int i = 0; i < g->ndb; i++) {
        struct km_mmdb_ans m;
        if (!km_mmdb_lookup(g->db[i].mm, a, &m))
            continue;
        if (m.cc[0] && !o->country[0]) {
            memcpy(o->country, m.cc, 3);
            o->db = g->db[i].name;
        }
        if (m.cc[0] && strcmp(m.cc, o->country) == 0) {
            if (!*o->city && m.city)
                o->city = intern(g, m.city, m.city_n);
            if (!isfinite(o->lat) && isfinite(m.lat)) {
                o->lat = m.lat;
                o->lon = m.lon;
                o->radius_km = m.radius_km;
                o->loc_db = g->db[i].name;
            }
        }
        if (m.asn && !o->asn) {
            o->asn = m.asn;
            o->asn_db = g->db[i].name;
        }
        if (m.asn && m.asn == o->asn && !*o->as_org && m.org)
            o->as_org = intern(g, m.org, m.org_n);
    }
    if (g->builtin) {
        char cc[3];
        if (!o->country[0] && km_kgeo_country(g->builtin, a, cc)) {
            memcpy(o->country, cc, 3);
            o->db = "builtin";
        }
        const char *org;
        uint32_t asn = o->asn ? 0 : km_kgeo_asn(g->builtin, a, &org);
        if (asn) {
            o->asn = asn;
            o->as_org = org;
            o->asn_db = "builtin";
        } else if (o->asn && !*o->as_org) {
            o->as_org = km_kgeo_as_name(g->builtin, o->asn);
        }
        double lat, lon, rad;
        if (o->country[0] && !isfinite(o->lat) &&
            km_kgeo_country_point(g->builtin, o->country, &lat, &lon, &rad, NULL, NULL)) {
            o->lat = lat;
            o->lon = lon;
            o->radius_km = rad;
            o->loc_db = "builtin";
        }
    }
}

void km_geo_lookup_addr(struct km_geo *g, const uint8_t a16[16], struct km_geo_rec *out)
{
    rec_empty(out);
    uint8_t a[16];
    memcpy(a, a16, 16);
    static const uint8_t nat64[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
    if (memcmp(a, nat64, 12) == 0) { /* look up the IPv4 address it carries */
        memset(a, 0, 10);
        a[10] = a[11] = 0xff;
    }
    out->cls = (uint8_t)km_geo_classify(a);
    if (out->cls != KM_GEO_PUBLIC || !g)
        return;
    uint64_t h = hash_bytes(a, 16, 0x84222325cbf29ce4ULL);
    struct shard *s = &g->sh[h % NSHARD];
    uint32_t slot = (uint32_t)(h >> 8) & (SHARD_CAP - 1);
    pthread_mutex_lock(&s->mu);
    if (s->t) {
        for (uint32_t j = slot;; j = (j + 1) & (SHARD_CAP - 1)) {
            struct cent *e = &s->t[j];
            if (!e->used)
                break;
            if (memcmp(e->key, a, 16) == 0) {
                *out = e->rec;
                pthread_mutex_unlock(&s->mu);
                __atomic_fetch_add(&g->hits, 1, __ATOMIC_RELAXED);
                return;
            }
        }
    }
    pthread_mutex_unlock(&s->mu);
    __atomic_fetch_add(&g->misses, 1, __ATOMIC_RELAXED);
    resolve(g, a, out);
    pthread_mutex_lock(&s->mu);
    if (!s->t)
        s->t = calloc(SHARD_CAP, sizeof *s->t);
    if (s->t) {
        if (4 * (s->n + 1) > 3 * SHARD_CAP) { /* full: start over */
            memset(s->t, 0, SHARD_CAP * sizeof *s->t);
            s->n = 0;
        }
        uint32_t j = slot;
        while (s->t[j].used && memcmp(s->t[j].key, a, 16) != 0)
            j = (j + 1) & (SHARD_CAP - 1);
        if (!s->t[j].used)
            s->n++;
        memcpy(s->t[j].key, a, 16);
        s->t[j].used = 1;
        s->t[j].rec = *out;
    }
    pthread_mutex_unlock(&s->mu);
}

void km_geo_lookup(struct km_geo *g, const char *ip, size_t n, struct km_geo_rec *out)
{
    uint8_t a[16];
    if (!ip || km_ip_parse(ip, n, a, NULL) != KM_OK) {
        rec_empty(out);
        out->cls = (uint8_t)km_geo_label_raw(ip, ip ? n : 0);
        return;
    }
    km_geo_lookup_addr(g, a, out);
}

int km_geo_country_point(const struct km_geo *g, const char *cc, double *lat, double *lon,
                         double *radius_km)
{
    if (!g || !g->builtin)
        return 0;
    return km_kgeo_country_point(g->builtin, cc, lat, lon, radius_km, NULL, NULL);
}

const char *km_geo_country_name(const struct km_geo *g, const char *cc)
{
    const char *name = "";
    double la, lo, r;
    if (g && g->builtin)
        km_kgeo_country_point(g->builtin, cc, &la, &lo, &r, &name, NULL);
    return name ? name : "";
}

void km_geo_apply_provider(const struct km_geo *g, struct km_str country, struct km_str city,
                           struct km_geo_rec *rec)
{
    (void)city; /* the caller shows the stored city itself: it is not ours to point at */
    if (!country.p || !country.n)
        return; /* a city without a country is not enough to move the answer */
    char cc[3] = "";
    if (country.n == 2 && isalpha((unsigned char)country.p[0]) &&
        isalpha((unsigned char)country.p[1])) {
        cc[0] = (char)toupper((unsigned char)country.p[0]);
        cc[1] = (char)toupper((unsigned char)country.p[1]);
    }
    int same = cc[0] && strcmp(cc, rec->country) == 0;
    rec->db = "provider";
    if (same)
        return;
    memcpy(rec->country, cc, 3);
    rec->city = "";
    rec->lat = rec->lon = NAN;
    rec->radius_km = 0;
    rec->loc_db = "";
    double lat, lon, rad;
    if (cc[0] && km_geo_country_point(g, cc, &lat, &lon, &rad)) {
        rec->lat = lat;
        rec->lon = lon;
        rec->radius_km = rad;
        rec->loc_db = "builtin";
    }
}

void km_geo_cache_stats(const struct km_geo *g, uint64_t *hits, uint64_t *misses)
{
    *hits = g ? __atomic_load_n(&g->hits, __ATOMIC_RELAXED) : 0;
    *misses = g ? __atomic_load_n(&g->misses, __ATOMIC_RELAXED) : 0;
}

/* ---- description ------------------------------------------------------------------ */

static void day(int64_t t, char out[32])
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (t <= 0 || !gmtime_r(&tt, &tm))
        snprintf(out, 32, "unknown date");
    else
        strftime(out, 32, "%Y-%m-%d", &tm);
}

void km_geo_describe(const struct km_geo *g, void (*line)(void *ctx, const char *text),
                     void *ctx)
{
    char b[8192], d[32];
    static const char *const kinds[] = {"other", "City", "Country", "ASN"};
    for (int i = 0; g && i < g->ndb; i++) {
        const struct km_mmdb *m = g->db[i].mm;
        day((int64_t)km_mmdb_build_epoch(m), d);
        snprintf(b, sizeof b, "%s\tmmdb %s\t%s\tbuilt %s\t%s, IPv%d, %u tree nodes",
                 g->db[i].name, kinds[km_mmdb_kind(m)], g->db[i].path, d, km_mmdb_type(m),
                 km_mmdb_ip_version(m), km_mmdb_node_count(m));
        line(ctx, b);
    }
    if (g && g->builtin) {
        struct km_kgeo_info in;
        km_kgeo_info(g->builtin, &in);
        day(in.built, d);
        snprintf(b, sizeof b,
                 "builtin\tkgeo (country, ASN)\t%s\tbuilt %s\t%u+%u country ranges, %u+%u AS "
                 "ranges, %u AS names, %u countries (%u with a reference point)",
                 g->builtin_path, d, in.v4_country, in.v6_country, in.v4_asn, in.v6_asn,
                 in.as_names, in.countries, in.with_point);
        line(ctx, b);
    } else if (g && g->builtin_state == -1) {
        line(ctx, "builtin\tswitched off (geo.builtin / KUMO_GEO_BUILTIN = none)\t-\t-\t-");
    } else {
        snprintf(b, sizeof b,
                 "builtin\tnot found\t%s\t-\tbuild it with `make` (needs tor-geoipdb, "
                 "libloc-database, libtimezonemap-data: scripts/setup-deps.sh) or `kumo geo "
                 "build --out %s`",
                 g ? g->builtin_path : "-", g ? g->builtin_path : "FILE");
        line(ctx, b);
    }
}

/* ---- lazy opening --------------------------------------------------------------------- */

struct km_geo_lazy {
    pthread_mutex_t mu;
    char **paths;
    size_t n;
    const struct km_conf *conf;
    int opened, rc;
    struct km_geo *g;
    struct km_err err;
};

struct km_geo_lazy *km_geo_lazy_new(const char *const *mmdb, size_t n, const struct km_conf *conf)
{
    struct km_geo_lazy *l = km_xcalloc(1, sizeof *l);
    pthread_mutex_init(&l->mu, NULL);
    l->paths = km_xcalloc(n + 1, sizeof *l->paths);
    for (size_t i = 0; i < n; i++)
        l->paths[i] = km_xstrdup(mmdb[i]);
    l->n = n;
    l->conf = conf;
    km_err_clear(&l->err);
    return l;
}

int km_geo_lazy_get(struct km_geo_lazy *l, struct km_geo **out, struct km_err *err)
{
    pthread_mutex_lock(&l->mu);
    if (!l->opened) {
        l->opened = 1;
        l->rc = km_geo_open((const char *const *)l->paths, l->n, l->conf, &l->g, &l->err);
    }
    pthread_mutex_unlock(&l->mu);
    *out = l->g;
    if (l->rc && err && !err->code)
        *err = l->err;
    return l->rc;
}

int km_geo_lazy_opened(const struct km_geo_lazy *l) { return l && l->opened; }

void km_geo_lazy_free(struct km_geo_lazy *l)
{
    if (!l)
        return;
    km_geo_close(l->g);
    for (size_t i = 0; i < l->n; i++)
        free(l->paths[i]);
    free(l->paths);
    pthread_mutex_destroy(&l->mu);
    free(l);
}
