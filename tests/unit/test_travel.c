/*
 * test_travel.c — the pure core of impossible_travel / new_location
 * (detect/travel.h): conservative distance over proven time, the edge cases
 * (same address, no time between, GeoIP noise, uncertainty radii, VPN,
 * antimeridian, overlapping runs) and the walk over one person's sightings
 * (history, new countries, known cloud networks, the best predecessor).
 * Synthetic coordinates only; no store, no clock.
 */
#include "detect/travel.h"
#include "t.h"

#include <math.h>

#define MIN (60 * 1000000LL)
#define HOUR (60 * MIN)
#define DAY (24 * HOUR)

static struct km_tv_obs at(uint32_t ip, double lat, double lon, double radius, const char *cc,
                           int64_t first, int64_t last)
{
    struct km_tv_obs o;
    memset(&o, 0, sizeof o);
    o.ip = ip;
    o.lat = lat;
    o.lon = lon;
    o.radius_km = radius;
    memcpy(o.cc, cc, 3);
    o.first = first;
    o.last = last;
    o.maxgap_us = last - first; /* only its two ends known */
    o.tag = ip;
    return o;
}

/* Berlin, São Paulo, Potsdam, Paris, Sydney: reference points. */
#define BERLIN 52.52437, 13.41053
#define SAOPAULO -23.5475, -46.63611
#define POTSDAM 52.39886, 13.06566
#define PARIS 48.85341, 2.3488

static void test_basic_alert(void)
{
    struct km_tv_params p;
    km_tv_params_default(&p);
    struct km_tv_obs a = at(1, BERLIN, 0, "DE", 0, 8 * HOUR + 2 * MIN);
    struct km_tv_obs b = at(2, SAOPAULO, 0, "BR", 8 * HOUR + 40 * MIN, 9 * HOUR);
    struct km_tv_judgement j;
    T_EQ_INT(km_tv_judge(&p, &a, &b, &j), 1);
    T_CHECK(j.km > 10200 && j.km < 10300);        /* Berlin–São Paulo ≈ 10,250 km */
    T_CHECK(fabs(j.min_km - j.km) < 1e-9);        /* no radii: nothing taken off */
    T_EQ_INT(j.gap_us, 38 * MIN);
    T_EQ_INT(j.ta, 8 * HOUR + 2 * MIN);
    T_EQ_INT(j.tb, 8 * HOUR + 40 * MIN);
    T_CHECK(fabs(j.kmh - j.km / (38.0 / 60)) < 1e-6);
    T_EQ_INT(j.sev, KM_SEV_MEDIUM);
    T_EQ_INT(j.why, 0);
    /* the other way round in time is judged the same */
    struct km_tv_judgement k;
    T_EQ_INT(km_tv_judge(&p, &b, &a, &k), 1);
    T_EQ_INT(k.gap_us, 38 * MIN);
}

static void test_same_ip_never(void)
{
    struct km_tv_params p;
    km_tv_params_default(&p);
    /* one address placed on two continents (a database update, a provider
     * answer) is never a journey */
    struct km_tv_obs a = at(7, BERLIN, 0, "DE", 0, 0);
    struct km_tv_obs b = at(7, SAOPAULO, 0, "BR", MIN, MIN);
    struct km_tv_judgement j;
    T_EQ_INT(km_tv_judge(&p, &a, &b, &j), 0);
    /* ... while a different address there is */
    b.ip = 8;
    T_EQ_INT(km_tv_judge(&p, &a, &b, &j), 1);
}

static void test_zero_time(void)
{
    struct km_tv_params p;
    km_tv_params_default(&p);
    struct km_tv_obs a = at(1, BERLIN, 0, "DE", 5 * HOUR, 5 * HOUR);
    struct km_tv_obs b = at(2, SAOPAULO, 0, "BR", 5 * HOUR, 5 * HOUR);
    struct km_tv_judgement j;
    T_EQ_INT(km_tv_judge(&p, &a, &b, &j), 1);
    T_EQ_INT(j.gap_us, 0);
    /* a gap under a second counts as one second: finite speed */
    T_CHECK(isfinite(j.kmh));
    T_CHECK(fabs(j.kmh - j.min_km * 3600) < 1e-6);
}

