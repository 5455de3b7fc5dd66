/*
 * fuzz_gcp_audit.c — libFuzzer target for the Google Cloud Logging source
 * module (gcp_audit.c).
 *
 * Parses the input (an exact-size heap copy, so ASan sees overruns) as JSON
 * with small limits; if it parses, feeds the root — and, like the record
 * splitter would, each element of a top-level array or "entries" array — to
 * detect() and normalize() with a wrapper chosen from the input size, using
 * an arena with a small ceiling (so the Pub/Sub base64 decode and embedded
 * protoPayload parses also meet the ceiling). Checks the module contract:
 * detect in 0..100; KM_OK or KM_ERECORD only, with err.code set on
 * KM_ERECORD; on KM_OK provider/source/outcome/category/actor.type are set,
 * every string field is readable (ASan checks the bytes), time flags agree
 * with time_us, a problem count implies KM_EV_TYPE_PROBLEM, tri-states and
 * severity are in range. normalize may consume embedded strings (in-place
 * parse of protoPayload strings), so it is run twice on the same tree.
 */
#include <stdlib.h>
#include <string.h>
#include "core/event.h"
#include "json/json.h"
#include "sources/source.h"

extern const struct km_source km_source_gcp_audit;

static volatile unsigned km_fuzz_sink;

static void km_fuzz_check(struct km_json *rec, const char *wrapper, struct km_arena *a)
{
    struct km_norm_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.arena = a;
    ctx.file = "fuzz";
    ctx.wrapper = wrapper;
    struct km_event ev;
    km_event_init(&ev);
    struct km_err err;
    km_err_clear(&err);
    int rc = km_source_gcp_audit.normalize(rec, &ctx, &ev, &err);
    if (rc != KM_OK && rc != KM_ERECORD)
        abort();
    if (rc == KM_ERECORD && err.code != KM_ERECORD)
        abort();
    if (memchr(ctx.note, 0, sizeof ctx.note) == NULL)
        abort();
    if (rc != KM_OK)
        return;
    if (!ev.f[KM_F_PROVIDER].p || !ev.f[KM_F_SOURCE].p || !ev.f[KM_F_OUTCOME].p ||
        !ev.f[KM_F_CATEGORY].p || !ev.f[KM_F_ACTOR_TYPE].p || ctx.emit != 1)
        abort();
    if ((ev.flags & KM_EV_TIME_MISSING) && ev.time_us != 0)
        abort();
    if (!!(ev.flags & KM_EV_TYPE_PROBLEM) != (ctx.problems > 0))
        abort();
    for (int f = 0; f < KM_F__COUNT; f++) {
        const struct km_str s = ev.f[f];
        for (uint32_t i = 0; i < s.n; i++)
            km_fuzz_sink += (unsigned char)s.p[i];
    }
    for (uint32_t i = 0; i < ev.f[KM_F_ACTOR_EMAIL].n; i++)
        if (ev.f[KM_F_ACTOR_EMAIL].p[i] >= 'A' && ev.f[KM_F_ACTOR_EMAIL].p[i] <= 'Z')
            abort();
    if (ev.read_only < -1 || ev.read_only > 1 || ev.mfa < -1 || ev.mfa > 1 ||
        ev.severity < -1 || ev.severity > 100)
        abort();
}

static void km_fuzz_one(struct km_json *rec, const char *wrapper, struct km_arena *a)
{
    int score = km_source_gcp_audit.detect(rec, wrapper);
    if (score < 0 || score > 100)
        abort();
    km_fuzz_check(rec, wrapper, a);
    km_fuzz_check(rec, wrapper, a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct km_json_limits lim = {.max_depth = 32, .max_doc = 1 << 16, .max_string = 16384};
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
        static const char *const wrappers[] = {NULL, "entries", "Records", "value"};
        const char *w = wrappers[size % 4];
        const struct km_json *ents = km_json_get(root, "entries");
        if (km_json_is_arr(root) || km_json_is_arr(ents)) {
            for (struct km_json *c = km_json_is_arr(root) ? root->child : ents->child; c; c = c->next)
                km_fuzz_one(c, w, &a);
        } else {
            km_fuzz_one(root, w, &a);
        }
        (void)km_source_detect(root, w, &km_source_gcp_audit);
    }
    km_arena_free(&a);
    free(buf);
    return 0;
}
