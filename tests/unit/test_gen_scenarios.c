/*
 * test_gen_scenarios.c — `kumo gen --scenarios`: the list parser, refusals
 * (a scenario with nothing to plant in the chosen providers, too few
 * events), exact totals per provider with every scenario, byte-identical
 * trees (ground truth included) for any thread count, the default equal to
 * `story`, `none` without the story, and the ground truth itself: it
 * parses, lists what was planted (record counts as the generator promised,
 * times inside the dataset and in order, addresses that no two scenarios
 * share, victims apart) and every planted CloudTrail record is in the logs.
 * tests/e2e/gen_scenarios.sh ingests a dataset and checks it through kumo.
 */
#include "t.h"

#include "cli/cli.h"
#include "core/km.h"
#include "gen/gen.h"
#include "json/json.h"

#include <ftw.h>
#include <libdeflate.h>
#include <sys/stat.h>
#include <unistd.h>

#define N_EVENTS 12000
#define N_ACCOUNTS 2

static char dir_a[64], dir_b[64], dir_c[64];

/* ---- helpers ---------------------------------------------------------------- */

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
    *n = fread(p, 1, sz > 0 ? (size_t)sz : 0, f);
    p[*n] = 0;
    fclose(f);
    return p;
}

/* Number of files that differ between two trees (paths or bytes); -1 if the
 * lists differ in length. */
static long tree_diff(const char *a, const char *b)
{
    size_t na, nb;
    char **la = list_files(a, &na);
    char **lb = list_files(b, &nb);
    long diff = na == nb ? 0 : -1;
    for (size_t i = 0; i < na && i < nb && diff >= 0; i++) {
        if (strcmp(la[i], lb[i]) != 0) {
            diff++;
            continue;
        }
        char pa[1200], pb[1200];
        snprintf(pa, sizeof pa, "%s/%s", a, la[i]);
        snprintf(pb, sizeof pb, "%s/%s", b, lb[i]);
        size_t za, zb;
        char *ba = read_all(pa, &za), *bb = read_all(pb, &zb);
        diff += !(ba && bb && za == zb && memcmp(ba, bb, za) == 0);
        free(ba);
        free(bb);
    }
    free_list(la, na);
    free_list(lb, nb);
    return diff;
}

static void wipe(const char *d)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf %s && mkdir -p %s", d, d);
    if (system(cmd) != 0)
        fprintf(stderr, "  cannot reset %s\n", d);
}

static int gen(const char *dir, unsigned scen, unsigned prov, uint32_t threads, int truth,
               struct km_gen_stats *st, struct km_err *e)
{
    struct km_gen_opts o;
    km_gen_opts_default(&o);
    o.out_dir = dir;
    o.events = N_EVENTS;
    o.days = 2;
    o.accounts = N_ACCOUNTS;
    o.seed = 7;
    o.threads = threads;
    o.providers = prov;
    o.scenarios = scen;
    o.truth = truth;
    o.stats = st;
    o.force = 1;
    km_err_clear(e);
    return km_gen_run(&o, e);
}

/* Every log record under dir as one text (gzip files decoded), or NULL. */
static char *dump_tree(const char *dir, size_t *n)
{
    char out[200], cmd[600];
    snprintf(out, sizeof out, "%s.txt", dir);
    snprintf(cmd, sizeof cmd,
             "cd %s && { find . -name '*.gz' -exec cat {} + | gzip -dc; find . -name '*.json' "
             "! -name 'kumo-ground-truth.json' -exec cat {} +; } > %s",
             dir, out);
    if (system(cmd) != 0)
        return NULL;
    char *t = read_all(out, n);
    unlink(out);
    return t;
}

/* Occurrences of s in text t[0..n). */
static long count_in(const char *t, size_t n, const char *s)
{
    long c = 0;
    size_t k = strlen(s);
    for (const char *p = t; p && (p = memmem(p, n - (size_t)(p - t), s, k)) != NULL; p += k)
        c++;
    return t ? c : -1;
}

static long grep_tree(const char *dir, const char *s)
{
    size_t n;
    char *t = dump_tree(dir, &n);
    long c = count_in(t, n, s);
    free(t);
    return c;
}

