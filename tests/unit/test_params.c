/* SPDX-License-Identifier: MIT */
/*
 * test_params.c - a manual run's parameters (params.c): which names and
 * values pass, the JSON the store keeps, and the runner's environment
 * strings made of it, each refusal naming the parameter.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "params.h"
#include "util.h"

/* name must be refused with a message holding want. */
static void
name_bad(const char *name, const char *want)
{
	char why[300] = "";

	if (params_name_check(name, why, sizeof why) != -1)
		fail_msg("'%s' passed", name);
	if (strstr(why, want) == NULL)
		fail_msg("'%s': message '%s' lacks '%s'", name, why, want);
}

static void
test_names(void **state)
{
	static const char *const good[] = {
		"A", "a", "_", "_x1", "BUILD_TYPE", "x9", "Path", "ssci_y",
		"LDX", "GITHUB_SHA", "CI_X", "LANGUAGE",
	};
	char why[300], longest[PARAMS_MAX_NAME + 2];

	(void)state;
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		if (params_name_check(good[i], why, sizeof why) != 0)
			fail_msg("'%s' refused: %s", good[i], why);
	}
	memset(longest, 'N', PARAMS_MAX_NAME);
	longest[PARAMS_MAX_NAME] = '\0';
	assert_int_equal(params_name_check(longest, why, sizeof why), 0);
	longest[PARAMS_MAX_NAME] = 'N';
	longest[PARAMS_MAX_NAME + 1] = '\0';
	name_bad(longest, "longer than 64 characters");

	name_bad("", "has no name");
	name_bad("1X", "parameter '1X' is not a variable name");
	name_bad("A-B", "is not a variable name");
	name_bad("A B", "is not a variable name");
	name_bad("A=B", "is not a variable name");
	name_bad("\xc3\xa9", "parameter '?" "?' is not a variable name");
	name_bad("A\n", "parameter 'A?' is not a variable name");
	name_bad("PATH", "parameter 'PATH' is reserved");
	name_bad("HOME", "is reserved");
	name_bad("USER", "is reserved");
	name_bad("SHELL", "is reserved");
	name_bad("PWD", "is reserved");
	name_bad("TMPDIR", "is reserved");
	name_bad("LANG", "is reserved");
	name_bad("IFS", "is reserved");
	name_bad("CI", "is reserved");
	name_bad("SSCI_Y", "no parameter may start with SSCI_");
	name_bad("SSCI_", "start with SSCI_");
	name_bad("LD_PRELOAD", "no parameter may start with LD_");
	name_bad("GIT_DIR", "no parameter may start with GIT_");
	/* What makes a shell or an interpreter run code of its own. */
	name_bad("BASH_ENV", "no parameter may start with BASH");
	name_bad("ENV", "is reserved");
	name_bad("PS4", "is reserved");
	name_bad("PYTHONPATH", "no parameter may start with PYTHON");
	name_bad("NODE_OPTIONS", "is reserved");
	name_bad("PERL5OPT", "is reserved");
	name_bad("JAVA_TOOL_OPTIONS", "is reserved");
}

static void
test_values(void **state)
{
	char why[300], *big = xmalloc(PARAMS_MAX_VALUE + 1);

	(void)state;
	memset(big, 'v', PARAMS_MAX_VALUE + 1);
	assert_int_equal(params_value_check("A", big, PARAMS_MAX_VALUE, why,
	    sizeof why), 0);
	assert_int_equal(params_value_check("A", big, PARAMS_MAX_VALUE + 1,
	    why, sizeof why), -1);
	assert_non_null(strstr(why, "parameter 'A' has a value longer than "
	    "4096 bytes"));
	free(big);
	assert_int_equal(params_value_check("A", "", 0, why, sizeof why), 0);
	assert_int_equal(params_value_check("A", "two\nlines <b>", 13, why,
	    sizeof why), 0);
	assert_int_equal(params_value_check("A", "a\0b", 3, why, sizeof why),
	    -1);
	assert_non_null(strstr(why, "NUL"));
	assert_int_equal(params_value_check("B", "\xff", 1, why, sizeof why),
	    -1);
	assert_non_null(strstr(why, "parameter 'B' has a value that is not "
	    "UTF-8"));
}

