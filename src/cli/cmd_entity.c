/*
 * cmd_entity.c — `kumo entity X`: what the store knows about one IP address,
 * access key, person (e-mail), identity, resource or session: first and last
 * seen, events, providers, sources, accounts, countries, user agents, top
 * actions, failures and their error codes, and the source IPs or identities
 * involved. One pass over the matching events; every dimension is a capped
 * top-N counter (timeline.h), so memory is bounded whatever X matches.
 * When X names a person (ident/ident.h: an e-mail, UPN, IAM user name, ARN,
 * object id of one of their identities), the events are all of that
 * person's identities and the report lists them per provider.
 * docs/timeline.md shows examples.
 */
#include "cli/opts.h"
#include "cli/cli.h"
#include "cli/filter_opts.h"
#include "cli/geo_opts.h"
#include "cli/output.h"
#include "cli/timeline.h"
#include "core/ip.h"
#include "core/timeparse.h"
#include "ident/ident.h"
#include "store/store.h"

#include <ctype.h>
#include <math.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- kinds (timeline.h) -------------------------------------------------- */

static const char *const kind_names[] = {
    [KM_TL_AUTO] = "auto",         [KM_TL_IP] = "ip",       [KM_TL_KEY] = "key",
    [KM_TL_EMAIL] = "email",       [KM_TL_ACTOR] = "actor", [KM_TL_RESOURCE] = "resource",
    [KM_TL_SESSION] = "session",
};

/* What each kind matches, for the report. */
static const char *const kind_fields[] = {
    [KM_TL_AUTO] = "",
    [KM_TL_IP] = "src.ip, src.raw",
    [KM_TL_KEY] = "actor.access_key",
    [KM_TL_EMAIL] = "actor.email",
    [KM_TL_ACTOR] = "actor.name, actor.id, actor.arn, actor.email, actor.access_key",
    [KM_TL_RESOURCE] = "resources (id, name or last ARN/path component)",
    [KM_TL_SESSION] = "session_id",
};

const char *km_tl_kind_name(int kind)
{
    return kind >= 0 && kind < (int)KM_ARRAY_LEN(kind_names) ? kind_names[kind] : "?";
}

int km_tl_kind_parse(const char *name)
{
    for (int k = 0; k < (int)KM_ARRAY_LEN(kind_names); k++)
        if (strcmp(kind_names[k], name) == 0)
            return k;
    return -1;
}

int km_tl_kind_guess(const char *x)
{
    size_t n = strlen(x);
    uint8_t a[16];
    if (n && km_ip_parse(x, n, a, NULL) == KM_OK)
        return KM_TL_IP;
    if (n >= 16 && n <= 128 && (strncmp(x, "AKIA", 4) == 0 || strncmp(x, "ASIA", 4) == 0)) {
        size_t i = 4;
        while (i < n && (isupper((unsigned char)x[i]) || isdigit((unsigned char)x[i])))
            i++;
        if (i == n)
            return KM_TL_KEY;
    }
    if (strchr(x, '@'))
        return KM_TL_EMAIL;
    return KM_TL_ACTOR;
}

/* ---- top-N counter (timeline.h) ------------------------------------------ */

struct topn_ent {
    uint64_t h;
    char *s;                  /* NULL: empty slot */
    uint32_t n;
    uint64_t count;
};

struct km_topn {
    uint32_t cap, used;
    size_t mask;
    struct topn_ent *tab;
    uint64_t other, total;
    int capped;
    struct km_arena a;
};

struct km_topn *km_topn_new(uint32_t cap)
{
    if (!cap)
        cap = 1;
    struct km_topn *t = km_xcalloc(1, sizeof *t);
    size_t size = 16;
    while (size < (size_t)cap * 2)
        size *= 2;
    t->cap = cap;
    t->mask = size - 1;
    t->tab = km_xcalloc(size, sizeof *t->tab);
    /* every admitted value fits: at most cap * (KM_TOPN_VALUE_MAX + 1) bytes */
    km_arena_init(&t->a, 1 << 16, (size_t)cap * (KM_TOPN_VALUE_MAX + 32) + (1 << 20));
    return t;
}

void km_topn_free(struct km_topn *t)
{
    if (!t)
        return;
    km_arena_free(&t->a);
    free(t->tab);
    free(t);
}

