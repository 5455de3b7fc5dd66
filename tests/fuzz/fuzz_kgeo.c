/*
 * fuzz_kgeo.c — libFuzzer target for the .kgeo reader (src/geo/kgeo.c).
 *
 * Whatever the bytes, km_kgeo_open_mem either refuses them with an error
 * naming the input or accepts them, and every lookup on an accepted file
 * stays inside it. Because a valid checksum is hard to hit by mutation, the
 * target also re-seals the checksum of inputs that look like a kgeo header,
 * so the section and range-table checks behind it are reached.
 * Seeds: tests/fuzz/corpus/kgeo (tiny databases built from synthetic inputs).
 */
#include <stdlib.h>
#include <string.h>
#include "core/ip.h"
#include "core/km.h"
#include "geo/kgeo.h"

static void probe(const struct km_kgeo *k)
{
    static const char *const ips[] = {"0.0.0.0", "1.0.0.1", "2.1.0.9", "81.2.69.144",
                                      "255.255.255.255", "::", "2001:218::1", "2a01:e34::1",
                                      "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"};
    for (size_t i = 0; i < sizeof ips / sizeof ips[0]; i++) {
        uint8_t a[16];
        char cc[3];
        const char *org;
        km_ip_parse(ips[i], strlen(ips[i]), a, NULL);
        km_kgeo_country(k, a, cc);
        if (strlen(cc) > 2)
            abort();
        uint32_t asn = km_kgeo_asn(k, a, &org);
        if (asn && strlen(org) > 1u << 30)
            abort();
    }
    static const char *const ccs[] = {"FR", "DE", "US", "ZZ", "AU", "JP"};
    for (size_t i = 0; i < sizeof ccs / sizeof ccs[0]; i++) {
        double lat, lon, r;
        const char *name, *cap;
        if (km_kgeo_country_point(k, ccs[i], &lat, &lon, &r, &name, &cap) &&
            (lat < -90 || lat > 90 || lon < -180 || lon > 180 || r < 0))
            abort();
    }
    km_kgeo_as_name(k, 15169);
    struct km_kgeo_info in;
    km_kgeo_info(k, &in);
}

static void once(uint8_t *buf, size_t size)
{
    struct km_err e;
    km_err_clear(&e);
    struct km_kgeo *k = NULL;
    if (km_kgeo_open_mem(buf, size, "fuzz.kgeo", &k, &e) == KM_OK) {
        probe(k);
        km_kgeo_close(k);
    } else if (strcmp(e.file, "fuzz.kgeo") != 0) {
        abort(); /* every refusal names the input */
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *buf = malloc(size + 8); /* malloc is 8-byte aligned */
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    once(buf, size);
    if (size >= 64 && memcmp(buf, "KMGEO\r\n\x1a", 8) == 0) {
        uint64_t n = size, s;
        memcpy(buf + 16, &n, 8);
        s = km_kgeo_checksum(buf + 32, size - 32);
        memcpy(buf + 24, &s, 8);
        once(buf, size);
    }
    free(buf);
    return 0;
}
