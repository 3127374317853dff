/*
 * The C conformance runner: runs every case of the case files (spec/conformance, NAME.nkc)
 * (format: spec/conformance/README.md) through the C ABI, as a C user sees it:
 * compiled with a C11 compiler against abi/include/nook.h and linked to
 * libnook (abi/c-build.sh; system services from abi/tests/port.h).
 *
 * Usage: runner CASE_DIR [-v]
 * Prints one line on stdout, `c: N passed, M failed`, details of failures on
 * stderr (every case with -v), and exits 1 when a case failed.
 *
 * Beyond the expected statuses and results, every step also checks the ABI's
 * own promises: a failure other than NOT_FOUND from a get and BUFFER_TOO_SMALL
 * comes with an ERROR handle whose code is the status and whose message names
 * the function; nook_get (through a deliberately small buffer, then a retry)
 * and nook_get_buffer agree; cursors are read through a small buffer that
 * grows on BUFFER_TOO_SMALL; no handle is left open after a case
 * (nook_handle_count).
 */
#include "nook.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "port.h"

/* ---------- small helpers ---------- */

typedef struct {
    uint8_t *data;
    size_t len, cap;
} Bytes;

static void bytes_push(Bytes *b, const void *src, size_t n) {
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + n) cap *= 2;
        b->data = realloc(b->data, cap);
        if (!b->data) { perror("realloc"); exit(2); }
        b->cap = cap;
    }
    if (n) memcpy(b->data + b->len, src, n);
    b->len += n;
}

