/*
 * geo_stub.c — TEMPORARY: a database-less km_geo until src/geo/geo.c lands.
 */
#include "geo/geo.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct km_geo {
    int unused;
};

const char *km_geo_class_name(int cls)
{
    static const char *const n[] = {"public", "private", "loopback", "link-local", "cgnat",
                                    "documentation", "multicast", "reserved", "cloud-internal"};
    return cls >= 0 && cls < KM_GEO__NCLASS ? n[cls] : "public";
}

int km_geo_open(const char *const *mmdb, size_t n, const struct km_conf *conf,
                struct km_geo **out, struct km_err *err)
{
    (void)mmdb, (void)n, (void)conf, (void)err;
    *out = km_xcalloc(1, sizeof **out);
    return KM_OK;
}

void km_geo_close(struct km_geo *g) { free(g); }

void km_geo_lookup(struct km_geo *g, const char *ip, size_t n, struct km_geo_rec *out)
{
    (void)g, (void)ip, (void)n;
    memset(out, 0, sizeof *out);
    out->city = out->as_org = out->db = out->asn_db = "";
    out->lat = out->lon = NAN;
}

int km_geo_label_raw(const char *raw, size_t n)
{
    (void)raw, (void)n;
    return KM_GEO_PUBLIC;
}

double km_geo_distance_km(double lat1, double lon1, double lat2, double lon2)
{
    const double r = 6371.0088, d = M_PI / 180;
    double a = sin((lat2 - lat1) * d / 2), b = sin((lon2 - lon1) * d / 2);
    double h = a * a + cos(lat1 * d) * cos(lat2 * d) * b * b;
    return 2 * r * asin(sqrt(h < 1 ? h : 1));
}

int km_geo_country_point(const struct km_geo *g, const char *cc, double *lat, double *lon,
                         double *radius_km)
{
    (void)g, (void)cc, (void)lat, (void)lon, (void)radius_km;
    return 0;
}

void km_geo_describe(const struct km_geo *g, void (*line)(void *ctx, const char *text), void *ctx)
{
    (void)g;
    line(ctx, "no geo database (stub)");
}
