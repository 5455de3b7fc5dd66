/*
 * gen_scen.c — the planted scenarios of `kumo gen --scenarios` and their
 * ground truth (docs/generator.md, "Scenarios").
 *
 * Each scenario is a small attack planted into the background with its own
 * actors: attacker addresses from large national allocations (never
 * documentation or private ranges, which get no country), victims drawn
 * from the world's people (never mallory, each scenario its own), its own
 * AWS accounts, and its own time (spread over the days, deterministic from
 * the seed). km_gen_scen_build() plans them all before any provider runs:
 *
 *   world ──► victims, addresses, accounts ──► times (no two scenarios
 *   overlap; a silenced CloudTrail stream holds no other plant) ──► one
 *   km_gen_plant per planted record, in (provider, time) order
 *
 * CloudTrail plants are rendered here, exactly in the field order and shapes
 * of gen_cloudtrail.c's records; Azure and Google Cloud plants are rendered
 * by their providers (they need the tenant's and the projects' ids). Every
 * planted record counts toward --events: the providers take the plants off
 * their background share, so the total stays exact.
 *
 * The ground truth (out_dir/kumo-ground-truth.json) lists every planted
 * scenario with its expected detections, its first and last record, and its
 * entities as kumo normalizes them; the providers add what only they know
 * (tenant and subscription ids, projects, event ids) while they render.
 */
#include "gen/gen_int.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

const char *const km_gen_scen_names[KM_GEN_NSCEN] = {
    "story",       "spray",     "bruteforce", "travel",    "lateral",  "leakedkey",
    "persistence", "privilege", "tampering",  "exposure",  "incident",
};

/* Expected detections (docs/detections/<id>.md), and those that may also fire. */
static const char *const sc_detections[KM_GEN_NSCEN] = {
    "password_spray,credential_persistence,privilege_grant,logging_tampering,leaked_key,recon_burst",
    "password_spray",
    "brute_force",
    "impossible_travel",
    "role_chain,gcp_impersonation,azure_role_assignment",
    "leaked_key,recon_burst",
    "credential_persistence",
    "privilege_grant",
    "logging_tampering,log_silence",
    "exposure",
    "logging_tampering,log_silence",
};
static const char *const sc_also[KM_GEN_NSCEN] = {
    "new_location", "new_location", "new_location", "new_location",
    "new_location", "new_location", "new_location,privilege_grant", "new_location",
    "new_location", "new_location", "new_location,impossible_travel",
};

/* Records per scenario and provider (aws, azure, gcp); lateral plants two
 * fewer CloudTrail records with a single account (no cross-account copies). */
static const uint8_t sc_n[KM_GEN_NSCEN][KM_GEN_NPROV] = {
    {KM_GEN_STORY_N_AWS, KM_GEN_STORY_N_AZURE, KM_GEN_STORY_N_GCP},
    {12, 26, 6},  /* spray */
    {0, 37, 0},   /* bruteforce */
    {4, 2, 3},    /* travel */
    {7, 6, 3},    /* lateral */
    {16, 0, 0},   /* leakedkey */
    {8, 2, 3},    /* persistence */
    {2, 2, 1},    /* privilege */
    {6, 2, 1},    /* tampering */
    {4, 0, 1},    /* exposure */
    {3, 3, 1},    /* incident */
};

uint32_t km_gen_scen_records(int scen, int prov, uint32_t accounts)
{
    if (scen < 0 || scen >= KM_GEN_NSCEN || prov < 0 || prov >= KM_GEN_NPROV)
        return 0;
    uint32_t n = sc_n[scen][prov];
    if (scen == KM_GEN_SCEN_LATERAL && prov == KM_GEN_PROV_AWS && accounts < 2)
        n -= 2;
    return n;
}

unsigned km_gen_scen_mask(const struct km_gen_opts *o)
{
    if (o->scenarios == 0)
        return 1u << KM_GEN_SCEN_STORY;
    unsigned m = o->scenarios & KM_GEN_S_ALL;
    unsigned prov = o->providers ? o->providers : KM_GEN_P_AWS;
    if (o->scenarios & KM_GEN_S_SKIP)
        for (int s = 0; s < KM_GEN_NSCEN; s++) {
            uint32_t any = 0;
            for (int p = 0; p < KM_GEN_NPROV; p++)
                if (prov & (1u << p))
                    any += km_gen_scen_records(s, p, o->accounts);
            if (!any)
                m &= ~(1u << s);
        }
    return m;
}

int km_gen_parse_scenarios(const char *s, unsigned *mask, char *why, size_t n)
{
    unsigned m = 0;
    if (!s || !*s) {
        snprintf(why, n, "empty list");
        return KM_EUSAGE;
    }
    if (strcmp(s, "all") == 0) {
        *mask = KM_GEN_S_ALL | KM_GEN_S_SKIP;
        return KM_OK;
    }
    if (strcmp(s, "none") == 0) {
        *mask = KM_GEN_S_NONE;
        return KM_OK;
    }
    const char *p = s;
    for (;;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        int found = -1;
        for (int i = 0; i < KM_GEN_NSCEN && found < 0; i++)
            if (strlen(km_gen_scen_names[i]) == len && strncmp(p, km_gen_scen_names[i], len) == 0)
                found = i;
        if (found < 0) {
            if ((len == 3 && strncmp(p, "all", 3) == 0) || (len == 4 && strncmp(p, "none", 4) == 0))
                snprintf(why, n, "'%.*s' cannot be combined with names", (int)len, p);
            else
                snprintf(why, n, "unknown scenario '%.*s'", (int)(len > 40 ? 40 : len), p);
            return KM_EUSAGE;
        }
        if (m & (1u << found)) {
            snprintf(why, n, "'%s' given twice", km_gen_scen_names[found]);
            return KM_EUSAGE;
        }
        m |= 1u << found;
        if (!end)
            break;
        p = end + 1;
    }
    *mask = m;
    return KM_OK;
}

/* ---- where the attackers are ------------------------------------------------ */

/*
 * Each scenario's addresses come from one /16 of a large national access
 * provider, in a range that has belonged to the same country for many years
 * (checked against Debian's tor-geoipdb, /usr/share/tor/geoip, and the
 * libloc database: country and AS below). The host part is drawn from the
 * seed. Entra ID shows the place as the sign-in location.
 */
struct sc_net {
    uint8_t a, b;
    struct km_gen_place place;
};

enum { NET_VN = 0, NET_ID1, NET_ID2, NET_ID3, NET_KR, NET_AR, NET_RU, NET_NG, NET_TR, NET_EG,
       NET_KZ, NET_MX, NET_CN, SC_NNET };

static const struct sc_net sc_nets[SC_NNET] = {
    [NET_VN] = {14, 160, {"Hanoi", "Hanoi", "VN", 21.0245, 105.84117, 45899}},
    [NET_ID1] = {36, 64, {"Jakarta", "Jakarta", "ID", -6.21462, 106.84513, 7713}},
    [NET_ID2] = {36, 65, {"Jakarta", "Jakarta", "ID", -6.21462, 106.84513, 7713}},
    [NET_ID3] = {36, 66, {"Surabaya", "East Java", "ID", -7.24917, 112.75083, 7713}},
    [NET_KR] = {211, 234, {"Seoul", "Seoul", "KR", 37.566, 126.9784, 3786}},
    [NET_AR] = {181, 46, {"Buenos Aires", "Buenos Aires F.D.", "AR", -34.61315, -58.37723, 27747}},
    [NET_RU] = {95, 24, {"Moscow", "Moscow", "RU", 55.75222, 37.61556, 8402}},
    [NET_NG] = {105, 112, {"Lagos", "Lagos", "NG", 6.45407, 3.39467, 36873}},
    [NET_TR] = {88, 224, {"Istanbul", "Istanbul", "TR", 41.01384, 28.94966, 9121}},
    [NET_EG] = {156, 160, {"Cairo", "Cairo Governorate", "EG", 30.06263, 31.24967, 36992}},
    [NET_KZ] = {95, 56, {"Almaty", "Almaty", "KZ", 43.25667, 76.92861, 9198}},
    [NET_MX] = {187, 188, {"Mexico City", "Mexico City", "MX", 19.42847, -99.12766, 22884}},
    [NET_CN] = {123, 112, {"Beijing", "Beijing", "CN", 39.9075, 116.39723, 4808}},
};

/* ---- small helpers -------------------------------------------------------------- */

#define SC(w) ((w)->scen)

static void set_add(struct km_gen_strset *st, const char *s)
{
    for (uint32_t i = 0; i < st->n; i++)
        if (strcmp(st->v[i], s) == 0)
            return;
    if (st->n == st->cap) {
        uint32_t cap = st->cap ? st->cap * 2 : 8;
        char **v = realloc(st->v, cap * sizeof *v);
        if (!v)
            return; /* the ground truth is best effort under memory pressure */
        st->v = v;
        st->cap = cap;
    }
    char *d = strdup(s);
    if (d)
        st->v[st->n++] = d;
}

void km_gen_scen_ent(const struct km_gen_world *w, int scen, int kind, const char *fmt, ...)
{
    if (!SC(w) || scen < 0 || scen >= KM_GEN_NSCEN || kind < 0 || kind >= KM_GEN_NENT)
        return;
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n <= 0)
        return;
    set_add(&SC(w)->sc[scen].ent[kind], buf);
}

void km_gen_scen_time(const struct km_gen_world *w, int scen, int64_t t)
{
    if (!SC(w) || scen < 0 || scen >= KM_GEN_NSCEN)
        return;
    struct km_gen_sc *c = &SC(w)->sc[scen];
    if (!c->first || t < c->first)
        c->first = t;
    if (t > c->last)
        c->last = t;
}

int km_gen_scen_story(const struct km_gen_world *w)
{
    return !SC(w) || (SC(w)->mask & (1u << KM_GEN_SCEN_STORY)) != 0;
}

void km_gen_scen_plants(const struct km_gen_world *w, int prov, uint32_t *first, uint32_t *n)
{
    *first = *n = 0;
    if (!SC(w))
        return;
    const struct km_gen_scen *S = SC(w);
    uint32_t i = 0;
    while (i < S->npl && S->pl[i].prov < prov)
        i++;
    *first = i;
    while (i < S->npl && S->pl[i].prov == prov)
        i++;
    *n = i - *first;
}

void km_gen_scen_ip(const struct km_gen_world *w, const struct km_gen_plant *p, struct km_gb *b)
{
    if (p->ip == KM_GEN_OWN_IP) {
        km_gen_person_ip(w, p->who, (uint32_t)((p->t - w->start) / 86400), b);
        return;
    }
    km_gb_ip4(b, SC(w)->sc[p->scen].ip[p->ip]);
}

const struct km_gen_place *km_gen_scen_place(const struct km_gen_world *w,
                                             const struct km_gen_plant *p)
{
    if (p->ip == KM_GEN_OWN_IP)
        return km_gen_place_of(w->offices[w->persons[p->who].office].city);
    return SC(w)->sc[p->scen].place[p->ip];
}

/* 1 when person p works through the corporate VPN on day d. */
static int own_is_vpn(const struct km_gen_world *w, uint32_t p, uint32_t d)
{
    char t[64], v[20];
    struct km_gb b = {t, 0, sizeof t};
    km_gen_person_ip(w, p, d, &b);
    t[b.n] = 0;
    for (int k = 0; k < 2; k++) {
        struct km_gb vb = {v, 0, sizeof v};
        km_gb_ip4(&vb, w->vpn[k]);
        v[vb.n] = 0;
        if (strcmp(t, v) == 0)
            return 1;
    }
    return 0;
}

/* Country of a person's own address on day d: their office's, or Germany's
 * when they come through the corporate VPN (a Frankfurt data centre). */
static const char *own_country(const struct km_gen_world *w, uint32_t p, uint32_t d)
{
    if (own_is_vpn(w, p, d))
        return "DE";
    return km_gen_place_of(w->offices[w->persons[p].office].city)->country;
}

static double dist_km(double la1, double lo1, double la2, double lo2)
{
    double r = 6371.0, d2r = 3.14159265358979323846 / 180.0;
    double dla = (la2 - la1) * d2r, dlo = (lo2 - lo1) * d2r;
    double a = sin(dla / 2) * sin(dla / 2) +
               cos(la1 * d2r) * cos(la2 * d2r) * sin(dlo / 2) * sin(dlo / 2);
    return 2 * r * atan2(sqrt(a), sqrt(1 - a));
}

/* ---- the world's identities --------------------------------------------------- */

/* Person p's IAM Identity Center actor in account a, or NULL. */
static const struct km_gen_actor *sso_actor(const struct km_gen_world *w, uint32_t a, uint32_t p)
{
    const struct km_gen_account *ac = &w->accounts[a];
    for (uint32_t k = 0; k < ac->nactors; k++) {
        const struct km_gen_actor *x = &w->actors[ac->first_actor + k];
        if (x->kind == KM_GEN_K_SSO && x->person == p)
            return x;
    }
    return NULL;
}

/* The actor of account a with this kind and name (IAM users, roles), or NULL. */
static const struct km_gen_actor *named_actor(const struct km_gen_world *w, uint32_t a, int kind,
                                              const char *name)
{
    const struct km_gen_account *ac = &w->accounts[a];
    for (uint32_t k = 0; k < ac->nactors; k++) {
        const struct km_gen_actor *x = &w->actors[ac->first_actor + k];
        if (x->kind == kind && (!name || strncmp(x->name, name, strlen(name)) == 0))
            return x;
    }
    return NULL;
}

/* The account's Terraform role actor (terraform-<account name>). */
static const struct km_gen_actor *tf_role(const struct km_gen_world *w, uint32_t a)
{
    return named_actor(w, a, KM_GEN_K_TERRAFORM, NULL);
}

enum { P_ANY = 0, P_ADMIN, P_ADMINOPS, P_GCP, P_AZUSER, P_DATA, P_IAMUSER };

static int pred_ok(const struct km_gen_world *w, uint32_t p, int pred)
{
    const struct km_gen_person *pe = &w->persons[p];
    unsigned cl = km_gen_person_clouds(w, p);
    switch (pred) {
    case P_ADMIN: return pe->job == KM_GEN_JOB_ADMIN;
    case P_ADMINOPS: return pe->job == KM_GEN_JOB_ADMIN || pe->job == KM_GEN_JOB_OPS;
    case P_GCP: return (cl & KM_GEN_C_GCP) != 0;
    case P_AZUSER: return (cl & KM_GEN_C_AZURE) && pe->job != KM_GEN_JOB_ADMIN;
    case P_DATA: return (pe->job == KM_GEN_JOB_DATA || pe->job == KM_GEN_JOB_DEV) &&
                        (cl & KM_GEN_C_GCP);
    case P_IAMUSER: {
        for (uint32_t i = 0; i < w->nactors; i++)
            if (w->actors[i].kind == KM_GEN_K_IAMHUMAN && w->actors[i].person == p &&
                i != w->story_actor)
                return 1;
        return 0;
    }
    default: return 1;
    }
}

/*
 * A person for a scenario: one nobody else uses and who fits pred, starting
 * at a seeded place; failing that one already used who fits; failing that
 * anyone unused. Never the story person. Marks the pick as used.
 */
static uint16_t pick_person(const struct km_gen_world *w, struct km_rng *r, uint8_t *used,
                            int pred, int fallback)
{
    uint32_t n = w->npersons, at = km_rng_below(r, n);
    for (int pass = 0; pass < 4; pass++) {
        for (uint32_t k = 0; k < n; k++) {
            uint32_t p = (at + k) % n;
            if (p == w->story_person)
                continue;
            int fits = pass == 0 ? !used[p] && pred_ok(w, p, pred)
                       : pass == 1 ? !used[p] && pred_ok(w, p, fallback)
                       : pass == 2 ? pred_ok(w, p, pred)
                       : 1;
            if (fits) {
                used[p] = 1;
                return (uint16_t)p;
            }
        }
    }
    return 0;
}

/* ---- CloudTrail records ----------------------------------------------------------- */

struct sc_ct {
    int scen;
    int64_t t;
    uint8_t acct, region;
    const char *ver, *source, *name, *host;
    const char *ua;
    char ip[64];
    char ident[1600];
    char arn[320];              /* the caller's ARN, for AccessDenied messages */
    const char *ecode;
    char emsg[640];
    char rp[2600], re[2600], aed[512], res[700];
    int ro, login, has_rp, has_re;
    int benign;                 /* the responder's: not the attack's time or entities */
    char shared[40];
    char hostbuf[160];
    char uabuf[512];
    struct km_rng r;
};

static int64_t sc_end(const struct km_gen_world *w)
{
    return w->start + (int64_t)w->days * 86400;
}

/* The next plant slot. */
static struct km_gen_plant *new_plant(struct km_gen_scen *S)
{
    if (S->npl == S->cappl) {
        uint32_t cap = S->cappl ? S->cappl * 2 : 256;
        struct km_gen_plant *p = realloc(S->pl, cap * sizeof *p);
        if (!p)
            return NULL;
        S->pl = p;
        S->cappl = cap;
    }
    struct km_gen_plant *p = &S->pl[S->npl++];
    memset(p, 0, sizeof *p);
    p->who = p->who2 = KM_GEN_NONE;
    return p;
}

static void sc_uuid(char out[37], struct km_rng *r)
{
    struct km_gb b = {out, 0, 37};
    km_gb_uuid(&b, r);
    out[36] = 0;
}

