/*
 * test_arena.c — the arena allocator (src/core/util.c): 16-byte alignment,
 * the byte ceiling counted exactly, sizes so large that rounding them up
 * would wrap (refused, not turned into tiny blocks), strndup at the ceiling,
 * and reset/free reusing memory.
 */
#include "core/km.h"
#include "t.h"

#include <stdint.h>

static void test_alignment_and_copy(void)
{
    struct km_arena a;
    km_arena_init(&a, 256, 0);
    for (size_t n = 1; n < 100; n += 7) {
        char *p = km_arena_alloc(&a, n);
        T_CHECK(p != NULL);
        T_EQ_INT((uintptr_t)p % 16, 0);
        memset(p, 'x', n);
    }
    char *s = km_arena_strndup(&a, "hello world", 5);
    T_EQ_STR(s, "hello");
    km_arena_free(&a);
}

static void test_ceiling(void)
{
    struct km_arena a;
    km_arena_init(&a, 1024, 4096);
    int got = 0;
    while (km_arena_alloc(&a, 1000))
        got++;
    T_EQ_INT(got, 4); /* one 1000-byte allocation per 1024-byte block */
    T_CHECK(a.total <= 4096);
    T_CHECK(km_arena_alloc(&a, 5000) == NULL);
    km_arena_reset(&a);
    T_CHECK(km_arena_alloc(&a, 1000) != NULL);
    km_arena_free(&a);
    T_EQ_INT(a.total, 0);
}

static void test_huge_sizes_refused(void)
{
    struct km_arena a;
    km_arena_init(&a, 1024, 0);
    T_CHECK(km_arena_alloc(&a, SIZE_MAX) == NULL);
    T_CHECK(km_arena_alloc(&a, SIZE_MAX - 8) == NULL);
    T_CHECK(km_arena_alloc(&a, ((size_t)1 << 30) + 1) == NULL);
    T_CHECK(km_arena_strndup(&a, "x", SIZE_MAX) == NULL);
    T_CHECK(km_arena_strndup(&a, "x", (size_t)1 << 30) == NULL);
    T_EQ_INT(a.total, 0);
    /* a ceiling near SIZE_MAX: the total check must not wrap either */
    struct km_arena b;
    km_arena_init(&b, 1024, SIZE_MAX);
    T_CHECK(km_arena_alloc(&b, 100) != NULL);
    T_CHECK(km_arena_alloc(&b, SIZE_MAX - 100) == NULL);
    T_CHECK(km_arena_alloc(&b, SIZE_MAX) == NULL);
    km_arena_free(&a);
    km_arena_free(&b);
}

int main(void)
{
    T_RUN(test_alignment_and_copy);
    T_RUN(test_ceiling);
    T_RUN(test_huge_sizes_refused);
    return t_done();
}
