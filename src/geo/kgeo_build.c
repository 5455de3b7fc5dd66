/*
 * kgeo_build.c — `kumo geo build`: makes the built-in offline database
 * (kgeo.h) from data Debian ships, at setup time:
 *
 *   tor-geoipdb       /usr/share/tor/geoip, geoip6: country per range
 *                     (IPFire Location data converted by Tor; CC BY-SA 4.0)
 *   libloc-database   /usr/share/libloc-location/location.db: AS number per
 *                     network and AS names (IPFire; CC BY-SA 4.0). Its format
 *                     is libloc's own, so it is read through libloc's C API:
 *                     libloc.so.1 (Debian libloc1) is dlopen'ed here, only by
 *                     this command. Countries come from it too when the tor
 *                     files are absent.
 *   GeoNames          countryInfo.txt + cities15000.txt (libtimezonemap-data;
 *                     CC BY 4.0): per country a reference point (the capital,
 *                     else the most populous city) and a radius that bounds
 *                     the country: the larger of sqrt(area / pi) and the
 *                     distance from the point to its farthest city of 15,000+
 *                     people, so that "point distance minus both radii" never
 *                     overstates how far apart two countries' addresses are.
 *
 * Nested networks (libloc's /16 with a /24 inside) are flattened: the most
 * specific network wins, as libloc's own lookup does; adjacent ranges with the
 * same value are merged.
 */
#include "geo/geo.h"
#include "geo/kgeo.h"
#include "core/ip.h"
#include "json/json.h"

#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef unsigned __int128 u128;

#define LINE_MAX_BYTES 65536
#define MAX_IVS ((size_t)64 << 20)   /* ranges read from one input at most */

/* ---- intervals and their flattening --------------------------------------- */

struct iv {
    u128 lo, hi;
    uint32_t val;
};
struct ivs {
    struct iv *v;
    size_t n, cap;
};

static int iv_add(struct ivs *s, u128 lo, u128 hi, uint32_t val)
{
    if (hi < lo)
        return 0;
    if (s->n == MAX_IVS)
        return -1;
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 4096;
        s->v = km_xrealloc(s->v, s->cap * sizeof *s->v);
    }
    s->v[s->n++] = (struct iv){lo, hi, val};
    return 0;
}

static int iv_cmp(const void *a, const void *b)
{
    const struct iv *x = a, *y = b;
    if (x->lo != y->lo)
        return x->lo < y->lo ? -1 : 1;
    if (x->hi != y->hi)
        return x->hi > y->hi ? -1 : 1; /* the larger (enclosing) range first */
    return 0;
}

struct rt { /* a flat range table: start -> value, 0 in gaps */
    u128 *start;
    uint32_t *val;
    size_t n, cap;
};

static void rt_emit(struct rt *t, u128 pos, uint32_t val)
{
    if (t->n && t->start[t->n - 1] == pos) {
        t->val[t->n - 1] = val;
        if (t->n >= 2 && t->val[t->n - 2] == val)
            t->n--;
        return;
    }
    if (t->n ? t->val[t->n - 1] == val : val == 0)
        return;
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 4096;
        t->start = km_xrealloc(t->start, t->cap * sizeof *t->start);
        t->val = km_xrealloc(t->val, t->cap * sizeof *t->val);
    }
    t->start[t->n] = pos;
    t->val[t->n] = val;
    t->n++;
}

/* Closes every open range that ends before x (x = max + 1 closes all). */
static void rt_close(struct rt *t, struct iv **stack, size_t *sn, u128 x, int all)
{
    while (*sn && (all || stack[*sn - 1]->hi < x)) {
        u128 end = stack[--*sn]->hi;
        while (*sn && stack[*sn - 1]->hi <= end)
            (*sn)--; /* ranges that ended inside it */
        if (end != ~(u128)0)
            rt_emit(t, end + 1, *sn ? stack[*sn - 1]->val : 0);
    }
}

static void flatten(struct ivs *in, struct rt *out)
{
    if (in->n > 1)
        qsort(in->v, in->n, sizeof *in->v, iv_cmp);
    struct iv **stack = km_xmalloc((in->n + 1) * sizeof *stack);
    size_t sn = 0;
    for (size_t i = 0; i < in->n; i++) {
        struct iv *v = &in->v[i];
        rt_close(out, stack, &sn, v->lo, 0);
        rt_emit(out, v->lo, v->val);
        stack[sn++] = v;
    }
    rt_close(out, stack, &sn, 0, 1);
    free(stack);
}