static void bytes_u32(Bytes *b, uint32_t v) {
    uint8_t le[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    bytes_push(b, le, 4);
}

static uint32_t read_u32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Text that grows. */
typedef struct {
    char *s;
    size_t len, cap;
} Text;

static void text_add(Text *t, const char *fmt, ...) {
    va_list ap;
    for (;;) {
        size_t room = t->cap - t->len;
        va_start(ap, fmt);
        int n = vsnprintf(t->s ? t->s + t->len : NULL, room, fmt, ap);
        va_end(ap);
        if (n < 0) exit(2);
        if ((size_t)n < room) { t->len += (size_t)n; return; }
        t->cap = (t->cap + (size_t)n + 1) * 2;
        t->s = realloc(t->s, t->cap);
        if (!t->s) exit(2);
    }
}

static void text_hex(Text *t, const uint8_t *p, size_t n) {
    if (n == 0) { text_add(t, "\"\""); return; }
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) text_add(t, "%c%c", digits[p[i] >> 4], digits[p[i] & 15]);
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

/* Decodes a byte-string argument: lowercase hex, "" or HEX*N. 0 on success. */
static int decode_bytes(const char *arg, Bytes *out) {
    out->len = 0;
    const char *star = strchr(arg, '*');
    size_t unit_len = star ? (size_t)(star - arg) : strlen(arg);
    unsigned long repeat = 1;
    if (star) {
        char *end;
        repeat = strtoul(star + 1, &end, 10);
        if (*end || end == star + 1) return -1;
    }
    Bytes unit = {0};
    if (!(unit_len == 2 && arg[0] == '"' && arg[1] == '"')) {
        if (unit_len % 2) return -1;
        for (size_t i = 0; i < unit_len; i += 2) {
            int hi = hexval(arg[i]), lo = hexval(arg[i + 1]);
            if (hi < 0 || lo < 0) { free(unit.data); return -1; }
            uint8_t b = (uint8_t)(hi << 4 | lo);
            bytes_push(&unit, &b, 1);
        }
    }
    if (unit.len == 1 && repeat > 1) {
        /* large arguments (64 MiB of one byte) are made with one memset */
        bytes_push(out, NULL, 0);
        out->len = 0;
        uint8_t *grown = realloc(out->data, repeat);
        if (!grown) { perror("realloc"); exit(2); }
        out->data = grown;
        out->cap = repeat;
        memset(out->data, unit.data[0], repeat);
        out->len = repeat;
    } else {
        for (unsigned long r = 0; r < repeat; r++) bytes_push(out, unit.data, unit.len);
    }
    free(unit.data);
    return 0;
}

/* ---------- one case's state ---------- */

#define MAX_TXNS 16
#define MAX_ARGS 256

typedef struct {
    char name[64];
    uint64_t handle;
} Txn;

typedef struct {
    uint64_t db;
    char dir[512];
    char path[600];
    Txn txns[MAX_TXNS];
    int ntxns;
    Text why; /* why the case failed, empty when it passed */
} Case;

static uint64_t *txn_slot(Case *c, const char *name, int create) {
    for (int i = 0; i < c->ntxns; i++)
        if (strcmp(c->txns[i].name, name) == 0) return &c->txns[i].handle;
    if (!create || c->ntxns == MAX_TXNS) return NULL;
    snprintf(c->txns[c->ntxns].name, sizeof c->txns[0].name, "%s", name);
    c->txns[c->ntxns].handle = 0;
    return &c->txns[c->ntxns++].handle;
}

static const char *status_name(int32_t status, char *scratch, size_t n) {
    const uint8_t *text;
    size_t len;
    if (nook_code_name(status, &text, &len) != NOOK_OK) {
        snprintf(scratch, n, "UNKNOWN(%d)", (int)status);
        return scratch;
    }
    snprintf(scratch, n, "%.*s", (int)len, (const char *)text);
    return scratch;
}

/*
 * Checks the ERROR handle a call returned with `status`, then closes it.
 * `quiet` is true when the ABI promises no handle (NOT_FOUND from a get,
 * BUFFER_TOO_SMALL). Returns 0 when the ABI kept its promise.
 */
static int check_error(Case *c, const char *fn, int32_t status, uint64_t err, int quiet) {
    if (status == NOOK_OK || quiet) {
        if (err != 0) {
            text_add(&c->why, "%s returned %d with a non-zero error handle; ", fn, (int)status);
            return -1;
        }
        return 0;
    }
    if (err == 0) {
        text_add(&c->why, "%s failed (%d) without an ERROR handle; ", fn, (int)status);
        return -1;
    }
    int32_t code = -1;
    size_t len = 0;
    int rc = 0;
    if (nook_error_code(err, &code) != NOOK_OK || code != status) {
        text_add(&c->why, "%s: the ERROR handle's code %d is not the status %d; ", fn, (int)code, (int)status);
        rc = -1;
    }
    if (nook_error_message(err, NULL, 0, &len) != NOOK_BUFFER_TOO_SMALL && len != 0) rc = -1;
    char *msg = malloc(len + 1);
    if (nook_error_message(err, (uint8_t *)msg, len, &len) != NOOK_OK || len < strlen(fn) ||
        strncmp(msg, fn, strlen(fn)) != 0) {
        text_add(&c->why, "%s: the error message does not start with the function name; ", fn);
        rc = -1;
    }
    free(msg);
    if (nook_error_close(err) != NOOK_OK || nook_error_close(err) != NOOK_INVALID_HANDLE) {
        text_add(&c->why, "%s: closing the ERROR handle twice did not give OK then INVALID_HANDLE; ", fn);
        rc = -1;
    }
    return rc;
}

/* ---------- the operations ---------- */

static int32_t do_get(Case *c, uint64_t target, Bytes *key, Text *result) {
    uint64_t err = 0;
    uint8_t small[4];
    size_t len = 0;
    int32_t s = nook_get(target, key->data, key->len, small, sizeof small, &len, &err);
    check_error(c, "nook_get", s, err, s == NOOK_NOT_FOUND || s == NOOK_BUFFER_TOO_SMALL);
    uint8_t *value = small;
    uint8_t *big = NULL;
    if (s == NOOK_BUFFER_TOO_SMALL) {
        big = malloc(len);
        value = big;
        size_t again = 0;
        s = nook_get(target, key->data, key->len, big, len, &again, &err);
        check_error(c, "nook_get", s, err, s == NOOK_NOT_FOUND);
        if (s == NOOK_OK && again != len) text_add(&c->why, "nook_get: the retry's length differs; ");
    }
    /* nook_get_buffer must agree with nook_get. */
    uint64_t buffer = 0;
    int32_t s2 = nook_get_buffer(target, key->data, key->len, &buffer, &err);
    check_error(c, "nook_get_buffer", s2, err, s2 == NOOK_NOT_FOUND);
    if (s2 != s) text_add(&c->why, "nook_get gave %d but nook_get_buffer %d; ", (int)s, (int)s2);
    if (s2 == NOOK_OK) {
        const uint8_t *data;
        size_t n;
        if (nook_buffer_data(buffer, &data, &n) != NOOK_OK || (s == NOOK_OK && (n != len || memcmp(data, value, n))))
            text_add(&c->why, "nook_get_buffer's bytes differ from nook_get's; ");
        if (nook_buffer_close(buffer) != NOOK_OK) text_add(&c->why, "nook_buffer_close failed; ");
    } else if (buffer != 0) {
        text_add(&c->why, "nook_get_buffer failed but wrote a handle; ");
    }
    if (s == NOOK_OK) text_hex(result, value, len);
    free(big);
    return s;
}

typedef struct {
    uint8_t *key, *value;
    size_t klen, vlen;
} Pair;

static int pair_cmp(const void *a, const void *b) {
    const Pair *x = a, *y = b;
    size_t n = x->klen < y->klen ? x->klen : y->klen;
    int r = memcmp(x->key, y->key, n);
    if (r) return r;
    return (x->klen > y->klen) - (x->klen < y->klen);
}

static int32_t do_scan(Case *c, uint64_t target, Bytes *prefix, Text *result) {
    uint64_t err = 0, cursor = 0;
    int32_t s = nook_cursor_open(target, prefix->data, prefix->len, &cursor, &err);
    check_error(c, "nook_cursor_open", s, err, 0);
    if (s != NOOK_OK) return s;
    size_t cap = 32, npairs = 0, room = 0;
    uint8_t *buf = malloc(cap);
    Pair *pairs = NULL;
    for (;;) {
        size_t count = 0, len = 0;
        s = nook_cursor_next(cursor, buf, cap, &count, &len, &err);
        check_error(c, "nook_cursor_next", s, err, s == NOOK_BUFFER_TOO_SMALL);
        if (s == NOOK_BUFFER_TOO_SMALL) {
            if (len <= cap) { text_add(&c->why, "BUFFER_TOO_SMALL without a larger length; "); break; }
            cap = len;
            buf = realloc(buf, cap);
            continue;
        }
        if (s != NOOK_OK || count == 0) break;
        size_t at = 0;
        for (size_t i = 0; i < count; i++) {
            if (at + NOOK_RECORD_HEADER_LEN > len) { text_add(&c->why, "a cursor record overruns len; "); break; }
            uint32_t klen = read_u32(buf + at), vlen = read_u32(buf + at + 4);
            if (at + NOOK_RECORD_HEADER_LEN + klen + vlen > len) { text_add(&c->why, "a cursor record overruns len; "); break; }
            if (npairs == room) {
                room = room ? room * 2 : 16;
                pairs = realloc(pairs, room * sizeof *pairs);
            }
            Pair *p = &pairs[npairs++];
            p->klen = klen;
            p->vlen = vlen;
            p->key = malloc(klen ? klen : 1);
            p->value = malloc(vlen ? vlen : 1);
            memcpy(p->key, buf + at + 8, klen);
            memcpy(p->value, buf + at + 8 + klen, vlen);
            at += NOOK_RECORD_HEADER_LEN + klen + vlen;
        }
        if (at != len) text_add(&c->why, "cursor records do not add up to len; ");
    }
    if (nook_cursor_close(cursor) != NOOK_OK && s == NOOK_OK)
        text_add(&c->why, "nook_cursor_close of an open cursor failed; ");
    qsort(pairs, npairs, sizeof *pairs, pair_cmp);
    for (size_t i = 0; i < npairs; i++) {
        if (i) text_add(result, " ");
        text_hex(result, pairs[i].key, pairs[i].klen);
        text_add(result, "=");
        text_hex(result, pairs[i].value, pairs[i].vlen);
        free(pairs[i].key);
        free(pairs[i].value);
    }
    free(pairs);
    free(buf);
    return s;
}

static int32_t do_batch(Case *c, uint64_t target, char **args, int nargs) {
    Bytes records = {0}, key = {0}, value = {0};
    for (int i = 0; i < nargs;) {
        int put = strcmp(args[i], "put") == 0, del = strcmp(args[i], "delete") == 0;
        int need = put ? 3 : 2;
        if ((!put && !del) || i + need > nargs || decode_bytes(args[i + 1], &key) ||
            (put && decode_bytes(args[i + 2], &value))) {
            text_add(&c->why, "malformed batch arguments; ");
            free(records.data); free(key.data); free(value.data);
            return -1;
        }
        uint8_t op = put ? NOOK_BATCH_PUT : NOOK_BATCH_DELETE;
        bytes_push(&records, &op, 1);
        bytes_u32(&records, (uint32_t)key.len);
        bytes_u32(&records, put ? (uint32_t)value.len : 0);
        bytes_push(&records, key.data, key.len);
        if (put) bytes_push(&records, value.data, value.len);
        i += need;
    }
    uint64_t err = 0;
    int32_t s = nook_write_batch(target, records.data, records.len, &err);
    check_error(c, "nook_write_batch", s, err, 0);
    free(records.data); free(key.data); free(value.data);
    return s;
}

static void close_all(Case *c) {
    for (int i = 0; i < c->ntxns; i++) {
        if (c->txns[i].handle) nook_txn_rollback(c->txns[i].handle);
        c->txns[i].handle = 0;
    }
    if (c->db) nook_close(c->db);
    c->db = 0;
}

static int32_t open_file(Case *c, uint32_t flags) {
    uint64_t err = 0;
    int32_t s = nook_open((const uint8_t *)c->path, strlen(c->path), flags, 0, 0, 0, &c->db, &err);
    check_error(c, "nook_open", s, err, 0);
    if (s != NOOK_OK) c->db = 0;
    return s;
}

/*
 * Runs one step. Returns the status (or -1 for a malformed step) and appends
 * the step's result text to `result`.
 */
static int32_t run_step(Case *c, const char *txn, const char *op, char **args, int nargs, Text *result) {
    uint64_t target = c->db, err = 0;
    if (txn) {
        uint64_t *slot = txn_slot(c, txn, 0);
        if (!slot) { text_add(&c->why, "unknown transaction %s; ", txn); return -1; }
        target = *slot;
    }
    Bytes a = {0}, b = {0};
    int32_t s = -1;
#define ARG(i, dst) (nargs > (i) && decode_bytes(args[i], dst) == 0)
    if (strcmp(op, "open") == 0 && nargs == 1 && strcmp(args[0], "memory") == 0) {
        s = nook_open_memory(0, 0, 0, &c->db, &err);
        check_error(c, "nook_open_memory", s, err, 0);
    } else if (strcmp(op, "open") == 0 && nargs == 1 && strcmp(args[0], "file") == 0) {
        s = open_file(c, NOOK_OPEN_CREATE);
    } else if (strcmp(op, "reopen") == 0 && (nargs == 0 || (nargs == 1 && strcmp(args[0], "read_only") == 0))) {
        if (c->db) nook_close(c->db);
        c->db = 0;
        s = open_file(c, nargs ? NOOK_OPEN_READ_ONLY : NOOK_OPEN_CREATE);
    } else if (strcmp(op, "close") == 0 && nargs == 0) {
        s = nook_close(c->db); /* the handle is kept: later steps must see INVALID_HANDLE */
    } else if (strcmp(op, "get") == 0 && nargs == 1 && ARG(0, &a)) {
        s = do_get(c, target, &a, result);
    } else if ((strcmp(op, "put") == 0 || strcmp(op, "insert") == 0 || strcmp(op, "update") == 0) &&
               nargs == 2 && ARG(0, &a) && ARG(1, &b)) {
        int32_t (*fn)(uint64_t, const uint8_t *, size_t, const uint8_t *, size_t, uint64_t *) =
            op[0] == 'p' ? nook_put : op[0] == 'i' ? nook_insert : nook_update;
        s = fn(target, a.data, a.len, b.data, b.len, &err);
        check_error(c, op[0] == 'p' ? "nook_put" : op[0] == 'i' ? "nook_insert" : "nook_update", s, err, 0);
    } else if (strcmp(op, "delete") == 0 && nargs == 1 && ARG(0, &a)) {
        uint32_t existed = 7;
        s = nook_delete(target, a.data, a.len, &existed, &err);
        check_error(c, "nook_delete", s, err, 0);
        if (s == NOOK_OK) text_add(result, existed == 1 ? "true" : existed == 0 ? "false" : "bad");
    } else if (strcmp(op, "contains") == 0 && nargs == 1 && ARG(0, &a)) {
        uint32_t found = 7;
        s = nook_contains(target, a.data, a.len, &found, &err);
        check_error(c, "nook_contains", s, err, 0);
        if (s == NOOK_OK) text_add(result, found == 1 ? "true" : found == 0 ? "false" : "bad");
    } else if (strcmp(op, "count") == 0 && nargs == 0) {
        uint64_t n = 0;
        s = nook_count(target, &n, &err);
        check_error(c, "nook_count", s, err, 0);
        if (s == NOOK_OK) text_add(result, "%llu", (unsigned long long)n);
    } else if (strcmp(op, "batch") == 0) {
        s = do_batch(c, target, args, nargs);
    } else if (strcmp(op, "scan") == 0 && nargs <= 1 && (nargs == 0 || ARG(0, &a))) {
        s = do_scan(c, target, &a, result);
    } else if ((strcmp(op, "begin_read") == 0 || strcmp(op, "begin_write") == 0) && nargs == 1 && !txn) {
        uint64_t *slot = txn_slot(c, args[0], 1);
        if (!slot) { text_add(&c->why, "too many transactions; "); return -1; }
        int write = op[6] == 'w';
        s = write ? nook_begin_write(c->db, slot, &err) : nook_begin_read(c->db, slot, &err);
        check_error(c, write ? "nook_begin_write" : "nook_begin_read", s, err, 0);
        if (s != NOOK_OK) *slot = 0;
    } else if ((strcmp(op, "commit") == 0 || strcmp(op, "rollback") == 0 || strcmp(op, "end") == 0) && nargs == 1) {
        uint64_t *slot = txn_slot(c, args[0], 0);
        if (!slot) { text_add(&c->why, "unknown transaction %s; ", args[0]); return -1; }
        if (op[0] == 'c') {
            s = nook_txn_commit(*slot, &err);
            check_error(c, "nook_txn_commit", s, err, 0);
        } else {
            s = nook_txn_rollback(*slot);
        }
        /* the handle value is kept: a later use must give INVALID_HANDLE */
    } else if (strcmp(op, "check") == 0 && nargs == 0) {
        uint64_t pages = 0, keys = 0;
        s = nook_check(c->db, &pages, &keys, &err);
        check_error(c, "nook_check", s, err, 0);
    } else if (strcmp(op, "compact") == 0 && nargs == 0) {
        s = nook_compact(c->db, NULL, NULL, &err);
        check_error(c, "nook_compact", s, err, 0);
    } else {
        text_add(&c->why, "unknown or malformed step `%s`; ", op);
    }
#undef ARG
    free(a.data);
    free(b.data);
    return s;
}

/* ---------- files and cases ---------- */

/* Splits `line` in place into whitespace-separated fields. */
static int split(char *line, char **fields, int max) {
    int n = 0;
    for (char *tok = strtok(line, " \t"); tok && n < max; tok = strtok(NULL, " \t")) fields[n++] = tok;
    return n;
}

typedef struct {
    int passed, failed, verbose;
} Totals;

/* Runs the step on `line` of the current case; appends to c->why on mismatch. */
static void step_line(Case *c, char *line, const char *where) {
    char *comment = strstr(line, " #");
    if (comment) *comment = 0;
    char *expect = strstr(line, " => ");
    const char *statuses = "OK", *want = NULL;
    if (expect) {
        *expect = 0;
        expect += 4;
        statuses = expect;
        char *space = strchr(expect, ' ');
        if (space) { *space = 0; want = space + 1; }
    }
    char *fields[MAX_ARGS + 2];
    int n = split(line, fields, MAX_ARGS + 2);
    if (n == 0) return;
    const char *txn = NULL;
    int first = 0;
    size_t l0 = strlen(fields[0]);
    if (l0 > 1 && fields[0][l0 - 1] == ':') {
        fields[0][l0 - 1] = 0;
        txn = fields[0];
        first = 1;
    }
    if (first >= n) { text_add(&c->why, "%s: no operation; ", where); return; }
    Text result = {0};
    text_add(&result, "");
    int32_t s = run_step(c, txn, fields[first], fields + first + 1, n - first - 1, &result);
    char scratch[32];
    const char *got = s < 0 ? "MALFORMED" : status_name(s, scratch, sizeof scratch);
    /* statuses is "A|B|C": is `got` one of them? */
    int ok = 0;
    size_t glen = strlen(got);
    for (const char *p = statuses; *p;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == glen && strncmp(p, got, len) == 0) ok = 1;
        p += len + (bar ? 1 : 0);
    }
    if (!ok) text_add(&c->why, "%s: got %s, want %s; ", where, got, statuses);
    else if (s == NOOK_OK && want && strcmp(result.s, want) != 0)
        text_add(&c->why, "%s: got result `%.200s`, want `%.200s`; ", where, result.s, want);
    else if (s == NOOK_OK && !want && !strcmp(fields[first], "scan") && result.len)
        text_add(&c->why, "%s: got result `%.200s`, want none; ", where, result.s);
    free(result.s);
}

