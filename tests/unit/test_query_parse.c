/*
 * test_query_parse.c — the query language front end (src/query/query.h):
 * every command and function, precedence, literals, field paths, error
 * positions, messages and hints, the rendered caret, nesting and size
 * limits, memory bounds, and the parse → dump → parse fixed point.
 */
#include "query/query.h"
#include "t.h"

#include <stdint.h>
#include <time.h>

static struct km_arena A;
static struct km_query_err E;
static char D[1 << 16];

/* Parses s; returns the query or NULL (then E holds the error). */
static struct km_query *P(const char *s)
{
    struct km_query *q = NULL;
    km_arena_reset(&A);
    km_query_err_clear(&E);
    int rc = km_query_parse(s, strlen(s), &A, &q, &E);
    if (rc != KM_OK) {
        T_CHECK(q == NULL);
        T_CHECK(E.code == rc);
        return NULL;
    }
    T_EQ_INT(E.code, 0);
    return q;
}

/* Canonical dump of s ("ERR: msg" when it does not parse). */
static const char *C(const char *s, unsigned flags)
{
    struct km_query *q = P(s);
    if (!q) {
        snprintf(D, sizeof D, "ERR: %s", E.msg);
        return D;
    }
    size_t len = 0;
    T_EQ_INT(km_query_dump(q, flags, D, sizeof D, &len), KM_OK);
    T_EQ_INT(len, strlen(D));
    return D;
}
#define N(s) C((s), 0)
#define PAR(s) C((s), KM_QUERY_DUMP_PARENS)

/* The error of s: checks the code and the offset, returns the message. */
static const char *ERR(const char *s, int code, long off)
{
    struct km_query *q = P(s);
    T_CHECK(q == NULL);
    if (q)
        return "(parsed)";
    T_EQ_INT(E.code, code);
    if (off >= 0 && (long)E.offset != off) {
        fprintf(stderr, "  query [%s]: error at %u, expected %ld (%s)\n", s, E.offset, off, E.msg);
        T_CHECK(0);
    }
    return E.msg;
}

static int has(const char *hay, const char *needle)
{
    if (!strstr(hay, needle)) {
        fprintf(stderr, "  [%s] lacks [%s]\n", hay, needle);
        return 0;
    }
    return 1;
}

/* ---- commands ------------------------------------------------------------ */

static void test_filter(void)
{
    struct km_query *q = P("filter action = \"ConsoleLogin\"");
    T_CHECK(q != NULL);
    if (!q)
        return;
    T_EQ_INT(q->ncmds, 1);
    T_EQ_INT(q->cmds[0].kind, KM_QCMD_FILTER);
    T_EQ_INT(q->cmds[0].off, 0);
    const struct km_query_expr *x = q->cmds[0].cond;
    T_EQ_INT(x->kind, KM_QE_CMP);
    T_EQ_INT(x->op, KM_QC_EQ);
    T_EQ_INT(x->nargs, 2);
    T_EQ_INT(x->off, 7);
    T_EQ_INT(x->args[0]->kind, KM_QE_FIELD);
    T_EQ_STR(x->args[0]->path.text.p, "action");
    T_EQ_INT(x->args[1]->kind, KM_QE_LITERAL);
    T_EQ_INT(x->args[1]->lit.kind, KM_QL_STRING);
    T_EQ_STR(x->args[1]->lit.s.p, "ConsoleLogin");
    T_EQ_INT(x->args[1]->off, 16);
    T_EQ_STR(N("FILTER  action==\"x\""), "filter action = \"x\"");
    T_EQ_STR(N("filter ispresent(error.code)"), "filter ispresent(error.code)");
    T_EQ_STR(N("filter actor.mfa"), "filter actor.mfa");
}

static void test_fields_and_display(void)
{
    struct km_query *q = P("fields time, actor.name, tolower(actor.email) as email | display time, email");
    T_CHECK(q != NULL);
    if (!q)
        return;
    T_EQ_INT(q->ncmds, 2);
    const struct km_query_cmd *c = &q->cmds[0];
    T_EQ_INT(c->kind, KM_QCMD_FIELDS);
    T_EQ_INT(c->nitems, 3);
    T_EQ_STR(c->items[0].name.p, "time");
    T_CHECK(c->items[0].alias.p == NULL);
    T_EQ_STR(c->items[1].name.p, "actor.name");
    T_EQ_INT(c->items[2].expr->kind, KM_QE_CALL);
    T_EQ_INT(c->items[2].expr->fn, KM_QF_TOLOWER);
    T_EQ_STR(c->items[2].alias.p, "email");
    T_EQ_STR(c->items[2].name.p, "email");
    T_EQ_INT(c->items[2].off, 25);
    T_EQ_INT(q->cmds[1].kind, KM_QCMD_DISPLAY);
    T_EQ_INT(q->cmds[1].off, 57);
    T_EQ_INT(q->cmds[1].nitems, 2);
    T_EQ_STR(q->cmds[1].items[1].name.p, "email");
    /* an item without alias is named by its canonical text */
    q = P("fields strlen( user_agent ), coalesce(a,'b')");
    T_CHECK(q != NULL);
    if (q) {
        T_EQ_STR(q->cmds[0].items[0].name.p, "strlen(user_agent)");
        T_EQ_STR(q->cmds[0].items[1].name.p, "coalesce(a, \"b\")");
    }
    T_CHECK(has(ERR("display tolower(x)", KM_EUSAGE, 8), "field names"));
    T_CHECK(has(ERR("display", KM_EUSAGE, 7), "expected a field name after 'display'"));
}

static void test_stats(void)
{
    struct km_query *q =
        P("stats count() as n, count_distinct(src.ip), avg(x) by action, bin(5m) as t");
    T_CHECK(q != NULL);
    if (!q)
        return;
    const struct km_query_cmd *c = &q->cmds[0];
    T_EQ_INT(c->kind, KM_QCMD_STATS);
    T_EQ_INT(c->nitems, 3);
    T_EQ_INT(c->items[0].expr->fn, KM_QF_COUNT);
    T_EQ_INT(c->items[0].expr->nargs, 0);
    T_EQ_STR(c->items[0].name.p, "n");
    T_EQ_INT(c->items[1].expr->fn, KM_QF_COUNT_DISTINCT);
    T_EQ_STR(c->items[1].name.p, "count_distinct(src.ip)");
    T_EQ_STR(c->items[2].name.p, "avg(x)");
    T_EQ_INT(c->nby, 2);
    T_EQ_STR(c->by[0].name.p, "action");
    T_EQ_INT(c->by[1].expr->fn, KM_QF_BIN);
    T_EQ_INT(c->by[1].expr->args[0]->lit.i, 300000000LL);
    T_EQ_STR(c->by[1].name.p, "t");
    /* count(*) is count() */
    q = P("stats count(*)");
    T_CHECK(q && q->cmds[0].items[0].expr->nargs == 0);
    T_EQ_STR(N("stats count( * ) as n"), "stats count() as n");
    T_EQ_STR(N("stats count(error.code)"), "stats count(error.code)");
    q = P("stats count()");
    T_CHECK(q && q->cmds[0].nby == 0 && q->cmds[0].by == NULL);
    /* aggregates only at the top of a stats item */
    T_CHECK(has(ERR("stats action", KM_EUSAGE, 6), "aggregates"));
    T_CHECK(has(ERR("stats count() by count()", KM_EUSAGE, 17), "only allowed in stats"));
    T_CHECK(has(ERR("stats avg(count())", KM_EUSAGE, 10), "inside another aggregate"));
    T_CHECK(has(ERR("filter count() > 5", KM_EUSAGE, 7), "only allowed in stats"));
    T_CHECK(has(ERR("fields max(x)", KM_EUSAGE, 7), "only allowed in stats"));
    T_CHECK(has(ERR("sort tolower(min(x))", KM_EUSAGE, 13), "only allowed in stats"));
    T_CHECK(has(ERR("stats count() by", KM_EUSAGE, 16), "expected an expression after 'by'"));
    T_CHECK(has(ERR("stats", KM_EUSAGE, 5), "expected an aggregate such as count()"));
    T_CHECK(has(ERR("stats count(*, x)", KM_EUSAGE, 15), "count(*) takes nothing else"));
    T_CHECK(has(ERR("stats sum(*)", KM_EUSAGE, 10), "only allowed in count(*)"));
}

