/*
 * csv.c — CSV exports (Log Analytics, Entra portal, CloudTrail console) as
 * records: the header rules, the cell reader, and one row as a JSON object.
 * The record splitter (records.c) cuts rows with km_csv_step and hands each to
 * km_csv_row_json; `kumo show` rebuilds a row's object with
 * km_csv_row_to_json from the same code, so both always agree.
 */
#include "ingest/csv.h"

#include "json/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* TAB when the header's first line p[0..n) has tabs and no commas, else ','. */
char km_csv_pick_delim(const char *p, size_t n)
{
    int tab = 0;
    for (size_t i = 0; i < n && p[i] != '\n'; i++) {
        if (p[i] == ',')
            return ',';
        tab |= p[i] == '\t';
    }
    return tab ? '\t' : ',';
}

/* Cells of one record (no line terminator). */
struct csv_it {
    const char *s;
    size_t n, i;
    char delim;
    int done;
};

/* The next cell: 1 with *p and *len (pointing into the record, or into scratch
 * when the cell was quoted), 0 after the last cell, -1 when a quote is not
 * closed before the end of the record. */
static int csv_next(struct csv_it *it, struct km_buf *scratch, const char **p, size_t *len)
{
    const char *s = it->s;
    size_t n = it->n, i = it->i, e;
    if (it->done)
        return 0;
    if (i < n && s[i] == '"') {
        size_t seg = ++i;
        scratch->n = 0;
        for (;;) {
            const char *q = memchr(s + i, '"', n - i);
            if (!q)
                return -1;
            size_t qi = (size_t)(q - s);
            if (qi + 1 < n && s[qi + 1] == '"') { /* "" is one quote */
                km_buf_add(scratch, s + seg, qi + 1 - seg);
                i = seg = qi + 2;
                continue;
            }
            km_buf_add(scratch, s + seg, qi - seg);
            i = qi + 1;
            break;
        }
        /* text after the closing quote, up to the delimiter, is kept */
        const char *dl = memchr(s + i, it->delim, n - i);
        e = dl ? (size_t)(dl - s) : n;
        km_buf_add(scratch, s + i, e - i);
        *p = scratch->p ? scratch->p : "";
        *len = scratch->n;
    } else {
        const char *dl = memchr(s + i, it->delim, n - i);
        e = dl ? (size_t)(dl - s) : n;
        *p = s + i;
        *len = e - i;
    }
    if (e < n)
        it->i = e + 1;
    else
        it->done = 1;
    return 1;
}

/* Well-formed UTF-8 without C0 controls or DEL. */
static int csv_name_ok(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        if (c < 0x80) {
            if (c < 0x20 || c == 0x7F)
                return 0;
            i++;
            continue;
        }
        size_t k = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
        if (!k || c > 0xF4 || i + k > n)
            return 0;
        for (size_t j = 1; j < k; j++)
            if ((s[i + j] & 0xC0) != 0x80)
                return 0;
        if ((c == 0xE0 && s[i + 1] < 0xA0) || (c == 0xED && s[i + 1] > 0x9F) ||
            (c == 0xF0 && s[i + 1] < 0x90) || (c == 0xF4 && s[i + 1] > 0x8F))
            return 0; /* overlong, surrogate, beyond U+10FFFF */
        i += k;
    }
    return 1;
}

/* Trims blanks and a trailing time-zone suffix that Log Analytics adds to
 * datetime columns: " [UTC]", " [UTC+02:00]", " [Local Time]". */
static void csv_clean_name(const char **p, size_t *n)
{
    const char *s = *p;
    size_t a = 0, b = *n;
    while (a < b && (s[a] == ' ' || s[a] == '\t'))
        a++;
    while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t'))
        b--;
    if (b - a >= 4 && s[b - 1] == ']') {
        size_t o = b - 1;
        while (o > a && s[o - 1] != '[' && s[o - 1] != ']' && b - o < 40)
            o--;
        /* s[o-1] == '[', preceded by a blank and a name; the bracket names
         * a time zone: [UTC], [UTC+01:00], [GMT...], [Local Time] */
        size_t cl = b - 1 - o;
        if (o >= a + 2 && s[o - 1] == '[' && (s[o - 2] == ' ' || s[o - 2] == '\t') &&
            ((cl >= 3 && (strncasecmp(s + o, "UTC", 3) == 0 || strncasecmp(s + o, "GMT", 3) == 0)) ||
             (cl == 10 && strncasecmp(s + o, "Local Time", 10) == 0))) {
            size_t nb = o - 2;
            while (nb > a && (s[nb - 1] == ' ' || s[nb - 1] == '\t'))
                nb--;
            if (nb > a)
                b = nb;
        }
    }
    *p = s + a;
    *n = b - a;
}

