/*
 * cmd_stats.c — `kumo stats`: events per provider, source and account with
 * first/last time, from the segment manifest (exact: segments are deduped).
 */
#include "cli/cli.h"
#include "cli/output.h"
#include "core/timeparse.h"
#include "store/catalog.h"
#include "store/store.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t count_sql(struct km_store *s, const char *sql)
{
    sqlite3_stmt *st;
    uint64_t v = 0;
    if (sqlite3_prepare_v2(km_cat_db(km_store_catalog(s)), sql, -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW)
            v = (uint64_t)sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    return v;
}

int km_cmd_stats(int argc, char **argv)
{
    const char *dir = km_cli_store_dir(&argc, argv);
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else
            return km_cli_usage("stats");
    }
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
    uint64_t nev = count_sql(s, "SELECT COUNT(*) FROM evidence WHERE complete = 1");
    uint64_t vbytes = count_sql(s, "SELECT COALESCE(SUM(size),0) FROM evidence");
    uint64_t nseg = count_sql(s, "SELECT COUNT(*) FROM segments");
    uint64_t sbytes = count_sql(s, "SELECT COALESCE(SUM(bytes),0) FROM segments");
    uint64_t nrej = count_sql(s, "SELECT COUNT(*) FROM rejects");
    uint64_t ncust = count_sql(s, "SELECT COUNT(*) FROM custody");
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
    }
    free(rows);
    km_store_close(s);
    return 0;
}
