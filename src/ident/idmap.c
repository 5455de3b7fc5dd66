/*
 * idmap.c — reading the identity-map file (idmap.h): CSV lines or a YAML
 * mapping of persons, each statement checked and its identity reference
 * parsed, errors naming file and line.
 */
#include "ident/idmap.h"

#include "ident/ident.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#define MAP_MAX_BYTES ((size_t)16 << 20)
#define MAP_MAX_LINE 65536
#define MAP_MAX_FIELD 1024
#define MAP_MAX_ENTS 1000000

static const char *const providers[] = {"aws", "azure", "gcp", "m365", "workspace"};

struct pstate {
    struct km_idmap *m;
    size_t cap;
    struct km_err *err;
};

static int perr(struct pstate *ps, long line, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int perr(struct pstate *ps, long line, int code, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (ps->err && !ps->err->code) {
        km_err_set(ps->err, code, ps->m->path, UINT64_MAX, "%s", msg);
        ps->err->line = line;
    }
    return code;
}

static int ci_eq(const char *a, size_t an, const char *b)
{
    size_t bn = strlen(b);
    if (an != bn)
        return 0;
    for (size_t i = 0; i < an; i++)
        if (tolower((unsigned char)a[i]) != tolower((unsigned char)b[i]))
            return 0;
    return 1;
}

static char *lower_dup(struct km_arena *a, const char *s, size_t n)
{
    char *d = km_arena_strndup(a, s, n);
    if (d)
        for (size_t i = 0; i < n; i++)
            d[i] = (char)tolower((unsigned char)d[i]);
    return d;
}

static int guid_shaped(const char *s, size_t n)
{
    if (n != 36)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return 0;
        } else if (!isxdigit((unsigned char)s[i])) {
            return 0;
        }
    }
    return 1;
}

static int starts_ci(const char *s, size_t n, const char *p)
{
    size_t pn = strlen(p);
    return n >= pn && ci_eq(s, pn, p);
}

int km_idmap_ref(const char *ref, size_t n, struct km_idmap_ent *e, struct km_arena *a,
                 char *why, size_t whyn)
{
    while (n && isspace((unsigned char)*ref))
        ref++, n--;
    while (n && isspace((unsigned char)ref[n - 1]))
        n--;
    e->provider = "";
    e->kind = -1;
    e->account = "";
    e->value = "";
    if (!n) {
        snprintf(why, whyn, "empty identity");
        return KM_EUSAGE;
    }
    /* GCP member syntax */
    if (starts_ci(ref, n, "user:") || starts_ci(ref, n, "serviceAccount:") ||
        starts_ci(ref, n, "group:")) {
        const char *c = memchr(ref, ':', n);
        size_t k = (size_t)(c + 1 - ref);
        ref += k;
        n -= k;
        if (!km_email_shaped(ref, n)) {
            snprintf(why, whyn, "expected an e-mail address after the member prefix");
            return KM_EUSAGE;
        }
    }
    const char *colon = memchr(ref, ':', n);
    if (colon && !starts_ci(ref, n, "arn:") && !starts_ci(ref, n, "principal")) {
        size_t pn = (size_t)(colon - ref);
        int qual = 0;
        for (size_t i = 0; i < KM_ARRAY_LEN(providers) && !qual; i++)
            if (ci_eq(ref, pn, providers[i])) {
                e->provider = providers[i];
                qual = 1;
            }
        if (!qual) {
            int k = km_ident_kind_parse(ref, pn);
            if (k >= 0) {
                e->kind = k;
                qual = 1;
            }
        }
        if (qual) {
            ref = colon + 1;
            n -= pn + 1;
            const char *c2 = memchr(ref, ':', n);
            if (c2 && !starts_ci(ref, n, "arn:") && !starts_ci(ref, n, "principal")) {
                size_t an = (size_t)(c2 - ref);
                if (!an) {
                    snprintf(why, whyn, "empty account before ':'");
                    return KM_EUSAGE;
                }
                e->account = km_arena_strndup(a, ref, an);
                ref = c2 + 1;
                n -= an + 1;
            }
            if (!n) {
                snprintf(why, whyn, "no name after the qualifier");
                return KM_EUSAGE;
            }
        }
    }
    if (starts_ci(ref, n, "arn:")) {
        e->ref_kind = KM_IDREF_ARN;
        e->value = km_arena_strndup(a, ref, n);
    } else if (starts_ci(ref, n, "principal://") || starts_ci(ref, n, "principalSet://")) {
        e->ref_kind = KM_IDREF_PRINCIPAL;
        e->value = km_arena_strndup(a, ref, n);
    } else if (km_email_shaped(ref, n)) {
        e->ref_kind = KM_IDREF_EMAIL;
        e->value = lower_dup(a, ref, n);
    } else if (guid_shaped(ref, n)) {
        e->ref_kind = KM_IDREF_ID;
        e->value = lower_dup(a, ref, n);
    } else {
        e->ref_kind = KM_IDREF_NAME;
        e->value = km_arena_strndup(a, ref, n);
    }
    if (!e->value || !e->account) {
        snprintf(why, whyn, "out of memory");
        return KM_ENOMEM;
    }
    return KM_OK;
}

