/*
 * det_list.h — one line per detection, in the order `kumo hunt --list` shows
 * them. Included by registry.c with KM_DET defined.
 */
KM_DET(logging_tampering)
KM_DET(role_chain)
KM_DET(gcp_impersonation)
KM_DET(azure_role_assignment)
KM_DET(impossible_travel)
KM_DET(new_location)
KM_DET(password_spray)
KM_DET(brute_force)
KM_DET(leaked_key)
KM_DET(recon_burst)
KM_DET(credential_persistence)
KM_DET(privilege_grant)
KM_DET(exposure)
KM_DET(log_silence)
