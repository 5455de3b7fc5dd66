/*
 * filter_opts.c — the filter options and the time-ordered scan shared by the
 * event-listing commands (filter_opts.h).
 */
#include "cli/filter_opts.h"

#include "cli/output.h"

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

int km_cli_filter_opt(struct km_cli_filter *cf, const char *cmd, const char *a, const char *v)
{
    struct km_filter *f = &cf->f;
    uint64_t mask = 0;
    if (strcmp(a, "--since") == 0 || strcmp(a, "--until") == 0) {
        int64_t t;
        if (km_out_parse_when(v, &t) != 0) {
            fprintf(stderr, "kumo %s: cannot read time '%s' (use 2026-10-01, "
                            "2026-10-01T12:00:00Z or 7d/12h/30m)\n", cmd, v);
            return -1;
        }
        if (a[2] == 's')
            f->since = t;
        else
            f->until = t;
        return 1;
    } else if (strcmp(a, "--actor") == 0)
        mask = 1ULL << KM_F_ACTOR_NAME | 1ULL << KM_F_ACTOR_ARN | 1ULL << KM_F_ACTOR_EMAIL |
               1ULL << KM_F_ACTOR_ID | 1ULL << KM_F_ACTOR_ACCESS_KEY;
    else if (strcmp(a, "--ip") == 0)
        mask = 1ULL << KM_F_SRC_IP | 1ULL << KM_F_SRC_RAW;
    else if (strcmp(a, "--action") == 0)
        mask = 1ULL << KM_F_ACTION;
    else if (strcmp(a, "--account") == 0)
        mask = 1ULL << KM_F_ACCOUNT;
    else if (strcmp(a, "--source") == 0)
        mask = 1ULL << KM_F_SOURCE;
    else if (strcmp(a, "--key") == 0)
        mask = 1ULL << KM_F_ACTOR_ACCESS_KEY;
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
