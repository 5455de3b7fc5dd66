/*
 * test_registry.c — every registered source and command is complete: a
 * source has a unique name, a provider, detect/normalize callbacks, its doc
 * file and fuzz seeds; a command has a summary and usage; every field of the
 * event has a unique dotted name that km_field_lookup finds; every error code
 * has a text.
 */
#include "cli/cli.h"
#include "core/event.h"
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
    T_RUN(test_commands_complete);
    T_RUN(test_fields);
    T_RUN(test_error_texts);
    return t_done();
}
