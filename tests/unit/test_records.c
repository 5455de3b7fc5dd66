/*
 * test_records.c — the streaming record splitter: every shape, offsets and
 * line numbers, chunk-split invariance (one-shot vs 1-byte vs random chunks,
 * copying vs zero-copy feeding), wrapper keys, limits, error reporting and
 * resynchronisation, and real corpus files with independently counted records.
 * CSV streams: quoting, CRLF, embedded newlines, BOM, TAB, header cleaning,
 * ragged rows, limits, chunk-split invariance, and that every row's JSON is
 * what km_csv_row_to_json (the `kumo show` path) rebuilds.
 */
#include "ingest/records.h"
#include "json/json.h"
#include "t.h"

#include <dirent.h>
#include <stdarg.h>
#include <sys/stat.h>

/* ---- a transcript of everything the splitter reports ---------------------- */

struct out {
    char *s;
    size_t n, cap;
    int nrec, nerr;
    int scribble;   /* overwrite each record after reading it (zero-copy runs) */
    int stop_after; /* on_record returns 7 after this many records (0 = never) */
    int codes[64];  /* first error codes */
};

static void out_add(struct out *o, const char *fmt, ...)
{
    va_list ap;
    char tmp[1200];
    int k;
    va_start(ap, fmt);
    k = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (k < 0)
        return;
    if ((size_t)k >= sizeof tmp)
        k = sizeof tmp - 1;
    if (o->n + (size_t)k + 1 > o->cap) {
        o->cap = (o->n + (size_t)k + 1) * 2;
        o->s = realloc(o->s, o->cap);
    }
    memcpy(o->s + o->n, tmp, (size_t)k + 1);
    o->n += (size_t)k;
}

/* The stream being split (for checks of CSV rows against the input). */
static const char *cur_in;
static size_t cur_n;

/* A CSV record: its raw_n bytes at off are input, and the header plus the
 * row rebuild exactly its JSON (km_csv_header_find + km_csv_row_to_json). */
static void check_csv(const struct km_record *r)
{
    size_t hs = 0, hl = 0;
    char delim = 0;
    struct km_buf b;
    struct km_err e;
    T_CHECK(r->off + r->raw_n <= cur_n);
    T_CHECK(r->raw_n > 0 && cur_in[r->off] != '\n');
    km_err_clear(&e);
    T_EQ_INT(km_csv_header_find(cur_in, cur_n, &hs, &hl, &delim, &e), KM_OK);
    km_buf_init(&b, 0);
    T_EQ_INT(km_csv_row_to_json(cur_in + hs, hl, cur_in + r->off, r->raw_n, delim, &b, &e), KM_OK);
    T_CHECK(b.n == r->n && memcmp(b.p, r->p, r->n) == 0);
    km_buf_free(&b);
}

static int on_rec(void *ctx, const struct km_record *r)
{
    struct out *o = ctx;
    out_add(o, "R %llu %ld %d %s %zu [%.*s]\n", (unsigned long long)r->off, r->line, r->shape,
            r->wrapper ? r->wrapper : "-", r->n, (int)(r->n > 1000 ? 1000 : r->n), r->p);
    if (r->shape == KM_SHAPE_CSV) {
        out_add(o, "C %llu+%zu [%.*s]\n", (unsigned long long)r->off, r->raw_n,
                (int)(r->raw_n > 1000 ? 1000 : r->raw_n), cur_in + r->off);
        check_csv(r);
    } else {
        T_CHECK(r->raw_n == r->n);
    }
    o->nrec++;
    if (o->scribble)
        memset(r->p, o->nrec % 2 ? '\n' : '"', r->n);
    if (o->stop_after && o->nrec >= o->stop_after)
        return 7;
    return 0;
}

static void on_err(void *ctx, const struct km_err *e)
{
    struct out *o = ctx;
    out_add(o, "E %d %llu %ld %s: %s\n", e->code, (unsigned long long)e->offset, e->line, e->file,
            e->msg);
    if (o->nerr < 64)
        o->codes[o->nerr] = e->code;
    o->nerr++;
}

static unsigned long long rng_state = 88172645463325252ULL;
static unsigned rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (unsigned)rng_state;
}

enum { CH_ONE = 0, CH_BYTE = 1, CH_RANDOM = 2, CH_RANDOM_SMALL = 3 };

/* Splits s[0..n) fed in the given chunking; the transcript goes to o. */
static void run(const char *s, size_t n, int chunking, int mut, const struct km_records_limits *lim,
                struct out *o)
{
    struct km_records_cb cb = {on_rec, on_err, o};
    struct km_records *r;
    char *copy = malloc(n + 1);
    size_t pos = 0;
    int rc = 0;
    memcpy(copy, s, n);
    cur_in = s;
    cur_n = n;
    o->scribble = mut;
    T_EQ_INT(km_records_new(lim, &cb, "in.json", &r), KM_OK);
    while (pos < n && !rc) {
        size_t k = n - pos;
        if (chunking == CH_BYTE)
            k = 1;
        else if (chunking == CH_RANDOM)
            k = 1 + rng() % 200;
        else if (chunking == CH_RANDOM_SMALL)
            k = 1 + rng() % 9;
        if (k > n - pos)
            k = n - pos;
        if (mut) {
            /* a private chunk buffer, clobbered after the call */
            char *c = malloc(k);
            memcpy(c, copy + pos, k);
            rc = km_records_feed_mut(r, c, k);
            memset(c, '{', k);
            free(c);
        } else {
            rc = km_records_feed(r, copy + pos, k);
        }
        pos += k;
    }
    if (!rc)
        rc = km_records_finish(r);
    out_add(o, "shape %d rc %d\n", km_records_shape(r), rc);
    km_records_free(r);
    free(copy);
}

static void out_free(struct out *o)
{
    free(o->s);
    memset(o, 0, sizeof *o);
}

/* Runs s one-shot (copying) into *ref, and checks that every other chunking
 * and mode gives the same transcript. Returns the reference transcript. */
