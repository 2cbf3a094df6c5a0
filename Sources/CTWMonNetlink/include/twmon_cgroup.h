#ifndef TWMON_CGROUP_H
#define TWMON_CGROUP_H

// The cgroup v2 ids of the directories of a cgroup2 mount, found the way iproute2 finds them
// for `ss --cgroup`: name_to_handle_at() on each directory, whose file handle on cgroup2 (kernfs)
// is the 64-bit cgroup id the kernel reports as INET_DIAG_CGROUP_ID. No privilege is needed
// (open_by_handle_at would need CAP_DAC_READ_SEARCH; name_to_handle_at does not).

#include <stddef.h>
#include <stdint.h>

/// Called for every directory found: its cgroup id and its path below the mount, "/" for the
/// mount itself, "/system.slice/nginx.service" below it.
typedef void (*twmon_cgroup_visit)(void *context, uint64_t id, const char *path);

/// Walks the cgroup2 hierarchy mounted at `mount`, depth first, at most `max_depth` levels below
/// it and at most `max_directories` directories in all, calling `visit` for each. Returns the
/// number of directories visited, or -1 with `errno` set when `mount` itself cannot be opened or
/// has no cgroup id. Directories that vanish or cannot be read during the walk are skipped.
long twmon_cgroup_walk(const char *mount, size_t max_depth, size_t max_directories, twmon_cgroup_visit visit, void *context);

#endif
