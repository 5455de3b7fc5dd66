/*
 * fuzz_cloudtrail.c — libFuzzer target for the CloudTrail source modules.
 *
 * Parses the input (an exact-size heap copy, so ASan sees overruns) as JSON
 * with small limits; if it parses, feeds the root — and, like the record
 * splitter would, each element of a top-level array or "Records" array — to
 * both modules' detect() and normalize() with each wrapper name, using an
 * arena with a small ceiling. Checks the module contract: KM_OK or
 * KM_ERECORD only; on KM_OK provider/source/outcome/category are set, every
 * string field is readable (ASan checks the bytes), time flags agree with
 * time_us, and a problem count implies KM_EV_TYPE_PROBLEM.
 */
#include <stdlib.h>
#include <string.h>
#include "core/event.h"
#include "json/json.h"
#include "sources/source.h"

extern const struct km_source km_source_cloudtrail;
extern const struct km_source km_source_cloudtrail_digest;

static volatile unsigned km_fuzz_sink;

static void km_fuzz_one(struct km_json *rec, const char *wrapper, struct km_arena *a)
{
    const struct km_source *mods[2] = {&km_source_cloudtrail, &km_source_cloudtrail_digest};
    for (int m = 0; m < 2; m++) {
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
        if (rc != KM_OK)
            continue;
        if (!ev.f[KM_F_PROVIDER].p || !ev.f[KM_F_SOURCE].p)
            abort();
        if (m == 0) {
            if (!ev.f[KM_F_OUTCOME].p || !ev.f[KM_F_CATEGORY].p || !ev.f[KM_F_ACTOR_TYPE].p ||
                ctx.emit != 1)
                abort();
            if ((ev.flags & KM_EV_TIME_MISSING) && ev.time_us != 0)
                abort();
            if (!!(ev.flags & KM_EV_TYPE_PROBLEM) != (ctx.problems > 0))
                abort();
        }
        for (int f = 0; f < KM_F__COUNT; f++) {
            const struct km_str s = ev.f[f];
            for (uint32_t i = 0; i < s.n; i++)
                km_fuzz_sink += (unsigned char)s.p[i];
        }
        if (ev.read_only < -1 || ev.read_only > 1 || ev.mfa < -1 || ev.mfa > 1)
            abort();
        /* normalize may consume embedded strings (in-place parse): a second
         * run on the same tree must still keep the contract */
        if (m == 0) {
            struct km_norm_ctx c2 = ctx;
            c2.problems = 0;
            c2.note[0] = 0;
            km_event_init(&ev);
            km_err_clear(&err);
            rc = mods[m]->normalize(rec, &c2, &ev, &err);
            if (rc != KM_OK && rc != KM_ERECORD)
                abort();
        }
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
        static const char *const wrappers[] = {NULL, "Records", "events", "logEvents", "Events"};
        size_t wi = size % 5;
        const struct km_json *recs = km_json_get(root, "Records");
        if (km_json_is_arr(root) || km_json_is_arr(recs)) {
            for (struct km_json *c = km_json_is_arr(root) ? root->child : recs->child; c; c = c->next)
                km_fuzz_one(c, wrappers[wi], &a);
        } else {
            km_fuzz_one(root, wrappers[wi], &a);
        }
        (void)km_source_detect(root, wrappers[wi], &km_source_cloudtrail);
    }
    km_arena_free(&a);
    free(buf);
    return 0;
}
