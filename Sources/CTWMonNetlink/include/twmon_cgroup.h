#ifndef TWMON_CGROUP_H
#define TWMON_CGROUP_H

// The cgroup v2 ids of the directories of a cgroup2 mount, found the way iproute2 finds them
// for `ss --cgroup`: name_to_handle_at() on each directory, whose file handle on cgroup2 (kernfs)
// is the 64-bit cgroup id the kernel reports as INET_DIAG_CGROUP_ID. No privilege is needed
// (open_by_handle_at would need CAP_DAC_READ_SEARCH; name_to_handle_at does not).
//
// The walk is resumable: it keeps its position (a stack of open directories, one per level)
// between calls, so a caller can spend a bounded number of directories per call and go on
// later where it stopped.

#include <stddef.h>
#include <stdint.h>

/// Called for every directory found: its cgroup id and its path below the mount, "/" for the
/// mount itself, "/system.slice/nginx.service" below it.
typedef void (*twmon_cgroup_visit)(void *context, uint64_t id, const char *path);

/// A walk in progress: its stack of open directories and the path being read.
struct twmon_cgroup_walk;

/// Starts a depth-first walk of the cgroup2 hierarchy mounted at `mount`, at most `max_depth`
/// levels below it and at most `max_directories` directories in all (the mount included).
/// Visits nothing yet. Returns NULL with `errno` set when `mount` cannot be opened or has no
/// cgroup id (not a cgroup2 mount).
struct twmon_cgroup_walk *twmon_cgroup_walk_start(const char *mount, size_t max_depth, size_t max_directories);

/// Visits at most `budget` more directories, calling `visit` for each, and returns how many it
/// visited. Directories that vanish or cannot be read are skipped and cost nothing.
size_t twmon_cgroup_walk_step(struct twmon_cgroup_walk *walk, size_t budget, twmon_cgroup_visit visit, void *context);

/// Whether the walk has visited everything (or reached `max_directories`); its directories are
/// closed then.
int twmon_cgroup_walk_finished(const struct twmon_cgroup_walk *walk);

/// Directories visited since the start.
size_t twmon_cgroup_walk_visited(const struct twmon_cgroup_walk *walk);

/// Closes the directories still open and frees the walk.
void twmon_cgroup_walk_end(struct twmon_cgroup_walk *walk);

#endif
