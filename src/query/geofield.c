/*
 * geofield.c — src.geo.*, src.asn, src.as_org and src.ip_class for the query
 * executor (geofield.h).
 */
#include "query/geofield.h"

#include "core/event.h"
#include "geo/geo.h"
#include "store/segment.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const names[KM_QG__COUNT] = {
    [KM_QG_COUNTRY] = "src.geo.country", [KM_QG_CITY] = "src.geo.city",
    [KM_QG_LAT] = "src.geo.lat",         [KM_QG_LON] = "src.geo.lon",
    [KM_QG_ASN] = "src.asn",             [KM_QG_AS_ORG] = "src.as_org",
    [KM_QG_DB] = "src.geo.db",           [KM_QG_IP_CLASS] = "src.ip_class",
};

int km_qgeo_field(const char *name, size_t n)
{
    for (int i = 0; i < KM_QG__COUNT; i++)
        if (strlen(names[i]) == n && memcmp(names[i], name, n) == 0)
            return i;
    return -1;
}

int km_qgeo_onef(int gf)
{
    return gf == KM_QG_ASN || gf == KM_QG_AS_ORG ? KM_F_SRC_IP : -1;
}

struct km_qgeo {
    struct km_geo *g;
    char cc[26 * 26][3];          /* stable text of every country code */
    /* the segment's table: src.ip code -> answer */
    uint64_t seg_id;              /* segno + 1 */
    int kind;                     /* KM_SEG_DICT / PLAIN / ABSENT for src.ip */
    const void *codes;
    int width;
    struct km_geo_rec *tab;
    uint8_t *fill;
    uint32_t cap;
    /* the current row */
    uint64_t row_seg;
    uint32_t row;
    struct km_geo_rec rec;
    int has_ip;
    struct km_str st_country, st_city;
};

struct km_qgeo *km_qgeo_new(struct km_geo *g)
{
    struct km_qgeo *q = km_xcalloc(1, sizeof *q);
    q->g = g;
    for (int i = 0; i < 26 * 26; i++) {
        q->cc[i][0] = (char)('A' + i / 26);
        q->cc[i][1] = (char)('A' + i % 26);
    }
    return q;
}

void km_qgeo_free(struct km_qgeo *q)
{
    if (!q)
        return;
    free(q->tab);
    free(q->fill);
    free(q);
}

static void seg_setup(struct km_qgeo *q, struct km_seg *seg, uint64_t segno)
{
    q->seg_id = segno + 1;
    q->row_seg = 0;
    q->kind = km_seg_field_kind(seg, KM_F_SRC_IP);
    q->codes = NULL;
    q->width = 0;
    if (q->kind != KM_SEG_DICT)
        return;
    uint32_t n = km_seg_dict_size(seg, KM_F_SRC_IP) + 1;
    if (q->cap < n) {
        free(q->tab);
        free(q->fill);
        q->cap = n;
        q->tab = km_xmalloc(n * sizeof *q->tab);
        q->fill = km_xmalloc(n);
    }
    memset(q->fill, 0, n);
    struct km_err e;
    km_err_clear(&e);
    if (km_seg_codes(seg, KM_F_SRC_IP, &q->codes, &q->width, &e) != KM_OK)
        q->codes = NULL;
}

static void lookup_str(struct km_qgeo *q, struct km_str ip, struct km_geo_rec *r)
{
    km_geo_lookup(q->g, ip.p ? ip.p : "", ip.p ? ip.n : 0, r);
}

