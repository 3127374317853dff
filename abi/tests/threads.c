/*
 * The C ABI from many threads at once (spec/abi.md, section 4): writers and
 * the busy timeout, a transaction used from threads other than the one that
 * began it, concurrent calls on one handle, concurrent closing, and closing a
 * database while other threads use it. Every status must be a documented one;
 * nothing may crash (valgrind checks the memory side when abi/test.sh runs it).
 */
#include "check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "port.h"

static uint64_t open_memory(uint32_t busy_ms) {
    uint64_t db = 0;
    EXPECT(nook_open_memory(0, 0, busy_ms, &db, NULL), NOOK_OK);
    return db;
}

/* ---------- writers and the busy timeout ---------- */

typedef struct {
    uint64_t handle;
    int32_t status;
    double done_ms;
} Job;

static void *put_on(void *arg) {
    Job *job = arg;
    job->status = nook_put(job->handle, K("waiter"), VAL, NULL);
    job->done_ms = port_now_ms();
    return NULL;
}

static void *begin_write_on(void *arg) {
    Job *job = arg;
    uint64_t txn = 0;
    job->status = nook_begin_write(job->handle, &txn, NULL);
    if (job->status == NOOK_OK) nook_txn_rollback(txn);
    return NULL;
}

void test_writers_and_busy(void) {
    /* one writer: the second waits the busy timeout, then BUSY */
    uint64_t db = open_memory(50), txn = 0, other = 0, err = 0;
    EXPECT(nook_begin_write(db, &txn, NULL), NOOK_OK);
    double t0 = port_now_ms();
    EXPECT(nook_begin_write(db, &other, NULL), NOOK_BUSY);
    TRUE(port_now_ms() - t0 >= 40);
    /* the same thread writing through the database gets BUSY, not a deadlock */
    t0 = port_now_ms();
    EXPECT(nook_put(db, K("k"), VAL, &err), NOOK_BUSY);
    TRUE(port_now_ms() - t0 >= 40);
    char msg[400];
    size_t len = 0;
    EXPECT(nook_error_message(err, (uint8_t *)msg, sizeof msg - 1, &len), NOOK_OK);
    msg[len] = 0;
    TRUE(strstr(msg, "write transaction is open") != NULL);
    nook_error_close(err);
    EXPECT(nook_delete(db, K("k"), NULL, NULL), NOOK_BUSY);
    EXPECT(nook_write_batch(db, NULL, 0, NULL), NOOK_BUSY);
    EXPECT(nook_compact(db, NULL, NULL, NULL), NOOK_BUSY);
    EXPECT(nook_sync(db, NULL), NOOK_BUSY);
    uint64_t count = 9;
    EXPECT(nook_count(db, &count, NULL), NOOK_OK); /* reads never wait */
    /* a write in a read transaction is READ_ONLY */
    uint64_t reader = 0;
    EXPECT(nook_begin_read(db, &reader, NULL), NOOK_OK);
    EXPECT(nook_put(reader, K("k"), VAL, NULL), NOOK_READ_ONLY);
    EXPECT(nook_delete(reader, K("k"), NULL, NULL), NOOK_READ_ONLY);
    EXPECT(nook_write_batch(reader, NULL, 0, NULL), NOOK_READ_ONLY);
    EXPECT(nook_txn_commit(reader, NULL), NOOK_OK);
    EXPECT(nook_txn_commit(txn, NULL), NOOK_OK);
    EXPECT(nook_put(db, K("k"), VAL, NULL), NOOK_OK);
    EXPECT(nook_close(db), NOOK_OK);

    /* busy timeout 0: fail at once, also from another thread */
    db = open_memory(0);
    EXPECT(nook_begin_write(db, &txn, NULL), NOOK_OK);
    Job job = {db, -1, 0};
    PortThread thread;
    port_thread_start(&thread, begin_write_on, &job);
    port_thread_join(thread);
    EXPECT(job.status, NOOK_BUSY);
    EXPECT(nook_txn_rollback(txn), NOOK_OK);
    EXPECT(nook_close(db), NOOK_OK);

    /* two handles on one file share the writer: a write through the second
       while the first has a write transaction is BUSY, not a deadlock */
    char path[600];
    path_in_dir(path, sizeof path, "two-handles.nook");
    uint64_t db2 = 0;
    EXPECT(nook_open((const uint8_t *)path, strlen(path), NOOK_OPEN_CREATE, 0, 0, 30, &db, NULL), NOOK_OK);
    EXPECT(nook_open((const uint8_t *)path, strlen(path), NOOK_OPEN_CREATE, 0, 0, 30, &db2, NULL), NOOK_OK);
    EXPECT(nook_begin_write(db, &txn, NULL), NOOK_OK);
    EXPECT(nook_put(db2, K("k"), VAL, NULL), NOOK_BUSY);
    EXPECT(nook_begin_write(db2, &other, NULL), NOOK_BUSY);
    EXPECT(nook_close(db), NOOK_OK); /* rolls the transaction back */
    EXPECT(nook_put(db2, K("k"), VAL, NULL), NOOK_OK);
    EXPECT(nook_close(db2), NOOK_OK);

    /* NOOK_WAIT_FOREVER: another thread's auto-commit write waits for the commit */
    db = open_memory(NOOK_WAIT_FOREVER);
    EXPECT(nook_begin_write(db, &txn, NULL), NOOK_OK);
    job = (Job){db, -1, 0};
    port_thread_start(&thread, put_on, &job);
    port_sleep_ms(100);
    double committed = port_now_ms();
    EXPECT(nook_put(txn, K("first"), VAL, NULL), NOOK_OK);
    EXPECT(nook_txn_commit(txn, NULL), NOOK_OK);
    port_thread_join(thread);
    EXPECT(job.status, NOOK_OK);
    TRUE(job.done_ms >= committed);
    EXPECT(nook_count(db, &count, NULL), NOOK_OK);
    TRUE(count == 2);
    EXPECT(nook_close(db), NOOK_OK);
}

