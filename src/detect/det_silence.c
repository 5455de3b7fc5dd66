/*
 * det_silence.c — log_silence: a log stream that goes quiet far beyond its
 * usual rhythm, especially right after someone tampered with logging
 * (docs/detections/log_silence.md).
 *
 * A stream is (provider, source, account, region). One pass over every
 * segment reads only the time column and the four code columns, and counts
 * events per stream per hour (bounded: max_streams × the hours the data
 * spans, 16-bit saturating counts). A stream with enough events and history
 * is judged:
 *
 *   hours:   ▇▇▆▇▇▇▅▇▇▆▇▇▇ . . . . . . . . . . ▇▇▇     (events per hour)
 *                         └──── silence (L h) ────┘
 *   usual = the stream's longest other run of empty hours
 *   silence if L ≥ min_gap and L ≥ factor × usual
 *
 * A silence that reaches the end of the data is one only if the data goes
 * on for other streams; one that begins in the same hour for most of the
 * provider's streams is the data (or its collection) ending, not a stream
 * going quiet — unless a tampering operation explains it. Tampering
 * operations (StopLogging, DeleteTrail, diagnostic settings deleted, sinks
 * deleted, ...) in the stream's account within tamper_window of the
 * silence's start make it high; otherwise a very steady stream (usual gap ≤
 * steady_max_gap) is medium and the rest low. A second, pruned scan reads
 * the last event before each silence and the first after it, as evidence.
 */
#include "detect/det_org.h"
#include "detect/finding.h"

#include "core/conf.h"
#include "core/timeparse.h"
#include "store/segment.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const struct km_conf_key km_det_conf_log_silence[] = {
    {"log_silence.min_gap", KM_CONF_DUR, "1h", "the shortest silence reported"},
    {"log_silence.factor", KM_CONF_NUM, "3",
     "a silence must last at least this many times the stream's longest usual gap"},
    {"log_silence.min_events", KM_CONF_INT, "200",
     "streams with fewer events are not judged (too little to learn a rhythm)"},
    {"log_silence.min_expected", KM_CONF_NUM, "20",
     "events the stream's rhythm (lower quartile per hour of the day) expects during the "
     "silence, at least: a silence that quiet hours explain is not reported"},
    {"log_silence.min_history", KM_CONF_DUR, "24h",
     "a stream must have been logging this long before a silence for it to count"},
    {"log_silence.tamper_window", KM_CONF_DUR, "1h",
     "a tampering operation in the stream's account this close to the silence's start makes "
     "it high"},
    {"log_silence.steady_max_gap", KM_CONF_DUR, "1h",
     "a stream whose longest usual gap is at most this is very steady: its silence without "
     "tampering is medium (else low)"},
    {"log_silence.shared_share", KM_CONF_NUM, "0.5",
     "a silence that begins in the same hour for at least this share of the provider's "
     "active streams is the data ending, not a stream's silence (unless tampering explains it)"},
    {"log_silence.max_streams", KM_CONF_INT, "2048", "streams followed at most (memory bound)"},
    {NULL, 0, NULL, NULL},
};

#define HOUR 3600000000LL
#define MAX_HOURS (24 * 366 * 2)   /* span followed per stream (two years) */

static int64_t hour_of(int64_t t)
{
    return t >= 0 ? t / HOUR : -((-t + HOUR - 1) / HOUR);
}

/* ---- tampering operations that stop a log from flowing ---------------------------- */

enum { M_EXACT, M_CI, M_SUFFIX };

