/*
 * gen_gcp.c — the Google Cloud provider of `kumo gen`: Cloud Audit Logs of
 * the world's organisation as an organisation-level log sink writes them to
 * a Cloud Storage bucket (JSON Lines, one LogEntry per line, keys in
 * alphabetical order, uncompressed, hourly batches):
 *
 *   cloudaudit.googleapis.com/activity/YYYY/MM/DD/HH:00:00_HH:59:59_S0.json
 *   cloudaudit.googleapis.com/data_access/YYYY/MM/DD/HH:00:00_HH:59:59_S0.json
 *
 * (S1, S2, ... shards when an hour holds more than GC_SHARD entries.)
 *
 * Projects (prod, data, dev, shared) have instances, buckets, BigQuery
 * datasets, a GKE cluster, Cloud Run services, topics and secrets. People
 * with Google Cloud roles work in the console and with gcloud under their
 * e-mail address (the Entra UPN and IAM Identity Center session name of the
 * other clouds), from the same addresses and hours; Terraform runs as a
 * service account impersonated by an operator (serviceAccountDelegationInfo
 * with the person), GitHub Actions as a deployer service account through
 * workload identity federation, workloads as service accounts from internal
 * addresses, and Google's service agents resize node pools. Admin Activity
 * entries (ADMIN_WRITE) hold the changes; Data Access entries (off by
 * default except BigQuery, so fewer) hold BigQuery jobs and reads, object
 * access on buckets where it was enabled, and secret accesses. A few percent
 * of people's calls are denied (status 7, severity ERROR); long-running
 * Compute Engine operations write a first and a last entry.
 *
 * Plan: units are (log, hour); the provider's share of --events is split
 * over the two logs by fixed fractions and over hours by the summed activity
 * of each log's actors, exactly (cumulative rounding).
 *
 * The story (docs/generator.md): 17 minutes after mallory's AWS key was used
 * from 203.0.113.66, her Google identity is used from the same address: a
 * denied setCommonInstanceMetadata, then a SetIamPolicy on the production
 * project that grants roles/owner to an outside account, then a key for the
 * Terraform service account.
 */
#include "gen/gen_int.h"

#include <stdio.h>
#include <stdlib.h>

#define GC_MAX_PROJ 4
#define GC_MAX_INST 5
#define GC_SHARD 10000                 /* entries per file before an hour is sharded */
#define GC_PM_ACTIVITY 650             /* per mille of the background in Admin Activity */
#define GC_STORY_OUTSIDER "user:cloudbackup.ops@gmail.com"

enum { LOG_ACTIVITY = 0, LOG_DATA, GC_NLOGS };
static const char *const gc_log_name[GC_NLOGS] = {"activity", "data_access"};

/* Actor classes (columns of the weights). */
enum { G_CONSOLE = 0, G_CLI, G_DEPLOY, G_APP, G_ETL, G_AGENT, GC_NCLS };

/* Resource kinds. */
enum { RT_INSTANCE = 0, RT_FIREWALL, RT_DISK, RT_BUCKET, RT_OBJECT, RT_SA, RT_PROJECT, RT_DATASET,
       RT_TABLE, RT_JOB, RT_CLUSTER, RT_RUN, RT_TOPIC, RT_SUBSCR, RT_SECRET, RT_SECRETVER,
       RT_SERVICE, RT_SINK };

enum { PT_ADMIN_WRITE = 0, PT_ADMIN_READ, PT_DATA_READ, PT_DATA_WRITE };
static const char *const gc_ptype[] = {"ADMIN_WRITE", "ADMIN_READ", "DATA_READ", "DATA_WRITE"};

enum { OF_LRO = 1 /* Compute Engine operation: first and last entry */, OF_BQ = 2 };

struct gc_op {
    uint8_t log, rt, ptype, flags;
    const char *service, *method, *permission, *gcloud; /* gcloud: command group */
    uint16_t w[GC_NCLS];
};

#define OPA(rt, pt, fl, svc, m, perm, cmd, a, b, c, d, e, f) \
    {LOG_ACTIVITY, rt, pt, fl, svc, m, perm, cmd, {a, b, c, d, e, f}}
#define OPD(rt, pt, fl, svc, m, perm, cmd, a, b, c, d, e, f) \
    {LOG_DATA, rt, pt, fl, svc, m, perm, cmd, {a, b, c, d, e, f}}

static const struct gc_op gc_ops[] = {
    OPA(RT_INSTANCE, PT_ADMIN_WRITE, OF_LRO, "compute.googleapis.com",
        "v1.compute.instances.insert",
        "compute.instances.create", "compute.instances.create", 4, 4, 10, 0, 0, 8),
    OPA(RT_INSTANCE, PT_ADMIN_WRITE, OF_LRO, "compute.googleapis.com",
        "v1.compute.instances.delete",
        "compute.instances.delete", "compute.instances.delete", 2, 2, 6, 0, 0, 8),
    OPA(RT_INSTANCE, PT_ADMIN_WRITE, OF_LRO, "compute.googleapis.com",
        "v1.compute.instances.start",
        "compute.instances.start", "compute.instances.start", 6, 4, 0, 0, 0, 0),
    OPA(RT_INSTANCE, PT_ADMIN_WRITE, OF_LRO, "compute.googleapis.com",
        "v1.compute.instances.stop",
        "compute.instances.stop", "compute.instances.stop", 6, 4, 0, 0, 0, 0),
    OPA(RT_INSTANCE, PT_ADMIN_WRITE, OF_LRO, "compute.googleapis.com",
        "v1.compute.instances.setMetadata",
        "compute.instances.setMetadata", "compute.instances.add-metadata", 3, 6, 4, 0, 0, 0),
    OPA(RT_INSTANCE, PT_ADMIN_WRITE, OF_LRO, "compute.googleapis.com",
        "v1.compute.instances.setLabels",
        "compute.instances.setLabels", "compute.instances.add-labels", 2, 2, 6, 0, 0, 0),
    OPA(RT_FIREWALL, PT_ADMIN_WRITE, OF_LRO, "compute.googleapis.com",
        "v1.compute.firewalls.insert",
        "compute.firewalls.create", "compute.firewall-rules.create", 2, 2, 6, 0, 0, 0),
    OPA(RT_FIREWALL, PT_ADMIN_WRITE, OF_LRO, "compute.googleapis.com",
        "v1.compute.firewalls.patch",
        "compute.firewalls.update", "compute.firewall-rules.update", 2, 2, 6, 0, 0, 0),
    OPA(RT_DISK, PT_ADMIN_WRITE, OF_LRO, "compute.googleapis.com",
        "v1.compute.disks.createSnapshot",
        "compute.disks.createSnapshot", "compute.disks.snapshot", 1, 1, 0, 0, 0, 6),
    OPA(RT_BUCKET, PT_ADMIN_WRITE, 0, "storage.googleapis.com",
        "storage.buckets.create",
        "storage.buckets.create", "storage.buckets.create", 2, 2, 6, 0, 0, 0),
    OPA(RT_BUCKET, PT_ADMIN_WRITE, 0, "storage.googleapis.com",
        "storage.buckets.update",
        "storage.buckets.update", "storage.buckets.update", 2, 2, 6, 0, 0, 0),
    OPA(RT_BUCKET, PT_ADMIN_WRITE, 0, "storage.googleapis.com",
        "storage.setIamPermissions",
        "storage.buckets.setIamPolicy", "storage.buckets.add-iam-policy-binding", 1, 1, 4, 0, 0, 0),
    OPA(RT_SA, PT_ADMIN_WRITE, 0, "iam.googleapis.com",
        "google.iam.admin.v1.CreateServiceAccount",
        "iam.serviceAccounts.create", "iam.service-accounts.create", 1, 1, 4, 0, 0, 0),
    OPA(RT_SA, PT_ADMIN_WRITE, 0, "iam.googleapis.com",
        "google.iam.admin.v1.CreateServiceAccountKey",
        "iam.serviceAccountKeys.create", "iam.service-accounts.keys.create", 1, 2, 1, 0, 0, 0),
    OPA(RT_SA, PT_ADMIN_WRITE, 0, "iam.googleapis.com",
        "google.iam.admin.v1.DeleteServiceAccountKey",
        "iam.serviceAccountKeys.delete", "iam.service-accounts.keys.delete", 1, 1, 1, 0, 0, 0),
    OPA(RT_PROJECT, PT_ADMIN_WRITE, 0, "cloudresourcemanager.googleapis.com",
        "SetIamPolicy",
        "resourcemanager.projects.setIamPolicy", "projects.add-iam-policy-binding",
        1, 1, 4, 0, 0, 0),
    OPA(RT_DATASET, PT_ADMIN_WRITE, OF_BQ, "bigquery.googleapis.com",
        "google.cloud.bigquery.v2.DatasetService.InsertDataset",
        "bigquery.datasets.create", NULL, 1, 1, 3, 0, 1, 0),
    OPA(RT_TABLE, PT_ADMIN_WRITE, OF_BQ, "bigquery.googleapis.com",
        "google.cloud.bigquery.v2.TableService.InsertTable",
        "bigquery.tables.create", NULL, 2, 2, 4, 0, 10, 0),
    OPA(RT_CLUSTER, PT_ADMIN_WRITE, 0, "container.googleapis.com",
        "google.container.v1.ClusterManager.SetNodePoolSize",
        "container.clusters.update", "container.clusters.resize", 1, 2, 2, 0, 0, 4),
    OPA(RT_CLUSTER, PT_ADMIN_WRITE, 0, "container.googleapis.com",
        "google.container.v1.ClusterManager.UpdateCluster",
        "container.clusters.update", "container.clusters.update", 1, 1, 4, 0, 0, 0),
    OPA(RT_RUN, PT_ADMIN_WRITE, 0, "run.googleapis.com",
        "google.cloud.run.v1.Services.ReplaceService",
        "run.services.update", "run.deploy", 2, 2, 12, 0, 0, 0),
    OPA(RT_TOPIC, PT_ADMIN_WRITE, 0, "pubsub.googleapis.com",
        "google.pubsub.v1.Publisher.CreateTopic",
        "pubsub.topics.create", "pubsub.topics.create", 1, 1, 4, 0, 0, 0),
    OPA(RT_SUBSCR, PT_ADMIN_WRITE, 0, "pubsub.googleapis.com",
        "google.pubsub.v1.Subscriber.CreateSubscription",
        "pubsub.subscriptions.create", "pubsub.subscriptions.create", 1, 1, 4, 2, 0, 0),
    OPA(RT_SECRET, PT_ADMIN_WRITE, 0, "secretmanager.googleapis.com",
        "google.cloud.secretmanager.v1.SecretManagerService.AddSecretVersion",
        "secretmanager.versions.add", "secrets.versions.add", 2, 2, 4, 0, 0, 0),
    OPA(RT_SERVICE, PT_ADMIN_WRITE, 0, "serviceusage.googleapis.com",
        "google.api.serviceusage.v1.ServiceUsage.EnableService",
        "serviceusage.services.enable", "services.enable", 1, 1, 4, 0, 0, 0),
    OPA(RT_SINK, PT_ADMIN_WRITE, 0, "logging.googleapis.com",
        "google.logging.v2.ConfigServiceV2.UpdateSink",
        "logging.sinks.update", "logging.sinks.update", 0, 1, 1, 0, 0, 0),
    OPD(RT_JOB, PT_DATA_READ, OF_BQ, "bigquery.googleapis.com",
        "google.cloud.bigquery.v2.JobService.InsertJob",
        "bigquery.jobs.create", NULL, 6, 4, 0, 2, 30, 0),
    OPD(RT_JOB, PT_DATA_READ, OF_BQ, "bigquery.googleapis.com",
        "google.cloud.bigquery.v2.JobService.GetQueryResults",
        "bigquery.jobs.get", NULL, 6, 4, 0, 2, 20, 0),
    OPD(RT_TABLE, PT_DATA_READ, OF_BQ, "bigquery.googleapis.com",
        "google.cloud.bigquery.v2.TableDataService.List",
        "bigquery.tables.getData", NULL, 3, 2, 0, 0, 6, 0),
    OPD(RT_TABLE, PT_ADMIN_READ, OF_BQ, "bigquery.googleapis.com",
        "google.cloud.bigquery.v2.TableService.GetTable",
        "bigquery.tables.get", NULL, 4, 3, 2, 0, 6, 0),
    OPD(RT_OBJECT, PT_DATA_READ, 0, "storage.googleapis.com",
        "storage.objects.get",
        "storage.objects.get", "storage.cp", 2, 3, 0, 20, 6, 0),
    OPD(RT_OBJECT, PT_DATA_WRITE, 0, "storage.googleapis.com",
        "storage.objects.create",
        "storage.objects.create", "storage.cp", 1, 2, 0, 12, 6, 0),
    OPD(RT_BUCKET, PT_DATA_READ, 0, "storage.googleapis.com",
        "storage.objects.list",
        "storage.objects.list", "storage.ls", 2, 3, 0, 4, 2, 0),
    OPD(RT_SECRETVER, PT_DATA_READ, 0, "secretmanager.googleapis.com",
        "google.cloud.secretmanager.v1.SecretManagerService.AccessSecretVersion",
        "secretmanager.versions.access", "secrets.versions.access", 1, 2, 2, 14, 0, 0),
    /* story only */
    OPA(RT_PROJECT, PT_ADMIN_WRITE, OF_LRO, "compute.googleapis.com",
        "v1.compute.projects.setCommonInstanceMetadata",
        "compute.projects.setCommonInstanceMetadata", "compute.project-info.add-metadata",
        0, 0, 0, 0, 0, 0),
};
#define GC_NOPS ((int)KM_ARRAY_LEN(gc_ops))
#define GC_OP_SETIAM 15
#define GC_OP_SAKEY 13
#define GC_OP_SETMETA (GC_NOPS - 1)