/* ---------- many threads ---------- */

#define THREADS 8
#define ROUNDS 150

typedef struct {
    uint64_t db, txn, cursor, handle;
    int id;
    int32_t status;
    size_t pairs;
    int bad; /* undocumented statuses seen */
} Worker;

/* Auto-commit writes, reads, cursors, batches and read transactions mixed. */
static void *mixed_worker(void *arg) {
    Worker *w = arg;
    char key[32];
    uint8_t buf[64];
    for (int i = 0; i < ROUNDS; i++) {
        int len = snprintf(key, sizeof key, "t%d-%d", w->id, i);
        uint8_t v = (uint8_t)(i % 24);
        if (nook_put(w->db, (const uint8_t *)key, (size_t)len, &v, 1, NULL) != NOOK_OK) w->bad++;
        size_t n = 0;
        if (nook_get(w->db, (const uint8_t *)key, (size_t)len, buf, sizeof buf, &n, NULL) != NOOK_OK || n != 1 ||
            buf[0] != v)
            w->bad++;
        if (i % 10 == 0) {
            uint64_t cursor = 0, reader = 0;
            size_t count = 0, used = 0;
            if (nook_cursor_open(w->db, NULL, 0, &cursor, NULL) != NOOK_OK) w->bad++;
            int32_t s;
            while ((s = nook_cursor_next(cursor, buf, 20, &count, &used, NULL)) == NOOK_OK && count > 0) {
            }
            if (s != NOOK_OK) w->bad++;
            if (nook_cursor_close(cursor) != NOOK_OK) w->bad++;
            if (nook_begin_read(w->db, &reader, NULL) != NOOK_OK) w->bad++;
            uint32_t found = 0;
            if (nook_contains(reader, (const uint8_t *)key, (size_t)len, &found, NULL) != NOOK_OK || !found) w->bad++;
            if (nook_txn_rollback(reader) != NOOK_OK) w->bad++;
        }
    }
    return NULL;
}

/* Puts distinct keys into one shared write transaction. */
static void *txn_worker(void *arg) {
    Worker *w = arg;
    char key[32];
    for (int i = 0; i < ROUNDS; i++) {
        int len = snprintf(key, sizeof key, "x%d-%d", w->id, i);
        if (nook_put(w->txn, (const uint8_t *)key, (size_t)len, VAL, NULL) != NOOK_OK) w->bad++;
    }
    return NULL;
}

/* Drains a shared cursor. */
static void *cursor_worker(void *arg) {
    Worker *w = arg;
    uint8_t buf[40];
    size_t count = 0, used = 0;
    int32_t s;
    while ((s = nook_cursor_next(w->cursor, buf, sizeof buf, &count, &used, NULL)) == NOOK_OK && count > 0)
        w->pairs += count;
    if (s != NOOK_OK) w->bad++;
    return NULL;
}

static void *commit_worker(void *arg) {
    Worker *w = arg;
    w->status = nook_txn_commit(w->txn, NULL);
    return NULL;
}

static void *close_buffer_worker(void *arg) {
    Worker *w = arg;
    w->status = nook_buffer_close(w->handle);
    return NULL;
}

