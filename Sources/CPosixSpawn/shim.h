#ifndef C_POSIX_SPAWN_SHIM_H
#define C_POSIX_SPAWN_SHIM_H

#include <spawn.h>

#if defined(__GLIBC__)
/* In glibc since 2.34, but declared only under _GNU_SOURCE, which Swift's Glibc module is built
   without. A spawned program must not inherit the parent's descriptors: SwiftNIO opens its
   sockets without close-on-exec. */
extern int posix_spawn_file_actions_addclosefrom_np(posix_spawn_file_actions_t *actions, int from);
/* Since glibc 2.29, under _GNU_SOURCE as well: the child's working directory. */
extern int posix_spawn_file_actions_addchdir_np(posix_spawn_file_actions_t *actions, const char *path);
#endif

#endif
