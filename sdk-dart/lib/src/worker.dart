part of 'database.dart';

/// The async API: database work on one persistent background isolate per
/// calling isolate, so the caller (a Flutter UI isolate) never blocks on the
/// disk or on another writer.
///
/// The worker uses the caller's handles directly: a libnook handle is valid in
/// every isolate of the process. Jobs are closures built by the top-level
/// functions below, so they capture only sendable values (ints and bytes),
/// never a [Nook] or a native pointer. Byte results travel back as
/// [TransferableTypedData], which is moved rather than copied.
final class _Worker {
  _Worker._(this._commands, this._replies);

  static Future<_Worker>? _starting;

  /// The worker of this isolate, spawned on first use with the same library.
  static Future<_Worker> of(String? libraryPath) =>
      _starting ??= _spawn(libraryPath);

  final SendPort _commands;
  final RawReceivePort _replies;
  final Map<int, (Completer<Object?>, Object)> _pending = {};
  int _nextId = 0;
  bool _dead = false;

  static Future<_Worker> _spawn(String? libraryPath) async {
    final ready = Completer<SendPort>();
    _Worker? worker;
    final replies = RawReceivePort();
    final exits = RawReceivePort();
    replies.handler = (Object? message) {
      if (message is SendPort) {
        ready.complete(message);
      } else {
        worker?._reply(message);
      }
    };
    exits.handler = (Object? _) {
      if (!ready.isCompleted) {
        ready.completeError(const InternalException(
            'the Nook worker isolate exited while starting'));
      }
      worker?._died();
      replies.close();
      exits.close();
    };
    exits.keepIsolateAlive = false;
    try {
      await Isolate.spawn<(SendPort, String?)>(
          _workerMain, (replies.sendPort, libraryPath),
          onExit: exits.sendPort, debugName: 'nook worker');
      final commands = await ready.future;
      // When this isolate exits (or is hot-restarted), the worker exits too.
      Isolate.current.addOnExitListener(commands, response: null);
      final created = _Worker._(commands, replies);
      worker = created;
      replies.keepIsolateAlive = false;
      return created;
    } on Object {
      _starting = null;
      replies.close();
      exits.close();
      rethrow;
    }
  }

  /// Runs [job] on the worker; [owner] is kept alive until it completes (so a
  /// dropped [Nook] is not finalized under a running job).
  Future<Object?> run(Object? Function() job, Object owner) {
    if (_dead) {
      return Future.error(const InternalException(
          'the Nook worker isolate has exited; no async call can run'));
    }
    final id = _nextId++;
    final completer = Completer<Object?>();
    try {
      _commands.send((id, job));
    } on Object catch (e) {
      return Future.error(InvalidArgumentException(
          'the callback cannot be sent to the worker isolate ($e); it must '
          'capture only sendable values (no Nook, no open file, no '
          'ReceivePort, no native pointer)'));
    }
    _pending[id] = (completer, owner);
    _replies.keepIsolateAlive = true;
    return completer.future;
  }

  void _reply(Object? message) {
    final (id, ok, value, stack) = message as (int, bool, Object?, String?);
    final entry = _pending.remove(id);
    if (_pending.isEmpty) _replies.keepIsolateAlive = false;
    if (entry == null) return;
    final completer = entry.$1;
    if (ok) {
      completer.complete(
          value is TransferableTypedData ? value.materialize().asUint8List() : value);
    } else {
      completer.completeError(
          value ?? const InternalException('the worker failed without an error'),
          stack == null ? null : StackTrace.fromString(stack));
    }
  }

  void _died() {
    _dead = true;
    _starting = null;
    final pending = _pending.values.toList();
    _pending.clear();
    for (final (completer, _) in pending) {
      completer.completeError(const InternalException(
          'the Nook worker isolate exited before finishing this call'));
    }
  }
}

/// The worker isolate's entry point: runs jobs one at a time, in order.
void _workerMain((SendPort, String?) init) {
  final (replies, libraryPath) = init;
  final commands = RawReceivePort();
  commands.handler = (Object? message) {
    if (message == null) {
      commands.close(); // the calling isolate exited
      return;
    }
    final (id, job) = message as (int, Object? Function());
    try {
      _Calls.of(libraryPath);
      replies.send((id, true, job(), null));
    } on Object catch (e, stack) {
      try {
        replies.send((id, false, e, stack.toString()));
      } on Object {
        replies.send((id, false, InternalException('$e'), stack.toString()));
      }
    }
  };
  replies.send(commands.sendPort);
}

