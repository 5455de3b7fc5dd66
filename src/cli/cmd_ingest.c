/*
 * cmd_ingest.c — `kumo ingest PATH...`: acquire files, directories, archives
 * or stdin into the store, with live progress and a per-source summary.
 */
#include "cli/opts.h"
#include "cli/cli.h"
#include "cli/output.h"
#include "ingest/ingest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void print_json(const struct km_ingest_summary *s, const char *store)
{
    struct km_buf b;
    km_buf_init(&b, 0);
    km_buf_adds(&b, "{\"store\":");
    km_json_write_str(&b, store, strlen(store));
    km_buf_printf(&b,
                  ",\"files\":%llu,\"files_already_held\":%llu,\"files_failed\":%llu,"
                  "\"bytes_in\":%llu,\"bytes_decoded\":%llu,\"events_new\":%llu,"
                  "\"events_duplicate\":%llu,\"records_rejected\":%llu,"
                  "\"events_conflicting_duplicate\":%llu,"
                  "\"evidence_only_records\":%llu,\"time_fallbacks\":%llu,"
                  "\"time_missing\":%llu,\"type_problems\":%llu,\"seconds\":%.3f,\"events_per_second\":%.0f,"
                  "\"sources\":[",
                  (unsigned long long)s->files, (unsigned long long)s->files_already_held,
                  (unsigned long long)s->files_failed, (unsigned long long)s->bytes_in,
                  (unsigned long long)s->bytes_decoded, (unsigned long long)s->events_new,
                  (unsigned long long)s->events_dup, (unsigned long long)s->records_rejected,
                  (unsigned long long)s->events_conflict,
                  (unsigned long long)s->evidence_records, (unsigned long long)s->time_fallbacks,
                  (unsigned long long)s->time_missing, (unsigned long long)s->type_problems, s->seconds,
                  s->seconds > 0 ? (double)(s->events_new + s->events_dup) / s->seconds : 0.0);
    for (int i = 0; i < s->nsources; i++) {
        km_buf_adds(&b, i ? ",{\"source\":" : "{\"source\":");
        km_json_write_str(&b, s->sources[i].source, strlen(s->sources[i].source));
        km_buf_printf(&b, ",\"new\":%llu,\"duplicate\":%llu,\"conflicting_duplicate\":%llu}",
                      (unsigned long long)s->sources[i].events_new,
                      (unsigned long long)s->sources[i].events_dup,
                      (unsigned long long)s->sources[i].events_conflict);
    }
    km_buf_adds(&b, "],\"rejects\":[");
    for (size_t i = 0; i < s->nrejects; i++) {
        const struct km_ingest_reject *r = &s->rejects[i];
        km_buf_adds(&b, i ? ",{\"file\":" : "{\"file\":");
        km_json_write_str(&b, r->file, strlen(r->file));
        if (r->offset != UINT64_MAX)
            km_buf_printf(&b, ",\"offset\":%llu", (unsigned long long)r->offset);
        if (r->line > 0)
            km_buf_printf(&b, ",\"line\":%ld", r->line);
        km_buf_adds(&b, ",\"reason\":");
        km_json_write_str(&b, r->reason, strlen(r->reason));
        km_buf_addc(&b, '}');
    }
    km_buf_adds(&b, "]}\n");
    fwrite(b.p, 1, b.n, stdout);
    km_buf_free(&b);
}

static void print_text(const struct km_ingest_summary *s, int max_show)
{
    char a[32], b2[32], c[32], d[32], rs[32];
    double rate = s->seconds > 0 ? (double)(s->events_new + s->events_dup) / s->seconds : 0;
    printf("ingested %s files (%.1f MB, %.1f MB decoded) in %.2f s: %s new events, %s duplicate, "
           "%s rejected records (%s events/s)\n",
           km_out_num(s->files, a, sizeof a), (double)s->bytes_in / 1e6,
           (double)s->bytes_decoded / 1e6, s->seconds, km_out_num(s->events_new, b2, sizeof b2),
           km_out_num(s->events_dup, c, sizeof c), km_out_num(s->records_rejected, d, sizeof d),
           km_out_num((uint64_t)rate, rs, sizeof rs));
    if (s->nsources) {
        /* the conflicts column only when there are any: the usual table stays */
        if (s->events_conflict)
            printf("  %-28s %14s %12s %12s\n", "source", "new", "duplicate", "conflicting");
        else
            printf("  %-28s %14s %12s\n", "source", "new", "duplicate");
        for (int i = 0; i < s->nsources; i++) {
            printf("  %-28s %14s %12s", s->sources[i].source,
                   km_out_num(s->sources[i].events_new, a, sizeof a),
                   km_out_num(s->sources[i].events_dup, b2, sizeof b2));
            if (s->events_conflict)
                printf(" %12s", km_out_num(s->sources[i].events_conflict, c, sizeof c));
            putchar('\n');
        }
    }
    if (s->events_conflict)
        printf("  %s conflicting duplicates: their id was already stored with other content; "
               "kept as events of their own (kumo stats lists them)\n",
               km_out_num(s->events_conflict, a, sizeof a));
    if (s->files_already_held)
        printf("  %s files already held: nothing new from them\n",
               km_out_num(s->files_already_held, a, sizeof a));
    if (s->evidence_records)
        printf("  %s evidence-only records kept (e.g. CloudTrail digests)\n",
               km_out_num(s->evidence_records, a, sizeof a));
    if (s->time_fallbacks)
        printf("  %s events had no primary timestamp; a fallback field was used\n",
               km_out_num(s->time_fallbacks, a, sizeof a));
    if (s->time_missing)
        printf("  %s events had no usable time at all: stored with time 0 and flag "
               "time_missing\n",
               km_out_num(s->time_missing, a, sizeof a));
    if (s->type_problems)
        printf("  %s events had fields of unexpected types (normalized as far as possible)\n",
               km_out_num(s->type_problems, a, sizeof a));
    if (s->files_failed)
        printf("  %s files could not be read\n", km_out_num(s->files_failed, a, sizeof a));
    if (s->records_rejected || s->nrejects) {
        size_t show = s->nrejects < (size_t)max_show ? s->nrejects : (size_t)max_show;
        printf("rejected: %s (first %zu shown)\n", km_out_num(s->records_rejected, a, sizeof a),
               show);
        for (size_t i = 0; i < show; i++) {
            const struct km_ingest_reject *r = &s->rejects[i];
            fputs("  ", stdout);
            km_out_safe_file(stdout, r->file, strlen(r->file));
            if (r->offset != UINT64_MAX)
                printf(": offset %llu", (unsigned long long)r->offset);
            if (r->line > 0)
                printf(" (line %ld)", r->line);
            fputs(": ", stdout);
            km_out_safe_file(stdout, r->reason, strlen(r->reason));
            putchar('\n');
        }
    }
}

