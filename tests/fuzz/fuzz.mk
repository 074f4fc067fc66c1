# fuzz.mk - builds FlowTier's libFuzzer targets with clang, AddressSanitizer
# and UndefinedBehaviorSanitizer.  The whole tree below tests/ (every layer
# but the command-line tools' main()) is compiled once into libft-fuzz.a
# with coverage instrumentation; each target links what it needs from it.
# run.sh drives it:  make -f fuzz.mk SRC=<tree> OUT=<dir> <dir>/fuzz-NAME
# (objects are rebuilt when a source or a header they include changes).

SRC ?= ../..
OUT ?= .
CC := clang
SAN := -fsanitize=address,undefined -fno-sanitize-recover=all
PKGS := jansson libnl-3.0 libnl-genl-3.0 libnl-route-3.0 libdpdk libibverbs \
        libxdp libbpf
CFLAGS := -g -O1 $(SAN) -fsanitize=fuzzer-no-link -std=gnu11 -D_GNU_SOURCE \
          -I$(SRC)/include -I$(SRC) -fno-strict-aliasing \
          -Wno-unused-command-line-argument \
          $(shell pkg-config --cflags jansson libnl-3.0 libnl-genl-3.0 \
            libnl-route-3.0)
DPDK_CFLAGS := $(shell pkg-config --cflags libdpdk)
LIBS := $(shell pkg-config --libs $(PKGS)) -lpthread

TREE_SRCS := $(filter-out $(SRC)/mgmt/cli/% $(SRC)/mgmt/daemon/flowtierd.c, \
               $(wildcard $(SRC)/mgmt/*/*.c)) \
             $(wildcard $(SRC)/swpath/*.c) $(wildcard $(SRC)/offload/*.c)
# The sources that include DPDK's headers (directly or through
# rte-flow-xlate.h): compiled with DPDK's flags.
DPDK_SRCS := $(SRC)/swpath/netdev-dpdk.c $(SRC)/swpath/dpdk-eal.c \
             $(SRC)/offload/offload-rte-flow.c $(SRC)/offload/rte-flow-xlate.c \
             $(SRC)/offload/rte-flow-explain.c
OBJS := $(patsubst $(SRC)/%.c,$(OUT)/obj/%.o,$(TREE_SRCS))

$(OUT)/libft-fuzz.a: $(OBJS)
	rm -f $@ && ar rcs $@ $^

$(filter-out $(patsubst $(SRC)/%.c,$(OUT)/obj/%.o,$(DPDK_SRCS)),$(OBJS)): \
$(OUT)/obj/%.o: $(SRC)/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(patsubst $(SRC)/%.c,$(OUT)/obj/%.o,$(DPDK_SRCS)): $(OUT)/obj/%.o: $(SRC)/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(DPDK_CFLAGS) -MMD -MP -c -o $@ $<

$(OUT)/fuzz-%: $(SRC)/tests/fuzz/fuzz-%.c $(OUT)/libft-fuzz.a
	$(CC) $(CFLAGS) -fsanitize=fuzzer -MMD -MP -o $@ $< $(OUT)/libft-fuzz.a \
	    $(LIBS)

-include $(OBJS:.o=.d) $(wildcard $(OUT)/fuzz-*.d)
