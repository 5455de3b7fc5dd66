/*
 * ip.c — strict IPv4/IPv6 text parsing and RFC 5952 canonical text. See ip.h
 * for exactly what is accepted.
 *
 * IPv6 parsing collects the groups before and after a "::" separately, then
 * places them at the front and the back of the 16-byte address:
 *
 *     2001:db8::8:1   head = [2001, db8]   tail = [8, 1]
 *                     -> 2001 db8 0 0 0 0 8 1
 */
#include "core/ip.h"

#include <string.h>
#include "core/km.h"
#include "core/hash.h"


/* Strict dotted quad over s[0..n); fills out[4]. Returns 1 or 0. */
static int parse_v4(const char *s, size_t n, uint8_t out[4])
{
    size_t i = 0;
    for (int part = 0; part < 4; part++) {
        if (part > 0) {
            if (i >= n || s[i] != '.')
                return 0;
            i++;
        }
        size_t start = i;
        unsigned v = 0;
        while (i < n && s[i] >= '0' && s[i] <= '9' && i - start < 3) {
            v = v * 10 + (unsigned)(s[i] - '0');
            i++;
        }
        size_t len = i - start;
        if (len == 0 || v > 255 || (len > 1 && s[start] == '0'))
            return 0;
        out[part] = (uint8_t)v;
    }
    return i == n;
}

/* Is c allowed in a zone id (RFC 6874 unreserved)? */
static int zone_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '_' || c == '~' || c == '-';
}

static int parse_v6(const char *s, size_t n, uint8_t out[16])
{
    /* strip a zone id */
    for (size_t k = 0; k < n; k++) {
        if (s[k] != '%')
            continue;
        size_t zl = n - k - 1;
        if (zl == 0 || zl > 32)
            return 0;
        for (size_t j = k + 1; j < n; j++)
            if (!zone_char(s[j]))
                return 0;
        n = k;
        break;
    }
    if (n < 2)
        return 0;
    uint16_t head[8], tail[8];
    int nh = 0, nt = 0, dbl = 0;
    size_t i = 0;
    if (s[0] == ':') {
        if (s[1] != ':')
            return 0;
        dbl = 1;
        i = 2;
    }
    int v4 = 0;
    uint8_t q[4];
    while (i < n) {
        /* one group (or a trailing dotted quad) starts at i */
        size_t start = i;
        unsigned v = 0;
        while (i < n && km_hexdigit(s[i]) >= 0 && i - start < 4)
            v = v * 16 + (unsigned)km_hexdigit(s[i++]);
        if (i < n && s[i] == '.') {
            /* embedded IPv4: the rest of the string */
            if (!parse_v4(s + start, n - start, q))
                return 0;
            v4 = 1;
            i = n;
            break;
        }
        if (i == start || (i < n && s[i] != ':'))
            return 0;   /* empty group, 5+ hex digits, or a stray character */
        if (nh + nt >= 8)
            return 0;
        if (dbl)
            tail[nt++] = (uint16_t)v;
        else
            head[nh++] = (uint16_t)v;
        if (i == n)
            break;
        i++;   /* ':' */
        if (i < n && s[i] == ':') {
            if (dbl)
                return 0;   /* a second "::" */
            dbl = 1;
            i++;
        } else if (i == n) {
            return 0;   /* trailing single ':' */
        }
    }
    int groups = nh + nt + (v4 ? 2 : 0);
    if (groups > 8 || (!dbl && groups != 8) || (dbl && groups > 7))
        return 0;
    memset(out, 0, 16);
    for (int k = 0; k < nh; k++) {
        out[2 * k] = (uint8_t)(head[k] >> 8);
        out[2 * k + 1] = (uint8_t)head[k];
    }
    int pos = 8 - nt - (v4 ? 2 : 0);
    for (int k = 0; k < nt; k++) {
        out[2 * (pos + k)] = (uint8_t)(tail[k] >> 8);
        out[2 * (pos + k) + 1] = (uint8_t)tail[k];
    }
    if (v4)
        memcpy(out + 12, q, 4);
    return 1;
}

