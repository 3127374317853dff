/*
 * Misuse tests of the C ABI: every function called with NULL pointers, zero
 * and oversized lengths, forged, closed and wrong-kind handles, and from many
 * threads at once (threads.c), must return its documented status
 * (spec/abi.md) and never crash. Also the statuses the conformance format
 * cannot reach (LOCKED, CORRUPTED, IO in files.c; BUFFER_TOO_SMALL here) and
 * the ownership rules (cascade on close, BUFFER handles outliving their
 * database, nook_finalize).
 *
 * Usage: misuse TMPDIR. Prints one line per failed check on stderr and a
 * summary on stdout; exits 1 when a check failed. Run by abi/test.sh (also
 * under valgrind) and by abi/cross-test.sh for other targets. Portable C11:
 * what differs between systems is in port.h.
 */
#include "nook.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "port.h"

atomic_int checks, failures;
static char dir[512];

void expect_status(const char *file, int line, const char *what, int32_t got, int32_t want) {
    atomic_fetch_add_explicit(&checks, 1, memory_order_relaxed);
    if (got != want) {
        atomic_fetch_add_explicit(&failures, 1, memory_order_relaxed);
        fprintf(stderr, "%s:%d: %s returned %d, want %d\n", file, line, what, (int)got, (int)want);
    }
}

void expect_true(const char *file, int line, const char *what, int cond) {
    atomic_fetch_add_explicit(&checks, 1, memory_order_relaxed);
    if (!cond) {
        atomic_fetch_add_explicit(&failures, 1, memory_order_relaxed);
        fprintf(stderr, "%s:%d: %s is false\n", file, line, what);
    }
}


/* The message of ERROR handle `err` (closed afterwards) in `out`. */
void message(uint64_t err, char *out, size_t cap) {
    size_t len = 0;
    out[0] = 0;
    if (err == 0) return;
    if (nook_error_message(err, (uint8_t *)out, cap - 1, &len) == NOOK_OK) out[len] = 0;
    nook_error_close(err);
}

uint64_t memory_db(uint32_t busy_ms) {
    uint64_t db = 0, err = 0;
    EXPECT(nook_open_memory(0, 0, busy_ms, &db, &err), NOOK_OK);
    TRUE(db != 0 && err == 0);
    return db;
}

void path_in_dir(char *out, size_t cap, const char *name) { snprintf(out, cap, "%s/%s", dir, name); }

/* ---------- version, codes, error handles ---------- */

static void test_version_and_codes(void) {
    uint32_t major = 0, minor = 9;
    EXPECT(nook_abi_version(&major, &minor), NOOK_OK);
    TRUE(major == NOOK_ABI_VERSION_MAJOR && minor == NOOK_ABI_VERSION_MINOR);
    EXPECT(nook_abi_version(NULL, &minor), NOOK_INVALID_ARGUMENT);
    EXPECT(nook_abi_version(&major, NULL), NOOK_INVALID_ARGUMENT);
    const uint8_t *text;
    size_t len;
    EXPECT(nook_library_version(&text, &len), NOOK_OK);
    TRUE(len > 0);
    EXPECT(nook_library_version(NULL, &len), NOOK_INVALID_ARGUMENT);

    static const char *names[] = {"OK", "NOT_FOUND", "ALREADY_EXISTS", "INVALID_ARGUMENT", "INVALID_VALUE",
                                  "KEY_TOO_LARGE", "VALUE_TOO_LARGE", "LOCKED", "CORRUPTED", "IO", "READ_ONLY",
                                  "BUSY", "CLOSED", "INCOMPATIBLE", "DISK_FULL", "INTERNAL", "INVALID_HANDLE",
                                  "BUFFER_TOO_SMALL"};
    for (int32_t code = 0; code <= NOOK_BUFFER_TOO_SMALL; code++) {
        EXPECT(nook_code_name(code, &text, &len), NOOK_OK);
        TRUE(len == strlen(names[code]) && memcmp(text, names[code], len) == 0);
        EXPECT(nook_code_message(code, &text, &len), NOOK_OK);
        TRUE(len > 5);
    }
    EXPECT(nook_code_name(-1, &text, &len), NOOK_INVALID_ARGUMENT);
    EXPECT(nook_code_name(NOOK_BUFFER_TOO_SMALL + 1, &text, &len), NOOK_INVALID_ARGUMENT);
    EXPECT(nook_code_message(1000, &text, &len), NOOK_INVALID_ARGUMENT);
    EXPECT(nook_code_name(1, NULL, &len), NOOK_INVALID_ARGUMENT);
    EXPECT(nook_code_message(1, &text, NULL), NOOK_INVALID_ARGUMENT);
}