static void split_lim(const char *s, size_t n, const struct km_records_limits *lim, struct out *ref)
{
    memset(ref, 0, sizeof *ref);
    run(s, n, CH_ONE, 0, lim, ref);
    for (int mut = 0; mut <= 1; mut++) {
        for (int ch = 0; ch <= 3; ch++) {
            struct out o;
            int reps = ch >= CH_RANDOM ? 4 : 1;
            if (ch == CH_ONE && !mut)
                continue;
            for (int k = 0; k < reps; k++) {
                memset(&o, 0, sizeof o);
                run(s, n, ch, mut, lim, &o);
                if (o.n != ref->n || memcmp(o.s, ref->s, o.n) != 0) {
                    fprintf(stderr, "  chunking %d mut %d differs:\n--- one-shot:\n%s--- this:\n%s",
                            ch, mut, ref->s, o.s);
                    T_CHECK(!"chunk-split invariance");
                }
                out_free(&o);
            }
        }
    }
}

static void split(const char *s, struct out *ref)
{
    split_lim(s, strlen(s), NULL, ref);
}

static int has(const struct out *o, const char *needle)
{
    return o->s && strstr(o->s, needle) != NULL;
}

#define T_HAS(o, needle)                                                            \
    do {                                                                            \
        if (!has((o), (needle))) {                                                  \
            fprintf(stderr, "  missing \"%s\" in:\n%s", (needle), (o)->s ? (o)->s : ""); \
            T_CHECK(!"transcript has line");                                        \
        }                                                                           \
    } while (0)

/* ---- shapes ---------------------------------------------------------------- */

static void test_bare_array(void)
{
    struct out o;
    split("[\n  {\"a\": 1},\n  {\"b\": [1, {\"c\": \"}]\"}]}\n]\n", &o);
    T_EQ_INT(o.nrec, 2);
    T_EQ_INT(o.nerr, 0);
    T_HAS(&o, "R 4 2 1 - 8 [{\"a\": 1}]\n");
    T_HAS(&o, "R 16 3 1 - 23 [{\"b\": [1, {\"c\": \"}]\"}]}]\n");
    T_HAS(&o, "shape 1 rc 0");
    out_free(&o);
}

static void test_wrapped_records(void)
{
    struct out o;
    split("{\"Records\":[{\"eventName\":\"A\"},{\"eventName\":\"B\",\"x\":{\"Records\":[{}]}}]}", &o);
    T_EQ_INT(o.nrec, 2);
    T_EQ_INT(o.nerr, 0);
    T_HAS(&o, "R 12 1 2 Records 17 [{\"eventName\":\"A\"}]");
    T_HAS(&o, "R 30 1 2 Records 38 [{\"eventName\":\"B\",\"x\":{\"Records\":[{}]}}]");
    T_HAS(&o, "shape 2 rc 0");
    out_free(&o);
}

static void test_wrapper_keys(void)
{
    static const char *keys[] = {"Records", "records", "value", "events", "logEvents", "Events",
                                 "Findings", "findings", "configurationItems", "entries",
                                 "receivedMessages"};
    for (size_t i = 0; i < KM_ARRAY_LEN(keys); i++) {
        char in[200], want[200];
        struct out o;
        snprintf(in, sizeof in, "{\"%s\" :\n [ {\"k\":1} , {\"k\":2} ] }", keys[i]);
        split(in, &o);
        T_EQ_INT(o.nrec, 2);
        T_EQ_INT(o.nerr, 0);
        snprintf(want, sizeof want, "R %zu 2 2 %s 7 [{\"k\":1}]", strlen(keys[i]) + 9, keys[i]);
        T_HAS(&o, want);
        out_free(&o);
    }
    /* the list in the header is the same */
    int n = 0;
    while (km_records_wrapper_keys[n])
        n++;
    T_EQ_INT(n, (int)KM_ARRAY_LEN(keys));
}

static void test_wrapper_other_keys_ignored(void)
{
    struct out o;
    /* Graph API page: "@odata.context" and "@odata.nextLink" ignored */
    split("{\"@odata.context\":\"https://x/$metadata#a\",\"value\":[{\"id\":\"1\"},{\"id\":\"2\"}],"
          "\"@odata.nextLink\":\"https://x?$skiptoken=[{\"}", &o);
    T_EQ_INT(o.nrec, 2);
    T_EQ_INT(o.nerr, 0);
    T_HAS(&o, "R 51 1 2 value 10 [{\"id\":\"1\"}]");
    out_free(&o);
    /* CloudWatch Logs FilterLogEvents: events + searchedLogStreams + nextToken */
    split("{\"events\":[{\"message\":\"m1\"}],\"searchedLogStreams\":[{\"logStreamName\":\"s\"}],"
          "\"nextToken\":\"t\"}\n",
          &o);
    T_EQ_INT(o.nrec, 1);
    T_EQ_INT(o.nerr, 0);
    T_HAS(&o, "R 11 1 2 events 16 [{\"message\":\"m1\"}]");
    out_free(&o);
    /* AWS Config snapshot: fileVersion first, wrapper after, pretty printed */
    split("{\n  \"fileVersion\": \"1.0\",\n  \"configurationItems\": [\n    {\"a\": 1},\n"
          "    {\"b\": 2}\n  ]\n}\n",
          &o);
    T_EQ_INT(o.nrec, 2);
    T_HAS(&o, "R 56 4 2 configurationItems 8 [{\"a\": 1}]");
    T_HAS(&o, "R 70 5 2 configurationItems 8 [{\"b\": 2}]");
    out_free(&o);
    /* two wrapper arrays in one object */
    split("{\"Records\":[{\"a\":1}],\"x\":{\"y\":[1]},\"records\":[{\"b\":2}]}", &o);
    T_EQ_INT(o.nrec, 2);
    T_HAS(&o, "Records 7 [{\"a\":1}]");
    T_HAS(&o, "records 7 [{\"b\":2}]");
    out_free(&o);
}

