/*
 * conf.c — loading and reading the configuration file (conf.h).
 *
 * The file is read whole (at most 1 MiB) into one buffer; entries are
 * (key, value) pairs pointing into it. Lookups are linear: a configuration
 * has tens of keys and is read once per command.
 */
#include "core/conf.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONF_MAX_FILE (1u << 20)
#define CONF_MAX_LINE (64u << 10)

struct ent {
    char *key;      /* "section.key", malloc'd */
    char *val;      /* malloc'd, unquoted, trimmed */
    const char **items;  /* list items (LIST), split on demand */
    size_t nitems;
    int split;
};

struct km_conf {
    char path[1024];
    struct ent *e;
    size_t n, cap;
};

const struct km_conf_key *km_conf_lookup(const char *key)
{
    for (int t = 0; km_conf_tables[t]; t++)
        for (const struct km_conf_key *k = km_conf_tables[t]; k->key; k++)
            if (strcmp(k->key, key) == 0)
                return k;
    return NULL;
}

/* Parses a duration "90", "20m", "1.5h", "7d" (bare numbers are seconds). */
static int parse_dur(const char *s, int64_t *us)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno || v < 0)
        return -1;
    while (*end == ' ')
        end++;
    double mul = 1e6;
    if (*end == 's')
        mul = 1e6, end++;
    else if (*end == 'm' && end[1] != 's')
        mul = 60e6, end++;
    else if (*end == 'm' && end[1] == 's')
        mul = 1e3, end += 2;
    else if (*end == 'h')
        mul = 3600e6, end++;
    else if (*end == 'd')
        mul = 86400e6, end++;
    if (*end)
        return -1;
    double r = v * mul;
    if (r > 9.2e18)
        return -1;
    *us = (int64_t)r;
    return 0;
}

static int parse_bool(const char *s, int *b)
{
    if (!strcasecmp(s, "true") || !strcasecmp(s, "yes") || !strcasecmp(s, "on") || !strcmp(s, "1"))
        return *b = 1, 0;
    if (!strcasecmp(s, "false") || !strcasecmp(s, "no") || !strcasecmp(s, "off") || !strcmp(s, "0"))
        return *b = 0, 0;
    return -1;
}

/* Checks that value suits the key's type; returns NULL or a reason. */
static const char *check_value(const struct km_conf_key *k, const char *v)
{
    char *end;
    switch (k->type) {
    case KM_CONF_INT:
        errno = 0;
        (void)strtoll(v, &end, 10);
        return (end == v || *end || errno) ? "expected a whole number" : NULL;
    case KM_CONF_NUM:
        errno = 0;
        (void)strtod(v, &end);
        return (end == v || *end || errno) ? "expected a number" : NULL;
    case KM_CONF_DUR: {
        int64_t us;
        return parse_dur(v, &us) ? "expected a duration such as 90s, 20m, 1h or 7d" : NULL;
    }
    case KM_CONF_BOOL: {
        int b;
        return parse_bool(v, &b) ? "expected true or false" : NULL;
    }
    default: return NULL;
    }
}

static struct ent *find(const struct km_conf *c, const char *key)
{
    if (!c)
        return NULL;
    for (size_t i = c->n; i-- > 0;)
        if (strcmp(c->e[i].key, key) == 0)
            return &c->e[i];
    return NULL;
}

static void put(struct km_conf *c, const char *key, const char *val)
{
    struct ent *e = find(c, key);
    if (e) {
        free(e->val);
        free(e->items);
        e->items = NULL;
        e->nitems = 0;
        e->split = 0;
        e->val = km_xstrdup(val);
        return;
    }
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 16;
        c->e = km_xrealloc(c->e, c->cap * sizeof *c->e);
    }
    c->e[c->n++] = (struct ent){km_xstrdup(key), km_xstrdup(val), NULL, 0, 0};
}

int km_conf_set(struct km_conf *c, const char *key, const char *value, struct km_err *err)
{
    const struct km_conf_key *k = km_conf_lookup(key);
    if (!k)
        return km_err_set(err, KM_EUSAGE, NULL, UINT64_MAX,
                          "unknown setting '%s' (kumo config lists them all)", key);
    const char *why = check_value(k, value);
    if (why)
        return km_err_set(err, KM_EUSAGE, NULL, UINT64_MAX, "%s: %s, got '%s'", key, why, value);
    put(c, key, value);
    return KM_OK;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        s[--n] = 0;
    return s;
}

