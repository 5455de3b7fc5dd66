/*
 * geo_opts.h — the one place commands get their IP enrichment from: the
 * repeatable `--geo FILE` option (MMDB files), the configuration's
 * geo.mmdb / geo.builtin and $KUMO_GEOIP / $KUMO_GEO_BUILTIN (geo/geo.h).
 * The databases are opened on first use, so a command that looks nothing
 * up pays nothing.
 *
 *     struct km_cli_geo geo;
 *     if (km_cli_geo_init(&geo, "query", dir, &argc, argv))
 *         return 2;
 *     ...
 *     struct km_geo *g = km_cli_geo_get(&geo);   // NULL: error printed
 *     ...
 *     km_cli_geo_free(&geo);
 */
#ifndef KM_CLI_GEO_OPTS_H
#define KM_CLI_GEO_OPTS_H

#include "cli/opts.h"
#include "geo/geo.h"

#define KM_CLI_GEO_USAGE "[--geo FILE]..."

struct km_conf;

struct km_cli_geo {
    const char *cmd;
    const char *files[KM_GEO_MAX_DB];
    size_t n;
    const char *store_dir;
    const char *config;          /* --config FILE seen (left in argv), or NULL */
    struct km_conf *conf;        /* loaded on first use unless the command sets it */
    int own_conf;
    struct km_geo_lazy *lazy;
    int failed;                  /* the error was printed */
    int builtin_only;            /* `--geo builtin`: no file, the default databases */
};

/* Takes every `--geo FILE` / `--geo=FILE` out of argv (updating *argc; a
 * file that cannot be read is a usage error printed as "kumo CMD: ...") and
 * notes `--config FILE` without taking it. `--geo builtin` names no file: it
 * asks for enrichment from the default databases (commands that enrich only
 * on request, such as `kumo events`, check n || builtin_only). Returns 0, or
 * 2 after a message. */
int km_cli_geo_init(struct km_cli_geo *g, const char *cmd, const char *store_dir, int *argc,
                    char **argv);
/* The table-driven form (cli/opts.h): km_cli_geo_begin, then the row
 * KM_CLI_GEO_OPT(&g) in the command's option table; each value goes through
 * km_cli_geo_add (the checks of km_cli_geo_init; returns 0 or 2 after a
 * message). The global --config FILE is used for the configuration. */
void km_cli_geo_begin(struct km_cli_geo *g, const char *cmd, const char *store_dir);
int km_cli_geo_add(struct km_cli_geo *g, const char *file);
int km_cli_geo_optfn(void *ctx, const char *cmd, const char *name, const char *value);
#define KM_CLI_GEO_OPT(g)                                                                     \
    KM_OPT_FN("--geo", 0, km_cli_geo_optfn, g, "FILE",                                       \
              "an MMDB database (GeoLite2/DB-IP/IPinfo city, country or ASN) for IP "        \
              "enrichment, repeatable; `builtin` for the default databases (docs/geo.md)")

/* Uses the command's own configuration instead of loading one (borrowed). */
void km_cli_geo_set_conf(struct km_cli_geo *g, struct km_conf *conf);
/* The lazy handle to hand to code that may look up (query options). */
struct km_geo_lazy *km_cli_geo_lazy(struct km_cli_geo *g);
/* Opens the databases on first call. NULL when they cannot be opened (the
 * reason was printed once as "kumo CMD: ..."). */
struct km_geo *km_cli_geo_get(struct km_cli_geo *g);
void km_cli_geo_free(struct km_cli_geo *g);

#endif
