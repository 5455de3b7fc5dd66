/*
 * parse.c — lexer, parser, checks, printer and error rendering of the query
 * language (API in src/query/query.h, reference in docs/query.md).
 *
 * The lexer makes one token on demand (the parser keeps the current token and
 * the previous one, for messages). The parser is recursive descent with one
 * function per precedence level:
 *
 *   query    := command ('|' command)*
 *   expr     := and (('or' | '||') and)*
 *   and      := not (('and' | '&&') not)*
 *   not      := 'not' not | cmp
 *   cmp      := operand [ cmpop operand | ['not'] 'in' list
 *                       | ['not'] 'like' (string | regex) | '=~' regex ]
 *   operand  := literal | path | name '(' [args] ')' | '(' expr ')'
 *
 * Recursion only goes through '(', function arguments and 'not', each of which
 * counts one level against KM_QUERY_MAX_DEPTH, so the C stack is bounded
 * whatever the input; and/or chains are loops that build one n-ary node.
 * Strings and names are copied into the arena with exact sizes (a string is
 * scanned to its closing quote before it is allocated), so memory is
 * proportional to the query text.
 */
#include "query/query.h"

#include "core/ip.h"

#include <errno.h>
#include <locale.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- tables --------------------------------------------------------------- */

#define KM_QF_MANY 255 /* max_args of a variadic function */

const struct km_query_func km_query_funcs[KM_QF__COUNT] = {
    [KM_QF_COUNT] = {"count", KM_QF_COUNT, 1, 0, 1, "count(), count(*) or count(field)",
                     "stats count() as n by action"},
    [KM_QF_COUNT_DISTINCT] = {"count_distinct", KM_QF_COUNT_DISTINCT, 1, 1, 1,
                              "count_distinct(field)",
                              "stats count_distinct(src.ip) as ips by actor.name"},
    [KM_QF_MIN] = {"min", KM_QF_MIN, 1, 1, 1, "min(field)", "stats min(time) as first by src.ip"},
    [KM_QF_MAX] = {"max", KM_QF_MAX, 1, 1, 1, "max(field)",
                   "stats max(time) as last by actor.name"},
    [KM_QF_SUM] = {"sum", KM_QF_SUM, 1, 1, 1, "sum(field)", "stats sum(severity) by account"},
    [KM_QF_AVG] = {"avg", KM_QF_AVG, 1, 1, 1, "avg(field)", "stats avg(severity) by source"},
    [KM_QF_EARLIEST] = {"earliest", KM_QF_EARLIEST, 1, 1, 1, "earliest(field)",
                        "stats earliest(action) as first_action by actor.name"},
    [KM_QF_LATEST] = {"latest", KM_QF_LATEST, 1, 1, 1, "latest(field)",
                      "stats latest(src.ip) as last_ip by actor.name"},
    [KM_QF_PCT] = {"pct", KM_QF_PCT, 1, 2, 2, "pct(field, percentile)",
                   "stats pct(severity, 95) by source"},
    [KM_QF_BIN] = {"bin", KM_QF_BIN, 0, 1, 1, "bin(duration)", "stats count() by bin(1h)"},
    [KM_QF_ISPRESENT] = {"ispresent", KM_QF_ISPRESENT, 0, 1, 1, "ispresent(field)",
                         "filter ispresent(error.code)"},
    [KM_QF_ISIPINSUBNET] = {"isIpInSubnet", KM_QF_ISIPINSUBNET, 0, 2, 2,
                            "isIpInSubnet(field, \"cidr\")",
                            "filter not isIpInSubnet(src.ip, \"10.0.0.0/8\")"},
    [KM_QF_COALESCE] = {"coalesce", KM_QF_COALESCE, 0, 1, KM_QF_MANY, "coalesce(a, b, ...)",
                        "fields coalesce(actor.email, actor.name) as who"},
    [KM_QF_TOLOWER] = {"tolower", KM_QF_TOLOWER, 0, 1, 1, "tolower(string)",
                       "filter tolower(actor.name) like \"admin\""},
    [KM_QF_STRLEN] = {"strlen", KM_QF_STRLEN, 0, 1, 1, "strlen(string)",
                      "filter strlen(user_agent) > 200"},
    [KM_QF_NOW] = {"now", KM_QF_NOW, 0, 0, 0, "now()", "filter time <= now()"},
    [KM_QF_AGO] = {"ago", KM_QF_AGO, 0, 1, 1, "ago(duration)", "filter time >= ago(7d)"},
};

struct km_qcmd_def {
    const char *name;
    const char *hint;  /* shown with any error inside the command */
    const char *after; /* "unexpected X after <after>" */
};

static const struct km_qcmd_def km_qcmds[KM_QCMD__COUNT] = {
    [KM_QCMD_FIELDS] = {"fields",
                        "fields takes fields or expressions, e.g. fields time, actor.name, "
                        "tolower(actor.email) as email",
                        "the fields list"},
    [KM_QCMD_FILTER] = {"filter", "filter takes a condition, e.g. filter action = \"ConsoleLogin\"",
                        "the filter condition"},
    [KM_QCMD_STATS] = {"stats",
                       "stats takes aggregates and optional group keys, e.g. stats count() as n "
                       "by actor.name, bin(1h)",
                       "the stats list"},
    [KM_QCMD_SORT] = {"sort", "sort takes fields with asc or desc, e.g. sort n desc, actor.name",
                      "the sort list"},
    [KM_QCMD_LIMIT] = {"limit", "limit takes a whole number, e.g. limit 20", "the limit"},
    [KM_QCMD_DEDUP] = {"dedup", "dedup takes field names, e.g. dedup actor.name, src.ip",
                       "the dedup list"},
    [KM_QCMD_DISPLAY] = {"display",
                         "display takes field names, e.g. display time, actor.name, action",
                         "the display list"},
    [KM_QCMD_PARSE] = {"parse",
                       "parse takes a field and a glob with names or a regex with named groups, "
                       "e.g. parse user_agent \"aws-cli/* *\" as cli_version, rest",
                       "the parse command"},
};

static const char km_q_cmd_list[] =
    "commands: fields, filter, stats, sort, limit, dedup, display, parse";
static const char km_q_example[] =
    "e.g. filter action = \"ConsoleLogin\" | stats count() by actor.name";

/* Names people bring from other query languages, for "did you mean". */
static const struct {
    const char *from, *to;
} km_q_aliases[] = {
    {"where", "filter"},         {"search", "filter"},        {"head", "limit"},
    {"take", "limit"},           {"top", "limit"},            {"order", "sort"},
    {"orderby", "sort"},         {"select", "fields"},        {"project", "fields"},
    {"eval", "fields"},          {"table", "display"},        {"summarize", "stats"},
    {"group", "stats"},          {"aggregate", "stats"},      {"uniq", "dedup"},
    {"distinct", "dedup"},       {"rex", "parse"},            {"extract", "parse"},
    {"lower", "tolower"},        {"lowercase", "tolower"},    {"length", "strlen"},
    {"len", "strlen"},           {"percentile", "pct"},       {"perc", "pct"},
    {"dc", "count_distinct"},    {"distinct_count", "count_distinct"},
    {"dcount", "count_distinct"}, {"first", "earliest"},      {"last", "latest"},
    {"exists", "ispresent"},     {"isnotnull", "ispresent"},  {"mean", "avg"},
    {"average", "avg"},          {"isIpv4InSubnet", "isIpInSubnet"},
    {"cidrmatch", "isIpInSubnet"}, {"nvl", "coalesce"},       {"ifnull", "coalesce"},
    {"bucket", "bin"},           {"floor", "bin"},
};

/* ---- tokens --------------------------------------------------------------- */

enum km_qtk {
    T_EOF = 0, T_PIPE, T_COMMA, T_LPAREN, T_RPAREN, T_LBRACK, T_RBRACK, T_STAR,
    T_EQ, T_NE, T_LT, T_LE, T_GT, T_GE, T_MATCH,
    T_AND, T_OR, T_NOT, T_IN, T_LIKE, T_AS, T_BY, T_ASC, T_DESC, T_TRUE, T_FALSE,
    T_NAME, T_STRING, T_INT, T_FLOAT, T_DURATION, T_REGEX,
};

/* Reserved words (case-insensitive); a field of that name needs backticks. */
static const struct {
    const char *w;
    enum km_qtk k;
} km_q_kw[] = {
    {"and", T_AND}, {"or", T_OR},   {"not", T_NOT},   {"in", T_IN},     {"like", T_LIKE},
    {"as", T_AS},   {"by", T_BY},   {"asc", T_ASC},   {"desc", T_DESC}, {"true", T_TRUE},
    {"false", T_FALSE},
};

static const struct {
    const char *u;
    int64_t us;
} km_q_units[] = {
    {"us", 1},          {"ms", 1000},          {"s", 1000000},         {"sec", 1000000},
    {"m", 60000000},    {"min", 60000000},     {"h", 3600000000LL},    {"hr", 3600000000LL},
    {"hour", 3600000000LL}, {"d", 86400000000LL}, {"day", 86400000000LL},
    {"w", 604800000000LL},  {"week", 604800000000LL},
};

struct km_qtok {
    enum km_qtk k;
    uint32_t off, end;          /* source bytes [off, end) */
    int bare;                   /* NAME: one segment without backticks */
    struct km_query_path path;  /* NAME */
    struct km_str s;            /* STRING, REGEX */
    unsigned flags;             /* REGEX */
    int64_t i;                  /* INT, DURATION */
    double f;                   /* FLOAT */
};

struct km_qp {
    const char *s;
    size_t n, pos;
    struct km_arena *a;
    struct km_query_err *err;
    struct km_qtok cur, prev;
    uint32_t ntok;
    int depth;
    int cmd; /* enum km_query_cmd_kind being parsed, -1 outside */
};

#define KM_Q_MAX_SEGMENTS 128

/* ---- small helpers ---------------------------------------------------------- */