/* Adds a statement; returns KM_OK or an error (recorded). */
static int add(struct pstate *ps, long line, int op, const char *person, size_t pn,
               const char *ref, size_t rn, const char *note, size_t nn)
{
    struct km_idmap *m = ps->m;
    while (pn && isspace((unsigned char)*person))
        person++, pn--;
    while (pn && isspace((unsigned char)person[pn - 1]))
        pn--;
    if (!pn)
        return perr(ps, line, KM_EUSAGE, "no person: the first field is the person's e-mail");
    if (!km_email_shaped(person, pn))
        return perr(ps, line, KM_EUSAGE,
                    "'%.*s' is not an e-mail address (a person is named by e-mail)",
                    (int)(pn > 200 ? 200 : pn), person);
    if (m->n >= MAP_MAX_ENTS)
        return perr(ps, line, KM_ELIMIT, "more than %d statements", MAP_MAX_ENTS);
    if (m->n == ps->cap) {
        ps->cap = ps->cap ? ps->cap * 2 : 64;
        m->ents = km_xrealloc(m->ents, ps->cap * sizeof *m->ents);
    }
    struct km_idmap_ent *e = &m->ents[m->n];
    memset(e, 0, sizeof *e);
    e->op = op;
    e->line = line;
    e->person = lower_dup(&m->a, person, pn);
    while (rn && isspace((unsigned char)*ref))
        ref++, rn--;
    while (rn && isspace((unsigned char)ref[rn - 1]))
        rn--;
    e->ref = km_arena_strndup(&m->a, ref, rn);
    e->note = note ? km_arena_strndup(&m->a, note, nn) : "";
    if (!e->person || !e->ref || !e->note)
        return perr(ps, line, KM_ENOMEM, "out of memory");
    if (op == KM_IDMAP_NAME) {
        if (!rn)
            return perr(ps, line, KM_EUSAGE, "empty display name");
        e->provider = "";
        e->kind = -1;
        e->account = "";
        e->value = e->ref;
    } else {
        char why[200];
        int rc = km_idmap_ref(ref, rn, e, &m->a, why, sizeof why);
        if (rc)
            return perr(ps, line, rc, "identity '%.*s': %s", (int)(rn > 200 ? 200 : rn), ref,
                        why);
    }
    m->n++;
    return KM_OK;
}

static int op_of(const char *s, size_t n)
{
    if (ci_eq(s, n, "is") || ci_eq(s, n, "same"))
        return KM_IDMAP_IS;
    if (ci_eq(s, n, "not"))
        return KM_IDMAP_NOT;
    if (ci_eq(s, n, "name"))
        return KM_IDMAP_NAME;
    return -1;
}

/* ---- CSV ------------------------------------------------------------------ */

struct field {
    char buf[MAP_MAX_FIELD + 1];
    size_t n;
};

