/*
 * cmd_show.c — `kumo show EVENT_ID`: the normalized event, where it came from
 * (vault object, member, offset, custody) and the exact raw record, re-read
 * from the preserved original (for a CSV row: the row's bytes; the header
 * is read from the start of the same stream to rebuild the event).
 */
#include "cli/cli.h"
#include "cli/opts.h"
#include "cli/output.h"
#include "core/timeparse.h"
#include "ingest/records.h"
#include "sources/source.h"
#include "store/catalog.h"
#include "store/store.h"
#include "store/vault.h"
#include "ingest/raw.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct found {
    int n;
    struct km_event ev;      /* scalar fields only: its strings die with the scan */
    struct km_buf json;      /* normalized event as JSON */
    struct km_buf text;      /* the same as aligned text lines (event_text) */
    char id[256], source[64], action[128], actor[256];
    char *related;           /* malloc'd copy of the related array, or NULL */
};

static void copy_str(char *dst, size_t n, struct km_str v)
{
    snprintf(dst, n, "%.*s", (int)(v.p ? v.n : 0), v.p ? v.p : "");
}

static void text_field(struct km_buf *b, const char *name, const char *v, size_t n)
{
    km_buf_printf(b, "  %-22s ", name);
    km_out_safe(b, v, n); /* the text rule: bytes that are not UTF-8 as \xNN */
    km_buf_addc(b, '\n');
}

/* The event as `name  value` lines, in the order of its JSON form
 * (km_out_event_json), each value from the event itself by the text rule
 * (docs/output.md), so a byte that is not UTF-8 shows as \xNN here as in the
 * raw record, not as the U+FFFD of the JSON form. */
static void event_text(struct km_buf *b, const struct km_event *ev)
{
    char t[32];
    b->n = 0;
    km_time_fmt(ev->time_us, t);
    text_field(b, "time", t, strlen(t));
    for (int f = 0; f < KM_F__COUNT; f++)
        if (ev->f[f].p)
            text_field(b, km_fields[f].name, ev->f[f].p, ev->f[f].n);
    if (ev->read_only >= 0)
        text_field(b, "read_only", ev->read_only ? "true" : "false", ev->read_only ? 4 : 5);
    if (ev->mfa >= 0)
        text_field(b, "actor.mfa", ev->mfa ? "true" : "false", ev->mfa ? 4 : 5);
    if (ev->severity >= 0) {
        snprintf(t, sizeof t, "%d", ev->severity);
        text_field(b, "severity", t, strlen(t));
    }
    if (ev->flags & KM_EV_TIME_FALLBACK)
        text_field(b, "time_fallback", "true", 4);
    if (ev->flags & KM_EV_TIME_MISSING)
        text_field(b, "time_missing", "true", 4);
}

static int on_event(void *vctx, const struct km_event *ev)
{
    struct found *f = vctx;
    f->n++;
    f->ev = *ev;
    f->json.n = 0;
    km_out_event_json(&f->json, ev);
    event_text(&f->text, ev);
    copy_str(f->id, sizeof f->id, ev->f[KM_F_EVENT_ID]);
    copy_str(f->source, sizeof f->source, ev->f[KM_F_SOURCE]);
    copy_str(f->action, sizeof f->action, ev->f[KM_F_ACTION]);
    copy_str(f->actor, sizeof f->actor,
             ev->f[KM_F_ACTOR_NAME].p ? ev->f[KM_F_ACTOR_NAME] : ev->f[KM_F_ACTOR_ARN]);
    free(f->related);
    f->related = ev->f[KM_F_RELATED].p ? km_xstrdup("") : NULL;
    if (f->related) {
        free(f->related);
        f->related = km_xmalloc(ev->f[KM_F_RELATED].n + 1);
        memcpy(f->related, ev->f[KM_F_RELATED].p, ev->f[KM_F_RELATED].n);
        f->related[ev->f[KM_F_RELATED].n] = 0;
    }
    return 1;
}

