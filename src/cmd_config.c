/* SPDX-License-Identifier: MIT */
/*
 * cmd_config.c - "ssci config check FILE": read a configuration file as
 * the dispatcher, the runner and the observer would, each its section,
 * and say whether every line is right, without starting anything.
 */
#include <stdio.h>
#include <string.h>

#include "cmd.h"

static const struct cmd_opt config_opts[] = {
	CMD_OPT_HELP,
	CMD_OPT_END,
};

static const struct cmd_spec config_spec = {
	"usage: ssci config check FILE\n", "h", config_opts, NULL, 0, 0,
};

int
cmd_config(int argc, char **argv)
{
	static const struct cmd_spec *const readers[] = {
		&cmd_dispatcher_spec, &cmd_runner_spec, &cmd_observer_spec,
	};
	int first = cmd_parse(argc, argv, &config_spec, NULL);

	if (argc - first != 2 || strcmp(argv[first], "check") != 0)
		cmd_usage(&config_spec);
	if (cmd_config_check(argv[first + 1], readers,
	    sizeof readers / sizeof readers[0]) == -1)
		return 1;
	printf("%s: every line is right\n", argv[first + 1]);
	return 0;
}
