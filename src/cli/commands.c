/*
 * commands.c — the one table of kumo's commands, and shared CLI helpers.
 */
#include "cli/cli.h"
#include "cli/filter_opts.h"
#include "core/conf.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct km_cmd km_commands[] = {
    {"ingest", "acquire logs into the evidence vault and event store",
     "ingest [--json] [--operator NAME] [--max-output BYTES] [--max-ratio N] PATH|-...",
     km_cmd_ingest},
    {"stats", "events per provider, source and account with first/last time",
     "stats [--json]", km_cmd_stats},
    {"show", "the normalized event and its exact raw record (an id or a unique start of one)",
     "show [--json] EVENT_ID|PREFIX",
     km_cmd_show},
    {"events", "list matching events",
     "events " KM_CLI_FILTER_USAGE " [--limit N] [--format table|jsonl|csv] [--geo FILE]...",
     km_cmd_events},
    {"timeline", "one actor, person, IP, key, resource or session across providers, in time "
                 "order, bursts grouped (docs/timeline.md)",
     "timeline " KM_CLI_FILTER_USAGE " [--resource X] [--session X] [--no-group] [--burst S] "
     "[--format table|jsonl] [--mem BYTES] [--geo FILE]...",
     km_cmd_timeline},
    {"entity", "summary of an IP, access key, e-mail, identity or resource: first/last seen, "
               "providers, accounts, countries, agents, top actions, failures",
     "entity X [--kind auto|ip|key|email|actor|resource|session] [--since T] [--until T] "
     "[--top N] [--json] [--geo FILE]...",
     km_cmd_entity},
    {"query", "run a pipe query (Logs Insights style) over the events; see docs/query.md",
     "query 'PIPELINE' [-f FILE] [--since T] [--until T] [--format table|json|jsonl|csv|tsv] "
     "[--tz UTC|local|+HH:MM] [--max-rows N] [--geo FILE]... [--config FILE] [-v]",
     km_cmd_query},
    {"gen", "generate realistic CloudTrail, Entra ID, Azure Activity and GCP audit logs in their "
            "export layouts (see docs/generator.md)",
     "gen --out DIR [--events N] [--seed S] [--accounts N] [--start YYYY-MM-DD] [--days N] "
     "[--threads N] [--level 1-12] [--providers aws,azure,gcp] [--scenarios all|none|NAME,...] "
     "[--force]",
     km_cmd_gen},
    {"verify", "re-hash every vault object and segment, check the custody chain, the catalog "
               "state it anchors, STORE/HEAD and the findings (docs/verify.md)",
     "verify [--json]",
     km_cmd_verify},
    {"custody", "print the custody log", "custody [--json]", km_cmd_custody},
    {"rejects", "list rejected records with file, offset, reason and their first bytes",
     "rejects [--source NAME] [--reason TEXT] [--format table|json|jsonl] [--limit N] [--all]",
     km_cmd_rejects},
    {"reprocess", "run held evidence again from the vault (e.g. with looser limits)",
     "reprocess [--max-record N] [--max-output B] [--max-ratio N] [--json] [-q] "
     "(--all | --rejected | SHA256-or-prefix...)",
     km_cmd_reprocess},
    {"geo", "where addresses are, offline: country, city, ASN, class (docs/geo.md)",
     "geo lookup IP... [--json] [--geo FILE]... | geo status [--json] [--geo FILE]... | "
     "geo build [--out FILE] [--tor DIR] [--libloc FILE] [--geonames DIR]",
     km_cmd_geo},
    {"export", "write matching events as JSONL, CSV, OCSF or Timesketch (docs/export.md)",
     "export [--format jsonl|csv|ocsf|timesketch|timesketch-csv] [--out FILE] [--limit N] "
     KM_CLI_FILTER_USAGE " ['filter ... | dedup ... | limit N']",
     km_cmd_export},
    {"config", "every setting (thresholds, allow-lists, identity, geo) with its default and "
               "value (docs/config.md)",
     "config [--config FILE] [--template] [--json]", km_cmd_config},
    {"hunt", "run the detections over the store and record findings (docs/hunting.md)",
     "hunt [--since T] [--until T] [--only ID,...] [--list] [--geo FILE] [--config FILE] "
     "[--no-save] [--json] [-q]",
     km_cmd_hunt},
    {"findings", "list recorded findings",
     "findings [--format table|json|jsonl|ocsf|asff] [--severity MIN] [--detection ID] "
     "[--since T] [--until T] [--aws-account ID] [--aws-region R]",
     km_cmd_findings},
    {"finding", "one finding: what, why, entities and its evidence timeline",
     "finding ID [--json]", km_cmd_finding},
    {"incidents", "findings that share entities close in time, grouped across clouds",
     "incidents [--format table|json] [--config FILE]", km_cmd_incidents},
    {"incident", "one incident's storyline: every finding and its events from all providers",
     "incident ID [--json] [--config FILE]", km_cmd_incident},
    {"identities", "persons across clouds: each person's IAM users, SSO sessions, Entra and "
                   "Google identities with the rule behind each link (docs/identities.md)",
     "identities [--format table|json] [--person X] [--map FILE] [--all] [--config FILE]",
     km_cmd_identities},
};
const int km_ncommands = (int)(sizeof km_commands / sizeof km_commands[0]);

