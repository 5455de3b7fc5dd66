/*
 * world.c — the fictional organisation behind `kumo gen`, drawn from the seed.
 *
 * An organisation has offices in a few time zones, people with jobs, tools
 * and stable addresses (office NAT, home line with or without IPv6, the
 * corporate VPN), and AWS accounts with home regions, resources (buckets,
 * functions, instances, databases, secrets, keys) and the identities that
 * act in them: people through IAM Identity Center (AWSReservedSSO_ roles whose
 * session name is the person's e-mail address), a few legacy IAM users, root,
 * Lambda and EC2 roles, CI and Terraform roles, a posture scanner, AWS
 * services, a partner account and a federated user.
 *
 * Everything here is a pure function of (seed, accounts, start, days), built
 * once before any unit runs, and read-only afterwards.
 *
 * Also here: the small formatting helpers every provider uses (buffer,
 * UUIDs, addresses, calendar).
 */
#include "gen/gen_int.h"

#include <stdio.h>
#include <stdlib.h>

/* ---- buffer and formatting helpers ---------------------------------------- */

const char km_gen_digits2[200] = "00010203040506070809101112131415161718192021222324"
                                 "25262728293031323334353637383940414243444546474849"
                                 "50515253545556575859606162636465666768697071727374"
                                 "75767778798081828384858687888990919293949596979899";

int km_gb_reserve(struct km_gb *b, size_t more)
{
    if (b->cap - b->n >= more)
        return KM_OK;
    size_t want = b->cap ? b->cap : 256 * 1024;
    while (want - b->n < more)
        want *= 2;
    if (want > KM_GB_CEILING)
        return KM_ENOMEM;
    char *p = realloc(b->p, want);
    if (!p)
        return KM_ENOMEM;
    b->p = p;
    b->cap = want;
    return KM_OK;
}

void km_gb_free(struct km_gb *b)
{
    free(b->p);
    b->p = NULL;
    b->n = b->cap = 0;
}

void km_gb_uuid(struct km_gb *b, struct km_rng *r)
{
    uint64_t hi = km_rng_next(r), lo = km_rng_next(r);
    km_gb_hex(b, hi >> 32, 8);
    km_gb_ch(b, '-');
    km_gb_hex(b, hi >> 16, 4);
    km_gb_ch(b, '-');
    km_gb_hex(b, 0x4000 | (hi & 0x0fff), 4);
    km_gb_ch(b, '-');
    km_gb_hex(b, 0x8000 | ((lo >> 48) & 0x3fff), 4);
    km_gb_ch(b, '-');
    km_gb_hex(b, lo, 12);
}

void km_gb_rand(struct km_gb *b, struct km_rng *r, const char *set, int n)
{
    uint32_t m = (uint32_t)strlen(set);
    uint64_t bits = 0;
    int left = 0;
    for (int i = 0; i < n; i++) {
        if (left == 0) {
            bits = km_rng_next(r);
            left = 4;
        }
        /* 16 bits per character: bias below 0.1% for alphabets <= 64 */
        b->p[b->n++] = set[((bits & 0xffff) * m) >> 16];
        bits >>= 16;
        left--;
    }
}

void km_gen_rand_str(char *dst, struct km_rng *r, const char *set, int n)
{
    struct km_gb b = {dst, 0, (size_t)n + 1};
    km_gb_rand(&b, r, set, n);
    dst[n] = 0;
}

void km_gb_ip4(struct km_gb *b, uint32_t ip)
{
    for (int i = 3; i >= 0; i--) {
        km_gb_u64(b, (ip >> (8 * i)) & 255);
        if (i)
            km_gb_ch(b, '.');
    }
}

void km_gb_esc(struct km_gb *b, const char *s, size_t n)
{
    static const char hx[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            km_gb_ch(b, '\\');
            km_gb_ch(b, (char)c);
        } else if (c < 0x20) {
            KM_GB_LIT(b, "\\u00");
            km_gb_ch(b, hx[c >> 4]);
            km_gb_ch(b, hx[c & 15]);
        } else {
            km_gb_ch(b, (char)c);
        }
    }
}

/* ---- calendar ------------------------------------------------------------- */

void km_gen_gmtime(int64_t t, struct km_gen_tm *tm)
{
    int64_t days = t / 86400, rem = t % 86400;
    tm->hour = (int)(rem / 3600);
    tm->min = (int)(rem / 60 % 60);
    tm->sec = (int)(rem % 60);
    tm->wday = (int)((days + 4) % 7); /* 1970-01-01 was a Thursday */
    /* civil-from-days (proleptic Gregorian), days >= 0 */
    int64_t z = days + 719468;
    int64_t era = z / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    tm->day = (int)(doy - (153 * mp + 2) / 5 + 1);
    tm->mon = (int)(mp < 10 ? mp + 3 : mp - 9);
    tm->year = (int)(y + (tm->mon <= 2));
}

void km_gb_iso(struct km_gb *b, int64_t t)
{
    struct km_gen_tm tm;
    km_gen_gmtime(t, &tm);
    km_gb_2d(b, (unsigned)tm.year / 100);
    km_gb_2d(b, (unsigned)tm.year % 100);
    km_gb_ch(b, '-');
    km_gb_2d(b, (unsigned)tm.mon);
    km_gb_ch(b, '-');
    km_gb_2d(b, (unsigned)tm.day);
    km_gb_ch(b, 'T');
    km_gb_2d(b, (unsigned)tm.hour);
    km_gb_ch(b, ':');
    km_gb_2d(b, (unsigned)tm.min);
    km_gb_ch(b, ':');
    km_gb_2d(b, (unsigned)tm.sec);
    km_gb_ch(b, 'Z');
}

