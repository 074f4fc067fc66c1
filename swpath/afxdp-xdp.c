/*
 * afxdp-xdp.c - FlowTier's XDP program for AF_XDP ports: built from
 * instructions, loaded, attached and detached through rtnetlink with the
 * kernel's own error messages, and the check for programs already on a
 * device (see afxdp-xdp.h for why it is ours and not libxdp's).
 *
 * Part of the software datapath (swpath/); used by netdev-afxdp.c.  It
 * touches the bpf() system call (through libbpf's thin wrappers), one
 * rtnetlink socket per request, and /proc/PID/comm to tell whether a
 * program's owner still runs.  No global state.
 */
#include "afxdp-xdp.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

static const char *const mode_names[] = {
    [FT_AFXDP_MODE_BEST_EFFORT] = "best-effort",
    [FT_AFXDP_MODE_NATIVE] = "native",
    [FT_AFXDP_MODE_GENERIC] = "generic",
};

const char *
ft_afxdp_mode_name(enum ft_afxdp_mode mode)
{
    return (unsigned) mode < 3 ? mode_names[mode] : "?";
}

int
ft_afxdp_mode_parse(const char *s, enum ft_afxdp_mode *mode)
{
    for (size_t i = 0; i < sizeof mode_names / sizeof mode_names[0]; i++) {
        if (!strcmp(s, mode_names[i])) {
            *mode = (enum ft_afxdp_mode) i;
            return 0;
        }
    }
    return -EINVAL;
}

/* An RTM_SETLINK request carrying one IFLA_XDP. */
struct xdp_nl_req {
    struct nlmsghdr nh;
    struct ifinfomsg ifi;
    char attrs[64];
};

/* Appends u32 attribute 'type' = 'value' to the nest 'xdp'. */
static void
xdp_nl_put_u32(struct nlattr *xdp, uint16_t type, uint32_t value)
{
    struct nlattr *a = (struct nlattr *) ((char *) xdp
                                          + NLA_ALIGN(xdp->nla_len));

    a->nla_type = type;
    a->nla_len = NLA_HDRLEN + sizeof value;
    memcpy((char *) a + NLA_HDRLEN, &value, sizeof value);
    xdp->nla_len = NLA_ALIGN(xdp->nla_len) + a->nla_len;
}

/* Builds the request in 'req'; see xdp_nl_set(). */
static void
xdp_nl_build(struct xdp_nl_req *req, int ifindex, int prog_fd,
             int expected_fd, uint32_t flags)
{
    struct nlattr *xdp;

    memset(req, 0, sizeof *req);
    req->nh.nlmsg_len = NLMSG_LENGTH(sizeof req->ifi);
    req->nh.nlmsg_type = RTM_SETLINK;
    req->nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
    req->nh.nlmsg_seq = 1;
    req->ifi.ifi_family = AF_UNSPEC;
    req->ifi.ifi_index = ifindex;

    xdp = (struct nlattr *) ((char *) req + NLMSG_ALIGN(req->nh.nlmsg_len));
    xdp->nla_type = IFLA_XDP | NLA_F_NESTED;
    xdp->nla_len = NLA_HDRLEN;
    xdp_nl_put_u32(xdp, IFLA_XDP_FD, (uint32_t) prog_fd);
    xdp_nl_put_u32(xdp, IFLA_XDP_FLAGS, flags);
    if (flags & XDP_FLAGS_REPLACE) {
        xdp_nl_put_u32(xdp, IFLA_XDP_EXPECTED_FD, (uint32_t) expected_fd);
    }
    req->nh.nlmsg_len = NLMSG_ALIGN(req->nh.nlmsg_len) + xdp->nla_len;
}

/* Reads the answer of 'n' bytes in 'buf': returns its error (0 or a
 * negative errno) and copies the extended ack message, if any, into
 * 'msg'. */