void km_topn_add(struct km_topn *t, const char *s, size_t n)
{
    if (!s)
        n = 0;
    if (n > KM_TOPN_VALUE_MAX) {
        n = KM_TOPN_VALUE_MAX;
        while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
            n--; /* s[n] continues a character: cut before its lead byte */
    }
    uint64_t h = km_tl_hash(KM_TL_HASH_INIT, s, n);
    t->total++;
    for (size_t i = (size_t)h & t->mask;; i = (i + 1) & t->mask) {
        struct topn_ent *e = &t->tab[i];
        if (!e->s) {
            if (t->used >= t->cap) {
                t->other++;
                t->capped = 1;
                return;
            }
            char *copy = km_arena_strndup(&t->a, n ? s : "", n);
            if (!copy) { /* cannot happen: the ceiling covers cap values */
                t->other++;
                t->capped = 1;
                return;
            }
            *e = (struct topn_ent){h, copy, (uint32_t)n, 1};
            t->used++;
            return;
        }
        if (e->h == h && e->n == n && memcmp(e->s, s, n) == 0) {
            e->count++;
            return;
        }
    }
}

uint64_t km_topn_distinct(const struct km_topn *t) { return t->used; }
int km_topn_capped(const struct km_topn *t) { return t->capped; }
uint64_t km_topn_other(const struct km_topn *t) { return t->other; }
uint64_t km_topn_total(const struct km_topn *t) { return t->total; }

static int ent_cmp(const void *a, const void *b)
{
    const struct topn_ent *x = *(const struct topn_ent *const *)a;
    const struct topn_ent *y = *(const struct topn_ent *const *)b;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    int c = memcmp(x->s, y->s, x->n < y->n ? x->n : y->n);
    return c ? c : (x->n > y->n) - (x->n < y->n);
}

size_t km_topn_top(const struct km_topn *t, struct km_topn_item *out, size_t k)
{
    if (!t->used || !k)
        return 0;
    const struct topn_ent **v = km_xmalloc(t->used * sizeof *v);
    size_t n = 0;
    for (size_t i = 0; i <= t->mask; i++)
        if (t->tab[i].s)
            v[n++] = &t->tab[i];
    qsort(v, n, sizeof *v, ent_cmp);
    if (k > n)
        k = n;
    for (size_t i = 0; i < k; i++)
        out[i] = (struct km_topn_item){v[i]->s, v[i]->n, v[i]->count};
    free(v);
    return k;
}

/* ---- accumulation -------------------------------------------------------- */

enum {
    D_PROVIDER, D_SOURCE, D_ACCOUNT, D_COUNTRY, D_AGENT, D_ACTION, D_ERROR, D_IP, D_IDENTITY,
    D__COUNT
};

static const struct {
    const char *json;         /* key in --json */
    const char *title;        /* heading in the report */
    int inline_list;          /* one line "title  v n, v n" rather than a block */
} dims[D__COUNT] = {
    [D_PROVIDER] = {"providers", "providers", 1},
    [D_SOURCE] = {"sources", "sources", 1},
    [D_ACCOUNT] = {"accounts", "accounts", 1},
    [D_COUNTRY] = {"countries", "countries", 1},
    [D_ACTION] = {"actions", "top actions", 0},
    [D_ERROR] = {"error_codes", "top error codes of failures", 0},
    [D_AGENT] = {"user_agents", "top user agents", 0},
    [D_IP] = {"source_ips", "source IPs", 0},
    [D_IDENTITY] = {"identities", "identities", 0},
};

/* Block order in the report. */
static const int report_order[] = {D_ACTION, D_ERROR, D_AGENT, D_IP, D_IDENTITY};

#define KM_ENTITY_CAP 10000   /* distinct values counted exactly per dimension */

struct ent {
    const char *resource;     /* KM_TL_RESOURCE: the value to match */
    struct km_cli_geo *geo;   /* countries of addresses the provider did not locate */
    const struct km_idgraph *g;   /* X is person `person` of g */
    int person;
    uint64_t *ident_events;   /* per identity of g: events in the window */
    struct km_arena scratch;
    uint64_t events, failures;
    uint64_t interrupted;     /* outcome interrupted (an Entra MFA / "Stay signed in?" step):
                                 not a failure, shown beside the failures */
    int64_t first, last;
    struct km_topn *d[D__COUNT];
};

