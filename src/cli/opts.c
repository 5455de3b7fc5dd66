/*
 * opts.c — the table-driven option parser, help and docs of the commands
 * (opts.h).
 */
#include "cli/opts.h"

#include "cli/cli.h"
#include "core/km.h"
#include "core/timeparse.h"

#include <ctype.h>
#include <strings.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- strict values ---------------------------------------------------- */

int km_opts_int(const char *s, long long min, long long max, long long *out, const char **why)
{
    const char *p = s;
    if (*p == '-' || *p == '+')
        p++;
    if (!*p) {
        *why = "not a number";
        return -1;
    }
    for (const char *q = p; *q; q++)
        if (!isdigit((unsigned char)*q)) {
            *why = "not a whole number (digits only)";
            return -1;
        }
    errno = 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (errno == ERANGE || *end) {
        *why = "out of range";
        return -1;
    }
    if (v < min) {
        *why = min == 1 ? "must be at least 1" : min == 0 ? "must not be negative" : "too small";
        return -1;
    }
    if (v > max) {
        *why = "too large";
        return -1;
    }
    *out = v;
    return 0;
}

int km_opts_size(const char *s, long long min, long long max, long long *out, const char **why)
{
    const char *p = s;
    unsigned long long v = 0;
    if (!isdigit((unsigned char)*p)) {
        *why = *p == '-' ? "must not be negative" : "not a size (e.g. 512, 64K, 256M, 8G)";
        return -1;
    }
    for (; isdigit((unsigned char)*p); p++) {
        if (v > (ULLONG_MAX - 9) / 10) {
            *why = "too large";
            return -1;
        }
        v = v * 10 + (unsigned)(*p - '0');
    }
    int shift = 0;
    switch (toupper((unsigned char)*p)) {
    case 'K': shift = 10; p++; break;
    case 'M': shift = 20; p++; break;
    case 'G': shift = 30; p++; break;
    case 'T': shift = 40; p++; break;
    default: break;
    }
    if (*p == 'B' || *p == 'b')
        p++;
    if (*p) {
        *why = "not a size (e.g. 512, 64K, 256M, 8G)";
        return -1;
    }
    if (shift && v > (ULLONG_MAX >> shift)) {
        *why = "too large";
        return -1;
    }
    v <<= shift;
    if (v > (unsigned long long)max) {
        *why = "too large";
        return -1;
    }
    if ((long long)v < min) {
        *why = min == 1 ? "must be at least 1 byte" : "too small";
        return -1;
    }
    *out = (long long)v;
    return 0;
}

static int is_bare_date(const char *s)
{
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return 0;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
            return 0;
    return 1;
}

int km_opts_time(const char *s, int end_of_day, int64_t *us, int *is_date)
{
    size_t n = strlen(s);
    if (is_date)
        *is_date = 0;
    if (n >= 2 && isdigit((unsigned char)s[0])) {
        /* relative: N then one unit letter, nothing else */
        size_t k = 0;
        while (isdigit((unsigned char)s[k]))
            k++;
        if (k + 1 == n && strchr("dhms", s[k]) && k <= 9) {
            long long v = strtoll(s, NULL, 10);
            int64_t unit = s[k] == 'd' ? 86400 : s[k] == 'h' ? 3600 : s[k] == 'm' ? 60 : 1;
            *us = ((int64_t)time(NULL) - (int64_t)v * unit) * 1000000;
            return 0;
        }
    }
    if (is_bare_date(s)) {
        char full[32];
        snprintf(full, sizeof full, "%sT00:00:00Z", s);
        if (km_time_parse(full, strlen(full), us) != KM_OK)
            return -1;
        if (is_date)
            *is_date = 1;
        if (end_of_day)
            *us += (int64_t)86400 * 1000000 - 1;
        return 0;
    }
    if (!n)
        return -1;
    return km_time_parse(s, n, us) == KM_OK ? 0 : -1;
}

int km_opts_distance(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    if (na > 60 || nb > 60)
        return 99;
    int d[61][61];
    for (size_t i = 0; i <= na; i++)
        d[i][0] = (int)i;
    for (size_t j = 0; j <= nb; j++)
        d[0][j] = (int)j;
    for (size_t i = 1; i <= na; i++)
        for (size_t j = 1; j <= nb; j++) {
            int c = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < c)
                c = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < c)
                c = d[i][j - 1] + 1;
            d[i][j] = c;
        }
    return d[na][nb] > 99 ? 99 : d[na][nb];
}

