/*
 * test-error.c - unit tests for include/flowtier/error.h: a reason too long
 * for its buffer is cut at a UTF-8 character boundary, never inside one,
 * whatever the character's length and wherever it falls.
 */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <errno.h>

#include <cmocka.h>

#include "flowtier/error.h"

/* True if 's' is valid UTF-8 (no truncated or stray sequences). */
static bool
valid_utf8(const char *s)
{
    const unsigned char *p = (const unsigned char *) s;

    while (*p) {
        size_t n = *p < 0x80 ? 1 : *p >= 0xf0 ? 4 : *p >= 0xe0 ? 3
                   : *p >= 0xc0 ? 2 : 0;

        if (!n) {
            return false;
        }
        for (size_t i = 1; i < n; i++) {
            if ((p[i] & 0xc0) != 0x80) {
                return false;
            }
        }
        p += n;
    }
    return true;
}

static void
test_cut_at_boundary(void **state)
{
    static const char *const chars[] = { "\xc3\xa9", "\xe2\x82\xac",
                                         "\xf0\x9f\x98\x80", "a" };

    (void) state;
    /* Every character length, at every offset against the end. */
    for (size_t c = 0; c < sizeof chars / sizeof chars[0]; c++) {
        for (size_t pad = 0; pad < 4; pad++) {
            char text[4 * FT_ERROR_REASON_MAX];
            struct ft_error err;

            memset(text, 'x', pad);
            text[pad] = '\0';
            while (strlen(text) + 4 < sizeof text) {
                strcat(text, chars[c]);
            }
            assert_int_equal(ft_error_set(&err, -EINVAL, "%s", text),
                             -EINVAL);
            assert_true(valid_utf8(err.reason));
            assert_true(strlen(err.reason) >= FT_ERROR_REASON_MAX - 4);
            assert_memory_equal(err.reason, text, strlen(err.reason));
        }
    }
}

static void
test_short_untouched(void **state)
{
    struct ft_error err;

    (void) state;
    ft_error_set(&err, -ENOENT, "bridge %s: no such port", "br\xc3\xa9");
    assert_string_equal(err.reason, "bridge br\xc3\xa9: no such port");
    assert_int_equal(err.code, -ENOENT);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cut_at_boundary),
        cmocka_unit_test(test_short_untouched),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
