# Build every program into bin/ (or build/san/bin with SAN=1):
#   filters/NAME.c         a program of one file
#   filters/NAME/main.c    a program of several files: every filters/NAME/*.c
# All link the static library libmero.a (filters/lib/*.c), so that each loads
# only the objects, and so the shared libraries, it uses.
CC ?= cc
CFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-format-nonliteral
CPPFLAGS += -D_GNU_SOURCE -Ifilters
# Library flags from pkg-config where a .pc exists; Debian's libjq 1.6 ships
# none. Lazy (=): `make deps all` on a fresh machine installs pkg-config and the
# .pc files after this file is read.
# One shell for both, run once per make (the first reference sets pkg_flags for good):
# "CFLAGS... :: LIBS...".
PKGS := libcurl libmicrohttpd libsodium libssl libcrypto
pkg_flags = $(eval pkg_flags := $$(shell pkg-config --cflags $$(PKGS) 2>/dev/null; echo ::; \
  pkg-config --libs $$(PKGS) 2>/dev/null))$(pkg_flags)
words_before_sep = $(if $(filter-out ::,$(firstword $(1))),$(firstword $(1)) $(call words_before_sep,$(call rest,$(1))))
words_after_sep = $(if $(1),$(if $(filter ::,$(firstword $(1))),$(call rest,$(1)),$(call words_after_sep,$(call rest,$(1)))))
pkg_cflags = $(strip $(call words_before_sep,$(pkg_flags)))
pkg_libs = $(or $(call words_after_sep,$(pkg_flags)),-lcurl -lmicrohttpd -lsodium -lssl -lcrypto)
LDLIBS ?= -ljq $(pkg_libs) -lm
ifeq ($(SAN),1)
OBJDIR := build/san/obj
BIN := build/san/bin
CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
else
OBJDIR := build/obj
BIN := bin
endif

PROG_DIRS := $(patsubst filters/%/main.c,%,$(wildcard filters/*/main.c))
PROGRAMS := $(sort $(basename $(notdir $(wildcard filters/*.c))) $(PROG_DIRS))
LIB_SRC := $(wildcard filters/lib/*.c)
LIB_OBJ := $(patsubst filters/%.c,$(OBJDIR)/%.o,$(LIB_SRC))
# the parts of programs of several files, less their main: fuzz harnesses link them
PROG_PART_SRC := $(filter-out %/main.c,$(foreach d,$(PROG_DIRS),$(wildcard filters/$(d)/*.c)))
LIB_A := $(OBJDIR)/libmero.a
BINS := $(addprefix $(BIN)/,$(PROGRAMS))
prog_objs = $(if $(filter $(1),$(PROG_DIRS)),$(patsubst filters/%.c,$(OBJDIR)/%.o,$(wildcard filters/$(1)/*.c)),$(OBJDIR)/$(1).o)

.PHONY: all build install uninstall clean
all build: $(BINS)

# The flags every object and program is built with: a change rebuilds (git's
# Makefile keeps such a file too). Compared in make and rewritten only when it
# changes, so that concurrent makes of one checkout (make -j3 probe-all) that
# agree on the flags never write it. Recipe-time (lazy): `make deps all` works.
BUILD_FLAGS = $(CC) | $(CPPFLAGS) $(pkg_cflags) | $(CFLAGS) $(WARN) | $(LDFLAGS) | $(LDLIBS) | $(foreach p,$(PROGRAMS),$(LDLIBS_$(p)))
$(OBJDIR)/.flags: FORCE | $(OBJDIR)/lib
	$(if $(call eq,$(strip $(BUILD_FLAGS)),$(strip $(file <$@))),,$(file >$@,$(strip $(BUILD_FLAGS))))

# one line naming the package when a library's headers are missing
HEADER_PKGS := jq.h:libjq-dev curl/curl.h:libcurl4-openssl-dev openssl/evp.h:libssl-dev \
  sodium.h:libsodium-dev microhttpd.h:libmicrohttpd-dev
$(OBJDIR)/.headers: | $(OBJDIR)/lib
	$(Q)for hp in $(HEADER_PKGS); do h=$${hp%%:*}; p=$${hp#*:}; \
	  if ! echo "#include <$$h>" | $(CC) -E -x c - >/dev/null 2>&1; then \
	    echo "build: missing $$h from Debian package $$p: run 'make deps'" >&2; exit 1; fi; done
	$(Q)touch $@

$(OBJDIR)/lib $(OBJDIR) $(BIN) $(addprefix $(OBJDIR)/,$(PROG_DIRS)):
	$(Q)mkdir -p $@

$(OBJDIR)/%.o: filters/%.c $(OBJDIR)/.headers $(OBJDIR)/.flags | $(OBJDIR)/lib $(addprefix $(OBJDIR)/,$(PROG_DIRS))
	$(call say,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(pkg_cflags) $(CFLAGS) $(WARN) -MMD -MP -c -o $@ $<

$(LIB_A): $(LIB_OBJ)
	$(call say,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

# quote-verify links OpenSSL's libcrypto statically (Debian's libssl-dev ships
# the archive): a verification then costs no symbol binding of libcrypto.so,
# the larger part of its time per process (bench/20-quote-verify.sh)
LDLIBS_quote-verify := -Wl,-Bstatic -lcrypto -Wl,-Bdynamic

# one link rule per program; LDLIBS_NAME adds libraries for one program. The
# inner makes of a probe (mk/probe/run) use the programs the outer make built:
# they neither check the flags nor link.
PROBE_INNER := $(filter probe-run probe-finish,$(MAKECMDGOALS))
define prog_rule
$(BIN)/$(1): $(call prog_objs,$(1)) $(LIB_A) $(OBJDIR)/.flags | $(BIN)
	$$(call say,LD,$$@)
	$$(Q)$$(CC) $$(CFLAGS) $$(LDFLAGS) -Wl,--as-needed -o $$@ $(call prog_objs,$(1)) $$(LIB_A) $$(LDLIBS_$(1)) $$(LDLIBS)
endef
$(if $(PROBE_INNER),,$(foreach p,$(PROGRAMS),$(eval $(call prog_rule,$(p)))))

# (not in the inner makes of a probe, which build nothing)
ifeq ($(PROBE_INNER),)
-include $(wildcard $(OBJDIR)/*.d $(OBJDIR)/*/*.d)
endif

install: $(BINS)
	$(Q)install -d $(DESTDIR)$(PREFIX)/bin
	$(Q)install -m 755 $(BINS) $(DESTDIR)$(PREFIX)/bin/
	$(Q)echo "installed $(words $(BINS)) programs into $(DESTDIR)$(PREFIX)/bin"

uninstall:
	$(Q)rm -f $(addprefix $(DESTDIR)$(PREFIX)/bin/,$(PROGRAMS))

clean:
	$(Q)rm -rf bin build

.PHONY: FORCE
FORCE:
