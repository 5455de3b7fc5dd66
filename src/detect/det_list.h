/*
 * det_list.h — one line per detection, in the order `kumo hunt --list` shows
 * them. Included by registry.c with KM_DET defined.
 */
KM_DET(logging_tampering)
KM_DET(credential_persistence)
KM_DET(privilege_grant)
KM_DET(exposure)
KM_DET(log_silence)
