/*
 * filter_opts.c — the filter options and the time-ordered scan shared by the
 * event-listing commands (filter_opts.h).
 */
#include "cli/filter_opts.h"

#include "cli/cli.h"
#include "cli/output.h"
#include "core/conf.h"
#include "ident/ident.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(KM_ARRAY_LEN(((struct km_filter *)0)->conds) == KM_CLI_FILTER_MAX,
               "KM_CLI_FILTER_MAX must match struct km_filter");

void km_cli_filter_init(struct km_cli_filter *cf)
{
    memset(cf, 0, sizeof *cf);
    km_filter_init(&cf->f);
}

void km_cli_filter_free(struct km_cli_filter *cf)
{
    for (int i = 0; i < KM_CLI_FILTER_MAX; i++) {
        free(cf->sel[i]);
        cf->sel[i] = NULL;
    }
    km_idgraph_free(cf->graph);
    cf->graph = NULL;
}

/* ---- persons -------------------------------------------------------------- */

struct selv {
    struct km_sel *v;
    uint32_t n, cap;
};

static void sel_add(void *ctx, int field, const char *value)
{
    struct selv *s = ctx;
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 16;
        s->v = km_xrealloc(s->v, s->cap * sizeof *s->v);
    }
    s->v[s->n++] = (struct km_sel){field, value};
}

static int person_accept(void *actx, const struct km_event *ev)
{
    const struct km_cli_person *w = actx;
    return km_idgraph_person_of(w->g, ev) == w->p;
}

void km_cli_filter_set_person(struct km_cli_filter *cf, int i, int p)
{
    struct selv sv = {0};
    km_idgraph_person_selectors(cf->graph, p, sel_add, &sv);
    free(cf->sel[i]);
    cf->sel[i] = sv.v;
    cf->who[i] = (struct km_cli_person){cf->graph, p};
    struct km_cond *c = &cf->f.conds[i];
    c->sel = sv.v;
    c->nsel = sv.n;
    c->accept = person_accept;
    c->actx = &cf->who[i];
    if (!sv.n) {
        /* no identity: nothing can match */
        static const struct km_sel none = {KM_F_ACTOR_EMAIL, ""};
        c->sel = &none;
        c->nsel = 1;
    }
}

static int graph_of(struct km_cli_filter *cf, const char *cmd, struct km_store *s)
{
    if (cf->graph)
        return 0;
    char *av[4] = {(char *)cmd, (char *)"--config", (char *)cf->config, NULL};
    int ac = cf->config ? 3 : 1;
    struct km_conf *conf = km_cli_conf(cmd, km_store_dir(s), &ac, av);
    if (!conf)
        return -1;
    struct km_err err;
    km_err_clear(&err);
    int rc = km_idgraph_build_ex(s, conf, KM_IDGRAPH_NO_TIMES, &cf->graph, &err);
    km_conf_free(conf);
    if (rc != KM_OK) {
        char m[1200];
        fprintf(stderr, "kumo %s: identities: %s\n", cmd, km_err_fmt(&err, m, sizeof m));
        return -1;
    }
    return 0;
}

static void person_note(struct km_cli_filter *cf, const char *cmd, const char *x, int p)
{
    const struct km_person *pe = km_idgraph_person(cf->graph, (size_t)p);
    const char *prov[8];
    int np = 0;
    for (uint32_t i = 0; i < pe->nidents; i++) {
        const char *pv = km_idgraph_ident(cf->graph, pe->idents[i])->provider;
        int dup = 0;
        for (int k = 0; k < np; k++)
            dup |= strcmp(prov[k], pv) == 0;
        if (!dup && np < 8)
            prov[np++] = pv;
    }
    char list[128] = "";
    size_t k = 0;
    for (int i = 0; i < np && k < sizeof list; i++)
        k += (size_t)snprintf(list + k, sizeof list - k, "%s%s", i ? ", " : "", prov[i]);
    km_log(1, "kumo %s: '%s' is the person %s: %u identities (%s)\n", cmd, x, pe->email,
           pe->nidents, list);
}

int km_cli_filter_person_of(struct km_cli_filter *cf, const char *cmd, struct km_store *s,
                            const char *x)
{
    if (graph_of(cf, cmd, s))
        return -2;
    return km_idgraph_find_person(cf->graph, x, strlen(x));
}