int km_conf_parse(const char *name, const char *text, size_t n, struct km_conf **out,
                  struct km_err *err)
{
    struct km_conf *c = km_xcalloc(1, sizeof *c);
    snprintf(c->path, sizeof c->path, "%s", name ? name : "");
    *out = c;
    char section[128] = "";
    size_t pos = 0;
    long line = 0;
    char *buf = km_xmalloc(CONF_MAX_LINE + 1);
    int rc = KM_OK;
    while (pos < n && rc == KM_OK) {
        line++;
        const char *nl = memchr(text + pos, '\n', n - pos);
        size_t len = nl ? (size_t)(nl - (text + pos)) : n - pos;
        if (len > CONF_MAX_LINE) {
            rc = km_err_set(err, KM_ELIMIT, name, pos, "line %ld: longer than %u bytes", line,
                            CONF_MAX_LINE);
            break;
        }
        memcpy(buf, text + pos, len);
        buf[len] = 0;
        pos += len + (nl ? 1 : 0);
        if (memchr(buf, 0, len)) {
            rc = km_err_set(err, KM_EUSAGE, name, UINT64_MAX, "line %ld: NUL byte", line);
            break;
        }
        char *s = trim(buf);
        if (!*s || *s == '#' || *s == ';')
            continue;
        if (*s == '[') {
            char *e = strchr(s, ']');
            if (!e || trim(e + 1)[0] || e - s - 1 <= 0 || (size_t)(e - s - 1) >= sizeof section) {
                rc = km_err_set(err, KM_EUSAGE, name, UINT64_MAX,
                                "line %ld: expected a section header such as [spray]", line);
                break;
            }
            *e = 0;
            snprintf(section, sizeof section, "%s", trim(s + 1));
            continue;
        }
        char *eq = strchr(s, '=');
        if (!eq) {
            rc = km_err_set(err, KM_EUSAGE, name, UINT64_MAX,
                            "line %ld: expected 'key = value', got '%.60s'", line, s);
            break;
        }
        *eq = 0;
        char *k = trim(s), *v = trim(eq + 1);
        /* a trailing comment after an unquoted value */
        if (*v != '"' && *v != '\'') {
            char *h = strstr(v, " #");
            if (!h)
                h = strstr(v, "\t#");
            if (h) {
                *h = 0;
                v = trim(v);
            }
        } else {
            char q = *v;
            char *e = strrchr(v + 1, q);
            if (!e) {
                rc = km_err_set(err, KM_EUSAGE, name, UINT64_MAX, "line %ld: unclosed quote",
                                line);
                break;
            }
            *e = 0;
            v++;
        }
        char full[300];
        if (strchr(k, '.') || !*section)
            snprintf(full, sizeof full, "%s", k);
        else
            snprintf(full, sizeof full, "%s.%s", section, k);
        const struct km_conf_key *kd = km_conf_lookup(full);
        if (!kd) {
            rc = km_err_set(err, KM_EUSAGE, name, UINT64_MAX,
                            "line %ld: unknown setting '%s' (kumo config lists them all)", line,
                            full);
            break;
        }
        const char *why = check_value(kd, v);
        if (why) {
            rc = km_err_set(err, KM_EUSAGE, name, UINT64_MAX, "line %ld: %s: %s, got '%s'", line,
                            full, why, v);
            break;
        }
        put(c, full, v);
    }
    if (rc != KM_OK && err)
        err->line = line;
    free(buf);
    if (rc != KM_OK) {
        km_conf_free(c);
        *out = NULL;
    }
    return rc;
}

