/*
 * fuzz_idmap.c — libFuzzer target for the identity-map parser (ident/idmap.h).
 *
 * The first byte picks the format (even: CSV, odd: YAML); the rest is the
 * file. Any input must parse or fail with an error naming a line inside the
 * text; what parses must be well formed: every statement names an e-mail
 * person and a line in range, and its identity reference parses again the
 * same way.
 */
#include <stdlib.h>
#include <string.h>

#include "core/km.h"
#include "ident/idmap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const char *name = (data[0] & 1) ? "map.yaml" : "map.csv";
    const char *text = (const char *)data + 1;
    size_t n = size - 1;
    /* an upper bound of the lines: CSV breaks at \n; YAML also at a lone \r,
     * NEL (U+0085) and the Unicode line and paragraph separators */
    long lines = 1;
    int yaml = data[0] & 1;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)text[i];
        lines += c == '\n' || (yaml && (c == '\r' || c == 0x85 || c == 0xe2));
    }
    struct km_idmap *m = NULL;
    struct km_err err;
    km_err_clear(&err);
    int rc = km_idmap_parse(name, text, n, &m, &err);
    if (rc != KM_OK) {
        if (m || !err.code || err.line < 0 || err.line > lines + 1)
            abort();
        return 0;
    }
    if (!m)
        abort();
    struct km_arena a;
    km_arena_init(&a, 4096, 0);
    for (size_t i = 0; i < m->n; i++) {
        const struct km_idmap_ent *e = &m->ents[i];
        if (!e->person || !strchr(e->person, '@') || e->line < 1 || e->line > lines)
            abort();
        if (e->op != KM_IDMAP_IS && e->op != KM_IDMAP_NOT && e->op != KM_IDMAP_NAME)
            abort();
        if (e->op == KM_IDMAP_NAME)
            continue;
        struct km_idmap_ent again;
        char why[200];
        if (km_idmap_ref(e->ref, strlen(e->ref), &again, &a, why, sizeof why) != KM_OK)
            abort();
        if (again.ref_kind != e->ref_kind || again.kind != e->kind ||
            strcmp(again.value, e->value) || strcmp(again.account, e->account) ||
            strcmp(again.provider, e->provider))
            abort();
    }
    km_arena_free(&a);
    km_idmap_free(m);
    return 0;
}
