/*
 * ident.h — who is who: the identity graph that ties one person's IAM user,
 * SSO sessions, Entra account and Google principal together.
 *
 * An *identity* is a principal as one provider names it: an IAM user
 * (aws, account, user name), an IAM Identity Center / SAML / OIDC role
 * session (the session name or sourceIdentity), an Entra user (object id,
 * UPN), a Google principal (e-mail), a Workspace or M365 user, a service
 * account, a role, a workload identity. A *person* is keyed by a lower-cased
 * e-mail address and owns identities through *links*; each link records the
 * rule that made it:
 *
 *   "email"       the identity's own e-mail / UPN is the person's key
 *   "local-part"  an IAM user or session name equals the local part of a
 *                 person's e-mail in one of the organisation's domains
 *                 (identity.domains of the configuration, else the domains
 *                 of the tenant's own UPNs: km_idgraph_domains says which)
 *   "object-id"   an Entra object id seen together with a UPN
 *   "map"         the investigator's identity-map file (identity.map),
 *                 which overrides every rule, including "not the same person"
 *
 * Service accounts, roles and workload identities are non-person identities:
 * they belong to no person, but the graph records the people who created or
 * used their keys when the logs show it (km_ident.users).
 *
 * The graph is derived data: it is built from the distinct actor tuples of
 * the store (provider, actor.type, actor.id, actor.name, actor.arn,
 * actor.email, account, actor.session_issuer) plus the map file, never
 * written into events, and works on a read-only store.
 */
#ifndef KM_IDENT_H
#define KM_IDENT_H

#include "core/km.h"

struct km_store;
struct km_conf;
struct km_seg;
struct km_event;

enum km_ident_kind {
    KM_ID_AWS_IAM_USER = 0, KM_ID_AWS_ROOT, KM_ID_AWS_SSO_SESSION, KM_ID_AWS_ROLE_SESSION,
    KM_ID_AWS_ROLE, KM_ID_AWS_FEDERATED, KM_ID_ENTRA_USER, KM_ID_ENTRA_APP,
    KM_ID_GCP_USER, KM_ID_GCP_SERVICE_ACCOUNT, KM_ID_WORKSPACE_USER, KM_ID_M365_USER,
    KM_ID_SERVICE, KM_ID_OTHER,
    /* added after the first contract (numbers above unchanged) */
    KM_ID_AWS_IDC_USER,        /* IAM Identity Center user (sign-in portal events) */
    KM_ID_GCP_IMPERSONATION,   /* a person acting as a service account (delegation chain) */
    KM_ID_WORKLOAD,            /* workload identity: GCP principal://, AWS web identity of CI */
    KM_ID__NKINDS
};
/* "aws.iam_user", "aws.sso_session", "azure.user", "gcp.service_account", ...
 * ("?" for a number out of range). */
const char *km_ident_kind_name(int kind);
/* The kind of a name as km_ident_kind_name gives it, or -1. */
int km_ident_kind_parse(const char *name, size_t n);

struct km_ident {
    int kind;                /* enum km_ident_kind */
    const char *provider;    /* "aws", "azure", "gcp", "m365", "workspace" */
    const char *account;     /* AWS account / tenant / project; "" when none */
    const char *name;        /* as the provider names it: IAM user name, UPN,
                                principal e-mail, role session "role/session" */
    const char *id;          /* stable id where there is one: ARN, object id */
    int person;              /* index of its person, -1 for none */
    const char *rule;        /* why it is linked: "email", "local-part", "object-id",
                                "map"; "" when not linked */
    const char *rule_detail; /* e.g. "alice.ito = local part of alice.ito@corp.test
                                (domain corp.test from tenant UPNs)" */
    int is_person;           /* 0 for service accounts, roles, workloads */
    uint64_t events;         /* events of this identity in the store */
    int64_t first, last;     /* µs */
    /* added after the first contract */
    const char *email;       /* the identity's own e-mail / UPN / session e-mail, "" none */
    const char *display;     /* a display name the provider gave ("Alice Ito"), "" none */
    uint32_t naccounts;      /* distinct accounts its events were logged in (account is
                                the one with most events) */
    uint32_t nusers;         /* non-person identities: the persons seen using it (role */
    const int32_t *users;    /* sessions, impersonation), person indexes, sorted */
};

struct km_person {
    const char *email;       /* the key, lower-case */
    const char *display;     /* a display name when one was seen, else "" */
    uint32_t nidents;
    const uint32_t *idents;  /* indexes into the identity array */
    /* added after the first contract */
    uint64_t events;         /* events of all its identities */
    int64_t first, last;     /* µs; 0 when no events */
    uint32_t nused;          /* non-person identities it used (roles assumed under */
    const uint32_t *used;    /* its name, service accounts impersonated) */
};

