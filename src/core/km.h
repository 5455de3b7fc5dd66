/*
 * km.h — what every kumo module shares: the one error enum, the caller-supplied
 * error detail, string views, and the arena allocator.
 *
 * Conventions (see docs/architecture.md):
 *   - functions return enum km_rc and hand results through out-parameters;
 *   - detail text goes into a caller's struct km_err; the first error wins;
 *   - per-batch memory comes from a struct km_arena and is freed all at once.
 */
#ifndef KM_H
#define KM_H

#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>

/* Error codes: numbered, never reused, each covered by km_strerror(). */
enum km_rc {
    KM_OK = 0,
    KM_ENOMEM = 1,     /* allocation failed or a memory ceiling was reached */
    KM_EIO = 2,        /* read/write/open failed (errno in the message) */
    KM_EUSAGE = 3,     /* bad command line or argument */
    KM_EJSON = 4,      /* JSON syntax error */
    KM_ELIMIT = 5,     /* a configured limit was exceeded (depth, size, string) */
    KM_EFORMAT = 6,    /* content is not a format kumo recognises */
    KM_EBOMB = 7,      /* decompression exceeded the output or ratio ceiling */
    KM_ECORRUPT = 8,   /* store or evidence data failed an integrity check */
    KM_EVERSION = 9,   /* store written by a newer kumo */
    KM_ESQL = 10,      /* SQLite error */
    KM_ENOTFOUND = 11, /* requested item does not exist */
    KM_EARCHIVE = 12,  /* archive (zip/tar) error */
    KM_EGZIP = 13,     /* gzip stream error */
    KM_ERECORD = 14,   /* a record could not be normalized */
    KM_ECRYPTO = 15,   /* hashing / crypto library failure */
    KM_EINTERNAL = 16, /* invariant broken: a bug */
    KM__RC_COUNT
};

/* Returns a static, human-readable text for a code (never NULL). */
const char *km_strerror(int rc);

/* Error detail filled by the callee. file/offset/line are optional context. */
struct km_err {
    int code;           /* enum km_rc, 0 when no error recorded */
    uint64_t offset;    /* byte offset in `file` when known, else UINT64_MAX */
    long line;          /* 1-based line when known, else 0 */
    char file[512];     /* path of the input involved, "" if none */
    char msg[512];      /* detail text */
};

/* Clears an error record. */
void km_err_clear(struct km_err *e);
/* Records an error if none is recorded yet (first error wins) and returns code.
 * `e` may be NULL. `file` may be NULL. Use UINT64_MAX for an unknown offset. */
int km_err_set(struct km_err *e, int code, const char *file, uint64_t offset,
               const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Formats "file: offset N: message (reason)" into buf; returns buf. */
const char *km_err_fmt(const struct km_err *e, char *buf, size_t n);

/* A string view: not necessarily NUL-terminated. p == NULL means absent. */
struct km_str {
    const char *p;
    uint32_t n;
};
#define KM_STR(lit) ((struct km_str){(lit), (uint32_t)(sizeof(lit) - 1)})
#define KM_STR_NONE ((struct km_str){NULL, 0})
static inline struct km_str km_str_c(const char *s);
int km_str_eq(struct km_str a, struct km_str b);
int km_str_eqc(struct km_str a, const char *c);
/* Prefix / suffix tests (ASCII case-insensitive with _ci); false for an
 * absent string. */
int km_str_starts(struct km_str s, const char *pre);
int km_str_starts_ci(struct km_str s, const char *pre);
int km_str_ends(struct km_str s, const char *suf);
int km_str_ends_ci(struct km_str s, const char *suf);
/*
 * The one test of "this is an e-mail address" (it decides actor.email, the key
 * that links a person across clouds, and the identity map's e-mails):
 * local@domain with exactly one '@', a non-empty local part, a '.' in the
 * domain that is neither its first nor its last byte, at most 254 bytes, and
 * no byte that no address holds: controls, blank, DEL, and , : ; / \ " < >.
 */
int km_email_shaped(const char *p, size_t n);
static inline int km_str_is_email(struct km_str s) { return s.p && km_email_shaped(s.p, s.n); }

/*
 * Arena: bump allocator over a chain of blocks. Everything allocated from it is
 * freed by km_arena_reset()/km_arena_free(). A ceiling bounds total bytes; an
 * allocation past it returns NULL.
 *
 *   [block]->[block]->[block]    each block: header | used ........ | free
 */
struct km_arena_block;
struct km_arena {
    struct km_arena_block *head;   /* current block (newest first) */
    size_t block_size;             /* default size of new blocks */
    size_t total;                  /* bytes reserved across blocks */
    size_t limit;                  /* ceiling on total (0 = 1 GiB) */
};
void km_arena_init(struct km_arena *a, size_t block_size, size_t limit);
/* Returns 16-byte aligned memory or NULL when the ceiling is reached. */
void *km_arena_alloc(struct km_arena *a, size_t n);
/* Copies n bytes and a terminating NUL; returns NULL on ceiling. */
char *km_arena_strndup(struct km_arena *a, const char *s, size_t n);
/* Keeps the first block, frees the rest, marks all memory free. */
void km_arena_reset(struct km_arena *a);
void km_arena_free(struct km_arena *a);

/* xmalloc family: abort with a message on failure (for small, bounded sizes). */
void *km_xmalloc(size_t n);
void *km_xcalloc(size_t n, size_t m);
void *km_xrealloc(void *p, size_t n);
char *km_xstrdup(const char *s);

/* Logging to stderr; level 0 = errors only, 1 = normal, 2 = verbose. */
extern int km_verbosity;
void km_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static inline struct km_str km_str_c(const char *s)
{
    struct km_str r;
    size_t n = 0;
    if (s)
        while (s[n])
            n++;
    r.p = s;
    r.n = (uint32_t)n;
    return r;
}

#define KM_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
