/*
 * mmdb.c — reading MaxMind DB files through libmaxminddb (mmdb.h). The
 * library is dlopen'ed once, on the first file opened; its structures come
 * from <maxminddb.h> (Debian libmaxminddb-dev) at build time. Lookups on an
 * opened MMDB_s are read-only and thread-safe.
 */
#include "geo/mmdb.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <math.h>
#include <maxminddb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MMDB_FUNCS(X) X(MMDB_open) X(MMDB_close) X(MMDB_lookup_sockaddr) X(MMDB_aget_value) \
    X(MMDB_strerror)
#define DECL(f) static __typeof__(f) *p_##f;
MMDB_FUNCS(DECL)
#undef DECL
static pthread_once_t mm_once = PTHREAD_ONCE_INIT;
static char mm_why[300];

static void mm_load(void)
{
    void *h = dlopen("libmaxminddb.so.0", RTLD_NOW | RTLD_LOCAL);
    if (!h)
        h = dlopen("libmaxminddb.so", RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        snprintf(mm_why, sizeof mm_why,
                 "cannot load libmaxminddb (Debian package libmaxminddb0): %s", dlerror());
        return;
    }
#define LOAD(f)                                                                         \
    if (!(p_##f = (__typeof__(p_##f))dlsym(h, #f))) {                                   \
        snprintf(mm_why, sizeof mm_why, "libmaxminddb lacks %s", #f);                   \
        return;                                                                         \
    }
    MMDB_FUNCS(LOAD)
#undef LOAD
}

struct km_mmdb {
    MMDB_s db;
    int kind;
};

int km_mmdb_open(const char *path, struct km_mmdb **out, struct km_err *err)
{
    *out = NULL;
    struct stat st;
    if (stat(path, &st) != 0)
        return km_err_set(err, errno == ENOENT ? KM_ENOTFOUND : KM_EIO, path, UINT64_MAX,
                          "cannot open GeoIP database: %s", strerror(errno));
    if (!S_ISREG(st.st_mode))
        return km_err_set(err, KM_EIO, path, UINT64_MAX, "not a regular file");
    pthread_once(&mm_once, mm_load);
    if (mm_why[0])
        return km_err_set(err, KM_ENOTFOUND, path, UINT64_MAX, "%s", mm_why);
    struct km_mmdb *m = km_xcalloc(1, sizeof *m);
    int rc = p_MMDB_open(path, MMDB_MODE_MMAP, &m->db);
    if (rc != MMDB_SUCCESS) {
        free(m);
        return km_err_set(err, rc == MMDB_FILE_OPEN_ERROR || rc == MMDB_IO_ERROR ? KM_EIO
                                                                                 : KM_EFORMAT,
                          path, UINT64_MAX, "not a usable MaxMind DB file: %s",
                          p_MMDB_strerror(rc));
    }
    const char *t = m->db.metadata.database_type ? m->db.metadata.database_type : "";
    m->kind = strstr(t, "City")      ? KM_MMDB_CITY
              : strstr(t, "Country") ? KM_MMDB_COUNTRY
              : strstr(t, "ASN")     ? KM_MMDB_ASN
                                     : KM_MMDB_OTHER;
    *out = m;
    return KM_OK;
}

void km_mmdb_close(struct km_mmdb *m)
{
    if (!m)
        return;
    p_MMDB_close(&m->db);
    free(m);
}

static int get(MMDB_entry_s *e, MMDB_entry_data_s *d, const char *const *path)
{
    return p_MMDB_aget_value(e, d, path) == MMDB_SUCCESS && d->has_data;
}

static double num(const MMDB_entry_data_s *d)
{
    switch (d->type) {
    case MMDB_DATA_TYPE_DOUBLE: return d->double_value;
    case MMDB_DATA_TYPE_FLOAT: return d->float_value;
    case MMDB_DATA_TYPE_UINT16: return d->uint16;
    case MMDB_DATA_TYPE_UINT32: return d->uint32;
    case MMDB_DATA_TYPE_INT32: return d->int32;
    case MMDB_DATA_TYPE_UINT64: return (double)d->uint64;
    default: return NAN;
    }
}

int km_mmdb_lookup(const struct km_mmdb *m, const uint8_t a[16], struct km_mmdb_ans *o)
{
    memset(o, 0, sizeof *o);
    o->lat = o->lon = NAN;
    static const uint8_t pre[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    union {
        struct sockaddr sa;
        struct sockaddr_in in;
        struct sockaddr_in6 in6;
    } sa;
    memset(&sa, 0, sizeof sa);
    if (memcmp(a, pre, 12) == 0) {
        sa.in.sin_family = AF_INET;
        memcpy(&sa.in.sin_addr, a + 12, 4);
    } else {
        sa.in6.sin6_family = AF_INET6;
        memcpy(&sa.in6.sin6_addr, a, 16);
    }
    int merr = 0;
    MMDB_lookup_result_s r = p_MMDB_lookup_sockaddr(&m->db, &sa.sa, &merr);
    if (merr != MMDB_SUCCESS || !r.found_entry)
        return 0;
    MMDB_entry_data_s d;
    static const char *const p_cc[] = {"country", "iso_code", NULL};
    static const char *const p_city[] = {"city", "names", "en", NULL};
    static const char *const p_lat[] = {"location", "latitude", NULL};
    static const char *const p_lon[] = {"location", "longitude", NULL};
    static const char *const p_acc[] = {"location", "accuracy_radius", NULL};
    static const char *const p_asn[] = {"autonomous_system_number", NULL};
    static const char *const p_org[] = {"autonomous_system_organization", NULL};
    if (get(&r.entry, &d, p_cc) && d.type == MMDB_DATA_TYPE_UTF8_STRING && d.data_size == 2) {
        char c0 = d.utf8_string[0], c1 = d.utf8_string[1];
        if (c0 >= 'a' && c0 <= 'z')
            c0 = (char)(c0 - 32);
        if (c1 >= 'a' && c1 <= 'z')
            c1 = (char)(c1 - 32);
        if (c0 >= 'A' && c0 <= 'Z' && c1 >= 'A' && c1 <= 'Z') {
            o->cc[0] = c0;
            o->cc[1] = c1;
            o->cc[2] = 0;
        }
    }
    if (get(&r.entry, &d, p_city) && d.type == MMDB_DATA_TYPE_UTF8_STRING && d.data_size &&
        d.data_size < 1024) {
        o->city = d.utf8_string;
        o->city_n = d.data_size;
    }
    double lat = NAN, lon = NAN;
    if (get(&r.entry, &d, p_lat))
        lat = num(&d);
    if (get(&r.entry, &d, p_lon))
        lon = num(&d);
    if (isfinite(lat) && isfinite(lon) && fabs(lat) <= 90 && fabs(lon) <= 180) {
        o->lat = lat;
        o->lon = lon;
        if (get(&r.entry, &d, p_acc)) {
            double acc = num(&d);
            o->radius_km = isfinite(acc) && acc > 0 && acc < 40000 ? acc : 0;
        }
    }
    if (get(&r.entry, &d, p_asn)) {
        double asn = num(&d);
        if (isfinite(asn) && asn > 0 && asn <= 4294967295.0)
            o->asn = (uint32_t)asn;
    }
    if (get(&r.entry, &d, p_org) && d.type == MMDB_DATA_TYPE_UTF8_STRING && d.data_size &&
        d.data_size < 1024) {
        o->org = d.utf8_string;
        o->org_n = d.data_size;
    }
    return 1;
}

int km_mmdb_kind(const struct km_mmdb *m) { return m->kind; }
const char *km_mmdb_type(const struct km_mmdb *m)
{
    return m->db.metadata.database_type ? m->db.metadata.database_type : "";
}
uint64_t km_mmdb_build_epoch(const struct km_mmdb *m) { return m->db.metadata.build_epoch; }
uint32_t km_mmdb_node_count(const struct km_mmdb *m) { return m->db.metadata.node_count; }
int km_mmdb_ip_version(const struct km_mmdb *m) { return m->db.metadata.ip_version; }
