/*
 * travel.h — what impossible_travel and new_location share: where each
 * person was and when (docs/detections/impossible_travel.md,
 * docs/detections/new_location.md).
 *
 * Two layers:
 *
 *   the pure core (no store, no clock; tests/unit/test_travel.c):
 *     observations of one person in time order ──► km_tv_walk ──► for each
 *     observation the earlier one that makes the most impossible journey,
 *     judged by km_tv_judge (conservative distance over proven time);
 *
 *   the collection (km_tv_collect), used by both detections:
 *     every event of a person with a source address (sign-ins and API calls,
 *     any provider) ──► runs: consecutive rows of one person from one address
 *     (and one provider geolocation) collapse into one run (first/last time,
 *     first/last event), so memory follows address changes, not events ──►
 *     each run located: the provider's own geolocation when it recorded one
 *     for that address and person, else the geo database ──► per person, in
 *     time order.
 */
#ifndef KM_TRAVEL_H
#define KM_TRAVEL_H

#include "detect/detect.h"
#include "geo/geo.h"

/* ---- the pure core ------------------------------------------------------------ */

/* Observation flags (set by the caller). */
#define KM_TV_VPN     0x01  /* a VPN / relay / satellite network: its place says nothing */
#define KM_TV_CLOUD   0x02  /* a cloud provider's network (its ASN is in cloud_asns) */
#define KM_TV_LOGIN   0x04  /* the run starts with an interactive sign-in */
#define KM_TV_SHARED  0x08  /* organisation egress (many persons) placed by the database only */
#define KM_TV_ALLOWED 0x10  /* in allow.networks */

/* One run of one person, located. */
struct km_tv_obs {
    int64_t first, last;          /* µs: its first and last row */
    int64_t maxgap_us;            /* the longest time between two consecutive rows of it:
                                     any instant inside [first, last] is within half of
                                     that of one of its rows */
    uint32_t ip;                  /* address id: equal ids are the same address */
    uint32_t asn;                 /* 0 unknown */
    double lat, lon, radius_km;   /* lat NAN: no place (never compared) */
    char cc[3];                   /* "" unknown */
    uint8_t flags;                /* KM_TV_* */
    /* set by km_tv_walk */
    uint8_t new_country;          /* cc first seen for the person here, after enough history */
    uint8_t new_asn;              /* the same for asn */
    uint8_t cloud_known;          /* KM_TV_CLOUD and the person used this ASN before */
    uint32_t tag;                 /* the caller's (e.g. the run's index) */
};

struct km_tv_params {
    double max_kmh;        /* faster than this is impossible (900) */
    double min_km;         /* conservative distance at least this (500) */
    double noise_km;       /* closer than this ... (50) */
    int64_t noise_us;      /* ... within this is GeoIP noise: never above low (10 min) */
    int64_t history_us;    /* a country/ASN is new only after this much history (14 d) */
    int64_t lookback_us;   /* earlier observations compared within this (24 h) */
    int maxback;           /* and at most this many of them (16) */
};
void km_tv_params_default(struct km_tv_params *p);

/* Why a judgement has its severity (bits of km_tv_judgement.why). */
#define KM_TV_R_LOGIN   0x01   /* the later side starts with an interactive sign-in */
#define KM_TV_R_NEWCC   0x02   /* a side is a country new for the person */
#define KM_TV_R_CLOUD   0x04   /* a side is a cloud network the person used before */
#define KM_TV_R_SHARED  0x08   /* a side is organisation egress placed by the database */
#define KM_TV_R_NOISE   0x10   /* close and quick: GeoIP noise */
#define KM_TV_R_VPN     0x20   /* a side is a VPN / relay network */

