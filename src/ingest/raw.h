/*
 * raw.h — the exact raw bytes of stored events, read back from the vault
 * through the decoder (raw.c). Used by `kumo show`, queries that read raw
 * paths, and detections that need a record's original text.
 */
#ifndef KM_RAW_H
#define KM_RAW_H

#include "core/km.h"
#include "store/store.h"

/* Reads the exact raw bytes of an event: object id, offset and length from
 * its raw reference. *out is malloc'd (caller frees), NUL-terminated. Fills
 * where (if non-NULL) with "vault path[!member]". */
int km_raw_read(struct km_store *s, uint64_t object, uint64_t offset, uint32_t length,
                char **out, char *where, size_t wn, struct km_err *err);

/* Reading many raw records: a cache that keeps the last object's decoded
 * member whole (up to max_bytes, default 64 MiB), so records of the same
 * file cost one decode; a plain (undecoded) file kept in a pack is not
 * decoded at all: each record is read in place (one pread). *p points at
 * r->length bytes (not NUL-terminated), valid until the next call. */
struct km_rawref;
struct km_raw_cache;
struct km_raw_cache *km_raw_cache_new(struct km_store *s, size_t max_bytes);
int km_raw_cache_get(struct km_raw_cache *c, const struct km_rawref *r, const char **p,
                     struct km_err *err);
void km_raw_cache_free(struct km_raw_cache *c);
/* Objects decoded so far (cache misses). */
uint64_t km_raw_cache_misses(const struct km_raw_cache *c);

#endif
