/*
 * test_registry.c — every registered source and command is complete: a
 * source has a unique name, a provider, detect/normalize callbacks, its doc
 * file, its module's fuzz target and seeds on which that very source is
 * detected (each seed is parsed, and its root, the elements of a top-level
 * array and of every top-level array member are detected and normalized; the
 * source named by the event, or detected when normalize refuses it, counts);
 * a command has a summary and usage; every field of the
 * event has a unique dotted name that km_field_lookup finds; every error code
 * has a text.
 */
#include "cli/cli.h"
#include "core/event.h"
#include "json/json.h"
#include "sources/source.h"
#include "t.h"

#include <dirent.h>
#include <sys/stat.h>

static int exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

static int nonempty_dir(const char *p)
{
    DIR *d = opendir(p);
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += e->d_name[0] != '.';
    closedir(d);
    return n > 0;
}

static void test_sources_complete(void)
{
    T_CHECK(km_nsources >= 1);
    for (int i = 0; i < km_nsources; i++) {
        const struct km_source *s = km_sources[i];
        T_CHECK(s->name && s->provider && s->summary && s->doc);
        T_CHECK(s->detect && s->normalize);
        if (s->doc && !exists(s->doc)) {
            fprintf(stderr, "  source %s: doc %s missing\n", s->name, s->doc);
            T_CHECK(0);
        }
        for (int j = 0; j < i; j++)
            T_CHECK(strcmp(s->name, km_sources[j]->name) != 0);
    }
}

static void test_fuzz_targets_have_seeds(void)
{
    DIR *d = opendir("tests/fuzz");
    T_CHECK(d != NULL);
    if (!d)
        return;
    struct dirent *e;
    int n = 0;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (strncmp(e->d_name, "fuzz_", 5) != 0 || len < 3 || strcmp(e->d_name + len - 2, ".c"))
            continue;
        char dir[512];
        snprintf(dir, sizeof dir, "tests/fuzz/corpus/%.*s", (int)(len - 7), e->d_name + 5);
        if (!nonempty_dir(dir)) {
            fprintf(stderr, "  fuzz target %s has no seeds in %s\n", e->d_name, dir);
            T_CHECK(0);
        }
        n++;
    }
    closedir(d);
    T_CHECK(n >= 3); /* json, records, decode, and one per source */
}

/* Records of a seed: the root, the elements of a top-level array, and the
 * elements of every array that is a member of a top-level object (Records,
 * value, entries, configurationItems, ...). */
static void mark_record(const struct km_json *rec, const char *wrapper, char *seen,
                        struct km_arena *a)
{
    const struct km_source *s = km_source_detect(rec, wrapper, NULL);
    if (!s)
        return;
    /* the seed's arena: normalize may hang nodes it parses (embedded JSON)
     * into the tree, which later records of the seed still walk */
    struct km_norm_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.arena = a;
    ctx.file = "seed";
    ctx.wrapper = wrapper;
    struct km_event ev;
    km_event_init(&ev);
    struct km_err err;
    km_err_clear(&err);
    /* normalize may consume the tree's strings: detect first, on a copy */
    const char *name = s->name;
    struct km_json *copy = (struct km_json *)rec;
    if (s->normalize(copy, &ctx, &ev, &err) == KM_OK && ev.f[KM_F_SOURCE].p)
        name = NULL;
    for (int i = 0; i < km_nsources; i++) {
        if (name ? strcmp(km_sources[i]->name, name) == 0
                 : strlen(km_sources[i]->name) == ev.f[KM_F_SOURCE].n &&
                       memcmp(km_sources[i]->name, ev.f[KM_F_SOURCE].p, ev.f[KM_F_SOURCE].n) == 0)
            seen[i] = 1;
    }
}

static void mark_seed(const char *path, char *seen)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return;
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    struct km_arena a;
    km_arena_init(&a, 4096, 1 << 26);
    struct km_json *root = NULL;
    struct km_err err;
    km_err_clear(&err);
    if (km_json_parse(buf, n, NULL, &a, &root, &err) == KM_OK) {
        if (km_json_is_arr(root)) {
            for (struct km_json *c = root->child; c; c = c->next)
                mark_record(c, NULL, seen, &a);
        } else if (km_json_is_obj(root)) {
            mark_record(root, NULL, seen, &a);
            for (struct km_json *m = root->child; m; m = m->next)
                if (km_json_is_arr(m))
                    for (struct km_json *c = m->child; c; c = c->next)
                        mark_record(c, m->key, seen, &a);
        }
    }
    km_arena_free(&a);
}

static void test_every_source_has_fuzz_seeds(void)
{
    char seen[256] = {0};
    T_CHECK(km_nsources <= (int)sizeof seen);
    DIR *d = opendir("tests/fuzz/corpus");
    T_CHECK(d != NULL);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char sub[512];
        snprintf(sub, sizeof sub, "tests/fuzz/corpus/%s", e->d_name);
        DIR *d2 = opendir(sub);
        if (!d2)
            continue;
        struct dirent *f;
        while ((f = readdir(d2))) {
            if (f->d_name[0] == '.')
                continue;
            char p[1024];
            snprintf(p, sizeof p, "%s/%s", sub, f->d_name);
            mark_seed(p, seen);
        }
        closedir(d2);
    }
    closedir(d);
    for (int i = 0; i < km_nsources; i++)
        if (!seen[i]) {
            fprintf(stderr, "  source %s: no fuzz seed holds a record of it\n",
                    km_sources[i]->name);
            T_CHECK(0);
        }
}

static void test_commands_complete(void)
{
    for (int i = 0; i < km_ncommands; i++) {
        T_CHECK(km_commands[i].name && km_commands[i].summary && km_commands[i].usage);
        T_CHECK(km_commands[i].run != NULL);
        T_CHECK(strncmp(km_commands[i].usage, km_commands[i].name,
                        strlen(km_commands[i].name)) == 0);
    }
}

static void test_fields(void)
{
    for (int f = 0; f < KM_F__COUNT; f++) {
        T_CHECK(km_fields[f].name != NULL && km_fields[f].desc != NULL);
        if (km_fields[f].name)
            T_EQ_INT(km_field_lookup(km_fields[f].name, strlen(km_fields[f].name)), f);
    }
    T_EQ_INT(km_field_lookup("no.such", 7), -1);
}

static void test_error_texts(void)
{
    for (int rc = 0; rc < KM__RC_COUNT; rc++)
        T_CHECK(strcmp(km_strerror(rc), "unknown error") != 0);
    T_EQ_STR(km_strerror(KM__RC_COUNT), "unknown error");
}

int main(void)
{
    T_RUN(test_sources_complete);
    T_RUN(test_fuzz_targets_have_seeds);
    T_RUN(test_every_source_has_fuzz_seeds);
    T_RUN(test_commands_complete);
    T_RUN(test_fields);
    T_RUN(test_error_texts);
    return t_done();
}
