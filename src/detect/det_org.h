/*
 * det_org.h — what the credential_persistence, privilege_grant, exposure and
 * log_silence detections share: what belongs to the organisation as the
 * store shows it, what an IAM policy document grants and to whom, what a
 * Google IAM member is, and a bounded string set.
 *
 * The organisation is read from the store itself (dictionaries only, no
 * rows): its accounts are every `account` value (AWS accounts, Azure
 * subscriptions and tenants, Google projects) in the hunt's segments; its
 * e-mail domains are identity.domains of the configuration, else the
 * identity graph's (km_idgraph_domains), else the domains of the actors'
 * e-mail addresses that at least two distinct addresses share, never a
 * public webmail domain (gmail.com, outlook.com, ...) nor a Google
 * service-account domain.
 */
#ifndef KM_DET_ORG_H
#define KM_DET_ORG_H

#include "detect/detect.h"
#include "json/json.h"

/* ---- a bounded set of strings (open addressing, case-sensitive) ---------- */

struct km_dset {
    char **slot;             /* NULL = empty */
    uint32_t *val;           /* a value per slot (e.g. an index), 0 by default */
    uint32_t cap, n;         /* cap: power of two */
    uint32_t max;            /* ceiling on n (0 = 1 << 20); adds past it are dropped */
    uint64_t dropped;
};
void km_dset_init(struct km_dset *s, uint32_t max);
void km_dset_free(struct km_dset *s);
/* Adds p[0..n): returns the slot's value pointer (new entries start at 0), or
 * NULL when the set is full. *added is 1 for a new entry (may be NULL). */
uint32_t *km_dset_add(struct km_dset *s, const char *p, size_t n, int *added);
/* The value pointer of p[0..n) when present, else NULL. */
uint32_t *km_dset_get(const struct km_dset *s, const char *p, size_t n);
static inline int km_dset_has(const struct km_dset *s, const char *p, size_t n)
{
    return km_dset_get(s, p, n) != NULL;
}

/* ---- the organisation ------------------------------------------------------ */

struct km_detorg {
    struct km_dset accounts;     /* every account value in the hunt's segments */
    struct km_dset domains;      /* the organisation's e-mail domains, lower-case */
    const char *domains_origin;  /* "configuration", "identity graph", "actor e-mails" */
};
/* Reads accounts and domains (dictionary values only). Free with km_detorg_free. */
int km_detorg_build(struct km_hunt *h, struct km_detorg *o, struct km_err *err);
void km_detorg_free(struct km_detorg *o);
/* 1 when a 12-digit AWS account id is one the store has seen. */
int km_detorg_aws_account(const struct km_detorg *o, const char *id, size_t n);
/* 1 when the e-mail's domain is the organisation's (case-insensitive). */
int km_detorg_email_inside(const struct km_detorg *o, const char *email, size_t n);
/* 1 for a public webmail domain (gmail.com, outlook.com, ...). */
int km_det_webmail(const char *domain, size_t n);

/* ---- Google IAM members ---------------------------------------------------- */

enum km_member { KM_MEMBER_INSIDE = 0, KM_MEMBER_PUBLIC, KM_MEMBER_OUTSIDE, KM_MEMBER_UNKNOWN };
/* Classifies "user:a@b", "group:", "domain:", "serviceAccount:", "allUsers",
 * "allAuthenticatedUsers", "principal://", a bare e-mail: public for
 * allUsers/allAuthenticatedUsers; outside for an e-mail or domain not the
 * organisation's (a webmail address always) and for a service account of a
 * project the store has never seen (Google's own service agents,
 * ...@gcp-sa-*.iam.gserviceaccount.com, are inside); unknown for
 * workload-identity principals and deleted members; else inside. */
int km_det_gcp_member(const struct km_detorg *o, const char *m, size_t n);

/* ---- IAM policy documents (AWS) -------------------------------------------- */

/* The policy a request carries: an object as is, or a JSON string (plain or
 * URL-encoded, as CloudTrail records them) parsed into a. NULL when neither. */
const struct km_json *km_det_policy(const struct km_json *v, struct km_arena *a);
/* 1 when an Allow statement grants every action ("*", "*:*"), every IAM action
 * ("iam:*") or everything but a list (NotAction) on every resource ("*"). */
int km_det_policy_admin(const struct km_json *doc);

/* What a resource or trust policy lets others do. */
struct km_det_grant {
    int public_open;         /* Allow to Principal "*" with no restricting condition */
    int public_cond;         /* Allow to Principal "*" restricted by a condition */
    char outside[256];       /* accounts (comma-separated) outside the organisation
                                named as principals of Allow statements */
    int noutside;
};
void km_det_policy_grantees(const struct km_detorg *o, const struct km_json *doc,
                            struct km_det_grant *g);

/* ---- small helpers ----------------------------------------------------------- */

/* Copies s into dst (NUL-terminated, truncated to cap - 1). */
void km_det_cpy(char *dst, size_t cap, struct km_str s);
/* Fills the fields that say who did what from where (provider, account,
 * actor.type/name/arn/email/access_key, src.ip, user_agent, action, outcome,
 * src.geo.country) from the row, column by column: unlike km_hrow_event it
 * leaves the segment's other columns undecoded. Other fields stay absent. */
void km_det_row_event(const struct km_hrow *r, struct km_event *ev);
/* The caller as findings name it: actor.email, else actor.name, else actor.arn. */
struct km_str km_det_who(const struct km_event *ev);
/* A string member of a JSON object, KM_STR_NONE when absent or not a string. */
struct km_str km_det_jstr(const struct km_json *obj, const char *path);
/* Case-insensitive substring test. */
int km_det_icontains(const char *hay, size_t n, const char *needle);
/* 1 unless the event's outcome is failure (success and unknown count). */
int km_det_succeeded(const struct km_event *ev);

#endif
