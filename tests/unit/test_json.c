/*
 * test_json.c — the JSON parser and writer: JSONTestSuite conformance
 * (y_ accepted, n_ rejected, i_ no crash), unescaping, zero-copy, error
 * offsets, limits, conversions, lookups and the writer.
 */
#include "json/json.h"
#include "t.h"

#include <dirent.h>
#include <math.h>

static struct km_arena arena;

/* Parses a copy of s (exact-size heap buffer so ASan sees overreads). The
 * copy is kept alive in the arena. */
static int parse_str(const char *s, size_t n, const struct km_json_limits *lim,
                     struct km_json **root, struct km_err *e)
{
    char *buf = km_arena_alloc(&arena, n ? n : 1);
    memcpy(buf, s, n);
    km_err_clear(e);
    return km_json_parse(buf, n, lim, &arena, root, e);
}

static struct km_json *P(const char *s)
{
    struct km_json *r;
    struct km_err e;
    if (parse_str(s, strlen(s), NULL, &r, &e) != KM_OK) {
        fprintf(stderr, "  unexpected parse failure: %s: %s\n", s, e.msg);
        return NULL;
    }
    return r;
}

static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = malloc(sz > 0 ? (size_t)sz : 1);
    if (!p || fread(p, 1, (size_t)sz, f) != (size_t)sz) {
        free(p);
        fclose(f);
        return NULL;
    }
    fclose(f);
    *n = (size_t)sz;
    return p;
}

static int suite_counts[3][2]; /* [y,n,i][seen, failed] */

static void run_suite(void)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/json-test-suite/test_parsing", t_corpus());
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "  cannot open %s\n", dir);
        suite_counts[0][1] = suite_counts[1][1] = suite_counts[2][1] = -1;
        return;
    }
    struct dirent *de;
    struct km_arena a;
    km_arena_init(&a, 0, 0);
    while ((de = readdir(d))) {
        const char *nm = de->d_name;
        int cat = nm[0] == 'y' ? 0 : nm[0] == 'n' ? 1 : nm[0] == 'i' ? 2 : -1;
        if (cat < 0 || nm[1] != '_')
            continue;
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, nm);
        size_t n;
        char *buf = slurp(path, &n);
        if (!buf) {
            fprintf(stderr, "  cannot read %s\n", path);
            suite_counts[cat][1]++;
            continue;
        }
        struct km_json *root;
        struct km_err e;
        km_err_clear(&e);
        int rc = km_json_parse(buf, n, NULL, &a, &root, &e);
        suite_counts[cat][0]++;
        if (rc == KM_OK) {
            /* anything accepted must also survive re-serialisation */
            struct km_buf b;
            km_buf_init(&b, 0);
            km_json_write_value(&b, root);
            struct km_json *r2;
            if (b.oom || km_json_parse(b.p, b.n, NULL, &a, &r2, &e) != KM_OK) {
                fprintf(stderr, "  %s: re-serialised output does not parse\n", nm);
                suite_counts[cat][1]++;
            }
            km_buf_free(&b);
        }
        if ((cat == 0 && rc != KM_OK) || (cat == 1 && rc == KM_OK)) {
            fprintf(stderr, "  %s: %s (%s)\n", nm, rc == KM_OK ? "accepted" : "rejected",
                    e.msg);
            suite_counts[cat][1]++;
        }
        if (rc != KM_OK && rc != KM_EJSON && rc != KM_ELIMIT) {
            fprintf(stderr, "  %s: unexpected code %d\n", nm, rc);
            suite_counts[cat][1]++;
        }
        if (rc != KM_OK && (e.code != rc || e.offset > n || !e.msg[0])) {
            fprintf(stderr, "  %s: bad error record\n", nm);
            suite_counts[cat][1]++;
        }
        free(buf);
        km_arena_reset(&a);
    }
    closedir(d);
    km_arena_free(&a);
}

