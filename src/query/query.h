/*
 * query.h — the kumo query language: lexer, parser, AST, error reporting.
 *
 * A query is a pipeline of commands separated by '|', in the style of
 * CloudWatch Logs Insights (the full reference is docs/query.md):
 *
 *     filter outcome = "failure" and action like /^Console/
 *       | stats count() as n, count_distinct(src.ip) by actor.name, bin(1h)
 *       | sort n desc | limit 20
 *
 * km_query_parse() turns the text into a tree allocated from one caller arena;
 * freeing the arena frees the whole query. The tree does not point into the
 * query text (strings, names and regexes are copied and NUL-terminated), so
 * the text may be freed after parsing. The parser knows nothing about the
 * store: a field reference is a list of path segments that the executor
 * resolves (a normalized field such as "actor.email", or a JSON path of the
 * original record such as "requestParameters.bucketName").
 *
 * The tree, for `filter a = 1 and not b in ["x"] | stats count() as n by c`:
 *
 *   km_query.cmds[0]  FILTER  cond ──► AND ─┬─► CMP(=) ─┬─► FIELD a
 *                                          │           └─► LITERAL int 1
 *                                          └─► NOT ─► IN ─► FIELD b ; list ["x"]
 *   km_query.cmds[1]  STATS   items[0] = {expr CALL count(), alias "n", name "n"}
 *                             by[0]    = {expr FIELD c, name "c"}
 *
 * Everything the executor needs is explicit in the tree: and/or are n-ary
 * (nested same operators are flattened), `x not in L` / `x not like P` are
 * NOT nodes around IN / LIKE, function names are resolved to enum
 * km_query_fn with their arity checked, `count(*)` is `count()`, durations are
 * microseconds, `like` patterns are classified (substring / wildcard / regex),
 * `parse` knows the names of the fields it creates, and each output item has a
 * column name. Every node carries the byte offset of its first token so that
 * execution errors (an invalid regex) can point at the query text with
 * km_query_err_set().
 *
 * Limits: a query is at most KM_QUERY_MAX_LEN bytes and KM_QUERY_MAX_TOKENS
 * tokens, and expressions nest at most KM_QUERY_MAX_DEPTH levels (each
 * parenthesis, function call and `not` is a level); beyond that parsing stops
 * with KM_ELIMIT. Memory is proportional to the query length (bounded by the
 * above), never more, and recursion depth is bounded by the nesting limit.
 */
#ifndef KM_QUERY_H
#define KM_QUERY_H

#include "core/km.h"

#include <stddef.h>
#include <stdint.h>

#define KM_QUERY_MAX_LEN 65536     /* bytes of query text */
#define KM_QUERY_MAX_TOKENS 16384  /* tokens in one query */
#define KM_QUERY_MAX_DEPTH 64      /* nesting levels of an expression */
#define KM_QUERY_MAX_LIMIT 1000000000LL /* largest N of `limit N` */

/* ---- literals ---------------------------------------------------------- */

enum km_query_lit_kind {
    KM_QL_STRING = 0, /* s: decoded text (escapes resolved), NUL-terminated */
    KM_QL_INT,        /* i: int64 */
    KM_QL_FLOAT,      /* f: finite double */
    KM_QL_DURATION,   /* i: microseconds, > 0 ("5m" = 300000000) */
    KM_QL_BOOL,       /* i: 0 or 1 */
    KM_QL_REGEX,      /* s: regex source between the slashes, as written
                         (escapes such as \/ kept); flags: KM_QRX_* */
};

/* Regex flags, from the letters after the closing slash. */
#define KM_QRX_I 1u /* i: caseless       (PCRE2_CASELESS) */
#define KM_QRX_M 2u /* m: multiline      (PCRE2_MULTILINE) */
#define KM_QRX_S 4u /* s: dot matches \n (PCRE2_DOTALL) */
#define KM_QRX_X 8u /* x: extended       (PCRE2_EXTENDED) */

