/*
 * event.h — the normalized event: one shape for every provider's records.
 *
 * Every string field is a km_str view into memory owned by whoever produced
 * the event (a source module's arena, or a store reader's buffers). Absent
 * fields have p == NULL. The field table km_fields[] (event.c) gives each
 * field its dotted name, as used by the CLI, the query language and
 * docs/schema.md, and tells the store how to encode it.
 *
 * Required: time_us, provider, source, raw. Everything else is optional.
 */
#ifndef KM_EVENT_H
#define KM_EVENT_H

#include "core/km.h"

enum km_field {
    KM_F_PROVIDER = 0,       /* aws, azure, gcp, m365, workspace */
    KM_F_SOURCE,             /* aws.cloudtrail, azure.signin, ... */
    KM_F_ACCOUNT,            /* AWS account, Azure tenant/subscription, GCP project */
    KM_F_REGION,
    KM_F_ACTOR_TYPE,
    KM_F_ACTOR_ID,
    KM_F_ACTOR_NAME,
    KM_F_ACTOR_ARN,
    KM_F_ACTOR_EMAIL,        /* lower-cased e-mail / UPN: the cross-cloud person key */
    KM_F_ACTOR_ACCESS_KEY,
    KM_F_ACTOR_SESSION_ISSUER,
    KM_F_SRC_IP,             /* canonical IP text; absent when the value is not an IP */
    KM_F_SRC_RAW,            /* the source address exactly as the record gave it */
    KM_F_USER_AGENT,
    KM_F_CATEGORY,           /* authentication, api, account_change, config_change, finding */
    KM_F_SERVICE,
    KM_F_ACTION,
    KM_F_OUTCOME,            /* success, failure, interrupted (Entra sign-in steps), unknown */
    KM_F_ERROR_CODE,
    KM_F_ERROR_MESSAGE,
    KM_F_EVENT_ID,           /* provider id, or "sha256:<hex>" content hash */
    KM_F_EVENT_TYPE,         /* provider's record type (CloudTrail eventType, ...) */
    KM_F_REQUEST_ID,
    KM_F_SESSION_ID,
    KM_F_RESOURCES,          /* compact JSON array of {"type","id","name","account"} */
    KM_F_RELATED,            /* compact JSON array of event ids this record links to
                                (AWS Config relatedEvents -> CloudTrail eventID) */
    KM_F_SRC_COUNTRY,        /* caller's country: ISO 3166-1 alpha-2, upper-case, when the
                                provider gives a code (else its name as given) */
    KM_F_SRC_CITY,           /* caller's city as the provider names it */
    KM_F__COUNT
};

/* How the store keeps a field: dictionary-coded per segment, plain (high
 * cardinality), or not at all (KM_ENC_RAW: derived from the raw record on
 * demand, e.g. by `kumo show`, because it is pure entropy that no pivot needs
 * and would cost more than the rest of the event). */
enum km_enc { KM_ENC_DICT = 0, KM_ENC_PLAIN = 1, KM_ENC_RAW = 2 };

struct km_field_info {
    const char *name;        /* dotted name: "actor.name" */
    uint8_t enc;             /* enum km_enc */
    const char *desc;        /* one line for help and docs */
};
extern const struct km_field_info km_fields[KM_F__COUNT];
/* Returns the field index for a dotted name, or -1. */
int km_field_lookup(const char *name, size_t n);

/* Event flags */
#define KM_EV_TIME_FALLBACK  0x0001u  /* time came from a fallback field */
#define KM_EV_TIME_MISSING   0x0002u  /* no usable timestamp at all (time_us = 0) */
#define KM_EV_ID_SYNTH       0x0004u  /* event_id is a content hash */
#define KM_EV_TYPE_PROBLEM   0x0008u  /* a field had an unexpected type; normalized as far as possible */
#define KM_EV_ID_IN_KEY      0x8000u  /* event_id is the key's lower-case UUID text (set by
                                         km_event_key; the store then keeps no id text) */

/* Where the original bytes are: object (catalog evidence id), offset and
 * length within that object's decoded byte stream. */
struct km_rawref {
    uint64_t object;
    uint64_t offset;
    uint32_t length;
};

struct km_event {
    int64_t time_us;         /* UTC microseconds since 1970 */
    int8_t read_only;        /* 1, 0, or -1 unknown */
    int8_t mfa;              /* actor.mfa: 1, 0, or -1 unknown */
    int16_t severity;        /* findings: 0..100, -1 none */
    uint16_t flags;          /* KM_EV_* */
    uint8_t key[16];         /* dedupe key: see km_event_key() */
    struct km_str f[KM_F__COUNT];
    struct km_rawref raw;
};

/* Resets every field to absent / unknown. */
void km_event_init(struct km_event *ev);

/* Computes ev->key from provider, source and event_id: a canonical UUID event
 * id gives its 16 bytes (and sets KM_EV_ID_IN_KEY when it is lower-case); any
 * other id gives the first 16 bytes of SHA-256("provider\0source\0event_id").
 * event_id must be set. */
void km_event_key(struct km_event *ev);

#endif
