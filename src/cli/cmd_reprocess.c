/*
 * cmd_reprocess.c — `kumo reprocess`: run held evidence again, from the
 * vault, through the ingest pipeline — e.g. a file whose records were
 * rejected under a tighter --max-record. A plain re-ingest answers "already
 * held"; this reads the preserved copy (never the original path), so what
 * is processed is provably what was acquired. Dedupe keeps the counts exact
 * (events stored before are duplicates); each evidence gets a custody record
 * "reprocess" naming the limits used, and its earlier rejects are marked
 * superseded (kept: `kumo rejects --all` shows them).
 */
#include "cli/cli.h"
#include "cli/opts.h"
#include "cli/output.h"
#include "core/hash.h"
#include "ingest/ingest.h"
#include "json/json.h"
#include "store/catalog.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct sel {
    struct km_evidence *ev;
    size_t n, cap;
    /* selection by prefix */
    const char *prefix;
    size_t matches;
    struct km_evidence match;
};

static void sel_push(struct sel *s, const struct km_evidence *ev)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->ev[i].id == ev->id)
            return;
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 16;
        s->ev = km_xrealloc(s->ev, s->cap * sizeof *s->ev);
    }
    s->ev[s->n++] = *ev;
}

static int all_cb(void *ctx, const struct km_evidence *ev)
{
    sel_push(ctx, ev);
    return 0;
}

static int prefix_cb(void *ctx, const struct km_evidence *ev)
{
    struct sel *s = ctx;
    if (strncasecmp(ev->sha256, s->prefix, strlen(s->prefix)) == 0) {
        s->matches++;
        s->match = *ev;
    }
    return 0;
}

struct rej_ids {
    uint64_t *id;
    size_t n, cap;
};

static int rejected_cb(void *ctx, const struct km_reject *r)
{
    struct rej_ids *x = ctx;
    if (!r->evidence_id)
        return 0;
    for (size_t i = 0; i < x->n; i++)
        if (x->id[i] == r->evidence_id)
            return 0;
    if (x->n == x->cap) {
        x->cap = x->cap ? x->cap * 2 : 16;
        x->id = km_xrealloc(x->id, x->cap * sizeof *x->id);
    }
    x->id[x->n++] = r->evidence_id;
    return 0;
}

