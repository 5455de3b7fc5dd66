/*
 * test_geo.c — IP enrichment (src/geo): address classes, labels of values
 * that are not addresses, distances, the kgeo builder and reader on tiny
 * synthetic inputs with known answers, rejection of damaged kgeo files,
 * MMDB answers from databases written at test time by tests/e2e/mkmmdb.py,
 * the order in which databases answer, and the answer cache.
 */
#include "t.h"

#include "core/conf.h"
#include "core/ip.h"
#include "geo/geo.h"
#include "geo/kgeo.h"

#include <math.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[256];

static void put(const char *name, const char *text)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    if (!f) {
        perror(p);
        exit(2);
    }
    fputs(text, f);
    fclose(f);
}

static const char *path(const char *name)
{
    static char p[8][512];
    static int k;
    k = (k + 1) % 8;
    snprintf(p[k], sizeof p[k], "%s/%s", dir, name);
    return p[k];
}

static int cls_of(const char *ip)
{
    uint8_t a[16];
    if (km_ip_parse(ip, strlen(ip), a, NULL) != KM_OK)
        return -1;
    return km_geo_classify(a);
}

static void test_classes(void)
{
    static const struct {
        const char *ip;
        int cls;
    } c[] = {
        {"8.8.8.8", KM_GEO_PUBLIC},           {"10.1.2.3", KM_GEO_PRIVATE},
        {"172.16.0.1", KM_GEO_PRIVATE},       {"172.31.255.255", KM_GEO_PRIVATE},
        {"172.32.0.1", KM_GEO_PUBLIC},        {"192.168.1.100", KM_GEO_PRIVATE},
        {"127.0.0.1", KM_GEO_LOOPBACK},       {"169.254.169.254", KM_GEO_LINK_LOCAL},
        {"100.64.0.1", KM_GEO_CGNAT},         {"100.127.255.255", KM_GEO_CGNAT},
        {"100.128.0.1", KM_GEO_PUBLIC},       {"192.0.2.100", KM_GEO_DOCUMENTATION},
        {"198.51.100.50", KM_GEO_DOCUMENTATION}, {"203.0.113.75", KM_GEO_DOCUMENTATION},
        {"198.18.0.50", KM_GEO_RESERVED},     {"224.0.0.1", KM_GEO_MULTICAST},
        {"239.255.255.250", KM_GEO_MULTICAST}, {"240.0.0.1", KM_GEO_RESERVED},
        {"255.255.255.255", KM_GEO_RESERVED}, {"0.0.0.0", KM_GEO_RESERVED},
        {"0.1.0.2", KM_GEO_CLOUD_INTERNAL},   {"168.63.129.16", KM_GEO_CLOUD_INTERNAL},
        {"168.63.129.17", KM_GEO_PUBLIC},     {"192.0.0.8", KM_GEO_RESERVED},
        {"::1", KM_GEO_LOOPBACK},             {"::", KM_GEO_RESERVED},
        {"fe80::1", KM_GEO_LINK_LOCAL},       {"fd00:ec2::254", KM_GEO_PRIVATE},
        {"fc00::1", KM_GEO_PRIVATE},          {"2001:db8::1", KM_GEO_DOCUMENTATION},
        {"3fff::1", KM_GEO_DOCUMENTATION},    {"ff02::1", KM_GEO_MULTICAST},
        {"2001:4860:4860::8888", KM_GEO_PUBLIC}, {"2001::1", KM_GEO_RESERVED},
        {"::ffff:10.0.0.1", KM_GEO_PRIVATE},  {"::ffff:8.8.8.8", KM_GEO_PUBLIC},
        {"64:ff9b::a00:1", KM_GEO_PRIVATE},   {"64:ff9b::808:808", KM_GEO_PUBLIC},
        {"4000::1", KM_GEO_RESERVED},         {"2a00:1450::1", KM_GEO_PUBLIC},
    };
    for (size_t i = 0; i < KM_ARRAY_LEN(c); i++) {
        int got = cls_of(c[i].ip);
        if (got != c[i].cls)
            fprintf(stderr, "  %s: %s, expected %s\n", c[i].ip, km_geo_class_name(got),
                    km_geo_class_name(c[i].cls));
        T_EQ_INT(got, c[i].cls);
    }
    T_EQ_STR(km_geo_class_name(KM_GEO_CLOUD_INTERNAL), "cloud-internal");
    T_EQ_STR(km_geo_class_name(KM_GEO_LINK_LOCAL), "link-local");
    /* a non-public address gets no place even with databases */
    struct km_geo_rec r;
    km_geo_lookup(NULL, "10.0.0.1", 8, &r);
    T_EQ_INT(r.cls, KM_GEO_PRIVATE);
    T_EQ_STR(r.country, "");
}