struct km_query_lit {
    enum km_query_lit_kind kind;
    struct km_str s;  /* STRING, REGEX; s.p is NUL-terminated, never contains NUL */
    int64_t i;        /* INT, DURATION (µs), BOOL */
    double f;         /* FLOAT */
    unsigned flags;   /* REGEX: KM_QRX_* */
    uint32_t off;     /* byte offset of the literal in the query text (for a
                         regex: of the opening '/'; the source starts at off+1) */
};

/* ---- field paths --------------------------------------------------------- */

/*
 * A field reference: segments as written, with `[N]` turned into a segment
 * "N" (so resources[0].ARN and resources.0.ARN are the same path) and
 * backticks removed (`detail-type` is one segment "detail-type"). A digit
 * segment is an array index on an array and a key on an object; deciding is
 * the executor's job. `text` is the segments joined with '.', handy for
 * looking up normalized names ("actor.email", "@timestamp") — note that
 * `a.b` (two segments) and `a.b` in backticks (one) have the same text.
 */
struct km_query_path {
    uint32_t nseg;
    struct km_str *seg;  /* nseg >= 1 segments, each NUL-terminated, non-empty */
    struct km_str text;  /* joined with '.', NUL-terminated */
    int quoted;          /* a segment was written in backticks: the executor
                            takes the name as written (no "did you mean") */
};

/* ---- functions ----------------------------------------------------------- */

enum km_query_fn {
    /* aggregates: only at the top of a `stats` item */
    KM_QF_COUNT = 0,       /* count() / count(*): rows; count(x): rows where x is present */
    KM_QF_COUNT_DISTINCT,  /* count_distinct(x) */
    KM_QF_MIN,             /* min(x) */
    KM_QF_MAX,             /* max(x) */
    KM_QF_SUM,             /* sum(x) */
    KM_QF_AVG,             /* avg(x) */
    KM_QF_EARLIEST,        /* earliest(x): x of the row with the smallest time */
    KM_QF_LATEST,          /* latest(x): x of the row with the largest time */
    KM_QF_PCT,             /* pct(x, P): args[1] is a number literal 0..100 */
    /* scalar */
    KM_QF_BIN,             /* bin(D): args[0] is a DURATION literal; time bucket */
    KM_QF_ISPRESENT,       /* ispresent(f): args[0] is a FIELD */
    KM_QF_ISIPINSUBNET,    /* isIpInSubnet(x, "cidr"): args[1] is a STRING literal
                              holding a valid CIDR (checked by the parser) */
    KM_QF_COALESCE,        /* coalesce(a, b, ...): first present value, 1+ args */
    KM_QF_TOLOWER,         /* tolower(s) */
    KM_QF_STRLEN,          /* strlen(s): length in bytes */
    KM_QF_NOW,             /* now(): the time the query started (one value per query) */
    KM_QF_AGO,             /* ago(D): now() minus D; args[0] is a DURATION literal */
    KM_QF__COUNT
};

/* One row per function: the parser's lookup table and the docs' checklist. */
struct km_query_func {
    const char *name;       /* canonical spelling (matched case-insensitively) */
    enum km_query_fn id;
    int aggregate;          /* 1: only at the top of a stats item */
    uint8_t min_args, max_args;
    const char *usage;      /* "pct(field, percentile)" */
    const char *example;    /* a complete query using it */
};
extern const struct km_query_func km_query_funcs[KM_QF__COUNT]; /* indexed by id */

/* ---- expressions ---------------------------------------------------------- */

enum km_query_expr_kind {
    KM_QE_LITERAL = 0, /* lit */
    KM_QE_FIELD,       /* path */
    KM_QE_CALL,        /* fn, args[0..nargs) */
    KM_QE_NOT,         /* args[0] */
    KM_QE_AND,         /* args[0..nargs), nargs >= 2, no child is an AND */
    KM_QE_OR,          /* args[0..nargs), nargs >= 2, no child is an OR */
    KM_QE_CMP,         /* op; args[0] op args[1] */
    KM_QE_IN,          /* args[0] in list[0..nlist): nlist >= 1 literals
                          (STRING, INT, FLOAT, BOOL, DURATION) */
    KM_QE_LIKE,        /* args[0] like lit; like: how lit matches (below) */
    KM_QE_MATCH,       /* args[0] =~ lit (a REGEX literal) */
};