static int
xdp_nl_answer(const char *buf, size_t n, char *msg, size_t msg_size)
{
    const struct nlmsghdr *nh = (const struct nlmsghdr *) buf;
    const struct nlmsgerr *e = NLMSG_DATA(nh);
    size_t ofs, end;

    if (n < NLMSG_LENGTH(sizeof *e) || nh->nlmsg_type != NLMSG_ERROR) {
        return -EPROTO;
    }
    end = nh->nlmsg_len < n ? nh->nlmsg_len : n;
    /* Extended ack attributes follow the request (or only its header if
     * the kernel capped it). */
    ofs = NLMSG_HDRLEN + sizeof *e;
    if (!(nh->nlmsg_flags & NLM_F_CAPPED)) {
        ofs += e->msg.nlmsg_len - sizeof e->msg;
    }
    while ((nh->nlmsg_flags & NLM_F_ACK_TLVS) && ofs + NLA_HDRLEN <= end) {
        const struct nlattr *t = (const struct nlattr *) (buf + ofs);

        if (t->nla_len < NLA_HDRLEN || ofs + t->nla_len > end) {
            break;
        }
        if (t->nla_type == NLMSGERR_ATTR_MSG) {
            snprintf(msg, msg_size, "%.*s", (int) (t->nla_len - NLA_HDRLEN),
                     (const char *) t + NLA_HDRLEN);
        }
        ofs += NLA_ALIGN(t->nla_len);
    }
    return e->error;
}

/* One rtnetlink request: sets (prog_fd >= 0) or removes (-1) the XDP
 * program of 'ifindex' with 'flags'; with XDP_FLAGS_REPLACE, only if
 * 'expected_fd' is the program there.  Returns 0 or a negative errno
 * with the kernel's extended ack message, if any, in 'msg'. */
static int
xdp_nl_set(int ifindex, int prog_fd, int expected_fd, uint32_t flags,
           char *msg, size_t msg_size)
{
    struct xdp_nl_req req;
    char buf[4096];
    int fd, one = 1, error;
    ssize_t n;

    msg[0] = '\0';
    xdp_nl_build(&req, ifindex, prog_fd, expected_fd, flags);
    fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0) {
        return -errno;
    }
    setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
    if (send(fd, &req, req.nh.nlmsg_len, 0) < 0) {
        error = -errno;
        close(fd);
        return error;
    }
    do {
        n = recv(fd, buf, sizeof buf, 0);
    } while (n < 0 && errno == EINTR);
    error = n < 0 ? -errno : xdp_nl_answer(buf, (size_t) n, msg, msg_size);
    close(fd);
    return error;
}

/* Whether a flowtierd runs as process 'pid' (this one included). */
static bool
xdp_owner_runs(long pid)
{
    char path[64], comm[32] = "";
    FILE *f;

    snprintf(path, sizeof path, "/proc/%ld/comm", pid);
    f = fopen(path, "re");
    if (!f) {
        return false;
    }
    if (!fgets(comm, sizeof comm, f)) {
        comm[0] = '\0';
    }
    fclose(f);
    return !strncmp(comm, "flowtierd", 9);
}

/* Looks at program 'id' attached to 'devname' in 'mode_flag' mode ('how'
 * names it).  See ft_afxdp_xdp_check_device(). */
static int
xdp_check_prog(const char *devname, int ifindex, uint32_t id,
               uint32_t mode_flag, const char *how, uint32_t *removed,
               struct ft_error *err)
{
    struct bpf_prog_info info;
    uint32_t len = sizeof info;
    char msg[256], *end;
    int fd, error;
    long pid;

    memset(&info, 0, sizeof info);
    fd = bpf_prog_get_fd_by_id(id);
    if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len)) {
        error = fd < 0 ? fd : -errno;
        if (fd >= 0) {
            close(fd);
        }
        return ft_error_set(err, error, "afxdp: cannot read the XDP program "
                            "(id %u) on %s: %s", id, devname,
                            strerror(-error));
    }
    if (strncmp(info.name, FT_AFXDP_PROG_PREFIX,
                strlen(FT_AFXDP_PROG_PREFIX))) {
        close(fd);
        return ft_error_set(err, -EEXIST, "afxdp: %s already has an XDP "
                            "program of another tool (id %u, name '%s', "
                            "%s mode); FlowTier leaves it in place", devname,
                            id, info.name, how);
    }
    pid = strtol(info.name + strlen(FT_AFXDP_PROG_PREFIX), &end, 10);
    if (!*end && pid > 0 && xdp_owner_runs(pid)) {
        close(fd);
        return ft_error_set(err, -EBUSY, "afxdp: %s is already switched "
                            "through AF_XDP by flowtierd (pid %ld): a "
                            "device belongs to one port of one daemon",
                            devname, pid);
    }
    error = xdp_nl_set(ifindex, -1, fd, mode_flag | XDP_FLAGS_REPLACE, msg,
                       sizeof msg);
    close(fd);
    if (error) {
        return ft_error_set(err, error, "afxdp: cannot remove the XDP "
                            "program FlowTier left on %s (id %u): %s%s%s",
                            devname, id, strerror(-error),
                            msg[0] ? ": " : "", msg);
    }
    *removed = id;
    return 0;
}

