/*
 * normalize.c — one record's bytes to one normalized event: parse a private
 * copy, detect the source, normalize, fill provider/source defaults, give an
 * id-less record the content-hash id, compute the dedupe key. A record that
 * holds several events (nc->count > 1) is normalized once per nc->index. Used by the
 * ingest pipeline and by `kumo show` (which re-derives fields the store does
 * not keep, such as request_id, from the preserved raw record).
 */
#include "sources/source.h"

#include "core/hash.h"
#include "core/ip.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void km_norm_note(struct km_norm_ctx *ctx, const char *fmt, ...)
{
    if (ctx->note[0])
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx->note, sizeof ctx->note, fmt, ap);
    va_end(ap);
}

void km_norm_problem(struct km_norm_ctx *ctx, struct km_event *ev, const char *fmt, ...)
{
    ctx->problems++;
    ev->flags |= KM_EV_TYPE_PROBLEM;
    if (ctx->note[0])
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx->note, sizeof ctx->note, fmt, ap);
    va_end(ap);
}

const char *km_json_type_name(const struct km_json *v)
{
    static const char *const n[] = {"null", "false", "true", "number", "string", "array", "object"};
    return v && v->type <= KM_JSON_OBJECT ? n[v->type] : "?";
}

void km_norm_ip_port(struct km_norm_ctx *ctx, struct km_event *ev, struct km_str raw)
{
    if (!raw.p)
        return;
    ev->f[KM_F_SRC_RAW] = raw;
    char canon[KM_IP_TEXT_MAX];
    struct km_str host = raw;
    if (!km_ip_canon(raw.p, raw.n, canon)) {
        const char *colon = memrchr(raw.p, ':', raw.n);
        if (!colon)
            return;
        struct km_str port = {colon + 1, (uint32_t)(raw.p + raw.n - colon - 1)};
        if (port.n < 1 || port.n > 5 || strspn(port.p, "0123456789") < port.n)
            return;
        host = (struct km_str){raw.p, (uint32_t)(colon - raw.p)};
        if (host.n >= 2 && host.p[0] == '[' && host.p[host.n - 1] == ']') {
            host.p++;
            host.n -= 2;
        } else if (memchr(host.p, ':', host.n)) {
            return;   /* bare IPv6 with a suffix: ambiguous, keep raw only */
        }
        if (!km_ip_canon(host.p, host.n, canon))
            return;
    }
    size_t cl = strlen(canon);
    if (cl == host.n && memcmp(canon, host.p, cl) == 0) {
        ev->f[KM_F_SRC_IP] = host;
        return;
    }
    char *p = km_arena_strndup(ctx->arena, canon, cl);
    if (p)
        ev->f[KM_F_SRC_IP] = (struct km_str){p, (uint32_t)cl};
}

struct km_str km_norm_lower(struct km_norm_ctx *ctx, struct km_str s)
{
    uint32_t i = 0;
    while (i < s.n && !(s.p[i] >= 'A' && s.p[i] <= 'Z'))
        i++;
    if (i == s.n)
        return s;
    char *p = km_arena_alloc(ctx->arena, (size_t)s.n + 1);
    if (!p)
        return KM_STR_NONE;
    for (i = 0; i < s.n; i++) {
        char ch = s.p[i];
        p[i] = ch >= 'A' && ch <= 'Z' ? (char)(ch + 32) : ch;
    }
    p[s.n] = 0;
    return (struct km_str){p, s.n};
}

/* Lists up to four keys of an object for "unrecognised record" messages. */
static void keys_of(const struct km_json *v, char *out, size_t n)
{
    out[0] = 0;
    if (!km_json_is_obj(v))
        return;
    size_t k = 0;
    int i = 0;
    for (const struct km_json *c = v->child; c && i < 4; c = c->next, i++)
        k += (size_t)snprintf(out + k, k < n ? n - k : 0, "%s%s", i ? ", " : "", c->key);
    if (v->len > 4 && k < n)
        snprintf(out + k, n - k, ", ...");
}

