/*
 * store.c — the store directory: opening (format, lock, catalog), paths,
 * and the per-group totals (store.h). The writer is writer.c, scans are
 * scan.c.
 */
#include "store/store.h"
#include "store/store_dir.h"

#include "store/catalog.h"
#include "store/vault.h"
#include "store/segment.h"
#include "core/fault.h"

#include <dirent.h>
#include <pthread.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <strings.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

struct km_store {
    char *dir;
    int lock_fd;
    struct km_catalog *cat;
};

static int mkdir_p(const char *path)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(buf, 0755) != 0 && errno != EEXIST)
        return -1;
    return 0;
}

int km_store_fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

void km_store_sweep(const char *dir, const char *sub, int (*keep)(const char *, void *), void *ctx)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/%s", dir, sub);
    DIR *d = opendir(p);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || (keep && keep(e->d_name, ctx)))
            continue;
        char f[4352];
        snprintf(f, sizeof f, "%s/%s", p, e->d_name);
        km_log(2, "kumo: removing %s\n", f);
        unlink(f);
    }
    closedir(d);
}

int km_store_open(const char *dir, int flags, struct km_store **out, struct km_err *err)
{
    *out = NULL;
    char p[4096];
    struct stat st;
    snprintf(p, sizeof p, "%s/FORMAT", dir);
    int exists = stat(p, &st) == 0;
    if (!exists && !(flags & KM_STORE_CREATE))
        return km_err_set(err, KM_ENOTFOUND, dir, UINT64_MAX,
                          "no kumo store here (run `kumo ingest` first, or pass --store DIR)");
    if (!exists) {
        const char *subs[] = {"", "/vault", "/segments", "/tmp"};
        for (size_t i = 0; i < KM_ARRAY_LEN(subs); i++) {
            snprintf(p, sizeof p, "%s%s", dir, subs[i]);
            if (mkdir_p(p) != 0)
                return km_err_set(err, KM_EIO, p, UINT64_MAX, "cannot create: %s",
                                  strerror(errno));
        }
    } else {
        FILE *f = fopen(p, "r");
        int ver = 0;
        if (!f || fscanf(f, "kumo-store %d", &ver) != 1) {
            if (f)
                fclose(f);
            return km_err_set(err, KM_ECORRUPT, p, UINT64_MAX, "unreadable store FORMAT file");
        }
        fclose(f);
        if (ver > KM_STORE_FORMAT_VERSION)
            return km_err_set(err, KM_EVERSION, dir, UINT64_MAX,
                              "store format %d is newer than this kumo reads (%d): upgrade kumo",
                              ver, KM_STORE_FORMAT_VERSION);
    }
    struct km_store *s = km_xcalloc(1, sizeof *s);
    s->dir = km_xstrdup(dir);
    s->lock_fd = -1;
    if (flags & KM_STORE_WRITE) {
        snprintf(p, sizeof p, "%s/LOCK", dir);
        s->lock_fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        int e = s->lock_fd < 0 ? errno : flock(s->lock_fd, LOCK_EX | LOCK_NB) != 0 ? errno : 0;
        if (e) {
            km_store_close(s);
            if (e == EWOULDBLOCK)
                return km_err_set(err, KM_EIO, p, UINT64_MAX,
                                  "store is being written by another kumo process");
            return km_err_set(err, KM_EIO, NULL, UINT64_MAX, "cannot lock %s: %s%s", p,
                              strerror(e),
                              e == EACCES || e == EROFS || e == EPERM
                                  ? " (read-only store? commands that only read need no lock)"
                                  : "");
        }
        km_store_sweep(dir, "tmp", NULL, NULL);
    }
    snprintf(p, sizeof p, "%s/catalog.sqlite", dir);
    int rc = km_cat_open(p, (flags & (KM_STORE_CREATE | KM_STORE_WRITE)) != 0, &s->cat, err);
    if (rc) {
        km_store_close(s);
        return rc;
    }
    if (!exists) {
        /* FORMAT last: its presence means the store is initialised */
        char tmp[4096];
        snprintf(tmp, sizeof tmp, "%s/FORMAT.tmp", dir);
        snprintf(p, sizeof p, "%s/FORMAT", dir);
        FILE *f = fopen(tmp, "w");
        if (!f || fprintf(f, "kumo-store %d\n", KM_STORE_FORMAT_VERSION) < 0 || fflush(f) != 0 ||
            fsync(fileno(f)) != 0 || fclose(f) != 0 || rename(tmp, p) != 0) {
            km_store_close(s);
            return km_err_set(err, KM_EIO, p, UINT64_MAX, "cannot write FORMAT");
        }
        km_store_fsync_dir(dir);
    }
    *out = s;
    return KM_OK;
}

void km_store_close(struct km_store *s)
{
    if (!s)
        return;
    km_cat_close(s->cat);
    if (s->lock_fd >= 0)
        close(s->lock_fd);
    free(s->dir);
    free(s);
}

const char *km_store_dir(const struct km_store *s) { return s->dir; }

void km_store_segment_path(const struct km_store *s, const char *name, char *out, size_t n)
{
    snprintf(out, n, "%s/segments/%s", s->dir, name);
}
struct km_catalog *km_store_catalog(struct km_store *s) { return s->cat; }

/* ---- stats ------------------------------------------------------------- */

int km_store_stats(struct km_store *s, struct km_stat_row **rows, size_t *n, struct km_err *err)
{
    return km_cat_group_totals(s->cat, rows, n, err);
}