int km_cmd_ingest(int argc, char **argv)
{
    const char *store_dir = km_cli_store_dir(&argc, argv);
    struct km_ingest_opts o;
    km_ingest_opts_default(&o);
    int json = 0, quiet = 0, max_show = 20;
    char **paths = calloc((size_t)argc + 1, sizeof *paths);
    const struct km_opt opt[] = {
        KM_OPT_FLAG("--json", 0, &json, "print the summary as JSON"),
        KM_OPT_FLAG("--quiet", 0, &quiet, "no progress and no summary unless records were "
                    "rejected (as the global -q)"),
        KM_OPT_STR("--operator", 0, &o.operator_, "NAME",
                   "who acquires, recorded in the custody log (default: $USER)"),
        KM_OPT_INT("--threads", 0, &o.threads, 0, 1024, "N",
                   "decoding workers (0 or absent: one per CPU)"),
        KM_OPT_INT("--show-rejects", 0, &max_show, 0, 1000000, "N",
                   "print at most N rejected records in the summary (default 20; 0: none)"),
        KM_OPT_INT("--segment-rows", 0, &o.segment_rows, 1, 1 << 24, "N",
                   "events per store segment before a flush (default 131072)"),
        KM_OPT_SIZE("--max-output", 0, &o.dlim.max_output, 1, INT64_MAX,
                    "decoded bytes allowed per acquired file (gzip, zstd, archives); more is "
                    "refused as a bomb (default 2G)"),
        KM_OPT_INT("--max-ratio", 0, &o.dlim.max_ratio, 1, 1000000000, "N",
                   "largest decoded/compressed ratio before a file is refused as a bomb "
                   "(default 1000)"),
        KM_OPT_SIZE("--max-record", 0, &o.rlim.max_record, 1, INT64_MAX,
                    "largest single record (JSON object, line, CSV row); a larger one is "
                    "rejected (default 64M)"),
        KM_OPT_END,
    };
    struct km_opts op = {.cmd = "ingest", .args = "PATH|-...", .opt = opt,
                         .pos = (const char **)paths, .minpos = 1, .maxpos = argc};
    int ex;
    if (km_opts_parse(&op, argc, argv, &ex)) {
        free(paths);
        return ex;
    }
    int np = op.npos;
    quiet |= km_verbosity == 0;
    int stdin_count = 0;
    for (int i = 0; i < np; i++)
        stdin_count += strcmp(paths[i], "-") == 0;
    if (stdin_count > 1) {
        fprintf(stderr, "kumo ingest: '-' (stdin) may be given once\n");
        free(paths);
        return 2;
    }
    o.progress = !quiet && !json && isatty(2);
    struct km_store *s;
    struct km_err err;
    km_err_clear(&err);
    if (km_cli_open_store("ingest", store_dir, KM_STORE_CREATE | KM_STORE_WRITE, &s) != KM_OK) {
        free(paths);
        return 1;
    }
    struct km_ingest_summary sum;
    int rc = km_ingest_run(s, paths, np, &o, &sum, &err);
    km_store_close(s);
    free(paths);
    if (rc) {
        char m[1200];
        fprintf(stderr, "kumo ingest: stopped: %s\n", km_err_fmt(&err, m, sizeof m));
    }
    if (json)
        print_json(&sum, store_dir);
    else if (!quiet || sum.records_rejected)
        print_text(&sum, max_show);
    int bad = rc || sum.records_rejected || sum.files_failed;
    km_ingest_summary_free(&sum);
    return bad ? 1 : 0;
}