static void print_field(const char *name, struct km_str v)
{
    if (!v.p)
        return;
    printf("  %-22s ", name);
    km_out_safe_file(stdout, v.p, v.n);
    putchar('\n');
}

/*
 * Links between records of different sources: an AWS Config item names the
 * CloudTrail calls that made its change (`related`); a CloudTrail call is
 * named by the Config items it changed. Both directions are listed.
 */
struct link {
    char time[32], source[64], action[128], who[256], id[256];
};

struct links {
    struct link *v;
    size_t n, cap;
    const char *needle;      /* "\"<id>\"" searched in `related` */
};

static void link_add(struct links *l, const struct km_event *ev)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 8;
        l->v = km_xrealloc(l->v, l->cap * sizeof *l->v);
    }
    struct link *k = &l->v[l->n++];
    km_time_fmt(ev->time_us, k->time);
    copy_str(k->source, sizeof k->source, ev->f[KM_F_SOURCE]);
    copy_str(k->action, sizeof k->action, ev->f[KM_F_ACTION]);
    struct km_str who = ev->f[KM_F_ACTOR_NAME].p ? ev->f[KM_F_ACTOR_NAME] : ev->f[KM_F_RESOURCES];
    copy_str(k->who, sizeof k->who, who);
    copy_str(k->id, sizeof k->id, ev->f[KM_F_EVENT_ID]);
}

static int contains_ci(struct km_str hay, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; hay.p && i + n <= hay.n; i++)
        if (strncasecmp(hay.p + i, needle, n) == 0)
            return 1;
    return 0;
}

static int on_config_item(void *ctx, const struct km_event *ev)
{
    struct links *l = ctx;
    if (contains_ci(ev->f[KM_F_RELATED], l->needle))
        link_add(l, ev);
    return 0;
}

static int on_related(void *ctx, const struct km_event *ev)
{
    link_add(ctx, ev);
    return 1;
}

/* Fills l with the events linked to the shown one. */
static void find_links(struct km_store *s, const struct found *fd, struct links *l)
{
    struct km_err err;
    km_err_clear(&err);
    if (fd->related) { /* this record names others */
        struct km_arena a;
        km_arena_init(&a, 0, 0);
        char *copy = km_arena_strndup(&a, fd->related, strlen(fd->related));
        struct km_json *arr;
        if (copy && km_json_parse(copy, strlen(copy), NULL, &a, &arr, &err) == KM_OK &&
            km_json_is_arr(arr)) {
            for (const struct km_json *c = arr->child; c; c = c->next) {
                if (!km_json_is_str(c))
                    continue;
                size_t before = l->n;
                for (int i = 0; i < km_nsources && l->n == before; i++) {
                    struct km_event probe;
                    km_event_init(&probe);
                    probe.f[KM_F_PROVIDER] = km_str_c(km_sources[i]->provider);
                    probe.f[KM_F_SOURCE] = km_str_c(km_sources[i]->name);
                    probe.f[KM_F_EVENT_ID] = (struct km_str){c->str, c->len};
                    km_event_key(&probe);
                    struct km_filter f;
                    km_filter_init(&f);
                    f.key = probe.key;
                    km_store_scan(s, &f, on_related, l, &err);
                }
                if (l->n == before) { /* named but not held */
                    if (l->n == l->cap) {
                        l->cap = l->cap ? l->cap * 2 : 8;
                        l->v = km_xrealloc(l->v, l->cap * sizeof *l->v);
                    }
                    struct link *k = &l->v[l->n++];
                    memset(k, 0, sizeof *k);
                    snprintf(k->id, sizeof k->id, "%.*s", (int)c->len, c->str);
                    snprintf(k->action, sizeof k->action, "(not in this store)");
                }
            }
        }
        km_arena_free(&a);
    }
    if (strcmp(fd->source, "aws.cloudtrail") == 0 && fd->id[0]) { /* named by Config items */
        char needle[300];
        snprintf(needle, sizeof needle, "\"%s\"", fd->id);
        l->needle = needle;
        struct km_filter f;
        km_filter_init(&f);
        f.nconds = 1;
        f.conds[0].fields = 1ULL << KM_F_SOURCE;
        f.conds[0].value = "aws.config";
        km_store_scan(s, &f, on_config_item, l, &err);
        l->needle = NULL;
    }
}

