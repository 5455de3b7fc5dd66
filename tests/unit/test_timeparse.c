/*
 * test_timeparse.c — km_time_parse / km_time_fmt / km_time_from_epoch_ms:
 * every accepted form, the corpus dialects, rejections, and a round trip over
 * every day from 1600 to 2400 against an independent day counter.
 */
#include "t.h"

#include <stdint.h>
#include "core/km.h"
#include "core/timeparse.h"

/* Parses s, returns the result or INT64_MIN on KM_EFORMAT. */
static int64_t P(const char *s)
{
    int64_t us = 12345;
    int rc = km_time_parse(s, strlen(s), &us);
    if (rc != KM_OK) {
        T_EQ_INT(us, 12345);   /* untouched on failure */
        return INT64_MIN;
    }
    return us;
}

static const char *F(int64_t us)
{
    static char b[4][32];
    static int k;
    k = (k + 1) % 4;
    km_time_fmt(us, b[k]);
    return b[k];
}

#define S 1000000LL
/* 2024-08-02T08:53:24Z */
#define T0 1722588804LL

static void test_rfc3339_basic(void)
{
    T_EQ_INT(P("1970-01-01T00:00:00Z"), 0);
    T_EQ_INT(P("2024-08-02T08:53:24Z"), T0 * S);
    T_EQ_INT(P("2024-08-02t08:53:24z"), T0 * S);
    T_EQ_INT(P("2024-08-02 08:53:24Z"), T0 * S);
    T_EQ_INT(P("2024-08-02T08:53:24"), T0 * S);          /* no zone = UTC */
    T_EQ_INT(P("2024-08-02T08:53:24+00:00"), T0 * S);
    T_EQ_INT(P("2024-08-02T08:53:24-00:00"), T0 * S);
    T_EQ_INT(P("2024-08-02T08:53Z"), (T0 - 24) * S);      /* no seconds */
    T_EQ_INT(P("2024-08-02"), (T0 - 8 * 3600 - 53 * 60 - 24) * S);  /* date only */
    T_EQ_INT(P("1969-12-31T23:59:59Z"), -1 * S);
    T_EQ_INT(P("1900-01-01T00:00:00Z"), -2208988800LL * S);
    T_EQ_INT(P("2000-01-01T00:00:00Z"), 946684800LL * S);
    T_EQ_INT(P("9999-12-31T23:59:59Z"), 253402300799LL * S);
    T_EQ_INT(P("0000-01-01T00:00:00Z"), -62167219200LL * S);
    T_EQ_INT(P("2024-08-02T08:53:24 UTC"), T0 * S);
    T_EQ_INT(P("2024-08-02T08:53:24GMT"), T0 * S);
    T_EQ_INT(P("2024-08-02 08:53:24 +0000"), T0 * S);
}

static void test_fraction(void)
{
    T_EQ_INT(P("2024-08-02T08:53:24.1Z"), T0 * S + 100000);
    T_EQ_INT(P("2024-08-02T08:53:24.123Z"), T0 * S + 123000);
    T_EQ_INT(P("2024-08-02T08:53:24.123456Z"), T0 * S + 123456);
    T_EQ_INT(P("2024-08-02T08:53:24.1234567Z"), T0 * S + 123456);     /* Azure: 7 */
    T_EQ_INT(P("2024-08-02T08:53:24.123456789Z"), T0 * S + 123456);   /* GCP: 9, truncated */
    T_EQ_INT(P("2024-08-02T08:53:24.999999999Z"), T0 * S + 999999);   /* never rounds up */
    T_EQ_INT(P("2024-08-02T08:53:24,5Z"), T0 * S + 500000);
    T_EQ_INT(P("2024-08-02T08:53:24.000000000000000001Z"), T0 * S);   /* 18 digits */
    T_EQ_INT(P("2024-08-02T08:53:24.0000000000000000001Z"), INT64_MIN);  /* 19 */
    T_EQ_INT(P("2024-08-02T08:53:24.Z"), INT64_MIN);
    T_EQ_INT(P("2024-08-02T08:53:24."), INT64_MIN);
    T_EQ_INT(P("1969-12-31T23:59:59.5Z"), -500000);
    /* the 7-digit Azure pair from the corpus quirks: same instant */
    T_EQ_INT(P("2019-10-18T09:45:48.0729893Z"), P("2019-10-18T04:45:48.0729893-05:00"));
    T_EQ_INT(P("2019-10-18T09:45:48.0729893Z"), 1571391948LL * S + 72989);
}