void km_gb_awsdate(struct km_gb *b, int64_t t)
{
    static const char mon[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    struct km_gen_tm tm;
    km_gen_gmtime(t, &tm);
    km_gb_mem(b, mon[tm.mon - 1], 3);
    km_gb_ch(b, ' ');
    km_gb_u64(b, (uint64_t)tm.day);
    KM_GB_LIT(b, ", ");
    km_gb_u64(b, (uint64_t)tm.year);
    km_gb_ch(b, ' ');
    int h12 = tm.hour % 12 ? tm.hour % 12 : 12;
    km_gb_u64(b, (uint64_t)h12);
    km_gb_ch(b, ':');
    km_gb_2d(b, (unsigned)tm.min);
    km_gb_ch(b, ':');
    km_gb_2d(b, (unsigned)tm.sec);
    if (tm.hour < 12)
        KM_GB_LIT(b, " AM");
    else
        KM_GB_LIT(b, " PM");
}

/* ---- static tables -------------------------------------------------------- */

const char *const km_gen_regions[KM_GEN_NREGIONS] = {
    "us-east-1",      "us-east-2",      "us-west-1",      "us-west-2",
    "ca-central-1",   "eu-west-1",      "eu-west-2",      "eu-west-3",
    "eu-central-1",   "eu-north-1",     "ap-south-1",     "ap-southeast-1",
    "ap-southeast-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
    "sa-east-1",
};

/* Two /16 prefixes of AWS address space per region (EIPs, Lambda egress). */
static const uint8_t km_gen_aws_prefix[KM_GEN_NREGIONS][2][2] = {
    {{3, 227}, {44, 198}},  {{3, 139}, {18, 218}},  {{13, 56}, {54, 183}},
    {{35, 162}, {44, 240}}, {{15, 222}, {3, 98}},   {{34, 246}, {52, 49}},
    {{18, 133}, {35, 178}}, {{15, 237}, {13, 38}},  {{3, 68}, {18, 185}},
    {{13, 48}, {16, 170}},  {{13, 232}, {65, 0}},   {{13, 229}, {54, 179}},
    {{13, 236}, {54, 66}},  {{54, 199}, {35, 72}},  {{3, 34}, {13, 124}},
    {{13, 208}, {15, 152}}, {{18, 228}, {54, 94}},
};

const char *const km_gen_sso_sets[8] = {
    "AdministratorAccess", "PowerUserAccess",    "ReadOnlyAccess", "DeveloperAccess",
    "SecurityAudit",       "DataEngineerAccess", "BillingAccess",  "NetworkAdmin",
};

struct km_gen_office_def {
    const char *city;
    int16_t tz_min;
    uint8_t home_region;       /* region the office's accounts prefer */
    uint8_t isp[3][2];         /* /16 prefixes of local ISPs */
    uint16_t v6[2];            /* /32 of a local ISP's IPv6 space */
};

/* UTC offsets as in October (before the European switch back). */
static const struct km_gen_office_def km_gen_office_defs[] = {
    {"Berlin", 120, 8, {{91, 64}, {84, 161}, {2, 204}}, {0x2a02, 0x8109}},
    {"London", 60, 6, {{90, 192}, {86, 12}, {109, 150}}, {0x2a00, 0x23c7}},
    {"New York", -240, 0, {{96, 224}, {173, 56}, {72, 229}}, {0x2600, 0x4040}},
    {"San Francisco", -420, 3, {{67, 169}, {73, 93}, {98, 207}}, {0x2601, 0x0646}},
    {"Bangalore", 330, 10, {{49, 207}, {122, 171}, {106, 51}}, {0x2401, 0x4900}},
    {"Sao Paulo", -180, 16, {{177, 68}, {189, 40}, {187, 56}}, {0x2804, 0x14c}},
    {"Singapore", 480, 11, {{118, 200}, {42, 61}, {116, 86}}, {0x2406, 0x3003}},
    {"Dublin", 60, 5, {{86, 40}, {89, 101}, {78, 16}}, {0x2a02, 0x8084}},
};

static const char *const km_gen_first[] = {
    "alice", "bob",    "carol", "dave",   "erin",   "frank",  "grace",  "heidi",  "ivan",
    "judy",  "ken",    "laura", "mike",   "nina",   "oscar",  "peggy",  "quinn",  "rupert",
    "sybil", "trent",  "uma",   "victor", "wendy",  "xavier", "yara",   "zoe",    "amir",
    "bea",   "chen",   "dara",  "emeka",  "fatima", "goran",  "hana",   "ines",   "jonas",
    "kofi",  "lea",    "mateo", "noor",   "olga",   "priya",  "rafael", "sven",   "tariq",
    "yuki",  "lucia",  "marek", "ana",    "ben",    "chloe",  "diego",  "elif",   "felix",
    "gita",  "hugo",   "ingrid", "jamal", "kaito",  "lina",   "miro",   "nadia",
};
static const char *const km_gen_last[] = {
    "smith",  "jones",  "garcia",  "mueller", "rossi",  "kowalski", "nguyen", "tanaka",
    "silva",  "okafor", "novak",   "ivanova", "haddad", "larsen",   "dubois", "schmidt",
    "patel",  "kim",    "costa",   "fischer", "moreau", "berg",     "lopez",  "sato",
    "meyer",  "walsh",  "horvat",  "jansen",  "kaur",   "reyes",    "brandt", "osei",
    "eriksen", "mehta", "park",    "romano",  "weber",  "yilmaz",   "zhang",  "bauer",
};
static const char *const km_gen_projects[] = {
    "orders",  "payments", "catalog", "search",   "checkout", "billing", "inventory", "notify",
    "reports", "identity", "media",   "ledger",   "pricing",  "shipping", "reviews",  "loyalty",
};
static const char *const km_gen_purposes[] = {
    "api", "worker", "ingest", "resize", "notifier", "sync", "cleanup", "export", "webhook",
    "scheduler",
};
static const char *const km_gen_orgs[] = {
    "kestrel", "larkspur", "bluefin", "orchard", "meridian", "halcyon", "tessera", "juniper",
};
static const char *const km_gen_account_names[] = {
    "prod", "management", "staging", "dev", "data", "shared-services", "security", "sandbox",
    "network", "analytics",
};

/* ---- building --------------------------------------------------------------- */

static uint32_t ip_in(struct km_rng *r, uint8_t a, uint8_t b)
{
    uint32_t c = km_rng_below(r, 256), d = 1 + km_rng_below(r, 253);
    return ((uint32_t)a << 24) | ((uint32_t)b << 16) | (c << 8) | d;
}

uint32_t km_gen_aws_ip(int region, uint64_t bits)
{
    const uint8_t *p = km_gen_aws_prefix[region][bits & 1];
    uint32_t c = (uint32_t)(bits >> 8) & 255, d = 1 + (uint32_t)((bits >> 16) % 253);
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | (c << 8) | d;
}

static uint32_t aws_ip(struct km_rng *r, int region)
{
    const uint8_t *p = km_gen_aws_prefix[region][km_rng_below(r, 2)];
    return ip_in(r, p[0], p[1]);
}

static void copy(char *dst, size_t n, const char *src)
{
    size_t l = strlen(src);
    if (l >= n)
        l = n - 1;
    memcpy(dst, src, l);
    dst[l] = 0;
}

static void hexstr(char *dst, struct km_rng *r, int n)
{
    km_gen_rand_str(dst, r, "0123456789abcdef", n);
}

static void uuid_str(char *dst, struct km_rng *r)
{
    struct km_gb b = {dst, 0, 37};
    km_gb_uuid(&b, r);
    dst[36] = 0;
}

/* Person's tools: user-agent templates that stay stable for the dataset. */
static void person_tools(struct km_gen_person *p, struct km_rng *r)
{
    static const char *const os_cli[] = {
        "os/macos#24.6.0 md/arch#arm64", "os/macos#25.0.0 md/arch#arm64",
        "os/macos#24.5.0 md/arch#x86_64", "os/linux#6.8.0-85-generic md/arch#x86_64",
        "os/linux#6.14.0-33-generic md/arch#x86_64", "os/windows#11 md/arch#amd64",
    };
    static const char *const browsers[] = {
        ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/140.0.0.0 Safari/537.36"),
        ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/141.0.0.0 Safari/537.36"),
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:143.0) Gecko/20100101 Firefox/143.0",
        ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like "
        "Gecko) Version/26.0 Safari/605.1.15"),
        "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:143.0) Gecko/20100101 Firefox/143.0",
        ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/140.0.0.0 Safari/537.36"),
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/141.0.0.0 Safari/537.36 Edg/141.0.0.0"),
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/140.0.0.0 Safari/537.36"),
    };
    uint32_t os = km_rng_below(r, 6);
    uint32_t br = os < 3 ? km_rng_below(r, 4) : os < 5 ? 4 + km_rng_below(r, 2) : 6 + km_rng_below(r, 2);
    int minor = 27 + (int)km_rng_below(r, 5), patch = (int)km_rng_below(r, 40);
    int py = 3 + (int)km_rng_below(r, 6);
    snprintf(p->ua_cli, sizeof p->ua_cli,
             "aws-cli/2.%d.%d md/awscrt#0.%d.%d ua/2.1 %s lang/python#3.13.%d md/pyimpl#CPython "
             "m/E,b,Z cfg/retry-mode#standard md/installer#%s md/prompt#off md/command#\x01",
             minor, patch, 25 + minor % 3, patch % 7, os_cli[os], py,
             os < 3 ? "source" : "exe");
    int bv = 30 + (int)km_rng_below(r, 20);
    snprintf(p->ua_sdk, sizeof p->ua_sdk,
             "Boto3/1.40.%d md/Botocore#1.40.%d ua/2.1 %s lang/python#3.12.%d md/pyimpl#CPython "
             "cfg/retry-mode#legacy Botocore/1.40.%d",
             bv, bv, os_cli[os], 8 + (int)km_rng_below(r, 4), bv);
    copy(p->ua_browser, sizeof p->ua_browser, browsers[br]);
    int tfp = (int)km_rng_below(r, 4);
    snprintf(p->ua_tf, sizeof p->ua_tf,
             "APN/1.0 HashiCorp/1.0 Terraform/1.13.%d (+https://www.terraform.io) "
             "terraform-provider-aws/6.1%d.%d (+https://registry.terraform.io/providers/hashicorp/aws) "
             "aws-sdk-go-v2/1.39.%d ua/2.1 os/%s lang/go#1.24.6 md/GOOS#%s md/GOARCH#%s api/\x02",
             tfp, 2 + tfp % 3, (int)km_rng_below(r, 3), tfp, os < 3 ? "macos" : os < 5 ? "linux" : "windows",
             os < 3 ? "darwin" : os < 5 ? "linux" : "windows", os == 0 || os == 1 ? "arm64" : "amd64");
}

