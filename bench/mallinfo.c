// bench/mallinfo.c — an LD_PRELOAD helper for bench/rss.sh: a thread that writes glibc's
// mallinfo2() of the process into the file named by $TENANTDB_MALLINFO_FILE once a second, as
// "<in use> <free in arenas> <mmapped> <arena>" in bytes (uordblks, fordblks, hblkhd, arena).
// In use = live heap (malloc'ed, not yet freed), whatever the allocator keeps from the OS.
// Build: cc -O2 -shared -fPIC -o mallinfo.so bench/mallinfo.c -lpthread (rss.sh does it).
// Not for sanitized binaries (ASan replaces malloc; rss.sh skips it there).
#define _GNU_SOURCE
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void* Poll(void* arg) {
  const char* path = arg;
  char tmp[4096];
  snprintf(tmp, sizeof(tmp), "%s.tmp", path);
  for (;;) {
    const struct mallinfo2 mi = mallinfo2();
    FILE* f = fopen(tmp, "w");
    if (f != NULL) {
      fprintf(f, "%zu %zu %zu %zu\n", mi.uordblks, mi.fordblks, mi.hblkhd, mi.arena);
      fclose(f);
      rename(tmp, path);
    }
    sleep(1);
  }
  return NULL;
}

__attribute__((constructor)) static void Start(void) {
  const char* path = getenv("TENANTDB_MALLINFO_FILE");
  if (path == NULL || *path == '\0') {
    return;
  }
  unsetenv("LD_PRELOAD");  // not inherited by what the operator starts
  pthread_t thread;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 64 * 1024);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_create(&thread, &attr, Poll, (void*)path);
  pthread_attr_destroy(&attr);
}
