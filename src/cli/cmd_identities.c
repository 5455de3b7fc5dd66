/*
 * cmd_identities.c — `kumo identities`: the identity graph (ident/ident.h)
 * of the store: every person with the identities that are theirs in each
 * cloud and the rule behind each link, the non-person identities (roles,
 * service accounts) with the persons seen using them, the identities no
 * rule links, where the organisation's domains came from and which
 * identity-map file was read. docs/identities.md has examples.
 */
#include "cli/cli.h"
#include "cli/opts.h"
#include "cli/output.h"
#include "core/conf.h"
#include "core/timeparse.h"
#include "ident/ident.h"
#include "json/json.h"
#include "store/store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- JSON ------------------------------------------------------------------ */

static void jstr(struct km_buf *b, const char *s) { km_json_write_str(b, s, strlen(s)); }

static void jtime(struct km_buf *b, uint64_t events, int64_t t)
{
    if (!events) {
        km_buf_adds(b, "null");
        return;
    }
    char x[32];
    km_time_fmt(t, x);
    km_buf_printf(b, "\"%s\"", x);
}

static void json_ident(struct km_buf *b, const struct km_idgraph *g, size_t i)
{
    const struct km_ident *d = km_idgraph_ident(g, i);
    km_buf_adds(b, "{\"provider\":");
    jstr(b, d->provider);
    km_buf_adds(b, ",\"kind\":");
    jstr(b, km_ident_kind_name(d->kind));
    km_buf_adds(b, ",\"account\":");
    jstr(b, d->account);
    km_buf_printf(b, ",\"accounts\":%u,\"name\":", d->naccounts);
    jstr(b, d->name);
    km_buf_adds(b, ",\"id\":");
    jstr(b, d->id);
    km_buf_adds(b, ",\"email\":");
    jstr(b, d->email);
    if (d->display[0]) {
        km_buf_adds(b, ",\"display\":");
        jstr(b, d->display);
    }
    km_buf_printf(b, ",\"is_person\":%s,\"events\":%llu,\"first\":", d->is_person ? "true" : "false",
                  (unsigned long long)d->events);
    jtime(b, d->events, d->first);
    km_buf_adds(b, ",\"last\":");
    jtime(b, d->events, d->last);
    const struct km_person *p = d->person >= 0 ? km_idgraph_person(g, (size_t)d->person) : NULL;
    km_buf_adds(b, ",\"person\":");
    if (p)
        jstr(b, p->email);
    else
        km_buf_adds(b, "null");
    km_buf_adds(b, ",\"rule\":");
    jstr(b, d->rule);
    km_buf_adds(b, ",\"rule_detail\":");
    jstr(b, d->rule_detail);
    if (!d->is_person || d->nusers) {
        km_buf_adds(b, ",\"users\":[");
        for (uint32_t u = 0; u < d->nusers; u++) {
            if (u)
                km_buf_addc(b, ',');
            jstr(b, km_idgraph_person(g, (size_t)d->users[u])->email);
        }
        km_buf_addc(b, ']');
    }
    km_buf_addc(b, '}');
}

