/*
 * gen.h — kumo's synthetic audit-log generator (`kumo gen`).
 *
 * km_gen_run() draws a fictional organisation from the seed (accounts,
 * regions, people, roles, workloads, IP addresses, user agents: world.c) and
 * writes what its cloud providers would deliver, each in its native export
 * layout: AWS CloudTrail as a trail delivers it to S3 (gen_cloudtrail.c),
 * Microsoft Entra ID sign-in logs and the Azure Activity log as diagnostic
 * settings write them to a storage account (gen_azure.c), and Google Cloud
 * Audit Logs as a log sink writes them to Cloud Storage (gen_gcp.c). The same
 * people (display name, e-mail address = Entra UPN = Google principal = IAM
 * Identity Center session name) act in all three, from the same addresses,
 * in the same working hours.
 *
 * Determinism: the work is cut into independent units (for CloudTrail one
 * account × one 5-minute delivery window, for Azure and GCP one hourly blob).
 * Each unit draws from its own PRNG stream derived from (seed, provider,
 * unit), so the output tree is byte-identical for the same options whatever
 * the thread count; `--providers aws` (the default) writes exactly what the
 * CloudTrail-only generator wrote.
 *
 * Example:
 *     struct km_gen_opts o; km_gen_opts_default(&o);
 *     o.out_dir = "/tmp/logs"; o.events = 1000000;
 *     struct km_err e; km_err_clear(&e);
 *     if (km_gen_run(&o, &e) != KM_OK) fprintf(stderr, "%s\n", e.msg);
 */
#ifndef KM_GEN_H
#define KM_GEN_H

#include "core/km.h"

#define KM_GEN_DEFAULT_EVENTS 100000
#define KM_GEN_DEFAULT_ACCOUNTS 4
#define KM_GEN_DEFAULT_DAYS 7
#define KM_GEN_DEFAULT_START 1790812800 /* 2026-10-01T00:00:00Z */
#define KM_GEN_DEFAULT_LEVEL 1          /* libdeflate level: fastest */
#define KM_GEN_MIN_EVENTS 100           /* room for the story and some background */
#define KM_GEN_MAX_EVENTS 1000000000ull
#define KM_GEN_MAX_ACCOUNTS 50
#define KM_GEN_MAX_DAYS 366
#define KM_GEN_MAX_THREADS 256

/* Providers (bits of km_gen_opts.providers; index = bit number). */
enum { KM_GEN_PROV_AWS = 0, KM_GEN_PROV_AZURE, KM_GEN_PROV_GCP, KM_GEN_NPROV };
#define KM_GEN_P_AWS (1u << KM_GEN_PROV_AWS)
#define KM_GEN_P_AZURE (1u << KM_GEN_PROV_AZURE)
#define KM_GEN_P_GCP (1u << KM_GEN_PROV_GCP)
#define KM_GEN_P_ALL (KM_GEN_P_AWS | KM_GEN_P_AZURE | KM_GEN_P_GCP)
/* Default shares of --events when several providers are chosen (percent). */
#define KM_GEN_SHARE_AWS 60
#define KM_GEN_SHARE_AZURE 25
#define KM_GEN_SHARE_GCP 15
#define KM_GEN_MAX_WEIGHT 1000

/* Planted scenarios (bits of km_gen_opts.scenarios; index = bit number; names in
 * km_gen_scen_names[], docs/generator.md "Scenarios"). */
enum {
    KM_GEN_SCEN_STORY = 0, /* the mallory story, in every dataset by default */
    KM_GEN_SCEN_SPRAY,
    KM_GEN_SCEN_BRUTEFORCE,
    KM_GEN_SCEN_TRAVEL,
    KM_GEN_SCEN_LATERAL,
    KM_GEN_SCEN_LEAKEDKEY,
    KM_GEN_SCEN_PERSISTENCE,
    KM_GEN_SCEN_PRIVILEGE,
    KM_GEN_SCEN_TAMPERING,
    KM_GEN_SCEN_EXPOSURE,
    KM_GEN_SCEN_INCIDENT,
    KM_GEN_NSCEN
};
#define KM_GEN_S_ALL ((1u << KM_GEN_NSCEN) - 1)
#define KM_GEN_S_NONE (1u << 31) /* explicitly no scenario: pure background */
#define KM_GEN_S_SKIP (1u << 30) /* ("all") leave out the scenarios the chosen providers
                                    cannot hold instead of refusing them */
extern const char *const km_gen_scen_names[KM_GEN_NSCEN];
#define KM_GEN_TRUTH_FILE "kumo-ground-truth.json"

/* What a run produced (filled when km_gen_opts.stats is non-NULL). */
struct km_gen_stats {
    uint64_t events;     /* records written */
    uint64_t files;      /* .json.gz files written */
    uint64_t bytes;      /* compressed bytes written */
    uint64_t raw_bytes;  /* JSON bytes before compression */
    double seconds;      /* wall-clock time of the run */
    uint64_t prov_events[KM_GEN_NPROV]; /* records per provider (KM_GEN_PROV_*) */
};

