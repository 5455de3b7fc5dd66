/*
 * err.c — the error enum's texts and the caller-supplied error record.
 */
#include "core/km.h"

#include <stdio.h>
#include <string.h>

static const char *const km_rc_text[KM__RC_COUNT] = {
    [KM_OK] = "ok",
    [KM_ENOMEM] = "out of memory or memory ceiling reached",
    [KM_EIO] = "input/output error",
    [KM_EUSAGE] = "invalid usage",
    [KM_EJSON] = "invalid JSON",
    [KM_ELIMIT] = "limit exceeded",
    [KM_EFORMAT] = "unrecognised format",
    [KM_EBOMB] = "decompression ceiling exceeded",
    [KM_ECORRUPT] = "integrity check failed",
    [KM_EVERSION] = "store written by a newer kumo",
    [KM_ESQL] = "catalog (SQLite) error",
    [KM_ENOTFOUND] = "not found",
    [KM_EARCHIVE] = "archive error",
    [KM_EGZIP] = "gzip error",
    [KM_ERECORD] = "record could not be normalized",
    [KM_ECRYPTO] = "crypto library error",
    [KM_EINTERNAL] = "internal error",
};

const char *km_strerror(int rc)
{
    if (rc < 0 || rc >= KM__RC_COUNT || !km_rc_text[rc])
        return "unknown error";
    return km_rc_text[rc];
}

void km_err_clear(struct km_err *e)
{
    if (!e)
        return;
    e->code = 0;
    e->offset = UINT64_MAX;
    e->line = 0;
    e->file[0] = 0;
    e->msg[0] = 0;
}

int km_err_set(struct km_err *e, int code, const char *file, uint64_t offset,
               const char *fmt, ...)
{
    if (!e || e->code)
        return code;
    e->code = code;
    e->offset = offset;
    e->line = 0;
    snprintf(e->file, sizeof e->file, "%s", file ? file : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    return code;
}

const char *km_err_fmt(const struct km_err *e, char *buf, size_t n)
{
    size_t k = 0;
    if (n == 0)
        return buf;
    buf[0] = 0;
    if (e->file[0])
        k += (size_t)snprintf(buf + k, n - k, "%s: ", e->file);
    if (k < n && e->line > 0)
        k += (size_t)snprintf(buf + k, n - k, "line %ld: ", e->line);
    else if (k < n && e->offset != UINT64_MAX)
        k += (size_t)snprintf(buf + k, n - k, "offset %llu: ", (unsigned long long)e->offset);
    if (k < n)
        snprintf(buf + k, n - k, "%s (%s)", e->msg[0] ? e->msg : km_strerror(e->code),
                 km_strerror(e->code));
    return buf;
}
