/*
 * gen_int.h — what the generator's files share: the output buffer writer,
 * the world (the fictional organisation built by world.c), the per-thread
 * state and the provider interface the driver (gen.c) runs.
 *
 * Not a public header: only src/gen/ includes it.
 *
 *   gen.c (driver) ── world.c builds struct km_gen_world from the seed
 *        │
 *        └─ for each chosen provider (CloudTrail, Azure, GCP): plan() → N
 *           units; threads call unit(u) for every u; a unit formats JSON into
 *           ts->json and hands each file to km_gen_emit(), which gzips
 *           (libdeflate) and writes it, or km_gen_emit_plain(), which writes
 *           it as it is (Azure and GCP deliver uncompressed JSON Lines).
 */
#ifndef KM_GEN_INT_H
#define KM_GEN_INT_H

#include "gen/gen.h"

#include <string.h>

/* ---- output buffer ------------------------------------------------------ */

/*
 * A growable byte buffer. Writers call km_gb_reserve() once for a bounded
 * piece (one record is far below KM_GB_RECORD_MAX) and then append without
 * further checks. cap never exceeds KM_GB_CEILING.
 */
#define KM_GB_RECORD_MAX (64u * 1024u)
#define KM_GB_CEILING ((size_t)1 << 31)

struct km_gb {
    char *p;
    size_t n, cap;
};

/* Makes room for `more` bytes. Returns KM_OK or KM_ENOMEM (ceiling/malloc). */
int km_gb_reserve(struct km_gb *b, size_t more);
void km_gb_free(struct km_gb *b);

#define KM_GB_LIT(b, s) km_gb_mem((b), "" s, sizeof(s) - 1) /* s must be a literal */

static inline void km_gb_mem(struct km_gb *b, const void *s, size_t n)
{
    memcpy(b->p + b->n, s, n);
    b->n += n;
}

static inline void km_gb_str(struct km_gb *b, const char *s)
{
    km_gb_mem(b, s, strlen(s));
}

static inline void km_gb_ch(struct km_gb *b, char c)
{
    b->p[b->n++] = c;
}

extern const char km_gen_digits2[200];

static inline void km_gb_2d(struct km_gb *b, unsigned v)
{
    memcpy(b->p + b->n, km_gen_digits2 + 2 * (v % 100), 2);
    b->n += 2;
}