static const struct km_geo_rec *row_rec(struct km_qgeo *q, struct km_seg *seg, uint64_t segno,
                                        uint32_t row)
{
    if (q->row_seg == segno + 1 && q->row == row)
        return &q->rec;
    if (q->seg_id != segno + 1)
        seg_setup(q, seg, segno);
    struct km_err e;
    km_err_clear(&e);
    q->has_ip = 0;
    if (q->kind == KM_SEG_DICT && q->codes) {
        uint32_t code = q->width == 1   ? ((const uint8_t *)q->codes)[row]
                        : q->width == 2 ? ((const uint16_t *)q->codes)[row]
                                        : ((const uint32_t *)q->codes)[row];
        if (code && code < q->cap) {
            if (!q->fill[code]) {
                struct km_str v = KM_STR_NONE;
                km_seg_dict_get(seg, KM_F_SRC_IP, code, &v, &e);
                lookup_str(q, v, &q->tab[code]);
                q->fill[code] = 1;
            }
            q->rec = q->tab[code];
            q->has_ip = 1;
        }
    } else if (q->kind == KM_SEG_PLAIN) {
        struct km_str v = KM_STR_NONE;
        km_seg_str(seg, KM_F_SRC_IP, row, &v, &e);
        if (v.p && v.n) {
            lookup_str(q, v, &q->rec);
            q->has_ip = 1;
        }
    }
    if (!q->has_ip) {
        /* not an address: "AWS Internal", "ec2.amazonaws.com", ... */
        struct km_str raw = KM_STR_NONE;
        km_seg_str(seg, KM_F_SRC_RAW, row, &raw, &e);
        km_geo_lookup(NULL, raw.p ? raw.p : "", raw.p ? raw.n : 0, &q->rec);
    }
    q->st_country = q->st_city = KM_STR_NONE;
    km_seg_str(seg, KM_F_SRC_COUNTRY, row, &q->st_country, &e);
    km_seg_str(seg, KM_F_SRC_CITY, row, &q->st_city, &e);
    if (q->st_country.p && q->st_country.n)
        km_geo_apply_provider(q->g, q->st_country, q->st_city, &q->rec);
    q->row_seg = segno + 1;
    q->row = row;
    return &q->rec;
}

static struct km_qval vstr(const char *s)
{
    if (!s || !*s)
        return (struct km_qval){0};
    return (struct km_qval){.t = KM_QV_STR, .s = km_str_c(s)};
}

static struct km_qval field_of(struct km_qgeo *q, int gf, const struct km_geo_rec *r, int has_ip,
                               struct km_str st_country, struct km_str st_city)
{
    switch (gf) {
    case KM_QG_COUNTRY:
        if (st_country.p && st_country.n)
            return (struct km_qval){.t = KM_QV_STR, .s = st_country};
        if (r->country[0] >= 'A' && r->country[0] <= 'Z' && r->country[1] >= 'A' &&
            r->country[1] <= 'Z')
            return vstr(q->cc[(r->country[0] - 'A') * 26 + (r->country[1] - 'A')]);
        return (struct km_qval){0};
    case KM_QG_CITY:
        if (st_city.p && st_city.n)
            return (struct km_qval){.t = KM_QV_STR, .s = st_city};
        return vstr(r->city);
    case KM_QG_LAT:
    case KM_QG_LON: {
        double v = gf == KM_QG_LAT ? r->lat : r->lon;
        return isfinite(v) ? (struct km_qval){.t = KM_QV_FLOAT, .f = v} : (struct km_qval){0};
    }
    case KM_QG_ASN:
        return r->asn ? (struct km_qval){.t = KM_QV_INT, .i = r->asn} : (struct km_qval){0};
    case KM_QG_AS_ORG: return vstr(r->as_org);
    case KM_QG_DB: return vstr(r->db);
    case KM_QG_IP_CLASS:
        if (!has_ip && r->cls == KM_GEO_PUBLIC)
            return (struct km_qval){0}; /* neither an address nor a known label */
        return vstr(km_geo_class_name(r->cls));
    }
    return (struct km_qval){0};
}

struct km_qval km_qgeo_row(struct km_qgeo *q, int gf, struct km_seg *seg, uint64_t segno,
                           uint32_t row)
{
    const struct km_geo_rec *r = row_rec(q, seg, segno, row);
    return field_of(q, gf, r, q->has_ip, q->st_country, q->st_city);
}

struct km_qval km_qgeo_value(struct km_qgeo *q, int gf, struct km_str ip)
{
    struct km_geo_rec r;
    lookup_str(q, ip, &r);
    return field_of(q, gf, &r, ip.p && ip.n, KM_STR_NONE, KM_STR_NONE);
}
