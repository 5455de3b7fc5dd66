/*
 * fuzz_kumo_truth.c — libFuzzer target for the ground-truth source module
 * (kumo_truth.c): parses the input (an exact-size heap copy) as JSON with
 * small limits and feeds the root, and each element of a top-level array, to
 * detect() and normalize(). Checks the module contract: detect in 0..100;
 * when detected, normalize returns KM_OK with emit = 0 (evidence only), the
 * provider and source set, and time_missing with time 0.
 */
#include <stdlib.h>
#include <string.h>
#include "core/event.h"
#include "json/json.h"
#include "sources/source.h"

extern const struct km_source km_source_kumo_truth;

static void km_fuzz_one(struct km_json *rec, struct km_arena *a)
{
    int score = km_source_kumo_truth.detect(rec, NULL);
    if (score < 0 || score > 100)
        abort();
    if (score == 0)
        return;
    struct km_norm_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.arena = a;
    ctx.file = "fuzz";
    ctx.emit = 1;
    struct km_event ev;
    km_event_init(&ev);
    struct km_err err;
    km_err_clear(&err);
    if (km_source_kumo_truth.normalize(rec, &ctx, &ev, &err) != KM_OK)
        abort();
    if (ctx.emit || !ev.f[KM_F_PROVIDER].p || !ev.f[KM_F_SOURCE].p)
        abort();
    if (!(ev.flags & KM_EV_TIME_MISSING) || ev.time_us != 0)
        abort();
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
        if (km_json_is_arr(root)) {
            for (struct km_json *c = root->child; c; c = c->next)
                km_fuzz_one(c, &a);
        } else {
            km_fuzz_one(root, &a);
        }
    }
    km_arena_free(&a);
    free(buf);
    return 0;
}
