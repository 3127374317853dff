part of 'database.dart';

/// A block of native memory owned by the SDK: freed by [release], or by a
/// finalizer if it is dropped (so an isolate that exits leaks nothing).
final class _Block implements Finalizable {
  _Block(this.capacity) : pointer = malloc<Uint8>(capacity) {
    _free.attach(this, pointer.cast(), detach: this);
  }

  static final NativeFinalizer _free = NativeFinalizer(malloc.nativeFree);

  final Pointer<Uint8> pointer;
  final int capacity;

  void release() {
    _free.detach(this);
    malloc.free(pointer);
  }
}

/// Values at most this long are read through the isolate's reusable buffer;
/// longer ones through a one-off buffer, so one 64 MiB value does not pin 64
/// MiB of native memory for the life of the isolate.
const int _keepBufferLimit = 1 << 20;

/// Bytes asked for per cursor step (many pairs per FFI call).
const int _cursorBatchBytes = 64 << 10;

/// The calls into libnook for one isolate: argument marshalling into reusable
/// native buffers, out-parameters, and turning a status into a typed
/// exception. Every method is synchronous and finishes with the buffers free,
/// so the reuse is safe (an isolate runs one thing at a time).
final class _Calls {
  _Calls._(this.library)
      : bindings = library.bindings,
        _slots = _Block(64),
        _input = _Block(4096),
        _output = _Block(4096);

  static _Calls? _instance;

  /// The calls object of this isolate, loading the library on first use.
  static _Calls of(String? libraryPath) {
    final current = _instance;
    if (current != null) {
      // Validates that libraryPath agrees with the loaded library.
      NookLibrary.load(libraryPath: libraryPath);
      return current;
    }
    return _instance = _Calls._(NookLibrary.load(libraryPath: libraryPath));
  }

  final NookLibrary library;
  final NookBindings bindings;
  final _Block _slots;
  _Block _input;
  _Block _output;

  Pointer<Uint64> get _handleOut => _slots.pointer.cast<Uint64>();
  Pointer<Uint64> get _errorOut => (_slots.pointer + 8).cast<Uint64>();
  Pointer<Size> get _sizeOut => (_slots.pointer + 16).cast<Size>();
  Pointer<Size> get _sizeOut2 => (_slots.pointer + 24).cast<Size>();
  Pointer<Uint32> get _u32Out => (_slots.pointer + 32).cast<Uint32>();
  Pointer<Uint64> get _u64Out => (_slots.pointer + 40).cast<Uint64>();
  Pointer<Uint64> get _u64Out2 => (_slots.pointer + 48).cast<Uint64>();

  /// Copies [a] (and [b] right after it) into the input buffer.
  Pointer<Uint8> _in(Uint8List a, [Uint8List? b]) {
    final n = a.length + (b?.length ?? 0);
    // Grow for a large argument; shrink back after one, so a single 64 MiB
    // value does not pin 64 MiB for the life of the isolate.
    final shrink = _input.capacity > _keepBufferLimit && n <= _keepBufferLimit;
    if (n > _input.capacity || shrink) {
      _input.release();
      _input = _Block(n < 4096 ? 4096 : n);
    }
    final view = _input.pointer.asTypedList(_input.capacity);
    view.setRange(0, a.length, a);
    if (b != null) view.setRange(a.length, n, b);
    return _input.pointer;
  }

  /// An output buffer of at least [n] bytes (the reusable one when small).
  _Block _out(int n) {
    if (n <= _output.capacity) return _output;
    if (n > _keepBufferLimit) return _Block(n);
    _output.release();
    return _output = _Block(n);
  }

  void _done(_Block block) {
    if (!identical(block, _output)) block.release();
  }

  /// The typed exception for a failed call: the message of its ERROR handle
  /// (then closed), or the code's static meaning when there is none.
  ///
  /// Uses its own buffers: the caller may still hold the reusable ones.
  NookException _failure(int status, {bool hasError = true}) {
    final error = hasError ? _errorOut.value : 0;
    if (error == 0) {
      return NookException.fromCode(status, library.codeMessage(status));
    }
    var block = _Block(512);
    final len = malloc<Size>();
    final osCode = malloc<Int32>();
    try {
      final osErrorCode =
          bindings.nookErrorOsCode(error, osCode) == 0 ? osCode.value : 0;
      while (true) {
        final s = bindings.nookErrorMessage(
            error, block.pointer, block.capacity, len);
        if (s == 0) {
          final message = utf8.decode(block.pointer.asTypedList(len.value),
              allowMalformed: true);
          return NookException.fromCode(status, message,
              osErrorCode: osErrorCode);
        }
        if (s != NookErrorCode.bufferTooSmall) {
          return NookException.fromCode(status, library.codeMessage(status),
              osErrorCode: osErrorCode);
        }
        block.release();
        block = _Block(len.value);
      }
    } finally {
      block.release();
      malloc.free(len);
      malloc.free(osCode);
      bindings.nookErrorClose(error);
    }
  }

  void _check(int status) {
    if (status != 0) throw _failure(status);
  }

  void _checkPlain(int status) {
    if (status != 0) throw _failure(status, hasError: false);
  }

  // ---- databases ----

  int open(String path, int flags, int cacheSize, int pageSize, int busyMs) {
    final p = utf8.encode(path);
    _check(bindings.nookOpen(_in(p), p.length, flags, cacheSize, pageSize,
        busyMs, _handleOut, _errorOut));
    return _handleOut.value;
  }

  int openMemory(int cacheSize, int pageSize, int busyMs) {
    _check(bindings.nookOpenMemory(
        cacheSize, pageSize, busyMs, _handleOut, _errorOut));
    return _handleOut.value;
  }