static void test_error_handles(void) {
    uint64_t db = memory_db(0), err = 0;
    EXPECT(nook_put(db, (const uint8_t *)NULL, 3, VAL, &err), NOOK_INVALID_ARGUMENT);
    TRUE(err != 0);
    int32_t code = 0;
    EXPECT(nook_error_code(err, &code), NOOK_OK);
    TRUE(code == NOOK_INVALID_ARGUMENT);
    EXPECT(nook_error_code(err, NULL), NOOK_INVALID_ARGUMENT);
    size_t len = 0;
    EXPECT(nook_error_message(err, NULL, 0, &len), NOOK_BUFFER_TOO_SMALL);
    TRUE(len > 10);
    char small[4];
    size_t len2 = 0;
    EXPECT(nook_error_message(err, (uint8_t *)small, sizeof small, &len2), NOOK_BUFFER_TOO_SMALL);
    TRUE(len2 == len);
    EXPECT(nook_error_message(err, NULL, 5, &len2), NOOK_INVALID_ARGUMENT);
    EXPECT(nook_error_message(err, (uint8_t *)small, sizeof small, NULL), NOOK_INVALID_ARGUMENT);
    char *msg = malloc(len + 1);
    EXPECT(nook_error_message(err, (uint8_t *)msg, len, &len2), NOOK_OK);
    msg[len2] = 0;
    TRUE(strstr(msg, "nook_put") != NULL && strstr(msg, "key is NULL but key_len is 3") != NULL);
    free(msg);
    /* an ERROR handle is not a database, buffer, ... */
    EXPECT(nook_close(err), NOOK_INVALID_HANDLE);
    EXPECT(nook_buffer_close(err), NOOK_INVALID_HANDLE);
    EXPECT(nook_error_close(err), NOOK_OK);
    EXPECT(nook_error_close(err), NOOK_INVALID_HANDLE);
    EXPECT(nook_error_code(err, &code), NOOK_INVALID_HANDLE);
    EXPECT(nook_error_message(err, NULL, 0, &len), NOOK_INVALID_HANDLE);
    /* success clears *error; a NULL error pointer is allowed */
    err = 12345;
    EXPECT(nook_put(db, K("k"), VAL, &err), NOOK_OK);
    TRUE(err == 0);
    EXPECT(nook_put(db, K(""), VAL, NULL), NOOK_INVALID_ARGUMENT);
    /* expected outcomes make no ERROR handle */
    uint8_t buf[1];
    size_t vlen = 99;
    err = 12345;
    EXPECT(nook_get(db, K("absent"), buf, sizeof buf, &vlen, &err), NOOK_NOT_FOUND);
    TRUE(err == 0 && vlen == 0);
    EXPECT(nook_get(db, K("k"), buf, sizeof buf, &vlen, &err), NOOK_BUFFER_TOO_SMALL);
    TRUE(err == 0 && vlen == 2);
    EXPECT(nook_close(db), NOOK_OK);
}

/* ---------- handles ---------- */