#define J(b, s) KM_GB_LIT(b, s)

/* Renders c as one CloudTrail record into S->aws and adds its plant. */
static int ct_emit(struct km_gen_world *w, struct sc_ct *c)
{
    struct km_gen_scen *S = SC(w);
    size_t need = 16384;
    if (S->aws_cap - S->aws_n < need) {
        size_t cap = S->aws_cap ? S->aws_cap * 2 : 65536;
        while (cap - S->aws_n < need)
            cap *= 2;
        char *p = realloc(S->aws, cap);
        if (!p)
            return KM_ENOMEM;
        S->aws = p;
        S->aws_cap = cap;
    }
    struct km_gb bb = {S->aws, S->aws_n, S->aws_cap}, *b = &bb;
    const char *acct = w->accounts[c->acct].id;
    char rid[37], eid[37];
    sc_uuid(rid, &c->r);
    sc_uuid(eid, &c->r);
    J(b, "{\"eventVersion\":\"");
    km_gb_str(b, c->ver);
    J(b, "\",\"userIdentity\":");
    km_gb_str(b, c->ident);
    J(b, ",\"eventTime\":\"");
    km_gb_iso(b, c->t);
    J(b, "\",\"eventSource\":\"");
    km_gb_str(b, c->source);
    J(b, "\",\"eventName\":\"");
    km_gb_str(b, c->name);
    J(b, "\",\"awsRegion\":\"");
    km_gb_str(b, km_gen_regions[c->region]);
    J(b, "\",\"sourceIPAddress\":\"");
    km_gb_str(b, c->ip);
    J(b, "\",\"userAgent\":\"");
    km_gb_esc(b, c->ua, strlen(c->ua));
    km_gb_ch(b, '"');
    if (c->ecode) {
        J(b, ",\"errorCode\":\"");
        km_gb_str(b, c->ecode);
        km_gb_ch(b, '"');
    }
    if (c->emsg[0]) {
        J(b, ",\"errorMessage\":\"");
        km_gb_esc(b, c->emsg, strlen(c->emsg));
        km_gb_ch(b, '"');
    }
    J(b, ",\"requestParameters\":");
    if (c->has_rp)
        km_gb_str(b, c->rp);
    else
        J(b, "null");
    J(b, ",\"responseElements\":");
    if (c->has_re && !c->ecode)
        km_gb_str(b, c->re);
    else
        J(b, "null");
    if (c->aed[0]) {
        J(b, ",\"additionalEventData\":{");
        km_gb_str(b, c->aed);
        km_gb_ch(b, '}');
    }
    if (!c->login) {
        J(b, ",\"requestID\":\"");
        km_gb_str(b, rid);
        km_gb_ch(b, '"');
    }
    J(b, ",\"eventID\":\"");
    km_gb_str(b, eid);
    J(b, "\",\"readOnly\":");
    if (c->ro)
        J(b, "true");
    else
        J(b, "false");
    if (c->res[0]) {
        J(b, ",\"resources\":[");
        km_gb_str(b, c->res);
        km_gb_ch(b, ']');
    }
    J(b, ",\"eventType\":\"");
    if (c->login)
        J(b, "AwsConsoleSignIn");
    else
        J(b, "AwsApiCall");
    J(b, "\",\"managementEvent\":true,\"recipientAccountId\":\"");
    km_gb_str(b, acct);
    km_gb_ch(b, '"');
    if (c->shared[0]) {
        J(b, ",\"sharedEventID\":\"");
        km_gb_str(b, c->shared);
        km_gb_ch(b, '"');
    }
    J(b, ",\"eventCategory\":\"Management\",\"tlsDetails\":{\"tlsVersion\":\"TLSv1.3\","
         "\"cipherSuite\":\"TLS_AES_128_GCM_SHA256\",\"clientProvidedHostHeader\":\"");
    km_gb_str(b, c->host);
    J(b, "\"}}");
    struct km_gen_plant *p = new_plant(S);
    if (!p)
        return KM_ENOMEM;
    p->t = c->t;
    p->scen = (uint8_t)c->scen;
    p->prov = KM_GEN_PROV_AWS;
    p->kind = KM_GEN_PK_AWS;
    p->acct = c->acct;
    p->region = c->region;
    p->text = (uint32_t)S->aws_n;
    p->len = (uint32_t)(bb.n - S->aws_n);
    S->aws_n = bb.n;
    S->sc[c->scen].n[KM_GEN_PROV_AWS]++;
    if (!c->benign) {
        km_gen_scen_time(w, c->scen, c->t);
        km_gen_scen_ent(w, c->scen, KM_GEN_E_EVENTS, "%s", eid);
        km_gen_scen_ent(w, c->scen, KM_GEN_E_ACCOUNTS, "%s", acct);
    }
    memcpy(S->last_eid, eid, sizeof eid);
    return KM_OK;
}

/* Starts a record: time, account, region, service. */
static void ct_begin(struct sc_ct *c, const struct km_gen_world *w, int scen, int64_t t,
                     uint32_t acct, int region, const char *svc, const char *name)
{
    memset(c, 0, sizeof *c);
    c->scen = scen;
    c->t = t;
    c->acct = (uint8_t)acct;
    c->region = (uint8_t)region;
    c->name = name;
    km_rng_init(&c->r, w->seed ^ 0x5ce7a210ull, ((uint64_t)scen << 48) ^ (uint64_t)SC(w)->npl);
    static const struct {
        const char *svc, *source, *ver;
        int global;             /* 1: <svc>.amazonaws.com, 2: signin.aws.amazon.com */
    } m[] = {
        {"sts", "sts.amazonaws.com", "1.08", 0},
        {"iam", "iam.amazonaws.com", "1.09", 1},
        {"ec2", "ec2.amazonaws.com", "1.10", 0},
        {"s3", "s3.amazonaws.com", "1.10", 3},
        {"cloudtrail", "cloudtrail.amazonaws.com", "1.11", 0},
        {"guardduty", "guardduty.amazonaws.com", "1.09", 0},
        {"secretsmanager", "secretsmanager.amazonaws.com", "1.10", 0},
        {"lambda", "lambda.amazonaws.com", "1.08", 0},
        {"rds", "rds.amazonaws.com", "1.09", 0},
        {"organizations", "organizations.amazonaws.com", "1.09", 4},
        {"ssm", "ssm.amazonaws.com", "1.10", 0},
        {"signin", "signin.amazonaws.com", "1.09", 2},
    };
    for (size_t i = 0; i < KM_ARRAY_LEN(m); i++) {
        if (strcmp(m[i].svc, svc) != 0)
            continue;
        c->source = m[i].source;
        c->ver = m[i].ver;
        char *h = c->hostbuf;
        switch (m[i].global) {
        case 1: snprintf(h, sizeof c->hostbuf, "%s.amazonaws.com", svc); break;
        case 2: snprintf(h, sizeof c->hostbuf, "signin.aws.amazon.com"); break;
        case 4: snprintf(h, sizeof c->hostbuf, "organizations.us-east-1.amazonaws.com"); break;
        default:
            snprintf(h, sizeof c->hostbuf, "%s.%s.amazonaws.com", svc, km_gen_regions[region]);
            break;
        }
        c->host = h;
        return;
    }
}

/* ---- identities in CloudTrail records ------------------------------------------- */

/* A role session a scenario uses. */
struct sc_sess {
    uint32_t acct;
    char role[96];              /* role name */
    char role_id[24];           /* AROA... of the role */
    char issuer_arn[220];       /* the role's ARN */
    char name[72];              /* session name */
    char key[24];               /* ASIA... */
    int64_t created;
    char source_id[72];         /* sourceIdentity, "" if none */
};

static void asia_key(char out[24], struct km_rng *r)
{
    memcpy(out, "ASIA", 4);
    km_gen_rand_str(out + 4, r, KM_GEN_B32, 16);
}

/* Person p's IAM Identity Center session in account a (their actor there). */
static int sess_sso(const struct km_gen_world *w, struct sc_sess *s, uint32_t a, uint32_t p,
                    int64_t created, struct km_rng *r)
{
    const struct km_gen_actor *x = sso_actor(w, a, p);
    if (!x)
        return -1;
    memset(s, 0, sizeof *s);
    s->acct = a;
    snprintf(s->role, sizeof s->role, "%s", x->name);
    snprintf(s->role_id, sizeof s->role_id, "%s", x->principal);
    snprintf(s->issuer_arn, sizeof s->issuer_arn, "%s", x->issuer_arn);
    snprintf(s->name, sizeof s->name, "%s", w->persons[p].email);
    asia_key(s->key, r);
    s->created = created;
    return 0;
}

/* A session of role `role` of account a (role id from the world when the
 * role is an actor's, else drawn from the seed). */
static void sess_role(const struct km_gen_world *w, struct sc_sess *s, uint32_t a,
                      const char *role, const char *role_id, const char *name, int64_t created,
                      const char *source_id, struct km_rng *r)
{
    memset(s, 0, sizeof *s);
    s->acct = a;
    snprintf(s->role, sizeof s->role, "%s", role);
    if (role_id) {
        snprintf(s->role_id, sizeof s->role_id, "%s", role_id);
    } else {
        struct km_rng rr;
        km_rng_init(&rr, w->seed ^ 0x201e, km_rng_hash2(a, (uint64_t)role[0] * 7919 + strlen(role)));
        memcpy(s->role_id, "AROA", 4);
        km_gen_rand_str(s->role_id + 4, &rr, KM_GEN_UPNUM, 17);
    }
    snprintf(s->issuer_arn, sizeof s->issuer_arn, "arn:aws:iam::%s:role/%s", w->accounts[a].id,
             role);
    snprintf(s->name, sizeof s->name, "%s", name);
    asia_key(s->key, r);
    s->created = created;
    if (source_id)
        snprintf(s->source_id, sizeof s->source_id, "%s", source_id);
}

/* The assumed-role ARN of a session. */
static void sess_arn(const struct km_gen_world *w, const struct sc_sess *s, char *out, size_t n)
{
    snprintf(out, n, "arn:aws:sts::%s:assumed-role/%s/%s", w->accounts[s->acct].id, s->role,
             s->name);
}

static void ident_sess(const struct km_gen_world *w, struct sc_ct *c, const struct sc_sess *s)
{
    const char *acct = w->accounts[s->acct].id;
    sess_arn(w, s, c->arn, sizeof c->arn);
    struct km_gb bb = {c->ident, 0, sizeof c->ident - 1}, *b = &bb;
    J(b, "{\"type\":\"AssumedRole\",\"principalId\":\"");
    km_gb_str(b, s->role_id);
    km_gb_ch(b, ':');
    km_gb_str(b, s->name);
    J(b, "\",\"arn\":\"");
    km_gb_str(b, c->arn);
    J(b, "\",\"accountId\":\"");
    km_gb_str(b, acct);
    J(b, "\",\"accessKeyId\":\"");
    km_gb_str(b, s->key);
    J(b, "\",\"sessionContext\":{\"sessionIssuer\":{\"type\":\"Role\",\"principalId\":\"");
    km_gb_str(b, s->role_id);
    J(b, "\",\"arn\":\"");
    km_gb_str(b, s->issuer_arn);
    J(b, "\",\"accountId\":\"");
    km_gb_str(b, acct);
    J(b, "\",\"userName\":\"");
    km_gb_str(b, s->role);
    J(b, "\"},\"webIdFederationData\":{},\"attributes\":{\"creationDate\":\"");
    km_gb_iso(b, s->created);
    J(b, "\",\"mfaAuthenticated\":\"false\"}");
    if (s->source_id[0]) {
        J(b, ",\"sourceIdentity\":\"");
        km_gb_str(b, s->source_id);
        km_gb_ch(b, '"');
    }
    J(b, "}}");
    c->ident[bb.n] = 0;
}

/* An IAM user calling with its long-term key. */
static void ident_user(const struct km_gen_world *w, struct sc_ct *c, uint32_t a, const char *name,
                       const char *principal, const char *key)
{
    snprintf(c->arn, sizeof c->arn, "arn:aws:iam::%s:user/%s", w->accounts[a].id, name);
    snprintf(c->ident, sizeof c->ident,
             "{\"type\":\"IAMUser\",\"principalId\":\"%s\",\"arn\":\"%s\",\"accountId\":\"%s\","
             "\"accessKeyId\":\"%s\",\"userName\":\"%s\"}",
             principal, c->arn, w->accounts[a].id, key, name);
}

/* The role's account's copy of a cross-account AssumeRole. */
static void ident_account(struct sc_ct *c, const char *principal_id, const char *account)
{
    snprintf(c->ident, sizeof c->ident,
             "{\"type\":\"AWSAccount\",\"principalId\":\"%s\",\"accountId\":\"%s\"}", principal_id,
             account);
}

/* The principal id of IAM user `name` of account a, or NULL. */
static const char *user_principal(const struct km_gen_world *w, uint32_t a, const char *name)
{
    const struct km_gen_account *ac = &w->accounts[a];
    for (uint32_t k = 0; k < ac->nactors; k++) {
        const struct km_gen_actor *x = &w->actors[ac->first_actor + k];
        if ((x->kind == KM_GEN_K_IAMHUMAN || x->kind == KM_GEN_K_IAMMACHINE) &&
            strcmp(x->name, name) == 0)
            return x->principal;
        if (x->kind == KM_GEN_K_FEDERATED && strcmp(name, "federation-broker") == 0)
            return x->principal;
    }
    return NULL;
}

/* "User: ARN is not authorized to perform: ACTION on resource: RES because no
 * identity-based policy allows the ACTION action" (the services' own words). */
static void ct_denied(struct sc_ct *c, const char *code, const char *action, const char *res,
                      int ec2)
{
    c->ecode = code;
    if (ec2)
        snprintf(c->emsg, sizeof c->emsg,
                 "You are not authorized to perform this operation. User: %s is not authorized to "
                 "perform: %s because no identity-based policy allows the %s action",
                 c->arn, action, action);
    else
        snprintf(c->emsg, sizeof c->emsg,
                 "User: %s is not authorized to perform: %s on resource: %s because no "
                 "identity-based policy allows the %s action",
                 c->arn, action, res, action);
}

static void ct_rp(struct sc_ct *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void ct_rp(struct sc_ct *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->rp, sizeof c->rp, fmt, ap);
    va_end(ap);
    c->has_rp = 1;
}

static void ct_re(struct sc_ct *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void ct_re(struct sc_ct *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->re, sizeof c->re, fmt, ap);
    va_end(ap);
    c->has_re = 1;
}

static void ct_res(struct sc_ct *c, const char *account, const char *type, const char *arn)
{
    size_t n = strlen(c->res);
    snprintf(c->res + n, sizeof c->res - n, "%s{\"accountId\":\"%s\",\"type\":\"%s\",\"ARN\":\"%s\"}",
             n ? "," : "", account, type, arn);
}

/* "ASIA…" credentials of an STS response, valid for an hour. */
static void sts_creds(char *out, size_t n, const char *key, int64_t t, struct km_rng *r)
{
    char tok[460], exp[40];
    km_gen_rand_str(tok, r, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
                    380 + (int)km_rng_below(r, 60));
    struct km_gb eb = {exp, 0, sizeof exp};
    km_gb_awsdate(&eb, t + 3600);
    exp[eb.n] = 0;
    snprintf(out, n,
             "\"credentials\":{\"accessKeyId\":\"%s\",\"sessionToken\":\"IQoJb3JpZ2luX2VjE%s=\","
             "\"expiration\":\"%s\"}",
             key, tok, exp);
}

static void awsdate(char out[40], int64_t t)
{
    struct km_gb b = {out, 0, 40};
    km_gb_awsdate(&b, t);
    out[b.n] = 0;
}

/* ---- casting: victims, addresses, accounts ------------------------------------ */

struct sc_build {
    struct km_gen_world *w;
    struct km_gen_scen *S;
    unsigned prov;
    uint8_t used[KM_GEN_MAX_PERSONS];
    uint8_t victim[KM_GEN_MAX_PERSONS]; /* persons whose identities a scenario uses */
    uint8_t acct_used[KM_GEN_MAX_ACCOUNTS];
    uint16_t responder;         /* who restores logging after a planted StopLogging */
    uint8_t next_sub, next_proj; /* subscriptions and projects in turn: apart where they can be */
    const struct km_gen_actor *leaked;  /* the IAM user whose key leaks */
    const char *grantee;        /* privilege: the IAM user made admin */
};

#define HAS(B, p) (((B)->prov >> (p)) & 1u)

static void cast_ip(struct sc_build *B, int scen, int k, int net, struct km_rng *r)
{
    struct km_gen_sc *c = &B->S->sc[scen];
    const struct sc_net *n = &sc_nets[net];
    c->ip[k] = ((uint32_t)n->a << 24) | ((uint32_t)n->b << 16) | (km_rng_below(r, 256) << 8) |
               (2 + km_rng_below(r, 250));
    c->place[k] = &n->place;
    if (c->nip < k + 1)
        c->nip = (uint8_t)(k + 1);
}

/* An AWS account for a scenario: one no other scenario uses (not the
 * story's first account) when there is one, else any but `not`. */
