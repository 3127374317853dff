part of 'database.dart';

/// A native object that belongs to a database (a transaction or a cursor):
/// the database's [Nook.close] closes it natively, so the Dart side must stop
/// using its handle and detach its finalizer.
abstract interface class _Child {
  /// Whether it still holds a handle.
  bool get _live;

  /// Forgets the handle (the database closed it).
  void _orphan();
}

/// The operations shared by read and write transactions.
///
/// A transaction sees one consistent state: a read transaction the snapshot
/// taken when it began, a write transaction that snapshot plus its own writes.
sealed class NookTxn implements Finalizable, _Child {
  NookTxn._(this._db, this._handle) {
    _db._calls.library.finalizer
        .attach(this, Pointer<Void>.fromAddress(_handle), detach: this);
    _db._adopt(this);
  }

  final Nook _db;
  int _handle;

  /// Whether the transaction can still be used.
  bool get isOpen => _handle != 0 && !_db.isClosed;

  @override
  bool get _live => _handle != 0;

  @override
  void _orphan() {
    if (_handle == 0) return;
    _handle = 0;
    _db._calls.library.finalizer.detach(this);
  }

  int get _h {
    if (_db.isClosed) {
      throw const ClosedException(
          'the database of this transaction is closed');
    }
    final h = _handle;
    if (h == 0) {
      throw const ClosedException(
          'the transaction is already committed, rolled back or ended');
    }
    return h;
  }

  /// Releases the handle on the Dart side before the native call that ends
  /// it, so no path can use or finalize it twice.
  int _take() {
    final h = _h;
    _handle = 0;
    _db._calls.library.finalizer.detach(this);
    return h;
  }

  /// The value of [key] in this transaction, or null when absent.
  Object? get(Object key) {
    final bytes = getBytes(key);
    return bytes == null ? null : cborDecode(bytes);
  }

  /// The CBOR bytes of [key], or null when absent.
  Uint8List? getBytes(Object key) => _db._calls.get(_h, _keyBytes(key));

  /// Whether [key] is present.
  bool containsKey(Object key) => _db._calls.contains(_h, _keyBytes(key));

  /// The number of keys.
  int get length => _db._calls.count(_h);

  /// Every pair (or those under [prefix]) as this transaction sees them; the
  /// iteration ends with a [ClosedException] if the transaction ends first.
  Iterable<NookEntry> entries({Object? prefix}) =>
      _Entries(_db, this, prefix == null ? Uint8List(0) : _keyBytes(prefix));
}

/// A read transaction: a stable snapshot. End it with [end] (or use
/// [Nook.read], which does).
final class ReadTxn extends NookTxn {
  ReadTxn._(Nook db, int handle) : super._(db, handle);

  /// Ends the transaction; [ClosedException] if it already ended (or its
  /// database was closed).
  void end() => _db._calls.rollback(_take());
}

/// The write transaction: its writes are visible only inside it until
/// [commit], and [rollback] discards them. One at a time per database.
///
/// A failed operation poisons the transaction, unless its exception is a
/// clean refusal, checked before anything changed ([NotFoundException],
/// [AlreadyExistsException], [InvalidArgumentException],
/// [InvalidValueException], [KeyTooLargeException],
/// [ValueTooLargeException]). After any other exception ([IoException],
/// [CorruptedException], [DiskFullException], ...) the operation may be
/// half-applied, so every later call on the transaction, reads included, and
/// [commit] throw an exception of the same kind, and only [rollback] is left
/// ([Nook.write] rolls back when its callback throws). The database keeps the
/// state before the transaction.
final class WriteTxn extends NookTxn {
  WriteTxn._(Nook db, int handle) : super._(db, handle);

  /// Sets [key] to [value].
  void put(Object key, Object? value) =>
      _db._calls.put(_h, _keyBytes(key), cborEncode(value));

  /// Adds [key]; [AlreadyExistsException] (and no change) when it exists.
  void insert(Object key, Object? value) =>
      _db._calls.insert(_h, _keyBytes(key), cborEncode(value));

  /// Replaces an existing [key]; [NotFoundException] when absent.
  void update(Object key, Object? value) =>
      _db._calls.update(_h, _keyBytes(key), cborEncode(value));

  /// Same as [put].
  void operator []=(Object key, Object? value) => put(key, value);

  /// [put] with raw CBOR.
  void putBytes(Object key, Uint8List cbor) =>
      _db._calls.put(_h, _keyBytes(key), cbor);

  /// [insert] with raw CBOR.
  void insertBytes(Object key, Uint8List cbor) =>
      _db._calls.insert(_h, _keyBytes(key), cbor);

  /// [update] with raw CBOR.
  void updateBytes(Object key, Uint8List cbor) =>
      _db._calls.update(_h, _keyBytes(key), cbor);

  /// Deletes [key]; returns whether it existed.
  bool delete(Object key) => _db._calls.delete(_h, _keyBytes(key));

  /// Applies [batch] inside this transaction (all of it or none: a failure
  /// while applying it poisons the transaction, see [WriteTxn]).
  void apply(NookBatch batch) => _db._calls.writeBatch(_h, batch._bytes());

  /// Commits. On any exception nothing of the transaction was committed; the
  /// transaction is finished either way. A poisoned transaction (see
  /// [WriteTxn]) throws the exception that poisoned it.
  void commit() {
    final h = _take();
    _release();
    _db._calls.commit(h);
  }

  /// Discards every write of the transaction; [ClosedException] if it
  /// already ended (or its database was closed).
  void rollback() {
    final h = _take();
    _release();
    _db._calls.rollback(h);
  }

  void _release() {
    if (identical(_db._activeWrite, this)) _db._activeWrite = null;
  }
}
