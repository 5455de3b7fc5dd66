/*
 * test_gen.c — `kumo gen`: determinism across thread counts, the S3 layout,
 * valid gzip + JSON (checked with jq), exact record count, the story, and
 * the distribution of the background (read-only share, error share, identity
 * types, sign-ins), plus option checking.
 */
#include "t.h"

#include "cli/cli.h"
#include "core/km.h"
#include "gen/gen.h"

#include <ftw.h>
#include <libdeflate.h>
#include <regex.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#define N_EVENTS 20000

static char dir_a[64], dir_b[64];

/* ---- tree walking ---------------------------------------------------------- */

static char **t_files;
static size_t t_nfiles, t_cap;
static size_t t_root_len;

static int collect(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
    (void)sb;
    (void)ftw;
    if (type != FTW_F)
        return 0;
    if (t_nfiles == t_cap) {
        t_cap = t_cap ? t_cap * 2 : 1024;
        t_files = realloc(t_files, t_cap * sizeof *t_files);
    }
    t_files[t_nfiles++] = strdup(path + t_root_len + 1);
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted relative paths of the regular files under root. */
static char **list_files(const char *root, size_t *n)
{
    t_files = NULL;
    t_nfiles = t_cap = 0;
    t_root_len = strlen(root);
    nftw(root, collect, 16, FTW_PHYS);
    if (t_nfiles)
        qsort(t_files, t_nfiles, sizeof *t_files, cmp_str);
    *n = t_nfiles;
    return t_files;
}

static void free_list(char **l, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(l[i]);
    free(l);
}

static unsigned char *read_all(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *p = malloc(sz > 0 ? (size_t)sz : 1);
    *n = fread(p, 1, (size_t)sz, f);
    fclose(f);
    return p;
}

static int gen(const char *dir, uint64_t events, uint32_t days, uint32_t accounts, uint32_t threads,
               struct km_gen_stats *st)
{
    struct km_gen_opts o;
    km_gen_opts_default(&o);
    o.out_dir = dir;
    o.events = events;
    o.days = days;
    o.accounts = accounts;
    o.threads = threads;
    o.seed = 42;
    o.stats = st;
    struct km_err e;
    km_err_clear(&e);
    int rc = km_gen_run(&o, &e);
    if (rc)
        fprintf(stderr, "  km_gen_run: %s\n", e.msg);
    return rc;
}

/* ---- tests ------------------------------------------------------------------ */

static void test_generate_deterministic(void)
{
    struct km_gen_stats sa, sb;
    T_EQ_INT(gen(dir_a, N_EVENTS, 2, 4, 1, &sa), KM_OK);
    T_EQ_INT(gen(dir_b, N_EVENTS, 2, 4, 2, &sb), KM_OK);
    T_EQ_INT(sa.events, N_EVENTS);
    T_EQ_INT(sb.events, N_EVENTS);
    T_EQ_INT(sa.files, sb.files);
    T_EQ_INT(sa.bytes, sb.bytes);
    T_CHECK(sa.files > 100);

    size_t na, nb;
    char **la = list_files(dir_a, &na);
    char **lb = list_files(dir_b, &nb);
    T_EQ_INT(na, sa.files);
    T_EQ_INT(na, nb);
    size_t same = 0;
    for (size_t i = 0; i < na && i < nb; i++) {
        if (strcmp(la[i], lb[i]) != 0)
            continue;
        char pa[512], pb[512];
        snprintf(pa, sizeof pa, "%s/%s", dir_a, la[i]);
        snprintf(pb, sizeof pb, "%s/%s", dir_b, lb[i]);
        size_t za, zb;
        unsigned char *ba = read_all(pa, &za), *bb = read_all(pb, &zb);
        same += ba && bb && za == zb && memcmp(ba, bb, za) == 0;
        free(ba);
        free(bb);
    }
    T_EQ_INT(same, na);
    free_list(la, na);
    free_list(lb, nb);
}

/* Per-file facts taken from the path. */
struct t_file {
    char account[13], region[24], date[11];
    int64_t stamp;              /* delivery minute from the name, Unix seconds */
};

static int64_t parse_ts(const char *s) /* "2026-10-01T09:12:33Z" or date-only prefix */
{
    char d[11];
    memcpy(d, s, 10);
    d[10] = 0;
    int64_t day = 0;
    if (km_gen_parse_date(d, &day) != KM_OK)
        return -1;
    int h = 0, m = 0, sec = 0;
    if (strlen(s) >= 19)
        sscanf(s + 11, "%2d:%2d:%2d", &h, &m, &sec);
    return day + h * 3600 + m * 60 + sec;
}

static void test_layout_and_content(void)
{
    size_t n;
    char **files = list_files(dir_a, &n);
    T_CHECK(n > 0);
    regex_t re;
    T_EQ_INT(regcomp(&re,
                     "^AWSLogs/([0-9]{12})/CloudTrail/([a-z]{2}-[a-z]+-[0-9])/([0-9]{4})/([0-9]{2})/"
                     "([0-9]{2})/([0-9]{12})_CloudTrail_([a-z]{2}-[a-z]+-[0-9])_([0-9]{4})([0-9]{2})"
                     "([0-9]{2})T([0-9]{2})([0-9]{2})Z_[A-Za-z0-9]{16}\\.json\\.gz$",
                     REG_EXTENDED),
             0);
    struct t_file *tf = calloc(n, sizeof *tf);
    char wrapped[] = "/tmp/kumo-test-gen-docs-XXXXXX";
    int wfd = mkstemp(wrapped);
    FILE *w = fdopen(wfd, "w");
    struct libdeflate_decompressor *dz = libdeflate_alloc_decompressor();
    size_t bad_name = 0, bad_gz = 0, bad_shape = 0;
    for (size_t i = 0; i < n; i++) {
        regmatch_t m[13];
        if (regexec(&re, files[i], 13, m, 0) != 0) {
            if (bad_name++ < 3)
                fprintf(stderr, "  bad name: %s\n", files[i]);
            continue;
        }
        const char *f = files[i];
#define SUB(k) (int)(m[k].rm_eo - m[k].rm_so), f + m[k].rm_so
        char acct2[13], region2[24];
        snprintf(tf[i].account, sizeof tf[i].account, "%.*s", SUB(1));
        snprintf(tf[i].region, sizeof tf[i].region, "%.*s", SUB(2));
        snprintf(tf[i].date, sizeof tf[i].date, "%.*s-%.*s-%.*s", SUB(3), SUB(4), SUB(5));
        snprintf(acct2, sizeof acct2, "%.*s", SUB(6));
        snprintf(region2, sizeof region2, "%.*s", SUB(7));
        char stamp[24];
        snprintf(stamp, sizeof stamp, "%.*s-%.*s-%.*sT%.*s:%.*s:00Z", SUB(8), SUB(9), SUB(10), SUB(11),
                 SUB(12));
#undef SUB
        T_EQ_STR(acct2, tf[i].account);
        T_EQ_STR(region2, tf[i].region);
        T_CHECK(strncmp(stamp, tf[i].date, 10) == 0); /* folder date = file stamp date */
        tf[i].stamp = parse_ts(stamp);

        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir_a, f);
        size_t zn;
        unsigned char *z = read_all(path, &zn);
        size_t isize = zn >= 4 ? (size_t)z[zn - 4] | (size_t)z[zn - 3] << 8 | (size_t)z[zn - 2] << 16 |
                                     (size_t)z[zn - 1] << 24
                               : 0;
        char *doc = malloc(isize + 1);
        size_t out = 0;
        if (libdeflate_gzip_decompress(dz, z, zn, doc, isize, &out) != LIBDEFLATE_SUCCESS ||
            out != isize) {
            bad_gz++;
        } else if (out < 14 || memcmp(doc, "{\"Records\":[", 12) != 0 || memcmp(doc + out - 2, "]}", 2) != 0 ||
                   memchr(doc, '\n', out) != NULL) {
            bad_shape++;
        } else {
            fprintf(w, "{\"f\":%zu,\"d\":", i);
            fwrite(doc, 1, out, w);
            fputs("}\n", w);
        }
        free(doc);
        free(z);
    }
    fclose(w);
    libdeflate_free_decompressor(dz);
    regfree(&re);
    T_EQ_INT(bad_name, 0);
    T_EQ_INT(bad_gz, 0);
    T_EQ_INT(bad_shape, 0);

    /* every document must parse; one TSV line per record */
    char tsv[] = "/tmp/kumo-test-gen-tsv-XXXXXX";
    close(mkstemp(tsv));
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "jq -r '.f as $f | .d.Records[] | [$f, .recipientAccountId, .awsRegion, .eventTime, "
             ".readOnly, (.errorCode // \"-\"), .userIdentity.type, .eventName, .sourceIPAddress, "
             "(.userIdentity.userName // \"-\"), .eventCategory, (.resources|length)] | @tsv' %s > %s",
             wrapped, tsv);
    T_EQ_INT(system(cmd), 0);

    FILE *r = fopen(tsv, "r");
    T_CHECK(r != NULL);
    char line[4096];
    long records = 0, ro = 0, errs = 0, logins = 0, data = 0, bad_acct = 0, bad_time = 0,
         unordered = 0, story = 0, story_bad = 0;
    long prev_file = -1;
    int64_t prev_t = 0;
    char types[16][32];
    int ntypes = 0;
    const char *story_names[] = {"GetCallerIdentity", "ListBuckets", "CreateUser",
                                 "AttachUserPolicy", "StopLogging"};
    int story_seen[5] = {0};
    while (r && fgets(line, sizeof line, r)) {
        char *col[12];
        int k = 0;
        for (char *p = strtok(line, "\t\n"); p && k < 12; p = strtok(NULL, "\t\n"))
            col[k++] = p;
        if (k != 12)
            continue;
        records++;
        long fi = atol(col[0]);
        if (fi < 0 || (size_t)fi >= n)
            continue;
        struct t_file *f = &tf[fi];
        bad_acct += strcmp(col[1], f->account) != 0 || strcmp(col[2], f->region) != 0;
        int64_t t = parse_ts(col[3]);
        /* delivered within 15 minutes after the event */
        bad_time += !(t <= f->stamp && t >= f->stamp - 15 * 60);
        if (fi == prev_file && t < prev_t)
            unordered++;
        prev_file = fi;
        prev_t = t;
        ro += strcmp(col[4], "true") == 0;
        errs += strcmp(col[5], "-") != 0;
        logins += strcmp(col[7], "ConsoleLogin") == 0;
        data += strcmp(col[10], "Data") == 0;
        int known = 0;
        for (int j = 0; j < ntypes; j++)
            known |= strcmp(types[j], col[6]) == 0;
        if (!known && ntypes < 16)
            snprintf(types[ntypes++], sizeof types[0], "%s", col[6]);
        if (strcmp(col[8], "203.0.113.66") == 0) {
            story++;
            story_bad += strcmp(col[9], "mallory.ops") != 0 || strcmp(col[6], "IAMUser") != 0;
            for (int j = 0; j < 5; j++)
                story_seen[j] |= strcmp(col[7], story_names[j]) == 0;
        }
    }
    if (r)
        fclose(r);
    unlink(tsv);
    unlink(wrapped);
    free(tf);
    free_list(files, n);

    T_EQ_INT(records, N_EVENTS);
    T_EQ_INT(bad_acct, 0);
    T_EQ_INT(bad_time, 0);
    T_EQ_INT(unordered, 0);
    T_EQ_INT(story, 8);
    T_EQ_INT(story_bad, 0);
    for (int j = 0; j < 5; j++)
        T_CHECK(story_seen[j]);
    double ro_share = (double)ro / (double)records, err_share = (double)errs / (double)records;
    fprintf(stderr, "  # read-only %.1f%%, errors %.1f%%, data %.1f%%, sign-ins %ld, identity types %d\n",
            100 * ro_share, 100 * err_share, 100.0 * (double)data / (double)records, logins, ntypes);
    T_CHECK(ro_share >= 0.60 && ro_share <= 0.90);
    T_CHECK(err_share >= 0.01 && err_share <= 0.10);
    T_CHECK(ntypes >= 3);
    T_CHECK(logins > 0);
    T_CHECK(data > 0);
}