/* ---- countries ------------------------------------------------------------- */

struct city {
    uint16_t ci;
    float lat, lon;
};

struct country {
    char cc[3];
    char *name, *capital;
    double lat, lon, radius, area, best_pop, cap_pop;
    int has_point, cap_is_pplc;
};

struct build {
    struct km_kgeo_build *b;
    struct km_err *err;
    uint16_t ccmap[26 * 26];
    struct country *cc;   /* cc[0] = none */
    size_t ncc;
    struct ivs v4cc, v6cc, v4as, v6as;
    uint32_t *asn_num;
    char **asn_name;
    size_t nasn, capasn;
    struct km_buf src;    /* sources text */
    struct city *cities;  /* GeoNames cities: for the country radii */
    size_t ncities, capcities;
};

static uint32_t cc_index(struct build *B, const char *s)
{
    char a = (char)toupper((unsigned char)s[0]), b = (char)toupper((unsigned char)s[1]);
    if (a < 'A' || a > 'Z' || b < 'A' || b > 'Z' || (s[2] && !isspace((unsigned char)s[2])))
        return 0;
    uint16_t *m = &B->ccmap[(a - 'A') * 26 + (b - 'A')];
    if (!*m) {
        B->cc = km_xrealloc(B->cc, (B->ncc + 1) * sizeof *B->cc);
        struct country *c = &B->cc[B->ncc];
        memset(c, 0, sizeof *c);
        c->cc[0] = a;
        c->cc[1] = b;
        c->lat = c->lon = NAN;
        *m = (uint16_t)B->ncc++;
    }
    return *m;
}

/* ---- input helpers ----------------------------------------------------------- */

static int readable(const char *p)
{
    struct stat st;
    return p && stat(p, &st) == 0 && S_ISREG(st.st_mode) && access(p, R_OK) == 0;
}

/* Reads lines of path; calls fn(line, n, lineno). Lines over LINE_MAX_BYTES
 * are an error. */
