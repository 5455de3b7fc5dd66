/*
 * gen.c — the driver of `kumo gen`: checks options, builds the world, splits
 * --events over the chosen providers (CloudTrail, Azure, GCP), asks each
 * provider for its plan and runs the plan's units on a pool of threads.
 *
 * Units are handed out through one atomic counter, so which thread runs a
 * unit varies from run to run; the output does not, because a unit's bytes
 * depend only on (plan, unit). Every file is compressed whole with
 * libdeflate and written with one write(2); directories are created on first
 * use (mkdir -p, tolerating EEXIST from a racing thread).
 */
#include "gen/gen_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libdeflate.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Indexed by KM_GEN_PROV_*. */
static const struct km_gen_provider *const km_gen_providers[KM_GEN_NPROV] = {
    &km_gen_cloudtrail, &km_gen_azure, &km_gen_gcp};
static const char *const km_gen_prov_names[KM_GEN_NPROV] = {"aws", "azure", "gcp"};
static const uint32_t km_gen_default_share[KM_GEN_NPROV] = {KM_GEN_SHARE_AWS, KM_GEN_SHARE_AZURE,
                                                            KM_GEN_SHARE_GCP};

/* Records the planted scenarios need in each provider (the story alone by
 * default), for the providers chosen in m. */
static void scen_need(const struct km_gen_opts *o, unsigned m, uint64_t need[KM_GEN_NPROV])
{
    unsigned sm = km_gen_scen_mask(o);
    for (int p = 0; p < KM_GEN_NPROV; p++) {
        need[p] = 0;
        if (!(m & (1u << p)))
            continue;
        for (int s = 0; s < KM_GEN_NSCEN; s++)
            if (sm & (1u << s))
                need[p] += km_gen_scen_records(s, p, o->accounts);
    }
}

void km_gen_apportion(const double *wt, uint64_t n, double total, uint64_t events,
                      uint32_t *count)
{
    double cum = 0;
    uint64_t prev = 0;
    for (uint64_t u = 0; u < n; u++) {
        cum += wt[u];
        uint64_t c = u + 1 == n ? events : (uint64_t)((double)events * (cum / total));
        if (c > events)
            c = events;
        if (c < prev)
            c = prev;
        count[u] = (uint32_t)(c - prev);
        prev = c;
    }
}

void km_gen_opts_default(struct km_gen_opts *o)
{
    memset(o, 0, sizeof *o);
    o->events = KM_GEN_DEFAULT_EVENTS;
    o->seed = 1;
    o->accounts = KM_GEN_DEFAULT_ACCOUNTS;
    o->start = KM_GEN_DEFAULT_START;
    o->days = KM_GEN_DEFAULT_DAYS;
    o->level = KM_GEN_DEFAULT_LEVEL;
}

int km_gen_parse_date(const char *s, int64_t *out)
{
    int y, m, d;
    char tail;
    if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-' ||
        sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3)
        return KM_EUSAGE;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return KM_EUSAGE;
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (y < 1970 || y > 2099 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1] + (m == 2 && leap))
        return KM_EUSAGE;
    /* days-from-civil */
    int yy = y - (m <= 2);
    int era = yy / 400;
    int yoe = yy - era * 400;
    int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    int64_t days = (int64_t)era * 146097 + doe - 719468;
    *out = days * 86400;
    return KM_OK;
}

int km_gen_parse_providers(const char *s, unsigned *mask, uint32_t weight[KM_GEN_NPROV])
{
    unsigned m = 0;
    uint32_t wt[KM_GEN_NPROV] = {0, 0, 0};
    if (!s || !*s)
        return KM_EUSAGE;
    const char *p = s;
    for (;;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *colon = memchr(p, ':', len);
        size_t nlen = colon ? (size_t)(colon - p) : len;
        uint32_t v = 0;
        if (colon) {
            size_t dl = len - nlen - 1;
            if (dl == 0 || dl > 4)
                return KM_EUSAGE;
            for (size_t i = 0; i < dl; i++) {
                char c = colon[1 + i];
                if (c < '0' || c > '9')
                    return KM_EUSAGE;
                v = v * 10 + (uint32_t)(c - '0');
            }
            if (v < 1 || v > KM_GEN_MAX_WEIGHT)
                return KM_EUSAGE;
        }
        int found = -1;
        if (nlen == 3 && strncmp(p, "all", 3) == 0 && !colon) {
            if (m)
                return KM_EUSAGE;
            m = KM_GEN_P_ALL;
            found = KM_GEN_NPROV;
        }
        for (int i = 0; i < KM_GEN_NPROV && found < 0; i++)
            if (strlen(km_gen_prov_names[i]) == nlen && strncmp(p, km_gen_prov_names[i], nlen) == 0)
                found = i;
        if (found < 0)
            return KM_EUSAGE;
        if (found < KM_GEN_NPROV) {
            if (m & (1u << found))
                return KM_EUSAGE;
            m |= 1u << found;
            wt[found] = v;
        }
        if (!end)
            break;
        p = end + 1;
    }
    *mask = m;
    memcpy(weight, wt, sizeof wt);
    return KM_OK;
}