static void test_suite_y(void)
{
    T_CHECK(suite_counts[0][0] >= 90);
    T_EQ_INT(suite_counts[0][1], 0);
}
static void test_suite_n(void)
{
    T_CHECK(suite_counts[1][0] >= 180);
    T_EQ_INT(suite_counts[1][1], 0);
}
static void test_suite_i(void)
{
    T_CHECK(suite_counts[2][0] >= 30);
    T_EQ_INT(suite_counts[2][1], 0);
}

static void test_basic_tree(void)
{
    struct km_json *r = P(" {\"a\" : [1, -2.5e3, true, false, null, \"x\"], \"b\":{}, \"c\":[]} ");
    T_CHECK(km_json_is_obj(r));
    if (!r)
        return;
    T_EQ_INT(r->len, 3);
    T_EQ_INT(r->off, 1);
    const struct km_json *a = km_json_get(r, "a");
    T_CHECK(km_json_is_arr(a));
    T_EQ_INT(a->len, 6);
    T_EQ_STR(a->key, "a");
    T_EQ_INT(a->key_len, 1);
    const struct km_json *c = a->child;
    T_EQ_INT(c->type, KM_JSON_NUMBER);
    T_EQ_INT(c->len, 1);
    c = c->next;
    T_EQ_INT(c->len, 6);
    T_CHECK(memcmp(c->str, "-2.5e3", 6) == 0);
    T_EQ_INT(c->next->type, KM_JSON_TRUE);
    T_EQ_INT(c->next->next->type, KM_JSON_FALSE);
    T_EQ_INT(c->next->next->next->type, KM_JSON_NULL);
    T_EQ_STR(c->next->next->next->next->str, "x");
    T_CHECK(c->next->next->next->next->next == NULL);
    T_CHECK(c->next->key == NULL);
    const struct km_json *b = km_json_get(r, "b");
    T_CHECK(km_json_is_obj(b) && b->len == 0 && b->child == NULL && b->str == NULL);
    const struct km_json *cc = km_json_get(r, "c");
    T_CHECK(km_json_is_arr(cc) && cc->len == 0 && cc->str == NULL && cc->next == NULL);
    T_CHECK(km_json_get(r, "zz") == NULL);
    /* keys after a nested container are not leaked into array elements */
    r = P("[{\"k\":1},2]");
    T_CHECK(r && r->child->next->key == NULL);
    /* scalar roots */
    r = P("42");
    T_CHECK(km_json_is_num(r));
    r = P("\"s\"");
    T_CHECK(km_json_is_str(r) && strcmp(r->str, "s") == 0);
    /* BOM is skipped */
    r = P("\xEF\xBB\xBF{}");
    T_CHECK(km_json_is_obj(r));
}

static void test_unescape(void)
{
    struct km_json *r = P("[\"a\\nb\", \"caf\\u00e9\", \"\\ud83d\\ude00!\", \"x\\ud800y\", "
                          "\"\\udc00\", \"\\\"\\\\\\/\\b\\f\\r\\t\", \"\\u0000z\", \"\\u20AC\"]");
    T_CHECK(r != NULL);
    if (!r)
        return;
    const struct km_json *c = r->child;
    T_EQ_STR(c->str, "a\nb");
    T_EQ_INT(c->len, 3);
    T_EQ_INT(c->escaped, 1);
    c = c->next;
    T_EQ_STR(c->str, "caf\xC3\xA9");
    c = c->next;
    T_EQ_STR(c->str, "\xF0\x9F\x98\x80!");
    c = c->next;
    T_EQ_STR(c->str, "x\xEF\xBF\xBDy"); /* lone high surrogate -> U+FFFD */
    c = c->next;
    T_EQ_STR(c->str, "\xEF\xBF\xBD"); /* lone low surrogate */
    c = c->next;
    T_EQ_STR(c->str, "\"\\/\b\f\r\t");
    c = c->next;
    T_EQ_INT(c->len, 2);
    T_CHECK(c->str[0] == 0 && c->str[1] == 'z');
    c = c->next;
    T_EQ_STR(c->str, "\xE2\x82\xAC");
    /* escaped key */
    r = P("{\"k\\u0065y\":1}");
    T_CHECK(r && km_json_get(r, "key") != NULL);
}