/* Words as "ssci run" takes them, into the store's JSON. */
static void
test_pairs(void **state)
{
	char *ok[] = { "B=two words", "A=1", "E=", "X=a=b" };
	char *twice[] = { "A=1", "A=2" }, *noeq[] = { "A" }, *bad[] = {
	    "1X=2" };
	char why[300], *out, *many[PARAMS_MAX + 1];

	(void)state;
	assert_int_equal(params_from_pairs(ok, 4, &out, why, sizeof why), 0);
	assert_string_equal(out, "{\"A\":\"1\",\"B\":\"two words\",\"E\":\"\","
	    "\"X\":\"a=b\"}");
	free(out);
	assert_int_equal(params_from_pairs(NULL, 0, &out, why, sizeof why), 0);
	assert_null(out);
	assert_int_equal(params_from_pairs(twice, 2, &out, why, sizeof why),
	    -1);
	assert_null(out);
	assert_non_null(strstr(why, "parameter 'A' is given twice"));
	assert_int_equal(params_from_pairs(noeq, 1, &out, why, sizeof why),
	    -1);
	assert_non_null(strstr(why, "parameter 'A' is not NAME=VALUE"));
	assert_int_equal(params_from_pairs(bad, 1, &out, why, sizeof why), -1);
	assert_non_null(strstr(why, "'1X' is not a variable name"));

	for (size_t i = 0; i <= PARAMS_MAX; i++)
		xasprintf(&many[i], "P%zu=%zu", i, i);
	assert_int_equal(params_from_pairs(many, PARAMS_MAX, &out, why,
	    sizeof why), 0);
	free(out);
	assert_int_equal(params_from_pairs(many, PARAMS_MAX + 1, &out, why,
	    sizeof why), -1);
	assert_non_null(strstr(why, "33 parameters: at most 32 are allowed"));
	for (size_t i = 0; i <= PARAMS_MAX; i++)
		free(many[i]);
}

/* An object as the API and the protocol's run bring it. */
static void
test_encode(void **state)
{
	char why[300], *out;
	json_t *obj;

	(void)state;
	obj = json_pack("{s:s, s:s}", "Z", "<script>", "a", "\xc3\xa9");
	assert_int_equal(params_encode(obj, &out, why, sizeof why), 0);
	assert_string_equal(out, "{\"Z\":\"<script>\",\"a\":\"\xc3\xa9\"}");
	free(out);
	json_decref(obj);
	obj = json_pack("{s:i}", "A", 1);
	assert_int_equal(params_encode(obj, &out, why, sizeof why), -1);
	assert_non_null(strstr(why, "parameter 'A' must have a string"));
	json_decref(obj);
	obj = json_pack("[s]", "A=1");
	assert_int_equal(params_encode(obj, &out, why, sizeof why), -1);
	assert_non_null(strstr(why, "must be a JSON object"));
	json_decref(obj);
	obj = json_pack("{s:s}", "LD_PRELOAD", "/x.so");
	assert_int_equal(params_encode(obj, &out, why, sizeof why), -1);
	assert_null(out);
	json_decref(obj);
}

/* The runner's side: what it was sent, checked again. */
static void
test_env(void **state)
{
	char why[300], **env;
	size_t n;

	(void)state;
	assert_int_equal(params_env("{\"A\":\"1\",\"B\":\"two words\"}", &env,
	    &n, why, sizeof why), 0);
	assert_int_equal(n, 2);
	assert_string_equal(env[0], "A=1");
	assert_string_equal(env[1], "B=two words");
	assert_null(env[2]);
	strv_free(env, n);
	assert_int_equal(params_env("{}", &env, &n, why, sizeof why), 0);
	assert_int_equal(n, 0);
	strv_free(env, n);

	assert_int_equal(params_env("{\"PATH\":\"/x\"}", &env, &n, why,
	    sizeof why), -1);
	assert_null(env);
	assert_non_null(strstr(why, "parameter 'PATH' is reserved"));
	assert_int_equal(params_env("\"{not json\"", &env, &n, why,
	    sizeof why), -1);
	assert_non_null(strstr(why, "must be a JSON object"));
	assert_int_equal(params_env("{not json", &env, &n, why, sizeof why),
	    -1);
	assert_non_null(strstr(why, "parameters are not JSON"));
	assert_int_equal(params_env("{\"A\":\"1\",\"A\":\"2\"}", &env, &n, why,
	    sizeof why), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_pairs),
		cmocka_unit_test(test_encode),
		cmocka_unit_test(test_env),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