/* Re-normalizes rec[0..n) and, when one of its events has the stored
 * event's key, replaces fd->json with the full event. A record may hold
 * several events (nc.count, e.g. several Security Hub findings): the one
 * whose key is the stored event's. Returns 1 when it matched. */
static int renormalize(struct found *fd, const char *rec, size_t n, size_t raw_n,
                       const char *where)
{
    struct km_arena a;
    int count = 1, hit = 0;
    km_arena_init(&a, 0, 0);
    for (int i = 0; i < count && !hit; i++) {
        struct km_norm_ctx nc = {0};
        nc.arena = &a;
        nc.file = where;
        nc.offset = fd->ev.raw.offset;
        nc.raw_n = raw_n;
        nc.index = i;
        struct km_event full;
        struct km_err e2;
        km_err_clear(&e2);
        int nrc = km_normalize_record(rec, n, &nc, NULL, NULL, &full, &e2);
        if (i == 0)
            count = nc.count;
        if (nrc == KM_OK && nc.emit && memcmp(full.key, fd->ev.key, 16) == 0) {
            fd->json.n = 0;
            km_out_event_json(&fd->json, &full);
            event_text(&fd->text, &full);
            hit = 1;
        }
    }
    km_arena_free(&a);
    return hit;
}

/* A CSV row: the header is the first record of the same decoded stream
 * (read from offset 0, at most CSV_HEAD bytes, never past the row); the
 * row becomes the JSON object ingest normalized (km_csv_row_to_json). */
#define CSV_HEAD ((uint64_t)128 << 10)
static int renormalize_csv(struct km_store *s, struct found *fd, const char *raw,
                           const char *where)
{
    uint64_t hl = fd->ev.raw.offset < CSV_HEAD ? fd->ev.raw.offset : CSV_HEAD;
    char *head = NULL, delim = 0;
    size_t start = 0, len = 0;
    struct km_err e;
    struct km_buf json;
    int hit = 0;
    km_err_clear(&e);
    if (hl == 0 || km_raw_read(s, fd->ev.raw.object, 0, (uint32_t)hl, &head, NULL, 0, &e) != KM_OK)
        return 0;
    km_buf_init(&json, 0);
    if (km_csv_header_find(head, (size_t)hl, &start, &len, &delim, &e) == KM_OK &&
        km_csv_row_to_json(head + start, len, raw, fd->ev.raw.length, delim, &json, &e) == KM_OK)
        hit = renormalize(fd, json.p, json.n, fd->ev.raw.length, where);
    km_buf_free(&json);
    free(head);
    return hit;
}

/* ---- which events: an id, a prefix, an id several events share -------- */

#define SHOW_MAX_EVENTS 64     /* events of one id printed at most */
#define SHOW_MAX_CANDIDATES 10 /* ids listed for an ambiguous prefix */

struct pick {
    const char *want;
    size_t wantn;
    struct found *exact, *pre;  /* events whose id is want / starts with want */
    size_t nexact, npre;        /* held (at most SHOW_MAX_EVENTS each) */
    uint64_t total_exact, total_pre;
    char ids[SHOW_MAX_CANDIDATES + 1][256]; /* distinct ids among the prefix matches */
    char idinfo[SHOW_MAX_CANDIDATES + 1][256];
    int nids;                   /* distinct ids seen, capped at SHOW_MAX_CANDIDATES + 1 */
};

