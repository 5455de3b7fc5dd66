/*
 * test_ip.c — km_ip_parse / km_ip_canon / km_ip_fmt: strict IPv4, IPv6 with
 * RFC 5952 canonical text, the non-addresses CloudTrail puts in
 * sourceIPAddress, and every anonymised quad of the Stratus Red Team corpus.
 */
#include "t.h"

#include <dirent.h>
#include <stdint.h>
#include "core/ip.h"
#include "core/km.h"

/* Canonical text of s, or "(invalid)". */
static const char *C(const char *s)
{
    static char b[4][KM_IP_TEXT_MAX];
    static int k;
    k = (k + 1) % 4;
    if (!km_ip_canon(s, strlen(s), b[k])) {
        T_EQ_STR(b[k], "");
        return "(invalid)";
    }
    return b[k];
}

static void test_v4(void)
{
    T_EQ_STR(C("1.2.3.4"), "1.2.3.4");
    T_EQ_STR(C("0.0.0.0"), "0.0.0.0");
    T_EQ_STR(C("255.255.255.255"), "255.255.255.255");
    T_EQ_STR(C("192.0.2.0"), "192.0.2.0");
    T_EQ_STR(C("10.24.34.0"), "10.24.34.0");
    T_EQ_STR(C("100.200.10.1"), "100.200.10.1");
    const char *bad[] = {
        "08.1.250.216", "251.234.045.249", "1.2.3.04", "00.1.2.3", "0.0.0.00", "256.1.1.1",
        "1.2.3.256", "1.2.3", "1.2.3.4.5", "1.2.3.", ".1.2.3", "1..2.3", "1.2.3.4 ", " 1.2.3.4",
        "1.2.3.4/32", "1.2.3.4:443", "+1.2.3.4", "1.2.3.-4", "1234.1.1.1", "0x1.2.3.4",
        "1.2.3.4%eth0", "", ".", "1", "16909060", "1.2.3.a", "１.2.3.4",
    };
    for (size_t i = 0; i < KM_ARRAY_LEN(bad); i++) {
        if (strcmp(C(bad[i]), "(invalid)") != 0)
            fprintf(stderr, "  accepted: \"%s\"\n", bad[i]);
        T_EQ_STR(C(bad[i]), "(invalid)");
    }
}

static void test_not_addresses(void)
{
    const char *names[] = {
        "ec2.amazonaws.com", "AWS Internal", "config.amazonaws.com", "cloudtrail.amazonaws.com",
        "localhost", "example.com", "::ffff:example.com", "fe80::1%", "fe80::1%eth 0",
        "fe80::1%123456789012345678901234567890123", "[::1]", "[::1]:443", "::1/128", "-",
        "null", "redacted",
    };
    for (size_t i = 0; i < KM_ARRAY_LEN(names); i++) {
        if (strcmp(C(names[i]), "(invalid)") != 0)
            fprintf(stderr, "  accepted: \"%s\"\n", names[i]);
        T_EQ_STR(C(names[i]), "(invalid)");
    }
    char out[KM_IP_TEXT_MAX] = "x";
    T_EQ_INT(km_ip_canon(NULL, 0, out), 0);
    T_EQ_STR(out, "");
}