static void test_sort_limit_dedup(void)
{
    struct km_query *q = P("sort n desc, b ASC, c | limit 20 | dedup actor.name, src.ip");
    T_CHECK(q != NULL);
    if (!q)
        return;
    T_EQ_INT(q->ncmds, 3);
    T_EQ_INT(q->cmds[0].kind, KM_QCMD_SORT);
    T_EQ_INT(q->cmds[0].nitems, 3);
    T_EQ_INT(q->cmds[0].items[0].desc, 1);
    T_EQ_INT(q->cmds[0].items[1].desc, 0);
    T_EQ_INT(q->cmds[0].items[2].desc, 0);
    T_EQ_INT(q->cmds[1].kind, KM_QCMD_LIMIT);
    T_EQ_INT(q->cmds[1].limit, 20);
    T_EQ_INT(q->cmds[2].kind, KM_QCMD_DEDUP);
    T_EQ_STR(q->cmds[2].items[1].expr->path.text.p, "src.ip");
    T_EQ_STR(N("sort n desc, b ASC, c|limit 20|dedup actor.name, src.ip"),
             "sort n desc, b asc, c asc | limit 20 | dedup actor.name, src.ip");
    T_CHECK(has(ERR("limit 0", KM_EUSAGE, 6), "between 1 and"));
    T_CHECK(has(ERR("limit -3", KM_EUSAGE, 6), "between 1 and"));
    T_CHECK(has(ERR("limit 1000000001", KM_EUSAGE, 6), "between 1 and"));
    T_CHECK(has(ERR("limit 5m", KM_EUSAGE, 6), "whole number"));
    T_CHECK(has(ERR("limit x", KM_EUSAGE, 6), "whole number"));
    T_CHECK(has(ERR("limit 10 20", KM_EUSAGE, 9), "after the limit"));
    T_CHECK(has(ERR("sort a descending", KM_EUSAGE, 7), "after the sort list"));
    T_CHECK(has(E.hint, "separate items with ','"));
    T_CHECK(has(ERR("dedup a.b, bin(1h)", KM_EUSAGE, 11), "field names"));
    T_EQ_INT(P("limit 1000000000")->cmds[0].limit, 1000000000);
}

static void test_parse_command(void)
{
    struct km_query *q = P("parse user_agent \"aws-cli/* *\" as cli_version, rest");
    T_CHECK(q != NULL);
    if (!q)
        return;
    const struct km_query_cmd *c = &q->cmds[0];
    T_EQ_INT(c->kind, KM_QCMD_PARSE);
    T_EQ_STR(c->src->path.text.p, "user_agent");
    T_EQ_INT(c->pattern.kind, KM_QL_STRING);
    T_EQ_STR(c->pattern.s.p, "aws-cli/* *");
    T_EQ_INT(c->nnames, 2);
    T_EQ_STR(c->names[0].p, "cli_version");
    T_EQ_STR(c->names[1].p, "rest");

    q = P("parse @message /(?<user>\\w+)@(?P<domain>[a-z.]+)(?'tld'x)(?<=y)(?<!z)\\(?<no>)[(?<nor>)]/i");
    T_CHECK(q != NULL);
    if (!q)
        return;
    c = &q->cmds[0];
    T_EQ_INT(c->pattern.kind, KM_QL_REGEX);
    T_EQ_INT(c->pattern.flags, KM_QRX_I);
    T_EQ_INT(c->pattern.off, 15);
    T_EQ_INT(c->nnames, 3);
    T_EQ_STR(c->names[0].p, "user");
    T_EQ_STR(c->names[1].p, "domain");
    T_EQ_STR(c->names[2].p, "tld");
    T_EQ_STR(N("parse @message /(?<user>\\w+)@/"), "parse @message /(?<user>\\w+)@/");

    T_CHECK(has(ERR("parse x \"a*b*\" as one", KM_EUSAGE, 18), "2 '*' but 1 name"));
    T_CHECK(has(ERR("parse x \"ab\" as one", KM_EUSAGE, 8), "no '*'"));
    T_CHECK(has(ERR("parse x \"a*\"", KM_EUSAGE, 12), "expected 'as'"));
    T_CHECK(has(ERR("parse x \"a*b*\" as u, u", KM_EUSAGE, 21), "duplicate name"));
    T_CHECK(has(ERR("parse x /abc/", KM_EUSAGE, 8), "no named group"));
    T_CHECK(has(ERR("parse x /(?<a>.)(?<a>.)/", KM_EUSAGE, 19), "duplicate group name"));
    T_CHECK(has(ERR("parse x /(?<a>.)/ as a", KM_EUSAGE, 18), "remove 'as'"));
    T_CHECK(has(ERR("parse tolower(x) \"*\" as a", KM_EUSAGE, 6), "not a function call"));
    T_CHECK(has(ERR("parse \"*\" as a", KM_EUSAGE, 6), "expected a field after 'parse'"));
    T_CHECK(has(ERR("parse x 5", KM_EUSAGE, 8), "expected a glob"));
}

static void test_pipeline(void)
{
    const char *s = "filter outcome = \"failure\" and action like /^Console/\n"
                    "  | stats count() as n, count_distinct(src.ip) by actor.name, bin(1h)\n"
                    "  | sort n desc | limit 20";
    struct km_query *q = P(s);
    T_CHECK(q != NULL);
    if (!q)
        return;
    T_EQ_INT(q->ncmds, 4);
    T_EQ_INT(q->cmds[1].off, 58);
    T_EQ_STR(N(s), "filter outcome = \"failure\" and action like /^Console/ | stats count() as n, "
                   "count_distinct(src.ip) by actor.name, bin(1h) | sort n desc | limit 20");
    /* several stats are fine: the second one aggregates the first's rows */
    T_CHECK(P("stats count() as n by actor.name | stats avg(n) as mean") != NULL);
    T_CHECK(has(ERR("filter x |", KM_EUSAGE, 10), "expected a command after '|'"));
    T_CHECK(has(ERR("filter x | | limit 3", KM_EUSAGE, 11), "expected a command after '|'"));
    T_CHECK(has(ERR("| limit 3", KM_EUSAGE, 0), "expected a command"));
    T_CHECK(has(ERR("", KM_EUSAGE, 0), "empty query"));
    T_CHECK(has(ERR("   \n\t ", KM_EUSAGE, 0), "empty query"));
    T_CHECK(has(ERR("filter a = 1 b = 2", KM_EUSAGE, 13), "after the filter condition"));
    T_CHECK(has(E.hint, "and / or"));
    T_CHECK(has(ERR("fields a b", KM_EUSAGE, 9), "after the fields list"));
}

/* ---- functions ----------------------------------------------------------- */

static int uses_fn(const struct km_query_expr *x, enum km_query_fn fn)
{
    if (x->kind == KM_QE_CALL && x->fn == fn)
        return 1;
    for (uint32_t i = 0; i < x->nargs; i++)
        if (uses_fn(x->args[i], fn))
            return 1;
    return 0;
}

