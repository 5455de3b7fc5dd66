/*
 * fuzz_conf.c — libFuzzer target for the configuration parser (core/conf.h)
 * and the finding JSON reader (detect/finding.h).
 *
 * The configuration parser must either accept the text or name a line; an
 * accepted configuration answers every declared key without crashing, and
 * its lists split into non-empty items. Reading a finding is lossy once
 * (caps, invalid UTF-8 replaced), then stable: what kumo wrote reads back to
 * the same JSON (a fixed point from the second write on).
 */
#include <stdlib.h>
#include <string.h>
#include "core/conf.h"
#include "detect/finding.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct km_conf *c = NULL;
    struct km_err e;
    km_err_clear(&e);
    int rc = km_conf_parse("fuzz.conf", (const char *)data, size, &c, &e);
    if (rc == KM_OK) {
        for (int t = 0; km_conf_tables[t]; t++)
            for (const struct km_conf_key *k = km_conf_tables[t]; k->key; k++) {
                (void)km_conf_str(c, k->key);
                if (k->type == KM_CONF_LIST) {
                    const char *const *it;
                    size_t n = km_conf_list(c, k->key, &it);
                    for (size_t i = 0; i < n; i++)
                        if (!it[i][0])
                            abort();
                }
            }
        km_conf_free(c);
    } else if (c || !e.code) {
        abort();
    }
    struct km_finding f, g;
    km_err_clear(&e);
    if (km_finding_from_json((const char *)data, size, &f, &e) == KM_OK) {
        struct km_buf b, b2;
        km_buf_init(&b, 0);
        km_buf_init(&b2, 0);
        km_finding_normalize(&f);
        km_finding_json(&f, 1, &b);
        for (int round = 0; round < 2; round++) {
            km_err_clear(&e);
            if (km_finding_from_json(b.p, b.n, &g, &e) != KM_OK)
                abort();
            km_finding_normalize(&g);
            b2.n = 0;
            km_finding_json(&g, 1, &b2);
            km_finding_free(&g);
            if (round == 1 && (b.n != b2.n || memcmp(b.p, b2.p, b.n) != 0))
                abort();
            struct km_buf t = b;
            b = b2;
            b2 = t;
        }
        km_buf_free(&b);
        km_buf_free(&b2);
    }
    km_finding_free(&f);
    return 0;
}
