/*
 * cmd_gen.c — `kumo gen`: write a realistic synthetic dataset of one
 * organisation: AWS CloudTrail in the S3 layout a trail delivers, and with
 * --providers also Entra ID sign-ins and the Azure Activity log as diagnostic
 * settings store them, and Google Cloud Audit Logs as a log sink writes them
 * (see docs/generator.md and src/gen/gen.h).
 *
 *   kumo gen --out DIR [--events N] [--seed S] [--accounts N] [--start YYYY-MM-DD]
 *            [--days N] [--threads N] [--level N] [--providers LIST]
 *            [--scenarios all|none|NAME,...] [--force]
 *
 * Options take "--opt VALUE" or "--opt=VALUE". Every run also writes
 * DIR/kumo-ground-truth.json, what was planted (docs/generator.md). Prints
 * one summary line to stderr (unless -q). Exit status: 0 done, 1 generation
 * failed, 2 bad usage.
 */
#include "cli/cli.h"
#include "cli/opts.h"
#include "core/km.h"
#include "gen/gen.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Strict unsigned decimal: digits only, no sign, no overflow past max. */
static int parse_u64(const char *opt, const char *s, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    if (!s || !*s)
        goto bad;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            goto bad;
        uint64_t d = (uint64_t)(*p - '0');
        if (v > (UINT64_MAX - d) / 10)
            goto bad;
        v = v * 10 + d;
    }
    if (v > max) {
        fprintf(stderr, "kumo gen: %s: %s is too large (at most %llu)\n", opt, s,
                (unsigned long long)max);
        return KM_EUSAGE;
    }
    *out = v;
    return KM_OK;
bad:
    fprintf(stderr, "kumo gen: %s: expected a whole number, got '%s'\n", opt, s ? s : "");
    return KM_EUSAGE;
}

static int seed_opt(void *ctx, const char *cmd, const char *name, const char *v)
{
    return parse_u64(name, v, UINT64_MAX, ctx) ? 2 : 0;
}

int km_cmd_gen(int argc, char **argv)
{
    (void)km_cli_store_dir(&argc, argv); /* gen writes no store; accept and drop --store */
    struct km_gen_opts o;
    struct km_gen_stats st;
    km_gen_opts_default(&o);
    o.stats = &st;
    o.truth = 1;
    const char *start = NULL, *providers = NULL, *scenarios = NULL;
    const struct km_opt opt[] = {
        KM_OPT_STR("--out", 0, &o.out_dir, "DIR", "where to write the logs (required)"),
        KM_OPT_INT("--events", 0, &o.events, 1, (long long)KM_GEN_MAX_EVENTS, "N",
                   "exact number of records (default 100000)"),
        KM_OPT_FN("--seed", 0, seed_opt, &o.seed, "S",
                  "random seed, any unsigned 64-bit number: the same seed gives the same bytes"),
        KM_OPT_INT("--accounts", 0, &o.accounts, 1, KM_GEN_MAX_ACCOUNTS, "N",
                   "AWS accounts of the organisation (default 4)"),
        KM_OPT_STR("--start", 0, &start, "YYYY-MM-DD", "first day (default 2026-10-01)"),
        KM_OPT_INT("--days", 0, &o.days, 1, KM_GEN_MAX_DAYS, "N", "days covered (default 7)"),
        KM_OPT_INT("--threads", 0, &o.threads, 1, KM_GEN_MAX_THREADS, "N",
                   "writer threads (default: one per CPU); the output does not depend on it"),
        KM_OPT_INT("--level", 0, &o.level, 1, 12, "N", "gzip level (default 1, fastest)"),
        KM_OPT_STR("--providers", 0, &providers, "LIST",
                   "aws, azure, gcp or all, comma-separated, each with an optional :WEIGHT "
                   "(default aws)"),
        KM_OPT_STR("--scenarios", 0, &scenarios, "all|none|NAME,...",
                   "planted attack stories (docs/generator.md; default all)"),
        KM_OPT_FLAG("--force", 0, &o.force, "write into a non-empty directory"),
        KM_OPT_END,
    };
    struct km_opts op = {.cmd = "gen", .opt = opt};
    int ex;
    if (km_opts_parse(&op, argc, argv, &ex))
        return ex;
    if (o.out_dir && !*o.out_dir) {
        fprintf(stderr, "kumo gen: --out needs a directory\n");
        return 2;
    }
    if (start && km_gen_parse_date(start, &o.start) != KM_OK) {
        fprintf(stderr, "kumo gen: --start: expected a date YYYY-MM-DD (1970..2099), got '%s'\n",
                start);
        return 2;
    }
    if (providers && km_gen_parse_providers(providers, &o.providers, o.weight) != KM_OK) {
        fprintf(stderr,
                "kumo gen: --providers: expected a list of aws, azure, gcp (or all), each "
                "at most once with an optional :WEIGHT of 1..%d, got '%s'\n",
                KM_GEN_MAX_WEIGHT, providers);
        return 2;
    }
    char why[160];
    if (scenarios && km_gen_parse_scenarios(scenarios, &o.scenarios, why, sizeof why) != KM_OK) {
        fprintf(stderr,
                "kumo gen: --scenarios: %s (expected all, none, or a list of story, spray, "
                "bruteforce, travel, lateral, leakedkey, persistence, privilege, tampering, "
                "exposure, incident)\n",
                why);
        return 2;
    }
    if (!o.out_dir) {
        fprintf(stderr, "kumo gen: --out DIR is required\n");
        return km_cli_usage("gen");
    }

    struct km_err err;
    km_err_clear(&err);
    int rc = km_gen_run(&o, &err);
    if (rc) {
        char buf[1200];
        fprintf(stderr, "kumo gen: %s\n", km_err_fmt(&err, buf, sizeof buf));
        return rc == KM_EUSAGE ? 2 : 1;
    }
    if (km_verbosity > 0 && (o.providers == 0 || o.providers == KM_GEN_P_AWS))
        fprintf(stderr,
                "kumo gen: %llu events, %llu files, %llu bytes gzipped (%.1f bytes/event; %.1f MB "
                "JSON), %.2f s, %.0f events/s\n",
                (unsigned long long)st.events, (unsigned long long)st.files,
                (unsigned long long)st.bytes, st.events ? (double)st.bytes / (double)st.events : 0.0,
                (double)st.raw_bytes / 1e6, st.seconds,
                st.seconds > 0 ? (double)st.events / st.seconds : 0.0);
    else if (km_verbosity > 0)
        fprintf(stderr,
                "kumo gen: %llu events (aws %llu, azure %llu, gcp %llu), %llu files, %llu bytes "
                "written (%.1f MB JSON; CloudTrail gzipped, Azure and GCP plain), %.2f s, "
                "%.0f events/s\n",
                (unsigned long long)st.events, (unsigned long long)st.prov_events[KM_GEN_PROV_AWS],
                (unsigned long long)st.prov_events[KM_GEN_PROV_AZURE],
                (unsigned long long)st.prov_events[KM_GEN_PROV_GCP], (unsigned long long)st.files,
                (unsigned long long)st.bytes, (double)st.raw_bytes / 1e6, st.seconds,
                st.seconds > 0 ? (double)st.events / st.seconds : 0.0);
    return 0;
}
