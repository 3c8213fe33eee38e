/* smscctl — the smsc admin CLI, a client of any node's REST API.
 *
 * The commands are the rows of ctl_commands[] (cluster/ctl_commands.c);
 * `smscctl --help` lists them, the global options and the exit codes.
 * Everything else is in cluster/ctl_*.c (see cluster/ctl.h).
 */
#include <stdio.h>

#include "cluster/ctl.h"

int main(int argc, char **argv)
{
    int rc = ctl_main(argc, argv);
    fflush(stdout);
    return rc;
}
