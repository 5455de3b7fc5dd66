/*
 * cmd_verify.c — `kumo verify`: re-hash every vault object against the
 * catalog, check every segment's checksum, and recompute the custody chain.
 */
#include "cli/cli.h"
#include "cli/output.h"
#include "detect/hunt.h"
#include "store/catalog.h"
#include "store/store.h"
#include "store/vault.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct vctx {
    struct km_store *s;
    uint64_t ok, bad;
};

static int check_one(void *vctx, const struct km_evidence *ev)
{
    struct vctx *c = vctx;
    struct km_err e;
    km_err_clear(&e);
    if (km_vault_check(c->s, ev, &e) == KM_OK) {
        c->ok++;
    } else {
        char m[1200];
        km_out_printf(stdout, "BAD evidence %llu (%s): %s\n", (unsigned long long)ev->id, ev->source_path,
               km_err_fmt(&e, m, sizeof m));
        c->bad++;
    }
    return 0;
}

int km_cmd_verify(int argc, char **argv)
{
    const char *dir = km_cli_store_dir(&argc, argv);
    int json = argc > 1 && strcmp(argv[1], "--json") == 0;
    struct km_store *s;
    struct km_err err;
    km_err_clear(&err);
    if (km_cli_open_store("verify", dir, 0, &s) != KM_OK) {
        return 1;
    }
    struct vctx c = {s, 0, 0};
    km_cat_evidence_each(km_store_catalog(s), check_one, &c, &err);
    struct km_segment_row *rows;
    size_t n;
    uint64_t seg_ok = 0, seg_bad = 0;
    if (km_cat_segments(km_store_catalog(s), &rows, &n, &err) == KM_OK) {
        for (size_t i = 0; i < n; i++) {
            char p[4096];
            snprintf(p, sizeof p, "%s/segments/%s", dir, rows[i].file);
            struct km_seg *seg;
            struct km_err e;
            km_err_clear(&e);
            if (km_seg_open(p, &seg, &e) == KM_OK && km_seg_verify(seg, &e) == KM_OK &&
                km_seg_rows(seg) == rows[i].rows) {
                seg_ok++;
            } else {
                char m[1200];
                km_out_printf(stdout, "BAD segment %s: %s\n", rows[i].file, e.code ? km_err_fmt(&e, m, sizeof m)
                                                                  : "row count differs");
                seg_bad++;
            }
            if (e.code == 0)
                km_seg_close(seg);
        }
        free(rows);
    }
    uint64_t ncust = 0;
    struct km_err ce;
    km_err_clear(&ce);
    int chain = km_cat_custody_verify(km_store_catalog(s), &ncust, &ce);
    /* findings: their digest must be the one the last hunt anchored in custody */
    int fchecked = 0;
    struct km_err fe;
    km_err_clear(&fe);
    int fbad = km_hunt_verify(s, &fchecked, &fe) != KM_OK;
    km_store_close(s);
    if (json) {
        printf("{\"evidence_ok\":%llu,\"evidence_bad\":%llu,\"segments_ok\":%llu,"
               "\"segments_bad\":%llu,\"custody_records\":%llu,\"custody_chain_ok\":%s,"
               "\"findings_ok\":%s}\n",
               (unsigned long long)c.ok, (unsigned long long)c.bad, (unsigned long long)seg_ok,
               (unsigned long long)seg_bad, (unsigned long long)ncust, chain ? "false" : "true",
               fbad ? "false" : "true");
    } else {
        printf("evidence: %llu ok, %llu bad\nsegments: %llu ok, %llu bad\n",
               (unsigned long long)c.ok, (unsigned long long)c.bad, (unsigned long long)seg_ok,
               (unsigned long long)seg_bad);
        if (chain) {
            char m[1200];
            km_out_printf(stdout, "custody: BROKEN: %s\n", km_err_fmt(&ce, m, sizeof m));
        } else
            printf("custody: %llu records, chain intact\n", (unsigned long long)ncust);
        if (fbad) {
            char m[1200];
            km_out_printf(stdout, "findings: BROKEN: %s\n", km_err_fmt(&fe, m, sizeof m));
        } else if (fchecked)
            printf("findings: as the last hunt recorded them\n");
    }
    return c.bad || seg_bad || chain || fbad ? 1 : 0;
}
