/*
 * exec.c — the query executor (exec.h): compile the parsed pipeline against
 * the field table, then stream the store's segments through it.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "query/exec.h"

#include "core/event.h"
#include "core/hash.h"
#include "core/ip.h"
#include "core/timeparse.h"
#include "geo/geo.h"
#include "ident/ident.h"
#include "json/json.h"
#include "query/geofield.h"
#include "store/catalog.h"
#include "store/segment.h"
#include "store/store.h"
#include "store/vault.h"
#include "ingest/raw.h"

#include <ctype.h>
#include <math.h>
#include <pcre2.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* ---- compiled expressions ------------------------------------------------ */

enum ref { R_NONE = 0, R_NORM, R_TIME, R_RO, R_MFA, R_SEV, R_RAW, R_SLOT, R_MSG, R_GEO, R_PERSON,
           R_FLAGS };

struct cx {
    const struct km_query_expr *x;
    struct cx **a;
    uint32_t na;
    int ref, field, slot;
    int rawk;          /* R_RAW: index in run.rawpaths (-1: past the 32 tracked) */
    int has_konst;     /* a constant decided at compile time: konst */
    struct km_qval konst; /* now(), ago(D), a literal compared with time */
    pcre2_code *re;
    pcre2_match_data *md;
    int onef;          /* -2: constant; -1: several inputs; else the one NORM field */
    /* per-segment bitmap over that field's codes (bm_seg == run's segment number) */
    uint8_t *bm;
    uint32_t bmcap;
    uint64_t bm_seg;
    int bm_any;
    struct cx *all;    /* every compiled node, for freeing */
    /* `person = "x"`, `person in [...]`: the persons named (bitmap over
     * person indexes); pbm_state 0 not looked at, 1 built, -1 not such a
     * condition */
    uint8_t *pbm;
    int pbm_state;
};

enum stage_kind { S_FILTER, S_FIELDS, S_PARSE, S_DEDUP, S_LIMIT, S_SORT, S_STATS, S_OUT };

struct agg {
    enum km_query_fn fn;
    struct cx *arg;    /* NULL for count() */
    struct cx *tcx;    /* earliest/latest: the row's time (kept by a sort before) */
    double pct;
    int slot;          /* output slot */
};

/* one group of stats */
struct group {
    struct km_qval *keys;
    struct gstate *st;
    struct group *next;  /* hash chain */
    uint64_t h;
};
struct gstate {
    int64_t n;             /* count / values seen */
    double sum;
    int allint;
    int64_t isum;
    struct km_qval v;      /* min/max/earliest/latest value */
    int64_t t;             /* earliest/latest time */
    uint64_t *set;         /* count_distinct: open addressing of hashes */
    uint64_t setcap, setn;
    double *vals;          /* pct */
    uint64_t nvals, capvals;
};

struct srow {             /* a buffered row (sort) */
    struct km_qval *slots;
    struct km_qval *keys;
};

struct stage {
    enum stage_kind kind;
    const struct km_query_cmd *cmd;
    struct cx *cond;               /* FILTER */
    struct cx **items;             /* FIELDS, DEDUP, SORT keys, OUT columns, STATS by */
    int *slots;                    /* FIELDS: slot per item; STATS by: slot per key */
    int *desc;                     /* SORT */
    uint32_t nitems;
    struct agg *aggs;              /* STATS */
    uint32_t naggs;
    int64_t limit, seen;           /* LIMIT; SORT keep */
    struct cx *src;                /* PARSE */
    pcre2_code *re;
    pcre2_match_data *md;
    int *pslots;                   /* PARSE: slot per name */
    uint32_t npslots;
    /* SORT: base values to keep for later stages */
    int *mat_slot;
    struct cx **mat_cx;
    uint32_t nmat, capmat;
    /* SORT buffer */
    struct srow *rows;
    uint64_t nrows, caprows;
    struct km_arena arena;
    /* STATS groups */
    struct group **tab;
    uint64_t tabcap, ngroups;
    /* DEDUP */
    uint64_t *set;
    uint64_t setcap, setn;
    /* OUT */
    const char **names;
};

struct run {
    struct km_store *s;
    const struct km_query *q;
    const char *text;
    size_t tn;
    const struct km_qopts *o;
    const struct km_qsink *sink;
    struct km_qstats *st;
    int64_t max_rows;              /* rows out at most: max(--max-rows, largest limit) */
    struct km_query_err *err;
    int64_t now;                   /* now(): µs, read once when the query starts */
    struct km_arena ca;            /* compile-time memory */
    struct km_arena ra;            /* per-row memory */
    struct stage *stages;
    uint32_t nstages;
    uint32_t nslots;
    const char **slotname;
    int stop;
    int rc;
    /* current row */
    struct km_seg *seg;
    uint64_t segno;
    uint32_t row;
    int has_base;
    struct km_qval *slots;
    /* raw record of the current row */
    int raw_state;                 /* 0 not read, 1 parsed, -1 unavailable */
    int rawb_state;                /* raw bytes: 0 not read, 1 read, -1 unavailable */
    const char *rawb;
    struct km_rawref rref;
    struct km_json *raw;
    struct km_event ev;            /* for the integer columns */
    int ev_state;
    struct km_raw_cache *rc_cache;
    struct km_arena ja;
    /* raw paths seen in no row (warnings) */
    struct cx *allcx;
    const struct km_query_path *rawpaths[32];  /* one per distinct path text */
    int rawfound[32];
    uint64_t rawlooked[32];        /* rows whose parsed record was searched for it */
    int nraw;
    /* src.geo.* / src.asn / src.as_org / src.ip_class (geofield.h): the
     * databases are opened when the first such field is compiled */
    struct km_qgeo *qgeo;
    struct km_geo_lazy *geo_own;   /* when the options name no databases */
    /* `person` (ident.h): person per row of the current segment, lazily */
    int want_person;
    const struct km_idgraph *graph;
    struct km_idgraph *own_graph;
    int32_t *prow;
    uint64_t prow_seg, prow_cap;
};

static void *ca_alloc(struct run *R, size_t n)
{
    void *p = km_arena_alloc(&R->ca, n ? n : 1);
    if (!p) {
        fprintf(stderr, "kumo query: out of memory\n");
        abort();
    }
    memset(p, 0, n ? n : 1);
    return p;
}

static struct cx *new_cx(struct run *R, const struct km_query_expr *x)
{
    struct cx *c = ca_alloc(R, sizeof *c);
    c->x = x;
    c->all = R->allcx;
    R->allcx = c;
    return c;
}

static int slot_find(struct run *R, const char *name)
{
    for (uint32_t i = 0; i < R->nslots; i++)
        if (R->slotname[i] && strcmp(R->slotname[i], name) == 0)
            return (int)i;
    return -1;
}

static int slot_new(struct run *R, const char *name)
{
    if (R->nslots % 16 == 0) {
        const char **n = ca_alloc(R, (R->nslots + 16) * sizeof *n);
        if (R->nslots)
            memcpy(n, R->slotname, R->nslots * sizeof *n);
        R->slotname = n;
    }
    R->slotname[R->nslots] = name;
    return (int)R->nslots++;
}

/* Compile state: 0 base event available; 1 after a sort (base values must be
 * kept by that sort); 2 after stats (only its columns exist). */
struct cstate {
    int phase;
    struct stage *last_sort;
};

static void mat_add(struct run *R, struct stage *sg, int slot, struct cx *c)
{
    if (sg->nmat == sg->capmat) {
        uint32_t ncap = sg->capmat ? sg->capmat * 2 : 8;
        int *ns = ca_alloc(R, ncap * sizeof *ns);
        struct cx **nc = ca_alloc(R, ncap * sizeof *nc);
        if (sg->nmat) {
            memcpy(ns, sg->mat_slot, sg->nmat * sizeof *ns);
            memcpy(nc, sg->mat_cx, sg->nmat * sizeof *nc);
        }
        sg->mat_slot = ns;
        sg->mat_cx = nc;
        sg->capmat = ncap;
    }
    sg->mat_slot[sg->nmat] = slot;
    sg->mat_cx[sg->nmat] = c;
    sg->nmat++;
}

static int compile_regex(struct run *R, const struct km_query_lit *lit, pcre2_code **re,
                         pcre2_match_data **md)
{
    uint32_t opt = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF;
    if (lit->flags & KM_QRX_I)
        opt |= PCRE2_CASELESS;
    if (lit->flags & KM_QRX_M)
        opt |= PCRE2_MULTILINE;
    if (lit->flags & KM_QRX_S)
        opt |= PCRE2_DOTALL;
    if (lit->flags & KM_QRX_X)
        opt |= PCRE2_EXTENDED;
    int ec;
    PCRE2_SIZE eo;
    *re = pcre2_compile((PCRE2_SPTR)lit->s.p, lit->s.n, opt, &ec, &eo, NULL);
    if (!*re) {
        PCRE2_UCHAR msg[160];
        pcre2_get_error_message(ec, msg, sizeof msg);
        return km_query_err_set(R->err, R->text, R->tn, lit->off + 1 + eo, KM_EUSAGE,
                                "check the regular expression (PCRE2 syntax)",
                                "invalid regular expression: %s", (const char *)msg);
    }
    pcre2_jit_compile(*re, PCRE2_JIT_COMPLETE);
    *md = pcre2_match_data_create_from_pattern(*re, NULL);
    return KM_OK;
}

static struct cx *compile_expr(struct run *R, struct cstate *cs, const struct km_query_expr *x);
static struct km_query_expr *synth_field(struct run *R, const char *name);

/* Opens the GeoIP databases for the first geo field (x, for the caret). */
static int geo_open(struct run *R, const struct km_query_expr *x)
{
    struct km_geo_lazy *l = R->o->geo;
    if (!l)
        l = R->geo_own = km_geo_lazy_new(NULL, 0, NULL);
    struct km_geo *g;
    struct km_err e;
    km_err_clear(&e);
    if (km_geo_lazy_get(l, &g, &e) != KM_OK) {
        char m[1200];
        return km_query_err_set(R->err, R->text, R->tn, x->off, e.code, "see `kumo geo status`",
                                "cannot open the GeoIP databases: %s", km_err_fmt(&e, m, sizeof m));
    }
    R->qgeo = km_qgeo_new(g);
    return KM_OK;
}

/* Names kumo gives meaning to besides the normalized fields (km_fields). */
static const char *const extra_names[] = {"time",      "@timestamp", "read_only", "actor.mfa",
                                          "severity",  "@message",   "person",    "flags",
                                          "src.geo.country", "src.geo.city", "src.geo.lat",
                                          "src.geo.lon", "src.geo.db", "src.asn", "src.as_org",
                                          "src.ip_class"};

/* The `flags` field: the event flags (core/event.h) by name, in bit order
 * (KM_EV_ID_IN_KEY is storage detail, not shown). */
static const struct {
    unsigned bit;
    const char *name;
} flag_names[] = {{KM_EV_TIME_FALLBACK, "time_fallback"},
                  {KM_EV_TIME_MISSING, "time_missing"},
                  {KM_EV_ID_SYNTH, "id_synth"},
                  {KM_EV_TYPE_PROBLEM, "type_problem"}};

/* Edit distance of a and b (case-sensitive), capped at 3. */
static int dist3(const char *a, const char *b)
{
    size_t an = strlen(a), bn = strlen(b);
    if (an > 64 || bn > 64 || (an > bn ? an - bn : bn - an) > 2)
        return 3;
    int row[65];
    for (size_t j = 0; j <= bn; j++)
        row[j] = (int)j;
    for (size_t i = 1; i <= an; i++) {
        int diag = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= bn; j++) {
            int up = row[j], v = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < v)
                v = up + 1;
            if (row[j - 1] + 1 < v)
                v = row[j - 1] + 1;
            row[j] = v;
            diag = up;
        }
    }
    return row[bn] < 3 ? row[bn] : 3;
}

/* The kumo field x's name almost is: the same name in another letter case
 * ("Actor.Name", "ACTION"), or, inside kumo's own namespaces actor., src. and
 * error., a name within two edits of one ("actor.nmae", "src.ipp"). Such a
 * name is refused with a suggestion instead of being read as a path of the
 * original record (which it would almost never be); a record's path with
 * that spelling is written with backticks. Returns 1 (error set) or 0. */
static int near_miss(struct run *R, const struct km_query_expr *x)
{
    const char *name = x->path.text.p;
    const char *pick = NULL;
    int ns = !strncmp(name, "actor.", 6) || !strncmp(name, "src.", 4) ||
             !strncmp(name, "error.", 6);
    size_t nk = KM_F__COUNT + KM_ARRAY_LEN(extra_names);
    for (size_t k = 0; k < nk && !pick; k++) {
        const char *kn = k < KM_F__COUNT ? km_fields[k].name : extra_names[k - KM_F__COUNT];
        if (!strcasecmp(name, kn))
            pick = kn;
    }
    for (size_t k = 0; k < nk && !pick && ns; k++) {
        const char *kn = k < KM_F__COUNT ? km_fields[k].name : extra_names[k - KM_F__COUNT];
        size_t pre = strchr(kn, '.') ? (size_t)(strchr(kn, '.') - kn) + 1 : 0;
        if (pre && !strncmp(name, kn, pre) && dist3(name, kn) <= 2)
            pick = kn;
    }
    if (!pick)
        return 0;
    char hint[256];
    snprintf(hint, sizeof hint,
             "did you mean %s? (a path of the original record spelt so is written with "
             "backticks: `%s`%s)",
             pick, x->path.seg[0].p, name + x->path.seg[0].n);
    km_query_err_set(R->err, R->text, R->tn, x->off, KM_EUSAGE, hint, "unknown field '%s'", name);
    return 1;
}

static struct cx *compile_field(struct run *R, struct cstate *cs, const struct km_query_expr *x)
{
    struct cx *c = new_cx(R, x);
    c->onef = -1;
    const char *name = x->path.text.p;
    int sl = slot_find(R, name);
    if (sl >= 0) {
        c->ref = R_SLOT;
        c->slot = sl;
        return c;
    }
    if (cs->phase == 2) {
        /* after stats only its columns exist */
        c->ref = R_NONE;
        if (R->st->nwarnings < 4)
            snprintf(R->st->warnings[R->st->nwarnings++], 200,
                     "'%s' is not a column after stats: it is always missing", name);
        return c;
    }
    int f = km_field_lookup(name, x->path.text.n);
    int gf = km_qgeo_field(name, x->path.text.n);
    if (gf >= 0) {
        if (!R->qgeo && geo_open(R, x))
            return NULL;
        c->ref = R_GEO;
        c->field = gf;
        c->onef = km_qgeo_onef(gf);
    } else if (f >= 0 && km_fields[f].enc != KM_ENC_RAW) {
        c->ref = R_NORM;
        c->field = f;
        c->onef = f;
    } else if (!strcmp(name, "time") || !strcmp(name, "@timestamp")) {
        c->ref = R_TIME;
    } else if (!strcmp(name, "read_only")) {
        c->ref = R_RO;
    } else if (!strcmp(name, "actor.mfa")) {
        c->ref = R_MFA;
    } else if (!strcmp(name, "severity")) {
        c->ref = R_SEV;
    } else if (!strcmp(name, "@message")) {
        c->ref = R_MSG;
    } else if (!strcmp(name, "person")) {
        c->ref = R_PERSON;
        R->want_person = 1;
    } else if (!strcmp(name, "flags")) {
        c->ref = R_FLAGS;
    } else {
        if (!x->path.quoted && near_miss(R, x))
            return NULL;
        c->ref = R_RAW;
        /* tracked by text: `filter p like "x" | stats count() by p` is one path */
        c->rawk = -1;
        for (int k = 0; k < R->nraw && c->rawk < 0; k++)
            if (!strcmp(R->rawpaths[k]->text.p, name))
                c->rawk = k;
        if (c->rawk < 0 && R->nraw < 32) {
            R->rawpaths[R->nraw] = &x->path;
            R->rawfound[R->nraw] = 0;
            R->rawlooked[R->nraw] = 0;
            c->rawk = R->nraw++;
        }
    }
    if (cs->phase == 1 && cs->last_sort) {
        /* the sort keeps this base value for us */
        struct cx *base = c;
        struct cx *s = new_cx(R, x);
        s->onef = -1;
        s->ref = R_SLOT;
        s->slot = slot_new(R, NULL);
        mat_add(R, cs->last_sort, s->slot, base);
        return s;
    }
    return c;
}