int
ft_afxdp_xdp_check_device(const char *devname, int ifindex,
                          uint32_t *removed, struct ft_error *err)
{
    static const struct {
        size_t ofs;
        uint32_t flag;
        const char *how;
    } modes[] = {
        { offsetof(struct bpf_xdp_query_opts, drv_prog_id),
          XDP_FLAGS_DRV_MODE, "native" },
        { offsetof(struct bpf_xdp_query_opts, skb_prog_id),
          XDP_FLAGS_SKB_MODE, "generic" },
        { offsetof(struct bpf_xdp_query_opts, hw_prog_id),
          XDP_FLAGS_HW_MODE, "offloaded" },
    };
    LIBBPF_OPTS(bpf_xdp_query_opts, q);
    int error;

    *removed = 0;
    error = bpf_xdp_query(ifindex, 0, &q);
    if (error) {
        return ft_error_set(err, error, "afxdp: cannot query the XDP "
                            "programs of %s: %s", devname, strerror(-error));
    }
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        uint32_t id;

        memcpy(&id, (char *) &q + modes[i].ofs, sizeof id);
        if (id) {
            error = xdp_check_prog(devname, ifindex, id, modes[i].flag,
                                   modes[i].how, removed, err);
            if (error) {
                return error;
            }
        }
    }
    return 0;
}

/* One BPF instruction. */
#define INSN(CODE, DST, SRC, OFF, IMM)                          \
    ((struct bpf_insn) { .code = (CODE), .dst_reg = (DST),      \
                         .src_reg = (SRC), .off = (OFF), .imm = (IMM) })

int
ft_afxdp_xdp_load(struct ft_afxdp_xdp *x, const char *devname, int ifindex,
                  uint32_t n_queues, struct ft_error *err)
{
    char name[BPF_OBJ_NAME_LEN], log[1024] = "";
    LIBBPF_OPTS(bpf_prog_load_opts, opts, .log_buf = log,
                .log_size = sizeof log, .log_level = 0);
    struct bpf_insn prog[7];
    int error;

    memset(x, 0, sizeof *x);
    x->prog_fd = x->map_fd = -1;
    x->ifindex = ifindex;
    x->n_queues = n_queues;
    snprintf(x->devname, sizeof x->devname, "%s", devname);

    x->map_fd = bpf_map_create(BPF_MAP_TYPE_XSKMAP, "ftxsk_map", 4, 4,
                               n_queues, NULL);
    if (x->map_fd < 0) {
        error = x->map_fd;
        x->map_fd = -1;
        return ft_error_set(err, error, "afxdp: cannot create an XSKMAP "
                            "for %s: %s%s", devname, strerror(-error),
                            error == -EINVAL || error == -524 /* ENOTSUPP */
                            || error == -EOPNOTSUPP
                            ? " (no AF_XDP in this kernel: "
                              "CONFIG_XDP_SOCKETS)"
                            : error == -EPERM ? " (needs CAP_BPF and "
                              "CAP_NET_ADMIN)" : "");
    }

    /* r2 = ctx->rx_queue_index; r1 = &xskmap; r3 = XDP_PASS;
     * return bpf_redirect_map(r1, r2, r3): the socket of the frame's
     * queue, or the stack if the queue has none. */
    prog[0] = INSN(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_2, BPF_REG_1,
                   offsetof(struct xdp_md, rx_queue_index), 0);
    prog[1] = INSN(BPF_LD | BPF_DW | BPF_IMM, BPF_REG_1, BPF_PSEUDO_MAP_FD,
                   0, x->map_fd);
    prog[2] = INSN(0, 0, 0, 0, 0);
    prog[3] = INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_3, 0, 0, XDP_PASS);
    prog[4] = INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_redirect_map);
    prog[5] = INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);

    /* Linux process ids have at most 7 digits (PID_MAX_LIMIT, 2^22). */
    snprintf(name, sizeof name, FT_AFXDP_PROG_PREFIX "%u",
             (unsigned int) getpid() % 100000000u);
    x->prog_fd = bpf_prog_load(BPF_PROG_TYPE_XDP, name, "Dual BSD/GPL",
                               prog, 6, &opts);
    if (x->prog_fd < 0) {
        error = x->prog_fd;
        x->prog_fd = -1;
        ft_afxdp_xdp_destroy(x);
        return ft_error_set(err, error, "afxdp: the kernel refused "
                            "FlowTier's XDP program for %s: %s%s%s", devname,
                            strerror(-error), log[0] ? ": " : "", log);
    }
    return 0;
}