static void test_label_raw(void)
{
    static const char *const internal[] = {"AWS Internal", "aws internal", "ec2.amazonaws.com",
                                           "cloudformation.amazonaws.com", "private",
                                           "gce-internal-ip", "compute.googleapis.com",
                                           "management.azure.com"};
    for (size_t i = 0; i < KM_ARRAY_LEN(internal); i++)
        T_EQ_INT(km_geo_label_raw(internal[i], strlen(internal[i])), KM_GEO_CLOUD_INTERNAL);
    static const char *const unknown[] = {"redacted", "<Victim source IP>", "255.090.254.5",
                                          "", "amazonaws", "evil.amazonaws.com.attacker.net"};
    for (size_t i = 0; i < KM_ARRAY_LEN(unknown); i++)
        T_EQ_INT(km_geo_label_raw(unknown[i], strlen(unknown[i])), KM_GEO_PUBLIC);
    struct km_geo_rec r;
    km_geo_lookup(NULL, "AWS Internal", 12, &r);
    T_EQ_INT(r.cls, KM_GEO_CLOUD_INTERNAL);
}

static void test_distance(void)
{
    /* London - Paris ~343.5 km; New York - Los Angeles ~3936 km; a quarter
     * meridian = pi/2 * R; antipodes = pi * R */
    double d = km_geo_distance_km(51.5074, -0.1278, 48.8566, 2.3522);
    T_CHECK(fabs(d - 343.5) < 1.5);
    d = km_geo_distance_km(40.7128, -74.0060, 34.0522, -118.2437);
    T_CHECK(fabs(d - 3936) < 10);
    d = km_geo_distance_km(0, 0, 90, 0);
    T_CHECK(fabs(d - M_PI / 2 * 6371.0088) < 0.01);
    d = km_geo_distance_km(0, 0, 0, 180);
    T_CHECK(fabs(d - M_PI * 6371.0088) < 0.01);
    T_CHECK(km_geo_distance_km(12.5, 33.25, 12.5, 33.25) < 1e-9);
    /* symmetric */
    T_CHECK(fabs(km_geo_distance_km(1, 2, 3, 4) - km_geo_distance_km(3, 4, 1, 2)) < 1e-9);
    struct km_geo_rec a = {.lat = 51.5074, .lon = -0.1278, .radius_km = 100};
    struct km_geo_rec b = {.lat = 48.8566, .lon = 2.3522, .radius_km = 50};
    d = km_geo_min_distance_km(&a, &b);
    T_CHECK(fabs(d - (343.5 - 150)) < 1.5);
    b.radius_km = 400;
    T_CHECK(km_geo_min_distance_km(&a, &b) == 0);
    b.lat = NAN;
    T_CHECK(isnan(km_geo_min_distance_km(&a, &b)));
}

/* ---- a tiny built-in database ----------------------------------------------- */

static void inputs(void)
{
    mkdir(path("tor"), 0755);
    mkdir(path("gn"), 0755);
    /* 1.0.0.0-1.0.0.255 AU, 2.0.0.0-2.255.255.255 FR with 2.1.0.0/16 DE
     * inside (most specific wins), 81.2.69.0/24 FR, gap elsewhere; "??" is
     * no country */
    put("tor/geoip", "# Generated: test\n"
                     "16777216,16777471,AU\n"
                     "33554432,50331647,FR\n"
                     "33619968,33685503,DE\n"
                     "50331648,50331903,??\n"
                     "1359103232,1359103487,FR\n");
    put("tor/geoip6", "2a01:e00::,2a01:e3f:ffff:ffff:ffff:ffff:ffff:ffff,FR\n"
                      "2001:218::,2001:218:ffff:ffff:ffff:ffff:ffff:ffff,JP\n");
    put("gn/countryInfo.txt",
        "#ISO\tISO3\tISO-Numeric\tfips\tCountry\tCapital\tArea(in sq km)\tPopulation\n"
        "FR\tFRA\t250\tFR\tFrance\tParis\t547030\t66987244\tEU\n"
        "DE\tDEU\t276\tGM\tGermany\tBerlin\t357021\t82927922\tEU\n"
        "AU\tAUS\t036\tAS\tAustralia\tCanberra\t7686850\t24992369\tOC\n"
        "JP\tJPN\t392\tJA\tJapan\tTokyo\t377835\t126529100\tAS\n");
    /* geonameid name ascii alt lat lon class code cc cc2 a1 a2 a3 a4 pop ... */
    put("gn/cities15000.txt",
        "1\tParis\tParis\t\t48.85341\t2.3488\tP\tPPLC\tFR\t\t11\t75\t\t\t2138551\t\t42\tEurope/Paris\t2020-01-01\n"
        "2\tMarseille\tMarseille\t\t43.29695\t5.38107\tP\tPPLA\tFR\t\t93\t13\t\t\t870731\t\t28\tEurope/Paris\t2020-01-01\n"
        "3\tBerlin\tBerlin\t\t52.52437\t13.41053\tP\tPPLC\tDE\t\t16\t00\t\t\t3426354\t\t74\tEurope/Berlin\t2020-01-01\n"
        "4\tSydney\tSydney\t\t-33.86785\t151.20732\tP\tPPLA\tAU\t\t02\t\t\t\t4627345\t\t58\tAustralia/Sydney\t2020-01-01\n"
        "5\tMelbourne\tMelbourne\t\t-37.814\t144.96332\tP\tPPLA\tAU\t\t07\t\t\t\t4246375\t\t31\tAustralia/Melbourne\t2020-01-01\n");
}