/* `time OP literal` (either side): a string must be a time (ISO 8601 / RFC
 * 3339, or a date: midnight UTC), a number is Unix epoch seconds; both
 * become a time constant here. Anything else is an error with a caret.
 * Returns 1 when an error was set. */
static int time_operand(struct run *R, struct cx *c)
{
    for (int side = 0; side < 2; side++) {
        struct cx *f = c->a[side], *l = c->a[1 - side];
        if (f->x->kind != KM_QE_FIELD || f->ref != R_TIME || l->x->kind != KM_QE_LITERAL)
            continue;
        const struct km_query_lit *lit = &l->x->lit;
        int64_t us = 0;
        int ok = 0;
        if (lit->kind == KM_QL_STRING) {
            ok = km_time_parse(lit->s.p, lit->s.n, &us) == KM_OK;
            if (!ok && lit->s.n == 10) { /* a bare date: midnight UTC */
                char full[32];
                snprintf(full, sizeof full, "%sT00:00:00Z", lit->s.p);
                ok = km_time_parse(full, strlen(full), &us) == KM_OK;
            }
        } else if (lit->kind == KM_QL_INT) {
            ok = lit->i > -9223372036854LL && lit->i < 9223372036854LL;
            us = lit->i * 1000000;
        } else if (lit->kind == KM_QL_FLOAT) {
            ok = fabs(lit->f) < 9.2e12;
            us = (int64_t)llround(lit->f * 1e6);
        }
        if (!ok) {
            km_query_err_set(R->err, R->text, R->tn, lit->off, KM_EUSAGE,
                             "a time is \"2024-07-31T12:00:00Z\", \"2024-07-31\" (midnight UTC), "
                             "Unix epoch seconds (1722427200), now() or ago(7d)",
                             "this is not a time to compare with %s",
                             f->x->path.text.p);
            return 1;
        }
        l->has_konst = 1;
        l->konst = (struct km_qval){.t = KM_QV_TIME, .i = us};
    }
    return 0;
}

static struct cx *compile_expr(struct run *R, struct cstate *cs, const struct km_query_expr *x)
{
    if (x->kind == KM_QE_FIELD)
        return compile_field(R, cs, x);
    if (x->kind == KM_QE_CALL && km_query_funcs[x->fn].aggregate && cs->phase == 2) {
        /* `stats count() | sort count() desc`: the stats column of that name */
        char nm[256];
        size_t len = 0;
        if (km_query_expr_dump(x, 0, nm, sizeof nm, &len) == KM_OK && slot_find(R, nm) >= 0) {
            char *name = ca_alloc(R, len + 1);
            memcpy(name, nm, len + 1);
            return compile_field(R, cs, synth_field(R, name));
        }
    }
    struct cx *c = new_cx(R, x);
    c->onef = -2;
    if (x->kind == KM_QE_LITERAL)
        return c;
    c->na = x->nargs;
    c->a = ca_alloc(R, (x->nargs + 1) * sizeof *c->a);
    for (uint32_t i = 0; i < x->nargs; i++) {
        c->a[i] = compile_expr(R, cs, x->args[i]);
        if (!c->a[i])
            return NULL;
        int o = c->a[i]->onef;
        if (o == -2)
            continue;
        if (c->onef == -2)
            c->onef = o;
        else if (c->onef != o)
            c->onef = -1;
    }
    if ((x->kind == KM_QE_LIKE && x->like == KM_QLIKE_REGEX) || x->kind == KM_QE_MATCH) {
        if (compile_regex(R, &x->lit, &c->re, &c->md))
            return NULL;
    }
    if (x->kind == KM_QE_CALL && (x->fn == KM_QF_NOW || x->fn == KM_QF_AGO)) {
        /* one value for the whole query: rows read late see the same now() */
        c->has_konst = 1;
        c->konst = (struct km_qval){.t = KM_QV_TIME,
                                    .i = x->fn == KM_QF_NOW ? R->now : R->now - x->args[0]->lit.i};
        return c;
    }
    if (x->kind == KM_QE_CMP && time_operand(R, c))
        return NULL;
    if (x->kind == KM_QE_CALL && km_query_funcs[x->fn].aggregate) {
        km_query_err_set(R->err, R->text, R->tn, x->off, KM_EUSAGE,
                         cs->phase == 2
                             ? "sort takes a column of the stats before it, by its name or "
                               "alias, e.g. stats count() as n by action | sort n desc"
                             : "aggregates belong in a stats command, e.g. stats count() by action",
                         "%s() is an aggregate and cannot be used here", km_query_fn_name(x->fn));
        return NULL;
    }
    if (x->kind == KM_QE_CALL && x->fn == KM_QF_BIN) {
        /* depends on time: read through a field so a sort keeps it */
        c->onef = -1;
        c->a[x->nargs] = compile_field(R, cs, synth_field(R, "time"));
    }
    return c;
}

/* ---- values ------------------------------------------------------------------ */

static struct km_qval qv_null(void) { return (struct km_qval){0}; }
static struct km_qval qv_bool(int b) { return (struct km_qval){.t = KM_QV_BOOL, .i = !!b}; }
static struct km_qval qv_str(struct km_str s)
{
    return s.p ? (struct km_qval){.t = KM_QV_STR, .s = s} : qv_null();
}

static struct km_qval lit_val(const struct km_query_lit *l)
{
    switch (l->kind) {
    case KM_QL_STRING:
    case KM_QL_REGEX: return (struct km_qval){.t = KM_QV_STR, .s = l->s};
    case KM_QL_INT:
    case KM_QL_DURATION: return (struct km_qval){.t = KM_QV_INT, .i = l->i};
    case KM_QL_FLOAT: return (struct km_qval){.t = KM_QV_FLOAT, .f = l->f};
    case KM_QL_BOOL: return qv_bool((int)l->i);
    }
    return qv_null();
}

static int qv_num(const struct km_qval *v, double *d)
{
    switch (v->t) {
    case KM_QV_INT:
    case KM_QV_TIME:
    case KM_QV_BOOL: *d = (double)v->i; return 1;
    case KM_QV_FLOAT: *d = v->f; return 1;
    case KM_QV_STR: {
        if (!v->s.n || v->s.n > 60)
            return 0;
        char b[64], *e;
        memcpy(b, v->s.p, v->s.n);
        b[v->s.n] = 0;
        *d = strtod(b, &e);
        return *e == 0 && isfinite(*d);
    }
    }
    return 0;
}

size_t km_qval_fmt(const struct km_qval *v, int tz_min, char *out, size_t cap)
{
    int n = 0;
    switch (v->t) {
    case KM_QV_NULL: n = snprintf(out, cap, "%s", ""); break;
    case KM_QV_STR: {
        size_t k = v->s.n < cap - 1 ? v->s.n : cap - 1;
        memcpy(out, v->s.p, k);
        out[k] = 0;
        return k;
    }
    case KM_QV_INT: n = snprintf(out, cap, "%lld", (long long)v->i); break;
    case KM_QV_BOOL: n = snprintf(out, cap, "%s", v->i ? "true" : "false"); break;
    case KM_QV_FLOAT:
        if (v->f == floor(v->f) && fabs(v->f) < 1e15)
            n = snprintf(out, cap, "%.0f", v->f);
        else
            n = snprintf(out, cap, "%.6g", v->f);
        break;
    case KM_QV_TIME: {
        int64_t us = v->i + (int64_t)tz_min * 60000000LL;
        int64_t sec = us >= 0 ? us / 1000000 : -((-us + 999999) / 1000000);
        int64_t frac = us - sec * 1000000;
        int64_t days = sec >= 0 ? sec / 86400 : -((-sec + 86399) / 86400);
        int64_t rem = sec - days * 86400;
        /* civil from days (Howard Hinnant's algorithm, public domain) */
        int64_t z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
        int64_t doe = z - era * 146097;
        int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        int64_t y = yoe + era * 400, doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        int64_t mp = (5 * doy + 2) / 153, d = doy - (153 * mp + 2) / 5 + 1;
        int64_t m = mp < 10 ? mp + 3 : mp - 9;
        y += m <= 2;
        char zone[8] = "Z";
        if (tz_min)
            snprintf(zone, sizeof zone, "%c%02d:%02d", tz_min < 0 ? '-' : '+', abs(tz_min) / 60,
                     abs(tz_min) % 60);
        if (frac)
            n = snprintf(out, cap, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lld.%06lld%s",
                         (long long)y, (long long)m, (long long)d, (long long)(rem / 3600),
                         (long long)(rem / 60 % 60), (long long)(rem % 60), (long long)frac, zone);
        else
            n = snprintf(out, cap, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lld%s", (long long)y,
                         (long long)m, (long long)d, (long long)(rem / 3600),
                         (long long)(rem / 60 % 60), (long long)(rem % 60), zone);
        break;
    }
    }
    if (n < 0)
        n = 0;
    return (size_t)n < cap ? (size_t)n : cap - 1;
}

/* Compares two present values: <0, 0, >0; sets *ok = 0 when incomparable. */
static int qv_cmp(const struct km_qval *a, const struct km_qval *b, int *ok)
{
    *ok = 1;
    if (a->t == KM_QV_STR && b->t == KM_QV_STR) {
        size_t m = a->s.n < b->s.n ? a->s.n : b->s.n;
        int c = m ? memcmp(a->s.p, b->s.p, m) : 0;
        return c ? c : (a->s.n > b->s.n) - (a->s.n < b->s.n);
    }
    if ((a->t == KM_QV_TIME && b->t == KM_QV_STR) || (a->t == KM_QV_STR && b->t == KM_QV_TIME)) {
        const struct km_qval *t = a->t == KM_QV_TIME ? a : b, *s = a->t == KM_QV_TIME ? b : a;
        int64_t us;
        if (km_time_parse(s->s.p, s->s.n, &us) != KM_OK) {
            *ok = 0;
            return 0;
        }
        int c = (t->i > us) - (t->i < us);
        return a == t ? c : -c;
    }
    if ((a->t == KM_QV_TIME && (b->t == KM_QV_INT || b->t == KM_QV_FLOAT)) ||
        (b->t == KM_QV_TIME && (a->t == KM_QV_INT || a->t == KM_QV_FLOAT))) {
        /* a number against a time is Unix epoch seconds (docs/query.md) */
        const struct km_qval *t = a->t == KM_QV_TIME ? a : b, *x = a->t == KM_QV_TIME ? b : a;
        double us = x->t == KM_QV_INT ? (double)x->i * 1e6 : x->f * 1e6;
        double tv = (double)t->i;
        int c = (tv > us) - (tv < us);
        if (x->t == KM_QV_INT && x->i > -9223372036854LL && x->i < 9223372036854LL) {
            int64_t u = x->i * 1000000; /* exact */
            c = (t->i > u) - (t->i < u);
        }
        return a == t ? c : -c;
    }
    if (a->t == KM_QV_BOOL && b->t == KM_QV_STR)
        return km_str_eqc(b->s, a->i ? "true" : "false") ? 0 : 1;
    if (a->t == KM_QV_STR && b->t == KM_QV_BOOL)
        return km_str_eqc(a->s, b->i ? "true" : "false") ? 0 : 1;
    double x, y;
    if (qv_num(a, &x) && qv_num(b, &y))
        return (x > y) - (x < y);
    /* a number against text that is not a number: compare as text */
    char ba[64], bb[64];
    struct km_qval ta = *a, tb = *b;
    if (ta.t != KM_QV_STR) {
        ta.s.n = (uint32_t)km_qval_fmt(a, 0, ba, sizeof ba);
        ta.s.p = ba;
        ta.t = KM_QV_STR;
    }
    if (tb.t != KM_QV_STR) {
        tb.s.n = (uint32_t)km_qval_fmt(b, 0, bb, sizeof bb);
        tb.s.p = bb;
        tb.t = KM_QV_STR;
    }
    return qv_cmp(&ta, &tb, ok);
}

static int like_wild(const char *p, size_t pn, const char *s, size_t sn)
{
    /* iterative glob: % any run, _ one UTF-8 character */
    size_t pi = 0, si = 0, star = (size_t)-1, mark = 0;
    while (si < sn) {
        if (pi < pn && p[pi] == '%') {
            star = pi++;
            mark = si;
        } else if (pi < pn && p[pi] == '_') {
            pi++;
            si++;
            while (si < sn && ((unsigned char)s[si] & 0xC0) == 0x80)
                si++;
        } else if (pi < pn && p[pi] == s[si]) {
            pi++;
            si++;
        } else if (star != (size_t)-1) {
            pi = star + 1;
            si = ++mark;
        } else {
            return 0;
        }
    }
    while (pi < pn && p[pi] == '%')
        pi++;
    return pi == pn;
}

/* pcre2_match for the regex literal lit: 1 match, 0 no match. Any other
 * outcome (the match, depth or heap limit on a pathological value) is not a
 * "no match": the query stops with an error naming the pattern. */
static int re_match(struct run *R, const struct km_query_lit *lit, pcre2_code *re,
                    pcre2_match_data *md, struct km_str s)
{
    int rc = pcre2_match(re, (PCRE2_SPTR)(s.p ? s.p : ""), s.n, 0, 0, md, NULL);
    if (rc >= 0 || rc == PCRE2_ERROR_NOMATCH)
        return rc >= 0;
    PCRE2_UCHAR msg[160];
    if (pcre2_get_error_message(rc, msg, sizeof msg) < 0)
        snprintf((char *)msg, sizeof msg, "PCRE2 error %d", rc);
    km_query_err_set(R->err, R->text, R->tn, lit->off, KM_ELIMIT,
                     "simplify the pattern (nested repetition such as (a+)+ backtracks without "
                     "end) or narrow the rows first with another filter",
                     "regular expression /%.80s/ could not be matched against a value of %u bytes: "
                     "%s",
                     lit->s.p, s.n, (const char *)msg);
    R->stop = 1;
    if (!R->rc)
        R->rc = KM_ELIMIT;
    return 0;
}

