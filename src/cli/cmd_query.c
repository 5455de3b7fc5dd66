/*
 * cmd_query.c — `kumo query 'PIPELINE'`: parse (src/query/parse.c), run over
 * the store (src/query/exec.c), print as a table fitted to the terminal, JSON,
 * JSON Lines, CSV or TSV. See docs/query.md.
 */
#include "cli/filter_opts.h"
#include "cli/opts.h"
#include "cli/cli.h"
#include "cli/geo_opts.h"
#include "cli/output.h"
#include "core/conf.h"
#include "query/exec.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum fmt { F_TABLE, F_JSON, F_JSONL, F_CSV, F_TSV };

struct out {
    enum fmt fmt;
    int tz;                 /* minutes east of UTC */
    int ncols;
    char **names;
    /* table: rows kept as text until the end, to size the columns */
    char **cells;
    size_t nrows, caprows;
    size_t nout;            /* rows printed (json separators) */
    struct km_buf b;
};

static void tsv_cell(const char *s, size_t n);

static int on_columns(void *ctx, int n, const char *const *names)
{
    struct out *o = ctx;
    o->ncols = n;
    o->names = km_xcalloc((size_t)n + 1, sizeof *o->names);
    for (int i = 0; i < n; i++)
        o->names[i] = strdup(names[i] ? names[i] : "");
    if (o->fmt == F_CSV || o->fmt == F_TSV) {
        for (int i = 0; i < n; i++) {
            if (i)
                putchar(o->fmt == F_CSV ? ',' : '\t');
            if (o->fmt == F_CSV)
                km_out_csv_cell(stdout, names[i], strlen(names[i]));
            else
                tsv_cell(names[i], strlen(names[i]));
        }
        putchar('\n');
    } else if (o->fmt == F_JSON) {
        fputs("[", stdout);
    }
    return 0;
}

/* TSV: tab, newline and backslash as \t \n \\, the rest by the text rule. */
static void tsv_cell(const char *s, size_t n)
{
    struct km_buf b;
    km_buf_init(&b, 0);
    size_t run = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && s[i] != '\t' && s[i] != '\n' && s[i] != '\\')
            continue;
        km_out_safe(&b, s + run, i - run);
        if (i < n)
            km_buf_adds(&b, s[i] == '\t' ? "\\t" : s[i] == '\n' ? "\\n" : "\\\\");
        run = i + 1;
    }
    if (b.n)
        fwrite(b.p, 1, b.n, stdout);
    km_buf_free(&b);
}

static int on_row(void *ctx, int n, const struct km_qval *v)
{
    struct out *o = ctx;
    char tmp[128];
    if (o->fmt == F_JSON || o->fmt == F_JSONL) {
        o->b.n = 0;
        if (o->fmt == F_JSON)
            km_buf_adds(&o->b, o->nout ? ",\n" : "\n");
        km_buf_addc(&o->b, '{');
        for (int i = 0; i < n; i++) {
            if (i)
                km_buf_addc(&o->b, ',');
            km_json_write_str(&o->b, o->names[i], strlen(o->names[i]));
            km_buf_addc(&o->b, ':');
            switch (v[i].t) {
            case KM_QV_NULL: km_buf_adds(&o->b, "null"); break;
            case KM_QV_STR: km_json_write_str(&o->b, v[i].s.p, v[i].s.n); break;
            case KM_QV_TIME:
                km_qval_fmt(&v[i], o->tz, tmp, sizeof tmp);
                km_json_write_str(&o->b, tmp, strlen(tmp));
                break;
            default:
                km_qval_fmt(&v[i], o->tz, tmp, sizeof tmp);
                km_buf_adds(&o->b, tmp);
            }
        }
        km_buf_addc(&o->b, '}');
        if (o->fmt == F_JSONL)
            km_buf_addc(&o->b, '\n');
        fwrite(o->b.p, 1, o->b.n, stdout);
        o->nout++;
        return 0;
    }
    if (o->fmt == F_CSV || o->fmt == F_TSV) {
        for (int i = 0; i < n; i++) {
            if (i)
                putchar(o->fmt == F_CSV ? ',' : '\t');
            const char *s = tmp;
            size_t len;
            if (v[i].t == KM_QV_STR) {
                s = v[i].s.p;
                len = v[i].s.n;
            } else {
                len = km_qval_fmt(&v[i], o->tz, tmp, sizeof tmp);
            }
            if (o->fmt == F_CSV)
                km_out_csv_cell(stdout, s, len);
            else
                tsv_cell(s, len);
        }
        putchar('\n');
        o->nout++;
        return 0;
    }
    /* table: keep the text */
    if (o->nrows == o->caprows) {
        o->caprows = o->caprows ? o->caprows * 2 : 64;
        o->cells = km_xrealloc(o->cells, o->caprows * (size_t)o->ncols * sizeof *o->cells);
    }
    for (int i = 0; i < n; i++) {
        struct km_buf c;
        km_buf_init(&c, 1 << 20);
        if (v[i].t == KM_QV_STR)
            km_out_safe(&c, v[i].s.p, v[i].s.n);
        else {
            size_t len = km_qval_fmt(&v[i], o->tz, tmp, sizeof tmp);
            km_buf_add(&c, tmp, len);
        }
        km_buf_addc(&c, 0);
        o->cells[o->nrows * (size_t)o->ncols + (size_t)i] = strdup(c.p);
        km_buf_free(&c);
    }
    o->nrows++;
    return 0;
}

