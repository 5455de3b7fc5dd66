/* cmd_gen.c — placeholder until the command lands (replaced by its owner). */
#include "cli/cli.h"
#include <stdio.h>
int km_cmd_gen(int argc, char **argv)
{
    (void)argc;
    fprintf(stderr, "kumo %s: not built yet\n", argv[0]);
    return 2;
}