struct km_cli_global km_cli_global;

/* Takes argv[i] (and its value) out when it is option `name`; returns the
 * number of words taken, -1 when the value is missing. */
static int take_global(int *argc, char **argv, int i, const char *name, const char **val)
{
    size_t n = strlen(name);
    int eat = 0;
    if (strcmp(argv[i], name) == 0) {
        if (!val)
            eat = 1;
        else if (i + 1 >= *argc)
            return -1;
        else {
            *val = argv[i + 1];
            eat = 2;
        }
    } else if (val && strncmp(argv[i], name, n) == 0 && argv[i][n] == '=') {
        *val = argv[i] + n + 1;
        eat = 1;
    }
    if (eat) {
        memmove(&argv[i], &argv[i + eat], (size_t)(*argc - i - eat + 1) * sizeof *argv);
        *argc -= eat;
    }
    return eat;
}

int km_cli_globals(int *argc, char **argv)
{
    for (int i = 1; i < *argc;) {
        if (strcmp(argv[i], "--") == 0)
            break;
        int e = take_global(argc, argv, i, "--store", &km_cli_global.store);
        if (!e)
            e = take_global(argc, argv, i, "--config", &km_cli_global.config);
        if (e < 0) {
            fprintf(stderr, "kumo: %s needs a value\n", argv[i]);
            return 2;
        }
        if (!e && (strcmp(argv[i], "-v") == 0 || strcmp(argv[i], "--verbose") == 0)) {
            km_verbosity = 2;
            e = take_global(argc, argv, i, argv[i], NULL);
        } else if (!e && (strcmp(argv[i], "-q") == 0 || strcmp(argv[i], "--quiet") == 0)) {
            km_verbosity = 0;
            e = take_global(argc, argv, i, argv[i], NULL);
        }
        if (!e)
            i++;
    }
    if (km_cli_global.store && !*km_cli_global.store) {
        fprintf(stderr, "kumo: --store needs a directory\n");
        return 2;
    }
    return 0;
}

const char *km_cli_store_dir(int *argc, char **argv)
{
    const char *dir = km_cli_global.store;
    for (int i = 1; i < *argc; i++) {
        const char *v = NULL;
        int eat = 0;
        if (strcmp(argv[i], "--store") == 0 && i + 1 < *argc) {
            v = argv[i + 1];
            eat = 2;
        } else if (strncmp(argv[i], "--store=", 8) == 0) {
            v = argv[i] + 8;
            eat = 1;
        }
        if (!eat)
            continue;
        dir = v;
        memmove(&argv[i], &argv[i + eat], (size_t)(*argc - i - eat + 1) * sizeof *argv);
        *argc -= eat;
        i--;
    }
    if (!dir)
        dir = getenv("KUMO_STORE");
    if (!dir || !*dir)
        dir = "kumo-store";
    return dir;
}

int km_cli_open_store(const char *cmd, const char *dir, int flags, struct km_store **s)
{
    struct km_err err;
    km_err_clear(&err);
    int rc = km_store_open(dir, flags, s, &err);
    if (rc != KM_OK) {
        char m[1200];
        fprintf(stderr, "kumo %s: %s\n", cmd, km_err_fmt(&err, m, sizeof m));
    }
    return rc;
}

int km_cli_usage(const char *cmd)
{
    for (int i = 0; i < km_ncommands; i++)
        if (strcmp(km_commands[i].name, cmd) == 0)
            fprintf(stderr, "usage: kumo %s\n", km_commands[i].usage);
    return 2;
}

struct km_conf *km_cli_conf(const char *cmd, const char *store_dir, int *argc, char **argv)
{
    const char *path = NULL;
    int must = 1;
    for (int i = 1; i < *argc; i++) {
        int eat = 0;
        if (strcmp(argv[i], "--config") == 0 && i + 1 < *argc) {
            path = argv[i + 1];
            eat = 2;
        } else if (strncmp(argv[i], "--config=", 9) == 0) {
            path = argv[i] + 9;
            eat = 1;
        }
        if (!eat)
            continue;
        memmove(&argv[i], &argv[i + eat], (size_t)(*argc - i - eat + 1) * sizeof *argv);
        *argc -= eat;
        i--;
    }
    char def[4096];
    if (!path)
        path = km_cli_global.config;
    if (!path)
        path = getenv("KUMO_CONFIG");
    if (!path || !*path) {
        snprintf(def, sizeof def, "%s/kumo.conf", store_dir ? store_dir : ".");
        path = def;
        must = 0;
    }
    struct km_conf *c = NULL;
    struct km_err err;
    km_err_clear(&err);
    if (km_conf_load(path, must, &c, &err) != KM_OK) {
        char m[1200];
        fprintf(stderr, "kumo %s: %s\n", cmd, km_err_fmt(&err, m, sizeof m));
        return NULL;
    }
    return c;
}
