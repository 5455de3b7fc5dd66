/* cmd_reprocess.c — placeholder */
#include "cli/cli.h"
int km_cmd_reprocess(int argc, char **argv) { (void)argc; (void)argv; return 2; }
