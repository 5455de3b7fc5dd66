/*
 * cmd_custody.c — `kumo custody`: the hash-chained custody log, oldest first.
 */
#include "cli/opts.h"
#include "cli/cli.h"
#include "cli/output.h"
#include "json/json.h"
#include "store/catalog.h"
#include "store/store.h"

#include <stdio.h>
#include <string.h>

static int print_text(void *ctx, const struct km_custody *r)
{
    (void)ctx;
    /* every string through the text rule: a file name may hold escapes */
    if (!r->sha256[0]) { /* the catalog's own records (no evidence): commit anchors, hunts */
        km_out_printf(stdout, "#%llu %s %s@%s %s %s\n    %s\n    hash %s\n",
                      (unsigned long long)r->seq, r->time, r->operator_, r->host, r->action,
                      r->source_path, r->note[0] ? r->note : "-", r->hash);
        return 0;
    }
    km_out_printf(stdout, "#%llu %s %s@%s %s %s\n    sha256 %s  %llu bytes  %s\n    events: %llu new, %llu "
           "duplicate, %llu rejected%s%s\n    hash %s\n",
           (unsigned long long)r->seq, r->time, r->operator_, r->host, r->action, r->source_path,
           r->sha256, (unsigned long long)r->size, r->format[0] ? r->format : "-",
           (unsigned long long)r->events_new, (unsigned long long)r->events_dup,
           (unsigned long long)r->events_rejected, r->note[0] ? "; " : "", r->note, r->hash);
    return 0;
}

static void jstr(struct km_buf *b, const char *k, const char *v)
{
    km_buf_printf(b, ",\"%s\":", k);
    km_json_write_str(b, v, strlen(v));
}

static int print_json(void *ctx, const struct km_custody *r)
{
    struct km_buf *b = ctx;
    b->n = 0;
    km_buf_printf(b, "{\"seq\":%llu", (unsigned long long)r->seq);
    jstr(b, "time", r->time);
    jstr(b, "operator", r->operator_);
    jstr(b, "host", r->host);
    jstr(b, "action", r->action);
    jstr(b, "source_path", r->source_path);
    jstr(b, "sha256", r->sha256);
    km_buf_printf(b, ",\"size\":%llu", (unsigned long long)r->size);
    jstr(b, "format", r->format);
    km_buf_printf(b, ",\"events_new\":%llu,\"events_duplicate\":%llu,\"events_rejected\":%llu",
                  (unsigned long long)r->events_new, (unsigned long long)r->events_dup,
                  (unsigned long long)r->events_rejected);
    jstr(b, "note", r->note);
    jstr(b, "prev_hash", r->prev_hash);
    jstr(b, "hash", r->hash);
    km_buf_adds(b, "}\n");
    fwrite(b->p, 1, b->n, stdout);
    return 0;
}

int km_cmd_custody(int argc, char **argv)
{
    int json = 0, ex;
    const struct km_opt opt[] = {
        KM_OPT_FLAG("--json", 0, &json, "print JSON"),
        KM_OPT_END,
    };
    struct km_opts o = {.cmd = "custody", .opt = opt};
    if (km_opts_parse(&o, argc, argv, &ex))
        return ex;
    const char *dir = km_cli_store_dir(&argc, argv);
    struct km_store *s;
    struct km_err err;
    km_err_clear(&err);
    if (km_cli_open_store("custody", dir, 0, &s) != KM_OK) {
        return 1;
    }
    struct km_buf b;
    km_buf_init(&b, 0);
    int rc = km_cat_custody_each(km_store_catalog(s), json ? print_json : print_text, &b, &err);
    km_buf_free(&b);
    km_store_close(s);
    if (rc != KM_OK && err.code) {
        char m[1200];
        fprintf(stderr, "kumo custody: %s\n", km_err_fmt(&err, m, sizeof m));
        return 1;
    }
    return 0;
}