static void test_functions_table(void)
{
    for (int f = 0; f < KM_QF__COUNT; f++) {
        const struct km_query_func *d = &km_query_funcs[f];
        T_EQ_INT(d->id, f);
        T_EQ_STR(km_query_fn_name((enum km_query_fn)f), d->name);
        /* the example parses and uses the function */
        struct km_query *q = P(d->example);
        if (!q) {
            fprintf(stderr, "  example of %s: %s\n", d->name, E.msg);
            T_CHECK(0);
            continue;
        }
        int found = 0;
        for (uint32_t c = 0; c < q->ncmds; c++) {
            const struct km_query_cmd *k = &q->cmds[c];
            if (k->cond)
                found |= uses_fn(k->cond, (enum km_query_fn)f);
            for (uint32_t i = 0; i < k->nitems; i++)
                found |= uses_fn(k->items[i].expr, (enum km_query_fn)f);
            for (uint32_t i = 0; i < k->nby; i++)
                found |= uses_fn(k->by[i].expr, (enum km_query_fn)f);
        }
        T_CHECK(found);
        T_EQ_INT(d->aggregate, f <= KM_QF_PCT);
        /* too many arguments */
        if (d->max_args < 10) {
            char s[256];
            size_t o = (size_t)snprintf(s, sizeof s, "%s %s(", d->aggregate ? "stats" : "fields",
                                        d->name);
            for (int i = 0; i <= d->max_args; i++)
                o += (size_t)snprintf(s + o, sizeof s - o, "%sx", i ? ", " : "");
            snprintf(s + o, sizeof s - o, ")");
            T_CHECK(has(ERR(s, KM_EUSAGE, 6 + !d->aggregate), "takes"));
            T_CHECK(has(E.hint, d->usage));
        }
    }
    T_EQ_STR(km_query_cmd_name(KM_QCMD_PARSE), "parse");
    T_EQ_STR(km_query_cmp_name(KM_QC_LE), "<=");
}

static void test_functions(void)
{
    /* names are case-insensitive; the dump uses the canonical spelling */
    T_EQ_STR(N("filter ISIPINSUBNET(src.ip, \"10.0.0.0/8\") and IsPresent(x)"),
             "filter isIpInSubnet(src.ip, \"10.0.0.0/8\") and ispresent(x)");
    T_EQ_STR(N("stats COUNT_Distinct(a), Pct(x, 99.5), pct(x, 0), Earliest(a), LATEST(b), MIN(c), max(c), sum(d)"),
             "stats count_distinct(a), pct(x, 99.5), pct(x, 0), earliest(a), latest(b), min(c), max(c), sum(d)");
    T_EQ_STR(N("fields coalesce(a, b, c, \"-\") as who, strlen(x), TOLOWER(y), bin(30s)"),
             "fields coalesce(a, b, c, \"-\") as who, strlen(x), tolower(y), bin(30s)");
    T_CHECK(P("filter isIpInSubnet(src.ip, \"2001:db8::/32\")") != NULL);
    T_CHECK(P("filter isIpInSubnet(src.ip, \"1.2.3.4/32\")") != NULL);

    T_CHECK(has(ERR("filter isIpInSubnet(src.ip, \"10.0.0.0\")", KM_EUSAGE, 28), "CIDR"));
    T_CHECK(has(ERR("filter isIpInSubnet(src.ip, \"10.0.0.0/33\")", KM_EUSAGE, 28), "CIDR"));
    T_CHECK(has(ERR("filter isIpInSubnet(src.ip, \"10.0.0/8\")", KM_EUSAGE, 28), "CIDR"));
    T_CHECK(has(ERR("filter isIpInSubnet(src.ip, x)", KM_EUSAGE, 28), "CIDR"));
    T_CHECK(has(ERR("stats count() by bin(5)", KM_EUSAGE, 21), "duration"));
    T_CHECK(has(ERR("stats count() by bin(x)", KM_EUSAGE, 21), "duration"));
    T_CHECK(has(ERR("stats pct(x, 101)", KM_EUSAGE, 13), "0 to 100"));
    T_CHECK(has(ERR("stats pct(x, \"95\")", KM_EUSAGE, 13), "0 to 100"));
    T_CHECK(has(ERR("stats pct(x)", KM_EUSAGE, 6), "pct() takes 2 arguments, not 1"));
    T_CHECK(has(ERR("filter ispresent(\"x\")", KM_EUSAGE, 17), "field name"));
    T_CHECK(has(ERR("fields coalesce()", KM_EUSAGE, 7), "at least 1 argument"));
    T_CHECK(has(ERR("fields strlen(a,)", KM_EUSAGE, 16), "expected an argument after ','"));
    T_CHECK(has(ERR("fields strlen(a b)", KM_EUSAGE, 16), "expected ',' or ')'"));
    T_CHECK(has(ERR("fields a.b(x)", KM_EUSAGE, 7), "not a function name"));

    /* unknown functions: near names, aliases from other languages, else the list */
    T_CHECK(has(ERR("filter cout(x) > 1", KM_EUSAGE, 7), "unknown function 'cout'"));
    T_CHECK(has(E.hint, "did you mean count?"));
    T_CHECK(has(ERR("fields lower(x)", KM_EUSAGE, 7), "unknown function"));
    T_CHECK(has(E.hint, "did you mean tolower?"));
    T_CHECK(has(ERR("stats percentile(x, 9)", KM_EUSAGE, 6), "unknown function"));
    T_CHECK(has(E.hint, "did you mean pct?"));
    T_CHECK(has(ERR("stats count_dist(x)", KM_EUSAGE, 6), "unknown function"));
    T_CHECK(has(E.hint, "count_distinct"));
    T_CHECK(has(ERR("fields zzzzzz(x)", KM_EUSAGE, 7), "unknown function"));
    T_CHECK(!strstr(E.hint, "did you mean"));
    T_CHECK(has(E.hint, "functions: count, count_distinct"));
    T_CHECK(has(E.hint, "strlen"));
}

/* ---- expressions ---------------------------------------------------------- */

static void test_precedence(void)
{
    T_EQ_STR(PAR("filter a or b and c"), "filter a or (b and c)");
    T_EQ_STR(PAR("filter a and b or c"), "filter (a and b) or c");
    T_EQ_STR(PAR("filter (a or b) and c"), "filter (a or b) and c");
    T_EQ_STR(PAR("filter not a and b"), "filter (not a) and b");
    T_EQ_STR(PAR("filter not a = 1"), "filter not (a = 1)");
    T_EQ_STR(PAR("filter a = 1 or b != 2 and c < 3"), "filter (a = 1) or ((b != 2) and (c < 3))");
    T_EQ_STR(PAR("filter a <= 1 && b >= 2 || c > 3"), "filter ((a <= 1) and (b >= 2)) or (c > 3)");
    T_EQ_STR(PAR("filter not not a"), "filter not (not a)");
    T_EQ_STR(PAR("filter (not a) = false"), "filter (not a) = false");
    T_EQ_STR(N("filter (not a) = false"), "filter (not a) = false");
    /* and/or are n-ary and flattened, also across parentheses */
    T_EQ_STR(N("filter a and (b and c) and ((d))"), "filter a and b and c and d");
    T_EQ_STR(N("filter (a or b) or (c or d and e)"), "filter a or b or c or d and e");
    struct km_query *q = P("filter a and (b and c) or d");
    T_CHECK(q != NULL);
    if (q) {
        const struct km_query_expr *x = q->cmds[0].cond;
        T_EQ_INT(x->kind, KM_QE_OR);
        T_EQ_INT(x->nargs, 2);
        T_EQ_INT(x->args[0]->kind, KM_QE_AND);
        T_EQ_INT(x->args[0]->nargs, 3);
        T_EQ_INT(x->args[1]->kind, KM_QE_FIELD);
    }
    /* comparisons do not chain */
    T_CHECK(has(ERR("filter a < b < c", KM_EUSAGE, 13), "do not chain"));
    T_CHECK(has(ERR("filter a = 1 in [1]", KM_EUSAGE, 13), "do not chain"));
    /* minimal parentheses are kept where needed */
    T_EQ_STR(N("filter (a or b) and not (c and d)"), "filter (a or b) and not (c and d)");
}