/* Every function that takes a handle, given `h`, must answer INVALID_HANDLE. */
static void all_refuse(uint64_t h, int is_db, int is_txn, int is_cursor, int is_buffer, int is_error) {
    uint64_t out = 0, err = 0, n64 = 0;
    uint8_t buf[64];
    size_t n = 0, count = 0;
    uint32_t flag = 0;
    const uint8_t *data;
    int32_t code;
    int target = is_db || is_txn;
    if (!target) {
        EXPECT(nook_get(h, K("k"), buf, sizeof buf, &n, &err), NOOK_INVALID_HANDLE);
        TRUE(err != 0);
        nook_error_close(err);
        EXPECT(nook_get_buffer(h, K("k"), &out, NULL), NOOK_INVALID_HANDLE);
        EXPECT(nook_contains(h, K("k"), &flag, NULL), NOOK_INVALID_HANDLE);
        EXPECT(nook_count(h, &n64, NULL), NOOK_INVALID_HANDLE);
        EXPECT(nook_put(h, K("k"), VAL, NULL), NOOK_INVALID_HANDLE);
        EXPECT(nook_insert(h, K("k"), VAL, NULL), NOOK_INVALID_HANDLE);
        EXPECT(nook_update(h, K("k"), VAL, NULL), NOOK_INVALID_HANDLE);
        EXPECT(nook_delete(h, K("k"), &flag, NULL), NOOK_INVALID_HANDLE);
        EXPECT(nook_write_batch(h, NULL, 0, NULL), NOOK_INVALID_HANDLE);
        EXPECT(nook_cursor_open(h, NULL, 0, &out, NULL), NOOK_INVALID_HANDLE);
    }
    if (!is_db) {
        EXPECT(nook_close(h), NOOK_INVALID_HANDLE);
        EXPECT(nook_sync(h, NULL), NOOK_INVALID_HANDLE);
        EXPECT(nook_check(h, NULL, NULL, NULL), NOOK_INVALID_HANDLE);
        EXPECT(nook_stats(h, NULL, 0, NULL, NULL), NOOK_INVALID_HANDLE);
        EXPECT(nook_compact(h, NULL, NULL, NULL), NOOK_INVALID_HANDLE);
        EXPECT(nook_backup(h, K("/nonexistent/backup"), NULL), NOOK_INVALID_HANDLE);
        EXPECT(nook_begin_read(h, &out, NULL), NOOK_INVALID_HANDLE);
        EXPECT(nook_begin_write(h, &out, NULL), NOOK_INVALID_HANDLE);
    }
    if (!is_txn) {
        EXPECT(nook_txn_commit(h, NULL), NOOK_INVALID_HANDLE);
        EXPECT(nook_txn_rollback(h), NOOK_INVALID_HANDLE);
    }
    if (!is_cursor) {
        EXPECT(nook_cursor_next(h, buf, sizeof buf, &count, &n, NULL), NOOK_INVALID_HANDLE);
        EXPECT(nook_cursor_close(h), NOOK_INVALID_HANDLE);
    }
    if (!is_buffer) {
        EXPECT(nook_buffer_data(h, &data, &n), NOOK_INVALID_HANDLE);
        EXPECT(nook_buffer_close(h), NOOK_INVALID_HANDLE);
    }
    if (!is_error) {
        EXPECT(nook_error_code(h, &code), NOOK_INVALID_HANDLE);
        EXPECT(nook_error_message(h, buf, sizeof buf, &n), NOOK_INVALID_HANDLE);
        EXPECT(nook_error_close(h), NOOK_INVALID_HANDLE);
    }
}

static void test_forged_closed_and_wrong_kind_handles(void) {
    /* forged */
    uint64_t forged[] = {0, 1, 2, 0xffffffffffffffffull, 0x8000000000000000ull, 0x0000000100000000ull,
                         0x0000000001000000ull, 0x1234567890abcdefull};
    for (size_t i = 0; i < sizeof forged / sizeof *forged; i++) all_refuse(forged[i], 0, 0, 0, 0, 0);

    /* live handles of each kind, each refused where another kind is expected */
    uint64_t db = memory_db(0), txn = 0, cursor = 0, buffer = 0, err = 0;
    EXPECT(nook_put(db, K("k"), VAL, NULL), NOOK_OK);
    EXPECT(nook_begin_read(db, &txn, NULL), NOOK_OK);
    EXPECT(nook_cursor_open(db, NULL, 0, &cursor, NULL), NOOK_OK);
    EXPECT(nook_get_buffer(db, K("k"), &buffer, NULL), NOOK_OK);
    EXPECT(nook_put(db, K(""), VAL, &err), NOOK_INVALID_ARGUMENT);
    TRUE(db && txn && cursor && buffer && err);
    all_refuse(db, 1, 0, 0, 0, 0);
    all_refuse(txn, 0, 1, 0, 0, 0);
    all_refuse(cursor, 0, 0, 1, 0, 0);
    all_refuse(buffer, 0, 0, 0, 1, 0);
    all_refuse(err, 0, 0, 0, 0, 1);
    /* a handle with its generation changed is stale */
    all_refuse(db ^ (1ull << 40), 0, 0, 0, 0, 0);
    all_refuse(db + (1ull << 32), 0, 0, 0, 0, 0);

    /* closed: every kind */
    EXPECT(nook_txn_rollback(txn), NOOK_OK);
    EXPECT(nook_cursor_close(cursor), NOOK_OK);
    EXPECT(nook_buffer_close(buffer), NOOK_OK);
    EXPECT(nook_error_close(err), NOOK_OK);
    EXPECT(nook_close(db), NOOK_OK);
    all_refuse(db, 0, 0, 0, 0, 0);
    all_refuse(txn, 0, 0, 0, 0, 0);
    all_refuse(cursor, 0, 0, 0, 0, 0);
    all_refuse(buffer, 0, 0, 0, 0, 0);
    all_refuse(err, 0, 0, 0, 0, 0);
}