static int q_digit(int c) { return c >= '0' && c <= '9'; }
static int q_alpha(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static int q_name_start(int c) { return q_alpha(c) || c == '_' || c == '@' || c == '$'; }
static int q_name_char(int c) { return q_name_start(c) || q_digit(c); }
static int q_space(int c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
static int q_lower(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

static int q_ieq(const char *a, size_t an, const char *b)
{
    size_t bn = strlen(b);
    if (an != bn)
        return 0;
    for (size_t i = 0; i < an; i++)
        if (q_lower((unsigned char)a[i]) != q_lower((unsigned char)b[i]))
            return 0;
    return 1;
}

/* Bytes of the UTF-8 character at s (n >= 1): 1 for ASCII and for an invalid byte. */
static size_t q_u8step(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t k;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        k = 2;
    else if (c >= 0xE0 && c <= 0xEF)
        k = 3;
    else if (c >= 0xF0 && c <= 0xF4)
        k = 4;
    else
        return 1;
    if (n < k)
        return 1;
    for (size_t i = 1; i < k; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 1;
    if ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] > 0x9F) || (c == 0xF0 && s[1] < 0x90) ||
        (c == 0xF4 && s[1] > 0x8F))
        return 1;
    return k;
}

static int q_kw_lookup(const char *s, size_t n)
{
    for (size_t i = 0; i < KM_ARRAY_LEN(km_q_kw); i++)
        if (q_ieq(s, n, km_q_kw[i].w))
            return (int)km_q_kw[i].k;
    return -1;
}

static locale_t km_q_c_loc;
static pthread_once_t km_q_c_loc_once = PTHREAD_ONCE_INIT;
static void km_q_c_loc_init(void) { km_q_c_loc = newlocale(LC_ALL_MASK, "C", (locale_t)0); }

static double q_strtod(const char *s, char **end)
{
    pthread_once(&km_q_c_loc_once, km_q_c_loc_init);
    return km_q_c_loc ? strtod_l(s, end, km_q_c_loc) : strtod(s, end);
}

/* Shortest "%.Ng" text that reads back as d, always with '.' or 'e' so that
 * it lexes as a float again. */
static void q_fmt_double(double d, char out[64])
{
    pthread_once(&km_q_c_loc_once, km_q_c_loc_init);
    locale_t old = km_q_c_loc ? uselocale(km_q_c_loc) : (locale_t)0;
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(out, 64, "%.*g", prec, d);
        if (q_strtod(out, NULL) == d)
            break;
    }
    if (km_q_c_loc)
        uselocale(old);
    if (!strpbrk(out, ".e"))
        strcat(out, ".0");
}

/* Line (1-based) and column (1-based, in characters) of byte off. */
static void q_pos(const char *s, size_t n, size_t off, uint32_t *line, uint32_t *col)
{
    if (off > n)
        off = n;
    uint32_t ln = 1;
    size_t ls = 0;
    for (size_t i = 0; i < off; i++)
        if (s[i] == '\n') {
            ln++;
            ls = i + 1;
        }
    uint32_t c = 1;
    for (size_t i = ls; i < off; c++)
        i += q_u8step((const unsigned char *)s + i, n - i);
    *line = ln;
    *col = c;
}

/* ---- errors ------------------------------------------------------------------- */

void km_query_err_clear(struct km_query_err *e)
{
    if (!e)
        return;
    memset(e, 0, sizeof *e);
}

int km_query_err_set(struct km_query_err *e, const char *text, size_t n, size_t off, int code,
                     const char *hint, const char *fmt, ...)
{
    if (!e || e->code)
        return code;
    if (!text)
        n = 0;
    if (off > n)
        off = n;
    e->code = code;
    e->offset = (uint32_t)off;
    q_pos(text ? text : "", n, off, &e->line, &e->col);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    snprintf(e->hint, sizeof e->hint, "%s", hint ? hint : "");
    return code;
}

/* Bounded writer: counts the full length, copies what fits. */
struct km_qw {
    char *buf;
    size_t cap, len;
    unsigned flags;
};

static void w_put(struct km_qw *w, const char *s, size_t n)
{
    if (w->len < w->cap) {
        size_t room = w->cap - w->len;
        memcpy(w->buf + w->len, s, n < room ? n : room);
    }
    w->len += n;
}

static void w_s(struct km_qw *w, const char *s) { w_put(w, s, strlen(s)); }
static void w_c(struct km_qw *w, char c) { w_put(w, &c, 1); }

static void w_fmt(struct km_qw *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void w_fmt(struct km_qw *w, const char *fmt, ...)
{
    char tmp[320];
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (k > 0)
        w_put(w, tmp, (size_t)k < sizeof tmp ? (size_t)k : sizeof tmp - 1);
}

static int w_end(struct km_qw *w, size_t *len)
{
    if (len)
        *len = w->len;
    if (w->cap == 0)
        return w->len ? KM_ELIMIT : KM_OK;
    if (w->len < w->cap) {
        w->buf[w->len] = 0;
        return KM_OK;
    }
    w->buf[w->cap - 1] = 0;
    return KM_ELIMIT;
}

#define KM_Q_SHOW 76 /* characters of a long line shown around the caret */

int km_query_err_render(const struct km_query_err *e, const char *text, size_t n, char *buf,
                        size_t cap, size_t *len)
{
    struct km_qw w = {buf, cap, 0, 0};
    if (!text)
        text = "", n = 0;
    size_t off = e->offset <= n ? e->offset : n;
    w_s(&w, "error: ");
    w_s(&w, e->msg[0] ? e->msg : km_strerror(e->code));
    if (n > 1 && memchr(text, '\n', n - 1))
        w_fmt(&w, " (line %u, column %u)", e->line, e->col);
    w_c(&w, '\n');

    size_t ls = off, le = off;
    while (ls > 0 && text[ls - 1] != '\n')
        ls--;
    while (le < n && text[le] != '\n')
        le++;
    const unsigned char *u = (const unsigned char *)text;
    size_t ci = 0, lc = 0; /* caret index and line length, in characters */
    for (size_t i = ls; i < le; lc++) {
        if (i < off)
            ci++;
        i += q_u8step(u + i, le - i);
    }
    size_t ws = 0, we = lc;
    if (lc > KM_Q_SHOW) {
        ws = ci > KM_Q_SHOW / 2 ? ci - KM_Q_SHOW / 2 : 0;
        we = ws + KM_Q_SHOW;
        if (we > lc) {
            we = lc;
            ws = lc - KM_Q_SHOW;
        }
    }
    w_s(&w, ws ? "  ..." : "  ");
    size_t k = 0;
    for (size_t i = ls; i < le && k < we; k++) {
        size_t st = q_u8step(u + i, le - i);
        if (k >= ws) {
            if (st > 1)
                w_put(&w, text + i, st);
            else if (u[i] == '\t')
                w_c(&w, ' ');
            else if (u[i] < 0x20 || u[i] >= 0x7f)
                w_c(&w, '?');
            else
                w_c(&w, text[i]);
        }
        i += st;
    }
    if (we < lc)
        w_s(&w, "...");
    w_c(&w, '\n');
    w_s(&w, ws ? "     " : "  ");
    for (size_t i = ws; i < ci; i++)
        w_c(&w, ' ');
    w_s(&w, "^\n");
    if (e->hint[0]) {
        w_s(&w, "hint: ");
        w_s(&w, e->hint);
        w_c(&w, '\n');
    }
    return w_end(&w, len);
}

/* The token as quoted source text for messages: 'filter', 'resources[0]...'. */
static const char *q_tdesc(const struct km_qp *p, const struct km_qtok *t, char *buf, size_t cap)
{
    if (t->k == T_EOF)
        return "the end of the query";
    const unsigned char *s = (const unsigned char *)p->s + t->off;
    size_t len = t->end - t->off, lim = 40, o = 0;
    int cut = 0;
    if (len > lim) {
        len = lim;
        while (len > 0 && (s[len] & 0xC0) == 0x80)
            len--;
        cut = 1;
    }
    buf[o++] = '\'';
    for (size_t i = 0; i < len && o + 6 < cap; i++)
        buf[o++] = (s[i] < 0x20 || s[i] == 0x7f) ? '?' : (char)s[i];
    if (cut && o + 5 < cap) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o++] = '\'';
    buf[o] = 0;
    return buf;
}

static int perr(struct km_qp *p, size_t off, int code, const char *hint, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int perr(struct km_qp *p, size_t off, int code, const char *hint, const char *fmt, ...)
{
    if (!hint)
        hint = p->cmd >= 0 ? km_qcmds[p->cmd].hint : "";
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return km_query_err_set(p->err, p->s, p->n, off, code, hint, "%s", msg);
}

static int q_oom(struct km_qp *p)
{
    return perr(p, p->cur.off, KM_ENOMEM, "",
                "out of memory: the query needs more than the arena allows");
}

static void *q_alloc(struct km_qp *p, size_t n)
{
    void *x = km_arena_alloc(p->a, n ? n : 1);
    if (x)
        memset(x, 0, n ? n : 1);
    return x;
}

/* Makes room for element n of a doubling array in the arena. */
static int q_grow(struct km_qp *p, void **arr, uint32_t *cap, uint32_t n, size_t elem)
{
    if (n < *cap)
        return KM_OK;
    uint32_t nc = *cap ? *cap * 2 : 4;
    void *x = q_alloc(p, (size_t)nc * elem);
    if (!x)
        return q_oom(p);
    if (n)
        memcpy(x, *arr, (size_t)n * elem);
    *arr = x;
    *cap = nc;
    return KM_OK;
}

/* Levenshtein distance, case-insensitive, of short words (else a large value). */
static size_t q_dist(const char *a, size_t an, const char *b)
{
    size_t bn = strlen(b);
    if (an > 32 || bn > 32)
        return 99;
    size_t row[33];
    for (size_t j = 0; j <= bn; j++)
        row[j] = j;
    for (size_t i = 1; i <= an; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= bn; j++) {
            size_t up = row[j];
            size_t cost = q_lower((unsigned char)a[i - 1]) != q_lower((unsigned char)b[j - 1]);
            size_t v = diag + cost;
            if (row[j] + 1 < v)
                v = row[j] + 1;
            if (row[j - 1] + 1 < v)
                v = row[j - 1] + 1;
            row[j] = v;
            diag = up;
        }
    }
    return row[bn];
}

static int q_near(const char *w, size_t wn, const char *name)
{
    size_t nn = strlen(name), d = q_dist(w, wn, name);
    if (d <= 2 && d < wn && d < nn)
        return 1;
    if (wn >= 3 && nn >= 3) { /* one is a prefix of the other */
        size_t m = wn < nn ? wn : nn;
        for (size_t i = 0; i < m; i++)
            if (q_lower((unsigned char)w[i]) != q_lower((unsigned char)name[i]))
                return 0;
        return 1;
    }
    return 0;
}

