/*
 * scan.c — scans over published segments (store.h km_store_scan): segments
 * pruned by time and dictionaries, rows matched by resolved codes.
 */
#include "store/store.h"

#include "store/catalog.h"
#include "store/segment.h"

#include <dirent.h>
#include <pthread.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <strings.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

void km_filter_init(struct km_filter *f)
{
    memset(f, 0, sizeof *f);
    f->since = INT64_MIN;
    f->until = INT64_MAX;
}

/* Per-segment resolved condition: the code each field must have (0 = value
 * absent from that field's dictionary; UINT32_MAX = plain field, compare).
 * A selector set: per field, a bitmap over its codes (NULL: no pair on it),
 * or plain = 1 (compare the values). */
struct rcond {
    uint32_t code[KM_F__COUNT];
    uint8_t *bm[KM_F__COUNT];
    uint8_t plain[KM_F__COUNT];
};

static int eq_nocase(struct km_str v, const char *c)
{
    size_t n = strlen(c);
    return v.p && v.n == n && strncasecmp(v.p, c, n) == 0;
}

/* Marks in r->bm[fld] every dictionary code equal to value ignoring case.
 * Returns how many codes match, or -1 when a dictionary value could not be
 * read. */
static int nocase_codes(struct km_seg *seg, int fld, const char *value, struct rcond *r)
{
    int found = 0;
    uint32_t n = km_seg_dict_size(seg, fld);
    if (!r->bm[fld])
        r->bm[fld] = km_xcalloc((size_t)n + 1, 1);
    for (uint32_t code = 1; code <= n; code++) {
        struct km_str v;
        struct km_err e;
        km_err_clear(&e);
        if (km_seg_dict_get(seg, fld, code, &v, &e) != KM_OK)
            return -1;
        if (eq_nocase(v, value)) {
            r->bm[fld][code] = 1;
            found++;
        }
    }
    return found;
}

/* Resolves a selector set for seg; returns 1 when some pair can hold. */
static int resolve_sel(struct km_seg *seg, const struct km_cond *c, struct rcond *r)
{
    int any = 0;
    for (uint32_t i = 0; i < c->nsel; i++) {
        int fld = c->sel[i].field;
        if (fld < 0 || fld >= KM_F__COUNT || !c->sel[i].value)
            continue;
        uint32_t code;
        int k = km_seg_dict_find(seg, fld, c->sel[i].value, strlen(c->sel[i].value), &code);
        if (k >= 0 && c->nocase && r->plain[fld])
            continue; /* this field is compared row by row already */
        int nc = k >= 0 && c->nocase ? nocase_codes(seg, fld, c->sel[i].value, r) : 0;
        if (nc > 0)
            any = 1;
        if (nc >= 0 && k >= 0 && c->nocase)
            continue;
        if (k >= 0 && c->nocase) {
            /* a dictionary value could not be read: compare the rows
             * (every pair on this field; the bitmap would shadow that) */
            free(r->bm[fld]);
            r->bm[fld] = NULL;
            r->plain[fld] = 1;
            any = 1;
            continue;
        }
        if (k < 0) {
            r->plain[fld] = 1;
            any = 1;
        } else if (k == 1) {
            if (!r->bm[fld])
                r->bm[fld] = km_xcalloc((size_t)km_seg_dict_size(seg, fld) + 1, 1);
            if (code <= km_seg_dict_size(seg, fld))
                r->bm[fld][code] = 1;
            any = 1;
        }
    }
    return any;
}

static void free_sel(struct rcond *r)
{
    for (int f = 0; f < KM_F__COUNT; f++) {
        free(r->bm[f]);
        r->bm[f] = NULL;
        r->plain[f] = 0;
    }
}

static int sel_matches(struct km_seg *seg, uint32_t row, const struct km_cond *c,
                       const struct rcond *r, struct km_err *err)
{
    for (int fld = 0; fld < KM_F__COUNT; fld++) {
        if (r->bm[fld]) {
            uint32_t code;
            if (km_seg_code(seg, fld, row, &code, err))
                return -1;
            if (r->bm[fld][code])
                return 1;
        } else if (r->plain[fld]) {
            struct km_str v;
            if (km_seg_str(seg, fld, row, &v, err))
                return -1;
            for (uint32_t i = 0; v.p && i < c->nsel; i++)
                if (c->sel[i].field == fld &&
                    (c->nocase ? eq_nocase(v, c->sel[i].value) : km_str_eqc(v, c->sel[i].value)))
                    return 1;
        }
    }
    return 0;
}

