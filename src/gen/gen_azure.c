/*
 * gen_azure.c — the Azure provider of `kumo gen`: Microsoft Entra ID sign-in
 * logs and the Azure Activity log of the world's organisation, as diagnostic
 * settings write them to a storage account (one JSON object per line,
 * uncompressed, one append blob per hour):
 *
 *   insights-logs-signinlogs/resourceId=/tenants/<tenant>/providers/Microsoft.aadiam/
 *       y=YYYY/m=MM/d=DD/h=HH/m=00/PT1H.json                        (category SignInLogs)
 *   insights-logs-noninteractiveusersigninlogs/resourceId=/tenants/<tenant>/providers/
 *       Microsoft.aadiam/y=YYYY/m=MM/d=DD/h=HH/m=00/PT1H.json       (NonInteractiveUserSignInLogs)
 *   insights-activity-logs/resourceId=/SUBSCRIPTIONS/<SUBSCRIPTION>/
 *       y=YYYY/m=MM/d=DD/h=HH/m=00/PT1H.json                        (Administrative)
 *
 * Every person of the world has an Entra ID account whose userPrincipalName
 * is their e-mail address (the IAM Identity Center session name in
 * CloudTrail, the principalEmail in Google Cloud) and signs in interactively
 * (OfficeHome, the Azure portal, the AWS IAM Identity Center and Google Cloud
 * enterprise apps, Teams, Office, Azure CLI) and non-interactively (token
 * refreshes) from the same addresses and in the same working hours as in
 * AWS. People with Azure roles, a deployment pipeline and an automation
 * service principal per subscription change resources: every operation is a
 * Start record and a Success record with one correlationId, or one Failure
 * (Forbidden for a Reader's write or a Contributor's role assignment).
 *
 * Plan: units are (stream, hour); streams are the two sign-in categories and
 * one Activity log per subscription. The provider's share of --events is
 * split over streams by fixed fractions and over hours by the summed
 * activity of the stream's actors, exactly (cumulative rounding). A unit
 * draws bursts from its own PRNG stream, sorts its records by second and
 * writes the hour's blob (in pieces for very large hours).
 *
 * The story (docs/generator.md): a password spray from 203.0.113.66 against
 * ten people of the tenant (50126), ending in a successful sign-in as
 * mallory 50 minutes before her AWS key is used from the same address; a
 * denied role assignment in the first subscription; and a sign-in to the
 * Google Cloud app just before the GCP part of the story.
 */
#include "gen/gen_int.h"

#include <stdio.h>
#include <stdlib.h>

#include "core/hash.h"

#define AZ_MAX_SUBS 4
#define AZ_MAX_PROJ 3
#define AZ_ST_SIGNIN 0
#define AZ_ST_NONINT 1
#define AZ_ST_ACT 2                    /* + subscription index */
#define AZ_FLUSH (16u << 20)           /* write an hour's blob in pieces of this size */

/* Shares of the provider's background records (per mille). */
#define AZ_PM_SIGNIN 300
#define AZ_PM_NONINT 350               /* the Activity logs get the rest */

/* ---- static tables ----------------------------------------------------------- */

struct az_app {
    const char *id;                    /* NULL: the tenant's own enterprise app */
    const char *name;
    const char *res_name, *res_id;     /* resource the token is for; NULL = the app */
    uint8_t desktop;                   /* "Mobile Apps and Desktop clients" */
};

enum { APP_OFFICEHOME = 0, APP_PORTAL, APP_AWS, APP_GCP, APP_TEAMS, APP_OFFICE, APP_CLI, APP_BROKER,
       APP_OUTLOOK, APP_AADPS, AZ_NAPPS };

static const struct az_app az_apps[AZ_NAPPS] = {
    {"4765445b-32c6-49b0-83e6-1d93765276ca", "OfficeHome", NULL, NULL, 0},
    {"c44b4083-3bb0-49c1-b47d-974e53cbdf3c", "Azure Portal", "Windows Azure Service Management API",
     "797f4846-ba00-4fd7-ba43-dac1f8f63013", 0},
    {NULL, "AWS IAM Identity Center (successor to AWS Single Sign-On)", NULL, NULL, 0},
    {NULL, "Google Cloud / G Suite Connector by Microsoft", NULL, NULL, 0},
    {"1fec8e78-bce4-4aaf-ab1b-5451cc387264", "Microsoft Teams", "Microsoft Teams Services",
     "cc15fd57-2c6c-4117-a88c-83b1d56b4bbe", 1},
    {"d3590ed6-52b3-4102-aeff-aad2292ab01c", "Microsoft Office", "Office 365 Exchange Online",
     "00000002-0000-0ff1-ce00-000000000000", 1},
    {"04b07795-8ddb-461a-bbee-02f9e1bf7b46", "Microsoft Azure CLI",
     "Windows Azure Service Management API", "797f4846-ba00-4fd7-ba43-dac1f8f63013", 1},
    {"29d9ed98-a469-4536-ade2-f981bc1d605e", "Microsoft Authentication Broker", "Microsoft Graph",
     "00000003-0000-0000-c000-000000000000", 1},
    {"27922004-5251-4030-b22d-91ecd9a37ea4", "Outlook Mobile", "Office 365 Exchange Online",
     "00000002-0000-0ff1-ce00-000000000000", 1},
    /* planted scenarios only (a password spray's favourite client) */
    {"1b730954-1685-4b74-9bfd-dac224a7b894", "Azure Active Directory PowerShell",
     "Windows Azure Active Directory", "00000002-0000-0000-c000-000000000000", 1},
};

/* Sign-in results. */
enum { R_OK = 0, R_OK_CLAIM, R_OK_MFA, R_BADPW, R_MFA_REQ, R_KMSI, R_LOCKED, R_GRANT_EXPIRED,
       R_SIF, R_RT_EXPIRED, AZ_NRES };

static const struct {
    uint32_t code;
    const char *reason;                /* failureReason / resultDescription */
    const char *detail;                /* status.additionalDetails */
} az_res[AZ_NRES] = {
    {0, NULL, NULL},
    {0, NULL, "MFA requirement satisfied by claim in the token"},
    {0, NULL, "MFA completed in Azure AD"},
    {50126, "Error validating credentials due to invalid username or password.", NULL},
    {50074, "Strong Authentication is required.", "MFA required in Azure AD"},
    {50140,
     "This error occurred due to 'Keep me signed in' interrupt when the user was signing-in.",
     NULL},
    {50053,
     "Account is locked because user tried to sign in too many times with an incorrect user ID "
     "or password.",
     NULL},
    {50173,
     "The provided grant has expired due to it being revoked, a fresh auth token is needed. "
     "The user might have changed or reset their password.",
     NULL},
    {70044, "The session has expired or is invalid due to sign-in frequency checks by conditional "
            "access.", NULL},
    {700082, "The refresh token has expired due to inactivity.", NULL},
};

static const char *const az_mfa_methods[] = {"Mobile app notification", "OATH verification code",
                                             "FIDO2 security key", "Text message"};

/* Resource types of the Activity log. */
enum { T_RG = 0, T_VM, T_DISK, T_SNAP, T_SA, T_CONT, T_KV, T_AKS, T_POOL, T_NSG, T_RULE, T_WEB,
       T_SQLDB, T_SQLFW, T_DEPLOY, T_TAGS, T_RA, T_DIAG };

enum { S_OK = 0, S_CREATED, S_ACCEPTED };
static const char *const az_status[] = {"OK", "Created", "Accepted"};

/* Actor classes of the Activity log (columns of the weights). */
enum { C_PORTAL = 0, C_CLI, C_DEPLOY, C_AUTO, AZ_NCLS };

enum { OPF_ROLE = 1 /* needs Owner */ };

struct az_op {
    const char *name;                  /* operation as authorised (original case) */
    uint8_t type, status, flags;
    uint16_t w[AZ_NCLS];
};

static const struct az_op az_ops[] = {
    {"Microsoft.Storage/storageAccounts/listKeys/action", T_SA, S_OK, 0, {30, 30, 40, 60}},
    {"Microsoft.Compute/virtualMachines/write", T_VM, S_OK, 0, {6, 6, 20, 0}},
    {"Microsoft.Compute/virtualMachines/start/action", T_VM, S_OK, 0, {8, 6, 0, 10}},
    {"Microsoft.Compute/virtualMachines/deallocate/action", T_VM, S_OK, 0, {6, 4, 0, 10}},
    {"Microsoft.Compute/virtualMachines/restart/action", T_VM, S_OK, 0, {5, 3, 0, 2}},
    {"Microsoft.Compute/virtualMachines/delete", T_VM, S_OK, 0, {1, 1, 2, 0}},
    {"Microsoft.Compute/disks/write", T_DISK, S_OK, 0, {2, 2, 8, 0}},
    {"Microsoft.Compute/snapshots/write", T_SNAP, S_CREATED, 0, {1, 1, 0, 25}},
    {"Microsoft.Storage/storageAccounts/write", T_SA, S_OK, 0, {3, 3, 15, 0}},
    {"Microsoft.Storage/storageAccounts/blobServices/containers/write", T_CONT, S_CREATED, 0,
     {4, 4, 6, 0}},
    {"Microsoft.KeyVault/vaults/write", T_KV, S_OK, 0, {2, 2, 8, 0}},
    {"Microsoft.ContainerService/managedClusters/listClusterUserCredential/action", T_AKS, S_OK, 0,
     {10, 20, 15, 0}},
    {"Microsoft.ContainerService/managedClusters/agentPools/write", T_POOL, S_OK, 0, {1, 2, 6, 4}},
    {"Microsoft.Network/networkSecurityGroups/securityRules/write", T_RULE, S_CREATED, 0,
     {3, 3, 8, 0}},
    {"Microsoft.Network/networkSecurityGroups/write", T_NSG, S_OK, 0, {1, 1, 8, 0}},
    {"Microsoft.Web/sites/write", T_WEB, S_OK, 0, {3, 3, 12, 0}},
    {"Microsoft.Web/sites/restart/action", T_WEB, S_OK, 0, {5, 3, 4, 4}},
    {"Microsoft.Web/sites/config/list/action", T_WEB, S_OK, 0, {4, 4, 10, 0}},
    {"Microsoft.Sql/servers/databases/write", T_SQLDB, S_OK, 0, {1, 1, 6, 0}},
    {"Microsoft.Sql/servers/firewallRules/write", T_SQLFW, S_CREATED, 0, {2, 2, 3, 0}},
    {"Microsoft.Resources/deployments/write", T_DEPLOY, S_CREATED, 0, {2, 4, 20, 0}},
    {"Microsoft.Resources/deployments/validate/action", T_DEPLOY, S_OK, 0, {1, 2, 12, 0}},
    {"Microsoft.Resources/subscriptions/resourceGroups/write", T_RG, S_OK, 0, {1, 1, 6, 0}},
    {"Microsoft.Resources/tags/write", T_TAGS, S_OK, 0, {3, 2, 6, 0}},
    {"Microsoft.Authorization/roleAssignments/write", T_RA, S_CREATED, OPF_ROLE, {1, 1, 1, 0}},
    {"Microsoft.Authorization/roleAssignments/delete", T_RA, S_OK, OPF_ROLE, {1, 0, 0, 0}},
    {"Microsoft.Insights/diagnosticSettings/write", T_DIAG, S_OK, 0, {1, 1, 2, 0}},
};
#define AZ_NOPS ((int)KM_ARRAY_LEN(az_ops))
#define AZ_OP_RA_WRITE 24

/* Built-in roles (ids are Azure's). */
enum { ROLE_OWNER = 0, ROLE_CONTRIB, ROLE_READER };
static const char *const az_role_name[] = {"Owner", "Contributor", "Reader"};
static const char *const az_role_def[] = {"8e3af657a8ff443ca75c2fe8c4bcb635",
                                          "b24988ac618042a0ab8820f7382dd24c",
                                          "acdd72a7338548efbd42f606fffdcb87"};

static const char *const az_sub_names[AZ_MAX_SUBS] = {"prod", "nonprod", "shared", "data"};
static const char *const az_proj_words[] = {"orders", "payments", "catalog", "search", "billing",
                                            "identity", "media", "ledger", "pricing", "shipping"};

