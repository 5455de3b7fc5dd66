/*
 * fuzz_ip.c — libFuzzer target for km_ip_parse / km_ip_canon / km_ip_fmt.
 *
 * An accepted input's canonical text must be accepted again, be a fixed
 * point (canon(canon(x)) == canon(x)), and parse to the same 16 bytes.
 */
#include <stdlib.h>
#include <string.h>
#include "core/ip.h"
#include "core/km.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size ? size : 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    char c1[KM_IP_TEXT_MAX], c2[KM_IP_TEXT_MAX];
    uint8_t a[16], b[16];
    int v4a, v4b;
    int ok = km_ip_canon(s, size, c1);
    if (ok != (km_ip_parse(s, size, a, &v4a) == KM_OK))
        abort();
    if (ok) {
        size_t n = strnlen(c1, sizeof c1);
        if (n >= 40 || !km_ip_canon(c1, n, c2) || strcmp(c1, c2) != 0)
            abort();
        if (km_ip_parse(c1, n, b, &v4b) != KM_OK || memcmp(a, b, 16) != 0 || v4a != v4b)
            abort();
    } else if (c1[0] != 0) {
        abort();
    }
    free(s);
    return 0;
}
