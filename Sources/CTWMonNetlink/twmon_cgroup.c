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

/// A directory being read: its stream and the length of its path below the mount.
struct twmon_cgroup_frame {
    DIR *stream;
    size_t length;
};

struct twmon_cgroup_walk {
    size_t max_depth;
    size_t max_directories;
    size_t visited;
    /// The mount itself, still to be visited (its id read at the start).
    uint64_t root;
    /// Open directories, the mount at 0: `depth` of them (frames[depth - 1] is being read).
    size_t depth;
    /// The path below the mount of the last directory visited, "" for the mount.
    char path[PATH_MAX];
    struct twmon_cgroup_frame frames[];
};

static void twmon_cgroup_walk_close(struct twmon_cgroup_walk *walk) {
    while (walk->depth > 0) {
        walk->depth -= 1;
        closedir(walk->frames[walk->depth].stream);
    }
}

struct twmon_cgroup_walk *twmon_cgroup_walk_start(const char *mount, size_t max_depth, size_t max_directories) {
    // The state (a PATH_MAX buffer and the stack) lives on the heap, not on the caller's stack.
    struct twmon_cgroup_walk *walk = calloc(1, sizeof *walk + (max_depth + 1) * sizeof(struct twmon_cgroup_frame));
    if (walk == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    errno = 0;
    uint64_t root = twmon_cgroup_id_of(AT_FDCWD, mount);
    DIR *stream = root == 0 ? NULL : opendir(mount);
    if (stream == NULL) {
        // A handle too short to be a cgroup id: not a cgroup2 mount.
        int error = errno == 0 ? ENOTSUP : errno;
        free(walk);
        errno = error;
        return NULL;
    }
    walk->max_depth = max_depth;
    walk->max_directories = max_directories;
    walk->root = root;
    walk->frames[0] = (struct twmon_cgroup_frame){ .stream = stream, .length = 0 };
    walk->depth = 1;
    return walk;
}

size_t twmon_cgroup_walk_step(struct twmon_cgroup_walk *walk, size_t budget, twmon_cgroup_visit visit, void *context) {
    size_t count = 0;
    if (walk->root != 0 && budget > 0) {
        visit(context, walk->root, "/");
        walk->root = 0;
        walk->visited += 1;
        count += 1;
    }
    while (walk->depth > 0 && count < budget && walk->visited < walk->max_directories) {
        struct twmon_cgroup_frame *frame = &walk->frames[walk->depth - 1];
        struct dirent *entry = readdir(frame->stream);
        if (entry == NULL) {
            closedir(frame->stream);
            walk->depth -= 1;
            continue;
        }
        if (entry->d_type != DT_DIR || strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0) {
            continue;
        }
        size_t name_length = strlen(entry->d_name);
        size_t length = frame->length + 1 + name_length;
        if (length >= sizeof walk->path) {
            continue;
        }
        int directory = dirfd(frame->stream);
        uint64_t id = twmon_cgroup_id_of(directory, entry->d_name);
        if (id == 0) {
            continue;
        }
        walk->path[frame->length] = '/';
        memcpy(walk->path + frame->length + 1, entry->d_name, name_length + 1);
        walk->visited += 1;
        count += 1;
        visit(context, id, walk->path);
        // The mount's children are at depth 1: a directory at depth `walk->depth` is read
        // only while that is below `max_depth`.
        if (walk->depth < walk->max_depth) {
            int child = openat(directory, entry->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
            DIR *stream = child < 0 ? NULL : fdopendir(child);
            if (stream != NULL) {
                walk->frames[walk->depth] = (struct twmon_cgroup_frame){ .stream = stream, .length = length };
                walk->depth += 1;
            } else if (child >= 0) {
                close(child);
            }
        }
    }
    if (walk->visited >= walk->max_directories) {
        twmon_cgroup_walk_close(walk);
    }
    return count;
}

int twmon_cgroup_walk_finished(const struct twmon_cgroup_walk *walk) {
    return walk->depth == 0 && walk->root == 0;
}

size_t twmon_cgroup_walk_visited(const struct twmon_cgroup_walk *walk) {
    return walk->visited;
}

void twmon_cgroup_walk_end(struct twmon_cgroup_walk *walk) {
    if (walk == NULL) {
        return;
    }
    twmon_cgroup_walk_close(walk);
    free(walk);
}
