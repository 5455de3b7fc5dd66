/*
 * test_timeline.c — the pure parts of `kumo timeline` and `kumo entity`
 * (src/cli/timeline.h): burst grouping and keys, resource matching, entity
 * kind detection, terminal fitting and the capped top-N counter.
 */
#include "cli/timeline.h"
#include "t.h"

#include <stdint.h>
#include <string.h>

#define S 1000000LL

/* Groups times/keys like the command does; writes each burst's size into
 * sizes[] and returns the number of bursts. */
static int group(const int64_t *t, const uint64_t *k, int n, int64_t window, uint64_t *sizes)
{
    struct km_tl_burst b = {0};
    int nb = 0;
    for (int i = 0; i < n; i++) {
        if (!km_tl_burst_continues(&b, t[i], k[i], window) && b.count)
            sizes[nb++] = b.count;
        km_tl_burst_add(&b, t[i], k[i], window);
    }
    if (b.count)
        sizes[nb++] = b.count;
    return nb;
}

static void test_burst_grouping(void)
{
    /* five calls 10 s apart, one 61 s later, then another key, then the first
     * key again right away (not consecutive any more: a new burst) */
    int64_t t[] = {0, 10 * S, 20 * S, 30 * S, 90 * S, 151 * S, 152 * S, 153 * S};
    uint64_t k[] = {1, 1, 1, 1, 1, 1, 2, 1};
    uint64_t sz[8];
    int nb = group(t, k, 8, KM_TL_BURST_WINDOW_US, sz);
    T_EQ_INT(nb, 4);
    T_EQ_INT(sz[0], 5); /* 0..90 s: every gap <= 60 s */
    T_EQ_INT(sz[1], 1); /* 151 s: 61 s after 90 s */
    T_EQ_INT(sz[2], 1);
    T_EQ_INT(sz[3], 1);
    /* the gap is inclusive: exactly 60 s joins, one microsecond more does not */
    int64_t t2[] = {0, 60 * S, 120 * S + 1};
    uint64_t k2[] = {7, 7, 7};
    nb = group(t2, k2, 3, KM_TL_BURST_WINDOW_US, sz);
    T_EQ_INT(nb, 2);
    T_EQ_INT(sz[0], 2);
    /* window 0 (--no-group): every event alone */
    T_EQ_INT(group(t, k, 8, 0, sz), 8);
    /* the burst remembers its span */
    struct km_tl_burst b = {0};
    T_EQ_INT(km_tl_burst_add(&b, 5 * S, 3, 60 * S), 1);
    T_EQ_INT(km_tl_burst_add(&b, 50 * S, 3, 60 * S), 0);
    T_EQ_INT(b.first, 5 * S);
    T_EQ_INT(b.last, 50 * S);
    T_EQ_INT(b.count, 2);
}

static void ev_set(struct km_event *ev, int f, const char *v) { ev->f[f] = km_str_c(v); }