static uint8_t pick_acct(struct sc_build *B, struct km_rng *r, int not)
{
    uint32_t n = B->w->naccounts, at = km_rng_below(r, n);
    for (int pass = 0; pass < 3; pass++)
        for (uint32_t k = 0; k < n; k++) {
            uint32_t a = (at + k) % n;
            int ok = pass == 0 ? !B->acct_used[a] && a != 0 && (int)a != not
                     : pass == 1 ? !B->acct_used[a] && (int)a != not
                     : (int)a != not || n == 1;
            if (ok) {
                B->acct_used[a] = 1;
                return (uint8_t)a;
            }
        }
    return 0;
}

/* An account in which person p has an IAM Identity Center role, preferring
 * `want`. */
static uint8_t sso_acct(const struct km_gen_world *w, uint32_t p, uint32_t want)
{
    if (want < w->naccounts && sso_actor(w, want, p))
        return (uint8_t)want;
    for (uint32_t a = 0; a < w->naccounts; a++)
        if (sso_actor(w, a, p))
            return (uint8_t)a;
    return 0;
}

/* An account where person p's IAM Identity Center role is AdministratorAccess,
 * preferring `want`; else any account where they have a role. */
static uint8_t admin_acct(const struct km_gen_world *w, uint32_t p, uint32_t want)
{
    const struct km_gen_actor *x = want < w->naccounts ? sso_actor(w, want, p) : NULL;
    if (x && x->sso_set == 0)
        return (uint8_t)want;
    for (uint32_t a = 0; a < w->naccounts; a++)
        if ((x = sso_actor(w, a, p)) && x->sso_set == 0)
            return (uint8_t)a;
    return sso_acct(w, p, want);
}

static void cast(struct sc_build *B, struct km_rng *r)
{
    struct km_gen_world *w = B->w;
    struct km_gen_scen *S = B->S;
    uint8_t *u = B->used;
    u[w->story_person] = 1;
    B->next_sub = (uint8_t)km_rng_below(r, 4);
    B->next_proj = (uint8_t)km_rng_below(r, 4);
#define ON(s) (S->sc[s].on)
    /* the accounts to silence first, so that they are nobody else's */
    if (ON(KM_GEN_SCEN_TAMPERING))
        S->sc[KM_GEN_SCEN_TAMPERING].acct[0] = pick_acct(B, r, -1);
    if (ON(KM_GEN_SCEN_INCIDENT))
        S->sc[KM_GEN_SCEN_INCIDENT].acct[0] =
            pick_acct(B, r, ON(KM_GEN_SCEN_TAMPERING) ? S->sc[KM_GEN_SCEN_TAMPERING].acct[0] : -1);
    if (ON(KM_GEN_SCEN_LEAKEDKEY)) {
        struct km_gen_sc *c = &S->sc[KM_GEN_SCEN_LEAKEDKEY];
        /* a legacy IAM user of a person (not mallory.ops), else svc-backup */
        uint32_t n = 0;
        for (uint32_t i = 0; i < w->nactors; i++)
            n += w->actors[i].kind == KM_GEN_K_IAMHUMAN && i != w->story_actor &&
                 !u[w->actors[i].person];
        if (n) {
            uint32_t k = km_rng_below(r, n);
            for (uint32_t i = 0; i < w->nactors; i++)
                if (w->actors[i].kind == KM_GEN_K_IAMHUMAN && i != w->story_actor &&
                    !u[w->actors[i].person] && k-- == 0) {
                    B->leaked = &w->actors[i];
                    break;
                }
            c->v[c->nv++] = B->leaked->person;
            u[B->leaked->person] = 1;
        } else {
            B->leaked = named_actor(w, 0, KM_GEN_K_IAMMACHINE, "svc-backup");
        }
        c->acct[0] = B->leaked ? B->leaked->account : 0;
        cast_ip(B, KM_GEN_SCEN_LEAKEDKEY, 0, NET_NG, r);
    }
    if (ON(KM_GEN_SCEN_LATERAL)) {
        struct km_gen_sc *c = &S->sc[KM_GEN_SCEN_LATERAL];
        c->v[c->nv++] = pick_person(w, r, u, P_ADMIN, P_ADMINOPS);
        c->v[c->nv++] = pick_person(w, r, u, P_AZUSER, P_ANY);
        c->acct[0] = admin_acct(w, c->v[0], pick_acct(B, r, -1));
        c->acct[1] = w->naccounts > 1 ? pick_acct(B, r, c->acct[0]) : c->acct[0];
        c->acct[2] = c->acct[0];
        for (uint32_t k = 0, at = km_rng_below(r, w->naccounts); k < w->naccounts; k++) {
            uint32_t a = (at + k) % w->naccounts;
            if (a != c->acct[0] && a != c->acct[1]) {
                c->acct[2] = (uint8_t)a;
                break;
            }
        }
        c->sub[0] = B->next_sub++;
        c->sub[1] = B->next_sub++;
        c->proj = B->next_proj++;
        cast_ip(B, KM_GEN_SCEN_LATERAL, 0, NET_RU, r);
    }
    if (ON(KM_GEN_SCEN_PERSISTENCE)) {
        struct km_gen_sc *c = &S->sc[KM_GEN_SCEN_PERSISTENCE];
        c->v[c->nv++] = pick_person(w, r, u, P_ADMINOPS, P_ANY);
        c->acct[0] = admin_acct(w, c->v[0], pick_acct(B, r, -1));
        c->sub[0] = B->next_sub++;
        c->proj = B->next_proj++;
        cast_ip(B, KM_GEN_SCEN_PERSISTENCE, 0, NET_TR, r);
    }
    if (ON(KM_GEN_SCEN_PRIVILEGE)) {
        struct km_gen_sc *c = &S->sc[KM_GEN_SCEN_PRIVILEGE];
        c->v[c->nv++] = pick_person(w, r, u, P_ADMIN, P_ADMINOPS);
        c->v[c->nv++] = pick_person(w, r, u, P_AZUSER, P_ANY);
        c->acct[0] = admin_acct(w, c->v[0], pick_acct(B, r, -1));
        /* the IAM user made administrator: a service user of that account */
        static const char *const mach[] = {"grafana-cloudwatch", "jenkins-legacy", "svc-backup"};
        B->grantee = NULL;
        for (int k = 0; k < 3 && !B->grantee; k++)
            if (named_actor(w, c->acct[0], KM_GEN_K_IAMMACHINE, mach[k]))
                B->grantee = mach[k];
        if (!B->grantee)
            B->grantee = w->accounts[c->acct[0]].nusers ? w->accounts[c->acct[0]].users[0]
                                                        : "federation-broker";
        c->sub[0] = B->next_sub++;
        c->proj = B->next_proj++;
        cast_ip(B, KM_GEN_SCEN_PRIVILEGE, 0, NET_EG, r);
    }
    /* the silences' victims, then someone to restore logging: nobody's victim */
    if (ON(KM_GEN_SCEN_INCIDENT)) {
        struct km_gen_sc *c = &S->sc[KM_GEN_SCEN_INCIDENT];
        c->v[c->nv++] = pick_person(w, r, u, P_ADMINOPS, P_ANY);
        c->acct[0] = admin_acct(w, c->v[0], c->acct[0]);
        c->sub[0] = B->next_sub++;
        c->proj = B->next_proj++;
        cast_ip(B, KM_GEN_SCEN_INCIDENT, 0, NET_CN, r);
    }
    if (ON(KM_GEN_SCEN_TAMPERING)) {
        struct km_gen_sc *c = &S->sc[KM_GEN_SCEN_TAMPERING];
        c->v[c->nv++] = pick_person(w, r, u, P_ADMINOPS, P_ANY);
        c->acct[0] = admin_acct(w, c->v[0], c->acct[0]);
        c->sub[0] = B->next_sub++;
        c->proj = B->next_proj++;
        cast_ip(B, KM_GEN_SCEN_TAMPERING, 0, NET_KZ, r);
    }
    B->responder = pick_person(w, r, u, P_ADMINOPS, P_ANY);
    if (ON(KM_GEN_SCEN_TRAVEL)) {
        struct km_gen_sc *c = &S->sc[KM_GEN_SCEN_TRAVEL];
        c->v[c->nv++] = pick_person(w, r, u, HAS(B, KM_GEN_PROV_GCP) ? P_GCP : P_ANY, P_ANY);
        c->acct[0] = sso_acct(w, c->v[0], c->v[0] % w->naccounts);
        c->proj = 0;
        /* the far side of the world from their office */
        const struct km_gen_place *home =
            km_gen_place_of(w->offices[w->persons[c->v[0]].office].city);
        const struct km_gen_place *kr = &sc_nets[NET_KR].place, *ar = &sc_nets[NET_AR].place;
        int net = dist_km(home->lat, home->lon, kr->lat, kr->lon) >=
                          dist_km(home->lat, home->lon, ar->lat, ar->lon)
                      ? NET_KR
                      : NET_AR;
        cast_ip(B, KM_GEN_SCEN_TRAVEL, 0, net, r);
    }
    if (ON(KM_GEN_SCEN_EXPOSURE)) {
        struct km_gen_sc *c = &S->sc[KM_GEN_SCEN_EXPOSURE];
        c->v[c->nv++] = pick_person(w, r, u, P_DATA, P_GCP);
        c->acct[0] = sso_acct(w, c->v[0], c->v[0] % w->naccounts);
        c->proj = B->next_proj++;
        cast_ip(B, KM_GEN_SCEN_EXPOSURE, 0, NET_MX, r);
    }
    if (ON(KM_GEN_SCEN_BRUTEFORCE)) {
        struct km_gen_sc *c = &S->sc[KM_GEN_SCEN_BRUTEFORCE];
        c->v[c->nv++] = pick_person(w, r, u, P_ANY, P_ANY);
        cast_ip(B, KM_GEN_SCEN_BRUTEFORCE, 0, NET_ID1, r);
        cast_ip(B, KM_GEN_SCEN_BRUTEFORCE, 1, NET_ID2, r);
        cast_ip(B, KM_GEN_SCEN_BRUTEFORCE, 2, NET_ID3, r);
    }
    if (ON(KM_GEN_SCEN_SPRAY)) {
        struct km_gen_sc *c = &S->sc[KM_GEN_SCEN_SPRAY];
        /* 16 targets nobody else uses where possible; the last one falls */
        uint32_t at = km_rng_below(r, w->npersons);
        for (int pass = 0; pass < 2 && c->ntg < 16; pass++)
            for (uint32_t k = 0; k < w->npersons && c->ntg < 16; k++) {
                uint32_t p = (at + k) % w->npersons;
                if (p == w->story_person || (pass == 0 && u[p]))
                    continue;
                int dup = 0;
                for (int j = 0; j < c->ntg; j++)
                    dup |= c->tg[j] == p;
                if (!dup) {
                    c->tg[c->ntg++] = (uint16_t)p;
                    u[p] = 1;
                }
            }
        c->v[c->nv++] = c->tg[c->ntg - 1];
        c->acct[0] = pick_acct(B, r, -1);
        cast_ip(B, KM_GEN_SCEN_SPRAY, 0, NET_VN, r);
    }
#undef ON
}

/* ---- the scenarios' records ---------------------------------------------------- */

#define UA_SPRAY_AZ "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36"
#define UA_SPRAY_AWS "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.6099.109 Safari/537.36"
#define UA_BRUTE "BAV2ROPC"
#define UA_TRAVEL "aws-cli/2.22.4 Python/3.12.6 Windows/10 exe/AMD64 prompt/off command/"
#define UA_TRAVEL_GC "gl-python/3.12.7 grpc/1.66.1 gax/2.21.0 gapic/3.26.0 gccl/3.26.0,gzip(gfe)"
#define UA_LATERAL "aws-cli/2.17.20 Python/3.11.9 Darwin/23.5.0 exe/x86_64 prompt/off command/"
#define UA_LATERAL_GC "google-cloud-sdk gcloud/472.0.0 command/gcloud.storage.ls invocation-id/3f8a0c2e9b7d41c6a5e2f0d9c8b7a615 environment/None environment-version/None client-os/MACOSX client-os-ver/23.5.0 client-pltf-arch/x86_64 interactive/True from-script/False python/3.11.9 term/xterm-256color,gzip(gfe)"
#define UA_LEAKED "aws-cli/1.32.69 Python/3.11.9 Linux/6.6.15-amd64 botocore/1.34.69"
#define UA_PERSIST "Boto3/1.34.50 md/Botocore#1.34.50 ua/2.0 os/linux#6.5.0-kali3-amd64 md/arch#x86_64 lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.50"
#define UA_PERSIST_WEB "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/121.0.0.0 Safari/537.36"
#define UA_PERSIST_GC "google-cloud-sdk gcloud/466.0.0 command/gcloud.iam.service-accounts.keys.create invocation-id/b14e6d0f2a9c4e3d8f7a6b5c4d3e2f10 environment/None environment-version/None client-os/LINUX client-os-ver/6.5.0 client-pltf-arch/x86_64 interactive/True from-script/False python/3.11.8 term/xterm-256color,gzip(gfe)"
#define UA_KEYUSE_GC "gcloud-python/3.4.1 gl-python/3.11.8 grpc/1.62.0 gax/2.17.1 gccl/2.14.1,gzip(gfe)"
#define UA_PRIV "aws-cli/2.13.25 Python/3.11.5 Linux/6.1.0-13-amd64 exe/x86_64.debian.12 prompt/off command/"
#define UA_PRIV_GC "google-cloud-sdk gcloud/458.0.1 command/gcloud.projects.add-iam-policy-binding invocation-id/7c1d9e0f3b2a4c5d6e7f8091a2b3c4d5 environment/None environment-version/None client-os/LINUX client-os-ver/6.1.0 client-pltf-arch/x86_64 interactive/True from-script/False python/3.11.5 term/xterm-256color,gzip(gfe)"
#define UA_TAMPER "aws-cli/2.15.57 Python/3.11.8 Windows/10 exe/AMD64 prompt/off command/"
#define UA_TAMPER_GC "google-cloud-sdk gcloud/470.0.0 command/gcloud.logging.sinks.delete invocation-id/0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b environment/None environment-version/None client-os/WINDOWS client-os-ver/10.0.19045 client-pltf-arch/x86_64 interactive/True from-script/False python/3.11.8 term/,gzip(gfe)"
#define UA_EXPOSE "aws-cli/2.18.2 Python/3.12.6 Linux/6.8.0-45-generic exe/x86_64.ubuntu.24 prompt/off command/"
#define UA_EXPOSE_GC "google-cloud-sdk gcloud/489.0.0 command/gcloud.storage.buckets.add-iam-policy-binding invocation-id/5a4b3c2d1e0f49a8b7c6d5e4f3a2b1c0 environment/None environment-version/None client-os/LINUX client-os-ver/6.8.0 client-pltf-arch/x86_64 interactive/True from-script/False python/3.12.6 term/xterm-256color,gzip(gfe)"
#define UA_INCIDENT "aws-cli/2.16.1 Python/3.11.8 Linux/5.15.0-1057-azure exe/x86_64.ubuntu.22 prompt/off command/"
#define UA_INCIDENT_WEB "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36 Edg/122.0.0.0"
#define UA_INCIDENT_GC "google-cloud-sdk gcloud/474.0.0 command/gcloud.logging.sinks.delete invocation-id/9f8e7d6c5b4a43219f8e7d6c5b4a3210 environment/None environment-version/None client-os/LINUX client-os-ver/5.15.0 client-pltf-arch/x86_64 interactive/True from-script/False python/3.11.8 term/xterm-256color,gzip(gfe)"

/* An Azure or Google Cloud plant (its provider renders it); NULL when the
 * provider is not chosen. */
static struct km_gen_plant *xplant(struct sc_build *B, int scen, int prov, int kind, int64_t t,
                                   uint16_t who, uint8_t ip)
{
    if (!HAS(B, prov))
        return NULL;
    struct km_gen_plant *p = new_plant(B->S);
    if (!p)
        return NULL;
    p->t = t;
    p->scen = (uint8_t)scen;
    p->prov = (uint8_t)prov;
    p->kind = (uint8_t)kind;
    p->who = who;
    p->ip = ip;
    p->seed = km_rng_hash2(B->w->seed ^ 0x91a27, ((uint64_t)scen << 32) ^ B->S->npl);
    B->S->sc[scen].n[prov]++;
    km_gen_scen_time(B->w, scen, t);
    return p;
}

/* A CloudTrail record by session s from the scenario's address 0. */
static void ct_by(struct sc_build *B, struct sc_ct *c, int scen, int64_t t, const struct sc_sess *s,
                  int region, const char *svc, const char *name, const char *ua, const char *cmd)
{
    ct_begin(c, B->w, scen, t, s->acct, region, svc, name);
    ident_sess(B->w, c, s);
    struct km_gb ib = {c->ip, 0, sizeof c->ip};
    km_gb_ip4(&ib, B->S->sc[scen].ip[0]);
    c->ip[ib.n] = 0;
    snprintf(c->uabuf, sizeof c->uabuf, "%s%s", ua, cmd ? cmd : "");
    c->ua = c->uabuf;
}

/* A person's own CLI user agent for command cmd ("svc.command"). */
static void own_cli_ua(const struct km_gen_world *w, uint32_t p, const char *cmd, char *out,
                       size_t n)
{
    size_t o = 0;
    for (const char *s = w->persons[p].ua_cli; *s && o + 1 < n; s++) {
        if (*s == '\x01') {
            for (const char *q = cmd; *q && o + 1 < n; q++)
                out[o++] = *q;
        } else {
            out[o++] = *s;
        }
    }
    out[o] = 0;
}

