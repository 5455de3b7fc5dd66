/*
 * cmd_events.c — `kumo events`: list events matching simple filters, as a
 * table, JSON Lines or CSV. Filters use the store's per-segment dictionaries
 * and time bounds, so a pivot on one IP or actor reads only segments that
 * can match. The full query language lives in `kumo query`.
 */
#include "cli/cli.h"
#include "cli/output.h"
#include "core/timeparse.h"
#include "store/store.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

enum { FMT_TABLE, FMT_JSONL, FMT_CSV };

/* Matches come segment by segment; to print them in time order they are
 * rendered into `out` and sorted by time before printing. Past
 * KM_EVENTS_SORT_CAP bytes the sorted part is printed and the rest streams
 * unsorted (with a note), so memory stays bounded. */
#define KM_EVENTS_SORT_CAP ((size_t)256 << 20)

struct line {
    int64_t t;
    uint64_t seq;
    size_t off, len;
};

struct ctx {
    int fmt;
    uint64_t limit, n, printed;
    int width;
    struct km_buf b;          /* the current line */
    struct km_buf out;        /* rendered lines awaiting the sort */
    struct line *lines;
    size_t nlines, caplines;
    int streaming;            /* cap reached: print as they come */
};

static const int table_cols[] = {KM_F_SOURCE, KM_F_ACCOUNT, KM_F_ACTOR_NAME, KM_F_SRC_RAW,
                                 KM_F_ACTION, KM_F_OUTCOME};

/* Column widths for the table: fixed source, account, address and outcome;
 * actor and action share what the terminal has left. */
static void col_widths(int width, int w[6])
{
    static const int fixed[6] = {14, 12, 0, 15, 0, 7};
    memcpy(w, fixed, sizeof fixed);
    int flex = width - 21 - 7 - (w[0] + w[1] + w[3] + w[5]);
    if (flex < 20)
        flex = 20;
    w[2] = flex / 2;
    w[4] = flex - w[2];
}

static void cell(struct km_buf *b, struct km_str v, int w)
{
    if (!v.p || !v.n) {
        km_buf_printf(b, "%-*s", w, "-");
        return;
    }
    size_t start = b->n;
    km_out_safe(b, v.p, (int)v.n <= w ? v.n : (size_t)(w - 1));
    size_t used = b->n - start;
    if ((int)v.n > w)
        km_buf_addc(b, '~');
    else
        for (size_t k = used; k < (size_t)w; k++)
            km_buf_addc(b, ' ');
}

static void render(struct ctx *c, const struct km_event *ev)
{
    char t[32];
    km_time_fmt(ev->time_us, t);
    struct km_buf *b = &c->b;
    b->n = 0;
    if (c->fmt == FMT_JSONL) {
        km_out_event_json(b, ev);
        km_buf_addc(b, '\n');
    } else if (c->fmt == FMT_CSV) {
        km_buf_adds(b, t);
        for (int f = 0; f < KM_F__COUNT; f++) {
            if (km_fields[f].enc == KM_ENC_RAW)
                continue; /* not in the store: see `kumo show` */
            km_buf_addc(b, ',');
            if (ev->f[f].p)
                km_out_csv_cell_buf(b, ev->f[f].p, ev->f[f].n);
        }
        km_buf_printf(b, ",%s\n", ev->read_only < 0 ? "" : ev->read_only ? "true" : "false");
    } else {
        /* time | source | account | actor | src | action | outcome */
        int w[6];
        col_widths(c->width, w);
        /* the table shows whole seconds: 2026-10-03T00:23:07Z */
        km_buf_printf(b, "%.19sZ ", t);
        for (int i = 0; i < 6; i++) {
            struct km_str v = ev->f[table_cols[i]];
            if (table_cols[i] == KM_F_ACTOR_NAME && !v.p)
                v = ev->f[KM_F_ACTOR_ARN];
            cell(b, v, w[i]);
            km_buf_addc(b, i == 5 ? '\n' : ' ');
        }
    }
}

static int line_cmp(const void *a, const void *b)
{
    const struct line *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return x->seq < y->seq ? -1 : (x->seq > y->seq);
}

/* Prints the collected lines in time order (at most the limit). */
static void drain(struct ctx *c)
{
    if (c->nlines)
        qsort(c->lines, c->nlines, sizeof *c->lines, line_cmp);
    for (size_t i = 0; i < c->nlines; i++) {
        if (c->limit && c->printed >= c->limit)
            break;
        fwrite(c->out.p + c->lines[i].off, 1, c->lines[i].len, stdout);
        c->printed++;
    }
    c->nlines = 0;
    c->out.n = 0;
}

static int on_event(void *vctx, const struct km_event *ev)
{
    struct ctx *c = vctx;
    render(c, ev);
    c->n++;
    if (c->streaming) {
        fwrite(c->b.p, 1, c->b.n, stdout);
        c->printed++;
        return c->limit && c->printed >= c->limit ? 1 : 0;
    }
    if (c->out.n + c->b.n > KM_EVENTS_SORT_CAP) {
        fprintf(stderr, "kumo events: more than %zu MB of matches: the rest is printed in "
                        "store order, not time order (narrow the query)\n",
                KM_EVENTS_SORT_CAP >> 20);
        drain(c);
        c->streaming = 1;
        fwrite(c->b.p, 1, c->b.n, stdout);
        c->printed++;
        return 0;
    }
    if (c->nlines == c->caplines) {
        c->caplines = c->caplines ? c->caplines * 2 : 1024;
        c->lines = km_xrealloc(c->lines, c->caplines * sizeof *c->lines);
    }
    c->lines[c->nlines++] = (struct line){ev->time_us, c->n, c->out.n, c->b.n};
    km_buf_add(&c->out, c->b.p, c->b.n);
    return 0;
}