static void test_zero_copy(void)
{
    char buf[] = "{\"name\":\"plain value\",\"e\":\"a\\tb\"}";
    struct km_json *r;
    struct km_err e;
    km_err_clear(&e);
    T_EQ_INT(km_json_parse(buf, sizeof buf - 1, NULL, &arena, &r, &e), KM_OK);
    const struct km_json *v = km_json_get(r, "name");
    T_CHECK(v && v->str == buf + 9);
    T_CHECK(v && v->escaped == 0 && v->len == 11 && v->off == 8);
    T_CHECK(v && v->key == buf + 2);
    T_CHECK(buf[20] == 0); /* NUL over the closing quote */
    v = km_json_get(r, "e");
    T_CHECK(v && v->str >= buf && v->str < buf + sizeof buf && v->escaped == 1);
    T_EQ_STR(v ? v->str : NULL, "a\tb");
}

static int err_at(const char *s, int code, uint64_t off, const char *msgpart)
{
    struct km_json *r = (struct km_json *)1;
    struct km_err e;
    int rc = parse_str(s, strlen(s), NULL, &r, &e);
    int ok = rc == code && e.code == code && e.offset == off && r == NULL &&
             (!msgpart || strstr(e.msg, msgpart));
    if (!ok)
        fprintf(stderr, "  %s: rc %d offset %llu msg '%s'\n", s, rc,
                (unsigned long long)e.offset, e.msg);
    return ok;
}

static void test_error_offsets(void)
{
    T_CHECK(err_at("{\"a\":1,}", KM_EJSON, 7, "trailing comma"));
    T_CHECK(err_at("[1,2,]", KM_EJSON, 5, "trailing comma"));
    T_CHECK(err_at("{\"a\" 1}", KM_EJSON, 5, "expected ':' after object key"));
    T_CHECK(err_at("[01]", KM_EJSON, 1, "leading zero"));
    T_CHECK(err_at("['a']", KM_EJSON, 1, NULL));
    T_CHECK(err_at("[\"a\tb\"]", KM_EJSON, 3, "control character"));
    T_CHECK(err_at("[\"\\x\"]", KM_EJSON, 2, "invalid escape"));
    T_CHECK(err_at("[\"\\u12g4\"]", KM_EJSON, 2, "\\u"));
    T_CHECK(err_at("[NaN]", KM_EJSON, 1, NULL));
    T_CHECK(err_at("[1] x", KM_EJSON, 4, "end of input"));
    T_CHECK(err_at("[1 2]", KM_EJSON, 3, "expected ','"));
    T_CHECK(err_at("{\"a\":1 \"b\":2}", KM_EJSON, 7, "expected ','"));
    T_CHECK(err_at("[1,", KM_EJSON, 3, "end of input"));
    T_CHECK(err_at("[\"abc", KM_EJSON, 1, "unterminated"));
    T_CHECK(err_at("", KM_EJSON, 0, NULL));
    T_CHECK(err_at("   ", KM_EJSON, 3, NULL));
    T_CHECK(err_at("[1.]", KM_EJSON, 3, "'.'"));
    T_CHECK(err_at("[1e+]", KM_EJSON, 4, "exponent"));
    T_CHECK(err_at("[-]", KM_EJSON, 2, "'-'"));
    T_CHECK(err_at("/* c */ 1", KM_EJSON, 0, NULL));
    T_CHECK(err_at("[tru]", KM_EJSON, 1, NULL));
    T_CHECK(err_at("{\"a\":1", KM_EJSON, 6, "not closed"));
}

