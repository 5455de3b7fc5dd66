/*
 * test_gen_multi.c — `kumo gen --providers aws,azure,gcp`: the split of
 * --events over providers, option parsing, the native layouts of Entra ID
 * sign-in logs, the Azure Activity log and Cloud Audit Logs (paths, one JSON
 * object per line, every record inside its file's hour), byte-identical trees
 * whatever the thread count, CloudTrail output independent of the other
 * providers, and — with the real kumo binary (env KUMO, else BUILD/kumo next
 * to this test, else ./kumo) — ingestion with 0 rejected records, every
 * source in `kumo stats --json`, one person's e-mail found in all three
 * providers, and the story's address in all three.
 */
#include "t.h"

#include "core/km.h"
#include "gen/gen.h"

#include <ftw.h>
#include <libdeflate.h>
#include <regex.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#define N_EVENTS 12000
#define STORY_IP "203.0.113.66"

static char dir_a[64], dir_b[64], dir_c[64], store[64];
static char kumo[1024];

/* ---- helpers ------------------------------------------------------------------ */

static char **t_files;
static size_t t_nfiles, t_cap, t_root_len;

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

/* Sorted relative paths of the regular files under root (optionally under sub). */
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

static char *read_all(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = malloc(sz > 0 ? (size_t)sz + 1 : 1);
    *n = fread(p, 1, (size_t)(sz > 0 ? sz : 0), f);
    p[*n] = 0;
    fclose(f);
    return p;
}

static int gen(const char *dir, uint64_t events, unsigned providers, uint32_t threads,
               struct km_gen_stats *st)
{
    struct km_gen_opts o;
    km_gen_opts_default(&o);
    o.out_dir = dir;
    o.events = events;
    o.days = 3;
    o.accounts = 3;
    o.threads = threads;
    o.seed = 7;
    o.providers = providers;
    o.stats = st;
    o.force = 1;
    struct km_err e;
    km_err_clear(&e);
    int rc = km_gen_run(&o, &e);
    if (rc)
        fprintf(stderr, "  km_gen_run: %s\n", e.msg);
    return rc;
}

/* Runs cmd and returns its whole stdout (NULL on failure to start). */
static char *run(const char *cmd)
{
    FILE *p = popen(cmd, "r");
    if (!p)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (n + 4096 > cap) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
        size_t got = fread(buf + n, 1, cap - n - 1, p);
        if (!got)
            break;
        n += got;
    }
    buf[n] = 0;
    int rc = pclose(p);
    if (rc != 0)
        fprintf(stderr, "  '%s' exited with %d\n", cmd, rc);
    return buf;
}

/* The number after "key": in a JSON text, or -1. */
static long long json_num(const char *s, const char *key)
{
    char pat[96];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr(s, pat);
    return p ? strtoll(p + strlen(pat), NULL, 10) : -1;
}

static size_t count_str(const char *s, const char *needle)
{
    size_t n = 0, l = strlen(needle);
    for (const char *p = s; (p = strstr(p, needle)) != NULL; p += l)
        n++;
    return n;
}

static const char *find_kumo(void)
{
    const char *e = getenv("KUMO");
    if (e && *e && access(e, X_OK) == 0)
        return e;
    char self[900];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) {
        self[n] = 0;
        char *s = strrchr(self, '/'); /* BUILD/tests/test_gen_multi */
        if (s) {
            *s = 0;
            s = strrchr(self, '/');
            if (s) {
                *s = 0;
                snprintf(kumo, sizeof kumo, "%s/kumo", self);
                if (access(kumo, X_OK) == 0)
                    return kumo;
            }
        }
    }
    return access("./kumo", X_OK) == 0 ? "./kumo" : NULL;
}

/* ---- tests ---------------------------------------------------------------------- */

