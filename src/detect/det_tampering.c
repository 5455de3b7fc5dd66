/*
 * det_tampering.c — logging_tampering: someone switches off or narrows the
 * logs an investigation needs (docs/detections/logging_tampering.md).
 *
 * One table of operations per provider: CloudTrail (StopLogging,
 * DeleteTrail, UpdateTrail, PutEventSelectors, ...), VPC flow logs,
 * GuardDuty, Security Hub, AWS Config, CloudWatch Logs; Azure diagnostic
 * settings and log profiles; Google Cloud logging sinks, buckets,
 * exclusions and settings. Azure operation names are matched ignoring case
 * (exports upper-case them); Google method names by their final component
 * (`google.logging.v2.ConfigServiceV2.DeleteSink`). Matching runs once per
 * dictionary value of `action`, so only segments holding such an operation
 * are read.
 *
 * A successful call gets the table's severity; a denied one (outcome
 * failure) is kept at low: someone tried. Calls of the same operation by the
 * same identity on the same target within `logging_tampering.group` are one
 * finding.
 */
#include "detect/detect.h"

#include "core/conf.h"
#include "json/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const struct km_conf_key km_det_conf_logging_tampering[] = {
    {"logging_tampering.group", KM_CONF_DUR, "1h",
     "repeats of one operation by one identity on one target within this are one finding"},
    {"logging_tampering.include_failed", KM_CONF_BOOL, "true",
     "report denied attempts too (at low severity)"},
    {NULL, 0, NULL, NULL},
};

enum match { M_EXACT, M_CI, M_SUFFIX };

struct op {
    const char *provider;
    enum match m;
    const char *action;
    int sev;
    const char *what;   /* what it does to the evidence, for the summary */
};

static const struct op ops[] = {
    /* AWS CloudTrail */
    {"aws", M_EXACT, "StopLogging", KM_SEV_HIGH, "stopped a CloudTrail trail"},
    {"aws", M_EXACT, "DeleteTrail", KM_SEV_HIGH, "deleted a CloudTrail trail"},
    {"aws", M_EXACT, "UpdateTrail", KM_SEV_LOW, "changed a CloudTrail trail"},
    {"aws", M_EXACT, "PutEventSelectors", KM_SEV_MEDIUM, "changed what a trail records"},
    {"aws", M_EXACT, "PutInsightSelectors", KM_SEV_LOW, "changed a trail's Insights"},
    {"aws", M_EXACT, "DeleteEventDataStore", KM_SEV_HIGH, "deleted a CloudTrail Lake store"},
    {"aws", M_EXACT, "StopEventDataStoreIngestion", KM_SEV_HIGH, "stopped CloudTrail Lake ingestion"},
    /* VPC flow logs, GuardDuty, Security Hub, Config, CloudWatch Logs, EventBridge */
    {"aws", M_EXACT, "DeleteFlowLogs", KM_SEV_HIGH, "deleted VPC flow logs"},
    {"aws", M_EXACT, "DeleteDetector", KM_SEV_HIGH, "deleted a GuardDuty detector"},
    {"aws", M_EXACT, "UpdateDetector", KM_SEV_LOW, "changed a GuardDuty detector"},
    {"aws", M_EXACT, "DisassociateFromMasterAccount", KM_SEV_MEDIUM, "left GuardDuty's administrator"},
    {"aws", M_EXACT, "DisableSecurityHub", KM_SEV_HIGH, "disabled Security Hub"},
    {"aws", M_EXACT, "BatchDisableStandards", KM_SEV_MEDIUM, "disabled Security Hub standards"},
    {"aws", M_EXACT, "StopConfigurationRecorder", KM_SEV_HIGH, "stopped the AWS Config recorder"},
    {"aws", M_EXACT, "DeleteConfigurationRecorder", KM_SEV_HIGH, "deleted the AWS Config recorder"},
    {"aws", M_EXACT, "DeleteDeliveryChannel", KM_SEV_HIGH, "deleted the AWS Config delivery channel"},
    {"aws", M_EXACT, "DeleteLogGroup", KM_SEV_MEDIUM, "deleted a CloudWatch log group"},
    {"aws", M_EXACT, "DeleteLogStream", KM_SEV_LOW, "deleted a CloudWatch log stream"},
    {"aws", M_EXACT, "PutRetentionPolicy", KM_SEV_LOW, "shortened or set log retention"},
    {"aws", M_EXACT, "DeleteEventBus", KM_SEV_MEDIUM, "deleted an EventBridge bus"},
    /* Azure Activity log */
    {"azure", M_CI, "Microsoft.Insights/diagnosticSettings/delete", KM_SEV_HIGH,
     "deleted a diagnostic setting"},
    {"azure", M_CI, "microsoft.aadiam/diagnosticSettings/delete", KM_SEV_HIGH,
     "deleted the Entra ID diagnostic setting"},
    {"azure", M_CI, "Microsoft.Insights/diagnosticSettings/write", KM_SEV_LOW,
     "changed a diagnostic setting"},
    {"azure", M_CI, "Microsoft.Insights/logProfiles/delete", KM_SEV_HIGH, "deleted a log profile"},
    {"azure", M_CI, "Microsoft.OperationalInsights/workspaces/delete", KM_SEV_HIGH,
     "deleted a Log Analytics workspace"},
    {"azure", M_CI, "Microsoft.Security/pricings/write", KM_SEV_LOW,
     "changed a Defender for Cloud plan"},
    /* Google Cloud logging */
    {"gcp", M_SUFFIX, ".DeleteSink", KM_SEV_HIGH, "deleted a log sink"},
    {"gcp", M_SUFFIX, ".UpdateSink", KM_SEV_LOW, "changed a log sink"},
    {"gcp", M_SUFFIX, ".DeleteBucket", KM_SEV_HIGH, "deleted a log bucket"},
    {"gcp", M_SUFFIX, ".UpdateBucket", KM_SEV_LOW, "changed a log bucket (retention)"},
    {"gcp", M_SUFFIX, ".CreateExclusion", KM_SEV_MEDIUM, "excluded logs from storage"},
    {"gcp", M_SUFFIX, ".UpdateExclusion", KM_SEV_MEDIUM, "changed a log exclusion"},
    {"gcp", M_SUFFIX, ".UpdateSettings", KM_SEV_LOW, "changed logging settings"},
    {"gcp", M_SUFFIX, ".DeleteLog", KM_SEV_HIGH, "deleted a log"},
};