static void test_wrapper_not_array_is_object(void)
{
    struct out o;
    /* a wrapper key whose value is not an array: ignored, object is a record */
    split("{\"Records\":\"none\",\"value\":{\"x\":[{}]},\"events\":3}\n", &o);
    T_EQ_INT(o.nrec, 1);
    T_EQ_INT(o.nerr, 0);
    T_HAS(&o, "R 0 1 3 - 48 ");
    T_HAS(&o, "shape 3 rc 0");
    out_free(&o);
    /* wrapper key nested below depth 1: the whole object is one record */
    split("{\"requestParameters\":{\"events\":[{\"a\":1}]},\"n\":1}", &o);
    T_EQ_INT(o.nrec, 1);
    T_HAS(&o, "R 0 1 3 - 48 ");
    out_free(&o);
    /* a wrapper key as a string value, not in key position */
    split("{\"a\":\"Records\",\"b\":[{\"c\":1}]}", &o);
    T_EQ_INT(o.nrec, 1);
    T_HAS(&o, "R 0 1 3 - 29 ");
    out_free(&o);
    /* escaped key never matches */
    split("{\"Rec\\u006frds\":[{\"c\":1}]}", &o);
    T_EQ_INT(o.nrec, 1);
    T_HAS(&o, "R 0 1 3 - 26 ");
    out_free(&o);
}

static void test_single_object_and_jsonl(void)
{
    struct out o;
    split("{\"eventVersion\":\"1.08\",\"resources\":[{\"ARN\":\"a\"}]}", &o);
    T_EQ_INT(o.nrec, 1);
    T_HAS(&o, "R 0 1 3 - 49 ");
    out_free(&o);
    /* JSON Lines with CRLF, blank lines and a trailing line without newline */
    split("{\"a\":1}\r\n\r\n{\"b\":\"x\\\"y\"}\r\n{\"c\":[]}", &o);
    T_EQ_INT(o.nrec, 3);
    T_EQ_INT(o.nerr, 0);
    T_HAS(&o, "R 0 1 3 - 7 [{\"a\":1}]");
    T_HAS(&o, "R 11 3 3 - 12 [{\"b\":\"x\\\"y\"}]");
    T_HAS(&o, "R 25 4 3 - 8 [{\"c\":[]}]");
    out_free(&o);
    /* concatenated values of different shapes */
    split("{\"a\":1}{\"Records\":[{\"b\":2}]}[{\"c\":3}] {\"d\":4}", &o);
    T_EQ_INT(o.nrec, 4);
    T_HAS(&o, "R 0 1 3 - 7 ");
    T_HAS(&o, "R 19 1 2 Records 7 ");
    T_HAS(&o, "R 29 1 1 - 7 ");
    T_HAS(&o, "R 38 1 3 - 7 ");
    T_HAS(&o, "shape 3 rc 0"); /* of the first value */
    out_free(&o);
}

static void test_prefixed_lines(void)
{
    struct out o;
    split("2024-01-01T00:00:00.000Z {\"eventName\":\"A\"}\n"
          "2024-01-01T00:00:01.000Z {\"eventName\":\"B\",\"x\":[1]}\r\n"
          "\n"
          "2024-01-01T00:00:02.000Z {\"eventName\":\"C\"}",
          &o);
    T_EQ_INT(o.nrec, 3);
    T_EQ_INT(o.nerr, 0);
    T_HAS(&o, "R 25 1 4 - 17 [{\"eventName\":\"A\"}]");
    T_HAS(&o, "R 68 2 4 - 25 [{\"eventName\":\"B\",\"x\":[1]}]");
    T_HAS(&o, "R 121 4 4 - 17 [{\"eventName\":\"C\"}]");
    T_HAS(&o, "shape 4 rc 0");
    out_free(&o);
    /* a line without JSON in a prefixed stream: error, next line still read */
    split("2024-01-01T00:00:00Z {\"a\":1}\n2024-01-01T00:00:00Z plain text\n"
          "2024-01-01T00:00:00Z {\"b\":2} trailing\n2024-01-01T00:00:00Z {\"c\":3}\n",
          &o);
    T_EQ_INT(o.nrec, 3); /* a, b (record is complete before the junk), c */
    T_EQ_INT(o.nerr, 2);
    T_HAS(&o, "E 4 29 2 in.json: line is neither JSON nor");
    T_HAS(&o, "E 4 90 3 in.json: unexpected 't' after the record of a prefixed line");
    out_free(&o);
}

static void test_offsets_and_lines(void)
{
    struct out o;
    const char *s = "{\"Records\": [\n"
                    "  {\n    \"a\": \"x\"\n  },\n"
                    "  {\"b\": {\"c\": [\n1,\n2]}}\n"
                    "]}\n";
    split(s, &o);
    T_EQ_INT(o.nrec, 2);
    /* first record: line 2, offset 16 */
    T_CHECK(s[16] == '{');
    T_HAS(&o, "R 16 2 2 Records 18 [{\n    \"a\": \"x\"\n  }]");
    T_CHECK(s[38] == '{');
    T_HAS(&o, "R 38 5 2 Records 21 ");
    out_free(&o);
}

/* ---- errors and recovery --------------------------------------------------- */

static void test_empty_and_blank(void)
{
    struct out o;
    split("", &o);
    T_EQ_INT(o.nrec, 0);
    T_EQ_INT(o.nerr, 0);
    T_HAS(&o, "shape 0 rc 0");
    out_free(&o);
    split(" \r\n\t\n  ", &o);
    T_EQ_INT(o.nrec, 0);
    T_EQ_INT(o.nerr, 0);
    out_free(&o);
    split("\xEF\xBB\xBF\n", &o);
    T_EQ_INT(o.nrec, 0);
    T_EQ_INT(o.nerr, 0);
    out_free(&o);
}

