/*
 * det_auth.h — what password_spray and brute_force share: deciding which
 * sign-in events are credential checks, and collecting them compactly.
 *
 * A sign-in event is one of (enum km_auth_kind):
 *
 *   FAIL      a credential check that failed: a wrong password or an unknown
 *             user (AWS ConsoleLogin failure, Entra 50126/50034/..., Workspace
 *             loginFailure, M365 UserLoginFailed with a credential LogonError)
 *   LOCKOUT   the account was locked (Entra 50053, M365 IdsLocked): the effect
 *             of guessing, reported but never counted as a try
 *   ACCEPTED  the password was right but the sign-in stopped later (MFA
 *             required, Conditional Access, expired password: Entra 50074,
 *             50076, 50055, ...): from an attacker's address, a guessed password
 *   SUCCESS   a completed sign-in
 *
 * Anything else (token errors such as 70044, service-principal sign-ins,
 * other failures) is ignored. Which codes are which is configurable: each
 * detection has its own keys `<id>.entra_failure_codes`, ... with the
 * defaults below (docs/detections/password_spray.md explains them).
 *
 * Collection is two scans. km_auth_failures() reads the failures and
 * lockouts (category authentication, outcome failure or interrupted: pruned
 * on the segment dictionaries); km_auth_successes() then reads successes and
 * accepted passwords, but only from the sources the caller marked, through a
 * predicate on the src.ip dictionary, so segments without those addresses are
 * skipped unread. Both keep 32 bytes per event; strings (sources,
 * identities) are interned once.
 *
 *   events ──scan 1──► fail[] (FAIL, LOCKOUT)   sorted by the caller
 *   events ──scan 2──► ok[]   (SUCCESS, ACCEPTED) from marked sources only
 *   srcs:   id → "203.0.113.66" (or "AS64500"), country
 *   idents: id → provider, account, "alice@corp.test", person
 */
#ifndef KM_DET_AUTH_H
#define KM_DET_AUTH_H

#include "detect/detect.h"

enum km_auth_kind { KM_AUTH_FAIL = 1, KM_AUTH_LOCKOUT, KM_AUTH_ACCEPTED, KM_AUTH_SUCCESS };

/* Identity id of an AWS console sign-in whose user name AWS hid
 * (HIDDEN_DUE_TO_SECURITY_REASONS: the name typed is not a user). */
#define KM_AUTH_HIDDEN UINT32_MAX
/* Source id of an event without a caller address. */
#define KM_AUTH_NOSRC 0u

/* Defaults shared by both detections' settings tables. */
#define KM_AUTH_DEF_PROVIDERS "aws, azure, workspace"
#define KM_AUTH_DEF_ENTRA_FAIL "50126, 50034, 50056, 50064"
#define KM_AUTH_DEF_ENTRA_LOCK "50053"
#define KM_AUTH_DEF_ENTRA_ACCEPT \
    "50055, 50072, 50074, 50076, 50079, 50097, 50125, 50129, 50140, 50158, 53000, 53001, 53003"
#define KM_AUTH_DEF_M365_FAIL "InvalidUserNameOrPassword, InvalidPassword, UserAccountNotFound"
#define KM_AUTH_DEF_M365_LOCK "IdsLocked"

/* The settings keys every user of this module declares (with its prefix). */
#define KM_AUTH_CONF_KEYS(id)                                                                   \
    {id ".providers", KM_CONF_LIST, KM_AUTH_DEF_PROVIDERS,                                      \
     "sign-in logs read: aws (ConsoleLogin), azure (Entra sign-ins), workspace (login audit), " \
     "m365 (UserLoginFailed: add it when there are no Entra sign-in logs)"},                    \
    {id ".entra_failure_codes", KM_CONF_LIST, KM_AUTH_DEF_ENTRA_FAIL,                           \
     "Entra error codes that are failed credential checks (counted as tries)"},                 \
    {id ".entra_lockout_codes", KM_CONF_LIST, KM_AUTH_DEF_ENTRA_LOCK,                           \
     "Entra error codes of a locked account (reported, not counted as tries)"},                 \
    {id ".entra_accepted_codes", KM_CONF_LIST, KM_AUTH_DEF_ENTRA_ACCEPT,                        \
     "Entra codes that mean the password was right but the sign-in stopped later (MFA, "       \
     "Conditional Access): a compromise when they follow the failures"},                        \
    {id ".m365_failure_codes", KM_CONF_LIST, KM_AUTH_DEF_M365_FAIL,                             \
     "M365 UserLoginFailed LogonError values counted as tries"},                                \
    {id ".m365_lockout_codes", KM_CONF_LIST, KM_AUTH_DEF_M365_LOCK,                             \
     "M365 LogonError values of a locked account"}

/* One collected event: 32 bytes. */
struct km_auth_ev {
    int64_t t;               /* µs */
    uint32_t src;            /* index into km_auth.srcs (KM_AUTH_NOSRC: none) */
    uint32_t ident;          /* index into km_auth.idents, or KM_AUTH_HIDDEN */
    struct km_evref ref;
    uint8_t kind;            /* enum km_auth_kind */
    uint8_t pad[7];
};

