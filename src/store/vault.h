/*
 * vault.h — the content-addressed evidence vault: every acquired file is kept
 * byte for byte at STORE/vault/<first two hex>/<sha256>. A file is written to
 * tmp/ while it is hashed, fsynced, then renamed into place; an object that is
 * already present is not written again.
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
/* Absolute path of a vault object given its relative path. */
void km_vault_abs(struct km_store *s, const char *rel, char *out, size_t n);
/* Re-hashes a vault object: KM_OK when it matches sha256, KM_ECORRUPT or
 * KM_EIO otherwise. */
int km_vault_check(struct km_store *s, const char *rel, const char *sha256, uint64_t size,
                   struct km_err *err);

/* Reads the exact raw bytes of an event: object id, offset and length from
 * its raw reference. *out is malloc'd (caller frees), NUL-terminated. Fills
 * where (if non-NULL) with "vault path[!member]". */
int km_raw_read(struct km_store *s, uint64_t object, uint64_t offset, uint32_t length,
                char **out, char *where, size_t wn, struct km_err *err);

#endif
