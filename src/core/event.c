/*
 * event.c — the normalized event's field table and dedupe key.
 */
#include "core/event.h"

#include <string.h>
#include "core/hash.h"

const struct km_field_info km_fields[KM_F__COUNT] = {
    [KM_F_PROVIDER] = {"provider", KM_ENC_DICT, "cloud provider: aws, azure, gcp, m365, workspace"},
    [KM_F_SOURCE] = {"source", KM_ENC_DICT, "log type, e.g. aws.cloudtrail"},
    [KM_F_ACCOUNT] = {"account", KM_ENC_DICT, "AWS account, Azure tenant/subscription, GCP project"},
    [KM_F_REGION] = {"region", KM_ENC_DICT, "provider region"},
    [KM_F_ACTOR_TYPE] = {"actor.type", KM_ENC_DICT, "identity type as the provider names it"},
    [KM_F_ACTOR_ID] = {"actor.id", KM_ENC_DICT, "stable principal id"},
    [KM_F_ACTOR_NAME] = {"actor.name", KM_ENC_DICT, "human-readable principal name"},
    [KM_F_ACTOR_ARN] = {"actor.arn", KM_ENC_DICT, "principal ARN / resource id"},
    [KM_F_ACTOR_EMAIL] = {"actor.email", KM_ENC_DICT, "lower-cased e-mail or UPN: one person across clouds"},
    [KM_F_ACTOR_ACCESS_KEY] = {"actor.access_key", KM_ENC_DICT, "access key id used for the call"},
    [KM_F_ACTOR_SESSION_ISSUER] = {"actor.session_issuer", KM_ENC_DICT, "role or identity that issued the session"},
    [KM_F_SRC_IP] = {"src.ip", KM_ENC_DICT, "caller IP, canonical text; absent when not an IP"},
    [KM_F_SRC_RAW] = {"src.raw", KM_ENC_DICT, "caller address exactly as recorded"},
    [KM_F_USER_AGENT] = {"user_agent", KM_ENC_DICT, "client user agent"},
    [KM_F_CATEGORY] = {"category", KM_ENC_DICT, "authentication, api, account_change, config_change, finding"},
    [KM_F_SERVICE] = {"service", KM_ENC_DICT, "provider service, e.g. iam.amazonaws.com"},
    [KM_F_ACTION] = {"action", KM_ENC_DICT, "operation name, e.g. CreateUser"},
    [KM_F_OUTCOME] = {"outcome", KM_ENC_DICT, "success, failure, interrupted or unknown"},
    [KM_F_ERROR_CODE] = {"error.code", KM_ENC_DICT, "provider error code"},
    [KM_F_ERROR_MESSAGE] = {"error.message", KM_ENC_DICT, "provider error message"},
    [KM_F_EVENT_ID] = {"event_id", KM_ENC_PLAIN, "provider event id, or sha256:<hex> of the record"},
    [KM_F_EVENT_TYPE] = {"event_type", KM_ENC_DICT, "provider record type"},
    [KM_F_REQUEST_ID] = {"request_id", KM_ENC_RAW, "request or correlation id (from the raw record)"},
    [KM_F_SESSION_ID] = {"session_id", KM_ENC_DICT, "session id / credential creation time"},
    [KM_F_RESOURCES] = {"resources", KM_ENC_DICT, "JSON array of {type,id,name,account}"},
    [KM_F_RELATED] = {"related", KM_ENC_DICT, "JSON array of event ids this record links to"},
    [KM_F_SRC_COUNTRY] = {"src.geo.country", KM_ENC_DICT,
                          "caller country, ISO 3166-1 alpha-2 (provider's geolocation)"},
    [KM_F_SRC_CITY] = {"src.geo.city", KM_ENC_DICT, "caller city (provider's geolocation)"},
};

int km_field_lookup(const char *name, size_t n)
{
    for (int i = 0; i < KM_F__COUNT; i++)
        if (strlen(km_fields[i].name) == n && memcmp(km_fields[i].name, name, n) == 0)
            return i;
    return -1;
}

void km_event_init(struct km_event *ev)
{
    memset(ev, 0, sizeof *ev);
    ev->read_only = -1;
    ev->mfa = -1;
    ev->severity = -1;
}

void km_event_key(struct km_event *ev)
{
    ev->flags &= (uint16_t)~KM_EV_ID_IN_KEY;
    struct km_str id0 = ev->f[KM_F_EVENT_ID];
    int u = id0.p ? km_uuid_parse(id0.p, id0.n, ev->key) : 0;
    if (u) {
        /* the store keeps a lower-case UUID id only as the key */
        if (u == 2)
            ev->flags |= KM_EV_ID_IN_KEY;
        return;
    }
    struct km_sha256 c;
    uint8_t md[32];
    struct km_str p = ev->f[KM_F_PROVIDER], s = ev->f[KM_F_SOURCE], id = ev->f[KM_F_EVENT_ID];
    km_sha256_init(&c);
    km_sha256_update(&c, p.p ? p.p : "", p.n);
    km_sha256_update(&c, "", 1);
    km_sha256_update(&c, s.p ? s.p : "", s.n);
    km_sha256_update(&c, "", 1);
    km_sha256_update(&c, id.p ? id.p : "", id.n);
    km_sha256_final(&c, md);
    memcpy(ev->key, md, 16);
}
