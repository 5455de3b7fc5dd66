/*
 * decode.c — opens one acquired file and yields its decoded members
 * (see decode.h).
 *
 * The container is chosen from the first bytes:
 *   1f 8b            gzip; if the first 512 decoded bytes are a tar header it
 *                    is a tar.gz and goes to libarchive, else our own gzip
 *                    layer (multi-member, like `gzip -d`)
 *   PK 03 04 / 05 06 zip (libarchive; 05 06 is an empty zip)
 *   28 b5 2f fd, BZh, fd 37 7a 58 5a 00
 *                    zstd / bzip2 / xz: libarchive (tar inside, or the raw
 *                    decompressed stream as one member)
 *   tar header       ustar magic at 257, or an old/GNU header whose checksum
 *                    is right: libarchive
 *   anything else    plain: mmap'd when the file is regular, else read()
 *
 * A member of an archive that starts with 1f 8b is gunzipped on the fly and
 * its chain gets "+gzip" ("zip+gzip", "tar.gz+gzip"). Nesting deeper than
 * that is not unpacked: a zip inside a zip (or the tar inside a gzipped
 * member) is yielded as one member holding the inner archive's bytes.
 * km_member.chain is always one of the static strings in dec_chains[], so it
 * stays valid after km_decode_close (the member name does not).
 *
 * Reading modes of a member:
 *   MAP    plain regular file: served from a private writable mapping
 *   FD     plain pipe / special file: read()
 *   FAST   gzip whose whole output fits (ISIZE trailer <= 64 MiB, within the
 *          limits): decoded at once by libdeflate into one buffer
 *   GZ     gzip streamed through zlib (256 KiB input buffer); input comes
 *          from memory (the mapping or a slurped member), the fd, or
 *          libarchive
 *   ARCH   archive member passed through from libarchive
 *
 * Limits: every byte handed out counts toward km_decode_total(); past
 * max_output, or past max_ratio times the compressed bytes consumed (once
 * ratio_grace bytes were produced), reading stops with KM_EBOMB and the
 * file yields no further member. Bytes of a member that the caller left
 * unread are drained through the same checks before the next member. The
 * compressed bytes consumed are exact for our gzip layer (zlib's input
 * position) and libarchive's own count of raw bytes consumed (read-ahead
 * excluded) for archives. Plain files and members of an uncompressed tar are
 * not subject to the ceilings (nothing is expanded).
 */
#include "ingest/decode.h"

#include <archive.h>
#include <archive_entry.h>
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <stdarg.h>
#include <libdeflate.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

/* libarchive is loaded on first use (zip and tar only): linking it pulls in
 * libxml2, ICU and a dozen more libraries whose loading costs every kumo
 * command ~4 ms at start, for the few that open an archive. */
static __typeof__(archive_entry_filetype) *p_archive_entry_filetype;
static __typeof__(archive_entry_hardlink) *p_archive_entry_hardlink;
static __typeof__(archive_entry_pathname) *p_archive_entry_pathname;
static __typeof__(archive_entry_pathname_utf8) *p_archive_entry_pathname_utf8;
static __typeof__(archive_entry_size) *p_archive_entry_size;
static __typeof__(archive_entry_size_is_set) *p_archive_entry_size_is_set;
static __typeof__(archive_error_string) *p_archive_error_string;
static __typeof__(archive_filter_bytes) *p_archive_filter_bytes;
static __typeof__(archive_filter_code) *p_archive_filter_code;
static __typeof__(archive_filter_count) *p_archive_filter_count;
static __typeof__(archive_format) *p_archive_format;
static __typeof__(archive_read_data) *p_archive_read_data;
static __typeof__(archive_read_data_skip) *p_archive_read_data_skip;
static __typeof__(archive_read_free) *p_archive_read_free;
static __typeof__(archive_read_new) *p_archive_read_new;
static __typeof__(archive_read_next_header) *p_archive_read_next_header;
static __typeof__(archive_read_open1) *p_archive_read_open1;
static __typeof__(archive_read_set_callback_data) *p_archive_read_set_callback_data;
static __typeof__(archive_read_set_read_callback) *p_archive_read_set_read_callback;
static __typeof__(archive_read_set_seek_callback) *p_archive_read_set_seek_callback;
static __typeof__(archive_read_set_skip_callback) *p_archive_read_set_skip_callback;
static __typeof__(archive_read_support_filter_all) *p_archive_read_support_filter_all;
static __typeof__(archive_read_support_format_gnutar) *p_archive_read_support_format_gnutar;
static __typeof__(archive_read_support_format_raw) *p_archive_read_support_format_raw;
static __typeof__(archive_read_support_format_tar) *p_archive_read_support_format_tar;
static __typeof__(archive_read_support_format_zip) *p_archive_read_support_format_zip;
static __typeof__(archive_set_error) *p_archive_set_error;

static pthread_once_t ar_once = PTHREAD_ONCE_INIT;
static int ar_ok;

static void ar_load_once(void)
{
    void *h = dlopen("libarchive.so.13", RTLD_NOW | RTLD_LOCAL);
    if (!h)
        h = dlopen("libarchive.so", RTLD_NOW | RTLD_LOCAL);
    if (!h)
        return;
#define LOAD(f) if (!(p_##f = (__typeof__(p_##f))dlsym(h, #f))) return
    LOAD(archive_entry_filetype);
    LOAD(archive_entry_hardlink);
    LOAD(archive_entry_pathname);
    LOAD(archive_entry_pathname_utf8);
    LOAD(archive_entry_size);
    LOAD(archive_entry_size_is_set);
    LOAD(archive_error_string);
    LOAD(archive_filter_bytes);
    LOAD(archive_filter_code);
    LOAD(archive_filter_count);
    LOAD(archive_format);
    LOAD(archive_read_data);
    LOAD(archive_read_data_skip);
    LOAD(archive_read_free);
    LOAD(archive_read_new);
    LOAD(archive_read_next_header);
    LOAD(archive_read_open1);
    LOAD(archive_read_set_callback_data);
    LOAD(archive_read_set_read_callback);
    LOAD(archive_read_set_seek_callback);
    LOAD(archive_read_set_skip_callback);
    LOAD(archive_read_support_filter_all);
    LOAD(archive_read_support_format_gnutar);
    LOAD(archive_read_support_format_raw);
    LOAD(archive_read_support_format_tar);
    LOAD(archive_read_support_format_zip);
    LOAD(archive_set_error);
#undef LOAD
    ar_ok = 1;
}

