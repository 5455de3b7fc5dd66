/*
 * findings_out.c — printing findings and incidents (findings_out.h).
 */
#include "cli/findings_out.h"

#include "cli/output.h"
#include "core/timeparse.h"

#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* f's width when it is a terminal, else 0: never cut (output.h). */
static int term_width(FILE *o) { return km_out_term_cols(o); }

static void upper(char *d, const char *s)
{
    size_t i = 0;
    for (; s[i] && i < 15; i++)
        d[i] = (char)(s[i] >= 'a' && s[i] <= 'z' ? s[i] - 32 : s[i]);
    d[i] = 0;
}

/* Writes s by the text rule, cut to `room` columns with "…" (0: whole), and
 * padded to pad columns. */
static void put_fit(FILE *o, const char *s, int room, int pad)
{
    struct km_buf b;
    km_buf_init(&b, 0);
    km_out_fit(&b, s, strlen(s), room > 1 ? room : 0, pad, NULL);
    if (b.n)
        fwrite(b.p, 1, b.n, o);
    km_buf_free(&b);
}

static void put_cut(FILE *o, const char *s, int room) { put_fit(o, s, room, 0); }

void km_fout_table(FILE *o, const struct km_finding *f, size_t n)
{
    if (!n) {
        fprintf(o, "no findings\n");
        return;
    }
    int w = term_width(o);
    fprintf(o, "%-18s %-8s %-22s %-20s %-20s %s\n", "ID", "SEVERITY", "DETECTION", "FIRST",
            "LAST", "SUMMARY");
    for (size_t i = 0; i < n; i++) {
        char t1[32], t2[32], sev[16];
        km_time_fmt(f[i].first, t1);
        km_time_fmt(f[i].last, t2);
        upper(sev, km_sev_name(f[i].severity));
        km_out_printf(o, "%-18s %-8s %-22s %-20s %-20s ", f[i].id, sev, f[i].detection, t1, t2);
        put_cut(o, f[i].summary, w ? w - 114 : 0);
        fputc('\n', o);
    }
    km_out_cut_note(o);
}

void km_fout_json(FILE *o, const struct km_finding *f, size_t n, int lines)
{
    struct km_buf b;
    km_buf_init(&b, 0);
    if (!lines)
        km_buf_addc(&b, '[');
    for (size_t i = 0; i < n; i++) {
        if (!lines && i)
            km_buf_addc(&b, ',');
        km_finding_json(&f[i], 1, &b);
        if (lines)
            km_buf_addc(&b, '\n');
        if (b.n > (1u << 20)) {
            fwrite(b.p, 1, b.n, o);
            b.n = 0;
        }
    }
    if (!lines)
        km_buf_adds(&b, "]\n");
    if (b.n)
        fwrite(b.p, 1, b.n, o);
    km_buf_free(&b);
}

static void jstr(struct km_buf *b, const char *s) { km_json_write_str(b, s, strlen(s)); }

static int64_t ms(int64_t us) { return us / 1000; }

/* ATT&CK tactic and ASFF type of a detection. */
struct tac {
    const char *det, *tactic, *asff;
};
static const struct tac tacs[] = {
    {"password_spray", "Credential Access", "TTPs/Credential Access/Password Spray"},
    {"brute_force", "Credential Access", "TTPs/Credential Access/Brute Force"},
    {"impossible_travel", "Initial Access", "TTPs/Initial Access/Impossible Travel"},
    {"new_location", "Initial Access", "TTPs/Initial Access/New Location"},
    {"role_chain", "Lateral Movement", "TTPs/Lateral Movement/Role Chaining"},
    {"azure_role_assignment", "Privilege Escalation", "TTPs/Privilege Escalation/Role Assignment"},
    {"gcp_impersonation", "Lateral Movement", "TTPs/Lateral Movement/Service Account Impersonation"},
    {"leaked_key", "Initial Access", "TTPs/Initial Access/Leaked Credentials"},
    {"recon_burst", "Discovery", "TTPs/Discovery/Cloud Reconnaissance"},
    {"credential_persistence", "Persistence", "TTPs/Persistence/Credentials Created"},
    {"privilege_grant", "Privilege Escalation", "TTPs/Privilege Escalation/Admin Granted"},
    {"logging_tampering", "Defense Evasion", "TTPs/Defense Evasion/Logging Tampering"},
    {"log_silence", "Defense Evasion", "TTPs/Defense Evasion/Log Silence"},
    {"exposure", "Exfiltration", "Effects/Data Exposure"},
};