int km_gen_split(const struct km_gen_opts *o, uint64_t out[KM_GEN_NPROV])
{
    unsigned m = o->providers ? o->providers : KM_GEN_P_AWS;
    memset(out, 0, sizeof(uint64_t) * KM_GEN_NPROV);
    if (m & ~KM_GEN_P_ALL)
        return KM_EUSAGE;
    uint64_t wsum = 0, w[KM_GEN_NPROV] = {0, 0, 0}, need = 0, pn[KM_GEN_NPROV];
    scen_need(o, m, pn);
    int first = -1;
    for (int p = 0; p < KM_GEN_NPROV; p++) {
        if (!(m & (1u << p)))
            continue;
        if (o->weight[p] > KM_GEN_MAX_WEIGHT)
            return KM_EUSAGE;
        w[p] = o->weight[p] ? o->weight[p] : km_gen_default_share[p];
        wsum += w[p];
        need += pn[p];
        if (first < 0)
            first = p;
    }
    if (o->events < need)
        return KM_EUSAGE;
    uint64_t given = 0;
    for (int p = 0; p < KM_GEN_NPROV; p++) {
        out[p] = w[p] ? o->events / wsum * w[p] + o->events % wsum * w[p] / wsum : 0;
        given += out[p];
    }
    out[first] += o->events - given;
    /* every provider gets at least its plants: take the shortfall from the largest */
    for (int p = 0; p < KM_GEN_NPROV; p++) {
        while (w[p] && out[p] < pn[p]) {
            int big = -1;
            for (int q = 0; q < KM_GEN_NPROV; q++)
                if (q != p && w[q] && out[q] > pn[q] && (big < 0 || out[q] > out[big]))
                    big = q;
            if (big < 0)
                return KM_EUSAGE;
            uint64_t take = pn[p] - out[p];
            if (take > out[big] - pn[big])
                take = out[big] - pn[big];
            out[big] -= take;
            out[p] += take;
        }
    }
    return KM_OK;
}

/* mkdir -p for the directory part of `path` (everything before the last '/'). */
static int mkdir_parents(char *path)
{
    char *last = strrchr(path, '/');
    if (!last)
        return 0;
    *last = 0;
    int rc = 0;
    for (char *p = path + 1;; p++) {
        if (*p == '/' || *p == 0) {
            char c = *p;
            *p = 0;
            if (mkdir(path, 0755) != 0 && errno != EEXIST)
                rc = -1;
            *p = c;
            if (!c || rc)
                break;
        }
    }
    *last = '/';
    return rc;
}

/* Writes data[0..n) to out_dir/relpath with one write(2), creating
 * directories as needed, and counts the file. */
