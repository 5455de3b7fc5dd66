/*
 * fuzz_timeparse.c — libFuzzer target for km_time_parse / km_time_fmt.
 *
 * Any accepted input must format to text that parses back to the same
 * microsecond value (the formatter's output is always an accepted form), and
 * the formatted text must fit the documented 32-byte buffer.
 */
#include <stdlib.h>
#include <string.h>
#include "core/km.h"
#include "core/timeparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size ? size : 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    int64_t us = 0, back = 0;
    if (km_time_parse(s, size, &us) == KM_OK) {
        char out[32];
        km_time_fmt(us, out);
        size_t n = strnlen(out, sizeof out);
        if (n == sizeof out)
            abort();
        if (us >= -62167219200LL * 1000000 && us < 253402300800LL * 1000000) {
            if (km_time_parse(out, n, &back) != KM_OK || back != us)
                abort();
        }
    }
    /* formatting arbitrary values never overruns */
    if (size >= 8) {
        int64_t v;
        memcpy(&v, data, 8);
        char out[32];
        km_time_fmt(v, out);
        if (strnlen(out, sizeof out) == sizeof out)
            abort();
        (void)km_time_from_epoch_ms(v);
    }
    free(s);
    return 0;
}