static void test_offsets(void)
{
    T_EQ_INT(P("2024-08-02T10:53:24+02:00"), T0 * S);
    T_EQ_INT(P("2024-08-02T10:53:24+0200"), T0 * S);
    T_EQ_INT(P("2024-08-02T10:53:24+02"), T0 * S);
    T_EQ_INT(P("2024-08-02T03:53:24-05:00"), T0 * S);
    T_EQ_INT(P("2024-08-02T14:23:24+05:30"), T0 * S);
    T_EQ_INT(P("2024-08-02T10:53:24.5+02:00"), T0 * S + 500000);
    /* crossing midnight, month, year and a leap day */
    T_EQ_STR(F(P("2022-02-08 09:23:37+11:00")), "2022-02-07T22:23:37Z");   /* plaso */
    T_EQ_STR(F(P("2024-01-01T01:00:00+02:00")), "2023-12-31T23:00:00Z");
    T_EQ_STR(F(P("2023-12-31T22:00:00-05:00")), "2024-01-01T03:00:00Z");
    T_EQ_STR(F(P("2024-03-01T00:30:00+01:00")), "2024-02-29T23:30:00Z");
    T_EQ_STR(F(P("2023-03-01T00:30:00+01:00")), "2023-02-28T23:30:00Z");
    T_EQ_STR(F(P("2024-02-29T23:30:00-01:00")), "2024-03-01T00:30:00Z");
    T_EQ_STR(F(P("2024-08-02T00:00:00+23:59")), "2024-08-01T00:01:00Z");
    /* invalid zones */
    T_EQ_INT(P("2024-08-02T10:53:24+24:00"), INT64_MIN);
    T_EQ_INT(P("2024-08-02T10:53:24+02:60"), INT64_MIN);
    T_EQ_INT(P("2024-08-02T10:53:24+2:00"), INT64_MIN);
    T_EQ_INT(P("2024-08-02T10:53:24+02:0"), INT64_MIN);
    T_EQ_INT(P("2024-08-02T10:53:24+02:00:00"), INT64_MIN);
    T_EQ_INT(P("2024-08-02T10:53:24ZZ"), INT64_MIN);
    T_EQ_INT(P("2024-08-02T10:53:24 "), INT64_MIN);
    T_EQ_INT(P("2024-08-02T10:53:24  Z"), INT64_MIN);
    T_EQ_INT(P("2024-08-02T10:53:24 PST"), INT64_MIN);
    T_EQ_INT(P("2024-08-02T10:53:24+"), INT64_MIN);
}

static void test_panther_and_corpus_forms(void)
{
    int64_t y2019 = 1546300800LL * S;
    T_EQ_INT(P("2019-01-01 00:00:00.000000000"), y2019);
    T_EQ_INT(P("2019-01-01 00:00:00.000"), y2019);
    T_EQ_INT(P("2019-01-01 00:00:00"), y2019);
    T_EQ_INT(P("2019-01-01T00:00:00Z"), y2019);
    T_EQ_INT(P("2019-01-01 00:00:00Z"), y2019);
    T_EQ_INT(P("2025-01-15 14:20:35.456"), 1736950835LL * S + 456000);
    T_EQ_INT(P("2020-09-14T00:44:23.000Z"), 1600044263LL * S);          /* OTRF @timestamp */
    T_EQ_INT(P("2023-01-10 21:04:02"), 1673384642LL * S);               /* panther lower-case keys */
    /* basic ISO form (S3 object names, digest file names) */
    T_EQ_INT(P("20171211T150500Z"), 1513004700LL * S);
    T_EQ_INT(P("20171211T150500"), 1513004700LL * S);
    T_EQ_INT(P("20171211T150500.25+0100"), (1513004700LL - 3600) * S + 250000);
    T_EQ_INT(P("20171211T1505Z"), INT64_MIN);
    T_EQ_INT(P("2017-12-11T150500Z"), INT64_MIN);
}

