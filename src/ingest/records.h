/*
 * records.h — a streaming record splitter for JSON log exports (and CSV
 * exports, whose rows it hands over as JSON objects).
 *
 * Fed a decoded byte stream in chunks of any size, it finds the records the
 * stream holds and hands each one, as its exact bytes and stream offset, to a
 * callback. Memory is bounded by the largest record (max_record), not by the
 * stream: a 10 GB {"Records":[...]} file is split element by element.
 *
 * Shapes recognised from content (first bytes), per top-level value:
 *   KM_SHAPE_ARRAY    [ rec, rec, ... ]                  each element is a record
 *   KM_SHAPE_WRAPPED  { ..., "KEY": [ rec, ... ], ... }  KEY one of km_records_wrapper_keys
 *                     (Records, records, value, events, logEvents, Events,
 *                      Findings, findings, configurationItems, entries,
 *                      receivedMessages); every
 *                     array under such a key at depth 1 yields its elements;
 *                     wrapper = KEY; other keys (and a wrapper key whose
 *                     value is not an array) are skipped
 *   KM_SHAPE_OBJECT   { ... } with no wrapper key        the whole object is one record
 *   KM_SHAPE_PREFIXED lines "2024-01-01T00:00:00.000Z {json}" (CloudWatch Logs
 *                     export to S3): the JSON after the first space is the record
 *   KM_SHAPE_CSV      a CSV export (Log Analytics, Entra portal, CloudTrail console):
 *                     header line, then RFC 4180 rows; each row is handed over
 *                     as a JSON object built from header + row (see below)
 * Several top-level values may follow each other (JSON Lines, concatenated
 * JSON); each gets its own shape. Scalars at top level (or inside a record
 * array) are reported as errors. A record larger than max_record is reported
 * (KM_ELIMIT, with offset) and skipped; a syntax problem the splitter can see
 * (unbalanced brackets, bytes after the end, unterminated string at EOF) is
 * KM_EJSON with the offset. Full validation is the JSON parser's job: the
 * splitter only tracks strings, escapes and bracket depth (max_depth bound).
 * After an error it resynchronises at the next line that starts with '{' or
 * '[' at column 0 when the input is line-oriented, else stops the stream.
 *
 * Details:
 *   - A record is an object ('{'..'}'); array elements that are arrays or
 *     scalars are reported (KM_EFORMAT) and skipped, the array goes on.
 *   - Input is line oriented once a top-level value was followed by a newline,
 *     for prefixed lines, or when the error lies on the line where the current
 *     top-level value started at column 0 (one JSON Lines line).
 *   - A raw newline inside a string is an error (KM_EJSON): in JSON Lines it
 *     marks a broken line, and resync continues on the next line.
 *   - A leading UTF-8 BOM is skipped. Empty or blank input: no record, no
 *     error. A stream whose first non-blank byte is neither '{', '[' nor a
 *     "TIMESTAMP {" line, and that does not start with a CSV header, is one
 *     KM_EFORMAT "not JSON: starts with ..." error; the rest is ignored.
 *   - CSV: when the first non-blank byte is none of '{', '[' or a digit at
 *     column 0, the first record (quote-aware) is tried as a CSV header: at
 *     most KM_CSV_HEADER_MAX bytes and KM_CSV_MAX_COLUMNS columns (more is
 *     KM_ELIMIT), valid UTF-8 without control bytes, a first name not starting
 *     with a digit, at least two distinct non-empty names. The delimiter is
 *     TAB when the header's first line has tabs and no commas, else ','. If
 *     it is no header, the stream is the "not JSON" error above. Otherwise
 *     the whole stream is CSV: rows end at a newline outside quotes (LF or
 *     CRLF; the CR is dropped), fields may be quoted ("" is a quote; text
 *     after a closing quote is kept literally), newlines inside quotes
 *     belong to the field. Each row becomes {"Name":"cell",...} in header
 *     order, JSON-escaped (invalid UTF-8 becomes U+FFFD), empty cells
 *     omitted; a row that is blank or has no non-empty cell is skipped
 *     silently. The record's p/n is that JSON (in a splitter-owned buffer),
 *     its off/raw_n the row's exact bytes without the line terminator, line
 *     the row's first line. A row with more cells than the header has
 *     columns, or an unterminated quote at end of input, is KM_EFORMAT; a row
 *     longer than max_record (or whose JSON exceeds max_record +
 *     8 * KM_CSV_HEADER_MAX) is KM_ELIMIT; the row is skipped, the next one
 *     is read. Header names are trimmed (blanks), lose a trailing time-zone
 *     suffix (" [UTC]", " [UTC+02:00]", " [Local Time]"); an empty name is "column N" (1-based);
 *     a repeated name gets " (2)", " (3)", ...
 *   - Prefixed lines: the prefix starts at column 0 with a digit, is 8-48
 *     bytes of [0-9A-Za-z:.+-_/], then blanks, then '{'. Only one record per
 *     line; the record's off/line are those of its '{'.
 *   - A wrapper key is recognised in key position (after '{' or ',') when
 *     the key, its ':' and the '[' lie within 64 bytes; keys written with
 *     escapes never match.
 *   - Syntax slips at depth 1 of a wrapper object (missing ',' or ':',
 *     trailing ',') after its wrapper array are reported once at the
 *     object's end; in an object that is itself the record they are left to
 *     the JSON parser.
 *   - Errors are reported with code, offset and line (struct km_err); the
 *     output (records and errors) never depends on how the input was cut into
 *     chunks.
 */