static void test_in_like_match(void)
{
    struct km_query *q = P("filter action in [\"StopLogging\", 'DeleteTrail', 3, 2.5, true, 5m]");
    T_CHECK(q != NULL);
    if (q) {
        const struct km_query_expr *x = q->cmds[0].cond;
        T_EQ_INT(x->kind, KM_QE_IN);
        T_EQ_INT(x->nargs, 1);
        T_EQ_INT(x->nlist, 6);
        T_EQ_STR(x->list[1].s.p, "DeleteTrail");
        T_EQ_INT(x->list[2].kind, KM_QL_INT);
        T_EQ_INT(x->list[3].kind, KM_QL_FLOAT);
        T_EQ_INT(x->list[4].kind, KM_QL_BOOL);
        T_EQ_INT(x->list[5].kind, KM_QL_DURATION);
    }
    T_EQ_STR(N("filter a in (\"x\",\"y\")"), "filter a in [\"x\", \"y\"]");
    T_EQ_STR(PAR("filter a not in [1] and b not like \"x\""),
             "filter (not (a in [1])) and (not (b like \"x\"))");
    T_EQ_STR(N("filter a not in [1]"), "filter not a in [1]");
    q = P("filter a not like 'x' ");
    T_CHECK(q && q->cmds[0].cond->kind == KM_QE_NOT && q->cmds[0].cond->args[0]->kind == KM_QE_LIKE);

    /* like: substring without %, anchored wildcards with %, or a regex */
    q = P("filter a like \"adm_in\" or b like \"arn:aws:iam::%:root\" or c like /^Del/i or d =~ /x/ms");
    T_CHECK(q != NULL);
    if (q) {
        const struct km_query_expr *x = q->cmds[0].cond;
        T_EQ_INT(x->nargs, 4);
        T_EQ_INT(x->args[0]->kind, KM_QE_LIKE);
        T_EQ_INT(x->args[0]->like, KM_QLIKE_SUBSTRING);
        T_EQ_STR(x->args[0]->lit.s.p, "adm_in");
        T_EQ_INT(x->args[1]->like, KM_QLIKE_WILDCARD);
        T_EQ_INT(x->args[2]->like, KM_QLIKE_REGEX);
        T_EQ_INT(x->args[2]->lit.kind, KM_QL_REGEX);
        T_EQ_STR(x->args[2]->lit.s.p, "^Del");
        T_EQ_INT(x->args[2]->lit.flags, KM_QRX_I);
        T_EQ_INT(x->args[3]->kind, KM_QE_MATCH);
        T_EQ_INT(x->args[3]->lit.flags, KM_QRX_M | KM_QRX_S);
    }
    T_EQ_STR(N("filter d =~ /x/smix"), "filter d =~ /x/imsx");

    T_CHECK(has(ERR("filter a in []", KM_EUSAGE, 13), "empty list"));
    T_CHECK(has(ERR("filter a in [b]", KM_EUSAGE, 13), "a list holds"));
    T_CHECK(has(ERR("filter a in [1 2]", KM_EUSAGE, 15), "expected ',' or ']'"));
    T_CHECK(has(ERR("filter a in (1]", KM_EUSAGE, 14), "expected ',' or ')'"));
    T_CHECK(has(ERR("filter a in \"x\"", KM_EUSAGE, 12), "expected a list"));
    T_CHECK(has(ERR("filter a like 5", KM_EUSAGE, 14), "expected a string or /regex/"));
    T_CHECK(has(ERR("filter a =~ \"x\"", KM_EUSAGE, 12), "expected a /regex/ after '=~'"));
    T_CHECK(has(ERR("filter a not = 1", KM_EUSAGE, 13), "expected in or like after 'not'"));
    T_CHECK(has(ERR("filter /x/", KM_EUSAGE, 7), "can only follow like or =~"));
    T_CHECK(has(ERR("filter a = [1]", KM_EUSAGE, 11), "can only follow in"));
}

/* ---- literals ---------------------------------------------------------------- */

static const struct km_query_lit *lit_of(const char *s)
{
    struct km_query *q = P(s);
    if (!q || q->cmds[0].kind != KM_QCMD_FILTER || q->cmds[0].cond->kind != KM_QE_CMP)
        return NULL;
    return &q->cmds[0].cond->args[1]->lit;
}