static void test_options(void)
{
    unsigned m = 0;
    uint32_t w[KM_GEN_NPROV];
    T_EQ_INT(km_gen_parse_providers("aws,azure,gcp", &m, w), KM_OK);
    T_EQ_INT(m, KM_GEN_P_ALL);
    T_EQ_INT(w[0] + w[1] + w[2], 0);
    T_EQ_INT(km_gen_parse_providers("all", &m, w), KM_OK);
    T_EQ_INT(m, KM_GEN_P_ALL);
    T_EQ_INT(km_gen_parse_providers("gcp:30,aws:70", &m, w), KM_OK);
    T_EQ_INT(m, KM_GEN_P_AWS | KM_GEN_P_GCP);
    T_EQ_INT(w[KM_GEN_PROV_AWS], 70);
    T_EQ_INT(w[KM_GEN_PROV_GCP], 30);
    T_EQ_INT(w[KM_GEN_PROV_AZURE], 0);
    T_EQ_INT(km_gen_parse_providers("azure", &m, w), KM_OK);
    T_EQ_INT(m, KM_GEN_P_AZURE);
    T_EQ_INT(km_gen_parse_providers("aws,aws", &m, w), KM_EUSAGE);
    T_EQ_INT(km_gen_parse_providers("aws,", &m, w), KM_EUSAGE);
    T_EQ_INT(km_gen_parse_providers("", &m, w), KM_EUSAGE);
    T_EQ_INT(km_gen_parse_providers("oci", &m, w), KM_EUSAGE);
    T_EQ_INT(km_gen_parse_providers("aws:0", &m, w), KM_EUSAGE);
    T_EQ_INT(km_gen_parse_providers("aws:1001", &m, w), KM_EUSAGE);
    T_EQ_INT(km_gen_parse_providers("aws:x", &m, w), KM_EUSAGE);
    T_EQ_INT(km_gen_parse_providers("all,aws", &m, w), KM_EUSAGE);

    struct km_gen_opts o;
    km_gen_opts_default(&o);
    uint64_t s[KM_GEN_NPROV];
    o.events = 1000;
    T_EQ_INT(km_gen_split(&o, s), KM_OK); /* default: aws only */
    T_EQ_INT(s[0], 1000);
    T_EQ_INT(s[1] + s[2], 0);
    o.providers = KM_GEN_P_ALL;
    T_EQ_INT(km_gen_split(&o, s), KM_OK);
    T_EQ_INT(s[0], 600);
    T_EQ_INT(s[1], 250);
    T_EQ_INT(s[2], 150);
    o.events = 1000000007;
    T_EQ_INT(km_gen_split(&o, s), KM_OK);
    T_EQ_INT(s[0] + s[1] + s[2], 1000000007);
    T_CHECK(s[1] >= 250000000 && s[1] <= 250000002);
    o.events = 100;
    o.providers = KM_GEN_P_AWS | KM_GEN_P_GCP;
    o.weight[KM_GEN_PROV_GCP] = 1; /* 1 part in 61: below the story, raised to it */
    T_EQ_INT(km_gen_split(&o, s), KM_OK);
    T_EQ_INT(s[0] + s[2], 100);
    T_CHECK(s[2] >= 3);
    o.weight[KM_GEN_PROV_GCP] = 0;
    o.providers = 8;
    T_EQ_INT(km_gen_split(&o, s), KM_EUSAGE);

    /* a bad --providers value is a usage error from km_gen_run too */
    o.providers = 8;
    o.out_dir = dir_c;
    struct km_err e;
    km_err_clear(&e);
    T_EQ_INT(km_gen_run(&o, &e), KM_EUSAGE);
    T_CHECK(strstr(e.msg, "--providers") != NULL);
}

