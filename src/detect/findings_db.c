/*
 * findings_db.c — findings in the store's catalog (finding.h): a finding's
 * JSON form is what the catalog keeps (store/catalog.c owns the SQL);
 * insert-or-update by id, loading, and the digest custody anchors.
 */
#include "detect/finding.h"

#include "core/hash.h"
#include "store/catalog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int km_findings_schema(struct km_catalog *c, struct km_err *err)
{
    return km_cat_findings_schema(c, err);
}

int km_findings_present(struct km_catalog *c) { return km_cat_findings_present(c); }

int km_findings_put(struct km_catalog *c, const struct km_finding *f, int64_t now, int *state,
                    struct km_err *err)
{
    struct km_buf b;
    km_buf_init(&b, 0);
    km_finding_json(f, 1, &b);
    if (b.oom) {
        km_buf_free(&b);
        return km_err_set(err, KM_ENOMEM, NULL, UINT64_MAX, "finding %s too large", f->id);
    }
    int rc = km_cat_finding_same(c, f->id, b.p, b.n, state, err);
    if (rc == KM_OK && *state != 0)
        rc = km_cat_finding_put(c, *state == 2, f->id, f->detection, f->severity, f->first,
                                f->last, f->summary, b.p, b.n, now, err);
    km_buf_free(&b);
    return rc;
}

struct load_ctx {
    struct km_finding **out;
    size_t *n, cap;
    struct km_err *err;
    int rc;
};

static int load_one(void *vctx, const char *id, size_t idn, const char *j, size_t jn)
{
    struct load_ctx *l = vctx;
    if (*l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 64;
        *l->out = km_xrealloc(*l->out, l->cap * sizeof **l->out);
    }
    l->rc = km_finding_from_json(j, jn, &(*l->out)[*l->n], l->err);
    if (l->rc != KM_OK)
        return 1;
    (*l->n)++;
    return 0;
}

int km_findings_load(struct km_catalog *c, int min_sev, const char *id,
                     struct km_finding **out, size_t *n, struct km_err *err)
{
    *out = NULL;
    *n = 0;
    if (!km_findings_present(c))
        return KM_OK;
    struct load_ctx l = {out, n, 0, err, KM_OK};
    int rc = km_cat_findings_each(c, id, min_sev, 0, load_one, &l, err);
    return l.rc != KM_OK ? l.rc : rc;
}

void km_findings_free(struct km_finding *f, size_t n)
{
    for (size_t i = 0; i < n; i++)
        km_finding_free(&f[i]);
    free(f);
}

static int digest_one(void *vctx, const char *id, size_t idn, const char *j, size_t jn)
{
    struct km_sha256 *h = vctx;
    km_sha256_update(h, id, idn);
    km_sha256_update(h, "\n", 1);
    km_sha256_update(h, j, jn);
    km_sha256_update(h, "\n", 1);
    return 0;
}

int km_findings_digest(struct km_catalog *c, char out[65], struct km_err *err)
{
    struct km_sha256 h;
    km_sha256_init(&h);
    if (km_findings_present(c)) {
        int rc = km_cat_findings_each(c, NULL, 0, 1, digest_one, &h, err);
        if (rc != KM_OK)
            return rc;
    }
    uint8_t md[32];
    km_sha256_final(&h, md);
    km_hex(md, 32, out);
    out[64] = 0;
    return KM_OK;
}
