/*
 * The operating-system services of port.h: one POSIX implementation (Linux,
 * Android, macOS) and one Win32 implementation (Windows, also under wine).
 */
#if !defined(_WIN32) && !defined(__APPLE__)
#define _POSIX_C_SOURCE 200809L /* mkdtemp, lstat, nanosleep, clock_gettime, fork */
#endif
#include "port.h"

#include <stdlib.h>
#include <string.h>

/* The first argument of this program when port_child_start re-started it. */
#define CHILD_FLAG "--port-child"

long port_read_line(FILE *f, char **line, size_t *cap) {
    size_t len = 0;
    for (;;) {
        if (*line == NULL || *cap - len < 2) {
            size_t grown = *cap ? *cap * 2 : 128;
            char *bigger = realloc(*line, grown);
            if (!bigger) { perror("port_read_line"); exit(2); }
            *line = bigger;
            *cap = grown;
        }
        /* fgets takes an int; a line is read in pieces of at most INT_MAX bytes */
        size_t room = *cap - len;
        int chunk = room > 0x7fffffff ? 0x7fffffff : (int)room;
        if (!fgets(*line + len, chunk, f)) break;
        len += strlen(*line + len);
        if ((*line)[len - 1] == '\n') break;
    }
    if (len == 0) return -1;
    return (long)len;
}

void port_child_dispatch(int argc, char **argv, PortChildRole run) {
    if (argc == 4 && strcmp(argv[1], CHILD_FLAG) == 0) exit(run(argv[2], argv[3]));
}

#ifdef _WIN32
/* ==================== Windows ==================== */
#include <windows.h>

const char *port_temp_root(void) {
    /* GetTempPath honours TMP and TEMP; TMPDIR is not a Windows convention
     * (and under wine it would hold a Unix path). */
    static char root[MAX_PATH + 1];
    DWORD n = GetTempPathA(sizeof root, root);
    if (n == 0 || n >= sizeof root) return ".";
    if (root[n - 1] == '\\' || root[n - 1] == '/') root[n - 1] = 0;
    return root;
}

int port_make_temp_dir(char *out, size_t cap, const char *parent, const char *prefix) {
    static unsigned counter;
    LARGE_INTEGER tick;
    QueryPerformanceCounter(&tick);
    unsigned seed = (unsigned)GetCurrentProcessId() * 2654435761u ^ (unsigned)tick.QuadPart;
    for (int attempt = 0; attempt < 1000; attempt++) {
        unsigned suffix = (seed + ++counter * 40503u) & 0xffffffu;
        if ((size_t)snprintf(out, cap, "%s/%s-%06x", parent, prefix, suffix) >= cap) {
            fprintf(stderr, "port_make_temp_dir: the path under %s is too long\n", parent);
            return -1;
        }
        if (CreateDirectoryA(out, NULL)) return 0;
        if (GetLastError() != ERROR_ALREADY_EXISTS) {
            fprintf(stderr, "port_make_temp_dir: CreateDirectory %s: Win32 error %lu\n", out,
                    (unsigned long)GetLastError());
            return -1;
        }
    }
    fprintf(stderr, "port_make_temp_dir: no free name under %s\n", parent);
    return -1;
}

void port_remove_tree(const char *dir) {
    char pattern[MAX_PATH + 3], path[MAX_PATH + 1];
    snprintf(pattern, sizeof pattern, "%s/*", dir);
    WIN32_FIND_DATAA entry;
    HANDLE find = FindFirstFileA(pattern, &entry);
    if (find != INVALID_HANDLE_VALUE) {
        do {
            if (!strcmp(entry.cFileName, ".") || !strcmp(entry.cFileName, "..")) continue;
            snprintf(path, sizeof path, "%s/%s", dir, entry.cFileName);
            DWORD attributes = entry.dwFileAttributes;
            if ((attributes & FILE_ATTRIBUTE_DIRECTORY) && !(attributes & FILE_ATTRIBUTE_REPARSE_POINT)) {
                port_remove_tree(path);
            } else if (attributes & FILE_ATTRIBUTE_DIRECTORY) {
                RemoveDirectoryA(path); /* a link to a folder: the link only */
            } else {
                if (attributes & FILE_ATTRIBUTE_READONLY) SetFileAttributesA(path, FILE_ATTRIBUTE_NORMAL);
                DeleteFileA(path);
            }
        } while (FindNextFileA(find, &entry));
        FindClose(find);
    }
    RemoveDirectoryA(dir);
}

