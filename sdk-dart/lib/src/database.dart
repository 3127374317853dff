/// The Nook database API: [Nook] (this file), transactions
/// (`transaction.dart`), iteration (`cursor.dart`), batches (`batch.dart`),
/// reports (`reports.dart`), the async worker (`worker.dart`) and the native
/// calls underneath them all (`calls.dart`).
///
/// Data flow of a call: a public method checks that its object is open, turns
/// keys and values into bytes (CBOR for values, via `cbor.dart`), and calls
/// one `_Calls` method, which copies the bytes into reusable native buffers,
/// calls libnook through the generated bindings, and turns a non-zero status
/// into a typed [NookException].
library;

import 'dart:async';
import 'dart:convert' show utf8;
import 'dart:ffi';
import 'dart:isolate';
import 'dart:typed_data';

import 'package:ffi/ffi.dart';

import 'bindings.g.dart';
import 'cbor.dart';
import 'errors.dart';
import 'library.dart';

part 'batch.dart';
part 'calls.dart';
part 'cursor.dart';
part 'reports.dart';
part 'transaction.dart';
part 'worker.dart';

/// An open Nook database: a file, or memory.
///
/// Keys are `String`s (stored as UTF-8) or bytes; values are any of `null`,
/// `bool`, `int`, `double`, `String`, `Uint8List`, `List` and `Map` (stored as
/// CBOR), or raw CBOR bytes through the `...Bytes` methods.
///
/// ```dart
/// final db = Nook.open('app.nook');
/// db.put('user:1', {'name': 'Ada', 'born': 1815});
/// print(db.get('user:1')); // {name: Ada, born: 1815}
/// db.write((txn) {
///   txn.delete('user:1');
///   txn.put('count', 0);
/// });
/// db.close();
/// ```
///
/// Every method here is synchronous and runs on the calling isolate; the
/// `...Async` methods run on a background isolate so a Flutter UI never waits
/// for the disk. Opening a path that is already open in this process (from
/// another isolate, a second Flutter engine, or after a hot restart) attaches
/// to the same database instead of failing.
///
/// [close] releases the database; if a [Nook] is dropped without it, a
/// finalizer closes it when the object is garbage collected. Any use after
/// [close] throws [ClosedException].
final class Nook implements Finalizable {
  Nook._(this._calls, this._handle, this.path, {required bool owned})
      : _owned = owned {
    if (owned) {
      _calls.library.finalizer
          .attach(this, Pointer<Void>.fromAddress(_handle), detach: this);
    }
  }

  /// A [Nook] over a handle owned by another isolate (used by the worker).
  factory Nook._borrow(int handle) =>
      Nook._(_Calls.of(null), handle, null, owned: false);

  final _Calls _calls;
  int _handle;
  final bool _owned;

  /// The file, or null for an in-memory database.
  final String? path;

  /// The write transaction this object has open in this isolate, if any.
  WriteTxn? _activeWrite;

  /// Transactions and cursors of this database that still hold a handle, so
  /// [close] can detach their finalizers (their handles die with the database).
  final List<WeakReference<_Child>> _children = [];

  /// Opens (by default creating) the database file at [path].
  ///
  /// - [create]: create the file when absent (else [NotFoundException]).
  /// - [readOnly]: every write throws [ReadOnlyException]; other read-only
  ///   openers may share the file.
  /// - [durability]: see [Durability].
  /// - [cacheSize] (bytes) and [pageSize] (a power of two from 4096 to 65536,
  ///   for a new file): 0 for the defaults (64 MiB, 4096).
  /// - [busyTimeout]: how long a write waits for another writer (of this
  ///   process) to finish before [BusyException]; null waits forever.
  /// - [libraryPath]: load libnook from this file instead of the bundled one
  ///   (also settable with the `NOOK_LIBRARY_PATH` environment variable).
  ///
  /// Throws [LockedException] when another process has the file open,
  /// [CorruptedException] when it is not a Nook database, [IncompatibleException]
  /// when the library cannot be used, and [InvalidArgumentException] for bad
  /// options.
  static Nook open(
    String path, {
    bool create = true,
    bool readOnly = false,
    Durability durability = Durability.immediate,
    int cacheSize = 0,
    int pageSize = 0,
    Duration? busyTimeout = const Duration(seconds: 5),
    String? libraryPath,
  }) {
    _checkSizes(cacheSize, pageSize);
    final calls = _Calls.of(libraryPath);
    final handle = calls.open(path, _flags(create, readOnly, durability),
        cacheSize, pageSize, _busyMillis(busyTimeout));
    return Nook._(calls, handle, path, owned: true);
  }