static int ar_load(const char *label, struct km_err *err)
{
    pthread_once(&ar_once, ar_load_once);
    if (ar_ok)
        return KM_OK;
    return km_err_set(err, KM_EFORMAT, label, 0,
                      "cannot read archives: libarchive (libarchive13) is not installed");
}

#define archive_entry_filetype (*p_archive_entry_filetype)
#define archive_entry_hardlink (*p_archive_entry_hardlink)
#define archive_entry_pathname (*p_archive_entry_pathname)
#define archive_entry_pathname_utf8 (*p_archive_entry_pathname_utf8)
#define archive_entry_size (*p_archive_entry_size)
#define archive_entry_size_is_set (*p_archive_entry_size_is_set)
#define archive_error_string (*p_archive_error_string)
#define archive_filter_bytes (*p_archive_filter_bytes)
#define archive_filter_code (*p_archive_filter_code)
#define archive_filter_count (*p_archive_filter_count)
#define archive_format (*p_archive_format)
#define archive_read_data (*p_archive_read_data)
#define archive_read_data_skip (*p_archive_read_data_skip)
#define archive_read_free (*p_archive_read_free)
#define archive_read_new (*p_archive_read_new)
#define archive_read_next_header (*p_archive_read_next_header)
#define archive_read_open1 (*p_archive_read_open1)
#define archive_read_set_callback_data (*p_archive_read_set_callback_data)
#define archive_read_set_read_callback (*p_archive_read_set_read_callback)
#define archive_read_set_seek_callback (*p_archive_read_set_seek_callback)
#define archive_read_set_skip_callback (*p_archive_read_set_skip_callback)
#define archive_read_support_filter_all (*p_archive_read_support_filter_all)
#define archive_read_support_format_gnutar (*p_archive_read_support_format_gnutar)
#define archive_read_support_format_raw (*p_archive_read_support_format_raw)
#define archive_read_support_format_tar (*p_archive_read_support_format_tar)
#define archive_read_support_format_zip (*p_archive_read_support_format_zip)
#define archive_set_error (*p_archive_set_error)

#define KM_DEC_DEF_MAX_OUTPUT ((uint64_t)2 << 30)
#define KM_DEC_DEF_RATIO 1000u
#define KM_DEC_DEF_GRACE ((uint64_t)16 << 20)
#define KM_DEC_BUF ((size_t)256 << 10)      /* gzip input / member peek buffer */
#define KM_DEC_ARCH_BLOCK ((size_t)64 << 10) /* bytes per libarchive read callback */
#define KM_DEC_FAST_MAX ((size_t)64 << 20)  /* largest libdeflate output buffer */
#define KM_DEC_SLURP_MAX ((size_t)32 << 20) /* largest gzip member read whole */
#define KM_DEC_PEEK 512                     /* header bytes looked at */
#define KM_DEC_GZPEEK_IN ((size_t)64 << 10) /* compressed bytes tried for the tar check */

enum dec_kind { DK_PLAIN, DK_GZIP, DK_ARCHIVE };
enum dec_mode { RM_DONE, RM_ERR, RM_MAP, RM_FD, RM_FAST, RM_GZ, RM_ARCH };
enum gz_src { GS_NONE, GS_FD, GS_ARCHIVE };
enum gz_state { GZ_INFLATE, GZ_AFTER, GZ_DONE };

struct km_decode {
    char *path;
    int fd, own_fd, regular;
    const unsigned char *mem;  /* memory source (km_decode_open_mem), else NULL */
    uint64_t fsize;
    struct km_decode_limits lim;
    int kind;
    uint64_t total;         /* decoded bytes handed out (plus drained) */
    int stopped;            /* bomb: no more members */
    int yielded;            /* plain / gzip: the one member was returned */
    struct km_member m;
    char chain[48];
    char *name;
    const char *bomb_word;  /* "gzip", "zip", ... for bomb messages */
    /* raw input: peeked bytes not yet consumed (non-seekable fds) */
    unsigned char *pre;
    size_t pre_n, pre_pos;
    /* plain */
    char *map;              /* whole-file mapping (plain or gzip), or NULL */
    char *mp;               /* MAP: bytes read (the mapping, or "" for an empty file) */
    size_t map_n;
    int map_writable;
    /* current member */
    int mode;
    int member_err;         /* pending error code for RM_ERR */
    char member_msg[400];
    uint64_t member_off;
    uint64_t mpos;          /* MAP: read position */
    /* FAST */
    struct libdeflate_decompressor *ld;
    char *fbuf;
    size_t fcap, fn, fpos;
    /* GZ */
    z_stream z;
    int z_init, gz_state, gz_src;
    unsigned char *inbuf;
    const unsigned char *gz_pre;  /* memory served before gz_src */
    size_t gz_pre_n, gz_pre_off;
    int gz_eof;
    uint64_t gz_base;       /* compressed offset of the current input block */
    size_t gz_blk;          /* size of the current input block */
    const unsigned char *gz_blk_p;
    /* ARCH */
    struct archive *a;
    int a_compressed;       /* an outer filter (tar.gz, ...): drain, do not skip */
    int a_raw;              /* raw format: one unnamed member */
    uint64_t raw_in;        /* bytes handed to libarchive */
    uint64_t a_pos;         /* regular file: read position */
    unsigned char *ablk;
    unsigned char *mpeek;   /* first bytes of an archive member */
    size_t mpeek_n, mpeek_pos;
    unsigned char *slurp;
    size_t slurp_cap;
    int a_member_open;      /* member data may remain unread */
    int no_ceiling;         /* current member involves no decompression */
};

void km_decode_limits_default(struct km_decode_limits *l)
{
    l->max_output = KM_DEC_DEF_MAX_OUTPUT;
    l->max_ratio = KM_DEC_DEF_RATIO;
    l->ratio_grace = KM_DEC_DEF_GRACE;
}

uint64_t km_decode_total(const struct km_decode *d)
{
    return d ? d->total : 0;
}

/* ---- messages -------------------------------------------------------------- */

/* "member 'x' of 'a.zip'" or "'a.gz'" */
static const char *dec_what(const struct km_decode *d, char *buf, size_t n)
{
    if (d->name)
        snprintf(buf, n, "member '%s' of '%s'", d->name, d->path);
    else
        snprintf(buf, n, "'%s'", d->path);
    return buf;
}

static uint64_t dec_consumed(const struct km_decode *d);

/* Counts `got` more decoded bytes and applies the ceilings. Returns 0, or -1
 * with err set (KM_EBOMB) and the file stopped. */
