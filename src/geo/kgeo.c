/*
 * kgeo.c — the `.kgeo` reader: map the file, check every bound once, then
 * answer country and ASN lookups by binary search over sorted range starts
 * (layout in kgeo.h). The builder lives in kgeo_build.c.
 */
#include "geo/kgeo.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define HDR 64
#define SEC 24
#define MAXSEC 32

enum { S_V4CC_S = 1, S_V4CC_V, S_V6CC_S, S_V6CC_V, S_V4AS_S, S_V4AS_V, S_V6AS_S, S_V6AS_V,
       S_CC, S_ASN, S_STR, S_SRC, S__N };

/* bytes per entry of each kind (0: free-form) */
static const uint32_t entsize[S__N] = {
    [S_V4CC_S] = 4, [S_V4CC_V] = 2, [S_V6CC_S] = 16, [S_V6CC_V] = 2,
    [S_V4AS_S] = 4, [S_V4AS_V] = 4, [S_V6AS_S] = 16, [S_V6AS_V] = 4,
    [S_CC] = 24,    [S_ASN] = 8,    [S_STR] = 1,     [S_SRC] = 1,
};

struct cc_ent {
    char cc[2];
    uint16_t flags;
    uint32_t name;
    float lat, lon, radius;
    uint32_t capital;
};
struct asn_ent {
    uint32_t asn, name;
};

struct km_kgeo {
    const uint8_t *p;
    size_t n;
    int mapped;
    int64_t built;
    const void *sec[S__N];
    uint32_t cnt[S__N];
    uint64_t len[S__N];
    uint16_t ccidx[26 * 26];     /* "AA".."ZZ" -> country index */
};

static uint64_t rd64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}
static uint32_t rd32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

uint64_t km_kgeo_checksum(const void *vp, size_t n)
{
    const uint8_t *p = vp;
    const uint64_t m = 0x9E3779B97F4A7C15ULL;
    uint64_t h[4] = {0x243F6A8885A308D3ULL, 0x13198A2E03707344ULL, 0xA4093822299F31D0ULL,
                     0x082EFA98EC4E6C89ULL};
    size_t i = 0;
    for (; i + 32 <= n; i += 32)
        for (int l = 0; l < 4; l++) {
            h[l] ^= rd64(p + i + 8 * l);
            h[l] *= m;
            h[l] ^= h[l] >> 29;
        }
    uint8_t tail[32] = {0};
    memcpy(tail, p + i, n - i);
    for (int l = 0; l < 4; l++) {
        h[l] ^= rd64(tail + 8 * l);
        h[l] *= m;
        h[l] ^= h[l] >> 29;
    }
    uint64_t r = (uint64_t)n * m;
    for (int l = 0; l < 4; l++) {
        r ^= h[l];
        r *= m;
        r ^= r >> 31;
    }
    return r;
}

static int bad(struct km_err *err, int code, const char *name, uint64_t off, const char *what)
{
    return km_err_set(err, code, name, off, "not a usable kumo geo database: %s", what);
}

static int v6_le(const uint8_t *a, const uint8_t *b) /* a <= b, entries are (hi, lo) */
{
    uint64_t ah = rd64(a), bh = rd64(b);
    if (ah != bh)
        return ah < bh;
    return rd64(a + 8) <= rd64(b + 8);
}