static void count(struct ent *e, int d, struct km_str v)
{
    if (v.p && v.n)
        km_topn_add(e->d[d], v.p, v.n);
}

static struct km_str first_of(const struct km_event *ev, const int *f, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (ev->f[f[i]].p && ev->f[f[i]].n)
            return ev->f[f[i]];
    return KM_STR_NONE;
}

static int on_event(void *vctx, const struct km_event *ev)
{
    struct ent *e = vctx;
    if (e->resource && !km_tl_resource_match(ev->f[KM_F_RESOURCES], e->resource, &e->scratch))
        return 0;
    if (!e->events || ev->time_us < e->first)
        e->first = ev->time_us;
    if (!e->events || ev->time_us > e->last)
        e->last = ev->time_us;
    e->events++;
    if (e->g) {
        int i = km_idgraph_ident_of(e->g, ev);
        if (i >= 0)
            e->ident_events[i]++;
    }
    count(e, D_PROVIDER, ev->f[KM_F_PROVIDER]);
    count(e, D_SOURCE, ev->f[KM_F_SOURCE]);
    count(e, D_ACCOUNT, ev->f[KM_F_ACCOUNT]);
    if (ev->f[KM_F_SRC_COUNTRY].p && ev->f[KM_F_SRC_COUNTRY].n) {
        count(e, D_COUNTRY, ev->f[KM_F_SRC_COUNTRY]);
    } else if (ev->f[KM_F_SRC_IP].p && ev->f[KM_F_SRC_IP].n && !e->geo->failed) {
        struct km_geo *g = km_cli_geo_get(e->geo);
        struct km_geo_rec r;
        km_geo_lookup(g, ev->f[KM_F_SRC_IP].p, ev->f[KM_F_SRC_IP].n, &r);
        if (r.country[0])
            count(e, D_COUNTRY, km_str_c(r.country));
    }
    count(e, D_AGENT, ev->f[KM_F_USER_AGENT]);
    count(e, D_ACTION, ev->f[KM_F_ACTION]);
    if (km_str_eqc(ev->f[KM_F_OUTCOME], "failure")) {
        e->failures++;
        count(e, D_ERROR, ev->f[KM_F_ERROR_CODE]);
    } else if (km_str_eqc(ev->f[KM_F_OUTCOME], "interrupted")) {
        e->interrupted++;
    }
    static const int ip[] = {KM_F_SRC_IP, KM_F_SRC_RAW};
    static const int who[] = {KM_F_ACTOR_ARN, KM_F_ACTOR_EMAIL, KM_F_ACTOR_NAME, KM_F_ACTOR_ID};
    count(e, D_IP, first_of(ev, ip, KM_ARRAY_LEN(ip)));
    count(e, D_IDENTITY, first_of(ev, who, KM_ARRAY_LEN(who)));
    return 0;
}

/* Builds the filter for `kind` (keeping the time bounds of base). Returns 0,
 * or 2 after a message when the value cannot be used. */
static int kind_filter(int kind, const char *x, const struct km_filter *base,
                       struct km_cli_filter *cf, char canon[KM_IP_TEXT_MAX])
{
    km_cli_filter_init(cf);
    cf->f.since = base->since;
    cf->f.until = base->until;
    struct km_cond *c = &cf->f.conds[0];
    switch (kind) {
    case KM_TL_IP:
        if (km_ip_canon(x, strlen(x), canon))
            x = canon; /* src.ip holds the canonical text */
        return km_cli_filter_opt(cf, "entity", "--ip", x) < 0 ? 2 : 0;
    case KM_TL_KEY:
        return km_cli_filter_opt(cf, "entity", "--key", x) < 0 ? 2 : 0;
    case KM_TL_ACTOR:
        return km_cli_filter_opt(cf, "entity", "--actor", x) < 0 ? 2 : 0;
    case KM_TL_EMAIL: {
        size_t n = strlen(x);
        if (n >= sizeof cf->lower[0]) {
            fprintf(stderr, "kumo entity: e-mail address too long\n");
            return 2;
        }
        for (size_t k = 0; k <= n; k++)
            cf->lower[0][k] = (char)tolower((unsigned char)x[k]);
        c->fields = 1ULL << KM_F_ACTOR_EMAIL;
        c->value = cf->lower[0];
        cf->f.nconds = 1;
        return 0;
    }
    case KM_TL_SESSION:
        c->fields = 1ULL << KM_F_SESSION_ID;
        c->value = x;
        cf->f.nconds = 1;
        return 0;
    default: /* KM_TL_RESOURCE: no condition the store can prune on */
        return 0;
    }
}