/* ---- help --------------------------------------------------------------- */

static const char *summary_of(const struct km_opts *o)
{
    if (o->summary)
        return o->summary;
    size_t n = strcspn(o->cmd, " ");
    for (int i = 0; i < km_ncommands; i++)
        if (strlen(km_commands[i].name) == n && strncmp(km_commands[i].name, o->cmd, n) == 0)
            return km_commands[i].summary;
    return "";
}

static int nopts(const struct km_opts *o)
{
    int n = 0;
    while (o->opt && o->opt[n].name)
        n++;
    return n;
}

void km_opts_synopsis(const struct km_opts *o, FILE *f)
{
    fprintf(f, "kumo %s%s%s%s", o->cmd, nopts(o) ? " [OPTIONS]" : "", o->args ? " " : "",
            o->args ? o->args : "");
}

/* "--limit N", "-n, --limit N", "--geo FILE..." into buf. */
static const char *opt_head(const struct km_opt *p, char *buf, size_t n)
{
    int rep = p->kind == KM_OPT_K_LIST;
    if (p->alias)
        snprintf(buf, n, "-%c, %s%s%s%s", p->alias, p->name, p->metavar ? " " : "",
                 p->metavar ? p->metavar : "", rep ? "..." : "");
    else
        snprintf(buf, n, "%s%s%s%s", p->name, p->metavar ? " " : "", p->metavar ? p->metavar : "",
                 rep ? "..." : "");
    return buf;
}

static void range_note(const struct km_opt *p, char *buf, size_t n)
{
    buf[0] = 0;
    if (p->kind == KM_OPT_K_INT)
        snprintf(buf, n, " (%lld to %lld)", p->min, p->max);
    else if (p->kind == KM_OPT_K_LIST)
        snprintf(buf, n, " (repeatable, at most %zu)", p->max_n);
}

void km_opts_help(const struct km_opts *o, FILE *f)
{
    fprintf(f, "usage: ");
    km_opts_synopsis(o, f);
    fprintf(f, "\n\n%s\n", summary_of(o));
    int n = nopts(o);
    if (n)
        fprintf(f, "\noptions:\n");
    for (int i = 0; i < n; i++) {
        const struct km_opt *p = &o->opt[i];
        char head[160], rn[96];
        opt_head(p, head, sizeof head);
        range_note(p, rn, sizeof rn);
        /* the help text, wrapped at 78 columns under a 28-column head */
        fprintf(f, "  %-26s", head);
        int col = 28;
        if ((int)strlen(head) > 26) {
            fprintf(f, "\n%28s", "");
        }
        char text[2048];
        snprintf(text, sizeof text, "%s%s", p->help ? p->help : "", rn);
        const char *w = text;
        while (*w) {
            size_t wl = strcspn(w, " ");
            if (col > 28 && col + 1 + (int)wl > 78) {
                fprintf(f, "\n%28s", "");
                col = 28;
            }
            if (col > 28) {
                fputc(' ', f);
                col++;
            }
            fwrite(w, 1, wl, f);
            col += (int)wl;
            w += wl;
            while (*w == ' ')
                w++;
        }
        fputc('\n', f);
    }
    fprintf(f, "\nglobal options (anywhere on the line): --store DIR, --config FILE, -v, -q, "
               "--help\n");
}

static void md_cell(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '|')
            fputs("\\|", f);
        else
            fputc(*s, f);
    }
}

void km_opts_markdown(const struct km_opts *o, FILE *f)
{
    fprintf(f, "### kumo %s\n\n%s\n\n```\n", o->cmd, summary_of(o));
    km_opts_synopsis(o, f);
    fprintf(f, "\n```\n\n");
    int n = nopts(o);
    if (!n) {
        fprintf(f, "No options besides the global ones.\n\n");
        return;
    }
    fprintf(f, "| option | meaning |\n|---|---|\n");
    for (int i = 0; i < n; i++) {
        const struct km_opt *p = &o->opt[i];
        char head[160], rn[96];
        opt_head(p, head, sizeof head);
        range_note(p, rn, sizeof rn);
        fputs("| `", f);
        md_cell(f, head);
        fputs("` | ", f);
        md_cell(f, p->help ? p->help : "");
        md_cell(f, rn);
        fputs(" |\n", f);
    }
    fputc('\n', f);
}

