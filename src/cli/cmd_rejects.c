/*
 * cmd_rejects.c — `kumo rejects`: the rejected records kept in the catalog
 * (table `rejects`), with the file, member, offset, line, reason and the
 * first bytes of each record read back from the vault — the review that the
 * 20 lines printed at ingest (--show-rejects) cannot give.
 *
 * The first bytes come from the preserved evidence, not from the original
 * path: the evidence is opened through the vault (km_vault_object_fd),
 * decoded as ingest decoded it, and read forward to each reject's offset.
 * Rejects of one member are usually listed in offset order, so one decoder
 * pass serves them all; an offset behind the current position reopens it.
 * Bytes are escaped for the terminal and for JSON alike: printable ASCII as
 * is, every other byte as \xNN, so no control character or terminal escape
 * (C0, DEL, C1 such as U+009B, or a cut UTF-8 sequence) reaches the output.
 */
#include "cli/cli.h"
#include "cli/opts.h"
#include "cli/output.h"
#include "ingest/decode.h"
#include "json/json.h"
#include "store/catalog.h"
#include "store/store.h"
#include "store/vault.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define HEAD_BYTES 80 /* first bytes shown of each rejected record */

enum { FMT_TABLE, FMT_JSON, FMT_JSONL };

/* A decoder positioned in one member of one evidence object. */
struct reader {
    struct km_store *s;
    uint64_t evidence_id;
    char member[1024];
    int fd;
    struct km_decode *d;
    uint64_t pos;            /* decoded bytes of the member consumed */
    int ok;                  /* positioned in the right member */
    char buf[65536];
    size_t bn, bo;           /* bytes buffered from pos - (bn - bo) .. */
};

static void reader_close(struct reader *r)
{
    if (r->d)
        km_decode_close(r->d);
    if (r->fd >= 0)
        close(r->fd);
    r->d = NULL;
    r->fd = -1;
    r->ok = 0;
}

static int reader_open(struct reader *r, const struct km_reject *x)
{
    reader_close(r);
    r->evidence_id = x->evidence_id;
    snprintf(r->member, sizeof r->member, "%s", x->member);
    r->pos = 0;
    r->bn = r->bo = 0;
    struct km_evidence ev;
    struct km_err e;
    km_err_clear(&e);
    if (km_cat_evidence_by_id(km_store_catalog(r->s), x->evidence_id, &ev, &e) != KM_OK)
        return -1;
    if (km_vault_object_fd(r->s, &ev, &r->fd, &e) != KM_OK)
        return -1;
    struct km_decode_limits lim;
    km_decode_limits_default(&lim);
    if (km_decode_open(ev.source_path, r->fd, &lim, &r->d, &e) != KM_OK)
        return -1;
    for (;;) {
        const struct km_member *m;
        if (km_decode_next(r->d, &m, &e) != KM_OK || !m)
            return -1;
        if (x->member[0] ? m->name && strcmp(m->name, x->member) == 0 : !m->name) {
            r->ok = 1;
            return 0;
        }
    }
}

/* Fills out (escaped, NUL-terminated) with up to HEAD_BYTES bytes of the
 * record at x->offset; "" when they cannot be read. */