static int build_tiny(const char *out)
{
    struct km_kgeo_build b = {0};
    b.out = out;
    b.tor_dir = path("tor");
    b.libloc = path("no-such-location.db");
    b.geonames_dir = path("gn");
    b.now = 1700000000;
    struct km_err e;
    km_err_clear(&e);
    struct km_kgeo_info in;
    int rc = km_kgeo_build(&b, &in, &e);
    if (rc)
        fprintf(stderr, "  build: %s (%s)\n", e.msg, e.file);
    return rc;
}

static void cc_at(const struct km_kgeo *k, const char *ip, char cc[3])
{
    uint8_t a[16];
    km_ip_parse(ip, strlen(ip), a, NULL);
    km_kgeo_country(k, a, cc);
}

static void test_kgeo_build_read(void)
{
    T_EQ_INT(build_tiny(path("tiny.kgeo")), KM_OK);
    struct km_kgeo *k;
    struct km_err e;
    km_err_clear(&e);
    T_EQ_INT(km_kgeo_open(path("tiny.kgeo"), &k, &e), KM_OK);
    if (!k)
        return;
    char cc[3];
    cc_at(k, "1.0.0.0", cc);
    T_EQ_STR(cc, "AU");
    cc_at(k, "1.0.0.255", cc);
    T_EQ_STR(cc, "AU");
    cc_at(k, "1.0.1.0", cc);
    T_EQ_STR(cc, "");
    cc_at(k, "0.255.255.255", cc);
    T_EQ_STR(cc, "");
    cc_at(k, "2.0.0.1", cc);
    T_EQ_STR(cc, "FR");
    cc_at(k, "2.1.0.0", cc);
    T_EQ_STR(cc, "DE");  /* nested range: most specific wins */
    cc_at(k, "2.1.255.255", cc);
    T_EQ_STR(cc, "DE");
    cc_at(k, "2.2.0.0", cc);
    T_EQ_STR(cc, "FR");  /* and the enclosing one resumes after it */
    cc_at(k, "3.0.0.7", cc);
    T_EQ_STR(cc, "");    /* ?? */
    cc_at(k, "81.2.69.144", cc);
    T_EQ_STR(cc, "FR");
    cc_at(k, "255.255.255.255", cc);
    T_EQ_STR(cc, "");
    cc_at(k, "2a01:e34::1", cc);
    T_EQ_STR(cc, "FR");
    cc_at(k, "2a01:e40::", cc);
    T_EQ_STR(cc, "");
    cc_at(k, "2001:218:1::", cc);
    T_EQ_STR(cc, "JP");
    cc_at(k, "::1", cc);
    T_EQ_STR(cc, "");
    double lat, lon, rad;
    const char *name, *cap;
    T_EQ_INT(km_kgeo_country_point(k, "FR", &lat, &lon, &rad, &name, &cap), 1);
    T_CHECK(fabs(lat - 48.85341) < 1e-4 && fabs(lon - 2.3488) < 1e-4);
    T_EQ_STR(name, "France");
    T_EQ_STR(cap, "Paris");
    /* sqrt(547030 / pi) = 417.3 km; Paris-Marseille 661 km: the farther wins */
    double pm = km_geo_distance_km(48.85341, 2.3488, 43.29695, 5.38107);
    T_CHECK(fabs(rad - pm) < 1);
    T_EQ_INT(km_kgeo_country_point(k, "DE", &lat, &lon, &rad, NULL, NULL), 1);
    T_CHECK(fabs(rad - sqrt(357021 / M_PI)) < 1); /* one city: the area decides */
    /* no capital among the cities: the most populous city */
    T_EQ_INT(km_kgeo_country_point(k, "AU", &lat, &lon, &rad, NULL, &cap), 1);
    T_CHECK(fabs(lat - -33.86785) < 1e-4);
    T_EQ_STR(cap, "");
    T_EQ_INT(km_kgeo_country_point(k, "JP", &lat, &lon, &rad, NULL, NULL), 0); /* no city */
    T_EQ_INT(km_kgeo_country_point(k, "ZZ", &lat, &lon, &rad, NULL, NULL), 0);
    T_EQ_INT(km_kgeo_country_point(k, "fr", &lat, &lon, &rad, NULL, NULL), 0);
    const char *org;
    uint8_t a[16];
    km_ip_parse("2.0.0.1", 7, a, NULL);
    T_EQ_INT(km_kgeo_asn(k, a, &org), 0); /* no libloc input: no AS data */
    struct km_kgeo_info in;
    km_kgeo_info(k, &in);
    T_EQ_INT(in.built, 1700000000);
    T_EQ_INT(in.countries, 4);
    T_EQ_INT(in.with_point, 3);
    T_CHECK(strstr(in.sources, "tor-geoipdb") != NULL);
    T_CHECK(strstr(in.sources, "GeoNames") != NULL);
    T_CHECK(strstr(in.sources, "data generated test") != NULL);
    km_kgeo_close(k);
    /* the same inputs give the same bytes (SOURCE_DATE_EPOCH-style builds) */
    T_EQ_INT(build_tiny(path("tiny2.kgeo")), KM_OK);
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "cmp -s %s %s", path("tiny.kgeo"), path("tiny2.kgeo"));
    T_EQ_INT(system(cmd), 0);
}

