/*
 * fault.c — KUMO_FAULT fault injection (fault.h). The variable is parsed
 * once; the pass counter is atomic, so points reached by several threads
 * (the background segment writer and the publishing thread) are counted in
 * the order they are reached.
 */
#include "core/fault.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char family_[64];
static unsigned long nth;
static int mode_; /* 0 off, 1 fail, 2 abort */
static atomic_ulong passes;

static void parse(void)
{
    const char *v = getenv("KUMO_FAULT");
    if (!v || !*v)
        return;
    const char *c1 = strchr(v, ':');
    const char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    char *end = NULL;
    unsigned long n = c1 ? strtoul(c1 + 1, &end, 10) : 0;
    if (!c1 || !c2 || end != c2 || n == 0 || (size_t)(c1 - v) >= sizeof family_ ||
        (strcmp(c2 + 1, "fail") != 0 && strcmp(c2 + 1, "abort") != 0)) {
        fprintf(stderr, "kumo: KUMO_FAULT=%s ignored: want POINT:N:fail or POINT:N:abort\n", v);
        return;
    }
    memcpy(family_, v, (size_t)(c1 - v));
    family_[c1 - v] = 0;
    nth = n;
    mode_ = strcmp(c2 + 1, "abort") == 0 ? 2 : 1;
}

int km_fault(const char *family, const char *step)
{
    pthread_once(&once, parse);
    if (!mode_ || strcmp(family, family_) != 0)
        return 0;
    unsigned long k = atomic_fetch_add(&passes, 1) + 1;
    if (k != nth)
        return 0;
    fprintf(stderr, "kumo: KUMO_FAULT: %s at %s:%lu (%s)\n", mode_ == 2 ? "killed" : "failing",
            family, k, step);
    if (mode_ == 2) {
        kill(getpid(), SIGKILL);
        _exit(137);
    }
    return 1;
}
