/* libxml2.c: libxml2 parses untrusted XML in a domain; its error handler is a callback to the trusted side. */
/*
 * Built out of the tree against an installed isobench, with pkg-config alone:
 *   cc libxml2.c -o libxml2 $(pkg-config --cflags --libs isobench libxml-2.0)
 * pkg-config: libxml-2.0
 * Run: ./libxml2 BACKEND; exits 0 when a good and a corrupt input both behaved.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include "iso_typed.h"

static int count(xmlNodePtr x)
{
	int n = 0;

	for (; x; x = x->next)
		n += (x->type == XML_ELEMENT_NODE) + count(x->children);
	return n;
}

/* Runs in the domain: parse, count the elements, name the root.  The document (a
 * pointer into the domain) never leaves it. */
static int xml_summary(const char *buf, int len, char *root, size_t root_cap,
		       xmlStructuredErrorFunc on_error)
{
	xmlDocPtr doc;
	int n = 0;

	xmlSetStructuredErrorFunc(NULL, on_error);
	doc = xmlReadMemory(buf, len, "input.xml", NULL, XML_PARSE_NONET | XML_PARSE_NOWARNING);
	if (!doc)
		return -1;
	n = count(xmlDocGetRootElement(doc));
	snprintf(root, root_cap, "%s", (const char *)xmlDocGetRootElement(doc)->name);
	xmlFreeDoc(doc);
	return n;
}

/* libxml2's global state was made in the domain: it is taken down there too, before
 * the domain goes (else libxml2's destructor would follow it at exit). */
static int xml_cleanup(int unused)
{
	(void)unused;
	xmlCleanupParser();
	return 0;
}

ISO_WRAP(int, safe_xml_cleanup, xml_cleanup, -2, ISO_VAL(int, unused))

ISO_WRAP(int, safe_xml_summary, xml_summary, -2,
	 ISO_IN(const char *, buf, (size_t)len),
	 ISO_VAL(int, len),
	 ISO_OUT(char *, root, root_cap, ISO_LEN_STR, 0),
	 ISO_VAL(size_t, root_cap),
	 ISO_VAL(xmlStructuredErrorFunc, on_error))

/* The trusted side's error handler: (userData, const xmlError *) as domain data. */
static char last_error[128];

static long on_error(struct iso_cb *cb)
{
	xmlError e;

	if (iso_cb_read(cb, &e, cb->arg[1], sizeof(e)) == ISO_OK &&
	    iso_cb_read_str(cb, last_error, sizeof(last_error), (long)(uintptr_t)e.message) < 0)
		snprintf(last_error, sizeof(last_error), "(unreadable message)");
	return 0;
}

int main(int argc, char **argv)
{
	static const char good_xml[] = "<library><shelf><book/></shelf></library>";
	static const char bad_xml[] = "<library><shelf></library>";
	xmlStructuredErrorFunc handler;
	char root[32] = "";
	struct iso_domain *d;
	int err, n, good, bad;

	if (argc != 2) {
		fprintf(stderr, "usage: %s BACKEND\n", argv[0]);
		return 2;
	}
	/* No xmlInitParser() here: libxml2 would make its dictionary's mutex on the
	 * trusted heap, which the domain may not write.  It sets itself up in the domain
	 * at the first parse (a rewind would discard that state: see the README). */
	handler = (xmlStructuredErrorFunc)iso_callback_register(on_error, NULL);
	if ((err = iso_domain_create(argv[1], NULL, &d))) {
		fprintf(stderr, "%s: %s (%s)\n", argv[1], iso_strerror(err), iso_reason());
		return 1;
	}
	iso_typed_use(d);

	n = safe_xml_summary(good_xml, (int)strlen(good_xml), root, sizeof(root), handler);
	good = n == 3 && strcmp(root, "library") == 0 && last_error[0] == 0;

	last_error[0] = 0;
	n = safe_xml_summary(bad_xml, (int)strlen(bad_xml), root, sizeof(root), handler);
	bad = n == -1 && iso_typed_last() == ISO_OK && last_error[0] != 0;

	last_error[strcspn(last_error, "\n")] = 0;
	printf("libxml2 on %s: good input %s, corrupt input %s (error callback: %.60s)\n",
	       argv[1], good ? "ok" : "WRONG", bad ? "rejected" : "WRONGLY ACCEPTED", last_error);
	if (safe_xml_cleanup(0) != 0)
		return 1;
	iso_domain_destroy(d);
	return good && bad ? 0 : 1;
}
