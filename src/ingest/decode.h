/*
 * decode.h — turns one acquired file into a sequence of decoded byte streams
 * ("members"), whatever the container: plain file, gzip (single or
 * multi-member), zip, tar, tar.gz/tgz/tar.zst (libarchive), and gzip-compressed
 * members inside archives (a tar of .json.gz files is common). The container
 * is recognised by magic bytes, never by the file name.
 *
 * Decompression is bounded: a ceiling on decoded bytes per acquired file
 * (max_output) and on the expansion ratio decoded/compressed (max_ratio,
 * checked once more than ratio_grace bytes were produced). Exceeding either is
 * KM_EBOMB with a message naming the file, member and ceiling; reading stops
 * there. Memory use is bounded by fixed buffers, independent of input size.
 *
 *   file ──► [container: plain | gzip | zip | tar(.gz|.zst|.bz2|.xz)]
 *              └─► member ──► [gzip? decode] ──► bytes (km_decode_read)
 *
 * Usage:
 *     struct km_decode *d;
 *     if (km_decode_open(path, fd, &lim, &d, &err) == KM_OK) {
 *         const struct km_member *m;
 *         while (km_decode_next(d, &m, &err) == KM_OK && m) {
 *             ssize_t n;
 *             while ((n = km_decode_read(d, buf, sizeof buf, &err)) > 0) ...;
 *             if (n < 0) ... err says why (bomb, corrupt gzip); go to next member
 *         }
 *         km_decode_close(d);
 *     }
 */
#ifndef KM_DECODE_H
#define KM_DECODE_H

#include "core/km.h"

#include <sys/types.h>

struct km_decode_limits {
    uint64_t max_output;   /* decoded bytes per acquired file; default 8 GiB */
    uint32_t max_ratio;    /* decoded/compressed ceiling; default 1000 */
    uint64_t ratio_grace;  /* ratio checked only past this many decoded bytes; default 16 MiB */
};
void km_decode_limits_default(struct km_decode_limits *l);

struct km_member {
    const char *name;      /* archive member path, or NULL for the file itself */
    const char *chain;     /* decoding chain, e.g. "plain", "gzip", "zip", "tar+gzip",
                              "tar.gz+gzip" (archive, then member's own gzip) */
    uint64_t index;        /* 0-based member number within the file */
};

struct km_decode;

/* Opens the file at `path` (or the already-open fd when fd >= 0; the decoder
 * does not close it; path is then used for messages only). Returns KM_OK,
 * KM_EIO, KM_EARCHIVE or KM_ENOMEM. */
int km_decode_open(const char *path, int fd, const struct km_decode_limits *lim,
                   struct km_decode **out, struct km_err *err);
/* Advances to the next member: *m is NULL at the end. Members that are not
 * regular files (directories, links) are skipped. Returns KM_OK, or an error
 * when the container itself is broken (then stop iterating). */
int km_decode_next(struct km_decode *d, const struct km_member **m, struct km_err *err);
/* Reads up to n decoded bytes of the current member: returns the count, 0 at
 * the member's end, or -1 with err set (KM_EBOMB, KM_EGZIP, KM_EARCHIVE, KM_EIO).
 * After -1 the member is finished; km_decode_next may still proceed unless the
 * error was KM_EBOMB on the file-wide ceiling. */
ssize_t km_decode_read(struct km_decode *d, char *buf, size_t n, struct km_err *err);
/* Zero-copy access to the whole decoded current member when it is already in
 * memory (plain files are mapped; small gzip members are decoded at once);
 * KM_OK with p and n valid until km_decode_next/close, or KM_ENOTFOUND when the
 * caller must stream with km_decode_read. */
int km_decode_read_all(struct km_decode *d, const char **p, size_t *n, struct km_err *err);
/* Decoded bytes produced so far across the whole file. */
uint64_t km_decode_total(const struct km_decode *d);
void km_decode_close(struct km_decode *d);

/*
 * Walks PATHs in order: a regular file is yielded as is; a directory is walked
 * recursively in sorted name order (symlinks are not followed; hidden entries
 * are included); "-" is yielded as "-" (the caller spools stdin). Calls
 * cb(ctx, path) for each file; a non-zero return stops the walk and is
 * returned. Unreadable entries are reported through on_error(ctx, path, errno
 * text) and skipped.
 */
int km_walk(char *const *paths, int npaths,
            int (*cb)(void *ctx, const char *path),
            void (*on_error)(void *ctx, const char *path, const char *why), void *ctx);

#endif