static struct km_gen_actor *new_actor(struct km_gen_world *w, uint32_t cap, uint32_t acct,
                                      uint8_t kind, uint8_t cls, uint8_t shape, float rate)
{
    if (w->nactors >= cap)
        return NULL;
    struct km_gen_actor *a = &w->actors[w->nactors++];
    memset(a, 0, sizeof *a);
    a->kind = kind;
    a->cls = cls;
    a->shape = shape;
    a->account = (uint8_t)acct;
    a->person = KM_GEN_NONE;
    a->rate = rate;
    a->region = w->accounts[acct].home;
    a->tz_min = w->org_tz;
    return a;
}

static void principal(char *dst, struct km_rng *r, const char *prefix)
{
    memcpy(dst, prefix, 4);
    km_gen_rand_str(dst + 4, r, KM_GEN_UPNUM, 17);
}

static void access_key(char *dst, struct km_rng *r)
{
    memcpy(dst, "AKIA", 4);
    km_gen_rand_str(dst + 4, r, KM_GEN_B32, 16);
}

static void set_w(struct km_gen_actor *a, const uint8_t w[KM_GEN_NSVC])
{
    memcpy(a->svc_w, w, KM_GEN_NSVC);
}

/* Service weights: EC2 S3 IAM STS LAMBDA KMS CT LOGS SECRETS SSM RDS ORG SIGNIN */
static const uint8_t km_gen_job_w[KM_GEN_NJOBS][KM_GEN_NSVC] = {
    [KM_GEN_JOB_DEV] = {14, 16, 4, 6, 18, 4, 1, 18, 6, 6, 4, 0, 3},
    [KM_GEN_JOB_OPS] = {30, 10, 8, 5, 6, 4, 3, 12, 3, 12, 8, 1, 3},
    [KM_GEN_JOB_DATA] = {4, 40, 2, 5, 4, 8, 0, 8, 5, 2, 18, 0, 3},
    [KM_GEN_JOB_SEC] = {10, 10, 22, 5, 3, 8, 18, 10, 3, 3, 2, 5, 3},
    [KM_GEN_JOB_ADMIN] = {16, 10, 26, 5, 4, 4, 6, 6, 3, 4, 4, 8, 4},
    [KM_GEN_JOB_FIN] = {6, 10, 4, 4, 0, 0, 0, 0, 0, 0, 2, 20, 10},
};
static const uint8_t km_gen_kind_w[KM_GEN_NKINDS][KM_GEN_NSVC] = {
    [KM_GEN_K_ROOT] = {8, 10, 40, 4, 0, 0, 2, 0, 0, 0, 0, 10, 0},
    [KM_GEN_K_LAMBDA] = {0, 16, 0, 3, 1, 24, 0, 30, 16, 10, 0, 0, 0},
    [KM_GEN_K_EC2] = {5, 12, 0, 4, 0, 10, 0, 14, 4, 51, 0, 0, 0},
    [KM_GEN_K_CI] = {8, 34, 8, 14, 22, 4, 0, 4, 2, 4, 0, 0, 0},
    [KM_GEN_K_TERRAFORM] = {24, 14, 20, 3, 10, 8, 2, 6, 4, 4, 5, 0, 0},
    [KM_GEN_K_SCANNER] = {24, 14, 14, 2, 7, 7, 6, 7, 5, 5, 6, 3, 0},
    [KM_GEN_K_IAMMACHINE] = {10, 60, 0, 6, 0, 4, 0, 10, 0, 4, 6, 0, 0},
    [KM_GEN_K_SERVICE] = {0, 0, 0, 50, 0, 50, 0, 0, 0, 0, 0, 0, 0},
    [KM_GEN_K_XACCOUNT] = {0, 75, 0, 0, 0, 25, 0, 0, 0, 0, 0, 0, 0},
    [KM_GEN_K_FEDERATED] = {0, 75, 0, 10, 0, 10, 0, 0, 0, 0, 5, 0, 0},
};

static const char *const km_gen_lambda_ua[] = {
    ("aws-sdk-js/3.901.0 ua/2.1 os/linux#5.10.240-259.956.amzn2.x86_64 lang/js md/nodejs#22.19.0 "
    "api/\x02#3.901.0 m/N,E,e exec-env/AWS_Lambda_nodejs22.x"),
    ("Boto3/1.40.4 md/Botocore#1.40.4 ua/2.1 os/linux#5.10.240-259.956.amzn2.x86_64 "
    "md/arch#x86_64 lang/python#3.13.7 md/pyimpl#CPython exec-env/AWS_Lambda_python3.13 "
    "cfg/retry-mode#legacy Botocore/1.40.4"),
    ("aws-sdk-java/2.33.4 md/io#sync md/http#Apache ua/2.1 api/\x02#2.33.x "
    "os/Linux#5.10.240-259.956.amzn2.x86_64 lang/java#21.0.8 md/OpenJDK_64-Bit_Server_VM#21.0.8+9-LTS "
    "md/vendor#Amazon.com_Inc. exec-env/AWS_Lambda_java21 m/D,N"),
    ("aws-sdk-go-v2/1.39.2 ua/2.1 os/linux lang/go#1.25.1 md/GOOS#linux md/GOARCH#arm64 "
    "exec-env/AWS_Lambda_provided.al2023 api/\x02#1.x"),
};
static const char *const km_gen_app_ua[] = {
    ("aws-sdk-java/2.31.77 md/io#sync md/http#Apache ua/2.1 api/\x02#2.31.x "
    "os/Linux#6.1.150-174.273.amzn2023.x86_64 lang/java#17.0.16 md/OpenJDK_64-Bit_Server_VM#17.0.16+8-LTS "
    "md/vendor#Amazon.com_Inc. cfg/auth-source#imds m/F,N"),
    ("Boto3/1.38.46 md/Botocore#1.38.46 ua/2.1 os/linux#6.1.150-174.273.amzn2023.x86_64 "
    "md/arch#x86_64 lang/python#3.11.13 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.38.46"),
    ("aws-sdk-go-v2/1.36.6 ua/2.1 os/linux lang/go#1.24.5 md/GOOS#linux md/GOARCH#amd64 api/\x02#1.x "
    "m/E,Z"),
};

/* Adds the actors of account i. Returns KM_OK or KM_ENOMEM. */
static int build_account_actors(struct km_gen_world *w, uint32_t i, uint32_t cap,
                                struct km_rng *r)
{
    struct km_gen_account *ac = &w->accounts[i];
    ac->first_actor = w->nactors;
    struct km_gen_actor *a;
#define NEW(kind, cls, shape, rate)                                 \
    do {                                                            \
        a = new_actor(w, cap, i, (kind), (cls), (shape), (rate));   \
        if (!a)                                                     \
            return KM_ENOMEM;                                       \
    } while (0)