  /// [open] on the worker isolate, so a UI isolate does not wait for the file
  /// to be opened (which may read and verify its header). The returned [Nook]
  /// belongs to the calling isolate like one from [open].
  static Future<Nook> openAsync(
    String path, {
    bool create = true,
    bool readOnly = false,
    Durability durability = Durability.immediate,
    int cacheSize = 0,
    int pageSize = 0,
    Duration? busyTimeout = const Duration(seconds: 5),
    String? libraryPath,
  }) async {
    _checkSizes(cacheSize, pageSize);
    final calls = _Calls.of(libraryPath);
    final flags = _flags(create, readOnly, durability);
    final busy = _busyMillis(busyTimeout);
    final worker = await _Worker.of(calls.library.path);
    final handle = (await worker.run(
        _openJob(path, flags, cacheSize, pageSize, busy), path)) as int;
    return Nook._(calls, handle, path, owned: true);
  }

  static int _flags(bool create, bool readOnly, Durability durability) {
    var flags = 0;
    if (create) flags |= nookOpenCreate;
    if (readOnly) flags |= nookOpenReadOnly;
    if (durability == Durability.relaxed) flags |= nookOpenRelaxed;
    return flags;
  }

  /// Opens a new, empty in-memory database (gone when closed).
  static Nook memory({
    int cacheSize = 0,
    int pageSize = 0,
    Duration? busyTimeout = const Duration(seconds: 5),
    String? libraryPath,
  }) {
    _checkSizes(cacheSize, pageSize);
    final calls = _Calls.of(libraryPath);
    final handle =
        calls.openMemory(cacheSize, pageSize, _busyMillis(busyTimeout));
    return Nook._(calls, handle, null, owned: true);
  }

  static void _checkSizes(int cacheSize, int pageSize) {
    if (cacheSize < 0 || pageSize < 0 || pageSize > 0xffffffff) {
      throw InvalidArgumentException(
          'cacheSize ($cacheSize) and pageSize ($pageSize) must be 0 (the '
          'default) or positive; pageSize is a power of two from 4096 to 65536');
    }
  }

  /// The ABI version (`major.minor`) and version text of the loaded library.
  static String libraryVersion({String? libraryPath}) {
    final lib = NookLibrary.load(libraryPath: libraryPath);
    return 'libnook ${lib.version} (ABI ${lib.abiMajor}.${lib.abiMinor})';
  }

  /// Whether [close] was called.
  bool get isClosed => _handle == 0;

  /// The libnook DATABASE handle (valid in every isolate of this process
  /// until [close]), for interop with other native code; [ClosedException]
  /// after [close].
  int get nativeHandle => _h;

  /// The native handle, or [ClosedException] after [close].
  int get _h {
    final h = _handle;
    if (h == 0) {
      throw const ClosedException(
          'the database is closed; open it again to use it');
    }
    return h;
  }

  /// The handle for an auto-commit write, refusing one that would wait on
  /// this object's own open write transaction.
  int get _writeH {
    final h = _h;
    if (_activeWrite != null) {
      throw const BusyException(
          'a write transaction of this database is open in this isolate; '
          'write through that transaction (txn.put ...) or finish it first');
    }
    return h;
  }

  /// Closes the database: rolls back an open write transaction, ends read
  /// transactions and cursors, and releases the handle. Safe to call twice.
  void close() {
    final h = _release();
    if (h != 0) _calls.close(h);
  }

  /// Marks this object closed on the Dart side (children orphaned, finalizer
  /// detached); returns the handle to close natively, or 0 when there is
  /// nothing to close (already closed, or borrowed).
  int _release() {
    final h = _handle;
    if (h == 0) return 0;
    _handle = 0;
    _activeWrite = null;
    for (final ref in _children) {
      ref.target?._orphan();
    }
    _children.clear();
    if (!_owned) return 0;
    _calls.library.finalizer.detach(this);
    return h;
  }

  void _adopt(_Child child) {
    if (_children.length >= 64) {
      _children.removeWhere((r) => r.target == null || !r.target!._live);
    }
    _children.add(WeakReference(child));
  }

  // ---- typed values ----

  /// The value of [key], or null when absent (use [containsKey] to tell a
  /// stored null from an absent key).
  Object? get(Object key) {
    final bytes = getBytes(key);
    return bytes == null ? null : cborDecode(bytes);
  }

  /// Same as [get].
  Object? operator [](Object key) => get(key);

  /// Same as [put].
  void operator []=(Object key, Object? value) => put(key, value);

  /// Sets [key] to [value], whether or not it exists.
  void put(Object key, Object? value) =>
      _calls.put(_writeH, _keyBytes(key), cborEncode(value));

  /// Adds [key] with [value]; [AlreadyExistsException] when it exists.
  void insert(Object key, Object? value) =>
      _calls.insert(_writeH, _keyBytes(key), cborEncode(value));

  /// Replaces the value of an existing [key]; [NotFoundException] when absent.
  void update(Object key, Object? value) =>
      _calls.update(_writeH, _keyBytes(key), cborEncode(value));

  /// Sets every pair of [entries] in one atomic write.
  void putAll(Map<Object, Object?> entries) {
    final batch = NookBatch();
    entries.forEach(batch.put);
    apply(batch);
  }