static void record_head(struct reader *r, const struct km_reject *x, char *out, size_t cap)
{
    out[0] = 0;
    if (!x->evidence_id || x->offset == UINT64_MAX || (int64_t)x->offset < 0)
        return;
    if (!r->ok || r->evidence_id != x->evidence_id || strcmp(r->member, x->member) != 0 ||
        x->offset < r->pos - (r->bn - r->bo)) {
        if (reader_open(r, x) != 0) {
            reader_close(r);
            r->evidence_id = 0;
            return;
        }
    }
    /* make pos - (bn - bo) == offset: skip forward */
    uint64_t start = r->pos - (r->bn - r->bo);
    if (x->offset > start) {
        uint64_t skip = x->offset - start;
        if (skip <= r->bn - r->bo) {
            r->bo += (size_t)skip;
        } else {
            skip -= r->bn - r->bo;
            r->bn = r->bo = 0;
            while (skip) {
                struct km_err e;
                km_err_clear(&e);
                ssize_t n = km_decode_read(r->d, r->buf,
                                           skip < sizeof r->buf ? (size_t)skip : sizeof r->buf, &e);
                if (n <= 0) {
                    reader_close(r);
                    return;
                }
                r->pos += (uint64_t)n;
                skip -= (uint64_t)n;
            }
        }
    }
    /* have at least HEAD_BYTES buffered (or the member's end) */
    if (r->bn - r->bo < HEAD_BYTES) {
        memmove(r->buf, r->buf + r->bo, r->bn - r->bo);
        r->bn -= r->bo;
        r->bo = 0;
        while (r->bn < HEAD_BYTES) {
            struct km_err e;
            km_err_clear(&e);
            ssize_t n = km_decode_read(r->d, r->buf + r->bn, sizeof r->buf - r->bn, &e);
            if (n <= 0)
                break;
            r->bn += (size_t)n;
            r->pos += (uint64_t)n;
        }
    }
    size_t have = r->bn - r->bo < HEAD_BYTES ? r->bn - r->bo : HEAD_BYTES;
    const unsigned char *p = (const unsigned char *)r->buf + r->bo;
    size_t k = 0;
    for (size_t i = 0; i < have && k + 5 < cap; i++) {
        if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\')
            out[k++] = (char)p[i];
        else
            k += (size_t)snprintf(out + k, cap - k, "\\x%02x", p[i]);
    }
    out[k] = 0;
}

struct opts {
    const char *source, *reason;
    int fmt, all;
    uint64_t limit;
};

struct ctx {
    const struct opts *o;
    struct reader rd;
    uint64_t shown;
    int first;
};

static int ci_contains(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    if (!n)
        return 1;
    for (; *hay; hay++)
        if (strncasecmp(hay, needle, n) == 0)
            return 1;
    return 0;
}

/* --source: the source the file was detected as (the first word of the
 * evidence format, "aws.cloudtrail json") or any word of the format
 * ("csv", "gzip"); case-insensitive, whole words. */
static int source_matches(const char *format, const char *want)
{
    size_t n = strlen(want);
    const char *p = format;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *q = p;
        while (*q && *q != ' ' && *q != ',')
            q++;
        if ((size_t)(q - p) == n && strncasecmp(p, want, n) == 0)
            return 1;
        p = q;
    }
    return 0;
}

static void json_row(struct km_buf *b, const struct km_reject *x, const char *head)
{
    km_buf_adds(b, "{\"file\":");
    km_json_write_str(b, x->file, strlen(x->file));
    km_buf_adds(b, ",\"member\":");
    km_json_write_str(b, x->member, strlen(x->member));
    if (x->offset != UINT64_MAX && (int64_t)x->offset >= 0)
        km_buf_printf(b, ",\"offset\":%llu", (unsigned long long)x->offset);
    if (x->line > 0)
        km_buf_printf(b, ",\"line\":%ld", x->line);
    km_buf_adds(b, ",\"format\":");
    km_json_write_str(b, x->format, strlen(x->format));
    km_buf_adds(b, ",\"reason\":");
    km_json_write_str(b, x->reason, strlen(x->reason));
    km_buf_adds(b, ",\"first_bytes\":");
    km_json_write_str(b, head, strlen(head));
    km_buf_adds(b, ",\"evidence_sha256\":");
    km_json_write_str(b, x->sha256, strlen(x->sha256));
    if (x->superseded_by)
        km_buf_printf(b, ",\"superseded_by_custody\":%llu", (unsigned long long)x->superseded_by);
    km_buf_addc(b, '}');
}