    /* people through IAM Identity Center */
    for (uint32_t p = 0; p < w->npersons; p++) {
        struct km_gen_person *pe = &w->persons[p];
        uint64_t h = km_rng_hash2(w->seed ^ 0x550, (uint64_t)p * 131 + i);
        int primary = (int)(p % w->naccounts) == (int)i;
        int reach = primary || pe->job == KM_GEN_JOB_ADMIN || pe->job == KM_GEN_JOB_SEC ||
                    pe->job == KM_GEN_JOB_OPS || (h % 100) < 30;
        if (pe->job == KM_GEN_JOB_FIN && !ac->mgmt && !primary)
            reach = 0;
        if (!reach)
            continue;
        float rate = pe->rate * (primary ? 36.0f : 9.0f);
        NEW(KM_GEN_K_SSO, KM_GEN_C_HUMAN, KM_GEN_SH_OFFICE, rate);
        a->person = (uint16_t)p;
        a->tz_min = pe->tz_min;
        a->shift_min = pe->shift_min;
        set_w(a, km_gen_job_w[pe->job]);
        a->svc_w[KM_GEN_SVC_SIGNIN] = 0; /* sign-ins start console bursts instead */
        int set;
        switch (pe->job) {
        case KM_GEN_JOB_ADMIN: set = 0; break;
        case KM_GEN_JOB_OPS: set = (h >> 8) % 4 == 0 ? 7 : 0; break;
        case KM_GEN_JOB_SEC: set = 4; break;
        case KM_GEN_JOB_DATA: set = 5; break;
        case KM_GEN_JOB_FIN: set = 6; break;
        default: set = primary ? 1 + (int)((h >> 8) % 3 == 0) * 2 : 2; break;
        }
        if (set == 1 && ac->mgmt)
            set = 2;
        a->sso_set = (uint8_t)set;
        snprintf(a->name, sizeof a->name, "AWSReservedSSO_%s_%s", km_gen_sso_sets[set],
                 ac->sso_suffix[set]);
        copy(a->session, sizeof a->session, pe->email);
        principal(a->principal, r, "AROA");
        snprintf(a->issuer_arn, sizeof a->issuer_arn,
                 "arn:aws:iam::%s:role/aws-reserved/sso.amazonaws.com/%s/%s", ac->id,
                 km_gen_regions[w->sso_region], a->name);
    }

    /* legacy IAM users of people: mallory.ops (the story) in account 0, a few more */
    for (uint32_t k = 0; k <= w->npersons; k++) {
        /* k == 0 is the story user in account 0; k >= 1 is person k - 1 */
        uint32_t p = k == 0 ? w->story_person : k - 1;
        int story = k == 0;
        if (story && i != 0)
            continue;
        uint64_t h = km_rng_hash2(w->seed ^ 0x1a0, (uint64_t)p * 977 + i);
        if (!story && ((h % 1000) >= 60 || (i == 0 && p == w->story_person)))
            continue;
        if (ac->nusers >= KM_GEN_MAX_USERS - 4)
            break;
        struct km_gen_person *pe = &w->persons[p];
        NEW(KM_GEN_K_IAMHUMAN, KM_GEN_C_HUMAN, KM_GEN_SH_OFFICE, pe->rate * (story ? 14.0f : 10.0f));
        a->person = (uint16_t)p;
        a->tz_min = pe->tz_min;
        a->shift_min = pe->shift_min;
        set_w(a, km_gen_job_w[pe->job]);
        a->svc_w[KM_GEN_SVC_SIGNIN] = 0;
        a->mfa = story ? 0 : (uint8_t)((h >> 12) % 3 != 0);
        copy(a->name, sizeof a->name, story ? "mallory.ops" : pe->login);
        principal(a->principal, r, "AIDA");
        access_key(a->key, r);
        snprintf(a->issuer_arn, sizeof a->issuer_arn, "arn:aws:iam::%s:user/%s", ac->id, a->name);
        copy(ac->users[ac->nusers++], sizeof ac->users[0], a->name);
        if (story)
            w->story_actor = w->nactors - 1;
    }

    /* root */
    NEW(KM_GEN_K_ROOT, KM_GEN_C_HUMAN, KM_GEN_SH_OFFICE, ac->mgmt ? 0.6f : 0.08f);
    set_w(a, km_gen_kind_w[KM_GEN_K_ROOT]);
    a->mfa = 1;
    a->person = (uint16_t)(km_rng_below(r, w->npersons));
    a->tz_min = w->persons[a->person].tz_min;
    copy(a->name, sizeof a->name, "root");
    snprintf(a->issuer_arn, sizeof a->issuer_arn, "arn:aws:iam::%s:root", ac->id);
    copy(a->principal, sizeof a->principal, ac->id);

    /* Lambda functions */
    for (int f = 0; f < ac->nfuncs; f++) {
        float rate = (float)(6.0 + 180.0 * km_rng_unit(r) * km_rng_unit(r));
        NEW(KM_GEN_K_LAMBDA, KM_GEN_C_LAMBDA, KM_GEN_SH_FLAT, rate);
        set_w(a, km_gen_kind_w[KM_GEN_K_LAMBDA]);
        a->res = (uint16_t)f;
        a->region = ac->func_region[f];
        char sfx[10];
        km_gen_rand_str(sfx, r, "abcdefghijklmnopqrstuvwxyz0123456789", 8);
        snprintf(a->name, sizeof a->name, "%s-role-%s", ac->funcs[f], sfx);
        copy(a->session, sizeof a->session, ac->funcs[f]);
        principal(a->principal, r, "AROA");
        snprintf(a->issuer_arn, sizeof a->issuer_arn, "arn:aws:iam::%s:role/service-role/%s",
                 ac->id, a->name);
        copy(a->ua, sizeof a->ua, km_gen_lambda_ua[km_rng_below(r, 4)]);
        if (ac->nroles < KM_GEN_MAX_ROLES)
            copy(ac->roles[ac->nroles++], sizeof ac->roles[0], a->name);
    }

    /* EC2 instances */
    for (int n = 0; n < ac->ninst; n++) {
        NEW(KM_GEN_K_EC2, KM_GEN_C_HOST, KM_GEN_SH_FLAT, (float)(14.0 + 10.0 * km_rng_unit(r)));
        set_w(a, km_gen_kind_w[KM_GEN_K_EC2]);
        a->res = (uint16_t)n;
        a->region = ac->inst[n].region;
        snprintf(a->name, sizeof a->name, "%s-ec2-role", ac->projects[n % ac->nprojects]);
        copy(a->session, sizeof a->session, ac->inst[n].id);
        principal(a->principal, r, "AROA");
        snprintf(a->issuer_arn, sizeof a->issuer_arn, "arn:aws:iam::%s:role/%s", ac->id, a->name);
        copy(a->ua, sizeof a->ua, km_gen_app_ua[km_rng_below(r, 3)]);
        a->ip = ac->vpce ? ac->inst[n].private_ip : ac->inst[n].public_ip;
        if (ac->nroles < KM_GEN_MAX_ROLES && n < ac->nprojects)
            copy(ac->roles[ac->nroles++], sizeof ac->roles[0], a->name);
    }

    /* CI via GitHub Actions OIDC */
    if (strcmp(ac->name, "management") != 0 && strcmp(ac->name, "security") != 0) {
        NEW(KM_GEN_K_CI, KM_GEN_C_DEPLOY, KM_GEN_SH_DEPLOY, 40.0f);
        set_w(a, km_gen_kind_w[KM_GEN_K_CI]);
        copy(a->name, sizeof a->name, "github-actions-deploy");
        copy(a->session, sizeof a->session, "GitHubActions");
        principal(a->principal, r, "AROA");
        snprintf(a->issuer_arn, sizeof a->issuer_arn, "arn:aws:iam::%s:role/%s", ac->id, a->name);
        snprintf(a->ua, sizeof a->ua,
                 "aws-cli/2.31.%d md/awscrt#0.27.6 ua/2.1 os/linux#6.11.0-1018-azure md/arch#x86_64 "
                 "lang/python#3.13.7 md/pyimpl#CPython m/E,b cfg/retry-mode#standard "
                 "md/installer#exe md/distrib#ubuntu.24 md/prompt#off md/command#\x01",
                 (int)km_rng_below(r, 12));
        if (ac->nroles < KM_GEN_MAX_ROLES)
            copy(ac->roles[ac->nroles++], sizeof ac->roles[0], a->name);
    }

