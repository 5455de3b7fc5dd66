/*
 * registry.c — the one table of source modules, and detection across them.
 */
#include "sources/source.h"

extern const struct km_source km_source_cloudtrail;
extern const struct km_source km_source_cloudtrail_digest;
/* @externs-entra */
/* @externs-azure-activity */
/* @externs-gcp */
/* @externs-aws-findings */

const struct km_source *const km_sources[] = {
    &km_source_cloudtrail,
    &km_source_cloudtrail_digest,
    /* @rows-entra */
    /* @rows-azure-activity */
    /* @rows-gcp */
    /* @rows-aws-findings */
};
const int km_nsources = (int)(sizeof km_sources / sizeof km_sources[0]);

const struct km_source *km_source_detect(const struct km_json *rec, const char *wrapper,
                                         const struct km_source *hint)
{
    if (hint && hint->detect(rec, wrapper) >= 50)
        return hint;
    const struct km_source *best = NULL;
    int best_score = 0;
    for (int i = 0; i < km_nsources; i++) {
        int s = km_sources[i]->detect(rec, wrapper);
        if (s > best_score) {
            best_score = s;
            best = km_sources[i];
        }
    }
    return best;
}
