/*
 * opts.h — a command's options as data. One table per command drives the
 * parsing of its argv, its `--help` and the generated docs (docs/cli.md,
 * `kumo help --markdown`), so every command treats options alike:
 *
 *   - `--opt value` and `--opt=value` both work; a short alias `-x value`;
 *   - an unknown option is a usage error (exit 2) naming the nearest option;
 *   - a value option always takes the next word (so `--limit -5` is read as
 *     the value -5 and refused), and a missing value is an error;
 *   - numbers are parsed strictly (km_opts_int): digits only, in [min, max];
 *     "2x", "abc", "" and out-of-range values are errors naming the option;
 *   - `--` ends the options: what follows is positional;
 *   - `--help` / `-h` anywhere (before `--`) prints the usage and every
 *     option with its help text, and the command exits 0.
 *
 * The global options (`--store DIR`, `--config FILE`, `-v`, `-q`) are taken
 * out of the whole command line by main.c before a command runs, so they work
 * before or after the command name and need no row here.
 *
 * Applying it to a command — the table lives in the function, pointing at
 * its locals; the parse is the first thing the command does:
 *
 *     int km_cmd_rejects(int argc, char **argv)
 *     {
 *         int json = 0;
 *         long limit = 0;                        // 0: not given
 *         const char *fmt = "table", *reason = NULL;
 *         const char *srcs[8];
 *         size_t nsrc = 0;
 *         const struct km_opt opt[] = {
 *             KM_OPT_FLAG("--json", 0, &json, "print JSON"),
 *             KM_OPT_INT("--limit", 'n', &limit, 1, 1000000000, "N",
 *                        "at most N rejects (default: all)"),
 *             KM_OPT_ENUM("--format", 0, &fmt, "table|json|jsonl", "output format"),
 *             KM_OPT_STR("--reason", 0, &reason, "TEXT", "only rejects with this reason"),
 *             KM_OPT_LIST("--source", 0, srcs, &nsrc, 8, "NAME", "only this source; "
 *                         "repeatable: any of"),
 *             KM_OPT_END
 *         };
 *         const char *pos[1];
 *         struct km_opts o = {.cmd = "rejects", .args = "[EVIDENCE_ID]", .opt = opt,
 *                             .pos = pos, .minpos = 0, .maxpos = 1};
 *         int ex;
 *         if (km_opts_parse(&o, argc, argv, &ex))
 *             return ex;                         // help printed (0) or usage error (2)
 *         ... o.npos positional words are in pos[0..o.npos) ...
 *     }
 *
 * For values that need more than storing (filters, --geo), KM_OPT_FN calls a
 * function with the value; filter_opts.h and geo_opts.h provide rows
 * (KM_CLI_FILTER_OPTS, KM_CLI_GEO_OPT) built on it. Integer destinations may
 * be int, unsigned, long, unsigned long (uint64_t, size_t), long long or
 * unsigned long long (chosen by _Generic). Decide what 0 means for each
 * number and say it in the help text (docs/cli.md lists the choices made).
 * `kumo help --markdown` and docs/cli.md pick the new command up by itself
 * (regenerate docs/cli.md: tests/e2e/opts.sh checks it is current).
 */
#ifndef KM_CLI_OPTS_H
#define KM_CLI_OPTS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum km_opt_kind {
    KM_OPT_K_END = 0,
    KM_OPT_K_FLAG,     /* no value: *(int *)dst = 1 */
    KM_OPT_K_STR,      /* *(const char **)dst = value (points into argv) */
    KM_OPT_K_INT,      /* strict decimal integer in [min, max] */
    KM_OPT_K_SIZE,     /* bytes: 123, 64K, 256M, 8G (binary units) in [min, max] */
    KM_OPT_K_TIME,     /* --since-style bound: int64 µs (km_opts_time) */
    KM_OPT_K_UNTIL,    /* --until-style bound: a bare date means its whole day */
    KM_OPT_K_ENUM,     /* one of values "a|b|c" (any case): *(const char **)dst = the
                        * canonical spelling from the table */
    KM_OPT_K_LIST,     /* repeatable string: dst is const char *[max], *count grows */
    KM_OPT_K_FN,       /* fn(ctx, name, value) stores it (NULL value for a flag fn) */
};

/* The integer destination types KM_OPT_INT / KM_OPT_SIZE accept. */
enum km_opt_itype { KM_OPT_I_INT = 1, KM_OPT_I_UINT, KM_OPT_I_LONG, KM_OPT_I_ULONG,
                    KM_OPT_I_LLONG, KM_OPT_I_ULLONG };
#define KM_OPT_ITYPE(p)                                                                  \
    _Generic((p), int *: KM_OPT_I_INT, unsigned *: KM_OPT_I_UINT, long *: KM_OPT_I_LONG, \
             unsigned long *: KM_OPT_I_ULONG, long long *: KM_OPT_I_LLONG,               \
             unsigned long long *: KM_OPT_I_ULLONG)

/* Returns 0, or 2 after printing "kumo CMD: ..." (a bad value). */
typedef int (*km_opt_fn)(void *ctx, const char *cmd, const char *name, const char *value);