static void test_v6_compression(void)
{
    T_EQ_STR(C("::"), "::");
    T_EQ_STR(C("::1"), "::1");
    T_EQ_STR(C("1::"), "1::");
    T_EQ_STR(C("0:0:0:0:0:0:0:1"), "::1");
    T_EQ_STR(C("0:0:0:0:0:0:0:0"), "::");
    T_EQ_STR(C("2001:0db8:0000:0000:0000:0000:0000:0001"), "2001:db8::1");
    T_EQ_STR(C("2001:DB8::0001"), "2001:db8::1");
    T_EQ_STR(C("2001:db8:0:0:1:0:0:1"), "2001:db8::1:0:0:1");          /* first of equal runs */
    T_EQ_STR(C("2001:db8:0:0:0:1:0:0"), "2001:db8::1:0:0");             /* longest run */
    T_EQ_STR(C("2001:0:0:1:0:0:0:1"), "2001:0:0:1::1");
    T_EQ_STR(C("2001:db8:0:1:1:1:1:1"), "2001:db8:0:1:1:1:1:1");      /* one zero: kept */
    T_EQ_STR(C("2001:db8::1:1:1:1:1"), "2001:db8:0:1:1:1:1:1");
    T_EQ_STR(C("1:0:0:0:0:0:0:0"), "1::");
    T_EQ_STR(C("0:0:0:0:0:0:0:1:"), "(invalid)");
    T_EQ_STR(C("1:2:3:4:5:6:7:8"), "1:2:3:4:5:6:7:8");
    T_EQ_STR(C("::2:3:4:5:6:7:8"), "0:2:3:4:5:6:7:8");
    T_EQ_STR(C("1:2:3:4:5:6:7::"), "1:2:3:4:5:6:7:0");
    T_EQ_STR(C("FE80::0202:B3FF:FE1E:8329"), "fe80::202:b3ff:fe1e:8329");
    T_EQ_STR(C("fe80::1%eth0"), "fe80::1");                             /* zone dropped */
    T_EQ_STR(C("fe80::1%25"), "fe80::1");
    T_EQ_STR(C("2600:1f18:24e6:b900:d0e1:4e14:9ac1:fb42"), "2600:1f18:24e6:b900:d0e1:4e14:9ac1:fb42");
    T_EQ_STR(C("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
    const char *bad[] = {
        ":", ":::", "1:::2", "1::2::3", ":1", "1:", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9",
        "1:2:3:4:5:6:7:8::", "::1:2:3:4:5:6:7:8", "12345::", "g::1", "1:2:3:4:5:6:7:8%",
        "::1 ", " ::1", "::-1", "1::2:", "0:0:0:0:0:0:0:0:0",
    };
    for (size_t i = 0; i < KM_ARRAY_LEN(bad); i++) {
        if (strcmp(C(bad[i]), "(invalid)") != 0)
            fprintf(stderr, "  accepted: \"%s\"\n", bad[i]);
        T_EQ_STR(C(bad[i]), "(invalid)");
    }
}

static void test_v6_embedded_v4(void)
{
    T_EQ_STR(C("::ffff:1.2.3.4"), "::ffff:1.2.3.4");
    T_EQ_STR(C("::FFFF:192.0.2.128"), "::ffff:192.0.2.128");
    T_EQ_STR(C("0:0:0:0:0:ffff:c000:0280"), "::ffff:192.0.2.128");   /* hex spelling of mapped */
    T_EQ_STR(C("::ffff:0.0.0.0"), "::ffff:0.0.0.0");
    T_EQ_STR(C("::1.2.3.4"), "::102:304");                             /* deprecated compat form */
    T_EQ_STR(C("64:ff9b::192.0.2.33"), "64:ff9b::c000:221");
    T_EQ_STR(C("1:2:3:4:5:6:1.2.3.4"), "1:2:3:4:5:6:102:304");
    T_EQ_STR(C("::ffff:08.1.250.216"), "(invalid)");                   /* strict quad inside */
    T_EQ_STR(C("::ffff:1.2.3"), "(invalid)");
    T_EQ_STR(C("::ffff:1.2.3.4:5"), "(invalid)");
    T_EQ_STR(C("1.2.3.4::"), "(invalid)");
    T_EQ_STR(C("1:2:3:4:5:6:7:1.2.3.4"), "(invalid)");
    T_EQ_STR(C("1:2:3:4:5:6::1.2.3.4"), "(invalid)");
}

static void test_parse_binary(void)
{
    uint8_t a[16], b[16];
    int v4 = -1;
    T_EQ_INT(km_ip_parse("1.2.3.4", 7, a, &v4), KM_OK);
    T_EQ_INT(v4, 1);
    T_EQ_INT(a[10], 0xff);
    T_EQ_INT(a[11], 0xff);
    T_EQ_INT(a[12], 1);
    T_EQ_INT(a[15], 4);
    T_EQ_INT(km_ip_parse("::ffff:1.2.3.4", 14, b, &v4), KM_OK);
    T_EQ_INT(v4, 0);
    T_CHECK(memcmp(a, b, 16) == 0);
    T_EQ_INT(km_ip_parse("2001:db8::8:1", 13, a, NULL), KM_OK);
    static const uint8_t want[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0, 1};
    T_CHECK(memcmp(a, want, 16) == 0);
    T_EQ_INT(km_ip_parse("08.1.250.216", 12, a, &v4), KM_EFORMAT);
    T_EQ_INT(km_ip_parse(NULL, 0, a, &v4), KM_EFORMAT);
    /* the length is honoured */
    T_EQ_INT(km_ip_parse("1.2.3.45", 7, a, &v4), KM_OK);
    T_EQ_INT(a[15], 4);
    char out[KM_IP_TEXT_MAX];
    T_EQ_INT(km_ip_fmt(want, 0, out), 13);
    T_EQ_STR(out, "2001:db8::8:1");
    T_EQ_INT(km_ip_fmt(b, 1, out), 7);
    T_EQ_STR(out, "1.2.3.4");
}

/* Formatting every parsed text is idempotent and re-parses to the same bytes. */
static void test_canon_idempotent(void)
{
    const char *in[] = {
        "::", "::1", "1::", "2001:db8::1", "2001:db8:0:0:1:0:0:1", "::ffff:1.2.3.4",
        "fe80::202:b3ff:fe1e:8329", "1:2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8", "9.9.9.9",
        "1:0:0:2::", "0:0:1::", "a:b:c:d:e:f:0:0",
    };
    for (size_t i = 0; i < KM_ARRAY_LEN(in); i++) {
        char c1[KM_IP_TEXT_MAX], c2[KM_IP_TEXT_MAX];
        uint8_t a[16], b[16];
        T_CHECK(km_ip_canon(in[i], strlen(in[i]), c1));
        T_CHECK(km_ip_canon(c1, strlen(c1), c2));
        T_EQ_STR(c1, c2);
        T_EQ_INT(km_ip_parse(in[i], strlen(in[i]), a, NULL), KM_OK);
        T_EQ_INT(km_ip_parse(c1, strlen(c1), b, NULL), KM_OK);
        T_CHECK(memcmp(a, b, 16) == 0);
    }
}

/* Every sourceIPAddress in the Stratus corpus: 310 values, of which the
 * SOURCE.md says 107 fail strict parsing (anonymised quads with leading
 * zeros). The quads are counted with a tiny scanner (no JSON parser needed:
 * the files are pretty-printed one key per line). */
static void test_stratus_quads(void)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/stratus-red-team-detonation-logs/docs/detonation-logs", t_corpus());
    DIR *d = opendir(dir);
    T_CHECK(d != NULL);
    if (!d)
        return;
    int total = 0, valid = 0, files = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l < 6 || strcmp(e->d_name + l - 5, ".json") != 0)
            continue;
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "r");
        T_CHECK(f != NULL);
        if (!f)
            continue;
        files++;
        char line[4096];
        while (fgets(line, sizeof line, f)) {
            char *k = strstr(line, "\"sourceIPAddress\": \"");
            if (!k)
                continue;
            char *v = k + strlen("\"sourceIPAddress\": \"");
            char *q = strchr(v, '"');
            if (!q)
                continue;
            char out[KM_IP_TEXT_MAX];
            total++;
            if (km_ip_canon(v, (size_t)(q - v), out)) {
                valid++;
                T_CHECK(strlen(out) == (size_t)(q - v) && memcmp(out, v, strlen(out)) == 0);
            }
        }
        fclose(f);
    }
    closedir(d);
    T_EQ_INT(files, 35);
    T_EQ_INT(total, 310);
    T_EQ_INT(total - valid, 107);
}

int main(void)
{
    T_RUN(test_v4);
    T_RUN(test_not_addresses);
    T_RUN(test_v6_compression);
    T_RUN(test_v6_embedded_v4);
    T_RUN(test_parse_binary);
    T_RUN(test_canon_idempotent);
    T_RUN(test_stratus_quads);
    return t_done();
}
