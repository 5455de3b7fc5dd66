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
    const char *loc_db;     /* which answered lat/lon ("builtin" for a country's
                               reference point) */
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

/* ---- additions to the contract above (same module) ----------------------- */

/* The class of a 16-byte address (IPv4 as IPv4-mapped, core/ip.h). NAT64
 * (64:ff9b::/96) addresses are classed by the IPv4 address they carry. */
int km_geo_classify(const uint8_t a[16]);

/* As km_geo_lookup, for a binary address. */
void km_geo_lookup_addr(struct km_geo *g, const uint8_t a[16], struct km_geo_rec *out);

/* A lower bound of the distance between two located answers: the distance
 * between their points minus both radius_km, floored at 0 (a country-level
 * answer may be anywhere within its radius). NAN when either has no point. */
double km_geo_min_distance_km(const struct km_geo_rec *a, const struct km_geo_rec *b);

/* Applies the provider's own geolocation (the stored src.geo.country /
 * src.geo.city, e.g. Entra's `location`) to a lookup's answer: a stored
 * country wins (db becomes "provider"; a two-letter code is copied into
 * country, a name leaves country ""); when it differs from the looked-up
 * one, the lookup's city is dropped and its point replaced by the stored
 * country's reference point. The stored city is the caller's to show (rec
 * does not point at it). An absent country (p == NULL or n == 0) changes
 * nothing. */
void km_geo_apply_provider(const struct km_geo *g, struct km_str country, struct km_str city,
                           struct km_geo_rec *rec);

/* English name of a country code from the built-in data, or "". */
const char *km_geo_country_name(const struct km_geo *g, const char *cc);

/* Where the built-in database is (see docs/geo.md): `geo.builtin` of conf,
 * else $KUMO_GEO_BUILTIN, else next to the kumo binary
 * (<dir>/share/kumo/kumo-geo.kgeo, <dir>/../share/kumo/kumo-geo.kgeo), else
 * /usr/local/share/kumo and /usr/share/kumo. Returns 1 and the path of the
 * first that exists; 0 when none does (path = where `make` would put it);
 * -1 when it is switched off (`geo.builtin = none`) or named explicitly but
 * missing (path = that name). */
int km_geo_builtin_find(const struct km_conf *conf, char *path, size_t n);

/* Lookups answered from the cache / asked of the databases, since open. */
void km_geo_cache_stats(const struct km_geo *g, uint64_t *hits, uint64_t *misses);

/* Opening on first use: a command that may or may not look anything up
 * hands this on; only the first km_geo_lazy_get opens the databases (its
 * result, or its error, is kept). Thread-safe. `conf` is borrowed and must
 * outlive the handle; the paths are copied. */
struct km_geo_lazy;
struct km_geo_lazy *km_geo_lazy_new(const char *const *mmdb, size_t n, const struct km_conf *conf);
int km_geo_lazy_get(struct km_geo_lazy *l, struct km_geo **out, struct km_err *err);
/* 1 when the databases have been opened (successfully or not). */
int km_geo_lazy_opened(const struct km_geo_lazy *l);
void km_geo_lazy_free(struct km_geo_lazy *l);

#define KM_GEO_MAX_DB 16            /* MMDB files at most, all sources together */
#define KM_GEO_CACHE_MAX 65536      /* cached answers at most */

#endif