static void test_limits(void)
{
    struct km_json_limits lim;
    km_json_limits_default(&lim);
    T_EQ_INT(lim.max_depth, 256);
    T_CHECK(lim.max_doc == (uint64_t)256 << 20);
    T_EQ_INT(lim.max_string, 64u << 20);
    /* depth 300 > 256 */
    char deep[700];
    memset(deep, '[', 300);
    memset(deep + 300, ']', 300);
    deep[600] = 0;
    struct km_json *r;
    struct km_err e;
    T_EQ_INT(parse_str(deep, 600, &lim, &r, &e), KM_ELIMIT);
    T_EQ_INT(e.offset, 256); /* the 257th '[' */
    T_CHECK(strstr(e.msg, "max_depth") != NULL);
    /* exactly 256 is fine */
    memset(deep, '[', 256);
    memset(deep + 256, ']', 256);
    T_EQ_INT(parse_str(deep, 512, &lim, &r, &e), KM_OK);
    /* string over max_string */
    lim.max_string = 8;
    T_EQ_INT(parse_str("[\"12345678\"]", 12, &lim, &r, &e), KM_OK);
    T_EQ_INT(parse_str("[1, \"123456789\"]", 16, &lim, &r, &e), KM_ELIMIT);
    T_EQ_INT(e.offset, 4);
    T_CHECK(strstr(e.msg, "max_string") != NULL);
    T_EQ_INT(parse_str("{\"123456789\":1}", 15, &lim, &r, &e), KM_ELIMIT);
    T_EQ_INT(e.offset, 1);
    /* escaped text is measured after unescaping: 9 bytes out */
    T_EQ_INT(parse_str("[\"\\n12345678\"]", 14, &lim, &r, &e), KM_ELIMIT);
    km_json_limits_default(&lim);
    /* document over max_doc */
    lim.max_doc = 10;
    T_EQ_INT(parse_str("[1,2,3,4,5]", 11, &lim, &r, &e), KM_ELIMIT);
    T_EQ_INT(e.offset, 10);
    T_CHECK(strstr(e.msg, "max_doc") != NULL);
    T_EQ_INT(parse_str("[1,2,3,45]", 10, &lim, &r, &e), KM_OK);
    /* arena ceiling -> ENOMEM */
    struct km_arena small;
    km_arena_init(&small, 1024, 2048);
    char big[4001];
    for (int i = 0; i < 2000; i++) {
        big[2 * i] = i ? ',' : '[';
        big[2 * i + 1] = '1';
    }
    big[4000] = ']';
    km_err_clear(&e);
    T_EQ_INT(km_json_parse(big, sizeof big, NULL, &small, &r, &e), KM_ENOMEM);
    T_CHECK(r == NULL);
    km_arena_free(&small);
}