static void json_person(struct km_buf *b, const struct km_idgraph *g, size_t p)
{
    const struct km_person *x = km_idgraph_person(g, p);
    km_buf_adds(b, "{\"person\":");
    jstr(b, x->email);
    km_buf_adds(b, ",\"display\":");
    jstr(b, x->display);
    km_buf_printf(b, ",\"events\":%llu,\"first\":", (unsigned long long)x->events);
    jtime(b, x->events, x->first);
    km_buf_adds(b, ",\"last\":");
    jtime(b, x->events, x->last);
    km_buf_adds(b, ",\"providers\":[");
    const char *seen[16];
    int ns = 0;
    for (uint32_t i = 0; i < x->nidents; i++) {
        const char *pv = km_idgraph_ident(g, x->idents[i])->provider;
        int dup = 0;
        for (int k = 0; k < ns; k++)
            dup |= strcmp(seen[k], pv) == 0;
        if (dup || ns == 16)
            continue;
        if (ns)
            km_buf_addc(b, ',');
        seen[ns++] = pv;
        jstr(b, pv);
    }
    km_buf_adds(b, "],\"identities\":[");
    for (uint32_t i = 0; i < x->nidents; i++) {
        if (i)
            km_buf_addc(b, ',');
        json_ident(b, g, x->idents[i]);
    }
    km_buf_adds(b, "],\"used\":[");
    for (uint32_t i = 0; i < x->nused; i++) {
        const struct km_ident *d = km_idgraph_ident(g, x->used[i]);
        if (i)
            km_buf_addc(b, ',');
        km_buf_adds(b, "{\"provider\":");
        jstr(b, d->provider);
        km_buf_adds(b, ",\"kind\":");
        jstr(b, km_ident_kind_name(d->kind));
        km_buf_adds(b, ",\"account\":");
        jstr(b, d->account);
        km_buf_adds(b, ",\"name\":");
        jstr(b, d->name);
        km_buf_addc(b, '}');
    }
    km_buf_adds(b, "]}");
}

static void json_head(struct km_buf *b, const struct km_idgraph *g)
{
    const char *const *doms;
    const char *origin;
    size_t nd = km_idgraph_domains(g, &doms, &origin);
    km_buf_adds(b, "{\"domains\":[");
    for (size_t i = 0; i < nd; i++) {
        if (i)
            km_buf_addc(b, ',');
        jstr(b, doms[i]);
    }
    km_buf_adds(b, "],\"domains_from\":");
    jstr(b, origin);
    const char *fmt;
    size_t nent;
    const char *mp = km_idgraph_map_path(g, &fmt, &nent);
    km_buf_adds(b, ",\"map\":");
    if (*mp) {
        km_buf_adds(b, "{\"path\":");
        jstr(b, mp);
        km_buf_adds(b, ",\"format\":");
        jstr(b, fmt);
        km_buf_printf(b, ",\"statements\":%zu}", nent);
    } else {
        km_buf_adds(b, "null");
    }
    const char *const *w;
    size_t nw = km_idgraph_warnings(g, &w);
    km_buf_adds(b, ",\"warnings\":[");
    for (size_t i = 0; i < nw; i++) {
        if (i)
            km_buf_addc(b, ',');
        jstr(b, w[i]);
    }
    km_buf_printf(b, "],\"tuples\":%zu", km_idgraph_ntuples(g));
}

static void report_json(struct km_buf *b, const struct km_idgraph *g, int only)
{
    json_head(b, g);
    km_buf_adds(b, ",\"persons\":[");
    int first = 1;
    for (size_t p = 0; p < km_idgraph_npersons(g); p++) {
        if (only >= 0 && (int)p != only)
            continue;
        if (!first)
            km_buf_addc(b, ',');
        first = 0;
        json_person(b, g, p);
    }
    km_buf_adds(b, "]");
    if (only < 0) {
        km_buf_adds(b, ",\"non_persons\":[");
        first = 1;
        for (size_t i = 0; i < km_idgraph_nidents(g); i++) {
            const struct km_ident *d = km_idgraph_ident(g, i);
            if (d->is_person || d->person >= 0)
                continue;
            if (!first)
                km_buf_addc(b, ',');
            first = 0;
            json_ident(b, g, i);
        }
        km_buf_adds(b, "],\"unlinked\":[");
        first = 1;
        for (size_t i = 0; i < km_idgraph_nidents(g); i++) {
            const struct km_ident *d = km_idgraph_ident(g, i);
            if (!d->is_person || d->person >= 0)
                continue;
            if (!first)
                km_buf_addc(b, ',');
            first = 0;
            json_ident(b, g, i);
        }
        km_buf_adds(b, "]");
    }
    km_buf_adds(b, "}\n");
}

/* ---- table ------------------------------------------------------------------ */

/* Whole seconds (the table has room for 20 characters). */
static void tsec(int64_t us, char out[32])
{
    int64_t r = us % 1000000;
    km_time_fmt(r < 0 ? us - r - 1000000 : us - r, out);
}

