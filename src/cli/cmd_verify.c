/*
 * cmd_verify.c — `kumo verify`: re-hash every vault object against the
 * catalog, check every segment file against its manifest row (checksum,
 * rows, time bounds, size), recompute the custody chain, compare the
 * catalog with what the chain anchored and the chain's end with STORE/HEAD
 * (docs/verify.md).
 */
#include "cli/opts.h"
#include "cli/cli.h"
#include "core/hash.h"
#include "cli/output.h"
#include "detect/hunt.h"
#include "store/catalog.h"
#include "store/store.h"
#include "store/vault.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Problems found beyond evidence and segment files, kept for --json. */
struct problems {
    char **msg;
    size_t n, cap;
    int json;
};

static void add_problem(void *ctx, const char *m)
{
    struct problems *p = ctx;
    if (p->n == p->cap) {
        p->cap = p->cap ? 2 * p->cap : 16;
        p->msg = km_xrealloc(p->msg, p->cap * sizeof *p->msg);
    }
    p->msg[p->n++] = km_xstrdup(m);
    if (!p->json)
        km_out_printf(stdout, "BAD catalog: %s\n", m);
}

static void add_note(void *ctx, const char *m)
{
    struct problems *p = ctx;
    if (!p->json)
        km_out_printf(stdout, "note: %s\n", m);
}

static void json_str(const char *s)
{
    putchar('"');
    for (const unsigned char *u = (const unsigned char *)s; *u; u++) {
        if (*u == '"' || *u == '\\')
            printf("\\%c", *u);
        else if (*u < 0x20 || *u == 0x7f)
            printf("\\u%04x", *u);
        else
            putchar(*u);
    }
    putchar('"');
}

/* Compares a segment file with its manifest row: the checksum in its
 * trailer (which km_seg_verify proved is the file's) with segments.sha256,
 * its size with bytes, its rows and time bounds. Returns NULL or what
 * differs. */
static const char *seg_row_differs(const char *path, const struct km_seg *seg,
                                   const struct km_segment_row *row, char *why, size_t n)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    uint8_t tr[40];
    if (fd < 0 || fstat(fd, &st) != 0 || st.st_size < 40 ||
        pread(fd, tr, 40, st.st_size - 40) != 40) {
        if (fd >= 0)
            close(fd);
        snprintf(why, n, "cannot read its trailer");
        return why;
    }
    close(fd);
    char hex[65];
    km_hex(tr, 32, hex);
    if (strcmp(hex, row->sha256) != 0)
        snprintf(why, n, "checksum %.16s… is not the catalog's %.16s… (file replaced or "
                         "segments.sha256 edited)", hex, row->sha256[0] ? row->sha256 : "(none)");
    else if ((uint64_t)st.st_size != row->bytes)
        snprintf(why, n, "%" PRIu64 " bytes, the catalog says %" PRIu64, (uint64_t)st.st_size,
                 row->bytes);
    else if (km_seg_rows(seg) != row->rows)
        snprintf(why, n, "%" PRIu64 " rows, the catalog says %" PRIu64, km_seg_rows(seg),
                 row->rows);
    else if (km_seg_tmin(seg) != row->tmin || km_seg_tmax(seg) != row->tmax)
        snprintf(why, n, "time bounds differ from the catalog's (segments.tmin/tmax edited)");
    else
        return NULL;
    return why;
}

struct vctx {
    struct km_store *s;
    uint64_t ok, bad;
    int json;
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
        if (!c->json)
            km_out_printf(stdout, "BAD evidence %llu (%s): %s\n", (unsigned long long)ev->id, ev->source_path,
                   km_err_fmt(&e, m, sizeof m));
        c->bad++;
    }
    return 0;
}

