# Shell, make behaviour and the knobs every other file uses.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
MAKEFLAGS += -r --no-print-directory
.DELETE_ON_ERROR:
.SECONDARY:
.SUFFIXES:

V ?= 0
ifeq ($(V),1)
Q :=
else
Q := @
endif
# quiet progress lines: $(call say,CC,bin/quote2json)
say = @$(if $(filter 1,$(V)),:,printf '  %-6s %s\n' '$(1)' '$(2)')

PREFIX ?= /usr/local
DESTDIR ?=
SHARED ?= $(abspath ../shared)
ARTIFACTS ?= artifacts
SAN ?= 0
VALGRIND ?= 0