int km_cmd_events(int argc, char **argv)
{
    const char *dir = km_cli_store_dir(&argc, argv);
    struct km_filter f;
    km_filter_init(&f);
    struct ctx c = {0};
    char lower[KM_ARRAY_LEN(f.conds)][512]; /* lower-cased e-mail filter values */
    c.fmt = FMT_TABLE;
    c.limit = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) {
            fprintf(stderr, "kumo events: %s needs a value\n", a);
            return km_cli_usage("events");
        }
        i++;
        uint64_t mask = 0;
        if (strcmp(a, "--since") == 0 || strcmp(a, "--until") == 0) {
            int64_t t;
            if (km_out_parse_when(v, &t) != 0) {
                fprintf(stderr, "kumo events: cannot read time '%s' (use 2026-10-01, "
                                "2026-10-01T12:00:00Z or 7d/12h/30m)\n", v);
                return 2;
            }
            if (a[2] == 's')
                f.since = t;
            else
                f.until = t;
            continue;
        } else if (strcmp(a, "--actor") == 0)
            mask = 1ULL << KM_F_ACTOR_NAME | 1ULL << KM_F_ACTOR_ARN | 1ULL << KM_F_ACTOR_EMAIL |
                   1ULL << KM_F_ACTOR_ID | 1ULL << KM_F_ACTOR_ACCESS_KEY;
        else if (strcmp(a, "--ip") == 0)
            mask = 1ULL << KM_F_SRC_IP | 1ULL << KM_F_SRC_RAW;
        else if (strcmp(a, "--action") == 0)
            mask = 1ULL << KM_F_ACTION;
        else if (strcmp(a, "--account") == 0)
            mask = 1ULL << KM_F_ACCOUNT;
        else if (strcmp(a, "--source") == 0)
            mask = 1ULL << KM_F_SOURCE;
        else if (strcmp(a, "--key") == 0)
            mask = 1ULL << KM_F_ACTOR_ACCESS_KEY;
        else if (strcmp(a, "--limit") == 0) {
            c.limit = strtoull(v, NULL, 10);
            continue;
        } else if (strcmp(a, "--format") == 0) {
            if (strcmp(v, "table") == 0)
                c.fmt = FMT_TABLE;
            else if (strcmp(v, "jsonl") == 0 || strcmp(v, "json") == 0)
                c.fmt = FMT_JSONL;
            else if (strcmp(v, "csv") == 0)
                c.fmt = FMT_CSV;
            else {
                fprintf(stderr, "kumo events: unknown format '%s' (table, jsonl, csv)\n", v);
                return 2;
            }
            continue;
        } else {
            fprintf(stderr, "kumo events: unknown option %s\n", a);
            return km_cli_usage("events");
        }
        if (f.nconds == (int)KM_ARRAY_LEN(f.conds)) {
            fprintf(stderr, "kumo events: too many filters\n");
            return 2;
        }
        f.conds[f.nconds].fields = mask;
        if ((mask & (1ULL << KM_F_ACTOR_EMAIL)) && strchr(v, '@') && strlen(v) < sizeof lower[0]) {
            /* e-mails and UPNs are stored lower-cased: match them that way */
            char *low = lower[f.nconds];
            size_t k = 0;
            for (; v[k]; k++)
                low[k] = (char)tolower((unsigned char)v[k]);
            low[k] = 0;
            v = low;
        }
        f.conds[f.nconds].value = v;
        f.nconds++;
    }
    struct winsize ws;
    c.width = isatty(1) && ioctl(1, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 60 ? ws.ws_col : 140;
    km_buf_init(&c.b, 0);
    struct km_store *s;
    struct km_err err;
    km_err_clear(&err);
    if (km_cli_open_store("events", dir, 0, &s) != KM_OK) {
        return 1;
    }
    if (c.fmt == FMT_CSV) {
        fputs("time", stdout);
        for (int k = 0; k < KM_F__COUNT; k++)
            if (km_fields[k].enc != KM_ENC_RAW)
                printf(",%s", km_fields[k].name);
        puts(",read_only");
    } else if (c.fmt == FMT_TABLE) {
        printf("%-20s ", "time");
        const char *h[6] = {"source", "account", "actor", "source address", "action", "outcome"};
        int w[6];
        col_widths(c.width, w);
        for (int i = 0; i < 6; i++)
            printf("%-*s%c", w[i], h[i], i == 5 ? '\n' : ' ');
    }
    km_buf_init(&c.out, KM_EVENTS_SORT_CAP + (1 << 20));
    int rc = km_store_scan(s, &f, on_event, &c, &err);
    if (!c.streaming)
        drain(&c);
    km_store_close(s);
    km_buf_free(&c.b);
    km_buf_free(&c.out);
    free(c.lines);
    fflush(stdout);
    if (rc != KM_OK) {
        char m[1200];
        fprintf(stderr, "kumo events: %s\n", km_err_fmt(&err, m, sizeof m));
        return 1;
    }
    if (c.fmt == FMT_TABLE)
        fprintf(stderr, "%llu events%s\n", (unsigned long long)c.printed,
                c.limit && c.n > c.printed ? " (limit reached)" : "");
    return 0;
}