static void test_literals(void)
{
    const struct km_query_lit *l;
    l = lit_of("filter a = \"q\\\"b\\\\s\\n\\t\\r\\/\\u00e9\\u20AC\\uD83D\\uDE00'\"");
    T_CHECK(l && l->kind == KM_QL_STRING);
    if (l) {
        T_EQ_STR(l->s.p, "q\"b\\s\n\t\r/\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80'");
        T_EQ_INT(l->s.n, strlen(l->s.p));
    }
    l = lit_of("filter a = 'it\\'s \"x\"'");
    T_CHECK(l && strcmp(l->s.p, "it's \"x\"") == 0);
    T_EQ_STR(N("filter a = 'it\\'s \"x\"\x01'"), "filter a = \"it's \\\"x\\\"\\u0001\"");
    l = lit_of("filter a = \"\"");
    T_CHECK(l && l->s.n == 0 && l->s.p && l->s.p[0] == 0);

    l = lit_of("filter a = 42");
    T_CHECK(l && l->kind == KM_QL_INT && l->i == 42);
    l = lit_of("filter a = -42");
    T_CHECK(l && l->kind == KM_QL_INT && l->i == -42);
    l = lit_of("filter a = 9223372036854775807");
    T_CHECK(l && l->i == INT64_MAX);
    l = lit_of("filter a = -9223372036854775808");
    T_CHECK(l && l->i == INT64_MIN);
    l = lit_of("filter a = 2.5");
    T_CHECK(l && l->kind == KM_QL_FLOAT && l->f == 2.5);
    l = lit_of("filter a = -1.5e-3");
    T_CHECK(l && l->kind == KM_QL_FLOAT && l->f == -1.5e-3);
    l = lit_of("filter a = 1E3");
    T_CHECK(l && l->kind == KM_QL_FLOAT && l->f == 1000.0);
    l = lit_of("filter a = true");
    T_CHECK(l && l->kind == KM_QL_BOOL && l->i == 1);
    l = lit_of("filter a = FALSE");
    T_CHECK(l && l->kind == KM_QL_BOOL && l->i == 0);

    static const struct {
        const char *s;
        int64_t us;
        const char *canon;
    } durs[] = {
        {"100ms", 100000, "100ms"},       {"30s", 30000000, "30s"},
        {"5m", 300000000, "5m"},          {"1h", 3600000000LL, "1h"},
        {"1d", 86400000000LL, "1d"},      {"2w", 1209600000000LL, "2w"},
        {"60m", 3600000000LL, "1h"},      {"90min", 5400000000LL, "90m"},
        {"1000ms", 1000000, "1s"},        {"7day", 604800000000LL, "1w"},
        {"1500us", 1500, "1500us"},       {"24hr", 86400000000LL, "1d"},
    };
    for (size_t i = 0; i < KM_ARRAY_LEN(durs); i++) {
        char s[64], want[64];
        snprintf(s, sizeof s, "filter a = %s", durs[i].s);
        l = lit_of(s);
        T_CHECK(l && l->kind == KM_QL_DURATION && l->i == durs[i].us);
        snprintf(want, sizeof want, "filter a = %s", durs[i].canon);
        T_EQ_STR(N(s), want);
    }
    /* floats print in the shortest form that reads back, always as floats */
    T_EQ_STR(N("filter a = 1.0"), "filter a = 1.0");
    T_EQ_STR(N("filter a = 0.1"), "filter a = 0.1");
    T_EQ_STR(N("filter a = -0.0"), "filter a = -0.0");
    T_EQ_STR(N("filter a = 1e300"), "filter a = 1e+300");
    T_EQ_STR(N("filter a = 007"), "filter a = 7");

    T_CHECK(has(ERR("filter a = 9223372036854775808", KM_EUSAGE, 11), "out of range"));
    T_CHECK(has(ERR("filter a = -9223372036854775809", KM_EUSAGE, 11), "out of range"));
    T_CHECK(has(ERR("filter a = 1e999", KM_EUSAGE, 11), "out of range"));
    T_CHECK(has(ERR("filter a = 5x", KM_EUSAGE, 12), "unknown duration unit 'x'"));
    T_CHECK(has(ERR("filter a = 1.5h", KM_EUSAGE, 11), "whole number"));
    T_CHECK(has(ERR("filter a = 0m", KM_EUSAGE, 11), "positive"));
    T_CHECK(has(ERR("filter a = -5m", KM_EUSAGE, 11), "positive"));
    T_CHECK(has(ERR("filter a = 99999999999999999w", KM_EUSAGE, 11), "out of range"));
    T_CHECK(has(ERR("filter a = 5_", KM_EUSAGE, 12), "invalid number"));
    T_CHECK(has(ERR("filter a = \"abc", KM_EUSAGE, 11), "unterminated string"));
    T_CHECK(has(ERR("filter a = 'abc\"", KM_EUSAGE, 11), "unterminated string"));
    T_CHECK(has(ERR("filter a = \"a\\qb\"", KM_EUSAGE, 13), "unknown escape '\\q'"));
    T_CHECK(has(E.hint, "\\uXXXX"));
    T_CHECK(has(ERR("filter a = \"\\u12\"", KM_EUSAGE, 12), "four hex digits"));
    T_CHECK(has(ERR("filter a = \"\\uDE00\"", KM_EUSAGE, 12), "surrogate"));
    T_CHECK(has(ERR("filter a = \"\\uD83Dx\"", KM_EUSAGE, 12), "surrogate"));
    T_CHECK(has(ERR("filter a = \"\\u0000\"", KM_EUSAGE, 12), "not allowed"));
    {
        char s[] = "filter a = \"x\0y\"";
        struct km_query *q = NULL;
        km_query_err_clear(&E);
        T_EQ_INT(km_query_parse(s, sizeof s - 1, &A, &q, &E), KM_EUSAGE);
        T_EQ_INT(E.offset, 13);
    }
    T_CHECK(has(ERR("filter a =~ /abc", KM_EUSAGE, 12), "unterminated /regex/"));
    T_CHECK(has(ERR("filter a =~ /abc\\", KM_EUSAGE, 12), "unterminated /regex/"));
    T_CHECK(has(ERR("filter a =~ /ab\nc/", KM_EUSAGE, 12), "unterminated /regex/"));
    T_CHECK(has(ERR("filter a =~ //", KM_EUSAGE, 12), "empty /regex/"));
    T_CHECK(has(ERR("filter a =~ /x/g", KM_EUSAGE, 15), "unknown regex flag 'g'"));
    /* a slash inside a character class or escaped does not end the regex */
    struct km_query *q = P("filter a =~ /[/]x\\/y/");
    T_CHECK(q && strcmp(q->cmds[0].cond->lit.s.p, "[/]x\\/y") == 0);
    T_EQ_INT(q ? q->cmds[0].cond->lit.off : 0, 12);
}

static void test_paths(void)
{
    struct km_query *q = P("fields resources[0].ARN, resources.0.ARN, `detail-type`, @timestamp, "
                           "requestParameters.bucketName, a.`b.c`[12].d, properties.status.errorCode");
    T_CHECK(q != NULL);
    if (!q)
        return;
    const struct km_query_item *it = q->cmds[0].items;
    const struct km_query_path *p0 = &it[0].expr->path;
    T_EQ_INT(p0->nseg, 3);
    T_EQ_STR(p0->seg[0].p, "resources");
    T_EQ_STR(p0->seg[1].p, "0");
    T_EQ_STR(p0->seg[2].p, "ARN");
    T_EQ_STR(p0->text.p, "resources.0.ARN");
    T_EQ_INT(it[1].expr->path.nseg, 3);
    T_EQ_STR(it[1].expr->path.text.p, "resources.0.ARN");
    T_EQ_INT(it[2].expr->path.nseg, 1);
    T_EQ_STR(it[2].expr->path.seg[0].p, "detail-type");
    T_EQ_STR(it[3].expr->path.text.p, "@timestamp");
    T_EQ_INT(it[4].expr->path.nseg, 2);
    const struct km_query_path *p5 = &it[5].expr->path;
    T_EQ_INT(p5->nseg, 4);
    T_EQ_STR(p5->seg[1].p, "b.c");
    T_EQ_STR(p5->seg[2].p, "12");
    T_EQ_STR(p5->text.p, "a.b.c.12.d");
    T_EQ_INT(it[6].expr->path.nseg, 3);
    T_EQ_STR(N("fields resources[0].ARN, `detail-type`, a.`b.c`[12].d, `x``y`, `and`, `1a`, `not`.x, x.`1a`"),
             "fields resources.0.ARN, `detail-type`, a.`b.c`.12.d, `x``y`, `and`, `1a`, `not`.x, `x`.1a");
    /* a command name is an ordinary field name elsewhere */
    T_EQ_STR(N("fields filter, stats, count | sort count desc"),
             "fields filter, stats, count | sort count desc");
    T_CHECK(has(ERR("fields detail-type", KM_EUSAGE, 13), "unexpected '-'"));
    T_CHECK(has(E.hint, "backticks"));
    T_CHECK(has(ERR("fields `abc", KM_EUSAGE, 7), "unterminated `name`"));
    T_CHECK(has(ERR("fields ``", KM_EUSAGE, 7), "empty `name`"));
    T_CHECK(has(ERR("fields a[1x]", KM_EUSAGE, 10), "expected ']'"));
    T_CHECK(has(ERR("fields a.", KM_EUSAGE, 8), "unexpected '.'"));
    T_CHECK(has(ERR("fields caf\xc3\xa9", KM_EUSAGE, 10), "unexpected character"));
    T_CHECK(has(ERR("fields and", KM_EUSAGE, 7), "expected an expression after 'fields'"));
    T_CHECK(has(E.hint, "keyword"));
    T_CHECK(has(ERR("fields x as by", KM_EUSAGE, 12), "expected a name after 'as'"));
    T_CHECK(has(ERR("fields x as a.b", KM_EUSAGE, 12), "expected a name after 'as'"));
    T_EQ_STR(N("fields x as `by`, y as `a b`"), "fields x as `by`, y as `a b`");
    /* segments are bounded */
    char s[1200] = "fields a";
    for (int i = 0; i < 130; i++)
        strcat(s, ".b");
    T_EQ_INT(P(s) == NULL, 1);
    T_EQ_INT(E.code, KM_ELIMIT);
}

/* ---- errors and rendering ------------------------------------------------- */