static void test_kgeo_bad_inputs(void)
{
    struct km_kgeo_build b = {0};
    struct km_err e;
    km_err_clear(&e);
    b.out = path("none.kgeo");
    b.tor_dir = path("no-tor");
    b.libloc = path("no-libloc");
    b.geonames_dir = path("gn");
    T_EQ_INT(km_kgeo_build(&b, NULL, &e), KM_ENOTFOUND);
    T_CHECK(strstr(e.msg, "tor-geoipdb") != NULL);
    mkdir(path("badtor"), 0755);
    put("badtor/geoip", "16777216,16777471,AU\n16777472,oops,CN\n");
    b.tor_dir = path("badtor");
    km_err_clear(&e);
    T_EQ_INT(km_kgeo_build(&b, NULL, &e), KM_EFORMAT);
    T_EQ_INT(e.line, 2);
    T_CHECK(strstr(e.file, "badtor/geoip") != NULL);
    put("badtor/geoip", "16777472,16777216,CN\n");
    km_err_clear(&e);
    T_EQ_INT(km_kgeo_build(&b, NULL, &e), KM_EFORMAT);
    T_CHECK(access(path("none.kgeo"), F_OK) != 0); /* nothing written on failure */
}

/* ---- damaged files ------------------------------------------------------------ */

static uint8_t *slurp(const char *p, size_t *n)
{
    FILE *f = fopen(p, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc(*n + 8);
    if (fread(b, 1, *n, f) != *n)
        *n = 0;
    fclose(f);
    return b;
}

static int try_open(const uint8_t *b, size_t n, struct km_err *e)
{
    FILE *f = fopen(path("bad.kgeo"), "wb");
    fwrite(b, 1, n, f);
    fclose(f);
    km_err_clear(e);
    struct km_kgeo *k = NULL;
    int rc = km_kgeo_open(path("bad.kgeo"), &k, e);
    km_kgeo_close(k);
    if (rc && strcmp(e->file, path("bad.kgeo")) != 0) {
        fprintf(stderr, "  error does not name the file: '%s'\n", e->file);
        return -1;
    }
    return rc;
}

static void resum(uint8_t *b, size_t n)
{
    uint64_t s = km_kgeo_checksum(b + 32, n - 32);
    memcpy(b + 24, &s, 8);
}

static void test_kgeo_corrupt(void)
{
    size_t n;
    uint8_t *good = slurp(path("tiny.kgeo"), &n);
    T_CHECK(good && n > 200);
    if (!good)
        return;
    uint8_t *b = malloc(n);
    struct km_err e;
    T_EQ_INT(try_open(good, n, &e), KM_OK);
    /* truncated anywhere */
    for (size_t cut = 0; cut < n; cut += n / 37 + 1)
        T_CHECK(try_open(good, cut, &e) > 0);
    T_EQ_INT(try_open(good, 10, &e), KM_EFORMAT);
    T_CHECK(strstr(e.msg, "truncated") != NULL);
    /* a flipped byte anywhere in the body: the checksum */
    memcpy(b, good, n);
    b[n / 2] ^= 0x40;
    T_EQ_INT(try_open(b, n, &e), KM_ECORRUPT);
    T_CHECK(strstr(e.msg, "checksum") != NULL);
    /* magic */
    memcpy(b, good, n);
    b[0] = 'X';
    T_EQ_INT(try_open(b, n, &e), KM_EFORMAT);
    /* a newer version */
    memcpy(b, good, n);
    b[8] = 9;
    T_EQ_INT(try_open(b, n, &e), KM_EVERSION);
    T_CHECK(strstr(e.msg, "version 9") != NULL);
    /* a section pointing past the end (checksum made to match) */
    memcpy(b, good, n);
    uint64_t off = n + 4096;
    memcpy(b + 64 + 8, &off, 8);
    resum(b, n);
    T_EQ_INT(try_open(b, n, &e), KM_EFORMAT);
    /* a length that wraps */
    memcpy(b, good, n);
    uint64_t len = UINT64_MAX - 8;
    memcpy(b + 64 + 16, &len, 8);
    resum(b, n);
    T_EQ_INT(try_open(b, n, &e), KM_EFORMAT);
    /* a count that does not match the length */
    memcpy(b, good, n);
    b[64 + 4] ^= 1;
    resum(b, n);
    T_EQ_INT(try_open(b, n, &e), KM_EFORMAT);
    /* range starts out of order: swap the first two IPv4 starts */
    memcpy(b, good, n);
    uint64_t s0;
    memcpy(&s0, good + 64 + 8, 8);
    uint32_t x, y;
    memcpy(&x, good + s0, 4);
    memcpy(&y, good + s0 + 4, 4);
    memcpy(b + s0, &y, 4);
    memcpy(b + s0 + 4, &x, 4);
    resum(b, n);
    T_EQ_INT(try_open(b, n, &e), KM_ECORRUPT);
    /* an empty file, a directory */
    T_EQ_INT(try_open(good, 0, &e), KM_EFORMAT);
    struct km_kgeo *k = NULL;
    km_err_clear(&e);
    T_CHECK(km_kgeo_open(dir, &k, &e) != KM_OK && k == NULL);
    km_err_clear(&e);
    T_EQ_INT(km_kgeo_open(path("missing.kgeo"), &k, &e), KM_ENOTFOUND);
    /* random damage never crashes (and is always refused: the checksum) */
    srand(7);
    for (int i = 0; i < 300; i++) {
        memcpy(b, good, n);
        for (int j = 0; j < 4; j++)
            b[(size_t)rand() % n] = (uint8_t)rand();
        if (memcmp(b, good, n) != 0)
            T_CHECK(try_open(b, n, &e) > 0);
    }
    free(b);
    free(good);
}

/* ---- MMDB files and the order of answers ------------------------------------------ */

static int mkmmdb(const char *spec_name, const char *spec, const char *out)
{
    put(spec_name, spec);
    const char *root = getenv("KUMO_ROOT");
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "python3 %s/tests/e2e/mkmmdb.py %s %s", root && *root ? root : ".",
             path(spec_name), out);
    return system(cmd);
}

