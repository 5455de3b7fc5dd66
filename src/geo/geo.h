/*
 * geo.h — where an address is: country, city, coordinates, ASN and AS
 * organisation, from databases that need no network.
 *
 * An IP is a *dimension*, not an event value: the store keeps the address
 * (src.ip) and, where the provider recorded one, its own geolocation
 * (src.geo.country / src.geo.city, e.g. Entra's `location`); everything else
 * is looked up here when a command reads the event, so a new or updated
 * database changes every answer at once and needs no re-ingest.
 *
 * Databases, asked in order until one answers (each field separately: an
 * ASN database and a City database complement each other):
 *   1. MMDB files the user names (GeoLite2 / GeoIP2 / DB-IP City, Country
 *      and ASN) through libmaxminddb: `--geo FILE` (repeatable), the
 *      KUMO_GEOIP environment variable (colon-separated paths) or the
 *      `geo.mmdb` list of the configuration (core/conf.h).
 *   2. The built-in offline database (`kumo-geo.kgeo`), made at setup time
 *      from Debian data: country ranges from tor-geoipdb, ASN and AS names
 *      from libloc-database, country reference coordinates from GeoNames
 *      (libtimezonemap-data). Country-level answers only: `city` is empty and
 *      lat/lon are the country's reference point with `radius_km` saying how
 *      far from it the address may be.
 *
 * Addresses that have no place are labelled and never given a country:
 * private (RFC 1918, ULA), loopback, link-local, CGNAT (100.64/10),
 * documentation (192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32),
 * multicast, reserved/unspecified, and cloud-provider-internal ones
 * (values such as "AWS Internal" that are not addresses at all are labelled
 * by km_geo_label_raw()).
 */
#ifndef KM_GEO_H
#define KM_GEO_H

#include "core/km.h"

struct km_conf;

/* What kind of address it is. */
enum km_geo_class {
    KM_GEO_PUBLIC = 0,
    KM_GEO_PRIVATE,         /* 10/8, 172.16/12, 192.168/16, fc00::/7 */
    KM_GEO_LOOPBACK,        /* 127/8, ::1 */
    KM_GEO_LINK_LOCAL,      /* 169.254/16, fe80::/10 */
    KM_GEO_CGNAT,           /* 100.64/10 */
    KM_GEO_DOCUMENTATION,   /* 192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32 */
    KM_GEO_MULTICAST,
    KM_GEO_RESERVED,        /* 0/8, 240/4, ::, other IANA special-purpose */
    KM_GEO_CLOUD_INTERNAL,  /* a provider's own caller, not an address ("AWS Internal") */
    KM_GEO__NCLASS
};
/* "public", "private", "loopback", "link-local", "cgnat", "documentation",
 * "multicast", "reserved", "cloud-internal". */
const char *km_geo_class_name(int cls);

/* One answer. Strings point into the database (valid while it is open) or
 * are static; absent ones are "" and numbers 0 / NAN as noted. */
struct km_geo_rec {
    uint8_t cls;            /* enum km_geo_class */
    char country[3];        /* ISO 3166-1 alpha-2, "" when unknown or not public */
    const char *city;       /* "" when unknown */
    double lat, lon;        /* NAN when unknown */
    double radius_km;       /* accuracy: city-level MMDB's accuracy_radius, a
                               country-level answer's country radius; 0 unknown */
    uint32_t asn;           /* 0 when unknown */
    const char *as_org;     /* "" when unknown */
    const char *db;         /* which database answered the country: a file's
                               base name, "builtin", or "" */
    const char *asn_db;     /* which answered the ASN */
};

struct km_geo;

/*
 * Opens the databases: the MMDB files in `mmdb` (n of them; NULL/0 for
 * none) followed by those of the configuration and KUMO_GEOIP, then the
 * built-in database (found next to the kumo binary, see docs/geo.md; its
 * absence is not an error: km_geo_describe says so). Returns KM_OK,
 * KM_EIO / KM_EFORMAT naming a file that cannot be used.
 */
int km_geo_open(const char *const *mmdb, size_t n, const struct km_conf *conf,
                struct km_geo **out, struct km_err *err);
void km_geo_close(struct km_geo *g);

/* Looks up canonical address text ip[0..n). Never fails: an unknown address
 * gives a record with empty fields. Thread-safe. Answers are cached per
 * address, so repeated lookups cost a hash probe. */
void km_geo_lookup(struct km_geo *g, const char *ip, size_t n, struct km_geo_rec *out);
/* The class of a value that is not an address (src.raw without src.ip):
 * KM_GEO_CLOUD_INTERNAL for "AWS Internal", "*.amazonaws.com",
 * "private", "gce-internal-ip", "*.googleapis.com", ...; KM_GEO_PUBLIC
 * when it cannot tell. */
int km_geo_label_raw(const char *raw, size_t n);

/* Great-circle distance in km (haversine, mean Earth radius 6371.0088 km). */
double km_geo_distance_km(double lat1, double lon1, double lat2, double lon2);

/* Reference point of a country (ISO alpha-2) from the built-in data: 1 and
 * lat/lon/radius_km filled, or 0. */
int km_geo_country_point(const struct km_geo *g, const char *cc, double *lat, double *lon,
                         double *radius_km);

/* One line per database for `kumo geo status` and --help: name, path,
 * kind (mmdb City/Country/ASN, builtin), build date, record count. */
void km_geo_describe(const struct km_geo *g, void (*line)(void *ctx, const char *text),
                     void *ctx);

#endif
