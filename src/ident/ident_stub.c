/*
 * ident_stub.c — TEMPORARY: a graph whose persons are the actor.email values,
 * until src/ident/ident.c lands.
 */
#include "ident/ident.h"

#include "core/event.h"
#include "store/segment.h"

#include <stdlib.h>
#include <string.h>

struct km_idgraph {
    char **emails;
    size_t n;
    struct km_person *p;
};

int km_idgraph_build(struct km_store *s, const struct km_conf *conf, struct km_idgraph **out,
                     struct km_err *err)
{
    (void)s, (void)conf, (void)err;
    *out = km_xcalloc(1, sizeof **out);
    return KM_OK;
}

void km_idgraph_free(struct km_idgraph *g)
{
    if (!g)
        return;
    for (size_t i = 0; i < g->n; i++)
        free(g->emails[i]);
    free(g->emails);
    free(g->p);
    free(g);
}

size_t km_idgraph_npersons(const struct km_idgraph *g) { return g->n; }
const struct km_person *km_idgraph_person(const struct km_idgraph *g, size_t i) { return &g->p[i]; }
size_t km_idgraph_nidents(const struct km_idgraph *g) { (void)g; return 0; }
const struct km_ident *km_idgraph_ident(const struct km_idgraph *g, size_t i)
{
    (void)g, (void)i;
    return NULL;
}

static int intern(struct km_idgraph *g, const char *s, size_t n)
{
    for (size_t i = 0; i < g->n; i++)
        if (strlen(g->emails[i]) == n && memcmp(g->emails[i], s, n) == 0)
            return (int)i;
    g->emails = km_xrealloc(g->emails, (g->n + 1) * sizeof *g->emails);
    g->p = km_xrealloc(g->p, (g->n + 1) * sizeof *g->p);
    char *c = km_xmalloc(n + 1);
    memcpy(c, s, n);
    c[n] = 0;
    g->emails[g->n] = c;
    for (size_t i = 0; i < g->n; i++)
        g->p[i].email = g->emails[i];
    g->p[g->n] = (struct km_person){c, "", 0, NULL};
    return (int)g->n++;
}

int km_idgraph_find_person(const struct km_idgraph *g, const char *s, size_t n)
{
    for (size_t i = 0; i < g->n; i++)
        if (strlen(g->emails[i]) == n && memcmp(g->emails[i], s, n) == 0)
            return (int)i;
    return -1;
}

int km_idgraph_person_of(const struct km_idgraph *g, const struct km_event *ev)
{
    struct km_str e = ev->f[KM_F_ACTOR_EMAIL];
    if (!e.p)
        return -1;
    return intern((struct km_idgraph *)g, e.p, e.n);
}

int km_idgraph_seg_persons(const struct km_idgraph *g, struct km_seg *seg, int32_t *out,
                           struct km_err *err)
{
    uint64_t n = km_seg_rows(seg);
    for (uint64_t r = 0; r < n; r++) {
        struct km_str v = KM_STR_NONE;
        km_seg_str(seg, KM_F_ACTOR_EMAIL, (uint32_t)r, &v, err);
        out[r] = v.p ? intern((struct km_idgraph *)g, v.p, v.n) : -1;
    }
    return KM_OK;
}

size_t km_idgraph_domains(const struct km_idgraph *g, const char *const **domains,
                          const char **origin)
{
    (void)g;
    *domains = NULL;
    *origin = "";
    return 0;
}

void km_idgraph_person_selectors(const struct km_idgraph *g, int p,
                                 void (*cb)(void *ctx, int field, const char *value), void *ctx)
{
    cb(ctx, KM_F_ACTOR_EMAIL, g->emails[p]);
}

const char *km_ident_kind_name(int kind) { (void)kind; return "other"; }
