/*
 * hash.h — SHA-256 (OpenSSL EVP underneath), streaming and one-shot, and hex.
 */
#ifndef KM_HASH_H
#define KM_HASH_H

#include <stddef.h>
#include <stdint.h>

struct km_sha256 {
    void *ctx;   /* EVP_MD_CTX */
};
/* init aborts on allocation failure (tiny, bounded). final frees the context. */
void km_sha256_init(struct km_sha256 *h);
void km_sha256_update(struct km_sha256 *h, const void *p, size_t n);
void km_sha256_final(struct km_sha256 *h, uint8_t out[32]);
void km_sha256(const void *p, size_t n, uint8_t out[32]);
/* Writes 2n lowercase hex chars and a NUL into hex (size >= 2n+1). */
void km_hex(const uint8_t *p, size_t n, char *hex);
/* Parses 2n hex chars; returns 0 on success, -1 on a bad character. */
int km_unhex(const char *hex, size_t n, uint8_t *out);
/* Value of one hex digit (either case), or -1. */
int km_hexdigit(char c);
/* Parses a canonical 8-4-4-4-12 UUID of n bytes into out[16]. Returns 2 when
 * it was all lower case, 1 when it had upper-case digits, 0 when it is not a
 * UUID. */
int km_uuid_parse(const char *s, size_t n, uint8_t out[16]);
/* Writes the lower-case canonical text of a UUID (36 chars, no NUL). */
void km_uuid_fmt(const uint8_t in[16], char out[36]);

#endif
