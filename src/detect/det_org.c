/*
 * det_org.c — the organisation as the store shows it, IAM policy documents,
 * Google IAM members and a bounded string set (det_org.h).
 */
#include "detect/det_org.h"

#include "core/conf.h"
#include "ident/ident.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- the set ------------------------------------------------------------------ */

static uint64_t hash(const char *p, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)p[i]) * 1099511628211ull;
    return h ^ (h >> 29);
}

void km_dset_init(struct km_dset *s, uint32_t max)
{
    memset(s, 0, sizeof *s);
    s->max = max ? max : (1u << 20);
}

void km_dset_free(struct km_dset *s)
{
    for (uint32_t i = 0; i < s->cap; i++)
        free(s->slot[i]);
    free(s->slot);
    free(s->val);
    uint32_t max = s->max;
    memset(s, 0, sizeof *s);
    s->max = max;
}

static uint32_t find(const struct km_dset *s, const char *p, size_t n)
{
    uint32_t m = s->cap - 1, i = (uint32_t)hash(p, n) & m;
    while (s->slot[i] && !(strlen(s->slot[i]) == n && memcmp(s->slot[i], p, n) == 0))
        i = (i + 1) & m;
    return i;
}

uint32_t *km_dset_get(const struct km_dset *s, const char *p, size_t n)
{
    if (!s->cap || !p)
        return NULL;
    uint32_t i = find(s, p, n);
    return s->slot[i] ? &s->val[i] : NULL;
}

uint32_t *km_dset_add(struct km_dset *s, const char *p, size_t n, int *added)
{
    if (added)
        *added = 0;
    if (!p)
        return NULL;
    if (s->cap) {
        uint32_t i = find(s, p, n);
        if (s->slot[i])
            return &s->val[i];
    }
    if (s->n >= s->max) {
        s->dropped++;
        return NULL;
    }
    if (2 * (s->n + 1) > s->cap) {
        uint32_t nc = s->cap ? 2 * s->cap : 64;
        struct km_dset t = *s;
        s->slot = km_xcalloc(nc, sizeof *s->slot);
        s->val = km_xcalloc(nc, sizeof *s->val);
        s->cap = nc;
        for (uint32_t k = 0; k < t.cap; k++)
            if (t.slot[k]) {
                uint32_t j = find(s, t.slot[k], strlen(t.slot[k]));
                s->slot[j] = t.slot[k];
                s->val[j] = t.val[k];
            }
        free(t.slot);
        free(t.val);
    }
    uint32_t i = find(s, p, n);
    char *c = km_xmalloc(n + 1);
    memcpy(c, p, n);
    c[n] = 0;
    s->slot[i] = c;
    s->val[i] = 0;
    s->n++;
    if (added)
        *added = 1;
    return &s->val[i];
}

/* ---- the organisation ------------------------------------------------------------ */

static const char *const webmail[] = {
    "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com",
    "yahoo.com", "ymail.com", "icloud.com", "me.com", "mac.com", "aol.com", "proton.me",
    "protonmail.com", "pm.me", "gmx.com", "gmx.de", "gmx.net", "web.de", "mail.com",
    "mail.ru", "yandex.com", "yandex.ru", "qq.com", "163.com", "126.com", "tutanota.com",
    "zoho.com", "fastmail.com", "hey.com",
};

int km_det_webmail(const char *d, size_t n)
{
    for (size_t i = 0; i < KM_ARRAY_LEN(webmail); i++)
        if (strlen(webmail[i]) == n && strncasecmp(webmail[i], d, n) == 0)
            return 1;
    return 0;
}

static int sa_domain(const char *d, size_t n)
{
    static const char suf[] = "gserviceaccount.com";
    size_t k = sizeof suf - 1;
    return n >= k && strncasecmp(d + n - k, suf, k) == 0;
}

struct collect {
    struct km_dset *set;
    struct km_dset *emails;   /* domains: distinct addresses seen per domain */
};

static int pred_accounts(void *ctx, const char *v, size_t n)
{
    struct collect *c = ctx;
    if (n)
        km_dset_add(c->set, v, n, NULL);
    return 0;   /* never a row: the dictionaries are all we read */
}