int km_cmd_reprocess(int argc, char **argv)
{
    const char *dir = km_cli_store_dir(&argc, argv);
    struct km_ingest_opts o;
    km_ingest_opts_default(&o);
    int all = 0, rejected = 0, json = 0, quiet = 0;
    const char **prefixes = calloc((size_t)argc + 1, sizeof *prefixes);
    const size_t def_record = o.rlim.max_record;
    const uint64_t def_output = o.dlim.max_output;
    const uint32_t def_ratio = o.dlim.max_ratio;
    const struct km_opt opt[] = {
        KM_OPT_FLAG("--all", 0, &all, "every evidence file the store holds"),
        KM_OPT_FLAG("--rejected", 0, &rejected, "every evidence file with current rejects"),
        KM_OPT_FLAG("--json", 0, &json, "print the summary as JSON"),
        KM_OPT_FLAG("--quiet", 0, &quiet, "no summary unless records were rejected"),
        KM_OPT_SIZE("--max-record", 0, &o.rlim.max_record, 1, INT64_MAX,
                    "largest single record (default 64M)"),
        KM_OPT_SIZE("--max-output", 0, &o.dlim.max_output, 1, INT64_MAX,
                    "decoded bytes allowed per evidence file (default 2G)"),
        KM_OPT_INT("--max-ratio", 0, &o.dlim.max_ratio, 1, 1000000000, "N",
                   "largest decoded/compressed ratio (default 1000)"),
        KM_OPT_END,
    };
    struct km_opts op = {.cmd = "reprocess", .args = "[SHA256-or-prefix...]", .opt = opt,
                         .pos = prefixes, .minpos = 0, .maxpos = argc};
    int ex;
    if (km_opts_parse(&op, argc, argv, &ex)) {
        free(prefixes);
        return ex;
    }
    int np = op.npos;
    quiet |= km_verbosity == 0;
    char given[160] = "";
    if (o.rlim.max_record != def_record)
        snprintf(given + strlen(given), sizeof given - strlen(given), " --max-record %zu",
                 o.rlim.max_record);
    if (o.dlim.max_output != def_output)
        snprintf(given + strlen(given), sizeof given - strlen(given), " --max-output %llu",
                 (unsigned long long)o.dlim.max_output);
    if (o.dlim.max_ratio != def_ratio)
        snprintf(given + strlen(given), sizeof given - strlen(given), " --max-ratio %u",
                 (unsigned)o.dlim.max_ratio);
    if ((all != 0) + (rejected != 0) + (np > 0) != 1) {
        fprintf(stderr, "kumo reprocess: give one of --all, --rejected or SHA256 prefixes\n");
        free(prefixes);
        return km_cli_usage("reprocess");
    }
    for (int i = 0; i < np; i++) {
        size_t l = strlen(prefixes[i]);
        int hex = l >= 4 && l <= 64;
        for (size_t k = 0; hex && k < l; k++)
            hex = isxdigit((unsigned char)prefixes[i][k]) != 0;
        if (!hex) {
            fprintf(stderr, "kumo reprocess: '%s' is not a SHA-256 or a prefix of at least 4 hex "
                            "digits\n", prefixes[i]);
            free(prefixes);
            return 2;
        }
    }
    struct km_store *s;
    if (km_cli_open_store("reprocess", dir, KM_STORE_WRITE, &s) != KM_OK) {
        free(prefixes);
        return 1;
    }
    struct km_catalog *cat = km_store_catalog(s);
    struct km_err err;
    km_err_clear(&err);
    struct sel sel = {0};
    int rc = KM_OK, bad = 0;
    if (all) {
        rc = km_cat_evidence_each(cat, all_cb, &sel, &err);
    } else if (rejected) {
        struct rej_ids x = {0};
        rc = km_cat_reject_each(cat, 0, rejected_cb, &x, &err);
        for (size_t i = 0; rc == KM_OK && i < x.n; i++) {
            struct km_evidence ev;
            if ((rc = km_cat_evidence_by_id(cat, x.id[i], &ev, &err)) == KM_OK)
                sel_push(&sel, &ev);
        }
        free(x.id);
    } else {
        for (int i = 0; rc == KM_OK && i < np; i++) {
            sel.prefix = prefixes[i];
            sel.matches = 0;
            rc = km_cat_evidence_each(cat, prefix_cb, &sel, &err);
            if (rc != KM_OK)
                break;
            if (sel.matches != 1) {
                fprintf(stderr, "kumo reprocess: %s: %s\n", prefixes[i],
                        sel.matches ? "ambiguous: give more digits" : "no evidence held with this "
                                                                      "SHA-256");
                bad = 1;
                continue;
            }
            sel_push(&sel, &sel.match);
        }
    }
    free(prefixes);
    if (rc != KM_OK) {
        char m[1200];
        fprintf(stderr, "kumo reprocess: %s\n", km_err_fmt(&err, m, sizeof m));
        km_store_close(s);
        free(sel.ev);
        return 1;
    }
    if (bad) {
        km_store_close(s);
        free(sel.ev);
        return 2;
    }
    /* the custody note names every limit in force, the ones given first */
    char note[256];
    snprintf(note, sizeof note,
             "reprocessed from the vault with%s%s max-record %llu, max-output %llu, "
             "max-ratio %u",
             given[0] ? given : "", given[0] ? ";" : "",
             (unsigned long long)o.rlim.max_record, (unsigned long long)o.dlim.max_output,
             o.dlim.max_ratio);
    o.reprocess = sel.ev;
    o.nreprocess = sel.n;
    o.reprocess_note = note;
    o.progress = 0;
    struct km_ingest_summary sum;
    memset(&sum, 0, sizeof sum);
    if (sel.n)
        rc = km_ingest_run(s, NULL, 0, &o, &sum, &err);
    km_store_close(s);
    if (rc) {
        char m[1200];
        fprintf(stderr, "kumo reprocess: stopped: %s\n", km_err_fmt(&err, m, sizeof m));
    }
    char a[32], b[32], c[32], d[32];
    if (json) {
        printf("{\"evidence\":%zu,\"events_new\":%llu,\"events_duplicate\":%llu,"
               "\"events_conflicting_duplicate\":%llu,\"records_rejected\":%llu,"
               "\"files_failed\":%llu}\n",
               sel.n, (unsigned long long)sum.events_new, (unsigned long long)sum.events_dup,
               (unsigned long long)sum.events_conflict, (unsigned long long)sum.records_rejected,
               (unsigned long long)sum.files_failed);
    } else if (!quiet || sum.records_rejected) {
        printf("reprocessed %zu evidence object%s: %s new events, %s duplicate "
               "(already stored), %s rejected records\n",
               sel.n, sel.n == 1 ? "" : "s", km_out_num(sum.events_new, a, sizeof a),
               km_out_num(sum.events_dup, b, sizeof b),
               km_out_num(sum.records_rejected, c, sizeof c));
        if (sum.events_conflict)
            printf("  %s conflicting duplicates (id already stored with other content; kept)\n",
                   km_out_num(sum.events_conflict, d, sizeof d));
        if (sum.records_rejected)
            printf("  kumo rejects lists them; earlier rejects of these files are superseded "
                   "(kumo rejects --all)\n");
    }
    int ret = rc || sum.records_rejected || sum.files_failed;
    if (sel.n)
        km_ingest_summary_free(&sum);
    free(sel.ev);
    return ret ? 1 : 0;
}
