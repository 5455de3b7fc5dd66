/*
 * geo_opts.c — `--geo FILE` and the lazily opened GeoIP databases shared by
 * query, entity, timeline, events and geo (geo_opts.h).
 */
#include "cli/geo_opts.h"

#include "cli/cli.h"
#include "core/conf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void km_cli_geo_begin(struct km_cli_geo *g, const char *cmd, const char *store_dir)
{
    memset(g, 0, sizeof *g);
    g->cmd = cmd;
    g->store_dir = store_dir;
}

int km_cli_geo_add(struct km_cli_geo *g, const char *v)
{
    if (strcmp(v, "builtin") == 0 && access(v, R_OK) != 0) {
        g->builtin_only = 1;
    } else if (!*v || access(v, R_OK) != 0) {
        fprintf(stderr, "kumo %s: --geo %s: %s\n", g->cmd, v, *v ? strerror(errno) : "empty");
        return 2;
    } else if (g->n == KM_GEO_MAX_DB) {
        fprintf(stderr, "kumo %s: at most %d --geo files\n", g->cmd, KM_GEO_MAX_DB);
        return 2;
    } else {
        g->files[g->n++] = v;
    }
    return 0;
}

int km_cli_geo_optfn(void *ctx, const char *cmd, const char *name, const char *value)
{
    return km_cli_geo_add(ctx, value);
}

int km_cli_geo_init(struct km_cli_geo *g, const char *cmd, const char *store_dir, int *argc,
                    char **argv)
{
    km_cli_geo_begin(g, cmd, store_dir);
    for (int i = 1; i < *argc; i++) {
        const char *v = NULL;
        int eat = 0;
        if (strcmp(argv[i], "--") == 0)
            break;
        if (strcmp(argv[i], "--geo") == 0) {
            if (i + 1 >= *argc) {
                fprintf(stderr, "kumo %s: --geo needs a file (an MMDB database)\n", cmd);
                return 2;
            }
            v = argv[i + 1];
            eat = 2;
        } else if (strncmp(argv[i], "--geo=", 6) == 0) {
            v = argv[i] + 6;
            eat = 1;
        } else if (strcmp(argv[i], "--config") == 0 && i + 1 < *argc) {
            g->config = argv[i + 1];
            i++;
            continue;
        } else if (strncmp(argv[i], "--config=", 9) == 0) {
            g->config = argv[i] + 9;
            continue;
        }
        if (!eat)
            continue;
        if (km_cli_geo_add(g, v))
            return 2;
        memmove(&argv[i], &argv[i + eat], (size_t)(*argc - i - eat + 1) * sizeof *argv);
        *argc -= eat;
        i--;
    }
    return 0;
}

void km_cli_geo_set_conf(struct km_cli_geo *g, struct km_conf *conf)
{
    if (g->own_conf)
        km_conf_free(g->conf);
    g->conf = conf;
    g->own_conf = 0;
}

struct km_geo_lazy *km_cli_geo_lazy(struct km_cli_geo *g)
{
    if (!g->lazy) {
        if (!g->conf && !g->failed) {
            /* the configuration as km_cli_conf finds it; argv is not touched */
            char *av[4] = {(char *)g->cmd, NULL, NULL, NULL};
            int ac = 1;
            if (g->config) {
                av[1] = (char *)"--config";
                av[2] = (char *)g->config;
                ac = 3;
            }
            g->conf = km_cli_conf(g->cmd, g->store_dir, &ac, av);
            g->own_conf = g->conf != NULL;
            if (!g->conf)
                g->failed = 1; /* km_cli_conf printed why; defaults from here on */
        }
        g->lazy = km_geo_lazy_new(g->files, g->n, g->conf);
    }
    return g->lazy;
}

struct km_geo *km_cli_geo_get(struct km_cli_geo *g)
{
    int first = !km_geo_lazy_opened(km_cli_geo_lazy(g));
    struct km_geo *geo = NULL;
    struct km_err err;
    km_err_clear(&err);
    if (km_geo_lazy_get(g->lazy, &geo, &err) != KM_OK) {
        if (first) {
            char m[1200];
            fprintf(stderr, "kumo %s: %s\n", g->cmd, km_err_fmt(&err, m, sizeof m));
        }
        g->failed = 1;
        return NULL;
    }
    return geo;
}

void km_cli_geo_free(struct km_cli_geo *g)
{
    km_geo_lazy_free(g->lazy);
    g->lazy = NULL;
    if (g->own_conf)
        km_conf_free(g->conf);
    g->conf = NULL;
}
