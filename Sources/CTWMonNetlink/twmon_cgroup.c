#define _GNU_SOURCE
#include "twmon_cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/// The cgroup id of `name` in the directory `directory` (a kernfs file handle of 8 bytes), or 0.
static uint64_t twmon_cgroup_id_of(int directory, const char *name) {
    union {
        struct file_handle handle;
        char space[sizeof(struct file_handle) + MAX_HANDLE_SZ];
    } buffer;
    buffer.handle.handle_bytes = MAX_HANDLE_SZ;
    int mount_id;
    if (name_to_handle_at(directory, name, &buffer.handle, &mount_id, 0) != 0 || buffer.handle.handle_bytes < sizeof(uint64_t)) {
        return 0;
    }
    uint64_t id;
    memcpy(&id, buffer.handle.f_handle, sizeof id);
    return id;
}

struct twmon_cgroup_walk_state {
    twmon_cgroup_visit visit;
    void *context;
    size_t max_depth;
    size_t max_directories;
    size_t visited;
    /// The path below the mount of the directory being read, "" for the mount.
    char path[PATH_MAX];
};

/// Visits the subdirectories of `directory` (an open descriptor, taken over and closed), whose
/// path is `state->path` of `length` bytes.
static void twmon_cgroup_walk_below(struct twmon_cgroup_walk_state *state, int directory, size_t length, size_t depth) {
    DIR *stream = fdopendir(directory);
    if (stream == NULL) {
        close(directory);
        return;
    }
    struct dirent *entry;
    while ((entry = readdir(stream)) != NULL && state->visited < state->max_directories) {
        if (entry->d_type != DT_DIR || strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0) {
            continue;
        }
        size_t name_length = strlen(entry->d_name);
        if (length + 1 + name_length >= sizeof state->path) {
            continue;
        }
        uint64_t id = twmon_cgroup_id_of(dirfd(stream), entry->d_name);
        if (id == 0) {
            continue;
        }
        state->path[length] = '/';
        memcpy(state->path + length + 1, entry->d_name, name_length + 1);
        state->visited += 1;
        state->visit(state->context, id, state->path);
        if (depth < state->max_depth) {
            int child = openat(dirfd(stream), entry->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
            if (child >= 0) {
                twmon_cgroup_walk_below(state, child, length + 1 + name_length, depth + 1);
            }
        }
        state->path[length] = '\0';
    }
    closedir(stream);
}

long twmon_cgroup_walk(const char *mount, size_t max_depth, size_t max_directories, twmon_cgroup_visit visit, void *context) {
    // The state (a PATH_MAX buffer) lives on the heap, not on the caller's stack.
    struct twmon_cgroup_walk_state *walk = calloc(1, sizeof *walk);
    if (walk == NULL) {
        errno = ENOMEM;
        return -1;
    }
    errno = 0;
    uint64_t root = twmon_cgroup_id_of(AT_FDCWD, mount);
    int directory = root == 0 ? -1 : open(mount, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (directory < 0) {
        // A handle too short to be a cgroup id: not a cgroup2 mount.
        int error = errno == 0 ? ENOTSUP : errno;
        free(walk);
        errno = error;
        return -1;
    }
    walk->visit = visit;
    walk->context = context;
    walk->max_depth = max_depth;
    walk->max_directories = max_directories;
    walk->visited = 1;
    visit(context, root, "/");
    twmon_cgroup_walk_below(walk, directory, 0, 1);
    long visited = (long)walk->visited;
    free(walk);
    return visited;
}
