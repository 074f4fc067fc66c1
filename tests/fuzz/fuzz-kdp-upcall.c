/*
 * fuzz-kdp-upcall.c - libFuzzer target for the kernel datapath's reading
 * of what flowtier.ko sends up its upcall socket (swpath/kdp-nl.c,
 * ft_kdp_upcall_parse()): the input is a stream of generic netlink
 * messages.  As libnl does before it calls the upcall callback, each
 * message's length is checked against what is left; each message is then
 * parsed from an exact-size copy, so ASan sees any read past it.
 *
 * Checks, besides the sanitizers: an accepted upcall's frame lies inside
 * its message; a refused one leaves the result zeroed.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swpath/kdp-nl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz-kdp-upcall: check failed: %s\n", what);
        abort();
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct ft_kdp_upcall zero;
    size_t off = 0;

    while (size - off >= sizeof(struct nlmsghdr)) {
        struct nlmsghdr hdr, *copy;
        struct ft_kdp_upcall up;

        memcpy(&hdr, data + off, sizeof hdr);
        if (hdr.nlmsg_len < sizeof hdr || hdr.nlmsg_len > size - off) {
            break;
        }
        copy = malloc(hdr.nlmsg_len);
        memcpy(copy, data + off, hdr.nlmsg_len);
        memset(&up, 0x5a, sizeof up);
        if (ft_kdp_upcall_parse(copy, &up)) {
            check(!memcmp(&up, &zero, sizeof up),
                  "a refused upcall left a result behind");
        } else {
            const char *begin = (const char *) copy;
            const char *frame = up.data;

            check(frame >= begin && frame + up.len <= begin + hdr.nlmsg_len,
                  "the frame is not inside its message");
        }
        free(copy);
        off += NLMSG_ALIGN(hdr.nlmsg_len);
        if (off > size) {
            break;
        }
    }
    return 0;
}