static const char *city_spec =
    "{\"database_type\":\"GeoLite2-City\",\"record_size\":28,\"networks\":["
    "[\"81.2.69.0/24\",{\"city\":{\"names\":{\"en\":\"London\",\"de\":\"London\"}},"
    "\"country\":{\"iso_code\":\"GB\",\"names\":{\"en\":\"United Kingdom\"}},"
    "\"location\":{\"latitude\":51.5142,\"longitude\":-0.0931,"
    "\"accuracy_radius\":{\"$uint16\":10}}}],"
    "[\"2001:218::/32\",{\"city\":{\"names\":{\"en\":\"Tokyo\"}},\"country\":{\"iso_code\":"
    "\"JP\"},\"location\":{\"latitude\":35.685,\"longitude\":139.7514}}],"
    "[\"2.1.0.0/16\",{\"country\":{\"iso_code\":\"AT\"},\"city\":{\"names\":{\"en\":\"Wien\"}}}]"
    "]}";
static const char *asn_spec =
    "{\"database_type\":\"GeoLite2-ASN\",\"record_size\":24,\"networks\":["
    "[\"81.2.69.0/24\",{\"autonomous_system_number\":{\"$uint32\":20712},"
    "\"autonomous_system_organization\":\"Andrews & Arnold Ltd\"}],"
    "[\"1.0.0.0/24\",{\"autonomous_system_number\":{\"$uint32\":13335},"
    "\"autonomous_system_organization\":\"CLOUDFLARENET\"}],"
    "[\"2001:218::/32\",{\"autonomous_system_number\":2914}]"
    "]}";
static const char *country_spec =
    "{\"database_type\":\"DBIP-Country-Lite\",\"record_size\":32,\"networks\":["
    "[\"2.1.0.0/16\",{\"country\":{\"iso_code\":\"CH\"}}],"
    "[\"5.0.0.0/8\",{\"country\":{\"iso_code\":\"it\"}}]"
    "]}";

static void describe_line(void *ctx, const char *text)
{
    char *b = ctx;
    size_t n = strlen(b);
    snprintf(b + n, 4096 - n, "%s\n", text);
}

static struct km_geo *open_with(const char *const *files, size_t n, const char *builtin)
{
    setenv("KUMO_GEO_BUILTIN", builtin, 1);
    unsetenv("KUMO_GEOIP");
    struct km_geo *g = NULL;
    struct km_err e;
    km_err_clear(&e);
    int rc = km_geo_open(files, n, NULL, &g, &e);
    if (rc)
        fprintf(stderr, "  open: %s (%s)\n", e.msg, e.file);
    return g;
}