static void test_cascade_on_close(void) {
    uint64_t db = memory_db(0), wtxn = 0, rtxn = 0, c1 = 0, c2 = 0, c3 = 0, buffer = 0;
    EXPECT(nook_put(db, K("k"), VAL, NULL), NOOK_OK);
    EXPECT(nook_get_buffer(db, K("k"), &buffer, NULL), NOOK_OK);
    EXPECT(nook_begin_write(db, &wtxn, NULL), NOOK_OK);
    EXPECT(nook_begin_read(db, &rtxn, NULL), NOOK_OK);
    EXPECT(nook_cursor_open(db, NULL, 0, &c1, NULL), NOOK_OK);
    EXPECT(nook_cursor_open(wtxn, NULL, 0, &c2, NULL), NOOK_OK);
    EXPECT(nook_cursor_open(rtxn, K("k"), &c3, NULL), NOOK_OK);
    /* ending a transaction closes its cursors only */
    EXPECT(nook_txn_rollback(rtxn), NOOK_OK);
    EXPECT(nook_cursor_close(c3), NOOK_INVALID_HANDLE);
    uint8_t buf[64];
    size_t count = 9, len = 9;
    EXPECT(nook_cursor_next(c1, buf, sizeof buf, &count, &len, NULL), NOOK_OK);
    TRUE(count == 1 && len == 8 + 1 + 2);
    /* closing the database closes everything made from it, but not buffers */
    EXPECT(nook_close(db), NOOK_OK);
    EXPECT(nook_put(wtxn, K("x"), VAL, NULL), NOOK_INVALID_HANDLE);
    EXPECT(nook_txn_commit(wtxn, NULL), NOOK_INVALID_HANDLE);
    EXPECT(nook_cursor_next(c1, buf, sizeof buf, &count, &len, NULL), NOOK_INVALID_HANDLE);
    EXPECT(nook_cursor_close(c2), NOOK_INVALID_HANDLE);
    const uint8_t *data = NULL;
    size_t n = 0;
    EXPECT(nook_buffer_data(buffer, &data, &n), NOOK_OK);
    TRUE(n == 2 && data && data[0] == 0x18 && data[1] == 0x2a);
    EXPECT(nook_buffer_close(buffer), NOOK_OK);

    /* the rolled-back write transaction freed the writer slot of a file database */
    char path[600];
    path_in_dir(path, sizeof path, "cascade.nook");
    uint64_t err = 0;
    EXPECT(nook_open((const uint8_t *)path, strlen(path), NOOK_OPEN_CREATE, 0, 0, 0, &db, &err), NOOK_OK);
    EXPECT(nook_begin_write(db, &wtxn, NULL), NOOK_OK);
    EXPECT(nook_put(wtxn, K("lost"), VAL, NULL), NOOK_OK);
    EXPECT(nook_close(db), NOOK_OK);
    EXPECT(nook_open((const uint8_t *)path, strlen(path), 0, 0, 0, 0, &db, &err), NOOK_OK);
    uint32_t found = 9;
    EXPECT(nook_contains(db, K("lost"), &found, NULL), NOOK_OK);
    TRUE(found == 0);
    EXPECT(nook_begin_write(db, &wtxn, NULL), NOOK_OK);
    EXPECT(nook_txn_commit(wtxn, NULL), NOOK_OK);
    EXPECT(nook_close(db), NOOK_OK);
}

static void test_finalize(void) {
    uint64_t db = memory_db(0), txn = 0, cursor = 0, buffer = 0, err = 0;
    EXPECT(nook_put(db, K("k"), VAL, NULL), NOOK_OK);
    EXPECT(nook_get_buffer(db, K("k"), &buffer, NULL), NOOK_OK);
    EXPECT(nook_begin_write(db, &txn, NULL), NOOK_OK);
    EXPECT(nook_cursor_open(db, NULL, 0, &cursor, NULL), NOOK_OK);
    EXPECT(nook_put(db, NULL, 1, VAL, &err), NOOK_INVALID_ARGUMENT);
    nook_finalize((void *)(uintptr_t)buffer);
    nook_finalize((void *)(uintptr_t)err);
    nook_finalize((void *)(uintptr_t)cursor);
    nook_finalize((void *)(uintptr_t)txn); /* rolls back */
    EXPECT(nook_buffer_close(buffer), NOOK_INVALID_HANDLE);
    EXPECT(nook_error_close(err), NOOK_INVALID_HANDLE);
    EXPECT(nook_cursor_close(cursor), NOOK_INVALID_HANDLE);
    EXPECT(nook_txn_rollback(txn), NOOK_INVALID_HANDLE);
    EXPECT(nook_begin_write(db, &txn, NULL), NOOK_OK); /* the slot was freed */
    nook_finalize((void *)(uintptr_t)db);               /* cascades to txn */
    EXPECT(nook_txn_rollback(txn), NOOK_INVALID_HANDLE);
    EXPECT(nook_close(db), NOOK_INVALID_HANDLE);
    /* stale, forged and NULL tokens are ignored */
    nook_finalize((void *)(uintptr_t)db);
    nook_finalize(NULL);
    nook_finalize((void *)(uintptr_t)0xdeadbeef);
}

