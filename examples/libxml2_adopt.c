/* libxml2_adopt.c: libxml2 handed whole to a domain (iso_options.adopt), xmlInitParser its init hook: many documents parsed across violations. */
/*
 * Built out of the tree against an installed isobench, with pkg-config alone:
 *   cc libxml2_adopt.c -o libxml2_adopt $(pkg-config --cflags --libs isobench libxml-2.0)
 * pkg-config: libxml-2.0
 * Run: ./libxml2_adopt BACKEND; exits 0 when every good document parsed, every corrupt
 * one was rejected and every violation came back as a failure of its call.
 *
 * Unlike libxml2.c, libxml2 is set up once (xmlInitParser, in the domain) rather
 * than at every call: its globals are the domain's, and put back as they were
 * before the init hook after every rewind, when the hook runs again.  The trusted
 * side never calls libxml2 itself.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "iso.h"

static int init_libxml2(void *arg)
{
	(void)arg;
	xmlInitParser();
	return 0;
}

static int count(xmlNodePtr x)
{
	int n = 0;

	for (; x; x = x->next)
		n += (x->type == XML_ELEMENT_NODE) + count(x->children);
	return n;
}

/* In the domain: the number of elements, or -1 for a document libxml2 rejects. */
static long parse(const void *in, size_t in_len, void *out, size_t out_cap, size_t *out_len)
{
	xmlDocPtr doc = xmlReadMemory(in, (int)in_len, "in.xml", NULL,
				      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	long n;

	(void)out, (void)out_cap, (void)out_len;
	if (!doc)
		return -1;
	n = count(xmlDocGetRootElement(doc));
	xmlFreeDoc(doc);
	return n;
}

/* In the domain: a parse that leaves its document behind, then a bug (abort). */
static long parse_then_crash(const void *in, size_t in_len, void *out, size_t out_cap,
			     size_t *out_len)
{
	(void)out, (void)out_cap, (void)out_len;
	xmlReadMemory(in, (int)in_len, "in.xml", NULL, XML_PARSE_NONET);
	abort();
}

int main(int argc, char **argv)
{
	static const char *const adopt[] = { "libxml2.so.2", NULL };
	static const char good[] = "<library><shelf><book/><book/></shelf></library>";
	static const char bad[] = "<library><shelf></library>";
	struct iso_options opt = { .timeout_ms = 5000, .init = init_libxml2, .adopt = adopt };
	int rounds = 100, ok = 0, rejected = 0, caught = 0, err;
	struct iso_domain *d;
	long n;

	if (argc != 2) {
		fprintf(stderr, "usage: %s BACKEND\n", argv[0]);
		return 2;
	}
	if ((err = iso_domain_create(argv[1], &opt, &d))) {
		fprintf(stderr, "%s: %s (%s)\n", argv[1], iso_strerror(err), iso_reason());
		return 1;
	}
	for (int i = 0; i < rounds; i++) {
		ok += iso_call(d, parse, good, strlen(good), NULL, 0, NULL, &n) == ISO_OK && n == 4;
		rejected += iso_call(d, parse, bad, strlen(bad), NULL, 0, NULL, &n) == ISO_OK &&
			    n == -1;
		/* none isolates nothing: the abort would end the program. */
		if (strcmp(argv[1], "none") != 0)
			caught += iso_call(d, parse_then_crash, good, strlen(good), NULL, 0,
					   NULL, NULL) == ISO_ECRASH;
	}
	if (strcmp(argv[1], "none") == 0)
		caught = rounds;
	printf("libxml2 adopted on %s: %d/%d good parsed, %d/%d corrupt rejected, "
	       "%d/%d violations caught\n", argv[1], ok, rounds, rejected, rounds, caught, rounds);
	iso_domain_destroy(d);
	return ok == rounds && rejected == rounds && caught == rounds ? 0 : 1;
}