static int run_file(const char *file, const char *name, Totals *t) {
    FILE *f = fopen(file, "r");
    if (!f) { perror(file); return -1; }
    char *line = NULL;
    size_t cap = 0;
    long got;
    int lineno = 0, in_case = 0;
    Case c;
    char case_name[256] = "";
    uint64_t handles_before = 0;
    while ((got = port_read_line(f, &line, &cap)) >= 0) {
        lineno++;
        while (got > 0 && (line[got - 1] == '\n' || line[got - 1] == '\r' || line[got - 1] == ' ')) line[--got] = 0;
        char *p = line;
        while (*p == ' ' || *p == '\t') p++;
        if (*p == 0 || *p == '#') continue;
        if (strncmp(p, "case ", 5) == 0) {
            memset(&c, 0, sizeof c);
            sscanf(p + 5, "%255s", case_name);
            if (port_make_temp_dir(c.dir, sizeof c.dir, port_temp_root(), "nook-c") != 0) exit(2);
            snprintf(c.path, sizeof c.path, "%s/db.nook", c.dir);
            text_add(&c.why, "");
            nook_handle_count(&handles_before);
            in_case = 1;
        } else if (strcmp(p, "end") == 0 && in_case) {
            close_all(&c);
            port_remove_tree(c.dir);
            uint64_t handles_after = 0;
            nook_handle_count(&handles_after);
            if (handles_after != handles_before)
                text_add(&c.why, "%llu handles were open before the case and %llu after it (a leak); ",
                         (unsigned long long)handles_before, (unsigned long long)handles_after);
            if (c.why.len) {
                t->failed++;
                fprintf(stderr, "c: FAIL %s (%s): %s\n", case_name, name, c.why.s);
            } else {
                t->passed++;
                if (t->verbose) fprintf(stderr, "c: ok %s\n", case_name);
            }
            free(c.why.s);
            in_case = 0;
        } else if (in_case) {
            char where[300];
            snprintf(where, sizeof where, "%s:%d", name, lineno);
            step_line(&c, p, where);
        } else {
            fprintf(stderr, "%s:%d: a step outside a case\n", name, lineno);
            t->failed++;
        }
    }
    free(line);
    fclose(f);
    if (in_case) { fprintf(stderr, "%s: case %s has no end\n", name, case_name); t->failed++; }
    return 0;
}

