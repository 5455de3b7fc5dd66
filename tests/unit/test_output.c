/*
 * test_output.c — the text escaping rule and cutting of src/cli/output.c
 * (docs/output.md): controls, C1, bidi controls and bytes that are not UTF-8
 * become visible escapes; valid UTF-8 passes; cutting is on character
 * boundaries, counted, and only when asked; CSV keeps the bytes but quotes a
 * cell that holds control bytes.
 */
#include "cli/output.h"

#include "t.h"

static char out[1024];

static const char *text(const char *s, size_t n, unsigned keep)
{
    struct km_buf b;
    km_buf_init(&b, 0);
    km_out_text(&b, s, n, keep);
    snprintf(out, sizeof out, "%.*s", (int)b.n, b.n ? b.p : "");
    km_buf_free(&b);
    return out;
}

#define SAFE(s) text(s, sizeof(s) - 1, 0)

static const char *fit(const char *s, int cols, int pad, const char *mark)
{
    struct km_buf b;
    km_buf_init(&b, 0);
    km_out_fit(&b, s, strlen(s), cols, pad, mark);
    snprintf(out, sizeof out, "%.*s", (int)b.n, b.n ? b.p : "");
    km_buf_free(&b);
    return out;
}

static void test_escapes(void)
{
    T_EQ_STR(SAFE("plain text"), "plain text");
    T_EQ_STR(SAFE("a\x1b[31mb"), "a\\x1b[31mb");          /* ESC */
    T_EQ_STR(SAFE("a\nb\tc\rd"), "a\\x0ab\\x09c\\x0dd");   /* one line, one cell */
    T_EQ_STR(SAFE("a\x7f"), "a\\x7f");                    /* DEL */
    T_EQ_STR(text("a\0b", 3, 0), "a\\x00b");              /* NUL */
    T_EQ_STR(SAFE("a\xc2\x9b" "31m"), "a\\u009b31m");     /* C1 CSI */
    T_EQ_STR(SAFE("\xc2\x80\xc2\x9f"), "\\u0080\\u009f"); /* both ends of C1 */
    T_EQ_STR(SAFE("x\xe2\x80\xaey"), "x\\u202ey");        /* RIGHT-TO-LEFT OVERRIDE */
    T_EQ_STR(SAFE("\xe2\x81\xa6z\xe2\x81\xa9"), "\\u2066z\\u2069"); /* isolates */
    /* valid UTF-8 passes: é, ×, €, an emoji, U+00A0 (just past C1) */
    T_EQ_STR(SAFE("\xc3\xa9\xc3\x97\xe2\x82\xac\xf0\x9f\x94\x91\xc2\xa0"),
             "\xc3\xa9\xc3\x97\xe2\x82\xac\xf0\x9f\x94\x91\xc2\xa0");
    T_EQ_STR(SAFE("\xe2\x80\xaf"), "\xe2\x80\xaf");       /* U+202F is not bidi */
    /* not UTF-8: each byte visibly */
    T_EQ_STR(SAFE("bucket-\xff\xfe" "2"), "bucket-\\xff\\xfe2");
    T_EQ_STR(SAFE("\xc3"), "\\xc3");                      /* truncated */
    T_EQ_STR(SAFE("\xc0\xaf"), "\\xc0\\xaf");             /* overlong '/' */
    T_EQ_STR(SAFE("\xed\xa0\x80"), "\\xed\\xa0\\x80");    /* a surrogate */
    T_EQ_STR(SAFE("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80"); /* past U+10FFFF */
    T_EQ_STR(SAFE("\xe2\x82"), "\\xe2\\x82");
    /* multi-line blocks keep newlines and tabs, nothing else */
    T_EQ_STR(text("a\nb\tc\x1b", 6, KM_OUT_KEEP_NL | KM_OUT_KEEP_TAB), "a\nb\tc\\x1b");
    T_EQ_STR(text("a\nb\tc", 5, KM_OUT_KEEP_NL), "a\nb\\x09c");
    /* the escaped text holds no byte a terminal acts on */
    char all[256];
    for (int i = 0; i < 256; i++)
        all[i] = (char)i;
    const char *e = text(all, sizeof all, 0);
    for (const unsigned char *p = (const unsigned char *)e; *p; p++)
        T_CHECK(*p >= 0x20 && *p < 0x7f);
}

static void test_width(void)
{
    T_EQ_INT(km_out_width("abc", 3), 3);
    T_EQ_INT(km_out_width("\xc3\xa9t\xc3\xa9", 5), 3);
    T_EQ_INT(km_out_width("\x1b", 1), 4);                 /* \x1b */
    T_EQ_INT(km_out_width("\xc2\x9b", 2), 6);             /* \u009b */
}

static void test_fit(void)
{
    uint64_t c0 = km_out_cuts();
    T_EQ_STR(fit("hello", 0, 0, NULL), "hello");           /* no limit */
    T_EQ_STR(fit("hello world", 0, 0, NULL), "hello world");
    T_EQ_INT(km_out_cuts(), c0);
    T_EQ_STR(fit("hello", 8, 8, NULL), "hello   ");
    T_EQ_STR(fit("hello!", 5, 0, NULL), "hell\xe2\x80\xa6"); /* … */
    T_EQ_STR(fit("hello!", 5, 0, "~"), "hell~");
    T_EQ_INT(km_out_cuts(), c0 + 2);
    T_EQ_STR(fit("longer than the pad", 0, 6, NULL), "longer than the pad"); /* pad, no cut */
    /* never inside a character or an escape */
    T_EQ_STR(fit("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 3, 0, "~"), "\xc3\xa9\xc3\xa9~");
    T_EQ_STR(fit("\x1b\x1b", 6, 0, "~"), "\\x1b~");
    /* and escaped when not cut */
    T_EQ_STR(fit("a\x1b" "b", 0, 0, NULL), "a\\x1bb");
}

static void test_csv(void)
{
    struct km_buf b;
    km_buf_init(&b, 0);
    km_out_csv_cell_buf(&b, "a\x1b[31mb", 7);
    km_buf_addc(&b, ',');
    km_out_csv_cell_buf(&b, "plain", 5);
    km_buf_addc(&b, ',');
    km_out_csv_cell_buf(&b, "x\xff" "y", 3);
    km_buf_addc(&b, 0);
    /* the bytes are kept (a data format), the control cell is quoted */
    T_EQ_STR(b.p, "\"a\x1b[31mb\",plain,x\xffy");
    km_buf_free(&b);
}

static void test_not_a_terminal(void)
{
    /* the unit tests run with stdout into a pipe or a file: never cut */
    FILE *f = tmpfile();
    T_CHECK(f != NULL);
    if (f) {
        T_EQ_INT(km_out_term_cols(f), 0);
        fclose(f);
    }
}

int main(void)
{
    T_RUN(test_escapes);
    T_RUN(test_width);
    T_RUN(test_fit);
    T_RUN(test_csv);
    T_RUN(test_not_a_terminal);
    return t_done();
}