static int dec_account(struct km_decode *d, size_t got, struct km_err *err)
{
    char w[1200];
    uint64_t in;
    d->total += got;
    if (d->kind == DK_PLAIN || d->no_ceiling)
        return 0;
    if (d->total > d->lim.max_output) {
        km_err_set(err, KM_EBOMB, d->path, UINT64_MAX,
                   "%s bomb refused: %s expanded past %llu bytes (ceiling --max-output; "
                   "for a real export this large, raise it, e.g. --max-output 16G, and run "
                   "`kumo reprocess`)",
                   d->bomb_word, dec_what(d, w, sizeof w),
                   (unsigned long long)d->lim.max_output);
        d->stopped = 1;
        d->mode = RM_DONE;
        return -1;
    }
    if (d->lim.max_ratio && d->total > d->lim.ratio_grace) {
        in = dec_consumed(d);
        if (in == 0 || d->total / in >= d->lim.max_ratio) {
            km_err_set(err, KM_EBOMB, d->path, UINT64_MAX,
                       "%s bomb refused: %s expanded past ratio %u:1 (ceiling --max-ratio; for "
                       "real data this repetitive, raise it and run `kumo reprocess`)",
                       d->bomb_word, dec_what(d, w, sizeof w), d->lim.max_ratio);
            d->stopped = 1;
            d->mode = RM_DONE;
            return -1;
        }
    }
    return 0;
}

/* ---- raw input ------------------------------------------------------------- */

static ssize_t dec_read_fd(int fd, void *buf, size_t n)
{
    for (;;) {
        ssize_t k = read(fd, buf, n);
        if (k >= 0 || errno != EINTR)
            return k;
    }
}

/* Reads from the peeked bytes first, then the fd (non-seekable input). */
static ssize_t dec_raw_read(struct km_decode *d, void *buf, size_t n)
{
    if (d->pre_pos < d->pre_n) {
        size_t k = d->pre_n - d->pre_pos;
        if (k > n)
            k = n;
        memcpy(buf, d->pre + d->pre_pos, k);
        d->pre_pos += k;
        return (ssize_t)k;
    }
    return dec_read_fd(d->fd, buf, n);
}

/* ---- gzip layer ------------------------------------------------------------ */

static uint64_t dec_gz_offset(const struct km_decode *d)
{
    return d->gz_base + (uint64_t)((const unsigned char *)d->z.next_in - d->gz_blk_p);
}

static uint64_t dec_consumed(const struct km_decode *d)
{
    if (d->kind == DK_ARCHIVE) {
        /* raw bytes the readers consumed (read-ahead not counted) */
        int64_t c = archive_filter_bytes(d->a, -1);
        return c > 0 ? (uint64_t)c : 0;
    }
    if (d->mode == RM_GZ)
        return dec_gz_offset(d);
    return d->map_n ? d->map_n : d->fsize;
}

/* Starts streaming gzip decoding: input is pre[0..pre_n) then `src`. */
static int dec_gz_begin(struct km_decode *d, const unsigned char *pre, size_t pre_n, int src,
                        struct km_err *err)
{
    if (!d->z_init) {
        memset(&d->z, 0, sizeof d->z);
        if (inflateInit2(&d->z, 15 + 16) != Z_OK)
            return km_err_set(err, KM_ENOMEM, d->path, UINT64_MAX, "cannot start zlib");
        d->z_init = 1;
    } else {
        inflateReset(&d->z);
    }
    if (!d->inbuf && src != GS_NONE) {
        d->inbuf = malloc(KM_DEC_BUF);
        if (!d->inbuf)
            return km_err_set(err, KM_ENOMEM, d->path, UINT64_MAX, "out of memory");
    }
    d->gz_pre = pre;
    d->gz_pre_n = pre_n;
    d->gz_pre_off = 0;
    d->gz_src = src;
    d->gz_eof = 0;
    d->gz_base = 0;
    d->gz_blk = 0;
    d->gz_blk_p = pre;
    d->z.next_in = (Bytef *)(uintptr_t)pre;
    d->z.avail_in = 0;
    d->gz_state = GZ_INFLATE;
    d->mode = RM_GZ;
    return KM_OK;
}

/* Loads the next block of compressed input. Returns 1 with data, 0 at the
 * end, -1 on a read error (err set). */
static int dec_gz_fill(struct km_decode *d, struct km_err *err)
{
    ssize_t k = 0;
    d->gz_base += (uint64_t)((const unsigned char *)d->z.next_in - d->gz_blk_p);
    d->gz_blk_p = (const unsigned char *)d->z.next_in;
    d->gz_blk = 0;
    if (d->gz_pre_off < d->gz_pre_n) {
        size_t k2 = d->gz_pre_n - d->gz_pre_off;
        if (k2 > ((size_t)1 << 30))
            k2 = (size_t)1 << 30;
        d->gz_blk_p = d->gz_pre + d->gz_pre_off;
        d->gz_blk = k2;
        d->gz_pre_off += k2;
        d->z.next_in = (Bytef *)(uintptr_t)d->gz_blk_p;
        d->z.avail_in = (uInt)k2;
        return 1;
    }
    if (d->gz_eof)
        return 0;
    if (d->gz_src == GS_FD) {
        k = dec_raw_read(d, d->inbuf, KM_DEC_BUF);
        if (k < 0) {
            km_err_set(err, KM_EIO, d->path, d->gz_base, "read error: %s", strerror(errno));
            return -1;
        }
    } else if (d->gz_src == GS_ARCHIVE) {
        k = archive_read_data(d->a, d->inbuf, KM_DEC_BUF);
        if (k < 0) {
            char w[1200];
            km_err_set(err, KM_EARCHIVE, d->path, UINT64_MAX, "%s: %s", dec_what(d, w, sizeof w),
                       archive_error_string(d->a) ? archive_error_string(d->a) : "read error");
            return -1;
        }
    }
    if (k == 0) {
        d->gz_eof = 1;
        return 0;
    }
    d->gz_blk_p = d->inbuf;
    d->gz_blk = (size_t)k;
    d->z.next_in = d->inbuf;
    d->z.avail_in = (uInt)k;
    return 1;
}

static void dec_member_fail(struct km_decode *d)
{
    d->mode = RM_DONE;
}

/* Keeps an error for the next km_decode_read (data before it goes out first). */
static void dec_pending(struct km_decode *d, int code, uint64_t off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void dec_pending(struct km_decode *d, int code, uint64_t off, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->member_msg, sizeof d->member_msg, fmt, ap);
    va_end(ap);
    d->member_err = code;
    d->member_off = off;
    d->mode = RM_ERR;
}