struct km_tv_judgement {
    double km;             /* great-circle distance between the two points */
    double min_km;         /* km minus both radii, floored at 0 */
    int64_t ta, tb;        /* the closest rows of a and b: the proven sightings */
    int64_t gap_us;        /* |tb - ta|, or the bound below */
    int within;            /* 1: the runs interleave and gap_us is an upper bound (a row
                              of one is within it of a row of the other, by maxgap_us) */
    double kmh;            /* min_km over the gap (a gap under 1 s counts as 1 s) */
    int alert;             /* 1: impossible (kmh > max_kmh and min_km >= min_km) */
    int sev;               /* enum km_sev, when alert */
    unsigned why;          /* KM_TV_R_* */
};

/*
 * Judges the journey from a to b (a no later than b in km_tv_sort's order).
 * Never alerts for the same address, an unplaced side, or two sides that are
 * both in allow.networks. The time is between the closest proven rows: the
 * end of one run and the start of the other; when the runs overlap (read
 * from two segments), the closest of their ends, or half the inner gap of a
 * run that has the other's end inside it, whichever is less. Returns
 * j->alert.
 */
int km_tv_judge(const struct km_tv_params *p, const struct km_tv_obs *a,
                const struct km_tv_obs *b, struct km_tv_judgement *j);

/* Sorts one person's observations by first time (then last, then address). */
void km_tv_sort(struct km_tv_obs *v, size_t n);

/*
 * Walks one person's observations (sorted) in time order: sets new_country,
 * new_asn and cloud_known of each (person_first: the person's first event,
 * for the history requirement), and for each observation b calls cb with
 * the earlier observation a whose journey to b alerts with the highest
 * severity, then speed. Candidates: the maxback before b within lookback
 * that no other placed, non-VPN observation lies entirely between (so the
 * immediate predecessor, and the runs of other segments overlapping it).
 * Returns the number of calls.
 */
size_t km_tv_walk(const struct km_tv_params *p, struct km_tv_obs *v, size_t n,
                  int64_t person_first,
                  void (*cb)(void *ctx, const struct km_tv_obs *a, const struct km_tv_obs *b,
                             const struct km_tv_judgement *j),
                  void *ctx);

/* ---- the collection (both detections) ------------------------------------------ */

enum km_tv_kind { KM_TV_K_CALL = 0, KM_TV_K_LOGIN, KM_TV_K_TOKEN };

/* A run closes when the person's next row from its segment is more than
 * this later (or from another address): a run is one sitting, so a run read
 * from one segment cannot hide a long stretch of another segment's rows. */
#define KM_TV_RUN_GAP (3600 * 1000000LL)

struct km_tv_run {
    int64_t first, last;           /* µs */
    struct km_evref ref_first, ref_last;
    uint32_t ip;                   /* address id (km_tv_data.ip) */
    uint32_t place;                /* provider geolocation id (0 none) */
    int32_t person;                /* identity-graph person */
    uint32_t acct;                 /* account id of the first row (0 none) */
    uint32_t rows;
    uint32_t source;               /* source id of the first row */
    uint32_t last_source;          /* ... and of the last */
    uint32_t maxgap_s;             /* longest time between two of its rows, s */
    uint8_t kind;                  /* enum km_tv_kind of the first row */
    uint8_t last_kind;             /* ... and of the last */
    uint8_t located;               /* 1 when it has a place (km_tv_obs_of) */
    uint8_t flags;                 /* KM_TV_* (km_tv_collect) */
    char cc[3];                    /* its country, "" unknown */
};

struct km_tv_data;

/* Settings both detections read (from their tables and allow.*). */
struct km_tv_conf {
    struct km_tv_params p;
    int non_interactive;           /* non-interactive sign-ins are observations */
    double provider_radius_km;     /* uncertainty of a provider's own coordinates */
    uint32_t shared_persons;       /* organisation egress threshold (0: off) */
    const char *const *vpn_asns, *const *cloud_asns;
    size_t nvpn_asns, ncloud_asns;
};
void km_tv_conf_read(struct km_hunt *h, struct km_tv_conf *c);