static int pred_emails(void *ctx, const char *v, size_t n)
{
    struct collect *c = ctx;
    const char *at = memchr(v, '@', n);
    if (!at || n > 320)
        return 0;
    int added = 0;
    km_dset_add(c->emails, v, n, &added);
    if (!added)
        return 0;
    char d[256];
    size_t dn = n - (size_t)(at + 1 - v);
    if (!dn || dn >= sizeof d)
        return 0;
    for (size_t i = 0; i < dn; i++)
        d[i] = (char)tolower((unsigned char)at[1 + i]);
    if (km_det_webmail(d, dn) || sa_domain(d, dn))
        return 0;
    uint32_t *cnt = km_dset_add(c->set, d, dn, NULL);
    if (cnt)
        (*cnt)++;
    return 0;
}

static int no_row(void *ctx, const struct km_hrow *r)
{
    (void)ctx;
    (void)r;
    return 0;
}

int km_detorg_build(struct km_hunt *h, struct km_detorg *o, struct km_err *err)
{
    memset(o, 0, sizeof *o);
    km_dset_init(&o->accounts, 1u << 18);
    km_dset_init(&o->domains, 4096);
    struct collect ca = {&o->accounts, NULL};
    struct km_hscan sc;
    memset(&sc, 0, sizeof sc);
    sc.cond[0].field = KM_F_ACCOUNT;
    sc.cond[0].pred = pred_accounts;
    sc.cond[0].pctx = &ca;
    sc.ncond = 1;
    sc.row = no_row;
    int rc = km_hunt_scan(h, &sc, err);
    if (rc != KM_OK)
        return rc;

    const char *const *items;
    size_t n = km_conf_list(km_hunt_conf(h), "identity.domains", &items);
    if (n) {
        for (size_t i = 0; i < n; i++) {
            char d[256];
            size_t k = strlen(items[i]);
            if (k >= sizeof d)
                continue;
            for (size_t j = 0; j < k; j++)
                d[j] = (char)tolower((unsigned char)items[i][j]);
            km_dset_add(&o->domains, d, k, NULL);
        }
        o->domains_origin = "configuration";
        return KM_OK;
    }
    const char *origin = NULL;
    if (km_hunt_graph(h)) {
        n = km_idgraph_domains(km_hunt_graph(h), &items, &origin);
        for (size_t i = 0; i < n; i++) {
            char d[256];
            size_t k = strlen(items[i]);
            if (k >= sizeof d)
                continue;
            for (size_t j = 0; j < k; j++)
                d[j] = (char)tolower((unsigned char)items[i][j]);
            km_dset_add(&o->domains, d, k, NULL);
        }
        if (n) {
            o->domains_origin = "identity graph";
            return KM_OK;
        }
    }
    /* else: domains shared by at least two distinct actor addresses */
    struct km_dset emails, counted;
    km_dset_init(&emails, 1u << 18);
    km_dset_init(&counted, 4096);
    struct collect ce = {&counted, &emails};
    sc.cond[0].field = KM_F_ACTOR_EMAIL;
    sc.cond[0].pred = pred_emails;
    sc.cond[0].pctx = &ce;
    rc = km_hunt_scan(h, &sc, err);
    for (uint32_t i = 0; i < counted.cap; i++)
        if (counted.slot[i] && counted.val[i] >= 2)
            km_dset_add(&o->domains, counted.slot[i], strlen(counted.slot[i]), NULL);
    km_dset_free(&emails);
    km_dset_free(&counted);
    o->domains_origin = "actor e-mails";
    return rc;
}

void km_detorg_free(struct km_detorg *o)
{
    km_dset_free(&o->accounts);
    km_dset_free(&o->domains);
}

int km_detorg_aws_account(const struct km_detorg *o, const char *id, size_t n)
{
    return km_dset_has(&o->accounts, id, n);
}

int km_detorg_email_inside(const struct km_detorg *o, const char *e, size_t n)
{
    const char *at = memchr(e, '@', n);
    const char *d = at ? at + 1 : e;
    size_t dn = n - (size_t)(d - e);
    char low[256];
    if (!dn || dn >= sizeof low)
        return 0;
    for (size_t i = 0; i < dn; i++)
        low[i] = (char)tolower((unsigned char)d[i]);
    if (km_det_webmail(low, dn))
        return 0;
    return km_dset_has(&o->domains, low, dn);
}