static void test_noise_and_min_km(void)
{
    struct km_tv_params p;
    km_tv_params_default(&p);
    /* Berlin → Potsdam (≈ 27 km) in 5 min: fast, but under min_km */
    struct km_tv_obs a = at(1, BERLIN, 0, "DE", 0, 0);
    struct km_tv_obs b = at(2, POTSDAM, 0, "DE", 5 * MIN, 5 * MIN);
    struct km_tv_judgement j;
    T_EQ_INT(km_tv_judge(&p, &a, &b, &j), 0);
    T_CHECK(j.km > 20 && j.km < 35);
    /* with no distance floor it alerts, but GeoIP noise never goes above low */
    p.min_km = 0;
    p.max_kmh = 100;
    T_EQ_INT(km_tv_judge(&p, &a, &b, &j), 1);
    T_EQ_INT(j.sev, KM_SEV_LOW);
    T_CHECK(j.why & KM_TV_R_NOISE);
    /* past the noise window it is an ordinary alert */
    b.first = b.last = 12 * MIN;
    p.max_kmh = 50;
    T_EQ_INT(km_tv_judge(&p, &a, &b, &j), 1);
    T_EQ_INT(j.sev, KM_SEV_MEDIUM);
    T_CHECK(!(j.why & KM_TV_R_NOISE));
}

static void test_thresholds_boundaries(void)
{
    struct km_tv_params p;
    km_tv_params_default(&p);
    /* 1,000 km due north along a meridian: the time that makes exactly
     * 900 km/h does not alert, a second less does */
    double dlat = 1000.0 / 6371.0088 * 180 / M_PI;
    struct km_tv_obs a = at(1, 0, 10, 0, "XA", 0, 0);
    struct km_tv_obs b = at(2, dlat, 10, 0, "XB", 0, 0);
    int64_t t900 = (int64_t)(1000.0 / 900 * 3.6e9);
    b.first = b.last = t900 + 1000000;
    struct km_tv_judgement j;
    T_EQ_INT(km_tv_judge(&p, &a, &b, &j), 0);
    b.first = b.last = t900 - 1000000;
    T_EQ_INT(km_tv_judge(&p, &a, &b, &j), 1);
    /* min_km: 499 km conservative does not alert however fast */
    b.lat = 499.0 / 6371.0088 * 180 / M_PI;
    b.first = b.last = 1;
    T_EQ_INT(km_tv_judge(&p, &a, &b, &j), 0);
    b.lat = 501.0 / 6371.0088 * 180 / M_PI;
    T_EQ_INT(km_tv_judge(&p, &a, &b, &j), 1);
}

static void test_radii(void)
{
    struct km_tv_params p;
    km_tv_params_default(&p);
    /* country-level answers: Germany (686 km) and France (917 km) around
     * Berlin and Paris: neighbours never alert, even at the same instant */
    struct km_tv_obs a = at(1, BERLIN, 686, "DE", 0, 0);
    struct km_tv_obs b = at(2, PARIS, 917, "FR", 0, 0);
    struct km_tv_judgement j;
    T_EQ_INT(km_tv_judge(&p, &a, &b, &j), 0);
    T_CHECK(j.km > 850 && j.km < 900);
    T_CHECK(j.min_km == 0);
    /* Germany and Brazil (2,840 km): still thousands of km apart */
    b = at(2, -15.7797, -47.9297, 2840, "BR", 30 * MIN, 30 * MIN);
    T_EQ_INT(km_tv_judge(&p, &a, &b, &j), 1);
    T_CHECK(fabs(j.min_km - (j.km - 686 - 2840)) < 1e-6);
    /* a radius that covers the distance takes it all */
    b.radius_km = 20000;
    T_EQ_INT(km_tv_judge(&p, &a, &b, &j), 0);
    T_CHECK(j.min_km == 0);
    /* an unplaced side is never compared */
    b.radius_km = 0;
    b.lat = NAN;
    T_EQ_INT(km_tv_judge(&p, &a, &b, &j), 0);
}