/* Display width of UTF-8 text (code points). */
static size_t width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xC0) != 0x80;
    return w;
}

/* A cell (already escaped) in w columns: cut with "…" only when cut is set
 * (a terminal); the last column is not padded. */
static void put_cell(const char *s, size_t w, int last, int cut)
{
    struct km_buf b;
    km_buf_init(&b, 0);
    km_out_fit(&b, s, strlen(s), cut ? (int)w : 0, last ? 0 : (int)w, NULL);
    if (b.n)
        fwrite(b.p, 1, b.n, stdout);
    km_buf_free(&b);
}

static void print_table(struct out *o)
{
    int n = o->ncols;
    if (!n)
        return;
    size_t *w = km_xcalloc((size_t)n, sizeof *w);
    for (int i = 0; i < n; i++)
        w[i] = width(o->names[i]);
    for (size_t r = 0; r < o->nrows; r++)
        for (int i = 0; i < n; i++) {
            size_t cw = width(o->cells[r * (size_t)n + (size_t)i]);
            if (cw > w[i])
                w[i] = cw;
        }
    /* a terminal: shrink the widest columns until the line fits (2 spaces
     * between); a file or a pipe: every cell whole */
    size_t term = (size_t)km_out_term_cols(stdout);
    for (; term;) {
        size_t total = 0;
        int widest = 0;
        for (int i = 0; i < n; i++) {
            total += w[i] + (i ? 2 : 0);
            if (w[i] > w[widest])
                widest = i;
        }
        if (total <= term || w[widest] <= 8)
            break;
        w[widest] -= total - term < w[widest] - 8 ? total - term : w[widest] - 8;
    }
    for (int i = 0; i < n; i++) {
        if (i)
            fputs("  ", stdout);
        put_cell(o->names[i], w[i], i == n - 1, term > 0);
    }
    putchar('\n');
    for (size_t r = 0; r < o->nrows; r++) {
        for (int i = 0; i < n; i++) {
            if (i)
                fputs("  ", stdout);
            put_cell(o->cells[r * (size_t)n + (size_t)i], w[i], i == n - 1, term > 0);
        }
        putchar('\n');
    }
    free(w);
    km_out_cut_note(stdout);
}

static int parse_tz(const char *s, int *min)
{
    if (!strcmp(s, "UTC") || !strcmp(s, "Z") || !strcmp(s, "utc")) {
        *min = 0;
        return 0;
    }
    if (!strcmp(s, "local")) {
        time_t now = time(NULL);
        struct tm tm;
        localtime_r(&now, &tm);
        *min = (int)(tm.tm_gmtoff / 60);
        return 0;
    }
    int h, m = 0;
    char sign;
    if ((sscanf(s, "%c%d:%d", &sign, &h, &m) >= 2) && (sign == '+' || sign == '-') && h <= 14 &&
        m < 60) {
        *min = (sign == '-' ? -1 : 1) * (h * 60 + m);
        return 0;
    }
    return -1;
}

