/*
 * describe.c — a one-line human description of a normalized event
 * (describe.h has the grammar).
 */
#include "cli/describe.h"

#include <string.h>

#define PART_MAX 200                 /* bytes of one value in the text */
#define RES_PARSE_MAX ((size_t)64 << 10) /* resources larger than this are not read */

/* Appends s[0..n) with control bytes as spaces, cut at max bytes on a UTF-8
 * boundary ("..." marks the cut). */
static void put(struct km_buf *b, const char *s, size_t n, size_t max)
{
    int cut = 0;
    if (n > max) {
        n = max;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--; /* s[n] continues a character: back off to its lead byte */
        cut = 1;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        km_buf_addc(b, c < 0x20 || c == 0x7f ? ' ' : (char)c);
    }
    if (cut)
        km_buf_adds(b, "...");
}

static void put_str(struct km_buf *b, struct km_str v)
{
    put(b, v.p, v.n, PART_MAX);
}

static int has(const struct km_event *ev, int f)
{
    return ev->f[f].p && ev->f[f].n;
}

/* The actor as a person would name them; NULL view when none. */
static struct km_str who(const struct km_event *ev)
{
    static const int order[] = {KM_F_ACTOR_EMAIL, KM_F_ACTOR_NAME, KM_F_ACTOR_ARN, KM_F_ACTOR_ID};
    for (size_t i = 0; i < KM_ARRAY_LEN(order); i++)
        if (has(ev, order[i]))
            return ev->f[order[i]];
    return KM_STR_NONE;
}

static void put_who(struct km_buf *b, const struct km_event *ev, struct km_str w)
{
    put_str(b, w);
    if (has(ev, KM_F_ACTOR_TYPE)) {
        km_buf_adds(b, " (");
        put_str(b, ev->f[KM_F_ACTOR_TYPE]);
        km_buf_addc(b, ')');
    }
}

/* " target TYPE NAME (+N more)" from the resources array, when it parses. */
static void put_target(struct km_buf *b, struct km_str res)
{
    if (!res.p || res.n < 2 || res.n > RES_PARSE_MAX || res.p[0] != '[')
        return;
    struct km_arena a;
    km_arena_init(&a, 16384, 4 * RES_PARSE_MAX);
    char *copy = km_arena_alloc(&a, res.n);
    struct km_json *root = NULL;
    struct km_err err;
    km_err_clear(&err);
    if (copy) {
        memcpy(copy, res.p, res.n);
        if (km_json_parse(copy, res.n, NULL, &a, &root, &err) != KM_OK)
            root = NULL;
    }
    if (km_json_is_arr(root) && root->len > 0 && km_json_is_obj(root->child)) {
        const struct km_json *r = root->child;
        struct km_str type = km_json_sv(km_json_get(r, "type"));
        struct km_str name = km_json_sv(km_json_get(r, "name"));
        if (!name.p || !name.n)
            name = km_json_sv(km_json_get(r, "id"));
        if ((type.p && type.n) || (name.p && name.n)) {
            km_buf_adds(b, " target");
            if (type.p && type.n) {
                km_buf_addc(b, ' ');
                put_str(b, type);
            }
            if (name.p && name.n) {
                km_buf_addc(b, ' ');
                put_str(b, name);
            }
            if (root->len > 1)
                km_buf_printf(b, " (+%u more)", (unsigned)(root->len - 1));
        }
    }
    km_arena_free(&a);
}

static void put_where(struct km_buf *b, const struct km_event *ev)
{
    int f = has(ev, KM_F_SRC_IP) ? KM_F_SRC_IP : has(ev, KM_F_SRC_RAW) ? KM_F_SRC_RAW : -1;
    if (f < 0)
        return;
    km_buf_adds(b, " from ");
    put_str(b, ev->f[f]);
    int co = has(ev, KM_F_SRC_COUNTRY), ci = has(ev, KM_F_SRC_CITY);
    if (co || ci) {
        km_buf_adds(b, " (");
        if (co)
            put_str(b, ev->f[KM_F_SRC_COUNTRY]);
        if (co && ci)
            km_buf_adds(b, ", ");
        if (ci)
            put_str(b, ev->f[KM_F_SRC_CITY]);
        km_buf_addc(b, ')');
    }
}

int km_describe_event(const struct km_event *ev, struct km_buf *b)
{
    struct km_str w = who(ev);
    struct km_str cat = ev->f[KM_F_CATEGORY];
    struct km_str action = has(ev, KM_F_ACTION) ? ev->f[KM_F_ACTION] : KM_STR("(no action)");
    int svc = has(ev, KM_F_SERVICE);

    if (km_str_eqc(cat, "authentication")) {
        if (w.p)
            put_who(b, ev, w);
        else
            km_buf_adds(b, "unknown identity");
        km_buf_adds(b, " signed in");
        if (svc) {
            km_buf_adds(b, " to ");
            put_str(b, ev->f[KM_F_SERVICE]);
        }
        km_buf_adds(b, " (");
        put_str(b, action);
        km_buf_addc(b, ')');
        if (ev->mfa >= 0)
            km_buf_adds(b, ev->mfa ? " with MFA" : " without MFA");
    } else if (km_str_eqc(cat, "finding")) {
        km_buf_adds(b, "finding ");
        put_str(b, action);
        if (ev->severity >= 0)
            km_buf_printf(b, " (severity %d)", ev->severity);
        if (w.p) {
            km_buf_adds(b, " about ");
            put_who(b, ev, w);
        }
    } else {
        if (w.p) {
            put_who(b, ev, w);
            km_buf_adds(b, " called");
        } else if (cat.p && cat.n) {
            size_t start = b->n;
            put_str(b, cat);
            for (size_t i = start; i < b->n; i++)
                if (b->p[i] == '_')
                    b->p[i] = ' '; /* account_change -> "account change" */
        } else {
            km_buf_adds(b, "event");
        }
        km_buf_addc(b, ' ');
        put_str(b, action);
        if (svc) {
            km_buf_adds(b, " on ");
            put_str(b, ev->f[KM_F_SERVICE]);
        }
    }
    put_target(b, ev->f[KM_F_RESOURCES]);
    put_where(b, ev);
    if (has(ev, KM_F_OUTCOME)) {
        km_buf_adds(b, ": ");
        put_str(b, ev->f[KM_F_OUTCOME]);
    }
    int ec = has(ev, KM_F_ERROR_CODE), em = has(ev, KM_F_ERROR_MESSAGE);
    if (ec || em) {
        km_buf_adds(b, " (");
        if (ec)
            put_str(b, ev->f[KM_F_ERROR_CODE]);
        if (ec && em)
            km_buf_adds(b, ": ");
        if (em)
            put_str(b, ev->f[KM_F_ERROR_MESSAGE]);
        km_buf_addc(b, ')');
    }
    return b->oom ? KM_ENOMEM : KM_OK;
}