static void test_antimeridian(void)
{
    struct km_tv_params p;
    km_tv_params_default(&p);
    /* 179.9 E and 179.9 W on the equator are ≈ 22 km apart, not 40,000 */
    struct km_tv_obs a = at(1, 0, 179.9, 0, "FJ", 0, 0);
    struct km_tv_obs b = at(2, 0, -179.9, 0, "WS", MIN, MIN);
    struct km_tv_judgement j;
    T_EQ_INT(km_tv_judge(&p, &a, &b, &j), 0);
    T_CHECK(j.km > 20 && j.km < 25);
    /* Fiji (Suva) → Samoa (Apia) across the line: ≈ 1,150 km in 30 min */
    a = at(1, -18.14161, 178.44149, 0, "FJ", 0, 0);
    b = at(2, -13.83333, -171.76666, 0, "WS", 30 * MIN, 30 * MIN);
    T_EQ_INT(km_tv_judge(&p, &a, &b, &j), 1);
    T_CHECK(j.km > 1050 && j.km < 1250);
}

static void test_vpn_allowed_cloud_shared(void)
{
    struct km_tv_params p;
    km_tv_params_default(&p);
    struct km_tv_obs a = at(1, BERLIN, 0, "DE", 0, 0);
    struct km_tv_obs b = at(2, SAOPAULO, 0, "BR", 30 * MIN, 30 * MIN);
    struct km_tv_judgement j;
    b.flags = KM_TV_VPN;
    T_EQ_INT(km_tv_judge(&p, &a, &b, &j), 1);
    T_EQ_INT(j.sev, KM_SEV_INFO);
    T_CHECK(j.why & KM_TV_R_VPN);
    /* a VPN beats a sign-in and a new country */
    b.flags = KM_TV_VPN | KM_TV_LOGIN;
    b.new_country = 1;
    km_tv_judge(&p, &a, &b, &j);
    T_EQ_INT(j.sev, KM_SEV_INFO);
    /* allow.networks: one side allowed is still a journey, both are not */
    b.flags = 0;
    b.new_country = 0;
    a.flags = KM_TV_ALLOWED;
    T_EQ_INT(km_tv_judge(&p, &a, &b, &j), 1);
    T_EQ_INT(j.sev, KM_SEV_MEDIUM);
    b.flags = KM_TV_ALLOWED;
    T_EQ_INT(km_tv_judge(&p, &a, &b, &j), 0);
    /* a known cloud network: one step lower; a sign-in raises first */
    a.flags = 0;
    b.flags = KM_TV_CLOUD;
    b.cloud_known = 1;
    km_tv_judge(&p, &a, &b, &j);
    T_EQ_INT(j.sev, KM_SEV_LOW);
    b.flags = KM_TV_CLOUD | KM_TV_LOGIN;
    km_tv_judge(&p, &a, &b, &j);
    T_EQ_INT(j.sev, KM_SEV_MEDIUM);
    T_CHECK((j.why & (KM_TV_R_CLOUD | KM_TV_R_LOGIN)) == (KM_TV_R_CLOUD | KM_TV_R_LOGIN));
    /* a cloud network never used before is not lowered */
    b.flags = KM_TV_CLOUD;
    b.cloud_known = 0;
    km_tv_judge(&p, &a, &b, &j);
    T_EQ_INT(j.sev, KM_SEV_MEDIUM);
    /* organisation egress placed by the database: low at most */
    b.flags = KM_TV_SHARED | KM_TV_LOGIN;
    km_tv_judge(&p, &a, &b, &j);
    T_EQ_INT(j.sev, KM_SEV_LOW);
    /* high: the later side starts with an interactive sign-in ... */
    b.flags = KM_TV_LOGIN;
    km_tv_judge(&p, &a, &b, &j);
    T_EQ_INT(j.sev, KM_SEV_HIGH);
    /* ... but not the earlier side */
    b.flags = 0;
    a.flags = KM_TV_LOGIN;
    km_tv_judge(&p, &a, &b, &j);
    T_EQ_INT(j.sev, KM_SEV_MEDIUM);
}

