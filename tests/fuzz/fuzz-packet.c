/*
 * fuzz-packet.c - libFuzzer target for the software datapath's packet
 * parser, ft_flow_extract() (swpath/flow-extract.c): the first byte picks
 * the input port, the rest is a frame as a port would receive it.
 * Checks, besides the sanitizers: the parse refuses exactly the frames
 * shorter than an Ethernet header, the key is the same when the frame is
 * parsed again from a differently aligned copy into memory holding other
 * garbage (it depends on the frame's bytes only), and the key keeps the
 * input port.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swpath/flow-extract.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz-packet: check failed: %s\n", what);
        abort();
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ft_flow a, b;
    uint8_t *frame, *shifted;
    size_t len;
    int ea, eb;

    if (size < 1) {
        return 0;
    }
    len = size - 1;
    /* Exact-size copies, so that ASan sees any read past the frame. */
    frame = malloc(len ? len : 1);
    memcpy(frame, data + 1, len);
    shifted = malloc(len + 1);
    memcpy(shifted + 1, data + 1, len);

    memset(&a, 0xa5, sizeof a);
    memset(&b, 0x5a, sizeof b);
    ea = ft_flow_extract(frame, len, data[0], &a);
    eb = ft_flow_extract(shifted + 1, len, data[0], &b);
    check(ea == eb, "the result depends on the frame's alignment");
    check((ea == 0) == (len >= 14), "refused exactly the short frames");
    check(!memcmp(&a, &b, sizeof a),
          "the key depends on the frame's alignment or on stale memory");
    check(a.in_port == data[0], "the key keeps the input port");
    free(frame);
    free(shifted);
    return 0;
}