/*
 * Scans the hunt's events of persons with a source address into located
 * runs, sorted by (person, first). Memory: one run (72 bytes) per sitting
 * of a person at one address, one entry per distinct address and per
 * (person, address); at most KM_TV_MAX_RUNS runs and KM_TV_MAX_ADDRS
 * addresses (past either the scan stops with KM_ELIMIT: narrow the hunt
 * with --since/--until); failed sign-ins are counted for at most
 * KM_TV_MAX_PAIRS (person, address) pairs. Returns KM_OK or an error.
 */
#define KM_TV_MAX_RUNS (4u << 20)
#define KM_TV_MAX_ADDRS (2u << 20)
#define KM_TV_MAX_PAIRS (4u << 20)
int km_tv_collect(struct km_hunt *h, const struct km_tv_conf *c, struct km_tv_data **out,
                  struct km_err *err);
void km_tv_free(struct km_tv_data *d);

/* The runs, sorted by (person, first); runs of one person are contiguous. */
struct km_tv_run *km_tv_runs(struct km_tv_data *d, size_t *n);
/* The observation of a run (place, AS, flags; tag = 0): 1 when it is
 * placed, else 0 (o->lat NAN). Computed on demand, so runs stay small. */
int km_tv_obs_of(const struct km_tv_data *d, const struct km_tv_run *r, struct km_tv_obs *o);
/* The first event time of a person (any run, located or not). */
int64_t km_tv_person_first(const struct km_tv_data *d, int32_t person);
/* An address's text and database answer. */
const char *km_tv_ip(const struct km_tv_data *d, uint32_t ip);
const struct km_geo_rec *km_tv_ip_geo(const struct km_tv_data *d, uint32_t ip);
/* Distinct persons with observations from an address. */
uint32_t km_tv_ip_persons(const struct km_tv_data *d, uint32_t ip);
/* The source (e.g. "aws.cloudtrail") and account of a run. */
const char *km_tv_source(const struct km_tv_data *d, uint32_t source);
const char *km_tv_account(const struct km_tv_data *d, uint32_t acct);
/* Where a run is, for people: "Berlin, DE", "Germany (DE)", "" unknown;
 * and which database answered: "provider", "builtin", an MMDB file name. */
void km_tv_place_name(const struct km_tv_data *d, const struct km_tv_run *r, char *out,
                      size_t cap);
const char *km_tv_located_by(const struct km_tv_data *d, const struct km_tv_run *r);
/* The city of a run ("" none). */
const char *km_tv_city(const struct km_tv_data *d, const struct km_tv_run *r);
/* What a run's row at time t (its first or last) was, for people: "Entra
 * sign-in", "AWS API call". */
const char *km_tv_what(const struct km_tv_data *d, const struct km_tv_run *r, int64_t t);
/* Failed credential checks of a person from an address: count and the
 * first and last time (0 when none). */
uint32_t km_tv_failures(const struct km_tv_data *d, int32_t person, uint32_t ip,
                        int64_t *first, int64_t *last);
/* Rows read and runs kept (for figures). */
void km_tv_stats(const struct km_tv_data *d, uint64_t *rows, size_t *runs);

/* Helpers for the detections' output. */
const char *km_tv_person_email(struct km_hunt *h, int32_t person);
/* "2026-10-03 08:02 UTC" */
void km_tv_time(int64_t us, char out[32]);
/* "38 min", "2 h 05 min", "3 s" */
void km_tv_dur(int64_t us, char *out, size_t cap);
/* 9800.4 → "9,800" */
void km_tv_num(double v, char *out, size_t cap);
/* Appends {"time","ip","place","country","city","lat","lon","radius_km",
 * "located_by","asn","as_org","source","what","event_id"} of a run's row
 * at time t (its first or last). */
struct km_buf;
void km_tv_obs_json(struct km_hunt *h, const struct km_tv_data *d, const struct km_tv_run *r,
                    int64_t t, struct km_buf *b);
/* The run's row at time t (first or last row) as a reference. */
struct km_evref km_tv_ref_at(const struct km_tv_run *r, int64_t t);

#endif
