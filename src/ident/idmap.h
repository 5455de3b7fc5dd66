/*
 * idmap.h — the investigator's identity-map file: which identities are (or
 * are not) a person's, overriding every rule of the identity graph
 * (ident.h). docs/identities.md is the user's reference, with examples.
 *
 * CSV, one statement per line (a header line "person,link,identity,note" is
 * allowed; '#' at the start of a line or after a blank starts a comment;
 * fields may be double-quoted, "" is a quote inside one):
 *
 *     alice.ito@corp.test, aws:111111111111:alice.ito      # 2 fields: "is"
 *     alice.ito@corp.test, is,   alice@old-corp.test, her old address
 *     alice.ito@corp.test, not,  aws:222222222222:alice.ito, a contractor
 *     alice.ito@corp.test, name, Alice Ito
 *
 * YAML, one mapping keyed by the person's e-mail; the value is an identity,
 * a list of identities ("is"), or a mapping with `is`, `not` (an identity or
 * a list) and `name`:
 *
 *     alice.ito@corp.test:
 *       name: Alice Ito
 *       is: [aws:111111111111:alice.ito, alice@old-corp.test]
 *       not: aws:222222222222:alice.ito
 *     bob@corp.test: arn:aws:iam::111111111111:user/bob
 *
 * An identity reference is one of
 *     an e-mail / UPN / principal e-mail     alice@corp.test (also user:… serviceAccount:…)
 *     an ARN                                 arn:aws:iam::111111111111:user/alice
 *     an object id (GUID)                    0f5f197a-9a66-42cb-9597-39352ca2df19
 *     a name (IAM user, session, role, app)  alice.ito
 *     any of those qualified by provider or kind and optionally account:
 *         aws:alice.ito   aws:111111111111:alice.ito   aws.role:111111111111:Admin
 *     a GCP principal                        principal://iam.googleapis.com/…
 *
 * Statements apply in file order, a later one overriding an earlier one for
 * the identities both name. Limits: 16 MiB per file, 64 KiB per line, 1 KiB
 * per field, 1,000,000 statements; YAML anchors and aliases are refused.
 */
#ifndef KM_IDMAP_H
#define KM_IDMAP_H

#include "core/km.h"

enum km_idmap_op { KM_IDMAP_IS = 0, KM_IDMAP_NOT, KM_IDMAP_NAME };

/* How a reference compares (ref_kind). */
enum km_idref_kind {
    KM_IDREF_EMAIL = 0,   /* value: lower-case e-mail; the identity's e-mail or name */
    KM_IDREF_ARN,         /* value: an ARN; the identity's id or ARN */
    KM_IDREF_ID,          /* value: lower-case GUID; the identity's id */
    KM_IDREF_NAME,        /* value: a name; the identity's name, session or id */
    KM_IDREF_PRINCIPAL,   /* value: principal://…; the identity's id or name */
};

struct km_idmap_ent {
    int op;                  /* enum km_idmap_op */
    const char *person;      /* the person's e-mail, lower-case */
    const char *ref;         /* the identity as written (NAME: the display name) */
    const char *note;        /* "" when none */
    long line;               /* 1-based line in the file */
    /* the parsed reference (IS / NOT) */
    int ref_kind;            /* enum km_idref_kind */
    const char *provider;    /* "" any, else "aws", "azure", ... */
    int kind;                /* -1 any, else enum km_ident_kind */
    const char *account;     /* "" any */
    const char *value;       /* what is compared (see ref_kind) */
};

struct km_idmap {
    char path[512];
    const char *format;      /* "csv" or "yaml" */
    struct km_idmap_ent *ents;
    size_t n;
    struct km_arena a;       /* every string above */
};

/*
 * Parses text[0..n) as the map file `name` (its extension .yaml / .yml
 * chooses YAML, anything else CSV). Returns KM_OK, KM_EUSAGE (a bad line:
 * err names the file and line, err->line set), KM_ELIMIT, KM_ENOMEM. *out
 * is NULL after an error. Any bytes are safe.
 */
int km_idmap_parse(const char *name, const char *text, size_t n, struct km_idmap **out,
                   struct km_err *err);
/* Reads and parses a file: also KM_EIO (unreadable) and KM_ENOTFOUND
 * (missing). */
int km_idmap_load(const char *path, struct km_idmap **out, struct km_err *err);
void km_idmap_free(struct km_idmap *m);

/* Parses one identity reference (as in a map line) into e's ref_kind,
 * provider, kind, account and value (strings from a). Returns KM_OK or
 * KM_EUSAGE with a reason in why[0..whyn). */
int km_idmap_ref(const char *ref, size_t n, struct km_idmap_ent *e, struct km_arena *a,
                 char *why, size_t whyn);

#endif