static void hold(struct found **v, size_t *n, const struct km_event *ev)
{
    if (*n >= SHOW_MAX_EVENTS)
        return;
    if (!*v)
        *v = km_xcalloc(SHOW_MAX_EVENTS, sizeof **v);
    struct found *f = &(*v)[(*n)++];
    memset(f, 0, sizeof *f);
    km_buf_init(&f->json, 0);
    km_buf_init(&f->text, 0);
    on_event(f, ev);
}

static int on_pick(void *vctx, const struct km_event *ev)
{
    struct pick *p = vctx;
    struct km_str id = ev->f[KM_F_EVENT_ID];
    if (!id.p || id.n < p->wantn || memcmp(id.p, p->want, p->wantn) != 0)
        return 0;
    if (id.n == p->wantn) {
        p->total_exact++;
        hold(&p->exact, &p->nexact, ev);
        return 0;
    }
    p->total_pre++;
    int seen = 0;
    for (int i = 0; i < p->nids && !seen; i++)
        seen = strlen(p->ids[i]) == id.n && memcmp(p->ids[i], id.p, id.n) == 0;
    if (!seen && p->nids <= SHOW_MAX_CANDIDATES) {
        copy_str(p->ids[p->nids], sizeof p->ids[0], id);
        char t[40];
        km_time_fmt(ev->time_us, t);
        snprintf(p->idinfo[p->nids], sizeof p->idinfo[0], "%s  %.*s  %.*s", t,
                 (int)ev->f[KM_F_SOURCE].n, ev->f[KM_F_SOURCE].p ? ev->f[KM_F_SOURCE].p : "",
                 (int)ev->f[KM_F_ACTION].n, ev->f[KM_F_ACTION].p ? ev->f[KM_F_ACTION].p : "");
        p->nids++;
    }
    if (strlen(p->ids[0]) == id.n && memcmp(p->ids[0], id.p, id.n) == 0)
        hold(&p->pre, &p->npre, ev); /* the events of the first id: shown when it is the only one */
    return 0;
}

static void pick_free(struct pick *p)
{
    for (size_t i = 0; i < p->nexact; i++) {
        km_buf_free(&p->exact[i].json);
        km_buf_free(&p->exact[i].text);
        free(p->exact[i].related);
    }
    for (size_t i = 0; i < p->npre; i++) {
        km_buf_free(&p->pre[i].json);
        km_buf_free(&p->pre[i].text);
        free(p->pre[i].related);
    }
    free(p->exact);
    free(p->pre);
}

static int show_one(struct km_store *s, const char *dir, const char *id, int json,
                    struct found *pre);

