/*
 * vault.h — the content-addressed evidence vault: every acquired file is kept
 * byte for byte at STORE/vault/<first two hex>/<sha256>. A file is written to
 * tmp/ while it is hashed, then renamed into place; an object that is already
 * present is not written again. Durability is batched: one syncfs() before the
 * catalog transaction that first references new objects (km_writer_flush).
 */
#ifndef KM_VAULT_H
#define KM_VAULT_H

#include "core/km.h"
#include "store/store.h"

/* Copies everything readable from fd into the vault. Fills sha256 (hex),
 * size, and rel (path relative to the store, e.g. "vault/ab/ab12..."). *fresh
 * is 1 when the object was not in the vault before. */
int km_vault_put_fd(struct km_store *s, int fd, const char *label, char sha256[65],
                    uint64_t *size, char rel[160], int *fresh, struct km_err *err);
/*
 * Packs: small objects (the usual CloudTrail file is a few KB) are appended
 * byte for byte to pack files, vault/packs/<name>.pack, instead of one file
 * each: creating a file costs far more than appending to one. Each worker has
 * its own pack writer; a pack is append-only, and bytes that no catalog row
 * references (a crash, a duplicate raced in by another worker) are never
 * read. The catalog row (pack, pack_off, size, sha256) is the object's
 * identity. Packs are written with O_DIRECT through a staging buffer (see
 * vault.c): the store calls km_vault_packs_flush() and then syncfs before
 * every commit, so what the catalog references is on disk.
 */
struct km_vault_pack;
/* Creates a new pack named "<tag>.pack" under vault/packs. */
int km_vault_pack_open(struct km_store *s, const char *tag, struct km_vault_pack **out,
                       struct km_err *err);
/* Appends p[0..n); fills the pack name and the object's offset. */
int km_vault_pack_put(struct km_vault_pack *vp, const void *p, size_t n, char name[64],
                      uint64_t *off, struct km_err *err);
/* Writes every open pack's buffered bytes of store s to its file (thread-safe;
 * called by the writer before publishing). */
int km_vault_packs_flush(const struct km_store *s, struct km_err *err);
/* Flushes and closes (NULL is fine). */
int km_vault_pack_close(struct km_vault_pack *vp, struct km_err *err);

/* Reads a whole evidence object (packed or loose) into a new memfd (an
 * in-memory regular file, rewound to 0); caller closes it. Bounded by the
 * object's size, so only for objects that fit in memory. */
struct km_evidence;
int km_vault_object_fd(struct km_store *s, const struct km_evidence *ev, int *fd,
                       struct km_err *err);

/* Absolute path of a vault object given its relative path. */
void km_vault_abs(struct km_store *s, const char *rel, char *out, size_t n);
/* Re-hashes an evidence object (packed or loose): KM_OK when it matches its
 * sha256 and size, KM_ECORRUPT or KM_EIO otherwise. */
int km_vault_check(struct km_store *s, const struct km_evidence *ev, struct km_err *err);

/* Opens an evidence object's bytes (packed or loose): *fd positioned at its
 * start; path (n bytes) gets the file's path, for messages. */
int km_vault_open_object(struct km_store *s, const struct km_evidence *ev, int *fd, char *path,
                         size_t pn, struct km_err *err);

#endif
