/*
 * fuzz_aws_config.c — libFuzzer target for the AWS Config source module.
 *
 * Parses the input (an exact-size heap copy, so ASan sees overruns) as JSON
 * with small limits; if it parses, feeds the root — and, like the record
 * splitter, each element of a top-level array or of a "configurationItems"
 * array — to detect() and normalize() with a wrapper name chosen from the
 * input, using an arena with a small ceiling. Checks the module contract:
 * score 0..100; KM_OK or KM_ERECORD only; on KM_OK provider/source are set,
 * an emitted event has category and outcome, every string field is readable
 * (ASan checks the bytes), resources/related are JSON arrays, time flags
 * agree with time_us, and a problem count implies KM_EV_TYPE_PROBLEM. A
 * second normalize of the same tree (the SNS Message string was consumed by
 * the in-place parse) must keep the contract too.
 */
#include <stdlib.h>
#include <string.h>
#include "core/event.h"
#include "json/json.h"
#include "sources/source.h"

extern const struct km_source km_source_aws_config;

static volatile unsigned km_fuzz_sink;

static void km_fuzz_check(const struct km_event *ev, const struct km_norm_ctx *ctx)
{
    if (!ev->f[KM_F_PROVIDER].p || !ev->f[KM_F_SOURCE].p)
        abort();
    if (ctx->emit && (!ev->f[KM_F_CATEGORY].p || !ev->f[KM_F_OUTCOME].p))
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
        if ((f == KM_F_RESOURCES || f == KM_F_RELATED) && s.p &&
            (s.n < 2 || s.p[0] != '[' || s.p[s.n - 1] != ']'))
            abort();
    }
}

static void km_fuzz_one(struct km_json *rec, const char *wrapper, struct km_arena *a)
{
    int score = km_source_aws_config.detect(rec, wrapper);
    if (score < 0 || score > 100)
        abort();
    for (int round = 0; round < 2; round++) {
        struct km_norm_ctx ctx;
        memset(&ctx, 0, sizeof ctx);
        ctx.arena = a;
        ctx.file = "fuzz";
        ctx.wrapper = wrapper;
        struct km_event ev;
        km_event_init(&ev);
        struct km_err err;
        km_err_clear(&err);
        int rc = km_source_aws_config.normalize(rec, &ctx, &ev, &err);
        if (rc != KM_OK && rc != KM_ERECORD)
            abort();
        if (rc == KM_ERECORD && err.code != KM_ERECORD)
            abort();
        if (rc == KM_OK)
            km_fuzz_check(&ev, &ctx);
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
        static const char *const wrappers[] = {NULL, "configurationItems", "Records", "Findings"};
        const char *w = wrappers[size % 4];
        const struct km_json *cis = km_json_get(root, "configurationItems");
        if (km_json_is_arr(root) || km_json_is_arr(cis)) {
            for (struct km_json *c = km_json_is_arr(root) ? root->child : cis->child; c; c = c->next)
                km_fuzz_one(c, w, &a);
        } else {
            km_fuzz_one(root, w, &a);
        }
        (void)km_source_detect(root, w, &km_source_aws_config);
    }
    km_arena_free(&a);
    free(buf);
    return 0;
}
