/*
 * test_decode.c — the acquisition readers: containers recognised by content
 * (plain, gzip single and multi-member, zip, empty zip, tar, tar.gz, tar.zst,
 * archives of .json.gz members), zero-copy reads, gzip errors (corrupt,
 * truncated, trailing garbage), broken archives, decompression bombs refused
 * by ratio and by output ceiling in bounded time, the real corpus archives,
 * and km_walk's order and error reports. Inputs are written at run time into
 * a temporary directory with zlib and libarchive.
 */
#include "ingest/decode.h"
#include "t.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

static char tmpdir[256];

static const char *tpath(const char *name)
{
    static char bufs[8][512];
    static int k;
    char *b = bufs[k++ % 8];
    snprintf(b, 512, "%s/%s", tmpdir, name);
    return b;
}

static void write_file(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    T_CHECK(f != NULL);
    if (!f)
        return;
    T_EQ_INT(fwrite(p, 1, n, f), n);
    fclose(f);
}

/* gzip of p[0..n) (one member) into a malloc'd buffer. */
static unsigned char *gz(const void *p, size_t n, int level, size_t *outn)
{
    z_stream z;
    size_t cap;
    unsigned char *o;
    memset(&z, 0, sizeof z);
    T_EQ_INT(deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY), Z_OK);
    cap = deflateBound(&z, (uLong)n) + 64;
    o = malloc(cap);
    z.next_in = (Bytef *)(uintptr_t)p;
    z.avail_in = (uInt)n;
    z.next_out = o;
    z.avail_out = (uInt)cap;
    T_EQ_INT(deflate(&z, Z_FINISH), Z_STREAM_END);
    *outn = z.total_out;
    deflateEnd(&z);
    return o;
}

/* Reads every member; returns a malloc'd transcript:
 * "name|chain|index|bytes|crc32hex\n" per member, "ERR code msg\n" per error. */
struct dres {
    char *s;
    size_t n;
    int errs, members, last_code;
    char last_msg[600];
    uint64_t total;
    unsigned char *data; /* decoded bytes of all members, concatenated */
    size_t data_n, data_cap;
};