static void test_deterministic_and_exact(void)
{
    struct km_gen_stats sa, sb;
    T_EQ_INT(gen(dir_a, N_EVENTS, KM_GEN_P_ALL, 1, &sa), KM_OK);
    T_EQ_INT(gen(dir_b, N_EVENTS, KM_GEN_P_ALL, 3, &sb), KM_OK);
    T_EQ_INT(sa.events, N_EVENTS);
    T_EQ_INT(sa.prov_events[KM_GEN_PROV_AWS], N_EVENTS * 60 / 100);
    T_EQ_INT(sa.prov_events[KM_GEN_PROV_AZURE], N_EVENTS * 25 / 100);
    T_EQ_INT(sa.prov_events[KM_GEN_PROV_GCP], N_EVENTS * 15 / 100);
    T_EQ_INT(sb.events, N_EVENTS);
    T_EQ_INT(sa.files, sb.files);
    T_EQ_INT(sa.bytes, sb.bytes);

    size_t na, nb;
    char **la = list_files(dir_a, &na);
    char **lb = list_files(dir_b, &nb);
    T_EQ_INT(na, sa.files);
    T_EQ_INT(na, nb);
    size_t same = 0;
    for (size_t i = 0; i < na && i < nb; i++) {
        if (strcmp(la[i], lb[i]) != 0)
            continue;
        char pa[1200], pb[1200];
        snprintf(pa, sizeof pa, "%s/%s", dir_a, la[i]);
        snprintf(pb, sizeof pb, "%s/%s", dir_b, lb[i]);
        size_t za, zb;
        char *ba = read_all(pa, &za), *bb = read_all(pb, &zb);
        same += ba && bb && za == zb && memcmp(ba, bb, za) == 0;
        free(ba);
        free(bb);
    }
    T_EQ_INT(same, na);
    free_list(la, na);
    free_list(lb, nb);
}

/* The hour "YYYY-MM-DDTHH" a record's time starts with must be the file's. */
static int hour_of_path(const char *rel, char out[14])
{
    int y, mo, d, h;
    const char *p = strstr(rel, "/y=");
    if (p && sscanf(p, "/y=%4d/m=%2d/d=%2d/h=%2d/", &y, &mo, &d, &h) == 4) {
        snprintf(out, 14, "%04d-%02d-%02dT%02d", y, mo, d, h);
        return 0;
    }
    p = strstr(rel, "cloudaudit.googleapis.com/");
    if (p && (p = strchr(p + 26, '/')) && sscanf(p, "/%4d/%2d/%2d/%2d:", &y, &mo, &d, &h) == 4) {
        snprintf(out, 14, "%04d-%02d-%02dT%02d", y, mo, d, h);
        return 0;
    }
    return -1;
}