/* Per log: how much each class weighs in that log. */
static const float gc_cls_w[GC_NLOGS][GC_NCLS] = {
    {1.0f, 1.0f, 1.0f, 0.05f, 0.05f, 1.0f},
    {0.6f, 0.6f, 0.2f, 1.0f, 1.0f, 0.0f},
};

static const char *const gc_envs[GC_MAX_PROJ] = {"prod", "data", "dev", "shared"};
static const char *const gc_words[] = {"orders", "payments", "catalog", "search", "billing",
                                       "identity", "media", "ledger", "pricing", "shipping"};
static const char *const gc_tables[] = {"orders", "sessions", "page_views", "daily_revenue",
                                        "customers", "events"};
static const char *const gc_datasets[] = {"analytics", "raw_events", "finance_reporting"};

/* ---- the organisation's projects ---------------------------------------------- */

struct gc_proj {
    char id[40];
    char number[13];
    const char *env, *word;
    char region[24];
    int ninst;
    char inst[GC_MAX_INST][40];
    char inst_id[GC_MAX_INST][20];
    uint8_t inst_zone[GC_MAX_INST];
    char fw_id[20];
};

enum { K_USER = 0, K_TF, K_GH, K_APP, K_ETL, K_GCE, K_AGENT };

struct gc_actor {
    uint8_t kind, cls, proj;
    uint16_t person;                   /* the user, or whose working days a pipeline follows */
    float rate;
    char email[112];
    char uid[22];                      /* service accounts: unique id */
    uint32_t ip;                       /* workloads: internal address */
};

struct gc_plan {
    const struct km_gen_world *w;
    uint32_t nhours;
    uint64_t nunits;
    uint32_t *count;
    char org_num[13];
    struct gc_proj proj[GC_MAX_PROJ];
    int nproj;
    struct gc_actor *act;
    uint32_t nact;
    uint8_t os[KM_GEN_MAX_PERSONS];    /* 0 macOS, 1 Linux, 2 Windows */
    uint32_t op_cum[GC_NLOGS][GC_NCLS][GC_NOPS];
    int64_t story_t[KM_GEN_STORY_N_GCP];
    uint32_t story_actor;
    int story;                         /* planted (the default) */
    /* planted scenarios: entries rendered at plan time, by (unit, second) */
    char *ptext;
    struct gc_pl {
        uint64_t unit;
        uint32_t off, len;
        uint16_t t;
    } *pl;
    uint32_t npl;
};

struct gc_desc {
    uint16_t t;
    uint8_t op;
    uint8_t phase;                     /* 0 single, 1 first, 2 last */
    uint32_t actor;
    uint8_t story, denied, pick, pad;
    uint32_t burst;
    uint64_t seed;
};

#define LIT(s) KM_GB_LIT(b, s)
#define STR(s) km_gb_str(b, s)

static void gc_free(void *state)
{
    struct gc_plan *pl = state;
    if (!pl)
        return;
    free(pl->count);
    free(pl->act);
    free(pl->ptext);
    free(pl->pl);
    free(pl);
}

static const char *region_of(const char *city)
{
    static const struct {
        const char *city, *region;
    } m[] = {{"Berlin", "europe-west3"},   {"London", "europe-west2"},
             {"New York", "us-east4"},     {"San Francisco", "us-west1"},
             {"Bangalore", "asia-south1"}, {"Sao Paulo", "southamerica-east1"},
             {"Singapore", "asia-southeast1"}, {"Dublin", "europe-west1"}};
    for (size_t i = 0; i < KM_ARRAY_LEN(m); i++)
        if (strcmp(m[i].city, city) == 0)
            return m[i].region;
    return "us-central1";
}

static void digits(char *dst, struct km_rng *r, int n)
{
    dst[0] = (char)('1' + km_rng_below(r, 9));
    km_gen_rand_str(dst + 1, r, "0123456789", n - 1);
}

static int gc_world(struct gc_plan *pl)
{
    const struct km_gen_world *w = pl->w;
    struct km_rng r;
    km_rng_init(&r, w->seed, 0x676370ull); /* "gcp" */
    digits(pl->org_num, &r, 12);
    pl->nproj = w->naccounts >= 6 ? 4 : w->naccounts >= 3 ? 3 : w->naccounts >= 2 ? 2 : 1;
    const char *region = region_of(w->offices[0].city);
    for (int k = 0; k < pl->nproj; k++) {
        struct gc_proj *p = &pl->proj[k];
        p->env = gc_envs[k];
        p->word = gc_words[km_rng_below(&r, KM_ARRAY_LEN(gc_words))];
        snprintf(p->id, sizeof p->id, "%s-%s-%04u", w->org, p->env, 1000 + km_rng_below(&r, 9000));
        digits(p->number, &r, 12);
        snprintf(p->region, sizeof p->region, "%s", region);
        p->ninst = 2 + (int)km_rng_below(&r, GC_MAX_INST - 1);
        for (int i = 0; i < p->ninst; i++) {
            static const char *const roles[] = {"worker", "bastion", "batch", "api", "cache"};
            snprintf(p->inst[i], sizeof p->inst[0], "%s-%s-%02d", p->word, roles[i % 5], i + 1);
            digits(p->inst_id[i], &r, 19);
            p->inst_zone[i] = (uint8_t)km_rng_below(&r, 3);
        }
        digits(p->fw_id, &r, 19);
    }
    for (uint32_t q = 0; q < w->npersons && q < KM_GEN_MAX_PERSONS; q++) {
        const char *ua = w->persons[q].ua_browser;
        pl->os[q] = (uint8_t)(strstr(ua, "Macintosh") ? 0 : strstr(ua, "Windows") ? 2 : 1);
    }
    /* actors: people, then service accounts per project */
    size_t cap = (size_t)w->npersons * GC_MAX_PROJ * 2 + 8 * GC_MAX_PROJ;
    pl->act = calloc(cap, sizeof *pl->act);
    if (!pl->act)
        return KM_ENOMEM;
    uint32_t n = 0;
    pl->story_actor = UINT32_MAX;
    for (uint32_t q = 0; q < w->npersons; q++) {
        if (!(km_gen_person_clouds(w, q) & KM_GEN_C_GCP))
            continue;
        const struct km_gen_person *pe = &w->persons[q];
        int all = pe->job == KM_GEN_JOB_OPS || pe->job == KM_GEN_JOB_ADMIN ||
                  pe->job == KM_GEN_JOB_SEC;
        int home = pe->job == KM_GEN_JOB_DATA && pl->nproj > 1 ? 1 : (int)(q % (uint32_t)pl->nproj);
        for (int k = 0; k < pl->nproj; k++) {
            if (k != home && !all)
                continue;
            for (int cli = 0; cli < 2; cli++) {
                struct gc_actor *a = &pl->act[n++];
                a->kind = K_USER;
                a->cls = cli ? G_CLI : G_CONSOLE;
                a->proj = (uint8_t)k;
                a->person = (uint16_t)q;
                float share = cli ? 1.0f - pe->console : pe->console;
                a->rate = pe->rate * share * (k == home ? 1.0f : 0.3f) *
                          (pe->job == KM_GEN_JOB_SEC ? 0.4f : 1.0f);
                snprintf(a->email, sizeof a->email, "%s", pe->email);
                if (q == w->story_person && k == 0 && cli)
                    pl->story_actor = n - 1;
            }
        }
    }
    for (int k = 0; k < pl->nproj; k++) {
        const struct gc_proj *p = &pl->proj[k];
        struct gc_actor *a;
#define SA(knd, cls_, rate_, fmt, ...)                                            \
    do {                                                                          \
        a = &pl->act[n++];                                                        \
        a->kind = (knd);                                                          \
        a->cls = (cls_);                                                          \
        a->proj = (uint8_t)k;                                                     \
        a->rate = (rate_);                                                        \
        a->person = (uint16_t)km_rng_below(&r, w->npersons);                      \
        snprintf(a->email, sizeof a->email, fmt, __VA_ARGS__);                    \
        digits(a->uid, &r, 21);                                                   \
        a->ip = (10u << 24) | ((uint32_t)(k + 128) << 16) | (km_rng_below(&r, 64) << 8) | \
                (2 + km_rng_below(&r, 250));                                      \
    } while (0)
        SA(K_TF, G_DEPLOY, 3.0f, "terraform@%s.iam.gserviceaccount.com", p->id);
        SA(K_GH, G_DEPLOY, 4.0f, "github-deployer@%s.iam.gserviceaccount.com", p->id);
        SA(K_APP, G_APP, 5.0f, "%s-api@%s.iam.gserviceaccount.com", p->word, p->id);
        if (k == 1 || pl->nproj == 1)
            SA(K_ETL, G_ETL, 8.0f, "etl-runner@%s.iam.gserviceaccount.com", p->id);
        SA(K_GCE, G_APP, 1.5f, "%s-compute@developer.gserviceaccount.com", p->number);
        SA(K_AGENT, G_AGENT, 0.6f, "%s@cloudservices.gserviceaccount.com", p->number);
#undef SA
    }
    pl->nact = n;
    for (int lg = 0; lg < GC_NLOGS; lg++)
        for (int c = 0; c < GC_NCLS; c++) {
            uint32_t cum = 0;
            for (int o = 0; o < GC_NOPS; o++) {
                if (gc_ops[o].log == lg)
                    cum += gc_ops[o].w[c];
                pl->op_cum[lg][c][o] = cum;
            }
        }
    if (strcmp(gc_ops[GC_OP_SETIAM].method, "SetIamPolicy") != 0 ||
        strcmp(gc_ops[GC_OP_SAKEY].method, "google.iam.admin.v1.CreateServiceAccountKey") != 0)
        return KM_EINTERNAL;
    return KM_OK;
}