static void add_person(struct sc_build *B, int scen, uint32_t p)
{
    km_gen_scen_ent(B->w, scen, KM_GEN_E_PERSONS, "%s", B->w->persons[p].email);
}

/* The scenario's addresses and their countries. */
static void add_ips(struct sc_build *B, int scen)
{
    struct km_gen_sc *c = &B->S->sc[scen];
    for (int k = 0; k < c->nip; k++) {
        char t[20];
        struct km_gb b = {t, 0, sizeof t};
        km_gb_ip4(&b, c->ip[k]);
        t[b.n] = 0;
        km_gen_scen_ent(B->w, scen, KM_GEN_E_IPS, "%s", t);
        km_gen_scen_ent(B->w, scen, KM_GEN_E_COUNTRIES, "%s", c->place[k]->country);
    }
}

static void add_sess(struct sc_build *B, int scen, const struct sc_sess *s)
{
    char arn[300];
    sess_arn(B->w, s, arn, sizeof arn);
    km_gen_scen_ent(B->w, scen, KM_GEN_E_IDENTITIES, "%s", arn);
    km_gen_scen_ent(B->w, scen, KM_GEN_E_KEYS, "%s", s->key);
}

/* A failed console sign-in to account a as IAM user `name` (NULL: a name
 * that does not exist, which CloudTrail hides). */
static int spray_login(struct sc_build *B, int64_t t, uint32_t a, const char *name)
{
    const int S_ = KM_GEN_SCEN_SPRAY;
    struct km_gen_world *w = B->w;
    const struct km_gen_account *ac = &w->accounts[a];
    struct km_gen_sc *c = &B->S->sc[S_];
    struct sc_ct ct;
    ct_begin(&ct, w, S_, t, a, 0, "signin", "ConsoleLogin");
    if (name) {
        const char *pr = user_principal(w, a, name);
        snprintf(ct.ident, sizeof ct.ident,
                 "{\"type\":\"IAMUser\",\"principalId\":\"%s\",\"accountId\":\"%s\","
                 "\"accessKeyId\":\"\",\"userName\":\"%s\"}",
                 pr ? pr : "", ac->id, name);
        km_gen_scen_ent(w, S_, KM_GEN_E_IDENTITIES, "%s", name);
    } else {
        snprintf(ct.ident, sizeof ct.ident,
                 "{\"type\":\"IAMUser\",\"accountId\":\"%s\",\"accessKeyId\":\"\","
                 "\"userName\":\"HIDDEN_DUE_TO_SECURITY_REASONS\"}",
                 ac->id);
    }
    struct km_gb ib = {ct.ip, 0, sizeof ct.ip};
    km_gb_ip4(&ib, c->ip[0]);
    ct.ip[ib.n] = 0;
    ct.ua = UA_SPRAY_AWS;
    ct.login = 1;
    snprintf(ct.emsg, sizeof ct.emsg, "Failed authentication");
    ct_re(&ct, "{\"ConsoleLogin\":\"Failure\"}");
    snprintf(ct.aed, sizeof ct.aed,
             "\"LoginTo\":\"https://console.aws.amazon.com/console/home?hashArgs=%%23&"
             "isauthcode=true&state=hashArgsFromTB_%s_%016llx\",\"MobileVersion\":\"No\","
             "\"MFAUsed\":\"No\"",
             km_gen_regions[ac->home], (unsigned long long)km_rng_next(&ct.r));
    return ct_emit(w, &ct);
}

static int plan_spray(struct sc_build *B, int64_t t0, struct km_rng *r)
{
    const int S_ = KM_GEN_SCEN_SPRAY;
    struct km_gen_world *w = B->w;
    struct km_gen_sc *c = &B->S->sc[S_];
    int64_t t = t0;
    add_ips(B, S_);
    /* round one: every target once, a few seconds apart */
    if (HAS(B, KM_GEN_PROV_AZURE))
        for (int k = 0; k < c->ntg; k++) {
            struct km_gen_plant *p = xplant(B, S_, KM_GEN_PROV_AZURE, KM_GEN_PK_AZ_SIGNIN, t,
                                            c->tg[k], 0);
            if (!p)
                return KM_ENOMEM;
            p->res = KM_GEN_AZR_BADPW;
            p->app = KM_GEN_AZA_AADPS;
            p->ua = UA_SPRAY_AZ;
            p->corr = 1;
            add_person(B, S_, c->tg[k]);
            t += 9 + km_rng_below(r, 14);
        }
    t += 40 + km_rng_below(r, 20);
    /* the AWS console: the account's IAM users, then guessed names */
    if (HAS(B, KM_GEN_PROV_AWS)) {
        const struct km_gen_account *ac = &w->accounts[c->acct[0]];
        for (int k = 0; k < 12; k++) {
            const char *name = k < ac->nusers ? ac->users[k] : NULL;
            /* a person's IAM user whose person another scenario uses: a guessed
             * name instead, so that scenarios share no identity */
            const struct km_gen_actor *x =
                name ? named_actor(w, c->acct[0], KM_GEN_K_IAMHUMAN, name) : NULL;
            if (x && strcmp(x->name, name) == 0 && B->victim[x->person])
                name = NULL;
            int rc = spray_login(B, t, c->acct[0], name);
            if (rc)
                return rc;
            t += 4 + km_rng_below(r, 9);
        }
    }
    t += 30;
    /* Google: the targets with Google Cloud roles first */
    if (HAS(B, KM_GEN_PROV_GCP)) {
        int done = 0;
        for (int pass = 0; pass < 2 && done < 6; pass++)
            for (int k = 0; k < c->ntg && done < 6; k++) {
                int g = (km_gen_person_clouds(w, c->tg[k]) & KM_GEN_C_GCP) != 0;
                if (g != (pass == 0))
                    continue;
                struct km_gen_plant *p = xplant(B, S_, KM_GEN_PROV_GCP, KM_GEN_PK_GC_LOGIN, t,
                                                c->tg[k], 0);
                if (!p)
                    return KM_ENOMEM;
                add_person(B, S_, c->tg[k]);
                km_gen_scen_ent(w, S_, KM_GEN_E_IDENTITIES, "%s", w->persons[c->tg[k]].email);
                done++;
                t += 5 + km_rng_below(r, 11);
            }
    }
    /* round two, after a pause: the last ten again, and the last one falls */
    if (t < t0 + 420)
        t = t0 + 420;
    t += km_rng_below(r, 60);
    if (HAS(B, KM_GEN_PROV_AZURE))
        for (int k = c->ntg - 10; k < c->ntg; k++) {
            struct km_gen_plant *p = xplant(B, S_, KM_GEN_PROV_AZURE, KM_GEN_PK_AZ_SIGNIN, t,
                                            c->tg[k], 0);
            if (!p)
                return KM_ENOMEM;
            p->res = k == c->ntg - 1 ? KM_GEN_AZR_OK_SF : KM_GEN_AZR_BADPW;
            p->app = KM_GEN_AZA_AADPS;
            p->ua = UA_SPRAY_AZ;
            p->corr = 2;
            t += 9 + km_rng_below(r, 14);
        }
    if (HAS(B, KM_GEN_PROV_AZURE))
        for (int k = 0; k < c->ntg; k++)
            km_gen_scen_ent(w, S_, KM_GEN_E_IDENTITIES, "%s", w->persons[c->tg[k]].email);
    if (HAS(B, KM_GEN_PROV_AZURE))
        snprintf(c->notes, sizeof c->notes,
                 "Entra ID: %d targets, 50126 each (one or two tries), then a single-factor success "
                 "as %s, the compromised identity; AWS console: 12 failed ConsoleLogin in account %s "
                 "(the account's IAM users by name, then guessed names CloudTrail logs as "
                 "HIDDEN_DUE_TO_SECURITY_REASONS); Google: 6 Workspace loginFailure",
                 c->ntg, w->persons[c->v[0]].email, w->accounts[c->acct[0]].id);
    else
        snprintf(c->notes, sizeof c->notes,
                 "no Entra ID part (azure not chosen): failures only, no compromised identity");
    return KM_OK;
}

static int plan_brute(struct sc_build *B, int64_t t0, struct km_rng *r)
{
    const int S_ = KM_GEN_SCEN_BRUTEFORCE;
    struct km_gen_sc *c = &B->S->sc[S_];
    uint16_t v = c->v[0];
    int64_t t = t0;
    add_ips(B, S_);
    add_person(B, S_, v);
    km_gen_scen_ent(B->w, S_, KM_GEN_E_IDENTITIES, "%s", B->w->persons[v].email);
    /* 36 failures from three addresses, Smart Lockout answering 50053 for a
     * while after each run of ten, then the password is right */
    for (int k = 0; k <= 36; k++) {
        struct km_gen_plant *p = xplant(B, S_, KM_GEN_PROV_AZURE, KM_GEN_PK_AZ_SIGNIN, t, v,
                                        (uint8_t)(k % 3));
        if (!p)
            return KM_ENOMEM;
        int run = k % 12;
        p->res = k == 36 ? KM_GEN_AZR_OK_SF : run >= 10 ? KM_GEN_AZR_LOCKED : KM_GEN_AZR_BADPW;
        p->app = KM_GEN_AZA_OFFICE;
        p->ua = UA_BRUTE;
        p->corr = (uint32_t)(10 + k);
        t += 28 + km_rng_below(r, 25);
    }
    snprintf(c->notes, sizeof c->notes,
             "36 failed sign-ins (50126, and 50053 while Smart Lockout holds the account) against "
             "%s from three addresses, then a single-factor success",
             B->w->persons[v].email);
    return KM_OK;
}

static int plan_travel(struct sc_build *B, int64_t t0, struct km_rng *r)
{
    const int S_ = KM_GEN_SCEN_TRAVEL;
    struct km_gen_world *w = B->w;
    struct km_gen_sc *c = &B->S->sc[S_];
    uint16_t v = c->v[0];
    uint32_t day = (uint32_t)((t0 - w->start) / 86400);
    add_ips(B, S_);
    add_person(B, S_, v);
    char own[64];
    struct km_gb ob = {own, 0, sizeof own};
    km_gen_person_ip(w, v, day, &ob);
    own[ob.n] = 0;
    km_gen_scen_ent(w, S_, KM_GEN_E_IPS, "%s", own);
    km_gen_scen_ent(w, S_, KM_GEN_E_COUNTRIES, "%s", own_country(w, v, day));
    struct km_gen_plant *p;
    /* at home: an Entra sign-in, an AWS call, a BigQuery job */
    if ((p = xplant(B, S_, KM_GEN_PROV_AZURE, KM_GEN_PK_AZ_SIGNIN, t0, v, KM_GEN_OWN_IP))) {
        p->res = KM_GEN_AZR_OK_CLAIM;
        p->app = KM_GEN_AZA_OFFICEHOME;
        p->corr = 1;
        km_gen_scen_ent(w, S_, KM_GEN_E_IDENTITIES, "%s", w->persons[v].email);
    }
    if (HAS(B, KM_GEN_PROV_AWS)) {
        struct sc_sess s;
        if (sess_sso(w, &s, c->acct[0], v, t0 + 170, r) == 0) {
            struct sc_ct ct;
            ct_begin(&ct, w, S_, t0 + 240, c->acct[0], 0, "s3", "ListBuckets");
            ident_sess(w, &ct, &s);
            snprintf(ct.ip, sizeof ct.ip, "%s", own);
            own_cli_ua(w, v, "s3api.list-buckets", ct.uabuf, sizeof ct.uabuf);
            ct.ua = ct.uabuf;
            ct.ro = 1;
            ct_rp(&ct, "{\"Host\":\"s3.us-east-1.amazonaws.com\"}");
            snprintf(ct.hostbuf, sizeof ct.hostbuf, "s3.us-east-1.amazonaws.com");
            add_sess(B, S_, &s);
            int rc = ct_emit(w, &ct);
            if (rc)
                return rc;
        }
    }
    if ((p = xplant(B, S_, KM_GEN_PROV_GCP, KM_GEN_PK_GC_BQ, t0 + 420, v, KM_GEN_OWN_IP))) {
        p->app = 0;
        p->acct = 0xff; /* the person's own project */
        km_gen_scen_ent(w, S_, KM_GEN_E_IDENTITIES, "%s", w->persons[v].email);
    }
    /* 38 minutes later, from the other side of the world (a stolen session) */
    int64_t ta = t0 + 38 * 60 + km_rng_below(r, 60);
    if ((p = xplant(B, S_, KM_GEN_PROV_AZURE, KM_GEN_PK_AZ_SIGNIN, ta, v, 0))) {
        p->res = KM_GEN_AZR_OK_CLAIM;
        p->app = KM_GEN_AZA_OFFICEHOME;
        p->corr = 2;
    }
    if (HAS(B, KM_GEN_PROV_AWS)) {
        struct sc_sess s;
        if (sess_sso(w, &s, c->acct[0], v, ta + 150, r) == 0) {
            static const char *const ops[3][3] = {{"sts", "GetCallerIdentity", "sts.get-caller-identity"},
                                                  {"s3", "ListBuckets", "s3api.list-buckets"},
                                                  {"ec2", "DescribeInstances", "ec2.describe-instances"}};
            int64_t t = ta + 180;
            for (int k = 0; k < 3; k++) {
                struct sc_ct ct;
                int region = k == 2 ? w->accounts[c->acct[0]].home : 0;
                ct_by(B, &ct, S_, t, &s, region, ops[k][0], ops[k][1], UA_TRAVEL, ops[k][2]);
                ct.ro = 1;
                if (k == 1) {
                    ct_rp(&ct, "{\"Host\":\"s3.us-east-1.amazonaws.com\"}");
                    snprintf(ct.hostbuf, sizeof ct.hostbuf, "s3.us-east-1.amazonaws.com");
                } else if (k == 2) {
                    ct_rp(&ct, "{\"instancesSet\":{},\"filterSet\":{}}");
                }
                add_sess(B, S_, &s);
                int rc = ct_emit(w, &ct);
                if (rc)
                    return rc;
                t += 20 + km_rng_below(r, 40);
            }
        }
    }
    for (int k = 0; k < 2; k++)
        if ((p = xplant(B, S_, KM_GEN_PROV_GCP, KM_GEN_PK_GC_BQ, ta + 480 + 50 * k, v, 0))) {
            p->app = (uint8_t)k;
            p->acct = 0xff;
            p->ua = UA_TRAVEL_GC;
        }
    snprintf(c->notes, sizeof c->notes,
             "%s signs in from their own address (%s), then 38 minutes later the same person's "
             "session is used from %s, %s",
             w->persons[v].email, own, c->place[0]->city, c->place[0]->country);
    return KM_OK;
}

/* sts:AssumeRole by session `by` of role `role` (id role_id) in account ta:
 * the caller's record, and the role account's copy when that is another
 * account. Fills *out with the new session. */
static int assume(struct sc_build *B, int scen, int64_t t, const struct sc_sess *by, uint32_t ta,
                  const char *role, const char *role_id, const char *session, const char *source_id,
                  const char *ua, struct sc_sess *out, struct km_rng *r)
{
    struct km_gen_world *w = B->w;
    sess_role(w, out, ta, role, role_id, session, t, source_id, r);
    char arn[300], creds[700], shared[37];
    snprintf(arn, sizeof arn, "arn:aws:iam::%s:role/%s", w->accounts[ta].id, role);
    sts_creds(creds, sizeof creds, out->key, t, r);
    sc_uuid(shared, r);
    for (int copy = 0; copy < 2; copy++) {
        if (copy && ta == by->acct)
            break;
        struct sc_ct ct;
        ct_by(B, &ct, scen, t, by, 0, "sts", "AssumeRole", ua, "sts.assume-role");
        if (copy) {
            ct.acct = (uint8_t)ta;
            char pid[120];
            snprintf(pid, sizeof pid, "%s:%s", by->role_id, by->name);
            ident_account(&ct, pid, w->accounts[by->acct].id);
        }
        ct.ro = 1;
        if (source_id && !by->source_id[0])
            ct_rp(&ct, "{\"roleArn\":\"%s\",\"roleSessionName\":\"%s\",\"sourceIdentity\":\"%s\","
                       "\"durationSeconds\":3600}",
                  arn, session, source_id);
        else
            ct_rp(&ct, "{\"roleArn\":\"%s\",\"roleSessionName\":\"%s\",\"durationSeconds\":3600}",
                  arn, session);
        ct_re(&ct,
              "{%s,\"assumedRoleUser\":{\"assumedRoleId\":\"%s:%s\",\"arn\":\"arn:aws:sts::%s:"
              "assumed-role/%s/%s\"}%s%s%s}",
              creds, out->role_id, session, w->accounts[ta].id, role, session,
              source_id ? ",\"sourceIdentity\":\"" : "", source_id ? source_id : "",
              source_id ? "\"" : "");
        ct_res(&ct, w->accounts[ta].id, "AWS::IAM::Role", arn);
        if (ta != by->acct)
            snprintf(ct.shared, sizeof ct.shared, "%s", shared);
        int rc = ct_emit(w, &ct);
        if (rc)
            return rc;
    }
    km_gen_scen_ent(w, scen, KM_GEN_E_ROLES, "%s", arn);
    return KM_OK;
}

