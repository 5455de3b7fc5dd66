/*
 * corpus.h — the corpus loader shared by the source-module unit tests
 * (test_cloudtrail.c, test_entra.c, test_gcp_audit.c, test_azure_activity.c,
 * test_m365_audit.c, test_aws_config.c, test_aws_securityhub.c). Header-only:
 * include it after t.h. It lives in tests/, not src/, on purpose.
 *
 * A `struct set` collects records read from corpus files (paths relative to
 * t_corpus()): plain or gzip files, every member of a zip (libarchive), or
 * every file of a directory with a given suffix. Each record is detected over
 * the whole registry and normalized into the set's arena. Two ways to split
 * a file into records, chosen per set by its corpus_opts:
 *   - default: the whole file parsed as one JSON value (array → elements, an
 *     object with an array under one of s->o.wrappers → its elements, else the
 *     object itself); a file that is not one JSON value is read as JSON Lines
 *     (unparsable lines counted in s->bad_json);
 *   - s->o.split = 1: the real splitter (km_records) and km_normalize_record, as
 *     ingest does; splitter errors are kept in s->e.
 */
#ifndef KM_TEST_CORPUS_H
#define KM_TEST_CORPUS_H

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <stdint.h>
#include <zlib.h>
#include "core/event.h"
#include "core/km.h"
#include "core/timeparse.h"
#include "ingest/records.h"
#include "json/json.h"
#include "sources/source.h"

struct rec {
    const char *file;               /* corpus-relative path, "test" for add_text */
    int line;                       /* JSON Lines: 1-based line; else 1-based element
                                       (split mode: the splitter's line) */
    uint64_t off;                   /* split mode: offset in the decoded stream */
    const char *wrapper;
    const struct km_source *src;    /* detected source, NULL when none */
    int rc;                         /* normalize() result; -1 when not normalized */
    struct km_norm_ctx ctx;
    struct km_event ev;
    struct km_err kerr;             /* the normalize error as returned */
    char err[600];                  /* the same, formatted (empty when rc == KM_OK) */
};

/* How a set reads and normalizes (each test file has one; zero = defaults). */
struct corpus_opts {
    const char *const *wrappers;    /* NULL-terminated keys whose array is unwrapped */
    const struct km_source *fallback; /* normalizes records no source claims */
    const struct km_source *only;   /* when set, normalizes every record */
    int lines_only;                 /* 1: always JSON Lines, no whole-file parse */
    int pretty_invalid;             /* 1: a "{\n..." file that does not parse is one
                                       invalid document, not JSON Lines */
    int split;                      /* 1: km_records + km_normalize_record */
};

struct splerr {
    const char *file;
    long line;
    int code;
    char msg[300];
};

struct set {
    struct km_arena a;              /* record copies, parse trees, built strings */
    struct rec *r;
    int n, cap;
    int bad_json;                   /* documents / lines that are not JSON */
    struct splerr e[64];            /* split mode: splitter errors */
    int ne;
    const char *cur;                /* file being read */
    const struct km_source *hint;   /* split mode: source of the previous record */
    struct corpus_opts o;
};

/* Initializes an empty set reading with options `o` (NULL: defaults).
 * Free with set_free(). */
static inline void set_init(struct set *s, const struct corpus_opts *o)
{
    memset(s, 0, sizeof *s);
    if (o)
        s->o = *o;
    km_arena_init(&s->a, 1 << 20, 0);
}

/* Frees the records and everything they point into. */
static inline void set_free(struct set *s)
{
    km_arena_free(&s->a);
    free(s->r);
    memset(s, 0, sizeof *s);
}

/* Appends a zeroed record for the current file; returns it. */
static inline struct rec *set_push(struct set *s, int line, const char *wrapper)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 64;
        s->r = realloc(s->r, (size_t)s->cap * sizeof *s->r);
    }
    struct rec *r = &s->r[s->n++];
    memset(r, 0, sizeof *r);
    r->file = s->cur ? s->cur : "test";
    r->line = line;
    r->wrapper = wrapper;
    r->ctx.arena = &s->a;
    r->ctx.file = r->file;
    r->ctx.wrapper = wrapper;
    km_event_init(&r->ev);
    km_err_clear(&r->kerr);
    return r;
}

/* Detects and normalizes one parsed record (with s->o.only, else the detected
 * source, else s->o.fallback; rc = -1 when none applies). */
static inline void add_rec(struct set *s, struct km_json *j, const char *wrapper, int line)
{
    struct rec *r = set_push(s, line, wrapper);
    r->src = km_source_detect(j, wrapper, NULL);
    const struct km_source *m = s->o.only ? s->o.only : r->src ? r->src : s->o.fallback;
    r->rc = -1;
    if (!m)
        return;
    r->rc = m->normalize(j, &r->ctx, &r->ev, &r->kerr);
    if (r->rc != KM_OK)
        km_err_fmt(&r->kerr, r->err, sizeof r->err);
}