static int each_line(struct build *B, const char *path,
                     int (*fn)(struct build *, const char *, char *, size_t, long))
{
    FILE *f = fopen(path, "r");
    if (!f)
        return km_err_set(B->err, KM_EIO, path, UINT64_MAX, "cannot open: %s", strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    long ln = 0;
    int rc = KM_OK;
    while (!rc && (n = getline(&line, &cap, f)) >= 0) {
        ln++;
        if (n > LINE_MAX_BYTES) {
            rc = km_err_set(B->err, KM_ELIMIT, path, UINT64_MAX, "line %ld is over %d bytes", ln,
                            LINE_MAX_BYTES);
            B->err->line = ln;
            break;
        }
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = 0;
        rc = fn(B, path, line, (size_t)n, ln);
    }
    if (!rc && ferror(f))
        rc = km_err_set(B->err, KM_EIO, path, UINT64_MAX, "read error: %s", strerror(errno));
    free(line);
    fclose(f);
    return rc;
}

static int line_err(struct build *B, const char *path, long ln, const char *what)
{
    int rc = km_err_set(B->err, KM_EFORMAT, path, UINT64_MAX, "line %ld: %s", ln, what);
    if (B->err)
        B->err->line = ln;
    return rc;
}

/* Splits s at `sep` into at most max fields (in place). */
static size_t split(char *s, char sep, char **f, size_t max)
{
    size_t n = 0;
    while (n < max) {
        f[n++] = s;
        char *e = strchr(s, sep);
        if (!e)
            break;
        *e = 0;
        s = e + 1;
    }
    return n;
}

/* ---- tor-geoipdb --------------------------------------------------------------- */

static int tor_v4_line(struct build *B, const char *path, char *l, size_t n, long ln)
{
    if (!n || l[0] == '#')
        return 0;
    char *f[4];
    if (split(l, ',', f, 4) != 3)
        return line_err(B, path, ln, "expected START,END,CC");
    char *e1, *e2;
    errno = 0;
    unsigned long long a = strtoull(f[0], &e1, 10), b = strtoull(f[1], &e2, 10);
    if (errno || *e1 || *e2 || e1 == f[0] || e2 == f[1] || a > 0xffffffffULL ||
        b > 0xffffffffULL || a > b)
        return line_err(B, path, ln, "expected two IPv4 numbers START <= END");
    if (strlen(f[2]) != 2)
        return line_err(B, path, ln, "expected a two-letter country code");
    uint32_t ci = cc_index(B, f[2]);
    if (ci && iv_add(&B->v4cc, a, b, ci))
        return km_err_set(B->err, KM_ELIMIT, path, UINT64_MAX, "too many ranges");
    return 0;
}

static u128 to128(const uint8_t a[16])
{
    u128 v = 0;
    for (int i = 0; i < 16; i++)
        v = v << 8 | a[i];
    return v;
}

static int tor_v6_line(struct build *B, const char *path, char *l, size_t n, long ln)
{
    if (!n || l[0] == '#')
        return 0;
    char *f[4];
    if (split(l, ',', f, 4) != 3)
        return line_err(B, path, ln, "expected START,END,CC");
    uint8_t a[16], b[16];
    if (km_ip_parse(f[0], strlen(f[0]), a, NULL) || km_ip_parse(f[1], strlen(f[1]), b, NULL))
        return line_err(B, path, ln, "expected two IPv6 addresses");
    u128 lo = to128(a), hi = to128(b);
    if (lo > hi)
        return line_err(B, path, ln, "range ends before it starts");
    if (strlen(f[2]) != 2)
        return line_err(B, path, ln, "expected a two-letter country code");
    uint32_t ci = cc_index(B, f[2]);
    if (ci && iv_add(&B->v6cc, lo, hi, ci))
        return km_err_set(B->err, KM_ELIMIT, path, UINT64_MAX, "too many ranges");
    return 0;
}

static int tor_header(struct build *B, const char *path, char *l, size_t n, long ln)
{
    (void)path;
    if (ln > 60 || (n && l[0] != '#'))
        return 1; /* stop: the header is over */
    const char *g = strstr(l, "Generated:");
    if (g) {
        g += 10;
        while (*g == ' ')
            g++;
        km_buf_printf(&B->src, "; data generated %s", g);
    }
    return 0;
}

/* ---- libloc-database (dlopen'ed libloc.so.1) ---------------------------------- */

struct loc_api {
    int (*ctx_new)(void **ctx);
    void *(*ctx_unref)(void *ctx);
    int (*db_new)(void *ctx, void **db, FILE *f);
    void *(*db_unref)(void *db);
    time_t (*db_created)(void *db);
    const char *(*db_vendor)(void *db);
    const char *(*db_license)(void *db);
    int (*en_new)(void **en, void *db, int mode, int flags);
    void *(*en_unref)(void *en);
    int (*en_next_net)(void *en, void **net);
    int (*en_next_as)(void *en, void **as);
    void *(*net_unref)(void *net);
    int (*net_family)(void *net);
    const struct in6_addr *(*net_first)(void *net);
    const struct in6_addr *(*net_last)(void *net);
    const char *(*net_cc)(void *net);
    uint32_t (*net_asn)(void *net);
    void *(*as_unref)(void *as);
    uint32_t (*as_number)(void *as);
    const char *(*as_name)(void *as);
};

enum { LOC_NETWORKS = 1, LOC_ASES = 2 }; /* enum loc_database_enumerator_mode */

static int loc_load(struct loc_api *L, char *why, size_t wn)
{
    void *h = dlopen("libloc.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        snprintf(why, wn, "libloc.so.1 not found (Debian package libloc1): %s", dlerror());
        return -1;
    }
    struct {
        void **slot;
        const char *name;
    } syms[] = {
        {(void **)&L->ctx_new, "loc_new"},
        {(void **)&L->ctx_unref, "loc_unref"},
        {(void **)&L->db_new, "loc_database_new"},
        {(void **)&L->db_unref, "loc_database_unref"},
        {(void **)&L->db_created, "loc_database_created_at"},
        {(void **)&L->db_vendor, "loc_database_get_vendor"},
        {(void **)&L->db_license, "loc_database_get_license"},
        {(void **)&L->en_new, "loc_database_enumerator_new"},
        {(void **)&L->en_unref, "loc_database_enumerator_unref"},
        {(void **)&L->en_next_net, "loc_database_enumerator_next_network"},
        {(void **)&L->en_next_as, "loc_database_enumerator_next_as"},
        {(void **)&L->net_unref, "loc_network_unref"},
        {(void **)&L->net_family, "loc_network_address_family"},
        {(void **)&L->net_first, "loc_network_get_first_address"},
        {(void **)&L->net_last, "loc_network_get_last_address"},
        {(void **)&L->net_cc, "loc_network_get_country_code"},
        {(void **)&L->net_asn, "loc_network_get_asn"},
        {(void **)&L->as_unref, "loc_as_unref"},
        {(void **)&L->as_number, "loc_as_get_number"},
        {(void **)&L->as_name, "loc_as_get_name"},
    };
    for (size_t i = 0; i < KM_ARRAY_LEN(syms); i++) {
        void *p = dlsym(h, syms[i].name);
        if (!p) {
            snprintf(why, wn, "libloc.so.1 lacks %s", syms[i].name);
            return -1;
        }
        memcpy(syms[i].slot, &p, sizeof p);
    }
    return 0; /* the library stays loaded: this process ends soon */
}

static int read_libloc(struct build *B, const char *path, int want_cc)
{
    struct loc_api L;
    char why[300];
    if (loc_load(&L, why, sizeof why))
        return km_err_set(B->err, KM_ENOTFOUND, path, UINT64_MAX, "%s", why);
    FILE *f = fopen(path, "r");
    if (!f)
        return km_err_set(B->err, KM_EIO, path, UINT64_MAX, "cannot open: %s", strerror(errno));
    void *ctx = NULL, *db = NULL, *en = NULL;
    int rc = KM_OK;
    if (L.ctx_new(&ctx) || !ctx) {
        fclose(f);
        return km_err_set(B->err, KM_EINTERNAL, path, UINT64_MAX, "libloc: cannot start");
    }
    if (L.db_new(ctx, &db, f) || !db) {
        rc = km_err_set(B->err, KM_EFORMAT, path, UINT64_MAX,
                        "libloc cannot read it as a location database");
        goto out;
    }
    time_t created = L.db_created(db);
    char day[32] = "?";
    struct tm tm;
    if (gmtime_r(&created, &tm))
        strftime(day, sizeof day, "%Y-%m-%d", &tm);
    const char *vendor = L.db_vendor(db), *lic = L.db_license(db);
    km_buf_printf(&B->src, "libloc-database %s (AS numbers and names; %s, created %s; %s)\n",
                  path, vendor && *vendor ? vendor : "IPFire Project", day,
                  lic && *lic ? lic : "CC BY-SA 4.0");
    if (L.en_new(&en, db, LOC_NETWORKS, 0) || !en) {
        rc = km_err_set(B->err, KM_EINTERNAL, path, UINT64_MAX, "libloc: cannot enumerate");
        goto out;
    }
    for (;;) {
        void *net = NULL;
        if (L.en_next_net(en, &net)) {
            rc = km_err_set(B->err, KM_EFORMAT, path, UINT64_MAX,
                            "libloc: error while reading networks");
            break;
        }
        if (!net)
            break;
        const struct in6_addr *a = L.net_first(net), *z = L.net_last(net);
        int v4 = L.net_family(net) == AF_INET;
        uint32_t asn = L.net_asn(net);
        const char *cc = L.net_cc(net);
        if (a && z) {
            u128 lo = to128(a->s6_addr), hi = to128(z->s6_addr);
            if (v4) {
                lo &= 0xffffffffu;
                hi &= 0xffffffffu;
            }
            /* asn 0 is kept: a more specific network without an AS hides its
             * parent's, as in libloc's own lookup */
            if (iv_add(v4 ? &B->v4as : &B->v6as, lo, hi, asn) ||
                (want_cc && cc && cc[0] && cc[1] &&
                 iv_add(v4 ? &B->v4cc : &B->v6cc, lo, hi, cc_index(B, cc))))
                rc = km_err_set(B->err, KM_ELIMIT, path, UINT64_MAX, "too many networks");
        }
        L.net_unref(net);
        if (rc)
            break;
    }
    L.en_unref(en);
    en = NULL;
    if (!rc && (L.en_new(&en, db, LOC_ASES, 0) || !en))
        rc = km_err_set(B->err, KM_EINTERNAL, path, UINT64_MAX, "libloc: cannot enumerate ASes");
    while (!rc) {
        void *as = NULL;
        if (L.en_next_as(en, &as) || !as)
            break;
        const char *nm = L.as_name(as);
        if (nm && *nm) {
            if (B->nasn == B->capasn) {
                B->capasn = B->capasn ? B->capasn * 2 : 4096;
                B->asn_num = km_xrealloc(B->asn_num, B->capasn * sizeof *B->asn_num);
                B->asn_name = km_xrealloc(B->asn_name, B->capasn * sizeof *B->asn_name);
            }
            B->asn_num[B->nasn] = L.as_number(as);
            B->asn_name[B->nasn] = km_xstrdup(nm);
            B->nasn++;
        }
        L.as_unref(as);
    }
out:
    if (en)
        L.en_unref(en);
    if (db)
        L.db_unref(db);
    L.ctx_unref(ctx);
    fclose(f);
    return rc;
}

/* ---- GeoNames ---------------------------------------------------------------- */

static int geonames_country(struct build *B, const char *path, char *l, size_t n, long ln)
{
    if (!n || l[0] == '#')
        return 0;
    char *f[20];
    size_t nf = split(l, '\t', f, 20);
    if (nf < 8 || strlen(f[0]) != 2)
        return line_err(B, path, ln, "expected a GeoNames countryInfo row (ISO, ISO3, ...)");
    uint32_t ci = cc_index(B, f[0]);
    if (!ci)
        return line_err(B, path, ln, "bad ISO country code");
    struct country *c = &B->cc[ci];
    free(c->name);
    free(c->capital);
    c->name = km_xstrdup(f[4]);
    c->capital = km_xstrdup(f[5]);
    c->area = strtod(f[6], NULL);
    if (!isfinite(c->area) || c->area < 0)
        c->area = 0;
    return 0;
}


static int geonames_city(struct build *B, const char *path, char *l, size_t n, long ln)
{
    if (!n || l[0] == '#')
        return 0;
    char *f[20];
    size_t nf = split(l, '\t', f, 20);
    if (nf < 15)
        return line_err(B, path, ln, "expected a GeoNames cities row (19 tab-separated columns)");
    if (strlen(f[8]) != 2)
        return 0;
    char *e1, *e2;
    double lat = strtod(f[4], &e1), lon = strtod(f[5], &e2);
    if (*e1 || *e2 || !isfinite(lat) || !isfinite(lon) || fabs(lat) > 90 || fabs(lon) > 180)
        return line_err(B, path, ln, "bad latitude/longitude");
    double pop = strtod(f[14], NULL);
    uint32_t ci = cc_index(B, f[8]);
    if (!ci)
        return 0;
    struct country *c = &B->cc[ci];
    int pplc = strcmp(f[7], "PPLC") == 0;
    int named = c->capital && *c->capital && strcmp(c->capital, f[1]) == 0;
    /* the capital (PPLC, else the city named as capital), else the most
     * populous city */
    int take = 0;
    if (pplc)
        take = !c->cap_is_pplc || pop > c->cap_pop;
    else if (named && !c->cap_is_pplc)
        take = c->cap_pop == 0 || pop > c->cap_pop;
    if (take) {
        c->cap_is_pplc = pplc;
        c->cap_pop = pop > 0 ? pop : 1;
        c->lat = lat;
        c->lon = lon;
        c->has_point = 2;
    } else if (c->has_point < 2 && (!c->has_point || pop > c->best_pop)) {
        c->best_pop = pop;
        c->lat = lat;
        c->lon = lon;
        c->has_point = 1;
    }
    if (B->ncities == B->capcities) {
        B->capcities = B->capcities ? B->capcities * 2 : 8192;
        B->cities = km_xrealloc(B->cities, B->capcities * sizeof *B->cities);
    }
    B->cities[B->ncities++] = (struct city){(uint16_t)ci, (float)lat, (float)lon};
    return 0;
}

static void country_radii(struct build *B)
{
    for (size_t i = 1; i < B->ncc; i++) {
        struct country *c = &B->cc[i];
        c->radius = c->area > 0 ? sqrt(c->area / M_PI) : 0;
    }
    for (size_t i = 0; i < B->ncities; i++) {
        struct country *c = &B->cc[B->cities[i].ci];
        if (!c->has_point)
            continue;
        double d = km_geo_distance_km(c->lat, c->lon, B->cities[i].lat, B->cities[i].lon);
        if (d > c->radius)
            c->radius = d;
    }
    for (size_t i = 1; i < B->ncc; i++)
        if (B->cc[i].has_point && B->cc[i].radius < 1)
            B->cc[i].radius = 1;
}

/* ---- writing ------------------------------------------------------------------- */

struct sec {
    uint32_t kind, count;
    const void *p;
    uint64_t len;
};

static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }

