/*
 * t.h — the tiny unit-test harness. Each tests/unit/test_*.c is one program:
 *
 *     static void test_something(void) { T_CHECK(1 + 1 == 2); }
 *     int main(void) { T_RUN(test_something); return t_done(); }
 *
 * Each T_RUN prints "ok - name" or "FAIL - name"; tests/run.sh counts them and
 * prints the closing "N passed, N failed" line. A failing check prints the
 * file, line and expression. KUMO_CORPUS gives the corpus directory
 * (default ../shared/corpus relative to the repository).
 */
#ifndef KM_T_H
#define KM_T_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int t_fail_in_test, t_passed, t_failed;

#define T_CHECK(c)                                                                   \
    do {                                                                             \
        if (!(c)) {                                                                  \
            fprintf(stderr, "  %s:%d: check failed: %s\n", __FILE__, __LINE__, #c); \
            t_fail_in_test++;                                                        \
        }                                                                            \
    } while (0)

#define T_EQ_INT(a, b)                                                                       \
    do {                                                                                     \
        long long t_a_ = (long long)(a), t_b_ = (long long)(b);                              \
        if (t_a_ != t_b_) {                                                                  \
            fprintf(stderr, "  %s:%d: %s == %lld, expected %lld\n", __FILE__, __LINE__, #a, \
                    t_a_, t_b_);                                                             \
            t_fail_in_test++;                                                                \
        }                                                                                    \
    } while (0)

#define T_EQ_STR(a, b)                                                                     \
    do {                                                                                   \
        const char *t_a_ = (a), *t_b_ = (b);                                               \
        if (!t_a_ || !t_b_ || strcmp(t_a_, t_b_) != 0) {                                   \
            fprintf(stderr, "  %s:%d: %s == \"%s\", expected \"%s\"\n", __FILE__, __LINE__, \
                    #a, t_a_ ? t_a_ : "(null)", t_b_ ? t_b_ : "(null)");                   \
            t_fail_in_test++;                                                              \
        }                                                                                  \
    } while (0)

#define T_RUN(fn)                                                 \
    do {                                                          \
        t_fail_in_test = 0;                                       \
        fn();                                                     \
        if (t_fail_in_test) {                                     \
            printf("FAIL - %s\n", #fn);                           \
            t_failed++;                                           \
        } else {                                                  \
            printf("ok - %s\n", #fn);                             \
            t_passed++;                                           \
        }                                                         \
        fflush(stdout);                                           \
    } while (0)

static inline int t_done(void) { return t_failed ? 1 : 0; }

static inline const char *t_corpus(void)
{
    const char *c = getenv("KUMO_CORPUS");
    return c && *c ? c : "../shared/corpus";
}

#endif