/* ---- tests ------------------------------------------------------------------ */

static void test_parse(void)
{
    unsigned m = 0;
    char why[160];
    T_EQ_INT(km_gen_parse_scenarios("all", &m, why, sizeof why), KM_OK);
    T_EQ_INT(m, KM_GEN_S_ALL | KM_GEN_S_SKIP);
    T_EQ_INT(km_gen_parse_scenarios("none", &m, why, sizeof why), KM_OK);
    T_EQ_INT(m, KM_GEN_S_NONE);
    T_EQ_INT(km_gen_parse_scenarios("spray,travel", &m, why, sizeof why), KM_OK);
    T_EQ_INT(m, (1u << KM_GEN_SCEN_SPRAY) | (1u << KM_GEN_SCEN_TRAVEL));
    T_EQ_INT(km_gen_parse_scenarios("story", &m, why, sizeof why), KM_OK);
    T_EQ_INT(m, 1u << KM_GEN_SCEN_STORY);
    for (int s = 0; s < KM_GEN_NSCEN; s++) {
        T_EQ_INT(km_gen_parse_scenarios(km_gen_scen_names[s], &m, why, sizeof why), KM_OK);
        T_EQ_INT(m, 1u << s);
    }
    T_EQ_INT(km_gen_parse_scenarios("spray,bogus", &m, why, sizeof why), KM_EUSAGE);
    T_CHECK(strstr(why, "bogus") != NULL);
    T_EQ_INT(km_gen_parse_scenarios("spray,spray", &m, why, sizeof why), KM_EUSAGE);
    T_CHECK(strstr(why, "twice") != NULL);
    T_EQ_INT(km_gen_parse_scenarios("all,spray", &m, why, sizeof why), KM_EUSAGE);
    T_EQ_INT(km_gen_parse_scenarios("", &m, why, sizeof why), KM_EUSAGE);
    T_EQ_INT(km_gen_parse_scenarios("spray,", &m, why, sizeof why), KM_EUSAGE);
    /* lateral: two cross-account copies fewer with one account */
    T_EQ_INT(km_gen_scen_records(KM_GEN_SCEN_LATERAL, KM_GEN_PROV_AWS, 1) + 2,
             km_gen_scen_records(KM_GEN_SCEN_LATERAL, KM_GEN_PROV_AWS, 4));
    T_EQ_INT(km_gen_scen_records(KM_GEN_SCEN_BRUTEFORCE, KM_GEN_PROV_AWS, 4), 0);
}

static void test_refused(void)
{
    struct km_gen_stats st;
    struct km_err e;
    wipe(dir_c);
    /* bruteforce is Entra ID only; leakedkey AWS only */
    T_EQ_INT(gen(dir_c, 1u << KM_GEN_SCEN_BRUTEFORCE, KM_GEN_P_AWS, 1, 1, &st, &e), KM_EUSAGE);
    T_CHECK(strstr(e.msg, "bruteforce") != NULL && strstr(e.msg, "azure") != NULL);
    T_EQ_INT(gen(dir_c, 1u << KM_GEN_SCEN_LEAKEDKEY, KM_GEN_P_AZURE | KM_GEN_P_GCP, 1, 1, &st, &e),
             KM_EUSAGE);
    T_CHECK(strstr(e.msg, "leakedkey") != NULL);
    /* a scenario with a part in the chosen providers is planted (the parts it can) */
    T_EQ_INT(gen(dir_c, 1u << KM_GEN_SCEN_SPRAY, KM_GEN_P_GCP, 1, 1, &st, &e), KM_OK);
    T_EQ_INT(st.events, N_EVENTS);
    /* "all" leaves out what the providers cannot hold */
    wipe(dir_c);
    T_EQ_INT(gen(dir_c, KM_GEN_S_ALL | KM_GEN_S_SKIP, KM_GEN_P_AWS, 1, 1, &st, &e), KM_OK);
    T_EQ_INT(st.events, N_EVENTS);
    char gp[200];
    snprintf(gp, sizeof gp, "%s/%s", dir_c, KM_GEN_TRUTH_FILE);
    size_t gn;
    char *g = read_all(gp, &gn);
    T_CHECK(g && !strstr(g, "\"scenario\":\"bruteforce\"") && strstr(g, "\"scenario\":\"leakedkey\""));
    free(g);
    /* too few events for everything */
    struct km_gen_opts o;
    km_gen_opts_default(&o);
    wipe(dir_c);
    o.out_dir = dir_c;
    o.events = 150;
    o.providers = KM_GEN_P_ALL;
    o.scenarios = KM_GEN_S_ALL;
    km_err_clear(&e);
    T_EQ_INT(km_gen_run(&o, &e), KM_EUSAGE);
    T_CHECK(strstr(e.msg, "--events") != NULL);
    /* the command line: a bad name is a usage error (exit 2) and writes nothing */
    wipe(dir_c);
    char a0[] = "gen", a1[] = "--out", a3[] = "--scenarios", a4[] = "spray,nosuch";
    char *argv[] = {a0, a1, dir_c, a3, a4, NULL};
    T_EQ_INT(km_cmd_gen(5, argv), 2);
    size_t n;
    char **l = list_files(dir_c, &n);
    T_EQ_INT(n, 0);
    free_list(l, n);
}