static int write_file(struct build *B, struct sec *s, uint32_t ns, int64_t built)
{
    uint64_t hsize = 64 + 24 * (uint64_t)ns, off = (hsize + 7) & ~(uint64_t)7;
    uint64_t total = off;
    for (uint32_t i = 0; i < ns; i++)
        total += (s[i].len + 7) & ~(uint64_t)7;
    uint8_t *buf = calloc(1, total);
    if (!buf)
        return km_err_set(B->err, KM_ENOMEM, B->b->out, UINT64_MAX, "out of memory");
    memcpy(buf, "KMGEO\r\n\x1a", 8);
    put32(buf + 8, KM_KGEO_VERSION);
    put32(buf + 12, (uint32_t)hsize);
    put64(buf + 16, total);
    put64(buf + 32, (uint64_t)built);
    put32(buf + 40, ns);
    for (uint32_t i = 0; i < ns; i++) {
        uint8_t *e = buf + 64 + 24 * i;
        put32(e, s[i].kind);
        put32(e + 4, s[i].count);
        put64(e + 8, off);
        put64(e + 16, s[i].len);
        if (s[i].len)
            memcpy(buf + off, s[i].p, s[i].len);
        off += (s[i].len + 7) & ~(uint64_t)7;
    }
    put64(buf + 24, km_kgeo_checksum(buf + 32, total - 32));
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", B->b->out, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    int rc = KM_OK;
    if (!f)
        rc = km_err_set(B->err, KM_EIO, tmp, UINT64_MAX, "cannot create: %s", strerror(errno));
    else {
        int ok = fwrite(buf, 1, total, f) == total;
        ok &= fflush(f) == 0 && fsync(fileno(f)) == 0;
        ok &= fclose(f) == 0;
        if (!ok || rename(tmp, B->b->out) != 0) {
            rc = km_err_set(B->err, KM_EIO, B->b->out, UINT64_MAX, "cannot write: %s",
                            strerror(errno));
            unlink(tmp);
        }
    }
    free(buf);
    return rc;
}