#ifndef KM_RECORDS_H
#define KM_RECORDS_H

#include "core/km.h"
#include "ingest/csv.h"

enum km_shape {
    KM_SHAPE_NONE = 0,
    KM_SHAPE_ARRAY = 1,
    KM_SHAPE_WRAPPED = 2,
    KM_SHAPE_OBJECT = 3,
    KM_SHAPE_PREFIXED = 4,
    KM_SHAPE_CSV = 5,
};

struct km_record {
    char *p;               /* record bytes: mutable, valid only during the callback
                              (KM_SHAPE_CSV: the JSON object built from the row) */
    size_t n;
    uint64_t off;          /* offset of the record's first original byte in the stream */
    size_t raw_n;          /* original bytes at off: n for JSON shapes; for CSV the
                              row without its line terminator */
    long line;             /* 1-based line of p[0] in the stream */
    int shape;             /* enum km_shape of the enclosing top-level value */
    const char *wrapper;   /* wrapper key for KM_SHAPE_WRAPPED, else NULL */
};

struct km_records_limits {
    size_t max_record;     /* default 64 MiB */
    uint32_t max_depth;    /* default 256 */
};
void km_records_limits_default(struct km_records_limits *l);

/* Callbacks: on_record returns 0 to continue, non-zero to stop the stream
 * (returned from feed/finish). on_error receives each problem; the splitter
 * continues past it when it can. */
struct km_records_cb {
    int (*on_record)(void *ctx, const struct km_record *r);
    void (*on_error)(void *ctx, const struct km_err *e);
    void *ctx;
};

struct km_records;
/* Creates a splitter (lim NULL = defaults; name is copied and used as the
 * file of every reported error). Returns KM_OK or KM_ENOMEM; free it with
 * km_records_free(). */
int km_records_new(const struct km_records_limits *lim, const struct km_records_cb *cb,
                   const char *name /* file/member for messages */, struct km_records **out);
/* The wrapper keys, NULL-terminated; km_record.wrapper points at one of them. */
extern const char *const km_records_wrapper_keys[];

/* Feeds the next chunk. Returns 0, or the non-zero value on_record returned
 * (after which further feed/finish calls do nothing and return it again).
 * data is never written: every record is copied into the splitter's buffer. */
int km_records_feed(struct km_records *r, const char *data, size_t n);
/* Same, zero-copy: a record lying entirely inside `data` is handed over as a
 * pointer into `data` (which the callback may modify in place); only records
 * that span chunks are copied. `data` must be writable and stay untouched by
 * the caller until the call returns. */
int km_records_feed_mut(struct km_records *r, char *data, size_t n);
/* Signals end of stream (reports an unterminated value, with the offset and
 * line of the record or top-level value that is cut). Returns 0, or the
 * stop value of an earlier on_record. */
int km_records_finish(struct km_records *r);
/* The shape of the first top-level value (KM_SHAPE_NONE before one was seen). */
int km_records_shape(const struct km_records *r);
void km_records_free(struct km_records *r);

/* ---- CSV, shared by the splitter and `kumo show` ---------------------------- */

#endif