/* ---- report -------------------------------------------------------------- */

static void json_dim(struct km_buf *b, const struct km_topn *t, struct km_topn_item *it,
                     size_t top)
{
    size_t n = km_topn_top(t, it, top);
    km_buf_printf(b, "{\"distinct\":%llu,\"capped\":%s,\"other\":%llu,\"top\":[",
                  (unsigned long long)km_topn_distinct(t), km_topn_capped(t) ? "true" : "false",
                  (unsigned long long)km_topn_other(t));
    for (size_t i = 0; i < n; i++) {
        km_buf_adds(b, i ? ",{\"value\":" : "{\"value\":");
        km_json_write_str(b, it[i].value, it[i].len);
        km_buf_printf(b, ",\"count\":%llu}", (unsigned long long)it[i].count);
    }
    km_buf_adds(b, "]}");
}

/* Where an IP entity is (kind ip only): class, country, city, AS and the
 * databases that answered. */
static void geo_json(struct km_buf *b, struct km_geo *g, const struct km_geo_rec *r)
{
    km_buf_printf(b, ",\"geo\":{\"class\":\"%s\"", km_geo_class_name(r->cls));
    const char *nm = r->country[0] ? km_geo_country_name(g, r->country) : "";
    const char *kv[][2] = {{"country", r->country}, {"country_name", nm}, {"city", r->city},
                           {"db", r->db},           {"as_org", r->as_org}, {"asn_db", r->asn_db}};
    for (size_t i = 0; i < KM_ARRAY_LEN(kv); i++) {
        km_buf_printf(b, ",\"%s\":", kv[i][0]);
        if (*kv[i][1])
            km_json_write_str(b, kv[i][1], strlen(kv[i][1]));
        else
            km_buf_adds(b, "null");
    }
    if (r->asn)
        km_buf_printf(b, ",\"asn\":%u", r->asn);
    else
        km_buf_adds(b, ",\"asn\":null");
    if (isfinite(r->lat))
        km_buf_printf(b, ",\"lat\":%.4f,\"lon\":%.4f,\"radius_km\":%.0f}", r->lat, r->lon,
                      r->radius_km);
    else
        km_buf_adds(b, ",\"lat\":null,\"lon\":null,\"radius_km\":null}");
}

static void geo_text(struct km_buf *b, struct km_geo *g, const struct km_geo_rec *r)
{
    km_buf_printf(b, "  %-12s%s\n", "class", km_geo_class_name(r->cls));
    if (r->cls != KM_GEO_PUBLIC)
        return;
    km_buf_printf(b, "  %-12s", "location");
    if (r->country[0]) {
        const char *nm = km_geo_country_name(g, r->country);
        km_buf_printf(b, "%s%s%s%s", r->country, *nm ? " (" : "", nm, *nm ? ")" : "");
        if (*r->city)
            km_buf_printf(b, ", %s", r->city);
        km_buf_printf(b, "  [%s]", r->db);
    } else {
        km_buf_adds(b, "unknown");
    }
    if (r->asn)
        km_buf_printf(b, "\n  %-12sAS%u %s  [%s]", "network", r->asn, r->as_org, r->asn_db);
    km_buf_addc(b, '\n');
}

