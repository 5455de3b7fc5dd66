/*
 * entra_codes.h — what a Microsoft Entra ID sign-in result code means to an
 * investigator: the one table of AADSTS codes kumo classifies, each with its
 * class, Microsoft's error name, a short description and the sources the
 * classification rests on, and the lookups over it (entra_codes.c).
 *
 * Entra writes the code as `status.errorCode` (Graph, diagnostic settings),
 * `resultType` / `ResultType` (diagnostic envelope, Log Analytics), "Sign-in
 * error code" (portal CSV) and `ErrorNumber` (Microsoft 365 unified audit
 * log, whose `LogonError` carries the error name instead). 0 is success;
 * every other code is a step the sign-in did not pass — but not every one is
 * a failure. The Entra admin center shows three statuses, Success, Failure
 * and *Interrupted*: an interrupt (MFA prompt, "Stay signed in?", security
 * info registration, ...) is a step of a sign-in that can still succeed, and
 * counting it as a failure makes every MFA user look like a brute-force
 * victim. docs/sources/entra.md explains each decision.
 *
 * Classes and the normalized `outcome` they give:
 *
 *   class        outcome      meaning
 *   success      success      code 0
 *   credential   failure      a credential was wrong, unknown or expired (the
 *                             attempts password spray and brute force count)
 *   lockout      failure      Smart Lockout (or a malicious-IP block) refused it
 *   blocked      failure      policy or account state refused it (Conditional
 *                             Access, risk, disabled account, app assignment)
 *   mfa          failure      the second factor failed or was denied
 *   token        failure      a token, session or flow had expired or was revoked
 *   interrupted  interrupted  a step of a sign-in that can still succeed
 *   other        failure      anything else, and every code not in the table
 *
 * `first_factor` is 1 when Entra returns the code only after it accepted the
 * presented primary credential (password, refresh token, client secret):
 * Conditional Access and MFA requirements are evaluated after the first
 * factor, an expired password was the right one. Such a code from an
 * attacker's address names an identity whose credential the attacker holds.
 *
 * Sources (KM_ENTRA_REF_*): Microsoft's error-code reference, its Conditional
 * Access and sign-in log pages, and the published rules of Microsoft Sentinel
 * and Elastic (../shared/reference/detections.md). A row cites them in its
 * `source` column; tests/unit/test_entra.c fails when one has none.
 */
#ifndef KM_ENTRA_CODES_H
#define KM_ENTRA_CODES_H

#include <stddef.h>
#include <stdint.h>

enum km_entra_class {
    KM_ENTRA_CODE_SUCCESS = 0,
    KM_ENTRA_CODE_CREDENTIAL,
    KM_ENTRA_CODE_LOCKOUT,
    KM_ENTRA_CODE_BLOCKED,
    KM_ENTRA_CODE_MFA,
    KM_ENTRA_CODE_TOKEN,
    KM_ENTRA_CODE_INTERRUPTED,
    KM_ENTRA_CODE_OTHER,
    KM_ENTRA_CODE__COUNT
};

/* ---- references ---------------------------------------------------------------- */

/* Microsoft Entra authentication and authorization error codes (source:
 * MicrosoftDocs/entra-docs docs/identity-platform/reference-error-codes.md) */
#define KM_ENTRA_REF_MS "learn.microsoft.com/entra/identity-platform/reference-error-codes"
/* the 2019-2021 text of the same page (codes since re-described) */
#define KM_ENTRA_REF_MS_OLD "docs.microsoft.com/azure/active-directory/develop/reference-aadsts-error-codes"
/* Microsoft's error lookup, for codes the reference table does not list */
#define KM_ENTRA_REF_LOOKUP "login.microsoftonline.com/error"
/* signInStatus: errorCode 0 is success */
#define KM_ENTRA_REF_GRAPH "learn.microsoft.com/graph/api/resources/signinstatus"
/* "Conditional Access policies are enforced after first-factor
 * authentication is completed" */