static int cmp_names(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

#define MAX_CASES 256

/* The names of the case files (NAME.nkc) in the case folder. */
typedef struct {
    char *name[MAX_CASES];
    int n;
} CaseNames;

/* port_list_dir's callback: keeps `name` when it is a case file; 1 when
 * there are too many. */
static int add_case_name(const char *name, void *context) {
    CaseNames *names = context;
    size_t len = strlen(name);
    if (len <= 4 || strcmp(name + len - 4, ".nkc") != 0) return 0;
    if (names->n == MAX_CASES) return 1;
    char *copy = malloc(len + 1);
    if (!copy) { perror("malloc"); exit(2); }
    memcpy(copy, name, len + 1);
    names->name[names->n++] = copy;
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: %s CASE_DIR [-v]\n", argv[0]); return 2; }
    Totals t = {0, 0, argc > 2 && strcmp(argv[2], "-v") == 0};
    uint32_t major = 0, minor = 0;
    if (nook_abi_version(&major, &minor) != NOOK_OK || major != NOOK_ABI_VERSION_MAJOR || minor < NOOK_ABI_VERSION_MINOR) {
        printf("c: 0 passed, 1 failed\n");
        fprintf(stderr, "c: the library's ABI version %u.%u does not match the header's %d.%d\n", major, minor,
                NOOK_ABI_VERSION_MAJOR, NOOK_ABI_VERSION_MINOR);
        return 1;
    }
    CaseNames names = {.n = 0};
    int listed = port_list_dir(argv[1], add_case_name, &names);
    if (listed != 0) {
        printf("c: 0 passed, 1 failed\n");
        if (listed > 0) fprintf(stderr, "c: more than %d cases in %s; raise the runner's limit\n", MAX_CASES, argv[1]);
        else fprintf(stderr, "c: could not list the case folder %s\n", argv[1]);
        for (int i = 0; i < names.n; i++) free(names.name[i]);
        return 1;
    }
    int n = names.n;
    if (n == 0) {
        /* Passing with no case run would prove nothing. */
        printf("c: 0 passed, 1 failed\n");
        fprintf(stderr, "c: no .nkc case in %s\n", argv[1]);
        return 1;
    }
    qsort(names.name, (size_t)n, sizeof *names.name, cmp_names);
    for (int i = 0; i < n; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", argv[1], names.name[i]);
        run_file(path, names.name[i], &t);
        free(names.name[i]);
    }
    printf("c: %d passed, %d failed\n", t.passed, t.failed);
    return t.failed ? 1 : 0;
}