/* "did you mean X or Y? (LIST)" for an unknown word among names[]. */
static void q_suggest(const char *w, size_t wn, const char *const *names, size_t nnames,
                      const char *list, char *hint, size_t cap)
{
    const char *pick[3];
    size_t np = 0;
    for (size_t i = 0; i < KM_ARRAY_LEN(km_q_aliases) && np < 3; i++)
        if (q_ieq(w, wn, km_q_aliases[i].from))
            for (size_t j = 0; j < nnames; j++)
                if (strcmp(names[j], km_q_aliases[i].to) == 0)
                    pick[np++] = names[j];
    for (size_t j = 0; j < nnames && np < 3; j++) {
        int dup = 0;
        for (size_t k = 0; k < np; k++)
            dup |= pick[k] == names[j];
        if (!dup && q_near(w, wn, names[j]))
            pick[np++] = names[j];
    }
    size_t o = 0;
    hint[0] = 0;
    if (np) {
        o += (size_t)snprintf(hint + o, cap - o, "did you mean ");
        for (size_t k = 0; k < np && o < cap; k++)
            o += (size_t)snprintf(hint + o, cap - o, "%s%s", k ? (k + 1 == np ? " or " : ", ") : "",
                                  pick[k]);
        if (o < cap)
            o += (size_t)snprintf(hint + o, cap - o, "? ");
    }
    if (o < cap)
        snprintf(hint + o, cap - o, "(%s)", list);
}

/* ---- lexer ---------------------------------------------------------------- */

static char *q_dup(struct km_qp *p, const char *s, size_t n)
{
    char *x = km_arena_strndup(p->a, s, n);
    if (!x)
        q_oom(p);
    return x;
}

/* A `quoted` segment starting at s[i] == '`'; doubled backticks are one. */
static int lex_backtick(struct km_qp *p, size_t *pi, struct km_str *seg)
{
    const char *s = p->s;
    size_t n = p->n, i = *pi, j = i + 1;
    for (;;) { /* find the end first, to allocate exactly */
        if (j >= n || s[j] == '\n')
            return perr(p, i, KM_EUSAGE, "a name in backticks ends with `, e.g. `detail-type`",
                        "unterminated `name`");
        if (s[j] == '`') {
            if (j + 1 < n && s[j + 1] == '`') {
                j += 2;
                continue;
            }
            break;
        }
        j++;
    }
    char *o = km_arena_alloc(p->a, j - i);
    if (!o)
        return q_oom(p);
    size_t k = 0;
    for (size_t x = i + 1; x < j; x++) {
        unsigned char c = (unsigned char)s[x];
        if (c < 0x20 || c == 0x7f)
            return perr(p, x, KM_EUSAGE, "", "control character in a `name`");
        o[k++] = (char)c;
        if (c == '`')
            x++;
    }
    o[k] = 0;
    if (k == 0)
        return perr(p, i, KM_EUSAGE, "", "empty `name`");
    seg->p = o;
    seg->n = (uint32_t)k;
    *pi = j + 1;
    return KM_OK;
}

/* A name or path: seg(.seg | [N])*, where seg is [A-Za-z_@$][A-Za-z0-9_@$]*
 * (later segments may start with a digit) or `quoted`. A first segment that
 * is a reserved word makes a keyword token and ends there. */
static int lex_path(struct km_qp *p, struct km_qtok *t, size_t i)
{
    const char *s = p->s;
    size_t n = p->n;
    struct km_str *segs = NULL;
    uint32_t nseg = 0, cap = 0;
    int quoted_any = 0, rc;
    for (int first = 1;; first = 0) {
        struct km_str seg;
        if (s[i] == '`') {
            if ((rc = lex_backtick(p, &i, &seg)))
                return rc;
            quoted_any = 1;
        } else {
            size_t st = i;
            while (i < n && q_name_char((unsigned char)s[i]))
                i++;
            if (first && !quoted_any) {
                int kw = q_kw_lookup(s + st, i - st);
                if (kw >= 0) {
                    t->k = (enum km_qtk)kw;
                    t->end = (uint32_t)i;
                    p->pos = i;
                    return KM_OK;
                }
            }
            if (!(seg.p = q_dup(p, s + st, i - st)))
                return KM_ENOMEM;
            seg.n = (uint32_t)(i - st);
        }
        for (;;) {
            if (nseg >= KM_Q_MAX_SEGMENTS)
                return perr(p, t->off, KM_ELIMIT, "", "a field path has more than %d segments",
                            KM_Q_MAX_SEGMENTS);
            if ((rc = q_grow(p, (void **)&segs, &cap, nseg, sizeof *segs)))
                return rc;
            segs[nseg++] = seg;
            if (!(i + 1 < n && s[i] == '[' && q_digit((unsigned char)s[i + 1])))
                break;
            size_t st = i + 1, j = st;
            while (j < n && q_digit((unsigned char)s[j]))
                j++;
            if (j >= n || s[j] != ']')
                return perr(p, j, KM_EUSAGE, "an array index is a number, e.g. resources[0].ARN",
                            "expected ']' after the array index");
            if (!(seg.p = q_dup(p, s + st, j - st)))
                return KM_ENOMEM;
            seg.n = (uint32_t)(j - st);
            i = j + 1;
        }
        if (i + 1 < n && s[i] == '.' && (q_name_char((unsigned char)s[i + 1]) || s[i + 1] == '`')) {
            i++;
            continue;
        }
        break;
    }
    size_t tl = nseg - 1;
    for (uint32_t k = 0; k < nseg; k++)
        tl += segs[k].n;
    char *tx = km_arena_alloc(p->a, tl + 1);
    if (!tx)
        return q_oom(p);
    size_t o = 0;
    for (uint32_t k = 0; k < nseg; k++) {
        if (k)
            tx[o++] = '.';
        memcpy(tx + o, segs[k].p, segs[k].n);
        o += segs[k].n;
    }
    tx[o] = 0;
    t->k = T_NAME;
    t->bare = nseg == 1 && !quoted_any;
    t->path.quoted = quoted_any;
    t->path.nseg = nseg;
    t->path.seg = segs;
    t->path.text.p = tx;
    t->path.text.n = (uint32_t)o;
    t->end = (uint32_t)i;
    p->pos = i;
    return KM_OK;
}

static int q_hex4(const char *s, unsigned *out)
{
    unsigned v = 0;
    for (int k = 0; k < 4; k++) {
        int c = (unsigned char)s[k], d;
        if (q_digit(c))
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return 0;
        v = v * 16 + (unsigned)d;
    }
    *out = v;
    return 1;
}

static const char km_q_esc_hint[] = "escapes: \\\" \\' \\\\ \\n \\t \\r \\uXXXX";

/* A string in double or single quotes; the value is decoded into the arena. */
static int lex_string(struct km_qp *p, struct km_qtok *t, size_t i)
{
    const char *s = p->s;
    size_t n = p->n, j = i + 1;
    char q = s[i];
    while (j < n && s[j] != q)
        j += s[j] == '\\' ? 2 : 1;
    if (j >= n)
        return perr(p, i, KM_EUSAGE, "a string ends with the quote it starts with",
                    "unterminated string");
    char *o = km_arena_alloc(p->a, j - i);
    if (!o)
        return q_oom(p);
    size_t k = 0;
    for (size_t x = i + 1; x < j;) {
        char c = s[x];
        if (c == 0)
            return perr(p, x, KM_EUSAGE, "", "NUL byte in a string");
        if (c != '\\') {
            o[k++] = c;
            x++;
            continue;
        }
        char e = s[x + 1]; /* x + 1 < j: the scan above skipped escaped quotes */
        switch (e) {
        case 'n': o[k++] = '\n'; break;
        case 't': o[k++] = '\t'; break;
        case 'r': o[k++] = '\r'; break;
        case '\\': case '"': case '\'': case '`': case '/': o[k++] = e; break;
        case 'u': {
            unsigned cp, lo;
            if (x + 6 > j || !q_hex4(s + x + 2, &cp))
                return perr(p, x, KM_EUSAGE, km_q_esc_hint, "\\u takes four hex digits");
            if (cp >= 0xDC00 && cp <= 0xDFFF)
                return perr(p, x, KM_EUSAGE, km_q_esc_hint, "lone UTF-16 surrogate \\u%04X", cp);
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (x + 12 > j || s[x + 6] != '\\' || s[x + 7] != 'u' || !q_hex4(s + x + 8, &lo) ||
                    lo < 0xDC00 || lo > 0xDFFF)
                    return perr(p, x, KM_EUSAGE, km_q_esc_hint, "lone UTF-16 surrogate \\u%04X",
                                cp);
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                x += 6;
            }
            if (cp == 0)
                return perr(p, x, KM_EUSAGE, "", "\\u0000 is not allowed in a string");
            if (cp < 0x80) {
                o[k++] = (char)cp;
            } else if (cp < 0x800) {
                o[k++] = (char)(0xC0 | (cp >> 6));
                o[k++] = (char)(0x80 | (cp & 0x3F));
            } else if (cp < 0x10000) {
                o[k++] = (char)(0xE0 | (cp >> 12));
                o[k++] = (char)(0x80 | ((cp >> 6) & 0x3F));
                o[k++] = (char)(0x80 | (cp & 0x3F));
            } else {
                o[k++] = (char)(0xF0 | (cp >> 18));
                o[k++] = (char)(0x80 | ((cp >> 12) & 0x3F));
                o[k++] = (char)(0x80 | ((cp >> 6) & 0x3F));
                o[k++] = (char)(0x80 | (cp & 0x3F));
            }
            x += 6;
            continue;
        }
        default:
            return perr(p, x, KM_EUSAGE, km_q_esc_hint, "unknown escape '\\%c'",
                        (unsigned char)e >= 0x20 && (unsigned char)e < 0x7f ? e : '?');
        }
        x += 2;
    }
    o[k] = 0;
    t->k = T_STRING;
    t->s.p = o;
    t->s.n = (uint32_t)k;
    t->end = (uint32_t)(j + 1);
    p->pos = j + 1;
    return KM_OK;
}

