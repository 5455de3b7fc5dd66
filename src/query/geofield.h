/*
 * geofield.h — the enrichment fields of the query language, computed when a
 * query reads them (an IP is a dimension, not a stored event value):
 *
 *   src.geo.country  the provider's own stored country when present (Entra's
 *                    location), else the lookup's ISO code
 *   src.geo.city     the stored city when present, else the lookup's
 *   src.geo.lat/lon  numbers: the answer's point (a country's reference point
 *                    for a country-level answer)
 *   src.asn          integer AS number; src.as_org its organisation
 *   src.geo.db       the database that answered the country ("provider",
 *                    "builtin", an MMDB file's base name)
 *   src.ip_class     public, private, loopback, link-local, cgnat,
 *                    documentation, multicast, reserved, cloud-internal
 *
 * Per segment, answers are kept in a table indexed by the src.ip dictionary
 * code, so a row costs an array index; src.asn and src.as_org depend on
 * src.ip alone, so conditions on them are evaluated once per dictionary
 * value and prune segments like any dictionary-field condition.
 */
#ifndef KM_QUERY_GEOFIELD_H
#define KM_QUERY_GEOFIELD_H

#include "query/exec.h"

struct km_geo;
struct km_seg;

enum km_qgeo_field {
    KM_QG_COUNTRY = 0, KM_QG_CITY, KM_QG_LAT, KM_QG_LON, KM_QG_ASN, KM_QG_AS_ORG, KM_QG_DB,
    KM_QG_IP_CLASS, KM_QG__COUNT
};

/* The geo field named name[0..n), or -1. */
int km_qgeo_field(const char *name, size_t n);
/* The one stored field a geo field depends on (KM_F_SRC_IP), or -1 when it
 * depends on several. */
int km_qgeo_onef(int gf);

struct km_qgeo;
struct km_qgeo *km_qgeo_new(struct km_geo *g);
void km_qgeo_free(struct km_qgeo *q);
/* The field's value for a row of a segment (segno identifies the segment
 * across calls). Strings stay valid until the next call for another row. */
struct km_qval km_qgeo_row(struct km_qgeo *q, int gf, struct km_seg *seg, uint64_t segno,
                           uint32_t row);
/* The value for one src.ip value (building a dictionary bitmap). */
struct km_qval km_qgeo_value(struct km_qgeo *q, int gf, struct km_str ip);

#endif