static int csv_line(struct pstate *ps, long line, const char *s, size_t n, int *header_seen)
{
    struct field f[5];
    int nf = 0;
    size_t i = 0;
    /* strip a comment: '#' outside quotes at the start or after a blank */
    int inq = 0;
    for (size_t k = 0; k < n; k++) {
        if (s[k] == '"')
            inq = !inq;
        else if (!inq && s[k] == '#' && (k == 0 || isspace((unsigned char)s[k - 1]))) {
            n = k;
            break;
        }
    }
    size_t t = 0;
    while (t < n && isspace((unsigned char)s[t]))
        t++;
    if (t == n)
        return KM_OK; /* blank or comment */
    for (;;) {
        if (nf == 5)
            return perr(ps, line, KM_EUSAGE,
                        "too many fields (person, link, identity, note; quote a note that "
                        "has commas)");
        struct field *fd = &f[nf++];
        fd->n = 0;
        while (i < n && (s[i] == ' ' || s[i] == '\t'))
            i++;
        if (i < n && s[i] == '"') {
            i++;
            for (;;) {
                if (i >= n)
                    return perr(ps, line, KM_EUSAGE, "unterminated quoted field");
                if (s[i] == '"') {
                    if (i + 1 < n && s[i + 1] == '"') {
                        i++;
                    } else {
                        i++;
                        break;
                    }
                }
                if (fd->n == MAP_MAX_FIELD)
                    return perr(ps, line, KM_EUSAGE, "field longer than %d bytes",
                                MAP_MAX_FIELD);
                fd->buf[fd->n++] = s[i++];
            }
            while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'))
                i++;
            if (i < n && s[i] != ',')
                return perr(ps, line, KM_EUSAGE, "text after a closing quote");
        } else {
            while (i < n && s[i] != ',') {
                if (s[i] == '"')
                    return perr(ps, line, KM_EUSAGE,
                                "a quote inside an unquoted field (quote the whole field)");
                if (fd->n == MAP_MAX_FIELD)
                    return perr(ps, line, KM_EUSAGE, "field longer than %d bytes",
                                MAP_MAX_FIELD);
                fd->buf[fd->n++] = s[i++];
            }
            while (fd->n && isspace((unsigned char)fd->buf[fd->n - 1]))
                fd->n--;
        }
        fd->buf[fd->n] = 0;
        if (i >= n)
            break;
        i++; /* the comma */
    }
    if (!*header_seen) {
        *header_seen = 1;
        if (ci_eq(f[0].buf, f[0].n, "person"))
            return KM_OK;
    }
    if (nf == 1)
        return perr(ps, line, KM_EUSAGE,
                    "expected 'person, identity' or 'person, is|not|name, identity[, note]'");
    if (nf == 2)
        return add(ps, line, KM_IDMAP_IS, f[0].buf, f[0].n, f[1].buf, f[1].n, NULL, 0);
    int op = op_of(f[1].buf, f[1].n);
    if (op < 0)
        return perr(ps, line, KM_EUSAGE, "second field '%.*s': expected is, not or name",
                    (int)(f[1].n > 100 ? 100 : f[1].n), f[1].buf);
    if (nf > 4)
        return perr(ps, line, KM_EUSAGE,
                    "too many fields (person, link, identity, note; quote a note that has "
                    "commas)");
    return add(ps, line, op, f[0].buf, f[0].n, f[2].buf, f[2].n, nf == 4 ? f[3].buf : NULL,
               nf == 4 ? f[3].n : 0);
}