static int plan_lateral(struct sc_build *B, int64_t t0, struct km_rng *r)
{
    const int S_ = KM_GEN_SCEN_LATERAL;
    struct km_gen_world *w = B->w;
    struct km_gen_sc *c = &B->S->sc[S_];
    uint16_t v = c->v[0], v2 = c->v[1];
    const char *email = w->persons[v].email;
    add_ips(B, S_);
    add_person(B, S_, v);
    if (HAS(B, KM_GEN_PROV_AWS)) {
        uint32_t A = c->acct[0], Bc = c->acct[1], C = c->acct[2];
        struct sc_sess sa, sb, sc2;
        if (sess_sso(w, &sa, A, v, t0 - 120, r) != 0)
            return KM_EINTERNAL;
        add_sess(B, S_, &sa);
        km_gen_scen_ent(w, S_, KM_GEN_E_ROLES, "%s", sa.issuer_arn);
        int rc = assume(B, S_, t0, &sa, Bc, "OrganizationAccountAccessRole", NULL, email, email,
                        UA_LATERAL, &sb, r);
        if (rc)
            return rc;
        add_sess(B, S_, &sb);
        struct sc_ct ct;
        ct_by(B, &ct, S_, t0 + 40, &sb, 0, "sts", "GetCallerIdentity", UA_LATERAL,
              "sts.get-caller-identity");
        ct.ro = 1;
        if ((rc = ct_emit(w, &ct)))
            return rc;
        ct_by(B, &ct, S_, t0 + 95, &sb, 0, "iam", "ListRoles", UA_LATERAL, "iam.list-roles");
        ct.ro = 1;
        if ((rc = ct_emit(w, &ct)))
            return rc;
        const struct km_gen_actor *tf = tf_role(w, C);
        char role[96];
        snprintf(role, sizeof role, "terraform-%s", w->accounts[C].name);
        rc = assume(B, S_, t0 + 150, &sb, C, role, tf ? tf->principal : NULL, email, email,
                    UA_LATERAL, &sc2, r);
        if (rc)
            return rc;
        add_sess(B, S_, &sc2);
        ct_by(B, &ct, S_, t0 + 210, &sc2, 0, "s3", "ListBuckets", UA_LATERAL, "s3api.list-buckets");
        ct.ro = 1;
        ct_rp(&ct, "{\"Host\":\"s3.us-east-1.amazonaws.com\"}");
        snprintf(ct.hostbuf, sizeof ct.hostbuf, "s3.us-east-1.amazonaws.com");
        if ((rc = ct_emit(w, &ct)))
            return rc;
    }
    struct km_gen_plant *p;
    if (HAS(B, KM_GEN_PROV_AZURE)) {
        add_person(B, S_, v2);
        km_gen_scen_ent(w, S_, KM_GEN_E_IDENTITIES, "%s", email);
        km_gen_scen_ent(w, S_, KM_GEN_E_IDENTITIES, "%s", w->persons[v2].email);
        km_gen_scen_ent(w, S_, KM_GEN_E_ROLES, "Contributor");
        int64_t t = t0 + 20 * 60;
        for (int ph = 0; ph < 2; ph++)
            if ((p = xplant(B, S_, KM_GEN_PROV_AZURE, KM_GEN_PK_AZ_RA, t + 3 * ph, v, 0))) {
                p->res = (uint8_t)ph;
                p->app = KM_GEN_AZROLE_CONTRIB;
                p->who2 = v2;
                p->acct = c->sub[1];
                p->corr = 0x1a7e;
            }
        t = t0 + 26 * 60;
        for (int op = 0; op < 2; op++)
            for (int ph = 0; ph < 2; ph++)
                if ((p = xplant(B, S_, KM_GEN_PROV_AZURE,
                                op ? KM_GEN_PK_AZ_RUNCMD : KM_GEN_PK_AZ_LISTKEYS,
                                t + 70 * op + (op ? 24 : 2) * ph, v2, 0))) {
                    p->res = (uint8_t)ph;
                    p->acct = c->sub[1];
                    p->corr = 0x1a80 + (uint32_t)op;
                }
    }
    if (HAS(B, KM_GEN_PROV_GCP)) {
        km_gen_scen_ent(w, S_, KM_GEN_E_IDENTITIES, "%s", email);
        for (int k = 0; k < 3; k++)
            if ((p = xplant(B, S_, KM_GEN_PROV_GCP, k ? KM_GEN_PK_GC_ASSA : KM_GEN_PK_GC_GENTOKEN,
                            t0 + 35 * 60 + 55 * k, v, 0))) {
                p->acct = c->proj;
                p->app = (uint8_t)(k == 2);
                p->ua = UA_LATERAL_GC;
            }
    }
    snprintf(c->notes, sizeof c->notes,
             "AWS: %s's IAM Identity Center session in %s assumes OrganizationAccountAccessRole in "
             "%s (sourceIdentity %s, sharedEventID on both copies), then terraform-%s in %s; "
             "Azure: %s grants %s Contributor on another subscription, then %s lists storage keys "
             "and runs a VM command there; Google Cloud: %s takes a token for a workload service "
             "account and reads a bucket as it",
             email, w->accounts[c->acct[0]].id, w->accounts[c->acct[1]].id, email,
             w->accounts[c->acct[2]].name, w->accounts[c->acct[2]].id, email,
             w->persons[v2].email, w->persons[v2].email, email);
    return KM_OK;
}

/* One call of the leaked-key scenario. */
struct sc_recon {
    const char *svc, *name, *cmd;
    int region;                 /* 0 us-east-1, 1 home, 2/3 other regions */
    const char *deny;           /* IAM action denied, or NULL */
    const char *code;
};

static int plan_leaked(struct sc_build *B, int64_t t0, struct km_rng *r)
{
    const int S_ = KM_GEN_SCEN_LEAKEDKEY;
    struct km_gen_world *w = B->w;
    struct km_gen_sc *c = &B->S->sc[S_];
    const struct km_gen_actor *u = B->leaked;
    if (!u)
        return KM_EINTERNAL;
    uint32_t a = u->account;
    const struct km_gen_account *ac = &w->accounts[a];
    add_ips(B, S_);
    if (c->nv)
        add_person(B, S_, c->v[0]);
    km_gen_scen_ent(w, S_, KM_GEN_E_IDENTITIES, "%s", u->name);
    km_gen_scen_ent(w, S_, KM_GEN_E_KEYS, "%s", u->key);
    static const struct sc_recon calls[16] = {
        {"sts", "GetCallerIdentity", "sts.get-caller-identity", 0, NULL, NULL},
        {"s3", "ListBuckets", "s3api.list-buckets", 0, NULL, NULL},
        {"iam", "ListUsers", "iam.list-users", 0, NULL, NULL},
        {"iam", "ListRoles", "iam.list-roles", 0, NULL, NULL},
        {"iam", "GetAccountAuthorizationDetails", "iam.get-account-authorization-details", 0,
         "iam:GetAccountAuthorizationDetails", "AccessDenied"},
        {"iam", "ListAttachedUserPolicies", "iam.list-attached-user-policies", 0, NULL, NULL},
        {"ec2", "DescribeRegions", "ec2.describe-regions", 0, NULL, NULL},
        {"ec2", "DescribeInstances", "ec2.describe-instances", 1, NULL, NULL},
        {"ec2", "DescribeInstances", "ec2.describe-instances", 2, NULL, NULL},
        {"ec2", "DescribeInstances", "ec2.describe-instances", 3, NULL, NULL},
        {"secretsmanager", "ListSecrets", "secretsmanager.list-secrets", 1, NULL, NULL},
        {"secretsmanager", "GetSecretValue", "secretsmanager.get-secret-value", 1,
         "secretsmanager:GetSecretValue", "AccessDeniedException"},
        {"lambda", "ListFunctions20150331", "lambda.list-functions", 1, NULL, NULL},
        {"rds", "DescribeDBInstances", "rds.describe-db-instances", 1, "rds:DescribeDBInstances",
         "AccessDenied"},
        {"organizations", "DescribeOrganization", "organizations.describe-organization", 0,
         "organizations:DescribeOrganization", "AccessDeniedException"},
        {"ssm", "DescribeParameters", "ssm.describe-parameters", 1, "ssm:DescribeParameters",
         "AccessDeniedException"},
    };
    /* two regions the account does not use, for the sweep */
    static const int others[] = {3, 5, 11, 13};
    int rg[2], nrg = 0;
    for (int k = 0; k < 4 && nrg < 2; k++)
        if (others[k] != ac->home)
            rg[nrg++] = others[k];
    int64_t t = t0;
    for (int k = 0; k < 16; k++) {
        const struct sc_recon *x = &calls[k];
        int region = x->region == 0 ? 0 : x->region == 1 ? ac->home : rg[x->region - 2];
        struct sc_ct ct;
        ct_begin(&ct, w, S_, t, a, region, x->svc, x->name);
        ident_user(w, &ct, a, u->name, u->principal, u->key);
        struct km_gb ib = {ct.ip, 0, sizeof ct.ip};
        km_gb_ip4(&ib, c->ip[0]);
        ct.ip[ib.n] = 0;
        ct.ua = UA_LEAKED;
        ct.ro = 1;
        if (strcmp(x->svc, "s3") == 0) {
            ct_rp(&ct, "{\"Host\":\"s3.amazonaws.com\"}");
            snprintf(ct.hostbuf, sizeof ct.hostbuf, "s3.amazonaws.com");
        } else if (strcmp(x->name, "ListAttachedUserPolicies") == 0) {
            ct_rp(&ct, "{\"userName\":\"%s\"}", u->name);
        } else if (strcmp(x->name, "DescribeInstances") == 0) {
            ct_rp(&ct, "{\"instancesSet\":{},\"filterSet\":{}}");
        } else if (strcmp(x->name, "DescribeRegions") == 0) {
            ct_rp(&ct, "{\"regionSet\":{}}");
        } else if (strcmp(x->name, "GetSecretValue") == 0) {
            ct_rp(&ct, "{\"secretId\":\"%s\"}", ac->secrets[0]);
        } else if (strcmp(x->name, "ListFunctions20150331") == 0) {
            ct_rp(&ct, "{\"functionVersion\":\"ALL\"}");
        }
        if (x->deny) {
            if (strcmp(x->svc, "organizations") == 0) {
                ct.ecode = x->code;
                snprintf(ct.emsg, sizeof ct.emsg,
                         "You don't have permissions to access this resource.");
            } else {
                char res[300];
                if (strcmp(x->svc, "secretsmanager") == 0)
                    snprintf(res, sizeof res, "arn:aws:secretsmanager:%s:%s:secret:%s",
                             km_gen_regions[region], ac->id, ac->secrets[0]);
                else if (strcmp(x->svc, "rds") == 0)
                    snprintf(res, sizeof res, "arn:aws:rds:%s:%s:db:*", km_gen_regions[region],
                             ac->id);
                else if (strcmp(x->svc, "ssm") == 0)
                    snprintf(res, sizeof res, "arn:aws:ssm:%s:%s:*", km_gen_regions[region],
                             ac->id);
                else
                    snprintf(res, sizeof res, "*");
                ct_denied(&ct, x->code, x->deny, res, 0);
            }
        }
        int rc = ct_emit(w, &ct);
        if (rc)
            return rc;
        t += 6 + km_rng_below(r, 22);
    }
    snprintf(c->notes, sizeof c->notes,
             "the access key %s of IAM user %s (account %s) is used from %s, %s with a user agent "
             "it never used: whoami, a List/Describe sweep over three regions and five "
             "AccessDenied answers",
             u->key, u->name, ac->id, c->place[0]->city, c->place[0]->country);
    return KM_OK;
}

static int plan_persist(struct sc_build *B, int64_t t0, struct km_rng *r)
{
    const int S_ = KM_GEN_SCEN_PERSISTENCE;
    struct km_gen_world *w = B->w;
    struct km_gen_sc *c = &B->S->sc[S_];
    uint16_t v = c->v[0];
    add_ips(B, S_);
    add_person(B, S_, v);
    struct km_gen_plant *p;
    if (HAS(B, KM_GEN_PROV_AWS)) {
        uint32_t a = c->acct[0];
        const struct km_gen_account *ac = &w->accounts[a];
        struct sc_sess s;
        if (sess_sso(w, &s, a, v, t0 - 300, r) != 0)
            return KM_EINTERNAL;
        add_sess(B, S_, &s);
        const char *user = "svc-metrics-exporter";
        char uid[24], key[24], oidc[40], thumb[41], when[40];
        memcpy(uid, "AIDA", 4);
        km_gen_rand_str(uid + 4, r, KM_GEN_UPNUM, 17);
        memcpy(key, "AKIA", 4);
        km_gen_rand_str(key + 4, r, KM_GEN_B32, 16);
        km_gen_rand_str(oidc, r, "0123456789ABCDEF", 32);
        km_gen_rand_str(thumb, r, "0123456789abcdef", 40);
        km_gen_scen_ent(w, S_, KM_GEN_E_IDENTITIES, "%s", user);
        km_gen_scen_ent(w, S_, KM_GEN_E_KEYS, "%s", key);
        km_gen_scen_ent(w, S_, KM_GEN_E_RESOURCES, "arn:aws:iam::%s:user/%s", ac->id, user);
        km_gen_scen_ent(w, S_, KM_GEN_E_RESOURCES,
                        "arn:aws:iam::%s:oidc-provider/oidc.eks.%s.amazonaws.com/id/%s", ac->id,
                        km_gen_regions[ac->home], oidc);
        struct sc_ct ct;
        int rc;
        ct_by(B, &ct, S_, t0, &s, 0, "iam", "CreateUser", UA_PERSIST, NULL);
        awsdate(when, t0);
        ct_rp(&ct, "{\"userName\":\"%s\"}", user);
        ct_re(&ct,
              "{\"user\":{\"path\":\"/\",\"userName\":\"%s\",\"userId\":\"%s\",\"arn\":\"arn:aws:"
              "iam::%s:user/%s\",\"createDate\":\"%s\"}}",
              user, uid, ac->id, user, when);
        if ((rc = ct_emit(w, &ct)))
            return rc;
        ct_by(B, &ct, S_, t0 + 27, &s, 0, "iam", "CreateLoginProfile", UA_PERSIST, NULL);
        awsdate(when, t0 + 27);
        ct_rp(&ct, "{\"userName\":\"%s\",\"passwordResetRequired\":false}", user);
        ct_re(&ct,
              "{\"loginProfile\":{\"userName\":\"%s\",\"createDate\":\"%s\","
              "\"passwordResetRequired\":false}}",
              user, when);
        if ((rc = ct_emit(w, &ct)))
            return rc;
        ct_by(B, &ct, S_, t0 + 49, &s, 0, "iam", "CreateAccessKey", UA_PERSIST, NULL);
        awsdate(when, t0 + 49);
        ct_rp(&ct, "{\"userName\":\"%s\"}", user);
        ct_re(&ct,
              "{\"accessKey\":{\"accessKeyId\":\"%s\",\"status\":\"Active\",\"userName\":\"%s\","
              "\"createDate\":\"%s\"}}",
              key, user, when);
        if ((rc = ct_emit(w, &ct)))
            return rc;
        ct_by(B, &ct, S_, t0 + 118, &s, 0, "iam", "CreateOpenIDConnectProvider", UA_PERSIST, NULL);
        ct_rp(&ct,
              "{\"url\":\"https://oidc.eks.%s.amazonaws.com/id/%s\",\"clientIDList\":[\"sts."
              "amazonaws.com\"],\"thumbprintList\":[\"%s\"]}",
              km_gen_regions[ac->home], oidc, thumb);
        ct_re(&ct,
              "{\"openIDConnectProviderArn\":\"arn:aws:iam::%s:oidc-provider/oidc.eks.%s."
              "amazonaws.com/id/%s\"}",
              ac->id, km_gen_regions[ac->home], oidc);
        if ((rc = ct_emit(w, &ct)))
            return rc;
        /* twenty minutes later the new user signs in, and its key is used */
        int64_t t = t0 + 20 * 60;
        ct_begin(&ct, w, S_, t, a, 0, "signin", "ConsoleLogin");
        snprintf(ct.ident, sizeof ct.ident,
                 "{\"type\":\"IAMUser\",\"principalId\":\"%s\",\"arn\":\"arn:aws:iam::%s:user/%s\","
                 "\"accountId\":\"%s\",\"userName\":\"%s\"}",
                 uid, ac->id, user, ac->id, user);
        struct km_gb ib = {ct.ip, 0, sizeof ct.ip};
        km_gb_ip4(&ib, c->ip[0]);
        ct.ip[ib.n] = 0;
        ct.ua = UA_PERSIST_WEB;
        ct.login = 1;
        ct_re(&ct, "{\"ConsoleLogin\":\"Success\"}");
        snprintf(ct.aed, sizeof ct.aed,
                 "\"LoginTo\":\"https://console.aws.amazon.com/console/home?hashArgs=%%23&"
                 "isauthcode=true&state=hashArgsFromTB_%s_%016llx\",\"MobileVersion\":\"No\","
                 "\"MFAUsed\":\"No\"",
                 km_gen_regions[ac->home], (unsigned long long)km_rng_next(&ct.r));
        if ((rc = ct_emit(w, &ct)))
            return rc;
        static const char *const use[3][2] = {{"sts", "GetCallerIdentity"},
                                              {"s3", "ListBuckets"},
                                              {"ec2", "DescribeInstances"}};
        t += 60;
        for (int k = 0; k < 3; k++) {
            ct_begin(&ct, w, S_, t, a, k == 2 ? ac->home : 0, use[k][0], use[k][1]);
            ident_user(w, &ct, a, user, uid, key);
            ib = (struct km_gb){ct.ip, 0, sizeof ct.ip};
            km_gb_ip4(&ib, c->ip[0]);
            ct.ip[ib.n] = 0;
            ct.ua = UA_PERSIST;
            ct.ro = 1;
            if (k == 1) {
                ct_rp(&ct, "{\"Host\":\"s3.amazonaws.com\"}");
                snprintf(ct.hostbuf, sizeof ct.hostbuf, "s3.amazonaws.com");
            } else if (k == 2) {
                ct_rp(&ct, "{\"instancesSet\":{},\"filterSet\":{}}");
            }
            if ((rc = ct_emit(w, &ct)))
                return rc;
            t += 25 + km_rng_below(r, 20);
        }
    }
    if (HAS(B, KM_GEN_PROV_AZURE)) {
        km_gen_scen_ent(w, S_, KM_GEN_E_IDENTITIES, "%s", w->persons[v].email);
        for (int k = 0; k < 2; k++)
            if ((p = xplant(B, S_, KM_GEN_PROV_AZURE, KM_GEN_PK_AZ_AUDIT, t0 + 300 + 40 * k, v, 0))) {
                p->app = (uint8_t)k;
                p->acct = c->sub[0];
                p->corr = 0x9e57;
                p->ua = UA_PERSIST_WEB;
            }
    }
    if (HAS(B, KM_GEN_PROV_GCP)) {
        km_gen_scen_ent(w, S_, KM_GEN_E_IDENTITIES, "%s", w->persons[v].email);
        if ((p = xplant(B, S_, KM_GEN_PROV_GCP, KM_GEN_PK_GC_SAKEY, t0 + 540, v, 0))) {
            p->acct = c->proj;
            p->ua = UA_PERSIST_GC;
        }
        for (int k = 0; k < 2; k++)
            if ((p = xplant(B, S_, KM_GEN_PROV_GCP, KM_GEN_PK_GC_SAKEYUSE, t0 + 1500 + 45 * k,
                            KM_GEN_NONE, 0))) {
                p->acct = c->proj;
                p->app = (uint8_t)k;
                p->ua = UA_KEYUSE_GC;
            }
    }
    snprintf(c->notes, sizeof c->notes,
             "with %s's stolen sessions: AWS CreateUser svc-metrics-exporter + CreateLoginProfile + "
             "CreateAccessKey for it + an OIDC identity provider, then the new user signs in and "
             "its key is used from the same address; Entra ID: a client secret added to an app "
             "registration and credentials to its service principal; Google Cloud: a key for a "
             "workload service account, then used from outside",
             w->persons[v].email);
    return KM_OK;
}

