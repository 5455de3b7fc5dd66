/*
 * cli.h — the command table. Each command is one file src/cli/cmd_NAME.c
 * exporting `int km_cmd_NAME(int argc, char **argv)` (argv[0] is the command
 * name) and one row in km_commands[] (commands.c). Exit codes: 0 success,
 * 1 the command ran but found errors (e.g. rejected records), 2 usage error.
 */
#ifndef KM_CLI_H
#define KM_CLI_H

struct km_cmd {
    const char *name;
    const char *summary;     /* one line for `kumo help` */
    const char *usage;       /* synopsis, printed on usage errors and --help */
    int (*run)(int argc, char **argv);
};

extern const struct km_cmd km_commands[];
extern const int km_ncommands;

/*
 * Global options: `--store DIR`, `--config FILE`, `-v` / `--verbose`, `-q` /
 * `--quiet`, accepted anywhere on the line before `--` (before or after the
 * command name). main() takes them out of argv with km_cli_globals before it
 * runs the command, so commands see only their own options (cli/opts.h).
 * Returns 0, or 2 after printing the reason (e.g. `--store` without a value).
 */
struct km_cli_global {
    const char *store;       /* --store DIR, or NULL */
    const char *config;      /* --config FILE, or NULL */
};
extern struct km_cli_global km_cli_global;
int km_cli_globals(int *argc, char **argv);

/* Store directory: the global --store DIR, else $KUMO_STORE, else
 * ./kumo-store. Also removes a "--store DIR" left in argv (updating *argc). */
const char *km_cli_store_dir(int *argc, char **argv);
/* Opens the store for command `cmd` (flags as km_store_open); on failure
 * prints "kumo CMD: <reason>" to stderr and returns the error code. */
struct km_store;
int km_cli_open_store(const char *cmd, const char *dir, int flags, struct km_store **s);
/* The configuration for command `cmd` (core/conf.h): `--config FILE` (removed
 * from argv, updating *argc), else the global --config FILE, else $KUMO_CONFIG, else STORE/kumo.conf when it
 * exists, else defaults only. On an error prints "kumo CMD: <reason>" and
 * returns NULL (the command should exit 2). The caller frees it with
 * km_conf_free. */
struct km_conf;
struct km_conf *km_cli_conf(const char *cmd, const char *store_dir, int *argc, char **argv);
/* Prints "usage: kumo <usage>" for a command name to stderr; returns 2.
 * (Commands converted to cli/opts.h print their usage from their table.) */
int km_cli_usage(const char *cmd);

int km_cmd_ingest(int argc, char **argv);
int km_cmd_stats(int argc, char **argv);
int km_cmd_show(int argc, char **argv);
int km_cmd_events(int argc, char **argv);
int km_cmd_timeline(int argc, char **argv);
int km_cmd_entity(int argc, char **argv);
int km_cmd_query(int argc, char **argv);
int km_cmd_gen(int argc, char **argv);
int km_cmd_verify(int argc, char **argv);
int km_cmd_custody(int argc, char **argv);
int km_cmd_export(int argc, char **argv);
int km_cmd_hunt(int argc, char **argv);
int km_cmd_config(int argc, char **argv);
int km_cmd_findings(int argc, char **argv);
int km_cmd_finding(int argc, char **argv);
int km_cmd_incidents(int argc, char **argv);
int km_cmd_incident(int argc, char **argv);
int km_cmd_geo(int argc, char **argv);
int km_cmd_identities(int argc, char **argv);
int km_cmd_rejects(int argc, char **argv);
int km_cmd_reprocess(int argc, char **argv);

#endif