static int write_file(struct km_gen_thread *ts, const char *relpath, const char *data, size_t n,
                      uint64_t records, int append, struct km_err *err)
{
    int len = snprintf(ts->path, sizeof ts->path, "%s/%s", ts->out_dir, relpath);
    if (len < 0 || (size_t)len >= sizeof ts->path)
        return km_err_set(err, KM_EUSAGE, ts->out_dir, UINT64_MAX, "output path too long");
    int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : ts->force ? O_TRUNC : O_EXCL);
    int fd = open(ts->path, flags, 0644);
    if (fd < 0 && errno == ENOENT) {
        if (mkdir_parents(ts->path) != 0)
            return km_err_set(err, KM_EIO, ts->path, UINT64_MAX, "cannot create directory: %s",
                              strerror(errno));
        fd = open(ts->path, flags, 0644);
    }
    if (fd < 0)
        return km_err_set(err, KM_EIO, ts->path, UINT64_MAX, "cannot create file: %s",
                          strerror(errno));
    size_t off = 0;
    while (off < n) {
        ssize_t w = write(fd, data + off, n - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            int e = errno;
            close(fd);
            return km_err_set(err, KM_EIO, ts->path, off, "write failed: %s",
                              w < 0 ? strerror(e) : "short write");
        }
        off += (size_t)w;
    }
    if (close(fd) != 0)
        return km_err_set(err, KM_EIO, ts->path, UINT64_MAX, "close failed: %s", strerror(errno));
    ts->events += records;
    ts->files += !append;
    ts->bytes += n;
    ts->raw_bytes += ts->json.n;
    ts->json.n = 0;
    return KM_OK;
}

int km_gen_emit(struct km_gen_thread *ts, const char *relpath, uint64_t records,
                struct km_err *err)
{
    size_t bound = libdeflate_gzip_compress_bound(ts->cmp, ts->json.n);
    ts->gz.n = 0;
    if (km_gb_reserve(&ts->gz, bound))
        return km_err_set(err, KM_ENOMEM, NULL, UINT64_MAX, "out of memory (gzip buffer)");
    size_t z = libdeflate_gzip_compress(ts->cmp, ts->json.p, ts->json.n, ts->gz.p, bound);
    if (!z)
        return km_err_set(err, KM_EINTERNAL, NULL, UINT64_MAX, "libdeflate failed");
    return write_file(ts, relpath, ts->gz.p, z, records, 0, err);
}

int km_gen_emit_plain(struct km_gen_thread *ts, const char *relpath, uint64_t records,
                      int append, struct km_err *err)
{
    return write_file(ts, relpath, ts->json.p, ts->json.n, records, append, err);
}

struct km_gen_pool {
    const struct km_gen_provider *prov;
    void *state;
    uint64_t nunits;
    atomic_uint_fast64_t next;
    atomic_int stop;
    pthread_mutex_t lock;
    struct km_err *err;         /* first error wins, under lock */
    int rc;
};

struct km_gen_worker {
    pthread_t tid;
    struct km_gen_pool *pool;
    struct km_gen_thread ts;
};

static void *km_gen_work(void *arg)
{
    struct km_gen_worker *wk = arg;
    struct km_gen_pool *pool = wk->pool;
    struct km_err e;
    km_err_clear(&e);
    while (!atomic_load(&pool->stop)) {
        uint64_t u = atomic_fetch_add(&pool->next, 1);
        if (u >= pool->nunits)
            break;
        int rc = pool->prov->unit(pool->state, u, &wk->ts, &e);
        if (rc) {
            pthread_mutex_lock(&pool->lock);
            if (!pool->rc) {
                pool->rc = rc;
                if (pool->err)
                    *pool->err = e;
            }
            pthread_mutex_unlock(&pool->lock);
            atomic_store(&pool->stop, 1);
            break;
        }
    }
    return NULL;
}

/* Returns 1 if dir exists and has an entry other than . and .., 0 if empty,
 * -1 if it does not exist, -2 on another error (errno set). */
static int dir_state(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT ? -1 : -2;
    struct dirent *de;
    int full = 0;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
            full = 1;
            break;
        }
    }
    closedir(d);
    return full;
}