/* ---- reading the current row --------------------------------------------- */

static void row_event(struct run *R)
{
    if (R->ev_state)
        return;
    struct km_err e;
    km_err_clear(&e);
    R->ev_state = km_seg_event(R->seg, R->row, &R->ev, &e) == KM_OK ? 1 : -1;
}

/* The raw bytes of the current row (not parsed): 1 and *p, *n, or 0. */
static int row_raw_bytes(struct run *R, const char **p, uint32_t *n)
{
    if (R->rawb_state == 0) {
        R->rawb_state = -1;
        struct km_err e;
        km_err_clear(&e);
        if (km_seg_rawref(R->seg, R->row, &R->rref, &e) != KM_OK)
            return 0;
        if (!R->rc_cache)
            R->rc_cache = km_raw_cache_new(R->s, 0);
        if (km_raw_cache_get(R->rc_cache, &R->rref, &R->rawb, &e) != KM_OK || !R->rawb)
            return 0;
        R->st->raw_reads++;
        R->rawb_state = 1;
    }
    if (R->rawb_state != 1)
        return 0;
    *p = R->rawb;
    *n = R->rref.length;
    return 1;
}

static void row_raw(struct run *R)
{
    if (R->raw_state)
        return;
    R->raw_state = -1;
    const char *p;
    uint32_t n;
    if (!row_raw_bytes(R, &p, &n))
        return;
    km_arena_reset(&R->ja);
    char *copy = km_arena_alloc(&R->ja, n + 1);
    if (!copy)
        return;
    memcpy(copy, p, n);
    copy[n] = 0;
    struct km_json *root;
    struct km_err e;
    km_err_clear(&e);
    if (km_json_parse(copy, n, NULL, &R->ja, &root, &e) != KM_OK) {
        /* CSV rows and other non-JSON originals have no paths */
        return;
    }
    R->raw = root;
    R->raw_state = 1;
}

/* `path = "text"` can only hold when the record's bytes contain the text (a
 * literal without characters JSON would escape): 0 when it certainly fails. */
/* The `path = "text"` shortcut decides without parsing the record, so the path
 * was not looked up: when every key of the path occurs quoted in the record's
 * bytes (or the record escapes characters), the path may exist there, and it
 * counts as seen so that the "exists in no event" warning stays true. */
static void raw_mark_maybe(struct run *R, const struct cx *fc)
{
    const struct km_query_path *pa = &fc->x->path;
    int k = fc->rawk;
    const char *p;
    uint32_t n;
    if (k < 0 || R->rawfound[k] || !row_raw_bytes(R, &p, &n))
        return;
    R->rawlooked[k]++;
    if (!memmem(p, n, "\\u", 2)) {
        for (uint32_t i = 0; i < pa->nseg; i++) {
            const struct km_str sg = pa->seg[i];
            if (isdigit((unsigned char)sg.p[0]))
                continue; /* an array index (or a key): not checked */
            const char *q = p, *e = p + n, *hit = NULL;
            while (!hit && (q = memmem(q, (size_t)(e - q), sg.p, sg.n)) != NULL) {
                if (q > p && q[-1] == '"' && q + sg.n < e && q[sg.n] == '"')
                    hit = q;
                q++;
            }
            if (!hit)
                return;
        }
    }
    R->rawfound[k] = 1;
}

static int raw_may_contain(struct run *R, const struct km_str lit)
{
    double d;
    struct km_qval lv = {.t = KM_QV_STR, .s = lit};
    if (qv_num(&lv, &d))
        return 1; /* "50140.0" equals the number 50140, however the record spells it */
    for (uint32_t i = 0; i < lit.n; i++) {
        unsigned char ch = (unsigned char)lit.p[i];
        if (ch < 0x20 || ch == '"' || ch == '\\' || ch == '/' || ch >= 0x7f)
            return 1; /* could be written escaped: no shortcut */
    }
    const char *p;
    uint32_t n;
    if (!lit.n || !row_raw_bytes(R, &p, &n))
        return 1;
    if (memmem(p, n, lit.p, lit.n))
        return 1;
    /* JSON may write any character as \uXXXX (Go's encoder writes & < > so) */
    return memmem(p, n, "\\u", 2) != NULL;
}

static struct km_qval json_val(struct run *R, const struct km_json *v)
{
    if (!v)
        return qv_null();
    switch (v->type) {
    case KM_JSON_STRING: return (struct km_qval){.t = KM_QV_STR, .s = {v->str, v->len}};
    case KM_JSON_NUMBER: {
        int64_t i;
        double d;
        if (km_json_i64(v, &i) == KM_OK)
            return (struct km_qval){.t = KM_QV_INT, .i = i};
        if (km_json_f64(v, &d) == KM_OK)
            return (struct km_qval){.t = KM_QV_FLOAT, .f = d};
        return (struct km_qval){.t = KM_QV_STR, .s = {v->str, v->len}};
    }
    case KM_JSON_TRUE: return qv_bool(1);
    case KM_JSON_FALSE: return qv_bool(0);
    case KM_JSON_NULL: return qv_null();
    default: {
        struct km_buf b;
        km_buf_init(&b, 1 << 20);
        km_json_write_value(&b, v);
        char *s = km_arena_strndup(&R->ra, b.p, b.n);
        struct km_qval r = s ? (struct km_qval){.t = KM_QV_STR, .s = {s, (uint32_t)b.n}}
                             : qv_null();
        km_buf_free(&b);
        return r;
    }
    }
}

static struct km_qval raw_path(struct run *R, const struct cx *fc)
{
    const struct km_query_path *p = &fc->x->path;
    row_raw(R);
    if (fc->rawk >= 0)
        R->rawlooked[fc->rawk]++; /* a record that is not JSON (a CSV row) has no paths */
    if (R->raw_state != 1)
        return qv_null();
    const struct km_json *v = R->raw;
    for (uint32_t i = 0; i < p->nseg && v; i++) {
        const struct km_str sg = p->seg[i];
        if (v->type == KM_JSON_ARRAY) {
            char *e;
            unsigned long k = strtoul(sg.p, &e, 10);
            if (*e || !isdigit((unsigned char)sg.p[0])) {
                v = NULL;
                break;
            }
            const struct km_json *c = v->child;
            while (c && k--)
                c = c->next;
            v = c;
        } else {
            v = km_json_getn(v, sg.p, sg.n);
        }
    }
    if (v && fc->rawk >= 0)
        R->rawfound[fc->rawk] = 1;
    return json_val(R, v);
}

static struct km_qval eval(struct run *R, struct cx *c);

/* The person index of the current row, or -1. */
static int32_t person_idx(struct run *R)
{
    if (!R->graph)
        return -1;
    if (R->prow_seg != R->segno + 1) {
        uint64_t n = km_seg_rows(R->seg);
        if (R->prow_cap < n + 1) {
            free(R->prow);
            R->prow_cap = n + 1;
            R->prow = km_xmalloc(R->prow_cap * sizeof *R->prow);
        }
        struct km_err e;
        km_err_clear(&e);
        if (km_idgraph_seg_persons(R->graph, R->seg, R->prow, &e) != KM_OK)
            for (uint64_t r = 0; r < n; r++)
                R->prow[r] = -1;
        R->prow_seg = R->segno + 1;
    }
    return R->prow[R->row];
}

/* The person of the current row: the e-mail key, or null. */
static struct km_qval person_val(struct run *R)
{
    int32_t p = person_idx(R);
    return p >= 0 ? qv_str(km_str_c(km_idgraph_person(R->graph, (size_t)p)->email)) : qv_null();
}

/* For `person = "x"` / `!=` / `in [...]` with string literals: builds c->pbm
 * once and returns 1; 0 for any other condition. */
static int person_lits(struct run *R, struct cx *c)
{
    if (c->pbm_state)
        return c->pbm_state > 0;
    const struct km_query_expr *x = c->x;
    c->pbm_state = -1;
    if (!R->graph || c->na < 1 || c->a[0]->ref != R_PERSON)
        return 0;
    int cmp = x->kind == KM_QE_CMP && (x->op == KM_QC_EQ || x->op == KM_QC_NE) && c->na == 2 &&
              c->a[1]->x->kind == KM_QE_LITERAL && c->a[1]->x->lit.kind == KM_QL_STRING;
    int in = x->kind == KM_QE_IN;
    for (uint32_t i = 0; in && i < x->nlist; i++)
        in = x->list[i].kind == KM_QL_STRING;
    if (!cmp && !in)
        return 0;
    c->pbm = ca_alloc(R, km_idgraph_npersons(R->graph) + 1);
    uint32_t nl = cmp ? 1 : x->nlist;
    for (uint32_t i = 0; i < nl; i++) {
        const struct km_str lit = cmp ? c->a[1]->x->lit.s : x->list[i].s;
        int p = km_idgraph_person_by_email(R->graph, lit.p, lit.n);
        /* the person field is the exact e-mail key */
        if (p >= 0 && strlen(km_idgraph_person(R->graph, (size_t)p)->email) == lit.n &&
            memcmp(km_idgraph_person(R->graph, (size_t)p)->email, lit.p, lit.n) == 0)
            c->pbm[p] = 1;
    }
    c->pbm_state = 1;
    return 1;
}

static int truthy(const struct km_qval *v)
{
    switch (v->t) {
    case KM_QV_BOOL:
    case KM_QV_INT: return v->i != 0;
    case KM_QV_FLOAT: return v->f != 0;
    case KM_QV_STR: return v->s.n > 0;
    case KM_QV_TIME: return 1;
    }
    return 0;
}

/* The value of a NORM field for the current row, or (bitmap building) the
 * dictionary value being tested. */
static struct km_qval norm_val(struct run *R, int field)
{
    struct km_str v;
    struct km_err e;
    km_err_clear(&e);
    if (km_seg_str(R->seg, field, R->row, &v, &e) != KM_OK)
        return qv_null();
    if (!v.p && field == KM_F_EVENT_ID && R->has_base) {
        /* a lower-case UUID id is kept only as the key: km_seg_event rebuilds it */
        row_event(R);
        if (R->ev_state == 1)
            return qv_str(R->ev.f[KM_F_EVENT_ID]);
    }
    return qv_str(v);
}

/* While building a bitmap: the field and value the NORM ref stands for. */
static int bm_field = -1;
static struct km_qval bm_value;

static struct km_qval eval_call(struct run *R, struct cx *c)
{
    const struct km_query_expr *x = c->x;
    switch (x->fn) {
    case KM_QF_BIN: {
        struct km_qval tv = eval(R, c->a[c->na]);
        if (tv.t != KM_QV_TIME)
            return qv_null();
        int64_t t = tv.i;
        int64_t d = x->args[0]->lit.i > 0 ? x->args[0]->lit.i : 1;
        int64_t b = t >= 0 ? t / d * d : -((-t + d - 1) / d) * d;
        return (struct km_qval){.t = KM_QV_TIME, .i = b};
    }
    case KM_QF_ISPRESENT: {
        struct km_qval v = eval(R, c->a[0]);
        return qv_bool(v.t != KM_QV_NULL && !(v.t == KM_QV_STR && v.s.n == 0));
    }
    case KM_QF_ISIPINSUBNET: {
        struct km_qval v = eval(R, c->a[0]);
        if (v.t != KM_QV_STR)
            return qv_bool(0);
        const struct km_str cidr = x->args[1]->lit.s;
        const char *slash = memchr(cidr.p, '/', cidr.n);
        uint8_t a[16], net[16];
        int v4a, v4n;
        if (km_ip_parse(v.s.p, v.s.n, a, &v4a) != KM_OK)
            return qv_bool(0);
        size_t hn = slash ? (size_t)(slash - cidr.p) : cidr.n;
        if (km_ip_parse(cidr.p, hn, net, &v4n) != KM_OK)
            return qv_bool(0);
        long bits = slash ? strtol(slash + 1, NULL, 10) : (v4n ? 32 : 128);
        if (v4n)
            bits += 96; /* IPv4 is stored IPv4-mapped */
        if (bits < 0 || bits > 128)
            return qv_bool(0);
        for (long i = 0; i < bits; i++)
            if (((a[i / 8] ^ net[i / 8]) >> (7 - i % 8)) & 1)
                return qv_bool(0);
        return qv_bool(1);
    }
    case KM_QF_COALESCE:
        for (uint32_t i = 0; i < c->na; i++) {
            struct km_qval v = eval(R, c->a[i]);
            if (v.t != KM_QV_NULL && !(v.t == KM_QV_STR && v.s.n == 0))
                return v;
        }
        return qv_null();
    case KM_QF_TOLOWER: {
        struct km_qval v = eval(R, c->a[0]);
        if (v.t != KM_QV_STR)
            return v;
        char *s = km_arena_alloc(&R->ra, v.s.n + 1);
        if (!s)
            return qv_null();
        for (uint32_t i = 0; i < v.s.n; i++)
            s[i] = (char)tolower((unsigned char)v.s.p[i]);
        s[v.s.n] = 0;
        v.s.p = s;
        return v;
    }
    case KM_QF_STRLEN: {
        struct km_qval v = eval(R, c->a[0]);
        if (v.t == KM_QV_NULL)
            return v;
        char b[64];
        size_t n = v.t == KM_QV_STR ? v.s.n : km_qval_fmt(&v, 0, b, sizeof b);
        return (struct km_qval){.t = KM_QV_INT, .i = (int64_t)n};
    }
    default: return qv_null();
    }
}

