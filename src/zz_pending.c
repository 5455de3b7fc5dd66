/* zz_pending.c — TEMPORARY weak placeholders so ./kumo links while modules are
 * being written in parallel. Real definitions (strong) always win. Deleted
 * before the first commit that has all modules. */
#include "ingest/decode.h"
#include "ingest/records.h"
#include "sources/source.h"
#define W __attribute__((weak))
W int km_walk(char *const *p, int n, int (*cb)(void *, const char *), void (*e)(void *, const char *, const char *), void *c) { return KM_EINTERNAL; }
W void km_decode_limits_default(struct km_decode_limits *l) {}
W int km_decode_open(const char *path, int fd, const struct km_decode_limits *lim, struct km_decode **out, struct km_err *err) { return km_err_set(err, KM_EINTERNAL, path, 0, "decoder not built yet"); }
W int km_decode_next(struct km_decode *d, const struct km_member **m, struct km_err *err) { return KM_EINTERNAL; }
W ssize_t km_decode_read(struct km_decode *d, char *buf, size_t n, struct km_err *err) { return -1; }
W int km_decode_read_all(struct km_decode *d, const char **p, size_t *n, struct km_err *err) { return KM_ENOTFOUND; }
W uint64_t km_decode_total(const struct km_decode *d) { return 0; }
W void km_decode_close(struct km_decode *d) {}
W void km_records_limits_default(struct km_records_limits *l) {}
W int km_records_new(const struct km_records_limits *lim, const struct km_records_cb *cb, const char *name, struct km_records **out) { return KM_EINTERNAL; }
W int km_records_feed(struct km_records *r, const char *data, size_t n) { return 0; }
W int km_records_finish(struct km_records *r) { return 0; }
W void km_records_free(struct km_records *r) {}
W const struct km_source km_source_cloudtrail;
W const struct km_source km_source_cloudtrail_digest;
