/*
 * cmd_hunt.c — `kumo hunt` (run the detections, record findings) and the
 * commands that read what it recorded: `kumo findings`, `kumo finding ID`,
 * `kumo incidents`, `kumo incident ID` (docs/hunting.md).
 */
#include "cli/filter_opts.h"
#include "cli/opts.h"
#include "cli/cli.h"
#include "cli/findings_out.h"
#include "cli/output.h"
#include "core/conf.h"
#include "core/timeparse.h"
#include "detect/hunt.h"
#include "geo/geo.h"
#include "ident/ident.h"
#include "store/catalog.h"
#include "store/store.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void progress(void *ctx, const struct km_detection *d, int done, int total,
                     size_t findings, double seconds, int rc)
{
    int quiet = *(int *)ctx;
    if (quiet)
        return;
    fprintf(stderr, "  [%2d/%d] %-24s %s%zu finding%s  %.2f s\n", done, total, d->id,
            rc ? "FAILED, " : "", findings, findings == 1 ? "" : "s", seconds);
}

static const char *operator_name(void)
{
    const char *u = getenv("KUMO_OPERATOR");
    if (u && *u)
        return u;
    struct passwd *pw = getpwuid(getuid());
    return pw ? pw->pw_name : "unknown";
}

/* Splits "a,b,c" in place into items. */
static int split_list(char *s, const char **items, int max)
{
    int n = 0;
    for (char *tok = strtok(s, ","); tok && n < max; tok = strtok(NULL, ","))
        if (*tok)
            items[n++] = tok;
    return n;
}

static int list_detections(void)
{
    printf("%-24s %-12s %-22s %s\n", "ID", "TECHNIQUE", "PROVIDERS", "WHAT");
    for (int i = 0; i < km_ndetections; i++) {
        const struct km_detection *d = km_detections[i];
        printf("%-24s %-12s %-22s %s\n", d->id, d->technique, d->providers, d->summary);
    }
    printf("\nEach is documented in docs/detections/<id>.md; `kumo config` lists their "
           "settings.\n");
    return 0;
}

