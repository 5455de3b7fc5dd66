/*
 * segment.h — immutable columnar segments: the builder that accumulates
 * events and writes a segment file, and the reader that maps one.
 *
 * File layout (all integers little-endian):
 *
 *   +--------------------------------------------------------------+
 *   | header 64 B: "KMSEG\0v1" u32 version u32 ncols u64 nrows      |
 *   |              i64 tmin i64 tmax u64 dir_off u64 dir_len        |
 *   +--------------------------------------------------------------+
 *   | column blocks (zstd unless noted)                             |
 *   |   dict fields: dictionary block (sorted values; for up to    |
 *   |                4096 values then rows per code + "KMHIST01")   |
 *   |                + codes block                                  |
 *   |   plain fields: varint tag (0 absent, 1 UUID+16 B, len+2)+bytes|
 *   |   time: varint deltas (rows are time-sorted)                  |
 *   |   key: 16 B per row, raw; keyidx: u32 rows sorted by key, raw |
 *   |   bloom: raw bits over keys (k = 7, ~10 bits per row)         |
 *   |   flags/read_only/mfa/severity; raw object/offset/length      |
 *   +--------------------------------------------------------------+
 *   | directory: ncols x struct km_seg_dirent                       |
 *   +--------------------------------------------------------------+
 *   | trailer: SHA-256 of all bytes before it, "KMSEGEND"           |
 *   +--------------------------------------------------------------+
 *
 * Dictionaries are per segment and sorted, so a reader can tell by binary
 * search whether a value occurs in the segment at all (exact pruning) without
 * touching the rows. Code 0 always means "absent".
 */
#ifndef KM_SEGMENT_H
#define KM_SEGMENT_H

#include "core/event.h"

#define KM_SEG_VERSION 1

/* Per (provider, source, account) group counted while writing a segment. */
struct km_seg_group {
    struct km_str provider, source, account;
    uint64_t rows;
    int64_t tmin, tmax;
};

struct km_seg_summary {
    uint64_t rows;
    int64_t tmin, tmax;
    uint64_t bytes;
    char sha256[65];
    struct km_seg_group *groups;   /* owned by the builder; valid until reset */
    size_t ngroups;
};

struct km_segb;
struct km_segb *km_segb_new(uint32_t cap_rows);
void km_segb_free(struct km_segb *b);
void km_segb_reset(struct km_segb *b);
uint32_t km_segb_rows(const struct km_segb *b);
/* Memory held by the builder, for progress and bounds. */
size_t km_segb_bytes(const struct km_segb *b);
/* 1 if an event with this key was added since the last reset. */
int km_segb_has_key(const struct km_segb *b, const uint8_t key[16]);
/* Rows (newest first, at most max) added since the last reset with this
 * key; several rows may share a key (a record reusing an id with other
 * content). Returns how many were written to rows. */
uint32_t km_segb_key_rows(const struct km_segb *b, const uint8_t key[16], uint32_t *rows,
                          uint32_t max);
/* Materialises a builder row as stored (strings point into the builder,
 * valid until the next add or reset; raw-only fields absent). */
void km_segb_event(const struct km_segb *b, uint32_t row, struct km_event *ev);
/* Copies the event in. Returns KM_OK, KM_ELIMIT when the builder is full. */
int km_segb_add(struct km_segb *b, const struct km_event *ev);
/* Sorts rows by time, encodes, writes `path` and fsyncs it. */
int km_segb_write(struct km_segb *b, const char *path, struct km_seg_summary *sum,
                  struct km_err *err);

struct km_seg;
/* Maps a segment file and checks header, directory and trailer magic. */
int km_seg_open(const char *path, struct km_seg **out, struct km_err *err);
void km_seg_close(struct km_seg *s);
/* Frees the decoded columns (they are decoded again on next use) but keeps
 * the mapping: threads close their segments only after they are joined,
 * because unmapping in a multi-threaded process costs a TLB shootdown. */