int port_list_dir(const char *dir, int (*each)(const char *name, void *context), void *context) {
    char pattern[MAX_PATH + 3];
    snprintf(pattern, sizeof pattern, "%s/*", dir);
    WIN32_FIND_DATAA entry;
    HANDLE find = FindFirstFileA(pattern, &entry);
    if (find == INVALID_HANDLE_VALUE) {
        fprintf(stderr, "%s: cannot list the folder (Win32 error %lu)\n", dir, (unsigned long)GetLastError());
        return -1;
    }
    int result = 0;
    do {
        if (!strcmp(entry.cFileName, ".") || !strcmp(entry.cFileName, "..")) continue;
        result = each(entry.cFileName, context);
        if (result) break;
    } while (FindNextFileA(find, &entry));
    /* FindNextFile fails both at the end and on an error: only the code tells */
    if (result == 0 && GetLastError() != ERROR_NO_MORE_FILES) {
        fprintf(stderr, "%s: listing the folder failed (Win32 error %lu)\n", dir, (unsigned long)GetLastError());
        result = -1;
    }
    FindClose(find);
    return result;
}

int32_t port_os_code_is_a_directory(void) { return ERROR_ACCESS_DENIED; }

double port_now_ms(void) {
    LARGE_INTEGER now, frequency;
    QueryPerformanceCounter(&now);
    QueryPerformanceFrequency(&frequency);
    return (double)now.QuadPart * 1e3 / (double)frequency.QuadPart;
}

void port_sleep_ms(int ms) { Sleep((DWORD)ms); }

typedef struct {
    void *(*fn)(void *);
    void *arg;
} ThreadStart;

static DWORD WINAPI thread_main(LPVOID p) {
    ThreadStart start = *(ThreadStart *)p;
    free(p);
    start.fn(start.arg);
    return 0;
}

void port_thread_start(PortThread *thread, void *(*fn)(void *), void *arg) {
    ThreadStart *start = malloc(sizeof *start);
    if (!start) { perror("port_thread_start"); exit(2); }
    start->fn = fn;
    start->arg = arg;
    HANDLE handle = CreateThread(NULL, 0, thread_main, start, 0, NULL);
    if (!handle) {
        fprintf(stderr, "CreateThread: Win32 error %lu\n", (unsigned long)GetLastError());
        exit(2);
    }
    thread->id = (uintptr_t)handle;
}

void port_thread_join(PortThread thread) {
    WaitForSingleObject((HANDLE)thread.id, INFINITE);
    CloseHandle((HANDLE)thread.id);
}

int port_child_start(PortChild *child, PortChildRole run, const char *role, const char *arg) {
    (void)run; /* the re-started program finds it through port_child_dispatch */
    /* The child's stdin and stdout are the two pipes; only the child's ends
     * are inheritable. */
    SECURITY_ATTRIBUTES inherit = {sizeof inherit, NULL, TRUE};
    HANDLE in_read, in_write, out_read, out_write, err = NULL;
    if (!CreatePipe(&in_read, &in_write, &inherit, 0) || !CreatePipe(&out_read, &out_write, &inherit, 0)) {
        fprintf(stderr, "CreatePipe: Win32 error %lu\n", (unsigned long)GetLastError());
        return -1;
    }
    SetHandleInformation(in_write, HANDLE_FLAG_INHERIT, 0);
    SetHandleInformation(out_read, HANDLE_FLAG_INHERIT, 0);
    DuplicateHandle(GetCurrentProcess(), GetStdHandle(STD_ERROR_HANDLE), GetCurrentProcess(), &err, 0, TRUE,
                    DUPLICATE_SAME_ACCESS);
    char exe[MAX_PATH + 1], command[3 * MAX_PATH];
    DWORD n = GetModuleFileNameA(NULL, exe, sizeof exe);
    if (n == 0 || n >= sizeof exe ||
        (size_t)snprintf(command, sizeof command, "\"%s\" " CHILD_FLAG " %s \"%s\"", exe, role, arg) >=
            sizeof command) {
        fprintf(stderr, "port_child_start: cannot name this program\n");
        return -1;
    }
    STARTUPINFOA startup;
    memset(&startup, 0, sizeof startup);
    startup.cb = sizeof startup;
    startup.dwFlags = STARTF_USESTDHANDLES;
    startup.hStdInput = in_read;
    startup.hStdOutput = out_write;
    startup.hStdError = err;
    PROCESS_INFORMATION process;
    BOOL started = CreateProcessA(exe, command, NULL, NULL, TRUE, 0, NULL, NULL, &startup, &process);
    DWORD why = GetLastError();
    CloseHandle(in_read);
    CloseHandle(out_write);
    if (err) CloseHandle(err);
    if (!started) {
        fprintf(stderr, "CreateProcess %s: Win32 error %lu\n", exe, (unsigned long)why);
        CloseHandle(in_write);
        CloseHandle(out_read);
        return -1;
    }
    CloseHandle(process.hThread);
    child->process = (intptr_t)process.hProcess;
    child->to_child = (intptr_t)in_write;
    child->from_child = (intptr_t)out_read;
    return 0;
}

static int write_byte(HANDLE to, char byte) {
    DWORD n = 0;
    return WriteFile(to, &byte, 1, &n, NULL) && n == 1 ? 0 : -1;
}

static int read_byte(HANDLE from, char *byte) {
    DWORD n = 0;
    return ReadFile(from, byte, 1, &n, NULL) && n == 1 ? 0 : -1;
}