int km_cli_filter_persons(struct km_cli_filter *cf, const char *cmd, struct km_store *s)
{
    for (int i = 0; i < cf->f.nconds; i++) {
        if (!cf->actor[i])
            continue;
        if (graph_of(cf, cmd, s))
            return -1;
        const char *x = cf->f.conds[i].value;
        int p = km_idgraph_find_person(cf->graph, x, strlen(x));
        if (p < 0)
            continue;
        km_cli_filter_set_person(cf, i, p);
        person_note(cf, cmd, x, p);
    }
    return 0;
}

/* A repeatable option: one condition over a set of (field, value) pairs,
 * any of which selects the event. */
static int set_opt(struct km_cli_filter *cf, const char *cmd, const char *a, int kind,
                   const int *fields, int nfields, int nocase, const char *v)
{
    struct km_filter *f = &cf->f;
    struct km_cond *c;
    if (!cf->set_cond[kind]) {
        if (f->nconds == KM_CLI_FILTER_MAX) {
            fprintf(stderr, "kumo %s: too many filters (at most %d)\n", cmd, KM_CLI_FILTER_MAX);
            return -1;
        }
        cf->set_cond[kind] = ++f->nconds;
        c = &f->conds[f->nconds - 1];
        memset(c, 0, sizeof *c);
        c->sel = cf->set[kind];
        c->nocase = nocase;
    }
    c = &f->conds[cf->set_cond[kind] - 1];
    if (c->nsel + (uint32_t)nfields > 2 * KM_CLI_FILTER_VALUES) {
        fprintf(stderr, "kumo %s: %s given more than %d times\n", cmd, a, KM_CLI_FILTER_VALUES);
        return -1;
    }
    for (int i = 0; i < nfields; i++)
        cf->set[kind][c->nsel++] = (struct km_sel){fields[i], v};
    return 1;
}

int km_cli_filter_optfn(void *ctx, const char *cmd, const char *name, const char *value)
{
    return km_cli_filter_opt(ctx, cmd, name, value) < 0 ? 2 : 0;
}

int km_cli_filter_opt(struct km_cli_filter *cf, const char *cmd, const char *a, const char *v)
{
    struct km_filter *f = &cf->f;
    uint64_t mask = 0;
    static const int ip[] = {KM_F_SRC_IP, KM_F_SRC_RAW}, action[] = {KM_F_ACTION},
                     account[] = {KM_F_ACCOUNT}, source[] = {KM_F_SOURCE},
                     key[] = {KM_F_ACTOR_ACCESS_KEY};
    if (strcmp(a, "--since") == 0 || strcmp(a, "--until") == 0) {
        int64_t t;
        if (km_opts_time(v, a[2] == 'u', &t, NULL) != 0) {
            fprintf(stderr, "kumo %s: %s '%s': cannot read this time (use 2026-10-01, "
                            "2026-10-01T12:00:00Z or 7d/12h/30m)\n", cmd, a, v);
            return -1;
        }
        if (a[2] == 's')
            f->since = t;
        else
            f->until = t;
        return 1;
    } else if (strcmp(a, "--config") == 0) {
        cf->config = v;
        return 1;
    } else if (strcmp(a, "--actor") == 0)
        mask = 1ULL << KM_F_ACTOR_NAME | 1ULL << KM_F_ACTOR_ARN | 1ULL << KM_F_ACTOR_EMAIL |
               1ULL << KM_F_ACTOR_ID | 1ULL << KM_F_ACTOR_ACCESS_KEY;
    else if (strcmp(a, "--ip") == 0)
        return set_opt(cf, cmd, a, KM_CLI_FS_IP, ip, 2, 0, v);
    else if (strcmp(a, "--action") == 0)
        return set_opt(cf, cmd, a, KM_CLI_FS_ACTION, action, 1, 1, v);
    else if (strcmp(a, "--account") == 0)
        return set_opt(cf, cmd, a, KM_CLI_FS_ACCOUNT, account, 1, 0, v);
    else if (strcmp(a, "--source") == 0)
        return set_opt(cf, cmd, a, KM_CLI_FS_SOURCE, source, 1, 1, v);
    else if (strcmp(a, "--key") == 0)
        return set_opt(cf, cmd, a, KM_CLI_FS_KEY, key, 1, 0, v);
    else
        return 0;
    if (f->nconds == KM_CLI_FILTER_MAX) {
        fprintf(stderr, "kumo %s: too many filters (at most %d)\n", cmd, KM_CLI_FILTER_MAX);
        return -1;
    }
    f->conds[f->nconds].fields = mask;
    if ((mask & (1ULL << KM_F_ACTOR_EMAIL)) && strchr(v, '@') &&
        strlen(v) < sizeof cf->lower[0]) {
        /* e-mails and UPNs are stored lower-cased: match them that way */
        char *low = cf->lower[f->nconds];
        size_t k = 0;
        for (; v[k]; k++)
            low[k] = (char)tolower((unsigned char)v[k]);
        low[k] = 0;
        v = low;
    }
    f->conds[f->nconds].value = v;
    cf->actor[f->nconds] = strcmp(a, "--actor") == 0;
    f->nconds++;
    return 1;
}

