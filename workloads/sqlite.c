/* sqlite.c: sqlite-query and sqlite-query-corrupt: SQLite runs a generated SQL script on an in-memory database in the domain, and one with a syntax error half-way. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wl_lib.h"
#include "wl_util.h"

/*
 * SQLite keeps global state (its mutexes, page cache, VFS list): each call opens an
 * in-memory database in the domain and ends with sqlite3_shutdown, so none of it
 * outlives the call; the trusted side never calls SQLite.  The script creates a table
 * and fills it in one transaction; the query's aggregates come back.
 */
struct sqlite_result {
	int64_t rows, sum_k, max_k, text_bytes, domain_rows;
};

static const char sqlite_query[] =
	"SELECT count(*), sum(k), max(k), sum(length(v)), "
	"sum(v LIKE '%domain%') FROM t";

static long query_fn(const void *in, size_t in_len, void *out, size_t out_cap, size_t *out_len)
{
	struct sqlite_result r = { 0 };
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	char *script = malloc(in_len + 1);
	long rc;

	if (!script || out_cap < sizeof(r))
		return -2;
	memcpy(script, in, in_len);
	script[in_len] = 0;
	if ((rc = sqlite3_open(":memory:", &db)) != SQLITE_OK)
		goto out;
	if ((rc = sqlite3_exec(db, script, NULL, NULL, NULL)) != SQLITE_OK) {
		/* SQLite's message, e.g. near "INSRT": syntax error */
		size_t n = strlen(sqlite3_errmsg(db));

		n = n < out_cap ? n : out_cap;
		memcpy(out, sqlite3_errmsg(db), n);
		*out_len = n;
		goto out;
	}
	if ((rc = sqlite3_prepare_v2(db, sqlite_query, -1, &st, NULL)) != SQLITE_OK)
		goto out;
	if ((rc = sqlite3_step(st)) != SQLITE_ROW)
		goto out;
	r = (struct sqlite_result){ sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
				    sqlite3_column_int64(st, 2), sqlite3_column_int64(st, 3),
				    sqlite3_column_int64(st, 4) };
	memcpy(out, &r, sizeof(r));
	wl_tamper_bytes(out, sizeof(r));
	*out_len = sizeof(r);
	rc = SQLITE_OK;
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	sqlite3_shutdown();
	free(script);
	return wl_tamper > 0 && rc != SQLITE_OK ? wl_tamper_long(rc) : rc;
}

static const char sqlite_syntax_error[] = "near \"INSRT\": syntax error";

/* A script of about `size` bytes and what its query must give; broken: a misspelt
 * INSERT half-way. */
static char *sqlite_script(size_t size, bool broken, size_t *len, struct sqlite_result *want)
{
	static const char *const words[] = { "isolation", "domain", "parser", "key", "memory",
					     "call", "gate", "heap" };
	size_t cap = size + 256, n = 0;
	char *x = malloc(cap);
	uint64_t r = 0x853c49e6748fea9bULL;
	bool broke = false;

	if (!x)
		return NULL;
	*want = (struct sqlite_result){ 0 };
	n += (size_t)snprintf(x, cap, "CREATE TABLE t(id INTEGER PRIMARY KEY, k INTEGER, "
				      "v TEXT);\nBEGIN;\n");
	do {
		int64_t k = (int64_t)(wl_rand(&r) % 100000);
		const char *a = words[wl_rand(&r) % 8], *b = words[wl_rand(&r) % 8];
		bool bad = broken && !broke && n * 2 >= size;

		n += (size_t)snprintf(x + n, cap - n, "%s INTO t(k, v) VALUES(%lld, '%s %s');\n",
				      bad ? "INSRT" : "INSERT", (long long)k, a, b);
		broke |= bad;
		want->rows++;
		want->sum_k += k;
		want->max_k = k > want->max_k ? k : want->max_k;
		want->text_bytes += (int64_t)(strlen(a) + 1 + strlen(b));
		want->domain_rows += !strcmp(a, "domain") || !strcmp(b, "domain");
	} while (n + 128 < size);
	if (broken && !broke)
		n += (size_t)snprintf(x + n, cap - n, "INSRT INTO t(k, v) VALUES(1, 'x');\n");
	n += (size_t)snprintf(x + n, cap - n, "COMMIT;\n");
	*len = n;
	return x;
}

static int sqlite_setup_(size_t size, bool broken, void **state)
{
	struct sqlite_result want;
	size_t len = 0;
	char *x = sqlite_script(size, broken, &len, &want);
	struct wl_lib *s = x ? wl_lib_new(query_fn, len, sizeof(want) + 64) : NULL;

	if (!s) {
		free(x);
		return ISO_ENOMEM;
	}
	memcpy(s->in, x, len);
	free(x);
	if (broken) {
		s->expect_ret = SQLITE_ERROR;
		s->expect_len = strlen(sqlite_syntax_error);
		memcpy(s->expect, sqlite_syntax_error, s->expect_len);
	} else {
		memcpy(s->expect, &want, sizeof(want));
		s->expect_len = sizeof(want);
	}
	*state = s;
	return ISO_OK;
}

static int sqlite_setup(struct iso_domain *d, size_t size, void **state)
{
	(void)d;
	return sqlite_setup_(size, false, state);
}

static int sqlite_corrupt_setup(struct iso_domain *d, size_t size, void **state)
{
	(void)d;
	return sqlite_setup_(size, true, state);
}

const struct workload wl_sqlite_query = {
	.name = "sqlite-query",
	.summary = "SQLite running a generated script (a table filled in one transaction, "
		   "one aggregate query) in memory in the domain; size: the script's bytes",
	.sized = true,
	.default_size = 4096,
	.sizes = wl_lib_sizes,
	.default_iters = 100,
	.setup = sqlite_setup,
	.run = wl_lib_run,
	.teardown = wl_lib_teardown,
};

const struct workload wl_sqlite_query_corrupt = {
	.name = "sqlite-query-corrupt",
	.summary = "SQLite on the same script with a syntax error half-way: SQLITE_ERROR and "
		   "its message come back from the domain",
	.sized = true,
	.default_size = 4096,
	.sizes = wl_lib_sizes,
	.default_iters = 100,
	.setup = sqlite_corrupt_setup,
	.run = wl_lib_run,
	.teardown = wl_lib_teardown,
};