static const struct tac *tac_of(const char *det)
{
    for (size_t i = 0; i < KM_ARRAY_LEN(tacs); i++)
        if (!strcmp(tacs[i].det, det))
            return &tacs[i];
    return NULL;
}

static void obs(struct km_buf *b, int *first, const struct km_strset *s, int type_id,
                const char *type, const char *name)
{
    for (uint32_t i = 0; i < s->n; i++) {
        km_buf_printf(b, "%s{\"name\":\"%s\",\"type_id\":%d,\"type\":\"%s\",\"value\":",
                      *first ? "" : ",", name, type_id, type);
        jstr(b, s->v[i]);
        km_buf_addc(b, '}');
        *first = 0;
    }
}

void km_fout_ocsf(FILE *o, const struct km_finding *f, size_t n)
{
    static const char *const sevn[] = {"Informational", "Low", "Medium", "High", "Critical"};
    struct km_buf b;
    km_buf_init(&b, 0);
    for (size_t i = 0; i < n; i++) {
        const struct km_finding *x = &f[i];
        const struct tac *t = tac_of(x->detection);
        km_buf_printf(&b,
                      "{\"class_uid\":2004,\"class_name\":\"Detection Finding\",\"category_uid\":2,"
                      "\"category_name\":\"Findings\",\"activity_id\":1,\"activity_name\":"
                      "\"Create\",\"type_uid\":200401,\"type_name\":\"Detection Finding: Create\","
                      "\"severity_id\":%d,\"severity\":\"%s\",\"status_id\":1,\"status\":\"New\","
                      "\"time\":%lld,\"message\":",
                      x->severity + 1, sevn[x->severity], (long long)ms(x->last));
        jstr(&b, x->summary);
        km_buf_adds(&b, ",\"finding_info\":{\"uid\":");
        jstr(&b, x->id);
        km_buf_adds(&b, ",\"title\":");
        jstr(&b, x->detection);
        km_buf_adds(&b, ",\"desc\":");
        jstr(&b, x->summary);
        km_buf_adds(&b, ",\"types\":[");
        jstr(&b, x->detection);
        km_buf_printf(&b, "],\"first_seen_time\":%lld,\"last_seen_time\":%lld,",
                      (long long)ms(x->first), (long long)ms(x->last));
        km_buf_adds(&b, "\"analytic\":{\"uid\":");
        jstr(&b, x->detection);
        km_buf_adds(&b, ",\"name\":");
        jstr(&b, x->detection);
        km_buf_adds(&b, ",\"type_id\":1,\"type\":\"Rule\"},\"attacks\":[");
        /* techniques: "T1550.001, T1078.004" */
        char tech[128];
        snprintf(tech, sizeof tech, "%s", x->technique ? x->technique : "");
        int k = 0;
        for (char *tok = strtok(tech, ", "); tok; tok = strtok(NULL, ", ")) {
            km_buf_printf(&b, "%s{\"technique\":{\"uid\":", k++ ? "," : "");
            jstr(&b, tok);
            km_buf_addc(&b, '}');
            if (t) {
                km_buf_adds(&b, ",\"tactic\":{\"name\":");
                jstr(&b, t->tactic);
                km_buf_addc(&b, '}');
            }
            km_buf_adds(&b, ",\"version\":\"v15\"}");
        }
        km_buf_adds(&b, "],\"related_events\":[");
        for (uint32_t j = 0; j < x->event_ids.n; j++) {
            km_buf_printf(&b, "%s{\"uid\":", j ? "," : "");
            jstr(&b, x->event_ids.v[j]);
            km_buf_addc(&b, '}');
        }
        km_buf_adds(&b, "]},\"resources\":[");
        for (uint32_t j = 0; j < x->ent[KM_ENT_RESOURCES].n; j++) {
            km_buf_printf(&b, "%s{\"uid\":", j ? "," : "");
            jstr(&b, x->ent[KM_ENT_RESOURCES].v[j]);
            km_buf_addc(&b, '}');
        }
        km_buf_adds(&b, "],\"observables\":[");
        int first = 1;
        obs(&b, &first, &x->ent[KM_ENT_IPS], 2, "IP Address", "src_endpoint.ip");
        obs(&b, &first, &x->ent[KM_ENT_PERSONS], 5, "Email Address", "user.email_addr");
        obs(&b, &first, &x->ent[KM_ENT_IDENTITIES], 4, "User Name", "user.name");
        obs(&b, &first, &x->ent[KM_ENT_RESOURCES], 10, "Resource UID", "resources.uid");
        km_buf_adds(&b, "],\"metadata\":{\"version\":\"1.3.0\",\"uid\":");
        jstr(&b, x->id);
        km_buf_adds(&b, ",\"product\":{\"name\":\"kumo\",\"vendor_name\":\"kumo\"}},"
                        "\"unmapped\":{\"entities\":");
        struct km_buf e;
        km_buf_init(&e, 0);
        km_finding_json(x, 0, &e);
        /* the finding's own JSON carries the entities verbatim */
        km_buf_add(&b, e.p, e.n);
        km_buf_free(&e);
        km_buf_adds(&b, "}}\n");
        fwrite(b.p, 1, b.n, o);
        b.n = 0;
    }
    km_buf_free(&b);
}