#define KM_ENTRA_REF_CA "learn.microsoft.com/entra/identity/conditional-access/overview"
/* Sentinel password spray: failureCodes [50053, 50126, 50055]; successCodes
 * (codes that are not a password failure) [0, 50055, 50057, 50155, 50105,
 * 50133, 50005, 50076, 50079, 50173, 50158, 50072, 50074, 53003, 53000,
 * 53001, 50129] */
#define KM_ENTRA_REF_SENT_SPRAY \
    "Azure/Azure-Sentinel Solutions/Microsoft Entra ID/Analytic Rules/SigninPasswordSpray.yaml"
/* Sentinel Azure portal brute force: success = 0, 50125, 50140, 70043, 70044 */
#define KM_ENTRA_REF_SENT_PORTAL \
    "Azure/Azure-Sentinel Solutions/Microsoft Entra ID/Analytic Rules/SigninBruteForce-AzurePortal.yaml"
/* Sentinel distributed password cracking: 50126, 50053, 50055, 50056 */
#define KM_ENTRA_REF_SENT_DIST \
    "Azure/Azure-Sentinel Solutions/Microsoft Entra ID/Analytic Rules/DistribPassCrackAttempt.yaml"
/* Elastic Entra brute force: the ~20 failure codes it counts (50053 dropped) */
#define KM_ENTRA_REF_ELASTIC_BF \
    "elastic/detection-rules rules/integrations/azure/credential_access_entra_id_brute_force_activity.toml"
/* Elastic M365 brute force: LogonError values it excludes as interrupts */
#define KM_ENTRA_REF_ELASTIC_M365 \
    "elastic/detection-rules rules/integrations/o365/credential_access_entra_id_potential_user_account_brute_force.toml"
/* Elastic M365 excessive SSO errors: SsoArtifactInvalidOrExpired */
#define KM_ENTRA_REF_ELASTIC_SSO \
    "elastic/detection-rules rules/integrations/o365/credential_access_entra_id_user_excessive_sso_logon_errors.toml"
/* Panther excessive account lockouts: errorCode 50053 */
#define KM_ENTRA_REF_PANTHER_LOCK \
    "panther-labs/panther-analysis rules/azure_signin_rules/azure_excessive_account_lockouts.py"

/* ---- the table ------------------------------------------------------------------- */

/*
 * X(code, CLASS, first_factor, name, text, source), ascending by code.
 * name: Microsoft's error name (the M365 `LogonError` value), "" when the
 * reference gives none. text: kumo's short description.
 */
