/*
 * fuzz_records.c — libFuzzer target for the streaming record splitter.
 *
 * The first input byte picks a chunking seed; the rest is the stream. It is
 * split three times: one-shot, in fuzzer-chosen chunk sizes through the
 * copying km_records_feed, and in other chunk sizes through the zero-copy
 * km_records_feed_mut with every record scribbled over after the callback
 * (as the in-place parser does). Checks: each JSON-shape record is exactly
 * the input bytes at its offset, starts with '{' and ends with '}'; a CSV
 * record's raw_n bytes at its offset are a row (in the input, not starting
 * with a newline) and its JSON is a valid object equal to what
 * km_csv_row_to_json builds from the header km_csv_header_find finds (the
 * `kumo show` path); records come in increasing, non-overlapping offsets,
 * line numbers match the newlines before the offset, every error offset lies
 * within the input — and all three runs report the same records and errors.
 */
#include "ingest/records.h"
#include "json/json.h"

#include <stdlib.h>
#include <string.h>

struct fz {
    const unsigned char *in;
    size_t n;
    uint64_t next_off; /* records must not start before this */
    uint64_t h;        /* running hash of everything reported */
    int scribble;
};

static void fz_mix(struct fz *f, uint64_t v)
{
    f->h = (f->h ^ v) * 0x100000001b3ULL;
}

/* A CSV record: the row is input, the JSON valid and what `kumo show`
 * rebuilds from the row and the header. */
static void fz_csv(struct fz *f, const struct km_record *r)
{
    size_t hs, hl;
    char delim;
    struct km_buf b;
    struct km_arena a;
    struct km_json *root;
    struct km_err e;
    char *copy;
    if (r->raw_n < 1 || r->off + r->raw_n > f->n || f->in[r->off] == '\n')
        abort();
    if (km_csv_header_find((const char *)f->in, f->n, &hs, &hl, &delim, NULL) != KM_OK)
        abort();
    if (hs + hl > r->off)
        abort();
    km_buf_init(&b, 0);
    if (km_csv_row_to_json((const char *)f->in + hs, hl, (const char *)f->in + r->off, r->raw_n,
                           delim, &b, NULL) != KM_OK ||
        b.n != r->n || memcmp(b.p, r->p, r->n) != 0)
        abort();
    km_buf_free(&b);
    km_arena_init(&a, 0, 0);
    copy = km_arena_strndup(&a, r->p, r->n);
    km_err_clear(&e);
    if (!copy || km_json_parse(copy, r->n, NULL, &a, &root, &e) != KM_OK ||
        !km_json_is_obj(root) || !root->child)
        abort();
    km_arena_free(&a);
}

static int fz_rec(void *ctx, const struct km_record *r)
{
    struct fz *f = ctx;
    long line = 1;
    if (r->n < 2 || r->off < f->next_off)
        abort();
    if (r->shape == KM_SHAPE_CSV) {
        fz_csv(f, r);
        for (size_t i = 0; i < r->n; i++)
            fz_mix(f, (unsigned char)r->p[i]);
    } else if (r->off + r->n > f->n || r->raw_n != r->n ||
               memcmp(r->p, f->in + r->off, r->n) != 0) {
        abort();
    }
    if (r->p[0] != '{' || r->p[r->n - 1] != '}')
        abort();
    for (uint64_t i = 0; i < r->off; i++)
        line += f->in[i] == '\n';
    if (line != r->line)
        abort();
    if (r->shape < KM_SHAPE_ARRAY || r->shape > KM_SHAPE_CSV)
        abort();
    if ((r->shape == KM_SHAPE_WRAPPED) != (r->wrapper != NULL))
        abort();
    f->next_off = r->off + r->raw_n;
    fz_mix(f, r->off);
    fz_mix(f, r->n);
    fz_mix(f, r->raw_n);
    fz_mix(f, (uint64_t)r->line);
    fz_mix(f, (uint64_t)r->shape);
    if (f->scribble)
        memset(r->p, '\n', r->n);
    return 0;
}

static void fz_err(void *ctx, const struct km_err *e)
{
    struct fz *f = ctx;
    if (e->offset != UINT64_MAX && e->offset > f->n)
        abort();
    if (e->code <= 0 || e->code >= KM__RC_COUNT)
        abort();
    fz_mix(f, 0xE0000000ULL + (uint64_t)e->code);
    fz_mix(f, e->offset);
    fz_mix(f, (uint64_t)e->line);
    for (const char *p = e->msg; *p; p++)
        fz_mix(f, (unsigned char)*p);
}

static uint64_t fz_run(const unsigned char *in, size_t n, unsigned seed, int mode)
{
    struct fz f = {in, n, 0, 14695981039346656037ULL, mode == 2};
    struct km_records_limits lim = {300, 12};
    struct km_records_cb cb = {fz_rec, fz_err, &f};
    struct km_records *r;
    size_t pos = 0;
    if (km_records_new(&lim, &cb, "fuzz", &r) != KM_OK)
        abort();
    while (pos < n) {
        size_t k = n - pos;
        if (mode) {
            seed = seed * 1103515245u + 12345u;
            k = 1 + (seed >> 16) % (mode == 1 ? 7 : 97);
            if (k > n - pos)
                k = n - pos;
        }
        if (mode == 2) {
            char *c = malloc(k);
            memcpy(c, in + pos, k);
            km_records_feed_mut(r, c, k);
            free(c);
        } else {
            km_records_feed(r, (const char *)in + pos, k);
        }
        pos += k;
    }
    km_records_finish(r);
    km_records_free(r);
    return f.h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned seed;
    uint64_t a, b, c;
    if (size < 1)
        return 0;
    seed = data[0];
    data++;
    size--;
    a = fz_run(data, size, seed, 0);
    b = fz_run(data, size, seed, 1);
    c = fz_run(data, size, seed, 2);
    if (a != b || a != c)
        abort();
    return 0;
}