/* Relative activity of actor a in log lg and window g. */
static double gc_weight(const struct gc_plan *pl, const struct gc_actor *a, int lg, uint32_t g,
                        struct km_gen_actcache *c)
{
    double m = gc_cls_w[lg][a->cls] * a->rate;
    if (m == 0)
        return 0;
    double v = km_gen_person_activity(pl->w, a->person, g, c);
    switch (a->kind) {
    case K_USER: return m * v;
    case K_TF:
    case K_GH: return c->weekend ? 0.0 : m * v * v * 1.5;
    default: return m * (0.6 + 0.4 * v); /* workloads run around the clock */
    }
}

static int gc_plants(struct gc_plan *pl, struct km_err *err);

static int gc_plan_make(const struct km_gen_world *w, uint64_t events, void **state,
                        uint64_t *nunits, struct km_err *err)
{
    struct gc_plan *pl = calloc(1, sizeof *pl);
    if (!pl)
        return km_err_set(err, KM_ENOMEM, NULL, UINT64_MAX, "out of memory (plan)");
    pl->w = w;
    int rc = gc_world(pl);
    if (rc || pl->story_actor == UINT32_MAX) {
        gc_free(pl);
        return km_err_set(err, rc == KM_ENOMEM ? KM_ENOMEM : KM_EINTERNAL, NULL, UINT64_MAX,
                          "cannot build the Google Cloud organisation");
    }
    int64_t t0 = km_gen_story_t0(w), end = w->start + (int64_t)w->days * 86400 - 1;
    static const int off[KM_GEN_STORY_N_GCP] = {16 * 60 + 41, 17 * 60 + 29, 18 * 60 + 50};
    for (int k = 0; k < KM_GEN_STORY_N_GCP; k++)
        pl->story_t[k] = t0 + off[k] > end ? end : t0 + off[k];
    pl->story = km_gen_scen_story(w);
    if (pl->story) {
        for (int k = 0; k < KM_GEN_STORY_N_GCP; k++)
            km_gen_scen_time(w, KM_GEN_SCEN_STORY, pl->story_t[k]);
        km_gen_scen_ent(w, KM_GEN_SCEN_STORY, KM_GEN_E_ACCOUNTS, "%s", pl->proj[0].id);
    }

    pl->nhours = w->days * 24u;
    pl->nunits = (uint64_t)GC_NLOGS * pl->nhours;
    rc = gc_plants(pl, err);
    if (rc) {
        gc_free(pl);
        return rc;
    }
    uint64_t planted = (pl->story ? KM_GEN_STORY_N_GCP : 0) + pl->npl;
    if (events < planted) {
        gc_free(pl);
        return km_err_set(err, KM_EUSAGE, NULL, UINT64_MAX, "gcp needs at least %llu events",
                          (unsigned long long)planted);
    }
    pl->count = calloc(pl->nunits, sizeof *pl->count);
    double *wt = calloc(pl->nunits, sizeof *wt);
    if (!pl->count || !wt) {
        free(wt);
        gc_free(pl);
        return km_err_set(err, KM_ENOMEM, NULL, UINT64_MAX, "out of memory (plan)");
    }
    for (uint32_t k = 0; k < pl->nact; k++) {
        for (int lg = 0; lg < GC_NLOGS; lg++) {
            struct km_gen_actcache c;
            memset(&c, 0, sizeof c);
            double *row = wt + (uint64_t)lg * pl->nhours;
            for (uint32_t h = 0; h < pl->nhours; h++)
                row[h] += gc_weight(pl, &pl->act[k], lg, h * 12 + 6, &c);
        }
    }
    double total = 0;
    for (int lg = 0; lg < GC_NLOGS; lg++) {
        double *row = wt + (uint64_t)lg * pl->nhours, sum = 0;
        for (uint32_t h = 0; h < pl->nhours; h++) {
            uint64_t hx = km_rng_hash2(w->seed ^ 0x6c0, (uint64_t)lg * pl->nhours + h);
            row[h] *= 0.75 + 0.5 * (double)(hx >> 11) * (1.0 / 9007199254740992.0);
            sum += row[h];
        }
        double share = lg == LOG_ACTIVITY ? GC_PM_ACTIVITY / 1000.0 : 1.0 - GC_PM_ACTIVITY / 1000.0;
        for (uint32_t h = 0; h < pl->nhours; h++) {
            row[h] = sum > 0 ? row[h] * share / sum : share / pl->nhours;
            total += row[h];
        }
    }
    km_gen_apportion(wt, pl->nunits, total, events - planted, pl->count);
    free(wt);
    *state = pl;
    *nunits = pl->nunits;
    return KM_OK;
}

/* ---- one unit's records -------------------------------------------------------------- */

static int pick_op(const struct gc_plan *pl, int lg, int cls, struct km_rng *r)
{
    const uint32_t *cum = pl->op_cum[lg][cls];
    if (!cum[GC_NOPS - 1])
        return -1;
    uint32_t x = km_rng_below(r, cum[GC_NOPS - 1]);
    int o = 0;
    while (cum[o] <= x)
        o++;
    return o;
}

static uint32_t plan_entries(const struct gc_plan *pl, int lg, uint32_t hour, uint32_t n,
                             double *cw, struct gc_desc *d, struct km_rng *r)
{
    double tot = 0;
    for (uint32_t k = 0; k < pl->nact; k++) {
        struct km_gen_actcache c;
        memset(&c, 0, sizeof c);
        tot += gc_weight(pl, &pl->act[k], lg, hour * 12 + 6, &c);
        cw[k] = tot;
    }
    uint32_t i = 0;
    while (i < n) {
        uint32_t k = km_gen_pick(cw, pl->nact, km_rng_unit(r) * tot);
        const struct gc_actor *a = &pl->act[k];
        double mean = a->cls == G_DEPLOY ? 8 : a->cls == G_ETL ? 4 : a->cls == G_APP ? 3 : 2.2;
        int len = 1;
        while (len < 60 && km_rng_chance(r, 1.0 - 1.0 / mean))
            len++;
        int t = (int)km_rng_below(r, 3600);
        uint32_t burst = (uint32_t)km_rng_next(r);
        uint8_t pick = (uint8_t)km_rng_below(r, 256);
        for (int j = 0; j < len && i < n; j++) {
            int op = pick_op(pl, lg, a->cls, r);
            if (op < 0)
                break;
            if (t > 3599)
                t = 3599;
            struct gc_desc *e = &d[i++];
            memset(e, 0, sizeof *e);
            e->t = (uint16_t)t;
            e->op = (uint8_t)op;
            e->actor = k;
            e->pick = pick;
            e->burst = burst + (uint32_t)j;
            e->seed = km_rng_next(r);
            e->denied = (uint8_t)(a->kind == K_USER && km_rng_below(r, 1000) < 30);
            if ((gc_ops[op].flags & OF_LRO) && !e->denied && i < n) {
                e->phase = 1;
                struct gc_desc *f = &d[i++];
                *f = *e;
                int t2 = t + 2 + (int)km_rng_below(r, 40);
                f->t = (uint16_t)(t2 > 3599 ? 3599 : t2);
                f->phase = 2;
                f->seed = km_rng_next(r);
            }
            t += 1 + (int)km_rng_below(r, a->cls == G_CONSOLE ? 25 : 6);
            if (km_rng_chance(r, 0.4))
                pick = (uint8_t)km_rng_below(r, 256);
        }
    }
    return i;
}

/* ---- formatting ---------------------------------------------------------------------- */

struct gc_ev {
    const struct gc_plan *pl;
    const struct gc_desc *d;
    const struct gc_actor *a;
    const struct gc_op *op;
    const struct gc_proj *p;
    int64_t t;
    uint32_t day;
    struct km_rng r;
};