/* A /regex/flags literal; the source is kept as written. */
static int lex_regex(struct km_qp *p, struct km_qtok *t, size_t i)
{
    const char *s = p->s;
    size_t n = p->n, j = i + 1;
    int cls = 0;
    const char *hint = "a regex ends with '/'; write \\/ for a slash inside it";
    for (;; j++) {
        if (j >= n || s[j] == '\n' || s[j] == '\r')
            return perr(p, i, KM_EUSAGE, hint, "unterminated /regex/");
        char c = s[j];
        if (c == 0)
            return perr(p, j, KM_EUSAGE, "", "NUL byte in a regex");
        if (c == '\\') {
            if (j + 1 >= n || s[j + 1] == '\n' || s[j + 1] == '\r' || s[j + 1] == 0)
                return perr(p, i, KM_EUSAGE, hint, "unterminated /regex/");
            j++;
        } else if (c == '[') {
            cls = 1;
        } else if (c == ']') {
            cls = 0;
        } else if (c == '/' && !cls) {
            break;
        }
    }
    if (j == i + 1)
        return perr(p, i, KM_EUSAGE, "e.g. action =~ /^Delete/", "empty /regex/");
    size_t srcn = j - i - 1;
    char *src = q_dup(p, s + i + 1, srcn);
    if (!src)
        return KM_ENOMEM;
    unsigned fl = 0;
    for (j++; j < n && q_alpha((unsigned char)s[j]); j++) {
        switch (s[j]) {
        case 'i': fl |= KM_QRX_I; break;
        case 'm': fl |= KM_QRX_M; break;
        case 's': fl |= KM_QRX_S; break;
        case 'x': fl |= KM_QRX_X; break;
        default:
            return perr(p, j, KM_EUSAGE, "flags: i (caseless), m (multiline), s (dot matches newline), x (extended)",
                        "unknown regex flag '%c'", s[j]);
        }
    }
    t->k = T_REGEX;
    t->s.p = src;
    t->s.n = (uint32_t)srcn;
    t->flags = fl;
    t->end = (uint32_t)j;
    p->pos = j;
    return KM_OK;
}

static const char km_q_unit_hint[] = "duration units: ms, s, m, h, d, w (e.g. bin(5m))";

/* Integer, float (with '.' or exponent), or duration (integer + unit). */
static int lex_number(struct km_qp *p, struct km_qtok *t, size_t i)
{
    const char *s = p->s;
    size_t n = p->n, st = i;
    int neg = s[i] == '-', isf = 0;
    if (neg)
        i++;
    size_t ds = i;
    while (i < n && q_digit((unsigned char)s[i]))
        i++;
    size_t de = i;
    if (i + 1 < n && s[i] == '.' && q_digit((unsigned char)s[i + 1])) {
        isf = 1;
        for (i++; i < n && q_digit((unsigned char)s[i]);)
            i++;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        size_t k = i + 1;
        if (k < n && (s[k] == '+' || s[k] == '-'))
            k++;
        if (k < n && q_digit((unsigned char)s[k])) {
            isf = 1;
            for (i = k; i < n && q_digit((unsigned char)s[i]);)
                i++;
        }
    }
    if (i - st > 400)
        return perr(p, st, KM_ELIMIT, "", "number literal longer than 400 characters");
    if (i < n && q_alpha((unsigned char)s[i])) {
        size_t us = i;
        while (i < n && q_alpha((unsigned char)s[i]))
            i++;
        int64_t mult = 0;
        for (size_t k = 0; k < KM_ARRAY_LEN(km_q_units); k++)
            if (i - us == strlen(km_q_units[k].u) && memcmp(s + us, km_q_units[k].u, i - us) == 0)
                mult = km_q_units[k].us;
        if (!mult)
            return perr(p, us, KM_EUSAGE, km_q_unit_hint, "unknown duration unit '%.*s'",
                        (int)(i - us > 20 ? 20 : i - us), s + us);
        if (isf)
            return perr(p, st, KM_EUSAGE, km_q_unit_hint,
                        "a duration is a whole number of a unit, e.g. 90m rather than 1.5h");
        uint64_t v = 0;
        for (size_t k = ds; k < de; k++) {
            if (v > (uint64_t)INT64_MAX / 10)
                return perr(p, st, KM_EUSAGE, "", "duration out of range");
            v = v * 10 + (uint64_t)(s[k] - '0');
        }
        if (neg || v == 0)
            return perr(p, st, KM_EUSAGE, km_q_unit_hint, "a duration must be positive");
        if (v > (uint64_t)(INT64_MAX / mult))
            return perr(p, st, KM_EUSAGE, "", "duration out of range");
        t->k = T_DURATION;
        t->i = (int64_t)v * mult;
    } else if (isf) {
        char tmp[408];
        memcpy(tmp, s + st, i - st);
        tmp[i - st] = 0;
        char *end;
        errno = 0;
        double d = q_strtod(tmp, &end);
        if (end != tmp + (i - st) || (errno == ERANGE && (d > 1.0 || d < -1.0)))
            return perr(p, st, KM_EUSAGE, "", "number out of range");
        t->k = T_FLOAT;
        t->f = d;
    } else {
        uint64_t v = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
        for (size_t k = ds; k < de; k++) {
            uint64_t dg = (uint64_t)(s[k] - '0');
            if (v > (lim - dg) / 10)
                return perr(p, st, KM_EUSAGE, "write a larger number as a float (1e20) or a string",
                            "integer out of range");
            v = v * 10 + dg;
        }
        t->k = T_INT;
        t->i = neg ? (v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v) : (int64_t)v;
    }
    if (i < n && q_name_char((unsigned char)s[i]))
        return perr(p, i, KM_EUSAGE, "a name cannot start with a digit; write it in backticks",
                    "invalid number");
    t->end = (uint32_t)i;
    p->pos = i;
    return KM_OK;
}

static int lex(struct km_qp *p, struct km_qtok *t)
{
    const char *s = p->s;
    size_t n = p->n, i = p->pos;
    while (i < n && q_space((unsigned char)s[i]))
        i++;
    memset(t, 0, sizeof *t);
    if (i >= n) { /* the end sits right after the last token, not after trailing space */
        t->k = T_EOF;
        t->off = t->end = (uint32_t)(p->ntok ? p->pos : 0);
        return KM_OK;
    }
    t->off = t->end = (uint32_t)i;
    p->pos = i;
    if (++p->ntok > KM_QUERY_MAX_TOKENS)
        return perr(p, i, KM_ELIMIT, "", "the query has more than %d tokens", KM_QUERY_MAX_TOKENS);
    unsigned char c = (unsigned char)s[i];
    size_t j = i + 1;
    char nx = j < n ? s[j] : 0;
    switch (c) {
    case '|': t->k = nx == '|' ? (j++, T_OR) : T_PIPE; break;
    case '&':
        if (nx != '&')
            return perr(p, i, KM_EUSAGE, "write and (or &&)", "unexpected '&'");
        t->k = T_AND;
        j++;
        break;
    case ',': t->k = T_COMMA; break;
    case '(': t->k = T_LPAREN; break;
    case ')': t->k = T_RPAREN; break;
    case '[': t->k = T_LBRACK; break;
    case ']': t->k = T_RBRACK; break;
    case '*': t->k = T_STAR; break;
    case '=':
        t->k = nx == '~' ? T_MATCH : T_EQ;
        if (nx == '~' || nx == '=')
            j++;
        break;
    case '!':
        if (nx != '=')
            return perr(p, i, KM_EUSAGE, "write != for not equal and not for negation",
                        "unexpected '!'");
        t->k = T_NE;
        j++;
        break;
    case '<': t->k = nx == '=' ? (j++, T_LE) : T_LT; break;
    case '>': t->k = nx == '=' ? (j++, T_GE) : T_GT; break;
    case '"': case '\'': return lex_string(p, t, i);
    case '/': return lex_regex(p, t, i);
    case '`': return lex_path(p, t, i);
    case '-':
        if (q_digit((unsigned char)nx))
            return lex_number(p, t, i);
        return perr(p, i, KM_EUSAGE,
                    "names with '-' need backticks, e.g. `detail-type`; a negative number is -5",
                    "unexpected '-'");
    default:
        if (q_digit(c))
            return lex_number(p, t, i);
        if (q_name_start(c))
            return lex_path(p, t, i);
        if (c == ';')
            return perr(p, i, KM_EUSAGE, "commands are separated by |", "unexpected ';'");
        if (c >= 0x80)
            return perr(p, i, KM_EUSAGE, "names with other characters need backticks, e.g. `café`",
                        "unexpected character");
        if (c < 0x20 || c == 0x7f)
            return perr(p, i, KM_EUSAGE, "", "unexpected control byte 0x%02X", c);
        return perr(p, i, KM_EUSAGE, NULL, "unexpected '%c'", c);
    }
    t->end = (uint32_t)j;
    p->pos = j;
    return KM_OK;
}

static int advance(struct km_qp *p)
{
    p->prev = p->cur;
    return lex(p, &p->cur);
}

/* ---- parser: expressions ------------------------------------------------ */

static int parse_expr(struct km_qp *p, struct km_query_expr **out);

static struct km_query_expr *q_node(struct km_qp *p, enum km_query_expr_kind k, uint32_t off)
{
    struct km_query_expr *x = q_alloc(p, sizeof *x);
    if (!x) {
        q_oom(p);
        return NULL;
    }
    x->kind = k;
    x->off = off;
    return x;
}

static int q_is_lit(enum km_qtk k)
{
    return k == T_STRING || k == T_INT || k == T_FLOAT || k == T_DURATION || k == T_TRUE ||
           k == T_FALSE;
}

/* Tokens an operand may start with (including the ones that only give a
 * specific error). */
static int q_starts_expr(enum km_qtk k)
{
    return q_is_lit(k) || k == T_NAME || k == T_LPAREN || k == T_NOT || k == T_REGEX ||
           k == T_LBRACK || k == T_STAR;
}

static struct km_query_lit q_tok_lit(const struct km_qtok *t)
{
    struct km_query_lit l;
    memset(&l, 0, sizeof l);
    l.off = t->off;
    switch (t->k) {
    case T_STRING: l.kind = KM_QL_STRING; l.s = t->s; break;
    case T_REGEX: l.kind = KM_QL_REGEX; l.s = t->s; l.flags = t->flags; break;
    case T_INT: l.kind = KM_QL_INT; l.i = t->i; break;
    case T_FLOAT: l.kind = KM_QL_FLOAT; l.f = t->f; break;
    case T_DURATION: l.kind = KM_QL_DURATION; l.i = t->i; break;
    case T_TRUE: l.kind = KM_QL_BOOL; l.i = 1; break;
    default: l.kind = KM_QL_BOOL; l.i = 0; break;
    }
    return l;
}

static int q_expect_expr(struct km_qp *p, const char *what)
{
    char b[64];
    const char *hint = NULL;
    char hb[128];
    if (p->cur.k >= T_AND && p->cur.k <= T_FALSE) {
        char c[64];
        snprintf(hb, sizeof hb, "%s is a keyword; a field of that name is written in backticks",
                 q_tdesc(p, &p->cur, c, sizeof c));
        hint = hb;
    }
    return perr(p, p->cur.off, KM_EUSAGE, hint, "expected %s after %s", what,
                q_tdesc(p, &p->prev, b, sizeof b));
}

