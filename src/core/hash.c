/*
 * hash.c — SHA-256 through OpenSSL's EVP interface.
 */
#include "core/hash.h"

#include <stdio.h>
#include <stdlib.h>
#include <openssl/evp.h>

void km_sha256_init(struct km_sha256 *h)
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    if (!c || EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1) {
        fprintf(stderr, "kumo: OpenSSL SHA-256 init failed\n");
        abort();
    }
    h->ctx = c;
}

void km_sha256_update(struct km_sha256 *h, const void *p, size_t n)
{
    if (n)
        EVP_DigestUpdate((EVP_MD_CTX *)h->ctx, p, n);
}

void km_sha256_final(struct km_sha256 *h, uint8_t out[32])
{
    unsigned int len = 32;
    EVP_DigestFinal_ex((EVP_MD_CTX *)h->ctx, out, &len);
    EVP_MD_CTX_free((EVP_MD_CTX *)h->ctx);
    h->ctx = NULL;
}

void km_sha256(const void *p, size_t n, uint8_t out[32])
{
    unsigned int len = 32;
    if (EVP_Digest(p, n, out, &len, EVP_sha256(), NULL) != 1) {
        fprintf(stderr, "kumo: OpenSSL SHA-256 failed\n");
        abort();
    }
}

void km_hex(const uint8_t *p, size_t n, char *hex)
{
    static const char d[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        hex[2 * i] = d[p[i] >> 4];
        hex[2 * i + 1] = d[p[i] & 15];
    }
    hex[2 * n] = 0;
}

int km_hexdigit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int km_unhex(const char *hex, size_t n, uint8_t *out)
{
    for (size_t i = 0; i < n; i++) {
        int a = km_hexdigit(hex[2 * i]), b = km_hexdigit(hex[2 * i + 1]);
        if (a < 0 || b < 0)
            return -1;
        out[i] = (uint8_t)(a << 4 | b);
    }
    return 0;
}

int km_uuid_parse(const char *s, size_t n, uint8_t out[16])
{
    if (n != 36)
        return 0;
    int k = 0, lower = 1;
    for (size_t i = 0; i < 36;) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return 0;
            i++;
            continue;
        }
        int hi = km_hexdigit(s[i]), lo = km_hexdigit(s[i + 1]);
        if (hi < 0 || lo < 0)
            return 0;
        lower &= !(s[i] >= 'A' && s[i] <= 'F') && !(s[i + 1] >= 'A' && s[i + 1] <= 'F');
        out[k++] = (uint8_t)(hi << 4 | lo);
        i += 2;
    }
    return lower ? 2 : 1;
}

void km_uuid_fmt(const uint8_t in[16], char out[36])
{
    static const char d[] = "0123456789abcdef";
    int k = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[k++] = '-';
        out[k++] = d[in[i] >> 4];
        out[k++] = d[in[i] & 15];
    }
}