/* ---- the tenant ---------------------------------------------------------------- */

struct az_person {
    char name[48], given[24], sur[28];
    char oid[37], puid[17], nameid[44];
    char dev_id[37], dev_name[16];
    char browser[24];
    const char *os;
    const char *trust;                 /* NULL: no registered device */
    uint8_t compliant, azure, gcp, cli, mfa, sub, role;
};

struct az_sub {
    char id[37], idu[37];              /* lower and upper case */
    const char *env;
    int nproj;
    const char *proj[AZ_MAX_PROJ];
    char sfx[AZ_MAX_PROJ][6];          /* storage account / vault suffixes */
    uint8_t nvm[AZ_MAX_PROJ];
    char disk[AZ_MAX_PROJ][3][33];     /* OS disk suffixes */
};

struct az_sp {
    char name[48], appid[37], oid[37];
    uint32_t ip;                       /* fixed egress (automation), 0: per burst */
    uint8_t sub, cls;
    uint16_t owner;                    /* person whose working days the pipeline follows */
};

enum { A_USER = 0, A_SP };
struct az_actor {
    uint8_t kind, sub;
    uint16_t who;                      /* person or service principal */
    float rate;
};

enum { SK_SPRAY = 0, SK_GCP_SIGNIN, SK_DENIED };

struct az_plan {
    const struct km_gen_world *w;
    uint32_t nhours, nstreams;
    uint64_t nunits;
    uint32_t *count;                   /* background records per unit */
    char tenant[37], mg[32];
    char app_id[AZ_NAPPS][37];
    struct az_person *pp;
    struct az_sub subs[AZ_MAX_SUBS];
    int nsubs;
    struct az_sp sps[2 * AZ_MAX_SUBS];
    int nsps;
    struct az_actor *act;              /* Activity log actors, grouped by subscription */
    uint32_t act_first[AZ_MAX_SUBS], act_n[AZ_MAX_SUBS];
    uint32_t op_cum[AZ_NCLS][AZ_NOPS];
    /* the story */
    int story;                         /* planted (the default) */
    int64_t story_t[KM_GEN_STORY_N_AZURE];
    uint16_t story_who[KM_GEN_STORY_N_AZURE];
    uint8_t story_kind[KM_GEN_STORY_N_AZURE], story_res[KM_GEN_STORY_N_AZURE];
    /* planted scenarios: records rendered at plan time, by (unit, second) */
    uint32_t nbg;                      /* streams with a background (sign-ins, Activity logs);
                                          the last stream, Entra audit logs, has only plants */
    char *ptext;
    size_t pn, pcap;
    struct az_pl {
        uint64_t unit;
        uint32_t off, len;
        uint16_t t;
    } *pl;
    uint32_t npl;
};

/* One record to write. */
struct az_desc {
    uint16_t t;                        /* second within the hour */
    uint8_t res;                       /* sign-in result / activity phase */
    uint8_t app;                       /* sign-in app / activity operation */
    uint16_t who;                      /* person / activity actor */
    uint8_t story;                     /* 0, or 1 + story step */
    uint8_t pick;                      /* resource pick */
    uint32_t corr;                     /* shared by the records of one operation */
    uint32_t dur;                      /* activity: milliseconds */
    uint64_t seed;
};
enum { PH_START = 0, PH_SUCCESS, PH_FORBIDDEN, PH_CONFLICT };

#define LIT(s) KM_GB_LIT(b, s)
#define STR(s) km_gb_str(b, s)

static void uuid_str(char *dst, struct km_rng *r)
{
    struct km_gb b = {dst, 0, 37};
    km_gb_uuid(&b, r);
    dst[36] = 0;
}

static void upper(char *dst, const char *src, size_t n)
{
    size_t i = 0;
    for (; src[i] && i + 1 < n; i++)
        dst[i] = (char)(src[i] >= 'a' && src[i] <= 'z' ? src[i] - 32 : src[i]);
    dst[i] = 0;
}

/* OS and browser of a person's browser user agent, as Entra names them. */
static void device_from_ua(struct az_person *ap, const char *ua)
{
    const char *p;
    ap->os = strstr(ua, "Windows") ? "Windows10" : strstr(ua, "Macintosh") ? "MacOs" : "Linux";
    const char *name = "Chrome", *key = "Chrome/";
    if ((p = strstr(ua, "Edg/")) != NULL) {
        name = "Edge";
        key = "Edg/";
    } else if ((p = strstr(ua, "Firefox/")) != NULL) {
        name = "Firefox";
        key = "Firefox/";
    } else if (!strstr(ua, "Chrome/") && (p = strstr(ua, "Version/")) != NULL) {
        name = "Safari";
        key = "Version/";
    }
    p = strstr(ua, key);
    int major = p ? atoi(p + strlen(key)) : 0;
    if (name[0] == 'F' || name[1] == 'a')
        snprintf(ap->browser, sizeof ap->browser, "%s %d.0", name, major);
    else
        snprintf(ap->browser, sizeof ap->browser, "%s %d.0.0", name, major);
}

static void az_free(void *state)
{
    struct az_plan *pl = state;
    if (!pl)
        return;
    free(pl->count);
    free(pl->pp);
    free(pl->act);
    free(pl->ptext);
    free(pl->pl);
    free(pl);
}

