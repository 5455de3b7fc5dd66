/*
 * output.c — shared output helpers (output.h).
 */
#include "cli/output.h"

#include "core/timeparse.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
        quote = s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r';
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

void km_out_safe(struct km_buf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f)
            km_buf_printf(b, "\\x%02x", c);
        else
            km_buf_addc(b, (char)c);
    }
}

void km_out_safe_file(FILE *f, const char *s, size_t n)
{
    struct km_buf b;
    km_buf_init(&b, 0);
    km_out_safe(&b, s, n);
    if (b.n)
        fwrite(b.p, 1, b.n, f);
    km_buf_free(&b);
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

int km_out_parse_size(const char *s, uint64_t *out)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || v < 0)
        return -1;
    switch (toupper((unsigned char)*end)) {
    case 0: break;
    case 'K': v *= 1024; end++; break;
    case 'M': v *= 1024 * 1024; end++; break;
    case 'G': v *= 1024.0 * 1024 * 1024; end++; break;
    case 'T': v *= 1024.0 * 1024 * 1024 * 1024; end++; break;
    default: return -1;
    }
    if (*end == 'B' || *end == 'b')
        end++;
    if (*end)
        return -1;
    *out = (uint64_t)v;
    return 0;
}

int km_out_parse_when(const char *s, int64_t *us)
{
    size_t n = strlen(s);
    if (n >= 2 && isdigit((unsigned char)s[0])) {
        char *end;
        long long v = strtoll(s, &end, 10);
        int64_t unit = 0;
        if (strcmp(end, "d") == 0)
            unit = 86400;
        else if (strcmp(end, "h") == 0)
            unit = 3600;
        else if (strcmp(end, "m") == 0)
            unit = 60;
        else if (strcmp(end, "s") == 0)
            unit = 1;
        if (unit) {
            *us = ((int64_t)time(NULL) - (int64_t)v * unit) * 1000000;
            return 0;
        }
    }
    if (n == 10) { /* a bare date: midnight UTC */
        char full[32];
        snprintf(full, sizeof full, "%sT00:00:00Z", s);
        return km_time_parse(full, strlen(full), us) == KM_OK ? 0 : -1;
    }
    return km_time_parse(s, n, us) == KM_OK ? 0 : -1;
}
