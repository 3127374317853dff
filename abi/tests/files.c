/*
 * Misuse tests of databases on files: the statuses the conformance format
 * cannot reach (NOT_FOUND without create, LOCKED by another process,
 * CORRUPTED, IO), read-only handles, sync, check, compact and backup.
 */
#include "check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "port.h"

void test_files(void) {
    char path[600], other[600], msg[512];
    uint64_t db = 0, db2 = 0, err = 0, n = 0;
    path_in_dir(path, sizeof path, "files.nook");
    EXPECT(nook_open((const uint8_t *)path, strlen(path), 0, 0, 0, 0, &db, &err), NOOK_NOT_FOUND);
    message(err, msg, sizeof msg);
    EXPECT(nook_open((const uint8_t *)path, strlen(path), NOOK_OPEN_READ_ONLY, 0, 0, 0, &db, NULL),
           NOOK_NOT_FOUND);
    EXPECT(nook_open((const uint8_t *)path, strlen(path), NOOK_OPEN_CREATE | NOOK_OPEN_RELAXED, 1 << 20, 8192, 0,
                     &db, NULL),
           NOOK_OK);
    EXPECT(nook_put(db, K("k"), VAL, NULL), NOOK_OK);
    EXPECT(nook_sync(db, NULL), NOOK_OK);
    uint64_t pages = 0, keys = 0, before = 0, after = 0;
    EXPECT(nook_check(db, &pages, &keys, NULL), NOOK_OK);
    TRUE(keys == 1);
    EXPECT(nook_compact(db, &before, &after, NULL), NOOK_OK);
    TRUE(before > 0 && after > 0);
    /* backup: to a new file, never over an existing one */
    path_in_dir(other, sizeof other, "backup.nook");
    EXPECT(nook_backup(db, (const uint8_t *)other, strlen(other), NULL), NOOK_OK);
    EXPECT(nook_backup(db, (const uint8_t *)other, strlen(other), NULL), NOOK_ALREADY_EXISTS);
    EXPECT(nook_open((const uint8_t *)other, strlen(other), 0, 0, 0, 0, &db2, NULL), NOOK_OK);
    EXPECT(nook_count(db2, &n, NULL), NOOK_OK);
    TRUE(n == 1);
    EXPECT(nook_close(db2), NOOK_OK);
    uint64_t mem = memory_db(0);
    path_in_dir(other, sizeof other, "memory-backup.nook");
    EXPECT(nook_put(mem, K("m"), VAL, NULL), NOOK_OK);
    EXPECT(nook_backup(mem, (const uint8_t *)other, strlen(other), NULL), NOOK_OK);
    EXPECT(nook_close(mem), NOOK_OK);
    EXPECT(nook_close(db), NOOK_OK);

    /* read-only: every write refused, reads fine */
    EXPECT(nook_open((const uint8_t *)path, strlen(path), NOOK_OPEN_READ_ONLY, 0, 0, 0, &db, NULL), NOOK_OK);
    uint64_t txn = 0;
    EXPECT(nook_put(db, K("x"), VAL, NULL), NOOK_READ_ONLY);
    EXPECT(nook_begin_write(db, &txn, NULL), NOOK_READ_ONLY);
    EXPECT(nook_compact(db, NULL, NULL, NULL), NOOK_READ_ONLY);
    EXPECT(nook_write_batch(db, NULL, 0, NULL), NOOK_READ_ONLY);
    EXPECT(nook_sync(db, NULL), NOOK_OK);
    EXPECT(nook_count(db, &n, NULL), NOOK_OK);
    TRUE(n == 1);
    EXPECT(nook_close(db), NOOK_OK);

    /* CORRUPTED: not a Nook file */
    path_in_dir(other, sizeof other, "garbage.nook");
    FILE *f = fopen(other, "wb");
    for (int i = 0; i < 3 * 4096; i++) fputc('x', f);
    fclose(f);
    EXPECT(nook_open((const uint8_t *)other, strlen(other), NOOK_OPEN_CREATE, 0, 0, 0, &db, &err), NOOK_CORRUPTED);
    int32_t os_code = -1;
    EXPECT(nook_error_os_code(err, &os_code), NOOK_OK);
    TRUE(os_code == 0); /* not an operating-system failure */
    message(err, msg, sizeof msg);
    TRUE(strstr(msg, "nook_open") != NULL);
    /* IO: a directory is not a file; the ERROR handle carries the OS's code */
    char folder[600];
    path_in_dir(folder, sizeof folder, ".");
    EXPECT(nook_open((const uint8_t *)folder, strlen(folder), NOOK_OPEN_CREATE, 0, 0, 0, &db, NULL), NOOK_IO);
    EXPECT(nook_open((const uint8_t *)folder, strlen(folder), NOOK_OPEN_CREATE, 0, 0, 0, &db, &err), NOOK_IO);
    EXPECT(nook_error_os_code(err, &os_code), NOOK_OK);
    TRUE(os_code == port_os_code_is_a_directory());
    EXPECT(nook_error_os_code(err, NULL), NOOK_INVALID_ARGUMENT);
    message(err, msg, sizeof msg); /* closes err */
    TRUE(strstr(msg, "os error") != NULL);
    EXPECT(nook_error_os_code(err, &os_code), NOOK_INVALID_HANDLE);
    /* a path with a NUL byte */
    EXPECT(nook_open((const uint8_t *)"a\0b", 3, NOOK_OPEN_CREATE, 0, 0, 0, &db, NULL), NOOK_INVALID_ARGUMENT);
}

/* What the child process of test_locked_by_another_process does: opens the
 * database at `path`, tells the parent whether that worked ('y' or 'n'),
 * and keeps it open (so locked) until the parent says so or goes away. */
int child_role(const char *role, const char *path) {
    if (strcmp(role, "hold-lock") != 0) return 3;
    uint64_t mine = 0;
    char c = nook_open((const uint8_t *)path, strlen(path), 0, 0, 0, 0, &mine, NULL) == NOOK_OK ? 'y' : 'n';
    if (port_parent_send(c) != 0) return 3;
    port_parent_receive(&c); /* a byte, or the end of the pipe */
    return 0;
}

/* LOCKED: another process holds the file. */
void test_locked_by_another_process(void) {
    char path[600];
    path_in_dir(path, sizeof path, "locked.nook");
    uint64_t db = 0;
    EXPECT(nook_open((const uint8_t *)path, strlen(path), NOOK_OPEN_CREATE, 0, 0, 0, &db, NULL), NOOK_OK);
    EXPECT(nook_close(db), NOOK_OK);
    PortChild child;
    if (port_child_start(&child, child_role, "hold-lock", path) != 0) exit(2);
    char c = 0;
    TRUE(port_child_receive(&child, &c) == 0 && c == 'y');
    uint64_t err = 0;
    EXPECT(nook_open((const uint8_t *)path, strlen(path), 0, 0, 0, 0, &db, &err), NOOK_LOCKED);
    char msg[512];
    message(err, msg, sizeof msg);
    TRUE(strstr(msg, "locked") != NULL);
    TRUE(port_child_send(&child, 'x') == 0);
    TRUE(port_child_wait(&child) == 0);
    EXPECT(nook_open((const uint8_t *)path, strlen(path), 0, 0, 0, 0, &db, NULL), NOOK_OK);
    EXPECT(nook_close(db), NOOK_OK);
}
