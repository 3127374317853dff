/* Shared helpers of the C misuse tests (misuse.c, files.c, threads.c). */
#ifndef NOOK_TEST_CHECK_H
#define NOOK_TEST_CHECK_H
#include "nook.h"

#include <stdatomic.h>
#include <stddef.h>

/* Counters, updated from many threads: checks run and checks failed. */
extern atomic_int checks, failures;

/* Records a check of a status / a condition; prints the line when it fails. */
void expect_status(const char *file, int line, const char *what, int32_t got, int32_t want);
void expect_true(const char *file, int line, const char *what, int cond);

#define EXPECT(expr, want) expect_status(__FILE__, __LINE__, #expr, (expr), (want))
#define TRUE(cond) expect_true(__FILE__, __LINE__, #cond, (cond))

/* A key or value from a string literal: pointer, length. */
#define K(s) (const uint8_t *)(s), sizeof(s) - 1
static const uint8_t V42[] = {0x18, 0x2a}; /* the CBOR integer 42 */
#define VAL V42, sizeof V42

/* `dir/name`, where dir is the scratch folder given to the test program. */
void path_in_dir(char *out, size_t cap, const char *name);

/* Copies the message of ERROR handle `err` into `out` and closes the handle. */
void message(uint64_t err, char *out, size_t cap);

/* A new in-memory database with the given busy timeout. */
uint64_t memory_db(uint32_t busy_ms);

/* What a child process of the tests does (files.c; see port_child_start). */
int child_role(const char *role, const char *arg);

void test_files(void);
void test_locked_by_another_process(void);
void test_writers_and_busy(void);
void test_threads(void);
#endif