struct km_opt {
    const char *name;        /* "--limit" */
    char alias;              /* 'n' for -n, or 0 */
    enum km_opt_kind kind;
    void *dst;
    int itype;               /* INT/SIZE: enum km_opt_itype */
    long long min, max;      /* INT/SIZE: the accepted range */
    const char *values;      /* ENUM: "table|jsonl|csv" */
    size_t *count, max_n;    /* LIST: values so far / capacity of dst */
    km_opt_fn fn;            /* FN */
    void *ctx;               /* FN */
    int fn_flag;             /* FN: takes no value */
    const char *metavar;     /* "N", "FILE"; NULL for flags */
    const char *help;        /* one or more sentences for --help and docs */
};

#define KM_OPT_FLAG(name, a, p, help) \
    {name, a, KM_OPT_K_FLAG, (int *){p}, 0, 0, 0, NULL, NULL, 0, NULL, NULL, 0, NULL, help}
#define KM_OPT_STR(name, a, p, mv, help) \
    {name, a, KM_OPT_K_STR, (const char **){p}, 0, 0, 0, NULL, NULL, 0, NULL, NULL, 0, mv, help}
#define KM_OPT_INT(name, a, p, lo, hi, mv, help) \
    {name, a, KM_OPT_K_INT, p, KM_OPT_ITYPE(p), lo, hi, NULL, NULL, 0, NULL, NULL, 0, mv, help}
#define KM_OPT_SIZE(name, a, p, lo, hi, help) \
    {name, a, KM_OPT_K_SIZE, p, KM_OPT_ITYPE(p), lo, hi, NULL, NULL, 0, NULL, NULL, 0, "BYTES", \
     help}
#define KM_OPT_TIME(name, a, p, help) \
    {name, a, KM_OPT_K_TIME, (int64_t *){p}, 0, 0, 0, NULL, NULL, 0, NULL, NULL, 0, "T", help}
#define KM_OPT_UNTIL(name, a, p, help) \
    {name, a, KM_OPT_K_UNTIL, (int64_t *){p}, 0, 0, 0, NULL, NULL, 0, NULL, NULL, 0, "T", help}
#define KM_OPT_ENUM(name, a, p, vals, help) \
    {name, a, KM_OPT_K_ENUM, (const char **){p}, 0, 0, 0, vals, NULL, 0, NULL, NULL, 0, vals, help}
#define KM_OPT_LIST(name, a, arr, cnt, maxn, mv, help) \
    {name, a, KM_OPT_K_LIST, (const char **){arr}, 0, 0, 0, NULL, (size_t *){cnt}, maxn, NULL, \
     NULL, 0, mv, help}
#define KM_OPT_FN(name, a, f, c, mv, help) \
    {name, a, KM_OPT_K_FN, NULL, 0, 0, 0, NULL, NULL, 0, f, c, 0, mv, help}
#define KM_OPT_FN_FLAG(name, a, f, c, help) \
    {name, a, KM_OPT_K_FN, NULL, 0, 0, 0, NULL, NULL, 0, f, c, 1, NULL, help}
#define KM_OPT_END {NULL, 0, KM_OPT_K_END, NULL, 0, 0, 0, NULL, NULL, 0, NULL, NULL, 0, NULL, NULL}

/* The largest --limit / --max-rows any command accepts. */
#define KM_CLI_LIMIT_MAX 1000000000000LL

/* A command's options and positional words. */
struct km_opts {
    const char *cmd;         /* "events", "geo lookup": for messages and help */
    const char *args;        /* the positional part of the synopsis ("EVENT_ID"), or NULL */
    const struct km_opt *opt;/* ends with KM_OPT_END */
    const char **pos;        /* out: positional words (may be NULL when maxpos is 0) */
    int minpos, maxpos;      /* how many positional words are allowed */
    int npos;                /* out */
    const char *summary;     /* optional; else the command table's summary */
};

/*
 * Parses argv[1..argc) (argv[0] is the command name) against o->opt.
 * Returns 0 when the command should go on, or 1 with *exit_code set: 0 after
 * printing the help (`--help`, `-h`; `--help-markdown` prints the markdown
 * section used by docs/cli.md), 2 after printing a usage error to stderr
 * ("kumo CMD: unknown option --jsn (did you mean --json?)" and the synopsis).
 */
int km_opts_parse(struct km_opts *o, int argc, char **argv, int *exit_code);

/* The help of a command: synopsis, summary and one line per option. */
void km_opts_help(const struct km_opts *o, FILE *f);
/* The same as a markdown section (docs/cli.md). */
void km_opts_markdown(const struct km_opts *o, FILE *f);
/* The synopsis line "kumo CMD [OPTIONS] ARGS" (no newline). */
void km_opts_synopsis(const struct km_opts *o, FILE *f);

/*
 * The one strict number parser: an optional '-' then decimal digits only, no
 * spaces, no suffix, within [min, max]. Returns 0, or -1 with a reason in
 * why ("not a number", "below the minimum 1", ...).
 */
int km_opts_int(const char *s, long long min, long long max, long long *out, const char **why);
/* Sizes: digits with an optional K/M/G/T (x1024) and optional B; no fractions. */
int km_opts_size(const char *s, long long min, long long max, long long *out, const char **why);
/* A time bound: RFC 3339, a bare date YYYY-MM-DD (midnight UTC; with
 * end_of_day, the last microsecond of that day), or Nd/Nh/Nm/Ns ago. *is_date
 * (may be NULL) is set when s was a bare date. Returns 0 or -1. */
int km_opts_time(const char *s, int end_of_day, int64_t *us, int *is_date);

/* Levenshtein distance between a and b, capped at 99 (for suggestions). */
int km_opts_distance(const char *a, const char *b);

#endif