static int check_opts(const struct km_gen_opts *o, struct km_err *err)
{
    if (!o->out_dir || !*o->out_dir)
        return km_err_set(err, KM_EUSAGE, NULL, UINT64_MAX, "--out DIR is required");
    if (o->events < KM_GEN_MIN_EVENTS || o->events > KM_GEN_MAX_EVENTS)
        return km_err_set(err, KM_EUSAGE, NULL, UINT64_MAX,
                          "--events must be between %d and %llu", KM_GEN_MIN_EVENTS,
                          (unsigned long long)KM_GEN_MAX_EVENTS);
    if (o->accounts < 1 || o->accounts > KM_GEN_MAX_ACCOUNTS)
        return km_err_set(err, KM_EUSAGE, NULL, UINT64_MAX, "--accounts must be between 1 and %d",
                          KM_GEN_MAX_ACCOUNTS);
    if (o->days < 1 || o->days > KM_GEN_MAX_DAYS)
        return km_err_set(err, KM_EUSAGE, NULL, UINT64_MAX, "--days must be between 1 and %d",
                          KM_GEN_MAX_DAYS);
    if (o->threads > KM_GEN_MAX_THREADS)
        return km_err_set(err, KM_EUSAGE, NULL, UINT64_MAX, "--threads must be between 1 and %d",
                          KM_GEN_MAX_THREADS);
    if (o->level < 1 || o->level > 12)
        return km_err_set(err, KM_EUSAGE, NULL, UINT64_MAX, "--level must be between 1 and 12");
    unsigned m = o->providers ? o->providers : KM_GEN_P_AWS;
    if (o->scenarios & ~(KM_GEN_S_ALL | KM_GEN_S_NONE | KM_GEN_S_SKIP))
        return km_err_set(err, KM_EUSAGE, NULL, UINT64_MAX, "--scenarios: unknown scenario bits");
    unsigned sm = km_gen_scen_mask(o);
    for (int s = 0; s < KM_GEN_NSCEN; s++) {
        if (!(sm & (1u << s)))
            continue;
        uint32_t any = 0;
        for (int p = 0; p < KM_GEN_NPROV; p++)
            if (m & (1u << p))
                any += km_gen_scen_records(s, p, o->accounts);
        if (!any)
            return km_err_set(err, KM_EUSAGE, NULL, UINT64_MAX,
                              "--scenarios: %s plants nothing in the chosen --providers (it needs %s)",
                              km_gen_scen_names[s], s == KM_GEN_SCEN_BRUTEFORCE ? "azure" : "aws");
    }
    uint64_t pn[KM_GEN_NPROV], need = 0;
    scen_need(o, m & KM_GEN_P_ALL, pn);
    for (int p = 0; p < KM_GEN_NPROV; p++)
        need += pn[p];
    if (o->events < need && !(m & ~KM_GEN_P_ALL))
        return km_err_set(err, KM_EUSAGE, NULL, UINT64_MAX,
                          "--events: %llu is too few for the planted scenarios (at least %llu)",
                          (unsigned long long)o->events, (unsigned long long)need);
    uint64_t share[KM_GEN_NPROV];
    if (km_gen_split(o, share) != KM_OK)
        return km_err_set(err, KM_EUSAGE, NULL, UINT64_MAX,
                          "--providers: expected aws, azure, gcp or all, each at most once, "
                          "with an optional :WEIGHT of 1..%d",
                          KM_GEN_MAX_WEIGHT);
    /* 4102444800 = 2100-01-01 */
    if (o->start < 0 || o->start % 86400 != 0 || o->start + (int64_t)o->days * 86400 > 4102444800LL)
        return km_err_set(err, KM_EUSAGE, NULL, UINT64_MAX,
                          "--start must be a day between 1970 and 2099 (with --days inside it)");
    return KM_OK;
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int km_gen_run(const struct km_gen_opts *o, struct km_err *err)
{
    double t0 = now_s();
    int rc = check_opts(o, err);
    if (rc)
        return rc;
    int st = dir_state(o->out_dir);
    if (st == -2)
        return km_err_set(err, KM_EIO, o->out_dir, UINT64_MAX, "cannot read directory: %s",
                          strerror(errno));
    if (st == 1 && !o->force)
        return km_err_set(err, KM_EUSAGE, o->out_dir, UINT64_MAX,
                          "output directory is not empty (use --force to write into it)");
    if (st == -1) {
        char tmp[1024];
        int n = snprintf(tmp, sizeof tmp, "%s/x", o->out_dir);
        if (n < 0 || (size_t)n >= sizeof tmp || mkdir_parents(tmp) != 0)
            return km_err_set(err, KM_EIO, o->out_dir, UINT64_MAX, "cannot create directory: %s",
                              strerror(errno));
    }

    uint32_t threads = o->threads;
    if (!threads) {
        long c = sysconf(_SC_NPROCESSORS_ONLN);
        threads = c > 0 ? (uint32_t)c : 1;
        if (threads > KM_GEN_MAX_THREADS)
            threads = KM_GEN_MAX_THREADS;
    }

    struct km_gen_world w;
    rc = km_gen_world_build(&w, o->seed, o->accounts, o->start, o->days, err);
    if (rc)
        return rc;
    rc = km_gen_scen_build(&w, o, err);
    if (rc) {
        km_gen_scen_free(&w);
        km_gen_world_free(&w);
        return rc;
    }

    struct km_gen_worker *wk = calloc(threads, sizeof *wk);
    if (!wk) {
        km_gen_scen_free(&w);
        km_gen_world_free(&w);
        return km_err_set(err, KM_ENOMEM, NULL, UINT64_MAX, "out of memory (threads)");
    }
    for (uint32_t i = 0; i < threads; i++) {
        struct km_gen_thread *ts = &wk[i].ts;
        ts->out_dir = o->out_dir;
        ts->force = o->force;
        ts->cmp = libdeflate_alloc_compressor(o->level);
        if (!ts->cmp || km_gb_reserve(&ts->side[0], 16384) || km_gb_reserve(&ts->side[1], 16384))
            rc = km_err_set(err, KM_ENOMEM, NULL, UINT64_MAX, "out of memory (compressor)");
    }

    uint64_t share[KM_GEN_NPROV], done[KM_GEN_NPROV] = {0, 0, 0};
    if (!rc)
        rc = km_gen_split(o, share) == KM_OK ? KM_OK
             : km_err_set(err, KM_EUSAGE, NULL, UINT64_MAX, "cannot split --events over providers");
    for (size_t p = 0; p < KM_GEN_NPROV && !rc; p++) {
        if (!share[p])
            continue;
        uint64_t events = share[p], before = 0;
        for (uint32_t i = 0; i < threads; i++)
            before += wk[i].ts.events;
        struct km_gen_pool pool;
        memset(&pool, 0, sizeof pool);
        pool.prov = km_gen_providers[p];
        pool.err = err;
        pthread_mutex_init(&pool.lock, NULL);
        atomic_init(&pool.next, 0);
        atomic_init(&pool.stop, 0);
        rc = pool.prov->plan(&w, events, &pool.state, &pool.nunits, err);
        if (rc) {
            pthread_mutex_destroy(&pool.lock);
            break;
        }
        uint32_t started = 0;
        for (uint32_t i = 0; i < threads; i++) {
            wk[i].pool = &pool;
            if (i == 0)
                continue; /* the calling thread is worker 0 */
            if (pthread_create(&wk[i].tid, NULL, km_gen_work, &wk[i]) != 0)
                break;
            started++;
        }
        km_gen_work(&wk[0]);
        for (uint32_t i = 1; i <= started; i++)
            pthread_join(wk[i].tid, NULL);
        rc = pool.rc;
        pool.prov->free(pool.state);
        pthread_mutex_destroy(&pool.lock);
        for (uint32_t i = 0; i < threads; i++)
            done[p] += wk[i].ts.events;
        done[p] -= before;
    }

    struct km_gen_stats s;
    memset(&s, 0, sizeof s);
    memcpy(s.prov_events, done, sizeof done);
    for (uint32_t i = 0; i < threads; i++) {
        struct km_gen_thread *ts = &wk[i].ts;
        s.events += ts->events;
        s.files += ts->files;
        s.bytes += ts->bytes;
        s.raw_bytes += ts->raw_bytes;
        if (ts->cmp)
            libdeflate_free_compressor(ts->cmp);
        km_gb_free(&ts->json);
        km_gb_free(&ts->gz);
        km_gb_free(&ts->side[0]);
        km_gb_free(&ts->side[1]);
        free(ts->scratch);
    }
    free(wk);
    if (!rc && s.events != o->events)
        rc = km_err_set(err, KM_EINTERNAL, NULL, UINT64_MAX, "wrote %llu records, expected %llu",
                        (unsigned long long)s.events, (unsigned long long)o->events);
    /* the ground truth, after the logs */
    if (!rc && o->truth)
        rc = km_gen_scen_truth(&w, o, err);
    km_gen_scen_free(&w);
    km_gen_world_free(&w);
    s.seconds = now_s() - t0;
    if (o->stats)
        *o->stats = s;
    return rc;
}