/* ---------- pointers and lengths ---------- */

static void test_null_pointers_and_lengths(void) {
    uint64_t db = memory_db(0), out = 0, err = 0;
    uint8_t buf[16];
    size_t n = 0, count = 0;
    uint32_t flag = 0;
    uint64_t n64 = 0;
    const uint8_t *dangling = (const uint8_t *)buf; /* a valid pointer with a bogus length */
    char msg[512];

    /* required out-pointers */
    EXPECT(nook_open_memory(0, 0, 0, NULL, NULL), NOOK_INVALID_ARGUMENT);
    EXPECT(nook_open(K("x.nook"), NOOK_OPEN_CREATE, 0, 0, 0, NULL, NULL), NOOK_INVALID_ARGUMENT);
    EXPECT(nook_get(db, K("k"), buf, sizeof buf, NULL, NULL), NOOK_INVALID_ARGUMENT);
    EXPECT(nook_get_buffer(db, K("k"), NULL, NULL), NOOK_INVALID_ARGUMENT);
    EXPECT(nook_contains(db, K("k"), NULL, NULL), NOOK_INVALID_ARGUMENT);
    EXPECT(nook_count(db, NULL, &err), NOOK_INVALID_ARGUMENT);
    message(err, msg, sizeof msg);
    TRUE(strstr(msg, "count is NULL") != NULL);
    EXPECT(nook_begin_read(db, NULL, NULL), NOOK_INVALID_ARGUMENT);
    EXPECT(nook_begin_write(db, NULL, NULL), NOOK_INVALID_ARGUMENT);
    EXPECT(nook_cursor_open(db, NULL, 0, NULL, NULL), NOOK_INVALID_ARGUMENT);
    EXPECT(nook_stats(db, NULL, 3, NULL, NULL), NOOK_INVALID_ARGUMENT);
    EXPECT(nook_buffer_data(0, NULL, &n), NOOK_INVALID_ARGUMENT);
    /* optional out-pointers may be NULL */
    EXPECT(nook_delete(db, K("k"), NULL, NULL), NOOK_OK);
    EXPECT(nook_check(db, NULL, NULL, NULL), NOOK_OK);
    EXPECT(nook_compact(db, NULL, NULL, NULL), NOOK_OK);
    EXPECT(nook_stats(db, NULL, 0, NULL, NULL), NOOK_OK);

    /* NULL with a length names the argument */
    EXPECT(nook_put(db, K("k"), NULL, 2, &err), NOOK_INVALID_ARGUMENT);
    message(err, msg, sizeof msg);
    TRUE(strstr(msg, "value is NULL but value_len is 2") != NULL);
    EXPECT(nook_get(db, K("k"), NULL, 4, &n, &err), NOOK_INVALID_ARGUMENT);
    message(err, msg, sizeof msg);
    TRUE(strstr(msg, "buf is NULL but cap is 4") != NULL);
    EXPECT(nook_cursor_open(db, NULL, 1, &out, NULL), NOOK_INVALID_ARGUMENT);
    EXPECT(nook_write_batch(db, NULL, 9, NULL), NOOK_INVALID_ARGUMENT);
    EXPECT(nook_open(NULL, 5, NOOK_OPEN_CREATE, 0, 0, 0, &out, NULL), NOOK_INVALID_ARGUMENT);
    EXPECT(nook_backup(db, NULL, 5, NULL), NOOK_INVALID_ARGUMENT);

    /* zero lengths */
    EXPECT(nook_put(db, NULL, 0, VAL, &err), NOOK_INVALID_ARGUMENT);
    message(err, msg, sizeof msg);
    TRUE(strstr(msg, "key is empty") != NULL);
    EXPECT(nook_put(db, K("k"), NULL, 0, NULL), NOOK_INVALID_VALUE);
    EXPECT(nook_get(db, NULL, 0, buf, sizeof buf, &n, NULL), NOOK_INVALID_ARGUMENT);
    EXPECT(nook_open(NULL, 0, NOOK_OPEN_CREATE, 0, 0, 0, &out, NULL), NOOK_INVALID_ARGUMENT);
    EXPECT(nook_backup(db, NULL, 0, NULL), NOOK_INVALID_ARGUMENT);
    EXPECT(nook_write_batch(db, NULL, 0, NULL), NOOK_OK);
    uint64_t cursor = 0;
    EXPECT(nook_cursor_open(db, NULL, 0, &cursor, NULL), NOOK_OK);
    EXPECT(nook_cursor_next(cursor, NULL, 0, &count, &n, NULL), NOOK_OK); /* empty database: the end */
    TRUE(count == 0 && n == 0);
    EXPECT(nook_cursor_next(cursor, NULL, 4, &count, &n, NULL), NOOK_INVALID_ARGUMENT);
    EXPECT(nook_cursor_next(cursor, buf, sizeof buf, NULL, &n, NULL), NOOK_INVALID_ARGUMENT);
    EXPECT(nook_cursor_next(cursor, buf, sizeof buf, &count, NULL, NULL), NOOK_INVALID_ARGUMENT);
    EXPECT(nook_cursor_close(cursor), NOOK_OK);

    /* oversized lengths are refused without reading past the buffer */
    EXPECT(nook_put(db, dangling, SIZE_MAX, VAL, &err), NOOK_KEY_TOO_LARGE);
    message(err, msg, sizeof msg);
    TRUE(strstr(msg, "key_len") != NULL);
    EXPECT(nook_put(db, dangling, 4097, VAL, NULL), NOOK_KEY_TOO_LARGE);
    EXPECT(nook_put(db, K("k"), dangling, SIZE_MAX, NULL), NOOK_VALUE_TOO_LARGE);
    EXPECT(nook_put(db, K("k"), dangling, (64u << 20) + 1, NULL), NOOK_VALUE_TOO_LARGE);
    EXPECT(nook_get(db, dangling, SIZE_MAX, buf, sizeof buf, &n, NULL), NOOK_KEY_TOO_LARGE);
    EXPECT(nook_delete(db, dangling, SIZE_MAX, &flag, NULL), NOOK_KEY_TOO_LARGE);
    EXPECT(nook_contains(db, dangling, SIZE_MAX, &flag, NULL), NOOK_KEY_TOO_LARGE);
    EXPECT(nook_get_buffer(db, dangling, SIZE_MAX, &out, NULL), NOOK_KEY_TOO_LARGE);
    EXPECT(nook_open(dangling, SIZE_MAX, NOOK_OPEN_CREATE, 0, 0, 0, &out, NULL), NOOK_INVALID_ARGUMENT);
    EXPECT(nook_backup(db, dangling, SIZE_MAX, NULL), NOOK_INVALID_ARGUMENT);
    EXPECT(nook_write_batch(db, dangling, SIZE_MAX, NULL), NOOK_INVALID_ARGUMENT);
    EXPECT(nook_cursor_open(db, dangling, SIZE_MAX, &cursor, NULL), NOOK_OK); /* matches nothing */
    EXPECT(nook_cursor_next(cursor, buf, sizeof buf, &count, &n, NULL), NOOK_OK);
    TRUE(count == 0);
    EXPECT(nook_cursor_close(cursor), NOOK_OK);
    EXPECT(nook_count(db, &n64, NULL), NOOK_OK);
    TRUE(n64 == 0);

    /* options */
    EXPECT(nook_open_memory(0, 1000, 0, &out, &err), NOOK_INVALID_ARGUMENT);
    message(err, msg, sizeof msg);
    TRUE(strstr(msg, "page_size") != NULL);
    EXPECT(nook_open_memory(0, 131072, 0, &out, NULL), NOOK_INVALID_ARGUMENT);
    EXPECT(nook_open(K("x.nook"), 0x80, 0, 0, 0, &out, &err), NOOK_INVALID_ARGUMENT);
    message(err, msg, sizeof msg);
    TRUE(strstr(msg, "flags") != NULL);
    EXPECT(nook_open_memory(1 << 20, 8192, 10, &out, NULL), NOOK_OK);
    uint64_t fields[NOOK_STATS_LEN + 2];
    memset(fields, 0xff, sizeof fields);
    size_t available = 0;
    EXPECT(nook_stats(out, fields, NOOK_STATS_LEN + 2, &available, NULL), NOOK_OK);
    TRUE(available == NOOK_STATS_LEN && fields[NOOK_STAT_PAGE_SIZE] == 8192 && fields[NOOK_STATS_LEN] == 0 &&
         fields[NOOK_STATS_LEN + 1] == 0);
    EXPECT(nook_close(out), NOOK_OK);
    EXPECT(nook_close(db), NOOK_OK);
}