static void test_burst_key(void)
{
    struct km_event a, b;
    km_event_init(&a);
    ev_set(&a, KM_F_PROVIDER, "aws");
    ev_set(&a, KM_F_ACTOR_NAME, "alice");
    ev_set(&a, KM_F_ACTION, "ListUsers");
    ev_set(&a, KM_F_SERVICE, "iam.amazonaws.com");
    ev_set(&a, KM_F_SRC_IP, "198.51.100.7");
    ev_set(&a, KM_F_OUTCOME, "success");
    ev_set(&a, KM_F_EVENT_ID, "one");
    b = a;
    ev_set(&b, KM_F_EVENT_ID, "two");       /* not part of the key */
    ev_set(&b, KM_F_USER_AGENT, "curl");    /* nor this */
    T_CHECK(km_tl_burst_key(&a) == km_tl_burst_key(&b));
    ev_set(&b, KM_F_OUTCOME, "unknown");    /* Start / Success: one burst */
    T_CHECK(km_tl_burst_key(&a) == km_tl_burst_key(&b));
    ev_set(&b, KM_F_OUTCOME, "failure");    /* a failure never hides in a success burst */
    T_CHECK(km_tl_burst_key(&a) != km_tl_burst_key(&b));
    /* an interrupt (Entra MFA prompt) joins neither the successes nor the failures */
    struct km_event c = a;
    ev_set(&c, KM_F_OUTCOME, "interrupted");
    T_CHECK(km_tl_burst_key(&c) != km_tl_burst_key(&a));
    T_CHECK(km_tl_burst_key(&c) != km_tl_burst_key(&b));
    b = a;
    ev_set(&b, KM_F_SRC_IP, "198.51.100.8");
    T_CHECK(km_tl_burst_key(&a) != km_tl_burst_key(&b));
    b = a;
    ev_set(&b, KM_F_ACTION, "ListRoles");
    T_CHECK(km_tl_burst_key(&a) != km_tl_burst_key(&b));
    b = a;
    ev_set(&b, KM_F_ACTOR_EMAIL, "alice@example.org"); /* the e-mail names the actor */
    T_CHECK(km_tl_burst_key(&a) != km_tl_burst_key(&b));
    /* field boundaries count: "ab"+"c" is not "a"+"bc" */
    b = a;
    ev_set(&a, KM_F_ACTION, "ab");
    ev_set(&a, KM_F_SERVICE, "c");
    ev_set(&b, KM_F_ACTION, "a");
    ev_set(&b, KM_F_SERVICE, "bc");
    T_CHECK(km_tl_burst_key(&a) != km_tl_burst_key(&b));
    /* absent is not empty */
    b = a;
    a.f[KM_F_SERVICE] = KM_STR_NONE;
    b.f[KM_F_SERVICE] = (struct km_str){"", 0};
    T_CHECK(km_tl_burst_key(&a) != km_tl_burst_key(&b));
}

static int rmatch(const char *json, const char *x)
{
    struct km_arena a;
    km_arena_init(&a, 4096, 1 << 20);
    int r = km_tl_resource_match(km_str_c(json), x, &a);
    km_arena_free(&a);
    return r;
}

static void test_resource_match(void)
{
    const char *ct = "[{\"type\":\"AWS::CloudTrail::Trail\",\"id\":\"arn:aws:cloudtrail:eu-west-1:"
                     "711867359642:trail/org-audit-trail\",\"account\":\"711867359642\"},"
                     "{\"type\":\"AWS::S3::Bucket\",\"id\":\"arn:aws:s3:::logs-bucket\"}]";
    T_EQ_INT(rmatch(ct, "arn:aws:cloudtrail:eu-west-1:711867359642:trail/org-audit-trail"), 1);
    T_EQ_INT(rmatch(ct, "org-audit-trail"), 1);       /* after the last '/' */
    T_EQ_INT(rmatch(ct, "logs-bucket"), 1);           /* after the last ':' */
    T_EQ_INT(rmatch(ct, "trail/org-audit-trail"), 1); /* after a ':' */
    T_EQ_INT(rmatch(ct, "audit-trail"), 0);           /* not a component */
    T_EQ_INT(rmatch(ct, "audit"), 0);
    T_EQ_INT(rmatch(ct, "711867359642"), 0);          /* the account is not a resource */
    T_EQ_INT(rmatch(ct, "AWS::S3::Bucket"), 0);       /* nor the type */
    const char *az = "[{\"type\":\"resource\",\"id\":\"797f\",\"name\":\"Windows Azure API\"}]";
    T_EQ_INT(rmatch(az, "Windows Azure API"), 1);
    T_EQ_INT(rmatch(az, "Azure"), 0);
    T_EQ_INT(rmatch(az, "797f"), 1);
    /* escaped values match what they mean */
    T_EQ_INT(rmatch("[{\"id\":\"a\\\"b\"}]", "a\"b"), 1);
    T_EQ_INT(rmatch("[{\"name\":\"caf\\u00e9\"}]", "caf\xc3\xa9"), 1);
    /* plain string elements */
    T_EQ_INT(rmatch("[\"projects/p1/buckets/b1\"]", "b1"), 1);
    /* not an array, broken, empty: no match, no crash */
    T_EQ_INT(rmatch("{\"id\":\"x\"}", "x"), 0);
    T_EQ_INT(rmatch("[{\"id\":\"x\"", "x"), 0);
    T_EQ_INT(rmatch("", "x"), 0);
    T_EQ_INT(rmatch("[]", "x"), 0);
    T_EQ_INT(rmatch(ct, ""), 0);
    struct km_arena a;
    km_arena_init(&a, 4096, 1 << 20);
    T_EQ_INT(km_tl_resource_match(KM_STR_NONE, "x", &a), 0);
    km_arena_free(&a);
}

