/*
 * vault.c — the evidence vault (vault.h) and raw-record retrieval: raw bytes
 * are re-read from the preserved original through the same decoder that
 * ingest used, so what `kumo show` prints is what the vault holds.
 */
#include "store/vault.h"

#include "core/hash.h"
#include "ingest/decode.h"
#include "store/catalog.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void km_vault_abs(struct km_store *s, const char *rel, char *out, size_t n)
{
    snprintf(out, n, "%s/%s", km_store_dir(s), rel);
}

int km_vault_put_fd(struct km_store *s, int fd, const char *label, char sha256[65],
                    uint64_t *size, char rel[160], int *fresh, struct km_err *err)
{
    static _Atomic unsigned seq;
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s/tmp/vault-%d-%u", km_store_dir(s), (int)getpid(), seq++);
    int out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0444);
    if (out < 0)
        return km_err_set(err, KM_EIO, tmp, UINT64_MAX, "cannot create: %s", strerror(errno));
    struct km_sha256 h;
    km_sha256_init(&h);
    size_t cap = 1 << 20;
    char *buf = km_xmalloc(cap);
    uint64_t total = 0;
    int rc = KM_OK;
    for (;;) {
        ssize_t r = read(fd, buf, cap);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = km_err_set(err, KM_EIO, label, total, "read failed: %s", strerror(errno));
            break;
        }
        if (r == 0)
            break;
        km_sha256_update(&h, buf, (size_t)r);
        for (ssize_t off = 0; off < r;) {
            ssize_t w = write(out, buf + off, (size_t)(r - off));
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0) {
                rc = km_err_set(err, KM_EIO, tmp, total, "write failed: %s", strerror(errno));
                break;
            }
            off += w;
        }
        if (rc)
            break;
        total += (uint64_t)r;
    }
    free(buf);
    uint8_t md[32];
    km_sha256_final(&h, md);
    if (!rc && fsync(out) != 0)
        rc = km_err_set(err, KM_EIO, tmp, UINT64_MAX, "fsync: %s", strerror(errno));
    close(out);
    if (rc) {
        unlink(tmp);
        return rc;
    }
    km_hex(md, 32, sha256);
    *size = total;
    snprintf(rel, 160, "vault/%.2s/%s", sha256, sha256);
    char dir[4096], fin[4096];
    snprintf(dir, sizeof dir, "%s/vault/%.2s", km_store_dir(s), sha256);
    snprintf(fin, sizeof fin, "%s/%s", km_store_dir(s), rel);
    mkdir(dir, 0755);
    struct stat st;
    if (stat(fin, &st) == 0 && (uint64_t)st.st_size == total) {
        unlink(tmp);
        *fresh = 0;
        return KM_OK;
    }
    if (rename(tmp, fin) != 0) {
        unlink(tmp);
        return km_err_set(err, KM_EIO, fin, UINT64_MAX, "cannot store in vault: %s",
                          strerror(errno));
    }
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    *fresh = 1;
    return KM_OK;
}

int km_vault_check(struct km_store *s, const char *rel, const char *sha256, uint64_t size,
                   struct km_err *err)
{
    char p[4096];
    km_vault_abs(s, rel, p, sizeof p);
    int fd = open(p, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return km_err_set(err, KM_EIO, p, UINT64_MAX, "vault object missing: %s",
                          strerror(errno));
    struct km_sha256 h;
    km_sha256_init(&h);
    char *buf = km_xmalloc(1 << 20);
    uint64_t total = 0;
    ssize_t r;
    while ((r = read(fd, buf, 1 << 20)) > 0) {
        km_sha256_update(&h, buf, (size_t)r);
        total += (uint64_t)r;
    }
    free(buf);
    close(fd);
    uint8_t md[32];
    char hex[65];
    km_sha256_final(&h, md);
    km_hex(md, 32, hex);
    if (r < 0)
        return km_err_set(err, KM_EIO, p, total, "read failed");
    if (total != size || strcmp(hex, sha256) != 0)
        return km_err_set(err, KM_ECORRUPT, p, UINT64_MAX,
                          "vault object does not match its hash (size %llu, sha256 %s)",
                          (unsigned long long)total, hex);
    return KM_OK;
}

int km_raw_read(struct km_store *s, uint64_t object, uint64_t offset, uint32_t length,
                char **out, char *where, size_t wn, struct km_err *err)
{
    *out = NULL;
    struct km_catalog *cat = km_store_catalog(s);
    struct km_object o;
    struct km_evidence ev;
    int rc = km_cat_object_get(cat, object, &o, err);
    if (rc)
        return rc;
    if ((rc = km_cat_evidence_by_id(cat, o.evidence_id, &ev, err)))
        return rc;
    char p[4096];
    km_vault_abs(s, ev.vault_path, p, sizeof p);
    if (where)
        snprintf(where, wn, "%s%s%s", ev.vault_path, o.member[0] ? "!" : "", o.member);
    struct km_decode_limits lim;
    km_decode_limits_default(&lim);
    struct km_decode *d;
    if ((rc = km_decode_open(p, -1, &lim, &d, err)))
        return rc;
    const struct km_member *m = NULL;
    for (;;) {
        if ((rc = km_decode_next(d, &m, err)))
            break;
        if (!m) {
            rc = km_err_set(err, KM_ENOTFOUND, p, UINT64_MAX, "member %llu not found",
                            (unsigned long long)o.idx);
            break;
        }
        if (m->index == o.idx)
            break;
    }
    if (rc) {
        km_decode_close(d);
        return rc;
    }
    char *res = km_xmalloc((size_t)length + 1);
    uint64_t pos = 0;
    size_t got = 0;
    char *buf = km_xmalloc(1 << 16);
    while (got < length) {
        ssize_t r = km_decode_read(d, buf, 1 << 16, err);
        if (r <= 0)
            break;
        uint64_t a = pos, b = pos + (uint64_t)r;
        if (b > offset && a < offset + length) {
            uint64_t from = offset > a ? offset - a : 0;
            uint64_t to = offset + length < b ? offset + length - a : (uint64_t)r;
            memcpy(res + got, buf + from, (size_t)(to - from));
            got += (size_t)(to - from);
        }
        pos = b;
    }
    free(buf);
    km_decode_close(d);
    if (got != length) {
        free(res);
        return km_err_set(err, KM_ECORRUPT, p, offset, "raw record truncated (%zu of %u bytes)",
                          got, length);
    }
    res[length] = 0;
    *out = res;
    return KM_OK;
}