static void test_bom(void)
{
    struct out o;
    split("\xEF\xBB\xBF{\"a\":1}\n{\"b\":2}\n", &o);
    T_EQ_INT(o.nrec, 2);
    T_EQ_INT(o.nerr, 0);
    T_HAS(&o, "R 3 1 3 - 7 [{\"a\":1}]");
    T_HAS(&o, "R 11 2 3 - 7 [{\"b\":2}]");
    out_free(&o);
    /* a BOM then a prefixed line: column 0 is after the BOM */
    split("\xEF\xBB\xBF" "2024-01-01T00:00:00Z {\"a\":1}\n", &o);
    T_EQ_INT(o.nrec, 1);
    T_HAS(&o, "R 24 1 4 - 7 ");
    out_free(&o);
    /* half a BOM is not JSON */
    split("\xEF\xBB{}", &o);
    T_EQ_INT(o.nrec, 0);
    T_EQ_INT(o.nerr, 1);
    T_HAS(&o, "not JSON: starts with \"\\xEF\\xBB{}\"");
    out_free(&o);
}

static void test_not_json(void)
{
    struct out o;
    split("eventVersion;eventTime\n{\"a\":1}\n1.08,2024\n", &o);
    T_EQ_INT(o.nrec, 0);
    T_EQ_INT(o.nerr, 1);
    T_EQ_INT(o.codes[0], KM_EFORMAT);
    T_HAS(&o, "E 6 0 1 in.json: not JSON: starts with \"eventVersion;eventTime\"");
    out_free(&o);
    split("  12345 hello\n", &o);
    T_EQ_INT(o.nerr, 1);
    T_HAS(&o, "E 6 2 1 in.json: not JSON: starts with \"12345 hello\"");
    out_free(&o);
    split("2024-01-01", &o); /* a prefix cut short at EOF */
    T_EQ_INT(o.nerr, 1);
    T_HAS(&o, "not JSON: starts with \"2024-01-01\"");
    out_free(&o);
    split("\"just a string\"", &o);
    T_EQ_INT(o.nerr, 1);
    T_EQ_INT(o.codes[0], KM_EFORMAT);
    out_free(&o);
}

static void test_scalars_in_array(void)
{
    struct out o;
    split("[1, {\"a\":1}, \"s\\\"]\", [2, {\"x\":[]}], null, {\"b\":2},]", &o);
    T_EQ_INT(o.nrec, 2);
    T_EQ_INT(o.nerr, 5);
    T_HAS(&o, "E 6 1 1 in.json: array element is a scalar");
    T_HAS(&o, "E 6 13 1 in.json: array element is a string");
    T_HAS(&o, "E 6 21 1 in.json: array element is an array");
    T_HAS(&o, "E 6 36 1 in.json: array element is a scalar");
    T_HAS(&o, "E 4 50 1 in.json: trailing ','");
    T_HAS(&o, "R 42 1 1 - 7 [{\"b\":2}]");
    out_free(&o);
}

static void test_unterminated(void)
{
    struct out o;
    split("[{\"a\":1},\n {\"b\": \"abc", &o);
    T_EQ_INT(o.nrec, 1);
    T_EQ_INT(o.nerr, 1);
    T_HAS(&o, "E 4 11 2 in.json: unterminated record at end of input (inside a string)");
    out_free(&o);
    split("{\"Records\":[{\"a\":1}", &o);
    T_EQ_INT(o.nrec, 1);
    T_EQ_INT(o.nerr, 1);
    T_HAS(&o, "E 4 0 1 in.json: unterminated value at end of input");
    out_free(&o);
    split("{\"a\":{\"b\":1}", &o);
    T_EQ_INT(o.nrec, 0);
    T_HAS(&o, "E 4 0 1 in.json: unterminated record at end of input");
    out_free(&o);
}

static void test_jsonl_garbage_resync(void)
{
    struct out o;
    split("{\"a\":1}\n"
          "garbage line {\"x\":1}\n"
          "{\"b\":\"broken\n"
          "{\"c\":[1}]}\n"
          "  {\"indented\":1}\n"
          "{\"d\":4} junk\n"
          "{\"e\":5}\n",
          &o);
    T_EQ_INT(o.nrec, 3); /* a, d, e */
    T_HAS(&o, "R 0 1 3 - 7 [{\"a\":1}]");
    T_HAS(&o, "R 83 7 3 - 7 [{\"e\":5}]");
    T_EQ_INT(o.nerr, 4);
    T_HAS(&o, "E 4 8 2 in.json: unexpected 'g' at top level");
    T_HAS(&o, "E 4 41 3 in.json: newline inside a string");
    T_HAS(&o, "E 4 49 4 in.json: unbalanced brackets: unexpected '}'");
    T_HAS(&o, "R 70 6 3 - 7 [{\"d\":4}]"); /* complete before the junk */
    T_HAS(&o, "E 4 78 6 in.json: unexpected 'j' after the end of a value");
    /* the indented line is skipped silently during resync */
    out_free(&o);
}

static void test_no_resync_in_pretty_json(void)
{
    struct out o;
    /* a multi-line value broken on a later line: the rest is ignored */
    split("{\"Records\": [\n{\"a\": 1},\n{\"b\": [}\n,\n{\"c\": 3}\n]}\n", &o);
    T_EQ_INT(o.nrec, 1);
    T_EQ_INT(o.nerr, 1);
    T_HAS(&o, "E 4 31 3 in.json: unbalanced brackets");
    out_free(&o);
    /* missing comma between records: reported, both kept */
    split("[{\"a\":1} {\"b\":2}]", &o);
    T_EQ_INT(o.nrec, 2);
    T_EQ_INT(o.nerr, 1);
    T_HAS(&o, "E 4 9 1 in.json: missing ','");
    out_free(&o);
    /* bytes after the end of a single value */
    split("{\"a\":1} x", &o);
    T_EQ_INT(o.nrec, 1);
    T_HAS(&o, "E 4 8 1 in.json: unexpected 'x' after the end of a value");
    out_free(&o);
}