enum km_query_cmp {
    KM_QC_EQ = 0, /* =  (also ==) */
    KM_QC_NE,     /* != */
    KM_QC_LT,     /* <  */
    KM_QC_LE,     /* <= */
    KM_QC_GT,     /* >  */
    KM_QC_GE,     /* >= */
};

enum km_query_like {
    KM_QLIKE_SUBSTRING = 0, /* lit is a STRING without '%': value contains it
                               (case-sensitive), as in Logs Insights */
    KM_QLIKE_WILDCARD,      /* lit is a STRING with '%': the whole value matches,
                               '%' = any run of bytes, '_' = exactly one character */
    KM_QLIKE_REGEX,         /* lit is a REGEX: unanchored search */
};

struct km_query_expr {
    enum km_query_expr_kind kind;
    uint32_t off;                 /* byte offset of the node's first token */
    enum km_query_cmp op;         /* CMP */
    enum km_query_fn fn;          /* CALL */
    enum km_query_like like;      /* LIKE */
    uint32_t nargs;               /* CALL, NOT, AND, OR, CMP, IN, LIKE, MATCH */
    struct km_query_expr **args;
    struct km_query_lit lit;      /* LITERAL; LIKE pattern; MATCH regex */
    uint32_t nlist;               /* IN */
    struct km_query_lit *list;
    struct km_query_path path;    /* FIELD */
};

/* ---- commands ------------------------------------------------------------- */

enum km_query_cmd_kind {
    KM_QCMD_FIELDS = 0, /* items: expressions with optional alias (projection) */
    KM_QCMD_FILTER,     /* cond */
    KM_QCMD_STATS,      /* items: aggregate calls with optional alias; by: groups */
    KM_QCMD_SORT,       /* items: expressions with desc flag */
    KM_QCMD_LIMIT,      /* limit */
    KM_QCMD_DEDUP,      /* items: FIELD expressions */
    KM_QCMD_DISPLAY,    /* items: FIELD expressions (the final columns) */
    KM_QCMD_PARSE,      /* src, pattern, names */
    KM_QCMD__COUNT
};

/*
 * An item of fields / stats / by / sort / dedup / display. `name` is the
 * output column name: the alias when given, else the path text for a field
 * ("actor.email"), else the canonical text of the expression ("count()",
 * "tolower(c)", "bin(5m)").
 */
struct km_query_item {
    struct km_query_expr *expr;
    struct km_str alias;  /* KM_STR_NONE when absent */
    struct km_str name;   /* never absent, NUL-terminated */
    int desc;             /* sort: 1 = descending, 0 = ascending (the default) */
    uint32_t off;         /* offset of the item's first token */
};

struct km_query_cmd {
    enum km_query_cmd_kind kind;
    uint32_t off;                  /* offset of the command word */
    uint32_t nitems;               /* FIELDS, STATS, SORT, DEDUP, DISPLAY: >= 1 */
    struct km_query_item *items;
    uint32_t nby;                  /* STATS: group keys, 0 when no `by` */
    struct km_query_item *by;
    struct km_query_expr *cond;    /* FILTER */
    int64_t limit;                 /* LIMIT: 1..KM_QUERY_MAX_LIMIT */
    struct km_query_expr *src;     /* PARSE: the FIELD parsed */
    struct km_query_lit pattern;   /* PARSE: STRING glob with '*' or REGEX */
    uint32_t nnames;               /* PARSE: fields created: one per '*' of the
                                      glob, in order, or the regex's named
                                      groups in order of appearance */
    struct km_str *names;
};

struct km_query {
    uint32_t ncmds;                /* >= 1 */
    struct km_query_cmd *cmds;
};

/* ---- errors ----------------------------------------------------------------- */

/*
 * Where and why a query was refused. code is KM_EUSAGE for a syntax error,
 * KM_ELIMIT when a limit was passed, KM_ENOMEM when the arena ran out.
 * offset is the 0-based byte offset of the offending token (== the text
 * length for "unexpected end"), line is 1-based, col the 1-based column on
 * that line counted in characters (UTF-8 code points; = bytes for ASCII).
 * hint is a suggestion ("" when none). The first error wins: a record whose
 * code is already set is left alone, so clear it with km_query_err_clear().
 */