int km_cmd_verify(int argc, char **argv)
{
    int json = 0, ex;
    const struct km_opt opt[] = {
        KM_OPT_FLAG("--json", 0, &json, "print JSON"),
        KM_OPT_END,
    };
    struct km_opts o = {.cmd = "verify", .opt = opt};
    if (km_opts_parse(&o, argc, argv, &ex))
        return ex;
    const char *dir = km_cli_store_dir(&argc, argv);
    struct km_store *s;
    struct km_err err;
    km_err_clear(&err);
    if (km_cli_open_store("verify", dir, 0, &s) != KM_OK) {
        return 1;
    }
    struct vctx c = {s, 0, 0, json};
    int readerr = km_cat_evidence_each(km_store_catalog(s), check_one, &c, &err) != KM_OK;
    struct km_segment_row *rows;
    size_t n;
    uint64_t seg_ok = 0, seg_bad = 0;
    if (km_cat_segments(km_store_catalog(s), &rows, &n, &err) == KM_OK) {
        for (size_t i = 0; i < n; i++) {
            char p[4096];
            km_store_segment_path(s, rows[i].file, p, sizeof p);
            struct km_seg *seg;
            struct km_err e;
            km_err_clear(&e);
            char why[300];
            const char *diff = NULL;
            int opened = km_seg_open(p, &seg, &e) == KM_OK;
            if (opened && km_seg_verify(seg, &e) == KM_OK &&
                !(diff = seg_row_differs(p, seg, &rows[i], why, sizeof why))) {
                seg_ok++;
            } else {
                char m[1200];
                if (!json)
                    km_out_printf(stdout, "BAD segment %s: %s\n", rows[i].file,
                           e.code ? km_err_fmt(&e, m, sizeof m) : diff);
                seg_bad++;
            }
            if (opened)
                km_seg_close(seg);
        }
        free(rows);
    } else {
        readerr = 1;
    }
    if (readerr) { /* a catalog that cannot be read whole is not verified */
        char m[1200];
        fprintf(stderr, "kumo verify: cannot read the catalog: %s\n",
                km_err_fmt(&err, m, sizeof m));
    }
    uint64_t ncust = 0;
    struct km_err ce;
    km_err_clear(&ce);
    int chain = km_cat_custody_verify(km_store_catalog(s), &ncust, &ce);
    if (chain && !json) {
        char m[1200];
        km_out_printf(stdout, "custody: BROKEN: %s\n", km_err_fmt(&ce, m, sizeof m));
    }
    /* the catalog against what the chain anchored, the chain's end against
     * HEAD (also on a broken chain: it names what else differs) */
    struct problems pr = {NULL, 0, 0, json};
    struct km_state_report st;
    memset(&st, 0, sizeof st);
    int srun = 0;
    {
        struct km_err se;
        km_err_clear(&se);
        if (km_cat_verify_state(km_store_catalog(s), add_problem, add_note, &pr, &st, &se) !=
            KM_OK) {
            char m[1200];
            add_problem(&pr, km_err_fmt(&se, m, sizeof m));
        }
        srun = 1;
    }
    /* findings: their digest must be the one the last hunt anchored in custody */
    int fchecked = 0;
    struct km_err fe;
    km_err_clear(&fe);
    int fbad = km_hunt_verify(s, &fchecked, &fe) != KM_OK;
    km_store_close(s);
    int bad = c.bad || seg_bad || chain || fbad || pr.n;
    if (json) {
        printf("{\"evidence_ok\":%llu,\"evidence_bad\":%llu,\"segments_ok\":%llu,"
               "\"segments_bad\":%llu,\"custody_records\":%llu,\"custody_chain_ok\":%s,"
               "\"findings_ok\":%s,\"catalog_ok\":%s,\"anchors\":%llu,\"unanchored\":%llu,",
               (unsigned long long)c.ok, (unsigned long long)c.bad, (unsigned long long)seg_ok,
               (unsigned long long)seg_bad, (unsigned long long)ncust, chain ? "false" : "true",
               fbad ? "false" : "true", srun && !pr.n ? "true" : "false",
               (unsigned long long)st.commits, (unsigned long long)st.unanchored);
        if (srun && st.last_seq)
            printf("\"head\":{\"seq\":%" PRIu64 ",\"hash\":\"%s\"},", st.last_seq,
                   st.last_hash);
        else
            printf("\"head\":null,");
        printf("\"ok\":%s,\"problems\":[", bad ? "false" : "true");
        size_t k = 0;
        if (chain) {
            char m[1200];
            json_str(km_err_fmt(&ce, m, sizeof m));
            k++;
        }
        for (size_t i = 0; i < pr.n; i++, k++) {
            if (k)
                putchar(',');
            json_str(pr.msg[i]);
        }
        if (c.bad || seg_bad) {
            char m[160];
            snprintf(m, sizeof m, "%llu evidence and %llu segment file(s) bad (run without --json "
                                  "for each)", (unsigned long long)c.bad,
                     (unsigned long long)seg_bad);
            if (k++)
                putchar(',');
            json_str(m);
        }
        if (fbad) {
            char m[1200];
            if (k++)
                putchar(',');
            json_str(km_err_fmt(&fe, m, sizeof m));
        }
        printf("]}\n");
    } else {
        printf("evidence: %llu ok, %llu bad\nsegments: %llu ok, %llu bad\n",
               (unsigned long long)c.ok, (unsigned long long)c.bad, (unsigned long long)seg_ok,
               (unsigned long long)seg_bad);
        if (!chain)
            printf("custody: %llu records, chain intact\n", (unsigned long long)ncust);
        if (srun && st.last_seq)
            printf("head: record #%" PRIu64 " %s%s\n", st.last_seq, st.last_hash,
                   st.have_head && st.head_seq == st.last_seq ? " (= STORE/HEAD)" : "");
        if (srun) {
            if (pr.n)
                printf("catalog: BROKEN: %zu problem(s) above\n", pr.n);
            else if (st.commits)
                printf("catalog: as %llu commit record(s) anchored it\n",
                       (unsigned long long)st.commits);
            else
                printf("catalog: not anchored (see note)\n");
        }
        if (fbad) {
            char m[1200];
            km_out_printf(stdout, "findings: BROKEN: %s\n", km_err_fmt(&fe, m, sizeof m));
        } else if (fchecked)
            printf("findings: as the last hunt recorded them\n");
    }
    for (size_t i = 0; i < pr.n; i++)
        free(pr.msg[i]);
    free(pr.msg);
    return bad || readerr ? 1 : 0;
}