static const struct {
    const char *provider;
    int m;
    const char *action;
    int tenant_wide;   /* stops every stream of the provider's tenant/organisation */
} stops[] = {
    {"aws", M_EXACT, "StopLogging", 0},
    {"aws", M_EXACT, "DeleteTrail", 0},
    {"aws", M_EXACT, "UpdateTrail", 0},
    {"aws", M_EXACT, "PutEventSelectors", 0},
    {"aws", M_EXACT, "DeleteEventDataStore", 0},
    {"aws", M_EXACT, "StopEventDataStoreIngestion", 0},
    {"azure", M_CI, "Microsoft.Insights/diagnosticSettings/delete", 0},
    {"azure", M_CI, "Microsoft.Insights/diagnosticSettings/write", 0},
    {"azure", M_CI, "microsoft.aadiam/diagnosticSettings/delete", 1},
    {"azure", M_CI, "microsoft.aadiam/diagnosticSettings/write", 1},
    {"azure", M_CI, "Microsoft.Insights/logProfiles/delete", 0},
    {"azure", M_CI, "Microsoft.OperationalInsights/workspaces/delete", 0},
    {"gcp", M_SUFFIX, ".DeleteSink", 0},
    {"gcp", M_SUFFIX, ".UpdateSink", 0},
    {"gcp", M_SUFFIX, ".CreateExclusion", 0},
    {"gcp", M_SUFFIX, ".UpdateExclusion", 0},
    {"gcp", M_SUFFIX, ".DeleteBucket", 0},
    {"gcp", M_SUFFIX, ".UpdateSettings", 0},
};

static int match_stop(const char *v, size_t n)
{
    for (size_t i = 0; i < KM_ARRAY_LEN(stops); i++) {
        size_t an = strlen(stops[i].action);
        int ok = stops[i].m == M_EXACT ? an == n && memcmp(stops[i].action, v, n) == 0
               : stops[i].m == M_CI    ? an == n && strncasecmp(stops[i].action, v, n) == 0
                                       : n > an && memcmp(v + n - an, stops[i].action, an) == 0 &&
                                          (memmem(v, n, "logging", 7) ||
                                           memmem(v, n, "ConfigServiceV", 14));
        if (ok)
            return (int)i;
    }
    return -1;
}

static int pred_stop(void *ctx, const char *v, size_t n)
{
    (void)ctx;
    return match_stop(v, n) >= 0;
}

struct tamper {
    int64_t t;
    struct km_evref ref;
    int op;
    char provider[16], acct[140], who[200], ip[64], action[128];
};

/* ---- streams ------------------------------------------------------------------------ */

struct stream {
    char *provider, *source, *acct, *region;
    int64_t first, last;      /* µs */
    uint64_t n;
    int64_t base;             /* hour of hours[0] */
    uint32_t nh;              /* hours held */
    uint16_t *hours;          /* events per hour, saturating */
    /* judging */
    int judged;
    /* the silence found (at most one per stream: the longest) */
    int64_t gap_a, gap_b;     /* first and last empty hour */
    int trailing;             /* reaches the end of the data */
    uint32_t usual;           /* longest other empty run, hours */
    int sev;
    int tamper;               /* index into tampers, -1 */
    int64_t before_t, after_t;   /* exact edges (second scan) */
    struct km_evref before_ref, after_ref;
    int have_before, have_after;
    double rate;              /* events per active hour before the silence */
    double expected;          /* events the rhythm expects during the silence */
    int64_t until;            /* a trailing silence: where the data it is judged by ends */
};

struct st {
    struct km_hunt *h;
    int64_t since, until;
    int64_t min_gap, min_history, tamper_window, steady_max_gap;
    double factor, shared_share, min_expected;
    uint64_t min_events;
    size_t max_streams;
    struct stream *s;
    size_t ns;
    uint64_t dropped;         /* rows of streams beyond max_streams or the span */
    struct km_dset keys;      /* "provider\nsource\nacct\nregion" -> stream index */
    struct km_dset sil_prov, sil_acct;   /* providers and accounts of the silences */
    /* per segment: code tuple -> stream index + 1 (open addressing) */
    uint32_t cur_seg;
    int in_seg;
    struct tuple {
        uint32_t c[4];
        uint32_t v;           /* stream + 1, UINT32_MAX none */
    } *tab;
    uint32_t tcap, tn;
    struct tamper *tam;
    size_t ntam, captam;
    int64_t data_last;        /* last event of the data */
    struct km_err *err;
    int rc;
};

static char *dupn(struct km_str s)
{
    char *c = km_xmalloc(s.n + 1);
    if (s.n)
        memcpy(c, s.p, s.n);
    c[s.n] = 0;
    return c;
}

/* The stream of a code tuple within the current segment (UINT32_MAX: none). */
static uint32_t tuple_hash(const uint32_t code[4])
{
    return (code[0] * 2654435761u) ^ (code[1] * 40503u) ^ (code[2] * 97u) ^ code[3];
}

