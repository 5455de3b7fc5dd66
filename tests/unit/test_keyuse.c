/*
 * test_keyuse.c — what leaked_key and recon_burst share (detect/keyuse.c):
 * which credentials are long-term, networks, client platforms, attack-tool
 * agents, addresses without a place, and the interning table.
 */
#include "detect/keyuse.h"
#include "t.h"

static void test_longterm(void)
{
    T_CHECK(km_ku_longterm("AKIAIOSFODNN7EXAMPLE", 20));
    T_CHECK(!km_ku_longterm("ASIAIOSFODNN7EXAMPLE", 20));       /* temporary */
    T_CHECK(!km_ku_longterm("AKIAIOSFODNN7EXAMPL", 19));        /* too short */
    T_CHECK(!km_ku_longterm("AKIAiosfodnn7example", 20));       /* not upper-case */
    T_CHECK(!km_ku_longterm("FAKE_ACCESS_KEY", 15));
    const char *g = "//iam.googleapis.com/projects/p/serviceAccounts/sa@p.iam.gserviceaccount.com"
                    "/keys/0123456789abcdef";
    T_CHECK(km_ku_longterm(g, strlen(g)));
    const char *nokey = "//iam.googleapis.com/projects/p/serviceAccounts/sa@p.iam/keys/";
    T_CHECK(!km_ku_longterm(nokey, strlen(nokey)));
    T_CHECK(!km_ku_longterm(NULL, 0));
}

static void test_net(void)
{
    uint64_t a, b, c, d;
    char t[64];
    T_CHECK(km_ku_net(km_str_c("203.0.113.66"), 24, 48, &a, t));
    T_EQ_STR(t, "203.0.113.0/24");
    T_CHECK(km_ku_net(km_str_c("203.0.113.200"), 24, 48, &b, NULL));
    T_CHECK(km_ku_net(km_str_c("203.0.114.1"), 24, 48, &c, NULL));
    T_CHECK(a == b && a != c && a != 0);
    T_CHECK(km_ku_net(km_str_c("2001:db8:1:2::5"), 24, 48, &d, t));
    T_EQ_STR(t, "2001:db8:1::/48");
    T_CHECK(km_ku_net(km_str_c("2001:db8:1:ffff::1"), 24, 48, &b, NULL) && b == d);
    T_CHECK(km_ku_net(km_str_c("203.0.113.66"), 16, 48, &b, t) && b != a);
    T_EQ_STR(t, "203.0.0.0/16");
    T_CHECK(!km_ku_net(km_str_c("AWS Internal"), 24, 48, &a, t) && a == 0 && t[0] == 0);
    T_CHECK(!km_ku_net(km_str_c("08.1.250.216"), 24, 48, &a, NULL));   /* not an address */
    T_CHECK(km_ku_internal(km_str_c("10.1.2.3")) && km_ku_internal(km_str_c("172.20.0.1")) &&
            km_ku_internal(km_str_c("192.168.1.1")) && km_ku_internal(km_str_c("100.64.0.9")) &&
            km_ku_internal(km_str_c("fd00::1")) && km_ku_internal(km_str_c("127.0.0.1")));
    T_CHECK(!km_ku_internal(km_str_c("203.0.113.66")) && !km_ku_internal(km_str_c("8.8.8.8")) &&
            !km_ku_internal(km_str_c("172.32.0.1")) && !km_ku_internal(km_str_c("eu-west-1")));
}

static void test_platform(void)
{
    char p[32];
    static const struct {
        const char *ua, *want;
    } cases[] = {
        {"aws-cli/2.15.30 Python/3.11.8 Linux/6.6.9-amd64 exe/x86_64.kali.2024 prompt/off",
         "linux/kali"},
        {"aws-cli/2.27.5 md/awscrt#0.25.5 ua/2.1 os/macos#25.0.0 md/arch#arm64", "macos"},
        {"APN/1.0 HashiCorp/1.0 Terraform/1.13.1 (+https://www.terraform.io) "
         "terraform-provider-aws/6.1.0 aws-sdk-go-v2/1.36 os/macos lang/go#1.24",
         "macos"},
        {"Boto3/1.40.42 md/Botocore#1.40.42 ua/2.1 os/linux#6.14.0-33-generic", "linux"},
        {"aws-sdk-go/1.55.5 (go1.23.1; linux; amd64) GrafanaCloudWatch", "linux"},
        {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36", "windows"},
        {"Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)", "ios"},
        {"google-cloud-sdk gcloud/470.0.0 command/gcloud.compute client-os/MACOSX", "macos"},
        {"AWS Internal", "aws-internal"},
        {"cloudformation.amazonaws.com", "aws-internal"},
        {"TruffleHog", "trufflehog"},
        {"[S3Console/0.4]", "s3console"},
        {"", ""},
    };
    for (size_t i = 0; i < KM_ARRAY_LEN(cases); i++) {
        km_ku_platform(km_str_c(cases[i].ua), p);
        T_EQ_STR(p, cases[i].want);
    }
    static const char *const tools[] = {"kali", "TruffleHog", "pacu"};
    T_CHECK(km_ku_tool(km_str_c("trufflehog/3.63.0"), tools, 3, p));
    T_EQ_STR(p, "TruffleHog");
    T_CHECK(km_ku_tool(km_str_c("aws-cli/2 exe/x86_64.KALI.2024"), tools, 3, p));
    T_EQ_STR(p, "kali");
    T_CHECK(!km_ku_tool(km_str_c("aws-cli/2.15.0 os/macos"), tools, 3, p) && p[0] == 0);
    T_CHECK(!km_ku_tool(km_str_c("kali"), tools, 0, p));
}

static void test_intern(void)
{
    struct km_ku_intern t;
    km_ku_intern_init(&t, 1000, 1u << 20);
    uint32_t a = km_ku_intern(&t, "alpha", 5), b = km_ku_intern(&t, "beta", 4);
    T_CHECK(a && b && a != b);
    T_EQ_INT(km_ku_intern(&t, "alpha", 5), a);
    T_EQ_INT(km_ku_intern_find(&t, "beta", 4), b);
    T_EQ_INT(km_ku_intern_find(&t, "gamma", 5), 0);
    T_EQ_STR(km_ku_str(&t, b), "beta");
    T_EQ_STR(km_ku_str(&t, 0), "");
    char s[16];
    for (int i = 0; i < 2000; i++) {   /* growth, then the cap */
        snprintf(s, sizeof s, "v%d", i);
        km_ku_intern(&t, s, strlen(s));
    }
    T_EQ_INT(t.n, 1000);
    T_CHECK(t.overflow == 2000 - 998);
    T_EQ_INT(km_ku_intern_find(&t, "v10", 3), km_ku_intern(&t, "v10", 3));
    T_EQ_INT(km_ku_intern(&t, "v1999", 5), 0);
    km_ku_intern_free(&t);
}

int main(void)
{
    T_RUN(test_longterm);
    T_RUN(test_net);
    T_RUN(test_platform);
    T_RUN(test_intern);
    return t_done();
}