/* The default is the story alone, byte for byte; `none` has no story. */
static void test_default_story_none(void)
{
    struct km_gen_stats sa, sb;
    struct km_err e;
    wipe(dir_a);
    wipe(dir_b);
    T_EQ_INT(gen(dir_a, 0, KM_GEN_P_ALL, 2, 0, &sa, &e), KM_OK);
    T_EQ_INT(gen(dir_b, 1u << KM_GEN_SCEN_STORY, KM_GEN_P_ALL, 1, 0, &sb, &e), KM_OK);
    T_EQ_INT(tree_diff(dir_a, dir_b), 0);
    T_EQ_INT(sa.events, N_EVENTS);
    char gt[200];
    snprintf(gt, sizeof gt, "%s/%s", dir_a, KM_GEN_TRUTH_FILE);
    T_CHECK(access(gt, F_OK) != 0); /* the library writes it only when asked */
    /* the story: 8 + 22 + 3 records from its address */
    T_EQ_INT(grep_tree(dir_a, "203.0.113.66"), 8 + 22 * 2 + 3);
    wipe(dir_b);
    T_EQ_INT(gen(dir_b, KM_GEN_S_NONE, KM_GEN_P_ALL, 2, 1, &sb, &e), KM_OK);
    T_EQ_INT(sb.events, N_EVENTS);
    T_EQ_INT(sb.prov_events[KM_GEN_PROV_AWS], N_EVENTS * 60 / 100);
    size_t tn;
    char *t = dump_tree(dir_b, &tn);
    T_CHECK(t != NULL);
    T_EQ_INT(count_in(t, tn, "203.0.113.66"), 0);
    T_EQ_INT(count_in(t, tn, "backup-admin"), 0);
    free(t);
    size_t n;
    snprintf(gt, sizeof gt, "%s/%s", dir_b, KM_GEN_TRUTH_FILE);
    char *g = read_all(gt, &n);
    T_CHECK(g && strstr(g, "\"scenarios\":[]") != NULL);
    free(g);
}