static int validate(struct km_kgeo *k, const char *name, struct km_err *err)
{
    const uint8_t *p = k->p;
    size_t n = k->n;
    if (n < HDR)
        return bad(err, KM_EFORMAT, name, 0, "shorter than its 64-byte header (truncated?)");
    if (memcmp(p, "KMGEO\r\n\x1a", 8) != 0)
        return bad(err, KM_EFORMAT, name, 0, "wrong magic (expected a .kgeo file)");
    uint32_t ver = rd32(p + 8);
    if (ver != KM_KGEO_VERSION)
        return km_err_set(err, ver > KM_KGEO_VERSION ? KM_EVERSION : KM_EFORMAT, name, 8,
                          "geo database format version %u; this kumo reads version %d "
                          "(rebuild it with `kumo geo build`)",
                          ver, KM_KGEO_VERSION);
    uint64_t fsize = rd64(p + 16);
    if (fsize != n)
        return km_err_set(err, KM_EFORMAT, name, 16,
                          "not a usable kumo geo database: header says %llu bytes, file has "
                          "%llu (truncated?)",
                          (unsigned long long)fsize, (unsigned long long)n);
    uint32_t nsec = rd32(p + 40), hsize = rd32(p + 12);
    if (nsec > MAXSEC || hsize != HDR + SEC * nsec || hsize > n)
        return bad(err, KM_EFORMAT, name, 12, "bad section table");
    uint64_t sum = rd64(p + 24);
    if (km_kgeo_checksum(p + 32, n - 32) != sum)
        return bad(err, KM_ECORRUPT, name, 24, "checksum mismatch (the file is damaged)");
    k->built = (int64_t)rd64(p + 32);
    for (uint32_t i = 0; i < nsec; i++) {
        const uint8_t *e = p + HDR + (size_t)SEC * i;
        uint32_t kind = rd32(e), count = rd32(e + 4);
        uint64_t off = rd64(e + 8), len = rd64(e + 16);
        uint64_t eoff = HDR + (uint64_t)SEC * i;
        if (kind == 0 || kind >= S__N)
            continue; /* a kind this version does not know: ignored */
        if (k->sec[kind])
            return bad(err, KM_EFORMAT, name, eoff, "a section appears twice");
        if (off < hsize || off > n || len > n - off || off % 8)
            return bad(err, KM_EFORMAT, name, eoff, "a section lies outside the file");
        if (entsize[kind] && len != (uint64_t)count * entsize[kind])
            return bad(err, KM_EFORMAT, name, eoff, "a section's length does not match its count");
        k->sec[kind] = p + off;
        k->cnt[kind] = count;
        k->len[kind] = len;
    }
    static const int pairs[][2] = {{S_V4CC_S, S_V4CC_V}, {S_V6CC_S, S_V6CC_V},
                                   {S_V4AS_S, S_V4AS_V}, {S_V6AS_S, S_V6AS_V}};
    for (size_t i = 0; i < KM_ARRAY_LEN(pairs); i++) {
        int s = pairs[i][0], v = pairs[i][1];
        if (k->cnt[s] != k->cnt[v] || !k->sec[s] != !k->sec[v])
            return bad(err, KM_EFORMAT, name, HDR, "a range table lacks its values");
        const uint8_t *st = k->sec[s];
        for (uint32_t j = 1; j < k->cnt[s]; j++) {
            int ok = entsize[s] == 4 ? rd32(st + 4 * (j - 1)) < rd32(st + 4 * j)
                                     : v6_le(st + 16 * (j - 1), st + 16 * j) &&
                                           memcmp(st + 16 * (j - 1), st + 16 * j, 16) != 0;
            if (!ok)
                return bad(err, KM_ECORRUPT, name, (uint64_t)(st - p) + entsize[s] * j,
                           "range starts out of order");
        }
    }
    if (k->sec[S_STR] && k->len[S_STR] && ((const char *)k->sec[S_STR])[k->len[S_STR] - 1])
        return bad(err, KM_EFORMAT, name, (uint64_t)((const uint8_t *)k->sec[S_STR] - p),
                   "string pool not terminated");
    if (k->sec[S_SRC] && k->len[S_SRC] && ((const char *)k->sec[S_SRC])[k->len[S_SRC] - 1])
        return bad(err, KM_EFORMAT, name, (uint64_t)((const uint8_t *)k->sec[S_SRC] - p),
                   "sources text not terminated");
    const struct cc_ent *cc = k->sec[S_CC];
    for (uint32_t i = 1; i < k->cnt[S_CC]; i++) {
        int a = cc[i].cc[0] - 'A', b = cc[i].cc[1] - 'A';
        if (a >= 0 && a < 26 && b >= 0 && b < 26 && !k->ccidx[a * 26 + b] && i < 65536)
            k->ccidx[a * 26 + b] = (uint16_t)i;
    }
    return KM_OK;
}

