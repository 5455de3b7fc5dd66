/*
 * fuzz_timeline.c — libFuzzer target for the pure parts of `kumo timeline`
 * and `kumo entity` (src/cli/timeline.h).
 *
 * Input: a needle, a newline, a resources text. Resource matching must not
 * crash on any text; the terminal fit of the input must contain no control
 * byte (C0, DEL, or a C1 control encoded in UTF-8) and never take more
 * columns than asked; the top-N counter must count every value once.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/timeline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *nl = memchr(data, '\n', size);
    size_t xn = nl ? (size_t)((const uint8_t *)nl - data) : size;
    char *x = malloc(xn + 1);
    if (!x)
        return 0;
    memcpy(x, data, xn);
    x[xn] = 0;
    struct km_str res = {nl ? nl + 1 : NULL, nl ? (uint32_t)(size - xn - 1) : 0};
    struct km_arena a;
    km_arena_init(&a, 4096, 1 << 22);
    (void)km_tl_resource_match(res, x, &a);
    (void)km_tl_kind_guess(x);
    km_arena_free(&a);

    int cols = size ? 1 + data[0] % 80 : 1;
    struct km_buf b;
    km_buf_init(&b, 0);
    km_tl_fit(&b, (const char *)data, size, cols, size & 1);
    int used = 0;
    for (size_t i = 0; i < b.n; i++) {
        unsigned char c = (unsigned char)b.p[i];
        if (c < 0x20 || c == 0x7f)
            abort();
        if (c == 0xc2 && i + 1 < b.n && (unsigned char)b.p[i + 1] >= 0x80 &&
            (unsigned char)b.p[i + 1] <= 0x9f)
            abort();
        if ((c & 0xc0) != 0x80 || c >= 0xc0)
            used++; /* a lower bound of the columns: a stray byte counts in the fit */
    }
    if (used > cols && size)
        abort();
    km_buf_free(&b);

    struct km_topn *t = km_topn_new(4);
    for (size_t i = 0; i < size; i += 3)
        km_topn_add(t, (const char *)data + i, size - i < 3 ? size - i : 3);
    struct km_topn_item it[4];
    size_t n = km_topn_top(t, it, 4);
    uint64_t sum = km_topn_other(t);
    for (size_t i = 0; i < n; i++)
        sum += it[i].count;
    if (sum != km_topn_total(t) || km_topn_total(t) != (size + 2) / 3)
        abort();
    km_topn_free(t);
    free(x);
    return 0;
}