struct km_idgraph;

/*
 * Builds the graph for the store (read-only access is enough). conf may be
 * NULL (defaults). Reads the map file named by identity.map (relative to the
 * store directory when not absolute; a missing configured file is an error,
 * a bad line is an error naming file and line). Returns KM_OK, KM_EIO,
 * KM_EUSAGE (map file), KM_ENOMEM.
 */
int km_idgraph_build(struct km_store *s, const struct km_conf *conf, struct km_idgraph **out,
                     struct km_err *err);
/* The same with flags: KM_IDGRAPH_NO_TIMES leaves every first/last at 0 and
 * skips reading the time columns (a third of the work), for callers that
 * only need who is whom (the query's person field, --actor). */
#define KM_IDGRAPH_NO_TIMES 1u
int km_idgraph_build_ex(struct km_store *s, const struct km_conf *conf, unsigned flags,
                        struct km_idgraph **out, struct km_err *err);
void km_idgraph_free(struct km_idgraph *g);

size_t km_idgraph_npersons(const struct km_idgraph *g);
const struct km_person *km_idgraph_person(const struct km_idgraph *g, size_t i);
size_t km_idgraph_nidents(const struct km_idgraph *g);
const struct km_ident *km_idgraph_ident(const struct km_idgraph *g, size_t i);
/* The organisation's domains and where they came from: "configuration"
 * (identity.domains), "tenant UPNs" (the domains of the azure / m365 member
 * users' UPNs in the store) or "none" (no domain known: the local-part rule
 * links nothing). */
size_t km_idgraph_domains(const struct km_idgraph *g, const char *const **domains,
                          const char **origin);

/* The person an e-mail, UPN, IAM user name, ARN, object id or principal
 * names (case-insensitive for e-mails): its index, or -1. A person's own
 * e-mail always resolves; any other value resolves when the identities it
 * names (by e-mail, name, session name, id or ARN, case-insensitively)
 * belong to exactly one person, else -1 (unknown or ambiguous). */
int km_idgraph_find_person(const struct km_idgraph *g, const char *s, size_t n);
/* The person whose e-mail key is exactly s (lower-case), or -1. */
int km_idgraph_person_by_email(const struct km_idgraph *g, const char *s, size_t n);

/* The identity-map file read ("" when none) and its format ("csv", "yaml");
 * map lines that named no identity of the store, as messages
 * ("identities.csv:4: aws:1111:bob matches no identity"). */
const char *km_idgraph_map_path(const struct km_idgraph *g, const char **format,
                                size_t *nentries);
size_t km_idgraph_warnings(const struct km_idgraph *g, const char *const **msgs);
/* Distinct actor tuples the graph was built from (for figures and tests). */
size_t km_idgraph_ntuples(const struct km_idgraph *g);

/* The person of an event's actor, or -1: the fields read are provider,
 * account, actor.type/id/name/arn/email/session_issuer. */
int km_idgraph_person_of(const struct km_idgraph *g, const struct km_event *ev);

/* The identity of an event's actor (index into the identity array), or -1
 * (no actor, or a tuple the graph has not seen that makes no known
 * identity). */
int km_idgraph_ident_of(const struct km_idgraph *g, const struct km_event *ev);

/*
 * Per segment: person index per row (-1 none) for nrows rows, computed from
 * the segment's dictionaries once per distinct actor tuple (not per row).
 * out has km_seg_rows(seg) entries. Thread-safe for distinct segments.
 */
int km_idgraph_seg_persons(const struct km_idgraph *g, struct km_seg *seg, int32_t *out,
                           struct km_err *err);

/*
 * The values of (field, value) pairs that select exactly the events of
 * person p, for filters that prune on dictionaries: e.g. actor.email =
 * "alice.ito@corp.test", actor.arn = "arn:aws:iam::1111:user/alice.ito",
 * actor.id = "<entra object id>". Calls cb once per pair (field is an enum
 * km_field); the events of p are those matching any pair *and* for which
 * km_idgraph_person_of gives p (a pair may be shared with another person
 * only when the map file split an identity: callers that need exactness
 * check km_idgraph_person_of on each match).
 */
void km_idgraph_person_selectors(const struct km_idgraph *g, int p,
                                 void (*cb)(void *ctx, int field, const char *value),
                                 void *ctx);

#endif