static void test_numbers(void)
{
    struct km_json *r = P("[0, -0, 123, -9223372036854775808, 9223372036854775807, "
                          "9223372036854775808, -9223372036854775809, 1.5, 1e3, -2.5E-3, "
                          "1e400, 1e-400, \"7\", 12345678901234567890123]");
    if (!r) {
        T_CHECK(0);
        return;
    }
    const struct km_json *v[14];
    int k = 0;
    for (const struct km_json *c = r->child; c && k < 14; c = c->next)
        v[k++] = c;
    T_EQ_INT(k, 14);
    int64_t i = -1;
    double d = 0;
    T_EQ_INT(km_json_i64(v[0], &i), KM_OK);
    T_EQ_INT(i, 0);
    T_EQ_INT(km_json_i64(v[1], &i), KM_OK);
    T_EQ_INT(i, 0);
    T_EQ_INT(km_json_i64(v[2], &i), KM_OK);
    T_EQ_INT(i, 123);
    T_EQ_INT(km_json_i64(v[3], &i), KM_OK);
    T_CHECK(i == INT64_MIN);
    T_EQ_INT(km_json_i64(v[4], &i), KM_OK);
    T_CHECK(i == INT64_MAX);
    T_EQ_INT(km_json_i64(v[5], &i), KM_EFORMAT);
    T_EQ_INT(km_json_i64(v[6], &i), KM_EFORMAT);
    T_EQ_INT(km_json_i64(v[7], &i), KM_EFORMAT); /* 1.5 not integral */
    T_EQ_INT(km_json_i64(v[8], &i), KM_EFORMAT); /* 1e3: documented as rejected */
    T_EQ_INT(km_json_f64(v[7], &d), KM_OK);
    T_CHECK(d == 1.5);
    T_EQ_INT(km_json_f64(v[8], &d), KM_OK);
    T_CHECK(d == 1000.0);
    T_EQ_INT(km_json_f64(v[9], &d), KM_OK);
    T_CHECK(fabs(d - -0.0025) < 1e-12);
    T_EQ_INT(km_json_f64(v[10], &d), KM_EFORMAT); /* overflow */
    T_EQ_INT(km_json_f64(v[11], &d), KM_OK);      /* underflow -> 0 */
    T_CHECK(d == 0.0);
    T_EQ_INT(km_json_i64(v[12], &i), KM_EFORMAT); /* a string is not converted */
    T_EQ_INT(km_json_f64(v[12], &d), KM_EFORMAT);
    T_EQ_INT(km_json_f64(v[13], &d), KM_OK);
    T_CHECK(d > 1.2e22 && d < 1.3e22);
    T_EQ_INT(km_json_f64(v[2], &d), KM_OK);
    T_CHECK(d == 123.0);
    struct km_str sv = km_json_sv(v[9]);
    T_CHECK(sv.n == 7 && memcmp(sv.p, "-2.5E-3", 7) == 0);
    sv = km_json_sv(v[12]);
    T_CHECK(sv.n == 1 && sv.p[0] == '7');
    sv = km_json_sv(r);
    T_CHECK(sv.p == NULL);
    T_EQ_INT(km_json_i64(NULL, &i), KM_EFORMAT);
    /* a long number text goes through the heap copy */
    char longnum[400];
    longnum[0] = '0';
    longnum[1] = '.';
    memset(longnum + 2, '5', 300);
    longnum[302] = 0;
    r = P(longnum);
    T_EQ_INT(km_json_f64(r, &d), KM_OK);
    T_CHECK(fabs(d - 5.0 / 9.0) < 1e-12);
}

static void test_lookups(void)
{
    struct km_json *r = P("{\"userIdentity\":{\"type\":\"IAMUser\",\"arn\":\"arn:x\","
                          "\"sessionContext\":{\"attributes\":{\"mfa\":\"true\"}}},"
                          "\"resources\":[{\"ARN\":\"r0\"},{\"ARN\":\"r1\",\"0\":\"zero\"}],"
                          "\"EventName\":\"Login\",\"dup\":1,\"dup\":2,\"a.b\":3,\"\":4}");
    T_CHECK(r != NULL);
    if (!r)
        return;
    T_EQ_STR(km_json_path(r, "userIdentity.arn")->str, "arn:x");
    T_EQ_STR(km_json_path(r, "userIdentity.sessionContext.attributes.mfa")->str, "true");
    T_EQ_STR(km_json_path(r, "resources.1.ARN")->str, "r1");
    T_EQ_STR(km_json_path(r, "resources.0.ARN")->str, "r0");
    T_EQ_STR(km_json_path(r, "resources.1.0")->str, "zero"); /* numeric key on object */
    T_CHECK(km_json_path(r, "resources.2.ARN") == NULL);
    T_CHECK(km_json_path(r, "resources.x") == NULL);
    T_CHECK(km_json_path(r, "resources.") == NULL);
    T_CHECK(km_json_path(r, "userIdentity.nope") == NULL);
    T_CHECK(km_json_path(r, "EventName.x") == NULL);
    T_CHECK(km_json_path(NULL, "a") == NULL);
    T_CHECK(km_json_get(r, "eventname") == NULL);
    T_EQ_STR(km_json_geti(r, "eventname")->str, "Login");
    T_EQ_STR(km_json_geti(r, "EVENTNAME")->str, "Login");
    T_CHECK(km_json_geti(r, "eventnam") == NULL);
    T_EQ_STR(km_json_geti(km_json_path(r, "resources.0"), "arn")->str, "r0");
    int64_t i;
    T_EQ_INT(km_json_i64(km_json_get(r, "dup"), &i), KM_OK);
    T_EQ_INT(i, 1);
    T_CHECK(km_json_getn(r, "a.b", 3) != NULL);
    T_CHECK(km_json_get(r, "") != NULL);
    T_CHECK(km_json_getn(r, "userIdentityXX", 12) == km_json_get(r, "userIdentity"));
    T_CHECK(km_json_get(km_json_get(r, "resources"), "ARN") == NULL); /* not an object */
}

