/* SPDX-License-Identifier: MIT */
/*
 * fuzz_plan.c - libFuzzer target for the .ssci.yml reader and the spec's
 * JSON.  The bytes are read as a file: refused with a message that points
 * into it and holds no control character, or made into a plan whose jobs
 * hold together and whose every spec comes back from its JSON the same.
 * The same bytes are then read as a spec's JSON.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
strings_equal(char *const *a, size_t na, char *const *b, size_t nb)
{
	if (na != nb)
		return 0;
	for (size_t i = 0; i < na; i++)
		if (strcmp(a[i], b[i]) != 0)
			return 0;
	return 1;
}

/* JSON and back must give the same spec, and the same JSON again. */
static void
check_round_trip(const struct plan_spec *spec)
{
	struct plan_spec back;
	char *text, *again;

	text = plan_spec_encode(spec);
	if (plan_spec_decode(text, &back) != 0)
		abort();
	if (!strings_equal(spec->run, spec->nrun, back.run, back.nrun) ||
	    !strings_equal(spec->env, spec->nenv, back.env, back.nenv) ||
	    !strings_equal(spec->tests, spec->ntests, back.tests,
	    back.ntests) || spec->timeout_s != back.timeout_s)
		abort();
	again = plan_spec_encode(&back);
	if (strcmp(text, again) != 0)
		abort();
	free(again);
	free(text);
	plan_spec_release(&back);
}

static void
check_plan(const struct plan *p)
{
	if (p->njobs == 0 || p->njobs > PLAN_MAX_JOBS || p->jobs == NULL)
		abort();
	for (size_t i = 0; i < p->njobs; i++) {
		const struct plan_job *j = &p->jobs[i];
		char *labels;

		if (j->name == NULL || j->name[0] == '\0' ||
		    j->spec.nrun == 0 || j->spec.nrun > PLAN_MAX_RUN ||
		    j->spec.timeout_s < 0 ||
		    j->spec.timeout_s > PLAN_MAX_TIMEOUT_S)
			abort();
		for (size_t k = 0; k < i; k++)
			if (strcmp(p->jobs[k].name, j->name) == 0)
				abort();
		for (size_t k = 0; k < j->nneeds; k++) {
			if (j->needs[k] >= p->njobs || j->needs[k] == i)
				abort();
			for (size_t o = 0; o < k; o++)
				if (j->needs[o] == j->needs[k])
					abort();
		}
		labels = plan_labels_join(j->labels, j->nlabels);
		if (strchr(labels, '\n') != NULL)
			abort();
		free(labels);
		check_round_trip(&j->spec);
	}
}

/* A plan as a runner sends it decodes to the same plan. */
static void
check_plan_round_trip(const struct plan *p)
{
	struct plan back;
	char err[512], *text, *again;

	text = plan_encode(p);
	if (plan_decode(text, strlen(text), &back, err, sizeof err) != 0)
		abort();
	again = plan_encode(&back);
	if (strcmp(text, again) != 0)
		abort();
	free(again);
	free(text);
	plan_release(&back);
}

static void
check_refused(const struct plan *p, const char *err)
{
	if (p->njobs != 0 || p->jobs != NULL)
		abort();
	if (strncmp(err, ".ssci.yml:", 10) != 0)
		abort();
	for (const char *s = err; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct plan p;
	struct plan_spec spec;
	char err[512], *text;

	if (plan_parse((const char *)data, size, &p, err, sizeof err) == 0) {
		check_plan(&p);
		check_plan_round_trip(&p);
		plan_release(&p);
	} else
		check_refused(&p, err);

	/* What a runner sends, as the dispatcher decodes it. */
	if (plan_decode((const char *)data, size, &p, err, sizeof err) == 0) {
		check_plan(&p);
		check_plan_round_trip(&p);
		plan_release(&p);
	} else if (p.njobs != 0 || p.jobs != NULL)
		abort();

	text = malloc(size + 1);
	if (text == NULL)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	if (plan_spec_decode(text, &spec) == 0) {
		if (spec.nrun == 0 || spec.nrun > PLAN_MAX_RUN)
			abort();
		check_round_trip(&spec);
		plan_spec_release(&spec);
	} else if (spec.run != NULL || spec.env != NULL)
		abort();
	free(text);
	return 0;
}