static int q_valid_cidr(const char *s, size_t n)
{
    const char *sl = memchr(s, '/', n);
    if (!sl || sl == s)
        return 0;
    size_t an = (size_t)(sl - s), pn = n - an - 1;
    if (pn == 0 || pn > 3)
        return 0;
    unsigned pre = 0;
    for (size_t i = 0; i < pn; i++) {
        if (!q_digit((unsigned char)sl[1 + i]))
            return 0;
        pre = pre * 10 + (unsigned)(sl[1 + i] - '0');
    }
    uint8_t b[16];
    int v4 = 0;
    if (km_ip_parse(s, an, b, &v4) != KM_OK)
        return 0;
    return pre <= (v4 ? 32u : 128u);
}

/* Arity and argument checks of a call node. */
static int check_call(struct km_qp *p, struct km_query_expr *x)
{
    const struct km_query_func *f = &km_query_funcs[x->fn];
    char hint[160];
    snprintf(hint, sizeof hint, "usage: %s, e.g. %s", f->usage, f->example);
    if (x->nargs < f->min_args || x->nargs > f->max_args) {
        char want[48];
        if (f->min_args == f->max_args)
            snprintf(want, sizeof want, "%u argument%s", f->min_args, f->min_args == 1 ? "" : "s");
        else if (f->max_args == KM_QF_MANY)
            snprintf(want, sizeof want, "at least %u argument%s", f->min_args,
                     f->min_args == 1 ? "" : "s");
        else
            snprintf(want, sizeof want, "%u to %u arguments", f->min_args, f->max_args);
        return perr(p, x->off, KM_EUSAGE, hint, "%s() takes %s, not %u", f->name, want, x->nargs);
    }
    struct km_query_expr *a0 = x->nargs > 0 ? x->args[0] : NULL;
    struct km_query_expr *a1 = x->nargs > 1 ? x->args[1] : NULL;
    switch (x->fn) {
    case KM_QF_BIN:
        if (a0->kind != KM_QE_LITERAL || a0->lit.kind != KM_QL_DURATION)
            return perr(p, a0->off, KM_EUSAGE, hint, "bin() takes a duration such as 5m, 1h or 1d");
        break;
    case KM_QF_AGO:
        if (a0->kind != KM_QE_LITERAL || a0->lit.kind != KM_QL_DURATION)
            return perr(p, a0->off, KM_EUSAGE, hint, "ago() takes a duration such as 30m, 12h or 7d");
        break;
    case KM_QF_ISPRESENT:
        if (a0->kind != KM_QE_FIELD)
            return perr(p, a0->off, KM_EUSAGE, hint, "ispresent() takes a field name");
        break;
    case KM_QF_PCT:
        if (a1->kind != KM_QE_LITERAL ||
            !((a1->lit.kind == KM_QL_INT && a1->lit.i >= 0 && a1->lit.i <= 100) ||
              (a1->lit.kind == KM_QL_FLOAT && a1->lit.f >= 0 && a1->lit.f <= 100)))
            return perr(p, a1->off, KM_EUSAGE, hint,
                        "the percentile of pct() is a number from 0 to 100");
        break;
    case KM_QF_ISIPINSUBNET:
        if (a1->kind != KM_QE_LITERAL || a1->lit.kind != KM_QL_STRING ||
            !q_valid_cidr(a1->lit.s.p, a1->lit.s.n))
            return perr(p, a1->off, KM_EUSAGE, hint,
                        "isIpInSubnet() takes a CIDR string such as \"10.0.0.0/8\" or \"2001:db8::/32\"");
        break;
    default:
        break;
    }
    return KM_OK;
}

/* name '(' [args] ')' — p->prev is the name, p->cur the '('. */
static int parse_call(struct km_qp *p, const struct km_qtok *nt, struct km_query_expr **out)
{
    char b[64], hint[256];
    if (!nt->bare)
        return perr(p, nt->off, KM_EUSAGE, "functions are single words such as tolower(x)",
                    "%s is not a function name", q_tdesc(p, nt, b, sizeof b));
    const char *nm = nt->path.seg[0].p;
    size_t nn = nt->path.seg[0].n;
    int fn = -1;
    for (int k = 0; k < KM_QF__COUNT; k++)
        if (q_ieq(nm, nn, km_query_funcs[k].name))
            fn = k;
    if (fn < 0) {
        const char *names[KM_QF__COUNT];
        char list[300];
        size_t o = snprintf(list, sizeof list, "functions:");
        for (int k = 0; k < KM_QF__COUNT; k++) {
            names[k] = km_query_funcs[k].name;
            if (o < sizeof list)
                o += (size_t)snprintf(list + o, sizeof list - o, "%s %s", k ? "," : "", names[k]);
        }
        q_suggest(nm, nn, names, KM_QF__COUNT, list, hint, sizeof hint);
        return perr(p, nt->off, KM_EUSAGE, hint, "unknown function %s", q_tdesc(p, nt, b, sizeof b));
    }
    const struct km_query_func *f = &km_query_funcs[fn];
    snprintf(hint, sizeof hint, "usage: %s, e.g. %s", f->usage, f->example);
    struct km_query_expr *x = q_node(p, KM_QE_CALL, nt->off);
    if (!x)
        return KM_ENOMEM;
    x->fn = (enum km_query_fn)fn;
    uint32_t cap = 0;
    int rc, star = 0;
    if ((rc = advance(p)))
        return rc;
    if (p->cur.k != T_RPAREN) {
        for (;;) {
            if (p->cur.k == T_STAR && fn == KM_QF_COUNT && x->nargs == 0 && !star) {
                star = 1;
                if ((rc = advance(p)))
                    return rc;
            } else {
                if (!q_starts_expr(p->cur.k))
                    return perr(p, p->cur.off, KM_EUSAGE, hint, "expected an argument after %s",
                                q_tdesc(p, &p->prev, b, sizeof b));
                struct km_query_expr *a;
                if ((rc = parse_expr(p, &a)))
                    return rc;
                if ((rc = q_grow(p, (void **)&x->args, &cap, x->nargs, sizeof *x->args)))
                    return rc;
                x->args[x->nargs++] = a;
            }
            if (p->cur.k != T_COMMA)
                break;
            if ((rc = advance(p)))
                return rc;
        }
        if (p->cur.k != T_RPAREN)
            return perr(p, p->cur.off, KM_EUSAGE, hint, "expected ',' or ')' in %s(), found %s",
                        f->name, q_tdesc(p, &p->cur, b, sizeof b));
    }
    if (star && x->nargs)
        return perr(p, x->args[0]->off, KM_EUSAGE, hint, "count(*) takes nothing else");
    if ((rc = advance(p)))
        return rc;
    if ((rc = check_call(p, x)))
        return rc;
    *out = x;
    return KM_OK;
}

static int parse_operand(struct km_qp *p, struct km_query_expr **out)
{
    struct km_qtok *t = &p->cur;
    char b[64];
    int rc;
    if (q_is_lit(t->k)) {
        struct km_query_expr *x = q_node(p, KM_QE_LITERAL, t->off);
        if (!x)
            return KM_ENOMEM;
        x->lit = q_tok_lit(t);
        *out = x;
        return advance(p);
    }
    switch (t->k) {
    case T_NAME: {
        struct km_qtok nt = *t;
        if ((rc = advance(p)))
            return rc;
        if (p->cur.k == T_LPAREN)
            return parse_call(p, &nt, out);
        struct km_query_expr *x = q_node(p, KM_QE_FIELD, nt.off);
        if (!x)
            return KM_ENOMEM;
        x->path = nt.path;
        *out = x;
        return KM_OK;
    }
    case T_LPAREN: {
        uint32_t off = t->off;
        if ((rc = advance(p)))
            return rc;
        if ((rc = parse_expr(p, out)))
            return rc;
        if (p->cur.k != T_RPAREN) {
            uint32_t line, col;
            q_pos(p->s, p->n, off, &line, &col);
            return perr(p, p->cur.off, KM_EUSAGE, NULL,
                        "expected ')' to close the '(' at line %u, column %u, found %s", line, col,
                        q_tdesc(p, &p->cur, b, sizeof b));
        }
        return advance(p);
    }
    case T_REGEX:
        return perr(p, t->off, KM_EUSAGE, "e.g. filter action =~ /^Delete/ or filter user_agent like /boto3/i",
                    "a /regex/ can only follow like or =~, or be the pattern of parse");
    case T_LBRACK:
        return perr(p, t->off, KM_EUSAGE, "e.g. filter action in [\"StopLogging\", \"DeleteTrail\"]",
                    "a [list] can only follow in");
    case T_STAR:
        return perr(p, t->off, KM_EUSAGE, "e.g. stats count(*) as n", "'*' is only allowed in count(*)");
    default:
        return q_expect_expr(p, "an expression");
    }
}

/* The list after `in`: [lit, ...] or (lit, ...). */
static int parse_list(struct km_qp *p, struct km_query_expr *x)
{
    const char *hint = "e.g. action in [\"StopLogging\", \"DeleteTrail\"]";
    char b[64];
    int rc;
    enum km_qtk close;
    if (p->cur.k == T_LBRACK)
        close = T_RBRACK;
    else if (p->cur.k == T_LPAREN)
        close = T_RPAREN;
    else
        return perr(p, p->cur.off, KM_EUSAGE, hint, "expected a list such as [\"a\", \"b\"] after %s",
                    q_tdesc(p, &p->prev, b, sizeof b));
    uint32_t cap = 0;
    if ((rc = advance(p)))
        return rc;
    for (;;) {
        if (!q_is_lit(p->cur.k)) {
            if (p->cur.k == close && x->nlist == 0)
                return perr(p, p->cur.off, KM_EUSAGE, hint, "empty list");
            return perr(p, p->cur.off, KM_EUSAGE, hint,
                        "a list holds strings, numbers or booleans, not %s",
                        q_tdesc(p, &p->cur, b, sizeof b));
        }
        if ((rc = q_grow(p, (void **)&x->list, &cap, x->nlist, sizeof *x->list)))
            return rc;
        x->list[x->nlist++] = q_tok_lit(&p->cur);
        if ((rc = advance(p)))
            return rc;
        if (p->cur.k == T_COMMA) {
            if ((rc = advance(p)))
                return rc;
            continue;
        }
        if (p->cur.k == close)
            return advance(p);
        return perr(p, p->cur.off, KM_EUSAGE, hint, "expected ',' or '%c' in the list, found %s",
                    close == T_RBRACK ? ']' : ')', q_tdesc(p, &p->cur, b, sizeof b));
    }
}

