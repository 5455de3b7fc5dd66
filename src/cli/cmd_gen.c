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

int km_cmd_gen(int argc, char **argv)
{
    (void)km_cli_store_dir(&argc, argv); /* gen writes no store; accept and drop --store */
    struct km_gen_opts o;
    struct km_gen_stats st;
    km_gen_opts_default(&o);
    o.stats = &st;
    o.truth = 1;

    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--force") == 0) {
            o.force = 1;
            continue;
        }
        static const char *const with_value[] = {"--out",  "--events",  "--seed",
                                                 "--accounts", "--start", "--days",
                                                 "--threads", "--level", "--providers",
                                                 "--scenarios"};
        const char *name = NULL, *val = NULL;
        for (size_t k = 0; k < KM_ARRAY_LEN(with_value); k++) {
            size_t n = strlen(with_value[k]);
            if (strncmp(arg, with_value[k], n) != 0)
                continue;
            if (arg[n] == 0) {
                name = with_value[k];
                if (i + 1 >= argc) {
                    fprintf(stderr, "kumo gen: %s needs a value\n", name);
                    return km_cli_usage("gen");
                }
                val = argv[++i];
            } else if (arg[n] == '=') {
                name = with_value[k];
                val = arg + n + 1;
            }
            if (name)
                break;
        }
        if (!name) {
            fprintf(stderr, "kumo gen: unknown option '%s'\n", arg);
            return km_cli_usage("gen");
        }
        uint64_t v = 0;
        int rc = KM_OK;
        if (strcmp(name, "--out") == 0) {
            if (!*val) {
                fprintf(stderr, "kumo gen: --out needs a directory\n");
                return 2;
            }
            o.out_dir = val;
        } else if (strcmp(name, "--start") == 0) {
            if (km_gen_parse_date(val, &o.start) != KM_OK) {
                fprintf(stderr, "kumo gen: --start: expected a date YYYY-MM-DD (1970..2099), got '%s'\n",
                        val);
                return 2;
            }
        } else if (strcmp(name, "--providers") == 0) {
            if (km_gen_parse_providers(val, &o.providers, o.weight) != KM_OK) {
                fprintf(stderr,
                        "kumo gen: --providers: expected a list of aws, azure, gcp (or all), each "
                        "at most once with an optional :WEIGHT of 1..%d, got '%s'\n",
                        KM_GEN_MAX_WEIGHT, val);
                return 2;
            }
        } else if (strcmp(name, "--scenarios") == 0) {
            char why[160];
            if (km_gen_parse_scenarios(val, &o.scenarios, why, sizeof why) != KM_OK) {
                fprintf(stderr,
                        "kumo gen: --scenarios: %s (expected all, none, or a list of story, spray, "
                        "bruteforce, travel, lateral, leakedkey, persistence, privilege, tampering, "
                        "exposure, incident)\n",
                        why);
                return 2;
            }
        } else if (strcmp(name, "--events") == 0) {
            rc = parse_u64(name, val, KM_GEN_MAX_EVENTS, &v);
            o.events = v;
        } else if (strcmp(name, "--seed") == 0) {
            rc = parse_u64(name, val, UINT64_MAX, &v);
            o.seed = v;
        } else if (strcmp(name, "--accounts") == 0) {
            rc = parse_u64(name, val, KM_GEN_MAX_ACCOUNTS, &v);
            o.accounts = (uint32_t)v;
        } else if (strcmp(name, "--days") == 0) {
            rc = parse_u64(name, val, KM_GEN_MAX_DAYS, &v);
            o.days = (uint32_t)v;
        } else if (strcmp(name, "--threads") == 0) {
            rc = parse_u64(name, val, KM_GEN_MAX_THREADS, &v);
            if (!rc && v == 0) {
                fprintf(stderr, "kumo gen: --threads must be at least 1\n");
                return 2;
            }
            o.threads = (uint32_t)v;
        } else { /* --level */
            rc = parse_u64(name, val, 12, &v);
            o.level = (int)v;
        }
        if (rc)
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
