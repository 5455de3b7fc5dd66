/*
 * test_dups.c — the writer's dedupe rule: a duplicate is the same record
 * (same key and the same stored content, or the same raw reference); a row
 * reusing a key with other content is a conflicting duplicate, kept. Checked
 * against the builder, the segment being written, segments published by
 * this writer and segments that existed before it.
 */
#include "core/event.h"
#include "store/store.h"
#include "t.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmpdir[256];

/* Every event shares the id "1" unless id is given; `variant` changes the
 * action (stored content), t the time, obj/off the raw reference. */
static void mk(struct km_event *ev, const char *id, int variant, int64_t t, uint64_t obj,
               uint64_t off, char *buf)
{
    km_event_init(ev);
    ev->time_us = t;
    ev->f[KM_F_PROVIDER] = KM_STR("aws");
    ev->f[KM_F_SOURCE] = KM_STR("aws.cloudtrail");
    ev->f[KM_F_EVENT_ID] = km_str_c(id ? id : "1");
    snprintf(buf, 32, "Action%d", variant);
    ev->f[KM_F_ACTION] = km_str_c(buf);
    ev->read_only = 0;
    ev->raw.object = obj;
    ev->raw.offset = off;
    ev->raw.length = 100;
    km_event_key(ev);
}

static int add(struct km_writer *w, const char *id, int variant, int64_t t, uint64_t obj,
               uint64_t off)
{
    struct km_event ev;
    char buf[32];
    mk(&ev, id, variant, t, obj, off, buf);
    struct km_err err;
    km_err_clear(&err);
    int dup = -1;
    if (km_writer_add(w, &ev, &dup, &err) != KM_OK)
        return -1;
    return dup;
}

static int count_cb(void *ctx, const struct km_event *ev)
{
    (void)ev;
    ++*(int *)ctx;
    return 0;
}

static int filler_obj = 1000;

/* Adds n unrelated events, so earlier rows move from the builder to the
 * pending segment and then to a published one. */
static void fill(struct km_writer *w, int n)
{
    char id[32];
    for (int i = 0; i < n; i++) {
        snprintf(id, sizeof id, "filler-%d", filler_obj);
        add(w, id, 0, 5, (uint64_t)filler_obj, 0);
        filler_obj++;
    }
}

static void test_conflicts_in_session(void)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/s1", tmpdir);
    struct km_store *s;
    struct km_err err;
    km_err_clear(&err);
    T_EQ_INT(km_store_open(dir, KM_STORE_CREATE | KM_STORE_WRITE, &s, &err), KM_OK);
    struct km_writer *w;
    struct km_writer_opts o = {8};
    T_EQ_INT(km_writer_open(s, &o, &w, &err), KM_OK);
    int stored = 0;
    /* in the builder */
    T_EQ_INT(add(w, NULL, 1, 100, 1, 0), KM_ADD_NEW);
    stored++;
    T_EQ_INT(add(w, NULL, 1, 100, 2, 0), KM_ADD_DUP);      /* same content, other file */
    T_EQ_INT(add(w, NULL, 2, 100, 1, 100), KM_ADD_CONFLICT); /* same id, other action */
    stored++;
    T_EQ_INT(add(w, NULL, 2, 100, 3, 0), KM_ADD_DUP);      /* a third copy = the second */
    T_EQ_INT(add(w, NULL, 1, 200, 1, 200), KM_ADD_CONFLICT); /* other time */
    stored++;
    T_EQ_INT(add(w, NULL, 3, 100, 1, 100), KM_ADD_DUP);    /* same raw bytes: same record */
    /* the same checks once these rows are in a segment written or published */
    for (int round = 0; round < 3; round++) {
        fill(w, round == 0 ? 5 : 16);
        stored += round == 0 ? 5 : 16;
        T_EQ_INT(add(w, NULL, 1, 100, 4, 0), KM_ADD_DUP);
        T_EQ_INT(add(w, NULL, 2, 100, 4, 100), KM_ADD_DUP);
        T_EQ_INT(add(w, NULL, 1, 200, 4, 200), KM_ADD_DUP);
    }
    T_EQ_INT(add(w, NULL, 9, 100, 5, 0), KM_ADD_CONFLICT);
    stored++;
    T_EQ_INT(add(w, "fresh", 1, 100, 5, 100), KM_ADD_NEW);
    stored++;
    /* many rows sharing one key: each distinct one kept, copies of the
     * newest still found */
    for (int i = 0; i < 300; i++)
        T_EQ_INT(add(w, "many", 100 + i, 100, 6, (uint64_t)i * 100), i ? KM_ADD_CONFLICT : KM_ADD_NEW);
    stored += 300;
    for (int i = 290; i < 300; i++)
        T_EQ_INT(add(w, "many", 100 + i, 100, 7, (uint64_t)i * 100), KM_ADD_DUP);
    T_EQ_INT(km_writer_close(w, &err), KM_OK);
    struct km_filter f;
    km_filter_init(&f);
    int n = 0;
    T_EQ_INT(km_store_scan(s, &f, count_cb, &n, &err), KM_OK);
    T_EQ_INT(n, stored);
    km_store_close(s);

    /* a new writer: the rows are in segments that existed before it */
    T_EQ_INT(km_store_open(dir, KM_STORE_WRITE, &s, &err), KM_OK);
    T_EQ_INT(km_writer_open(s, &o, &w, &err), KM_OK);
    T_EQ_INT(add(w, NULL, 1, 100, 8, 0), KM_ADD_DUP);
    T_EQ_INT(add(w, NULL, 2, 100, 8, 100), KM_ADD_DUP);
    T_EQ_INT(add(w, NULL, 1, 200, 8, 200), KM_ADD_DUP);
    T_EQ_INT(add(w, NULL, 9, 100, 8, 300), KM_ADD_DUP);
    T_EQ_INT(add(w, NULL, 10, 100, 8, 400), KM_ADD_CONFLICT);
    T_EQ_INT(add(w, NULL, 10, 100, 8, 500), KM_ADD_DUP); /* now in this writer's builder */
    T_EQ_INT(add(w, NULL, 11, 999999, 8, 600), KM_ADD_CONFLICT); /* outside every segment's time */
    T_EQ_INT(add(w, "fresh", 1, 100, 9, 0), KM_ADD_DUP);
    T_EQ_INT(add(w, "fresh2", 1, 100, 9, 100), KM_ADD_NEW);
    T_EQ_INT(add(w, "many", 150, 100, 9, 200), KM_ADD_DUP);
    T_EQ_INT(km_writer_close(w, &err), KM_OK);
    n = 0;
    T_EQ_INT(km_store_scan(s, &f, count_cb, &n, &err), KM_OK);
    T_EQ_INT(n, stored + 3);
    km_store_close(s);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/kumo-test-dups-XXXXXX");
    if (!mkdtemp(tmpdir))
        return 2;
    T_RUN(test_conflicts_in_session);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd) != 0)
        return 2;
    return t_done();
}