/* Empties the per-segment tuple table (size: a power of two). */
static void tab_reset(struct st *c, uint32_t size)
{
    if (c->tcap != size) {
        free(c->tab);
        c->tcap = size;
        c->tab = km_xmalloc(size * sizeof *c->tab);
    }
    memset(c->tab, 0, c->tcap * sizeof *c->tab);
    c->tn = 0;
}

/* Doubles the table, keeping its tuples (at most half full, so probing ends). */
static void tab_grow(struct st *c)
{
    struct tuple *old = c->tab;
    uint32_t ocap = c->tcap;
    c->tcap *= 2;
    c->tab = km_xcalloc(c->tcap, sizeof *c->tab);
    for (uint32_t k = 0; k < ocap; k++)
        if (old[k].v) {
            uint32_t m = c->tcap - 1, i = tuple_hash(old[k].c) & m;
            while (c->tab[i].v)
                i = (i + 1) & m;
            c->tab[i] = old[k];
        }
    free(old);
}

static uint32_t stream_of(struct st *c, struct km_seg *seg, const uint32_t code[4])
{
    uint32_t m = c->tcap - 1, i = tuple_hash(code) & m;
    while (c->tab[i].v) {
        if (!memcmp(c->tab[i].c, code, sizeof c->tab[i].c))
            return c->tab[i].v == UINT32_MAX ? UINT32_MAX : c->tab[i].v - 1;
        i = (i + 1) & m;
    }
    /* new tuple: its strings, then the stream */
    static const int f[4] = {KM_F_PROVIDER, KM_F_SOURCE, KM_F_ACCOUNT, KM_F_REGION};
    struct km_str v[4];
    char key[2048];
    size_t kn = 0;
    for (int k = 0; k < 4; k++) {
        v[k] = KM_STR_NONE;
        if (code[k])
            km_seg_dict_get(seg, f[k], code[k], &v[k], c->err);
        if (!v[k].p)
            v[k] = KM_STR("");
        if (kn + v[k].n + 1 >= sizeof key)
            break;
        memcpy(key + kn, v[k].p, v[k].n);
        kn += v[k].n;
        key[kn++] = '\n';
    }
    int added;
    uint32_t *sv = NULL;
    if (c->ns < c->max_streams || km_dset_has(&c->keys, key, kn))
        sv = km_dset_add(&c->keys, key, kn, &added);
    uint32_t res = UINT32_MAX;
    if (sv) {
        if (added) {
            c->s = km_xrealloc(c->s, (c->ns + 1) * sizeof *c->s);
            struct stream *s = &c->s[c->ns];
            memset(s, 0, sizeof *s);
            s->provider = dupn(v[0]);
            s->source = dupn(v[1]);
            s->acct = dupn(v[2]);
            s->region = dupn(v[3]);
            s->first = INT64_MAX;
            s->last = INT64_MIN;
            s->tamper = -1;
            *sv = (uint32_t)c->ns++;
        }
        res = *sv;
    }
    if (2 * (c->tn + 1) > c->tcap) {
        tab_grow(c);
        m = c->tcap - 1;
        for (i = tuple_hash(code) & m; c->tab[i].v; i = (i + 1) & m)
            ;
    }
    c->tab[i].c[0] = code[0];
    c->tab[i].c[1] = code[1];
    c->tab[i].c[2] = code[2];
    c->tab[i].c[3] = code[3];
    c->tab[i].v = res == UINT32_MAX ? UINT32_MAX : res + 1;
    c->tn++;
    return res;
}

