/* support/sanitizers.c: sanitizer defaults for the test binary (ignored in builds without them). */

const char *__asan_default_options(void);
const char *__lsan_default_suppressions(void);

/* contract::alloc_free_many asks for an impossible buffer and expects NULL, not an abort. */
const char *__asan_default_options(void)
{
	return "allocator_may_return_null=1";
}

/* Criterion's runner keeps 48 bytes per failed test until exit; not ours to report. */
const char *__lsan_default_suppressions(void)
{
	return "leak:libcriterion.so\n";
}
