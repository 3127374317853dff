/*
 * The few operating-system services the C tests (misuse.c, files.c,
 * threads.c) and the C conformance runner (abi/conformance/runner.c) need,
 * for POSIX systems (Linux, Android, macOS) and Windows. Everything else in
 * those programs is standard C11; all #ifdef _WIN32 lives in port.c.
 */
#ifndef NOOK_TEST_PORT_H
#define NOOK_TEST_PORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---------- files and folders ---------- */

/* The folder for temporary files: $TMPDIR when set, else the system's
 * (GetTempPath on Windows, /tmp elsewhere). */
const char *port_temp_root(void);

/* Creates a new, empty folder `parent/PREFIX-XXXXXX` (random suffix) and
 * writes its path into `out`. Returns 0, or -1 after printing why. */
int port_make_temp_dir(char *out, size_t cap, const char *parent, const char *prefix);

/* Removes `dir` and everything in it; symbolic links are removed, not
 * followed. Failures are ignored (the caller checks what it needs). */
void port_remove_tree(const char *dir);

/* Calls `each(name, context)` for every entry of `dir` except "." and "..",
 * in the order the system lists them, until `each` returns non-zero.
 * Returns 0 when the whole folder was listed, -1 when it could not be opened
 * or read to the end (a read error is never taken for the end: see
 * port.c), or what `each` returned. */
int port_list_dir(const char *dir, int (*each)(const char *name, void *context), void *context);

/* The operating system's error code (nook_error_os_code) for creating a
 * database at a path that is a folder: EISDIR on POSIX, ERROR_ACCESS_DENIED
 * on Windows. */
int32_t port_os_code_is_a_directory(void);

/* Reads one line of `f` (with its '\n', if any) into *line, growing it
 * (*cap bytes, realloc'd) as needed. Returns its length, or -1 at the end
 * of the file. Standard C's replacement for POSIX getline. */
long port_read_line(FILE *f, char **line, size_t *cap);

/* ---------- time and threads ---------- */

/* Milliseconds on a monotonic clock. */
double port_now_ms(void);
void port_sleep_ms(int ms);

/* A thread running fn(arg): pthreads on POSIX, Win32 threads on Windows.
 * Exits the program (status 2) when the thread cannot be created. */
typedef struct {
    uintptr_t id; /* pthread_t or HANDLE */
} PortThread;
void port_thread_start(PortThread *thread, void *(*fn)(void *), void *arg);
void port_thread_join(PortThread thread);

/* ---------- another process ---------- */

/*
 * Another process of this same program running run(role, arg), connected to
 * this one by a pipe each way: fork on POSIX (which also works under
 * qemu-user, where re-executing a foreign binary does not), the program
 * re-started with CreateProcess on Windows (see port_child_dispatch).
 */
typedef struct {
    intptr_t process; /* pid or HANDLE */
    intptr_t to_child, from_child;
} PortChild;

/* What a child started with `role` does; runs in the child, and its return
 * value is the child's exit status. */
typedef int (*PortChildRole)(const char *role, const char *arg);

/* Returns 0, or -1 after printing why. */
int port_child_start(PortChild *child, PortChildRole run, const char *role, const char *arg);
/* One byte to / from the child; 0 on success. */
int port_child_send(PortChild *child, char byte);
int port_child_receive(PortChild *child, char *byte);
/* Waits for the child to end and closes the pipes: its exit status, or -1
 * when it did not exit normally. */
int port_child_wait(PortChild *child);

/* In the child: one byte to / from the parent; 0 on success. */
int port_parent_send(char byte);
int port_parent_receive(char *byte);

/* Call first in main(), with the `run` given to port_child_start: when this
 * process is a child started by port_child_start (on Windows), runs its role
 * and exits; else returns. */
void port_child_dispatch(int argc, char **argv, PortChildRole run);

#endif
