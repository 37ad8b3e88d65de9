/* api/errors.c: error names, unknown and unsupported backends, the backend list. */
#include <limits.h>
#include <string.h>

#include <criterion/criterion.h>

#include "iso.h"
#include "../support/util.h"
#include "workload.h"

static const int codes[] = { ISO_OK, ISO_EFAULT, ISO_ECRASH, ISO_ETIMEDOUT, ISO_E2BIG,
			     ISO_ENOMEM, ISO_EINVAL, ISO_ENOTSUP, ISO_ESYS, ISO_EEXIT };
#define NCODES (sizeof(codes) / sizeof(codes[0]))

Test(errors, every_code_has_its_own_name)
{
	for (size_t i = 0; i < NCODES; i++) {
		const char *s = iso_strerror(codes[i]);

		cr_assert_not_null(s, "code %d", codes[i]);
		cr_assert_neq(s[0], '\0', "code %d has an empty name", codes[i]);
		for (size_t j = 0; j < i; j++)
			cr_assert_str_neq(s, iso_strerror(codes[j]), "codes %d and %d share '%s'",
					  codes[i], codes[j], s);
	}
}

Test(errors, unknown_code_is_named_as_unknown)
{
	static const int unknown[] = { 1, 42, -10, -100, INT_MIN, INT_MAX };

	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		const char *s = iso_strerror(unknown[i]);

		cr_assert_not_null(s, "code %d", unknown[i]);
		cr_assert_neq(s[0], '\0', "code %d", unknown[i]);
		for (size_t j = 0; j < NCODES; j++)
			cr_assert_str_neq(s, iso_strerror(codes[j]),
					  "unknown code %d named like %d", unknown[i], codes[j]);
	}
}

Test(errors, workload_error_is_distinct)
{
	const char *s = workload_strerror(WL_EWRONG);

	cr_assert(s && s[0]);
	for (size_t j = 0; j < NCODES; j++)
		cr_assert_str_neq(s, iso_strerror(codes[j]));
	cr_assert_str_eq(workload_strerror(ISO_ECRASH), iso_strerror(ISO_ECRASH));
}

Test(errors, unknown_backend)
{
	struct iso_domain *d = (void *)1;

	cr_assert_eq(iso_domain_create("no-such-backend", NULL, &d), ISO_ENOTSUP);
	cr_assert_null(d, "*out not cleared");
	cr_assert_neq(iso_reason()[0], '\0', "no reason for an unknown backend");
	cr_assert_eq(iso_backend_probe("no-such-backend"), ISO_ENOTSUP);
	cr_assert_neq(iso_reason()[0], '\0');
	cr_assert_null(iso_backend_summary("no-such-backend"));

	d = (void *)1;
	int err = iso_domain_create(NULL, NULL, &d);
	cr_assert(err == ISO_ENOTSUP || err == ISO_EINVAL, "NULL name: %s", iso_strerror(err));
	cr_assert_null(d);
}

Test(errors, backend_list)
{
	const char *want[] = { "none", "process", "mpk", "mprotect" };
	size_t n = 0;
	const char *name;

	for (; (name = iso_backend_name(n)); n++) {
		const char *sum = iso_backend_summary(name);

		cr_assert(sum && sum[0], "%s has no summary", name);
		for (size_t j = 0; j < n; j++)
			cr_assert_str_neq(name, iso_backend_name(j), "%s registered twice", name);
	}
	cr_assert_null(iso_backend_name(n + 100));
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		size_t j = 0;

		while (j < n && strcmp(iso_backend_name(j), want[i]) != 0)
			j++;
		cr_assert_lt(j, n, "backend %s is not registered", want[i]);
	}
	cr_assert_eq(iso_backend_probe("none"), ISO_OK);
	cr_assert_eq(iso_backend_probe("process"), ISO_OK);
}

/* A backend that says it cannot run here refuses to create a domain, and says why. */
Test(errors, unsupported_backend_refuses_create)
{
	const char *name;

	for (size_t i = 0; (name = iso_backend_name(i)); i++) {
		struct iso_domain *d = (void *)1;
		int err;

		if (iso_backend_probe(name) == ISO_OK)
			continue;
		cr_assert_eq(iso_backend_probe(name), ISO_ENOTSUP, "%s probe", name);
		cr_assert_neq(iso_reason()[0], '\0', "%s: probe gives no reason", name);
		err = iso_domain_create(name, NULL, &d);
		cr_assert_eq(err, ISO_ENOTSUP, "%s create: %s", name, iso_strerror(err));
		cr_assert_null(d, "%s: *out not cleared", name);
		cr_assert_neq(iso_reason()[0], '\0', "%s: create gives no reason", name);
	}
}