static void json_person(struct km_buf *b, const struct ent *e)
{
    const struct km_person *p = km_idgraph_person(e->g, (size_t)e->person);
    km_buf_adds(b, ",\"person\":{\"email\":");
    km_json_write_str(b, p->email, strlen(p->email));
    km_buf_adds(b, ",\"display\":");
    km_json_write_str(b, p->display, strlen(p->display));
    km_buf_adds(b, ",\"identities\":[");
    for (uint32_t k = 0; k < p->nidents; k++) {
        const struct km_ident *d = km_idgraph_ident(e->g, p->idents[k]);
        km_buf_adds(b, k ? ",{\"provider\":" : "{\"provider\":");
        km_json_write_str(b, d->provider, strlen(d->provider));
        km_buf_adds(b, ",\"kind\":");
        const char *kn = km_ident_kind_name(d->kind);
        km_json_write_str(b, kn, strlen(kn));
        km_buf_adds(b, ",\"account\":");
        km_json_write_str(b, d->account, strlen(d->account));
        km_buf_adds(b, ",\"name\":");
        km_json_write_str(b, d->name, strlen(d->name));
        km_buf_adds(b, ",\"id\":");
        km_json_write_str(b, d->id, strlen(d->id));
        km_buf_printf(b, ",\"events\":%llu,\"rule\":",
                      (unsigned long long)e->ident_events[p->idents[k]]);
        km_json_write_str(b, d->rule, strlen(d->rule));
        km_buf_adds(b, ",\"rule_detail\":");
        km_json_write_str(b, d->rule_detail, strlen(d->rule_detail));
        km_buf_addc(b, '}');
    }
    km_buf_adds(b, "]}");
}

static void report_json(struct km_buf *b, const struct ent *e, const char *x, int kind,
                        size_t top, struct km_topn_item *it, struct km_geo *g,
                        const struct km_geo_rec *geo)
{
    km_buf_adds(b, "{\"entity\":");
    km_json_write_str(b, x, strlen(x));
    km_buf_printf(b, ",\"kind\":\"%s\",\"events\":%llu", km_tl_kind_name(kind),
                  (unsigned long long)e->events);
    if (geo)
        geo_json(b, g, geo);
    if (e->g)
        json_person(b, e);
    if (e->events) {
        char t[32];
        km_time_fmt(e->first, t);
        km_buf_printf(b, ",\"first\":\"%s\"", t);
        km_time_fmt(e->last, t);
        km_buf_printf(b, ",\"last\":\"%s\"", t);
    } else {
        km_buf_adds(b, ",\"first\":null,\"last\":null");
    }
    km_buf_printf(b, ",\"failures\":%llu,\"interrupted\":%llu", (unsigned long long)e->failures,
                  (unsigned long long)e->interrupted);
    for (int d = 0; d < D__COUNT; d++) {
        km_buf_printf(b, ",\"%s\":", dims[d].json);
        json_dim(b, e->d[d], it, top);
    }
    km_buf_adds(b, "}\n");
}

static void distinct_note(struct km_buf *b, const struct km_topn *t)
{
    km_buf_printf(b, "%s%llu distinct", km_topn_capped(t) ? "more than " : "",
                  (unsigned long long)km_topn_distinct(t));
}

/* s escaped, cut to the terminal's width less `minus` columns (at least
 * 20) only when width is not 0 (stdout is a terminal). */
static void fit(struct km_buf *b, const char *s, size_t n, int width, int minus)
{
    km_out_fit(b, s, n, width ? (width - minus > 20 ? width - minus : 20) : 0, 0, "~");
}