#define KM_ENTRA_S "; "
#define KM_ENTRA_CODES(X)                                                                          \
    X(0, SUCCESS, 1, "", "sign-in succeeded", KM_ENTRA_REF_GRAPH)                                  \
    X(16000, INTERRUPTED, 0, "InteractionRequired",                                                \
      "account selection or another interaction is needed before the sign-in goes on",            \
      KM_ENTRA_REF_MS_OLD " (an interrupt thrown to let the user pick a session)" KM_ENTRA_S      \
          KM_ENTRA_REF_MS)                                                                         \
    X(50005, BLOCKED, 1, "DevicePolicyError",                                                      \
      "device platform not allowed by a Conditional Access policy",                               \
      KM_ENTRA_REF_MS KM_ENTRA_S KM_ENTRA_REF_CA KM_ENTRA_S KM_ENTRA_REF_SENT_SPRAY)              \
    X(50034, CREDENTIAL, 0, "UserAccountNotFound",                                                 \
      "no such user in the directory (mistyped or guessed name)",                                 \
      KM_ENTRA_REF_MS KM_ENTRA_S KM_ENTRA_REF_ELASTIC_BF)                                          \
    X(50053, LOCKOUT, 0, "IdsLocked",                                                              \
      "account locked after repeated bad passwords, or sign-in from a malicious address",        \
      KM_ENTRA_REF_MS KM_ENTRA_S KM_ENTRA_REF_SENT_SPRAY KM_ENTRA_S KM_ENTRA_REF_PANTHER_LOCK)     \
    X(50055, CREDENTIAL, 1, "InvalidPasswordExpiredPassword",                                      \
      "the password is right but has expired",                                                    \
      KM_ENTRA_REF_MS KM_ENTRA_S KM_ENTRA_REF_SENT_SPRAY KM_ENTRA_S KM_ENTRA_REF_ELASTIC_BF)      \
    X(50056, CREDENTIAL, 0, "", "invalid or empty password (none stored for the user)",           \
      KM_ENTRA_REF_MS KM_ENTRA_S KM_ENTRA_REF_SENT_DIST KM_ENTRA_S KM_ENTRA_REF_ELASTIC_BF)        \
    X(50057, BLOCKED, 0, "UserDisabled", "the account is disabled",                               \
      KM_ENTRA_REF_MS KM_ENTRA_S KM_ENTRA_REF_SENT_SPRAY " (not a password failure)")              \
    X(50058, INTERRUPTED, 0, "UserInformationNotProvided",                                         \
      "no sign-in session yet for a silent sign-in; the app then asks the user",                  \
      KM_ENTRA_REF_MS " (expected while the user has not signed in)")                             \
    X(50064, CREDENTIAL, 0, "CredentialAuthenticationError",                                       \
      "username or password validation failed",                                                   \
      KM_ENTRA_REF_MS KM_ENTRA_S KM_ENTRA_REF_ELASTIC_BF)                                          \
    X(50072, INTERRUPTED, 1, "UserStrongAuthEnrollmentRequiredInterrupt",                          \
      "the user must register for MFA before going on",                                           \
      KM_ENTRA_REF_MS KM_ENTRA_S KM_ENTRA_REF_CA KM_ENTRA_S KM_ENTRA_REF_SENT_SPRAY)               \
    X(50074, INTERRUPTED, 1, "UserStrongAuthClientAuthNRequiredInterrupt",                         \
      "strong authentication (MFA) is required: the prompt step",                                 \
      KM_ENTRA_REF_MS KM_ENTRA_S KM_ENTRA_REF_CA KM_ENTRA_S KM_ENTRA_REF_SENT_SPRAY)               \
    X(50076, INTERRUPTED, 1, "UserStrongAuthClientAuthNRequired",                                  \
      "MFA is required (policy, per-user MFA or a new location); retry with MFA",                 \
      KM_ENTRA_REF_MS KM_ENTRA_S KM_ENTRA_REF_CA KM_ENTRA_S KM_ENTRA_REF_SENT_SPRAY)               \
    X(50078, INTERRUPTED, 0, "UserStrongAuthExpired",                                              \
      "the earlier MFA has expired; MFA again",                                                   \
      KM_ENTRA_REF_MS KM_ENTRA_S KM_ENTRA_REF_ELASTIC_M365)                                        \
    X(50079, INTERRUPTED, 1, "UserStrongAuthEnrollmentRequired",                                   \
      "MFA registration is required before going on",                                             \
      KM_ENTRA_REF_MS KM_ENTRA_S KM_ENTRA_REF_CA KM_ENTRA_S KM_ENTRA_REF_SENT_SPRAY)               \
    X(50089, TOKEN, 0, "", "the sign-in flow token expired (the page was left too long)",          \
      KM_ENTRA_REF_MS)                                                                             \
    X(50097, INTERRUPTED, 0, "DeviceAuthenticationRequired", "device authentication is required", \
      KM_ENTRA_REF_MS)                                                                             \
    X(50105, BLOCKED, 1, "EntitlementGrantsNotFound",                                              \
      "the user is not assigned to the application",                                              \
      KM_ENTRA_REF_MS KM_ENTRA_S KM_ENTRA_REF_SENT_SPRAY)                                          \
    X(50125, INTERRUPTED, 0, "PasswordResetRegistrationRequiredInterrupt",                         \
      "password reset or security-info registration step",                                        \
      KM_ENTRA_REF_MS KM_ENTRA_S KM_ENTRA_REF_SENT_PORTAL KM_ENTRA_S KM_ENTRA_REF_ELASTIC_M365)    \
    X(50126, CREDENTIAL, 0, "InvalidUserNameOrPassword", "wrong username or password",            \
      KM_ENTRA_REF_MS KM_ENTRA_S KM_ENTRA_REF_SENT_SPRAY KM_ENTRA_S KM_ENTRA_REF_ELASTIC_BF)      \
    X(50129, INTERRUPTED, 1, "DeviceIsNotWorkplaceJoined",                                         \
      "the device must be workplace-joined (registration step)",                                  \
      KM_ENTRA_REF_MS KM_ENTRA_S KM_ENTRA_REF_CA KM_ENTRA_S KM_ENTRA_REF_SENT_SPRAY)               \
    X(50131, BLOCKED, 1, "ConditionalAccessFailed",                                                \
      "refused by Conditional Access (device state, suspicious activity, policy)",                \
      KM_ENTRA_REF_MS KM_ENTRA_S KM_ENTRA_REF_CA)                                                  \
    X(50132, TOKEN, 0, "SsoArtifactInvalidOrExpired",                                              \
      "session no longer valid after a password change or expiry",                               \
      KM_ENTRA_REF_MS KM_ENTRA_S KM_ENTRA_REF_ELASTIC_SSO)                                         \
    X(50133, TOKEN, 0, "SsoArtifactRevoked", "session revoked after a password change or expiry", \
      KM_ENTRA_REF_MS KM_ENTRA_S KM_ENTRA_REF_SENT_SPRAY)                                          \
    X(50135, INTERRUPTED, 1, "PasswordChangeCompromisedPassword",                                  \
      "the user must change the password because of account risk",                               \
      KM_ENTRA_REF_MS KM_ENTRA_S KM_ENTRA_REF_ELASTIC_BF)                                          \
    X(50140, INTERRUPTED, 1, "KmsiInterrupt", "the \"Stay signed in?\" prompt",                   \
      KM_ENTRA_REF_MS " (an expected part of the sign-in flow)" KM_ENTRA_S                        \
          KM_ENTRA_REF_SENT_PORTAL)                                                                \
    X(50142, INTERRUPTED, 1, "PasswordChangeRequiredConditionalAccess",                            \
      "a Conditional Access policy requires a password change",                                   \
      KM_ENTRA_REF_ELASTIC_BF KM_ENTRA_S KM_ENTRA_REF_CA)                                          \
    X(50144, CREDENTIAL, 1, "InvalidPasswordExpiredOnPremPassword",                                \
      "the on-premises AD password is right but has expired",                                    \
      KM_ENTRA_REF_MS KM_ENTRA_S KM_ENTRA_REF_ELASTIC_BF)                                          \
    X(50155, OTHER, 1, "DeviceAuthenticationFailed", "device authentication failed",              \
      KM_ENTRA_REF_MS KM_ENTRA_S KM_ENTRA_REF_SENT_SPRAY)                                          \
    X(50158, INTERRUPTED, 1, "ExternalSecurityChallenge",                                          \
      "an external security challenge (third-party MFA, custom control) is pending",             \
      KM_ENTRA_REF_MS KM_ENTRA_S KM_ENTRA_REF_CA KM_ENTRA_S KM_ENTRA_REF_SENT_SPRAY)               \
    X(50168, INTERRUPTED, 0, "ChromeBrowserSsoInterruptRequired",                                  \
      "the browser must supply its single-sign-on token (interrupt)", KM_ENTRA_REF_MS)             \
    X(50173, TOKEN, 0, "FreshTokenNeeded",                                                         \
      "grant revoked (password change or revocation); sign in again",                             \
      KM_ENTRA_REF_MS KM_ENTRA_S KM_ENTRA_REF_SENT_SPRAY)                                          \
    X(50199, INTERRUPTED, 0, "CmsiInterrupt",                                                      \
      "the user confirms the app in a mobile browser (interrupt)",                                \
      KM_ENTRA_REF_MS KM_ENTRA_S KM_ENTRA_REF_ELASTIC_M365)                                        \
    X(53000, BLOCKED, 1, "DeviceNotCompliant",                                                     \
      "Conditional Access requires a compliant device",                                           \
      KM_ENTRA_REF_MS KM_ENTRA_S KM_ENTRA_REF_CA KM_ENTRA_S KM_ENTRA_REF_SENT_SPRAY)               \
    X(53001, BLOCKED, 1, "DeviceNotDomainJoined",                                                  \
      "Conditional Access requires a domain-joined device",                                       \
      KM_ENTRA_REF_MS KM_ENTRA_S KM_ENTRA_REF_CA KM_ENTRA_S KM_ENTRA_REF_SENT_SPRAY)               \
    X(53002, BLOCKED, 1, "ApplicationUsedIsNotAnApprovedApp",                                      \
      "Conditional Access requires an approved client app",                                       \
      KM_ENTRA_REF_MS KM_ENTRA_S KM_ENTRA_REF_CA)                                                  \
    X(53003, BLOCKED, 1, "BlockedByConditionalAccess", "blocked by a Conditional Access policy",  \
      KM_ENTRA_REF_MS KM_ENTRA_S KM_ENTRA_REF_CA KM_ENTRA_S KM_ENTRA_REF_SENT_SPRAY)               \
    X(53004, BLOCKED, 1, "ProofUpBlockedDueToRisk",                                                \
      "MFA registration refused because of risk", KM_ENTRA_REF_MS)                                 \
    X(53011, BLOCKED, 0, "", "blocked because of risk in the user's home tenant", KM_ENTRA_REF_MS) \
    X(65001, INTERRUPTED, 0, "DelegationDoesNotExist",                                             \
      "consent to the application is needed (consent prompt)", KM_ENTRA_REF_MS)                    \
    X(65004, OTHER, 0, "UserDeclinedConsent", "the user declined consent", KM_ENTRA_REF_MS)        \
    X(70000, TOKEN, 0, "InvalidGrant", "the refresh token is not valid",                          \
      KM_ENTRA_REF_MS KM_ENTRA_S KM_ENTRA_REF_ELASTIC_BF)                                          \
    X(70002, CREDENTIAL, 0, "InvalidClient", "wrong client secret (an application credential)",   \
      KM_ENTRA_REF_MS)                                                                             \
    X(70008, TOKEN, 0, "ExpiredOrRevokedGrant", "the refresh token expired or was revoked",       \
      KM_ENTRA_REF_MS KM_ENTRA_S KM_ENTRA_REF_ELASTIC_BF)                                          \
    X(70043, TOKEN, 0, "BadTokenDueToSignInFrequency",                                             \
      "refresh token too old for a Conditional Access sign-in frequency policy",                  \
      KM_ENTRA_REF_MS KM_ENTRA_S KM_ENTRA_REF_SENT_PORTAL)                                         \
    X(70044, TOKEN, 0, "",                                                                         \
      "session expired under a Conditional Access sign-in frequency policy",                      \
      KM_ENTRA_REF_LOOKUP "?code=70044" KM_ENTRA_S KM_ENTRA_REF_SENT_PORTAL)                       \
    X(81010, INTERRUPTED, 0, "DesktopSsoAuthTokenInvalid",                                         \
      "Seamless SSO Kerberos ticket expired or invalid; another method follows",                  \
      KM_ENTRA_REF_MS)                                                                             \
    X(90095, INTERRUPTED, 0, "AdminConsentRequiredRequestAccess",                                  \
      "admin consent needed: the user is offered to request it (interrupt)", KM_ENTRA_REF_MS)      \
    X(120000, CREDENTIAL, 0, "PasswordChangeIncorrectCurrentPassword",                             \
      "wrong current password in a password change",                                              \
      KM_ENTRA_REF_MS KM_ENTRA_S KM_ENTRA_REF_ELASTIC_BF)                                          \
    X(120002, OTHER, 0, "PasswordChangeInvalidNewPasswordWeak",                                    \
      "password change refused: the new password is too weak",                                    \
      KM_ENTRA_REF_MS KM_ENTRA_S KM_ENTRA_REF_ELASTIC_BF)                                          \
    X(120020, OTHER, 0, "PasswordChangeFailure", "password change failed",                        \
      KM_ENTRA_REF_MS KM_ENTRA_S KM_ENTRA_REF_ELASTIC_BF)                                          \
    X(500121, MFA, 1, "", "the second factor failed, was denied or timed out",                    \
      KM_ENTRA_REF_LOOKUP "?code=500121" KM_ENTRA_S KM_ENTRA_REF_CA)                               \
    X(530032, BLOCKED, 0, "BlockedByConditionalAccessOnSecurityPolicy",                            \
      "blocked by a tenant security policy", KM_ENTRA_REF_MS)                                      \
    X(530035, BLOCKED, 0, "BlockedBySecurityDefaults", "blocked by security defaults",            \
      KM_ENTRA_REF_MS)                                                                             \
    X(700082, TOKEN, 0, "ExpiredOrRevokedGrantInactiveToken",                                      \
      "the refresh token expired after inactivity", KM_ENTRA_REF_MS)                               \
    X(700084, TOKEN, 0, "", "a single-page app's refresh token reached its fixed lifetime",       \
      KM_ENTRA_REF_MS)                                                                             \
    X(7000215, CREDENTIAL, 0, "", "invalid client secret (an application credential)",            \
      KM_ENTRA_REF_MS)                                                                             \
    X(7000222, CREDENTIAL, 1, "InvalidClientSecretExpiredKeysProvided",                            \
      "the client secret is right but has expired", KM_ENTRA_REF_MS)