/* Every scenario: exact totals, the same bytes for 1 and 3 threads. */
static void test_all_exact_deterministic(void)
{
    struct km_gen_stats sa, sb;
    struct km_err e;
    wipe(dir_a);
    wipe(dir_b);
    T_EQ_INT(gen(dir_a, KM_GEN_S_ALL, KM_GEN_P_ALL, 1, 1, &sa, &e), KM_OK);
    if (e.msg[0])
        fprintf(stderr, "  %s\n", e.msg);
    T_EQ_INT(gen(dir_b, KM_GEN_S_ALL, KM_GEN_P_ALL, 3, 1, &sb, &e), KM_OK);
    T_EQ_INT(sa.events, N_EVENTS);
    T_EQ_INT(sa.prov_events[KM_GEN_PROV_AWS], N_EVENTS * 60 / 100);
    T_EQ_INT(sa.prov_events[KM_GEN_PROV_AZURE], N_EVENTS * 25 / 100);
    T_EQ_INT(sa.prov_events[KM_GEN_PROV_GCP], N_EVENTS * 15 / 100);
    T_EQ_INT(sb.events, N_EVENTS);
    T_EQ_INT(sa.files, sb.files);
    T_EQ_INT(tree_diff(dir_a, dir_b), 0);
    /* one account and one provider at a time still add up */
    for (int p = 0; p < KM_GEN_NPROV; p++) {
        struct km_gen_opts o;
        km_gen_opts_default(&o);
        wipe(dir_c);
        o.out_dir = dir_c;
        o.events = 3000;
        o.days = 1;
        o.accounts = 1;
        o.providers = 1u << p;
        o.scenarios = KM_GEN_S_ALL | KM_GEN_S_SKIP;
        struct km_gen_stats s;
        o.stats = &s;
        km_err_clear(&e);
        int rc = km_gen_run(&o, &e);
        if (rc)
            fprintf(stderr, "  provider %d: %s\n", p, e.msg);
        T_EQ_INT(rc, KM_OK);
        T_EQ_INT(s.events, 3000);
    }
}