static int is_compute(const struct gc_op *op)
{
    return strcmp(op->service, "compute.googleapis.com") == 0;
}

static void lower_alnum(struct km_gb *b, struct km_rng *r, int n)
{
    km_gb_rand(b, r, "abcdefghijklmnopqrstuvwxyz0123456789", n);
}

/* Names of things a record touches, from the pick. */
static const char *zone_sfx(int z)
{
    static const char *const s[] = {"-a", "-b", "-c"};
    return s[z % 3];
}

static void bucket_name(struct km_gb *b, const struct gc_ev *e)
{
    static const char *const kind[] = {"data", "artifacts", "backups", "exports"};
    STR(e->pl->w->org);
    km_gb_ch(b, '-');
    STR(e->p->env);
    km_gb_ch(b, '-');
    STR(e->p->word);
    km_gb_ch(b, '-');
    STR(kind[(e->d->pick >> 2) % 4]);
}

static void resource_name(struct km_gb *b, const struct gc_ev *e)
{
    const struct gc_proj *p = e->p;
    int pick = e->d->pick, inst = pick % p->ninst;
    switch (e->op->rt) {
    case RT_INSTANCE:
    case RT_DISK:
        LIT("projects/");
        STR(p->id);
        LIT("/zones/");
        STR(p->region);
        STR(zone_sfx(p->inst_zone[inst]));
        if (e->op->rt == RT_DISK)
            LIT("/disks/");
        else
            LIT("/instances/");
        STR(p->inst[inst]);
        break;
    case RT_FIREWALL:
        LIT("projects/");
        STR(p->id);
        LIT("/global/firewalls/");
        if (pick & 1)
            LIT("allow-iap-ssh");
        else
            LIT("allow-health-checks");
        break;
    case RT_BUCKET:
        LIT("projects/_/buckets/");
        bucket_name(b, e);
        break;
    case RT_OBJECT: {
        struct km_gen_tm tm;
        km_gen_gmtime(e->t, &tm);
        LIT("projects/_/buckets/");
        bucket_name(b, e);
        LIT("/objects/");
        STR(p->word);
        LIT("/dt=");
        km_gb_u64(b, (uint64_t)tm.year);
        km_gb_ch(b, '-');
        km_gb_2d(b, (unsigned)tm.mon);
        km_gb_ch(b, '-');
        km_gb_2d(b, (unsigned)tm.day);
        LIT("/part-");
        km_gb_hex(b, km_rng_hash2(e->pl->w->seed ^ 0x0b1, e->d->burst), 8);
        LIT(".parquet");
        break;
    }
    case RT_SA: {
        /* the Terraform or deployer account of the project */
        const struct gc_actor *sa = NULL;
        for (uint32_t k = 0; k < e->pl->nact; k++) {
            const struct gc_actor *c = &e->pl->act[k];
            if (c->proj == e->a->proj && (c->kind == ((pick & 1) ? K_GH : K_TF))) {
                sa = c;
                break;
            }
        }
        LIT("projects/-/serviceAccounts/");
        STR(sa ? sa->uid : "0");
        break;
    }
    case RT_PROJECT:
        LIT("projects/");
        STR(p->id);
        break;
    case RT_DATASET:
    case RT_TABLE:
        LIT("projects/");
        STR(p->id);
        LIT("/datasets/");
        STR(gc_datasets[pick % 3]);
        if (e->op->rt == RT_TABLE) {
            LIT("/tables/");
            STR(gc_tables[(pick >> 2) % 6]);
        }
        break;
    case RT_JOB:
        LIT("projects/");
        STR(p->id);
        LIT("/jobs/");
        if (e->a->kind == K_ETL)
            LIT("scheduled_query_");
        else
            LIT("bquxjob_");
        km_gb_hex(b, km_rng_hash2(e->pl->w->seed ^ 0xb0, e->d->burst), 8);
        km_gb_ch(b, '_');
        km_gb_hex(b, km_rng_hash2(e->pl->w->seed ^ 0xb1, e->d->burst), 11);
        break;
    case RT_CLUSTER:
        LIT("projects/");
        STR(p->id);
        LIT("/locations/");
        STR(p->region);
        LIT("/clusters/gke-");
        STR(p->env);
        if (strstr(e->op->method, "SetNodePoolSize"))
            LIT("/nodePools/default-pool");
        break;
    case RT_RUN:
        LIT("namespaces/");
        STR(p->id);
        LIT("/services/");
        STR(p->word);
        LIT("-api");
        break;
    case RT_TOPIC:
    case RT_SUBSCR:
        LIT("projects/");
        STR(p->id);
        if (e->op->rt == RT_TOPIC)
            LIT("/topics/");
        else
            LIT("/subscriptions/");
        STR(p->word);
        LIT("-events");
        if (e->op->rt == RT_SUBSCR)
            LIT("-sub");
        break;
    case RT_SECRET:
    case RT_SECRETVER:
        LIT("projects/");
        STR(p->number);
        LIT("/secrets/");
        STR(p->word);
        if (pick & 1)
            LIT("-db-password");
        else
            LIT("-api-key");
        if (e->op->rt == RT_SECRETVER) {
            LIT("/versions/");
            km_gb_u64(b, 1 + (uint64_t)(pick % 7));
        }
        break;
    case RT_SERVICE: {
        static const char *const svc[] = {"run.googleapis.com", "artifactregistry.googleapis.com",
                                          "secretmanager.googleapis.com", "pubsub.googleapis.com"};
        LIT("projects/");
        STR(p->number);
        LIT("/services/");
        STR(svc[pick % 4]);
        break;
    }
    case RT_SINK:
        LIT("projects/");
        STR(p->id);
        LIT("/sinks/audit-to-gcs");
        break;
    default:
        break;
    }
}

/* "resource":{"labels":{...},"type":...} in key order. */
static void monitored_resource(struct km_gb *b, const struct gc_ev *e)
{
    const struct gc_proj *p = e->p;
    int pick = e->d->pick, inst = pick % p->ninst;
    LIT("\"resource\":{\"labels\":{");
    switch (e->op->rt) {
    case RT_INSTANCE:
    case RT_DISK:
        if (e->op->rt == RT_DISK) {
            LIT("\"disk_id\":\"");
            STR(p->inst_id[inst]);
            km_gb_ch(b, '"');
        } else {
            LIT("\"instance_id\":\"");
            STR(p->inst_id[inst]);
            km_gb_ch(b, '"');
        }
        LIT(",\"project_id\":\"");
        STR(p->id);
        LIT("\",\"zone\":\"");
        STR(p->region);
        STR(zone_sfx(p->inst_zone[inst]));
        LIT("\"},\"type\":\"");
        if (e->op->rt == RT_DISK)
            LIT("gce_disk\"}");
        else
            LIT("gce_instance\"}");
        return;
    case RT_FIREWALL:
        LIT("\"firewall_rule_id\":\"");
        STR(p->fw_id);
        LIT("\",\"project_id\":\"");
        STR(p->id);
        LIT("\"},\"type\":\"gce_firewall_rule\"}");
        return;
    case RT_BUCKET:
    case RT_OBJECT:
        LIT("\"bucket_name\":\"");
        bucket_name(b, e);
        LIT("\",\"location\":\"");
        STR(p->region);
        LIT("\",\"project_id\":\"");
        STR(p->id);
        LIT("\"},\"type\":\"gcs_bucket\"}");
        return;
    case RT_SA:
        LIT("\"email_id\":\"");
        if (pick & 1)
            LIT("github-deployer@");
        else
            LIT("terraform@");
        STR(p->id);
        LIT(".iam.gserviceaccount.com\",\"project_id\":\"");
        STR(p->id);
        LIT("\"},\"type\":\"service_account\"}");
        return;
    case RT_PROJECT:
        if (is_compute(e->op)) {
            LIT("\"project_id\":\"");
            STR(p->id);
            LIT("\"},\"type\":\"gce_project\"}");
            return;
        }
        LIT("\"project_id\":\"");
        STR(p->id);
        LIT("\"},\"type\":\"project\"}");
        return;
    case RT_DATASET:
    case RT_TABLE:
        LIT("\"dataset_id\":\"");
        STR(gc_datasets[pick % 3]);
        LIT("\",\"project_id\":\"");
        STR(p->id);
        LIT("\"},\"type\":\"bigquery_dataset\"}");
        return;
    case RT_JOB:
        LIT("\"location\":\"");
        STR(p->region);
        LIT("\",\"project_id\":\"");
        STR(p->id);
        LIT("\"},\"type\":\"bigquery_project\"}");
        return;
    case RT_CLUSTER:
        LIT("\"cluster_name\":\"gke-");
        STR(p->env);
        LIT("\",\"location\":\"");
        STR(p->region);
        LIT("\",\"project_id\":\"");
        STR(p->id);
        LIT("\"},\"type\":\"gke_cluster\"}");
        return;
    case RT_RUN:
        LIT("\"configuration_name\":\"");
        STR(p->word);
        LIT("-api\",\"location\":\"");
        STR(p->region);
        LIT("\",\"project_id\":\"");
        STR(p->id);
        LIT("\",\"revision_name\":\"\",\"service_name\":\"");
        STR(p->word);
        LIT("-api\"},\"type\":\"cloud_run_revision\"}");
        return;
    case RT_TOPIC:
        LIT("\"project_id\":\"");
        STR(p->id);
        LIT("\",\"topic_id\":\"projects/");
        STR(p->id);
        LIT("/topics/");
        STR(p->word);
        LIT("-events\"},\"type\":\"pubsub_topic\"}");
        return;
    case RT_SUBSCR:
        LIT("\"project_id\":\"");
        STR(p->id);
        LIT("\",\"subscription_id\":\"projects/");
        STR(p->id);
        LIT("/subscriptions/");
        STR(p->word);
        LIT("-events-sub\"},\"type\":\"pubsub_subscription\"}");
        return;
    case RT_SINK:
        LIT("\"destination\":\"storage.googleapis.com/");
        STR(e->pl->w->org);
        LIT("-audit-logs\",\"name\":\"audit-to-gcs\",\"project_id\":\"");
        STR(p->id);
        LIT("\"},\"type\":\"logging_sink\"}");
        return;
    default: /* secrets, services */
        LIT("\"method\":\"");
        STR(e->op->method);
        LIT("\",\"project_id\":\"");
        STR(p->id);
        LIT("\",\"service\":\"");
        STR(e->op->service);
        LIT("\"},\"type\":\"audited_resource\"}");
        return;
    }
}