int port_child_send(PortChild *child, char byte) { return write_byte((HANDLE)child->to_child, byte); }
int port_child_receive(PortChild *child, char *byte) { return read_byte((HANDLE)child->from_child, byte); }

int port_child_wait(PortChild *child) {
    CloseHandle((HANDLE)child->to_child); /* the child reads the end of its input */
    DWORD status = 0;
    WaitForSingleObject((HANDLE)child->process, INFINITE);
    int ok = GetExitCodeProcess((HANDLE)child->process, &status);
    CloseHandle((HANDLE)child->process);
    CloseHandle((HANDLE)child->from_child);
    return ok ? (int)status : -1;
}

int port_parent_send(char byte) { return write_byte(GetStdHandle(STD_OUTPUT_HANDLE), byte); }
int port_parent_receive(char *byte) { return read_byte(GetStdHandle(STD_INPUT_HANDLE), byte); }

#else
/* ==================== POSIX ==================== */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const char *port_temp_root(void) {
    const char *dir = getenv("TMPDIR");
    return dir && *dir ? dir : "/tmp";
}

int port_make_temp_dir(char *out, size_t cap, const char *parent, const char *prefix) {
    if ((size_t)snprintf(out, cap, "%s/%s-XXXXXX", parent, prefix) >= cap) {
        fprintf(stderr, "port_make_temp_dir: the path under %s is too long\n", parent);
        return -1;
    }
    if (!mkdtemp(out)) {
        fprintf(stderr, "mkdtemp %s: %s\n", out, strerror(errno));
        return -1;
    }
    return 0;
}

void port_remove_tree(const char *dir) {
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        char path[1024];
        while ((e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            struct stat st;
            if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) port_remove_tree(path);
            else unlink(path);
        }
        closedir(d);
    }
    rmdir(dir);
}

int port_list_dir(const char *dir, int (*each)(const char *name, void *context), void *context) {
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "%s: %s\n", dir, strerror(errno));
        return -1;
    }
    int result = 0;
    struct dirent *e;
    /* A read error ends readdir like the end of the folder does; only errno
     * tells them apart (seen on 32-bit builds without large-file offsets:
     * EOVERFLOW, which abi/c-build.sh avoids with _FILE_OFFSET_BITS=64). */
    errno = 0;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            result = each(e->d_name, context);
            if (result) break;
        }
        errno = 0;
    }
    if (result == 0 && errno != 0) {
        fprintf(stderr, "%s: reading the folder: %s\n", dir, strerror(errno));
        result = -1;
    }
    closedir(d);
    return result;
}

int32_t port_os_code_is_a_directory(void) { return EISDIR; }

double port_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

void port_sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

void port_thread_start(PortThread *thread, void *(*fn)(void *), void *arg) {
    pthread_t id;
    int err = pthread_create(&id, NULL, fn, arg);
    if (err) {
        fprintf(stderr, "pthread_create: %s\n", strerror(err));
        exit(2);
    }
    _Static_assert(sizeof(pthread_t) <= sizeof thread->id, "a pthread_t fits in PortThread");
    memset(&thread->id, 0, sizeof thread->id);
    memcpy(&thread->id, &id, sizeof id);
}

void port_thread_join(PortThread thread) {
    pthread_t id;
    memcpy(&id, &thread.id, sizeof id);
    pthread_join(id, NULL);
}

/* In a child: the pipe ends to the parent (stdin and stdout when the child
 * was started by port_child_dispatch). */
static int parent_in = 0, parent_out = 1;

int port_child_start(PortChild *child, PortChildRole run, const char *role, const char *arg) {
    int to[2], from[2];
    if (pipe(to) || pipe(from)) {
        perror("pipe");
        return -1;
    }
    fflush(NULL); /* or the child would print the parent's buffered output again */
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return -1;
    }
    if (pid == 0) {
        close(to[1]);
        close(from[0]);
        parent_in = to[0];
        parent_out = from[1];
        _exit(run(role, arg));
    }
    close(to[0]);
    close(from[1]);
    child->process = pid;
    child->to_child = to[1];
    child->from_child = from[0];
    return 0;
}

static int write_byte(int fd, char byte) { return write(fd, &byte, 1) == 1 ? 0 : -1; }

static int read_byte(int fd, char *byte) {
    ssize_t n;
    while ((n = read(fd, byte, 1)) < 0 && errno == EINTR) {
    }
    return n == 1 ? 0 : -1;
}

int port_child_send(PortChild *child, char byte) { return write_byte((int)child->to_child, byte); }
int port_child_receive(PortChild *child, char *byte) { return read_byte((int)child->from_child, byte); }

int port_child_wait(PortChild *child) {
    close((int)child->to_child); /* the child reads the end of its input */
    int status = 0;
    pid_t got;
    while ((got = waitpid((pid_t)child->process, &status, 0)) < 0 && errno == EINTR) {
    }
    close((int)child->from_child);
    return got >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int port_parent_send(char byte) { return write_byte(parent_out, byte); }
int port_parent_receive(char *byte) { return read_byte(parent_in, byte); }
#endif
