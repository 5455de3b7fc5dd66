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
 * there. Plain files and members of an uncompressed tar expand nothing and
 * are not subject to the ceilings. Memory use is bounded by fixed buffers,
 * independent of input size: 256 KiB buffers, plus at most 64 MiB for a
 * gzip decoded whole by libdeflate and 32 MiB for a gzipped archive member
 * read whole before that.
 *
 *   file ──► [container: plain | gzip | zip | tar(.gz|.zst|.bz2|.xz)]
 *              └─► member ──► [gzip? decode] ──► bytes (km_decode_read)
 *
 * Nesting stops there: a member that is itself an archive (zip in zip, or a
 * tar inside a gzipped member) is yielded as one member whose bytes are the
 * raw inner archive. A bare .zst/.bz2/.xz file that holds no tar is one
 * member (name NULL, chain "zstd"/"bzip2"/"xz").
 *
 * Gzip as `gzip -d` does it: concatenated members are one stream, zero
 * padding after the last member is ignored, other trailing bytes are a
 * KM_EGZIP error after all data was returned. A gzip error is reported after
 * the bytes decoded before it: corrupt data names the compressed offset,
 * a cut stream says "truncated".
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
 *     (or first try km_decode_read_all() to get the whole member without a copy)
 *         km_decode_close(d);
 *     }
 */
#ifndef KM_DECODE_H
#define KM_DECODE_H

#include "core/km.h"

#include <sys/types.h>

struct km_decode_limits {
    uint64_t max_output;   /* decoded bytes per acquired file; default 2 GiB */
    uint32_t max_ratio;    /* decoded/compressed ceiling; default 1000 */
    uint64_t ratio_grace;  /* ratio checked only past this many decoded bytes; default 16 MiB */
};
void km_decode_limits_default(struct km_decode_limits *l);

struct km_member {
    const char *name;      /* archive member path, or NULL for the file itself */
    const char *chain;     /* decoding chain, e.g. "plain", "gzip", "zip", "tar+gzip",
                              "tar.gz+gzip" (archive, then member's own gzip); a
                              static string, valid after km_decode_close (name is
                              not: it lives until the next km_decode_next) */
    uint64_t index;        /* 0-based number among the members yielded */
};

struct km_decode;

/* Opens the file at `path` (or the already-open fd when fd >= 0; the decoder
 * does not close it; path is then used for messages only). Returns KM_OK,
 * KM_EIO, KM_EARCHIVE or KM_ENOMEM. */
int km_decode_open(const char *path, int fd, const struct km_decode_limits *lim,
                   struct km_decode **out, struct km_err *err);
/* Same over bytes already in memory (p[0..n), which must stay valid and
 * unchanged until km_decode_close); label names them in messages. Nothing is
 * copied for plain or gzip content; archives are read through libarchive
 * straight from the buffer. */
int km_decode_open_mem(const char *label, const void *p, size_t n,
                       const struct km_decode_limits *lim, struct km_decode **out,
                       struct km_err *err);
/* Advances to the next member: *m is NULL at the end, and also after a
 * KM_EBOMB (the file yields nothing more). Members that are not regular files
 * (directories, links) are skipped; what the caller left unread of the
 * previous member is skipped too (decompressed through the ceilings when the
 * archive is compressed as a whole). Returns KM_OK, or KM_EARCHIVE when the
 * container itself is broken (then stop iterating). *m and its strings are
 * owned by the decoder, valid until the next call. */
int km_decode_next(struct km_decode *d, const struct km_member **m, struct km_err *err);
/* Reads up to n decoded bytes of the current member: returns the count, 0 at
 * the member's end, or -1 with err set (KM_EBOMB, KM_EGZIP, KM_EARCHIVE, KM_EIO).
 * After -1 the member is finished; km_decode_next may still proceed unless the
 * error was KM_EBOMB on the file-wide ceiling. */
ssize_t km_decode_read(struct km_decode *d, char *buf, size_t n, struct km_err *err);
/* Zero-copy alternative to km_decode_read for the current member: when its
 * whole decoded content is in memory (a plain regular file, mmap'd; a gzip
 * file or gzipped archive member decoded at once by libdeflate because its
 * ISIZE trailer said <= 64 MiB and the limits allowed it), sets *p and *n to what
 * is left of it, marks it read and returns KM_OK. The bytes belong to the
 * decoder, stay valid until km_decode_next/close, and may be modified in
 * place (a private copy-on-write mapping or the decoder's own buffer; the
 * file is never changed). Returns KM_ENOTFOUND (nothing consumed: use
 * km_decode_read) or KM_EBOMB. */
int km_decode_read_all(struct km_decode *d, const char **p, size_t *n, struct km_err *err);
/* Zero-copy access to the whole decoded current member when it is already in
 * memory (plain files are mapped; small gzip members are decoded at once);
 * KM_OK with p and n valid until km_decode_next/close, or KM_ENOTFOUND when the
 * caller must stream with km_decode_read. */
int km_decode_read_all(struct km_decode *d, const char **p, size_t *n, struct km_err *err);
/* Decoded bytes produced so far across the whole file (including bytes of
 * members skipped unread in a compressed archive). */
uint64_t km_decode_total(const struct km_decode *d);
/* Frees everything (NULL is fine); closes the fd only if the decoder opened it. */
void km_decode_close(struct km_decode *d);

/*
 * Walks PATHs in order: a regular file is yielded as is; a directory is walked
 * recursively in sorted name order (symlinks are not followed; hidden entries
 * are included); "-" is yielded as "-" (the caller spools stdin). Calls
 * cb(ctx, path) for each file; a non-zero return stops the walk and is
 * returned. Unreadable entries are reported through on_error(ctx, path, errno
 * text) and skipped. Names are sorted bytewise (strcmp). Symbolic links —
 * inside directories and among PATHs alike — are reported as "symlink not
 * followed"; sockets, fifos and devices as "not a regular file". Returns 0
 * when the walk went through (whatever was reported).
 */
int km_walk(char *const *paths, int npaths,
            int (*cb)(void *ctx, const char *path),
            void (*on_error)(void *ctx, const char *path, const char *why), void *ctx);

#endif