static void put_record(uint8_t **p, uint8_t op, const char *key, uint32_t klen, const uint8_t *value, uint32_t vlen) {
    uint8_t *q = *p;
    *q++ = op;
    for (int i = 0; i < 4; i++) *q++ = (uint8_t)(klen >> (8 * i));
    for (int i = 0; i < 4; i++) *q++ = (uint8_t)(vlen >> (8 * i));
    memcpy(q, key, klen);
    q += klen;
    if (vlen) memcpy(q, value, vlen);
    *p = q + vlen;
}

static void test_batch_records(void) {
    uint64_t db = memory_db(0), err = 0, n = 0;
    uint8_t rec[256], *p = rec;
    char msg[512];
    put_record(&p, NOOK_BATCH_PUT, "a", 1, V42, 2);
    put_record(&p, NOOK_BATCH_PUT, "b", 1, V42, 2);
    put_record(&p, NOOK_BATCH_DELETE, "a", 1, NULL, 0);
    size_t good = (size_t)(p - rec);
    EXPECT(nook_write_batch(db, rec, good, NULL), NOOK_OK);
    EXPECT(nook_count(db, &n, NULL), NOOK_OK);
    TRUE(n == 1);
    /* truncated in the header, in the key, in the value: nothing applied */
    for (size_t cut = 1; cut < good; cut++) {
        if (cut == 12 || cut == 24) continue; /* record boundaries: a shorter valid batch */
        EXPECT(nook_write_batch(db, rec, cut, &err), NOOK_INVALID_ARGUMENT);
        message(err, msg, sizeof msg);
        TRUE(strstr(msg, "records: record") != NULL);
    }
    p = rec;
    put_record(&p, NOOK_BATCH_PUT, "c", 1, V42, 2);
    put_record(&p, 7, "d", 1, V42, 2);
    EXPECT(nook_write_batch(db, rec, (size_t)(p - rec), &err), NOOK_INVALID_ARGUMENT);
    message(err, msg, sizeof msg);
    TRUE(strstr(msg, "record 1 at byte 12") != NULL);
    p = rec;
    put_record(&p, NOOK_BATCH_DELETE, "c", 1, V42, 2);
    EXPECT(nook_write_batch(db, rec, (size_t)(p - rec), NULL), NOOK_INVALID_ARGUMENT);
    p = rec;
    put_record(&p, NOOK_BATCH_PUT, "c", 1, V42, 2);
    rec[1] = 0xff, rec[2] = 0xff, rec[3] = 0xff, rec[4] = 0xff; /* a 4 GiB key claimed */
    EXPECT(nook_write_batch(db, rec, (size_t)(p - rec), NULL), NOOK_INVALID_ARGUMENT);
    EXPECT(nook_count(db, &n, NULL), NOOK_OK);
    TRUE(n == 1);
    EXPECT(nook_close(db), NOOK_OK);
}