int km_kgeo_open_mem(const void *p, size_t n, const char *name, struct km_kgeo **out,
                     struct km_err *err)
{
    *out = NULL;
    if ((uintptr_t)p % 8)
        return km_err_set(err, KM_EINTERNAL, name, UINT64_MAX, "buffer not 8-byte aligned");
    struct km_kgeo *k = km_xcalloc(1, sizeof *k);
    k->p = p;
    k->n = n;
    int rc = validate(k, name, err);
    if (rc) {
        free(k);
        return rc;
    }
    *out = k;
    return KM_OK;
}

int km_kgeo_open(const char *path, struct km_kgeo **out, struct km_err *err)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return km_err_set(err, errno == ENOENT ? KM_ENOTFOUND : KM_EIO, path, UINT64_MAX,
                          "cannot open: %s", strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return km_err_set(err, KM_EIO, path, UINT64_MAX, "not a regular file");
    }
    if ((uint64_t)st.st_size > ((uint64_t)1 << 34)) {
        close(fd);
        return km_err_set(err, KM_ELIMIT, path, UINT64_MAX, "larger than 16 GiB: not a geo "
                                                            "database kumo makes");
    }
    size_t n = (size_t)st.st_size;
    if (n < HDR) {
        close(fd);
        return bad(err, KM_EFORMAT, path, 0, "shorter than its 64-byte header (truncated?)");
    }
    void *p = n ? mmap(NULL, n, PROT_READ, MAP_PRIVATE, fd, 0) : NULL;
    close(fd);
    if (n && p == MAP_FAILED)
        return km_err_set(err, KM_EIO, path, UINT64_MAX, "mmap: %s", strerror(errno));
    int rc = km_kgeo_open_mem(n ? p : "", n, path, out, err);
    if (rc) {
        if (n)
            munmap(p, n);
        return rc;
    }
    (*out)->mapped = n > 0;
    return KM_OK;
}

void km_kgeo_close(struct km_kgeo *k)
{
    if (!k)
        return;
    if (k->mapped)
        munmap((void *)k->p, k->n);
    free(k);
}

static const char *str_at(const struct km_kgeo *k, uint32_t off)
{
    if (!k->sec[S_STR] || off >= k->len[S_STR])
        return "";
    return (const char *)k->sec[S_STR] + off;
}

/* Index of the last start <= the address in a range table, or -1. */
static int64_t find(const struct km_kgeo *k, int v6, int ks, const uint8_t a[16])
{
    uint32_t n = k->cnt[ks];
    const uint8_t *st = k->sec[ks];
    if (!n)
        return -1;
    uint32_t lo = 0, hi = n; /* first start > a in [lo, hi) */
    if (!v6) {
        uint32_t x = (uint32_t)a[12] << 24 | (uint32_t)a[13] << 16 | (uint32_t)a[14] << 8 | a[15];
        const uint32_t *s = (const void *)st;
        while (lo < hi) {
            uint32_t mid = lo + (hi - lo) / 2;
            if (s[mid] <= x)
                lo = mid + 1;
            else
                hi = mid;
        }
    } else {
        uint64_t xh = 0, xl = 0;
        for (int i = 0; i < 8; i++) {
            xh = xh << 8 | a[i];
            xl = xl << 8 | a[8 + i];
        }
        const uint64_t *s = (const void *)st;
        while (lo < hi) {
            uint32_t mid = lo + (hi - lo) / 2;
            uint64_t sh = s[2 * mid], sl = s[2 * mid + 1];
            if (sh < xh || (sh == xh && sl <= xl))
                lo = mid + 1;
            else
                hi = mid;
        }
    }
    return (int64_t)lo - 1;
}