static void test_record_limit(void)
{
    struct km_records_limits lim;
    struct out o;
    char big[4096];
    int k;
    km_records_limits_default(&lim);
    lim.max_record = 100;
    k = snprintf(big, sizeof big, "[{\"a\":\"");
    memset(big + k, 'x', 300);
    k += 300;
    k += snprintf(big + k, sizeof big - (size_t)k, "\"},\n{\"b\":2},{\"c\":\"%s\"}]", "y");
    split_lim(big, (size_t)k, &lim, &o);
    T_EQ_INT(o.nrec, 2);
    T_EQ_INT(o.nerr, 1);
    T_EQ_INT(o.codes[0], KM_ELIMIT);
    T_HAS(&o, "E 5 1 1 in.json: record of 308 bytes exceeds the 100-byte limit (max_record); skipped");
    T_HAS(&o, "R 311 2 1 - 7 [{\"b\":2}]");
    out_free(&o);
    /* a top-level object over the limit, then a wrapper that needs the
     * buffered prefix dropped */
    k = snprintf(big, sizeof big, "{\"a\":\"");
    memset(big + k, 'x', 300);
    k += 300;
    k += snprintf(big + k, sizeof big - (size_t)k, "\"}\n{\"pad\":\"");
    memset(big + k, 'p', 300);
    k += 300;
    k += snprintf(big + k, sizeof big - (size_t)k, "\",\"Records\":[{\"r\":1}]}\n{\"z\":1}");
    split_lim(big, (size_t)k, &lim, &o);
    T_EQ_INT(o.nrec, 2);
    T_EQ_INT(o.nerr, 1);
    T_HAS(&o, "E 5 0 1 in.json: record of 308 bytes");
    T_HAS(&o, "Records 7 [{\"r\":1}]");
    T_HAS(&o, "3 - 7 [{\"z\":1}]");
    out_free(&o);
}

static void test_depth_limit(void)
{
    struct km_records_limits lim;
    struct out o;
    km_records_limits_default(&lim);
    lim.max_depth = 4;
    split_lim("[{\"a\":[[1]]}]\n[{\"a\":[[[1]]]}]\n[{\"ok\":1}]\n", 41, &lim, &o);
    T_EQ_INT(o.nrec, 2);
    T_EQ_INT(o.nerr, 1);
    T_EQ_INT(o.codes[0], KM_ELIMIT);
    T_HAS(&o, "E 5 22 2 in.json: nesting deeper than 4 (max_depth)");
    out_free(&o);
}

static void test_stop(void)
{
    struct out o;
    memset(&o, 0, sizeof o);
    o.stop_after = 2;
    run("[{\"a\":1},{\"b\":2},{\"c\":3}]", 25, CH_BYTE, 0, NULL, &o);
    T_EQ_INT(o.nrec, 2);
    T_HAS(&o, "rc 7");
    out_free(&o);
}

static void test_escapes_across_chunks(void)
{
    struct out o;
    /* backslash runs of every parity around quotes and brackets */
    split("[{\"a\":\"\\\\\"},{\"b\":\"\\\\\\\"]}\"},{\"c\":\"\\\\\\\\\\\\\"},"
          "{\"d\":\"x\\u005b\\\\\\\\\\\"}{\"}]\n",
          &o);
    T_EQ_INT(o.nrec, 4);
    T_EQ_INT(o.nerr, 0);
    out_free(&o);
    /* long strings: the block scanner's 64-byte blocks and carries */
    char s[2000];
    int k = snprintf(s, sizeof s, "[{\"k\":\"");
    for (int i = 0; i < 300; i++)
        s[k++] = "ab\\\"{}[]"[i % 8 == 2 ? 2 : (i % 8 == 3 ? 3 : (i % 8) & 1)];
    k += snprintf(s + k, sizeof s - (size_t)k, "\"},{\"z\":\"%s\"}]", "]]]]");
    split_lim(s, (size_t)k, NULL, &o);
    T_EQ_INT(o.nrec, 2);
    T_EQ_INT(o.nerr, 0);
    out_free(&o);
}

/* Random structured inputs, mixing every shape and many defects: output must
 * not depend on the chunking. */
static void test_random_invariance(void)
{
    static const char *const parts[] = {
        "{\"Records\":[", "{\"a\":\"x\\\"y\"}", ",", "]}", "[", "]", "\n", " ", "{\"b\":[1,{}]}",
        "\"str\"", "2024-01-01T00:00:00Z ", "{\"value\":", "}", "\\", "\"", "{", "\r\n", "12",
        "{\"events\" : [", "x", "\xEF\xBB\xBF",
    };
    for (int iter = 0; iter < 300; iter++) {
        char s[600];
        size_t n = 0;
        int np = 1 + (int)(rng() % 40);
        struct out o;
        for (int i = 0; i < np; i++) {
            const char *p = parts[rng() % KM_ARRAY_LEN(parts)];
            size_t l = strlen(p);
            if (n + l >= sizeof s)
                break;
            memcpy(s + n, p, l);
            n += l;
        }
        split_lim(s, n, NULL, &o);
        out_free(&o);
    }
}

/* ---- CSV --------------------------------------------------------------------- */