    /* Terraform role, assumed by one or two operators */
    for (int t = 0; t < 2; t++) {
        uint32_t p = km_rng_below(r, w->npersons);
        struct km_gen_person *pe = &w->persons[p];
        NEW(KM_GEN_K_TERRAFORM, KM_GEN_C_DEPLOY, KM_GEN_SH_DEPLOY, 26.0f);
        set_w(a, km_gen_kind_w[KM_GEN_K_TERRAFORM]);
        a->person = (uint16_t)p;
        a->tz_min = pe->tz_min;
        a->shift_min = pe->shift_min;
        snprintf(a->name, sizeof a->name, "terraform-%s", ac->name);
        copy(a->session, sizeof a->session, pe->email);
        principal(a->principal, r, "AROA");
        snprintf(a->issuer_arn, sizeof a->issuer_arn, "arn:aws:iam::%s:role/%s", ac->id, a->name);
        if (t == 0 && ac->nroles < KM_GEN_MAX_ROLES)
            copy(ac->roles[ac->nroles++], sizeof ac->roles[0], a->name);
        if (t == 1)
            memcpy(a->principal, w->actors[w->nactors - 2].principal, sizeof a->principal);
    }

    /* posture scanner, hourly sweep */
    NEW(KM_GEN_K_SCANNER, KM_GEN_C_SCANNER, KM_GEN_SH_SWEEP, 110.0f);
    set_w(a, km_gen_kind_w[KM_GEN_K_SCANNER]);
    a->sweep = (uint8_t)km_rng_below(r, 12);
    copy(a->name, sizeof a->name, "cspm-readonly-audit");
    principal(a->principal, r, "AROA");
    snprintf(a->issuer_arn, sizeof a->issuer_arn, "arn:aws:iam::%s:role/%s", ac->id, a->name);
    copy(a->other_account, sizeof a->other_account, w->security_account);
    copy(a->ua, sizeof a->ua,
         "Boto3/1.40.30 md/Botocore#1.40.30 ua/2.1 os/linux#6.1.147-172.266.amzn2023.x86_64 "
         "md/arch#x86_64 lang/python#3.12.11 md/pyimpl#CPython cfg/retry-mode#adaptive "
         "Botocore/1.40.30 cspm-collector/4.12.3");
    if (ac->nroles < KM_GEN_MAX_ROLES)
        copy(ac->roles[ac->nroles++], sizeof ac->roles[0], a->name);

    /* machine IAM users with long-term keys */
    static const char *const mach[] = {"svc-backup", "jenkins-legacy", "grafana-cloudwatch"};
    static const char *const mach_ua[] = {
        "aws-cli/1.29.62 Python/3.9.18 Linux/4.18.0-513.24.1.el8_9.x86_64 botocore/1.31.62",
        ("aws-sdk-java/1.12.780 Linux/5.15.0-119-generic OpenJDK_64-Bit_Server_VM/17.0.12+7 "
        "java/17.0.12 vendor/Eclipse_Adoptium cfg/retry-mode/legacy"),
        "aws-sdk-go/1.55.5 (go1.23.1; linux; amd64) GrafanaCloudWatch",
    };
    uint32_t dc = ip_in(r, 62, 153);
    for (int m = 0; m < 3; m++) {
        if (km_rng_below(r, 3) == 0 && !(i == 0 && m == 0))
            continue;
        NEW(KM_GEN_K_IAMMACHINE, KM_GEN_C_HOST, KM_GEN_SH_FLAT, (float)(6.0 + 20.0 * km_rng_unit(r)));
        set_w(a, km_gen_kind_w[KM_GEN_K_IAMMACHINE]);
        copy(a->name, sizeof a->name, mach[m]);
        principal(a->principal, r, "AIDA");
        access_key(a->key, r);
        snprintf(a->issuer_arn, sizeof a->issuer_arn, "arn:aws:iam::%s:user/%s", ac->id, a->name);
        copy(a->ua, sizeof a->ua, mach_ua[m]);
        a->tls12 = m < 2;
        a->ip = m == 2 ? aws_ip(r, ac->home) : dc + (uint32_t)m;
        if (ac->nusers < KM_GEN_MAX_USERS)
            copy(ac->users[ac->nusers++], sizeof ac->users[0], a->name);
    }

    /* AWS services acting for the account */
    static const char *const svc_hosts[] = {
        "lambda.amazonaws.com", "ec2.amazonaws.com",           "s3.amazonaws.com",
        "secretsmanager.amazonaws.com", "rds.amazonaws.com",   "logs.amazonaws.com",
        "cloudformation.amazonaws.com", "config.amazonaws.com", "ssm.amazonaws.com",
    };
    for (int s = 0; s < 9; s++) {
        NEW(KM_GEN_K_SERVICE, KM_GEN_C_SERVICE, KM_GEN_SH_FLAT, s < 3 ? 30.0f : 8.0f);
        set_w(a, km_gen_kind_w[KM_GEN_K_SERVICE]);
        copy(a->name, sizeof a->name, svc_hosts[s]);
        if (s == 0 || s == 1 || s == 6 || s == 7)
            a->svc_w[KM_GEN_SVC_KMS] = 10; /* these mostly assume roles */
        else
            a->svc_w[KM_GEN_SVC_STS] = 8;  /* these mostly use keys */
    }

    /* partner account reading shared data (data account or prod) */
    if (i == 0 || strcmp(ac->name, "data") == 0) {
        NEW(KM_GEN_K_XACCOUNT, KM_GEN_C_EXTERNAL, KM_GEN_SH_FLAT, 6.0f);
        set_w(a, km_gen_kind_w[KM_GEN_K_XACCOUNT]);
        principal(a->principal, r, "AROA");
        copy(a->other_account, sizeof a->other_account, w->partner_account);
        copy(a->ua, sizeof a->ua,
             "aws-sdk-go-v2/1.36.3 ua/2.1 os/linux lang/go#1.24.1 md/GOOS#linux md/GOARCH#amd64 "
             "api/\x02#1.x m/E,G,Z");
        a->ip = aws_ip(r, 0);
    }

    /* a federated user for the BI tool, in the first account */
    if (i == 0) {
        NEW(KM_GEN_K_FEDERATED, KM_GEN_C_EXTERNAL, KM_GEN_SH_OFFICE, 8.0f);
        set_w(a, km_gen_kind_w[KM_GEN_K_FEDERATED]);
        copy(a->name, sizeof a->name, "bi-dashboard");
        principal(a->principal, r, "AIDA"); /* the broker user's id */
        snprintf(a->issuer_arn, sizeof a->issuer_arn, "arn:aws:iam::%s:user/federation-broker",
                 ac->id);
        copy(a->ua, sizeof a->ua,
             "aws-sdk-java/1.12.770 Linux/5.15.0-1066-azure OpenJDK_64-Bit_Server_VM/11.0.24+8-LTS "
             "java/11.0.24 vendor/Azul_Systems,_Inc. cfg/retry-mode/legacy Tableau/2025.2");
        a->ip = ip_in(r, 40, 117);
        a->tls12 = 1;
        if (ac->nusers < KM_GEN_MAX_USERS)
            copy(ac->users[ac->nusers++], sizeof ac->users[0], "federation-broker");
    }
#undef NEW
    ac->nactors = w->nactors - ac->first_actor;
    return KM_OK;
}