/* Why one mode was refused. */
struct xdp_why {
    char s[200];
};

/* Attaches in one mode; 'why' gets the kernel's reason on failure. */
static int
xdp_attach_mode(struct ft_afxdp_xdp *x, enum ft_afxdp_mode mode,
                struct xdp_why *why)
{
    uint32_t flag = (mode == FT_AFXDP_MODE_NATIVE ? XDP_FLAGS_DRV_MODE
                                                  : XDP_FLAGS_SKB_MODE);
    char msg[160];
    int error;

    error = xdp_nl_set(x->ifindex, x->prog_fd, -1,
                       flag | XDP_FLAGS_UPDATE_IF_NOEXIST, msg, sizeof msg);
    if (error) {
        snprintf(why->s, sizeof why->s, "%s mode: %s%s%s",
                 ft_afxdp_mode_name(mode), strerror(-error),
                 msg[0] ? ": " : "", msg);
        return error;
    }
    x->mode = mode;
    x->attached = true;
    return 0;
}

int
ft_afxdp_xdp_attach(struct ft_afxdp_xdp *x, enum ft_afxdp_mode mode,
                    struct ft_error *err)
{
    struct xdp_why native = { "" }, generic = { "" };
    int error;

    if (mode != FT_AFXDP_MODE_GENERIC) {
        error = xdp_attach_mode(x, FT_AFXDP_MODE_NATIVE, &native);
        if (!error || mode == FT_AFXDP_MODE_NATIVE) {
            return error ? ft_error_set(err, error, "afxdp: %s refused "
                                        "FlowTier's XDP program in %s",
                                        x->devname, native.s) : 0;
        }
    }
    error = xdp_attach_mode(x, FT_AFXDP_MODE_GENERIC, &generic);
    if (!error) {
        snprintf(x->native_refused, sizeof x->native_refused, "%s",
                 native.s);
    } else {
        return ft_error_set(err, error, "afxdp: %s refused FlowTier's XDP "
                            "program in %s%s%s", x->devname, generic.s,
                            native.s[0] ? "; in " : "", native.s);
    }
    return 0;
}

int
ft_afxdp_xdp_set_socket(struct ft_afxdp_xdp *x, uint32_t queue, int fd)
{
    return bpf_map_update_elem(x->map_fd, &queue, &fd, BPF_ANY);
}

void
ft_afxdp_xdp_destroy(struct ft_afxdp_xdp *x)
{
    char msg[160];

    if (x->attached && x->prog_fd >= 0) {
        /* Only our program: someone may have replaced it meanwhile. */
        xdp_nl_set(x->ifindex, -1, x->prog_fd,
                   (x->mode == FT_AFXDP_MODE_NATIVE ? XDP_FLAGS_DRV_MODE
                                                    : XDP_FLAGS_SKB_MODE)
                   | XDP_FLAGS_REPLACE, msg, sizeof msg);
        x->attached = false;
    }
    if (x->prog_fd >= 0) {
        close(x->prog_fd);
    }
    if (x->map_fd >= 0) {
        close(x->map_fd);
    }
    x->prog_fd = x->map_fd = -1;
}
