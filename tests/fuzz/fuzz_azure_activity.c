/*
 * fuzz_azure_activity.c — libFuzzer target for the Azure Activity log and
 * Azure resource-log modules (azure.activity, azure.resource).
 *
 * Parses the input (an exact-size heap copy, so ASan sees overruns) as JSON
 * with small limits; if it parses, feeds the root — and each element of a
 * top-level array or "value"/"records" array, as the record splitter would —
 * to both modules' detect() and normalize(), using an arena with a small
 * ceiling. Checks the module contract: scores 0..100; KM_OK or KM_ERECORD
 * only; on KM_OK provider/source/outcome/category/action/actor.type are set,
 * every string field is readable (ASan checks the bytes), the resources field
 * is a JSON array, time flags agree with time_us, a problem count implies
 * KM_EV_TYPE_PROBLEM; normalizing the same tree twice keeps the contract and
 * gives the same action (the record is never modified).
 */
#include <stdlib.h>
#include <string.h>
#include "core/event.h"
#include "json/json.h"
#include "sources/source.h"

extern const struct km_source km_source_azure_activity;
extern const struct km_source km_source_azure_resource;

static volatile unsigned km_fuzz_sink;

static void km_fuzz_check(const struct km_event *ev, const struct km_norm_ctx *ctx)
{
    if (!ev->f[KM_F_PROVIDER].p || !ev->f[KM_F_SOURCE].p || !ev->f[KM_F_OUTCOME].p ||
        !ev->f[KM_F_CATEGORY].p || !ev->f[KM_F_ACTION].p || !ev->f[KM_F_ACTOR_TYPE].p ||
        ctx->emit != 1)
        abort();
    if ((ev->flags & KM_EV_TIME_MISSING) && ev->time_us != 0)
        abort();
    if (!!(ev->flags & KM_EV_TYPE_PROBLEM) != (ctx->problems > 0))
        abort();
    if (memchr(ctx->note, 0, sizeof ctx->note) == NULL)
        abort();
    for (int f = 0; f < KM_F__COUNT; f++) {
        const struct km_str s = ev->f[f];
        for (uint32_t i = 0; i < s.n; i++)
            km_fuzz_sink += (unsigned char)s.p[i];
    }
    struct km_str r = ev->f[KM_F_RESOURCES];
    if (r.p && (r.n < 4 || r.p[0] != '[' || r.p[r.n - 1] != ']'))
        abort();
    if (ev->read_only < -1 || ev->read_only > 1 || ev->mfa < -1 || ev->mfa > 1 ||
        ev->severity < -1 || ev->severity > 100)
        abort();
}

static void km_fuzz_one(struct km_json *rec, const char *wrapper, struct km_arena *a)
{
    const struct km_source *mods[2] = {&km_source_azure_activity, &km_source_azure_resource};
    for (int m = 0; m < 2; m++) {
        int score = mods[m]->detect(rec, wrapper);
        if (score < 0 || score > 100)
            abort();
        struct km_str first = KM_STR_NONE;
        for (int pass = 0; pass < 2; pass++) {
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
            if (rc != KM_OK)
                break;
            km_fuzz_check(&ev, &ctx);
            if (pass == 0)
                first = ev.f[KM_F_ACTION];
            else if (!km_str_eq(first, ev.f[KM_F_ACTION]))
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
        static const char *const wrappers[] = {NULL, "value", "records"};
        const char *w = wrappers[size % 3];
        const struct km_json *arr = km_json_is_arr(root) ? root : km_json_get(root, "value");
        if (!km_json_is_arr(arr))
            arr = km_json_get(root, "records");
        if (km_json_is_arr(arr)) {
            for (struct km_json *c = arr->child; c; c = c->next)
                km_fuzz_one(c, w, &a);
        } else {
            km_fuzz_one(root, w, &a);
        }
        (void)km_source_detect(root, w, &km_source_azure_activity);
    }
    km_arena_free(&a);
    free(buf);
    return 0;
}