static char *write_of(const struct km_json *v, struct km_buf *b)
{
    km_buf_init(b, 0);
    km_json_write_value(b, v);
    return b->p;
}

/* Structural equality of two parsed trees. */
static int same_tree(const struct km_json *a, const struct km_json *b)
{
    if (!a || !b)
        return a == b;
    if (a->type != b->type || a->len != b->len || a->key_len != b->key_len)
        return 0;
    if (a->key_len && memcmp(a->key, b->key, a->key_len) != 0)
        return 0;
    if ((a->type == KM_JSON_STRING || a->type == KM_JSON_NUMBER) &&
        memcmp(a->str, b->str, a->len) != 0)
        return 0;
    const struct km_json *x = a->child, *y = b->child;
    for (; x && y; x = x->next, y = y->next)
        if (!same_tree(x, y))
            return 0;
    return x == NULL && y == NULL;
}

static void test_writer_roundtrip(void)
{
    const char *src = "{ \"k\\\"ey\\n\" : [\"tab\\there\", \"\\u0001\\u001f\\u007f\", "
                      "\"\\/slash\", \"\\u00e9\\u6771\\ud83d\\ude00\", -1.5e10, 0, true, "
                      "false, null, {}, [], {\"\":\"\"}], \"p\":\"{\\\"Version\\\":"
                      "\\\"2012-10-17\\\"}\", \"z\\u0000\":\"a\\u0000b\"}";
    struct km_json *r = P(src);
    T_CHECK(r != NULL);
    struct km_buf b;
    char *out = write_of(r, &b);
    T_CHECK(out != NULL && !b.oom);
    T_EQ_STR(out, "{\"k\\\"ey\\n\":[\"tab\\there\",\"\\u0001\\u001f\x7f\",\"/slash\","
                  "\"\xC3\xA9\xE6\x9D\xB1\xF0\x9F\x98\x80\",-1.5e10,0,true,false,null,{},[],"
                  "{\"\":\"\"}],\"p\":\"{\\\"Version\\\":\\\"2012-10-17\\\"}\","
                  "\"z\\u0000\":\"a\\u0000b\"}");
    struct km_json *r2 = P(out);
    T_CHECK(same_tree(r, r2));
    /* writing a member writes its value only, not its siblings or key */
    km_buf_free(&b);
    out = write_of(km_json_get(r, "p"), &b);
    T_EQ_STR(out, "\"{\\\"Version\\\":\\\"2012-10-17\\\"}\"");
    km_buf_free(&b);
    out = write_of(NULL, &b);
    T_EQ_STR(out, "null");
    km_buf_free(&b);
    /* deep tree (beyond the writer's 64-entry local stack) */
    char deep[401];
    memset(deep, '[', 200);
    memset(deep + 200, ']', 200);
    deep[400] = 0;
    r = P(deep);
    out = write_of(r, &b);
    T_EQ_STR(out, deep);
    km_buf_free(&b);
}