int km_conf_load(const char *path, int must_exist, struct km_conf **out, struct km_err *err)
{
    *out = NULL;
    if (!path || !*path)
        return km_conf_parse("", "", 0, out, err);
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (errno == ENOENT && !must_exist)
            return km_conf_parse("", "", 0, out, err);
        return km_err_set(err, KM_EIO, path, UINT64_MAX, "cannot read: %s", strerror(errno));
    }
    char *buf = km_xmalloc(CONF_MAX_FILE + 1);
    size_t n = fread(buf, 1, CONF_MAX_FILE + 1, f);
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return km_err_set(err, KM_EIO, path, UINT64_MAX, "read error");
    }
    if (n > CONF_MAX_FILE) {
        free(buf);
        return km_err_set(err, KM_ELIMIT, path, UINT64_MAX, "larger than 1 MiB");
    }
    int rc = km_conf_parse(path, buf, n, out, err);
    free(buf);
    return rc;
}

void km_conf_free(struct km_conf *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++) {
        free(c->e[i].key);
        free(c->e[i].val);
        free(c->e[i].items);
    }
    free(c->e);
    free(c);
}

const char *km_conf_path(const struct km_conf *c) { return c ? c->path : ""; }

static const struct km_conf_key *decl(const char *key)
{
    const struct km_conf_key *k = km_conf_lookup(key);
    if (!k) {
        fprintf(stderr, "kumo: internal error: configuration key '%s' is not declared\n", key);
        abort();
    }
    return k;
}

static const char *raw(const struct km_conf *c, const char *key)
{
    const struct km_conf_key *k = decl(key);
    struct ent *e = find(c, key);
    return e ? e->val : k->dflt;
}

int km_conf_is_set(const struct km_conf *c, const char *key)
{
    decl(key);
    return find(c, key) != NULL;
}

int64_t km_conf_int(const struct km_conf *c, const char *key)
{
    return strtoll(raw(c, key), NULL, 10);
}

double km_conf_num(const struct km_conf *c, const char *key) { return strtod(raw(c, key), NULL); }

int64_t km_conf_dur_us(const struct km_conf *c, const char *key)
{
    int64_t us = 0;
    parse_dur(raw(c, key), &us);
    return us;
}

int km_conf_bool(const struct km_conf *c, const char *key)
{
    int b = 0;
    parse_bool(raw(c, key), &b);
    return b;
}

const char *km_conf_str(const struct km_conf *c, const char *key)
{
    const char *v = raw(c, key);
    return v ? v : "";
}

/* Defaults' lists are split once into this cache (a default has no entry).
 * Detections run on several threads: the cache and the lazy split are under
 * a lock (the items handed out never move). */
static struct ent *dflt_ents;
static size_t ndflt;
static pthread_mutex_t list_mu = PTHREAD_MUTEX_INITIALIZER;

size_t km_conf_list(const struct km_conf *c, const char *key, const char *const **items)
{
    const struct km_conf_key *k = decl(key);
    pthread_mutex_lock(&list_mu);
    struct ent *e = find(c, key);
    if (!e) {
        for (size_t i = 0; i < ndflt; i++)
            if (strcmp(dflt_ents[i].key, key) == 0)
                e = &dflt_ents[i];
        if (!e) {
            dflt_ents = km_xrealloc(dflt_ents, (ndflt + 1) * sizeof *dflt_ents);
            e = &dflt_ents[ndflt++];
            *e = (struct ent){(char *)k->key, km_xstrdup(k->dflt ? k->dflt : ""), NULL, 0, 0};
        }
    }
    if (!e->split) {
        /* items point into a private copy whose commas became NULs */
        size_t cnt = 1;
        for (const char *p = e->val; *p; p++)
            cnt += *p == ',';
        size_t vl = strlen(e->val);
        char *copy = km_xmalloc(cnt * sizeof(char *) + vl + 1);
        const char **it = (const char **)copy;
        char *s = copy + cnt * sizeof(char *);
        memcpy(s, e->val, vl + 1);
        size_t n = 0;
        for (char *tok = s;;) {
            char *comma = strchr(tok, ',');
            if (comma)
                *comma = 0;
            char *t = trim(tok);
            if (*t)
                it[n++] = t;
            if (!comma)
                break;
            tok = comma + 1;
        }
        e->items = it;
        e->nitems = n;
        e->split = 1;
    }
    *items = e->items;
    size_t n = e->nitems;
    pthread_mutex_unlock(&list_mu);
    return n;
}