static void test_kind_guess(void)
{
    T_EQ_INT(km_tl_kind_guess("203.0.113.66"), KM_TL_IP);
    T_EQ_INT(km_tl_kind_guess("2001:db8::1"), KM_TL_IP);
    T_EQ_INT(km_tl_kind_guess("AKIAMKXBISSDWG64CUBO"), KM_TL_KEY);
    T_EQ_INT(km_tl_kind_guess("ASIANQQHHS551LWULIWD"), KM_TL_KEY);
    T_EQ_INT(km_tl_kind_guess("AKIA"), KM_TL_ACTOR);          /* too short */
    T_EQ_INT(km_tl_kind_guess("AKIAmkxbissdwg64cubo"), KM_TL_ACTOR);
    T_EQ_INT(km_tl_kind_guess("AIDAEXAMPLE000000001"), KM_TL_ACTOR); /* a user id, not a key */
    T_EQ_INT(km_tl_kind_guess("Mallory.Mehta@Example.org"), KM_TL_EMAIL);
    T_EQ_INT(km_tl_kind_guess("arn:aws:iam::711867359642:user/mallory.ops"), KM_TL_ACTOR);
    T_EQ_INT(km_tl_kind_guess("mallory.ops"), KM_TL_ACTOR);
    T_EQ_INT(km_tl_kind_guess("203.0.113"), KM_TL_ACTOR);
    T_EQ_INT(km_tl_kind_guess(""), KM_TL_ACTOR);
    for (int k = KM_TL_AUTO; k <= KM_TL_SESSION; k++)
        T_EQ_INT(km_tl_kind_parse(km_tl_kind_name(k)), k);
    T_EQ_INT(km_tl_kind_parse("ipv4"), -1);
    T_EQ_STR(km_tl_kind_name(KM_TL_RESOURCE), "resource");
}

static const char *fit(const char *s, int cols, int pad)
{
    static char out[256];
    struct km_buf b;
    km_buf_init(&b, 0);
    km_tl_fit(&b, s, strlen(s), cols, pad);
    snprintf(out, sizeof out, "%s", b.n ? b.p : "");
    km_buf_free(&b);
    return out;
}

static void test_fit(void)
{
    T_EQ_STR(fit("hello", 10, 0), "hello");
    T_EQ_STR(fit("hello", 10, 1), "hello     ");
    T_EQ_STR(fit("hello", 5, 0), "hello");
    T_EQ_STR(fit("hello!", 5, 0), "hell~");
    /* escapes: ESC and DEL as \xNN, C1 (U+009B, the 8-bit CSI) as \u009b */
    T_EQ_STR(fit("a\x1b[31mb", 40, 0), "a\\x1b[31mb");
    T_EQ_STR(fit("a\x7f", 40, 0), "a\\x7f");
    T_EQ_STR(fit("a\xc2\x9b" "1m", 40, 0), "a\\u009b1m");
    T_CHECK(strchr(fit("\x1b\x1b\x1b\x1b\x1b\x1b", 9, 0), 0x1b) == NULL);
    T_EQ_STR(fit("\x1b\x1b", 6, 0), "\\x1b~"); /* an escape is not split */
    /* UTF-8: one column per character, never cut inside one */
    T_EQ_STR(fit("\xc3\x97" "12", 3, 0), "\xc3\x97" "12");
    T_EQ_STR(fit("\xc3\x97\xc3\x97\xc3\x97\xc3\x97", 3, 0), "\xc3\x97\xc3\x97~");
    T_EQ_STR(fit("ab", 1, 0), "~");
}