static void count(struct st *c, struct stream *s, int64_t t)
{
    int64_t hr = hour_of(t);
    if (!s->hours) {
        s->base = hr;
        s->nh = 64;
        s->hours = km_xcalloc(s->nh, sizeof *s->hours);
    }
    if (hr < s->base) {
        int64_t grow = s->base - hr;
        if ((int64_t)s->nh + grow > MAX_HOURS) {
            c->dropped++;
            return;
        }
        uint16_t *nhrs = km_xcalloc(s->nh + (size_t)grow, sizeof *nhrs);
        memcpy(nhrs + grow, s->hours, s->nh * sizeof *nhrs);
        free(s->hours);
        s->hours = nhrs;
        s->nh += (uint32_t)grow;
        s->base = hr;
    } else if (hr - s->base >= s->nh) {
        int64_t need = hr - s->base + 1;
        if (need > MAX_HOURS) {
            c->dropped++;
            return;
        }
        uint32_t nn = s->nh;
        while (nn < need)
            nn *= 2;
        if (nn > MAX_HOURS)
            nn = MAX_HOURS;
        s->hours = km_xrealloc(s->hours, nn * sizeof *s->hours);
        memset(s->hours + s->nh, 0, (nn - s->nh) * sizeof *s->hours);
        s->nh = nn;
    }
    uint16_t *h = &s->hours[hr - s->base];
    if (*h < UINT16_MAX)
        (*h)++;
    s->n++;
    if (t < s->first)
        s->first = t;
    if (t > s->last)
        s->last = t;
}

/* The first row of each segment: count the whole segment from its columns. */
static int row_count(void *vctx, const struct km_hrow *r)
{
    struct st *c = vctx;
    if (c->in_seg && r->ref.seg == c->cur_seg)
        return 0;
    c->in_seg = 1;
    c->cur_seg = r->ref.seg;
    struct km_seg *seg = r->seg;
    uint32_t nrows = (uint32_t)km_seg_rows(seg);
    const int64_t *ts;
    int rc = km_seg_times(seg, &ts, c->err);
    static const int f[4] = {KM_F_PROVIDER, KM_F_SOURCE, KM_F_ACCOUNT, KM_F_REGION};
    const void *codes[4] = {0};
    int width[4] = {0};
    for (int k = 0; rc == KM_OK && k < 4; k++)
        if (km_seg_field_kind(seg, f[k]) == KM_SEG_DICT)
            rc = km_seg_codes(seg, f[k], &codes[k], &width[k], c->err);
    if (rc != KM_OK) {
        c->rc = rc;
        return 1;
    }
    tab_reset(c, 1024);   /* grows with the segment's distinct tuples */
    uint32_t last[4] = {UINT32_MAX, UINT32_MAX, UINT32_MAX, UINT32_MAX}, lastv = UINT32_MAX;
    for (uint32_t row = r->ref.row; row < nrows; row++) {
        int64_t t = ts[row];
        if (t < c->since || t > c->until)
            continue;
        uint32_t code[4];
        for (int k = 0; k < 4; k++)
            code[k] = !codes[k] ? 0
                    : width[k] == 1 ? ((const uint8_t *)codes[k])[row]
                    : width[k] == 2 ? ((const uint16_t *)codes[k])[row]
                                    : ((const uint32_t *)codes[k])[row];
        uint32_t sidx;
        if (!memcmp(code, last, sizeof code)) {
            sidx = lastv;
        } else {
            sidx = stream_of(c, seg, code);
            memcpy(last, code, sizeof code);
            lastv = sidx;
        }
        if (sidx == UINT32_MAX) {
            c->dropped++;
            continue;
        }
        count(c, &c->s[sidx], t);
        if (t > c->data_last)
            c->data_last = t;
    }
    return 0;
}

static int row_tamper(void *vctx, const struct km_hrow *r)
{
    struct st *c = vctx;
    struct km_str a = km_hrow_str(r, KM_F_ACTION);
    int op = match_stop(a.p, a.n);
    struct km_str prov = km_hrow_str(r, KM_F_PROVIDER);
    if (op < 0 || !km_str_eqc(prov, stops[op].provider) ||
        km_str_eqc(km_hrow_str(r, KM_F_OUTCOME), "failure"))
        return 0;
    if (c->ntam >= 10000)
        return 0;
    if (c->ntam == c->captam) {
        c->captam = c->captam ? 2 * c->captam : 16;
        c->tam = km_xrealloc(c->tam, c->captam * sizeof *c->tam);
    }
    struct tamper *tp = &c->tam[c->ntam++];
    memset(tp, 0, sizeof *tp);
    tp->t = r->time;
    tp->ref = r->ref;
    tp->op = op;
    struct km_event ev;
    km_det_row_event(r, &ev);
    km_det_cpy(tp->provider, sizeof tp->provider, prov);
    km_det_cpy(tp->acct, sizeof tp->acct, ev.f[KM_F_ACCOUNT]);
    km_det_cpy(tp->who, sizeof tp->who, km_det_who(&ev));
    km_det_cpy(tp->ip, sizeof tp->ip, ev.f[KM_F_SRC_IP]);
    km_det_cpy(tp->action, sizeof tp->action, a);
    return 0;
}