static void test_mmdb_answers(void)
{
    T_EQ_INT(mkmmdb("city.json", city_spec, path("city.mmdb")), 0);
    T_EQ_INT(mkmmdb("asn.json", asn_spec, path("asn.mmdb")), 0);
    const char *files[] = {path("city.mmdb"), path("asn.mmdb")};
    struct km_geo *g = open_with(files, 2, "none");
    T_CHECK(g != NULL);
    if (!g)
        return;
    struct km_geo_rec r;
    km_geo_lookup(g, "81.2.69.160", 11, &r);
    T_EQ_INT(r.cls, KM_GEO_PUBLIC);
    T_EQ_STR(r.country, "GB");
    T_EQ_STR(r.city, "London");
    T_CHECK(fabs(r.lat - 51.5142) < 1e-6 && fabs(r.lon - -0.0931) < 1e-6);
    T_CHECK(r.radius_km == 10);
    T_EQ_INT(r.asn, 20712);
    T_EQ_STR(r.as_org, "Andrews & Arnold Ltd");
    T_EQ_STR(r.db, "city.mmdb");
    T_EQ_STR(r.asn_db, "asn.mmdb");
    T_EQ_STR(r.loc_db, "city.mmdb");
    km_geo_lookup(g, "2001:218:5::1", 13, &r);
    T_EQ_STR(r.country, "JP");
    T_EQ_STR(r.city, "Tokyo");
    T_EQ_INT(r.asn, 2914);
    T_EQ_STR(r.as_org, "");
    km_geo_lookup(g, "1.0.0.1", 7, &r);
    T_EQ_STR(r.country, ""); /* the ASN file knows it, no file knows its place */
    T_EQ_INT(r.asn, 13335);
    T_CHECK(isnan(r.lat));
    km_geo_lookup(g, "9.9.9.9", 7, &r);
    T_EQ_STR(r.country, "");
    T_EQ_INT(r.asn, 0);
    T_EQ_STR(r.db, "");
    char line[4096] = "";
    km_geo_describe(g, describe_line, line);
    T_CHECK(strstr(line, "city.mmdb\tmmdb City") != NULL);
    T_CHECK(strstr(line, "asn.mmdb\tmmdb ASN") != NULL);
    T_CHECK(strstr(line, "builtin\tswitched off") != NULL);
    km_geo_close(g);
    /* a file that is not an MMDB is an error naming it */
    put("junk.mmdb", "this is not a MaxMind database at all\n");
    const char *bad[] = {path("junk.mmdb")};
    setenv("KUMO_GEO_BUILTIN", "none", 1);
    struct km_err e;
    km_err_clear(&e);
    g = NULL;
    T_EQ_INT(km_geo_open(bad, 1, NULL, &g, &e), KM_EFORMAT);
    T_EQ_STR(e.file, path("junk.mmdb"));
    T_CHECK(g == NULL);
    /* truncated MMDB */
    size_t n;
    uint8_t *b = slurp(path("city.mmdb"), &n);
    FILE *f = fopen(path("cut.mmdb"), "wb");
    fwrite(b, 1, n / 2, f);
    fclose(f);
    free(b);
    const char *cut[] = {path("cut.mmdb")};
    km_err_clear(&e);
    T_CHECK(km_geo_open(cut, 1, NULL, &g, &e) != KM_OK);
    T_EQ_STR(e.file, path("cut.mmdb"));
}