static void test_small_and_seeded(void)
{
    /* the minimum size still holds the story; another seed gives other data */
    char d1[] = "/tmp/kumo-test-gen-small-XXXXXX", d2[] = "/tmp/kumo-test-gen-small-XXXXXX";
    T_CHECK(mkdtemp(d1) && mkdtemp(d2));
    struct km_gen_stats s1, s2;
    T_EQ_INT(gen(d1, KM_GEN_MIN_EVENTS, 1, 1, 2, &s1), KM_OK);
    T_EQ_INT(s1.events, KM_GEN_MIN_EVENTS);
    struct km_gen_opts o;
    km_gen_opts_default(&o);
    o.out_dir = d2;
    o.events = KM_GEN_MIN_EVENTS;
    o.days = 1;
    o.accounts = 1;
    o.seed = 43;
    o.stats = &s2;
    struct km_err e;
    km_err_clear(&e);
    T_EQ_INT(km_gen_run(&o, &e), KM_OK);
    size_t n1, n2;
    char **l1 = list_files(d1, &n1);
    char **l2 = list_files(d2, &n2);
    T_CHECK(n1 > 0 && n2 > 0 && strcmp(l1[0], l2[0]) != 0);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "cd %s && cat $(find . -name '*.gz') | gzip -dc | grep -o 203.0.113.66 | wc -l",
             d1);
    FILE *p = popen(cmd, "r");
    long hits = 0;
    T_CHECK(p && fscanf(p, "%ld", &hits) == 1);
    if (p)
        pclose(p);
    T_EQ_INT(hits, 8);
    free_list(l1, n1);
    free_list(l2, n2);
    snprintf(cmd, sizeof cmd, "rm -rf %s %s", d1, d2);
    T_EQ_INT(system(cmd), 0);
}