/* s cut to w bytes ("..." at the end when cut), padded to w when pad. */
/* Cells are cut to their column only when stdout is a terminal. */
static int cut_cells;

static void cell(struct km_buf *b, const char *s, size_t w, int pad)
{
    km_out_fit(b, s, strlen(s), cut_cells ? (int)w : 0, pad ? (int)w : 0, "...");
}

static const char *acct_text(const struct km_ident *d, char *buf, size_t n)
{
    if (d->naccounts > 1)
        snprintf(buf, n, "%s (+%u)", d->account, d->naccounts - 1);
    else
        snprintf(buf, n, "%s", d->account[0] ? d->account : "-");
    return buf;
}

static const char *ident_text(const struct km_ident *d, char *buf, size_t n)
{
    if (d->kind == KM_ID_ENTRA_USER && d->id[0] && strcmp(d->id, d->name) != 0)
        snprintf(buf, n, "%s (%s)", d->name, d->id);
    else if (d->kind == KM_ID_GCP_IMPERSONATION)
        snprintf(buf, n, "%s as %s", d->email, d->name);
    else
        snprintf(buf, n, "%s", d->name[0] ? d->name : d->id);
    return buf;
}

struct widths {
    size_t prov, kind, acct, name;
};

static void widths_of(const struct km_idgraph *g, struct widths *w)
{
    *w = (struct widths){8, 4, 7, 8};
    char buf[1024];
    for (size_t i = 0; i < km_idgraph_nidents(g); i++) {
        const struct km_ident *d = km_idgraph_ident(g, i);
        size_t n = strlen(d->provider);
        w->prov = n > w->prov ? n : w->prov;
        n = strlen(km_ident_kind_name(d->kind));
        w->kind = n > w->kind ? n : w->kind;
        n = strlen(acct_text(d, buf, sizeof buf));
        w->acct = n > w->acct ? n : w->acct;
        n = strlen(ident_text(d, buf, sizeof buf));
        w->name = n > w->name ? n : w->name;
    }
    if (w->acct > 40)
        w->acct = 40;
    if (w->name > 64)
        w->name = 64;
}

static void row_head(struct km_buf *b, const struct widths *w, const char *last)
{
    km_buf_adds(b, "  ");
    cell(b, "PROVIDER", w->prov, 1);
    km_buf_adds(b, "  ");
    cell(b, "KIND", w->kind, 1);
    km_buf_adds(b, "  ");
    cell(b, "ACCOUNT", w->acct, 1);
    km_buf_adds(b, "  ");
    cell(b, "IDENTITY", w->name, 1);
    km_buf_printf(b, "  %10s  %-20s  %-20s  %s\n", "EVENTS", "FIRST", "LAST", last);
}

static void row(struct km_buf *b, const struct km_idgraph *g, const struct widths *w, size_t i,
                const char *last)
{
    const struct km_ident *d = km_idgraph_ident(g, i);
    char buf[1024], num[32], t1[32] = "-", t2[32] = "-";
    km_buf_adds(b, "  ");
    cell(b, d->provider, w->prov, 1);
    km_buf_adds(b, "  ");
    cell(b, km_ident_kind_name(d->kind), w->kind, 1);
    km_buf_adds(b, "  ");
    cell(b, acct_text(d, buf, sizeof buf), w->acct, 1);
    km_buf_adds(b, "  ");
    cell(b, ident_text(d, buf, sizeof buf), w->name, 1);
    if (d->events) {
        tsec(d->first, t1);
        tsec(d->last, t2);
    }
    km_buf_printf(b, "  %10s  %-20s  %-20s  %s\n", km_out_num(d->events, num, sizeof num), t1, t2,
                  last);
}

