# Build every filters/*.c into bin/ (or build/san/bin with SAN=1).
CC ?= cc
CFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-format-nonliteral
CPPFLAGS += -D_GNU_SOURCE -Ifilters
LDLIBS := -ljq -lcurl -lmicrohttpd -lsodium -lssl -lcrypto -lm
ifeq ($(SAN),1)
OBJDIR := build/san/obj
BIN := build/san/bin
CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
else
OBJDIR := build/obj
BIN := bin
endif

PROGRAMS := $(sort $(basename $(notdir $(wildcard filters/*.c))))
LIB_SRC := $(wildcard filters/lib/*.c)
LIB_OBJ := $(patsubst filters/lib/%.c,$(OBJDIR)/lib/%.o,$(LIB_SRC))
# a static archive, so that each program links only the library objects it uses
# (and so only the shared libraries those need: quote2json starts without libcurl)
LIB_A := $(OBJDIR)/libmero.a
BINS := $(addprefix $(BIN)/,$(PROGRAMS))

.PHONY: all build install uninstall clean
all build: $(BINS)

# one line naming the package when a library's headers are missing
HEADER_PKGS := jq.h:libjq-dev curl/curl.h:libcurl4-openssl-dev openssl/evp.h:libssl-dev \
  sodium.h:libsodium-dev microhttpd.h:libmicrohttpd-dev
$(OBJDIR)/.headers: | $(OBJDIR)/lib
	$(Q)for hp in $(HEADER_PKGS); do h=$${hp%%:*}; p=$${hp#*:}; \
	  if ! echo "#include <$$h>" | $(CC) -E -x c - >/dev/null 2>&1; then \
	    echo "build: missing $$h from Debian package $$p: run 'make deps'" >&2; exit 1; fi; done
	$(Q)touch $@

$(OBJDIR)/lib $(OBJDIR) $(BIN):
	$(Q)mkdir -p $@

$(OBJDIR)/%.o: filters/%.c $(OBJDIR)/.headers | $(OBJDIR)/lib
	$(call say,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -MMD -MP -c -o $@ $<

$(LIB_A): $(LIB_OBJ)
	$(call say,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(BIN)/%: $(OBJDIR)/%.o $(LIB_A) | $(BIN)
	$(call say,LD,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -Wl,--as-needed -o $@ $< $(LIB_A) $(LDLIBS)

-include $(wildcard $(OBJDIR)/*.d $(OBJDIR)/lib/*.d)

install: $(BINS)
	$(Q)install -d $(DESTDIR)$(PREFIX)/bin
	$(Q)install -m 755 $(BINS) $(DESTDIR)$(PREFIX)/bin/
	$(Q)echo "installed $(words $(BINS)) programs into $(DESTDIR)$(PREFIX)/bin"

uninstall:
	$(Q)rm -f $(addprefix $(DESTDIR)$(PREFIX)/bin/,$(PROGRAMS))

clean:
	$(Q)rm -rf bin build
