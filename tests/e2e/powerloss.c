/*
 * powerloss.c — a simulated power cut for tests/e2e/powerloss.sh.
 *
 * Built twice from this file:
 *
 *   cc -shared -fPIC -DPL_SHIM -o powerloss.so powerloss.c   (LD_PRELOAD shim)
 *   cc -DPL_RESTORE -o pl-restore powerloss.c                 (restorer)
 *
 * The model of durability is the pessimistic one POSIX allows: a file's
 * bytes survive a power cut only as they were at its last fsync/fdatasync;
 * a directory entry (a create, a rename, an unlink) survives only as it was
 * at the last fsync of its directory; syncfs() and sync() make everything
 * durable. The shim, preloaded into the process under test with
 * PL_ROOT=<store directory> and PL_SHADOW=<empty directory>, records that
 * durable state in the shadow as the process syncs: on fsync of a regular
 * file under PL_ROOT, a copy of its bytes (shadow/data/<inode>); on fsync of
 * a directory, its listing (shadow/dirs/=<path>: "f <inode> <name>" and
 * "d - <name>" lines); on syncfs/sync, all of it. At load it records the
 * whole tree (what existed before the process started is durable).
 *
 * After the process is killed (kill -9 at a chosen instant), the restorer
 * rebuilds the store as the disk would hold it after the power came back:
 *
 *   pl-restore SHADOW OUT
 *
 * OUT gets every directory entry that was durable, each file with the bytes
 * of its inode's last sync (empty when never synced). Nothing written after
 * the last sync survives; SQLite's -shm (a memory map, never synced, rebuilt
 * by SQLite) is not restored.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Path of a directory's listing in the shadow: '/' becomes '%'. */
static void listing_path(const char *shadow, const char *rel, char *out, size_t n)
{
    char enc[PATH_MAX];
    snprintf(enc, sizeof enc, "=%s", rel); /* the root is "=" */
    for (char *p = enc; *p; p++)
        if (*p == '/')
            *p = '%';
    snprintf(out, n, "%s/dirs/%s", shadow, enc);
}

#ifdef PL_SHIM
#include <dlfcn.h>
#include <pthread.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static char root[PATH_MAX], shadow[PATH_MAX];
static size_t rootn;
static int active;

static int (*real_fsync)(int);
static int (*real_fdatasync)(int);
static int (*real_syncfs)(int);
static void (*real_sync)(void);

static void copy_file(const char *from, ino_t ino)
{
    char tmp[PATH_MAX + 64], dst[PATH_MAX + 64];
    snprintf(tmp, sizeof tmp, "%s/data/%llu.tmp", shadow, (unsigned long long)ino);
    snprintf(dst, sizeof dst, "%s/data/%llu", shadow, (unsigned long long)ino);
    int in = open(from, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return;
    int out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out < 0) {
        close(in);
        return;
    }
    char buf[1 << 16];
    ssize_t r;
    while ((r = read(in, buf, sizeof buf)) > 0)
        if (write(out, buf, (size_t)r) != r)
            break;
    close(in);
    close(out);
    rename(tmp, dst);
}

/* rel: path relative to root ("" for root itself). */
static void record_dir(const char *rel, int recurse)
{
    char abs[PATH_MAX], lp[PATH_MAX + 64], tmp[PATH_MAX + 80];
    snprintf(abs, sizeof abs, "%s%s%s", root, rel[0] ? "/" : "", rel);
    listing_path(shadow, rel, lp, sizeof lp);
    snprintf(tmp, sizeof tmp, "%s.tmp", lp);
    DIR *d = opendir(abs);
    if (!d)
        return;
    FILE *f = fopen(tmp, "w");
    if (!f) {
        closedir(d);
        return;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char p[PATH_MAX], sub[PATH_MAX];
        snprintf(p, sizeof p, "%s/%s", abs, e->d_name);
        snprintf(sub, sizeof sub, "%s%s%s", rel, rel[0] ? "/" : "", e->d_name);
        struct stat st;
        if (lstat(p, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            fprintf(f, "d - %s\n", e->d_name);
            if (recurse)
                record_dir(sub, 1);
        } else if (S_ISREG(st.st_mode)) {
            fprintf(f, "f %llu %s\n", (unsigned long long)st.st_ino, e->d_name);
            if (recurse)
                copy_file(p, st.st_ino);
        }
    }
    closedir(d);
    fclose(f);
    rename(tmp, lp);
}

/* Records what an fsync of fd makes durable. */
static void record_fd(int fd)
{
    if (!active)
        return;
    char link[64], path[PATH_MAX];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof path - 1);
    if (n <= 0)
        return;
    path[n] = 0;
    if (strncmp(path, root, rootn) != 0 || (path[rootn] != 0 && path[rootn] != '/'))
        return;
    struct stat st;
    if (fstat(fd, &st) != 0)
        return;
    pthread_mutex_lock(&mu);
    if (S_ISDIR(st.st_mode))
        record_dir(path[rootn] ? path + rootn + 1 : "", 0);
    else if (S_ISREG(st.st_mode))
        copy_file(link, st.st_ino);
    pthread_mutex_unlock(&mu);
}