static int plan_priv(struct sc_build *B, int64_t t0, struct km_rng *r)
{
    const int S_ = KM_GEN_SCEN_PRIVILEGE;
    struct km_gen_world *w = B->w;
    struct km_gen_sc *c = &B->S->sc[S_];
    uint16_t v = c->v[0], v2 = c->v[1];
    add_ips(B, S_);
    add_person(B, S_, v);
    struct km_gen_plant *p;
    if (HAS(B, KM_GEN_PROV_AWS)) {
        uint32_t a = c->acct[0];
        struct sc_sess s;
        if (sess_sso(w, &s, a, v, t0 - 200, r) != 0)
            return KM_EINTERNAL;
        add_sess(B, S_, &s);
        km_gen_scen_ent(w, S_, KM_GEN_E_IDENTITIES, "%s", B->grantee);
        km_gen_scen_ent(w, S_, KM_GEN_E_ROLES, "arn:aws:iam::aws:policy/AdministratorAccess");
        km_gen_scen_ent(w, S_, KM_GEN_E_RESOURCES, "arn:aws:iam::%s:user/%s", w->accounts[a].id,
                        B->grantee);
        struct sc_ct ct;
        ct_by(B, &ct, S_, t0, &s, 0, "iam", "AttachUserPolicy", UA_PRIV,
              "iam.attach-user-policy");
        ct_rp(&ct, "{\"userName\":\"%s\",\"policyArn\":\"arn:aws:iam::aws:policy/AdministratorAccess\"}",
              B->grantee);
        int rc = ct_emit(w, &ct);
        if (rc)
            return rc;
        ct_by(B, &ct, S_, t0 + 31, &s, 0, "iam", "ListAttachedUserPolicies", UA_PRIV,
              "iam.list-attached-user-policies");
        ct.ro = 1;
        ct_rp(&ct, "{\"userName\":\"%s\"}", B->grantee);
        if ((rc = ct_emit(w, &ct)))
            return rc;
    }
    if (HAS(B, KM_GEN_PROV_AZURE)) {
        add_person(B, S_, v2);
        km_gen_scen_ent(w, S_, KM_GEN_E_IDENTITIES, "%s", w->persons[v].email);
        km_gen_scen_ent(w, S_, KM_GEN_E_IDENTITIES, "%s", w->persons[v2].email);
        km_gen_scen_ent(w, S_, KM_GEN_E_ROLES, "Owner");
        for (int ph = 0; ph < 2; ph++)
            if ((p = xplant(B, S_, KM_GEN_PROV_AZURE, KM_GEN_PK_AZ_RA, t0 + 75 + 3 * ph, v, 0))) {
                p->res = (uint8_t)ph;
                p->app = KM_GEN_AZROLE_OWNER;
                p->who2 = v2;
                p->acct = c->sub[0];
                p->corr = 0x9417;
            }
    }
    if (HAS(B, KM_GEN_PROV_GCP)) {
        km_gen_scen_ent(w, S_, KM_GEN_E_IDENTITIES, "%s", w->persons[v].email);
        km_gen_scen_ent(w, S_, KM_GEN_E_IDENTITIES, "it-helpdesk.support7@outlook.com");
        km_gen_scen_ent(w, S_, KM_GEN_E_ROLES, "roles/owner");
        if ((p = xplant(B, S_, KM_GEN_PROV_GCP, KM_GEN_PK_GC_OWNER, t0 + 160, v, 0))) {
            p->acct = c->proj;
            p->str = "user:it-helpdesk.support7@outlook.com";
            p->ua = UA_PRIV_GC;
        }
    }
    snprintf(c->notes, sizeof c->notes,
             "with %s's stolen sessions: AdministratorAccess attached to IAM user %s, Owner on a "
             "subscription for %s, roles/owner on a project for user:it-helpdesk.support7@outlook.com",
             w->persons[v].email, B->grantee, w->persons[v2].email);
    return KM_OK;
}

/* The trail's name (its ARN, as the CLI passes it). */
static const char *trail(const struct km_gen_world *w, uint32_t a)
{
    return w->accounts[a].trail_arn;
}

static int plan_tamper(struct sc_build *B, int64_t t0, struct km_rng *r, int64_t *stop)
{
    const int S_ = KM_GEN_SCEN_TAMPERING;
    struct km_gen_world *w = B->w;
    struct km_gen_sc *c = &B->S->sc[S_];
    uint16_t v = c->v[0];
    add_ips(B, S_);
    add_person(B, S_, v);
    struct km_gen_plant *p;
    *stop = 0;
    if (HAS(B, KM_GEN_PROV_AWS)) {
        uint32_t a = c->acct[0];
        const struct km_gen_account *ac = &w->accounts[a];
        int h = ac->home;
        struct sc_sess s;
        if (sess_sso(w, &s, a, v, t0 - 400, r) != 0)
            return KM_EINTERNAL;
        add_sess(B, S_, &s);
        char fl[24], det[40];
        memcpy(fl, "fl-0", 4);
        km_gen_rand_str(fl + 4, r, "0123456789abcdef", 16);
        km_gen_rand_str(det, r, "0123456789abcdef", 32);
        km_gen_scen_ent(w, S_, KM_GEN_E_RESOURCES, "%s", trail(w, a));
        km_gen_scen_ent(w, S_, KM_GEN_E_RESOURCES, "%s", fl);
        km_gen_scen_ent(w, S_, KM_GEN_E_RESOURCES, "arn:aws:guardduty:%s:%s:detector/%s",
                        km_gen_regions[h], ac->id, det);
        struct sc_ct ct;
        int rc;
        ct_by(B, &ct, S_, t0, &s, h, "cloudtrail", "PutEventSelectors", UA_TAMPER,
              "cloudtrail.put-event-selectors");
        static const char sel[] = "[{\"readWriteType\":\"All\",\"includeManagementEvents\":true,"
                                  "\"dataResources\":[],\"excludeManagementEventSources\":[]}]";
        ct_rp(&ct, "{\"trailName\":\"%s\",\"eventSelectors\":%s}", trail(w, a), sel);
        ct_re(&ct, "{\"trailARN\":\"%s\",\"eventSelectors\":%s}", trail(w, a), sel);
        ct_res(&ct, ac->id, "AWS::CloudTrail::Trail", trail(w, a));
        if ((rc = ct_emit(w, &ct)))
            return rc;
        ct_by(B, &ct, S_, t0 + 64, &s, h, "ec2", "DeleteFlowLogs", UA_TAMPER, "ec2.delete-flow-logs");
        char req[37];
        sc_uuid(req, r);
        ct_rp(&ct, "{\"DeleteFlowLogsRequest\":{\"FlowLogId\":{\"content\":\"%s\",\"tag\":1}}}", fl);
        ct_re(&ct,
              "{\"DeleteFlowLogsResponse\":{\"xmlns\":\"http://ec2.amazonaws.com/doc/2016-11-15/\","
              "\"requestId\":\"%s\",\"unsuccessful\":\"\"}}",
              req);
        if ((rc = ct_emit(w, &ct)))
            return rc;
        ct_by(B, &ct, S_, t0 + 131, &s, h, "guardduty", "DeleteDetector", UA_TAMPER,
              "guardduty.delete-detector");
        ct_rp(&ct, "{\"detectorId\":\"%s\"}", det);
        snprintf(ct.res, sizeof ct.res,
                 "{\"accountId\":\"%s\",\"type\":\"AWS::GuardDuty::Detector\",\"ARN\":\"arn:aws:"
                 "guardduty:%s:%s:detector/%s\"}",
                 ac->id, km_gen_regions[h], ac->id, det);
        if ((rc = ct_emit(w, &ct)))
            return rc;
        *stop = t0 + 205;
        ct_by(B, &ct, S_, *stop, &s, h, "cloudtrail", "StopLogging", UA_TAMPER,
              "cloudtrail.stop-logging");
        ct_rp(&ct, "{\"name\":\"%s\"}", trail(w, a));
        ct_res(&ct, ac->id, "AWS::CloudTrail::Trail", trail(w, a));
        if ((rc = ct_emit(w, &ct)))
            return rc;
    }
    snprintf(c->notes, sizeof c->notes,
             "%s's session from %s, %s: S3 data events dropped from the trail (PutEventSelectors), "
             "VPC flow logs and the GuardDuty detector deleted, the trail stopped; the Azure "
             "diagnostic setting send-to-sentinel and the Google Cloud sink siem-export deleted "
             "(other exports than the ones these logs come from, which go on)",
             w->persons[v].email, c->place[0]->city, c->place[0]->country);
    if (HAS(B, KM_GEN_PROV_AZURE)) {
        km_gen_scen_ent(w, S_, KM_GEN_E_IDENTITIES, "%s", w->persons[v].email);
        for (int ph = 0; ph < 2; ph++)
            if ((p = xplant(B, S_, KM_GEN_PROV_AZURE, KM_GEN_PK_AZ_DIAGDEL, t0 + 720 + 2 * ph, v,
                            0))) {
                p->res = (uint8_t)ph;
                p->acct = c->sub[0];
                p->corr = 0x7a3e;
                p->str = "send-to-sentinel";
            }
    }
    if (HAS(B, KM_GEN_PROV_GCP)) {
        km_gen_scen_ent(w, S_, KM_GEN_E_IDENTITIES, "%s", w->persons[v].email);
        if ((p = xplant(B, S_, KM_GEN_PROV_GCP, KM_GEN_PK_GC_DELSINK, t0 + 960, v, 0))) {
            p->acct = c->proj;
            p->str = "siem-export";
            p->ua = UA_TAMPER_GC;
        }
    }
    return KM_OK;
}

static int plan_expose(struct sc_build *B, int64_t t0, struct km_rng *r)
{
    const int S_ = KM_GEN_SCEN_EXPOSURE;
    struct km_gen_world *w = B->w;
    struct km_gen_sc *c = &B->S->sc[S_];
    uint16_t v = c->v[0];
    add_ips(B, S_);
    add_person(B, S_, v);
    struct km_gen_plant *p;
    char outside[13];
    do {
        outside[0] = (char)('1' + km_rng_below(r, 9));
        km_gen_rand_str(outside + 1, r, "0123456789", 11);
    } while (strcmp(outside, w->partner_account) == 0 || strcmp(outside, w->security_account) == 0);
    if (HAS(B, KM_GEN_PROV_AWS)) {
        uint32_t a = c->acct[0];
        const struct km_gen_account *ac = &w->accounts[a];
        const struct km_gen_bucket *bk = &ac->buckets[0];
        for (int k = 0; k < ac->nbuckets; k++)
            if (ac->buckets[k].kind == 0) {
                bk = &ac->buckets[k];
                break;
            }
        struct sc_sess s;
        if (sess_sso(w, &s, a, v, t0 - 600, r) != 0)
            return KM_EINTERNAL;
        add_sess(B, S_, &s);
        char snap[24], host[128], x2[80];
        memcpy(snap, "snap-0", 6);
        km_gen_rand_str(snap + 6, r, "0123456789abcdef", 16);
        snprintf(host, sizeof host, "%s.s3.%s.amazonaws.com", bk->name, km_gen_regions[bk->region]);
        km_gen_scen_ent(w, S_, KM_GEN_E_RESOURCES, "arn:aws:s3:::%s", bk->name);
        km_gen_scen_ent(w, S_, KM_GEN_E_RESOURCES, "arn:aws:ec2:%s::snapshot/%s",
                        km_gen_regions[ac->home], snap);
        km_gen_scen_ent(w, S_, KM_GEN_E_ACCOUNTS, "%s", outside);
        struct sc_ct ct;
        int rc;
        for (int k = 0; k < 2; k++) {
            ct_by(B, &ct, S_, t0 + 22 * k, &s, bk->region, "s3",
                  k ? "PutBucketPolicy" : "PutBucketPublicAccessBlock", "[" UA_EXPOSE,
                  k ? "s3api.put-bucket-policy]" : "s3api.put-public-access-block]");
            snprintf(ct.hostbuf, sizeof ct.hostbuf, "%s", host);
            if (k == 0)
                ct_rp(&ct,
                      "{\"publicAccessBlock\":\"\",\"bucketName\":\"%s\",\"Host\":\"%s\","
                      "\"PublicAccessBlockConfiguration\":{\"xmlns\":\"http://s3.amazonaws.com/doc/"
                      "2006-03-01/\",\"RestrictPublicBuckets\":false,\"BlockPublicPolicy\":false,"
                      "\"BlockPublicAcls\":false,\"IgnorePublicAcls\":false}}",
                      bk->name, host);
            else
                ct_rp(&ct,
                      "{\"bucketPolicy\":{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":"
                      "\"PublicRead\",\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:"
                      "GetObject\",\"Resource\":\"arn:aws:s3:::%s/*\"}]},\"bucketName\":\"%s\","
                      "\"Host\":\"%s\",\"policy\":\"\"}",
                      bk->name, bk->name, host);
            km_gen_rand_str(x2, r, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
                            76);
            snprintf(ct.aed, sizeof ct.aed,
                     "\"SignatureVersion\":\"SigV4\",\"CipherSuite\":\"TLS_AES_128_GCM_SHA256\","
                     "\"bytesTransferredIn\":%u,\"AuthenticationMethod\":\"AuthHeader\","
                     "\"x-amz-id-2\":\"%s\",\"bytesTransferredOut\":0",
                     k ? 180u : 300u + km_rng_below(r, 40), x2);
            char arn[120];
            snprintf(arn, sizeof arn, "arn:aws:s3:::%s", bk->name);
            ct_res(&ct, ac->id, "AWS::S3::Bucket", arn);
            if ((rc = ct_emit(w, &ct)))
                return rc;
        }
        ct_by(B, &ct, S_, t0 + 95, &s, ac->home, "ec2", "ModifySnapshotAttribute", UA_EXPOSE,
              "ec2.modify-snapshot-attribute");
        char req[37];
        sc_uuid(req, r);
        ct_rp(&ct,
              "{\"snapshotId\":\"%s\",\"createVolumePermission\":{\"add\":{\"items\":[{\"userId\":"
              "\"%s\"}]}},\"attributeType\":\"CREATE_VOLUME_PERMISSION\"}",
              snap, outside);
        ct_re(&ct, "{\"requestId\":\"%s\",\"_return\":true}", req);
        if ((rc = ct_emit(w, &ct)))
            return rc;
        ct_by(B, &ct, S_, t0 + 131, &s, bk->region, "s3", "GetBucketPolicy", "[" UA_EXPOSE,
              "s3api.get-bucket-policy]");
        snprintf(ct.hostbuf, sizeof ct.hostbuf, "%s", host);
        ct.ro = 1;
        ct_rp(&ct, "{\"bucketName\":\"%s\",\"Host\":\"%s\",\"policy\":\"\"}", bk->name, host);
        char arn[120];
        snprintf(arn, sizeof arn, "arn:aws:s3:::%s", bk->name);
        ct_res(&ct, ac->id, "AWS::S3::Bucket", arn);
        if ((rc = ct_emit(w, &ct)))
            return rc;
        snprintf(c->notes, sizeof c->notes,
                 "%s's session from %s, %s: bucket %s made public (public access block off, "
                 "policy Principal \"*\"), snapshot %s shared with outside account %s; Google "
                 "Cloud: a bucket opened to allUsers",
                 w->persons[v].email, c->place[0]->city, c->place[0]->country, bk->name, snap,
                 outside);
    }
    if (HAS(B, KM_GEN_PROV_GCP)) {
        km_gen_scen_ent(w, S_, KM_GEN_E_IDENTITIES, "%s", w->persons[v].email);
        if ((p = xplant(B, S_, KM_GEN_PROV_GCP, KM_GEN_PK_GC_PUBLIC, t0 + 360, v, 0))) {
            p->acct = c->proj;
            p->ua = UA_EXPOSE_GC;
        }
    }
    return KM_OK;
}