static void test_placeholders_and_garbage(void)
{
    const char *bad[] = {
        "", "redacted", "...", "null", "None", "N/A", "-", "T", "Z", " 2024-08-02T08:53:24Z",
        "2024-08-02T08:53:24Z ", "2024-8-02T08:53:24Z", "2024-08-2T08:53:24Z",
        "2024-08-02T8:53:24Z", "2024-08-02T08:5:24Z", "2024-08-02T08:53:4Z",
        "2024/08/02 08:53:24", "02/08/2024 08:53:24", "2024-08-02X08:53:24Z",
        "2024-08-02T", "2024-08-02T08", "2024-08-02T08:", "2024-08-02T08:53:", "2024-08", "2024-08-0",
        "+2024-08-02T08:53:24Z", "-1", "1e9", "0x10", "12345678901234567890",
        "99999999999999999999", "1.5.5", "1.", ".5", "1722588804.", "123456789012.5",
        "Aug 2, 2024 8:53:24 AM", "2024-08-02T08:53:24Zjunk", "2024-08-02junk",
        "2024-08-02T08:53:24\n", "2024-08-02T08:53:24.12a", "datetime.datetime(2024, 8, 2)",
    };
    for (size_t i = 0; i < KM_ARRAY_LEN(bad); i++) {
        int64_t us = 7;
        int rc = km_time_parse(bad[i], strlen(bad[i]), &us);
        if (rc != KM_EFORMAT)
            fprintf(stderr, "  accepted: \"%s\"\n", bad[i]);
        T_EQ_INT(rc, KM_EFORMAT);
        T_EQ_INT(us, 7);
    }
    int64_t us = 0;
    T_EQ_INT(km_time_parse(NULL, 0, &us), KM_EFORMAT);
    /* the length is honoured: text past n is not read */
    T_EQ_INT(km_time_parse("2024-08-02T08:53:24Zgarbage", 20, &us), KM_OK);
    T_EQ_INT(us, T0 * S);
    T_EQ_INT(km_time_parse("2024-08-02T08:53:24.5", 19, &us), KM_OK);
    T_EQ_INT(us, T0 * S);
}

/* CSV exports: the Log Analytics portal writes "M/D/YYYY, h:mm:ss.fff AM|PM"
 * (UTC); the Entra portal download ISO 8601 with 'T' and 'Z' or a space. */
static void test_csv_export_forms(void)
{
    int64_t t1 = 1645205697LL * S;   /* 2022-02-18T17:34:57Z */
    T_EQ_INT(P("2/18/2022, 5:34:57.000 PM"), t1);
    T_EQ_INT(P("2/18/2022, 5:34:57.250 PM"), t1 + 250000);
    T_EQ_INT(P("02/18/2022, 05:34:57 PM"), t1);
    T_EQ_INT(P("2/18/2022 5:34:57 PM"), t1);
    T_EQ_INT(P("2/18/2022, 5:34:57 pm"), t1);
    T_EQ_INT(P("2/18/2022, 5:34 PM"), t1 - 57 * S);
    T_EQ_INT(P("2/18/2022, 6:34:57 PM +01:00"), t1);
    T_EQ_INT(P("2/18/2022, 5:34:57 PM UTC"), t1);
    T_EQ_INT(P("12/31/2023, 12:00:00.000 AM"), 1703980800LL * S);   /* midnight */
    T_EQ_INT(P("1/1/2024, 12:30:15 PM"), 1704112215LL * S);         /* noon hour */
    T_EQ_INT(P("2/29/2024, 1:00:00 AM"), (1709164800LL + 3600) * S);
    T_EQ_INT(P("2022-02-18T17:34:57Z"), t1);
    T_EQ_INT(P("2022-02-18 17:34:57"), t1);
    T_EQ_STR(F(P("8/2/2021, 1:29:25.983 PM")), "2021-08-02T13:29:25.983000Z");
    const char *bad[] = {
        "2/30/2022, 5:34:57 PM", "2/29/2023, 5:34:57 PM", "13/1/2022, 1:00:00 AM",
        "0/1/2022, 1:00:00 AM",  "1/0/2022, 1:00:00 AM",  "2/18/2022, 0:34:57 AM",
        "2/18/2022, 13:34:57 PM", "2/18/2022, 5:34:57",   "2/18/22, 5:34:57 PM",
        "2/18/2022,5:34:57 PM",  "2/18/2022, 5:34:57 XM", "2/18/2022, 5:34:57 P",
        "2/18/2022, 5:60:00 PM", "2/18/2022, 5:34:61 PM", "123/1/2022, 1:00:00 AM",
        "2/18/2022, 5:34:57 PM junk", "2/18/2022  5:34:57 PM", "2/18/2022, 5:34:57.PM",
    };
    for (size_t i = 0; i < KM_ARRAY_LEN(bad); i++) {
        int64_t us = 7;
        int rc = km_time_parse(bad[i], strlen(bad[i]), &us);
        if (rc != KM_EFORMAT)
            fprintf(stderr, "  accepted: \"%s\"\n", bad[i]);
        T_EQ_INT(rc, KM_EFORMAT);
        T_EQ_INT(us, 7);
    }
}

