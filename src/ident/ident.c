/*
 * ident.c — the identity graph (ident.h): who is who across clouds.
 *
 *   segments ──► per segment: unique combinations of the 8 actor code columns
 *   (2 threads)   (codes hashed row by row; strings only per combination)
 *        │
 *        ▼
 *   distinct actor tuples (provider, account, type, id, name, arn, email, issuer)
 *        │ classify: one tuple → one identity (kind, key), maybe a parent
 *        ▼          (the role of a role session, the service account impersonated)
 *   identities ──► persons from e-mails ──► domains ──► rules per identity:
 *                  email, object-id, local-part, then the map file (last wins)
 *        │
 *        ▼
 *   unlinked role sessions / impersonations fold into their parent; parents
 *   record the persons that used them; everything sorted, lookups built.
 *
 * After km_idgraph_build the graph is read-only: person_of / seg_persons may
 * run on several threads. A tuple the graph has not seen (a segment added
 * since) is classified and resolved on the fly by the same rules, so answers
 * stay right without a rebuild (only the listing lags).
 */
#include "ident/ident.h"

#include "core/conf.h"
#include "core/event.h"
#include "ident/idmap.h"
#include "store/catalog.h"
#include "store/segment.h"
#include "store/store.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- kinds ------------------------------------------------------------------ */

static const char *const kind_names[KM_ID__NKINDS] = {
    [KM_ID_AWS_IAM_USER] = "aws.iam_user",
    [KM_ID_AWS_ROOT] = "aws.root",
    [KM_ID_AWS_SSO_SESSION] = "aws.sso_session",
    [KM_ID_AWS_ROLE_SESSION] = "aws.role_session",
    [KM_ID_AWS_ROLE] = "aws.role",
    [KM_ID_AWS_FEDERATED] = "aws.federated",
    [KM_ID_ENTRA_USER] = "azure.user",
    [KM_ID_ENTRA_APP] = "azure.app",
    [KM_ID_GCP_USER] = "gcp.user",
    [KM_ID_GCP_SERVICE_ACCOUNT] = "gcp.service_account",
    [KM_ID_WORKSPACE_USER] = "workspace.user",
    [KM_ID_M365_USER] = "m365.user",
    [KM_ID_SERVICE] = "service",
    [KM_ID_OTHER] = "other",
    [KM_ID_AWS_IDC_USER] = "aws.identity_center_user",
    [KM_ID_GCP_IMPERSONATION] = "gcp.impersonation",
    [KM_ID_WORKLOAD] = "workload",
};

const char *km_ident_kind_name(int kind)
{
    return kind >= 0 && kind < KM_ID__NKINDS && kind_names[kind] ? kind_names[kind] : "?";
}

int km_ident_kind_parse(const char *name, size_t n)
{
    for (int k = 0; k < KM_ID__NKINDS; k++)
        if (kind_names[k] && strlen(kind_names[k]) == n && strncasecmp(kind_names[k], name, n) == 0)
            return k;
    return -1;
}

/* ---- small string helpers ------------------------------------------------------ */

enum { T_PROVIDER, T_ACCOUNT, T_TYPE, T_ID, T_NAME, T_ARN, T_EMAIL, T_ISSUER, NT };
static const int tfield[NT] = {KM_F_PROVIDER,   KM_F_ACCOUNT,   KM_F_ACTOR_TYPE,
                               KM_F_ACTOR_ID,   KM_F_ACTOR_NAME, KM_F_ACTOR_ARN,
                               KM_F_ACTOR_EMAIL, KM_F_ACTOR_SESSION_ISSUER};

#define NONE KM_STR_NONE

static int has(struct km_str s) { return s.p && s.n; }

static int eq_ci(struct km_str a, struct km_str b)
{
    return a.n == b.n && (a.n == 0 || strncasecmp(a.p ? a.p : "", b.p ? b.p : "", a.n) == 0);
}

static int eqc_ci(struct km_str a, const char *c) { return eq_ci(a, km_str_c(c)); }

static int starts_ci(struct km_str s, const char *p)
{
    size_t n = strlen(p);
    return s.p && s.n >= n && strncasecmp(s.p, p, n) == 0;
}

static int ends_ci(struct km_str s, const char *p)
{
    size_t n = strlen(p);
    return s.p && s.n >= n && strncasecmp(s.p + s.n - n, p, n) == 0;
}

static int contains(struct km_str s, const char *p)
{
    size_t n = strlen(p);
    return s.p && s.n >= n && memmem(s.p, s.n, p, n) != NULL;
}

static struct km_str sub(struct km_str s, size_t off, size_t n)
{
    return (struct km_str){s.p + off, (uint32_t)n};
}

static int sa_email(struct km_str s) { return ends_ci(s, "gserviceaccount.com"); }

static int guid_shaped(struct km_str s)
{
    if (!s.p || s.n != 36)
        return 0;
    for (uint32_t i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s.p[i] != '-')
                return 0;
        } else if (!isxdigit((unsigned char)s.p[i])) {
            return 0;
        }
    }
    return 1;
}

/* The account of an IAM / STS ARN (arn:aws:iam::ACCOUNT:...), or NONE. */
static struct km_str arn_account(struct km_str arn)
{
    if (!starts_ci(arn, "arn:"))
        return NONE;
    uint32_t i = 0, colons = 0, start = 0;
    for (; i < arn.n; i++)
        if (arn.p[i] == ':') {
            colons++;
            if (colons == 4)
                start = i + 1;
            else if (colons == 5)
                break;
        }
    if (colons < 5 || i <= start)
        return NONE;
    return sub(arn, start, i - start);
}

static uint64_t hmix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

/* FNV-1a, case-folded when ci. */
static uint64_t hstr(uint64_t h, struct km_str s, int ci)
{
    h ^= s.p ? (uint64_t)s.n + 1 : 0;
    h *= 0x100000001b3ULL;
    for (uint32_t i = 0; s.p && i < s.n; i++) {
        unsigned char c = (unsigned char)s.p[i];
        h ^= ci ? (unsigned char)tolower(c) : c;
        h *= 0x100000001b3ULL;
    }
    return h;
}

static char *adup(struct km_arena *a, struct km_str s)
{
    char *d = km_arena_strndup(a, s.p ? s.p : "", s.p ? s.n : 0);
    if (!d) {
        fprintf(stderr, "kumo: identity graph: out of memory\n");
        abort();
    }
    return d;
}

static char *adup_lower(struct km_arena *a, struct km_str s)
{
    char *d = adup(a, s);
    for (char *p = d; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return d;
}

/* ---- string → index map (keys owned by the caller) ----------------------------- */

struct sment {
    uint64_t h;
    const char *k;
    uint32_t kn;
    int32_t v;
};
struct smap {
    struct sment *t;
    size_t cap, n;
};

static void smap_free(struct smap *m)
{
    free(m->t);
    memset(m, 0, sizeof *m);
}

static struct sment *smap_find(const struct smap *m, struct km_str k, uint64_t h)
{
    if (!m->cap)
        return NULL;
    for (size_t i = (size_t)h & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        struct sment *e = &m->t[i];
        if (!e->k)
            return e;
        if (e->h == h && e->kn == k.n && memcmp(e->k, k.p, k.n) == 0)
            return e;
    }
}

static int32_t smap_get(const struct smap *m, struct km_str k)
{
    uint64_t h = hmix(hstr(0xcbf29ce484222325ULL, k, 0));
    struct sment *e = smap_find(m, k, h);
    return e && e->k ? e->v : -1;
}

/* Sets k → v, or returns the existing slot's value when keep_old. */
static int32_t smap_put(struct smap *m, const char *k, int32_t v, int keep_old)
{
    struct km_str ks = km_str_c(k);
    if ((m->n + 1) * 2 > m->cap) {
        size_t nc = m->cap ? m->cap * 2 : 64;
        struct sment *old = m->t;
        size_t oc = m->cap;
        m->t = km_xcalloc(nc, sizeof *m->t);
        m->cap = nc;
        for (size_t i = 0; i < oc; i++)
            if (old[i].k) {
                struct sment *e = smap_find(m, (struct km_str){old[i].k, old[i].kn}, old[i].h);
                *e = old[i];
            }
        free(old);
    }
    uint64_t h = hmix(hstr(0xcbf29ce484222325ULL, ks, 0));
    struct sment *e = smap_find(m, ks, h);
    if (e->k) {
        if (!keep_old)
            e->v = v;
        return e->v;
    }
    *e = (struct sment){h, k, ks.n, v};
    m->n++;
    return v;
}

/* ---- tuples ---------------------------------------------------------------------- */

struct tup {
    struct km_str v[NT];     /* p == NULL: absent */
    uint64_t h;
    uint64_t events;
    int64_t first, last;
    int32_t ident;           /* -1: no identity (no actor) */
    int32_t next;            /* next tuple of the same identity */
};

/* Ceilings on what the graph holds: distinct actor tuples and their bytes.
 * Past them, further tuples are not listed, and their events are resolved
 * by the same rules when they are read (person_of_new). */
#define KM_ID_MAX_TUPLES 2000000
#define KM_ID_MAX_BYTES ((size_t)1 << 30)

struct ttab {
    struct tup *v;
    size_t n, cap;
    int32_t *slot;
    size_t scap;
    struct km_arena *a;      /* strings of inserted tuples */
    int capped;              /* a tuple was left out (ceilings above) */
};

static uint64_t tup_hash(const struct km_str *v)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (int i = 0; i < NT; i++)
        h = hstr(h, v[i], 0);
    return hmix(h);
}

static int tup_eq(const struct km_str *a, const struct km_str *b)
{
    for (int i = 0; i < NT; i++) {
        if (!a[i].p != !b[i].p || a[i].n != b[i].n)
            return 0;
        if (a[i].n && memcmp(a[i].p, b[i].p, a[i].n) != 0)
            return 0;
    }
    return 1;
}

static int32_t ttab_find(const struct ttab *t, const struct km_str *v, uint64_t h)
{
    if (!t->scap)
        return -1;
    for (size_t i = (size_t)h & (t->scap - 1);; i = (i + 1) & (t->scap - 1)) {
        int32_t k = t->slot[i];
        if (k < 0)
            return -1;
        if (t->v[k].h == h && tup_eq(t->v[k].v, v))
            return k;
    }
}