/* ---------- buffers, large values, cursors ---------- */

static void test_large_values_and_buffers(void) {
    uint64_t db = memory_db(0), buffer = 0, cursor = 0;
    size_t size = 64u << 20; /* the largest value: a byte string of 64 MiB - 5 */
    uint8_t *value = calloc(size, 1);
    value[0] = 0x5a;
    uint32_t body = (uint32_t)(size - 5);
    value[1] = (uint8_t)(body >> 24), value[2] = (uint8_t)(body >> 16), value[3] = (uint8_t)(body >> 8),
    value[4] = (uint8_t)body;
    value[size - 1] = 0x77;
    EXPECT(nook_put(db, K("big"), value, size, NULL), NOOK_OK);
    size_t n = 0;
    uint8_t small[8];
    EXPECT(nook_get(db, K("big"), small, sizeof small, &n, NULL), NOOK_BUFFER_TOO_SMALL);
    TRUE(n == size);
    EXPECT(nook_get(db, K("big"), NULL, 0, &n, NULL), NOOK_BUFFER_TOO_SMALL);
    TRUE(n == size);
    uint8_t *copy = malloc(size);
    EXPECT(nook_get(db, K("big"), copy, size, &n, NULL), NOOK_OK);
    TRUE(n == size && memcmp(copy, value, size) == 0);
    EXPECT(nook_get_buffer(db, K("big"), &buffer, NULL), NOOK_OK);
    const uint8_t *data = NULL;
    EXPECT(nook_buffer_data(buffer, &data, &n), NOOK_OK);
    TRUE(n == size && memcmp(data, value, size) == 0);
    EXPECT(nook_buffer_close(buffer), NOOK_OK);
    /* a cursor step that cannot fit the pair says how much it needs, consumes nothing */
    EXPECT(nook_cursor_open(db, NULL, 0, &cursor, NULL), NOOK_OK);
    size_t count = 9;
    EXPECT(nook_cursor_next(cursor, small, sizeof small, &count, &n, NULL), NOOK_BUFFER_TOO_SMALL);
    TRUE(count == 0 && n == NOOK_RECORD_HEADER_LEN + 3 + size);
    EXPECT(nook_cursor_next(cursor, NULL, 0, &count, &n, NULL), NOOK_BUFFER_TOO_SMALL);
    size_t need = n;
    uint8_t *page = malloc(need);
    EXPECT(nook_cursor_next(cursor, page, need, &count, &n, NULL), NOOK_OK);
    TRUE(count == 1 && n == need && memcmp(page + NOOK_RECORD_HEADER_LEN, "big", 3) == 0 &&
         memcmp(page + NOOK_RECORD_HEADER_LEN + 3, value, size) == 0);
    EXPECT(nook_cursor_next(cursor, page, need, &count, &n, NULL), NOOK_OK);
    TRUE(count == 0);
    EXPECT(nook_cursor_next(cursor, page, need, &count, &n, NULL), NOOK_OK); /* the end stays the end */
    TRUE(count == 0);
    EXPECT(nook_cursor_close(cursor), NOOK_OK);
    /* an empty-looking value: a zero-length byte string */
    uint8_t empty_bstr = 0x40;
    EXPECT(nook_put(db, K("e"), &empty_bstr, 1, NULL), NOOK_OK);
    free(page);
    free(copy);
    free(value);
    EXPECT(nook_close(db), NOOK_OK);
}