static void report_text(struct km_buf *b, const struct ent *e, const char *x, int kind,
                        size_t top, struct km_topn_item *it, int width, struct km_geo *g,
                        const struct km_geo_rec *geo)
{
    fit(b, x, strlen(x), width, 40);
    const struct km_person *pe = e->g ? km_idgraph_person(e->g, (size_t)e->person) : NULL;
    if (pe)
        km_buf_printf(b, "  (person %s%s%s%s: %u identities)\n", pe->email,
                      pe->display[0] ? " \"" : "", pe->display, pe->display[0] ? "\"" : "",
                      pe->nidents);
    else
        km_buf_printf(b, "  (%s: %s)\n", km_tl_kind_name(kind), kind_fields[kind]);
    if (geo)
        geo_text(b, g, geo);
    char num[32], t[32];
    km_buf_printf(b, "  %-12s%s\n", "events", km_out_num(e->events, num, sizeof num));
    if (!e->events)
        return;
    km_time_fmt(e->first, t);
    km_buf_printf(b, "  %-12s%s\n", "first seen", t);
    km_time_fmt(e->last, t);
    km_buf_printf(b, "  %-12s%s\n", "last seen", t);
    km_buf_printf(b, "  %-12s%s (%.1f%%)\n", "failures", km_out_num(e->failures, num, sizeof num),
                  100.0 * (double)e->failures / (double)e->events);
    if (e->interrupted)
        km_buf_printf(b, "  %-12s%s (%.1f%%)\n", "interrupted",
                      km_out_num(e->interrupted, num, sizeof num),
                      100.0 * (double)e->interrupted / (double)e->events);
    struct km_buf l;
    km_buf_init(&l, 0);
    if (pe) {
        /* the person's identities, per provider */
        const char *prev = "";
        for (uint32_t k = 0; k < pe->nidents; k++) {
            const struct km_ident *d = km_idgraph_ident(e->g, pe->idents[k]);
            l.n = 0;
            km_buf_printf(&l, "%-18s %6s  %-10s %s%s%s%s", km_ident_kind_name(d->kind),
                          km_out_num(e->ident_events[pe->idents[k]], num, sizeof num), d->rule,
                          d->name, d->account[0] ? " [" : "", d->account,
                          d->account[0] ? "]" : "");
            km_buf_printf(b, "  %-12s", strcmp(prev, d->provider) ? d->provider : "");
            fit(b, l.p, l.n, width, 14);
            km_buf_addc(b, '\n');
            prev = d->provider;
        }
    }
    for (int d = 0; d < D__COUNT; d++) {
        if (!dims[d].inline_list)
            continue;
        size_t n = km_topn_top(e->d[d], it, top);
        l.n = 0;
        for (size_t i = 0; i < n; i++) {
            km_buf_adds(&l, i ? ", " : "");
            km_buf_add(&l, it[i].value, it[i].len);
            km_buf_printf(&l, " %s", km_out_num(it[i].count, num, sizeof num));
        }
        if (!n)
            km_buf_adds(&l, "-");
        if (km_topn_distinct(e->d[d]) > n || km_topn_capped(e->d[d])) {
            km_buf_adds(&l, " (");
            distinct_note(&l, e->d[d]);
            km_buf_adds(&l, ")");
        }
        km_buf_printf(b, "  %-12s", dims[d].title);
        fit(b, l.p, l.n, width, 14);
        km_buf_addc(b, '\n');
    }
    km_buf_free(&l);
    for (size_t r = 0; r < KM_ARRAY_LEN(report_order); r++) {
        int d = report_order[r];
        if (d == D_IP && kind == KM_TL_IP)
            continue; /* the entity itself */
        if (d == D_IDENTITY && kind == KM_TL_ACTOR && km_topn_distinct(e->d[d]) <= 1)
            continue;
        size_t n = km_topn_top(e->d[d], it, top);
        if (!n)
            continue;
        km_buf_printf(b, "\n%s (", dims[d].title);
        distinct_note(b, e->d[d]);
        km_buf_adds(b, ")\n");
        for (size_t i = 0; i < n; i++) {
            km_buf_printf(b, "  %9s  ", km_out_num(it[i].count, num, sizeof num));
            fit(b, it[i].value, it[i].len, width, 13);
            km_buf_addc(b, '\n');
        }
    }
}