/* Adds one parsed JSON value: unwraps a top-level array or s->o.wrappers. */
static inline void add_value(struct set *s, struct km_json *root, int line)
{
    if (km_json_is_arr(root)) {
        int k = 0;
        for (struct km_json *c = root->child; c; c = c->next)
            add_rec(s, c, NULL, ++k);
        return;
    }
    for (const char *const *w = s->o.wrappers; w && *w; w++) {
        struct km_json *arr = (struct km_json *)km_json_get(root, *w);
        if (km_json_is_arr(arr)) {
            int k = 0;
            for (struct km_json *c = arr->child; c; c = c->next)
                add_rec(s, c, *w, ++k);
            return;
        }
    }
    add_rec(s, root, NULL, line);
}

static inline int on_record(void *vctx, const struct km_record *kr)
{
    struct set *s = vctx;
    struct rec *r = set_push(s, (int)kr->line, kr->wrapper);
    r->off = kr->off;
    r->ctx.offset = kr->off;
    r->ctx.raw_n = kr->raw_n;   /* a CSV row: the raw reference is the row */
    r->rc = km_normalize_record(kr->p, kr->n, &r->ctx, NULL, &s->hint, &r->ev, &r->kerr);
    r->src = r->ctx.source;
    if (r->rc != KM_OK)
        km_err_fmt(&r->kerr, r->err, sizeof r->err);
    return 0;
}

static inline void on_error(void *vctx, const struct km_err *e)
{
    struct set *s = vctx;
    if (s->ne >= (int)KM_ARRAY_LEN(s->e))
        return;
    struct splerr *x = &s->e[s->ne++];
    x->file = s->cur;
    x->line = e->line;
    x->code = e->code;
    snprintf(x->msg, sizeof x->msg, "%s", e->msg);
}

/* Splits decoded bytes into records (see the top of the file) and adds them. */
static inline void load_bytes(struct set *s, const char *buf, size_t len)
{
    if (s->o.split) {
        s->hint = NULL;
        struct km_records_cb cb = {on_record, on_error, s};
        struct km_records *sp;
        if (km_records_new(NULL, &cb, s->cur ? s->cur : "test", &sp) != KM_OK)
            return;
        for (size_t i = 0; i < len; i += 4096)
            km_records_feed(sp, buf + i, len - i < 4096 ? len - i : 4096);
        km_records_finish(sp);
        km_records_free(sp);
        return;
    }
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) {
        buf += 3;
        len -= 3;
    }
    struct km_json *root;
    struct km_err e;
    char *copy;
    if (!s->o.lines_only) {
        copy = km_arena_strndup(&s->a, buf, len);
        km_err_clear(&e);
        if (km_json_parse(copy, len, NULL, &s->a, &root, &e) == KM_OK) {
            add_value(s, root, 1);
            return;
        }
        if (s->o.pretty_invalid && len > 1 && buf[0] == '{' && buf[1] == '\n') {
            s->bad_json++;
            return;
        }
    }
    copy = km_arena_strndup(&s->a, buf, len);
    int line = 0;
    for (size_t i = 0; i < len;) {
        size_t j = i;
        while (j < len && copy[j] != '\n')
            j++;
        line++;
        size_t k = i;
        while (k < j && (copy[k] == ' ' || copy[k] == '\t' || copy[k] == '\r'))
            k++;
        if (k < j) {
            km_err_clear(&e);
            if (km_json_parse(copy + i, j - i, NULL, &s->a, &root, &e) == KM_OK)
                add_value(s, root, line);
            else
                s->bad_json++;
        }
        i = j + 1;
    }
}

/* Reads a plain or gzip file whole (zlib reads both). Returns malloc'ed
 * bytes (caller frees) or NULL. */
static inline char *read_gz(const char *path, size_t *len)
{
    gzFile g = gzopen(path, "rb");
    if (!g)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *p = malloc(cap);
    int k;
    while ((k = gzread(g, p + n, (unsigned)(cap - n))) > 0) {
        n += (size_t)k;
        if (n == cap)
            p = realloc(p, cap *= 2);
    }
    gzclose(g);
    if (k < 0) {
        free(p);
        return NULL;
    }
    *len = n;
    return p;
}

/* Loads one corpus file (plain or gzip). Returns 0, or -1 when unreadable. */
static inline int load_file(struct set *s, const char *rel)
{
    char path[2048];
    snprintf(path, sizeof path, "%s/%s", t_corpus(), rel);
    size_t len;
    char *b = read_gz(path, &len);
    if (!b) {
        fprintf(stderr, "  cannot read %s\n", path);
        return -1;
    }
    s->cur = km_arena_strndup(&s->a, rel, strlen(rel));
    load_bytes(s, b, len);
    s->cur = NULL;
    free(b);
    return 0;
}

/* Loads every member of a zip with libarchive. Returns the member count, or
 * -1 when the archive cannot be opened. */