/* ---- the time-ordered scan ---------------------------------------------- */

struct line {
    int64_t t;
    uint64_t seq;
    size_t off, len;
};

struct scan {
    struct km_cli_scan *sc;
    size_t cap;
    struct km_buf b;          /* the current line */
    struct km_buf held;       /* rendered lines awaiting the sort */
    struct line *lines;
    size_t nlines, caplines;
    struct km_err *err;
    int rc;                   /* the renderer's error */
};

static int line_cmp(const void *a, const void *b)
{
    const struct line *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return x->seq < y->seq ? -1 : (x->seq > y->seq);
}

static int full(const struct km_cli_scan *sc)
{
    return sc->limit && sc->written >= sc->limit;
}

static void emit(struct km_cli_scan *sc, const char *p, size_t n)
{
    if (full(sc))
        return;
    if (n)
        fwrite(p, 1, n, sc->out);
    sc->written++;
}

/* Writes the held lines in time order (up to the limit) and empties them. */
static void drain(struct scan *st)
{
    if (st->nlines)
        qsort(st->lines, st->nlines, sizeof *st->lines, line_cmp);
    for (size_t i = 0; i < st->nlines && !full(st->sc); i++)
        emit(st->sc, st->held.p + st->lines[i].off, st->lines[i].len);
    st->nlines = 0;
    st->held.n = 0;
}

static int on_event(void *vctx, const struct km_event *ev)
{
    struct scan *st = vctx;
    struct km_cli_scan *sc = st->sc;
    st->b.n = 0;
    int rc = sc->render(sc->ctx, ev, &st->b, st->err);
    if (rc == KM_OK && st->b.oom)
        rc = km_err_set(st->err, KM_ENOMEM, NULL, UINT64_MAX, "an event's output is too large");
    if (rc != KM_OK) {
        st->rc = rc;
        return 1;
    }
    sc->matched++;
    if (sc->unsorted) {
        emit(sc, st->b.p, st->b.n);
        return full(sc) ? 1 : 0;
    }
    if (st->held.n + st->b.n > st->cap) {
        fprintf(stderr, "kumo %s: more than %zu MB of output: the rest is written in store "
                        "order, not time order (narrow the filters)\n",
                sc->cmd ? sc->cmd : "scan", st->cap >> 20);
        drain(st);
        sc->unsorted = 1;
        emit(sc, st->b.p, st->b.n);
        return full(sc) ? 1 : 0;
    }
    if (st->nlines == st->caplines) {
        st->caplines = st->caplines ? st->caplines * 2 : 1024;
        st->lines = km_xrealloc(st->lines, st->caplines * sizeof *st->lines);
    }
    st->lines[st->nlines++] = (struct line){ev->time_us, sc->matched, st->held.n, st->b.n};
    km_buf_add(&st->held, st->b.p, st->b.n);
    return 0;
}

int km_cli_sorted_scan(struct km_store *s, const struct km_filter *f, struct km_cli_scan *sc,
                       struct km_err *err)
{
    struct scan st = {0};
    st.sc = sc;
    st.err = err;
    st.cap = sc->sort_cap ? sc->sort_cap : KM_CLI_SORT_CAP;
    sc->matched = sc->written = 0;
    sc->unsorted = 0;
    km_buf_init(&st.b, 0);
    km_buf_init(&st.held, st.cap + 1);
    int rc = sc->source ? sc->source(sc->sctx, on_event, &st, err)
                        : km_store_scan(s, f, on_event, &st, err);
    if (rc == KM_OK)
        rc = st.rc;
    if (!sc->unsorted)
        drain(&st); /* also after an error: what was read is written */
    km_buf_free(&st.b);
    km_buf_free(&st.held);
    free(st.lines);
    if (fflush(sc->out) != 0 || ferror(sc->out)) {
        if (rc == KM_OK)
            rc = km_err_set(err, KM_EIO, NULL, UINT64_MAX, "writing the output failed");
    }
    return rc;
}