static void report_table(struct km_buf *b, const struct km_idgraph *g, int only, int all)
{
    const char *const *doms;
    const char *origin;
    size_t nd = km_idgraph_domains(g, &doms, &origin);
    km_buf_adds(b, "domains:  ");
    for (size_t i = 0; i < nd && i < 20; i++)
        km_buf_printf(b, "%s%s", i ? ", " : "", doms[i]);
    if (nd > 20)
        km_buf_printf(b, ", ... (%zu in all)", nd);
    if (nd)
        km_buf_printf(b, " (from %s)\n", origin);
    else
        km_buf_adds(b, "none (no identity.domains and no tenant UPN in the store: the local-part "
                       "rule links nothing)\n");
    const char *fmt;
    size_t nent;
    const char *mp = km_idgraph_map_path(g, &fmt, &nent);
    if (*mp)
        km_buf_printf(b, "map:      %s (%s, %zu statements)\n", mp, fmt, nent);
    else
        km_buf_adds(b, "map:      none (identity.map; default STORE/identities.csv)\n");
    const char *const *warns;
    size_t nw = km_idgraph_warnings(g, &warns);
    for (size_t i = 0; i < nw; i++)
        km_buf_printf(b, "warning:  %s\n", warns[i]);

    struct widths w;
    widths_of(g, &w);
    char num[32], t1[32], t2[32], buf[1200];
    size_t np = km_idgraph_npersons(g), nlinked = 0;
    for (size_t p = 0; p < np; p++)
        nlinked += km_idgraph_person(g, p)->nidents;
    if (only < 0)
        km_buf_printf(b, "\nPERSONS: %zu (%zu identities)\n", np, nlinked);
    for (size_t p = 0; p < np; p++) {
        if (only >= 0 && (int)p != only)
            continue;
        const struct km_person *x = km_idgraph_person(g, p);
        km_buf_printf(b, "\n%s", x->email);
        if (x->display[0])
            km_buf_printf(b, "  \"%s\"", x->display);
        km_buf_printf(b, "  %s events", km_out_num(x->events, num, sizeof num));
        if (x->events) {
            tsec(x->first, t1);
            tsec(x->last, t2);
            km_buf_printf(b, "  %s .. %s", t1, t2);
        }
        km_buf_addc(b, '\n');
        row_head(b, &w, "RULE");
        for (uint32_t i = 0; i < x->nidents; i++) {
            const struct km_ident *d = km_idgraph_ident(g, x->idents[i]);
            snprintf(buf, sizeof buf, "%s: %s", d->rule, d->rule_detail);
            row(b, g, &w, x->idents[i], buf);
        }
        if (x->nused) {
            km_buf_adds(b, "  used:");
            for (uint32_t i = 0; i < x->nused; i++) {
                const struct km_ident *d = km_idgraph_ident(g, x->used[i]);
                km_buf_printf(b, "%s %s %s (%s)", i ? "," : "", km_ident_kind_name(d->kind), d->name,
                              d->account[0] ? d->account : "-");
            }
            km_buf_addc(b, '\n');
        }
    }
    if (only >= 0)
        return;
    size_t nused = 0, nother = 0, nunl = 0;
    for (size_t i = 0; i < km_idgraph_nidents(g); i++) {
        const struct km_ident *d = km_idgraph_ident(g, i);
        if (d->person >= 0)
            continue;
        if (d->is_person)
            nunl++;
        else if (d->nusers)
            nused++;
        else
            nother++;
    }
    km_buf_printf(b, "\nNON-PERSON IDENTITIES USED BY PERSONS: %zu\n", nused);
    if (nused)
        row_head(b, &w, "USED BY");
    for (size_t i = 0; i < km_idgraph_nidents(g); i++) {
        const struct km_ident *d = km_idgraph_ident(g, i);
        if (d->person >= 0 || d->is_person || !d->nusers)
            continue;
        size_t k = 0;
        buf[0] = 0;
        for (uint32_t u = 0; u < d->nusers && k < sizeof buf - 100; u++)
            k += (size_t)snprintf(buf + k, sizeof buf - k, "%s%s", u ? ", " : "",
                                  km_idgraph_person(g, (size_t)d->users[u])->email);
        row(b, g, &w, i, buf);
    }
    km_buf_printf(b, "\nOTHER NON-PERSON IDENTITIES: %zu (services, apps, roles and service "
                     "accounts no person was seen using)%s\n",
                  nother, all || !nother ? "" : "; --all lists them");
    if (all && nother) {
        row_head(b, &w, "");
        for (size_t i = 0; i < km_idgraph_nidents(g); i++) {
            const struct km_ident *d = km_idgraph_ident(g, i);
            if (d->person < 0 && !d->is_person && !d->nusers)
                row(b, g, &w, i, "");
        }
    }
    km_buf_printf(b, "\nUNLINKED IDENTITIES: %zu (may be a person's; no rule or map line links "
                     "them)\n", nunl);
    if (nunl)
        row_head(b, &w, "NOTE");
    for (size_t i = 0; i < km_idgraph_nidents(g); i++) {
        const struct km_ident *d = km_idgraph_ident(g, i);
        if (d->person < 0 && d->is_person)
            row(b, g, &w, i, d->rule_detail);
    }
}