static void test_csv_rows(void)
{
    struct out o;
    /* CRLF, a quoted cell with commas, "" escapes and an embedded newline,
     * an empty cell omitted, a short row, a last row without newline */
    const char *s = "Event Type,Event Name,User ID\r\n"
                    "AwsApiCall,ListObjects,\"{'a': 'b, c'}\"\r\n"
                    "X,\"multi\nline \"\"q\"\"\",\r\n"
                    "Y\r\n"
                    "Z,\xC3\xA9\x01\\";
    split(s, &o);
    T_EQ_INT(o.nrec, 4);
    T_EQ_INT(o.nerr, 0);
    T_HAS(&o, "R 31 2 5 - 80 [{\"Event Type\":\"AwsApiCall\",\"Event Name\":\"ListObjects\","
              "\"User ID\":\"{'a': 'b, c'}\"}]\nC 31+38 [AwsApiCall,ListObjects,\"{'a': 'b, c'}\"]");
    T_HAS(&o, "R 71 3 5 - 51 [{\"Event Type\":\"X\",\"Event Name\":\"multi\\nline \\\"q\\\"\"}]\n"
              "C 71+21 [X,\"multi\nline \"\"q\"\"\",]");
    T_HAS(&o, "R 94 5 5 - 18 [{\"Event Type\":\"Y\"}]\nC 94+1 [Y]");
    T_HAS(&o, "R 97 6 5 - 44 [{\"Event Type\":\"Z\",\"Event Name\":\"\xC3\xA9\\u0001\\\\\"}]\n"
              "C 97+6 [Z,\xC3\xA9\x01\\]");
    T_HAS(&o, "shape 5 rc 0");
    out_free(&o);
    /* what was once "not JSON" with a comma in its first line is a header */
    split("eventVersion,eventTime\n{\"a\":1}\n1.08,2024\n", &o);
    T_EQ_INT(o.nrec, 2);
    T_EQ_INT(o.nerr, 0);
    T_HAS(&o, "R 23 2 5 - 28 [{\"eventVersion\":\"{\\\"a\\\":1}\"}]");
    T_HAS(&o, "R 31 3 5 - 42 [{\"eventVersion\":\"1.08\",\"eventTime\":\"2024\"}]");
    out_free(&o);
}

static void test_csv_bom_tab_blank(void)
{
    struct out o;
    /* BOM, blank lines before the header and between rows, a TAB header,
     * a row of empty cells (skipped), a quoted field with TAB and quotes,
     * text after a closing quote kept */
    split("\xEF\xBB\xBF\r\n\n a\tb\tc \n\nx\t\"y\tz\"\t\"q\"w\n\t\t\n\r\n1\t2\t\"\"\n", &o);
    T_EQ_INT(o.nerr, 0);
    T_EQ_INT(o.nrec, 2);
    T_HAS(&o, "R 15 5 5 - 29 [{\"a\":\"x\",\"b\":\"y\\tz\",\"c\":\"qw\"}]");
    T_HAS(&o, "R 33 8 5 - 17 [{\"a\":\"1\",\"b\":\"2\"}]");
    out_free(&o);
    /* a header alone, without newline: no record, no error */
    split("a,b", &o);
    T_EQ_INT(o.nrec, 0);
    T_EQ_INT(o.nerr, 0);
    T_HAS(&o, "shape 5 rc 0");
    out_free(&o);
    /* a quoted header name may span lines, but a newline is no name */
    split("\"multi\nline\",b\n1,2\n", &o);
    T_EQ_INT(o.nrec, 0);
    T_EQ_INT(o.nerr, 1);
    T_HAS(&o, "E 6 0 1 in.json: not JSON: starts with \"\"multi\"");
    out_free(&o);
}

static void test_csv_header_names(void)
{
    struct out o;
    /* trimmed, " [UTC]"-style suffixes stripped, empty names numbered,
     * repeated names suffixed; a TAB with commas is no delimiter */
    split(" TimeGenerated [UTC] ,CreatedDateTime [Local Time],,Incoming token type,"
          "Incoming token type,x [a],\"q\"\"n\",T [UTC+02:00]\n"
          "t,c,e,i1,i2,s,q,z\n",
          &o);
    T_EQ_INT(o.nerr, 0);
    T_HAS(&o, "[{\"TimeGenerated\":\"t\",\"CreatedDateTime\":\"c\",\"column 3\":\"e\","
              "\"Incoming token type\":\"i1\",\"Incoming token type (2)\":\"i2\",\"x [a]\":\"s\","
              "\"q\\\"n\":\"q\",\"T\":\"z\"}]");
    out_free(&o);
}

static void test_csv_not_a_header(void)
{
    static const char *const bad[] = {
        "one column only\nx\n",      /* a single name */
        "a,a\n1,2\n",                /* not two distinct names */
        ",,\n1,2\n",                 /* no name at all */
        "1st,2nd\n",                 /* first name starts with a digit */
        "a,b\x01\n",                 /* control byte */
        "a,\xFF\xFE\n",              /* not UTF-8 */
        "\"a,b\n",                   /* unterminated quote at EOF */
        "\"just a string\"",         /* one quoted name */
    };
    for (size_t i = 0; i < KM_ARRAY_LEN(bad); i++) {
        struct out o;
        split(bad[i], &o);
        T_EQ_INT(o.nrec, 0);
        T_EQ_INT(o.nerr, 1);
        T_EQ_INT(o.codes[0], KM_EFORMAT);
        T_HAS(&o, "not JSON: starts with");
        out_free(&o);
    }
    struct km_err e;
    size_t st, ln;
    char d;
    km_err_clear(&e);
    T_EQ_INT(km_csv_header_find("{\"a\":1}", 7, &st, &ln, &d, &e), KM_EFORMAT);
    T_EQ_INT(km_csv_header_find("\xEF\xBB\xBF\n a,b\r\nx", 13, &st, &ln, &d, &e), KM_OK);
    T_EQ_INT(st, 5);
    T_EQ_INT(ln, 3);
    T_EQ_INT(d, ',');
}

static void test_csv_ragged_and_unterminated(void)
{
    struct out o;
    split("A,B\n1,2,3\n4,5\n\"x\"\"y\",\"open\n6,7\n", &o);
    T_EQ_INT(o.nrec, 1);
    T_EQ_INT(o.nerr, 2);
    T_EQ_INT(o.codes[0], KM_EFORMAT);
    T_HAS(&o, "E 6 4 2 in.json: CSV row has 3 cells, the header has 2 columns");
    T_HAS(&o, "R 10 3 5 - 17 [{\"A\":\"4\",\"B\":\"5\"}]");
    T_HAS(&o, "E 6 14 4 in.json: unterminated quoted field at end of input");
    out_free(&o);
    /* a bad row does not stop the next ones */
    split("A,B\n1,2,,\n3,4\n", &o);
    T_EQ_INT(o.nrec, 1);
    T_EQ_INT(o.nerr, 1);
    T_HAS(&o, "CSV row has 4 cells, the header has 2 columns");
    out_free(&o);
    /* the public function says the same */
    struct km_buf b;
    struct km_err e;
    km_buf_init(&b, 0);
    km_err_clear(&e);
    T_EQ_INT(km_csv_row_to_json("A,B", 3, "1,\"2", 4, 0, &b, &e), KM_EFORMAT);
    km_err_clear(&e);
    T_EQ_INT(km_csv_row_to_json("A,B", 3, "1,2,3", 5, 0, &b, &e), KM_EFORMAT);
    T_EQ_INT(e.offset, 4);
    T_EQ_INT(km_csv_row_to_json("A;B", 3, "1", 1, 0, &b, &e), KM_EFORMAT); /* no header */
    T_EQ_INT(km_csv_row_to_json("A,B", 3, ",", 1, 0, &b, &e), KM_OK);
    T_EQ_STR(b.p, "{}");
    T_EQ_INT(km_csv_row_to_json("A\tB", 3, "1\t2", 3, 0, &b, &e), KM_OK);
    T_EQ_STR(b.p, "{\"A\":\"1\",\"B\":\"2\"}");
    km_buf_free(&b);
}

