/*
 * cmd_stats.c — `kumo stats`: events per provider, source and account with
 * first/last time, from the segment manifest (exact: segments are deduped).
 */
#include "cli/opts.h"
#include "cli/cli.h"
#include "cli/output.h"
#include "core/timeparse.h"
#include "store/catalog.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Conflicting duplicates (catalog `conflicts`) grouped by (source, event
 * id): how many events reused that id, and the file of the first. At most
 * MAX_CGROUPS ids are listed (the most reused); the total counts all. */
#define MAX_CGROUPS 10000
struct cgroup {
    char source[64], event_id[256], file[1024];
    uint64_t n;
};
struct cstate {
    struct cgroup *g;
    size_t n, cap;
    uint64_t total;
};

static int conflict_cb(void *ctx, const struct km_conflict *x)
{
    struct cstate *c = ctx;
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 16;
        c->g = km_xrealloc(c->g, c->cap * sizeof *c->g);
    }
    struct cgroup *g = &c->g[c->n++];
    snprintf(g->source, sizeof g->source, "%s", x->source);
    snprintf(g->event_id, sizeof g->event_id, "%s", x->event_id);
    snprintf(g->file, sizeof g->file, "%s%s%s", x->file, x->member[0] ? "!" : "", x->member);
    g->n = x->count;
    return 0;
}

