/*
 * conf_keys.c — every setting kumo reads from its configuration file, and
 * the one list of tables (km_conf_tables) that km_conf_lookup searches.
 * A module's settings live in its own table; a detection's in its
 * descriptor (detect/detect.h) and listed here.
 */
#include "core/conf.h"

#include <stddef.h>

static const struct km_conf_key identity_keys[] = {
    {"identity.domains", KM_CONF_LIST, "",
     "the organisation's e-mail domains; empty: the domains of the tenant's own UPNs"},
    {"identity.map", KM_CONF_STR, "identities.csv",
     "identity-map file (CSV or YAML; relative to the store); overrides every rule"},
    {"identity.local_part", KM_CONF_BOOL, "true",
     "link an IAM user / session name to the person whose e-mail local part it equals"},
    {NULL, 0, NULL, NULL},
};

static const struct km_conf_key geo_keys[] = {
    {"geo.mmdb", KM_CONF_LIST, "", "MMDB files (GeoLite2 / DB-IP City, Country, ASN), asked in order"},
    {"geo.builtin", KM_CONF_STR, "",
     "the built-in offline database (kumo-geo.kgeo); empty: found next to the kumo binary"},
    {NULL, 0, NULL, NULL},
};

static const struct km_conf_key allow_keys[] = {
    {"allow.networks", KM_CONF_LIST, "",
     "CIDRs never treated as attackers: office ranges, VPN egress (e.g. 198.51.100.0/24)"},
    {"allow.vpn_networks", KM_CONF_LIST, "",
     "VPN / relay egress CIDRs: impossible travel through them is downgraded to info"},
    {"allow.identities", KM_CONF_LIST, "",
     "identities (user names, UPNs, ARNs) whose activity is expected: break-glass, automation"},
    {"allow.user_agents", KM_CONF_LIST, "",
     "user-agent substrings of expected automation (e.g. Terraform/, PKeyAuth/1.0)"},
    {"allow.asns", KM_CONF_LIST, "",
     "AS numbers whose sign-in failures are infrastructure noise (e.g. 8075 Microsoft)"},
    {NULL, 0, NULL, NULL},
};

static const struct km_conf_key incident_keys[] = {
    {"incident.gap", KM_CONF_DUR, "24h",
     "findings sharing an entity and at most this far apart join one incident"},
    {"incident.min_severity", KM_CONF_STR, "medium",
     "findings below this severity do not start or join incidents"},
    {NULL, 0, NULL, NULL},
};

/* Detection tables (detect/det_*.c): one per row of detect/det_list.h. */
#define KM_DET(name) extern const struct km_conf_key km_det_conf_##name[];
#include "detect/det_list.h"
#undef KM_DET

const struct km_conf_key *const km_conf_tables[] = {
    identity_keys, geo_keys, allow_keys, incident_keys,
#define KM_DET(name) km_det_conf_##name,
#include "detect/det_list.h"
#undef KM_DET
    NULL,
};