static void build_resources(struct km_gen_world *w, uint32_t i, struct km_rng *r)
{
    struct km_gen_account *ac = &w->accounts[i];
    char env[sizeof ac->name], id[sizeof ac->id];
    memcpy(env, ac->name, sizeof env);
    memcpy(id, ac->id, sizeof id);
    ac->nprojects = 2 + (int)km_rng_below(r, 3);
    uint32_t pbase = km_rng_below(r, KM_ARRAY_LEN(km_gen_projects));
    const char *proj[4]; /* distinct: steps of 5 in a ring of 16 */
    for (int k = 0; k < ac->nprojects; k++) {
        proj[k] = km_gen_projects[(pbase + (uint32_t)k * 5) % KM_ARRAY_LEN(km_gen_projects)];
        copy(ac->projects[k], sizeof ac->projects[0], proj[k]);
    }

    /* buckets */
    int nb = 0;
    struct km_gen_bucket *b;
    for (int k = 0; k < ac->nprojects && nb < KM_GEN_MAX_BUCKETS - 4; k++) {
        b = &ac->buckets[nb++];
        snprintf(b->name, sizeof b->name, "%s-%s-%s-data", w->org, proj[k], env);
        b->kind = 0;
        b->project = (uint8_t)k;
        b = &ac->buckets[nb++];
        snprintf(b->name, sizeof b->name, "%s-%s-artifacts-%s", w->org, proj[k], env);
        b->kind = 2;
        b->project = (uint8_t)k;
    }
    b = &ac->buckets[nb++];
    snprintf(b->name, sizeof b->name, "%s-%s-logs-%s", w->org, env, id);
    b->kind = 1;
    b = &ac->buckets[nb++];
    snprintf(b->name, sizeof b->name, "%s-terraform-state-%s", w->org, id);
    b->kind = 4;
    if (nb < KM_GEN_MAX_BUCKETS) {
        b = &ac->buckets[nb++];
        snprintf(b->name, sizeof b->name, "%s-%s-backups", w->org, env);
        b->kind = 3;
    }
    ac->nbuckets = nb;
    for (int k = 0; k < nb; k++) {
        b = &ac->buckets[k];
        b->region = km_rng_below(r, 5) == 0 ? 0 : ac->home;
        b->has_policy = (uint8_t)(b->kind == 1 || km_rng_below(r, 2));
        b->has_tags = (uint8_t)(km_rng_below(r, 3) != 0);
        b->has_logging = (uint8_t)(km_rng_below(r, 3) == 0);
        b->has_enc = 1;
    }
    snprintf(ac->trail_arn, sizeof ac->trail_arn, "arn:aws:cloudtrail:%s:%s:trail/%s-audit-trail",
             km_gen_regions[ac->home], ac->id, w->org);

    /* functions */
    ac->nfuncs = 3 + (int)km_rng_below(r, KM_GEN_MAX_FUNCS - 3);
    for (int k = 0; k < ac->nfuncs; k++) {
        snprintf(ac->funcs[k], sizeof ac->funcs[0], "%s-%s-%s", proj[k % ac->nprojects],
                 km_gen_purposes[km_rng_below(r, KM_ARRAY_LEN(km_gen_purposes))], env);
        for (int j = 0; j < k; j++)
            if (strcmp(ac->funcs[j], ac->funcs[k]) == 0) {
                size_t l = strlen(ac->funcs[k]);
                if (l + 3 < sizeof ac->funcs[0])
                    snprintf(ac->funcs[k] + l, sizeof ac->funcs[0] - l, "-%d", k);
            }
        ac->func_region[k] = km_rng_below(r, 4) == 0 ? ac->regions[km_rng_below(r, ac->nregions)]
                                                     : ac->home;
    }

    /* instances */
    ac->ninst = 2 + (int)km_rng_below(r, KM_GEN_MAX_INST - 2);
    for (int k = 0; k < ac->ninst; k++) {
        struct km_gen_instance *in = &ac->inst[k];
        memcpy(in->id, "i-0", 3);
        hexstr(in->id + 3, r, 16);
        in->region = km_rng_below(r, 5) == 0 ? ac->regions[km_rng_below(r, ac->nregions)] : ac->home;
        in->private_ip = (10u << 24) | ((uint32_t)i << 16) | (km_rng_below(r, 64) << 8) |
                         (4 + km_rng_below(r, 250));
        in->public_ip = aws_ip(r, in->region);
    }

    ac->ndbs = 1 + (int)km_rng_below(r, KM_GEN_MAX_DBS - 1);
    for (int k = 0; k < ac->ndbs; k++)
        snprintf(ac->dbs[k], sizeof ac->dbs[0], "%s-%s-%s", proj[k % ac->nprojects], env,
                 k % 2 ? "aurora" : "db");

    static const char *const sec_names[] = {"db-credentials", "api-key", "oauth-client",
                                            "stripe-token", "smtp-password"};
    ac->nsecrets = 3 + (int)km_rng_below(r, KM_GEN_MAX_SECRETS - 3);
    for (int k = 0; k < ac->nsecrets; k++) {
        char sfx[8];
        km_gen_rand_str(sfx, r, KM_GEN_ALNUM, 6);
        snprintf(ac->secrets[k], sizeof ac->secrets[0], "%s/%s/%s-%s", env,
                 proj[k % ac->nprojects], sec_names[(k / ac->nprojects + k) % 5], sfx);
    }

    static const char *const par_names[] = {"db_host", "feature_flags", "log_level",
                                            "api_url", "queue_url", "cache_ttl"};
    ac->nparams = 5 + (int)km_rng_below(r, KM_GEN_MAX_PARAMS - 5);
    for (int k = 0; k < ac->nparams; k++)
        snprintf(ac->params[k], sizeof ac->params[0], "/%s/%s/%s", env,
                 proj[k % ac->nprojects], par_names[(k + i) % 6]);

    ac->nkeys = 2 + (int)km_rng_below(r, KM_GEN_MAX_KEYS - 1);
    for (int k = 0; k < ac->nkeys; k++)
        uuid_str(ac->keys[k], r);

    ac->nsgs = 3 + (int)km_rng_below(r, KM_GEN_MAX_SG - 3);
    for (int k = 0; k < ac->nsgs; k++) {
        memcpy(ac->sgs[k], "sg-0", 4);
        hexstr(ac->sgs[k] + 4, r, 16);
    }
    memcpy(ac->vpc, "vpc-0", 5);
    hexstr(ac->vpc + 5, r, 16);
    for (int k = 0; k < 3; k++) {
        memcpy(ac->subnets[k], "subnet-0", 8);
        hexstr(ac->subnets[k] + 8, r, 16);
    }

    static const char *const base_roles[] = {"OrganizationAccountAccessRole",
                                             "AWSServiceRoleForSupport",
                                             "AWSServiceRoleForTrustedAdvisor",
                                             "rds-monitoring-role"};
    for (int k = 0; k < 4; k++)
        copy(ac->roles[ac->nroles++], sizeof ac->roles[0], base_roles[k]);
}

static void make_account_id(char *dst, struct km_rng *r)
{
    dst[0] = (char)('1' + km_rng_below(r, 9));
    km_gen_rand_str(dst + 1, r, "0123456789", 11);
}

