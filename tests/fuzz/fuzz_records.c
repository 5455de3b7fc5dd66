/*
 * fuzz_records.c — libFuzzer target for the streaming record splitter.
 *
 * The first input byte picks a chunking seed; the rest is the stream. It is
 * split three times: one-shot, in fuzzer-chosen chunk sizes through the
 * copying km_records_feed, and in other chunk sizes through the zero-copy
 * km_records_feed_mut with every record scribbled over after the callback
 * (as the in-place parser does). Checks: each record is exactly the input
 * bytes at its offset, starts with '{' and ends with '}', records come in
 * increasing, non-overlapping offsets, line numbers match the newlines
 * before the offset, every error offset lies within the input — and all
 * three runs report the same records and errors.
 */
#include "ingest/records.h"

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

static int fz_rec(void *ctx, const struct km_record *r)
{
    struct fz *f = ctx;
    long line = 1;
    if (r->n < 2 || r->off + r->n > f->n || r->off < f->next_off)
        abort();
    if (memcmp(r->p, f->in + r->off, r->n) != 0)
        abort();
    if (r->p[0] != '{' || r->p[r->n - 1] != '}')
        abort();
    for (uint64_t i = 0; i < r->off; i++)
        line += f->in[i] == '\n';
    if (line != r->line)
        abort();
    if (r->shape < KM_SHAPE_ARRAY || r->shape > KM_SHAPE_PREFIXED)
        abort();
    if ((r->shape == KM_SHAPE_WRAPPED) != (r->wrapper != NULL))
        abort();
    f->next_off = r->off + r->n;
    fz_mix(f, r->off);
    fz_mix(f, r->n);
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
