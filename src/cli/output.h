/*
 * output.h — shared output helpers for commands: an event as JSON, CSV cells
 * (formula-injection safe), human numbers, option parsing helpers.
 */
#ifndef KM_OUTPUT_H
#define KM_OUTPUT_H

#include "core/event.h"
#include "json/json.h"

#include <stdio.h>

/* Appends the normalized event as one compact JSON object (absent fields
 * omitted; resources embedded as JSON). */
void km_out_event_json(struct km_buf *b, const struct km_event *ev);
/* The members after the string fields (read_only, mfa as mfa_name, severity,
 * time flags), each with a leading comma; shared by the JSON exports. */
void km_out_event_json_tail(struct km_buf *b, const struct km_event *ev, const char *mfa_name);
/* Writes one CSV cell: quoted when needed; a leading = + - @ (or tab/CR) is
 * prefixed with a single quote so spreadsheets do not evaluate it. */
void km_out_csv_cell(FILE *f, const char *s, size_t n);
/* The same, appended to a buffer. */
void km_out_csv_cell_buf(struct km_buf *b, const char *s, size_t n);
/* Appends s for a terminal: bytes below 0x20 and 0x7f become \xNN, so a
 * file name or a logged user agent cannot carry escape sequences. */
void km_out_safe(struct km_buf *b, const char *s, size_t n);
/* The same, written to f. */
void km_out_safe_file(FILE *f, const char *s, size_t n);
/* 1234567 -> "1,234,567" into buf (returns buf). */
const char *km_out_num(uint64_t v, char *buf, size_t n);
/* Parses "123", "64K", "256M", "8G" into bytes; returns 0 or -1. */
int km_out_parse_size(const char *s, uint64_t *out);
/* Parses a time bound for --since/--until: ISO 8601 / RFC 3339, a date, or a
 * relative "7d", "12h", "30m" (ago from now). Returns 0 or -1. */
int km_out_parse_when(const char *s, int64_t *us);

#endif