/* Builds the tenant, its people, subscriptions and service principals. */
static int az_world(struct az_plan *pl)
{
    const struct km_gen_world *w = pl->w;
    struct km_rng r;
    km_rng_init(&r, w->seed, 0x617a757265ull); /* "azure" */
    uuid_str(pl->tenant, &r);
    snprintf(pl->mg, sizeof pl->mg, "mg-%s", w->org);
    for (int a = 0; a < AZ_NAPPS; a++) {
        if (az_apps[a].id)
            memcpy(pl->app_id[a], az_apps[a].id, 37);
        else
            uuid_str(pl->app_id[a], &r);
    }
    pl->nsubs = w->naccounts >= 6 ? 4 : w->naccounts >= 3 ? 3 : w->naccounts >= 2 ? 2 : 1;
    for (int s = 0; s < pl->nsubs; s++) {
        struct az_sub *sb = &pl->subs[s];
        uuid_str(sb->id, &r);
        upper(sb->idu, sb->id, sizeof sb->idu);
        sb->env = az_sub_names[s];
        sb->nproj = 2 + (int)km_rng_below(&r, 2);
        uint32_t base = km_rng_below(&r, KM_ARRAY_LEN(az_proj_words));
        for (int k = 0; k < sb->nproj; k++) {
            sb->proj[k] = az_proj_words[(base + (uint32_t)k * 3) % KM_ARRAY_LEN(az_proj_words)];
            km_gen_rand_str(sb->sfx[k], &r, "abcdefghijklmnopqrstuvwxyz0123456789", 5);
            sb->nvm[k] = (uint8_t)(1 + km_rng_below(&r, 3));
            for (int v = 0; v < 3; v++)
                km_gen_rand_str(sb->disk[k][v], &r, "0123456789abcdef", 32);
        }
    }
    pl->pp = calloc(w->npersons, sizeof *pl->pp);
    if (!pl->pp)
        return KM_ENOMEM;
    for (uint32_t p = 0; p < w->npersons; p++) {
        const struct km_gen_person *pe = &w->persons[p];
        struct az_person *ap = &pl->pp[p];
        km_gen_display_name(pe, ap->name, sizeof ap->name);
        const char *sp = strchr(ap->name, ' ');
        size_t gl = sp ? (size_t)(sp - ap->name) : strlen(ap->name);
        memcpy(ap->given, ap->name, gl < sizeof ap->given ? gl : sizeof ap->given - 1);
        snprintf(ap->sur, sizeof ap->sur, "%s", sp ? sp + 1 : "");
        uuid_str(ap->oid, &r);
        km_gen_rand_str(ap->puid, &r, "0123456789ABCDEF", 16);
        km_gen_rand_str(ap->nameid, &r,
                        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", 43);
        device_from_ua(ap, pe->ua_browser);
        if (km_rng_below(&r, 10) < 8) {
            uuid_str(ap->dev_id, &r);
            char tag[8];
            km_gen_rand_str(tag, &r, KM_GEN_UPNUM, 7);
            snprintf(ap->dev_name, sizeof ap->dev_name, "%s-%s",
                     ap->os[0] == 'W' ? "LT" : ap->os[0] == 'M' ? "MBP" : "WS", tag);
            ap->trust = ap->os[0] == 'W' ? "Azure AD joined" : "Azure AD registered";
            ap->compliant = (uint8_t)(km_rng_below(&r, 10) < 9);
        }
        unsigned clouds = km_gen_person_clouds(w, p);
        ap->azure = (uint8_t)!!(clouds & KM_GEN_C_AZURE);
        ap->gcp = (uint8_t)!!(clouds & KM_GEN_C_GCP);
        ap->cli = (uint8_t)(ap->azure && (pe->job == KM_GEN_JOB_DEV || pe->job == KM_GEN_JOB_OPS ||
                                          pe->job == KM_GEN_JOB_ADMIN));
        ap->mfa = (uint8_t)km_rng_below(&r, 4);
        ap->sub = (uint8_t)(p % (uint32_t)pl->nsubs);
        ap->role = pe->job == KM_GEN_JOB_ADMIN ? ROLE_OWNER
                   : pe->job == KM_GEN_JOB_SEC ? ROLE_READER : ROLE_CONTRIB;
    }
    /* service principals: a deployment pipeline and an automation account per subscription */
    for (int s = 0; s < pl->nsubs; s++) {
        for (int k = 0; k < 2; k++) {
            struct az_sp *sp = &pl->sps[pl->nsps++];
            snprintf(sp->name, sizeof sp->name, k ? "sp-automation-%s" : "sp-github-deploy-%s",
                     pl->subs[s].env);
            uuid_str(sp->appid, &r);
            uuid_str(sp->oid, &r);
            sp->sub = (uint8_t)s;
            sp->cls = k ? C_AUTO : C_DEPLOY;
            sp->owner = (uint16_t)km_rng_below(&r, w->npersons);
            sp->ip = k ? ((52u << 24) | ((uint32_t)(136 + km_rng_below(&r, 40)) << 16) |
                          (km_rng_below(&r, 256) << 8) | (1 + km_rng_below(&r, 250)))
                       : 0;
        }
    }
    /* Activity log actors */
    pl->act = calloc((size_t)w->npersons * pl->nsubs + (size_t)pl->nsps, sizeof *pl->act);
    if (!pl->act)
        return KM_ENOMEM;
    uint32_t n = 0;
    for (int s = 0; s < pl->nsubs; s++) {
        pl->act_first[s] = n;
        for (uint32_t p = 0; p < w->npersons; p++) {
            const struct az_person *ap = &pl->pp[p];
            int job = w->persons[p].job;
            if (!ap->azure)
                continue;
            int primary = ap->sub == s;
            int all = job == KM_GEN_JOB_ADMIN || job == KM_GEN_JOB_OPS || job == KM_GEN_JOB_SEC;
            if (!primary && !all)
                continue;
            struct az_actor *a = &pl->act[n++];
            a->kind = A_USER;
            a->sub = (uint8_t)s;
            a->who = (uint16_t)p;
            a->rate = w->persons[p].rate * (primary ? 1.0f : 0.35f) *
                      (job == KM_GEN_JOB_SEC ? 0.3f : 1.0f);
        }
        for (int k = 0; k < pl->nsps; k++) {
            if (pl->sps[k].sub != s)
                continue;
            struct az_actor *a = &pl->act[n++];
            a->kind = A_SP;
            a->sub = (uint8_t)s;
            a->who = (uint16_t)k;
            a->rate = pl->sps[k].cls == C_DEPLOY ? 6.0f : 1.2f;
        }
        pl->act_n[s] = n - pl->act_first[s];
    }
    for (int c = 0; c < AZ_NCLS; c++) {
        uint32_t cum = 0;
        for (int o = 0; o < AZ_NOPS; o++) {
            cum += az_ops[o].w[c];
            pl->op_cum[c][o] = cum;
        }
    }
    return KM_OK;
}

/* Relative activity of an Activity log actor in window g. */
static double act_weight(const struct az_plan *pl, const struct az_actor *a, uint32_t g,
                         struct km_gen_actcache *c)
{
    const struct km_gen_world *w = pl->w;
    if (a->kind == A_USER)
        return a->rate * km_gen_person_activity(w, a->who, g, c);
    const struct az_sp *sp = &pl->sps[a->who];
    double v = km_gen_person_activity(w, sp->owner, g, c);
    if (sp->cls == C_DEPLOY)
        return c->weekend ? 0.0 : a->rate * v * v * 1.5;
    return a->rate * (0.5 + 0.5 * v); /* automation runs around the clock */
}

/* The story: spray, success, denied write, Google Cloud sign-in. */
static void az_story(struct az_plan *pl)
{
    const struct km_gen_world *w = pl->w;
    int64_t t0 = km_gen_story_t0(w);
    int64_t spray = t0 - 50 * 60;
    if (spray < w->start)
        spray = w->start;
    /* ten targets: mallory and nine others, in an order drawn from the seed */
    uint16_t tg[10];
    uint32_t nt = 0;
    tg[nt++] = w->story_person;
    struct km_rng r;
    km_rng_init(&r, w->seed, 0x5370726179ull); /* "Spray" */
    while (nt < 10 && nt < w->npersons) {
        uint16_t p = (uint16_t)km_rng_below(&r, w->npersons);
        int dup = 0;
        for (uint32_t k = 0; k < nt; k++)
            dup |= tg[k] == p;
        if (!dup)
            tg[nt++] = p;
    }
    for (uint32_t k = 1; k < nt; k++) { /* mallory is tried last in each round */
        uint16_t x = tg[k - 1];
        tg[k - 1] = tg[k];
        tg[k] = x;
    }
    int i = 0;
    int64_t t = spray;
    for (int round = 0; round < 2; round++) {
        for (uint32_t k = 0; k < 10; k++) {
            uint16_t p = tg[k < nt ? k : nt - 1];
            pl->story_t[i] = t;
            pl->story_who[i] = p;
            pl->story_kind[i] = SK_SPRAY;
            int last = round == 1 && k == 9;
            pl->story_res[i] = (uint8_t)(last ? R_OK : round == 1 && k == 3 ? R_LOCKED : R_BADPW);
            i++;
            t += 9 + (int64_t)km_rng_below(&r, 14);
        }
        t += 150 + (int64_t)km_rng_below(&r, 30); /* the tool waits between rounds */
    }
    /* 20 sign-ins so far; then the denied role assignment, then Google Cloud */
    pl->story_t[i] = t0 - 31 * 60 + 44;
    pl->story_who[i] = w->story_person;
    pl->story_kind[i] = SK_DENIED;
    pl->story_res[i] = PH_FORBIDDEN;
    i++;
    pl->story_t[i] = t0 + 15 * 60 + 12;
    pl->story_who[i] = w->story_person;
    pl->story_kind[i] = SK_GCP_SIGNIN;
    pl->story_res[i] = R_OK;
    i++;
    int64_t end = w->start + (int64_t)w->days * 86400 - 1;
    for (int k = 0; k < i; k++)
        if (pl->story_t[k] > end)
            pl->story_t[k] = end;
}

static int az_plants(struct az_plan *pl, struct km_err *err);

static int az_plan_make(const struct km_gen_world *w, uint64_t events, void **state,
                        uint64_t *nunits, struct km_err *err)
{
    struct az_plan *pl = calloc(1, sizeof *pl);
    if (!pl)
        return km_err_set(err, KM_ENOMEM, NULL, UINT64_MAX, "out of memory (plan)");
    pl->w = w;
    if (az_world(pl) != KM_OK) {
        az_free(pl);
        return km_err_set(err, KM_ENOMEM, NULL, UINT64_MAX, "out of memory (tenant)");
    }
    az_story(pl);
    pl->story = km_gen_scen_story(w);
    if (pl->story) {
        for (int k = 0; k < KM_GEN_STORY_N_AZURE; k++)
            km_gen_scen_time(w, KM_GEN_SCEN_STORY, pl->story_t[k]);
        km_gen_scen_ent(w, KM_GEN_SCEN_STORY, KM_GEN_E_ACCOUNTS, "%s", pl->tenant);
        km_gen_scen_ent(w, KM_GEN_SCEN_STORY, KM_GEN_E_ACCOUNTS, "%s", pl->subs[0].id);
    }
    pl->nhours = w->days * 24u;
    pl->nbg = AZ_ST_ACT + (uint32_t)pl->nsubs;
    pl->nstreams = pl->nbg + 1; /* + Entra audit logs (planted records only) */
    pl->nunits = (uint64_t)pl->nstreams * pl->nhours;
    int prc = az_plants(pl, err);
    if (prc) {
        az_free(pl);
        return prc;
    }
    uint64_t planted = (pl->story ? KM_GEN_STORY_N_AZURE : 0) + pl->npl;
    if (events < planted) {
        az_free(pl);
        return km_err_set(err, KM_EUSAGE, NULL, UINT64_MAX, "azure needs at least %llu events",
                          (unsigned long long)planted);
    }
    pl->count = calloc(pl->nunits, sizeof *pl->count);
    double *wt = calloc(pl->nunits, sizeof *wt);
    if (!pl->count || !wt) {
        free(wt);
        az_free(pl);
        return km_err_set(err, KM_ENOMEM, NULL, UINT64_MAX, "out of memory (plan)");
    }
    /* raw weights: people for the sign-in streams, actors for each Activity log */
    double *si = wt + (uint64_t)AZ_ST_SIGNIN * pl->nhours;
    double *ni = wt + (uint64_t)AZ_ST_NONINT * pl->nhours;
    for (uint32_t p = 0; p < w->npersons; p++) {
        struct km_gen_actcache c;
        memset(&c, 0, sizeof c);
        double rate = w->persons[p].rate;
        for (uint32_t h = 0; h < pl->nhours; h++) {
            double v = km_gen_person_activity(w, p, h * 12 + 6, &c);
            si[h] += rate * v;
            ni[h] += rate * (v + 0.04);
        }
    }
    for (int s = 0; s < pl->nsubs; s++) {
        double *row = wt + (uint64_t)(AZ_ST_ACT + s) * pl->nhours;
        for (uint32_t k = 0; k < pl->act_n[s]; k++) {
            const struct az_actor *a = &pl->act[pl->act_first[s] + k];
            struct km_gen_actcache c;
            memset(&c, 0, sizeof c);
            for (uint32_t h = 0; h < pl->nhours; h++)
                row[h] += act_weight(pl, a, h * 12 + 6, &c);
        }
    }
    /* noise, then scale each stream to its share */
    double stotal[AZ_ST_ACT + AZ_MAX_SUBS], acttotal = 0;
    for (uint32_t st = 0; st < pl->nbg; st++) {
        double *row = wt + (uint64_t)st * pl->nhours;
        stotal[st] = 0;
        for (uint32_t h = 0; h < pl->nhours; h++) {
            uint64_t hx = km_rng_hash2(w->seed ^ 0xa2e, (uint64_t)st * pl->nhours + h);
            row[h] *= 0.75 + 0.5 * (double)(hx >> 11) * (1.0 / 9007199254740992.0);
            stotal[st] += row[h];
        }
        if (st >= AZ_ST_ACT)
            acttotal += stotal[st];
    }
    double total = 0;
    for (uint32_t st = 0; st < pl->nbg; st++) {
        double share = st == AZ_ST_SIGNIN ? AZ_PM_SIGNIN / 1000.0
                       : st == AZ_ST_NONINT ? AZ_PM_NONINT / 1000.0
                       : (1000 - AZ_PM_SIGNIN - AZ_PM_NONINT) / 1000.0 *
                             (acttotal > 0 ? stotal[st] / acttotal : 1.0 / pl->nsubs);
        double *row = wt + (uint64_t)st * pl->nhours;
        for (uint32_t h = 0; h < pl->nhours; h++) {
            row[h] = stotal[st] > 0 ? row[h] * share / stotal[st] : share / pl->nhours;
            total += row[h];
        }
    }
    km_gen_apportion(wt, (uint64_t)pl->nbg * pl->nhours, total, events - planted, pl->count);
    free(wt);
    *state = pl;
    *nunits = pl->nunits;
    return KM_OK;
}

/* ---- planning one unit ------------------------------------------------------------- */

static int pick_app(const struct az_person *ap, int interactive, struct km_rng *r)
{
    for (;;) {
        uint32_t x = km_rng_below(r, 100);
        int a;
        if (interactive)
            a = x < 28 ? APP_OFFICEHOME : x < 48 ? APP_PORTAL : x < 68 ? APP_AWS : x < 78 ? APP_GCP
                : x < 88 ? APP_TEAMS : x < 95 ? APP_OFFICE : APP_CLI;
        else
            a = x < 30 ? APP_TEAMS : x < 52 ? APP_OFFICE : x < 72 ? APP_BROKER
                : x < 82 ? APP_OUTLOOK : x < 94 ? APP_CLI : APP_PORTAL;
        if ((a == APP_PORTAL && !ap->azure) || (a == APP_CLI && !ap->cli) ||
            (a == APP_GCP && !ap->gcp))
            continue;
        return a;
    }
}

/* Sign-in records of one hour (interactive or not). */
static uint32_t plan_signins(const struct az_plan *pl, uint32_t hour, int interactive, uint32_t n,
                             double *cw, struct az_desc *d, struct km_rng *r)
{
    const struct km_gen_world *w = pl->w;
    double tot = 0;
    for (uint32_t p = 0; p < w->npersons; p++) {
        struct km_gen_actcache c;
        memset(&c, 0, sizeof c);
        double v = km_gen_person_activity(w, p, hour * 12 + 6, &c);
        tot += w->persons[p].rate * (interactive ? v : v + 0.04);
        cw[p] = tot;
    }
    uint32_t i = 0;
    while (i < n) {
        uint32_t p = km_gen_pick(cw, w->npersons, km_rng_unit(r) * tot);
        const struct az_person *ap = &pl->pp[p];
        uint32_t burst = (uint32_t)km_rng_next(r);
        int t = (int)km_rng_below(r, 3600);
        if (interactive) {
            int app = pick_app(ap, 1, r);
            uint8_t seq[4];
            int len = 0;
            uint32_t x = km_rng_below(r, 100);
            if (x < 66) {
                seq[len++] = R_OK_CLAIM;
            } else if (x < 80) {
                seq[len++] = R_MFA_REQ;
                seq[len++] = R_OK_MFA;
            } else if (x < 88) {
                seq[len++] = R_KMSI;
                seq[len++] = R_OK_CLAIM;
            } else if (x < 93) {
                seq[len++] = R_OK;
            } else if (x < 97) {
                seq[len++] = R_BADPW;
                seq[len++] = R_OK_MFA;
            } else {
                seq[len++] = R_BADPW;
                seq[len++] = R_BADPW;
                seq[len++] = R_OK_MFA;
            }
            if (p == w->story_person) /* no MFA registered: the story's weakness */
                for (int k = 0; k < len; k++)
                    seq[k] = seq[k] == R_MFA_REQ ? R_KMSI
                             : seq[k] == R_OK_CLAIM || seq[k] == R_OK_MFA ? R_OK : seq[k];
            for (int k = 0; k < len && i < n; k++) {
                struct az_desc *e = &d[i++];
                memset(e, 0, sizeof *e);
                e->t = (uint16_t)(t > 3599 ? 3599 : t);
                e->res = seq[k];
                e->app = (uint8_t)app;
                e->who = (uint16_t)p;
                e->corr = burst;
                e->seed = km_rng_next(r);
                t += 8 + (int)km_rng_below(r, 35);
            }
        } else {
            /* a few token refreshes spread over the hour */
            int len = 1 + (int)km_rng_below(r, 4);
            for (int k = 0; k < len && i < n; k++) {
                struct az_desc *e = &d[i++];
                memset(e, 0, sizeof *e);
                e->t = (uint16_t)km_rng_below(r, 3600);
                uint32_t x = km_rng_below(r, 1000);
                e->res = (uint8_t)(x < 6 ? R_GRANT_EXPIRED : x < 14 ? R_SIF : x < 18 ? R_RT_EXPIRED
                                   : x < 560 && p != w->story_person ? R_OK_CLAIM : R_OK);
                e->app = (uint8_t)pick_app(ap, 0, r);
                e->who = (uint16_t)p;
                e->corr = (uint32_t)km_rng_next(r);
                e->seed = km_rng_next(r);
            }
        }
    }
    return i;
}

static int pick_op(const struct az_plan *pl, int cls, struct km_rng *r)
{
    const uint32_t *cum = pl->op_cum[cls];
    uint32_t x = km_rng_below(r, cum[AZ_NOPS - 1]);
    int o = 0;
    while (cum[o] <= x)
        o++;
    return o;
}

/* Activity log records of one hour of subscription s. */
static uint32_t plan_activity(const struct az_plan *pl, int s, uint32_t hour, uint32_t n,
                              double *cw, struct az_desc *d, struct km_rng *r)
{
    uint32_t first = pl->act_first[s], na = pl->act_n[s];
    double tot = 0;
    for (uint32_t k = 0; k < na; k++) {
        struct km_gen_actcache c;
        memset(&c, 0, sizeof c);
        tot += act_weight(pl, &pl->act[first + k], hour * 12 + 6, &c);
        cw[k] = tot;
    }
    uint32_t i = 0;
    while (i < n) {
        uint32_t k = tot > 0 ? km_gen_pick(cw, na, km_rng_unit(r) * tot) : km_rng_below(r, na);
        const struct az_actor *a = &pl->act[first + k];
        int cls = a->kind == A_SP ? pl->sps[a->who].cls : C_PORTAL;
        int role = ROLE_OWNER;
        if (a->kind == A_USER) {
            const struct az_person *ap = &pl->pp[a->who];
            cls = ap->cli && km_rng_below(r, 100) < 45 ? C_CLI : C_PORTAL;
            role = ap->role;
        }
        double mean = cls == C_DEPLOY ? 7 : cls == C_CLI ? 2 : 1.6;
        int len = 1;
        while (len < 40 && km_rng_chance(r, 1.0 - 1.0 / mean))
            len++;
        int t = (int)km_rng_below(r, 3600);
        uint8_t pick = (uint8_t)km_rng_below(r, 256);
        for (int j = 0; j < len && i < n; j++) {
            int op = pick_op(pl, cls, r);
            uint32_t corr = (uint32_t)km_rng_next(r);
            int fail = role == ROLE_READER ||
                       ((az_ops[op].flags & OPF_ROLE) && role != ROLE_OWNER);
            int conflict = !fail && km_rng_below(r, 1000) < (a->kind == A_SP ? 4u : 10u);
            uint32_t dur = 120 + km_rng_below(r, 2500) + (az_ops[op].type == T_VM ? 20000 : 0) +
                           (az_ops[op].type == T_DEPLOY ? km_rng_below(r, 60000) : 0);
            if (t > 3599)
                t = 3599;
            struct az_desc *e = &d[i++];
            memset(e, 0, sizeof *e);
            e->t = (uint16_t)t;
            e->app = (uint8_t)op;
            e->who = (uint16_t)(first + k);
            e->pick = pick;
            e->corr = corr;
            e->seed = km_rng_next(r);
            if (fail) {
                e->res = PH_FORBIDDEN;
                e->dur = 0;
            } else {
                e->res = PH_START;
                if (i < n) {
                    int t2 = t + (int)(dur / 1000);
                    struct az_desc *f = &d[i++];
                    *f = *e;
                    f->t = (uint16_t)(t2 > 3599 ? 3599 : t2);
                    f->res = conflict ? PH_CONFLICT : PH_SUCCESS;
                    f->dur = dur;
                    f->seed = km_rng_next(r);
                }
            }
            t += 2 + (int)km_rng_below(r, cls == C_DEPLOY ? 12 : 40);
            if (km_rng_chance(r, 0.5))
                pick = (uint8_t)km_rng_below(r, 256);
        }
    }
    return i;
}

/* ---- formatting ------------------------------------------------------------------ */

struct az_ev {
    const struct az_plan *pl;
    const struct az_desc *d;
    const struct km_gen_plant *pt;     /* a planted record, or NULL */
    int64_t t;                         /* absolute second */
    uint32_t day;
    struct km_rng r;
    char ip[64];
    const struct km_gen_place *place;
};

static void ev_ip(struct az_ev *e, uint32_t person)
{
    struct km_gb ib = {e->ip, 0, sizeof e->ip};
    if (e->pt) {
        km_gen_scen_ip(e->pl->w, e->pt, &ib);
        e->place = km_gen_scen_place(e->pl->w, e->pt);
    } else if (e->d->story) {
        km_gb_str(&ib, KM_GEN_STORY_IP);
        e->place = km_gen_place_of(NULL);
    } else {
        const struct km_gen_world *w = e->pl->w;
        km_gen_person_ip(w, person, e->day, &ib);
        e->place = km_gen_place_of(w->offices[w->persons[person].office].city);
    }
    e->ip[ib.n] = 0;
}

static void b64url(struct km_gb *b, struct km_rng *r, int n)
{
    km_gb_rand(b, r, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", n);
}

/* A UUID from a hash (the same input gives the same id in every record). */
static void hashed_uuid(struct km_gb *b, uint64_t seed, uint64_t x)
{
    struct km_rng r;
    km_rng_init(&r, seed, x);
    km_gb_uuid(b, &r);
}

/* Entra's names of the operating system and browser of a user agent. */
static const char *ua_os(const char *ua)
{
    if (strstr(ua, "Windows"))
        return "Windows10";
    if (strstr(ua, "Macintosh"))
        return "MacOs";
    if (strstr(ua, "Linux") || strstr(ua, "X11"))
        return "Linux";
    return "";
}

static void ua_browser(const char *ua, char *out, size_t n)
{
    const char *p;
    if ((p = strstr(ua, "Edg/")) != NULL)
        snprintf(out, n, "Edge %d.0.0", atoi(p + 4));
    else if ((p = strstr(ua, "Firefox/")) != NULL)
        snprintf(out, n, "Firefox %d.0", atoi(p + 8));
    else if ((p = strstr(ua, "Chrome/")) != NULL)
        snprintf(out, n, "Chrome %d.0.0", atoi(p + 7));
    else
        snprintf(out, n, "%s", "");
}

static void signin_record(struct az_ev *e, struct km_gb *b, int interactive)
{
    const struct az_plan *pl = e->pl;
    const struct km_gen_world *w = pl->w;
    const struct az_desc *d = e->d;
    uint32_t p = d->who;
    const struct az_person *ap = &pl->pp[p];
    const struct km_gen_person *pe = &w->persons[p];
    int spray = d->story && pl->story_kind[d->story - 1] == SK_SPRAY;
    /* a planted sign-in from the attacker's address: their client, no device */
    int att = e->pt && e->pt->ip != KM_GEN_OWN_IP;
    const char *att_ua = att && e->pt->ua ? e->pt->ua : NULL;
    int app = spray ? APP_CLI : d->app;
    const struct az_app *aa = &az_apps[app];
    int res = d->res;
    int ok = az_res[res].code == 0;
    int mfa_done = res == R_OK_MFA;
    uint64_t frac = km_rng_next(&e->r) % 10000000;
    int lag = (int)km_rng_below(&e->r, 4);
    if (d->t + lag > 3599)
        lag = 3599 - d->t;
    ev_ip(e, p);

    LIT("{\"time\":\"");
    km_gb_iso_frac(b, e->t + lag, km_rng_next(&e->r) % 10000000, 7, "Z");
    LIT("\",\"resourceId\":\"/tenants/");
    STR(pl->tenant);
    LIT("/providers/Microsoft.aadiam\",\"operationName\":\"Sign-in activity\","
        "\"operationVersion\":\"1.0\",\"category\":\"");
    if (interactive)
        LIT("SignInLogs");
    else
        LIT("NonInteractiveUserSignInLogs");
    LIT("\",\"tenantId\":\"");
    STR(pl->tenant);
    LIT("\",\"resultType\":\"");
    km_gb_u64(b, az_res[res].code);
    LIT("\",\"resultSignature\":\"None\",");
    if (!ok) {
        LIT("\"resultDescription\":\"");
        STR(az_res[res].reason);
        LIT("\",");
    }
    LIT("\"durationMs\":0,\"callerIpAddress\":\"");
    STR(e->ip);
    LIT("\",\"correlationId\":\"");
    size_t corr_at = b->n;
    hashed_uuid(b, w->seed ^ 0xc0, ((uint64_t)d->corr << 20) ^ p);
    LIT("\",\"identity\":\"");
    km_gb_esc(b, ap->name, strlen(ap->name));
    LIT("\",\"Level\":4,\"location\":\"");
    STR(e->place->country);
    LIT("\",\"properties\":{\"id\":\"");
    size_t id_at = b->n;
    km_gb_uuid(b, &e->r);
    LIT("\",\"createdDateTime\":\"");
    km_gb_iso_frac(b, e->t, frac, 7, "+00:00");
    LIT("\",\"userDisplayName\":\"");
    km_gb_esc(b, ap->name, strlen(ap->name));
    LIT("\",\"userPrincipalName\":\"");
    STR(pe->email);
    LIT("\",\"userId\":\"");
    STR(ap->oid);
    LIT("\",\"appId\":\"");
    STR(pl->app_id[app]);
    LIT("\",\"appDisplayName\":\"");
    STR(aa->name);
    LIT("\",\"ipAddress\":\"");
    STR(e->ip);
    LIT("\",\"status\":{\"errorCode\":");
    km_gb_u64(b, az_res[res].code);
    if (az_res[res].reason) {
        LIT(",\"failureReason\":\"");
        STR(az_res[res].reason);
        km_gb_ch(b, '"');
    }
    if (az_res[res].detail) {
        LIT(",\"additionalDetails\":\"");
        STR(az_res[res].detail);
        km_gb_ch(b, '"');
    }
    LIT("},\"clientAppUsed\":\"");
    if (aa->desktop)
        LIT("Mobile Apps and Desktop clients");
    else
        LIT("Browser");
    LIT("\",\"userAgent\":\"");
    if (spray)
        LIT("python-requests/2.31.0");
    else if (e->pt && e->pt->ua)
        STR(e->pt->ua);
    else if (d->story)
        LIT("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0");
    else if (!aa->desktop)
        STR(pe->ua_browser);
    else if (app == APP_CLI)
        LIT("MSAL.Python/1.31.0 (azure-cli/2.67.0)");
    else if (app == APP_OUTLOOK)
        LIT("Outlook-iOS/2.0");
    else if (ap->os[0] == 'W')
        LIT("Windows-AzureAD-Authentication-Provider/1.0");
    else
        LIT("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko)");
    LIT("\",\"deviceDetail\":{\"deviceId\":\"");
    if (ap->trust && !d->story && !att)
        STR(ap->dev_id);
    LIT("\"");
    if (ap->trust && !d->story && !att) {
        LIT(",\"displayName\":\"");
        STR(ap->dev_name);
        LIT("\"");
    }
    LIT(",\"operatingSystem\":\"");
    if (d->story)
        LIT("Linux");
    else if (att_ua)
        STR(ua_os(att_ua));
    else if (app == APP_OUTLOOK)
        LIT("Ios 18.6");
    else
        STR(ap->os);
    LIT("\"");
    if (!aa->desktop) {
        LIT(",\"browser\":\"");
        if (d->story) {
            LIT("Firefox 128.0");
        } else if (att_ua) {
            char br[32];
            ua_browser(att_ua, br, sizeof br);
            STR(br);
        } else {
            STR(ap->browser);
        }
        LIT("\"");
    }
    if (ap->trust && !d->story && !att) {
        LIT(",\"isCompliant\":");
        if (ap->compliant)
            LIT("true");
        else
            LIT("false");
        LIT(",\"isManaged\":true,\"trustType\":\"");
        STR(ap->trust);
        LIT("\"");
    }
    LIT("},\"location\":{\"city\":\"");
    STR(e->place->city);
    LIT("\",\"state\":\"");
    STR(e->place->state);
    LIT("\",\"countryOrRegion\":\"");
    STR(e->place->country);
    LIT("\",\"geoCoordinates\":{\"latitude\":");
    char num[32];
    snprintf(num, sizeof num, "%.5f", e->place->lat);
    STR(num);
    LIT(",\"longitude\":");
    snprintf(num, sizeof num, "%.5f", e->place->lon);
    STR(num);
    LIT("}},\"mfaDetail\":{");
    if (mfa_done) {
        LIT("\"authMethod\":\"");
        STR(az_mfa_methods[ap->mfa]);
        LIT("\"");
    }
    LIT("},\"correlationId\":\"");
    km_gb_mem(b, b->p + corr_at, 36);
    LIT("\",\"conditionalAccessStatus\":\"");
    if (ok && !d->story && !att)
        LIT("success");
    else
        LIT("notApplied");
    LIT("\",\"originalRequestId\":\"");
    km_gb_mem(b, b->p + id_at, 36);
    LIT("\",\"isInteractive\":");
    if (interactive)
        LIT("true");
    else
        LIT("false");
    LIT(",\"tokenIssuerName\":\"\",\"tokenIssuerType\":\"AzureAD\","
        "\"processingTimeInMilliseconds\":");
    km_gb_u64(b, 40 + km_rng_below(&e->r, 300));
    int risky = (d->story && ok && spray) || (att && ok);
    if (risky)
        LIT(",\"riskDetail\":\"none\",\"riskLevelAggregated\":\"medium\",\"riskLevelDuringSignIn\":"
            "\"medium\",\"riskState\":\"atRisk\",\"riskEventTypes\":[\"unfamiliarFeatures\"],"
            "\"riskEventTypes_v2\":[\"unfamiliarFeatures\"]");
    else
        LIT(",\"riskDetail\":\"none\",\"riskLevelAggregated\":\"none\",\"riskLevelDuringSignIn\":"
            "\"none\",\"riskState\":\"none\",\"riskEventTypes\":[],\"riskEventTypes_v2\":[]");
    LIT(",\"resourceDisplayName\":\"");
    STR(aa->res_name ? aa->res_name : aa->name);
    LIT("\",\"resourceId\":\"");
    STR(aa->res_id ? aa->res_id : pl->app_id[app]);
    LIT("\",\"resourceTenantId\":\"");
    STR(pl->tenant);
    LIT("\",\"homeTenantId\":\"");
    STR(pl->tenant);
    LIT("\",\"tenantId\":\"");
    STR(pl->tenant);
    LIT("\",\"authenticationDetails\":[");
    if (interactive) {
        LIT("{\"authenticationStepDateTime\":\"");
        km_gb_iso_frac(b, e->t, 0, 7, "+00:00");
        LIT("\",\"authenticationMethod\":\"");
        if (res == R_OK_CLAIM || res == R_KMSI)
            LIT("Previously satisfied");
        else
            LIT("Password");
        LIT("\",\"authenticationMethodDetail\":\"");
        if (res == R_OK_CLAIM || res == R_KMSI)
            LIT("");
        else
            LIT("Password Hash Sync");
        LIT("\",\"succeeded\":");
        if (res == R_BADPW || res == R_LOCKED)
            LIT("false");
        else
            LIT("true");
        LIT(",\"authenticationStepResultDetail\":\"");
        if (res == R_BADPW)
            LIT("Invalid username or password or Invalid on-premise username or password.");
        else if (res == R_LOCKED)
            LIT("Account is locked");
        else if (res == R_OK_CLAIM || res == R_KMSI)
            LIT("First factor requirement satisfied by claim in the token");
        else
            LIT("Correct password");
        LIT("\",\"authenticationStepRequirement\":\"Primary authentication\"}");
        if (mfa_done) {
            LIT(",{\"authenticationStepDateTime\":\"");
            km_gb_iso_frac(b, e->t, 0, 7, "+00:00");
            LIT("\",\"authenticationMethod\":\"");
            STR(az_mfa_methods[ap->mfa]);
            LIT("\",\"succeeded\":true,\"authenticationStepResultDetail\":"
                "\"MFA successfully completed\","
                "\"authenticationStepRequirement\":\"Multi-factor authentication\"}");
        }
    }
    LIT("],\"authenticationRequirement\":\"");
    if (d->story || res == R_OK || p == w->story_person || (att && res != R_OK_CLAIM))
        LIT("singleFactorAuthentication");
    else
        LIT("multiFactorAuthentication");
    LIT("\",\"servicePrincipalId\":\"\",\"userType\":\"Member\",\"flaggedForReview\":false,"
        "\"isTenantRestricted\":false,\"autonomousSystemNumber\":");
    km_gb_u64(b, e->place->asn);
    LIT(",\"crossTenantAccessType\":\"none\",\"uniqueTokenIdentifier\":\"");
    b64url(b, &e->r, 22);
    LIT("\",\"incomingTokenType\":\"");
    if (interactive)
        LIT("none");
    else if (app == APP_BROKER || app == APP_TEAMS)
        LIT("primaryRefreshToken");
    else
        LIT("refreshToken");
    LIT("\",\"authenticationProtocol\":\"");
    if (app == APP_AWS || app == APP_GCP)
        LIT("saml20");
    else
        LIT("none");
    LIT("\",\"sessionId\":\"");
    hashed_uuid(b, w->seed ^ 0x5e55,
                ((uint64_t)p << 32) ^ (uint64_t)(e->day * 3 + (d->story ? 2 : att ? 1 : 0)));
    LIT("\"}}\n");
}

/* Writes the resource id of an Activity log operation (original case). */
static void resource_path(struct km_gb *b, const struct az_plan *pl, const struct az_sub *sb,
                          int op, int pick, int64_t t, uint64_t corr)
{
    int type = az_ops[op].type;
    int pj = pick % sb->nproj;
    const char *proj = sb->proj[pj], *env = sb->env;
    LIT("/subscriptions/");
    STR(sb->id);
    if (type == T_RA) {
        LIT("/providers/Microsoft.Authorization/roleAssignments/");
        hashed_uuid(b, pl->w->seed ^ 0x4a, corr);
        return;
    }
    if (type == T_DIAG) {
        LIT("/providers/Microsoft.Insights/diagnosticSettings/activity-to-storage");
        return;
    }
    LIT("/resourceGroups/rg-");
    STR(proj);
    km_gb_ch(b, '-');
    STR(env);
    if (type == T_RG)
        return;
    int vm = (pick / 4) % sb->nvm[pj];
    switch (type) {
    case T_VM:
    case T_DISK:
    case T_SNAP:
        LIT("/providers/Microsoft.Compute/");
        if (type == T_VM)
            LIT("virtualMachines/");
        else if (type == T_DISK)
            LIT("disks/");
        else
            LIT("snapshots/");
        LIT("vm-");
        STR(proj);
        km_gb_ch(b, '-');
        STR(env);
        LIT("-0");
        km_gb_u64(b, (uint64_t)vm + 1);
        if (type == T_DISK) {
            LIT("_OsDisk_1_");
            STR(sb->disk[pj][vm]);
        } else if (type == T_SNAP) {
            struct km_gen_tm tm;
            km_gen_gmtime(t, &tm);
            LIT("-snap-");
            km_gb_u64(b, (uint64_t)tm.year);
            km_gb_2d(b, (unsigned)tm.mon);
            km_gb_2d(b, (unsigned)tm.day);
        }
        break;
    case T_SA:
    case T_CONT:
        LIT("/providers/Microsoft.Storage/storageAccounts/st");
        km_gb_mem(b, proj, strlen(proj) > 8 ? 8 : strlen(proj));
        km_gb_mem(b, env, strlen(env) > 4 ? 4 : strlen(env));
        STR(sb->sfx[pj]);
        if (type == T_CONT) {
            static const char *const cont[] = {"uploads", "exports", "backups", "tfstate"};
            LIT("/blobServices/default/containers/");
            STR(cont[(pick >> 3) % 4]);
        }
        break;
    case T_KV:
        LIT("/providers/Microsoft.KeyVault/vaults/kv-");
        STR(proj);
        km_gb_ch(b, '-');
        km_gb_mem(b, sb->sfx[pj], 4);
        break;
    case T_AKS:
    case T_POOL:
        LIT("/providers/Microsoft.ContainerService/managedClusters/aks-");
        STR(proj);
        km_gb_ch(b, '-');
        STR(env);
        if (type == T_POOL) {
            LIT("/agentPools/");
            if (pick & 1)
                LIT("system");
            else
                LIT("nodepool1");
        }
        break;
    case T_NSG:
    case T_RULE:
        LIT("/providers/Microsoft.Network/networkSecurityGroups/nsg-");
        STR(proj);
        km_gb_ch(b, '-');
        STR(env);
        if (type == T_RULE) {
            static const char *const rules[] = {"allow-https-inbound", "allow-ssh-bastion",
                                                "deny-all-inbound", "allow-appgw"};
            LIT("/securityRules/");
            STR(rules[(pick >> 2) % 4]);
        }
        break;
    case T_WEB:
        LIT("/providers/Microsoft.Web/sites/app-");
        STR(proj);
        km_gb_ch(b, '-');
        STR(env);
        break;
    case T_SQLDB:
    case T_SQLFW:
        LIT("/providers/Microsoft.Sql/servers/sql-");
        STR(proj);
        km_gb_ch(b, '-');
        STR(env);
        if (type == T_SQLDB) {
            LIT("/databases/sqldb-");
            STR(proj);
        } else {
            LIT("/firewallRules/");
            if (pick & 2)
                LIT("AllowAllWindowsAzureIps");
            else
                LIT("office-egress");
        }
        break;
    case T_DEPLOY: {
        struct km_gen_tm tm;
        km_gen_gmtime(t, &tm);
        LIT("/providers/Microsoft.Resources/deployments/");
        STR(proj);
        LIT("-infra-");
        km_gb_u64(b, (uint64_t)tm.year);
        km_gb_2d(b, (unsigned)tm.mon);
        km_gb_2d(b, (unsigned)tm.day);
        km_gb_2d(b, (unsigned)tm.hour);
        km_gb_2d(b, (unsigned)tm.min);
        break;
    }
    case T_TAGS:
        LIT("/providers/Microsoft.Resources/tags/default");
        break;
    default:
        break;
    }
}

static void activity_record(struct az_ev *e, struct km_gb *b, struct km_gb *tmp)
{
    const struct az_plan *pl = e->pl;
    const struct km_gen_world *w = pl->w;
    const struct az_desc *d = e->d;
    const struct az_actor *a = &pl->act[d->who];
    const struct az_sub *sb = &pl->subs[a->sub];
    const struct az_op *op = &az_ops[d->app];
    int user = a->kind == A_USER;
    const struct az_person *ap = user ? &pl->pp[a->who] : NULL;
    const struct az_sp *sp = user ? NULL : &pl->sps[a->who];
    int ph = d->res;
    int role = user ? ap->role : ROLE_CONTRIB;
    int cli = user && (d->corr >> 7) % 100 < 45 && ap->cli;
    if (d->story)
        cli = 1;

    if (user) {
        ev_ip(e, a->who);
    } else if (sp->ip) {
        struct km_gb ib = {e->ip, 0, sizeof e->ip};
        km_gb_ip4(&ib, sp->ip);
        e->ip[ib.n] = 0;
    } else { /* GitHub-hosted runner: a different Azure address per job */
        static const uint8_t pre[4] = {20, 4, 13, 52};
        uint64_t h = km_rng_hash2(w->seed ^ 0x6a, d->corr >> 3);
        struct km_gb ib = {e->ip, 0, sizeof e->ip};
        km_gb_ip4(&ib, ((uint32_t)pre[h & 3] << 24) | (uint32_t)((h >> 8) & 0xffffff) | 1u);
        e->ip[ib.n] = 0;
    }

    /* the resource, in its own case and upper-cased */
    tmp->n = 0;
    resource_path(tmp, pl, sb, d->app, d->pick, e->t, ((uint64_t)d->corr << 8) ^ d->who);
    size_t rlen = tmp->n;
    const char *res = tmp->p;

    LIT("{\"time\":\"");
    km_gb_iso_frac(b, e->t, km_rng_next(&e->r) % 10000000, 7, "Z");
    LIT("\",\"resourceId\":\"");
    for (size_t i = 0; i < rlen; i++) {
        char c = res[i];
        km_gb_ch(b, c >= 'a' && c <= 'z' ? (char)(c - 32) : c);
    }
    LIT("\",\"operationName\":\"");
    for (const char *s = op->name; *s; s++)
        km_gb_ch(b, *s >= 'a' && *s <= 'z' ? (char)(*s - 32) : *s);
    LIT("\",\"category\":\"Administrative\",\"resultType\":\"");
    if (ph == PH_START)
        LIT("Start\",\"resultSignature\":\"Started.\"");
    else if (ph == PH_SUCCESS) {
        LIT("Success\",\"resultSignature\":\"Succeeded.");
        STR(az_status[op->status]);
        km_gb_ch(b, '"');
    } else if (ph == PH_FORBIDDEN)
        LIT("Failure\",\"resultSignature\":\"Failed.Forbidden\"");
    else
        LIT("Failure\",\"resultSignature\":\"Failed.Conflict\"");
    LIT(",\"durationMs\":");
    km_gb_u64(b, d->dur);
    LIT(",\"callerIpAddress\":\"");
    STR(e->ip);
    LIT("\",\"correlationId\":\"");
    hashed_uuid(b, w->seed ^ 0xc1, ((uint64_t)d->corr << 16) ^ d->who);
    LIT("\",\"identity\":{\"authorization\":{\"scope\":\"");
    km_gb_mem(b, res, rlen);
    LIT("\",\"action\":\"");
    STR(op->name);
    km_gb_ch(b, '"');
    if (ph != PH_FORBIDDEN) {
        LIT(",\"evidence\":{\"role\":\"");
        STR(az_role_name[role]);
        LIT("\",\"roleAssignmentScope\":\"/subscriptions/");
        STR(sb->id);
        LIT("\",\"roleAssignmentId\":\"");
        uint64_t ra = ((uint64_t)a->kind << 32) ^ ((uint64_t)a->who << 8) ^ a->sub;
        km_gb_hex(b, km_rng_hash2(w->seed ^ 0x7a, ra), 16);
        km_gb_hex(b, km_rng_hash2(w->seed ^ 0x7b, ra), 16);
        LIT("\",\"roleDefinitionId\":\"");
        STR(az_role_def[role]);
        LIT("\",\"principalId\":\"");
        const char *oid = user ? ap->oid : sp->oid;
        for (const char *s = oid; *s; s++)
            if (*s != '-')
                km_gb_ch(b, *s);
        LIT("\",\"principalType\":\"");
        if (user)
            LIT("User\"}");
        else
            LIT("ServicePrincipal\"}");
    }
    /* the token: one per person (or principal) and hour */
    int64_t phase = (int64_t)(km_rng_hash2(w->seed ^ 0x70c, d->who) % 3600);
    int64_t iat = e->t - ((e->t - phase) % 3600 + 3600) % 3600;
    struct km_rng tr;
    km_rng_init(&tr, w->seed ^ 0x70d, ((uint64_t)d->who << 32) ^ (uint64_t)iat);
    LIT("},\"claims\":{\"aud\":\"https://management.core.windows.net/\","
        "\"iss\":\"https://sts.windows.net/");
    STR(pl->tenant);
    LIT("/\",\"iat\":\"");
    km_gb_u64(b, (uint64_t)iat);
    LIT("\",\"nbf\":\"");
    km_gb_u64(b, (uint64_t)iat);
    LIT("\",\"exp\":\"");
    km_gb_u64(b, (uint64_t)iat + 4200 + (uint64_t)(phase % 600));
    if (user) {
        LIT("\",\"http://schemas.microsoft.com/claims/authnclassreference\":\"1\",\"aio\":\"");
        b64url(b, &tr, 56);
        LIT("\",\"http://schemas.microsoft.com/claims/authnmethodsreferences\":\"");
        if (d->story || a->who == w->story_person)
            LIT("pwd");
        else
            LIT("pwd,mfa");
        LIT("\",\"appid\":\"");
        STR(pl->app_id[cli ? APP_CLI : APP_PORTAL]);
        LIT("\",\"appidacr\":\"0\","
            "\"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname\":\"");
        km_gb_esc(b, ap->sur, strlen(ap->sur));
        LIT("\",\"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname\":\"");
        km_gb_esc(b, ap->given, strlen(ap->given));
        LIT("\",\"ipaddr\":\"");
        STR(e->ip);
        LIT("\",\"name\":\"");
        km_gb_esc(b, ap->name, strlen(ap->name));
        LIT("\",\"http://schemas.microsoft.com/identity/claims/objectidentifier\":\"");
        STR(ap->oid);
        LIT("\",\"puid\":\"");
        STR(ap->puid);
        LIT("\",\"rh\":\"1.A");
        b64url(b, &tr, 54);
        LIT(".\",\"http://schemas.microsoft.com/identity/claims/scope\":\"user_impersonation\","
            "\"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier\":\"");
        STR(ap->nameid);
        LIT("\",\"http://schemas.microsoft.com/identity/claims/tenantid\":\"");
        STR(pl->tenant);
        LIT("\",\"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name\":\"");
        STR(w->persons[a->who].email);
        LIT("\",\"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn\":\"");
        STR(w->persons[a->who].email);
    } else {
        LIT("\",\"aio\":\"");
        b64url(b, &tr, 56);
        LIT("\",\"appid\":\"");
        STR(sp->appid);
        LIT("\",\"appidacr\":\"1\","
            "\"http://schemas.microsoft.com/identity/claims/identityprovider\":"
            "\"https://sts.windows.net/");
        STR(pl->tenant);
        LIT("/\",\"idtyp\":\"app\","
            "\"http://schemas.microsoft.com/identity/claims/objectidentifier\":\"");
        STR(sp->oid);
        LIT("\",\"rh\":\"1.A");
        b64url(b, &tr, 54);
        LIT(".\",\"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier\":\"");
        STR(sp->oid);
        LIT("\",\"http://schemas.microsoft.com/identity/claims/tenantid\":\"");
        STR(pl->tenant);
    }
    LIT("\",\"uti\":\"");
    b64url(b, &tr, 22);
    LIT("\",\"ver\":\"1.0\",\"xms_tcdt\":\"1601455200\"}},\"level\":\"");
    if (ph >= PH_FORBIDDEN)
        LIT("Error");
    else
        LIT("Information");
    LIT("\",\"location\":\"global\",\"properties\":{");
    if (ph == PH_SUCCESS) {
        LIT("\"statusCode\":\"");
        STR(az_status[op->status]);
        LIT("\",\"serviceRequestId\":\"");
        km_gb_uuid(b, &e->r);
        LIT("\",");
    } else if (ph == PH_FORBIDDEN) {
        LIT("\"statusCode\":\"Forbidden\",\"statusMessage\":\"{\\\"error\\\":{\\\"code\\\":"
            "\\\"AuthorizationFailed\\\",\\\"message\\\":\\\"The client '");
        if (user)
            STR(w->persons[a->who].email);
        else
            STR(sp->appid);
        LIT("' with object id '");
        STR(user ? ap->oid : sp->oid);
        LIT("' does not have authorization to perform action '");
        STR(op->name);
        LIT("' over scope '");
        km_gb_mem(b, res, rlen);
        LIT("' or the scope is invalid. If access was recently granted, please refresh your "
            "credentials.\\\"}}\",");
    } else if (ph == PH_CONFLICT) {
        LIT("\"statusCode\":\"Conflict\",\"serviceRequestId\":\"");
        km_gb_uuid(b, &e->r);
        LIT("\",\"statusMessage\":\"{\\\"error\\\":{\\\"code\\\":\\\"OperationNotAllowed\\\","
            "\\\"message\\\":\\\"Another operation is in progress on the resource. Retry after "
            "the operation has completed.\\\"}}\",");
    }
    LIT("\"eventCategory\":\"Administrative\",\"entity\":\"");
    km_gb_mem(b, res, rlen);
    LIT("\",\"message\":\"");
    STR(op->name);
    LIT("\",\"hierarchy\":\"");
    STR(pl->tenant);
    km_gb_ch(b, '/');
    STR(pl->mg);
    km_gb_ch(b, '/');
    STR(sb->id);
    LIT("\"}}\n");
}

/* ---- planted records (gen_scen.c) ------------------------------------------------------ */

/* The role assignment a scenario creates: its id, the same in the assignee's
 * later evidence. */
static void plant_ra_id(struct km_gb *b, const struct az_plan *pl, const struct km_gen_plant *p)
{
    hashed_uuid(b, pl->w->seed ^ 0x4a11, ((uint64_t)p->scen << 20) ^ p->acct);
}

/* An Activity log record of a planted operation by person p->who. */
static void plant_activity(struct az_ev *e, struct km_gb *b, struct km_gb *tmp)
{
    const struct az_plan *pl = e->pl;
    const struct km_gen_world *w = pl->w;
    const struct km_gen_plant *p = e->pt;
    const struct az_sub *sb = &pl->subs[p->acct % (uint32_t)pl->nsubs];
    uint32_t who = p->who;
    const struct az_person *ap = &pl->pp[who];
    int start = p->res == 0;
    const char *op, *status, *role;
    tmp->n = 0;
    switch (p->kind) {
    case KM_GEN_PK_AZ_RA:
        op = "Microsoft.Authorization/roleAssignments/write";
        status = "Created";
        role = "Owner";
        KM_GB_LIT(tmp, "/subscriptions/");
        km_gb_str(tmp, sb->id);
        KM_GB_LIT(tmp, "/providers/Microsoft.Authorization/roleAssignments/");
        plant_ra_id(tmp, pl, p);
        break;
    case KM_GEN_PK_AZ_LISTKEYS:
        op = "Microsoft.Storage/storageAccounts/listKeys/action";
        status = "OK";
        role = "Contributor";
        resource_path(tmp, pl, sb, 0, (int)(km_rng_hash2(w->seed, p->corr) & 255), p->t, p->corr);
        break;
    case KM_GEN_PK_AZ_RUNCMD:
        op = "Microsoft.Compute/virtualMachines/runCommand/action";
        status = "Accepted";
        role = "Contributor";
        resource_path(tmp, pl, sb, 1, (int)(km_rng_hash2(w->seed, p->corr) & 255), p->t, p->corr);
        break;
    default: /* KM_GEN_PK_AZ_DIAGDEL */
        op = "Microsoft.Insights/diagnosticSettings/delete";
        status = "OK";
        role = "Owner";
        KM_GB_LIT(tmp, "/subscriptions/");
        km_gb_str(tmp, sb->id);
        KM_GB_LIT(tmp, "/providers/Microsoft.Insights/diagnosticSettings/");
        km_gb_str(tmp, p->str ? p->str : "send-to-sentinel");
        break;
    }
    size_t rlen = tmp->n;
    const char *res = tmp->p;
    ev_ip(e, who);
    LIT("{\"time\":\"");
    km_gb_iso_frac(b, e->t, km_rng_next(&e->r) % 10000000, 7, "Z");
    LIT("\",\"resourceId\":\"");
    for (size_t i = 0; i < rlen; i++)
        km_gb_ch(b, res[i] >= 'a' && res[i] <= 'z' ? (char)(res[i] - 32) : res[i]);
    LIT("\",\"operationName\":\"");
    for (const char *s = op; *s; s++)
        km_gb_ch(b, *s >= 'a' && *s <= 'z' ? (char)(*s - 32) : *s);
    LIT("\",\"category\":\"Administrative\",\"resultType\":\"");
    if (start) {
        LIT("Start\",\"resultSignature\":\"Started.\"");
    } else {
        LIT("Success\",\"resultSignature\":\"Succeeded.");
        STR(status);
        km_gb_ch(b, '"');
    }
    LIT(",\"durationMs\":");
    km_gb_u64(b, start ? 0 : 400 + (p->seed >> 8) % 3000);
    LIT(",\"callerIpAddress\":\"");
    STR(e->ip);
    LIT("\",\"correlationId\":\"");
    hashed_uuid(b, w->seed ^ 0xc1a, ((uint64_t)p->scen << 32) ^ p->corr);
    LIT("\",\"identity\":{\"authorization\":{\"scope\":\"");
    km_gb_mem(b, res, rlen);
    LIT("\",\"action\":\"");
    STR(op);
    LIT("\",\"evidence\":{\"role\":\"");
    STR(role);
    LIT("\",\"roleAssignmentScope\":\"/subscriptions/");
    STR(sb->id);
    LIT("\",\"roleAssignmentId\":\"");
    if (p->kind == KM_GEN_PK_AZ_LISTKEYS || p->kind == KM_GEN_PK_AZ_RUNCMD) {
        /* the assignment the scenario made a minute ago */
        struct km_gen_plant ra = *p;
        char id[40];
        struct km_gb ib = {id, 0, sizeof id};
        plant_ra_id(&ib, pl, &ra);
        for (size_t i = 0; i < ib.n; i++)
            if (id[i] != '-')
                km_gb_ch(b, id[i]);
    } else {
        uint64_t ra = ((uint64_t)A_USER << 32) ^ ((uint64_t)who << 8) ^ (p->acct % (uint32_t)pl->nsubs);
        km_gb_hex(b, km_rng_hash2(w->seed ^ 0x7a, ra), 16);
        km_gb_hex(b, km_rng_hash2(w->seed ^ 0x7b, ra), 16);
    }
    LIT("\",\"roleDefinitionId\":\"");
    STR(az_role_def[role[0] == 'O' ? ROLE_OWNER : ROLE_CONTRIB]);
    LIT("\",\"principalId\":\"");
    for (const char *s = ap->oid; *s; s++)
        if (*s != '-')
            km_gb_ch(b, *s);
    LIT("\",\"principalType\":\"User\"}");
    /* one token for the records of one operation */
    int64_t iat = e->t / 900 * 900 - 300 - (int64_t)(km_rng_hash2(w->seed ^ 0x70f, p->corr) % 600);
    struct km_rng tr;
    km_rng_init(&tr, w->seed ^ 0x70e, ((uint64_t)who << 32) ^ (uint64_t)iat);
    LIT("},\"claims\":{\"aud\":\"https://management.core.windows.net/\","
        "\"iss\":\"https://sts.windows.net/");
    STR(pl->tenant);
    LIT("/\",\"iat\":\"");
    km_gb_u64(b, (uint64_t)iat);
    LIT("\",\"nbf\":\"");
    km_gb_u64(b, (uint64_t)iat);
    LIT("\",\"exp\":\"");
    km_gb_u64(b, (uint64_t)iat + 4437);
    LIT("\",\"http://schemas.microsoft.com/claims/authnclassreference\":\"1\",\"aio\":\"");
    b64url(b, &tr, 56);
    LIT("\",\"http://schemas.microsoft.com/claims/authnmethodsreferences\":\"pwd,mfa\",\"appid\":\"");
    STR(pl->app_id[APP_CLI]);
    LIT("\",\"appidacr\":\"0\","
        "\"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname\":\"");
    km_gb_esc(b, ap->sur, strlen(ap->sur));
    LIT("\",\"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname\":\"");
    km_gb_esc(b, ap->given, strlen(ap->given));
    LIT("\",\"ipaddr\":\"");
    STR(e->ip);
    LIT("\",\"name\":\"");
    km_gb_esc(b, ap->name, strlen(ap->name));
    LIT("\",\"http://schemas.microsoft.com/identity/claims/objectidentifier\":\"");
    STR(ap->oid);
    LIT("\",\"puid\":\"");
    STR(ap->puid);
    LIT("\",\"rh\":\"1.A");
    b64url(b, &tr, 54);
    LIT(".\",\"http://schemas.microsoft.com/identity/claims/scope\":\"user_impersonation\","
        "\"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier\":\"");
    STR(ap->nameid);
    LIT("\",\"http://schemas.microsoft.com/identity/claims/tenantid\":\"");
    STR(pl->tenant);
    LIT("\",\"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name\":\"");
    STR(w->persons[who].email);
    LIT("\",\"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn\":\"");
    STR(w->persons[who].email);
    LIT("\",\"uti\":\"");
    b64url(b, &tr, 22);
    LIT("\",\"ver\":\"1.0\",\"xms_tcdt\":\"1601455200\"}},\"level\":\"Information\","
        "\"location\":\"global\",\"properties\":{");
    if (!start) {
        LIT("\"statusCode\":\"");
        STR(status);
        LIT("\",\"serviceRequestId\":\"");
        km_gb_uuid(b, &e->r);
        LIT("\",");
    }
    if (p->kind == KM_GEN_PK_AZ_RA) {
        /* the assignment itself: who gets which role where */
        const struct az_person *to = &pl->pp[p->who2];
        if (start)
            LIT("\"requestbody\":\"");
        else
            LIT("\"responseBody\":\"");
        LIT("{\\\"Id\\\":\\\"");
        plant_ra_id(b, pl, p);
        LIT("\\\",\\\"Properties\\\":{\\\"PrincipalId\\\":\\\"");
        STR(to->oid);
        LIT("\\\",\\\"PrincipalType\\\":\\\"User\\\",\\\"RoleDefinitionId\\\":\\\""
            "/providers/Microsoft.Authorization/roleDefinitions/");
        const char *def = az_role_def[p->app == KM_GEN_AZROLE_OWNER ? ROLE_OWNER : ROLE_CONTRIB];
        /* the GUID with its dashes, as the API writes it */
        for (int i = 0; def[i]; i++) {
            if (i == 8 || i == 12 || i == 16 || i == 20)
                km_gb_ch(b, '-');
            km_gb_ch(b, def[i]);
        }
        LIT("\\\",\\\"Scope\\\":\\\"/subscriptions/");
        STR(sb->id);
        LIT("\\\"}}\",");
    }
    LIT("\"eventCategory\":\"Administrative\",\"entity\":\"");
    km_gb_mem(b, res, rlen);
    LIT("\",\"message\":\"");
    STR(op);
    LIT("\",\"hierarchy\":\"");
    STR(pl->tenant);
    km_gb_ch(b, '/');
    STR(pl->mg);
    km_gb_ch(b, '/');
    STR(sb->id);
    LIT("\"}}\n");
    int scen = p->scen;
    km_gen_scen_ent(w, scen, KM_GEN_E_ACCOUNTS, "%s", sb->id);
    char rbuf[400];
    snprintf(rbuf, sizeof rbuf, "%.*s", (int)rlen, res);
    km_gen_scen_ent(w, scen, KM_GEN_E_RESOURCES, "%s", rbuf);
    if (p->kind == KM_GEN_PK_AZ_RA)
        km_gen_scen_ent(w, scen, KM_GEN_E_RESOURCES, "/subscriptions/%s", sb->id);
}

/* An Entra ID audit log record (category AuditLogs): a credential added to
 * an app registration (app 0) or to its service principal (app 1). */
static void plant_audit(struct az_ev *e, struct km_gb *b)
{
    const struct az_plan *pl = e->pl;
    const struct km_gen_world *w = pl->w;
    const struct km_gen_plant *p = e->pt;
    const struct az_person *ap = &pl->pp[p->who];
    /* the automation service principal of the subscription, and its app */
    const struct az_sp *sp = &pl->sps[2 * (p->acct % (uint32_t)pl->nsubs) + 1];
    int onsp = p->app == 1;
    const char *act = onsp ? "Add service principal credentials"
                           : "Update application \xe2\x80\x93 Certificates and secrets management ";
    ev_ip(e, p->who);
    char corr[40], obj[40], keyid[40];
    struct km_gb cb = {corr, 0, sizeof corr}, ob = {obj, 0, sizeof obj},
                 kb = {keyid, 0, sizeof keyid};
    hashed_uuid(&cb, w->seed ^ 0xa0d, ((uint64_t)p->scen << 32) ^ p->corr ^ (uint64_t)p->app);
    hashed_uuid(&ob, w->seed ^ 0xa0e, (uint64_t)p->acct);
    hashed_uuid(&kb, w->seed ^ 0xa0f, ((uint64_t)p->scen << 8) ^ (uint64_t)p->app);
    corr[cb.n] = obj[ob.n] = keyid[kb.n] = 0;
    const char *target_id = onsp ? sp->oid : obj;
    char id[96];
    struct km_gb idb = {id, 0, sizeof id};
    km_gb_str(&idb, "Directory_");
    km_gb_str(&idb, corr);
    km_gb_ch(&idb, '_');
    km_gb_rand(&idb, &e->r, KM_GEN_UPPER, 5);
    km_gb_ch(&idb, '_');
    km_gb_u64(&idb, 10000000 + km_rng_below(&e->r, 89999999));
    id[idb.n] = 0;
    LIT("{\"time\":\"");
    uint64_t frac = km_rng_next(&e->r) % 10000000;
    km_gb_iso_frac(b, e->t, frac, 7, "Z");
    LIT("\",\"resourceId\":\"/tenants/");
    STR(pl->tenant);
    LIT("/providers/Microsoft.aadiam\",\"operationName\":\"");
    STR(act);
    LIT("\",\"operationVersion\":\"1.0\",\"category\":\"AuditLogs\",\"tenantId\":\"");
    STR(pl->tenant);
    LIT("\",\"resultSignature\":\"None\",\"durationMs\":0,\"callerIpAddress\":\"");
    STR(e->ip);
    LIT("\",\"correlationId\":\"");
    STR(corr);
    LIT("\",\"Level\":4,\"properties\":{\"id\":\"");
    STR(id);
    LIT("\",\"category\":\"ApplicationManagement\",\"correlationId\":\"");
    STR(corr);
    LIT("\",\"result\":\"success\",\"resultReason\":\"\",\"activityDisplayName\":\"");
    STR(act);
    LIT("\",\"activityDateTime\":\"");
    km_gb_iso_frac(b, e->t, frac, 7, "Z");
    LIT("\",\"loggedByService\":\"Core Directory\",\"operationType\":\"Update\",\"userAgent\":\"");
    STR(p->ua ? p->ua : w->persons[p->who].ua_browser);
    LIT("\",\"initiatedBy\":{\"user\":{\"id\":\"");
    STR(ap->oid);
    LIT("\",\"displayName\":null,\"userPrincipalName\":\"");
    STR(w->persons[p->who].email);
    LIT("\",\"ipAddress\":\"");
    STR(e->ip);
    LIT("\",\"roles\":[]}},\"targetResources\":[{\"id\":\"");
    STR(target_id);
    LIT("\",\"displayName\":\"");
    STR(sp->name);
    LIT("\",\"type\":\"");
    STR(onsp ? "ServicePrincipal" : "Application");
    LIT("\",\"modifiedProperties\":[{\"displayName\":\"KeyDescription\",\"oldValue\":\"[]\","
        "\"newValue\":\"[\\\"[KeyIdentifier=");
    STR(keyid);
    LIT(",KeyType=Password,KeyUsage=Verify,DisplayName=");
    STR(onsp ? "sp-sync" : "backup-sync");
    LIT("]\\\"]\"},{\"displayName\":\"Included Updated Properties\",\"oldValue\":null,"
        "\"newValue\":\"\\\"KeyDescription\\\"\"}],\"administrativeUnits\":[]}],"
        "\"additionalDetails\":[{\"key\":\"User-Agent\",\"value\":\"");
    STR(p->ua ? p->ua : w->persons[p->who].ua_browser);
    LIT("\"}]}}\n");
    km_gen_scen_ent(w, p->scen, KM_GEN_E_EVENTS, "%s", id);
    km_gen_scen_ent(w, p->scen, KM_GEN_E_ACCOUNTS, "%s", pl->tenant);
    km_gen_scen_ent(w, p->scen, KM_GEN_E_RESOURCES, "%s", target_id);
    km_gen_scen_ent(w, p->scen, KM_GEN_E_IDENTITIES, "%s", sp->name);
}

/* Maps a plant's result and app onto the sign-in tables. */
static void plant_desc(const struct km_gen_plant *p, struct az_desc *d)
{
    static const uint8_t res[] = {[KM_GEN_AZR_BADPW] = R_BADPW, [KM_GEN_AZR_LOCKED] = R_LOCKED,
                                  [KM_GEN_AZR_OK_SF] = R_OK, [KM_GEN_AZR_OK_CLAIM] = R_OK_CLAIM,
                                  [KM_GEN_AZR_OK_MFA] = R_OK_MFA};
    static const uint8_t app[] = {[KM_GEN_AZA_OFFICEHOME] = APP_OFFICEHOME,
                                  [KM_GEN_AZA_PORTAL] = APP_PORTAL, [KM_GEN_AZA_OFFICE] = APP_OFFICE,
                                  [KM_GEN_AZA_CLI] = APP_CLI, [KM_GEN_AZA_AADPS] = APP_AADPS};
    memset(d, 0, sizeof *d);
    d->t = 0;
    d->res = res[p->res < sizeof res ? p->res : 0];
    d->app = app[p->app < sizeof app ? p->app : 0];
    d->who = p->who;
    d->corr = (uint32_t)km_rng_hash2(p->seed, (uint64_t)p->scen << 16 ^ p->corr);
    d->seed = p->seed;
}

/* Renders the provider's plants (single-threaded, at plan time) and sorts
 * them by (unit, second). */
static int az_plants(struct az_plan *pl, struct km_err *err)
{
    const struct km_gen_world *w = pl->w;
    uint32_t first, n;
    km_gen_scen_plants(w, KM_GEN_PROV_AZURE, &first, &n);
    if (!n)
        return KM_OK;
    const struct km_gen_plant *plants = w->scen->pl + first;
    pl->pl = calloc(n, sizeof *pl->pl);
    struct km_gb b = {NULL, 0, 0}, tmp = {NULL, 0, 0};
    if (!pl->pl || km_gb_reserve(&tmp, 4096)) {
        km_gb_free(&tmp);
        return km_err_set(err, KM_ENOMEM, NULL, UINT64_MAX, "out of memory (plants)");
    }
    for (uint32_t i = 0; i < n; i++) {
        const struct km_gen_plant *p = &plants[i];
        if (km_gb_reserve(&b, KM_GB_RECORD_MAX)) {
            km_gb_free(&b);
            km_gb_free(&tmp);
            return km_err_set(err, KM_ENOMEM, NULL, UINT64_MAX, "out of memory (plants)");
        }
        int64_t hour = (p->t - w->start) / 3600;
        uint32_t st = p->kind == KM_GEN_PK_AZ_SIGNIN ? AZ_ST_SIGNIN
                      : p->kind == KM_GEN_PK_AZ_AUDIT ? pl->nbg
                      : AZ_ST_ACT + p->acct % (uint32_t)pl->nsubs;
        struct az_desc d;
        plant_desc(p, &d);
        d.t = (uint16_t)((p->t - w->start) % 3600);
        struct az_ev e;
        memset(&e, 0, sizeof e);
        e.pl = pl;
        e.d = &d;
        e.pt = p;
        e.t = p->t;
        e.day = (uint32_t)((p->t - w->start) / 86400);
        e.r.s = p->seed;
        size_t at = b.n;
        if (p->kind == KM_GEN_PK_AZ_SIGNIN)
            signin_record(&e, &b, 1);
        else if (p->kind == KM_GEN_PK_AZ_AUDIT)
            plant_audit(&e, &b);
        else
            plant_activity(&e, &b, &tmp);
        struct az_pl *x = &pl->pl[pl->npl++];
        x->unit = (uint64_t)st * pl->nhours + (uint64_t)hour;
        x->t = d.t;
        x->off = (uint32_t)at;
        x->len = (uint32_t)(b.n - at);
        /* ground truth: the event id as kumo derives it, the tenant or subscription */
        const char *line = b.p + at;
        if (p->kind == KM_GEN_PK_AZ_SIGNIN) {
            const char *id = strstr(line, "\"properties\":{\"id\":\"");
            if (id)
                km_gen_scen_ent(w, p->scen, KM_GEN_E_EVENTS, "SignInLogs:%.36s", id + 20);
            km_gen_scen_ent(w, p->scen, KM_GEN_E_ACCOUNTS, "%s", pl->tenant);
        } else if (p->kind != KM_GEN_PK_AZ_AUDIT) {
            uint8_t h[32];
            char hex[65];
            km_sha256(line, x->len - 1, h); /* the record, without its newline */
            km_hex(h, 32, hex);
            km_gen_scen_ent(w, p->scen, KM_GEN_E_EVENTS, "sha256:%s", hex);
        }
    }
    km_gb_free(&tmp);
    pl->ptext = b.p;
    pl->pn = b.n;
    pl->pcap = b.cap;
    /* (unit, second) order, stable */
    for (uint32_t i = 1; i < pl->npl; i++) {
        struct az_pl x = pl->pl[i];
        uint32_t j = i;
        while (j > 0 && (pl->pl[j - 1].unit > x.unit ||
                         (pl->pl[j - 1].unit == x.unit && pl->pl[j - 1].t > x.t))) {
            pl->pl[j] = pl->pl[j - 1];
            j--;
        }
        pl->pl[j] = x;
    }
    return KM_OK;
}

/* ---- units -------------------------------------------------------------------------- */

static int az_unit(void *state, uint64_t u, struct km_gen_thread *ts, struct km_err *err)
{
    const struct az_plan *pl = state;
    const struct km_gen_world *w = pl->w;
    uint32_t st = (uint32_t)(u / pl->nhours), hour = (uint32_t)(u % pl->nhours);
    int64_t hstart = w->start + (int64_t)hour * 3600;
    uint32_t n = pl->count[u], nstory = 0;
    for (int k = 0; k < KM_GEN_STORY_N_AZURE && pl->story; k++) {
        int kst = pl->story_kind[k] == SK_DENIED ? AZ_ST_ACT : AZ_ST_SIGNIN;
        nstory += kst == (int)st && pl->story_t[k] >= hstart && pl->story_t[k] < hstart + 3600;
    }
    /* this unit's plants: pl->pl[pat .. pat + nplant) */
    uint32_t lo = 0, hi = pl->npl, nplant = 0;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (pl->pl[mid].unit < u)
            lo = mid + 1;
        else
            hi = mid;
    }
    uint32_t pat = lo;
    while (pat + nplant < pl->npl && pl->pl[pat + nplant].unit == u)
        nplant++;
    if (n + nstory + nplant == 0)
        return KM_OK;

    /* scratch: [weights: npersons + actors doubles][counts: 3601][desc: total][sorted: total] */
    size_t total = (size_t)n + nstory;
    size_t nw = w->npersons + (size_t)w->npersons * AZ_MAX_SUBS + 2 * AZ_MAX_SUBS + 1;
    size_t need = sizeof(double) * nw + sizeof(uint32_t) * 3602 +
                  2 * sizeof(struct az_desc) * total + 64;
    if (ts->scratch_cap < need) {
        size_t cap = need + need / 2;
        void *p = realloc(ts->scratch, cap);
        if (!p)
            return km_err_set(err, KM_ENOMEM, NULL, UINT64_MAX,
                              "out of memory (%zu records in one hour)", total);
        ts->scratch = p;
        ts->scratch_cap = cap;
    }
    double *cw = ts->scratch;
    uint32_t *cnt = (uint32_t *)(cw + nw);
    struct az_desc *d = (struct az_desc *)(((uintptr_t)(cnt + 3602) + 15) & ~(uintptr_t)15);
    struct az_desc *s = d + total;

    struct km_rng r;
    km_rng_init(&r, w->seed, 0xa2000000000000ull ^ u);
    uint32_t got;
    if (st < AZ_ST_ACT)
        got = plan_signins(pl, hour, st == AZ_ST_SIGNIN, n, cw, d, &r);
    else if (st < pl->nbg)
        got = plan_activity(pl, (int)(st - AZ_ST_ACT), hour, n, cw, d, &r);
    else
        got = 0;
    n = got;
    for (int k = 0; k < KM_GEN_STORY_N_AZURE && pl->story; k++) {
        int kst = pl->story_kind[k] == SK_DENIED ? AZ_ST_ACT : AZ_ST_SIGNIN;
        if (kst != (int)st || pl->story_t[k] < hstart || pl->story_t[k] >= hstart + 3600)
            continue;
        struct az_desc *e = &d[n++];
        memset(e, 0, sizeof *e);
        e->t = (uint16_t)(pl->story_t[k] - hstart);
        e->res = pl->story_res[k];
        e->story = (uint8_t)(k + 1);
        e->corr = (uint32_t)km_rng_hash2(w->seed, 0xa57 + (uint64_t)(k < 20 ? k / 10 : k));
        e->seed = km_rng_hash2(w->seed, 0xa58 + (uint64_t)k);
        if (pl->story_kind[k] == SK_DENIED) {
            /* mallory's actor in the first subscription */
            e->app = AZ_OP_RA_WRITE;
            e->who = 0;
            for (uint32_t j = 0; j < pl->act_n[0]; j++)
                if (pl->act[j].kind == A_USER && pl->act[j].who == pl->story_who[k])
                    e->who = (uint16_t)j;
            e->pick = 0;
        } else {
            e->who = pl->story_who[k];
            e->app = pl->story_kind[k] == SK_GCP_SIGNIN ? APP_GCP : APP_CLI;
        }
    }

    /* stable counting sort by second */
    memset(cnt, 0, sizeof(uint32_t) * 3601);
    for (uint32_t i = 0; i < n; i++)
        cnt[d[i].t + 1]++;
    for (int k = 0; k < 3600; k++)
        cnt[k + 1] += cnt[k];
    for (uint32_t i = 0; i < n; i++)
        s[cnt[d[i].t]++] = d[i];

    struct km_gen_tm tm;
    km_gen_gmtime(hstart, &tm);
    char rel[256];
    if (st < AZ_ST_ACT || st == pl->nbg)
        snprintf(rel, sizeof rel,
                 "insights-logs-%s/resourceId=/tenants/%s/providers/Microsoft.aadiam/"
                 "y=%04d/m=%02d/d=%02d/h=%02d/m=00/PT1H.json",
                 st == AZ_ST_SIGNIN ? "signinlogs"
                 : st == AZ_ST_NONINT ? "noninteractiveusersigninlogs" : "auditlogs",
                 pl->tenant, tm.year, tm.mon, tm.day, tm.hour);
    else
        snprintf(rel, sizeof rel,
                 "insights-activity-logs/resourceId=/SUBSCRIPTIONS/%s/y=%04d/m=%02d/d=%02d/h=%02d/"
                 "m=00/PT1H.json",
                 pl->subs[st - AZ_ST_ACT].idu, tm.year, tm.mon, tm.day, tm.hour);

    struct km_gb *b = &ts->json;
    struct km_gb *tmp = &ts->side[0];
    b->n = 0;
    int appended = 0;
    uint64_t pending = 0;
    uint32_t pk = 0; /* next plant to merge in (by second, after the records of that second) */
    for (uint32_t j = 0; j < n || pk < nplant; j++) {
        if (km_gb_reserve(b, KM_GB_RECORD_MAX) || km_gb_reserve(tmp, 4096))
            return km_err_set(err, KM_ENOMEM, NULL, UINT64_MAX, "out of memory (file buffer)");
        if (pk < nplant && (j >= n || pl->pl[pat + pk].t < s[j].t)) {
            const struct az_pl *x = &pl->pl[pat + pk++];
            km_gb_mem(b, pl->ptext + x->off, x->len);
            pending++;
            j--; /* the record at j is still to write */
            continue;
        }
        size_t at = b->n;
        struct az_ev e;
        e.pl = pl;
        e.pt = NULL;
        e.d = &s[j];
        e.t = hstart + s[j].t;
        e.day = (uint32_t)((e.t - w->start) / 86400);
        e.r.s = s[j].seed;
        e.place = NULL;
        if (st < AZ_ST_ACT)
            signin_record(&e, b, st == AZ_ST_SIGNIN || (s[j].story != 0));
        else
            activity_record(&e, b, tmp);
        if (b->n - at >= KM_GB_RECORD_MAX)
            return km_err_set(err, KM_EINTERNAL, NULL, UINT64_MAX, "record too large");
        pending++;
        if (b->n >= AZ_FLUSH && j + 1 < n) {
            int rc = km_gen_emit_plain(ts, rel, pending, appended, err);
            if (rc)
                return rc;
            appended = 1;
            pending = 0;
        }
    }
    return km_gen_emit_plain(ts, rel, pending, appended, err);
}

const struct km_gen_provider km_gen_azure = {
    "azure",
    az_plan_make,
    az_unit,
    az_free,
};