int km_cmd_show(int argc, char **argv)
{
    const char *dir = km_cli_store_dir(&argc, argv);
    int json = 0, ex;
    const char *id = NULL;
    const struct km_opt opt[] = {
        KM_OPT_FLAG("--json", 0, &json, "print JSON: one object per event (JSON lines when an "
                    "id is shared by several events)"),
        KM_OPT_END,
    };
    struct km_opts op = {.cmd = "show", .args = "EVENT_ID|PREFIX", .opt = opt, .pos = &id,
                         .minpos = 1, .maxpos = 1};
    if (km_opts_parse(&op, argc, argv, &ex))
        return ex;
    if (!*id) {
        fprintf(stderr, "kumo show: the event id is empty\n");
        return 2;
    }
    struct km_store *s;
    struct km_err err;
    km_err_clear(&err);
    if (km_cli_open_store("show", dir, 0, &s) != KM_OK) {
        return 1;
    }
    /* one pass over the events: those whose id is `id` and, in case there
     * is none, those whose id starts with it */
    struct pick p = {0};
    p.want = id;
    p.wantn = strlen(id);
    struct km_filter f;
    km_filter_init(&f);
    int rc = km_store_scan(s, &f, on_pick, &p, &err);
    if (rc) {
        char m[1200];
        fprintf(stderr, "kumo show: %s\n", km_err_fmt(&err, m, sizeof m));
        pick_free(&p);
        km_store_close(s);
        return 1;
    }
    struct found *v = p.nexact ? p.exact : p.pre;
    size_t n = p.nexact ? p.nexact : p.npre;
    uint64_t total = p.nexact ? p.total_exact : p.total_pre;
    if (!p.nexact && p.nids > 1) {
        fprintf(stderr, "kumo show: '%s' is the start of %s%d event ids; give more of it:\n", id,
                p.nids > SHOW_MAX_CANDIDATES ? "more than " : "",
                p.nids > SHOW_MAX_CANDIDATES ? SHOW_MAX_CANDIDATES : p.nids);
        for (int i = 0; i < p.nids && i < SHOW_MAX_CANDIDATES; i++) {
            fputs("  ", stderr);
            km_out_safe_file(stderr, p.ids[i], strlen(p.ids[i]));
            fputs("  ", stderr);
            km_out_safe_file(stderr, p.idinfo[i], strlen(p.idinfo[i]));
            fputc('\n', stderr);
        }
        if (p.nids > SHOW_MAX_CANDIDATES)
            fprintf(stderr, "  ...\n");
        pick_free(&p);
        km_store_close(s);
        return 1;
    }
    if (!n) {
        fprintf(stderr, "kumo show: no event with id '%s' (or an id that starts with it) in %s\n",
                id, dir);
        pick_free(&p);
        km_store_close(s);
        return 1;
    }
    const char *full = p.nexact ? id : p.ids[0];
    if (total > 1)
        fprintf(stderr, "kumo show: %llu events have the id '%s'%s\n", (unsigned long long)total,
                full, total > n ? " (the first 64 are shown)" : "");
    int worst = 0;
    for (size_t i = 0; i < n; i++) {
        if (i && !json)
            printf("\n");
        int r = show_one(s, dir, full, json, &v[i]);
        worst = r > worst ? r : worst;
    }
    /* show_one freed the buffers of those it showed; free the other list's */
    if (p.nexact)
        p.nexact = 0;
    else
        p.npre = 0;
    pick_free(&p);
    km_store_close(s);
    return worst;
}

/* Prints one event: fields, evidence, links and the raw record. Takes over
 * pre's buffers. Returns 0, or 1 when the raw record cannot be read. */