Object? _moved(Uint8List? bytes) =>
    bytes == null ? null : TransferableTypedData.fromList([bytes]);

// Job builders. Each captures only its (sendable) arguments.

Object? Function() _openJob(
        String path, int flags, int cacheSize, int pageSize, int busyMs) =>
    () => _Calls.of(null).open(path, flags, cacheSize, pageSize, busyMs);

Object? Function() _closeJob(int db) => () {
      _Calls.of(null).close(db);
      return null;
    };

Object? Function() _getJob(int db, Uint8List key) =>
    () => _moved(Nook._borrow(db).getBytes(key));

Object? Function() _getValueJob(int db, Uint8List key) =>
    () => Nook._borrow(db).get(key);

Object? Function() _putJob(int db, Uint8List key, Uint8List value, int how) =>
    () {
      final nook = Nook._borrow(db);
      switch (how) {
        case 0:
          nook.putBytes(key, value);
        case 1:
          nook.insertBytes(key, value);
        default:
          nook.updateBytes(key, value);
      }
      return null;
    };

Object? Function() _deleteJob(int db, Uint8List key) =>
    () => Nook._borrow(db).delete(key);

Object? Function() _containsJob(int db, Uint8List key) =>
    () => Nook._borrow(db).containsKey(key);

Object? Function() _lengthJob(int db) => () => Nook._borrow(db).length;

Object? Function() _applyJob(int db, Uint8List records) => () {
      Nook._borrow(db)._calls.writeBatch(db, records);
      return null;
    };

Object? Function() _entriesJob(int db, Uint8List prefix) => () {
      final out = BytesBuilder(copy: false);
      for (final e in Nook._borrow(db).entries(prefix: prefix)) {
        final head = ByteData(8)
          ..setUint32(0, e.key.length, Endian.little)
          ..setUint32(4, e.rawValue.length, Endian.little);
        out
          ..add(Uint8List.sublistView(head))
          ..add(e.key)
          ..add(e.rawValue);
      }
      return _moved(out.takeBytes());
    };

Object? Function() _readJob<R>(int db, R Function(ReadTxn) body) =>
    () => Nook._borrow(db).read(body);

Object? Function() _writeJob<R>(int db, R Function(WriteTxn) body) =>
    () => Nook._borrow(db).write(body);

Object? Function() _maintenanceJob(int db, int what, String? path) => () {
      final nook = Nook._borrow(db);
      switch (what) {
        case 0:
          final checked = nook.check();
          return (checked.pagesChecked, checked.keysChecked);
        case 1:
          final compacted = nook.compact();
          return (compacted.sizeBefore, compacted.sizeAfter);
        case 2:
          nook.backup(path!);
          return null;
        case 3:
          return nook._calls.stats(db);
        default:
          nook.sync();
          return null;
      }
    };

List<NookEntry> _unpack(Uint8List packed) {
  final view = ByteData.sublistView(packed);
  final out = <NookEntry>[];
  var pos = 0;
  while (pos < packed.length) {
    final keyLen = view.getUint32(pos, Endian.little);
    final valueLen = view.getUint32(pos + 4, Endian.little);
    final keyAt = pos + 8;
    pos = keyAt + keyLen + valueLen;
    out.add(NookEntry(Uint8List.sublistView(packed, keyAt, keyAt + keyLen),
        Uint8List.sublistView(packed, keyAt + keyLen, pos)));
  }
  return out;
}

/// The async API of [Nook]: the same operations, run on a background isolate.
///
/// The value work (CBOR encoding and decoding) also happens off the calling
/// isolate where it can. A [ClosedException] is thrown at once when the
/// database is already closed; closing it while calls are running makes them
/// fail with [ClosedException] or [InvalidHandleException], never crash.
extension NookAsync on Nook {
  Future<Object?> _run(Object? Function() job) async {
    final worker = await _Worker.of(_calls.library.path);
    return worker.run(job, this);
  }