static ssize_t dec_gz_read(struct km_decode *d, char *buf, size_t n, struct km_err *err)
{
    size_t produced = 0;
    char w[1200];
    if (n > ((size_t)1 << 30))
        n = (size_t)1 << 30;
    while (produced < n) {
        if (d->gz_state == GZ_DONE)
            break;
        if (d->z.avail_in == 0) {
            int f = dec_gz_fill(d, err);
            if (f < 0) {
                dec_member_fail(d);
                return -1;
            }
            if (f == 0) {
                if (d->gz_state == GZ_AFTER) {
                    d->gz_state = GZ_DONE;
                    break;
                }
                if (produced)
                    break; /* report the truncation on the next call */
                km_err_set(err, KM_EGZIP, d->path, dec_gz_offset(d),
                           "truncated gzip data in %s: input ends at compressed offset %llu",
                           dec_what(d, w, sizeof w), (unsigned long long)dec_gz_offset(d));
                dec_member_fail(d);
                return -1;
            }
        }
        if (d->gz_state == GZ_AFTER) {
            unsigned char c = *d->z.next_in;
            if (c == 0x1f) {
                inflateReset(&d->z);
                d->gz_state = GZ_INFLATE;
                continue;
            }
            if (c == 0) { /* zero padding after the last member is ignored */
                while (d->z.avail_in && *d->z.next_in == 0) {
                    d->z.next_in++;
                    d->z.avail_in--;
                }
                continue;
            }
            if (produced)
                break;
            km_err_set(err, KM_EGZIP, d->path, dec_gz_offset(d),
                       "trailing garbage after gzip data in %s at compressed offset %llu",
                       dec_what(d, w, sizeof w), (unsigned long long)dec_gz_offset(d));
            dec_member_fail(d);
            return -1;
        }
        d->z.next_out = (Bytef *)buf + produced;
        d->z.avail_out = (uInt)(n - produced);
        int zr = inflate(&d->z, Z_NO_FLUSH);
        size_t got = (size_t)((char *)d->z.next_out - (buf + produced));
        if (got) {
            produced += got;
            if (dec_account(d, got, err))
                return -1;
        }
        if (zr == Z_STREAM_END) {
            d->gz_state = GZ_AFTER;
        } else if (zr == Z_OK || zr == Z_BUF_ERROR) {
            /* more input or more output space needed */
        } else if (zr == Z_MEM_ERROR) {
            km_err_set(err, KM_ENOMEM, d->path, UINT64_MAX, "zlib: out of memory");
            dec_member_fail(d);
            return -1;
        } else {
            /* the data decoded before the damage goes out first */
            dec_pending(d, KM_EGZIP, dec_gz_offset(d),
                        "corrupt gzip data in %s at compressed offset %llu: %s",
                        dec_what(d, w, sizeof w), (unsigned long long)dec_gz_offset(d),
                        d->z.msg ? d->z.msg : "invalid data");
            if (produced)
                return (ssize_t)produced;
            return km_decode_read(d, buf, n, err);
        }
    }
    if (produced == 0 && d->gz_state == GZ_DONE)
        d->mode = RM_DONE;
    return (ssize_t)produced;
}

/* ---- libdeflate fast path -------------------------------------------------- */

/* Tries to decode the whole gzip stream in[0..n) into d->fbuf. Returns 1 on
 * success (mode FAST), 0 when the caller must stream instead (too large,
 * damaged, over a limit: the streaming path reports the details). */
static int dec_fast(struct km_decode *d, const unsigned char *in, size_t n)
{
    uint32_t isize;
    size_t cap, out = 0, pos = 0;
    uint64_t ceiling = d->lim.max_output - d->total;
    if (n < 18 || d->lim.max_output < d->total)
        return 0;
    isize = (uint32_t)in[n - 4] | (uint32_t)in[n - 3] << 8 | (uint32_t)in[n - 2] << 16 |
            (uint32_t)in[n - 1] << 24;
    if (isize > KM_DEC_FAST_MAX || isize > ceiling)
        return 0;
    if (!d->ld) {
        d->ld = libdeflate_alloc_decompressor();
        if (!d->ld)
            return 0;
    }
    cap = isize ? isize : 1;
    while (pos < n) {
        size_t ain = 0, aout = 0;
        enum libdeflate_result lr;
        if (in[pos] != 0x1f) {
            /* zero padding ends the stream; anything else: let zlib report it */
            while (pos < n && in[pos] == 0)
                pos++;
            if (pos < n)
                return 0;
            break;
        }
        if (cap > d->fcap) {
            char *nb = realloc(d->fbuf, cap);
            if (!nb)
                return 0;
            d->fbuf = nb;
            d->fcap = cap;
        }
        lr = libdeflate_gzip_decompress_ex(d->ld, in + pos, n - pos, d->fbuf + out, d->fcap - out,
                                           &ain, &aout);
        if (lr == LIBDEFLATE_INSUFFICIENT_SPACE) {
            if (d->fcap >= KM_DEC_FAST_MAX || d->fcap >= ceiling)
                return 0;
            cap = d->fcap * 2;
            if (cap < n * 4)
                cap = n * 4;
            if (cap > KM_DEC_FAST_MAX)
                cap = KM_DEC_FAST_MAX;
            if (cap > ceiling)
                cap = (size_t)ceiling;
            continue;
        }
        if (lr != LIBDEFLATE_SUCCESS)
            return 0;
        if (ain == 0)
            return 0;
        out += aout;
        pos += ain;
        if (d->total + out > d->lim.ratio_grace && d->lim.max_ratio) {
            uint64_t in_used = d->kind == DK_ARCHIVE ? dec_consumed(d) : pos;
            if (in_used == 0 || (d->total + out) / in_used >= d->lim.max_ratio)
                return 0;
        }
        cap = d->fcap;
    }
    d->fn = out;
    d->fpos = 0;
    d->mode = RM_FAST;
    return 1;
}

/* ---- container detection --------------------------------------------------- */

static int dec_is_tar(const unsigned char *h, size_t n)
{
    unsigned sum = 0, want = 0;
    int i, digits = 0;
    if (n < 512)
        return 0;
    if (memcmp(h + 257, "ustar", 5) == 0)
        return 1;
    if (h[0] == 0)
        return 0;
    for (i = 0; i < 512; i++)
        sum += (i >= 148 && i < 156) ? ' ' : h[i];
    for (i = 148; i < 156; i++) {
        if (h[i] == ' ' && !digits)
            continue;
        if (h[i] >= '0' && h[i] <= '7') {
            want = want * 8 + (unsigned)(h[i] - '0');
            digits++;
        } else if (h[i] == 0 || h[i] == ' ') {
            break;
        } else {
            return 0;
        }
    }
    return digits > 0 && sum == want;
}