static void ttab_grow(struct ttab *t)
{
    size_t nc = t->scap ? t->scap * 2 : 1024;
    free(t->slot);
    t->slot = km_xmalloc(nc * sizeof *t->slot);
    memset(t->slot, 0xff, nc * sizeof *t->slot);
    t->scap = nc;
    for (size_t k = 0; k < t->n; k++) {
        size_t i = (size_t)t->v[k].h & (nc - 1);
        while (t->slot[i] >= 0)
            i = (i + 1) & (nc - 1);
        t->slot[i] = (int32_t)k;
    }
}

/* Adds events to the tuple v (copied in when new). */
static void ttab_add(struct ttab *t, const struct km_str *v, uint64_t h, uint64_t events,
                     int64_t first, int64_t last)
{
    int32_t k = ttab_find(t, v, h);
    if (k >= 0) {
        struct tup *u = &t->v[k];
        if (!u->events || first < u->first)
            u->first = first;
        if (!u->events || last > u->last)
            u->last = last;
        u->events += events;
        return;
    }
    size_t bytes = 0;
    for (int i = 0; i < NT; i++)
        bytes += v[i].p ? (size_t)v[i].n + 1 : 0;
    if (t->n >= KM_ID_MAX_TUPLES || t->a->total + bytes > KM_ID_MAX_BYTES) {
        t->capped = 1;
        return;
    }
    if ((t->n + 1) * 2 > t->scap)
        ttab_grow(t);
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 256;
        t->v = km_xrealloc(t->v, t->cap * sizeof *t->v);
    }
    struct tup *u = &t->v[t->n];
    memset(u, 0, sizeof *u);
    for (int i = 0; i < NT; i++) {
        u->v[i] = NONE;
        if (v[i].p) {
            u->v[i].p = adup(t->a, v[i]);
            u->v[i].n = v[i].n;
        }
    }
    u->h = h;
    u->events = events;
    u->first = first;
    u->last = last;
    u->ident = -1;
    u->next = -1;
    size_t i = (size_t)h & (t->scap - 1);
    while (t->slot[i] >= 0)
        i = (i + 1) & (t->scap - 1);
    t->slot[i] = (int32_t)t->n++;
}

static void ttab_free(struct ttab *t)
{
    free(t->v);
    free(t->slot);
    memset(t, 0, sizeof *t);
}

/* ---- per-segment combinations of codes -------------------------------------------- */

struct combo {
    uint32_t c[NT];
    uint64_t n;
    uint32_t r0, r1;         /* first and last row */
};

struct ctab {
    struct combo *v;
    uint32_t n, cap;
    int32_t *slot;
    uint32_t scap;
    uint64_t *rk;            /* packed path: the key of each row */
    uint64_t *ck;            /* packed path: the key of each combination */
    size_t rkcap;
};

static inline uint32_t code_at(const void *codes, int w, uint32_t r)
{
    if (!codes)
        return 0;
    return w == 1 ? ((const uint8_t *)codes)[r]
         : w == 2 ? ((const uint16_t *)codes)[r]
                  : ((const uint32_t *)codes)[r];
}

static inline uint64_t code_hash(const uint32_t *c)
{
    uint64_t h = ((uint64_t)c[0] << 32 | c[1]) * 0x9e3779b97f4a7c15ULL;
    h ^= ((uint64_t)c[2] << 32 | c[3]) * 0xc2b2ae3d27d4eb4fULL;
    h ^= ((uint64_t)c[4] << 32 | c[5]) * 0x165667b19e3779f9ULL;
    h ^= ((uint64_t)c[6] << 32 | c[7]) * 0x27d4eb2f165667c5ULL;
    return h ^ (h >> 31);
}

static void ctab_grow(struct ctab *t)
{
    uint32_t nc = t->scap ? t->scap * 2 : 1024;
    free(t->slot);
    t->slot = km_xmalloc((size_t)nc * sizeof *t->slot);
    memset(t->slot, 0xff, (size_t)nc * sizeof *t->slot);
    t->scap = nc;
    for (uint32_t k = 0; k < t->n; k++) {
        uint32_t i = (uint32_t)code_hash(t->v[k].c) & (nc - 1);
        while (t->slot[i] >= 0)
            i = (i + 1) & (nc - 1);
        t->slot[i] = (int32_t)k;
    }
}

static void ctab_free(struct ctab *t)
{
    free(t->v);
    free(t->slot);
    free(t->rk);
    free(t->ck);
    memset(t, 0, sizeof *t);
}

static unsigned bits_for(uint32_t n)
{
    unsigned b = 0;
    while (b < 32 && (n >> b))
        b++;
    return b;
}

static void ctab_grow_packed(struct ctab *t)
{
    uint32_t nc = t->scap ? t->scap * 2 : 1024;
    free(t->slot);
    t->slot = km_xmalloc((size_t)nc * sizeof *t->slot);
    memset(t->slot, 0xff, (size_t)nc * sizeof *t->slot);
    t->scap = nc;
    for (uint32_t k = 0; k < t->n; k++) {
        uint32_t i = (uint32_t)(t->ck[k] * 0x9e3779b97f4a7c15ULL >> 32) & (nc - 1);
        while (t->slot[i] >= 0)
            i = (i + 1) & (nc - 1);
        t->slot[i] = (int32_t)k;
    }
}

/*
 * The common case: the codes of the 8 columns fit in 64 bits together (each
 * field takes as many bits as its dictionary size needs), so a row's
 * combination is one integer, built column by column, and rows compare as
 * integers.
 */
static void seg_combos_packed(struct ctab *t, uint32_t nrows, const void *const *codes,
                              const int *w, const unsigned *shift, const unsigned *bits,
                              int32_t *rowc)
{
    if (t->rkcap < (size_t)nrows + 1) {
        free(t->rk);
        t->rkcap = (size_t)nrows + 1;
        t->rk = km_xmalloc(t->rkcap * sizeof *t->rk);
    }
    uint64_t *rk = t->rk;
    memset(rk, 0, (size_t)nrows * sizeof *rk);
    for (int f = 0; f < NT; f++) {
        if (!codes[f] || !bits[f])
            continue;
        unsigned sh = shift[f];
        if (w[f] == 1) {
            const uint8_t *c = codes[f];
            for (uint32_t r = 0; r < nrows; r++)
                rk[r] |= (uint64_t)c[r] << sh;
        } else if (w[f] == 2) {
            const uint16_t *c = codes[f];
            for (uint32_t r = 0; r < nrows; r++)
                rk[r] |= (uint64_t)c[r] << sh;
        } else {
            const uint32_t *c = codes[f];
            for (uint32_t r = 0; r < nrows; r++)
                rk[r] |= (uint64_t)c[r] << sh;
        }
    }
    uint64_t prev = 0;
    int32_t pk = -1;
    for (uint32_t r = 0; r < nrows; r++) {
        uint64_t key = rk[r];
        int32_t k;
        if (pk >= 0 && key == prev) {
            k = pk;
        } else {
            if ((t->n + 1) * 2 > t->scap)
                ctab_grow_packed(t);
            uint32_t i = (uint32_t)(key * 0x9e3779b97f4a7c15ULL >> 32) & (t->scap - 1);
            for (;;) {
                k = t->slot[i];
                if (k < 0 || t->ck[k] == key)
                    break;
                i = (i + 1) & (t->scap - 1);
            }
            if (k < 0) {
                if (t->n == t->cap) {
                    t->cap = t->cap ? t->cap * 2 : 256;
                    t->v = km_xrealloc(t->v, (size_t)t->cap * sizeof *t->v);
                    t->ck = km_xrealloc(t->ck, (size_t)t->cap * sizeof *t->ck);
                }
                k = (int32_t)t->n++;
                t->ck[k] = key;
                t->v[k].n = 0;
                t->v[k].r0 = r;
                t->slot[i] = k;
            }
            prev = key;
            pk = k;
        }
        t->v[k].n++;
        t->v[k].r1 = r;
        if (rowc)
            rowc[r] = k;
    }
    for (uint32_t k = 0; k < t->n; k++)
        for (int f = 0; f < NT; f++)
            t->v[k].c[f] = bits[f] ? (uint32_t)((t->ck[k] >> shift[f]) & ((1ULL << bits[f]) - 1))
                                   : 0;
}

/*
 * Finds the distinct code combinations of the actor columns of seg, with
 * their row counts and first/last rows; rowc (may be NULL) receives each
 * row's combination number.
 */
static int seg_combos(struct km_seg *seg, struct ctab *t, int32_t *rowc, struct km_err *err)
{
    uint32_t nrows = (uint32_t)km_seg_rows(seg);
    const void *codes[NT];
    int w[NT];
    for (int f = 0; f < NT; f++) {
        int kind = km_seg_field_kind(seg, tfield[f]);
        if (kind == KM_SEG_PLAIN)
            return km_err_set(err, KM_ECORRUPT, NULL, UINT64_MAX,
                              "segment keeps %s without a dictionary (not written by this "
                              "kumo)", km_fields[tfield[f]].name);
        int rc = km_seg_codes(seg, tfield[f], &codes[f], &w[f], err);
        if (rc)
            return rc;
    }
    t->n = 0;
    if (t->scap)
        memset(t->slot, 0xff, (size_t)t->scap * sizeof *t->slot);
    unsigned bits[NT], shift[NT], total = 0;
    for (int f = 0; f < NT; f++) {
        bits[f] = codes[f] ? bits_for(km_seg_dict_size(seg, tfield[f])) : 0;
        shift[f] = total;
        total += bits[f];
    }
    if (total <= 64) {
        seg_combos_packed(t, nrows, codes, w, shift, bits, rowc);
        return KM_OK;
    }
    uint32_t prev[NT];
    int32_t pk = -1;
    for (uint32_t r = 0; r < nrows; r++) {
        uint32_t c[NT];
        for (int f = 0; f < NT; f++)
            c[f] = code_at(codes[f], w[f], r);
        int32_t k;
        if (pk >= 0 && memcmp(c, prev, sizeof c) == 0) {
            k = pk;
        } else {
            if ((t->n + 1) * 2 > t->scap)
                ctab_grow(t);
            uint32_t i = (uint32_t)code_hash(c) & (t->scap - 1);
            for (;;) {
                k = t->slot[i];
                if (k < 0 || memcmp(t->v[k].c, c, sizeof c) == 0)
                    break;
                i = (i + 1) & (t->scap - 1);
            }
            if (k < 0) {
                if (t->n == t->cap) {
                    t->cap = t->cap ? t->cap * 2 : 256;
                    t->v = km_xrealloc(t->v, (size_t)t->cap * sizeof *t->v);
                }
                k = (int32_t)t->n++;
                memcpy(t->v[k].c, c, sizeof c);
                t->v[k].n = 0;
                t->v[k].r0 = r;
                t->slot[i] = k;
            }
            memcpy(prev, c, sizeof c);
            pk = k;
        }
        t->v[k].n++;
        t->v[k].r1 = r;
        if (rowc)
            rowc[r] = k;
    }
    return KM_OK;
}

