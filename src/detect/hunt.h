/*
 * hunt.h — running detections over a store and recording what they find
 * (`kumo hunt`). Detections see the hunt through detect.h only.
 */
#ifndef KM_HUNT_H
#define KM_HUNT_H

#include "detect/finding.h"

struct km_hunt_opts {
    int64_t since, until;          /* INT64_MIN / INT64_MAX for none */
    const char *const *only;       /* detection ids to run; NULL = all */
    int nonly;
    int threads;                   /* 0 = 2 */
    struct km_geo *geo;            /* may be NULL */
    const struct km_idgraph *graph;/* may be NULL: then, with graph_lazy, the hunt
                                      builds one (identity.* settings of conf, no
                                      times) when a detection first asks for it */
    int graph_lazy;
    const struct km_conf *conf;    /* may be NULL */
    /* progress: called after each detection (from worker threads, serialised) */
    void (*progress)(void *ctx, const struct km_detection *d, int done, int total,
                     size_t findings, double seconds, int rc);
    void *pctx;
};

struct km_hunt_result {
    struct km_finding *f;          /* every finding of the run, normalized, by first time */
    size_t n;
    int ndet;                      /* detections run */
    int failed;                    /* detections that ended with an error */
    char errors[8][300];           /* their messages (first 8) */
    uint64_t rows;                 /* rows the scans visited */
    double seconds;
};

/* Runs the detections (read-only: the store may be read-only). */
int km_hunt_run(struct km_store *s, const struct km_hunt_opts *o, struct km_hunt_result *r,
                struct km_err *err);
void km_hunt_result_free(struct km_hunt_result *r);

struct km_hunt_saved {
    uint64_t added, updated, unchanged, total;
    char digest[65];
};
/* Records the findings in the catalog (store opened for writing) in one
 * transaction with a hunts row and a custody record anchoring the digest. */
int km_hunt_save(struct km_store *s, const struct km_hunt_opts *o,
                 const struct km_hunt_result *r, const char *operator_,
                 struct km_hunt_saved *out, struct km_err *err);

/* For `kumo verify`: KM_OK when the findings digest equals the one the last
 * hunt's custody record anchors (or there were never findings); KM_ECORRUPT
 * otherwise. *checked = 1 when there was something to check. */
int km_hunt_verify(struct km_store *s, int *checked, struct km_err *err);

#endif
