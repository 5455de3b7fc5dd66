/*
 * util.c — string views, the arena, checked allocation and logging.
 */
#include "core/km.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int km_verbosity = 1;

int km_str_eq(struct km_str a, struct km_str b)
{
    return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0);
}

int km_str_eqc(struct km_str a, const char *c)
{
    size_t n = strlen(c);
    return a.p && a.n == n && memcmp(a.p, c, n) == 0;
}

int km_str_starts(struct km_str s, const char *pre)
{
    size_t n = strlen(pre);
    return s.p && s.n >= n && memcmp(s.p, pre, n) == 0;
}

int km_str_starts_ci(struct km_str s, const char *pre)
{
    size_t n = strlen(pre);
    return s.p && s.n >= n && strncasecmp(s.p, pre, n) == 0;
}

int km_str_ends(struct km_str s, const char *suf)
{
    size_t n = strlen(suf);
    return s.p && s.n >= n && memcmp(s.p + s.n - n, suf, n) == 0;
}

int km_str_ends_ci(struct km_str s, const char *suf)
{
    size_t n = strlen(suf);
    return s.p && s.n >= n && strncasecmp(s.p + s.n - n, suf, n) == 0;
}

int km_email_shaped(const char *p, size_t n)
{
    if (n < 5 || n > 254)
        return 0;
    size_t at = n;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == '@') {
            if (at != n)
                return 0;
            at = i;
        } else if (c <= ' ' || c == 0x7f || c == ',' || c == ':' || c == ';' || c == '/' ||
                   c == '\\' || c == '"' || c == '<' || c == '>') {
            return 0;
        }
    }
    if (at == 0 || at >= n - 1)
        return 0;
    for (size_t i = at + 2; i + 1 < n; i++)
        if (p[i] == '.')
            return 1;
    return 0;
}

struct km_arena_block {
    struct km_arena_block *next;
    size_t size;  /* usable bytes in data[] */
    size_t used;
    _Alignas(16) unsigned char data[];
};

void km_arena_init(struct km_arena *a, size_t block_size, size_t limit)
{
    a->head = NULL;
    a->block_size = block_size ? block_size : 64 * 1024;
    a->total = 0;
    a->limit = limit ? limit : (size_t)1 << 30;
}

void *km_arena_alloc(struct km_arena *a, size_t n)
{
    if (n > a->limit || n > SIZE_MAX / 2)
        return NULL; /* also keeps the rounding below from wrapping */
    n = (n + 15) & ~(size_t)15;
    struct km_arena_block *b = a->head;
    if (!b || b->size - b->used < n) {
        size_t sz = n > a->block_size ? n : a->block_size;
        if (a->total > a->limit || sz > a->limit - a->total)
            return NULL;
        b = malloc(sizeof *b + sz);
        if (!b)
            return NULL;
        b->size = sz;
        b->used = 0;
        b->next = a->head;
        a->head = b;
        a->total += sz;
    }
    void *p = b->data + b->used;
    b->used += n;
    return p;
}

char *km_arena_strndup(struct km_arena *a, const char *s, size_t n)
{
    if (n >= a->limit)
        return NULL; /* n + 1 past the ceiling (or wrapping to 0) */
    char *p = km_arena_alloc(a, n + 1);
    if (!p)
        return NULL;
    if (n)
        memcpy(p, s, n);
    p[n] = 0;
    return p;
}

void km_arena_reset(struct km_arena *a)
{
    struct km_arena_block *b = a->head;
    if (!b)
        return;
    /* keep the oldest block of default size, free the rest */
    struct km_arena_block *keep = NULL;
    while (b) {
        struct km_arena_block *n = b->next;
        if (!keep && b->size == a->block_size && !n)
            keep = b;
        else
            free(b);
        b = n;
    }
    a->head = keep;
    a->total = keep ? keep->size : 0;
    if (keep)
        keep->used = 0;
}

void km_arena_free(struct km_arena *a)
{
    struct km_arena_block *b = a->head;
    while (b) {
        struct km_arena_block *n = b->next;
        free(b);
        b = n;
    }
    a->head = NULL;
    a->total = 0;
}

static void km_oom(size_t n)
{
    fprintf(stderr, "kumo: out of memory allocating %zu bytes\n", n);
    abort();
}

void *km_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        km_oom(n);
    return p;
}

void *km_xcalloc(size_t n, size_t m)
{
    void *p = calloc(n ? n : 1, m ? m : 1);
    if (!p)
        km_oom(n * m);
    return p;
}

void *km_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        km_oom(n);
    return q;
}

char *km_xstrdup(const char *s)
{
    size_t n = strlen(s);
    char *p = km_xmalloc(n + 1);
    memcpy(p, s, n + 1);
    return p;
}

void km_log(int level, const char *fmt, ...)
{
    if (level > km_verbosity)
        return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
}