int km_cmd_hunt(int argc, char **argv)
{
    const char *dir = km_cli_store_dir(&argc, argv);
    struct km_hunt_opts o;
    memset(&o, 0, sizeof o);
    o.since = INT64_MIN;
    o.until = INT64_MAX;
    const char *only[64];
    const char *mmdb[8];
    const char *only_arg = NULL;
    size_t nmmdb = 0;
    int json = 0, save = 1, no_save = 0, quiet = 0, list = 0, rc = 0;
    const struct km_opt opt[] = {
        KM_OPT_TIME("--since", 0, &o.since, "only events at or after T (2024-07-01, "
                    "2024-07-01T12:00:00Z, 7d)"),
        KM_OPT_UNTIL("--until", 0, &o.until, KM_CLI_FILTER_HELP_UNTIL),
        KM_OPT_STR("--only", 0, &only_arg, "ID,...", "run only these detections (`--list`)"),
        KM_OPT_FLAG("--list", 0, &list, "list the detections and exit"),
        KM_OPT_LIST("--geo", 0, mmdb, &nmmdb, 8, "FILE",
                    "an MMDB database for the location-based detections (docs/geo.md)"),
        KM_OPT_INT("--threads", 0, &o.threads, 0, 256, "N",
                   "worker threads (0 or absent: 2)"),
        KM_OPT_FLAG("--json", 0, &json, "print the findings as JSON"),
        KM_OPT_FLAG("--no-save", 0, &no_save,
                    "print findings without recording them (works on a read-only store)"),
        KM_OPT_FLAG("--quiet", 0, &quiet, "no progress on stderr (as the global -q)"),
        KM_OPT_END,
    };
    struct km_opts op = {.cmd = "hunt", .opt = opt};
    int ex;
    if (km_opts_parse(&op, argc, argv, &ex))
        return ex;
    if (list)
        return list_detections();
    save = !no_save;
    quiet |= km_verbosity == 0;
    if (only_arg) {
        o.only = only;
        o.nonly = split_list((char *)only_arg, only, 64);
    }
    struct km_conf *conf = km_cli_conf("hunt", dir, &argc, argv);
    if (!conf)
        return 2;
    o.conf = conf;
    struct km_store *s;
    if (km_cli_open_store("hunt", dir, save ? KM_STORE_WRITE : 0, &s) != KM_OK) {
        if (save)
            fprintf(stderr, "kumo hunt: (on a read-only store, `kumo hunt --no-save` prints "
                            "findings without recording them)\n");
        km_conf_free(conf);
        return 1;
    }
    struct km_err err;
    km_err_clear(&err);
    struct km_geo *geo = NULL;
    struct km_idgraph *g = NULL;
    char m[1400];
    /* the identity graph is built when a detection first needs it (a broken
     * identity-map file then ends the hunt with its error) */
    if (km_geo_open(mmdb, nmmdb, conf, &geo, &err) != KM_OK) {
        fprintf(stderr, "kumo hunt: %s\n", km_err_fmt(&err, m, sizeof m));
        rc = 1;
        goto out;
    }
    o.geo = geo;
    o.graph = NULL;
    o.graph_lazy = 1;
    o.progress = progress;
    o.pctx = &quiet;
    if (!quiet)
        fprintf(stderr, "kumo hunt: %d detection%s\n", o.only ? o.nonly : km_ndetections,
                (o.only ? o.nonly : km_ndetections) == 1 ? "" : "s");
    struct km_hunt_result r;
    if (km_hunt_run(s, &o, &r, &err) != KM_OK) {
        fprintf(stderr, "kumo hunt: %s\n", km_err_fmt(&err, m, sizeof m));
        rc = err.code == KM_EUSAGE ? 2 : 1;
        goto out;
    }
    for (int k = 0; k < r.failed && k < 8; k++)
        fprintf(stderr, "kumo hunt: detection failed: %s\n", r.errors[k]);
    struct km_hunt_saved sv;
    memset(&sv, 0, sizeof sv);
    if (save && km_hunt_save(s, &o, &r, operator_name(), &sv, &err) != KM_OK) {
        fprintf(stderr, "kumo hunt: cannot record findings: %s\n", km_err_fmt(&err, m, sizeof m));
        rc = 1;
    }
    int bysev[5] = {0};
    for (size_t i = 0; i < r.n; i++)
        bysev[r.f[i].severity]++;
    if (json) {
        struct km_buf b;
        km_buf_init(&b, 0);
        km_buf_printf(&b,
                      "{\"detections\":%d,\"failed\":%d,\"findings\":%zu,\"new\":%llu,"
                      "\"updated\":%llu,\"unchanged\":%llu,\"total\":%llu,\"saved\":%s,"
                      "\"rows\":%llu,\"seconds\":%.3f,\"by_severity\":{",
                      r.ndet, r.failed, r.n, (unsigned long long)sv.added,
                      (unsigned long long)sv.updated, (unsigned long long)sv.unchanged,
                      (unsigned long long)sv.total, save ? "true" : "false",
                      (unsigned long long)r.rows, r.seconds);
        for (int k = 0; k < 5; k++)
            km_buf_printf(&b, "%s\"%s\":%d", k ? "," : "", km_sev_name(k), bysev[k]);
        km_buf_adds(&b, "},\"ids\":[");
        for (size_t i = 0; i < r.n; i++)
            km_buf_printf(&b, "%s\"%s\"", i ? "," : "", r.f[i].id);
        km_buf_adds(&b, "]}\n");
        fwrite(b.p, 1, b.n, stdout);
        km_buf_free(&b);
    } else {
        printf("hunt: %d detection%s in %.2f s: %zu finding%s (critical %d, high %d, medium "
               "%d, low %d, info %d)",
               r.ndet, r.ndet == 1 ? "" : "s", r.seconds, r.n, r.n == 1 ? "" : "s", bysev[4],
               bysev[3], bysev[2], bysev[1], bysev[0]);
        if (save)
            printf("; recorded: %llu new, %llu updated, %llu unchanged (%llu in the store)\n",
                   (unsigned long long)sv.added, (unsigned long long)sv.updated,
                   (unsigned long long)sv.unchanged, (unsigned long long)sv.total);
        else
            printf("; not recorded (--no-save)\n");
        if (!save)
            km_fout_table(stdout, r.f, r.n);
        else if (r.n)
            printf("`kumo findings` lists them, `kumo incidents` groups them.\n");
    }
    if (r.failed)
        rc = 1;
    km_hunt_result_free(&r);
out:
    km_idgraph_free(g);
    km_geo_close(geo);
    km_store_close(s);
    km_conf_free(conf);
    return rc;
}

