/*
 * timeparse.c — ISO 8601 / RFC 3339 / epoch timestamps to UTC microseconds,
 * and back to RFC 3339 text. See timeparse.h for the accepted forms.
 *
 * The parser is a single left-to-right scan with a cursor; every component
 * has a fixed number of digits except the fraction and epoch numbers. Dates
 * become days with the classic era-based days-from-civil computation (400-year
 * eras of 146097 days, years starting in March so the leap day is last).
 */
#include "core/timeparse.h"

#include "core/km.h"

#define US_PER_SEC 1000000LL
#define SEC_PER_DAY 86400LL

int64_t km_time_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;                                     /* [0, 399] */
    int64_t doy = (153 * (int64_t)(m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1; /* [0, 365] */
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;             /* [0, 146096] */
    return era * 146097 + doe - 719468;
}

/* Inverse of km_time_days_from_civil. */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;                                      /* [0, 146096] */
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* [0, 365] */
    int64_t mp = (5 * doy + 2) / 153;                                    /* [0, 11] */
    *d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    *m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned days_in_month(int64_t y, unsigned m)
{
    static const unsigned char dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : dm[m - 1];
}

/* Reads exactly k digits at s[*i]; returns the value or -1. */
static int digits(const char *s, size_t n, size_t *i, int k)
{
    if (*i + (size_t)k > n)
        return -1;
    int v = 0;
    for (int j = 0; j < k; j++) {
        unsigned c = (unsigned char)s[*i + (size_t)j] - '0';
        if (c > 9)
            return -1;
        v = v * 10 + (int)c;
    }
    *i += (size_t)k;
    return v;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Reads a fraction's digits at s[*i] (after the separator): 1..18 digits, the
 * first 6 kept as microseconds. Returns microseconds or -1. */
static int64_t fraction(const char *s, size_t n, size_t *i)
{
    size_t start = *i;
    int64_t us = 0;
    int k = 0;
    while (*i < n && is_digit(s[*i])) {
        if (k < 6)
            us = us * 10 + (s[*i] - '0');
        k++;
        (*i)++;
    }
    if (k == 0 || *i - start > 18)
        return -1;
    for (; k < 6; k++)
        us *= 10;
    return us;
}

/* Seconds ("SS") and an optional fraction (".fff" or ",fff") at s[*i].
 * Returns 0, or -1 when they are malformed. */
static int sec_frac(const char *s, size_t n, size_t *i, int *ss, int64_t *frac)
{
    *ss = digits(s, n, i, 2);
    if (*ss < 0 || *ss > 60)
        return -1;
    if (*i < n && (s[*i] == '.' || s[*i] == ',')) {
        (*i)++;
        *frac = fraction(s, n, i);
        if (*frac < 0)
            return -1;
    }
    return 0;
}

/* All-digit input (optionally "digits.frac" for seconds): epoch number. */
static int parse_epoch(const char *s, size_t n, int64_t *us)
{
    size_t i = 0;
    uint64_t u = 0;
    while (i < n && is_digit(s[i])) {
        if (i == 19)
            return KM_EFORMAT;
        u = u * 10 + (uint64_t)(s[i] - '0');   /* 19 digits fit in uint64 */
        i++;
    }
    if (u > (uint64_t)INT64_MAX)
        return KM_EFORMAT;
    int64_t v = (int64_t)u;
    size_t nd = i;
    if (nd == 0)
        return KM_EFORMAT;
    if (i < n) {
        /* only seconds may carry a fraction */
        if (nd > 11 || (s[i] != '.' && s[i] != ','))
            return KM_EFORMAT;
        i++;
        int64_t f = fraction(s, n, &i);
        if (f < 0 || i != n)
            return KM_EFORMAT;
        *us = v * US_PER_SEC + f;
        return KM_OK;
    }
    if (nd <= 11)
        *us = v * US_PER_SEC;
    else if (nd <= 14)
        *us = v * 1000;
    else if (nd <= 17)
        *us = v;
    else
        *us = v / 1000;
    return KM_OK;
}

/* Parses an optional zone at s[*i..n); stores the offset east of UTC in
 * seconds. Returns 0 or -1. An empty remainder means UTC. */
static int parse_zone(const char *s, size_t n, size_t *i, int64_t *off)
{
    *off = 0;
    if (*i == n)
        return 0;
    if (s[*i] == ' ' && *i + 1 < n)
        (*i)++;
    char c = s[*i];
    if ((c == 'Z' || c == 'z') && *i + 1 == n) {
        (*i)++;
        return 0;
    }
    if (n - *i == 3 && ((s[*i] == 'U' && s[*i + 1] == 'T' && s[*i + 2] == 'C') ||
                        (s[*i] == 'G' && s[*i + 1] == 'M' && s[*i + 2] == 'T'))) {
        *i += 3;
        return 0;
    }
    if (c != '+' && c != '-')
        return -1;
    (*i)++;
    int hh = digits(s, n, i, 2), mm = 0;
    if (hh < 0 || hh > 23)
        return -1;
    if (*i < n) {
        if (s[*i] == ':')
            (*i)++;
        mm = digits(s, n, i, 2);
        if (mm < 0 || mm > 59)
            return -1;
    }
    if (*i != n)
        return -1;
    *off = (int64_t)(hh * 3600 + mm * 60) * (c == '-' ? -1 : 1);
    return 0;
}

/*
 * The US form of the Log Analytics portal's CSV export:
 * "M/D/YYYY, h:mm:ss[.fff] AM|PM" (UTC), also without the comma, with
 * seconds left out, "am"/"pm", and a zone after the AM/PM like the ISO form.
 * Month and day have 1 or 2 digits, the hour 1..12 (12 AM is midnight).
 */
static int parse_us(const char *s, size_t n, int64_t *us)
{
    size_t i = 0;
    int part[2];
    for (int k = 0; k < 2; k++) {
        int v = 0, nd = 0;
        while (i < n && is_digit(s[i]) && nd < 2) {
            v = v * 10 + (s[i++] - '0');
            nd++;
        }
        if (!nd || i >= n || s[i++] != '/')
            return KM_EFORMAT;
        part[k] = v;
    }
    int y = digits(s, n, &i, 4), mo = part[0], d = part[1];
    if (y < 0 || mo < 1 || mo > 12 || d < 1 || (unsigned)d > days_in_month(y, (unsigned)mo))
        return KM_EFORMAT;
    if (i < n && s[i] == ',')
        i++;
    if (i >= n || s[i++] != ' ')
        return KM_EFORMAT;
    int hh = 0, nd = 0;
    while (i < n && is_digit(s[i]) && nd < 2) {
        hh = hh * 10 + (s[i++] - '0');
        nd++;
    }
    if (!nd || hh < 1 || hh > 12 || i >= n || s[i++] != ':')
        return KM_EFORMAT;
    int mi = digits(s, n, &i, 2), ss = 0;
    int64_t frac = 0;
    if (mi < 0 || mi > 59)
        return KM_EFORMAT;
    if (i < n && s[i] == ':') {
        i++;
        if (sec_frac(s, n, &i, &ss, &frac))
            return KM_EFORMAT;
    }
    if (i + 3 > n || s[i] != ' ')
        return KM_EFORMAT;
    char a = s[i + 1], m = s[i + 2];
    if ((m != 'M' && m != 'm') || (a != 'A' && a != 'a' && a != 'P' && a != 'p'))
        return KM_EFORMAT;
    i += 3;
    hh = hh % 12 + (a == 'P' || a == 'p' ? 12 : 0);
    int64_t off;
    if (parse_zone(s, n, &i, &off) != 0 || i != n)
        return KM_EFORMAT;
    int64_t days = km_time_days_from_civil(y, (unsigned)mo, (unsigned)d);
    *us = (days * SEC_PER_DAY + hh * 3600 + mi * 60 + ss - off) * US_PER_SEC + frac;
    return KM_OK;
}

int km_time_parse(const char *s, size_t n, int64_t *us)
{
    if (n < 1)
        return KM_EFORMAT;
    if (n >= 12 && (s[1] == '/' || s[2] == '/'))
        return parse_us(s, n, us);
    size_t i = 0;
    int basic = 0;
    if (n < 10 || s[4] != '-') {
        /* epoch digits, or the basic form YYYYMMDDTHHMMSS */
        if (n >= 15 && (s[8] == 'T' || s[8] == 't'))
            basic = 1;
        else
            return parse_epoch(s, n, us);
    }
    int y = digits(s, n, &i, 4);
    if (y < 0 || (!basic && s[i++] != '-'))
        return KM_EFORMAT;
    int mo = digits(s, n, &i, 2);
    if (mo < 1 || mo > 12 || (!basic && (i >= n || s[i++] != '-')))
        return KM_EFORMAT;
    int d = digits(s, n, &i, 2);
    if (d < 1 || (unsigned)d > days_in_month(y, (unsigned)mo))
        return KM_EFORMAT;
    int64_t days = km_time_days_from_civil(y, (unsigned)mo, (unsigned)d);
    if (i == n && !basic) {
        *us = days * SEC_PER_DAY * US_PER_SEC;
        return KM_OK;
    }
    if (i >= n || (s[i] != 'T' && s[i] != 't' && s[i] != ' '))
        return KM_EFORMAT;
    i++;
    int hh = digits(s, n, &i, 2);
    if (hh < 0 || hh > 23 || (!basic && (i >= n || s[i++] != ':')))
        return KM_EFORMAT;
    int mi = digits(s, n, &i, 2);
    if (mi < 0 || mi > 59)
        return KM_EFORMAT;
    int ss = 0;
    int64_t frac = 0;
    if (basic || (i < n && s[i] == ':')) {
        if (!basic)
            i++;
        if (sec_frac(s, n, &i, &ss, &frac))
            return KM_EFORMAT;
    }
    int64_t off;
    if (parse_zone(s, n, &i, &off) != 0 || i != n)
        return KM_EFORMAT;
    int64_t secs = days * SEC_PER_DAY + hh * 3600 + mi * 60 + ss - off;
    *us = secs * US_PER_SEC + frac;
    return KM_OK;
}

int64_t km_time_from_epoch_ms(int64_t ms)
{
    if (ms > INT64_MAX / 1000)
        return INT64_MAX;
    if (ms < INT64_MIN / 1000)
        return INT64_MIN;
    return ms * 1000;
}

/* Writes v as exactly k digits (v >= 0, v < 10^k) at p. */
static char *put_digits(char *p, int64_t v, int k)
{
    for (int j = k - 1; j >= 0; j--) {
        p[j] = (char)('0' + v % 10);
        v /= 10;
    }
    return p + k;
}

void km_time_fmt(int64_t us, char out[32])
{
    /* floor division so that times before 1970 keep a positive remainder */
    int64_t secs = us / US_PER_SEC, frac = us % US_PER_SEC;
    if (frac < 0) {
        frac += US_PER_SEC;
        secs--;
    }
    int64_t days = secs / SEC_PER_DAY, sod = secs % SEC_PER_DAY;
    if (sod < 0) {
        sod += SEC_PER_DAY;
        days--;
    }
    int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    char *p = out;
    if (y < 0) {
        *p++ = '-';
        y = -y;
    }
    int yd = 4;
    for (int64_t t = 10000; yd < 12 && y >= t; t *= 10)
        yd++;
    p = put_digits(p, y, yd);
    *p++ = '-';
    p = put_digits(p, m, 2);
    *p++ = '-';
    p = put_digits(p, d, 2);
    *p++ = 'T';
    p = put_digits(p, sod / 3600, 2);
    *p++ = ':';
    p = put_digits(p, sod / 60 % 60, 2);
    *p++ = ':';
    p = put_digits(p, sod % 60, 2);
    if (frac) {
        *p++ = '.';
        p = put_digits(p, frac, 6);
    }
    *p++ = 'Z';
    *p = 0;
}