struct km_auth_src {
    uint32_t name;           /* offset in pool: the address, or "AS<n>" */
    char country[3];         /* "" unknown */
};

struct km_auth_ident {
    uint32_t name;           /* offset in pool: as the provider names it */
    uint32_t account;        /* offset in pool ("" none) */
    uint8_t provider;        /* index into km_auth_provider_names */
    uint32_t tenant;         /* (provider, account) id: 0 .. ntenants-1 */
    int32_t person;          /* identity-graph person, -1 none, -2 not looked up */
};
extern const char *const km_auth_provider_names[];   /* "aws", "azure", "workspace", "m365" */

struct km_auth_cache;

/* A string-interning table (open addressing over a pool). */
struct km_auth_tab {
    uint32_t *slot;          /* id + 1; 0 empty */
    uint32_t cap, n;
    uint64_t *hash;          /* per id */
    uint32_t *off, *len;     /* key text in pool, per id */
    uint32_t alloc;
};

struct km_auth {
    struct km_hunt *h;
    /* settings */
    int prov_on[4];
    const char *const *codes[5];
    size_t ncodes[5];
    int by_asn;
    uint32_t *allow_asns;         /* allow.asns as numbers */
    size_t nallow_asns;
    /* interned strings */
    char *pool;
    size_t npool, cappool;
    struct km_auth_tab src_tab, id_tab, ten_tab;
    uint32_t ntenants;
    struct km_auth_src *srcs;     /* srcs[0] is "no source" */
    uint32_t nsrcs, alloc_srcs;
    struct km_auth_ident *idents;
    uint32_t nidents, alloc_idents;
    /* collected */
    struct km_auth_ev *fail, *ok;
    size_t nfail, nok, allocfail, allocok;
    uint64_t hidden;              /* FAIL events with a hidden user name */
    int full;                     /* a ceiling was reached (err says which) */
    /* scan 2 */
    const uint8_t *want;          /* per source id */
    const uint8_t *want_ident;    /* per identity id, or NULL */
    uint32_t nwant_ident;
    struct km_auth_cache *cache;  /* per segment: classification by dictionary codes */
    struct km_err *err;
};

/* Reads the settings of detection `id` (keys as KM_AUTH_CONF_KEYS(id);
 * by_asn: group sources by ASN where the geo database knows it). */
void km_auth_init(struct km_auth *a, struct km_hunt *h, const char *id, int by_asn);
void km_auth_free(struct km_auth *a);

/* Scan 1: every FAIL and LOCKOUT into a->fail (unsorted). Allow-lists
 * (allow.networks, allow.asns, allow.user_agents, allow.identities) drop
 * events. KM_OK, a scan error, or KM_ELIMIT past the ceilings (4M events,
 * 256 MiB of strings) with a message that says to narrow --since/--until. */
int km_auth_failures(struct km_auth *a, struct km_err *err);

/* Scan 2: every SUCCESS and ACCEPTED event whose source id s has want[s]
 * set into a->ok (unsorted). want has a->nsrcs entries. want_ident (NULL:
 * every identity) keeps only identities i already collected with
 * want_ident[i] set (it has a->nidents entries). */
int km_auth_successes(struct km_auth *a, const uint8_t *want, const uint8_t *want_ident,
                      struct km_err *err);

/* The source id of an address (grouped as the collection groups it), or
 * UINT32_MAX when no collected event came from it. */
uint32_t km_auth_src_lookup(const struct km_auth *a, const char *ip, size_t n);

/* The texts behind ids. */
const char *km_auth_str(const struct km_auth *a, uint32_t off);
const char *km_auth_src_name(const struct km_auth *a, uint32_t src);
/* "alice@corp.test"; "HIDDEN_DUE_TO_SECURITY_REASONS" for KM_AUTH_HIDDEN. */
const char *km_auth_ident_name(const struct km_auth *a, uint32_t ident);
/* The identity-graph person of an identity (looked up by its name once):
 * its index or -1, its e-mail or NULL. */
int km_auth_ident_person_index(struct km_auth *a, uint32_t ident);
const char *km_auth_ident_person(struct km_auth *a, uint32_t ident);

/* Sorts events by (src, t, ident) or (ident, t, src). */
void km_auth_sort_by_src(struct km_auth_ev *v, size_t n);
void km_auth_sort_by_ident(struct km_auth_ev *v, size_t n);

/* Adds an identity to f: its name to identities, its account to accounts,
 * and with `person` its person (looked up in the identity graph by name) to
 * persons. Callers that add one of its events with km_hunt_add_event_ref
 * pass person = 0: the event gives the person, under the hunt's lock. A
 * hidden identity adds nothing. */
void km_auth_add_ident(struct km_auth *a, struct km_finding *f, uint32_t ident, int person);
/* Adds a source to f: the address to ips (an ASN group adds nothing there),
 * its country to countries. */
void km_auth_add_src(const struct km_auth *a, struct km_finding *f, uint32_t src);

/* "2026-10-03T01:23:07Z" into out (32 bytes). */
void km_auth_time(int64_t t, char out[32]);

#endif