/* ---- parsing ------------------------------------------------------------ */

static int usage_err(const struct km_opts *o)
{
    fprintf(stderr, "usage: ");
    km_opts_synopsis(o, stderr);
    fprintf(stderr, "\n(`kumo %s --help` lists the options)\n", o->cmd);
    return 2;
}

static const struct km_opt *find_long(const struct km_opts *o, const char *a, size_t n)
{
    for (const struct km_opt *p = o->opt; p && p->name; p++)
        if (strlen(p->name) == n && strncmp(p->name, a, n) == 0)
            return p;
    return NULL;
}

static const struct km_opt *find_short(const struct km_opts *o, char c)
{
    for (const struct km_opt *p = o->opt; p && p->name; p++)
        if (p->alias && p->alias == c)
            return p;
    return NULL;
}

static void unknown(const struct km_opts *o, const char *a)
{
    char name[64];
    size_t n = strcspn(a, "=");
    if (n >= sizeof name)
        n = sizeof name - 1;
    memcpy(name, a, n);
    name[n] = 0;
    const char *best = NULL;
    int bd = 99;
    for (const struct km_opt *p = o->opt; p && p->name; p++) {
        int d = km_opts_distance(name, p->name);
        if (d < bd) {
            bd = d;
            best = p->name;
        }
    }
    int limit = (int)strlen(name) / 3 + 1;
    if (limit < 2)
        limit = 2;
    if (best && bd <= limit)
        fprintf(stderr, "kumo %s: unknown option %s (did you mean %s?)\n", o->cmd, name, best);
    else if (!o->opt || !o->opt[0].name)
        fprintf(stderr, "kumo %s: unknown option %s (this command has no options)\n", o->cmd,
                name);
    else
        fprintf(stderr, "kumo %s: unknown option %s\n", o->cmd, name);
}

static void set_int(const struct km_opt *p, long long v)
{
    switch (p->itype) {
    case KM_OPT_I_INT: *(int *)p->dst = (int)v; break;
    case KM_OPT_I_UINT: *(unsigned *)p->dst = (unsigned)v; break;
    case KM_OPT_I_LONG: *(long *)p->dst = (long)v; break;
    case KM_OPT_I_ULONG: *(unsigned long *)p->dst = (unsigned long)v; break;
    case KM_OPT_I_LLONG: *(long long *)p->dst = v; break;
    case KM_OPT_I_ULLONG: *(unsigned long long *)p->dst = (unsigned long long)v; break;
    default: break;
    }
}

/* Stores value v of option p (shown as `shown`). Returns 0 or 2. */
static int take(const struct km_opts *o, const struct km_opt *p, const char *shown, const char *v)
{
    const char *why = NULL;
    long long n;
    switch (p->kind) {
    case KM_OPT_K_STR:
        *(const char **)p->dst = v;
        return 0;
    case KM_OPT_K_INT:
        if (km_opts_int(v, p->min, p->max, &n, &why) == 0) {
            set_int(p, n);
            return 0;
        }
        fprintf(stderr, "kumo %s: %s '%s': %s (a whole number from %lld to %lld)\n", o->cmd,
                shown, v, why, p->min, p->max);
        return 2;
    case KM_OPT_K_SIZE:
        if (km_opts_size(v, p->min, p->max, &n, &why) == 0) {
            set_int(p, n);
            return 0;
        }
        fprintf(stderr, "kumo %s: %s '%s': %s\n", o->cmd, shown, v, why);
        return 2;
    case KM_OPT_K_TIME:
    case KM_OPT_K_UNTIL: {
        int64_t t;
        if (km_opts_time(v, p->kind == KM_OPT_K_UNTIL, &t, NULL) == 0) {
            *(int64_t *)p->dst = t;
            return 0;
        }
        fprintf(stderr, "kumo %s: %s '%s': cannot read this time (use 2026-10-01, "
                        "2026-10-01T12:00:00Z or 7d/12h/30m)\n", o->cmd, shown, v);
        return 2;
    }
    case KM_OPT_K_ENUM: {
        const char *s = p->values;
        size_t vl = strlen(v);
        while (*s) {
            size_t k = strcspn(s, "|");
            if (k == vl && strncasecmp(s, v, k) == 0) {
                /* the canonical spelling: the table's value, kept in static storage */
                static char canon[32][32];
                static int next;
                if (k < sizeof canon[0]) {
                    char *c = canon[next++ % 32];
                    memcpy(c, s, k);
                    c[k] = 0;
                    *(const char **)p->dst = c;
                } else {
                    *(const char **)p->dst = v;
                }
                return 0;
            }
            s += k;
            if (*s == '|')
                s++;
        }
        fprintf(stderr, "kumo %s: %s '%s': not one of %s\n", o->cmd, shown, v, p->values);
        return 2;
    }
    case KM_OPT_K_LIST:
        if (*p->count >= p->max_n) {
            fprintf(stderr, "kumo %s: %s given more than %zu times\n", o->cmd, shown, p->max_n);
            return 2;
        }
        ((const char **)p->dst)[(*p->count)++] = v;
        return 0;
    case KM_OPT_K_FN:
        return p->fn(p->ctx, o->cmd, p->name, v) ? 2 : 0;
    default:
        return 2;
    }
}