/* Parses and checks a header record s[0..n). KM_OK fills h (free with
 * km_csv_hdr_free); else KM_EFORMAT (not a header) or KM_ELIMIT. */
int km_csv_hdr_parse(const char *s, size_t n, char delim, struct km_csv_hdr *h,
                         struct km_err *err)
{
    struct km_buf names, scratch;
    uint32_t noff[KM_CSV_MAX_COLUMNS + 1];
    struct csv_it it = {s, n, 0, delim, 0};
    const char *p;
    size_t len;
    int k, rc = KM_OK, distinct = 0, first = -1;

    h->ncols = 0;
    km_buf_init(&h->keys, 8 * (size_t)KM_CSV_HEADER_MAX);
    if (n > KM_CSV_HEADER_MAX)
        return km_err_set(err, KM_ELIMIT, NULL, UINT64_MAX,
                          "CSV header longer than %u bytes", KM_CSV_HEADER_MAX);
    km_buf_init(&names, 2 * (size_t)KM_CSV_HEADER_MAX);
    km_buf_init(&scratch, 2 * (size_t)KM_CSV_HEADER_MAX);
    noff[0] = 0;
    while ((k = csv_next(&it, &scratch, &p, &len)) > 0) {
        if (h->ncols == KM_CSV_MAX_COLUMNS) {
            rc = km_err_set(err, KM_ELIMIT, NULL, UINT64_MAX,
                            "CSV header has more than %d columns", KM_CSV_MAX_COLUMNS);
            goto out;
        }
        csv_clean_name(&p, &len);
        if (!csv_name_ok((const unsigned char *)p, len)) {
            rc = km_err_set(err, KM_EFORMAT, NULL, UINT64_MAX,
                            "column %d name is not UTF-8 text", h->ncols + 1);
            goto out;
        }
        if (h->ncols == 0 && len && p[0] >= '0' && p[0] <= '9') {
            rc = km_err_set(err, KM_EFORMAT, NULL, UINT64_MAX,
                            "first column name starts with a digit");
            goto out;
        }
        if (len) {
            if (first < 0) {
                first = h->ncols;
                distinct = 1;
            } else if (distinct < 2 && (noff[first + 1] - noff[first] != len ||
                                        memcmp(names.p + noff[first], p, len) != 0)) {
                distinct = 2;
            }
        }
        km_buf_add(&names, p, len);
        noff[++h->ncols] = (uint32_t)names.n;
    }
    if (k < 0) {
        rc = km_err_set(err, KM_EFORMAT, NULL, UINT64_MAX, "unterminated quote in the header");
        goto out;
    }
    if (distinct < 2) {
        rc = km_err_set(err, KM_EFORMAT, NULL, UINT64_MAX,
                        "fewer than two distinct column names");
        goto out;
    }
    /* JSON keys: empty names are "column N", repeated names get " (2)", ... */
    h->koff[0] = 0;
    for (int c = 0; c < h->ncols; c++) {
        const char *nm = names.p + noff[c];
        size_t nl = noff[c + 1] - noff[c];
        char tmp[40];
        if (!nl) {
            snprintf(tmp, sizeof tmp, "column %d", c + 1);
            km_json_write_str(&h->keys, tmp, strlen(tmp));
        } else {
            int seen = 1;
            for (int o = 0; o < c; o++)
                seen += noff[o + 1] - noff[o] == nl && memcmp(names.p + noff[o], nm, nl) == 0;
            if (seen == 1) {
                km_json_write_str(&h->keys, nm, nl);
            } else {
                /* write "name (k)": the name escaped, then the suffix before the quote */
                km_json_write_str(&h->keys, nm, nl);
                if (!h->keys.oom) {
                    h->keys.n--; /* the closing quote */
                    km_buf_printf(&h->keys, " (%d)\"", seen);
                }
            }
        }
        km_buf_addc(&h->keys, ':');
        h->koff[c + 1] = (uint32_t)h->keys.n;
    }
    if (h->keys.oom || names.oom || scratch.oom)
        rc = km_err_set(err, KM_ELIMIT, NULL, UINT64_MAX, "CSV header too large");
out:
    km_buf_free(&names);
    km_buf_free(&scratch);
    if (rc != KM_OK) {
        km_buf_free(&h->keys);
        h->ncols = 0;
    }
    return rc;
}