/* ---- lookups ------------------------------------------------------------------------ */

/* One row of the table. */
struct km_entra_code {
    long code;
    uint8_t cls;              /* enum km_entra_class */
    uint8_t first_factor;     /* 1: returned only after the primary credential was accepted */
    const char *name;         /* Microsoft's error name, "" when none */
    const char *text;         /* short description */
    const char *source;       /* references, "; "-separated */
};

/* The table, ascending by code (static storage; km_entra_ncodes rows). */
extern const struct km_entra_code km_entra_codes[];
extern const size_t km_entra_ncodes;

/* The row of `code`, or NULL when the table does not list it. */
const struct km_entra_code *km_entra_code_find(long code);

/* The class of a sign-in result code (enum km_entra_class): the table's,
 * KM_ENTRA_CODE_SUCCESS for 0, KM_ENTRA_CODE_OTHER for any other code it
 * does not list. Example: km_entra_code_class(50126) == KM_ENTRA_CODE_CREDENTIAL,
 * km_entra_code_class(50074) == KM_ENTRA_CODE_INTERRUPTED. */
int km_entra_code_class(long code);

/* The short description of a code (static text), or NULL when not listed. */
const char *km_entra_code_text(long code);

/* 1 when Entra returns `code` only after accepting the presented primary
 * credential (see above); 0 otherwise and for unlisted codes. */
int km_entra_code_first_factor(long code);

/* The code whose Microsoft error name is s[0..n) (case-insensitive; the
 * M365 audit log's LogonError, e.g. "InvalidUserNameOrPassword" -> 50126),
 * or -1 when no row has that name. */
long km_entra_code_by_name(const char *s, size_t n);

/* The code written as text: decimal digits, optionally a leading '-', at
 * most 9 digits. Returns 1 and sets *code, else 0 ("Failure", "", 50126.0). */
int km_entra_code_parse(const char *s, size_t n, long *code);

/* "success", "credential", "lockout", "blocked", "mfa", "token",
 * "interrupted", "other"; "other" for an out-of-range value. */
const char *km_entra_class_name(int cls);

/* The normalized outcome of a class: "success", "interrupted" or "failure". */
const char *km_entra_class_outcome(int cls);

#endif