/* ---- reading ----------------------------------------------------------------- */

static int open_read(const char *cmd, const char *dir, struct km_store **s)
{
    if (km_cli_open_store(cmd, dir, 0, s) != KM_OK)
        return 1;
    if (!km_findings_present(km_store_catalog(*s))) {
        fprintf(stderr, "kumo %s: no hunt has run on this store yet: run `kumo hunt` first\n",
                cmd);
        km_store_close(*s);
        return 1;
    }
    return 0;
}

int km_cmd_findings(int argc, char **argv)
{
    const char *dir = km_cli_store_dir(&argc, argv);
    const char *fmt = "table", *det = NULL, *acct = NULL, *region = NULL, *sev = NULL;
    int min_sev = 0, json = 0;
    int64_t since = INT64_MIN, until = INT64_MAX;
    const struct km_opt opt[] = {
        KM_OPT_ENUM("--format", 0, &fmt, "table|json|jsonl|ocsf|asff", "output format"),
        KM_OPT_FLAG("--json", 0, &json, "the same as --format json"),
        KM_OPT_ENUM("--severity", 0, &sev, "info|low|medium|high|critical",
                    "only findings of this severity or higher"),
        KM_OPT_STR("--detection", 0, &det, "ID", "only findings of this detection"),
        KM_OPT_TIME("--since", 0, &since, "only findings that last at or after T"),
        KM_OPT_UNTIL("--until", 0, &until, "only findings that begin at or before T; a bare "
                     "date INCLUDES THAT WHOLE DAY"),
        KM_OPT_STR("--aws-account", 0, &acct, "ID", "the account for --format asff"),
        KM_OPT_STR("--aws-region", 0, &region, "R", "the region for --format asff"),
        KM_OPT_END,
    };
    struct km_opts op = {.cmd = "findings", .opt = opt};
    int ex;
    if (km_opts_parse(&op, argc, argv, &ex))
        return ex;
    if (json)
        fmt = "json";
    if (sev && (min_sev = km_sev_parse(sev)) < 0)
        return 2; /* not reached: the table lists the severities */
    struct km_store *s;
    if (open_read("findings", dir, &s))
        return 1;
    struct km_finding *f;
    size_t n;
    struct km_err err;
    km_err_clear(&err);
    int rc = km_findings_load(km_store_catalog(s), min_sev, NULL, &f, &n, &err);
    km_store_close(s);
    if (rc != KM_OK) {
        char m[1200];
        fprintf(stderr, "kumo findings: %s\n", km_err_fmt(&err, m, sizeof m));
        return 1;
    }
    /* filters */
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        int keep = (!det || !strcmp(det, f[i].detection)) && f[i].last >= since &&
                   f[i].first <= until;
        if (keep)
            f[k++] = f[i];
        else
            km_finding_free(&f[i]);
    }
    n = k;
    if (!strcmp(fmt, "table"))
        km_fout_table(stdout, f, n);
    else if (!strcmp(fmt, "json") || !strcmp(fmt, "jsonl"))
        km_fout_json(stdout, f, n, fmt[4] == 'l');
    else if (!strcmp(fmt, "ocsf"))
        km_fout_ocsf(stdout, f, n);
    else
        km_fout_asff(stdout, f, n, acct, region);
    km_findings_free(f, n);
    return 0;
}

int km_cmd_finding(int argc, char **argv)
{
    const char *dir = km_cli_store_dir(&argc, argv);
    const char *id = NULL;
    int json = 0;
    const struct km_opt opt[] = {
        KM_OPT_FLAG("--json", 0, &json, "print JSON"),
        KM_OPT_END,
    };
    struct km_opts op = {.cmd = "finding", .args = "ID", .opt = opt, .pos = &id, .minpos = 1,
                         .maxpos = 1};
    int ex;
    if (km_opts_parse(&op, argc, argv, &ex))
        return ex;
    struct km_store *s;
    if (open_read("finding", dir, &s))
        return 1;
    struct km_finding *f;
    size_t n;
    struct km_err err;
    km_err_clear(&err);
    int rc = km_findings_load(km_store_catalog(s), 0, id, &f, &n, &err);
    km_store_close(s);
    if (rc != KM_OK || n == 0) {
        char m[1200];
        fprintf(stderr, "kumo finding: %s\n",
                rc ? km_err_fmt(&err, m, sizeof m) : "no such finding (kumo findings lists them)");
        km_findings_free(f, n);
        return 1;
    }
    if (json)
        km_fout_json(stdout, f, 1, 1);
    else
        km_fout_explain(stdout, &f[0]);
    km_findings_free(f, n);
    return 0;
}