/* Inflates the first bytes of a gzip stream: is it a tar? */
static int dec_gz_is_tar(const unsigned char *in, size_t n)
{
    z_stream z;
    unsigned char out[KM_DEC_PEEK];
    int r, tar = 0;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, 15 + 16) != Z_OK)
        return 0;
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)(n > KM_DEC_GZPEEK_IN ? KM_DEC_GZPEEK_IN : n);
    z.next_out = out;
    z.avail_out = sizeof out;
    do
        r = inflate(&z, Z_NO_FLUSH);
    while (r == Z_OK && z.avail_out && z.avail_in);
    if (z.avail_out == 0)
        tar = dec_is_tar(out, sizeof out);
    inflateEnd(&z);
    return tar;
}

/* ---- libarchive callbacks -------------------------------------------------- */

static la_ssize_t dec_a_read(struct archive *a, void *cd, const void **buf)
{
    struct km_decode *d = cd;
    ssize_t k;
    (void)a;
    if (d->mem) {
        uint64_t left = d->a_pos < d->fsize ? d->fsize - d->a_pos : 0;
        k = (ssize_t)(left < KM_DEC_ARCH_BLOCK ? left : KM_DEC_ARCH_BLOCK);
        d->raw_in += (uint64_t)k;
        *buf = d->mem + d->a_pos;
        d->a_pos += (uint64_t)k;
        return k;
    }
    if (d->regular) {
        for (;;) {
            k = pread(d->fd, d->ablk, KM_DEC_ARCH_BLOCK, (off_t)d->a_pos);
            if (k >= 0 || errno != EINTR)
                break;
        }
        if (k > 0)
            d->a_pos += (uint64_t)k;
    } else {
        k = dec_raw_read(d, d->ablk, KM_DEC_ARCH_BLOCK);
    }
    if (k < 0) {
        archive_set_error(a, errno, "read error: %s", strerror(errno));
        return -1;
    }
    d->raw_in += (uint64_t)k;
    *buf = d->ablk;
    return k;
}

static la_int64_t dec_a_seek(struct archive *a, void *cd, la_int64_t off, int whence)
{
    struct km_decode *d = cd;
    int64_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? (int64_t)d->a_pos : (int64_t)d->fsize;
    (void)a;
    if (base + off < 0)
        return ARCHIVE_FATAL;
    d->a_pos = (uint64_t)(base + off);
    return (la_int64_t)d->a_pos;
}

static la_int64_t dec_a_skip(struct archive *a, void *cd, la_int64_t req)
{
    struct km_decode *d = cd;
    (void)a;
    if (req <= 0)
        return 0;
    if (d->a_pos + (uint64_t)req > d->fsize)
        req = (la_int64_t)(d->fsize - d->a_pos);
    d->a_pos += (uint64_t)req;
    return req;
}

static int dec_archive_open(struct km_decode *d, int raw, struct km_err *err)
{
    int lrc = ar_load(d->path, err);
    if (lrc)
        return lrc;
    d->ablk = malloc(KM_DEC_ARCH_BLOCK);
    d->a = archive_read_new();
    if (!d->ablk || !d->a)
        return km_err_set(err, KM_ENOMEM, d->path, UINT64_MAX, "out of memory");
    archive_read_support_filter_all(d->a);
    archive_read_support_format_zip(d->a);
    archive_read_support_format_tar(d->a);
    archive_read_support_format_gnutar(d->a);
    if (raw)
        archive_read_support_format_raw(d->a);
    archive_read_set_callback_data(d->a, d);
    archive_read_set_read_callback(d->a, dec_a_read);
    if (d->regular) {
        archive_read_set_seek_callback(d->a, dec_a_seek);
        archive_read_set_skip_callback(d->a, dec_a_skip);
    }
    if (archive_read_open1(d->a) != ARCHIVE_OK)
        return km_err_set(err, KM_EARCHIVE, d->path, UINT64_MAX, "%s",
                          archive_error_string(d->a) ? archive_error_string(d->a)
                                                     : "cannot open archive");
    d->a_raw = raw;
    d->kind = DK_ARCHIVE;
    return KM_OK;
}

/* ---- open / close ---------------------------------------------------------- */

static int dec_open(const char *path, int fd, const unsigned char *mem, size_t mem_n,
                    const struct km_decode_limits *lim, struct km_decode **out,
                    struct km_err *err);

int km_decode_open(const char *path, int fd, const struct km_decode_limits *lim,
                   struct km_decode **out, struct km_err *err)
{
    return dec_open(path, fd, NULL, 0, lim, out, err);
}

int km_decode_open_mem(const char *label, const void *p, size_t n,
                       const struct km_decode_limits *lim, struct km_decode **out,
                       struct km_err *err)
{
    static const unsigned char empty[1];
    return dec_open(label, -1, n ? p : empty, n, lim, out, err);
}

static int dec_open(const char *path, int fd, const unsigned char *mem, size_t mem_n,
                    const struct km_decode_limits *lim, struct km_decode **out,
                    struct km_err *err)
{
    struct km_decode *d;
    struct stat st;
    unsigned char head[KM_DEC_PEEK];
    size_t hn = 0;
    int rc = KM_OK;

    *out = NULL;
    d = calloc(1, sizeof *d);
    if (!d)
        return km_err_set(err, KM_ENOMEM, path, UINT64_MAX, "out of memory");
    d->path = strdup(path ? path : (fd >= 0 ? "(fd)" : "?"));
    d->fd = -1;
    d->mode = RM_DONE;
    if (lim)
        d->lim = *lim;
    else
        km_decode_limits_default(&d->lim);
    if (!d->path) {
        free(d);
        return km_err_set(err, KM_ENOMEM, path, UINT64_MAX, "out of memory");
    }
    if (mem) {
        d->mem = mem;
    } else if (fd >= 0) {
        d->fd = fd;
    } else {
        d->fd = open(path, O_RDONLY | O_CLOEXEC);
        if (d->fd < 0) {
            rc = km_err_set(err, KM_EIO, path, UINT64_MAX, "cannot open: %s", strerror(errno));
            goto fail;
        }
        d->own_fd = 1;
    }
    if (mem) {
        memset(&st, 0, sizeof st);
        st.st_mode = S_IFREG;
        st.st_size = (off_t)mem_n;
    } else if (fstat(d->fd, &st) != 0) {
        rc = km_err_set(err, KM_EIO, d->path, UINT64_MAX, "cannot stat: %s", strerror(errno));
        goto fail;
    }
    if (S_ISDIR(st.st_mode)) {
        rc = km_err_set(err, KM_EIO, d->path, UINT64_MAX, "is a directory");
        goto fail;
    }
    d->regular = S_ISREG(st.st_mode);
    d->fsize = d->regular ? (uint64_t)st.st_size : 0;