static void test_precedence(void)
{
    T_EQ_INT(mkmmdb("country.json", country_spec, path("country.mmdb")), 0);
    /* MMDB before builtin: 81.2.69.x is FR in the tiny builtin, GB in city.mmdb */
    const char *files[] = {path("city.mmdb")};
    struct km_geo *g = open_with(files, 1, path("tiny.kgeo"));
    T_CHECK(g != NULL);
    if (!g)
        return;
    struct km_geo_rec r;
    km_geo_lookup(g, "81.2.69.160", 11, &r);
    T_EQ_STR(r.country, "GB");
    T_EQ_STR(r.db, "city.mmdb");
    /* what the MMDB lacks, the builtin answers, with the country's point */
    km_geo_lookup(g, "2.0.0.1", 7, &r);
    T_EQ_STR(r.country, "FR");
    T_EQ_STR(r.db, "builtin");
    T_EQ_STR(r.loc_db, "builtin");
    T_CHECK(fabs(r.lat - 48.85341) < 1e-4);
    T_CHECK(r.radius_km > 600);
    /* a country-only MMDB answer gets the builtin's point for that country */
    km_geo_close(g);
    const char *f2[] = {path("country.mmdb"), path("city.mmdb")};
    g = open_with(f2, 2, path("tiny.kgeo"));
    km_geo_lookup(g, "2.1.3.4", 7, &r);
    /* country.mmdb (first) says CH; city.mmdb says AT, Wien: its city is of
     * another country, so it is not taken */
    T_EQ_STR(r.country, "CH");
    T_EQ_STR(r.db, "country.mmdb");
    T_EQ_STR(r.city, "");
    km_geo_lookup(g, "5.6.7.8", 7, &r);
    T_EQ_STR(r.country, "IT"); /* lower-case iso_code normalised */
    /* the order of the files decides */
    km_geo_close(g);
    const char *f3[] = {path("city.mmdb"), path("country.mmdb")};
    g = open_with(f3, 2, "none");
    km_geo_lookup(g, "2.1.3.4", 7, &r);
    T_EQ_STR(r.country, "AT");
    T_EQ_STR(r.city, "Wien");
    T_CHECK(isnan(r.lat)); /* no builtin: no reference point */
    km_geo_close(g);
    /* the provider's own country wins; a different one drops the city */
    g = open_with(files, 1, path("tiny.kgeo"));
    km_geo_lookup(g, "81.2.69.160", 11, &r);
    km_geo_apply_provider(g, KM_STR("DE"), KM_STR("Berlin"), &r);
    T_EQ_STR(r.country, "DE");
    T_EQ_STR(r.db, "provider");
    T_EQ_STR(r.city, "");
    T_CHECK(fabs(r.lat - 52.52437) < 1e-4); /* Germany's reference point */
    km_geo_lookup(g, "81.2.69.160", 11, &r);
    km_geo_apply_provider(g, KM_STR("GB"), KM_STR_NONE, &r);
    T_EQ_STR(r.city, "London"); /* same country: the lookup's detail stays */
    T_EQ_STR(r.db, "provider");
    km_geo_lookup(g, "81.2.69.160", 11, &r);
    km_geo_apply_provider(g, KM_STR_NONE, KM_STR("Paris"), &r);
    T_EQ_STR(r.country, "GB");
    T_EQ_STR(r.db, "city.mmdb");
    double lat, lon, rad;
    T_EQ_INT(km_geo_country_point(g, "FR", &lat, &lon, &rad), 1);
    T_EQ_STR(km_geo_country_name(g, "DE"), "Germany");
    km_geo_close(g);
    /* configuration: geo.mmdb and geo.builtin */
    char conf[2048];
    snprintf(conf, sizeof conf, "[geo]\nmmdb = %s, %s\nbuiltin = %s\n", path("asn.mmdb"),
             path("city.mmdb"), path("tiny.kgeo"));
    struct km_conf *c = NULL;
    struct km_err e;
    km_err_clear(&e);
    T_EQ_INT(km_conf_parse("test.conf", conf, strlen(conf), &c, &e), KM_OK);
    setenv("KUMO_GEO_BUILTIN", "none", 1); /* the configuration wins over the environment */
    g = NULL;
    T_EQ_INT(km_geo_open(NULL, 0, c, &g, &e), KM_OK);
    km_geo_lookup(g, "81.2.69.160", 11, &r);
    T_EQ_STR(r.asn_db, "asn.mmdb");
    T_EQ_STR(r.db, "city.mmdb");
    km_geo_lookup(g, "2.0.0.1", 7, &r);
    T_EQ_STR(r.db, "builtin");
    km_geo_close(g);
    km_conf_free(c);
    /* KUMO_GEOIP (colon-separated) */
    char env[1100];
    snprintf(env, sizeof env, "%s:%s", path("asn.mmdb"), path("city.mmdb"));
    setenv("KUMO_GEOIP", env, 1);
    g = NULL;
    km_err_clear(&e);
    T_EQ_INT(km_geo_open(NULL, 0, NULL, &g, &e), KM_OK);
    km_geo_lookup(g, "81.2.69.160", 11, &r);
    T_EQ_STR(r.city, "London");
    T_EQ_INT(r.asn, 20712);
    km_geo_close(g);
    unsetenv("KUMO_GEOIP");
    /* an explicitly named builtin that is missing is an error; none is fine */
    setenv("KUMO_GEO_BUILTIN", path("missing.kgeo"), 1);
    km_err_clear(&e);
    g = NULL;
    T_EQ_INT(km_geo_open(NULL, 0, NULL, &g, &e), KM_ENOTFOUND);
    T_EQ_STR(e.file, path("missing.kgeo"));
}

/* ---- the cache ------------------------------------------------------------------- */

struct thr {
    struct km_geo *g;
    int bad;
};

static void *hammer(void *arg)
{
    struct thr *t = arg;
    for (int i = 0; i < 20000; i++) {
        char ip[32];
        int j = i % 3000;
        snprintf(ip, sizeof ip, "2.%d.%d.1", j / 256 % 4, j % 256);
        struct km_geo_rec r;
        km_geo_lookup(t->g, ip, strlen(ip), &r);
        const char *want = j / 256 % 4 == 1 ? "DE" : "FR";
        if (strcmp(r.country, want) != 0)
            t->bad++;
    }
    return NULL;
}

