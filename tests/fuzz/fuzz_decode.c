/*
 * fuzz_decode.c — libFuzzer target for the acquisition decoder.
 *
 * Decodes the input twice, as ingest does: from a memfd (km_decode_open on a
 * regular file: mmap, pread, libarchive seeking) and from an exact-size heap
 * copy (km_decode_open_mem, the path small files take; ASan sees overreads).
 * Every member is read with small limits (1 MiB output, ratio 50:1 past
 * 64 KiB), alternating km_decode_read_all and km_decode_read with odd buffer
 * sizes. Checks: reads never return more than
 * asked, the file-wide total never passes the ceiling by more than one read,
 * member indexes increase by one, every error carries a known code, and a
 * KM_EBOMB ends the file.
 */
#include "ingest/decode.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Iterates every member of an open decoder, checking the contract. */
static void fz_members(struct km_decode *d, const struct km_decode_limits *lim)
{
    struct km_err e;
    const struct km_member *m;
    static char buf[70001];
    uint64_t want_index = 0;
    int bombed = 0;
    for (int round = 0; round < 10000; round++) {
        const char *p;
        size_t pn;
        ssize_t k;
        km_err_clear(&e);
        if (km_decode_next(d, &m, &e) != KM_OK) {
            if (e.code != KM_EARCHIVE)
                abort();
            break;
        }
        if (!m)
            break;
        if (bombed || m->index != want_index++ || !m->chain)
            abort();
        if ((round & 1) && km_decode_read_all(d, &p, &pn, &e) == KM_OK) {
            volatile char sink = 0;
            for (size_t i = 0; i < pn; i += 4096)
                sink ^= p[i];
            (void)sink;
        } else {
            size_t ask = 1 + (size_t)(round * 7919) % sizeof buf;
            while ((k = km_decode_read(d, buf, ask, &e)) > 0)
                if ((size_t)k > ask)
                    abort();
        }
        if (e.code) {
            if (e.code != KM_EBOMB && e.code != KM_EGZIP && e.code != KM_EARCHIVE &&
                e.code != KM_EIO && e.code != KM_ENOMEM)
                abort();
            if (e.code == KM_EBOMB)
                bombed = 1;
        }
        if (km_decode_total(d) > lim->max_output + sizeof buf + ((size_t)256 << 10))
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct km_decode_limits lim = {(uint64_t)1 << 20, 50, (uint64_t)64 << 10};
    struct km_decode *d;
    struct km_err e;
    int fd = memfd_create("fuzz", 0);
    if (fd < 0)
        return 0;
    if (size && write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return 0;
    }
    km_err_clear(&e);
    if (km_decode_open("fuzz.bin", fd, &lim, &d, &e) != KM_OK) {
        if (e.code <= 0 || e.code >= KM__RC_COUNT)
            abort();
    } else {
        fz_members(d, &lim);
        km_decode_close(d);
    }
    close(fd);

    char *copy = malloc(size ? size : 1);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    km_err_clear(&e);
    if (km_decode_open_mem("fuzz.mem", copy, size, &lim, &d, &e) != KM_OK) {
        if (e.code <= 0 || e.code >= KM__RC_COUNT)
            abort();
    } else {
        fz_members(d, &lim);
        km_decode_close(d);
    }
    free(copy);
    return 0;
}