/* The strings of combination k. */
static int combo_strs(struct km_seg *seg, const struct combo *cb, struct km_str *v,
                      struct km_err *err)
{
    for (int f = 0; f < NT; f++) {
        v[f] = NONE;
        if (cb->c[f]) {
            int rc = km_seg_dict_get(seg, tfield[f], cb->c[f], &v[f], err);
            if (rc)
                return rc;
        }
    }
    return KM_OK;
}

/* ---- classification: a tuple → an identity ------------------------------------------ */

struct proto {
    int kind;                /* -1: no identity */
    int capable;             /* may belong to a person */
    int fold;                /* events go to the parent unless linked to a person */
    int guest;
    struct km_str provider, account, name, id, email, local, oid, arn, display, issuer;
    int pkind;               /* parent: -1 none */
    struct km_str pname, pid, paccount;
};

/* The first element of a delegation chain "a -> b -> c". */
static struct km_str chain_first(struct km_str s)
{
    if (!s.p)
        return NONE;
    const char *m = s.n >= 4 ? memmem(s.p, s.n, " -> ", 4) : NULL;
    return m ? sub(s, 0, (size_t)(m - s.p)) : s;
}

static void classify_aws(const struct km_str *t, struct proto *p)
{
    struct km_str type = t[T_TYPE], name = t[T_NAME], id = t[T_ID], arn = t[T_ARN];
    struct km_str acct = arn_account(arn);
    if (has(acct))
        p->account = acct;
    struct km_str key_id = has(arn) ? arn : id;
    if (eqc_ci(type, "IAMUser")) {
        p->kind = KM_ID_AWS_IAM_USER;
        p->capable = 1;
        if (!has(name) && starts_ci(arn, "arn:")) {
            const char *sl = memrchr(arn.p, '/', arn.n);
            if (sl)
                name = sub(arn, (size_t)(sl + 1 - arn.p), (size_t)(arn.p + arn.n - sl - 1));
        }
        p->name = has(name) ? name : id;
        p->id = key_id;
        p->local = name;
    } else if (eqc_ci(type, "Root")) {
        p->kind = KM_ID_AWS_ROOT;
        p->capable = 1;
        p->name = KM_STR("root");
        p->id = key_id;
    } else if (eqc_ci(type, "AssumedRole")) {
        struct km_str role = NONE, session = NONE;
        const char *sl = has(name) ? memchr(name.p, '/', name.n) : NULL;
        if (sl) {
            role = sub(name, 0, (size_t)(sl - name.p));
            session = sub(name, (size_t)(sl + 1 - name.p), (size_t)(name.p + name.n - sl - 1));
        } else {
            role = name;
            const char *c = has(id) ? memchr(id.p, ':', id.n) : NULL;
            if (c)
                session = sub(id, (size_t)(c + 1 - id.p), (size_t)(id.p + id.n - c - 1));
        }
        struct km_str iss = t[T_ISSUER];
        if (!has(role) && has(iss)) {
            const char *r = memrchr(iss.p, '/', iss.n);
            if (r)
                role = sub(iss, (size_t)(r + 1 - iss.p), (size_t)(iss.p + iss.n - r - 1));
        }
        int sso = starts_ci(role, "AWSReservedSSO_") || contains(iss, "/aws-reserved/sso.amazonaws.com/");
        p->kind = sso ? KM_ID_AWS_SSO_SESSION : KM_ID_AWS_ROLE_SESSION;
        p->capable = 1;
        p->fold = !sso;
        p->name = has(name) ? name : id;
        p->id = key_id;
        p->local = session;
        if (has(role)) {
            p->pkind = KM_ID_AWS_ROLE;
            p->pname = role;
            p->pid = iss;
            p->paccount = has(arn_account(iss)) ? arn_account(iss) : p->account;
        } else {
            p->fold = 0;
        }
    } else if (eqc_ci(type, "FederatedUser") || eqc_ci(type, "SAMLUser")) {
        p->kind = KM_ID_AWS_FEDERATED;
        p->capable = 1;
        p->name = has(name) ? name : id;
        p->id = key_id;
        p->local = name;
    } else if (eqc_ci(type, "WebIdentityUser")) {
        int workload = !has(name) || memchr(name.p, ':', name.n) || memchr(name.p, '/', name.n);
        p->kind = workload && !has(p->email) ? KM_ID_WORKLOAD : KM_ID_AWS_FEDERATED;
        p->capable = p->kind == KM_ID_AWS_FEDERATED;
        p->name = has(name) ? name : id;
        p->id = key_id;
        p->local = p->capable ? name : NONE;
    } else if (eqc_ci(type, "IdentityCenterUser")) {
        p->kind = KM_ID_AWS_IDC_USER;
        p->capable = 1;
        p->name = has(name) ? name : id;
        p->id = id;
        p->local = name;
    } else if (eqc_ci(type, "AWSService")) {
        p->kind = KM_ID_SERVICE;
        p->name = has(name) ? name : id;
    } else if (eqc_ci(type, "AWSAccount")) {
        p->kind = KM_ID_OTHER;
        p->name = has(name) ? name : id;
        p->id = id;
    } else if (has(p->email)) {
        p->kind = KM_ID_OTHER;
        p->capable = 1;
        p->name = has(name) ? name : p->email;
        p->id = key_id;
    } else if (has(name) || has(id)) {
        if (ends_ci(name, ".amazonaws.com") || eqc_ci(name, "AWS Internal")) {
            p->kind = KM_ID_SERVICE;
            p->name = name;
        } else {
            p->kind = KM_ID_OTHER;
            p->capable = 1;
            p->name = has(name) ? name : id;
            p->id = key_id;
            p->local = name;
        }
    }
}

static void classify_azure(const struct km_str *t, struct proto *p, int m365)
{
    struct km_str type = t[T_TYPE], name = t[T_NAME], id = t[T_ID];
    if (eqc_ci(type, "ServicePrincipal") || eqc_ci(type, "ManagedIdentity") ||
        eqc_ci(type, "Application") || eqc_ci(type, "App")) {
        p->kind = KM_ID_ENTRA_APP;
        p->name = has(name) ? name : id;
        p->id = id;
        return;
    }
    if (eqc_ci(type, "ServiceAccount") || eqc_ci(type, "System") || eqc_ci(type, "DcAdmin") ||
        eqc_ci(type, "Reserved") || starts_ci(name, "system:") || starts_ci(name, "NT AUTHORITY")) {
        p->kind = KM_ID_SERVICE;
        p->name = has(name) ? name : has(id) ? id : type;
        return;
    }
    if (eqc_ci(type, "SAS") || eqc_ci(type, "AccountKey") || eqc_ci(type, "Anonymous")) {
        p->kind = KM_ID_OTHER;
        p->name = has(name) ? name : type;
        return;
    }
    int user_kind = m365 ? KM_ID_M365_USER : KM_ID_ENTRA_USER;
    p->guest = eqc_ci(type, "Guest") || (has(p->email) && contains(p->email, "#ext#"));
    if (has(p->email)) {
        p->kind = user_kind;
        p->capable = 1;
        p->oid = guid_shaped(id) ? id : NONE;
        p->id = id;
        p->name = p->email;
        /* a display name from Entra; M365 names beside an e-mail are often an
         * application's (Defender's initiating process) */
        if (!m365 && has(name) && !km_str_is_email(name) && !guid_shaped(name))
            p->display = name;
    } else if (guid_shaped(id)) {
        p->kind = user_kind;
        p->capable = 1;
        p->oid = id;
        p->id = id;
        p->name = id;
        if (has(name) && !km_str_is_email(name) && !guid_shaped(name))
            p->display = name;
    } else if (has(name) || has(id)) {
        p->kind = KM_ID_OTHER;
        p->capable = 1;
        p->name = has(name) ? name : id;
        p->id = id;
        p->local = name;
    }
}

static void classify_gcp(const struct km_str *t, struct proto *p, int workspace)
{
    struct km_str type = t[T_TYPE], name = t[T_NAME], id = t[T_ID];
    if (workspace) {
        if (has(p->email)) {
            p->kind = KM_ID_WORKSPACE_USER;
            p->capable = 1;
            p->name = p->email;
            p->id = id;
        } else if (has(name) || has(id)) {
            p->kind = KM_ID_OTHER;
            p->name = has(name) ? name : id;
        }
        return;
    }
    if (eqc_ci(type, "service_account") || sa_email(name)) {
        if (starts_ci(name, "system:serviceaccount:")) {
            p->kind = KM_ID_SERVICE;
            p->name = name;
            return;
        }
        struct km_str sa = has(name) ? name : t[T_EMAIL];
        if (!has(sa))
            sa = id;
        struct km_str first = chain_first(t[T_ISSUER]);
        if (km_str_is_email(first) && !sa_email(first)) {
            /* a person acting as the service account */
            p->kind = KM_ID_GCP_IMPERSONATION;
            p->capable = 1;
            p->fold = 1;
            p->name = sa;
            p->email = first;
            p->id = t[T_ISSUER];
            p->pkind = KM_ID_GCP_SERVICE_ACCOUNT;
            p->pname = sa;
            p->pid = id;
            return;
        }
        p->kind = KM_ID_GCP_SERVICE_ACCOUNT;
        p->name = sa;
        p->id = id;
        p->email = NONE;
        return;
    }
    if (eqc_ci(type, "federated") || starts_ci(name, "principal://") ||
        starts_ci(name, "principalSet://")) {
        p->kind = KM_ID_WORKLOAD;
        p->name = has(name) ? name : id;
        p->id = id;
        return;
    }
    if (has(p->email)) {
        p->kind = KM_ID_GCP_USER;
        p->capable = 1;
        p->name = p->email;
        p->id = id;
        return;
    }
    if (has(name) || has(id) || has(type)) {
        p->kind = KM_ID_OTHER;
        p->name = has(name) ? name : has(id) ? id : type;
        p->id = id;
    }
}