static int load_incidents(const char *cmd, const char *dir, int *argc, char **argv,
                          struct km_finding **f, size_t *nf, struct km_incident **in,
                          size_t *nin)
{
    struct km_conf *conf = km_cli_conf(cmd, dir, argc, argv);
    if (!conf)
        return 2;
    struct km_store *s;
    if (open_read(cmd, dir, &s)) {
        km_conf_free(conf);
        return 1;
    }
    struct km_err err;
    km_err_clear(&err);
    int rc = km_findings_load(km_store_catalog(s), 0, NULL, f, nf, &err);
    km_store_close(s);
    if (rc != KM_OK) {
        char m[1200];
        fprintf(stderr, "kumo %s: %s\n", cmd, km_err_fmt(&err, m, sizeof m));
        km_conf_free(conf);
        return 1;
    }
    int ms = km_sev_parse(km_conf_str(conf, "incident.min_severity"));
    km_incidents_build(*f, *nf, ms < 0 ? KM_SEV_LOW : ms, km_conf_dur_us(conf, "incident.gap"),
                       in, nin);
    km_conf_free(conf);
    return 0;
}

int km_cmd_incidents(int argc, char **argv)
{
    const char *dir = km_cli_store_dir(&argc, argv);
    struct km_finding *f = NULL;
    size_t nf = 0, nin = 0;
    struct km_incident *in = NULL;
    const char *fmt = "table";
    int json = 0, ex;
    const struct km_opt opt[] = {
        KM_OPT_ENUM("--format", 0, &fmt, "table|json", "output format"),
        KM_OPT_FLAG("--json", 0, &json, "the same as --format json"),
        KM_OPT_END,
    };
    struct km_opts op = {.cmd = "incidents", .opt = opt};
    if (km_opts_parse(&op, argc, argv, &ex))
        return ex;
    if (json)
        fmt = "json";
    int rc = load_incidents("incidents", dir, &argc, argv, &f, &nf, &in, &nin);
    if (rc)
        return rc;
    if (!strcmp(fmt, "json"))
        km_fout_incidents_json(stdout, in, nin, f, 0);
    else
        km_fout_incidents_table(stdout, in, nin, f);
    km_incidents_free(in, nin);
    km_findings_free(f, nf);
    return rc;
}

int km_cmd_incident(int argc, char **argv)
{
    const char *dir = km_cli_store_dir(&argc, argv);
    struct km_finding *f = NULL;
    size_t nf = 0, nin = 0;
    struct km_incident *in = NULL;
    const char *id = NULL;
    int json = 0, ex;
    const struct km_opt opt[] = {
        KM_OPT_FLAG("--json", 0, &json, "print JSON"),
        KM_OPT_END,
    };
    struct km_opts op = {.cmd = "incident", .args = "ID", .opt = opt, .pos = &id, .minpos = 1,
                         .maxpos = 1};
    if (km_opts_parse(&op, argc, argv, &ex))
        return ex;
    int rc = load_incidents("incident", dir, &argc, argv, &f, &nf, &in, &nin);
    if (rc)
        return rc;
    size_t k = 0;
    while (k < nin && strcmp(in[k].id, id) != 0)
        k++;
    if (k == nin) {
        fprintf(stderr, "kumo incident: no incident %s (kumo incidents lists them)\n", id);
        rc = 1;
        goto out;
    }
    if (json)
        km_fout_incidents_json(stdout, &in[k], 1, f, 1);
    else
        km_fout_storyline(stdout, &in[k], f);
out:
    km_incidents_free(in, nin);
    km_findings_free(f, nf);
    return rc;
}