struct km_query_err {
    int code;
    uint32_t offset;
    uint32_t line;
    uint32_t col;
    char msg[256];
    char hint[256];
};

void km_query_err_clear(struct km_query_err *e);

/* Records an error at byte offset off of text[0..n) (line and column are
 * computed; off past n counts as n) unless one is recorded; hint may be NULL.
 * Returns code. For the executor's errors too (a regex PCRE2 rejects: pass
 * lit.off + 1 + the PCRE2 error offset). e may be NULL. */
int km_query_err_set(struct km_query_err *e, const char *text, size_t n, size_t off, int code,
                     const char *hint, const char *fmt, ...) __attribute__((format(printf, 7, 8)));

/*
 * Renders an error for a terminal:
 *
 *     error: expected an expression after 'filter'
 *       filter | stats count()
 *              ^
 *     hint: filter takes a condition, e.g. filter action = "ConsoleLogin"
 *
 * Only the offending line is shown (with " (line L, column C)" after the
 * message when the query has several lines); a long line is cut to a window
 * around the caret with "..."; tabs become spaces and control bytes '?'.
 * Writes into buf[0..cap) (always NUL-terminated when cap > 0) and stores the
 * full length in *len (may be NULL). Returns KM_OK, or KM_ELIMIT when the
 * text was truncated.
 */
int km_query_err_render(const struct km_query_err *e, const char *text, size_t n, char *buf,
                        size_t cap, size_t *len);

/* ---- parsing and printing --------------------------------------------------- */

/*
 * Parses text[0..n) (need not be NUL-terminated; any bytes are safe).
 * On success returns KM_OK and *out points to arena memory. On failure
 * returns KM_EUSAGE, KM_ELIMIT or KM_ENOMEM, fills err (may be NULL) and sets
 * *out = NULL; memory taken from the arena stays there until it is reset.
 *
 *     struct km_arena a; km_arena_init(&a, 0, 0);
 *     struct km_query *q; struct km_query_err e; km_query_err_clear(&e);
 *     if (km_query_parse(s, strlen(s), &a, &q, &e) != KM_OK) {
 *         char msg[1024]; km_query_err_render(&e, s, strlen(s), msg, sizeof msg, NULL);
 *         fputs(msg, stderr);
 *     }
 *     km_arena_free(&a);
 */
int km_query_parse(const char *text, size_t n, struct km_arena *a, struct km_query **out,
                   struct km_query_err *err);

/*
 * Canonical text. With flags 0 the query is printed in one normalized form:
 * commands joined by " | ", lower-case keywords, canonical function names,
 * strings in double quotes, durations in their largest exact unit, sort
 * directions explicit, and only the parentheses that precedence requires.
 * Parsing that text gives the same tree, so dump is a fixed point of
 * parse∘dump. With KM_QUERY_DUMP_PARENS every operator that is an operand of
 * another operator is parenthesized, which shows the tree's shape
 * ("a or (b and c)") — still valid query text, though it may nest deeper
 * than KM_QUERY_MAX_DEPTH for a query near the limit.
 * Writes into buf[0..cap) (NUL-terminated when cap > 0), stores the full
 * length in *len (may be NULL); returns KM_OK, or KM_ELIMIT if truncated.
 */
#define KM_QUERY_DUMP_PARENS 1u
int km_query_dump(const struct km_query *q, unsigned flags, char *buf, size_t cap, size_t *len);
/* The same for one expression. */
int km_query_expr_dump(const struct km_query_expr *x, unsigned flags, char *buf, size_t cap,
                       size_t *len);

/* Names for messages and docs: "filter", "count_distinct", "<=". */
const char *km_query_cmd_name(enum km_query_cmd_kind k);
const char *km_query_fn_name(enum km_query_fn f);
const char *km_query_cmp_name(enum km_query_cmp op);

#endif
