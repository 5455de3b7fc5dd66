/*
 * cmd_export.c — `kumo export`: the events that match the filter options,
 * in time order, as kumo JSON Lines, CSV, OCSF JSON events or Timesketch
 * JSONL/CSV (export.h; docs/export.md), to stdout or --out FILE.
 *
 * The filters are the ones of `kumo events` (filter_opts.h); a query PIPELINE
 * of filter / dedup / limit commands selects events through the query engine
 * (query/exec.h), which feeds the same sorted scan and sink.
 */
#include "cli/opts.h"
#include "cli/cli.h"
#include "cli/export.h"
#include "query/exec.h"
#include "cli/filter_opts.h"
#include "store/store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int render(void *ctx, const struct km_event *ev, struct km_buf *line, struct km_err *err)
{
    return km_export_render(ctx, ev, line, err);
}

/* Events in the store, from the manifest (no scan). */
static int store_events(struct km_store *s, uint64_t *total, struct km_err *err)
{
    struct km_stat_row *rows;
    size_t n;
    int rc = km_store_stats(s, &rows, &n, err);
    if (rc != KM_OK)
        return rc;
    *total = 0;
    for (size_t i = 0; i < n; i++)
        *total += rows[i].events;
    free(rows);
    return KM_OK;
}

/* Events from a query pipeline, through the query engine (time bounds from
 * --since/--until). */
struct qsrc {
    struct km_store *s;
    struct km_query *q;
    const char *text;
    const struct km_filter *f;
    km_scan_fn cb;
    void *cbctx;
};

static int qsrc_event(void *ctx, const struct km_event *ev)
{
    struct qsrc *qs = ctx;
    return qs->cb(qs->cbctx, ev);
}

static int query_source(void *sctx, km_scan_fn cb, void *cbctx, struct km_err *err)
{
    struct qsrc *qs = sctx;
    qs->cb = cb;
    qs->cbctx = cbctx;
    struct km_qopts o;
    km_qopts_default(&o);
    o.since = qs->f->since;
    o.until = qs->f->until;
    o.max_rows = INT64_MAX;
    struct km_qsink sink = {.ctx = qs, .event = qsrc_event};
    struct km_qstats st;
    struct km_query_err qe;
    km_query_err_clear(&qe);
    int rc = km_query_run(qs->s, qs->q, qs->text, strlen(qs->text), &o, &sink, &st, &qe);
    for (int i = 0; i < st.nwarnings; i++)
        fprintf(stderr, "warning: %s\n", st.warnings[i]);
    if (rc)
        return km_err_set(err, rc, NULL, UINT64_MAX, "%s", qe.msg[0] ? qe.msg : km_strerror(rc));
    return KM_OK;
}

int km_cmd_export(int argc, char **argv)
{
    const char *dir = km_cli_store_dir(&argc, argv);
    struct km_cli_filter cf;
    km_cli_filter_init(&cf);
    enum km_export_fmt fmt = KM_EXPORT_JSONL;
    const char *out_path = NULL, *fmt_name = "jsonl";
    unsigned long long limit = 0;
    const char *pipeline = NULL;
    const struct km_opt opt[] = {
        KM_OPT_ENUM("--format", 0, &fmt_name, "jsonl|csv|ocsf|timesketch|timesketch-csv",
                    "the interchange format (docs/export.md); default jsonl"),
        KM_OPT_STR("--out", 0, &out_path, "FILE", "write to FILE instead of stdout"),
        KM_OPT_INT("--limit", 0, &limit, 1, KM_CLI_LIMIT_MAX, "N",
                   "write at most the first N events in time order, as `kumo events --limit` "
                   "(default: all; 0 is refused: leave the option out for no limit)"),
        KM_CLI_FILTER_OPTS(&cf),
        KM_OPT_END,
    };
    struct km_opts o = {.cmd = "export", .args = "['PIPELINE']", .opt = opt, .pos = &pipeline,
                        .maxpos = 1};
    int ex;
    if (km_opts_parse(&o, argc, argv, &ex))
        return ex;
    if (km_export_format_lookup(fmt_name, &fmt) != KM_OK) {
        fprintf(stderr, "kumo export: unknown format '%s' (formats: %s)\n", fmt_name,
                km_export_formats);
        return 2;
    }

    /* a PIPELINE selects the events (filter, dedup, limit) */
    struct km_arena qa;
    km_arena_init(&qa, 1 << 16, 64u << 20);
    struct qsrc qs = {0};
    if (pipeline) {
        struct km_query_err qe;
        km_query_err_clear(&qe);
        size_t pn = strlen(pipeline);
        if (km_query_parse(pipeline, pn, &qa, &qs.q, &qe) != KM_OK) {
            char msg[2048];
            km_query_err_render(&qe, pipeline, pn, msg, sizeof msg, NULL);
            fputs(msg, stderr);
            km_arena_free(&qa);
            return 2;
        }
        if (!km_query_events_only(qs.q)) {
            fprintf(stderr, "kumo export: the pipeline must keep events: use filter, dedup and "
                            "limit (for a table of values: kumo query --format csv)\n");
            km_arena_free(&qa);
            return 2;
        }
        qs.text = pipeline;
        qs.f = &cf.f;
    }
    struct km_store *s;
    struct km_err err;
    km_err_clear(&err);
    if (km_cli_open_store("export", dir, 0, &s) != KM_OK) {
        km_arena_free(&qa);
        return 1;
    }
    qs.s = s;
    if (km_cli_filter_persons(&cf, "export", s)) {
        km_store_close(s);
        km_arena_free(&qa);
        return 2;
    }
    char m[1200];
    uint64_t total = 0;
    int rc = store_events(s, &total, &err);
    if (rc != KM_OK) {
        fprintf(stderr, "kumo export: %s\n", km_err_fmt(&err, m, sizeof m));
        km_store_close(s);
        km_cli_filter_free(&cf);
        return 1;
    }
    FILE *out = stdout;
    if (out_path && !(out = fopen(out_path, "w"))) {
        fprintf(stderr, "kumo export: cannot write %s: %s\n", out_path, strerror(errno));
        km_store_close(s);
        km_cli_filter_free(&cf);
        return 1;
    }
    if (total == 0) {
        fprintf(stderr, "kumo export: the store %s holds no events (run `kumo ingest` first); "
                        "nothing to export\n", dir);
        km_store_close(s);
        km_cli_filter_free(&cf);
        if (out != stdout)
            fclose(out);
        return 0;
    }

    struct km_export x;
    rc = km_export_begin(&x, fmt, out, &err);
    struct km_cli_scan sc = {.cmd = "export", .out = out, .limit = limit, .render = render,
                             .ctx = &x};
    if (qs.q) {
        sc.source = query_source;
        sc.sctx = &qs;
    }
    if (rc == KM_OK)
        rc = km_cli_sorted_scan(s, &cf.f, &sc, &err);
    int rc2 = km_export_end(&x, &err);
    km_arena_free(&qa);
    if (rc == KM_OK)
        rc = rc2;
    km_store_close(s);
    km_cli_filter_free(&cf);
    if (out != stdout && fclose(out) != 0 && rc == KM_OK)
        rc = km_err_set(&err, KM_EIO, out_path, UINT64_MAX, "closing the output failed");
    if (rc != KM_OK) {
        fprintf(stderr, "kumo export: %s\n", km_err_fmt(&err, m, sizeof m));
        return 1;
    }
    fprintf(stderr, "kumo export: %llu events as %s%s%s\n", (unsigned long long)sc.written,
            km_export_format_name(fmt), out_path ? " to " : "", out_path ? out_path : "");
    return 0;
}