static void test_layout(void)
{
    static const char *const pats[] = {
        "^AWSLogs/[0-9]{12}/CloudTrail/[a-z0-9-]+/[0-9]{4}/[0-9]{2}/[0-9]{2}/"
        "[0-9]{12}_CloudTrail_[a-z0-9-]+_[0-9]{8}T[0-9]{4}Z_[A-Za-z0-9]{16}\\.json\\.gz$",
        "^insights-logs-signinlogs/resourceId=/tenants/[0-9a-f-]{36}/providers/Microsoft\\.aadiam/"
        "y=[0-9]{4}/m=[0-9]{2}/d=[0-9]{2}/h=[0-9]{2}/m=00/PT1H\\.json$",
        "^insights-logs-noninteractiveusersigninlogs/resourceId=/tenants/[0-9a-f-]{36}/providers/"
        "Microsoft\\.aadiam/y=[0-9]{4}/m=[0-9]{2}/d=[0-9]{2}/h=[0-9]{2}/m=00/PT1H\\.json$",
        "^insights-activity-logs/resourceId=/SUBSCRIPTIONS/[0-9A-F-]{36}/"
        "y=[0-9]{4}/m=[0-9]{2}/d=[0-9]{2}/h=[0-9]{2}/m=00/PT1H\\.json$",
        "^cloudaudit\\.googleapis\\.com/activity/[0-9]{4}/[0-9]{2}/[0-9]{2}/"
        "([0-9]{2}):00:00_\\1:59:59_S[0-9]+\\.json$",
        "^cloudaudit\\.googleapis\\.com/data_access/[0-9]{4}/[0-9]{2}/[0-9]{2}/"
        "([0-9]{2}):00:00_\\1:59:59_S[0-9]+\\.json$",
    };
    enum { NP = 6 };
    regex_t re[NP];
    for (int k = 0; k < NP; k++)
        T_EQ_INT(regcomp(&re[k], pats[k], REG_EXTENDED | REG_NOSUB), 0);
    size_t n;
    char **l = list_files(dir_a, &n);
    size_t per[NP] = {0}, bad = 0, records[NP] = {0}, wrong_hour = 0, not_object = 0;
    struct libdeflate_decompressor *dc = libdeflate_alloc_decompressor();
    char *big = malloc(64u << 20);
    for (size_t i = 0; i < n; i++) {
        int k = 0;
        while (k < NP && regexec(&re[k], l[i], 0, NULL, 0) != 0)
            k++;
        if (k == NP) {
            if (bad++ < 5)
                fprintf(stderr, "  unexpected path %s\n", l[i]);
            continue;
        }
        per[k]++;
        char path[1200];
        snprintf(path, sizeof path, "%s/%s", dir_a, l[i]);
        size_t z;
        char *data = read_all(path, &z);
        if (!data)
            continue;
        if (k == 0) { /* CloudTrail: count records in the gunzipped document */
            size_t out = 0;
            if (libdeflate_gzip_decompress(dc, data, z, big, (64u << 20) - 1, &out) == 0) {
                big[out] = 0;
                records[0] += count_str(big, "\"eventVersion\":");
            }
            free(data);
            continue;
        }
        char hour[14];
        T_EQ_INT(hour_of_path(l[i], hour), 0);
        const char *tkey = k >= 4 ? "\"timestamp\":\"" : "\"time\":\"";
        for (char *line = data; *line;) {
            char *nl = strchr(line, '\n');
            if (!nl)
                break; /* every record ends with a newline */
            *nl = 0;
            records[k]++;
            not_object += line[0] != '{' || nl[-1] != '}';
            /* Azure's "time" is the first key, GCP's "timestamp" the last */
            const char *t = k >= 4 ? strstr(line, tkey)
                            : strncmp(line + 1, tkey, strlen(tkey)) == 0 ? line + 1 : NULL;
            if (k >= 4 && t) { /* the last "timestamp" of the line */
                const char *u;
                while ((u = strstr(t + 1, tkey)) != NULL)
                    t = u;
            }
            if (!t || strncmp(t + strlen(tkey), hour, 13) != 0)
                wrong_hour++;
            line = nl + 1;
        }
        free(data);
    }
    free(big);
    libdeflate_free_decompressor(dc);
    T_EQ_INT(bad, 0);
    for (int k = 0; k < NP; k++) {
        T_CHECK(per[k] > 0);
        T_CHECK(records[k] > 0);
    }
    T_EQ_INT(wrong_hour, 0);
    T_EQ_INT(not_object, 0);
    T_EQ_INT(records[0], N_EVENTS * 60 / 100);
    T_EQ_INT(records[1] + records[2] + records[3], N_EVENTS * 25 / 100);
    T_EQ_INT(records[4] + records[5], N_EVENTS * 15 / 100);
    T_CHECK(records[5] < records[4]); /* Data Access is mostly off */
    T_CHECK(records[2] > records[1] / 2); /* token refreshes */
    T_CHECK(per[1] <= 3 * 24 && per[2] <= 3 * 24); /* one blob per hour and category */
    T_CHECK(per[3] <= 3 * 24 * 4);
    free_list(l, n);
    for (int k = 0; k < NP; k++)
        regfree(&re[k]);
}