int km_gen_world_build(struct km_gen_world *w, uint64_t seed, uint32_t accounts,
                       int64_t start, uint32_t days, struct km_err *err)
{
    memset(w, 0, sizeof *w);
    w->seed = seed;
    w->start = start;
    w->days = days;
    w->naccounts = accounts;
    struct km_gen_tm tm;
    km_gen_gmtime(start, &tm);
    w->start_wday = (uint8_t)tm.wday;

    struct km_rng r;
    km_rng_init(&r, seed, 0x776f726c64ull); /* "world" */

    copy(w->org, sizeof w->org, km_gen_orgs[km_rng_below(&r, KM_ARRAY_LEN(km_gen_orgs))]);
    memcpy(w->org_id, "o-", 2);
    km_gen_rand_str(w->org_id + 2, &r, "abcdefghijklmnopqrstuvwxyz0123456789", 10);
    make_account_id(w->security_account, &r);
    make_account_id(w->partner_account, &r);

    /* offices */
    uint32_t nd = KM_ARRAY_LEN(km_gen_office_defs);
    w->noffices = 2 + km_rng_below(&r, 3);
    uint32_t first = km_rng_below(&r, nd);
    const struct km_gen_office_def *od[KM_GEN_MAX_OFFICES];
    for (uint32_t k = 0; k < w->noffices; k++) {
        od[k] = &km_gen_office_defs[(first + k * 3) % nd];
        w->offices[k].city = od[k]->city;
        w->offices[k].tz_min = od[k]->tz_min;
        for (int j = 0; j < 2; j++) {
            const uint8_t *p = od[k]->isp[km_rng_below(&r, 3)];
            w->offices[k].nat[j] = ip_in(&r, p[0], p[1]);
        }
    }
    w->org_tz = w->offices[0].tz_min;
    w->sso_region = od[0]->home_region;
    w->vpn[0] = ip_in(&r, 5, 9); /* a VPN concentrator in a Frankfurt data centre */
    w->vpn[1] = w->vpn[0] + 1;
    for (int k = 0; k < 4; k++)
        w->scanner_ip[k] = ip_in(&r, k < 2 ? 35 : 34, k < 2 ? 185 : 117);

    /* people */
    w->npersons = 14 + 8 * accounts;
    if (w->npersons > KM_GEN_MAX_PERSONS)
        w->npersons = KM_GEN_MAX_PERSONS;
    w->persons = calloc(w->npersons, sizeof *w->persons);
    if (!w->persons)
        return km_err_set(err, KM_ENOMEM, NULL, UINT64_MAX, "out of memory (people)");
    w->story_person = (uint16_t)(km_rng_below(&r, w->npersons));
    for (uint32_t p = 0; p < w->npersons; p++) {
        struct km_gen_person *pe = &w->persons[p];
        for (int tries = 0;; tries++) {
            const char *f = km_gen_first[km_rng_below(&r, KM_ARRAY_LEN(km_gen_first))];
            const char *l = km_gen_last[km_rng_below(&r, KM_ARRAY_LEN(km_gen_last))];
            if (p == w->story_person)
                f = "mallory";
            snprintf(pe->login, sizeof pe->login, "%s.%s", f, l);
            if (tries > 20)
                snprintf(pe->login, sizeof pe->login, "%s.%s%u", f, l, p);
            int dup = 0;
            for (uint32_t q = 0; q < p; q++)
                dup |= strcmp(w->persons[q].login, pe->login) == 0;
            /* "mallory" is reserved for the story person */
            dup |= p != w->story_person && strcmp(f, "mallory") == 0;
            if (!dup)
                break;
        }
        snprintf(pe->email, sizeof pe->email, "%s@example.org", pe->login);
        uint32_t roll = km_rng_below(&r, 100);
        pe->job = roll < 44 ? KM_GEN_JOB_DEV : roll < 60 ? KM_GEN_JOB_OPS : roll < 74 ? KM_GEN_JOB_DATA
                : roll < 84 ? KM_GEN_JOB_SEC : roll < 92 ? KM_GEN_JOB_ADMIN : KM_GEN_JOB_FIN;
        if (p == w->story_person)
            pe->job = KM_GEN_JOB_OPS;
        pe->office = (uint8_t)(km_rng_below(&r, 3) ? 0 : km_rng_below(&r, w->noffices));
        if (pe->office >= w->noffices)
            pe->office = 0;
        pe->tz_min = w->offices[pe->office].tz_min;
        pe->shift_min = (int16_t)((int)km_rng_below(&r, 121) - 60);
        pe->remote = (uint8_t)(km_rng_below(&r, 4) == 0);
        const uint8_t *isp = od[pe->office]->isp[km_rng_below(&r, 3)];
        pe->home_ip = ip_in(&r, isp[0], isp[1]);
        pe->has_ip6 = (uint8_t)(km_rng_below(&r, 10) < 4);
        pe->ip6[0] = od[pe->office]->v6[0];
        pe->ip6[1] = od[pe->office]->v6[1];
        for (int k = 2; k < 8; k++)
            pe->ip6[k] = (uint16_t)km_rng_next(&r);
        double x = km_rng_unit(&r);
        pe->rate = (float)(0.3 + 1.7 * x * x);
        static const float console[KM_GEN_NJOBS] = {0.3f, 0.45f, 0.35f, 0.55f, 0.6f, 0.95f};
        pe->console = console[pe->job];
        person_tools(pe, &r);
    }

    /* accounts */
    w->accounts = calloc(accounts, sizeof *w->accounts);
    uint32_t cap = accounts * (w->npersons * 2 + 64);
    w->actors = calloc(cap, sizeof *w->actors);
    if (!w->accounts || !w->actors) {
        km_gen_world_free(w);
        return km_err_set(err, KM_ENOMEM, NULL, UINT64_MAX, "out of memory (accounts)");
    }
    for (uint32_t i = 0; i < accounts; i++) {
        struct km_gen_account *ac = &w->accounts[i];
        make_account_id(ac->id, &r);
        for (uint32_t j = 0; j < i; j++)
            if (strcmp(w->accounts[j].id, ac->id) == 0) {
                make_account_id(ac->id, &r);
                j = (uint32_t)-1; /* restart the check */
            }
        if (i < KM_ARRAY_LEN(km_gen_account_names))
            copy(ac->name, sizeof ac->name, km_gen_account_names[i]);
        else
            snprintf(ac->name, sizeof ac->name, "sandbox-%u", i % 1000u);
        ac->mgmt = (uint8_t)(accounts == 1 ? 1 : i == 1);
        /* most accounts live in the main office's region */
        ac->home = km_rng_below(&r, 4) ? od[0]->home_region
                                       : od[km_rng_below(&r, w->noffices)]->home_region;
        ac->regions[0] = ac->home;
        ac->nregions = 1;
        uint32_t extra = km_rng_below(&r, 3);
        for (uint32_t k = 0; k < extra; k++) {
            uint8_t rg = (uint8_t)km_rng_below(&r, KM_GEN_NREGIONS);
            int seen = 0;
            for (int j = 0; j < ac->nregions; j++)
                seen |= ac->regions[j] == rg;
            if (!seen)
                ac->regions[ac->nregions++] = rg;
        }
        ac->vpce = (uint8_t)(km_rng_below(&r, 2));
        ac->nat[0] = aws_ip(&r, ac->home);
        ac->nat[1] = aws_ip(&r, ac->home);
        for (int k = 0; k < 8; k++)
            hexstr(ac->sso_suffix[k], &r, 16);
        build_resources(w, i, &r);
    }
    for (uint32_t i = 0; i < accounts; i++) {
        int rc = build_account_actors(w, i, cap, &r);
        if (rc) {
            km_gen_world_free(w);
            return km_err_set(err, rc, NULL, UINT64_MAX, "too many actors");
        }
    }
    return KM_OK;
}

void km_gen_world_free(struct km_gen_world *w)
{
    free(w->persons);
    free(w->accounts);
    free(w->actors);
    w->persons = NULL;
    w->accounts = NULL;
    w->actors = NULL;
}

/* ---- activity --------------------------------------------------------------- */

/* Office curve over the local day, per hour (0..1000). */
static const uint16_t km_gen_office_curve[24] = {
    6, 4, 3, 3, 3, 6, 25, 120, 520, 920, 1000, 980, 560, 880, 960, 930, 780, 520, 260, 150,
    110, 80, 40, 15,
};

static double curve_at(int64_t local_min)
{
    int64_t m = ((local_min % 1440) + 1440) % 1440;
    int h = (int)(m / 60);
    double f = (double)(m % 60) / 60.0;
    double a = km_gen_office_curve[h], b = km_gen_office_curve[(h + 1) % 24];
    return (a + (b - a) * f) / 1000.0;
}

