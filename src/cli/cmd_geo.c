/*
 * cmd_geo.c — `kumo geo`: where addresses are, without a network.
 *
 *   kumo geo lookup IP... [--json] [--geo FILE]...   every field, with the
 *                                                   database that answered it
 *   kumo geo status [--json] [--geo FILE]...         the databases kumo would use
 *   kumo geo build [--out FILE] [--tor DIR] [--libloc FILE] [--geonames DIR]
 *                                                   make the built-in database
 *
 * docs/geo.md has the databases, their search order and examples.
 */
#include "cli/cli.h"
#include "cli/opts.h"
#include "cli/geo_opts.h"
#include "core/conf.h"
#include "geo/geo.h"
#include "geo/kgeo.h"
#include "json/json.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void jstr(struct km_buf *b, const char *k, const char *v)
{
    km_buf_printf(b, ",\"%s\":", k);
    if (v && *v)
        km_json_write_str(b, v, strlen(v));
    else
        km_buf_adds(b, "null");
}

static void jnum(struct km_buf *b, const char *k, double v, int prec)
{
    if (isfinite(v))
        km_buf_printf(b, ",\"%s\":%.*f", k, prec, v);
    else
        km_buf_printf(b, ",\"%s\":null", k);
}

static void lookup_json(struct km_buf *b, struct km_geo *g, const char *ip,
                        const struct km_geo_rec *r)
{
    km_buf_adds(b, "{\"ip\":");
    km_json_write_str(b, ip, strlen(ip));
    jstr(b, "class", km_geo_class_name(r->cls));
    jstr(b, "country", r->country);
    jstr(b, "country_name", r->country[0] ? km_geo_country_name(g, r->country) : "");
    jstr(b, "country_db", r->db);
    jstr(b, "city", r->city);
    jstr(b, "city_db", *r->city ? r->db : "");
    jnum(b, "lat", r->lat, 4);
    jnum(b, "lon", r->lon, 4);
    jnum(b, "radius_km", isfinite(r->lat) ? r->radius_km : NAN, 0);
    jstr(b, "location_db", r->loc_db);
    if (r->asn)
        km_buf_printf(b, ",\"asn\":%u", r->asn);
    else
        km_buf_adds(b, ",\"asn\":null");
    jstr(b, "as_org", r->as_org);
    jstr(b, "asn_db", r->asn_db);
    km_buf_addc(b, '}');
}

static void lookup_text(struct km_buf *b, struct km_geo *g, const char *ip,
                        const struct km_geo_rec *r)
{
    km_buf_printf(b, "%s\n  %-9s%s\n", ip, "class", km_geo_class_name(r->cls));
    if (r->cls != KM_GEO_PUBLIC) {
        km_buf_adds(b, "  (not a public address: no place)\n");
        return;
    }
    if (r->country[0]) {
        const char *nm = km_geo_country_name(g, r->country);
        km_buf_printf(b, "  %-9s%s%s%s%s  [%s]\n", "country", r->country, *nm ? " (" : "", nm,
                      *nm ? ")" : "", r->db);
    } else {
        km_buf_printf(b, "  %-9s-\n", "country");
    }
    if (*r->city)
        km_buf_printf(b, "  %-9s%s  [%s]\n", "city", r->city, r->db);
    if (isfinite(r->lat))
        km_buf_printf(b, "  %-9s%.4f, %.4f within %.0f km%s  [%s]\n", "location", r->lat, r->lon,
                      r->radius_km, strcmp(r->loc_db, "builtin") == 0 ? " (country reference point)"
                                                                      : "",
                      r->loc_db);
    if (r->asn)
        km_buf_printf(b, "  %-9sAS%u %s  [%s]\n", "as", r->asn, r->as_org, r->asn_db);
    else
        km_buf_printf(b, "  %-9s-\n", "as");
}

