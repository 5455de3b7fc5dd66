/*
 * conf_list.h — one line per detection whose settings table
 * (km_det_conf_NAME, declared in det_NAME.c) the configuration knows.
 * Included twice by core/conf_keys.c with KM_DET_CONF defined.
 */
