/*
 * hash.c — SHA-256 through OpenSSL's EVP interface (libcrypto loaded on first
 * use), hex and UUID helpers.
 */
#include "core/hash.h"

#include <dlfcn.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

/* libcrypto is loaded on first use: commands that hash nothing (queries,
 * timelines) start ~1 ms sooner without its relocations. The digest is
 * fetched once (OpenSSL 3 would otherwise look it up, under a lock, per
 * call). */
#define CRYPTO_FUNCS(X)                                                                   \
    X(EVP_MD_CTX_new) X(EVP_MD_CTX_free) X(EVP_DigestInit_ex) X(EVP_DigestUpdate)         \
    X(EVP_DigestFinal_ex) X(EVP_Digest) X(EVP_sha256)
#define DECL(f) static __typeof__(f) *p_##f;
CRYPTO_FUNCS(DECL)
#undef DECL
static EVP_MD *(*p_fetch)(OSSL_LIB_CTX *, const char *, const char *);
static const EVP_MD *sha256_md;
static pthread_once_t crypto_once = PTHREAD_ONCE_INIT;

static void crypto_load(void)
{
    void *h = dlopen("libcrypto.so.3", RTLD_NOW | RTLD_LOCAL);
    if (!h)
        h = dlopen("libcrypto.so", RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        fprintf(stderr, "kumo: cannot load libcrypto (OpenSSL 3, package libssl3): %s\n",
                dlerror());
        abort();
    }
#define LOAD(f)                                                               \
    if (!(p_##f = (__typeof__(p_##f))dlsym(h, #f))) {                         \
        fprintf(stderr, "kumo: libcrypto lacks %s\n", #f);                    \
        abort();                                                              \
    }
    CRYPTO_FUNCS(LOAD)
#undef LOAD
    p_fetch = (__typeof__(p_fetch))dlsym(h, "EVP_MD_fetch");
    sha256_md = p_fetch ? p_fetch(NULL, "SHA256", NULL) : NULL;
    if (!sha256_md)
        sha256_md = p_EVP_sha256();
}

static const EVP_MD *md(void)
{
    pthread_once(&crypto_once, crypto_load);
    return sha256_md;
}

void km_sha256_init(struct km_sha256 *h)
{
    const EVP_MD *m = md();
    EVP_MD_CTX *c = p_EVP_MD_CTX_new();
    if (!c || p_EVP_DigestInit_ex(c, m, NULL) != 1) {
        fprintf(stderr, "kumo: OpenSSL SHA-256 init failed\n");
        abort();
    }
    h->ctx = c;
}

void km_sha256_update(struct km_sha256 *h, const void *p, size_t n)
{
    if (n)
        p_EVP_DigestUpdate((EVP_MD_CTX *)h->ctx, p, n);
}

void km_sha256_final(struct km_sha256 *h, uint8_t out[32])
{
    unsigned int len = 32;
    p_EVP_DigestFinal_ex((EVP_MD_CTX *)h->ctx, out, &len);
    p_EVP_MD_CTX_free((EVP_MD_CTX *)h->ctx);
    h->ctx = NULL;
}

void km_sha256(const void *p, size_t n, uint8_t out[32])
{
    unsigned int len = 32;
    const EVP_MD *m = md();
    if (p_EVP_Digest(p, n, out, &len, m, NULL) != 1) {
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

/* hex digit values, -1 elsewhere: a table, since ids are parsed per event */
static const signed char hexval[256] = {
    ['0'] = 0 + 1, ['1'] = 1 + 1, ['2'] = 2 + 1, ['3'] = 3 + 1, ['4'] = 4 + 1,
    ['5'] = 5 + 1, ['6'] = 6 + 1, ['7'] = 7 + 1, ['8'] = 8 + 1, ['9'] = 9 + 1,
    ['a'] = 10 + 1, ['b'] = 11 + 1, ['c'] = 12 + 1, ['d'] = 13 + 1, ['e'] = 14 + 1,
    ['f'] = 15 + 1, ['A'] = 10 + 1, ['B'] = 11 + 1, ['C'] = 12 + 1, ['D'] = 13 + 1,
    ['E'] = 14 + 1, ['F'] = 15 + 1,
};

int km_hexdigit(char c)
{
    return hexval[(unsigned char)c] - 1; /* stored +1 so that 0 means "not hex" */
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
    if (n != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-')
        return 0;
    static const unsigned char pos[16] = {0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34};
    int bad = 0, upper = 0;
    for (int k = 0; k < 16; k++) {
        unsigned char a = (unsigned char)s[pos[k]], b = (unsigned char)s[pos[k] + 1];
        int hi = hexval[a] - 1, lo = hexval[b] - 1;
        bad |= hi | lo; /* negative when either is not hex */
        upper |= (a >= 'A' && a <= 'F') | (b >= 'A' && b <= 'F');
        out[k] = (uint8_t)(((unsigned)hi & 15u) << 4 | ((unsigned)lo & 15u));
    }
    if (bad < 0)
        return 0;
    return upper ? 1 : 2;
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