static int takes_value(const struct km_opt *p)
{
    return p->kind != KM_OPT_K_FLAG && !(p->kind == KM_OPT_K_FN && p->fn_flag);
}

int km_opts_parse(struct km_opts *o, int argc, char **argv, int *exit_code)
{
    o->npos = 0;
    /* --help first: it wins over any error elsewhere on the line */
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            break;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            km_opts_help(o, stdout);
            *exit_code = 0;
            return 1;
        }
        if (strcmp(argv[i], "--help-markdown") == 0) {
            km_opts_markdown(o, stdout);
            *exit_code = 0;
            return 1;
        }
        const struct km_opt *p = NULL;
        if (strncmp(argv[i], "--", 2) == 0)
            p = find_long(o, argv[i], strcspn(argv[i], "="));
        else if (argv[i][0] == '-' && argv[i][1] && !argv[i][2])
            p = find_short(o, argv[i][1]);
        if (p && takes_value(p) && !strchr(argv[i], '='))
            i++; /* skip its value (which may be "--help" as a literal) */
    }
    int only_pos = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!only_pos && strcmp(a, "--") == 0) {
            only_pos = 1;
            continue;
        }
        if (only_pos || a[0] != '-' || a[1] == 0) {
            if (o->npos >= o->maxpos) {
                if (o->maxpos == 0)
                    fprintf(stderr, "kumo %s: unexpected argument '%s'\n", o->cmd, a);
                else
                    fprintf(stderr, "kumo %s: too many arguments at '%s' (at most %d)\n", o->cmd,
                            a, o->maxpos);
                *exit_code = usage_err(o);
                return 1;
            }
            o->pos[o->npos++] = a;
            continue;
        }
        const struct km_opt *p;
        const char *v = NULL;
        char shown[80];
        if (a[1] == '-') {
            size_t n = strcspn(a, "=");
            p = find_long(o, a, n);
            if (a[n] == '=')
                v = a + n + 1;
        } else if (a[2] == 0) {
            p = find_short(o, a[1]);
        } else {
            p = NULL;
        }
        if (!p) {
            unknown(o, a);
            *exit_code = usage_err(o);
            return 1;
        }
        snprintf(shown, sizeof shown, "%s", a[1] == '-' ? p->name : a);
        if (!takes_value(p)) {
            if (v) {
                fprintf(stderr, "kumo %s: %s takes no value\n", o->cmd, p->name);
                *exit_code = usage_err(o);
                return 1;
            }
            if (p->kind == KM_OPT_K_FLAG)
                *(int *)p->dst = 1;
            else if (p->fn(p->ctx, o->cmd, p->name, NULL)) {
                *exit_code = 2;
                return 1;
            }
            continue;
        }
        if (!v) {
            if (i + 1 >= argc) {
                fprintf(stderr, "kumo %s: %s needs a value%s%s\n", o->cmd, shown,
                        p->metavar ? " " : "", p->metavar ? p->metavar : "");
                *exit_code = usage_err(o);
                return 1;
            }
            v = argv[++i];
        }
        if (take(o, p, shown, v)) {
            *exit_code = 2;
            return 1;
        }
    }
    if (o->npos < o->minpos) {
        fprintf(stderr, "kumo %s: missing %s\n", o->cmd, o->args ? o->args : "argument");
        *exit_code = usage_err(o);
        return 1;
    }
    return 0;
}
