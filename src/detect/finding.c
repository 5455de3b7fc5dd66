/*
 * finding.c — findings: string sets, severities, the canonical JSON form
 * (what `kumo findings --format json` prints and the catalog keeps) and its
 * reader.
 */
#include "detect/finding.h"

#include "core/hash.h"
#include "core/timeparse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const sev_names[] = {"info", "low", "medium", "high", "critical"};
const char *const km_ent_names[KM_ENT__N] = {"ips",   "persons", "identities", "access_keys",
                                             "accounts", "roles", "resources", "countries"};

const char *km_sev_name(int sev)
{
    return sev >= 0 && sev <= KM_SEV_CRITICAL ? sev_names[sev] : "info";
}

int km_sev_parse(const char *s)
{
    for (int i = 0; i <= KM_SEV_CRITICAL; i++)
        if (s && strcmp(s, sev_names[i]) == 0)
            return i;
    return -1;
}

/* ---- string sets ------------------------------------------------------------- */

int km_strset_has(const struct km_strset *s, const char *p)
{
    for (uint32_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i], p) == 0)
            return 1;
    return 0;
}

void km_strset_add(struct km_strset *s, const char *p, size_t n)
{
    if (!p || !n)
        return;
    if (n > 1024)
        n = 1024;
    for (uint32_t i = 0; i < s->n; i++)
        if (strlen(s->v[i]) == n && memcmp(s->v[i], p, n) == 0)
            return;
    uint32_t cap = s->cap ? s->cap : 1000;
    if (s->n >= cap) {
        s->dropped++;
        return;
    }
    if (s->n == s->alloc) {
        s->alloc = s->alloc ? 2 * s->alloc : 4;
        s->v = km_xrealloc(s->v, s->alloc * sizeof *s->v);
    }
    char *c = km_xmalloc(n + 1);
    memcpy(c, p, n);
    c[n] = 0;
    s->v[s->n++] = c;
}

void km_strset_addc(struct km_strset *s, const char *p)
{
    if (p)
        km_strset_add(s, p, strlen(p));
}