static void test_error_position_and_hint(void)
{
    static const struct {
        const char *q;
        int code;
        uint32_t off, col;
        const char *msg, *hint;
    } cases[] = {
        {"filter | stats count()", KM_EUSAGE, 7, 8, "expected an expression after 'filter'",
         "filter takes a condition, e.g. filter action = \"ConsoleLogin\""},
        {"filter a = 1 and", KM_EUSAGE, 16, 17, "expected an expression after 'and'", "filter takes"},
        {"filtr a", KM_EUSAGE, 0, 1, "unknown command 'filtr'", "did you mean filter?"},
        {"where a = 1", KM_EUSAGE, 0, 1, "unknown command 'where'", "did you mean filter?"},
        {"head 10", KM_EUSAGE, 0, 1, "unknown command", "did you mean limit?"},
        {"xyzzy", KM_EUSAGE, 0, 1, "unknown command", "commands: fields, filter, stats"},
        {"filter a = 1; limit 2", KM_EUSAGE, 12, 13, "unexpected ';'", "separated by |"},
        {"filter a ! b", KM_EUSAGE, 9, 10, "unexpected '!'", "!="},
        {"filter a & b", KM_EUSAGE, 9, 10, "unexpected '&'", "and"},
        {"filter a = 1 | stats count() by bin(5m) | sort n desc, | limit 5", KM_EUSAGE, 55, 56,
         "expected an expression after ','", "sort takes"},
        {"stats count() as", KM_EUSAGE, 16, 17, "expected a name after 'as'", "one word"},
        {"filter (a = 1", KM_EUSAGE, 13, 14, "expected ')' to close the '(' at line 1, column 8",
         "filter takes"},
        {"filter a = #", KM_EUSAGE, 11, 12, "unexpected '#'", "filter takes"},
        {"filter a = \x01", KM_EUSAGE, 11, 12, "control byte 0x01", ""},
        {"filter a = 1 |\n  stats count() by\n", KM_EUSAGE, 33, 19, "expected an expression after 'by'",
         "stats takes"},
        {"fields \xc3\xa9t\xc3\xa9 = 1", KM_EUSAGE, 7, 8, "unexpected character", "backticks"},
        {"fields `\xc3\xa9t\xc3\xa9` | filter | x", KM_EUSAGE, 24, 23, "expected an expression after 'filter'", ""},
    };
    for (size_t i = 0; i < KM_ARRAY_LEN(cases); i++) {
        struct km_query *q = P(cases[i].q);
        T_CHECK(q == NULL);
        if (q)
            continue;
        if (E.code != cases[i].code || E.offset != cases[i].off || E.col != cases[i].col ||
            !strstr(E.msg, cases[i].msg) || !strstr(E.hint, cases[i].hint)) {
            fprintf(stderr, "  case %zu [%s]: code %d off %u col %u msg [%s] hint [%s]\n", i,
                    cases[i].q, E.code, E.offset, E.col, E.msg, E.hint);
            T_CHECK(0);
        }
    }
    T_CHECK(P("filter a = 1 |\n  stats count() by\n") == NULL);
    T_EQ_INT(E.line, 2);

    /* the first error wins */
    struct km_query *q;
    km_query_err_clear(&E);
    T_EQ_INT(km_query_parse("limit x", 7, &A, &q, &E), KM_EUSAGE);
    T_EQ_INT(km_query_parse("fields", 6, &A, &q, &E), KM_EUSAGE);
    T_CHECK(has(E.msg, "limit"));
    T_EQ_INT(km_query_err_set(&E, "abc", 3, 1, KM_ELIMIT, NULL, "later"), KM_ELIMIT);
    T_CHECK(has(E.msg, "limit"));
    /* a NULL error record is fine */
    T_EQ_INT(km_query_parse("limit x", 7, &A, &q, NULL), KM_EUSAGE);
    T_CHECK(q == NULL);
    /* an execution error placed by the executor */
    km_query_err_clear(&E);
    const char *s = "filter a =~ /(x/";
    km_query_err_set(&E, s, strlen(s), 12 + 1 + 2, KM_EUSAGE, NULL, "missing ) at %d", 2);
    T_EQ_INT(E.col, 16);
    T_EQ_STR(E.hint, "");
}

static const char *R(const char *s)
{
    static char buf[4096];
    if (P(s))
        return "(parsed)";
    size_t len = 0;
    T_EQ_INT(km_query_err_render(&E, s, strlen(s), buf, sizeof buf, &len), KM_OK);
    T_EQ_INT(len, strlen(buf));
    return buf;
}

static void test_render(void)
{
    T_EQ_STR(R("filter | stats count()"),
             "error: expected an expression after 'filter'\n"
             "  filter | stats count()\n"
             "         ^\n"
             "hint: filter takes a condition, e.g. filter action = \"ConsoleLogin\"\n");
    /* end of input: the caret goes past the text */
    T_EQ_STR(R("limit"), "error: expected a whole number after 'limit', found the end of the query\n"
                         "  limit\n"
                         "       ^\n"
                         "hint: limit takes a whole number, e.g. limit 20\n");
    /* several lines: only the offending one, with line and column */
    T_EQ_STR(R("filter a = 1\n| stats count() bx x\n| limit 5"),
             "error: unexpected 'bx' after the stats list (line 2, column 17)\n"
             "  | stats count() bx x\n"
             "                  ^\n"
             "hint: separate items with ',' and commands with '|'\n");
    /* tabs and UTF-8 keep the caret aligned */
    T_EQ_STR(R("fields\t`\xc3\xa9`, #"), "error: unexpected '#'\n"
                                         "  fields `\xc3\xa9`, #\n"
                                         "              ^\n"
                                         "hint: fields takes fields or expressions, e.g. fields "
                                         "time, actor.name, tolower(actor.email) as email\n");
    /* a long line is cut around the caret */
    char s[2000] = "filter ";
    for (int i = 0; i < 60; i++)
        strcat(s, "a = 1 and ");
    strcat(s, "b = = 2 and c = 3");
    for (int i = 0; i < 30; i++)
        strcat(s, " and a = 1");
    const char *r = R(s);
    const char *l2 = strchr(r, '\n') + 1, *l3 = strchr(l2, '\n') + 1;
    T_CHECK(strncmp(l2, "  ...", 5) == 0);
    T_CHECK(strncmp(l3 - 4, "...", 3) == 0);
    T_CHECK(strlen(l2) - strlen(l3) < 100);
    size_t caret = (size_t)(strchr(l3, '^') - l3);
    T_EQ_INT(l2[caret], '=');
    T_EQ_INT(l2[caret - 2], '=');
    T_EQ_INT(l2[caret - 4], 'b');
    /* truncation is reported and the buffer stays terminated */
    char small[16];
    size_t len = 0;
    P("filter | x");
    T_EQ_INT(km_query_err_render(&E, "filter | x", 10, small, sizeof small, &len), KM_ELIMIT);
    T_EQ_INT(strlen(small), 15);
    T_CHECK(len > 16);
    T_EQ_INT(km_query_err_render(&E, "filter | x", 10, NULL, 0, &len), KM_ELIMIT);
}

/* ---- limits ------------------------------------------------------------------- */

static char *nest(const char *pre, const char *open, int k, const char *mid, const char *close)
{
    size_t n = strlen(pre) + (strlen(open) + strlen(close)) * (size_t)k + strlen(mid) + 1;
    char *s = malloc(n), *o = s;
    o += sprintf(o, "%s", pre);
    for (int i = 0; i < k; i++)
        o += sprintf(o, "%s", open);
    o += sprintf(o, "%s", mid);
    for (int i = 0; i < k; i++)
        o += sprintf(o, "%s", close);
    return s;
}