static int reject_cb(void *vctx, const struct km_reject *x)
{
    struct ctx *c = vctx;
    const struct opts *o = c->o;
    if (o->source && !source_matches(x->format, o->source))
        return 0;
    if (o->reason && !ci_contains(x->reason, o->reason))
        return 0;
    if (o->limit && c->shown >= o->limit)
        return 1;
    c->shown++;
    char head[HEAD_BYTES * 4 + 8];
    record_head(&c->rd, x, head, sizeof head);
    if (o->fmt == FMT_TABLE) {
        km_out_safe_file(stdout, x->file[0] ? x->file : "(not preserved)",
                         strlen(x->file[0] ? x->file : "(not preserved)"));
        if (x->member[0]) {
            putchar('!');
            km_out_safe_file(stdout, x->member, strlen(x->member));
        }
        if (x->offset != UINT64_MAX && (int64_t)x->offset >= 0)
            printf(": offset %llu", (unsigned long long)x->offset);
        if (x->line > 0)
            printf(" (line %ld)", x->line);
        if (x->superseded_by)
            printf(" [superseded by custody #%llu]", (unsigned long long)x->superseded_by);
        fputs(": ", stdout);
        km_out_safe_file(stdout, x->reason, strlen(x->reason));
        if (head[0])
            printf("\n    %s", head);
        putchar('\n');
        return 0;
    }
    struct km_buf b;
    km_buf_init(&b, 0);
    if (o->fmt == FMT_JSON)
        km_buf_adds(&b, c->first ? "\n  " : ",\n  ");
    json_row(&b, x, head);
    if (o->fmt == FMT_JSONL)
        km_buf_addc(&b, '\n');
    fwrite(b.p, 1, b.n, stdout);
    km_buf_free(&b);
    c->first = 0;
    return 0;
}

int km_cmd_rejects(int argc, char **argv)
{
    const char *dir = km_cli_store_dir(&argc, argv);
    struct opts o = {0};
    const char *fmt = "table";
    const struct km_opt opt[] = {
        KM_OPT_STR("--source", 0, &o.source, "NAME",
                   "only records of files detected as this source or format"),
        KM_OPT_STR("--reason", 0, &o.reason, "TEXT",
                   "only records whose reason contains TEXT (any case)"),
        KM_OPT_ENUM("--format", 0, &fmt, "table|json|jsonl", "output format (default table)"),
        KM_OPT_INT("--limit", 0, &o.limit, 1, KM_CLI_LIMIT_MAX, "N",
                   "at most N records (absent: all; 0 is refused)"),
        KM_OPT_FLAG("--all", 0, &o.all,
                    "also the rejects a later `kumo reprocess` superseded (the history)"),
        KM_OPT_END,
    };
    struct km_opts op = {.cmd = "rejects", .opt = opt};
    int ex;
    if (km_opts_parse(&op, argc, argv, &ex))
        return ex;
    o.fmt = strcmp(fmt, "json") == 0 ? FMT_JSON : strcmp(fmt, "jsonl") == 0 ? FMT_JSONL : FMT_TABLE;
    struct km_store *s;
    if (km_cli_open_store("rejects", dir, 0, &s) != KM_OK)
        return 1;
    struct ctx c = {0};
    c.o = &o;
    c.first = 1;
    c.rd.s = s;
    c.rd.fd = -1;
    if (o.fmt == FMT_JSON)
        fputs("{\"rejects\":[", stdout);
    struct km_err err;
    km_err_clear(&err);
    int rc = km_cat_reject_each(km_store_catalog(s), o.all, reject_cb, &c, &err);
    reader_close(&c.rd);
    if (o.fmt == FMT_JSON)
        printf("%s],\"count\":%llu}\n", c.first ? "" : "\n", (unsigned long long)c.shown);
    else if (o.fmt == FMT_TABLE && rc == KM_OK)
        printf("%llu rejected record%s%s\n", (unsigned long long)c.shown, c.shown == 1 ? "" : "s",
               o.limit && c.shown >= o.limit ? " (limit reached)" : "");
    km_store_close(s);
    if (rc != KM_OK) {
        char m[1200];
        fprintf(stderr, "kumo rejects: %s\n", km_err_fmt(&err, m, sizeof m));
        return 1;
    }
    return 0;
}
