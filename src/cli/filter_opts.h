/*
 * filter_opts.h — what the commands that list events share: the one parser
 * of the filter options (--since/--until/--actor/--ip/--action/--account/
 * --source/--key) into a struct km_filter, and the time-ordered scan.
 *
 * The store scans segment by segment (store.h); segments may overlap in time,
 * so km_cli_sorted_scan renders each match into a line, collects the lines
 * and writes them sorted by event time (ties keep scan order). Past
 * `sort_cap` bytes of lines, what is held is written sorted and the rest is
 * written as it comes, with a note on stderr: memory stays bounded.
 */
#ifndef KM_FILTER_OPTS_H
#define KM_FILTER_OPTS_H

#include "core/event.h"
#include "json/json.h"
#include "store/store.h"

#include <stdio.h>

#include "cli/opts.h"

/* Usage text of the filter options, for the command table. */
#define KM_CLI_FILTER_USAGE                                                                    \
    "[--since T] [--until T] [--actor X] [--ip X] [--action X] [--account X] [--source X] " \
    "[--key X]"

#define KM_CLI_FILTER_MAX 8 /* = KM_ARRAY_LEN(struct km_filter.conds) */

/*
 * The filter options as rows of an option table (cli/opts.h):
 *
 *     struct km_cli_filter cf;
 *     km_cli_filter_init(&cf);
 *     const struct km_opt opt[] = {KM_CLI_FILTER_OPTS(&cf), ..., KM_OPT_END};
 *
 * Semantics (docs/cli.md): options of different names must all hold (AND);
 * a repeated --ip, --action, --account, --source or --key means any of its
 * values (OR); --action and --source values ignore case; --until with a bare
 * date (2024-07-31) includes that whole day (up to 23:59:59.999999 UTC);
 * --since/--until with a date-time are inclusive to the microsecond.
 */
int km_cli_filter_optfn(void *ctx, const char *cmd, const char *name, const char *value);
#define KM_CLI_FILTER_HELP_UNTIL                                                              \
    "only events at or before T. A bare date (2024-07-31) INCLUDES THAT WHOLE DAY (up to "   \
    "23:59:59.999999 UTC); a date-time is an inclusive bound; 7d/12h/30m mean that long ago"
#define KM_CLI_FILTER_TIME_OPTS(cf)                                                            \
    KM_OPT_FN("--since", 0, km_cli_filter_optfn, cf, "T",                                     \
              "only events at or after T: 2024-07-01 (midnight UTC), 2024-07-01T12:00:00Z, "  \
              "or 7d/12h/30m ago"),                                                            \
    KM_OPT_FN("--until", 0, km_cli_filter_optfn, cf, "T", KM_CLI_FILTER_HELP_UNTIL)
#define KM_CLI_FILTER_OPTS(cf)                                                                 \
    KM_CLI_FILTER_TIME_OPTS(cf),                                                               \
    KM_OPT_FN("--actor", 0, km_cli_filter_optfn, cf, "X",                                     \
              "events of this actor: a name, ARN, e-mail/UPN, object id or access key; one "   \
              "that names a person selects all of their identities (docs/identities.md)"),     \
    KM_OPT_FN("--ip", 0, km_cli_filter_optfn, cf, "X",                                        \
              "events from this source address; repeatable: any of"),                         \
    KM_OPT_FN("--action", 0, km_cli_filter_optfn, cf, "X",                                    \
              "events with this action (API call / operation), any case; repeatable: any of"), \
    KM_OPT_FN("--account", 0, km_cli_filter_optfn, cf, "X",                                   \
              "events of this account / subscription / project; repeatable: any of"),         \
    KM_OPT_FN("--source", 0, km_cli_filter_optfn, cf, "X",                                    \
              "events of this log source (aws.cloudtrail, azure.activity, ...; `kumo stats` " \
              "lists them), any case; repeatable: any of"),                                        \
    KM_OPT_FN("--key", 0, km_cli_filter_optfn, cf, "X",                                       \
              "events made with this access key; repeatable: any of")

#define KM_CLI_FILTER_VALUES 16   /* values of one repeatable filter option */
enum { KM_CLI_FS_IP, KM_CLI_FS_ACTION, KM_CLI_FS_ACCOUNT, KM_CLI_FS_SOURCE, KM_CLI_FS_KEY,
       KM_CLI_FS__COUNT };

struct km_idgraph;
struct km_conf;
struct km_store;

struct km_cli_person {
    const struct km_idgraph *g;
    int p;                                /* person index */
};

