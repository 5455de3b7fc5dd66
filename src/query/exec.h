/*
 * exec.h — running a parsed query (query.h) over the event store.
 *
 * The pipeline runs in one pass over the segments the time bounds leave:
 *
 *   1. Pruning: each segment whose time range misses --since/--until is
 *      skipped from the manifest; in the rest, every condition of the
 *      leading `filter` that depends on one dictionary-coded field alone
 *      (`action = "X"`, `src.ip in [...]`, `tolower(actor.name) like "adm%"`,
 *      `user_agent =~ /curl/`) is evaluated once per dictionary value, giving
 *      a bitmap over codes; a segment where such a condition holds for no
 *      value is skipped without reading a row.
 *   2. Rows: per row the bitmaps are tested on the code columns; the other
 *      conditions are evaluated on the normalized columns; raw JSON paths
 *      (`requestParameters.bucketName`) are read from the vault only for rows
 *      that survive everything else (a decoded-object cache makes the records
 *      of one file cost one decode).
 *   3. `stats` with dictionary-coded group keys (and/or bin()) and count /
 *      count_distinct of dictionary-coded fields aggregates on codes per
 *      segment and merges by value; everything else goes through the general
 *      row-at-a-time path. `sort` keeps the top N rows (N = the next limit,
 *      else --max-rows), `dedup` a set of 64-bit hashes: no query holds all
 *      rows.
 *
 * Semantics: a missing value (a field the event lacks, a JSON path the record
 * lacks) makes =, <, <=, >, >=, in, like and =~ false and != true. Strings
 * compare bytewise; a time compares with a time literal string (ISO 8601) or
 * with a duration-free number of microseconds. See docs/query.md.
 */
#ifndef KM_QUERY_EXEC_H
#define KM_QUERY_EXEC_H

#include "query/query.h"

struct km_store;
struct km_event;
struct km_geo_lazy;

enum km_qv_type { KM_QV_NULL = 0, KM_QV_STR, KM_QV_INT, KM_QV_FLOAT, KM_QV_TIME, KM_QV_BOOL };

struct km_qval {
    uint8_t t;         /* enum km_qv_type */
    int64_t i;         /* INT, TIME (µs), BOOL */
    double f;          /* FLOAT */
    struct km_str s;   /* STR */
};

/* Receives the result: columns once, then each row (values valid during the
 * call). A non-zero return stops the query. */
struct km_qsink {
    int (*columns)(void *ctx, int n, const char *const *names);
    int (*row)(void *ctx, int n, const struct km_qval *vals);
    void *ctx;
    /* Optional: receives each output row's whole normalized event instead of
     * `row` (for pipelines of filter / dedup / limit only: after sort or
     * stats there is no event; use km_query_events_only to check). */
    int (*event)(void *ctx, const struct km_event *ev);
};
/* 1 when every command of q keeps rows as events (filter, dedup, limit). */
int km_query_events_only(const struct km_query *q);

struct km_conf;
struct km_idgraph;

struct km_qopts {
    int64_t since, until;  /* time bounds (µs, inclusive); INT64_MIN / INT64_MAX for none */
    int64_t max_rows;      /* rows returned at most when no `limit` says otherwise (10000) */
    struct km_geo_lazy *geo; /* GeoIP databases for src.geo.* (geo/geo.h), opened only when
                                a query reads such a field; NULL: the default ones */
    /* the `person` field (ident/ident.h): the graph to use, else one is built
     * (only when the query names `person`) with conf's identity.* keys
     * (NULL: defaults) */
    const struct km_idgraph *graph;
    const struct km_conf *conf;
};
void km_qopts_default(struct km_qopts *o);

struct km_qstats {
    uint64_t segments, segments_read, rows_read, rows_matched, rows_out;
    uint64_t raw_reads;        /* raw records read from the vault */
    uint64_t raw_objects;      /* vault objects decoded for them */
    int truncated;             /* more rows than max_rows: output was cut */
    char warnings[4][200];     /* e.g. a path that exists in no event */
    int nwarnings;
};

/* Runs q (parsed from text[0..n), for error carets) against the store. */
int km_query_run(struct km_store *s, const struct km_query *q, const char *text, size_t n,
                 const struct km_qopts *o, const struct km_qsink *sink, struct km_qstats *st,
                 struct km_query_err *err);

/* Formats a value as text (times as ISO 8601 UTC with microseconds when not
 * whole seconds, shifted by tz_min minutes when non-zero). Returns the length;
 * out is NUL-terminated. */
size_t km_qval_fmt(const struct km_qval *v, int tz_min, char *out, size_t cap);

#endif