int km_normalize_record(const char *raw, size_t n, struct km_norm_ctx *nc,
                        const struct km_json_limits *lim, const struct km_source **hint,
                        struct km_event *ev, struct km_err *err)
{
    nc->count = 1;
    if (nc->index < 0)
        return km_err_set(err, KM_ERECORD, nc->file, nc->offset, "event index %d < 0",
                          nc->index);
    char *copy = km_arena_alloc(nc->arena, n + 1);
    if (!copy)
        return km_err_set(err, KM_ENOMEM, nc->file, nc->offset, "batch memory ceiling reached");
    memcpy(copy, raw, n);
    struct km_json *root;
    struct km_err e;
    km_err_clear(&e);
    if (km_json_parse(copy, n, lim, nc->arena, &root, &e) != KM_OK) {
        km_err_set(err, e.code, nc->file,
                   nc->offset + (e.offset != UINT64_MAX ? e.offset : 0), "%s",
                   e.msg[0] ? e.msg : km_strerror(e.code));
        return e.code;
    }
    const struct km_source *src = km_source_detect(root, nc->wrapper, hint ? *hint : NULL);
    if (!src) {
        char keys[160];
        keys_of(root, keys, sizeof keys);
        return km_err_set(err, KM_EFORMAT, nc->file, nc->offset,
                          "no source recognises this record%s%s%s", keys[0] ? " (keys: " : "",
                          keys, keys[0] ? ")" : "");
    }
    if (hint)
        *hint = src;
    nc->source = src;
    km_event_init(ev);
    nc->emit = 1;
    km_err_clear(&e);
    int rc = src->normalize(root, nc, ev, &e);
    if (nc->count < 1)
        nc->count = 1;
    if (rc != KM_OK)
        return km_err_set(err, e.code ? e.code : KM_ERECORD, nc->file, nc->offset, "%s: %s",
                          src->name, e.msg[0] ? e.msg : "record could not be normalized");
    if (nc->index >= nc->count)   /* a module that does not split ignores index */
        return km_err_set(err, KM_ERECORD, nc->file, nc->offset,
                          "%s: event index %d, but the record holds %d event%s", src->name,
                          nc->index, nc->count, nc->count == 1 ? "" : "s");
    if (!nc->emit)
        return KM_OK;
    if (!ev->f[KM_F_PROVIDER].p)
        ev->f[KM_F_PROVIDER] = km_str_c(src->provider);
    if (!ev->f[KM_F_SOURCE].p)
        ev->f[KM_F_SOURCE] = km_str_c(src->name);
    if (!ev->f[KM_F_EVENT_ID].p || ev->f[KM_F_EVENT_ID].n == 0) {
        uint8_t md[32];
        km_sha256(raw, n, md);
        char *id = km_arena_alloc(nc->arena, 7 + 64 + 12 + 1);
        if (!id)
            return km_err_set(err, KM_ENOMEM, nc->file, nc->offset, "batch memory ceiling");
        memcpy(id, "sha256:", 7);
        km_hex(md, 32, id + 7);
        uint32_t idn = 71;
        if (nc->count > 1)   /* sub-events share the raw bytes: tell them apart */
            idn += (uint32_t)snprintf(id + 71, 13, "#%d", nc->index);
        ev->f[KM_F_EVENT_ID] = (struct km_str){id, idn};
        ev->flags |= KM_EV_ID_SYNTH;
    }
    km_event_key(ev);
    ev->raw.offset = nc->offset;
    ev->raw.length = (uint32_t)(nc->raw_n ? nc->raw_n : n);
    return KM_OK;
}

struct km_json *km_norm_parse_embedded(struct km_norm_ctx *ctx, const char *s, size_t n,
                                       int in_place, struct km_err *e)
{
    km_err_clear(e);
    char *buf = in_place ? (char *)s : km_arena_strndup(ctx->arena, s, n);
    if (!buf) {
        km_err_set(e, KM_ENOMEM, NULL, UINT64_MAX, "out of batch memory");
        return NULL;
    }
    struct km_json_limits lim;
    km_json_limits_default(&lim);
    lim.max_depth = 64;
    struct km_json *root = NULL;
    if (km_json_parse(buf, n, &lim, ctx->arena, &root, e) != KM_OK)
        return NULL;
    return root;
}