static void test_overlapping_runs(void)
{
    struct km_tv_params p;
    km_tv_params_default(&p);
    /* a run of Berlin rows from 08:00 to 17:00 read from one segment, a São
     * Paulo row at 12:10 from another: only 08:00 and 17:00 are proven in
     * Berlin, so the closest proven gap is 4 h 10 min (not 0) */
    struct km_tv_obs a = at(1, BERLIN, 0, "DE", 8 * HOUR, 17 * HOUR);
    struct km_tv_obs b = at(2, SAOPAULO, 0, "BR", 12 * HOUR + 10 * MIN, 12 * HOUR + 10 * MIN);
    struct km_tv_judgement j;
    T_EQ_INT(km_tv_judge(&p, &a, &b, &j), 1);
    T_EQ_INT(j.gap_us, 4 * HOUR + 10 * MIN);
    T_EQ_INT(j.ta, 8 * HOUR);
    T_EQ_INT(j.tb, 12 * HOUR + 10 * MIN);
    T_EQ_INT(j.within, 0);
    /* the Berlin run's rows were never more than 30 min apart: one of them is
     * within 15 min of 12:10 — a bound, not a row pair */
    a.maxgap_us = 30 * MIN;
    T_EQ_INT(km_tv_judge(&p, &a, &b, &j), 1);
    T_EQ_INT(j.gap_us, 15 * MIN);
    T_EQ_INT(j.within, 1);
    /* the other way round: the inner run's gaps say nothing about the outer */
    struct km_tv_judgement k;
    a.maxgap_us = a.last - a.first;
    b.maxgap_us = 1;
    T_EQ_INT(km_tv_judge(&p, &a, &b, &k), 1);
    T_EQ_INT(k.gap_us, 4 * HOUR + 10 * MIN);
    /* runs that only touch are not inside each other */
    b.first = b.last = a.last;
    a.maxgap_us = MIN;
    km_tv_judge(&p, &a, &b, &k);
    T_EQ_INT(k.gap_us, 0);
    T_EQ_INT(k.within, 0);
    /* the same shape around a 24-hour run: proven gap 12 h, possible */
    b.maxgap_us = 0;
    a.first = 0;
    a.last = 24 * HOUR;
    a.maxgap_us = 24 * HOUR;
    b.first = b.last = 12 * HOUR;
    T_EQ_INT(km_tv_judge(&p, &a, &b, &j), 0);
    T_EQ_INT(j.gap_us, 12 * HOUR);
}

struct calls {
    int n;
    uint32_t a[16], b[16];
    int sev[16];
    struct km_tv_judgement j[16];
};

static void record(void *ctx, const struct km_tv_obs *a, const struct km_tv_obs *b,
                   const struct km_tv_judgement *j)
{
    struct calls *c = ctx;
    if (c->n < 16) {
        c->a[c->n] = a->tag;
        c->b[c->n] = b->tag;
        c->sev[c->n] = j->sev;
        c->j[c->n] = *j;
    }
    c->n++;
}