static struct km_qval eval(struct run *R, struct cx *c)
{
    if (c->bm_seg == R->segno + 1 && R->has_base && bm_field < 0) {
        /* a condition on one dictionary field: its bitmap answers */
        const void *codes;
        int w;
        struct km_err e;
        km_err_clear(&e);
        if (km_seg_codes(R->seg, c->onef, &codes, &w, &e) == KM_OK && codes) {
            uint32_t code = w == 1   ? ((const uint8_t *)codes)[R->row]
                            : w == 2 ? ((const uint16_t *)codes)[R->row]
                                     : ((const uint32_t *)codes)[R->row];
            return qv_bool(code < c->bmcap && c->bm[code]);
        }
    }
    if (c->has_konst)
        return c->konst;
    const struct km_query_expr *x = c->x;
    switch (x->kind) {
    case KM_QE_LITERAL: return lit_val(&x->lit);
    case KM_QE_FIELD:
        switch (c->ref) {
        case R_SLOT: return R->slots[c->slot];
        case R_NORM:
            if (bm_field == c->field)
                return bm_value;
            return R->has_base ? norm_val(R, c->field) : qv_null();
        case R_TIME: {
            if (!R->has_base)
                return qv_null();
            const int64_t *ts;
            struct km_err e;
            km_err_clear(&e);
            if (km_seg_times(R->seg, &ts, &e) != KM_OK)
                return qv_null();
            return (struct km_qval){.t = KM_QV_TIME, .i = ts[R->row]};
        }
        case R_RO:
        case R_MFA:
        case R_SEV: {
            if (!R->has_base)
                return qv_null();
            row_event(R);
            if (R->ev_state != 1)
                return qv_null();
            int v = c->ref == R_RO ? R->ev.read_only : c->ref == R_MFA ? R->ev.mfa : R->ev.severity;
            if (v < 0)
                return qv_null();
            return c->ref == R_SEV ? (struct km_qval){.t = KM_QV_INT, .i = v} : qv_bool(v);
        }
        case R_RAW: return R->has_base ? raw_path(R, c) : qv_null();
        case R_FLAGS: {
            /* the event's flags by name, comma-separated; missing when none */
            if (!R->has_base)
                return qv_null();
            row_event(R);
            if (R->ev_state != 1)
                return qv_null();
            char fb[80];
            size_t fn = 0;
            for (size_t k = 0; k < KM_ARRAY_LEN(flag_names); k++)
                if (R->ev.flags & flag_names[k].bit)
                    fn += (size_t)snprintf(fb + fn, sizeof fb - fn, "%s%s", fn ? "," : "",
                                           flag_names[k].name);
            if (!fn)
                return qv_null();
            char *fs = km_arena_strndup(&R->ra, fb, fn);
            return fs ? (struct km_qval){.t = KM_QV_STR, .s = {fs, (uint32_t)fn}} : qv_null();
        }
        case R_GEO:
            if (bm_field >= 0 && bm_field == c->onef)
                return km_qgeo_value(R->qgeo, c->field, bm_value.s);
            return R->has_base ? km_qgeo_row(R->qgeo, c->field, R->seg, R->segno, R->row)
                               : qv_null();
        case R_PERSON: return R->has_base ? person_val(R) : qv_null();
        case R_MSG: {
            const char *p;
            uint32_t len;
            if (!R->has_base || !row_raw_bytes(R, &p, &len))
                return qv_null();
            char *s = km_arena_strndup(&R->ra, p, len);
            return s ? (struct km_qval){.t = KM_QV_STR, .s = {s, len}} : qv_null();
        }
        default: return qv_null();
        }
    case KM_QE_CALL: return eval_call(R, c);
    case KM_QE_NOT: {
        struct km_qval v = eval(R, c->a[0]);
        return qv_bool(!truthy(&v));
    }
    case KM_QE_AND:
        for (uint32_t i = 0; i < c->na; i++) {
            struct km_qval v = eval(R, c->a[i]);
            if (!truthy(&v))
                return qv_bool(0);
        }
        return qv_bool(1);
    case KM_QE_OR:
        for (uint32_t i = 0; i < c->na; i++) {
            struct km_qval v = eval(R, c->a[i]);
            if (truthy(&v))
                return qv_bool(1);
        }
        return qv_bool(0);
    case KM_QE_CMP: {
        if (R->has_base && c->a[0]->ref == R_PERSON && person_lits(R, c)) {
            int32_t p = person_idx(R);
            int hit = p >= 0 && c->pbm[p];
            return qv_bool(x->op == KM_QC_NE ? !hit : hit);
        }
        if ((x->op == KM_QC_EQ || x->op == KM_QC_NE) && R->has_base && c->a[0]->ref == R_RAW &&
            c->a[0]->x->kind == KM_QE_FIELD && c->a[1]->x->kind == KM_QE_LITERAL &&
            c->a[1]->x->lit.kind == KM_QL_STRING && !raw_may_contain(R, c->a[1]->x->lit.s)) {
            raw_mark_maybe(R, c->a[0]);
            return qv_bool(x->op == KM_QC_NE);
        }
        struct km_qval a = eval(R, c->a[0]), b = eval(R, c->a[1]);
        if (a.t == KM_QV_NULL || b.t == KM_QV_NULL)
            return qv_bool(x->op == KM_QC_NE);
        int ok, r = qv_cmp(&a, &b, &ok);
        if (!ok)
            return qv_bool(x->op == KM_QC_NE);
        switch (x->op) {
        case KM_QC_EQ: return qv_bool(r == 0);
        case KM_QC_NE: return qv_bool(r != 0);
        case KM_QC_LT: return qv_bool(r < 0);
        case KM_QC_LE: return qv_bool(r <= 0);
        case KM_QC_GT: return qv_bool(r > 0);
        case KM_QC_GE: return qv_bool(r >= 0);
        }
        return qv_bool(0);
    }
    case KM_QE_IN: {
        if (R->has_base && c->a[0]->ref == R_PERSON && person_lits(R, c)) {
            int32_t p = person_idx(R);
            return qv_bool(p >= 0 && c->pbm[p]);
        }
        struct km_qval a = eval(R, c->a[0]);
        if (a.t == KM_QV_NULL)
            return qv_bool(0);
        for (uint32_t i = 0; i < x->nlist; i++) {
            struct km_qval b = lit_val(&x->list[i]);
            int ok;
            if (qv_cmp(&a, &b, &ok) == 0 && ok)
                return qv_bool(1);
        }
        return qv_bool(0);
    }
    case KM_QE_LIKE:
    case KM_QE_MATCH: {
        struct km_qval a = eval(R, c->a[0]);
        if (a.t == KM_QV_NULL)
            return qv_bool(0);
        char b[64];
        struct km_str s = a.s;
        if (a.t != KM_QV_STR) {
            s.n = (uint32_t)km_qval_fmt(&a, 0, b, sizeof b);
            s.p = b;
        }
        if (c->re)
            return qv_bool(re_match(R, &x->lit, c->re, c->md, s));
        const struct km_str p = x->lit.s;
        if (x->like == KM_QLIKE_SUBSTRING)
            return qv_bool(p.n == 0 || (s.n >= p.n && memmem(s.p, s.n, p.p, p.n) != NULL));
        return qv_bool(like_wild(p.p, p.n, s.p, s.n));
    }
    }
    return qv_null();
}

/* `field = "lit"`, `field != "lit"`, `field in [lits]` on a dictionary
 * field: the condition's bitmap by binary search of the sorted dictionary. */
static int is_dict_lookup(const struct cx *c)
{
    const struct km_query_expr *x = c->x;
    if (c->onef < 0 || km_fields[c->onef].enc != KM_ENC_DICT)
        return 0;
    if (x->kind == KM_QE_CMP)
        return (x->op == KM_QC_EQ || x->op == KM_QC_NE) && c->na == 2 &&
               c->a[0]->x->kind == KM_QE_FIELD && c->a[0]->ref == R_NORM &&
               c->a[1]->x->kind == KM_QE_LITERAL && c->a[1]->x->lit.kind == KM_QL_STRING;
    if (x->kind != KM_QE_IN || c->a[0]->x->kind != KM_QE_FIELD || c->a[0]->ref != R_NORM)
        return 0;
    for (uint32_t i = 0; i < x->nlist; i++)
        if (x->list[i].kind != KM_QL_STRING)
            return 0;
    return 1;
}

/* Fills *bm (grown to the segment's dictionary) for a dict lookup; returns 1
 * (and *any) when c is one, 0 otherwise. Thread-safe: touches only seg and
 * the caller's buffer. */
static int dict_bitmap(struct km_seg *seg, const struct cx *c, uint8_t **bm, uint32_t *cap,
                       int *any)
{
    if (!is_dict_lookup(c))
        return 0;
    const struct km_query_expr *x = c->x;
    uint32_t n = km_seg_dict_size(seg, c->onef);
    if (*cap < n + 1) {
        free(*bm);
        *cap = n + 1;
        *bm = km_xmalloc(*cap);
    }
    int eq = x->kind == KM_QE_CMP, ne = eq && x->op == KM_QC_NE;
    memset(*bm, ne, n + 1);
    uint32_t nl = eq ? 1 : x->nlist;
    for (uint32_t i = 0; i < nl; i++) {
        const struct km_str lit = eq ? c->a[1]->x->lit.s : x->list[i].s;
        uint32_t code;
        if (km_seg_dict_find(seg, c->onef, lit.p, lit.n, &code) == 1 && code <= n)
            (*bm)[code] = (uint8_t)!ne;
    }
    if (ne)
        (*bm)[0] = 1; /* a missing value is != anything */
    *any = 0;
    for (uint32_t code = 0; code <= n; code++)
        *any |= (*bm)[code];
    return 1;
}

/* Builds c's bitmap for this segment when c is a condition on one dict field.
 * Returns 0 when the condition holds for no value (the segment can go). */
static int build_bitmap(struct run *R, struct cx *c)
{
    if (c->onef < 0 || km_seg_field_kind(R->seg, c->onef) == KM_SEG_PLAIN)
        return 1;
    uint32_t n = km_seg_dict_size(R->seg, c->onef);
    if (c->bmcap < n + 1) {
        free(c->bm);
        c->bmcap = n + 1;
        c->bm = km_xmalloc(c->bmcap);
    }
    c->bm_any = 0;
    int any;
    if (dict_bitmap(R->seg, c, &c->bm, &c->bmcap, &any)) {
        c->bm_any = any;
        c->bm_seg = R->segno + 1;
        return any;
    }
    bm_field = c->onef;
    int save = R->has_base;
    R->has_base = 0;
    for (uint32_t code = 0; code <= n; code++) {
        struct km_str v = KM_STR_NONE;
        struct km_err e;
        km_err_clear(&e);
        if (code)
            km_seg_dict_get(R->seg, c->onef, code, &v, &e);
        bm_value = qv_str(v);
        km_arena_reset(&R->ra);
        struct km_qval r = eval(R, c);
        c->bm[code] = (uint8_t)truthy(&r);
        c->bm_any |= c->bm[code];
    }
    R->has_base = save;
    bm_field = -1;
    c->bm_seg = R->segno + 1;
    return c->bm_any;
}

/* ---- stages ---------------------------------------------------------------- */

static uint64_t qv_hash(const struct km_qval *v, uint64_t h)
{
    h ^= v->t;
    h *= 0x100000001b3ULL;
    if (v->t == KM_QV_STR) {
        for (uint32_t i = 0; i < v->s.n; i++)
            h = (h ^ (unsigned char)v->s.p[i]) * 0x100000001b3ULL;
    } else if (v->t == KM_QV_FLOAT) {
        uint64_t b;
        memcpy(&b, &v->f, 8);
        h = (h ^ b) * 0x100000001b3ULL;
    } else if (v->t != KM_QV_NULL) {
        h = (h ^ (uint64_t)v->i) * 0x100000001b3ULL;
    }
    return h ^ (h >> 29);
}

static int qv_same(const struct km_qval *a, const struct km_qval *b)
{
    if (a->t != b->t)
        return 0;
    if (a->t == KM_QV_STR)
        return a->s.n == b->s.n && (!a->s.n || memcmp(a->s.p, b->s.p, a->s.n) == 0);
    if (a->t == KM_QV_FLOAT)
        return a->f == b->f;
    return a->t == KM_QV_NULL || a->i == b->i;
}

static struct km_qval qv_copy(struct km_arena *a, struct km_qval v)
{
    if (v.t == KM_QV_STR) {
        char *s = km_arena_strndup(a, v.s.p ? v.s.p : "", v.s.n);
        if (!s)
            return qv_null();
        v.s.p = s;
    }
    return v;
}

/* set of 64-bit hashes (0 never stored) */
static int set_add(uint64_t **set, uint64_t *cap, uint64_t *n, uint64_t h)
{
    h = h ? h : 1;
    if (2 * (*n + 1) > *cap) {
        uint64_t ncap = *cap ? *cap * 2 : 64;
        uint64_t *t = calloc(ncap, sizeof *t);
        if (!t)
            return -1;
        for (uint64_t i = 0; i < *cap; i++)
            if ((*set)[i]) {
                uint64_t j = (*set)[i] & (ncap - 1);
                while (t[j])
                    j = (j + 1) & (ncap - 1);
                t[j] = (*set)[i];
            }
        free(*set);
        *set = t;
        *cap = ncap;
    }
    uint64_t j = h & (*cap - 1);
    while ((*set)[j]) {
        if ((*set)[j] == h)
            return 0;
        j = (j + 1) & (*cap - 1);
    }
    (*set)[j] = h;
    (*n)++;
    return 1;
}

static void push(struct run *R, uint32_t si);

static int cmp_rows_stage;  /* qsort context */
static struct run *cmp_run;
static int row_cmp(const void *pa, const void *pb)
{
    const struct srow *a = pa, *b = pb;
    const struct stage *sg = &cmp_run->stages[cmp_rows_stage];
    for (uint32_t i = 0; i < sg->nitems; i++) {
        const struct km_qval *x = &a->keys[i], *y = &b->keys[i];
        int r;
        if (x->t == KM_QV_NULL || y->t == KM_QV_NULL)
            r = (x->t == KM_QV_NULL) - (y->t == KM_QV_NULL); /* missing last */
        else {
            int ok;
            r = qv_cmp(x, y, &ok);
            if (sg->desc[i])
                r = -r;
        }
        if (r)
            return r;
    }
    return 0;
}

/* Sort buffer: keeps at most 2*keep rows, cutting back to keep. */
static void sort_cut(struct run *R, struct stage *sg, uint32_t si)
{
    cmp_rows_stage = (int)si;
    cmp_run = R;
    if (sg->nrows > 1) /* rows is NULL when nothing reached the sort */
        qsort(sg->rows, sg->nrows, sizeof *sg->rows, row_cmp);
    if (sg->nrows > (uint64_t)sg->limit) {
        sg->nrows = (uint64_t)sg->limit;
        R->st->truncated |= sg->limit == R->max_rows;
        /* compact the arena: copy the kept rows out */
        struct km_arena na;
        km_arena_init(&na, 1 << 20, (size_t)4 << 30);
        for (uint64_t r = 0; r < sg->nrows; r++) {
            struct km_qval *sl = km_arena_alloc(&na, R->nslots * sizeof *sl + 1);
            struct km_qval *k = km_arena_alloc(&na, sg->nitems * sizeof *k + 1);
            for (uint32_t i = 0; i < R->nslots; i++)
                sl[i] = qv_copy(&na, sg->rows[r].slots[i]);
            for (uint32_t i = 0; i < sg->nitems; i++)
                k[i] = qv_copy(&na, sg->rows[r].keys[i]);
            sg->rows[r].slots = sl;
            sg->rows[r].keys = k;
        }
        km_arena_free(&sg->arena);
        sg->arena = na;
    }
}