static void user_agent(struct km_gb *b, struct gc_ev *e)
{
    const struct gc_actor *a = e->a;
    const struct km_gen_world *w = e->pl->w;
    if (e->d->story) {
        LIT("google-cloud-sdk gcloud/502.0.0 command/gcloud.");
        STR(e->op->gcloud ? e->op->gcloud : "alpha.bq.query");
        LIT(" invocation-id/");
        km_gb_hex(b, km_rng_next(&e->r), 16);
        km_gb_hex(b, km_rng_next(&e->r), 16);
        LIT(" environment/None environment-version/None client-os/LINUX client-os-ver/6.6.9 "
            "client-pltf-arch/x86_64 interactive/True from-script/False python/3.11.8 "
            "term/xterm-256color (Linux 6.6.9-amd64),gzip(gfe)");
        return;
    }
    switch (a->kind) {
    case K_USER: {
        const struct km_gen_person *pe = &w->persons[a->person];
        if (a->cls == G_CONSOLE) {
            STR(pe->ua_browser);
            LIT(",gzip(gfe)");
            return;
        }
        if (e->op->flags & OF_BQ) {
            LIT("google-cloud-sdk bq/2.1.9 (gzip),gzip(gfe)");
            return;
        }
        static const char *const os[] = {"MACOSX", "LINUX", "WINDOWS"};
        static const char *const osv[] = {"24.6.0", "6.8.0-85-generic", "10.0.26100"};
        static const char *const arch[] = {"arm", "x86_64", "x86_64"};
        uint8_t o = e->pl->os[a->person];
        uint64_t h = km_rng_hash2(w->seed ^ 0x6c1, a->person);
        LIT("google-cloud-sdk gcloud/");
        km_gb_u64(b, 495 + h % 12);
        LIT(".0.0 command/gcloud.");
        STR(e->op->gcloud ? e->op->gcloud : "info");
        LIT(" invocation-id/");
        km_gb_hex(b, km_rng_next(&e->r), 16);
        km_gb_hex(b, km_rng_next(&e->r), 16);
        LIT(" environment/None environment-version/None client-os/");
        STR(os[o]);
        LIT(" client-os-ver/");
        STR(osv[o]);
        LIT(" client-pltf-arch/");
        STR(arch[o]);
        LIT(" interactive/True from-script/False python/3.12.");
        km_gb_u64(b, 4 + (h >> 8) % 6);
        LIT(" term/xterm-256color,gzip(gfe)");
        return;
    }
    case K_TF:
    case K_GH:
        LIT("Terraform/1.13.3 (+https://www.terraform.io) Terraform-Plugin-SDK/2.37.0 "
            "terraform-provider-google/7.4.0,gzip(gfe)");
        return;
    case K_APP:
        LIT("grpc-java-netty/1.71.0,gzip(gfe)");
        return;
    case K_ETL:
        LIT("gl-python/3.11.13 grpc/1.74.0 gax/2.25.1 gapic/3.36.0 gccl/3.36.0,gzip(gfe)");
        return;
    case K_GCE:
        LIT("gcloud-golang-storage/1.56.1,gzip(gfe)");
        return;
    default:
        LIT("GCE Managed Instance Group for GKE");
        return;
    }
}

static void caller_ip(struct km_gb *b, struct gc_ev *e)
{
    const struct gc_actor *a = e->a;
    const struct km_gen_world *w = e->pl->w;
    if (e->d->story) {
        STR(KM_GEN_STORY_IP);
        return;
    }
    switch (a->kind) {
    case K_USER:
        km_gen_person_ip(w, a->person, e->day, b);
        return;
    case K_TF: /* run from an operator's machine */
        km_gen_person_ip(w, a->person, e->day, b);
        return;
    case K_GH: { /* GitHub-hosted runner */
        static const uint8_t pre[4] = {20, 4, 13, 52};
        uint64_t h = km_rng_hash2(w->seed ^ 0x6a1, e->d->burst >> 4);
        km_gb_ip4(b, ((uint32_t)pre[h & 3] << 24) | (uint32_t)((h >> 8) & 0xffffff) | 1u);
        return;
    }
    case K_AGENT:
        LIT("private");
        return;
    default:
        km_gb_ip4(b, a->ip);
        return;
    }
}

static void status_denied(struct km_gb *b, const struct gc_ev *e)
{
    LIT("\"status\":{\"code\":7,\"message\":\"");
    if (is_compute(e->op))
        LIT("Required '");
    else
        LIT("Permission '");
    STR(e->op->permission);
    if (is_compute(e->op))
        LIT("' permission for '");
    else
        LIT("' denied on resource (or it may not exist).");
    if (is_compute(e->op)) {
        resource_name(b, e);
        LIT("'");
    }
    LIT("\"}");
}

static void entry(struct gc_ev *e, struct km_gb *b, int lg)
{
    const struct gc_plan *pl = e->pl;
    const struct km_gen_world *w = pl->w;
    const struct gc_desc *d = e->d;
    const struct gc_op *op = e->op;
    const struct gc_actor *a = e->a;
    int denied = d->denied;
    int story_iam = d->story && op == &gc_ops[GC_OP_SETIAM];
    uint64_t frac = km_rng_next(&e->r) % 1000000000ull;
    int micro = op->flags & OF_LRO;
    if (micro)
        frac -= frac % 1000;

    LIT("{\"insertId\":\"");
    if (is_compute(op))
        km_gb_ch(b, '-');
    lower_alnum(b, &e->r, 12);
    LIT("\",\"logName\":\"projects/");
    STR(e->p->id);
    LIT("/logs/cloudaudit.googleapis.com%2F");
    STR(gc_log_name[lg]);
    km_gb_ch(b, '"');
    if (d->phase) {
        LIT(",\"operation\":{");
        if (d->phase == 1)
            LIT("\"first\":true,");
        LIT("\"id\":\"operation-");
        km_gb_u64(b, 1700000000000ull + (km_rng_hash2(w->seed ^ 0x0b, d->burst) % 100000000000ull));
        km_gb_ch(b, '-');
        km_gb_hex(b, km_rng_hash2(w->seed ^ 0x0c, d->burst), 12);
        km_gb_ch(b, '-');
        km_gb_hex(b, km_rng_hash2(w->seed ^ 0x0d, d->burst), 8);
        km_gb_ch(b, '-');
        km_gb_hex(b, km_rng_hash2(w->seed ^ 0x0e, d->burst), 8);
        km_gb_ch(b, '"');
        if (d->phase == 2)
            LIT(",\"last\":true");
        LIT(",\"producer\":\"compute.googleapis.com\"}");
    }
    LIT(",\"protoPayload\":{\"@type\":\"type.googleapis.com/google.cloud.audit.AuditLog\","
        "\"authenticationInfo\":{\"principalEmail\":\"");
    STR(a->email);
    km_gb_ch(b, '"');
    if (a->kind == K_USER) {
        LIT(",\"principalSubject\":\"user:");
        STR(a->email);
        km_gb_ch(b, '"');
    } else if (a->kind == K_TF) {
        LIT(",\"principalSubject\":\"serviceAccount:");
        STR(a->email);
        LIT("\",\"serviceAccountDelegationInfo\":[{\"firstPartyPrincipal\":{\"principalEmail\":\"");
        STR(w->persons[a->person].email);
        LIT("\"}}]");
    } else if (a->kind == K_GH) {
        LIT(",\"principalSubject\":\"serviceAccount:");
        STR(a->email);
        LIT("\",\"serviceAccountDelegationInfo\":[{\"principalSubject\":"
            "\"principal://iam.googleapis.com/projects/");
        STR(e->p->number);
        LIT("/locations/global/workloadIdentityPools/github/subject/repo:");
        STR(w->org);
        km_gb_ch(b, '/');
        STR(e->p->word);
        LIT(":ref:refs/heads/main\"}]");
    } else {
        LIT(",\"principalSubject\":\"serviceAccount:");
        STR(a->email);
        km_gb_ch(b, '"');
    }
    LIT("},\"authorizationInfo\":[{\"granted\":");
    if (denied)
        LIT("false");
    else
        LIT("true");
    LIT(",\"permission\":\"");
    STR(op->permission);
    LIT("\",\"permissionType\":\"");
    STR(gc_ptype[op->ptype]);
    LIT("\",\"resource\":\"");
    resource_name(b, e);
    LIT("\",\"resourceAttributes\":{}}]");
    LIT(",\"methodName\":\"");
    STR(op->method);
    km_gb_ch(b, '"');
    if (story_iam || (op == &gc_ops[GC_OP_SETIAM])) {
        LIT(",\"request\":{\"@type\":\"type.googleapis.com/google.iam.v1.SetIamPolicyRequest\","
            "\"policy\":{\"bindings\":[{\"members\":[\"group:gcp-admins@example.org\"],\"role\":"
            "\"roles/owner\"}");
        if (story_iam) {
            LIT(",{\"members\":[\"" GC_STORY_OUTSIDER "\"],\"role\":\"roles/owner\"}");
        } else {
            LIT(",{\"members\":[\"serviceAccount:");
            STR(e->p->word);
            LIT("-api@");
            STR(e->p->id);
            LIT(".iam.gserviceaccount.com");
            LIT("\"],\"role\":\"roles/");
            static const char *const roles[] = {"viewer", "logging.viewer", "storage.objectViewer",
                                                "bigquery.dataViewer"};
            STR(roles[d->pick % 4]);
            LIT("\"}");
        }
        LIT("],\"etag\":\"BwY");
        km_gb_rand(b, &e->r, KM_GEN_ALNUM, 9);
        LIT("=\"},\"resource\":\"");
        STR(e->p->id);
        LIT("\"}");
    } else if (d->phase == 1 && strcmp(op->method, "v1.compute.instances.insert") == 0) {
        LIT(",\"request\":{\"@type\":\"type.googleapis.com/compute.instances.insert\","
            "\"machineType\":\"zones/");
        STR(e->p->region);
        STR(zone_sfx(e->p->inst_zone[d->pick % e->p->ninst]));
        LIT("/machineTypes/e2-standard-4\",\"name\":\"");
        STR(e->p->inst[d->pick % e->p->ninst]);
        LIT("\"}");
    }
    LIT(",\"requestMetadata\":{\"callerIp\":\"");
    caller_ip(b, e);
    LIT("\",\"callerSuppliedUserAgent\":\"");
    user_agent(b, e);
    LIT("\",\"destinationAttributes\":{},\"requestAttributes\":{\"auth\":{},\"time\":\"");
    km_gb_iso_frac(b, e->t, frac, 9, "Z");
    LIT("\"}},\"resourceName\":\"");
    resource_name(b, e);
    km_gb_ch(b, '"');
    if (!denied && op == &gc_ops[GC_OP_SAKEY]) {
        LIT(",\"response\":{"
            "\"@type\":\"type.googleapis.com/google.iam.admin.v1.ServiceAccountKey\","
            "\"key_algorithm\":2,\"name\":\"projects/");
        STR(e->p->id);
        LIT("/serviceAccounts/");
        if (d->pick & 1)
            LIT("github-deployer@");
        else
            LIT("terraform@");
        STR(e->p->id);
        LIT(".iam.gserviceaccount.com/keys/");
        km_gb_hex(b, km_rng_next(&e->r), 16);
        km_gb_hex(b, km_rng_next(&e->r), 16);
        km_gb_hex(b, km_rng_next(&e->r), 8);
        LIT("\",\"private_key_type\":2,\"valid_after_time\":{\"seconds\":");
        km_gb_u64(b, (uint64_t)e->t);
        LIT("},\"valid_before_time\":{\"seconds\":253402300799}}");
    }
    if (!denied && op == &gc_ops[GC_OP_SETIAM]) {
        LIT(",\"serviceData\":{\"@type\":\"type.googleapis.com/google.iam.v1.logging.AuditData\","
            "\"policyDelta\":{\"bindingDeltas\":[{\"action\":\"ADD\",\"member\":\"");
        if (story_iam) {
            LIT(GC_STORY_OUTSIDER "\",\"role\":\"roles/owner\"}]}}");
        } else {
            static const char *const roles[] = {"viewer", "logging.viewer", "storage.objectViewer",
                                                "bigquery.dataViewer"};
            LIT("serviceAccount:");
            STR(e->p->word);
            LIT("-api@");
            STR(e->p->id);
            LIT(".iam.gserviceaccount.com");
            LIT("\",\"role\":\"roles/");
            STR(roles[d->pick % 4]);
            LIT("\"}]}}");
        }
    }
    LIT(",\"serviceName\":\"");
    STR(op->service);
    km_gb_ch(b, '"');
    if (denied) {
        km_gb_ch(b, ',');
        status_denied(b, e);
    } else if (op->flags & OF_BQ) {
        LIT(",\"status\":{}");
    }
    LIT("},\"receiveTimestamp\":\"");
    uint64_t rfrac = frac + 80000000ull + km_rng_next(&e->r) % 900000000ull;
    km_gb_iso_frac(b, e->t + (int64_t)(rfrac / 1000000000ull), rfrac % 1000000000ull, 9, "Z");
    LIT("\",");
    monitored_resource(b, e);
    LIT(",\"severity\":\"");
    if (denied)
        LIT("ERROR");
    else if (lg == LOG_DATA)
        LIT("INFO");
    else
        LIT("NOTICE");
    LIT("\",\"timestamp\":\"");
    if (micro)
        km_gb_iso_frac(b, e->t, frac / 1000, 6, "Z");
    else
        km_gb_iso_frac(b, e->t, frac, 9, "Z");
    LIT("\"}\n");
}