static int show_one(struct km_store *s, const char *dir, const char *id, int json,
                    struct found *pre)
{
    (void)dir;
    struct km_err err;
    km_err_clear(&err);
    int rc = 0;
    struct found fd = *pre;
    (void)rc;
    char *raw = NULL, where[1400] = "";
    rc = km_raw_read(s, fd.ev.raw.object, fd.ev.raw.offset, fd.ev.raw.length, &raw, where,
                     sizeof where, &err);
    /* the store keeps what queries need; the raw record holds everything:
     * re-normalize it for the full event (request_id and other raw-only
     * fields), as long as it is the same event. A CSV row is normalized as
     * the JSON object the splitter built from it and the file's header. */
    if (raw) {
        int csv = raw[0] != '{';   /* JSON records start with '{'; try the other way too */
        if (!(csv ? renormalize_csv(s, &fd, raw, where)
                  : renormalize(&fd, raw, fd.ev.raw.length, 0, where)))
            (void)(csv ? renormalize(&fd, raw, fd.ev.raw.length, 0, where)
                       : renormalize_csv(s, &fd, raw, where));
    }
    struct links links = {0};
    find_links(s, &fd, &links);
    struct km_object obj = {0};
    struct km_evidence evd = {0};
    km_cat_object_get(km_store_catalog(s), fd.ev.raw.object, &obj, &err);
    km_cat_evidence_by_id(km_store_catalog(s), obj.evidence_id, &evd, &err);
    if (json) {
        struct km_buf b;
        km_buf_init(&b, 0);
        km_buf_adds(&b, "{\"event\":");
        km_buf_add(&b, fd.json.p, fd.json.n);
        km_buf_adds(&b, ",\"evidence\":{\"sha256\":");
        km_json_write_str(&b, evd.sha256, strlen(evd.sha256));
        km_buf_adds(&b, ",\"source_path\":");
        km_json_write_str(&b, evd.source_path, strlen(evd.source_path));
        km_buf_adds(&b, ",\"vault\":");
        km_json_write_str(&b, where, strlen(where));
        km_buf_adds(&b, ",\"member\":");
        km_json_write_str(&b, obj.member, strlen(obj.member));
        km_buf_adds(&b, ",\"format\":");
        km_json_write_str(&b, evd.format, strlen(evd.format));
        km_buf_printf(&b, ",\"offset\":%llu,\"length\":%u},\"links\":[",
                      (unsigned long long)fd.ev.raw.offset, fd.ev.raw.length);
        for (size_t i = 0; i < links.n; i++) {
            const struct link *k = &links.v[i];
            km_buf_adds(&b, i ? ",{\"event_id\":" : "{\"event_id\":");
            km_json_write_str(&b, k->id, strlen(k->id));
            if (k->source[0]) {
                km_buf_adds(&b, ",\"time\":");
                km_json_write_str(&b, k->time, strlen(k->time));
                km_buf_adds(&b, ",\"source\":");
                km_json_write_str(&b, k->source, strlen(k->source));
                km_buf_adds(&b, ",\"action\":");
                km_json_write_str(&b, k->action, strlen(k->action));
            } else {
                km_buf_adds(&b, ",\"held\":false");
            }
            km_buf_addc(&b, '}');
        }
        km_buf_adds(&b, "],\"raw\":");
        if (raw)
            km_json_write_str(&b, raw, fd.ev.raw.length);
        else
            km_buf_adds(&b, "null");
        km_buf_adds(&b, "}\n");
        fwrite(b.p, 1, b.n, stdout);
        km_buf_free(&b);
    } else {
        km_out_printf(stdout, "event %s\n", id);
        if (fd.text.n)
            fwrite(fd.text.p, 1, fd.text.n, stdout);
        printf("evidence\n");
        print_field("acquired from", km_str_c(evd.source_path));
        print_field("sha256", km_str_c(evd.sha256));
        print_field("vault", km_str_c(where));
        print_field("format", km_str_c(evd.format));
        printf("  %-22s %llu (+%u bytes)\n", "offset", (unsigned long long)fd.ev.raw.offset,
               fd.ev.raw.length);
        if (links.n) {
            printf("linked events\n");
            for (size_t i = 0; i < links.n; i++) {
                const struct link *k = &links.v[i];
                km_out_printf(stdout, "  %-22s %-16s %-28s %s  %s\n", k->time[0] ? k->time : "-",
                       k->source[0] ? k->source : "-", k->action, k->who, k->id);
            }
        }
        printf("raw record\n");
        if (raw) {
            /* the record's bytes by the text rule, its lines and tabs kept
             * (the exact bytes: --json, or the vault object) */
            struct km_buf rb;
            km_buf_init(&rb, 0);
            km_out_text(&rb, raw, fd.ev.raw.length, KM_OUT_KEEP_NL | KM_OUT_KEEP_TAB);
            if (rb.n)
                fwrite(rb.p, 1, rb.n, stdout);
            km_buf_free(&rb);
            putchar('\n');
        } else {
            char m[1200];
            km_out_printf(stdout, "  (cannot read: %s)\n", km_err_fmt(&err, m, sizeof m));
        }
    }
    int ok = raw != NULL;
    free(raw);
    free(links.v);
    free(fd.related);
    km_buf_free(&fd.json);
    km_buf_free(&fd.text);
    return ok ? 0 : 1;
}