static void test_depth_limit(void)
{
    /* a top-level expression is level 1; each '(' adds one */
    char *s = nest("filter ", "(", KM_QUERY_MAX_DEPTH - 1, "a", ")");
    T_CHECK(P(s) != NULL);
    T_EQ_STR(N(s), "filter a");
    free(s);
    s = nest("filter ", "(", KM_QUERY_MAX_DEPTH, "a", ")");
    T_CHECK(P(s) == NULL);
    T_EQ_INT(E.code, KM_ELIMIT);
    T_EQ_INT(E.offset, 7 + KM_QUERY_MAX_DEPTH);
    T_CHECK(has(E.msg, "nested deeper than 64"));
    free(s);
    /* hostile nesting fails fast without deep recursion */
    clock_t t0 = clock();
    s = nest("filter ", "(", 30000, "a", ")");
    T_CHECK(P(s) == NULL && E.code == KM_ELIMIT);
    free(s);
    s = nest("filter ", "not ", 10000, "a", "");
    T_CHECK(P(s) == NULL && E.code == KM_ELIMIT);
    free(s);
    s = nest("fields ", "tolower(", 10000, "a", ")");
    T_CHECK(P(s) == NULL && E.code == KM_ELIMIT);
    free(s);
    s = nest("filter ", "a = 1 and (", 5000, "b", ")");
    T_CHECK(P(s) == NULL && E.code == KM_ELIMIT);
    free(s);
    s = nest("fields ", "coalesce(x, ", 60, "a", ")");
    T_CHECK(P(s) != NULL);
    free(s);
    T_CHECK((double)(clock() - t0) / CLOCKS_PER_SEC < 2.0);
    /* not, calls and parentheses share the one budget */
    s = nest("filter ", "not (", 31, "a", ")");
    T_CHECK(P(s) != NULL);
    free(s);
    s = nest("filter ", "not (", 32, "a", ")");
    T_CHECK(P(s) == NULL && E.code == KM_ELIMIT);
    free(s);
    /* long flat chains are loops, not recursion: n-ary and, shallow tree */
    s = nest("filter x = 0", " or x = 1", 3000, "", "");
    struct km_query *q = P(s);
    T_CHECK(q != NULL);
    if (q) {
        T_EQ_INT(q->cmds[0].cond->kind, KM_QE_OR);
        T_EQ_INT(q->cmds[0].cond->nargs, 3001);
    }
    free(s);
}

static void test_size_limits(void)
{
    /* length: at most KM_QUERY_MAX_LEN bytes */
    size_t n = KM_QUERY_MAX_LEN + 1;
    char *s = malloc(n + 1);
    memset(s, ' ', n);
    memcpy(s, "limit 5", 7);
    s[n] = 0;
    struct km_query *q = NULL;
    km_query_err_clear(&E);
    T_EQ_INT(km_query_parse(s, n, &A, &q, &E), KM_ELIMIT);
    T_EQ_INT(E.offset, KM_QUERY_MAX_LEN);
    km_query_err_clear(&E);
    T_EQ_INT(km_query_parse(s, n - 1, &A, &q, &E), KM_OK);
    free(s);
    /* tokens: at most KM_QUERY_MAX_TOKENS */
    s = nest("filter x in [1", ",1", KM_QUERY_MAX_TOKENS / 2, "]", "");
    T_CHECK(P(s) == NULL);
    T_EQ_INT(E.code, KM_ELIMIT);
    T_CHECK(has(E.msg, "tokens"));
    free(s);
    s = nest("filter x in [1", ",1", KM_QUERY_MAX_TOKENS / 2 - 10, "]", "");
    T_CHECK(P(s) != NULL);
    free(s);
    /* an IOC list of 3,000 addresses fits */
    s = malloc(KM_QUERY_MAX_LEN);
    size_t o = (size_t)sprintf(s, "filter src.ip in [");
    for (int i = 0; i < 3000; i++)
        o += (size_t)sprintf(s + o, "%s\"10.%d.%d.%d\"", i ? "," : "", i / 65536, (i / 256) % 256,
                             i % 256);
    sprintf(s + o, "] | stats count() by src.ip");
    q = P(s);
    T_CHECK(q && q->cmds[0].cond->nlist == 3000);
    free(s);
}

/* Memory stays proportional to the query; a small arena ceiling fails cleanly. */
static void test_memory(void)
{
    char *s = nest("filter x = 0", " or tolower(x) = \"abc\"", 2000, "", "");
    size_t n = strlen(s);
    struct km_arena a;
    km_arena_init(&a, 4096, 0);
    struct km_query *q = NULL;
    struct km_query_err e;
    km_query_err_clear(&e);
    T_EQ_INT(km_query_parse(s, n, &a, &q, &e), KM_OK);
    T_CHECK(a.total < 40 * n);
    km_arena_free(&a);
    for (size_t lim = 4096; lim < (1u << 20); lim *= 2) {
        km_arena_init(&a, 4096, lim);
        km_query_err_clear(&e);
        int rc = km_query_parse(s, n, &a, &q, &e);
        T_CHECK(rc == KM_OK || (rc == KM_ENOMEM && q == NULL && has(e.msg, "memory")));
        km_arena_free(&a);
    }
    free(s);
    /* bad arguments */
    km_query_err_clear(&e);
    T_EQ_INT(km_query_parse("limit 1", 7, NULL, &q, &e), KM_EINTERNAL);
    km_query_err_clear(&e);
    T_EQ_INT(km_query_parse(NULL, 5, &A, &q, &e), KM_EUSAGE);
    T_CHECK(has(e.msg, "empty query"));
}

/* ---- round trip ------------------------------------------------------------- */

static const char *const km_t_queries[] = {
    "filter action = \"ConsoleLogin\" and outcome = \"failure\" | stats count() as n by actor.name, src.ip | sort n desc | limit 20",
    "fields time, actor.email, tolower(actor.name) as who, coalesce(error.code, \"-\") as err | display time, who, err",
    "filter service = \"iam.amazonaws.com\" and action in [\"CreateAccessKey\", \"AttachUserPolicy\"] | dedup actor.arn",
    "filter not isIpInSubnet(src.ip, \"10.0.0.0/8\") and ispresent(src.ip) | stats count_distinct(src.ip) by account",
    "stats count(*) as n, min(time), max(time), earliest(action), latest(action), pct(severity, 99.9), sum(severity), avg(severity) by bin(1d), source",
    "parse user_agent \"aws-cli/* Python/* *\" as cli, py, rest | stats count() by cli",
    "parse @message /user=(?<user>[^ ]+) ip=(?<ip>\\S+)/i | filter ip like \"10.%\"",
    "filter requestParameters.bucketName like /^prod-/ or `detail-type` = 'AWS API Call via CloudTrail' or resources[0].ARN =~ /:role\\//",
    "filter (a = 1 or b = 2) and not (c = 3 and d != 4) or e < 5 and f <= 6 and g > 7 and h >= 8",
    "filter a not in ('x', \"y\") && b not like \"%z%\" || not c",
    "filter x = -1.25e-7 or y = 3 or z = true or w = false or d = 86400s or e = \"\\u0007\\t\"",
    "filter strlen(user_agent) > 200 | sort strlen(user_agent) desc | limit 5",
    "fields `a b`.c, `select`, x.`y``z`[3] as `q q` | sort `q q`",
    "stats count() as n by actor.name | filter n > 10 | stats avg(n) as mean",
    "filter (not a) = false and (b = 1) = (c = 2)",
    "filter @timestamp > 5 | fields @timestamp, @message, $x, _y",
};

