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
/* Writes one CSV cell: the value's bytes as they are (CSV is a data format:
 * docs/output.md), quoted when it holds a comma, a quote or any control
 * byte; a leading = + - @ (or tab/CR) is prefixed with a single quote so
 * spreadsheets do not evaluate it. */
void km_out_csv_cell(FILE *f, const char *s, size_t n);
/* The same, appended to a buffer. */
void km_out_csv_cell_buf(struct km_buf *b, const char *s, size_t n);
/*
 * Human-readable text (tables, timelines, reports) — the one escaping rule
 * (docs/output.md). A value from the evidence is shown as it is, except what
 * a terminal would act on or could not show:
 *   - C0 controls (0x00-0x1f, newline and tab included) and DEL: \xNN
 *   - bytes that are not UTF-8 (invalid, overlong, surrogates): \xNN
 *   - C1 controls U+0080-U+009F (U+009B is an 8-bit CSI): \u0080-\u009f
 *   - bidi embeddings/overrides U+202A-U+202E and isolates U+2066-U+2069
 *     (they reorder what the reader sees): \u202a ...
 * Backslashes are not doubled: text output is for reading; JSON Lines and
 * CSV carry the exact values (JSON replaces bytes that are not UTF-8 with
 * U+FFFD, CSV keeps the bytes).
 */
#define KM_OUT_KEEP_NL 1u   /* a newline stays a newline (multi-line blocks) */
#define KM_OUT_KEEP_TAB 2u  /* a tab stays a tab */
/* Appends s[0..n) escaped by the rule above; keep: KM_OUT_KEEP_* bits. */
void km_out_text(struct km_buf *b, const char *s, size_t n, unsigned keep);
/* km_out_text with keep 0: one line, one cell. */
void km_out_safe(struct km_buf *b, const char *s, size_t n);
/* The same, written to f. */
void km_out_safe_file(FILE *f, const char *s, size_t n);
/* printf to f, the formatted text escaped by the rule (newlines kept): for
 * lines that mix kumo's words with values from the evidence. */
void km_out_printf(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* One display unit of s at i: fills tmp[0..*tn) with its escape (or *tn = 0:
 * copy the bytes as they are), *cols with its columns; returns its bytes. */
size_t km_out_unit(const char *s, size_t n, size_t i, unsigned keep, char tmp[12], size_t *tn,
                   int *cols);
/* Columns s takes once escaped (one per character). */
size_t km_out_width(const char *s, size_t n);

/*
 * Cutting: output is cut to the terminal's width only when it goes to a
 * terminal; a file or a pipe always gets the whole text.
 */
/* Width of f when it is a terminal (TIOCGWINSZ, else $COLUMNS, else 80;
 * 60..4096); 0 when f is not a terminal: never cut. */
int km_out_term_cols(FILE *f);
/* Appends s escaped in at most cols columns (cols <= 0: no limit); when it
 * does not fit, it is cut on a character boundary and ends with mark (NULL:
 * "…"), and the cut is counted. Then spaces up to pad columns. Returns 1 when
 * it cut. */
int km_out_fit(struct km_buf *b, const char *s, size_t n, int cols, int pad, const char *mark);
/* Values cut since the last note. */
uint64_t km_out_cuts(void);
/* When values were cut, prints once to f how to get the full text
 * ("(3 values cut to fit the terminal: pipe the output ...)") and resets the
 * count. */
void km_out_cut_note(FILE *f);
/* 1234567 -> "1,234,567" into buf (returns buf). */
const char *km_out_num(uint64_t v, char *buf, size_t n);

#endif
