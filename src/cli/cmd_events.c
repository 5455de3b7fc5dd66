/*
 * cmd_events.c — `kumo events`: list events matching simple filters, as a
 * table, JSON Lines or CSV. Filters use the store's per-segment dictionaries
 * and time bounds, so a pivot on one IP or actor reads only segments that
 * can match. The full query language lives in `kumo query`.
 */
#include "cli/opts.h"
#include "cli/cli.h"
#include "cli/filter_opts.h"
#include "cli/geo_opts.h"
#include "cli/output.h"
#include "core/timeparse.h"
#include "store/store.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { FMT_TABLE, FMT_JSONL, FMT_CSV };

struct ctx {
    int fmt;
    int width;
    struct km_cli_geo *geo;
    int cut;                 /* stdout is a terminal: cells are cut to fit */
};

/* JSON Lines: the enrichment fields of the query language (src.ip_class,
 * src.asn, src.as_org, src.geo.db; src.geo.country/city/lat/lon where the
 * provider gave no place), appended to the event object in b. */
static void geo_fields(struct ctx *c, const struct km_event *ev, struct km_buf *b)
{
    struct km_str ip = ev->f[KM_F_SRC_IP], raw = ev->f[KM_F_SRC_RAW];
    if (!ip.n && !raw.n)
        return;
    struct km_geo *g = ip.n && !c->geo->failed ? km_cli_geo_get(c->geo) : NULL;
    struct km_geo_rec r;
    if (ip.n)
        km_geo_lookup(g, ip.p, ip.n, &r);
    else
        km_geo_lookup(NULL, raw.p, raw.n, &r);
    if (!ip.n && r.cls == KM_GEO_PUBLIC)
        return; /* neither an address nor a known label */
    if (ev->f[KM_F_SRC_COUNTRY].n)
        km_geo_apply_provider(g, ev->f[KM_F_SRC_COUNTRY], ev->f[KM_F_SRC_CITY], &r);
    if (!b->n || b->p[b->n - 1] != '}')
        return;
    b->n--;
    km_buf_printf(b, ",\"src.ip_class\":\"%s\"", km_geo_class_name(r.cls));
    if (!ev->f[KM_F_SRC_COUNTRY].n && r.country[0])
        km_buf_printf(b, ",\"src.geo.country\":\"%s\"", r.country);
    if (!ev->f[KM_F_SRC_CITY].n && *r.city) {
        km_buf_adds(b, ",\"src.geo.city\":");
        km_json_write_str(b, r.city, strlen(r.city));
    }
    if (isfinite(r.lat))
        km_buf_printf(b, ",\"src.geo.lat\":%.4f,\"src.geo.lon\":%.4f", r.lat, r.lon);
    if (*r.db)
        km_buf_printf(b, ",\"src.geo.db\":\"%s\"", r.db);
    if (r.asn) {
        km_buf_printf(b, ",\"src.asn\":%u,\"src.as_org\":", r.asn);
        km_json_write_str(b, r.as_org, strlen(r.as_org));
    }
    km_buf_addc(b, '}');
}

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

/* A table cell: escaped (output.h), padded to w; cut to w only on a
 * terminal (cut set), else whole. */
static void cell(struct km_buf *b, struct km_str v, int w, int cut)
{
    if (!v.p || !v.n) {
        km_buf_printf(b, "%-*s", w, "-");
        return;
    }
    km_out_fit(b, v.p, v.n, cut ? w : 0, w, "~");
}

static int render(void *vctx, const struct km_event *ev, struct km_buf *b, struct km_err *err)
{
    struct ctx *c = vctx;
    char t[32];
    km_time_fmt(ev->time_us, t);
    if (c->fmt == FMT_JSONL) {
        km_out_event_json(b, ev);
        if (c->geo->n || c->geo->builtin_only)
            geo_fields(c, ev, b); /* asked for with --geo */
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
            cell(b, v, w[i], c->cut);
            km_buf_addc(b, i == 5 ? '\n' : ' ');
        }
    }
    return KM_OK;
}

int km_cmd_events(int argc, char **argv)
{
    const char *dir = km_cli_store_dir(&argc, argv);
    struct km_cli_geo geo;
    km_cli_geo_begin(&geo, "events", dir);
    struct km_cli_filter cf;
    km_cli_filter_init(&cf);
    struct ctx c = {FMT_TABLE, 140, &geo, 0};
    unsigned long long limit = 0;
    const char *fmt = "table";
    const struct km_opt opt[] = {
        KM_CLI_FILTER_OPTS(&cf),
        KM_OPT_INT("--limit", 0, &limit, 1, KM_CLI_LIMIT_MAX, "N",
                   "write at most the first N events in time order (default: all; 0 is "
                   "refused: leave the option out for no limit)"),
        KM_OPT_ENUM("--format", 0, &fmt, "table|jsonl|json|csv",
                    "output: an aligned table (cut to the terminal), JSON lines (json is the "
                    "same), or CSV"),
        KM_CLI_GEO_OPT(&geo),
        KM_OPT_END,
    };
    struct km_opts o = {.cmd = "events", .opt = opt};
    int ex;
    if (km_opts_parse(&o, argc, argv, &ex))
        return ex;
    c.fmt = !strcmp(fmt, "csv") ? FMT_CSV : !strcmp(fmt, "table") ? FMT_TABLE : FMT_JSONL;
    c.width = km_out_term_cols(stdout);
    c.cut = c.width > 0;
    if (!c.width)
        c.width = 140; /* the layout; a file or a pipe gets every cell whole */
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
    if (km_cli_filter_persons(&cf, "events", s)) {
        km_store_close(s);
        return 2;
    }
    struct km_cli_scan sc = {.cmd = "events", .out = stdout, .limit = limit, .render = render,
                             .ctx = &c};
    int rc = km_cli_sorted_scan(s, &cf.f, &sc, &err);
    km_store_close(s);
    km_cli_geo_free(&geo);
    km_cli_filter_free(&cf);
    if (rc != KM_OK) {
        char m[1200];
        fprintf(stderr, "kumo events: %s\n", km_err_fmt(&err, m, sizeof m));
        return 1;
    }
    if (c.fmt == FMT_TABLE) {
        km_out_cut_note(stdout);
        fflush(stdout);
    }
    if (c.fmt == FMT_TABLE)
        fprintf(stderr, "%llu events%s\n", (unsigned long long)sc.written,
                limit && sc.matched > sc.written ? " (limit reached)" : "");
    return 0;
}