static void roundtrip(const char *s, unsigned flags)
{
    static char d1[1 << 16], d2[1 << 16];
    struct km_query *q = P(s);
    if (!q) {
        fprintf(stderr, "  [%s]: %s\n", s, E.msg);
        T_CHECK(0);
        return;
    }
    T_EQ_INT(km_query_dump(q, flags, d1, sizeof d1, NULL), KM_OK);
    q = P(d1);
    if (!q) {
        fprintf(stderr, "  dump [%s] does not parse: %s\n", d1, E.msg);
        T_CHECK(0);
        return;
    }
    T_EQ_INT(km_query_dump(q, flags, d2, sizeof d2, NULL), KM_OK);
    T_EQ_STR(d2, d1);
    if (flags == 0) { /* the parenthesized form is the same tree */
        T_EQ_INT(km_query_dump(q, KM_QUERY_DUMP_PARENS, d2, sizeof d2, NULL), KM_OK);
        q = P(d2);
        T_CHECK(q != NULL);
        if (q) {
            T_EQ_INT(km_query_dump(q, 0, d2, sizeof d2, NULL), KM_OK);
            T_EQ_STR(d2, d1);
        }
    }
}

static void test_roundtrip(void)
{
    for (size_t i = 0; i < KM_ARRAY_LEN(km_t_queries); i++) {
        roundtrip(km_t_queries[i], 0);
        roundtrip(km_t_queries[i], KM_QUERY_DUMP_PARENS);
    }
    /* the function examples too */
    for (int f = 0; f < KM_QF__COUNT; f++)
        roundtrip(km_query_funcs[f].example, 0);
    /* dump of a whole expression and truncation */
    struct km_query *q = P("filter a = 1 and b in [\"x\"]");
    T_CHECK(q != NULL);
    if (q) {
        char b[8];
        size_t len = 0;
        T_EQ_INT(km_query_expr_dump(q->cmds[0].cond, 0, b, sizeof b, &len), KM_ELIMIT);
        T_EQ_STR(b, "a = 1 a");
        T_EQ_INT(len, strlen("a = 1 and b in [\"x\"]"));
        T_EQ_INT(km_query_dump(q, 0, NULL, 0, &len), KM_ELIMIT);
        T_EQ_INT(len, strlen("filter a = 1 and b in [\"x\"]"));
    }
}

/* The query seeds of the fuzz target are valid queries and fixed points. */
static void test_fuzz_seeds_parse(void)
{
    static const char *const seeds[] = {"tests/fuzz/corpus/query/pipeline.q",
                                        "tests/fuzz/corpus/query/parse_regex.q"};
    for (size_t i = 0; i < KM_ARRAY_LEN(seeds); i++) {
        FILE *f = fopen(seeds[i], "rb");
        T_CHECK(f != NULL);
        if (!f)
            continue;
        static char buf[8192];
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[n] = 0;
        roundtrip(buf, 0);
    }
}

/* docs/query.md documents every command and every function. */
static void test_docs(void)
{
    FILE *f = fopen("docs/query.md", "rb");
    T_CHECK(f != NULL);
    if (!f)
        return;
    static char doc[1 << 17];
    size_t n = fread(doc, 1, sizeof doc - 1, f);
    fclose(f);
    doc[n] = 0;
    for (int c = 0; c < KM_QCMD__COUNT; c++) {
        char h[64];
        snprintf(h, sizeof h, "### `%s`", km_query_cmd_name((enum km_query_cmd_kind)c));
        if (!strstr(doc, h)) {
            fprintf(stderr, "  docs/query.md: no section %s\n", h);
            T_CHECK(0);
        }
    }
    for (int k = 0; k < KM_QF__COUNT; k++) {
        char h[64];
        snprintf(h, sizeof h, "`%s(", km_query_funcs[k].name);
        if (!strstr(doc, h) || !strstr(doc, km_query_funcs[k].example)) {
            fprintf(stderr, "  docs/query.md: function %s or its example missing\n",
                    km_query_funcs[k].name);
            T_CHECK(0);
        }
    }
    T_CHECK(has(doc, "## Execution"));
}

/* now(), ago(D), sort by an aggregate, backticks remembered (issue 9) */
static void test_time_functions_and_sort_aggregates(void)
{
    struct km_query *q = P("filter time >= ago(7d) and time <= now()");
    T_CHECK(q != NULL);
    if (q) {
        const struct km_query_expr *c = q->cmds[0].cond;
        T_EQ_INT(c->kind, KM_QE_AND);
        T_EQ_INT(c->args[0]->args[1]->kind, KM_QE_CALL);
        T_EQ_INT(c->args[0]->args[1]->fn, KM_QF_AGO);
        T_EQ_INT(c->args[0]->args[1]->args[0]->lit.i, 7LL * 86400 * 1000000);
        T_EQ_INT(c->args[1]->args[1]->fn, KM_QF_NOW);
        T_EQ_INT(c->args[1]->args[1]->nargs, 0);
    }
    T_EQ_STR(N("filter time > AGO(1h)"), "filter time > ago(1h)");
    T_CHECK(has(ERR("filter time > ago(7)", KM_EUSAGE, 18), "ago() takes a duration"));
    T_CHECK(has(ERR("filter time > ago(\"7d\")", KM_EUSAGE, 18), "ago() takes a duration"));
    T_CHECK(has(ERR("filter time > ago()", KM_EUSAGE, 14), "ago() takes 1 argument"));
    T_CHECK(has(ERR("filter time > now(1d)", KM_EUSAGE, 14), "now() takes 0 arguments"));
    /* sort takes an unaliased aggregate (the executor finds the column) */
    q = P("stats count() by action | sort count() desc");
    T_CHECK(q != NULL);
    if (q) {
        T_EQ_INT(q->cmds[1].items[0].expr->kind, KM_QE_CALL);
        T_EQ_INT(q->cmds[1].items[0].desc, 1);
        T_EQ_STR(q->cmds[1].items[0].name.p, "count()");
    }
    T_EQ_STR(N("stats count_distinct(src.ip) by a | sort count_distinct(src.ip) desc"),
             "stats count_distinct(src.ip) by a | sort count_distinct(src.ip) desc");
    T_CHECK(has(ERR("stats count() by a | sort count(max(x))", KM_EUSAGE, 32),
                "inside another aggregate"));
    T_CHECK(has(ERR("fields count()", KM_EUSAGE, 7), "only allowed in stats"));
    /* a backtick on any segment marks the path as written (no near-miss check) */
    q = P("fields `Actor`.Name, Actor.Name, a.`b`");
    T_CHECK(q != NULL);
    if (q) {
        T_EQ_INT(q->cmds[0].items[0].expr->path.quoted, 1);
        T_EQ_INT(q->cmds[0].items[1].expr->path.quoted, 0);
        T_EQ_INT(q->cmds[0].items[2].expr->path.quoted, 1);
    }
    T_EQ_STR(N("fields `Actor`.Name, a.`b`"), "fields `Actor`.Name, `a`.b");
}

int main(void)
{
    km_arena_init(&A, 0, 0);
    T_RUN(test_time_functions_and_sort_aggregates);
    T_RUN(test_filter);
    T_RUN(test_fields_and_display);
    T_RUN(test_stats);
    T_RUN(test_sort_limit_dedup);
    T_RUN(test_parse_command);
    T_RUN(test_pipeline);
    T_RUN(test_functions_table);
    T_RUN(test_functions);
    T_RUN(test_precedence);
    T_RUN(test_in_like_match);
    T_RUN(test_literals);
    T_RUN(test_paths);
    T_RUN(test_error_position_and_hint);
    T_RUN(test_render);
    T_RUN(test_depth_limit);
    T_RUN(test_size_limits);
    T_RUN(test_memory);
    T_RUN(test_roundtrip);
    T_RUN(test_fuzz_seeds_parse);
    T_RUN(test_docs);
    km_arena_free(&A);
    return t_done();
}
