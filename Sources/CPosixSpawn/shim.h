#ifndef C_POSIX_SPAWN_SHIM_H
#define C_POSIX_SPAWN_SHIM_H

#include <spawn.h>
#include <sys/wait.h>

#if defined(__GLIBC__)
/* In glibc since 2.34 and 2.29, but declared only under _GNU_SOURCE, which Swift's Glibc module
   is built without. */
extern int posix_spawn_file_actions_addclosefrom_np(posix_spawn_file_actions_t *actions, int from);
extern int posix_spawn_file_actions_addchdir_np(posix_spawn_file_actions_t *actions, const char *path);
#endif

/* The spawned program gets descriptors 0, 1 and 2 and nothing else. SwiftNIO opens its sockets
   without close-on-exec, so without this a child (and anything it leaves running) holds every
   listener and connection of the parent open. */
static inline int c_posix_spawn_close_inherited(posix_spawn_file_actions_t *actions, posix_spawnattr_t *attributes) {
#if defined(__APPLE__)
    (void)actions;
    return posix_spawnattr_setflags(attributes, POSIX_SPAWN_CLOEXEC_DEFAULT);
#else
    (void)attributes;
    return posix_spawn_file_actions_addclosefrom_np(actions, 3);
#endif
}

/* The spawned program leads a process group of its own, so that everything it starts can be
   ended with it: kill(-pid, ...) then reaches a grandchild that kept running after a timeout. */
static inline int c_posix_spawn_new_process_group(posix_spawnattr_t *attributes) {
    short flags = 0;
    int result = posix_spawnattr_getflags(attributes, &flags);
    if (result != 0) return result;
    result = posix_spawnattr_setpgroup(attributes, 0);
    if (result != 0) return result;
    return posix_spawnattr_setflags(attributes, flags | POSIX_SPAWN_SETPGROUP);
}

/* A reaped child's wait status as a shell reports it: the exit code, or 128 plus the signal that
   ended it. Through the C macros, which Swift does not import. */
static inline int c_posix_spawn_exit_code(int status) {
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

#endif