/* ---- Google IAM members ------------------------------------------------------------ */

static int has_prefix(const char *p, size_t n, const char *pre)
{
    size_t k = strlen(pre);
    return n >= k && memcmp(p, pre, k) == 0;
}

int km_det_gcp_member(const struct km_detorg *o, const char *m, size_t n)
{
    if ((n == 8 && memcmp(m, "allUsers", 8) == 0) ||
        (n == 21 && memcmp(m, "allAuthenticatedUsers", 21) == 0))
        return KM_MEMBER_PUBLIC;
    if (has_prefix(m, n, "deleted:") || has_prefix(m, n, "principal:") ||
        has_prefix(m, n, "principalSet:") || has_prefix(m, n, "projectOwner:") ||
        has_prefix(m, n, "projectEditor:") || has_prefix(m, n, "projectViewer:"))
        return KM_MEMBER_UNKNOWN;
    if (has_prefix(m, n, "serviceAccount:")) {
        const char *e = m + 15;
        size_t en = n - 15;
        const char *at = memchr(e, '@', en);
        if (!at)
            return KM_MEMBER_UNKNOWN;
        const char *d = at + 1;
        size_t dn = en - (size_t)(d - e);
        /* name@PROJECT.iam.gserviceaccount.com: a project the store knows? */
        static const char suf[] = ".iam.gserviceaccount.com";
        size_t k = sizeof suf - 1;
        if (dn > k && strncasecmp(d + dn - k, suf, k) == 0) {
            /* Google's own service agents (service-N@gcp-sa-x..., ...@system...) */
            if ((dn - k >= 7 && strncasecmp(d, "gcp-sa-", 7) == 0) ||
                (dn - k == 6 && strncasecmp(d, "system", 6) == 0) ||
                (dn - k > 7 && strncasecmp(d + dn - k - 7, "-system", 7) == 0))
                return KM_MEMBER_INSIDE;
            return km_dset_has(&o->accounts, d, dn - k) ? KM_MEMBER_INSIDE : KM_MEMBER_OUTSIDE;
        }
        return sa_domain(d, dn) ? KM_MEMBER_INSIDE : KM_MEMBER_UNKNOWN;
    }
    const char *v = m;
    size_t vn = n;
    if (has_prefix(m, n, "user:"))
        v = m + 5, vn = n - 5;
    else if (has_prefix(m, n, "group:"))
        v = m + 6, vn = n - 6;
    else if (has_prefix(m, n, "domain:"))
        v = m + 7, vn = n - 7;
    else if (!memchr(m, '@', n))
        return KM_MEMBER_UNKNOWN;
    if (!vn)
        return KM_MEMBER_UNKNOWN;
    return km_detorg_email_inside(o, v, vn) ? KM_MEMBER_INSIDE : KM_MEMBER_OUTSIDE;
}

/* ---- IAM policy documents --------------------------------------------------------------- */

