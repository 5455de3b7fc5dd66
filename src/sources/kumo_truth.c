/*
 * kumo_truth.c — `kumo gen`'s ground-truth file (DIR/kumo-ground-truth.json,
 * docs/generator.md) as evidence only.
 *
 * `kumo gen` writes the ground truth beside the log trees it generates, so
 * `kumo ingest DIR` meets it. It is not a log: this module recognises it by
 * its own top-level keys ("generator": "kumo gen" and a "scenarios" array)
 * and keeps it as an evidence-only record (like a CloudTrail digest): no
 * event, no reject, and the file is hashed into the vault like any input.
 */
#include "sources/source.h"

#include <string.h>

static int kt_detect(const struct km_json *rec, const char *wrapper)
{
    (void)wrapper;
    if (!km_json_is_obj(rec))
        return 0;
    const struct km_json *g = km_json_get(rec, "generator");
    if (!km_json_is_str(g) || g->len != 8 || memcmp(g->str, "kumo gen", 8) != 0)
        return 0;
    return km_json_is_arr(km_json_get(rec, "scenarios")) ? 100 : 0;
}

static int kt_normalize(struct km_json *rec, struct km_norm_ctx *ctx, struct km_event *ev,
                        struct km_err *err)
{
    (void)rec;
    (void)err;
    ctx->emit = 0;
    ev->f[KM_F_PROVIDER] = KM_STR("kumo");
    ev->f[KM_F_SOURCE] = KM_STR("kumo.ground_truth");
    ev->time_us = 0;
    ev->flags |= KM_EV_TIME_MISSING;
    return KM_OK;
}

const struct km_source km_source_kumo_truth = {
    .name = "kumo.ground_truth",
    .provider = "kumo",
    .summary = "the ground truth `kumo gen` writes beside its logs; evidence only, no event",
    .doc = "docs/sources/kumo_ground_truth.md",
    .detect = kt_detect,
    .normalize = kt_normalize,
};
