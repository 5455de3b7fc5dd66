/*
 * test_findings.c — findings and incidents (detect/finding.h): the JSON form
 * reads back to the same finding, ids depend on (detection, key) only, sets
 * stay bounded, merging, and how incidents group findings.
 */
#include "core/timeparse.h"
#include "detect/finding.h"
#include "json/json.h"
#include "t.h"

static int64_t T0 = 1790900000LL * 1000000; /* 2026-10-02 */
#define MIN (60LL * 1000000)
#define HOUR (60 * MIN)

static void mk(struct km_finding *f, const char *det, const char *key, int sev, int64_t first,
               int64_t last)
{
    km_finding_init(f);
    f->detection = det;
    f->technique = "T1562.008";
    f->severity = sev;
    f->first = first;
    f->last = last;
    snprintf(f->key, sizeof f->key, "%s", key);
    snprintf(f->summary, sizeof f->summary, "%s %s", det, key);
    km_finding_set_id(f);
}

static void add_ev(struct km_finding *f, int64_t t, const char *prov, const char *id)
{
    struct km_fev e;
    memset(&e, 0, sizeof e);
    e.time = t;
    snprintf(e.provider, sizeof e.provider, "%s", prov);
    snprintf(e.action, sizeof e.action, "Act");
    snprintf(e.event_id, sizeof e.event_id, "%s", id);
    e.key[0] = (uint8_t)id[0];
    e.key[1] = (uint8_t)strlen(id);
    km_finding_add_fev(f, &e);
    km_strset_addc(&f->event_ids, id);
}

static void test_json_round_trip(void)
{
    struct km_finding f, g;
    mk(&f, "logging_tampering", "aws|StopLogging|1", KM_SEV_HIGH, T0, T0 + 5 * MIN);
    km_strset_addc(&f.ent[KM_ENT_IPS], "203.0.113.66");
    km_strset_addc(&f.ent[KM_ENT_IDENTITIES], "mallory \"ops\"\n");
    km_strset_addc(&f.ent[KM_ENT_ACCOUNTS], "111122223333");
    f.details = strdup("{\"chain\":[{\"role\":\"a\"}],\"n\":2}");
    add_ev(&f, T0, "aws", "e1");
    add_ev(&f, T0 + MIN, "aws", "e2");
    km_finding_normalize(&f);
    struct km_buf b, b2;
    km_buf_init(&b, 0);
    km_buf_init(&b2, 0);
    km_finding_json(&f, 1, &b);
    struct km_err e;
    km_err_clear(&e);
    T_EQ_INT(km_finding_from_json(b.p, b.n, &g, &e), KM_OK);
    km_finding_json(&g, 1, &b2);
    T_CHECK(b.n == b2.n && memcmp(b.p, b2.p, b.n) == 0);
    T_EQ_STR(g.id, f.id);
    T_EQ_INT(g.severity, KM_SEV_HIGH);
    T_EQ_INT(g.first, T0);
    T_EQ_INT(g.nev, 2);
    T_EQ_STR(g.ent[KM_ENT_IDENTITIES].v[0], "mallory \"ops\"\n");
    /* the shape the issue names */
    struct km_arena a;
    km_arena_init(&a, 0, 0);
    char *copy = km_arena_strndup(&a, b.p, b.n);
    struct km_json *root;
    T_EQ_INT(km_json_parse(copy, b.n, NULL, &a, &root, &e), KM_OK);
    static const char *const keys[] = {"id", "detection", "severity", "first", "last", "summary",
                                       "entities", "event_ids"};
    for (size_t i = 0; i < KM_ARRAY_LEN(keys); i++)
        T_CHECK(km_json_get(root, keys[i]) != NULL);
    const struct km_json *ent = km_json_get(root, "entities");
    for (int k = 0; k < KM_ENT__N; k++) {
        const struct km_json *s = km_json_get(ent, km_ent_names[k]);
        T_CHECK(s && s->type == KM_JSON_ARRAY);
    }
    T_EQ_STR(km_json_get(root, "first")->str, "2026-10-02T00:13:20Z");
    T_EQ_STR(km_json_get(root, "severity")->str, "high");
    km_arena_free(&a);
    km_buf_free(&b);
    km_buf_free(&b2);
    km_finding_free(&f);
    km_finding_free(&g);
}

