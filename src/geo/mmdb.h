/*
 * mmdb.h — MaxMind DB files (GeoLite2 / GeoIP2 / DB-IP City, Country, ASN)
 * through libmaxminddb, which is loaded with dlopen on first use (Debian
 * libmaxminddb0): commands that look nothing up do not pay for it. Internal
 * to src/geo/.
 */
#ifndef KM_GEO_MMDB_H
#define KM_GEO_MMDB_H

#include "core/km.h"

struct km_mmdb;

enum km_mmdb_kind { KM_MMDB_OTHER = 0, KM_MMDB_CITY, KM_MMDB_COUNTRY, KM_MMDB_ASN };

/* Opens path. KM_OK, KM_ENOTFOUND (no file / no libmaxminddb), KM_EFORMAT
 * (libmaxminddb refuses it: err names the file and says why). */
int km_mmdb_open(const char *path, struct km_mmdb **out, struct km_err *err);
void km_mmdb_close(struct km_mmdb *m);

/* One answer. Strings point into the mapped file and are NOT NUL-terminated:
 * use the lengths. */
struct km_mmdb_ans {
    char cc[3];               /* country.iso_code, "" when none */
    const char *city;         /* city.names.en */
    uint32_t city_n;
    double lat, lon;          /* location.latitude/longitude, NAN when none */
    double radius_km;         /* location.accuracy_radius, 0 when none */
    uint32_t asn;             /* autonomous_system_number */
    const char *org;          /* autonomous_system_organization */
    uint32_t org_n;
};
/* Looks up a 16-byte address (IPv4-mapped for IPv4). Returns 1 when the
 * file has a record for it (fields it lacks stay empty), else 0. */
int km_mmdb_lookup(const struct km_mmdb *m, const uint8_t a[16], struct km_mmdb_ans *out);

int km_mmdb_kind(const struct km_mmdb *m);
const char *km_mmdb_type(const struct km_mmdb *m);   /* metadata database_type */
uint64_t km_mmdb_build_epoch(const struct km_mmdb *m);
uint32_t km_mmdb_node_count(const struct km_mmdb *m);
int km_mmdb_ip_version(const struct km_mmdb *m);

#endif