static int aws_account(const char *s)
{
    if (strlen(s) != 12)
        return 0;
    for (int i = 0; i < 12; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

void km_fout_asff(FILE *o, const struct km_finding *f, size_t n, const char *account,
                  const char *region)
{
    static const char *const sevl[] = {"INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"};
    struct km_buf b;
    km_buf_init(&b, 0);
    km_buf_addc(&b, '[');
    if (!region)
        region = "us-east-1";
    for (size_t i = 0; i < n; i++) {
        const struct km_finding *x = &f[i];
        const char *acct = account;
        for (uint32_t j = 0; !acct && j < x->ent[KM_ENT_ACCOUNTS].n; j++)
            if (aws_account(x->ent[KM_ENT_ACCOUNTS].v[j]))
                acct = x->ent[KM_ENT_ACCOUNTS].v[j];
        if (!acct)
            acct = "000000000000";
        const struct tac *t = tac_of(x->detection);
        char t1[32], t2[32];
        km_time_fmt(x->first, t1);
        km_time_fmt(x->last, t2);
        km_buf_printf(&b,
                      "%s{\"SchemaVersion\":\"2018-10-08\",\"Id\":\"kumo/%s\",\"ProductArn\":"
                      "\"arn:aws:securityhub:%s:%s:product/%s/default\",\"GeneratorId\":"
                      "\"kumo/%s\",\"AwsAccountId\":\"%s\",\"Types\":[",
                      i ? "," : "", x->id, region, acct, acct, x->detection, acct);
        jstr(&b, t ? t->asff : "TTPs");
        km_buf_printf(&b,
                      "],\"CreatedAt\":\"%s\",\"UpdatedAt\":\"%s\",\"FirstObservedAt\":\"%s\","
                      "\"LastObservedAt\":\"%s\",\"Severity\":{\"Label\":\"%s\"},\"Title\":",
                      t1, t2, t1, t2, sevl[x->severity]);
        char title[256];
        snprintf(title, sizeof title, "kumo %s", x->detection);
        jstr(&b, title);
        km_buf_adds(&b, ",\"Description\":");
        km_json_write_str(&b, x->summary, strlen(x->summary) > 1024 ? 1024 : strlen(x->summary));
        km_buf_adds(&b, ",\"Resources\":[");
        uint32_t nr = x->ent[KM_ENT_RESOURCES].n;
        for (uint32_t j = 0; j < nr && j < 32; j++) {
            const char *r = x->ent[KM_ENT_RESOURCES].v[j];
            km_buf_printf(&b, "%s{\"Type\":\"Other\",\"Id\":", j ? "," : "");
            jstr(&b, r);
            km_buf_addc(&b, '}');
        }
        if (!nr)
            km_buf_printf(&b, "{\"Type\":\"AwsAccount\",\"Id\":\"AWS::::Account:%s\"}", acct);
        km_buf_adds(&b, "],\"ProductFields\":{\"kumo/detection\":");
        jstr(&b, x->detection);
        km_buf_adds(&b, ",\"kumo/technique\":");
        jstr(&b, x->technique ? x->technique : "");
        for (int k = 0; k < KM_ENT__N; k++) {
            if (!x->ent[k].n)
                continue;
            struct km_buf v;
            km_buf_init(&v, 0);
            for (uint32_t j = 0; j < x->ent[k].n && v.n < 1800; j++)
                km_buf_printf(&v, "%s%s", j ? "," : "", x->ent[k].v[j]);
            km_buf_printf(&b, ",\"kumo/%s\":", km_ent_names[k]);
            km_json_write_str(&b, v.p, v.n > 2048 ? 2048 : v.n);
            km_buf_free(&v);
        }
        km_buf_adds(&b, "},\"RecordState\":\"ACTIVE\",\"Workflow\":{\"Status\":\"NEW\"}");
        if (x->ent[KM_ENT_IPS].n) {
            km_buf_adds(&b, ",\"Network\":{\"Direction\":\"IN\",\"SourceIpV4\":");
            jstr(&b, x->ent[KM_ENT_IPS].v[0]);
            km_buf_addc(&b, '}');
        }
        km_buf_addc(&b, '}');
    }
    km_buf_adds(&b, "]\n");
    fwrite(b.p, 1, b.n, o);
    km_buf_free(&b);
}

static void print_ev(FILE *o, const struct km_fev *e, const char *tag)
{
    char t[32];
    km_time_fmt(e->time, t);
    km_out_printf(o, "  %-20s %-6s %-22s %-30s ", t, e->provider, e->source, e->action);
    put_fit(o, e->actor, term_width(o) ? 40 : 0, 0); /* cut on a terminal only */
    km_out_printf(o, "  %s  %s", e->ip[0] ? e->ip : "-", e->outcome[0] ? e->outcome : "-");
    if (tag)
        km_out_printf(o, "  [%s]", tag);
    else
        km_out_printf(o, "  %s", e->event_id);
    fputc('\n', o);
}

static void print_entities(FILE *o, const struct km_strset *ent)
{
    for (int k = 0; k < KM_ENT__N; k++) {
        if (!ent[k].n)
            continue;
        fprintf(o, "  %-12s ", km_ent_names[k]);
        for (uint32_t j = 0; j < ent[k].n && j < 12; j++) {
            if (j)
                fputs(", ", o);
            km_out_safe_file(o, ent[k].v[j], strlen(ent[k].v[j]));
        }
        if (ent[k].n > 12)
            fprintf(o, " (+%u more)", ent[k].n - 12);
        fputc('\n', o);
    }
}

void km_fout_explain(FILE *o, const struct km_finding *f)
{
    char t1[32], t2[32], sev[16];
    km_time_fmt(f->first, t1);
    km_time_fmt(f->last, t2);
    upper(sev, km_sev_name(f->severity));
    const struct km_detection *d = km_detection_find(f->detection);
    fprintf(o, "%s  %s  %s (%s)\n", f->id, sev, d ? d->title : f->detection,
            f->technique ? f->technique : "");
    fprintf(o, "%s .. %s\n\n", t1, t2);
    km_out_safe_file(o, f->summary, strlen(f->summary));
    fprintf(o, "\n\nEntities\n");
    print_entities(o, f->ent);
    if (f->details && *f->details)
        km_out_printf(o, "\nDetails\n  %s\n", f->details);
    fprintf(o, "\nEvidence: %u event%s in time order%s\n", f->nev, f->nev == 1 ? "" : "s",
            f->ev_dropped ? " (more were found; the first ones are kept)" : "");
    for (uint32_t i = 0; i < f->nev; i++)
        print_ev(o, &f->ev[i], NULL);
    if (f->nev)
        fprintf(o, "\n`kumo show EVENT_ID` prints any of them with its original record.\n");
    fprintf(o, "How this is detected: docs/detections/%s.md\n", f->detection);
}

void km_fout_incidents_table(FILE *o, const struct km_incident *in, size_t n,
                             const struct km_finding *f)
{
    (void)f;
    if (!n) {
        fprintf(o, "no incidents\n");
        return;
    }
    int w = term_width(o);
    fprintf(o, "%-14s %-8s %-20s %-20s %-8s %-16s %s\n", "ID", "SEVERITY", "FIRST", "LAST",
            "FINDINGS", "PROVIDERS", "SUMMARY");
    for (size_t i = 0; i < n; i++) {
        char t1[32], t2[32], sev[16], prov[64] = "";
        km_time_fmt(in[i].first, t1);
        km_time_fmt(in[i].last, t2);
        upper(sev, km_sev_name(in[i].severity));
        for (uint32_t j = 0; j < in[i].providers.n; j++)
            snprintf(prov + strlen(prov), sizeof prov - strlen(prov), "%s%s", j ? "," : "",
                     in[i].providers.v[j]);
        km_out_printf(o, "%-14s %-8s %-20s %-20s %-8u %-16s ", in[i].id, sev, t1, t2, in[i].nfind,
                      prov);
        put_cut(o, in[i].summary, w ? w - 93 : 0);
        fputc('\n', o);
    }
    km_out_cut_note(o);
}

static void jset(struct km_buf *b, const struct km_strset *s)
{
    km_buf_addc(b, '[');
    for (uint32_t i = 0; i < s->n; i++) {
        if (i)
            km_buf_addc(b, ',');
        jstr(b, s->v[i]);
    }
    km_buf_addc(b, ']');
}

void km_fout_incidents_json(FILE *o, const struct km_incident *in, size_t n,
                            const struct km_finding *f, int with_findings)
{
    struct km_buf b;
    km_buf_init(&b, 0);
    km_buf_addc(&b, '[');
    for (size_t i = 0; i < n; i++) {
        const struct km_incident *x = &in[i];
        char t1[32], t2[32];
        km_time_fmt(x->first, t1);
        km_time_fmt(x->last, t2);
        km_buf_printf(&b, "%s{\"id\":\"%s\",\"severity\":\"%s\",\"first\":\"%s\",\"last\":\"%s\","
                          "\"summary\":",
                      i ? "," : "", x->id, km_sev_name(x->severity), t1, t2);
        jstr(&b, x->summary);
        km_buf_adds(&b, ",\"providers\":");
        jset(&b, &x->providers);
        km_buf_adds(&b, ",\"ties\":");
        jset(&b, &x->ties);
        km_buf_adds(&b, ",\"entities\":{");
        for (int k = 0; k < KM_ENT__N; k++) {
            km_buf_printf(&b, "%s\"%s\":", k ? "," : "", km_ent_names[k]);
            jset(&b, &x->ent[k]);
        }
        km_buf_adds(&b, "},\"findings\":[");
        for (uint32_t j = 0; j < x->nfind; j++) {
            if (j)
                km_buf_addc(&b, ',');
            if (with_findings)
                km_finding_json(&f[x->find[j]], 1, &b);
            else
                jstr(&b, f[x->find[j]].id);
        }
        km_buf_adds(&b, "]}");
    }
    km_buf_adds(&b, "]\n");
    fwrite(b.p, 1, b.n, o);
    km_buf_free(&b);
}

struct tagged {
    const struct km_fev *e;
    const struct km_finding *f;
};

static int cmp_tagged(const void *a, const void *b)
{
    const struct tagged *x = a, *y = b;
    if (x->e->time != y->e->time)
        return x->e->time < y->e->time ? -1 : 1;
    return strcmp(x->f->id, y->f->id);
}

void km_fout_storyline(FILE *o, const struct km_incident *in, const struct km_finding *f)
{
    char t1[32], t2[32], sev[16];
    km_time_fmt(in->first, t1);
    km_time_fmt(in->last, t2);
    upper(sev, km_sev_name(in->severity));
    fprintf(o, "Incident %s  %s  %s .. %s\n", in->id, sev, t1, t2);
    km_out_safe_file(o, in->summary, strlen(in->summary));
    fputc('\n', o);
    if (in->ties.n) {
        fprintf(o, "\nTied by\n");
        for (uint32_t j = 0; j < in->ties.n; j++)
            km_out_printf(o, "  %s\n", in->ties.v[j]);
    }
    fprintf(o, "\nFindings\n");
    for (uint32_t j = 0; j < in->nfind; j++) {
        const struct km_finding *x = &f[in->find[j]];
        char a[32];
        km_time_fmt(x->first, a);
        upper(sev, km_sev_name(x->severity));
        km_out_printf(o, "  %s %-8s %-20s %-22s ", x->id, sev, a, x->detection);
        km_out_safe_file(o, x->summary, strlen(x->summary));
        fputc('\n', o);
    }
    fprintf(o, "\nEntities\n");
    print_entities(o, in->ent);
    /* every finding's key events, merged in time order */
    size_t nt = 0;
    for (uint32_t j = 0; j < in->nfind; j++)
        nt += f[in->find[j]].nev;
    struct tagged *t = km_xcalloc(nt + 1, sizeof *t);
    nt = 0;
    for (uint32_t j = 0; j < in->nfind; j++) {
        const struct km_finding *x = &f[in->find[j]];
        for (uint32_t k = 0; k < x->nev; k++)
            t[nt++] = (struct tagged){&x->ev[k], x};
    }
    qsort(t, nt, sizeof *t, cmp_tagged);
    fprintf(o, "\nStoryline: %zu events from %u findings, all providers, in time order\n", nt,
            in->nfind);
    for (size_t k = 0; k < nt; k++) {
        if (k && t[k].e->time == t[k - 1].e->time && !strcmp(t[k].e->event_id, t[k - 1].e->event_id))
            continue; /* one event proving two findings */
        char tag[64];
        snprintf(tag, sizeof tag, "%s %s", t[k].f->id, t[k].f->detection);
        print_ev(o, t[k].e, tag);
    }
    free(t);
    fprintf(o, "\n`kumo finding ID` explains one finding; `kumo show EVENT_ID` prints an event "
               "with its original record.\n");
}
