/*
 * fuzz_json.c — libFuzzer target for the JSON parser and writer.
 *
 * Parses the input (copied into an exact-size heap buffer so ASan sees any
 * read or write past the end) with small limits. When parsing succeeds it
 * checks the tree's member counts, re-serialises it with km_json_write_value,
 * requires the output to parse, and requires a second write to reproduce the
 * first byte for byte (the writer's output is a fixed point). A few lookups
 * and conversions run on the result.
 */
#include "json/json.h"

#include <stdlib.h>
#include <string.h>

static void km_fuzz_walk(const struct km_json *v, int depth)
{
    if (!v || depth > 64)
        return;
    uint32_t count = 0;
    for (const struct km_json *c = v->child; c; c = c->next) {
        count++;
        if (v->type == KM_JSON_OBJECT && !c->key)
            abort();
        km_fuzz_walk(c, depth + 1);
    }
    if ((v->type == KM_JSON_OBJECT || v->type == KM_JSON_ARRAY) && count != v->len)
        abort();
    int64_t i;
    double d;
    (void)km_json_i64(v, &i);
    (void)km_json_f64(v, &d);
    struct km_str s = km_json_sv(v);
    if (s.p && v->type == KM_JSON_STRING && s.p[s.n] != 0)
        abort(); /* strings are NUL-terminated */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct km_json_limits lim = {.max_depth = 48, .max_doc = 1 << 16, .max_string = 4096};
    char *buf = malloc(size ? size : 1);
    if (size)
        memcpy(buf, data, size);
    struct km_arena a;
    km_arena_init(&a, 4096, 16 << 20);
    struct km_json *root = NULL;
    struct km_err e;
    km_err_clear(&e);
    int rc = km_json_parse(buf, size, &lim, &a, &root, &e);
    if (rc != KM_OK) {
        if (root || e.code != rc || e.offset > size)
            abort();
    } else {
        km_fuzz_walk(root, 0);
        (void)km_json_path(root, "a.0.b");
        (void)km_json_path(root, "0");
        (void)km_json_geti(root, "KEY");
        (void)km_json_get(root, "");

        struct km_buf b1;
        km_buf_init(&b1, 0);
        km_json_write_value(&b1, root);
        if (b1.oom)
            abort();
        /* parse a copy of the output (the parser modifies it) */
        char *copy = malloc(b1.n ? b1.n : 1);
        memcpy(copy, b1.p, b1.n);
        struct km_json *r2 = NULL;
        struct km_json_limits big = {.max_depth = 48, .max_doc = 1 << 20, .max_string = 1 << 20};
        km_err_clear(&e);
        if (km_json_parse(copy, b1.n, &big, &a, &r2, &e) != KM_OK)
            abort();
        struct km_buf b2;
        km_buf_init(&b2, 0);
        km_json_write_value(&b2, r2);
        if (b2.n != b1.n || memcmp(b1.p, b2.p, b1.n) != 0)
            abort();
        km_buf_free(&b1);
        km_buf_free(&b2);
        free(copy);
    }
    /* the writer on raw bytes always yields a string the parser accepts */
    struct km_buf w;
    km_buf_init(&w, 0);
    km_json_write_str(&w, (const char *)data, size);
    struct km_json *r3 = NULL;
    km_err_clear(&e);
    if (w.oom || km_json_parse(w.p, w.n, NULL, &a, &r3, &e) != KM_OK ||
        r3->type != KM_JSON_STRING)
        abort();
    km_buf_free(&w);
    km_arena_free(&a);
    free(buf);
    return 0;
}