static struct gstate *group_get(struct run *R, struct stage *sg, const struct km_qval *keys)
{
    uint64_t h = 0x9e3779b97f4a7c15ULL;
    for (uint32_t i = 0; i < sg->nitems; i++)
        h = qv_hash(&keys[i], h);
    if (!sg->tab) {
        sg->tabcap = 1024;
        sg->tab = km_xcalloc(sg->tabcap, sizeof *sg->tab);
    }
    uint64_t b = h & (sg->tabcap - 1);
    for (struct group *g = sg->tab[b]; g; g = g->next) {
        if (g->h != h)
            continue;
        uint32_t i = 0;
        while (i < sg->nitems && qv_same(&g->keys[i], &keys[i]))
            i++;
        if (i == sg->nitems)
            return g->st;
    }
    struct group *g = km_arena_alloc(&sg->arena, sizeof *g);
    struct km_qval *k = km_arena_alloc(&sg->arena, (sg->nitems + 1) * sizeof *k);
    struct gstate *st = km_arena_alloc(&sg->arena, (sg->naggs + 1) * sizeof *st);
    if (!g || !k || !st) {
        R->rc = KM_ENOMEM;
        R->stop = 1;
        return NULL;
    }
    memset(st, 0, (sg->naggs + 1) * sizeof *st);
    for (uint32_t i = 0; i < sg->naggs; i++)
        st[i].allint = 1;
    for (uint32_t i = 0; i < sg->nitems; i++)
        k[i] = qv_copy(&sg->arena, keys[i]);
    g->keys = k;
    g->st = st;
    g->h = h;
    g->next = sg->tab[b];
    sg->tab[b] = g;
    sg->ngroups++;
    if (sg->ngroups > sg->tabcap) { /* grow the chain table */
        uint64_t ncap = sg->tabcap * 4;
        struct group **t = km_xcalloc(ncap, sizeof *t);
        for (uint64_t i = 0; i < sg->tabcap; i++)
            for (struct group *x = sg->tab[i], *nx; x; x = nx) {
                nx = x->next;
                x->next = t[x->h & (ncap - 1)];
                t[x->h & (ncap - 1)] = x;
            }
        free(sg->tab);
        sg->tab = t;
        sg->tabcap = ncap;
    }
    return st;
}

static int64_t row_time(struct run *R, const struct agg *ag)
{
    if (ag->tcx) {
        struct km_qval tv = eval(R, ag->tcx);
        return tv.t == KM_QV_TIME ? tv.i : 0;
    }
    if (!R->has_base)
        return 0;
    const int64_t *ts;
    struct km_err e;
    km_err_clear(&e);
    return km_seg_times(R->seg, &ts, &e) == KM_OK ? ts[R->row] : 0;
}

static void agg_add(struct run *R, struct stage *sg, struct agg *ag, struct gstate *st)
{
    if (ag->fn == KM_QF_COUNT && !ag->arg) {
        st->n++;
        return;
    }
    struct km_qval v = eval(R, ag->arg);
    if (v.t == KM_QV_NULL || (v.t == KM_QV_STR && !v.s.n))
        return; /* missing, as ispresent() sees it: "" counts as missing */
    double d;
    switch (ag->fn) {
    case KM_QF_COUNT: st->n++; break;
    case KM_QF_COUNT_DISTINCT:
        if (set_add(&st->set, &st->setcap, &st->setn, qv_hash(&v, 7)) < 0)
            R->rc = KM_ENOMEM;
        break;
    case KM_QF_SUM:
    case KM_QF_AVG:
        if (!qv_num(&v, &d))
            break;
        st->n++;
        st->sum += d;
        if (v.t == KM_QV_INT)
            st->isum += v.i;
        else
            st->allint = 0;
        break;
    case KM_QF_MIN:
    case KM_QF_MAX: {
        int ok = 1, r = st->n ? qv_cmp(&v, &st->v, &ok) : 0;
        if (!st->n || (ok && (ag->fn == KM_QF_MIN ? r < 0 : r > 0)))
            st->v = qv_copy(&sg->arena, v);
        st->n++;
        break;
    }
    case KM_QF_EARLIEST:
    case KM_QF_LATEST: {
        int64_t t = row_time(R, ag);
        if (!st->n || (ag->fn == KM_QF_EARLIEST ? t < st->t : t > st->t)) {
            st->v = qv_copy(&sg->arena, v);
            st->t = t;
        }
        st->n++;
        break;
    }
    case KM_QF_PCT:
        if (!qv_num(&v, &d))
            break;
        if (st->nvals == st->capvals) {
            st->capvals = st->capvals ? st->capvals * 2 : 16;
            st->vals = km_xrealloc(st->vals, st->capvals * sizeof *st->vals);
        }
        st->vals[st->nvals++] = d;
        break;
    default: break;
    }
}

static int dbl_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static struct km_qval agg_result(struct agg *ag, struct gstate *st)
{
    switch (ag->fn) {
    case KM_QF_COUNT: return (struct km_qval){.t = KM_QV_INT, .i = st->n};
    case KM_QF_COUNT_DISTINCT: return (struct km_qval){.t = KM_QV_INT, .i = (int64_t)st->setn};
    case KM_QF_SUM:
        if (!st->n)
            return qv_null();
        return st->allint ? (struct km_qval){.t = KM_QV_INT, .i = st->isum}
                          : (struct km_qval){.t = KM_QV_FLOAT, .f = st->sum};
    case KM_QF_AVG:
        return st->n ? (struct km_qval){.t = KM_QV_FLOAT, .f = st->sum / (double)st->n}
                     : qv_null();
    case KM_QF_MIN:
    case KM_QF_MAX:
    case KM_QF_EARLIEST:
    case KM_QF_LATEST: return st->n ? st->v : qv_null();
    case KM_QF_PCT: {
        if (!st->nvals)
            return qv_null();
        qsort(st->vals, st->nvals, sizeof *st->vals, dbl_cmp);
        /* nearest rank */
        double rank = ceil(ag->pct / 100.0 * (double)st->nvals);
        uint64_t k = rank < 1 ? 0 : (uint64_t)rank - 1;
        if (k >= st->nvals)
            k = st->nvals - 1;
        double v = st->vals[k];
        if (v == floor(v) && fabs(v) < 9e15)
            return (struct km_qval){.t = KM_QV_INT, .i = (int64_t)v};
        return (struct km_qval){.t = KM_QV_FLOAT, .f = v};
    }
    default: return qv_null();
    }
}

static void emit_out(struct run *R, struct stage *sg)
{
    if ((int64_t)R->st->rows_out >= R->max_rows) {
        R->stop = 1;
        R->st->truncated = 1;
        return;
    }
    if (R->sink->event) {
        if (!R->has_base)
            return;
        struct km_event ev;
        struct km_err e;
        km_err_clear(&e);
        if (km_seg_event(R->seg, R->row, &ev, &e) != KM_OK) {
            R->rc = e.code;
            R->stop = 1;
            return;
        }
        R->st->rows_out++;
        if (R->sink->event(R->sink->ctx, &ev))
            R->stop = 1;
        return;
    }
    struct km_qval vals[64];
    uint32_t n = sg->nitems < 64 ? sg->nitems : 64;
    for (uint32_t i = 0; i < n; i++)
        vals[i] = eval(R, sg->items[i]);
    R->st->rows_out++;
    if (R->sink->row && R->sink->row(R->sink->ctx, (int)n, vals))
        R->stop = 1;
}

/* Runs the current row through stages si.. */
static void push(struct run *R, uint32_t si)
{
    for (; si < R->nstages && !R->stop; si++) {
        struct stage *sg = &R->stages[si];
        switch (sg->kind) {
        case S_FILTER: {
            struct km_qval v = eval(R, sg->cond);
            if (!truthy(&v))
                return;
            break;
        }
        case S_FIELDS: {
            /* evaluate all first: later items may not see earlier ones */
            struct km_qval tmp[64];
            uint32_t n = sg->nitems < 64 ? sg->nitems : 64;
            for (uint32_t i = 0; i < n; i++)
                tmp[i] = eval(R, sg->items[i]);
            for (uint32_t i = 0; i < n; i++)
                R->slots[sg->slots[i]] = tmp[i];
            break;
        }
        case S_PARSE: {
            struct km_qval v = eval(R, sg->src);
            for (uint32_t i = 0; i < sg->npslots; i++)
                R->slots[sg->pslots[i]] = qv_null();
            if (v.t != KM_QV_STR)
                break;
            if (sg->re) {
                if (!re_match(R, &sg->cmd->pattern, sg->re, sg->md, v.s))
                    break;
                PCRE2_SIZE *ov = pcre2_get_ovector_pointer(sg->md);
                for (uint32_t i = 0; i < sg->npslots; i++) {
                    int g = pcre2_substring_number_from_name(
                        sg->re, (PCRE2_SPTR)sg->cmd->names[i].p);
                    if (g < 0 || ov[2 * g] == PCRE2_UNSET)
                        continue;
                    R->slots[sg->pslots[i]] =
                        qv_str((struct km_str){v.s.p + ov[2 * g],
                                               (uint32_t)(ov[2 * g + 1] - ov[2 * g])});
                }
            } else {
                /* glob: literal pieces between '*', each star captures */
                const char *p = sg->cmd->pattern.s.p, *pe = p + sg->cmd->pattern.s.n;
                const char *s = v.s.p, *se = s + v.s.n;
                const char *star = memchr(p, '*', (size_t)(pe - p));
                size_t pre = star ? (size_t)(star - p) : (size_t)(pe - p);
                if ((size_t)(se - s) < pre || memcmp(s, p, pre) != 0)
                    break;
                s += pre;
                p += pre;
                uint32_t k = 0;
                int okm = 1;
                while (p < pe && *p == '*' && okm) {
                    p++;
                    const char *nstar = memchr(p, '*', (size_t)(pe - p));
                    size_t lit = nstar ? (size_t)(nstar - p) : (size_t)(pe - p);
                    const char *cap_end;
                    if (!nstar && lit == 0)
                        cap_end = se;            /* trailing star: the rest */
                    else if (lit == 0)
                        cap_end = s;             /* "**": empty capture */
                    else if (!nstar) {           /* last literal must end the text */
                        cap_end = (size_t)(se - s) >= lit && memcmp(se - lit, p, lit) == 0
                                      ? se - lit : NULL;
                    } else
                        cap_end = memmem(s, (size_t)(se - s), p, lit);
                    if (!cap_end) {
                        okm = 0;
                        break;
                    }
                    if (k < sg->npslots)
                        R->slots[sg->pslots[k]] =
                            qv_str((struct km_str){s, (uint32_t)(cap_end - s)});
                    k++;
                    s = cap_end + lit;
                    p += lit;
                }
                if (!okm || (p == pe && s != se))
                    for (uint32_t i = 0; i < sg->npslots; i++)
                        R->slots[sg->pslots[i]] = qv_null();
            }
            break;
        }
        case S_DEDUP: {
            uint64_t h = 0x51ed270b27a7f5ULL;
            for (uint32_t i = 0; i < sg->nitems; i++) {
                struct km_qval v = eval(R, sg->items[i]);
                h = qv_hash(&v, h);
            }
            int r = set_add(&sg->set, &sg->setcap, &sg->setn, h);
            if (r < 0) {
                R->rc = KM_ENOMEM;
                R->stop = 1;
            }
            if (r <= 0)
                return;
            break;
        }
        case S_LIMIT:
            if (sg->seen >= sg->limit)
                return;
            sg->seen++;
            if (sg->seen >= sg->limit && si + 1 == R->nstages - 1) {
                /* nothing blocking after: the scan may end once this row is out */
                push(R, si + 1);
                R->stop = 1;
                return;
            }
            break;
        case S_SORT: {
            for (uint32_t i = 0; i < sg->nmat; i++)
                R->slots[sg->mat_slot[i]] = eval(R, sg->mat_cx[i]);
            if (sg->nrows == sg->caprows) {
                sg->caprows = sg->caprows ? sg->caprows * 2 : 256;
                sg->rows = km_xrealloc(sg->rows, sg->caprows * sizeof *sg->rows);
            }
            struct srow *r = &sg->rows[sg->nrows];
            r->slots = km_arena_alloc(&sg->arena, R->nslots * sizeof *r->slots + 1);
            r->keys = km_arena_alloc(&sg->arena, sg->nitems * sizeof *r->keys + 1);
            if (!r->slots || !r->keys) {
                R->rc = KM_ENOMEM;
                R->stop = 1;
                return;
            }
            for (uint32_t i = 0; i < R->nslots; i++)
                r->slots[i] = qv_copy(&sg->arena, R->slots[i]);
            for (uint32_t i = 0; i < sg->nitems; i++)
                r->keys[i] = qv_copy(&sg->arena, eval(R, sg->items[i]));
            sg->nrows++;
            if (sg->nrows >= 2 * (uint64_t)sg->limit && sg->nrows >= 1024)
                sort_cut(R, sg, si);
            return;
        }
        case S_STATS: {
            struct km_qval keys[32];
            for (uint32_t i = 0; i < sg->nitems && i < 32; i++)
                keys[i] = eval(R, sg->items[i]);
            struct gstate *st = group_get(R, sg, keys);
            if (!st)
                return;
            for (uint32_t i = 0; i < sg->naggs; i++)
                agg_add(R, sg, &sg->aggs[i], &st[i]);
            return;
        }
        case S_OUT: emit_out(R, sg); return;
        }
    }
}

/* After the scan: blocking stages hand their rows on, in pipeline order. */
static void finish(struct run *R, uint32_t from)
{
    for (uint32_t si = from; si < R->nstages; si++) {
        struct stage *sg = &R->stages[si];
        if (sg->kind == S_SORT) {
            sort_cut(R, sg, si);
            R->has_base = 0;
            R->stop = 0;
            for (uint64_t r = 0; r < sg->nrows && !R->stop; r++) {
                memcpy(R->slots, sg->rows[r].slots, R->nslots * sizeof *R->slots);
                km_arena_reset(&R->ra);
                push(R, si + 1);
            }
            finish(R, si + 1);
            return;
        }
        if (sg->kind == S_STATS) {
            R->has_base = 0;
            R->stop = 0;
            if (!sg->nitems && !sg->ngroups)
                group_get(R, sg, NULL); /* no `by`, no rows: one row, count 0 */
            for (uint64_t b = 0; b < sg->tabcap && !R->stop; b++)
                for (struct group *g = sg->tab ? sg->tab[b] : NULL; g && !R->stop; g = g->next) {
                    for (uint32_t i = 0; i < R->nslots; i++)
                        R->slots[i] = qv_null();
                    for (uint32_t i = 0; i < sg->nitems; i++)
                        R->slots[sg->slots[i]] = g->keys[i];
                    for (uint32_t i = 0; i < sg->naggs; i++)
                        R->slots[sg->aggs[i].slot] = agg_result(&sg->aggs[i], &g->st[i]);
                    km_arena_reset(&R->ra);
                    push(R, si + 1);
                }
            finish(R, si + 1);
            return;
        }
    }
}

/* ---- compiling the pipeline ------------------------------------------------ */

static const char *const default_cols[] = {"time",      "provider", "source", "actor.name",
                                           "action",    "outcome",  "src.ip"};

static struct km_query_expr *synth_field(struct run *R, const char *name)
{
    struct km_query_expr *x = ca_alloc(R, sizeof *x);
    x->kind = KM_QE_FIELD;
    x->path.nseg = 1;
    x->path.seg = ca_alloc(R, sizeof *x->path.seg);
    x->path.seg[0] = km_str_c(name);
    x->path.text = km_str_c(name);
    return x;
}

