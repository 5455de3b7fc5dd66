/*
 * test_detect.c — the detection registry: every detection has a unique id,
 * a technique, its documentation, and a settings table whose keys are its
 * own ("<id>.<name>") and known to the configuration.
 */
#include "core/conf.h"
#include "detect/detect.h"
#include "t.h"

#include <sys/stat.h>

static void test_registry(void)
{
    const char *root = getenv("KUMO_ROOT");
    char p[4096];
    T_CHECK(km_ndetections >= 1);
    for (int i = 0; i < km_ndetections; i++) {
        const struct km_detection *d = km_detections[i];
        T_CHECK(d->id && d->id[0] && d->title && d->technique && d->technique[0] == 'T');
        T_CHECK(d->summary && d->providers && d->run && d->conf);
        T_CHECK(km_detection_find(d->id) == d);
        for (int j = 0; j < i; j++)
            T_CHECK(strcmp(km_detections[j]->id, d->id) != 0);
        snprintf(p, sizeof p, "%s/docs/detections/%s.md", root ? root : ".", d->id);
        struct stat st;
        if (stat(p, &st) != 0 || st.st_size < 500) {
            fprintf(stderr, "  %s: missing or too short\n", p);
            T_CHECK(0);
        }
        size_t il = strlen(d->id);
        for (const struct km_conf_key *k = d->conf; k->key; k++) {
            T_CHECK(strncmp(k->key, d->id, il) == 0 && k->key[il] == '.');
            T_CHECK(km_conf_lookup(k->key) == k);
        }
    }
    T_CHECK(km_detection_find("no_such_detection") == NULL);
    T_EQ_STR(km_sev_name(KM_SEV_HIGH), "high");
}

int main(void)
{
    T_RUN(test_registry);
    return t_done();
}