/* The ground truth of the `all` dataset in dir_a. */
static void test_truth(void)
{
    char path[200];
    snprintf(path, sizeof path, "%s/%s", dir_a, KM_GEN_TRUTH_FILE);
    size_t n;
    char *buf = read_all(path, &n);
    T_CHECK(buf != NULL);
    if (!buf)
        return;
    struct km_arena a;
    km_arena_init(&a, 0, 0);
    struct km_json *root = NULL;
    struct km_err e;
    km_err_clear(&e);
    T_EQ_INT(km_json_parse(buf, n, NULL, &a, &root, &e), KM_OK);
    const struct km_json *sc = km_json_get(root, "scenarios");
    T_CHECK(km_json_is_arr(sc));
    T_EQ_INT(sc ? sc->len : 0, KM_GEN_NSCEN);
    const struct km_json *seed = km_json_get(root, "seed");
    int64_t sv = 0;
    T_CHECK(km_json_i64(seed, &sv) == KM_OK && sv == 7);
    /* 2026-10-01 .. 2026-10-02 */
    const char *lo = "2026-10-01T00:00:00Z", *hi = "2026-10-03T00:00:00Z";
    char ips[KM_GEN_NSCEN * 4][20];
    int nips = 0, dup_ips = 0, si = 0;
    static char persons[400][64];
    int npersons = 0, dup_persons = 0;
    size_t tn;
    char *text = dump_tree(dir_a, &tn);
    T_CHECK(text != NULL);
    for (const struct km_json *s = sc ? sc->child : NULL; s; s = s->next, si++) {
        const struct km_json *name = km_json_get(s, "scenario");
        T_CHECK(km_json_is_str(name) && strcmp(name->str, km_gen_scen_names[si]) == 0);
        const struct km_json *f = km_json_get(s, "first"), *l = km_json_get(s, "last");
        T_CHECK(km_json_is_str(f) && km_json_is_str(l));
        if (!f || !l || !name)
            continue;
        T_CHECK(strcmp(f->str, lo) >= 0 && strcmp(l->str, hi) < 0 && strcmp(f->str, l->str) <= 0);
        const struct km_json *det = km_json_get(s, "detections");
        T_CHECK(km_json_is_arr(det) && det->len >= 1);
        /* the records the generator promised, per provider */
        static const char *const pn[KM_GEN_NPROV] = {"aws", "azure", "gcp"};
        for (int p = 0; p < KM_GEN_NPROV; p++) {
            int64_t v = -1;
            km_json_i64(km_json_path(s, p == 0 ? "records.aws" : p == 1 ? "records.azure"
                                                                         : "records.gcp"),
                        &v);
            if (v != (int64_t)km_gen_scen_records(si, p, N_ACCOUNTS))
                fprintf(stderr, "  %s %s: %lld records\n", name->str, pn[p], (long long)v);
            T_EQ_INT(v, km_gen_scen_records(si, p, N_ACCOUNTS));
        }
        const struct km_json *ent = km_json_get(s, "entities");
        /* no person in two scenarios (a world of 30 people has room for all) */
        const struct km_json *pe = km_json_get(ent, "persons");
        for (const struct km_json *x = pe ? pe->child : NULL; x && si != KM_GEN_SCEN_STORY;
             x = x->next) {
            for (int k = 0; k < npersons; k++)
                if (strcmp(persons[k], x->str) == 0 && dup_persons++ < 3)
                    fprintf(stderr, "  %s is in two scenarios (%s)\n", x->str, name->str);
            if (npersons < 400)
                snprintf(persons[npersons++], sizeof persons[0], "%s", x->str);
        }
        const struct km_json *ip = km_json_get(ent, "ips"), *cc = km_json_get(ent, "countries");
        T_CHECK(km_json_is_arr(ip) && ip->len >= 1 && km_json_is_arr(cc) && cc->len >= 1);
        T_CHECK(km_json_is_arr(km_json_get(ent, "persons")));
        T_CHECK(km_json_get(ent, "persons")->len >= 1);
        for (const struct km_json *x = ip ? ip->child : NULL; x && si != KM_GEN_SCEN_TRAVEL;
             x = x->next) {
            /* never a documentation or private range, except the story's */
            T_CHECK(si == KM_GEN_SCEN_STORY ||
                    (strncmp(x->str, "10.", 3) && strncmp(x->str, "192.168.", 8) &&
                     strncmp(x->str, "203.0.113.", 10) && strncmp(x->str, "198.51.100.", 11) &&
                     strncmp(x->str, "192.0.2.", 8)));
            for (int k = 0; k < nips; k++)
                dup_ips += strcmp(ips[k], x->str) == 0;
            if (nips < (int)(sizeof ips / sizeof ips[0]))
                snprintf(ips[nips++], sizeof ips[0], "%s", x->str);
        }
        /* the planted CloudTrail records are in the logs: their event ids */
        const struct km_json *ids = km_json_get(s, "event_ids");
        T_CHECK(km_json_is_arr(ids));
        if (si != KM_GEN_SCEN_STORY)
            T_CHECK(ids && ids->len >= 1);
        int checked = 0;
        for (const struct km_json *x = ids ? ids->child : NULL; x && checked < 3; x = x->next) {
            if (strchr(x->str, ':') || strchr(x->str, '#'))
                continue; /* Azure and Google ids: tests/e2e/gen_scenarios.sh */
            T_EQ_INT(count_in(text, tn, x->str), 1);
            checked++;
        }
        const struct km_json *sil = km_json_get(s, "silences");
        T_CHECK(km_json_is_arr(sil));
        if (si == KM_GEN_SCEN_TAMPERING || si == KM_GEN_SCEN_INCIDENT)
            T_EQ_INT(sil ? sil->len : 0, 1);
    }
    T_EQ_INT(dup_ips, 0);
    T_EQ_INT(dup_persons, 0);
    free(text);
    km_arena_free(&a);
    free(buf);
}

int main(void)
{
    snprintf(dir_a, sizeof dir_a, "/tmp/kumo-test-gens-a-XXXXXX");
    snprintf(dir_b, sizeof dir_b, "/tmp/kumo-test-gens-b-XXXXXX");
    snprintf(dir_c, sizeof dir_c, "/tmp/kumo-test-gens-c-XXXXXX");
    if (!mkdtemp(dir_a) || !mkdtemp(dir_b) || !mkdtemp(dir_c)) {
        perror("mkdtemp");
        return 1;
    }
    T_RUN(test_parse);
    T_RUN(test_refused);
    T_RUN(test_default_story_none);
    T_RUN(test_all_exact_deterministic);
    T_RUN(test_truth);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf %s %s %s", dir_a, dir_b, dir_c);
    if (system(cmd) != 0)
        fprintf(stderr, "  could not remove the temporary directories\n");
    return t_done();
}