int km_ip_parse(const char *s, size_t n, uint8_t out16[16], int *is_v4)
{
    if (!s || n == 0 || n > 80)
        return KM_EFORMAT;
    int v4 = 0;
    uint8_t q[4];
    if (memchr(s, ':', n) == NULL) {
        if (!parse_v4(s, n, q))
            return KM_EFORMAT;
        memset(out16, 0, 10);
        out16[10] = out16[11] = 0xff;
        memcpy(out16 + 12, q, 4);
        v4 = 1;
    } else if (!parse_v6(s, n, out16)) {
        return KM_EFORMAT;
    }
    if (is_v4)
        *is_v4 = v4;
    return KM_OK;
}

static char *put_dec(char *p, unsigned v)
{
    if (v >= 100)
        *p++ = (char)('0' + v / 100);
    if (v >= 10)
        *p++ = (char)('0' + v / 10 % 10);
    *p++ = (char)('0' + v % 10);
    return p;
}

static char *put_quad(char *p, const uint8_t q[4])
{
    for (int k = 0; k < 4; k++) {
        if (k)
            *p++ = '.';
        p = put_dec(p, q[k]);
    }
    return p;
}

size_t km_ip_fmt(const uint8_t a[16], int is_v4, char out[KM_IP_TEXT_MAX])
{
    static const char hx[] = "0123456789abcdef";
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    char *p = out;
    int is_mapped = memcmp(a, mapped, 12) == 0;
    if (is_v4 && is_mapped) {
        p = put_quad(p, a + 12);
        *p = 0;
        return (size_t)(p - out);
    }
    uint16_t g[8];
    for (int k = 0; k < 8; k++)
        g[k] = (uint16_t)(a[2 * k] << 8 | a[2 * k + 1]);
    /* longest run of >= 2 zero groups, first on a tie */
    int best = -1, best_len = 0;
    for (int k = 0; k < 8;) {
        if (g[k] != 0) {
            k++;
            continue;
        }
        int j = k;
        while (j < 8 && g[j] == 0)
            j++;
        if (j - k > best_len && j - k >= 2) {
            best = k;
            best_len = j - k;
        }
        k = j;
    }
    int last = is_mapped ? 6 : 8;   /* groups written in hex */
    if (is_mapped) {
        /* ::ffff:a.b.c.d — the zero run is always groups 0..4 */
        best = 0;
        best_len = 5;
    }
    for (int k = 0; k < last;) {
        if (k == best) {
            *p++ = ':';
            if (k == 0)
                *p++ = ':';
            k += best_len;
            continue;
        }
        unsigned v = g[k];
        int started = 0;
        for (int sh = 12; sh >= 0; sh -= 4) {
            unsigned nib = v >> sh & 15;
            if (nib || started || sh == 0) {
                *p++ = hx[nib];
                started = 1;
            }
        }
        k++;
        if (k < last || is_mapped)
            *p++ = ':';
    }
    if (is_mapped)
        p = put_quad(p, a + 12);
    *p = 0;
    return (size_t)(p - out);
}

int km_ip_canon(const char *s, size_t n, char out[KM_IP_TEXT_MAX])
{
    uint8_t a[16];
    int v4;
    if (km_ip_parse(s, n, a, &v4) != KM_OK) {
        out[0] = 0;
        return 0;
    }
    km_ip_fmt(a, v4, out);
    return 1;
}

int km_ip_cidr_parse(const char *s, size_t n, uint8_t net[16], int *bits)
{
    const char *slash = memchr(s, '/', n);
    size_t hn = slash ? (size_t)(slash - s) : n;
    int v4;
    if (km_ip_parse(s, hn, net, &v4) != KM_OK)
        return KM_EFORMAT;
    long b = v4 ? 32 : 128;
    if (slash) {
        size_t dn = n - hn - 1;
        if (dn == 0 || dn > 3)
            return KM_EFORMAT;
        b = 0;
        for (size_t i = 0; i < dn; i++) {
            char c = slash[1 + i];
            if (c < '0' || c > '9')
                return KM_EFORMAT;
            b = b * 10 + (c - '0');
        }
        if (b > (v4 ? 32 : 128))
            return KM_EFORMAT;
    }
    *bits = (int)(v4 ? b + 96 : b);
    return KM_OK;
}

int km_ip_in_net(const uint8_t a[16], const uint8_t net[16], int bits)
{
    int full = bits / 8, rest = bits % 8;
    if (memcmp(a, net, (size_t)full) != 0)
        return 0;
    if (rest) {
        uint8_t m = (uint8_t)(0xff00u >> rest);
        if ((a[full] & m) != (net[full] & m))
            return 0;
    }
    return 1;
}
