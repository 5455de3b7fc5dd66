/*
 * fuzz_entra.c — libFuzzer target for the Microsoft Entra ID source modules
 * (azure.signin, azure.audit, azure.identity_protection).
 *
 * Parses the input (an exact-size heap copy, so ASan sees overruns) as JSON
 * with small limits; if it parses, feeds the root — and, like the record
 * splitter would, each element of a top-level array or a "value" / "records"
 * array — to the three modules' detect() and normalize() with a wrapper
 * name, using an arena with a small ceiling. Checks the module contract:
 * scores 0..100; KM_OK or KM_ERECORD only; on KM_OK provider, source,
 * category, outcome and actor.type are set, every string field is readable
 * (ASan checks the bytes), time flags agree with time_us, a problem count
 * implies KM_EV_TYPE_PROBLEM, severity is -1..100. normalize() rewrites
 * JSON-in-string members in place, so a second run on the same tree must
 * give the same result code and the same fields.
 */
#include <stdlib.h>
#include <string.h>
#include "core/event.h"
#include "json/json.h"
#include "sources/source.h"

extern const struct km_source km_source_entra_signin;
extern const struct km_source km_source_entra_audit;
extern const struct km_source km_source_entra_risk;

static volatile unsigned km_fuzz_sink;

static int km_fuzz_same(const struct km_event *a, const struct km_event *b)
{
    if (a->time_us != b->time_us || a->mfa != b->mfa || a->severity != b->severity)
        return 0;
    for (int f = 0; f < KM_F__COUNT; f++) {
        struct km_str x = a->f[f], y = b->f[f];
        if (!x.p != !y.p || x.n != y.n || (x.n && memcmp(x.p, y.p, x.n) != 0))
            return 0;
    }
    return 1;
}

static void km_fuzz_one(struct km_json *rec, const char *wrapper, struct km_arena *a)
{
    const struct km_source *mods[3] = {&km_source_entra_signin, &km_source_entra_audit,
                                       &km_source_entra_risk};
    for (int m = 0; m < 3; m++) {
        int score = mods[m]->detect(rec, wrapper);
        if (score < 0 || score > 100)
            abort();
        struct km_norm_ctx ctx;
        memset(&ctx, 0, sizeof ctx);
        ctx.arena = a;
        ctx.file = "fuzz";
        ctx.wrapper = wrapper;
        struct km_event ev;
        km_event_init(&ev);
        struct km_err err;
        km_err_clear(&err);
        int rc = mods[m]->normalize(rec, &ctx, &ev, &err);
        if (rc != KM_OK && rc != KM_ERECORD)
            abort();
        if (rc == KM_ERECORD && err.code != KM_ERECORD)
            abort();
        if (memchr(ctx.note, 0, sizeof ctx.note) == NULL)
            abort();
        if (rc == KM_OK) {
            if (!ev.f[KM_F_PROVIDER].p || !ev.f[KM_F_SOURCE].p || !ev.f[KM_F_OUTCOME].p ||
                !ev.f[KM_F_CATEGORY].p || !ev.f[KM_F_ACTOR_TYPE].p || ctx.emit != 1)
                abort();
            if ((ev.flags & KM_EV_TIME_MISSING) && ev.time_us != 0)
                abort();
            if (!!(ev.flags & KM_EV_TYPE_PROBLEM) != (ctx.problems > 0))
                abort();
            if (ev.severity < -1 || ev.severity > 100 || ev.mfa < -1 || ev.mfa > 1)
                abort();
            for (int f = 0; f < KM_F__COUNT; f++) {
                const struct km_str s = ev.f[f];
                for (uint32_t i = 0; i < s.n; i++)
                    km_fuzz_sink += (unsigned char)s.p[i];
            }
        }
        struct km_norm_ctx c2 = ctx;
        c2.problems = 0;
        c2.note[0] = 0;
        struct km_event ev2;
        km_event_init(&ev2);
        km_err_clear(&err);
        int rc2 = mods[m]->normalize(rec, &c2, &ev2, &err);
        if (rc2 != rc)
            abort();
        /* the arena may run out on the second run: compare only when both
         * runs had room (an exhausted arena drops built strings) */
        if (rc == KM_OK && a->total < a->limit / 2 && !km_fuzz_same(&ev, &ev2))
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct km_json_limits lim = {.max_depth = 32, .max_doc = 1 << 16, .max_string = 8192};
    if (size > lim.max_doc)
        return 0;
    char *buf = malloc(size ? size : 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    struct km_arena a;
    km_arena_init(&a, 4096, 1 << 22);
    struct km_json *root = NULL;
    struct km_err err;
    km_err_clear(&err);
    if (km_json_parse(buf, size, &lim, &a, &root, &err) == KM_OK) {
        static const char *const wrappers[] = {NULL, "value", "records"};
        const char *w = wrappers[size % 3];
        const struct km_json *recs = km_json_get(root, "value");
        if (!km_json_is_arr(recs))
            recs = km_json_get(root, "records");
        if (km_json_is_arr(root) || km_json_is_arr(recs)) {
            struct km_json *c = km_json_is_arr(root) ? root->child : recs->child;
            for (; c; c = c->next)
                km_fuzz_one(c, w, &a);
        } else {
            km_fuzz_one(root, w, &a);
        }
        (void)km_source_detect(root, w, &km_source_entra_signin);
    }
    km_arena_free(&a);
    free(buf);
    return 0;
}