void km_csv_hdr_free(struct km_csv_hdr *h)
{
    if (!h)
        return;
    km_buf_free(&h->keys);
    h->ncols = 0;
}

/* The JSON object of one row (see km_csv_row_to_json). */
int km_csv_row_json(const struct km_csv_hdr *h, const char *row, size_t rn, char delim,
                        struct km_buf *out, struct km_buf *scratch, struct km_err *err)
{
    struct csv_it it = {row, rn, 0, delim, 0};
    const char *p;
    size_t len;
    int k, col = 0, emitted = 0;
    out->n = 0;
    out->oom = 0;
    km_buf_addc(out, '{');
    for (;;) {
        size_t at = it.i;
        if ((k = csv_next(&it, scratch, &p, &len)) <= 0)
            break;
        if (col == h->ncols) {
            int cells = col + 1;
            while (csv_next(&it, scratch, &p, &len) > 0)
                cells++;
            return km_err_set(err, KM_EFORMAT, NULL, at,
                              "CSV row has %s%d cells, the header has %d columns",
                              it.done ? "" : "at least ", cells, h->ncols);
        }
        if (len) {
            if (emitted++)
                km_buf_addc(out, ',');
            km_buf_add(out, h->keys.p + h->koff[col], h->koff[col + 1] - h->koff[col]);
            km_json_write_str(out, p, len);
        }
        col++;
    }
    if (k < 0)
        return km_err_set(err, KM_EFORMAT, NULL, it.i, "unterminated quoted field in a CSV row");
    km_buf_addc(out, '}');
    if (out->oom)
        return km_err_set(err, KM_ELIMIT, NULL, UINT64_MAX,
                          "the row's JSON exceeds the %zu-byte limit", out->limit);
    return KM_OK;
}

/* Where the header record of p[i..n) ends: *end = index of the terminating
 * '\n' (or n), *q = the quote state there. The delimiter is known. */
static void csv_record_end(const char *p, size_t i, size_t n, char delim, size_t *end, int *q)
{
    int st = CQ_START;
    for (; i < n; i++) {
        unsigned char ch = (unsigned char)p[i];
        if (ch == '\n' && st != CQ_QUOTED)
            break;
        st = km_csv_step(st, ch, delim);
    }
    *end = i;
    *q = st;
}

int km_csv_header_find(const char *p, size_t n, size_t *start, size_t *len, char *delim,
                       struct km_err *err)
{
    size_t i = 0, end;
    int q, rc;
    struct km_csv_hdr h;
    if (n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        i = 3;
    while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
        i++;
    if (i == n || p[i] == '{' || p[i] == '[')
        return km_err_set(err, KM_EFORMAT, NULL, i, "no CSV header");
    *delim = km_csv_pick_delim(p + i, n - i);
    csv_record_end(p, i, n, *delim, &end, &q);
    if (q == CQ_QUOTED)
        return km_err_set(err, KM_EFORMAT, NULL, i, "unterminated quote in the header");
    if (end - i > KM_CSV_HEADER_MAX)
        return km_err_set(err, KM_ELIMIT, NULL, i, "CSV header longer than %u bytes",
                          KM_CSV_HEADER_MAX);
    *start = i;
    *len = end - i;
    if (*len && p[end - 1] == '\r')
        (*len)--;
    rc = km_csv_hdr_parse(p + i, *len, *delim, &h, err);
    km_csv_hdr_free(&h);
    return rc;
}

int km_csv_row_to_json(const char *header, size_t hn, const char *row, size_t rn, char delim,
                       struct km_buf *out, struct km_err *err)
{
    struct km_csv_hdr *h = km_xmalloc(sizeof *h);
    struct km_buf scratch;
    int rc;
    if (!delim)
        delim = km_csv_pick_delim(header, hn);
    rc = km_csv_hdr_parse(header, hn, delim, h, err);
    if (rc == KM_OK) {
        km_buf_init(&scratch, 0);
        rc = km_csv_row_json(h, row, rn, delim, out, &scratch, err);
        km_buf_free(&scratch);
    }
    km_csv_hdr_free(h);
    free(h);
    return rc;
}