static void test_topn(void)
{
    struct km_topn *t = km_topn_new(3);
    const char *vals[] = {"b", "a", "b", "c", "b", "a", "d", "e", "d", "b"};
    for (size_t i = 0; i < KM_ARRAY_LEN(vals); i++)
        km_topn_add(t, vals[i], strlen(vals[i]));
    /* b 4, a 2, c 1 are held; d, e arrive when the table is full */
    T_EQ_INT(km_topn_distinct(t), 3);
    T_EQ_INT(km_topn_capped(t), 1);
    T_EQ_INT(km_topn_other(t), 3);
    T_EQ_INT(km_topn_total(t), 10);
    struct km_topn_item it[5];
    size_t n = km_topn_top(t, it, 5);
    T_EQ_INT(n, 3);
    T_EQ_STR(it[0].value, "b");
    T_EQ_INT(it[0].count, 4);
    T_EQ_STR(it[1].value, "a");
    T_EQ_INT(it[1].count, 2);
    T_EQ_STR(it[2].value, "c");
    T_EQ_INT(km_topn_top(t, it, 1), 1);
    km_topn_free(t);

    /* ties sort by value; long values count by their prefix, cut on a
     * character boundary */
    t = km_topn_new(100);
    km_topn_add(t, "y", 1);
    km_topn_add(t, "x", 1);
    char big[KM_TOPN_VALUE_MAX + 10];
    memset(big, 'q', sizeof big);
    big[KM_TOPN_VALUE_MAX - 1] = '\xc3'; /* a 2-byte character across the cut */
    big[KM_TOPN_VALUE_MAX] = '\x97';
    km_topn_add(t, big, sizeof big);
    big[sizeof big - 1] = 'z';           /* differs after the cut: same value */
    km_topn_add(t, big, sizeof big);
    n = km_topn_top(t, it, 5);
    T_EQ_INT(n, 3);
    T_EQ_INT(it[0].count, 2);
    T_EQ_INT(it[0].len, KM_TOPN_VALUE_MAX - 1);
    T_EQ_STR(it[1].value, "x");
    T_EQ_STR(it[2].value, "y");
    T_EQ_INT(km_topn_capped(t), 0);
    km_topn_free(t);

    /* many distinct values: memory stays at the cap */
    t = km_topn_new(1000);
    char v[32];
    for (int i = 0; i < 100000; i++) {
        int k = snprintf(v, sizeof v, "v%d", i % 5000);
        km_topn_add(t, v, (size_t)k);
    }
    T_EQ_INT(km_topn_distinct(t), 1000);
    T_EQ_INT(km_topn_total(t), 100000);
    T_EQ_INT(km_topn_other(t), 100000 - 1000 * 20);
    km_topn_free(t);
}

static void test_span(void)
{
    char b[32];
    km_tl_span_fmt(0, b);
    T_EQ_STR(b, "0s");
    km_tl_span_fmt(45 * S + 999999, b);
    T_EQ_STR(b, "45s");
    km_tl_span_fmt(192 * S, b);
    T_EQ_STR(b, "3m12s");
    km_tl_span_fmt(7500 * S, b);
    T_EQ_STR(b, "2h05m");
    km_tl_span_fmt((3 * 86400 + 4 * 3600) * S, b);
    T_EQ_STR(b, "3d04h");
    km_tl_span_fmt(-5, b);
    T_EQ_STR(b, "0s");
}

int main(void)
{
    T_RUN(test_burst_grouping);
    T_RUN(test_burst_key);
    T_RUN(test_resource_match);
    T_RUN(test_kind_guess);
    T_RUN(test_fit);
    T_RUN(test_topn);
    T_RUN(test_span);
    return t_done();
}