static void test_csv_limits(void)
{
    struct km_records_limits lim;
    struct out o;
    static char big[300000];
    size_t k;
    km_records_limits_default(&lim);
    lim.max_record = 100;
    /* a row over max_record: KM_ELIMIT with its line, the next row is read */
    k = (size_t)snprintf(big, sizeof big, "a,b\n\"");
    memset(big + k, 'x', 150);
    k += 150;
    k += (size_t)snprintf(big + k, sizeof big - k, "\n\",1\n2,3\n");
    split_lim(big, k, &lim, &o);
    T_EQ_INT(o.nrec, 1);
    T_EQ_INT(o.nerr, 1);
    T_EQ_INT(o.codes[0], KM_ELIMIT);
    T_HAS(&o, "E 5 4 2 in.json: CSV row of 155 bytes exceeds the 100-byte limit (max_record)");
    T_HAS(&o, "R 160 4 5 - 17 [{\"a\":\"2\",\"b\":\"3\"}]");
    out_free(&o);
    /* 1025 columns: KM_ELIMIT, nothing read */
    k = 0;
    for (int c = 0; c < 1025; c++)
        k += (size_t)snprintf(big + k, sizeof big - k, "%sc%d", c ? "," : "", c);
    k += (size_t)snprintf(big + k, sizeof big - k, "\n1,2\n");
    split_lim(big, k, NULL, &o);
    T_EQ_INT(o.nrec, 0);
    T_EQ_INT(o.nerr, 1);
    T_EQ_INT(o.codes[0], KM_ELIMIT);
    T_HAS(&o, "CSV header has more than 1024 columns");
    out_free(&o);
    /* 1024 columns are fine */
    k = 0;
    for (int c = 0; c < 1024; c++)
        k += (size_t)snprintf(big + k, sizeof big - k, "%sc%d", c ? "," : "", c);
    k += (size_t)snprintf(big + k, sizeof big - k, "\n1,2\n");
    split_lim(big, k, NULL, &o);
    T_EQ_INT(o.nrec, 1);
    T_EQ_INT(o.nerr, 0);
    out_free(&o);
    /* a first line longer than KM_CSV_HEADER_MAX is no header */
    memset(big, 'h', KM_CSV_HEADER_MAX + 10);
    big[5] = ',';
    big[KM_CSV_HEADER_MAX + 10] = '\n';
    memcpy(big + KM_CSV_HEADER_MAX + 11, "1,2\n", 4);
    split_lim(big, KM_CSV_HEADER_MAX + 15, NULL, &o);
    T_EQ_INT(o.nrec, 0);
    T_EQ_INT(o.nerr, 1);
    T_HAS(&o, "not JSON: starts with \"hhhhh,hhhh");
    out_free(&o);
}

static void test_csv_stop(void)
{
    struct out o;
    memset(&o, 0, sizeof o);
    o.stop_after = 1;
    run("a,b\n1,2\n3,4\n", 12, CH_BYTE, 0, NULL, &o);
    T_EQ_INT(o.nrec, 1);
    T_HAS(&o, "rc 7");
    out_free(&o);
    memset(&o, 0, sizeof o);
    o.stop_after = 2; /* the last row is emitted by finish() */
    run("a,b\n1,2\n3,4", 11, CH_ONE, 0, NULL, &o);
    T_EQ_INT(o.nrec, 2);
    T_HAS(&o, "rc 7");
    out_free(&o);
}

static void test_csv_random_invariance(void)
{
    static const char *const parts[] = {
        ",", "\"", "\"\"", "\n", "\r\n", "x", "yy", "\t", " ", "{", "'", "\xC3\xA9", "\xFF", "1",
    };
    for (int iter = 0; iter < 300; iter++) {
        char s[400];
        size_t n = 0;
        struct out o;
        n += (size_t)snprintf(s, sizeof s, "%s", iter % 3 ? "h1,h2,\"h 3\"\n" : "\xEF\xBB\xBFh1\th2\n");
        int np = 1 + (int)(rng() % 60);
        for (int i = 0; i < np; i++) {
            const char *p = parts[rng() % KM_ARRAY_LEN(parts)];
            size_t l = strlen(p);
            if (n + l >= sizeof s)
                break;
            memcpy(s + n, p, l);
            n += l;
        }
        split_lim(s, n, NULL, &o);
        T_CHECK(has(&o, "shape 5 rc 0"));
        out_free(&o);
    }
}

/* ---- the real corpus ------------------------------------------------------- */

static int split_file(const char *path, int *nerr, int *shape)
{
    FILE *f = fopen(path, "rb");
    struct out o;
    struct km_records_cb cb = {on_rec, on_err, &o};
    struct km_records *r;
    char buf[4096];
    size_t k;
    int n;
    memset(&o, 0, sizeof o);
    if (!f)
        return -1;
    km_records_new(NULL, &cb, path, &r);
    while ((k = fread(buf, 1, sizeof buf, f)) > 0)
        km_records_feed(r, buf, k);
    km_records_finish(r);
    fclose(f);
    *nerr = o.nerr;
    *shape = km_records_shape(r);
    if (o.nerr)
        fprintf(stderr, "  %s:\n%s", path, o.s);
    km_records_free(r);
    n = o.nrec;
    out_free(&o);
    return n;
}

