/*
 * registry.c — the one table of detections (detect.h). Adding a detection:
 * src/detect/det_NAME.c exporting km_det_NAME and km_det_conf_NAME, one row
 * in det_list.h (which also lists the settings table), docs/detections/<id>.md.
 */
#include "detect/detect.h"

#include <string.h>

#define KM_DET(name) extern const struct km_detection km_det_##name;
#include "detect/det_list.h"
#undef KM_DET

const struct km_detection *const km_detections[] = {
#define KM_DET(name) &km_det_##name,
#include "detect/det_list.h"
#undef KM_DET
};
const int km_ndetections = (int)(sizeof km_detections / sizeof km_detections[0]);

const struct km_detection *km_detection_find(const char *id)
{
    for (int i = 0; i < km_ndetections; i++)
        if (strcmp(km_detections[i]->id, id) == 0)
            return km_detections[i];
    return NULL;
}
