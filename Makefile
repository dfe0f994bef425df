# hardmem's plain Makefile, for people who do not use Bazel (CI builds with it
# too: tools/ci-make).  Same compiler and flags as the Bazel build.
#
#   make                        libmem.so, mem.out (and libhardmem.so, see below)
#   make install PREFIX=/usr/local [DESTDIR=...]
#                               libraries, headers, pkg-config file hardmem.pc
#   make clean
#
# libmem.so holds the core region API (lib/mem.h) and the four compatibility
# adapters (lib/compat/*/); lib/compat/libmem.map exports exactly their APIs.
# mem.out is the mem.h demo (examples/compat/mem_demo/mem_demo.c); it finds
# libmem.so next to itself (rpath $ORIGIN), so ./mem.out runs as is.
# Objects go under obj/.

CC := $(shell command -v clang-19 >/dev/null 2>&1 && echo clang-19 || echo cc)
CFLAGS := -Wall -Wextra -Werror -std=gnu11 -g -fPIC
LDLIBS := -lpthread
PREFIX ?= /usr/local
VERSION := 0.1.0

CORE_SRCS := $(wildcard lib/*.c)
COMPAT_SRCS := $(wildcard lib/compat/*/*.c)
CORE_OBJS := $(CORE_SRCS:%.c=obj/%.o)
COMPAT_OBJS := $(COMPAT_SRCS:%.c=obj/%.o)
LIBMEM_MAP := lib/compat/libmem.map

# ---- libhardmem.so (the checked malloc) --------------------------------------
# Built from lib/hardmem/*.c plus the core when lib/hardmem/ has sources, and
# skipped otherwise, so this rule is ready before that code lands.  Its sources
# see lib/ and lib/hardmem/ on the include path.
HARDMEM_SRCS := $(wildcard lib/hardmem/*.c)
HARDMEM_OBJS := $(HARDMEM_SRCS:%.c=obj/%.o)
HARDMEM_LIB := $(if $(HARDMEM_SRCS),libhardmem.so)

.PHONY: all install clean
all: libmem.so mem.out $(HARDMEM_LIB)

obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

obj/lib/hardmem/%.o: lib/hardmem/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Ilib -Ilib/hardmem -MMD -MP -c -o $@ $<

libmem.so: $(CORE_OBJS) $(COMPAT_OBJS) $(LIBMEM_MAP)
	$(CC) -shared -Wl,-soname,libmem.so -Wl,--version-script=$(LIBMEM_MAP) \
		-o $@ $(CORE_OBJS) $(COMPAT_OBJS) $(LDLIBS)

libhardmem.so: $(HARDMEM_OBJS) $(CORE_OBJS)
	$(CC) -shared -Wl,-soname,libhardmem.so -o $@ $(HARDMEM_OBJS) $(CORE_OBJS) $(LDLIBS)

mem.out: examples/compat/mem_demo/mem_demo.c libmem.so
	$(CC) $(CFLAGS) -Ilib -o $@ $< -L. -lmem -Wl,-rpath,'$$ORIGIN'

# ---- install -----------------------------------------------------------------
# Headers: include/hardmem/ holds the core's mem.h and the headers of APIs 3-5
# (memory_allocator.h, osmem.h, smalloc.h); API 2's mem.h, which shares the
# core's name, is in include/hardmem/Mem/.  `pkg-config --cflags hardmem` gives
# -I.../include/hardmem; API 2 programs use
# -I$$(pkg-config --variable=Mem_includedir hardmem) instead.
INC := $(DESTDIR)$(PREFIX)/include/hardmem
LIBDIR := $(DESTDIR)$(PREFIX)/lib

install: all
	install -d $(LIBDIR) $(LIBDIR)/pkgconfig $(INC) $(INC)/Mem
	install -m 755 libmem.so $(HARDMEM_LIB) $(LIBDIR)/
	install -m 644 lib/mem.h lib/compat/memory_allocator/memory_allocator.h \
		lib/compat/osmem/osmem.h lib/compat/smalloc/smalloc.h $(INC)/
	install -m 644 lib/compat/Mem/mem.h $(INC)/Mem/
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' \
		lib/compat/hardmem.pc.in >$(LIBDIR)/pkgconfig/hardmem.pc

clean:
	rm -rf obj libmem.so libhardmem.so mem.out

-include $(CORE_OBJS:.o=.d) $(COMPAT_OBJS:.o=.d) $(HARDMEM_OBJS:.o=.d)
