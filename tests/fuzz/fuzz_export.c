/*
 * fuzz_export.c — libFuzzer target for the export formats and the event
 * description (src/cli/export.c, src/cli/describe.c).
 *
 * Input: 8 bytes of time (little-endian µs), 3 bytes of read_only / mfa /
 * severity, then the string fields in enum km_field order separated by 0x1f
 * (a missing one is absent). Every format must render; the JSON formats must
 * be one line of valid JSON; the description must be one line.
 */
#include "cli/describe.h"
#include "cli/export.h"
#include "json/json.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 11)
        return 0;
    struct km_event ev;
    km_event_init(&ev);
    int64_t t = 0;
    memcpy(&t, data, 8);
    ev.time_us = t;
    ev.read_only = (int8_t)(data[8] % 3) - 1;
    ev.mfa = (int8_t)(data[9] % 3) - 1;
    ev.severity = data[10] > 200 ? -1 : (int16_t)(data[10] % 101);
    ev.flags = data[10] & 0x0f;
    const char *p = (const char *)data + 11, *end = (const char *)data + size;
    for (int f = 0; f < KM_F__COUNT && p <= end; f++) {
        const char *q = memchr(p, 0x1f, (size_t)(end - p));
        if (!q)
            q = end;
        ev.f[f] = (struct km_str){p, (uint32_t)(q - p)};
        p = q + 1;
    }
    struct km_buf b;
    km_buf_init(&b, 0);
    if (km_describe_event(&ev, &b) != KM_OK || memchr(b.p ? b.p : "", '\n', b.n))
        abort();
    for (int fmt = 0; fmt < KM_EXPORT__COUNT; fmt++) {
        struct km_export x = {.fmt = (enum km_export_fmt)fmt};
        struct km_err err;
        km_err_clear(&err);
        b.n = 0;
        if (km_export_render(&x, &ev, &b, &err) != KM_OK || b.n == 0 || b.p[b.n - 1] != '\n')
            abort();
        if (fmt == KM_EXPORT_OCSF || fmt == KM_EXPORT_TIMESKETCH) {
            if (memchr(b.p, '\n', b.n) != b.p + b.n - 1)
                abort();
            struct km_arena a;
            km_arena_init(&a, 0, 0);
            struct km_json *root;
            if (km_json_parse(b.p, b.n - 1, NULL, &a, &root, &err) != KM_OK ||
                !km_json_is_obj(root))
                abort();
            km_arena_free(&a);
        }
    }
    km_buf_free(&b);
    return 0;
}