static int is_v4(const uint8_t a[16])
{
    static const uint8_t pre[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    return memcmp(a, pre, 12) == 0;
}

int km_kgeo_country(const struct km_kgeo *k, const uint8_t a[16], char cc[3])
{
    cc[0] = 0;
    int v6 = !is_v4(a);
    int ks = v6 ? S_V6CC_S : S_V4CC_S;
    int64_t i = find(k, v6, ks, a);
    if (i < 0)
        return 0;
    const uint16_t *vals = k->sec[v6 ? S_V6CC_V : S_V4CC_V];
    uint16_t ci = vals[i];
    if (!ci || ci >= k->cnt[S_CC])
        return 0;
    const struct cc_ent *c = (const struct cc_ent *)k->sec[S_CC] + ci;
    if (c->cc[0] < 'A' || c->cc[0] > 'Z' || c->cc[1] < 'A' || c->cc[1] > 'Z')
        return 0;
    cc[0] = c->cc[0];
    cc[1] = c->cc[1];
    cc[2] = 0;
    return ci;
}

const char *km_kgeo_as_name(const struct km_kgeo *k, uint32_t asn)
{
    const struct asn_ent *e = k->sec[S_ASN];
    uint32_t lo = 0, hi = k->cnt[S_ASN];
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (e[mid].asn < asn)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < k->cnt[S_ASN] && e[lo].asn == asn ? str_at(k, e[lo].name) : "";
}

uint32_t km_kgeo_asn(const struct km_kgeo *k, const uint8_t a[16], const char **org)
{
    *org = "";
    int v6 = !is_v4(a);
    int64_t i = find(k, v6, v6 ? S_V6AS_S : S_V4AS_S, a);
    if (i < 0)
        return 0;
    uint32_t asn = ((const uint32_t *)k->sec[v6 ? S_V6AS_V : S_V4AS_V])[i];
    if (asn)
        *org = km_kgeo_as_name(k, asn);
    return asn;
}

int km_kgeo_country_point(const struct km_kgeo *k, const char *cc, double *lat, double *lon,
                          double *radius_km, const char **name, const char **capital)
{
    if (!cc || cc[0] < 'A' || cc[0] > 'Z' || cc[1] < 'A' || cc[1] > 'Z' || cc[2])
        return 0;
    uint16_t i = k->ccidx[(cc[0] - 'A') * 26 + (cc[1] - 'A')];
    if (!i)
        return 0;
    const struct cc_ent *c = (const struct cc_ent *)k->sec[S_CC] + i;
    if (name)
        *name = str_at(k, c->name);
    if (capital)
        *capital = str_at(k, c->capital);
    if (!isfinite(c->lat) || !isfinite(c->lon) || fabsf(c->lat) > 90 || fabsf(c->lon) > 180)
        return 0;
    *lat = c->lat;
    *lon = c->lon;
    *radius_km = isfinite(c->radius) && c->radius >= 0 ? c->radius : 0;
    return 1;
}

void km_kgeo_info(const struct km_kgeo *k, struct km_kgeo_info *o)
{
    memset(o, 0, sizeof *o);
    o->built = k->built;
    o->size = k->n;
    o->v4_country = k->cnt[S_V4CC_S];
    o->v6_country = k->cnt[S_V6CC_S];
    o->v4_asn = k->cnt[S_V4AS_S];
    o->v6_asn = k->cnt[S_V6AS_S];
    o->countries = k->cnt[S_CC] ? k->cnt[S_CC] - 1 : 0;
    const struct cc_ent *c = k->sec[S_CC];
    for (uint32_t i = 1; i < k->cnt[S_CC]; i++)
        o->with_point += isfinite(c[i].lat) && isfinite(c[i].lon);
    o->as_names = k->cnt[S_ASN];
    o->sources = k->sec[S_SRC] && k->len[S_SRC] ? (const char *)k->sec[S_SRC] : "";
}
