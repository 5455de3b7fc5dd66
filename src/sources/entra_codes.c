/*
 * entra_codes.c — lookups over the Entra sign-in result-code table of
 * entra_codes.h: the table is expanded here once, ascending by code, and
 * searched by binary search (by code) or linearly (by error name, which only
 * the Microsoft 365 audit log needs).
 */
#include "sources/entra_codes.h"

#include <strings.h>

const struct km_entra_code km_entra_codes[] = {
#define KM_ENTRA_ROW(code, cls, ff, name, text, source) \
    {code, KM_ENTRA_CODE_##cls, ff, name, text, source},
    KM_ENTRA_CODES(KM_ENTRA_ROW)
#undef KM_ENTRA_ROW
};
const size_t km_entra_ncodes = sizeof km_entra_codes / sizeof km_entra_codes[0];

const struct km_entra_code *km_entra_code_find(long code)
{
    size_t lo = 0, hi = km_entra_ncodes;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (km_entra_codes[mid].code == code)
            return &km_entra_codes[mid];
        if (km_entra_codes[mid].code < code)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

int km_entra_code_class(long code)
{
    if (code == 0)
        return KM_ENTRA_CODE_SUCCESS;
    const struct km_entra_code *c = km_entra_code_find(code);
    return c ? c->cls : KM_ENTRA_CODE_OTHER;
}

const char *km_entra_code_text(long code)
{
    const struct km_entra_code *c = km_entra_code_find(code);
    return c ? c->text : NULL;
}

int km_entra_code_first_factor(long code)
{
    const struct km_entra_code *c = km_entra_code_find(code);
    return c ? c->first_factor : 0;
}

long km_entra_code_by_name(const char *s, size_t n)
{
    if (!s || !n)
        return -1;
    for (size_t i = 0; i < km_entra_ncodes; i++) {
        const char *name = km_entra_codes[i].name;
        size_t k = 0;
        while (name[k] && k < n)
            k++;
        if (k == n && !name[k] && strncasecmp(name, s, n) == 0)
            return km_entra_codes[i].code;
    }
    return -1;
}

int km_entra_code_parse(const char *s, size_t n, long *code)
{
    if (!s || !n)
        return 0;
    size_t i = s[0] == '-' ? 1 : 0;
    if (i == n || n - i > 9)   /* Entra codes have up to 7 digits; 9 fit any long */
        return 0;
    long v = 0;
    for (size_t k = i; k < n; k++) {
        if (s[k] < '0' || s[k] > '9')
            return 0;
        v = v * 10 + (s[k] - '0');
    }
    *code = i ? -v : v;
    return 1;
}

static const char *const class_names[KM_ENTRA_CODE__COUNT] = {
    [KM_ENTRA_CODE_SUCCESS] = "success",         [KM_ENTRA_CODE_CREDENTIAL] = "credential",
    [KM_ENTRA_CODE_LOCKOUT] = "lockout",         [KM_ENTRA_CODE_BLOCKED] = "blocked",
    [KM_ENTRA_CODE_MFA] = "mfa",                 [KM_ENTRA_CODE_TOKEN] = "token",
    [KM_ENTRA_CODE_INTERRUPTED] = "interrupted", [KM_ENTRA_CODE_OTHER] = "other",
};

const char *km_entra_class_name(int cls)
{
    return cls >= 0 && cls < KM_ENTRA_CODE__COUNT ? class_names[cls] : "other";
}

const char *km_entra_class_outcome(int cls)
{
    if (cls == KM_ENTRA_CODE_SUCCESS)
        return "success";
    if (cls == KM_ENTRA_CODE_INTERRUPTED)
        return "interrupted";
    return "failure";
}
