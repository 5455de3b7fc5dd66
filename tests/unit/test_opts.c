/*
 * test_opts.c — the table-driven option parser (cli/opts.h): both value
 * spellings, strict numbers, sizes, enums, lists, positional words, unknown
 * options, and the bare-date --until bound.
 */
#include "cli/opts.h"
#include "t.h"

#include <stdint.h>

struct r {
    int json, ex, rc;
    long limit;
    unsigned long long size;
    const char *fmt, *name;
    const char *list[3];
    size_t nlist;
    int64_t until;
    const char *pos[2];
    int npos;
};

static void parse(struct r *r, const char *line)
{
    char buf[512], *argv[32];
    int argc = 0;
    snprintf(buf, sizeof buf, "test %s", line);
    for (char *t = strtok(buf, " "); t && argc < 31; t = strtok(NULL, " "))
        argv[argc++] = t;
    argv[argc] = NULL;
    static char keep[32][64]; /* the values must outlive the parse */
    for (int i = 0; i < argc; i++) {
        snprintf(keep[i], sizeof keep[i], "%s", argv[i]);
        argv[i] = keep[i];
    }
    memset(r, 0, sizeof *r);
    r->until = INT64_MAX;
    const struct km_opt opt[] = {
        KM_OPT_FLAG("--json", 0, &r->json, "print JSON"),
        KM_OPT_INT("--limit", 'n', &r->limit, 1, 1000, "N", "at most N"),
        KM_OPT_SIZE("--max", 0, &r->size, 1, INT64_MAX, "a size"),
        KM_OPT_ENUM("--format", 0, &r->fmt, "table|jsonl", "the format"),
        KM_OPT_STR("--name", 0, &r->name, "X", "a name"),
        KM_OPT_LIST("--source", 0, r->list, &r->nlist, 3, "S", "sources"),
        KM_OPT_UNTIL("--until", 0, &r->until, "until"),
        KM_OPT_END,
    };
    struct km_opts o = {.cmd = "test", .args = "[A [B]]", .opt = opt, .pos = r->pos,
                        .maxpos = 2, .summary = "a test"};
    FILE *saved = stderr;
    stderr = fopen("/dev/null", "w");
    FILE *so = stdout;
    stdout = stderr;
    r->rc = km_opts_parse(&o, argc, argv, &r->ex);
    fclose(stderr);
    stderr = saved;
    stdout = so;
    r->npos = o.npos;
}

static void test_values(void)
{
    struct r r;
    parse(&r, "--json --limit 5 --format=JSONL --name=a=b x --source s1 --source=s2 y");
    T_EQ_INT(r.rc, 0);
    T_EQ_INT(r.json, 1);
    T_EQ_INT(r.limit, 5);
    T_EQ_STR(r.fmt, "jsonl");
    T_EQ_STR(r.name, "a=b");
    T_EQ_INT(r.nlist, 2);
    T_EQ_STR(r.list[1], "s2");
    T_EQ_INT(r.npos, 2);
    T_EQ_STR(r.pos[0], "x");
    parse(&r, "-n 7 -- --json");
    T_EQ_INT(r.rc, 0);
    T_EQ_INT(r.limit, 7);
    T_EQ_INT(r.json, 0);
    T_EQ_STR(r.pos[0], "--json");
}

static void test_strict_numbers(void)
{
    const char *bad[] = {"0", "-5", "abc", "2x", "", "1001", "1e2", "+", "99999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char line[64];
        snprintf(line, sizeof line, "--limit=%s", bad[i]);
        struct r r;
        parse(&r, line);
        T_EQ_INT(r.rc, 1);
        T_EQ_INT(r.ex, 2);
    }
    long long v;
    const char *why;
    T_EQ_INT(km_opts_int("42", 1, 100, &v, &why), 0);
    T_EQ_INT(v, 42);
    T_EQ_INT(km_opts_int("-0", 0, 100, &v, &why), 0);
    T_EQ_INT(km_opts_int("12a", 0, 100, &v, &why), -1);
    T_EQ_INT(km_opts_int(" 3", 0, 100, &v, &why), -1);
    T_EQ_INT(km_opts_int("3 ", 0, 100, &v, &why), -1);
    T_EQ_INT(km_opts_size("64K", 1, INT64_MAX, &v, &why), 0);
    T_EQ_INT(v, 65536);
    T_EQ_INT(km_opts_size("2GB", 1, INT64_MAX, &v, &why), 0);
    T_EQ_INT(v, 2LL << 30);
    T_EQ_INT(km_opts_size("1.5M", 1, INT64_MAX, &v, &why), -1);
    T_EQ_INT(km_opts_size("-1", 0, INT64_MAX, &v, &why), -1);
    T_EQ_INT(km_opts_size("0", 1, INT64_MAX, &v, &why), -1);
    T_EQ_INT(km_opts_size("99999999999T", 1, INT64_MAX, &v, &why), -1);
}

static void test_errors(void)
{
    struct r r;
    const char *bad[] = {"--jsn", "--json=1", "--limit", "--format xml", "-x", "a b c",
                         "--source a --source b --source c --source d", "--until 2024-13-45"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        parse(&r, bad[i]);
        T_EQ_INT(r.rc, 1);
        T_EQ_INT(r.ex, 2);
    }
    parse(&r, "--jsn --help");
    T_EQ_INT(r.rc, 1);
    T_EQ_INT(r.ex, 0);
    parse(&r, "--name --help");  /* a value that looks like --help is a value */
    T_EQ_INT(r.rc, 0);
    T_EQ_STR(r.name, "--help");
    T_CHECK(km_opts_distance("--jsn", "--json") == 1);
    T_CHECK(km_opts_distance("--limit", "--limit") == 0);
}

static void test_until_date(void)
{
    struct r r;
    parse(&r, "--until 2024-07-31");
    T_EQ_INT(r.rc, 0);
    int64_t start;
    T_EQ_INT(km_opts_time("2024-08-01T00:00:00Z", 0, &start, NULL), 0);
    T_EQ_INT(r.until, start - 1);
    int d = 0;
    int64_t t;
    T_EQ_INT(km_opts_time("2024-07-31", 0, &t, &d), 0);
    T_EQ_INT(d, 1);
    T_EQ_INT(t, start - (int64_t)86400 * 1000000);
    T_EQ_INT(km_opts_time("2024-07-31T10:00:00Z", 1, &t, &d), 0);
    T_EQ_INT(d, 0);
    T_EQ_INT(km_opts_time("7x", 0, &t, NULL), -1);
    T_EQ_INT(km_opts_time("", 0, &t, NULL), -1);
}

int main(void)
{
    T_RUN(test_values);
    T_RUN(test_strict_numbers);
    T_RUN(test_errors);
    T_RUN(test_until_date);
    return t_done();
}