static void classify(const struct km_str *t, struct proto *p)
{
    memset(p, 0, sizeof *p);
    p->kind = -1;
    p->pkind = -1;
    p->provider = t[T_PROVIDER];
    p->account = t[T_ACCOUNT];
    p->arn = t[T_ARN];
    p->issuer = t[T_ISSUER];
    struct km_str e = t[T_EMAIL];
    p->email = km_str_is_email(e) && !sa_email(e) ? e : NONE;
    if (eqc_ci(p->provider, "aws"))
        classify_aws(t, p);
    else if (eqc_ci(p->provider, "azure"))
        classify_azure(t, p, 0);
    else if (eqc_ci(p->provider, "m365"))
        classify_azure(t, p, 1);
    else if (eqc_ci(p->provider, "gcp"))
        classify_gcp(t, p, 0);
    else if (eqc_ci(p->provider, "workspace"))
        classify_gcp(t, p, 1);
    else if (has(p->email) || has(t[T_NAME]) || has(t[T_ID])) {
        p->kind = KM_ID_OTHER;
        p->capable = 1;
        p->name = has(p->email) ? p->email : has(t[T_NAME]) ? t[T_NAME] : t[T_ID];
        p->id = t[T_ID];
        p->local = t[T_NAME];
    }
    if (!p->capable) {
        p->email = NONE;
        p->local = NONE;
    }
    if (km_str_is_email(p->local))
        p->local = NONE;
    if (!has(p->name))
        p->name = has(p->id) ? p->id : KM_STR("");
}

/* Identity key: kind, provider, scope (the AWS account), a, b. */
struct ikey {
    int kind;
    struct km_str prov, scope, a, b;
};

static void proto_key(const struct proto *p, struct ikey *k)
{
    k->kind = p->kind;
    k->prov = p->provider;
    k->scope = KM_STR("");
    k->b = KM_STR("");
    k->a = p->name;
    if (eqc_ci(p->provider, "aws"))
        k->scope = p->account.p ? p->account : KM_STR("");
    switch (p->kind) {
    case KM_ID_ENTRA_USER:
        k->a = has(p->oid) ? p->oid : KM_STR("");
        k->b = has(p->email) ? p->email : p->name;
        break;
    case KM_ID_M365_USER: /* the ids beside an M365 user's e-mail vary (PUID, app id) */
        k->a = has(p->email) ? KM_STR("") : p->oid;
        k->b = has(p->email) ? p->email : p->name;
        break;
    case KM_ID_GCP_IMPERSONATION: k->b = p->email; break;
    case KM_ID_ENTRA_APP: k->a = has(p->id) ? p->id : p->name; break;
    default: break;
    }
}

static void parent_key(const struct proto *p, struct ikey *k)
{
    k->kind = p->pkind;
    k->prov = p->provider;
    k->scope = KM_STR("");
    if (eqc_ci(p->provider, "aws"))
        k->scope = p->paccount.p ? p->paccount : KM_STR("");
    k->a = p->pname;
    k->b = KM_STR("");
}

static uint64_t ikey_hash(const struct ikey *k)
{
    uint64_t h = 0xcbf29ce484222325ULL ^ (uint64_t)(k->kind + 7);
    h = hstr(h, k->prov, 1);
    h = hstr(h, k->scope, 1);
    h = hstr(h, k->a, 1);
    h = hstr(h, k->b, 1);
    return hmix(h);
}

/* ---- the graph -------------------------------------------------------------------------- */

struct acct {
    const char *a;
    uint64_t events;
};

struct idn {                 /* an identity while building, and its lookup data */
    struct ikey key;         /* strings in the graph arena */
    uint64_t kh;
    int capable, fold, guest;
    const char *provider, *name, *id, *email, *local, *oid, *arn;
    const char *display;
    uint64_t display_ev;
    int32_t parent;
    struct acct *acc;
    uint32_t nacc, capacc;
    uint64_t events;
    int64_t first, last;
    int32_t person;
    const char *rule;
    const char *detail;
    int32_t *users;
    uint32_t nusers, capusers;
    int32_t tup0;            /* first tuple (chain through tup.next) */
    int alive;
};

struct pn {                  /* a person while building */
    const char *email;
    const char *display;     /* from the map */
};

struct km_idgraph {
    struct km_arena a;
    struct ttab tt;
    struct idn *id;
    size_t nid, capid;
    struct km_ident *pub;    /* public view of id[] */
    struct km_person *persons;
    size_t npersons;
    struct pn *pn;
    size_t npn, cappn;
    /* lookups */
    size_t *kslot;           /* identity key → index+1 (0 empty) */
    size_t kcap;
    struct smap pmail;       /* e-mail → person */
    struct smap oid;         /* lower-case object id → person, -2 ambiguous */
    struct smap local;       /* lower-case local part → person, -2 ambiguous */
    struct smap mapidx;      /* lower-case map value → first entry (chain in mapnext) */
    int32_t *mapnext;
    uint64_t *maphits;
    /* configuration */
    const char **domains;
    size_t ndomains;
    const char *origin;
    int local_on;
    struct km_idmap *map;
    const char *mapname;     /* the map's file name for details */
    const char **warn;
    size_t nwarn, capwarn;
};