/* argv[0] is "lookup" */
static int cmd_lookup(struct km_cli_geo *cg, int argc, char **argv)
{
    int json = 0, ex;
    const char *ips[argc > 0 ? argc : 1];
    const struct km_opt opt[] = {
        KM_OPT_FLAG("--json", 0, &json, "print JSON"),
        KM_CLI_GEO_OPT(cg),
        KM_OPT_END,
    };
    struct km_opts op = {.cmd = "geo lookup", .args = "IP...", .opt = opt, .pos = ips,
                         .minpos = 1, .maxpos = argc,
                         .summary = "where addresses are: country, city, ASN, class"};
    if (km_opts_parse(&op, argc, argv, &ex))
        return ex;
    struct km_geo *g = km_cli_geo_get(cg);
    if (!g)
        return 1;
    struct km_buf b;
    km_buf_init(&b, 0);
    int first = 1;
    if (json)
        km_buf_addc(&b, '[');
    for (int i = 0; i < op.npos; i++) {
        struct km_geo_rec r;
        km_geo_lookup(g, ips[i], strlen(ips[i]), &r);
        if (json) {
            if (!first)
                km_buf_addc(&b, ',');
            lookup_json(&b, g, ips[i], &r);
        } else {
            if (!first)
                km_buf_addc(&b, '\n');
            lookup_text(&b, g, ips[i], &r);
        }
        first = 0;
    }
    if (json)
        km_buf_adds(&b, "]\n");
    int rc = fwrite(b.p, 1, b.n, stdout) == b.n && fflush(stdout) == 0 ? 0 : 1;
    km_buf_free(&b);
    return rc;
}

struct status_ctx {
    struct km_buf *b;
    int json, n;
};

static void status_line(void *vctx, const char *text)
{
    struct status_ctx *c = vctx;
    char *copy = km_xstrdup(text), *f[5] = {"", "", "", "", ""};
    char *s = copy;
    for (int i = 0; i < 5 && s; i++) {
        f[i] = s;
        s = strchr(s, '\t');
        if (s)
            *s++ = 0;
    }
    if (c->json) {
        km_buf_adds(c->b, c->n ? ",{" : "{");
        static const char *const keys[5] = {"name", "kind", "path", "built", "detail"};
        for (int i = 0; i < 5; i++) {
            km_buf_printf(c->b, "%s\"%s\":", i ? "," : "", keys[i]);
            km_json_write_str(c->b, f[i], strlen(f[i]));
        }
        km_buf_addc(c->b, '}');
    } else {
        km_buf_printf(c->b, "%-22s %-22s %s\n%-22s %-22s %s\n", f[0], f[1], f[2], "", f[3], f[4]);
    }
    c->n++;
    free(copy);
}

/* argv[0] is "status" */
static int cmd_status(struct km_cli_geo *cg, int argc, char **argv)
{
    int json = 0, ex;
    const struct km_opt opt[] = {
        KM_OPT_FLAG("--json", 0, &json, "print JSON"),
        KM_CLI_GEO_OPT(cg),
        KM_OPT_END,
    };
    struct km_opts op = {.cmd = "geo status", .opt = opt,
                         .summary = "the databases in use, in the order they are asked"};
    if (km_opts_parse(&op, argc, argv, &ex))
        return ex;
    km_cli_geo_lazy(cg); /* loads the configuration for the builtin's path */
    struct km_geo *g = km_cli_geo_get(cg);
    if (!g)
        return 1;
    struct km_buf b;
    km_buf_init(&b, 0);
    struct status_ctx c = {&b, json, 0};
    if (json)
        km_buf_adds(&b, "{\"databases\":[");
    else
        km_buf_adds(&b, "databases, asked in this order (each field from the first that knows "
                        "it):\n");
    km_geo_describe(g, status_line, &c);
    char path[4096];
    int st = km_geo_builtin_find(cg->conf, path, sizeof path);
    const char *sources = "";
    struct km_kgeo *k = NULL;
    struct km_err e;
    km_err_clear(&e);
    if (st == 1 && km_kgeo_open(path, &k, &e) == KM_OK) {
        struct km_kgeo_info in;
        km_kgeo_info(k, &in);
        sources = in.sources;
    }
    if (json) {
        km_buf_adds(&b, "],\"builtin_sources\":");
        km_json_write_str(&b, sources, strlen(sources));
        km_buf_adds(&b, "}\n");
    } else {
        if (*sources)
            km_buf_printf(&b, "\nbuilt-in database sources:\n%s", sources);
        km_buf_adds(&b, "\nMMDB files: --geo FILE, geo.mmdb in the configuration, $KUMO_GEOIP "
                        "(colon-separated); built-in: geo.builtin, $KUMO_GEO_BUILTIN, next to "
                        "the kumo binary (see docs/geo.md)\n");
    }
    km_kgeo_close(k);
    int rc = fwrite(b.p, 1, b.n, stdout) == b.n && fflush(stdout) == 0 ? 0 : 1;
    km_buf_free(&b);
    return rc;
}

