/*
 * test_strings.c — the shared string tests of src/core/util.c: prefix and
 * suffix tests (exact and ASCII case-insensitive, absent strings) and
 * km_email_shaped, the one rule that decides actor.email in every source
 * module and the identity map's e-mails.
 */
#include "core/km.h"
#include "t.h"

#include <string.h>

static void test_prefix_suffix(void)
{
    struct km_str s = KM_STR("serviceAccount:a@p.iam.gserviceaccount.com");
    T_CHECK(km_str_starts(s, "serviceAccount:"));
    T_CHECK(!km_str_starts(s, "serviceaccount:"));
    T_CHECK(km_str_starts_ci(s, "SERVICEACCOUNT:"));
    T_CHECK(km_str_ends(s, "gserviceaccount.com"));
    T_CHECK(!km_str_ends(s, "GSERVICEACCOUNT.COM"));
    T_CHECK(km_str_ends_ci(s, "GServiceAccount.com"));
    T_CHECK(!km_str_starts(KM_STR("ab"), "abc"));
    T_CHECK(!km_str_ends_ci(KM_STR("ab"), "xab"));
    T_CHECK(!km_str_starts(KM_STR_NONE, ""));
    T_CHECK(km_str_starts(KM_STR(""), ""));
}

static void test_email_shaped(void)
{
    static const char *const yes[] = {
        "a@b.co", "Alice.Ito@Corp.Test", "x+tag@sub.example.org",
        "dvwa-service-account@ketchup.iam.gserviceaccount.com", "o'neil@corp.test",
    };
    static const char *const no[] = {
        "", "a@b", "@b.co", "a@.co", "a@b.", "a@@b.co", "a@b@c.co", "alice ito@corp.test",
        "a\t@b.co", "user:a@b.co", "a/b@c.co", "corp\\alice@b.co", "\"a\"@b.co", "<a@b.co>",
        "a,b@c.co", "a;b@c.co", "a\x7f@b.co", "a\x1b[31m@b.co", "arn:aws:iam::1:user/a@b.co",
        "AIDAEXAMPLE", "Alice Ito",
    };
    for (size_t i = 0; i < KM_ARRAY_LEN(yes); i++) {
        if (!km_email_shaped(yes[i], strlen(yes[i])))
            fprintf(stderr, "  not an e-mail: %s\n", yes[i]);
        T_CHECK(km_email_shaped(yes[i], strlen(yes[i])));
    }
    for (size_t i = 0; i < KM_ARRAY_LEN(no); i++) {
        if (km_email_shaped(no[i], strlen(no[i])))
            fprintf(stderr, "  taken for an e-mail: %s\n", no[i]);
        T_CHECK(!km_email_shaped(no[i], strlen(no[i])));
    }
    /* 254 bytes at most */
    char big[300];
    memset(big, 'a', sizeof big);
    memcpy(big + 240, "@corp.test", 10);
    T_CHECK(km_email_shaped(big, 250));
    memcpy(big + 245, "@corp.test", 10);
    T_CHECK(!km_email_shaped(big, 255));
    T_CHECK(!km_str_is_email(KM_STR_NONE));
    T_CHECK(km_str_is_email(KM_STR("a@b.co")));
}

int main(void)
{
    T_RUN(test_prefix_suffix);
    T_RUN(test_email_shaped);
    return t_done();
}
