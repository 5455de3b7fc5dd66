/*
 * keyuse.h — what leaked_key and recon_burst share: which credentials are
 * long-term, the network and client platform of a call, string interning
 * with per-segment dictionary caches, and two small history questions asked
 * of the store ("which networks did this key use before?", "on how many
 * earlier days did the organisation use this network?").
 *
 * Internal to src/detect (prefix km_ku_); every structure has a ceiling on
 * what it keeps, so a hostile store cannot make it grow without bound.
 */
#ifndef KM_DETECT_KEYUSE_H
#define KM_DETECT_KEYUSE_H

#include "detect/detect.h"

struct km_conf;

#define KM_KU_DAY_US (86400LL * 1000000LL)

/* 1 when v[0..n) names a long-term credential: an AWS IAM user access key
 * (AKIA + 16 upper-case letters or digits; ASIA keys are temporary) or a
 * Google Cloud user-managed service-account key
 * ("//iam.googleapis.com/projects/P/serviceAccounts/SA/keys/KEYID" or the
 * same path without the service prefix). */
int km_ku_longterm(const char *v, size_t n);

/* The network of an address: IPv4 /v4bits, IPv6 /v6bits (16-byte form
 * masked, then hashed into *id, never 0). text gets "203.0.113.0/24".
 * Returns 0 (and *id = 0) when ip is not an address. */
int km_ku_net(struct km_str ip, int v4bits, int v6bits, uint64_t *id, char text[64]);

/* 1 when ip is an address without a place on the internet: private
 * (10/8, 172.16/12, 192.168/16, fc00::/7), loopback, link-local, CGNAT
 * (100.64/10), unspecified. Documentation ranges are not among them. */
int km_ku_internal(struct km_str ip);

/* The client platform a user agent names, lower-case, into out:
 * "macos", "windows", "linux", "android", "ios", a Linux distribution made
 * for attacking ("linux/kali", "linux/parrot", "linux/blackarch",
 * "linux/pentoo"), "aws-internal" for AWS's own callers, else the first
 * product token ("boto3", "trufflehog"), "" for no agent. */
void km_ku_platform(struct km_str ua, char out[32]);

/* 1 when ua contains one of tools[0..n) (case-insensitive); the first that
 * matches is copied into out (cut to 31 bytes). */
int km_ku_tool(struct km_str ua, const char *const *tools, size_t n, char out[32]);

/* 64-bit FNV-1a of s[0..n) mixed with seed; never 0. */
uint64_t km_ku_hash(const void *s, size_t n, uint64_t seed);

/* A list setting's items (comma-separated, trimmed, empty ones dropped) split
 * into the caller's storage: buf (cap bytes) holds the text, items at most
 * max pointers into it. Returns the count. Unlike km_conf_list, safe to call
 * from detections running at the same time (it reads the configuration
 * only; km_conf_list caches the split defaults in shared state). */
size_t km_ku_conf_list(const struct km_conf *c, const char *key, char *buf, size_t cap,
                       const char **items, size_t max);

/* ---- interning ----------------------------------------------------------- */

/* Distinct strings to dense ids 1..n (0 = none), at most `max` of them and
 * their text within an arena ceiling; beyond that km_ku_intern gives 0 and
 * counts the overflow. */
struct km_ku_intern {
    struct km_arena a;
    const char **s;      /* s[id] */
    uint32_t *len;
    uint32_t n, cap;     /* ids in use (s[0] unused), allocated */
    uint32_t *tab;       /* open addressing: ids, 0 empty */
    uint32_t tcap;
    uint32_t max;
    uint64_t overflow;
};
void km_ku_intern_init(struct km_ku_intern *t, uint32_t max, size_t bytes);
void km_ku_intern_free(struct km_ku_intern *t);
uint32_t km_ku_intern(struct km_ku_intern *t, const char *s, size_t n);
uint32_t km_ku_intern_find(const struct km_ku_intern *t, const char *s, size_t n);
static inline const char *km_ku_str(const struct km_ku_intern *t, uint32_t id)
{
    return id && id <= t->n ? t->s[id] : "";
}

/* A per-segment cache from a dictionary code to a value computed once per
 * code (v + 1; 0 = not computed yet). Reset whenever the segment changes. */
struct km_ku_cmap {
    uint32_t seg;
    int used;
    int kind;                /* the field's storage in this segment (km_ku_field_id) */
    uint32_t *v;
    uint32_t cap;
};
/* Returns the cached value + 1 for (segment of r, code), 0 when not cached. */
uint32_t km_ku_cmap_get(struct km_ku_cmap *m, const struct km_hrow *r, uint32_t code);
void km_ku_cmap_put(struct km_ku_cmap *m, uint32_t code, uint32_t v);
void km_ku_cmap_free(struct km_ku_cmap *m);

/* The id of a row's field value in t (0 when absent), cached per code. */
uint32_t km_ku_field_id(struct km_ku_cmap *m, struct km_ku_intern *t, const struct km_hrow *r,
                        int field);

/* ---- history questions ------------------------------------------------------- */

/* The time of the first event of a provider the hunt can see (an
 * approximation: the first row of the earliest segment), or INT64_MAX. */
int64_t km_ku_store_start(struct km_hunt *h, const char *provider);

/* "Is this network (or country) the organisation's, or the person's?": for
 * each query, the number of distinct UTC days before `day` (with `hind`:
 * any other day) on which the
 * network — or, when cc is set, any address of that country (geo database
 * or provider geolocation) — was used successfully by a caller other than
 * `key` (any provider, any identity), and on how many of those days by the
 * query's person (identity graph) through any of their identities. Counting
 * stops at 64 days. */
struct km_ku_orgq {
    uint64_t net;            /* km_ku_net id (0 with cc) */
    const char *ip;          /* an address in it (canonical text; lets the scan
                                skip other addresses without parsing them) */
    int32_t day;             /* UTC day number of the use being judged */
    const char *key;         /* the credential being judged ("" none) */
    uint32_t days;           /* out */
    char cc[3];              /* a country instead of a network ("" none) */
    int32_t person;          /* the key's person, -1 none */
    uint32_t pdays;          /* out: days the person used it */
    int hind;                /* count the days after `day` too (hindsight) */
};
int km_ku_org_days(struct km_hunt *h, struct km_ku_orgq *q, size_t n, int v4bits, int v6bits,
                   struct km_err *err);

/* "Did this key use this network before?": for each query (a long-term key
 * and the time and network of a use), whether the key was seen before t at
 * all, whether it used the network in [t - window, t) (or, when the key was
 * idle through the whole window, at any time before t), and the key's first
 * time. One scan of the queried keys' events. */
struct km_ku_keyq {
    const char *key;
    uint64_t net;
    int64_t t;
    int seen_before;         /* out */
    int net_known;           /* out */
    int64_t first;           /* out: the key's first event, INT64_MAX none */
    int seen_after;          /* out: the key was used on a later UTC day within the window */
    int net_after;           /* out: ... from this network (hindsight, for stores that
                                hold too little before t) */
};
int km_ku_key_nets(struct km_hunt *h, struct km_ku_keyq *q, size_t n, int64_t window,
                   int v4bits, int v6bits, struct km_err *err);

#endif