static int hexv(int c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

const struct km_json *km_det_policy(const struct km_json *v, struct km_arena *a)
{
    if (km_json_is_obj(v))
        return v;
    if (!km_json_is_str(v) || v->len < 2 || v->len > (1u << 20))
        return NULL;
    char *buf = km_arena_alloc(a, v->len + 1);
    if (!buf)
        return NULL;
    size_t n = 0;
    int url = v->str[0] == '%';
    for (uint32_t i = 0; i < v->len; i++) {
        char c = v->str[i];
        if (url && c == '%' && i + 2 < v->len && hexv(v->str[i + 1]) >= 0 &&
            hexv(v->str[i + 2]) >= 0) {
            c = (char)(hexv(v->str[i + 1]) * 16 + hexv(v->str[i + 2]));
            i += 2;
        } else if (url && c == '+') {
            c = ' ';
        }
        buf[n++] = c;
    }
    size_t s = 0;
    while (s < n && isspace((unsigned char)buf[s]))
        s++;
    if (s == n || buf[s] != '{')
        return NULL;
    struct km_json *root;
    struct km_err e;
    km_err_clear(&e);
    if (km_json_parse(buf, n, NULL, a, &root, &e) != KM_OK || !km_json_is_obj(root))
        return NULL;
    return root;
}

/* Calls fn on each string of a string-or-array value; stops when fn returns 1. */
static int any_str(const struct km_json *v, int (*fn)(const char *s, size_t n, void *ctx),
                   void *ctx)
{
    if (km_json_is_str(v))
        return fn(v->str, v->len, ctx);
    if (km_json_is_arr(v))
        for (const struct km_json *x = v->child; x; x = x->next)
            if (km_json_is_str(x) && fn(x->str, x->len, ctx))
                return 1;
    return 0;
}

static int is_star(const char *s, size_t n, void *ctx)
{
    (void)ctx;
    return n == 1 && s[0] == '*';
}

static int is_admin_action(const char *s, size_t n, void *ctx)
{
    (void)ctx;
    return (n == 1 && s[0] == '*') || (n == 3 && memcmp(s, "*:*", 3) == 0) ||
           (n == 5 && strncasecmp(s, "iam:*", 5) == 0);
}

static const struct km_json *statements(const struct km_json *doc)
{
    const struct km_json *st = km_json_get(doc, "Statement");
    if (!st)
        st = km_json_geti(doc, "statement");
    return st;
}

/* Calls fn on each statement object of a policy document. */
static void each_statement(const struct km_json *doc,
                           void (*fn)(const struct km_json *s, void *ctx), void *ctx)
{
    const struct km_json *st = statements(doc);
    if (km_json_is_obj(st))
        fn(st, ctx);
    else if (km_json_is_arr(st))
        for (const struct km_json *x = st->child; x; x = x->next)
            if (km_json_is_obj(x))
                fn(x, ctx);
}

static int allow(const struct km_json *s)
{
    const struct km_json *e = km_json_geti(s, "Effect");
    return km_json_is_str(e) && strcasecmp(e->str, "Allow") == 0;
}

static void admin_st(const struct km_json *s, void *ctx)
{
    int *admin = ctx;
    if (*admin || !allow(s) || !any_str(km_json_geti(s, "Resource"), is_star, NULL))
        return;
    if (any_str(km_json_geti(s, "Action"), is_admin_action, NULL))
        *admin = 1;
    else if (km_json_geti(s, "NotAction") && !km_json_geti(s, "Action"))
        *admin = 1;
}

int km_det_policy_admin(const struct km_json *doc)
{
    int admin = 0;
    each_statement(doc, admin_st, &admin);
    return admin;
}

/* Condition keys that keep a "*" principal inside known boundaries. */
static const char *const restricting[] = {
    "aws:principalorgid", "aws:principalorgpaths", "aws:principalaccount", "aws:principalarn",
    "aws:sourcevpc",      "aws:sourcevpce",        "aws:sourceip",         "aws:sourceaccount",
    "aws:sourcearn",      "aws:sourceorgid",       "aws:userid",           "aws:principalservicename",
    "aws:resourceorgid",  "kms:calleraccount",     "kms:viaservice",       "sts:externalid",
    "aws:sourceowner",    "aws:username",
};

static int restricted(const struct km_json *cond)
{
    if (!km_json_is_obj(cond))
        return 0;
    for (const struct km_json *op = cond->child; op; op = op->next) {
        if (!km_json_is_obj(op))
            continue;
        for (const struct km_json *k = op->child; k; k = k->next)
            for (size_t i = 0; i < KM_ARRAY_LEN(restricting); i++)
                if (strcasecmp(k->key, restricting[i]) == 0)
                    return 1;
    }
    return 0;
}

struct gctx {
    const struct km_detorg *o;
    struct km_det_grant *g;
    int star;
};

static int principal_str(const char *s, size_t n, void *vctx)
{
    struct gctx *c = vctx;
    if (n == 1 && s[0] == '*') {
        c->star = 1;
        return 0;
    }
    /* "123456789012" or "arn:aws:iam::123456789012:root|user/..|role/.." */
    const char *id = s;
    size_t idn = n;
    if (n > 13 && memcmp(s, "arn:aws", 7) == 0) {
        const char *p = memchr(s + 7, ':', n - 7);          /* :iam */
        p = p ? memchr(p + 1, ':', n - (size_t)(p + 1 - s)) : NULL;   /* :: region */
        p = p ? memchr(p + 1, ':', n - (size_t)(p + 1 - s)) : NULL;   /* account */
        if (!p)
            return 0;
        id = p + 1;
        const char *q = memchr(id, ':', n - (size_t)(id - s));
        idn = q ? (size_t)(q - id) : 0;
    }
    if (idn != 12)
        return 0;
    for (size_t i = 0; i < 12; i++)
        if (!isdigit((unsigned char)id[i]))
            return 0;
    if (km_detorg_aws_account(c->o, id, 12))
        return 0;
    if (c->g->noutside < 16) {
        char one[13];
        memcpy(one, id, 12);
        one[12] = 0;
        if (!strstr(c->g->outside, one)) {
            size_t l = strlen(c->g->outside);
            snprintf(c->g->outside + l, sizeof c->g->outside - l, "%s%s", l ? "," : "", one);
            c->g->noutside++;
        }
    }
    return 0;
}

static void grant_st(const struct km_json *s, void *ctx)
{
    struct gctx *c = ctx;
    if (!allow(s))
        return;
    c->star = 0;
    const struct km_json *p = km_json_geti(s, "Principal");
    if (km_json_is_str(p))
        principal_str(p->str, p->len, c);
    else if (km_json_is_obj(p))   /* a federated or service principal is not a "*" */
        any_str(km_json_geti(p, "AWS"), principal_str, c);
    if (c->star) {
        if (restricted(km_json_geti(s, "Condition")))
            c->g->public_cond = 1;
        else
            c->g->public_open = 1;
    }
}

void km_det_policy_grantees(const struct km_detorg *o, const struct km_json *doc,
                            struct km_det_grant *g)
{
    memset(g, 0, sizeof *g);
    struct gctx c = {o, g, 0};
    each_statement(doc, grant_st, &c);
}

/* ---- small helpers ------------------------------------------------------------------------- */

void km_det_cpy(char *dst, size_t cap, struct km_str s)
{
    size_t n = s.p ? (s.n < cap - 1 ? s.n : cap - 1) : 0;
    if (n)
        memcpy(dst, s.p, n);
    dst[n] = 0;
}

void km_det_row_event(const struct km_hrow *r, struct km_event *ev)
{
    static const int fields[] = {
        KM_F_PROVIDER,    KM_F_ACCOUNT,     KM_F_ACTOR_TYPE,       KM_F_ACTOR_NAME,
        KM_F_ACTOR_ARN,   KM_F_ACTOR_EMAIL, KM_F_ACTOR_ACCESS_KEY, KM_F_SRC_IP,
        KM_F_USER_AGENT,  KM_F_ACTION,      KM_F_OUTCOME,          KM_F_SRC_COUNTRY,
    };
    km_event_init(ev);
    ev->time_us = r->time;
    for (size_t i = 0; i < KM_ARRAY_LEN(fields); i++)
        ev->f[fields[i]] = km_hrow_str(r, fields[i]);
}

struct km_str km_det_who(const struct km_event *ev)
{
    return ev->f[KM_F_ACTOR_EMAIL].p  ? ev->f[KM_F_ACTOR_EMAIL]
         : ev->f[KM_F_ACTOR_NAME].p   ? ev->f[KM_F_ACTOR_NAME]
                                      : ev->f[KM_F_ACTOR_ARN];
}

struct km_str km_det_jstr(const struct km_json *obj, const char *path)
{
    const struct km_json *v = km_json_path(obj, path);
    return km_json_is_str(v) ? (struct km_str){v->str, v->len} : KM_STR_NONE;
}

int km_det_icontains(const char *hay, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    if (!hay || k > n)
        return 0;
    for (size_t i = 0; i + k <= n; i++)
        if (strncasecmp(hay + i, needle, k) == 0)
            return 1;
    return 0;
}

int km_det_succeeded(const struct km_event *ev)
{
    return !km_str_eqc(ev->f[KM_F_OUTCOME], "failure");
}