static int q_is_cmp(enum km_qtk k)
{
    return (k >= T_EQ && k <= T_MATCH) || k == T_IN || k == T_LIKE;
}

static int parse_cmp(struct km_qp *p, struct km_query_expr **out)
{
    struct km_query_expr *l, *x;
    char b[64];
    int rc;
    if ((rc = parse_operand(p, &l)))
        return rc;
    enum km_qtk k = p->cur.k;
    int negate = 0;
    if (k == T_NOT) {
        if ((rc = advance(p)))
            return rc;
        k = p->cur.k;
        if (k != T_IN && k != T_LIKE)
            return perr(p, p->cur.off, KM_EUSAGE, "e.g. action not in [\"A\", \"B\"], or not (a = 1)",
                        "expected in or like after 'not', found %s", q_tdesc(p, &p->cur, b, sizeof b));
        negate = 1;
    }
    if (!q_is_cmp(k)) {
        *out = l;
        return KM_OK;
    }
    if ((rc = advance(p)))
        return rc;
    if (k >= T_EQ && k <= T_GE) {
        if (!(x = q_node(p, KM_QE_CMP, l->off)))
            return KM_ENOMEM;
        x->op = (enum km_query_cmp)(KM_QC_EQ + (k - T_EQ));
        struct km_query_expr *r;
        if ((rc = parse_operand(p, &r)))
            return rc;
        if (!(x->args = q_alloc(p, 2 * sizeof *x->args)))
            return q_oom(p);
        x->args[0] = l;
        x->args[1] = r;
        x->nargs = 2;
    } else {
        enum km_query_expr_kind kind = k == T_IN ? KM_QE_IN : k == T_LIKE ? KM_QE_LIKE : KM_QE_MATCH;
        if (!(x = q_node(p, kind, l->off)))
            return KM_ENOMEM;
        if (!(x->args = q_alloc(p, sizeof *x->args)))
            return q_oom(p);
        x->args[0] = l;
        x->nargs = 1;
        if (k == T_IN) {
            if ((rc = parse_list(p, x)))
                return rc;
        } else if (k == T_LIKE) {
            if (p->cur.k == T_STRING)
                x->like = memchr(p->cur.s.p, '%', p->cur.s.n) ? KM_QLIKE_WILDCARD : KM_QLIKE_SUBSTRING;
            else if (p->cur.k == T_REGEX)
                x->like = KM_QLIKE_REGEX;
            else
                return perr(p, p->cur.off, KM_EUSAGE,
                            "e.g. like \"admin\" (substring), like \"arn:aws:iam::%:root\" (wildcards) or like /^Delete/i",
                            "expected a string or /regex/ after 'like', found %s",
                            q_tdesc(p, &p->cur, b, sizeof b));
            x->lit = q_tok_lit(&p->cur);
            if ((rc = advance(p)))
                return rc;
        } else {
            if (p->cur.k != T_REGEX)
                return perr(p, p->cur.off, KM_EUSAGE, "e.g. action =~ /^Delete/i",
                            "expected a /regex/ after '=~', found %s", q_tdesc(p, &p->cur, b, sizeof b));
            x->lit = q_tok_lit(&p->cur);
            if ((rc = advance(p)))
                return rc;
        }
    }
    if (negate) {
        struct km_query_expr *nx = q_node(p, KM_QE_NOT, x->off);
        if (!nx || !(nx->args = q_alloc(p, sizeof *nx->args)))
            return q_oom(p);
        nx->args[0] = x;
        nx->nargs = 1;
        x = nx;
    }
    if (q_is_cmp(p->cur.k) || p->cur.k == T_NOT)
        return perr(p, p->cur.off, KM_EUSAGE, "join comparisons with and, e.g. a > 1 and a < 9",
                    "comparisons do not chain: unexpected %s", q_tdesc(p, &p->cur, b, sizeof b));
    *out = x;
    return KM_OK;
}

static int parse_not(struct km_qp *p, struct km_query_expr **out)
{
    if (p->cur.k != T_NOT)
        return parse_cmp(p, out);
    uint32_t off = p->cur.off;
    int rc;
    if ((rc = advance(p)))
        return rc;
    if (++p->depth > KM_QUERY_MAX_DEPTH)
        return perr(p, off, KM_ELIMIT, "simplify the expression",
                    "expression nested deeper than %d levels", KM_QUERY_MAX_DEPTH);
    struct km_query_expr *c;
    rc = parse_not(p, &c);
    p->depth--;
    if (rc)
        return rc;
    struct km_query_expr *x = q_node(p, KM_QE_NOT, off);
    if (!x || !(x->args = q_alloc(p, sizeof *x->args)))
        return q_oom(p);
    x->args[0] = c;
    x->nargs = 1;
    *out = x;
    return KM_OK;
}

/* and / or chains as one n-ary node; nested nodes of the same kind are spliced in. */
static int parse_chain(struct km_qp *p, int is_or, struct km_query_expr **out)
{
    enum km_qtk opk = is_or ? T_OR : T_AND;
    enum km_query_expr_kind kind = is_or ? KM_QE_OR : KM_QE_AND;
    struct km_query_expr *first, *x = NULL;
    uint32_t cap = 0;
    int rc = is_or ? parse_chain(p, 0, &first) : parse_not(p, &first);
    if (rc)
        return rc;
    if (p->cur.k != opk) {
        *out = first;
        return KM_OK;
    }
    if (!(x = q_node(p, kind, first->off)))
        return KM_ENOMEM;
    struct km_query_expr *c = first;
    for (;;) {
        uint32_t add = c->kind == kind ? c->nargs : 1;
        for (uint32_t k = 0; k < add; k++) {
            if ((rc = q_grow(p, (void **)&x->args, &cap, x->nargs, sizeof *x->args)))
                return rc;
            x->args[x->nargs++] = c->kind == kind ? c->args[k] : c;
        }
        if (p->cur.k != opk)
            break;
        if ((rc = advance(p)))
            return rc;
        if ((rc = is_or ? parse_chain(p, 0, &c) : parse_not(p, &c)))
            return rc;
    }
    *out = x;
    return KM_OK;
}

static int parse_expr(struct km_qp *p, struct km_query_expr **out)
{
    if (++p->depth > KM_QUERY_MAX_DEPTH)
        return perr(p, p->cur.off, KM_ELIMIT, "simplify the expression",
                    "expression nested deeper than %d levels", KM_QUERY_MAX_DEPTH);
    int rc = parse_chain(p, 1, out);
    p->depth--;
    return rc;
}

/* ---- printing --------------------------------------------------------------- */

static int q_level(const struct km_query_expr *x)
{
    switch (x->kind) {
    case KM_QE_OR: return 1;
    case KM_QE_AND: return 2;
    case KM_QE_NOT: return 3;
    case KM_QE_CMP: case KM_QE_IN: case KM_QE_LIKE: case KM_QE_MATCH: return 4;
    default: return 5;
    }
}

/* A name segment: bare when it lexes back as the same single segment. */
static void w_seg(struct km_qw *w, struct km_str s, int first)
{
    int bare = s.n > 0;
    for (uint32_t i = 0; i < s.n && bare; i++)
        bare = q_name_char((unsigned char)s.p[i]);
    if (bare && first && (q_digit((unsigned char)s.p[0]) || q_kw_lookup(s.p, s.n) >= 0))
        bare = 0;
    if (bare) {
        w_put(w, s.p, s.n);
        return;
    }
    w_c(w, '`');
    for (uint32_t i = 0; i < s.n; i++) {
        if (s.p[i] == '`')
            w_c(w, '`');
        w_c(w, s.p[i]);
    }
    w_c(w, '`');
}

static int w_seg_bare(struct km_str s, int first)
{
    int bare = s.n > 0;
    for (uint32_t i = 0; i < s.n && bare; i++)
        bare = q_name_char((unsigned char)s.p[i]);
    return bare && !(first && (q_digit((unsigned char)s.p[0]) || q_kw_lookup(s.p, s.n) >= 0));
}

static void w_path(struct km_qw *w, const struct km_query_path *pa)
{
    /* a path written with backticks keeps one (path.quoted survives a dump) */
    int force = pa->quoted;
    for (uint32_t i = 0; i < pa->nseg && force; i++)
        force = w_seg_bare(pa->seg[i], i == 0);
    for (uint32_t i = 0; i < pa->nseg; i++) {
        if (i)
            w_c(w, '.');
        if (i == 0 && force) {
            w_c(w, '`');
            w_put(w, pa->seg[0].p, pa->seg[0].n); /* bare: no backtick inside */
            w_c(w, '`');
        } else {
            w_seg(w, pa->seg[i], i == 0);
        }
    }
}

static void w_lit(struct km_qw *w, const struct km_query_lit *l)
{
    char tmp[64];
    switch (l->kind) {
    case KM_QL_STRING:
        w_c(w, '"');
        for (uint32_t i = 0; i < l->s.n; i++) {
            unsigned char c = (unsigned char)l->s.p[i];
            if (c == '"' || c == '\\') {
                w_c(w, '\\');
                w_c(w, (char)c);
            } else if (c == '\n') {
                w_s(w, "\\n");
            } else if (c == '\t') {
                w_s(w, "\\t");
            } else if (c == '\r') {
                w_s(w, "\\r");
            } else if (c < 0x20 || c == 0x7f) {
                w_fmt(w, "\\u%04X", c);
            } else {
                w_c(w, (char)c);
            }
        }
        w_c(w, '"');
        break;
    case KM_QL_INT:
        w_fmt(w, "%lld", (long long)l->i);
        break;
    case KM_QL_FLOAT:
        q_fmt_double(l->f, tmp);
        w_s(w, tmp);
        break;
    case KM_QL_DURATION: {
        static const struct {
            const char *u;
            int64_t us;
        } units[] = {{"w", 604800000000LL}, {"d", 86400000000LL}, {"h", 3600000000LL},
                     {"m", 60000000}, {"s", 1000000}, {"ms", 1000}, {"us", 1}};
        for (size_t i = 0; i < KM_ARRAY_LEN(units); i++)
            if (l->i % units[i].us == 0) {
                w_fmt(w, "%lld%s", (long long)(l->i / units[i].us), units[i].u);
                break;
            }
        break;
    }
    case KM_QL_BOOL:
        w_s(w, l->i ? "true" : "false");
        break;
    case KM_QL_REGEX:
        w_c(w, '/');
        w_put(w, l->s.p, l->s.n);
        w_c(w, '/');
        if (l->flags & KM_QRX_I)
            w_c(w, 'i');
        if (l->flags & KM_QRX_M)
            w_c(w, 'm');
        if (l->flags & KM_QRX_S)
            w_c(w, 's');
        if (l->flags & KM_QRX_X)
            w_c(w, 'x');
        break;
    }
}