static void test_impossible_dates(void)
{
    T_EQ_INT(P("2023-02-29T00:00:00Z"), INT64_MIN);
    T_EQ_INT(P("2024-02-29T00:00:00Z"), 1709164800LL * S);
    T_EQ_INT(P("2000-02-29T00:00:00Z"), 951782400LL * S);   /* divisible by 400 */
    T_EQ_INT(P("1900-02-29T00:00:00Z"), INT64_MIN);         /* divisible by 100 */
    T_EQ_INT(P("2100-02-29T00:00:00Z"), INT64_MIN);
    T_EQ_INT(P("2024-02-30T00:00:00Z"), INT64_MIN);
    T_EQ_INT(P("2024-04-31T00:00:00Z"), INT64_MIN);
    T_EQ_INT(P("2024-06-31"), INT64_MIN);
    T_EQ_INT(P("2024-09-31"), INT64_MIN);
    T_EQ_INT(P("2024-11-31"), INT64_MIN);
    T_EQ_INT(P("2024-12-31"), 1735603200LL * S);
    T_EQ_INT(P("2024-00-10T00:00:00Z"), INT64_MIN);
    T_EQ_INT(P("2024-13-10T00:00:00Z"), INT64_MIN);
    T_EQ_INT(P("2024-01-00T00:00:00Z"), INT64_MIN);
    T_EQ_INT(P("2024-01-32T00:00:00Z"), INT64_MIN);
    T_EQ_INT(P("2024-01-01T24:00:00Z"), INT64_MIN);
    T_EQ_INT(P("2024-01-01T23:60:00Z"), INT64_MIN);
    T_EQ_INT(P("2024-01-01T23:59:61Z"), INT64_MIN);
    /* leap second: accepted, lands on the next second */
    T_EQ_STR(F(P("2016-12-31T23:59:60Z")), "2017-01-01T00:00:00Z");
}

static void test_epoch(void)
{
    T_EQ_INT(P("0"), 0);
    T_EQ_INT(P("1722588804"), T0 * S);                 /* seconds */
    T_EQ_INT(P("1722588804.25"), T0 * S + 250000);
    T_EQ_INT(P("1722588804123"), T0 * S + 123000);     /* milliseconds (CloudWatch) */
    T_EQ_INT(P("1722588804123456"), T0 * S + 123456);  /* microseconds */
    T_EQ_INT(P("1722588804123456789"), T0 * S + 123456);  /* nanoseconds */
    T_EQ_INT(P("2024"), 2024 * S);                     /* digits only: epoch, never a year */
    T_EQ_INT(P("99999999999"), 99999999999LL * S);     /* 11 digits: still seconds */
    T_EQ_INT(P("100000000000"), 100000000000LL * 1000);   /* 12: milliseconds */
    T_EQ_INT(P("9223372036854775807"), 9223372036854775LL);
    T_EQ_INT(P("9223372036854775808"), INT64_MIN);      /* > INT64_MAX */
    T_EQ_INT(km_time_from_epoch_ms(1722588804123LL), T0 * S + 123000);
    T_EQ_INT(km_time_from_epoch_ms(0), 0);
    T_EQ_INT(km_time_from_epoch_ms(-1), -1000);
    T_EQ_INT(km_time_from_epoch_ms(INT64_MAX), INT64_MAX);
    T_EQ_INT(km_time_from_epoch_ms(INT64_MIN), INT64_MIN);
}

