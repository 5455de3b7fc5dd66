/*
 * kgeo.h — kumo's own offline IP database (`kumo-geo.kgeo`): the reader
 * (mmap + validation) and the builder (`kumo geo build`) that makes it from
 * Debian's data at setup time.
 *
 * Layout (version 1; every integer little-endian, every section 8-byte
 * aligned; docs/geo.md has the same picture):
 *
 *   0   magic "KMGEO\r\n\x1a"                                       8 bytes
 *   8   u32 version (1)          12  u32 header size (64 + 24 * nsec)
 *   16  u64 file size            24  u64 checksum of bytes [32, file size)
 *   32  i64 build time (Unix s)  40  u32 nsec   44  u32 flags (0)
 *   48  16 bytes zero
 *   64  nsec section entries: u32 kind, u32 count, u64 offset, u64 length
 *   ... sections
 *
 *   kind  content                                   entry
 *   1     IPv4 country range starts (sorted)        u32
 *   2     IPv4 country values                       u16 country index (0 = none)
 *   3     IPv6 country range starts (sorted)        u64 high, u64 low
 *   4     IPv6 country values                       u16
 *   5     IPv4 ASN range starts                     u32
 *   6     IPv4 ASN values                           u32 AS number (0 = none)
 *   7     IPv6 ASN range starts                     u64 high, u64 low
 *   8     IPv6 ASN values                           u32
 *   9     countries (index 0 is "none")             24 bytes: char cc[2], u16 flags,
 *                                                   u32 name, f32 lat, f32 lon,
 *                                                   f32 radius_km, u32 capital
 *   10    AS names, sorted by number                u32 asn, u32 name
 *   11    string pool (names are offsets; ends in NUL)
 *   12    sources text (NUL-terminated): inputs, their dates and licences
 *
 * A range table is a sorted list of starts: an address belongs to the last
 * start <= it, whose value is 0 in a gap. The checksum is 64-bit, four lanes
 * of multiply-xor over 8-byte words (kgeo.c, km_kgeo_checksum).
 *
 * Validation at open: size, magic, version, header and section bounds,
 * entry sizes, paired counts, sorted starts, the pool's final NUL and the
 * checksum; string offsets and country indexes are bounds-checked at each
 * use. A bad file is an error naming it, never a crash.
 */
#ifndef KM_KGEO_H
#define KM_KGEO_H

#include "core/km.h"

#define KM_KGEO_VERSION 1

struct km_kgeo;

/* Opens and validates path (mmap). KM_OK, KM_EIO (unreadable), KM_EFORMAT
 * (not a kgeo file / a section out of bounds), KM_EVERSION (newer format),
 * KM_ECORRUPT (checksum or order): err names the file. */
int km_kgeo_open(const char *path, struct km_kgeo **out, struct km_err *err);
/* The same over p[0..n) (not copied: must outlive the handle); `name` is
 * used in messages. */
int km_kgeo_open_mem(const void *p, size_t n, const char *name, struct km_kgeo **out,
                     struct km_err *err);
void km_kgeo_close(struct km_kgeo *k);

/* Country of a 16-byte address (IPv4-mapped for IPv4): writes cc (2 letters
 * + NUL, "" when none) and returns the country's index, or 0. */
int km_kgeo_country(const struct km_kgeo *k, const uint8_t a[16], char cc[3]);
/* AS number of an address (0 when none); *org = its name or "". */
uint32_t km_kgeo_asn(const struct km_kgeo *k, const uint8_t a[16], const char **org);
/* Reference point of a country: 1 with lat/lon/radius (and name, capital
 * when not NULL), or 0 when the file has no coordinates for it. */
int km_kgeo_country_point(const struct km_kgeo *k, const char *cc, double *lat, double *lon,
                          double *radius_km, const char **name, const char **capital);
/* Name of an AS number ("" when none). */
const char *km_kgeo_as_name(const struct km_kgeo *k, uint32_t asn);

struct km_kgeo_info {
    int64_t built;            /* Unix seconds */
    uint64_t size;
    uint32_t v4_country, v6_country, v4_asn, v6_asn;  /* range-table entries */
    uint32_t countries, with_point, as_names;
    const char *sources;      /* "" when none */
};
void km_kgeo_info(const struct km_kgeo *k, struct km_kgeo_info *out);

/* The file checksum over p[0..n) (n a multiple of 8 or not). */
uint64_t km_kgeo_checksum(const void *p, size_t n);

/* ---- building ------------------------------------------------------------ */

struct km_kgeo_build {
    const char *out;          /* file to write (atomically: temp + rename) */
    const char *tor_dir;      /* geoip + geoip6 (tor-geoipdb); NULL: /usr/share/tor */
    const char *libloc;       /* location.db (libloc-database); NULL: the Debian path */
    const char *geonames_dir; /* countryInfo.txt + cities15000.txt; NULL: libtimezonemap's */
    int64_t now;              /* build time to record (Unix s); 0: the clock */
    /* out */
    int used_tor, used_libloc, used_geonames;
    char note[512];           /* which inputs were missing, for the command's report */
};
/* Builds the database. Inputs that do not exist are skipped (noted); at least
 * one of tor-geoipdb and libloc-database must exist (else KM_ENOTFOUND). A
 * malformed input line is KM_EFORMAT naming file and line. */
int km_kgeo_build(struct km_kgeo_build *b, struct km_kgeo_info *info, struct km_err *err);

#define KM_KGEO_TOR_DIR "/usr/share/tor"
#define KM_KGEO_LIBLOC "/usr/share/libloc-location/location.db"
#define KM_KGEO_GEONAMES_DIR "/usr/share/libtimezonemap/ui"

#endif