  void close(int db) => _checkPlain(bindings.nookClose(db));

  void sync(int db) => _check(bindings.nookSync(db, _errorOut));

  (int, int) check(int db) {
    _check(bindings.nookCheck(db, _u64Out, _u64Out2, _errorOut));
    return (_u64Out.value, _u64Out2.value);
  }

  (int, int) compact(int db) {
    _check(bindings.nookCompact(db, _u64Out, _u64Out2, _errorOut));
    return (_u64Out.value, _u64Out2.value);
  }

  void backup(int db, String path) {
    final p = utf8.encode(path);
    _check(bindings.nookBackup(db, _in(p), p.length, _errorOut));
  }

  List<int> stats(int db) {
    final block = _out(nookStatsLen * 8);
    try {
      final fields = block.pointer.cast<Uint64>();
      _check(bindings.nookStats(db, fields, nookStatsLen, _sizeOut, _errorOut));
      return List<int>.generate(nookStatsLen, (i) => fields[i]);
    } finally {
      _done(block);
    }
  }

  // ---- key-value operations on a target (database or transaction) ----

  Uint8List? get(int target, Uint8List key) {
    var block = _output;
    try {
      while (true) {
        final status = bindings.nookGet(target, _in(key), key.length,
            block.pointer, block.capacity, _sizeOut, _errorOut);
        if (status == 0) {
          return Uint8List.fromList(block.pointer.asTypedList(_sizeOut.value));
        }
        if (status == NookErrorCode.notFound) return null;
        if (status != NookErrorCode.bufferTooSmall) throw _failure(status);
        // The value is longer than the buffer: retry with its length (it may
        // change again between the two calls outside a transaction).
        _done(block);
        block = _out(_sizeOut.value);
      }
    } finally {
      _done(block);
    }
  }

  bool contains(int target, Uint8List key) {
    _check(bindings.nookContains(
        target, _in(key), key.length, _u32Out, _errorOut));
    return _u32Out.value != 0;
  }

  int count(int target) {
    _check(bindings.nookCount(target, _u64Out, _errorOut));
    return _u64Out.value;
  }

  void put(int target, Uint8List key, Uint8List value) {
    final p = _in(key, value);
    _check(bindings.nookPut(
        target, p, key.length, p + key.length, value.length, _errorOut));
  }

  void insert(int target, Uint8List key, Uint8List value) {
    final p = _in(key, value);
    _check(bindings.nookInsert(
        target, p, key.length, p + key.length, value.length, _errorOut));
  }

  void update(int target, Uint8List key, Uint8List value) {
    final p = _in(key, value);
    _check(bindings.nookUpdate(
        target, p, key.length, p + key.length, value.length, _errorOut));
  }

  bool delete(int target, Uint8List key) {
    _check(bindings.nookDelete(
        target, _in(key), key.length, _u32Out, _errorOut));
    return _u32Out.value != 0;
  }

  void writeBatch(int target, Uint8List records) {
    _check(bindings.nookWriteBatch(
        target, _in(records), records.length, _errorOut));
  }

  // ---- transactions ----

  int beginRead(int db) {
    _check(bindings.nookBeginRead(db, _handleOut, _errorOut));
    return _handleOut.value;
  }

  int beginWrite(int db) {
    _check(bindings.nookBeginWrite(db, _handleOut, _errorOut));
    return _handleOut.value;
  }

  void commit(int txn) => _check(bindings.nookTxnCommit(txn, _errorOut));

  void rollback(int txn) => _checkPlain(bindings.nookTxnRollback(txn));

  // ---- cursors ----

  int cursorOpen(int target, Uint8List prefix) {
    _check(bindings.nookCursorOpen(
        target, _in(prefix), prefix.length, _handleOut, _errorOut));
    return _handleOut.value;
  }

  /// The next batch of packed records (empty at the end), copied out of
  /// native memory so the caller may run other calls between batches.
  Uint8List cursorNext(int cursor) {
    var block = _out(_cursorBatchBytes);
    try {
      while (true) {
        final status = bindings.nookCursorNext(
            cursor, block.pointer, block.capacity, _sizeOut, _sizeOut2, _errorOut);
        if (status == 0) {
          return Uint8List.fromList(block.pointer.asTypedList(_sizeOut2.value));
        }
        if (status != NookErrorCode.bufferTooSmall) throw _failure(status);
        _done(block);
        block = _out(_sizeOut2.value);
      }
    } finally {
      _done(block);
    }
  }
}

/// The bytes of a key: a `String` (UTF-8) or bytes.
Uint8List _keyBytes(Object key) => switch (key) {
      String s => utf8.encode(s),
      Uint8List b => b,
      List<int> l => _byteList(l),
      _ => throw InvalidArgumentException(
          'a key is a String or bytes (Uint8List or List<int>), not a '
          '${key.runtimeType}'),
    };

Uint8List _byteList(List<int> list) {
  for (final b in list) {
    if (b < 0 || b > 255) {
      throw InvalidArgumentException(
          'a key given as List<int> must hold bytes (0 to 255); found $b');
    }
  }
  return Uint8List.fromList(list);
}

/// The busy timeout argument of `nook_open` for [timeout] (null: forever).
int _busyMillis(Duration? timeout) {
  if (timeout == null) return nookWaitForever;
  final ms = timeout.inMilliseconds;
  if (ms < 0) {
    throw InvalidArgumentException(
        'busyTimeout is negative ($timeout); use Duration.zero to fail at '
        'once, or null to wait forever');
  }
  return ms >= nookWaitForever ? nookWaitForever - 1 : ms;
}