static void test_writer_utf8(void)
{
    struct km_buf b;
    km_buf_init(&b, 0);
    /* lone continuation, truncated 3-byte, overlong 2-byte, surrogate, >10FFFF, valid 4-byte */
    const char in[] = "a\x80" "b\xE2\x82" "c\xC0\xAF" "d\xED\xA0\x80" "e\xF4\x90\x80\x80"
                      "f\xF0\x9F\x98\x80" "g\xFF";
    km_json_write_str(&b, in, sizeof in - 1);
    T_EQ_STR(b.p, "\"a\xEF\xBF\xBD" "b\xEF\xBF\xBD" "c\xEF\xBF\xBD\xEF\xBF\xBD"
                  "d\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"
                  "e\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"
                  "f\xF0\x9F\x98\x80g\xEF\xBF\xBD\"");
    km_buf_free(&b);
    /* truncated at the end of input */
    km_buf_init(&b, 0);
    km_json_write_str(&b, "x\xF0\x9F", 3);
    T_EQ_STR(b.p, "\"x\xEF\xBF\xBD\"");
    km_buf_free(&b);
    /* control characters and quotes */
    km_buf_init(&b, 0);
    km_json_write_str(&b, "\"\\\b\f\n\r\t\x01\x1f", 9);
    T_EQ_STR(b.p, "\"\\\"\\\\\\b\\f\\n\\r\\t\\u0001\\u001f\"");
    km_buf_free(&b);
    /* the output of invalid input is valid JSON */
    km_buf_init(&b, 0);
    km_json_write_str(&b, in, sizeof in - 1);
    struct km_json *r;
    struct km_err e;
    T_EQ_INT(parse_str(b.p, b.n, NULL, &r, &e), KM_OK);
    km_buf_free(&b);
}

static void test_buf_ceiling(void)
{
    struct km_buf b;
    km_buf_init(&b, 16);
    km_buf_adds(&b, "0123456789");
    T_EQ_INT(b.n, 10);
    T_EQ_INT(b.oom, 0);
    km_buf_printf(&b, "%d", 12345);
    T_EQ_INT(b.n, 15);
    T_EQ_STR(b.p, "012345678912345");
    T_EQ_INT(b.oom, 0);
    km_buf_addc(&b, 'x'); /* 16 bytes + NUL > 16 */
    T_EQ_INT(b.oom, 1);
    T_EQ_INT(b.n, 15);
    km_buf_adds(&b, "");
    km_buf_addc(&b, 'y');
    T_EQ_INT(b.n, 15);
    T_CHECK(b.cap <= 16);
    km_buf_free(&b);
    /* a long printf goes past the 256-byte stack buffer */
    km_buf_init(&b, 0);
    km_buf_printf(&b, "%0300d|%s", 7, "end");
    T_EQ_INT(b.n, 304);
    T_CHECK(b.p && b.p[299] == '7' && strcmp(b.p + 300, "|end") == 0);
    km_buf_free(&b);
    /* the writer stops at the ceiling */
    km_buf_init(&b, 64);
    struct km_json *r = P("[\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\"]");
    km_json_write_value(&b, r);
    T_EQ_INT(b.oom, 1);
    T_CHECK(b.n < 64);
    km_buf_free(&b);
    /* default limit is 1 GiB */
    km_buf_init(&b, 0);
    T_CHECK(b.limit == (size_t)1 << 30);
    km_buf_free(&b);
}

int main(void)
{
    km_arena_init(&arena, 0, 0);
    run_suite();
    T_RUN(test_suite_y);
    T_RUN(test_suite_n);
    T_RUN(test_suite_i);
    T_RUN(test_basic_tree);
    T_RUN(test_unescape);
    T_RUN(test_zero_copy);
    T_RUN(test_error_offsets);
    T_RUN(test_limits);
    T_RUN(test_numbers);
    T_RUN(test_lookups);
    T_RUN(test_writer_roundtrip);
    T_RUN(test_writer_utf8);
    T_RUN(test_buf_ceiling);
    km_arena_free(&arena);
    return t_done();
}