/* CloudTrail does not change when Azure and GCP are added: the AWS part of
 * an all-provider run equals an AWS-only run with the AWS share. */
static void test_aws_unchanged(void)
{
    struct km_gen_stats st;
    T_EQ_INT(gen(dir_c, N_EVENTS * 60 / 100, KM_GEN_P_AWS, 2, &st), KM_OK);
    size_t na, nc;
    char **la = list_files(dir_a, &na);
    char **lc = list_files(dir_c, &nc);
    size_t aws = 0, same = 0;
    for (size_t i = 0; i < na; i++)
        aws += strncmp(la[i], "AWSLogs/", 8) == 0;
    T_EQ_INT(aws, nc);
    size_t j = 0;
    for (size_t i = 0; i < na && j < nc; i++) {
        if (strncmp(la[i], "AWSLogs/", 8) != 0)
            continue;
        if (strcmp(la[i], lc[j]) == 0) {
            char pa[1200], pc[1200];
            snprintf(pa, sizeof pa, "%s/%s", dir_a, la[i]);
            snprintf(pc, sizeof pc, "%s/%s", dir_c, lc[j]);
            size_t za, zc;
            char *ba = read_all(pa, &za), *bc = read_all(pc, &zc);
            same += ba && bc && za == zc && memcmp(ba, bc, za) == 0;
            free(ba);
            free(bc);
        }
        j++;
    }
    T_EQ_INT(same, nc);
    free_list(la, na);
    free_list(lc, nc);
}

/* Provider of each jsonl line of `kumo events`. */
static void providers_of(const char *out, size_t *aws, size_t *azure, size_t *gcp)
{
    *aws = count_str(out, "\"provider\":\"aws\"");
    *azure = count_str(out, "\"provider\":\"azure\"");
    *gcp = count_str(out, "\"provider\":\"gcp\"");
}