static void test_fmt(void)
{
    char b[32];
    km_time_fmt(0, b);
    T_EQ_STR(b, "1970-01-01T00:00:00Z");
    km_time_fmt(T0 * S, b);
    T_EQ_STR(b, "2024-08-02T08:53:24Z");
    km_time_fmt(T0 * S + 123456, b);
    T_EQ_STR(b, "2024-08-02T08:53:24.123456Z");
    km_time_fmt(T0 * S + 1, b);
    T_EQ_STR(b, "2024-08-02T08:53:24.000001Z");
    km_time_fmt(T0 * S + 100000, b);
    T_EQ_STR(b, "2024-08-02T08:53:24.100000Z");
    km_time_fmt(-1, b);
    T_EQ_STR(b, "1969-12-31T23:59:59.999999Z");
    km_time_fmt(-S, b);
    T_EQ_STR(b, "1969-12-31T23:59:59Z");
    km_time_fmt(-62167219200LL * S, b);
    T_EQ_STR(b, "0000-01-01T00:00:00Z");
    km_time_fmt(-62167219200LL * S - 1, b);
    T_EQ_STR(b, "-0001-12-31T23:59:59.999999Z");
    km_time_fmt(253402300800LL * S, b);
    T_EQ_STR(b, "10000-01-01T00:00:00Z");
    km_time_fmt(INT64_MAX, b);
    T_EQ_STR(b, "294247-01-10T04:00:54.775807Z");
    km_time_fmt(INT64_MIN, b);
    T_EQ_STR(b, "-290308-12-21T19:59:05.224192Z");
    T_CHECK(strlen(b) < 32);
}

/* Every day 1600-01-01 .. 2400-12-31: days_from_civil matches a naive day
 * counter, and parse(fmt(t)) == t at three times of day. */
static void test_round_trip_every_day(void)
{
    static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int64_t day = km_time_days_from_civil(1600, 1, 1);
    T_EQ_INT(day, -135140);
    int bad = 0;
    for (int y = 1600; y <= 2400; y++) {
        int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        for (int m = 1; m <= 12; m++) {
            int nd = dm[m - 1] + (m == 2 && leap);
            for (int d = 1; d <= nd; d++, day++) {
                if (km_time_days_from_civil(y, (unsigned)m, (unsigned)d) != day)
                    bad++;
                int64_t base = day * 86400 * S;
                int64_t ts[3] = {base, base + 43199 * S + 999999, base + 86399 * S + 1};
                for (int k = 0; k < 3; k++) {
                    char b[32];
                    int64_t back = 0;
                    km_time_fmt(ts[k], b);
                    if (km_time_parse(b, strlen(b), &back) != KM_OK || back != ts[k])
                        bad++;
                }
            }
            /* the day after the month's last is invalid */
            char b[48];
            snprintf(b, sizeof b, "%04d-%02d-%02d", y, m, nd + 1);
            int64_t us;
            if (km_time_parse(b, strlen(b), &us) != KM_EFORMAT)
                bad++;
        }
    }
    T_EQ_INT(bad, 0);
    T_EQ_INT(day, km_time_days_from_civil(2401, 1, 1));
}

int main(void)
{
    T_RUN(test_rfc3339_basic);
    T_RUN(test_fraction);
    T_RUN(test_offsets);
    T_RUN(test_panther_and_corpus_forms);
    T_RUN(test_placeholders_and_garbage);
    T_RUN(test_csv_export_forms);
    T_RUN(test_impossible_dates);
    T_RUN(test_epoch);
    T_RUN(test_fmt);
    T_RUN(test_round_trip_every_day);
    return t_done();
}
