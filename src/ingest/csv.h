/*
 * csv.h — CSV exports as records (csv.c). The rules a header must meet and
 * how rows become JSON objects are described in records.h (the splitter's
 * CSV mode); this header is the code both the splitter and `kumo show` use.
 */
#ifndef KM_CSV_H
#define KM_CSV_H

#include "core/km.h"
#include "json/json.h"

#include <stddef.h>
#include <stdint.h>

#define KM_CSV_HEADER_MAX (64u << 10)  /* bytes of a header record */
#define KM_CSV_MAX_COLUMNS 1024

/*
 * Finds the CSV header at the start of a stream's first bytes p[0..n) the way
 * the splitter does: skips a UTF-8 BOM and blank bytes (space, TAB, CR, LF),
 * takes the first record (quote-aware; the record may end at n), drops its
 * trailing CR and checks it is a header (rules above). On KM_OK sets *start
 * and *len (the header record, no terminator) and *delim (',' or '\t').
 * Returns KM_EFORMAT (not a header, or cut inside quotes) or KM_ELIMIT (more
 * than KM_CSV_MAX_COLUMNS columns, or longer than KM_CSV_HEADER_MAX), with
 * err (may be NULL) saying why.
 */
int km_csv_header_find(const char *p, size_t n, size_t *start, size_t *len, char *delim,
                       struct km_err *err);
/*
 * Builds the JSON object of one CSV row exactly as the splitter hands it to
 * on_record: header[0..hn) is the header record (as km_csv_header_find gives
 * it), row[0..rn) the row's raw bytes (km_record off/raw_n), delim ',' or
 * '\t' (0: picked from the header as the splitter does). out's content is
 * replaced (out->n = 0 first; its ceiling applies). Returns KM_OK;
 * KM_EFORMAT when the header is not one, the row has more cells than the
 * header has columns, or a quote is unterminated; KM_ELIMIT when out's
 * ceiling is reached. err (may be NULL) gets the detail (offset = byte in the
 * row, when known). A row without a non-empty cell gives "{}".
 */
int km_csv_row_to_json(const char *header, size_t hn, const char *row, size_t rn, char delim,
                       struct km_buf *out, struct km_err *err);

/* ---- for the record splitter ------------------------------------------------- */

/*
 * Quote states of the one CSV machine that the splitter, km_csv_header_find
 * and the cell reader share, so they agree on where a row ends:
 *   CQ_START   at the start of a field
 *   CQ_PLAIN   in an unquoted field (a '"' here is text)
 *   CQ_QUOTED  in a quoted field (newlines and delimiters are text)
 *   CQ_CLOSE   after a '"' in a quoted field: '"' is an escaped quote, the
 *              delimiter or a newline ends the field, anything else is text
 * A '\n' in any state but CQ_QUOTED ends the row.
 */
enum { CQ_START = 0, CQ_PLAIN, CQ_QUOTED, CQ_CLOSE };

/* The state after byte ch (not a row-ending newline). */
static inline int km_csv_step(int q, unsigned char ch, char delim)
{
    if (q == CQ_QUOTED)
        return ch == '"' ? CQ_CLOSE : CQ_QUOTED;
    if (ch == (unsigned char)delim)
        return CQ_START;
    if (q == CQ_PLAIN)
        return CQ_PLAIN;
    return ch == '"' ? CQ_QUOTED : CQ_PLAIN; /* CQ_START, CQ_CLOSE */
}

/* TAB when the header's first line p[0..n) has tabs and no commas, else ','. */
char km_csv_pick_delim(const char *p, size_t n);

/* A parsed header: the JSON key text ("name":) of every column, back to back. */
struct km_csv_hdr {
    int ncols;
    struct km_buf keys;
    uint32_t koff[KM_CSV_MAX_COLUMNS + 1];
};

/* Parses header record s[0..n): KM_OK (free with km_csv_hdr_free), else
 * KM_EFORMAT (not a header) or KM_ELIMIT. */
int km_csv_hdr_parse(const char *s, size_t n, char delim, struct km_csv_hdr *h,
                     struct km_err *err);
void km_csv_hdr_free(struct km_csv_hdr *h);
/* The JSON object of one row into out (see km_csv_row_to_json); scratch is a
 * work buffer the caller keeps. */
int km_csv_row_json(const struct km_csv_hdr *h, const char *row, size_t rn, char delim,
                    struct km_buf *out, struct km_buf *scratch, struct km_err *err);

#endif