static void test_walk_history_new_country(void)
{
    struct km_tv_params p;
    km_tv_params_default(&p);
    int64_t t0 = 100 * DAY;
    struct km_tv_obs v[4];
    v[0] = at(1, BERLIN, 0, "DE", t0, t0 + HOUR);
    v[1] = at(2, BERLIN, 0, "DE", t0 + 20 * DAY, t0 + 20 * DAY + 8 * HOUR);
    v[2] = at(3, SAOPAULO, 0, "BR", t0 + 20 * DAY + 8 * HOUR + 30 * MIN,
              t0 + 20 * DAY + 9 * HOUR);
    v[3] = at(2, BERLIN, 0, "DE", t0 + 21 * DAY, t0 + 21 * DAY);
    struct calls c = {0};
    km_tv_sort(v, 4);
    T_EQ_INT(km_tv_walk(&p, v, 4, t0, record, &c), 1);
    T_EQ_INT(c.n, 1);
    T_EQ_INT(c.a[0], 2);
    T_EQ_INT(c.b[0], 3);
    T_EQ_INT(c.sev[0], KM_SEV_HIGH); /* Brazil is new after 20 days of history */
    T_CHECK(c.j[0].why & KM_TV_R_NEWCC);
    T_EQ_INT(v[0].new_country, 0);   /* the first sighting has no history */
    T_EQ_INT(v[2].new_country, 1);
    T_EQ_INT(v[3].new_country, 0);
    /* a person first seen the day before: no history, no new country */
    struct calls c2 = {0};
    km_tv_walk(&p, v, 4, t0 + 19 * DAY, record, &c2);
    T_EQ_INT(c2.n, 1);
    T_EQ_INT(c2.sev[0], KM_SEV_MEDIUM);
    T_EQ_INT(v[2].new_country, 0);
}

static void test_walk_best_predecessor(void)
{
    struct km_tv_params p;
    km_tv_params_default(&p);
    /* two overlapping Berlin runs from two segments: one ends at 12:00, the
     * other spans 08:05–16:50. A São Paulo row at 12:10 is 10 min after the
     * first: that journey (the fastest) is the one reported */
    struct km_tv_obs v[3];
    v[0] = at(1, BERLIN, 0, "DE", 8 * HOUR, 12 * HOUR);
    v[1] = at(1, BERLIN, 0, "DE", 8 * HOUR + 5 * MIN, 16 * HOUR + 50 * MIN);
    v[2] = at(2, SAOPAULO, 0, "BR", 12 * HOUR + 10 * MIN, 12 * HOUR + 10 * MIN);
    v[0].tag = 10;
    v[1].tag = 11;
    v[2].tag = 12;
    struct calls c = {0};
    km_tv_sort(v, 3);
    km_tv_walk(&p, v, 3, 0, record, &c);
    T_EQ_INT(c.n, 1);
    T_EQ_INT(c.a[0], 10);
    T_EQ_INT(c.j[0].gap_us, 10 * MIN);
    /* a run that ended before the lookback is not compared: the other one is */
    p.lookback_us = 5 * MIN;
    struct calls c2 = {0};
    km_tv_walk(&p, v, 3, 0, record, &c2);
    T_EQ_INT(c2.n, 1);
    T_EQ_INT(c2.a[0], 11);
    p.lookback_us = 0;
    struct calls c4 = {0};
    km_tv_walk(&p, v, 3, 0, record, &c4);
    T_EQ_INT(c4.n, 1); /* 16:50 is after 12:10: overlapping runs are always compared */
    /* maxback bounds the comparisons */
    km_tv_params_default(&p);
    p.maxback = 1;
    struct calls c3 = {0};
    km_tv_walk(&p, v, 3, 0, record, &c3);
    T_EQ_INT(c3.n, 1);
    T_EQ_INT(c3.a[0], 11); /* only the nearest predecessor: 4 h 05 min, still impossible */
    T_EQ_INT(c3.j[0].gap_us, 4 * HOUR + 5 * MIN);
}

