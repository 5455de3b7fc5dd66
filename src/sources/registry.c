/*
 * registry.c — the one table of source modules, and detection across them.
 */
#include "sources/source.h"

extern const struct km_source km_source_cloudtrail;
extern const struct km_source km_source_cloudtrail_digest;
extern const struct km_source km_source_entra_signin;
extern const struct km_source km_source_entra_audit;
extern const struct km_source km_source_entra_risk;
/* @externs-entra */
extern const struct km_source km_source_azure_activity;
extern const struct km_source km_source_azure_resource;
extern const struct km_source km_source_m365_audit;
extern const struct km_source km_source_m365_defender;
extern const struct km_source km_source_windows_eventlog;
/* @externs-azure-activity */
extern const struct km_source km_source_gcp_audit;
extern const struct km_source km_source_gcp_audit_activity;
extern const struct km_source km_source_gcp_audit_data_access;
extern const struct km_source km_source_gcp_audit_system_event;
extern const struct km_source km_source_gcp_audit_policy;
extern const struct km_source km_source_gcp_access_transparency;
extern const struct km_source km_source_gcp_logging;
extern const struct km_source km_source_workspace_login;
/* @externs-gcp */
extern const struct km_source km_source_aws_config;
extern const struct km_source km_source_aws_securityhub;
extern const struct km_source km_source_aws_guardduty;
/* @externs-aws-findings */
extern const struct km_source km_source_kumo_truth;

const struct km_source *const km_sources[] = {
    &km_source_cloudtrail,
    &km_source_cloudtrail_digest,
    &km_source_entra_signin,
    &km_source_entra_audit,
    &km_source_entra_risk,
    /* @rows-entra */
    &km_source_azure_activity,
    &km_source_azure_resource,
    &km_source_m365_audit,
    &km_source_m365_defender,
    &km_source_windows_eventlog,
    /* @rows-azure-activity */
    &km_source_gcp_audit,
    &km_source_gcp_audit_activity,
    &km_source_gcp_audit_data_access,
    &km_source_gcp_audit_system_event,
    &km_source_gcp_audit_policy,
    &km_source_gcp_access_transparency,
    &km_source_gcp_logging,
    &km_source_workspace_login,
    /* @rows-gcp */
    &km_source_aws_config,
    &km_source_aws_securityhub,
    &km_source_aws_guardduty,
    /* @rows-aws-findings */
    &km_source_kumo_truth,
};
const int km_nsources = (int)(sizeof km_sources / sizeof km_sources[0]);

const struct km_source *km_source_detect(const struct km_json *rec, const char *wrapper,
                                         const struct km_source *hint)
{
    if (hint && hint->detect(rec, wrapper) >= 50)
        return hint;
    const struct km_source *best = NULL;
    int best_score = 0;
    for (int i = 0; i < km_nsources; i++) {
        int s = km_sources[i]->detect(rec, wrapper);
        if (s > best_score) {
            best_score = s;
            best = km_sources[i];
        }
    }
    return best;
}