static void test_ids_and_sets(void)
{
    struct km_finding a, b, c;
    mk(&a, "password_spray", "1.2.3.4|w1", KM_SEV_MEDIUM, T0, T0);
    mk(&b, "password_spray", "1.2.3.4|w1", KM_SEV_LOW, T0 + HOUR, T0 + HOUR);
    mk(&c, "brute_force", "1.2.3.4|w1", KM_SEV_MEDIUM, T0, T0);
    T_EQ_STR(a.id, b.id);                 /* same detection and key: same finding */
    T_CHECK(strcmp(a.id, c.id) != 0);     /* another detection: another finding */
    T_EQ_INT(strlen(a.id), 18);
    /* merging keeps the higher severity and widens the window */
    km_strset_addc(&b.ent[KM_ENT_IPS], "1.2.3.4");
    km_strset_addc(&b.ent[KM_ENT_IPS], "1.2.3.4");
    km_finding_merge(&a, &b);
    T_EQ_INT(a.severity, KM_SEV_MEDIUM);
    T_EQ_INT(a.last, T0 + HOUR);
    T_EQ_INT(a.ent[KM_ENT_IPS].n, 1);
    /* a set is bounded and says how much it dropped */
    struct km_strset s;
    memset(&s, 0, sizeof s);
    s.cap = 3;
    char v[16];
    for (int i = 0; i < 10; i++) {
        snprintf(v, sizeof v, "v%d", i);
        km_strset_addc(&s, v);
    }
    T_EQ_INT(s.n, 3);
    T_EQ_INT(s.dropped, 7);
    km_strset_free(&s);
    /* evidence is capped too */
    for (int i = 0; i < KM_FINDING_MAX_EV + 20; i++) {
        snprintf(v, sizeof v, "x%d", i);
        add_ev(&c, T0 + i, "aws", v);
    }
    T_EQ_INT(c.nev, KM_FINDING_MAX_EV);
    T_EQ_INT(c.ev_dropped, 20);
    T_EQ_INT(km_sev_parse("critical"), KM_SEV_CRITICAL);
    T_EQ_INT(km_sev_parse("severe"), -1);
    km_finding_free(&a);
    km_finding_free(&b);
    km_finding_free(&c);
}