struct km_cli_filter {
    struct km_filter f;                   /* the result, for km_store_scan */
    char lower[KM_CLI_FILTER_MAX][512];   /* lower-cased e-mail values (f points here) */
    /* --actor conditions that name a person (km_cli_filter_persons) */
    uint8_t actor[KM_CLI_FILTER_MAX];     /* condition i came from --actor */
    struct km_idgraph *graph;             /* built when an --actor is given */
    struct km_sel *sel[KM_CLI_FILTER_MAX];
    struct km_cli_person who[KM_CLI_FILTER_MAX];
    const char *config;                   /* --config FILE (core/conf.h), or NULL */
    /* the value sets of the repeatable options (conds point here: do not copy) */
    struct km_sel set[KM_CLI_FS__COUNT][2 * KM_CLI_FILTER_VALUES];
    int set_cond[KM_CLI_FS__COUNT];       /* its condition's index + 1, or 0 */
};

void km_cli_filter_init(struct km_cli_filter *cf);
/* Frees what km_cli_filter_persons added (the graph, the selector sets). */
void km_cli_filter_free(struct km_cli_filter *cf);

/*
 * Persons (ident.h): each --actor value that names a person — an e-mail or
 * UPN, an IAM user or session name, an ARN, an object id of one of their
 * identities — becomes a condition on all of that person's identities, so
 * `--actor alice.ito@corp.test` also selects the IAM user alice.ito's calls.
 * Builds the identity graph of s once, only when there is an --actor, with
 * the configuration of --config FILE (taken by km_cli_filter_opt), else
 * $KUMO_CONFIG, else STORE/kumo.conf (identity.* keys). Prints a note per resolved value on stderr. Returns
 * 0, or -1 after printing "kumo CMD: <reason>" (a bad identity map: the
 * command should exit 2).
 */
int km_cli_filter_persons(struct km_cli_filter *cf, const char *cmd, struct km_store *s);
/* Like km_cli_filter_persons for one value outside the options (`kumo
 * entity X`): the person x names, or -1; the graph is kept in cf. On a graph
 * or configuration error prints the reason and returns -2. */
int km_cli_filter_person_of(struct km_cli_filter *cf, const char *cmd, struct km_store *s,
                            const char *x);
/* Makes condition cf->f.conds[i] select person p of cf->graph (nothing when p
 * has no identities). */
void km_cli_filter_set_person(struct km_cli_filter *cf, int i, int p);

/* Reads one filter option `a` with its value `v` (v stays referenced by
 * cf->f: it must outlive the scan; argv does). Returns 1 when a is a filter
 * option and was taken, 0 when a is not a filter option, -1 on a bad value or
 * too many filters (after printing "kumo CMD: ..." to stderr; the command
 * should exit 2). Commands use it through KM_CLI_FILTER_OPTS. */
int km_cli_filter_opt(struct km_cli_filter *cf, const char *cmd, const char *a, const char *v);

/* Renders one event as one output line (or record) appended to `line`.
 * Returns KM_OK or an error (recorded in err) that stops the scan. */
typedef int (*km_cli_render_fn)(void *ctx, const struct km_event *ev, struct km_buf *line,
                                struct km_err *err);

#define KM_CLI_SORT_CAP ((size_t)256 << 20)

struct km_cli_scan {
    /* in */
    const char *cmd;          /* for the note on stderr: "kumo CMD: ..." */
    FILE *out;
    uint64_t limit;           /* lines to write at most; 0 = all */
    size_t sort_cap;          /* bytes of lines held for sorting; 0 = KM_CLI_SORT_CAP */
    km_cli_render_fn render;
    void *ctx;
    /* optional: where the events come from instead of km_store_scan(s, f)
     * (`kumo export PIPELINE` feeds the query engine's events) */
    int (*source)(void *sctx, km_scan_fn cb, void *cbctx, struct km_err *err);
    void *sctx;
    /* out */
    uint64_t matched;         /* events the filter matched (all rendered) */
    uint64_t written;         /* lines written */
    int unsorted;             /* the cap was reached: part of the output is in scan order */
};

/* Scans the store with filter f, rendering and writing every match in time
 * order (see above). Returns KM_OK, the scan's error, the renderer's error,
 * or KM_EIO when writing to sc->out failed; err says which. */
int km_cli_sorted_scan(struct km_store *s, const struct km_filter *f, struct km_cli_scan *sc,
                       struct km_err *err);

#endif