/* ---- planted records (gen_scen.c) ------------------------------------------------------ */

/* What a planted entry says; rendered in LogEntry key order by plant_entry(). */
struct gc_pe {
    int lg;
    char parent[64];            /* "projects/<id>" or "organizations/<number>" */
    const char *email, *subject, *deleg, *keyname;
    const char *perm, *ptype;
    char authz_res[200];
    const char *method, *service;
    char request[700];
    char resname[200];
    char response[500];
    char servicedata[400];
    char metadata[900];
    char mres[400];
    const char *severity;
    int status_empty;
    char ip[64];
    const char *ua;
    uint64_t frac;              /* nanoseconds of the timestamp */
};

static void plant_entry(struct gc_plan *pl, const struct gc_pe *x, int64_t t, struct km_rng *r,
                        struct km_gb *b, int scen)
{
    const struct km_gen_world *w = pl->w;
    uint64_t frac = x->frac;
    char ins[24];
    km_gen_rand_str(ins, r, "abcdefghijklmnopqrstuvwxyz0123456789", 12);
    LIT("{\"insertId\":\"");
    STR(ins);
    LIT("\",\"logName\":\"");
    STR(x->parent);
    LIT("/logs/cloudaudit.googleapis.com%2F");
    STR(gc_log_name[x->lg]);
    LIT("\",\"protoPayload\":{\"@type\":\"type.googleapis.com/google.cloud.audit.AuditLog\","
        "\"authenticationInfo\":{\"principalEmail\":\"");
    STR(x->email);
    km_gb_ch(b, '"');
    if (x->subject) {
        LIT(",\"principalSubject\":\"");
        STR(x->subject);
        km_gb_ch(b, '"');
    }
    if (x->deleg) {
        LIT(",\"serviceAccountDelegationInfo\":[{\"firstPartyPrincipal\":{\"principalEmail\":\"");
        STR(x->deleg);
        LIT("\"}}]");
    }
    if (x->keyname) {
        LIT(",\"serviceAccountKeyName\":\"");
        STR(x->keyname);
        km_gb_ch(b, '"');
    }
    km_gb_ch(b, '}');
    if (x->perm) {
        LIT(",\"authorizationInfo\":[{\"granted\":true,\"permission\":\"");
        STR(x->perm);
        LIT("\",\"permissionType\":\"");
        STR(x->ptype);
        LIT("\",\"resource\":\"");
        STR(x->authz_res);
        LIT("\",\"resourceAttributes\":{}}]");
    }
    if (x->metadata[0]) {
        LIT(",\"metadata\":");
        STR(x->metadata);
    }
    LIT(",\"methodName\":\"");
    STR(x->method);
    km_gb_ch(b, '"');
    if (x->request[0]) {
        LIT(",\"request\":");
        STR(x->request);
    }
    LIT(",\"requestMetadata\":{\"callerIp\":\"");
    STR(x->ip);
    km_gb_ch(b, '"');
    if (x->ua) {
        LIT(",\"callerSuppliedUserAgent\":\"");
        STR(x->ua);
        km_gb_ch(b, '"');
    }
    LIT(",\"destinationAttributes\":{},\"requestAttributes\":{");
    if (x->ua) {
        LIT("\"auth\":{},\"time\":\"");
        km_gb_iso_frac(b, t, frac, 9, "Z");
        km_gb_ch(b, '"');
    }
    LIT("}},\"resourceName\":\"");
    STR(x->resname);
    km_gb_ch(b, '"');
    if (x->response[0]) {
        LIT(",\"response\":");
        STR(x->response);
    }
    if (x->servicedata[0]) {
        LIT(",\"serviceData\":");
        STR(x->servicedata);
    }
    LIT(",\"serviceName\":\"");
    STR(x->service);
    km_gb_ch(b, '"');
    if (x->status_empty)
        LIT(",\"status\":{}");
    LIT("},\"receiveTimestamp\":\"");
    uint64_t rfrac = frac + 80000000ull + km_rng_next(r) % 900000000ull;
    km_gb_iso_frac(b, t + (int64_t)(rfrac / 1000000000ull), rfrac % 1000000000ull, 9, "Z");
    LIT("\",\"resource\":");
    STR(x->mres);
    LIT(",\"severity\":\"");
    STR(x->severity);
    LIT("\",\"timestamp\":\"");
    km_gb_iso_frac(b, t, frac, 9, "Z");
    LIT("\"}\n");
    /* kumo's event id: "<logName, LOG_ID decoded>#<insertId>@<timestamp, µs>" */
    char ts[40];
    struct km_gb tb = {ts, 0, sizeof ts};
    km_gb_iso_frac(&tb, t, frac / 1000, 6, "Z");
    ts[tb.n] = 0;
    km_gen_scen_ent(w, scen, KM_GEN_E_EVENTS, "%s/logs/cloudaudit.googleapis.com/%s#%s@%s", x->parent,
                    gc_log_name[x->lg], ins, ts);
}

/* The project's actor of kind k (service accounts), or NULL. */
static const struct gc_actor *gc_sa(const struct gc_plan *pl, int proj, int kind)
{
    for (uint32_t k = 0; k < pl->nact; k++)
        if (pl->act[k].kind == kind && pl->act[k].proj == proj)
            return &pl->act[k];
    return NULL;
}

/* The key a planted CreateServiceAccountKey makes (the same in its use). */
static void plant_key(const struct gc_plan *pl, int scen, int proj, char out[41])
{
    struct km_rng r;
    km_rng_init(&r, pl->w->seed ^ 0x6b3e, ((uint64_t)scen << 8) ^ (uint64_t)proj);
    km_gen_rand_str(out, &r, "0123456789abcdef", 40);
}

