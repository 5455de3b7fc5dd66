/*
 * ingest.h — the acquisition pipeline: walk → preserve → decode → split →
 * parse → normalize → store.
 *
 *   walker thread        worker threads (N)                 main thread
 *   paths ──► queue ──►  vault copy + SHA-256            ──► catalog (evidence,
 *                        decode members (bounded)            objects, rejects)
 *                        split records, parse, detect,       dedupe + segment
 *                        normalize into batches  ──queue──►  writer, custody,
 *                                                            progress
 *
 * Only the main thread writes the catalog. Workers read it through their own
 * read-only connection to skip files whose evidence is already complete.
 * Memory is bounded: queues have fixed depth, batches a fixed size, records a
 * maximum size, decoding fixed buffers.
 */
#ifndef KM_INGEST_H
#define KM_INGEST_H

#include "ingest/decode.h"
#include "ingest/records.h"
#include "store/catalog.h"
#include "store/store.h"

#include <stdio.h>

struct km_ingest_opts {
    const char *operator_;          /* custody operator; default $USER */
    struct km_decode_limits dlim;
    struct km_records_limits rlim;
    int threads;                    /* workers; 0 = number of CPUs */
    int progress;                   /* live progress line on stderr */
    uint32_t segment_rows;          /* 0 = default */
    /* Reprocess (kumo reprocess): when nreprocess > 0 the paths are ignored
     * and these held evidence objects are read back from the vault and run
     * through the same pipeline; dedupe drops what is already stored, and
     * each gets a custody record "reprocess" with reprocess_note. Their
     * earlier rejects are marked superseded (they stay in the catalog). */
    const struct km_evidence *reprocess;
    size_t nreprocess;
    const char *reprocess_note;
};
void km_ingest_opts_default(struct km_ingest_opts *o);

struct km_ingest_source_count {
    char source[64];
    uint64_t events_new, events_dup;
    uint64_t events_conflict;       /* of events_new: ids already stored with other content */
};

struct km_ingest_reject {
    char file[1024];                /* acquisition path (+ "!member") */
    uint64_t offset;
    long line;
    int code;
    char reason[256];
};

struct km_ingest_summary {
    uint64_t files, files_already_held, files_failed;
    uint64_t bytes_in, bytes_decoded;
    uint64_t events_new, events_dup, records_rejected, evidence_records;
    uint64_t events_conflict;       /* of events_new: conflicting duplicates (kept) */
    uint64_t time_fallbacks;        /* time taken from a fallback field */
    uint64_t time_missing;          /* no usable time: stored with time 0, flag time_missing */
    uint64_t type_problems;
    double seconds;
    struct km_ingest_source_count sources[32];
    int nsources;
    struct km_ingest_reject *rejects;   /* first max_rejects (malloc'd) */
    size_t nrejects, max_rejects;
};

/* Runs the pipeline over paths into the opened (writable) store. Returns
 * KM_OK when the run completed (even with rejected records: see summary), or
 * an error that stopped it (store I/O, catalog). */
int km_ingest_run(struct km_store *s, char *const *paths, int npaths,
                  const struct km_ingest_opts *o, struct km_ingest_summary *sum,
                  struct km_err *err);
void km_ingest_summary_free(struct km_ingest_summary *sum);

#endif
