/*
 * timeparse.h — timestamp parsing and formatting in UTC microseconds.
 *
 * Cloud logs write time in many dialects of ISO 8601 / RFC 3339 (CloudTrail
 * "2024-08-02T08:53:24Z", lookup-events "2022-02-08 09:23:37+11:00", Panther
 * "2019-01-01 00:00:00.000000000", Azure 7 fractional digits, GCP 9) and as
 * epoch numbers (CloudWatch Logs `timestamp` in milliseconds). This module
 * turns all of them into one int64: microseconds since 1970-01-01T00:00:00Z.
 * It is on the ingest hot path (one call per event), so it uses plain
 * calendar arithmetic (days from civil date) and no sscanf/strptime/mktime,
 * no locale and no time-zone database.
 *
 * Accepted text forms (km_time_parse):
 *
 *   DATE        YYYY-MM-DD                       (date only: midnight UTC)
 *   DATE T TIME [ZONE]                            T is 'T', 't' or one space
 *   basic form  YYYYMMDDTHHMMSS[.frac][ZONE]      (S3 object names, digests)
 *   TIME        HH:MM[:SS[.frac]]                 frac: '.' or ',' then 1..18
 *                                                 digits; digits past the 6th
 *                                                 are truncated, not rounded
 *   ZONE        Z | z | +HH:MM | -HH:MM | +HHMM | +HH | [ ]UTC | [ ]GMT
 *                                                 (no zone means UTC; a single
 *                                                 space may precede the zone)
 *   US form     M/D/YYYY[,] h:mm[:ss[.frac]] AM|PM [ZONE]   (Log Analytics
 *                                                 portal CSV; hour 1..12)
 *   EPOCH       1..11 digits: seconds (optionally ".frac");
 *               12..14 digits: milliseconds; 15..17: microseconds;
 *               18..19: nanoseconds (truncated)
 *
 * Rejected: anything else, including placeholders ("redacted", "...", ""),
 * impossible dates (2023-02-29, month 13, hour 24, minute 60), offsets beyond
 * ±23:59, surrounding whitespace and trailing garbage. Second 60 (a leap
 * second) is accepted and lands on the next second, as POSIX time does.
 * Years are 0000..9999.
 */
#ifndef KM_TIMEPARSE_H
#define KM_TIMEPARSE_H

#include <stddef.h>
#include <stdint.h>

/* Parses s[0..n) (need not be NUL-terminated). On success stores UTC
 * microseconds since the epoch in *us and returns KM_OK; otherwise returns
 * KM_EFORMAT and leaves *us unchanged. s may be NULL only when n == 0. */
int km_time_parse(const char *s, size_t n, int64_t *us);

/* Epoch milliseconds (CloudWatch Logs `timestamp`) to microseconds; saturates
 * at INT64_MIN/INT64_MAX instead of overflowing. */
int64_t km_time_from_epoch_ms(int64_t ms);

/* Days since 1970-01-01 for a proleptic Gregorian date (month 1..12, day
 * 1..31; not validated here). Exposed for tests and other modules. */
int64_t km_time_days_from_civil(int64_t y, unsigned m, unsigned d);

/* Formats us as "YYYY-MM-DDTHH:MM:SSZ", or "YYYY-MM-DDTHH:MM:SS.ffffffZ" when
 * the sub-second part is non-zero (always 6 digits). Times before 1970 work;
 * years outside 0..9999 are printed with as many digits as needed and a '-'
 * for negative years. Writes at most 31 bytes plus the NUL into out. */
void km_time_fmt(int64_t us, char out[32]);

#endif