static const struct op *match_op(const char *v, size_t n)
{
    for (size_t i = 0; i < KM_ARRAY_LEN(ops); i++) {
        const struct op *o = &ops[i];
        size_t an = strlen(o->action);
        switch (o->m) {
        case M_EXACT:
            if (an == n && memcmp(o->action, v, n) == 0)
                return o;
            break;
        case M_CI:
            if (an == n && strncasecmp(o->action, v, n) == 0)
                return o;
            break;
        case M_SUFFIX:
            if (n > an && memcmp(v + n - an, o->action, an) == 0 &&
                (memmem(v, n, "logging", 7) || memmem(v, n, "ConfigServiceV", 14) ||
                 memmem(v, n, "LoggingServiceV", 15)))
                return o;
            break;
        }
    }
    return NULL;
}

static int pred(void *ctx, const char *v, size_t n)
{
    (void)ctx;
    return match_op(v, n) != NULL;
}

/* PutEventSelectors: how much a selector set records. Management events
 * (read and write) count most, then each data resource value; excluded
 * management sources and advanced selectors' narrowing are counted down.
 * Comparing a trail's new set with its previous one tells a narrowing (the
 * evidence an intruder removes) from a widening or a restore. */
struct sel {
    char trail[256];
    int64_t t;
    long score;
};