static void test_cursor_packing(void) {
    uint64_t db = memory_db(0), cursor = 0;
    char key[8];
    for (int i = 0; i < 300; i++) {
        int len = snprintf(key, sizeof key, "k%03d", i);
        uint8_t v = (uint8_t)(i % 24);
        EXPECT(nook_put(db, (const uint8_t *)key, (size_t)len, &v, 1, NULL), NOOK_OK);
    }
    EXPECT(nook_cursor_open(db, K("k1"), &cursor, NULL), NOOK_OK);
    uint8_t page[100]; /* 7 records of 13 bytes fit */
    size_t count = 0, len = 0, total = 0, calls = 0;
    int seen[100] = {0};
    do {
        EXPECT(nook_cursor_next(cursor, page, sizeof page, &count, &len, NULL), NOOK_OK);
        TRUE(count <= 7 && len == count * 13);
        for (size_t i = 0; i < count; i++) {
            const uint8_t *r = page + i * 13;
            int idx = (r[10] - '0') * 10 + (r[11] - '0');
            TRUE(r[0] == 4 && r[4] == 1 && r[8] == 'k' && r[9] == '1');
            if (idx >= 0 && idx < 100) seen[idx]++;
        }
        total += count;
        calls++;
    } while (count > 0);
    TRUE(total == 100 && calls == 16);
    for (int i = 0; i < 100; i++) TRUE(seen[i] == 1);
    EXPECT(nook_cursor_close(cursor), NOOK_OK);
    EXPECT(nook_close(db), NOOK_OK);
}

int main(int argc, char **argv) {
    port_child_dispatch(argc, argv, child_role);
    if (argc != 2) { fprintf(stderr, "usage: %s TMPDIR\n", argv[0]); return 2; }
    snprintf(dir, sizeof dir, "%s", argv[1]);
    test_version_and_codes();
    test_error_handles();
    test_forged_closed_and_wrong_kind_handles();
    test_cascade_on_close();
    test_finalize();
    test_null_pointers_and_lengths();
    test_batch_records();
    test_large_values_and_buffers();
    test_cursor_packing();
    test_files();
    test_locked_by_another_process();
    test_writers_and_busy();
    test_threads();
    /* every handle made above was closed: nothing leaked */
    uint64_t open = 99;
    EXPECT(nook_handle_count(NULL), NOOK_INVALID_ARGUMENT);
    EXPECT(nook_handle_count(&open), NOOK_OK);
    TRUE(open == 0);
    int failed = atomic_load(&failures);
    printf("misuse: %d checks, %d failed\n", atomic_load(&checks), failed);
    return failed ? 1 : 0;
}