static int compile(struct run *R)
{
    const struct km_query *q = R->q;
    R->stages = ca_alloc(R, (q->ncmds + 2) * sizeof *R->stages);
    struct cstate cs = {0};
    const char **outnames = NULL;
    struct km_query_expr **outx = NULL;
    uint32_t nout = 0;
    for (uint32_t ci = 0; ci < q->ncmds; ci++) {
        const struct km_query_cmd *cmd = &q->cmds[ci];
        struct stage *sg = &R->stages[R->nstages];
        memset(sg, 0, sizeof *sg);
        sg->cmd = cmd;
        km_arena_init(&sg->arena, 1 << 16, (size_t)4 << 30);
        switch (cmd->kind) {
        case KM_QCMD_FILTER:
            sg->kind = S_FILTER;
            if (!(sg->cond = compile_expr(R, &cs, cmd->cond)))
                return R->err->code;
            break;
        case KM_QCMD_FIELDS:
        case KM_QCMD_DISPLAY: {
            sg->kind = S_FIELDS;
            sg->nitems = cmd->nitems;
            sg->items = ca_alloc(R, cmd->nitems * sizeof *sg->items);
            sg->slots = ca_alloc(R, cmd->nitems * sizeof *sg->slots);
            for (uint32_t i = 0; i < cmd->nitems; i++)
                if (!(sg->items[i] = compile_expr(R, &cs, cmd->items[i].expr)))
                    return R->err->code;
            for (uint32_t i = 0; i < cmd->nitems; i++) {
                const char *nm = cmd->items[i].name.p;
                int sl = slot_find(R, nm);
                sg->slots[i] = sl >= 0 ? sl : slot_new(R, nm);
            }
            outnames = ca_alloc(R, cmd->nitems * sizeof *outnames);
            outx = ca_alloc(R, cmd->nitems * sizeof *outx);
            nout = cmd->nitems;
            for (uint32_t i = 0; i < cmd->nitems; i++) {
                outnames[i] = cmd->items[i].name.p;
                outx[i] = synth_field(R, cmd->items[i].name.p);
            }
            break;
        }
        case KM_QCMD_PARSE:
            sg->kind = S_PARSE;
            if (!(sg->src = compile_expr(R, &cs, cmd->src)))
                return R->err->code;
            if (cmd->pattern.kind == KM_QL_REGEX &&
                compile_regex(R, &cmd->pattern, &sg->re, &sg->md))
                return R->err->code;
            sg->npslots = cmd->nnames;
            sg->pslots = ca_alloc(R, (cmd->nnames + 1) * sizeof *sg->pslots);
            for (uint32_t i = 0; i < cmd->nnames; i++) {
                int sl = slot_find(R, cmd->names[i].p);
                sg->pslots[i] = sl >= 0 ? sl : slot_new(R, cmd->names[i].p);
            }
            break;
        case KM_QCMD_DEDUP:
            sg->kind = S_DEDUP;
            sg->nitems = cmd->nitems;
            sg->items = ca_alloc(R, cmd->nitems * sizeof *sg->items);
            for (uint32_t i = 0; i < cmd->nitems; i++)
                if (!(sg->items[i] = compile_expr(R, &cs, cmd->items[i].expr)))
                    return R->err->code;
            break;
        case KM_QCMD_LIMIT:
            sg->kind = S_LIMIT;
            sg->limit = cmd->limit;
            /* a sort right before keeps only this many */
            if (R->nstages && R->stages[R->nstages - 1].kind == S_SORT &&
                R->stages[R->nstages - 1].limit > cmd->limit)
                R->stages[R->nstages - 1].limit = cmd->limit;
            break;
        case KM_QCMD_SORT:
            sg->kind = S_SORT;
            sg->limit = R->max_rows;
            sg->nitems = cmd->nitems;
            sg->items = ca_alloc(R, cmd->nitems * sizeof *sg->items);
            sg->desc = ca_alloc(R, cmd->nitems * sizeof *sg->desc);
            for (uint32_t i = 0; i < cmd->nitems; i++) {
                if (!(sg->items[i] = compile_expr(R, &cs, cmd->items[i].expr)))
                    return R->err->code;
                sg->desc[i] = cmd->items[i].desc;
            }
            /* base values read after a sort are kept by the FIRST sort, the
             * only one that sees the base row; later sorts copy every slot */
            if (cs.phase == 0) {
                cs.phase = 1;
                cs.last_sort = sg;
            }
            break;
        case KM_QCMD_STATS: {
            sg->kind = S_STATS;
            sg->nitems = cmd->nby;
            if (cmd->nby > 32)
                return km_query_err_set(R->err, R->text, R->tn, cmd->off, KM_ELIMIT, NULL,
                                        "stats takes at most 32 group keys");
            sg->items = ca_alloc(R, (cmd->nby + 1) * sizeof *sg->items);
            sg->slots = ca_alloc(R, (cmd->nby + 1) * sizeof *sg->slots);
            for (uint32_t i = 0; i < cmd->nby; i++)
                if (!(sg->items[i] = compile_expr(R, &cs, cmd->by[i].expr)))
                    return R->err->code;
            sg->naggs = cmd->nitems;
            sg->aggs = ca_alloc(R, cmd->nitems * sizeof *sg->aggs);
            for (uint32_t i = 0; i < cmd->nitems; i++) {
                const struct km_query_expr *x = cmd->items[i].expr;
                struct agg *ag = &sg->aggs[i];
                if (x->kind != KM_QE_CALL || !km_query_funcs[x->fn].aggregate)
                    return km_query_err_set(R->err, R->text, R->tn, cmd->items[i].off, KM_EUSAGE,
                                            "e.g. stats count() as n, max(time) by actor.name",
                                            "each stats item must be an aggregate function");
                ag->fn = x->fn;
                if (x->nargs >= 1 && !(ag->arg = compile_expr(R, &cs, x->args[0])))
                    return R->err->code;
                if (x->fn == KM_QF_EARLIEST || x->fn == KM_QF_LATEST)
                    ag->tcx = compile_field(R, &cs, synth_field(R, "time"));
                if (x->fn == KM_QF_PCT)
                    ag->pct = x->args[1]->lit.kind == KM_QL_FLOAT ? x->args[1]->lit.f
                                                                   : (double)x->args[1]->lit.i;
            }
            /* after stats: only its columns */
            cs.phase = 2;
            cs.last_sort = NULL;
            uint32_t nc = cmd->nby + cmd->nitems;
            outnames = ca_alloc(R, nc * sizeof *outnames);
            outx = ca_alloc(R, nc * sizeof *outx);
            nout = 0;
            /* the stats columns replace every earlier name */
            for (uint32_t i = 0; i < R->nslots; i++)
                R->slotname[i] = NULL;
            for (uint32_t i = 0; i < cmd->nby; i++) {
                sg->slots[i] = slot_new(R, cmd->by[i].name.p);
                outnames[nout] = cmd->by[i].name.p;
                outx[nout++] = synth_field(R, cmd->by[i].name.p);
            }
            for (uint32_t i = 0; i < cmd->nitems; i++) {
                sg->aggs[i].slot = slot_new(R, cmd->items[i].name.p);
                outnames[nout] = cmd->items[i].name.p;
                outx[nout++] = synth_field(R, cmd->items[i].name.p);
            }
            break;
        }
        default:
            return km_query_err_set(R->err, R->text, R->tn, cmd->off, KM_EUSAGE, NULL,
                                    "unsupported command");
        }
        R->nstages++;
    }
    /* the output stage */
    struct stage *sg = &R->stages[R->nstages];
    memset(sg, 0, sizeof *sg);
    sg->kind = S_OUT;
    km_arena_init(&sg->arena, 4096, 0);
    if (!outx) {
        nout = KM_ARRAY_LEN(default_cols);
        outnames = ca_alloc(R, nout * sizeof *outnames);
        outx = ca_alloc(R, nout * sizeof *outx);
        for (uint32_t i = 0; i < nout; i++) {
            outnames[i] = default_cols[i];
            outx[i] = synth_field(R, default_cols[i]);
        }
    }
    sg->nitems = nout > 64 ? 64 : nout;
    sg->items = ca_alloc(R, sg->nitems * sizeof *sg->items);
    sg->names = outnames;
    for (uint32_t i = 0; i < sg->nitems; i++)
        if (!(sg->items[i] = compile_expr(R, &cs, outx[i])))
            return R->err->code;
    R->nstages++;
    return KM_OK;
}

/* ---- the scan ---------------------------------------------------------------- */


/* ---- stats on codes ----------------------------------------------------------
 * `[filter C ...] | stats count()/count(f)/count_distinct(f) ... by k1[, k2]`
 * where every filter condition is a one-dictionary-field condition (bitmap),
 * every key is a dictionary field or bin(), and every aggregate argument a
 * dictionary field: rows are grouped by their codes in a per-segment table
 * and merged by value at the end of the segment. */

struct fkey {             /* one group key of the fast path */
    int field;            /* dict field, or -1 for bin() */
    int64_t bin;          /* bin width (µs) */
};

static int cx_is_dict_field(const struct cx *c)
{
    return c->x->kind == KM_QE_FIELD && c->ref == R_NORM && km_fields[c->field].enc == KM_ENC_DICT;
}

static int fully_prunable(const struct cx *c)
{
    if (c->x->kind == KM_QE_AND) {
        for (uint32_t i = 0; i < c->na; i++)
            if (!fully_prunable(c->a[i]))
                return 0;
        return 1;
    }
    return c->onef >= 0 && km_fields[c->onef].enc == KM_ENC_DICT;
}

/* The stats stage that can run on codes, or -1. */
static int fast_stats_stage(struct run *R, struct fkey *keys)
{
    uint32_t si = 0;
    while (si < R->nstages && R->stages[si].kind == S_FILTER) {
        if (!fully_prunable(R->stages[si].cond))
            return -1;
        si++;
    }
    if (si >= R->nstages || R->stages[si].kind != S_STATS)
        return -1;
    struct stage *sg = &R->stages[si];
    if (sg->nitems > 2)
        return -1;
    for (uint32_t i = 0; i < sg->nitems; i++) {
        struct cx *c = sg->items[i];
        if (cx_is_dict_field(c)) {
            keys[i].field = c->field;
        } else if (c->x->kind == KM_QE_CALL && c->x->fn == KM_QF_BIN) {
            keys[i].field = -1;
            keys[i].bin = c->x->args[0]->lit.i > 0 ? c->x->args[0]->lit.i : 1;
        } else {
            return -1;
        }
    }
    for (uint32_t i = 0; i < sg->naggs; i++) {
        struct agg *ag = &sg->aggs[i];
        if (ag->fn == KM_QF_COUNT && !ag->arg)
            continue;
        if ((ag->fn == KM_QF_COUNT || ag->fn == KM_QF_COUNT_DISTINCT) && ag->arg &&
            cx_is_dict_field(ag->arg))
            continue;
        return -1;
    }
    return (int)si;
}

static inline uint32_t code_at(const void *codes, int w, uint32_t r)
{
    if (!codes)
        return 0;
    return w == 1 ? ((const uint8_t *)codes)[r]
           : w == 2 ? ((const uint16_t *)codes)[r]
                    : ((const uint32_t *)codes)[r];
}

struct ltab {             /* per-segment: packed key -> local group */
    uint64_t *k;
    uint32_t *g;
    uint64_t cap, n;
};

static uint32_t ltab_get(struct ltab *t, uint64_t key, int *fresh)
{
    if (2 * (t->n + 1) > t->cap) {
        uint64_t ncap = t->cap ? t->cap * 2 : 1024;
        uint64_t *nk = km_xmalloc(ncap * sizeof *nk);
        uint32_t *ng = km_xmalloc(ncap * sizeof *ng);
        memset(nk, 0xff, ncap * sizeof *nk);
        for (uint64_t i = 0; i < t->cap; i++)
            if (t->k[i] != UINT64_MAX) {
                uint64_t j = (t->k[i] * 0x9E3779B97F4A7C15ULL) >> 17 & (ncap - 1);
                while (nk[j] != UINT64_MAX)
                    j = (j + 1) & (ncap - 1);
                nk[j] = t->k[i];
                ng[j] = t->g[i];
            }
        free(t->k);
        free(t->g);
        t->k = nk;
        t->g = ng;
        t->cap = ncap;
    }
    uint64_t j = (key * 0x9E3779B97F4A7C15ULL) >> 17 & (t->cap - 1);
    while (t->k[j] != UINT64_MAX) {
        if (t->k[j] == key) {
            *fresh = 0;
            return t->g[j];
        }
        j = (j + 1) & (t->cap - 1);
    }
    t->k[j] = key;
    t->g[j] = (uint32_t)t->n++;
    *fresh = 1;
    return t->g[j];
}

static void ltab_clear(struct ltab *t)
{
    if (t->k)
        memset(t->k, 0xff, t->cap * sizeof *t->k);
    t->n = 0;
}

struct fast {
    int si;
    struct fkey keys[2];
    struct ltab groups;       /* packed key -> local group */
    uint64_t *gkey;           /* local group -> packed key */
    int64_t *counts;          /* local group x agg */
    uint64_t capg;
    struct ltab distinct;     /* (agg, local group, code) seen */
    uint32_t *direct;         /* small key spaces: key -> local group + 1 */
    uint64_t capdirect;
    uint64_t *vh[64];         /* count_distinct: hash of each dictionary value */
    uint32_t capvh[64];
    uint64_t vhgen[64], gen;  /* vh[i] is valid for segment generation vhgen[i] */
    /* the segment and the filter bitmaps this worker uses */
    struct km_seg *seg;
    uint8_t *bm[64];
    uint32_t bmcap[64];
    uint64_t matched;
    pthread_mutex_t *mu;      /* guards the merge when workers share the stage */
    uint64_t *hist;           /* count() by one dictionary field: count per code */
    uint32_t caphist;
};

static void fast_free(struct fast *F, int own_bm)
{
    free(F->groups.k);
    free(F->groups.g);
    free(F->distinct.k);
    free(F->distinct.g);
    free(F->gkey);
    free(F->counts);
    free(F->direct);
    free(F->hist);
    for (int i = 0; i < 64; i++) {
        free(F->vh[i]);
        if (own_bm)
            free(F->bm[i]);
    }
}