static long selector_score(const struct km_json *rp)
{
    long score = 0;
    const struct km_json *es = km_json_get(rp, "eventSelectors");
    if (es && es->type == KM_JSON_ARRAY)
        for (const struct km_json *x = es->child; x; x = x->next) {
            const struct km_json *rw = km_json_get(x, "readWriteType");
            const struct km_json *im = km_json_get(x, "includeManagementEvents");
            int all = !rw || (rw->type == KM_JSON_STRING && !strcmp(rw->str, "All"));
            if (!im || im->type == KM_JSON_TRUE)
                score += all ? 100000 : 50000;
            const struct km_json *dr = km_json_get(x, "dataResources");
            if (dr && dr->type == KM_JSON_ARRAY)
                for (const struct km_json *d = dr->child; d; d = d->next) {
                    const struct km_json *v = km_json_get(d, "values");
                    score += v && v->type == KM_JSON_ARRAY ? (long)v->len * (all ? 10 : 5) : 0;
                }
            const struct km_json *ex = km_json_get(x, "excludeManagementEventSources");
            if (ex && ex->type == KM_JSON_ARRAY)
                score -= (long)ex->len * 1000;
        }
    const struct km_json *ad = km_json_get(rp, "advancedEventSelectors");
    if (ad && ad->type == KM_JSON_ARRAY)
        for (const struct km_json *x = ad->child; x; x = x->next) {
            struct km_buf b;
            km_buf_init(&b, 1 << 20);
            km_json_write_value(&b, x);
            int mgmt = b.p && memmem(b.p, b.n, "\"Management\"", 12) != NULL;
            int narrowed = b.p && (memmem(b.p, b.n, "NotEquals", 9) || memmem(b.p, b.n, "readOnly", 8));
            score += mgmt ? (narrowed ? 50000 : 100000) : (narrowed ? 5 : 10);
            km_buf_free(&b);
        }
    return score;
}

static int sel_cmp(const void *a, const void *b)
{
    const struct sel *x = a, *y = b;
    int c = strcmp(x->trail, y->trail);
    return c ? c : (x->t < y->t ? -1 : x->t > y->t);
}

struct st {
    struct km_hunt *h;
    int64_t group;
    int failed_too;
    struct sel *sel;      /* every successful PutEventSelectors, by trail and time */
    size_t nsel, capsel;
};

/* The trail and score of a PutEventSelectors row: 1, or 0 when unreadable. */
static int sel_of(const struct km_hrow *r, char trail[256], long *score)
{
    struct km_arena a;
    km_arena_init(&a, 0, 64u << 20);
    struct km_json *root;
    struct km_err e;
    km_err_clear(&e);
    int ok = 0;
    if (km_hrow_raw(r, &a, &root, &e) == KM_OK) {
        const struct km_json *rp = km_json_get(root, "requestParameters");
        const struct km_json *tn = rp ? km_json_get(rp, "trailName") : NULL;
        if (tn && tn->type == KM_JSON_STRING) {
            const char *slash = strrchr(tn->str, '/');
            snprintf(trail, 256, "%s", slash ? slash + 1 : tn->str);
            *score = selector_score(rp);
            ok = 1;
        }
    }
    km_arena_free(&a);
    return ok;
}

static int collect_sel(void *vctx, const struct km_hrow *r)
{
    struct st *c = vctx;
    struct km_str o = km_hrow_str(r, KM_F_OUTCOME);
    if (km_str_eqc(o, "failure"))
        return 0;
    struct sel x;
    x.t = r->time;
    if (!sel_of(r, x.trail, &x.score))
        return 0;
    if (c->nsel == c->capsel) {
        c->capsel = c->capsel ? 2 * c->capsel : 16;
        c->sel = km_xrealloc(c->sel, c->capsel * sizeof *c->sel);
    }
    c->sel[c->nsel++] = x;
    return c->nsel >= 100000; /* bounded: a trail is not reconfigured that often */
}

/* The severity of a PutEventSelectors: medium when it records less than the
 * trail's previous selectors (or, with none known, leaves management events
 * out, or the next set restores more), low when it widens or restores. */
static int sel_severity(struct st *c, const struct km_hrow *r, const char **what)
{
    char trail[256];
    long score;
    if (!sel_of(r, trail, &score))
        return KM_SEV_MEDIUM;
    const struct sel *prev = NULL, *next = NULL;
    for (size_t i = 0; i < c->nsel; i++) {
        if (strcmp(c->sel[i].trail, trail) != 0)
            continue;
        if (c->sel[i].t < r->time)
            prev = &c->sel[i];
        else if (c->sel[i].t > r->time && !next)
            next = &c->sel[i];
    }
    /* with no earlier set known, a later one that records more (someone
     * restoring what was taken out) shows this one narrowed the trail */
    if (prev ? score < prev->score : (score < 100000 || (next && next->score > score))) {
        *what = "narrowed what a trail records";
        return KM_SEV_MEDIUM;
    }
    *what = prev ? "widened or restored what a trail records" : "set what a trail records";
    return KM_SEV_LOW;
}

static void sstr(char *dst, size_t cap, struct km_str s)
{
    size_t n = s.p ? (s.n < cap - 1 ? s.n : cap - 1) : 0;
    if (n)
        memcpy(dst, s.p, n);
    dst[n] = 0;
}