static void test_corpus_counts(void)
{
    /* counted independently with jq (array length / .Records length /
     * number of values) */
    static const struct {
        const char *path;
        int records, shape;
    } want[] = {
        {"stratus-red-team-detonation-logs/docs/detonation-logs/aws.execution.ssm-start-session.json",
         29, KM_SHAPE_ARRAY},
        {"stratus-red-team-detonation-logs/docs/detonation-logs/aws.defense-evasion.cloudtrail-delete.json",
         1, KM_SHAPE_ARRAY},
        {"trailscraper-testdata/tests/cloudtrail/data/"
         "111111111111_CloudTrail_eu-central-1_20171211T1505Z_A6kvhMoVeCsc7v8U.json",
         2, KM_SHAPE_WRAPPED},
        {"trailscraper-testdata/tests/smoke/events-for-smoke-test.json", 3, KM_SHAPE_WRAPPED},
        {"awsdocs-cloudtrail-user-guide/extracted/cloudtrail-log-file-examples__05.records.json", 1,
         KM_SHAPE_WRAPPED},
        {"awsdocs-cloudtrail-user-guide/extracted/"
         "cloudtrail-log-file-validation-digest-file-structure__01.digest.json",
         1, KM_SHAPE_OBJECT},
        {"plaso-test-data/test_data/jsonl/aws_cloudtrail.jsonl", 6, KM_SHAPE_OBJECT},
        {"plaso-test-data/test_data/jsonl/gcp_logging.jsonl", 11, KM_SHAPE_OBJECT},
        {"panther-analysis-tests/extracted/AWS_CloudTrail.jsonl", 475, KM_SHAPE_OBJECT},
        {"panther-analysis-tests/extracted/GCP_AuditLog.jsonl", 206, KM_SHAPE_OBJECT},
        {"panther-analysis-tests/extracted/Azure_MonitorActivity.labels.jsonl", 249, KM_SHAPE_OBJECT},
    };
    for (size_t i = 0; i < KM_ARRAY_LEN(want); i++) {
        char path[1024];
        int nerr = -1, shape = -1, n;
        snprintf(path, sizeof path, "%s/%s", t_corpus(), want[i].path);
        n = split_file(path, &nerr, &shape);
        if (n != want[i].records)
            fprintf(stderr, "  %s: %d records, expected %d\n", want[i].path, n, want[i].records);
        T_EQ_INT(n, want[i].records);
        T_EQ_INT(nerr, 0);
        T_EQ_INT(shape, want[i].shape);
    }
}

static int corpus_files, corpus_records, corpus_bad;

static void walk_split(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    if (!d) {
        fprintf(stderr, "  cannot open %s\n", dir);
        corpus_bad++;
        return;
    }
    while ((e = readdir(d)) != NULL) {
        char p[2048];
        struct stat st;
        size_t l = strlen(e->d_name);
        if (e->d_name[0] == '.')
            continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (stat(p, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            walk_split(p);
        } else if ((l > 5 && strcmp(e->d_name + l - 5, ".json") == 0) ||
                   (l > 6 && strcmp(e->d_name + l - 6, ".jsonl") == 0)) {
            int nerr, shape, n = split_file(p, &nerr, &shape);
            corpus_files++;
            if (n < 1 || nerr) {
                fprintf(stderr, "  %s: %d records, %d errors\n", p, n, nerr);
                corpus_bad++;
            } else {
                corpus_records += n;
            }
        }
    }
    closedir(d);
}

static void test_corpus_all_files(void)
{
    static const char *const dirs[] = {
        "stratus-red-team-detonation-logs", "trailscraper-testdata", "awsdocs-cloudtrail-user-guide",
        "plaso-test-data", "panther-analysis-tests/extracted",
    };
    for (size_t i = 0; i < KM_ARRAY_LEN(dirs); i++) {
        char p[1024];
        snprintf(p, sizeof p, "%s/%s", t_corpus(), dirs[i]);
        walk_split(p);
    }
    /* 35 stratus + 2 trailscraper + 23 awsdocs + 4 plaso + 12 panther */
    T_EQ_INT(corpus_files, 76);
    T_EQ_INT(corpus_bad, 0);
    /* counted with jq over the same files: arrays' objects, wrapper arrays'
     * objects, else 1 per top-level object */
    T_EQ_INT(corpus_records, 2356);
}

int main(void)
{
    T_RUN(test_bare_array);
    T_RUN(test_wrapped_records);
    T_RUN(test_wrapper_keys);
    T_RUN(test_wrapper_other_keys_ignored);
    T_RUN(test_wrapper_not_array_is_object);
    T_RUN(test_single_object_and_jsonl);
    T_RUN(test_prefixed_lines);
    T_RUN(test_offsets_and_lines);
    T_RUN(test_empty_and_blank);
    T_RUN(test_bom);
    T_RUN(test_not_json);
    T_RUN(test_scalars_in_array);
    T_RUN(test_unterminated);
    T_RUN(test_jsonl_garbage_resync);
    T_RUN(test_no_resync_in_pretty_json);
    T_RUN(test_record_limit);
    T_RUN(test_depth_limit);
    T_RUN(test_stop);
    T_RUN(test_escapes_across_chunks);
    T_RUN(test_random_invariance);
    T_RUN(test_csv_rows);
    T_RUN(test_csv_bom_tab_blank);
    T_RUN(test_csv_header_names);
    T_RUN(test_csv_not_a_header);
    T_RUN(test_csv_ragged_and_unterminated);
    T_RUN(test_csv_limits);
    T_RUN(test_csv_stop);
    T_RUN(test_csv_random_invariance);
    T_RUN(test_corpus_counts);
    T_RUN(test_corpus_all_files);
    return t_done();
}
