/* zlib.c: zlib's uncompress isolated with one declaration: safe_uncompress has uncompress's prototype. */
/*
 * Built out of the tree against an installed isobench, with pkg-config alone:
 *   cc zlib.c -o zlib $(pkg-config --cflags --libs isobench zlib)
 * pkg-config: zlib
 * Run: ./zlib BACKEND; exits 0 when a good and a corrupt input both behaved.
 */
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "iso_typed.h"

/* The whole wrapper: dest is filled up to *destLen, which says how much it was. */
ISO_WRAP(int, safe_uncompress, uncompress, Z_MEM_ERROR,
	 ISO_OUT(Bytef *, dest, *destLen, ISO_LEN_ARG, 1),
	 ISO_REF(uLongf *, destLen),
	 ISO_IN(const Bytef *, source, sourceLen),
	 ISO_VAL(uLong, sourceLen))

int main(int argc, char **argv)
{
	static const char text[] = "isolate the decompressor, keep the program: "
				   "isolate the decompressor, keep the program.";
	Bytef packed[256], out[256];
	uLongf packed_len = sizeof(packed), out_len = sizeof(out);
	struct iso_domain *d;
	int err, good, bad;

	if (argc != 2) {
		fprintf(stderr, "usage: %s BACKEND\n", argv[0]);
		return 2;
	}
	if ((err = iso_domain_create(argv[1], NULL, &d))) {
		fprintf(stderr, "%s: %s (%s)\n", argv[1], iso_strerror(err), iso_reason());
		return 1;
	}
	iso_typed_use(d);
	if (compress(packed, &packed_len, (const Bytef *)text, sizeof(text)) != Z_OK)
		return 1;

	good = safe_uncompress(out, &out_len, packed, packed_len);
	good = good == Z_OK && iso_typed_last() == ISO_OK && out_len == sizeof(text) &&
	       memcmp(out, text, sizeof(text)) == 0;

	packed[packed_len / 2] ^= 0x55; /* corrupt the deflate stream */
	packed[3] ^= 0xff;
	out_len = sizeof(out);
	bad = safe_uncompress(out, &out_len, packed, packed_len);
	/* zlib's own error (no domain failure), or a domain failure: either is contained. */
	bad = bad != Z_OK && (bad == Z_DATA_ERROR || iso_typed_last() != ISO_OK);

	printf("zlib on %s: good input %s, corrupt input %s\n", argv[1], good ? "ok" : "WRONG",
	       bad ? "rejected" : "WRONGLY ACCEPTED");
	iso_domain_destroy(d);
	return good && bad ? 0 : 1;
}