static void fast_segment(struct run *R, struct fast *F, uint32_t lo, uint32_t hi, struct cx **prune,
                         int np)
{
    struct stage *sg = &R->stages[F->si];
    struct km_err e;
    km_err_clear(&e);
    const void *pc[64];
    int pw[64];
    for (int k = 0; k < np; k++)
        km_seg_codes(F->seg, prune[k]->onef, &pc[k], &pw[k], &e);
    uint8_t *const *bms = F->bm;
    const uint32_t *bmc = F->bmcap;
    const void *kc[2] = {NULL, NULL};
    int kw[2] = {0, 0};
    const int64_t *ts = NULL;
    int64_t tbase[2] = {0, 0};
    /* `count() by f` over whole segments without filters: the stored
     * histogram answers, no code column is decoded */
    const uint32_t *stored = NULL;
    int use_hist = sg->nitems == 1 && F->keys[0].field >= 0 && np == 0 && lo == 0 &&
                   hi == km_seg_rows(F->seg) && !getenv("KUMO_QUERY_NOHIST");
    for (uint32_t i = 0; i < sg->naggs && use_hist; i++)
        use_hist = sg->aggs[i].fn == KM_QF_COUNT && !sg->aggs[i].arg;
    if (use_hist)
        use_hist = km_seg_dict_counts(F->seg, F->keys[0].field, &stored);
    for (uint32_t i = 0; i < sg->nitems; i++) {
        if (F->keys[i].field >= 0 && use_hist)
            continue;
        if (F->keys[i].field >= 0)
            km_seg_codes(F->seg, F->keys[i].field, &kc[i], &kw[i], &e);
        else {
            km_seg_times(F->seg, &ts, &e);
            int64_t t0 = km_seg_tmin(F->seg), d = F->keys[i].bin;
            tbase[i] = t0 >= 0 ? t0 / d * d : -((-t0 + d - 1) / d) * d;
        }
    }
    const void *ac[64];
    int aw[64];
    uint32_t na = sg->naggs < 64 ? sg->naggs : 64;
    uint32_t aempty[64];
    for (uint32_t i = 0; i < na; i++) {
        ac[i] = NULL;
        aw[i] = 0;
        aempty[i] = UINT32_MAX;
        if (sg->aggs[i].arg) {
            km_seg_codes(F->seg, sg->aggs[i].arg->field, &ac[i], &aw[i], &e);
            uint32_t ce;
            if (km_seg_dict_find(F->seg, sg->aggs[i].arg->field, "", 0, &ce) == 1)
                aempty[i] = ce;
        }
    }
    /* the commonest question, `stats count() by f` (filters on dictionary
     * fields allowed): a histogram over f's codes, no grouping tables */
    int only_count = sg->nitems == 1 && F->keys[0].field >= 0;
    for (uint32_t i = 0; i < na && only_count; i++)
        only_count = sg->aggs[i].fn == KM_QF_COUNT && !sg->aggs[i].arg;
    if (only_count) {
        uint32_t nd = km_seg_dict_size(F->seg, F->keys[0].field) + 1;
        if (F->caphist < nd) {
            free(F->hist);
            F->caphist = nd;
            F->hist = km_xmalloc(nd * sizeof *F->hist);
        }
        memset(F->hist, 0, nd * sizeof *F->hist);
        uint64_t *h = F->hist;
        const void *kcol = kc[0];
        int w = kw[0];
        if (use_hist) {
            /* the histogram the segment keeps with its dictionary */
            for (uint32_t c = 0; c < nd; c++)
                h[c] = stored[c];
        } else if (np == 0 && kcol && w == 1)
            for (uint32_t r = lo; r < hi; r++)
                h[((const uint8_t *)kcol)[r]]++;
        else if (np == 0 && kcol && w == 2)
            for (uint32_t r = lo; r < hi; r++)
                h[((const uint16_t *)kcol)[r]]++;
        else
            for (uint32_t r = lo; r < hi; r++) {
                int ok = 1;
                for (int k = 0; k < np && ok; k++) {
                    uint32_t c = code_at(pc[k], pw[k], r);
                    ok = c < bmc[k] && bms[k][c];
                }
                if (ok) {
                    uint32_t c = code_at(kcol, w, r);
                    h[c < nd ? c : 0]++;
                }
            }
        if (F->mu)
            pthread_mutex_lock(F->mu);
        for (uint32_t c = 0; c < nd; c++) {
            if (!h[c])
                continue;
            F->matched += h[c];
            struct km_str v;
            km_seg_dict_get(F->seg, F->keys[0].field, c, &v, &e);
            struct km_qval kv = qv_str(v);
            struct gstate *g = group_get(R, sg, &kv);
            if (!g)
                break;
            for (uint32_t i = 0; i < na; i++)
                g[i].n += (int64_t)h[c];
        }
        if (F->mu)
            pthread_mutex_unlock(F->mu);
        return;
    }
    ltab_clear(&F->groups);
    ltab_clear(&F->distinct);
    F->gen++; /* value hashes are per segment */
    /* a small key space is indexed directly (no hashing): packed key ->
     * local group + 1 */
    uint64_t span[2] = {1, 1}, space = 1;
    for (uint32_t i = 0; i < sg->nitems; i++) {
        span[i] = F->keys[i].field >= 0
                      ? (uint64_t)km_seg_dict_size(F->seg, F->keys[i].field) + 1
                      : (uint64_t)((km_seg_tmax(F->seg) - tbase[i]) / F->keys[i].bin) + 1;
        space *= span[i];
    }
    int direct = space <= 2 * (uint64_t)(hi - lo) + 1024 && space <= (1u << 22);
    if (direct) {
        if (F->capdirect < space) {
            free(F->direct);
            F->capdirect = space;
            F->direct = km_xmalloc(space * sizeof *F->direct);
        }
        memset(F->direct, 0, space * sizeof *F->direct);
    }
    for (uint32_t r = lo; r < hi; r++) {
        int ok = 1;
        for (int k = 0; k < np && ok; k++) {
            uint32_t c = code_at(pc[k], pw[k], r);
            ok = c < bmc[k] && bms[k][c];
        }
        if (!ok)
            continue;
        F->matched++;
        uint64_t key = 0;
        for (uint32_t i = 0; i < sg->nitems; i++) {
            uint64_t part = F->keys[i].field >= 0
                                ? code_at(kc[i], kw[i], r)
                                : (uint64_t)((ts[r] - tbase[i]) / F->keys[i].bin);
            key = i ? key | (part << 32) : part;
        }
        int fresh;
        uint32_t g;
        if (direct) {
            uint64_t di = sg->nitems == 2 ? (key & 0xffffffffu) + span[0] * (key >> 32) : key;
            if (F->direct[di]) {
                g = F->direct[di] - 1;
                fresh = 0;
            } else {
                g = (uint32_t)F->groups.n++;
                F->direct[di] = g + 1;
                fresh = 1;
            }
        } else {
            g = ltab_get(&F->groups, key, &fresh);
        }
        if (fresh) {
            if (g >= F->capg) {
                F->capg = F->capg ? F->capg * 2 : 1024;
                F->gkey = km_xrealloc(F->gkey, F->capg * sizeof *F->gkey);
                F->counts = km_xrealloc(F->counts, F->capg * na * sizeof *F->counts + 1);
            }
            F->gkey[g] = key;
            memset(&F->counts[(size_t)g * na], 0, na * sizeof *F->counts);
        }
        for (uint32_t i = 0; i < na; i++) {
            struct agg *ag = &sg->aggs[i];
            if (!ag->arg) {
                F->counts[(size_t)g * na + i]++;
                continue;
            }
            uint32_t c = code_at(ac[i], aw[i], r);
            if (!c || c == aempty[i])
                continue; /* missing ("" counts as missing, as in ispresent) */
            if (ag->fn == KM_QF_COUNT) {
                F->counts[(size_t)g * na + i]++;
                continue;
            }
            /* distinct: (agg, group, code) once per segment */
            int nf;
            ltab_get(&F->distinct, ((uint64_t)i << 58) ^ ((uint64_t)g << 32) ^ c, &nf);
        }
    }
    /* merge this segment's groups by value */
    if (F->mu)
        pthread_mutex_lock(F->mu);
    struct gstate **gs = km_xmalloc((F->groups.n + 1) * sizeof *gs);
    for (uint64_t g = 0; g < F->groups.n; g++) {
        struct km_qval kv[2];
        for (uint32_t i = 0; i < sg->nitems; i++) {
            uint64_t part = i ? F->gkey[g] >> 32 : F->gkey[g] & 0xffffffffu;
            if (sg->nitems == 1)
                part = F->gkey[g];
            if (F->keys[i].field >= 0) {
                struct km_str v;
                km_seg_dict_get(F->seg, F->keys[i].field, (uint32_t)part, &v, &e);
                kv[i] = qv_str(v);
            } else {
                kv[i] = (struct km_qval){.t = KM_QV_TIME,
                                         .i = tbase[i] + (int64_t)part * F->keys[i].bin};
            }
        }
        gs[g] = group_get(R, sg, kv);
        if (!gs[g])
            break;
        for (uint32_t i = 0; i < na; i++)
            gs[g][i].n += F->counts[(size_t)g * na + i];
    }
    for (uint64_t j = 0; j < F->distinct.cap && F->distinct.n; j++) {
        uint64_t k = F->distinct.k[j];
        if (k == UINT64_MAX)
            continue;
        uint32_t i = (uint32_t)(k >> 58), g = (uint32_t)((k >> 32) & 0x3ffffff);
        uint32_t c = (uint32_t)k;
        if (g >= F->groups.n || !gs[g])
            continue;
        /* each dictionary value is hashed once per segment (per aggregate) */
        uint32_t nd = km_seg_dict_size(F->seg, sg->aggs[i].arg->field) + 1;
        if (F->vhgen[i] != F->gen) {
            if (F->capvh[i] < nd) {
                free(F->vh[i]);
                F->capvh[i] = nd;
                F->vh[i] = km_xmalloc(nd * sizeof *F->vh[i]);
            }
            memset(F->vh[i], 0, nd * sizeof *F->vh[i]);
            F->vhgen[i] = F->gen;
        }
        if (c >= nd)
            continue;
        if (!F->vh[i][c]) {
            struct km_str v;
            km_seg_dict_get(F->seg, sg->aggs[i].arg->field, c, &v, &e);
            struct km_qval qv = qv_str(v);
            F->vh[i][c] = qv_hash(&qv, 7) | 1; /* never 0: 0 marks "not yet" */
        }
        set_add(&gs[g][i].set, &gs[g][i].setcap, &gs[g][i].setn, F->vh[i][c]);
    }
    if (F->mu)
        pthread_mutex_unlock(F->mu);
    free(gs);
}

/* Segments a worker thread used: their decoded columns are freed at once,
 * their mappings once the threads are joined (see km_seg_drop_decoded). */
struct deferred {
    struct km_seg **segs;
    size_t n, cap;
};

static void defer_close(struct deferred *d, struct km_seg *seg)
{
    km_seg_drop_decoded(seg);
    if (d->n == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 64;
        d->segs = km_xrealloc(d->segs, d->cap * sizeof *d->segs);
    }
    d->segs[d->n++] = seg;
}

static void deferred_close_all(struct deferred *d)
{
    for (size_t i = 0; i < d->n; i++)
        km_seg_close(d->segs[i]);
    free(d->segs);
    d->segs = NULL;
    d->n = d->cap = 0;
}

/* Workers of the code path: segment i goes to worker i % n. */
struct fworker {
    struct run *R;
    struct fast F;
    int tid, n;
    const struct km_segment_row *rows;
    size_t nrows;
    struct cx **prune;
    int np;
    uint64_t segs_read, rows_read;
    int rc;
    struct km_err e;
    struct deferred dc;
};

static void *fast_worker(void *arg)
{
    struct fworker *W = arg;
    struct run *R = W->R;
    const struct km_qopts *o = R->o;
    for (size_t i = (size_t)W->tid; i < W->nrows && !W->rc; i += (size_t)W->n) {
        if (W->rows[i].tmax < o->since || W->rows[i].tmin > o->until)
            continue;
        char p[4096];
        km_store_segment_path(R->s, W->rows[i].file, p, sizeof p);
        struct km_seg *seg;
        if ((W->rc = km_seg_open(p, &seg, &W->e)))
            break;
        W->F.seg = seg;
        int keep = 1;
        for (int k = 0; k < W->np && keep; k++)
            dict_bitmap(seg, W->prune[k], &W->F.bm[k], &W->F.bmcap[k], &keep);
        uint32_t lo = 0, hi = (uint32_t)km_seg_rows(seg);
        if (keep && (km_seg_tmin(seg) < o->since || km_seg_tmax(seg) > o->until)) {
            const int64_t *ts;
            if ((W->rc = km_seg_times(seg, &ts, &W->e))) {
                defer_close(&W->dc, seg);
                break;
            }
            while (lo < hi && ts[lo] < o->since)
                lo++;
            while (hi > lo && ts[hi - 1] > o->until)
                hi--;
        }
        if (keep) {
            W->segs_read++;
            W->rows_read += hi - lo;
            fast_segment(R, &W->F, lo, hi, W->prune, W->np);
        }
        defer_close(&W->dc, seg);
        W->F.seg = NULL;
    }
    return NULL;
}

/* Conditions of the leading filters that can prune segments. */
static int collect_prunable(struct run *R, struct cx *c, struct cx **out, int n, int max)
{
    if (n >= max)
        return n;
    if (c->x->kind == KM_QE_AND) {
        for (uint32_t i = 0; i < c->na; i++)
            n = collect_prunable(R, c->a[i], out, n, max);
        return n;
    }
    if (c->onef >= 0 && km_fields[c->onef].enc == KM_ENC_DICT)
        out[n++] = c;
    return n;
}

struct prepass {
    struct run *R;
    const struct km_segment_row *rows;
    size_t nrows;
    struct cx **prune;
    int np;
    uint8_t *skip;   /* out: 1 = no row of segment i can match */
    int tid, n;
    struct deferred dc;
};

static void *prepass_run(void *arg)
{
    struct prepass *P = arg;
    const struct km_qopts *o = P->R->o;
    uint8_t *bm = NULL;
    uint32_t cap = 0;
    for (size_t i = (size_t)P->tid; i < P->nrows; i += (size_t)P->n) {
        if (P->rows[i].tmax < o->since || P->rows[i].tmin > o->until)
            continue;
        char p[4096];
        km_store_segment_path(P->R->s, P->rows[i].file, p, sizeof p);
        struct km_seg *seg;
        struct km_err e;
        km_err_clear(&e);
        if (km_seg_open(p, &seg, &e))
            continue; /* the row pass reports it */
        int any = 1;
        for (int k = 0; k < P->np && any; k++)
            dict_bitmap(seg, P->prune[k], &bm, &cap, &any);
        P->skip[i] = !any;
        defer_close(&P->dc, seg);
    }
    free(bm);
    return NULL;
}

/* Narrows o's time bounds by the `time OP literal` conditions at the top (AND)
 * level of a leading filter. */
static void narrow_time(const struct cx *c, struct km_qopts *o)
{
    const struct km_query_expr *x = c->x;
    if (x->kind == KM_QE_AND) {
        for (uint32_t i = 0; i < c->na; i++)
            narrow_time(c->a[i], o);
        return;
    }
    if (x->kind != KM_QE_CMP || c->na != 2)
        return;
    int fl = c->a[0]->x->kind == KM_QE_FIELD && c->a[0]->ref == R_TIME;
    int fr = c->a[1]->x->kind == KM_QE_FIELD && c->a[1]->ref == R_TIME;
    const struct cx *lit = fl ? c->a[1] : fr ? c->a[0] : NULL;
    /* literals compared with time, now() and ago() are time constants */
    if (!lit || !lit->has_konst || lit->konst.t != KM_QV_TIME)
        return;
    int64_t t = lit->konst.i;
    enum km_query_cmp op = x->op;
    if (fr) /* "lit OP time" is "time OP' lit" */
        op = op == KM_QC_LT ? KM_QC_GT : op == KM_QC_LE ? KM_QC_GE
           : op == KM_QC_GT ? KM_QC_LT : op == KM_QC_GE ? KM_QC_LE : op;
    int64_t lo = INT64_MIN, hi = INT64_MAX;
    switch (op) {
    case KM_QC_EQ: lo = hi = t; break;
    case KM_QC_GE: lo = t; break;
    case KM_QC_GT: lo = t == INT64_MAX ? t : t + 1; break;
    case KM_QC_LE: hi = t; break;
    case KM_QC_LT: hi = t == INT64_MIN ? t : t - 1; break;
    default: return;
    }
    if (lo > o->since)
        o->since = lo;
    if (hi < o->until)
        o->until = hi;
}