    /* the first bytes */
    if (mem) {
        hn = mem_n < sizeof head ? mem_n : sizeof head;
        memcpy(head, mem, hn);
    } else if (d->regular) {
        while (hn < sizeof head) {
            ssize_t k = pread(d->fd, head + hn, sizeof head - hn, (off_t)hn);
            if (k < 0 && errno == EINTR)
                continue;
            if (k < 0) {
                rc = km_err_set(err, KM_EIO, d->path, 0, "read error: %s", strerror(errno));
                goto fail;
            }
            if (k == 0)
                break;
            hn += (size_t)k;
        }
    } else {
        d->pre = malloc(KM_DEC_GZPEEK_IN);
        if (!d->pre) {
            rc = km_err_set(err, KM_ENOMEM, d->path, UINT64_MAX, "out of memory");
            goto fail;
        }
        while (d->pre_n < sizeof head) {
            ssize_t k = dec_read_fd(d->fd, d->pre + d->pre_n, KM_DEC_GZPEEK_IN - d->pre_n);
            if (k < 0) {
                rc = km_err_set(err, KM_EIO, d->path, 0, "read error: %s", strerror(errno));
                goto fail;
            }
            if (k == 0)
                break;
            d->pre_n += (size_t)k;
        }
        hn = d->pre_n < sizeof head ? d->pre_n : sizeof head;
        memcpy(head, d->pre, hn);
    }

    if (hn >= 2 && head[0] == 0x1f && head[1] == 0x8b) {
        int tar;
        if (mem && d->fsize > 0) {
            d->map = (char *)mem; /* never written: gzip input */
            d->map_n = (size_t)d->fsize;
            tar = dec_gz_is_tar((unsigned char *)d->map, d->map_n);
        } else if (d->regular && d->fsize > 0) {
            d->map = mmap(NULL, (size_t)d->fsize, PROT_READ, MAP_PRIVATE, d->fd, 0);
            if (d->map == MAP_FAILED) {
                d->map = NULL;
                rc = km_err_set(err, KM_EIO, d->path, UINT64_MAX, "cannot map: %s",
                                strerror(errno));
                goto fail;
            }
            d->map_n = (size_t)d->fsize;
            tar = dec_gz_is_tar((unsigned char *)d->map, d->map_n);
        } else {
            /* fill the peek buffer further for the tar check */
            while (d->pre_n < KM_DEC_GZPEEK_IN) {
                ssize_t k = dec_read_fd(d->fd, d->pre + d->pre_n, KM_DEC_GZPEEK_IN - d->pre_n);
                if (k <= 0)
                    break;
                d->pre_n += (size_t)k;
            }
            tar = dec_gz_is_tar(d->pre, d->pre_n);
        }
        if (tar) {
            if (d->map && !d->mem) {
                munmap(d->map, d->map_n);
                d->map = NULL;
                d->map_n = 0;
            }
            rc = dec_archive_open(d, 0, err);
        } else {
            d->kind = DK_GZIP;
            d->bomb_word = "gzip";
        }
    } else if (hn >= 4 && head[0] == 'P' && head[1] == 'K' &&
               ((head[2] == 3 && head[3] == 4) || (head[2] == 5 && head[3] == 6) ||
                (head[2] == 7 && head[3] == 8))) {
        rc = dec_archive_open(d, 0, err);
    } else if ((hn >= 4 && memcmp(head, "\x28\xb5\x2f\xfd", 4) == 0) ||
               (hn >= 3 && memcmp(head, "BZh", 3) == 0) ||
               (hn >= 6 && memcmp(head, "\xfd" "7zXZ\0", 6) == 0)) {
        rc = dec_archive_open(d, 1, err);
    } else if (dec_is_tar(head, hn)) {
        rc = dec_archive_open(d, 0, err);
    } else {
        d->kind = DK_PLAIN;
        d->bomb_word = "plain";
        if (mem && d->fsize > 0) {
            d->map = (char *)mem;
            d->map_n = (size_t)d->fsize;
        } else if (d->regular && d->fsize > 0 && d->fsize <= KM_DEC_FAST_MAX) {
            /* small files are mapped (zero-copy read_all); larger ones are
             * read in fixed chunks so memory does not grow with the file */
            d->map = mmap(NULL, (size_t)d->fsize, PROT_READ | PROT_WRITE, MAP_PRIVATE, d->fd, 0);
            if (d->map == MAP_FAILED) {
                d->map = NULL;
            } else {
                d->map_n = (size_t)d->fsize;
                d->map_writable = 1;
                madvise(d->map, d->map_n, MADV_SEQUENTIAL);
            }
        }
    }
    if (rc != KM_OK)
        goto fail;
    *out = d;
    return KM_OK;
fail:
    km_decode_close(d);
    return rc;
}

void km_decode_close(struct km_decode *d)
{
    if (!d)
        return;
    if (d->a)
        archive_read_free(d->a);
    if (d->z_init)
        inflateEnd(&d->z);
    if (d->ld)
        libdeflate_free_decompressor(d->ld);
    if (d->map && !d->mem)
        munmap(d->map, d->map_n);
    if (d->own_fd && d->fd >= 0)
        close(d->fd);
    free(d->fbuf);
    free(d->inbuf);
    free(d->ablk);
    free(d->mpeek);
    free(d->slurp);
    free(d->pre);
    free(d->name);
    free(d->path);
    free(d);
}

/* ---- members --------------------------------------------------------------- */

static const char *dec_filter_ext(int code)
{
    switch (code) {
    case ARCHIVE_FILTER_GZIP: return ".gz";
    case ARCHIVE_FILTER_BZIP2: return ".bz2";
    case ARCHIVE_FILTER_XZ: return ".xz";
    case ARCHIVE_FILTER_LZMA: return ".lzma";
    case ARCHIVE_FILTER_ZSTD: return ".zst";
    case ARCHIVE_FILTER_LZ4: return ".lz4";
    case ARCHIVE_FILTER_COMPRESS: return ".Z";
    case ARCHIVE_FILTER_NONE: return "";
    default: return ".filtered";
    }
}

static const char *dec_filter_word(int code)
{
    switch (code) {
    case ARCHIVE_FILTER_GZIP: return "gzip";
    case ARCHIVE_FILTER_BZIP2: return "bzip2";
    case ARCHIVE_FILTER_XZ: return "xz";
    case ARCHIVE_FILTER_ZSTD: return "zstd";
    default: return "decompression";
    }
}