void km_strset_free(struct km_strset *s)
{
    for (uint32_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    memset(s, 0, sizeof *s);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void km_strset_sort(struct km_strset *s)
{
    if (s->n > 1)
        qsort(s->v, s->n, sizeof *s->v, cmp_str);
}

/* ---- findings ------------------------------------------------------------------ */

void km_finding_init(struct km_finding *f)
{
    memset(f, 0, sizeof *f);
    f->first = INT64_MAX;
    f->last = INT64_MIN;
}

void km_finding_take_details(struct km_finding *f, struct km_buf *b)
{
    if (b->oom || !b->p) {
        km_buf_free(b);
        return;
    }
    free(f->details);
    f->details = b->p; /* km_buf keeps its text NUL-terminated */
    memset(b, 0, sizeof *b);
}

void km_finding_free(struct km_finding *f)
{
    for (int i = 0; i < KM_ENT__N; i++)
        km_strset_free(&f->ent[i]);
    km_strset_free(&f->event_ids);
    free(f->ev);
    free(f->details);
    km_finding_init(f);
}

void km_finding_set_id(struct km_finding *f)
{
    struct km_sha256 h;
    uint8_t md[32];
    km_sha256_init(&h);
    km_sha256_update(&h, f->detection, strlen(f->detection));
    km_sha256_update(&h, "", 1);
    km_sha256_update(&h, f->key, strlen(f->key));
    km_sha256_final(&h, md);
    f->id[0] = 'F';
    f->id[1] = '-';
    km_hex(md, 8, f->id + 2);
    f->id[18] = 0;
}

void km_finding_window(struct km_finding *f, int64_t t)
{
    if (t < f->first)
        f->first = t;
    if (t > f->last)
        f->last = t;
}

static int cmp_fev(const void *a, const void *b)
{
    const struct km_fev *x = a, *y = b;
    if (x->time != y->time)
        return x->time < y->time ? -1 : 1;
    return strcmp(x->event_id, y->event_id);
}

void km_finding_add_fev(struct km_finding *f, const struct km_fev *e)
{
    for (uint32_t i = 0; i < f->nev; i++)
        if (memcmp(f->ev[i].key, e->key, 16) == 0 && strcmp(f->ev[i].event_id, e->event_id) == 0)
            return;
    if (f->nev >= KM_FINDING_MAX_EV) {
        f->ev_dropped++;
        return;
    }
    if (f->nev == f->alloc_ev) {
        f->alloc_ev = f->alloc_ev ? 2 * f->alloc_ev : 8;
        f->ev = km_xrealloc(f->ev, f->alloc_ev * sizeof *f->ev);
    }
    f->ev[f->nev++] = *e;
}

void km_finding_merge(struct km_finding *into, struct km_finding *from)
{
    if (from->severity > into->severity) {
        into->severity = from->severity;
        memcpy(into->summary, from->summary, sizeof into->summary);
    }
    km_finding_window(into, from->first);
    km_finding_window(into, from->last);
    for (int i = 0; i < KM_ENT__N; i++)
        for (uint32_t j = 0; j < from->ent[i].n; j++)
            km_strset_addc(&into->ent[i], from->ent[i].v[j]);
    for (uint32_t j = 0; j < from->event_ids.n; j++)
        km_strset_addc(&into->event_ids, from->event_ids.v[j]);
    into->event_ids.dropped += from->event_ids.dropped;
    for (uint32_t j = 0; j < from->nev; j++)
        km_finding_add_fev(into, &from->ev[j]);
    into->ev_dropped += from->ev_dropped;
    if (!into->details && from->details) {
        into->details = from->details;
        from->details = NULL;
    }
}

void km_finding_normalize(struct km_finding *f)
{
    for (int i = 0; i < KM_ENT__N; i++)
        km_strset_sort(&f->ent[i]);
    km_strset_sort(&f->event_ids);
    if (f->nev > 1)
        qsort(f->ev, f->nev, sizeof *f->ev, cmp_fev);
    if (f->first == INT64_MAX)
        f->first = f->last = 0;
}

/* ---- JSON ------------------------------------------------------------------------ */

static void jstr(struct km_buf *b, const char *s) { km_json_write_str(b, s, strlen(s)); }

static void jset(struct km_buf *b, const struct km_strset *s)
{
    km_buf_addc(b, '[');
    for (uint32_t i = 0; i < s->n; i++) {
        if (i)
            km_buf_addc(b, ',');
        jstr(b, s->v[i]);
    }
    km_buf_addc(b, ']');
}

void km_finding_json(const struct km_finding *f, int with_evidence, struct km_buf *b)
{
    char t1[32], t2[32];
    km_time_fmt(f->first, t1);
    km_time_fmt(f->last, t2);
    km_buf_adds(b, "{\"id\":");
    jstr(b, f->id);
    km_buf_adds(b, ",\"detection\":");
    jstr(b, f->detection ? f->detection : "");
    km_buf_printf(b, ",\"severity\":\"%s\",\"first\":\"%s\",\"last\":\"%s\",\"summary\":",
                  km_sev_name(f->severity), t1, t2);
    jstr(b, f->summary);
    km_buf_adds(b, ",\"technique\":");
    jstr(b, f->technique ? f->technique : "");
    km_buf_adds(b, ",\"entities\":{");
    for (int i = 0; i < KM_ENT__N; i++) {
        if (i)
            km_buf_addc(b, ',');
        km_buf_printf(b, "\"%s\":", km_ent_names[i]);
        jset(b, &f->ent[i]);
    }
    km_buf_adds(b, "},\"event_ids\":");
    jset(b, &f->event_ids);
    uint64_t dropped = f->event_ids.dropped;
    for (int i = 0; i < KM_ENT__N; i++)
        dropped += f->ent[i].dropped;
    if (dropped)
        km_buf_printf(b, ",\"omitted\":%llu", (unsigned long long)dropped);
    km_buf_adds(b, ",\"key\":");
    jstr(b, f->key);
    if (f->details && *f->details) {
        km_buf_adds(b, ",\"details\":");
        km_buf_adds(b, f->details);
    }
    if (with_evidence) {
        km_buf_adds(b, ",\"evidence\":[");
        for (uint32_t i = 0; i < f->nev; i++) {
            const struct km_fev *e = &f->ev[i];
            char t[32], k[33];
            km_time_fmt(e->time, t);
            km_hex(e->key, 16, k);
            k[32] = 0;
            km_buf_printf(b, "%s{\"time\":\"%s\",\"provider\":", i ? "," : "", t);
            jstr(b, e->provider);
            km_buf_adds(b, ",\"source\":");
            jstr(b, e->source);
            km_buf_adds(b, ",\"action\":");
            jstr(b, e->action);
            km_buf_adds(b, ",\"actor\":");
            jstr(b, e->actor);
            km_buf_adds(b, ",\"ip\":");
            jstr(b, e->ip);
            km_buf_adds(b, ",\"outcome\":");
            jstr(b, e->outcome);
            km_buf_adds(b, ",\"event_id\":");
            jstr(b, e->event_id);
            km_buf_printf(b, ",\"key\":\"%s\"}", k);
        }
        km_buf_addc(b, ']');
        if (f->ev_dropped)
            km_buf_printf(b, ",\"evidence_omitted\":%llu", (unsigned long long)f->ev_dropped);
    }
    km_buf_addc(b, '}');
}

static void cpy(char *dst, size_t cap, const struct km_json *v)
{
    dst[0] = 0;
    if (v && v->type == KM_JSON_STRING) {
        size_t n = v->len < cap - 1 ? v->len : cap - 1;
        /* never cut inside a UTF-8 sequence */
        if (n < v->len)
            while (n > 0 && ((unsigned char)v->str[n] & 0xC0) == 0x80)
                n--;
        memcpy(dst, v->str, n);
        dst[n] = 0;
    }
}

static void read_set(struct km_strset *s, const struct km_json *a)
{
    if (!a || a->type != KM_JSON_ARRAY)
        return;
    for (const struct km_json *x = a->child; x; x = x->next)
        if (x->type == KM_JSON_STRING)
            km_strset_add(s, x->str, x->len);
}

static int64_t read_time(const struct km_json *v)
{
    int64_t t = 0;
    if (v && v->type == KM_JSON_STRING)
        km_time_parse(v->str, v->len, &t);
    return t;
}

/* Interned detection ids and techniques (static strings for f->detection). */
static const char *intern(const char *s, size_t n)
{
    static char *pool[256];
    static int npool;
    for (int i = 0; i < npool; i++)
        if (strlen(pool[i]) == n && memcmp(pool[i], s, n) == 0)
            return pool[i];
    if (npool == 256)
        return "";
    char *c = km_xmalloc(n + 1);
    memcpy(c, s, n);
    c[n] = 0;
    pool[npool++] = c;
    return c;
}

int km_finding_from_json(const char *text, size_t n, struct km_finding *f, struct km_err *err)
{
    km_finding_init(f);
    struct km_arena a;
    km_arena_init(&a, 0, 64u << 20);
    char *copy = km_arena_strndup(&a, text, n);
    struct km_json *root;
    int rc = copy ? km_json_parse(copy, n, NULL, &a, &root, err) : KM_ENOMEM;
    if (rc != KM_OK || root->type != KM_JSON_OBJECT) {
        km_arena_free(&a);
        return rc != KM_OK ? rc : km_err_set(err, KM_ECORRUPT, NULL, UINT64_MAX, "finding is not a JSON object");
    }
    cpy(f->id, sizeof f->id, km_json_get(root, "id"));
    const struct km_json *d = km_json_get(root, "detection");
    f->detection = d && d->type == KM_JSON_STRING ? intern(d->str, d->len) : "";
    const struct km_json *t = km_json_get(root, "technique");
    f->technique = t && t->type == KM_JSON_STRING ? intern(t->str, t->len) : "";
    char sev[16];
    cpy(sev, sizeof sev, km_json_get(root, "severity"));
    f->severity = km_sev_parse(sev) < 0 ? 0 : km_sev_parse(sev);
    f->first = read_time(km_json_get(root, "first"));
    f->last = read_time(km_json_get(root, "last"));
    cpy(f->summary, sizeof f->summary, km_json_get(root, "summary"));
    cpy(f->key, sizeof f->key, km_json_get(root, "key"));
    const struct km_json *ents = km_json_get(root, "entities");
    for (int i = 0; i < KM_ENT__N; i++)
        read_set(&f->ent[i], ents ? km_json_get(ents, km_ent_names[i]) : NULL);
    read_set(&f->event_ids, km_json_get(root, "event_ids"));
    const struct km_json *det = km_json_get(root, "details");
    if (det && det->type == KM_JSON_OBJECT) {
        struct km_buf b;
        km_buf_init(&b, 0);
        km_json_write_value(&b, det);
        km_buf_addc(&b, 0);
        f->details = b.p;
    }
    const struct km_json *ev = km_json_get(root, "evidence");
    if (ev && ev->type == KM_JSON_ARRAY)
        for (const struct km_json *x = ev->child; x; x = x->next) {
            struct km_fev e;
            memset(&e, 0, sizeof e);
            e.time = read_time(km_json_get(x, "time"));
            cpy(e.provider, sizeof e.provider, km_json_get(x, "provider"));
            cpy(e.source, sizeof e.source, km_json_get(x, "source"));
            cpy(e.action, sizeof e.action, km_json_get(x, "action"));
            cpy(e.actor, sizeof e.actor, km_json_get(x, "actor"));
            cpy(e.ip, sizeof e.ip, km_json_get(x, "ip"));
            cpy(e.outcome, sizeof e.outcome, km_json_get(x, "outcome"));
            cpy(e.event_id, sizeof e.event_id, km_json_get(x, "event_id"));
            const struct km_json *k = km_json_get(x, "key");
            if (k && k->type == KM_JSON_STRING && k->len == 32)
                km_unhex(k->str, 32, e.key);
            km_finding_add_fev(f, &e);
        }
    const struct km_json *om = km_json_get(root, "evidence_omitted");
    int64_t o = 0;
    if (om && km_json_i64(om, &o) == KM_OK && o > 0)
        f->ev_dropped = (uint64_t)o;
    km_arena_free(&a);
    return KM_OK;
}
