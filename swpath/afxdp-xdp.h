/*
 * afxdp-xdp.h - the XDP program that steers a device's frames into
 * FlowTier's AF_XDP sockets, and how it is attached, found and removed.
 *
 * What?
 * =====
 *
 * An AF_XDP socket receives only what an XDP program on its device
 * redirects to it.  FlowTier's program is five instructions, built here
 * and loaded with bpf(BPF_PROG_LOAD): it redirects each frame to the
 * socket of its receive queue in an XSKMAP, or passes it to the kernel's
 * stack if that queue has no socket.  It is not libxdp's default program
 * (/usr/lib/x86_64-linux-gnu/bpf/xsk_def_xdp_prog.o behind libxdp's
 * multi-program dispatcher) because:
 *
 *   - the dispatcher is shared by every libxdp user of a device, so after
 *     a 'kill -9' nothing would tell FlowTier's leftover from another
 *     tool's program, and removing it could take theirs with it;
 *   - ours carries its owner in its name, "ftxsk_PID" (the daemon's
 *     process id): a program of that name whose process is gone (or is
 *     not flowtierd) is a leftover of ours and is removed, one whose
 *     flowtierd runs belongs to that daemon and is never touched;
 *   - it needs no object file at run time, no bpffs and no program
 *     metadata.
 *
 * Attachment goes through rtnetlink ourselves (RTM_SETLINK, IFLA_XDP),
 * with XDP_FLAGS_UPDATE_IF_NOEXIST (never replacing anyone's program) and
 * extended acks, so a refusal reaches the user in the kernel's words
 * ("veth: Peer MTU is too large to set XDP").  Detachment names the
 * program it removes (XDP_FLAGS_REPLACE with its descriptor), so a program
 * someone attached meanwhile stays.
 *
 * Thread-safety: a 'struct ft_afxdp_xdp' belongs to one thread.  Nothing
 * here keeps global state.
 */
#ifndef SWPATH_AFXDP_XDP_H
#define SWPATH_AFXDP_XDP_H 1

#include <stdbool.h>
#include <stdint.h>

#include "flowtier/error.h"

/* How the program runs on the device (Open vSwitch's option values). */
enum ft_afxdp_mode {
    FT_AFXDP_MODE_BEST_EFFORT,  /* Native if the driver can, else generic. */
    FT_AFXDP_MODE_NATIVE,       /* In the driver (XDP_FLAGS_DRV_MODE). */
    FT_AFXDP_MODE_GENERIC,      /* After the skb is built (SKB_MODE). */
};

/* Returns "best-effort", "native" or "generic". */
const char *ft_afxdp_mode_name(enum ft_afxdp_mode);

/* Parses 's' into '*mode'.  Returns 0 or -EINVAL. */
int ft_afxdp_mode_parse(const char *s, enum ft_afxdp_mode *mode);

/* Program name prefix; the owner's process id follows. */
#define FT_AFXDP_PROG_PREFIX "ftxsk_"

struct ft_afxdp_xdp {
    int ifindex;
    char devname[16];
    int prog_fd;                /* -1 if not loaded. */
    int map_fd;                 /* The XSKMAP, -1 if not loaded. */
    uint32_t n_queues;          /* Entries of the XSKMAP. */
    enum ft_afxdp_mode mode;    /* Where it is attached: NATIVE or
                                 * GENERIC, once attached. */
    bool attached;
    char native_refused[200];   /* Best-effort fell back to generic:
                                 * why native was refused, else "". */
};

/* Looks at the XDP program(s) on device 'devname' ('ifindex') before
 * FlowTier attaches its own:
 *
 *   - none: returns 0;
 *   - a leftover of a flowtierd that is gone: detaches it (only it),
 *     returns 0 and sets '*removed' to its program id;
 *   - a program of a flowtierd that runs (this one included: another
 *     port already has the device): returns -EBUSY with the reason;
 *   - anyone else's: returns -EEXIST with the reason, naming its id,
 *     name and mode; it is left in place.
 *
 * Other negative errnos: the kernel could not be asked (no bpf()). */
int ft_afxdp_xdp_check_device(const char *devname, int ifindex,
                              uint32_t *removed, struct ft_error *err);

/* Loads FlowTier's program and its XSKMAP of 'n_queues' entries for
 * device 'devname' into 'x' (not attached yet).  Returns 0 or a negative
 * errno with 'err' filled (-EPERM without CAP_BPF, -ENOSYS or -EINVAL
 * when the kernel has no AF_XDP: the reason says so). */
int ft_afxdp_xdp_load(struct ft_afxdp_xdp *x, const char *devname,
                      int ifindex, uint32_t n_queues, struct ft_error *err);

/* Attaches the loaded program in 'mode' (BEST_EFFORT tries native, then
 * generic).  Returns 0 with 'x->mode' set, or a negative errno with the
 * kernel's reason for each mode tried in 'err'. */
int ft_afxdp_xdp_attach(struct ft_afxdp_xdp *x, enum ft_afxdp_mode mode,
                        struct ft_error *err);

/* Makes queue 'queue' redirect to the AF_XDP socket 'fd'.  Returns 0 or
 * a negative errno. */
int ft_afxdp_xdp_set_socket(struct ft_afxdp_xdp *x, uint32_t queue, int fd);

/* Detaches the program if it is still the device's, and unloads it.
 * 'x' may be zeroed or never loaded (prog_fd -1). */
void ft_afxdp_xdp_destroy(struct ft_afxdp_xdp *x);

#endif /* swpath/afxdp-xdp.h */