/* Packs a flat table: starts as u32 (v4) or (hi, lo) u64 pairs, values as
 * u16 (countries) or u32 (ASNs). */
static void pack(const struct rt *t, int v6, int v16, void **starts, void **vals)
{
    *starts = km_xmalloc(t->n * (v6 ? 16 : 4) + 1);
    *vals = km_xmalloc(t->n * (v16 ? 2 : 4) + 1);
    for (size_t i = 0; i < t->n; i++) {
        if (v6) {
            uint64_t pr[2] = {(uint64_t)(t->start[i] >> 64), (uint64_t)t->start[i]};
            memcpy((uint8_t *)*starts + 16 * i, pr, 16);
        } else {
            ((uint32_t *)*starts)[i] = (uint32_t)t->start[i];
        }
        if (v16)
            ((uint16_t *)*vals)[i] = (uint16_t)t->val[i];
        else
            ((uint32_t *)*vals)[i] = t->val[i];
    }
}

struct asn_pair {
    uint32_t asn;
    char *name;
};
static int asn_cmp(const void *a, const void *b)
{
    const struct asn_pair *x = a, *y = b;
    return (x->asn > y->asn) - (x->asn < y->asn);
}

static uint32_t pool_add(struct km_buf *pool, const char *s)
{
    if (!s || !*s)
        return 0; /* offset 0 is "" */
    uint32_t off = (uint32_t)pool->n;
    km_buf_add(pool, s, strlen(s) + 1);
    return off;
}