  /// [Nook.close] with the native close (which may flush a relaxed database
  /// to disk) on the worker isolate. This object is closed at once: any use
  /// after this call throws [ClosedException].
  Future<void> closeAsync() async {
    final h = _release();
    if (h != 0) await _run(_closeJob(h));
  }

  /// [Nook.get] on the worker isolate (the value is decoded there too).
  Future<Object?> getAsync(Object key) async =>
      _run(_getValueJob(_h, _keyBytes(key)));

  /// [Nook.getBytes] on the worker isolate.
  Future<Uint8List?> getBytesAsync(Object key) async =>
      (await _run(_getJob(_h, _keyBytes(key)))) as Uint8List?;

  /// [Nook.put] on the worker isolate.
  Future<void> putAsync(Object key, Object? value) async {
    await _run(_putJob(_writeH, _keyBytes(key), cborEncode(value), 0));
  }

  /// [Nook.insert] on the worker isolate.
  Future<void> insertAsync(Object key, Object? value) async {
    await _run(_putJob(_writeH, _keyBytes(key), cborEncode(value), 1));
  }

  /// [Nook.update] on the worker isolate.
  Future<void> updateAsync(Object key, Object? value) async {
    await _run(_putJob(_writeH, _keyBytes(key), cborEncode(value), 2));
  }

  /// [Nook.putBytes] on the worker isolate.
  Future<void> putBytesAsync(Object key, Uint8List cbor) async {
    await _run(_putJob(_writeH, _keyBytes(key), cbor, 0));
  }

  /// [Nook.delete] on the worker isolate.
  Future<bool> deleteAsync(Object key) async =>
      (await _run(_deleteJob(_writeH, _keyBytes(key)))) as bool;

  /// [Nook.containsKey] on the worker isolate.
  Future<bool> containsKeyAsync(Object key) async =>
      (await _run(_containsJob(_h, _keyBytes(key)))) as bool;

  /// [Nook.length] on the worker isolate.
  Future<int> lengthAsync() async => (await _run(_lengthJob(_h))) as int;

  /// Every pair (or those under [prefix]) of one snapshot, read on the worker
  /// isolate and moved back in one buffer.
  Future<List<NookEntry>> entriesAsync({Object? prefix}) async {
    final p = prefix == null ? Uint8List(0) : _keyBytes(prefix);
    final packed = (await _run(_entriesJob(_h, p))) as Uint8List;
    return _unpack(packed);
  }

  /// [Nook.apply] on the worker isolate.
  Future<void> applyAsync(NookBatch batch) async {
    await _run(_applyJob(_writeH, batch._bytes()));
  }

  /// [Nook.read] on the worker isolate. [body] runs there: it must be
  /// synchronous and capture only sendable values, and its result must be
  /// sendable.
  Future<R> readAsync<R>(R Function(ReadTxn txn) body) async =>
      (await _run(_readJob<R>(_h, body))) as R;

  /// [Nook.write] on the worker isolate (see [readAsync]).
  Future<R> writeAsync<R>(R Function(WriteTxn txn) body) async =>
      (await _run(_writeJob<R>(_writeH, body))) as R;

  /// [Nook.check] on the worker isolate.
  Future<CheckReport> checkAsync() async {
    final (pages, keys) = (await _run(_maintenanceJob(_h, 0, null))) as (int, int);
    return CheckReport._(pages, keys);
  }

  /// [Nook.compact] on the worker isolate.
  Future<CompactReport> compactAsync() async {
    final (before, after) =
        (await _run(_maintenanceJob(_writeH, 1, null))) as (int, int);
    return CompactReport._(before, after);
  }

  /// [Nook.backup] on the worker isolate.
  Future<void> backupAsync(String path) async {
    await _run(_maintenanceJob(_h, 2, path));
  }

  /// [Nook.stats] on the worker isolate.
  Future<NookStats> statsAsync() async =>
      NookStats._((await _run(_maintenanceJob(_h, 3, null))) as List<int>);

  /// [Nook.sync] on the worker isolate.
  Future<void> syncAsync() async {
    await _run(_maintenanceJob(_h, 4, null));
  }
}