/* Every chain a member can carry. km_member.chain points into this table, so
 * the text stays valid after km_decode_close (callers keep it for their
 * summary line); d->chain is only the scratch space it is built in. */
static const char *const dec_chains[] = {
    "plain", "gzip", "zip", "zip+gzip", "tar", "tar+gzip",
    "tar.gz", "tar.gz+gzip", "tar.bz2", "tar.bz2+gzip", "tar.xz", "tar.xz+gzip",
    "tar.lzma", "tar.lzma+gzip", "tar.zst", "tar.zst+gzip", "tar.lz4", "tar.lz4+gzip",
    "tar.Z", "tar.Z+gzip", "tar.filtered", "tar.filtered+gzip",
    "bzip2", "bzip2+gzip", "xz", "xz+gzip", "zstd", "zstd+gzip",
    "decompression", "decompression+gzip",
};

/* Points the member's chain at the static copy of d->chain. */
static void dec_set_chain(struct km_decode *d)
{
    for (size_t i = 0; i < KM_ARRAY_LEN(dec_chains); i++)
        if (strcmp(dec_chains[i], d->chain) == 0) {
            d->m.chain = dec_chains[i];
            return;
        }
    d->m.chain = "archive";
}

/* Reads what is left of the current archive member through the ceilings
 * (so a skipped member cannot expand without bound). */
static int dec_drain(struct km_decode *d, struct km_err *err)
{
    if (!d->a_member_open)
        return KM_OK;
    d->a_member_open = 0;
    if (!d->a_compressed)
        return archive_read_data_skip(d->a) == ARCHIVE_FATAL ? KM_EARCHIVE : KM_OK;
    if (!d->inbuf) {
        d->inbuf = malloc(KM_DEC_BUF);
        if (!d->inbuf)
            return KM_ENOMEM;
    }
    for (;;) {
        la_ssize_t k = archive_read_data(d->a, d->inbuf, KM_DEC_BUF);
        if (k <= 0)
            return k == ARCHIVE_FATAL ? KM_EARCHIVE : KM_OK;
        if (dec_account(d, (size_t)k, err))
            return KM_EBOMB;
    }
}

/* Sets up reading of an archive member: peeks at its first bytes and picks
 * pass-through, streamed gzip or libdeflate on the slurped member. */
static void dec_member_arch(struct km_decode *d, struct archive_entry *e, struct km_err *err)
{
    char w[1200];
    la_ssize_t k = 0;
    if (!d->mpeek) {
        d->mpeek = malloc(KM_DEC_BUF);
        if (!d->mpeek) {
            dec_pending(d, KM_ENOMEM, UINT64_MAX, "out of memory");
            return;
        }
    }
    d->mpeek_n = d->mpeek_pos = 0;
    while (d->mpeek_n < 2) {
        k = archive_read_data(d->a, d->mpeek + d->mpeek_n, KM_DEC_BUF - d->mpeek_n);
        if (k < 0) {
            dec_pending(d, KM_EARCHIVE, UINT64_MAX, "%s: %s", dec_what(d, w, sizeof w),
                        archive_error_string(d->a) ? archive_error_string(d->a) : "read error");
            return;
        }
        if (k == 0)
            break;
        d->mpeek_n += (size_t)k;
    }
    if (d->mpeek_n >= 2 && d->mpeek[0] == 0x1f && d->mpeek[1] == 0x8b) {
        size_t have = d->mpeek_n;
        snprintf(d->chain + strlen(d->chain), sizeof d->chain - strlen(d->chain), "+gzip");
        dec_set_chain(d);
        d->bomb_word = "gzip";
        if (archive_entry_size_is_set(e) && archive_entry_size(e) > 0 &&
            (uint64_t)archive_entry_size(e) <= KM_DEC_SLURP_MAX) {
            size_t want = (size_t)archive_entry_size(e);
            if (want < have)
                want = have;
            if (d->slurp_cap < want) {
                unsigned char *nb = realloc(d->slurp, want);
                if (nb) {
                    d->slurp = nb;
                    d->slurp_cap = want;
                }
            }
            if (d->slurp_cap >= want) {
                memcpy(d->slurp, d->mpeek, have);
                while (have < d->slurp_cap) {
                    k = archive_read_data(d->a, d->slurp + have, d->slurp_cap - have);
                    if (k <= 0)
                        break;
                    have += (size_t)k;
                }
                if (k < 0) {
                    dec_pending(d, KM_EARCHIVE, UINT64_MAX, "%s: %s", dec_what(d, w, sizeof w),
                                archive_error_string(d->a) ? archive_error_string(d->a)
                                                           : "read error");
                    return;
                }
                if (dec_fast(d, d->slurp, have))
                    return;
                /* stream from the slurped bytes, then whatever remains */
                if (dec_gz_begin(d, d->slurp, have, GS_ARCHIVE, err) != KM_OK)
                    d->mode = RM_DONE;
                return;
            }
        }
        if (dec_gz_begin(d, d->mpeek, d->mpeek_n, GS_ARCHIVE, err) != KM_OK)
            d->mode = RM_DONE;
        return;
    }
    d->mode = RM_ARCH;
    /* a member of a plain tar is stored as is: nothing to refuse */
    d->no_ceiling = !d->a_compressed && (archive_format(d->a) & ARCHIVE_FORMAT_BASE_MASK) ==
                                            ARCHIVE_FORMAT_TAR;
}