int km_cmd_stats(int argc, char **argv)
{
    int json = 0, ex;
    const struct km_opt opt[] = {
        KM_OPT_FLAG("--json", 0, &json, "print JSON"),
        KM_OPT_END,
    };
    struct km_opts o = {.cmd = "stats", .opt = opt};
    if (km_opts_parse(&o, argc, argv, &ex))
        return ex;
    const char *dir = km_cli_store_dir(&argc, argv);
    struct km_store *s;
    struct km_err err;
    km_err_clear(&err);
    if (km_cli_open_store("stats", dir, 0, &s) != KM_OK) {
        return 1;
    }
    struct km_stat_row *rows;
    size_t n;
    if (km_store_stats(s, &rows, &n, &err) != KM_OK) {
        char m[1200];
        fprintf(stderr, "kumo stats: %s\n", km_err_fmt(&err, m, sizeof m));
        km_store_close(s);
        return 1;
    }
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += rows[i].events;
    struct km_cat_counts cnt;
    if (km_cat_counts(km_store_catalog(s), &cnt, &err) != KM_OK) {
        char m[1200];
        fprintf(stderr, "kumo stats: %s\n", km_err_fmt(&err, m, sizeof m));
        free(rows);
        km_store_close(s);
        return 1;
    }
    uint64_t nev = cnt.evidence_complete, vbytes = cnt.vault_bytes, nseg = cnt.segments,
             sbytes = cnt.segment_bytes, nrej = cnt.rejects, ncust = cnt.custody;
    struct cstate cs = {0};
    if (km_cat_conflict_groups(km_store_catalog(s), MAX_CGROUPS, conflict_cb, &cs, &cs.total,
                               &err) != KM_OK) {
        char m[1200];
        fprintf(stderr, "kumo stats: %s\n", km_err_fmt(&err, m, sizeof m));
        free(rows);
        free(cs.g);
        km_store_close(s);
        return 1;
    }
    char t1[32], t2[32], a[32];
    if (json) {
        struct km_buf b;
        km_buf_init(&b, 0);
        km_buf_printf(&b, "{\"events\":%llu,\"evidence_objects\":%llu,\"vault_bytes\":%llu,"
                          "\"segments\":%llu,\"segment_bytes\":%llu,\"rejected_records\":%llu,"
                          "\"custody_records\":%llu,\"groups\":[",
                      (unsigned long long)total, (unsigned long long)nev,
                      (unsigned long long)vbytes, (unsigned long long)nseg,
                      (unsigned long long)sbytes, (unsigned long long)nrej,
                      (unsigned long long)ncust);
        for (size_t i = 0; i < n; i++) {
            km_time_fmt(rows[i].tmin, t1);
            km_time_fmt(rows[i].tmax, t2);
            km_buf_adds(&b, i ? ",{\"provider\":" : "{\"provider\":");
            km_json_write_str(&b, rows[i].provider, strlen(rows[i].provider));
            km_buf_adds(&b, ",\"source\":");
            km_json_write_str(&b, rows[i].source, strlen(rows[i].source));
            km_buf_adds(&b, ",\"account\":");
            km_json_write_str(&b, rows[i].account, strlen(rows[i].account));
            km_buf_printf(&b, ",\"events\":%llu,\"first\":\"%s\",\"last\":\"%s\"}",
                          (unsigned long long)rows[i].events, t1, t2);
        }
        km_buf_printf(&b, "],\"conflicting_duplicates\":%llu,\"conflicts\":[",
                      (unsigned long long)cs.total); /* the most reused ids, at most 10000 */
        for (size_t i = 0; i < cs.n; i++) {
            km_buf_adds(&b, i ? ",{\"source\":" : "{\"source\":");
            km_json_write_str(&b, cs.g[i].source, strlen(cs.g[i].source));
            km_buf_adds(&b, ",\"event_id\":");
            km_json_write_str(&b, cs.g[i].event_id, strlen(cs.g[i].event_id));
            km_buf_printf(&b, ",\"events\":%llu,\"first_file\":", (unsigned long long)cs.g[i].n);
            km_json_write_str(&b, cs.g[i].file, strlen(cs.g[i].file));
            km_buf_addc(&b, '}');
        }
        km_buf_adds(&b, "]}\n");
        fwrite(b.p, 1, b.n, stdout);
        km_buf_free(&b);
    } else {
        /* columns as wide as their widest value */
        int wp = 8, ws = 6, wa = 7;
        for (size_t i = 0; i < n; i++) {
            int lp = (int)strlen(rows[i].provider), ls = (int)strlen(rows[i].source),
                la = (int)strlen(rows[i].account);
            wp = lp > wp ? lp : wp;
            ws = ls > ws ? ls : ws;
            wa = la > wa ? la : wa;
        }
        printf("%-*s %-*s %-*s %12s  %-27s %s\n", wp, "provider", ws, "source", wa, "account",
               "events", "first", "last");
        for (size_t i = 0; i < n; i++) {
            km_time_fmt(rows[i].tmin, t1);
            km_time_fmt(rows[i].tmax, t2);
            km_out_printf(stdout, "%-*s %-*s %-*s %12s  %-27s %s\n", wp, rows[i].provider, ws,
                          rows[i].source, wa, rows[i].account[0] ? rows[i].account : "-",
                          km_out_num(rows[i].events, a, sizeof a), t1, t2);
        }
        printf("total: %s events in %llu segments (%.1f MB); %llu evidence objects (%.1f MB in "
               "the vault); %llu custody records; %llu rejected records\n",
               km_out_num(total, a, sizeof a), (unsigned long long)nseg, (double)sbytes / 1e6,
               (unsigned long long)nev, (double)vbytes / 1e6, (unsigned long long)ncust,
               (unsigned long long)nrej);
        if (cs.total) {
            printf("conflicting duplicates: %s events reused an id already stored with other "
                   "content (kept as events of their own)\n",
                   km_out_num(cs.total, a, sizeof a));
            size_t show = cs.n < 20 ? cs.n : 20;
            for (size_t i = 0; i < show; i++) {
                printf("  %-20s %8s  id ", cs.g[i].source, km_out_num(cs.g[i].n, a, sizeof a));
                km_out_safe_file(stdout, cs.g[i].event_id, strlen(cs.g[i].event_id));
                fputs("  first in ", stdout);
                km_out_safe_file(stdout, cs.g[i].file, strlen(cs.g[i].file));
                putchar('\n');
            }
            if (cs.n > show)
                printf("  ... %zu more ids (kumo stats --json lists them all)\n", cs.n - show);
        }
    }
    free(cs.g);
    free(rows);
    km_store_close(s);
    return 0;
}