static void record_all(void)
{
    if (!active)
        return;
    pthread_mutex_lock(&mu);
    record_dir("", 1);
    pthread_mutex_unlock(&mu);
}

__attribute__((constructor)) static void init(void)
{
    real_fsync = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    real_fdatasync = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
    real_syncfs = (int (*)(int))dlsym(RTLD_NEXT, "syncfs");
    real_sync = (void (*)(void))dlsym(RTLD_NEXT, "sync");
    const char *r = getenv("PL_ROOT"), *s = getenv("PL_SHADOW");
    if (!r || !s)
        return;
    snprintf(root, sizeof root, "%s", r);
    snprintf(shadow, sizeof shadow, "%s", s);
    rootn = strlen(root);
    char p[PATH_MAX + 16];
    snprintf(p, sizeof p, "%s/data", shadow);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/dirs", shadow);
    mkdir(p, 0755);
    active = 1;
    record_all(); /* what exists before the process starts is durable */
}

int fsync(int fd)
{
    record_fd(fd);
    return real_fsync(fd);
}

int fdatasync(int fd)
{
    record_fd(fd);
    return real_fdatasync(fd);
}

int syncfs(int fd)
{
    record_all();
    return real_syncfs(fd);
}

void sync(void)
{
    record_all();
    real_sync();
}
#endif

#ifdef PL_RESTORE
static const char *shadow;

static int restore(const char *rel, const char *out)
{
    char lp[PATH_MAX + 64];
    listing_path(shadow, rel, lp, sizeof lp);
    if (mkdir(out, 0755) != 0 && errno != EEXIST) {
        perror(out);
        return 1;
    }
    FILE *f = fopen(lp, "r");
    if (!f)
        return 0; /* a directory whose listing was never durable: empty */
    char line[PATH_MAX + 64];
    int rc = 0;
    while (fgets(line, sizeof line, f)) {
        char type, ino[32], name[PATH_MAX];
        line[strcspn(line, "\n")] = 0;
        if (sscanf(line, "%c %31s %4095[^\n]", &type, ino, name) != 3)
            continue;
        char sub[PATH_MAX], dst[PATH_MAX + 256];
        snprintf(sub, sizeof sub, "%s%s%s", rel, rel[0] ? "/" : "", name);
        snprintf(dst, sizeof dst, "%s/%s", out, name);
        size_t nl = strlen(name);
        if (type == 'd') {
            rc |= restore(sub, dst);
        } else if (type == 'f' && !(nl > 4 && !strcmp(name + nl - 4, "-shm"))) {
            char src[PATH_MAX + 64];
            snprintf(src, sizeof src, "%s/data/%s", shadow, ino);
            int o = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0644);
            if (o < 0) {
                perror(dst);
                rc = 1;
                continue;
            }
            int i = open(src, O_RDONLY); /* absent: never synced, empty */
            char buf[1 << 16];
            ssize_t r;
            while (i >= 0 && (r = read(i, buf, sizeof buf)) > 0)
                if (write(o, buf, (size_t)r) != r) {
                    rc = 1;
                    break;
                }
            if (i >= 0)
                close(i);
            close(o);
        }
    }
    fclose(f);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: pl-restore SHADOW OUT\n");
        return 2;
    }
    shadow = argv[1];
    return restore("", argv[2]);
}
#endif