int km_cmd_entity(int argc, char **argv)
{
    const char *dir = km_cli_store_dir(&argc, argv);
    struct km_cli_geo geo;
    km_cli_geo_begin(&geo, "entity", dir);
    struct km_cli_filter times;
    km_cli_filter_init(&times);
    const char *x = NULL, *kind_name = "auto";
    int kind = KM_TL_AUTO, json = 0;
    unsigned long top = 10;
    const struct km_opt opt[] = {
        KM_CLI_FILTER_TIME_OPTS(&times),
        KM_OPT_ENUM("--kind", 0, &kind_name, "auto|ip|key|email|actor|resource|session",
                    "what X is (default: guessed from its form)"),
        KM_OPT_INT("--top", 0, &top, 1, 1000, "N", "rows of each top list (default 10)"),
        KM_OPT_FLAG("--json", 0, &json, "print JSON"),
        KM_CLI_GEO_OPT(&geo),
        KM_OPT_END,
    };
    struct km_opts op = {.cmd = "entity", .args = "X", .opt = opt, .pos = &x, .minpos = 1,
                         .maxpos = 1};
    int ex;
    if (km_opts_parse(&op, argc, argv, &ex))
        return ex;
    kind = km_tl_kind_parse(kind_name);
    if (kind < 0)
        return 2; /* not reached: the table lists the kinds */
    if (!*x) {
        fprintf(stderr, "kumo entity: which entity? (an IP, access key, e-mail, ARN, name)\n");
        return km_cli_usage("entity");
    }
    int guessed = kind == KM_TL_AUTO;
    if (guessed)
        kind = km_tl_kind_guess(x);
    struct km_cli_filter cf;
    char canon[KM_IP_TEXT_MAX];
    if (kind_filter(kind, x, &times.f, &cf, canon))
        return 2;

    struct km_store *s;
    if (km_cli_open_store("entity", dir, 0, &s) != KM_OK)
        return 1;
    struct ent e = {0};
    e.geo = &geo;
    if (kind == KM_TL_ACTOR || kind == KM_TL_EMAIL) {
        /* a person: all of their identities */
        cf.config = times.config;
        int p = km_cli_filter_person_of(&cf, "entity", s, x);
        if (p == -2) {
            km_store_close(s);
            km_cli_filter_free(&cf);
            return 2;
        }
        if (p >= 0) {
            cf.f.nconds = 1;
            km_cli_filter_set_person(&cf, 0, p);
            e.g = cf.graph;
            e.person = p;
            e.ident_events = km_xcalloc(km_idgraph_nidents(cf.graph) + 1, sizeof *e.ident_events);
        }
    }
    km_arena_init(&e.scratch, 1 << 16, (size_t)64 << 20);
    for (int d = 0; d < D__COUNT; d++)
        e.d[d] = km_topn_new(KM_ENTITY_CAP);
    struct km_err err;
    km_err_clear(&err);
    e.resource = kind == KM_TL_RESOURCE ? x : NULL;
    int rc = km_store_scan(s, &cf.f, on_event, &e, &err);
    if (!rc && !e.events && !e.g && guessed && (kind == KM_TL_ACTOR || kind == KM_TL_EMAIL)) {
        /* no identity has that value: a resource may (a bucket ARN, a name) */
        kind = KM_TL_RESOURCE;
        km_cli_filter_free(&cf); /* the graph found no person: not needed */
        kind_filter(kind, x, &times.f, &cf, canon);
        e.resource = x;
        rc = km_store_scan(s, &cf.f, on_event, &e, &err);
    }
    km_store_close(s);
    if (!rc) {
        struct km_topn_item *it = km_xcalloc(top, sizeof *it);
        struct km_buf b;
        km_buf_init(&b, 0);
        struct km_geo_rec gr, *grp = NULL;
        struct km_geo *g = NULL;
        if (kind == KM_TL_IP) { /* an unlocatable address still has a class */
            g = geo.failed ? NULL : km_cli_geo_get(&geo);
            km_geo_lookup(g, canon[0] ? canon : x, strlen(canon[0] ? canon : x), &gr);
            grp = &gr;
        }
        if (json) {
            report_json(&b, &e, x, kind, top, it, g, grp);
        } else {
            struct km_buf t;
            km_buf_init(&t, 0);
            report_text(&t, &e, x, kind, top, it, km_tl_term_width(), g, grp);
            /* every value through the text rule (names and e-mails too) */
            km_out_text(&b, t.p, t.n, KM_OUT_KEEP_NL);
            km_buf_free(&t);
        }
        if (fwrite(b.p, 1, b.n, stdout) != b.n)
            rc = km_err_set(&err, KM_EIO, NULL, UINT64_MAX, "writing: %s", strerror(errno));
        if (!json && !rc)
            km_out_cut_note(stdout);
        if (!rc && fflush(stdout) != 0)
            rc = km_err_set(&err, KM_EIO, NULL, UINT64_MAX, "writing: %s", strerror(errno));
        km_buf_free(&b);
        free(it);
    }
    for (int d = 0; d < D__COUNT; d++)
        km_topn_free(e.d[d]);
    km_arena_free(&e.scratch);
    km_cli_geo_free(&geo);
    free(e.ident_events);
    km_cli_filter_free(&cf);
    if (rc) {
        char m[1200];
        fprintf(stderr, "kumo entity: %s\n", km_err_fmt(&err, m, sizeof m));
        return 1;
    }
    return 0;
}
