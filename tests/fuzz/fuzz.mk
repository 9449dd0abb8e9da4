# SPDX-License-Identifier: MIT
# Fuzzing with libFuzzer: `make fuzz` builds the harnesses of tests/fuzz
# with clang and its sanitizers, from the sources of the core rather than
# the library the rest of the build makes, and runs each for FUZZ_TIME
# seconds on a copy of its seed corpus. Not part of `make check`.

FUZZ_CC = clang
FUZZ_TIME = 60
FUZZ_HARNESSES = profile manifest verify ca_exec cfssl scep output
# The part of the command layer a harness drives: the JSON documents.
FUZZ_TOOL_FILES = src/tool/cmd-json.c src/tool/cmd-json.h
FUZZ_LIBS = $(OPENSSL_LIBS) $(P11KIT_LIBS) $(INIH_LIBS) $(JANSSON_LIBS) \
	$(CURL_LIBS) $(CSV_LIBS) $(LIBS)
FUZZ_ENV = FUZZ_CC='$(FUZZ_CC)' FUZZ_TIME='$(FUZZ_TIME)' \
	FUZZ_HARNESSES='$(FUZZ_HARNESSES)' \
	FUZZ_SOURCES='$(src_common_libcommon_a_SOURCES) $(src_lib_libp11enroll_a_SOURCES) $(FUZZ_TOOL_FILES)' \
	FUZZ_CPPFLAGS='-I$(top_builddir) $(LIB_CPPFLAGS) -I$(top_srcdir)/src/tool $(DEFS)' \
	FUZZ_PROFILES_DIR='$(pkgdatadir)/profiles' \
	FUZZ_PKG_CFLAGS='$(OPENSSL_CFLAGS) $(P11KIT_CFLAGS) $(INIH_CFLAGS) $(JANSSON_CFLAGS) $(CURL_CFLAGS)' \
	FUZZ_LIBS='$(FUZZ_LIBS)' srcdir='$(srcdir)'

# Build only.
fuzz-build:
	@$(FUZZ_ENV) $(SHELL) $(srcdir)/tests/fuzz/run.sh build

fuzz:
	@$(FUZZ_ENV) $(SHELL) $(srcdir)/tests/fuzz/run.sh

.PHONY: fuzz fuzz-build

EXTRA_DIST += tests/fuzz/run.sh tests/fuzz/corpus \
	tests/fuzz/fuzz_profile.c tests/fuzz/fuzz_manifest.c \
	tests/fuzz/fuzz_verify.c tests/fuzz/fuzz_ca_exec.c \
	tests/fuzz/fuzz_cfssl.c tests/fuzz/fuzz_scep.c \
	tests/fuzz/fuzz_output.c

