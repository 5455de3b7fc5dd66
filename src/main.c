/*
 * main.c — kumo's entry point: global options, then dispatch to a command.
 */
#include "cli/cli.h"
#include "core/km.h"

#include <malloc.h>
#include <stdio.h>
#include <string.h>

#define KUMO_VERSION "0.1.0"

static void help(FILE *f)
{
    fprintf(f, "kumo %s — cloud-forensics workbench\n\n"
               "usage: kumo [-q|-v] [--store DIR] COMMAND [ARGS]\n\ncommands:\n",
            KUMO_VERSION);
    for (int i = 0; i < km_ncommands; i++)
        fprintf(f, "  %-8s %s\n", km_commands[i].name, km_commands[i].summary);
    fprintf(f, "\nThe store is --store DIR, else $KUMO_STORE, else ./kumo-store.\n"
               "`kumo COMMAND --help` shows a command's options.\n");
}

int main(int argc, char **argv)
{
    /* Column buffers of a few hundred KB come and go per segment: served
     * from the heap rather than fresh mappings, they avoid an mmap/munmap
     * (and, with threads, a TLB shootdown) each. */
    mallopt(M_MMAP_THRESHOLD, 64 << 20);
    mallopt(M_TRIM_THRESHOLD, 128 << 20);
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "-q") == 0)
            km_verbosity = 0;
        else if (strcmp(argv[i], "-v") == 0)
            km_verbosity = 2;
        else if (strcmp(argv[i], "--version") == 0) {
            printf("kumo %s\n", KUMO_VERSION);
            return 0;
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            help(stdout);
            return 0;
        } else if (strcmp(argv[i], "--store") == 0 && i + 1 < argc) {
            break; /* commands parse --store themselves */
        } else {
            fprintf(stderr, "kumo: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    /* allow "kumo --store DIR cmd ...": move the option after the command */
    char *store_opt[2] = {NULL, NULL};
    if (i < argc && strcmp(argv[i], "--store") == 0 && i + 2 < argc) {
        store_opt[0] = argv[i];
        store_opt[1] = argv[i + 1];
        i += 2;
    }
    if (i >= argc || strcmp(argv[i], "help") == 0) {
        help(i >= argc ? stderr : stdout);
        return i >= argc ? 2 : 0;
    }
    for (int c = 0; c < km_ncommands; c++) {
        if (strcmp(km_commands[c].name, argv[i]) != 0)
            continue;
        int n = argc - i;
        char *args[n + 3];
        int k = 0;
        args[k++] = argv[i];
        if (store_opt[0]) {
            args[k++] = store_opt[0];
            args[k++] = store_opt[1];
        }
        for (int j = 1; j < n; j++) {
            if (strcmp(argv[i + j], "--help") == 0 || strcmp(argv[i + j], "-h") == 0) {
                printf("usage: kumo %s\n\n%s\n", km_commands[c].usage, km_commands[c].summary);
                return 0;
            }
            args[k++] = argv[i + j];
        }
        args[k] = NULL;
        return km_commands[c].run(k, args);
    }
    fprintf(stderr, "kumo: unknown command '%s' (try `kumo help`)\n", argv[i]);
    return 2;
}