static void test_bad_options(void)
{
    struct km_gen_opts o;
    struct km_err e;
    char empty[] = "/tmp/kumo-test-gen-opts-XXXXXX";
    T_CHECK(mkdtemp(empty) != NULL);

    km_gen_opts_default(&o);
    o.out_dir = empty;
    o.events = 5; /* below the minimum */
    km_err_clear(&e);
    T_EQ_INT(km_gen_run(&o, &e), KM_EUSAGE);
    T_CHECK(strstr(e.msg, "--events") != NULL);

    km_gen_opts_default(&o);
    o.out_dir = empty;
    o.accounts = 0;
    km_err_clear(&e);
    T_EQ_INT(km_gen_run(&o, &e), KM_EUSAGE);
    T_CHECK(strstr(e.msg, "--accounts") != NULL);

    km_gen_opts_default(&o); /* non-empty directory without force */
    o.out_dir = dir_a;
    km_err_clear(&e);
    T_EQ_INT(km_gen_run(&o, &e), KM_EUSAGE);
    T_CHECK(strstr(e.msg, "not empty") != NULL);

    /* the command line: a non-number and a bad date are usage errors (exit 2) */
    char a0[] = "gen", a1[] = "--out", a3[] = "--events", a4[] = "12k", a5[] = "--start=2026-02-30";
    char *argv1[] = {a0, a1, empty, a3, a4, NULL};
    T_EQ_INT(km_cmd_gen(5, argv1), 2);
    char *argv2[] = {a0, a1, empty, a5, NULL};
    T_EQ_INT(km_cmd_gen(4, argv2), 2);
    size_t n;
    char **l = list_files(empty, &n);
    T_EQ_INT(n, 0); /* nothing written */
    free_list(l, n);
    rmdir(empty);

    int64_t t = 0;
    T_EQ_INT(km_gen_parse_date("2026-10-01", &t), KM_OK);
    T_EQ_INT(t, 1790812800);
    T_EQ_INT(km_gen_parse_date("2024-02-29", &t), KM_OK);
    T_EQ_INT(km_gen_parse_date("2026-02-29", &t), KM_EUSAGE);
    T_EQ_INT(km_gen_parse_date("2026-1-01", &t), KM_EUSAGE);
    T_EQ_INT(km_gen_parse_date("2026-10-01x", &t), KM_EUSAGE);
}

int main(void)
{
    snprintf(dir_a, sizeof dir_a, "/tmp/kumo-test-gen-a-XXXXXX");
    snprintf(dir_b, sizeof dir_b, "/tmp/kumo-test-gen-b-XXXXXX");
    if (!mkdtemp(dir_a) || !mkdtemp(dir_b)) {
        perror("mkdtemp");
        return 1;
    }
    T_RUN(test_generate_deterministic);
    T_RUN(test_layout_and_content);
    T_RUN(test_small_and_seeded);
    T_RUN(test_bad_options);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf %s %s", dir_a, dir_b);
    if (system(cmd) != 0)
        fprintf(stderr, "  could not remove %s %s\n", dir_a, dir_b);
    return t_done();
}
