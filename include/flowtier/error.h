/*
 * error.h - an error code with a reason a person can act on.
 *
 * Every layer returns 0 or a negative errno.  Where a caller may need to
 * show why something failed (a malformed flow, a refusal to offload), the
 * callee also fills a 'struct ft_error' with that errno and a one-line
 * reason.  Keep the two meanings apart:
 *
 *   -EOPNOTSUPP  "not this tier, fall back"; the reason says what the tier
 *                could not take ("tc: action set_field:ipv6_label not
 *                offloadable").
 *   -EINVAL      "this input is wrong, tell the user"; the reason names the
 *                bad token and where it is.
 *
 * A 'struct ft_error' needs no cleanup: the reason is a fixed buffer.
 */
#ifndef FLOWTIER_ERROR_H
#define FLOWTIER_ERROR_H 1

#include <stdarg.h>
#include <stdio.h>

#define FT_ERROR_REASON_MAX 256

struct ft_error {
    int code;                           /* 0 or negative errno. */
    char reason[FT_ERROR_REASON_MAX];   /* "" when code == 0. */
};

static inline void
ft_error_clear(struct ft_error *err)
{
    if (err) {
        err->code = 0;
        err->reason[0] = '\0';
    }
}

/* Ends 'reason', which holds 'len' bytes of a longer text, before a UTF-8
 * character cut short, so that it stays valid UTF-8 (a reply carrying it
 * is JSON, which must be). */
static inline void
ft_error_trim_utf8(char *reason, size_t len)
{
    size_t start = len;

    /* Back to the first byte of the last character... */
    while (start > 0 && ((unsigned char) reason[start - 1] & 0xc0) == 0x80) {
        start--;
    }
    if (start > 0 && (unsigned char) reason[start - 1] >= 0xc0) {
        unsigned char lead = reason[start - 1];
        size_t need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;

        /* ...which is dropped if its bytes did not all fit. */
        if (len - (start - 1) < need) {
            reason[start - 1] = '\0';
        }
    }
}

/* Records 'code' (a negative errno) and a printf-style reason in 'err' (which
 * may be NULL), and returns 'code' so that callers may write
 * 'return ft_error_set(err, -EINVAL, "...")'.  A reason too long for the
 * buffer is cut at a character boundary. */
static inline int __attribute__((format(printf, 3, 4)))
ft_error_set(struct ft_error *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list args;
        int n;

        err->code = code;
        va_start(args, fmt);
        n = vsnprintf(err->reason, sizeof err->reason, fmt, args);
        va_end(args);
        if (n >= (int) sizeof err->reason) {
            ft_error_trim_utf8(err->reason, sizeof err->reason - 1);
        }
    }
    return code;
}

#endif /* flowtier/error.h */