static inline void km_gb_u64(struct km_gb *b, uint64_t v)
{
    char t[24];
    int i = 24;
    do {
        t[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    km_gb_mem(b, t + i, (size_t)(24 - i));
}

/* n lowercase hex digits of v (n <= 16). */
static inline void km_gb_hex(struct km_gb *b, uint64_t v, int n)
{
    static const char hx[] = "0123456789abcdef";
    for (int i = n - 1; i >= 0; i--) {
        b->p[b->n + (size_t)i] = hx[v & 15];
        v >>= 4;
    }
    b->n += (size_t)n;
}

/* A version-4 UUID from the PRNG: 8-4-4-4-12 lowercase hex. */
void km_gb_uuid(struct km_gb *b, struct km_rng *r);
/* n characters drawn uniformly from the NUL-terminated alphabet `set`. */
void km_gb_rand(struct km_gb *b, struct km_rng *r, const char *set, int n);
/* Dotted-quad text of a host-order IPv4 address. */
void km_gb_ip4(struct km_gb *b, uint32_t ip);
/* JSON-escaped copy of s (quotes, backslashes, control bytes). */
void km_gb_esc(struct km_gb *b, const char *s, size_t n);

#define KM_GEN_UPPER "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
#define KM_GEN_ALNUM "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
#define KM_GEN_B32 "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
#define KM_GEN_UPNUM "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

/* Writes a NUL-terminated random string into dst (n characters). */
void km_gen_rand_str(char *dst, struct km_rng *r, const char *set, int n);

/* ---- calendar ----------------------------------------------------------- */

struct km_gen_tm {
    int year, mon, day;    /* 1-based month and day */
    int hour, min, sec;
    int wday;              /* 0 = Sunday */
};
/* Breaks Unix seconds (UTC, >= 0) into calendar fields. */
void km_gen_gmtime(int64_t t, struct km_gen_tm *tm);
/* "2026-10-01T09:12:33Z" */
void km_gb_iso(struct km_gb *b, int64_t t);
/* "Oct 1, 2026 9:12:33 AM" (the format IAM and STS responses use) */
void km_gb_awsdate(struct km_gb *b, int64_t t);

/* ---- the world ---------------------------------------------------------- */

#define KM_GEN_NONE 0xffffu
#define KM_GEN_NREGIONS 17          /* index 0 is us-east-1 (global services) */
extern const char *const km_gen_regions[KM_GEN_NREGIONS];

/* Services CloudTrail events come from (order matters: tables index it). */
enum km_gen_svc {
    KM_GEN_SVC_EC2 = 0,
    KM_GEN_SVC_S3,
    KM_GEN_SVC_IAM,
    KM_GEN_SVC_STS,
    KM_GEN_SVC_LAMBDA,
    KM_GEN_SVC_KMS,
    KM_GEN_SVC_CLOUDTRAIL,
    KM_GEN_SVC_LOGS,
    KM_GEN_SVC_SECRETS,
    KM_GEN_SVC_SSM,
    KM_GEN_SVC_RDS,
    KM_GEN_SVC_ORG,
    KM_GEN_SVC_SIGNIN,
    KM_GEN_NSVC
};

/* Who an actor is. */
enum km_gen_kind {
    KM_GEN_K_SSO = 0,      /* person through IAM Identity Center (AssumedRole) */
    KM_GEN_K_IAMHUMAN,     /* person with a legacy IAM user and access key */
    KM_GEN_K_ROOT,         /* the account's root user */
    KM_GEN_K_LAMBDA,       /* a Lambda function's execution role */
    KM_GEN_K_EC2,          /* an EC2 instance profile role */
    KM_GEN_K_CI,           /* CI pipeline role via OIDC (GitHub Actions) */
    KM_GEN_K_TERRAFORM,    /* deployment role assumed by people */
    KM_GEN_K_SCANNER,      /* security posture scanner from the security account */
    KM_GEN_K_IAMMACHINE,   /* service IAM user with a long-term key */
    KM_GEN_K_SERVICE,      /* an AWS service acting for the account (AWSService) */
    KM_GEN_K_XACCOUNT,     /* a partner account using shared resources (AWSAccount) */
    KM_GEN_K_FEDERATED,    /* GetFederationToken user (FederatedUser) */
    KM_GEN_NKINDS
};

/* Operation weight classes (columns of the operation table). */
enum km_gen_cls {
    KM_GEN_C_HUMAN = 0,
    KM_GEN_C_LAMBDA,
    KM_GEN_C_HOST,        /* EC2 instances and on-premises machine users */
    KM_GEN_C_SCANNER,
    KM_GEN_C_DEPLOY,      /* CI and Terraform */
    KM_GEN_C_SERVICE,
    KM_GEN_C_EXTERNAL,    /* partner accounts, federated users */
    KM_GEN_NCLS
};

/* Activity shapes over the week. */
enum km_gen_shape {
    KM_GEN_SH_OFFICE = 0, /* working hours in the actor's time zone, quiet weekends */
    KM_GEN_SH_FLAT,       /* always on, mildly following the organisation's day */
    KM_GEN_SH_SWEEP,      /* one window per hour (scanners) */
    KM_GEN_SH_DEPLOY,     /* working hours on weekdays only, bursty */
};

enum km_gen_job { KM_GEN_JOB_DEV = 0, KM_GEN_JOB_OPS, KM_GEN_JOB_DATA, KM_GEN_JOB_SEC,
                  KM_GEN_JOB_ADMIN, KM_GEN_JOB_FIN, KM_GEN_NJOBS };

#define KM_GEN_UA_MAX 384

/*
 * A person of the organisation. A person acts through one actor per account
 * they can reach (SSO) and possibly a legacy IAM user; the e-mail address is
 * the key that joins them across accounts (and later across clouds).
 * User-agent templates may hold '\x01' (replaced by "svc.command", as
 * aws-cli v2 reports it) and '\x02' (replaced by the SDK's API id).
 */
struct km_gen_person {
    char login[40];             /* alice.smith */
    char email[64];             /* alice.smith@example.org */
    int16_t tz_min;             /* UTC offset of the working day, minutes */
    int16_t shift_min;          /* personal start of the day, -60..+60 minutes */
    uint8_t job;                /* enum km_gen_job */
    uint8_t office;             /* index in world.offices */
    uint8_t remote;             /* works from home most days */
    uint8_t has_ip6;            /* home line has IPv6 */
    uint32_t home_ip;           /* IPv4, host order */
    uint16_t ip6[8];            /* home IPv6 address */
    float rate;                 /* activity factor */
    float console;              /* share of bursts done in the web console */
    char ua_cli[KM_GEN_UA_MAX];
    char ua_sdk[KM_GEN_UA_MAX];
    char ua_browser[KM_GEN_UA_MAX];
    char ua_tf[KM_GEN_UA_MAX];
};

struct km_gen_office {
    const char *city;
    int16_t tz_min;
    uint32_t nat[2];            /* office egress addresses */
};

struct km_gen_bucket {
    char name[64];
    uint8_t region;
    uint8_t has_policy, has_tags, has_logging, has_enc;
    uint8_t kind;               /* 0 data, 1 logs, 2 artefacts, 3 backups, 4 state */
    uint8_t project;            /* index in the account's projects */
};

struct km_gen_instance {
    char id[20];                /* i-0123456789abcdef0 */
    uint8_t region;
    uint32_t private_ip, public_ip;
};

#define KM_GEN_MAX_BUCKETS 10
#define KM_GEN_MAX_FUNCS 10
#define KM_GEN_MAX_INST 8
#define KM_GEN_MAX_DBS 4
#define KM_GEN_MAX_SECRETS 8
#define KM_GEN_MAX_PARAMS 12
#define KM_GEN_MAX_KEYS 4
#define KM_GEN_MAX_SG 8
#define KM_GEN_MAX_ROLES 24
#define KM_GEN_MAX_USERS 8

struct km_gen_account {
    char id[13];
    char name[16];              /* prod, staging, ... */
    uint8_t home;               /* home region index */
    uint8_t regions[4];         /* active regions, home first */
    uint8_t nregions;
    uint8_t mgmt;               /* the organisation's management account */
    uint8_t vpce;               /* workloads reach AWS APIs through VPC endpoints */
    uint32_t nat[2];            /* NAT gateway egress addresses (home region) */
    char trail_arn[128];
    char sso_suffix[8][17];     /* per permission set: AWSReservedSSO_<set>_<suffix> */
    struct km_gen_bucket buckets[KM_GEN_MAX_BUCKETS];
    int nbuckets;
    char funcs[KM_GEN_MAX_FUNCS][48];
    uint8_t func_region[KM_GEN_MAX_FUNCS];
    int nfuncs;
    struct km_gen_instance inst[KM_GEN_MAX_INST];
    int ninst;
    char dbs[KM_GEN_MAX_DBS][40];
    int ndbs;
    char secrets[KM_GEN_MAX_SECRETS][64];   /* name-XXXXXX (ARN suffix included) */
    int nsecrets;
    char params[KM_GEN_MAX_PARAMS][64];
    int nparams;
    char keys[KM_GEN_MAX_KEYS][37];         /* KMS key ids (UUIDs) */
    int nkeys;
    char sgs[KM_GEN_MAX_SG][24];            /* sg-0... */
    int nsgs;
    char vpc[24];
    char subnets[3][28];
    char roles[KM_GEN_MAX_ROLES][64];       /* IAM role names */
    int nroles;
    char users[KM_GEN_MAX_USERS][40];       /* IAM user names */
    int nusers;
    char projects[4][16];                   /* project words used for names */
    int nprojects;
    uint32_t first_actor, nactors;          /* slice of world.actors */
};

/*
 * An identity that produces events in one account. String fields are
 * NUL-terminated; "" when not used by the kind.
 */
struct km_gen_actor {
    uint8_t kind;               /* enum km_gen_kind */
    uint8_t cls;                /* enum km_gen_cls */
    uint8_t shape;              /* enum km_gen_shape */
    uint8_t account;            /* index in world.accounts */
    uint16_t person;            /* index in world.persons or KM_GEN_NONE */
    uint16_t res;               /* function / instance index for workloads */
    uint8_t region;             /* workload region */
    uint8_t mfa;                /* console sign-ins use MFA */
    uint8_t sweep;              /* SWEEP: window of the hour, 0..11 */
    uint8_t tls12;              /* old client: negotiates TLS 1.2 */
    uint8_t sso_set;            /* SSO permission set index */
    int16_t tz_min;             /* OFFICE/DEPLOY shapes: UTC offset */
    int16_t shift_min;
    float rate;                 /* events per hour at full activity */
    uint8_t svc_w[KM_GEN_NSVC]; /* service weights for this actor's bursts */
    uint32_t ip;                /* fixed source IPv4 (machines), 0 if none */
    char name[96];              /* user name, role name or service host */
    char session[72];           /* fixed role session name, "" if per session */
    char principal[24];         /* AIDA... / AROA... */
    char key[24];               /* AKIA... (IAM users) */
    char issuer_arn[200];       /* role ARN (roles), user ARN (users) */
    char other_account[13];     /* caller's account (XACCOUNT, SCANNER) */
    char ua[KM_GEN_UA_MAX];     /* machines: fixed user-agent template */
};

#define KM_GEN_MAX_PERSONS 400
#define KM_GEN_MAX_OFFICES 4

struct km_gen_world {
    uint64_t seed;
    int64_t start;              /* first day 00:00 UTC */
    uint32_t days;
    uint32_t naccounts;
    struct km_gen_account *accounts;
    uint32_t npersons;
    struct km_gen_person *persons;
    uint32_t nactors;
    struct km_gen_actor *actors;
    uint32_t noffices;
    struct km_gen_office offices[KM_GEN_MAX_OFFICES];
    uint32_t vpn[2];            /* corporate VPN egress */
    uint32_t scanner_ip[4];     /* posture scanner vendor egress */
    char org[24];               /* organisation word used in names */
    char org_id[16];            /* o-xxxxxxxxxx */
    char security_account[13];  /* where the scanner role lives */
    char partner_account[13];   /* external account using shared data */
    uint8_t sso_region;         /* IAM Identity Center home region */
    int16_t org_tz;             /* time zone of the organisation's main office */
    uint16_t story_person;      /* person behind the story user */
    uint32_t story_actor;       /* mallory.ops in account 0 */
    uint8_t start_wday;         /* weekday of the first day, 0 = Sunday */
    struct km_gen_scen *scen;   /* the planted scenarios (gen_scen.c); set by the driver */
};

/* SSO permission sets (index = sso_set). */
extern const char *const km_gen_sso_sets[8];

/* Builds the world for (seed, accounts, start, days). Returns KM_OK or
 * KM_ENOMEM; free with km_gen_world_free(). */
int km_gen_world_build(struct km_gen_world *w, uint64_t seed, uint32_t accounts,
                       int64_t start, uint32_t days, struct km_err *err);
void km_gen_world_free(struct km_gen_world *w);

/*
 * Relative activity (0..~1.5) of actor a in global 5-minute window g
 * (g = 0 is the first window of the first day). Deterministic.
 */
double km_gen_activity(const struct km_gen_world *w, const struct km_gen_actor *a,
                       uint32_t g);
/* The same, remembering the actor's day factors in *c between calls (zero it
 * before the first call for an actor). */
struct km_gen_actcache {
    int valid, weekend, no_deploy;
    int64_t day;
    double dayf;
};
double km_gen_activity_c(const struct km_gen_world *w, const struct km_gen_actor *a, uint32_t g,
                         struct km_gen_actcache *c);

/* An address in AWS's space for a region; `bits` picks it. */
uint32_t km_gen_aws_ip(int region, uint64_t bits);

/* Where person p is on day-of-dataset d: writes the source address text for
 * that day into b (office NAT, home IPv4/IPv6, or VPN). */
void km_gen_person_ip(const struct km_gen_world *w, uint32_t p, uint32_t d, struct km_gb *b);

/*
 * Relative activity of person p in 5-minute window g: the office curve in
 * their time zone with their day factors, exactly as their IAM Identity
 * Center actor in CloudTrail (so a day off is a day off in every cloud).
 * c caches day factors between calls for the same person (zero it first).
 */
double km_gen_person_activity(const struct km_gen_world *w, uint32_t p, uint32_t g,
                              struct km_gen_actcache *c);

/* "2026-10-01T09:12:33." + `digits` digits of frac + zone ("Z", "+00:00"). */
void km_gb_iso_frac(struct km_gb *b, int64_t t, uint64_t frac, int digits, const char *zone);

/* Which clouds besides AWS person p works in (everyone has an Entra ID
 * account and signs in): KM_GEN_C_AZURE (Azure RBAC roles, so Activity log
 * entries) and KM_GEN_C_GCP (Google Cloud roles). Operations, admins and
 * security people work in all three. */
#define KM_GEN_C_AZURE 1u
#define KM_GEN_C_GCP 2u
unsigned km_gen_person_clouds(const struct km_gen_world *w, uint32_t p);

/* Index of the first cum[i] > x in an increasing array of n > 0 values
 * (weighted pick: x uniform in [0, cum[n-1])). */
static inline uint32_t km_gen_pick(const double *cum, uint32_t n, double x)
{
    uint32_t lo = 0, hi = n - 1;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (cum[mid] > x)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* "alice.smith" -> "Alice Smith" (the display name every cloud shows). */
void km_gen_display_name(const struct km_gen_person *p, char *dst, size_t n);

/* Where an office is, for sign-in locations. */
struct km_gen_place {
    const char *city, *state, *country; /* country: ISO 3166 alpha-2 */
    double lat, lon;
    uint32_t asn;               /* a local access provider's AS number */
};
/* The place of an office city (world.offices[].city), or of the story's
 * foreign address when city is NULL. Never NULL. */
const struct km_gen_place *km_gen_place_of(const char *city);

/* ---- the story (docs/generator.md) ------------------------------------------ */

#define KM_GEN_STORY_IP "203.0.113.66"
#define KM_GEN_STORY_N_AWS 8        /* CloudTrail records of the story */
#define KM_GEN_STORY_N_AZURE 22     /* 19 failed + 2 successful sign-ins, 1 denied write */
#define KM_GEN_STORY_N_GCP 3        /* SetIamPolicy, CreateServiceAccountKey, a denied call */

/* Unix time of the story's first CloudTrail call: 03:13:07 in mallory's time
 * zone on the third day (the last if --days < 3). The Entra password spray
 * starts 50 minutes earlier, the Google Cloud steps 17 minutes later. */
int64_t km_gen_story_t0(const struct km_gen_world *w);

/* ---- planted scenarios (gen_scen.c, docs/generator.md "Scenarios") ----------- */

/*
 * The driver builds the scenarios from the world before any provider runs
 * (km_gen_scen_build): who is attacked, from which addresses, when, and one
 * km_gen_plant per planted record. CloudTrail records are rendered there
 * (they need nothing but the world); Azure and Google Cloud records are
 * rendered by their providers at plan time from the plant's fields, because
 * they need the tenant's and the projects' ids. Each provider's plan then
 * gives every unit its plants, takes their count off its background share,
 * and adds what it rendered to the ground truth (entities, times, event
 * ids). After the logs the driver writes the ground truth.
 */

/* Ground-truth entity kinds (the arrays of a finding's `entities`), and the
 * providers' own event ids. */
enum km_gen_ent { KM_GEN_E_IPS = 0, KM_GEN_E_PERSONS, KM_GEN_E_IDENTITIES, KM_GEN_E_KEYS,
                  KM_GEN_E_ACCOUNTS, KM_GEN_E_ROLES, KM_GEN_E_RESOURCES, KM_GEN_E_COUNTRIES,
                  KM_GEN_E_EVENTS, KM_GEN_NENT };

/* What a plant is (the provider renders it). */
enum km_gen_pk {
    KM_GEN_PK_AWS = 0,          /* a CloudTrail record, rendered in scen->aws */
    KM_GEN_PK_AZ_SIGNIN,        /* an Entra ID sign-in (res: KM_GEN_AZR_*, app: KM_GEN_AZA_*) */
    KM_GEN_PK_AZ_RA,            /* Activity: roleAssignments/write (res: 0 Start, 1 Success;
                                   app: KM_GEN_AZROLE_*; who2: the assignee; acct: scope) */
    KM_GEN_PK_AZ_LISTKEYS,      /* Activity: storageAccounts/listKeys/action (res: phase) */
    KM_GEN_PK_AZ_RUNCMD,        /* Activity: virtualMachines/runCommand/action (res: phase) */
    KM_GEN_PK_AZ_DIAGDEL,       /* Activity: diagnosticSettings/delete (res: phase) */
    KM_GEN_PK_AZ_AUDIT,         /* Entra audit log: app credential (app: 0 secret, 1 update) */
    KM_GEN_PK_GC_LOGIN,         /* Workspace login audit: loginFailure (res 0) / loginSuccess */
    KM_GEN_PK_GC_BQ,            /* BigQuery job (app: 0 InsertJob, 1 GetQueryResults) */
    KM_GEN_PK_GC_GENTOKEN,      /* iamcredentials GenerateAccessToken for a workload SA */
    KM_GEN_PK_GC_ASSA,          /* a call as that SA, delegated (app: 0 list objects, 1 get) */
    KM_GEN_PK_GC_SAKEY,         /* CreateServiceAccountKey for a workload SA */
    KM_GEN_PK_GC_SAKEYUSE,      /* a call with that key (app: 0 list buckets, 1 list objects) */
    KM_GEN_PK_GC_OWNER,         /* SetIamPolicy: roles/owner to an outside user */
    KM_GEN_PK_GC_PUBLIC,        /* storage.setIamPermissions: allUsers objectViewer */
    KM_GEN_PK_GC_DELSINK,       /* DeleteSink of a project sink */
};

/* Entra ID sign-in results and apps a plant asks for. */
enum { KM_GEN_AZR_BADPW = 0, KM_GEN_AZR_LOCKED, KM_GEN_AZR_OK_SF, KM_GEN_AZR_OK_CLAIM,
       KM_GEN_AZR_OK_MFA };
enum { KM_GEN_AZA_OFFICEHOME = 0, KM_GEN_AZA_PORTAL, KM_GEN_AZA_OFFICE, KM_GEN_AZA_CLI,
       KM_GEN_AZA_AADPS };
enum { KM_GEN_AZROLE_OWNER = 0, KM_GEN_AZROLE_CONTRIB };

#define KM_GEN_OWN_IP 0xff      /* plant.ip: the person's own address of that day */

struct km_gen_plant {
    int64_t t;
    uint8_t scen;               /* KM_GEN_SCEN_* */
    uint8_t prov;               /* KM_GEN_PROV_* */
    uint8_t kind;               /* enum km_gen_pk */
    uint8_t acct;               /* AWS account, Azure subscription or GCP project index */
    uint8_t region;             /* AWS region index */
    uint8_t ip;                 /* index in the scenario's ip[], or KM_GEN_OWN_IP */
    uint8_t res, app;           /* kind-specific (see enum km_gen_pk) */
    uint16_t who, who2;         /* acting person, person acted on (KM_GEN_NONE) */
    uint32_t corr;              /* shared by the records of one operation */
    uint32_t text, len;         /* KM_GEN_PK_AWS: the record in scen->aws */
    const char *ua;             /* user agent; NULL: the person's own */
    const char *str;            /* kind-specific text (an outside member, a name) */
    uint64_t seed;              /* the record's own randomness */
};

struct km_gen_strset {
    char **v;
    uint32_t n, cap;
};

#define KM_GEN_SC_MAXIP 4
#define KM_GEN_SC_MAXV 6
#define KM_GEN_SC_MAXTG 24

/* One scenario as planned. */
struct km_gen_sc {
    uint8_t on;
    int64_t t0;                 /* when it starts (first planted record of its plan) */
    int64_t first, last;        /* planted records' times (set as records are placed) */
    uint32_t ip[KM_GEN_SC_MAXIP];
    const struct km_gen_place *place[KM_GEN_SC_MAXIP];
    uint8_t nip;
    uint16_t v[KM_GEN_SC_MAXV]; /* victims: persons whose identities are used or granted */
    uint8_t nv;
    uint16_t tg[KM_GEN_SC_MAXTG]; /* spray targets */
    uint8_t ntg;
    uint8_t acct[3];            /* AWS accounts it touches */
    uint8_t sub[2], proj;       /* Azure subscriptions, GCP project (indices, clamped by the
                                   providers to what exists) */
    uint32_t n[KM_GEN_NPROV];   /* records planted per provider */
    struct km_gen_strset ent[KM_GEN_NENT];
    char notes[768];
};

/* A CloudTrail stream silenced by a planted StopLogging: every record of the
 * account (all regions) after `from` and before `until` is not delivered, nor
 * its S3 data events after `data_from` (PutEventSelectors). */
struct km_gen_silence {
    uint8_t acct, scen;
    uint16_t responder;         /* the person who starts the trail again */
    int64_t data_from, from, until;
    char ids[2][37];            /* eventIDs of the responder's records */
    int nids;
};

struct km_gen_scen {
    unsigned mask;              /* KM_GEN_SCEN_* bits in effect */
    unsigned providers;         /* KM_GEN_P_* */
    struct km_gen_sc sc[KM_GEN_NSCEN];
    struct km_gen_plant *pl;    /* every plant, in (provider, time) order */
    uint32_t npl, cappl;
    char *aws;                  /* rendered CloudTrail plants */
    size_t aws_n, aws_cap;
    struct km_gen_silence sil[2];
    int nsil;
    char last_eid[37];          /* eventID of the last CloudTrail plant rendered */
};

/* Builds the scenarios of o->scenarios for world w (w->scen is set). Returns
 * KM_OK or KM_ENOMEM / KM_EUSAGE (a scenario that cannot be planted). */
int km_gen_scen_build(struct km_gen_world *w, const struct km_gen_opts *o, struct km_err *err);
void km_gen_scen_free(struct km_gen_world *w);
/* Plants of provider prov: *first index and *n. */
void km_gen_scen_plants(const struct km_gen_world *w, int prov, uint32_t *first, uint32_t *n);
/* The story is planted (default). */
int km_gen_scen_story(const struct km_gen_world *w);
/* Ground truth: adds an entity (formatted, deduplicated) / a record's time. */
void km_gen_scen_ent(const struct km_gen_world *w, int scen, int kind, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void km_gen_scen_time(const struct km_gen_world *w, int scen, int64_t t);
/* The address text of plant p (a scenario address or the person's own). */
void km_gen_scen_ip(const struct km_gen_world *w, const struct km_gen_plant *p, struct km_gb *b);
/* Where plant p's address is (the person's office for their own address). */
const struct km_gen_place *km_gen_scen_place(const struct km_gen_world *w,
                                             const struct km_gen_plant *p);
/* Writes out_dir/kumo-ground-truth.json. Returns KM_OK or KM_EIO. */
int km_gen_scen_truth(const struct km_gen_world *w, const struct km_gen_opts *o,
                      struct km_err *err);

/* ---- driver ↔ provider ---------------------------------------------------- */

struct libdeflate_compressor;

/* Per-thread state the driver owns and hands to every unit it runs. */
struct km_gen_thread {
    struct km_gb json;          /* one file's JSON */
    struct km_gb gz;            /* its compressed form */
    struct km_gb side[2];       /* scratch for providers */
    void *scratch;              /* provider scratch (freed with free()) */
    size_t scratch_cap;
    struct libdeflate_compressor *cmp;
    const char *out_dir;
    int force;
    uint64_t events, files, bytes, raw_bytes;
    char path[1024];
};

/* Splits `events` records over n units in proportion to weights wt[] (whose
 * sum is total) by cumulative rounding: counts add up exactly to `events`,
 * and are deterministic for the same weights. */
void km_gen_apportion(const double *wt, uint64_t n, double total, uint64_t events,
                      uint32_t *count);

/*
 * Gzips ts->json and writes it to out_dir/relpath with one write(2),
 * creating directories as needed. Resets ts->json. Returns KM_OK, KM_EIO or
 * KM_ENOMEM.
 */
int km_gen_emit(struct km_gen_thread *ts, const char *relpath, uint64_t records,
                struct km_err *err);
/* The same without compression: writes ts->json as it is. With append set,
 * adds to the file an earlier call of the same unit created (for hourly
 * blobs written in pieces, so a unit's memory stays bounded). */
int km_gen_emit_plain(struct km_gen_thread *ts, const char *relpath, uint64_t records,
                      int append, struct km_err *err);

/* A provider: cuts its share of the events into independent units. */
struct km_gen_provider {
    const char *name;
    /* Prepares the plan for `events` records; *state is passed to unit(). */
    int (*plan)(const struct km_gen_world *w, uint64_t events, void **state,
                uint64_t *nunits, struct km_err *err);
    /* Writes unit u. Must depend only on (state, u). */
    int (*unit)(void *state, uint64_t u, struct km_gen_thread *ts, struct km_err *err);
    void (*free)(void *state);
};

extern const struct km_gen_provider km_gen_cloudtrail;
extern const struct km_gen_provider km_gen_azure;
extern const struct km_gen_provider km_gen_gcp;

#endif
