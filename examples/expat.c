/* expat.c: expat's own API isolated call by call; its parser is a domain pointer the trusted side only passes back. */
/*
 * Built out of the tree against an installed isobench, with pkg-config alone:
 *   cc expat.c -o expat $(pkg-config --cflags --libs isobench expat)
 * pkg-config: expat
 * Run: ./expat BACKEND; exits 0 when a good and a corrupt input both behaved.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <expat.h>

#include "iso_typed.h"

/* XML_Parser is a pointer into the domain: an opaque value here, never followed. */
ISO_WRAP(XML_Parser, safe_XML_ParserCreate, XML_ParserCreate, NULL,
	 ISO_VAL(const XML_Char *, encoding))
ISO_WRAP_VOID(safe_XML_SetStartElementHandler, XML_SetStartElementHandler,
	      ISO_VAL(XML_Parser, parser), ISO_VAL(XML_StartElementHandler, start))
ISO_WRAP(enum XML_Status, safe_XML_Parse, XML_Parse, XML_STATUS_ERROR,
	 ISO_VAL(XML_Parser, parser),
	 ISO_IN(const char *, s, (size_t)len),
	 ISO_VAL(int, len),
	 ISO_VAL(int, isFinal))
ISO_WRAP(enum XML_Error, safe_XML_GetErrorCode, XML_GetErrorCode, XML_ERROR_NO_MEMORY,
	 ISO_VAL(XML_Parser, parser))
ISO_WRAP_VOID(safe_XML_ParserFree, XML_ParserFree, ISO_VAL(XML_Parser, parser))

/* The start-element handler, on the trusted side: (userData, name, atts). */
static int elements;
static char first[32];

static long on_start(struct iso_cb *cb)
{
	char name[32];

	if (iso_cb_read_str(cb, name, sizeof(name), cb->arg[1]) < 0)
		return 0;
	if (elements++ == 0)
		memcpy(first, name, sizeof(first));
	return 0;
}

/* Parse one document; the parser's status, or -1 when the domain failed. */
static int parse(const char *doc, XML_StartElementHandler start)
{
	XML_Parser p = safe_XML_ParserCreate(NULL);
	enum XML_Status st;

	if (!p)
		return -1;
	safe_XML_SetStartElementHandler(p, start);
	st = safe_XML_Parse(p, doc, (int)strlen(doc), 1);
	if (iso_typed_last() != ISO_OK)
		return -1;
	if (st != XML_STATUS_OK && safe_XML_GetErrorCode(p) == XML_ERROR_NONE)
		return -1;
	safe_XML_ParserFree(p);
	return st;
}

int main(int argc, char **argv)
{
	XML_StartElementHandler start;
	struct iso_domain *d;
	int err, good, bad;

	if (argc != 2) {
		fprintf(stderr, "usage: %s BACKEND\n", argv[0]);
		return 2;
	}
	start = (XML_StartElementHandler)iso_callback_register(on_start, NULL);
	if ((err = iso_domain_create(argv[1], NULL, &d))) {
		fprintf(stderr, "%s: %s (%s)\n", argv[1], iso_strerror(err), iso_reason());
		return 1;
	}
	iso_typed_use(d);

	good = parse("<feed><item/><item/></feed>", start) == XML_STATUS_OK && elements == 3 &&
	       strcmp(first, "feed") == 0;
	elements = 0;
	bad = parse("<feed><item></feed>", start) == XML_STATUS_ERROR;

	printf("expat on %s: good input %s, corrupt input %s\n", argv[1], good ? "ok" : "WRONG",
	       bad ? "rejected" : "WRONGLY ACCEPTED");
	iso_domain_destroy(d);
	return good && bad ? 0 : 1;
}