int km_kgeo_build(struct km_kgeo_build *b, struct km_kgeo_info *info, struct km_err *err)
{
    struct build B;
    memset(&B, 0, sizeof B);
    B.b = b;
    B.err = err;
    B.ncc = 1;
    B.cc = km_xcalloc(1, sizeof *B.cc);
    km_buf_init(&B.src, 1 << 20);
    b->used_tor = b->used_libloc = b->used_geonames = 0;
    b->note[0] = 0;
    const char *tor = b->tor_dir ? b->tor_dir : KM_KGEO_TOR_DIR;
    const char *loc = b->libloc ? b->libloc : KM_KGEO_LIBLOC;
    const char *gn = b->geonames_dir ? b->geonames_dir : KM_KGEO_GEONAMES_DIR;
    char p4[4200], p6[4200], pci[4200], pcity[4200];
    snprintf(p4, sizeof p4, "%s/geoip", tor);
    snprintf(p6, sizeof p6, "%s/geoip6", tor);
    snprintf(pci, sizeof pci, "%s/countryInfo.txt", gn);
    snprintf(pcity, sizeof pcity, "%s/cities15000.txt", gn);
    int have_tor = readable(p4) || readable(p6), have_loc = readable(loc);
    int rc = KM_OK;
    size_t nb = 0;
    if (!have_tor && !have_loc) {
        rc = km_err_set(err, KM_ENOTFOUND, tor, UINT64_MAX,
                        "no input: neither %s/geoip{,6} (Debian tor-geoipdb) nor %s (Debian "
                        "libloc-database) exists; install them (scripts/setup-deps.sh)",
                        tor, loc);
        goto out;
    }
    if (have_tor) {
        km_buf_printf(&B.src, "tor-geoipdb %s/geoip, geoip6 (countries; IPFire Location data "
                              "converted by Tor",
                      tor);
        if (readable(p4))
            each_line(&B, p4, tor_header);
        km_buf_adds(&B.src, "; CC BY-SA 4.0)\n");
        if (readable(p4) && (rc = each_line(&B, p4, tor_v4_line)))
            goto out;
        if (readable(p6) && (rc = each_line(&B, p6, tor_v6_line)))
            goto out;
        b->used_tor = 1;
    } else {
        nb += (size_t)snprintf(b->note + nb, sizeof b->note - nb,
                               "tor-geoipdb missing (%s): countries from libloc-database. ", tor);
    }
    if (have_loc) {
        if ((rc = read_libloc(&B, loc, !have_tor))) {
            if (rc != KM_ENOTFOUND || !have_tor)
                goto out;
            /* libloc1 absent: countries still come from tor */
            nb += (size_t)snprintf(b->note + nb, sizeof b->note - nb, "%s: no AS data. ",
                                   err->msg);
            km_err_clear(err);
            rc = KM_OK;
        } else {
            b->used_libloc = 1;
        }
    } else if (nb < sizeof b->note) {
        nb += (size_t)snprintf(b->note + nb, sizeof b->note - nb,
                               "libloc-database missing (%s): no AS data. ", loc);
    }
    if (readable(pci) && readable(pcity)) {
        if ((rc = each_line(&B, pci, geonames_country)) || (rc = each_line(&B, pcity, geonames_city)))
            goto out;
        country_radii(&B);
        km_buf_printf(&B.src, "GeoNames %s, cities15000.txt (country reference points; "
                              "libtimezonemap-data; CC BY 4.0)\n",
                      pci);
        b->used_geonames = 1;
    } else if (nb < sizeof b->note) {
        snprintf(b->note + nb, sizeof b->note - nb,
                 "GeoNames files missing (%s): no country coordinates. ", gn);
    }
    if (B.ncc > 65535) {
        rc = km_err_set(err, KM_ELIMIT, NULL, UINT64_MAX, "too many countries");
        goto out;
    }
    {
        struct rt t4c = {0}, t6c = {0}, t4a = {0}, t6a = {0};
        flatten(&B.v4cc, &t4c);
        flatten(&B.v6cc, &t6c);
        flatten(&B.v4as, &t4a);
        flatten(&B.v6as, &t6a);
        void *s4c, *v4c, *s6c, *v6c, *s4a, *v4a, *s6a, *v6a;
        pack(&t4c, 0, 1, &s4c, &v4c);
        pack(&t6c, 1, 1, &s6c, &v6c);
        pack(&t4a, 0, 0, &s4a, &v4a);
        pack(&t6a, 1, 0, &s6a, &v6a);
        struct km_buf pool;
        km_buf_init(&pool, (size_t)1 << 30);
        km_buf_addc(&pool, 0);
        uint8_t *cct = km_xcalloc(B.ncc, 24);
        for (size_t i = 1; i < B.ncc; i++) {
            struct country *c = &B.cc[i];
            uint8_t *e = cct + 24 * i;
            float lat = c->has_point ? (float)c->lat : NAN, lon = c->has_point ? (float)c->lon : NAN;
            float rad = c->has_point ? (float)c->radius : 0;
            memcpy(e, c->cc, 2);
            put32(e + 4, pool_add(&pool, c->name));
            memcpy(e + 8, &lat, 4);
            memcpy(e + 12, &lon, 4);
            memcpy(e + 16, &rad, 4);
            put32(e + 20, c->has_point == 2 ? pool_add(&pool, c->capital) : 0);
        }
        struct asn_pair *ap = km_xcalloc(B.nasn + 1, sizeof *ap);
        for (size_t i = 0; i < B.nasn; i++)
            ap[i] = (struct asn_pair){B.asn_num[i], B.asn_name[i]};
        if (B.nasn > 1)
            qsort(ap, B.nasn, sizeof *ap, asn_cmp);
        uint32_t *at = km_xcalloc(B.nasn + 1, 8);
        size_t na = 0;
        for (size_t i = 0; i < B.nasn; i++) {
            if (na && at[2 * (na - 1)] == ap[i].asn)
                continue;
            at[2 * na] = ap[i].asn;
            at[2 * na + 1] = pool_add(&pool, ap[i].name);
            na++;
        }
        km_buf_addc(&B.src, 0);
        if (pool.oom || B.src.oom) {
            rc = km_err_set(err, KM_ELIMIT, NULL, UINT64_MAX, "string data over its ceiling");
        } else {
            struct sec s[] = {
                {1, (uint32_t)t4c.n, s4c, t4c.n * 4},   {2, (uint32_t)t4c.n, v4c, t4c.n * 2},
                {3, (uint32_t)t6c.n, s6c, t6c.n * 16},  {4, (uint32_t)t6c.n, v6c, t6c.n * 2},
                {5, (uint32_t)t4a.n, s4a, t4a.n * 4},   {6, (uint32_t)t4a.n, v4a, t4a.n * 4},
                {7, (uint32_t)t6a.n, s6a, t6a.n * 16},  {8, (uint32_t)t6a.n, v6a, t6a.n * 4},
                {9, (uint32_t)B.ncc, cct, B.ncc * 24},  {10, (uint32_t)na, at, na * 8},
                {11, (uint32_t)pool.n, pool.p, pool.n}, {12, (uint32_t)B.src.n, B.src.p, B.src.n},
            };
            int64_t built = b->now ? b->now : (int64_t)time(NULL);
            rc = write_file(&B, s, KM_ARRAY_LEN(s), built);
        }
        free(s4c); free(v4c); free(s6c); free(v6c); free(s4a); free(v4a); free(s6a); free(v6a);
        free(t4c.start); free(t4c.val); free(t6c.start); free(t6c.val);
        free(t4a.start); free(t4a.val); free(t6a.start); free(t6a.val);
        free(cct);
        free(ap);
        free(at);
        km_buf_free(&pool);
    }
    if (!rc && info) {
        struct km_kgeo *k;
        rc = km_kgeo_open(b->out, &k, err);
        if (!rc) {
            km_kgeo_info(k, info);
            info->sources = ""; /* points into the closed mapping otherwise */
            km_kgeo_close(k);
        }
    }
out:
    for (size_t i = 1; i < B.ncc; i++) {
        free(B.cc[i].name);
        free(B.cc[i].capital);
    }
    free(B.cc);
    for (size_t i = 0; i < B.nasn; i++)
        free(B.asn_name[i]);
    free(B.asn_num);
    free(B.asn_name);
    free(B.v4cc.v);
    free(B.v6cc.v);
    free(B.v4as.v);
    free(B.v6as.v);
    km_buf_free(&B.src);
    free(B.cities);
    return rc;
}