static void test_walk_cloud_known(void)
{
    struct km_tv_params p;
    km_tv_params_default(&p);
    /* a Berlin person's calls from a cloud network in Brazil: the first time
     * medium, the next day (the network is theirs now) low */
    struct km_tv_obs v[4];
    v[0] = at(1, BERLIN, 0, "DE", 0, HOUR);
    v[1] = at(2, SAOPAULO, 0, "BR", HOUR + 20 * MIN, 2 * HOUR);
    v[2] = at(1, BERLIN, 0, "DE", DAY, DAY + HOUR);
    v[3] = at(3, SAOPAULO, 0, "BR", DAY + HOUR + 20 * MIN, DAY + 2 * HOUR);
    v[1].asn = v[3].asn = 16509;
    v[1].flags = v[3].flags = KM_TV_CLOUD;
    v[0].asn = v[2].asn = 3209;
    struct calls c = {0};
    km_tv_walk(&p, v, 4, 0, record, &c);
    T_EQ_INT(c.n, 2); /* there; back overnight is possible; there again */
    T_EQ_INT(c.b[0], 2);
    T_EQ_INT(c.sev[0], KM_SEV_MEDIUM);
    T_EQ_INT(v[1].cloud_known, 0);
    T_EQ_INT(v[3].cloud_known, 1);
    T_EQ_INT(c.b[1], 3);
    T_EQ_INT(c.sev[1], KM_SEV_LOW);
    T_CHECK(c.j[1].why & KM_TV_R_CLOUD);
}

static void test_walk_vpn_not_learnt(void)
{
    struct km_tv_params p;
    km_tv_params_default(&p);
    /* a VPN egress's country is not the person's: it is never new and never
     * makes a later real sighting there "known" */
    struct km_tv_obs v[3];
    v[0] = at(1, BERLIN, 0, "DE", 0, 0);
    v[1] = at(2, SAOPAULO, 0, "BR", 20 * DAY, 20 * DAY);
    v[1].flags = KM_TV_VPN;
    v[2] = at(3, SAOPAULO, 0, "BR", 30 * DAY, 30 * DAY);
    struct calls c = {0};
    km_tv_walk(&p, v, 3, 0, record, &c);
    T_EQ_INT(v[1].new_country, 0);
    T_EQ_INT(v[2].new_country, 1);
    T_EQ_INT(c.n, 0); /* 10 days apart: no journey is impossible */
}

static void test_format(void)
{
    char b[64];
    km_tv_num(9800.4, b, sizeof b);
    T_EQ_STR(b, "9,800");
    km_tv_num(15500, b, sizeof b);
    T_EQ_STR(b, "15,500");
    km_tv_num(1234567.6, b, sizeof b);
    T_EQ_STR(b, "1,234,568");
    km_tv_num(12, b, sizeof b);
    T_EQ_STR(b, "12");
    km_tv_dur(38 * MIN + 5000000, b, sizeof b);
    T_EQ_STR(b, "38 min");
    km_tv_dur(2 * HOUR + 5 * MIN, b, sizeof b);
    T_EQ_STR(b, "2 h 05 min");
    km_tv_dur(0, b, sizeof b);
    T_EQ_STR(b, "0 s");
    char t[32];
    km_tv_time(1791014520000000LL, t); /* 2026-10-03T08:02:00Z */
    T_EQ_STR(t, "2026-10-03 08:02 UTC");
}

int main(void)
{
    T_RUN(test_basic_alert);
    T_RUN(test_same_ip_never);
    T_RUN(test_zero_time);
    T_RUN(test_noise_and_min_km);
    T_RUN(test_thresholds_boundaries);
    T_RUN(test_radii);
    T_RUN(test_antimeridian);
    T_RUN(test_vpn_allowed_cloud_shared);
    T_RUN(test_overlapping_runs);
    T_RUN(test_walk_history_new_country);
    T_RUN(test_walk_best_predecessor);
    T_RUN(test_walk_cloud_known);
    T_RUN(test_walk_vpn_not_learnt);
    T_RUN(test_format);
    return t_done();
}