static int plan_incident(struct sc_build *B, int64_t t0, struct km_rng *r, int64_t *stop)
{
    const int S_ = KM_GEN_SCEN_INCIDENT;
    struct km_gen_world *w = B->w;
    struct km_gen_sc *c = &B->S->sc[S_];
    uint16_t v = c->v[0];
    add_ips(B, S_);
    add_person(B, S_, v);
    struct km_gen_plant *p;
    *stop = 0;
    if (HAS(B, KM_GEN_PROV_AZURE)) {
        km_gen_scen_ent(w, S_, KM_GEN_E_IDENTITIES, "%s", w->persons[v].email);
        if ((p = xplant(B, S_, KM_GEN_PROV_AZURE, KM_GEN_PK_AZ_SIGNIN, t0, v, 0))) {
            p->res = KM_GEN_AZR_OK_CLAIM;
            p->app = KM_GEN_AZA_PORTAL;
            p->ua = UA_INCIDENT_WEB;
            p->corr = 1;
        }
        for (int ph = 0; ph < 2; ph++)
            if ((p = xplant(B, S_, KM_GEN_PROV_AZURE, KM_GEN_PK_AZ_DIAGDEL, t0 + 360 + 2 * ph, v,
                            0))) {
                p->res = (uint8_t)ph;
                p->acct = c->sub[0];
                p->corr = 0x1c1d;
                p->str = "export-to-siem";
            }
    }
    if (HAS(B, KM_GEN_PROV_AWS)) {
        uint32_t a = c->acct[0];
        struct sc_sess s;
        if (sess_sso(w, &s, a, v, t0 + 540, r) != 0)
            return KM_EINTERNAL;
        add_sess(B, S_, &s);
        km_gen_scen_ent(w, S_, KM_GEN_E_RESOURCES, "%s", trail(w, a));
        struct sc_ct ct;
        ct_by(B, &ct, S_, t0 + 600, &s, 0, "sts", "GetCallerIdentity", UA_INCIDENT,
              "sts.get-caller-identity");
        ct.ro = 1;
        int rc = ct_emit(w, &ct);
        if (rc)
            return rc;
        *stop = t0 + 660;
        ct_by(B, &ct, S_, *stop, &s, w->accounts[a].home, "cloudtrail", "StopLogging", UA_INCIDENT,
              "cloudtrail.stop-logging");
        ct_rp(&ct, "{\"name\":\"%s\"}", trail(w, a));
        ct_res(&ct, w->accounts[a].id, "AWS::CloudTrail::Trail", trail(w, a));
        if ((rc = ct_emit(w, &ct)))
            return rc;
    }
    if (HAS(B, KM_GEN_PROV_GCP)) {
        km_gen_scen_ent(w, S_, KM_GEN_E_IDENTITIES, "%s", w->persons[v].email);
        if ((p = xplant(B, S_, KM_GEN_PROV_GCP, KM_GEN_PK_GC_DELSINK, t0 + 840, v, 0))) {
            p->acct = c->proj;
            p->str = "security-lake-export";
            p->ua = UA_INCIDENT_GC;
        }
    }
    snprintf(c->notes, sizeof c->notes,
             "one address in %s, %s, with %s's identity in every cloud: an Entra ID sign-in "
             "(session token), an Azure diagnostic setting deleted, CloudTrail stopped, a Google "
             "Cloud log sink deleted, within fifteen minutes: one incident",
             c->place[0]->city, c->place[0]->country, w->persons[v].email);
    return KM_OK;
}

/*
 * Logging comes back: the responder (an administrator, from their own
 * address, with their own CLI) starts the trail again the next working
 * morning — sooner if another planted record of that account would
 * otherwise fall into the silence — and, after a tampering, restores the
 * S3 data events. Adds the silence.
 */
static int plan_restore(struct sc_build *B, int scen, int64_t stop, int64_t data_from,
                        struct km_rng *r)
{
    struct km_gen_world *w = B->w;
    struct km_gen_scen *S = B->S;
    struct km_gen_sc *c = &S->sc[scen];
    uint32_t a = c->acct[0];
    uint16_t resp = B->responder;
    int64_t end = sc_end(w);
    /* the next 09:20-09:50 of the responder, at least five hours after the stop */
    int tz = w->persons[resp].tz_min;
    int64_t local = stop + tz * 60;
    int64_t day = local / 86400;
    int64_t until = day * 86400 + 9 * 3600 + 20 * 60 + km_rng_below(r, 1800) - tz * 60;
    while (until < stop + 5 * 3600)
        until += 86400;
    int nrec = scen == KM_GEN_SCEN_TAMPERING ? 2 : 1;
    int64_t last = end - 120;
    /* another plant of this account (or the story) after the stop comes first */
    for (uint32_t i = 0; i < S->npl; i++) {
        const struct km_gen_plant *p = &S->pl[i];
        if (p->prov == KM_GEN_PROV_AWS && p->acct == a && p->t > stop && p->t - 240 < last)
            last = p->t - 240;
    }
    if (km_gen_scen_story(w) && a == 0 && HAS(B, KM_GEN_PROV_AWS)) {
        int64_t st = km_gen_story_t0(w);
        if (st + 400 > stop && st - 240 < last)
            last = st - 240;
    }
    if (until > last)
        until = last;
    if (until < stop + 120)
        until = stop + 120; /* cannot happen with the scheduling margins; stays inside */
    /* whoever restarts it needs AdministratorAccess in that account */
    const struct km_gen_actor *ra = sso_actor(w, a, resp);
    for (uint32_t p = 0; (!ra || ra->sso_set != 0) && p < w->npersons; p++) {
        const struct km_gen_actor *x = sso_actor(w, a, p);
        int job = w->persons[p].job;
        if (x && x->sso_set == 0 && p != w->story_person && !B->victim[p] &&
            (job == KM_GEN_JOB_ADMIN || job == KM_GEN_JOB_OPS)) {
            resp = (uint16_t)p;
            ra = x;
        }
    }
    /* failing that, anyone (not a victim, if possible) with a role there */
    for (int pass = 0; !ra && pass < 2; pass++)
        for (uint32_t p = 0; !ra && p < w->npersons; p++)
            if (p != w->story_person && (pass || !B->victim[p]) && (ra = sso_actor(w, a, p)))
                resp = (uint16_t)p;
    struct sc_sess s;
    if (sess_sso(w, &s, a, resp, until - 90, r) != 0)
        return KM_EINTERNAL;
    char own[64];
    struct km_gb ob = {own, 0, sizeof own};
    km_gen_person_ip(w, resp, (uint32_t)((until - w->start) / 86400), &ob);
    own[ob.n] = 0;
    const struct km_gen_account *ac = &w->accounts[a];
    char ids[2][37];
    for (int k = 0; k < nrec; k++) {
        struct sc_ct ct;
        ct_begin(&ct, w, scen, until + 62 * k, a, ac->home, "cloudtrail",
                 k ? "PutEventSelectors" : "StartLogging");
        ident_sess(w, &ct, &s);
        snprintf(ct.ip, sizeof ct.ip, "%s", own);
        own_cli_ua(w, resp, k ? "cloudtrail.put-event-selectors" : "cloudtrail.start-logging",
                   ct.uabuf, sizeof ct.uabuf);
        ct.ua = ct.uabuf;
        if (k == 0) {
            ct_rp(&ct, "{\"name\":\"%s\"}", trail(w, a));
        } else {
            static const char sel[] =
                "[{\"readWriteType\":\"All\",\"includeManagementEvents\":true,\"dataResources\":"
                "[{\"type\":\"AWS::S3::Object\",\"values\":[\"arn:aws:s3\"]}],"
                "\"excludeManagementEventSources\":[]}]";
            ct_rp(&ct, "{\"trailName\":\"%s\",\"eventSelectors\":%s}", trail(w, a), sel);
            ct_re(&ct, "{\"trailARN\":\"%s\",\"eventSelectors\":%s}", trail(w, a), sel);
        }
        ct_res(&ct, ac->id, "AWS::CloudTrail::Trail", trail(w, a));
        ct.benign = 1;
        int rc = ct_emit(w, &ct);
        if (rc)
            return rc;
        memcpy(ids[k], S->last_eid, 37);
    }
    if (S->nsil < 2) {
        struct km_gen_silence *sl = &S->sil[S->nsil++];
        sl->acct = (uint8_t)a;
        sl->scen = (uint8_t)scen;
        sl->data_from = data_from;
        sl->from = stop;
        sl->until = until;
        sl->responder = resp;
        for (int k = 0; k < nrec; k++)
            memcpy(sl->ids[k], ids[k], 37);
        sl->nids = nrec;
    }
    size_t n = strlen(c->notes);
    char from[24], to[24];
    struct km_gb fb = {from, 0, sizeof from}, tb = {to, 0, sizeof to};
    km_gb_iso(&fb, stop);
    km_gb_iso(&tb, until);
    from[fb.n] = to[tb.n] = 0;
    snprintf(c->notes + n, sizeof c->notes - n,
             "%sCloudTrail of account %s is silent (every region) from %s until %s, when %s "
             "starts the trail again from %s",
             n ? "; " : "", ac->id, from, to, w->persons[resp].email, own);
    return KM_OK;
}

/* ---- when ------------------------------------------------------------------------ */

/* Local time window (minutes after midnight, in the organisation's main
 * office's zone, or the victim's for travel) and how long a scenario lasts. */
static const struct {
    uint8_t victim_tz;
    int16_t from, to;
    int32_t dur;
} sc_when[KM_GEN_NSCEN] = {
    [KM_GEN_SCEN_SPRAY] = {0, 120, 210, 900},
    [KM_GEN_SCEN_BRUTEFORCE] = {0, 1260, 1350, 1950},
    [KM_GEN_SCEN_TRAVEL] = {1, 600, 780, 3000},
    [KM_GEN_SCEN_LATERAL] = {0, 660, 870, 2500},
    [KM_GEN_SCEN_LEAKEDKEY] = {0, 240, 330, 420},
    [KM_GEN_SCEN_PERSISTENCE] = {0, 30, 120, 1650},
    [KM_GEN_SCEN_PRIVILEGE] = {0, 1350, 1420, 240},
    [KM_GEN_SCEN_TAMPERING] = {0, 60, 150, 1000},
    [KM_GEN_SCEN_EXPOSURE] = {0, 1140, 1230, 400},
    [KM_GEN_SCEN_INCIDENT] = {0, 1380, 1470, 900},
};

struct sc_iv {
    int64_t a, b;
};

static int overlaps(const struct sc_iv *iv, int n, int64_t a, int64_t b, int64_t gap)
{
    for (int k = 0; k < n; k++)
        if (a < iv[k].b + gap && b + gap > iv[k].a)
            return 1;
    return 0;
}

/* Gives every enabled scenario its start: spread over the days in a seeded
 * order, in its local window, never within 20 minutes of another one (or of
 * the story), always inside the dataset. With three days or more the first
 * day is left to the background: detections that learn what is usual (first
 * use of a pair, a stream's rhythm) need some history before an attack, as
 * an investigator's evidence has. */
static void schedule(struct sc_build *B, struct km_rng *r)
{
    struct km_gen_world *w = B->w;
    struct km_gen_scen *S = B->S;
    int order[KM_GEN_NSCEN], n = 0;
    for (int s = 1; s < KM_GEN_NSCEN; s++)
        if (S->sc[s].on)
            order[n++] = s;
    for (int k = n - 1; k > 0; k--) {
        int j = (int)km_rng_below(r, (uint32_t)k + 1), x = order[k];
        order[k] = order[j];
        order[j] = x;
    }
    struct sc_iv iv[KM_GEN_NSCEN + 1];
    int niv = 0;
    if (km_gen_scen_story(w)) {
        int64_t st = km_gen_story_t0(w);
        iv[niv++] = (struct sc_iv){st - 3300, st + 1200};
    }
    int64_t start = w->start, end = sc_end(w);
    for (int i = 0; i < n; i++) {
        int s = order[i];
        struct km_gen_sc *c = &S->sc[s];
        uint32_t quiet = w->days >= 3 ? 1 : 0;
        uint32_t day = quiet + (uint32_t)((uint64_t)i * (w->days - quiet) / (uint32_t)n);
        int tz = sc_when[s].victim_tz ? w->persons[c->v[0]].tz_min : w->org_tz;
        if (s == KM_GEN_SCEN_TRAVEL) /* a working day they are not on the VPN */
            for (uint32_t k = 0; k < w->days; k++) {
                uint32_t d = (day + k) % w->days;
                if (d < quiet)
                    continue;
                int wd = (w->start_wday + (int)d) % 7;
                if (wd != 0 && wd != 6 && !own_is_vpn(w, c->v[0], d)) {
                    day = d;
                    break;
                }
            }
        int span = sc_when[s].to - sc_when[s].from;
        int64_t local = sc_when[s].from + (int64_t)km_rng_below(r, (uint32_t)span + 1);
        int64_t base = start + (int64_t)day * 86400 + local * 60 - (int64_t)tz * 60 +
                       km_rng_below(r, 60);
        int64_t dur = sc_when[s].dur, lo = start + 600 + (int64_t)quiet * 86400,
                hi = end - 900 - dur;
        if (hi < lo)
            hi = lo;
        /* six hours from any other scenario where the days allow, else twenty
         * minutes; steps of a day first, so that the local window holds */
        int64_t t = base, pick = -1;
        for (int pass = 0; pass < 2 && pick < 0; pass++)
            for (int j = 0; j < 800 && pick < 0; j++) {
                int64_t cand = base + (int64_t)(j % 8) * 86400 + (int64_t)(j / 8) * 2700;
                t = lo + (((cand - lo) % (hi - lo + 1)) + (hi - lo + 1)) % (hi - lo + 1);
                if (!overlaps(iv, niv, t, t + dur, pass ? 1200 : 6 * 3600))
                    pick = t;
            }
        if (pick < 0)
            pick = lo + (((base - lo) % (hi - lo + 1)) + (hi - lo + 1)) % (hi - lo + 1);
        c->t0 = pick;
        iv[niv++] = (struct sc_iv){pick, pick + dur};
    }
}

/* ---- building ----------------------------------------------------------------------- */

static int plan_cmp(const struct km_gen_plant *a, const struct km_gen_plant *b)
{
    if (a->prov != b->prov)
        return a->prov < b->prov ? -1 : 1;
    if (a->t != b->t)
        return a->t < b->t ? -1 : 1;
    return 0;
}

static void story_truth(struct sc_build *B)
{
    struct km_gen_world *w = B->w;
    const int S_ = KM_GEN_SCEN_STORY;
    const struct km_gen_actor *m = &w->actors[w->story_actor];
    km_gen_scen_ent(w, S_, KM_GEN_E_IPS, KM_GEN_STORY_IP);
    km_gen_scen_ent(w, S_, KM_GEN_E_PERSONS, "%s", w->persons[w->story_person].email);
    if (HAS(B, KM_GEN_PROV_AWS)) {
        const char *acct = w->accounts[0].id;
        km_gen_scen_ent(w, S_, KM_GEN_E_IDENTITIES, "%s", m->name);
        km_gen_scen_ent(w, S_, KM_GEN_E_IDENTITIES, "backup-admin");
        km_gen_scen_ent(w, S_, KM_GEN_E_KEYS, "%s", m->key);
        km_gen_scen_ent(w, S_, KM_GEN_E_ACCOUNTS, "%s", acct);
        km_gen_scen_ent(w, S_, KM_GEN_E_ROLES, "arn:aws:iam::aws:policy/AdministratorAccess");
        km_gen_scen_ent(w, S_, KM_GEN_E_RESOURCES, "arn:aws:iam::%s:user/backup-admin", acct);
        km_gen_scen_ent(w, S_, KM_GEN_E_RESOURCES, "%s", w->accounts[0].trail_arn);
    }
    if (HAS(B, KM_GEN_PROV_AZURE) || HAS(B, KM_GEN_PROV_GCP))
        km_gen_scen_ent(w, S_, KM_GEN_E_IDENTITIES, "%s", w->persons[w->story_person].email);
    if (HAS(B, KM_GEN_PROV_AZURE))
        km_gen_scen_ent(w, S_, KM_GEN_E_COUNTRIES, "NL"); /* Entra's location of the address */
    if (HAS(B, KM_GEN_PROV_GCP)) {
        km_gen_scen_ent(w, S_, KM_GEN_E_IDENTITIES, "cloudbackup.ops@gmail.com");
        km_gen_scen_ent(w, S_, KM_GEN_E_ROLES, "roles/owner");
    }
    snprintf(B->S->sc[S_].notes, sizeof B->S->sc[S_].notes,
             "the mallory story (docs/generator.md): a password spray in Entra ID, then the access "
             "key of IAM user %s used from %s (documentation range: no country but Entra's), a new "
             "administrator backup-admin, StopLogging without a silence, an owner grant in Google "
             "Cloud; event ids are not listed",
             m->name, KM_GEN_STORY_IP);
}

