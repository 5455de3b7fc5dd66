/*
 * output.c — shared output helpers (output.h).
 */
#include "cli/output.h"

#include "core/timeparse.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

static void field(struct km_buf *b, int *first, const char *name, struct km_str v)
{
    if (!v.p)
        return;
    km_buf_adds(b, *first ? "\"" : ",\"");
    km_buf_adds(b, name);
    km_buf_adds(b, "\":");
    km_json_write_str(b, v.p, v.n);
    *first = 0;
}

void km_out_event_json(struct km_buf *b, const struct km_event *ev)
{
    char t[32];
    km_time_fmt(ev->time_us, t);
    km_buf_adds(b, "{\"time\":\"");
    km_buf_adds(b, t);
    km_buf_addc(b, '"');
    int first = 0;
    for (int f = 0; f < KM_F__COUNT; f++) {
        if ((f == KM_F_RESOURCES || f == KM_F_RELATED) && ev->f[f].p && ev->f[f].n &&
            ev->f[f].p[0] == '[') {
            km_buf_adds(b, f == KM_F_RESOURCES ? ",\"resources\":" : ",\"related\":");
            km_buf_add(b, ev->f[f].p, ev->f[f].n);
            continue;
        }
        field(b, &first, km_fields[f].name, ev->f[f]);
    }
    km_out_event_json_tail(b, ev, "actor.mfa");
    km_buf_addc(b, '}');
}

void km_out_event_json_tail(struct km_buf *b, const struct km_event *ev, const char *mfa_name)
{
    if (ev->read_only >= 0)
        km_buf_adds(b, ev->read_only ? ",\"read_only\":true" : ",\"read_only\":false");
    if (ev->mfa >= 0)
        km_buf_printf(b, ",\"%s\":%s", mfa_name, ev->mfa ? "true" : "false");
    if (ev->severity >= 0)
        km_buf_printf(b, ",\"severity\":%d", ev->severity);
    if (ev->flags & KM_EV_TIME_FALLBACK)
        km_buf_adds(b, ",\"time_fallback\":true");
    if (ev->flags & KM_EV_TIME_MISSING)
        km_buf_adds(b, ",\"time_missing\":true");
}

void km_out_csv_cell_buf(struct km_buf *b, const char *s, size_t n)
{
    int quote = 0, guard = n > 0 && strchr("=+-@\t\r", s[0]) != NULL;
    for (size_t i = 0; i < n && !quote; i++)
        quote = s[i] == ',' || s[i] == '"' || (unsigned char)s[i] < 0x20 || s[i] == 0x7f;
    if (quote || guard)
        km_buf_addc(b, '"');
    if (guard)
        km_buf_addc(b, '\'');
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"')
            km_buf_addc(b, '"');
        km_buf_addc(b, s[i]);
    }
    if (quote || guard)
        km_buf_addc(b, '"');
}

void km_out_csv_cell(FILE *f, const char *s, size_t n)
{
    struct km_buf b;
    km_buf_init(&b, 0);
    km_out_csv_cell_buf(&b, s, n);
    if (b.n)
        fwrite(b.p, 1, b.n, f);
    km_buf_free(&b);
}