static int mkdirs(const char *file)
{
    char d[PATH_MAX];
    snprintf(d, sizeof d, "%s", file);
    char *s = strrchr(d, '/');
    if (!s || s == d)
        return 0;
    *s = 0;
    for (char *p = d + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            if (mkdir(d, 0755) != 0 && errno != EEXIST)
                return -1;
            *p = '/';
        }
    return mkdir(d, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

/* argv[0] is "build" */
static int cmd_build(int argc, char **argv)
{
    struct km_kgeo_build b = {0};
    char def[PATH_MAX + 64];
    int ex;
    const struct km_opt opt[] = {
        KM_OPT_STR("--out", 0, &b.out, "FILE",
                   "the database to write (default: share/kumo/kumo-geo.kgeo next to kumo)"),
        KM_OPT_STR("--tor", 0, &b.tor_dir, "DIR", "Tor exit lists to mark addresses with"),
        KM_OPT_STR("--libloc", 0, &b.libloc, "FILE", "an IPFire libloc database"),
        KM_OPT_STR("--geonames", 0, &b.geonames_dir, "DIR", "GeoNames files for city points"),
        KM_OPT_END,
    };
    struct km_opts op = {.cmd = "geo build", .opt = opt,
                         .summary = "build the built-in offline database (docs/geo.md)"};
    if (km_opts_parse(&op, argc, argv, &ex))
        return ex;
    if (!b.out) {
        /* where kumo looks first: next to the binary */
        char exe[PATH_MAX];
        ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
        char *s = k > 0 ? (exe[k] = 0, strrchr(exe, '/')) : NULL;
        if (s)
            *s = 0;
        snprintf(def, sizeof def, "%s/share/kumo/kumo-geo.kgeo", s ? exe : ".");
        b.out = def;
    }
    if (mkdirs(b.out) != 0) {
        fprintf(stderr, "kumo geo build: %s: cannot create its directory: %s\n", b.out,
                strerror(errno));
        return 1;
    }
    const char *sde = getenv("SOURCE_DATE_EPOCH"); /* reproducible builds */
    if (sde && *sde)
        b.now = strtoll(sde, NULL, 10);
    struct km_err err;
    km_err_clear(&err);
    struct km_kgeo_info in;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = km_kgeo_build(&b, &in, &err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (rc) {
        char m[1200];
        fprintf(stderr, "kumo geo build: %s\n", km_err_fmt(&err, m, sizeof m));
        return 1;
    }
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("wrote %s (%.1f MB in %.1f s): %u+%u country ranges (IPv4+IPv6), %u+%u AS ranges, "
           "%u AS names, %u countries, %u with a reference point\n",
           b.out, (double)in.size / 1e6, s, in.v4_country, in.v6_country, in.v4_asn, in.v6_asn,
           in.as_names, in.countries, in.with_point);
    if (b.note[0])
        printf("note: %s\n", b.note);
    return 0;
}

/* Runs subcommand argv[0] (lookup, status, build). */
static int geo_sub(const char *dir, int argc, char **argv)
{
    if (strcmp(argv[0], "build") == 0)
        return cmd_build(argc, argv);
    struct km_cli_geo cg;
    km_cli_geo_begin(&cg, "geo", dir);
    int rc;
    if (strcmp(argv[0], "lookup") == 0)
        rc = cmd_lookup(&cg, argc, argv);
    else if (strcmp(argv[0], "status") == 0)
        rc = cmd_status(&cg, argc, argv);
    else {
        fprintf(stderr, "kumo geo: unknown subcommand '%s' (lookup, status, build)\n", argv[0]);
        rc = km_cli_usage("geo");
    }
    km_cli_geo_free(&cg);
    return rc;
}

int km_cmd_geo(int argc, char **argv)
{
    const char *dir = km_cli_store_dir(&argc, argv);
    if (argc < 2) {
        fprintf(stderr, "kumo geo: which subcommand? (lookup, status, build)\n");
        return km_cli_usage("geo");
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "--help-markdown") == 0) {
        /* every subcommand's help, from its table */
        int md = strcmp(argv[1], "--help-markdown") == 0;
        static const char *const subs[] = {"lookup", "status", "build"};
        if (!md)
            printf("kumo geo: lookup, status or build\n\n");
        for (int i = 0; i < 3; i++) {
            char *av[3] = {(char *)subs[i], (char *)(md ? "--help-markdown" : "--help"), NULL};
            geo_sub(dir, 2, av);
            if (!md && i < 2)
                printf("\n");
        }
        return 0;
    }
    return geo_sub(dir, argc - 1, argv + 1);
}