int km_cmd_identities(int argc, char **argv)
{
    const char *dir = km_cli_store_dir(&argc, argv);
    int json = 0, all = 0, ex;
    const char *person = NULL, *map = NULL, *fmt = NULL;
    const struct km_opt opt[] = {
        KM_OPT_ENUM("--format", 0, &fmt, "table|json", "output format"),
        KM_OPT_FLAG("--json", 0, &json, "the same as --format json"),
        KM_OPT_STR("--person", 0, &person, "X",
                   "only the person X names (an e-mail, UPN, user name, ARN or id)"),
        KM_OPT_STR("--map", 0, &map, "FILE",
                   "an identity map file (identity.map, docs/identities.md)"),
        KM_OPT_FLAG("--all", 0, &all, "also list the other non-person identities (by default only "
                    "counted)"),
        KM_OPT_END,
    };
    struct km_opts op = {.cmd = "identities", .opt = opt};
    if (km_opts_parse(&op, argc, argv, &ex))
        return ex;
    if (fmt)
        json = strcmp(fmt, "json") == 0;
    struct km_conf *conf = km_cli_conf("identities", dir, &argc, argv);
    if (!conf)
        return 2;
    struct km_err err;
    km_err_clear(&err);
    char m[1200];
    if (map && km_conf_set(conf, "identity.map", map, &err) != KM_OK) {
        fprintf(stderr, "kumo identities: %s\n", km_err_fmt(&err, m, sizeof m));
        km_conf_free(conf);
        return 2;
    }
    struct km_store *s;
    if (km_cli_open_store("identities", dir, 0, &s) != KM_OK) {
        km_conf_free(conf);
        return 1;
    }
    struct km_idgraph *g;
    int rc = km_idgraph_build(s, conf, &g, &err);
    km_store_close(s);
    km_conf_free(conf);
    if (rc) {
        fprintf(stderr, "kumo identities: %s\n", km_err_fmt(&err, m, sizeof m));
        return rc == KM_EUSAGE ? 2 : 1;
    }
    int only = -1;
    if (person) {
        only = km_idgraph_find_person(g, person, strlen(person));
        if (only < 0) {
            fprintf(stderr, "kumo identities: '%s' names no person (or several): see "
                            "`kumo identities`\n", person);
            km_idgraph_free(g);
            return 1;
        }
    }
    struct km_buf b;
    km_buf_init(&b, 0);
    if (json) {
        report_json(&b, g, only);
    } else {
        struct km_buf t;
        km_buf_init(&t, 0);
        cut_cells = km_out_term_cols(stdout) > 0;
        report_table(&t, g, only, all);
        km_out_text(&b, t.p, t.n, KM_OUT_KEEP_NL); /* every value by the text rule */
        b.oom |= t.oom;
        km_buf_free(&t);
    }
    km_idgraph_free(g);
    rc = 0;
    if (b.oom || fwrite(b.p, 1, b.n, stdout) != b.n || fflush(stdout) != 0) {
        fprintf(stderr, "kumo identities: writing: %s\n", b.oom ? "output too large" : strerror(errno));
        rc = 1;
    }
    if (!json && !rc)
        km_out_cut_note(stdout);
    km_buf_free(&b);
    return rc;
}