  // ---- raw CBOR ----

  /// The CBOR bytes of [key], or null when absent.
  Uint8List? getBytes(Object key) => _calls.get(_h, _keyBytes(key));

  /// Sets [key] to [cbor] (one well-formed CBOR item, else
  /// [InvalidValueException]).
  void putBytes(Object key, Uint8List cbor) =>
      _calls.put(_writeH, _keyBytes(key), cbor);

  /// [insert] with raw CBOR.
  void insertBytes(Object key, Uint8List cbor) =>
      _calls.insert(_writeH, _keyBytes(key), cbor);

  /// [update] with raw CBOR.
  void updateBytes(Object key, Uint8List cbor) =>
      _calls.update(_writeH, _keyBytes(key), cbor);

  // ---- keys ----

  /// Deletes [key]; returns whether it existed.
  bool delete(Object key) => _calls.delete(_writeH, _keyBytes(key));

  /// Whether [key] is present.
  bool containsKey(Object key) => _calls.contains(_h, _keyBytes(key));

  /// The number of keys (O(1)).
  int get length => _calls.count(_h);

  /// Whether there is no key.
  bool get isEmpty => length == 0;

  /// Whether there is a key.
  bool get isNotEmpty => length != 0;

  /// Every pair (or those whose key starts with [prefix]) of a snapshot taken
  /// when iteration starts, in no particular order; fetched in batches of many
  /// pairs per native call. Each `iterator` takes a new snapshot.
  Iterable<NookEntry> entries({Object? prefix}) =>
      _Entries(this, null, prefix == null ? Uint8List(0) : _keyBytes(prefix));

  /// Applies [batch] atomically: all of it or none.
  void apply(NookBatch batch) => _calls.writeBatch(_writeH, batch._bytes());

  // ---- transactions ----

  /// Runs [body] in a read transaction (a stable snapshot) and returns its
  /// result. [body] must be synchronous: a callback returning a `Future` is
  /// refused with [InvalidArgumentException], because the transaction cannot
  /// follow the isolate across an `await`.
  R read<R>(R Function(ReadTxn txn) body) {
    _refuseAsync(_returnsFuture(body));
    final txn = beginRead();
    try {
      final result = body(txn);
      _refuseAsync(result is Future<Object?>);
      return result;
    } finally {
      if (txn.isOpen) txn.end();
    }
  }

  /// Runs [body] in the write transaction and commits it when [body] returns;
  /// rolls it back when [body] throws (and rethrows). [body] must be
  /// synchronous (see [read]).
  R write<R>(R Function(WriteTxn txn) body) {
    _refuseAsync(_returnsFuture(body));
    final txn = beginWrite();
    try {
      final result = body(txn);
      _refuseAsync(result is Future<Object?>);
      txn.commit();
      return result;
    } finally {
      if (txn.isOpen) txn.rollback();
    }
  }

  /// Whether [body] is declared to return a Future (an `async` callback).
  /// A callback that only throws has return type `Never`, which is a subtype
  /// of every Future type, so it is excluded.
  static bool _returnsFuture(Function body) =>
      body is Future<Object?> Function(Never) && body is! Never Function(Never);

  static void _refuseAsync(bool isAsync) {
    if (isAsync) {
      throw const InvalidArgumentException(
          'a transaction callback must be synchronous (it returned a Future); '
          'the transaction was ended. Do the async work before or after it, '
          'or use readAsync/writeAsync to run it off this isolate');
    }
  }

  /// Begins a read transaction; end it with [ReadTxn.end]. Prefer [read].
  ReadTxn beginRead() => ReadTxn._(this, _calls.beginRead(_h));

  /// Begins the write transaction (one at a time per database, waiting up to
  /// the busy timeout for another writer); finish it with [WriteTxn.commit]
  /// or [WriteTxn.rollback]. Prefer [write]: until it is finished, every other
  /// write through this object fails with [BusyException].
  WriteTxn beginWrite() {
    final txn = WriteTxn._(this, _calls.beginWrite(_writeH));
    _activeWrite = txn;
    return txn;
  }

  // ---- maintenance ----

  /// Verifies every page and key; [CorruptedException] names the first bad one.
  CheckReport check() {
    final (pages, keys) = _calls.check(_h);
    return CheckReport._(pages, keys);
  }

  /// Figures about the database.
  NookStats stats() => NookStats._(_calls.stats(_h));

  /// Rewrites the file without its free pages.
  CompactReport compact() {
    final (before, after) = _calls.compact(_writeH);
    return CompactReport._(before, after);
  }

  /// Writes a consistent copy of the last committed state to the new file
  /// [path] (works in memory and read-only too).
  void backup(String path) => _calls.backup(_h, path);

  /// Makes every commit so far durable (for [Durability.relaxed]).
  void sync() => _calls.sync(_h);

  @override
  String toString() =>
      'Nook(${path ?? 'memory'}${isClosed ? ', closed' : ''})';
}