static void test_ingest(void)
{
    const char *k = find_kumo();
    if (!k) {
        fprintf(stderr, "  no kumo binary (set KUMO or build BUILD/kumo)\n");
        T_CHECK(k != NULL);
        return;
    }
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s' -q ingest --json --store '%s' '%s' 2>/dev/null", k, store,
             dir_a);
    char *out = run(cmd);
    T_CHECK(out != NULL);
    if (!out)
        return;
    T_EQ_INT(json_num(out, "records_rejected"), 0);
    T_EQ_INT(json_num(out, "files_failed"), 0);
    T_EQ_INT(json_num(out, "events_new"), N_EVENTS);
    T_EQ_INT(json_num(out, "events_duplicate"), 0);
    T_EQ_INT(json_num(out, "type_problems"), 0);
    T_EQ_INT(json_num(out, "time_fallbacks"), 0);
    if (json_num(out, "records_rejected") != 0)
        fprintf(stderr, "  %.2000s\n", out);
    free(out);

    snprintf(cmd, sizeof cmd, "'%s' stats --json --store '%s'", k, store);
    out = run(cmd);
    T_CHECK(out != NULL);
    if (!out)
        return;
    static const char *const sources[] = {"aws.cloudtrail", "azure.signin", "azure.activity",
                                          "gcp.audit.activity", "gcp.audit.data_access"};
    for (size_t i = 0; i < KM_ARRAY_LEN(sources); i++) {
        char pat[80];
        snprintf(pat, sizeof pat, "\"source\":\"%s\"", sources[i]);
        if (!strstr(out, pat))
            fprintf(stderr, "  stats lacks %s\n", sources[i]);
        T_CHECK(strstr(out, pat) != NULL);
    }
    T_EQ_INT(json_num(out, "events"), N_EVENTS);
    free(out);

    /* the story's address: 8 CloudTrail calls, 21 sign-ins and a denied role
     * assignment in Azure, 3 Google Cloud calls */
    snprintf(cmd, sizeof cmd,
             "'%s' events --store '%s' --ip " STORY_IP " --format jsonl --limit 1000", k, store);
    out = run(cmd);
    size_t aws, azure, gcp;
    providers_of(out ? out : "", &aws, &azure, &gcp);
    T_EQ_INT(aws, 8);
    T_EQ_INT(azure, 22);
    T_EQ_INT(gcp, 3);
    T_EQ_INT(count_str(out ? out : "", "\"error.code\":\"50126\""), 18);
    T_CHECK(out && strstr(out, "\"action\":\"SetIamPolicy\""));
    T_CHECK(out && strstr(out, "\"action\":\"StopLogging\""));
    /* the one successful spray sign-in is the story person's, and she is the
     * one whose Google identity then grants roles/owner */
    char email[96] = "";
    const char *sig = out ? strstr(out, "\"action\":\"SetIamPolicy\"") : NULL;
    if (sig) {
        const char *line = sig;
        while (line > out && line[-1] != '\n')
            line--;
        const char *em = strstr(line, "\"actor.email\":\"");
        if (em && em < sig)
            sscanf(em + 15, "%95[^\"]", email);
    }
    T_CHECK(strncmp(email, "mallory.", 8) == 0);
    free(out);

    /* one person's e-mail address joins the three clouds: the story person,
     * and the busiest human Google principal */
    for (int round = 0; round < 2; round++) {
        char who[96];
        if (round == 0) {
            snprintf(who, sizeof who, "%s", email);
        } else {
            snprintf(cmd, sizeof cmd,
                     "cat '%s'/cloudaudit.googleapis.com/activity/*/*/*/*.json | "
                     "grep -o '\"principalSubject\":\"user:[^\"]*\"' | grep -v mallory | sort | "
                     "uniq -c | sort -rn | head -1 | sed 's/.*user://; s/\"$//'",
                     dir_a);
            char *w1 = run(cmd);
            snprintf(who, sizeof who, "%s", w1 ? w1 : "");
            free(w1);
            who[strcspn(who, "\n")] = 0;
        }
        T_CHECK(strchr(who, '@') != NULL);
        snprintf(cmd, sizeof cmd,
                 "'%s' events --store '%s' --actor '%s' --format jsonl --limit 100000", k, store,
                 who);
        out = run(cmd);
        providers_of(out ? out : "", &aws, &azure, &gcp);
        if (!aws || !azure || !gcp)
            fprintf(stderr, "  %s: aws %zu azure %zu gcp %zu\n", who, aws, azure, gcp);
        T_CHECK(aws > 0);
        T_CHECK(azure > 0);
        T_CHECK(gcp > 0);
        /* the same lower-case address on every event */
        char pat[160];
        snprintf(pat, sizeof pat, "\"actor.email\":\"%s\"", who);
        T_EQ_INT(count_str(out ? out : "", pat), aws + azure + gcp);
        free(out);
    }
}

int main(void)
{
    snprintf(dir_a, sizeof dir_a, "/tmp/kumo-test-genm-a-XXXXXX");
    snprintf(dir_b, sizeof dir_b, "/tmp/kumo-test-genm-b-XXXXXX");
    snprintf(dir_c, sizeof dir_c, "/tmp/kumo-test-genm-c-XXXXXX");
    snprintf(store, sizeof store, "/tmp/kumo-test-genm-s-XXXXXX");
    if (!mkdtemp(dir_a) || !mkdtemp(dir_b) || !mkdtemp(dir_c) || !mkdtemp(store)) {
        perror("mkdtemp");
        return 1;
    }
    T_RUN(test_options);
    T_RUN(test_deterministic_and_exact);
    T_RUN(test_layout);
    T_RUN(test_aws_unchanged);
    T_RUN(test_ingest);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf %s %s %s %s", dir_a, dir_b, dir_c, store);
    if (system(cmd) != 0)
        fprintf(stderr, "  could not remove the temporary directories\n");
    return t_done();
}