/* Uses a database that another thread closes meanwhile. */
static void *doomed_worker(void *arg) {
    Worker *w = arg;
    uint8_t buf[16];
    for (int i = 0; i < 400; i++) {
        size_t n = 0, count = 0;
        uint64_t h = 0;
        int32_t s[4];
        s[0] = nook_put(w->db, K("k"), VAL, NULL);
        s[1] = nook_get(w->db, K("k"), buf, sizeof buf, &n, NULL);
        s[2] = nook_cursor_open(w->db, NULL, 0, &h, NULL);
        if (s[2] == NOOK_OK) {
            int32_t step = nook_cursor_next(h, buf, sizeof buf, &count, &n, NULL);
            if (step != NOOK_OK && step != NOOK_INVALID_HANDLE && step != NOOK_CLOSED) w->bad++;
            nook_cursor_close(h);
        }
        s[3] = nook_begin_read(w->db, &h, NULL);
        if (s[3] == NOOK_OK) nook_txn_rollback(h);
        for (int j = 0; j < 4; j++)
            if (s[j] != NOOK_OK && s[j] != NOOK_INVALID_HANDLE && s[j] != NOOK_CLOSED && s[j] != NOOK_NOT_FOUND) w->bad++;
        if (s[0] == NOOK_INVALID_HANDLE) w->pairs++; /* counts calls made after the close */
    }
    return NULL;
}

static void run(void *(*fn)(void *), Worker *w, int n) {
    PortThread t[THREADS];
    for (int i = 0; i < n; i++) port_thread_start(&t[i], fn, &w[i]);
    for (int i = 0; i < n; i++) port_thread_join(t[i]);
    for (int i = 0; i < n; i++) TRUE(w[i].bad == 0);
}

void test_threads(void) {
    Worker w[THREADS];
    uint64_t count = 0;

    /* many threads on one database */
    uint64_t db = open_memory(NOOK_WAIT_FOREVER);
    for (int i = 0; i < THREADS; i++) w[i] = (Worker){.db = db, .id = i};
    run(mixed_worker, w, THREADS);
    EXPECT(nook_count(db, &count, NULL), NOOK_OK);
    TRUE(count == THREADS * ROUNDS);

    /* many threads on one write transaction begun by another thread */
    uint64_t txn = 0;
    EXPECT(nook_begin_write(db, &txn, NULL), NOOK_OK);
    for (int i = 0; i < THREADS; i++) w[i] = (Worker){.txn = txn, .id = i};
    run(txn_worker, w, THREADS);
    EXPECT(nook_count(txn, &count, NULL), NOOK_OK);
    TRUE(count == 2 * THREADS * ROUNDS);

    /* one cursor drained by many threads: every pair exactly once */
    uint64_t cursor = 0;
    EXPECT(nook_cursor_open(txn, NULL, 0, &cursor, NULL), NOOK_OK);
    for (int i = 0; i < THREADS; i++) w[i] = (Worker){.cursor = cursor, .id = i};
    run(cursor_worker, w, THREADS);
    size_t pairs = 0;
    for (int i = 0; i < THREADS; i++) pairs += w[i].pairs;
    TRUE(pairs == 2 * THREADS * ROUNDS);

    /* concurrent commits of one transaction: exactly one wins */
    for (int i = 0; i < THREADS; i++) w[i] = (Worker){.txn = txn, .id = i};
    run(commit_worker, w, THREADS);
    int won = 0;
    for (int i = 0; i < THREADS; i++) {
        won += w[i].status == NOOK_OK;
        TRUE(w[i].status == NOOK_OK || w[i].status == NOOK_INVALID_HANDLE || w[i].status == NOOK_CLOSED);
    }
    TRUE(won == 1);
    EXPECT(nook_cursor_close(cursor), NOOK_INVALID_HANDLE); /* closed with its transaction */
    EXPECT(nook_count(db, &count, NULL), NOOK_OK);
    TRUE(count == 2 * THREADS * ROUNDS);

    /* concurrent closes of one buffer: exactly one wins */
    uint64_t buffer = 0;
    EXPECT(nook_get_buffer(db, K("t0-0"), &buffer, NULL), NOOK_OK);
    for (int i = 0; i < THREADS; i++) w[i] = (Worker){.handle = buffer, .id = i};
    run(close_buffer_worker, w, THREADS);
    won = 0;
    for (int i = 0; i < THREADS; i++) won += w[i].status == NOOK_OK;
    TRUE(won == 1);
    EXPECT(nook_close(db), NOOK_OK);

    /* closing a database while other threads use it */
    db = open_memory(NOOK_WAIT_FOREVER);
    for (int i = 0; i < THREADS / 2; i++) w[i] = (Worker){.db = db, .id = i};
    PortThread t[THREADS];
    for (int i = 0; i < THREADS / 2; i++) port_thread_start(&t[i], doomed_worker, &w[i]);
    port_sleep_ms(20);
    EXPECT(nook_close(db), NOOK_OK);
    for (int i = 0; i < THREADS / 2; i++) port_thread_join(t[i]);
    for (int i = 0; i < THREADS / 2; i++) TRUE(w[i].bad == 0);
    EXPECT(nook_close(db), NOOK_INVALID_HANDLE);
}