struct km_gen_opts {
    const char *out_dir;        /* required; created if missing */
    uint64_t events;            /* exact number of records, KM_GEN_MIN_EVENTS.. */
    uint64_t seed;              /* any value */
    uint32_t accounts;          /* 1..KM_GEN_MAX_ACCOUNTS */
    int64_t start;              /* first day, Unix seconds at 00:00 UTC */
    uint32_t days;              /* 1..KM_GEN_MAX_DAYS */
    uint32_t threads;           /* 0 = number of online CPUs */
    int level;                  /* libdeflate level 1..12 */
    int force;                  /* allow a non-empty out_dir (files are overwritten,
                                   nothing is deleted) */
    struct km_gen_stats *stats; /* optional out: figures of the run */
    unsigned providers;         /* KM_GEN_P_* bits; 0 = KM_GEN_P_AWS */
    uint32_t weight[KM_GEN_NPROV]; /* relative shares of --events (0 = the default
                                      KM_GEN_SHARE_*), 0..KM_GEN_MAX_WEIGHT */
    unsigned scenarios;         /* KM_GEN_SCEN_* bits; 0 = the story alone (the default);
                                   KM_GEN_S_NONE = no scenario (pure background) */
    int truth;                  /* write out_dir/kumo-ground-truth.json after the logs */
};

/* Fills *o with the defaults above (out_dir NULL, stats NULL). */
void km_gen_opts_default(struct km_gen_opts *o);

/*
 * Generates the dataset described by *o. Returns KM_OK, KM_EUSAGE for an
 * out-of-range option or a non-empty out_dir without force, KM_EIO when a
 * directory or file cannot be written, KM_ENOMEM, or KM_EINTERNAL; err gets
 * the detail. Files already written stay on disk after a failure.
 */
int km_gen_run(const struct km_gen_opts *o, struct km_err *err);

/* Parses "YYYY-MM-DD" (1970..2099) into Unix seconds at 00:00 UTC.
 * Returns KM_OK or KM_EUSAGE. */
int km_gen_parse_date(const char *s, int64_t *out);

/*
 * Parses a --providers list: comma-separated names "aws", "azure", "gcp"
 * (or "all"), each optionally with ":WEIGHT" (a whole number 1..1000, the
 * provider's relative share of --events), e.g. "aws,azure,gcp" or
 * "aws:50,gcp:50". Sets *mask (KM_GEN_P_* bits) and weight[] (0 where no
 * weight was given). Returns KM_OK or KM_EUSAGE (unknown or repeated name,
 * bad weight, empty list).
 */
int km_gen_parse_providers(const char *s, unsigned *mask, uint32_t weight[KM_GEN_NPROV]);

/*
 * Parses a --scenarios list: "all" (every scenario the chosen providers can
 * hold: KM_GEN_S_ALL | KM_GEN_S_SKIP), "none" (KM_GEN_S_NONE), or
 * comma-separated names of km_gen_scen_names[] (each at most once; a named
 * scenario with nothing to plant is refused by km_gen_run). Returns KM_OK or
 * KM_EUSAGE with a reason in why[0..n).
 */
int km_gen_parse_scenarios(const char *s, unsigned *mask, char *why, size_t n);

/* The scenarios o plants (KM_GEN_SCEN_* bits): the story alone by default,
 * none for KM_GEN_S_NONE, with KM_GEN_S_SKIP only those that have a part in
 * the chosen providers. */
unsigned km_gen_scen_mask(const struct km_gen_opts *o);

/*
 * Records scenario `scen` plants in provider `prov` (KM_GEN_PROV_*) for a
 * world of `accounts` AWS accounts (a fixed number: --events stays exact).
 * 0 when the scenario has no part in that provider.
 */
uint32_t km_gen_scen_records(int scen, int prov, uint32_t accounts);

/*
 * How km_gen_run() splits o->events over the chosen providers: shares in
 * proportion to the weights (defaults KM_GEN_SHARE_*), the rounding rest to
 * the first chosen provider, and every chosen provider at least the records
 * of its part of the planted scenarios (o->scenarios; the story by
 * default). out[p] is 0 for providers not chosen. Returns KM_OK, or
 * KM_EUSAGE when the options cannot be split (bad mask or weight, too few
 * events).
 */
int km_gen_split(const struct km_gen_opts *o, uint64_t out[KM_GEN_NPROV]);

/*
 * The generator's PRNG: SplitMix64 (one 64-bit word of state, an add and a
 * multiply-xorshift finaliser per draw; passes BigCrush). Streams are derived
 * by hashing (seed, stream id), so units never share a sequence. Not for
 * cryptography.
 */
struct km_rng {
    uint64_t s;
};

/* Mixes one 64-bit word into a well-distributed one (the SplitMix64 finaliser). */
static inline uint64_t km_rng_mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Hashes two words into one: used to derive stream ids and per-item seeds. */
static inline uint64_t km_rng_hash2(uint64_t a, uint64_t b)
{
    return km_rng_mix(km_rng_mix(a + 0x9e3779b97f4a7c15ull) ^ (b * 0xd6e8feb86659fd93ull));
}

/* Starts stream `stream` of generator `seed`. */
static inline void km_rng_init(struct km_rng *r, uint64_t seed, uint64_t stream)
{
    r->s = km_rng_hash2(seed, stream);
}

/* Next 64 random bits. */
static inline uint64_t km_rng_next(struct km_rng *r)
{
    r->s += 0x9e3779b97f4a7c15ull;
    return km_rng_mix(r->s);
}

/* Uniform integer in [0, n) for n >= 1 (multiply-shift; bias below 2^-32 * n). */
static inline uint32_t km_rng_below(struct km_rng *r, uint32_t n)
{
    return (uint32_t)(((km_rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

/* Uniform double in [0, 1). */
static inline double km_rng_unit(struct km_rng *r)
{
    return (double)(km_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

/* 1 with probability p (0..1), else 0. */
static inline int km_rng_chance(struct km_rng *r, double p)
{
    return km_rng_unit(r) < p;
}

#endif