/* Renders the provider's plants and sorts them by (unit, second). */
static int gc_plants(struct gc_plan *pl, struct km_err *err)
{
    const struct km_gen_world *w = pl->w;
    uint32_t first, n;
    km_gen_scen_plants(w, KM_GEN_PROV_GCP, &first, &n);
    if (!n)
        return KM_OK;
    const struct km_gen_plant *plants = w->scen->pl + first;
    pl->pl = calloc(n, sizeof *pl->pl);
    if (!pl->pl)
        return km_err_set(err, KM_ENOMEM, NULL, UINT64_MAX, "out of memory (plants)");
    struct km_gb bb = {NULL, 0, 0}, *b = &bb;
    for (uint32_t i = 0; i < n; i++) {
        const struct km_gen_plant *p = &plants[i];
        if (km_gb_reserve(b, KM_GB_RECORD_MAX)) {
            km_gb_free(b);
            return km_err_set(err, KM_ENOMEM, NULL, UINT64_MAX, "out of memory (plants)");
        }
        struct km_rng r;
        r.s = p->seed;
        struct gc_pe x;
        memset(&x, 0, sizeof x);
        x.frac = km_rng_next(&r) % 1000000000ull;
        int proj = p->acct == 0xff ? 0 : p->acct % pl->nproj;
        if (p->acct == 0xff && p->who != KM_GEN_NONE) { /* the person's own project */
            const struct km_gen_person *pe = &w->persons[p->who];
            proj = pe->job == KM_GEN_JOB_DATA && pl->nproj > 1 ? 1 : (int)(p->who % (uint32_t)pl->nproj);
        }
        const struct gc_proj *pj = &pl->proj[proj];
        const char *email = p->who != KM_GEN_NONE ? w->persons[p->who].email : NULL;
        char subj[140];
        snprintf(subj, sizeof subj, "user:%s", email ? email : "");
        struct km_gb ib = {x.ip, 0, sizeof x.ip};
        km_gen_scen_ip(w, p, &ib);
        x.ip[ib.n] = 0;
        x.lg = LOG_ACTIVITY;
        x.severity = "NOTICE";
        x.email = email;
        x.subject = subj;
        x.ua = p->ua;
        snprintf(x.parent, sizeof x.parent, "projects/%s", pj->id);
        const struct gc_actor *sa = gc_sa(pl, proj, K_APP);
        char sasubj[160], keyname[300], key[41];
        snprintf(sasubj, sizeof sasubj, "serviceAccount:%s", sa ? sa->email : "");
        char bucket[120]; /* one of the project's buckets, per kind of access */
        snprintf(bucket, sizeof bucket, "%s-%s-%s-%s", w->org, pj->env, pj->word,
                 p->kind == KM_GEN_PK_GC_PUBLIC ? "exports"
                 : p->kind == KM_GEN_PK_GC_SAKEYUSE ? "backups" : "data");
        plant_key(pl, p->scen, proj, key);
        snprintf(keyname, sizeof keyname, "//iam.googleapis.com/projects/%s/serviceAccounts/%s/keys/%s",
                 pj->id, sa ? sa->email : "", key);
        switch (p->kind) {
        case KM_GEN_PK_GC_LOGIN: {
            x.lg = LOG_DATA;
            snprintf(x.parent, sizeof x.parent, "organizations/%s", pl->org_num);
            x.subject = NULL;
            x.ua = NULL;
            x.method = "google.login.LoginService.loginFailure";
            x.service = "login.googleapis.com";
            snprintf(x.resname, sizeof x.resname, "organizations/%s", pl->org_num);
            char q[16];
            km_gen_rand_str(q, &r, "0123456789", 12);
            snprintf(x.metadata, sizeof x.metadata,
                     "{\"@type\":\"type.googleapis.com/ccc_hosted_reporting.ActivityProto\","
                     "\"activityId\":{\"timeUsec\":\"%lld%06u\",\"uniqQualifier\":\"%s\"},"
                     "\"event\":[{\"eventName\":\"login_failure\",\"eventType\":\"login\","
                     "\"parameter\":[{\"name\":\"login_type\",\"type\":\"TYPE_STRING\",\"value\":"
                     "\"google_password\"},{\"multiStrValue\":[\"password\"],\"name\":"
                     "\"login_challenge_method\",\"type\":\"TYPE_STRING\"},{\"name\":"
                     "\"login_failure_type\",\"type\":\"TYPE_STRING\",\"value\":"
                     "\"login_failure_invalid_password\"},{\"boolValue\":false,\"name\":"
                     "\"is_suspicious\",\"type\":\"TYPE_BOOLEAN\"}]}]}",
                     (long long)p->t, (unsigned)(x.frac / 1000), q);
            snprintf(x.mres, sizeof x.mres,
                     "{\"labels\":{\"method\":\"google.login.LoginService.loginFailure\",\"service\":"
                     "\"login.googleapis.com\"},\"type\":\"audited_resource\"}");
            km_gen_scen_ent(w, p->scen, KM_GEN_E_ACCOUNTS, "organizations/%s", pl->org_num);
            break;
        }
        case KM_GEN_PK_GC_BQ: {
            x.lg = LOG_DATA;
            x.severity = "INFO";
            x.status_empty = 1;
            if (!x.ua)
                x.ua = "google-cloud-sdk bq/2.1.9 (gzip),gzip(gfe)";
            x.method = p->app ? "google.cloud.bigquery.v2.JobService.GetQueryResults"
                              : "google.cloud.bigquery.v2.JobService.InsertJob";
            x.service = "bigquery.googleapis.com";
            x.perm = p->app ? "bigquery.jobs.get" : "bigquery.jobs.create";
            x.ptype = "DATA_READ";
            snprintf(x.resname, sizeof x.resname, "projects/%s/jobs/bquxjob_%08llx_%011llx", pj->id,
                     (unsigned long long)(km_rng_hash2(p->seed, 1) & 0xffffffffull),
                     (unsigned long long)(km_rng_hash2(p->scen, p->t / 600) & 0xfffffffffffull));
            snprintf(x.authz_res, sizeof x.authz_res, "%s", x.resname);
            snprintf(x.mres, sizeof x.mres,
                     "{\"labels\":{\"location\":\"%s\",\"project_id\":\"%s\"},\"type\":"
                     "\"bigquery_project\"}",
                     pj->region, pj->id);
            km_gen_scen_ent(w, p->scen, KM_GEN_E_ACCOUNTS, "%s", pj->id);
            break;
        }
        case KM_GEN_PK_GC_GENTOKEN:
            x.lg = LOG_DATA;
            x.severity = "INFO";
            x.method = "GenerateAccessToken";
            x.service = "iamcredentials.googleapis.com";
            x.perm = "iam.serviceAccounts.getAccessToken";
            x.ptype = "DATA_READ";
            snprintf(x.resname, sizeof x.resname, "projects/-/serviceAccounts/%s", sa ? sa->uid : "");
            snprintf(x.authz_res, sizeof x.authz_res, "%s", x.resname);
            snprintf(x.request, sizeof x.request,
                     "{\"@type\":\"type.googleapis.com/google.iam.credentials.v1."
                     "GenerateAccessTokenRequest\",\"name\":\"projects/-/serviceAccounts/%s\"}",
                     sa ? sa->email : "");
            snprintf(x.mres, sizeof x.mres,
                     "{\"labels\":{\"email_id\":\"%s\",\"project_id\":\"%s\",\"unique_id\":\"%s\"},"
                     "\"type\":\"service_account\"}",
                     sa ? sa->email : "", pj->id, sa ? sa->uid : "");
            km_gen_scen_ent(w, p->scen, KM_GEN_E_IDENTITIES, "%s", sa ? sa->email : "");
            km_gen_scen_ent(w, p->scen, KM_GEN_E_ACCOUNTS, "%s", pj->id);
            break;
        case KM_GEN_PK_GC_ASSA:
        case KM_GEN_PK_GC_SAKEYUSE:
            x.lg = LOG_DATA;
            x.severity = "INFO";
            x.email = sa ? sa->email : "";
            x.subject = sasubj;
            if (p->kind == KM_GEN_PK_GC_ASSA)
                x.deleg = email;
            else
                x.keyname = keyname;
            x.method = p->app ? "storage.objects.get" : "storage.objects.list";
            x.service = "storage.googleapis.com";
            x.perm = x.method;
            x.ptype = "DATA_READ";
            if (p->app)
                snprintf(x.resname, sizeof x.resname,
                         "projects/_/buckets/%s/objects/%s/export/customers-full.csv.gz", bucket,
                         pj->word);
            else
                snprintf(x.resname, sizeof x.resname, "projects/_/buckets/%s", bucket);
            snprintf(x.authz_res, sizeof x.authz_res, "%s", x.resname);
            snprintf(x.mres, sizeof x.mres,
                     "{\"labels\":{\"bucket_name\":\"%s\",\"location\":\"%s\",\"project_id\":\"%s\"},"
                     "\"type\":\"gcs_bucket\"}",
                     bucket, pj->region, pj->id);
            km_gen_scen_ent(w, p->scen, KM_GEN_E_IDENTITIES, "%s", sa ? sa->email : "");
            km_gen_scen_ent(w, p->scen, KM_GEN_E_ACCOUNTS, "%s", pj->id);
            km_gen_scen_ent(w, p->scen, KM_GEN_E_RESOURCES, "projects/_/buckets/%s", bucket);
            if (x.keyname)
                km_gen_scen_ent(w, p->scen, KM_GEN_E_KEYS, "%s", keyname);
            break;
        case KM_GEN_PK_GC_SAKEY:
            x.method = "google.iam.admin.v1.CreateServiceAccountKey";
            x.service = "iam.googleapis.com";
            x.perm = "iam.serviceAccountKeys.create";
            x.ptype = "ADMIN_WRITE";
            snprintf(x.resname, sizeof x.resname, "projects/-/serviceAccounts/%s", sa ? sa->uid : "");
            snprintf(x.authz_res, sizeof x.authz_res, "%s", x.resname);
            snprintf(x.request, sizeof x.request,
                     "{\"@type\":\"type.googleapis.com/google.iam.admin.v1."
                     "CreateServiceAccountKeyRequest\",\"name\":\"projects/-/serviceAccounts/%s\","
                     "\"private_key_type\":2}",
                     sa ? sa->uid : "");
            snprintf(x.response, sizeof x.response,
                     "{\"@type\":\"type.googleapis.com/google.iam.admin.v1.ServiceAccountKey\","
                     "\"key_algorithm\":2,\"name\":\"projects/%s/serviceAccounts/%s/keys/%s\","
                     "\"private_key_type\":2,\"valid_after_time\":{\"seconds\":%lld},"
                     "\"valid_before_time\":{\"seconds\":253402300799}}",
                     pj->id, sa ? sa->email : "", key, (long long)p->t);
            snprintf(x.mres, sizeof x.mres,
                     "{\"labels\":{\"email_id\":\"%s\",\"project_id\":\"%s\",\"unique_id\":\"%s\"},"
                     "\"type\":\"service_account\"}",
                     sa ? sa->email : "", pj->id, sa ? sa->uid : "");
            km_gen_scen_ent(w, p->scen, KM_GEN_E_IDENTITIES, "%s", sa ? sa->email : "");
            km_gen_scen_ent(w, p->scen, KM_GEN_E_KEYS, "%s", keyname);
            km_gen_scen_ent(w, p->scen, KM_GEN_E_ACCOUNTS, "%s", pj->id);
            break;
        case KM_GEN_PK_GC_OWNER: {
            char etag[12];
            km_gen_rand_str(etag, &r, KM_GEN_ALNUM, 9);
            x.method = "SetIamPolicy";
            x.service = "cloudresourcemanager.googleapis.com";
            x.perm = "resourcemanager.projects.setIamPolicy";
            x.ptype = "ADMIN_WRITE";
            snprintf(x.resname, sizeof x.resname, "projects/%s", pj->id);
            snprintf(x.authz_res, sizeof x.authz_res, "%s", x.resname);
            snprintf(x.request, sizeof x.request,
                     "{\"@type\":\"type.googleapis.com/google.iam.v1.SetIamPolicyRequest\",\"policy\":"
                     "{\"bindings\":[{\"members\":[\"group:gcp-admins@example.org\"],\"role\":"
                     "\"roles/owner\"},{\"members\":[\"%s\"],\"role\":\"roles/owner\"}],\"etag\":"
                     "\"BwY%s=\"},\"resource\":\"%s\"}",
                     p->str, etag, pj->id);
            snprintf(x.servicedata, sizeof x.servicedata,
                     "{\"@type\":\"type.googleapis.com/google.iam.v1.logging.AuditData\","
                     "\"policyDelta\":{\"bindingDeltas\":[{\"action\":\"ADD\",\"member\":\"%s\","
                     "\"role\":\"roles/owner\"}]}}",
                     p->str);
            snprintf(x.mres, sizeof x.mres,
                     "{\"labels\":{\"project_id\":\"%s\"},\"type\":\"project\"}", pj->id);
            km_gen_scen_ent(w, p->scen, KM_GEN_E_ACCOUNTS, "%s", pj->id);
            km_gen_scen_ent(w, p->scen, KM_GEN_E_RESOURCES, "projects/%s", pj->id);
            break;
        }
        case KM_GEN_PK_GC_PUBLIC:
            x.method = "storage.setIamPermissions";
            x.service = "storage.googleapis.com";
            x.perm = "storage.buckets.setIamPolicy";
            x.ptype = "ADMIN_WRITE";
            snprintf(x.resname, sizeof x.resname, "projects/_/buckets/%s", bucket);
            snprintf(x.authz_res, sizeof x.authz_res, "%s", x.resname);
            snprintf(x.servicedata, sizeof x.servicedata,
                     "{\"@type\":\"type.googleapis.com/google.iam.v1.logging.AuditData\","
                     "\"policyDelta\":{\"bindingDeltas\":[{\"action\":\"ADD\",\"member\":"
                     "\"allUsers\",\"role\":\"roles/storage.objectViewer\"}]}}");
            snprintf(x.mres, sizeof x.mres,
                     "{\"labels\":{\"bucket_name\":\"%s\",\"location\":\"%s\",\"project_id\":\"%s\"},"
                     "\"type\":\"gcs_bucket\"}",
                     bucket, pj->region, pj->id);
            km_gen_scen_ent(w, p->scen, KM_GEN_E_ACCOUNTS, "%s", pj->id);
            km_gen_scen_ent(w, p->scen, KM_GEN_E_RESOURCES, "projects/_/buckets/%s", bucket);
            km_gen_scen_ent(w, p->scen, KM_GEN_E_ROLES, "roles/storage.objectViewer");
            break;
        default: /* KM_GEN_PK_GC_DELSINK */
            x.method = "google.logging.v2.ConfigServiceV2.DeleteSink";
            x.service = "logging.googleapis.com";
            x.perm = "logging.sinks.delete";
            x.ptype = "ADMIN_WRITE";
            snprintf(x.resname, sizeof x.resname, "projects/%s/sinks/%s", pj->id,
                     p->str ? p->str : "siem-export");
            snprintf(x.authz_res, sizeof x.authz_res, "%s", x.resname);
            snprintf(x.request, sizeof x.request,
                     "{\"@type\":\"type.googleapis.com/google.logging.v2.DeleteSinkRequest\","
                     "\"sinkName\":\"%s\"}",
                     x.resname);
            snprintf(x.mres, sizeof x.mres,
                     "{\"labels\":{\"destination\":\"pubsub.googleapis.com/projects/%s/topics/%s\","
                     "\"name\":\"%s\",\"project_id\":\"%s\"},\"type\":\"logging_sink\"}",
                     pj->id, p->str ? p->str : "siem-export", p->str ? p->str : "siem-export",
                     pj->id);
            km_gen_scen_ent(w, p->scen, KM_GEN_E_ACCOUNTS, "%s", pj->id);
            km_gen_scen_ent(w, p->scen, KM_GEN_E_RESOURCES, "%s", x.resname);
            break;
        }
        size_t at = b->n;
        plant_entry(pl, &x, p->t, &r, b, p->scen);
        int64_t hour = (p->t - w->start) / 3600;
        struct gc_pl *y = &pl->pl[pl->npl++];
        y->unit = (uint64_t)x.lg * pl->nhours + (uint64_t)hour;
        y->t = (uint16_t)((p->t - w->start) % 3600);
        y->off = (uint32_t)at;
        y->len = (uint32_t)(b->n - at);
    }
    pl->ptext = b->p;
    for (uint32_t i = 1; i < pl->npl; i++) {
        struct gc_pl y = pl->pl[i];
        uint32_t j = i;
        while (j > 0 && (pl->pl[j - 1].unit > y.unit ||
                         (pl->pl[j - 1].unit == y.unit && pl->pl[j - 1].t > y.t))) {
            pl->pl[j] = pl->pl[j - 1];
            j--;
        }
        pl->pl[j] = y;
    }
    return KM_OK;
}

