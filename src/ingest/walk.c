/*
 * walk.c — km_walk(): expands the paths given to `kumo ingest` into the files
 * to acquire, in a stable order (see decode.h). Directories are read whole,
 * their names sorted bytewise, and walked depth first; nothing is followed
 * through a symbolic link, and no bad entry stops the walk.
 */
#include "ingest/decode.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define KM_WALK_PATH_MAX 4096

struct walk {
    int (*cb)(void *ctx, const char *path);
    void (*on_error)(void *ctx, const char *path, const char *why);
    void *ctx;
};

static void walk_err(const struct walk *w, const char *path, const char *why)
{
    if (w->on_error)
        w->on_error(w->ctx, path, why);
}

static int walk_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int walk_path(const struct walk *w, const char *path);

static int walk_dir(const struct walk *w, const char *path)
{
    DIR *dir = opendir(path);
    struct dirent *e;
    char **names = NULL;
    size_t n = 0, cap = 0, plen = strlen(path);
    int rc = 0;
    if (!dir) {
        walk_err(w, path, strerror(errno));
        return 0;
    }
    for (;;) {
        errno = 0;
        e = readdir(dir);
        if (!e) {
            if (errno)
                walk_err(w, path, strerror(errno));
            break;
        }
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            names = km_xrealloc(names, cap * sizeof *names);
        }
        names[n++] = km_xstrdup(e->d_name);
    }
    closedir(dir);
    if (n)
        qsort(names, n, sizeof *names, walk_cmp);
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(names[i]);
        int slash = plen > 0 && path[plen - 1] == '/';
        if (!rc) {
            if (plen + len + 2 > KM_WALK_PATH_MAX) {
                /* name the directory (a path that fits) and the entry */
                char why[320];
                snprintf(why, sizeof why, "entry '%.200s%s' skipped: path longer than %d bytes",
                         names[i], len > 200 ? "..." : "", KM_WALK_PATH_MAX);
                walk_err(w, path, why);
            } else {
                char *child = km_xmalloc(plen + len + 2);
                memcpy(child, path, plen);
                if (!slash)
                    child[plen] = '/';
                memcpy(child + plen + !slash, names[i], len + 1);
                rc = walk_path(w, child);
                free(child);
            }
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

static int walk_path(const struct walk *w, const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0) {
        walk_err(w, path, strerror(errno));
        return 0;
    }
    if (S_ISLNK(st.st_mode)) {
        walk_err(w, path, "symlink not followed");
        return 0;
    }
    if (S_ISDIR(st.st_mode))
        return walk_dir(w, path);
    if (!S_ISREG(st.st_mode)) {
        walk_err(w, path, "not a regular file");
        return 0;
    }
    if (access(path, R_OK) != 0) {
        walk_err(w, path, strerror(errno));
        return 0;
    }
    return w->cb(w->ctx, path);
}

int km_walk(char *const *paths, int npaths, int (*cb)(void *ctx, const char *path),
            void (*on_error)(void *ctx, const char *path, const char *why), void *ctx)
{
    struct walk w = {cb, on_error, ctx};
    for (int i = 0; i < npaths; i++) {
        int rc;
        if (strcmp(paths[i], "-") == 0)
            rc = cb(ctx, "-");
        else
            rc = walk_path(&w, paths[i]);
        if (rc)
            return rc;
    }
    return 0;
}