/* Length of a valid UTF-8 sequence at s[0..n) (2..4), or 0 when the bytes
 * there are not one (overlong forms, surrogates and values past U+10FFFF
 * included). */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t k;
    uint32_t cp;
    if (c >= 0xc2 && c <= 0xdf) {
        k = 2;
        cp = c & 0x1fu;
    } else if (c >= 0xe0 && c <= 0xef) {
        k = 3;
        cp = c & 0x0fu;
    } else if (c >= 0xf0 && c <= 0xf4) {
        k = 4;
        cp = c & 0x07u;
    } else {
        return 0;
    }
    if (n < k)
        return 0;
    for (size_t i = 1; i < k; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3fu);
    }
    if ((k == 3 && cp < 0x800) || (k == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return k;
}

size_t km_out_unit(const char *str, size_t n, size_t i, unsigned keep, char tmp[12], size_t *tn,
                   int *cols)
{
    const unsigned char *s = (const unsigned char *)str + i;
    size_t left = n - i;
    unsigned char c = s[0];
    *tn = 0;
    *cols = 1;
    if (c < 0x80) {
        if ((c == '\n' && (keep & KM_OUT_KEEP_NL)) || (c == '\t' && (keep & KM_OUT_KEEP_TAB))) {
            *cols = c == '\t' ? 8 : 0;
            return 1;
        }
        if (c < 0x20 || c == 0x7f) {
            *tn = (size_t)snprintf(tmp, 12, "\\x%02x", c);
            *cols = (int)*tn;
        }
        return 1;
    }
    size_t k = utf8_len(s, left);
    if (!k) { /* not UTF-8: the byte, visibly */
        *tn = (size_t)snprintf(tmp, 12, "\\x%02x", c);
        *cols = (int)*tn;
        return 1;
    }
    uint32_t cp = k == 2 ? (uint32_t)(c & 0x1f) << 6 | (s[1] & 0x3fu)
                  : k == 3 ? (uint32_t)(c & 0x0f) << 12 | (uint32_t)(s[1] & 0x3f) << 6 |
                                 (s[2] & 0x3fu)
                           : 0x10000; /* 4 bytes: never a control */
    if ((cp >= 0x80 && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) ||
        (cp >= 0x2066 && cp <= 0x2069)) {
        /* C1 controls (U+009B is an 8-bit CSI) and the bidi embeddings,
         * overrides and isolates, which reorder what the reader sees */
        *tn = (size_t)snprintf(tmp, 12, "\\u%04x", (unsigned)cp);
        *cols = (int)*tn;
    }
    return k;
}

void km_out_text(struct km_buf *b, const char *s, size_t n, unsigned keep)
{
    char tmp[12];
    size_t tn;
    int w;
    if (!s)
        return;
    for (size_t i = 0; i < n;) {
        size_t run = i;
        while (i < n && (unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x7f &&
               s[i] != 0)
            i++;
        if (i > run)
            km_buf_add(b, s + run, i - run);
        if (i >= n)
            break;
        size_t adv = km_out_unit(s, n, i, keep, tmp, &tn, &w);
        if (tn)
            km_buf_add(b, tmp, tn);
        else
            km_buf_add(b, s + i, adv);
        i += adv;
    }
}

void km_out_safe(struct km_buf *b, const char *s, size_t n) { km_out_text(b, s, n, 0); }

void km_out_safe_file(FILE *f, const char *s, size_t n)
{
    struct km_buf b;
    km_buf_init(&b, 0);
    km_out_safe(&b, s, n);
    if (b.n)
        fwrite(b.p, 1, b.n, f);
    km_buf_free(&b);
}

void km_out_printf(FILE *f, const char *fmt, ...)
{
    struct km_buf b;
    km_buf_init(&b, 0);
    va_list ap;
    va_start(ap, fmt);
    char small[512];
    int len = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (len >= 0 && (size_t)len < sizeof small) {
        km_out_text(&b, small, (size_t)len, KM_OUT_KEEP_NL);
    } else if (len >= 0) {
        char *big = km_xmalloc((size_t)len + 1);
        va_start(ap, fmt);
        vsnprintf(big, (size_t)len + 1, fmt, ap);
        va_end(ap);
        km_out_text(&b, big, (size_t)len, KM_OUT_KEEP_NL);
        free(big);
    }
    if (b.n)
        fwrite(b.p, 1, b.n, f);
    km_buf_free(&b);
}

size_t km_out_width(const char *s, size_t n)
{
    char tmp[12];
    size_t tn, w = 0;
    int cw;
    for (size_t i = 0; s && i < n;)
        i += km_out_unit(s, n, i, 0, tmp, &tn, &cw), w += (size_t)cw;
    return w;
}

static uint64_t cuts;

int km_out_fit(struct km_buf *b, const char *s, size_t n, int cols, int pad, const char *mark)
{
    char tmp[12];
    size_t tn;
    int w;
    if (!s)
        n = 0;
    if (!mark)
        mark = "\xe2\x80\xa6"; /* … */
    int total = 0, cut = 0;
    if (cols > 0)
        for (size_t i = 0; i < n && total <= cols;) {
            i += km_out_unit(s, n, i, 0, tmp, &tn, &w);
            total += w;
        }
    cut = cols > 0 && total > cols;
    int room = cut ? cols - 1 : INT32_MAX, used = 0;
    for (size_t i = 0; i < n;) {
        size_t adv = km_out_unit(s, n, i, 0, tmp, &tn, &w);
        if (used + w > room)
            break;
        if (tn)
            km_buf_add(b, tmp, tn);
        else
            km_buf_add(b, s + i, adv);
        used += w;
        i += adv;
    }
    if (cut) {
        km_buf_adds(b, mark);
        used++;
        cuts++;
    }
    for (; used < pad; used++)
        km_buf_addc(b, ' ');
    return cut;
}

int km_out_term_cols(FILE *f)
{
    int fd = fileno(f);
    if (fd < 0 || !isatty(fd))
        return 0;
    struct winsize ws;
    int w = 0;
    if (ioctl(fd, TIOCGWINSZ, &ws) == 0)
        w = ws.ws_col;
    if (w <= 0) {
        const char *c = getenv("COLUMNS");
        w = c ? atoi(c) : 0;
    }
    if (w <= 0)
        w = 80;
    if (w > 4096)
        w = 4096;
    return w < 60 ? 60 : w;
}

uint64_t km_out_cuts(void) { return cuts; }

void km_out_cut_note(FILE *f)
{
    if (!cuts)
        return;
    fprintf(f, "(%llu value%s cut to fit the terminal: pipe the output (| cat, | less -S) or "
               "use --format jsonl for the full text)\n",
            (unsigned long long)cuts, cuts == 1 ? "" : "s");
    cuts = 0;
}

const char *km_out_num(uint64_t v, char *buf, size_t n)
{
    char tmp[32];
    int len = snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)v);
    size_t k = 0;
    for (int i = 0; i < len && k + 2 < n; i++) {
        if (i && (len - i) % 3 == 0)
            buf[k++] = ',';
        buf[k++] = tmp[i];
    }
    buf[k] = 0;
    return buf;
}