static void dres_add(struct dres *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void dres_add(struct dres *r, const char *fmt, ...)
{
    char tmp[1200];
    va_list ap;
    int k;
    va_start(ap, fmt);
    k = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (k >= (int)sizeof tmp)
        k = sizeof tmp - 1;
    r->s = realloc(r->s, r->n + (size_t)k + 1);
    memcpy(r->s + r->n, tmp, (size_t)k + 1);
    r->n += (size_t)k;
}

static void dres_data(struct dres *r, const void *p, size_t n)
{
    if (n == 0)
        return;
    if (r->data_n + n > r->data_cap) {
        if (r->data_n + n > ((size_t)64 << 20))
            return; /* keep at most 64 MiB for comparisons */
        r->data_cap = (r->data_n + n) * 2;
        r->data = realloc(r->data, r->data_cap);
    }
    memcpy(r->data + r->data_n, p, n);
    r->data_n += n;
}

static void dres_free(struct dres *r)
{
    free(r->s);
    free(r->data);
    memset(r, 0, sizeof *r);
}

/* mode 0: km_decode_read with a small buffer; 1: try km_decode_read_all first */
static int decode_all(const char *path, int fd, const struct km_decode_limits *lim, int mode,
                      struct dres *r)
{
    struct km_decode *d;
    struct km_err e;
    const struct km_member *m;
    static char buf[100003];
    int rc;
    memset(r, 0, sizeof *r);
    km_err_clear(&e);
    rc = km_decode_open(path, fd, lim, &d, &e);
    if (rc != KM_OK) {
        dres_add(r, "OPEN %d %s\n", rc, e.msg);
        r->last_code = rc;
        snprintf(r->last_msg, sizeof r->last_msg, "%s", e.msg);
        return rc;
    }
    for (;;) {
        uLong crc = crc32(0, NULL, 0);
        uint64_t bytes = 0;
        const char *p;
        size_t pn;
        int all = 0;
        km_err_clear(&e);
        rc = km_decode_next(d, &m, &e);
        if (rc != KM_OK) {
            dres_add(r, "NEXT %d %s\n", rc, e.msg);
            r->errs++;
            r->last_code = rc;
            snprintf(r->last_msg, sizeof r->last_msg, "%s", e.msg);
            break;
        }
        if (!m)
            break;
        r->members++;
        if (mode == 1 && km_decode_read_all(d, &p, &pn, &e) == KM_OK) {
            crc = crc32(crc, (const Bytef *)p, (uInt)pn);
            dres_data(r, p, pn);
            bytes = pn;
            all = 1;
        } else {
            ssize_t n;
            while ((n = km_decode_read(d, buf, sizeof buf, &e)) > 0) {
                crc = crc32(crc, (const Bytef *)buf, (uInt)n);
                dres_data(r, buf, (size_t)n);
                bytes += (uint64_t)n;
            }
        }
        dres_add(r, "%s|%s|%llu|%llu|%08lx%s\n", m->name ? m->name : "-", m->chain,
                 (unsigned long long)m->index, (unsigned long long)bytes, (unsigned long)crc,
                 all ? "|all" : "");
        if (e.code) {
            dres_add(r, "ERR %d %s\n", e.code, e.msg);
            r->errs++;
            r->last_code = e.code;
            snprintf(r->last_msg, sizeof r->last_msg, "%s", e.msg);
        }
    }
    r->total = km_decode_total(d);
    km_decode_close(d);
    return KM_OK;
}

#define T_HAS(r, needle)                                                                  \
    do {                                                                                  \
        if (!(r)->s || !strstr((r)->s, (needle))) {                                      \
            fprintf(stderr, "  missing \"%s\" in:\n%s", (needle), (r)->s ? (r)->s : ""); \
            T_CHECK(!"transcript has line");                                              \
        }                                                                                 \
    } while (0)

static char *crcline(const char *name, const char *chain, int idx, const void *p, size_t n)
{
    static char b[600];
    snprintf(b, sizeof b, "%s|%s|%d|%zu|%08lx", name, chain, idx, n,
             (unsigned long)crc32(crc32(0, NULL, 0), p, (uInt)n));
    return b;
}

/* a JSON-ish payload of n bytes */
static char *payload(size_t n, unsigned seed)
{
    char *p = malloc(n + 1);
    size_t k = 0;
    while (k < n) {
        int w = snprintf(p + k, n + 1 - k, "{\"eventID\":\"%08x-%u\",\"eventName\":\"Get%u\"}\n",
                         seed * 2654435761u + (unsigned)k, seed, (unsigned)(k % 97));
        if (w <= 0)
            break;
        k += (size_t)w;
    }
    p[n] = 0;
    return p;
}

/* ---- archive writers -------------------------------------------------------- */

struct ent {
    const char *name;
    const void *p;
    size_t n;
    int type; /* 0 file, 1 dir, 2 symlink */
};

static void write_archive(const char *path, int format, int filter, const struct ent *e, int ne)
{
    struct archive *a = archive_write_new();
    if (format == 'z')
        archive_write_set_format_zip(a);
    else
        archive_write_set_format_pax_restricted(a);
    if (filter == 'g')
        archive_write_add_filter_gzip(a);
    else if (filter == 's')
        archive_write_add_filter_zstd(a);
    else if (filter == 'x')
        archive_write_add_filter_xz(a);
    T_EQ_INT(archive_write_open_filename(a, path), ARCHIVE_OK);
    for (int i = 0; i < ne; i++) {
        struct archive_entry *en = archive_entry_new();
        archive_entry_set_pathname(en, e[i].name);
        archive_entry_set_mtime(en, 1700000000, 0);
        if (e[i].type == 1) {
            archive_entry_set_filetype(en, AE_IFDIR);
            archive_entry_set_perm(en, 0755);
        } else if (e[i].type == 2) {
            archive_entry_set_filetype(en, AE_IFLNK);
            archive_entry_set_symlink(en, "target.json");
            archive_entry_set_perm(en, 0777);
        } else {
            archive_entry_set_filetype(en, AE_IFREG);
            archive_entry_set_perm(en, 0644);
            archive_entry_set_size(en, (la_int64_t)e[i].n);
        }
        T_EQ_INT(archive_write_header(a, en), ARCHIVE_OK);
        if (e[i].type == 0 && e[i].n)
            T_EQ_INT(archive_write_data(a, e[i].p, e[i].n), (la_ssize_t)e[i].n);
        archive_entry_free(en);
    }
    T_EQ_INT(archive_write_close(a), ARCHIVE_OK);
    archive_write_free(a);
}

/* ---- tests ---------------------------------------------------------------------- */

static void test_plain(void)
{
    struct dres r;
    char *p = payload(300000, 1);
    write_file(tpath("plain.json"), p, 300000);
    decode_all(tpath("plain.json"), -1, NULL, 0, &r);
    T_EQ_INT(r.members, 1);
    T_EQ_INT(r.errs, 0);
    T_HAS(&r, crcline("-", "plain", 0, p, 300000));
    T_EQ_INT(r.total, 300000);
    T_CHECK(r.data_n == 300000 && memcmp(r.data, p, 300000) == 0);
    dres_free(&r);
    /* zero-copy: the mapping, writable in place, file untouched */
    {
        struct km_decode *d;
        struct km_err e;
        const struct km_member *m;
        const char *q;
        size_t qn;
        km_err_clear(&e);
        T_EQ_INT(km_decode_open(tpath("plain.json"), -1, NULL, &d, &e), KM_OK);
        T_EQ_INT(km_decode_next(d, &m, &e), KM_OK);
        T_CHECK(m && m->name == NULL && strcmp(m->chain, "plain") == 0);
        T_EQ_INT(km_decode_read_all(d, &q, &qn, &e), KM_OK);
        T_EQ_INT(qn, 300000);
        T_CHECK(memcmp(q, p, qn) == 0);
        ((char *)q)[0] = 'X'; /* private copy-on-write */
        T_EQ_INT(km_decode_read(d, (char *)&qn, 1, &e), 0); /* consumed */
        T_EQ_INT(km_decode_next(d, &m, &e), KM_OK);
        T_CHECK(m == NULL);
        km_decode_close(d);
        decode_all(tpath("plain.json"), -1, NULL, 0, &r);
        T_HAS(&r, crcline("-", "plain", 0, p, 300000));
        dres_free(&r);
    }
    /* empty file: one empty member */
    write_file(tpath("empty.json"), "", 0);
    decode_all(tpath("empty.json"), -1, NULL, 1, &r);
    T_EQ_INT(r.members, 1);
    T_HAS(&r, "-|plain|0|0|00000000|all");
    dres_free(&r);
    /* an already-open fd; the decoder does not close it */
    {
        int fd = open(tpath("plain.json"), O_RDONLY);
        decode_all("label-for-fd", fd, NULL, 0, &r);
        T_HAS(&r, crcline("-", "plain", 0, p, 300000));
        T_CHECK(fcntl(fd, F_GETFD) != -1);
        close(fd);
        dres_free(&r);
    }
    free(p);
    /* missing file */
    decode_all(tpath("nope.json"), -1, NULL, 0, &r);
    T_EQ_INT(r.last_code, KM_EIO);
    T_CHECK(strstr(r.last_msg, "cannot open") != NULL);
    dres_free(&r);
}

static void test_gzip(void)
{
    struct dres r;
    size_t zn;
    char *p = payload(1000000, 2);
    unsigned char *z = gz(p, 1000000, 6, &zn);
    write_file(tpath("one.json.gz"), z, zn);
    for (int mode = 0; mode <= 1; mode++) {
        decode_all(tpath("one.json.gz"), -1, NULL, mode, &r);
        T_EQ_INT(r.members, 1);
        T_EQ_INT(r.errs, 0);
        T_HAS(&r, crcline("-", "gzip", 0, p, 1000000));
        if (mode == 1)
            T_HAS(&r, "|all"); /* libdeflate fast path */
        T_EQ_INT(r.total, 1000000);
        dres_free(&r);
    }
    free(z);
    free(p);
}

static void test_gzip_multi_member(void)
{
    struct dres r;
    size_t n1, n2, n3;
    char *p1 = payload(700000, 3), *p2 = payload(5, 4), *p3 = payload(2000000, 5);
    unsigned char *z1 = gz(p1, 700000, 1, &n1), *z2 = gz(p2, 5, 9, &n2), *z3 = gz(p3, 2000000, 6, &n3);
    size_t all_n = 700000 + 5 + 2000000;
    char *all = malloc(all_n);
    unsigned char *cat = malloc(n1 + n2 + n3 + 16);
    memcpy(all, p1, 700000);
    memcpy(all + 700000, p2, 5);
    memcpy(all + 700005, p3, 2000000);
    memcpy(cat, z1, n1);
    memcpy(cat + n1, z2, n2);
    memcpy(cat + n1 + n2, z3, n3);
    /* last member largest, and a variant where the last member is tiny (the
     * ISIZE trailer under-states the whole) */
    write_file(tpath("multi.gz"), cat, n1 + n2 + n3);
    for (int mode = 0; mode <= 1; mode++) {
        decode_all(tpath("multi.gz"), -1, NULL, mode, &r);
        T_EQ_INT(r.errs, 0);
        T_HAS(&r, crcline("-", "gzip", 0, all, all_n));
        dres_free(&r);
    }
    memcpy(cat, z3, n3);
    memcpy(cat + n3, z1, n1);
    memcpy(cat + n3 + n1, z2, n2);
    memset(cat + n1 + n2 + n3, 0, 16); /* zero padding is ignored, like gzip -d */
    write_file(tpath("multi2.gz"), cat, n1 + n2 + n3 + 16);
    memcpy(all, p3, 2000000);
    memcpy(all + 2000000, p1, 700000);
    memcpy(all + 2700000, p2, 5);
    decode_all(tpath("multi2.gz"), -1, NULL, 1, &r);
    T_EQ_INT(r.errs, 0);
    T_HAS(&r, crcline("-", "gzip", 0, all, all_n));
    dres_free(&r);
    /* the same through a pipe: no mmap, no fast path, zlib streaming */
    {
        int pfd[2];
        pid_t pid;
        T_EQ_INT(pipe(pfd), 0);
        pid = fork();
        if (pid == 0) {
            size_t off = 0, tot = n1 + n2 + n3 + 16;
            close(pfd[0]);
            while (off < tot) {
                ssize_t k = write(pfd[1], cat + off, tot - off > 7777 ? 7777 : tot - off);
                if (k <= 0)
                    _exit(1);
                off += (size_t)k;
            }
            _exit(0);
        }
        close(pfd[1]);
        decode_all("pipe", pfd[0], NULL, 1, &r);
        close(pfd[0]);
        waitpid(pid, NULL, 0);
        T_EQ_INT(r.errs, 0);
        T_HAS(&r, crcline("-", "gzip", 0, all, all_n));
        T_CHECK(strstr(r.s, "|all") == NULL);
        dres_free(&r);
    }
    /* trailing garbage: all data, then an error */
    memcpy(cat + n1 + n2 + n3, "garbage!", 8);
    write_file(tpath("garbage.gz"), cat, n1 + n2 + n3 + 8);
    decode_all(tpath("garbage.gz"), -1, NULL, 0, &r);
    T_HAS(&r, crcline("-", "gzip", 0, all, all_n));
    T_EQ_INT(r.last_code, KM_EGZIP);
    T_CHECK(strstr(r.last_msg, "trailing garbage") != NULL);
    dres_free(&r);
    free(all);
    free(cat);
    free(z1);
    free(z2);
    free(z3);
    free(p1);
    free(p2);
    free(p3);
}

static void test_gzip_errors(void)
{
    struct dres r;
    size_t zn;
    char *p = payload(3000000, 6);
    unsigned char *z = gz(p, 3000000, 6, &zn);
    char want[64];
    /* truncated */
    write_file(tpath("trunc.gz"), z, zn / 2);
    decode_all(tpath("trunc.gz"), -1, NULL, 1, &r);
    T_EQ_INT(r.members, 1);
    T_EQ_INT(r.last_code, KM_EGZIP);
    T_CHECK(strstr(r.last_msg, "truncated") != NULL);
    T_CHECK(strstr(r.last_msg, "trunc.gz") != NULL);
    snprintf(want, sizeof want, "compressed offset %zu", zn / 2);
    T_CHECK(strstr(r.last_msg, want) != NULL);
    T_CHECK(r.data_n > 0 && r.data_n < 3000000 && memcmp(r.data, p, r.data_n) == 0);
    dres_free(&r);
    /* corrupt in the middle: error names file and a compressed offset near the damage */
    for (size_t i = zn / 2; i < zn / 2 + 64; i++)
        z[i] ^= 0x55;
    write_file(tpath("corrupt.gz"), z, zn);
    decode_all(tpath("corrupt.gz"), -1, NULL, 1, &r);
    T_EQ_INT(r.members, 1);
    T_EQ_INT(r.last_code, KM_EGZIP);
    T_CHECK(strstr(r.last_msg, "corrupt gzip data in '") != NULL);
    T_CHECK(strstr(r.last_msg, "corrupt.gz' at compressed offset ") != NULL);
    {
        const char *o = strstr(r.last_msg, "offset ");
        unsigned long long off = o ? strtoull(o + 7, NULL, 10) : 0;
        T_CHECK(off >= zn / 2 && off <= zn);
    }
    dres_free(&r);
    free(z);
    free(p);
}

static void test_zip(void)
{
    struct dres r;
    size_t zn;
    char *p1 = payload(50000, 7), *p2 = payload(80000, 8);
    unsigned char *z2 = gz(p2, 80000, 6, &zn);
    struct ent e[] = {
        {"logs/", NULL, 0, 1},
        {"logs/a.json", p1, 50000, 0},
        {"logs/b.json.gz", z2, zn, 0},
        {"logs/link.json", NULL, 0, 2},
    };
    write_archive(tpath("mixed.zip"), 'z', 0, e, 4);
    for (int mode = 0; mode <= 1; mode++) {
        decode_all(tpath("mixed.zip"), -1, NULL, mode, &r);
        T_EQ_INT(r.members, 2);
        T_EQ_INT(r.errs, 0);
        T_HAS(&r, crcline("logs/a.json", "zip", 0, p1, 50000));
        T_HAS(&r, crcline("logs/b.json.gz", "zip+gzip", 1, p2, 80000));
        dres_free(&r);
    }
    /* an empty zip */
    write_archive(tpath("empty.zip"), 'z', 0, e, 0);
    decode_all(tpath("empty.zip"), -1, NULL, 0, &r);
    T_EQ_INT(r.members, 0);
    T_EQ_INT(r.errs, 0);
    dres_free(&r);
    /* a zip inside a zip is one member holding the inner zip */
    {
        FILE *f = fopen(tpath("mixed.zip"), "rb");
        static unsigned char inner[1 << 20];
        size_t in = fread(inner, 1, sizeof inner, f);
        struct ent e2[] = {{"inner.zip", inner, in, 0}};
        fclose(f);
        write_archive(tpath("nested.zip"), 'z', 0, e2, 1);
        decode_all(tpath("nested.zip"), -1, NULL, 0, &r);
        T_EQ_INT(r.members, 1);
        T_HAS(&r, crcline("inner.zip", "zip", 0, inner, in));
        dres_free(&r);
    }
    free(z2);
    free(p1);
    free(p2);
}

/* km_member.chain is a static string: ingest keeps it for its summary line
 * after km_decode_close (ASan flags a use after free if it is not) */
static void test_chain_outlives_decoder(void)
{
    size_t zn;
    char *p1 = payload(3000, 11);
    unsigned char *z1 = gz(p1, 3000, 6, &zn);
    struct ent e[] = {{"x/a.json.gz", z1, zn, 0}, {"x/b.json", p1, 3000, 0}};
    write_archive(tpath("chains.tgz"), 't', 'g', e, 2);
    write_archive(tpath("chains.zip"), 'z', 0, e, 2);
    static const struct {
        const char *file, *want[2];
    } cases[] = {
        {"chains.tgz", {"tar.gz+gzip", "tar.gz"}},
        {"chains.zip", {"zip+gzip", "zip"}},
    };
    for (size_t c = 0; c < KM_ARRAY_LEN(cases); c++) {
        struct km_decode *d;
        struct km_err err;
        const struct km_member *m;
        const char *chains[2] = {NULL, NULL};
        int n = 0;
        km_err_clear(&err);
        T_EQ_INT(km_decode_open(tpath(cases[c].file), -1, NULL, &d, &err), KM_OK);
        while (n < 2 && km_decode_next(d, &m, &err) == KM_OK && m)
            chains[n++] = m->chain;
        km_decode_close(d);
        T_EQ_INT(n, 2);
        T_EQ_STR(chains[0], cases[c].want[0]);
        T_EQ_STR(chains[1], cases[c].want[1]);
    }
    /* plain and gzip files from memory, as ingest opens small files */
    for (int g = 0; g <= 1; g++) {
        struct km_decode *d;
        struct km_err err;
        const struct km_member *m = NULL;
        km_err_clear(&err);
        T_EQ_INT(km_decode_open_mem("mem", g ? (const void *)z1 : p1, g ? zn : 3000, NULL, &d,
                                    &err), KM_OK);
        T_EQ_INT(km_decode_next(d, &m, &err), KM_OK);
        const char *chain = m ? m->chain : NULL;
        km_decode_close(d);
        T_EQ_STR(chain, g ? "gzip" : "plain");
    }
    free(z1);
    free(p1);
}

static void test_zip_bad_member_then_good(void)
{
    struct dres r;
    size_t zn;
    char *p = payload(200000, 9);
    unsigned char *z = gz(p, 200000, 6, &zn);
    unsigned char *bad = malloc(zn);
    memcpy(bad, z, zn);
    for (size_t i = 100; i < 200; i++)
        bad[i] ^= 0xA5;
    struct ent e[] = {
        {"bad.json.gz", bad, zn, 0},
        {"short.json.gz", z, zn / 3, 0},
        {"good.json.gz", z, zn, 0},
    };
    write_archive(tpath("badmember.zip"), 'z', 0, e, 3);
    decode_all(tpath("badmember.zip"), -1, NULL, 1, &r);
    T_EQ_INT(r.members, 3);
    T_EQ_INT(r.errs, 2);
    T_HAS(&r, "ERR 13 corrupt gzip data in member 'bad.json.gz' of '");
    T_HAS(&r, "ERR 13 truncated gzip data in member 'short.json.gz' of '");
    T_HAS(&r, crcline("good.json.gz", "zip+gzip", 2, p, 200000));
    dres_free(&r);
    /* the same as a tar.gz: the unread rest of a member is drained */
    write_archive(tpath("badmember.tgz"), 't', 'g', e, 3);
    decode_all(tpath("badmember.tgz"), -1, NULL, 0, &r);
    T_EQ_INT(r.members, 3);
    T_EQ_INT(r.errs, 2);
    T_HAS(&r, crcline("good.json.gz", "tar.gz+gzip", 2, p, 200000));
    dres_free(&r);
    free(bad);
    free(z);
    free(p);
}

static void test_tar_family(void)
{
    struct dres r;
    size_t n1, n2;
    char *p1 = payload(120000, 10), *p2 = payload(3000, 11), *p3 = payload(7000, 12);
    unsigned char *z1 = gz(p1, 120000, 6, &n1), *z2 = gz(p2, 3000, 6, &n2);
    /* a CloudTrail S3 export: a tar.gz of .json.gz files */
    struct ent e[] = {
        {"AWSLogs/", NULL, 0, 1},
        {"AWSLogs/111_CloudTrail_us-east-1_a.json.gz", z1, n1, 0},
        {"AWSLogs/111_CloudTrail_us-east-1_b.json.gz", z2, n2, 0},
        {"AWSLogs/readme.json", p3, 7000, 0},
        {"AWSLogs/link", NULL, 0, 2},
    };
    static const struct {
        const char *file;
        int filter;
        const char *chain;
    } v[] = {
        {"x.tar", 0, "tar"}, {"x.tgz", 'g', "tar.gz"}, {"x.tar.zst", 's', "tar.zst"},
        {"x.tar.xz", 'x', "tar.xz"},
    };
    for (size_t i = 0; i < KM_ARRAY_LEN(v); i++) {
        char c1[32], c2[32];
        write_archive(tpath(v[i].file), 't', v[i].filter, e, 5);
        snprintf(c1, sizeof c1, "%s+gzip", v[i].chain);
        snprintf(c2, sizeof c2, "%s", v[i].chain);
        for (int mode = 0; mode <= 1; mode++) {
            decode_all(tpath(v[i].file), -1, NULL, mode, &r);
            T_EQ_INT(r.members, 3);
            T_EQ_INT(r.errs, 0);
            T_HAS(&r, crcline("AWSLogs/111_CloudTrail_us-east-1_a.json.gz", c1, 0, p1, 120000));
            T_HAS(&r, crcline("AWSLogs/111_CloudTrail_us-east-1_b.json.gz", c1, 1, p2, 3000));
            T_HAS(&r, crcline("AWSLogs/readme.json", c2, 2, p3, 7000));
            if (mode == 1)
                T_HAS(&r, "|all"); /* small gzip members: libdeflate, zero-copy */
            dres_free(&r);
        }
    }
    /* a gzip that is not a tar even though it is named .tgz */
    {
        size_t zn;
        unsigned char *z = gz(p3, 7000, 6, &zn);
        write_file(tpath("nottar.tgz"), z, zn);
        decode_all(tpath("nottar.tgz"), -1, NULL, 0, &r);
        T_HAS(&r, crcline("-", "gzip", 0, p3, 7000));
        dres_free(&r);
        free(z);
    }
    free(z1);
    free(z2);
    free(p1);
    free(p2);
    free(p3);
}

static void test_broken_archives(void)
{
    struct dres r;
    unsigned char junk[4096];
    memcpy(junk, "PK\003\004", 4);
    for (size_t i = 4; i < sizeof junk; i++)
        junk[i] = (unsigned char)(i * 7 + 3);
    write_file(tpath("broken.zip"), junk, sizeof junk);
    decode_all(tpath("broken.zip"), -1, NULL, 0, &r);
    T_EQ_INT(r.last_code, KM_EARCHIVE);
    T_CHECK(r.last_msg[0] != 0);
    dres_free(&r);
    /* a tar cut in the middle of a member */
    {
        char *p = payload(100000, 13);
        struct ent e[] = {{"a.json", p, 100000, 0}, {"b.json", p, 100000, 0}};
        FILE *f;
        static unsigned char t[300000];
        size_t tn;
        write_archive(tpath("whole.tar"), 't', 0, e, 2);
        f = fopen(tpath("whole.tar"), "rb");
        tn = fread(t, 1, sizeof t, f);
        fclose(f);
        write_file(tpath("cut.tar"), t, tn / 2 + 5000);
        decode_all(tpath("cut.tar"), -1, NULL, 0, &r);
        T_HAS(&r, crcline("a.json", "tar", 0, p, 100000));
        T_EQ_INT(r.last_code, KM_EARCHIVE);
        dres_free(&r);
        free(p);
    }
}

/* 10 GiB of zeros as a multi-member gzip (~10 MB): 160 copies of one member
 * holding 64 MiB of zeros. */
static unsigned char *bomb_gz(size_t *n)
{
    size_t zn;
    char *zeros = calloc(1, (size_t)64 << 20);
    unsigned char *z = gz(zeros, (size_t)64 << 20, 9, &zn);
    unsigned char *b = malloc(zn * 160);
    for (int i = 0; i < 160; i++)
        memcpy(b + (size_t)i * zn, z, zn);
    *n = zn * 160;
    free(z);
    free(zeros);
    return b;
}

static void test_bombs(void)
{
    struct dres r;
    struct km_decode_limits lim;
    size_t bn;
    unsigned char *b = bomb_gz(&bn);
    write_file(tpath("bomb.json.gz"), b, bn);
    /* ratio (defaults: 1000:1 past 16 MiB) */
    decode_all(tpath("bomb.json.gz"), -1, NULL, 1, &r);
    T_EQ_INT(r.last_code, KM_EBOMB);
    T_HAS(&r, "ERR 7 gzip bomb refused: '");
    T_CHECK(strstr(r.last_msg, "bomb.json.gz' expanded past ratio 1000:1 (ceiling --max-ratio; "
                            "for real data this repetitive, raise it and run `kumo reprocess`)"));
    T_CHECK(r.total < ((uint64_t)80 << 20));
    dres_free(&r);
    /* output ceiling */
    km_decode_limits_default(&lim);
    lim.max_ratio = 1000000;
    lim.max_output = (uint64_t)200 << 20;
    decode_all(tpath("bomb.json.gz"), -1, &lim, 0, &r);
    T_EQ_INT(r.last_code, KM_EBOMB);
    T_CHECK(strstr(r.last_msg, "expanded past 209715200 bytes (ceiling --max-output; for a real export this "
                                   "large, raise it, e.g. --max-output 16G, and run `kumo reprocess`)"));
    T_CHECK(r.total <= lim.max_output + 200000);
    dres_free(&r);
    /* a zip holding the bomb, then a normal member that is never reached */
    {
        char *p = payload(1000, 14);
        struct ent e[] = {{"x.json.gz", b, bn, 0}, {"after.json", p, 1000, 0}};
        write_archive(tpath("bomb.zip"), 'z', 0, e, 2);
        decode_all(tpath("bomb.zip"), -1, NULL, 1, &r);
        /* the work is bounded: what was decoded before the refusal */
        T_CHECK(r.total < ((uint64_t)80 << 20));
        T_EQ_INT(r.members, 1);
        T_EQ_INT(r.last_code, KM_EBOMB);
        T_CHECK(strstr(r.last_msg, "gzip bomb refused: member 'x.json.gz' of '") != NULL);
        T_CHECK(strstr(r.last_msg, "bomb.zip' expanded past ratio 1000:1 (ceiling --max-ratio;"));
        dres_free(&r);
        free(p);
    }
    free(b);
    /* deflate bombs inside the containers: zip, tar.gz */
    {
        size_t zn = (size_t)256 << 20;
        char *zeros = calloc(1, zn);
        struct ent e[] = {{"zeros.json", zeros, zn, 0}};
        write_archive(tpath("zeros.zip"), 'z', 0, e, 1);
        write_archive(tpath("zeros.tgz"), 't', 'g', e, 1);
        free(zeros);
        decode_all(tpath("zeros.zip"), -1, NULL, 0, &r);
        T_EQ_INT(r.last_code, KM_EBOMB);
        T_CHECK(strstr(r.last_msg, "zip bomb refused: member 'zeros.json'") != NULL);
        T_CHECK(r.total < ((uint64_t)64 << 20));
        dres_free(&r);
        decode_all(tpath("zeros.tgz"), -1, NULL, 0, &r);
        T_EQ_INT(r.last_code, KM_EBOMB);
        T_CHECK(strstr(r.last_msg, "gzip bomb refused: member 'zeros.json'") != NULL);
        T_CHECK(r.total < ((uint64_t)64 << 20));
        dres_free(&r);
    }
}

static void test_limits_small_legit(void)
{
    /* ordinary JSON compresses 10-30:1: never a bomb under the defaults, even
     * with a tiny grace */
    struct km_decode_limits lim;
    struct dres r;
    size_t zn;
    char *p = payload(4000000, 15);
    unsigned char *z = gz(p, 4000000, 9, &zn);
    km_decode_limits_default(&lim);
    lim.ratio_grace = 1000;
    write_file(tpath("legit.gz"), z, zn);
    decode_all(tpath("legit.gz"), -1, &lim, 0, &r);
    T_EQ_INT(r.errs, 0);
    T_HAS(&r, crcline("-", "gzip", 0, p, 4000000));
    dres_free(&r);
    free(z);
    free(p);
}

static void test_corpus_archives(void)
{
    struct dres r;
    char path[1024];
    /* sizes and CRC-32 checked by hand: `zcat | wc -c`, `unzip -lv` */
    snprintf(path, sizeof path,
             "%s/trailscraper-testdata/tests/cloudtrail/data/"
             "111111111111_CloudTrail_eu-central-1_20171211T1505Z_A6kvhMoVeCsc7v8U.json.gz",
             t_corpus());
    decode_all(path, -1, NULL, 1, &r);
    T_EQ_INT(r.members, 1);
    T_EQ_INT(r.errs, 0);
    T_HAS(&r, "-|gzip|0|2843|506686e3|all");
    T_CHECK(r.data_n > 20 && memcmp(r.data, "{\n  \"Records\": [", 16) == 0);
    dres_free(&r);
    snprintf(path, sizeof path,
             "%s/otrf-security-datasets/datasets/atomic/aws/collection/ec2_proxy_s3_exfiltration.zip",
             t_corpus());
    decode_all(path, -1, NULL, 0, &r);
    T_EQ_INT(r.members, 1);
    T_EQ_INT(r.errs, 0);
    T_HAS(&r, "ec2_proxy_s3_exfiltration_2020-09-14011940.json|zip|0|106600|1d3d821b");
    T_CHECK(r.data_n > 20 && memcmp(r.data, "{\"requestParameters\":", 21) == 0);
    dres_free(&r);
}

/* ---- km_walk ------------------------------------------------------------------ */

struct wlog {
    char s[4096];
    int stop_at, calls;
};

static int w_cb(void *ctx, const char *path)
{
    struct wlog *w = ctx;
    const char *rel = strncmp(path, tmpdir, strlen(tmpdir)) == 0 ? path + strlen(tmpdir) : path;
    snprintf(w->s + strlen(w->s), sizeof w->s - strlen(w->s), "F %s\n", rel);
    w->calls++;
    return w->stop_at && w->calls >= w->stop_at ? 42 : 0;
}

static void w_err(void *ctx, const char *path, const char *why)
{
    struct wlog *w = ctx;
    const char *rel = strncmp(path, tmpdir, strlen(tmpdir)) == 0 ? path + strlen(tmpdir) : path;
    snprintf(w->s + strlen(w->s), sizeof w->s - strlen(w->s), "E %s: %s\n", rel, why);
}

static void test_walk(void)
{
    struct wlog w;
    char *args[4];
    char d[600];
    snprintf(d, sizeof d, "%s/w", tmpdir);
    mkdir(d, 0755);
    mkdir(tpath("w/sub"), 0755);
    mkdir(tpath("w/sub/deeper"), 0755);
    mkdir(tpath("w/emptydir"), 0755);
    write_file(tpath("w/b.json"), "{}", 2);
    write_file(tpath("w/a.json"), "{}", 2);
    write_file(tpath("w/B.json"), "{}", 2);
    write_file(tpath("w/.hidden"), "{}", 2);
    write_file(tpath("w/sub/z.json"), "{}", 2);
    write_file(tpath("w/sub/deeper/y.json"), "{}", 2);
    write_file(tpath("w/sub-file"), "{}", 2);
    T_EQ_INT(symlink("a.json", tpath("w/link.json")), 0);
    T_EQ_INT(mkfifo(tpath("w/fifo"), 0644), 0);

    memset(&w, 0, sizeof w);
    args[0] = d;
    args[1] = (char *)tpath("missing");
    args[2] = (char *)"-";
    args[3] = (char *)tpath("w/a.json");
    T_EQ_INT(km_walk(args, 4, w_cb, w_err, &w), 0);
    /* bytewise order: '.' < 'B' < 'a' < 'b' < 'f' < 'l' < 's'; "sub" < "sub-file"
     * as names ("sub" is a prefix), its files come first */
    T_EQ_STR(w.s, "F /w/.hidden\n"
                  "F /w/B.json\n"
                  "F /w/a.json\n"
                  "F /w/b.json\n"
                  "E /w/fifo: not a regular file\n"
                  "E /w/link.json: symlink not followed\n"
                  "F /w/sub/deeper/y.json\n"
                  "F /w/sub/z.json\n"
                  "F /w/sub-file\n"
                  "E /missing: No such file or directory\n"
                  "F -\n"
                  "F /w/a.json\n");
    /* a non-zero return stops the walk and is returned */
    memset(&w, 0, sizeof w);
    w.stop_at = 2;
    T_EQ_INT(km_walk(args, 4, w_cb, w_err, &w), 42);
    T_EQ_INT(w.calls, 2);
    /* unreadable directory (only meaningful when not root) */
    if (geteuid() != 0) {
        chmod(tpath("w/sub"), 0);
        memset(&w, 0, sizeof w);
        km_walk(args, 1, w_cb, w_err, &w);
        T_CHECK(strstr(w.s, "E /w/sub: Permission denied\n") != NULL);
        T_CHECK(strstr(w.s, "F /w/sub-file\n") != NULL);
        chmod(tpath("w/sub"), 0755);
    }
}

static void rm_rf(const char *path)
{
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    if (system(cmd) != 0)
        fprintf(stderr, "  cannot remove %s\n", path);
}

int main(void)
{
    const char *base = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/kumo-test-decode-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    T_RUN(test_plain);
    T_RUN(test_gzip);
    T_RUN(test_gzip_multi_member);
    T_RUN(test_gzip_errors);
    T_RUN(test_zip);
    T_RUN(test_chain_outlives_decoder);
    T_RUN(test_zip_bad_member_then_good);
    T_RUN(test_tar_family);
    T_RUN(test_broken_archives);
    T_RUN(test_bombs);
    T_RUN(test_limits_small_legit);
    T_RUN(test_corpus_archives);
    T_RUN(test_walk);
    if (!getenv("KEEP"))
        rm_rf(tmpdir);
    else
        printf("# kept %s\n", tmpdir);
    return t_done();
}