static inline int load_zip(struct set *s, const char *rel)
{
    char path[2048];
    snprintf(path, sizeof path, "%s/%s", t_corpus(), rel);
    struct archive *ar = archive_read_new();
    archive_read_support_format_zip(ar);
    archive_read_support_filter_all(ar);
    if (archive_read_open_filename(ar, path, 1 << 16) != ARCHIVE_OK) {
        fprintf(stderr, "  cannot open %s: %s\n", path, archive_error_string(ar));
        archive_read_free(ar);
        return -1;
    }
    struct archive_entry *en;
    int members = 0;
    while (archive_read_next_header(ar, &en) == ARCHIVE_OK) {
        size_t cap = 1 << 16, n = 0;
        char *p = malloc(cap);
        la_ssize_t k;
        while ((k = archive_read_data(ar, p + n, cap - n)) > 0) {
            n += (size_t)k;
            if (n == cap)
                p = realloc(p, cap *= 2);
        }
        if (k == 0) {
            char name[2048];
            snprintf(name, sizeof name, "%s:%s", rel, archive_entry_pathname(en));
            s->cur = km_arena_strndup(&s->a, name, strlen(name));
            load_bytes(s, p, n);
            s->cur = NULL;
            members++;
        }
        free(p);
    }
    archive_read_free(ar);
    return members;
}

/* Loads every file of a corpus directory whose name ends in `suffix`, in
 * sorted order. Returns how many files matched, or -1. */
static inline int load_dir(struct set *s, const char *rel, const char *suffix)
{
    char path[2048];
    snprintf(path, sizeof path, "%s/%s", t_corpus(), rel);
    struct dirent **names;
    int n = scandir(path, &names, NULL, alphasort);
    if (n < 0)
        return -1;
    int used = 0;
    for (int i = 0; i < n; i++) {
        size_t l = strlen(names[i]->d_name), sl = strlen(suffix);
        if (l > sl && strcmp(names[i]->d_name + l - sl, suffix) == 0) {
            char f[2048];
            snprintf(f, sizeof f, "%s/%s", rel, names[i]->d_name);
            load_file(s, f);
            used++;
        }
        free(names[i]);
    }
    free(names);
    return used;
}

/* Parses one hand-written record (a private copy) into the set as if read
 * under `wrapper`. Returns the record, or NULL when text is not JSON. */
static inline struct rec *add_text(struct set *s, const char *text, const char *wrapper)
{
    size_t n = strlen(text);
    char *copy = km_arena_strndup(&s->a, text, n);
    struct km_json *root;
    struct km_err e;
    km_err_clear(&e);
    if (km_json_parse(copy, n, NULL, &s->a, &root, &e) != KM_OK) {
        fprintf(stderr, "  test record is not JSON: %s\n", e.msg);
        return NULL;
    }
    add_rec(s, root, wrapper, s->n + 1);
    return &s->r[s->n - 1];
}

/* ---- lookups and field text ---------------------------------------------------- */

/* A field's text, "(absent)" when unset; rotating static buffers (8 live). */
static inline const char *fs(const struct km_event *ev, enum km_field f)
{
    static char b[8][4096];
    static int k;
    struct km_str v = ev->f[f];
    if (!v.p)
        return "(absent)";
    k = (k + 1) % 8;
    snprintf(b[k], sizeof b[k], "%.*s", (int)v.n, v.p);
    return b[k];
}

/* A timestamp (microseconds) as km_time_fmt text; rotating buffers (4 live). */
static inline const char *tm(int64_t us)
{
    static char b[4][32];
    static int k;
    k = (k + 1) % 4;
    km_time_fmt(us, b[k]);
    return b[k];
}

/* The first record at `line` (see struct rec), or NULL (with a message). */
static inline struct rec *by_line(struct set *s, int line)
{
    for (int i = 0; i < s->n; i++)
        if (s->r[i].line == line)
            return &s->r[i];
    fprintf(stderr, "  no record at line %d\n", line);
    return NULL;
}

/* The first record whose event_id is `id`, or NULL (with a message). */
static inline struct rec *by_id(struct set *s, const char *id)
{
    for (int i = 0; i < s->n; i++)
        if (km_str_eqc(s->r[i].ev.f[KM_F_EVENT_ID], id))
            return &s->r[i];
    fprintf(stderr, "  no record with event_id %s\n", id);
    return NULL;
}

/* The first record of a file whose name ends in `tail` (and, when id is not
 * NULL, whose event_id is id), or NULL (with a message). */
static inline struct rec *find(struct set *s, const char *tail, const char *id)
{
    size_t tl = strlen(tail);
    for (int i = 0; i < s->n; i++) {
        size_t fl = strlen(s->r[i].file);
        if (fl >= tl && strcmp(s->r[i].file + fl - tl, tail) == 0 &&
            (!id || km_str_eqc(s->r[i].ev.f[KM_F_EVENT_ID], id)))
            return &s->r[i];
    }
    fprintf(stderr, "  no record in %s%s%s\n", tail, id ? " with id " : "", id ? id : "");
    return NULL;
}

/* Fails the test and returns from it when r is NULL. */
#define NEED(r)               \
    do {                      \
        T_CHECK((r) != NULL); \
        if (!(r))             \
            return;           \
    } while (0)

#endif