int km_decode_next(struct km_decode *d, const struct km_member **m, struct km_err *err)
{
    *m = NULL;
    if (d->stopped)
        return KM_OK;
    if (d->kind != DK_ARCHIVE) {
        if (d->yielded) {
            d->mode = RM_DONE;
            return KM_OK;
        }
        d->yielded = 1;
        d->m.name = NULL;
        d->m.index = 0;
        if (d->kind == DK_PLAIN) {
            snprintf(d->chain, sizeof d->chain, "plain");
            static char dec_empty[1];
            d->mpos = 0;
            if (d->map || (d->regular && d->fsize == 0)) {
                d->mp = d->map ? d->map : dec_empty;
                d->mode = RM_MAP;
            } else {
                d->mode = RM_FD;
            }
        } else {
            snprintf(d->chain, sizeof d->chain, "gzip");
            if (!(d->map && dec_fast(d, (unsigned char *)d->map, d->map_n))) {
                int rc;
                if (d->map)
                    rc = dec_gz_begin(d, (unsigned char *)d->map, d->map_n, GS_NONE, err);
                else
                    rc = dec_gz_begin(d, NULL, 0, GS_FD, err);
                if (rc != KM_OK)
                    return rc;
            }
        }
        dec_set_chain(d);
        *m = &d->m;
        return KM_OK;
    }

    /* archives */
    if (d->a_member_open) {
        int rc = dec_drain(d, err);
        if (rc == KM_EBOMB)
            return KM_OK;
        if (rc != KM_OK)
            return km_err_set(err, rc, d->path, UINT64_MAX, "%s",
                              archive_error_string(d->a) ? archive_error_string(d->a)
                                                         : "archive error");
    }
    d->mode = RM_DONE;
    free(d->name);
    d->name = NULL;
    for (;;) {
        struct archive_entry *e;
        int r = archive_read_next_header(d->a, &e);
        const char *nm;
        int fmt;
        if (r == ARCHIVE_EOF)
            return KM_OK;
        if (r == ARCHIVE_FATAL || r == ARCHIVE_RETRY) {
            const char *es = archive_error_string(d->a);
            d->stopped = 1;
            return km_err_set(err, KM_EARCHIVE, d->path, UINT64_MAX, "%s",
                              es ? es : "broken archive");
        }
        if (archive_entry_filetype(e) != AE_IFREG || archive_entry_hardlink(e))
            continue; /* directories, links, devices */
        fmt = archive_format(d->a) & ARCHIVE_FORMAT_BASE_MASK;
        d->a_compressed = archive_filter_count(d->a) > 1 &&
                          archive_filter_code(d->a, 0) != ARCHIVE_FILTER_NONE;
        if (fmt == ARCHIVE_FORMAT_RAW) {
            snprintf(d->chain, sizeof d->chain, "%s", dec_filter_word(archive_filter_code(d->a, 0)));
            d->name = NULL;
            d->bomb_word = dec_filter_word(archive_filter_code(d->a, 0));
        } else {
            nm = archive_entry_pathname(e);
            if (!nm)
                nm = archive_entry_pathname_utf8(e);
            d->name = strdup(nm ? nm : "(unnamed)");
            if (fmt == ARCHIVE_FORMAT_ZIP) {
                snprintf(d->chain, sizeof d->chain, "zip");
                d->bomb_word = "zip";
            } else {
                snprintf(d->chain, sizeof d->chain, "tar%s",
                         d->a_compressed ? dec_filter_ext(archive_filter_code(d->a, 0)) : "");
                d->bomb_word = d->a_compressed ? dec_filter_word(archive_filter_code(d->a, 0))
                                               : "tar";
            }
        }
        d->m.name = d->name;
        dec_set_chain(d);
        if (d->yielded)
            d->m.index++;
        d->yielded = 1;
        d->a_member_open = 1;
        d->no_ceiling = 0;
        if (r == ARCHIVE_FAILED) {
            char w[1200];
            dec_pending(d, KM_EARCHIVE, UINT64_MAX, "%s: %s", dec_what(d, w, sizeof w),
                        archive_error_string(d->a) ? archive_error_string(d->a)
                                                   : "unreadable entry");
        } else {
            dec_member_arch(d, e, err);
        }
        *m = &d->m;
        return KM_OK;
    }
}

/* ---- reading --------------------------------------------------------------- */

ssize_t km_decode_read(struct km_decode *d, char *buf, size_t n, struct km_err *err)
{
    ssize_t k;
    char w[1200];
    if (n == 0)
        return 0;
    switch (d->mode) {
    case RM_MAP: {
        size_t left = d->map_n - (size_t)d->mpos;
        if (left == 0) {
            d->mode = RM_DONE;
            return 0;
        }
        if (left > n)
            left = n;
        memcpy(buf, d->mp + d->mpos, left);
        d->mpos += left;
        d->total += left;
        return (ssize_t)left;
    }
    case RM_FD:
        if (d->regular) { /* mmap refused: read at our own offset */
            do
                k = pread(d->fd, buf, n, (off_t)d->mpos);
            while (k < 0 && errno == EINTR);
            if (k > 0)
                d->mpos += (uint64_t)k;
        } else {
            k = dec_raw_read(d, buf, n);
        }
        if (k < 0) {
            km_err_set(err, KM_EIO, d->path, d->total, "read error: %s", strerror(errno));
            d->mode = RM_DONE;
            return -1;
        }
        if (k == 0)
            d->mode = RM_DONE;
        d->total += (uint64_t)k;
        return k;
    case RM_FAST: {
        size_t left = d->fn - d->fpos;
        if (left == 0) {
            d->mode = RM_DONE;
            return 0;
        }
        if (left > n)
            left = n;
        memcpy(buf, d->fbuf + d->fpos, left);
        d->fpos += left;
        if (dec_account(d, left, err))
            return -1;
        return (ssize_t)left;
    }
    case RM_GZ:
        return dec_gz_read(d, buf, n, err);
    case RM_ARCH:
        if (d->mpeek_pos < d->mpeek_n) {
            size_t left = d->mpeek_n - d->mpeek_pos;
            if (left > n)
                left = n;
            memcpy(buf, d->mpeek + d->mpeek_pos, left);
            d->mpeek_pos += left;
            if (dec_account(d, left, err))
                return -1;
            return (ssize_t)left;
        }
        k = archive_read_data(d->a, buf, n);
        if (k < 0) {
            km_err_set(err, KM_EARCHIVE, d->path, UINT64_MAX, "%s: %s", dec_what(d, w, sizeof w),
                       archive_error_string(d->a) ? archive_error_string(d->a) : "read error");
            d->mode = RM_DONE;
            return -1;
        }
        if (k == 0) {
            d->mode = RM_DONE;
            d->a_member_open = 0;
            return 0;
        }
        if (dec_account(d, (size_t)k, err))
            return -1;
        return k;
    case RM_ERR:
        km_err_set(err, d->member_err, d->path, d->member_off, "%s", d->member_msg);
        d->mode = RM_DONE;
        return -1;
    default:
        return 0;
    }
}

int km_decode_read_all(struct km_decode *d, const char **p, size_t *n, struct km_err *err)
{
    *p = NULL;
    *n = 0;
    if (d->mode == RM_MAP) {
        *p = d->mp + d->mpos;
        *n = d->map_n - (size_t)d->mpos;
        d->total += *n;
        d->mpos = d->map_n;
        d->mode = RM_DONE;
        return KM_OK;
    }
    if (d->mode == RM_FAST) {
        size_t left = d->fn - d->fpos;
        *p = d->fbuf + d->fpos;
        *n = left;
        d->fpos = d->fn;
        d->mode = RM_DONE;
        if (dec_account(d, left, err)) {
            *p = NULL;
            *n = 0;
            return KM_EBOMB;
        }
        return KM_OK;
    }
    return KM_ENOTFOUND;
}