/* `person = "e-mail"` / `person in [...]` at the top (AND) level of the
 * leading filters: the selectors of the persons named (ident.h), so a
 * segment where none of their values occurs is skipped unread. */
struct psel {
    struct km_sel *v;
    uint32_t n, cap;
};
struct pprune {
    struct psel set[8];
    int nset;
};

static void psel_add(void *ctx, int field, const char *value)
{
    struct psel *p = ctx;
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 16;
        p->v = km_xrealloc(p->v, p->cap * sizeof *p->v);
    }
    p->v[p->n++] = (struct km_sel){field, value};
}

static void person_prune_collect(const struct run *R, const struct cx *c, struct pprune *pp)
{
    const struct km_query_expr *x = c->x;
    if (x->kind == KM_QE_AND) {
        for (uint32_t i = 0; i < c->na; i++)
            person_prune_collect(R, c->a[i], pp);
        return;
    }
    int eq = x->kind == KM_QE_CMP && x->op == KM_QC_EQ && c->na == 2;
    if ((!eq && x->kind != KM_QE_IN) || c->a[0]->x->kind != KM_QE_FIELD ||
        c->a[0]->ref != R_PERSON || pp->nset == 8)
        return;
    if (eq && (c->a[1]->x->kind != KM_QE_LITERAL || c->a[1]->x->lit.kind != KM_QL_STRING))
        return;
    uint32_t nl = eq ? 1 : x->nlist;
    for (uint32_t i = 0; !eq && i < nl; i++)
        if (x->list[i].kind != KM_QL_STRING)
            return;
    struct psel *set = &pp->set[pp->nset++];
    for (uint32_t i = 0; i < nl; i++) {
        const struct km_str lit = eq ? c->a[1]->x->lit.s : x->list[i].s;
        int p = km_idgraph_person_by_email(R->graph, lit.p, lit.n);
        if (p >= 0)
            km_idgraph_person_selectors(R->graph, p, psel_add, set);
    }
}

/* 1 when some selector of every set occurs in seg's dictionaries. */
static int person_prune_keep(struct km_seg *seg, const struct pprune *pp)
{
    for (int k = 0; k < pp->nset; k++) {
        int any = 0;
        for (uint32_t i = 0; i < pp->set[k].n && !any; i++) {
            const struct km_sel *sl = &pp->set[k].v[i];
            uint32_t code;
            any = km_seg_dict_find(seg, sl->field, sl->value, strlen(sl->value), &code) != 0;
        }
        if (!any)
            return 0;
    }
    return 1;
}

int km_query_run(struct km_store *s, const struct km_query *q, const char *text, size_t n,
                 const struct km_qopts *o, const struct km_qsink *sink, struct km_qstats *st,
                 struct km_query_err *err)
{
    struct pprune pp = {0};
    struct cx *pfilter = NULL; /* a `person = / in` condition every row must meet */
    struct km_qopts defo;
    if (!o) {
        km_qopts_default(&defo);
        o = &defo;
    }
    memset(st, 0, sizeof *st);
    struct run R = {0};
    R.s = s;
    R.q = q;
    R.text = text;
    R.tn = n;
    R.o = o;
    R.sink = sink;
    R.st = st;
    R.err = err;
    R.max_rows = o->max_rows > 0 ? o->max_rows : 10000;
    {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        R.now = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
    }
    for (uint32_t i = 0; i < q->ncmds; i++)
        if (q->cmds[i].kind == KM_QCMD_LIMIT && q->cmds[i].limit > R.max_rows)
            R.max_rows = q->cmds[i].limit;
    km_arena_init(&R.ca, 1 << 16, (size_t)1 << 30);
    km_arena_init(&R.ra, 1 << 16, (size_t)1 << 30);
    km_arena_init(&R.ja, 1 << 20, (size_t)2 << 30);
    int rc = compile(&R);
    if (rc)
        goto out;
    if (R.want_person) {
        R.graph = o->graph;
        if (!R.graph) {
            struct km_err ge;
            km_err_clear(&ge);
            if ((rc = km_idgraph_build_ex(s, o->conf, KM_IDGRAPH_NO_TIMES, &R.own_graph, &ge))) {
                char m[1200];
                km_query_err_set(err, text, n, 0, rc, NULL, "the person field: %s",
                                 km_err_fmt(&ge, m, sizeof m));
                goto out;
            }
            R.graph = R.own_graph;
        }
        for (uint32_t i = 0; i < R.nstages && R.stages[i].kind == S_FILTER; i++)
            person_prune_collect(&R, R.stages[i].cond, &pp);
        /* rows whose person is not one the first filter asks for are skipped
         * before the pipeline (the filter still runs on the rest) */
        if (R.nstages && R.stages[0].kind == S_FILTER) {
            struct cx *c = R.stages[0].cond;
            struct cx *one[1] = {c};
            struct cx **kids = c->x->kind == KM_QE_AND ? c->a : one;
            uint32_t nk = c->x->kind == KM_QE_AND ? c->na : 1;
            for (uint32_t k = 0; k < nk && !pfilter; k++)
                if (kids[k]->x->kind != KM_QE_CMP || kids[k]->x->op == KM_QC_EQ)
                    if (person_lits(&R, kids[k]))
                        pfilter = kids[k];
        }
    }
    R.slots = ca_alloc(&R, (R.nslots + 1) * sizeof *R.slots);
    struct stage *out = &R.stages[R.nstages - 1];
    if (sink->columns && sink->columns(sink->ctx, (int)out->nitems, out->names))
        R.stop = 1;
    /* leading filters: prunable conditions */
    struct cx *prune[64];
    int np = 0;
    for (uint32_t i = 0; i < R.nstages && R.stages[i].kind == S_FILTER; i++)
        np = collect_prunable(&R, R.stages[i].cond, prune, np, 64);
    /* `time >= "…"`-style conditions of the leading filters narrow the time
     * bounds, so whole segments are skipped from the manifest and rows cut by
     * binary search (the conditions still run, so answers do not change) */
    struct km_qopts eo = *o;
    for (uint32_t i = 0; i < R.nstages && R.stages[i].kind == S_FILTER; i++)
        narrow_time(R.stages[i].cond, &eo);
    o = &eo;
    R.o = &eo;

    struct fast F = {0};
    F.si = getenv("KUMO_QUERY_NOFAST") ? -1 : fast_stats_stage(&R, F.keys);
    struct km_segment_row *rows = NULL;
    size_t nrows = 0;
    struct km_err e;
    km_err_clear(&e);
    rc = km_cat_segments(km_store_catalog(s), &rows, &nrows, &e);
    if (rc) {
        km_query_err_set(err, text, n, 0, rc, NULL, "reading the store: %s", e.msg);
        goto out;
    }
    st->segments = nrows;
    int par = F.si >= 0 && nrows > 1 && !getenv("KUMO_QUERY_THREADS1");
    for (int k = 0; k < np && par; k++)
        par = is_dict_lookup(prune[k]);
    if (par) {
        /* the code path on two workers (one per core) */
        enum { NW = 2 };
        struct fworker W[NW];
        pthread_t th[NW];
        pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
        int started[NW] = {0};
        for (int t = 0; t < NW; t++) {
            memset(&W[t], 0, sizeof W[t]);
            W[t].R = &R;
            W[t].F.si = F.si;
            memcpy(W[t].F.keys, F.keys, sizeof F.keys);
            W[t].F.mu = &mu;
            W[t].tid = t;
            W[t].n = NW;
            W[t].rows = rows;
            W[t].nrows = nrows;
            W[t].prune = prune;
            W[t].np = np;
            km_err_clear(&W[t].e);
            started[t] = t > 0 && pthread_create(&th[t], NULL, fast_worker, &W[t]) == 0;
        }
        fast_worker(&W[0]);
        for (int t = 1; t < NW; t++) {
            if (started[t])
                pthread_join(th[t], NULL);
            else
                fast_worker(&W[t]); /* no thread to be had: do its share here */
        }
        for (int t = 0; t < NW; t++) {
            deferred_close_all(&W[t].dc);
            st->segments_read += W[t].segs_read;
            st->rows_read += W[t].rows_read;
            st->rows_matched += W[t].F.matched;
            if (W[t].rc && !err->code)
                km_query_err_set(err, text, n, 0, W[t].rc, NULL, "%s", W[t].e.msg);
            fast_free(&W[t].F, 1);
        }
        nrows = 0; /* done: skip the serial loop */
    }
    /* Pivots: when the leading filter has dictionary lookups, two threads
     * first find the segments where they can hold (a binary search in each
     * segment's dictionaries); the row pass opens only those. */
    uint8_t *skip = NULL;
    int pre = !par && np > 0 && nrows > 1 && !getenv("KUMO_QUERY_THREADS1");
    for (int k = 0; k < np && pre; k++)
        pre = is_dict_lookup(prune[k]);
    if (pre) {
        skip = km_xcalloc(nrows, 1);
        struct prepass P[2];
        pthread_t th;
        for (int t = 0; t < 2; t++)
            P[t] = (struct prepass){&R, rows, nrows, prune, np, skip, t, 2, {0}};
        int started = pthread_create(&th, NULL, prepass_run, &P[1]) == 0;
        prepass_run(&P[0]);
        if (started)
            pthread_join(th, NULL);
        else
            prepass_run(&P[1]);
        deferred_close_all(&P[0].dc);
        deferred_close_all(&P[1].dc);
    }
    for (size_t i = 0; i < nrows && !R.stop; i++) {
        if (rows[i].tmax < o->since || rows[i].tmin > o->until || (skip && skip[i]))
            continue;
        char p[4096];
        km_store_segment_path(s, rows[i].file, p, sizeof p);
        struct km_seg *seg;
        if ((rc = km_seg_open(p, &seg, &e))) {
            km_query_err_set(err, text, n, 0, rc, NULL, "%s: %s", p, e.msg);
            break;
        }
        R.seg = seg;
        R.segno = i;
        R.has_base = 1;
        int keep = !pp.nset || person_prune_keep(seg, &pp);
        for (int k = 0; k < np && keep; k++)
            keep = build_bitmap(&R, prune[k]);
        if (!keep) {
            km_seg_close(seg);
            R.seg = NULL;
            continue;
        }
        st->segments_read++;
        uint32_t lo = 0, hi = (uint32_t)km_seg_rows(seg);
        if (km_seg_tmin(seg) < o->since || km_seg_tmax(seg) > o->until) {
            /* rows are time-sorted: cut to the bounds */
            const int64_t *ts;
            if ((rc = km_seg_times(seg, &ts, &e))) {
                km_seg_close(seg);
                km_query_err_set(err, text, n, 0, rc, NULL, "%s: %s", p, e.msg);
                break;
            }
            while (lo < hi && ts[lo] < o->since)
                lo++;
            while (hi > lo && ts[hi - 1] > o->until)
                hi--;
        }
        if (F.si >= 0) {
            st->rows_read += hi - lo;
            F.seg = seg;
            for (int k = 0; k < np; k++) {
                F.bm[k] = prune[k]->bm;
                F.bmcap[k] = prune[k]->bmcap;
            }
            fast_segment(&R, &F, lo, hi, prune, np);
            st->rows_matched += F.matched;
            F.matched = 0;
            km_seg_close(seg);
            R.seg = NULL;
            R.has_base = 0;
            continue;
        }
        for (uint32_t r = lo; r < hi && !R.stop; r++) {
            R.row = r;
            if (pfilter) {
                int32_t pr = person_idx(&R);
                if (pr < 0 || !pfilter->pbm[pr]) {
                    st->rows_read++;
                    continue;
                }
            }
            R.raw_state = 0;
            R.rawb_state = 0;
            R.ev_state = 0;
            R.has_base = 1;
            st->rows_read++;
            km_arena_reset(&R.ra);
            for (uint32_t k = 0; k < R.nslots; k++)
                R.slots[k] = qv_null();
            push(&R, 0);
        }
        /* a buffered sort row may point into this segment: materialised already */
        km_seg_close(seg);
        R.seg = NULL;
        R.has_base = 0;
    }
    free(rows);
    free(skip);
    if (!err->code) {
        R.stop = 0;
        finish(&R, 0);
    }
    fast_free(&F, 0);
    /* only what was looked at is reported: a path some rows never reached
     * (an earlier condition failed) may still exist there */
    for (int i = 0; i < R.nraw; i++) {
        if (R.rawfound[i] || !R.rawlooked[i] || st->nwarnings >= 4)
            continue;
        if (R.rawlooked[i] >= st->rows_read)
            snprintf(st->warnings[st->nwarnings++], 200,
                     "field '%s' exists in no event read (not a normalized field, and no raw "
                     "record has this path)",
                     R.rawpaths[i]->text.p);
        else
            snprintf(st->warnings[st->nwarnings++], 200,
                     "field '%s' is in none of the %llu raw records searched for it (not a "
                     "normalized field)",
                     R.rawpaths[i]->text.p, (unsigned long long)R.rawlooked[i]);
    }
out:
    for (uint32_t i = 0; i < R.nstages; i++) {
        struct stage *sg = &R.stages[i];
        if (sg->kind == S_STATS && sg->tab) {
            for (uint64_t b = 0; b < sg->tabcap; b++)
                for (struct group *g = sg->tab[b]; g; g = g->next)
                    for (uint32_t k = 0; k < sg->naggs; k++) {
                        free(g->st[k].set);
                        free(g->st[k].vals);
                    }
            free(sg->tab);
        }
        free(sg->rows);
        free(sg->set);
        if (sg->re) {
            pcre2_match_data_free(sg->md);
            pcre2_code_free(sg->re);
        }
        km_arena_free(&sg->arena);
    }
    st->raw_objects = km_raw_cache_misses(R.rc_cache);
    for (struct cx *c = R.allcx; c; c = c->all) {
        free(c->bm);
        if (c->re) {
            pcre2_match_data_free(c->md);
            pcre2_code_free(c->re);
        }
    }
    km_raw_cache_free(R.rc_cache);
    km_qgeo_free(R.qgeo);
    km_geo_lazy_free(R.geo_own);
    for (int k = 0; k < pp.nset; k++)
        free(pp.set[k].v);
    free(R.prow);
    km_idgraph_free(R.own_graph);
    km_arena_free(&R.ra);
    km_arena_free(&R.ja);
    km_arena_free(&R.ca);
    return err->code ? err->code : R.rc;
}

void km_qopts_default(struct km_qopts *o)
{
    memset(o, 0, sizeof *o);
    o->since = INT64_MIN;
    o->until = INT64_MAX;
    o->max_rows = 10000;
    o->geo = NULL;
}

int km_query_events_only(const struct km_query *q)
{
    for (uint32_t i = 0; i < q->ncmds; i++)
        if (q->cmds[i].kind != KM_QCMD_FILTER && q->cmds[i].kind != KM_QCMD_DEDUP &&
            q->cmds[i].kind != KM_QCMD_LIMIT)
            return 0;
    return 1;
}