int km_gen_scen_build(struct km_gen_world *w, const struct km_gen_opts *o, struct km_err *err)
{
    struct km_gen_scen *S = calloc(1, sizeof *S);
    if (!S)
        return km_err_set(err, KM_ENOMEM, NULL, UINT64_MAX, "out of memory (scenarios)");
    w->scen = S;
    S->mask = km_gen_scen_mask(o);
    S->providers = o->providers ? o->providers : KM_GEN_P_AWS;
    struct sc_build B;
    memset(&B, 0, sizeof B);
    B.w = w;
    B.S = S;
    B.prov = S->providers;
    for (int s = 0; s < KM_GEN_NSCEN; s++) {
        if (!(S->mask & (1u << s)))
            continue;
        uint32_t any = 0;
        for (int p = 0; p < KM_GEN_NPROV; p++)
            if (HAS(&B, p))
                any += km_gen_scen_records(s, p, w->naccounts);
        if (!any)
            return km_err_set(err, KM_EUSAGE, NULL, UINT64_MAX,
                              "--scenarios: %s has nothing to plant in --providers (it needs %s)",
                              km_gen_scen_names[s],
                              s == KM_GEN_SCEN_BRUTEFORCE ? "azure" : "aws");
        S->sc[s].on = 1;
    }
    struct km_rng r;
    km_rng_init(&r, w->seed, 0x5ce4a210ull); /* "scenarios" */
    cast(&B, &r);
    for (int s = 0; s < KM_GEN_NSCEN; s++)
        for (int k = 0; k < S->sc[s].nv; k++)
            B.victim[S->sc[s].v[k]] = 1;
    schedule(&B, &r);
    if (S->sc[KM_GEN_SCEN_STORY].on)
        story_truth(&B);
    int rc = KM_OK, failed = -1;
    static const int first[] = {KM_GEN_SCEN_SPRAY,     KM_GEN_SCEN_BRUTEFORCE, KM_GEN_SCEN_TRAVEL,
                                KM_GEN_SCEN_LATERAL,   KM_GEN_SCEN_LEAKEDKEY,
                                KM_GEN_SCEN_PERSISTENCE, KM_GEN_SCEN_PRIVILEGE,
                                KM_GEN_SCEN_EXPOSURE};
    for (size_t k = 0; k < KM_ARRAY_LEN(first) && !rc; k++) {
        int s = first[k];
        if (!S->sc[s].on)
            continue;
        struct km_rng sr;
        km_rng_init(&sr, w->seed, 0x5ce40000ull + (uint64_t)s);
        int64_t t0 = S->sc[s].t0;
        switch (s) {
        case KM_GEN_SCEN_SPRAY: rc = plan_spray(&B, t0, &sr); break;
        case KM_GEN_SCEN_BRUTEFORCE: rc = plan_brute(&B, t0, &sr); break;
        case KM_GEN_SCEN_TRAVEL: rc = plan_travel(&B, t0, &sr); break;
        case KM_GEN_SCEN_LATERAL: rc = plan_lateral(&B, t0, &sr); break;
        case KM_GEN_SCEN_LEAKEDKEY: rc = plan_leaked(&B, t0, &sr); break;
        case KM_GEN_SCEN_PERSISTENCE: rc = plan_persist(&B, t0, &sr); break;
        case KM_GEN_SCEN_PRIVILEGE: rc = plan_priv(&B, t0, &sr); break;
        default: rc = plan_expose(&B, t0, &sr); break;
        }
        if (rc)
            failed = s;
    }
    /* the silences last: they must not swallow anything planted in their account */
    int64_t stop[2] = {0, 0};
    struct km_rng sr[2];
    km_rng_init(&sr[0], w->seed, 0x5ce40000ull + KM_GEN_SCEN_TAMPERING);
    km_rng_init(&sr[1], w->seed, 0x5ce40000ull + KM_GEN_SCEN_INCIDENT);
    if (!rc && S->sc[KM_GEN_SCEN_TAMPERING].on && (failed = KM_GEN_SCEN_TAMPERING))
        rc = plan_tamper(&B, S->sc[KM_GEN_SCEN_TAMPERING].t0, &sr[0], &stop[0]);
    if (!rc && S->sc[KM_GEN_SCEN_INCIDENT].on && (failed = KM_GEN_SCEN_INCIDENT))
        rc = plan_incident(&B, S->sc[KM_GEN_SCEN_INCIDENT].t0, &sr[1], &stop[1]);
    if (!rc && stop[0] && (failed = KM_GEN_SCEN_TAMPERING))
        rc = plan_restore(&B, KM_GEN_SCEN_TAMPERING, stop[0], S->sc[KM_GEN_SCEN_TAMPERING].t0,
                          &sr[0]);
    if (!rc && stop[1] && (failed = KM_GEN_SCEN_INCIDENT))
        rc = plan_restore(&B, KM_GEN_SCEN_INCIDENT, stop[1], stop[1], &sr[1]);
    if (rc == KM_ENOMEM)
        return km_err_set(err, rc, NULL, UINT64_MAX, "out of memory (scenarios)");
    if (rc)
        return km_err_set(err, rc, NULL, UINT64_MAX, "cannot plan scenario %s",
                          failed >= 0 ? km_gen_scen_names[failed] : "?");
    /* every scenario planted exactly what --events was split for */
    for (int s = 1; s < KM_GEN_NSCEN; s++)
        for (int p = 0; p < KM_GEN_NPROV && S->sc[s].on; p++) {
            uint32_t want = HAS(&B, p) ? km_gen_scen_records(s, p, w->naccounts) : 0;
            if (S->sc[s].n[p] != want)
                return km_err_set(err, KM_EINTERNAL, NULL, UINT64_MAX,
                                  "scenario %s planted %u %s records, not %u", km_gen_scen_names[s],
                                  S->sc[s].n[p], p == 0 ? "aws" : p == 1 ? "azure" : "gcp", want);
        }
    /* (provider, time) order, stable: insertion sort (a few hundred plants) */
    for (uint32_t i = 1; i < S->npl; i++) {
        struct km_gen_plant x = S->pl[i];
        uint32_t j = i;
        while (j > 0 && plan_cmp(&S->pl[j - 1], &x) > 0) {
            S->pl[j] = S->pl[j - 1];
            j--;
        }
        S->pl[j] = x;
    }
    return KM_OK;
}

void km_gen_scen_free(struct km_gen_world *w)
{
    struct km_gen_scen *S = w->scen;
    if (!S)
        return;
    for (int s = 0; s < KM_GEN_NSCEN; s++)
        for (int k = 0; k < KM_GEN_NENT; k++) {
            for (uint32_t i = 0; i < S->sc[s].ent[k].n; i++)
                free(S->sc[s].ent[k].v[i]);
            free(S->sc[s].ent[k].v);
        }
    free(S->pl);
    free(S->aws);
    free(S);
    w->scen = NULL;
}

/* ---- the ground truth ---------------------------------------------------------------- */

static void js(struct km_gb *b, const char *s)
{
    km_gb_ch(b, '"');
    km_gb_esc(b, s, strlen(s));
    km_gb_ch(b, '"');
}

static void jiso(struct km_gb *b, int64_t t)
{
    km_gb_ch(b, '"');
    km_gb_iso(b, t);
    km_gb_ch(b, '"');
}

/* The end of second t: records carry sub-second fractions. */
static void jiso_end(struct km_gb *b, int64_t t)
{
    km_gb_ch(b, '"');
    km_gb_iso_frac(b, t, 999999, 6, "Z");
    km_gb_ch(b, '"');
}

static void jset(struct km_gb *b, const char *key, const struct km_gen_strset *st)
{
    js(b, key);
    J(b, ":[");
    for (uint32_t i = 0; i < st->n; i++) {
        if (i)
            km_gb_ch(b, ',');
        js(b, st->v[i]);
    }
    km_gb_ch(b, ']');
}

static void jcsv(struct km_gb *b, const char *csv)
{
    km_gb_ch(b, '[');
    for (const char *p = csv; *p;) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (p != csv)
            km_gb_ch(b, ',');
        km_gb_ch(b, '"');
        km_gb_mem(b, p, n);
        km_gb_ch(b, '"');
        p += n + (e != NULL);
    }
    km_gb_ch(b, ']');
}

static void jip(struct km_gb *b, uint32_t ip)
{
    km_gb_ch(b, '"');
    km_gb_ip4(b, ip);
    km_gb_ch(b, '"');
}

int km_gen_scen_truth(const struct km_gen_world *w, const struct km_gen_opts *o,
                      struct km_err *err)
{
    const struct km_gen_scen *S = w->scen;
    if (!S)
        return KM_OK;
    /* size: entities and notes are bounded per scenario */
    size_t cap = 65536;
    for (int s = 0; s < KM_GEN_NSCEN; s++)
        for (int k = 0; k < KM_GEN_NENT; k++)
            for (uint32_t i = 0; i < S->sc[s].ent[k].n; i++)
                cap += 2 * strlen(S->sc[s].ent[k].v[i]) + 8;
    struct km_gb bb = {NULL, 0, 0}, *b = &bb;
    if (km_gb_reserve(b, cap))
        return km_err_set(err, KM_ENOMEM, NULL, UINT64_MAX, "out of memory (ground truth)");
    static const char *const ek[KM_GEN_NENT] = {"ips",      "persons", "identities",
                                                "access_keys", "accounts", "roles",
                                                "resources", "countries", "event_ids"};
    char day[16];
    struct km_gen_tm tm;
    km_gen_gmtime(w->start, &tm);
    snprintf(day, sizeof day, "%04d-%02d-%02d", tm.year, tm.mon, tm.day);
    J(b, "{\"generator\":\"kumo gen\",\"format\":1,\"seed\":");
    km_gb_u64(b, w->seed);
    J(b, ",\"options\":{\"events\":");
    km_gb_u64(b, o->events);
    J(b, ",\"accounts\":");
    km_gb_u64(b, w->naccounts);
    J(b, ",\"start\":");
    js(b, day);
    J(b, ",\"days\":");
    km_gb_u64(b, w->days);
    J(b, ",\"providers\":[");
    static const char *const pn[KM_GEN_NPROV] = {"aws", "azure", "gcp"};
    for (int p = 0, f = 0; p < KM_GEN_NPROV; p++)
        if (S->providers & (1u << p)) {
            if (f++)
                km_gb_ch(b, ',');
            js(b, pn[p]);
        }
    J(b, "],\"scenarios\":[");
    for (int s = 0, f = 0; s < KM_GEN_NSCEN; s++)
        if (S->sc[s].on) {
            if (f++)
                km_gb_ch(b, ',');
            js(b, km_gen_scen_names[s]);
        }
    J(b, "]},\"scenarios\":[");
    for (int s = 0, f = 0; s < KM_GEN_NSCEN; s++) {
        const struct km_gen_sc *c = &S->sc[s];
        if (!c->on)
            continue;
        if (f++)
            km_gb_ch(b, ',');
        J(b, "\n{\"scenario\":");
        js(b, km_gen_scen_names[s]);
        J(b, ",\"detections\":");
        jcsv(b, sc_detections[s]);
        J(b, ",\"also\":");
        jcsv(b, sc_also[s]);
        J(b, ",\"first\":");
        jiso(b, c->first);
        J(b, ",\"last\":");
        jiso_end(b, c->last);
        J(b, ",\"records\":{\"aws\":");
        km_gb_u64(b, s == 0 ? (S->providers & KM_GEN_P_AWS ? KM_GEN_STORY_N_AWS : 0) : c->n[0]);
        J(b, ",\"azure\":");
        km_gb_u64(b, s == 0 ? (S->providers & KM_GEN_P_AZURE ? KM_GEN_STORY_N_AZURE : 0) : c->n[1]);
        J(b, ",\"gcp\":");
        km_gb_u64(b, s == 0 ? (S->providers & KM_GEN_P_GCP ? KM_GEN_STORY_N_GCP : 0) : c->n[2]);
        J(b, "},\"entities\":{");
        for (int k = 0; k < KM_GEN_E_EVENTS; k++) {
            if (k)
                km_gb_ch(b, ',');
            jset(b, ek[k], &c->ent[k]);
        }
        J(b, "},");
        jset(b, ek[KM_GEN_E_EVENTS], &c->ent[KM_GEN_E_EVENTS]);
        J(b, ",\"silences\":[");
        for (int k = 0, g = 0; k < S->nsil; k++) {
            const struct km_gen_silence *sl = &S->sil[k];
            if (sl->scen != s)
                continue;
            if (g++)
                km_gb_ch(b, ',');
            J(b, "{\"provider\":\"aws\",\"source\":\"aws.cloudtrail\",\"account\":");
            js(b, w->accounts[sl->acct].id);
            J(b, ",\"regions\":\"all\",\"trail\":");
            js(b, w->accounts[sl->acct].trail_arn);
            J(b, ",\"from\":");
            jiso(b, sl->from);
            J(b, ",\"until\":");
            jiso(b, sl->until);
            if (sl->data_from != sl->from) {
                J(b, ",\"data_events_from\":");
                jiso(b, sl->data_from);
            }
            J(b, ",\"restored_by\":");
            js(b, w->persons[sl->responder].email);
            J(b, ",\"restore_event_ids\":[");
            for (int i = 0; i < sl->nids; i++) {
                if (i)
                    km_gb_ch(b, ',');
                js(b, sl->ids[i]);
            }
            J(b, "]}");
        }
        J(b, "],\"notes\":");
        js(b, c->notes);
        km_gb_ch(b, '}');
    }
    /* what the background holds that must not alert (docs/generator.md) */
    J(b, "],\n\"background\":{\"offices\":[");
    for (uint32_t k = 0; k < w->noffices; k++) {
        if (k)
            km_gb_ch(b, ',');
        J(b, "{\"city\":");
        js(b, w->offices[k].city);
        J(b, ",\"country\":");
        js(b, km_gen_place_of(w->offices[k].city)->country);
        J(b, ",\"nat\":[");
        jip(b, w->offices[k].nat[0]);
        km_gb_ch(b, ',');
        jip(b, w->offices[k].nat[1]);
        J(b, "]}");
    }
    J(b, "],\"vpn\":{\"country\":\"DE\",\"addresses\":[");
    jip(b, w->vpn[0]);
    km_gb_ch(b, ',');
    jip(b, w->vpn[1]);
    J(b, "]},\"scanner\":{\"role\":\"cspm-readonly-audit\",\"account\":");
    js(b, w->security_account);
    J(b, ",\"addresses\":[");
    for (int k = 0; k < 4; k++) {
        if (k)
            km_gb_ch(b, ',');
        jip(b, w->scanner_ip[k]);
    }
    J(b, "]},\"partner_account\":");
    js(b, w->partner_account);
    J(b, ",\"service_users\":[");
    for (uint32_t i = 0, f = 0; i < w->nactors; i++) {
        const struct km_gen_actor *a = &w->actors[i];
        if (a->kind != KM_GEN_K_IAMMACHINE)
            continue;
        if (f++)
            km_gb_ch(b, ',');
        J(b, "{\"account\":");
        js(b, w->accounts[a->account].id);
        J(b, ",\"user\":");
        js(b, a->name);
        J(b, ",\"access_key\":");
        js(b, a->key);
        J(b, ",\"ip\":");
        jip(b, a->ip);
        km_gb_ch(b, '}');
    }
    J(b, "]}}\n");

    char path[1200];
    int n = snprintf(path, sizeof path, "%s/%s", o->out_dir, KM_GEN_TRUTH_FILE);
    int rc = KM_OK;
    if (n < 0 || (size_t)n >= sizeof path) {
        rc = km_err_set(err, KM_EUSAGE, o->out_dir, UINT64_MAX, "output path too long");
    } else {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0) {
            rc = km_err_set(err, KM_EIO, path, UINT64_MAX, "cannot create file: %s",
                            strerror(errno));
        } else {
            size_t off = 0;
            while (off < b->n) {
                ssize_t k = write(fd, b->p + off, b->n - off);
                if (k < 0 && errno == EINTR)
                    continue;
                if (k <= 0) {
                    rc = km_err_set(err, KM_EIO, path, off, "write failed: %s",
                                    k < 0 ? strerror(errno) : "short write");
                    break;
                }
                off += (size_t)k;
            }
            if (close(fd) != 0 && !rc)
                rc = km_err_set(err, KM_EIO, path, UINT64_MAX, "close failed: %s", strerror(errno));
        }
    }
    km_gb_free(b);
    return rc;
}