static int row(void *vctx, const struct km_hrow *r)
{
    struct st *c = vctx;
    struct km_event ev;
    km_event_init(&ev);
    if (km_hrow_event(r, &ev) != KM_OK)
        return 0;
    struct km_str a = ev.f[KM_F_ACTION];
    const struct op *o = match_op(a.p, a.n);
    if (!o || !km_str_eqc(ev.f[KM_F_PROVIDER], o->provider))
        return 0;
    int failed = km_str_eqc(ev.f[KM_F_OUTCOME], "failure");
    if (failed && !c->failed_too)
        return 0;
    struct km_finding f;
    km_finding_init(&f);
    f.detection = "logging_tampering";
    f.technique = "T1562.008";
    f.severity = failed ? KM_SEV_LOW : o->sev;
    const char *what = o->what;
    if (!failed && !strcmp(o->action, "PutEventSelectors"))
        f.severity = sel_severity(c, r, &what);
    char who[200], act[200], acct[140], target[300] = "", ip[64];
    sstr(who, sizeof who,
         ev.f[KM_F_ACTOR_EMAIL].p  ? ev.f[KM_F_ACTOR_EMAIL]
         : ev.f[KM_F_ACTOR_NAME].p ? ev.f[KM_F_ACTOR_NAME]
                                   : ev.f[KM_F_ACTOR_ARN]);
    sstr(act, sizeof act, a);
    sstr(acct, sizeof acct, ev.f[KM_F_ACCOUNT]);
    sstr(ip, sizeof ip, ev.f[KM_F_SRC_IP].p ? ev.f[KM_F_SRC_IP] : ev.f[KM_F_SRC_RAW]);
    km_hunt_add_event(c->h, &f, &ev);
    km_hunt_add_resources(&f, ev.f[KM_F_RESOURCES]);
    if (f.ent[KM_ENT_RESOURCES].n)
        snprintf(target, sizeof target, " (%s)", f.ent[KM_ENT_RESOURCES].v[0]);
    int64_t bucket = c->group > 0 ? ev.time_us / c->group : ev.time_us;
    snprintf(f.key, sizeof f.key, "%s|%s|%s|%s|%s|%lld", o->provider, act, acct, who,
             target, (long long)bucket);
    snprintf(f.summary, sizeof f.summary, "%s%s %s%s in %s %s%s%s (%s).",
             who[0] ? who : "an unknown caller", failed ? " tried but was denied: it" : "",
             what, target, o->provider, acct[0] ? acct : "?", ip[0] ? " from " : "", ip, act);
    km_hunt_emit(c->h, &f);
    return 0;
}

static int run(struct km_hunt *h, struct km_err *err)
{
    struct st c = {h, km_conf_dur_us(km_hunt_conf(h), "logging_tampering.group"),
                   km_conf_bool(km_hunt_conf(h), "logging_tampering.include_failed"), NULL, 0, 0};
    /* first every trail's selector history, then the operations */
    static const char *const pes[] = {"PutEventSelectors"};
    struct km_hscan ps;
    memset(&ps, 0, sizeof ps);
    ps.cond[0].field = KM_F_ACTION;
    ps.cond[0].vals = pes;
    ps.cond[0].nvals = 1;
    ps.ncond = 1;
    ps.row = collect_sel;
    ps.ctx = &c;
    int rc = km_hunt_scan(h, &ps, err);
    if (rc != KM_OK) {
        free(c.sel);
        return rc;
    }
    if (c.nsel > 1)
        qsort(c.sel, c.nsel, sizeof *c.sel, sel_cmp);
    struct km_hscan sc;
    memset(&sc, 0, sizeof sc);
    sc.cond[0].field = KM_F_ACTION;
    sc.cond[0].pred = pred;
    sc.ncond = 1;
    sc.row = row;
    sc.ctx = &c;
    rc = km_hunt_scan(h, &sc, err);
    free(c.sel);
    return rc;
}

const struct km_detection km_det_logging_tampering = {
    .id = "logging_tampering",
    .title = "Logging tampering",
    .technique = "T1562.008",
    .summary = "trails stopped or deleted, flow logs, GuardDuty, Security Hub, Config disabled; "
               "Azure diagnostic settings and GCP sinks deleted or changed",
    .providers = "aws,azure,gcp",
    .conf = km_det_conf_logging_tampering,
    .run = run,
};