static int64_t floordiv(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

double km_gen_activity_c(const struct km_gen_world *w, const struct km_gen_actor *a, uint32_t g,
                         struct km_gen_actcache *c)
{
    int64_t utc_min = (int64_t)g * 5 + 2;
    switch (a->shape) {
    case KM_GEN_SH_SWEEP:
        return g % 12 == a->sweep ? 12.0 : 0.0;
    case KM_GEN_SH_FLAT: {
        int64_t lm = utc_min + w->org_tz;
        int64_t day = floordiv(lm, 1440);
        int wd = (int)(((w->start_wday + day) % 7 + 7) % 7);
        double v = 0.72 + 0.4 * curve_at(lm);
        return (wd == 0 || wd == 6) ? v * 0.8 : v;
    }
    case KM_GEN_SH_OFFICE:
    case KM_GEN_SH_DEPLOY:
    default: {
        int64_t lm = utc_min + a->tz_min - a->shift_min;
        int64_t day = floordiv(lm, 1440);
        if (!c->valid || c->day != day) {
            int wd = (int)(((w->start_wday + day) % 7 + 7) % 7);
            uint64_t who = a->person != KM_GEN_NONE ? a->person : 0x10000u + (uint64_t)(a - w->actors);
            uint64_t h = km_rng_hash2(w->seed ^ 0xda7, who * 1000003u + (uint64_t)(day + 1000));
            c->valid = 1;
            c->day = day;
            c->weekend = wd == 0 || wd == 6;
            c->dayf = 0.4 + 1.1 * (double)(h % 1000) / 1000.0;
            if ((h >> 20) % 100 < 7)
                c->dayf = 0.03; /* day off */
            c->no_deploy = c->weekend || (h >> 30) % 100 < 25;
        }
        double v = curve_at(lm) * c->dayf;
        if (a->shape == KM_GEN_SH_DEPLOY)
            return c->no_deploy ? 0.0 : v * v * 1.5;
        return c->weekend ? v * 0.07 : v;
    }
    }
}

double km_gen_activity(const struct km_gen_world *w, const struct km_gen_actor *a, uint32_t g)
{
    struct km_gen_actcache c = {0, 0, 0, 0, 0};
    return km_gen_activity_c(w, a, g, &c);
}

void km_gen_person_ip(const struct km_gen_world *w, uint32_t p, uint32_t d, struct km_gb *b)
{
    const struct km_gen_person *pe = &w->persons[p];
    uint64_t h = km_rng_hash2(w->seed ^ 0x1b, (uint64_t)p * 7919u + d);
    int wd = (w->start_wday + (int)d) % 7;
    int weekend = wd == 0 || wd == 6;
    uint32_t roll = (uint32_t)(h % 100);
    int where; /* 0 office, 1 home, 2 vpn */
    if (weekend || pe->remote)
        where = roll < 85 ? 1 : 2;
    else
        where = roll < 62 ? 0 : roll < 90 ? 1 : 2;
    if (where == 0) {
        km_gb_ip4(b, w->offices[pe->office].nat[(h >> 8) & 1]);
    } else if (where == 2) {
        km_gb_ip4(b, w->vpn[p & 1]);
    } else if (pe->has_ip6 && (h >> 12) % 3 != 0) {
        static const char hx[] = "0123456789abcdef";
        for (int k = 0; k < 8; k++) {
            uint16_t v = pe->ip6[k];
            int started = 0;
            for (int s = 12; s >= 0; s -= 4) {
                int dgt = (v >> s) & 15;
                if (dgt || started || s == 0) {
                    km_gb_ch(b, hx[dgt]);
                    started = 1;
                }
            }
            if (k < 7)
                km_gb_ch(b, ':');
        }
    } else {
        km_gb_ip4(b, pe->home_ip);
    }
}

/* ---- shared by the providers: people across clouds, the story ------------- */

double km_gen_person_activity(const struct km_gen_world *w, uint32_t p, uint32_t g,
                              struct km_gen_actcache *c)
{
    const struct km_gen_person *pe = &w->persons[p];
    struct km_gen_actor a;
    memset(&a, 0, sizeof a);
    a.kind = KM_GEN_K_SSO;
    a.shape = KM_GEN_SH_OFFICE;
    a.person = (uint16_t)p;
    a.tz_min = pe->tz_min;
    a.shift_min = pe->shift_min;
    return km_gen_activity_c(w, &a, g, c);
}

void km_gen_display_name(const struct km_gen_person *p, char *dst, size_t n)
{
    size_t o = 0;
    int up = 1;
    for (const char *s = p->login; *s && o + 1 < n; s++) {
        char ch = *s;
        if (ch == '.') {
            ch = ' ';
            up = 1;
        } else if (up && ch >= 'a' && ch <= 'z') {
            ch = (char)(ch - 'a' + 'A');
            up = 0;
        } else {
            up = 0;
        }
        dst[o++] = ch;
    }
    dst[o] = 0;
}

static const struct km_gen_place km_gen_places[] = {
    {"Berlin", "Berlin", "DE", 52.52437, 13.41053, 3320},
    {"London", "England", "GB", 51.50853, -0.12574, 2856},
    {"New York", "New York", "US", 40.71427, -74.00597, 701},
    {"San Francisco", "California", "US", 37.77493, -122.41942, 7922},
    {"Bangalore", "Karnataka", "IN", 12.97194, 77.59369, 24560},
    {"Sao Paulo", "Sao Paulo", "BR", -23.5475, -46.63611, 28573},
    {"Singapore", "Singapore", "SG", 1.28967, 103.85007, 9506},
    {"Dublin", "Dublin", "IE", 53.33306, -6.24889, 5466},
    /* the story's foreign address: a rented server */
    {"Amsterdam", "Noord-Holland", "NL", 52.37403, 4.88969, 14061},
};

const struct km_gen_place *km_gen_place_of(const char *city)
{
    size_t n = KM_ARRAY_LEN(km_gen_places);
    if (city)
        for (size_t i = 0; i + 1 < n; i++)
            if (strcmp(km_gen_places[i].city, city) == 0)
                return &km_gen_places[i];
    return &km_gen_places[n - 1];
}

int64_t km_gen_story_t0(const struct km_gen_world *w)
{
    const struct km_gen_actor *ma = &w->actors[w->story_actor];
    uint32_t sd = w->days > 2 ? 2 : w->days - 1;
    int local = 3 * 60 + 13 - ma->tz_min; /* 03:13 in mallory's time zone */
    local = ((local % 1440) + 1440) % 1440;
    if (local > 1440 - 10)
        local -= 10; /* keep the whole story within the day */
    return w->start + (int64_t)sd * 86400 + (int64_t)local * 60 + 7;
}

void km_gb_iso_frac(struct km_gb *b, int64_t t, uint64_t frac, int digits, const char *zone)
{
    km_gb_iso(b, t);
    b->n--; /* the 'Z' */
    km_gb_ch(b, '.');
    char d[20];
    for (int i = digits - 1; i >= 0; i--) {
        d[i] = (char)('0' + frac % 10);
        frac /= 10;
    }
    km_gb_mem(b, d, (size_t)digits);
    km_gb_str(b, zone);
}

unsigned km_gen_person_clouds(const struct km_gen_world *w, uint32_t p)
{
    const struct km_gen_person *pe = &w->persons[p];
    uint64_t h = km_rng_hash2(w->seed ^ 0xc10d, p);
    unsigned az = 0, gc = 0;
    switch (pe->job) {
    case KM_GEN_JOB_OPS:
    case KM_GEN_JOB_ADMIN:
    case KM_GEN_JOB_SEC: az = gc = 1; break;
    case KM_GEN_JOB_DATA: gc = 1; az = h % 100 < 30; break;
    case KM_GEN_JOB_DEV: az = h % 100 < 60; gc = (h >> 8) % 100 < 40; break;
    default: break;
    }
    return (az ? KM_GEN_C_AZURE : 0) | (gc ? KM_GEN_C_GCP : 0);
}
