/*
 * port-map.c - OpenFlow port numbers and names: the caller-owned map of
 * port names used by the flow syntax, and the parsing and printing of a
 * port (number, reserved name such as LOCAL, or name from the map).
 */
#include "mgmt/flowsyntax/ofp-flow.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "flowtier/util.h"

static const struct {
    const char *name;
    ft_port_no port;
} reserved_ports[] = {
    { "IN_PORT", FT_PORT_IN_PORT },
    { "TABLE", FT_PORT_TABLE },
    { "NORMAL", FT_PORT_NORMAL },
    { "FLOOD", FT_PORT_FLOOD },
    { "ALL", FT_PORT_ALL },
    { "CONTROLLER", FT_PORT_CONTROLLER },
    { "LOCAL", FT_PORT_LOCAL },
    { "ANY", FT_PORT_NONE },
    { "NONE", FT_PORT_NONE },
};
#define N_RESERVED (sizeof reserved_ports / sizeof reserved_ports[0])

void
ft_port_map_init(struct ft_port_map *map)
{
    map->entries = NULL;
    map->n = map->allocated = 0;
}

void
ft_port_map_destroy(struct ft_port_map *map)
{
    if (map) {
        for (size_t i = 0; i < map->n; i++) {
            free(map->entries[i].name);
        }
        free(map->entries);
        ft_port_map_init(map);
    }
}

void
ft_port_map_add(struct ft_port_map *map, const char *name, ft_port_no port)
{
    for (size_t i = 0; i < map->n; i++) {
        if (!strcmp(map->entries[i].name, name)) {
            map->entries[i].port = port;
            return;
        }
    }
    if (map->n == map->allocated) {
        size_t n = map->allocated ? map->allocated * 2 : 8;
        struct ft_port_map_entry *p = realloc(map->entries, n * sizeof *p);

        if (!p) {
            abort();
        }
        map->entries = p;
        map->allocated = n;
    }
    map->entries[map->n].name = ft_xstrdup(name);
    map->entries[map->n].port = port;
    map->n++;
}

int
ft_port_map_find_name(const struct ft_port_map *map, const char *name,
                      ft_port_no *port)
{
    if (map) {
        for (size_t i = 0; i < map->n; i++) {
            if (!strcmp(map->entries[i].name, name)) {
                *port = map->entries[i].port;
                return 0;
            }
        }
    }
    return -ENOENT;
}

const char *
ft_port_map_find_port(const struct ft_port_map *map, ft_port_no port)
{
    if (map) {
        for (size_t i = 0; i < map->n; i++) {
            if (map->entries[i].port == port) {
                return map->entries[i].name;
            }
        }
    }
    return NULL;
}

int
ft_port_parse(const char *text, const struct ft_port_map *ports,
              ft_port_no *port, struct ft_error *err)
{
    if (text[0] >= '0' && text[0] <= '9') {
        char *end;
        unsigned long long v;

        errno = 0;
        if (text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
            v = text[2] ? strtoull(text + 2, &end, 16) : 0;
            if (!text[2] || !isxdigit((unsigned char) text[2])) {
                end = (char *) text;    /* "0x" alone, "0x-1": refuse. */
            }
        } else {
            v = strtoull(text, &end, 10);   /* "010" is ten, not octal. */
        }
        if (errno || *end || end == text) {
            return ft_error_set(err, -EINVAL, "'%s' is not a port number",
                                text);
        }
        if (v > FT_PORT_MAX && (v < FT_PORT_IN_PORT || v > FT_PORT_NONE)) {
            return ft_error_set(err, -EINVAL, "port %s is out of range "
                                "(0..%u or a reserved port)", text,
                                FT_PORT_MAX);
        }
        *port = (ft_port_no) v;
        return 0;
    }
    if (!ft_port_map_find_name(ports, text, port)) {
        return 0;
    }
    for (size_t i = 0; i < N_RESERVED; i++) {
        if (!strcasecmp(text, reserved_ports[i].name)) {
            *port = reserved_ports[i].port;
            return 0;
        }
    }
    return ft_error_set(err, -EINVAL, "'%s' is not a port number or a "
                        "known port name", text);
}

/* True if 'name' prints and parses back as itself: no delimiters, not a
 * number and not a reserved name. */
static bool
port_name_is_plain(const char *name)
{
    if (!name[0] || (name[0] >= '0' && name[0] <= '9')) {
        return false;
    }
    for (const char *p = name; *p; p++) {
        if (strchr(",=:()[]/ \t\r\n\"'>", *p)) {
            return false;
        }
    }
    for (size_t i = 0; i < N_RESERVED; i++) {
        if (!strcasecmp(name, reserved_ports[i].name)) {
            return false;
        }
    }
    return true;
}

void
ft_port_format(ft_port_no port, const struct ft_port_map *ports,
               struct ds *out)
{
    const char *name;

    for (size_t i = 0; i < N_RESERVED; i++) {
        if (reserved_ports[i].port == port) {
            ds_put_cstr(out, reserved_ports[i].name);
            return;
        }
    }
    name = ft_port_map_find_port(ports, port);
    if (name && port_name_is_plain(name)) {
        ds_put_cstr(out, name);
    } else {
        ds_put_uint(out, port);
    }
}