void km_seg_drop_decoded(struct km_seg *s);
uint64_t km_seg_rows(const struct km_seg *s);
int64_t km_seg_tmin(const struct km_seg *s);
int64_t km_seg_tmax(const struct km_seg *s);
/* Recomputes the trailer hash: KM_OK or KM_ECORRUPT. */
int km_seg_verify(const struct km_seg *s, struct km_err *err);
/* Bloom filter test: 0 = certainly absent. */
int km_seg_may_have_key(const struct km_seg *s, const uint8_t key[16]);
/* Exact key lookup through the sorted key index: 1 and *row when found. */
int km_seg_find_key(const struct km_seg *s, const uint8_t key[16], uint32_t *row);
/* Every row with this key (at most max), through the sorted key index:
 * returns how many were written to rows (0 = none). */
uint32_t km_seg_key_rows(const struct km_seg *s, const uint8_t key[16], uint32_t *rows,
                         uint32_t max);
/* Dictionary lookup for a field: 1 and *code when `value` occurs in the
 * segment, 0 when it does not (the segment can be skipped). For plain
 * fields returns -1 (unknown: rows must be checked). */
int km_seg_dict_find(struct km_seg *s, int field, const char *value, size_t n, uint32_t *code);
/* Code of a dict field at row (0 = absent). Decodes the column on first use. */
int km_seg_code(struct km_seg *s, int field, uint32_t row, uint32_t *code, struct km_err *err);
/* Time of a row (decodes the time column on first use). */
int km_seg_time(struct km_seg *s, uint32_t row, int64_t *t, struct km_err *err);
/* Materialises row into *ev (strings point into the reader's buffers). */
int km_seg_event(struct km_seg *s, uint32_t row, struct km_event *ev, struct km_err *err);

/* Like km_seg_event for only the listed fields (plus time, flags, key and
 * the event id the key carries): the segment's other columns stay
 * undecoded, which is what reading a few events of many segments needs. */
int km_seg_event_fields(struct km_seg *s, uint32_t row, const int *fields, int nfields,
                        struct km_event *ev, struct km_err *err);

/* ---- bulk access (the query engine) ----------------------------------- */
enum { KM_SEG_ABSENT = 0, KM_SEG_DICT = 1, KM_SEG_PLAIN = 2 };
/* How a field is stored in this segment. */
int km_seg_field_kind(const struct km_seg *s, int field);
/* Number of dictionary values (codes 1..n) of a dict field; 0 otherwise. */
uint32_t km_seg_dict_size(const struct km_seg *s, int field);
/* Value of a dictionary code (KM_STR_NONE for code 0 or a non-dict field). */
int km_seg_dict_get(struct km_seg *s, int field, uint32_t code, struct km_str *v,
                    struct km_err *err);
/* The whole code column of a dict field: nrows codes of `width` bytes (1, 2
 * or 4); NULL/0 for a non-dict field. Valid until km_seg_close. */
int km_seg_codes(struct km_seg *s, int field, const void **codes, int *width, struct km_err *err);
/* Rows per dictionary code (counts[0] = rows without a value), stored with
 * the dictionary of fields of up to 4096 values by segments written since the
 * histogram trailer exists: 1 and *counts (dict size + 1 entries), else 0. */
int km_seg_dict_counts(struct km_seg *s, int field, const uint32_t **counts);
/* The time column (nrows values, ascending). */
int km_seg_times(struct km_seg *s, const int64_t **t, struct km_err *err);
/* The raw reference of a row (three integer columns only). */
int km_seg_rawref(struct km_seg *s, uint32_t row, struct km_rawref *r, struct km_err *err);
/* Any string field at row (dict or plain; KM_STR_NONE when absent). */
int km_seg_str(struct km_seg *s, int field, uint32_t row, struct km_str *v, struct km_err *err);

#endif
