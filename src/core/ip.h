/*
 * ip.h — strict IP address parsing and canonical text.
 *
 * Source addresses in cloud logs are often not addresses at all
 * ("ec2.amazonaws.com", "AWS Internal") or are deliberately broken (the
 * Stratus Red Team set anonymises IPs into quads with leading zeros such as
 * "08.1.250.216"). kumo keeps such values raw and never guesses: only text
 * that is unambiguously an address is accepted, and every accepted address
 * has exactly one canonical spelling so that pivots and de-duplication work
 * on strings.
 *
 * Accepted:
 *   IPv4   dotted quad, four decimal octets 0..255, no leading zeros ("0" is
 *          fine, "08" and "010" are not), no '+', no spaces, nothing else.
 *   IPv6   RFC 4291 text: eight 1..4-digit hex groups, one "::" for a run of
 *          zero groups, optionally ending in a dotted quad (strict, as above)
 *          for the last 32 bits; hex digits in either case. A zone id
 *          ("fe80::1%eth0", zone chars [A-Za-z0-9._~-], 1..32 of them) is
 *          accepted and dropped: a zone only has meaning on the host that
 *          logged it. Brackets, ports and prefixes ("/64") are rejected.
 *
 * Canonical text (km_ip_canon):
 *   IPv4   "a.b.c.d" as parsed.
 *   IPv6   RFC 5952: lowercase, no leading zeros in a group, the longest run
 *          of two or more zero groups replaced by "::" (the first such run on
 *          a tie), and IPv4-mapped addresses (::ffff:0:0/96) written as
 *          "::ffff:a.b.c.d". Other embedded-IPv4 forms are written in hex.
 *
 * Binary form (km_ip_parse): 16 bytes in network order. An IPv4 address is
 * stored IPv4-mapped (::ffff:a.b.c.d) so that "1.2.3.4" and "::ffff:1.2.3.4"
 * give the same bytes; *is_v4 tells which text form was given.
 */
#ifndef KM_IP_H
#define KM_IP_H

#include <stddef.h>
#include <stdint.h>

/* Longest canonical text plus NUL is 40 bytes; callers pass 48. */
#define KM_IP_TEXT_MAX 48

/* Parses s[0..n) (need not be NUL-terminated). Returns KM_OK and fills out16
 * and *is_v4 (1 for dotted-quad input, 0 for IPv6 text, including IPv4-mapped
 * IPv6 text), or KM_EFORMAT when s is not an address; then out16 is
 * unspecified. is_v4 may be NULL. */
int km_ip_parse(const char *s, size_t n, uint8_t out16[16], int *is_v4);

/* Returns 1 and writes the canonical text (NUL-terminated) into out when s is
 * a valid address; returns 0 and writes "" otherwise. */
int km_ip_canon(const char *s, size_t n, char out[KM_IP_TEXT_MAX]);

/* Writes the canonical text of a binary address into out (see above; is_v4
 * selects the dotted-quad form for an IPv4-mapped address). Returns the text
 * length. */
size_t km_ip_fmt(const uint8_t a[16], int is_v4, char out[KM_IP_TEXT_MAX]);

/* Parses "addr" or "addr/prefix" (IPv4 prefixes 0..32, IPv6 0..128) into a
 * 16-byte network and a prefix length in the 128-bit space (IPv4 prefixes
 * + 96, as addresses are IPv4-mapped). KM_OK or KM_EFORMAT. */
int km_ip_cidr_parse(const char *s, size_t n, uint8_t net[16], int *bits);
/* 1 when the 16-byte address a lies in net/bits. */
int km_ip_in_net(const uint8_t a[16], const uint8_t net[16], int bits);

#endif