/* ---- units -------------------------------------------------------------------------- */

static int gc_unit(void *state, uint64_t u, struct km_gen_thread *ts, struct km_err *err)
{
    const struct gc_plan *pl = state;
    const struct km_gen_world *w = pl->w;
    int lg = (int)(u / pl->nhours);
    uint32_t hour = (uint32_t)(u % pl->nhours);
    int64_t hstart = w->start + (int64_t)hour * 3600;
    uint32_t n = pl->count[u], nstory = 0;
    if (lg == LOG_ACTIVITY && pl->story)
        for (int k = 0; k < KM_GEN_STORY_N_GCP; k++)
            nstory += pl->story_t[k] >= hstart && pl->story_t[k] < hstart + 3600;
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

    size_t total = (size_t)n + nstory;
    size_t need = sizeof(double) * pl->nact + sizeof(uint32_t) * 3602 +
                  2 * sizeof(struct gc_desc) * total + 64;
    if (ts->scratch_cap < need) {
        size_t cap = need + need / 2;
        void *p = realloc(ts->scratch, cap);
        if (!p)
            return km_err_set(err, KM_ENOMEM, NULL, UINT64_MAX,
                              "out of memory (%zu entries in one hour)", total);
        ts->scratch = p;
        ts->scratch_cap = cap;
    }
    double *cw = ts->scratch;
    uint32_t *cnt = (uint32_t *)(cw + pl->nact);
    struct gc_desc *d = (struct gc_desc *)(((uintptr_t)(cnt + 3602) + 15) & ~(uintptr_t)15);
    struct gc_desc *s = d + total;

    struct km_rng r;
    km_rng_init(&r, w->seed, 0x6c000000000000ull ^ u);
    n = plan_entries(pl, lg, hour, n, cw, d, &r);
    static const uint8_t story_op[KM_GEN_STORY_N_GCP] = {GC_OP_SETMETA, GC_OP_SETIAM, GC_OP_SAKEY};
    for (int k = 0; k < KM_GEN_STORY_N_GCP && lg == LOG_ACTIVITY && pl->story; k++) {
        if (pl->story_t[k] < hstart || pl->story_t[k] >= hstart + 3600)
            continue;
        struct gc_desc *e = &d[n++];
        memset(e, 0, sizeof *e);
        e->t = (uint16_t)(pl->story_t[k] - hstart);
        e->op = story_op[k];
        e->actor = pl->story_actor;
        e->story = (uint8_t)(k + 1);
        e->denied = k == 0;
        e->pick = 0; /* terraform@ of the production project */
        e->burst = (uint32_t)km_rng_hash2(w->seed, 0x6e57 + (uint64_t)k);
        e->seed = km_rng_hash2(w->seed, 0x6e58 + (uint64_t)k);
    }

    memset(cnt, 0, sizeof(uint32_t) * 3601);
    for (uint32_t i = 0; i < n; i++)
        cnt[d[i].t + 1]++;
    for (int k = 0; k < 3600; k++)
        cnt[k + 1] += cnt[k];
    for (uint32_t i = 0; i < n; i++)
        s[cnt[d[i].t]++] = d[i];

    struct km_gen_tm tm;
    km_gen_gmtime(hstart, &tm);
    struct km_gb *b = &ts->json;
    uint32_t i = 0, pk = 0;
    for (int shard = 0; i < n || pk < nplant; shard++) {
        uint32_t end = n - i > GC_SHARD ? i + GC_SHARD : n;
        b->n = 0;
        uint32_t written = 0;
        for (uint32_t j = i; j < end || (end == n && pk < nplant); j++) {
            if (km_gb_reserve(b, KM_GB_RECORD_MAX))
                return km_err_set(err, KM_ENOMEM, NULL, UINT64_MAX, "out of memory (file buffer)");
            /* a plant goes before the first record of a later second */
            if (pk < nplant && (j >= end || pl->pl[pat + pk].t < s[j].t)) {
                const struct gc_pl *x = &pl->pl[pat + pk++];
                km_gb_mem(b, pl->ptext + x->off, x->len);
                written++;
                j--;
                continue;
            }
            written++;
            size_t at = b->n;
            struct gc_ev e;
            e.pl = pl;
            e.d = &s[j];
            e.a = &pl->act[s[j].actor];
            e.op = &gc_ops[s[j].op];
            e.p = &pl->proj[e.a->proj];
            e.t = hstart + s[j].t;
            e.day = (uint32_t)((e.t - w->start) / 86400);
            e.r.s = s[j].seed;
            entry(&e, b, lg);
            if (b->n - at >= KM_GB_RECORD_MAX)
                return km_err_set(err, KM_EINTERNAL, NULL, UINT64_MAX, "record too large");
        }
        char rel[160];
        snprintf(rel, sizeof rel,
                 "cloudaudit.googleapis.com/%s/%04d/%02d/%02d/%02d:00:00_%02d:59:59_S%d.json",
                 gc_log_name[lg], tm.year, tm.mon, tm.day, tm.hour, tm.hour, shard);
        int rc = km_gen_emit_plain(ts, rel, written, 0, err);
        if (rc)
            return rc;
        i = end;
    }
    return KM_OK;
}

const struct km_gen_provider km_gen_gcp = {
    "gcp",
    gc_plan_make,
    gc_unit,
    gc_free,
};