static void test_cache(void)
{
    struct km_geo *g = open_with(NULL, 0, path("tiny.kgeo"));
    T_CHECK(g != NULL);
    if (!g)
        return;
    struct km_geo_rec a, b;
    uint64_t h0, m0, h1, m1;
    km_geo_cache_stats(g, &h0, &m0);
    km_geo_lookup(g, "2.1.0.9", 7, &a);
    km_geo_lookup(g, "2.1.0.9", 7, &b);
    km_geo_cache_stats(g, &h1, &m1);
    T_EQ_INT(m1 - m0, 1);
    T_EQ_INT(h1 - h0, 1);
    T_CHECK(memcmp(&a, &b, sizeof a) == 0 || (strcmp(a.country, b.country) == 0 &&
                                              a.asn == b.asn && a.db == b.db));
    T_EQ_STR(b.country, "DE");
    /* the same address in another spelling is the same entry */
    km_geo_lookup(g, "::ffff:2.1.0.9", 14, &b);
    km_geo_cache_stats(g, &h1, &m1);
    T_EQ_INT(h1 - h0, 2);
    /* more addresses than the cache holds: answers stay right */
    for (int i = 0; i < KM_GEO_CACHE_MAX + 5000; i++) {
        char ip[32];
        snprintf(ip, sizeof ip, "2.%d.%d.%d", (i >> 16) & 3, (i >> 8) & 255, i & 255);
        km_geo_lookup(g, ip, strlen(ip), &a);
        if (strcmp(a.country, ((i >> 16) & 3) == 1 ? "DE" : "FR") != 0) {
            T_CHECK(!"wrong answer past the cache's size");
            break;
        }
    }
    km_geo_lookup(g, "2.1.0.9", 7, &a);
    T_EQ_STR(a.country, "DE");
    /* two threads at once */
    struct thr t[2] = {{g, 0}, {g, 0}};
    pthread_t th;
    pthread_create(&th, NULL, hammer, &t[1]);
    hammer(&t[0]);
    pthread_join(th, NULL);
    T_EQ_INT(t[0].bad + t[1].bad, 0);
    km_geo_close(g);
    /* lazy opening happens once, on the first get */
    setenv("KUMO_GEO_BUILTIN", path("tiny.kgeo"), 1);
    struct km_geo_lazy *l = km_geo_lazy_new(NULL, 0, NULL);
    T_EQ_INT(km_geo_lazy_opened(l), 0);
    struct km_geo *g1 = NULL, *g2 = NULL;
    struct km_err e;
    km_err_clear(&e);
    T_EQ_INT(km_geo_lazy_get(l, &g1, &e), KM_OK);
    T_EQ_INT(km_geo_lazy_get(l, &g2, &e), KM_OK);
    T_CHECK(g1 && g1 == g2);
    km_geo_lazy_free(l);
}

static void test_real_builtin(void)
{
    /* the database `make` builds from Debian data, when it was built */
    const char *root = getenv("KUMO_ROOT");
    char p[1024];
    snprintf(p, sizeof p, "%s/share/kumo/kumo-geo.kgeo", root && *root ? root : ".");
    struct km_geo *g = open_with(NULL, 0, p);
    T_CHECK(g != NULL);
    if (!g)
        return;
    struct km_geo_rec r;
    km_geo_lookup(g, "8.8.8.8", 7, &r);
    T_EQ_STR(r.country, "US");
    if (access("/usr/share/libloc-location/location.db", R_OK) == 0)
        T_EQ_INT(r.asn, 15169);
    km_geo_lookup(g, "2001:4860:4860::8888", 20, &r);
    T_EQ_STR(r.country, "US");
    km_geo_lookup(g, "193.0.6.139", 11, &r); /* RIPE NCC, Amsterdam */
    T_EQ_STR(r.country, "NL");
    double lat, lon, rad;
    T_EQ_INT(km_geo_country_point(g, "FR", &lat, &lon, &rad), 1);
    T_CHECK(fabs(lat - 48.85) < 0.1 && fabs(lon - 2.35) < 0.1); /* Paris */
    km_geo_close(g);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/kumo-test-geo-%ld", (long)getpid());
    mkdir(dir, 0755);
    inputs();
    T_RUN(test_classes);
    T_RUN(test_label_raw);
    T_RUN(test_distance);
    T_RUN(test_kgeo_build_read);
    T_RUN(test_kgeo_bad_inputs);
    T_RUN(test_kgeo_corrupt);
    T_RUN(test_mmdb_answers);
    T_RUN(test_precedence);
    T_RUN(test_cache);
    if (access("share/kumo/kumo-geo.kgeo", R_OK) == 0 && access("/usr/share/tor/geoip", R_OK) == 0)
        T_RUN(test_real_builtin);
    else /* the Debian inputs are absent: nothing was built */
        printf("ok - test_real_builtin # skip no built-in database (Debian tor-geoipdb absent)\n");
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", dir);
    return t_done();
}