/* ---- judging -------------------------------------------------------------------------- */

/* Active judged streams of a provider in an hour. */
static uint32_t active(const struct st *c, const char *provider, int64_t hr)
{
    uint32_t n = 0;
    for (size_t i = 0; i < c->ns; i++) {
        const struct stream *s = &c->s[i];
        if (!s->judged || strcmp(s->provider, provider) != 0)
            continue;
        if (hr >= s->base && hr < s->base + (int64_t)s->nh && s->hours[hr - s->base])
            n++;
    }
    return n;
}

static int find_tamper(const struct st *c, const struct stream *s, int64_t start)
{
    int best = -1;
    int64_t bestd = INT64_MAX;
    for (size_t i = 0; i < c->ntam; i++) {
        const struct tamper *tp = &c->tam[i];
        if (strcmp(tp->provider, s->provider) != 0)
            continue;
        if (!stops[tp->op].tenant_wide && strcasecmp(tp->acct, s->acct) != 0)
            continue;
        int64_t d = tp->t > start ? tp->t - start : start - tp->t;
        if (d <= c->tamper_window && d < bestd) {
            best = (int)i;
            bestd = d;
        }
    }
    return best;
}

static int cmp_u16(const void *a, const void *b)
{
    return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

/* The events the stream's rhythm expects in hours [a, b]: for each hour of the
 * day, the lower quartile of its counts at that hour over the history
 * [fh, a); summed over the silent hours. Quiet nights and weekends keep it low. */
static double expected(const struct stream *s, int64_t fh, int64_t a, int64_t b)
{
    double q[24];
    uint16_t *v = km_xmalloc(((size_t)(a - fh) / 24 + 2) * sizeof *v);
    for (int h = 0; h < 24; h++) {
        size_t n = 0;
        for (int64_t hr = fh; hr < a; hr++) {
            int64_t hd = ((hr % 24) + 24) % 24;
            if (hd == h)
                v[n++] = s->hours[hr - s->base];
        }
        if (!n) {
            q[h] = 0;
            continue;
        }
        qsort(v, n, sizeof *v, cmp_u16);
        q[h] = v[(n - 1) / 4];
    }
    free(v);
    double e = 0;
    for (int64_t hr = a; hr <= b && e < 1e9; hr++)
        e += q[((hr % 24) + 24) % 24];
    return e;
}

/* The last event of a provider's streams. */
static int64_t provider_last(const struct st *c, const char *provider)
{
    int64_t m = INT64_MIN;
    for (size_t i = 0; i < c->ns; i++)
        if (!strcmp(c->s[i].provider, provider) && c->s[i].last > m)
            m = c->s[i].last;
    return m;
}

static void judge(struct st *c)
{
    int64_t end_hr = hour_of(c->data_last);
    int64_t min_gap_h = (c->min_gap + HOUR - 1) / HOUR;
    if (min_gap_h < 1)
        min_gap_h = 1;
    for (size_t i = 0; i < c->ns; i++) {
        struct stream *s = &c->s[i];
        s->sev = -1;
        s->judged = s->n >= c->min_events && s->hours;
    }
    for (size_t i = 0; i < c->ns; i++) {
        struct stream *s = &c->s[i];
        if (!s->judged)
            continue;
        int64_t fh = hour_of(s->first), lh = hour_of(s->last);
        /* empty runs inside the stream's life, plus the trailing one */
        int64_t best_a = 0, best_len = 0, second = 0;
        int best_trailing = 0;
        int64_t run_a = -1;
        for (int64_t hr = fh; hr <= lh + 1; hr++) {
            int empty = hr <= lh && !s->hours[hr - s->base];
            if (empty && run_a < 0)
                run_a = hr;
            if (!empty && run_a >= 0) {
                int64_t len = hr - run_a;
                if (len > best_len) {
                    second = best_len;
                    best_len = len;
                    best_a = run_a;
                    best_trailing = 0;
                } else if (len > second) {
                    second = len;
                }
                run_a = -1;
            }
        }
        int64_t tail = end_hr - lh;   /* hours the data goes on without this stream */
        if (tail > 0 && tail >= best_len) {
            second = best_len > second ? best_len : second;
            best_len = tail;
            best_a = lh + 1;
            best_trailing = 1;
        } else if (tail > second) {
            second = tail;
        }
        if (best_len < min_gap_h || (double)best_len < c->factor * (double)second)
            continue;
        if ((best_a - fh) * HOUR < c->min_history)
            continue;
        s->gap_a = best_a;
        s->gap_b = best_a + best_len - 1;
        s->trailing = best_trailing;
        s->usual = (uint32_t)second;
        uint64_t before = 0;
        for (int64_t hr = fh; hr < best_a; hr++)
            before += s->hours[hr - s->base];
        int64_t activeh = 0;
        for (int64_t hr = fh; hr < best_a; hr++)
            activeh += s->hours[hr - s->base] != 0;
        s->rate = activeh ? (double)before / (double)activeh : 0;
        s->expected = expected(s, fh, best_a, best_a + best_len - 1);
        if (s->expected < c->min_expected)
            continue;
        s->sev = 0;   /* a candidate: severity below */
    }
    for (size_t i = 0; i < c->ns; i++) {
        struct stream *s = &c->s[i];
        if (s->sev < 0)
            continue;
        s->tamper = find_tamper(c, s, s->gap_a * HOUR);
        if (s->tamper >= 0) {
            s->sev = KM_SEV_HIGH;
            continue;
        }
        if (s->trailing) {
            /* without tampering, a stream is silent only while its own provider's
               data goes on: measure to the provider's last event, not the store's */
            int64_t pend = hour_of(provider_last(c, s->provider));
            int64_t len = pend - s->gap_a + 1;
            if (len < min_gap_h || (double)len < c->factor * (double)s->usual ||
                (s->expected = expected(s, hour_of(s->first), s->gap_a, pend)) <
                    c->min_expected) {
                s->sev = -1;
                continue;
            }
            s->gap_b = pend;
            s->until = provider_last(c, s->provider);
        }
        /* the data (or its collection) ending for most streams at once */
        uint32_t was = active(c, s->provider, s->gap_a - 1);
        uint32_t now = active(c, s->provider, s->gap_a);
        if (was && (double)(was - (now < was ? now : was)) >= c->shared_share * (double)was) {
            s->sev = -1;
            continue;
        }
        s->sev = (int64_t)s->usual * HOUR <= c->steady_max_gap ? KM_SEV_MEDIUM : KM_SEV_LOW;
    }
}

/* ---- second scan: the events around each silence ------------------------------------------- */

static int pred_prov(void *ctx, const char *v, size_t n)
{
    return km_dset_has(&((struct st *)ctx)->sil_prov, v, n);
}

static int pred_acct(void *ctx, const char *v, size_t n)
{
    return km_dset_has(&((struct st *)ctx)->sil_acct, v, n);
}

static int row_edges(void *vctx, const struct km_hrow *r)
{
    struct st *c = vctx;
    if (!c->in_seg || r->ref.seg != c->cur_seg) {
        c->in_seg = 1;
        c->cur_seg = r->ref.seg;
        tab_reset(c, 1024);
    }
    uint32_t code[4] = {km_hrow_code(r, KM_F_PROVIDER), km_hrow_code(r, KM_F_SOURCE),
                        km_hrow_code(r, KM_F_ACCOUNT), km_hrow_code(r, KM_F_REGION)};
    uint32_t si = stream_of(c, r->seg, code);
    if (si == UINT32_MAX || c->s[si].sev <= 0)
        return 0;
    struct stream *s = &c->s[si];
    int64_t a = s->gap_a * HOUR, b = (s->gap_b + 1) * HOUR;
    if (r->time < a && (!s->have_before || r->time > s->before_t)) {
        s->before_t = r->time;
        s->before_ref = r->ref;
        s->have_before = 1;
    }
    if (!s->trailing && r->time >= b && (!s->have_after || r->time < s->after_t)) {
        s->after_t = r->time;
        s->after_ref = r->ref;
        s->have_after = 1;
    }
    return 0;
}

/* ---- reporting ------------------------------------------------------------------------------- */

static void emit(struct st *c, struct stream *s)
{
    struct km_finding f;
    km_finding_init(&f);
    f.detection = "log_silence";
    f.technique = "T1562.008";
    f.severity = s->sev;
    int64_t start = s->have_before ? s->before_t : s->gap_a * HOUR;
    int64_t stop = s->trailing ? (s->until ? s->until : c->data_last)
                 : s->have_after ? s->after_t : (s->gap_b + 1) * HOUR;
    char name[400], t0[40];
    snprintf(name, sizeof name, "%s %s %s%s%s", s->provider, s->source, s->acct,
             s->region[0] ? " " : "", s->region);
    km_time_fmt(start, t0);
    double hours = (double)(stop - start) / (double)HOUR;
    char tam[400] = "";
    if (s->tamper >= 0) {
        /* "; mallory.ops ran StopLogging from IP 2 min after its last event" */
        const struct tamper *tp = &c->tam[s->tamper];
        int64_t d = tp->t - start, ad = d < 0 ? -d : d;
        char when[64];
        if (ad < 1000000LL)
            snprintf(when, sizeof when, "at its last event");
        else if (ad < 120 * 1000000LL)
            snprintf(when, sizeof when, "%llds %s its last event", (long long)(ad / 1000000),
                     d > 0 ? "after" : "before");
        else
            snprintf(when, sizeof when, "%lld min %s its last event",
                     (long long)(ad / 60000000), d > 0 ? "after" : "before");
        snprintf(tam, sizeof tam, "; %s ran %s%s%s %s", tp->who[0] ? tp->who : "someone",
                 tp->action, tp->ip[0] ? " from " : "", tp->ip, when);
    }
    snprintf(f.summary, sizeof f.summary,
             "The %s log of %s%s%s went silent for %.1f h from %s%s (it logged ~%.0f events an "
             "hour; its longest usual gap was %u h)%s.",
             s->source, s->acct, s->region[0] ? " " : "", s->region, hours, t0,
             s->trailing ? " to the end of the data" : "", s->rate, s->usual, tam);
    snprintf(f.key, sizeof f.key, "%s|%s|%s|%s|%lld", s->provider, s->source, s->acct, s->region,
             (long long)s->gap_a);
    km_strset_addc(&f.ent[KM_ENT_ACCOUNTS], s->acct);
    km_strset_addc(&f.ent[KM_ENT_RESOURCES], name);
    km_finding_window(&f, start);
    km_finding_window(&f, stop);
    if (s->have_before)
        km_hunt_add_evidence(c->h, &f, s->before_ref);
    if (s->have_after)
        km_hunt_add_evidence(c->h, &f, s->after_ref);
    if (s->tamper >= 0) {
        const struct tamper *tp = &c->tam[s->tamper];
        km_hunt_add_evidence(c->h, &f, tp->ref);
        km_finding_window(&f, tp->t);
        if (tp->who[0])
            km_strset_addc(&f.ent[KM_ENT_IDENTITIES], tp->who);
        if (tp->ip[0])
            km_strset_addc(&f.ent[KM_ENT_IPS], tp->ip);
    }
    struct km_buf d;
    km_buf_init(&d, 4096);
    km_buf_adds(&d, "{\"stream\":");
    km_json_write_str(&d, name, strlen(name));
    km_buf_printf(&d, ",\"silent_hours\":%.1f,\"usual_longest_gap_hours\":%u,"
                      "\"events_per_hour\":%.1f,\"expected_events\":%.0f,"
                      "\"to_end_of_data\":%s",
                  hours, s->usual, s->rate, s->expected, s->trailing ? "true" : "false");
    if (s->tamper >= 0) {
        km_buf_adds(&d, ",\"tampering\":");
        km_json_write_str(&d, c->tam[s->tamper].action, strlen(c->tam[s->tamper].action));
    }
    km_buf_adds(&d, "}");
    km_finding_take_details(&f, &d);
    km_hunt_emit(c->h, &f);
}

static int run(struct km_hunt *h, struct km_err *err)
{
    const struct km_conf *conf = km_hunt_conf(h);
    struct st *c = km_xcalloc(1, sizeof *c);
    c->h = h;
    c->err = err;
    c->since = km_hunt_since(h);
    c->until = km_hunt_until(h);
    c->min_gap = km_conf_dur_us(conf, "log_silence.min_gap");
    c->factor = km_conf_num(conf, "log_silence.factor");
    c->min_expected = km_conf_num(conf, "log_silence.min_expected");
    c->min_events = (uint64_t)km_conf_int(conf, "log_silence.min_events");
    c->min_history = km_conf_dur_us(conf, "log_silence.min_history");
    c->tamper_window = km_conf_dur_us(conf, "log_silence.tamper_window");
    c->steady_max_gap = km_conf_dur_us(conf, "log_silence.steady_max_gap");
    c->shared_share = km_conf_num(conf, "log_silence.shared_share");
    int64_t ms = km_conf_int(conf, "log_silence.max_streams");
    c->max_streams = ms > 0 ? (size_t)ms : 1;
    c->data_last = INT64_MIN;
    km_dset_init(&c->keys, 0);
    struct km_hscan sc;
    memset(&sc, 0, sizeof sc);
    sc.row = row_count;
    sc.ctx = c;
    int rc = km_hunt_scan(h, &sc, err);
    if (rc == KM_OK)
        rc = c->rc;
    if (rc == KM_OK && c->ns) {
        memset(&sc, 0, sizeof sc);
        sc.cond[0].field = KM_F_ACTION;
        sc.cond[0].pred = pred_stop;
        sc.ncond = 1;
        sc.row = row_tamper;
        sc.ctx = c;
        rc = km_hunt_scan(h, &sc, err);
    }
    if (rc == KM_OK && c->ns) {
        judge(c);
        int any = 0;
        for (size_t i = 0; i < c->ns; i++)
            any |= c->s[i].sev > 0;
        if (any) {
            km_dset_init(&c->sil_prov, 0);
            km_dset_init(&c->sil_acct, 0);
            for (size_t i = 0; i < c->ns; i++)
                if (c->s[i].sev > 0) {
                    km_dset_add(&c->sil_prov, c->s[i].provider, strlen(c->s[i].provider), NULL);
                    km_dset_add(&c->sil_acct, c->s[i].acct, strlen(c->s[i].acct), NULL);
                }
            memset(&sc, 0, sizeof sc);
            sc.cond[0].field = KM_F_PROVIDER;
            sc.cond[0].pred = pred_prov;
            sc.cond[0].pctx = c;
            sc.cond[1].field = KM_F_ACCOUNT;
            sc.cond[1].pred = pred_acct;
            sc.cond[1].pctx = c;
            sc.ncond = 2;
            sc.row = row_edges;
            sc.ctx = c;
            c->in_seg = 0;
            rc = km_hunt_scan(h, &sc, err);
            for (size_t i = 0; rc == KM_OK && i < c->ns; i++)
                if (c->s[i].sev > 0)
                    emit(c, &c->s[i]);
        }
    }
    if (c->dropped)
        km_log(2, "log_silence: %llu rows beyond %zu streams or the followed span not counted\n",
               (unsigned long long)c->dropped, c->max_streams);
    for (size_t i = 0; i < c->ns; i++) {
        free(c->s[i].provider);
        free(c->s[i].source);
        free(c->s[i].acct);
        free(c->s[i].region);
        free(c->s[i].hours);
    }
    free(c->s);
    free(c->tab);
    free(c->tam);
    km_dset_free(&c->keys);
    km_dset_free(&c->sil_prov);
    km_dset_free(&c->sil_acct);
    free(c);
    return rc;
}

const struct km_detection km_det_log_silence = {
    .id = "log_silence",
    .title = "Log silence",
    .technique = "T1562.008",
    .summary = "a log stream (provider, source, account, region) silent far beyond its usual "
               "rhythm, high right after logging was tampered with",
    .providers = "aws,azure,gcp",
    .conf = km_det_conf_log_silence,
    .run = run,
};
