/*
 * cmd_config.c — `kumo config`: every setting kumo reads from its
 * configuration file, with its default, the value in force and one line of
 * help; `--template` writes a commented file to start from (docs/config.md).
 */
#include "cli/opts.h"
#include "cli/cli.h"
#include "core/conf.h"

#include <stdio.h>
#include <string.h>

static const char *type_name(int t)
{
    static const char *const n[] = {"int", "number", "duration", "text", "list", "bool"};
    return t >= 0 && t <= KM_CONF_BOOL ? n[t] : "?";
}

int km_cmd_config(int argc, char **argv)
{
    int tmpl = 0, json = 0, ex;
    const struct km_opt opt[] = {
        KM_OPT_FLAG("--template", 0, &tmpl, "print a commented configuration file with every "
                    "setting at its default"),
        KM_OPT_FLAG("--json", 0, &json, "print JSON"),
        KM_OPT_END,
    };
    struct km_opts o = {.cmd = "config", .opt = opt};
    if (km_opts_parse(&o, argc, argv, &ex))
        return ex;
    const char *dir = km_cli_store_dir(&argc, argv);
    struct km_conf *c = km_cli_conf("config", dir, &argc, argv);
    if (!c)
        return 2;
    if (tmpl) {
        printf("# kumo configuration (put it at STORE/kumo.conf, or pass --config FILE, or set "
               "KUMO_CONFIG).\n# Every setting is shown with its default; uncomment to change "
               "it. See docs/config.md.\n");
    } else if (json) {
        printf("{\"file\":\"%s\",\"settings\":[", km_conf_path(c));
    } else {
        printf("configuration: %s\n\n", km_conf_path(c)[0] ? km_conf_path(c) : "(none: defaults)");
    }
    const char *section = "";
    int first = 1;
    for (int t = 0; km_conf_tables[t]; t++)
        for (const struct km_conf_key *k = km_conf_tables[t]; k->key; k++) {
            const char *dot = strchr(k->key, '.');
            size_t sl = dot ? (size_t)(dot - k->key) : 0;
            const char *val = km_conf_str(c, k->key);
            if (tmpl) {
                if (strncmp(section, k->key, sl) || section[sl] != '.') {
                    printf("\n[%.*s]\n", (int)sl, k->key);
                    section = k->key;
                }
                printf("# %s (%s)\n# %s = %s\n", k->help, type_name(k->type), dot ? dot + 1 : k->key,
                       k->dflt);
            } else if (json) {
                printf("%s{\"key\":\"%s\",\"type\":\"%s\",\"default\":\"%s\",\"value\":\"%s\","
                       "\"set\":%s}",
                       first ? "" : ",", k->key, type_name(k->type), k->dflt, val,
                       km_conf_is_set(c, k->key) ? "true" : "false");
                first = 0;
            } else {
                printf("%-36s %-9s %-22s %s%s\n", k->key, type_name(k->type),
                       val[0] ? val : "\"\"", k->help, km_conf_is_set(c, k->key) ? "  [set]" : "");
            }
        }
    if (json)
        printf("]}\n");
    km_conf_free(c);
    return 0;
}
