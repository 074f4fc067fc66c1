/*
 * replay.c - runs a libFuzzer target without libFuzzer: each file named on
 * the command line, or found in a directory named there, is read and passed
 * once to LLVMFuzzerTestOneInput().  Linked by tests/fuzz/meson.build with
 * each fuzz-*.c so that the seed corpus (tests/fuzz/corpus/TARGET/) is
 * replayed by an ordinary gcc build, and under the AddressSanitizer build,
 * even where clang is not installed.  A target reports a broken check by
 * aborting, which fails the run; the file being replayed is printed first.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static int
replay_file(const char *path)
{
    uint8_t *data = NULL;
    size_t size = 0, allocated = 0;
    FILE *f = fopen(path, "rb");

    if (!f) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        return -1;
    }
    for (;;) {
        if (size == allocated) {
            allocated = allocated ? 2 * allocated : 4096;
            data = realloc(data, allocated);
            if (!data) {
                abort();
            }
        }
        size_t n = fread(data + size, 1, allocated - size, f);
        if (!n) {
            break;
        }
        size += n;
    }
    fclose(f);
    /* An exact-size copy, as libFuzzer gives, so overreads are caught. */
    uint8_t *exact = malloc(size ? size : 1);
    memcpy(exact, data, size);
    free(data);
    fprintf(stderr, "replaying %s (%zu bytes)\n", path, size);
    LLVMFuzzerTestOneInput(exact, size);
    free(exact);
    return 0;
}

static int
compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Replays the files of 'dir' in name order.  Returns how many, or -1. */
static int
replay_dir(const char *dir)
{
    struct dirent *de;
    char **names = NULL;
    size_t n = 0;
    DIR *d = opendir(dir);
    int count = 0;

    if (!d) {
        fprintf(stderr, "%s: %s\n", dir, strerror(errno));
        return -1;
    }
    while ((de = readdir(d))) {
        if (de->d_name[0] != '.') {
            names = realloc(names, (n + 1) * sizeof *names);
            if (!names || asprintf(&names[n++], "%s/%s", dir,
                                   de->d_name) < 0) {
                abort();
            }
        }
    }
    closedir(d);
    qsort(names, n, sizeof *names, compare_names);
    for (size_t i = 0; i < n; i++) {
        if (count >= 0) {
            count = replay_file(names[i]) ? -1 : count + 1;
        }
        free(names[i]);
    }
    free(names);
    return count;
}

int
main(int argc, char *argv[])
{
    int total = 0;

    if (LLVMFuzzerInitialize) {
        LLVMFuzzerInitialize(&argc, &argv);
    }
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        struct stat st;
        int n;

        if (stat(argv[i], &st)) {
            fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
            return 1;
        }
        n = S_ISDIR(st.st_mode) ? replay_dir(argv[i])
                                : replay_file(argv[i]) ? -1 : 1;
        if (n < 0) {
            return 1;
        }
        total += n;
    }
    if (!total) {
        fprintf(stderr, "FAIL: no input to replay\n");
        return 1;
    }
    printf("%d inputs replayed without a failed check\n", total);
    return 0;
}