static char *afmt(struct km_arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *afmt(struct km_arena *a, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return adup(a, km_str_c(buf));
}

static void warn(struct km_idgraph *g, const char *msg)
{
    if (g->nwarn >= 1000)
        return;
    if (g->nwarn == g->capwarn) {
        g->capwarn = g->capwarn ? g->capwarn * 2 : 16;
        g->warn = km_xrealloc(g->warn, g->capwarn * sizeof *g->warn);
    }
    g->warn[g->nwarn++] = msg;
}

/* -- identity key table -- */

static int32_t ident_find(const struct km_idgraph *g, const struct ikey *k, uint64_t h)
{
    if (!g->kcap)
        return -1;
    for (size_t i = (size_t)h & (g->kcap - 1);; i = (i + 1) & (g->kcap - 1)) {
        size_t v = g->kslot[i];
        if (!v)
            return -1;
        const struct idn *d = &g->id[v - 1];
        if (d->kh == h && d->key.kind == k->kind && eq_ci(d->key.prov, k->prov) &&
            eq_ci(d->key.scope, k->scope) && eq_ci(d->key.a, k->a) && eq_ci(d->key.b, k->b))
            return (int32_t)(v - 1);
    }
}

static void kslot_rebuild(struct km_idgraph *g)
{
    size_t cap = 64;
    while (cap < g->nid * 2 + 2)
        cap *= 2;
    free(g->kslot);
    g->kslot = km_xcalloc(cap, sizeof *g->kslot);
    g->kcap = cap;
    for (size_t k = 0; k < g->nid; k++) {
        if (!g->id[k].alive)
            continue;
        size_t i = (size_t)g->id[k].kh & (cap - 1);
        while (g->kslot[i])
            i = (i + 1) & (cap - 1);
        g->kslot[i] = k + 1;
    }
}

static struct km_str S(const char *s) { return km_str_c(s); }

static int32_t ident_add(struct km_idgraph *g, const struct ikey *k, uint64_t h)
{
    if (g->nid == g->capid) {
        g->capid = g->capid ? g->capid * 2 : 256;
        g->id = km_xrealloc(g->id, g->capid * sizeof *g->id);
    }
    struct idn *d = &g->id[g->nid];
    memset(d, 0, sizeof *d);
    d->key.kind = k->kind;
    d->key.prov = S(adup(&g->a, k->prov));
    d->key.scope = S(adup(&g->a, k->scope));
    d->key.a = S(adup(&g->a, k->a));
    d->key.b = S(adup(&g->a, k->b));
    d->kh = h;
    d->parent = -1;
    d->person = -1;
    d->rule = "";
    d->detail = "";
    d->tup0 = -1;
    d->alive = 1;
    d->provider = d->key.prov.p;
    d->name = d->id = d->email = d->local = d->oid = d->arn = d->display = "";
    g->nid++;
    if (g->nid * 2 > g->kcap)
        kslot_rebuild(g);
    else {
        size_t i = (size_t)h & (g->kcap - 1);
        while (g->kslot[i])
            i = (i + 1) & (g->kcap - 1);
        g->kslot[i] = g->nid;
    }
    return (int32_t)(g->nid - 1);
}

static void acct_add(struct idn *d, struct km_arena *a, struct km_str acct, uint64_t events)
{
    if (!has(acct))
        return;
    for (uint32_t i = 0; i < d->nacc; i++)
        if (eq_ci(S(d->acc[i].a), acct)) {
            d->acc[i].events += events;
            return;
        }
    if (d->nacc >= 1024)
        return;
    if (d->nacc == d->capacc) {
        d->capacc = d->capacc ? d->capacc * 2 : 2;
        d->acc = km_xrealloc(d->acc, d->capacc * sizeof *d->acc);
    }
    d->acc[d->nacc++] = (struct acct){adup(a, acct), events};
}

static void users_add(struct idn *d, int32_t p)
{
    for (uint32_t i = 0; i < d->nusers; i++)
        if (d->users[i] == p)
            return;
    if (d->nusers == d->capusers) {
        d->capusers = d->capusers ? d->capusers * 2 : 4;
        d->users = km_xrealloc(d->users, d->capusers * sizeof *d->users);
    }
    d->users[d->nusers++] = p;
}

/* -- persons -- */

static int32_t person_add(struct km_idgraph *g, struct km_str email)
{
    char buf[1024];
    if (email.n >= sizeof buf)
        return -1;
    for (uint32_t i = 0; i < email.n; i++)
        buf[i] = (char)tolower((unsigned char)email.p[i]);
    buf[email.n] = 0;
    int32_t p = smap_get(&g->pmail, S(buf));
    if (p >= 0)
        return p;
    if (g->npn == g->cappn) {
        g->cappn = g->cappn ? g->cappn * 2 : 64;
        g->pn = km_xrealloc(g->pn, g->cappn * sizeof *g->pn);
    }
    g->pn[g->npn] = (struct pn){adup(&g->a, S(buf)), NULL};
    smap_put(&g->pmail, g->pn[g->npn].email, (int32_t)g->npn, 0);
    return (int32_t)g->npn++;
}

/* lower-cased copy of s into buf (NUL-terminated); 0 when it does not fit */
static int lower_into(struct km_str s, char *buf, size_t cap)
{
    if (!s.p || s.n >= cap)
        return 0;
    for (uint32_t i = 0; i < s.n; i++)
        buf[i] = (char)tolower((unsigned char)s.p[i]);
    buf[s.n] = 0;
    return 1;
}

int km_idgraph_person_by_email(const struct km_idgraph *g, const char *s, size_t n)
{
    char buf[1024];
    if (!lower_into((struct km_str){s, (uint32_t)n}, buf, sizeof buf))
        return -1;
    return smap_get(&g->pmail, S(buf));
}

/* ---- rules -------------------------------------------------------------------------------- */

/* What the rules and the map look at. */
struct iview {
    int kind, capable;
    struct km_str provider, name, id, email, local, oid, arn;
    const struct acct *acc;
    uint32_t nacc;
    struct km_str account;   /* when acc is NULL */
};

static const char *pname(const struct km_idgraph *g, int32_t p)
{
    return p >= 0 && (size_t)p < g->npn ? g->pn[p].email : "?";
}

static void email_detail(const struct iview *v, const char *email, char *d, size_t dn)
{
    switch (v->kind) {
    case KM_ID_ENTRA_USER: snprintf(d, dn, "UPN %s", email); break;
    case KM_ID_M365_USER: snprintf(d, dn, "user %s", email); break;
    case KM_ID_GCP_USER:
    case KM_ID_WORKSPACE_USER: snprintf(d, dn, "principal %s", email); break;
    case KM_ID_AWS_SSO_SESSION: snprintf(d, dn, "SSO session of %s", email); break;
    case KM_ID_AWS_ROLE_SESSION:
        snprintf(d, dn, "session name or sourceIdentity %s", email);
        break;
    case KM_ID_GCP_IMPERSONATION:
        snprintf(d, dn, "%s acting as the service account (delegation chain)", email);
        break;
    default: snprintf(d, dn, "e-mail %s", email); break;
    }
}

static int view_has_account(const struct iview *v, const char *a)
{
    if (v->acc) {
        for (uint32_t i = 0; i < v->nacc; i++)
            if (strcasecmp(v->acc[i].a, a) == 0)
                return 1;
        return 0;
    }
    return eqc_ci(v->account, a);
}

static int ref_matches(const struct km_idmap_ent *e, const struct iview *v)
{
    if (e->provider[0] && !eqc_ci(v->provider, e->provider))
        return 0;
    if (e->kind >= 0 && v->kind != e->kind)
        return 0;
    if (e->account[0] && !view_has_account(v, e->account))
        return 0;
    const char *x = e->value;
    switch (e->ref_kind) {
    case KM_IDREF_EMAIL: return eqc_ci(v->email, x) || eqc_ci(v->name, x);
    case KM_IDREF_ARN: return eqc_ci(v->id, x) || eqc_ci(v->arn, x);
    case KM_IDREF_ID: return eqc_ci(v->id, x) || eqc_ci(v->oid, x);
    case KM_IDREF_PRINCIPAL: return eqc_ci(v->id, x) || eqc_ci(v->name, x);
    default: return eqc_ci(v->name, x) || eqc_ci(v->local, x) || eqc_ci(v->id, x);
    }
}

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/*
 * The person of an identity by the rules, then the map. Writes the rule and
 * its detail. hits (may be NULL) counts the map entries that matched.
 */
static int32_t assign(const struct km_idgraph *g, const struct iview *v, const char **rule,
                      char *detail, size_t dn, uint64_t *hits)
{
    int32_t p = -1;
    *rule = "";
    detail[0] = 0;
    char buf[1024];
    if (v->capable) {
        if (has(v->email) && lower_into(v->email, buf, sizeof buf) &&
            (p = smap_get(&g->pmail, S(buf))) >= 0) {
            *rule = "email";
            email_detail(v, buf, detail, dn);
        }
        if (p < 0 && has(v->oid) && lower_into(v->oid, buf, sizeof buf)) {
            int32_t q = smap_get(&g->oid, S(buf));
            if (q >= 0) {
                p = q;
                *rule = "object-id";
                snprintf(detail, dn, "object id %s seen with UPN %s", buf, pname(g, q));
            } else if (q == -2) {
                snprintf(detail, dn, "object id %s seen with several UPNs: not linked", buf);
            }
        }
        if (p < 0 && g->local_on && has(v->local) && lower_into(v->local, buf, sizeof buf)) {
            int32_t q = smap_get(&g->local, S(buf));
            if (q >= 0) {
                p = q;
                *rule = "local-part";
                const char *dom = strchr(pname(g, q), '@');
                snprintf(detail, dn, "%.*s = local part of %s (domain %s from %s)", (int)v->local.n,
                         v->local.p, pname(g, q), dom ? dom + 1 : "?", g->origin);
            } else if (q == -2) {
                snprintf(detail, dn,
                         "%.*s is the local part of several persons' e-mails: not linked",
                         (int)v->local.n, v->local.p);
            }
        }
    }
    if (!g->map || !g->map->n)
        return p;
    /* candidate map entries: those whose value is one of the identity's strings */
    int32_t cand[64];
    int nc = 0;
    const struct km_str keys[] = {v->email, v->name, v->local, v->id, v->oid, v->arn};
    for (size_t k = 0; k < KM_ARRAY_LEN(keys); k++) {
        if (!has(keys[k]) || !lower_into(keys[k], buf, sizeof buf))
            continue;
        for (int32_t e = smap_get(&g->mapidx, S(buf)); e >= 0 && nc < 64; e = g->mapnext[e]) {
            int dup = 0;
            for (int i = 0; i < nc; i++)
                dup |= cand[i] == e;
            if (!dup)
                cand[nc++] = e;
        }
    }
    if (!nc)
        return p;
    qsort(cand, (size_t)nc, sizeof *cand, cmp_i32);
    for (int i = 0; i < nc; i++) {
        const struct km_idmap_ent *e = &g->map->ents[cand[i]];
        if (!ref_matches(e, v))
            continue;
        if (hits)
            hits[cand[i]]++;
        int32_t q = smap_get(&g->pmail, S(e->person));
        const char *note = e->note[0] ? " — " : "";
        if (e->op == KM_IDMAP_IS) {
            if (q < 0)
                continue; /* cannot happen in a build: map persons exist */
            p = q;
            *rule = "map";
            snprintf(detail, dn, "%s:%ld: %s is %s%s%s", g->mapname, e->line, e->person, e->ref,
                     note, e->note);
        } else if (e->op == KM_IDMAP_NOT && p >= 0 && q == p) {
            p = -1;
            *rule = "map";
            snprintf(detail, dn, "%s:%ld: not %s%s%s", g->mapname, e->line, e->person, note,
                     e->note);
        }
    }
    return p;
}

static void view_of_idn(const struct idn *d, int kind, struct iview *v)
{
    memset(v, 0, sizeof *v);
    v->kind = kind;
    v->capable = d->capable;
    v->provider = S(d->provider);
    v->name = S(d->name);
    v->id = S(d->id);
    v->email = S(d->email);
    v->local = S(d->local);
    v->oid = S(d->oid);
    v->arn = S(d->arn);
    v->acc = d->acc;
    v->nacc = d->nacc;
}

static void view_of_proto(const struct proto *p, struct iview *v)
{
    memset(v, 0, sizeof *v);
    v->kind = p->kind;
    v->capable = p->capable;
    v->provider = p->provider;
    v->name = p->name;
    v->id = p->id;
    v->email = p->email;
    v->local = p->local;
    v->oid = p->oid;
    v->arn = p->arn;
    v->account = p->account;
}

/* ---- building ----------------------------------------------------------------------- */

struct worker {
    struct km_store *s;
    int no_times;
    const struct km_segment_row *rows;
    size_t nrows;
    int tid, n;
    struct ttab tt;
    struct km_arena a;
    struct ctab ct;
    struct km_seg **segs;
    size_t nsegs;
    int rc;
    struct km_err e;
};

static void *scan_worker(void *arg)
{
    struct worker *W = arg;
    W->segs = km_xcalloc(W->nrows + 1, sizeof *W->segs);
    for (size_t i = (size_t)W->tid; i < W->nrows && !W->rc; i += (size_t)W->n) {
        char p[4096];
        km_store_segment_path(W->s, W->rows[i].file, p, sizeof p);
        struct km_seg *seg;
        if ((W->rc = km_seg_open(p, &seg, &W->e)))
            break;
        W->segs[W->nsegs++] = seg;
        const int64_t *ts = NULL;
        if ((W->rc = seg_combos(seg, &W->ct, NULL, &W->e)) ||
            (!W->no_times && (W->rc = km_seg_times(seg, &ts, &W->e)))) {
            if (!W->e.file[0])
                snprintf(W->e.file, sizeof W->e.file, "%s", p);
            break;
        }
        for (uint32_t k = 0; k < W->ct.n && !W->rc; k++) {
            struct km_str v[NT];
            const struct combo *cb = &W->ct.v[k];
            if ((W->rc = combo_strs(seg, cb, v, &W->e)))
                break;
            ttab_add(&W->tt, v, tup_hash(v), cb->n, ts ? ts[cb->r0] : 0, ts ? ts[cb->r1] : 0);
        }
        km_seg_drop_decoded(seg);
    }
    return NULL;
}

static int collect_tuples(struct km_idgraph *g, struct km_store *s, int no_times,
                          struct km_err *err)
{
    struct km_segment_row *rows = NULL;
    size_t nrows = 0;
    int rc = km_cat_segments(km_store_catalog(s), &rows, &nrows, err);
    if (rc)
        return rc;
    enum { NW = 2 };
    struct worker W[NW];
    pthread_t th[NW];
    int started[NW] = {0};
    int nw = nrows > 1 ? NW : 1;
    for (int t = 0; t < nw; t++) {
        memset(&W[t], 0, sizeof W[t]);
        W[t].s = s;
        W[t].no_times = no_times;
        W[t].rows = rows;
        W[t].nrows = nrows;
        W[t].tid = t;
        W[t].n = nw;
        km_arena_init(&W[t].a, 1 << 16, (size_t)4 << 30);
        W[t].tt.a = &W[t].a;
        km_err_clear(&W[t].e);
        if (t > 0)
            started[t] = pthread_create(&th[t], NULL, scan_worker, &W[t]) == 0;
    }
    scan_worker(&W[0]);
    for (int t = 1; t < nw; t++) {
        if (started[t])
            pthread_join(th[t], NULL);
        else
            scan_worker(&W[t]);
    }
    for (int t = 0; t < nw; t++) {
        if (W[t].rc && !rc) {
            rc = W[t].rc;
            if (err && !err->code)
                *err = W[t].e;
        }
        for (size_t k = 0; k < W[t].tt.n; k++) {
            const struct tup *u = &W[t].tt.v[k];
            ttab_add(&g->tt, u->v, u->h, u->events, u->first, u->last);
        }
        g->tt.capped |= W[t].tt.capped;
        for (size_t k = 0; k < W[t].nsegs; k++)
            km_seg_close(W[t].segs[k]);
        free(W[t].segs);
        ttab_free(&W[t].tt);
        ctab_free(&W[t].ct);
        km_arena_free(&W[t].a);
    }
    free(rows);
    return rc;
}

/* Fills an identity's attributes from the first tuple that made it. */
static void idn_fill(struct km_idgraph *g, struct idn *d, const struct proto *p)
{
    d->capable = p->capable;
    d->fold = p->fold;
    d->guest |= p->guest;
    d->name = adup(&g->a, p->name);
    d->id = adup(&g->a, p->id);
    d->email = adup_lower(&g->a, p->email);
    d->local = adup(&g->a, p->local);
    d->oid = adup_lower(&g->a, p->oid);
    d->arn = adup(&g->a, p->arn);
}

static int32_t parent_of(struct km_idgraph *g, const struct proto *p)
{
    if (p->pkind < 0)
        return -1;
    struct ikey k;
    parent_key(p, &k);
    uint64_t h = ikey_hash(&k);
    int32_t x = ident_find(g, &k, h);
    if (x < 0) {
        x = ident_add(g, &k, h);
        struct idn *d = &g->id[x];
        d->name = adup(&g->a, p->pname);
        d->id = adup(&g->a, p->pid);
        d->email = d->local = d->oid = d->arn = "";
        d->capable = 0;
        if (has(p->paccount))
            acct_add(d, &g->a, p->paccount, 0);
    }
    return x;
}

static void identities_from_tuples(struct km_idgraph *g)
{
    for (size_t t = 0; t < g->tt.n; t++) {
        struct tup *u = &g->tt.v[t];
        struct proto p;
        classify(u->v, &p);
        if (p.kind < 0)
            continue;
        struct ikey k;
        proto_key(&p, &k);
        uint64_t h = ikey_hash(&k);
        int32_t x = ident_find(g, &k, h);
        if (x < 0) {
            x = ident_add(g, &k, h);
            idn_fill(g, &g->id[x], &p);
        }
        int32_t par = parent_of(g, &p); /* may move g->id */
        struct idn *d = &g->id[x];
        if (par >= 0) {
            d->parent = par;
            if (!g->id[par].id[0] && has(p.pid))
                g->id[par].id = adup(&g->a, p.pid);
        }
        /* a later tuple may know more (an ARN, an id) */
        if (!d->id[0] && has(p.id))
            d->id = adup(&g->a, p.id);
        if (!d->arn[0] && has(p.arn))
            d->arn = adup(&g->a, p.arn);
        if (!d->oid[0] && has(p.oid))
            d->oid = adup_lower(&g->a, p.oid);
        if (!d->local[0] && has(p.local))
            d->local = adup(&g->a, p.local);
        u->ident = x;
        u->next = d->tup0;
        d->tup0 = (int32_t)t;
        if (!d->events || u->first < d->first)
            d->first = u->first;
        if (!d->events || u->last > d->last)
            d->last = u->last;
        d->events += u->events;
        acct_add(d, &g->a, p.account, u->events);
        d->guest |= p.guest;
        if (has(p.display) && u->events >= d->display_ev) {
            d->display = adup(&g->a, p.display);
            d->display_ev = u->events;
        }
    }
}

static int dom_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void add_domain(struct km_idgraph *g, const char *d, size_t *cap)
{
    for (size_t i = 0; i < g->ndomains; i++)
        if (strcmp(g->domains[i], d) == 0)
            return;
    if (g->ndomains >= 4096)
        return;
    if (g->ndomains == *cap) {
        *cap = *cap ? *cap * 2 : 8;
        g->domains = km_xrealloc(g->domains, *cap * sizeof *g->domains);
    }
    g->domains[g->ndomains++] = d;
}

static void find_domains(struct km_idgraph *g, const struct km_conf *conf)
{
    size_t cap = 0;
    const char *const *items;
    size_t n = km_conf_list(conf, "identity.domains", &items);
    for (size_t i = 0; i < n; i++) {
        const char *d = items[i];
        while (*d == '@')
            d++;
        if (*d)
            add_domain(g, adup_lower(&g->a, S(d)), &cap);
    }
    if (g->ndomains) {
        g->origin = "configuration";
    } else {
        for (size_t i = 0; i < g->nid; i++) {
            const struct idn *d = &g->id[i];
            if ((d->key.kind != KM_ID_ENTRA_USER && d->key.kind != KM_ID_M365_USER) || d->guest ||
                !d->email[0])
                continue;
            const char *at = strrchr(d->email, '@');
            if (at && at[1])
                add_domain(g, at + 1, &cap);
        }
        g->origin = g->ndomains ? "tenant UPNs" : "none";
    }
    if (g->ndomains > 1)
        qsort(g->domains, g->ndomains, sizeof *g->domains, dom_cmp);
}

static int in_domains(const struct km_idgraph *g, const char *email)
{
    const char *at = strrchr(email, '@');
    if (!at)
        return 0;
    for (size_t i = 0; i < g->ndomains; i++)
        if (strcmp(g->domains[i], at + 1) == 0)
            return 1;
    return 0;
}

/* oid and local-part lookups from the current persons (values: person or -2). */
static void build_person_lookups(struct km_idgraph *g)
{
    smap_free(&g->oid);
    smap_free(&g->local);
    for (size_t i = 0; i < g->nid; i++) {
        const struct idn *d = &g->id[i];
        if (!d->alive || (d->key.kind != KM_ID_ENTRA_USER && d->key.kind != KM_ID_M365_USER) ||
            !d->oid[0] || !d->email[0])
            continue;
        int32_t p = d->person >= 0 ? d->person : smap_get(&g->pmail, S(d->email));
        if (p < 0)
            continue;
        int32_t old = smap_put(&g->oid, d->oid, p, 1);
        if (old != p)
            smap_put(&g->oid, d->oid, -2, 0);
    }
    for (size_t p = 0; p < g->npn; p++) {
        const char *e = g->pn[p].email;
        if (!in_domains(g, e))
            continue;
        const char *at = strrchr(e, '@');
        const char *lp = adup(&g->a, (struct km_str){e, (uint32_t)(at - e)});
        int32_t old = smap_put(&g->local, lp, (int32_t)p, 1);
        if (old != (int32_t)p)
            smap_put(&g->local, lp, -2, 0);
    }
}

static void build_map_index(struct km_idgraph *g)
{
    if (!g->map)
        return;
    g->mapnext = km_xmalloc((g->map->n + 1) * sizeof *g->mapnext);
    g->maphits = km_xcalloc(g->map->n + 1, sizeof *g->maphits);
    for (size_t i = g->map->n; i-- > 0;) {
        const struct km_idmap_ent *e = &g->map->ents[i];
        g->mapnext[i] = -1;
        if (e->op == KM_IDMAP_NAME)
            continue;
        const char *v = adup_lower(&g->a, S(e->value));
        int32_t head = smap_put(&g->mapidx, v, (int32_t)i, 1);
        if (head != (int32_t)i) {
            g->mapnext[i] = head;
            smap_put(&g->mapidx, v, (int32_t)i, 0);
        }
    }
}

static int load_map(struct km_idgraph *g, struct km_store *s, const struct km_conf *conf,
                    struct km_err *err)
{
    const char *m = km_conf_str(conf, "identity.map");
    int set = km_conf_is_set(conf, "identity.map");
    if (set && !*m)
        return KM_OK; /* explicitly none */
    const char *dir = km_store_dir(s);
    char path[4096];
    const char *cands[] = {m, "identities.yaml", "identities.yml"};
    size_t nc = set ? 1 : KM_ARRAY_LEN(cands);
    for (size_t i = 0; i < nc; i++) {
        if (cands[i][0] == '/')
            snprintf(path, sizeof path, "%s", cands[i]);
        else
            snprintf(path, sizeof path, "%s/%s", dir, cands[i]);
        struct stat st;
        if (stat(path, &st) != 0) {
            if (set)
                return km_err_set(err, KM_EUSAGE, path, UINT64_MAX,
                                  "the identity map named by identity.map does not exist");
            continue;
        }
        int rc = km_idmap_load(path, &g->map, err);
        if (rc)
            return rc == KM_ENOTFOUND ? KM_EUSAGE : rc;
        const char *base = strrchr(path, '/');
        g->mapname = adup(&g->a, S(base ? base + 1 : path));
        return KM_OK;
    }
    return KM_OK;
}

static int ident_cmp_ctx_sort(const void *a, const void *b, void *ctx)
{
    const struct km_idgraph *g = ctx;
    const struct idn *x = &g->id[*(const int32_t *)a], *y = &g->id[*(const int32_t *)b];
    int c = strcmp(x->provider, y->provider);
    if (c)
        return c;
    c = strcmp(km_ident_kind_name(x->key.kind), km_ident_kind_name(y->key.kind));
    if (c)
        return c;
    const char *ax = x->nacc ? x->acc[0].a : "", *ay = y->nacc ? y->acc[0].a : "";
    c = strcmp(ax, ay);
    if (c)
        return c;
    c = strcmp(x->name, y->name);
    if (c)
        return c;
    return strcmp(x->email, y->email);
}

static int pn_cmp_sort(const void *a, const void *b, void *ctx)
{
    const struct km_idgraph *g = ctx;
    return strcmp(g->pn[*(const int32_t *)a].email, g->pn[*(const int32_t *)b].email);
}

static int acct_cmp(const void *a, const void *b)
{
    const struct acct *x = a, *y = b;
    if (x->events != y->events)
        return x->events > y->events ? -1 : 1;
    return strcmp(x->a, y->a);
}

/* Folds, drops, sorts and publishes. */
static void finish(struct km_idgraph *g)
{
    /* unlinked role sessions / impersonations: their events are the parent's */
    for (size_t i = 0; i < g->nid; i++) {
        struct idn *d = &g->id[i];
        if (!d->alive || d->parent < 0)
            continue;
        struct idn *par = &g->id[d->parent];
        if (d->person >= 0) {
            users_add(par, d->person);
            continue;
        }
        if (!d->fold)
            continue;
        if (d->events) {
            if (!par->events || d->first < par->first)
                par->first = d->first;
            if (!par->events || d->last > par->last)
                par->last = d->last;
            par->events += d->events;
        }
        for (uint32_t k = 0; k < d->nacc; k++)
            acct_add(par, &g->a, S(d->acc[k].a), d->acc[k].events);
        for (int32_t t = d->tup0; t >= 0;) {
            int32_t nx = g->tt.v[t].next;
            g->tt.v[t].ident = d->parent;
            g->tt.v[t].next = par->tup0;
            par->tup0 = t;
            t = nx;
        }
        d->tup0 = -1;
        d->alive = 0;
    }
    /* non-person identities nobody used and with no events of their own */
    for (size_t i = 0; i < g->nid; i++) {
        struct idn *d = &g->id[i];
        if (d->alive && d->person < 0 && !d->capable && !d->events && !d->nusers)
            d->alive = 0;
    }
    /* persons: keep those with identities, sorted by e-mail */
    size_t np = g->npn;
    int32_t *pcount = km_xcalloc(np + 1, sizeof *pcount);
    for (size_t i = 0; i < g->nid; i++)
        if (g->id[i].alive && g->id[i].person >= 0)
            pcount[g->id[i].person]++;
    int32_t *pord = km_xmalloc((np + 1) * sizeof *pord);
    size_t nkeep = 0;
    for (size_t p = 0; p < np; p++)
        if (pcount[p])
            pord[nkeep++] = (int32_t)p;
    if (nkeep > 1)
        qsort_r(pord, nkeep, sizeof *pord, pn_cmp_sort, g);
    int32_t *pmap = km_xmalloc((np + 1) * sizeof *pmap);
    for (size_t p = 0; p < np; p++)
        pmap[p] = -1;
    for (size_t k = 0; k < nkeep; k++)
        pmap[pord[k]] = (int32_t)k;
    /* identities: alive ones, sorted */
    int32_t *iord = km_xmalloc((g->nid + 1) * sizeof *iord);
    size_t nlive = 0;
    for (size_t i = 0; i < g->nid; i++)
        if (g->id[i].alive) {
            if (g->id[i].nacc > 1)
                qsort(g->id[i].acc, g->id[i].nacc, sizeof *g->id[i].acc, acct_cmp);
            iord[nlive++] = (int32_t)i;
        }
    if (nlive > 1)
        qsort_r(iord, nlive, sizeof *iord, ident_cmp_ctx_sort, g);
    int32_t *imap = km_xmalloc((g->nid + 1) * sizeof *imap);
    for (size_t i = 0; i < g->nid; i++)
        imap[i] = -1;
    for (size_t k = 0; k < nlive; k++)
        imap[iord[k]] = (int32_t)k;
    struct idn *nid = km_xcalloc(nlive + 1, sizeof *nid);
    for (size_t k = 0; k < nlive; k++) {
        nid[k] = g->id[iord[k]];
        struct idn *d = &nid[k];
        d->person = d->person >= 0 ? pmap[d->person] : -1;
        d->parent = d->parent >= 0 ? imap[d->parent] : -1;
        uint32_t w = 0;
        for (uint32_t u = 0; u < d->nusers; u++)
            if (pmap[d->users[u]] >= 0)
                d->users[w++] = pmap[d->users[u]];
        d->nusers = w;
        if (d->nusers > 1)
            qsort(d->users, d->nusers, sizeof *d->users, cmp_i32);
    }
    for (size_t i = 0; i < g->nid; i++)
        if (!g->id[i].alive) {
            free(g->id[i].acc);
            free(g->id[i].users);
        }
    for (size_t t = 0; t < g->tt.n; t++)
        if (g->tt.v[t].ident >= 0)
            g->tt.v[t].ident = imap[g->tt.v[t].ident];
    free(g->id);
    g->id = nid;
    g->nid = g->capid = nlive;
    /* tuple chains again, per final identity */
    for (size_t k = 0; k < nlive; k++)
        g->id[k].tup0 = -1;
    for (size_t t = g->tt.n; t-- > 0;) {
        struct tup *u = &g->tt.v[t];
        u->next = -1;
        if (u->ident >= 0) {
            u->next = g->id[u->ident].tup0;
            g->id[u->ident].tup0 = (int32_t)t;
        }
    }
    struct pn *npn = km_xcalloc(nkeep + 1, sizeof *npn);
    for (size_t k = 0; k < nkeep; k++)
        npn[k] = g->pn[pord[k]];
    free(g->pn);
    g->pn = npn;
    g->npn = g->cappn = nkeep;
    smap_free(&g->pmail);
    for (size_t k = 0; k < nkeep; k++)
        smap_put(&g->pmail, g->pn[k].email, (int32_t)k, 0);
    kslot_rebuild(g);
    build_person_lookups(g);
    free(pcount);
    free(pord);
    free(pmap);
    free(iord);
    free(imap);

    /* the public views */
    g->pub = km_xcalloc(g->nid + 1, sizeof *g->pub);
    for (size_t i = 0; i < g->nid; i++) {
        const struct idn *d = &g->id[i];
        struct km_ident *x = &g->pub[i];
        x->kind = d->key.kind;
        x->provider = d->provider;
        x->account = d->nacc ? d->acc[0].a : "";
        x->naccounts = d->nacc;
        x->name = d->name;
        x->id = d->id;
        x->person = d->person;
        x->rule = d->person >= 0 ? d->rule : "";
        x->rule_detail = d->detail;
        x->is_person = d->capable;
        x->events = d->events;
        x->first = d->first;
        x->last = d->last;
        x->email = d->email;
        x->display = d->display ? d->display : "";
        x->nusers = d->nusers;
        x->users = d->users;
    }
    g->npersons = g->npn;
    g->persons = km_xcalloc(g->npn + 1, sizeof *g->persons);
    uint32_t *cnt = km_xcalloc(g->npn + 1, sizeof *cnt);
    uint32_t *ucnt = km_xcalloc(g->npn + 1, sizeof *ucnt);
    for (size_t i = 0; i < g->nid; i++) {
        if (g->pub[i].person >= 0)
            cnt[g->pub[i].person]++;
        for (uint32_t u = 0; u < g->pub[i].nusers; u++)
            ucnt[g->pub[i].users[u]]++;
    }
    for (size_t p = 0; p < g->npn; p++) {
        struct km_person *x = &g->persons[p];
        x->email = g->pn[p].email;
        x->display = g->pn[p].display ? g->pn[p].display : "";
        x->idents = km_arena_alloc(&g->a, (cnt[p] + 1) * sizeof *x->idents);
        x->used = km_arena_alloc(&g->a, (ucnt[p] + 1) * sizeof *x->used);
        if (!x->idents || !x->used)
            abort();
    }
    uint64_t *disp_ev = km_xcalloc(g->npn + 1, sizeof *disp_ev);
    for (size_t i = 0; i < g->nid; i++) {
        const struct km_ident *d = &g->pub[i];
        for (uint32_t u = 0; u < d->nusers; u++) {
            struct km_person *x = &g->persons[d->users[u]];
            ((uint32_t *)x->used)[x->nused++] = (uint32_t)i;
        }
        if (d->person < 0)
            continue;
        struct km_person *x = &g->persons[d->person];
        ((uint32_t *)x->idents)[x->nidents++] = (uint32_t)i;
        if (d->events) {
            if (!x->events || d->first < x->first)
                x->first = d->first;
            if (!x->events || d->last > x->last)
                x->last = d->last;
            x->events += d->events;
        }
        if (!g->pn[d->person].display && d->display[0] && d->events >= disp_ev[d->person]) {
            x->display = d->display;
            disp_ev[d->person] = d->events;
        }
    }
    free(disp_ev);
    free(cnt);
    free(ucnt);
}

int km_idgraph_build(struct km_store *s, const struct km_conf *conf, struct km_idgraph **out,
                     struct km_err *err)
{
    return km_idgraph_build_ex(s, conf, 0, out, err);
}

int km_idgraph_build_ex(struct km_store *s, const struct km_conf *conf, unsigned flags,
                        struct km_idgraph **out, struct km_err *err)
{
    *out = NULL;
    struct km_idgraph *g = km_xcalloc(1, sizeof *g);
    km_arena_init(&g->a, 1 << 16, (size_t)8 << 30);
    g->tt.a = &g->a;
    g->origin = "none";
    g->mapname = "";
    g->local_on = km_conf_bool(conf, "identity.local_part");
    int rc = load_map(g, s, conf, err);
    if (!rc)
        rc = collect_tuples(g, s, (flags & KM_IDGRAPH_NO_TIMES) != 0, err);
    if (rc) {
        km_idgraph_free(g);
        return rc;
    }
    if (g->tt.capped)
        warn(g, afmt(&g->a, "more than %d distinct actors (or %zu MiB of their names): the "
                            "rest are not listed; their events are resolved as they are read",
                     KM_ID_MAX_TUPLES, KM_ID_MAX_BYTES >> 20));
    identities_from_tuples(g);
    /* persons: every e-mail of a person-capable identity */
    for (size_t i = 0; i < g->nid; i++)
        if (g->id[i].capable && g->id[i].email[0])
            person_add(g, S(g->id[i].email));
    find_domains(g, conf);
    /* persons the map names */
    if (g->map) {
        for (size_t i = 0; i < g->map->n; i++) {
            const struct km_idmap_ent *e = &g->map->ents[i];
            if (e->op == KM_IDMAP_NOT)
                continue;
            int32_t p = person_add(g, S(e->person));
            if (p >= 0 && e->op == KM_IDMAP_NAME)
                g->pn[p].display = e->value;
        }
    }
    build_person_lookups(g);
    build_map_index(g);
    char detail[1024];
    for (size_t i = 0; i < g->nid; i++) {
        struct idn *d = &g->id[i];
        struct iview v;
        view_of_idn(d, d->key.kind, &v);
        const char *rule;
        d->person = assign(g, &v, &rule, detail, sizeof detail, g->maphits);
        d->rule = rule;
        d->detail = detail[0] ? adup(&g->a, S(detail)) : "";
    }
    if (g->map)
        for (size_t i = 0; i < g->map->n; i++) {
            const struct km_idmap_ent *e = &g->map->ents[i];
            if (e->op != KM_IDMAP_NAME && !g->maphits[i])
                warn(g, afmt(&g->a, "%s:%ld: %s matches no identity in the store", g->mapname,
                             e->line, e->ref));
        }
    finish(g);
    *out = g;
    return KM_OK;
}

void km_idgraph_free(struct km_idgraph *g)
{
    if (!g)
        return;
    for (size_t i = 0; i < g->nid; i++) {
        free(g->id[i].acc);
        free(g->id[i].users);
    }
    free(g->id);
    free(g->pub);
    free(g->persons);
    free(g->pn);
    free(g->kslot);
    smap_free(&g->pmail);
    smap_free(&g->oid);
    smap_free(&g->local);
    smap_free(&g->mapidx);
    free(g->mapnext);
    free(g->maphits);
    free(g->domains);
    free(g->warn);
    km_idmap_free(g->map);
    ttab_free(&g->tt);
    km_arena_free(&g->a);
    free(g);
}

/* ---- reading ------------------------------------------------------------------------------ */

size_t km_idgraph_npersons(const struct km_idgraph *g) { return g->npersons; }

const struct km_person *km_idgraph_person(const struct km_idgraph *g, size_t i)
{
    return i < g->npersons ? &g->persons[i] : NULL;
}

size_t km_idgraph_nidents(const struct km_idgraph *g) { return g->nid; }

const struct km_ident *km_idgraph_ident(const struct km_idgraph *g, size_t i)
{
    return i < g->nid ? &g->pub[i] : NULL;
}

size_t km_idgraph_domains(const struct km_idgraph *g, const char *const **domains,
                          const char **origin)
{
    if (domains)
        *domains = g->domains;
    if (origin)
        *origin = g->origin;
    return g->ndomains;
}

const char *km_idgraph_map_path(const struct km_idgraph *g, const char **format,
                                size_t *nentries)
{
    if (format)
        *format = g->map ? g->map->format : "";
    if (nentries)
        *nentries = g->map ? g->map->n : 0;
    return g->map ? g->map->path : "";
}

size_t km_idgraph_warnings(const struct km_idgraph *g, const char *const **msgs)
{
    if (msgs)
        *msgs = g->warn;
    return g->nwarn;
}

size_t km_idgraph_ntuples(const struct km_idgraph *g) { return g->tt.n; }

int km_idgraph_find_person(const struct km_idgraph *g, const char *s, size_t n)
{
    struct km_str x = {s, (uint32_t)n};
    if (!has(x))
        return -1;
    int p = km_idgraph_person_by_email(g, s, n);
    if (p >= 0)
        return p;
    int found = -1;
    for (size_t i = 0; i < g->nid; i++) {
        const struct idn *d = &g->id[i];
        if (d->person < 0)
            continue;
        /* a person acting as a service account is named by the person, not
         * by the account's name (that names the service account) */
        int imp = d->key.kind == KM_ID_GCP_IMPERSONATION;
        if (eqc_ci(x, d->email) || (!imp && (eqc_ci(x, d->name) || eqc_ci(x, d->local) ||
                                             eqc_ci(x, d->id) || eqc_ci(x, d->oid) ||
                                             eqc_ci(x, d->arn)))) {
            if (found >= 0 && found != d->person)
                return -1; /* ambiguous */
            found = d->person;
        }
    }
    return found;
}

/* The person of a tuple the graph has not seen. */
static int32_t person_of_new(const struct km_idgraph *g, const struct km_str *v)
{
    struct proto p;
    classify(v, &p);
    if (p.kind < 0)
        return -1;
    struct ikey k;
    proto_key(&p, &k);
    int32_t x = ident_find(g, &k, ikey_hash(&k));
    if (x >= 0)
        return g->id[x].person;
    struct iview iv;
    view_of_proto(&p, &iv);
    const char *rule;
    char detail[1024];
    return assign(g, &iv, &rule, detail, sizeof detail, NULL);
}

static int32_t person_of_tuple(const struct km_idgraph *g, const struct km_str *v)
{
    int32_t t = ttab_find(&g->tt, v, tup_hash(v));
    if (t >= 0) {
        int32_t x = g->tt.v[t].ident;
        return x >= 0 ? g->id[x].person : -1;
    }
    return person_of_new(g, v);
}

int km_idgraph_ident_of(const struct km_idgraph *g, const struct km_event *ev)
{
    struct km_str v[NT];
    for (int f = 0; f < NT; f++)
        v[f] = ev->f[tfield[f]];
    int32_t t = ttab_find(&g->tt, v, tup_hash(v));
    if (t >= 0)
        return g->tt.v[t].ident;
    struct proto p;
    classify(v, &p);
    if (p.kind < 0)
        return -1;
    struct ikey k;
    proto_key(&p, &k);
    int32_t x = ident_find(g, &k, ikey_hash(&k));
    if (x < 0 && p.pkind >= 0) {
        parent_key(&p, &k); /* an unlinked role session: its role */
        x = ident_find(g, &k, ikey_hash(&k));
    }
    return x;
}

int km_idgraph_person_of(const struct km_idgraph *g, const struct km_event *ev)
{
    struct km_str v[NT];
    for (int f = 0; f < NT; f++)
        v[f] = ev->f[tfield[f]];
    return person_of_tuple(g, v);
}

int km_idgraph_seg_persons(const struct km_idgraph *g, struct km_seg *seg, int32_t *out,
                           struct km_err *err)
{
    struct ctab ct = {0};
    int rc = seg_combos(seg, &ct, out, err);
    int32_t *cp = NULL;
    if (!rc) {
        cp = km_xmalloc(((size_t)ct.n + 1) * sizeof *cp);
        for (uint32_t k = 0; k < ct.n && !rc; k++) {
            struct km_str v[NT];
            if ((rc = combo_strs(seg, &ct.v[k], v, err)))
                break;
            cp[k] = person_of_tuple(g, v);
        }
    }
    if (!rc) {
        uint64_t n = km_seg_rows(seg);
        for (uint64_t r = 0; r < n; r++)
            out[r] = cp[out[r]];
    }
    free(cp);
    ctab_free(&ct);
    return rc;
}

/* ---- selectors ------------------------------------------------------------------------------ */

void km_idgraph_person_selectors(const struct km_idgraph *g, int p,
                                 void (*cb)(void *ctx, int field, const char *value), void *ctx)
{
    if (p < 0 || (size_t)p >= g->npersons)
        return;
    const struct km_person *x = &g->persons[p];
    struct smap seen = {0};
    struct km_arena a;
    km_arena_init(&a, 1 << 12, 0);
    char buf[2048];
    for (uint32_t i = 0; i < x->nidents; i++) {
        const struct idn *d = &g->id[x->idents[i]];
        for (int32_t t = d->tup0; t >= 0; t = g->tt.v[t].next) {
            const struct tup *u = &g->tt.v[t];
            int field;
            struct km_str v;
            if (d->key.kind == KM_ID_GCP_IMPERSONATION && has(u->v[T_ISSUER])) {
                field = KM_F_ACTOR_SESSION_ISSUER;
                v = u->v[T_ISSUER];
            } else if (has(u->v[T_EMAIL])) {
                field = KM_F_ACTOR_EMAIL;
                v = u->v[T_EMAIL];
            } else if (has(u->v[T_ARN])) {
                field = KM_F_ACTOR_ARN;
                v = u->v[T_ARN];
            } else if (has(u->v[T_ID])) {
                field = KM_F_ACTOR_ID;
                v = u->v[T_ID];
            } else if (u->v[T_NAME].p) {
                field = KM_F_ACTOR_NAME;
                v = u->v[T_NAME];
            } else {
                field = KM_F_ACTOR_TYPE;
                v = u->v[T_TYPE].p ? u->v[T_TYPE] : KM_STR("");
            }
            /* tuple strings are NUL-terminated (arena copies) */
            int n = snprintf(buf, sizeof buf, "%d\x1f%.*s", field, (int)v.n, v.p);
            if (n < 0 || (size_t)n >= sizeof buf) {
                cb(ctx, field, v.p);
                continue;
            }
            if (smap_get(&seen, S(buf)) >= 0)
                continue;
            char *key = adup(&a, S(buf));
            smap_put(&seen, key, 1, 0);
            cb(ctx, field, v.p);
        }
    }
    smap_free(&seen);
    km_arena_free(&a);
}
