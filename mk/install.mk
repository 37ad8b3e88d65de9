# install.mk: libiso.so, the pkg-config files, `make install` and `make uninstall`, and the
# out-of-tree check make test runs (tests/support/install.sh).  Included by the Makefile.
.PHONY: install uninstall install-check

VERSION := 0.1.0
SOVERSION := 0
PREFIX ?= /usr/local
DESTDIR ?=
BINDIR := $(PREFIX)/bin
LIBDIR := $(PREFIX)/lib
INCLUDEDIR := $(PREFIX)/include
PCDIR := $(LIBDIR)/pkgconfig

SO := $(BUILD)/libiso.so.$(VERSION)
PC_IN := isobench.pc.in isobench-static.pc.in
HEADERS := $(wildcard include/*.h include/isobench/*.h)

# The shared library's objects: position-independent, TLS in the static block (libiso
# is linked, not dlopened: malloc reads its routing per thread on every call).
pic = $(patsubst %,$(BUILD)/pic/%.o,$(basename $(1)))

$(BUILD)/pic/%.o: %.c | deps-build
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $< (PIC)")
	$(Q)$(CC) $(CFLAGS) -fPIC -ftls-model=initial-exec -c -o $@ $<

$(BUILD)/pic/%.o: %.S | deps-build
	@mkdir -p $(@D)
	@$(if $(Q),echo "  AS      $< (PIC)")
	$(Q)$(CC) $(CFLAGS) -fPIC -c -o $@ $<

# Only what iso.h declares and the C library functions libiso takes over are exported
# (backends/libiso.map); -ljemalloc after libiso, so that libiso's malloc comes first.
$(SO): $(call pic,$(LIB_SRC)) backends/libiso.map
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -shared $(LDFLAGS) -Wl,-soname,libiso.so.$(SOVERSION) \
		-Wl,--version-script=backends/libiso.map -o $@ $(filter %.o,$^) -ljemalloc -pthread

# A plugin (isobench/workload.h) calls the harness's own iso_* functions.
$(BUILD)/harness: LDFLAGS += -Wl,--export-dynamic-symbol=iso_*

# The harness is installed as isobench-harness: `harness` alone is too common a name.
install: $(LIB) $(SO) $(PC_IN) $(BUILD)/harness
	$(Q)install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PCDIR) \
		$(DESTDIR)$(INCLUDEDIR)/isobench
	$(Q)install -m 644 $(filter-out include/isobench/%,$(HEADERS)) $(DESTDIR)$(INCLUDEDIR)/
	$(Q)install -m 644 $(filter include/isobench/%,$(HEADERS)) $(DESTDIR)$(INCLUDEDIR)/isobench/
	$(Q)install -m 644 $(LIB) $(DESTDIR)$(LIBDIR)/
	$(Q)install -m 755 $(SO) $(DESTDIR)$(LIBDIR)/
	$(Q)ln -sf libiso.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libiso.so.$(SOVERSION)
	$(Q)ln -sf libiso.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/libiso.so
	$(Q)for f in $(PC_IN); do sed -e 's|@PREFIX@|$(PREFIX)|; s|@LIBDIR@|$(LIBDIR)|' \
		-e 's|@INCLUDEDIR@|$(INCLUDEDIR)|; s|@VERSION@|$(VERSION)|' $$f \
		> $(DESTDIR)$(PCDIR)/$${f%.in} && chmod 644 $(DESTDIR)$(PCDIR)/$${f%.in} || exit 1; done
	$(Q)install -m 755 $(BUILD)/harness $(DESTDIR)$(BINDIR)/isobench-harness
	@echo "installed under $(DESTDIR)$(PREFIX)"

uninstall:
	$(Q)rm -f $(patsubst include/%,$(DESTDIR)$(INCLUDEDIR)/%,$(HEADERS)) \
		$(DESTDIR)$(LIBDIR)/libiso.a $(DESTDIR)$(LIBDIR)/libiso.so.$(VERSION) \
		$(DESTDIR)$(LIBDIR)/libiso.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/libiso.so \
		$(patsubst %.in,$(DESTDIR)$(PCDIR)/%,$(PC_IN)) \
		$(DESTDIR)$(BINDIR)/isobench-harness
	$(Q)rmdir $(DESTDIR)$(INCLUDEDIR)/isobench 2>/dev/null || true

# Install into a temporary prefix, build every example and the plugin out of tree with
# pkg-config alone, run each on every supported backend.
install-check: $(LIB) $(SO) $(PC_IN) $(BUILD)/harness | deps-test
	$(Q)tests/support/install.sh $(BUILD)
ifeq ($(SANITIZE),)
test: install-check
endif
