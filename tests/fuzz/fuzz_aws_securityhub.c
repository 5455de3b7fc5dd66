/*
 * fuzz_aws_securityhub.c — libFuzzer target for the Security Hub (ASFF) and
 * GuardDuty source modules.
 *
 * Parses the input (an exact-size heap copy, so ASan sees overruns) as JSON
 * with small limits; if it parses, feeds the root — and, like the record
 * splitter, each element of a top-level array or of a "Findings"/"findings"
 * array — to both modules' detect() and normalize() with a wrapper name
 * chosen from the input, using an arena with a small ceiling; a record
 * holding several events (ctx->count > 1) is also normalized at indexes 1,
 * count-1 and count (past the end). Checks the module contract: count >= 1,
 * an index past the end fails; score 0..100; KM_OK or KM_ERECORD only; on KM_OK
 * provider/source are set, an emitted event has category and outcome,
 * severity is -1..100, every string field is readable (ASan checks the
 * bytes), resources is a JSON array, time flags agree with time_us, and a
 * problem count implies KM_EV_TYPE_PROBLEM.
 */
#include <stdlib.h>
#include <string.h>
#include "core/event.h"
#include "json/json.h"
#include "sources/source.h"

extern const struct km_source km_source_aws_securityhub;
extern const struct km_source km_source_aws_guardduty;

static volatile unsigned km_fuzz_sink;

/* Normalizes event number `index` of rec with one module and checks the
 * contract; returns the record's event count (ctx.count). */
static int km_fuzz_mod(const struct km_source *mod, struct km_json *rec, const char *wrapper,
                       struct km_arena *a, int index)
{
    int score = mod->detect(rec, wrapper);
    if (score < 0 || score > 100)
        abort();
    struct km_norm_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.arena = a;
    ctx.file = "fuzz";
    ctx.wrapper = wrapper;
    ctx.index = index;
    ctx.count = 1;   /* as km_normalize_record sets it */
    struct km_event ev;
    km_event_init(&ev);
    struct km_err err;
    km_err_clear(&err);
    int rc = mod->normalize(rec, &ctx, &ev, &err);
    if (rc != KM_OK && rc != KM_ERECORD)
        abort();
    if (rc == KM_ERECORD && err.code != KM_ERECORD)
        abort();
    if (memchr(ctx.note, 0, sizeof ctx.note) == NULL)
        abort();
    if (ctx.count < 1 || (rc == KM_OK && index >= ctx.count))
        abort();
    if (rc != KM_OK)
        return ctx.count;
    if (!ev.f[KM_F_PROVIDER].p || !ev.f[KM_F_SOURCE].p)
        abort();
    if (ctx.emit && (!ev.f[KM_F_CATEGORY].p || !ev.f[KM_F_OUTCOME].p))
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
    const struct km_str r = ev.f[KM_F_RESOURCES];
    if (r.p && (r.n < 2 || r.p[0] != '[' || r.p[r.n - 1] != ']'))
        abort();
    return ctx.count;
}

/* Both modules on rec; for a record holding several events also its second
 * and last event and one past the end. */
static void km_fuzz_one(struct km_json *rec, const char *wrapper, struct km_arena *a)
{
    const struct km_source *mods[2] = {&km_source_aws_securityhub, &km_source_aws_guardduty};
    for (int m = 0; m < 2; m++) {
        int count = km_fuzz_mod(mods[m], rec, wrapper, a, 0);
        if (count > 1) {
            km_fuzz_mod(mods[m], rec, wrapper, a, 1);
            km_fuzz_mod(mods[m], rec, wrapper, a, count - 1);
            km_fuzz_mod(mods[m], rec, wrapper, a, count);
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
        static const char *const wrappers[] = {NULL, "Findings", "findings", "Records"};
        const char *w = wrappers[size % 4];
        const struct km_json *fs = km_json_get(root, "Findings");
        if (!fs)
            fs = km_json_get(root, "findings");
        if (km_json_is_arr(root) || km_json_is_arr(fs)) {
            for (struct km_json *c = km_json_is_arr(root) ? root->child : fs->child; c; c = c->next)
                km_fuzz_one(c, w, &a);
        } else {
            km_fuzz_one(root, w, &a);
        }
        (void)km_source_detect(root, w, &km_source_aws_securityhub);
    }
    km_arena_free(&a);
    free(buf);
    return 0;
}
