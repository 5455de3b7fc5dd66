/*
 * fuzz_query.c — libFuzzer target for the query language front end.
 *
 * Parses the input (copied into an exact-size heap buffer so ASan sees any
 * read past the end) from a small arena. On failure the error must be
 * consistent (code set, offset within the input, line/column >= 1, a
 * message) and must render. On success the canonical dump must parse again
 * and dump to the same bytes (dump is a fixed point of parse∘dump), and the
 * parenthesized dump must parse to the same tree — unless the dump is longer
 * than the query limit (escapes and spacing may grow it), or, for the
 * parenthesized form, nests past the depth limit.
 */
#include "query/query.h"

#include <stdlib.h>
#include <string.h>

static char *km_fuzz_dump(const struct km_query *q, unsigned flags, size_t *len)
{
    size_t n = 0;
    km_query_dump(q, flags, NULL, 0, &n);
    char *b = malloc(n + 1);
    if (km_query_dump(q, flags, b, n + 1, len) != KM_OK || *len != n || strlen(b) != n)
        abort();
    return b;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size ? size : 1);
    if (size)
        memcpy(buf, data, size);
    struct km_arena a;
    km_arena_init(&a, 4096, 64 << 20);
    struct km_query *q = NULL;
    struct km_query_err e;
    km_query_err_clear(&e);
    int rc = km_query_parse(buf, size, &a, &q, &e);
    if (rc != KM_OK) {
        if (q || e.code != rc || e.offset > size || e.line < 1 || e.col < 1 || !e.msg[0])
            abort();
        char r[2048];
        size_t len = 0;
        int rr = km_query_err_render(&e, buf, size, r, sizeof r, &len);
        if ((rr != KM_OK && rr != KM_ELIMIT) || strlen(r) >= sizeof r)
            abort();
    } else {
        size_t n1 = 0, n2 = 0;
        char *d1 = km_fuzz_dump(q, 0, &n1);
        if (n1 <= KM_QUERY_MAX_LEN) {
            struct km_query *q2 = NULL;
            km_query_err_clear(&e);
            if (km_query_parse(d1, n1, &a, &q2, &e) != KM_OK)
                abort();
            char *d2 = km_fuzz_dump(q2, 0, &n2);
            if (n1 != n2 || memcmp(d1, d2, n1) != 0)
                abort();
            free(d2);
        }
        char *p1 = km_fuzz_dump(q, KM_QUERY_DUMP_PARENS, &n2);
        struct km_query *q3 = NULL;
        km_query_err_clear(&e);
        int r3 = n2 <= KM_QUERY_MAX_LEN ? km_query_parse(p1, n2, &a, &q3, &e) : KM_ELIMIT;
        if (r3 == KM_OK) {
            size_t n3 = 0;
            char *d3 = km_fuzz_dump(q3, 0, &n3);
            if (n3 != n1 || memcmp(d3, d1, n1) != 0)
                abort();
            free(d3);
        } else if (r3 != KM_ELIMIT) {
            abort();
        }
        free(p1);
        free(d1);
    }
    km_arena_free(&a);
    free(buf);
    return 0;
}