static int parse_csv(struct pstate *ps, const char *text, size_t n)
{
    size_t i = 0;
    long line = 1;
    int header_seen = 0;
    if (n >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
        i = 3;
    while (i < n) {
        const char *nl = memchr(text + i, '\n', n - i);
        size_t end = nl ? (size_t)(nl - text) : n;
        size_t len = end - i;
        if (len > MAP_MAX_LINE)
            return perr(ps, line, KM_ELIMIT, "line longer than %d bytes", MAP_MAX_LINE);
        if (memchr(text + i, 0, len))
            return perr(ps, line, KM_EUSAGE, "NUL byte (not a text file)");
        size_t l2 = len;
        if (l2 && text[i + l2 - 1] == '\r')
            l2--;
        int rc = csv_line(ps, line, text + i, l2, &header_seen);
        if (rc)
            return rc;
        i = end + 1;
        line++;
    }
    return KM_OK;
}

/* ---- YAML ----------------------------------------------------------------- */

struct ystate {
    struct pstate *ps;
    yaml_parser_t p;
    yaml_event_t ev;
    int have;
};

static long yline(const yaml_event_t *ev) { return (long)ev->start_mark.line + 1; }

static int ynext(struct ystate *y)
{
    if (y->have)
        yaml_event_delete(&y->ev);
    y->have = 0;
    if (!yaml_parser_parse(&y->p, &y->ev)) {
        long line = (long)y->p.problem_mark.line + 1;
        return perr(y->ps, line, KM_EUSAGE, "YAML: %s%s%s",
                    y->p.problem ? y->p.problem : "syntax error",
                    y->p.context ? " " : "", y->p.context ? y->p.context : "");
    }
    y->have = 1;
    if (y->ev.type == YAML_ALIAS_EVENT)
        return perr(y->ps, yline(&y->ev), KM_EUSAGE, "YAML aliases are not supported");
    return KM_OK;
}

static int yscalar(const yaml_event_t *ev, const char **s, size_t *n)
{
    if (ev->type != YAML_SCALAR_EVENT)
        return 0;
    *s = (const char *)ev->data.scalar.value;
    *n = ev->data.scalar.length;
    return 1;
}

/* A scalar or a flat sequence of scalars, each added with op for person. */
static int yrefs(struct ystate *y, int op, const char *person, const char *what)
{
    const char *s;
    size_t n;
    if (yscalar(&y->ev, &s, &n))
        return add(y->ps, yline(&y->ev), op, person, strlen(person), s, n, NULL, 0);
    if (y->ev.type != YAML_SEQUENCE_START_EVENT)
        return perr(y->ps, yline(&y->ev), KM_EUSAGE, "%s: expected an identity or a list of them",
                    what);
    for (;;) {
        int rc = ynext(y);
        if (rc)
            return rc;
        if (y->ev.type == YAML_SEQUENCE_END_EVENT)
            return KM_OK;
        if (!yscalar(&y->ev, &s, &n))
            return perr(y->ps, yline(&y->ev), KM_EUSAGE,
                        "%s: a list item must be an identity (text), not a list or mapping",
                        what);
        if ((rc = add(y->ps, yline(&y->ev), op, person, strlen(person), s, n, NULL, 0)))
            return rc;
    }
}

/* The value of one person key. */
static int yperson(struct ystate *y, const char *person)
{
    if (y->ev.type != YAML_MAPPING_START_EVENT)
        return yrefs(y, KM_IDMAP_IS, person, person);
    size_t first = y->ps->m->n;
    char note[MAP_MAX_FIELD + 1] = "";
    for (;;) {
        int rc = ynext(y);
        if (rc)
            return rc;
        if (y->ev.type == YAML_MAPPING_END_EVENT)
            break;
        const char *k;
        size_t kn;
        if (!yscalar(&y->ev, &k, &kn))
            return perr(y->ps, yline(&y->ev), KM_EUSAGE, "expected a key (is, not, name, note)");
        long kline = yline(&y->ev);
        int op = op_of(k, kn);
        int isnote = ci_eq(k, kn, "note");
        if (op < 0 && !isnote)
            return perr(y->ps, kline, KM_EUSAGE, "unknown key '%.*s' (expected is, not, name, note)",
                        (int)(kn > 100 ? 100 : kn), k);
        if ((rc = ynext(y)))
            return rc;
        if (op == KM_IDMAP_NAME || isnote) {
            const char *v;
            size_t vn;
            if (!yscalar(&y->ev, &v, &vn))
                return perr(y->ps, yline(&y->ev), KM_EUSAGE, "%.*s: expected text", (int)kn, k);
            if (isnote) {
                if (vn > MAP_MAX_FIELD)
                    return perr(y->ps, yline(&y->ev), KM_EUSAGE, "note longer than %d bytes",
                                MAP_MAX_FIELD);
                memcpy(note, v, vn);
                note[vn] = 0;
                continue;
            }
            if ((rc = add(y->ps, yline(&y->ev), KM_IDMAP_NAME, person, strlen(person), v, vn,
                          NULL, 0)))
                return rc;
            continue;
        }
        if ((rc = yrefs(y, op, person, op == KM_IDMAP_NOT ? "not" : "is")))
            return rc;
    }
    /* within a person, `not` applies after `is` (it is the narrower one) */
    struct km_idmap *m = y->ps->m;
    size_t cnt = m->n - first;
    if (cnt > 1) {
        struct km_idmap_ent *tmp = km_xmalloc(cnt * sizeof *tmp);
        size_t w = 0;
        for (int pass = 0; pass < 2; pass++)
            for (size_t i = first; i < m->n; i++)
                if ((m->ents[i].op == KM_IDMAP_NOT) == pass)
                    tmp[w++] = m->ents[i];
        memcpy(&m->ents[first], tmp, cnt * sizeof *tmp);
        free(tmp);
    }
    if (*note) {
        const char *nd = km_arena_strndup(&m->a, note, strlen(note));
        for (size_t i = first; i < m->n && nd; i++)
            m->ents[i].note = nd;
    }
    return KM_OK;
}

static int parse_yaml(struct pstate *ps, const char *text, size_t n)
{
    if (memchr(text, 0, n)) {
        long line = 1;
        for (const char *p = text; *p; p++)
            line += *p == '\n';
        return perr(ps, line, KM_EUSAGE, "NUL byte (not a text file)");
    }
    struct ystate y = {0};
    y.ps = ps;
    if (!yaml_parser_initialize(&y.p))
        return perr(ps, 0, KM_ENOMEM, "cannot start the YAML parser");
    yaml_parser_set_input_string(&y.p, (const unsigned char *)text, n);
    int rc;
    int depth = 0; /* 0 stream, 1 document, 2 persons mapping */
    while (!(rc = ynext(&y))) {
        yaml_event_type_t t = y.ev.type;
        if (t == YAML_STREAM_END_EVENT)
            break;
        if (t == YAML_STREAM_START_EVENT || t == YAML_DOCUMENT_END_EVENT)
            continue;
        if (t == YAML_DOCUMENT_START_EVENT) {
            depth = 1;
            continue;
        }
        if (depth == 1) {
            const char *s;
            size_t sn;
            if (yscalar(&y.ev, &s, &sn) && (sn == 0 || (sn == 1 && *s == '~') ||
                                           ci_eq(s, sn, "null")))
                continue; /* an empty document */
            if (t != YAML_MAPPING_START_EVENT) {
                rc = perr(ps, yline(&y.ev), KM_EUSAGE,
                          "the file must be a mapping of persons' e-mails, e.g. "
                          "'alice@corp.test: [aws:alice]'");
                break;
            }
            depth = 2;
            continue;
        }
        if (t == YAML_MAPPING_END_EVENT) {
            depth = 1;
            continue;
        }
        const char *person;
        size_t pn;
        if (!yscalar(&y.ev, &person, &pn)) {
            rc = perr(ps, yline(&y.ev), KM_EUSAGE, "expected a person's e-mail as the key");
            break;
        }
        long pline = yline(&y.ev);
        if (!km_email_shaped(person, pn)) {
            rc = perr(ps, pline, KM_EUSAGE,
                      "'%.*s' is not an e-mail address (a person is named by e-mail)",
                      (int)(pn > 200 ? 200 : pn), person);
            break;
        }
        char pbuf[MAP_MAX_FIELD + 1];
        if (pn > MAP_MAX_FIELD) {
            rc = perr(ps, pline, KM_EUSAGE, "e-mail longer than %d bytes", MAP_MAX_FIELD);
            break;
        }
        memcpy(pbuf, person, pn);
        pbuf[pn] = 0;
        if ((rc = ynext(&y)))
            break;
        if ((rc = yperson(&y, pbuf)))
            break;
    }
    if (y.have)
        yaml_event_delete(&y.ev);
    yaml_parser_delete(&y.p);
    return rc;
}

/* ---- entry points ----------------------------------------------------------- */

static int is_yaml_name(const char *name)
{
    size_t n = strlen(name);
    return (n >= 5 && ci_eq(name + n - 5, 5, ".yaml")) || (n >= 4 && ci_eq(name + n - 4, 4, ".yml"));
}

int km_idmap_parse(const char *name, const char *text, size_t n, struct km_idmap **out,
                   struct km_err *err)
{
    *out = NULL;
    struct km_idmap *m = km_xcalloc(1, sizeof *m);
    snprintf(m->path, sizeof m->path, "%s", name ? name : "");
    km_arena_init(&m->a, 1 << 16, (size_t)256 << 20);
    struct pstate ps = {m, 0, err};
    int rc;
    if (n > MAP_MAX_BYTES)
        rc = km_err_set(err, KM_ELIMIT, m->path, UINT64_MAX, "identity map larger than %zu MiB",
                        MAP_MAX_BYTES >> 20);
    else if (is_yaml_name(m->path)) {
        m->format = "yaml";
        rc = parse_yaml(&ps, text, n);
    } else {
        m->format = "csv";
        rc = parse_csv(&ps, text, n);
    }
    if (rc) {
        km_idmap_free(m);
        return rc;
    }
    *out = m;
    return KM_OK;
}

int km_idmap_load(const char *path, struct km_idmap **out, struct km_err *err)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return km_err_set(err, errno == ENOENT ? KM_ENOTFOUND : KM_EIO, path, UINT64_MAX,
                          "cannot read the identity map: %s", strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && (size_t)st.st_size > MAP_MAX_BYTES) {
        fclose(f);
        return km_err_set(err, KM_ELIMIT, path, UINT64_MAX, "identity map larger than %zu MiB",
                          MAP_MAX_BYTES >> 20);
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = km_xmalloc(cap);
    for (;;) {
        if (n == cap) {
            if (cap > MAP_MAX_BYTES) {
                free(buf);
                fclose(f);
                return km_err_set(err, KM_ELIMIT, path, UINT64_MAX,
                                  "identity map larger than %zu MiB", MAP_MAX_BYTES >> 20);
            }
            cap *= 2;
            buf = km_xrealloc(buf, cap);
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0)
            break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return km_err_set(err, KM_EIO, path, UINT64_MAX, "reading the identity map failed");
    }
    int rc = km_idmap_parse(path, buf, n, out, err);
    free(buf);
    return rc;
}

void km_idmap_free(struct km_idmap *m)
{
    if (!m)
        return;
    km_arena_free(&m->a);
    free(m->ents);
    free(m);
}