static const char *const km_q_cmp_names[] = {"=", "!=", "<", "<=", ">", ">="};

/* need: the lowest level that may appear here without parentheses. */
static void w_expr(struct km_qw *w, const struct km_query_expr *x, int need, int depth)
{
    if (depth > 4 * KM_QUERY_MAX_DEPTH + 16) {
        w_s(w, "...");
        return;
    }
    int lv = q_level(x), paren = lv < need;
    /* children of an operator: what precedence requires, or everything with PARENS */
    int sub = (w->flags & KM_QUERY_DUMP_PARENS) ? 5 : 0;
    if (paren)
        w_c(w, '(');
    switch (x->kind) {
    case KM_QE_LITERAL:
        w_lit(w, &x->lit);
        break;
    case KM_QE_FIELD:
        w_path(w, &x->path);
        break;
    case KM_QE_CALL:
        w_s(w, km_query_funcs[x->fn].name);
        w_c(w, '(');
        for (uint32_t i = 0; i < x->nargs; i++) {
            if (i)
                w_s(w, ", ");
            w_expr(w, x->args[i], 0, depth + 1);
        }
        w_c(w, ')');
        break;
    case KM_QE_NOT:
        w_s(w, "not ");
        w_expr(w, x->args[0], sub > 3 ? sub : 3, depth + 1);
        break;
    case KM_QE_AND:
    case KM_QE_OR:
        for (uint32_t i = 0; i < x->nargs; i++) {
            if (i)
                w_s(w, x->kind == KM_QE_AND ? " and " : " or ");
            w_expr(w, x->args[i], sub > lv + 1 ? sub : lv + 1, depth + 1);
        }
        break;
    case KM_QE_CMP:
        w_expr(w, x->args[0], 5, depth + 1);
        w_fmt(w, " %s ", km_q_cmp_names[x->op]);
        w_expr(w, x->args[1], 5, depth + 1);
        break;
    case KM_QE_IN:
        w_expr(w, x->args[0], 5, depth + 1);
        w_s(w, " in [");
        for (uint32_t i = 0; i < x->nlist; i++) {
            if (i)
                w_s(w, ", ");
            w_lit(w, &x->list[i]);
        }
        w_c(w, ']');
        break;
    case KM_QE_LIKE:
    case KM_QE_MATCH:
        w_expr(w, x->args[0], 5, depth + 1);
        w_s(w, x->kind == KM_QE_LIKE ? " like " : " =~ ");
        w_lit(w, &x->lit);
        break;
    }
    if (paren)
        w_c(w, ')');
}

static void w_items(struct km_qw *w, const struct km_query_item *it, uint32_t n, int sort)
{
    for (uint32_t i = 0; i < n; i++) {
        if (i)
            w_s(w, ", ");
        w_expr(w, it[i].expr, 0, 0);
        if (it[i].alias.p) {
            w_s(w, " as ");
            w_seg(w, it[i].alias, 1);
        }
        if (sort)
            w_s(w, it[i].desc ? " desc" : " asc");
    }
}

static void w_cmd(struct km_qw *w, const struct km_query_cmd *c)
{
    w_s(w, km_qcmds[c->kind].name);
    w_c(w, ' ');
    switch (c->kind) {
    case KM_QCMD_FILTER:
        w_expr(w, c->cond, 0, 0);
        break;
    case KM_QCMD_LIMIT:
        w_fmt(w, "%lld", (long long)c->limit);
        break;
    case KM_QCMD_STATS:
        w_items(w, c->items, c->nitems, 0);
        if (c->nby) {
            w_s(w, " by ");
            w_items(w, c->by, c->nby, 0);
        }
        break;
    case KM_QCMD_PARSE:
        w_expr(w, c->src, 0, 0);
        w_c(w, ' ');
        w_lit(w, &c->pattern);
        if (c->pattern.kind == KM_QL_STRING) {
            w_s(w, " as ");
            for (uint32_t i = 0; i < c->nnames; i++) {
                if (i)
                    w_s(w, ", ");
                w_seg(w, c->names[i], 1);
            }
        }
        break;
    default:
        w_items(w, c->items, c->nitems, c->kind == KM_QCMD_SORT);
        break;
    }
}

int km_query_dump(const struct km_query *q, unsigned flags, char *buf, size_t cap, size_t *len)
{
    struct km_qw w = {buf, cap, 0, flags};
    for (uint32_t i = 0; q && i < q->ncmds; i++) {
        if (i)
            w_s(&w, " | ");
        w_cmd(&w, &q->cmds[i]);
    }
    return w_end(&w, len);
}

int km_query_expr_dump(const struct km_query_expr *x, unsigned flags, char *buf, size_t cap,
                       size_t *len)
{
    struct km_qw w = {buf, cap, 0, flags};
    if (x)
        w_expr(&w, x, 0, 0);
    return w_end(&w, len);
}

const char *km_query_cmd_name(enum km_query_cmd_kind k)
{
    return (unsigned)k < KM_QCMD__COUNT ? km_qcmds[k].name : "?";
}

const char *km_query_fn_name(enum km_query_fn f)
{
    return (unsigned)f < KM_QF__COUNT ? km_query_funcs[f].name : "?";
}

const char *km_query_cmp_name(enum km_query_cmp op)
{
    return (unsigned)op < KM_ARRAY_LEN(km_q_cmp_names) ? km_q_cmp_names[op] : "?";
}

/* ---- parser: commands ----------------------------------------------------- */

/* No aggregate anywhere in x (nested: inside a stats aggregate). */
static int check_no_agg(struct km_qp *p, const struct km_query_expr *x, int nested)
{
    if (x->kind == KM_QE_CALL && km_query_funcs[x->fn].aggregate) {
        if (nested)
            return perr(p, x->off, KM_EUSAGE, NULL,
                        "aggregate %s() cannot be used inside another aggregate",
                        km_query_funcs[x->fn].name);
        return perr(p, x->off, KM_EUSAGE,
                    "aggregates belong in stats, e.g. stats count() as n by action | filter n > 10",
                    "aggregate %s() is only allowed in stats", km_query_funcs[x->fn].name);
    }
    for (uint32_t i = 0; i < x->nargs; i++) {
        int rc = check_no_agg(p, x->args[i], nested);
        if (rc)
            return rc;
    }
    return KM_OK;
}

static int q_name_of(struct km_qp *p, struct km_query_item *it)
{
    if (it->alias.p) {
        it->name = it->alias;
        return KM_OK;
    }
    if (it->expr->kind == KM_QE_FIELD) {
        it->name = it->expr->path.text;
        return KM_OK;
    }
    size_t len = 0;
    km_query_expr_dump(it->expr, 0, NULL, 0, &len);
    char *s = km_arena_alloc(p->a, len + 1);
    if (!s)
        return q_oom(p);
    km_query_expr_dump(it->expr, 0, s, len + 1, NULL);
    it->name.p = s;
    it->name.n = (uint32_t)len;
    return KM_OK;
}

/* One name: a single (possibly `quoted`) segment, after 'as' or in parse. */
static int parse_name(struct km_qp *p, struct km_str *out)
{
    char b[64];
    if (p->cur.k != T_NAME || p->cur.path.nseg != 1)
        return perr(p, p->cur.off, KM_EUSAGE, "a name is one word such as n, or `any text` in backticks",
                    "expected a name after %s", q_tdesc(p, &p->prev, b, sizeof b));
    *out = p->cur.path.seg[0];
    return advance(p);
}

enum km_qim { IM_FIELDS, IM_STATS, IM_BY, IM_SORT, IM_NAMES };

static int parse_items(struct km_qp *p, enum km_qim m, struct km_query_item **out, uint32_t *nout)
{
    struct km_query_item *v = NULL;
    uint32_t n = 0, cap = 0;
    int rc;
    for (;;) {
        if (!q_starts_expr(p->cur.k))
            return q_expect_expr(p, m == IM_STATS ? "an aggregate such as count()"
                                    : m == IM_NAMES ? "a field name"
                                                    : "an expression");
        struct km_query_item it;
        memset(&it, 0, sizeof it);
        it.off = p->cur.off;
        if ((rc = parse_expr(p, &it.expr)))
            return rc;
        if ((m == IM_FIELDS || m == IM_STATS || m == IM_BY) && p->cur.k == T_AS) {
            if ((rc = advance(p)) || (rc = parse_name(p, &it.alias)))
                return rc;
        }
        if (m == IM_SORT && (p->cur.k == T_ASC || p->cur.k == T_DESC)) {
            it.desc = p->cur.k == T_DESC;
            if ((rc = advance(p)))
                return rc;
        }
        if (m == IM_STATS) {
            const struct km_query_expr *x = it.expr;
            if (x->kind != KM_QE_CALL || !km_query_funcs[x->fn].aggregate)
                return perr(p, it.off, KM_EUSAGE,
                            "group keys go after by, e.g. stats count() by action, bin(1h)",
                            "stats computes aggregates such as count() or avg(x); this is not one");
            for (uint32_t i = 0; i < x->nargs; i++)
                if ((rc = check_no_agg(p, x->args[i], 1)))
                    return rc;
        } else if (m == IM_SORT && it.expr->kind == KM_QE_CALL &&
                   km_query_funcs[it.expr->fn].aggregate) {
            /* `stats count() | sort count() desc`: the stats column of that
             * name (the executor checks that an earlier stats made it) */
            for (uint32_t i = 0; i < it.expr->nargs; i++)
                if ((rc = check_no_agg(p, it.expr->args[i], 1)))
                    return rc;
        } else {
            if ((rc = check_no_agg(p, it.expr, 0)))
                return rc;
        }
        if (m == IM_NAMES && it.expr->kind != KM_QE_FIELD)
            return perr(p, it.off, KM_EUSAGE, NULL,
                        "%s takes field names, not expressions; compute with fields ... as name first",
                        km_qcmds[p->cmd].name);
        if ((rc = q_name_of(p, &it)))
            return rc;
        if ((rc = q_grow(p, (void **)&v, &cap, n, sizeof *v)))
            return rc;
        v[n++] = it;
        if (p->cur.k != T_COMMA)
            break;
        if ((rc = advance(p)))
            return rc;
    }
    *out = v;
    *nout = n;
    return KM_OK;
}