static void test_incidents(void)
{
    struct km_finding f[7];
    /* 0,1,2: one attacker IP across three clouds within hours */
    mk(&f[0], "logging_tampering", "a", KM_SEV_HIGH, T0, T0 + MIN);
    km_strset_addc(&f[0].ent[KM_ENT_IPS], "198.51.100.7");
    add_ev(&f[0], T0, "aws", "a1");
    mk(&f[1], "logging_tampering", "b", KM_SEV_HIGH, T0 + HOUR, T0 + HOUR);
    km_strset_addc(&f[1].ent[KM_ENT_IPS], "198.51.100.7");
    km_strset_addc(&f[1].ent[KM_ENT_PERSONS], "eve@corp.test");
    add_ev(&f[1], T0 + HOUR, "azure", "b1");
    mk(&f[2], "privilege_grant", "c", KM_SEV_MEDIUM, T0 + 2 * HOUR, T0 + 2 * HOUR);
    km_strset_addc(&f[2].ent[KM_ENT_PERSONS], "eve@corp.test");
    add_ev(&f[2], T0 + 2 * HOUR, "gcp", "c1");
    /* 3: same IP but three days later: beyond the gap */
    mk(&f[3], "recon_burst", "d", KM_SEV_MEDIUM, T0 + 72 * HOUR, T0 + 72 * HOUR);
    km_strset_addc(&f[3].ent[KM_ENT_IPS], "198.51.100.7");
    /* 4: medium alone: no incident; 5: a private address ties nothing */
    mk(&f[4], "exposure", "e", KM_SEV_MEDIUM, T0 + 5 * HOUR, T0 + 5 * HOUR);
    km_strset_addc(&f[4].ent[KM_ENT_IPS], "10.1.2.3");
    mk(&f[5], "exposure", "f", KM_SEV_MEDIUM, T0 + 5 * HOUR, T0 + 5 * HOUR);
    km_strset_addc(&f[5].ent[KM_ENT_IPS], "10.1.2.3");
    /* 6: a spray naming twenty targets, one of them eve: too many to tie by */
    mk(&f[6], "password_spray", "g", KM_SEV_HIGH, T0 + 3 * HOUR, T0 + 3 * HOUR);
    char p[64];
    for (int i = 0; i < 20; i++) {
        snprintf(p, sizeof p, "user%d@corp.test", i);
        km_strset_addc(&f[6].ent[KM_ENT_PERSONS], i == 7 ? "eve@corp.test" : p);
    }
    struct km_incident *in;
    size_t n;
    T_EQ_INT(km_incidents_build(f, 7, KM_SEV_MEDIUM, 24 * HOUR, &in, &n), KM_OK);
    /* {0,1,2} across three providers; {6} alone because it is high */
    T_EQ_INT(n, 2);
    if (n == 2) {
        T_EQ_INT(in[0].nfind, 3);
        T_EQ_INT(in[0].providers.n, 3);
        T_EQ_INT(in[0].severity, KM_SEV_CRITICAL); /* high + several providers */
        T_EQ_INT(in[0].first, T0);
        T_EQ_INT(in[0].last, T0 + 2 * HOUR);
        T_CHECK(km_strset_has(&in[0].ties, "ip 198.51.100.7"));
        T_CHECK(km_strset_has(&in[0].ties, "person eve@corp.test"));
        T_EQ_INT(in[1].nfind, 1);
        T_EQ_INT(in[1].find[0], 6);
        T_EQ_INT(strlen(in[0].id), 14);
        T_CHECK(strncmp(in[0].id, "I-", 2) == 0);
    }
    km_incidents_free(in, n);
    /* a wider gap brings the late recon in */
    T_EQ_INT(km_incidents_build(f, 7, KM_SEV_MEDIUM, 96 * HOUR, &in, &n), KM_OK);
    T_CHECK(n >= 1 && in[0].nfind == 4);
    km_incidents_free(in, n);
    /* raising the floor: medium findings neither start nor join incidents */
    T_EQ_INT(km_incidents_build(f, 7, KM_SEV_HIGH, 24 * HOUR, &in, &n), KM_OK);
    T_EQ_INT(n, 2);
    if (n == 2)
        T_EQ_INT(in[0].nfind, 2);
    km_incidents_free(in, n);
    for (int i = 0; i < 7; i++)
        km_finding_free(&f[i]);
    /* an address that findings about three different persons name is an
     * office's exit, not an attacker's: it ties nothing */
    struct km_finding g[4];
    const char *who[] = {"a@corp.test", "b@corp.test", "c@corp.test"};
    for (int i = 0; i < 3; i++) {
        char k[8];
        snprintf(k, sizeof k, "t%d", i);
        mk(&g[i], "impossible_travel", k, KM_SEV_MEDIUM, T0 + i * HOUR, T0 + i * HOUR);
        km_strset_addc(&g[i].ent[KM_ENT_IPS], "84.161.2.20");
        km_strset_addc(&g[i].ent[KM_ENT_PERSONS], who[i]);
    }
    T_EQ_INT(km_incidents_build(g, 3, KM_SEV_MEDIUM, 24 * HOUR, &in, &n), KM_OK);
    T_EQ_INT(n, 0);
    km_incidents_free(in, n);
    /* two persons sharing it still tie (a pair of victims of one attacker) */
    T_EQ_INT(km_incidents_build(g, 2, KM_SEV_MEDIUM, 24 * HOUR, &in, &n), KM_OK);
    T_EQ_INT(n, 1);
    km_incidents_free(in, n);
    for (int i = 0; i < 3; i++)
        km_finding_free(&g[i]);
}

int main(void)
{
    T_RUN(test_json_round_trip);
    T_RUN(test_ids_and_sets);
    T_RUN(test_incidents);
    return t_done();
}