int km_cmd_query(int argc, char **argv)
{
    const char *dir = km_cli_store_dir(&argc, argv);
    struct km_cli_geo geo;
    km_cli_geo_begin(&geo, "query", dir);
    struct km_qopts qo;
    km_qopts_default(&qo);
    struct out o = {0};
    const char *text = NULL, *file = NULL, *config = NULL, *fmt = "table", *tz = NULL;
    const struct km_opt opt[] = {
        KM_OPT_STR("--file", 'f', &file, "FILE", "read the pipeline from FILE (- for stdin)"),
        KM_OPT_TIME("--since", 0, &qo.since, "only events at or after T (2024-07-01, "
                    "2024-07-01T12:00:00Z, 7d)"),
        KM_OPT_UNTIL("--until", 0, &qo.until, KM_CLI_FILTER_HELP_UNTIL),
        KM_OPT_ENUM("--format", 0, &fmt, "table|json|jsonl|csv|tsv", "output format"),
        KM_OPT_STR("--tz", 0, &tz, "UTC|local|+HH:MM", "time zone of printed times"),
        KM_OPT_INT("--max-rows", 0, &qo.max_rows, 1, KM_CLI_LIMIT_MAX, "N",
                   "rows returned at most when the pipeline has no `limit` (default 10000)"),
        KM_CLI_GEO_OPT(&geo),
        KM_OPT_END,
    };
    struct km_opts op = {.cmd = "query", .args = "'PIPELINE'", .opt = opt, .pos = &text,
                         .maxpos = 1};
    int ex;
    if (km_opts_parse(&op, argc, argv, &ex))
        return ex;
    int verbose = km_verbosity >= 2;
    o.fmt = !strcmp(fmt, "json") ? F_JSON : !strcmp(fmt, "jsonl") ? F_JSONL
          : !strcmp(fmt, "csv") ? F_CSV : !strcmp(fmt, "tsv") ? F_TSV : F_TABLE;
    if (tz && parse_tz(tz, &o.tz))
        return fprintf(stderr, "kumo query: --tz is UTC, local or +HH:MM / -HH:MM\n"), 2;
    if (text && file) {
        fprintf(stderr, "kumo query: give the pipeline or -f FILE, not both\n");
        return 2;
    }
    char *fbuf = NULL;
    if (file) {
        FILE *f = strcmp(file, "-") ? fopen(file, "rb") : stdin;
        if (!f)
            return fprintf(stderr, "kumo query: cannot open %s\n", file), 2;
        fbuf = km_xmalloc(KM_QUERY_MAX_LEN + 2);
        size_t got = fread(fbuf, 1, KM_QUERY_MAX_LEN + 1, f);
        fbuf[got] = 0;
        if (f != stdin)
            fclose(f);
        text = fbuf;
    }
    if (!text)
        return km_cli_usage("query");
    size_t tn = strlen(text);
    struct km_arena a;
    km_arena_init(&a, 1 << 16, 64u << 20);
    struct km_query *q;
    struct km_query_err qe;
    km_query_err_clear(&qe);
    if (km_query_parse(text, tn, &a, &q, &qe) != KM_OK) {
        char msg[2048];
        km_query_err_render(&qe, text, tn, msg, sizeof msg, NULL);
        fputs(msg, stderr);
        if (msg[0] && msg[strlen(msg) - 1] != '\n')
            fputc('\n', stderr);
        km_arena_free(&a);
        free(fbuf);
        return 2;
    }
    /* the configuration (identity.* keys for the person field) */
    char *cav[4] = {argv[0], (char *)"--config", (char *)config, NULL};
    int cac = config ? 3 : 1;
    struct km_conf *conf = km_cli_conf("query", dir, &cac, cav);
    if (!conf) {
        km_arena_free(&a);
        free(fbuf);
        return 2;
    }
    qo.conf = conf;
    struct km_store *s;
    if (km_cli_open_store("query", dir, 0, &s)) {
        km_arena_free(&a);
        free(fbuf);
        km_conf_free(conf);
        return 1;
    }
    km_buf_init(&o.b, 64u << 20);
    struct km_qsink sink = {on_columns, on_row, &o, NULL};
    struct km_qstats st;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    qo.geo = km_cli_geo_lazy(&geo); /* opened only if the query reads a geo field */
    int rc = km_query_run(s, q, text, tn, &qo, &sink, &st, &qe);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    km_cli_geo_free(&geo);
    if (o.fmt == F_JSON && o.ncols)
        fputs(o.nout ? "\n]\n" : "]\n", stdout);
    if (o.fmt == F_TABLE && !rc)
        print_table(&o);
    fflush(stdout);
    for (int i = 0; i < st.nwarnings; i++)
        fprintf(stderr, "warning: %s\n", st.warnings[i]);
    if (st.truncated)
        fprintf(stderr,
                "note: output stops at %lld rows (add `| limit N` or --max-rows N for more)\n",
                (long long)(qo.max_rows));
    if (rc) {
        char msg[2048];
        if (qe.code) {
            km_query_err_render(&qe, text, tn, msg, sizeof msg, NULL);
            fputs(msg, stderr);
            if (msg[0] && msg[strlen(msg) - 1] != '\n')
                fputc('\n', stderr);
        } else {
            fprintf(stderr, "kumo query: %s\n", km_strerror(rc));
        }
    }
    if (verbose)
        fprintf(stderr,
                "%llu rows out; %llu of %llu segments read, %llu rows read, %llu raw records "
                "from %llu objects; %.1f ms\n",
                (unsigned long long)st.rows_out, (unsigned long long)st.segments_read,
                (unsigned long long)st.segments, (unsigned long long)st.rows_read,
                (unsigned long long)st.raw_reads, (unsigned long long)st.raw_objects,
                (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
    for (size_t r = 0; r < o.nrows * (size_t)o.ncols; r++)
        free(o.cells[r]);
    free(o.cells);
    for (int i = 0; i < o.ncols; i++)
        free(o.names[i]);
    free(o.names);
    km_buf_free(&o.b);
    km_store_close(s);
    km_conf_free(conf);
    km_arena_free(&a);
    free(fbuf);
    return rc ? (qe.code == KM_EUSAGE ? 2 : 1) : 0;
}
