/*
 * test_conf.c — the configuration file (core/conf.h): types, defaults,
 * overrides, lists, and errors that name file and line.
 */
#include "core/conf.h"
#include "t.h"

static struct km_conf *parse(const char *text, int *rc, struct km_err *e)
{
    struct km_conf *c = NULL;
    km_err_clear(e);
    *rc = km_conf_parse("test.conf", text, strlen(text), &c, e);
    return c;
}

static void test_defaults(void)
{
    /* NULL configuration: every getter gives the declared default */
    const struct km_conf_key *k = km_conf_lookup("incident.gap");
    T_CHECK(k != NULL);
    T_EQ_INT(km_conf_dur_us(NULL, "incident.gap"), 24LL * 3600 * 1000000);
    T_EQ_STR(km_conf_str(NULL, "incident.min_severity"), "medium");
    T_EQ_INT(km_conf_bool(NULL, "identity.local_part"), 1);
    const char *const *it;
    T_EQ_INT(km_conf_list(NULL, "allow.networks", &it), 0);
    T_CHECK(km_conf_lookup("no.such.key") == NULL);
}

static void test_sections_and_types(void)
{
    int rc;
    struct km_err e;
    struct km_conf *c = parse("# comment\n; also a comment\n\n[incident]\ngap = 90m  # inline\n"
                              "min_severity = \"high\"\n[allow]\nnetworks = 10.0.0.0/8, "
                              "198.51.100.0/24 ,, 2001:db8::/32\n"
                              "identity.local_part = off\n",
                              &rc, &e);
    T_EQ_INT(rc, KM_OK);
    T_EQ_INT(km_conf_dur_us(c, "incident.gap"), 90LL * 60 * 1000000);
    T_EQ_STR(km_conf_str(c, "incident.min_severity"), "high");
    T_EQ_INT(km_conf_is_set(c, "incident.gap"), 1);
    T_EQ_INT(km_conf_is_set(c, "geo.mmdb"), 0);
    const char *const *it;
    size_t n = km_conf_list(c, "allow.networks", &it);
    T_EQ_INT(n, 3);
    if (n == 3) {
        T_EQ_STR(it[0], "10.0.0.0/8");
        T_EQ_STR(it[1], "198.51.100.0/24");
        T_EQ_STR(it[2], "2001:db8::/32");
    }
    /* a dotted key inside a section is taken as written */
    T_EQ_INT(km_conf_bool(c, "identity.local_part"), 0);
    /* the last assignment wins; km_conf_set overrides and re-splits lists */
    T_EQ_INT(km_conf_set(c, "allow.networks", "192.0.2.0/24", &e), KM_OK);
    n = km_conf_list(c, "allow.networks", &it);
    T_EQ_INT(n, 1);
    T_EQ_INT(km_conf_set(c, "incident.gap", "soon", &e), KM_EUSAGE);
    T_EQ_INT(km_conf_set(c, "incident.nope", "1", &e), KM_EUSAGE);
    km_conf_free(c);
}

static void test_errors_name_line(void)
{
    int rc;
    struct km_err e;
    struct km_conf *c = parse("[incident]\ngap = 1h\ngapp = 2h\n", &rc, &e);
    T_EQ_INT(rc, KM_EUSAGE);
    T_CHECK(c == NULL);
    T_EQ_INT(e.line, 3);
    T_CHECK(strstr(e.msg, "incident.gapp") != NULL);
    T_EQ_STR(e.file, "test.conf");
    c = parse("[incident]\n\ngap = twelve\n", &rc, &e);
    T_EQ_INT(rc, KM_EUSAGE);
    T_EQ_INT(e.line, 3);
    T_CHECK(strstr(e.msg, "duration") != NULL);
    c = parse("[incident\n", &rc, &e);
    T_EQ_INT(rc, KM_EUSAGE);
    T_EQ_INT(e.line, 1);
    c = parse("just words\n", &rc, &e);
    T_EQ_INT(rc, KM_EUSAGE);
    c = parse("[identity]\nmap = \"unclosed\n", &rc, &e);
    T_EQ_INT(rc, KM_EUSAGE);
    c = parse("identity.local_part = maybe\n", &rc, &e);
    T_EQ_INT(rc, KM_EUSAGE);
    /* a line longer than 64 KiB is refused, not truncated */
    size_t big = 70000;
    char *t = malloc(big + 32);
    memcpy(t, "identity.map = ", 15);
    memset(t + 15, 'a', big);
    t[15 + big] = '\n';
    t[16 + big] = 0;
    c = parse(t, &rc, &e);
    T_EQ_INT(rc, KM_ELIMIT);
    free(t);
    /* a NUL byte inside the text */
    char nul[] = "identity.map = a\0b\n";
    km_err_clear(&e);
    rc = km_conf_parse("n.conf", nul, sizeof nul - 1, &c, &e);
    T_EQ_INT(rc, KM_EUSAGE);
}

static void test_files(void)
{
    struct km_conf *c;
    struct km_err e;
    km_err_clear(&e);
    T_EQ_INT(km_conf_load("/nonexistent/kumo.conf", 0, &c, &e), KM_OK);
    T_EQ_STR(km_conf_str(c, "incident.min_severity"), "medium");
    km_conf_free(c);
    km_err_clear(&e);
    T_EQ_INT(km_conf_load("/nonexistent/kumo.conf", 1, &c, &e), KM_EIO);
    T_CHECK(c == NULL);
    char path[] = "/tmp/kumo-conf-XXXXXX";
    int fd = mkstemp(path);
    T_CHECK(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("[incident]\ngap = 2d\n", f);
    fclose(f);
    km_err_clear(&e);
    T_EQ_INT(km_conf_load(path, 1, &c, &e), KM_OK);
    T_EQ_INT(km_conf_dur_us(c, "incident.gap"), 2LL * 86400 * 1000000);
    T_EQ_STR(km_conf_path(c), path);
    km_conf_free(c);
    remove(path);
}

static void test_declarations_unique(void)
{
    /* every key is declared once, with a section, a help line and a default
     * that its own type accepts */
    int n = 0;
    for (int t = 0; km_conf_tables[t]; t++)
        for (const struct km_conf_key *k = km_conf_tables[t]; k->key; k++) {
            n++;
            T_CHECK(strchr(k->key, '.') != NULL);
            T_CHECK(k->help && k->help[0]);
            T_CHECK(km_conf_lookup(k->key) == k);
            struct km_conf *c;
            struct km_err e;
            km_err_clear(&e);
            km_conf_parse("d", "", 0, &c, &e);
            if (k->dflt[0] || k->type == KM_CONF_LIST || k->type == KM_CONF_STR)
                T_EQ_INT(km_conf_set(c, k->key, k->dflt, &e), KM_OK);
            km_conf_free(c);
        }
    T_CHECK(n >= 10);
}

int main(void)
{
    T_RUN(test_defaults);
    T_RUN(test_sections_and_types);
    T_RUN(test_errors_name_line);
    T_RUN(test_files);
    T_RUN(test_declarations_unique);
    return t_done();
}