/* Named groups (?<name>...), (?P<name>...), (?'name'...) of a regex source. */
static int q_regex_groups(struct km_qp *p, const struct km_query_lit *re, struct km_str **out,
                          uint32_t *nout)
{
    const char *s = re->s.p;
    size_t n = re->s.n;
    struct km_str *v = NULL;
    uint32_t nv = 0, cap = 0;
    int cls = 0, rc;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\\') {
            i++;
            continue;
        }
        if (cls) {
            cls = s[i] != ']';
            continue;
        }
        if (s[i] == '[') {
            cls = 1;
            continue;
        }
        if (s[i] != '(' || i + 2 >= n || s[i + 1] != '?')
            continue;
        size_t j = i + 2;
        char close;
        if (s[j] == 'P' && j + 1 < n && s[j + 1] == '<')
            j += 2, close = '>';
        else if (s[j] == '<' && j + 1 < n && s[j + 1] != '=' && s[j + 1] != '!')
            j += 1, close = '>';
        else if (s[j] == '\'')
            j += 1, close = '\'';
        else
            continue;
        size_t st = j;
        while (j < n && (q_name_char((unsigned char)s[j]) && s[j] != '@' && s[j] != '$'))
            j++;
        if (j == st || j >= n || s[j] != close || q_digit((unsigned char)s[st]))
            continue; /* not a valid group name: PCRE2 reports it at execution */
        for (uint32_t k = 0; k < nv; k++)
            if (v[k].n == j - st && memcmp(v[k].p, s + st, j - st) == 0)
                return perr(p, re->off + 1 + st, KM_EUSAGE, NULL, "duplicate group name '%.*s'",
                            (int)(j - st), s + st);
        if ((rc = q_grow(p, (void **)&v, &cap, nv, sizeof *v)))
            return rc;
        if (!(v[nv].p = q_dup(p, s + st, j - st)))
            return KM_ENOMEM;
        v[nv++].n = (uint32_t)(j - st);
        i = j;
    }
    *out = v;
    *nout = nv;
    return KM_OK;
}

static int parse_parse(struct km_qp *p, struct km_query_cmd *c)
{
    char b[64];
    int rc;
    if (p->cur.k != T_NAME)
        return perr(p, p->cur.off, KM_EUSAGE, NULL, "expected a field after 'parse', found %s",
                    q_tdesc(p, &p->cur, b, sizeof b));
    if (!(c->src = q_node(p, KM_QE_FIELD, p->cur.off)))
        return KM_ENOMEM;
    c->src->path = p->cur.path;
    if ((rc = advance(p)))
        return rc;
    if (p->cur.k == T_LPAREN)
        return perr(p, c->src->off, KM_EUSAGE, NULL, "parse takes a field, not a function call");
    if (p->cur.k == T_STRING) {
        c->pattern = q_tok_lit(&p->cur);
        uint32_t stars = 0;
        for (uint32_t i = 0; i < c->pattern.s.n; i++)
            stars += c->pattern.s.p[i] == '*';
        if (!stars)
            return perr(p, p->cur.off, KM_EUSAGE, NULL, "the glob has no '*' to capture");
        if ((rc = advance(p)))
            return rc;
        if (p->cur.k != T_AS)
            return perr(p, p->cur.off, KM_EUSAGE, NULL,
                        "expected 'as' and %u name%s after the glob, found %s", stars,
                        stars == 1 ? "" : "s", q_tdesc(p, &p->cur, b, sizeof b));
        if ((rc = advance(p)))
            return rc;
        uint32_t noff = p->cur.off, cap = 0;
        for (;;) {
            struct km_str nm;
            if ((rc = parse_name(p, &nm)))
                return rc;
            for (uint32_t k = 0; k < c->nnames; k++)
                if (km_str_eq(c->names[k], nm))
                    return perr(p, p->prev.off, KM_EUSAGE, NULL, "duplicate name '%s'", nm.p);
            if ((rc = q_grow(p, (void **)&c->names, &cap, c->nnames, sizeof *c->names)))
                return rc;
            c->names[c->nnames++] = nm;
            if (p->cur.k != T_COMMA)
                break;
            if ((rc = advance(p)))
                return rc;
        }
        if (c->nnames != stars)
            return perr(p, noff, KM_EUSAGE, NULL, "the glob has %u '*' but %u name%s follow 'as'",
                        stars, c->nnames, c->nnames == 1 ? "" : "s");
        return KM_OK;
    }
    if (p->cur.k == T_REGEX) {
        c->pattern = q_tok_lit(&p->cur);
        if ((rc = q_regex_groups(p, &c->pattern, &c->names, &c->nnames)))
            return rc;
        if (!c->nnames)
            return perr(p, p->cur.off, KM_EUSAGE,
                        "e.g. parse user_agent /^(?<tool>[a-z-]+)\\/(?<version>[0-9.]+)/",
                        "the regex has no named group (?<name>...) to capture");
        if ((rc = advance(p)))
            return rc;
        if (p->cur.k == T_AS)
            return perr(p, p->cur.off, KM_EUSAGE, NULL,
                        "a regex names its fields with named groups (?<name>...); remove 'as'");
        return KM_OK;
    }
    return perr(p, p->cur.off, KM_EUSAGE, NULL,
                "expected a glob \"...*...\" or a /regex/ after the field, found %s",
                q_tdesc(p, &p->cur, b, sizeof b));
}

static int parse_command(struct km_qp *p, struct km_query_cmd *c)
{
    char b[64], hint[256];
    struct km_qtok *t = &p->cur;
    if (t->k != T_NAME || !t->bare)
        return perr(p, t->off, KM_EUSAGE, km_q_cmd_list, "expected a command, found %s",
                    q_tdesc(p, t, b, sizeof b));
    int k = -1;
    const char *names[KM_QCMD__COUNT];
    for (int i = 0; i < KM_QCMD__COUNT; i++) {
        names[i] = km_qcmds[i].name;
        if (q_ieq(t->path.seg[0].p, t->path.seg[0].n, names[i]))
            k = i;
    }
    if (k < 0) {
        q_suggest(t->path.seg[0].p, t->path.seg[0].n, names, KM_QCMD__COUNT, km_q_cmd_list, hint,
                  sizeof hint);
        return perr(p, t->off, KM_EUSAGE, hint, "unknown command %s", q_tdesc(p, t, b, sizeof b));
    }
    memset(c, 0, sizeof *c);
    c->kind = (enum km_query_cmd_kind)k;
    c->off = t->off;
    p->cmd = k;
    int rc;
    if ((rc = advance(p)))
        return rc;
    switch (c->kind) {
    case KM_QCMD_FIELDS:
        return parse_items(p, IM_FIELDS, &c->items, &c->nitems);
    case KM_QCMD_FILTER:
        if (!q_starts_expr(p->cur.k))
            return q_expect_expr(p, "an expression");
        if ((rc = parse_expr(p, &c->cond)))
            return rc;
        return check_no_agg(p, c->cond, 0);
    case KM_QCMD_STATS:
        if ((rc = parse_items(p, IM_STATS, &c->items, &c->nitems)))
            return rc;
        if (p->cur.k != T_BY)
            return KM_OK;
        if ((rc = advance(p)))
            return rc;
        return parse_items(p, IM_BY, &c->by, &c->nby);
    case KM_QCMD_SORT:
        return parse_items(p, IM_SORT, &c->items, &c->nitems);
    case KM_QCMD_DEDUP:
    case KM_QCMD_DISPLAY:
        return parse_items(p, IM_NAMES, &c->items, &c->nitems);
    case KM_QCMD_LIMIT:
        if (p->cur.k != T_INT)
            return perr(p, p->cur.off, KM_EUSAGE, NULL, "expected a whole number after 'limit', found %s",
                        q_tdesc(p, &p->cur, b, sizeof b));
        if (p->cur.i < 1 || p->cur.i > KM_QUERY_MAX_LIMIT)
            return perr(p, p->cur.off, KM_EUSAGE, NULL, "limit must be between 1 and %lld",
                        (long long)KM_QUERY_MAX_LIMIT);
        c->limit = p->cur.i;
        return advance(p);
    case KM_QCMD_PARSE:
        return parse_parse(p, c);
    default:
        return perr(p, c->off, KM_EINTERNAL, "", "command without a parser");
    }
}

int km_query_parse(const char *text, size_t n, struct km_arena *a, struct km_query **out,
                   struct km_query_err *err)
{
    if (out)
        *out = NULL;
    if (!text)
        text = "", n = 0;
    if (!a || !out)
        return km_query_err_set(err, text, 0, 0, KM_EINTERNAL, "", "km_query_parse: no arena or out");
    if (n > KM_QUERY_MAX_LEN)
        return km_query_err_set(err, text, n, KM_QUERY_MAX_LEN, KM_ELIMIT, "",
                                "the query is longer than %d bytes", KM_QUERY_MAX_LEN);
    struct km_qp p;
    memset(&p, 0, sizeof p);
    p.s = text;
    p.n = n;
    p.a = a;
    p.err = err;
    p.cmd = -1;
    int rc;
    char b[64];
    if ((rc = advance(&p)))
        return rc;
    if (p.cur.k == T_EOF)
        return perr(&p, p.cur.off, KM_EUSAGE, km_q_example, "empty query");
    struct km_query *q = q_alloc(&p, sizeof *q);
    if (!q)
        return q_oom(&p);
    uint32_t cap = 0;
    for (;;) {
        if ((rc = q_grow(&p, (void **)&q->cmds, &cap, q->ncmds, sizeof *q->cmds)))
            return rc;
        struct km_query_cmd *c = &q->cmds[q->ncmds];
        if ((rc = parse_command(&p, c)))
            return rc;
        q->ncmds++;
        if (p.cur.k == T_PIPE) {
            if ((rc = advance(&p)))
                return rc;
            p.cmd = -1;
            if (p.cur.k == T_EOF || p.cur.k == T_PIPE)
                return perr(&p, p.cur.off, KM_EUSAGE, km_q_cmd_list,
                            "expected a command after '|', found %s", q_tdesc(&p, &p.cur, b, sizeof b));
            continue;
        }
        if (p.cur.k == T_EOF)
            break;
        const char *hint = NULL;
        if (c->kind == KM_QCMD_FILTER)
            hint = "join conditions with and / or; separate commands with |";
        else if (c->kind != KM_QCMD_LIMIT && c->kind != KM_QCMD_PARSE && q_starts_expr(p.cur.k))
            hint = "separate items with ',' and commands with '|'";
        return perr(&p, p.cur.off, KM_EUSAGE, hint, "unexpected %s after %s",
                    q_tdesc(&p, &p.cur, b, sizeof b), km_qcmds[c->kind].after);
    }
    *out = q;
    return KM_OK;
}