static int row_matches(struct km_seg *seg, uint32_t row, const struct km_filter *f,
                       const struct rcond *rc, struct km_err *err)
{
    for (int c = 0; c < f->nconds; c++) {
        if (f->conds[c].nsel) {
            int m = sel_matches(seg, row, &f->conds[c], &rc[c], err);
            if (m <= 0)
                return m;
            continue;
        }
        int ok = 0;
        for (int fld = 0; fld < KM_F__COUNT && !ok; fld++) {
            if (!(f->conds[c].fields & (1ULL << fld)))
                continue;
            uint32_t want = rc[c].code[fld];
            if (want == 0)
                continue;
            if (want == UINT32_MAX) {
                struct km_event ev;
                if (km_seg_event(seg, row, &ev, err))
                    return -1;
                ok = km_str_eqc(ev.f[fld], f->conds[c].value);
                continue;
            }
            uint32_t code;
            if (km_seg_code(seg, fld, row, &code, err))
                return -1;
            ok = code == want;
        }
        if (!ok)
            return 0;
    }
    return 1;
}

static int scan_rows(struct km_seg *seg, const struct km_filter *f, struct rcond *rc,
                     km_scan_fn cb, void *ctx, struct km_err *err);

static int scan_segment(struct km_seg *seg, const struct km_filter *f, km_scan_fn cb, void *ctx,
                        struct km_err *err)
{
    struct rcond rc[8];
    memset(rc, 0, sizeof rc);
    int r = scan_rows(seg, f, rc, cb, ctx, err);
    for (int c = 0; c < f->nconds; c++)
        free_sel(&rc[c]);
    return r;
}

static int scan_rows(struct km_seg *seg, const struct km_filter *f, struct rcond *rc,
                     km_scan_fn cb, void *ctx, struct km_err *err)
{
    for (int c = 0; c < f->nconds; c++) {
        if (f->conds[c].nsel) {
            if (!resolve_sel(seg, &f->conds[c], &rc[c]))
                return 0; /* pruned: no pair's value occurs in this segment */
            continue;
        }
        int any = 0;
        size_t n = strlen(f->conds[c].value);
        for (int fld = 0; fld < KM_F__COUNT; fld++) {
            rc[c].code[fld] = 0;
            if (!(f->conds[c].fields & (1ULL << fld)))
                continue;
            uint32_t code;
            int r = km_seg_dict_find(seg, fld, f->conds[c].value, n, &code);
            if (r == 1) {
                rc[c].code[fld] = code;
                any = 1;
            } else if (r < 0) {
                rc[c].code[fld] = UINT32_MAX;
                any = 1;
            }
        }
        if (!any)
            return 0; /* pruned: the value occurs nowhere in this segment */
    }
    uint64_t nrows = km_seg_rows(seg);
    uint32_t lo = 0, hi = (uint32_t)nrows;
    /* rows are time-sorted: binary search the time window */
    if (f->since != INT64_MIN) {
        uint32_t a = 0, b = hi;
        while (a < b) {
            uint32_t m = a + (b - a) / 2;
            int64_t t;
            if (km_seg_time(seg, m, &t, err))
                return -1;
            if (t < f->since)
                a = m + 1;
            else
                b = m;
        }
        lo = a;
    }
    if (f->until != INT64_MAX) {
        uint32_t a = lo, b = hi;
        while (a < b) {
            uint32_t m = a + (b - a) / 2;
            int64_t t;
            if (km_seg_time(seg, m, &t, err))
                return -1;
            if (t <= f->until)
                a = m + 1;
            else
                b = m;
        }
        hi = a;
    }
    uint32_t keyrow = 0;
    if (f->key) {
        if (!km_seg_may_have_key(seg, f->key) || !km_seg_find_key(seg, f->key, &keyrow))
            return 0;
        if (keyrow < lo || keyrow >= hi)
            return 0;
        lo = keyrow;
        hi = keyrow + 1;
    }
    for (uint32_t row = lo; row < hi; row++) {
        int m = row_matches(seg, row, f, rc, err);
        if (m < 0)
            return -1;
        if (!m)
            continue;
        struct km_event ev;
        if (km_seg_event(seg, row, &ev, err))
            return -1;
        int refused = 0;
        for (int c = 0; c < f->nconds && !refused; c++)
            if (f->conds[c].accept && !f->conds[c].accept(f->conds[c].actx, &ev))
                refused = 1;
        if (refused)
            continue;
        int stop = cb(ctx, &ev);
        if (stop)
            return stop;
    }
    return 0;
}

int km_store_scan(struct km_store *s, const struct km_filter *f, km_scan_fn cb, void *ctx,
                  struct km_err *err)
{
    struct km_segment_row *rows;
    size_t n;
    int rc = km_cat_segments(km_store_catalog(s), &rows, &n, err);
    if (rc)
        return rc;
    int out = 0;
    for (size_t i = 0; i < n && !out; i++) {
        if (rows[i].tmax < f->since || rows[i].tmin > f->until)
            continue;
        char p[4096];
        km_store_segment_path(s, rows[i].file, p, sizeof p);
        struct km_seg *seg;
        if ((rc = km_seg_open(p, &seg, err))) {
            free(rows);
            return rc;
        }
        int r = scan_segment(seg, f, cb, ctx, err);
        km_seg_close(seg);
        if (r < 0) {
            free(rows);
            return err && err->code ? err->code : KM_ECORRUPT;
        }
        out = r; /* > 0: the callback asked to stop */
    }
    free(rows);
    return KM_OK;
}
