/*
 * export.h — an event sink that writes normalized events in an interchange
 * format: kumo's JSON Lines, CSV, OCSF JSON events, or Timesketch JSONL/CSV
 * (docs/export.md has the field mapping of each).
 *
 *   struct km_export x;
 *   km_export_begin(&x, KM_EXPORT_OCSF, stdout, &err);   writes a header (CSV)
 *   km_export_event(&x, ev, &err);                       one record per event
 *   km_export_end(&x, &err);                             flushes, frees
 *
 * The sink does not sort: callers feed events in the order they want them
 * written (`kumo export` sorts by time with km_cli_sorted_scan, rendering each
 * record with km_export_render). Any producer of struct km_event — the store
 * scan today, the query engine later — can feed it.
 */
#ifndef KM_EXPORT_H
#define KM_EXPORT_H

#include "core/event.h"
#include "json/json.h"

#include <stdio.h>

enum km_export_fmt {
    KM_EXPORT_JSONL = 0,       /* the normalized event, one JSON object per line */
    KM_EXPORT_CSV,             /* header + one row per event, every km_fields[] column */
    KM_EXPORT_OCSF,            /* OCSF KM_EXPORT_OCSF_VERSION events, one per line */
    KM_EXPORT_TIMESKETCH,      /* Timesketch JSONL: message, datetime, timestamp_desc, ... */
    KM_EXPORT_TIMESKETCH_CSV,  /* the same as CSV */
    KM_EXPORT__COUNT
};

#define KM_EXPORT_OCSF_VERSION "1.3.0"
/* "jsonl, csv, ocsf, timesketch, timesketch-csv" (for usage messages) */
extern const char km_export_formats[];

/* Looks a format up by name. Returns KM_OK or KM_EUSAGE. */
int km_export_format_lookup(const char *name, enum km_export_fmt *out);
/* The format's name ("ocsf"). */
const char *km_export_format_name(enum km_export_fmt fmt);

struct km_export {
    enum km_export_fmt fmt;
    FILE *out;               /* not owned: km_export_end flushes, never closes it */
    struct km_buf line;      /* the record being written */
    uint64_t events;         /* records written */
};

/* Starts a sink writing to out (CSV formats: writes the header). Returns
 * KM_OK, KM_EUSAGE (bad format) or KM_EIO. */
int km_export_begin(struct km_export *x, enum km_export_fmt fmt, FILE *out, struct km_err *err);
/* Appends ev's record (ending in '\n') to b without writing it. Returns
 * KM_OK, or KM_ENOMEM when b hit its ceiling. */
int km_export_render(const struct km_export *x, const struct km_event *ev, struct km_buf *b,
                     struct km_err *err);
/* Renders and writes one event. Returns KM_OK, KM_ENOMEM or KM_EIO. */
int km_export_event(struct km_export *x, const struct km_event *ev, struct km_err *err);
/* Flushes the output and frees the sink's memory. Returns KM_OK or KM_EIO
 * when any write failed. */
int km_export_end(struct km_export *x, struct km_err *err);

/* The OCSF event class of an event (docs/export.md, "OCSF classes"). */
struct km_ocsf_class {
    int class_uid;           /* 6003, 3002, 3001, 2004, 2003, 5023; 0 Base Event */
    int category_uid;        /* 6, 3, 2, 5; 0 */
    const char *class_name;  /* "API Activity" */
    const char *category_name;
};
void km_export_ocsf_class(const struct km_event *ev, struct km_ocsf_class *out);
/* The OCSF activity_id of an event in class class_uid (0 Unknown, 99 Other). */
int km_export_ocsf_activity(const struct km_event *ev, int class_uid);

/* Timesketch `timestamp_desc` for an event: what its time means. */
const char *km_export_timestamp_desc(const struct km_event *ev);

#endif
